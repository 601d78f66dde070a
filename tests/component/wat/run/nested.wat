;; tests/component/wat/run/nested.wat: a pre-composed component that runs.
;; Two nested components, linked by instantiation in the root:
;;   $provider: state in one core module (memory, allocator, a destructor
;;     counting drops), code in a second one that imports the first's memory
;;     and `resource.new`; exports a resource `box` (its constructor, a method
;;     taking a borrow, the destructor), `double`, `greet` (strings) and
;;     `drops`;
;;   $consumer: imports all of that (the resource as `(sub resource)`),
;;     lowers it into its own core module and exports `calc` (constructs a
;;     box, borrows it, drops it, doubles) and `hello` (a string through two
;;     memories).
;; The root exports the consumer's functions and the provider's `double`
;; as an interface instance, and `hello` at the top level.
(component $root
  (component $provider
    (core module $state
      (memory (export "memory") 1)
      (global $drops (mut i32) (i32.const 0))
      (global $heap (mut i32) (i32.const 1024))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        global.get $heap
        local.get 2
        i32.add
        i32.const 1
        i32.sub
        i32.const 0
        local.get 2
        i32.sub
        i32.and
        local.tee $p
        local.get 3
        i32.add
        global.set $heap
        local.get $p)
      (func (export "dtor") (param i32)
        global.get $drops
        i32.const 1
        i32.add
        global.set $drops)
      (func (export "drops") (result i32) global.get $drops))
    (core instance $s (instantiate $state))
    (alias core export $s "dtor" (core func $dtor))
    (type $box (resource (rep i32) (dtor (core func $dtor))))
    (core func $box-new (canon resource.new $box))
    (core module $impl
      (import "state" "memory" (memory 1))
      (import "state" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
      (import "res" "new" (func $new (param i32) (result i32)))
      (data (i32.const 16) "hi ")
      (func (export "double") (param i32) (result i32)
        local.get 0
        i32.const 2
        i32.mul)
      (func (export "make") (param i32) (result i32)
        local.get 0
        i32.const 1000
        i32.add
        call $new)
      (func (export "get") (param i32) (result i32)
        local.get 0
        i32.const 1000
        i32.sub)
      (func (export "greet") (param $p i32) (param $n i32) (result i32)
        (local $out i32)
        (local $ret i32)
        i32.const 0
        i32.const 0
        i32.const 1
        local.get $n
        i32.const 3
        i32.add
        call $realloc
        local.set $out
        local.get $out
        i32.const 16
        i32.const 3
        memory.copy
        local.get $out
        i32.const 3
        i32.add
        local.get $p
        local.get $n
        memory.copy
        i32.const 0
        i32.const 0
        i32.const 4
        i32.const 8
        call $realloc
        local.set $ret
        local.get $ret
        local.get $out
        i32.store
        local.get $ret
        local.get $n
        i32.const 3
        i32.add
        i32.store offset=4
        local.get $ret))
    (core instance $res (export "new" (func $box-new)))
    (core instance $i (instantiate $impl (with "state" (instance $s)) (with "res" (instance $res))))
    (alias core export $s "memory" (core memory $mem))
    (alias core export $s "realloc" (core func $realloc))
    (func $double (param "x" u32) (result u32) (canon lift (core func $i "double")))
    (func $greet (param "name" string) (result string)
      (canon lift (core func $i "greet") (memory $mem) (realloc $realloc)))
    (func $drops (result u32) (canon lift (core func $s "drops")))
    (type $own-box (own $box))
    (type $borrow-box (borrow $box))
    (func $make (param "v" u32) (result $own-box) (canon lift (core func $i "make")))
    (func $get (param "self" $borrow-box) (result u32) (canon lift (core func $i "get")))
    (export $box-ex "box" (type $box))
    (export "double" (func $double))
    (export "greet" (func $greet))
    (export "drops" (func $drops))
    (export "[constructor]box" (func $make) (func (param "v" u32) (result (own $box-ex))))
    (export "[method]box.get" (func $get) (func (param "self" (borrow $box-ex)) (result u32)))
  )

  (component $consumer
    (import "box" (type $box (sub resource)))
    (import "[constructor]box" (func $make (param "v" u32) (result (own $box))))
    (import "[method]box.get" (func $get (param "self" (borrow $box)) (result u32)))
    (import "double" (func $double (param "x" u32) (result u32)))
    (import "greet" (func $greet (param "name" string) (result string)))
    (import "drops" (func $drops (result u32)))
    (core module $mem-mod
      (memory (export "memory") 1)
      (global $heap (mut i32) (i32.const 2048))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        global.get $heap
        local.get 2
        i32.add
        i32.const 1
        i32.sub
        i32.const 0
        local.get 2
        i32.sub
        i32.and
        local.tee $p
        local.get 3
        i32.add
        global.set $heap
        local.get $p))
    (core instance $m (instantiate $mem-mod))
    (alias core export $m "memory" (core memory $mem))
    (alias core export $m "realloc" (core func $realloc))
    (core func $make-c (canon lower (func $make)))
    (core func $get-c (canon lower (func $get)))
    (core func $double-c (canon lower (func $double)))
    (core func $greet-c (canon lower (func $greet) (memory $mem) (realloc $realloc)))
    (core func $drops-c (canon lower (func $drops)))
    (core func $drop-c (canon resource.drop $box))
    (core instance $env
      (export "make" (func $make-c))
      (export "get" (func $get-c))
      (export "double" (func $double-c))
      (export "greet" (func $greet-c))
      (export "drops" (func $drops-c))
      (export "drop" (func $drop-c)))
    (core module $code
      (import "m" "memory" (memory 1))
      (import "env" "make" (func $make (param i32) (result i32)))
      (import "env" "get" (func $get (param i32) (result i32)))
      (import "env" "double" (func $double (param i32) (result i32)))
      (import "env" "greet" (func $greet (param i32 i32 i32)))
      (import "env" "drops" (func $drops (result i32)))
      (import "env" "drop" (func $drop (param i32)))
      ;; calc(n) = double(box(n).get()) * 10 + drops after dropping the box
      (func (export "calc") (param $n i32) (result i32)
        (local $h i32)
        (local $v i32)
        local.get $n
        call $make
        local.set $h
        local.get $h
        call $get
        local.set $v
        local.get $h
        call $drop
        local.get $v
        call $double
        i32.const 10
        i32.mul
        call $drops
        i32.add)
      (func (export "hello") (param i32 i32) (result i32)
        local.get 0
        local.get 1
        i32.const 1024
        call $greet
        i32.const 1024))
    (core instance $c (instantiate $code (with "m" (instance $m)) (with "env" (instance $env))))
    (func $calc (param "n" u32) (result u32) (canon lift (core func $c "calc")))
    (func $hello (param "name" string) (result string)
      (canon lift (core func $c "hello") (memory $mem) (realloc $realloc)))
    (export "calc" (func $calc))
    (export "hello" (func $hello))
  )

  (instance $p (instantiate $provider))
  (alias export $p "box" (type $box))
  (instance $c (instantiate $consumer
    (with "box" (type $box))
    (with "[constructor]box" (func $p "[constructor]box"))
    (with "[method]box.get" (func $p "[method]box.get"))
    (with "double" (func $p "double"))
    (with "greet" (func $p "greet"))
    (with "drops" (func $p "drops"))))
  (instance $api
    (export "calc" (func $c "calc"))
    (export "hello" (func $c "hello"))
    (export "double" (func $p "double")))
  (export "test:nest/api" (instance $api))
  (export "hello" (func $c "hello"))
)
