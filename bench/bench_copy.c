/*
 * bench/bench_copy.c: the guest-to-guest copy-path benchmark. A guest
 * (bench/guests/bench_copy_caller.c) calls an imported
 * `echo-len: func(s: string) -> u32` in a loop; the import is bound to
 * another instance's export (bench/guests/bench_copy_callee.c) with
 * bt_abi_define_forward, so every call validates the caller's string, has
 * the callee's `cabi_realloc` allocate room for it, copies it memory to
 * memory, and calls the callee, which frees it and returns its length. In
 * the same run, and interleaved sample by sample, it measures:
 *
 *   fwd    the copy path, strings of 0 B, 16 B, 1 KiB and 1 MiB;
 *   host   the same call through the host value tree: a second caller
 *          instance whose import is a typed host function
 *          (bt_abi_define_import: lift into a baton_value_t string) that
 *          forwards with bt_abi_export_call (check, lower, call, lift);
 *   raw    the engine floor: a third caller instance whose import is a
 *          hand-written core host function doing the same three crossings
 *          (the callee's cabi_realloc, a memcpy between the memories, the
 *          callee's echo-len) with no canonical ABI layer: no views, no
 *          UTF-8 validation, one bounds check per side;
 *   memcpy the same bytes copied by libc memcpy between two separate
 *          1 MiB host buffers (the throughput peer).
 *
 *   bench_copy CALLER.wasm CALLEE.wasm [--samples K] [--sample-us U]
 *   bench_copy CALLER.wasm CALLEE.wasm --only KIND [--seconds S]
 *
 * The second form runs one kind (e.g. fwd_16, host_1m, raw_0, memcpy_1k) for S
 * seconds (default 5) and prints its mean, for profiling with
 * `perf record`.
 *
 * Each sample is one host call of `run(n, len)` (n calls across the guest
 * boundary; one clock read per sample), with n chosen at start-up so that a
 * sample takes about U microseconds (default 1000), so short calls are
 * averaged over many crossings and 1 MiB calls over a few. Per-call times
 * are medians (and p90) over K samples (default 201). Goals from the
 * issue: fixed cost <= 100 ns per call (the 16 B and empty-string calls,
 * and the intercept of the line through 1 KiB and 1 MiB) and throughput >=
 * 50% of memcpy (1 MiB; the median of the per-sample ratios, which is
 * robust to load changes mid-run). Results go to stdout as text and as
 * `@ key value` lines for bench/run.sh; docs/PERFORMANCE.md explains them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/abi.h"
#include "baton/baton.h"
#include "wit/wit.h"

static const char *const WIT =
    "package bench:copy;\n"
    "world copy-callee {\n"
    "  export echo-len: func(s: string) -> u32;\n"
    "}\n"
    "world copy-caller {\n"
    "  import echo-len: func(s: string) -> u32;\n"
    "  export run: func(n: u32, len: u32) -> u32;\n"
    "}\n";

/* ---- harness (as bench_engine.c) ---- */

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct {
  double median, p90, min;
} stats_t;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median, nearest-rank p90 and minimum of n > 0 values (v is sorted). */
static stats_t stats_of(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_double);
  stats_t s = {.min = v[0]};
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  size_t r = (size_t)(0.9 * (double)n + 0.999999);
  s.p90 = v[(r ? r : 1) - 1];
  return s;
}

static void emit(const char *key, double value) { printf("@ %s %.6g\n", key, value); }

static void emit_stats(const char *key, stats_t s) {
  char k[160];
  snprintf(k, sizeof k, "%s.median", key);
  emit(k, s.median);
  snprintf(k, sizeof k, "%s.p90", key);
  emit(k, s.p90);
}

static void check(baton_error_t *err, const char *what) {
  if (!err) return;
  fprintf(stderr, "bench_copy: %s: %s\n", what, baton_error_message(err));
  baton_error_delete(err);
  exit(1);
}

