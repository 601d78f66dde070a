/*
 * src/component/sections.c: the component reader's entry point and its
 * section-by-section walk.
 *
 * bt_component_parse() checks the preamble (magic, version 0x0d, layer 1)
 * and reads sections in order; component sections may appear in any order
 * and repeat, but every definition may only refer to what precedes it, so
 * each definition is validated as it is read and appended to its index
 * space. Nested components are read recursively (with a depth limit) in a
 * scope whose parent is the enclosing component, which outer aliases use.
 * Embedded core modules are parsed by bt_wasm_parse(); their messages are
 * wrapped with the module's offset. Core instantiation checks that every
 * import of the module is supplied with the right kind and type; component
 * instantiation matches every import of the component type against the
 * named argument and gives the new instance the component's exports with
 * the supplied types substituted.
 */
#include <stdio.h>
#include <string.h>

#include "component/internal.h"

/* Type-checking budget for one parse (steps of cm_burn). */
#define CM_FUEL 50000000ull

/* Contract in internal.h. */
const char *cm_core_kind_name(bt_wasm_externkind_t k) {
  switch (k) {
    case BT_WASM_EXTERN_FUNC: return "func";
    case BT_WASM_EXTERN_TABLE: return "table";
    case BT_WASM_EXTERN_MEMORY: return "memory";
    case BT_WASM_EXTERN_GLOBAL: return "global";
    case BT_WASM_EXTERN_TAG: return "tag";
  }
  return "?";
}

/* Contract in component.h. */
bool bt_component_is_component(const uint8_t *b, size_t len) {
  return b && len >= 8 && memcmp(b, "\0asm", 4) == 0 && b[6] == 0x01 && b[7] == 0x00;
}

/* A parse in progress for one component: its scope plus array capacities. */
typedef struct comp_state {
  cm_scope scope;
  bt_component_t *comp;
  uint32_t capdefs, capcustoms;
} comp_state;

/* Appends a definition and returns it; the scope records its index so that
 * index-space entries point back at it. */
static bt_cdef_t *new_def(cm_ctx *c, comp_state *st, bt_cdef_kind_t kind, const uint8_t *at) {
  bt_component_t *comp = st->comp;
  bt_cdef_t d;
  memset(&d, 0, sizeof d);
  d.kind = kind;
  d.offset = (size_t)(at - c->base);
  d.index = UINT32_MAX;
  CM_PUSH(c, comp->defs, comp->ndefs, st->capdefs, d);
  st->scope.cur_def = comp->ndefs - 1;
  return &comp->defs[comp->ndefs - 1];
}

/* ---- core modules ---- */

/* The imports of a core module, grouped by kind, so that the type of an
 * index (imports first, then definitions) is found in constant time. */
typedef struct imports_by_kind {
  const bt_wasm_import_t **items[4];
  uint32_t count[4];
} imports_by_kind;

/* Stores the type of entry `idx` of a core module's index space of `kind`
 * into `e` (left zeroed for an index bt_wasm_parse would not accept). */
static void module_item(const bt_wasm_module_t *m, const imports_by_kind *ik,
                        bt_wasm_externkind_t kind, uint32_t idx, bt_ccore_extern_t *e) {
  e->kind = kind;
  if (kind > BT_WASM_EXTERN_GLOBAL) return;
  if (idx < ik->count[kind]) {
    const bt_wasm_import_t *imp = ik->items[kind][idx];
    switch (kind) {
      case BT_WASM_EXTERN_TABLE: e->table = imp->u.table; return;
      case BT_WASM_EXTERN_MEMORY: e->memory = imp->u.memory; return;
      case BT_WASM_EXTERN_GLOBAL: e->global = imp->u.global; return;
      default: e->func = &m->types[imp->u.func_type]; return;
    }
  }
  uint32_t d = idx - ik->count[kind];
  switch (kind) {
    case BT_WASM_EXTERN_TABLE: if (d < m->ntables) e->table = m->tables[d]; return;
    case BT_WASM_EXTERN_MEMORY: if (d < m->nmemories) e->memory = m->memories[d]; return;
    case BT_WASM_EXTERN_GLOBAL: if (d < m->nglobals) e->global = m->globals[d]; return;
    default: e->func = bt_wasm_func_type(m, idx); return;
  }
}

