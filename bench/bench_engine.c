/*
 * bench/bench_engine.c: baton's engine benchmarks, one binary with four
 * subcommands. Every measurement is taken against a peer in the same run
 * and reported as a median (and p90) with the ratio to that peer; nothing
 * here asserts a number. bench/run.sh runs all four and builds the results
 * table (bench/out/results.md); docs/PERFORMANCE.md explains the numbers.
 *
 *   bench_engine instance SMALL.wasm [--batches K] [--batch B]
 *       Fresh instance + one call: baton_instance_pre_instantiate, a call
 *       of `add`, baton_instance_delete, in batches of B cycles. The peer
 *       (Node's new WebAssembly.Instance) is bench/node_instance.mjs, run by
 *       run.sh on the same file.
 *   bench_engine kernel SHA.wasm [--mib M] [--reps R]
 *       bench/kernels/sha256.c compiled into this binary (native, the host
 *       compiler at -O2) vs the same source as wasm run by baton, hashing M
 *       MiB; native and wasm repetitions alternate.
 *   bench_engine compile --cold-dir DIR WASM...
 *       AOT compile time into an empty cache DIR (cold), then the load time
 *       of the same module from that now-warm cache.
 *   bench_engine calls SMALL.wasm CALLS.wasm [--samples K] [--n N]
 *       host->guest (baton_instance_call_index of `nop` and `add`) and
 *       guest->host (bench_calls.wasm looping over imported no-op host
 *       functions) in ns per call, against a native indirect call.
 *
 * Besides the human-readable text, each result is printed as a line
 * `@ <key> <value>` that run.sh collects. Timing uses CLOCK_MONOTONIC;
 * short operations are timed in batches (one clock read per batch) so the
 * clock's own cost does not count, and every section warms up first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baton/baton.h"

/* The native build of the compute kernel (the wasm build includes the
 * same file from bench/guests/bench_sha256.c). */
#include "kernels/sha256.c"

/* ---- harness ---- */

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct {
  double median, p90, min, mean;
  size_t n;
} stats_t;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Summarises n > 0 samples (sorts v in place): median, 90th percentile
 * (nearest rank), minimum and mean. */
static stats_t stats_of(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_double);
  stats_t s = {.n = n, .min = v[0]};
  for (size_t i = 0; i < n; i++) s.mean += v[i] / (double)n;
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  size_t r = (size_t)(0.9 * (double)n + 0.999999);
  s.p90 = v[(r ? r : 1) - 1];
  return s;
}

/* Prints one machine-readable result line for run.sh. */
static void emit(const char *key, double value) { printf("@ %s %.6g\n", key, value); }

static void emit_stats(const char *key, stats_t s) {
  char k[256];
  snprintf(k, sizeof k, "%s.median", key);
  emit(k, s.median);
  snprintf(k, sizeof k, "%s.p90", key);
  emit(k, s.p90);
}

/* Exits with a message when err is set (benchmarks have no recovery). */
static void check(baton_error_t *err, const char *what) {
  if (!err) return;
  fprintf(stderr, "bench_engine: %s: %s\n", what, baton_error_message(err));
  baton_error_delete(err);
  exit(1);
}

static void check_trap(baton_trap_t *trap, const char *what) {
  if (!trap) return;
  fprintf(stderr, "bench_engine: %s trapped: %s\n", what, baton_trap_message(trap));
  baton_trap_delete(trap);
  exit(1);
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p) {
    fprintf(stderr, "bench_engine: out of memory\n");
    exit(1);
  }
  return p;
}

/* Reads `--name value` options after the positional arguments. Returns the
 * value of option `name` as an unsigned number, or def when absent. */
static uint64_t opt_u64(int argc, char **argv, const char *name, uint64_t def) {
  for (int i = 0; i + 1 < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1] == '-' && strcmp(argv[i] + 2, name) == 0) {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(argv[i + 1], &end, 10);
      if (errno || *end || !v) {
        fprintf(stderr, "bench_engine: --%s expects a positive number\n", name);
        exit(2);
      }
      return v;
    }
  }
  return def;
}

static const char *opt_str(int argc, char **argv, const char *name) {
  for (int i = 0; i + 1 < argc; i++)
    if (argv[i][0] == '-' && argv[i][1] == '-' && strcmp(argv[i] + 2, name) == 0) return argv[i + 1];
  return NULL;
}

