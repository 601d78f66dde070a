;; tests/component/wat/run/mismatch.wat: exports `test:svc/text@0.1.0` with a
;; correct `join` but an `upper` returning u32 instead of a string, so that
;; an app making it a dependency of the text-user guest is rejected at load
;; with both signatures named (test_component_run.sh).
(component
  (core module $m
    (memory (export "memory") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 64)
    (func (export "upper") (param i32 i32) (result i32) local.get 1)
    (func (export "join") (param i32 i32 i32 i32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (alias core export $i "memory" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))
  (func $upper (param "s" string) (result u32)
    (canon lift (core func $i "upper") (memory $mem) (realloc $realloc)))
  (func $join (param "parts" (list string)) (param "sep" string) (result string)
    (canon lift (core func $i "join") (memory $mem) (realloc $realloc)))
  (instance $text (export "upper" (func $upper)) (export "join" (func $join)))
  (export "test:svc/text@0.1.0" (instance $text))
)
