#!/bin/bash
# tests/wit/test_wit_binary.sh: WIT in binary form, cross-checked against
# wasm-tools (jco, through tests/wit/wasm-tools.mjs):
#   1. deps/<name>.wasm, a WIT package encoded as a component, resolves like
#      the same package as deps/<name>.wit: baton prints both directories
#      identically, its world printing equals the world wasm-tools builds
#      from the directory with the .wasm dependency, and wasm-tools accepts
#      baton's printing. The package includes an `async func` method, which
#      the component reader keeps (and the printer shows), and map, stream,
#      future and error-context types. `baton wit` on the .wasm prints the
#      package as its source prints (jco's wasm-tools cannot print package
#      binaries: it panics with "Unexpected wit package").
#   2. deps/<name>.wat is refused with a message naming the file and the
#      `wasm-tools parse` alternative; an ordinary component or a broken
#      file in deps/ is refused naming the file.
#   3. Components with async functions or map types: `baton wit` prints them
#      as wasm-tools does, and `baton call` refuses them, naming the
#      function (and the type); so do typed calls on a core module given
#      such a world with --wit.
#
# Requirements: node and the jco package (tools/node_modules); their absence
# is a failure, not a skip. Environment as test_wit_xcheck.sh.
set -u
SRC=${BATON_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -n "${BATON_BUILD_DIR:-}" ]; then
  BUILD=$BATON_BUILD_DIR
elif [ -n "${BATON_BIN:-}" ]; then
  BUILD=$(dirname "$BATON_BIN")
else
  BUILD=$SRC/build
fi
BUILD=$(cd "$BUILD" 2>/dev/null && pwd || echo "$BUILD")
TW=$BUILD/test_wit
B=${BATON_BIN:-$BUILD/baton}
TOOL=$SRC/tests/wit/wasm-tools.mjs

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL $*"
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}
# expect_err NAME TEXT CMD...: CMD fails and its stderr contains TEXT.
expect_err() {
  local name=$1 text=$2
  shift 2
  local out
  out=$("$@" 2>&1)
  local rc=$?
  if [ $rc -eq 0 ]; then
    fail "$name: expected a failure, got success: $out"
  elif [[ "$out" != *"$text"* ]]; then
    fail "$name: message lacks \"$text\": $out"
  else
    pass
  fi
}

for f in "$TW" "$B"; do
  [ -x "$f" ] || { fail "$f is not built"; finish; }
