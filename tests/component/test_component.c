/*
 * tests/component/test_component.c: tests of the component reader and the
 * WIT decoder (src/component).
 *
 * Run without arguments it executes the unit tests, which need no node:
 * components built byte by byte around the core module
 * $BATON_GUESTS/component_adder.wasm (lifts with and without options, the
 * index spaces and definitions recorded, decoding its WIT), malformed and
 * invalid binaries with their exact messages (bad magic, version and layer,
 * unknown sections, bad sizes, out-of-range indices, sections in the wrong
 * order, type mismatches), every truncation prefix, nesting and type-size
 * limits, and allocation-failure injection.
 *
 * It is also the driver for test_component.sh, which produces real
 * components with wasm-tools (jco):
 *   test_component parse FILE        parse; print "ok" or the error (exit 1)
 *   test_component wit FILE          decode WIT, print the world
 *   test_component wit-live FILE     the same, dropping the imports a
 *                                    component made from a dummy module
 *                                    would not have (see live_world)
 *   test_component print FILE        decode WIT, print every package
 *   test_component iface-check FILE WIT_PATH
 *                                    each decoded interface must print like
 *                                    the same interface parsed from WIT_PATH
 *   test_component worlds WIT_PATH   list the main package's worlds
 *   test_component stress FILE       every truncation prefix and every
 *                                    allocation failure, for parse and decode
 *   test_component emit DIR          write the hand-built components
 *                                    (adder.wasm, greet.wasm) into DIR
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/component.h"
#include "test.h"
#include "util/common.h"
#include "wit/wit.h"

/* ---- a byte builder for hand-made binaries ---- */

typedef struct buf {
  uint8_t *p;
  size_t n, cap;
} buf;

static void b_raw(buf *b, const void *data, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  memcpy(b->p + b->n, data, n);
  b->n += n;
}

static void b_byte(buf *b, uint8_t v) { b_raw(b, &v, 1); }

static void b_u32(buf *b, uint32_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    b_byte(b, byte);
  } while (v);
}

static void b_str(buf *b, const char *s) {
  b_u32(b, (uint32_t)strlen(s));
  b_raw(b, s, strlen(s));
}

static void b_bytes(buf *b, int n, ...) {
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) b_byte(b, (uint8_t)va_arg(ap, int));
  va_end(ap);
}

static void b_preamble(buf *b) { b_bytes(b, 8, 0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00); }

/* Appends section `id` holding `content`; returns the offset of the
 * content in `b`. Frees the content. */
static size_t b_section(buf *b, uint8_t id, buf *content) {
  b_byte(b, id);
  b_u32(b, (uint32_t)content->n);
  size_t at = b->n;
  b_raw(b, content->p, content->n);
  free(content->p);
  memset(content, 0, sizeof *content);
  return at;
}

/* ---- helpers ---- */

static unsigned char *g_adder;
static size_t g_adder_len;

/* Loads the guest core module, asserting it was built. */
static void need_adder(void) {
  if (g_adder) return;
  g_adder = t_read_file(t_guest("component_adder.wasm"), &g_adder_len);
  if (!g_adder)
    T_FAIL_("cannot read %s (build the guests first; set BATON_GUESTS)", t_guest("component_adder.wasm"));
}

/* The sections of the adder component, each optional so tests can reorder
 * or corrupt them. `lift_param` is the first parameter's value type code,
 * `lift_func` the core function index given to canon lift. */
typedef struct adder_opts {
  uint8_t lift_param;
  uint32_t lift_func;
  bool canon_before_alias;
  size_t *lift_func_at; /* out: offset of the core function index */
} adder_opts;

static buf build_adder(const adder_opts *o) {
  need_adder();
  buf b = {0}, s = {0};
  b_preamble(&b);
  b_raw(&s, g_adder, g_adder_len);
  b_section(&b, 1, &s);
  /* core instance: instantiate module 0 without arguments */
  b_bytes(&s, 4, 1, 0x00, 0, 0);
  b_section(&b, 2, &s);
  /* type 0: func (param "a" P) (param "b" u32) (result u32) */
  buf types = {0};
  b_bytes(&types, 3, 1, 0x40, 2);
  b_str(&types, "a");
  b_byte(&types, o->lift_param ? o->lift_param : 0x79);
  b_str(&types, "b");
  b_byte(&types, 0x79);
  b_bytes(&types, 2, 0x00, 0x79);
  /* alias core export 0 "add" (core func) */
  buf alias = {0};
  b_bytes(&alias, 5, 1, 0x00, 0x00, 0x01, 0);
  b_str(&alias, "add");
  buf canon = {0};
  b_bytes(&canon, 3, 1, 0x00, 0x00);
  size_t func_rel = canon.n;
  b_u32(&canon, o->lift_func);
  b_bytes(&canon, 2, 0, 0);
  size_t at;
  if (o->canon_before_alias) {
    b_section(&b, 7, &types);
    at = b_section(&b, 8, &canon);
    b_section(&b, 6, &alias);
  } else {
    b_section(&b, 6, &alias);
    b_section(&b, 7, &types);
    at = b_section(&b, 8, &canon);
  }
  if (o->lift_func_at) *o->lift_func_at = at + func_rel;
  /* export "add" (func 0) */
  b_byte(&s, 1);
  b_byte(&s, 0x00);
  b_str(&s, "add");
  b_bytes(&s, 3, 0x01, 0, 0x00);
  b_section(&b, 11, &s);
  return b;
}

