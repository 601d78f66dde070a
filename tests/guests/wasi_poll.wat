;; tests/guests/wasi_poll.wat: calls poll_oneoff directly, for
;; tests/wasi/test_wasi.c. Subscriptions are built at address 0 (48 bytes
;; each), events land at 1024 (32 bytes each: userdata u64 at +0, error u16
;; at +8, type u8 at +10) and the event count at 2048. Each export returns
;; the errno poll_oneoff answered; `nevents`, `ev_userdata`, `ev_error` and
;; `ev_type` read the results back.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  ;; a relative clock subscription at addr
  (func $clock (param $addr i32) (param $ud i64) (param $id i32) (param $timeout i64)
    (memory.fill (local.get $addr) (i32.const 0) (i32.const 48))
    (i64.store (local.get $addr) (local.get $ud))
    (i32.store (i32.add (local.get $addr) (i32.const 16)) (local.get $id))
    (i64.store (i32.add (local.get $addr) (i32.const 24)) (local.get $timeout)))
  ;; an fd_read (tag 1) or fd_write (tag 2) subscription at addr
  (func $fdsub (param $addr i32) (param $ud i64) (param $tag i32) (param $fd i32)
    (memory.fill (local.get $addr) (i32.const 0) (i32.const 48))
    (i64.store (local.get $addr) (local.get $ud))
    (i32.store8 (i32.add (local.get $addr) (i32.const 8)) (local.get $tag))
    (i32.store (i32.add (local.get $addr) (i32.const 16)) (local.get $fd)))
  (func $run (param $n i32) (result i32)
    (i32.store (i32.const 2048) (i32.const -1))
    (call $poll (i32.const 0) (i32.const 1024) (local.get $n) (i32.const 2048)))

  ;; a 10 s clock and a 20 ms clock: only the 20 ms one fires
  (func (export "two_clocks") (result i32)
    (call $clock (i32.const 0) (i64.const 111) (i32.const 1) (i64.const 10000000000))
    (call $clock (i32.const 48) (i64.const 222) (i32.const 1) (i64.const 20000000))
    (call $run (i32.const 2)))
  ;; the same clock twice: both fire
  (func (export "same_clocks") (result i32)
    (call $clock (i32.const 0) (i64.const 1) (i32.const 1) (i64.const 5000000))
    (call $clock (i32.const 48) (i64.const 2) (i32.const 1) (i64.const 5000000))
    (call $run (i32.const 2)))
  ;; an absolute realtime clock already in the past fires at once
  (func (export "past_absolute") (result i32)
    (call $clock (i32.const 0) (i64.const 7) (i32.const 0) (i64.const 1))
    (i32.store16 (i32.const 40) (i32.const 1))
    (call $run (i32.const 1)))
  ;; a 10 s clock with a stdin read: stdio is always ready, no sleep
  (func (export "clock_and_stdin") (result i32)
    (call $clock (i32.const 0) (i64.const 333) (i32.const 1) (i64.const 10000000000))
    (call $fdsub (i32.const 48) (i64.const 444) (i32.const 1) (i32.const 0))
    (call $run (i32.const 2)))
  ;; fd_write on fd 7, which does not exist
  (func (export "bad_fd") (result i32)
    (call $fdsub (i32.const 0) (i64.const 555) (i32.const 2) (i32.const 7))
    (call $run (i32.const 1)))
  (func (export "bad_clock") (result i32)
    (call $clock (i32.const 0) (i64.const 666) (i32.const 9) (i64.const 1))
    (call $run (i32.const 1)))
  (func (export "no_subs") (result i32) (call $run (i32.const 0)))
  ;; events array past the end of memory
  (func (export "bad_events") (result i32)
    (call $clock (i32.const 0) (i64.const 1) (i32.const 1) (i64.const 1))
    (call $poll (i32.const 0) (i32.const 65520) (i32.const 1) (i32.const 2048)))

  (func (export "nevents") (result i32) (i32.load (i32.const 2048)))
  (func (export "ev_userdata") (param i32) (result i64)
    (i64.load (i32.add (i32.const 1024) (i32.mul (local.get 0) (i32.const 32)))))
  (func (export "ev_error") (param i32) (result i32)
    (i32.load16_u (i32.add (i32.const 1032) (i32.mul (local.get 0) (i32.const 32)))))
  (func (export "ev_type") (param i32) (result i32)
    (i32.load8_u (i32.add (i32.const 1034) (i32.mul (local.get 0) (i32.const 32)))))
)