/* Returns the i-th positional argument (skipping `--name value` pairs), or
 * NULL. */
static const char *positional(int argc, char **argv, int want) {
  int k = 0;
  for (int i = 0; i < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1] == '-') {
      i++;
      continue;
    }
    if (k++ == want) return argv[i];
  }
  return NULL;
}

/* A loaded guest: engine, module, linker (WASI, output discarded, plus
 * whatever the caller adds) and a pre. */
typedef struct {
  baton_engine_t *engine;
  baton_module_t *module;
  baton_linker_t *linker;
  baton_instance_pre_t *pre;
} guest_t;

static void guest_open(guest_t *g, const char *path, void (*define)(baton_linker_t *)) {
  memset(g, 0, sizeof *g);
  check(baton_engine_new(NULL, &g->engine), "creating the engine");
  check(baton_module_new_file(g->engine, path, &g->module), "loading the module");
  check(baton_linker_new(g->engine, &g->linker), "creating the linker");
  const char *argv[] = {path};
  baton_wasi_config_t wc = {.argv = argv, .argc = 1, .output = BATON_WASI_OUTPUT_DISCARD};
  check(baton_linker_define_wasi(g->linker, &wc), "defining WASI");
  if (define) define(g->linker);
  check(baton_instance_pre_new(g->linker, g->module, &g->pre), "linking");
}

static void guest_close(guest_t *g) {
  baton_instance_pre_delete(g->pre);
  baton_linker_delete(g->linker);
  baton_module_delete(g->module);
  baton_engine_delete(g->engine);
}

static baton_instance_t *guest_instance(guest_t *g) {
  baton_instance_t *inst;
  baton_trap_t *trap;
  check(baton_instance_pre_instantiate(g->pre, NULL, &inst, &trap), "instantiating");
  check_trap(trap, "instantiation");
  return inst;
}

static uint32_t lookup(baton_instance_t *inst, const char *name) {
  uint32_t index;
  check(baton_instance_lookup(inst, name, &index, NULL), name);
  return index;
}

/* ---- instance: fresh instance + one call ---- */

/* Runs `batches` timed batches of `batch` cycles, each cycle being
 * pre_instantiate + (when with_call) add(1, 2) + delete, after a warm-up.
 * Returns per-cycle microseconds of each batch in us[] (batches entries). */
static void instance_cycles(guest_t *g, uint32_t add_index, int with_call, size_t batches,
                            size_t batch, double *us) {
  baton_val_t args[2] = {{.kind = BATON_I32, .of.i32 = 1}, {.kind = BATON_I32, .of.i32 = 2}};
  baton_val_t res[1];
  for (size_t b = 0; b < batches + 10; b++) { /* the first 10 batches warm up */
    double t0 = now_ns();
    for (size_t i = 0; i < batch; i++) {
      baton_instance_t *inst;
      baton_trap_t *trap;
      baton_error_t *err = baton_instance_pre_instantiate(g->pre, NULL, &inst, &trap);
      if (err || trap) {
        check(err, "instantiating");
        check_trap(trap, "instantiation");
      }
      if (with_call) {
        err = baton_instance_call_index(inst, add_index, args, 2, res, 1, &trap);
        if (err || trap || res[0].of.i32 != 3) {
          check(err, "calling add");
          check_trap(trap, "add");
          fprintf(stderr, "bench_engine: add(1, 2) returned %d\n", res[0].of.i32);
          exit(1);
        }
      }
      baton_instance_delete(inst);
    }
    double t = now_ns() - t0;
    if (b >= 10) us[b - 10] = t / 1e3 / (double)batch;
  }
}

static int cmd_instance(int argc, char **argv) {
  const char *path = positional(argc, argv, 0);
  if (!path) {
    fprintf(stderr, "usage: bench_engine instance SMALL.wasm [--batches K] [--batch B]\n");
    return 2;
  }
  size_t batches = opt_u64(argc, argv, "batches", 300);
  size_t batch = opt_u64(argc, argv, "batch", 100);
  guest_t g;
  guest_open(&g, path, NULL);
  baton_instance_t *probe = guest_instance(&g);
  uint32_t add_index = lookup(probe, "add");
  baton_instance_delete(probe);

  double *us = xcalloc(batches, sizeof *us);
  instance_cycles(&g, add_index, 1, batches, batch, us);
  stats_t full = stats_of(us, batches);
  instance_cycles(&g, add_index, 0, batches, batch, us);
  stats_t bare = stats_of(us, batches);
  free(us);

  printf("instance: %s, %zu batches of %zu cycles\n", path, batches, batch);
  printf("  pre_instantiate + add() + delete : median %.3f us, p90 %.3f us, min %.3f us; "
         "throughput %.0f cycles/s\n", full.median, full.p90, full.min, 1e6 / full.mean);
  printf("  pre_instantiate + delete (no call): median %.3f us, p90 %.3f us\n", bare.median, bare.p90);
  emit_stats("instance.baton_us", full);
  emit("instance.baton_ops", 1e6 / full.mean); /* all batches equal: total cycles / total time */
  emit_stats("instance.baton_nocall_us", bare);
  guest_close(&g);
  return 0;
}

