/*
 * src/wit/print.c: the normalized WIT printer.
 *
 * Output is byte-for-byte the layout of wasm-tools' WIT printer (the
 * `wasm-tools component wit` command), so printed packages can be compared
 * with the reference tool textually:
 *
 *   - two-space indentation; `/// ` doc lines; `@since(version = X)` /
 *     `@unstable(feature = f)` / `@deprecated(version = X)` on their own
 *     lines before the item; keywords used as names are written `%name`;
 *   - in an interface: `use` statements first (consecutive names from the
 *     same interface with the same gate merged into one statement), then
 *     type definitions (resources with their functions inline), then
 *     freestanding functions, with a blank line between items but not
 *     between `use` statements;
 *   - in a world: interface imports, then types, then function imports, a
 *     blank line, then exports;
 *   - the main package as `package x:y;` followed by its interfaces (each
 *     followed by a blank line) and worlds, then every other package as a
 *     nested `package x:y { ... }` block, dependencies first.
 *
 * Text is accumulated in a heap buffer and written out at the end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wit/wit_internal.h"

typedef struct out {
  char *buf;
  size_t len, cap;
  bool failed;
  int indent;
  bool needs_indent;
  bool any_items; /* something was printed in the current block */
} out;

static void raw(out *o, const char *s, size_t n) {
  if (o->failed) return;
  if (o->len + n + 1 > o->cap) {
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->len + n + 1) cap *= 2;
    char *p = bt_realloc(o->buf, cap);
    if (!p) {
      o->failed = true;
      return;
    }
    o->buf = p;
    o->cap = cap;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = 0;
}

static void indent_if_needed(out *o) {
  if (!o->needs_indent) return;
  for (int i = 0; i < o->indent; i++) raw(o, "  ", 2);
  o->needs_indent = false;
}

static void str(out *o, const char *s) {
  indent_if_needed(o);
  raw(o, s, strlen(s));
}

static void newline(out *o) {
  raw(o, "\n", 1);
  o->needs_indent = true;
}

static void semicolon(out *o) {
  raw(o, ";", 1);
  newline(o);
}

static void block_start(out *o) {
  raw(o, " {", 2);
  o->indent++;
  newline(o);
}

static void block_end(out *o) {
  if (o->indent > 0) o->indent--;
  indent_if_needed(o);
  raw(o, "}", 1);
  newline(o);
}

/* Starts an item inside a block: a blank line unless it is the first. */
static void new_item(out *o) {
  if (o->any_items) newline(o);
  o->any_items = true;
}

static void name(out *o, const char *n) {
  indent_if_needed(o);
  if (wit_is_keyword(n)) raw(o, "%", 1);
  raw(o, n, strlen(n));
}

/* Prints documentation as `/// line` lines (`///` for an empty line). */
static void docs(out *o, const char *d) {
  if (!d) return;
  const char *p = d;
  while (*p) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    indent_if_needed(o);
    raw(o, "///", 3);
    if (n) {
      raw(o, " ", 1);
      raw(o, p, n);
    }
    newline(o);
    p += n;
    if (*p == '\n') p++;
  }
}

/* Prints an item's feature gates, one per line. */
static void stability(out *o, const bt_wit_stability_t *s) {
  if (s->kind == BT_WIT_STABILITY_STABLE) {
    str(o, "@since(version = ");
    str(o, s->since);
    str(o, ")");
    newline(o);
  } else if (s->kind == BT_WIT_STABILITY_UNSTABLE) {
    str(o, "@unstable(feature = ");
    str(o, s->feature);
    str(o, ")");
    newline(o);
  } else {
    return;
  }
  if (s->deprecated) {
    str(o, "@deprecated(version = ");
    str(o, s->deprecated);
    str(o, ")");
    newline(o);
  }
}

static bool same_stability(const bt_wit_stability_t *a, const bt_wit_stability_t *b) {
  if (a->kind != b->kind) return false;
  const char *x[3] = {a->since, a->feature, a->deprecated};
  const char *y[3] = {b->since, b->feature, b->deprecated};
  for (int i = 0; i < 3; i++) {
    if (!x[i] != !y[i]) return false;
    if (x[i] && strcmp(x[i], y[i]) != 0) return false;
  }
  return true;
}

