/*
 * src/component/types.c: reading component-level and core-level types.
 *
 * Covers the type section's deftypes (every defvaltype of the MVP, function
 * types, component and instance types with their import/export/type/alias
 * declarators, resource types with destructors), core types (function types
 * and module types with their own type index space), externtypes and type
 * bounds, nameattributes, the declaration of imports and exports in a scope
 * (name validation and the [constructor]/[method]/[static] rules), and alias
 * definitions and declarators.
 *
 * Type nodes are built once and shared by pointer; cm_type_finish computes
 * each node's flags (borrow / resource / memory inside) and its tree size,
 * which is capped so that later structural walks stay bounded.
 */
#include <string.h>

#include "component/internal.h"

/* Types bigger than this (counted as trees) are rejected, as wasmparser
 * does, so that structural comparisons cannot blow up. */
#define CM_MAX_TYPE_SIZE 1000000u
/* Types nested deeper than this are rejected so that the recursive walks
 * over types (matching, substitution, flattening, decoding, printing)
 * have bounded stack use. */
#define CM_MAX_TYPE_DEPTH 200u

#define PRIM(k) {.kind = (k), .size = 1, .depth = 1}
static bt_ctype_t g_prims[] = {
    PRIM(BT_CT_BOOL), PRIM(BT_CT_S8),  PRIM(BT_CT_U8),  PRIM(BT_CT_S16),
    PRIM(BT_CT_U16),  PRIM(BT_CT_S32), PRIM(BT_CT_U32), PRIM(BT_CT_S64),
    PRIM(BT_CT_U64),  PRIM(BT_CT_F32), PRIM(BT_CT_F64), PRIM(BT_CT_CHAR),
    {.kind = BT_CT_STRING, .size = 1, .depth = 1, .flags = BT_CT_HAS_MEMORY},
};
#undef PRIM
static bt_ctype_t g_error_context = {.kind = BT_CT_ERROR_CONTEXT, .size = 1, .depth = 1};

/* Contract in internal.h: NULL for non-primitive kinds. */
bt_ctype_t *cm_prim(bt_ctype_kind_t kind) {
  if (kind == BT_CT_ERROR_CONTEXT) return &g_error_context;
  if (kind < BT_CT_BOOL || kind > BT_CT_STRING) return NULL;
  return &g_prims[kind - BT_CT_BOOL];
}

/* Contract in component.h. */
const bt_ctype_t *bt_ctype_unalias(const bt_ctype_t *t) {
  while (t && t->kind == BT_CT_ALIAS) t = t->elem;
  return t;
}

/* Contract in component.h. */
const bt_cextern_t *bt_ctype_export(const bt_ctype_t *t, const char *name) {
  t = bt_ctype_unalias(t);
  if (!t || !name || (t->kind != BT_CT_INSTANCE && t->kind != BT_CT_COMPONENT)) return NULL;
  for (uint32_t i = 0; i < t->nexports; i++)
    if (strcmp(t->exports[i].name, name) == 0) return &t->exports[i];
  return NULL;
}

/* Contract in internal.h: the node is zeroed; cm_type_finish completes it. */
bt_ctype_t *cm_type_new(cm_ctx *c, bt_ctype_kind_t kind) {
  bt_ctype_t *t = cm_alloc(c, sizeof *t);
  t->kind = kind;
  return t;
}

/* Saturating addition for type sizes. */
static uint32_t sat_add(uint32_t a, uint32_t b) { return a > UINT32_MAX - b ? UINT32_MAX : a + b; }

/* Folds a child into a node's flags and size. */
static void absorb(bt_ctype_t *t, const bt_ctype_t *child) {
  if (!child) return;
  t->flags |= child->flags & (BT_CT_HAS_BORROW | BT_CT_HAS_RESOURCE | BT_CT_HAS_MEMORY);
  t->size = sat_add(t->size, child->size);
  if (child->depth + 1 > t->depth) t->depth = child->depth + 1;
}

/* Contract in internal.h: raises LIMIT for types that are too large or
 * too deeply nested. */
void cm_type_finish(cm_ctx *c, bt_ctype_t *t, const uint8_t *at) {
  t->size = 1;
  t->depth = 1;
  switch (t->kind) {
    case BT_CT_LIST: t->flags |= BT_CT_HAS_MEMORY; absorb(t, t->elem); break;
    case BT_CT_MAP: t->flags |= BT_CT_HAS_MEMORY; absorb(t, t->ok); absorb(t, t->elem); break;
    case BT_CT_FUTURE:
    case BT_CT_STREAM:
      /* A handle: its payload needs no memory at the call boundary. */
      absorb(t, t->elem);
      t->flags &= (uint8_t)~BT_CT_HAS_MEMORY;
      break;
    case BT_CT_OPTION:
    case BT_CT_ALIAS: absorb(t, t->elem); break;
    case BT_CT_RESULT: absorb(t, t->ok); absorb(t, t->err); break;
    case BT_CT_TUPLE:
      for (uint32_t i = 0; i < t->count; i++) absorb(t, t->types[i]);
      break;
    case BT_CT_RECORD:
    case BT_CT_VARIANT:
    case BT_CT_FUNC:
      for (uint32_t i = 0; i < t->count; i++) absorb(t, t->fields[i].type);
      if (t->kind == BT_CT_FUNC) absorb(t, t->elem);
      break;
    case BT_CT_RESOURCE: t->flags |= BT_CT_HAS_RESOURCE; break;
    case BT_CT_OWN:
    case BT_CT_BORROW:
      absorb(t, t->elem);
      t->flags |= BT_CT_HAS_RESOURCE | (t->kind == BT_CT_BORROW ? BT_CT_HAS_BORROW : 0);
      t->size = 2;
      break;
    case BT_CT_INSTANCE:
    case BT_CT_COMPONENT:
      for (uint32_t i = 0; i < t->nimports; i++)
        if (t->imports[i].type) absorb(t, t->imports[i].type);
        else t->size = sat_add(t->size, 1);
      for (uint32_t i = 0; i < t->nexports; i++)
        if (t->exports[i].type) absorb(t, t->exports[i].type);
        else t->size = sat_add(t->size, 1);
      break;
    default: break;
  }
  if (t->kind == BT_CT_ENUM || t->kind == BT_CT_FLAGS) t->size = sat_add(t->size, t->count);
  if (t->size > CM_MAX_TYPE_SIZE)
    cm_fail(c, at, BATON_ELIMIT, "type is too large (more than %u nodes when expanded)",
            CM_MAX_TYPE_SIZE);
  if (t->depth > CM_MAX_TYPE_DEPTH)
    cm_fail(c, at, BATON_ELIMIT, "types are nested too deeply (more than %u levels)",
            CM_MAX_TYPE_DEPTH);
}

