#!/usr/bin/env bash
# scripts/fuzz_smoke.sh: runs every libFuzzer target under fuzz/ for a short
# time (FUZZ_SECONDS, default 30), FUZZ_JOBS (default 2) at a time, each on a
# scratch copy of its seed corpus, and fails if any target finds a crash,
# leak or sanitizer report. Usage: fuzz_smoke.sh BUILD_DIR (built by
# `make fuzz`). Seeds come from the tree: .wasm built from tests/guests/*.wat
# (fuzz_wasm, fuzz_component), the TOML manifests (fuzz_toml,
# fuzz_manifest), tests/wit/corpus (fuzz_wit); the other targets start from
# an empty corpus. Nothing is written into the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz_smoke.sh BUILD_DIR}
secs=${FUZZ_SECONDS:-30}
jobs=${FUZZ_JOBS:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/baton-fuzz-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Seed corpora: one directory per target, filled from files in the tree.
seed() { # target files...
  local dir=$work/corpus/$1
  shift
  mkdir -p "$dir"
  local f
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/$(echo "$f" | tr / _)"; done
  return 0
}
mkdir -p "$work/wasm"
if command -v wat2wasm >/dev/null; then
  for w in tests/guests/*.wat; do
    grep -q -- --no-check "$w" && continue
    wat2wasm --enable-all "$w" -o "$work/wasm/$(basename "${w%.wat}").wasm" 2>/dev/null || true
  done
fi
shopt -s nullglob
seed fuzz_wasm "$work"/wasm/*.wasm
seed fuzz_component "$work"/wasm/*.wasm
mapfile -t tomls < <(find examples tests/manifest -name '*.toml' 2>/dev/null)
seed fuzz_toml "${tomls[@]}"
seed fuzz_manifest "${tomls[@]}"
mapfile -t wits < <(find tests/wit/corpus -type f 2>/dev/null)
seed fuzz_wit "${wits[@]}"

targets=()
for src in fuzz/fuzz_*.c; do
  name=$(basename "${src%.c}")
  [ -x "$build/$name" ] || { echo "fuzz-smoke: $build/$name is missing (run make fuzz)" >&2; exit 2; }
  mkdir -p "$work/corpus/$name"
  targets+=("$name")
done

# Runs one target; its log is printed only when it fails.
run_one() {
  local name=$1 log=$work/$1.log
  mkdir -p "$work/art/$name"
  if ASAN_OPTIONS=detect_leaks=1 "$build/$name" -max_total_time="$secs" -timeout=20 \
       -rss_limit_mb=2048 -artifact_prefix="$work/art/$name/" "$work/corpus/$name" >"$log" 2>&1; then
    echo "fuzz-smoke: $name ok ($(grep -o 'Done [0-9]* runs' "$log" | tail -1 || true))"
  else
    echo "fuzz-smoke: $name FAILED; last lines of its log:" >&2
    tail -40 "$log" >&2
    return 1
  fi
}

fail=0
running=0
for name in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || fail=1
    running=$((running - 1))
  fi
  run_one "$name" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || fail=1
  running=$((running - 1))
done
[ "$fail" = 0 ] || { echo "fuzz-smoke: a target failed" >&2; exit 1; }
echo "fuzz-smoke: ${#targets[@]} targets ran ${secs}s each without a finding"
