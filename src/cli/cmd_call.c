/*
 * src/cli/cmd_call.c: `baton call`, which instantiates a core module with
 * WASI and calls one export with literal arguments, and `baton compile`,
 * which fills the AOT cache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "engine/staged.h"
#include "util/common.h"
#include "wasi/fs.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Reports a trap on stderr and returns the exit code it maps to. */
static int report_trap(baton_trap_t *trap) {
  int code = BT_EXIT_GUEST;
  if (baton_trap_kind(trap) == BATON_TRAP_EXIT) {
    int st = baton_trap_exit_status(trap);
    if (st == 0) code = BT_EXIT_OK;
    else fprintf(stderr, "baton: guest exited with status %d\n", st);
  } else {
    fprintf(stderr, "trap: %s\n", baton_trap_message(trap));
  }
  baton_trap_delete(trap);
  return code;
}

/* The --dir grants (repeatable, so taken out of argv before cli_parse). */
static baton_wasi_preopen_t *g_dirs;
static size_t g_ndirs;

void cli_call_dirs(const baton_wasi_preopen_t **dirs, size_t *n) {
  *dirs = g_dirs;
  *n = g_ndirs;
}

static void free_dirs(void) {
  for (size_t i = 0; i < g_ndirs; i++) baton_wasi_preopen_release(&g_dirs[i]);
  free(g_dirs);
  g_dirs = NULL;
  g_ndirs = 0;
}

/* Moves every `--dir HOST[:GUEST][:ro]` / `--dir=...` out of argv into
 * g_dirs; returns the new argc, or -1 after printing an error. */
static int take_dirs(int argc, char **argv) {
  int out = 0;
  g_dirs = calloc((size_t)argc + 1, sizeof *g_dirs);
  if (!g_dirs) return -1;
  for (int i = 0; i < argc; i++) {
    const char *spec = NULL;
    if (!strcmp(argv[i], "--")) {
      while (i < argc) argv[out++] = argv[i++];
      break;
    }
    if (!strcmp(argv[i], "--dir")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "baton: option --dir needs a value\n");
        return -1;
      }
      spec = argv[++i];
    } else if (!strncmp(argv[i], "--dir=", 6)) {
      spec = argv[i] + 6;
    } else {
      argv[out++] = argv[i];
      continue;
    }
    if (baton_wasi_preopen_parse(spec, NULL, &g_dirs[g_ndirs]) != 0) {
      fprintf(stderr, "baton: --dir expects HOST[:GUEST][:ro], got `%s`\n", spec);
      return -1;
    }
    char buf[512];
    const char *why = bt_wasi_grant_breadth(g_dirs[g_ndirs].host_path, buf, sizeof buf);
    if (why) fprintf(stderr, "baton: warning: --dir `%s` grants %s\n", spec, why);
    g_ndirs++;
  }
  return out;
}

static int cmd_call_inner(int argc, char **argv);

int cmd_call(int argc, char **argv) {
  int n = take_dirs(argc, argv);
  int rc = n < 0 ? BT_EXIT_USAGE : cmd_call_inner(n, argv);
  free_dirs();
  return rc;
}

