/*
 * src/wit/resolve.c: name resolution, from syntax trees to the type model.
 *
 * Packages are resolved one at a time, dependencies first (see
 * resolve_groups below for the order, which matches wit-parser's so that
 * printed output is identical). Within a package:
 *
 *   1. Interface and world names are collected; duplicates are errors, and
 *      each file additionally gets its own scope that top-level `use`
 *      statements add aliases to.
 *   2. Interfaces and worlds are ordered topologically by the `use` and
 *      `include` edges between them, preferring source order among
 *      independent items (a cycle is an error).
 *   3. Each interface is resolved: `use`d names become ALIAS types, type
 *      definitions are resolved in dependency order (undefined names and
 *      recursive types are errors), then functions.
 *   4. Each world is resolved likewise; its includes are recorded.
 *   5. Feature gates are applied: items behind a disabled @unstable feature
 *      are dropped, and ungated items that refer to them are errors.
 *   6. Each world is finished (world.c): includes flattened, elaborated.
 *
 * All scratch state lives in the context's scratch arena.
 */
#include <string.h>
#include <strings.h>

#include "wit/wit_internal.h"

/* ---- scopes: the names visible inside one interface or world ---- */

typedef struct scope_entry {
  const char *name;
  bt_wit_type_t *type; /* NULL for a function name */
  wit_span span;
} scope_entry;

typedef struct scope {
  wit_map map;
  scope_entry **order;
  size_t n, cap;
  bt_wit_owner_kind_t owner_kind;
  bt_wit_interface_t *iface;
  bt_wit_world_t *world;
} scope;

typedef struct iface_info {
  scope names;
  wit_span span;
} iface_info;

/* ---- package-level state ---- */

typedef struct item_ref {
  ast_item_kind kind; /* AK_INTERFACE or AK_WORLD */
  const char *name;
  wit_span span;
  ast_interface *ast_i;
  ast_world *ast_w;
  size_t decl;
  bt_wit_interface_t *iface;
  bt_wit_world_t *world;
  ast_id *dep_ids; /* names this item depends on (use / include) */
  size_t ndeps, capdeps;
} item_ref;

typedef struct file_entry {
  item_ref *local;              /* a package item (possibly renamed by use) */
  bt_wit_interface_t *foreign;  /* a top-level `use` of another package */
  wit_span span;
} file_entry;

typedef struct resolver {
  wit_ctx *c;
  const char **all_ids; /* every package of this parse, for messages */
  size_t nall;
  wit_map packages; /* id -> bt_wit_package_t*, resolved so far */
  bt_wit_package_t **order;
  size_t norder, caporder;
} resolver;

typedef struct pkg_state {
  resolver *r;
  wit_ctx *c;
  wit_unpkg *up;
  bt_wit_package_t *pkg;
  item_ref **items; /* source order */
  size_t nitems, capitems;
  wit_map by_name;
  wit_map *file_scopes; /* one per decl list */
  size_t cur_decl;
} pkg_state;

static const char *out_str(wit_ctx *c, const char *s) {
  return s ? wit_strn(c, s, strlen(s)) : NULL;
}

static bool feature_enabled(wit_ctx *c, const char *feature) {
  const bt_wit_options_t *o = c->opts;
  if (!o) return false;
  if (o->all_features) return true;
  for (size_t i = 0; i < o->feature_count; i++)
    if (o->features[i] && strcmp(o->features[i], feature) == 0) return true;
  return false;
}

static bool is_excluded(wit_ctx *c, const bt_wit_stability_t *s) {
  return s->kind == BT_WIT_STABILITY_UNSTABLE && !feature_enabled(c, s->feature);
}

/* Converts parsed attributes into a stability, copying strings into the
 * output arena, and checks @since against the package version: the package
 * must have a version, and it must not be older than the gate. Raises. */
static bt_wit_stability_t stab(pkg_state *st, const ast_attrs *a) {
  bt_wit_stability_t s = {0};
  if (a->has_since) {
    s.kind = BT_WIT_STABILITY_STABLE;
    s.since = out_str(st->c, a->since.text);
    const ast_pkg_name *pn = &st->up->name;
    if (!pn->has_version)
      wit_fail(st->c, a->since_span,
               "`@since` needs a versioned package, but package `%s` has no version", st->up->id);
    if (wit_version_cmp(&a->since, &pn->version) > 0)
      wit_fail(st->c, a->since_span,
               "`@since(version = %s)` is newer than the package's own version (`%s`)",
               a->since.text, st->up->id);
  } else if (a->has_unstable) {
    s.kind = BT_WIT_STABILITY_UNSTABLE;
    s.feature = out_str(st->c, a->feature.s);
  }
  if (a->has_deprecated) s.deprecated = out_str(st->c, a->deprecated.text);
  return s;
}

static void scope_init(scope *sc, bt_wit_owner_kind_t kind, bt_wit_interface_t *iface,
                       bt_wit_world_t *world) {
  memset(sc, 0, sizeof *sc);
  sc->owner_kind = kind;
  sc->iface = iface;
  sc->world = world;
}

/* Adds a name to a scope; a second definition is an error pointing at both. */
static void scope_define(pkg_state *st, scope *sc, const char *name, bt_wit_type_t *type,
                         wit_span span) {
  scope_entry *prev = wit_map_get(&sc->map, name);
  if (prev)
    wit_fail_note(st->c, span, prev->span, "first defined here",
                  "name `%s` is defined more than once", name);
  scope_entry *e = wit_tmp(st->c, sizeof *e);
  e->name = name;
  e->type = type;
  e->span = span;
  wit_map_put(st->c, &sc->map, name, e);
  WIT_PUSH(st->c, &st->c->tmp, sc->order, sc->n, sc->cap, e);
}

static void set_owner(scope *sc, bt_wit_type_t *t) {
  t->owner_kind = sc->owner_kind;
  t->interface = sc->iface;
  t->world = sc->world;
}

/* ---- looking up interfaces and worlds by path ---- */

static const char *path_pkg_id(wit_ctx *c, const ast_path *p) {
  size_t n = strlen(p->ns.s) + strlen(p->pkg.s) + 2 + (p->has_version ? strlen(p->version.text) + 1 : 0);
  char *s = wit_tmp(c, n + 1);
  if (p->has_version) snprintf(s, n + 1, "%s:%s@%s", p->ns.s, p->pkg.s, p->version.text);
  else snprintf(s, n + 1, "%s:%s", p->ns.s, p->pkg.s);
  return s;
}

/* Finds the resolved package a foreign path names, raising "unknown
 * package" (with the list of known packages) when there is none. */
static bt_wit_package_t *path_package(pkg_state *st, const ast_path *p) {
  const char *id = path_pkg_id(st->c, p);
  bt_wit_package_t *pkg = wit_map_get(&st->r->packages, id);
  if (pkg) return pkg;
  resolver *r = st->r;
  size_t len = 1, nknown = 0;
  for (size_t i = 0; i < r->nall; i++) len += strlen(r->all_ids[i]) + 2;
  char *known = wit_tmp(st->c, len);
  known[0] = 0;
  for (size_t i = 0; i < r->nall; i++) {
    if (r->all_ids[i] == st->up->id) continue;
    if (nknown++) strcat(known, ", ");
    strcat(known, r->all_ids[i]);
  }
  if (nknown)
    wit_fail(st->c, p->pkg_span, "unknown package `%s` (known packages: %s)", id, known);
  wit_fail(st->c, p->pkg_span,
           "unknown package `%s` (no dependency packages were found; put them in `deps/` or in "
           "nested `package` blocks)",
           id);
}

/* Finds the interface a foreign path names. Raises when the package or the
 * interface does not exist. */
static bt_wit_interface_t *foreign_interface(pkg_state *st, const ast_path *p) {
  bt_wit_package_t *pkg = path_package(st, p);
  for (size_t i = 0; i < pkg->interface_count; i++)
    if (strcmp(pkg->interfaces[i]->name, p->name.s) == 0) return pkg->interfaces[i];
  wit_fail(st->c, p->name.span, "package `%s` has no interface named `%s`", pkg->id, p->name.s);
}

static bt_wit_world_t *foreign_world(pkg_state *st, const ast_path *p) {
  bt_wit_package_t *pkg = path_package(st, p);
  for (size_t i = 0; i < pkg->world_count; i++)
    if (strcmp(pkg->worlds[i]->name, p->name.s) == 0) return pkg->worlds[i];
  wit_fail(st->c, p->name.span, "package `%s` has no world named `%s`", pkg->id, p->name.s);
}