/* Parses, expecting failure; returns the heap-copied message. */
static char *parse_err(const uint8_t *p, size_t n, baton_errno_t *code) {
  bt_component_t *c = NULL;
  baton_error_t *e = bt_component_parse(p, n, &c);
  if (!e) {
    bt_component_free(c);
    return NULL;
  }
  if (c) abort();
  if (code) *code = baton_error_code(e);
  char *m = strdup(baton_error_message(e));
  baton_error_delete(e);
  return m;
}

#define ASSERT_PARSE_ERR(p, n, want_code, needle)                  \
  do {                                                              \
    baton_errno_t code_ = BATON_OK;                                 \
    char *m_ = parse_err((p), (n), &code_);                         \
    if (!m_) T_FAIL_("expected an error containing \"%s\"", needle); \
    if (!strstr(m_, needle)) {                                      \
      fprintf(stderr, "message: %s\n", m_);                         \
      free(m_);                                                     \
      T_FAIL_("message does not contain \"%s\"", needle);           \
    }                                                               \
    if ((want_code) != BATON_OK && code_ != (want_code)) {          \
      fprintf(stderr, "message: %s\n", m_);                         \
      free(m_);                                                     \
      T_FAIL_("code %s, expected %s", baton_errno_name(code_),      \
              baton_errno_name(want_code));                         \
    }                                                               \
    free(m_);                                                       \
  } while (0)

/* Prints a world or a whole resolve to a heap string. */
static char *print_str(const bt_wit_resolve_t *r, const bt_wit_world_t *w) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f) abort();
  baton_error_t *e = w ? bt_wit_print_world(r, w, f) : bt_wit_print(r, f);
  fclose(f);
  if (e) {
    baton_error_delete(e);
    free(out);
    return NULL;
  }
  return out;
}

/* ---- unit tests ---- */

TEST(adder_parses) {
  adder_opts o = {0};
  buf b = build_adder(&o);
  ASSERT_TRUE(bt_component_is_component(b.p, b.n));
  ASSERT_FALSE(bt_component_is_component(g_adder, g_adder_len));
  bt_component_t *c = NULL;
  ASSERT_OK(bt_component_parse(b.p, b.n, &c));
  ASSERT_EQ(c->spaces[BT_CSORT_CORE_MODULE].count, 1);
  ASSERT_EQ(c->spaces[BT_CSORT_CORE_INSTANCE].count, 1);
  ASSERT_EQ(c->spaces[BT_CSORT_CORE_FUNC].count, 1);
  ASSERT_EQ(c->spaces[BT_CSORT_TYPE].count, 1);
  ASSERT_EQ(c->spaces[BT_CSORT_FUNC].count, 2); /* the lift and the export */
  ASSERT_EQ(c->ndefs, 6);
  ASSERT_EQ(c->defs[0].kind, BT_CDEF_CORE_MODULE);
  ASSERT_EQ(c->defs[0].u.core_module.size, g_adder_len);
  ASSERT_TRUE(c->defs[0].u.core_module.module != NULL);
  ASSERT_EQ(c->defs[1].kind, BT_CDEF_CORE_INSTANCE);
  ASSERT_TRUE(c->defs[1].u.instance.instantiate);
  ASSERT_EQ(c->defs[2].kind, BT_CDEF_ALIAS);
  ASSERT_EQ(c->defs[2].u.alias.kind, BT_CALIAS_CORE_EXPORT);
  ASSERT_STREQ(c->defs[2].u.alias.name, "add");
  ASSERT_EQ(c->defs[3].kind, BT_CDEF_TYPE);
  ASSERT_EQ(c->defs[4].kind, BT_CDEF_CANON);
  ASSERT_EQ(c->defs[4].u.canon.kind, BT_CCANON_LIFT);
  ASSERT_EQ(c->defs[4].sort, BT_CSORT_FUNC);
  ASSERT_EQ(c->defs[5].kind, BT_CDEF_EXPORT);
  ASSERT_EQ(c->spaces[BT_CSORT_FUNC].items[1].def, 5);
  ASSERT_EQ(c->nexports, 1);
  ASSERT_STREQ(c->exports[0].name, "add");
  ASSERT_EQ(c->exports[0].sort, BT_CSORT_FUNC);
  const bt_ctype_t *ft = c->exports[0].type;
  ASSERT_EQ(ft->kind, BT_CT_FUNC);
  ASSERT_EQ(ft->count, 2);
  ASSERT_STREQ(ft->fields[1].name, "b");
  ASSERT_EQ(ft->elem->kind, BT_CT_U32);
  ASSERT_TRUE(bt_ctype_export(c->type, "add") == &c->exports[0]);
  uint8_t p[17], r[1];
  uint32_t np, nr;
  ASSERT_TRUE(bt_ctype_flatten_func(ft, false, p, &np, r, &nr));
  ASSERT_EQ(np, 2);
  ASSERT_EQ(p[0], BT_WASM_I32);
  ASSERT_EQ(nr, 1);
  ASSERT_STREQ(bt_csort_name(BT_CSORT_CORE_INSTANCE), "core instance");
  bt_component_free(c);

  bt_wit_resolve_t *res = NULL;
  ASSERT_OK(bt_component_decode_wit(b.p, b.n, &res));
  const bt_wit_world_t *w = NULL;
  ASSERT_OK(bt_wit_find_world(res, NULL, &w));
  ASSERT_STREQ(w->name, "root");
  ASSERT_STREQ(res->main->id, "root:component");
  char *text = print_str(res, w);
  ASSERT_STREQ(text,
               "package root:component;\n\nworld root {\n  export add: func(a: u32, b: u32) -> u32;\n}\n");
  free(text);
  bt_wit_free(res);
  free(b.p);
}

