/*
 * bench/bench_chain.c: the three-component chain benchmark, baton's side
 * (bench/chain.sh runs it next to bench/chain_node.mjs, the same components
 * transpiled by `jco transpile` on Node). Three C components built by
 * bench/chain/build.sh from bench/chain/chain.wit:
 *
 *   host --run(s)--> chain_a --stage.process(s)--> chain_b --stage.process(s)--> chain_c
 *
 * each appends two bytes to what comes back, so run(s) = s + "|c|b|a". The
 * components are instantiated separately and composed as the component
 * tests and apps do it (src/app/comp_component.c, component → component:
 * "the provider's exports themselves"): chain_b's `stage` import is
 * resolved to chain_c's export (bt_cinstance_export) and chain_a's to
 * chain_b's. A call is one bt_cfunc_call of chain_a's `run` with a host
 * string (baton_value_t), so it includes lowering the argument into A,
 * two component-to-component calls (lift from the caller, lower into the
 * callee, and back for the result string), lifting the 1030-byte result
 * into a host string and freeing it.
 *
 *   bench_chain DIR [--len BYTES] [--samples K] [--batch N]
 *               [--inst-samples K2] [--inst-batch N2] [--out FILE]
 *
 * DIR holds chain_{a,b,c}.wasm. The input is `len` (default 1024) ASCII
 * bytes, the same pattern as chain_node.mjs builds. Steady state: K samples
 * (default 301) of N calls (default 200) on one composed chain, after a
 * warm-up of K/4 samples; per-call median and p90 over samples. Fresh: K2
 * samples (default 101) of N2 cycles (default 10), each cycle instantiating
 * C, B and A, calling run once and freeing the three instances. As context
 * it also times one host call of chain_c's `stage.process` alone (one
 * component boundary). --out writes the result of run to FILE (the runner
 * compares it with Node's). Results: text and `@ chain.* value` lines.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baton/baton.h"
#include "component/instance.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void emit_stats(const char *key, double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_double);
  size_t p90 = (size_t)((n * 9 + 9) / 10); /* nearest rank */
  if (p90 > n) p90 = n;
  printf("@ %s.median %.6g\n@ %s.p90 %.6g\n@ %s.min %.6g\n", key, n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2,
         key, v[p90 - 1], key, v[0]);
}

static void check(baton_error_t *err, const char *what) {
  if (!err) return;
  fprintf(stderr, "bench_chain: %s: %s\n", what, baton_error_message(err));
  baton_error_delete(err);
  exit(1);
}

static void check_trap(baton_trap_t *trap, const char *what) {
  if (!trap) return;
  fprintf(stderr, "bench_chain: %s trapped: %s\n", what, baton_trap_message(trap));
  baton_trap_delete(trap);
  exit(1);
}

static const char *opt_str(int argc, char **argv, const char *name) {
  for (int i = 2; i + 1 < argc; i++)
    if (!strcmp(argv[i], name)) return argv[i + 1];
  return NULL;
}

static unsigned long opt_ul(int argc, char **argv, const char *name, unsigned long def) {
  const char *s = opt_str(argc, argv, name);
  return s ? strtoul(s, NULL, 10) : def;
}

static baton_engine_t *engine;
static bt_ccomp_t *comp_a, *comp_b, *comp_c;

static bt_ccomp_t *load(const char *dir, const char *name) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s.wasm", dir, name);
  bt_ccomp_t *c = NULL;
  check(bt_ccomp_new_file(engine, path, &c), path);
  return c;
}

/* Resolves every import with the same-named export of instance env. */
static baton_error_t *from_instance(void *env, bt_cinstance_t *inst, const bt_cextern_t *imp, bt_citem_t *out) {
  (void)inst;
  if (!bt_cinstance_export(env, imp->name, out))
    return baton_error_new(BATON_ENOT_FOUND, "no export `%s` to satisfy the import", imp->name);
  return NULL;
}

static bt_cinstance_t *inst_new(bt_ccomp_t *c, bt_cinstance_t *provider, const char *what) {
  bt_cinstance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  bt_cresolver_t r = {from_instance, provider};
  bt_cinstance_config_t cfg = {0};
  check(bt_cinstance_new(c, provider ? &r : NULL, &cfg, &inst, &trap), what);
  check_trap(trap, what);
  return inst;
}

typedef struct {
  bt_cinstance_t *a, *b, *c;
  bt_cfunc_t *run;
} chain_t;

static void chain_new(chain_t *ch) {
  ch->c = inst_new(comp_c, NULL, "instantiating chain_c");
  ch->b = inst_new(comp_b, ch->c, "instantiating chain_b");
  ch->a = inst_new(comp_a, ch->b, "instantiating chain_a");
  check(bt_cinstance_find_func(ch->a, "run", &ch->run), "finding chain_a's run");
}

static void chain_free(chain_t *ch) {
  bt_cinstance_free(ch->a);
  bt_cinstance_free(ch->b);
  bt_cinstance_free(ch->c);
}