/* Looks a local name up in the current file's scope, then the package. */
static void local_lookup(pkg_state *st, const ast_id *id, const char *expected,
                         bt_wit_interface_t **iface, bt_wit_world_t **world) {
  *iface = NULL;
  *world = NULL;
  file_entry *fe = wit_map_get(&st->file_scopes[st->cur_decl], id->s);
  item_ref *it = NULL;
  if (fe) {
    if (fe->foreign) {
      *iface = fe->foreign;
      return;
    }
    it = fe->local;
  } else {
    it = wit_map_get(&st->by_name, id->s);
  }
  if (!it) wit_fail(st->c, id->span, "undefined %s `%s`", expected, id->s);
  *iface = it->iface;
  *world = it->world;
}

/* Resolves a path that must name an interface (local or foreign). Raises. */
static bt_wit_interface_t *path_to_interface(pkg_state *st, const ast_path *p) {
  if (p->foreign) return foreign_interface(st, p);
  bt_wit_interface_t *iface;
  bt_wit_world_t *world;
  local_lookup(st, &p->name, "interface", &iface, &world);
  if (!iface) wit_fail(st->c, p->name.span, "`%s` is a world, not an interface", p->name.s);
  return iface;
}

/* Resolves a path that must name a world (local or foreign). Raises. */
static bt_wit_world_t *path_to_world(pkg_state *st, const ast_path *p) {
  if (p->foreign) return foreign_world(st, p);
  bt_wit_interface_t *iface;
  bt_wit_world_t *world;
  local_lookup(st, &p->name, "world", &iface, &world);
  if (!world) wit_fail(st->c, p->name.span, "`%s` is an interface, not a world", p->name.s);
  return world;
}

/* ---- types ---- */

static bt_wit_type_t *lookup_type(pkg_state *st, scope *sc, const ast_id *id) {
  scope_entry *e = wit_map_get(&sc->map, id->s);
  if (!e) wit_fail(st->c, id->span, "undefined type `%s`", id->s);
  if (!e->type) wit_fail(st->c, id->span, "`%s` is a function, not a type", id->s);
  return e->type;
}

static bt_wit_type_t *resolve_value_type(pkg_state *st, scope *sc, const ast_type *a);

/* Resolves `own<r>` / `borrow<r>`: r must name a resource (or an alias of
 * one). Raises. */
static bt_wit_type_t *resolve_handle(pkg_state *st, scope *sc, bt_wit_kind_t kind,
                                     const ast_id *id) {
  bt_wit_type_t *named = lookup_type(st, sc, id);
  const bt_wit_type_t *u = bt_wit_type_unalias(named);
  if (!u || u->kind != BT_WIT_RESOURCE)
    wit_fail(st->c, id->span, "`%s<%s>` needs a resource, but `%s` is %s %s",
             kind == BT_WIT_OWN ? "own" : "borrow", id->s, id->s,
             u && (u->kind == BT_WIT_ENUM || u->kind == BT_WIT_ALIAS) ? "an" : "a",
             u ? bt_wit_kind_name(u->kind) : "type");
  bt_wit_type_t shape = {0};
  shape.kind = kind;
  shape.target = named;
  shape.resource = (bt_wit_type_t *)u;
  return wit_intern(st->c, &shape);
}

/* Resolves a type in value position (a field, parameter, payload...), where
 * a resource name denotes an own<> handle. Raises on undefined names. */
static bt_wit_type_t *resolve_value_type(pkg_state *st, scope *sc, const ast_type *a) {
  bt_wit_type_t shape = {0};
  switch (a->kind) {
    case AT_PRIM: return bt_wit_prim(a->prim);
    case AT_NAME: return wit_value_ref(st->c, lookup_type(st, sc, &a->name));
    case AT_LIST:
    case AT_OPTION:
      shape.kind = a->kind == AT_LIST ? BT_WIT_LIST : BT_WIT_OPTION;
      shape.target = resolve_value_type(st, sc, a->a);
      return wit_intern(st->c, &shape);
    case AT_RESULT:
      shape.kind = BT_WIT_RESULT;
      if (a->a) shape.ok = resolve_value_type(st, sc, a->a);
      if (a->b) shape.err = resolve_value_type(st, sc, a->b);
      return wit_intern(st->c, &shape);
    case AT_TUPLE:
      if (a->nitems == 0)
        wit_fail(st->c, a->span, "`tuple<>` must have at least one element type");
      shape.kind = BT_WIT_TUPLE;
      shape.count = a->nitems;
      if (a->nitems) shape.types = wit_tmp(st->c, a->nitems * sizeof *shape.types);
      for (size_t i = 0; i < a->nitems; i++) shape.types[i] = resolve_value_type(st, sc, a->items[i]);
      return wit_intern(st->c, &shape);
    case AT_OWN: return resolve_handle(st, sc, BT_WIT_OWN, &a->name);
    case AT_BORROW: return resolve_handle(st, sc, BT_WIT_BORROW, &a->name);
    case AT_MAP: {
      shape.kind = BT_WIT_MAP;
      shape.key = resolve_value_type(st, sc, a->a);
      shape.target = resolve_value_type(st, sc, a->b);
      /* As wit-parser: a primitive other than a float, written directly. */
      bt_wit_kind_t k = shape.key->kind;
      if (k < BT_WIT_BOOL || k > BT_WIT_STRING || k == BT_WIT_F32 || k == BT_WIT_F64)
        wit_fail(st->c, a->span,
                 "invalid map key type: map keys must be bool, u8, u16, u32, u64, s8, s16, s32, "
                 "s64, char, or string");
      return wit_intern(st->c, &shape);
    }
    case AT_FUTURE:
    case AT_STREAM:
      shape.kind = a->kind == AT_FUTURE ? BT_WIT_FUTURE : BT_WIT_STREAM;
      if (a->a) shape.target = resolve_value_type(st, sc, a->a);
      return wit_intern(st->c, &shape);
  }
  wit_fail(st->c, a->span, "internal error: unknown type syntax");
}

/* Appends the names a type expression refers to. */
static void collect_deps(wit_ctx *c, const ast_type *a, ast_id **deps, size_t *n, size_t *cap) {
  if (!a) return;
  switch (a->kind) {
    case AT_NAME:
    case AT_OWN:
    case AT_BORROW: WIT_PUSH(c, &c->tmp, *deps, *n, *cap, a->name); break;
    case AT_LIST:
    case AT_OPTION:
    case AT_RESULT:
    case AT_MAP:
    case AT_FUTURE:
    case AT_STREAM:
      collect_deps(c, a->a, deps, n, cap);
      collect_deps(c, a->b, deps, n, cap);
      break;
    case AT_TUPLE:
      for (size_t i = 0; i < a->nitems; i++) collect_deps(c, a->items[i], deps, n, cap);
      break;
    case AT_PRIM: break;
  }
}

/* A node for topological sorting: dependencies are indices of other nodes,
 * with the referencing identifiers kept for cycle messages. */
typedef struct topo_node {
  size_t *deps;
  ast_id *dep_ids;
  size_t ndeps;
  size_t remaining;
  size_t *rdeps;
  size_t nrdeps, caprdeps;
} topo_node;

/* Orders nodes so that every node comes after its dependencies, choosing
 * the smallest index among the ready nodes each time (a stable order that
 * follows the source where the graph allows). Returns the order, or NULL on
 * a cycle with *cyc_node / *cyc_dep naming an edge on it. Raises on OOM. */