TEST(lift_index_out_of_range) {
  size_t at = 0;
  adder_opts o = {.lift_func = 12, .lift_func_at = &at};
  buf b = build_adder(&o);
  char want[160];
  snprintf(want, sizeof want,
           "offset 0x%zx: canon section: lift: core function index 12 out of range (1 defined)", at);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EINVALID, want);
  free(b.p);
}

TEST(lift_type_mismatch) {
  adder_opts o = {.lift_param = 0x77 /* u64 */};
  buf b = build_adder(&o);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_ETYPE,
                   "canon section: lift: core function 0 has type (i32, i32) -> i32, but function "
                   "type 0 lifts from (i64, i32) -> i32");
  free(b.p);
}

TEST(section_order_matters) {
  adder_opts o = {.canon_before_alias = true};
  buf b = build_adder(&o);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EINVALID,
                   "canon section: lift: core function index 0 out of range (0 defined)");
  free(b.p);
}

/* Builds: core module, instance, aliases for memory/realloc/greet/post,
 * type string -> string and a lift with the given options. */
static buf build_greet(bool with_realloc, bool with_post, uint8_t post_func) {
  need_adder();
  buf b = {0}, s = {0};
  b_preamble(&b);
  b_raw(&s, g_adder, g_adder_len);
  b_section(&b, 1, &s);
  b_bytes(&s, 4, 1, 0x00, 0, 0);
  b_section(&b, 2, &s);
  static const struct { uint8_t sort; const char *name; } al[] = {
      {0x02, "memory"}, {0x00, "cabi_realloc"}, {0x00, "greet"}, {0x00, "cabi_post_greet"}, {0x00, "add"}};
  b_byte(&s, 5);
  for (int i = 0; i < 5; i++) {
    b_bytes(&s, 4, 0x00, al[i].sort, 0x01, 0);
    b_str(&s, al[i].name);
  }
  b_section(&b, 6, &s);
  b_bytes(&s, 3, 1, 0x40, 1);
  b_str(&s, "name");
  b_bytes(&s, 3, 0x73, 0x00, 0x73);
  b_section(&b, 7, &s);
  b_bytes(&s, 3, 1, 0x00, 0x00);
  b_u32(&s, 1); /* core func 1 = greet */
  b_byte(&s, (uint8_t)(2 + with_realloc + with_post));
  b_bytes(&s, 2, 0x03, 0); /* memory 0 */
  b_byte(&s, 0x00);        /* utf8 */
  if (with_realloc) b_bytes(&s, 2, 0x04, 0);
  if (with_post) b_bytes(&s, 2, 0x05, post_func);
  b_byte(&s, 0); /* type 0 */
  b_section(&b, 8, &s);
  b_byte(&s, 1);
  b_byte(&s, 0x00);
  b_str(&s, "greet");
  b_bytes(&s, 3, 0x01, 0, 0x00);
  b_section(&b, 11, &s);
  return b;
}

