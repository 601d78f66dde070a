;; wit-error: type `r2` refers to type `r` of an inline interface, which WIT cannot express
;; A valid component whose WIT cannot be written: a world-level type names a
;; type of a plain-named (inline) interface. (wasm-tools 1.35's printer
;; panics on it; baton reports it.)
(component
  (import "host" (instance $h
    (type $r (record (field "x" u32)))
    (export "r" (type $rn (eq $r)))
    (export "get" (func (result $rn)))))
  (alias export $h "r" (type $r))
  (import "r2" (type (eq $r))))
