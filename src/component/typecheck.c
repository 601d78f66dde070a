/*
 * src/component/typecheck.c: type compatibility and substitution.
 *
 * Value and function types are compared structurally; resource types by
 * identity. Instance types are compared by export name (the actual type may
 * export more), and component types by import/export name and sort. When an
 * expected instance or component type declares `(sub resource)` or
 * `(eq T)` types, matching binds those declarations to the actual types in
 * a cm_map, so that later exports that mention them are compared against
 * what was actually supplied; cm_subst then rewrites a type through such a
 * map (this is how instantiation gives an instance the types of the
 * arguments it was given).
 *
 * Every step burns fuel from the parse context, so pathological type graphs
 * fail with a LIMIT error instead of taking exponential time.
 */
#include <stdio.h>
#include <string.h>

#include "component/internal.h"

/* ---- pointer maps ---- */

static uint32_t hash_ptr(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (uint32_t)x;
}

/* Contract in internal.h: returns NULL for a missing key or map. */
bt_ctype_t *cm_map_get(const cm_map *m, const bt_ctype_t *key) {
  if (!m || !m->cap || !key) return NULL;
  uint32_t j = hash_ptr(key) & (m->cap - 1);
  while (m->keys[j]) {
    if (m->keys[j] == key) return m->vals[j];
    j = (j + 1) & (m->cap - 1);
  }
  return NULL;
}

/* Contract in internal.h. Raises on out-of-memory. */
void cm_map_put(cm_ctx *c, cm_map *m, const bt_ctype_t *key, bt_ctype_t *val) {
  if ((m->len + 1) * 2 > m->cap) {
    uint32_t ncap = m->cap ? m->cap * 2 : 16;
    const bt_ctype_t **keys = cm_alloc_array(c, ncap, sizeof *keys);
    bt_ctype_t **vals = cm_alloc_array(c, ncap, sizeof *vals);
    for (uint32_t i = 0; i < m->cap; i++) {
      if (!m->keys[i]) continue;
      uint32_t j = hash_ptr(m->keys[i]) & (ncap - 1);
      while (keys[j]) j = (j + 1) & (ncap - 1);
      keys[j] = m->keys[i];
      vals[j] = m->vals[i];
    }
    m->keys = keys;
    m->vals = vals;
    m->cap = ncap;
  }
  uint32_t j = hash_ptr(key) & (m->cap - 1);
  while (m->keys[j]) {
    if (m->keys[j] == key) {
      m->vals[j] = val;
      return;
    }
    j = (j + 1) & (m->cap - 1);
  }
  m->keys[j] = key;
  m->vals[j] = val;
  m->len++;
}

/* ---- descriptions ---- */

static size_t put(char *buf, size_t n, size_t at, const char *s) {
  size_t l = strlen(s);
  if (at < n) {
    size_t k = l < n - at - 1 ? l : n - at - 1;
    memcpy(buf + at, s, k);
    buf[at + k] = 0;
  }
  return at + l;
}

/* Writes a description of `t` at position `at` of buf (truncating at n)
 * and returns the position after it as if nothing were truncated. */