TEST(lift_with_options) {
  buf b = build_greet(true, true, 2);
  bt_component_t *c = NULL;
  ASSERT_OK(bt_component_parse(b.p, b.n, &c));
  const bt_cdef_t *d = &c->defs[c->ndefs - 2];
  ASSERT_EQ(d->kind, BT_CDEF_CANON);
  ASSERT_TRUE(d->u.canon.opts.has_memory);
  ASSERT_TRUE(d->u.canon.opts.has_realloc);
  ASSERT_EQ(d->u.canon.opts.realloc, 0);
  ASSERT_TRUE(d->u.canon.opts.has_post_return);
  ASSERT_EQ(d->u.canon.opts.post_return, 2);
  ASSERT_EQ(d->u.canon.opts.string_encoding, BT_CSTRING_UTF8);
  uint8_t p[17], r[1];
  uint32_t np, nr;
  ASSERT_TRUE(bt_ctype_flatten_func(d->u.canon.functype, true, p, &np, r, &nr));
  ASSERT_EQ(np, 3); /* (ptr, len) and the return pointer */
  ASSERT_EQ(nr, 0);
  bt_component_free(c);
  free(b.p);

  b = build_greet(false, true, 2);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EINVALID,
                   "lift: function type 0 needs a `realloc` option (its parameters contain strings or lists)");
  free(b.p);
  b = build_greet(true, true, 3); /* post-return given `add` */
  ASSERT_PARSE_ERR(b.p, b.n, BATON_ETYPE,
                   "lift: post-return function 3 has type (i32, i32) -> i32, expected (i32) -> ()");
  free(b.p);
  b = build_greet(true, true, 9);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EINVALID, "lift: core function index 9 out of range (4 defined)");
  free(b.p);
}

TEST(header_errors) {
  static const uint8_t core[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  static const uint8_t v12[] = {0, 'a', 's', 'm', 0x0c, 0, 1, 0};
  static const uint8_t layer2[] = {0, 'a', 's', 'm', 0x0d, 0, 2, 0};
  static const uint8_t magic[] = {0, 'a', 's', 'x', 0x0d, 0, 1, 0};
  static const uint8_t empty[] = {0, 'a', 's', 'm', 0x0d, 0, 1, 0};
  ASSERT_PARSE_ERR(core, sizeof core, BATON_EMALFORMED, "offset 0x4: this is a core WebAssembly module, not a component");
  ASSERT_PARSE_ERR(v12, sizeof v12, BATON_EUNSUPPORTED, "component binary version 0xc is not supported (expected 0x0d)");
  ASSERT_PARSE_ERR(layer2, sizeof layer2, BATON_EMALFORMED, "unknown binary layer 2");
  ASSERT_PARSE_ERR(magic, sizeof magic, BATON_EMALFORMED, "offset 0x0: bad magic number");
  for (size_t n = 0; n < 8; n++)
    ASSERT_PARSE_ERR(empty, n, BATON_EMALFORMED, n < 4 ? "unexpected end in the component header" : "");
  bt_component_t *c = NULL;
  ASSERT_OK(bt_component_parse(empty, sizeof empty, &c));
  ASSERT_EQ(c->ndefs, 0);
  ASSERT_EQ(c->type->kind, BT_CT_COMPONENT);
  bt_component_free(c);
  ASSERT_PARSE_ERR(NULL, 0, BATON_EMALFORMED, "unexpected end in the component header (0 of 8 bytes)");
}

TEST(section_framing) {
  buf b = {0};
  b_preamble(&b);
  b_bytes(&b, 2, 13, 0);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EMALFORMED, "offset 0x8: section: unknown section id 13");
  b.n = 8;
  b_bytes(&b, 3, 7, 5, 0);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EMALFORMED, "offset 0x9: type section: section size 5 runs past the end (1 bytes left)");
  b.n = 8;
  b_bytes(&b, 7, 7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EMALFORMED, "type section: invalid LEB128 encoding of section size");
  b.n = 8;
  b_bytes(&b, 5, 7, 3, 1, 0x79, 0xff); /* one type, then a stray byte */
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EMALFORMED, "offset 0xc: type section: section: 1 unexpected bytes at the end");
  b.n = 8;
  b_bytes(&b, 4, 7, 2, 1, 0x42 + 0x20);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EMALFORMED, "type section: invalid type definition opcode 0x62");
  b.n = 8;
  b_bytes(&b, 2, 9, 0);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EUNSUPPORTED, "start section: start functions (component values) are not supported");
  b.n = 8;
  /* a custom section is recorded */
  buf s = {0};
  b_str(&s, "hello");
  b_bytes(&s, 3, 1, 2, 3);
  b_section(&b, 0, &s);
  bt_component_t *c = NULL;
  ASSERT_OK(bt_component_parse(b.p, b.n, &c));
  ASSERT_EQ(c->ncustoms, 1);
  ASSERT_STREQ(c->customs[0].name, "hello");
  ASSERT_EQ(c->customs[0].size, 3);
  ASSERT_EQ(c->customs[0].data[2], 3);
  bt_component_free(c);
  free(b.p);
}

TEST(embedded_module_errors) {
  buf b = {0}, s = {0};
  b_preamble(&b);
  b_bytes(&s, 8, 0, 'a', 's', 'm', 1, 0, 0, 0);
  b_bytes(&s, 3, 1, 1, 0x55); /* a type section with a bad count */
  b_section(&b, 1, &s);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_OK, "offset 0x8: core module section: embedded core module 0 (offsets relative to 0xa): offset 0x");
  free(b.p);
}

