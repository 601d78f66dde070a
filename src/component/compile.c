/*
 * src/component/compile.c: compiling a component (bt_ccomp_t) before it is
 * instantiated, and the arena every runtime object lives in.
 *
 * bt_ccomp_new parses the component, then walks its definitions (nested
 * components included) once:
 *
 *   - every embedded core module is compiled by the engine
 *     (baton_module_new on its byte range: the engine caches the compiled
 *     object by content hash, and identical modules inside one component
 *     share one baton_module_t) unless it is one of the adapter modules
 *     wit-component emits, which are recognised here and run by
 *     instantiate.c without compiling them:
 *       * a shim: no imports, one exported funcref table, and functions
 *         whose bodies are exactly `local.get 0..n-1; i32.const K;
 *         call_indirect (type of the function itself) 0` — calling slot K;
 *       * a fixup: only function and table imports, no definitions, active
 *         element segments with constant offsets listing imported
 *         functions, and optionally a start function that is an import
 *         (wit-component's way of calling `_initialize`, after the shim's
 *         table is filled). The engine runs a module's `_initialize` when
 *         it instantiates it — before the fixup, too early when
 *         constructors call imports through the shim — so a module whose
 *         `_initialize` a fixup calls is compiled with that export renamed
 *         CR_INIT_NAME (same length, patched in a copy of the bytes), which
 *         the engine does not run, and the fixup's start calls it;
 *   - the function type of every `canon lift` and `canon lower` is converted
 *     into a WIT function with its flat signature, checked against the core
 *     type the reader computed.
 *
 * The WIT world is decoded on first request (bt_ccomp_world).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/rt.h"
#include "util/fileio.h"

/* ---- arena ---- */

struct cr_chunk {
  cr_chunk *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

void *cr_alloc(cr_arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!n) n = 16;
  cr_chunk *c = a->head;
  if (!c || c->cap - c->used < n) {
    size_t cap = n > 8192 ? n : 8192;
    c = bt_malloc(sizeof *c + cap);
    if (!c) return NULL;
    c->cap = cap;
    c->used = 0;
    c->next = a->head;
    a->head = c;
  }
  void *p = c->data + c->used;
  c->used += n;
  memset(p, 0, n);
  return p;
}

char *cr_strdup(cr_arena *a, const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *p = cr_alloc(a, n + 1);
  if (p) memcpy(p, s, n + 1);
  return p;
}

void cr_arena_free(cr_arena *a) {
  for (cr_chunk *c = a->head, *next; c; c = next) {
    next = c->next;
    bt_free(c);
  }
  a->head = NULL;
}

/* ---- reading core module bytes ---- */

typedef struct rd {
  const uint8_t *p, *end;
} rd;

static bool rd_u32(rd *r, uint32_t *out) {
  uint64_t v;
  if (!bt_wasm_read_uleb(&r->p, r->end, 32, &v)) return false;
  *out = (uint32_t)v;
  return true;
}

static bool rd_byte(rd *r, uint8_t *out) {
  if (r->p >= r->end) return false;
  *out = *r->p++;
  return true;
}

static bool rd_expect(rd *r, uint8_t b) {
  uint8_t x;
  return rd_byte(r, &x) && x == b;
}

/* Finds the body of section `id` in a module. */
static bool find_section(const uint8_t *bytes, size_t len, uint8_t id, rd *out) {
  rd r = {bytes + 8, bytes + len};
  while (r.p < r.end) {
    uint8_t sid;
    uint32_t size;
    if (!rd_byte(&r, &sid) || !rd_u32(&r, &size) || size > (size_t)(r.end - r.p)) return false;
    if (sid == id) {
      out->p = r.p;
      out->end = r.p + size;
      return true;
    }
    r.p += size;
  }
  return false;
}

static bool functype_eq(const bt_wasm_functype_t *a, const bt_wasm_functype_t *b) {
  return a->nparams == b->nparams && a->nresults == b->nresults &&
         (!a->nparams || memcmp(a->params, b->params, a->nparams) == 0) &&
         (!a->nresults || memcmp(a->results, b->results, a->nresults) == 0);
}

