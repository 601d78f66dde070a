#!/usr/bin/env bash
# bench/run.sh: runs baton's engine benchmarks (`make bench` calls it with
# the build directory) and reports each against its in-run peer.
#
# Usage: bash bench/run.sh [BUILD_DIR]   (default: build)
#
# It (re)configures and builds only what the benchmarks need (bench_engine
# and the guests) with `cmake --build`, then runs, in this order:
#   1. AOT compile into an empty per-run cache (mktemp; removed at exit),
#      then warm loads from it              bench_engine compile
#   2. fresh instance + one call, baton     bench_engine instance
#      and Node's new WebAssembly.Instance  node bench/node_instance.mjs
#   3. compute kernel, native vs wasm       bench_engine kernel
#   4. host->guest and guest->host calls    bench_engine calls
#   5. guest->guest string through the canonical ABI copy path, against
#      memcpy, the host-value path and the engine floor   bench_copy
#   6. the orders flow (examples/orders, built by `baton build` into a
#      temporary copy) in process, against the same two modules as two
#      HTTP services on loopback, with three placements of the client and
#      the services on CPUs (same, split, any)             bench_http
#   7. a call through three composed components (chain_a -> chain_b ->
#      chain_c) with a 1 KiB string, baton against the same components
#      transpiled by jco on Node, plus a fresh chain     bench/chain.sh
# Sections 2-4 use the normal AOT cache ($BATON_CACHE_DIR, else baton's
# default), so only section 1 pays for compilation. Every result line
# (`@ key value`) goes to bench/out/raw.txt, the full output to
# bench/out/log.txt, and the table with ratios and goals is printed and
# written to bench/out/results.md (bench/out is not committed).
# The whole run takes well under a minute on a 2-core machine (after the
# build).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${1:-build}
OUT=$ROOT/bench/out
mkdir -p "$OUT"

# ---- build ----
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
else
  cmake -S . -B "$BUILD" >/dev/null # picks up new bench/*.c files
fi
# The kernel's wasm build only tracks its wrapper; rebuild it when the shared
# kernel source is newer.
if [ -f "$BUILD/guests/bench_sha256.wasm" ] &&
   [ bench/kernels/sha256.c -nt "$BUILD/guests/bench_sha256.wasm" ]; then
  rm -f "$BUILD/guests/bench_sha256.wasm"
fi
cmake --build "$BUILD" -j "$(nproc)" --target bench_engine bench_copy bench_http bench_chain baton guests >/dev/null

BENCH=$BUILD/bench_engine
G=$BUILD/guests
for f in "$BENCH" "$BUILD/bench_copy" "$BUILD/bench_http" "$BUILD/baton" "$G/bench_small.wasm" "$G/bench_calls.wasm" "$G/bench_sha256.wasm" \
         "$G/bench_copy_caller.wasm" "$G/bench_copy_callee.wasm"; do
  [ -e "$f" ] || { echo "bench/run.sh: $f was not built" >&2; exit 1; }
done

COLD=$(mktemp -d "${TMPDIR:-/tmp}/baton-bench-cold.XXXXXX")
# The orders example, built in a temporary copy so the working tree is
# left alone (examples/*/build is ignored by git anyway).
ORDERS=$(mktemp -d "${TMPDIR:-/tmp}/baton-bench-orders.XXXXXX")
trap 'rm -rf "$COLD" "$ORDERS"' EXIT
cp -R examples/orders/. "$ORDERS/"
rm -rf "$ORDERS/build"
BUILD_ABS=$(cd "$BUILD" && pwd)
if ! (cd "$ORDERS" && PATH="$BUILD_ABS:$PATH" baton build >"$ORDERS/build.log" 2>&1); then
  cat "$ORDERS/build.log" >&2
  echo "bench/run.sh: building examples/orders failed" >&2
  exit 1
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$OUT/log.txt"
# Runs one benchmark command, echoing its output to the terminal and log.
run() {
  echo "\$ $*" | tee -a "$OUT/log.txt"
  "$@" 2>&1 | tee -a "$OUT/log.txt"
}

T0=$(date +%s)
run "$BENCH" compile --cold-dir "$COLD" "$G/bench_sha256.wasm" "$G/bench_small.wasm"
run "$BENCH" instance "$G/bench_small.wasm" --batches 500 --batch 100
if command -v node >/dev/null 2>&1; then
  run node bench/node_instance.mjs "$G/bench_small.wasm" --batches 300 --batch 50
