;; error: own: type index 0 is a u32 type, not a resource
(component
  (type u32)
  (type (own 0)))
