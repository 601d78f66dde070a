/*
 * src/component/decode_wit.c: recovering WIT from component types.
 *
 * Two inputs are understood: a core module carrying a `component-type`
 * custom section (the metadata wit-bindgen and `wasm-tools component embed`
 * write: a component that exports one component type, itself exporting the
 * world `ns:pkg/world`), which is a WIT package encoded as a component; and
 * a real component, whose imports and exports become world `root` of
 * package `root:component`. The algorithm follows wit-parser's decoder so
 * that the result prints like `wasm-tools component wit`:
 *
 *   - an instance named `ns:pkg/iface@v` becomes interface `iface` of
 *     package `ns:pkg@v` (created on first sight, filled in lazily: only
 *     the types and functions the component mentions); a plain-named
 *     instance becomes an inline interface;
 *   - a type export whose referenced type (following ALIAS links) was
 *     already given a WIT type becomes an alias of it (`use` when owned
 *     elsewhere, `type a = b` when owned by the same interface); otherwise
 *     the definition is converted: records, variants, enums and flags keep
 *     their kind, other value types become `type x = ...` aliases, and
 *     `(sub resource)` becomes a resource;
 *   - anonymous value types are interned per resolve, as src/wit does;
 *   - `[constructor]r`, `[method]r.m` and `[static]r.s` functions attach to
 *     the resource `r` defined by the same interface or world;
 *   - packages are ordered dependencies first; the main package last.
 *
 * The model is built with src/wit's arena helpers (wit_internal.h) so that
 * bt_wit_free() releases it exactly like a parsed resolve. Errors raised
 * while building longjmp back to the entry point through the wit_ctx.
 */
#include <stdio.h>
#include <string.h>

#include "component/internal.h"
#include "wit/wit_internal.h"

/* ---- small maps in the scratch arena ---- */

typedef struct pmap {
  const void **keys;
  void **vals;
  size_t cap, len;
} pmap;

/* Mixes a pointer into a hash. */
static size_t phash(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (size_t)x;
}

/* Returns the value stored for key `k`, or NULL. */
static void *pmap_get(const pmap *m, const void *k) {
  if (!m->cap || !k) return NULL;
  size_t j = phash(k) & (m->cap - 1);
  while (m->keys[j]) {
    if (m->keys[j] == k) return m->vals[j];
    j = (j + 1) & (m->cap - 1);
  }
  return NULL;
}

/* Stores (or replaces) the value for `k`, growing the table in the scratch
 * arena. Raises on out-of-memory. */
static void pmap_put(wit_ctx *c, pmap *m, const void *k, void *v) {
  if ((m->len + 1) * 2 > m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    const void **keys = wit_tmp(c, ncap * sizeof *keys);
    void **vals = wit_tmp(c, ncap * sizeof *vals);
    for (size_t i = 0; i < m->cap; i++) {
      if (!m->keys[i]) continue;
      size_t j = phash(m->keys[i]) & (ncap - 1);
      while (keys[j]) j = (j + 1) & (ncap - 1);
      keys[j] = m->keys[i];
      vals[j] = m->vals[i];
    }
    m->keys = keys;
    m->vals = vals;
    m->cap = ncap;
  }
  size_t j = phash(k) & (m->cap - 1);
  while (m->keys[j]) {
    if (m->keys[j] == k) {
      m->vals[j] = v;
      return;
    }
    j = (j + 1) & (m->cap - 1);
  }
  m->keys[j] = k;
  m->vals[j] = v;
  m->len++;
}

/* ---- builders ---- */

typedef struct pkg_b pkg_b;

/* An interface under construction. */
typedef struct iface_b {
  bt_wit_interface_t *iface;
  pkg_b *pkg; /* NULL for inline interfaces */
  wit_map types, funcs;
  bt_wit_type_t **tv;
  size_t nt, capt;
  bt_wit_function_t **fv;
  size_t nf, capf;
} iface_b;

typedef struct world_b {
  bt_wit_world_t *world;
  bt_wit_world_item_t *imports, *exports;
  size_t ni, capi, ne, cape;
} world_b;

struct pkg_b {
  const char *key; /* "ns:name@version" */
  bt_wit_package_t *pkg;
  wit_map iface_names; /* interface name -> iface_b */
  iface_b **ifaces;
  size_t ni, capi;
  world_b **worlds;
  size_t nw, capw;
  bool visited, done;
};

typedef struct dctx {
  wit_ctx *c;
  pmap type_map;      /* bt_ctype_t node -> bt_wit_type_t */
  pmap iface_of;      /* bt_wit_interface_t -> iface_b */
  pmap owner_res;     /* owner (iface_b / world_b) -> wit_map of resources by name */
  wit_map named;      /* local interfaces by component name -> iface_b */
  wit_map pkg_keys;   /* "ns:name@version" -> pkg_b */
  pkg_b **pkgs;       /* every package, in creation order */
  size_t npkgs, cappkgs;
  pkg_b *main;        /* the package being decoded (may equal a foreign one) */
  pkg_b **order;      /* final order */
  size_t norder, caporder;
} dctx;

