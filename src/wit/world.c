/*
 * src/wit/world.c: finishing worlds: `include` flattening and elaboration.
 *
 * include: every import and export of the included (already finished) world
 * is copied in. Items keyed by an interface merge with an existing copy;
 * plain-named items are renamed by `with { a as b }` (which also renames a
 * resource's functions) and must not collide with an existing name, even
 * one differing only in case. Types
 * and inline interfaces owned by the included world are cloned so that the
 * including world owns its own copies, as in wit-parser.
 *
 * elaboration: a world must list every interface its items depend on
 * through `use`. Each imported interface (and each `use`d type) first pulls
 * in its dependencies as imports; each exported interface pulls in its
 * dependencies as exports when the world exports them and as imports
 * otherwise, and it is an error for an interface to be needed both ways.
 * Finally imports are ordered by class (interfaces, `use`d types, other
 * types, functions, resource functions), keeping source order within a
 * class. This is the order wasm-tools prints and encodes.
 */
#include <string.h>
#include <strings.h>

#include "wit/wit_internal.h"

void wit_items_push(wit_ctx *c, wit_itemvec *v, bt_wit_world_item_t item) {
  WIT_PUSH(c, &c->tmp, v->items, v->len, v->cap, item);
}

/* ---- pointer map for cloning ---- */

typedef struct ptr_map {
  const void **keys;
  void **vals;
  size_t cap, len;
} ptr_map;

static size_t ptr_hash(const void *p, size_t cap) {
  uintptr_t x = (uintptr_t)p;
  x ^= x >> 17;
  x *= 0x9E3779B97F4A7C15ull;
  return (size_t)(x >> 7) & (cap - 1);
}

static void *pm_get(const ptr_map *m, const void *k) {
  if (!m->cap) return NULL;
  for (size_t j = ptr_hash(k, m->cap); m->keys[j]; j = (j + 1) & (m->cap - 1))
    if (m->keys[j] == k) return m->vals[j];
  return NULL;
}

static void pm_put(wit_ctx *c, ptr_map *m, const void *k, void *v) {
  if ((m->len + 1) * 2 > m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 16;
    const void **keys = wit_tmp(c, ncap * sizeof *keys);
    void **vals = wit_tmp(c, ncap * sizeof *vals);
    for (size_t i = 0; i < m->cap; i++) {
      if (!m->keys[i]) continue;
      size_t j = ptr_hash(m->keys[i], ncap);
      while (keys[j]) j = (j + 1) & (ncap - 1);
      keys[j] = m->keys[i];
      vals[j] = m->vals[i];
    }
    m->keys = keys;
    m->vals = vals;
    m->cap = ncap;
  }
  size_t j = ptr_hash(k, m->cap);
  while (m->keys[j] && m->keys[j] != k) j = (j + 1) & (m->cap - 1);
  if (!m->keys[j]) m->len++;
  m->keys[j] = k;
  m->vals[j] = v;
}

/* ---- cloning world-owned items ---- */

typedef struct cloner {
  wit_ctx *c;
  ptr_map *map; /* old type -> new type, shared by nested cloners */
  bt_wit_world_t *from_world, *to_world;
  bt_wit_interface_t *from_iface, *to_iface;
  bt_wit_package_t *package;
} cloner;

/* True when `t` belongs to the world or interface being copied. */
static bool owned_by_source(const cloner *cl, const bt_wit_type_t *t) {
  if (cl->from_world) return t->owner_kind == BT_WIT_OWNER_WORLD && t->world == cl->from_world;
  return t->owner_kind == BT_WIT_OWNER_INTERFACE && t->interface == cl->from_iface;
}

/* Returns the copy of `t` for the destination owner: types owned by the
 * source are copied (once), anonymous types are re-interned when a part
 * changed, and everything else is shared. Raises on out-of-memory. */
