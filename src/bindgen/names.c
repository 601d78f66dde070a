/*
 * src/bindgen/names.c: the C names of the bindings and the catalogue of the
 * types a world uses. Names follow wit-bindgen's C generator: an imported
 * interface `ns:pkg/iface` prefixes its items with `ns_pkg_iface`, an
 * exported one with `exports_ns_pkg_iface`, world-level items with the world
 * name (`exports_<world>` for exports); named types become
 * `<prefix>_<name>_t` and anonymous ones `<world>_list_u8_t`,
 * `<world>_option_string_t`, `<world>_result_void_error_t`,
 * `<world>_tuple2_u32_string_t`. Structurally equal anonymous types share one
 * C type; when two different types would get the same name the later one
 * falls back to a name built from its members' full names, then to a
 * numeric suffix, so that generation never fails on a collision and stays
 * deterministic. Types are ordered depth-first so that every definition
 * precedes its uses (WIT types cannot be recursive).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bindgen/internal.h"

/* ---- scratch strings ---- */

/* Adds p to the scratch list (freeing it on failure). Returns false when
 * out of memory. */
static bool push_scratch(bg_t *g, void *p) {
  if (g->nscratch == g->cscratch) {
    size_t cap = g->cscratch ? g->cscratch * 2 : 64;
    char **q = bt_realloc(g->scratch, cap * sizeof *q);
    if (!q) {
      bt_free(p);
      g->oom = true;
      return false;
    }
    g->scratch = q;
    g->cscratch = cap;
  }
  g->scratch[g->nscratch++] = p;
  return true;
}

/* Keeps a heap string until generation ends; "" when s is NULL or cannot
 * be kept (g->oom is set then). */
static char *keep(bg_t *g, char *s) {
  if (!s) {
    g->oom = true;
    return "";
  }
  return push_scratch(g, s) ? s : "";
}

void *bg_alloc(bg_t *g, size_t n) {
  void *p = bt_calloc(1, n ? n : 1);
  if (!p) {
    g->oom = true;
    return NULL;
  }
  return push_scratch(g, p) ? p : NULL;
}

char *bg_fmt(bg_t *g, const char *fmt, ...) {
  bt_strbuf_t b = BT_STRBUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  bt_strbuf_vprintf(&b, fmt, ap);
  va_end(ap);
  return keep(g, bt_strbuf_take(&b, NULL));
}

/* Converts a WIT identifier: '-' and other non-identifier bytes become '_',
 * letters are folded to the requested case. */
static char *convert(bg_t *g, const char *name, bool upper) {
  size_t n = strlen(name);
  char *s = bt_malloc(n + 1);
  if (!s) return keep(g, NULL);
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z' && !upper) c = (char)(c - 'A' + 'a');
    else if (c >= 'a' && c <= 'z' && upper) c = (char)(c - 'a' + 'A');
    else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      c = '_';
    s[i] = c;
  }
  s[n] = 0;
  return keep(g, s);
}

char *bg_snake(bg_t *g, const char *name) { return convert(g, name, false); }
char *bg_upper(bg_t *g, const char *name) { return convert(g, name, true); }

const char *bg_ident(bg_t *g, const char *name) {
  static const char *const reserved[] = {
      "auto", "bool", "break", "case", "char", "const", "continue", "default", "do", "double",
      "else", "enum", "extern", "false", "float", "for", "goto", "if", "inline", "int", "long",
      "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
      "switch", "true", "typedef", "union", "unsigned", "void", "volatile", "while", "asm",
      "errno", "NULL", "alignas", "alignof", "noreturn", "static_assert", "thread_local",
      "typeof", "complex", "imaginary", "assert", "offsetof"};
  for (size_t i = 0; i < BT_ARRAY_LEN(reserved); i++)
    if (!strcmp(name, reserved[i])) return bg_fmt(g, "%s_", name);
  return name;
}