static _Noreturn void fail(dctx *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Raises INVALID "cannot decode WIT: ..." through the wit_ctx. */
static _Noreturn void fail(dctx *d, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  wit_raise(d->c, baton_error_new(BATON_EINVALID, "cannot decode WIT: %s", msg));
}

/* Copies a string into the output arena (NULL stays NULL). Raises. */
static const char *out_str(dctx *d, const char *s) { return s ? wit_strn(d->c, s, strlen(s)) : NULL; }

/* ---- names ---- */

typedef struct iname {
  const char *ns, *pkg, *name, *version; /* scratch copies; version NULL when absent */
} iname;

/* Splits `ns:pkg/name@version`; returns false for plain names (labels,
 * possibly annotated). Other name forms (dependency, URL and hash names of
 * earlier drafts) cannot be expressed in WIT and are an error. */
static bool split_iname(dctx *d, const char *s, iname *out) {
  const char *colon = strchr(s, ':');
  const char *slash = colon ? strchr(colon, '/') : NULL;
  if (!colon || !slash) {
    if (strchr(s, '=') || strchr(s, '<')) fail(d, "cannot express the name `%s` in WIT", s);
    return false;
  }
  const char *at = strchr(slash, '@');
  if (strchr(s, '=') || strchr(s, '<') || !cm_is_label(slash + 1, at ? (size_t)(at - slash - 1) : strlen(slash + 1)))
    fail(d, "cannot express the name `%s` in WIT", s);
  out->ns = wit_tmp_strn(d->c, s, (size_t)(colon - s));
  out->pkg = wit_tmp_strn(d->c, colon + 1, (size_t)(slash - colon - 1));
  out->name = wit_tmp_strn(d->c, slash + 1, at ? (size_t)(at - slash - 1) : strlen(slash + 1));
  out->version = at ? wit_tmp_strn(d->c, at + 1, strlen(at + 1)) : NULL;
  return true;
}

static uint64_t num(const char **p) {
  uint64_t v = 0;
  while (**p >= '0' && **p <= '9') v = v * 10 + (uint64_t)(*(*p)++ - '0');
  return v;
}

/* Fills a version from validated semver text. */
static void parse_version(dctx *d, const char *text, bt_wit_version_t *v) {
  const char *p = text;
  v->major = num(&p);
  if (*p == '.') p++;
  v->minor = num(&p);
  if (*p == '.') p++;
  v->patch = num(&p);
  const char *plus = strchr(p, '+');
  if (*p == '-') {
    size_t n = plus ? (size_t)(plus - p - 1) : strlen(p + 1);
    v->pre = wit_strn(d->c, p + 1, n);
  }
  if (plus) v->build = out_str(d, plus + 1);
  v->text = out_str(d, text);
}

/* ---- packages and interfaces ---- */

static pkg_b *get_package(dctx *d, const char *ns, const char *name, const char *version) {
  const char *key = version ? wit_fmt(d->c, "%s:%s@%s", ns, name, version)
                            : wit_fmt(d->c, "%s:%s", ns, name);
  pkg_b *pb = wit_map_get(&d->pkg_keys, key);
  if (pb) return pb;
  pb = wit_tmp(d->c, sizeof *pb);
  pb->key = key;
  bt_wit_package_t *p = wit_new(d->c, sizeof *p);
  p->namespace_ = out_str(d, ns);
  p->name = out_str(d, name);
  p->id = key;
  if (version) {
    if (!cm_is_semver(version, strlen(version))) fail(d, "invalid package version `%s`", version);
    p->has_version = true;
    parse_version(d, version, &p->version);
  }
  pb->pkg = p;
  wit_map_put(d->c, &d->pkg_keys, key, pb);
  WIT_PUSH(d->c, &d->c->tmp, d->pkgs, d->npkgs, d->cappkgs, pb);
  return pb;
}

/* Creates an interface named `name` in package `pb` (NULL and NULL for an
 * inline interface) and registers its builder. Raises. */
static iface_b *new_iface(dctx *d, pkg_b *pb, const char *name) {
  iface_b *ib = wit_tmp(d->c, sizeof *ib);
  bt_wit_interface_t *iface = wit_new(d->c, sizeof *iface);
  iface->name = out_str(d, name);
  if (pb) {
    iface->package = pb->pkg;
    const bt_wit_package_t *p = pb->pkg;
    iface->qualified_name = p->has_version
                                ? wit_fmt(d->c, "%s:%s/%s@%s", p->namespace_, p->name, name, p->version.text)
                                : wit_fmt(d->c, "%s:%s/%s", p->namespace_, p->name, name);
    WIT_PUSH(d->c, &d->c->tmp, pb->ifaces, pb->ni, pb->capi, ib);
    wit_map_put(d->c, &pb->iface_names, iface->name, ib);
  }
  ib->iface = iface;
  ib->pkg = pb;
  pmap_put(d->c, &d->iface_of, iface, ib);
  return ib;
}

/* Returns the interface a foreign `ns:pkg/iface@v` name denotes, creating
 * its package and interface on first use. */
static iface_b *dep_interface(dctx *d, const char *name) {
  iname in;
  if (!split_iname(d, name, &in)) fail(d, "`%s` is not an interface name", name);
  pkg_b *pb = get_package(d, in.ns, in.pkg, in.version);
  iface_b *ib = wit_map_get(&pb->iface_names, in.name);
  return ib ? ib : new_iface(d, pb, in.name);
}

/* Appends a named type to an interface under construction. Raises. */
static void add_type(dctx *d, iface_b *ib, bt_wit_type_t *t) {
  wit_map_put(d->c, &ib->types, t->name, t);
  WIT_PUSH(d->c, &d->c->tmp, ib->tv, ib->nt, ib->capt, t);
}

/* Appends a function to an interface under construction. Raises. */
static void add_func(dctx *d, iface_b *ib, bt_wit_function_t *f) {
  wit_map_put(d->c, &ib->funcs, f->name, f);
  WIT_PUSH(d->c, &d->c->tmp, ib->fv, ib->nf, ib->capf, f);
}

/* ---- types ---- */

/* An owner of named types: an interface or a world. */
typedef struct owner {
  iface_b *iface;
  world_b *world;
} owner;

/* The key under which an owner's resources are recorded. */
static const void *owner_key(owner o) { return o.iface ? (const void *)o.iface : (const void *)o.world; }

/* Marks a named type as owned by an interface or a world. */
static void set_owner(bt_wit_type_t *t, owner o) {
  if (o.iface) {
    t->owner_kind = BT_WIT_OWNER_INTERFACE;
    t->interface = o.iface->iface;
  } else {
    t->owner_kind = BT_WIT_OWNER_WORLD;
    t->world = o.world->world;
  }
}

/* Returns the WIT type already given to `t` or to anything it aliases. */
static bt_wit_type_t *find_alias(dctx *d, const bt_ctype_t *t) {
  while (t) {
    bt_wit_type_t *w = pmap_get(&d->type_map, t);
    if (w) return w;
    if (t->kind != BT_CT_ALIAS) return NULL;
    t = t->elem;
  }
  return NULL;
}

static bt_wit_type_t *convert_valtype(dctx *d, const bt_ctype_t *t);

/* The WIT handle target for the resource an own/borrow refers to. */
static bt_wit_type_t *handle_target(dctx *d, const bt_ctype_t *res) {
  bt_wit_type_t *w = find_alias(d, res);
  if (!w) fail(d, "a handle refers to a resource that no interface or world exports");
  return w;
}

/* Converts an anonymous structural type (list, option, tuple, result,
 * handle) into its interned WIT form. */
static bt_wit_type_t *convert_anon(dctx *d, const bt_ctype_t *u) {
  bt_wit_type_t shape;
  memset(&shape, 0, sizeof shape);
  shape.kind = (bt_wit_kind_t)u->kind;
  switch (u->kind) {
    case BT_CT_LIST:
    case BT_CT_OPTION: shape.target = convert_valtype(d, u->elem); break;
    case BT_CT_RESULT:
      shape.ok = u->ok ? convert_valtype(d, u->ok) : NULL;
      shape.err = u->err ? convert_valtype(d, u->err) : NULL;
      break;
    case BT_CT_TUPLE:
      shape.count = u->count;
      shape.types = wit_tmp(d->c, u->count * sizeof *shape.types);
      for (uint32_t i = 0; i < u->count; i++) shape.types[i] = convert_valtype(d, u->types[i]);
      break;
    case BT_CT_OWN:
    case BT_CT_BORROW:
      shape.target = handle_target(d, u->elem);
      shape.resource = (bt_wit_type_t *)bt_wit_type_unalias(shape.target);
      if (!shape.resource || shape.resource->kind != BT_WIT_RESOURCE)
        fail(d, "a handle refers to a type that is not a resource");
      break;
    case BT_CT_MAP:
      shape.kind = BT_WIT_MAP;
      shape.key = convert_valtype(d, u->ok);
      shape.target = convert_valtype(d, u->elem);
      break;
    case BT_CT_FUTURE:
    case BT_CT_STREAM:
      shape.kind = u->kind == BT_CT_FUTURE ? BT_WIT_FUTURE : BT_WIT_STREAM;
      shape.target = u->elem ? convert_valtype(d, u->elem) : NULL;
      break;
    default: fail(d, "unexpected unnamed %s type", bt_wit_kind_name((bt_wit_kind_t)u->kind));
  }
  return wit_intern(d->c, &shape);
}

/* Converts a type in value position: primitives map to the singletons,
 * nodes already decoded to their WIT type, unmapped aliases to their
 * target, anything else to an interned anonymous type (remembered).
 * Raises. */
static bt_wit_type_t *convert_valtype(dctx *d, const bt_ctype_t *t) {
  if (t->kind <= BT_CT_STRING) return bt_wit_prim((bt_wit_kind_t)t->kind);
  if (t->kind == BT_CT_ERROR_CONTEXT) return bt_wit_prim(BT_WIT_ERROR_CONTEXT);
  bt_wit_type_t *w = pmap_get(&d->type_map, t);
  if (w) return w;
  if (t->kind == BT_CT_ALIAS) return convert_valtype(d, t->elem);
  w = convert_anon(d, t);
  pmap_put(d->c, &d->type_map, t, w);
  return w;
}

/* Fills a named type `t` from the definition `u` (aliases followed). */
static void convert_defined(dctx *d, bt_wit_type_t *t, const bt_ctype_t *u) {
  switch (u->kind) {
    case BT_CT_RECORD:
    case BT_CT_VARIANT:
    case BT_CT_ENUM:
    case BT_CT_FLAGS:
      t->kind = (bt_wit_kind_t)u->kind;
      t->count = u->count;
      t->fields = wit_new(d->c, u->count * sizeof *t->fields);
      for (uint32_t i = 0; i < u->count; i++) {
        t->fields[i].name = out_str(d, u->fields[i].name);
        if (u->fields[i].type) t->fields[i].type = convert_valtype(d, u->fields[i].type);
      }
      return;
    case BT_CT_RESOURCE: t->kind = BT_WIT_RESOURCE; return;
    default:
      if (u->kind > BT_CT_BORROW && u->kind < BT_CT_MAP)
        fail(d, "type `%s` is not a value type", t->name);
      t->kind = BT_WIT_ALIAS;
      t->target = convert_valtype(d, u);
      return;
  }
}

/* Registers a type import or export named `name` (wit-parser's
 * register_type_export): returns the new named WIT type. */
static bt_wit_type_t *register_type(dctx *d, const char *name, const bt_cextern_t *e, owner o) {
  const bt_ctype_t *created = e->type;
  const bt_ctype_t *referenced = created->kind == BT_CT_ALIAS ? created->elem : created;
  bt_wit_type_t *t = wit_new_type(d->c, BT_WIT_ALIAS);
  t->name = out_str(d, name);
  set_owner(t, o);
  bt_wit_type_t *prev = find_alias(d, referenced);
  if (prev) {
    /* WIT can only name types of named interfaces from elsewhere. */
    if (prev->owner_kind == BT_WIT_OWNER_INTERFACE && !prev->interface->name &&
        (!o.iface || o.iface->iface != prev->interface))
      fail(d, "type `%s` refers to type `%s` of an inline interface, which WIT cannot express",
           name, prev->name ? prev->name : "?");
    t->kind = BT_WIT_ALIAS;
    t->target = prev;
  } else {
    convert_defined(d, t, bt_ctype_unalias(referenced));
  }
  if (t->kind == BT_WIT_RESOURCE) {
    wit_map *m = pmap_get(&d->owner_res, owner_key(o));
    if (!m) {
      m = wit_tmp(d->c, sizeof *m);
      pmap_put(d->c, &d->owner_res, owner_key(o), m);
    }
    wit_map_put(d->c, m, t->name, t);
  }
  if (pmap_get(&d->type_map, created))
    fail(d, "the type `%s` appears more than once (for example, an imported instance re-exported "
            "under a new name), which WIT cannot represent",
         name);
  pmap_put(d->c, &d->type_map, created, t);
  return t;
}

/* ---- functions ---- */

static bt_wit_function_t *convert_function(dctx *d, const char *name, const bt_ctype_t *ft,
                                           owner o) {
  ft = bt_ctype_unalias(ft);
  bt_wit_function_t *f = wit_new(d->c, sizeof *f);
  f->name = out_str(d, name);
  f->is_async = ft && (ft->flags & BT_CT_ASYNC);
  const char *res_name = NULL;
  size_t res_len = 0;
  if (strncmp(name, "[constructor]", 13) == 0) {
    f->kind = BT_WIT_FUNC_CONSTRUCTOR;
    res_name = name + 13;
    res_len = strlen(res_name);
    f->item_name = out_str(d, res_name);
  } else if (strncmp(name, "[method]", 8) == 0 || strncmp(name, "[static]", 8) == 0) {
    f->kind = name[1] == 'm' ? BT_WIT_FUNC_METHOD : BT_WIT_FUNC_STATIC;
    res_name = name + 8;
    const char *dot = strchr(res_name, '.');
    if (!dot) fail(d, "malformed function name `%s`", name);
    res_len = (size_t)(dot - res_name);
    f->item_name = out_str(d, dot + 1);
  } else {
    f->kind = BT_WIT_FUNC_FREESTANDING;
    f->item_name = f->name;
  }
  if (res_name) {
    wit_map *m = pmap_get(&d->owner_res, owner_key(o));
    const char *key = wit_tmp_strn(d->c, res_name, res_len);
    f->resource = m ? wit_map_get(m, key) : NULL;
    if (!f->resource) fail(d, "function `%s` refers to resource `%s`, which is not defined beside it", name, key);
  }
  f->param_count = ft->count;
  if (ft->count) f->params = wit_new(d->c, ft->count * sizeof *f->params);
  for (uint32_t i = 0; i < ft->count; i++) {
    f->params[i].name = out_str(d, ft->fields[i].name);
    f->params[i].type = convert_valtype(d, ft->fields[i].type);
  }
  if (ft->elem) f->result = convert_valtype(d, ft->elem);
  return f;
}

/* ---- interfaces ---- */

/* wit-parser's register_import: fills the interface `name` denotes from an
 * instance type, adding only what it does not define yet. */
static iface_b *register_import(dctx *d, const char *name, const bt_cextern_t *e) {
  const bt_ctype_t *inst = bt_ctype_unalias(e->type);
  if (e->sort != BT_CSORT_INSTANCE || !inst || inst->kind != BT_CT_INSTANCE)
    fail(d, "import `%s` is not an instance", name);
  iface_b *ib = wit_map_get(&d->named, name);
  bool local = ib != NULL;
  if (!ib) ib = dep_interface(d, name);
  owner o = {ib, NULL};
  for (uint32_t i = 0; i < inst->nexports; i++) {
    const bt_cextern_t *x = &inst->exports[i];
    if (x->sort == BT_CSORT_TYPE) {
      bt_wit_type_t *have = wit_map_get(&ib->types, x->name);
      if (have) {
        if (!pmap_get(&d->type_map, x->type)) pmap_put(d->c, &d->type_map, x->type, have);
        continue;
      }
      if (local) fail(d, "instance type export `%s` is not defined in interface `%s`", x->name, name);
      add_type(d, ib, register_type(d, x->name, x, o));
    } else if (x->sort == BT_CSORT_FUNC) {
      if (wit_map_get(&ib->funcs, x->name)) continue;
      if (local) fail(d, "instance function export `%s` is not defined in interface `%s`", x->name, name);
      add_func(d, ib, convert_function(d, x->name, x->type, o));
    } else {
      fail(d, "instance export `%s` of `%s` is not a type or function", x->name, name);
    }
  }
  return ib;
}

/* wit-parser's register_interface: a new interface (named `ns:pkg/x` in
 * the package being decoded, or inline for a plain name). */
static iface_b *register_interface(dctx *d, const char *name, const bt_cextern_t *e) {
  if (wit_map_get(&d->named, name)) return register_import(d, name, e);
  const bt_ctype_t *inst = bt_ctype_unalias(e->type);
  if (e->sort != BT_CSORT_INSTANCE || !inst || inst->kind != BT_CT_INSTANCE)
    fail(d, "`%s` is not an instance", name);
  iname in;
  bool named = split_iname(d, name, &in);
  iface_b *ib;
  if (named) {
    ib = new_iface(d, d->main, in.name);
    wit_map_put(d->c, &d->named, wit_tmp_strn(d->c, name, strlen(name)), ib);
  } else {
    ib = new_iface(d, NULL, NULL);
    ib->iface->package = d->main->pkg;
  }
  owner o = {ib, NULL};
  for (uint32_t i = 0; i < inst->nexports; i++) {
    const bt_cextern_t *x = &inst->exports[i];
    if (x->sort == BT_CSORT_TYPE) add_type(d, ib, register_type(d, x->name, x, o));
    else if (x->sort == BT_CSORT_FUNC) add_func(d, ib, convert_function(d, x->name, x->type, o));
    else fail(d, "instance export `%s` of `%s` is not a type or function", x->name, name);
  }
  return ib;
}

/* ---- worlds ---- */

static bt_wit_world_item_t instance_item(dctx *d, const char *name, const bt_cextern_t *e) {
  bt_wit_world_item_t it;
  memset(&it, 0, sizeof it);
  it.kind = BT_WIT_ITEM_INTERFACE;
  iname in;
  if (e->implements) {
    it.interface = register_import(d, e->implements, e)->iface;
    it.name = out_str(d, name);
  } else if (split_iname(d, name, &in)) {
    it.interface = register_import(d, name, e)->iface;
    it.name = it.interface->qualified_name;
    it.by_interface = true;
  } else {
    it.interface = register_interface(d, name, e)->iface;
    it.name = out_str(d, name);
  }
  return it;
}

/* Creates an empty world named `name` in package `pb`. Raises. */
static world_b *new_world(dctx *d, pkg_b *pb, const char *name) {
  world_b *wb = wit_tmp(d->c, sizeof *wb);
  wb->world = wit_new(d->c, sizeof *wb->world);
  wb->world->name = out_str(d, name);
  WIT_PUSH(d->c, &d->c->tmp, pb->worlds, pb->nw, pb->capw, wb);
  return wb;
}

/* Adds an import (is_import) or export of a component to a world. Sorts
 * WIT cannot express (core modules, components) are skipped for imports. */
static void world_extern(dctx *d, world_b *wb, const bt_cextern_t *e, bool is_import) {
  owner o = {NULL, wb};
  bt_wit_world_item_t it;
  memset(&it, 0, sizeof it);
  switch (e->sort) {
    case BT_CSORT_INSTANCE: it = instance_item(d, e->name, e); break;
    case BT_CSORT_FUNC:
      it.kind = BT_WIT_ITEM_FUNCTION;
      it.name = out_str(d, e->name);
      it.function = convert_function(d, e->name, e->type, o);
      break;
    case BT_CSORT_TYPE:
      if (!is_import) fail(d, "component export `%s` is a type; only functions and instances can be exported", e->name);
      it.kind = BT_WIT_ITEM_TYPE;
      it.name = out_str(d, e->name);
      it.type = register_type(d, e->name, e, o);
      break;
    default:
      if (!is_import) fail(d, "component export `%s` is not a function or instance", e->name);
      return;
  }
  if (is_import) WIT_PUSH(d->c, &d->c->tmp, wb->imports, wb->ni, wb->capi, it);
  else WIT_PUSH(d->c, &d->c->tmp, wb->exports, wb->ne, wb->cape, it);
}

/* wit-parser's register_world for a world component type named `name`. */
static void register_world(dctx *d, const char *name, const bt_ctype_t *wt) {
  iname in;
  if (!split_iname(d, name, &in)) fail(d, "world name `%s` is not of the form `ns:pkg/world`", name);
  world_b *wb = new_world(d, d->main, in.name);
  for (uint32_t i = 0; i < wt->nimports; i++) {
    if (wt->imports[i].sort == BT_CSORT_CORE_MODULE || wt->imports[i].sort == BT_CSORT_COMPONENT)
      fail(d, "world import `%s` is not an instance, function or type", wt->imports[i].name);
    world_extern(d, wb, &wt->imports[i], true);
  }
  for (uint32_t i = 0; i < wt->nexports; i++) world_extern(d, wb, &wt->exports[i], false);
}

/* ---- finishing ---- */

/* The work list of the package ordering below. */
typedef struct pkg_stack {
  pkg_b **items;
  size_t len, cap;
} pkg_stack;

/* Pushes the packages of the interfaces that `iface` uses (through
 * aliases, i.e. `use`), except `self`, that are not ordered yet. */
static void push_iface_deps(dctx *d, pkg_stack *st, pkg_b *self, const bt_wit_interface_t *iface) {
  iface_b *ib = pmap_get(&d->iface_of, iface);
  if (!ib) return;
  for (size_t i = 0; i < ib->nt; i++) {
    const bt_wit_type_t *t = ib->tv[i];
    if (t->kind != BT_WIT_ALIAS || !t->target || t->target->owner_kind != BT_WIT_OWNER_INTERFACE)
      continue;
    iface_b *dep = pmap_get(&d->iface_of, t->target->interface);
    if (dep && dep->pkg && dep->pkg != self && !dep->pkg->visited)
      WIT_PUSH(d->c, &d->c->tmp, st->items, st->len, st->cap, dep->pkg);
  }
}

/* Appends `root` to the final order after the packages it depends on:
 * an iterative depth-first post-order (a package is emitted once every
 * package pushed after it is done; cycles are broken arbitrarily).
 * Raises. */
static void visit_package(dctx *d, pkg_b *root) {
  if (root->done) return;
  pkg_stack st = {0};
  WIT_PUSH(d->c, &d->c->tmp, st.items, st.len, st.cap, root);
  while (st.len) {
    pkg_b *pb = st.items[st.len - 1];
    if (pb->done) {
      st.len--;
      continue;
    }
    if (pb->visited) {
      pb->done = true;
      WIT_PUSH(d->c, &d->c->tmp, d->order, d->norder, d->caporder, pb);
      st.len--;
      continue;
    }
    pb->visited = true;
    size_t first = st.len;
    for (size_t i = 0; i < pb->ni; i++) push_iface_deps(d, &st, pb, pb->ifaces[i]->iface);
    for (size_t w = 0; w < pb->nw; w++) {
      world_b *wb = pb->worlds[w];
      for (size_t i = 0; i < wb->ni; i++)
        if (wb->imports[i].kind == BT_WIT_ITEM_INTERFACE) push_iface_deps(d, &st, pb, wb->imports[i].interface);
      for (size_t i = 0; i < wb->ne; i++)
        if (wb->exports[i].kind == BT_WIT_ITEM_INTERFACE) push_iface_deps(d, &st, pb, wb->exports[i].interface);
    }
    /* Reverse the new entries so that dependencies are visited in order. */
    for (size_t i = first, j = st.len; i + 1 < j; i++, j--) {
      pkg_b *tmp = st.items[i];
      st.items[i] = st.items[j - 1];
      st.items[j - 1] = tmp;
    }
  }
}

/* Copies an interface's collected types and functions into the output
 * arena. Raises. */
static void finish_iface(dctx *d, iface_b *ib) {
  bt_wit_interface_t *iface = ib->iface;
  iface->type_count = ib->nt;
  iface->types = wit_new(d->c, (ib->nt + 1) * sizeof *iface->types);
  if (ib->nt) memcpy(iface->types, ib->tv, ib->nt * sizeof *ib->tv);
  iface->function_count = ib->nf;
  iface->functions = wit_new(d->c, (ib->nf + 1) * sizeof *iface->functions);
  if (ib->nf) memcpy(iface->functions, ib->fv, ib->nf * sizeof *ib->fv);
  iface->internal_ = NULL;
}

/* Copies world items into the output arena. Raises. */
static bt_wit_world_item_t *copy_items(dctx *d, const bt_wit_world_item_t *v, size_t n) {
  bt_wit_world_item_t *out = wit_new(d->c, (n + 1) * sizeof *out);
  if (n) memcpy(out, v, n * sizeof *v);
  return out;
}

/* Completes every interface (inline ones too), world and package and
 * stores the packages, dependencies first, in the resolve. */
static void finish(dctx *d) {
  for (size_t i = 0; i < d->npkgs; i++)
    if (d->pkgs[i] != d->main) visit_package(d, d->pkgs[i]);
  visit_package(d, d->main);
  for (size_t i = 0; i < d->iface_of.cap; i++)
    if (d->iface_of.keys[i]) finish_iface(d, d->iface_of.vals[i]);
  bt_wit_resolve_t *r = d->c->resolve;
  r->package_count = d->norder;
  r->packages = wit_new(d->c, (d->norder + 1) * sizeof *r->packages);
  for (size_t k = 0; k < d->norder; k++) {
    pkg_b *pb = d->order[k];
    bt_wit_package_t *p = pb->pkg;
    p->interface_count = pb->ni;
    p->interfaces = wit_new(d->c, (pb->ni + 1) * sizeof *p->interfaces);
    for (size_t i = 0; i < pb->ni; i++) p->interfaces[i] = pb->ifaces[i]->iface;
    p->world_count = pb->nw;
    p->worlds = wit_new(d->c, (pb->nw + 1) * sizeof *p->worlds);
    for (size_t i = 0; i < pb->nw; i++) {
      world_b *wb = pb->worlds[i];
      bt_wit_world_t *w = wb->world;
      w->package = p;
      w->import_count = wb->ni;
      w->imports = copy_items(d, wb->imports, wb->ni);
      w->export_count = wb->ne;
      w->exports = copy_items(d, wb->exports, wb->ne);
      w->internal_ = NULL;
      p->worlds[i] = w;
    }
    r->packages[k] = p;
  }
  r->main = d->main->pkg;
}

/* ---- entry points ---- */

/* True when every extern of `comp` is an exported component type: a WIT
 * package encoded as a component (wit-parser's is_wit_package, v2). */
static bool is_wit_package(const bt_component_t *comp) {
  if (comp->nimports || !comp->nexports) return false;
  for (uint32_t i = 0; i < comp->nexports; i++) {
    const bt_cextern_t *e = &comp->exports[i];
    if (e->sort != BT_CSORT_TYPE) return false;
    const bt_ctype_t *t = bt_ctype_unalias(e->type);
    if (!t || t->kind != BT_CT_COMPONENT) return false;
  }
  return !strchr(comp->exports[0].name, ':');
}

/* Decodes a WIT package encoded as a component (v2 encoding): each export
 * is a component type with one export, a world (component) or an
 * interface (instance). */
static void decode_package(dctx *d, const bt_component_t *comp) {
  for (uint32_t i = 0; i < comp->nexports; i++) {
    const bt_ctype_t *t = bt_ctype_unalias(comp->exports[i].type);
    if (t->nexports != 1) fail(d, "expected a single export in `%s`, found %u", comp->exports[i].name, t->nexports);
    const bt_cextern_t *x = &t->exports[0];
    iname in;
    if (!split_iname(d, x->name, &in))
      fail(d, "`%s` is not a fully qualified `ns:pkg/name` name", x->name);
    pkg_b *pb = get_package(d, in.ns, in.pkg, in.version);
    if (d->main && d->main != pb) fail(d, "items of several packages are encoded in one component");
    d->main = pb;
    if (x->sort == BT_CSORT_COMPONENT) {
      register_world(d, x->name, bt_ctype_unalias(x->type));
    } else if (x->sort == BT_CSORT_INSTANCE) {
      for (uint32_t k = 0; k < t->nimports; k++) register_import(d, t->imports[k].name, &t->imports[k]);
      register_interface(d, x->name, x);
    } else {
      fail(d, "`%s` is neither a world nor an interface", x->name);
    }
  }
}

/* Decodes a real component into world `root` of package `root:component`. */
static void decode_component(dctx *d, const bt_component_t *comp) {
  d->main = get_package(d, "root", "component", NULL);
  world_b *wb = new_world(d, d->main, "root");
  uint32_t ki = 0, ke = 0;
  for (uint32_t i = 0; i < comp->ndefs; i++) {
    const bt_cdef_t *def = &comp->defs[i];
    if (def->kind == BT_CDEF_IMPORT && ki < comp->nimports) world_extern(d, wb, &comp->imports[ki++], true);
    if (def->kind == BT_CDEF_EXPORT && ke < comp->nexports) world_extern(d, wb, &comp->exports[ke++], false);
  }
}

/* Builds a resolve from a parsed component under a wit_ctx error context. */
static baton_error_t *decode(const bt_component_t *comp, bt_wit_resolve_t **out) {
  wit_arena *arena = bt_calloc(1, sizeof *arena);
  bt_wit_resolve_t *res = bt_calloc(1, sizeof *res);
  wit_ctx *c = bt_calloc(1, sizeof *c);
  dctx *d = bt_calloc(1, sizeof *d);
  if (!arena || !res || !c || !d) {
    bt_free(arena);
    bt_free(res);
    bt_free(c);
    bt_free(d);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory while decoding WIT");
  }
  res->internal_ = arena;
  c->out = arena;
  c->resolve = res;
  d->c = c;
  if (setjmp(c->jmp) == 0) {
    if (is_wit_package(comp)) decode_package(d, comp);
    else decode_component(d, comp);
    if (!d->main) fail(d, "no exported component type found");
    finish(d);
    wit_arena_free(&c->tmp);
    bt_free(c);
    bt_free(d);
    *out = res;
    return NULL;
  }
  baton_error_t *err = c->err;
  wit_arena_free(&c->tmp);
  bt_free(c);
  bt_free(d);
  wit_arena_free(arena);
  bt_free(arena);
  bt_free(res);
  return err;
}

/* Finds the first custom section named `component-type` or
 * `component-type:...` of a core module by walking its section headers.
 * Returns false when there is none; raises nothing (bad framing simply
 * ends the walk with *err set). */
static bool find_component_type(const uint8_t *b, size_t len, const uint8_t **data, size_t *size,
                                size_t *offset, baton_error_t **err) {
  const uint8_t *p = b + 8, *end = b + len;
  while (p < end) {
    uint8_t id = *p++;
    uint64_t n;
    if (!bt_wasm_read_uleb(&p, end, 32, &n) || n > (size_t)(end - p)) {
      *err = baton_error_new(BATON_EMALFORMED, "offset 0x%zx: malformed section header", (size_t)(p - b));
      return false;
    }
    const uint8_t *sec = p, *send = p + n;
    p = send;
    if (id != 0) continue;
    uint64_t nl;
    const uint8_t *q = sec;
    if (!bt_wasm_read_uleb(&q, send, 32, &nl) || nl > (size_t)(send - q)) continue;
    const char *name = (const char *)q;
    if (nl < 14 || memcmp(name, "component-type", 14) != 0 || (nl > 14 && name[14] != ':')) continue;
    *data = q + nl;
    *size = (size_t)(send - (q + nl));
    *offset = (size_t)(*data - b);
    return true;
  }
  return false;
}

/* Contract in component.h. */
baton_error_t *bt_component_decode_wit(const uint8_t *bytes, size_t len, bt_wit_resolve_t **out) {
  if (!out) return baton_error_new(BATON_EINVALID_ARGUMENT, "bt_component_decode_wit: NULL output pointer");
  *out = NULL;
  if (!bytes || len < 8 || memcmp(bytes, "\0asm", 4) != 0)
    return baton_error_new(BATON_EMALFORMED, "not a WebAssembly binary (bad magic number)");
  bt_component_t *comp = NULL;
  baton_error_t *err;
  if (bytes[4] == 1 && bytes[5] == 0 && bytes[6] == 0 && bytes[7] == 0) {
    const uint8_t *data = NULL;
    size_t size = 0, offset = 0;
    err = NULL;
    if (!find_component_type(bytes, len, &data, &size, &offset, &err)) {
      if (err) return err;
      return baton_error_new(BATON_ENOT_FOUND,
                             "the core module has no `component-type` custom section (embed WIT "
                             "with wit-bindgen or `wasm-tools component embed`)");
    }
    err = bt_component_parse(data, size, &comp);
    if (err)
      return baton_error_wrap(err, "`component-type` custom section at offset 0x%zx (offsets below are relative to it)",
                              offset);
  } else {
    err = bt_component_parse(bytes, len, &comp);
    if (err) return err;
  }
  err = decode(comp, out);
  bt_component_free(comp);
  return err;
}