/* Prints the path to an interface: its bare name inside its own package,
 * `ns:pkg/name@version` elsewhere (cur NULL: always qualified). */
static void iface_path(out *o, const bt_wit_interface_t *iface, const bt_wit_package_t *cur) {
  if (iface->package == cur) {
    name(o, iface->name);
    return;
  }
  const bt_wit_package_t *p = iface->package;
  name(o, p->namespace_);
  str(o, ":");
  name(o, p->name);
  str(o, "/");
  name(o, iface->name);
  if (p->has_version) {
    str(o, "@");
    str(o, p->version.text);
  }
}

static void type_name(out *o, const bt_wit_type_t *t);

/* Prints a handle: `borrow<r>`, or for an own handle `r` (or `own<r>` when
 * `force_own`, as in `type h = own<r>`). */
static void handle_name(out *o, const bt_wit_type_t *t, bool force_own) {
  if (t->kind == BT_WIT_BORROW) {
    str(o, "borrow<");
    name(o, t->target->name);
    str(o, ">");
  } else if (force_own) {
    str(o, "own<");
    name(o, t->target->name);
    str(o, ">");
  } else {
    name(o, t->target->name);
  }
}

/* Prints a reference to a type: its name, or the structure of an anonymous
 * type (an own<> handle is written as just the resource's name). */
static void type_name(out *o, const bt_wit_type_t *t) {
  if (t->kind <= BT_WIT_STRING || t->kind == BT_WIT_ERROR_CONTEXT) {
    str(o, bt_wit_kind_name(t->kind));
    return;
  }
  if (t->name) {
    name(o, t->name);
    return;
  }
  switch (t->kind) {
    case BT_WIT_OWN:
    case BT_WIT_BORROW: handle_name(o, t, false); break;
    case BT_WIT_LIST:
    case BT_WIT_OPTION:
      str(o, t->kind == BT_WIT_LIST ? "list<" : "option<");
      type_name(o, t->target);
      str(o, ">");
      break;
    case BT_WIT_MAP:
      str(o, "map<");
      type_name(o, t->key);
      str(o, ", ");
      type_name(o, t->target);
      str(o, ">");
      break;
    case BT_WIT_FUTURE:
    case BT_WIT_STREAM:
      str(o, t->kind == BT_WIT_FUTURE ? "future" : "stream");
      if (t->target) {
        str(o, "<");
        type_name(o, t->target);
        str(o, ">");
      }
      break;
    case BT_WIT_TUPLE:
      str(o, "tuple<");
      for (size_t i = 0; i < t->count; i++) {
        if (i) str(o, ", ");
        type_name(o, t->types[i]);
      }
      str(o, ">");
      break;
    case BT_WIT_RESULT:
      str(o, "result");
      if (t->ok || t->err) {
        str(o, "<");
        if (t->ok) type_name(o, t->ok);
        else str(o, "_");
        if (t->err) {
          str(o, ", ");
          type_name(o, t->err);
        }
        str(o, ">");
      }
      break;
    default: str(o, "?"); break;
  }
}

/* Prints a function's signature after its name: `func(a: T) -> R` or
 * `constructor(a: T)` (the implicit `self` of methods is omitted). */
static void signature(out *o, const bt_wit_function_t *f) {
  if (f->is_async) str(o, "async ");
  str(o, f->kind == BT_WIT_FUNC_CONSTRUCTOR ? "constructor(" : "func(");
  size_t skip = f->kind == BT_WIT_FUNC_METHOD ? 1 : 0;
  for (size_t i = skip; i < f->param_count; i++) {
    if (i > skip) str(o, ", ");
    name(o, f->params[i].name);
    str(o, ": ");
    type_name(o, f->params[i].type);
  }
  str(o, ")");
  if (!f->result) return;
  if (f->kind == BT_WIT_FUNC_CONSTRUCTOR && f->result->kind == BT_WIT_OWN) return;
  str(o, " -> ");
  type_name(o, f->result);
}