static bt_wit_type_t *clone_type(cloner *cl, bt_wit_type_t *t) {
  if (!t || t->kind <= BT_WIT_STRING || t->kind == BT_WIT_ERROR_CONTEXT) return t;
  bt_wit_type_t *done = pm_get(cl->map, t);
  if (done) return done;
  if (t->name && owned_by_source(cl, t)) {
    bt_wit_type_t *n = wit_new_type(cl->c, t->kind);
    uint32_t serial = n->serial_;
    *n = *t;
    n->serial_ = serial;
    n->world = cl->to_world;
    n->interface = cl->to_iface;
    pm_put(cl->c, cl->map, t, n);
    n->target = clone_type(cl, t->target);
    n->key = clone_type(cl, t->key);
    n->resource = clone_type(cl, t->resource);
    n->ok = clone_type(cl, t->ok);
    n->err = clone_type(cl, t->err);
    if (t->count && t->fields) {
      n->fields = wit_new(cl->c, t->count * sizeof *n->fields);
      for (size_t i = 0; i < t->count; i++) {
        n->fields[i] = t->fields[i];
        n->fields[i].type = clone_type(cl, t->fields[i].type);
      }
    }
    return n;
  }
  if (t->name) return t;
  bt_wit_type_t shape = *t;
  bool changed = false;
  shape.target = clone_type(cl, t->target);
  shape.key = clone_type(cl, t->key);
  shape.resource = clone_type(cl, t->resource);
  shape.ok = clone_type(cl, t->ok);
  shape.err = clone_type(cl, t->err);
  changed = shape.target != t->target || shape.key != t->key || shape.resource != t->resource ||
            shape.ok != t->ok || shape.err != t->err;
  if (t->count && t->types) {
    shape.types = wit_tmp(cl->c, t->count * sizeof *shape.types);
    for (size_t i = 0; i < t->count; i++) {
      shape.types[i] = clone_type(cl, t->types[i]);
      if (shape.types[i] != t->types[i]) changed = true;
    }
  }
  bt_wit_type_t *n = changed ? wit_intern(cl->c, &shape) : t;
  pm_put(cl->c, cl->map, t, n);
  return n;
}

/* Copies a function, mapping the types it refers to through the cloner. */
static bt_wit_function_t *clone_function(cloner *cl, const bt_wit_function_t *f) {
  bt_wit_function_t *n = wit_new(cl->c, sizeof *n);
  *n = *f;
  n->resource = clone_type(cl, f->resource);
  if (f->param_count) {
    n->params = wit_new(cl->c, f->param_count * sizeof *n->params);
    for (size_t i = 0; i < f->param_count; i++) {
      n->params[i] = f->params[i];
      n->params[i].type = clone_type(cl, f->params[i].type);
    }
  }
  n->result = clone_type(cl, f->result);
  return n;
}

/* Copies an inline interface (and the types it owns) for the destination. */
static bt_wit_interface_t *clone_interface(cloner *outer, const bt_wit_interface_t *iface) {
  wit_ctx *c = outer->c;
  bt_wit_interface_t *n = wit_new(c, sizeof *n);
  *n = *iface;
  n->package = outer->package;
  cloner cl = {c, outer->map, NULL, NULL, (bt_wit_interface_t *)iface, n, outer->package};
  if (iface->type_count) {
    n->types = wit_new(c, iface->type_count * sizeof *n->types);
    for (size_t i = 0; i < iface->type_count; i++) n->types[i] = clone_type(&cl, iface->types[i]);
  }
  if (iface->function_count) {
    n->functions = wit_new(c, iface->function_count * sizeof *n->functions);
    for (size_t i = 0; i < iface->function_count; i++)
      n->functions[i] = clone_function(&cl, iface->functions[i]);
  }
  return n;
}

/* Applies one `with { name as new }` entry to an item name: the name itself,
 * or the resource part of "[method]r.m", "[static]r.s", "[constructor]r".
 * Returns the new name in the output arena, or NULL when it does not apply. */
