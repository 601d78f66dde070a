/*
 * src/app/comp_component.c: components of an app that are real components
 * (a component binary as `source`), and composition through
 * [component.NAME.dependencies].
 *
 * An app component is either a core module following wit-bindgen's
 * conventions (instantiated with WASI and the config provider by app.c) or
 * a component (compiled and instantiated by src/component). Both are
 * instantiated through bt_appc_instantiate, which first makes one instance
 * of every component this one depends on (each with its own memory,
 * limits, WASI and config), recursively, then links the imports the
 * dependencies cover:
 *
 *   dependent \ provider   core module                 component
 *   core module            bt_abi_define_forward       bt_abi_define_import calling
 *                          (memory to memory)          the provider's export
 *   component              host functions calling      the provider's export
 *                          the provider (bt_abi_call)  itself (lift/lower path)
 *
 * A dependency key is an interface (`ns:pkg/iface[@v]`: that import), a
 * package (`ns:pkg[@v]`: every import of the package) or a plain import
 * name; the provider's export has the same name unless `export` says
 * otherwise (versions may differ when the key has none).
 *
 * bt_appc_check_deps runs at load: every covered import must be exported by
 * the provider with the same functions and types (errors name both
 * components, the import and both signatures), resources may only cross
 * between components, and a component's imports must all be covered —
 * except WASI 0.2 interfaces no dependency covers, which the host provides
 * (src/wasi/preview2.h: output as the app sends core modules' WASI output,
 * argv the component's name, no environment).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/abi.h"
#include "app/internal.h"
#include "component/instance.h"
#include "util/fileio.h"
#include "wasi/preview2.h"

/* ---- loading ---- */

bool bt_appc_is_component_file(const char *path) {
  uint8_t head[8];
  return bt_read_head(path, head, 8) == 8 && bt_component_is_component(head, 8);
}

baton_error_t *bt_appc_load(baton_app_t *app, bt_comp_t *c) {
  baton_error_t *err = bt_ccomp_parse_file(app->engine, c->m->source.text, &c->ccomp);
  if (!err) err = bt_ccomp_world(c->ccomp, &c->world);
  if (!err && c->m->wit.text)
    err = baton_error_new(BATON_EINVALID, "`wit` is only for core modules; %s is a component, whose world "
                          "is its own imports and exports", c->m->source.text);
  return err;
}

/* ---- matching imports and dependencies ---- */

/* Splits "ns:pkg/iface@v" into package, interface and version (each
 * possibly empty); false for a plain name. */
static bool split_name(const char *name, char *pkg, char *iface, char *ver, size_t n) {
  const char *colon = strchr(name, ':');
  if (!colon) return false;
  const char *at = strchr(name, '@'), *end = at ? at : name + strlen(name);
  const char *slash = memchr(name, '/', (size_t)(end - name));
  const char *pend = slash ? slash : end;
  snprintf(pkg, n, "%.*s", (int)(pend - name), name);
  snprintf(iface, n, "%.*s", slash ? (int)(end - slash - 1) : 0, slash ? slash + 1 : "");
  snprintf(ver, n, "%s", at ? at + 1 : "");
  return true;
}

/* The dependency of m covering import `name`, or NULL. */
static const bt_app_dependency_t *dep_for(const bt_app_component_t *m, const char *name) {
  char pkg[256], iface[256], ver[128];
  bool qualified = split_name(name, pkg, iface, ver, sizeof pkg);
  for (size_t i = 0; i < m->ndeps; i++) {
    const bt_app_dependency_t *d = &m->deps[i];
    if (d->kind == BT_APP_DEP_NAME) {
      if (!qualified && !strcmp(d->import_name, name)) return d;
      continue;
    }
    if (!qualified || strcmp(d->package, pkg) != 0) continue;
    if (d->version && strcmp(d->version, ver) != 0) continue;
    if (d->kind == BT_APP_DEP_PACKAGE || (iface[0] && !strcmp(d->interface, iface))) return d;
  }
  return NULL;
}

/* Strips "@version" for comparisons. */
static size_t unversioned_len(const char *s) {
  const char *at = strchr(s, '@');
  return at ? (size_t)(at - s) : strlen(s);
}

