;; tests/guests/wasi_badptr.wat: calls WASI functions with out-of-bounds
;; guest pointers, for tests/wasi/test_wasi.c. Every export returns the WASI
;; errno the host answered (EFAULT is 21) and must not crash the host or
;; trap; `good` writes "ok\n" to stdout afterwards to show the instance is
;; still usable. Memory is one page (65536 bytes).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; "ok\n" at 0; good iovec {0, 3} at 16; nwritten at 32.
  (data (i32.const 0) "ok\n")
  (data (i32.const 16) "\00\00\00\00\03\00\00\00")
  ;; iovec pointing past the end: {65530, 100} at 48.
  (data (i32.const 48) "\fa\ff\00\00\64\00\00\00")
  ;; two iovecs at 64: a good one {0, 3}, then {0xfffffff0, 32} (wraps 32 bits).
  (data (i32.const 64) "\00\00\00\00\03\00\00\00\f0\ff\ff\ff\20\00\00\00")
  ;; the iovec array itself out of bounds
  (func (export "bad_iovec") (result i32)
    (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 32)))
  ;; a huge iovec count whose array would run far past the memory
  (func (export "bad_count") (result i32)
    (call $fd_write (i32.const 1) (i32.const 16) (i32.const 0x20000000) (i32.const 32)))
  ;; the buffer an iovec points at is out of bounds
  (func (export "bad_buf") (result i32)
    (call $fd_write (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 32)))
  ;; the second of two iovecs wraps around 2^32: nothing may be written
  (func (export "bad_second") (result i32)
    (call $fd_write (i32.const 1) (i32.const 64) (i32.const 2) (i32.const 32)))
  ;; a good iovec but the nwritten out-pointer is out of bounds
  (func (export "bad_nwritten") (result i32)
    (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 65534)))
  (func (export "bad_random") (result i32)
    (call $random_get (i32.const 65000) (i32.const 1000)))
  (func (export "bad_clock") (result i32)
    (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 65530)))
  (func (export "bad_args") (result i32)
    (call $args_sizes_get (i32.const -4) (i32.const 0)))
  (func (export "bad_read") (result i32)
    (call $fd_read (i32.const 0) (i32.const 48) (i32.const 1) (i32.const 32)))
  ;; writes "ok\n"; returns the errno, and nwritten is at address 32
  (func (export "good") (result i32)
    (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 32)))
  (func (export "nwritten") (result i32) (i32.load (i32.const 32)))
)
