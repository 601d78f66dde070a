;; SIMD linking guest (user): imports simd_provider's v128 function and global.
(module
  (import "p" "neg" (func $neg (param v128) (result v128)))
  (import "p" "gv" (global $gv (mut v128)))
  (func (export "run") (param v128) (result v128)
    (i32x4.add (call $neg (local.get 0)) (global.get $gv)))
  (func (export "set_gv") (param v128) (global.set $gv (local.get 0))))