static void call(bt_cfunc_t *fn, bt_cinstance_t *inst, const baton_value_t *arg, baton_value_t *res) {
  baton_trap_t *trap = NULL;
  check(bt_cfunc_call(fn, bt_cinstance_store(inst), arg, 1, res, &trap), "calling run");
  check_trap(trap, "run");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_chain DIR [--len BYTES] [--samples K] [--batch N] [--inst-samples K2] "
                    "[--inst-batch N2] [--out FILE]\n");
    return 2;
  }
  const char *dir = argv[1];
  size_t len = opt_ul(argc, argv, "--len", 1024);
  size_t samples = opt_ul(argc, argv, "--samples", 301), batch = opt_ul(argc, argv, "--batch", 200);
  size_t isamples = opt_ul(argc, argv, "--inst-samples", 101), ibatch = opt_ul(argc, argv, "--inst-batch", 10);
  const char *out = opt_str(argc, argv, "--out");
  if (!samples || !batch || !isamples || !ibatch) {
    fprintf(stderr, "bench_chain: counts must be positive\n");
    return 2;
  }

  check(baton_engine_new(NULL, &engine), "creating the engine");
  double t0 = now_ns();
  comp_a = load(dir, "chain_a");
  comp_b = load(dir, "chain_b");
  comp_c = load(dir, "chain_c");
  printf("loaded the three components in %.2f ms\n", (now_ns() - t0) / 1e6);

  /* The input: `len` bytes of a fixed ASCII pattern (chain_node.mjs builds
   * the same). */
  static const char pat[] = "baton three-component chain 0123456789 ";
  baton_value_t arg = {.kind = BATON_VALUE_STRING};
  arg.of.str.ptr = malloc(len + 1);
  for (size_t i = 0; i < len; i++) arg.of.str.ptr[i] = pat[i % (sizeof pat - 1)];
  arg.of.str.ptr[len] = 0;
  arg.of.str.len = len;

  chain_t ch;
  chain_new(&ch);
  baton_value_t res = {0};
  call(ch.run, ch.a, &arg, &res);
  if (res.kind != BATON_VALUE_STRING || res.of.str.len != len + 6 || memcmp(res.of.str.ptr, arg.of.str.ptr, len) ||
      memcmp(res.of.str.ptr + len, "|c|b|a", 6)) {
    fprintf(stderr, "bench_chain: run returned the wrong string\n");
    return 1;
  }
  if (out) {
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(res.of.str.ptr, 1, res.of.str.len, f) != res.of.str.len || fclose(f)) {
      perror(out);
      return 1;
    }
  }
  baton_value_clear(&res);
  printf("run(%zu bytes) = input + \"|c|b|a\" (%zu bytes): ok\n", len, len + 6);

  /* Steady state: warm-up, then samples of `batch` calls. */
  double *v = calloc(samples > isamples ? samples : isamples, sizeof *v);
  for (size_t s = 0; s < samples / 4 + 1; s++)
    for (size_t i = 0; i < batch; i++) {
      call(ch.run, ch.a, &arg, &res);
      baton_value_clear(&res);
    }
  for (size_t s = 0; s < samples; s++) {
    double t = now_ns();
    for (size_t i = 0; i < batch; i++) {
      call(ch.run, ch.a, &arg, &res);
      baton_value_clear(&res);
    }
    v[s] = (now_ns() - t) / 1e3 / (double)batch;
  }
  printf("@ chain.len %zu\n", len);
  printf("chain call, %zu samples of %zu calls, us per call:\n", samples, batch);
  emit_stats("chain.baton_us", v, samples);

  /* Context: one host call of chain_c's stage.process (one boundary). */
  bt_cfunc_t *proc;
  check(bt_cinstance_find_func(ch.c, "process", &proc), "finding chain_c's process");
  for (size_t s = 0; s < samples; s++) {
    double t = now_ns();
    for (size_t i = 0; i < batch; i++) {
      call(proc, ch.c, &arg, &res);
      baton_value_clear(&res);
    }
    v[s] = (now_ns() - t) / 1e3 / (double)batch;
  }
  printf("context: host call of chain_c's process alone, us per call:\n");
  emit_stats("chain.baton_c_only_us", v, samples);
  chain_free(&ch);

  /* Fresh chain: instantiate C, B, A; call run; free. */
  for (size_t s = 0; s < isamples / 4 + 1; s++) {
    chain_new(&ch);
    call(ch.run, ch.a, &arg, &res);
    baton_value_clear(&res);
    chain_free(&ch);
  }
  for (size_t s = 0; s < isamples; s++) {
    double t = now_ns();
    for (size_t i = 0; i < ibatch; i++) {
      chain_new(&ch);
      call(ch.run, ch.a, &arg, &res);
      baton_value_clear(&res);
      chain_free(&ch);
    }
    v[s] = (now_ns() - t) / 1e3 / (double)ibatch;
  }
  printf("fresh chain (3 instantiations + run + 3 frees), %zu samples of %zu, us per cycle:\n", isamples, ibatch);
  emit_stats("chain.baton_fresh_us", v, isamples);

  free(v);
  baton_value_clear(&arg);
  bt_ccomp_free(comp_a);
  bt_ccomp_free(comp_b);
  bt_ccomp_free(comp_c);
  baton_engine_delete(engine);
  return 0;
}