/* Builds the module type (imports and exports) of a parsed core module.
 * Raises. */
static const bt_cmodtype_t *module_type(cm_ctx *c, const bt_wasm_module_t *m) {
  imports_by_kind ik;
  memset(&ik, 0, sizeof ik);
  for (int k = 0; k < 4; k++) ik.items[k] = cm_alloc_array(c, m->nimports + 1, sizeof *ik.items[k]);
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind <= BT_WASM_EXTERN_GLOBAL)
      ik.items[m->imports[i].kind][ik.count[m->imports[i].kind]++] = &m->imports[i];
  bt_cmodtype_t *t = cm_alloc(c, sizeof *t);
  t->nimports = m->nimports;
  t->imports = cm_alloc_array(c, m->nimports, sizeof *t->imports);
  uint32_t seen[4] = {0};
  for (uint32_t i = 0; i < m->nimports; i++) {
    bt_ccore_extern_t *e = &t->imports[i];
    const bt_wasm_import_t *imp = &m->imports[i];
    e->module = imp->module;
    e->name = imp->name;
    if (imp->kind <= BT_WASM_EXTERN_GLOBAL) module_item(m, &ik, imp->kind, seen[imp->kind]++, e);
    else e->kind = imp->kind;
  }
  t->nexports = m->nexports;
  t->exports = cm_alloc_array(c, m->nexports, sizeof *t->exports);
  for (uint32_t i = 0; i < m->nexports; i++) {
    t->exports[i].name = m->exports[i].name;
    module_item(m, &ik, m->exports[i].kind, m->exports[i].index, &t->exports[i]);
  }
  return t;
}

/* Reads a core module section: parses the module with bt_wasm_parse (its
 * error is wrapped with the section's offset), keeps the module for
 * freeing, records its byte range and pushes its module type. Raises. */
static void read_core_module(cm_ctx *c, comp_state *st, cm_rd *r, const uint8_t *sec_at) {
  bt_cdef_t *d = new_def(c, st, BT_CDEF_CORE_MODULE, r->pos);
  bt_wasm_module_t *m = NULL;
  size_t size = (size_t)(r->end - r->pos);
  baton_error_t *err = bt_wasm_parse(r->pos, size, &m);
  if (err) {
    char msg[512];
    baton_errno_t code = baton_error_code(err);
    snprintf(msg, sizeof msg, "%s", baton_error_message(err));
    baton_error_delete(err);
    cm_fail(c, sec_at, code, "embedded core module %u (offsets relative to 0x%zx): %s",
            st->scope.spaces[BT_CSORT_CORE_MODULE].count, (size_t)(r->pos - c->base), msg);
  }
  cm_modnode *node = cm_arena_alloc(&c->root->arena, sizeof *node);
  if (!node) {
    bt_wasm_module_free(m);
    cm_oom(c);
  }
  node->module = m;
  node->next = c->root->modules;
  c->root->modules = node;
  d->u.core_module.module = m;
  d->u.core_module.bytes = r->pos;
  d->u.core_module.size = size;
  d->sort = BT_CSORT_CORE_MODULE;
  d->index = cm_space_push(c, &st->scope, BT_CSORT_CORE_MODULE, module_type(c, m), r->pos);
  r->pos = r->end;
}

/* ---- core instances ---- */

static const bt_ccore_extern_t *find_core_export(const bt_cmodtype_t *t, const char *name) {
  for (uint32_t i = 0; i < t->nexports; i++)
    if (strcmp(t->exports[i].name, name) == 0) return &t->exports[i];
  return NULL;
}

/* Reads one core instance: an instantiation, whose every module import must
 * be supplied with the right kind and type, or a bundle of inline exports.
 * Pushes its instance type (exports). Raises. */