/* Contract in internal.h. */
bt_ctype_t *cm_alias_of(cm_ctx *c, bt_ctype_t *target, const uint8_t *at) {
  bt_ctype_t *t = cm_type_new(c, BT_CT_ALIAS);
  t->elem = target;
  cm_type_finish(c, t, at);
  return t;
}

/* ---- value types ---- */

static const char *kind_name(const bt_ctype_t *t) {
  static const char *const names[] = {
      [BT_CT_BOOL] = "bool",         [BT_CT_S8] = "s8",          [BT_CT_U8] = "u8",
      [BT_CT_S16] = "s16",           [BT_CT_U16] = "u16",        [BT_CT_S32] = "s32",
      [BT_CT_U32] = "u32",           [BT_CT_S64] = "s64",        [BT_CT_U64] = "u64",
      [BT_CT_F32] = "f32",           [BT_CT_F64] = "f64",        [BT_CT_CHAR] = "char",
      [BT_CT_STRING] = "string",     [BT_CT_LIST] = "list",      [BT_CT_TUPLE] = "tuple",
      [BT_CT_OPTION] = "option",     [BT_CT_RESULT] = "result",  [BT_CT_RECORD] = "record",
      [BT_CT_VARIANT] = "variant",   [BT_CT_ENUM] = "enum",      [BT_CT_FLAGS] = "flags",
      [BT_CT_RESOURCE] = "resource", [BT_CT_OWN] = "own",        [BT_CT_BORROW] = "borrow",
      [BT_CT_ALIAS] = "alias",       [BT_CT_FUNC] = "function",  [BT_CT_INSTANCE] = "instance",
      [BT_CT_COMPONENT] = "component", [BT_CT_MAP] = "map",      [BT_CT_FUTURE] = "future",
      [BT_CT_STREAM] = "stream",     [BT_CT_ERROR_CONTEXT] = "error-context",
  };
  if (!t || t->kind < BT_CT_BOOL || t->kind > BT_CT_ERROR_CONTEXT) return "?";
  return names[t->kind];
}

/* True for the kinds a value type can have (resources are not values). */
static bool is_value_kind(bt_ctype_kind_t k) {
  return (k >= BT_CT_BOOL && k <= BT_CT_BORROW && k != BT_CT_RESOURCE) ||
         (k >= BT_CT_MAP && k <= BT_CT_ERROR_CONTEXT);
}

/* Reads a `valtype`: a primitive code or a type index that must name a
 * defined value type. Raises. */
static bt_ctype_t *read_valtype(cm_ctx *c, cm_rd *r, cm_scope *s) {
  const uint8_t *at = r->pos;
  int64_t v = cm_s33(c, r, "value type");
  if (v < 0) {
    uint8_t code = (uint8_t)(v & 0x7f);
    if (code >= 0x73 && code <= 0x7f) return cm_prim((bt_ctype_kind_t)(BT_CT_BOOL + (0x7f - code)));
    if (code == 0x64) return cm_prim(BT_CT_ERROR_CONTEXT);
    cm_fail(c, at, BATON_EMALFORMED, "invalid value type code 0x%02x", code);
  }
  if (v > UINT32_MAX) cm_fail(c, at, BATON_EMALFORMED, "type index %lld too large", (long long)v);
  bt_ctype_t *t = (bt_ctype_t *)cm_space_get(c, s, BT_CSORT_TYPE, (uint32_t)v, at, "value type");
  const bt_ctype_t *u = bt_ctype_unalias(t);
  if (!is_value_kind(u->kind))
    cm_fail(c, at, BATON_EINVALID, "type index %u is a %s type, not a value type", (uint32_t)v,
            kind_name(u));
  return t;
}

/* Reads `<valtype>?`. Raises. */
static bt_ctype_t *read_opt_valtype(cm_ctx *c, cm_rd *r, cm_scope *s, const char *what) {
  const uint8_t *at = r->pos;
  uint8_t b = cm_byte(c, r, what);
  if (b == 0x00) return NULL;
  if (b == 0x01) return read_valtype(c, r, s);
  cm_fail(c, at, BATON_EMALFORMED, "%s: invalid optional marker 0x%02x", what, b);
}

/* Reads a label, validating its syntax and uniqueness in `set`. */
static const char *read_label(cm_ctx *c, cm_rd *r, cm_nameset *set, const char *what) {
  const uint8_t *at = r->pos;
  const char *l = cm_string(c, r, what);
  if (!cm_is_label(l, strlen(l)))
    cm_fail(c, at, BATON_EINVALID, "%s `%s` is not a valid kebab-case label", what, l);
  if (set && !cm_nameset_add(c, set, l, CM_NAMES_LABEL))
    cm_fail(c, at, BATON_EINVALID, "%s `%s` is defined more than once", what, l);
  return l;
}

/* Reads the resource index of own/borrow. Raises. */
static bt_ctype_t *read_handle_target(cm_ctx *c, cm_rd *r, cm_scope *s, const char *what) {
  const uint8_t *at = r->pos;
  uint32_t idx = cm_u32(c, r, "type index");
  bt_ctype_t *t = (bt_ctype_t *)cm_space_get(c, s, BT_CSORT_TYPE, idx, at, what);
  const bt_ctype_t *u = bt_ctype_unalias(t);
  if (u->kind != BT_CT_RESOURCE)
    cm_fail(c, at, BATON_EINVALID, "%s: type index %u is a %s type, not a resource", what, idx,
            kind_name(u));
  return t;
}

