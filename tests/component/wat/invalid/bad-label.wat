;; error: import name `not_kebab` is not a valid kebab-case label
(component
  (import "not_kebab" (func)))