TEST(index_and_type_errors) {
  buf b = {0}, s = {0};
  /* own<u32> */
  b_preamble(&b);
  b_bytes(&s, 4, 2, 0x79, 0x69, 0);
  b_section(&b, 7, &s);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EINVALID, "type section: own: type index 0 is a u32 type, not a resource");
  /* borrow in a result */
  b.n = 0;
  b_preamble(&b);
  b_bytes(&s, 9, 3, 0x3f, 0x7f, 0x00, 0x68, 0, 0x40, 0, 0x00);
  b_byte(&s, 1);
  b_section(&b, 7, &s);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EINVALID, "function result contains a `borrow` handle");
  /* alias of an instance that does not exist */
  b.n = 0;
  b_preamble(&b);
  b_bytes(&s, 4, 1, 0x01, 0x00, 3);
  b_str(&s, "f");
  b_section(&b, 6, &s);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EINVALID, "alias section: alias export: instance index 3 out of range (0 defined)");
  /* an empty record */
  b.n = 0;
  b_preamble(&b);
  b_bytes(&s, 3, 1, 0x72, 0);
  b_section(&b, 7, &s);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_EINVALID, "record type must have at least one field");
  /* a duplicate export */
  b.n = 0;
  b_preamble(&b);
  b_bytes(&s, 2, 2, 0x00);
  b_str(&s, "a");
  b_bytes(&s, 2, 0x03, 0x01); /* import "a" (type (sub resource)) */
  b_byte(&s, 0x00);
  b_str(&s, "A");
  b_bytes(&s, 2, 0x03, 0x01);
  b_section(&b, 10, &s);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_OK, "conflicts with an earlier import");
  free(b.p);
}

TEST(nesting_limits) {
  /* 40 components nested inside each other */
  buf inner = {0};
  b_preamble(&inner);
  for (int i = 0; i < 40; i++) {
    buf outer = {0};
    b_preamble(&outer);
    b_section(&outer, 4, &inner);
    inner = outer;
  }
  ASSERT_PARSE_ERR(inner.p, inner.n, BATON_ELIMIT, "nested more than 32 deep");
  free(inner.p);
  /* 40 instance types nested inside each other */
  buf s = {0}, b = {0};
  b_byte(&s, 1);
  for (int i = 0; i < 40; i++) b_bytes(&s, 3, 0x42, 1, 0x01);
  b_bytes(&s, 2, 0x42, 0);
  b_preamble(&b);
  b_section(&b, 7, &s);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_ELIMIT, "nested more than 32 deep");
  free(b.p);
}

TEST(type_size_limit) {
  buf s = {0}, b = {0};
  b_preamble(&b);
  b_byte(&s, 26);
  b_bytes(&s, 3, 0x6f, 1, 0x79);
  for (uint32_t i = 0; i < 25; i++) {
    b_bytes(&s, 2, 0x6f, 2);
    b_bytes(&s, 2, (int)i, (int)i); /* indices < 64 encode in one s33 byte */
  }
  b_section(&b, 7, &s);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_ELIMIT, "type is too large");
  /* option<option<...<u32>>> nested 300 deep */
  b.n = 0;
  b_preamble(&b);
  b_u32(&s, 300);
  b_bytes(&s, 2, 0x6b, 0x79);
  for (uint32_t i = 0; i < 299; i++) {
    b_byte(&s, 0x6b);
    b_byte(&s, (uint8_t)(i & 0x7f) | (i >= 64 ? 0x80 : 0)); /* s33 index i */
    if (i >= 64) b_byte(&s, (uint8_t)(i >> 7));
  }
  b_section(&b, 7, &s);
  ASSERT_PARSE_ERR(b.p, b.n, BATON_ELIMIT, "types are nested too deeply (more than 200 levels)");
  free(b.p);
}

TEST(truncations) {
  buf b = build_greet(true, true, 2);
  size_t errors = 0;
  for (size_t n = 0; n < b.n; n++) {
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, b.p, n);
    bt_component_t *c = NULL;
    baton_error_t *e = bt_component_parse(copy, n, &c);
    if (e) {
      errors++;
      ASSERT_NULL(c);
      ASSERT_CONTAINS(baton_error_message(e), n < 8 ? "" : "offset 0x");
      baton_error_delete(e);
    } else {
      bt_component_free(c); /* a prefix that ends on a section boundary */
    }
    free(copy);
  }
  ASSERT_TRUE(errors > b.n - 8);
  free(b.p);
}

