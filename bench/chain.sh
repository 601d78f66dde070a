#!/usr/bin/env bash
# bench/chain.sh: the three-component chain benchmark (section (f) of
# docs/PERFORMANCE.md; bench/run.sh runs it as one of its sections).
#
# Usage: bash bench/chain.sh [BUILD_DIR]   (default: build)
#
# Builds bench_chain and baton (cmake --build), the components
# chain_a -> chain_b -> chain_c of bench/chain/chain.wit and their
# `jco transpile` output (bench/chain/build.sh, into BUILD_DIR/chain), then
# in the same run:
#   baton  BUILD_DIR/bench_chain BUILD_DIR/chain          (bench/bench_chain.c)
#   Node   node bench/chain_node.mjs BUILD_DIR/chain/js   (jco's composition)
# each calling run(s) with the same 1 KiB string (warm-up first, then
# samples of many calls; median and p90 per call) and timing fresh
# instantiations of the chain. Both write run's result to a file; the two
# must be identical. Prints `@ chain.* value` lines (bench/run.sh collects
# them), including the ratios, and takes 10 to 15 s after the build.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${1:-build}
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" -j "$(nproc)" --target bench_chain baton >/dev/null
if ! command -v node >/dev/null 2>&1 || [ ! -x "${BATON_NODE_MODULES:-tools/node_modules}/.bin/jco" ]; then
  echo "bench/chain.sh: node or jco (tools/node_modules) missing; the chain section is skipped"
  exit 0
fi
bash bench/chain/build.sh "$BUILD"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/baton-bench-chain.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
LEN=1024
"$BUILD/bench_chain" "$BUILD/chain" --len $LEN --samples 301 --batch 200 \
  --inst-samples 101 --inst-batch 10 --out "$TMP/baton.out" | tee "$TMP/baton.log"
node bench/chain_node.mjs "$BUILD/chain/js" --len $LEN --samples 301 --batch 200 \
  --inst-samples 51 --inst-batch 10 --out "$TMP/node.out" | tee "$TMP/node.log"
if cmp -s "$TMP/baton.out" "$TMP/node.out"; then
  echo "same result from baton and Node ($(wc -c <"$TMP/baton.out") bytes)"
  echo "@ chain.same_output 1"
else
  echo "bench/chain.sh: baton and Node returned different strings" >&2
  echo "@ chain.same_output 0"
  exit 1
fi
cat "$TMP/baton.log" "$TMP/node.log" | awk '
  /^@ / { v[$2] = $3 }
  END {
    b = v["chain.baton_us.median"]; n = v["chain.node_us.median"]
    bf = v["chain.baton_fresh_us.median"]; nf = v["chain.node_fresh_us.median"]
    printf "@ chain.ratio.median %.4g\n@ chain.ratio.p90 %.4g\n@ chain.ratio_fresh.median %.4g\n",
      n / b, v["chain.node_us.p90"] / v["chain.baton_us.p90"], nf / bf
    printf "chain call, %d-byte string: baton %.3f us, Node (jco) %.2f us: %.1fx faster (goal >= 20x: %s)\n",
      v["chain.len"], b, n, n / b, ((n / b >= 20) ? "met" : "missed")
    printf "fresh chain + call: baton %.2f us, Node (jco) %.1f us: %.0fx\n", bf, nf, nf / bf
  }'