static size_t type_str(const bt_ctype_t *t, char *buf, size_t n, size_t at, int depth) {
  static const char *const prims[] = {"?",   "bool", "s8",  "u8",  "s16", "u16", "s32",
                                      "u32", "s64",  "u64", "f32", "f64", "char", "string"};
  t = bt_ctype_unalias(t);
  if (!t) return put(buf, n, at, "_");
  if (t->kind <= BT_CT_STRING) return put(buf, n, at, prims[t->kind]);
  if (depth > 3) return put(buf, n, at, "...");
  switch (t->kind) {
    case BT_CT_LIST:
    case BT_CT_OPTION:
      at = put(buf, n, at, t->kind == BT_CT_LIST ? "list<" : "option<");
      at = type_str(t->elem, buf, n, at, depth + 1);
      return put(buf, n, at, ">");
    case BT_CT_RESULT:
      at = put(buf, n, at, "result<");
      at = type_str(t->ok, buf, n, at, depth + 1);
      at = put(buf, n, at, ", ");
      at = type_str(t->err, buf, n, at, depth + 1);
      return put(buf, n, at, ">");
    case BT_CT_TUPLE:
      at = put(buf, n, at, "tuple<");
      for (uint32_t i = 0; i < t->count && i < 8; i++) {
        if (i) at = put(buf, n, at, ", ");
        at = type_str(t->types[i], buf, n, at, depth + 1);
      }
      return put(buf, n, at, ">");
    case BT_CT_OWN: return put(buf, n, at, "own<resource>");
    case BT_CT_BORROW: return put(buf, n, at, "borrow<resource>");
    case BT_CT_RECORD: return put(buf, n, at, "record");
    case BT_CT_VARIANT: return put(buf, n, at, "variant");
    case BT_CT_ENUM: return put(buf, n, at, "enum");
    case BT_CT_FLAGS: return put(buf, n, at, "flags");
    case BT_CT_RESOURCE: return put(buf, n, at, "resource");
    case BT_CT_FUNC: return put(buf, n, at, "func");
    case BT_CT_ERROR_CONTEXT: return put(buf, n, at, "error-context");
    case BT_CT_MAP:
      at = put(buf, n, at, "map<");
      at = type_str(t->ok, buf, n, at, depth + 1);
      at = put(buf, n, at, ", ");
      at = type_str(t->elem, buf, n, at, depth + 1);
      return put(buf, n, at, ">");
    case BT_CT_FUTURE:
    case BT_CT_STREAM:
      at = put(buf, n, at, t->kind == BT_CT_FUTURE ? "future" : "stream");
      if (!t->elem) return at;
      at = put(buf, n, at, "<");
      at = type_str(t->elem, buf, n, at, depth + 1);
      return put(buf, n, at, ">");
    case BT_CT_INSTANCE: return put(buf, n, at, "instance");
    case BT_CT_COMPONENT: return put(buf, n, at, "component");
    default: return put(buf, n, at, "?");
  }
}

/* Contract in internal.h. */
void cm_type_str(const bt_ctype_t *t, char *buf, size_t n) {
  if (!n) return;
  buf[0] = 0;
  type_str(t, buf, n, 0, 0);
}

/* Prefixes the reason in `why` with printf-style context. */
static void context(char *why, size_t n, const char *fmt, const char *name) {
  char prefix[160], tmp[512];
  snprintf(prefix, sizeof prefix, fmt, name);
  snprintf(tmp, sizeof tmp, "%s%s", prefix, why);
  snprintf(why, n, "%s", tmp);
}

/* ---- matching ---- */

typedef struct mctx {
  cm_ctx *c;
  const uint8_t *at;
  cm_map *map;
  char *why;
  size_t n;
} mctx;

/* Follows expected-side nodes through the map and ALIAS links. */
static const bt_ctype_t *resolve_exp(const mctx *m, const bt_ctype_t *t) {
  while (t) {
    bt_ctype_t *v = cm_map_get(m->map, t);
    if (v) return bt_ctype_unalias(v);
    if (t->kind != BT_CT_ALIAS) return t;
    t = t->elem;
  }
  return t;
}

/* Records "expected B, found A" and returns false. */
static bool mismatch(mctx *m, const bt_ctype_t *a, const bt_ctype_t *b) {
  char sa[128], sb[128];
  cm_type_str(b, sb, sizeof sb);
  cm_type_str(a, sa, sizeof sa);
  snprintf(m->why, m->n, "expected %s, found %s", sb, sa);
  return false;
}

static bool match_type(mctx *m, const bt_ctype_t *a, const bt_ctype_t *b);

/* Matches two optional types (both absent, or both present and matching). */
static bool match_opt(mctx *m, const bt_ctype_t *a, const bt_ctype_t *b) {
  if (!a || !b) {
    if (a == b) return true;
    return mismatch(m, a, b);
  }
  return match_type(m, a, b);
}