/* The provider's world export serving import `name` through d. */
static const bt_wit_world_item_t *provider_item(const bt_comp_t *p, const bt_app_dependency_t *d,
                                                const char *name) {
  const char *want = d->export_name.text && d->kind != BT_APP_DEP_PACKAGE ? d->export_name.text : name;
  for (size_t i = 0; i < p->world->export_count; i++)
    if (!strcmp(p->world->exports[i].name, want)) return &p->world->exports[i];
  if (d->version) return NULL;
  size_t n = unversioned_len(want);
  for (size_t i = 0; i < p->world->export_count; i++) {
    const char *e = p->world->exports[i].name;
    if (unversioned_len(e) == n && !strncmp(e, want, n)) return &p->world->exports[i];
  }
  return NULL;
}

static bt_comp_t *provider_of(baton_app_t *app, const bt_app_dependency_t *d) {
  return d->component.name ? bt_app_comp(app, d->component.name) : NULL;
}

/* Whether a handle occurs in a function's signature. */
static bool wit_has_handles(const bt_wit_type_t *t, int depth) {
  t = bt_wit_type_unalias(t);
  if (!t || depth > 200) return false;
  switch (t->kind) {
    case BT_WIT_OWN: case BT_WIT_BORROW: return true;
    case BT_WIT_LIST: case BT_WIT_OPTION: return wit_has_handles(t->target, depth + 1);
    case BT_WIT_RESULT: return wit_has_handles(t->ok, depth + 1) || wit_has_handles(t->err, depth + 1);
    case BT_WIT_TUPLE:
      for (size_t i = 0; i < t->count; i++)
        if (wit_has_handles(t->types[i], depth + 1)) return true;
      return false;
    case BT_WIT_RECORD: case BT_WIT_VARIANT:
      for (size_t i = 0; i < t->count; i++)
        if (wit_has_handles(t->fields[i].type, depth + 1)) return true;
      return false;
    default: return false;
  }
}

static bool fn_has_handles(const bt_wit_function_t *f) {
  for (size_t i = 0; i < f->param_count; i++)
    if (wit_has_handles(f->params[i].type, 0)) return true;
  return f->result && wit_has_handles(f->result, 0);
}

/* ---- load-time checks ---- */

static baton_error_t *check_fn(const bt_comp_t *x, const bt_comp_t *p, const char *what,
                               const bt_wit_function_t *want, const bt_wit_function_t *have) {
  char a[512], b[512];
  if (!have)
    return baton_error_new(BATON_ELINK, "component `%s` imports %s: %s from component `%s`, which does not "
                           "export it", x->m->name, what, bt_abi_func_str(want, a, sizeof a), p->m->name);
  if (!bt_cwit_func_eq(want, have))
    return baton_error_new(BATON_ETYPE, "%s is %s in component `%s` (import) but %s in component `%s` "
                           "(export)", what, bt_abi_func_str(want, a, sizeof a), x->m->name,
                           bt_abi_func_str(have, b, sizeof b), p->m->name);
  if ((!x->ccomp || !p->ccomp) && fn_has_handles(want))
    return baton_error_new(BATON_EUNSUPPORTED, "%s passes resource handles, which only components (not core "
                           "modules) can exchange: `%s` and `%s`", what, x->m->name, p->m->name);
  return NULL;
}

/* A component's config interface: get-config of the right type and
 * nothing else (the host serves only get-config). */
static baton_error_t *check_config(const bt_comp_t *x, const bt_wit_world_item_t *it) {
  const bt_wit_function_t *fn;
  baton_error_t *err = bt_app_config_fn(it, &fn);
  for (size_t k = 0; !err && k < it->interface->function_count; k++)
    if (it->interface->functions[k] != fn)
      err = baton_error_new(BATON_ELINK, "component `%s` imports `%s#%s`, which the config provider does "
                            "not serve (it serves get-config)", x->m->name, it->name,
                            it->interface->functions[k]->name);
  return err;
}

