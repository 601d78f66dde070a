/*
 * tests/wit/test_wit.c: tests of the WIT front end (src/wit).
 *
 * Run without arguments it executes the unit tests: resolution of every
 * construct, the shape of the type model, error messages and positions,
 * allocation-failure injection, and the corpus under tests/wit/corpus.
 *
 * It also serves as the cross-check driver for test_wit_xcheck.sh:
 *   test_wit print PATH          print every package, normalized
 *   test_wit worlds PATH         list the main package's worlds, one a line
 *   test_wit print-world PATH W  print world W as a component's world, the
 *                                form `wasm-tools component wit` prints for
 *                                a component built from a dummy module
 *   test_wit check PATH          parse; print the error (exit 1) or "ok"
 * Options for those modes: `--features a,b` and `--all-features`.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/common.h"
#include "wit/wit.h"

/* ---- helpers ---- */

/* Parses text, asserting success. */
static bt_wit_resolve_t *parse_ok(const char *text) {
  bt_wit_resolve_t *r = NULL;
  baton_error_t *e = bt_wit_parse_string("test.wit", text, &r);
  if (e) {
    fprintf(stderr, "unexpected error:\n%s\n", baton_error_message(e));
    baton_error_delete(e);
    return NULL;
  }
  return r;
}

/* Parses text expecting failure; returns the heap-copied message. */
static char *parse_err(const char *text, baton_errno_t *code) {
  bt_wit_resolve_t *r = NULL;
  baton_error_t *e = bt_wit_parse_string("test.wit", text, &r);
  if (!e) {
    bt_wit_free(r);
    return NULL;
  }
  if (code) *code = baton_error_code(e);
  char *m = strdup(baton_error_message(e));
  baton_error_delete(e);
  return m;
}

/* Prints a resolve (or one world) to a heap string. */
static char *print_str(const bt_wit_resolve_t *r, const bt_wit_world_t *w) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  baton_error_t *e = w ? bt_wit_print_world(r, w, f) : bt_wit_print(r, f);
  fclose(f);
  if (e) {
    baton_error_delete(e);
    free(buf);
    return NULL;
  }
  return buf;
}

/* ---- unit tests ---- */

static const bt_wit_interface_t *iface_named(const bt_wit_package_t *p, const char *name) {
  for (size_t i = 0; i < p->interface_count; i++)
    if (strcmp(p->interfaces[i]->name, name) == 0) return p->interfaces[i];
  return NULL;
}

static const bt_wit_world_t *world_named(const bt_wit_resolve_t *r, const char *name) {
  const bt_wit_world_t *w = NULL;
  baton_error_t *e = bt_wit_find_world(r, name, &w);
  baton_error_delete(e);
  return w;
}

TEST(primitives_are_singletons) {
  bt_wit_resolve_t *r = parse_ok(
      "package a:b;\n"
      "interface i {\n"
      "  f: func(a: bool, b: s8, c: u8, d: s16, e: u16, f: s32, g: u32, h: s64, i: u64,\n"
      "          j: f32, k: f64, l: char, m: string) -> u64;\n"
      "  g: func();\n"
      "}\n");
  ASSERT_NOT_NULL(r);
  ASSERT_STREQ(r->main->id, "a:b");
  ASSERT_EQ(r->package_count, 1);
  const bt_wit_interface_t *i = iface_named(r->main, "i");
  ASSERT_NOT_NULL(i);
  ASSERT_STREQ(i->qualified_name, "a:b/i");
  bt_wit_function_t *f = bt_wit_interface_function(i, "f");
  ASSERT_NOT_NULL(f);
  ASSERT_EQ(f->param_count, 13);
  static const bt_wit_kind_t kinds[] = {BT_WIT_BOOL, BT_WIT_S8,  BT_WIT_U8,  BT_WIT_S16, BT_WIT_U16,
                                        BT_WIT_S32,  BT_WIT_U32, BT_WIT_S64, BT_WIT_U64, BT_WIT_F32,
                                        BT_WIT_F64,  BT_WIT_CHAR, BT_WIT_STRING};
  for (size_t k = 0; k < 13; k++) {
    ASSERT_EQ(f->params[k].type->kind, kinds[k]);
    ASSERT_TRUE(f->params[k].type == bt_wit_prim(kinds[k]));
  }
  ASSERT_TRUE(f->result == bt_wit_prim(BT_WIT_U64));
  bt_wit_function_t *g = bt_wit_interface_function(i, "g");
  ASSERT_EQ(g->param_count, 0);
  ASSERT_NULL(g->result);
  ASSERT_NULL(bt_wit_prim(BT_WIT_LIST));
  ASSERT_STREQ(bt_wit_kind_name(BT_WIT_BORROW), "borrow");
  bt_wit_free(r);
}

TEST(anonymous_types_are_interned) {
  bt_wit_resolve_t *r = parse_ok(
      "package a:b;\n"
      "interface i {\n"
      "  f: func(a: list<u8>, b: option<list<u8>>) -> tuple<list<u8>, string>;\n"
      "  g: func(a: list<u8>, b: option<list<u8>>, c: result<_, string>, d: result, e: result<u8>)\n"
      "     -> tuple<list<u8>, string>;\n"
      "}\n"
      "interface j { h: func(x: list<u8>); }\n");
  ASSERT_NOT_NULL(r);
  const bt_wit_interface_t *i = iface_named(r->main, "i"), *j = iface_named(r->main, "j");
  bt_wit_function_t *f = bt_wit_interface_function(i, "f"), *g = bt_wit_interface_function(i, "g");
  ASSERT_TRUE(f->params[0].type == g->params[0].type);
  ASSERT_TRUE(f->params[1].type == g->params[1].type);
  ASSERT_TRUE(f->result == g->result);
  ASSERT_TRUE(bt_wit_interface_function(j, "h")->params[0].type == f->params[0].type);
  const bt_wit_type_t *list = f->params[0].type;
  ASSERT_EQ(list->kind, BT_WIT_LIST);
  ASSERT_NULL(list->name);
  ASSERT_EQ(list->owner_kind, BT_WIT_OWNER_NONE);
  ASSERT_TRUE(list->target == bt_wit_prim(BT_WIT_U8));
  ASSERT_EQ(f->params[1].type->kind, BT_WIT_OPTION);
  ASSERT_TRUE(f->params[1].type->target == list);
  ASSERT_EQ(f->result->kind, BT_WIT_TUPLE);
  ASSERT_EQ(f->result->count, 2);
  ASSERT_TRUE(f->result->types[0] == list);
  const bt_wit_type_t *c = g->params[2].type, *d = g->params[3].type, *e = g->params[4].type;
  ASSERT_EQ(c->kind, BT_WIT_RESULT);
  ASSERT_NULL(c->ok);
  ASSERT_TRUE(c->err == bt_wit_prim(BT_WIT_STRING));
  ASSERT_NULL(d->ok);
  ASSERT_NULL(d->err);
  ASSERT_TRUE(e->ok == bt_wit_prim(BT_WIT_U8));
  ASSERT_NULL(e->err);
  bt_wit_free(r);
}

