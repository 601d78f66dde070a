;; error: alias export: instance 0 has no export named `nope`
(component
  (import "i" (instance $i (export "f" (func))))
  (alias export $i "nope" (func)))
