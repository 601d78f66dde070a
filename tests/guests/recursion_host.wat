;; Runaway recursion that calls a host function at every level: the stack
;; runs out while the host function runs (the deepest point of each level),
;; which must still be a "call stack exhausted" trap, not a crash.
(module
  (import "env" "tick" (func $tick (param i32) (result i32)))
  (func $runaway (export "runaway_host") (param i32) (result i32)
    (i32.add (call $tick (local.get 0)) (call $runaway (i32.add (local.get 0) (i32.const 1)))))
  (func $deep (export "deep_host") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (call $tick (i32.const 0)))
      (else (i32.add (call $tick (local.get 0)) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
)
