;; tests/component/wat/run/world_resource.wat: a component importing a
;; resource type a world defines (`world w { resource r; ... }` encodes it
;; as `(import "r" (type (sub resource)))`) and an `(eq)` alias of it. Any
;; resource type satisfies a `sub resource` import, so baton gives the
;; instance a fresh host resource type; the `eq` import is satisfied by its
;; definition (test_component_run.sh).
(component
  (import "r" (type $r (sub resource)))
  (import "r-alias" (type $ra (eq $r)))
  (core module $m
    (func (export "f") (result i32) i32.const 42))
  (core instance $i (instantiate $m))
  (func $f (result u32) (canon lift (core func $i "f")))
  (export "f" (func $f))
)
