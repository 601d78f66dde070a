/*
 * src/engine/instance.c: linkers (host functions by module and name),
 * pre-instantiated modules (imports resolved and type-checked once), and
 * instances (memory from the pool, the wasm2c instance struct, calls into
 * exports under a trap frame).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasm-rt.h>

#include "engine/internal.h"
#include "util/error_internal.h"

/* ---- linker ---- */

static void def_release(bt_host_def_t *d) {
  if (!d || atomic_fetch_sub(&d->refs, 1) != 1) return;
  if (d->finalizer) d->finalizer(d->env);
  bt_free(d->module);
  bt_free(d->name);
  bt_free(d->kinds);
  bt_free(d);
}

baton_error_t *baton_linker_new(baton_engine_t *engine, baton_linker_t **out) {
  *out = bt_calloc(1, sizeof **out);
  if (!*out) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  (*out)->engine = engine;
  return NULL;
}

void baton_linker_delete(baton_linker_t *l) {
  if (!l) return;
  for (bt_host_def_t *d = l->defs, *next; d; d = next) {
    next = d->next;
    def_release(d);
  }
  bt_free(l);
}

static bt_host_def_t *linker_find(const baton_linker_t *l, const char *module,
                                  const char *name) {
  for (bt_host_def_t *d = l->defs; d; d = d->next)
    if (strcmp(d->module, module) == 0 && strcmp(d->name, name) == 0) return d;
  return NULL;
}

baton_error_t *baton_linker_define_func(baton_linker_t *l, const char *module,
                                        const char *name, const baton_functype_t *type,
                                        baton_host_func_t fn, void *env,
                                        void (*finalizer)(void *)) {
  if (!module || !name || !type || !fn)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "define_func: module, name, type and fn are required");
  if (linker_find(l, module, name))
    return baton_error_new(BATON_EINVALID_ARGUMENT, "host function %s.%s is already defined", module, name);
  bt_host_def_t *d = bt_calloc(1, sizeof *d);
  size_t nk = type->nparams + type->nresults;
  if (d) {
    d->module = bt_strdup(module);
    d->name = bt_strdup(name);
    d->kinds = bt_calloc(nk + 1, sizeof *d->kinds);
  }
  if (!d || !d->module || !d->name || !d->kinds) {
    if (d) {
      bt_free(d->module);
      bt_free(d->name);
      bt_free(d->kinds);
      bt_free(d);
    }
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  if (type->nparams) memcpy(d->kinds, type->params, sizeof *d->kinds * type->nparams);
  if (type->nresults) memcpy(d->kinds + type->nparams, type->results, sizeof *d->kinds * type->nresults);
  d->type.params = d->kinds;
  d->type.nparams = type->nparams;
  d->type.results = d->kinds + type->nparams;
  d->type.nresults = type->nresults;
  d->fn = fn;
  d->env = env;
  d->finalizer = finalizer;
  atomic_init(&d->refs, 1);
  d->next = l->defs;
  l->defs = d;
  return NULL;
}

/* Calls a function export of another instance for an import bound with
 * baton_linker_define_export. A trap in the callee becomes the caller's. */
typedef struct {
  baton_instance_t *target;
  uint32_t index;
  size_t nresults;
} bt_forward_t;

static baton_trap_t *forward_call(void *env, baton_caller_t *caller, const baton_val_t *args,
                                  baton_val_t *results) {
  bt_forward_t *fw = env;
  const baton_functype_t *t = &fw->target->module->func_types[fw->index];
  baton_trap_t *trap = NULL;
  baton_error_t *err =
      baton_instance_call_index(fw->target, fw->index, args, t->nparams, results, t->nresults, &trap);
  if (err) {
    trap = baton_trap_new(BATON_TRAP_HOST, "%s", baton_error_message(err));
    baton_error_delete(err);
  }
  return trap;
}

/* Returns the position of function export ex among the function exports
 * (the index of baton_instance_call_index). */
