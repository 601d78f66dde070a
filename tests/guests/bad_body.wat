;; Structurally valid but ill-typed: the binary reader's validator must
;; reject it before wasm2c ever sees it. Built with --no-check.
(module (func (export "f") (result i32) i32.add))
