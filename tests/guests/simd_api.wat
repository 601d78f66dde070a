;; SIMD guest for tests/engine/test_simd.c: v128 params/results at the host
;; boundary, a v128 host import, v128 globals, block/select/drop/tee on v128,
;; a SIMD-heavy loop, and bounds-checked v128 loads and stores.
(module
  (import "host" "twice" (func $twice (param v128 i32) (result v128 i32)))
  (memory (export "mem") 1)
  (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
  (global $k (export "k") v128 (v128.const i64x2 -1 0x0102030405060708))
  (func (export "add") (param v128 v128) (result v128)
    (i32x4.add (local.get 0) (local.get 1)))
  (func (export "swap") (param i32 v128 f64) (result f64 v128 i32)
    (local.get 2) (local.get 1) (local.get 0))
  (func (export "via_host") (param v128) (result v128 i32)
    (call $twice (local.get 0) (i32.const 21)))
  (func (export "bump_g") (param v128) (result v128)
    (global.set $g (i32x4.add (global.get $g) (local.get 0)))
    (global.get $g))
  ;; block with a v128 result, select and drop over v128, local.tee
  (func (export "pick") (param i32 v128 v128) (result v128)
    (local v128)
    (block (result v128)
      (drop (local.tee 3 (local.get 1)))
      (select (local.get 3) (local.get 2) (local.get 0))))
  (func (export "pick_typed") (param i32 v128 v128) (result v128)
    (select (result v128) (local.get 1) (local.get 2) (local.get 0)))
  ;; sum of i32 lanes over n bytes of memory from 0, four lanes at a time
  (func (export "sum_mem") (param $n i32) (result i32)
    (local $i i32) (local $acc v128)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32x4.add (local.get $acc) (v128.load (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l)))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
  (func (export "fill") (param $n i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))
  (func (export "load") (param i32) (result v128) (v128.load offset=8 (local.get 0)))
  (func (export "store") (param i32 v128) (v128.store (local.get 0) (local.get 1)))
  (func (export "store_lane") (param i32 v128) (v128.store64_lane 1 (local.get 0) (local.get 1)))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "shuffle") (param v128 v128) (result v128)
    (i8x16.shuffle 31 0 30 1 29 2 28 3 27 4 26 5 25 6 24 7 (local.get 0) (local.get 1)))
  (func (export "fminmax") (param v128 v128) (result v128 v128)
    (f32x4.min (local.get 0) (local.get 1)) (f32x4.max (local.get 0) (local.get 1)))
  (func (export "dead") (param v128) (result v128)
    (return (local.get 0))
    (drop (i32x4.add (local.get 0) (local.get 0))))
)