/* Recognises a shim module (see the file comment) and fills m. */
static bool detect_shim(const bt_cdef_t *d, cr_arena *a, cr_module *m) {
  const bt_wasm_module_t *w = d->u.core_module.module;
  if (w->nimports || w->ntables != 1 || w->tables[0].elemtype != BT_WASM_FUNCREF || w->nmemories ||
      w->nglobals || w->ndatas || w->nelems || w->has_start || !w->nfuncs)
    return false;
  for (uint32_t i = 0; i < w->nexports; i++)
    if (w->exports[i].kind != BT_WASM_EXTERN_FUNC && w->exports[i].kind != BT_WASM_EXTERN_TABLE)
      return false;
  rd code;
  uint32_t n;
  if (!find_section(d->u.core_module.bytes, d->u.core_module.size, 10, &code) || !rd_u32(&code, &n) ||
      n != w->nfuncs)
    return false;
  uint32_t *slots = cr_alloc(a, sizeof *slots * n);
  if (!slots) return false;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t size, groups, typeidx, table;
    if (!rd_u32(&code, &size) || size > (size_t)(code.end - code.p)) return false;
    rd b = {code.p, code.p + size};
    code.p += size;
    const bt_wasm_functype_t *ft = &w->types[w->func_types[i]];
    if (!rd_u32(&b, &groups) || groups) return false;
    for (uint32_t k = 0; k < ft->nparams; k++) {
      uint32_t idx;
      if (!rd_expect(&b, 0x20) || !rd_u32(&b, &idx) || idx != k) return false;
    }
    int64_t slot;
    if (!rd_expect(&b, 0x41) || !bt_wasm_read_sleb(&b.p, b.end, 32, &slot) || slot < 0) return false;
    if (!rd_expect(&b, 0x11) || !rd_u32(&b, &typeidx) || !rd_u32(&b, &table) || table != 0 ||
        typeidx >= w->ntypes || !functype_eq(&w->types[typeidx], ft))
      return false;
    if (!rd_expect(&b, 0x0b) || b.p != b.end) return false;
    if ((uint64_t)slot >= w->tables[0].limits.min) return false;
    slots[i] = (uint32_t)slot;
  }
  m->emul = CR_EMUL_SHIM;
  m->table_size = (uint32_t)w->tables[0].limits.min;
  m->nfns = n;
  m->fn_slot = slots;
  return true;
}

/* Reads a constant i32 offset expression. */
static bool rd_offset(rd *r, uint32_t *out) {
  int64_t v;
  if (!rd_expect(r, 0x41) || !bt_wasm_read_sleb(&r->p, r->end, 32, &v) || !rd_expect(r, 0x0b)) return false;
  *out = (uint32_t)v;
  return true;
}

/* Recognises a fixup module (see the file comment) and fills m. */
static bool detect_fixup(const bt_cdef_t *d, cr_arena *a, cr_module *m) {
  const bt_wasm_module_t *w = d->u.core_module.module;
  if (w->nfuncs || w->ntables || w->nmemories || w->nglobals || w->ndatas || w->nexports) return false;
  if (w->nimported_memories || w->nimported_globals) return false;
  if (!w->nelems && !w->has_start) return false;
  cr_elem *elems = cr_alloc(a, sizeof *elems * (w->nelems + 1));
  if (!elems) return false;
  uint32_t ne = 0;
  for (uint32_t i = 0; i < w->nelems; i++) {
    if (w->elems[i].passive_or_active != 0) continue; /* passive/declarative: no effect */
    rd r = {d->u.core_module.bytes + w->elems[i].offset, d->u.core_module.bytes + d->u.core_module.size};
    uint32_t flags, table = 0, off, n;
    if (!rd_u32(&r, &flags)) return false;
    if (flags & 2 && !rd_u32(&r, &table)) return false;
    if (!rd_offset(&r, &off)) return false;
    if (flags & 2) {
      uint8_t kind;
      if (!rd_byte(&r, &kind)) return false;
    }
    if (!rd_u32(&r, &n)) return false;
    cr_elem *e = &elems[ne++];
    e->table = table;
    e->offset = off;
    e->n = n;
    e->funcs = cr_alloc(a, sizeof *e->funcs * (n + 1));
    if (!e->funcs) return false;
    for (uint32_t k = 0; k < n; k++) {
      uint32_t f;
      if (flags & 4) {
        uint8_t op;
        if (!rd_byte(&r, &op)) return false;
        if (op == 0xd0) { /* ref.null func */
          uint8_t t;
          if (!rd_byte(&r, &t) || !rd_expect(&r, 0x0b)) return false;
          f = UINT32_MAX;
        } else if (op == 0xd2) {
          if (!rd_u32(&r, &f) || !rd_expect(&r, 0x0b)) return false;
        } else {
          return false;
        }
      } else if (!rd_u32(&r, &f)) {
        return false;
      }
      if (f != UINT32_MAX && f >= w->nimported_funcs) return false;
      e->funcs[k] = f;
    }
  }
  if (w->has_start && w->start >= w->nimported_funcs) return false;
  m->emul = CR_EMUL_FIXUP;
  m->elems = elems;
  m->nelems = ne;
  m->has_start = w->has_start;
  m->start = w->start;
  return true;
}

