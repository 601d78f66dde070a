;; tests/guests/component_adder.wat: a small core module that
;; tests/component/test_component.c wraps into components by hand (it
;; builds the component binary around these bytes): `add` for a
;; (u32, u32) -> u32 lift, `greet` with memory, realloc and post-return for
;; a string -> string lift, and `wide` for a u64 -> u64 lift.
(module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    i32.const 1024)
  (func (export "greet") (param i32 i32) (result i32)
    i32.const 2048)
  (func (export "cabi_post_greet") (param i32))
  (func (export "wide") (param i64) (result i64)
    local.get 0))