/* Reads the body of a defvaltype whose opcode `op` was just read. */
static bt_ctype_t *read_defvaltype(cm_ctx *c, cm_rd *r, cm_scope *s, uint8_t op,
                                   const uint8_t *at) {
  if (op >= 0x73 && op <= 0x7f) return cm_prim((bt_ctype_kind_t)(BT_CT_BOOL + (0x7f - op)));
  bt_ctype_t *t;
  cm_nameset names = {0};
  switch (op) {
    case 0x72: /* record */
    case 0x71: /* variant */ {
      bool rec = op == 0x72;
      uint32_t n = cm_count(c, r, 2, rec ? "record fields" : "variant cases");
      if (n == 0)
        cm_fail(c, at, BATON_EINVALID, "%s type must have at least one %s", rec ? "record" : "variant",
                rec ? "field" : "case");
      t = cm_type_new(c, rec ? BT_CT_RECORD : BT_CT_VARIANT);
      t->count = n;
      t->fields = cm_alloc_array(c, n, sizeof *t->fields);
      for (uint32_t i = 0; i < n; i++) {
        t->fields[i].name = read_label(c, r, &names, rec ? "record field" : "variant case");
        if (rec) {
          t->fields[i].type = read_valtype(c, r, s);
        } else {
          t->fields[i].type = read_opt_valtype(c, r, s, "variant case payload");
          const uint8_t *rat = r->pos;
          uint8_t refines = cm_byte(c, r, "variant case");
          if (refines != 0x00)
            cm_fail(c, rat, BATON_EUNSUPPORTED,
                    "variant case `%s`: case refinement (0x%02x) is not supported",
                    t->fields[i].name, refines);
        }
      }
      break;
    }
    case 0x70:
      t = cm_type_new(c, BT_CT_LIST);
      t->elem = read_valtype(c, r, s);
      break;
    case 0x67:
      cm_fail(c, at, BATON_EUNSUPPORTED, "fixed-length lists are not supported");
    case 0x6f: {
      uint32_t n = cm_count(c, r, 1, "tuple types");
      if (n == 0) cm_fail(c, at, BATON_EINVALID, "tuple type must have at least one element");
      t = cm_type_new(c, BT_CT_TUPLE);
      t->count = n;
      t->types = cm_alloc_array(c, n, sizeof *t->types);
      for (uint32_t i = 0; i < n; i++) t->types[i] = read_valtype(c, r, s);
      break;
    }
    case 0x6e: /* flags */
    case 0x6d: /* enum */ {
      bool flags = op == 0x6e;
      uint32_t n = cm_count(c, r, 1, flags ? "flags" : "enum cases");
      if (n == 0)
        cm_fail(c, at, BATON_EINVALID, "%s type must have at least one %s", flags ? "flags" : "enum",
                flags ? "flag" : "case");
      if (flags && n > 32)
        cm_fail(c, at, BATON_EINVALID, "flags type has %u flags; at most 32 are allowed", n);
      t = cm_type_new(c, flags ? BT_CT_FLAGS : BT_CT_ENUM);
      t->count = n;
      t->fields = cm_alloc_array(c, n, sizeof *t->fields);
      for (uint32_t i = 0; i < n; i++)
        t->fields[i].name = read_label(c, r, &names, flags ? "flag" : "enum case");
      break;
    }
    case 0x6b:
      t = cm_type_new(c, BT_CT_OPTION);
      t->elem = read_valtype(c, r, s);
      break;
    case 0x6a:
      t = cm_type_new(c, BT_CT_RESULT);
      t->ok = read_opt_valtype(c, r, s, "result ok type");
      t->err = read_opt_valtype(c, r, s, "result error type");
      break;
    case 0x69:
    case 0x68:
      t = cm_type_new(c, op == 0x69 ? BT_CT_OWN : BT_CT_BORROW);
      t->elem = read_handle_target(c, r, s, op == 0x69 ? "own" : "borrow");
      break;
    case 0x66:
    case 0x65:
      /* Read for WIT decoding; never lifted or lowered. */
      t = cm_type_new(c, op == 0x66 ? BT_CT_STREAM : BT_CT_FUTURE);
      t->elem = read_opt_valtype(c, r, s, op == 0x66 ? "stream payload" : "future payload");
      break;
    case 0x64: return cm_prim(BT_CT_ERROR_CONTEXT);
    case 0x63:
      t = cm_type_new(c, BT_CT_MAP);
      t->ok = read_valtype(c, r, s);
      t->elem = read_valtype(c, r, s);
      break;
    default:
      cm_fail(c, at, BATON_EMALFORMED, "invalid type definition opcode 0x%02x", op);
  }
  cm_type_finish(c, t, at);
  return t;
}

/* Reads a function type after its 0x40 opcode. */
static bt_ctype_t *read_functype(cm_ctx *c, cm_rd *r, cm_scope *s, const uint8_t *at) {
  uint32_t n = cm_count(c, r, 2, "function parameters");
  bt_ctype_t *t = cm_type_new(c, BT_CT_FUNC);
  t->count = n;
  t->fields = cm_alloc_array(c, n, sizeof *t->fields);
  cm_nameset names = {0};
  for (uint32_t i = 0; i < n; i++) {
    t->fields[i].name = read_label(c, r, &names, "parameter");
    t->fields[i].type = read_valtype(c, r, s);
  }
  const uint8_t *rat = r->pos;
  uint8_t b = cm_byte(c, r, "function results");
  if (b == 0x00) {
    t->elem = read_valtype(c, r, s);
  } else if (b == 0x01) {
    uint32_t nr = cm_u32(c, r, "result count");
    if (nr != 0)
      cm_fail(c, rat, BATON_EUNSUPPORTED, "functions with %u named results are not supported", nr);
  } else {
    cm_fail(c, rat, BATON_EMALFORMED, "invalid function result list 0x%02x", b);
  }
  if (t->elem) {
    if (t->elem->flags & BT_CT_HAS_BORROW)
      cm_fail(c, rat, BATON_EINVALID, "function result contains a `borrow` handle");
  }
  cm_type_finish(c, t, at);
  return t;
}

/* ---- core types ---- */

static uint8_t read_core_valtype(cm_ctx *c, cm_rd *r) {
  const uint8_t *at = r->pos;
  uint8_t b = cm_byte(c, r, "core value type");
  switch (b) {
    case BT_WASM_I32:
    case BT_WASM_I64:
    case BT_WASM_F32:
    case BT_WASM_F64:
    case BT_WASM_V128:
    case BT_WASM_FUNCREF:
    case BT_WASM_EXTERNREF: return b;
    case 0x63:
    case 0x64: cm_fail(c, at, BATON_EUNSUPPORTED, "GC reference types are not supported");
  }
  cm_fail(c, at, BATON_EMALFORMED, "invalid core value type 0x%02x", b);
}

/* Contract in internal.h. */
const bt_wasm_functype_t *cm_core_functype(cm_ctx *c, const uint8_t *params, uint32_t np,
                                           const uint8_t *results, uint32_t nr) {
  bt_wasm_functype_t *f = cm_alloc(c, sizeof *f);
  f->nparams = np;
  f->nresults = nr;
  f->params = cm_alloc(c, np + 1);
  f->results = cm_alloc(c, nr + 1);
  if (np) memcpy(f->params, params, np);
  if (nr) memcpy(f->results, results, nr);
  return f;
}

