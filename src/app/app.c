/*
 * src/app/app.c: loading an application. The manifest is parsed and its
 * variables resolved; then every component's module is compiled, its WIT
 * world found (the module's embedded `component-type` section, else the
 * manifest's `wit` and `world`), its exports checked against that world,
 * and a linker built: WASI with the component's name as output prefix, and
 * the config provider for any imported `config` interface whose
 * `get-config` has the expected type. Flows are then compiled (run.c).
 * Calls go through fresh instances made from each component's pre.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/abi.h"
#include "app/internal.h"
#include "component/component.h"
#include "component/instance.h"
#include "engine/staged.h"
#include "util/fileio.h"
#include "value/value.h"
#include "wasi/fs.h"

bt_comp_t *bt_app_comp(baton_app_t *app, const char *name) {
  for (size_t i = 0; i < app->ncomps; i++)
    if (!strcmp(app->comps[i].m->name, name)) return &app->comps[i];
  return NULL;
}

const char *baton_app_path(const baton_app_t *app) { return app->manifest->path; }

/* ---- exports ---- */

baton_error_t *bt_app_find_export(const bt_comp_t *c, const char *name, const bt_wit_function_t **fn,
                                  char *core, size_t size) {
  return bt_world_find_export(c->world, c->m->name, name, fn, core, size);
}

baton_error_t *bt_world_find_export(const bt_wit_world_t *world, const char *label, const char *name,
                                    const bt_wit_function_t **fn, char *core, size_t size) {
  const bt_wit_function_t *found = NULL;
  int matches = 0;
  for (size_t i = 0; i < world->export_count; i++) {
    const bt_wit_world_item_t *it = &world->exports[i];
    if (it->kind == BT_WIT_ITEM_FUNCTION) {
      if (!strcmp(it->name, name)) {
        *fn = it->function;
        bt_abi_export_name(it, it->function, core, size);
        return NULL;
      }
      continue;
    }
    if (it->kind != BT_WIT_ITEM_INTERFACE) continue;
    const bt_wit_interface_t *iface = it->interface;
    for (size_t k = 0; k < iface->function_count; k++) {
      const bt_wit_function_t *f = iface->functions[k];
      char full[512], shortname[512];
      bt_abi_export_name(it, f, full, sizeof full);
      snprintf(shortname, sizeof shortname, "%s#%s", iface->name ? iface->name : it->name, f->name);
      if (!strcmp(full, name) || !strcmp(shortname, name)) {
        *fn = f;
        snprintf(core, size, "%s", full);
        return NULL;
      }
      if (!strcmp(f->name, name)) {
        matches++;
        found = f;
        snprintf(core, size, "%s", full);
      }
    }
  }
  if (matches == 1) {
    *fn = found;
    return NULL;
  }
  if (matches > 1)
    return baton_error_new(BATON_EINVALID_ARGUMENT,
                           "%s: export `%s` is ambiguous; write it as `interface#%s`", label, name, name);
  return baton_error_new(BATON_ENOT_FOUND, "%s has no export `%s` in world `%s`", label, name,
                         world->name);
}

baton_error_t *bt_app_only_export(const bt_comp_t *c, const char **name) {
  const char *only = NULL;
  size_t n = 0;
  for (size_t i = 0; i < c->world->export_count; i++) {
    const bt_wit_world_item_t *it = &c->world->exports[i];
    if (it->kind == BT_WIT_ITEM_FUNCTION) {
      only = it->name;
      n++;
    } else if (it->kind == BT_WIT_ITEM_INTERFACE) {
      for (size_t k = 0; k < it->interface->function_count; k++) {
        only = it->interface->functions[k]->name;
        n++;
      }
    }
  }
  if (n == 1) {
    *name = only;
    return NULL;
  }
  return baton_error_new(BATON_EINVALID_ARGUMENT,
                         "component `%s` exports %zu functions; a pipeline step needs exactly one "
                         "(declare a flow to pick one)", c->m->name, n);
}

/* ---- the config provider ---- */