static void check_trap(baton_trap_t *trap, const char *what) {
  if (!trap) return;
  fprintf(stderr, "bench_copy: %s trapped: %s\n", what, baton_trap_message(trap));
  baton_trap_delete(trap);
  exit(1);
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p) {
    fprintf(stderr, "bench_copy: out of memory\n");
    exit(1);
  }
  return p;
}

static const char *opt_str(int argc, char **argv, const char *name) {
  for (int i = 0; i + 1 < argc; i++)
    if (argv[i][0] == '-' && argv[i][1] == '-' && strcmp(argv[i] + 2, name) == 0) return argv[i + 1];
  return NULL;
}

static uint64_t opt_u64(int argc, char **argv, const char *name, uint64_t def) {
  for (int i = 0; i + 1 < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1] == '-' && strcmp(argv[i] + 2, name) == 0) {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(argv[i + 1], &end, 10);
      if (errno || *end || !v) {
        fprintf(stderr, "bench_copy: --%s expects a positive number\n", name);
        exit(2);
      }
      return v;
    }
  }
  return def;
}

/* The i-th positional argument, skipping `--name value` pairs. */
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

static baton_instance_t *instantiate(baton_linker_t *l, baton_module_t *m, const char *what) {
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  check(baton_instance_new(l, m, NULL, &inst, &trap), what);
  check_trap(trap, what);
  return inst;
}

/* ---- the host-value path: a typed host import that forwards ---- */

/* The callback behind the host path's `echo-len`: receives the lifted
 * string and calls the callee's prepared export with it (which checks the
 * value, lowers it with the callee's cabi_realloc, calls and lifts the
 * u32). */
static baton_trap_t *host_forward(void *env, baton_instance_t *caller, const baton_value_t *args,
                                  size_t nargs, baton_value_t *result) {
  bt_abi_export_t *ex = env;
  baton_trap_t *trap = NULL;
  baton_error_t *err = bt_abi_export_call(ex, args, nargs, result, &trap);
  if (err) {
    trap = baton_trap_new(BATON_TRAP_HOST, "%s", baton_error_message(err));
    baton_error_delete(err);
  }
  return trap;
}

/* ---- the engine floor: the same crossings without the ABI layer ---- */

typedef struct {
  baton_instance_t *callee;
  uint32_t realloc_index, echo_index;
} raw_env_t;

/* A core host function (i32 ptr, i32 len) -> i32 doing by hand what the
 * forward does for this one signature: allocate in the callee, copy, call. */
static baton_trap_t *raw_forward(void *env, baton_caller_t *caller, const baton_val_t *args,
                                 baton_val_t *results) {
  raw_env_t *re = env;
  uint32_t ptr = (uint32_t)args[0].of.i32, len = (uint32_t)args[1].of.i32;
  size_t asize;
  const uint8_t *a = baton_caller_memory(caller, &asize);
  if ((uint64_t)ptr + len > asize) return baton_trap_new(BATON_TRAP_HOST, "raw: bad string");
  baton_val_t ra[4] = {{.kind = BATON_I32, .of.i32 = 0},
                       {.kind = BATON_I32, .of.i32 = 0},
                       {.kind = BATON_I32, .of.i32 = 1},
                       {.kind = BATON_I32, .of.i32 = (int32_t)len}};
  baton_val_t r[1];
  baton_trap_t *trap = NULL;
  baton_error_t *err = baton_instance_call_index(re->callee, re->realloc_index, ra, 4, r, 1, &trap);
  if (err || trap) {
    if (err) trap = baton_trap_new(BATON_TRAP_HOST, "%s", baton_error_message(err));
    baton_error_delete(err);
    return trap;
  }
  size_t bsize;
  uint8_t *b = baton_instance_memory(re->callee, &bsize);
  uint32_t dst = (uint32_t)r[0].of.i32;
  if ((uint64_t)dst + len > bsize) return baton_trap_new(BATON_TRAP_HOST, "raw: bad allocation");
  if (len) memcpy(b + dst, a + ptr, len);
  baton_val_t ea[2] = {{.kind = BATON_I32, .of.i32 = (int32_t)dst},
                       {.kind = BATON_I32, .of.i32 = (int32_t)len}};
  err = baton_instance_call_index(re->callee, re->echo_index, ea, 2, results, 1, &trap);
  if (err) {
    trap = baton_trap_new(BATON_TRAP_HOST, "%s", baton_error_message(err));
    baton_error_delete(err);
  }
  return trap;
}