static void read_core_instance(cm_ctx *c, comp_state *st, cm_rd *r) {
  cm_scope *s = &st->scope;
  const uint8_t *at = r->pos;
  bt_cdef_t *d = new_def(c, st, BT_CDEF_CORE_INSTANCE, at);
  uint8_t b = cm_byte(c, r, "core instance");
  cm_nameset names = {0};
  const bt_cmodtype_t *result;
  if (b == 0x00) {
    const uint8_t *mat = r->pos;
    uint32_t midx = cm_u32(c, r, "module index");
    const bt_cmodtype_t *mod = cm_space_get(c, s, BT_CSORT_CORE_MODULE, midx, mat, "instantiate");
    uint32_t n = cm_count(c, r, 3, "instantiation arguments");
    bt_cnamed_t *args = cm_alloc_array(c, n, sizeof *args);
    const bt_cmodtype_t **insts = cm_alloc_array(c, n, sizeof *insts);
    for (uint32_t i = 0; i < n; i++) {
      const uint8_t *aat = r->pos;
      args[i].name = cm_string(c, r, "argument name");
      if (!cm_nameset_add(c, &names, args[i].name, CM_NAMES_EXACT))
        cm_fail(c, aat, BATON_EINVALID, "instantiate: argument `%s` is given more than once", args[i].name);
      const uint8_t *sat = r->pos;
      if (cm_byte(c, r, "argument sort") != 0x12)
        cm_fail(c, sat, BATON_EINVALID, "instantiate: argument `%s` must be a core instance", args[i].name);
      const uint8_t *iat = r->pos;
      args[i].item.sort = BT_CSORT_CORE_INSTANCE;
      args[i].item.index = cm_u32(c, r, "core instance index");
      insts[i] = cm_space_get(c, s, BT_CSORT_CORE_INSTANCE, args[i].item.index, iat, "instantiate");
    }
    for (uint32_t k = 0; k < mod->nimports; k++) {
      const bt_ccore_extern_t *imp = &mod->imports[k];
      uint32_t a = 0;
      cm_burn(c, at, (uint64_t)n + 1);
      while (a < n && strcmp(args[a].name, imp->module) != 0) a++;
      if (a == n)
        cm_fail(c, at, BATON_EINVALID,
                "instantiate: core module %u imports `%s`.`%s`, but no argument named `%s` is given",
                midx, imp->module, imp->name, imp->module);
      cm_burn(c, at, insts[a]->nexports);
      const bt_ccore_extern_t *ex = find_core_export(insts[a], imp->name);
      if (!ex)
        cm_fail(c, at, BATON_EINVALID,
                "instantiate: core module %u imports `%s`.`%s`, but core instance %u has no export `%s`",
                midx, imp->module, imp->name, args[a].item.index, imp->name);
      char why[256];
      if (!cm_core_extern_match(ex, imp, why, sizeof why))
        cm_fail(c, at, BATON_ETYPE, "instantiate: core module %u import `%s`.`%s`: %s", midx,
                imp->module, imp->name, why);
    }
    d->u.instance.instantiate = true;
    d->u.instance.of = midx;
    d->u.instance.args = args;
    d->u.instance.nargs = n;
    result = mod;
  } else if (b == 0x01) {
    uint32_t n = cm_count(c, r, 3, "inline exports");
    bt_cmodtype_t *t = cm_alloc(c, sizeof *t);
    t->exports = cm_alloc_array(c, n, sizeof *t->exports);
    t->nexports = n;
    bt_cnamed_t *args = cm_alloc_array(c, n, sizeof *args);
    for (uint32_t i = 0; i < n; i++) {
      const uint8_t *eat = r->pos;
      const char *name = cm_string(c, r, "export name");
      if (!cm_nameset_add(c, &names, name, CM_NAMES_EXACT))
        cm_fail(c, eat, BATON_EINVALID, "core instance: duplicate export `%s`", name);
      const uint8_t *sat = r->pos;
      bt_csort_t sort = cm_read_core_sort(c, r);
      if (sort > BT_CSORT_CORE_TAG)
        cm_fail(c, sat, BATON_EINVALID, "core instance: export `%s` cannot be a %s", name,
                bt_csort_name(sort));
      const uint8_t *iat = r->pos;
      uint32_t idx = cm_u32(c, r, "index");
      const void *item = cm_space_get(c, s, sort, idx, iat, "core instance export");
      bt_ccore_extern_t *e = &t->exports[i];
      e->name = name;
      e->kind = (bt_wasm_externkind_t)sort;
      switch (sort) {
        case BT_CSORT_CORE_TABLE: e->table = *(const bt_wasm_tabletype_t *)item; break;
        case BT_CSORT_CORE_MEMORY: e->memory = *(const bt_wasm_limits_t *)item; break;
        case BT_CSORT_CORE_GLOBAL: e->global = *(const bt_wasm_globaltype_t *)item; break;
        default: e->func = item; break;
      }
      args[i].name = name;
      args[i].item.sort = sort;
      args[i].item.index = idx;
    }
    d->u.instance.args = args;
    d->u.instance.nargs = n;
    result = t;
  } else {
    cm_fail(c, at, BATON_EMALFORMED, "invalid core instance kind 0x%02x", b);
  }
  d->sort = BT_CSORT_CORE_INSTANCE;
  d->index = cm_space_push(c, s, BT_CSORT_CORE_INSTANCE, result, at);
}