TEST(async_map_model) {
  bt_wit_resolve_t *r = parse_ok(
      "package a:b;\n"
      "interface i {\n"
      "  record empty {}\n"
      "  type m = map<string, list<u8>>;\n"
      "  resource res { get: async func() -> stream; mk: static async func() -> res; }\n"
      "  f: async func(a: map<string, list<u8>>, b: stream<u8>, c: future, d: error-context)\n"
      "     -> future<m>;\n"
      "  g: func(e: empty, h: option<tuple<u8, map<u32, bool>>>) -> list<u8>;\n"
      "}\n");
  ASSERT_NOT_NULL(r);
  const bt_wit_interface_t *i = iface_named(r->main, "i");
  const bt_wit_function_t *f = bt_wit_interface_function(i, "f");
  const bt_wit_function_t *g = bt_wit_interface_function(i, "g");
  ASSERT_TRUE(f->is_async);
  ASSERT_FALSE(g->is_async);
  ASSERT_TRUE(bt_wit_interface_function(i, "[method]res.get")->is_async);
  ASSERT_TRUE(bt_wit_interface_function(i, "[static]res.mk")->is_async);
  const bt_wit_type_t *m = f->params[0].type;
  ASSERT_EQ(m->kind, BT_WIT_MAP);
  ASSERT_TRUE(m->key == bt_wit_prim(BT_WIT_STRING));
  ASSERT_EQ(m->target->kind, BT_WIT_LIST);
  /* interned: the alias targets the same anonymous map */
  ASSERT_TRUE(bt_wit_interface_type(i, "m")->target == m);
  ASSERT_EQ(f->params[1].type->kind, BT_WIT_STREAM);
  ASSERT_TRUE(f->params[1].type->target == bt_wit_prim(BT_WIT_U8));
  ASSERT_EQ(f->params[2].type->kind, BT_WIT_FUTURE);
  ASSERT_NULL(f->params[2].type->target);
  ASSERT_TRUE(f->params[3].type == bt_wit_prim(BT_WIT_ERROR_CONTEXT));
  ASSERT_STREQ(bt_wit_kind_name(BT_WIT_ERROR_CONTEXT), "error-context");
  const bt_wit_type_t *empty = bt_wit_interface_type(i, "empty");
  ASSERT_EQ(empty->kind, BT_WIT_RECORD);
  ASSERT_EQ(empty->count, 0);
  /* the run-time support query names the first unsupported part */
  char buf[64];
  ASSERT_TRUE(bt_wit_function_unsupported(f) == m);
  ASSERT_STREQ(bt_wit_type_text(m, buf, sizeof buf), "map<string, list<u8>>");
  ASSERT_TRUE(bt_wit_function_unsupported(g) == empty);
  ASSERT_TRUE(bt_wit_type_unsupported(g->params[1].type)->kind == BT_WIT_MAP);
  ASSERT_STREQ(bt_wit_type_text(bt_wit_type_unsupported(g->params[1].type), buf, sizeof buf),
               "map<u32, bool>");
  ASSERT_NULL(bt_wit_type_unsupported(g->result));
  ASSERT_STREQ(bt_wit_type_text(f->result, buf, sizeof buf), "future<m>");
  ASSERT_STREQ(bt_wit_type_text(f->params[2].type, buf, sizeof buf), "future");
  ASSERT_STREQ(bt_wit_type_text(m, buf, 10), "map<st...");
  char *text = print_str(r, NULL);
  ASSERT_CONTAINS(text, "  record empty {\n  }\n");
  ASSERT_CONTAINS(text, "get: async func() -> stream;");
  ASSERT_CONTAINS(text, "mk: static async func() -> res;");
  ASSERT_CONTAINS(text, "f: async func(a: map<string, list<u8>>, b: stream<u8>, c: future, "
                        "d: error-context) -> future<m>;");
  free(text);
  bt_wit_free(r);
}

TEST(named_aggregates) {
  bt_wit_resolve_t *r = parse_ok(
      "package a:b;\n"
      "interface i {\n"
      "  record point { /// the x\n x: f64, y: f64, }\n"
      "  variant shape { none, circle(f64), poly(list<point>) }\n"
      "  enum color { red, green }\n"
      "  flags perms { read, write, exec }\n"
      "  type alias = point;\n"
      "  type alias2 = alias;\n"
      "}\n");
  ASSERT_NOT_NULL(r);
  const bt_wit_interface_t *i = iface_named(r->main, "i");
  ASSERT_EQ(i->type_count, 6);
  bt_wit_type_t *point = bt_wit_interface_type(i, "point");
  ASSERT_EQ(point->kind, BT_WIT_RECORD);
  ASSERT_EQ(point->owner_kind, BT_WIT_OWNER_INTERFACE);
  ASSERT_TRUE(point->interface == i);
  ASSERT_EQ(point->count, 2);
  ASSERT_STREQ(point->fields[0].name, "x");
  ASSERT_STREQ(point->fields[0].docs, "the x");
  ASSERT_TRUE(point->fields[1].type == bt_wit_prim(BT_WIT_F64));
  bt_wit_type_t *shape = bt_wit_interface_type(i, "shape");
  ASSERT_EQ(shape->kind, BT_WIT_VARIANT);
  ASSERT_EQ(shape->count, 3);
  ASSERT_NULL(shape->fields[0].type);
  ASSERT_EQ(shape->fields[2].type->kind, BT_WIT_LIST);
  ASSERT_TRUE(shape->fields[2].type->target == point);
  bt_wit_type_t *color = bt_wit_interface_type(i, "color");
  ASSERT_EQ(color->kind, BT_WIT_ENUM);
  ASSERT_STREQ(color->fields[1].name, "green");
  bt_wit_type_t *perms = bt_wit_interface_type(i, "perms");
  ASSERT_EQ(perms->kind, BT_WIT_FLAGS);
  ASSERT_EQ(perms->count, 3);
  bt_wit_type_t *alias2 = bt_wit_interface_type(i, "alias2");
  ASSERT_EQ(alias2->kind, BT_WIT_ALIAS);
  ASSERT_EQ(alias2->target->kind, BT_WIT_ALIAS);
  ASSERT_TRUE(bt_wit_type_unalias(alias2) == point);
  ASSERT_EQ(point->loc.line, 3);
  ASSERT_EQ(point->loc.col, 10);
  ASSERT_STREQ(point->loc.file, "test.wit");
  bt_wit_free(r);
}