/* Matches field lists (names in order, then types); `what` names the
 * members in messages. */
static bool match_fields(mctx *m, const bt_ctype_t *a, const bt_ctype_t *b, const char *what) {
  if (a->count != b->count) {
    snprintf(m->why, m->n, "expected %u %ss, found %u", b->count, what, a->count);
    return false;
  }
  for (uint32_t i = 0; i < a->count; i++) {
    if (strcmp(a->fields[i].name, b->fields[i].name) != 0) {
      snprintf(m->why, m->n, "expected %s `%s`, found `%s`", what, b->fields[i].name,
               a->fields[i].name);
      return false;
    }
    if (!match_opt(m, a->fields[i].type, b->fields[i].type)) {
      context(m->why, m->n, "in %s: ", a->fields[i].name);
      return false;
    }
  }
  return true;
}

static bool match_extern_item(mctx *m, bt_csort_t sort, const void *a, const void *b);

/* Instance subtyping: every expected export is present and compatible. */
static bool match_exports(mctx *m, const bt_ctype_t *a, const bt_ctype_t *b) {
  for (uint32_t i = 0; i < b->nexports; i++) {
    const bt_cextern_t *eb = &b->exports[i];
    cm_burn(m->c, m->at, (uint64_t)a->nexports + 1);
    const bt_cextern_t *ea = bt_ctype_export(a, eb->name);
    if (!ea) {
      snprintf(m->why, m->n, "missing export `%s`", eb->name);
      return false;
    }
    if (ea->sort != eb->sort) {
      snprintf(m->why, m->n, "export `%s` is a %s, expected a %s", eb->name,
               bt_csort_name(ea->sort), bt_csort_name(eb->sort));
      return false;
    }
    const void *ia = ea->sort == BT_CSORT_CORE_MODULE ? (const void *)ea->module : ea->type;
    const void *ib = eb->sort == BT_CSORT_CORE_MODULE ? (const void *)eb->module : eb->type;
    if (!match_extern_item(m, eb->sort, ia, ib)) {
      context(m->why, m->n, "export `%s`: ", eb->name);
      return false;
    }
  }
  return true;
}

/* Matches actual type `a` against expected type `b` (see
 * cm_match_extern); records the reason on failure. Raises LIMIT. */
static bool match_type(mctx *m, const bt_ctype_t *a, const bt_ctype_t *b) {
  cm_burn(m->c, m->at, 1);
  a = bt_ctype_unalias(a);
  b = resolve_exp(m, b);
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind) return mismatch(m, a, b);
  switch (a->kind) {
    case BT_CT_LIST:
    case BT_CT_OPTION: return match_type(m, a->elem, b->elem);
    case BT_CT_MAP: return match_type(m, a->ok, b->ok) && match_type(m, a->elem, b->elem);
    case BT_CT_FUTURE:
    case BT_CT_STREAM: return match_opt(m, a->elem, b->elem);
    case BT_CT_RESULT: return match_opt(m, a->ok, b->ok) && match_opt(m, a->err, b->err);
    case BT_CT_TUPLE:
      if (a->count != b->count) return mismatch(m, a, b);
      for (uint32_t i = 0; i < a->count; i++)
        if (!match_type(m, a->types[i], b->types[i])) return false;
      return true;
    case BT_CT_RECORD: return match_fields(m, a, b, "field");
    case BT_CT_VARIANT: return match_fields(m, a, b, "case");
    case BT_CT_ENUM: return match_fields(m, a, b, "case");
    case BT_CT_FLAGS: return match_fields(m, a, b, "flag");
    case BT_CT_OWN:
    case BT_CT_BORROW:
      if (bt_ctype_unalias(a->elem) != resolve_exp(m, b->elem)) {
        snprintf(m->why, m->n, "%s handles of different resource types",
                 a->kind == BT_CT_OWN ? "own" : "borrow");
        return false;
      }
      return true;
    case BT_CT_RESOURCE:
      snprintf(m->why, m->n, "different resource types");
      return false;
    case BT_CT_FUNC:
      if ((a->flags & BT_CT_ASYNC) != (b->flags & BT_CT_ASYNC)) {
        snprintf(m->why, m->n, "one function is async and the other is not");
        return false;
      }
      if (!match_fields(m, a, b, "parameter")) return false;
      if (!match_opt(m, a->elem, b->elem)) {
        context(m->why, m->n, "in the result: ", "");
        return false;
      }
      return true;
    case BT_CT_INSTANCE: return match_exports(m, a, b);
    case BT_CT_COMPONENT:
      /* Imports: the actual component may need fewer; checked by name and
       * sort only (contravariant types are left to instantiation). */
      for (uint32_t i = 0; i < a->nimports; i++) {
        const bt_cextern_t *ia = &a->imports[i];
        const bt_cextern_t *ib = NULL;
        cm_burn(m->c, m->at, (uint64_t)b->nimports + 1);
        for (uint32_t k = 0; k < b->nimports && !ib; k++)
          if (strcmp(b->imports[k].name, ia->name) == 0) ib = &b->imports[k];
        if (!ib || ib->sort != ia->sort) {
          snprintf(m->why, m->n, "component imports `%s`, which the expected type does not provide",
                   ia->name);
          return false;
        }
      }
      return match_exports(m, a, b);
    default: return true; /* primitives of equal kind */
  }
}

