;; Conformance regressions (spec root causes 1, 6, 8, 9): an imported
;; function placed in a table by an elem segment and reached through
;; call_indirect; the same import declared twice; exports whose types use
;; funcref and externref; an export named with U+0000; exported globals.
(module
  (type $v_i (func (result i32)))
  (func $h (import "p" "triple") (param i32) (result i32))
  (func $h2 (import "p" "triple") (param i32) (result i32))
  (func $seven (import "p" "seven") (result i32))
  (table 5 funcref)
  (elem (i32.const 2) $seven)
  (global $g (export "g") (mut i32) (i32.const 5))
  (global (export "g64") i64 (i64.const -2))
  (global $r (export "r") (mut externref) (ref.null extern))
  (func (export "call") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
  (func (export "both") (param i32) (result i32)
    (i32.add (call $h (local.get 0)) (call $h2 (local.get 0))))
  (func (export "id_ext") (param externref) (result externref) (local.get 0))
  (func (export "is_null") (param funcref) (result i32) (ref.is_null (local.get 0)))
  (func (export "get_fn") (param i32) (result funcref) (table.get 0 (local.get 0)))
  (func (export "keep") (param externref) (global.set $r (local.get 0)))
  (func (export "\00nul") (result i32) (global.get $g))
  (func (export "bump") (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g)))
