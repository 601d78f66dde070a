#!/bin/bash
# tests/component/build_guests.sh OUT_DIR: builds the component test guests
# (tests/component/guests/*.c) into OUT_DIR, for test_component_run.c and
# test_component_run.sh:
#   NAME.core.wasm      the core module (clang, wasm32-wasi reactor, no libc
#                       I/O so nothing imports WASI), with C bindings from
#                       `baton bindgen c`
#   NAME.embedded.wasm  the core module with its world embedded (a
#                       `component-type` section), as an app's core-module
#                       component
#   NAME.wasm           the component (`wasm-tools component new` as jco 1.35
#                       ships it; wit-component recognises `_initialize` and
#                       calls it from a start function)
#   NAME.wit            its WIT as wasm-tools prints it
# plus calc.wasm from tests/guests/component_calc.wat and every
# tests/component/wat/run/*.wat assembled with jco's `parse`.
# Environment: BATON_BIN (the baton binary), BATON_SOURCE_DIR. Exit status
# 0 when everything was built, 1 otherwise (the failures are printed).
set -u
OUT=$1
SRC=${BATON_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BATON=${BATON_BIN:-$SRC/build/baton}
TOOL=$SRC/tests/component/wasm-tools.mjs
HERE=$SRC/tests/component
mkdir -p "$OUT/gen"
status=0

# name : WIT file : world : C source (default NAME.c) : extra clang flag
guests="provider:svc:provider consumer:svc:consumer text_user:svc:text-user
text_provider:svc:text-provider:provider.c:-DTEXT_ONLY
text_user_warm:svc:text-user:text_user.c:-DWARM_CTOR
back:chain:back middle:chain:middle front:chain:front
world_types:worldtypes:world-types"
specs=()
for g in $guests; do
  IFS=: read -r name wit world src flag <<<"$g"
  src=${src:-$name.c}
  gen=$OUT/gen/$world
  if ! "$BATON" bindgen c --wit "$HERE/wit/$wit.wit" --world "$world" --out "$gen" >/dev/null 2>"$OUT/$name.err"; then
    echo "bindgen $name: $(cat "$OUT/$name.err")"
    status=1
    continue
  fi
  # shellcheck disable=SC2086
  if ! clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -g0 -Wl,--strip-all $flag \
      -I "$gen" "$HERE/guests/$src" "$gen"/*.c -o "$OUT/$name.core.wasm" 2>"$OUT/$name.err"; then
    echo "clang $name: $(cat "$OUT/$name.err")"
    status=1
    continue
  fi
  rm -f "$OUT/$name.err"
  specs+=("$name=$HERE/wit/$wit.wit:$world:$OUT/$name.core.wasm")
done
calc=$OUT/calc.core.wasm
if wat2wasm --enable-all "$SRC/tests/guests/component_calc.wat" -o "$calc" 2>"$OUT/calc.err"; then
  rm -f "$OUT/calc.err"
  specs+=("calc=$SRC/tests/component/wit/calc.wit:calc:$calc")
else
  echo "wat2wasm calc: $(cat "$OUT/calc.err")"
  status=1
fi
node "$TOOL" components "$OUT" "${specs[@]}" || status=1
for s in "${specs[@]}"; do
  name=${s%%=*}
  if [ -f "$OUT/$name.err" ]; then
    echo "component $name: $(cat "$OUT/$name.err")"
    status=1
  fi
done
if compgen -G "$HERE/wat/run/*.wat" >/dev/null; then
  node "$TOOL" parse-many "$OUT" "$HERE"/wat/run/*.wat || status=1
  for f in "$HERE"/wat/run/*.wat; do
    b=$(basename "$f" .wat)
    if [ -f "$OUT/$b.err" ]; then
      echo "parse $b: $(cat "$OUT/$b.err")"
      status=1
    fi
  done
fi
exit $status