/* ---- the measured kinds ---- */

enum { PATH_FWD, PATH_HOST, PATH_RAW, PATH_MEMCPY, NPATHS };
static const char *const k_path_keys[NPATHS] = {"fwd", "host", "raw", "memcpy"};

static const uint32_t k_sizes[] = {0, 16, 1024, 1u << 20};
static const char *const k_size_keys[] = {"0", "16", "1k", "1m"};
static const char *const k_size_labels[] = {"0 B", "16 B", "1 KiB", "1 MiB"};
#define NSIZES 4
#define MAX_LEN (1u << 20)

typedef struct {
  baton_instance_t *inst[PATH_MEMCPY]; /* a caller instance per path */
  uint32_t run[PATH_MEMCPY];           /* their `run` exports */
  uint8_t *src, *dst;           /* memcpy peer buffers, MAX_LEN each */
} ctx_t;

/* Whether a (path, size) pair is left out: memcpy of nothing. */
static bool skip(int path, int size) { return path == PATH_MEMCPY && k_sizes[size] == 0; }

static void *(*volatile p_memcpy)(void *, const void *, size_t) = memcpy;

/* Performs n calls of one kind with strings of len bytes; returns the
 * elapsed nanoseconds. */
static double run_kind(ctx_t *c, int path, uint32_t len, uint32_t n) {
  double t0 = now_ns(), t;
  if (path == PATH_MEMCPY) {
    for (uint32_t i = 0; i < n; i++) {
      p_memcpy(c->dst, c->src, len);
      __asm__ volatile("" ::"r"(c->dst) : "memory");
    }
    return now_ns() - t0;
  }
  baton_val_t args[2] = {{.kind = BATON_I32, .of.i32 = (int32_t)n},
                         {.kind = BATON_I32, .of.i32 = (int32_t)len}};
  baton_val_t res[1];
  baton_trap_t *trap = NULL;
  baton_error_t *err = baton_instance_call_index(c->inst[path], c->run[path], args, 2, res, 1, &trap);
  t = now_ns() - t0;
  check(err, k_path_keys[path]);
  check_trap(trap, k_path_keys[path]);
  if ((uint32_t)res[0].of.i32 != n * len) {
    fprintf(stderr, "bench_copy: %s run(%u, %u) returned %u, expected %u\n", k_path_keys[path], n,
            len, (uint32_t)res[0].of.i32, n * len);
    exit(1);
  }
  return t;
}