/* Reads a core function type after its 0x60 opcode. */
static const bt_wasm_functype_t *read_core_functype(cm_ctx *c, cm_rd *r) {
  bt_wasm_functype_t *f = cm_alloc(c, sizeof *f);
  f->nparams = cm_count(c, r, 1, "core function parameters");
  f->params = cm_alloc(c, f->nparams + 1);
  for (uint32_t i = 0; i < f->nparams; i++) f->params[i] = read_core_valtype(c, r);
  f->nresults = cm_count(c, r, 1, "core function results");
  f->results = cm_alloc(c, f->nresults + 1);
  for (uint32_t i = 0; i < f->nresults; i++) f->results[i] = read_core_valtype(c, r);
  return f;
}

/* Contract in internal.h: 32-bit, unshared limits only. */
bt_wasm_limits_t cm_read_limits(cm_ctx *c, cm_rd *r) {
  const uint8_t *at = r->pos;
  bt_wasm_limits_t l = {0};
  uint8_t flags = cm_byte(c, r, "limits");
  if (flags > 1) {
    if (flags <= 7)
      cm_fail(c, at, BATON_EUNSUPPORTED, "shared or 64-bit limits (flags 0x%02x) are not supported",
              flags);
    cm_fail(c, at, BATON_EMALFORMED, "invalid limits flags 0x%02x", flags);
  }
  l.min = cm_u32(c, r, "minimum");
  if (flags & 1) {
    l.has_max = true;
    l.max = cm_u32(c, r, "maximum");
    if (l.max < l.min) cm_fail(c, at, BATON_EINVALID, "limits maximum is below the minimum");
  }
  return l;
}

/* Contract in internal.h. */
bt_wasm_tabletype_t cm_read_tabletype(cm_ctx *c, cm_rd *r) {
  const uint8_t *at = r->pos;
  bt_wasm_tabletype_t t = {0};
  uint8_t b = cm_byte(c, r, "table element type");
  if (b != BT_WASM_FUNCREF && b != BT_WASM_EXTERNREF)
    cm_fail(c, at, BATON_EMALFORMED, "invalid table element type 0x%02x", b);
  t.elemtype = b;
  t.limits = cm_read_limits(c, r);
  return t;
}

/* Contract in internal.h. */
bt_wasm_globaltype_t cm_read_globaltype(cm_ctx *c, cm_rd *r) {
  bt_wasm_globaltype_t g = {0};
  g.valtype = read_core_valtype(c, r);
  const uint8_t *at = r->pos;
  uint8_t m = cm_byte(c, r, "global mutability");
  if (m > 1) cm_fail(c, at, BATON_EMALFORMED, "invalid global mutability 0x%02x", m);
  g.mutable_ = m == 1;
  return g;
}

/* A module type's own core type index space. */
typedef struct modspace {
  const bt_ccoretype_t **items;
  uint32_t n, cap;
} modspace;

/* Reads a core importdesc / externtype into `e`. */
static void read_core_externdesc(cm_ctx *c, cm_rd *r, modspace *ms, bt_ccore_extern_t *e) {
  const uint8_t *at = r->pos;
  uint8_t b = cm_byte(c, r, "core extern type");
  switch (b) {
    case 0x00: {
      const uint8_t *iat = r->pos;
      uint32_t idx = cm_u32(c, r, "core type index");
      if (idx >= ms->n)
        cm_fail(c, iat, BATON_EINVALID, "module type: core type index %u out of range (%u defined)",
                idx, ms->n);
      if (ms->items[idx]->is_module)
        cm_fail(c, iat, BATON_EINVALID, "module type: core type index %u is not a function type", idx);
      e->kind = BT_WASM_EXTERN_FUNC;
      e->func = ms->items[idx]->func;
      return;
    }
    case 0x01: e->kind = BT_WASM_EXTERN_TABLE; e->table = cm_read_tabletype(c, r); return;
    case 0x02: e->kind = BT_WASM_EXTERN_MEMORY; e->memory = cm_read_limits(c, r); return;
    case 0x03: e->kind = BT_WASM_EXTERN_GLOBAL; e->global = cm_read_globaltype(c, r); return;
    case 0x04: cm_fail(c, at, BATON_EUNSUPPORTED, "exception-handling tags are not supported");
  }
  cm_fail(c, at, BATON_EMALFORMED, "invalid core extern type 0x%02x", b);
}

/* Reads a module type after its 0x50 opcode. */
static const bt_cmodtype_t *read_moduletype(cm_ctx *c, cm_rd *r, cm_scope *s) {
  bt_cmodtype_t *m = cm_alloc(c, sizeof *m);
  modspace ms = {0};
  uint32_t capi = 0, cape = 0;
  cm_nameset exports = {0};
  uint32_t n = cm_count(c, r, 1, "module type declarations");
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *at = r->pos;
    uint8_t b = cm_byte(c, r, "module type declaration");
    switch (b) {
      case 0x00: {
        bt_ccore_extern_t e = {0};
        e.module = cm_string(c, r, "import module name");
        e.name = cm_string(c, r, "import name");
        read_core_externdesc(c, r, &ms, &e);
        CM_PUSH(c, m->imports, m->nimports, capi, e);
        break;
      }
      case 0x01: {
        const uint8_t *tat = r->pos;
        uint8_t op = cm_byte(c, r, "core type");
        if (op != 0x60) {
          if (op == 0x50)
            cm_fail(c, tat, BATON_EINVALID, "module types cannot define module types");
          cm_fail(c, tat, BATON_EUNSUPPORTED, "core type 0x%02x (GC types) is not supported", op);
        }
        bt_ccoretype_t *ct = cm_alloc(c, sizeof *ct);
        ct->func = read_core_functype(c, r);
        CM_PUSH(c, ms.items, ms.n, ms.cap, ct);
        break;
      }
      case 0x02: {
        uint8_t sort = cm_byte(c, r, "alias sort");
        uint8_t kind = cm_byte(c, r, "alias kind");
        if (sort != 0x10 || kind != 0x01)
          cm_fail(c, at, BATON_EMALFORMED, "module type: only `alias outer ... (type)` is allowed");
        uint32_t ct = cm_u32(c, r, "outer count");
        const uint8_t *iat = r->pos;
        uint32_t idx = cm_u32(c, r, "outer index");
        const bt_ccoretype_t *item;
        if (ct == 0) {
          if (idx >= ms.n)
            cm_fail(c, iat, BATON_EINVALID, "module type: core type index %u out of range (%u defined)",
                    idx, ms.n);
          item = ms.items[idx];
        } else {
          cm_scope *t = s;
          for (uint32_t k = 1; k < ct && t; k++) t = t->parent;
          if (!t)
            cm_fail(c, at, BATON_EINVALID, "module type: outer alias count %u exceeds the enclosing scopes",
                    ct);
          item = cm_space_get(c, t, BT_CSORT_CORE_TYPE, idx, iat, "module type: outer alias");
        }
        if (item->is_module)
          cm_fail(c, iat, BATON_EINVALID, "module type: outer alias of a module type is not allowed");
        CM_PUSH(c, ms.items, ms.n, ms.cap, item);
        break;
      }
      case 0x03: {
        bt_ccore_extern_t e = {0};
        const uint8_t *nat = r->pos;
        e.name = cm_string(c, r, "export name");
        if (!cm_nameset_add(c, &exports, e.name, CM_NAMES_EXACT))
          cm_fail(c, nat, BATON_EINVALID, "module type: duplicate export `%s`", e.name);
        read_core_externdesc(c, r, &ms, &e);
        CM_PUSH(c, m->exports, m->nexports, cape, e);
        break;
      }
      default: cm_fail(c, at, BATON_EMALFORMED, "invalid module type declaration 0x%02x", b);
    }
  }
  return m;
}

