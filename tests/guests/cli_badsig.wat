;; tests/guests/cli_badsig.wat: imports WASI fd_write with the wrong
;; signature, for the CLI's link error naming both signatures.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) i32.const 1 call $w)
)
