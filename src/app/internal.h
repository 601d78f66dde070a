/*
 * src/app/internal.h: the loaded form of an application, shared by the files
 * of src/app/: each component's compiled module, WIT world, linker and
 * pre-instantiation, and each flow compiled for the runner.
 */
#ifndef BT_APP_INTERNAL_H
#define BT_APP_INTERNAL_H

#include "baton/app.h"
#include "baton/instance.h"
#include "baton/module.h"
#include "flow/flow.h"
#include "manifest/app.h"
#include "wit/wit.h"

typedef struct bt_comp {
  struct baton_app *app;
  const bt_app_component_t *m; /* the manifest's description */
  baton_module_t *module;
  bt_wit_resolve_t *wit;
  const bt_wit_world_t *world;
  baton_linker_t *linker;
  baton_instance_pre_t *pre;
  const bt_wit_function_t *config_fn; /* the bound get-config, if any */
  struct bt_ccomp *ccomp; /* a real component (then module, linker, pre are NULL) */
} bt_comp_t;

struct baton_app {
  baton_engine_t *engine;
  baton_app_options_t opts;
  bt_app_t *manifest;
  bt_comp_t *comps;
  size_t ncomps;
  bt_flow_t **flows; /* one per manifest flow, or the pipeline */
  size_t nflows;
  bool pipeline;
};

/* Finds a component by name, or NULL. */
BT_HIDDEN bt_comp_t *bt_app_comp(baton_app_t *app, const char *name);

/* Resolves an export name as written (`f`, `iface#f`, `ns:pkg/iface#f`)
 * against a component's world: the WIT function and the core export name
 * (written into core, size bytes). */
BT_HIDDEN baton_error_t *bt_app_find_export(const bt_comp_t *c, const char *name,
                                            const bt_wit_function_t **fn, char *core,
                                            size_t size);

/* The same against any world; label names the owner in messages. */
BT_HIDDEN baton_error_t *bt_world_find_export(const bt_wit_world_t *world, const char *label,
                                              const char *name, const bt_wit_function_t **fn,
                                              char *core, size_t size);

/* Returns the name of the component's only exported function (NULL and an
 * error when it has none or several). */
BT_HIDDEN baton_error_t *bt_app_only_export(const bt_comp_t *c, const char **name);

/* The invoker the flow runner uses: fresh (or slot-reused) instances and
 * typed calls. */
BT_HIDDEN extern const bt_flow_invoker_t bt_app_invoker_template;

/* baton_app_run with separate formats for the input and the result (the
 * CLI's `--input WAVE --json`). The manifest's default_input is always
 * WAVE; fmt applies to an input given here. */
BT_HIDDEN baton_error_t *bt_app_run_fmt(baton_app_t *app, const char *flow, const char *input,
                                        baton_format_t fmt, baton_format_t out_fmt,
                                        baton_run_result_t *result);

/* Defines WASI (output prefixed with the component's name) and the config
 * provider for c's imports in linker (app.c). */
BT_HIDDEN baton_error_t *bt_app_define_host(bt_comp_t *c, baton_linker_t *linker);

/* The config provider (app.c). bt_app_is_config: whether world import it
 * of c is a config interface baton serves (named `config`, or the
 * manifest's `config_import`); bt_app_config_fn checks that its get-config
 * is func(key: string) -> result<string, error> (TYPE error naming both
 * otherwise) and returns it; bt_app_config_lookup answers get-config(key)
 * from c's variables (result set; a trap only when out of memory). */
BT_HIDDEN bool bt_app_is_config(const bt_comp_t *c, const bt_wit_world_item_t *it);
BT_HIDDEN baton_error_t *bt_app_config_fn(const bt_wit_world_item_t *it, const bt_wit_function_t **fn);
BT_HIDDEN baton_trap_t *bt_app_config_lookup(const bt_comp_t *c, const baton_value_t *args,
                                             baton_value_t *result);

/* c's own `files` grants (baton.toml only; none for other formats), parsed
 * against the manifest's directory into *out (NULL when none); release
 * with bt_app_files_free (app.c). */
BT_HIDDEN baton_error_t *bt_app_files(bt_comp_t *c, baton_wasi_preopen_t **out, size_t *n);
BT_HIDDEN void bt_app_files_free(baton_wasi_preopen_t *pre, size_t n);

/* Sets wc's output and line prefixes from the app's options. When guests'
 * output is inherited and the app has secret values, it goes through a
 * callback that replaces them (bt_app_redact) before writing to fd 1/2. */
BT_HIDDEN void bt_app_wasi_output(bt_comp_t *c, baton_wasi_config_t *wc);

/* ---- comp_component.c: real components and dependencies ---- */

/* An instance of an app component with the instances of the components it
 * depends on. */
typedef struct bt_appinst bt_appinst_t;
struct bt_cstore;

/* Whether the file is a component binary (not a core module). */
BT_HIDDEN bool bt_appc_is_component_file(const char *path);
/* Parses a component source (compiling nothing: the app compiles once
 * every check passed) and sets c->ccomp and c->world. */
BT_HIDDEN baton_error_t *bt_appc_load(baton_app_t *app, bt_comp_t *c);
/* Checks every component's imports against its dependencies' exports
 * (after all components are loaded, before anything is compiled): every
 * import of a component must be served (dependency, WASI 0.2, config), and
 * every import of a core module with dependencies must resolve against its
 * host functions and the functions its dependencies cover. Errors name both
 * components. */
BT_HIDDEN baton_error_t *bt_appc_check_deps(baton_app_t *app);
/* Instantiates c and, first, one instance of each component it depends on
 * (recursively). store may be NULL (a new one). Caller releases. */
BT_HIDDEN baton_error_t *bt_appc_instantiate(bt_comp_t *c, uint64_t timeout_ms, struct bt_cstore *store,
                                             bt_appinst_t **out, baton_trap_t **trap);
BT_HIDDEN void bt_appc_release(bt_appinst_t *inst);
/* Calls export `core` (the core name bt_app_find_export gives) with fn's
 * types. */
BT_HIDDEN baton_error_t *bt_appc_call(bt_appinst_t *inst, const bt_wit_function_t *fn, const char *core,
                                      const baton_value_t *args, size_t nargs, baton_value_t *result,
                                      baton_trap_t **trap);

/* Compiles the manifest's flows (or the pipeline) into app->flows. */
BT_HIDDEN baton_error_t *bt_app_build_flows(baton_app_t *app);

#endif