static baton_error_t *check_import(baton_app_t *app, bt_comp_t *x, const bt_wit_world_item_t *it) {
  const bt_app_dependency_t *d = dep_for(x->m, it->name);
  if (!d) {
    if (!x->ccomp || it->kind == BT_WIT_ITEM_TYPE) return NULL; /* core modules: WASI, config, ... */
    if (bt_wasi2_provides(it->name)) return NULL;                /* WASI 0.2, from the host */
    if (bt_app_is_config(x, it)) return check_config(x, it);     /* config, as for core modules */
    if (bt_wasi2_is_wasi(it->name))
      return baton_error_new(BATON_ELINK, BT_POS_FMT ": component `%s` imports `%s`, which neither baton (it "
                             "implements WASI 0.2.x cli, io, clocks, random and filesystem) nor a dependency "
                             "provides", BT_POS_ARGS(x->m->pos), x->m->name, it->name);
    return baton_error_new(BATON_ELINK, BT_POS_FMT ": component `%s` imports `%s`, which no dependency provides "
                           "(add [component.%s.dependencies] \"%s\" = { component = \"...\" })",
                           BT_POS_ARGS(x->m->pos), x->m->name, it->name, x->m->name, it->name);
  }
  bt_comp_t *p = provider_of(app, d);
  if (!p)
    return baton_error_new(BATON_EUNSUPPORTED, BT_POS_FMT ": dependency `%s` of component `%s`: only "
                           "dependencies on components of the app (`component = ...`) are supported",
                           BT_POS_ARGS(d->pos), d->import_name, x->m->name);
  const bt_wit_world_item_t *e = provider_item(p, d, it->name);
  if (!e || e->kind != it->kind) {
    char list[1024] = "";
    size_t n = 0;
    for (size_t i = 0; i < p->world->export_count && n < sizeof list - 2; i++)
      n += (size_t)snprintf(list + n, sizeof list - n, "%s`%s`", i ? ", " : "", p->world->exports[i].name);
    return baton_error_new(BATON_ELINK, BT_POS_FMT ": component `%s` imports `%s` from component `%s`, which "
                           "exports %s", BT_POS_ARGS(d->pos), x->m->name, it->name, p->m->name,
                           n ? list : "nothing");
  }
  char what[600];
  if (it->kind == BT_WIT_ITEM_FUNCTION) {
    snprintf(what, sizeof what, "`%s`", it->name);
    return check_fn(x, p, what, it->function, e->function);
  }
  for (size_t k = 0; k < it->interface->function_count; k++) {
    const bt_wit_function_t *f = it->interface->functions[k];
    snprintf(what, sizeof what, "`%s#%s`", it->name, f->name);
    baton_error_t *err = check_fn(x, p, what, f, bt_wit_interface_function(e->interface, f->name));
    if (err) return baton_error_wrap(err, BT_POS_FMT, BT_POS_ARGS(d->pos));
  }
  return NULL;
}

/* Stands in for a dependency's function in check_core_imports. */
static baton_trap_t *unlinked(void *env, baton_instance_t *caller, const baton_value_t *args, size_t nargs,
                              baton_value_t *result) {
  return baton_trap_new(BATON_TRAP_HOST, "not linked");
}

/* A core module with dependencies gets a linker per instance; at load its
 * imports are resolved against the host functions plus a stand-in for each
 * function its dependencies cover, so an import nothing provides is found
 * before the module is compiled. */
static baton_error_t *check_core_imports(bt_comp_t *c) {
  baton_linker_t *l = NULL;
  baton_instance_pre_t *pre = NULL;
  baton_error_t *err = baton_linker_new(c->app->engine, &l);
  if (!err) err = bt_app_define_host(c, l);
  for (size_t i = 0; !err && i < c->world->import_count; i++) {
    const bt_wit_world_item_t *it = &c->world->imports[i];
    if (!dep_for(c->m, it->name) || it->kind == BT_WIT_ITEM_TYPE) continue;
    char module[512];
    bt_abi_import_module(it, module, sizeof module);
    if (it->kind == BT_WIT_ITEM_FUNCTION) err = bt_abi_define_import(l, module, it->function, unlinked, NULL, NULL);
    for (size_t k = 0; !err && it->kind == BT_WIT_ITEM_INTERFACE && k < it->interface->function_count; k++)
      err = bt_abi_define_import(l, module, it->interface->functions[k], unlinked, NULL, NULL);
  }
  if (!err) err = baton_instance_pre_new(l, c->module, &pre);
  baton_instance_pre_delete(pre);
  baton_linker_delete(l);
  return err ? baton_error_wrap(err, BT_POS_FMT ": component `%s`", BT_POS_ARGS(c->m->pos), c->m->name) : NULL;
}

