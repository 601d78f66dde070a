;; Extended constant expressions that read imported globals (env.base = 100
;; and env.big from extended_const_base.wasm): their values exist only at
;; instantiation, so baton moves the initialisation into a start function
;; for wasm2c. Segments overlap and there is an original start function, so
;; the order of initialisation is observable.
(module
  (import "env" "base" (global $base i32))
  (import "env" "big" (global $big i64))
  (global $g (export "g") i32 (i32.add (global.get $base) (i32.const 16)))
  (global $h i64 (i64.mul (global.get $big) (i64.const 3)))
  (global $k i32 (i32.add (i32.const 1) (i32.const 2)))
  (memory 1)
  (table 10 funcref)
  (type $v_i (func (result i32)))
  (data (i32.const 8) "ab")
  (data (i32.add (global.get $base) (i32.const 16)) "x")
  (data (i32.const 9) "Z")
  (data (i32.const 116) "y")
  (elem (i32.add (global.get $base) (i32.const -95)) $seven)
  (elem (i32.const 0) $seven $seven)
  (start $copy)
  ;; The original start function runs after every segment: byte 200 = 'y'.
  (func $copy (i32.store8 (i32.const 200) (i32.load8_u (i32.const 116))))
  (func $seven (result i32) (i32.const 7))
  (func (export "get_g") (result i32) (global.get $g))
  (func (export "h") (result i64) (global.get $h))
  (func (export "k") (result i32) (global.get $k))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "slot") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
)