/* Checks get-config's type: func(key: string) -> result<string, error>
 * with error a variant of four string cases. */
static bool config_type_ok(const bt_wit_function_t *fn) {
  if (fn->param_count != 1 || bt_wit_type_unalias(fn->params[0].type)->kind != BT_WIT_STRING) return false;
  const bt_wit_type_t *r = bt_wit_type_unalias(fn->result);
  if (!r || r->kind != BT_WIT_RESULT || !r->ok || !r->err) return false;
  if (bt_wit_type_unalias(r->ok)->kind != BT_WIT_STRING) return false;
  const bt_wit_type_t *e = bt_wit_type_unalias(r->err);
  static const char *cases[] = {"provider", "invalid-key", "invalid-schema", "other"};
  if (e->kind != BT_WIT_VARIANT || e->count != 4) return false;
  for (size_t i = 0; i < 4; i++)
    if (strcmp(e->fields[i].name, cases[i]) || !e->fields[i].type ||
        bt_wit_type_unalias(e->fields[i].type)->kind != BT_WIT_STRING)
      return false;
  return true;
}

static bool set_str(baton_value_t *v, const char *s) {
  v->kind = BATON_VALUE_STRING;
  v->of.str.len = strlen(s);
  v->of.str.ptr = bt_strdup(s);
  return v->of.str.ptr != NULL;
}

baton_trap_t *bt_app_config_lookup(const bt_comp_t *c, const baton_value_t *args, baton_value_t *result) {
  const char *key = args[0].of.str.ptr;
  const bt_app_component_var_t *var = bt_app_component_var(c->m, key);
  baton_value_t *payload = bt_calloc(1, sizeof *payload);
  if (!payload) return baton_trap_new(BATON_TRAP_HOST, "config: out of memory");
  result->kind = BATON_VALUE_RESULT;
  result->of.var.payload = payload;
  if (var && var->value) {
    result->of.var.index = 0;
    if (!set_str(payload, var->value)) return baton_trap_new(BATON_TRAP_HOST, "config: out of memory");
    return NULL;
  }
  result->of.var.index = 1;
  payload->kind = BATON_VALUE_VARIANT;
  payload->of.var.index = 1; /* invalid-key */
  payload->of.var.payload = bt_calloc(1, sizeof(baton_value_t));
  if (!payload->of.var.payload || !set_str(payload->of.var.payload, key))
    return baton_trap_new(BATON_TRAP_HOST, "config: out of memory");
  return NULL;
}

/* get-config(key) as a core module's host import. */
static baton_trap_t *config_get(void *env, baton_instance_t *caller, const baton_value_t *args,
                                size_t nargs, baton_value_t *result) {
  return bt_app_config_lookup(env, args, result);
}

bool bt_app_is_config(const bt_comp_t *c, const bt_wit_world_item_t *it) {
  if (it->kind != BT_WIT_ITEM_INTERFACE) return false;
  const char *bound = c->m->config_import.text;
  const char *iname = it->interface->name ? it->interface->name : it->name;
  return !strcmp(iname, "config") || (bound && (!strcmp(bound, it->name) || !strcmp(bound, iname)));
}

baton_error_t *bt_app_config_fn(const bt_wit_world_item_t *it, const bt_wit_function_t **out) {
  const bt_wit_function_t *fn = bt_wit_interface_function(it->interface, "get-config");
  if (!fn || !config_type_ok(fn)) {
    char have[512] = "no get-config function";
    if (fn) bt_abi_func_str(fn, have, sizeof have);
    return baton_error_new(BATON_ETYPE,
                           "import `%s` is a config interface, but its get-config is "
                           "`%s`; baton provides get-config: func(key: string) -> result<string, error> "
                           "with error = variant { provider(string), invalid-key(string), "
                           "invalid-schema(string), other(string) }",
                           it->name, have);
  }
  *out = fn;
  return NULL;
}

