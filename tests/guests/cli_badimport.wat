;; tests/guests/cli_badimport.wat: imports a function no host provides, for
;; the CLI's link error (exit 2 naming env.missing and its signature).
(module
  (import "env" "missing" (func $missing (param i32 i64) (result f32)))
  (func (export "run") (result f32) i32.const 1 i64.const 2 call $missing)
)