/* ---- compiling ---- */

static bool index_defs(bt_ccomp_t *c);

typedef struct build {
  bt_ccomp_t *c;
  cr_arena *arena;
  uint32_t capmods, capcanons;
} build;

static baton_valkind_t valkind(uint8_t t) {
  switch (t) {
    case BT_WASM_I64: return BATON_I64;
    case BT_WASM_F32: return BATON_F32;
    case BT_WASM_F64: return BATON_F64;
    default: return BATON_I32;
  }
}

/* The name a canon definition's function goes by in messages: the core
 * export a lift calls, or the import/alias a lower calls. */
static const char *canon_name(const bt_component_t *comp, const bt_cdef_t *d, char *buf, size_t n) {
  bt_csort_t sort = d->u.canon.kind == BT_CCANON_LIFT ? BT_CSORT_CORE_FUNC : BT_CSORT_FUNC;
  snprintf(buf, n, "%s %u", d->u.canon.kind == BT_CCANON_LIFT ? "lifted function" : "lowered function",
           d->index);
  if (d->u.canon.func >= comp->spaces[sort].count) return buf;
  uint32_t di = comp->spaces[sort].items[d->u.canon.func].def;
  if (di >= comp->ndefs) return buf;
  const bt_cdef_t *src = &comp->defs[di];
  if (src->kind == BT_CDEF_ALIAS && src->u.alias.kind != BT_CALIAS_OUTER) {
    const char *iname = NULL;
    if (src->u.alias.kind == BT_CALIAS_EXPORT &&
        src->u.alias.instance < comp->spaces[BT_CSORT_INSTANCE].count) {
      uint32_t ii = comp->spaces[BT_CSORT_INSTANCE].items[src->u.alias.instance].def;
      if (ii < comp->ndefs && comp->defs[ii].kind == BT_CDEF_IMPORT) iname = comp->defs[ii].u.ext.ext->name;
    }
    if (iname) snprintf(buf, n, "%s#%s", iname, src->u.alias.name);
    else snprintf(buf, n, "%s", src->u.alias.name);
  } else if (src->kind == BT_CDEF_IMPORT && src->u.ext.ext) {
    snprintf(buf, n, "%s", src->u.ext.ext->name);
  }
  /* A lifted function is better known by the name it is exported under. */
  for (uint32_t i = 0; d->u.canon.kind == BT_CCANON_LIFT && i < comp->ndefs; i++) {
    const bt_cdef_t *e = &comp->defs[i];
    if (e->kind == BT_CDEF_EXPORT && e->u.ext.ext && e->u.ext.item.sort == BT_CSORT_FUNC &&
        e->u.ext.item.index == d->index) {
      snprintf(buf, n, "%s", e->u.ext.ext->name);
      break;
    }
  }
  return buf;
}