baton_error_t *bt_appc_check_deps(baton_app_t *app) {
  for (size_t i = 0; i < app->ncomps; i++) {
    bt_comp_t *x = &app->comps[i];
    for (size_t k = 0; k < x->world->import_count; k++) {
      baton_error_t *err = check_import(app, x, &x->world->imports[k]);
      if (err) return err;
    }
    if (!x->ccomp && x->m->ndeps) {
      baton_error_t *err = check_core_imports(x);
      if (err) return err;
    }
    /* A dependency that covers nothing is a mistake worth reporting. */
    for (size_t k = 0; k < x->m->ndeps; k++) {
      const bt_app_dependency_t *d = &x->m->deps[k];
      bool used = false;
      for (size_t j = 0; j < x->world->import_count && !used; j++)
        used = dep_for(x->m, x->world->imports[j].name) == d;
      if (!used)
        return baton_error_new(BATON_EINVALID, BT_POS_FMT ": component `%s` has no import matching dependency "
                               "`%s`", BT_POS_ARGS(d->pos), x->m->name, d->import_name);
    }
  }
  return NULL;
}

/* ---- instances ---- */

struct bt_appinst {
  bt_comp_t *c;
  baton_instance_t *core;
  bt_cinstance_t *cinst;
  bt_cstore_t *store;
  bt_wasi2_t *wasi2;   /* WASI 0.2 imports of a component (NULL: none yet) */
  bt_appinst_t **deps; /* one per provider component */
  bt_comp_t **dep_comps;
  size_t ndeps;
};

void bt_appc_release(bt_appinst_t *ai) {
  if (!ai) return;
  bt_cinstance_free(ai->cinst);
  bt_wasi2_free(ai->wasi2); /* after its instance, before the store */
  baton_instance_delete(ai->core);
  for (size_t i = 0; i < ai->ndeps; i++) bt_appc_release(ai->deps[i]);
  bt_free(ai->deps);
  bt_free(ai->dep_comps);
  bt_cstore_release(ai->store);
  bt_free(ai);
}

static bt_appinst_t *dep_inst(const bt_appinst_t *ai, const bt_comp_t *p) {
  for (size_t i = 0; i < ai->ndeps; i++)
    if (ai->dep_comps[i] == p) return ai->deps[i];
  return NULL;
}

/* A provider core-module function called through host values. */
typedef struct core_call {
  baton_instance_t *inst;
  const bt_wit_function_t *fn;
  char core[512];
} core_call;

static baton_trap_t *call_core(void *env, const baton_value_t *args, size_t nargs, baton_value_t *result) {
  core_call *cc = env;
  baton_trap_t *trap = NULL;
  baton_error_t *err = bt_abi_call(cc->inst, cc->fn, cc->core, args, nargs, result, &trap);
  if (err) {
    trap = baton_trap_new(BATON_TRAP_HOST, "%s", baton_error_message(err));
    baton_error_delete(err);
  }
  return trap;
}

/* A host function of `type` (as the component imports it) calling function
 * `name` (`iface#f` or `f`) of a core-module provider. */
static baton_error_t *core_func(bt_cinstance_t *inst, bt_appinst_t *p, const bt_ctype_t *type, const char *name,
                                bt_citem_t *out) {
  core_call *cc = bt_calloc(1, sizeof *cc);
  if (!cc) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  cc->inst = p->core;
  baton_error_t *err = bt_app_find_export(p->c, name, &cc->fn, cc->core, sizeof cc->core);
  if (err) {
    bt_free(cc);
    return err;
  }
  out->sort = BT_CSORT_FUNC;
  out->p = bt_cinstance_host_func(inst, type, name, call_core, cc, bt_free, &err);
  if (!out->p) bt_free(cc);
  return err;
}

