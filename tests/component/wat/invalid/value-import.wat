;; error: value imports and exports are not supported
(component
  (import "v" (value u32)))
