;; Exports the globals extended_const_import.wasm reads in its constant
;; expressions.
(module
  (global (export "base") i32 (i32.const 100))
  (global (export "big") i64 (i64.const 0x100000001))
)