static const char *rename_with(wit_ctx *c, const char *orig, const ast_include_name *w) {
  if (strcmp(orig, w->name.s) == 0) return wit_strn(c, w->as.s, strlen(w->as.s));
  if (orig[0] != '[') return NULL;
  const char *close = strchr(orig, ']');
  if (!close) return NULL;
  const char *rest = close + 1;
  const char *dot = strchr(rest, '.');
  size_t kind_len = (size_t)(rest - orig);
  if (dot && (size_t)(dot - rest) == strlen(w->name.s) && strncmp(rest, w->name.s, (size_t)(dot - rest)) == 0)
    return wit_fmt(c, "%.*s%s%s", (int)kind_len, orig, w->as.s, dot);
  if (strcmp(rest, w->name.s) == 0) return wit_fmt(c, "%.*s%s", (int)kind_len, orig, w->as.s);
  return NULL;
}

/* Applies the first matching `with` entry of an include to a name. */
static const char *rename_item(wit_ctx *c, const char *orig, const wit_include *inc) {
  for (size_t i = 0; i < inc->nwith; i++) {
    const char *n = rename_with(c, orig, &inc->with[i]);
    if (n) return n;
  }
  return orig;
}

static bool has_interface(const wit_itemvec *v, const bt_wit_interface_t *iface) {
  for (size_t i = 0; i < v->len; i++)
    if (v->items[i].by_interface && v->items[i].interface == iface) return true;
  return false;
}

static const bt_wit_world_item_t *find_named(const wit_itemvec *v, const char *name) {
  for (size_t i = 0; i < v->len; i++)
    if (!v->items[i].by_interface && strcmp(v->items[i].name, name) == 0) return &v->items[i];
  return NULL;
}

/* Copies the items of one list of the included world into `dst`. */
static void include_items(cloner *cl, const wit_include *inc, const bt_wit_world_item_t *items,
                          size_t n, wit_itemvec *dst, const char *desc) {
  wit_ctx *c = cl->c;
  for (size_t i = 0; i < n; i++) {
    bt_wit_world_item_t it = items[i];
    if (it.by_interface) {
      if (!has_interface(dst, it.interface)) wit_items_push(c, dst, it);
      continue;
    }
    const char *name = rename_item(c, it.name, inc);
    switch (it.kind) {
      case BT_WIT_ITEM_TYPE: {
        bt_wit_type_t *t = clone_type(cl, it.type);
        if (t != it.type) t->name = name;
        it.type = t;
        break;
      }
      case BT_WIT_ITEM_FUNCTION: {
        bt_wit_function_t *f = clone_function(cl, it.function);
        f->name = name;
        if (f->kind == BT_WIT_FUNC_FREESTANDING) {
          f->item_name = name;
        } else if (f->kind == BT_WIT_FUNC_CONSTRUCTOR) {
          const char *close = strchr(name, ']');
          f->item_name = close ? close + 1 : name;
        }
        it.function = f;
        break;
      }
      case BT_WIT_ITEM_INTERFACE:
        if (!it.interface->name) it.interface = clone_interface(cl, it.interface);
        break;
    }
    it.name = name;
    if (find_named(dst, name))
      wit_fail(c, inc->span,
               "`include %s` brings in %s `%s`, which conflicts with an existing %s of that "
               "name (rename it with `with { %s as ... }`)",
               inc->world->name, desc, name, desc, items[i].name);
    for (size_t k = 0; k < dst->len; k++)
      if (!dst->items[k].by_interface && strcasecmp(dst->items[k].name, name) == 0)
        wit_fail(c, inc->span,
                 "`include %s` brings in %s `%s`, which conflicts with %s `%s` (names are "
                 "case-insensitive)",
                 inc->world->name, desc, name, desc, dst->items[k].name);
    wit_items_push(c, dst, it);
  }
}

/* Applies one include to world `w`. Raises on an unknown `with` name or a
 * name collision. */