static double gbps(uint32_t len, double ns) { return ns > 0 ? (double)len / ns : 0; }

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *caller_path = positional(argc - 1, argv + 1, 0);
  const char *callee_path = positional(argc - 1, argv + 1, 1);
  if (!caller_path || !callee_path) {
    fprintf(stderr, "usage: bench_copy CALLER.wasm CALLEE.wasm [--samples K] [--sample-us U]\n");
    return 2;
  }
  size_t samples = opt_u64(argc - 1, argv + 1, "samples", 201);
  double sample_ns = (double)opt_u64(argc - 1, argv + 1, "sample-us", 1000) * 1000.0;

  bt_wit_resolve_t *wit = NULL;
  check(bt_wit_parse_string("copy.wit", WIT, &wit), "parsing the WIT");
  const bt_wit_world_t *w_callee = NULL, *w_caller = NULL;
  check(bt_wit_find_world(wit, "copy-callee", &w_callee), "copy-callee");
  check(bt_wit_find_world(wit, "copy-caller", &w_caller), "copy-caller");
  const bt_wit_function_t *fn = bt_wit_world_export(w_callee, "echo-len")->function;

  baton_engine_t *engine;
  baton_module_t *m_caller, *m_callee;
  check(baton_engine_new(NULL, &engine), "creating the engine");
  check(baton_module_new_file(engine, caller_path, &m_caller), caller_path);
  check(baton_module_new_file(engine, callee_path, &m_callee), callee_path);
  check(bt_abi_check_world(m_callee, w_callee), "checking the callee");
  check(bt_abi_check_world(m_caller, w_caller), "checking the caller");

  /* One callee, three callers of the same module: linked through the copy
   * path, through a typed host function, and through the raw host
   * function. */
  baton_linker_t *l_callee, *l[PATH_MEMCPY];
  check(baton_linker_new(engine, &l_callee), "linker");
  for (int p = 0; p < PATH_MEMCPY; p++) check(baton_linker_new(engine, &l[p]), "linker");
  baton_instance_t *callee = instantiate(l_callee, m_callee, "instantiating the callee");
  check(bt_abi_define_forward(l[PATH_FWD], "$root", fn, callee, "echo-len"), "define_forward");
  bt_abi_export_t ex;
  check(bt_abi_export_prepare(&ex, callee, fn, "echo-len"), "export_prepare");
  check(bt_abi_define_import(l[PATH_HOST], "$root", fn, host_forward, &ex, NULL), "define_import");
  raw_env_t re = {.callee = callee};
  check(baton_instance_lookup(callee, "cabi_realloc", &re.realloc_index, NULL), "cabi_realloc");
  check(baton_instance_lookup(callee, "echo-len", &re.echo_index, NULL), "echo-len");
  static const baton_valkind_t i32x2[2] = {BATON_I32, BATON_I32};
  baton_functype_t raw_type = {.params = i32x2, .nparams = 2, .results = i32x2, .nresults = 1};
  check(baton_linker_define_func(l[PATH_RAW], "$root", "echo-len", &raw_type, raw_forward, &re, NULL),
        "define_func");
  ctx_t c;
  memset(&c, 0, sizeof c);
  for (int p = 0; p < PATH_MEMCPY; p++) {
    c.inst[p] = instantiate(l[p], m_caller, "instantiating a caller");
    check(baton_instance_lookup(c.inst[p], "run", &c.run[p], NULL), "run");
  }
  c.src = xcalloc(1, MAX_LEN);
  c.dst = xcalloc(1, MAX_LEN);
  for (uint32_t i = 0; i < MAX_LEN; i++) c.src[i] = (uint8_t)('a' + i % 26);

  const char *only = opt_str(argc - 1, argv + 1, "only");
  if (only) { /* one kind, for profiling */
    int op = -1, os = -1;
    for (int p = 0; p < NPATHS; p++)
      for (int s = 0; s < NSIZES; s++) {
        char key[32];
        snprintf(key, sizeof key, "%s_%s", k_path_keys[p], k_size_keys[s]);
        if (!strcmp(key, only)) op = p, os = s;
      }
    if (op < 0) {
      fprintf(stderr, "bench_copy: --only expects fwd|host|raw|memcpy _ 0|16|1k|1m\n");
      return 2;
    }
    double limit = (double)opt_u64(argc - 1, argv + 1, "seconds", 5) * 1e9, total = 0;
    uint32_t k = k_sizes[os] >= 65536 ? 16 : 10000;
    uint64_t calls = 0;
    while (total < limit) {
      total += run_kind(&c, op, k_sizes[os], k);
      calls += k;
    }
    printf("%s: %.1f ns per call (mean of %llu calls)\n", only, total / (double)calls,
           (unsigned long long)calls);
    return 0;
  }

  /* Warm up every kind, then size each kind's calls per sample so that a
   * sample lasts about sample_ns. */
  uint32_t n[NPATHS][NSIZES];
  memset(n, 0, sizeof n);
  for (int p = 0; p < NPATHS; p++) {
    for (int s = 0; s < NSIZES; s++) {
      if (skip(p, s)) continue;
      uint32_t len = k_sizes[s], k = len >= 65536 ? 4 : 1000;
      run_kind(&c, p, len, k);
      double per = 0;
      for (int r = 0; r < 3; r++) {
        double t = run_kind(&c, p, len, k) / k;
        if (r == 0 || t < per) per = t;
      }
      double want = sample_ns / (per > 0.5 ? per : 0.5);
      n[p][s] = want < 2 ? 2 : want > 1e6 ? 1000000 : (uint32_t)want;
    }
  }

  /* Samples: all kinds interleaved, so load changes affect each alike. */
  double *ns[NPATHS][NSIZES];
  double *ratio = xcalloc(samples, sizeof *ratio); /* memcpy / fwd time, 1 MiB */
  for (int p = 0; p < NPATHS; p++)
    for (int s = 0; s < NSIZES; s++) ns[p][s] = xcalloc(samples, sizeof(double));
  double t_start = now_ns();
  for (size_t i = 0; i < samples; i++) {
    for (int s = 0; s < NSIZES; s++)
      for (int p = 0; p < NPATHS; p++)
        if (!skip(p, s)) ns[p][s][i] = run_kind(&c, p, k_sizes[s], n[p][s]) / n[p][s];
    ratio[i] = ns[PATH_MEMCPY][NSIZES - 1][i] / ns[PATH_FWD][NSIZES - 1][i];
  }
  double t_total = (now_ns() - t_start) / 1e9;

  stats_t st[NPATHS][NSIZES];
  memset(st, 0, sizeof st);
  for (int p = 0; p < NPATHS; p++) {
    for (int s = 0; s < NSIZES; s++) {
      if (skip(p, s)) {
        free(ns[p][s]);
        continue;
      }
      st[p][s] = stats_of(ns[p][s], samples);
      char key[96];
      snprintf(key, sizeof key, "copy.%s_%s_ns", k_path_keys[p], k_size_keys[s]);
      emit_stats(key, st[p][s]);
      free(ns[p][s]);
    }
  }
  stats_t rt = stats_of(ratio, samples);
  free(ratio);

  printf("copy: %zu samples of about %.0f us each, %.1f s (ns per call: median, p90; GB/s from the median)\n",
         samples, sample_ns / 1000, t_total);
  printf("  %-7s %-38s %10s %10s %8s %9s\n", "size", "kind", "median", "p90", "GB/s", "calls");
  static const char *const labels[NPATHS] = {
      "guest->guest, copy path (forward)",
      "guest->host->guest, host values",
      "engine floor (raw host fn, no ABI)",
      "memcpy, host buffers",
  };
  for (int s = 0; s < NSIZES; s++)
    for (int p = 0; p < NPATHS; p++) {
      if (skip(p, s)) continue;
      printf("  %-7s %-38s %10.1f %10.1f %8.2f %9u\n", k_size_labels[s], labels[p], st[p][s].median,
             st[p][s].p90, gbps(k_sizes[s], st[p][s].median), n[p][s]);
    }

  /* Fixed cost and marginal throughput from the line through 1 KiB and
   * 1 MiB (medians). */
  double x1 = k_sizes[2], x2 = k_sizes[3];
  double slope = (st[PATH_FWD][3].median - st[PATH_FWD][2].median) / (x2 - x1); /* ns per byte */
  double intercept = st[PATH_FWD][2].median - slope * x1;
  double mslope = (st[PATH_MEMCPY][3].median - st[PATH_MEMCPY][2].median) / (x2 - x1);
  double fwd_gbps = gbps(k_sizes[3], st[PATH_FWD][3].median);
  double mem_gbps = gbps(k_sizes[3], st[PATH_MEMCPY][3].median);
  printf("  fixed cost: empty string %.1f ns, 16 B %.1f ns, intercept (1 KiB..1 MiB line) %.1f ns"
         " [goal <= 100 ns]\n",
         st[PATH_FWD][0].median, st[PATH_FWD][1].median, intercept);
  printf("  throughput at 1 MiB: copy path %.2f GB/s, memcpy %.2f GB/s: %.0f%% of memcpy by"
         " medians; per-sample ratios: median %.0f%%, min %.0f%%, p90 %.0f%% [goal >= 50%%]\n",
         fwd_gbps, mem_gbps, 100 * fwd_gbps / mem_gbps, 100 * rt.median, 100 * rt.min,
         100 * rt.p90);
  printf("  marginal (slope 1 KiB..1 MiB): copy path %.2f GB/s, memcpy %.2f GB/s\n",
         slope > 0 ? 1 / slope : 0, mslope > 0 ? 1 / mslope : 0);
  printf("  at 1 KiB: copy path %.2f GB/s = %.0f%% of memcpy (fixed cost dominates)\n",
         gbps(k_sizes[2], st[PATH_FWD][2].median),
         100 * st[PATH_MEMCPY][2].median / st[PATH_FWD][2].median);
  printf("  engine floor (same crossings, no ABI layer): empty %.1f ns, 16 B %.1f ns; the ABI layer"
         " adds %.1f / %.1f ns\n",
         st[PATH_RAW][0].median, st[PATH_RAW][1].median,
         st[PATH_FWD][0].median - st[PATH_RAW][0].median,
         st[PATH_FWD][1].median - st[PATH_RAW][1].median);
  for (int s = 0; s < NSIZES; s++)
    printf("  host-value path / copy path, %-5s: %.2fx (%.1f ns more per call)\n", k_size_labels[s],
           st[PATH_HOST][s].median / st[PATH_FWD][s].median,
           st[PATH_HOST][s].median - st[PATH_FWD][s].median);

  emit("copy.samples", (double)samples);
  emit("copy.fixed_ns", st[PATH_FWD][1].median);
  emit("copy.intercept_ns", intercept);
  emit("copy.abi_layer_16_ns", st[PATH_FWD][1].median - st[PATH_RAW][1].median);
  emit("copy.fwd_1m_gbps", fwd_gbps);
  emit("copy.memcpy_1m_gbps", mem_gbps);
  emit("copy.fwd_1k_gbps", gbps(k_sizes[2], st[PATH_FWD][2].median));
  emit("copy.memcpy_1k_gbps", gbps(k_sizes[2], st[PATH_MEMCPY][2].median));
  emit("copy.fwd_16_gbps", gbps(k_sizes[1], st[PATH_FWD][1].median));
  emit("copy.memcpy_16_gbps", gbps(k_sizes[1], st[PATH_MEMCPY][1].median));
  emit("copy.marginal_fwd_gbps", slope > 0 ? 1 / slope : 0);
  emit("copy.marginal_memcpy_gbps", mslope > 0 ? 1 / mslope : 0);
  emit("copy.ratio_1m", fwd_gbps / mem_gbps);
  emit_stats("copy.ratio_1m_paired", rt);
  emit("copy.ratio_1m_paired.min", rt.min);
  for (int s = 0; s < NSIZES; s++) {
    char key[64];
    snprintf(key, sizeof key, "copy.host_over_fwd_%s", k_size_keys[s]);
    emit(key, st[PATH_HOST][s].median / st[PATH_FWD][s].median);
  }

  for (int p = 0; p < PATH_MEMCPY; p++) {
    baton_instance_delete(c.inst[p]);
    baton_linker_delete(l[p]);
  }
  baton_instance_delete(callee);
  baton_linker_delete(l_callee);
  baton_module_delete(m_caller);
  baton_module_delete(m_callee);
  baton_engine_delete(engine);
  bt_wit_free(wit);
  free(c.src);
  free(c.dst);
  return 0;
}
