#!/usr/bin/env bash
# scripts/demo.sh: the `make demo` tour of baton. Builds the guest
# examples/hello/hello.c into BUILD/examples/hello.wasm with clang for
# wasm32-wasi, then shows `baton inspect`, a call with guest output and a
# result, a trap reported cleanly, a deadline stopping an infinite loop, and
# the per-instance cost with --repeat; then builds and runs the app
# examples/order-processing in a temporary copy: the ok path, then the
# failing order whose saga compensation runs. Needs only `make build` (the
# CLI in BUILD/baton), not the test build.
#
# Usage: bash scripts/demo.sh [BUILD]   (BUILD defaults to "build")
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-build}
BATON_EXE=$BUILD/baton
WASM=$BUILD/examples/hello.wasm

bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ -x "$BATON_EXE" ] || die "$BATON_EXE not found; run \`make build\` first"
command -v clang >/dev/null || die "clang not found; run \`make deps\`"
[ -d /usr/lib/wasm32-wasi ] || die "wasi-libc not found in /usr/lib/wasm32-wasi; run \`make deps\`"

# step TITLE EXPECTED-STATUS BATON-ARGS...: shows the command, runs it and
# checks its exit status, so the demo also fails loudly if baton misbehaves.
step() {
  local title=$1 want=$2
  shift 2
  echo
  bold "== $title"
  local a shown="\$ baton"
  for a in "$@"; do # quote what the shell would need quoted
    if [[ $a =~ ^[A-Za-z0-9_./=:@%+-]+$ ]]; then shown+=" $a"; else shown+=" '$a'"; fi
  done
  echo "$shown"
  "$BATON_EXE" "$@" 2>&1 # one stream, so messages stay in order when piped
  local rc=$?
  [ "$rc" -ne 0 ] && echo "(exit status $rc)"
  [ "$rc" -eq "$want" ] || die "expected exit status $want from: baton $*"
}

bold "== Building the guest: examples/hello/hello.c -> $WASM"
mkdir -p "$BUILD/examples"
# --strip-debug drops the debug info wasi-libc's objects carry.
CFLAGS=(--target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -Wl,--strip-debug)
echo "\$ clang ${CFLAGS[*]} examples/hello/hello.c -o $WASM"
clang "${CFLAGS[@]}" examples/hello/hello.c -o "$WASM" || die "clang failed to build the guest"
echo "($(stat -c %s "$WASM") bytes of WebAssembly)"

step "What is inside: imports (WASI), exports, memory, custom sections" 0 inspect "$WASM"
step "Compile ahead of time (wasm2c + cc); a second run finds it in the cache" 0 compile "$WASM"
step "Call an export: the guest prints through WASI, baton prints the result" 0 call "$WASM" greet 3
step "A 64-bit result" 0 call "$WASM" fib 90
step "A guest fault is a clean trap (exit 1), never a crash" 1 call "$WASM" divide 1 0
step "A deadline stops an infinite loop" 1 call "$WASM" spin --timeout 200
step "A fresh instance per call is cheap: 10000 instantiate+call cycles" 0 call "$WASM" fib 40 --repeat 10000

# ---- an app: examples/order-processing, a typed flow with a saga ----
# Built in a temporary copy, so the checkout stays clean; `baton build` runs
# each component's build command (baton bindgen c + clang), then compiles.
APP=$(mktemp -d "${TMPDIR:-/tmp}/baton-demo.XXXXXX")
trap 'rm -rf "$APP"' EXIT
cp -r examples/order-processing "$APP/"
rm -rf "$APP/order-processing/build"
BATON_ABS=$(cd "$(dirname "$BATON_EXE")" && pwd)/baton
cd "$APP/order-processing" || die "cannot enter $APP/order-processing"
BATON_EXE=$BATON_ABS
PATH="$(dirname "$BATON_ABS"):$PATH" # build.sh runs `baton bindgen`
export PATH

echo
bold "== An app: examples/order-processing (validate -> price -> reserve -> confirm, see its README.md)"
step "Build its four C guests and compile them" 0 build
step "The flow as a graph (Graphviz DOT): routes, retry, compensation" 0 graph
step "Run it: validate routes ok, reserve is retried, confirm succeeds" 0 run
step "Trudy's order: confirm traps, the reservation is compensated (released)" 1 \
  run --input '{id: "A-105", customer: "trudy", lines: [{sku: "book", qty: 1}]}'

echo
bold "Done. Try: $BATON_EXE help"