/* Prints a record, variant, enum or flags definition with its members. */
static void member_list(out *o, const bt_wit_type_t *t, const char *kw) {
  str(o, kw);
  str(o, " ");
  name(o, t->name);
  block_start(o);
  for (size_t i = 0; i < t->count; i++) {
    const bt_wit_field_t *f = &t->fields[i];
    docs(o, f->docs);
    name(o, f->name);
    if (t->kind == BT_WIT_RECORD) {
      str(o, ": ");
      type_name(o, f->type);
    } else if (f->type) {
      str(o, "(");
      type_name(o, f->type);
      str(o, ")");
    }
    str(o, ",");
    newline(o);
  }
  block_end(o);
}

/* Prints the definition of a named non-resource type. */
static void declare(out *o, const bt_wit_type_t *t) {
  switch (t->kind) {
    case BT_WIT_RECORD: member_list(o, t, "record"); return;
    case BT_WIT_VARIANT: member_list(o, t, "variant"); return;
    case BT_WIT_ENUM: member_list(o, t, "enum"); return;
    case BT_WIT_FLAGS: member_list(o, t, "flags"); return;
    default: break;
  }
  str(o, "type ");
  name(o, t->name);
  str(o, " = ");
  const bt_wit_type_t *target = t->target;
  if (target && !target->name && (target->kind == BT_WIT_OWN || target->kind == BT_WIT_BORROW))
    handle_name(o, target, true);
  else if (target)
    type_name(o, target);
  semicolon(o);
}

/* Prints `resource r;` or `resource r { ... }` with the functions among
 * `funcs` that belong to it, in their order. */
static void resource(out *o, const bt_wit_type_t *t, bt_wit_function_t *const *funcs, size_t nf) {
  str(o, "resource ");
  name(o, t->name);
  size_t count = 0;
  for (size_t i = 0; i < nf; i++)
    if (funcs[i] && funcs[i]->kind != BT_WIT_FUNC_FREESTANDING && funcs[i]->resource == t) count++;
  if (count == 0) {
    semicolon(o);
    return;
  }
  block_start(o);
  for (size_t i = 0; i < nf; i++) {
    const bt_wit_function_t *f = funcs[i];
    if (!f || f->kind == BT_WIT_FUNC_FREESTANDING || f->resource != t) continue;
    docs(o, f->docs);
    stability(o, &f->stability);
    if (f->kind != BT_WIT_FUNC_CONSTRUCTOR) {
      name(o, f->item_name);
      str(o, ": ");
      if (f->kind == BT_WIT_FUNC_STATIC) str(o, "static ");
    }
    signature(o, f);
    semicolon(o);
  }
  block_end(o);
}

/* True when a type is a `use` of a type owned elsewhere. */
static bool is_use(const bt_wit_type_t *t) {
  if (t->kind != BT_WIT_ALIAS || !t->target || !t->target->name) return false;
  const bt_wit_type_t *o = t->target;
  if (o->owner_kind == BT_WIT_OWNER_NONE) return false;
  return !(o->owner_kind == t->owner_kind && o->interface == t->interface && o->world == t->world);
}

/* Prints the named types of an interface or world: merged `use`
 * statements, then definitions. `funcs` are candidate resource functions. */
static void types(out *o, bt_wit_type_t *const *ts, size_t n, bt_wit_function_t *const *funcs,
                  size_t nf, const bt_wit_package_t *cur) {
  size_t i = 0;
  while (i < n) {
    if (!is_use(ts[i])) {
      i++;
      continue;
    }
    const bt_wit_interface_t *from = ts[i]->target->interface;
    const bt_wit_type_t *first = ts[i];
    o->any_items = true;
    stability(o, &first->stability);
    str(o, "use ");
    iface_path(o, from, cur);
    str(o, ".{");
    size_t k = 0;
    for (; i < n; i++) {
      const bt_wit_type_t *t = ts[i];
      if (!is_use(t)) continue;
      if (k > 0 && (t->target->interface != from || !same_stability(&t->stability, &first->stability)))
        break;
      if (k++) str(o, ", ");
      if (strcmp(t->name, t->target->name) == 0) {
        name(o, t->name);
      } else {
        name(o, t->target->name);
        str(o, " as ");
        name(o, t->name);
      }
    }
    str(o, "}");
    semicolon(o);
  }
  for (size_t j = 0; j < n; j++) {
    const bt_wit_type_t *t = ts[j];
    if (is_use(t)) continue;
    new_item(o);
    docs(o, t->docs);
    stability(o, &t->stability);
    if (t->kind == BT_WIT_RESOURCE) resource(o, t, funcs, nf);
    else declare(o, t);
  }
}