static void apply_include(wit_ctx *c, bt_wit_world_t *w, wit_world_info *info,
                          const wit_include *inc) {
  const bt_wit_world_t *from = inc->world;
  for (size_t k = 0; k < inc->nwith; k++) {
    bool found = false;
    for (size_t i = 0; i < from->import_count && !found; i++)
      found = !from->imports[i].by_interface && rename_with(c, from->imports[i].name, &inc->with[k]);
    for (size_t i = 0; i < from->export_count && !found; i++)
      found = !from->exports[i].by_interface && rename_with(c, from->exports[i].name, &inc->with[k]);
    if (!found)
      wit_fail(c, inc->with[k].name.span,
               "`with` renames `%s`, but world `%s` has no import or export with that plain name",
               inc->with[k].name.s, from->name);
  }
  ptr_map map = {0};
  cloner cl = {c, &map, (bt_wit_world_t *)from, w, NULL, NULL, w->package};
  include_items(&cl, inc, from->imports, from->import_count, &info->imports, "import");
  include_items(&cl, inc, from->exports, from->export_count, &info->exports, "export");
}

/* ---- elaboration ---- */

/* The interface a `use`-alias type pulls in, or NULL. */
static bt_wit_interface_t *type_dep(const bt_wit_type_t *t) {
  if (t->kind != BT_WIT_ALIAS || !t->target) return NULL;
  const bt_wit_type_t *o = t->target;
  if (o->owner_kind != BT_WIT_OWNER_INTERFACE) return NULL;
  if (t->owner_kind == BT_WIT_OWNER_INTERFACE && t->interface == o->interface) return NULL;
  return o->interface;
}

/* Returns the ordering class of an import: 0 interfaces, 1 `use`d types,
 * 2 other types, 3 functions, 4 resource functions. */
static int item_class(const bt_wit_world_item_t *it) {
  switch (it->kind) {
    case BT_WIT_ITEM_INTERFACE: return 0;
    case BT_WIT_ITEM_TYPE: {
      const bt_wit_type_t *t = it->type;
      const bt_wit_type_t *o = t->kind == BT_WIT_ALIAS ? t->target : NULL;
      if (o && o->name && o->owner_kind != BT_WIT_OWNER_NONE &&
          !(o->owner_kind == t->owner_kind && o->world == t->world && o->interface == t->interface))
        return 1;
      return 2;
    }
    case BT_WIT_ITEM_FUNCTION: return it->function->kind == BT_WIT_FUNC_FREESTANDING ? 3 : 4;
  }
  return 4;
}

/* Stable partition of items by class. */
static void sort_by_class(wit_ctx *c, wit_itemvec *v) {
  if (v->len < 2) return;
  bt_wit_world_item_t *out = wit_tmp(c, v->len * sizeof *out);
  size_t k = 0;
  for (int cls = 0; cls <= 4; cls++)
    for (size_t i = 0; i < v->len; i++)
      if (item_class(&v->items[i]) == cls) out[k++] = v->items[i];
  memcpy(v->items, out, v->len * sizeof *out);
}

/* True when a list holds an item with the same key (interface or name). */
static bool has_key(const wit_itemvec *v, const bt_wit_world_item_t *key) {
  if (key->by_interface) return has_interface(v, key->interface);
  return find_named(v, key->name) != NULL;
}

/* Builds the item for an interface pulled in as a dependency. */
static bt_wit_world_item_t dep_item(bt_wit_interface_t *dep, bt_wit_stability_t stability) {
  bt_wit_world_item_t it;
  memset(&it, 0, sizeof it);
  it.kind = BT_WIT_ITEM_INTERFACE;
  it.by_interface = true;
  it.interface = dep;
  it.name = dep->qualified_name;
  it.stability = stability;
  return it;
}

/* Adds an interface import after (recursively) the interfaces it uses. */
static void elab_import(wit_ctx *c, wit_itemvec *imports, const bt_wit_world_item_t *item) {
  if (has_key(imports, item)) return;
  const bt_wit_interface_t *iface = item->interface;
  for (size_t i = 0; i < iface->type_count; i++) {
    bt_wit_interface_t *dep = type_dep(iface->types[i]);
    if (!dep) continue;
    bt_wit_world_item_t d = dep_item(dep, item->stability);
    elab_import(c, imports, &d);
  }
  wit_items_push(c, imports, *item);
}

