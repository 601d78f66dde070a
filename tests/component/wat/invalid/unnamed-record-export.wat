;; error: export `f`: its type uses a record type that is not exported or imported under a name
(component
  (type $r (record (field "x" u32)))
  (import "g" (type $g (eq $r)))
  (import "f-in" (func $f (param "r" $g)))
  (core module $m (func (export "f") (param i32)))
  (core instance $i (instantiate $m))
  (func $f2 (param "r" $r) (canon lift (core func $i "f")))
  (export "f" (func $f2)))
