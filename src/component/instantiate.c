/*
 * src/component/instantiate.c: instantiating a compiled component — the
 * definitions of the root component, and of every nested component it
 * instantiates, are executed in binary order into runtime items (rt.h):
 *
 *   core module     the compiled module record (or an adapter plan)
 *   core instance   instantiate: every import of the module is looked up in
 *                   the argument instance of its module name and linked —
 *                   functions through cr_corefn_trampoline (whatever the
 *                   function is: another core instance's export, a lowered
 *                   function, a resource built-in), memories, tables and
 *                   globals with baton_linker_define_export; adapter modules
 *                   are run in place (emulated tables); inline exports make a
 *                   bundle
 *   alias           export of a component instance, core export, outer
 *   type            a resource definition gets a fresh runtime type
 *   component       the definition closed over the defining instance
 *   instance        a nested component instantiated with the arguments, or
 *                   inline exports
 *   canon           lift (a component function), lower and resource.new/
 *                   drop/rep (core functions)
 *   import/export   from the resolver (root) or the arguments (nested); exports
 *                   are recorded by name
 *
 * Errors name the construct and its byte offset. Every failure path leaves
 * the partly built tree to bt_cinstance_free, which releases everything.
 */
#include <stdio.h>
#include <string.h>

#include "component/rt.h"


/* ---- bookkeeping ---- */

static bool push_core(bt_cinstance_t *r, baton_instance_t *inst) {
  if (r->ncores == r->capcores) {
    uint32_t cap = r->capcores ? r->capcores * 2 : 8;
    baton_instance_t **n = bt_realloc(r->cores, sizeof *n * cap);
    if (!n) return false;
    r->cores = n;
    r->capcores = cap;
  }
  r->cores[r->ncores++] = inst;
  return true;
}

static bool push_fin(bt_cinstance_t *r, void (*fn)(void *), void *env) {
  if (r->nfins == r->capfins) {
    uint32_t cap = r->capfins ? r->capfins * 2 : 8;
    cr_fin *n = bt_realloc(r->fins, sizeof *n * cap);
    if (!n) return false;
    r->fins = n;
    r->capfins = cap;
  }
  r->fins[r->nfins++] = (cr_fin){fn, env};
  return true;
}

static bool rmap_add(struct cr_rmap **arr, uint32_t *n, uint32_t *cap, const bt_ctype_t *key,
                     bt_crtype_t *rt) {
  for (uint32_t i = 0; i < *n; i++)
    if ((*arr)[i].key == key) {
      (*arr)[i].rt = rt;
      return true;
    }
  if (*n == *cap) {
    uint32_t nc = *cap ? *cap * 2 : 8;
    struct cr_rmap *a = bt_realloc(*arr, sizeof *a * nc);
    if (!a) return false;
    *arr = a;
    *cap = nc;
  }
  (*arr)[(*n)++] = (struct cr_rmap){key, rt};
  return true;
}

bool cr_rmap_put(cr_cinst *ci, const bt_ctype_t *key, bt_crtype_t *rt) {
  key = bt_ctype_unalias(key);
  if (!key || key->kind != BT_CT_RESOURCE || !rt) return true;
  bt_cinstance_t *r = ci->root;
  return rmap_add(&ci->rmap, &ci->nrmap, &ci->caprmap, key, rt) &&
         rmap_add(&r->rmap, &r->nrmap, &r->caprmap, key, rt);
}

bt_crtype_t *cr_rmap_get(cr_cinst *ci, const bt_ctype_t *key) {
  key = bt_ctype_unalias(key);
  if (!key) return NULL;
  for (cr_cinst *c = ci; c; c = c->outer)
    for (uint32_t i = 0; i < c->nrmap; i++)
      if (c->rmap[i].key == key) return c->rmap[i].rt;
  bt_cinstance_t *r = ci->root;
  for (uint32_t i = r->nrmap; i-- > 0;)
    if (r->rmap[i].key == key) return r->rmap[i].rt;
  return NULL;
}

static cr_cinst *new_cinst(bt_cinstance_t *r, const bt_component_t *comp, cr_cinst *outer,
                           const char *name) {
  cr_cinst *ci = cr_alloc(&r->arena, sizeof *ci);
  if (!ci) return NULL;
  ci->root = r;
  ci->comp = comp;
  ci->outer = outer;
  ci->name = cr_strdup(&r->arena, name);
  for (int s = 0; s < BT_CSORT_COUNT; s++) {
    ci->items[s] = cr_alloc(&r->arena, sizeof(void *) * (comp->spaces[s].count + 1));
    if (!ci->items[s]) return NULL;
  }
  ci->exports.items = cr_alloc(&r->arena, sizeof *ci->exports.items * (comp->nexports + 1));
  if (!ci->name || !ci->exports.items) return NULL;
  ci->next_all = r->all;
  r->all = ci;
  r->ncinst++;
  return ci;
}

/* Fills a core function's engine type from its wasm type. */
static bool set_ftype(bt_cinstance_t *r, cr_corefn *f, const bt_wasm_functype_t *t) {
  f->type = t;
  baton_valkind_t *k = cr_alloc(&r->arena, sizeof *k * (t->nparams + t->nresults + 1));
  if (!k) return false;
  for (uint32_t i = 0; i < t->nparams + t->nresults; i++) {
    uint8_t v = i < t->nparams ? t->params[i] : t->results[i - t->nparams];
    k[i] = v == BT_WASM_I64 ? BATON_I64 : v == BT_WASM_F32 ? BATON_F32 : v == BT_WASM_F64 ? BATON_F64 : BATON_I32;
  }
  f->ftype.params = k;
  f->ftype.nparams = t->nparams;
  f->ftype.results = k + t->nparams;
  f->ftype.nresults = t->nresults;
  return true;
}