static size_t *toposort(wit_ctx *c, topo_node *nodes, size_t n, size_t *cyc_node,
                        size_t *cyc_dep) {
  for (size_t i = 0; i < n; i++) {
    nodes[i].remaining = nodes[i].ndeps;
    for (size_t k = 0; k < nodes[i].ndeps; k++) {
      topo_node *d = &nodes[nodes[i].deps[k]];
      WIT_PUSH(c, &c->tmp, d->rdeps, d->nrdeps, d->caprdeps, i);
    }
  }
  size_t *heap = wit_tmp(c, (n + 1) * sizeof *heap);
  size_t hn = 0;
  size_t *order = wit_tmp(c, (n + 1) * sizeof *order);
  size_t on = 0;
#define HEAP_PUSH(v)                                         \
  do {                                                       \
    size_t k_ = hn++;                                        \
    heap[k_] = (v);                                          \
    while (k_ > 0 && heap[(k_ - 1) / 2] > heap[k_]) {        \
      size_t p_ = (k_ - 1) / 2, t_ = heap[p_];               \
      heap[p_] = heap[k_];                                   \
      heap[k_] = t_;                                         \
      k_ = p_;                                               \
    }                                                        \
  } while (0)
  for (size_t i = 0; i < n; i++)
    if (nodes[i].remaining == 0) HEAP_PUSH(i);
  while (hn > 0) {
    size_t top = heap[0];
    heap[0] = heap[--hn];
    size_t k = 0;
    for (;;) {
      size_t l = 2 * k + 1, r = l + 1, m = k;
      if (l < hn && heap[l] < heap[m]) m = l;
      if (r < hn && heap[r] < heap[m]) m = r;
      if (m == k) break;
      size_t t = heap[m];
      heap[m] = heap[k];
      heap[k] = t;
      k = m;
    }
    order[on++] = top;
    for (size_t j = 0; j < nodes[top].nrdeps; j++) {
      size_t d = nodes[top].rdeps[j];
      if (--nodes[d].remaining == 0) HEAP_PUSH(d);
    }
  }
#undef HEAP_PUSH
  if (on == n) return order;
  for (size_t i = 0; i < n; i++) {
    if (nodes[i].remaining == 0) continue;
    for (size_t k = 0; k < nodes[i].ndeps; k++) {
      if (nodes[nodes[i].deps[k]].remaining == 0) continue;
      *cyc_node = i;
      *cyc_dep = k;
      return NULL;
    }
  }
  *cyc_node = 0;
  *cyc_dep = 0;
  return NULL;
}

/* Resolves one `use path.{names}` into ALIAS types in the scope. Raises. */
static void resolve_use(pkg_state *st, scope *sc, const ast_use *u) {
  bt_wit_interface_t *from = path_to_interface(st, &u->from);
  iface_info *info = from->internal_;
  bool foreign = from->package != st->pkg;
  bt_wit_stability_t s = stab(st, &u->attrs);
  for (size_t i = 0; i < u->nnames; i++) {
    const ast_use_name *n = &u->names[i];
    scope_entry *e = info ? wit_map_get(&info->names.map, n->name.s) : NULL;
    if (e && !e->type)
      wit_fail(st->c, n->name.span,
               "`%s` is a function of interface `%s`; `use` can only import types", n->name.s,
               from->name ? from->name : "?");
    if (!e || (foreign && e->type->excluded_))
      wit_fail(st->c, n->name.span, "interface `%s` has no type named `%s`",
               from->qualified_name ? from->qualified_name : "?", n->name.s);
    const ast_id *as = n->as.s ? &n->as : &n->name;
    bt_wit_type_t *t = wit_new_type(st->c, BT_WIT_ALIAS);
    t->name = out_str(st->c, as->s);
    set_owner(sc, t);
    t->target = e->type;
    t->stability = s;
    t->loc = wit_loc(st->c, n->name.span);
    wit_set_src(t->src_, n->name.span);
    scope_define(st, sc, t->name, t, as->span);
  }
}

/* Checks that the names in a member list are distinct. Raises. */
static void check_members_unique(pkg_state *st, const ast_typedef *d, const char *what) {
  wit_map seen = {0};
  for (size_t i = 0; i < d->nmembers; i++) {
    const ast_member *m = &d->members[i];
    const ast_member *prev = wit_map_get(&seen, m->name.s);
    if (prev)
      wit_fail_note(st->c, m->name.span, prev->name.span, "first defined here",
                    "%s `%s` is defined more than once in `%s`", what, m->name.s, d->name.s);
    wit_map_put(st->c, &seen, m->name.s, (void *)m);
  }
}

/* Resolves a type definition into a new named type owned by the scope. */
static bt_wit_type_t *resolve_typedef(pkg_state *st, scope *sc, const ast_typedef *d) {
  bt_wit_type_t *t = wit_new_type(st->c, BT_WIT_ALIAS);
  t->name = out_str(st->c, d->name.s);
  set_owner(sc, t);
  t->docs = out_str(st->c, d->docs);
  t->stability = stab(st, &d->attrs);
  t->loc = wit_loc(st->c, d->name.span);
  wit_set_src(t->src_, d->name.span);
  switch (d->kind) {
    case AD_ALIAS:
      t->kind = BT_WIT_ALIAS;
      /* `type a = b` names b itself: a resource stays a resource here. */
      if (d->alias->kind == AT_NAME) t->target = lookup_type(st, sc, &d->alias->name);
      else t->target = resolve_value_type(st, sc, d->alias);
      break;
    case AD_RECORD:
    case AD_VARIANT:
    case AD_ENUM:
    case AD_FLAGS: {
      static const bt_wit_kind_t kinds[] = {[AD_RECORD] = BT_WIT_RECORD,
                                            [AD_VARIANT] = BT_WIT_VARIANT,
                                            [AD_ENUM] = BT_WIT_ENUM,
                                            [AD_FLAGS] = BT_WIT_FLAGS};
      static const char *const what[] = {[AD_RECORD] = "field", [AD_VARIANT] = "case",
                                         [AD_ENUM] = "case", [AD_FLAGS] = "flag"};
      t->kind = kinds[d->kind];
      check_members_unique(st, d, what[d->kind]);
      /* The Component Model (unlike WIT's grammar) requires at least one
       * field or flag, and at most 32 flags. wasm-tools' WIT parser accepts
       * a record without fields (only its binary encoding is refused), so
       * baton does too and refuses it where values are laid out. */
      if (d->nmembers == 0 && d->kind == AD_FLAGS)
        wit_fail(st->c, d->name.span, "%s `%s` must have at least one %s",
                 d->kind == AD_RECORD ? "record" : "flags", d->name.s, what[d->kind]);
      if (d->kind == AD_FLAGS && d->nmembers > 32)
        wit_fail(st->c, d->members[32].name.span,
                 "flags `%s` has %zu flags, but at most 32 are allowed", d->name.s, d->nmembers);
      t->count = d->nmembers;
      if (d->nmembers) t->fields = wit_new(st->c, d->nmembers * sizeof *t->fields);
      for (size_t i = 0; i < d->nmembers; i++) {
        t->fields[i].name = out_str(st->c, d->members[i].name.s);
        t->fields[i].docs = out_str(st->c, d->members[i].docs);
        if (d->members[i].type)
          t->fields[i].type = resolve_value_type(st, sc, d->members[i].type);
      }
      break;
    }
    case AD_RESOURCE: {
      t->kind = BT_WIT_RESOURCE;
      wit_map seen = {0};
      const ast_func *ctor = NULL;
      for (size_t i = 0; i < d->nfuncs; i++) {
        const ast_func *f = &d->funcs[i];
        if (f->kind == AF_CONSTRUCTOR) {
          if (ctor)
            wit_fail_note(st->c, f->span, ctor->span, "first constructor here",
                          "resource `%s` has more than one constructor", d->name.s);
          ctor = f;
          continue;
        }
        const ast_func *prev = wit_map_get(&seen, f->name.s);
        if (prev)
          wit_fail_note(st->c, f->name.span, prev->name.span, "first defined here",
                        "resource `%s` defines function `%s` more than once", d->name.s,
                        f->name.s);
        wit_map_put(st->c, &seen, f->name.s, (void *)f);
      }
      break;
    }
  }
  return t;
}

/* A `use` or type definition inside an interface or world, in source order. */
typedef struct titem {
  const ast_use *use;
  const ast_typedef *def;
} titem;

/* Resolves all `use`s and type definitions of one interface or world: uses
 * first, then definitions in dependency order. Raises on duplicates,
 * undefined names and cycles. */
