;; A table whose initial size is over the default per-instance limit of
;; table elements (BATON_DEFAULT_MAX_TABLE_ELEMENTS): refused with
;; BATON_ELIMIT before anything is allocated.
(module
  (table 2000000 funcref)
  (func (export "f") (param i32) (result i32) (table.size 0)))