/* ---- kernel: native vs wasm ---- */

static int cmd_kernel(int argc, char **argv) {
  const char *path = positional(argc, argv, 0);
  if (!path) {
    fprintf(stderr, "usage: bench_engine kernel SHA.wasm [--mib M] [--reps R]\n");
    return 2;
  }
  uint32_t mib = (uint32_t)opt_u64(argc, argv, "mib", 64);
  size_t reps = opt_u64(argc, argv, "reps", 5);
#ifndef __OPTIMIZE__
  fprintf(stderr, "bench_engine: warning: built without optimisation; the native kernel is not -O2\n");
#endif
  guest_t g;
  guest_open(&g, path, NULL);
  baton_instance_t *inst = guest_instance(&g);
  uint32_t i_prepare = lookup(inst, "kernel_prepare");
  uint32_t i_hash = lookup(inst, "kernel_hash");
  uint32_t i_self = lookup(inst, "kernel_selftest");
  baton_val_t arg = {.kind = BATON_I32, .of.i32 = (int32_t)mib}, res;
  baton_trap_t *trap;

  check(baton_instance_call_index(inst, i_self, NULL, 0, &res, 1, &trap), "kernel_selftest");
  check_trap(trap, "kernel_selftest");
  if (res.of.i32 != 1 || kernel_selftest() != 1) {
    fprintf(stderr, "bench_engine: SHA-256 self-test failed (wasm %d, native %d)\n", res.of.i32,
            kernel_selftest());
    return 1;
  }
  check(baton_instance_call_index(inst, i_prepare, &arg, 1, &res, 1, &trap), "kernel_prepare");
  check_trap(trap, "kernel_prepare");
  if (res.of.i32 != 0 || kernel_prepare(mib) != 0) {
    fprintf(stderr, "bench_engine: cannot allocate %u MiB for the kernel\n", mib);
    return 1;
  }

  /* Native and wasm repetitions alternate, and each wasm time is also
   * divided by the native time next to it: the median of those paired
   * ratios is the headline number, robust to load that drifts during the
   * run (the machine may be shared). */
  double *tn = xcalloc(reps, sizeof *tn), *tw = xcalloc(reps, sizeof *tw);
  double *pr = xcalloc(reps, sizeof *pr);
  uint32_t sum_native = 0, sum_wasm = 0;
  for (size_t r = 0; r < reps + 1; r++) { /* rep 0 warms up both */
    double t0 = now_ns();
    sum_native = kernel_hash();
    double t1 = now_ns();
    check(baton_instance_call_index(inst, i_hash, NULL, 0, &res, 1, &trap), "kernel_hash");
    check_trap(trap, "kernel_hash");
    double t2 = now_ns();
    sum_wasm = (uint32_t)res.of.i32;
    if (r) {
      tn[r - 1] = (t1 - t0) / 1e6;
      tw[r - 1] = (t2 - t1) / 1e6;
      pr[r - 1] = (t2 - t1) / (t1 - t0);
    }
  }
  if (sum_native != sum_wasm) {
    fprintf(stderr, "bench_engine: digests differ: native %08x, wasm %08x\n", sum_native, sum_wasm);
    return 1;
  }
  stats_t n = stats_of(tn, reps), w = stats_of(tw, reps), ratio = stats_of(pr, reps);
  printf("kernel: SHA-256 of %u MiB, %zu alternating repetitions, digest %08x...\n", mib, reps, sum_native);
  printf("  native (%s, -O2) : median %.1f ms, p90 %.1f ms  (%.0f MiB/s)\n", __VERSION__, n.median, n.p90,
         mib / (n.median / 1e3));
  printf("  wasm via baton     : median %.1f ms, p90 %.1f ms  (%.0f MiB/s)\n", w.median, w.p90,
         mib / (w.median / 1e3));
  printf("  ratio wasm/native  : %.3fx (median of paired ratios; min %.3fx, p90 %.3fx; "
         "ratio of medians %.3fx)\n", ratio.median, ratio.min, ratio.p90, w.median / n.median);
  emit_stats("kernel.native_ms", n);
  emit_stats("kernel.wasm_ms", w);
  emit_stats("kernel.ratio", ratio);
  emit("kernel.ratio.min", ratio.min);
  emit("kernel.ratio_of_medians", w.median / n.median);
  emit("kernel.mib", mib);
  /* Releasing the instance zeroes the linear memory it grew to (pages stay
   * resident in the pool), so its cost grows with the memory's size. */
  size_t mem_size = 0;
  baton_instance_memory(inst, &mem_size);
  double t0 = now_ns();
  baton_instance_delete(inst);
  double del_ms = (now_ns() - t0) / 1e6;
  printf("  instance delete    : %.2f ms (linear memory %.1f MiB)\n", del_ms, mem_size / 1048576.0);
  emit("kernel.delete_ms", del_ms);
  emit("kernel.memory_mib", mem_size / 1048576.0);
  free(tn);
  free(tw);
  free(pr);
  free(g_kernel_buf);
  guest_close(&g);
  return 0;
}

