;; A pre-composed component in the shape `wac plug` produces: two nested
;; components, the second importing what the first exports (a function and
;; a resource type), linked by instantiation, with outer aliases, inline
;; instance exports and a re-exported function.
(component $root
  (import "host:log/sink" (instance $sink
    (export "write" (func (param "msg" string)))))
  (type $u32-list (list u32))

  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 64)
      (func (export "sum") (param i32 i32) (result i32) local.get 1)
      (func (export "make") (param i32) (result i32) local.get 0)
      (func (export "get") (param i32) (result i32) local.get 0)
      (func (export "drop-box") (param i32)))
    (core instance $i (instantiate $m))
    (alias outer $root $u32-list (type $list))
    (alias core export $i "drop-box" (core func $dtor))
    (type $box (resource (rep i32) (dtor (core func $dtor))))
    (core func $box-new (canon resource.new $box))
    (core func $box-rep (canon resource.rep $box))
    (core func $box-drop (canon resource.drop $box))
    (type $sum-t (func (param "xs" $list) (result u32)))
    (func $sum (type $sum-t)
      (canon lift (core func $i "sum") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
    (type $own-box (own $box))
    (type $borrow-box (borrow $box))
    (func $make (param "v" u32) (result $own-box) (canon lift (core func $i "make")))
    (func $get (param "self" $borrow-box) (result u32) (canon lift (core func $i "get")))
    (export $box-ex "box" (type $box))
    (export "sum" (func $sum))
    (export "[constructor]box" (func $make) (func (param "v" u32) (result (own $box-ex))))
    (export "[method]box.get" (func $get) (func (param "self" (borrow $box-ex)) (result u32)))
  )

  (component $consumer
    (import "box" (type $box (sub resource)))
    (import "[constructor]box" (func $make (param "v" u32) (result (own $box))))
    (import "[method]box.get" (func $get (param "self" (borrow $box)) (result u32)))
    (import "sum" (func $sum (param "xs" (list u32)) (result u32)))
    (import "log" (func $log (param "msg" string)))
    (core module $shim
      (import "env" "make" (func (param i32) (result i32)))
      (import "env" "sum" (func (param i32 i32) (result i32)))
      (memory (export "mem") 1)
      (func (export "run") (result i32) i32.const 7))
    (core module $mem-module (memory (export "mem") 1))
    (core instance $mem (instantiate $mem-module))
    (core func $make-core (canon lower (func $make)))
    (core func $sum-core (canon lower (func $sum) (memory (core memory $mem "mem"))))
    (core instance $env (export "make" (func $make-core)) (export "sum" (func $sum-core)))
    (core instance $s (instantiate $shim (with "env" (instance $env))))
    (func $run (result s32) (canon lift (core func $s "run")))
    (export "run" (func $run))
  )

  (instance $p (instantiate $provider))
  (alias export $p "box" (type $box))
  (alias export $p "sum" (func $sum))
  (instance $c (instantiate $consumer
    (with "box" (type $box))
    (with "[constructor]box" (func $p "[constructor]box"))
    (with "[method]box.get" (func $p "[method]box.get"))
    (with "sum" (func $sum))
    (with "log" (func $sink "write"))))
  (instance $api (export "run" (func $c "run")) (export "sum" (func $sum)))
  (export "baton:demo/api" (instance $api))
  (export "run" (func $c "run"))
)
