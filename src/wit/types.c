/*
 * src/wit/types.c: the type model's building blocks: the primitive
 * singletons, creation of named types, interning of anonymous types (so that
 * equal structures share one pointer within a resolve), the value-position
 * rule that turns a resource reference into an own<> handle, and the small
 * read-only queries the rest of baton uses on a finished model.
 */
#include <string.h>

#include "wit/wit_internal.h"

#define PRIM(k) {.kind = (k)}
static bt_wit_type_t g_prims[] = {
    PRIM(BT_WIT_BOOL), PRIM(BT_WIT_S8),  PRIM(BT_WIT_U8),  PRIM(BT_WIT_S16),
    PRIM(BT_WIT_U16),  PRIM(BT_WIT_S32), PRIM(BT_WIT_U32), PRIM(BT_WIT_S64),
    PRIM(BT_WIT_U64),  PRIM(BT_WIT_F32), PRIM(BT_WIT_F64), PRIM(BT_WIT_CHAR),
    PRIM(BT_WIT_STRING),
};
#undef PRIM
/* error-context is a primitive in the Component Model, added after the
 * others, so its kind sits outside the BOOL..STRING range. */
static bt_wit_type_t g_error_context = {.kind = BT_WIT_ERROR_CONTEXT};

bt_wit_type_t *bt_wit_prim(bt_wit_kind_t kind) {
  if (kind == BT_WIT_ERROR_CONTEXT) return &g_error_context;
  if (kind < BT_WIT_BOOL || kind > BT_WIT_STRING) return NULL;
  return &g_prims[kind - BT_WIT_BOOL];
}

const char *bt_wit_kind_name(bt_wit_kind_t kind) {
  switch (kind) {
    case BT_WIT_BOOL: return "bool";
    case BT_WIT_S8: return "s8";
    case BT_WIT_U8: return "u8";
    case BT_WIT_S16: return "s16";
    case BT_WIT_U16: return "u16";
    case BT_WIT_S32: return "s32";
    case BT_WIT_U32: return "u32";
    case BT_WIT_S64: return "s64";
    case BT_WIT_U64: return "u64";
    case BT_WIT_F32: return "f32";
    case BT_WIT_F64: return "f64";
    case BT_WIT_CHAR: return "char";
    case BT_WIT_STRING: return "string";
    case BT_WIT_LIST: return "list";
    case BT_WIT_TUPLE: return "tuple";
    case BT_WIT_OPTION: return "option";
    case BT_WIT_RESULT: return "result";
    case BT_WIT_RECORD: return "record";
    case BT_WIT_VARIANT: return "variant";
    case BT_WIT_ENUM: return "enum";
    case BT_WIT_FLAGS: return "flags";
    case BT_WIT_RESOURCE: return "resource";
    case BT_WIT_OWN: return "own";
    case BT_WIT_BORROW: return "borrow";
    case BT_WIT_ALIAS: return "type";
    case BT_WIT_MAP: return "map";
    case BT_WIT_FUTURE: return "future";
    case BT_WIT_STREAM: return "stream";
    case BT_WIT_ERROR_CONTEXT: return "error-context";
  }
  return "?";
}

const bt_wit_type_t *bt_wit_type_unalias(const bt_wit_type_t *t) {
  while (t && t->kind == BT_WIT_ALIAS) t = t->target;
  return t;
}

bt_wit_type_t *wit_new_type(wit_ctx *c, bt_wit_kind_t kind) {
  bt_wit_type_t *t = wit_new(c, sizeof *t);
  t->kind = kind;
  t->serial_ = ++c->serial;
  return t;
}

/* ---- interning of anonymous types ---- */

/* Open-addressing set of anonymous types keyed by their shape; it lives in
 * the scratch arena for the duration of one parse. */
struct wit_intern_table {
  bt_wit_type_t **slots;
  size_t cap, len;
};
typedef struct wit_intern_table intern_table;

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  return h;
}

/* Hashes the structure of an anonymous type (kind and member pointers). */
static uint64_t hash_shape(const bt_wit_type_t *t) {
  uint64_t h = (uint64_t)t->kind;
  h = mix(h, (uint64_t)(uintptr_t)t->target);
  h = mix(h, (uint64_t)(uintptr_t)t->key);
  h = mix(h, (uint64_t)(uintptr_t)t->resource);
  h = mix(h, (uint64_t)(uintptr_t)t->ok);
  h = mix(h, (uint64_t)(uintptr_t)t->err);
  h = mix(h, (uint64_t)t->count);
  for (size_t i = 0; i < t->count && t->types; i++) h = mix(h, (uint64_t)(uintptr_t)t->types[i]);
  return h;
}