/* Binds every import of c's world that is a config interface. */
static baton_error_t *bind_config(bt_comp_t *c, baton_linker_t *linker) {
  for (size_t i = 0; i < c->world->import_count; i++) {
    const bt_wit_world_item_t *it = &c->world->imports[i];
    if (!bt_app_is_config(c, it)) continue;
    const bt_wit_function_t *fn;
    baton_error_t *err = bt_app_config_fn(it, &fn);
    if (err) return err;
    char module[512];
    bt_abi_import_module(it, module, sizeof module);
    err = bt_abi_define_import(linker, module, fn, config_get, c, NULL);
    if (err) return err;
    c->config_fn = fn;
  }
  return NULL;
}

/* ---- components ---- */

/* Finds the component's world: embedded component-type, else the manifest. */
static baton_error_t *load_world(bt_comp_t *c) {
  const char *world_name = c->m->world.text;
  if (c->m->wit.text) {
    baton_error_t *err = bt_wit_parse_path(c->m->wit.text, &c->wit);
    if (err) return err;
  } else {
    /* The module's own component-type section (any section whose name
     * starts with "component-type"). */
    uint8_t *bytes = NULL;
    size_t len = 0;
    baton_error_t *err = bt_read_input(c->m->source.text, true, &bytes, &len);
    if (err) return err;
    err = bt_component_decode_wit(bytes, len, &c->wit);
    bt_free(bytes);
    if (err && baton_error_code(err) == BATON_ENOT_FOUND) {
      /* No embedded WIT: the app's own contracts in <manifest dir>/wit,
       * with a world named after the component (the plugin-defined WIT of
       * the original design). */
      char dir[4096];
      snprintf(dir, sizeof dir, "%s/wit", c->app->manifest->dir);
      struct stat st;
      if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        baton_error_delete(err);
        err = bt_wit_parse_path(dir, &c->wit);
        if (err) return err;
        err = bt_wit_find_world(c->wit, world_name ? world_name : c->m->name, &c->world);
        if (err)
          return baton_error_wrap(err, "%s has no component-type section and %s has no world `%s`",
                                  c->m->source.text, dir, world_name ? world_name : c->m->name);
        return bt_abi_check_world(c->module, c->world);
      }
      baton_error_delete(err);
      return baton_error_new(BATON_ENOT_FOUND,
                             "%s has no component-type section; set `wit` and `world` for the component "
                             "in the manifest, or put the app's WIT in %s with a world named `%s`",
                             c->m->source.text, dir, c->m->name);
    }
    if (err) return err;
    world_name = NULL;
  }
  baton_error_t *err = bt_wit_find_world(c->wit, world_name, &c->world);
  if (err && !world_name && c->m->wit.text) {
    /* Several worlds and none named: the one named after the component. */
    baton_error_t *e2 = bt_wit_find_world(c->wit, c->m->name, &c->world);
    if (!e2) {
      baton_error_delete(err);
      err = NULL;
    } else {
      baton_error_delete(e2);
    }
  }
  if (err) return err;
  return bt_abi_check_world(c->module, c->world);
}

baton_error_t *bt_app_files(bt_comp_t *c, baton_wasi_preopen_t **out, size_t *n) {
  /* The component's own `files` grants (none: no filesystem). Spin's
   * `files` (files and globs copied into the guest) are only warned about. */
  *out = NULL;
  *n = 0;
  size_t nfiles = c->app->manifest->format == BT_APP_FORMAT_BATON ? c->m->files.len : 0;
  baton_wasi_preopen_t *pre = nfiles ? calloc(nfiles, sizeof *pre) : NULL;
  if (nfiles && !pre) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  baton_error_t *err = NULL;
  for (size_t i = 0; i < nfiles && !err; i++)
    if (baton_wasi_preopen_parse(c->m->files.items[i].text, c->app->manifest->dir, &pre[i]) != 0)
      err = baton_error_new(BATON_EINVALID_ARGUMENT, "%s: bad `files` entry `%s` (want HOST[:GUEST][:ro])",
                            c->m->name, c->m->files.items[i].text);
  if (err) {
    bt_app_files_free(pre, nfiles);
    return err;
  }
  *out = pre;
  *n = nfiles;
  return NULL;
}