static int cmd_call_inner(int argc, char **argv) {
  cli_opt_t opts[] = {
      {"timeout", 0, true, NULL}, {"max-memory", 0, true, NULL}, {"repeat", 0, true, NULL},
      {"file", 'f', true, NULL},  {"wit", 0, true, NULL},        {"world", 0, true, NULL},
      {"json", 0, false, NULL},
  };
  const size_t nopts = BT_ARRAY_LEN(opts);
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = pos ? cli_parse(argc, argv, opts, nopts, pos) : -1;
  if (npos >= 0 && cli_get(opts, nopts, "file")) {
    int rc = cmd_call_app(cli_get(opts, nopts, "file"), npos, pos, cli_get(opts, nopts, "json") != NULL);
    free(pos);
    return rc;
  }
  if (npos < 1) {
    if (npos == 0) fprintf(stderr, "usage: baton call FILE.wasm [EXPORT] [ARGS...] [--timeout MS] [--max-memory BYTES] [--repeat N] [--dir HOST[:GUEST][:ro]]...\n");
    free(pos);
    return BT_EXIT_USAGE;
  }
  uint64_t timeout = 0, max_mem = 0, repeat = 1;
  const char *v;
  if ((v = cli_get(opts, nopts, "timeout")) && (!cli_parse_size(v, &timeout) || !timeout)) {
    fprintf(stderr, "baton: --timeout expects a positive number of milliseconds, got `%s`\n", v);
    free(pos);
    return BT_EXIT_USAGE;
  }
  if ((v = cli_get(opts, nopts, "max-memory")) && (!cli_parse_size(v, &max_mem) || !max_mem)) {
    fprintf(stderr, "baton: --max-memory expects a positive size in bytes (K, M, G suffixes), got `%s`\n", v);
    free(pos);
    return BT_EXIT_USAGE;
  }
  if ((v = cli_get(opts, nopts, "repeat")) && (!cli_parse_size(v, &repeat) || !repeat)) {
    fprintf(stderr, "baton: --repeat expects a positive count, got `%s`\n", v);
    free(pos);
    return BT_EXIT_USAGE;
  }

  const char *file = pos[0];
  bool handled = false;
  int trc = cmd_call_typed(file, npos, pos, cli_get(opts, nopts, "wit"), cli_get(opts, nopts, "world"),
                           cli_get(opts, nopts, "json") != NULL, timeout, max_mem, &handled);
  if (handled) {
    free(pos);
    return trc;
  }
  int rc = BT_EXIT_USAGE;
  baton_engine_t *engine = NULL;
  baton_module_t *module = NULL;
  baton_linker_t *linker = NULL;
  baton_instance_pre_t *pre = NULL;
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_val_t *args = NULL, *results = NULL;
  double *times = NULL;
  baton_error_t *err = baton_engine_new(NULL, &engine);
  /* Parsed only: the imports (the pre) and the export are checked before
   * the module is compiled. */
  if (!err) err = bt_module_parse_file(engine, file, &module);
  if (!err) err = baton_linker_new(engine, &linker);
  if (!err) {
    const char *gargv[] = {file};
    baton_wasi_config_t wc = {.argv = gargv, .argc = 1, .inherit_stdin = 1,
                              .preopens = g_dirs, .npreopens = g_ndirs};
    err = baton_linker_define_wasi(linker, &wc);
  }
  if (!err) err = baton_instance_pre_new(linker, module, &pre);
  if (err) goto done_err;

  /* Find the export and convert the arguments before running anything. */
  const char *export_name = npos > 1 ? pos[1] : NULL;
  baton_functype_t type = {0};
  bool found = false;
  if (!export_name) {
    baton_extern_desc_t d;
    for (size_t i = 0; baton_module_export(module, i, &d); i++)
      if (d.kind == BATON_EXTERN_FUNC && !strcmp(d.name, "_start")) found = true;
    if (!found) {
      err = baton_error_new(BATON_EINVALID_ARGUMENT, "%s: no EXPORT given and the module has no `_start`", file);
      goto done_err;
    }
    export_name = "_start";
    found = false;
  }
  {
    baton_extern_desc_t d;
    for (size_t i = 0; baton_module_export(module, i, &d); i++) {
      if (d.kind == BATON_EXTERN_FUNC && !strcmp(d.name, export_name)) {
        type = d.type;
        found = true;
      }
    }
  }
  if (!found) {
    err = baton_error_new(BATON_ENOT_FOUND, "%s has no exported function \"%s\"", file, export_name);
    goto done_err;
  }
  size_t nargs = (size_t)npos - 2;
  if (npos < 2) nargs = 0;
  if (nargs != type.nparams) {
    err = baton_error_new(BATON_EINVALID_ARGUMENT, "export \"%s\" takes %zu argument%s, %zu given",
                          export_name, type.nparams, type.nparams == 1 ? "" : "s", nargs);
    goto done_err;
  }
  args = calloc(nargs + 1, sizeof *args);
  results = calloc(type.nresults + 1, sizeof *results);
  times = calloc(repeat, sizeof *times);
  if (!args || !results || !times) {
    err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
    goto done_err;
  }
  for (size_t i = 0; i < nargs; i++) {
    if (!cli_parse_val(pos[2 + i], type.params[i], &args[i])) {
      err = baton_error_new(BATON_EINVALID_ARGUMENT, "argument %zu `%s` is not a valid %s for export \"%s\"",
                            i + 1, pos[2 + i], baton_valkind_name(type.params[i]), export_name);
      goto done_err;
    }
  }

  err = bt_module_compile(module);
  if (err) goto done_err;
  baton_instance_config_t ic = {.timeout_ms = timeout, .max_memory = max_mem};
  bool exited = false;
  for (uint64_t r = 0; r < repeat; r++) {
    double t0 = now_us();
    err = baton_instance_pre_instantiate(pre, &ic, &inst, &trap);
    if (err) goto done_err;
    if (trap) break;
    uint32_t index;
    err = baton_instance_lookup(inst, export_name, &index, NULL);
    if (!err) err = baton_instance_call_index(inst, index, args, nargs, results, type.nresults, &trap);
    baton_instance_delete(inst);
    inst = NULL;
    times[r] = now_us() - t0;
    if (err) goto done_err;
    /* proc_exit(0) ends a run successfully, but without results */
    if (trap && baton_trap_kind(trap) == BATON_TRAP_EXIT && baton_trap_exit_status(trap) == 0) {
      baton_trap_delete(trap);
      trap = NULL;
      exited = true;
    }
    if (trap) break;
  }
  if (trap) {
    rc = report_trap(trap);
    trap = NULL;
  } else {
    for (size_t i = 0; i < type.nresults && !exited; i++) {
      char buf[64];
      cli_print_val(&results[i], buf, sizeof buf);
      printf("%s\n", buf);
    }
    fflush(stdout); /* results before the timing line when both are piped together */
    if (repeat > 1) {
      qsort(times, repeat, sizeof *times, cmp_double);
      double median = repeat % 2 ? times[repeat / 2] : (times[repeat / 2 - 1] + times[repeat / 2]) / 2;
      fprintf(stderr, "%llu calls, median %.2f us per fresh instance+call\n",
              (unsigned long long)repeat, median);
    }
    rc = BT_EXIT_OK;
  }
  goto done;
done_err:
  rc = cli_fail(err);
done:
  fflush(stdout);
  baton_instance_delete(inst);
  baton_instance_pre_delete(pre);
  baton_linker_delete(linker);
  baton_module_delete(module);
  baton_engine_delete(engine);
  free(args);
  free(results);
  free(times);
  free(pos);
  return rc;
}