/* Prints an interface's items; `cur` is the package `use` paths are
 * relative to (NULL: always qualified). */
static void interface_body(out *o, const bt_wit_interface_t *iface, const bt_wit_package_t *cur) {
  bool prev = o->any_items;
  o->any_items = false;
  types(o, iface->types, iface->type_count, iface->functions, iface->function_count, cur);
  for (size_t i = 0; i < iface->function_count; i++) {
    const bt_wit_function_t *f = iface->functions[i];
    if (f->kind != BT_WIT_FUNC_FREESTANDING) continue;
    new_item(o);
    docs(o, f->docs);
    stability(o, &f->stability);
    name(o, f->item_name);
    str(o, ": ");
    signature(o, f);
    semicolon(o);
  }
  o->any_items = prev;
}

/* Prints one import or export with its docs and gates. */
static void world_item(out *o, const bt_wit_world_item_t *it, const bt_wit_package_t *cur,
                       const char *kw) {
  if (it->kind == BT_WIT_ITEM_INTERFACE) {
    if (it->docs) docs(o, it->docs);
    else if (!it->by_interface) docs(o, it->interface->docs);
  } else if (it->kind == BT_WIT_ITEM_FUNCTION) {
    docs(o, it->function->docs);
  }
  stability(o, &it->stability);
  str(o, kw);
  str(o, " ");
  if (it->by_interface) {
    iface_path(o, it->interface, cur);
    semicolon(o);
    return;
  }
  name(o, it->name);
  str(o, ": ");
  if (it->kind == BT_WIT_ITEM_INTERFACE) {
    str(o, "interface");
    block_start(o);
    interface_body(o, it->interface, cur);
    block_end(o);
  } else {
    signature(o, it->function);
    semicolon(o);
  }
}

/* Prints a world's body; `cur` is the package paths are relative to. */
static void world_body(out *o, const bt_wit_world_t *w, const bt_wit_package_t *cur) {
  bool prev = o->any_items;
  o->any_items = false;
  size_t n = w->import_count;
  bt_wit_type_t **ts = bt_malloc((n + 1) * sizeof *ts);
  bt_wit_function_t **rf = bt_malloc((n + 1) * sizeof *rf);
  if (!ts || !rf) {
    bt_free(ts);
    bt_free(rf);
    o->failed = true;
    return;
  }
  size_t nt = 0, nrf = 0;
  for (size_t i = 0; i < n; i++) {
    const bt_wit_world_item_t *it = &w->imports[i];
    if (it->kind == BT_WIT_ITEM_TYPE) {
      ts[nt++] = it->type;
    } else if (it->kind == BT_WIT_ITEM_FUNCTION) {
      if (it->function->kind != BT_WIT_FUNC_FREESTANDING) rf[nrf++] = it->function;
    } else {
      world_item(o, it, cur, "import");
      o->any_items = true;
    }
  }
  types(o, ts, nt, rf, nrf, cur);
  bt_free(ts);
  bt_free(rf);
  for (size_t i = 0; i < n; i++) {
    const bt_wit_world_item_t *it = &w->imports[i];
    if (it->kind != BT_WIT_ITEM_FUNCTION || it->function->kind != BT_WIT_FUNC_FREESTANDING) continue;
    world_item(o, it, cur, "import");
    o->any_items = true;
  }
  if (w->export_count) new_item(o);
  for (size_t i = 0; i < w->export_count; i++) world_item(o, &w->exports[i], cur, "export");
  o->any_items = prev;
}

static void package_name(out *o, const bt_wit_package_t *p) {
  docs(o, p->docs);
  str(o, "package ");
  name(o, p->namespace_);
  str(o, ":");
  name(o, p->name);
  if (p->has_version) {
    str(o, "@");
    str(o, p->version.text);
  }
}

