;; Structurally valid but ill-typed: the binary reader accepts it, wasm2c's
;; validator must reject it. Built with --no-check.
(module (func (export "f") (result i32) i32.add))