/* Matches core module types: the actual exports what is expected and
 * imports nothing the expected type does not import. */
static bool match_module(mctx *m, const bt_cmodtype_t *a, const bt_cmodtype_t *b) {
  for (uint32_t i = 0; i < b->nexports; i++) {
    const bt_ccore_extern_t *ea = NULL;
    cm_burn(m->c, m->at, (uint64_t)a->nexports + 1);
    for (uint32_t k = 0; k < a->nexports && !ea; k++)
      if (strcmp(a->exports[k].name, b->exports[i].name) == 0) ea = &a->exports[k];
    if (!ea) {
      snprintf(m->why, m->n, "core module lacks export `%s`", b->exports[i].name);
      return false;
    }
    if (!cm_core_extern_match(ea, &b->exports[i], m->why, m->n)) {
      context(m->why, m->n, "core export `%s`: ", b->exports[i].name);
      return false;
    }
  }
  for (uint32_t i = 0; i < a->nimports; i++) {
    const bt_ccore_extern_t *ib = NULL;
    cm_burn(m->c, m->at, (uint64_t)b->nimports + 1);
    for (uint32_t k = 0; k < b->nimports && !ib; k++)
      if (strcmp(b->imports[k].module, a->imports[i].module) == 0 &&
          strcmp(b->imports[k].name, a->imports[i].name) == 0)
        ib = &b->imports[k];
    if (!ib) {
      snprintf(m->why, m->n, "core module imports `%s`.`%s`, which is not expected",
               a->imports[i].module, a->imports[i].name);
      return false;
    }
    if (!cm_core_extern_match(ib, &a->imports[i], m->why, m->n)) {
      context(m->why, m->n, "core import `%s`: ", a->imports[i].name);
      return false;
    }
  }
  return true;
}

/* Matches two items of an extern of `sort`, binding `(sub resource)` and
 * `(eq T)` declarations of the expected side in the map. */