/* ---- compile: cold vs warm cache ---- */

/* Returns the file name of path without directory and extension into buf. */
static const char *stem(const char *path, char *buf, size_t size) {
  const char *s = strrchr(path, '/');
  s = s ? s + 1 : path;
  snprintf(buf, size, "%s", s);
  char *dot = strrchr(buf, '.');
  if (dot) *dot = 0;
  return buf;
}

static int cmd_compile(int argc, char **argv) {
  const char *dir = opt_str(argc, argv, "cold-dir");
  size_t warm_reps = opt_u64(argc, argv, "warm-reps", 15);
  if (!dir || !positional(argc, argv, 0)) {
    fprintf(stderr, "usage: bench_engine compile --cold-dir EMPTY_DIR WASM...\n");
    return 2;
  }
  baton_config_t *cfg = baton_config_new();
  if (!cfg) return 1;
  check(baton_config_set_cache_dir(cfg, dir), "setting the cache dir");
  baton_engine_t *engine;
  check(baton_engine_new(cfg, &engine), "creating the engine");
  printf("compile: cache %s\n", dir);
  const char *path;
  double *warm = xcalloc(warm_reps, sizeof *warm);
  for (int i = 0; (path = positional(argc, argv, i)); i++) {
    baton_module_t *m;
    double t0 = now_ns();
    check(baton_module_new_file(engine, path, &m), path);
    double cold_ms = (now_ns() - t0) / 1e6;
    int hit = baton_module_cache_hit(m);
    double aot_ms = baton_module_compile_seconds(m) * 1e3;
    baton_module_delete(m);
    for (size_t r = 0; r < warm_reps + 1; r++) {
      t0 = now_ns();
      check(baton_module_new_file(engine, path, &m), path);
      double t = (now_ns() - t0) / 1e6;
      if (!baton_module_cache_hit(m)) {
        fprintf(stderr, "bench_engine: %s: second load missed the cache\n", path);
        return 1;
      }
      baton_module_delete(m); /* the last reference: dlclose unloads it */
      if (r) warm[r - 1] = t;
    }
    stats_t w = stats_of(warm, warm_reps);
    char name[128], key[256];
    stem(path, name, sizeof name);
    printf("  %-14s cold load %8.1f ms (AOT compile %8.1f ms%s), warm load median %.3f ms, p90 %.3f ms  (cold/warm %.0fx)\n",
           name, cold_ms, aot_ms, hit ? "; WARNING: cache was not empty" : "", w.median, w.p90,
           cold_ms / w.median);
    snprintf(key, sizeof key, "compile.%s.cold_ms", name);
    emit(key, cold_ms);
    snprintf(key, sizeof key, "compile.%s.aot_ms", name);
    emit(key, aot_ms);
    snprintf(key, sizeof key, "compile.%s.warm_ms", name);
    emit_stats(key, w);
  }
  free(warm);
  baton_engine_delete(engine);
  return 0;
}

/* ---- calls: host->guest and guest->host ---- */