TEST(resources_and_handles) {
  bt_wit_resolve_t *r = parse_ok(
      "package a:b;\n"
      "interface blobs {\n"
      "  resource blob {\n"
      "    constructor(init: list<u8>);\n"
      "    read: func(n: u32) -> list<u8>;\n"
      "    merge: static func(a: borrow<blob>, b: blob) -> blob;\n"
      "  }\n"
      "  resource fallible { constructor() -> result<fallible, string>; }\n"
      "  type owned = own<blob>;\n"
      "  type same = blob;\n"
      "  take: func(a: own<blob>, b: same, c: owned) -> borrow-free;\n"
      "  type borrow-free = option<blob>;\n"
      "}\n"
      "interface users {\n"
      "  use blobs.{blob as b};\n"
      "  f: func(x: b, y: borrow<b>);\n"
      "}\n");
  ASSERT_NOT_NULL(r);
  const bt_wit_interface_t *bl = iface_named(r->main, "blobs");
  bt_wit_type_t *blob = bt_wit_interface_type(bl, "blob");
  ASSERT_EQ(blob->kind, BT_WIT_RESOURCE);
  bt_wit_function_t *ctor = bt_wit_interface_function(bl, "[constructor]blob");
  ASSERT_NOT_NULL(ctor);
  ASSERT_EQ(ctor->kind, BT_WIT_FUNC_CONSTRUCTOR);
  ASSERT_STREQ(ctor->item_name, "blob");
  ASSERT_TRUE(ctor->resource == blob);
  ASSERT_EQ(ctor->result->kind, BT_WIT_OWN);
  ASSERT_TRUE(ctor->result->resource == blob);
  bt_wit_function_t *read = bt_wit_interface_function(bl, "[method]blob.read");
  ASSERT_EQ(read->kind, BT_WIT_FUNC_METHOD);
  ASSERT_STREQ(read->item_name, "read");
  ASSERT_EQ(read->param_count, 2);
  ASSERT_STREQ(read->params[0].name, "self");
  ASSERT_EQ(read->params[0].type->kind, BT_WIT_BORROW);
  ASSERT_TRUE(read->params[0].type->resource == blob);
  bt_wit_function_t *merge = bt_wit_interface_function(bl, "[static]blob.merge");
  ASSERT_EQ(merge->kind, BT_WIT_FUNC_STATIC);
  ASSERT_EQ(merge->param_count, 2);
  ASSERT_TRUE(merge->params[0].type == read->params[0].type);
  ASSERT_EQ(merge->params[1].type->kind, BT_WIT_OWN);
  ASSERT_TRUE(merge->params[1].type == ctor->result);
  bt_wit_function_t *fal = bt_wit_interface_function(bl, "[constructor]fallible");
  ASSERT_EQ(fal->result->kind, BT_WIT_RESULT);
  ASSERT_EQ(fal->result->ok->kind, BT_WIT_OWN);
  bt_wit_type_t *owned = bt_wit_interface_type(bl, "owned");
  ASSERT_EQ(owned->kind, BT_WIT_ALIAS);
  ASSERT_EQ(owned->target->kind, BT_WIT_OWN);
  bt_wit_type_t *same = bt_wit_interface_type(bl, "same");
  ASSERT_TRUE(same->target == blob);
  bt_wit_function_t *take = bt_wit_interface_function(bl, "take");
  ASSERT_TRUE(take->params[0].type == ctor->result); /* own<blob> == blob */
  ASSERT_EQ(take->params[1].type->kind, BT_WIT_OWN);  /* same is a resource alias */
  ASSERT_TRUE(take->params[1].type->target == same);
  ASSERT_TRUE(take->params[1].type->resource == blob);
  ASSERT_TRUE(take->params[2].type == owned);          /* a named own<> stays named */
  const bt_wit_interface_t *us = iface_named(r->main, "users");
  bt_wit_type_t *b = bt_wit_interface_type(us, "b");
  ASSERT_EQ(b->kind, BT_WIT_ALIAS);
  ASSERT_TRUE(b->target == blob);
  bt_wit_function_t *f = bt_wit_interface_function(us, "f");
  ASSERT_EQ(f->params[0].type->kind, BT_WIT_OWN);
  ASSERT_TRUE(f->params[0].type->target == b);
  ASSERT_TRUE(f->params[0].type->resource == blob);
  ASSERT_EQ(f->params[1].type->kind, BT_WIT_BORROW);
  ASSERT_TRUE(f->params[1].type->resource == blob);
  bt_wit_free(r);
}

TEST(worlds_are_elaborated) {
  bt_wit_resolve_t *r = parse_ok(
      "package a:b@1.0.0;\n"
      "interface base { type t = u32; }\n"
      "interface mid { use base.{t}; f: func() -> t; }\n"
      "interface top { use mid.{t}; g: func(x: t); }\n"
      "world w {\n"
      "  export top;\n"
      "  export run: func();\n"
      "  import log: func(m: string);\n"
      "  use base.{t as bt};\n"
      "  import env: interface { get: func() -> bt2; type bt2 = u8; }\n"
      "}\n"
      "world u { include w with { log as log2 } import log: func(); }\n");
  ASSERT_NOT_NULL(r);
  const bt_wit_world_t *w = world_named(r, "w");
  ASSERT_NOT_NULL(w);
  ASSERT_TRUE(w == world_named(r, "a:b/w@1.0.0"));
  ASSERT_TRUE(w == world_named(r, "a:b/w"));
  ASSERT_TRUE(w == world_named(r, "%w"));
  /* imports: interfaces first (env, then base and mid pulled in by the use
   * and by the export of top), then types, then functions */
  ASSERT_EQ(w->import_count, 5);
  ASSERT_EQ(w->imports[0].kind, BT_WIT_ITEM_INTERFACE);
  ASSERT_STREQ(w->imports[0].name, "env");
  ASSERT_FALSE(w->imports[0].by_interface);
  ASSERT_NULL(w->imports[0].interface->name);
  ASSERT_STREQ(w->imports[1].name, "a:b/base@1.0.0");
  ASSERT_TRUE(w->imports[1].by_interface);
  ASSERT_STREQ(w->imports[2].name, "a:b/mid@1.0.0");
  ASSERT_EQ(w->imports[3].kind, BT_WIT_ITEM_TYPE);
  ASSERT_STREQ(w->imports[3].name, "bt");
  ASSERT_EQ(w->imports[3].type->owner_kind, BT_WIT_OWNER_WORLD);
  ASSERT_TRUE(w->imports[3].type->world == w);
  ASSERT_EQ(w->imports[4].kind, BT_WIT_ITEM_FUNCTION);
  ASSERT_EQ(w->export_count, 2);
  ASSERT_STREQ(w->exports[0].name, "run");
  ASSERT_STREQ(w->exports[1].name, "a:b/top@1.0.0");
  ASSERT_NOT_NULL(bt_wit_world_import(w, "log"));
  ASSERT_NULL(bt_wit_world_import(w, "run"));
  ASSERT_NOT_NULL(bt_wit_world_export(w, "run"));
  const bt_wit_world_t *u = world_named(r, "u");
  ASSERT_NOT_NULL(bt_wit_world_import(u, "log"));
  const bt_wit_world_item_t *log2 = bt_wit_world_import(u, "log2");
  ASSERT_NOT_NULL(log2);
  ASSERT_STREQ(log2->function->name, "log2");
  /* the included world's type was copied into u */
  const bt_wit_world_item_t *bt = bt_wit_world_import(u, "bt");
  ASSERT_NOT_NULL(bt);
  ASSERT_TRUE(bt->type->world == u);
  ASSERT_TRUE(bt->type->target == w->imports[3].type->target);
  const bt_wit_world_t *none = NULL;
  baton_error_t *e = bt_wit_find_world(r, NULL, &none);
  ASSERT_NOT_NULL(e);
  ASSERT_CONTAINS(baton_error_message(e), "several worlds (w, u)");
  baton_error_delete(e);
  e = bt_wit_find_world(r, "nope", &none);
  ASSERT_EQ(baton_error_code(e), BATON_ENOT_FOUND);
  baton_error_delete(e);
  e = bt_wit_find_world(r, "x:y/w", &none);
  ASSERT_EQ(baton_error_code(e), BATON_ENOT_FOUND);
  baton_error_delete(e);
  bt_wit_free(r);
}

