;; error: import name `A` conflicts with an earlier import
(component
  (import "a" (func))
  (import "A" (func)))