else
  echo "bench/run.sh: node not found; the instance peer is skipped" | tee -a "$OUT/log.txt"
fi
run "$BENCH" kernel "$G/bench_sha256.wasm" --mib 64 --reps 11
# Short samples (about 1 ms each) so that most fit inside one scheduler time
# slice: on a busy machine the median then skips the preempted ones.
run "$BENCH" calls "$G/bench_small.wasm" "$G/bench_calls.wasm" --samples 201 --n 100000
# Samples of about 1 ms each, all kinds interleaved (about 5 s in total).
run "$BUILD/bench_copy" "$G/bench_copy_caller.wasm" "$G/bench_copy_callee.wasm" --samples 201
# 5000 flow runs per path and placement (1 to 2 s each): all three
# processes on one CPU, client and services on different CPUs, and wherever
# the scheduler puts them.
for placement in same split any; do
  if [ "$placement" = split ] && [ "$(nproc)" -lt 2 ]; then continue; fi
  run "$BUILD/bench_http" "$ORDERS/baton.toml" --runs 5000 --placement "$placement"
done
# The three-component chain, baton and Node (jco transpile) in turn, about
# 12 s; it builds the components first (bench/chain/build.sh, cached in
# $BUILD/chain) and checks that both return the same string.
run bash bench/chain.sh "$BUILD"
T1=$(date +%s)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
grep '^@ ' "$OUT/log.txt" | cut -c3- >"$OUT/raw.txt"

