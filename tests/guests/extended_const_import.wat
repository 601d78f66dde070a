;; An extended constant expression that reads an imported global: valid,
;; but wasm2c 1.0.32 cannot translate it, so loading reports it unsupported.
(module
  (import "env" "base" (global $base i32))
  (memory 1)
  (data (i32.add (global.get $base) (i32.const 16)) "x")
)