/* get-config for a component, answered from its variables. */
static baton_trap_t *config_host(void *env, const baton_value_t *args, size_t nargs, baton_value_t *result) {
  return bt_app_config_lookup(env, args, result);
}

/* The config interface of component c (import `imp`): an instance value
 * whose get-config is served from c's variables, exactly as for core
 * modules; its types need nothing. */
static baton_error_t *config_instance(bt_cinstance_t *inst, bt_comp_t *c, const bt_cextern_t *imp,
                                      bt_citem_t *out) {
  const bt_ctype_t *t = bt_ctype_unalias(imp->type);
  if (imp->sort != BT_CSORT_INSTANCE || !t)
    return baton_error_new(BATON_ELINK, "import `%s`: a %s; the config interface is an instance", imp->name,
                           bt_csort_name(imp->sort));
  bt_cvinst_t *bag = bt_cinstance_new_bag(inst, t->nexports);
  if (!bag) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  for (uint32_t i = 0; i < t->nexports; i++) {
    const bt_cextern_t *x = &t->exports[i];
    bt_citem_t it = {x->sort, NULL};
    if (x->sort == BT_CSORT_FUNC) {
      if (strcmp(x->name, "get-config") != 0)
        return baton_error_new(BATON_ELINK, "import `%s#%s` is not provided (the config provider serves "
                               "get-config)", imp->name, x->name);
      char name[600];
      snprintf(name, sizeof name, "%s#%s", imp->name, x->name);
      baton_error_t *err = NULL;
      it.p = bt_cinstance_host_func(inst, x->type, name, config_host, c, NULL, &err);
      if (!it.p) return err ? err : baton_error_new(BATON_ENO_MEMORY, "out of memory");
    } else if (x->sort != BT_CSORT_TYPE) {
      return baton_error_new(BATON_ELINK, "import `%s`: export `%s` (a %s) is not provided", imp->name, x->name,
                             bt_csort_name(x->sort));
    }
    if (!bt_cvinst_set(inst, bag, i, x->name, it)) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  out->sort = BT_CSORT_INSTANCE;
  out->p = bag;
  return NULL;
}

/* The world import of c named `name`, or NULL. */
static const bt_wit_world_item_t *world_import(const bt_comp_t *c, const char *name) {
  for (size_t i = 0; i < c->world->import_count; i++)
    if (!strcmp(c->world->imports[i].name, name)) return &c->world->imports[i];
  return NULL;
}

/* Resolves a component's import from its dependencies' instances. */
static baton_error_t *resolve_dep(void *env, bt_cinstance_t *inst, const bt_cextern_t *imp, bt_citem_t *out) {
  bt_appinst_t *ai = env;
  baton_app_t *app = ai->c->app;
  const bt_app_dependency_t *d = dep_for(ai->c->m, imp->name);
  if (!d && ai->wasi2 && bt_wasi2_provides(imp->name)) return bt_wasi2_resolve(ai->wasi2, inst, imp, out);
  if (!d && imp->sort == BT_CSORT_TYPE) return NULL; /* (sub resource): a fresh host resource type */
  const bt_wit_world_item_t *wi = d ? NULL : world_import(ai->c, imp->name);
  if (wi && bt_app_is_config(ai->c, wi)) return config_instance(inst, ai->c, imp, out);
  bt_comp_t *pc = d ? provider_of(app, d) : NULL;
  bt_appinst_t *p = pc ? dep_inst(ai, pc) : NULL;
  const bt_wit_world_item_t *e = p ? provider_item(pc, d, imp->name) : NULL;
  if (!e) return baton_error_new(BATON_ELINK, "import `%s` is not provided by a dependency", imp->name);
  if (p->cinst) {
    if (!bt_cinstance_export(p->cinst, e->name, out))
      return baton_error_new(BATON_ELINK, "component `%s` has no export `%s`", pc->m->name, e->name);
    return NULL;
  }
  if (imp->sort == BT_CSORT_FUNC) return core_func(inst, p, imp->type, e->name, out);
  const bt_ctype_t *t = bt_ctype_unalias(imp->type);
  if (imp->sort != BT_CSORT_INSTANCE || !t)
    return baton_error_new(BATON_EUNSUPPORTED, "import `%s`: a %s cannot be served by a core module", imp->name,
                           bt_csort_name(imp->sort));
  bt_cvinst_t *bag = bt_cinstance_new_bag(inst, t->nexports);
  if (!bag) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  for (uint32_t i = 0; i < t->nexports; i++) {
    const bt_cextern_t *x = &t->exports[i];
    bt_citem_t it = {x->sort, NULL};
    if (x->sort == BT_CSORT_FUNC) {
      char name[600];
      snprintf(name, sizeof name, "%s#%s", e->name, x->name);
      baton_error_t *err = core_func(inst, p, x->type, name, &it);
      if (err) return err;
    } else if (x->sort != BT_CSORT_TYPE) {
      return baton_error_new(BATON_EUNSUPPORTED, "import `%s`: export `%s` cannot be served by a core module",
                             imp->name, x->name);
    }
    if (!bt_cvinst_set(inst, bag, i, x->name, it)) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  out->sort = BT_CSORT_INSTANCE;
  out->p = bag;
  return NULL;
}

/* A core-module dependent calling a component provider. */
typedef struct comp_call {
  bt_appinst_t *p;
  bt_cfunc_t *fn;
} comp_call;

static baton_trap_t *call_comp(void *env, baton_instance_t *caller, const baton_value_t *args, size_t nargs,
                               baton_value_t *result) {
  comp_call *cc = env;
  baton_trap_t *trap = NULL;
  baton_error_t *err = bt_cfunc_call(cc->fn, cc->p->store, args, nargs, result, &trap);
  if (err) {
    trap = baton_trap_new(BATON_TRAP_HOST, "%s", baton_error_message(err));
    baton_error_delete(err);
  }
  return trap;
}

/* Links one function import of a core-module dependent to its provider. */
static baton_error_t *link_fn(baton_linker_t *l, const char *module, const bt_wit_function_t *f, bt_appinst_t *p,
                              const char *export_name) {
  if (p->core) {
    const bt_wit_function_t *pf;
    char core[512];
    baton_error_t *err = bt_app_find_export(p->c, export_name, &pf, core, sizeof core);
    if (err) return err;
    return bt_abi_define_forward(l, module, f, p->core, core);
  }
  comp_call *cc = bt_calloc(1, sizeof *cc);
  if (!cc) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  cc->p = p;
  baton_error_t *err = bt_cinstance_find_func(p->cinst, export_name, &cc->fn);
  if (!err) err = bt_abi_define_import(l, module, f, call_comp, cc, bt_free);
  if (err) bt_free(cc);
  return err;
}

/* Instantiates a core-module component whose imports include
 * dependencies: a linker of its own for this instance. */
static baton_error_t *inst_core_deps(bt_appinst_t *ai, const baton_instance_config_t *cfg, baton_trap_t **trap) {
  bt_comp_t *c = ai->c;
  baton_linker_t *l = NULL;
  baton_instance_pre_t *pre = NULL;
  baton_error_t *err = baton_linker_new(c->app->engine, &l);
  if (!err) err = bt_app_define_host(c, l);
  for (size_t i = 0; !err && i < c->world->import_count; i++) {
    const bt_wit_world_item_t *it = &c->world->imports[i];
    const bt_app_dependency_t *d = dep_for(c->m, it->name);
    if (!d || it->kind == BT_WIT_ITEM_TYPE) continue;
    bt_comp_t *pc = provider_of(c->app, d);
    bt_appinst_t *p = pc ? dep_inst(ai, pc) : NULL;
    const bt_wit_world_item_t *e = p ? provider_item(pc, d, it->name) : NULL;
    if (!e) {
      err = baton_error_new(BATON_ELINK, "import `%s` is not provided by a dependency", it->name);
      break;
    }
    char module[512], name[600];
    bt_abi_import_module(it, module, sizeof module);
    if (it->kind == BT_WIT_ITEM_FUNCTION) {
      err = link_fn(l, module, it->function, p, e->name);
      continue;
    }
    for (size_t k = 0; !err && k < it->interface->function_count; k++) {
      const bt_wit_function_t *f = it->interface->functions[k];
      snprintf(name, sizeof name, "%s#%s", e->name, f->name);
      err = link_fn(l, module, f, p, name);
    }
  }
  if (!err) err = baton_instance_pre_new(l, c->module, &pre);
  if (!err) err = baton_instance_pre_instantiate(pre, cfg, &ai->core, trap);
  baton_instance_pre_delete(pre);
  baton_linker_delete(l);
  return err;
}

baton_error_t *bt_appc_instantiate(bt_comp_t *c, uint64_t timeout_ms, bt_cstore_t *store, bt_appinst_t **out,
                                   baton_trap_t **trap) {
  *out = NULL;
  *trap = NULL;
  bt_appinst_t *ai = bt_calloc(1, sizeof *ai);
  if (!ai) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  ai->c = c;
  baton_error_t *err = NULL;
  if (store) {
    ai->store = store;
    bt_cstore_retain(store);
  } else {
    err = bt_cstore_new(&ai->store);
  }
  /* One instance per provider component, each with its own settings. */
  size_t n = c->m->ndeps;
  ai->deps = bt_calloc(n + 1, sizeof *ai->deps);
  ai->dep_comps = bt_calloc(n + 1, sizeof *ai->dep_comps);
  if (!err && (!ai->deps || !ai->dep_comps)) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  for (size_t i = 0; !err && !*trap && i < n; i++) {
    bt_comp_t *pc = provider_of(c->app, &c->m->deps[i]);
    if (!pc || dep_inst(ai, pc)) continue;
    err = bt_appc_instantiate(pc, pc->m->timeout_ms, ai->store, &ai->deps[ai->ndeps], trap);
    if (err) err = baton_error_wrap(err, "dependency `%s` of `%s`", pc->m->name, c->m->name);
    if (!err && !*trap) ai->dep_comps[ai->ndeps++] = pc;
  }
  if (!err && !*trap) {
    if (c->ccomp) {
      const char *argv[] = {c->m->name};
      baton_wasi_config_t wc = {.argv = argv, .argc = 1};
      bt_app_wasi_output(c, &wc);
      /* the component's own `files` grants, as for core modules */
      baton_wasi_preopen_t *pre = NULL;
      size_t npre = 0;
      err = bt_app_files(c, &pre, &npre);
      wc.preopens = pre;
      wc.npreopens = npre;
      if (!err) err = bt_wasi2_new(&wc, &ai->wasi2);
      bt_app_files_free(pre, npre);
      bt_cresolver_t r = {resolve_dep, ai};
      bt_cinstance_config_t cfg = {.name = c->m->name, .timeout_ms = timeout_ms, .max_memory = c->m->max_memory,
                                   .store = ai->store};
      if (!err) err = bt_cinstance_new(c->ccomp, &r, &cfg, &ai->cinst, trap);
    } else {
      baton_instance_config_t cfg = {.timeout_ms = timeout_ms, .max_memory = c->m->max_memory, .name = c->m->name,
                                     .poison_on_trap = true};
      if (c->pre) err = baton_instance_pre_instantiate(c->pre, &cfg, &ai->core, trap);
      else err = inst_core_deps(ai, &cfg, trap);
    }
  }
  if (err || *trap) {
    bt_appc_release(ai);
    return err;
  }
  *out = ai;
  return NULL;
}

baton_error_t *bt_appc_call(bt_appinst_t *ai, const bt_wit_function_t *fn, const char *core,
                            const baton_value_t *args, size_t nargs, baton_value_t *result, baton_trap_t **trap) {
  if (ai->cinst) return bt_cinstance_call(ai->cinst, core, args, nargs, result, trap);
  return bt_abi_call(ai->core, fn, core, args, nargs, result, trap);
}
