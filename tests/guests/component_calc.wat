;; tests/guests/component_calc.wat: a core module implementing the world
;; `calc` of tests/component/wit/calc.wit with the Canonical ABI, so that
;; test_component.sh can turn it into a real component with
;; `wasm-tools component embed` + `component new` (component.md).
(module
  (import "$root" "log" (func $log (param i32 i32)))
  (import "[export]baton:calc/counter@0.1.0" "[resource-new]counter" (func $counter_new (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "hello, ")

  ;; cabi_realloc: a bump allocator (old_ptr, old_size, align, new_size).
  (func $realloc (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    global.get $heap
    local.get 2
    i32.add
    i32.const 1
    i32.sub
    i32.const 0
    local.get 2
    i32.sub
    i32.and
    local.tee $p
    local.get 3
    i32.add
    global.set $heap
    local.get $p)

  ;; add: func(p: pair) -> u32
  (func (export "baton:calc/math@0.1.0#add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add)

  ;; greet: func(name: string) -> string, returned through a (ptr, len) pair.
  (func (export "baton:calc/math@0.1.0#greet") (param $ptr i32) (param $len i32) (result i32)
    (local $out i32)
    (local $ret i32)
    i32.const 0 i32.const 0 i32.const 1
    local.get $len
    i32.const 7
    i32.add
    call $realloc
    local.set $out
    local.get $out
    i32.const 16
    i32.const 7
    memory.copy
    local.get $out
    i32.const 7
    i32.add
    local.get $ptr
    local.get $len
    memory.copy
    i32.const 0 i32.const 0 i32.const 4 i32.const 8
    call $realloc
    local.tee $ret
    local.get $out
    i32.store
    local.get $ret
    local.get $len
    i32.const 7
    i32.add
    i32.store offset=4
    local.get $ret)
  (func (export "cabi_post_baton:calc/math@0.1.0#greet") (param i32))

  ;; counter resource: the representation is the current value.
  (func (export "baton:calc/counter@0.1.0#[constructor]counter") (param i32) (result i32)
    local.get 0
    call $counter_new)
  (func (export "baton:calc/counter@0.1.0#[method]counter.bump") (param i32) (result i32)
    local.get 0
    i32.const 1
    i32.add)
  (func (export "baton:calc/counter@0.1.0#[dtor]counter") (param i32))

  ;; run: func() -> s32
  (func (export "run") (result i32)
    i32.const 16
    i32.const 7
    call $log
    i32.const 0))