TEST(alloc_failures) {
  buf b = build_greet(true, true, 2);
  long n;
  int saw_oom = 0;
  for (n = 0; n < 100000; n++) {
    bt_alloc_fail_after(n);
    bt_component_t *c = NULL;
    baton_error_t *e = bt_component_parse(b.p, b.n, &c);
    long failed = bt_alloc_fail_after(-1);
    if (!e) {
      bt_component_free(c);
      ASSERT_EQ(failed, 0); /* a failed allocation must be reported */
      break;
    }
    ASSERT_EQ(baton_error_code(e), BATON_ENO_MEMORY);
    saw_oom++;
    baton_error_delete(e);
  }
  ASSERT_TRUE(saw_oom > 0);
  for (n = 0; n < 100000; n++) {
    bt_alloc_fail_after(n);
    bt_wit_resolve_t *r = NULL;
    baton_error_t *e = bt_component_decode_wit(b.p, b.n, &r);
    long failed = bt_alloc_fail_after(-1);
    if (!e) {
      bt_wit_free(r);
      ASSERT_EQ(failed, 0);
      break;
    }
    ASSERT_NULL(r);
    ASSERT_EQ(baton_error_code(e), BATON_ENO_MEMORY);
    baton_error_delete(e);
  }
  free(b.p);
}

TEST(decode_wit_errors) {
  need_adder();
  bt_wit_resolve_t *r = NULL;
  baton_error_t *e = bt_component_decode_wit(g_adder, g_adder_len, &r);
  ASSERT_NOT_NULL(e);
  ASSERT_EQ(baton_error_code(e), BATON_ENOT_FOUND);
  ASSERT_CONTAINS(baton_error_message(e), "no `component-type` custom section");
  baton_error_delete(e);
  static const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  e = bt_component_decode_wit(junk, sizeof junk, &r);
  ASSERT_NOT_NULL(e);
  ASSERT_EQ(baton_error_code(e), BATON_EMALFORMED);
  baton_error_delete(e);
  ASSERT_NULL(r);
  /* a core module whose component-type section holds garbage */
  buf b = {0}, s = {0};
  b_bytes(&b, 8, 0, 'a', 's', 'm', 1, 0, 0, 0);
  b_str(&s, "component-type:x");
  b_bytes(&s, 4, 0, 'a', 's', 'm');
  b_section(&b, 0, &s);
  e = bt_component_decode_wit(b.p, b.n, &r);
  ASSERT_NOT_NULL(e);
  ASSERT_CONTAINS(baton_error_message(e), "`component-type` custom section at offset 0x1b");
  baton_error_delete(e);
  free(b.p);
}

/* Reads a hex dump (as `xxd -p` writes it) into bytes; caller frees. */
static unsigned char *read_hex(const char *path, size_t *len) {
  size_t tn = 0;
  unsigned char *text = t_read_file(path, &tn);
  if (!text) return NULL;
  unsigned char *out = malloc(tn / 2 + 1);
  size_t n = 0;
  int hi = -1;
  for (size_t i = 0; out && i < tn; i++) {
    int c = text[i], v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else continue;
    if (hi < 0) hi = v;
    else {
      out[n++] = (unsigned char)(hi << 4 | v);
      hi = -1;
    }
  }
  free(text);
  *len = n;
  return out;
}

/* Inputs the fuzzer once crashed on (tests/component/regress, kept as hex
 * so no binary is committed): parsing, decoding and printing must simply
 * not crash. */
TEST(fuzz_regressions) {
  static const char *const files[] = {"inline-interface-name.hex"};
  const char *src = getenv("BATON_SOURCE_DIR");
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/component/regress/%s", src ? src : ".", files[i]);
    size_t n = 0;
    unsigned char *p = read_hex(path, &n);
    if (!p) T_FAIL_("cannot read %s (set BATON_SOURCE_DIR)", path);
    bt_component_t *c = NULL;
    baton_error_t *e = bt_component_parse(p, n, &c);
    baton_error_delete(e);
    bt_component_free(c);
    bt_wit_resolve_t *r = NULL;
    e = bt_component_decode_wit(p, n, &r);
    if (!e) {
      char *text = print_str(r, NULL);
      free(text);
      bt_wit_free(r);
    }
    baton_error_delete(e);
    free(p);
  }
}

/* ---- liveness (as in tests/wit/test_wit.c), for wit-live ---- */

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

static bool exported(const bt_wit_world_t *w, const bt_wit_interface_t *iface) {
  for (size_t i = 0; i < w->export_count; i++)
    if (w->exports[i].kind == BT_WIT_ITEM_INTERFACE && w->exports[i].interface == iface) return true;
  return false;
}