TEST(docs_and_gates) {
  bt_wit_resolve_t *r = parse_ok(
      "/// Package docs.\n"
      "package a:b@1.2.0-rc.1+meta.5;\n"
      "/**\n"
      " * Block\n"
      " *   indented\n"
      " */\n"
      "// plain comments are not docs\n"
      "@since(version = 1.0.0)\n"
      "interface i {\n"
      "  ///   first\n"
      "  ///\n"
      "  ///   second\n"
      "  @unstable(feature = shiny)\n"
      "  @deprecated(version = 1.1.0)\n"
      "  f: func();\n"
      "  @since(version = 1.2.0-rc.1)\n"
      "  g: func();\n"
      "}\n");
  ASSERT_NOT_NULL(r);
  const bt_wit_package_t *p = r->main;
  ASSERT_STREQ(p->docs, "Package docs.");
  ASSERT_TRUE(p->has_version);
  ASSERT_EQ(p->version.major, 1);
  ASSERT_EQ(p->version.minor, 2);
  ASSERT_EQ(p->version.patch, 0);
  ASSERT_STREQ(p->version.pre, "rc.1");
  ASSERT_STREQ(p->version.build, "meta.5");
  ASSERT_STREQ(p->version.text, "1.2.0-rc.1+meta.5");
  const bt_wit_interface_t *i = iface_named(p, "i");
  /* Like wasm-tools, a block comment keeps its inner lines verbatim. */
  ASSERT_STREQ(i->docs, "\n * Block\n *   indented");
  ASSERT_EQ(i->stability.kind, BT_WIT_STABILITY_STABLE);
  ASSERT_STREQ(i->stability.since, "1.0.0");
  /* f is gated behind a feature that is off by default */
  ASSERT_NULL(bt_wit_interface_function(i, "f"));
  ASSERT_NOT_NULL(bt_wit_interface_function(i, "g"));
  bt_wit_free(r);

  const char *feats[] = {"shiny"};
  bt_wit_options_t opts = {feats, 1, false};
  const char *text =
      "package a:b@1.0.0;\n"
      "interface i {\n"
      "  ///   first\n"
      "  ///\n"
      "  ///   second\n"
      "  @unstable(feature = shiny)\n"
      "  @deprecated(version = 1.0.0)\n"
      "  f: func();\n"
      "}\n";
  r = NULL;
  ASSERT_OK(bt_wit_parse_string_opts("t.wit", text, strlen(text), &opts, &r));
  bt_wit_function_t *f = bt_wit_interface_function(iface_named(r->main, "i"), "f");
  ASSERT_NOT_NULL(f);
  ASSERT_STREQ(f->docs, "first\n\nsecond");
  ASSERT_EQ(f->stability.kind, BT_WIT_STABILITY_UNSTABLE);
  ASSERT_STREQ(f->stability.feature, "shiny");
  ASSERT_STREQ(f->stability.deprecated, "1.0.0");
  char *printed = print_str(r, NULL);
  ASSERT_CONTAINS(printed, "  /// first\n  ///\n  /// second\n  @unstable(feature = shiny)\n"
                           "  @deprecated(version = 1.0.0)\n  f: func();\n");
  free(printed);
  bt_wit_free(r);
}

TEST(printer_layout) {
  bt_wit_resolve_t *r = parse_ok(
      "package x:y;\n"
      "interface types { record r { a: u32 } type t = string; resource res { m: func(); } }\n"
      "interface uses {\n"
      "  use types.{r}; use types.{t as text};\n"
      "  type local = list<r>;\n"
      "  %record: func(%type: r) -> result<text, local>;\n"
      "  other: func(x: borrow<res2>);\n"
      "  use types.{res as res2};\n"
      "}\n"
      "world w { import uses; export f: func(); }\n"
      "package d:e@0.1.0 { interface z { f: func(); } }\n");
  ASSERT_NOT_NULL(r);
  char *printed = print_str(r, NULL);
  ASSERT_NOT_NULL(printed);
  ASSERT_STREQ(printed,
               "package x:y;\n"
               "\n"
               "interface types {\n"
               "  record r {\n"
               "    a: u32,\n"
               "  }\n"
               "\n"
               "  type t = string;\n"
               "\n"
               "  resource res {\n"
               "    m: func();\n"
               "  }\n"
               "}\n"
               "\n"
               "interface uses {\n"
               "  use types.{r, t as text, res as res2};\n"
               "\n"
               "  type local = list<r>;\n"
               "\n"
               "  %record: func(%type: r) -> result<text, local>;\n"
               "\n"
               "  other: func(x: borrow<res2>);\n"
               "}\n"
               "\n"
               "world w {\n"
               "  import types;\n"
               "  import uses;\n"
               "\n"
               "  export f: func();\n"
               "}\n"
               "package d:e@0.1.0 {\n"
               "  interface z {\n"
               "    f: func();\n"
               "  }\n"
               "}\n");
  free(printed);
  printed = print_str(r, world_named(r, "w"));
  ASSERT_STREQ(printed,
               "package root:component;\n"
               "\n"
               "world root {\n"
               "  import x:y/types;\n"
               "  import x:y/uses;\n"
               "\n"
               "  export f: func();\n"
               "}\n");
  free(printed);
  bt_wit_free(r);
}

/* Asserts that `text` fails with `code` and exactly `message`. */
static void expect_error(const char *text, baton_errno_t code, const char *message) {
  baton_errno_t got = BATON_OK;
  char *m = parse_err(text, &got);
  if (!m) T_FAIL_("expected an error for:\n%s", text);
  if (strcmp(m, message) != 0) {
    fprintf(stderr, "got:\n%s\nwant:\n%s\n", m, message);
    free(m);
    T_FAIL_("error message mismatch");
  }
  free(m);
  ASSERT_EQ(got, code);
}

TEST(error_positions) {
  expect_error("package shop:orders;\n"
               "\n"
               "interface orders {\n"
               "  type price = u64;\n"
               "  total: func() -> prise;\n"
               "}\n",
               BATON_ESYNTAX,
               "test.wit:5:20: error: undefined type `prise`\n"
               "    5 |   total: func() -> prise;\n"
               "      |                    ^^^^^");
  /* Tabs are kept in the caret line so the carets stay aligned. */
  expect_error("package a:b;\ninterface i {\n\tf: func(x:\tnope);\n}\n", BATON_ESYNTAX,
               "test.wit:3:13: error: undefined type `nope`\n"
               "    3 | \tf: func(x:\tnope);\n"
               "      | \t          \t^^^^");
  /* Columns count characters, not bytes. */
  expect_error("package a:b;\n/// héllo wörld\ninterface i { f: func() -> ünknown; }\n",
               BATON_ESYNTAX,
               "test.wit:3:28: error: invalid identifier `ünknown`: only ASCII letters, digits "
               "and `-` are allowed\n"
               "    3 | interface i { f: func() -> ünknown; }\n"
               "      |                            ^^^^^^^");
  expect_error("package a:b;\ninterface i {\n  f: func()\n}\n", BATON_ESYNTAX,
               "test.wit:4:1: error: expected `;`, found `}`\n"
               "    4 | }\n"
               "      | ^");
  expect_error("package a:b;\ninterface i {", BATON_ESYNTAX,
               "test.wit:2:14: error: expected a type definition, a function or `use`, found end "
               "of file\n"
               "    2 | interface i {\n"
               "      |              ^");
  expect_error("package a:b;\r\ninterface i {\r\n  type t = t;\r\n}\r\n", BATON_ESYNTAX,
               "test.wit:3:12: error: type `t` refers to itself (types cannot be recursive)\n"
               "    3 |   type t = t;\n"
               "      |            ^");
  expect_error("package a:b;\ninterface i { f: func(m: map<f32, u8>); }\n", BATON_ESYNTAX,
               "test.wit:2:26: error: invalid map key type: map keys must be bool, u8, u16, u32, "
               "u64, s8, s16, s32, s64, char, or string\n"
               "    2 | interface i { f: func(m: map<f32, u8>); }\n"
               "      |                          ^^^");
  expect_error("package a:b;\nworld w { import x: func(); import x: func(); }\n", BATON_ESYNTAX,
               "test.wit:2:36: error: import `x` conflicts with an earlier function of the same "
               "name\n"
               "    2 | world w { import x: func(); import x: func(); }\n"
               "      |                                    ^");
}