static cr_corefn *new_corefn(cr_cinst *ci, cr_fkind kind, const bt_wasm_functype_t *t) {
  cr_corefn *f = cr_alloc(&ci->root->arena, sizeof *f);
  if (!f || !set_ftype(ci->root, f, t)) return NULL;
  f->kind = kind;
  f->owner = ci;
  return f;
}

#define OOM() baton_error_new(BATON_ENO_MEMORY, "out of memory instantiating a component")

/* ---- execution context ---- */

/* How a component instance gets its imports: from the resolver (root) or
 * the instantiation arguments in the parent (nested). */
typedef struct imports {
  const bt_cresolver_t *resolver;
  const bt_cnamed_t *args;
  uint32_t nargs;
  cr_cinst *parent; /* where the arguments' indices point */
} imports;

static baton_error_t *run_component(cr_cinst *ci, const imports *im, baton_trap_t **trap);

static void *item(cr_cinst *ci, bt_csort_t sort, uint32_t idx) {
  return idx < ci->comp->spaces[sort].count ? ci->items[sort][idx] : NULL;
}

static const cr_coreexp *core_export(const cr_coreinst *ci, const char *name) {
  for (uint32_t i = 0; ci && i < ci->n; i++)
    if (strcmp(ci->ex[i].name, name) == 0) return &ci->ex[i];
  return NULL;
}

bool bt_cvinst_get(const bt_cvinst_t *v, const char *name, bt_citem_t *out) {
  for (uint32_t i = 0; v && i < v->n; i++)
    if (v->items[i].name && strcmp(v->items[i].name, name) == 0) {
      *out = v->items[i].item;
      return true;
    }
  return false;
}

uint32_t bt_cvinst_count(const bt_cvinst_t *v) { return v ? v->n : 0; }

const char *bt_cvinst_name(const bt_cvinst_t *v, uint32_t i, bt_citem_t *it) {
  if (!v || i >= v->n) return NULL;
  if (it) *it = v->items[i].item;
  return v->items[i].name;
}

/* ---- core instances ---- */

/* Builds the export list of an engine instance of module m. */
static baton_error_t *index_core(cr_cinst *ci, const cr_module *m, baton_instance_t *inst, cr_coreinst *out) {
  const bt_wasm_module_t *w = m->def->u.core_module.module;
  bt_cinstance_t *r = ci->root;
  out->inst = inst;
  out->n = w->nexports;
  out->ex = cr_alloc(&r->arena, sizeof *out->ex * (w->nexports + 1));
  if (!out->ex) return OOM();
  for (uint32_t i = 0; i < w->nexports; i++) {
    const bt_wasm_export_t *e = &w->exports[i];
    cr_coreexp *x = &out->ex[i];
    x->name = e->name;
    if (e->kind == BT_WASM_EXTERN_FUNC) {
      cr_corefn *f = new_corefn(ci, CR_F_EXPORT, bt_wasm_func_type(w, e->index));
      if (!f) return OOM();
      f->inst = inst;
      f->name = e->name;
      bool init = strcmp(e->name, "_initialize") == 0 && f->type->nparams == 0 && f->type->nresults == 0;
      /* A deferred `_initialize` is compiled under another name (compile.c). */
      const char *as = init && m->defer_init ? CR_INIT_NAME : e->name;
      baton_error_t *err = baton_instance_lookup(inst, as, &f->index, NULL);
      if (err) return err;
      f->ran_init = init && !m->defer_init;
      x->sort = BT_CSORT_CORE_FUNC;
      x->item = f;
    } else {
      cr_coreref *ref = cr_alloc(&r->arena, sizeof *ref);
      if (!ref) return OOM();
      ref->sort = e->kind == BT_WASM_EXTERN_MEMORY  ? BT_CSORT_CORE_MEMORY
                  : e->kind == BT_WASM_EXTERN_TABLE ? BT_CSORT_CORE_TABLE
                  : e->kind == BT_WASM_EXTERN_GLOBAL ? BT_CSORT_CORE_GLOBAL
                                                    : BT_CSORT_CORE_TAG;
      ref->inst = inst;
      ref->name = e->name;
      ref->index = e->index;
      x->sort = ref->sort;
      x->item = ref;
    }
  }
  return NULL;
}

/* Finds import (module, name) of a module among the instantiation
 * arguments; NULL with an error naming it otherwise. */
static const cr_coreexp *find_arg(cr_cinst *ci, const bt_cdef_t *d, const char *module, const char *name,
                                  baton_error_t **err) {
  for (uint32_t a = 0; a < d->u.instance.nargs; a++) {
    if (strcmp(d->u.instance.args[a].name, module) != 0) continue;
    const cr_coreinst *ai = item(ci, BT_CSORT_CORE_INSTANCE, d->u.instance.args[a].item.index);
    const cr_coreexp *x = core_export(ai, name);
    if (x) return x;
    break;
  }
  *err = baton_error_new(BATON_ELINK, "import `%s`.`%s` is not supplied", module, name);
  return NULL;
}

static bool functype_eq(const bt_wasm_functype_t *a, const bt_wasm_functype_t *b) {
  return a->nparams == b->nparams && a->nresults == b->nresults &&
         (!a->nparams || memcmp(a->params, b->params, a->nparams) == 0) &&
         (!a->nresults || memcmp(a->results, b->results, a->nresults) == 0);
}

