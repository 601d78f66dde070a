;; tests/guests/reader_all.wat: a core module with every section the reader
;; knows (type, import of each kind, function, table, memory, global, export,
;; start, element in several forms, data count, code, data), used by
;; tests/wasm/test_wasm.c. It is only parsed, never run. It must be valid
;; WebAssembly 2.0 (one memory: the imported one).
(module
  (type $binop (func (param i32 i32) (result i32)))
  (type $void (func))
  (type $multi (func (param f64 v128) (result i64 f32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "table" (table $itab 1 10 funcref))
  (import "env" "memory" (memory $imem 1 2))
  (import "env" "base" (global $base i32))
  (import "env" "counter" (global $counter (mut i64)))
  (table $tab 2 funcref)
  (table $ext 1 externref)
  (global $g1 i32 (global.get $base))
  (global $g2 (mut f64) (f64.const 1.5))
  (global $g3 funcref (ref.null func))
  (global $g4 externref (ref.null extern))
  (global $g5 v128 (v128.const i32x4 1 2 3 4))
  (global $g6 i64 (i64.const -42))
  (global $g7 f32 (f32.const 0.25))
  (export "add" (func $add))
  (export "multi" (func $multi))
  (export "tab" (table $tab))
  (export "mem" (memory $imem))
  (export "g2" (global $g2))
  (export "héllo ünïcode" (func $init))
  (start $init)
  (elem (i32.const 0) $add)
  (elem $p func $add $multi)
  (elem (table $tab) (i32.const 1) func $init)
  (elem declare func $multi)
  (elem (table $ext) (i32.const 0) externref (ref.null extern))
  (elem $pe funcref (ref.func $add) (ref.null func))
  (func $add (type $binop) (local i64 i64) (local f32)
    local.get 0
    local.get 1
    i32.add)
  (func $multi (type $multi)
    i64.const 1
    f32.const 2)
  (func $init (type $void)
    i32.const 0
    call $log
    i32.const 0 i32.const 0 i32.const 4 memory.init $passive
    data.drop $passive
    elem.drop $p
    elem.drop $pe)
  (data (memory $imem) (i32.const 16) "hello")
  (data $passive "passive")
  (data (memory $imem) (global.get $base) "imported"))
