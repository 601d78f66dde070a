#!/bin/bash
# tests/component/test_component.sh: cross-checks baton's component reader
# and WIT decoder (src/component) against the reference implementation,
# wasm-tools (as shipped inside npm's @bytecodealliance/jco, under
# tools/node_modules), on real components that wasm-tools produces here.
#
#  1. WIT corpus (tests/wit/corpus/valid/*): for every world of every
#     entry, wasm-tools embeds the world into a dummy core module and makes
#     a component of it. Then:
#       - test_component parses the component;
#       - the WIT decoded from the component equals `wasm-tools component
#         wit` of it, byte for byte;
#       - the WIT decoded from the core module's `component-type` custom
#         section, printed as a component of that world would be (dropping
#         the imports a dummy module does not use), equals it as well;
#       - every interface decoded from the custom section prints exactly
#         like the same interface parsed from the WIT source (doc comments
#         and feature gates aside: the metadata does not carry them);
#       - every truncation prefix and every allocation failure of both
#         binaries yields an error, never a crash or a leak.
#  2. A real guest: tests/guests/component_calc.wat (built into
#     $BATON_GUESTS) embedded with tests/component/wit/calc.wit and turned
#     into a component: the same checks.
#  3. The components test_component builds by hand (`test_component
#     emit`): wasm-tools must accept them and print the same WIT.
#  4. Component text: tests/component/wat/valid/*.wat (among them a
#     pre-composed component with nested components) are assembled by
#     wasm-tools (`parse`); baton must accept them, and decode the same WIT
#     wasm-tools prints (or fail to decode when wasm-tools does); a first
#     line `;; wit-error: <text>` marks a valid component whose WIT cannot
#     be written, where baton's decoding must fail with <text>.
#     tests/component/wat/invalid/*.wat start with `;; error: <text>`:
#     baton must reject them with a message containing <text>, and
#     wasm-tools must reject them too unless the second line says
#     `;; wasm-tools: accepts` (features baton does not implement).
#
# Requirements: node, the jco package and wat2wasm. Their absence is a
# failure, not a skip. Environment: BATON_SOURCE_DIR (checkout),
# BATON_GUESTS (built guests), BATON_BUILD_DIR or BATON_BIN (the build
# directory is dirname of BATON_BIN).
set -u

SRC=${BATON_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -n "${BATON_BUILD_DIR:-}" ]; then
  BUILD=$BATON_BUILD_DIR
elif [ -n "${BATON_BIN:-}" ]; then
  BUILD=$(dirname "$BATON_BIN")
else
  BUILD=$SRC/build
fi
GUESTS=${BATON_GUESTS:-$BUILD/guests}
TC=$BUILD/test_component
TOOL=$SRC/tests/component/wasm-tools.mjs
CORPUS=$SRC/tests/wit/corpus/valid
WAT=$SRC/tests/component/wat

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

if [ ! -x "$TC" ]; then
  fail "test_component is not built at $TC"
  finish
fi
if ! command -v node >/dev/null 2>&1; then
  fail "node is not installed; this test needs node and tools/node_modules (npm --prefix tools ci)"
  finish
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if ! node "$TOOL" parse /dev/stdin "$TMP/probe.wasm" <<<'(component)' 2>"$TMP/err"; then
  fail "wasm-tools (jco) is not usable: $(cat "$TMP/err"); install it with: npm --prefix $SRC/tools ci"
  finish
fi