/* An emulated shim: slots filled later by a fixup. */
static baton_error_t *inst_shim(cr_cinst *ci, const cr_module *m, cr_coreinst *out) {
  bt_cinstance_t *r = ci->root;
  const bt_wasm_module_t *w = m->def->u.core_module.module;
  cr_slots *slots = cr_alloc(&r->arena, sizeof *slots);
  if (!slots) return OOM();
  slots->n = m->table_size;
  slots->fns = cr_alloc(&r->arena, sizeof *slots->fns * (m->table_size + 1));
  slots->types = cr_alloc(&r->arena, sizeof *slots->types * (m->table_size + 1));
  if (!slots->fns || !slots->types) return OOM();
  out->n = w->nexports;
  out->ex = cr_alloc(&r->arena, sizeof *out->ex * (w->nexports + 1));
  if (!out->ex) return OOM();
  for (uint32_t i = 0; i < w->nexports; i++) {
    const bt_wasm_export_t *e = &w->exports[i];
    cr_coreexp *x = &out->ex[i];
    x->name = e->name;
    if (e->kind == BT_WASM_EXTERN_FUNC) {
      cr_corefn *f = new_corefn(ci, CR_F_SLOT, bt_wasm_func_type(w, e->index));
      if (!f) return OOM();
      f->slots = slots;
      f->slot = m->fn_slot[e->index];
      slots->types[f->slot] = f->type;
      x->sort = BT_CSORT_CORE_FUNC;
      x->item = f;
    } else {
      cr_coreref *ref = cr_alloc(&r->arena, sizeof *ref);
      if (!ref) return OOM();
      ref->sort = BT_CSORT_CORE_TABLE;
      ref->slots = slots;
      ref->name = e->name;
      x->sort = BT_CSORT_CORE_TABLE;
      x->item = ref;
    }
  }
  return NULL;
}

/* An emulated fixup: fills emulated tables, runs the start import. */
static baton_error_t *inst_fixup(cr_cinst *ci, const bt_cdef_t *d, const cr_module *m, baton_trap_t **trap) {
  const bt_wasm_module_t *w = m->def->u.core_module.module;
  baton_error_t *err = NULL;
  /* Imports by kind, in index order. */
  uint32_t nf = 0, nt = 0;
  cr_corefn **funcs = bt_calloc(w->nimported_funcs + 1, sizeof *funcs);
  cr_slots **tables = bt_calloc(w->nimported_tables + 1, sizeof *tables);
  if (!funcs || !tables) err = OOM();
  for (uint32_t i = 0; !err && i < w->nimports; i++) {
    const bt_wasm_import_t *imp = &w->imports[i];
    const cr_coreexp *x = find_arg(ci, d, imp->module, imp->name, &err);
    if (!x) break;
    if (imp->kind == BT_WASM_EXTERN_FUNC) {
      if (x->sort != BT_CSORT_CORE_FUNC) {
        err = baton_error_new(BATON_ELINK, "import `%s`.`%s` is not a function", imp->module, imp->name);
        break;
      }
      funcs[nf++] = x->item;
    } else if (imp->kind == BT_WASM_EXTERN_TABLE) {
      const cr_coreref *ref = x->item;
      if (x->sort != BT_CSORT_CORE_TABLE || !ref->slots) {
        err = baton_error_new(BATON_EUNSUPPORTED, "import `%s`.`%s`: filling a compiled module's table "
                              "from an adapter module is not supported", imp->module, imp->name);
        break;
      }
      tables[nt++] = ref->slots;
    }
  }
  for (uint32_t i = 0; !err && i < m->nelems; i++) {
    const cr_elem *e = &m->elems[i];
    cr_slots *s = e->table < nt ? tables[e->table] : NULL;
    if (!s || (uint64_t)e->offset + e->n > s->n) {
      err = baton_error_new(BATON_EINVALID, "element segment %u is out of bounds of table %u", i, e->table);
      break;
    }
    for (uint32_t k = 0; k < e->n && !err; k++) {
      cr_corefn *f = e->funcs[k] == UINT32_MAX ? NULL : funcs[e->funcs[k]];
      const bt_wasm_functype_t *want = s->types[e->offset + k];
      if (f && want && !functype_eq(want, f->type)) {
        char a[128], b[128];
        bt_wasm_functype_str(want, a, sizeof a);
        bt_wasm_functype_str(f->type, b, sizeof b);
        err = baton_error_new(BATON_ETYPE, "table element %u: the shim calls it as %s, but it is %s",
                              e->offset + k, a, b);
      }
      s->fns[e->offset + k] = f;
    }
  }
  if (!err && m->has_start) {
    cr_corefn *f = funcs[m->start];
    if (f->kind == CR_F_EXPORT && f->ran_init) {
      /* The engine runs a reactor's `_initialize` when it instantiates it. */
    } else if (f->type->nparams || f->type->nresults) {
      err = baton_error_new(BATON_EINVALID, "start function has parameters or results");
    } else {
      *trap = cr_corefn_invoke(f, NULL, NULL);
    }
  }
  bt_free(funcs);
  bt_free(tables);
  return err;
}

/* Instantiates a compiled module with the engine. */
static baton_error_t *inst_engine(cr_cinst *ci, const bt_cdef_t *d, const cr_module *m, uint32_t index,
                                  cr_coreinst *out, baton_trap_t **trap) {
  bt_cinstance_t *r = ci->root;
  bt_ccomp_t *c = r->comp;
  baton_linker_t *linker = NULL;
  baton_error_t *err = baton_linker_new(c->engine, &linker);
  size_t n = baton_module_import_count(m->module);
  for (size_t i = 0; !err && i < n; i++) {
    baton_extern_desc_t desc;
    baton_module_import(m->module, i, &desc);
    bool dup = false;
    for (size_t k = 0; k < i && !dup; k++) {
      baton_extern_desc_t o;
      baton_module_import(m->module, k, &o);
      dup = strcmp(o.module, desc.module) == 0 && strcmp(o.name, desc.name) == 0;
    }
    if (dup) continue;
    const cr_coreexp *x = find_arg(ci, d, desc.module, desc.name, &err);
    if (!x) break;
    if (desc.kind == BATON_EXTERN_FUNC) {
      if (x->sort != BT_CSORT_CORE_FUNC) {
        err = baton_error_new(BATON_ELINK, "import `%s`.`%s` is a function but a %s is given", desc.module,
                              desc.name, bt_csort_name(x->sort));
        break;
      }
      cr_corefn *f = x->item;
      err = baton_linker_define_func(linker, desc.module, desc.name, &f->ftype, cr_corefn_trampoline, f, NULL);
    } else {
      const cr_coreref *ref = x->item;
      if (x->sort == BT_CSORT_CORE_FUNC || !ref->inst) {
        err = baton_error_new(BATON_EUNSUPPORTED, "import `%s`.`%s`: this kind of item cannot be linked",
                              desc.module, desc.name);
      } else {
        err = baton_linker_define_export(linker, desc.module, desc.name, ref->inst, ref->name);
      }
    }
  }
  baton_instance_t *inst = NULL;
  if (!err) {
    char name[300];
    snprintf(name, sizeof name, "%s/core%u", ci->name, index);
    baton_instance_config_t cfg = {.timeout_ms = r->timeout_ms, .max_memory = r->max_memory, .name = name,
                                   .poison_on_trap = true};
    err = baton_instance_new(linker, m->module, &cfg, &inst, trap);
  }
  baton_linker_delete(linker);
  if (err || *trap) return err;
  if (!push_core(r, inst)) {
    baton_instance_delete(inst);
    return OOM();
  }
  return index_core(ci, m, inst, out);
}