static bool match_extern_item(mctx *m, bt_csort_t sort, const void *a, const void *b) {
  cm_burn(m->c, m->at, 1);
  switch (sort) {
    case BT_CSORT_CORE_MODULE: return match_module(m, a, b);
    case BT_CSORT_TYPE: {
      const bt_ctype_t *ta = a, *tb = b;
      /* An unbound `(sub resource)` declaration binds to what is supplied. */
      if (tb->kind == BT_CT_RESOURCE && tb->rep == 0 && !cm_map_get(m->map, tb)) {
        if (bt_ctype_unalias(ta)->kind != BT_CT_RESOURCE) {
          char sa[128];
          cm_type_str(ta, sa, sizeof sa);
          snprintf(m->why, m->n, "expected a resource type, found %s", sa);
          return false;
        }
        cm_map_put(m->c, m->map, tb, (bt_ctype_t *)ta);
        return true;
      }
      if (!match_type(m, ta, tb)) return false;
      if (tb->kind == BT_CT_ALIAS && !cm_map_get(m->map, tb))
        cm_map_put(m->c, m->map, tb, (bt_ctype_t *)ta);
      return true;
    }
    case BT_CSORT_FUNC:
    case BT_CSORT_COMPONENT:
    case BT_CSORT_INSTANCE: return match_type(m, a, b);
    default: snprintf(m->why, m->n, "%s items cannot be matched", bt_csort_name(sort)); return false;
  }
}

/* Contract in internal.h. */
bool cm_match_extern(cm_ctx *c, const uint8_t *at, bt_csort_t sort, const void *actual,
                     const void *expected, cm_map *map, char *why, size_t n) {
  mctx m = {c, at, map, why, n};
  if (n) why[0] = 0;
  return match_extern_item(&m, sort, actual, expected);
}

/* ---- substitution ---- */

typedef struct sctx {
  cm_ctx *c;
  const uint8_t *at;
  cm_map *map;
  cm_map *memo;
} sctx;

static bt_ctype_t *subst(sctx *s, bt_ctype_t *t);

/* Substitutes the types of an extern list; returns the list itself when
 * nothing changed, else a copy. */
static bt_cextern_t *subst_externs(sctx *s, bt_cextern_t *list, uint32_t n, bool *changed) {
  bt_cextern_t *out = NULL;
  for (uint32_t i = 0; i < n; i++) {
    if (!list[i].type) continue;
    bt_ctype_t *nt = subst(s, list[i].type);
    if (nt == list[i].type) continue;
    if (!out) {
      out = cm_alloc_array(s->c, n, sizeof *out);
      memcpy(out, list, (size_t)n * sizeof *out);
    }
    out[i].type = nt;
  }
  *changed = out != NULL;
  return out ? out : list;
}

/* Returns `t` rewritten through the map, sharing unchanged nodes and
 * remembering copies in the memo. Raises. */
static bt_ctype_t *subst(sctx *s, bt_ctype_t *t) {
  if (!t || t->kind <= BT_CT_STRING) return t;
  cm_burn(s->c, s->at, 1);
  bt_ctype_t *v = cm_map_get(s->map, t);
  if (v) return v;
  v = cm_map_get(s->memo, t);
  if (v) return v;
  bt_ctype_t tmp = *t;
  bool changed = false;
  switch (t->kind) {
    case BT_CT_ALIAS:
    case BT_CT_LIST:
    case BT_CT_OPTION:
    case BT_CT_OWN:
    case BT_CT_BORROW:
    case BT_CT_FUTURE:
    case BT_CT_STREAM:
      tmp.elem = subst(s, t->elem);
      changed = tmp.elem != t->elem;
      break;
    case BT_CT_MAP:
      tmp.ok = subst(s, t->ok);
      tmp.elem = subst(s, t->elem);
      changed = tmp.ok != t->ok || tmp.elem != t->elem;
      break;
    case BT_CT_RESULT:
      tmp.ok = subst(s, t->ok);
      tmp.err = subst(s, t->err);
      changed = tmp.ok != t->ok || tmp.err != t->err;
      break;
    case BT_CT_TUPLE:
      for (uint32_t i = 0; i < t->count; i++) {
        bt_ctype_t *e = subst(s, t->types[i]);
        if (e == t->types[i]) continue;
        if (!changed) {
          tmp.types = cm_alloc_array(s->c, t->count, sizeof *tmp.types);
          memcpy(tmp.types, t->types, (size_t)t->count * sizeof *tmp.types);
          changed = true;
        }
        tmp.types[i] = e;
      }
      break;
    case BT_CT_RECORD:
    case BT_CT_VARIANT:
    case BT_CT_FUNC:
      for (uint32_t i = 0; i < t->count; i++) {
        bt_ctype_t *e = subst(s, t->fields[i].type);
        if (e == t->fields[i].type) continue;
        if (!changed) {
          tmp.fields = cm_alloc_array(s->c, t->count, sizeof *tmp.fields);
          memcpy(tmp.fields, t->fields, (size_t)t->count * sizeof *tmp.fields);
          changed = true;
        }
        tmp.fields[i].type = e;
      }
      if (t->kind == BT_CT_FUNC) {
        tmp.elem = subst(s, t->elem);
        changed |= tmp.elem != t->elem;
      }
      break;
    case BT_CT_INSTANCE:
    case BT_CT_COMPONENT: {
      bool ci, ce;
      tmp.imports = subst_externs(s, t->imports, t->nimports, &ci);
      tmp.exports = subst_externs(s, t->exports, t->nexports, &ce);
      changed = ci || ce;
      break;
    }
    default: break; /* resources, enums, flags */
  }
  bt_ctype_t *out = t;
  if (changed) {
    out = cm_alloc(s->c, sizeof *out);
    *out = tmp;
    cm_type_finish(s->c, out, s->at);
  }
  cm_map_put(s->c, s->memo, t, out);
  return out;
}

