;; tests/component/wat/run/post_leave.wat: a post-return function that
;; calls an import. The Component Model forbids leaving the component
;; instance during post-return: calling `get` traps (jco: "cannot leave
;; component instance") and poisons the instance; `plain` (no post-return)
;; works before that (test_component_run.c, test_component_run.sh).
(component
  (import "log" (func $log (param "x" u32)))
  (core func $log_lower (canon lower (func $log)))
  (core module $m
    (import "host" "log" (func $log (param i32)))
    (func (export "get") (result i32) i32.const 7)
    (func (export "cabi_post_get") (param i32) (call $log (local.get 0)))
    (func (export "plain") (result i32) i32.const 5)
    (func (export "loud") (result i32) (call $log (i32.const 1)) i32.const 6))
  (core instance $h (export "log" (func $log_lower)))
  (core instance $i (instantiate $m (with "host" (instance $h))))
  (func $get (result u32) (canon lift (core func $i "get") (post-return (core func $i "cabi_post_get"))))
  (func $plain (result u32) (canon lift (core func $i "plain")))
  (func $loud (result u32) (canon lift (core func $i "loud")))
  (export "get" (func $get))
  (export "plain" (func $plain))
  (export "loud" (func $loud))
)