static baton_error_t *add_canon(build *b, const bt_component_t *comp, const bt_cdef_t *d) {
  bt_ccomp_t *c = b->c;
  if (c->ncanons == b->capcanons) {
    uint32_t cap = b->capcanons ? b->capcanons * 2 : 16;
    cr_canon *n = bt_realloc(c->canons, sizeof *n * cap);
    if (!n) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
    c->canons = n;
    b->capcanons = cap;
  }
  char name[300];
  canon_name(comp, d, name, sizeof name);
  cr_canon *k = &c->canons[c->ncanons];
  memset(k, 0, sizeof *k);
  k->def = d;
  baton_error_t *err = NULL;
  k->wit = cr_conv_func(c->conv, d->u.canon.functype, name, false, &err);
  if (!k->wit) return baton_error_wrap(err, "offset 0x%zx: canon %s", d->offset,
                                       d->u.canon.kind == BT_CCANON_LIFT ? "lift" : "lower");
  bool lift = d->u.canon.kind == BT_CCANON_LIFT;
  bt_abi_signature(k->wit, lift ? BT_ABI_LIFT : BT_ABI_LOWER, &k->sig);
  const bt_wasm_functype_t *ct = d->u.canon.core_type;
  bool same = ct && ct->nparams == k->sig.nparams && ct->nresults == k->sig.nresults;
  for (uint32_t i = 0; same && i < ct->nparams; i++)
    same = valkind(ct->params[i]) == k->sig.params[i];
  for (uint32_t i = 0; same && i < ct->nresults; i++)
    same = valkind(ct->results[i]) == k->sig.results[i];
  if (!same) {
    char want[128] = "?", have[200];
    if (ct) bt_wasm_functype_str(ct, want, sizeof want);
    bt_abi_core_type_str(k->sig.params, k->sig.nparams, k->sig.results, k->sig.nresults, have, sizeof have);
    return baton_error_new(BATON_EINVALID, "offset 0x%zx: canon %s of `%s`: core type %s differs from the "
                           "canonical ABI's %s", d->offset, lift ? "lift" : "lower", name, want, have);
  }
  k->handles = cr_func_has_handles(d->u.canon.functype);
  c->ncanons++;
  return NULL;
}

static baton_error_t *add_module(build *b, const bt_component_t *comp, const bt_cdef_t *d) {
  bt_ccomp_t *c = b->c;
  if (c->nmods == b->capmods) {
    uint32_t cap = b->capmods ? b->capmods * 2 : 8;
    cr_module *n = bt_realloc(c->mods, sizeof *n * cap);
    if (!n) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
    c->mods = n;
    b->capmods = cap;
  }
  cr_module *m = &c->mods[c->nmods];
  memset(m, 0, sizeof *m);
  m->def = d;
  m->index = d->index;
  c->nmods++;
  if (detect_shim(d, b->arena, m) || detect_fixup(d, b->arena, m)) {
    c->nemulated++;
    return NULL;
  }
  memset(m, 0, sizeof *m);
  m->def = d;
  m->index = d->index;
  return NULL;
}

/* Returns a copy of a module's bytes with its `_initialize` function export
 * renamed CR_INIT_NAME, or NULL when there is none (or the name is taken). */
static uint8_t *rename_init(const uint8_t *bytes, size_t len) {
  rd sec;
  uint32_t n;
  if (!find_section(bytes, len, 7, &sec) || !rd_u32(&sec, &n)) return NULL;
  const uint8_t *at = NULL;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t nl, idx;
    uint8_t kind;
    if (!rd_u32(&sec, &nl) || nl > (size_t)(sec.end - sec.p)) return NULL;
    const uint8_t *name = sec.p;
    sec.p += nl;
    if (!rd_byte(&sec, &kind) || !rd_u32(&sec, &idx)) return NULL;
    if (nl == 11 && !memcmp(name, CR_INIT_NAME, 11)) return NULL;
    if (nl == 11 && kind == 0 && !memcmp(name, "_initialize", 11)) at = name;
  }
  if (!at) return NULL;
  uint8_t *copy = bt_malloc(len);
  if (!copy) return NULL;
  memcpy(copy, bytes, len);
  memcpy(copy + (at - bytes), CR_INIT_NAME, 11);
  return copy;
}

/* Returns a copy of a module's bytes without its `name` custom sections
 * (*out_len: the new length), or NULL when it has none. wit-component's
 * trimmed preview1 adapters keep a name section that names more functions
 * than remain, which wasm2c rejects; the names are only for debugging. */
