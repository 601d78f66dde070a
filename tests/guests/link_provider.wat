;; Exports a memory, a table, globals and functions for linking tests.
(module
  (type $v_i (func (result i32)))
  (memory (export "mem") 1 10)
  (table (export "tab") 2 funcref)
  (global (export "counter") (mut i32) (i32.const 5))
  (global (export "const64") i64 (i64.const 64))
  (elem (i32.const 0) $seven)
  (func $seven (export "seven") (type $v_i) i32.const 7)
  (func (export "peek") (param i32) (result i32) local.get 0 i32.load8_u)
  (func (export "size") (result i32) memory.size)
  (func (export "triple") (param i32) (result i32) local.get 0 i32.const 3 i32.mul)
  (func (export "get_counter") (result i32) global.get 0))