/* A copy of `w` without the imported interfaces that `wasm-tools component
 * new` drops for a dummy module: those without functions, resources or
 * types something live refers to. */
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
    const bt_wit_interface_t *iface = it->interface;
    for (size_t k = 0; k < iface->type_count; k++) live_type(&reach, iface->types[k]);
    for (size_t k = 0; k < iface->function_count; k++) live_func(&reach, iface->functions[k]);
    for (size_t k = 0; k < reach.len; k++) {
      const bt_wit_type_t *t = reach.items[k];
      if (t->owner_kind != BT_WIT_OWNER_INTERFACE || t->interface == iface || exported(w, t->interface))
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

/* ---- command-line modes ---- */

/* Prints one interface as a one-interface package, normalized (no doc or
 * gate lines). */
static char *print_iface(const bt_wit_interface_t *iface) {
  bt_wit_package_t p = *iface->package;
  bt_wit_interface_t *one = (bt_wit_interface_t *)iface;
  p.interfaces = &one;
  p.interface_count = 1;
  p.world_count = 0;
  bt_wit_package_t *pp = &p;
  bt_wit_resolve_t r;
  memset(&r, 0, sizeof r);
  r.package_count = 1;
  r.packages = &pp;
  r.main = pp;
  char *text = print_str(&r, NULL);
  if (!text) return NULL;
  char *out = malloc(strlen(text) + 1);
  size_t n = 0;
  for (char *line = text; *line;) {
    char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line + 1) : strlen(line);
    const char *q = line;
    while (*q == ' ') q++;
    bool drop = strncmp(q, "///", 3) == 0 || strncmp(q, "@since(", 7) == 0 ||
                strncmp(q, "@unstable(", 10) == 0 || strncmp(q, "@deprecated(", 12) == 0;
    if (!drop) {
      memcpy(out + n, line, len);
      n += len;
    }
    line += len;
  }
  out[n] = 0;
  free(text);
  return out;
}

static const bt_wit_interface_t *find_iface(const bt_wit_resolve_t *r, const bt_wit_interface_t *want) {
  for (size_t i = 0; i < r->package_count; i++) {
    const bt_wit_package_t *p = r->packages[i];
    if (strcmp(p->id, want->package->id) != 0) continue;
    for (size_t k = 0; k < p->interface_count; k++)
      if (strcmp(p->interfaces[k]->name, want->name) == 0) return p->interfaces[k];
  }
  return NULL;
}

static int iface_check(const bt_wit_resolve_t *dec, const char *wit_path) {
  bt_wit_resolve_t *src = NULL;
  baton_error_t *e = bt_wit_parse_path(wit_path, &src);
  if (e) {
    fprintf(stderr, "%s\n", baton_error_message(e));
    baton_error_delete(e);
    return 1;
  }
  int rc = 0, checked = 0;
  for (size_t i = 0; i < dec->package_count; i++) {
    const bt_wit_package_t *p = dec->packages[i];
    for (size_t k = 0; k < p->interface_count; k++) {
      const bt_wit_interface_t *di = p->interfaces[k];
      const bt_wit_interface_t *si = find_iface(src, di);
      if (!si) {
        printf("interface %s: not found in %s\n", di->qualified_name, wit_path);
        rc = 1;
        continue;
      }
      char *a = print_iface(si), *b = print_iface(di);
      if (!a || !b || strcmp(a, b) != 0) {
        printf("interface %s differs\n--- from WIT\n%s--- decoded\n%s", di->qualified_name,
               a ? a : "?", b ? b : "?");
        rc = 1;
      }
      checked++;
      free(a);
      free(b);
    }
  }
  bt_wit_free(src);
  if (rc == 0) printf("ok %d interfaces\n", checked);
  return rc;
}

/* Every truncation prefix and every allocation failure, for parse and
 * decode: errors only, never a crash or leak. */
static int stress(const uint8_t *p, size_t n) {
  bool is_comp = bt_component_is_component(p, n);
  size_t step = n > 20000 ? n / 20000 + 1 : 1;
  for (size_t k = 0; k < n; k += step) {
    uint8_t *copy = malloc(k ? k : 1);
    memcpy(copy, p, k);
    if (is_comp) {
      bt_component_t *c = NULL;
      baton_error_t *e = bt_component_parse(copy, k, &c);
      if (e && c) return 1;
      baton_error_delete(e);
      bt_component_free(c);
    }
    bt_wit_resolve_t *r = NULL;
    baton_error_t *e = bt_component_decode_wit(copy, k, &r);
    if (e && r) return 1;
    baton_error_delete(e);
    bt_wit_free(r);
    free(copy);
  }
  long fails = 0;
  for (int which = 0; which < 2; which++) {
    for (long i = 0; i < 1000000; i++) {
      bt_alloc_fail_after(i);
      baton_error_t *e;
      if (which == 0 && is_comp) {
        bt_component_t *c = NULL;
        e = bt_component_parse(p, n, &c);
        bt_component_free(c);
      } else {
        bt_wit_resolve_t *r = NULL;
        e = bt_component_decode_wit(p, n, &r);
        bt_wit_free(r);
      }
      long failed = bt_alloc_fail_after(-1);
      if (failed == 0) { /* nothing failed: the normal outcome; done */
        baton_error_delete(e);
        break;
      }
      if (e) {
        if (baton_error_code(e) != BATON_ENO_MEMORY) {
          fprintf(stderr, "allocation failure %ld gave: %s\n", i, baton_error_message(e));
          baton_error_delete(e);
          return 1;
        }
        baton_error_delete(e);
        fails++;
      } else {
        fprintf(stderr, "allocation failure %ld was not reported\n", i);
        return 1;
      }
    }
  }
  printf("ok %zu prefixes, %ld allocation failures\n", n / step, fails);
  return 0;
}

