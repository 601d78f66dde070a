#!/bin/bash
# tests/wit/test_wit_xcheck.sh: cross-checks baton's WIT front end against the
# reference implementation, wasm-tools (as shipped inside npm's
# @bytecodealliance/jco, installed under tools/node_modules).
#
# For every valid corpus entry (tests/wit/corpus/valid/*: a package directory
# with optional deps/, or a single .wit file) and every world of its main
# package:
#   1. world: baton's printing of the world (`test_wit print-world`) equals
#      the WIT wasm-tools prints for a component built from a dummy module
#      targeting that world (`wasm-tools.mjs worlds-wit`);
#   2. round trip: baton's normalized printing of all packages (`test_wit
#      print`) is accepted by wasm-tools, and the component world wasm-tools
#      derives from it equals the one derived from the original source.
# For every invalid corpus entry (tests/wit/corpus/invalid/*.wit or a
# directory; the first line is `// error: <expected text>`):
#   3. baton rejects it with a message containing the expected text;
#   4. wasm-tools rejects it too, unless the second line says
#      `// wasm-tools: accepts` (constructs baton deliberately rejects).
#
# For every unencodable corpus entry (tests/wit/corpus/unencodable/*: WIT
# that parses but that no component can carry, such as records without
# fields, so it defines no world):
#   5. baton accepts and prints it, and wasm-tools accepts both the original
#      and baton's printing.
#
# Normalization before comparing worlds (see docs/wit.md): lines holding only
# doc comments (`///`) or feature gates (`@since`, `@unstable`,
# `@deprecated`) are dropped, because a component does not carry them, and
# trailing blank lines are ignored. test_wit's print-world mode also drops
# imported interfaces that a component made from a dummy module would not
# import (liveness), as wasm-tools does.
#
# Requirements: node and the jco package. Their absence is a failure, not a
# skip. Environment: BATON_SOURCE_DIR (checkout), BATON_BUILD_DIR or
# BATON_BIN (the build directory is dirname of BATON_BIN).
set -u

SRC=${BATON_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -n "${BATON_BUILD_DIR:-}" ]; then
  BUILD=$BATON_BUILD_DIR
elif [ -n "${BATON_BIN:-}" ]; then
  BUILD=$(dirname "$BATON_BIN")
else
  BUILD=$SRC/build
fi
TW=$BUILD/test_wit
TOOL=$SRC/tests/wit/wasm-tools.mjs
CORPUS=$SRC/tests/wit/corpus

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

if [ ! -x "$TW" ]; then
  fail "test_wit is not built at $TW"
  finish
fi
if ! command -v node >/dev/null 2>&1; then
  fail "node is not installed; the cross-check needs node and tools/node_modules (npm --prefix tools ci)"
  finish
fi
if ! node "$TOOL" validate "$CORPUS/valid/01-primitives" >/dev/null; then
  fail "wasm-tools (jco) is not usable; install it with: npm --prefix $SRC/tools ci"
  finish
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Drops doc and feature-gate lines and trailing blank lines.
normalize() {
  grep -vE '^[[:space:]]*(///|@since\(|@unstable\(|@deprecated\()' "$1" |
    sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}

n=0
for entry in "$CORPUS"/valid/*; do
  n=$((n + 1))
  name=$(basename "$entry")
  work=$TMP/v$n
  mkdir -p "$work/ours" "$work/ref" "$work/rt"
  if ! worlds=$("$TW" worlds "$entry" 2>"$work/err"); then
    fail "valid/$name: baton rejects it: $(cat "$work/err")"
    continue
  fi
  if [ -z "$worlds" ]; then
    fail "valid/$name: the main package has no world to compare"
    continue
  fi
  # shellcheck disable=SC2086
  node "$TOOL" worlds-wit "$work/ref" "$entry" $worlds
  if ! "$TW" print "$entry" >"$work/printed.wit" 2>"$work/err"; then
    fail "valid/$name: printing failed: $(cat "$work/err")"
    continue
  fi
  # shellcheck disable=SC2086
  node "$TOOL" worlds-wit "$work/rt" "$work/printed.wit" $worlds
  for w in $worlds; do
    f=${w#%}
    if [ -f "$work/ref/$f.err" ]; then
      fail "valid/$name world $w: wasm-tools rejects it: $(cat "$work/ref/$f.err")"
      continue
    fi
    "$TW" print-world "$entry" "$w" >"$work/ours/$f.wit" 2>&1
    if diff -u <(normalize "$work/ref/$f.wit") <(normalize "$work/ours/$f.wit") >"$work/diff"; then
      pass
    else
      fail "valid/$name world $w: baton's world differs from wasm-tools' (- wasm-tools, + baton)"
      cat "$work/diff"
    fi
    if [ -f "$work/rt/$f.err" ]; then
      fail "valid/$name world $w: wasm-tools rejects baton's printed WIT: $(cat "$work/rt/$f.err")"
    elif diff -u <(normalize "$work/ref/$f.wit") <(normalize "$work/rt/$f.wit") >"$work/diff"; then
      pass
    else
      fail "valid/$name world $w: printed WIT changes the world (- original, + reprinted)"
      cat "$work/diff"
    fi
  done
done

accepts=()
rejects=()
for entry in "$CORPUS"/invalid/*; do
  name=$(basename "$entry")
  if [ -d "$entry" ]; then
    first=$(find "$entry" -maxdepth 1 -name '*.wit' | LC_ALL=C sort | head -n 1)
  else
    first=$entry
  fi
  expected=$(sed -n '1s|^// error: ||p' "$first")
  if [ -z "$expected" ]; then
    fail "invalid/$name: first line must be \`// error: <expected text>\`"
    continue
  fi
  out=$("$TW" check "$entry" 2>&1)
  rc=$?
  if [ $rc -ne 1 ]; then
    fail "invalid/$name: expected an error, got exit status $rc: $out"
  elif [[ "$out" != *"$expected"* ]]; then
    fail "invalid/$name: error does not contain \"$expected\":"
    echo "$out"
  else
    pass
  fi
  if sed -n '2p' "$first" | grep -q 'wasm-tools: accepts'; then
    accepts+=("$entry")
  else
    rejects+=("$entry")
  fi
done

# wasm-tools must agree that the inputs are invalid (or valid, for the
# constructs baton rejects on purpose).
while read -r status path rest; do
  path=${path%:}
  want=error
  for a in "${accepts[@]}"; do [ "$a" == "$path" ] && want=ok; done
  if [ "$status" == "$want" ]; then
    pass
  else
    fail "invalid/$(basename "$path"): wasm-tools says \"$status${rest:+ $rest}\", expected $want"
  fi
done < <(node "$TOOL" validate-many "${rejects[@]}" "${accepts[@]}")

# Unencodable entries: accepted by both, before and after baton prints them.
unenc=()
for entry in "$CORPUS"/unencodable/*; do
  [ -e "$entry" ] || continue
  name=$(basename "$entry")
  out=$TMP/unenc-${name%.wit}.wit
  if ! "$TW" print "$entry" >"$out" 2>"$TMP/err"; then
    fail "unencodable/$name: baton rejects it: $(cat "$TMP/err")"
    continue
  fi
  pass
  unenc+=("$entry" "$out")
done
if [ ${#unenc[@]} -gt 0 ]; then
  while read -r status path rest; do
    if [ "$status" == ok ]; then
      pass
    else
      fail "unencodable: wasm-tools rejects ${path%:}: $rest"
    fi
  done < <(node "$TOOL" validate-many "${unenc[@]}")
fi

finish