/* Prints a package: `package x;` plus items for the main package, a nested
 * `package x { ... }` block otherwise. */
static void package(out *o, const bt_wit_package_t *p, bool is_main) {
  package_name(o, p);
  if (is_main) {
    semicolon(o);
    newline(o);
  } else {
    block_start(o);
  }
  for (size_t i = 0; i < p->interface_count; i++) {
    const bt_wit_interface_t *iface = p->interfaces[i];
    docs(o, iface->docs);
    stability(o, &iface->stability);
    str(o, "interface ");
    name(o, iface->name);
    block_start(o);
    interface_body(o, iface, p);
    block_end(o);
    if (is_main) newline(o);
  }
  for (size_t i = 0; i < p->world_count; i++) {
    const bt_wit_world_t *w = p->worlds[i];
    docs(o, w->docs);
    stability(o, &w->stability);
    str(o, "world ");
    name(o, w->name);
    block_start(o);
    world_body(o, w, p);
    block_end(o);
  }
  if (!is_main) block_end(o);
}

char *wit_print_to_string(const bt_wit_resolve_t *r, const bt_wit_world_t *world_only) {
  out o;
  memset(&o, 0, sizeof o);
  if (world_only) {
    str(&o, "package root:component;");
    newline(&o);
    newline(&o);
    str(&o, "world root");
    block_start(&o);
    world_body(&o, world_only, NULL);
    block_end(&o);
  } else {
    package(&o, r->main, true);
    size_t k = 0;
    for (size_t i = 0; i < r->package_count; i++) {
      if (r->packages[i] == r->main) continue;
      if (k++ > 0) {
        newline(&o);
        newline(&o);
      }
      package(&o, r->packages[i], false);
    }
  }
  if (o.failed || !o.buf) {
    if (!o.failed && !o.buf) {
      char *empty = bt_malloc(1);
      if (empty) empty[0] = 0;
      return empty;
    }
    bt_free(o.buf);
    return NULL;
  }
  return o.buf;
}

char *bt_wit_type_text(const bt_wit_type_t *t, char *buf, size_t cap) {
  if (!buf || !cap) return buf;
  out o;
  memset(&o, 0, sizeof o);
  if (t) type_name(&o, t);
  else str(&o, "_");
  const char *text = o.failed || !o.buf ? "?" : o.buf;
  size_t n = strlen(text);
  if (n < cap) {
    memcpy(buf, text, n + 1);
  } else {
    size_t keep = cap > 4 ? cap - 4 : 0;
    memcpy(buf, text, keep);
    memcpy(buf + keep, "...", cap - keep - 1);
    buf[cap - 1] = 0;
  }
  bt_free(o.buf);
  return buf;
}

char *wit_print_package_to_string(const bt_wit_package_t *p) {
  out o;
  memset(&o, 0, sizeof o);
  package(&o, p, true);
  if (o.failed) {
    bt_free(o.buf);
    return NULL;
  }
  if (!o.buf) {
    char *empty = bt_malloc(1);
    if (empty) empty[0] = 0;
    return empty;
  }
  return o.buf;
}

/* Writes and frees printed text; NULL text means printing ran out of memory. */
static baton_error_t *write_out(char *text, FILE *f) {
  if (!text) return baton_error_new(BATON_ENO_MEMORY, "out of memory while printing WIT");
  size_t n = strlen(text);
  size_t w = fwrite(text, 1, n, f);
  bt_free(text);
  if (w != n) return baton_error_new(BATON_EIO, "failed to write WIT output");
  return NULL;
}

baton_error_t *bt_wit_print(const bt_wit_resolve_t *resolve, FILE *f) {
  if (!resolve || !f) return baton_error_new(BATON_EINVALID_ARGUMENT, "bt_wit_print: NULL argument");
  return write_out(wit_print_to_string(resolve, NULL), f);
}

baton_error_t *bt_wit_print_world(const bt_wit_resolve_t *resolve, const bt_wit_world_t *world,
                                  FILE *f) {
  if (!resolve || !world || !f)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "bt_wit_print_world: NULL argument");
  return write_out(wit_print_to_string(resolve, world), f);
}