/* Contract in internal.h: GC types are UNSUPPORTED. */
const bt_ccoretype_t *cm_read_core_type(cm_ctx *c, cm_rd *r, cm_scope *s) {
  const uint8_t *at = r->pos;
  uint8_t op = cm_byte(c, r, "core type");
  bt_ccoretype_t *ct = cm_alloc(c, sizeof *ct);
  if (op == 0x60) {
    ct->func = read_core_functype(c, r);
  } else if (op == 0x50) {
    ct->is_module = true;
    ct->module = read_moduletype(c, r, s);
  } else if (op == 0x00 || op == 0x4e || op == 0x4f || op == 0x5e || op == 0x5f) {
    cm_fail(c, at, BATON_EUNSUPPORTED, "core type 0x%02x (GC types) is not supported", op);
  } else {
    cm_fail(c, at, BATON_EMALFORMED, "invalid core type opcode 0x%02x", op);
  }
  return ct;
}

/* ---- externtypes, names and declarations ---- */

/* Returns a type index entry unaliased and checked to be of `kind`. */
static bt_ctype_t *type_of_kind(cm_ctx *c, cm_rd *r, cm_scope *s, bt_ctype_kind_t kind,
                                const char *what) {
  const uint8_t *at = r->pos;
  uint32_t idx = cm_u32(c, r, "type index");
  const bt_ctype_t *t = bt_ctype_unalias(cm_space_get(c, s, BT_CSORT_TYPE, idx, at, what));
  if (t->kind != kind) {
    bt_ctype_t want = {.kind = kind};
    cm_fail(c, at, BATON_EINVALID, "%s: type index %u is a %s type, not a %s type", what, idx,
            kind_name(t), kind_name(&want));
  }
  return (bt_ctype_t *)t;
}

/* Contract in internal.h. */
bt_cextern_t cm_read_externtype(cm_ctx *c, cm_rd *r, cm_scope *s) {
  bt_cextern_t e = {0};
  const uint8_t *at = r->pos;
  e.offset = (size_t)(at - c->base);
  uint8_t b = cm_byte(c, r, "extern type");
  switch (b) {
    case 0x00: {
      const uint8_t *kat = r->pos;
      if (cm_byte(c, r, "extern type") != 0x11)
        cm_fail(c, kat, BATON_EMALFORMED, "only core modules can be imported or exported from core sorts");
      const uint8_t *iat = r->pos;
      uint32_t idx = cm_u32(c, r, "core type index");
      const bt_ccoretype_t *ct = cm_space_get(c, s, BT_CSORT_CORE_TYPE, idx, iat, "core module type");
      if (!ct->is_module)
        cm_fail(c, iat, BATON_EINVALID, "core type index %u is a function type, not a module type", idx);
      e.sort = BT_CSORT_CORE_MODULE;
      e.module = ct->module;
      return e;
    }
    case 0x01:
      e.sort = BT_CSORT_FUNC;
      e.type = type_of_kind(c, r, s, BT_CT_FUNC, "func extern");
      return e;
    case 0x02: cm_fail(c, at, BATON_EUNSUPPORTED, "value imports and exports are not supported");
    case 0x03: {
      const uint8_t *bat = r->pos;
      uint8_t bound = cm_byte(c, r, "type bound");
      e.sort = BT_CSORT_TYPE;
      if (bound == 0x00) {
        const uint8_t *iat = r->pos;
        uint32_t idx = cm_u32(c, r, "type index");
        bt_ctype_t *t = (bt_ctype_t *)cm_space_get(c, s, BT_CSORT_TYPE, idx, iat, "type bound");
        e.type = cm_alias_of(c, t, iat);
      } else if (bound == 0x01) {
        e.type = cm_type_new(c, BT_CT_RESOURCE);
        cm_type_finish(c, e.type, bat);
      } else {
        cm_fail(c, bat, BATON_EMALFORMED, "invalid type bound 0x%02x", bound);
      }
      e.type->flags |= BT_CT_NAMED;
      return e;
    }
    case 0x04:
      e.sort = BT_CSORT_COMPONENT;
      e.type = type_of_kind(c, r, s, BT_CT_COMPONENT, "component extern");
      return e;
    case 0x05:
      e.sort = BT_CSORT_INSTANCE;
      e.type = type_of_kind(c, r, s, BT_CT_INSTANCE, "instance extern");
      return e;
  }
  cm_fail(c, at, BATON_EMALFORMED, "invalid extern type 0x%02x", b);
}

/* Contract in internal.h: attributes other than `implements` are read
 * and dropped. */
