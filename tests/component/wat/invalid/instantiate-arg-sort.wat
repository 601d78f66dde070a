;; error: instantiate: argument `f` is a instance, but component 0 imports a func
(component
  (import "i" (instance $i))
  (component $c (import "f" (func)))
  (instance (instantiate $c (with "f" (instance $i)))))