int cmd_compile(int argc, char **argv) {
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = pos ? cli_parse(argc, argv, NULL, 0, pos) : -1;
  if (npos < 1) {
    if (npos == 0) fprintf(stderr, "usage: baton compile FILE.wasm...\n");
    free(pos);
    return BT_EXIT_USAGE;
  }
  baton_engine_t *engine;
  baton_error_t *err = baton_engine_new(NULL, &engine);
  if (err) {
    free(pos);
    return cli_fail(err);
  }
  int rc = BT_EXIT_OK;
  for (int i = 0; i < npos; i++) {
    if (cli_is_component_file(pos[i])) {
      char summary[256];
      err = cli_compile_component(engine, pos[i], summary, sizeof summary);
      if (err) rc = cli_fail(err);
      else printf("%s: %s\n", pos[i], summary);
      continue;
    }
    baton_module_t *m;
    err = baton_module_new_file(engine, pos[i], &m);
    if (err) {
      rc = cli_fail(err);
      continue;
    }
    if (baton_module_cache_hit(m))
      printf("%s: cached %s\n", pos[i], baton_module_cache_path(m));
    else
      printf("%s: compiled in %.2f s -> %s\n", pos[i], baton_module_compile_seconds(m),
             baton_module_cache_path(m));
    baton_module_delete(m);
  }
  baton_engine_delete(engine);
  free(pos);
  return rc;
}
