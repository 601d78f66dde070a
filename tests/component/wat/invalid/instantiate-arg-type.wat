;; error: argument `f` does not match the import of component 0: expected 1 parameters, found 0
(component
  (import "g" (func $g))
  (component $c (import "f" (func (param "x" u32))))
  (instance (instantiate $c (with "f" (func $g)))))
