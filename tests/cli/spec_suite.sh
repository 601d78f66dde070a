#!/usr/bin/env bash
# The WebAssembly 2.0 core spec suite through `baton wast`, one shard of it:
# spec_suite.sh SHARD NSHARDS runs every NSHARDS-th script (sorted by name)
# starting at SHARD (0-based), so ctest can spread the suite over cores.
# Commands listed in wast-skip.txt are skipped, each with its reason there.
# Registered by CMakeLists.txt (not for the sanitizer build: too slow there).
set -euo pipefail
shard=${1:?shard} nshards=${2:?nshards}
here=$(cd "$(dirname "$0")" && pwd)
suite=${BATON_SPEC_DIR:-$BATON_SOURCE_DIR/../shared/data/wasm-testsuite}
if [ ! -d "$suite" ]; then
  echo "spec suite not found at $suite (shared/ must sit beside the checkout)" >&2
  exit 1
fi
files=()
i=0
for f in "$suite"/*.wast; do
  if [ $((i % nshards)) -eq "$shard" ]; then files+=("$f"); fi
  i=$((i + 1))
done
[ ${#files[@]} -gt 0 ] || { echo "no scripts in shard $shard" >&2; exit 1; }
exec "$BATON_BIN" wast -j 1 --skip "$here/wast-skip.txt" "${files[@]}"
