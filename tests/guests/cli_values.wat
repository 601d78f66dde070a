;; tests/guests/cli_values.wat: exports of every core value type for
;; tests/cli/test_cli.sh (argument literals and result formatting), plus a
;; memory with a maximum and a global for `baton inspect` (the test appends a
;; custom section itself: wat2wasm 1.0.32 has no custom-section syntax).
(module
  (memory (export "mem") 1 3)
  (global (export "answer") i32 (i32.const 42))
  (func (export "id_i32") (param i32) (result i32) local.get 0)
  (func (export "id_i64") (param i64) (result i64) local.get 0)
  (func (export "id_f32") (param f32) (result f32) local.get 0)
  (func (export "id_f64") (param f64) (result f64) local.get 0)
  (func (export "half") (param f32) (result f32) local.get 0 f32.const 0.5 f32.mul)
  (func (export "none"))
  (func (export "four") (param i32 i64 f32 f64) (result f64)
    local.get 0 f64.convert_i32_s
    local.get 1 f64.convert_i64_s f64.add
    local.get 2 f64.promote_f32 f64.add
    local.get 3 f64.add)
)