/* ---- component instances ---- */

/* Returns the space entry for a sortidx as an extern item. Raises. */
static const void *sort_item(cm_ctx *c, cm_scope *s, bt_csortidx_t si, const uint8_t *at,
                             const char *what) {
  if (si.sort == BT_CSORT_VALUE)
    cm_fail(c, at, BATON_EUNSUPPORTED, "%s: values are not supported", what);
  return cm_space_get(c, s, si.sort, si.index, at, what);
}

/* Reads a `sortidx` (sort and index, not yet checked). Raises. */
static bt_csortidx_t read_sortidx(cm_ctx *c, cm_rd *r) {
  bt_csortidx_t si;
  si.sort = cm_read_sort(c, r);
  si.index = cm_u32(c, r, "index");
  return si;
}

/* True for the sorts a component-level extern can have. */
static bool extern_sort(bt_csort_t s) {
  return s == BT_CSORT_CORE_MODULE || s >= BT_CSORT_FUNC;
}

/* Reads one component instance. An instantiation checks every import of
 * the component type against the argument of that name (binding type
 * imports in a substitution map) and gives the instance the component's
 * exports with the map applied; inline exports are checked for names and
 * sorts. Pushes the INSTANCE type. Raises. */
static void read_instance(cm_ctx *c, comp_state *st, cm_rd *r) {
  cm_scope *s = &st->scope;
  const uint8_t *at = r->pos;
  bt_cdef_t *d = new_def(c, st, BT_CDEF_INSTANCE, at);
  uint8_t b = cm_byte(c, r, "instance");
  bt_ctype_t *inst = cm_type_new(c, BT_CT_INSTANCE);
  if (b == 0x00) {
    const uint8_t *cat = r->pos;
    uint32_t cidx = cm_u32(c, r, "component index");
    const bt_ctype_t *ct = cm_space_get(c, s, BT_CSORT_COMPONENT, cidx, cat, "instantiate");
    uint32_t n = cm_count(c, r, 3, "instantiation arguments");
    bt_cnamed_t *args = cm_alloc_array(c, n, sizeof *args);
    const void **items = cm_alloc_array(c, n, sizeof *items);
    cm_nameset names = {0};
    for (uint32_t i = 0; i < n; i++) {
      const uint8_t *aat = r->pos;
      args[i].name = cm_string(c, r, "argument name");
      if (!cm_nameset_add(c, &names, args[i].name, CM_NAMES_EXTERN))
        cm_fail(c, aat, BATON_EINVALID, "instantiate: argument `%s` is given more than once", args[i].name);
      const uint8_t *sat = r->pos;
      args[i].item = read_sortidx(c, r);
      if (!extern_sort(args[i].item.sort))
        cm_fail(c, sat, BATON_EINVALID, "instantiate: argument `%s` cannot be a %s", args[i].name,
                bt_csort_name(args[i].item.sort));
      items[i] = sort_item(c, s, args[i].item, sat, "instantiate");
    }
    cm_map map = {0};
    for (uint32_t k = 0; k < ct->nimports; k++) {
      const bt_cextern_t *imp = &ct->imports[k];
      uint32_t a = 0;
      cm_burn(c, at, (uint64_t)n + 1);
      while (a < n && strcmp(args[a].name, imp->name) != 0) a++;
      if (a == n)
        cm_fail(c, at, BATON_EINVALID, "instantiate: component %u imports `%s`, but no argument of that name is given",
                cidx, imp->name);
      if (args[a].item.sort != imp->sort)
        cm_fail(c, at, BATON_ETYPE, "instantiate: argument `%s` is a %s, but component %u imports a %s",
                imp->name, bt_csort_name(args[a].item.sort), cidx, bt_csort_name(imp->sort));
      const void *want = imp->sort == BT_CSORT_CORE_MODULE ? (const void *)imp->module : imp->type;
      char why[384];
      if (!cm_match_extern(c, at, imp->sort, items[a], want, &map, why, sizeof why))
        cm_fail(c, at, BATON_ETYPE, "instantiate: argument `%s` does not match the import of component %u: %s",
                imp->name, cidx, why);
    }
    inst->nexports = ct->nexports;
    inst->exports = cm_alloc_array(c, ct->nexports, sizeof *inst->exports);
    cm_map memo = {0};
    for (uint32_t k = 0; k < ct->nexports; k++) {
      inst->exports[k] = ct->exports[k];
      inst->exports[k].type = cm_subst(c, at, ct->exports[k].type, &map, &memo);
    }
    d->u.instance.instantiate = true;
    d->u.instance.of = cidx;
    d->u.instance.args = args;
    d->u.instance.nargs = n;
  } else if (b == 0x01) {
    uint32_t n = cm_count(c, r, 4, "inline exports");
    bt_cnamed_t *args = cm_alloc_array(c, n, sizeof *args);
    inst->exports = cm_alloc_array(c, n, sizeof *inst->exports);
    inst->nexports = n;
    cm_nameset names = {0};
    for (uint32_t i = 0; i < n; i++) {
      const uint8_t *eat = r->pos;
      const char *impl;
      const char *name = cm_read_extern_name(c, r, &impl);
      cm_check_extern_name(c, eat, name, "instance export");
      if (!cm_nameset_add(c, &names, name, CM_NAMES_EXTERN))
        cm_fail(c, eat, BATON_EINVALID, "instance: export name `%s` conflicts with an earlier export", name);
      const uint8_t *sat = r->pos;
      bt_csortidx_t si = read_sortidx(c, r);
      if (!extern_sort(si.sort))
        cm_fail(c, sat, BATON_EINVALID, "instance: export `%s` cannot be a %s", name, bt_csort_name(si.sort));
      const void *item = sort_item(c, s, si, sat, "instance export");
      bt_cextern_t *e = &inst->exports[i];
      e->name = name;
      e->implements = impl;
      e->sort = si.sort;
      e->offset = (size_t)(eat - c->base);
      if (si.sort == BT_CSORT_CORE_MODULE) e->module = item;
      else e->type = (bt_ctype_t *)item;
      args[i].name = name;
      args[i].item = si;
    }
    d->u.instance.args = args;
    d->u.instance.nargs = n;
  } else {
    cm_fail(c, at, BATON_EMALFORMED, "invalid instance kind 0x%02x", b);
  }
  cm_type_finish(c, inst, at);
  d->sort = BT_CSORT_INSTANCE;
  d->index = cm_space_push(c, s, BT_CSORT_INSTANCE, inst, at);
}

