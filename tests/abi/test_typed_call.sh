#!/usr/bin/env bash
# tests/abi/test_typed_call.sh: typed `baton call` on a guest that was not
# built with baton's bindgen (abi_types.wasm, written by hand against the
# canonical ABI): with --wit/--world, and with the WIT embedded into the
# module by wasm-tools (`component embed`, through jco), where the world is
# read from the module's component-type section. Values are given and
# checked in WAVE; bad values and mismatched worlds must exit 2.
set -u
B="$BATON_BIN"; BUILD=$(dirname "$B"); G="$BATON_GUESTS"; SRC="$BATON_SOURCE_DIR"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
check() { local name="$1"; shift; if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $name"; fi; }
run() { out=$("$@" 2>"$T/err"); rc=$?; err=$(cat "$T/err"); }

"$BUILD/test_abi_calls" print-wit > "$T/abi.wit"
W="--wit $T/abi.wit --world types-guest"

run "$B" call "$G/abi_types.wasm" api#echo-person '{name: "ada", age: 36, tags: ["x", "y"], home: some({x: 1, y: -2})}' $W
check "record round trip" [ "$rc" = 0 -a "$out" = '{name: "ada", age: 36, tags: ["x", "y"], home: some({x: 1, y: -2})}' ]
run "$B" call "$G/abi_types.wasm" echo-shape 'rect({x: 3, y: 4})' $W
check "variant round trip" [ "$out" = 'rect({x: 3, y: 4})' ]
run "$B" call "$G/abi_types.wasm" flip-perms '{read, exec}' $W
check "flags" [ "$rc" = 0 -a -n "$out" ]
run "$B" call "$G/abi_types.wasm" echo-string '"héllo wörld"' $W
check "string" [ "$out" = '"héllo wörld"' ]
run "$B" call "$G/abi_types.wasm" sum17 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 $W
check "17 params spill (the guest weights a_i by i)" [ "$out" = 1785 ]
run "$B" call "$G/abi_types.wasm" make-result true $W
check "result of a record" [ "$rc" = 0 ] && check "result ok" [ "${out#ok(}" != "$out" ]
run "$B" call "$G/abi_types.wasm" echo-person '{"name": "bo", "age": 7, "tags": [], "home": null}' $W --json
check "json" [ "$out" = '{"name":"bo","age":7,"tags":[],"home":null}' ]
run "$B" call "$G/abi_types.wasm" echo-person '{name: "ada", age: 300, tags: [], home: none}' $W
check "bad value exits 2" [ "$rc" = 2 ]
check "bad value names the path" grep -q 'at .age' <<<"$err"
run "$B" call "$G/abi_types.wasm" bad-utf8 $W
check "invalid UTF-8 from the guest traps" [ "$rc" = 1 ]
check "abi trap message" grep -q 'canonical ABI' <<<"$err"
# A world whose export does not match the module: a load error naming both.
sed 's/echo-string: func(s: string) -> string;/echo-string: func(s: u32) -> string;/' "$T/abi.wit" > "$T/wrong.wit"
run "$B" call "$G/abi_types.wasm" echo-string 1 --wit "$T/wrong.wit" --world types-guest
check "mismatch exits 2" [ "$rc" = 2 ]
check "mismatch names both signatures" grep -q 'echo-string' <<<"$err"

# The same module with its WIT embedded by wasm-tools: no --wit needed.
node "$SRC/tests/component/wasm-tools.mjs" embed "$T/abi.wit" types-guest "$G/abi_types.wasm" "$T/embedded.wasm" >/dev/null 2>"$T/emb.err"
check "jco embed" [ -s "$T/embedded.wasm" ]
run "$B" call "$T/embedded.wasm" echo-shape 'named("tri")'
check "embedded world round trip" [ "$rc" = 0 -a "$out" = 'named("tri")' ]
run "$B" call "$T/embedded.wasm" echo-opt 'some("x")'
check "embedded option" [ "$out" = 'some("x")' ]
run "$B" wit "$T/embedded.wasm"
check "baton wit on the embedded module" grep -q 'export test:abi/api;' <<<"$out"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
