/*
 * src/cli/cmd_component.c: `baton call COMPONENT.wasm EXPORT [ARGS...]` for
 * real components (src/component/instance.h). The component is compiled
 * (its core modules through the AOT cache) and instantiated; it may import
 * nothing the command line cannot provide (every import is reported by
 * name). EXPORT is `f`, `iface#f` or `ns:pkg/iface@v#f`; arguments are WAVE
 * (or JSON with --json) parsed against the export's parameter types and the
 * result is printed the same way. Own handles in the result are printed as
 * their index in the host's table. WASI 0.2 imports (src/wasi/preview2.h)
 * are provided: argv is the component's path, no environment, stdio
 * inherited. Without EXPORT, a command component (one exporting
 * `wasi:cli/run@0.2.x`) is run: `run` returning err, or exit(err), ends with
 * status 1 ("guest exited with status N" for exit-with-code). Also the
 * component branch of `baton compile` and `baton build`
 * (cli_compile_component).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/abi.h"
#include "cli/cli.h"
#include "component/instance.h"
#include "util/fileio.h"
#include "util/strbuf.h"
#include "value/value.h"
#include "wasi/preview2.h"

/* Lists the exported functions of an instance for a usage message. */
static void list_exports(bt_cinstance_t *inst) {
  const bt_wit_world_t *w = NULL;
  baton_error_t *err = bt_cinstance_world(inst, &w);
  if (err || !w) {
    baton_error_delete(err);
    return;
  }
  fprintf(stderr, "exported functions:\n");
  for (size_t i = 0; i < w->export_count; i++) {
    const bt_wit_world_item_t *it = &w->exports[i];
    if (it->kind == BT_WIT_ITEM_FUNCTION) fprintf(stderr, "  %s\n", it->name);
    else if (it->kind == BT_WIT_ITEM_INTERFACE)
      for (size_t k = 0; k < it->interface->function_count; k++)
        fprintf(stderr, "  %s#%s\n", it->name, it->interface->functions[k]->name);
  }
}

/* Checks, before anything is compiled, that every import of the root can
 * be satisfied: `(eq T)` type imports by their definition, the rest by the
 * WASI 0.2 host (bt_wasi2_check). */
static baton_error_t *check_imports(const bt_ccomp_t *comp, const char *file) {
  const bt_component_t *c = bt_ccomp_component(comp);
  for (uint32_t i = 0; i < c->nimports; i++) {
    const bt_cextern_t *imp = &c->imports[i];
    if (imp->sort == BT_CSORT_TYPE && imp->type && imp->type->kind == BT_CT_ALIAS) continue;
    baton_error_t *err = bt_wasi2_check(imp);
    if (err) return baton_error_wrap(err, "%s", file);
  }
  return NULL;
}