void bg_doc(bt_strbuf_t *o, int ind, const char *text) {
  if (!text || !*text) return;
  bt_strbuf_printf(o, "%*s/*", ind, "");
  const char *p = text;
  bool multi = strchr(text, '\n') != NULL;
  if (multi) bt_strbuf_printf(o, "\n%*s *", ind, "");
  while (*p) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    bt_strbuf_putc(o, ' ');
    for (size_t i = 0; i < n; i++) {
      /* "*" followed by "/" would end the comment early. */
      if (p[i] == '*' && i + 1 < n && p[i + 1] == '/') {
        bt_strbuf_puts(o, "* ");
        continue;
      }
      if (p[i] != '\r') bt_strbuf_putc(o, p[i]);
    }
    p += n;
    if (*p == '\n') {
      p++;
      if (*p) bt_strbuf_printf(o, "\n%*s *", ind, "");
    }
  }
  if (multi) bt_strbuf_printf(o, "\n%*s */\n", ind, "");
  else bt_strbuf_puts(o, " */\n");
}

void bg_cstr(bt_strbuf_t *o, const char *s) {
  bt_strbuf_putc(o, '"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') bt_strbuf_putc(o, '\\');
    bt_strbuf_putc(o, *s);
  }
  bt_strbuf_putc(o, '"');
}

/* ---- owners ---- */

/* The prefix of an interface item: "ns_pkg_iface", or "<world>_<name>" for an
 * inline interface; "exports_" in front for exports. */
static char *iface_prefix(bg_t *g, const bt_wit_interface_t *iface, const char *item_name,
                          bool exported) {
  const char *ex = exported ? "exports_" : "";
  if (iface->name && iface->package)
    return bg_fmt(g, "%s%s_%s_%s", ex, bg_snake(g, iface->package->namespace_),
                  bg_snake(g, iface->package->name), bg_snake(g, iface->name));
  return bg_fmt(g, "%s%s_%s", ex, g->ws, bg_snake(g, item_name ? item_name : "interface"));
}

/* Appends an owner for interface item `item` (NULL for an interface the
 * world reaches only through types). Returns it, or NULL when out of
 * memory. */
static bg_owner_t *add_owner(bg_t *g, const bt_wit_interface_t *iface,
                             const bt_wit_world_item_t *item, bool exported) {
  bg_owner_t **p = bt_realloc(g->owners, (g->nowners + 1) * sizeof *p);
  if (!p) {
    g->oom = true;
    return NULL;
  }
  g->owners = p;
  bg_owner_t *o = bt_calloc(1, sizeof *o);
  if (!o) {
    g->oom = true;
    return NULL;
  }
  p[g->nowners++] = o;
  o->iface = iface;
  o->item = item;
  o->exported = exported;
  o->prefix = iface_prefix(g, iface, item ? item->name : NULL, exported);
  o->module = (char *)(iface->qualified_name ? iface->qualified_name
                                             : item && item->name ? item->name : "");
  return o;
}

void bg_owners_init(bg_t *g) {
  g->world_owner.prefix = g->ws;
  g->world_owner.module = "$root";
  g->world_export.prefix = bg_fmt(g, "exports_%s", g->ws);
  g->world_export.module = "$root";
  g->world_export.exported = true;
  for (int pass = 0; pass < 2; pass++) {
    const bt_wit_world_item_t *items = pass ? g->world->exports : g->world->imports;
    size_t n = pass ? g->world->export_count : g->world->import_count;
    for (size_t i = 0; i < n; i++)
      if (items[i].kind == BT_WIT_ITEM_INTERFACE && items[i].interface)
        add_owner(g, items[i].interface, &items[i], pass == 1);
  }
  /* Two versions of one interface would share a prefix: add the version. */
  for (size_t i = 0; i < g->nowners; i++) {
    for (size_t j = i + 1; j < g->nowners; j++) {
      if (strcmp(g->owners[i]->prefix, g->owners[j]->prefix) != 0) continue;
      bg_owner_t *pair[2] = {g->owners[i], g->owners[j]};
      for (int k = 0; k < 2; k++) {
        const bt_wit_package_t *pkg = pair[k]->iface->package;
        if (pkg && pkg->has_version)
          pair[k]->prefix = bg_fmt(g, "%s_%s", pair[k]->prefix, bg_snake(g, pkg->version.text));
      }
      if (!strcmp(g->owners[i]->prefix, g->owners[j]->prefix))
        g->owners[j]->prefix = bg_fmt(g, "%s_%zu", g->owners[j]->prefix, j);
    }
  }
}

const bg_owner_t *bg_owner_of_iface(bg_t *g, const bt_wit_interface_t *iface) {
  for (size_t i = 0; i < g->nowners; i++)
    if (g->owners[i]->iface == iface) return g->owners[i];
  const bg_owner_t *o = add_owner(g, iface, NULL, false);
  return o ? o : &g->world_owner;
}