static baton_error_t *exec_core_instance(cr_cinst *ci, const bt_cdef_t *d, baton_trap_t **trap) {
  bt_cinstance_t *r = ci->root;
  cr_coreinst *out = cr_alloc(&r->arena, sizeof *out);
  if (!out) return OOM();
  baton_error_t *err = NULL;
  if (d->u.instance.instantiate) {
    const cr_module *m = item(ci, BT_CSORT_CORE_MODULE, d->u.instance.of);
    if (!m) return baton_error_new(BATON_EINVALID, "core module %u is not available", d->u.instance.of);
    if (m->emul == CR_EMUL_SHIM) err = inst_shim(ci, m, out);
    else if (m->emul == CR_EMUL_FIXUP) err = inst_fixup(ci, d, m, trap);
    else err = inst_engine(ci, d, m, d->index, out, trap);
    if (err) err = baton_error_wrap(err, "instantiating core module %u", d->u.instance.of);
  } else {
    out->n = d->u.instance.nargs;
    out->ex = cr_alloc(&r->arena, sizeof *out->ex * (out->n + 1));
    if (!out->ex) return OOM();
    for (uint32_t i = 0; i < out->n; i++) {
      const bt_cnamed_t *a = &d->u.instance.args[i];
      out->ex[i].name = a->name;
      out->ex[i].sort = a->item.sort;
      out->ex[i].item = item(ci, a->item.sort, a->item.index);
    }
  }
  ci->items[BT_CSORT_CORE_INSTANCE][d->index] = out;
  return err;
}

/* ---- canon ---- */

static baton_error_t *resolve_opts(cr_cinst *ci, const bt_ccanon_opts_t *o, cr_opts *out) {
  out->enc = o->string_encoding == BT_CSTRING_UTF16          ? BT_ABI_UTF16
             : o->string_encoding == BT_CSTRING_LATIN1_UTF16 ? BT_ABI_LATIN1_UTF16
                                                             : BT_ABI_UTF8;
  if (o->has_memory) {
    const cr_coreref *mem = item(ci, BT_CSORT_CORE_MEMORY, o->memory);
    if (!mem || !mem->inst)
      return baton_error_new(BATON_EUNSUPPORTED, "memory option: core memory %u is not an instance's memory",
                             o->memory);
    if (mem->index != 0)
      return baton_error_new(BATON_EUNSUPPORTED, "memory option: memory `%s` is memory %u of its instance; "
                             "only memory 0 is supported", mem->name, mem->index);
    out->mem = mem->inst;
  }
  if (o->has_realloc) out->realloc = item(ci, BT_CSORT_CORE_FUNC, o->realloc);
  if (o->has_post_return) out->post = item(ci, BT_CSORT_CORE_FUNC, o->post_return);
  return NULL;
}

static baton_error_t *exec_canon(cr_cinst *ci, const bt_cdef_t *d) {
  bt_cinstance_t *r = ci->root;
  baton_error_t *err = NULL;
  switch (d->u.canon.kind) {
    case BT_CCANON_LIFT: {
      bt_cfunc_t *f = cr_alloc(&r->arena, sizeof *f);
      const cr_canon *k = cr_find_canon(r->comp, d);
      if (!f || !k) return OOM();
      f->kind = CR_FN_LIFTED;
      f->wit = k->wit;
      f->type = d->u.canon.functype;
      f->handles = k->handles;
      f->name = k->wit->name;
      f->inst = ci;
      f->core = item(ci, BT_CSORT_CORE_FUNC, d->u.canon.func);
      f->sig = &k->sig;
      err = resolve_opts(ci, &d->u.canon.opts, &f->opts);
      ci->items[BT_CSORT_FUNC][d->index] = f;
      return err;
    }
    case BT_CCANON_LOWER: {
      cr_corefn *f = new_corefn(ci, CR_F_LOWER, d->u.canon.core_type);
      const cr_canon *k = cr_find_canon(r->comp, d);
      if (!f || !k) return OOM();
      f->callee = item(ci, BT_CSORT_FUNC, d->u.canon.func);
      f->canon = k;
      f->name = k->wit->name;
      if (!f->callee) return baton_error_new(BATON_EINVALID, "lower: function %u is not available", d->u.canon.func);
      err = resolve_opts(ci, &d->u.canon.opts, &f->opts);
      ci->items[BT_CSORT_CORE_FUNC][d->index] = f;
      return err;
    }
    default: {
      cr_fkind kind = d->u.canon.kind == BT_CCANON_RESOURCE_NEW  ? CR_F_RNEW
                      : d->u.canon.kind == BT_CCANON_RESOURCE_DROP ? CR_F_RDROP
                                                                   : CR_F_RREP;
      cr_corefn *f = new_corefn(ci, kind, d->u.canon.core_type);
      if (!f) return OOM();
      f->rt = cr_rmap_get(ci, d->u.canon.resource);
      f->name = kind == CR_F_RNEW ? "resource.new" : kind == CR_F_RDROP ? "resource.drop" : "resource.rep";
      ci->items[BT_CSORT_CORE_FUNC][d->index] = f;
      return NULL;
    }
  }
}