# Drops trailing blank lines.
trim() { sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$1"; }

# check_component NAME COMPONENT.wasm REFERENCE.wit
# Parses, decodes and stresses a component; compares its WIT.
check_component() {
  local name=$1 comp=$2 ref=$3
  if out=$("$TC" parse "$comp" 2>&1); then pass; else fail "$name: baton rejects it: $out"; return; fi
  "$TC" wit "$comp" >"$TMP/ours.wit" 2>&1
  if diff -u <(trim "$ref") <(trim "$TMP/ours.wit") >"$TMP/diff"; then
    pass
  else
    fail "$name: decoded WIT differs (- wasm-tools, + baton)"
    cat "$TMP/diff"
  fi
  if out=$("$TC" stress "$comp" 2>&1); then pass; else fail "$name: stress: $out"; fi
}

# check_metadata NAME CORE.wasm REFERENCE.wit WIT_PATH
# Decodes a core module's component-type section; compares the live world
# and every interface.
check_metadata() {
  local name=$1 core=$2 ref=$3 wit=$4
  "$TC" wit-live "$core" >"$TMP/live.wit" 2>&1
  if diff -u <(trim "$ref") <(trim "$TMP/live.wit") >"$TMP/diff"; then
    pass
  else
    fail "$name: WIT from the component-type section differs (- wasm-tools, + baton)"
    cat "$TMP/diff"
  fi
  if out=$("$TC" iface-check "$core" "$wit" 2>&1); then pass; else fail "$name: interfaces: $out"; fi
  if out=$("$TC" stress "$core" 2>&1); then pass; else fail "$name: stress: $out"; fi
}

# ---- 1. the WIT corpus ----
n=0
for entry in "$CORPUS"/*; do
  n=$((n + 1))
  name=$(basename "$entry")
  work=$TMP/c$n
  if ! worlds=$("$TC" worlds "$entry" 2>"$TMP/err"); then
    fail "corpus/$name: cannot list worlds: $(cat "$TMP/err")"
    continue
  fi
  # shellcheck disable=SC2086
  node "$TOOL" worlds "$work" "$entry" $worlds
  for w in $worlds; do
    f=${w#%}
    if [ -f "$work/$f.err" ]; then
      fail "corpus/$name world $w: wasm-tools failed: $(cat "$work/$f.err")"
      continue
    fi
    check_component "corpus/$name world $w" "$work/$f.wasm" "$work/$f.wit"
    check_metadata "corpus/$name world $w" "$work/$f.core.wasm" "$work/$f.wit" "$entry"
  done
done

# ---- 2. a real guest ----
calc=$GUESTS/component_calc.wasm
if [ ! -f "$calc" ]; then
  if command -v wat2wasm >/dev/null 2>&1; then
    calc=$TMP/component_calc.wasm
    wat2wasm --enable-all "$SRC/tests/guests/component_calc.wat" -o "$calc"
  else
    fail "component_calc.wasm is not built and wat2wasm is missing"
  fi
fi
if [ -f "$calc" ]; then
  node "$TOOL" components "$TMP/calc" "calc=$SRC/tests/component/wit/calc.wit:calc:$calc"
  if [ -f "$TMP/calc/calc.err" ]; then
    fail "guest calc: wasm-tools failed: $(cat "$TMP/calc/calc.err")"
  else
    check_component "guest calc" "$TMP/calc/calc.wasm" "$TMP/calc/calc.wit"
    check_metadata "guest calc" "$TMP/calc/calc.embedded.wasm" "$TMP/calc/calc.wit" \
      "$SRC/tests/component/wit/calc.wit"
  fi
fi

# ---- 3. hand-built components ----
mkdir -p "$TMP/emit"
if out=$(BATON_GUESTS=$GUESTS "$TC" emit "$TMP/emit" 2>&1); then
  for f in "$TMP/emit"/*.wasm; do
    if node "$TOOL" wit "$f" >"$TMP/ref.wit" 2>"$TMP/err"; then
      check_component "hand-built $(basename "$f")" "$f" "$TMP/ref.wit"
    else
      fail "hand-built $(basename "$f"): wasm-tools rejects it: $(cat "$TMP/err")"
    fi
  done
else
  fail "test_component emit: $out"
fi

# ---- 4. component text ----
node "$TOOL" parse-many "$TMP/valid" "$WAT"/valid/*.wat
for src in "$WAT"/valid/*.wat; do
  base=$(basename "$src" .wat)
  bin=$TMP/valid/$base.wasm
  if [ ! -f "$bin" ]; then
    fail "wat/valid/$base: wasm-tools cannot assemble it: $(cat "$TMP/valid/$base.err")"
    continue
  fi
  wit_error=$(sed -n '1s|^;; wit-error: ||p' "$src")
  if [ -n "$wit_error" ]; then
    # Valid, but its WIT cannot be written: baton must say why.
    if out=$("$TC" parse "$bin" 2>&1); then pass; else fail "wat/valid/$base: baton rejects it: $out"; fi
    out=$("$TC" wit "$bin" 2>&1)
    if [[ "$out" == *"$wit_error"* ]]; then pass; else fail "wat/valid/$base: expected WIT error \"$wit_error\", got: $out"; fi
    if out=$("$TC" stress "$bin" 2>&1); then pass; else fail "wat/valid/$base: stress: $out"; fi
  elif node "$TOOL" wit "$bin" >"$TMP/ref.wit" 2>"$TMP/err"; then
    check_component "wat/valid/$base" "$bin" "$TMP/ref.wit"
  elif grep -q 'Failed to decode wit' "$TMP/err" && ! grep -q 'offset 0x' "$TMP/err"; then
    # Valid, but not expressible in WIT: baton must agree on both counts.
    if out=$("$TC" parse "$bin" 2>&1); then pass; else fail "wat/valid/$base: baton rejects it: $out"; fi
    if "$TC" wit "$bin" >/dev/null 2>&1; then
      fail "wat/valid/$base: wasm-tools cannot decode its WIT ($(tail -n 1 "$TMP/err")) but baton can"
    else
      pass
    fi
    if out=$("$TC" stress "$bin" 2>&1); then pass; else fail "wat/valid/$base: stress: $out"; fi
  else
    fail "wat/valid/$base: wasm-tools rejects it: $(cat "$TMP/err")"
  fi
done

node "$TOOL" parse-many "$TMP/invalid" "$WAT"/invalid/*.wat
for src in "$WAT"/invalid/*.wat; do
  base=$(basename "$src" .wat)
  bin=$TMP/invalid/$base.wasm
  expected=$(sed -n '1s|^;; error: ||p' "$src")
  if [ -z "$expected" ]; then
    fail "wat/invalid/$base: first line must be \`;; error: <expected text>\`"
    continue
  fi
  if [ ! -f "$bin" ]; then
    fail "wat/invalid/$base: wasm-tools cannot assemble it: $(cat "$TMP/invalid/$base.err")"
    continue
  fi
  out=$("$TC" parse "$bin" 2>&1)
  rc=$?
  if [ $rc -ne 1 ]; then
    fail "wat/invalid/$base: expected an error, got exit status $rc: $out"
  elif [[ "$out" != *"$expected"* ]]; then
    fail "wat/invalid/$base: error does not contain \"$expected\": $out"
  else
    pass
  fi
  if sed -n '2p' "$src" | grep -q 'wasm-tools: accepts'; then
    want=accept
  else
    want=reject
  fi
  if node "$TOOL" wit "$bin" >/dev/null 2>"$TMP/err"; then got=accept; else got=reject; fi
  if [ "$got" == "$want" ]; then
    pass
  else
    fail "wat/invalid/$base: wasm-tools ${got}s it, expected it to ${want} it: $(cat "$TMP/err")"
  fi
done

finish