# ---- report ----
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null | head -1)" ]; then REV="$REV (uncommitted changes)"; fi
{
  echo "# baton engine benchmarks"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); revision: $REV; run time: $((T1 - T0)) s"
  echo "- machine: $(nproc) CPUs, $CPU, Linux $(uname -r); load average before: $LOAD_BEFORE, after: $LOAD_AFTER"
  if awk -v l="${LOAD_BEFORE%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    echo "- **note: the machine was busy before the run (1-minute load ${LOAD_BEFORE%% *} on $(nproc) CPUs); other processes inflate the longer measurements (the kernel, the cold compile). Rerun on an idle machine for reference numbers.**"
  fi
  echo "- toolchain: $(gcc --version | head -1); $(clang --version | head -1); wasm2c $(wasm2c --version 2>/dev/null); node $(node --version 2>/dev/null || echo absent)"
  echo "- command: \`bash bench/run.sh $BUILD\` (or \`make bench\`); raw results in bench/out/raw.txt, full output in bench/out/log.txt"
  echo
  awk '
    { v[$1] = $2 }
    function f(x, d) { return sprintf("%." d "f", x) }
    function status(ok) { return ok ? "met" : "**missed**" }
    END {
      print "| benchmark | baton (median / p90) | peer in the same run (median / p90) | ratio | goal | status |"
      print "| --- | --- | --- | --- | --- | --- |"
      b = v["instance.baton_us.median"]; n = v["instance.node_us.median"]
      if (n != "") {
        r = n / b; rt = v["instance.baton_ops"] / v["instance.node_ops"]
        peer = "Node new Instance + add(): " f(n, 2) " / " f(v["instance.node_us.p90"], 2) " us"
        ratio = f(r, 1) "x faster (throughput " f(rt, 1) "x)"
      } else { peer = "node absent"; ratio = "-"; r = 0 }
      print "| fresh instance + add() | " f(b, 3) " / " f(v["instance.baton_us.p90"], 3) " us (" f(v["instance.baton_ops"], 0) " cycles/s) | " peer " | " ratio " | <= 5 us | " status(b <= 5) " |"
      print "| fresh instance + add() vs Node | | | " (n != "" ? f(r, 1) "x" : "-") " | >= 30x Node | " (n != "" ? status(r >= 30) : "not run") " |"
      print "| instantiate + delete, no call | " f(v["instance.baton_nocall_us.median"], 3) " / " f(v["instance.baton_nocall_us.p90"], 3) " us | | | (context) | |"
      k = v["kernel.ratio.median"]
      print "| SHA-256 of " v["kernel.mib"] " MiB, wasm via baton | " f(v["kernel.wasm_ms.median"], 1) " / " f(v["kernel.wasm_ms.p90"], 1) " ms | native gcc -O2: " f(v["kernel.native_ms.median"], 1) " / " f(v["kernel.native_ms.p90"], 1) " ms | " f(k, 3) "x native time (median of paired ratios; min " f(v["kernel.ratio.min"], 3) ", p90 " f(v["kernel.ratio.p90"], 3) ") | <= 1.25x | " status(k <= 1.25) " |"
      print "| delete of the kernel instance (" f(v["kernel.memory_mib"], 1) " MiB memory) | " f(v["kernel.delete_ms"], 2) " ms | | | (context) | |"
      for (m in v) if (m ~ /^compile\..*\.cold_ms$/) {
        split(m, p, "."); name = p[2]
        w = v["compile." name ".warm_ms.median"]
        print "| AOT compile " name ".wasm: cold (empty cache) | " f(v[m], 1) " ms (compiler " f(v["compile." name ".aot_ms"], 1) " ms) | warm-cache load: " f(w, 3) " / " f(v["compile." name ".warm_ms.p90"], 3) " ms | cold " f(v[m] / w, 0) "x warm | visible | reported |"
      }
      if (v["instance.node_compile_ms"] != "")
        print "| Node new WebAssembly.Module(bench_small), once | | " f(v["instance.node_compile_ms"], 3) " ms | | (context) | |"
      h = v["calls.h2g_nop_ns.median"]; nn = v["calls.native_nop_ns.median"]
      print "| host->guest call_index(nop) | " f(h, 2) " / " f(v["calls.h2g_nop_ns.p90"], 2) " ns | native indirect call: " f(nn, 2) " / " f(v["calls.native_nop_ns.p90"], 2) " ns | " f(h / nn, 1) "x native | <= 25 ns | " status(h <= 25) " |"
      print "| host->guest call_index(add, 2 args) | " f(v["calls.h2g_add_ns.median"], 2) " / " f(v["calls.h2g_add_ns.p90"], 2) " ns | native int(int,int): " f(v["calls.native_add_ns.median"], 2) " ns | " f(v["calls.h2g_add_ns.median"] / v["calls.native_add_ns.median"], 1) "x native | (context) | |"
      g = v["calls.g2h_noop_ns.median"]
      print "| guest->host bench.noop() | " f(g, 2) " / " f(v["calls.g2h_noop_ns.p90"], 2) " ns | native indirect call: " f(nn, 2) " ns; native call of a host fn: " f(v["calls.native_hostfn_ns.median"], 2) " ns | " f(g / nn, 1) "x native | <= 7 ns | " status(g <= 7) " |"
      print "| guest->host bench.id_i32(i32)->i32 | " f(v["calls.g2h_i32_ns.median"], 2) " / " f(v["calls.g2h_i32_ns.p90"], 2) " ns | | " f(v["calls.g2h_i32_ns.median"] / nn, 1) "x native | (context) | |"
      print "| guest loop over an internal call (baseline; the AOT C compiler inlines it) | " f(v["calls.g2g_ns.median"], 2) " ns | | | (context) | |"
      c0 = v["copy.fwd_0_ns.median"]; c16 = v["copy.fwd_16_ns.median"]
      if (c16 != "") {
        fx = c0 > c16 ? c0 : c16
        print "| guest->guest echo-len(string), copy path, 16 B | " f(c16, 1) " / " f(v["copy.fwd_16_ns.p90"], 1) " ns | engine floor (same 3 crossings, no ABI layer): " f(v["copy.raw_16_ns.median"], 1) " ns; memcpy of 16 B: " f(v["copy.memcpy_16_ns.median"], 1) " ns | ABI layer adds " f(v["copy.abi_layer_16_ns"], 1) " ns | <= 100 ns fixed cost | " status(fx <= 100) " |"
        print "| same, empty string (fixed cost) | " f(c0, 1) " / " f(v["copy.fwd_0_ns.p90"], 1) " ns | engine floor: " f(v["copy.raw_0_ns.median"], 1) " ns | intercept of the 1 KiB..1 MiB line: " f(v["copy.intercept_ns"], 1) " ns | <= 100 ns fixed cost | " status(c0 <= 100) " |"
        print "| same, 1 KiB | " f(v["copy.fwd_1k_ns.median"], 1) " / " f(v["copy.fwd_1k_ns.p90"], 1) " ns (" f(v["copy.fwd_1k_gbps"], 2) " GB/s) | memcpy: " f(v["copy.memcpy_1k_ns.median"], 1) " ns (" f(v["copy.memcpy_1k_gbps"], 1) " GB/s) | " f(100 * v["copy.memcpy_1k_ns.median"] / v["copy.fwd_1k_ns.median"], 0) "% of memcpy (fixed cost dominates) | (context) | |"
        r = v["copy.ratio_1m_paired.median"]
        print "| same, 1 MiB | " f(v["copy.fwd_1m_ns.median"] / 1000, 1) " / " f(v["copy.fwd_1m_ns.p90"] / 1000, 1) " us = " f(v["copy.fwd_1m_gbps"], 2) " GB/s | memcpy between host buffers: " f(v["copy.memcpy_1m_ns.median"] / 1000, 1) " / " f(v["copy.memcpy_1m_ns.p90"] / 1000, 1) " us = " f(v["copy.memcpy_1m_gbps"], 2) " GB/s; engine floor: " f(v["copy.raw_1m_ns.median"] / 1000, 1) " us | " f(100 * r, 0) "% of memcpy (median of per-sample ratios; by medians " f(100 * v["copy.ratio_1m"], 0) "%, p90 " f(100 * v["copy.ratio_1m_paired.p90"], 0) "%) | >= 50% of memcpy | " status(r >= 0.5) " |"
        print "| same call through host values (lift + typed host fn + lower), 16 B / 1 KiB / 1 MiB | " f(v["copy.host_16_ns.median"], 1) " ns / " f(v["copy.host_1k_ns.median"], 1) " ns / " f(v["copy.host_1m_ns.median"] / 1000, 1) " us | | " f(v["copy.host_over_fwd_16"], 2) "x / " f(v["copy.host_over_fwd_1k"], 2) "x / " f(v["copy.host_over_fwd_1m"], 2) "x the copy path | (context) | |"
      }
      np = split("same split any", pl, " ")
      for (i = 1; i <= np; i++) {
        k = "http." pl[i] "."
        if (v[k "runs"] == "") continue
        where = pl[i] == "same" ? "all on one CPU" : pl[i] == "split" ? "client and services on different CPUs" : "placed by the scheduler"
        b = v[k "inproc_us.median"]; ka = v[k "keepalive_us.median"]; nc = v[k "newconn_us.median"]
        print "| orders flow, in process vs HTTP keep-alive (" where ") | " f(b, 2) " / " f(v[k "inproc_us.p90"], 2) " us | two loopback HTTP services, keep-alive: " f(ka, 1) " / " f(v[k "keepalive_us.p90"], 1) " us (of which handle-init in the services: " f(v[k "keepalive_app_us.median"], 1) " us) | " f(ka / b, 1) "x lower in process (p90: " f(v[k "ratio_keepalive_p90"], 1) "x) | >= 100x | " status(ka / b >= 100) " |"
        print "| same, new connection per request (" where ") | | " f(nc, 1) " / " f(v[k "newconn_us.p90"], 1) " us (handle-init: " f(v[k "newconn_app_us.median"], 1) " us) | " f(nc / b, 1) "x lower in process (p90: " f(v[k "ratio_newconn_p90"], 1) "x) | >= 100x | " status(nc / b >= 100) " |"
      }
      cb = v["chain.baton_us.median"]; cn = v["chain.node_us.median"]
      if (cb != "" && cn != "") {
        same = v["chain.same_output"] == 1 ? "same result" : "**different results**"
        print "| chain A -> B -> C, run(" v["chain.len"] "-byte string) | " f(cb, 3) " / " f(v["chain.baton_us.p90"], 3) " us | Node, jco transpile output composed with --map: " f(cn, 2) " / " f(v["chain.node_us.p90"], 2) " us (" same ") | " f(cn / cb, 1) "x faster (p90: " f(v["chain.ratio.p90"], 1) "x) | >= 20x Node | " status(cn / cb >= 20) " |"
        print "| same, host call of chain_c alone (one boundary) | " f(v["chain.baton_c_only_us.median"], 3) " / " f(v["chain.baton_c_only_us.p90"], 3) " us | | | (context) | |"
        bf = v["chain.baton_fresh_us.median"]; nf = v["chain.node_fresh_us.median"]
        print "| fresh chain: instantiate C, B, A + run + free | " f(bf, 2) " / " f(v["chain.baton_fresh_us.p90"], 2) " us | Node (jco --instantiation sync, modules compiled once): " f(nf, 1) " / " f(v["chain.node_fresh_us.p90"], 1) " us | " f(nf / bf, 0) "x | (context) | |"
      }
    }' "$OUT/raw.txt"
} >"$OUT/results.md"

echo
cat "$OUT/results.md"
echo
echo "bench/run.sh: wrote $OUT/results.md"
