;; error: instantiate: core module 1 import `env`.`f`: expected a func, found a memory
(component
  (core module $a (memory (export "f") 1))
  (core module $b (import "env" "f" (func)))
  (core instance $ia (instantiate $a))
  (core instance (instantiate $b (with "env" (instance $ia)))))