/* Warns on stderr, once per load, about each `files` grant of the root
 * directory or of (a directory holding) a home directory, naming its
 * manifest position: such a grant is legal but almost always a mistake
 * (e.g. "../../../../../" resolving to /). */
static void warn_broad_grants(const bt_app_t *m) {
  if (m->format != BT_APP_FORMAT_BATON) return;
  for (size_t i = 0; i < m->ncomponents; i++) {
    const bt_app_component_t *c = &m->components[i];
    for (size_t j = 0; j < c->files.len; j++) {
      baton_wasi_preopen_t pre;
      if (baton_wasi_preopen_parse(c->files.items[j].text, m->dir, &pre) != 0) continue;
      char buf[512];
      const char *why = bt_wasi_grant_breadth(pre.host_path, buf, sizeof buf);
      if (why)
        fprintf(stderr, "baton: warning: " BT_POS_FMT ": component `%s` is granted %s (files entry `%s`)\n",
                BT_POS_ARGS(c->files.items[j].pos), c->name, why, c->files.items[j].text);
      baton_wasi_preopen_release(&pre);
    }
  }
}

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return;
    p += k;
    n -= (size_t)k;
  }
}

/* The output callback of apps with secrets: each piece a guest writes (a
 * line, with prefixes, or the part of one a write holds) is written with
 * the secret values replaced; NUL bytes are kept. Out of memory, the piece
 * is dropped rather than written unredacted. */
static void redacting_write(void *env, baton_instance_t *inst, int fd, const char *data, size_t len) {
  const baton_app_t *app = env;
  (void)inst;
  while (len) {
    const char *nul = memchr(data, 0, len);
    size_t seg = nul ? (size_t)(nul - data) : len;
    char *copy = bt_malloc(seg + 1);
    char *red = NULL;
    if (copy) {
      memcpy(copy, data, seg);
      copy[seg] = 0;
      red = bt_app_redact(app->manifest, copy);
    }
    if (red) write_all(fd, red, strlen(red));
    bt_free(red);
    bt_free(copy);
    if (nul) write_all(fd, "", 1);
    data += seg + (nul != NULL);
    len -= seg + (nul != NULL);
  }
}

static bool has_secrets(const bt_app_t *m) {
  for (size_t i = 0; i < m->nvariables; i++)
    if (m->variables[i].secret && m->variables[i].value && *m->variables[i].value) return true;
  for (size_t i = 0; i < m->ncomponents; i++)
    for (size_t j = 0; j < m->components[i].nvars; j++)
      if (m->components[i].vars[j].secret && m->components[i].vars[j].value && *m->components[i].vars[j].value)
        return true;
  return false;
}

void bt_app_wasi_output(bt_comp_t *c, baton_wasi_config_t *wc) {
  wc->output = c->app->opts.output;
  wc->prefix_lines = c->app->opts.prefix_output;
  if (wc->output == BATON_WASI_OUTPUT_INHERIT && has_secrets(c->app->manifest)) {
    wc->output = BATON_WASI_OUTPUT_CALLBACK;
    wc->write = redacting_write;
    wc->write_env = c->app;
  }
}

void bt_app_files_free(baton_wasi_preopen_t *pre, size_t n) {
  for (size_t i = 0; pre && i < n; i++) baton_wasi_preopen_release(&pre[i]);
  free(pre);
}

baton_error_t *bt_app_define_host(bt_comp_t *c, baton_linker_t *linker) {
  const char *argv[] = {c->m->name};
  baton_wasi_config_t wc = {.argv = argv, .argc = 1};
  bt_app_wasi_output(c, &wc);
  baton_wasi_preopen_t *pre = NULL;
  size_t nfiles = 0;
  baton_error_t *err = bt_app_files(c, &pre, &nfiles);
  wc.preopens = pre;
  wc.npreopens = nfiles;
  if (!err) err = baton_linker_define_wasi(linker, &wc);
  bt_app_files_free(pre, nfiles);
  if (!err) err = bind_config(c, linker);
  return err;
}

