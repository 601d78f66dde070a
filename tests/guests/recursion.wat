;; Runaway and deep recursion (the spec's call.wast and fac.wast cases): the
;; AOT C compiler must keep every call a call, so runaway recursion exhausts
;; the stack and traps instead of looping forever or returning garbage.
(module
  (type $v (func))
  (table 1 funcref)
  (elem (i32.const 0) $runaway_indirect)
  (func $runaway (export "runaway") (call $runaway))
  (func $mutual1 (export "mutual") (call $mutual2))
  (func $mutual2 (call $mutual1))
  (func $runaway_indirect (export "runaway_indirect")
    (call_indirect (type $v) (i32.const 0)))
  ;; Not a tail call: gcc's accumulator transformation used to make it a
  ;; loop that returns 0 for 2^30.
  (func $fac (export "fac-rec") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  ;; depth(n) = n through n nested calls.
  (func $depth (export "depth") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1)))))))
)
