#!/usr/bin/env bash
# shellcheck disable=SC2016 # backquotes in expected messages are literal
# tests/app/test_app_components.sh: apps whose members are real components.
#   1. examples/orders (the seed scenario) with its two guests built as
#      components at test time (`baton bindgen c`, clang wasm32-wasi, the
#      preview1 reactor adapter through tests/component/wasi2-tools.mjs):
#      the pipeline from the seed's spin.toml version 1 and from baton.toml
#      gives the same output as the core-module build, each component
#      reading its variables through the `config` interface the host serves
#      exactly as to core modules; `baton call -f`; the same guests on Node
#      with jco (tests/app/orders_jco.mjs, config mapped to JavaScript)
#      print the same lines and result;
#   2. a component whose config interface has the wrong get-config type is
#      refused at load;
#   3. imports are checked before anything is compiled: an app whose
#      component imports `wasi:http/types` (a component, and a core module),
#      and `baton call` on such a component or core module (typed or
#      not), fail with the clear message
#      while the C compiler (CC, a script recording its invocations) is
#      never run and the cache stays empty; a good app does run it.
# Needs clang, node and tools/node_modules; their absence is a failure.
# Prints "N passed, M failed" last and exits non-zero on any failure.
set -u

B=${BATON_BIN:?BATON_BIN must name the baton executable}
S=${BATON_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN_DIR=$(cd "$(dirname "$B")" && pwd)
export PATH="$BIN_DIR:$PATH"
T=$(mktemp -d "${TMPDIR:-/tmp}/baton-app-comp.XXXXXX")
trap 'rm -rf "$T"' EXIT
unset BATON_MANIFEST BATON_VARIABLE_GREETING BATON_VARIABLE_TIMEOUT
export BATON_CACHE_DIR=$T/cache

passed=0
failed=0
rc=0 out="" err="" name=""
run() {
  "$@" >"$T/out" 2>"$T/err"
  rc=$?
  out=$(cat "$T/out")
  err=$(cat "$T/err")
}
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  printf 'FAIL %s: %s\n' "$name" "$1" >&2
  printf '  got rc=%s\n  stdout: %s\n  stderr: %s\n' "$rc" "$(head -c 3000 <<<"$out")" \
    "$(head -c 3000 <<<"$err")" >&2
}
t() {
  name=$1
  local want=$2
  shift 2
  run "$@"
  if [ "$rc" = "$want" ]; then pass; else fail "want exit status $want"; fi
}
out_is() { if [ "$out" = "$1" ]; then pass; else fail "want stdout: $1"; fi; }
out_has() { if [[ "$out" == *"$1"* ]]; then pass; else fail "want stdout containing: $1"; fi; }
err_has() { if [[ "$err" == *"$1"* ]]; then pass; else fail "want stderr containing: $1"; fi; }
last_out() { if [ "$(tail -n 1 <<<"$out")" = "$1" ]; then pass; else fail "want last stdout line: $1"; fi; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}

O=$T/orders
cp -r "$S/examples/orders" "$O"
rm -rf "$O/build"
cd "$O" || exit 1

# ---- building: the core modules (build.sh) and the same guests as components ----
name="build the core modules"
run baton build
if [ "$rc" = 0 ] && [ -f build/module1.wasm ] && [ -f build/module2.wasm ]; then pass; else fail "baton build"; fi
name="build the components"
mkdir -p comp
ok=1
for m in module1 module2; do
  if ! baton bindgen c --wit wit --world $m --out comp/gen >/dev/null 2>>"$T/build" ||
     ! clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -g0 -Wl,--strip-all -Icomp/gen \
         -o comp/$m.core.wasm $m.c comp/gen/$m.c 2>>"$T/build" ||
     ! node "$S/tests/component/wasi2-tools.mjs" new reactor comp/$m.core.wasm comp/$m.wasm wit $m 2>>"$T/build"; then
    ok=0
  fi
done
if [ $ok = 1 ] && head -c 8 comp/module1.wasm | od -An -tx1 | grep -q '0d 00 01 00'; then
  pass
else
  run cat "$T/build"
  fail "components not built (needs clang, node and tools/node_modules)"
  finish
fi
sed 's#build/module\([12]\)\.wasm#comp/module\1.wasm#' spin.toml >spin-comp.toml
# baton.toml: components carry their world, so no `wit`/`world`
sed -e 's#build/module\([12]\)\.wasm#comp/module\1.wasm#' -e '/^wit = /d' -e '/^world = /d' baton.toml >baton-comp.toml

R1='"order #1001 | module1: hello from module1 | module2: timeout=30 retries=3"'
G1='[module1] module1 received "order #1001", config message="hello from module1"'
G2='[module2] module2 received "order #1001 | module1: hello from module1", config timeout=30 retries=3'

# ---- 1. the seed's pipeline from spin.toml v1, components vs core modules ----
t "core modules: run -f spin.toml" 0 baton run -q -f spin.toml --input '"order #1001"'
core_out=$out
last_out "$R1"
t "components: run -f spin.toml" 0 baton run -f spin-comp.toml --input '"order #1001"'
last_out "$R1"
out_has "$G1"
out_has "$G2"
err_has "[pipeline] module2    ok"
t "components: same output as core modules" 0 baton run -q -f spin-comp.toml --input '"order #1001"'
if [ "$out" = "$core_out" ]; then pass; else fail "want the core-module output: $core_out"; fi
t "components: baton.toml with variables" 0 env BATON_VARIABLE_GREETING="hi there" baton run -q -f baton-comp.toml
last_out '"order #1001 | module1: hi there | module2: timeout=30 retries=3"'
out_has '[module1] module1 received "order #1001", config message="hi there"'
t "components: baton call -f, config" 0 baton call -f spin-comp.toml module2 handle-init '"x"'
last_out '"x | module2: timeout=30 retries=3"'
t "components: baton call -f baton.toml" 0 baton call -f baton-comp.toml module1 handle-init '"y"'
last_out '"y | module1: hello from module1"'