static uint32_t func_export_index(const bt_wasm_module_t *w, const bt_wasm_export_t *ex) {
  uint32_t n = 0;
  for (const bt_wasm_export_t *e = w->exports; e < ex; e++)
    if (e->kind == BT_WASM_EXTERN_FUNC) n++;
  return n;
}

/* Returns the memory, table or global behind export ex of a running
 * instance (glue externs are in export order). */
static void *extern_ptr(baton_instance_t *inst, const bt_wasm_export_t *ex) {
  const bt_wasm_module_t *w = inst->module->wasm;
  const bt_glue_module_t *g = inst->module->glue;
  uint32_t k = 0;
  for (const bt_wasm_export_t *e = w->exports; e < ex; e++)
    if (e->kind != BT_WASM_EXTERN_FUNC) k++;
  return k < g->nexterns ? g->externs[k].get(inst->w2c) : NULL;
}

/* Finds the type of global `idx` (imports first) of module w. */
static const bt_wasm_globaltype_t *global_type_of(const bt_wasm_module_t *w, uint32_t idx) {
  uint32_t seen = 0;
  for (uint32_t k = 0; k < w->nimports; k++) {
    if (w->imports[k].kind != BT_WASM_EXTERN_GLOBAL) continue;
    if (seen++ == idx) return &w->imports[k].u.global;
  }
  idx -= seen;
  return idx < w->nglobals ? &w->globals[idx] : NULL;
}

/* Finds export `name` (len bytes) of a running instance: its kind, and for
 * memories, tables and globals the object and its type facts. Returns false
 * when the instance has no such export. */
static bool instance_export(baton_instance_t *inst, const char *name, size_t len, bt_host_def_t *out,
                            uint32_t *func_index) {
  const bt_wasm_module_t *w = inst->module->wasm;
  const bt_wasm_export_t *ex = bt_wasm_find_export_n(w, name, len);
  if (!ex) return false;
  out->kind = (baton_externkind_t)ex->kind;
  if (ex->kind == BT_WASM_EXTERN_FUNC) {
    *func_index = func_export_index(w, ex);
    return true;
  }
  out->ptr = extern_ptr(inst, ex);
  if (!out->ptr) return false;
  if (ex->kind == BT_WASM_EXTERN_GLOBAL) {
    const bt_wasm_globaltype_t *gt = global_type_of(w, ex->index);
    out->global_type = gt->valtype;
    out->global_mutable = gt->mutable_;
  } else if (ex->kind == BT_WASM_EXTERN_TABLE) {
    uint32_t idx = ex->index, seen = 0;
    for (uint32_t k = 0; k < w->nimports; k++) {
      if (w->imports[k].kind != BT_WASM_EXTERN_TABLE) continue;
      if (seen++ == idx) out->table_elem = w->imports[k].u.table.elemtype;
    }
    if (idx >= seen && idx - seen < w->ntables) out->table_elem = w->tables[idx - seen].elemtype;
  }
  return true;
}