static uint8_t *strip_names(const uint8_t *bytes, size_t len, size_t *out_len) {
  if (len < 8) return NULL;
  uint8_t *copy = NULL;
  size_t n = 8;
  rd r = {bytes + 8, bytes + len};
  while (r.p < r.end) {
    const uint8_t *start = r.p;
    uint8_t sid;
    uint32_t size, nl;
    if (!rd_byte(&r, &sid) || !rd_u32(&r, &size) || size > (size_t)(r.end - r.p)) break;
    const uint8_t *body = r.p;
    r.p += size;
    rd b = {body, body + size};
    bool is_name = sid == 0 && rd_u32(&b, &nl) && nl == 4 && (size_t)(b.end - b.p) >= 4 && !memcmp(b.p, "name", 4);
    if (is_name && !copy) {
      copy = bt_malloc(len);
      if (!copy) return NULL;
      n = (size_t)(start - bytes);
      memcpy(copy, bytes, n);
    } else if (!is_name && copy) {
      memcpy(copy + n, start, (size_t)(r.p - start));
      n += (size_t)(r.p - start);
    }
  }
  if (copy && r.p != r.end) { /* malformed: let the engine report it */
    bt_free(copy);
    return NULL;
  }
  *out_len = n;
  return copy;
}

/* The module record a core module index of comp refers to, when it is a
 * module definition of comp itself. */
static cr_module *module_at(const bt_ccomp_t *c, const bt_component_t *comp, uint32_t idx) {
  if (idx >= comp->spaces[BT_CSORT_CORE_MODULE].count) return NULL;
  uint32_t di = comp->spaces[BT_CSORT_CORE_MODULE].items[idx].def;
  return di < comp->ndefs && comp->defs[di].kind == BT_CDEF_CORE_MODULE ? cr_find_module(c, &comp->defs[di]) : NULL;
}

/* Marks the modules whose `_initialize` a fixup's start function calls. */
static void mark_deferred(bt_ccomp_t *c, const bt_component_t *comp) {
  for (uint32_t i = 0; i < comp->ndefs; i++) {
    const bt_cdef_t *d = &comp->defs[i];
    if (d->kind == BT_CDEF_COMPONENT) mark_deferred(c, d->u.component.component);
    if (d->kind != BT_CDEF_CORE_INSTANCE || !d->u.instance.instantiate) continue;
    const cr_module *f = module_at(c, comp, d->u.instance.of);
    if (!f || f->emul != CR_EMUL_FIXUP || !f->has_start) continue;
    const bt_wasm_module_t *w = f->def->u.core_module.module;
    const bt_wasm_import_t *imp = NULL;
    for (uint32_t k = 0, fi = 0; k < w->nimports && !imp; k++)
      if (w->imports[k].kind == BT_WASM_EXTERN_FUNC && fi++ == f->start) imp = &w->imports[k];
    if (!imp || strcmp(imp->name, "_initialize") != 0) continue;
    for (uint32_t a = 0; a < d->u.instance.nargs; a++) {
      if (strcmp(d->u.instance.args[a].name, imp->module) != 0) continue;
      uint32_t ci = d->u.instance.args[a].item.index;
      uint32_t di = ci < comp->spaces[BT_CSORT_CORE_INSTANCE].count ? comp->spaces[BT_CSORT_CORE_INSTANCE].items[ci].def
                                                                    : UINT32_MAX;
      if (di >= comp->ndefs || comp->defs[di].kind != BT_CDEF_CORE_INSTANCE || !comp->defs[di].u.instance.instantiate)
        continue;
      cr_module *m = module_at(c, comp, comp->defs[di].u.instance.of);
      if (m && m->emul == CR_EMUL_NONE) m->defer_init = true;
    }
  }
}