/* Contract in internal.h. */
bt_ctype_t *cm_subst(cm_ctx *c, const uint8_t *at, bt_ctype_t *t, cm_map *map, cm_map *memo) {
  if (!map || map->len == 0) return t;
  sctx s = {c, at, map, memo};
  return subst(&s, t);
}

/* ---- core types ---- */

bool cm_core_functype_eq(const bt_wasm_functype_t *a, const bt_wasm_functype_t *b) {
  if (a == b) return true;
  if (!a || !b || a->nparams != b->nparams || a->nresults != b->nresults) return false;
  return (a->nparams == 0 || memcmp(a->params, b->params, a->nparams) == 0) &&
         (a->nresults == 0 || memcmp(a->results, b->results, a->nresults) == 0);
}

/* Limits subtyping: the actual range lies within the expected one. */
static bool limits_match(const bt_wasm_limits_t *a, const bt_wasm_limits_t *b) {
  if (a->min < b->min) return false;
  if (b->has_max && (!a->has_max || a->max > b->max)) return false;
  return a->shared == b->shared && a->is64 == b->is64;
}

/* Contract in internal.h. */
bool cm_core_extern_match(const bt_ccore_extern_t *a, const bt_ccore_extern_t *b, char *why,
                          size_t n) {
  if (a->kind != b->kind) {
    snprintf(why, n, "expected a %s, found a %s", cm_core_kind_name(b->kind),
             cm_core_kind_name(a->kind));
    return false;
  }
  char sa[128], sb[128];
  switch (a->kind) {
    case BT_WASM_EXTERN_FUNC:
    case BT_WASM_EXTERN_TAG:
      if (cm_core_functype_eq(a->func, b->func)) return true;
      bt_wasm_functype_str(a->func, sa, sizeof sa);
      bt_wasm_functype_str(b->func, sb, sizeof sb);
      snprintf(why, n, "function type mismatch: expected %s, found %s", sb, sa);
      return false;
    case BT_WASM_EXTERN_TABLE:
      if (a->table.elemtype == b->table.elemtype && limits_match(&a->table.limits, &b->table.limits))
        return true;
      snprintf(why, n, "table type mismatch");
      return false;
    case BT_WASM_EXTERN_MEMORY:
      if (limits_match(&a->memory, &b->memory)) return true;
      snprintf(why, n, "memory limits mismatch");
      return false;
    case BT_WASM_EXTERN_GLOBAL:
      if (a->global.valtype == b->global.valtype && a->global.mutable_ == b->global.mutable_)
        return true;
      snprintf(why, n, "global type mismatch");
      return false;
  }
  return false;
}
