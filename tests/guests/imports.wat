;; A module with host imports, for linking and host-call tests.
(module
  (import "env" "host_add" (func $host_add (param i32 i32) (result i32)))
  (import "env" "host_trap" (func $host_trap))
  (import "env" "host_sleep" (func $host_sleep (param i32)))
  (import "env" "host_i64" (func $host_i64 (param i64 f32 f64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 100) "baton")
  (func (export "callhost") (param i32 i32) (result i32) local.get 0 local.get 1 call $host_add)
  (func (export "calltrap") (result i32) call $host_trap i32.const 1)
  (func (export "sleep_then_spin") (param i32)
    local.get 0 call $host_sleep
    (loop $l br $l))
  (func (export "sleep") (param i32) local.get 0 call $host_sleep)
  (func (export "call_i64") (param i64) (result i64) local.get 0 f32.const 1.5 f64.const 2.25 call $host_i64)
  ;; Calls host_add n times; used to measure and test guest->host calls.
  (func (export "loop_host") (param i32) (result i32) (local $acc i32)
    (block $done
      (loop $l
        local.get 0 i32.eqz br_if $done
        local.get $acc i32.const 1 call $host_add local.set $acc
        local.get 0 i32.const 1 i32.sub local.set 0
        br $l))
    local.get $acc)
  (func (export "peek") (param i32) (result i32) local.get 0 i32.load8_u)
  (func (export "poke") (param i32 i32) local.get 0 local.get 1 i32.store8)
)
