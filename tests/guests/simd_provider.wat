;; SIMD linking guest (provider): a v128 function and a v128 global export.
(module
  (global (export "gv") (mut v128) (v128.const i32x4 10 20 30 40))
  (func (export "neg") (param v128) (result v128) (i32x4.neg (local.get 0))))
