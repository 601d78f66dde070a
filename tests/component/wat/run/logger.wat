;; tests/component/wat/run/logger.wat: exports `log: func(x: u32)`, doing
;; nothing; the provider of post_leave.wat's import in test_component_run.sh's
;; app and in crosscheck.mjs (jco).
(component
  (core module $m (func (export "log") (param i32)))
  (core instance $i (instantiate $m))
  (func $log (param "x" u32) (canon lift (core func $i "log")))
  (export "log" (func $log))
)