TEST(error_kinds) {
  static const struct {
    const char *text, *expect;
  } cases[] = {
      {"package a:b; interface i { type t = list<t2>; type t2 = option<t>; }",
       "refers to itself"},
      {"package a:b; interface i { f: func(); f: func(); }", "name `f` is defined more than once"},
      {"package a:b; interface i { type %f = u32; f: func(); }", "name `f` is defined more than once"},
      {"package a:b; interface i { use j.{x}; }", "undefined interface `j`"},
      {"package a:b; interface i {} interface j { use i.{x}; }", "interface `a:b/i` has no type named `x`"},
      {"package a:b; world w { import i; }", "undefined interface `i`"},
      {"package a:b; world w { include w; }", "depends on itself"},
      {"package a:b; interface i { f: func(x: stream<u8); }", "expected `>`, found `)`"},
      {"package a:b; interface i { f: func(x: map<string, u8, u8>); }", "expected `>`, found `,`"},
      {"package a:b; interface i { f: async(); }", "expected keyword `func`, found `(`"},
      {"package a:b; interface i { resource r { async constructor(); } }",
       "expected `constructor` or a method name, found keyword `async`"},
      {"package a:b; interface i { f: func(x: list<u8, 4>); }", "unsupported: fixed-length lists"},
      {"package a:b:c;", "unsupported: nested namespaces"},
      {"package a:b; interface i { type t = u32; type u = own<t>; }", "`own<t>` needs a resource"},
      {"package a:b@1.0.0; interface i { @since(version = 1.0.0) @unstable(feature = x) f: func(); }",
       "both `@since` and `@unstable`"},
      {"package a:b@1.0.0; @unstable(feature = x) interface i { type t = u32; }",
       "type `t` is not gated, but its interface is excluded"},
      {"package a:b; world w { import a: func(); export a: func(); import A: func(); }",
       "names are case-insensitive"},
      {"package a:b; interface i { variant v {} }", "variant `v` has no cases"},
      {"package a:b; interface i { flags f {} }", "flags `f` must have at least one flag"},
      {"", "no `package` declaration found"},
      {"package a:b; package c:d;", "expected `{`, found `;`"},
      {"\xff", "not valid UTF-8"},
      {"package a:b; interface i { \xe2\x80\xae }", "bidirectional override U+202E"},
      {"package a:b; interface i { f: func() -> $; }", "unexpected character `$`"},
      {"package a:b@1.0.0-01;", "leading zeros"},
      {"package a:b@1.0.0-; ", "empty pre-release identifier"},
      {"package a:b@99999999999999999999.0.0;", "version number is too large"},
      {"package a:b; interface i { f: func(x: %); }", "expected an identifier after `%`"},
      {"package a:b; world w { include x:y/z; }", "unknown package `x:y`"},
      {"package a:b; world w { import i: interface { f: func(); } import i: func(); }",
       "conflicts with an earlier interface"},
  };
  for (size_t i = 0; i < BT_ARRAY_LEN(cases); i++) {
    char *m = parse_err(cases[i].text, NULL);
    if (!m) T_FAIL_("no error for case %zu: %s", i, cases[i].text);
    if (!strstr(m, cases[i].expect)) {
      fprintf(stderr, "case %zu: %s\n", i, m);
      free(m);
      T_FAIL_("message lacks \"%s\"", cases[i].expect);
    }
    free(m);
  }
}

TEST(deep_nesting_is_rejected) {
  size_t depth = 5000;
  char *text = malloc(depth * 6 + 100);
  strcpy(text, "package a:b; interface i { type t = ");
  for (size_t i = 0; i < depth; i++) strcat(text, "list<");
  strcat(text, "u8");
  for (size_t i = 0; i < depth; i++) strcat(text, ">");
  strcat(text, "; }");
  char *m = parse_err(text, NULL);
  free(text);
  ASSERT_NOT_NULL(m);
  ASSERT_CONTAINS(m, "nested too deeply");
  free(m);
}

TEST(bad_arguments) {
  bt_wit_resolve_t *r = (bt_wit_resolve_t *)1;
  baton_error_t *e = bt_wit_parse_path("/nonexistent/dir/x.wit", &r);
  ASSERT_EQ(baton_error_code(e), BATON_ENOT_FOUND);
  ASSERT_NULL(r);
  baton_error_delete(e);
  e = bt_wit_parse_string("x", NULL, &r);
  ASSERT_EQ(baton_error_code(e), BATON_EINVALID_ARGUMENT);
  baton_error_delete(e);
  bt_wit_free(NULL);
  ASSERT_NULL(bt_wit_type_unalias(NULL));
}

/* Parses (and prints) a non-trivial input with every allocation failing in
 * turn: each attempt must either succeed or fail with NO_MEMORY, and the
 * sanitizer checks that nothing leaks. */
TEST(allocation_failures) {
  const char *text =
      "/// docs\n"
      "package a:b@1.0.0;\n"
      "interface base { resource r { constructor(); m: func() -> list<u8>; } type t = u32; }\n"
      "interface mid { use base.{r, t}; record rec { a: option<t>, b: tuple<t, string> } "
      "f: func(x: borrow<r>) -> result<rec, string>; }\n"
      "world w { import mid; export base; use mid.{rec}; export g: func(r: rec); }\n"
      "world v { include w with { g as h } }\n"
      "package c:d { interface z { variant v { a, b(u8) } } }\n";
  long n;
  bool ok = false;
  bt_wit_set_arena_chunk(64); /* one allocation every few objects */
  for (n = 0; n < 100000 && !ok; n++) {
    bt_alloc_fail_after(n);
    bt_wit_resolve_t *r = NULL;
    baton_error_t *e = bt_wit_parse_string("t.wit", text, &r);
    if (e) {
      bt_alloc_fail_after(-1);
      ASSERT_EQ(baton_error_code(e), BATON_ENO_MEMORY);
      ASSERT_NULL(r);
      baton_error_delete(e);
      continue;
    }
    char *printed = print_str(r, NULL);
    bt_alloc_fail_after(-1);
    free(printed);
    bt_wit_free(r);
    ok = printed != NULL;
  }
  bt_alloc_fail_after(-1);
  bt_wit_set_arena_chunk(0);
  fprintf(stderr, "   failure injected at each of %ld allocations\n", n - 1);
  ASSERT_TRUE(ok);
  ASSERT_TRUE(n > 200);
  /* Errors raised while out of memory are still reported cleanly. */
  for (long k = 0; k < 40; k++) {
    bt_alloc_fail_after(k);
    bt_wit_resolve_t *r = NULL;
    baton_error_t *e = bt_wit_parse_string("t.wit", "package a:b; interface i { type t = x; }", &r);
    bt_alloc_fail_after(-1);
    ASSERT_NOT_NULL(e);
    ASSERT_TRUE(baton_error_code(e) == BATON_ENO_MEMORY || baton_error_code(e) == BATON_ESYNTAX);
    baton_error_delete(e);
  }
}