# the same components on Node (jco), config mapped to the same values
name="jco runs the same pipeline"
if node "$S/tests/app/orders_jco.mjs" comp 'order #1001' >"$T/jco" 2>"$T/jco.err"; then
  sed 's/^\[module[12]\] //' <<<"$core_out" >"$T/ours"
  if cmp -s "$T/ours" "$T/jco"; then pass; else run diff "$T/ours" "$T/jco"; fail "baton and jco differ"; fi
else
  run cat "$T/jco.err"
  fail "node orders_jco.mjs failed"
fi

# ---- 2. a config interface of the wrong type ----
cat >"$T/badcfg.wat" <<'WAT'
(component
  (import "example:orders/config@0.1.0" (instance
    (export "get-config" (func (param "key" string) (result string)))))
  (core module $m (func (export "f") (result i32) i32.const 1))
  (core instance $i (instantiate $m))
  (func $f (result u32) (canon lift (core func $i "f")))
  (export "handle-init" (func $f)))
WAT
node "$S/tests/component/wasm-tools.mjs" parse "$T/badcfg.wat" comp/badcfg.wasm
printf '[application]\nname = "bad"\n[component.bad]\nsource = "comp/badcfg.wasm"\n' >bad.toml
t "components: config of the wrong type" 2 baton run -f bad.toml --input '"x"'
err_has 'import `example:orders/config@0.1.0` is a config interface, but its get-config is `func(key: string) -> string`'

# ---- 3. imports checked before compiling ----
cat >"$T/cc.sh" <<EOF
#!/bin/sh
echo "\$*" >>"$T/cc.log"
exec cc "\$@"
EOF
chmod +x "$T/cc.sh"
# fresh N: a new cache directory and an empty compiler log
fresh() {
  export BATON_CACHE_DIR=$T/cache-$1
  rm -f "$T/cc.log"
}
# compiled_nothing: the compiler never ran and no object was cached
compiled_nothing() {
  if [ ! -s "$T/cc.log" ] && ! compgen -G "$BATON_CACHE_DIR/*.so" >/dev/null; then
    pass
  else
    fail "want no compiler run and no cached object (compiler log: $(cat "$T/cc.log" 2>/dev/null))"
  fi
}
cat >"$T/http.wat" <<'WAT'
(component
  (import "wasi:http/types@0.2.0" (instance (export "new-fields" (func (result u32)))))
  (core module $m (func (export "f") (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (func $f (result u32) (canon lift (core func $i "f")))
  (export "handle" (func $f)))
WAT
cat >"$T/http-core.wat" <<'WAT'
(module
  (import "wasi:http/types@0.2.0" "[method]fields.get" (func (param i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 64)
  (func (export "handle-init") (param i32 i32) (result i32) i32.const 0))
WAT
node "$S/tests/component/wasm-tools.mjs" parse "$T/http.wat" comp/http.wasm
wat2wasm "$T/http-core.wat" -o comp/http-core.wasm
printf '[application]\nname = "h"\n[component.orders]\nsource = "comp/module1.wasm"\n[component.h]\nsource = "comp/http.wasm"\n' >http.toml
printf '[application]\nname = "h"\n[component.m]\nsource = "comp/http-core.wasm"\nwit = "wit"\nworld = "module1"\n' >http-core.toml
export CC=$T/cc.sh
fresh 1
t "unprovided import: a component of an app" 2 baton run -f http.toml --input '"x"'
err_has 'http.toml:5:'
err_has 'component `h` imports `wasi:http/types@0.2.0`, which neither baton (it implements WASI 0.2.x cli, io, clocks, random and filesystem) nor a dependency provides'
compiled_nothing
fresh 2
t "unprovided import: baton call on a component" 2 baton call comp/http.wasm handle
err_has 'import `wasi:http/types@0.2.0` is not provided'
compiled_nothing
fresh 3
t "unprovided import: a core module of an app" 2 baton run -f http-core.toml --input '"x"'
err_has 'unresolved import wasi:http/types@0.2.0.[method]fields.get'
compiled_nothing
fresh 5
t "unprovided import: baton call on a core module" 2 baton call comp/http-core.wasm handle-init 1 2
err_has 'unresolved import wasi:http/types@0.2.0.[method]fields.get'
compiled_nothing
fresh 6
t "unprovided import: typed baton call on a core module" 2 baton call comp/http-core.wasm --wit wit --world module1 handle-init '"x"'
err_has 'unresolved import wasi:http/types@0.2.0.[method]fields.get'
compiled_nothing
sed '/wasi:http/d' "$T/http.wat" >"$T/good.wat"
node "$S/tests/component/wasm-tools.mjs" parse "$T/good.wat" comp/good.wasm
printf '[application]\nname = "g"\n[component.g]\nsource = "comp/good.wasm"\n' >good.toml
fresh 4
t "a good app compiles" 0 baton call -f good.toml g handle
last_out "0"
if [ -s "$T/cc.log" ] && compgen -G "$BATON_CACHE_DIR/*.so" >/dev/null; then pass; else fail "want the compiler run"; fi
unset CC

finish
