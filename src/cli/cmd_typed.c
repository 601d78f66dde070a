/*
 * src/cli/cmd_typed.c: the typed form of `baton call FILE.wasm EXPORT
 * [WAVE-ARGS...]` for core modules that follow the canonical ABI as
 * wit-bindgen lays them out. The world comes from --wit DIR --world NAME or
 * from the module's embedded `component-type` section; arguments are WAVE
 * (or JSON with --json) parsed against the export's WIT parameter types and
 * the result is printed the same way. Exports are checked against the world
 * before anything runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/abi.h"
#include "app/internal.h"
#include "cli/cli.h"
#include "component/component.h"
#include "engine/staged.h"
#include "util/fileio.h"
#include "value/value.h"
#include "wit/wit.h"

/* Loads the world for a module: from --wit/--world, or its embedded
 * component-type section. *have is false when neither exists. */
static baton_error_t *load_world(const char *file, const char *wit, const char *world, bt_wit_resolve_t **r,
                                 const bt_wit_world_t **w, bool *have) {
  *have = false;
  baton_error_t *err;
  if (wit) {
    err = bt_wit_parse_path(wit, r);
  } else {
    size_t len = 0;
    uint8_t *bytes = NULL;
    err = bt_read_input(file, true, &bytes, &len);
    if (err && baton_error_code(err) == BATON_ENOT_FOUND) {
      baton_error_delete(err);
      return NULL; /* the loader reports it */
    }
    if (err) return err; /* not a regular file, or too large */
    err = len ? bt_component_decode_wit(bytes, len, r) : baton_error_new(BATON_ENOT_FOUND, "empty");
    bt_free(bytes);
    if (err && (baton_error_code(err) == BATON_ENOT_FOUND || baton_error_code(err) == BATON_EMALFORMED)) {
      baton_error_delete(err); /* no embedded WIT: an untyped call */
      return NULL;
    }
  }
  if (err) return err;
  *have = true;
  return bt_wit_find_world(*r, world, w);
}

int cmd_call_typed(const char *file, int npos, char **pos, const char *wit, const char *world_name, bool json,
                   uint64_t timeout, uint64_t max_mem, bool *handled) {
  *handled = false;
  /* A component binary runs as a component (its world is its own). */
  if (cli_is_component_file(file)) {
    *handled = true;
    if (wit || world_name) {
      fprintf(stderr, "baton: %s is a component; --wit and --world are for core modules\n", file);
      return BT_EXIT_USAGE;
    }
    return cmd_call_component(file, npos, pos, json, timeout, max_mem);
  }
  bt_wit_resolve_t *r = NULL;
  const bt_wit_world_t *world = NULL;
  bool have = false;
  baton_error_t *err = load_world(file, wit, world_name, &r, &world, &have);
  if (!err && !have) return BT_EXIT_OK;
  *handled = true;
  if (err) {
    bt_wit_free(r);
    return cli_fail(err);
  }
  baton_engine_t *engine = NULL;
  baton_module_t *module = NULL;
  baton_linker_t *linker = NULL;
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_value_t *args = NULL, res = {0};
  const bt_wit_function_t *fn = NULL;
  char core[512];
  int rc = BT_EXIT_OK;
  size_t nargs = npos > 2 ? (size_t)npos - 2 : 0;
  if (npos < 2) err = baton_error_new(BATON_EINVALID_ARGUMENT, "a typed call needs an EXPORT");
  if (!err) err = baton_engine_new(NULL, &engine);
  /* Parsed only: the world, the export, the arguments and the imports are
   * checked before the module is compiled. */
  if (!err) err = bt_module_parse_file(engine, file, &module);
  if (!err) err = bt_abi_check_world(module, world);
  if (!err) err = bt_world_find_export(world, file, pos[1], &fn, core, sizeof core);
  if (!err && nargs != fn->param_count) {
    char sig[512];
    err = baton_error_new(BATON_EINVALID_ARGUMENT, "export `%s` is %s: %zu argument%s expected, %zu given", pos[1],
                          bt_abi_func_str(fn, sig, sizeof sig), fn->param_count, fn->param_count == 1 ? "" : "s", nargs);
  }
  if (!err) {
    args = calloc(nargs + 1, sizeof *args);
    if (!args) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  for (size_t i = 0; !err && i < nargs; i++) {
    const char *text = pos[2 + i];
    err = json ? bt_json_parse(text, strlen(text), fn->params[i].type, &args[i])
               : bt_wave_parse(text, strlen(text), fn->params[i].type, &args[i]);
    if (err) err = baton_error_wrap(err, "argument %zu (%s)", i + 1, fn->params[i].name);
  }
  if (!err) err = baton_linker_new(engine, &linker);
  if (!err) {
    const char *gargv[] = {file};
    baton_wasi_config_t wc = {.argv = gargv, .argc = 1, .inherit_stdin = 1};
    err = baton_linker_define_wasi(linker, &wc);
  }
  baton_instance_config_t ic = {.timeout_ms = timeout, .max_memory = max_mem, .poison_on_trap = true};
  baton_instance_pre_t *pre = NULL;
  if (!err) err = baton_instance_pre_new(linker, module, &pre);
  if (!err) err = bt_module_compile(module);
  if (!err) err = baton_instance_pre_instantiate(pre, &ic, &inst, &trap);
  baton_instance_pre_delete(pre);
  if (!err && !trap) err = bt_abi_call(inst, fn, core, args, nargs, &res, &trap);
  if (err) {
    rc = cli_fail(err);
  } else if (trap) {
    if (baton_trap_kind(trap) == BATON_TRAP_EXIT && baton_trap_exit_status(trap) == 0) {
      rc = BT_EXIT_OK;
    } else {
      fprintf(stderr, "trap: %s\n", baton_trap_message(trap));
      rc = BT_EXIT_GUEST;
    }
    baton_trap_delete(trap);
  } else if (fn->result) {
    bt_strbuf_t b = BT_STRBUF_INIT;
    err = json ? bt_json_print(&res, fn->result, &b) : bt_wave_print(&res, fn->result, &b);
    if (err) rc = cli_fail(err);
    else printf("%s\n", b.data ? b.data : "");
    bt_strbuf_free(&b);
  }
  baton_value_clear(&res);
  for (size_t i = 0; args && i < nargs; i++) baton_value_clear(&args[i]);
  free(args);
  baton_instance_delete(inst);
  baton_linker_delete(linker);
  baton_module_delete(module);
  baton_engine_delete(engine);
  bt_wit_free(r);
  return rc;
}