/* ---- types, aliases, instances ---- */

static bt_crtype_t *new_rtype(cr_cinst *ci, cr_cinst *impl, const char *name) {
  bt_crtype_t *rt = cr_alloc(&ci->root->arena, sizeof *rt);
  if (!rt) return NULL;
  rt->root = ci->root;
  rt->impl = impl;
  rt->name = name ? cr_strdup(&ci->root->arena, name) : "resource";
  return rt;
}

/* The name of a type index for messages: the export or import naming it. */
static const char *type_name(const bt_component_t *comp, uint32_t idx) {
  for (uint32_t i = 0; i < comp->ndefs; i++) {
    const bt_cdef_t *d = &comp->defs[i];
    if ((d->kind == BT_CDEF_EXPORT && d->u.ext.item.sort == BT_CSORT_TYPE && d->u.ext.item.index == idx) ||
        (d->kind == BT_CDEF_IMPORT && d->sort == BT_CSORT_TYPE && d->index == idx))
      return d->u.ext.ext ? d->u.ext.ext->name : NULL;
  }
  return NULL;
}

static baton_error_t *exec_type(cr_cinst *ci, const bt_cdef_t *d) {
  const bt_ctype_t *t = d->u.type.type;
  void *out = NULL;
  if (t->kind == BT_CT_RESOURCE && t->owner == ci->comp) {
    bt_crtype_t *rt = new_rtype(ci, ci, type_name(ci->comp, d->index));
    if (!rt) return OOM();
    if (t->has_dtor) rt->dtor = item(ci, BT_CSORT_CORE_FUNC, t->dtor);
    if (!cr_rmap_put(ci, t, rt)) return OOM();
    out = rt;
  } else {
    const bt_ctype_t *u = bt_ctype_unalias(t);
    if (u && u->kind == BT_CT_RESOURCE) out = cr_rmap_get(ci, u);
  }
  ci->items[BT_CSORT_TYPE][d->index] = out;
  return NULL;
}

static baton_error_t *exec_alias(cr_cinst *ci, const bt_cdef_t *d) {
  void *out = NULL;
  switch (d->u.alias.kind) {
    case BT_CALIAS_EXPORT: {
      const bt_cvinst_t *v = item(ci, BT_CSORT_INSTANCE, d->u.alias.instance);
      bt_citem_t it;
      if (!bt_cvinst_get(v, d->u.alias.name, &it))
        return baton_error_new(BATON_ELINK, "instance %u has no export `%s`", d->u.alias.instance, d->u.alias.name);
      if (it.sort != d->sort)
        return baton_error_new(BATON_ETYPE, "export `%s` of instance %u is a %s, not a %s", d->u.alias.name,
                               d->u.alias.instance, bt_csort_name(it.sort), bt_csort_name(d->sort));
      out = it.p;
      if (d->sort == BT_CSORT_TYPE && out &&
          !cr_rmap_put(ci, ci->comp->spaces[BT_CSORT_TYPE].items[d->index].type, out))
        return OOM();
      break;
    }
    case BT_CALIAS_CORE_EXPORT: {
      const cr_coreinst *c = item(ci, BT_CSORT_CORE_INSTANCE, d->u.alias.instance);
      const cr_coreexp *x = core_export(c, d->u.alias.name);
      if (!x || x->sort != d->sort)
        return baton_error_new(BATON_ELINK, "core instance %u has no %s export `%s`", d->u.alias.instance,
                               bt_csort_name(d->sort), d->u.alias.name);
      out = x->item;
      break;
    }
    case BT_CALIAS_OUTER: {
      cr_cinst *o = ci;
      for (uint32_t k = 0; k < d->u.alias.outer_count && o; k++) o = o->outer;
      if (!o) return baton_error_new(BATON_EINVALID, "outer alias leaves the root component");
      out = item(o, d->sort, d->u.alias.outer_index);
      break;
    }
  }
  ci->items[d->sort][d->index] = out;
  return NULL;
}

static baton_error_t *exec_instance(cr_cinst *ci, const bt_cdef_t *d, baton_trap_t **trap) {
  bt_cinstance_t *r = ci->root;
  if (d->u.instance.instantiate) {
    const cr_compval *cv = item(ci, BT_CSORT_COMPONENT, d->u.instance.of);
    if (!cv) return baton_error_new(BATON_EINVALID, "component %u is not available", d->u.instance.of);
    char name[300];
    snprintf(name, sizeof name, "%s/%u", ci->name, d->index);
    cr_cinst *child = new_cinst(r, cv->comp, cv->outer, name);
    if (!child) return OOM();
    imports im = {NULL, d->u.instance.args, d->u.instance.nargs, ci};
    baton_error_t *err = run_component(child, &im, trap);
    if (err) return baton_error_wrap(err, "instantiating component %u", d->u.instance.of);
    if (*trap) return NULL;
    ci->items[BT_CSORT_INSTANCE][d->index] = &child->exports;
    return NULL;
  }
  bt_cvinst_t *v = bt_cinstance_new_bag(r, d->u.instance.nargs);
  if (!v) return OOM();
  for (uint32_t i = 0; i < d->u.instance.nargs; i++) {
    const bt_cnamed_t *a = &d->u.instance.args[i];
    bt_citem_t it = {a->item.sort, item(ci, a->item.sort, a->item.index)};
    if (!bt_cvinst_set(r, v, i, a->name, it)) return OOM();
  }
  ci->items[BT_CSORT_INSTANCE][d->index] = v;
  return NULL;
}