const char *cm_read_extern_name(cm_ctx *c, cm_rd *r, const char **implements) {
  const uint8_t *at = r->pos;
  *implements = NULL;
  uint8_t b = cm_byte(c, r, "name");
  if (b > 0x02) cm_fail(c, at, BATON_EMALFORMED, "invalid name discriminant 0x%02x", b);
  const char *name = cm_string(c, r, "name");
  if (b == 0x02) {
    uint32_t n = cm_count(c, r, 2, "name attributes");
    bool seen[3] = {false, false, false};
    for (uint32_t i = 0; i < n; i++) {
      const uint8_t *aat = r->pos;
      uint8_t k = cm_byte(c, r, "name attribute");
      if (k > 2) cm_fail(c, aat, BATON_EMALFORMED, "invalid name attribute 0x%02x", k);
      if (seen[k]) cm_fail(c, aat, BATON_EINVALID, "name attribute 0x%02x given twice", k);
      seen[k] = true;
      const char *v = cm_string(c, r, "name attribute");
      if (k == 0) *implements = v;
    }
  }
  return name;
}

/* Finds the resource a [constructor]/[method]/[static] name refers to among
 * the externs declared so far. */
static const bt_ctype_t *find_resource(const bt_cextern_t *list, uint32_t n, const char *label,
                                       size_t len) {
  for (uint32_t i = 0; i < n; i++) {
    if (list[i].sort != BT_CSORT_TYPE || strlen(list[i].name) != len ||
        strncmp(list[i].name, label, len) != 0)
      continue;
    const bt_ctype_t *u = bt_ctype_unalias(list[i].type);
    return u->kind == BT_CT_RESOURCE ? u : NULL;
  }
  return NULL;
}

/* Checks the type rules of annotated function names. Raises. */
static void check_annotated(cm_ctx *c, const uint8_t *at, const bt_cextern_t *e,
                            const bt_cextern_t *list, uint32_t n, const char *what) {
  const char *name = e->name;
  const char *label;
  size_t len;
  int kind; /* 0 constructor, 1 method, 2 static */
  if (strncmp(name, "[constructor]", 13) == 0) {
    kind = 0;
    label = name + 13;
    len = strlen(label);
  } else if (strncmp(name, "[method]", 8) == 0 || strncmp(name, "[static]", 8) == 0) {
    kind = name[1] == 'm' ? 1 : 2;
    label = name + 8;
    len = (size_t)(strchr(label, '.') - label);
  } else {
    return;
  }
  if (e->sort != BT_CSORT_FUNC)
    cm_fail(c, at, BATON_EINVALID, "%s `%s` must be a function", what, name);
  cm_burn(c, at, (uint64_t)n + 1);
  const bt_ctype_t *res = find_resource(list, n, label, len);
  if (!res)
    cm_fail(c, at, BATON_EINVALID, "%s `%s`: no preceding resource named `%.*s`", what, name,
            (int)len, label);
  const bt_ctype_t *f = e->type;
  if (kind == 0) {
    const bt_ctype_t *rt = bt_ctype_unalias(f->elem);
    if (rt && rt->kind == BT_CT_RESULT) rt = bt_ctype_unalias(rt->ok);
    if (!rt || rt->kind != BT_CT_OWN || bt_ctype_unalias(rt->elem) != res)
      cm_fail(c, at, BATON_EINVALID,
              "%s `%s`: a constructor must return `own<%.*s>` or `result<own<%.*s>, E>`", what,
              name, (int)len, label, (int)len, label);
  } else if (kind == 1) {
    const bt_ctype_t *p0 = f->count ? bt_ctype_unalias(f->fields[0].type) : NULL;
    if (!p0 || strcmp(f->fields[0].name, "self") != 0 || p0->kind != BT_CT_BORROW ||
        bt_ctype_unalias(p0->elem) != res)
      cm_fail(c, at, BATON_EINVALID,
              "%s `%s`: a method's first parameter must be `self: borrow<%.*s>`", what, name,
              (int)len, label);
  }
}

/* Checks the external-visibility rule for a type used by an import or
 * export: every record, variant, enum, flags and resource type it reaches
 * must be reached through a name (a type an import or export created).
 * `top` is false for the referenced type of a type extern, which the
 * extern itself names. Raises. */
static void check_visible(cm_ctx *c, const uint8_t *at, const bt_ctype_t *t, bool top,
                          const bt_cextern_t *e, const char *what) {
  if (!t || t->kind <= BT_CT_STRING) return;
  cm_burn(c, at, 1);
  if ((t->flags & BT_CT_NAMED) && (top || t->kind == BT_CT_ALIAS)) return;
  switch (t->kind) {
    case BT_CT_ALIAS: check_visible(c, at, t->elem, top, e, what); return;
    case BT_CT_RECORD:
    case BT_CT_VARIANT:
    case BT_CT_ENUM:
    case BT_CT_FLAGS:
    case BT_CT_RESOURCE:
      if (top)
        cm_fail(c, at, BATON_EINVALID,
                "%s `%s`: its type uses a %s type that is not exported or imported under a name",
                what, e->name, kind_name(t));
      for (uint32_t i = 0; i < t->count && t->kind != BT_CT_ENUM && t->kind != BT_CT_FLAGS; i++)
        check_visible(c, at, t->fields[i].type, true, e, what);
      return;
    case BT_CT_LIST:
    case BT_CT_OPTION:
    case BT_CT_OWN:
    case BT_CT_FUTURE:
    case BT_CT_STREAM:
    case BT_CT_BORROW: check_visible(c, at, t->elem, true, e, what); return;
    case BT_CT_MAP:
    case BT_CT_RESULT:
      check_visible(c, at, t->ok, true, e, what);
      check_visible(c, at, t->err, true, e, what);
      return;
    case BT_CT_TUPLE:
      for (uint32_t i = 0; i < t->count; i++) check_visible(c, at, t->types[i], true, e, what);
      return;
    case BT_CT_FUNC:
      for (uint32_t i = 0; i < t->count; i++) check_visible(c, at, t->fields[i].type, true, e, what);
      check_visible(c, at, t->elem, true, e, what);
      return;
    case BT_CT_INSTANCE:
    case BT_CT_COMPONENT:
      for (uint32_t i = 0; i < t->nimports; i++)
        if (t->imports[i].type) {
          const bt_ctype_t *x = t->imports[i].type;
          if (t->imports[i].sort == BT_CSORT_TYPE) x = x->kind == BT_CT_ALIAS ? x->elem : NULL;
          check_visible(c, at, x, t->imports[i].sort != BT_CSORT_TYPE, e, what);
        }
      for (uint32_t i = 0; i < t->nexports; i++)
        if (t->exports[i].type) {
          const bt_ctype_t *x = t->exports[i].type;
          if (t->exports[i].sort == BT_CSORT_TYPE) x = x->kind == BT_CT_ALIAS ? x->elem : NULL;
          check_visible(c, at, x, t->exports[i].sort != BT_CSORT_TYPE, e, what);
        }
      return;
    default: return;
  }
}