static void resolve_types(pkg_state *st, scope *sc, const titem *items, size_t n) {
  wit_ctx *c = st->c;
  for (size_t i = 0; i < n; i++)
    if (items[i].use) resolve_use(st, sc, items[i].use);
  /* Nodes: every use-introduced name (no dependencies) and every definition. */
  size_t nn = 0;
  for (size_t i = 0; i < n; i++) nn += items[i].use ? items[i].use->nnames : 1;
  topo_node *nodes = wit_tmp(c, (nn + 1) * sizeof *nodes);
  const ast_typedef **defs = wit_tmp(c, (nn + 1) * sizeof *defs);
  wit_map index = {0};
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (items[i].use) {
      for (size_t j = 0; j < items[i].use->nnames; j++) {
        const ast_use_name *un = &items[i].use->names[j];
        const ast_id *as = un->as.s ? &un->as : &un->name;
        defs[k] = NULL;
        wit_map_put(c, &index, as->s, (void *)(uintptr_t)(k + 1));
        k++;
      }
      continue;
    }
    const ast_typedef *d = items[i].def;
    scope_entry *prev_use = wit_map_get(&sc->map, d->name.s);
    if (prev_use)
      wit_fail_note(c, d->name.span, prev_use->span, "first defined here",
                    "name `%s` is defined more than once", d->name.s);
    uintptr_t prev = (uintptr_t)wit_map_get(&index, d->name.s);
    if (prev)
      wit_fail_note(c, d->name.span, defs[prev - 1]->name.span, "first defined here",
                    "name `%s` is defined more than once", d->name.s);
    defs[k] = d;
    wit_map_put(c, &index, d->name.s, (void *)(uintptr_t)(k + 1));
    k++;
  }
  for (size_t i = 0; i < nn; i++) {
    const ast_typedef *d = defs[i];
    if (!d) continue;
    ast_id *ids = NULL;
    size_t nids = 0, cap = 0;
    if (d->kind == AD_ALIAS) collect_deps(c, d->alias, &ids, &nids, &cap);
    for (size_t m = 0; m < d->nmembers; m++) collect_deps(c, d->members[m].type, &ids, &nids, &cap);
    nodes[i].dep_ids = ids;
    nodes[i].ndeps = nids;
    nodes[i].deps = wit_tmp(c, (nids + 1) * sizeof(size_t));
    for (size_t m = 0; m < nids; m++) {
      uintptr_t at = (uintptr_t)wit_map_get(&index, ids[m].s);
      if (!at) {
        scope_entry *e = wit_map_get(&sc->map, ids[m].s);
        if (e && !e->type) wit_fail(c, ids[m].span, "`%s` is a function, not a type", ids[m].s);
        wit_fail(c, ids[m].span, "undefined type `%s`", ids[m].s);
      }
      nodes[i].deps[m] = at - 1;
    }
  }
  size_t cn = 0, cd = 0;
  size_t *order = toposort(c, nodes, nn, &cn, &cd);
  if (!order) {
    const ast_id *id = &nodes[cn].dep_ids[cd];
    wit_fail(c, id->span, "type `%s` refers to itself (types cannot be recursive)", id->s);
  }
  for (size_t i = 0; i < nn; i++) {
    const ast_typedef *d = defs[order[i]];
    if (!d) continue;
    bt_wit_type_t *t = resolve_typedef(st, sc, d);
    scope_define(st, sc, t->name, t, d->name.span);
  }
}

/* ---- functions ---- */

/* Resolves a function. For resource functions `res` is the resource type
 * and `res_name` its name; methods get a leading `self: borrow<res>`.
 * Raises on duplicate parameters, a malformed constructor result, or a
 * result containing a borrow handle. */
static bt_wit_function_t *resolve_function(pkg_state *st, scope *sc, const ast_func *f,
                                           bt_wit_type_t *res, const char *res_name) {
  wit_ctx *c = st->c;
  bt_wit_function_t *fn = wit_new(c, sizeof *fn);
  switch (f->kind) {
    case AF_FREESTANDING:
      fn->kind = BT_WIT_FUNC_FREESTANDING;
      fn->name = out_str(c, f->name.s);
      fn->item_name = fn->name;
      break;
    case AF_METHOD:
      fn->kind = BT_WIT_FUNC_METHOD;
      fn->name = wit_fmt(c, "[method]%s.%s", res_name, f->name.s);
      fn->item_name = out_str(c, f->name.s);
      break;
    case AF_STATIC:
      fn->kind = BT_WIT_FUNC_STATIC;
      fn->name = wit_fmt(c, "[static]%s.%s", res_name, f->name.s);
      fn->item_name = out_str(c, f->name.s);
      break;
    case AF_CONSTRUCTOR:
      fn->kind = BT_WIT_FUNC_CONSTRUCTOR;
      fn->name = wit_fmt(c, "[constructor]%s", res_name);
      fn->item_name = out_str(c, res_name);
      break;
  }
  fn->resource = res;
  fn->is_async = f->is_async;
  fn->docs = out_str(c, f->docs);
  fn->stability = stab(st, &f->attrs);
  fn->loc = wit_loc(c, f->name.span);
  wit_set_src(fn->src_, f->name.span);
  size_t extra = f->kind == AF_METHOD ? 1 : 0;
  fn->param_count = f->nparams + extra;
  if (fn->param_count) fn->params = wit_new(c, fn->param_count * sizeof *fn->params);
  if (extra) {
    bt_wit_type_t shape = {0};
    shape.kind = BT_WIT_BORROW;
    shape.target = res;
    shape.resource = res;
    fn->params[0].name = "self";
    fn->params[0].type = wit_intern(c, &shape);
  }
  for (size_t i = 0; i < f->nparams; i++) {
    const ast_param *p = &f->params[i];
    for (size_t j = 0; j < i + extra; j++)
      if (strcmp(fn->params[j].name, p->name.s) == 0)
        wit_fail(c, p->name.span, "parameter `%s` is defined more than once", p->name.s);
    fn->params[i + extra].name = out_str(c, p->name.s);
    fn->params[i + extra].type = resolve_value_type(st, sc, p->type);
  }
  if (f->kind == AF_CONSTRUCTOR) {
    if (!f->result) {
      fn->result = wit_value_ref(c, res);
    } else {
      bt_wit_type_t *r = resolve_value_type(st, sc, f->result);
      if (r->kind != BT_WIT_RESULT)
        wit_fail(c, f->result->span,
                 "a constructor's declared result must be `result<%s, E>` (or be omitted)",
                 res_name);
      if (!r->ok || r->ok->kind != BT_WIT_OWN || r->ok->target != res) {
        wit_span sp = f->result->a ? f->result->a->span : f->result->span;
        wit_fail(c, sp, "the `ok` type of a constructor's result must be the resource `%s`",
                 res_name);
      }
      fn->result = r;
    }
  } else if (f->result) {
    fn->result = resolve_value_type(st, sc, f->result);
  }
  if (fn->result && wit_type_has_borrow(fn->result))
    wit_fail(c, f->name.span,
             "function `%s` returns a `borrow<...>` handle; borrows may only appear in "
             "parameters",
             f->kind == AF_CONSTRUCTOR ? res_name : f->name.s);
  return fn;
}

/* ---- interfaces ---- */

/* Resolves the items of an interface (named or inline) into `iface`. */
static void resolve_interface(pkg_state *st, bt_wit_interface_t *iface, const ast_interface *ai) {
  wit_ctx *c = st->c;
  iface_info *info = wit_tmp(c, sizeof *info);
  iface->internal_ = info;
  scope_init(&info->names, BT_WIT_OWNER_INTERFACE, iface, NULL);
  iface->docs = out_str(c, ai->docs);
  iface->stability = stab(st, &ai->attrs);
  titem *items = wit_tmp(c, (ai->nitems + 1) * sizeof *items);
  size_t n = 0;
  for (size_t i = 0; i < ai->nitems; i++) {
    if (ai->items[i].kind == AI_USE) items[n++].use = ai->items[i].use;
    else if (ai->items[i].kind == AI_TYPE) items[n++].def = ai->items[i].type;
  }
  resolve_types(st, &info->names, items, n);
  iface->type_count = info->names.n;
  if (iface->type_count) iface->types = wit_new(c, iface->type_count * sizeof *iface->types);
  for (size_t i = 0; i < info->names.n; i++) iface->types[i] = info->names.order[i]->type;

  bt_wit_function_t **funcs = NULL;
  size_t nf = 0, capf = 0;
  for (size_t i = 0; i < ai->nitems; i++) {
    const ast_iface_item *it = &ai->items[i];
    if (it->kind == AI_FUNC) {
      const ast_func *f = it->func;
      scope_define(st, &info->names, f->name.s, NULL, f->name.span);
      bt_wit_function_t *fn = resolve_function(st, &info->names, f, NULL, NULL);
      WIT_PUSH(c, &c->tmp, funcs, nf, capf, fn);
    } else if (it->kind == AI_TYPE && it->type->kind == AD_RESOURCE) {
      scope_entry *e = wit_map_get(&info->names.map, it->type->name.s);
      for (size_t k = 0; k < it->type->nfuncs; k++) {
        bt_wit_function_t *fn =
            resolve_function(st, &info->names, &it->type->funcs[k], e->type, it->type->name.s);
        WIT_PUSH(c, &c->tmp, funcs, nf, capf, fn);
      }
    }
  }
  iface->function_count = nf;
  if (nf) {
    iface->functions = wit_new(c, nf * sizeof *funcs);
    memcpy(iface->functions, funcs, nf * sizeof *funcs);
  }
}

