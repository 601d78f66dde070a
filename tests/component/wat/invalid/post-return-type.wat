;; error: lift: post-return function 1 has type () -> (), expected (i32) -> ()
(component
  (core module $m
    (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "f") (result i32) i32.const 0)
    (func (export "post")))
  (core instance $i (instantiate $m))
  (func (result string) (canon lift (core func $i "f") (memory (core memory $i "mem"))
    (post-return (core func $i "post")))))
