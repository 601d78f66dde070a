;; An active element segment that does not fit its table: instantiation
;; traps with "out of bounds table access" (not a memory access).
(module
  (table 2 funcref)
  (func $f (export "f"))
  (elem (i32.const 1) $f $f))