/* A chain of tuples doubling at each step is a DAG of exponential tree
 * size; resolution and printing must stay linear in the source. */
TEST(type_dags_stay_linear) {
  char text[8192];
  size_t n = (size_t)snprintf(text, sizeof text, "package a:b; interface i { type t0 = u8;");
  for (int k = 1; k <= 60; k++)
    n += (size_t)snprintf(text + n, sizeof text - n, " type t%d = tuple<t%d, t%d, list<t%d>>;", k,
                          k - 1, k - 1, k - 1);
  snprintf(text + n, sizeof text - n, " f: func(x: t60) -> t60; }");
  bt_wit_resolve_t *r = parse_ok(text);
  ASSERT_NOT_NULL(r);
  char *printed = print_str(r, NULL);
  ASSERT_NOT_NULL(printed);
  ASSERT_CONTAINS(printed, "type t60 = tuple<t59, t59, list<t59>>;");
  free(printed);
  bt_wit_free(r);
}

/* Writes `text` to dir/name, creating dir (whose parent must exist). */
static void write_file(const char *dir, const char *name, const char *text) {
  char path[4096];
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) abort();
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) abort();
  fputs(text, f);
  fclose(f);
}

TEST(directories_and_deps) {
  char tmpl[] = "/tmp/bt_wit_XXXXXX";
  char *root = mkdtemp(tmpl);
  ASSERT_NOT_NULL(root);
  char dir[4096], deps[4096], sub[4096];
  snprintf(dir, sizeof dir, "%s/wit", root);
  snprintf(deps, sizeof deps, "%s/wit/deps", root);
  snprintf(sub, sizeof sub, "%s/wit/deps/dep-b", root);
  write_file(dir, "z.wit", "world w { import a:dep/i; import b:dep/j@1.0.0; }\n");
  write_file(dir, "a.wit", "/// main\npackage main:pkg;\ninterface local {}\n");
  write_file(dir, "notes.txt", "not WIT");
  write_file(deps, "dep-a.wit", "package a:dep;\ninterface i { use b:dep/j@1.0.0.{t}; f: func(x: t); }\n");
  write_file(sub, "one.wit", "package b:dep@1.0.0;\ninterface j { type t = u8; }\n");
  write_file(sub, "two.wit", "interface k { g: func(); }\n");
  bt_wit_resolve_t *r = NULL;
  ASSERT_OK(bt_wit_parse_path(dir, &r));
  ASSERT_EQ(r->package_count, 3);
  ASSERT_STREQ(r->packages[0]->id, "b:dep@1.0.0");
  ASSERT_STREQ(r->packages[1]->id, "a:dep");
  ASSERT_STREQ(r->packages[2]->id, "main:pkg");
  ASSERT_TRUE(r->main == r->packages[2]);
  ASSERT_STREQ(r->main->docs, "main");
  ASSERT_EQ(r->packages[0]->interface_count, 2);
  const bt_wit_world_t *w = world_named(r, "w");
  ASSERT_NOT_NULL(w);
  ASSERT_EQ(w->import_count, 2);
  ASSERT_STREQ(w->imports[0].name, "b:dep/j@1.0.0");
  ASSERT_STREQ(w->imports[1].name, "a:dep/i");
  ASSERT_TRUE(world_named(r, "main:pkg/w") == w);
  char *printed = print_str(r, NULL);
  ASSERT_CONTAINS(printed, "/// main\npackage main:pkg;\n\ninterface local {\n}\n\nworld w {\n");
  ASSERT_CONTAINS(printed, "}\npackage b:dep@1.0.0 {\n  interface j {\n    type t = u8;\n  }\n"
                           "  interface k {\n    g: func();\n  }\n}\n\n\npackage a:dep {\n");
  free(printed);
  bt_wit_free(r);

  /* A .wasm among the deps is decoded as a binary WIT package (see
   * test_wit_binary.sh); a broken one is reported naming the file. */
  write_file(deps, "bin.wasm", "\0asm");
  baton_error_t *e = bt_wit_parse_path(dir, &r);
  ASSERT_NOT_NULL(e);
  ASSERT_NULL(r);
  ASSERT_CONTAINS(baton_error_message(e), "bin.wasm: cannot decode the WIT package");
  baton_error_delete(e);
  char binpath[4300];
  snprintf(binpath, sizeof binpath, "%s/bin.wasm", deps);
  ASSERT_EQ(unlink(binpath), 0);
  /* The text form is refused naming the file and the conversion. */
  write_file(deps, "text.wat", "(component)");
  e = bt_wit_parse_path(dir, &r);
  ASSERT_NOT_NULL(e);
  ASSERT_EQ(baton_error_code(e), BATON_EUNSUPPORTED);
  ASSERT_CONTAINS(baton_error_message(e), "text.wat: unsupported: WIT packages in WebAssembly text "
                                          "form; convert it with `wasm-tools parse ");
  baton_error_delete(e);

  /* A directory without WIT files. */
  char empty[4200];
  snprintf(empty, sizeof empty, "%s/empty", root);
  write_file(empty, "readme.md", "nothing");
  e = bt_wit_parse_path(empty, &r);
  ASSERT_EQ(baton_error_code(e), BATON_ESYNTAX);
  ASSERT_CONTAINS(baton_error_message(e), "no WIT files");
  baton_error_delete(e);

  char cmd[4300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  ASSERT_EQ(system(cmd), 0);
}

/* ---- the corpus ---- */

/* Finds tests/wit/corpus: under $BATON_SOURCE_DIR (as ctest sets it), else
 * next to this source file (__FILE__ is absolute in CMake builds), else
 * relative to the working directory. */
static const char *corpus_dir(void) {
  static char buf[4096];
  struct stat st;
  const char *src = getenv("BATON_SOURCE_DIR");
  if (src) {
    snprintf(buf, sizeof buf, "%s/tests/wit/corpus", src);
    return buf;
  }
  const char *slash = strrchr(__FILE__, '/');
  if (slash) {
    snprintf(buf, sizeof buf, "%.*s/corpus", (int)(slash - __FILE__), __FILE__);
    if (stat(buf, &st) == 0) return buf;
  }
  return "tests/wit/corpus";
}

/* Lists a directory's entries, sorted; returns the count. */
static size_t list_sorted(const char *dir, char ***out) {
  DIR *d = opendir(dir);
  char **names = NULL;
  size_t n = 0;
  if (!d) {
    *out = NULL;
    return 0;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    names = realloc(names, (n + 1) * sizeof *names);
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char *t = names[j];
      names[j] = names[j - 1];
      names[j - 1] = t;
    }
  *out = names;
  return n;
}

static void free_list(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* Splits printed output into package blocks (each starting at a line that
 * begins with `package ` or a doc comment preceding it) and sorts them, so
 * that outputs differing only in package order compare equal. */
static char *sorted_blocks(const char *text) {
  char **blocks = NULL;
  size_t n = 0;
  const char *start = text, *p = text;
  while (*p) {
    const char *line = p;
    const char *nl = strchr(p, '\n');
    p = nl ? nl + 1 : p + strlen(p);
    if (line != text && strncmp(line, "package ", 8) == 0) {
      blocks = realloc(blocks, (n + 1) * sizeof *blocks);
      blocks[n++] = strndup(start, (size_t)(line - start));
      start = line;
    }
  }
  blocks = realloc(blocks, (n + 1) * sizeof *blocks);
  blocks[n++] = strdup(start);
  for (size_t i = 0; i < n; i++) {
    /* trim trailing newlines so block separators do not matter */
    size_t l = strlen(blocks[i]);
    while (l && blocks[i][l - 1] == '\n') blocks[i][--l] = 0;
  }
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp(blocks[j - 1], blocks[j]) > 0; j--) {
      char *t = blocks[j];
      blocks[j] = blocks[j - 1];
      blocks[j - 1] = t;
    }
  size_t total = 1;
  for (size_t i = 0; i < n; i++) total += strlen(blocks[i]) + 2;
  char *out = malloc(total);
  out[0] = 0;
  for (size_t i = 0; i < n; i++) {
    strcat(out, blocks[i]);
    strcat(out, "\n\n");
    free(blocks[i]);
  }
  free(blocks);
  return out;
}

/* Parses every entry of corpus/<sub>, prints it, reparses the printing and
 * checks that printing is idempotent and every world prints the same.
 * `min` is the least number of entries expected; `worlds` requires every
 * entry to define a world. */
static void corpus_round_trips(const char *sub, size_t min, bool worlds) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/%s", corpus_dir(), sub);
  char **names;
  size_t n = list_sorted(dir, &names);
  ASSERT_TRUE(n >= min);
  for (size_t i = 0; i < n; i++) {
    char path[8400];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    bt_wit_resolve_t *r = NULL;
    baton_error_t *e = bt_wit_parse_path(path, &r);
    if (e) {
      fprintf(stderr, "%s\n", baton_error_message(e));
      baton_error_delete(e);
      T_FAIL_("valid corpus entry %s fails to parse", names[i]);
    }
    if (worlds) ASSERT_TRUE(r->main->world_count > 0);
    char *once = print_str(r, NULL);
    ASSERT_NOT_NULL(once);
    bt_wit_resolve_t *r2 = NULL;
    e = bt_wit_parse_string("printed.wit", once, &r2);
    if (e) {
      fprintf(stderr, "%s\n%s\n", once, baton_error_message(e));
      baton_error_delete(e);
      T_FAIL_("printed form of %s does not parse", names[i]);
    }
    char *twice = print_str(r2, NULL);
    char *a = sorted_blocks(once), *b = sorted_blocks(twice);
    if (strcmp(a, b) != 0) {
      fprintf(stderr, "first:\n%s\nsecond:\n%s\n", a, b);
      T_FAIL_("printing %s is not idempotent", names[i]);
    }
    free(a);
    free(b);
    /* every world prints the same from the original and the reprint */
    for (size_t k = 0; k < r->main->world_count; k++) {
      const bt_wit_world_t *w2 = NULL;
      char spec[512];
      snprintf(spec, sizeof spec, "%s", r->main->worlds[k]->name);
      ASSERT_OK(bt_wit_find_world(r2, spec, &w2));
      char *x = print_str(r, r->main->worlds[k]), *y = print_str(r2, w2);
      ASSERT_STREQ(x, y);
      free(x);
      free(y);
    }
    free(once);
    free(twice);
    bt_wit_free(r2);
    bt_wit_free(r);
  }
  free_list(names, n);
}

