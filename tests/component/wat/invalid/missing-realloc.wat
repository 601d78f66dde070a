;; error: lift: function type 0 needs a `realloc` option (its parameters contain strings or lists)
(component
  (core module $m (memory (export "mem") 1) (func (export "f") (param i32 i32)))
  (core instance $i (instantiate $m))
  (func (param "s" string) (canon lift (core func $i "f") (memory (core memory $i "mem")))))