/* Loads a component without compiling anything: the module or component
 * is parsed, its world found and its exports checked against it, and a
 * core module's imports are resolved against its linker (the pre). */
static baton_error_t *load_component(baton_app_t *app, bt_comp_t *c) {
  baton_error_t *err;
  if (bt_appc_is_component_file(c->m->source.text)) {
    err = bt_appc_load(app, c); /* a real component (comp_component.c) */
  } else {
    err = bt_module_parse_file(app->engine, c->m->source.text, &c->module);
    if (!err) err = load_world(c);
    if (!err) err = baton_linker_new(app->engine, &c->linker);
    if (!err) err = bt_app_define_host(c, c->linker);
    /* With dependencies, each instance gets a linker of its own. */
    if (!err && !c->m->ndeps) err = baton_instance_pre_new(c->linker, c->module, &c->pre);
  }
  if (err) return baton_error_wrap(err, BT_POS_FMT ": component `%s`", BT_POS_ARGS(c->m->pos), c->m->name);
  return NULL;
}

void baton_app_delete(baton_app_t *app) {
  if (!app) return;
  for (size_t i = 0; i < app->nflows; i++) bt_flow_free(app->flows[i]);
  bt_free(app->flows);
  for (size_t i = 0; i < app->ncomps; i++) {
    bt_comp_t *c = &app->comps[i];
    baton_instance_pre_delete(c->pre);
    baton_linker_delete(c->linker);
    baton_module_delete(c->module);
    bt_wit_free(c->wit);
    bt_ccomp_free(c->ccomp);
  }
  bt_free(app->comps);
  bt_app_free(app->manifest);
  bt_free(app);
}

baton_error_t *baton_app_load(baton_engine_t *engine, const char *path, const baton_app_options_t *opts,
                              baton_app_t **out) {
  *out = NULL;
  baton_app_t *app = bt_calloc(1, sizeof *app);
  if (!app) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  app->engine = engine;
  if (opts) app->opts = *opts;
  char *found = NULL;
  baton_error_t *err = NULL;
  if (!path) {
    err = bt_app_find_default(".", &found);
    path = found;
  }
  if (!err) err = bt_app_load(path, &app->manifest);
  bt_free(found);
  if (!err) err = bt_app_resolve_variables(app->manifest, app->opts.getenv_fn);
  if (!err) err = bt_app_check_sources(app->manifest);
  if (!err) warn_broad_grants(app->manifest);
  if (!err) {
    app->comps = bt_calloc(app->manifest->ncomponents + 1, sizeof *app->comps);
    if (!app->comps) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  for (size_t i = 0; !err && i < app->manifest->ncomponents; i++) {
    bt_comp_t *c = &app->comps[i];
    c->app = app;
    c->m = &app->manifest->components[i];
    app->ncomps = i + 1;
    err = load_component(app, c);
  }
  /* Every import and export of every component is checked, and the flows
   * are type-checked, before anything is compiled: a component that cannot
   * run is reported without paying for its compilation. */
  if (!err) err = bt_appc_check_deps(app);
  if (!err) err = bt_app_build_flows(app);
  for (size_t i = 0; !err && i < app->ncomps; i++) {
    bt_comp_t *c = &app->comps[i];
    err = c->ccomp ? bt_ccomp_compile(c->ccomp) : bt_module_compile(c->module);
    if (err) err = baton_error_wrap(err, BT_POS_FMT ": component `%s`", BT_POS_ARGS(c->m->pos), c->m->name);
  }
  if (err) {
    baton_app_delete(app);
    return err;
  }
  *out = app;
  return NULL;
}

/* ---- calls ---- */

static baton_error_t *app_invoke(void *ctx, const char *component, const char *export_name,
                                 const bt_wit_function_t *fn, const baton_value_t *args, size_t nargs,
                                 uint64_t timeout_ms, void **instance, baton_value_t *result,
                                 baton_trap_t **trap) {
  baton_app_t *app = ctx;
  *trap = NULL;
  bt_comp_t *c = bt_app_comp(app, component);
  if (!c) return baton_error_new(BATON_ENOT_FOUND, "no component `%s`", component);
  char core[512];
  const bt_wit_function_t *f2;
  baton_error_t *err = bt_app_find_export(c, export_name, &f2, core, sizeof core);
  if (err) return err;
  bt_appinst_t *inst = *instance;
  if (!inst) {
    err = bt_appc_instantiate(c, timeout_ms ? timeout_ms : c->m->timeout_ms, NULL, &inst, trap);
    if (err || *trap) return err;
    *instance = inst;
  }
  return bt_appc_call(inst, fn, core, args, nargs, result, trap);
}

static void app_release(void *ctx, const char *component, void *instance) {
  bt_appc_release(instance);
}

const bt_flow_invoker_t bt_app_invoker_template = {app_invoke, app_release, NULL};

/* Finds the export a caller names and checks the argument count. */
static baton_error_t *call_target(baton_app_t *app, const char *component, const char *export_name,
                                  size_t nargs, const bt_wit_function_t **fn) {
  bt_comp_t *c = bt_app_comp(app, component);
  if (!c) return baton_error_new(BATON_ENOT_FOUND, "the app has no component `%s`", component);
  char core[512];
  baton_error_t *err = bt_app_find_export(c, export_name, fn, core, sizeof core);
  if (err) return err;
  if (nargs != (*fn)->param_count)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "%s takes %zu argument%s, %zu given", export_name,
                           (*fn)->param_count, (*fn)->param_count == 1 ? "" : "s", nargs);
  return NULL;
}