/* ---- worlds ---- */

static const char *item_desc(const bt_wit_world_item_t *it) {
  switch (it->kind) {
    case BT_WIT_ITEM_INTERFACE: return "interface";
    case BT_WIT_ITEM_FUNCTION: return "function";
    case BT_WIT_ITEM_TYPE: return "type";
  }
  return "item";
}

/* Adds an import or export, rejecting a second item with the same key. */
static void add_world_item(pkg_state *st, wit_itemvec *v, bt_wit_world_item_t it, wit_span sp,
                           const char *desc) {
  for (size_t i = 0; i < v->len; i++) {
    bt_wit_world_item_t *o = &v->items[i];
    if (it.by_interface && o->by_interface && o->interface == it.interface)
      wit_fail(st->c, sp, "interface `%s` is %sed more than once", it.name, desc);
    if (!it.by_interface && !o->by_interface && strcmp(o->name, it.name) == 0)
      wit_fail(st->c, sp, "%s `%s` conflicts with an earlier %s of the same name", desc, it.name,
               item_desc(o));
  }
  for (size_t i = 0; i < v->len; i++) {
    bt_wit_world_item_t *o = &v->items[i];
    if (!it.by_interface && !o->by_interface && strcasecmp(o->name, it.name) == 0)
      wit_fail(st->c, sp, "%s `%s` conflicts with %s `%s` (names are case-insensitive)", desc,
               it.name, desc, o->name);
  }
  wit_items_push(st->c, v, it);
}

/* Resolves a world's own items: types and `use`s, includes (recorded for
 * wit_world_finish), imports and exports. */
static void resolve_world(pkg_state *st, bt_wit_world_t *w, const ast_world *aw) {
  wit_ctx *c = st->c;
  wit_world_info *info = w->internal_;
  w->docs = out_str(c, aw->docs);
  w->stability = stab(st, &aw->attrs);
  scope sc;
  scope_init(&sc, BT_WIT_OWNER_WORLD, NULL, w);
  titem *items = wit_tmp(c, (aw->nitems + 1) * sizeof *items);
  size_t n = 0;
  for (size_t i = 0; i < aw->nitems; i++) {
    if (aw->items[i].kind == AW_USE) items[n++].use = aw->items[i].use;
    else if (aw->items[i].kind == AW_TYPE) items[n++].def = aw->items[i].type;
  }
  resolve_types(st, &sc, items, n);
  for (size_t i = 0; i < aw->nitems; i++) {
    const ast_world_item *it = &aw->items[i];
    if (it->kind != AW_INCLUDE) continue;
    wit_include inc;
    memset(&inc, 0, sizeof inc);
    inc.world = path_to_world(st, &it->path);
    inc.with = it->with;
    inc.nwith = it->nwith;
    inc.span = it->path.span;
    inc.stability = stab(st, &it->attrs);
    WIT_PUSH(c, &c->tmp, info->incs, info->nincs, info->capincs, inc);
  }
  for (size_t i = 0; i < sc.n; i++) {
    bt_wit_world_item_t wi;
    memset(&wi, 0, sizeof wi);
    wi.kind = BT_WIT_ITEM_TYPE;
    wi.name = sc.order[i]->type->name;
    wi.type = sc.order[i]->type;
    wi.stability = wi.type->stability;
    add_world_item(st, &info->imports, wi, sc.order[i]->span, "import");
  }
  for (size_t i = 0; i < aw->nitems; i++) {
    const ast_world_item *it = &aw->items[i];
    if (it->kind == AW_TYPE && it->type->kind == AD_RESOURCE) {
      scope_entry *e = wit_map_get(&sc.map, it->type->name.s);
      for (size_t k = 0; k < it->type->nfuncs; k++) {
        bt_wit_world_item_t wi;
        memset(&wi, 0, sizeof wi);
        wi.kind = BT_WIT_ITEM_FUNCTION;
        wi.function = resolve_function(st, &sc, &it->type->funcs[k], e->type, it->type->name.s);
        wi.name = wi.function->name;
        wi.stability = wi.function->stability;
        add_world_item(st, &info->imports, wi, it->type->funcs[k].name.span, "import");
      }
      continue;
    }
    if (it->kind != AW_IMPORT && it->kind != AW_EXPORT) continue;
    const char *desc = it->kind == AW_IMPORT ? "import" : "export";
    wit_itemvec *dst = it->kind == AW_IMPORT ? &info->imports : &info->exports;
    bt_wit_world_item_t wi;
    memset(&wi, 0, sizeof wi);
    wit_span sp = it->span;
    switch (it->ext) {
      case AE_PATH:
        wi.kind = BT_WIT_ITEM_INTERFACE;
        wi.interface = path_to_interface(st, &it->path);
        wi.by_interface = true;
        wi.name = wi.interface->qualified_name;
        wi.docs = out_str(c, it->docs);
        wi.stability = stab(st, &it->attrs);
        sp = it->path.span;
        break;
      case AE_FUNC:
        wi.kind = BT_WIT_ITEM_FUNCTION;
        wi.function = resolve_function(st, &sc, it->func, NULL, NULL);
        wi.name = wi.function->name;
        wi.stability = wi.function->stability;
        sp = it->label.span;
        break;
      case AE_INTERFACE: {
        bt_wit_interface_t *iface = wit_new(c, sizeof *iface);
        iface->package = st->pkg;
        iface->loc = wit_loc(c, it->label.span);
        resolve_interface(st, iface, it->iface);
        ((iface_info *)iface->internal_)->span = it->label.span;
        wi.kind = BT_WIT_ITEM_INTERFACE;
        wi.interface = iface;
        wi.name = out_str(c, it->label.s);
        wi.stability = iface->stability;
        sp = it->label.span;
        break;
      }
    }
    add_world_item(st, dst, wi, sp, desc);
  }
}

/* ---- feature gates ---- */

/* Raises when an ungated item refers to a type excluded by a disabled
 * feature, following anonymous types down to named ones. */
static void check_ref(pkg_state *st, const bt_wit_type_t *t, wit_span from, const char *what) {
  if (!t || t->kind <= BT_WIT_STRING || t->kind == BT_WIT_ERROR_CONTEXT) return;
  if (t->name) {
    if (t->excluded_)
      wit_fail(st->c, from,
               "%s refers to type `%s`, which is excluded because feature `%s` is not enabled",
               what, t->name, t->stability.feature);
    return;
  }
  check_ref(st, t->target, from, what);
  check_ref(st, t->key, from, what);
  check_ref(st, t->ok, from, what);
  check_ref(st, t->err, from, what);
  for (size_t i = 0; i < t->count && t->types; i++) check_ref(st, t->types[i], from, what);
}

/* Checks every type a named type refers to (see check_ref). */
static void check_type_refs(pkg_state *st, const bt_wit_type_t *t) {
  wit_span sp = wit_src(t->src_);
  char *what = wit_fmt(st->c, "type `%s`", t->name);
  check_ref(st, t->target, sp, what);
  for (size_t i = 0; i < t->count && t->fields; i++) check_ref(st, t->fields[i].type, sp, what);
}

/* Checks every type a function refers to (see check_ref). */
static void check_func_refs(pkg_state *st, const bt_wit_function_t *f) {
  wit_span sp = wit_src(f->src_);
  char *what = wit_fmt(st->c, "function `%s`", f->name);
  check_ref(st, f->resource, sp, what);
  for (size_t i = 0; i < f->param_count; i++) check_ref(st, f->params[i].type, sp, what);
  check_ref(st, f->result, sp, what);
}

/* Applies feature gates to an interface: marks excluded members, checks the
 * members that remain, and drops the excluded ones. `ex` tells whether the
 * interface itself is excluded (then every member must be gated too). */