/* Contract in internal.h. In component scopes it also checks the
 * external-visibility rule. */
uint32_t cm_declare_extern(cm_ctx *c, cm_scope *s, bt_cextern_t e, bool is_import,
                           const uint8_t *at) {
  const char *what = is_import ? "import" : "export";
  cm_check_extern_name(c, at, e.name, what);
  if (s->kind == CM_SCOPE_COMPONENT && e.sort != BT_CSORT_CORE_MODULE) {
    const bt_ctype_t *x = e.type;
    if (e.sort == BT_CSORT_TYPE) x = x->kind == BT_CT_ALIAS ? x->elem : NULL;
    check_visible(c, at, x, e.sort != BT_CSORT_TYPE, &e, what);
  }
  if (!cm_nameset_add(c, is_import ? &s->import_names : &s->export_names, e.name, CM_NAMES_EXTERN))
    cm_fail(c, at, BATON_EINVALID,
            "%s name `%s` conflicts with an earlier %s (names must be unique ignoring case)", what,
            e.name, what);
  if (is_import) check_annotated(c, at, &e, s->imports, s->nimports, what);
  else check_annotated(c, at, &e, s->exports, s->nexports, what);
  if (is_import) CM_PUSH(c, s->imports, s->nimports, s->capimports, e);
  else CM_PUSH(c, s->exports, s->nexports, s->capexports, e);
  const void *item = e.sort == BT_CSORT_CORE_MODULE ? (const void *)e.module : (const void *)e.type;
  return cm_space_push(c, s, e.sort, item, at);
}

/* ---- component and instance types ---- */

/* Reads the declarators of a component (is_component) or instance type. */
static bt_ctype_t *read_decls(cm_ctx *c, cm_rd *r, cm_scope *s, bool is_component,
                              const uint8_t *at) {
  if (++c->depth > BT_COMPONENT_MAX_DEPTH)
    cm_fail(c, at, BATON_ELIMIT, "types and components are nested more than %d deep",
            BT_COMPONENT_MAX_DEPTH);
  cm_scope ts = {0};
  ts.kind = is_component ? CM_SCOPE_COMPONENT_TYPE : CM_SCOPE_INSTANCE_TYPE;
  ts.parent = s;
  ts.spaces = cm_alloc_array(c, BT_CSORT_COUNT, sizeof *ts.spaces);
  const char *what = is_component ? "component type" : "instance type";
  uint32_t n = cm_count(c, r, 1, "declarations");
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *dat = r->pos;
    uint8_t b = cm_byte(c, r, "declaration");
    switch (b) {
      case 0x00:
        cm_space_push(c, &ts, BT_CSORT_CORE_TYPE, cm_read_core_type(c, r, &ts), dat);
        break;
      case 0x01: {
        bt_ctype_t *t = cm_read_deftype(c, r, &ts);
        cm_space_push(c, &ts, BT_CSORT_TYPE, t, dat);
        break;
      }
      case 0x02: cm_read_alias(c, r, &ts, NULL); break;
      case 0x03:
      case 0x04: {
        bool imp = b == 0x03;
        if (imp && !is_component)
          cm_fail(c, dat, BATON_EINVALID, "instance types cannot declare imports");
        const uint8_t *nat = r->pos;
        bt_cextern_t e;
        const char *impl;
        const char *name = cm_read_extern_name(c, r, &impl);
        e = cm_read_externtype(c, r, &ts);
        e.name = name;
        e.implements = impl;
        cm_declare_extern(c, &ts, e, imp, nat);
        break;
      }
      default: cm_fail(c, dat, BATON_EMALFORMED, "%s: invalid declaration 0x%02x", what, b);
    }
  }
  bt_ctype_t *t = cm_type_new(c, is_component ? BT_CT_COMPONENT : BT_CT_INSTANCE);
  t->imports = ts.imports;
  t->nimports = ts.nimports;
  t->exports = ts.exports;
  t->nexports = ts.nexports;
  cm_type_finish(c, t, at);
  c->depth--;
  return t;
}

/* Contract in internal.h. */
bt_ctype_t *cm_read_deftype(cm_ctx *c, cm_rd *r, cm_scope *s) {
  const uint8_t *at = r->pos;
  uint8_t op = cm_byte(c, r, "type");
  switch (op) {
    case 0x40: return read_functype(c, r, s, at);
    case 0x43: {
      /* `async func`: read so that the WIT prints; never bound or called. */
      bt_ctype_t *t = read_functype(c, r, s, at);
      t->flags |= BT_CT_ASYNC;
      return t;
    }
    case 0x41: return read_decls(c, r, s, true, at);
    case 0x42: return read_decls(c, r, s, false, at);
    case 0x3f: {
      if (s->kind != CM_SCOPE_COMPONENT)
        cm_fail(c, at, BATON_EINVALID,
                "resource type definitions are not allowed inside component or instance types");
      bt_ctype_t *t = cm_type_new(c, BT_CT_RESOURCE);
      const uint8_t *rat = r->pos;
      uint8_t rep = cm_byte(c, r, "resource representation");
      if (rep != BT_WASM_I32) {
        if (rep == BT_WASM_I64)
          cm_fail(c, rat, BATON_EUNSUPPORTED, "64-bit resource representations are not supported");
        cm_fail(c, rat, BATON_EINVALID, "resource representation must be i32 (got 0x%02x)", rep);
      }
      t->rep = rep;
      t->owner = s->comp;
      const uint8_t *dat = r->pos;
      uint8_t has = cm_byte(c, r, "resource destructor");
      if (has == 0x01) {
        const uint8_t *iat = r->pos;
        uint32_t f = cm_u32(c, r, "destructor index");
        const bt_wasm_functype_t *ft =
            cm_space_get(c, s, BT_CSORT_CORE_FUNC, f, iat, "resource destructor");
        if (ft->nparams != 1 || ft->params[0] != BT_WASM_I32 || ft->nresults != 0) {
          char buf[128];
          bt_wasm_functype_str(ft, buf, sizeof buf);
          cm_fail(c, iat, BATON_ETYPE,
                  "resource destructor: core function %u has type %s, expected (i32) -> ()", f, buf);
        }
        t->has_dtor = true;
        t->dtor = f;
      } else if (has != 0x00) {
        cm_fail(c, dat, BATON_EMALFORMED, "invalid optional marker 0x%02x", has);
      }
      cm_type_finish(c, t, at);
      return t;
    }
    default: return read_defvaltype(c, r, s, op, at);
  }
}