baton_error_t *baton_app_call(baton_app_t *app, const char *component, const char *export_name,
                              const baton_value_t *args, size_t nargs, baton_value_t *result,
                              baton_trap_t **trap) {
  *trap = NULL;
  const bt_wit_function_t *fn;
  baton_error_t *err = call_target(app, component, export_name, nargs, &fn);
  if (err) return err;
  void *inst = NULL;
  err = app_invoke(app, component, export_name, fn, args, nargs, 0, &inst, result, trap);
  bt_appc_release(inst);
  return err;
}

baton_error_t *baton_app_call_text(baton_app_t *app, const char *component, const char *export_name,
                                   const char *const *args, size_t nargs, baton_format_t fmt,
                                   char **result, baton_trap_t **trap) {
  *trap = NULL;
  *result = NULL;
  const bt_wit_function_t *fn;
  baton_error_t *err = call_target(app, component, export_name, nargs, &fn);
  if (err) return err;
  baton_value_t *vals = bt_calloc(nargs + 1, sizeof *vals);
  if (!vals) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  for (size_t i = 0; i < nargs && !err; i++) {
    err = fmt == BATON_FORMAT_JSON ? bt_json_parse(args[i], strlen(args[i]), fn->params[i].type, &vals[i])
                                   : bt_wave_parse(args[i], strlen(args[i]), fn->params[i].type, &vals[i]);
    if (err) err = baton_error_wrap(err, "argument %zu (%s) of %s", i + 1, fn->params[i].name, export_name);
  }
  baton_value_t res = {0};
  if (!err) err = baton_app_call(app, component, export_name, vals, nargs, &res, trap);
  if (!err && !*trap && fn->result) {
    bt_strbuf_t b = BT_STRBUF_INIT;
    err = fmt == BATON_FORMAT_JSON ? bt_json_print(&res, fn->result, &b) : bt_wave_print(&res, fn->result, &b);
    if (!err) {
      size_t len;
      char *text = bt_strbuf_take(&b, &len);
      /* secret values a guest returned are replaced, as in flow results */
      char *red = bt_app_redact(app->manifest, text ? text : "");
      *result = red ? strdup(red) : NULL;
      bt_free(red);
      bt_free(text);
      if (!*result) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
    }
    bt_strbuf_free(&b);
  }
  baton_value_clear(&res);
  for (size_t i = 0; i < nargs; i++) baton_value_clear(&vals[i]);
  bt_free(vals);
  return err;
}