/* Compiles the modules that are not emulated. */
static baton_error_t *compile_modules(bt_ccomp_t *c) {
  for (uint32_t k = 0; k < c->nmods; k++) {
    cr_module *m = &c->mods[k];
    const bt_cdef_t *d = m->def;
    if (m->emul != CR_EMUL_NONE) continue;
    /* Identical bytes: share the compiled module. */
    for (uint32_t i = 0; i < k && !m->module; i++) {
      const cr_module *o = &c->mods[i];
      if (o->module && o->defer_init == m->defer_init && o->def->u.core_module.size == d->u.core_module.size &&
          memcmp(o->def->u.core_module.bytes, d->u.core_module.bytes, d->u.core_module.size) == 0)
        m->module = o->module;
    }
    if (m->module) continue;
    uint8_t *renamed = m->defer_init ? rename_init(d->u.core_module.bytes, d->u.core_module.size) : NULL;
    if (!renamed) m->defer_init = false;
    char name[300];
    snprintf(name, sizeof name, "%s core module %u", c->name, d->index);
    const uint8_t *bytes = renamed ? renamed : d->u.core_module.bytes;
    baton_error_t *err = baton_module_new(c->engine, bytes, d->u.core_module.size, name, &m->module);
    if (err && baton_error_code(err) != BATON_ENO_MEMORY) {
      /* An inconsistent name section (preview1 adapters): retry without it. */
      size_t n2;
      uint8_t *stripped = strip_names(bytes, d->u.core_module.size, &n2);
      if (stripped) {
        baton_error_t *e2 = baton_module_new(c->engine, stripped, n2, name, &m->module);
        if (!e2) {
          baton_error_delete(err);
          err = NULL;
        } else {
          baton_error_delete(e2);
        }
        bt_free(stripped);
      }
    }
    bt_free(renamed);
    if (err) return baton_error_wrap(err, "core module %u at offset 0x%zx", d->index, d->offset);
    c->ncompiled++;
  }
  return NULL;
}

static baton_error_t *walk(build *b, const bt_component_t *comp) {
  for (uint32_t i = 0; i < comp->ndefs; i++) {
    const bt_cdef_t *d = &comp->defs[i];
    baton_error_t *err = NULL;
    if (d->kind == BT_CDEF_CORE_MODULE) err = add_module(b, comp, d);
    else if (d->kind == BT_CDEF_CANON &&
             (d->u.canon.kind == BT_CCANON_LIFT || d->u.canon.kind == BT_CCANON_LOWER))
      err = add_canon(b, comp, d);
    else if (d->kind == BT_CDEF_COMPONENT) err = walk(b, d->u.component.component);
    if (err) return err;
  }
  return NULL;
}

void bt_ccomp_free(bt_ccomp_t *c) {
  if (!c) return;
  for (uint32_t i = 0; i < c->nmods; i++) {
    bool first = true;
    for (uint32_t k = 0; k < i && first; k++)
      if (c->mods[k].module == c->mods[i].module) first = false;
    if (first && c->mods[i].module) baton_module_delete(c->mods[i].module);
  }
  bt_free(c->mods);
  bt_free(c->canons);
  bt_free(c->dkeys);
  bt_free(c->dvals);
  cr_conv_free(c->conv);
  bt_component_free(c->comp);
  bt_wit_free(c->wit);
  baton_error_delete(c->wit_err);
  pthread_mutex_destroy(&c->lock);
  cr_arena *a = (cr_arena *)(c + 1);
  cr_arena_free(a);
  bt_free(c->bytes);
  bt_free(c->name);
  bt_free(c);
}