/* ---- imports and exports ---- */

static void read_import(cm_ctx *c, comp_state *st, cm_rd *r) {
  const uint8_t *at = r->pos;
  bt_cdef_t *d = new_def(c, st, BT_CDEF_IMPORT, at);
  const char *impl;
  const char *name = cm_read_extern_name(c, r, &impl);
  bt_cextern_t e = cm_read_externtype(c, r, &st->scope);
  e.name = name;
  e.implements = impl;
  d->sort = e.sort;
  d->index = cm_declare_extern(c, &st->scope, e, true, at);
}

/* Reads one export: the item, an optional type ascription (which must
 * match and then gives the export its type), a new ALIAS naming exported
 * types, and the declaration (which pushes the new index). Raises. */
static void read_export(cm_ctx *c, comp_state *st, cm_rd *r) {
  cm_scope *s = &st->scope;
  const uint8_t *at = r->pos;
  bt_cdef_t *d = new_def(c, st, BT_CDEF_EXPORT, at);
  const char *impl;
  const char *name = cm_read_extern_name(c, r, &impl);
  const uint8_t *sat = r->pos;
  bt_csortidx_t si = read_sortidx(c, r);
  if (si.sort == BT_CSORT_VALUE) cm_fail(c, sat, BATON_EUNSUPPORTED, "exporting values is not supported");
  if (!extern_sort(si.sort))
    cm_fail(c, sat, BATON_EINVALID, "export `%s`: a %s cannot be exported", name, bt_csort_name(si.sort));
  const void *item = sort_item(c, s, si, sat, "export");
  const uint8_t *tat = r->pos;
  uint8_t has = cm_byte(c, r, "export type ascription");
  bt_cextern_t e = {0};
  e.sort = si.sort;
  e.offset = (size_t)(at - c->base);
  if (si.sort == BT_CSORT_CORE_MODULE) e.module = item;
  else e.type = (bt_ctype_t *)item;
  if (has == 0x01) {
    bt_cextern_t asc = cm_read_externtype(c, r, s);
    if (asc.sort != si.sort)
      cm_fail(c, tat, BATON_ETYPE, "export `%s`: ascribed type is for a %s, but a %s is exported", name,
              bt_csort_name(asc.sort), bt_csort_name(si.sort));
    cm_map map = {0};
    char why[384];
    const void *want = asc.sort == BT_CSORT_CORE_MODULE ? (const void *)asc.module : asc.type;
    if (!cm_match_extern(c, tat, si.sort, item, want, &map, why, sizeof why))
      cm_fail(c, tat, BATON_ETYPE, "export `%s`: the exported %s does not match the ascribed type: %s",
              name, bt_csort_name(si.sort), why);
    if (si.sort == BT_CSORT_CORE_MODULE) e.module = asc.module;
    else if (si.sort != BT_CSORT_TYPE) {
      cm_map memo = {0};
      e.type = cm_subst(c, tat, asc.type, &map, &memo);
    }
    d->u.ext.ascribed = true;
  } else if (has != 0x00) {
    cm_fail(c, tat, BATON_EMALFORMED, "invalid optional marker 0x%02x", has);
  }
  /* A type export creates a new type index that names the exported type. */
  if (si.sort == BT_CSORT_TYPE) {
    e.type = cm_alias_of(c, (bt_ctype_t *)item, at);
    e.type->flags |= BT_CT_NAMED;
  }
  e.name = name;
  e.implements = impl;
  d->sort = si.sort;
  d->u.ext.item = si;
  d->index = cm_declare_extern(c, s, e, false, at);
}