/* ---- imports ---- */

/* Checks a supplied function against the type an import declares. */
static baton_error_t *check_func(bt_cinstance_t *r, const bt_ctype_t *want, const bt_cfunc_t *have,
                                 const char *what) {
  bt_ccomp_t *c = r->comp;
  pthread_mutex_lock(&c->lock);
  baton_error_t *err = NULL;
  const bt_wit_function_t *w = cr_conv_func(c->conv, want, what, true, &err);
  pthread_mutex_unlock(&c->lock);
  if (!w) return err;
  if (bt_cwit_func_eq(w, have->wit)) return NULL;
  char a[512], b[512];
  return baton_error_new(BATON_ETYPE, "%s: expected %s, but the supplied function is %s", what,
                         bt_abi_func_str(w, a, sizeof a), bt_abi_func_str(have->wit, b, sizeof b));
}

/* Checks an item supplied for an import: sort and, for functions and
 * instances, the declared types. */
static baton_error_t *check_import(bt_cinstance_t *r, const bt_cextern_t *imp, bt_citem_t it, int depth) {
  if (it.sort != imp->sort)
    return baton_error_new(BATON_ETYPE, "import `%s` is a %s, but a %s is supplied", imp->name,
                           bt_csort_name(imp->sort), bt_csort_name(it.sort));
  if (imp->sort == BT_CSORT_FUNC) {
    if (!it.p) return baton_error_new(BATON_ELINK, "import `%s`: no function supplied", imp->name);
    return check_func(r, imp->type, it.p, imp->name);
  }
  if (imp->sort == BT_CSORT_INSTANCE && depth < 8) {
    const bt_ctype_t *t = bt_ctype_unalias(imp->type);
    for (uint32_t i = 0; t && i < t->nexports; i++) {
      bt_citem_t x;
      if (!bt_cvinst_get(it.p, t->exports[i].name, &x))
        return baton_error_new(BATON_ELINK, "import `%s`: the supplied instance has no export `%s`", imp->name,
                               t->exports[i].name);
      baton_error_t *err = check_import(r, &t->exports[i], x, depth + 1);
      if (err) return baton_error_wrap(err, "import `%s`", imp->name);
    }
  }
  return NULL;
}

/* Binds the resource types of an imported item (a type, or the types an
 * imported instance exports) in ci's map. */
static baton_error_t *bind_types(cr_cinst *ci, const bt_cextern_t *imp, bt_citem_t *it, int depth) {
  if (imp->sort == BT_CSORT_TYPE) {
    const bt_ctype_t *u = bt_ctype_unalias(imp->type);
    if (!u || u->kind != BT_CT_RESOURCE) return NULL;
    if (!it->p) {
      it->p = new_rtype(ci, NULL, imp->name);
      if (!it->p) return OOM();
    }
    return cr_rmap_put(ci, u, it->p) ? NULL : OOM();
  }
  if (imp->sort == BT_CSORT_INSTANCE && depth < 8) {
    const bt_ctype_t *t = bt_ctype_unalias(imp->type);
    for (uint32_t i = 0; t && i < t->nexports; i++) {
      bt_citem_t x;
      if (!bt_cvinst_get(it->p, t->exports[i].name, &x)) continue;
      if (t->exports[i].sort == BT_CSORT_TYPE && x.p) {
        baton_error_t *err = bind_types(ci, &t->exports[i], &x, depth + 1);
        if (err) return err;
      }
    }
  }
  return NULL;
}

static baton_error_t *exec_import(cr_cinst *ci, const bt_cdef_t *d, const imports *im) {
  const bt_cextern_t *imp = d->u.ext.ext;
  bt_citem_t it = {imp->sort, NULL};
  baton_error_t *err = NULL;
  if (!im->parent && imp->sort == BT_CSORT_TYPE && imp->type && imp->type->kind == BT_CT_ALIAS) {
    /* An `(eq T)` type import of the root (a type a world defines: WIT
     * encodes it as an import) is satisfied by its definition T: nothing
     * is asked of the resolver. A resource keeps its runtime type. */
    const bt_ctype_t *u = bt_ctype_unalias(imp->type);
    ci->items[d->sort][d->index] = u && u->kind == BT_CT_RESOURCE ? cr_rmap_get(ci, u) : NULL;
    return NULL;
  }
  if (im->parent) {
    uint32_t a = 0;
    while (a < im->nargs && strcmp(im->args[a].name, imp->name) != 0) a++;
    if (a == im->nargs) return baton_error_new(BATON_ELINK, "import `%s` is not supplied", imp->name);
    it.sort = im->args[a].item.sort;
    it.p = item(im->parent, it.sort, im->args[a].item.index);
  } else {
    if (!im->resolver || !im->resolver->resolve)
      return baton_error_new(BATON_ELINK, "import `%s` (a %s) is not provided", imp->name,
                             bt_csort_name(imp->sort));
    err = im->resolver->resolve(im->resolver->env, ci->root, imp, &it);
    if (err) return err;
    err = check_import(ci->root, imp, it, 0);
    if (err) return err;
  }
  if (it.sort != imp->sort)
    return baton_error_new(BATON_ETYPE, "import `%s` is a %s, but a %s is supplied", imp->name,
                           bt_csort_name(imp->sort), bt_csort_name(it.sort));
  err = bind_types(ci, imp, &it, 0);
  if (err) return err;
  if (imp->sort == BT_CSORT_TYPE && !it.p) {
    const bt_ctype_t *u = bt_ctype_unalias(ci->comp->spaces[BT_CSORT_TYPE].items[d->index].type);
    if (u && u->kind == BT_CT_RESOURCE) it.p = cr_rmap_get(ci, u);
  }
  ci->items[d->sort][d->index] = it.p;
  return NULL;
}