static void gate_interface(pkg_state *st, bt_wit_interface_t *iface, bool ex) {
  wit_ctx *c = st->c;
  iface->excluded_ = ex;
  for (size_t i = 0; i < iface->type_count; i++) {
    bt_wit_type_t *t = iface->types[i];
    t->excluded_ = is_excluded(c, &t->stability);
    if (ex && !t->excluded_)
      wit_fail(c, wit_src(t->src_),
               "type `%s` is not gated, but its interface is excluded because feature `%s` is "
               "not enabled",
               t->name, iface->stability.feature);
  }
  for (size_t i = 0; i < iface->function_count; i++)
    iface->functions[i]->excluded_ = ex || is_excluded(c, &iface->functions[i]->stability);
  if (ex) return;
  size_t k = 0;
  for (size_t i = 0; i < iface->type_count; i++) {
    bt_wit_type_t *t = iface->types[i];
    if (t->excluded_) continue;
    check_type_refs(st, t);
    iface->types[k++] = t;
  }
  iface->type_count = k;
  k = 0;
  for (size_t i = 0; i < iface->function_count; i++) {
    bt_wit_function_t *f = iface->functions[i];
    if (f->excluded_) continue;
    check_func_refs(st, f);
    iface->functions[k++] = f;
  }
  iface->function_count = k;
}

/* Applies feature gates to a world's items and includes. */
static void gate_world(pkg_state *st, bt_wit_world_t *w, bool ex) {
  wit_ctx *c = st->c;
  wit_world_info *info = w->internal_;
  w->excluded_ = ex;
  for (size_t i = 0; i < info->imports.len; i++) {
    bt_wit_world_item_t *it = &info->imports.items[i];
    if (it->kind != BT_WIT_ITEM_TYPE) continue;
    it->type->excluded_ = is_excluded(c, &it->type->stability);
    if (ex && !it->type->excluded_)
      wit_fail(c, wit_src(it->type->src_),
               "type `%s` is not gated, but its world is excluded because feature `%s` is not "
               "enabled",
               it->type->name, w->stability.feature);
  }
  if (ex) return;
  wit_itemvec *lists[2] = {&info->imports, &info->exports};
  for (int l = 0; l < 2; l++) {
    wit_itemvec *v = lists[l];
    size_t k = 0;
    for (size_t i = 0; i < v->len; i++) {
      bt_wit_world_item_t *it = &v->items[i];
      if (is_excluded(c, &it->stability)) continue;
      switch (it->kind) {
        case BT_WIT_ITEM_TYPE: check_type_refs(st, it->type); break;
        case BT_WIT_ITEM_FUNCTION: check_func_refs(st, it->function); break;
        case BT_WIT_ITEM_INTERFACE:
          if (!it->interface->name) {
            gate_interface(st, it->interface, false);
          } else if (it->interface->excluded_) {
            wit_fail(c, ((wit_world_info *)w->internal_)->span,
                     "world `%s` uses interface `%s` without a gate, but the interface is "
                     "excluded because feature `%s` is not enabled",
                     w->name, it->interface->name, it->interface->stability.feature);
          }
          break;
      }
      v->items[k++] = *it;
    }
    v->len = k;
  }
  size_t k = 0;
  for (size_t i = 0; i < info->nincs; i++) {
    wit_include *inc = &info->incs[i];
    if (is_excluded(c, &inc->stability)) continue;
    if (inc->world->excluded_)
      wit_fail(c, inc->span,
               "`include` of world `%s`, which is excluded because feature `%s` is not enabled",
               inc->world->name, inc->world->stability.feature);
    info->incs[k++] = *inc;
  }
  info->nincs = k;
}

/* ---- packages ---- */

/* Records a top-level package item, rejecting duplicates within the package. */
static item_ref *add_item(pkg_state *st, ast_item_kind kind, const ast_id *name, size_t decl) {
  item_ref *prev = wit_map_get(&st->by_name, name->s);
  if (prev)
    wit_fail_note(st->c, name->span, prev->span, "first defined here",
                  "package `%s` defines `%s` more than once", st->up->id, name->s);
  item_ref *it = wit_tmp(st->c, sizeof *it);
  it->kind = kind;
  it->name = name->s;
  it->span = name->span;
  it->decl = decl;
  wit_map_put(st->c, &st->by_name, name->s, it);
  WIT_PUSH(st->c, &st->c->tmp, st->items, st->nitems, st->capitems, it);
  return it;
}

/* Records that item `it` names the local item `id` (through `use` or
 * `include`); dep_target later decides whether that is an edge. */
static void add_dep(pkg_state *st, item_ref *it, const ast_id *id) {
  WIT_PUSH(st->c, &st->c->tmp, it->dep_ids, it->ndeps, it->capdeps, *id);
}

/* Maps a dependency name to the package item it denotes in the file `dl`
 * (following a top-level `use` of a local item); NULL when it is a foreign
 * alias. Raises when the name is undefined. */
static item_ref *dep_target(pkg_state *st, const ast_id *id, const ast_decls *dl,
                            const char *expected) {
  for (size_t i = 0; i < dl->nitems; i++) {
    const ast_item *x = &dl->items[i];
    if (x->kind != AK_USE) continue;
    const ast_id *nm = x->use->as.s ? &x->use->as : &x->use->path.name;
    if (strcmp(nm->s, id->s) != 0) continue;
    if (x->use->path.foreign) return NULL;
    item_ref *t = wit_map_get(&st->by_name, x->use->path.name.s);
    if (!t) wit_fail(st->c, x->use->path.name.span, "undefined %s `%s`", expected, x->use->path.name.s);
    return t;
  }
  item_ref *t = wit_map_get(&st->by_name, id->s);
  if (!t) wit_fail(st->c, id->span, "undefined %s `%s`", expected, id->s);
  return t;
}

/* Creates the output package object for an unresolved package. */
static bt_wit_package_t *new_package(wit_ctx *c, wit_unpkg *up) {
  bt_wit_package_t *pkg = wit_new(c, sizeof *pkg);
  pkg->namespace_ = out_str(c, up->name.ns.s);
  pkg->name = out_str(c, up->name.name.s);
  pkg->has_version = up->name.has_version;
  if (pkg->has_version) {
    pkg->version = up->name.version;
    pkg->version.pre = out_str(c, up->name.version.pre);
    pkg->version.build = out_str(c, up->name.version.build);
    pkg->version.text = out_str(c, up->name.version.text);
  }
  pkg->id = out_str(c, up->id);
  pkg->docs = out_str(c, up->docs);
  pkg->loc = wit_loc(c, up->name.span);
  return pkg;
}

