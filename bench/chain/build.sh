#!/usr/bin/env bash
# bench/chain/build.sh BUILD_DIR: builds the three chain components of
# bench/chain.sh into BUILD_DIR/chain, the way tests/component/build_guests.sh
# builds the component test guests: `baton bindgen c` bindings, clang
# (wasm32-wasi reactor, -O2), then jco's componentEmbed + componentNew
# through tests/component/wasm-tools.mjs; then `jco transpile` of each, with
# --map wiring chain_b's import to chain_c and chain_a's to chain_b (as
# tests/component/crosscheck.mjs composes on Node). Outputs:
#   BUILD_DIR/chain/chain_{a,b,c}.wasm   the components
#   BUILD_DIR/chain/js/chain_X/chain_X.js the transpiled modules
# Rebuilds only when a source is newer than its outputs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "${1:-build}" && pwd)
OUT=$BUILD/chain
SRC=$ROOT/bench/chain
TOOL=$ROOT/tests/component/wasm-tools.mjs
JCO=${BATON_NODE_MODULES:-$ROOT/tools/node_modules}/.bin/jco
mkdir -p "$OUT/gen" "$OUT/js"

stale() { # stale OUTPUT INPUT...: true when OUTPUT is missing or older
  local o=$1; shift
  [ -e "$o" ] || return 0
  for i in "$@"; do [ "$i" -nt "$o" ] && return 0; done
  return 1
}

specs=()
for x in a b c; do
  name=chain_$x world=chain-$x gen=$OUT/gen/chain-$x
  if stale "$OUT/$name.wasm" "$SRC/chain.wit" "$SRC/$name.c" "$BUILD/baton" "$0"; then
    "$BUILD/baton" bindgen c --wit "$SRC/chain.wit" --world "$world" --out "$gen" >/dev/null
    clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -g0 -Wl,--strip-all \
      -I "$gen" "$SRC/$name.c" "$gen"/*.c -o "$OUT/$name.core.wasm"
    specs+=("$name=$SRC/chain.wit:$world:$OUT/$name.core.wasm")
    rm -rf "$OUT/js"/chain_*
  fi
done
if [ ${#specs[@]} -gt 0 ]; then
  rm -f "$OUT"/chain_?.err
  node "$TOOL" components "$OUT" "${specs[@]}" || true # failures leave NAME.err
  for s in "${specs[@]}"; do
    name=${s%%=*}
    if [ -f "$OUT/$name.err" ] || [ ! -f "$OUT/$name.wasm" ]; then
      echo "bench/chain/build.sh: component $name: $(cat "$OUT/$name.err" 2>/dev/null)" >&2
      exit 1
    fi
  done
fi
# jco transpile, providers first; the --map targets are relative to the
# importing module's directory.
imp='bench:chain/stage@0.1.0'
transpile() { # transpile NAME [PROVIDER]
  local name=$1 dep=${2:-} maps=()
  [ -f "$OUT/js/$name/$name.js" ] && return 0
  [ -n "$dep" ] && maps=(--map "$imp=../$dep/$dep.js#stage")
  "$JCO" transpile "$OUT/$name.wasm" -o "$OUT/js/$name" --name "$name" --quiet "${maps[@]}"
  # the same component for instantiating on demand (fresh-instance cost)
  "$JCO" transpile "$OUT/$name.wasm" -o "$OUT/js/$name-inst" --name "$name" --quiet --instantiation sync
}
transpile chain_c
transpile chain_b chain_c
transpile chain_a chain_b
