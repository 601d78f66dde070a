/*
 * bench/bench_wasm_parse.c: throughput of the core module reader and
 * validator (bt_wasm_parse: sections, then every function body
 * type-checked by src/wasm/validate.c), which runs on every module load.
 *
 *   bench_wasm_parse FILE.wasm... [--seconds S] [--runs N]
 *
 * For each core module it parses the file repeatedly for about S seconds
 * (default 1; exactly N times with --runs, e.g. under `perf stat`) after one
 * warm-up parse and prints the median CPU time of one
 * parse and the throughput in MB/s (10^6 bytes of module per CPU second), or
 * the reader's error when the module is rejected. Components and unreadable
 * files are reported and skipped.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasm/wasm.h"

/* CPU time of this thread in seconds (not wall time: the parse is
 * single-threaded and CPU time is steadier on a loaded machine). */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads a whole file; caller frees. */
static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  *len = (size_t)(n > 0 ? n : 0);
  return b;
}

/* qsort order for doubles. */
static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Times parsing one file for about `seconds` (or exactly `runs` times when
 * runs > 0); prints one line. */
static void bench_file(const char *path, double seconds, size_t runs) {
  size_t len;
  unsigned char *b = read_file(path, &len);
  if (!b) {
    printf("%-60s cannot read\n", path);
    return;
  }
  bt_wasm_module_t *m = NULL;
  baton_error_t *e = bt_wasm_parse(b, len, &m);
  if (e) {
    printf("%-60s %8.2f MB  rejected: %s\n", path, len / 1e6,
           baton_error_message(e));
    baton_error_delete(e);
    free(b);
    return;
  }
  uint32_t nfuncs = m->nfuncs;
  bt_wasm_module_free(m);
  enum { MAX_SAMPLES = 100000 };
  static double t[MAX_SAMPLES];
  size_t n = 0;
  double start = now();
  while (n < MAX_SAMPLES &&
         (runs ? n < runs : n < 5 || now() - start < seconds)) {
    double t0 = now();
    e = bt_wasm_parse(b, len, &m);
    t[n++] = now() - t0;
    baton_error_delete(e);
    bt_wasm_module_free(m);
  }
  qsort(t, n, sizeof *t, dbl_cmp);
  double med = t[n / 2];
  printf("%-60s %8.2f MB  %6u funcs  %9.3f ms  %8.1f MB/s  (%zu runs)\n",
         path, len / 1e6, nfuncs, med * 1e3, len / 1e6 / med, n);
  free(b);
}

int main(int argc, char **argv) {
  double seconds = 1.0;
  size_t runs = 0;
  int files = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = atof(argv[++i]);
      continue;
    }
    if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = (size_t)atol(argv[++i]);
      continue;
    }
    bench_file(argv[i], seconds, runs);
    files++;
  }
  if (!files) {
    fprintf(stderr,
            "usage: bench_wasm_parse FILE.wasm... [--seconds S] [--runs N]\n");
    return 2;
  }
  return 0;
}
