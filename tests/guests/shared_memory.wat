;; A valid threads-proposal module (a shared memory): baton refuses it as
;; unsupported before compiling (wasm2c 1.0.32 is not given threads).
(module (memory 1 2 shared) (func (export "f") (result i32) (i32.const 1)))