/* True when two anonymous types have the same structure. */
static bool same_shape(const bt_wit_type_t *a, const bt_wit_type_t *b) {
  if (a->kind != b->kind || a->target != b->target || a->key != b->key || a->resource != b->resource ||
      a->ok != b->ok || a->err != b->err || a->count != b->count)
    return false;
  for (size_t i = 0; i < a->count; i++)
    if (a->types[i] != b->types[i]) return false;
  return true;
}

bt_wit_type_t *wit_intern(wit_ctx *c, const bt_wit_type_t *shape) {
  intern_table *tab = c->intern;
  if (!tab) {
    tab = wit_tmp(c, sizeof *tab);
    c->intern = tab;
  }
  if ((tab->len + 1) * 2 > tab->cap) {
    size_t ncap = tab->cap ? tab->cap * 2 : 64;
    bt_wit_type_t **slots = wit_tmp(c, ncap * sizeof *slots);
    for (size_t i = 0; i < tab->cap; i++) {
      bt_wit_type_t *t = tab->slots[i];
      if (!t) continue;
      size_t j = (size_t)hash_shape(t) & (ncap - 1);
      while (slots[j]) j = (j + 1) & (ncap - 1);
      slots[j] = t;
    }
    tab->slots = slots;
    tab->cap = ncap;
  }
  size_t j = (size_t)hash_shape(shape) & (tab->cap - 1);
  while (tab->slots[j]) {
    if (same_shape(tab->slots[j], shape)) return tab->slots[j];
    j = (j + 1) & (tab->cap - 1);
  }
  bt_wit_type_t *t = wit_new_type(c, shape->kind);
  t->target = shape->target;
  t->key = shape->key;
  t->resource = shape->resource;
  t->ok = shape->ok;
  t->err = shape->err;
  t->count = shape->count;
  if (shape->count) {
    t->types = wit_new(c, shape->count * sizeof *t->types);
    memcpy(t->types, shape->types, shape->count * sizeof *t->types);
  }
  tab->slots[j] = t;
  tab->len++;
  return t;
}

bt_wit_type_t *wit_value_ref(wit_ctx *c, bt_wit_type_t *named) {
  const bt_wit_type_t *u = bt_wit_type_unalias(named);
  if (!u || u->kind != BT_WIT_RESOURCE) return named;
  bt_wit_type_t shape = {0};
  shape.kind = BT_WIT_OWN;
  shape.target = named;
  shape.resource = (bt_wit_type_t *)u;
  return wit_intern(c, &shape);
}

/* Computes whether t contains a borrow handle, without the cache. */
static bool compute_has_borrow(const bt_wit_type_t *t) {
  switch (t->kind) {
    case BT_WIT_BORROW: return true;
    case BT_WIT_LIST:
    case BT_WIT_OPTION:
    case BT_WIT_FUTURE:
    case BT_WIT_STREAM:
    case BT_WIT_ALIAS: return wit_type_has_borrow(t->target);
    case BT_WIT_MAP: return wit_type_has_borrow(t->key) || wit_type_has_borrow(t->target);
    case BT_WIT_RESULT: return wit_type_has_borrow(t->ok) || wit_type_has_borrow(t->err);
    case BT_WIT_TUPLE:
      for (size_t i = 0; i < t->count; i++)
        if (wit_type_has_borrow(t->types[i])) return true;
      return false;
    case BT_WIT_RECORD:
    case BT_WIT_VARIANT:
      for (size_t i = 0; i < t->count; i++)
        if (wit_type_has_borrow(t->fields[i].type)) return true;
      return false;
    default: return false;
  }
}

bool wit_type_has_borrow(const bt_wit_type_t *t) {
  if (!t || t->kind <= BT_WIT_STRING) return false;
  /* Memoized in the type: types form a DAG, and walking it without the
   * cache could take exponential time. The cache is a pure function of the
   * type's structure, so the cast is benign. */
  bt_wit_type_t *m = (bt_wit_type_t *)t;
  if (!m->has_borrow_) m->has_borrow_ = compute_has_borrow(t) ? 2 : 1;
  return m->has_borrow_ == 2;
}

/* ---- types baton does not support at run time ---- */

/* True when t itself (not its parts) is unsupported at run time. */
static bool unsupported_here(const bt_wit_type_t *t) {
  return t->kind == BT_WIT_MAP || t->kind == BT_WIT_FUTURE || t->kind == BT_WIT_STREAM ||
         t->kind == BT_WIT_ERROR_CONTEXT || (t->kind == BT_WIT_RECORD && t->count == 0);
}

/* Returns whether t or a part of it is unsupported, memoized in the type
 * like has_borrow_ (types form a DAG; the cache keeps the walk linear). */