TEST(corpus_valid_round_trips) { corpus_round_trips("valid", 20, true); }

/* WIT that parses but that no component can encode (records without
 * fields); tests/wit/test_wit_xcheck.sh checks wasm-tools accepts it too. */
TEST(corpus_unencodable_round_trips) { corpus_round_trips("unencodable", 1, false); }

TEST(corpus_invalid_errors) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/invalid", corpus_dir());
  char **names;
  size_t n = list_sorted(dir, &names);
  ASSERT_TRUE(n >= 20);
  for (size_t i = 0; i < n; i++) {
    char path[8400], first[8800];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    struct stat st;
    ASSERT_EQ(stat(path, &st), 0);
    if (S_ISDIR(st.st_mode)) {
      char **files;
      size_t nf = list_sorted(path, &files);
      ASSERT_TRUE(nf > 0);
      snprintf(first, sizeof first, "%s/%s", path, files[0]);
      free_list(files, nf);
    } else {
      snprintf(first, sizeof first, "%s", path);
    }
    size_t len = 0;
    unsigned char *text = t_read_file(first, &len);
    ASSERT_NOT_NULL(text);
    char expect[512] = {0};
    const char *prefix = "// error: ";
    if (len < strlen(prefix) || memcmp(text, prefix, strlen(prefix)) != 0)
      T_FAIL_("%s: first line must be `// error: ...`", names[i]);
    size_t k = 0;
    for (size_t j = strlen(prefix); j < len && text[j] != '\n' && k + 1 < sizeof expect; j++)
      expect[k++] = (char)text[j];
    free(text);
    bt_wit_resolve_t *r = NULL;
    baton_error_t *e = bt_wit_parse_path(path, &r);
    if (!e) {
      bt_wit_free(r);
      T_FAIL_("invalid corpus entry %s parses", names[i]);
    }
    if (!strstr(baton_error_message(e), expect)) {
      fprintf(stderr, "%s\n", baton_error_message(e));
      baton_error_delete(e);
      T_FAIL_("%s: error lacks \"%s\"", names[i], expect);
    }
    /* Every message is positioned and quotes the source with a caret. */
    ASSERT_CONTAINS(baton_error_message(e), ": error: ");
    ASSERT_CONTAINS(baton_error_message(e), " | ");
    ASSERT_CONTAINS(baton_error_message(e), "^");
    baton_error_delete(e);
  }
  free_list(names, n);
}

/* ---- liveness, for comparing with components built by wasm-tools ----
 *
 * `wasm-tools component new` on a dummy module drops imported interfaces
 * that contribute nothing to the component: an imported interface survives
 * only if it has functions, owns a resource (the dummy module imports its
 * destructor) or owns a type that something live refers to. World-level
 * types, imported and exported functions and the imported interfaces'
 * functions are the roots; exported interfaces make live the types they
 * reach in interfaces that are imported. */

typedef struct ptrset {
  const void **items;
  size_t len, cap;
} ptrset;

static bool ps_has(const ptrset *s, const void *p) {
  for (size_t i = 0; i < s->len; i++)
    if (s->items[i] == p) return true;
  return false;
}

static void ps_add(ptrset *s, const void *p) {
  if (ps_has(s, p)) return;
  if (s->len == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 32;
    s->items = realloc(s->items, s->cap * sizeof *s->items);
    if (!s->items) abort();
  }
  s->items[s->len++] = p;
}