/* Resolves one package whose dependencies are all resolved. */
static void resolve_package(resolver *r, wit_unpkg *up) {
  wit_ctx *c = r->c;
  pkg_state st;
  memset(&st, 0, sizeof st);
  st.r = r;
  st.c = c;
  st.up = up;
  st.pkg = up->out = new_package(c, up);

  /* 1. Package items and per-file scopes. */
  for (size_t d = 0; d < up->ndecls; d++) {
    const ast_decls *dl = &up->decls[d];
    for (size_t i = 0; i < dl->nitems; i++) {
      const ast_item *x = &dl->items[i];
      if (x->kind == AK_INTERFACE) add_item(&st, AK_INTERFACE, &x->iface->name, d)->ast_i = x->iface;
      else if (x->kind == AK_WORLD) add_item(&st, AK_WORLD, &x->world->name, d)->ast_w = x->world;
    }
  }
  st.file_scopes = wit_tmp(c, (up->ndecls + 1) * sizeof *st.file_scopes);
  for (size_t d = 0; d < up->ndecls; d++) {
    const ast_decls *dl = &up->decls[d];
    wit_map seen = {0};
    for (size_t i = 0; i < dl->nitems; i++) {
      const ast_item *x = &dl->items[i];
      const ast_id *nm = x->kind == AK_INTERFACE ? &x->iface->name
                         : x->kind == AK_WORLD   ? &x->world->name
                         : x->use->as.s          ? &x->use->as
                                                 : &x->use->path.name;
      const ast_id *prev = wit_map_get(&seen, nm->s);
      if (prev)
        wit_fail_note(c, nm->span, prev->span, "first defined here",
                      "name `%s` is defined more than once in this file", nm->s);
      wit_map_put(c, &seen, nm->s, (void *)nm);
    }
  }

  /* 2. Dependency edges and topological order. */
  for (size_t i = 0; i < st.nitems; i++) {
    item_ref *it = st.items[i];
    if (it->ast_i) {
      for (size_t k = 0; k < it->ast_i->nitems; k++) {
        const ast_iface_item *x = &it->ast_i->items[k];
        if (x->kind == AI_USE && !x->use->from.foreign) add_dep(&st, it, &x->use->from.name);
      }
    } else {
      for (size_t k = 0; k < it->ast_w->nitems; k++) {
        const ast_world_item *x = &it->ast_w->items[k];
        if (x->kind == AW_INCLUDE && !x->path.foreign) add_dep(&st, it, &x->path.name);
      }
    }
  }
  topo_node *nodes = wit_tmp(c, (st.nitems + 1) * sizeof *nodes);
  wit_map index = {0};
  for (size_t i = 0; i < st.nitems; i++) wit_map_put(c, &index, st.items[i]->name, (void *)(uintptr_t)(i + 1));
  for (size_t i = 0; i < st.nitems; i++) {
    item_ref *it = st.items[i];
    nodes[i].dep_ids = it->dep_ids;
    nodes[i].deps = wit_tmp(c, (it->ndeps + 1) * sizeof(size_t));
    for (size_t k = 0; k < it->ndeps; k++) {
      item_ref *t = dep_target(&st, &it->dep_ids[k], &up->decls[it->decl],
                               it->ast_i ? "interface" : "world");
      if (!t) continue; /* a foreign alias: not an edge */
      nodes[i].deps[nodes[i].ndeps] = (uintptr_t)wit_map_get(&index, t->name) - 1;
      nodes[i].dep_ids[nodes[i].ndeps] = it->dep_ids[k];
      nodes[i].ndeps++;
    }
  }
  size_t cn = 0, cd = 0;
  size_t *order = toposort(c, nodes, st.nitems, &cn, &cd);
  if (!order) {
    const ast_id *id = &nodes[cn].dep_ids[cd];
    wit_fail(c, id->span, "`%s` depends on itself through a cycle of `use`/`include` statements",
             id->s);
  }

  /* Create the interfaces and worlds in that order. */
  for (size_t i = 0; i < st.nitems; i++) {
    item_ref *it = st.items[order[i]];
    if (it->kind == AK_INTERFACE) {
      bt_wit_interface_t *iface = wit_new(c, sizeof *iface);
      iface->name = out_str(c, it->name);
      iface->qualified_name =
          up->name.has_version
              ? wit_fmt(c, "%s:%s/%s@%s", up->name.ns.s, up->name.name.s, it->name,
                        up->name.version.text)
              : wit_fmt(c, "%s:%s/%s", up->name.ns.s, up->name.name.s, it->name);
      iface->package = st.pkg;
      iface->loc = wit_loc(c, it->span);
      it->iface = iface;
    } else {
      bt_wit_world_t *w = wit_new(c, sizeof *w);
      w->name = out_str(c, it->name);
      w->package = st.pkg;
      w->loc = wit_loc(c, it->span);
      wit_world_info *info = wit_tmp(c, sizeof *info);
      info->span = it->span;
      w->internal_ = info;
      it->world = w;
    }
  }

  /* File scopes: top-level `use` adds names. */
  for (size_t d = 0; d < up->ndecls; d++) {
    const ast_decls *dl = &up->decls[d];
    st.cur_decl = d;
    for (size_t i = 0; i < dl->nitems; i++) {
      const ast_item *x = &dl->items[i];
      file_entry *fe = wit_tmp(c, sizeof *fe);
      const char *nm;
      if (x->kind == AK_USE) {
        const ast_toplevel_use *u = x->use;
        nm = u->as.s ? u->as.s : u->path.name.s;
        if (u->path.foreign) {
          fe->foreign = foreign_interface(&st, &u->path);
        } else {
          fe->local = wit_map_get(&st.by_name, u->path.name.s);
          if (!fe->local)
            wit_fail(c, u->path.name.span, "undefined interface or world `%s`", u->path.name.s);
        }
        fe->span = u->span;
      } else {
        nm = x->kind == AK_INTERFACE ? x->iface->name.s : x->world->name.s;
        fe->local = wit_map_get(&st.by_name, nm);
      }
      wit_map_put(c, &st.file_scopes[d], nm, fe);
    }
  }

  /* 3. Interfaces, then 4. worlds, in dependency order. */
  for (size_t i = 0; i < st.nitems; i++) {
    item_ref *it = st.items[order[i]];
    if (it->kind != AK_INTERFACE) continue;
    st.cur_decl = it->decl;
    resolve_interface(&st, it->iface, it->ast_i);
    ((iface_info *)it->iface->internal_)->span = it->span;
  }
  for (size_t i = 0; i < st.nitems; i++) {
    item_ref *it = st.items[order[i]];
    if (it->kind != AK_WORLD) continue;
    st.cur_decl = it->decl;
    resolve_world(&st, it->world, it->ast_w);
  }

  /* 5. Feature gates. */
  for (size_t i = 0; i < st.nitems; i++) {
    item_ref *it = st.items[order[i]];
    if (it->kind == AK_INTERFACE) gate_interface(&st, it->iface, is_excluded(c, &it->iface->stability));
  }
  for (size_t i = 0; i < st.nitems; i++) {
    item_ref *it = st.items[order[i]];
    if (it->kind == AK_WORLD) gate_world(&st, it->world, is_excluded(c, &it->world->stability));
  }

  /* 6. Finish worlds, and publish the package's items. */
  bt_wit_package_t *pkg = st.pkg;
  size_t ni = 0, nw = 0;
  for (size_t i = 0; i < st.nitems; i++) {
    item_ref *it = st.items[i];
    if (it->kind == AK_INTERFACE && !it->iface->excluded_) ni++;
    if (it->kind == AK_WORLD && !it->world->excluded_) nw++;
  }
  if (ni) pkg->interfaces = wit_new(c, ni * sizeof *pkg->interfaces);
  if (nw) pkg->worlds = wit_new(c, nw * sizeof *pkg->worlds);
  for (size_t i = 0; i < st.nitems; i++) {
    item_ref *it = st.items[order[i]];
    if (it->kind == AK_INTERFACE && !it->iface->excluded_)
      pkg->interfaces[pkg->interface_count++] = it->iface;
    if (it->kind == AK_WORLD && !it->world->excluded_) {
      wit_world_finish(c, it->world);
      pkg->worlds[pkg->world_count++] = it->world;
    }
  }
}

/* ---- ordering packages ---- */

static int pkg_name_cmp(const ast_pkg_name *a, const ast_pkg_name *b) {
  int r = strcmp(a->ns.s, b->ns.s);
  if (r) return r;
  r = strcmp(a->name.s, b->name.s);
  if (r) return r;
  if (a->has_version != b->has_version) return a->has_version ? 1 : -1;
  if (!a->has_version) return 0;
  r = wit_version_cmp(&a->version, &b->version);
  if (r) return r;
  const char *ba = a->version.build ? a->version.build : "";
  const char *bb = b->version.build ? b->version.build : "";
  return strcmp(ba, bb);
}

typedef struct fdep {
  const char *id;
  wit_span span;
} fdep;

typedef struct pkg_node {
  wit_unpkg *up;
  fdep *deps;
  size_t ndeps, capdeps;
  int state; /* 0 new, 1 visiting, 2 done */
} pkg_node;

/* Records the package a foreign path names, once, keeping first-seen order. */
static void note_dep(wit_ctx *c, pkg_node *n, const ast_path *p) {
  if (!p->foreign) return;
  const char *id = path_pkg_id(c, p);
  for (size_t i = 0; i < n->ndeps; i++)
    if (strcmp(n->deps[i].id, id) == 0) return;
  fdep d = {id, p->pkg_span};
  WIT_PUSH(c, &c->tmp, n->deps, n->ndeps, n->capdeps, d);
}

/* Lists the foreign packages a package refers to, in the order wit-parser
 * discovers them (which decides the output order of packages). */