static baton_trap_t *host_noop(void *env, baton_caller_t *caller, const baton_val_t *args,
                               baton_val_t *results) {
  return NULL;
}

static baton_trap_t *host_id_i32(void *env, baton_caller_t *caller, const baton_val_t *args,
                                 baton_val_t *results) {
  results[0].of.i32 = args[0].of.i32;
  return NULL;
}

static void define_bench_imports(baton_linker_t *l) {
  static const baton_valkind_t i32[1] = {BATON_I32};
  baton_functype_t t_noop = {0}, t_id = {.params = i32, .nparams = 1, .results = i32, .nresults = 1};
  check(baton_linker_define_func(l, "bench", "noop", &t_noop, host_noop, NULL, NULL), "bench.noop");
  check(baton_linker_define_func(l, "bench", "id_i32", &t_id, host_id_i32, NULL, NULL), "bench.id_i32");
}

/* The native peers: calls through a volatile function pointer, which the
 * compiler can neither inline nor hoist. */
__attribute__((noinline)) static void native_nop(void) { __asm__ volatile(""); }
__attribute__((noinline)) static int32_t native_add(int32_t a, int32_t b) {
  __asm__ volatile("" : "+r"(a));
  return a + b;
}
static void (*volatile p_native_nop)(void) = native_nop;
static int32_t (*volatile p_native_add)(int32_t, int32_t) = native_add;
static baton_host_func_t volatile p_host_noop = host_noop;

typedef enum {
  CALL_NATIVE_NOP,
  CALL_NATIVE_ADD,
  CALL_NATIVE_HOSTFN, /* a baton_host_func_t called directly, no guest */
  CALL_BATON_NOP,     /* host->guest: call_index(nop) */
  CALL_BATON_ADD,     /* host->guest: call_index(add, 2 args, 1 result) */
  CALL_GUEST_HOST,    /* guest->host: host_loop(n) */
  CALL_GUEST_HOST_I32,
  CALL_GUEST_LOCAL, /* guest_loop(n): the in-guest loop baseline (the AOT compiler inlines the callee) */
  CALL_NKINDS,
} call_kind_t;

static const char *const k_call_keys[CALL_NKINDS] = {
    "native_nop", "native_add", "native_hostfn", "h2g_nop", "h2g_add", "g2h_noop", "g2h_i32", "g2g",
};

typedef struct {
  baton_instance_t *small, *calls;
  uint32_t nop, add, host_loop, host_loop_i32, guest_loop;
} call_ctx_t;

/* Performs n calls of the given kind and returns the elapsed nanoseconds. */
static double run_calls(call_ctx_t *c, call_kind_t kind, uint32_t n) {
  baton_trap_t *trap = NULL;
  baton_error_t *err = NULL;
  baton_val_t args[2] = {{.kind = BATON_I32, .of.i32 = 1}, {.kind = BATON_I32, .of.i32 = 2}}, res[1];
  baton_val_t count = {.kind = BATON_I32, .of.i32 = (int32_t)n};
  int32_t acc = 0;
  double t0 = now_ns();
  switch (kind) {
    case CALL_NATIVE_NOP:
      for (uint32_t i = 0; i < n; i++) p_native_nop();
      break;
    case CALL_NATIVE_ADD:
      for (uint32_t i = 0; i < n; i++) acc += p_native_add((int32_t)i, 2);
      break;
    case CALL_NATIVE_HOSTFN:
      for (uint32_t i = 0; i < n; i++) p_host_noop(NULL, NULL, args, res);
      break;
    case CALL_BATON_NOP:
      for (uint32_t i = 0; i < n && !err && !trap; i++)
        err = baton_instance_call_index(c->small, c->nop, NULL, 0, NULL, 0, &trap);
      break;
    case CALL_BATON_ADD:
      for (uint32_t i = 0; i < n && !err && !trap; i++) {
        err = baton_instance_call_index(c->small, c->add, args, 2, res, 1, &trap);
        acc += res[0].of.i32;
      }
      break;
    case CALL_GUEST_HOST:
      err = baton_instance_call_index(c->calls, c->host_loop, &count, 1, res, 1, &trap);
      break;
    case CALL_GUEST_HOST_I32:
      err = baton_instance_call_index(c->calls, c->host_loop_i32, &count, 1, res, 1, &trap);
      break;
    case CALL_GUEST_LOCAL:
      err = baton_instance_call_index(c->calls, c->guest_loop, &count, 1, res, 1, &trap);
      break;
    default:
      break;
  }
  double t = now_ns() - t0;
  check(err, k_call_keys[kind]);
  check_trap(trap, k_call_keys[kind]);
  __asm__ volatile("" ::"r"(acc));
  return t;
}