const bg_owner_t *bg_owner_of_item(bg_t *g, const bt_wit_world_item_t *item, bool exported) {
  if (item->kind != BT_WIT_ITEM_INTERFACE) return exported ? &g->world_export : &g->world_owner;
  for (size_t i = 0; i < g->nowners; i++)
    if (g->owners[i]->item == item) return g->owners[i];
  return bg_owner_of_iface(g, item->interface);
}

static const bg_owner_t *owner_of_type(bg_t *g, const bt_wit_type_t *t) {
  if (t->owner_kind == BT_WIT_OWNER_INTERFACE && t->interface)
    return bg_owner_of_iface(g, t->interface);
  return &g->world_owner;
}

char *bg_func_name(bg_t *g, const bg_owner_t *owner, const bt_wit_function_t *fn) {
  const char *n = fn->name;
  const char *tag = NULL;
  if (!strncmp(n, "[method]", 8)) tag = "method", n += 8;
  else if (!strncmp(n, "[static]", 8)) tag = "static", n += 8;
  else if (!strncmp(n, "[constructor]", 13)) tag = "constructor", n += 13;
  if (tag) return bg_fmt(g, "%s_%s_%s", owner->prefix, tag, bg_snake(g, n));
  return bg_fmt(g, "%s_%s", owner->prefix, bg_snake(g, n));
}

/* ---- the type catalogue ---- */

static const char *prim_ctype(bt_wit_kind_t k) {
  switch (k) {
    case BT_WIT_BOOL: return "bool";
    case BT_WIT_S8: return "int8_t";
    case BT_WIT_U8: return "uint8_t";
    case BT_WIT_S16: return "int16_t";
    case BT_WIT_U16: return "uint16_t";
    case BT_WIT_S32: return "int32_t";
    case BT_WIT_U32: return "uint32_t";
    case BT_WIT_S64: return "int64_t";
    case BT_WIT_U64: return "uint64_t";
    case BT_WIT_F32: return "float";
    case BT_WIT_F64: return "double";
    case BT_WIT_CHAR: return "uint32_t";
    default: return NULL;
  }
}

static bg_entry_t *key_lookup(bg_t *g, const bt_wit_type_t *t) {
  for (size_t i = 0; i < g->nkeys; i++)
    if (g->keys[i].type == t) return &g->entries[g->keys[i].entry];
  return NULL;
}

bg_entry_t *bg_entry(bg_t *g, const bt_wit_type_t *t) {
  if (t && t->kind == BT_WIT_STRING) return &g->entries[g->string_entry];
  return t ? key_lookup(g, t) : NULL;
}

static bool add_key(bg_t *g, const bt_wit_type_t *t, size_t entry) {
  if (g->nkeys == g->ckeys) {
    size_t cap = g->ckeys ? g->ckeys * 2 : 64;
    bg_key_t *p = bt_realloc(g->keys, cap * sizeof *p);
    if (!p) {
      g->oom = true;
      return false;
    }
    g->keys = p;
    g->ckeys = cap;
  }
  g->keys[g->nkeys++] = (bg_key_t){t, entry};
  return true;
}

/* Creates a zeroed entry for t and maps t to it; returns its index or
 * SIZE_MAX when out of memory. */
static size_t new_entry(bg_t *g, const bt_wit_type_t *t) {
  if (g->nentries == g->centries) {
    size_t cap = g->centries ? g->centries * 2 : 64;
    bg_entry_t *p = bt_realloc(g->entries, cap * sizeof *p);
    if (!p) {
      g->oom = true;
      return SIZE_MAX;
    }
    g->entries = p;
    g->centries = cap;
  }
  size_t i = g->nentries++;
  memset(&g->entries[i], 0, sizeof g->entries[i]);
  g->entries[i].type = t;
  if (t && !add_key(g, t, i)) return SIZE_MAX;
  return i;
}

/* Appends entry i to the emission order, once. */
static void push_order(bg_t *g, size_t i) {
  if (g->entries[i].ordered) return;
  if (g->norder == g->corder) {
    size_t cap = g->corder ? g->corder * 2 : 64;
    size_t *p = bt_realloc(g->order, cap * sizeof *p);
    if (!p) {
      g->oom = true;
      return;
    }
    g->order = p;
    g->corder = cap;
  }
  g->order[g->norder++] = i;
  g->entries[i].ordered = true;
}

