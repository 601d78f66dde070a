;; Exports that trigger every trap kind, plus a CPU-bound loop for deadline
;; tests and a memory-growing loop for memory-limit tests.
(module
  (type $ii_i (func (param i32 i32) (result i32)))
  (type $v_i (func (result i32)))
  (memory (export "memory") 1)
  (table 4 funcref)
  (type $i_i (func (param i32) (result i32)))
  (elem (i32.const 0) $add $seven $recurse)
  (global $counter (mut i32) (i32.const 0))
  (func $add (type $ii_i) local.get 0 local.get 1 i32.add)
  (func $seven (type $v_i) i32.const 7)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "rem_u") (param i32 i32) (result i32) local.get 0 local.get 1 i32.rem_u)
  (func (export "unreachable") unreachable)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "load_offset") (param i32) (result i64) local.get 0 i64.load offset=4294967295)
  (func (export "call_table") (param i32) (result i32)
    i32.const 20 i32.const 22 local.get 0 call_indirect (type $ii_i))
  (func (export "trunc") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
  ;; Table accesses: out of bounds past index 3.
  (func (export "table_get") (param i32) (result i32) local.get 0 table.get 0 ref.is_null)
  ;; Unbounded recursion through the table, so the C compiler cannot turn
  ;; it into a loop.
  (func $recurse (export "recurse") (param i32) (result i32) (local $r i32)
    local.get 0 i32.const 1 i32.add
    i32.const 2 call_indirect (type $i_i)
    local.set $r
    i32.const 0 local.get $r i32.store
    local.get $r i32.const 1 i32.add)
  (func (export "spin") (param i64) (result i64)
    (local $i i64)
    (loop $l
      local.get $i i64.const 1 i64.add local.set $i
      local.get $i local.get 0 i64.ne br_if $l)
    local.get $i)
  (func (export "forever") (loop $l br $l))
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size)
  ;; Grows one page at a time until memory.grow fails, then traps.
  (func (export "grow_until_trap")
    (loop $l
      i32.const 1 memory.grow i32.const -1 i32.ne br_if $l)
    unreachable)
  (func (export "counter") (result i32)
    global.get $counter i32.const 1 i32.add global.set $counter global.get $counter)
  (func (export "add64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
  (func (export "mulf") (param f32 f64) (result f64) local.get 0 f64.promote_f32 local.get 1 f64.mul)
  (func (export "multi") (param i32) (result i32 i64 f64)
    local.get 0 local.get 0 i64.extend_i32_s i64.const 1 i64.add f64.const 2.5)
)