static int cmd_calls(int argc, char **argv) {
  const char *small = positional(argc, argv, 0), *calls = positional(argc, argv, 1);
  if (!small || !calls) {
    fprintf(stderr, "usage: bench_engine calls SMALL.wasm CALLS.wasm [--samples K] [--n N]\n");
    return 2;
  }
  size_t samples = opt_u64(argc, argv, "samples", 201);
  uint32_t n = (uint32_t)opt_u64(argc, argv, "n", 100000);
  guest_t gs, gc;
  guest_open(&gs, small, NULL);
  guest_open(&gc, calls, define_bench_imports);
  call_ctx_t c = {.small = guest_instance(&gs), .calls = guest_instance(&gc)};
  c.nop = lookup(c.small, "nop");
  c.add = lookup(c.small, "add");
  c.host_loop = lookup(c.calls, "host_loop");
  c.host_loop_i32 = lookup(c.calls, "host_loop_i32");
  c.guest_loop = lookup(c.calls, "guest_loop");

  /* Samples of all kinds are interleaved so drift affects each alike. */
  double *ns[CALL_NKINDS];
  for (int k = 0; k < CALL_NKINDS; k++) {
    ns[k] = xcalloc(samples, sizeof *ns[k]);
    run_calls(&c, (call_kind_t)k, n / 4); /* warm-up */
  }
  for (size_t s = 0; s < samples; s++)
    for (int k = 0; k < CALL_NKINDS; k++) ns[k][s] = run_calls(&c, (call_kind_t)k, n) / n;
  stats_t st[CALL_NKINDS];
  for (int k = 0; k < CALL_NKINDS; k++) {
    st[k] = stats_of(ns[k], samples);
    char key[128];
    snprintf(key, sizeof key, "calls.%s_ns", k_call_keys[k]);
    emit_stats(key, st[k]);
    free(ns[k]);
  }
  printf("calls: %zu samples of %u calls each (ns per call: median, p90)\n", samples, n);
  static const char *const labels[CALL_NKINDS] = {
      "native indirect call void(void)",
      "native indirect call int(int,int)",
      "native call of a baton_host_func_t",
      "host->guest call_index(nop)",
      "host->guest call_index(add, 2 args)",
      "guest->host bench.noop()",
      "guest->host bench.id_i32(i32)->i32",
      "guest loop, internal call (inlined)",
  };
  for (int k = 0; k < CALL_NKINDS; k++)
    printf("  %-38s %7.2f  %7.2f\n", labels[k], st[k].median, st[k].p90);
  printf("  ratio host->guest(nop) / native : %.1fx\n", st[CALL_BATON_NOP].median / st[CALL_NATIVE_NOP].median);
  printf("  ratio guest->host(noop) / native: %.1fx\n", st[CALL_GUEST_HOST].median / st[CALL_NATIVE_NOP].median);
  emit("calls.h2g_ratio", st[CALL_BATON_NOP].median / st[CALL_NATIVE_NOP].median);
  emit("calls.g2h_ratio", st[CALL_GUEST_HOST].median / st[CALL_NATIVE_NOP].median);
  baton_instance_delete(c.small);
  baton_instance_delete(c.calls);
  guest_close(&gs);
  guest_close(&gc);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "instance")) return cmd_instance(argc - 2, argv + 2);
  if (!strcmp(cmd, "kernel")) return cmd_kernel(argc - 2, argv + 2);
  if (!strcmp(cmd, "compile")) return cmd_compile(argc - 2, argv + 2);
  if (!strcmp(cmd, "calls")) return cmd_calls(argc - 2, argv + 2);
  fprintf(stderr,
          "usage: bench_engine instance SMALL.wasm [--batches K] [--batch B]\n"
          "       bench_engine kernel SHA.wasm [--mib M] [--reps R]\n"
          "       bench_engine compile --cold-dir EMPTY_DIR WASM... [--warm-reps R]\n"
          "       bench_engine calls SMALL.wasm CALLS.wasm [--samples K] [--n N]\n"
          "Prints results as text and as `@ key value` lines (see bench/run.sh).\n");
  return 2;
}
