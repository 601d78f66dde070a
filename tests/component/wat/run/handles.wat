;; tests/component/wat/run/handles.wat: handle rules and string encodings.
;; Imports a resource type from the host; its core module keeps a borrow
;; without dropping it (`keep`, a trap at return), drops one correctly
;; (`take`), drops whatever index it is given (`drop-bad`), keeps or hands
;; back owned handles (`consume`, `give-back`); and the same echo and
;; length functions lifted with the utf16 and latin1+utf16 string
;; encodings. Used by test_component_run.c.
(component
  (import "thing" (type $r (sub resource)))
  (core func $drop (canon resource.drop $r))
  (core instance $res (export "drop" (func $drop)))
  (core module $m
    (import "res" "drop" (func $drop (param i32)))
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 1024))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
      (local $p i32)
      ;; shrinking keeps the block; otherwise bump-allocate and copy
      local.get $old
      i32.const 0
      i32.ne
      local.get $size
      local.get $old_size
      i32.le_u
      i32.and
      if
        local.get $old
        return
      end
      global.get $heap
      local.get $align
      i32.add
      i32.const 1
      i32.sub
      i32.const 0
      local.get $align
      i32.sub
      i32.and
      local.tee $p
      local.get $size
      i32.add
      global.set $heap
      local.get $p
      local.get $old
      local.get $old_size
      memory.copy
      local.get $p)
    (func (export "keep") (param i32) (result i32) local.get 0)
    (func (export "take") (param i32) (result i32)
      local.get 0
      call $drop
      i32.const 7)
    (func (export "drop-bad") (param i32) local.get 0 call $drop)
    (func (export "consume") (param i32) (result i32) local.get 0)
    (func (export "give-back") (param i32) (result i32) local.get 0)
    (func (export "echo") (param i32 i32) (result i32)
      i32.const 8
      local.get 0
      i32.store
      i32.const 12
      local.get 1
      i32.store
      i32.const 8)
    (func (export "units") (param i32 i32) (result i32) local.get 1))
  (core instance $i (instantiate $m (with "res" (instance $res))))
  (alias core export $i "memory" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))
  (type $b (borrow $r))
  (type $o (own $r))
  (func $keep (param "b" $b) (result u32) (canon lift (core func $i "keep")))
  (func $take (param "b" $b) (result u32) (canon lift (core func $i "take")))
  (func $drop-bad (param "h" u32) (canon lift (core func $i "drop-bad")))
  (func $consume (param "o" $o) (result u32) (canon lift (core func $i "consume")))
  (func $give-back (param "o" $o) (result $o) (canon lift (core func $i "give-back")))
  (func $echo16 (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory $mem) (realloc $realloc) string-encoding=utf16))
  (func $units16 (param "s" string) (result u32)
    (canon lift (core func $i "units") (memory $mem) (realloc $realloc) string-encoding=utf16))
  (func $echo-latin (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory $mem) (realloc $realloc) string-encoding=latin1+utf16))
  (func $units-latin (param "s" string) (result u32)
    (canon lift (core func $i "units") (memory $mem) (realloc $realloc) string-encoding=latin1+utf16))
  (export "keep" (func $keep))
  (export "take" (func $take))
  (export "drop-bad" (func $drop-bad))
  (export "consume" (func $consume))
  (export "give-back" (func $give-back))
  (export "echo16" (func $echo16))
  (export "units16" (func $units16))
  (export "echo-latin" (func $echo-latin))
  (export "units-latin" (func $units-latin))
)