baton_error_t *bt_ccomp_parse(baton_engine_t *engine, const uint8_t *bytes, size_t len, const char *name,
                              bt_ccomp_t **out) {
  *out = NULL;
  /* The ccomp is followed by the arena holding the adapter-module plans. */
  bt_ccomp_t *c = bt_calloc(1, sizeof *c + sizeof(cr_arena));
  if (!c) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  pthread_mutex_init(&c->lock, NULL);
  c->engine = engine;
  c->name = bt_strdup(name ? name : "component");
  c->bytes = bt_malloc(len ? len : 1);
  c->conv = cr_conv_new();
  if (!c->name || !c->bytes || !c->conv) {
    bt_ccomp_free(c);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  memcpy(c->bytes, bytes, len);
  c->len = len;
  baton_error_t *err = bt_component_parse(c->bytes, len, &c->comp);
  build b = {c, (cr_arena *)(c + 1), 0, 0};
  if (!err) err = walk(&b, c->comp);
  if (!err && !index_defs(c)) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  if (!err) mark_deferred(c, c->comp);
  if (err) {
    bt_ccomp_free(c);
    return err;
  }
  *out = c;
  return NULL;
}

baton_error_t *bt_ccomp_compile(bt_ccomp_t *c) {
  if (c->compiled) return NULL;
  baton_error_t *err = compile_modules(c);
  if (!err) c->compiled = true;
  return err;
}

bool bt_ccomp_is_compiled(const bt_ccomp_t *c) { return c->compiled; }

baton_error_t *bt_ccomp_new(baton_engine_t *engine, const uint8_t *bytes, size_t len, const char *name,
                            bt_ccomp_t **out) {
  baton_error_t *err = bt_ccomp_parse(engine, bytes, len, name, out);
  if (!err) err = bt_ccomp_compile(*out);
  if (err && *out) {
    bt_ccomp_free(*out);
    *out = NULL;
  }
  return err;
}

/* Reads the file and parses (compile: and compiles) it. */
static baton_error_t *ccomp_from_file(baton_engine_t *engine, const char *path, bool compile, bt_ccomp_t **out) {
  *out = NULL;
  uint8_t *buf = NULL;
  size_t n = 0;
  baton_error_t *err = bt_read_input(path, true, &buf, &n);
  if (err) return err;
  err = compile ? bt_ccomp_new(engine, buf, n, path, out) : bt_ccomp_parse(engine, buf, n, path, out);
  bt_free(buf);
  return err;
}

baton_error_t *bt_ccomp_new_file(baton_engine_t *engine, const char *path, bt_ccomp_t **out) {
  return ccomp_from_file(engine, path, true, out);
}

baton_error_t *bt_ccomp_parse_file(baton_engine_t *engine, const char *path, bt_ccomp_t **out) {
  return ccomp_from_file(engine, path, false, out);
}

static size_t def_slot(const bt_cdef_t *d, size_t cap) {
  return (size_t)(((uintptr_t)d * 0x9E3779B97F4A7C15ull) >> 24) & (cap - 1);
}

/* Indexes every module and canon record by its definition. */
static bool index_defs(bt_ccomp_t *c) {
  size_t n = (size_t)c->nmods + c->ncanons, cap = 16;
  while (cap < 2 * n) cap *= 2;
  c->dkeys = bt_calloc(cap, sizeof *c->dkeys);
  c->dvals = bt_calloc(cap, sizeof *c->dvals);
  if (!c->dkeys || !c->dvals) return false;
  c->dcap = cap;
  for (size_t i = 0; i < n; i++) {
    const bt_cdef_t *d = i < c->nmods ? c->mods[i].def : c->canons[i - c->nmods].def;
    void *v = i < c->nmods ? (void *)&c->mods[i] : (void *)&c->canons[i - c->nmods];
    size_t j = def_slot(d, cap);
    while (c->dkeys[j]) j = (j + 1) & (cap - 1);
    c->dkeys[j] = d;
    c->dvals[j] = v;
  }
  return true;
}

static void *find_def(const bt_ccomp_t *c, const bt_cdef_t *d) {
  if (!c->dcap) return NULL;
  for (size_t j = def_slot(d, c->dcap);; j = (j + 1) & (c->dcap - 1)) {
    if (!c->dkeys[j]) return NULL;
    if (c->dkeys[j] == d) return c->dvals[j];
  }
}

cr_module *cr_find_module(const bt_ccomp_t *c, const bt_cdef_t *def) {
  return def->kind == BT_CDEF_CORE_MODULE ? find_def(c, def) : NULL;
}

const cr_canon *cr_find_canon(const bt_ccomp_t *c, const bt_cdef_t *def) {
  return def->kind == BT_CDEF_CANON ? find_def(c, def) : NULL;
}

const bt_component_t *bt_ccomp_component(const bt_ccomp_t *c) { return c->comp; }
const char *bt_ccomp_name(const bt_ccomp_t *c) { return c->name; }

void bt_ccomp_stats(const bt_ccomp_t *c, uint32_t *compiled, uint32_t *emulated) {
  if (compiled) *compiled = c->ncompiled;
  if (emulated) *emulated = c->nemulated;
}

baton_error_t *bt_ccomp_world(bt_ccomp_t *c, const bt_wit_world_t **world) {
  *world = NULL;
  pthread_mutex_lock(&c->lock);
  if (!c->wit_tried) {
    c->wit_tried = true;
    baton_error_t *err = bt_component_decode_wit(c->bytes, c->len, &c->wit);
    if (!err) err = bt_wit_find_world(c->wit, NULL, &c->world);
    c->wit_err = err;
  }
  baton_error_t *err = c->wit_err ? baton_error_new(baton_error_code(c->wit_err), "%s: %s", c->name,
                                                    baton_error_message(c->wit_err))
                                  : NULL;
  *world = c->world;
  pthread_mutex_unlock(&c->lock);
  return err;
}