static void live_type(ptrset *live, const bt_wit_type_t *t) {
  if (!t || t->kind <= BT_WIT_STRING || ps_has(live, t)) return;
  ps_add(live, t);
  live_type(live, t->target);
  live_type(live, t->key);
  live_type(live, t->resource);
  live_type(live, t->ok);
  live_type(live, t->err);
  for (size_t i = 0; i < t->count; i++) {
    if (t->types) live_type(live, t->types[i]);
    if (t->fields) live_type(live, t->fields[i].type);
  }
}

static void live_func(ptrset *live, const bt_wit_function_t *f) {
  for (size_t i = 0; i < f->param_count; i++) live_type(live, f->params[i].type);
  live_type(live, f->result);
  live_type(live, f->resource);
}

static void live_iface(ptrset *live, const bt_wit_interface_t *iface) {
  for (size_t i = 0; i < iface->type_count; i++) live_type(live, iface->types[i]);
  for (size_t i = 0; i < iface->function_count; i++) live_func(live, iface->functions[i]);
}

static bool exported(const bt_wit_world_t *w, const bt_wit_interface_t *iface) {
  for (size_t i = 0; i < w->export_count; i++)
    if (w->exports[i].kind == BT_WIT_ITEM_INTERFACE && w->exports[i].interface == iface) return true;
  return false;
}

/* Returns a copy of `w` (sharing everything but the import array) without
 * the imports a component built from a dummy module would not have. */
static bt_wit_world_t *live_world(const bt_wit_world_t *w) {
  ptrset live = {0};
  for (size_t i = 0; i < w->import_count; i++) {
    const bt_wit_world_item_t *it = &w->imports[i];
    if (it->kind == BT_WIT_ITEM_TYPE) live_type(&live, it->type);
    if (it->kind == BT_WIT_ITEM_FUNCTION) live_func(&live, it->function);
    if (it->kind == BT_WIT_ITEM_INTERFACE) {
      const bt_wit_interface_t *iface = it->interface;
      for (size_t k = 0; k < iface->function_count; k++) live_func(&live, iface->functions[k]);
      for (size_t k = 0; k < iface->type_count; k++)
        if (iface->types[k]->kind == BT_WIT_RESOURCE) live_type(&live, iface->types[k]);
    }
  }
  for (size_t i = 0; i < w->export_count; i++) {
    const bt_wit_world_item_t *it = &w->exports[i];
    if (it->kind == BT_WIT_ITEM_FUNCTION) {
      live_func(&live, it->function);
      continue;
    }
    ptrset reach = {0};
    live_iface(&reach, it->interface);
    for (size_t k = 0; k < reach.len; k++) {
      const bt_wit_type_t *t = reach.items[k];
      if (t->owner_kind != BT_WIT_OWNER_INTERFACE || t->interface == it->interface ||
          exported(w, t->interface))
        continue;
      live_type(&live, t);
    }
    free(reach.items);
  }
  bt_wit_world_t *copy = malloc(sizeof *copy);
  bt_wit_world_item_t *items = malloc((w->import_count + 1) * sizeof *items);
  if (!copy || !items) abort();
  *copy = *w;
  size_t n = 0;
  for (size_t i = 0; i < w->import_count; i++) {
    const bt_wit_world_item_t *it = &w->imports[i];
    bool keep = true;
    if (it->kind == BT_WIT_ITEM_INTERFACE) {
      const bt_wit_interface_t *iface = it->interface;
      keep = iface->function_count > 0;
      for (size_t k = 0; k < iface->type_count && !keep; k++)
        keep = iface->types[k]->kind == BT_WIT_RESOURCE || ps_has(&live, iface->types[k]);
    }
    if (keep) items[n++] = *it;
  }
  copy->imports = items;
  copy->import_count = n;
  free(live.items);
  return copy;
}

/* ---- command-line modes for the cross-check ---- */

static int tool_main(int argc, char **argv) {
  const char *mode = argv[1];
  bt_wit_options_t opts = {0};
  const char *feats[64];
  char *featbuf = NULL;
  int pos = 2;
  const char *args[4] = {0};
  int nargs = 0;
  for (; pos < argc; pos++) {
    if (strcmp(argv[pos], "--all-features") == 0) {
      opts.all_features = true;
    } else if (strcmp(argv[pos], "--features") == 0 && pos + 1 < argc) {
      featbuf = strdup(argv[++pos]);
      for (char *tok = strtok(featbuf, ","); tok && opts.feature_count < 64; tok = strtok(NULL, ","))
        feats[opts.feature_count++] = tok;
      opts.features = feats;
    } else if (nargs < 4) {
      args[nargs++] = argv[pos];
    }
  }
  if (nargs < 1) {
    fprintf(stderr, "usage: test_wit {print|worlds|check|print-world} PATH [WORLD]\n");
    return 2;
  }
  bt_wit_resolve_t *r = NULL;
  baton_error_t *e = bt_wit_parse_path_opts(args[0], &opts, &r);
  if (e) {
    fprintf(strcmp(mode, "check") == 0 ? stdout : stderr, "%s\n", baton_error_message(e));
    baton_error_delete(e);
    free(featbuf);
    return 1;
  }
  int rc = 0;
  if (strcmp(mode, "print") == 0) {
    e = bt_wit_print(r, stdout);
  } else if (strcmp(mode, "check") == 0) {
    printf("ok\n");
  } else if (strcmp(mode, "worlds") == 0) {
    /* Names that are keywords are printed `%escaped`, as WIT spells them. */
    for (size_t i = 0; i < r->main->world_count; i++) {
      const char *n = r->main->worlds[i]->name;
      bt_wit_resolve_t *probe = NULL;
      char buf[512];
      snprintf(buf, sizeof buf, "package a:b; world %s {}", n);
      baton_error_t *pe = bt_wit_parse_string("probe.wit", buf, &probe);
      printf("%s%s\n", pe ? "%" : "", n);
      baton_error_delete(pe);
      bt_wit_free(probe);
    }
  } else if (strcmp(mode, "print-world") == 0 && nargs >= 2) {
    const bt_wit_world_t *w = NULL;
    e = bt_wit_find_world(r, args[1], &w);
    if (!e) {
      bt_wit_world_t *lw = live_world(w);
      e = bt_wit_print_world(r, lw, stdout);
      free(lw->imports);
      free(lw);
    }
  } else {
    fprintf(stderr, "unknown mode `%s`\n", mode);
    rc = 2;
  }
  if (e) {
    fprintf(stderr, "%s\n", baton_error_message(e));
    baton_error_delete(e);
    rc = 1;
  }
  bt_wit_free(r);
  free(featbuf);
  return rc;
}

int main(int argc, char **argv) {
  if (argc > 1) return tool_main(argc, argv);
  RUN(primitives_are_singletons);
  RUN(anonymous_types_are_interned);
  RUN(named_aggregates);
  RUN(resources_and_handles);
  RUN(worlds_are_elaborated);
  RUN(docs_and_gates);
  RUN(printer_layout);
  RUN(error_positions);
  RUN(error_kinds);
  RUN(deep_nesting_is_rejected);
  RUN(bad_arguments);
  RUN(allocation_failures);
  RUN(type_dags_stay_linear);
  RUN(directories_and_deps);
  RUN(corpus_valid_round_trips);
  RUN(corpus_unencodable_round_trips);
  RUN(corpus_invalid_errors);
  RUN(async_map_model);
  TEST_MAIN_END();
}