static bool base_taken(bg_t *g, const char *base) {
  for (size_t i = 0; i < g->nentries; i++)
    if (g->entries[i].base && !strcmp(g->entries[i].base, base)) return true;
  return false;
}

const char *bg_ctype(bg_t *g, const bt_wit_type_t *t) {
  const char *p = prim_ctype(t->kind);
  if (p) return p;
  bg_entry_t *e = bg_entry(g, t);
  return e && e->name ? e->name : "void";
}

bool bg_is_scalar(bg_t *g, const bt_wit_type_t *t) {
  if (prim_ctype(t->kind)) return true;
  bg_entry_t *e = bg_entry(g, t);
  return e && e->scalar;
}

bool bg_owns(bg_t *g, const bt_wit_type_t *t) {
  if (!t || prim_ctype(t->kind)) return false;
  bg_entry_t *e = bg_entry(g, t);
  return e && e->owns;
}

/* The part of an anonymous type name that names member t: the short form
 * is the WIT name ("point"), the long form the member's full C stem. */
static const char *member_part(bg_t *g, const bt_wit_type_t *t, bool long_form) {
  static const char *const prim[] = {
      [BT_WIT_BOOL] = "bool", [BT_WIT_S8] = "s8",   [BT_WIT_U8] = "u8",   [BT_WIT_S16] = "s16",
      [BT_WIT_U16] = "u16",   [BT_WIT_S32] = "s32", [BT_WIT_U32] = "u32", [BT_WIT_S64] = "s64",
      [BT_WIT_U64] = "u64",   [BT_WIT_F32] = "f32", [BT_WIT_F64] = "f64", [BT_WIT_CHAR] = "char",
      [BT_WIT_STRING] = "string"};
  if (!t) return "void";
  if (t->kind <= BT_WIT_STRING) return prim[t->kind];
  bg_entry_t *e = bg_entry(g, t);
  if (!e) return "void";
  if (long_form && e->base) {
    /* Drop the world prefix of anonymous stems to keep names short. */
    size_t n = strlen(g->ws);
    if (e->sig && !strncmp(e->base, g->ws, n) && e->base[n] == '_') return e->base + n + 1;
    return e->base;
  }
  return e->part ? e->part : "void";
}

static size_t visit(bg_t *g, const bt_wit_type_t *t);

/* The C type identifying member t in an anonymous type's structural key:
 * aliases are followed, so that list<a.item> and list<b.item> (b `use`s
 * item from a) share one C type. */
static const char *sig_ctype(bg_t *g, const bt_wit_type_t *t) {
  return bg_ctype(g, bt_wit_type_unalias(t));
}

/* Registers an anonymous type whose structural key is `sig`, reusing an
 * entry with the same key; `shortp` and `longp` are its name parts. */
static size_t anon_entry(bg_t *g, const bt_wit_type_t *t, const char *sig, const char *shortp,
                         const char *longp) {
  for (size_t i = 0; i < g->nentries; i++) {
    if (g->entries[i].sig && !strcmp(g->entries[i].sig, sig)) {
      add_key(g, t, i);
      return i;
    }
  }
  size_t i = new_entry(g, t);
  if (i == SIZE_MAX) return i;
  bg_entry_t *e = &g->entries[i];
  e->sig = bg_fmt(g, "%s", sig);
  char *base = bg_fmt(g, "%s_%s", g->ws, shortp);
  char *part = bg_fmt(g, "%s", shortp); /* the callers' strings may be temporary */
  if (base_taken(g, base)) {
    base = bg_fmt(g, "%s_%s", g->ws, longp);
    part = bg_fmt(g, "%s", longp);
  }
  for (int k = 2; base_taken(g, base) && !g->oom; k++) base = bg_fmt(g, "%s_%s_%d", g->ws, longp, k);
  e = &g->entries[i];
  e->base = base;
  e->part = part;
  e->name = bg_fmt(g, "%s_t", base);
  return i;
}