/* ---- aliases ---- */

/* True when `sort` is a core sort that a core export alias can name. */
static bool core_item_sort(bt_csort_t s) { return s <= BT_CSORT_CORE_TAG; }

/* The core extern kind of a core item sort. */
static bt_wasm_externkind_t core_kind_of(bt_csort_t s) {
  return (bt_wasm_externkind_t)(s - BT_CSORT_CORE_FUNC);
}

/* Contract in internal.h. */
void cm_read_alias(cm_ctx *c, cm_rd *r, cm_scope *s, bt_cdef_t *def) {
  const uint8_t *at = r->pos;
  bt_csort_t sort = cm_read_sort(c, r);
  const uint8_t *tat = r->pos;
  uint8_t tag = cm_byte(c, r, "alias target");
  bool decl = s->kind != CM_SCOPE_COMPONENT;
  if (sort == BT_CSORT_VALUE) cm_fail(c, at, BATON_EUNSUPPORTED, "value aliases are not supported");
  const void *item = NULL;
  if (def) def->sort = sort;
  switch (tag) {
    case 0x00: { /* export of a component instance */
      const uint8_t *iat = r->pos;
      uint32_t idx = cm_u32(c, r, "instance index");
      const char *name = cm_string(c, r, "export name");
      if (decl && sort != BT_CSORT_INSTANCE && sort != BT_CSORT_TYPE)
        cm_fail(c, at, BATON_EINVALID,
                "export aliases in type declarations may only alias instances and types, not %ss",
                bt_csort_name(sort));
      const bt_ctype_t *inst = cm_space_get(c, s, BT_CSORT_INSTANCE, idx, iat, "alias export");
      cm_burn(c, at, (uint64_t)inst->nexports + 1);
      const bt_cextern_t *e = bt_ctype_export(inst, name);
      if (!e) cm_fail(c, iat, BATON_EINVALID, "alias export: instance %u has no export named `%s`", idx, name);
      if (e->sort != sort)
        cm_fail(c, at, BATON_EINVALID, "alias export: export `%s` of instance %u is a %s, not a %s",
                name, idx, bt_csort_name(e->sort), bt_csort_name(sort));
      item = sort == BT_CSORT_CORE_MODULE ? (const void *)e->module : (const void *)e->type;
      if (def) {
        def->u.alias.kind = BT_CALIAS_EXPORT;
        def->u.alias.instance = idx;
        def->u.alias.name = name;
      }
      break;
    }
    case 0x01: { /* export of a core instance */
      if (decl) cm_fail(c, at, BATON_EINVALID, "core export aliases are not allowed in type declarations");
      if (!core_item_sort(sort))
        cm_fail(c, at, BATON_EINVALID, "core export alias of a %s is not allowed", bt_csort_name(sort));
      const uint8_t *iat = r->pos;
      uint32_t idx = cm_u32(c, r, "core instance index");
      const char *name = cm_string(c, r, "export name");
      const bt_cmodtype_t *inst = cm_space_get(c, s, BT_CSORT_CORE_INSTANCE, idx, iat, "alias core export");
      const bt_ccore_extern_t *e = NULL;
      cm_burn(c, at, (uint64_t)inst->nexports + 1);
      for (uint32_t i = 0; i < inst->nexports && !e; i++)
        if (strcmp(inst->exports[i].name, name) == 0) e = &inst->exports[i];
      if (!e)
        cm_fail(c, iat, BATON_EINVALID, "alias core export: core instance %u has no export named `%s`",
                idx, name);
      if (e->kind != core_kind_of(sort))
        cm_fail(c, at, BATON_EINVALID, "alias core export: export `%s` of core instance %u is a %s, not a %s",
                name, idx, cm_core_kind_name(e->kind), cm_core_kind_name(core_kind_of(sort)));
      switch (sort) {
        case BT_CSORT_CORE_TABLE: item = &e->table; break;
        case BT_CSORT_CORE_MEMORY: item = &e->memory; break;
        case BT_CSORT_CORE_GLOBAL: item = &e->global; break;
        default: item = e->func; break;
      }
      if (def) {
        def->u.alias.kind = BT_CALIAS_CORE_EXPORT;
        def->u.alias.instance = idx;
        def->u.alias.name = name;
      }
      break;
    }
    case 0x02: { /* outer */
      uint32_t ct = cm_u32(c, r, "outer count");
      const uint8_t *iat = r->pos;
      uint32_t idx = cm_u32(c, r, "outer index");
      bool ok = decl ? (sort == BT_CSORT_CORE_TYPE || sort == BT_CSORT_TYPE)
                     : (sort == BT_CSORT_CORE_MODULE || sort == BT_CSORT_CORE_TYPE ||
                        sort == BT_CSORT_COMPONENT || sort == BT_CSORT_TYPE);
      if (!ok)
        cm_fail(c, at, BATON_EINVALID, "outer alias of a %s is not allowed%s", bt_csort_name(sort),
                decl ? " in a type declaration" : "");
      cm_scope *t = s;
      bool crosses = false;
      for (uint32_t k = 0; k < ct; k++) {
        if (t->kind == CM_SCOPE_COMPONENT) crosses = true;
        t = t->parent;
        if (!t)
          cm_fail(c, tat, BATON_EINVALID, "alias outer: count %u exceeds the %u enclosing scopes", ct, k);
      }
      item = cm_space_get(c, t, sort, idx, iat, "alias outer");
      if (sort == BT_CSORT_TYPE && crosses && (((const bt_ctype_t *)item)->flags & BT_CT_HAS_RESOURCE))
        cm_fail(c, iat, BATON_EINVALID,
                "alias outer: type %u refers to a resource type and cannot be aliased across a "
                "component boundary",
                idx);
      if (def) {
        def->u.alias.kind = BT_CALIAS_OUTER;
        def->u.alias.outer_count = ct;
        def->u.alias.outer_index = idx;
      }
      break;
    }
    default: cm_fail(c, tat, BATON_EMALFORMED, "invalid alias target 0x%02x", tag);
  }
  uint32_t index = cm_space_push(c, s, sort, item, at);
  if (def) def->index = index;
}
