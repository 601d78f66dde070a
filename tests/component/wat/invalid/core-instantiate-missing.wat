;; error: core module 0 imports `env`.`f`, but no argument named `env` is given
(component
  (core module $b (import "env" "f" (func)))
  (core instance (instantiate $b)))
