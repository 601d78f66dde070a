;; error: lower: realloc function 0 has type (i32) -> i32, expected (i32, i32, i32, i32) -> i32
(component
  (import "f" (func $f (result string)))
  (core module $m (memory (export "mem") 1) (func (export "r") (param i32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (core func (canon lower (func $f) (memory (core memory $i "mem")) (realloc (core func $i "r")))))
