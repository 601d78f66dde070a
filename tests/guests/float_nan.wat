;; The spec's float_exprs.wast "no_fold" cases: each of these is an identity
;; for numbers, but a signalling NaN operand must come back quieted, so the
;; AOT C compiler must not fold them away.
(module
  (func (export "f32.sub_zero") (param f32) (result f32) (f32.sub (local.get 0) (f32.const 0.0)))
  (func (export "f32.neg0_sub") (param f32) (result f32) (f32.sub (f32.const -0.0) (local.get 0)))
  (func (export "f32.mul_one") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 1.0)))
  (func (export "f32.neg1_mul") (param f32) (result f32) (f32.mul (f32.const -1.0) (local.get 0)))
  (func (export "f32.div_one") (param f32) (result f32) (f32.div (local.get 0) (f32.const 1.0)))
  (func (export "f32.div_neg1") (param f32) (result f32) (f32.div (local.get 0) (f32.const -1.0)))
  (func (export "f64.sub_zero") (param f64) (result f64) (f64.sub (local.get 0) (f64.const 0.0)))
  (func (export "f64.neg0_sub") (param f64) (result f64) (f64.sub (f64.const -0.0) (local.get 0)))
  (func (export "f64.mul_one") (param f64) (result f64) (f64.mul (local.get 0) (f64.const 1.0)))
  (func (export "f64.neg1_mul") (param f64) (result f64) (f64.mul (f64.const -1.0) (local.get 0)))
  (func (export "f64.div_one") (param f64) (result f64) (f64.div (local.get 0) (f64.const 1.0)))
  (func (export "f64.div_neg1") (param f64) (result f64) (f64.div (local.get 0) (f64.const -1.0)))
  ;; sqrt and nearest need libm or builtins in the AOT shared object.
  (func (export "f64.sqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
  (func (export "f32.sqrt") (param f32) (result f32) (f32.sqrt (local.get 0)))
  (func (export "f64.nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
)