done
command -v node >/dev/null 2>&1 || { fail "node is not installed"; finish; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

# ---- 1. deps/*.wasm ----
mkdir -p pkg text/deps bin/deps
cat >pkg/dep.wit <<'WIT'
package dep:pkg@1.0.0;

interface types {
  record point { x: s32, y: s32 }
  enum color { red, green }
  resource canvas {
    constructor(w: u32);
    draw: func(p: point, c: color);
    size: async func() -> tuple<u32, u32>;
  }
  area: func(a: point, b: point) -> u64;
  events: func() -> stream<point>;
  table: func(t: map<string, point>) -> future<result<_, error-context>>;
}

world everything {
  import types;
  export types;
}
WIT
cat >text/app.wit <<'WIT'
package app:main;

interface shapes {
  use dep:pkg/types@1.0.0.{point, canvas};
  longest: func(ps: list<point>) -> option<point>;
  paint: func(c: borrow<canvas>);
}

world app {
  import dep:pkg/types@1.0.0;
  import shapes;
  export run: func() -> u32;
}
WIT
cp text/app.wit bin/app.wit
cp pkg/dep.wit text/deps/dep.wit
if ! node "$TOOL" package-wasm pkg/dep.wit everything bin/deps/dep.wasm; then
  fail "wasm-tools could not encode the dependency package"
  finish
fi
if ! "$TW" print bin >bin.wit 2>err; then
  fail "baton rejects deps/dep.wasm: $(cat err)"
else
  pass
  "$TW" print text >text.wit 2>&1
  if diff -u text.wit bin.wit; then pass; else fail "deps/dep.wasm prints differently from deps/dep.wit"; fi
  grep -q 'size: async func() -> tuple<u32, u32>;' bin.wit && pass || fail "the async method is lost"
  grep -q 'table: func(t: map<string, point>) -> future<result<_, error-context>>;' bin.wit && pass ||
    fail "map/future/error-context are lost"
  "$TW" print-world bin app >ours.wit 2>&1
  if node "$TOOL" world-wit bin app >ref.wit 2>err; then
    if diff -u ref.wit ours.wit; then pass; else fail "world app differs from wasm-tools' (- wasm-tools, + baton)"; fi
  else
    fail "wasm-tools rejects the directory with deps/dep.wasm: $(cat err)"
  fi
  if node "$TOOL" validate bin.wit >/dev/null 2>err; then pass; else fail "wasm-tools rejects baton's printing: $(cat err)"; fi
fi
# `baton wit` on the package binary prints the package, like its source.
"$TW" print pkg/dep.wit >pkg-text.wit 2>&1
if "$B" wit bin/deps/dep.wasm >pkg-bin.wit 2>&1 && diff -u pkg-text.wit pkg-bin.wit; then
  pass
else
  fail "baton wit on the package binary differs from the package source (- source, + binary)"
fi

# ---- 2. what deps/ cannot hold ----
mkdir -p wat/deps comp/deps junk/deps
cp text/app.wit wat/app.wit
printf '(component)\n' >wat/deps/dep.wat
expect_err "deps .wat" "wat/deps/dep.wat: unsupported: WIT packages in WebAssembly text form; convert it with \`wasm-tools parse wat/deps/dep.wat -o wat/deps/dep.wasm\`" \
  "$TW" check wat
cp text/app.wit comp/app.wit
node "$TOOL" embed-dummy pkg/dep.wit everything core.wasm && node "$TOOL" new core.wasm comp/deps/dep.wasm
expect_err "deps ordinary component" "comp/deps/dep.wasm: not a WIT package encoded as a component" "$TW" check comp
cp text/app.wit junk/app.wit
printf '\0asm\x0d\0\x01\0\x99' >junk/deps/dep.wasm
expect_err "deps broken binary" "junk/deps/dep.wasm: cannot decode the WIT package" "$TW" check junk

# ---- 3. async functions in a component ----
cat >async.wit <<'WIT'
package t:a;

world w {
  import log: async func(msg: string);
  export h: func() -> u32;
  export g: async func(y: string) -> u32;
}
WIT
cat >async-export.wit <<'WIT'
package t:b;

world w {
  export h: func() -> u32;
  export g: async func(y: string) -> u32;
}
WIT
cat >map.wit <<'WIT'
package t:c;

world w {
  import g: func(s: stream, e: error-context) -> stream<future<u8>>;
  export h: func() -> u32;
  export m: func(x: map<string, u32>) -> u32;
}
WIT
cat >map-export.wit <<'WIT'
package t:d;

world w {
  export h: func() -> u32;
  export m: func(x: map<string, u32>) -> u32;
}
WIT
node "$TOOL" embed-dummy async.wit w a.core && node "$TOOL" new a.core async.wasm
node "$TOOL" embed-dummy map.wit w c.core && node "$TOOL" new c.core map.wasm
node "$TOOL" embed-dummy map-export.wit w d.core && node "$TOOL" new d.core map-export.wasm
node "$TOOL" embed-dummy async-export.wit w b.core && node "$TOOL" new b.core async-export.wasm
if node "$TOOL" wit async.wasm >ref-async.wit && "$B" wit async.wasm >ours-async.wit 2>&1 &&
  diff -u ref-async.wit ours-async.wit; then
  pass
else
  fail "baton wit async.wasm differs from wasm-tools (- wasm-tools, + baton)"
fi
for comp in map map-export; do
  if node "$TOOL" wit $comp.wasm >ref-$comp.wit && "$B" wit $comp.wasm >ours-$comp.wit 2>&1 &&
    diff -u ref-$comp.wit ours-$comp.wit; then
    pass
  else
    fail "baton wit $comp.wasm differs from wasm-tools (- wasm-tools, + baton)"
  fi
done
expect_err "stream import refused" "canon lower: function \`g\`: stream: component-model async types are not supported by baton's canonical ABI" \
  "$B" call map.wasm h
expect_err "map export refused" "function \`m\`: map<string, u32>: maps are not supported by baton's canonical ABI" \
  "$B" call map-export.wasm h
expect_err "async import refused" "function \`log\` is async (component-model async), which baton does not run" \
  "$B" call async.wasm h
expect_err "async export refused" "function \`g\` is async (component-model async), which baton does not run" \
  "$B" call async-export.wasm h

# Typed calls on a core module (--wit): refused by name, not run.
cat >core.wat <<'WAT'
(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "f") (param i32 i32) (result i32) local.get 1)
  (func (export "g") (result i32) i32.const 7))
WAT
if command -v wat2wasm >/dev/null 2>&1 && wat2wasm core.wat -o core.wasm; then
  printf 'package t:e;\nworld w {\n  export g: async func() -> u32;\n}\n' >core-async.wit
  printf 'package t:f;\nworld w {\n  export f: func(m: map<string, u32>) -> u32;\n}\n' >core-map.wit
  expect_err "typed async call refused" "export \"g\": \`g\` is an async function (component-model async), which baton does not run" \
    "$B" call core.wasm g --wit core-async.wit --world w
  expect_err "typed map call refused" "export \"f\", parameter m: map<string, u32>: maps are not supported by baton's canonical ABI" \
    "$B" call core.wasm f '[("a", 1)]' --wit core-map.wit --world w
else
  fail "wat2wasm could not build the core module"
fi

finish