/* ---- components ---- */

/* The name of section `id` for messages ("canon section"). */
static const char *section_name(uint8_t id) {
  static const char *const names[] = {
      "custom section",  "core module section", "core instance section", "core type section",
      "component section", "instance section",  "alias section",         "type section",
      "canon section",   "start section",       "import section",        "export section",
      "value section",
  };
  return id < BT_ARRAY_LEN(names) ? names[id] : "section";
}

static void parse_component(cm_ctx *c, cm_scope *parent, bt_component_t *comp,
                            const uint8_t *start, const uint8_t *end);

/* Reads a vector section: a count, then `body` once per element. */
#define VEC_SECTION(c, r, what, body)                    \
  do {                                                   \
    uint32_t n_ = cm_count((c), (r), 1, (what));         \
    for (uint32_t i_ = 0; i_ < n_; i_++) { body; }       \
  } while (0)

/* Reads the contents of section `id` (bounded by `r`). Raises. */
static void read_section(cm_ctx *c, comp_state *st, uint8_t id, cm_rd *r, const uint8_t *sec_at) {
  cm_scope *s = &st->scope;
  bt_component_t *comp = st->comp;
  switch (id) {
    case 0: {
      bt_wasm_custom_t cs;
      memset(&cs, 0, sizeof cs);
      cs.name = (char *)cm_string(c, r, "custom section name");
      cs.data = r->pos;
      cs.size = (size_t)(r->end - r->pos);
      cs.offset = (size_t)(r->pos - c->base);
      CM_PUSH(c, comp->customs, comp->ncustoms, st->capcustoms, cs);
      r->pos = r->end;
      return;
    }
    case 1: read_core_module(c, st, r, sec_at); return;
    case 2: VEC_SECTION(c, r, "core instances", read_core_instance(c, st, r)); return;
    case 3:
      VEC_SECTION(c, r, "core types", {
        bt_cdef_t *d = new_def(c, st, BT_CDEF_CORE_TYPE, r->pos);
        const uint8_t *at = r->pos;
        const bt_ccoretype_t *t = cm_read_core_type(c, r, s);
        d->u.type.coretype = t;
        d->sort = BT_CSORT_CORE_TYPE;
        d->index = cm_space_push(c, s, BT_CSORT_CORE_TYPE, t, at);
      });
      return;
    case 4: {
      if (c->depth + 1 > BT_COMPONENT_MAX_DEPTH)
        cm_fail(c, sec_at, BATON_ELIMIT, "components are nested more than %d deep", BT_COMPONENT_MAX_DEPTH);
      bt_cdef_t *d = new_def(c, st, BT_CDEF_COMPONENT, r->pos);
      bt_component_t *child = cm_alloc(c, sizeof *child);
      child->parent = comp;
      child->depth = comp->depth + 1;
      c->depth++;
      parse_component(c, s, child, r->pos, r->end);
      c->depth--;
      c->section = section_name(id);
      d = &comp->defs[comp->ndefs - 1];
      s->cur_def = comp->ndefs - 1;
      d->u.component.component = child;
      d->sort = BT_CSORT_COMPONENT;
      d->index = cm_space_push(c, s, BT_CSORT_COMPONENT, child->type, sec_at);
      r->pos = r->end;
      return;
    }
    case 5: VEC_SECTION(c, r, "instances", read_instance(c, st, r)); return;
    case 6:
      VEC_SECTION(c, r, "aliases", {
        bt_cdef_t *d = new_def(c, st, BT_CDEF_ALIAS, r->pos);
        cm_read_alias(c, r, s, d);
      });
      return;
    case 7:
      VEC_SECTION(c, r, "types", {
        const uint8_t *at = r->pos;
        bt_cdef_t *d = new_def(c, st, BT_CDEF_TYPE, at);
        bt_ctype_t *t = cm_read_deftype(c, r, s);
        d = &comp->defs[comp->ndefs - 1];
        d->u.type.type = t;
        d->sort = BT_CSORT_TYPE;
        d->index = cm_space_push(c, s, BT_CSORT_TYPE, t, at);
      });
      return;
    case 8:
      VEC_SECTION(c, r, "canonical definitions", {
        bt_cdef_t *d = new_def(c, st, BT_CDEF_CANON, r->pos);
        cm_read_canon(c, r, s, d);
      });
      return;
    case 9: cm_fail(c, sec_at, BATON_EUNSUPPORTED, "start functions (component values) are not supported");
    case 10: VEC_SECTION(c, r, "imports", read_import(c, st, r)); return;
    case 11: VEC_SECTION(c, r, "exports", read_export(c, st, r)); return;
    case 12: cm_fail(c, sec_at, BATON_EUNSUPPORTED, "value definitions are not supported");
  }
  cm_fail(c, sec_at, BATON_EMALFORMED, "unknown section id %u", id);
}

