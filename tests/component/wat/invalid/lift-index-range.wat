;; error: canon section: lift: core function index 12 out of range (1 defined)
(component
  (core module $m (func (export "f") (param i32) (result i32) local.get 0))
  (core instance $i (instantiate $m))
  (alias core export $i "f" (core func $f))
  (type $ft (func (param "x" u32) (result u32)))
  (func (type $ft) (canon lift (core func 12))))