baton_error_t *baton_linker_define_export(baton_linker_t *l, const char *module, const char *name,
                                          baton_instance_t *inst, const char *export_name) {
  bt_host_def_t facts = {0};
  uint32_t func_index = 0;
  if (!instance_export(inst, export_name, strlen(export_name), &facts, &func_index))
    return baton_error_new(BATON_ENOT_FOUND, "%s has no export \"%s\"", inst->name, export_name);
  if (facts.kind == BATON_EXTERN_FUNC) {
    bt_forward_t *fw = bt_calloc(1, sizeof *fw);
    if (!fw) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
    fw->target = inst;
    fw->index = func_index;
    baton_error_t *err = baton_linker_define_func(l, module, name, &inst->module->func_types[func_index],
                                                  forward_call, fw, bt_free);
    if (err) bt_free(fw);
    return err;
  }
  if (linker_find(l, module, name))
    return baton_error_new(BATON_EINVALID_ARGUMENT, "%s.%s is already defined", module, name);
  bt_host_def_t *d = bt_calloc(1, sizeof *d);
  if (d) {
    *d = facts;
    d->module = bt_strdup(module);
    d->name = bt_strdup(name);
  }
  if (!d || !d->module || !d->name) {
    if (d) {
      bt_free(d->module);
      bt_free(d->name);
      bt_free(d);
    }
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  d->target = inst;
  atomic_init(&d->refs, 1);
  d->next = l->defs;
  l->defs = d;
  return NULL;
}

baton_error_t *baton_linker_define_instance(baton_linker_t *l, const char *module, baton_instance_t *inst) {
  const bt_wasm_module_t *w = inst->module->wasm;
  for (uint32_t i = 0; i < w->nexports; i++) {
    baton_error_t *err = baton_linker_define_export(l, module, w->exports[i].name, inst, w->exports[i].name);
    if (err) return err;
  }
  return NULL;
}

/* Checks a memory, table or global definition against an import. */
static baton_error_t *check_extern(const baton_module_t *m, const bt_wasm_import_t *im, const bt_host_def_t *d) {
  static const char *kinds[] = {"function", "table", "memory", "global", "tag"};
  if ((int)d->kind != (int)im->kind)
    return baton_error_new(BATON_ELINK, "%s: import %s.%s is a %s but the linker provides a %s", m->name,
                           im->module, im->name, kinds[im->kind], kinds[d->kind]);
  if (im->kind == BT_WASM_EXTERN_MEMORY) {
    const wasm_rt_memory_t *mem = d->ptr;
    if (mem->pages < im->u.memory.min || (im->u.memory.has_max && mem->max_pages > im->u.memory.max))
      return baton_error_new(BATON_ELINK,
                             "%s: import %s.%s needs a memory of %llu..%s pages; the one provided has %u..%u",
                             m->name, im->module, im->name, (unsigned long long)im->u.memory.min,
                             im->u.memory.has_max ? "max" : "", mem->pages, mem->max_pages);
  } else if (im->kind == BT_WASM_EXTERN_TABLE) {
    const wasm_rt_funcref_table_t *t = d->ptr;
    if (d->table_elem != im->u.table.elemtype || t->size < im->u.table.limits.min ||
        (im->u.table.limits.has_max && t->max_size > im->u.table.limits.max))
      return baton_error_new(BATON_ELINK, "%s: import %s.%s: the table provided does not match its type",
                             m->name, im->module, im->name);
  } else if (im->kind == BT_WASM_EXTERN_GLOBAL) {
    if (d->global_type != im->u.global.valtype || d->global_mutable != im->u.global.mutable_)
      return baton_error_new(BATON_ELINK, "%s: import %s.%s is a %s%s global but the one provided is %s%s",
                             m->name, im->module, im->name, im->u.global.mutable_ ? "mutable " : "",
                             bt_wasm_valtype_name(im->u.global.valtype), d->global_mutable ? "mutable " : "",
                             bt_wasm_valtype_name(d->global_type));
  }
  return NULL;
}

/* ---- pre ---- */

static void type_str(const baton_functype_t *t, char *buf, size_t size) {
  size_t n = 0;
  n += (size_t)snprintf(buf + n, size - n, "(");
  for (size_t i = 0; i < t->nparams && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", baton_valkind_name(t->params[i]));
  if (n < size) n += (size_t)snprintf(buf + n, size - n, ") -> (");
  for (size_t i = 0; i < t->nresults && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", baton_valkind_name(t->results[i]));
  if (n < size) snprintf(buf + n, size - n, ")");
}

static bool type_eq(const baton_functype_t *a, const baton_functype_t *b) {
  return a->nparams == b->nparams && a->nresults == b->nresults &&
         (!a->nparams || !memcmp(a->params, b->params, sizeof *a->params * a->nparams)) &&
         (!a->nresults || !memcmp(a->results, b->results, sizeof *a->results * a->nresults));
}

void baton_instance_pre_delete(baton_instance_pre_t *pre) {
  if (!pre || atomic_fetch_sub(&pre->refs, 1) != 1) return;
  for (uint32_t i = 0; i < pre->nimports; i++) def_release(pre->defs[i]);
  bt_free(pre->defs);
  bt_free(pre->bindings);
  baton_module_delete(pre->module);
  bt_free(pre);
}

baton_error_t *baton_instance_pre_new(baton_linker_t *l, baton_module_t *m,
                                      baton_instance_pre_t **out) {
  *out = NULL;
  baton_instance_pre_t *pre = bt_calloc(1, sizeof *pre);
  if (!pre) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  atomic_init(&pre->refs, 1);
  bt_module_retain(m);
  pre->module = m;
  pre->engine = l->engine;
  uint32_t n = m->wasm->nimports;
  pre->defs = bt_calloc(n + 1, sizeof *pre->defs);
  pre->bindings = bt_calloc(n + 1, sizeof *pre->bindings);
  if (!pre->defs || !pre->bindings) {
    baton_instance_pre_delete(pre);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  for (uint32_t i = 0; i < n; i++) {
    const bt_wasm_import_t *im = &m->wasm->imports[i];
    bt_host_def_t *d = linker_find(l, im->module, im->name);
    char want[256], have[256];
    if (im->kind != BT_WASM_EXTERN_FUNC) {
      baton_error_t *err = d ? check_extern(m, im, d)
                             : baton_error_new(BATON_ELINK, "%s: unresolved import %s.%s (a %s)", m->name,
                                               im->module, im->name,
                                               im->kind == BT_WASM_EXTERN_MEMORY ? "memory"
                                               : im->kind == BT_WASM_EXTERN_TABLE ? "table" : "global");
      if (err) {
        baton_instance_pre_delete(pre);
        return err;
      }
      atomic_fetch_add(&d->refs, 1);
      pre->defs[i] = d;
      pre->nimports = i + 1;
      pre->bindings[i] = (bt_import_binding_t){.ptr = d->ptr};
      continue;
    }
    type_str(&m->import_types[i], want, sizeof want);
    if (d && d->kind != BATON_EXTERN_FUNC) {
      baton_instance_pre_delete(pre);
      return baton_error_new(BATON_ELINK, "%s: import %s.%s is a function but the linker provides a %s",
                             m->name, im->module, im->name, d->kind == BATON_EXTERN_MEMORY ? "memory"
                             : d->kind == BATON_EXTERN_TABLE ? "table" : "global");
    }
    if (!d) {
      baton_instance_pre_delete(pre);
      return baton_error_new(BATON_ELINK, "%s: unresolved import %s.%s with signature %s",
                             m->name, im->module, im->name, want);
    }
    if (!type_eq(&d->type, &m->import_types[i])) {
      type_str(&d->type, have, sizeof have);
      baton_instance_pre_delete(pre);
      return baton_error_new(BATON_ELINK,
                             "%s: import %s.%s has signature %s but the host provides %s",
                             m->name, im->module, im->name, want, have);
    }
    atomic_fetch_add(&d->refs, 1);
    pre->defs[i] = d;
    pre->nimports = i + 1;
    pre->bindings[i] = (bt_import_binding_t){
        .fn = d->fn, .env = d->env,
        .nparams = (uint32_t)d->type.nparams, .nresults = (uint32_t)d->type.nresults,
        .params = d->type.params, .results = d->type.results};
  }
  *out = pre;
  return NULL;
}

/* ---- process-wide caps on live instances, memories and tables ---- */

static _Atomic uint64_t g_max_instances = BATON_DEFAULT_MAX_INSTANCES;
static _Atomic uint64_t g_max_memories = BATON_DEFAULT_MAX_MEMORIES;
static _Atomic uint64_t g_max_tables = BATON_DEFAULT_MAX_TABLES;
static _Atomic uint64_t g_live_instances, g_live_memories, g_live_tables;

void baton_set_process_limits(uint64_t max_instances, uint64_t max_memories, uint64_t max_tables) {
  if (max_instances) atomic_store(&g_max_instances, max_instances);
  if (max_memories) atomic_store(&g_max_memories, max_memories);
  if (max_tables) atomic_store(&g_max_tables, max_tables);
}

/* Takes n of a process cap (live count `live`, limit `max`). Returns
 * BATON_ELIMIT naming the cap, and takes nothing, when it would exceed it. */
static baton_error_t *cap_take(_Atomic uint64_t *live, _Atomic uint64_t *max, uint64_t n,
                               const char *module, const char *what) {
  if (!n) return NULL;
  uint64_t now = atomic_fetch_add(live, n) + n, limit = atomic_load(max);
  if (now <= limit) return NULL;
  atomic_fetch_sub(live, n);
  return baton_error_new(BATON_ELIMIT,
                         "%s: cannot instantiate: the process limit of %llu live %s is reached "
                         "(baton_set_process_limits)",
                         module, (unsigned long long)limit, what);
}

/* Takes the process caps an instance of m needs (one instance, its own
 * memories and tables); on failure takes none. */
static baton_error_t *caps_take(const baton_module_t *m) {
  baton_error_t *err = cap_take(&g_live_instances, &g_max_instances, 1, m->name, "instances");
  if (err) return err;
  err = cap_take(&g_live_memories, &g_max_memories, m->wasm->nmemories, m->name, "linear memories");
  if (!err) {
    err = cap_take(&g_live_tables, &g_max_tables, m->wasm->ntables, m->name, "tables");
    if (err) atomic_fetch_sub(&g_live_memories, m->wasm->nmemories);
  }
  if (err) atomic_fetch_sub(&g_live_instances, 1);
  return err;
}

/* Returns what caps_take took for an instance. */
static void caps_release(uint32_t memories, uint32_t tables) {
  atomic_fetch_sub(&g_live_instances, 1);
  atomic_fetch_sub(&g_live_memories, memories);
  atomic_fetch_sub(&g_live_tables, tables);
}

/* ---- instances ---- */

static void instance_free(baton_instance_t *inst) {
  bt_runtime_release_instance(inst);
  caps_release(inst->counted_memories, inst->counted_tables);
  for (bt_funcref_box_t *b = inst->funcref_boxes, *next; b; b = next) {
    next = b->next;
    bt_free(b);
  }
  if (inst->wasi_free) inst->wasi_free(inst->wasi);
  baton_instance_pre_t *pre = inst->pre;
  bt_free(inst->name);
  bt_free(inst);
  baton_instance_pre_delete(pre); /* drops this instance's reference */
}

void baton_instance_delete(baton_instance_t *inst) {
  if (inst) instance_free(inst);
}

baton_error_t *baton_instance_pre_instantiate(baton_instance_pre_t *pre,
                                              const baton_instance_config_t *cfg,
                                              baton_instance_t **out,
                                              baton_trap_t **trap) {
  *out = NULL;
  *trap = NULL;
  baton_module_t *m = pre->module;
  baton_engine_t *e = pre->engine;
  uint64_t max_mem = cfg && cfg->max_memory ? cfg->max_memory : e->config.max_memory;
  uint64_t timeout = cfg && cfg->timeout_ms ? cfg->timeout_ms : e->config.timeout_ms;
  uint32_t max_pages = 0;
  if (max_mem) {
    uint64_t pages = max_mem / 65536u;
    max_pages = pages > 65536 ? 65536 : (uint32_t)pages;
    if (max_pages == 0) max_pages = 1; /* below one page: allow none to grow */
    for (uint32_t i = 0; i < m->wasm->nmemories; i++) {
      if (m->wasm->memories[i].min > pages)
        return baton_error_new(BATON_ELIMIT,
                               "%s: memory needs %llu bytes initially, over the limit of %llu bytes",
                               m->name, (unsigned long long)m->wasm->memories[i].min * 65536u,
                               (unsigned long long)max_mem);
    }
  }
  uint64_t max_elems = cfg && cfg->max_table_elements ? cfg->max_table_elements
                                                       : BATON_DEFAULT_MAX_TABLE_ELEMENTS;
  uint64_t elems = 0;
  for (uint32_t i = 0; i < m->wasm->ntables; i++) elems += m->wasm->tables[i].limits.min;
  if (elems > max_elems)
    return baton_error_new(BATON_ELIMIT,
                           "%s: tables need %llu elements initially, over the limit of %llu table elements",
                           m->name, (unsigned long long)elems, (unsigned long long)max_elems);
  size_t size = sizeof(baton_instance_t) + m->glue->instance_size;
  baton_instance_t *inst = bt_malloc(size);
  if (!inst) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  baton_error_t *cerr = caps_take(m);
  if (cerr) {
    bt_free(inst);
    return cerr;
  }
  memset(inst, 0, size);
  inst->counted_memories = m->wasm->nmemories;
  inst->counted_tables = m->wasm->ntables;
  inst->max_table_elems = max_elems;
  inst->engine = e;
  inst->module = m;
  inst->timeout_ms = timeout;
  inst->max_pages = max_pages;
  inst->caller.instance = inst;
  inst->self_cell = &inst->self_cell;
  inst->poison_on_trap = cfg && cfg->poison_on_trap;
  const char *name = cfg && cfg->name ? cfg->name : m->name;
  inst->name = bt_strdup(name);
  if (!inst->name) {
    caps_release(inst->counted_memories, inst->counted_tables);
    bt_free(inst);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  atomic_fetch_add(&pre->refs, 1);
  inst->pre = pre;
  inst->bindings = pre->bindings;
  for (uint32_t i = 0; i < m->wasm->nimports && inst->nshared < BT_ARRAY_LEN(inst->shared_bases); i++)
    if (m->wasm->imports[i].kind == BT_WASM_EXTERN_MEMORY)
      inst->shared_bases[inst->nshared++] = ((wasm_rt_memory_t *)pre->bindings[i].ptr)->data;
  baton_trap_t *t = bt_runtime_enter(inst, NULL, NULL, NULL);
  if (!t && m->has_initialize) {
    bt_glue_val_t none[1];
    t = bt_runtime_enter(inst, m->func_thunks[m->initialize_index], none, none);
    if (t) bt_trap_set_export(t, "_initialize");
  }
  if (t) {
    instance_free(inst);
    *trap = t;
    return NULL;
  }
  *out = inst;
  return NULL;
}

baton_error_t *baton_instance_new(baton_linker_t *l, baton_module_t *m,
                                  const baton_instance_config_t *cfg,
                                  baton_instance_t **out, baton_trap_t **trap) {
  *out = NULL;
  *trap = NULL;
  baton_instance_pre_t *pre;
  baton_error_t *err = baton_instance_pre_new(l, m, &pre);
  if (err) return err;
  err = baton_instance_pre_instantiate(pre, cfg, out, trap);
  baton_instance_pre_delete(pre);
  return err;
}

baton_error_t *baton_instance_lookup(baton_instance_t *inst, const char *name,
                                     uint32_t *index, baton_functype_t *type) {
  const baton_module_t *m = inst->module;
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    if (strcmp(m->func_names[i], name) == 0) {
      *index = i;
      if (type) *type = m->func_types[i];
      return NULL;
    }
  }
  return baton_error_new(BATON_ENOT_FOUND, "%s has no exported function \"%s\"", m->name, name);
}

baton_error_t *baton_instance_call_index(baton_instance_t *inst, uint32_t index,
                                         const baton_val_t *args, size_t nargs,
                                         baton_val_t *results, size_t nresults,
                                         baton_trap_t **trap) {
  *trap = NULL;
  const baton_module_t *m = inst->module;
  if (index >= m->nfuncs)
    return baton_error_new(BATON_ENOT_FOUND, "export index %u out of range", index);
  const baton_functype_t *t = &m->func_types[index];
  const char *name = m->func_names[index];
  if (nargs != t->nparams || nresults != t->nresults)
    return baton_error_new(BATON_ETYPE, "export \"%s\" takes %zu arguments and returns %zu results, "
                           "called with %zu and %zu", name, t->nparams, t->nresults, nargs, nresults);
  bt_glue_val_t a[nargs + 1], r[nresults + 1];
  for (size_t i = 0; i < nargs; i++) {
    if (args[i].kind != t->params[i])
      return baton_error_new(BATON_ETYPE, "export \"%s\" argument %zu: expected %s, got %s", name, i,
                             baton_valkind_name(t->params[i]), baton_valkind_name(args[i].kind));
    switch (args[i].kind) {
      case BATON_I32: a[i].i32 = (uint32_t)args[i].of.i32; break;
      case BATON_I64: a[i].i64 = (uint64_t)args[i].of.i64; break;
      case BATON_F32: a[i].f32 = args[i].of.f32; break;
      case BATON_F64: a[i].f64 = args[i].of.f64; break;
      case BATON_V128: memcpy(a[i].v128, args[i].of.v128, 16); break;
      case BATON_FUNCREF:
      case BATON_EXTERNREF: a[i].ref = args[i].of.ref; break;
    }
  }
  baton_trap_t *tr = bt_runtime_enter(inst, m->func_thunks[index], a, r);
  if (tr) {
    bt_trap_set_export(tr, name);
    *trap = tr;
    return NULL;
  }
  for (size_t i = 0; i < nresults; i++) {
    results[i].kind = t->results[i];
    switch (t->results[i]) {
      case BATON_I32: results[i].of.i32 = (int32_t)r[i].i32; break;
      case BATON_I64: results[i].of.i64 = (int64_t)r[i].i64; break;
      case BATON_F32: results[i].of.f32 = r[i].f32; break;
      case BATON_F64: results[i].of.f64 = r[i].f64; break;
      case BATON_V128: memcpy(results[i].of.v128, r[i].v128, 16); break;
      case BATON_FUNCREF:
      case BATON_EXTERNREF: results[i].of.ref = r[i].ref; break;
    }
  }
  return NULL;
}

baton_error_t *baton_instance_call(baton_instance_t *inst, const char *name,
                                   const baton_val_t *args, size_t nargs,
                                   baton_val_t *results, size_t nresults,
                                   baton_trap_t **trap) {
  *trap = NULL;
  uint32_t index;
  baton_error_t *err = baton_instance_lookup(inst, name, &index, NULL);
  if (err) return err;
  return baton_instance_call_index(inst, index, args, nargs, results, nresults, trap);
}

uint8_t *baton_instance_memory(baton_instance_t *inst, size_t *size) {
  if (!inst->module->glue->memory) {
    if (size) *size = 0;
    return NULL;
  }
  struct {
    uint8_t *data;
    uint32_t pages, max_pages, size;
  } *mem = inst->module->glue->memory(inst->w2c);
  if (size) *size = (size_t)mem->pages * 65536u; /* mem->size wraps at 4 GiB */
  return mem->data;
}

const char *baton_instance_name(const baton_instance_t *inst) { return inst->name; }
baton_module_t *baton_instance_module(const baton_instance_t *inst) { return inst->module; }
baton_instance_t *baton_caller_instance(baton_caller_t *c) { return c->instance; }
uint8_t *baton_caller_memory(baton_caller_t *c, size_t *size) {
  return baton_instance_memory(c->instance, size);
}

baton_error_t *baton_instance_lookup_n(baton_instance_t *inst, const char *name, size_t len,
                                       uint32_t *index, baton_functype_t *type) {
  const bt_wasm_module_t *w = inst->module->wasm;
  const bt_wasm_export_t *ex = bt_wasm_find_export_n(w, name, len);
  if (!ex || ex->kind != BT_WASM_EXTERN_FUNC)
    return baton_error_new(BATON_ENOT_FOUND, "%s has no exported function \"%.*s\"", inst->module->name,
                           (int)len, name);
  *index = func_export_index(w, ex);
  if (type) *type = inst->module->func_types[*index];
  return NULL;
}

/* Finds exported global `name` of inst: its storage and type. */
static baton_error_t *find_global(baton_instance_t *inst, const char *name, size_t len, void **ptr,
                                  const bt_wasm_globaltype_t **type) {
  const bt_wasm_module_t *w = inst->module->wasm;
  const bt_wasm_export_t *ex = bt_wasm_find_export_n(w, name, len);
  if (!ex || ex->kind != BT_WASM_EXTERN_GLOBAL)
    return baton_error_new(BATON_ENOT_FOUND, "%s has no exported global \"%.*s\"", inst->module->name,
                           (int)len, name);
  *ptr = extern_ptr(inst, ex);
  *type = global_type_of(w, ex->index);
  if (!*ptr || !*type) return baton_error_new(BATON_ENOT_FOUND, "global \"%.*s\" is not bound", (int)len, name);
  return NULL;
}

baton_error_t *baton_instance_global_get(baton_instance_t *inst, const char *name, size_t len,
                                         baton_val_t *out) {
  void *p;
  const bt_wasm_globaltype_t *gt;
  baton_error_t *err = find_global(inst, name, len, &p, &gt);
  if (err) return err;
  memset(out, 0, sizeof *out);
  out->kind = bt_valkind_from_wasm(gt->valtype);
  switch (out->kind) {
    case BATON_I32: memcpy(&out->of.i32, p, 4); break;
    case BATON_I64: memcpy(&out->of.i64, p, 8); break;
    case BATON_F32: memcpy(&out->of.f32, p, 4); break;
    case BATON_F64: memcpy(&out->of.f64, p, 8); break;
    case BATON_V128: memcpy(out->of.v128, p, 16); break; /* lowered as lo, hi i64 */
    case BATON_EXTERNREF: memcpy(&out->of.ref, p, sizeof(void *)); break;
    case BATON_FUNCREF:
      out->of.ref = bt_runtime_box_funcref(inst, p);
      if (!out->of.ref && ((const wasm_rt_funcref_t *)p)->func)
        return baton_error_new(BATON_ENO_MEMORY, "out of memory");
      break;
  }
  return NULL;
}

baton_error_t *baton_instance_global_set(baton_instance_t *inst, const char *name, size_t len,
                                         const baton_val_t *val) {
  void *p;
  const bt_wasm_globaltype_t *gt;
  baton_error_t *err = find_global(inst, name, len, &p, &gt);
  if (err) return err;
  if (!gt->mutable_)
    return baton_error_new(BATON_ESTATE, "global \"%.*s\" is immutable", (int)len, name);
  baton_valkind_t k = bt_valkind_from_wasm(gt->valtype);
  if (val->kind != k)
    return baton_error_new(BATON_ETYPE, "global \"%.*s\" is %s, not %s", (int)len, name, baton_valkind_name(k),
                           baton_valkind_name(val->kind));
  switch (k) {
    case BATON_I32: memcpy(p, &val->of.i32, 4); break;
    case BATON_I64: memcpy(p, &val->of.i64, 8); break;
    case BATON_F32: memcpy(p, &val->of.f32, 4); break;
    case BATON_F64: memcpy(p, &val->of.f64, 8); break;
    case BATON_V128: memcpy(p, val->of.v128, 16); break;
    case BATON_EXTERNREF: memcpy(p, &val->of.ref, sizeof(void *)); break;
    case BATON_FUNCREF: {
      wasm_rt_funcref_t f = val->of.ref ? *(const wasm_rt_funcref_t *)val->of.ref : wasm_rt_funcref_null_value;
      memcpy(p, &f, sizeof f);
      break;
    }
  }
  return NULL;
}