int cmd_call_component(const char *file, int npos, char **pos, bool json, uint64_t timeout, uint64_t max_mem) {
  baton_engine_t *engine = NULL;
  bt_ccomp_t *comp = NULL;
  bt_cinstance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_value_t *args = NULL, res = {0};
  bt_cfunc_t *fn = NULL;
  int rc = BT_EXIT_OK;
  size_t nargs = npos > 2 ? (size_t)npos - 2 : 0;
  bt_wasi2_t *wasi = NULL;
  const char *export_name = npos >= 2 ? pos[1] : NULL;
  char run_name[256];
  baton_error_t *err = baton_engine_new(NULL, &engine);
  /* Parse and check the imports first: a component whose imports cannot be
   * satisfied is refused before its core modules are compiled. */
  if (!err) err = bt_ccomp_parse_file(engine, file, &comp);
  if (!err) err = check_imports(comp, file);
  if (!err) err = bt_ccomp_compile(comp);
  const char *gargv[] = {file};
  baton_wasi_config_t wc = {.argv = gargv, .argc = 1, .inherit_stdin = 1};
  cli_call_dirs(&wc.preopens, &wc.npreopens);
  if (!err) err = bt_wasi2_new(&wc, &wasi);
  bt_cresolver_t resolver = {bt_wasi2_resolve, wasi};
  bt_cinstance_config_t cfg = {.timeout_ms = timeout, .max_memory = max_mem};
  if (!err) err = bt_cinstance_new(comp, &resolver, &cfg, &inst, &trap);
  if (!err && !trap && !export_name) {
    /* A command component: run wasi:cli/run@0.2.x#run. */
    bt_citem_t it;
    const bt_wit_world_t *w = NULL;
    baton_error_t *e2 = bt_cinstance_world(inst, &w);
    baton_error_delete(e2);
    for (size_t i = 0; w && i < w->export_count && !export_name; i++)
      if (!strncmp(w->exports[i].name, "wasi:cli/run@0.2.", 17) && bt_cinstance_export(inst, w->exports[i].name, &it))
        export_name = w->exports[i].name;
    if (export_name) {
      snprintf(run_name, sizeof run_name, "%s#run", export_name);
      export_name = run_name;
    }
  }
  if (!err && !trap && !export_name) {
    fprintf(stderr, "baton: a component call needs an EXPORT: baton call %s EXPORT [ARGS...]\n", file);
    list_exports(inst);
    rc = BT_EXIT_USAGE;
    goto done;
  }
  if (!err && !trap) err = bt_cinstance_find_func(inst, export_name, &fn);
  const bt_wit_function_t *w = fn ? bt_cfunc_wit(fn) : NULL;
  if (!err && !trap && nargs != w->param_count) {
    char sig[512];
    err = baton_error_new(BATON_EINVALID_ARGUMENT, "export `%s` is %s: %zu argument%s expected, %zu given",
                          export_name, bt_abi_func_str(w, sig, sizeof sig), w->param_count,
                          w->param_count == 1 ? "" : "s", nargs);
  }
  if (!err && !trap) {
    args = calloc(nargs + 1, sizeof *args);
    if (!args) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  for (size_t i = 0; !err && !trap && i < nargs; i++) {
    const char *text = pos[2 + i];
    err = json ? bt_json_parse(text, strlen(text), w->params[i].type, &args[i])
               : bt_wave_parse(text, strlen(text), w->params[i].type, &args[i]);
    if (err) err = baton_error_wrap(err, "argument %zu (%s)", i + 1, w->params[i].name);
  }
  if (!err && !trap) err = bt_cfunc_call(fn, bt_cinstance_store(inst), args, nargs, &res, &trap);
  if (err) {
    rc = cli_fail(err);
  } else if (trap && baton_trap_kind(trap) == BATON_TRAP_EXIT) {
    int st = baton_trap_exit_status(trap); /* wasi:cli/exit */
    if (st) fprintf(stderr, "baton: guest exited with status %d\n", st);
    baton_trap_delete(trap);
    rc = st ? BT_EXIT_GUEST : BT_EXIT_OK;
  } else if (trap) {
    fprintf(stderr, "trap: %s\n", baton_trap_message(trap));
    baton_trap_delete(trap);
    rc = BT_EXIT_GUEST;
  } else if (npos < 2 && w && w->result && res.kind == BATON_VALUE_RESULT) {
    /* wasi:cli/run#run: ok is success, err exit status 1 */
    if (res.of.var.index) fprintf(stderr, "baton: guest exited with status 1\n");
    rc = res.of.var.index ? BT_EXIT_GUEST : BT_EXIT_OK;
  } else if (w && w->result) {
    bt_strbuf_t b = BT_STRBUF_INIT;
    err = json ? bt_json_print(&res, w->result, &b) : bt_wave_print(&res, w->result, &b);
    if (err) rc = cli_fail(err);
    else printf("%s\n", b.data ? b.data : "");
    bt_strbuf_free(&b);
  }
done:
  baton_value_clear(&res);
  for (size_t i = 0; args && i < nargs; i++) baton_value_clear(&args[i]);
  free(args);
  bt_cinstance_free(inst);
  bt_wasi2_free(wasi);
  bt_ccomp_free(comp);
  baton_engine_delete(engine);
  return rc;
}

bool cli_is_component_file(const char *path) {
  uint8_t head[8];
  return bt_read_head(path, head, 8) == 8 && bt_component_is_component(head, 8);
}

baton_error_t *cli_compile_component(baton_engine_t *engine, const char *path, char *summary, size_t n) {
  bt_ccomp_t *comp = NULL;
  baton_error_t *err = bt_ccomp_new_file(engine, path, &comp);
  if (err) return err;
  uint32_t compiled, emulated;
  bt_ccomp_stats(comp, &compiled, &emulated);
  snprintf(summary, n, "component: %u core module%s compiled or cached, %u adapter module%s run without "
           "compiling", compiled, compiled == 1 ? "" : "s", emulated, emulated == 1 ? "" : "s");
  bt_ccomp_free(comp);
  return NULL;
}
