;; error: instantiate: component 0 imports `f`, but no argument of that name is given
(component
  (component $c (import "f" (func)))
  (instance (instantiate $c)))
