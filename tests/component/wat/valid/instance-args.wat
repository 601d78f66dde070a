;; Instance-typed imports passed through instantiation: the inner
;; components declare their own instance types with `(sub resource)`
;; exports; instantiating them with the outer import binds those resources
;; to the outer ones, so the second component accepts the first one's
;; function whose type mentions them. Also re-exports an instance whose
;; types come from the import (`use` in WIT).
(component $outer
  (import "wasi:io/streams@0.2.0" (instance $streams
    (export "output-stream" (type $os (sub resource)))
    (export "[method]output-stream.write" (func (param "self" (borrow $os)) (param "bytes" (list u8))))))
  (alias export $streams "output-stream" (type $os))

  (component $writer
    (import "wasi:io/streams@0.2.0" (instance $s
      (export "output-stream" (type $o (sub resource)))
      (export "[method]output-stream.write" (func (param "self" (borrow $o)) (param "bytes" (list u8))))))
    (alias export $s "output-stream" (type $o))
    (import "emit" (func $emit (param "to" (borrow $o)) (param "text" string)))
    (export "emit2" (func $emit)))

  (component $user
    (import "wasi:io/streams@0.2.0" (instance $s
      (export "output-stream" (type $o (sub resource)))))
    (alias export $s "output-stream" (type $o))
    (import "emit" (func $emit (param "to" (borrow $o)) (param "text" string)))
    (instance $api
      (export "output-stream" (type $o))
      (export "emit" (func $emit)))
    (export "baton:demo/printer" (instance $api)))

  (core module $m
    (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "emit") (param i32 i32 i32)))
  (core instance $i (instantiate $m))
  (func $emit (param "to" (borrow $os)) (param "text" string)
    (canon lift (core func $i "emit") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (instance $w (instantiate $writer
    (with "wasi:io/streams@0.2.0" (instance $streams))
    (with "emit" (func $emit))))
  (instance $u (instantiate $user
    (with "wasi:io/streams@0.2.0" (instance $streams))
    (with "emit" (func $w "emit2"))))
  (export "baton:demo/printer" (instance $u "baton:demo/printer"))
)