/* Registers the name of a named type (pass 1). */
static void name_named(bg_t *g, const bt_wit_type_t *t) {
  if (!t || key_lookup(g, t)) return;
  size_t i = new_entry(g, t);
  if (i == SIZE_MAX) return;
  bg_entry_t *e = &g->entries[i];
  const bg_owner_t *o = owner_of_type(g, t);
  e->owner = o;
  e->part = bg_snake(g, t->name);
  char *base = bg_fmt(g, "%s_%s", o->prefix, e->part);
  /* A world-level type named `string` would take the string type's name. */
  while (base_taken(g, base) && !g->oom) base = bg_fmt(g, "%s_", base);
  e = &g->entries[i];
  e->base = base;
  if (t->kind == BT_WIT_RESOURCE) {
    e->exported = o->exported;
    e->own_name = bg_fmt(g, "%s_own_%s_t", o->prefix, e->part);
    e->borrow_name = bg_fmt(g, "%s_borrow_%s_t", o->prefix, e->part);
    if (e->exported) e->name = bg_fmt(g, "%s_t", e->base);
    return;
  }
  e->name = bg_fmt(g, "%s_t", e->base);
}

/* Visits the members of t, then registers t (pass 2); returns its entry
 * index, or SIZE_MAX for primitives other than string. */
static size_t visit(bg_t *g, const bt_wit_type_t *t) {
  if (!t || g->oom) return SIZE_MAX;
  if (prim_ctype(t->kind)) return SIZE_MAX;
  if (t->kind == BT_WIT_STRING) return g->string_entry;
  bg_entry_t *found = key_lookup(g, t);
  if (found && found->ordered) return (size_t)(found - g->entries);
  size_t idx = SIZE_MAX;
  switch (t->kind) {
    case BT_WIT_ALIAS: {
      visit(g, t->target);
      if (!found) name_named(g, t);
      found = key_lookup(g, t);
      if (!found) return SIZE_MAX;
      const bt_wit_type_t *u = bt_wit_type_unalias(t);
      if (u && u->kind == BT_WIT_RESOURCE) {
        found->name = NULL; /* `use`d resource: its handles keep their names */
      } else {
        found->owns = bg_owns(g, t->target);
        found->scalar = bg_is_scalar(g, t->target);
      }
      idx = (size_t)(found - g->entries);
      break;
    }
    case BT_WIT_RECORD: case BT_WIT_VARIANT: case BT_WIT_ENUM: case BT_WIT_FLAGS:
    case BT_WIT_RESOURCE: {
      bool owns = false;
      if (t->kind == BT_WIT_RECORD || t->kind == BT_WIT_VARIANT)
        for (size_t i = 0; i < t->count; i++) {
          visit(g, t->fields[i].type);
          owns |= bg_owns(g, t->fields[i].type);
        }
      if (!found) name_named(g, t);
      found = key_lookup(g, t);
      if (!found) return SIZE_MAX;
      found->owns = owns;
      found->scalar = t->kind == BT_WIT_ENUM || t->kind == BT_WIT_FLAGS;
      idx = (size_t)(found - g->entries);
      break;
    }
    case BT_WIT_OWN: case BT_WIT_BORROW: {
      size_t r = visit(g, t->resource);
      if (r == SIZE_MAX) return r;
      bool own = t->kind == BT_WIT_OWN;
      char *sig = bg_fmt(g, "%s(%s)", own ? "own" : "borrow", g->entries[r].base);
      char *name = own ? g->entries[r].own_name : g->entries[r].borrow_name;
      for (size_t i = 0; i < g->nentries && idx == SIZE_MAX; i++)
        if (g->entries[i].sig && !strcmp(g->entries[i].sig, sig)) idx = i, add_key(g, t, i);
      if (idx == SIZE_MAX) {
        idx = new_entry(g, t);
        if (idx == SIZE_MAX) return idx;
        bg_entry_t *e = &g->entries[idx];
        e->sig = sig;
        e->name = name;
        e->base = bg_fmt(g, "%.*s", (int)(strlen(name) - 2), name);
        e->part = bg_fmt(g, "%s_%s", own ? "own" : "borrow", g->entries[r].part);
        e->scalar = true;
        e->exported = g->entries[r].exported;
        e->owner = g->entries[r].owner;
      }
      break;
    }
    case BT_WIT_LIST: case BT_WIT_OPTION: {
      visit(g, t->target);
      const char *kw = t->kind == BT_WIT_LIST ? "list" : "option";
      char *sig = bg_fmt(g, "%s(%s)", kw, sig_ctype(g, t->target));
      idx = anon_entry(g, t, sig, bg_fmt(g, "%s_%s", kw, member_part(g, t->target, false)),
                       bg_fmt(g, "%s_%s", kw, member_part(g, t->target, true)));
      if (idx != SIZE_MAX) g->entries[idx].owns = t->kind == BT_WIT_LIST || bg_owns(g, t->target);
      break;
    }
    case BT_WIT_RESULT: {
      visit(g, t->ok);
      visit(g, t->err);
      char *sig = bg_fmt(g, "result(%s,%s)", t->ok ? sig_ctype(g, t->ok) : "-",
                         t->err ? sig_ctype(g, t->err) : "-");
      idx = anon_entry(g, t, sig,
                       bg_fmt(g, "result_%s_%s", member_part(g, t->ok, false),
                              member_part(g, t->err, false)),
                       bg_fmt(g, "result_%s_%s", member_part(g, t->ok, true),
                              member_part(g, t->err, true)));
      if (idx != SIZE_MAX) g->entries[idx].owns = bg_owns(g, t->ok) || bg_owns(g, t->err);
      break;
    }
    case BT_WIT_TUPLE: {
      bool owns = false;
      bt_strbuf_t sig = BT_STRBUF_INIT, sp = BT_STRBUF_INIT, lp = BT_STRBUF_INIT;
      bt_strbuf_puts(&sig, "tuple(");
      bt_strbuf_printf(&sp, "tuple%zu", t->count);
      bt_strbuf_printf(&lp, "tuple%zu", t->count);
      for (size_t i = 0; i < t->count; i++) {
        visit(g, t->types[i]);
        owns |= bg_owns(g, t->types[i]);
        bt_strbuf_printf(&sig, "%s%s", i ? "," : "", sig_ctype(g, t->types[i]));
        bt_strbuf_printf(&sp, "_%s", member_part(g, t->types[i], false));
        bt_strbuf_printf(&lp, "_%s", member_part(g, t->types[i], true));
      }
      bt_strbuf_putc(&sig, ')');
      if (sig.failed || sp.failed || lp.failed) g->oom = true;
      else idx = anon_entry(g, t, sig.data, sp.data, lp.data);
      bt_strbuf_free(&sig);
      bt_strbuf_free(&sp);
      bt_strbuf_free(&lp);
      if (idx != SIZE_MAX) g->entries[idx].owns = owns;
      break;
    }
    default: return SIZE_MAX;
  }
  if (idx != SIZE_MAX) push_order(g, idx);
  return idx;
}

