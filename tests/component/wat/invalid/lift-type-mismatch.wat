;; error: lift: core function 0 has type (i32) -> i32, but function type 0 lifts from (i64) -> i32
(component
  (core module $m (func (export "f") (param i32) (result i32) local.get 0))
  (core instance $i (instantiate $m))
  (type $ft (func (param "x" u64) (result u32)))
  (func (type $ft) (canon lift (core func $i "f"))))