static baton_error_t *exec_export(cr_cinst *ci, const bt_cdef_t *d) {
  const bt_cextern_t *ext = d->u.ext.ext;
  void *p = item(ci, d->u.ext.item.sort, d->u.ext.item.index);
  ci->items[d->sort][d->index] = p;
  if (d->sort == BT_CSORT_TYPE && p && !cr_rmap_put(ci, ext->type, p)) return OOM();
  cr_vexport *x = &ci->exports.items[ci->exports.n++];
  x->name = ext->name;
  x->item.sort = d->sort;
  x->item.p = p;
  return NULL;
}

/* ---- driving ---- */

static const char *def_name(bt_cdef_kind_t k) {
  static const char *const n[] = {"core module", "core instance", "core type", "component", "instance",
                                  "alias", "type", "canon", "import", "export"};
  return k <= BT_CDEF_EXPORT ? n[k] : "definition";
}

static baton_error_t *run_component(cr_cinst *ci, const imports *im, baton_trap_t **trap) {
  bt_cinstance_t *r = ci->root;
  for (uint32_t i = 0; i < ci->comp->ndefs; i++) {
    const bt_cdef_t *d = &ci->comp->defs[i];
    baton_error_t *err = NULL;
    switch (d->kind) {
      case BT_CDEF_CORE_MODULE: ci->items[BT_CSORT_CORE_MODULE][d->index] = cr_find_module(r->comp, d); break;
      case BT_CDEF_CORE_INSTANCE: err = exec_core_instance(ci, d, trap); break;
      case BT_CDEF_CORE_TYPE: break;
      case BT_CDEF_COMPONENT: {
        cr_compval *cv = cr_alloc(&r->arena, sizeof *cv);
        if (!cv) return OOM();
        cv->comp = d->u.component.component;
        cv->outer = ci;
        ci->items[BT_CSORT_COMPONENT][d->index] = cv;
        break;
      }
      case BT_CDEF_INSTANCE: err = exec_instance(ci, d, trap); break;
      case BT_CDEF_ALIAS: err = exec_alias(ci, d); break;
      case BT_CDEF_TYPE: err = exec_type(ci, d); break;
      case BT_CDEF_CANON: err = exec_canon(ci, d); break;
      case BT_CDEF_IMPORT: err = exec_import(ci, d, im); break;
      case BT_CDEF_EXPORT: err = exec_export(ci, d); break;
    }
    if (err) {
      const char *what = def_name(d->kind);
      if (d->kind == BT_CDEF_IMPORT || d->kind == BT_CDEF_EXPORT)
        return baton_error_wrap(err, "%s: offset 0x%zx: %s `%s`", ci->name, d->offset, what,
                                d->u.ext.ext ? d->u.ext.ext->name : "?");
      return baton_error_wrap(err, "%s: offset 0x%zx: %s %u", ci->name, d->offset, what, d->index);
    }
    if (*trap) return NULL;
  }
  return NULL;
}

/* ---- API ---- */

baton_error_t *bt_cstore_new(bt_cstore_t **out) {
  *out = bt_calloc(1, sizeof **out);
  if (!*out) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  atomic_init(&(*out)->refs, 1);
  return NULL;
}

void bt_cstore_retain(bt_cstore_t *s) { atomic_fetch_add(&s->refs, 1); }

void bt_cstore_release(bt_cstore_t *s) {
  if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
  cr_table_free(&s->table);
  cr_arena_free(&s->arena);
  bt_free(s);
}

void bt_cinstance_free(bt_cinstance_t *r) {
  if (!r) return;
  for (uint32_t i = r->nfins; i-- > 0;) r->fins[i].fn(r->fins[i].env);
  for (uint32_t i = r->ncores; i-- > 0;) baton_instance_delete(r->cores[i]);
  if (r->store) {
    /* Handles of resources this instance defined die with it. */
    cr_table *t = &r->store->table;
    for (uint32_t i = 1; i < t->n; i++)
      if (t->h[i].live && t->h[i].rt && t->h[i].rt->root == r) {
        t->h[i].live = false;
        t->h[i].rt = NULL;
        t->h[i].rep = t->free_head;
        t->free_head = i;
        t->live--;
      }
    bt_cstore_release(r->store);
  }
  for (cr_cinst *c = r->all; c; c = c->next_all) {
    cr_table_free(&c->table);
    bt_free(c->rmap);
  }
  bt_free(r->cores);
  bt_free(r->fins);
  bt_free(r->rmap);
  cr_arena_free(&r->arena);
  bt_free(r);
}

baton_error_t *bt_cinstance_new(bt_ccomp_t *comp, const bt_cresolver_t *resolver,
                                const bt_cinstance_config_t *config, bt_cinstance_t **out,
                                baton_trap_t **trap) {
  *out = NULL;
  *trap = NULL;
  if (!comp->compiled)
    return baton_error_new(BATON_ESTATE, "%s: the component is parsed but not compiled (bt_ccomp_compile)",
                           comp->name);
  bt_cinstance_t *r = bt_calloc(1, sizeof *r);
  if (!r) return OOM();
  r->comp = comp;
  baton_error_t *err = NULL;
  if (config && config->store) {
    r->store = config->store;
    atomic_fetch_add(&r->store->refs, 1);
  } else {
    err = bt_cstore_new(&r->store);
  }
  if (config) {
    r->timeout_ms = config->timeout_ms;
    r->max_memory = config->max_memory;
  }
  if (!err) {
    r->name = cr_strdup(&r->arena, config && config->name ? config->name : comp->name);
    r->top = r->name ? new_cinst(r, comp->comp, NULL, r->name) : NULL;
    if (!r->top) err = OOM();
  }
  if (!err) {
    imports im = {resolver, NULL, 0, NULL};
    err = run_component(r->top, &im, trap);
  }
  if (err || *trap) {
    bt_cinstance_free(r);
    return err;
  }
  *out = r;
  return NULL;
}

