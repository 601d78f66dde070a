;; error: export section: export: function index 0 out of range (0 defined)
(component
  (export "f" (func 0))
  (import "g" (func)))
