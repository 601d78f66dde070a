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

/* Compiles the manifest's flows (or the pipeline) into app->flows. */
BT_HIDDEN baton_error_t *bt_app_build_flows(baton_app_t *app);

#endif