static int tool_main(int argc, char **argv) {
  const char *mode = argv[1];
  if (argc < 3) {
    fprintf(stderr, "usage: test_component {parse|wit|wit-live|print|iface-check|worlds|stress} FILE\n");
    return 2;
  }
  if (strcmp(mode, "emit") == 0) {
    /* Writes the hand-built components so the script can validate them
     * with wasm-tools. */
    if (setjmp(t_jmp) != 0) return 1;
    adder_opts o = {0};
    buf bs[2] = {build_adder(&o), build_greet(true, true, 2)};
    const char *names[2] = {"adder.wasm", "greet.wasm"};
    for (int i = 0; i < 2; i++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[2], names[i]);
      FILE *f = fopen(path, "wb");
      if (!f || fwrite(bs[i].p, 1, bs[i].n, f) != bs[i].n) return 1;
      fclose(f);
      free(bs[i].p);
    }
    free(g_adder);
    return 0;
  }
  if (strcmp(mode, "worlds") == 0) {
    bt_wit_resolve_t *r = NULL;
    baton_error_t *e = bt_wit_parse_path(argv[2], &r);
    if (e) {
      fprintf(stderr, "%s\n", baton_error_message(e));
      baton_error_delete(e);
      return 1;
    }
    for (size_t i = 0; i < r->main->world_count; i++) {
      const char *n = r->main->worlds[i]->name;
      bt_wit_resolve_t *probe = NULL;
      char text[512];
      snprintf(text, sizeof text, "package a:b; world %s {}", n);
      baton_error_t *pe = bt_wit_parse_string("probe.wit", text, &probe);
      printf("%s%s\n", pe ? "%" : "", n);
      baton_error_delete(pe);
      bt_wit_free(probe);
    }
    bt_wit_free(r);
    return 0;
  }
  size_t n = 0;
  unsigned char *bytes = t_read_file(argv[2], &n);
  if (!bytes) {
    fprintf(stderr, "cannot read %s\n", argv[2]);
    return 2;
  }
  int rc = 0;
  if (strcmp(mode, "parse") == 0) {
    bt_component_t *c = NULL;
    baton_error_t *e = bt_component_parse(bytes, n, &c);
    if (e) {
      printf("%s\n", baton_error_message(e));
      baton_error_delete(e);
      rc = 1;
    } else {
      printf("ok\n");
      bt_component_free(c);
    }
  } else if (strcmp(mode, "stress") == 0) {
    rc = stress(bytes, n);
  } else {
    bt_wit_resolve_t *r = NULL;
    baton_error_t *e = bt_component_decode_wit(bytes, n, &r);
    if (e) {
      printf("%s\n", baton_error_message(e));
      baton_error_delete(e);
      free(bytes);
      return 1;
    }
    const bt_wit_world_t *w = NULL;
    if (strcmp(mode, "print") == 0) {
      e = bt_wit_print(r, stdout);
    } else if (strcmp(mode, "iface-check") == 0 && argc > 3) {
      rc = iface_check(r, argv[3]);
    } else if (strcmp(mode, "wit") == 0 || strcmp(mode, "wit-live") == 0) {
      e = bt_wit_find_world(r, NULL, &w);
      if (!e && strcmp(mode, "wit-live") == 0) {
        bt_wit_world_t *lw = live_world(w);
        e = bt_wit_print_world(r, lw, stdout);
        free(lw->imports);
        free(lw);
      } else if (!e) {
        e = bt_wit_print_world(r, w, stdout);
      }
    } else {
      fprintf(stderr, "unknown mode `%s`\n", mode);
      rc = 2;
    }
    if (e) {
      printf("%s\n", baton_error_message(e));
      baton_error_delete(e);
      rc = 1;
    }
    bt_wit_free(r);
  }
  free(bytes);
  return rc;
}

int main(int argc, char **argv) {
  if (argc > 1) return tool_main(argc, argv);
  RUN(adder_parses);
  RUN(lift_index_out_of_range);
  RUN(lift_type_mismatch);
  RUN(section_order_matters);
  RUN(lift_with_options);
  RUN(header_errors);
  RUN(section_framing);
  RUN(embedded_module_errors);
  RUN(index_and_type_errors);
  RUN(nesting_limits);
  RUN(type_size_limit);
  RUN(truncations);
  RUN(alloc_failures);
  RUN(decode_wit_errors);
  RUN(fuzz_regressions);
  free(g_adder);
  TEST_MAIN_END();
}
