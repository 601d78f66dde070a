;; error: alias export: export `f` of instance 0 is a func, not a instance
(component
  (import "i" (instance $i (export "f" (func))))
  (alias export $i "f" (instance)))