/* Checks the 8-byte preamble. Raises. */
static void check_preamble(cm_ctx *c, const uint8_t *start, const uint8_t *end) {
  c->section = NULL;
  if (end - start < 8) {
    if (end - start >= 4 && memcmp(start, "\0asm", 4) != 0)
      cm_fail(c, start, BATON_EMALFORMED, "bad magic number (not a WebAssembly binary)");
    cm_fail(c, start, BATON_EMALFORMED, "unexpected end in the component header (%zu of 8 bytes)",
            (size_t)(end - start));
  }
  if (memcmp(start, "\0asm", 4) != 0)
    cm_fail(c, start, BATON_EMALFORMED, "bad magic number (not a WebAssembly binary)");
  unsigned version = start[4] | (unsigned)start[5] << 8;
  unsigned layer = start[6] | (unsigned)start[7] << 8;
  if (layer == 0)
    cm_fail(c, start + 4, BATON_EMALFORMED, "this is a core WebAssembly module, not a component");
  if (layer != 1) cm_fail(c, start + 6, BATON_EMALFORMED, "unknown binary layer %u", layer);
  if (version != 0x0d)
    cm_fail(c, start + 4, BATON_EUNSUPPORTED,
            "component binary version 0x%x is not supported (expected 0x0d)", version);
}