typedef struct export_state {
  wit_ctx *c;
  wit_itemvec *imports, *exports;
  const wit_itemvec *export_ifaces;
  ptr_map required; /* interfaces that must be imported */
} export_state;

/* Adds an exported interface, or an import of one of its dependencies when
 * `add` is false. Returns false when an interface would be needed both as
 * an import and as an export. */
static bool add_export(export_state *es, const bt_wit_world_item_t *item, bool add) {
  if (has_key(es->exports, item)) return add;
  bt_wit_interface_t *iface = item->interface;
  if (!add && pm_get(&es->required, iface)) return true;
  for (size_t i = 0; i < iface->type_count; i++) {
    bt_wit_interface_t *dep = type_dep(iface->types[i]);
    if (!dep) continue;
    bt_wit_world_item_t d = dep_item(dep, item->stability);
    bool dep_add = add && has_key(es->export_ifaces, &d);
    if (!add_export(es, &d, dep_add)) return false;
  }
  if (add) {
    if (pm_get(&es->required, iface)) return false;
    wit_items_push(es->c, es->exports, *item);
  } else {
    pm_put(es->c, &es->required, iface, iface);
    if (!has_key(es->imports, item)) wit_items_push(es->c, es->imports, *item);
  }
  return true;
}

/* Elaborates a world in place (see the file comment). Raises when an export
 * needs one of its dependencies both imported and exported. */
static void elaborate(wit_ctx *c, bt_wit_world_t *w, wit_world_info *info) {
  sort_by_class(c, &info->imports);
  wit_itemvec imports = {0}, exports = {0}, export_ifaces = {0};
  for (size_t i = 0; i < info->imports.len; i++) {
    const bt_wit_world_item_t *it = &info->imports.items[i];
    if (it->kind == BT_WIT_ITEM_INTERFACE) {
      elab_import(c, &imports, it);
      continue;
    }
    if (it->kind == BT_WIT_ITEM_TYPE) {
      bt_wit_interface_t *dep = type_dep(it->type);
      if (dep) {
        bt_wit_world_item_t d = dep_item(dep, it->type->stability);
        elab_import(c, &imports, &d);
      }
    }
    wit_items_push(c, &imports, *it);
  }
  for (size_t i = 0; i < info->exports.len; i++) {
    const bt_wit_world_item_t *it = &info->exports.items[i];
    if (it->kind == BT_WIT_ITEM_INTERFACE) wit_items_push(c, &export_ifaces, *it);
    else wit_items_push(c, &exports, *it);
  }
  export_state es = {c, &imports, &exports, &export_ifaces, {0}};
  for (size_t i = 0; i < export_ifaces.len; i++) {
    const bt_wit_world_item_t *it = &export_ifaces.items[i];
    if (!add_export(&es, it, true))
      wit_fail(c, info->span,
               "world `%s` cannot export `%s`: it transitively depends on an interface that "
               "would have to be both imported and exported (export that dependency as well)",
               w->name, it->name);
  }
  sort_by_class(c, &imports);
  info->imports = imports;
  info->exports = exports;
}

void wit_world_finish(wit_ctx *c, bt_wit_world_t *w) {
  wit_world_info *info = w->internal_;
  for (size_t i = 0; i < info->nincs; i++) apply_include(c, w, info, &info->incs[i]);
  elaborate(c, w, info);
  w->import_count = info->imports.len;
  w->export_count = info->exports.len;
  if (w->import_count) {
    w->imports = wit_new(c, w->import_count * sizeof *w->imports);
    memcpy(w->imports, info->imports.items, w->import_count * sizeof *w->imports);
  }
  if (w->export_count) {
    w->exports = wit_new(c, w->export_count * sizeof *w->exports);
    memcpy(w->exports, info->exports.items, w->export_count * sizeof *w->exports);
  }
}