const char *bt_cinstance_name(const bt_cinstance_t *r) { return r->name; }
bt_ccomp_t *bt_cinstance_comp(const bt_cinstance_t *r) { return r->comp; }
bt_cstore_t *bt_cinstance_store(const bt_cinstance_t *r) { return r->store; }
bool bt_cinstance_poisoned(const bt_cinstance_t *r) { return r->top->poisoned; }

baton_error_t *bt_cinstance_world(bt_cinstance_t *r, const bt_wit_world_t **world) {
  return bt_ccomp_world(r->comp, world);
}

bool bt_cinstance_export(bt_cinstance_t *r, const char *name, bt_citem_t *out) {
  return bt_cvinst_get(&r->top->exports, name, out);
}

bt_cvinst_t *bt_cinstance_new_bag(bt_cinstance_t *r, uint32_t n) {
  bt_cvinst_t *v = cr_alloc(&r->arena, sizeof *v);
  if (!v) return NULL;
  v->items = cr_alloc(&r->arena, sizeof *v->items * (n + 1));
  if (!v->items) return NULL;
  v->n = n;
  return v;
}

bool bt_cvinst_set(bt_cinstance_t *r, bt_cvinst_t *v, uint32_t i, const char *name, bt_citem_t it) {
  if (i >= v->n) return false;
  v->items[i].name = cr_strdup(&r->arena, name);
  v->items[i].item = it;
  return v->items[i].name != NULL;
}

bt_crtype_t *bt_cstore_host_resource(bt_cstore_t *s, const char *name) {
  bt_crtype_t *rt = cr_alloc(&s->arena, sizeof *rt);
  if (!rt) return NULL;
  rt->name = cr_strdup(&s->arena, name ? name : "resource");
  return rt->name ? rt : NULL;
}

void bt_crtype_set_host_dtor(bt_crtype_t *rt, void (*dtor)(void *env, uint32_t rep), void *env) {
  rt->host_dtor = dtor;
  rt->host_env = env;
}

bt_cfunc_t *bt_cinstance_host_func(bt_cinstance_t *r, const bt_ctype_t *type, const char *name,
                                   bt_chost_fn fn, void *env, void (*finalizer)(void *),
                                   baton_error_t **err) {
  *err = NULL;
  bt_ccomp_t *c = r->comp;
  bt_cfunc_t *f = cr_alloc(&r->arena, sizeof *f);
  if (!f || (finalizer && !push_fin(r, finalizer, env))) {
    *err = OOM();
    return NULL;
  }
  pthread_mutex_lock(&c->lock);
  f->wit = cr_conv_func(c->conv, type, name, true, err);
  pthread_mutex_unlock(&c->lock);
  if (!f->wit) {
    if (finalizer) r->nfins--; /* the caller keeps env */
    return NULL;
  }
  f->kind = CR_FN_HOST;
  f->type = type;
  f->handles = cr_func_has_handles(type);
  f->name = f->wit->name;
  f->host = fn;
  f->env = env;
  return f;
}

const bt_wit_function_t *bt_cfunc_wit(const bt_cfunc_t *fn) { return fn->wit; }

/* Splits "iface#f" at the last '#'. */
baton_error_t *bt_cinstance_find_func(bt_cinstance_t *r, const char *name, bt_cfunc_t **out) {
  *out = NULL;
  bt_citem_t it;
  if (bt_cinstance_export(r, name, &it) && it.sort == BT_CSORT_FUNC) {
    *out = it.p;
    return NULL;
  }
  const char *hash = strrchr(name, '#');
  const bt_cvinst_t *top = &r->top->exports;
  if (hash) {
    size_t n = (size_t)(hash - name);
    for (uint32_t i = 0; i < top->n; i++) {
      const cr_vexport *x = &top->items[i];
      if (x->item.sort != BT_CSORT_INSTANCE) continue;
      /* Full name, the name without @version, or the last path segment. */
      const char *nm = x->name, *at = strchr(nm, '@'), *slash = strrchr(nm, '/');
      size_t full = strlen(nm), nover = at ? (size_t)(at - nm) : full;
      const char *last = slash ? slash + 1 : nm;
      size_t nlast = (size_t)((at ? at : nm + full) - last);
      bool match = (n == full && !strncmp(nm, name, n)) || (n == nover && !strncmp(nm, name, n)) ||
                   (n == nlast && !strncmp(last, name, n));
      if (match && bt_cvinst_get(x->item.p, hash + 1, &it) && it.sort == BT_CSORT_FUNC) {
        *out = it.p;
        return NULL;
      }
    }
    return baton_error_new(BATON_ENOT_FOUND, "%s has no exported function `%s`", r->name, name);
  }
  int matches = 0;
  for (uint32_t i = 0; i < top->n; i++) {
    const cr_vexport *x = &top->items[i];
    if (x->item.sort == BT_CSORT_INSTANCE && bt_cvinst_get(x->item.p, name, &it) && it.sort == BT_CSORT_FUNC) {
      *out = it.p;
      matches++;
    }
  }
  if (matches == 1) return NULL;
  *out = NULL;
  if (matches > 1)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "%s: export `%s` is ambiguous; write it as `interface#%s`",
                           r->name, name, name);
  return baton_error_new(BATON_ENOT_FOUND, "%s has no exported function `%s`", r->name, name);
}

baton_error_t *bt_cinstance_call(bt_cinstance_t *r, const char *export_name, const baton_value_t *args,
                                 size_t nargs, baton_value_t *result, baton_trap_t **trap) {
  *trap = NULL;
  bt_cfunc_t *fn;
  baton_error_t *err = bt_cinstance_find_func(r, export_name, &fn);
  if (err) return err;
  return bt_cfunc_call(fn, r->store, args, nargs, result, trap);
}