static bool has_unsupported(const bt_wit_type_t *t) {
  if (!t || (t->kind <= BT_WIT_STRING && t->kind >= BT_WIT_BOOL)) return false;
  if (t->kind == BT_WIT_ERROR_CONTEXT) return true;
  bt_wit_type_t *m = (bt_wit_type_t *)t;
  if (m->unsupported_) return m->unsupported_ == 2;
  m->unsupported_ = 1; /* types are acyclic; this only guards re-entry */
  bool bad = unsupported_here(t) || has_unsupported(t->target) || has_unsupported(t->key) ||
             has_unsupported(t->ok) || has_unsupported(t->err);
  for (size_t i = 0; !bad && i < t->count; i++) {
    if (t->types) bad = has_unsupported(t->types[i]);
    else if (t->fields) bad = has_unsupported(t->fields[i].type);
  }
  m->unsupported_ = bad ? 2 : 1;
  return bad;
}

const bt_wit_type_t *bt_wit_type_unsupported(const bt_wit_type_t *t) {
  /* Descend through the parts that contain one until t is the culprit. */
  while (t && has_unsupported(t) && !unsupported_here(t)) {
    const bt_wit_type_t *parts[4] = {t->target, t->key, t->ok, t->err};
    const bt_wit_type_t *next = NULL;
    for (int i = 0; i < 4 && !next; i++)
      if (has_unsupported(parts[i])) next = parts[i];
    for (size_t i = 0; !next && i < t->count; i++) {
      const bt_wit_type_t *p = t->types ? t->types[i] : t->fields ? t->fields[i].type : NULL;
      if (has_unsupported(p)) next = p;
    }
    t = next;
  }
  return t && has_unsupported(t) ? t : NULL;
}

const bt_wit_type_t *bt_wit_function_unsupported(const bt_wit_function_t *f) {
  if (!f) return NULL;
  for (size_t i = 0; i < f->param_count; i++) {
    const bt_wit_type_t *u = bt_wit_type_unsupported(f->params[i].type);
    if (u) return u;
  }
  return bt_wit_type_unsupported(f->result);
}

/* ---- queries on a finished model ---- */

bt_wit_type_t *bt_wit_interface_type(const bt_wit_interface_t *iface, const char *name) {
  if (!iface || !name) return NULL;
  for (size_t i = 0; i < iface->type_count; i++)
    if (strcmp(iface->types[i]->name, name) == 0) return iface->types[i];
  return NULL;
}

bt_wit_function_t *bt_wit_interface_function(const bt_wit_interface_t *iface, const char *name) {
  if (!iface || !name) return NULL;
  for (size_t i = 0; i < iface->function_count; i++)
    if (strcmp(iface->functions[i]->name, name) == 0) return iface->functions[i];
  return NULL;
}

static const bt_wit_world_item_t *find_item(const bt_wit_world_item_t *items, size_t n,
                                            const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < n; i++)
    if (strcmp(items[i].name, name) == 0) return &items[i];
  return NULL;
}

const bt_wit_world_item_t *bt_wit_world_import(const bt_wit_world_t *world, const char *name) {
  return world ? find_item(world->imports, world->import_count, name) : NULL;
}

const bt_wit_world_item_t *bt_wit_world_export(const bt_wit_world_t *world, const char *name) {
  return world ? find_item(world->exports, world->export_count, name) : NULL;
}

/* ---- string-keyed maps for resolution (scratch arena) ---- */

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

void *wit_map_get(const wit_map *m, const char *key) {
  if (!m->cap) return NULL;
  size_t j = (size_t)hash_str(key) & (m->cap - 1);
  while (m->keys[j]) {
    if (strcmp(m->keys[j], key) == 0) return m->vals[j];
    j = (j + 1) & (m->cap - 1);
  }
  return NULL;
}

void wit_map_put(wit_ctx *c, wit_map *m, const char *key, void *val) {
  if ((m->len + 1) * 2 > m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 16;
    const char **keys = wit_tmp(c, ncap * sizeof *keys);
    void **vals = wit_tmp(c, ncap * sizeof *vals);
    for (size_t i = 0; i < m->cap; i++) {
      if (!m->keys[i]) continue;
      size_t j = (size_t)hash_str(m->keys[i]) & (ncap - 1);
      while (keys[j]) j = (j + 1) & (ncap - 1);
      keys[j] = m->keys[i];
      vals[j] = m->vals[i];
    }
    m->keys = keys;
    m->vals = vals;
    m->cap = ncap;
  }
  size_t j = (size_t)hash_str(key) & (m->cap - 1);
  while (m->keys[j]) {
    if (strcmp(m->keys[j], key) == 0) {
      m->vals[j] = val;
      return;
    }
    j = (j + 1) & (m->cap - 1);
  }
  m->keys[j] = key;
  m->vals[j] = val;
  m->len++;
}