static void visit_function(bg_t *g, const bt_wit_function_t *fn) {
  for (size_t i = 0; i < fn->param_count; i++) visit(g, fn->params[i].type);
  visit(g, fn->result);
}

/* Calls f on every named type and function of the world's items. */
static void each_item(bg_t *g, void (*ft)(bg_t *, const bt_wit_type_t *),
                      void (*ff)(bg_t *, const bt_wit_function_t *)) {
  for (int pass = 0; pass < 2; pass++) {
    const bt_wit_world_item_t *items = pass ? g->world->exports : g->world->imports;
    size_t n = pass ? g->world->export_count : g->world->import_count;
    for (size_t i = 0; i < n; i++) {
      const bt_wit_world_item_t *it = &items[i];
      if (it->kind == BT_WIT_ITEM_INTERFACE && it->interface) {
        for (size_t k = 0; k < it->interface->type_count; k++) ft(g, it->interface->types[k]);
        if (ff)
          for (size_t k = 0; k < it->interface->function_count; k++)
            ff(g, it->interface->functions[k]);
      } else if (it->kind == BT_WIT_ITEM_TYPE && it->type) {
        ft(g, it->type);
      } else if (it->kind == BT_WIT_ITEM_FUNCTION && it->function && ff) {
        ff(g, it->function);
      }
    }
  }
}

static void visit_type(bg_t *g, const bt_wit_type_t *t) { visit(g, t); }

void bg_collect_types(bg_t *g) {
  size_t s = new_entry(g, NULL);
  if (s == SIZE_MAX) return;
  g->string_entry = s;
  bg_entry_t *e = &g->entries[s];
  e->base = bg_fmt(g, "%s_string", g->ws);
  e->name = bg_fmt(g, "%s_t", e->base);
  e->part = "string";
  e->sig = "string";
  e->owns = true;
  e->ordered = true; /* written by the preamble */
  each_item(g, name_named, NULL);
  each_item(g, visit_type, visit_function);
}