/* Reads the component in [start, end) into `comp`, with `parent` as the
 * enclosing scope for outer aliases (NULL for the root), then records its
 * imports, exports and component type. Raises. */
static void parse_component(cm_ctx *c, cm_scope *parent, bt_component_t *comp,
                            const uint8_t *start, const uint8_t *end) {
  check_preamble(c, start, end);
  comp->bytes = start;
  comp->size = (size_t)(end - start);
  comp->offset = (size_t)(start - c->base);
  comp_state st;
  memset(&st, 0, sizeof st);
  st.comp = comp;
  st.scope.kind = CM_SCOPE_COMPONENT;
  st.scope.parent = parent;
  st.scope.spaces = comp->spaces;
  st.scope.comp = comp;
  cm_rd r = {start + 8, end};
  while (r.pos < r.end) {
    const uint8_t *sec_at = r.pos;
    c->section = NULL;
    uint8_t id = cm_byte(c, &r, "section id");
    c->section = section_name(id);
    const uint8_t *size_at = r.pos;
    uint32_t size = cm_u32(c, &r, "section size");
    if (size > (size_t)(r.end - r.pos))
      cm_fail(c, size_at, BATON_EMALFORMED, "section size %u runs past the end (%zu bytes left)", size,
              (size_t)(r.end - r.pos));
    cm_rd sr = {r.pos, r.pos + size};
    read_section(c, &st, id, &sr, sec_at);
    c->section = section_name(id);
    cm_expect_end(c, &sr, "section");
    r.pos = sr.end;
  }
  c->section = NULL;
  comp->imports = st.scope.imports;
  comp->nimports = st.scope.nimports;
  comp->exports = st.scope.exports;
  comp->nexports = st.scope.nexports;
  /* Point import/export definitions at their final extern records. */
  uint32_t ki = 0, ke = 0;
  for (uint32_t i = 0; i < comp->ndefs; i++) {
    bt_cdef_t *d = &comp->defs[i];
    if (d->kind == BT_CDEF_IMPORT && ki < comp->nimports) d->u.ext.ext = &comp->imports[ki++];
    if (d->kind == BT_CDEF_EXPORT && ke < comp->nexports) d->u.ext.ext = &comp->exports[ke++];
  }
  bt_ctype_t *t = cm_type_new(c, BT_CT_COMPONENT);
  t->imports = comp->imports;
  t->nimports = comp->nimports;
  t->exports = comp->exports;
  t->nexports = comp->nexports;
  cm_type_finish(c, t, start);
  comp->type = t;
}

/* ---- entry points ---- */

static void free_root(cm_root *root) {
  for (cm_modnode *n = root->modules; n; n = n->next) bt_wasm_module_free(n->module);
  cm_arena_free(&root->arena);
  bt_free(root);
}

/* Contract in component.h. */
baton_error_t *bt_component_parse(const uint8_t *bytes, size_t len, bt_component_t **out) {
  if (!out) return baton_error_new(BATON_EINVALID_ARGUMENT, "bt_component_parse: NULL output pointer");
  *out = NULL;
  if (!bytes && len) return baton_error_new(BATON_EINVALID_ARGUMENT, "bt_component_parse: NULL bytes");
  static const uint8_t empty[1];
  cm_root *root = bt_calloc(1, sizeof *root);
  cm_ctx *c = bt_calloc(1, sizeof *c);
  if (!root || !c) {
    bt_free(root);
    bt_free(c);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory while reading a component");
  }
  c->root = root;
  c->base = bytes ? bytes : empty;
  c->len = len;
  c->fuel = CM_FUEL;
  if (setjmp(c->jmp) == 0) {
    bt_component_t *comp = cm_alloc(c, sizeof *comp);
    comp->internal_ = root;
    parse_component(c, NULL, comp, c->base, c->base + c->len);
    bt_free(c);
    *out = comp;
    return NULL;
  }
  baton_error_t *err = c->err;
  free_root(root);
  bt_free(c);
  return err;
}

/* Contract in component.h; given a nested component, frees its root. */
void bt_component_free(bt_component_t *comp) {
  if (!comp) return;
  while (comp->parent) comp = comp->parent;
  if (comp->internal_) free_root(comp->internal_);
}