static void collect_pkg_deps(wit_ctx *c, pkg_node *n) {
  wit_unpkg *up = n->up;
  for (size_t d = 0; d < up->ndecls; d++) {
    const ast_decls *dl = &up->decls[d];
    for (size_t i = 0; i < dl->nitems; i++) {
      const ast_item *x = &dl->items[i];
      if (x->kind == AK_USE) {
        note_dep(c, n, &x->use->path);
      } else if (x->kind == AK_INTERFACE) {
        for (size_t k = 0; k < x->iface->nitems; k++)
          if (x->iface->items[k].kind == AI_USE) note_dep(c, n, &x->iface->items[k].use->from);
      } else {
        const ast_world *w = x->world;
        for (size_t k = 0; k < w->nitems; k++) {
          if (w->items[k].kind == AW_USE) note_dep(c, n, &w->items[k].use->from);
          if (w->items[k].kind == AW_INCLUDE) note_dep(c, n, &w->items[k].path);
        }
        for (int pass = 0; pass < 2; pass++) {
          for (size_t k = 0; k < w->nitems; k++) {
            const ast_world_item *it = &w->items[k];
            if (it->kind != (pass == 0 ? AW_IMPORT : AW_EXPORT)) continue;
            if (it->ext == AE_PATH) note_dep(c, n, &it->path);
            if (it->ext == AE_INTERFACE)
              for (size_t m = 0; m < it->iface->nitems; m++)
                if (it->iface->items[m].kind == AI_USE)
                  note_dep(c, n, &it->iface->items[m].use->from);
          }
        }
      }
    }
  }
}

/* Depth-first: resolves the dependencies of `x` (in discovery order), then
 * `x` itself, appending it to the output order. Raises on a cycle. */
static void visit_pkg(resolver *r, pkg_node *nodes, size_t n, wit_map *by_id, pkg_node *x) {
  wit_ctx *c = r->c;
  if (x->state == 2) return;
  x->state = 1;
  for (size_t i = 0; i < x->ndeps; i++) {
    pkg_node *d = wit_map_get(by_id, x->deps[i].id);
    if (!d) continue; /* reported as "unknown package" during resolution */
    if (d->state == 1)
      wit_fail(c, x->deps[i].span, "package `%s` is part of a dependency cycle", d->up->id);
    visit_pkg(r, nodes, n, by_id, d);
  }
  x->state = 2;
  resolve_package(r, x->up);
  wit_map_put(c, &r->packages, x->up->id, x->up->out);
  WIT_PUSH(c, &c->tmp, r->order, r->norder, r->caporder, x->up->out);
}

void wit_resolve_groups(wit_ctx *c, wit_group **groups, size_t ngroups) {
  resolver r;
  memset(&r, 0, sizeof r);
  r.c = c;
  size_t n = 0;
  for (size_t g = 0; g < ngroups; g++) n += 1 + groups[g]->nnested;
  pkg_node *nodes = wit_tmp(c, (n + 1) * sizeof *nodes);
  size_t k = 0;
  wit_map by_id = {0};
  for (size_t g = 0; g < ngroups; g++) {
    for (size_t i = 0; i <= groups[g]->nnested; i++) {
      /* Nested packages come before the group's main package. */
      wit_unpkg *up = i < groups[g]->nnested ? groups[g]->nested[i] : groups[g]->main;
      pkg_node *prev = wit_map_get(&by_id, up->id);
      if (prev)
        wit_fail_note(c, up->name.span, prev->up->name.span, "also defined here",
                      "package `%s` is defined more than once", up->id);
      nodes[k].up = up;
      wit_map_put(c, &by_id, up->id, &nodes[k]);
      k++;
    }
  }
  r.all_ids = wit_tmp(c, (n + 1) * sizeof *r.all_ids);
  for (size_t i = 0; i < n; i++) {
    collect_pkg_deps(c, &nodes[i]);
    r.all_ids[r.nall++] = nodes[i].up->id;
  }
  /* Visit in name order, dependencies first (wit-parser's BTreeMap walk). */
  pkg_node **sorted = wit_tmp(c, (n + 1) * sizeof *sorted);
  for (size_t i = 0; i < n; i++) sorted[i] = &nodes[i];
  for (size_t i = 1; i < n; i++) {
    pkg_node *x = sorted[i];
    size_t j = i;
    while (j > 0 && pkg_name_cmp(&sorted[j - 1]->up->name, &x->up->name) > 0) {
      sorted[j] = sorted[j - 1];
      j--;
    }
    sorted[j] = x;
  }
  for (size_t i = 0; i < n; i++) visit_pkg(&r, nodes, n, &by_id, sorted[i]);

  bt_wit_resolve_t *res = c->resolve;
  res->package_count = r.norder;
  res->packages = wit_new(c, (r.norder + 1) * sizeof *res->packages);
  memcpy(res->packages, r.order, r.norder * sizeof *r.order);
  res->main = groups[0]->main->out;
  /* Scratch bookkeeping dies with this parse. */
  for (size_t i = 0; i < r.norder; i++) {
    bt_wit_package_t *p = r.order[i];
    for (size_t j = 0; j < p->interface_count; j++) p->interfaces[j]->internal_ = NULL;
    for (size_t j = 0; j < p->world_count; j++) {
      bt_wit_world_t *w = p->worlds[j];
      w->internal_ = NULL;
      for (size_t m = 0; m < w->import_count; m++)
        if (w->imports[m].kind == BT_WIT_ITEM_INTERFACE) w->imports[m].interface->internal_ = NULL;
      for (size_t m = 0; m < w->export_count; m++)
        if (w->exports[m].kind == BT_WIT_ITEM_INTERFACE) w->exports[m].interface->internal_ = NULL;
    }
  }
}

/* ---- groups ---- */

static const char *pkg_id_of(wit_ctx *c, const ast_pkg_name *n) {
  size_t len = strlen(n->ns.s) + strlen(n->name.s) + 2 + (n->has_version ? strlen(n->version.text) + 1 : 0);
  char *s = wit_tmp(c, len + 1);
  if (n->has_version) snprintf(s, len + 1, "%s:%s@%s", n->ns.s, n->name.s, n->version.text);
  else snprintf(s, len + 1, "%s:%s", n->ns.s, n->name.s);
  return s;
}

/* Creates an unresolved package with the given name. */
static wit_unpkg *new_unpkg(wit_ctx *c, const ast_pkg_name *name) {
  wit_unpkg *up = wit_tmp(c, sizeof *up);
  up->name = *name;
  up->id = pkg_id_of(c, name);
  up->docs = name->docs;
  return up;
}

wit_group *wit_group_from_files(wit_ctx *c, ast_file **files, size_t nfiles) {
  wit_group *g = wit_tmp(c, sizeof *g);
  size_t capn = 0;
  const ast_pkg_name *header = NULL, *docs_from = NULL;
  for (size_t i = 0; i < nfiles; i++) {
    ast_file *f = files[i];
    for (size_t k = 0; k < f->nnested; k++) {
      wit_unpkg *up = new_unpkg(c, &f->nested[k].name);
      WIT_PUSH(c, &c->tmp, up->decls, up->ndecls, up->capdecls, f->nested[k].decls);
      WIT_PUSH(c, &c->tmp, g->nested, g->nnested, capn, up);
    }
    if (!f->has_package) continue;
    if (header && pkg_name_cmp(header, &f->package) != 0) {
      bool same_name = strcmp(header->ns.s, f->package.ns.s) == 0 &&
                       strcmp(header->name.s, f->package.name.s) == 0;
      wit_fail_note(c, f->package.span, header->span, "the package was first declared here",
                    "package %s conflict: `%s` does not match `%s` declared earlier (all files "
                    "of a package must declare the same package)",
                    same_name ? "version" : "name", pkg_id_of(c, &f->package),
                    pkg_id_of(c, header));
    }
    if (!header) header = &f->package;
    if (f->package.docs) {
      if (docs_from)
        wit_fail_note(c, f->package.docs_span, docs_from->docs_span, "other documentation here",
                      "only one `package` declaration of a package may be documented");
      docs_from = &f->package;
    }
  }
  if (!header) {
    wit_span sp = {WIT_NO_FILE, 0, 0};
    if (nfiles) {
      sp.file = files[0]->file;
      wit_fail(c, sp, "no `package` declaration found (`package ns:name;` must start one of the "
                      "package's files)");
    }
    wit_fail(c, sp, "no WIT files found");
  }
  g->main = new_unpkg(c, header);
  g->main->docs = docs_from ? docs_from->docs : NULL;
  g->main->is_main = true;
  for (size_t i = 0; i < nfiles; i++)
    WIT_PUSH(c, &c->tmp, g->main->decls, g->main->ndecls, g->main->capdecls, files[i]->decls);
  return g;
}
