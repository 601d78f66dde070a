/*
 * tests/wasm/test_wasm.c: tests for the core WebAssembly binary reader
 * (src/wasm/wasm.h). Valid modules come from tests/guests/reader_all.wat
 * (built by CMake into $BATON_GUESTS), from whatever other core modules the
 * guest directory holds (clang-built guests included) and from byte arrays
 * written out by hand below; each bad input asserts the error code and a
 * message substring that includes the byte offset and section. Truncation at
 * every prefix length and allocation failure at every allocation are covered
 * too; the sanitizer build's leak checker verifies that failures free
 * everything.
 */
#define _GNU_SOURCE /* memmem */
#include <dirent.h>

#include "test.h"
#include "wasm/wasm.h"

/* The module header: magic and version 1. */
#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

/* Parses n bytes that must fail with `code` and a message containing `sub`
 * (and must leave *out NULL). Reports `line` on failure. */
static void expect_err_(int line, const uint8_t *b, size_t n,
                        baton_errno_t code, const char *sub) {
  bt_wasm_module_t *m = (bt_wasm_module_t *)&m;
  baton_error_t *e = bt_wasm_parse(b, n, &m);
  if (!e) {
    bt_wasm_module_free(m);
    fprintf(stderr, "%s:%d: parse succeeded, expected %s \"%s\"\n", __FILE__,
            line, baton_errno_name(code), sub);
    longjmp(t_jmp, 1);
  }
  const char *msg = baton_error_message(e);
  if (baton_error_code(e) != code || !strstr(msg, sub) || m != NULL) {
    fprintf(stderr, "%s:%d: got %s \"%s\"%s, expected %s \"%s\"\n", __FILE__,
            line, baton_errno_name(baton_error_code(e)), msg,
            m ? " (out not NULL)" : "", baton_errno_name(code), sub);
    baton_error_delete(e);
    longjmp(t_jmp, 1);
  }
  baton_error_delete(e);
}
#define EXPECT_ERR(code, sub, ...)                       \
  do {                                                   \
    static const uint8_t b_[] = {__VA_ARGS__};           \
    expect_err_(__LINE__, b_, sizeof b_, code, sub);     \
  } while (0)

/* Parses n bytes that must succeed; returns the module (caller frees). */
static bt_wasm_module_t *expect_ok_(int line, const uint8_t *b, size_t n) {
  bt_wasm_module_t *m = NULL;
  baton_error_t *e = bt_wasm_parse(b, n, &m);
  if (e) {
    fprintf(stderr, "%s:%d: parse failed: %s\n", __FILE__, line,
            baton_error_message(e));
    baton_error_delete(e);
    longjmp(t_jmp, 1);
  }
  if (!m) {
    fprintf(stderr, "%s:%d: parse returned no module\n", __FILE__, line);
    longjmp(t_jmp, 1);
  }
  return m;
}
#define EXPECT_OK(m, ...)                                \
  do {                                                   \
    static const uint8_t b_[] = {__VA_ARGS__};           \
    m = expect_ok_(__LINE__, b_, sizeof b_);             \
  } while (0)

/* Reads $BATON_GUESTS/reader_all.wasm; caller frees. */
static uint8_t *read_all_wasm(size_t *len) {
  uint8_t *b = t_read_file(t_guest("reader_all.wasm"), len);
  if (!b) T_FAIL_("cannot read %s", t_guest("reader_all.wasm"));
  return b;
}

/* Returns reader_all.wasm with custom sections added: "first" (payload
 * "abc") right after the header and "meta" (payload "xyz") at the end.
 * Caller frees. */
static uint8_t *all_with_customs(size_t *len) {
  size_t n;
  uint8_t *orig = read_all_wasm(&n);
  static const uint8_t first[] = {0x00, 0x09, 0x05, 'f', 'i', 'r',
                                  's',  't',  'a',  'b', 'c'};
  static const uint8_t meta[] = {0x00, 0x08, 0x04, 'm', 'e', 't', 'a',
                                 'x',  'y',  'z'};
  uint8_t *b = malloc(n + sizeof first + sizeof meta);
  ASSERT_NOT_NULL(b);
  memcpy(b, orig, 8);
  memcpy(b + 8, first, sizeof first);
  memcpy(b + 8 + sizeof first, orig + 8, n - 8);
  memcpy(b + n + sizeof first, meta, sizeof meta);
  free(orig);
  *len = n + sizeof first + sizeof meta;
  return b;
}

/* Returns the signature string of function `idx`. */
static const char *sig(const bt_wasm_module_t *m, uint32_t idx) {
  static char buf[128];
  const bt_wasm_functype_t *t = bt_wasm_func_type(m, idx);
  if (!t) return "(none)";
  bt_wasm_functype_str(t, buf, sizeof buf);
  return buf;
}

/* ---- valid modules ---- */

TEST(all_sections) {
  size_t len;
  uint8_t *b = read_all_wasm(&len);
  bt_wasm_module_t *m = expect_ok_(__LINE__, b, len);

  ASSERT_EQ(m->ntypes, 4);
  ASSERT_EQ(m->nimports, 5);
  ASSERT_EQ(m->nimported_funcs, 1);
  ASSERT_EQ(m->nimported_tables, 1);
  ASSERT_EQ(m->nimported_memories, 1);
  ASSERT_EQ(m->nimported_globals, 2);
  ASSERT_STREQ(m->imports[0].module, "env");
  ASSERT_STREQ(m->imports[0].name, "log");
  ASSERT_EQ(m->imports[1].kind, BT_WASM_EXTERN_TABLE);
  ASSERT_EQ(m->imports[1].u.table.elemtype, BT_WASM_FUNCREF);
  ASSERT_EQ(m->imports[1].u.table.limits.min, 1);
  ASSERT_TRUE(m->imports[1].u.table.limits.has_max);
  ASSERT_EQ(m->imports[1].u.table.limits.max, 10);
  ASSERT_EQ(m->imports[2].kind, BT_WASM_EXTERN_MEMORY);
  ASSERT_EQ(m->imports[2].u.memory.min, 1);
  ASSERT_EQ(m->imports[2].u.memory.max, 2);
  ASSERT_EQ(m->imports[3].u.global.valtype, BT_WASM_I32);
  ASSERT_FALSE(m->imports[3].u.global.mutable_);
  ASSERT_EQ(m->imports[4].u.global.valtype, BT_WASM_I64);
  ASSERT_TRUE(m->imports[4].u.global.mutable_);

  ASSERT_EQ(m->nfuncs, 3);
  ASSERT_STREQ(sig(m, 0), "(i32) -> ()");
  ASSERT_STREQ(sig(m, 1), "(i32, i32) -> i32");
  ASSERT_STREQ(sig(m, 2), "(f64, v128) -> (i64, f32)");
  ASSERT_STREQ(sig(m, 3), "() -> ()");
  ASSERT_NULL(bt_wasm_func_type(m, 4));

  ASSERT_EQ(m->ntables, 2);
  ASSERT_EQ(m->tables[0].elemtype, BT_WASM_FUNCREF);
  ASSERT_EQ(m->tables[0].limits.min, 2);
  ASSERT_FALSE(m->tables[0].limits.has_max);
  ASSERT_EQ(m->tables[1].elemtype, BT_WASM_EXTERNREF);
  ASSERT_EQ(m->nmemories, 0); /* WebAssembly 2.0 allows one memory */
  ASSERT_EQ(m->nglobals, 7);
  ASSERT_EQ(m->globals[0].valtype, BT_WASM_I32);
  ASSERT_EQ(m->globals[1].valtype, BT_WASM_F64);
  ASSERT_TRUE(m->globals[1].mutable_);
  ASSERT_EQ(m->globals[2].valtype, BT_WASM_FUNCREF);
  ASSERT_EQ(m->globals[3].valtype, BT_WASM_EXTERNREF);
  ASSERT_EQ(m->globals[4].valtype, BT_WASM_V128);
  ASSERT_EQ(m->globals[5].valtype, BT_WASM_I64);
  ASSERT_EQ(m->globals[6].valtype, BT_WASM_F32);

  ASSERT_EQ(m->nexports, 6);
  const bt_wasm_export_t *e = bt_wasm_find_export(m, "add");
  ASSERT_NOT_NULL(e);
  ASSERT_EQ(e->kind, BT_WASM_EXTERN_FUNC);
  ASSERT_EQ(e->index, 1);
  e = bt_wasm_find_export(m, "mem");
  ASSERT_NOT_NULL(e);
  ASSERT_EQ(e->kind, BT_WASM_EXTERN_MEMORY);
  ASSERT_EQ(e->index, 0);
  e = bt_wasm_find_export(m, "g2");
  ASSERT_NOT_NULL(e);
  ASSERT_EQ(e->kind, BT_WASM_EXTERN_GLOBAL);
  ASSERT_EQ(e->index, 3);
  e = bt_wasm_find_export(m, "h\xc3\xa9llo \xc3\xbcn\xc3\xaf" "code");
  ASSERT_NOT_NULL(e);
  ASSERT_EQ(e->index, 3);
  ASSERT_NULL(bt_wasm_find_export(m, "missing"));
  ASSERT_NULL(bt_wasm_find_export(m, NULL));

  ASSERT_TRUE(m->has_start);
  ASSERT_EQ(m->start, 3);

  ASSERT_EQ(m->nelems, 6);
  static const uint32_t elem_mode[] = {0, 1, 0, 2, 0, 1};
  static const uint32_t elem_table[] = {0, 0, 1, 0, 2, 0};
  for (uint32_t i = 0; i < 6; i++) {
    ASSERT_EQ(m->elems[i].passive_or_active, elem_mode[i]);
    ASSERT_EQ(m->elems[i].memory_or_table, elem_table[i]);
    ASSERT_TRUE(m->elems[i].offset > 8 && m->elems[i].offset < len);
  }
  ASSERT_TRUE(m->has_datacount);
  ASSERT_EQ(m->datacount, 3);
  ASSERT_EQ(m->ndatas, 3);
  ASSERT_EQ(m->datas[0].passive_or_active, 0);
  ASSERT_EQ(m->datas[0].memory_or_table, 0);
  ASSERT_EQ(m->datas[1].passive_or_active, 1);
  ASSERT_EQ(m->datas[2].passive_or_active, 0);
  ASSERT_EQ(m->datas[2].memory_or_table, 0);
  ASSERT_TRUE(m->datas[0].offset < m->datas[1].offset);
  ASSERT_EQ(m->ncustoms, 0);
  ASSERT_NULL(bt_wasm_find_custom(m, "name"));
  bt_wasm_module_free(m);
  free(b);
}

TEST(custom_sections) {
  size_t len;
  uint8_t *b = all_with_customs(&len);
  bt_wasm_module_t *m = expect_ok_(__LINE__, b, len);
  ASSERT_EQ(m->ncustoms, 2);
  const bt_wasm_custom_t *c = bt_wasm_find_custom(m, "first");
  ASSERT_NOT_NULL(c);
  ASSERT_EQ(c->size, 3);
  ASSERT_EQ(c->offset, 16);
  ASSERT_TRUE(c->data == b + 16);
  ASSERT_EQ(memcmp(c->data, "abc", 3), 0);
  c = bt_wasm_find_custom(m, "meta");
  ASSERT_NOT_NULL(c);
  ASSERT_EQ(c->size, 3);
  ASSERT_EQ(c->offset, len - 3);
  ASSERT_EQ(memcmp(c->data, "xyz", 3), 0);
  ASSERT_NULL(bt_wasm_find_custom(m, "other"));
  ASSERT_EQ(m->nexports, 6);
  bt_wasm_module_free(m);
  free(b);

  /* Many custom sections (array growth), one with an empty payload, and
   * between every pair of known sections. */
  uint8_t many[8 + 20 * 4 + 9];
  memcpy(many, (const uint8_t[]){HDR}, 8);
  size_t n = 8;
  for (int i = 0; i < 20; i++) {
    many[n++] = 0x00;
    many[n++] = 0x02;
    many[n++] = 0x01;
    many[n++] = (uint8_t)('a' + i);
    if (i == 10) { /* a type section in the middle */
      static const uint8_t types[] = {0x01, 0x04, 0x01, 0x60, 0x00, 0x00};
      memcpy(many + n, types, sizeof types);
      n += sizeof types;
    }
  }
  ASSERT_TRUE(n <= sizeof many);
  m = expect_ok_(__LINE__, many, n);
  ASSERT_EQ(m->ncustoms, 20);
  ASSERT_EQ(m->ntypes, 1);
  ASSERT_EQ(m->customs[19].name[0], 't');
  ASSERT_EQ(m->customs[19].size, 0);
  ASSERT_NOT_NULL(bt_wasm_find_custom(m, "k"));
  bt_wasm_module_free(m);
}

TEST(minimal_modules) {
  bt_wasm_module_t *m;
  EXPECT_OK(m, HDR);
  ASSERT_EQ(m->ntypes + m->nimports + m->nfuncs + m->nexports + m->ncustoms,
            0);
  ASSERT_FALSE(m->has_start);
  ASSERT_FALSE(m->has_datacount);
  ASSERT_NULL(bt_wasm_func_type(m, 0));
  bt_wasm_module_free(m);

  /* Empty vectors in every section, datacount 0 without a data section, and
   * LEB128 padding within the 5-byte limit (section size 0x81 0x80 0x80
   * 0x00 = 1). */
  EXPECT_OK(m, HDR, 0x01, 0x81, 0x80, 0x80, 0x00, 0x00, 0x02, 0x01, 0x00,
            0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x05, 0x01, 0x00, 0x06, 0x01,
            0x00, 0x07, 0x01, 0x00, 0x09, 0x01, 0x00, 0x0c, 0x01, 0x00, 0x0a,
            0x01, 0x00, 0x0b, 0x01, 0x00);
  ASSERT_TRUE(m->has_datacount);
  ASSERT_EQ(m->datacount, 0);
  bt_wasm_module_free(m);

  /* One function with locals and a real body. */
  EXPECT_OK(m, HDR, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, /* type */
            0x03, 0x02, 0x01, 0x00,                                 /* func */
            0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,               /* export */
            0x0a, 0x0a, 0x01, 0x08, 0x02, 0x02, 0x7e, 0x01, 0x7b, /* code */
            0x20, 0x00, 0x0b);
  ASSERT_STREQ(sig(m, 0), "(i32) -> i32");
  ASSERT_EQ(bt_wasm_find_export(m, "f")->index, 0);
  bt_wasm_module_free(m);

  /* NULL bytes with length 0 is an empty input. */
  bt_wasm_module_t *out = NULL;
  baton_error_t *e = bt_wasm_parse(NULL, 0, &out);
  ASSERT_NOT_NULL(e);
  ASSERT_EQ(baton_error_code(e), BATON_EMALFORMED);
  ASSERT_STREQ(baton_error_message(e),
               "offset 0x0: unexpected end of data (module header)");
  baton_error_delete(e);
  e = bt_wasm_parse((const uint8_t[]){HDR}, 8, NULL);
  ASSERT_EQ(baton_error_code(e), BATON_EINVALID_ARGUMENT);
  baton_error_delete(e);
}

/* Parses every core module in $BATON_GUESTS (clang-built guests and .wat
 * ones); components are skipped. Unsupported proposals may be reported as
 * such, anything else must parse, except bad_body.wasm (built with
 * --no-check), which the validator must reject. */
TEST(guest_directory) {
  const char *dir = getenv("BATON_GUESTS");
  if (!dir) dir = "build/guests";
  DIR *d = opendir(dir);
  ASSERT_NOT_NULL(d);
  int parsed = 0, clang_built = 0;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    size_t nl = strlen(ent->d_name), len;
    if (nl < 5 || strcmp(ent->d_name + nl - 5, ".wasm") != 0) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
    uint8_t *b = t_read_file(path, &len);
    if (!b) continue;
    if (len < 8 || memcmp(b + 4, "\x01\x00\x00\x00", 4) != 0) {
      free(b); /* a component or not wasm at all */
      continue;
    }
    bt_wasm_module_t *m = NULL;
    baton_error_t *e = bt_wasm_parse(b, len, &m);
    if (e) {
      fprintf(stderr, "  %s: %s\n", ent->d_name, baton_error_message(e));
      baton_errno_t code = baton_error_code(e);
      bool bad_body = strcmp(ent->d_name, "bad_body.wasm") == 0 &&
                      code == BATON_EINVALID &&
                      strstr(baton_error_message(e), "type mismatch: i32.add");
      baton_error_delete(e);
      free(b);
      if (code == BATON_EUNSUPPORTED || bad_body) continue;
      closedir(d);
      T_FAIL_("%s: unexpected %s", ent->d_name, baton_errno_name(code));
    }
    const bt_wasm_custom_t *p = bt_wasm_find_custom(m, "producers");
    if (p && memmem(p->data, p->size, "clang", 5)) {
      clang_built++;
      ASSERT_TRUE(m->nfuncs > 0);
      ASSERT_TRUE(m->nmemories + m->nimported_memories > 0);
    }
    parsed++;
    bt_wasm_module_free(m);
    free(b);
  }
  closedir(d);
  fprintf(stderr, "  parsed %d core modules (%d built by clang)\n", parsed,
          clang_built);
  ASSERT_TRUE(parsed >= 1);
}

/* ---- truncation ---- */

/* Asserts that every proper prefix of b fails cleanly: with "unexpected end
 * of data" unless the prefix ends exactly at a section boundary, where the
 * module may be valid or fail a cross-section count check. */
static void check_prefixes(const uint8_t *b, size_t len) {
  /* section boundaries, found by walking the headers */
  bool *boundary = calloc(len + 1, 1);
  ASSERT_NOT_NULL(boundary);
  boundary[8] = true;
  const uint8_t *p = b + 8, *end = b + len;
  while (p < end) {
    uint64_t size;
    p++;
    ASSERT_TRUE(bt_wasm_read_uleb(&p, end, 32, &size));
    p += size;
    ASSERT_TRUE(p <= end);
    boundary[p - b] = true;
  }
  int ok = 0;
  for (size_t n = 0; n < len; n++) {
    /* a fresh copy of exactly n bytes so ASan catches any over-read */
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, b, n);
    bt_wasm_module_t *m = NULL;
    baton_error_t *e = bt_wasm_parse(copy, n, &m);
    if (!e) {
      free(copy);
      bt_wasm_module_free(m);
      if (!boundary[n]) free(boundary);
      ASSERT_TRUE(n >= 8 && boundary[n]);
      ok++;
      continue;
    }
    char msg[512];
    snprintf(msg, sizeof msg, "%s", baton_error_message(e));
    baton_errno_t code = baton_error_code(e);
    baton_error_delete(e);
    free(copy);
    ASSERT_NULL(m);
    if (code != BATON_EMALFORMED ||
        (!strstr(msg, "unexpected end of data") &&
         !(boundary[n] && strstr(msg, "inconsistent lengths")))) {
      free(boundary);
      T_FAIL_("prefix %zu: %s %s", n, baton_errno_name(code), msg);
    }
  }
  free(boundary);
  fprintf(stderr, "  %zu prefixes, %d valid\n", len, ok);
}

TEST(truncation_every_prefix) {
  size_t len;
  uint8_t *b = all_with_customs(&len);
  check_prefixes(b, len);
  free(b);
  b = read_all_wasm(&len);
  check_prefixes(b, len);
  /* the message for a cut inside the import section names it */
  bt_wasm_module_t *m = NULL;
  baton_error_t *e = bt_wasm_parse(b, 0x30, &m);
  ASSERT_EQ(baton_error_code(e), BATON_EMALFORMED);
  ASSERT_CONTAINS(baton_error_message(e), "import section: unexpected end of data");
  baton_error_delete(e);
  free(b);
}

/* ---- header and section framing ---- */

TEST(bad_header) {
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x0: bad magic number (not a WebAssembly module)",
             0x7f, 'E', 'L', 'F', 0x01, 0x00, 0x00, 0x00);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0x0: bad magic number", 0x00, 0x61,
             0x73, 0x6e, 0x01, 0x00, 0x00, 0x00);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0x0: bad magic number", 'x');
  EXPECT_ERR(BATON_EMALFORMED, "offset 0x3: unexpected end of data", 0x00,
             0x61, 0x73);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x4: unsupported version 0x2 (expected 1)", 0x00, 0x61,
             0x73, 0x6d, 0x02, 0x00, 0x00, 0x00);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0x4: unsupported version 0x1000d (this "
             "is a component, not a core module)",
             0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0x4: unsupported version", 0x00, 0x61,
             0x73, 0x6d, 0x02);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0x6: unexpected end of data", 0x00,
             0x61, 0x73, 0x6d, 0x01, 0x00);
}

TEST(section_framing) {
  EXPECT_ERR(BATON_EMALFORMED, "offset 0x8: unknown section id 14", HDR,
             0x0e, 0x00);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0x9: type section: unexpected end of data",
             HDR, 0x01);
  /* section size overruns the input */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x9: type section: unexpected end of data (section size "
             "5, 1 bytes left)",
             HDR, 0x01, 0x05, 0x00);
  /* content shorter than the declared size */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: type section: section size mismatch (1 unread bytes",
             HDR, 0x01, 0x02, 0x00, 0x00);
  /* content longer than the declared size */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xa: type section: unexpected end of data (1 types cannot "
             "fit in the 0 bytes left)",
             HDR, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xe: type section: unexpected end of data",
             HDR, 0x01, 0x04, 0x01, 0x60, 0x01, 0x7f, 0x00);
  /* duplicate and out-of-order sections */
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xb: type section: duplicate section",
             HDR, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: type section: section out of order (must come "
             "before the function section)",
             HDR, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: data count section: section out of order (must "
             "come before the code section)",
             HDR, 0x0a, 0x01, 0x00, 0x0c, 0x01, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: element section: section out of order (must come "
             "before the data count section)",
             HDR, 0x0c, 0x01, 0x00, 0x09, 0x01, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: memory section: section out of order (must come "
             "before the global section)",
             HDR, 0x06, 0x01, 0x00, 0x05, 0x01, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: tag section: section out of order (must come "
             "before the global section)",
             HDR, 0x06, 0x01, 0x00, 0x0d, 0x01, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x8: tag section: malformed section id 13 (the tag "
             "section: exception handling is not supported)",
             HDR, 0x0d, 0x01, 0x00);
  /* the data section after data count and code is fine, custom anywhere */
  bt_wasm_module_t *m;
  EXPECT_OK(m, HDR, 0x00, 0x01, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x01, 0x00,
            0x0a, 0x01, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x01, 0x00, 0x00, 0x01,
            0x00);
  ASSERT_EQ(m->ncustoms, 4);
  ASSERT_STREQ(m->customs[0].name, "");
  bt_wasm_module_free(m);
  /* custom section without room for its name */
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xa: custom section: unexpected end of data",
             HDR, 0x00, 0x00);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xb: custom section: unexpected end of data",
             HDR, 0x00, 0x01, 0x05, 'a');
}

/* ---- LEB128 ---- */

/* Decodes b as an unsigned LEB of `bits`; returns whether it succeeded and
 * checks that the whole input was consumed on success. */
static bool uleb(const uint8_t *b, size_t n, unsigned bits, uint64_t *v) {
  const uint8_t *p = b;
  bool ok = bt_wasm_read_uleb(&p, b + n, bits, v);
  if (ok ? p != b + n : p != b) T_FAIL_("bad position after uleb");
  return ok;
}
static bool sleb(const uint8_t *b, size_t n, unsigned bits, int64_t *v) {
  const uint8_t *p = b;
  bool ok = bt_wasm_read_sleb(&p, b + n, bits, v);
  if (ok ? p != b + n : p != b) T_FAIL_("bad position after sleb");
  return ok;
}
#define U(bits, v, ...)                                                   \
  uleb((const uint8_t[]){__VA_ARGS__},                                    \
       sizeof((const uint8_t[]){__VA_ARGS__}), bits, v)
#define S(bits, v, ...)                                                   \
  sleb((const uint8_t[]){__VA_ARGS__},                                    \
       sizeof((const uint8_t[]){__VA_ARGS__}), bits, v)

TEST(leb128) {
  uint64_t u;
  int64_t s;
  ASSERT_TRUE(U(32, &u, 0x00));
  ASSERT_EQ(u, 0);
  ASSERT_TRUE(U(32, &u, 0xe5, 0x8e, 0x26));
  ASSERT_EQ(u, 624485);
  ASSERT_TRUE(U(32, &u, 0x80, 0x80, 0x80, 0x80, 0x00)); /* padded zero */
  ASSERT_EQ(u, 0);
  ASSERT_TRUE(U(32, &u, 0xff, 0xff, 0xff, 0xff, 0x0f));
  ASSERT_EQ(u, 0xffffffffu);
  ASSERT_FALSE(U(32, &u, 0xff, 0xff, 0xff, 0xff, 0x1f));       /* too big */
  ASSERT_FALSE(U(32, &u, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)); /* too long */
  ASSERT_FALSE(U(32, &u, 0x80, 0x80));                         /* truncated */
  ASSERT_FALSE(U(1, &u, 0x02));
  ASSERT_TRUE(U(1, &u, 0x01));
  ASSERT_TRUE(U(7, &u, 0x7f));
  ASSERT_FALSE(U(7, &u, 0x80, 0x00));
  ASSERT_TRUE(U(64, &u, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0x01));
  ASSERT_EQ(u, UINT64_MAX);
  ASSERT_FALSE(U(64, &u, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                 0x02));
  ASSERT_FALSE(U(0, &u, 0x00));
  ASSERT_FALSE(U(65, &u, 0x00));

  ASSERT_TRUE(S(32, &s, 0x7f));
  ASSERT_EQ(s, -1);
  ASSERT_TRUE(S(32, &s, 0xc0, 0xbb, 0x78));
  ASSERT_EQ(s, -123456);
  ASSERT_TRUE(S(32, &s, 0x80, 0x80, 0x80, 0x80, 0x78));
  ASSERT_EQ(s, INT32_MIN);
  ASSERT_TRUE(S(32, &s, 0xff, 0xff, 0xff, 0xff, 0x07));
  ASSERT_EQ(s, INT32_MAX);
  ASSERT_TRUE(S(32, &s, 0xff, 0xff, 0xff, 0xff, 0x7f)); /* padded -1 */
  ASSERT_EQ(s, -1);
  ASSERT_FALSE(S(32, &s, 0x80, 0x80, 0x80, 0x80, 0x70));
  ASSERT_FALSE(S(32, &s, 0xff, 0xff, 0xff, 0xff, 0x0f));
  ASSERT_FALSE(S(32, &s, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f));
  ASSERT_TRUE(S(33, &s, 0xff, 0xff, 0xff, 0xff, 0x0f));
  ASSERT_EQ(s, 0xffffffffll);
  ASSERT_TRUE(S(33, &s, 0x80, 0x80, 0x80, 0x80, 0x70));
  ASSERT_EQ(s, -(1ll << 32));
  ASSERT_FALSE(S(33, &s, 0xff, 0xff, 0xff, 0xff, 0x1f));
  ASSERT_TRUE(S(64, &s, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                0x7f));
  ASSERT_EQ(s, INT64_MIN);
  ASSERT_TRUE(S(64, &s, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0x00));
  ASSERT_EQ(s, INT64_MAX);
  ASSERT_FALSE(S(64, &s, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                 0x01));
  ASSERT_FALSE(S(64, &s, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                 0x80, 0x00));
  ASSERT_FALSE(S(32, &s, 0xff));
  const uint8_t one = 0;
  const uint8_t *p = &one;
  ASSERT_FALSE(bt_wasm_read_uleb(&p, p, 32, &u)); /* empty range */

  /* in a module: overlong and too-large section sizes and counts */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x9: type section: invalid LEB128 u32: integer "
             "representation too long",
             HDR, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x9: type section: invalid LEB128 u32: integer too large",
             HDR, 0x01, 0xff, 0xff, 0xff, 0xff, 0x1f);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xa: type section: invalid LEB128 u32: integer "
             "representation too long",
             HDR, 0x01, 0x06, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00);
  /* an absurd count fails before any allocation */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xa: type section: unexpected end of data (4294967295 "
             "types cannot fit in the 0 bytes left)",
             HDR, 0x01, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xe: global section: invalid LEB128 s32",
             HDR, 0x06, 0x0a, 0x01, 0x7f, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80,
             0x70, 0x0b);
}

/* ---- names ---- */

TEST(utf8_names) {
  /* overlong encoding of '/' in an import module name */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xc: import section: malformed UTF-8 encoding in import "
             "module name",
             HDR, 0x02, 0x08, 0x01, 0x02, 0xc0, 0xaf, 0x00, 0x02, 0x00, 0x00);
  /* surrogate in an import name */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xe: import section: malformed UTF-8 encoding in import "
             "name",
             HDR, 0x02, 0x09, 0x01, 0x00, 0x04, 'a', 0xed, 0xa0, 0x80, 0x02,
             0x00, 0x00);
  /* truncated sequence and code point above U+10FFFF in custom names */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: custom section: malformed UTF-8 encoding in custom "
             "section name",
             HDR, 0x00, 0x03, 0x02, 0xe2, 0x82);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xb: custom section: malformed UTF-8",
             HDR, 0x00, 0x05, 0x04, 0xf4, 0x90, 0x80, 0x80);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xb: custom section: malformed UTF-8",
             HDR, 0x00, 0x02, 0x01, 0x80);
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xb: custom section: malformed UTF-8",
             HDR, 0x00, 0x02, 0x01, 0xff);
  /* names may contain U+0000; export names differing after a NUL are
   * distinct (names.wast) */
  bt_wasm_module_t *m;
  EXPECT_OK(m, HDR, 0x00, 0x03, 0x02, 'a', 0x00);
  bt_wasm_module_free(m);
  EXPECT_OK(m, HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
            0x07, 0x09, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00,
            0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
  ASSERT_EQ(m->nexports, 2);
  ASSERT_EQ(m->exports[1].name_len, 2);
  bt_wasm_module_free(m);
  EXPECT_ERR(BATON_EINVALID, "duplicate export name", HDR, 0x01, 0x04, 0x01,
             0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0b, 0x02, 0x02,
             0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0a, 0x04,
             0x01, 0x02, 0x00, 0x0b);
  /* valid 2-, 3- and 4-byte sequences */
  EXPECT_OK(m, HDR, 0x00, 0x0b, 0x0a, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0,
            0x9f, 0x98, 0x80, '!');
  ASSERT_STREQ(m->customs[0].name, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80!");
  bt_wasm_module_free(m);
}

/* ---- types, imports, functions ---- */

TEST(types_and_imports) {
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xd: type section: invalid value type 0x40", HDR, 0x01,
             0x05, 0x01, 0x60, 0x01, 0x40, 0x00);
  EXPECT_ERR(BATON_EUNSUPPORTED, "offset 0xd: type section: value type 0x64",
             HDR, 0x01, 0x06, 0x01, 0x60, 0x01, 0x64, 0x00, 0x00);
  EXPECT_ERR(BATON_EUNSUPPORTED,
             "offset 0xb: type section: type 0: GC type definitions (form "
             "0x5f) are not supported",
             HDR, 0x01, 0x04, 0x01, 0x5f, 0x00, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: type section: type 0: invalid type form 0x61", HDR,
             0x01, 0x04, 0x01, 0x61, 0x00, 0x00);
  /* import of an unknown type */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x10: import section: import \"m\" \"f\": unknown type 0 "
             "(0 defined)",
             HDR, 0x02, 0x07, 0x01, 0x01, 'm', 0x01, 'f', 0x00, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xf: import section: malformed import kind 0x04 (a tag: "
             "exception handling is not supported)",
             HDR, 0x02, 0x08, 0x01, 0x01, 'm', 0x01, 't', 0x04, 0x00, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xf: import section: invalid import kind 0x05", HDR, 0x02,
             0x07, 0x01, 0x01, 'm', 0x01, 'x', 0x05, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x10: import section: invalid value type 0x00", HDR, 0x02,
             0x08, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x00, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x11: import section: invalid mutability 0x02", HDR, 0x02,
             0x08, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x02);
  /* function section: type index out of range */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x11: function section: unknown type 3 (1 defined)", HDR,
             0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x03);
  /* imported mutable globals, memory64 and shared memories are accepted */
  bt_wasm_module_t *m;
  EXPECT_OK(m, HDR, 0x02, 0x12, 0x02,                         /* 2 imports */
            0x01, 'm', 0x01, 'g', 0x03, 0x7e, 0x01,           /* mut i64 */
            0x01, 'm', 0x01, 'a', 0x02, 0x05, 0x01, 0x80, 0x80, 0x04); /* m64 */
  ASSERT_EQ(m->nimported_globals, 1);
  ASSERT_EQ(m->nimported_memories, 1);
  ASSERT_TRUE(m->imports[1].u.memory.is64);
  ASSERT_EQ(m->imports[1].u.memory.max, 65536);
  bt_wasm_module_free(m);
  EXPECT_OK(m, HDR, 0x02, 0x09, 0x01,                         /* 1 import */
            0x01, 'm', 0x01, 's', 0x02, 0x03, 0x01, 0x02);    /* shared */
  ASSERT_TRUE(m->imports[0].u.memory.shared);
  ASSERT_TRUE(m->imports[0].u.memory.has_max);
  bt_wasm_module_free(m);
  /* but only one memory (WebAssembly 2.0) */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x16: import section: multiple memories are not allowed",
             HDR, 0x02, 0x0f, 0x02, 0x01, 'm', 0x01, 'a', 0x02, 0x00, 0x01,
             0x01, 'm', 0x01, 'b', 0x02, 0x00, 0x01);
}

TEST(function_code_mismatch) {
  /* 2 functions, 1 body */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x15: code section: function and code section have "
             "inconsistent lengths (2 functions, 1 bodies)",
             HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x03, 0x02, 0x00,
             0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
  /* functions but no code section */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x12: code section: function and code section have "
             "inconsistent lengths (1 functions, no code section)",
             HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00);
  /* a body without a function */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xa: code section: function and code section have "
             "inconsistent lengths (0 functions, 1 bodies)",
             HDR, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
}

TEST(code_bodies) {
#define ONE_FUNC HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00
  /* body without end: offset of its last byte (0x19) */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x18: code section: function 0: body must end with end "
             "(0x0b)",
             ONE_FUNC, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x41, 0x00);
  /* locals eat the whole body */
  EXPECT_ERR(BATON_EMALFORMED, "code section: function 0: body must end with end",
             ONE_FUNC, 0x0a, 0x05, 0x01, 0x03, 0x01, 0x01, 0x7f);
  /* empty body */
  EXPECT_ERR(BATON_EMALFORMED, "offset 0x16: code section: unexpected end of data",
             ONE_FUNC, 0x0a, 0x02, 0x01, 0x00);
  /* body size past the section */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x16: code section: function 0: unexpected end of data "
             "(body size 9, 2 bytes left)",
             ONE_FUNC, 0x0a, 0x04, 0x01, 0x09, 0x00, 0x0b);
  /* bad local type */
  EXPECT_ERR(BATON_EMALFORMED, "offset 0x18: code section: invalid value type 0x40",
             ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x01, 0x01, 0x40, 0x0b);
  /* 30000 + 30000 locals */
  EXPECT_ERR(BATON_EUNSUPPORTED,
             "offset 0x1b: code section: function 0: too many locals (more "
             "than 50000)",
             ONE_FUNC, 0x0a, 0x0b, 0x01, 0x09, 0x02, 0xb0, 0xea, 0x01, 0x7f,
             0xb0, 0xea, 0x01, 0x7f, 0x0b);
  /* a local count that overflows 32 bits is malformed (spec binary.wast) */
  EXPECT_ERR(BATON_EMALFORMED, "too many locals", ONE_FUNC, 0x0a, 0x0f, 0x01,
             0x0d, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0xff, 0xff, 0xff,
             0xff, 0x0f, 0x7f, 0x0b);
  /* exactly 50000 locals is fine */
  bt_wasm_module_t *m;
  EXPECT_OK(m, ONE_FUNC, 0x0a, 0x08, 0x01, 0x06, 0x01, 0xd0, 0x86, 0x03, 0x7c,
            0x0b);
  bt_wasm_module_free(m);
  /* instructions are decoded and type-checked (more in validation tests) */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x17: code section: function 0: illegal opcode 0xff",
             ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x00, 0xff, 0xfe, 0x0b);
#undef ONE_FUNC
}

/* ---- tables, memories, globals ---- */

TEST(limits) {
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xc: memory section: size minimum must not be greater "
             "than maximum (min 2, max 1)",
             HDR, 0x05, 0x04, 0x01, 0x01, 0x02, 0x01);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xc: memory section: memory size must be at most 65536 "
             "pages, minimum is 65537",
             HDR, 0x05, 0x05, 0x01, 0x00, 0x81, 0x80, 0x04);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xd: memory section: memory size must be at most 65536 "
             "pages, maximum is 65537",
             HDR, 0x05, 0x06, 0x01, 0x01, 0x00, 0x81, 0x80, 0x04);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: memory section: invalid memory limits flags 0x08",
             HDR, 0x05, 0x03, 0x01, 0x08, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: memory section: integer too large: limits flags 0x02 "
             "(shared memory must have a maximum size)",
             HDR, 0x05, 0x03, 0x01, 0x02, 0x00);
  EXPECT_ERR(BATON_EINVALID, "table section: size minimum must not be greater",
             HDR, 0x04, 0x05, 0x01, 0x70, 0x01, 0x05, 0x04);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xc: table section: invalid table limits flags 0x02", HDR,
             0x04, 0x04, 0x01, 0x70, 0x02, 0x00);
  EXPECT_ERR(BATON_EUNSUPPORTED,
             "offset 0xc: table section: 64-bit tables (limits flags 0x04) are "
             "not supported",
             HDR, 0x04, 0x04, 0x01, 0x70, 0x04, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: table section: invalid reference type 0x7f", HDR,
             0x04, 0x04, 0x01, 0x7f, 0x00, 0x00);
  EXPECT_ERR(BATON_EUNSUPPORTED,
             "offset 0xb: table section: table initializer expressions", HDR,
             0x04, 0x06, 0x01, 0x40, 0x00, 0x70, 0x00, 0x00);
  /* 32-bit table size is a u32 */
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xd: table section: invalid LEB128 u32",
             HDR, 0x04, 0x08, 0x01, 0x70, 0x00, 0xff, 0xff, 0xff, 0xff, 0x1f);

  bt_wasm_module_t *m;
  /* no multiple memories (WebAssembly 2.0) */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xa: memory section: multiple memories (3) are not "
             "allowed",
             HDR, 0x05, 0x0a, 0x03, 0x00, 0x00, 0x04, 0x80, 0x80, 0x08, 0x03,
             0x01, 0x10);
  /* memory64 beyond 4 GiB, shared with max */
  EXPECT_OK(m, HDR, 0x05, 0x05, 0x01, 0x04, 0x80, 0x80, 0x08);
  ASSERT_EQ(m->nmemories, 1);
  ASSERT_TRUE(m->memories[0].is64);
  ASSERT_EQ(m->memories[0].min, 131072);
  ASSERT_FALSE(m->memories[0].has_max);
  bt_wasm_module_free(m);
  EXPECT_OK(m, HDR, 0x05, 0x04, 0x01, 0x03, 0x01, 0x10);
  ASSERT_TRUE(m->memories[0].shared);
  ASSERT_EQ(m->memories[0].max, 16);
  bt_wasm_module_free(m);
  /* memory with 65536 pages exactly, table with large sizes */
  EXPECT_OK(m, HDR, 0x04, 0x09, 0x01, 0x6f, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff,
            0x0f, 0x05, 0x08, 0x01, 0x01, 0x80, 0x80, 0x04, 0x80, 0x80, 0x04);
  ASSERT_EQ(m->memories[0].max, 65536);
  ASSERT_EQ(m->tables[0].limits.max, 0xffffffffu);
  bt_wasm_module_free(m);
}

TEST(const_exprs) {
  /* i32 global initialised with i64.const */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xd: global section: type mismatch: constant expression "
             "has type i64, expected i32",
             HDR, 0x06, 0x06, 0x01, 0x7f, 0x00, 0x42, 0x00, 0x0b);
  /* i32.add (extended constant expressions) without operands */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xd: global section: type mismatch: constant expression: "
             "opcode 0x6a expects two i32 operands",
             HDR, 0x06, 0x05, 0x01, 0x7f, 0x00, 0x6a, 0x0b);
  /* i64.mul of an i32 and an i64 */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x11: global section: type mismatch: constant expression: "
             "opcode 0x7e expects two i64 operands",
             HDR, 0x06, 0x09, 0x01, 0x7e, 0x00, 0x41, 0x01, 0x42, 0x02, 0x7e,
             0x0b);
  /* nop and i32.div_s are not constant; 0xff is not an opcode at all */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xd: global section: constant expression required: opcode "
             "0x01 is not a constant instruction",
             HDR, 0x06, 0x07, 0x01, 0x7f, 0x00, 0x01, 0x41, 0x00, 0x0b);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x11: global section: constant expression required: "
             "opcode 0x6d",
             HDR, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x01, 0x6d,
             0x0b);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xd: global section: illegal opcode 0xff", HDR, 0x06,
             0x05, 0x01, 0x7f, 0x00, 0xff, 0x0b);
  /* two values */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xd: global section: type mismatch: constant expression "
             "leaves 2 values, expected one i32",
             HDR, 0x06, 0x08, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x41, 0x00, 0x0b);
  /* empty */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xd: global section: type mismatch: constant expression "
             "is empty",
             HDR, 0x06, 0x04, 0x01, 0x7f, 0x00, 0x0b);
  /* missing end */
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xf: global section: unexpected end of data",
             HDR, 0x06, 0x05, 0x01, 0x7f, 0x00, 0x41, 0x00);
  /* f64.const cut short */
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xe: global section: unexpected end of data",
             HDR, 0x06, 0x08, 0x01, 0x7c, 0x00, 0x44, 0x00, 0x00, 0x00, 0x0b);
  /* global.get of a defined global */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x13: global section: unknown global 0: constant "
             "expressions may only read imported globals",
             HDR, 0x06, 0x0b, 0x02, 0x7f, 0x00, 0x41, 0x00, 0x0b, 0x7f, 0x00,
             0x23, 0x00, 0x0b);
  /* global.get of an unknown global */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xe: global section: unknown global 0 (0 defined)", HDR,
             0x06, 0x06, 0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b);
  /* global.get of an imported mutable global */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x18: global section: constant expression required: "
             "global.get 0: global is mutable",
             HDR, 0x02, 0x08, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x01,
             0x06, 0x06, 0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b);
  /* global.get of an imported global of the wrong type */
  EXPECT_ERR(BATON_EINVALID,
             "global section: type mismatch: constant expression has type "
             "f32, expected i32",
             HDR, 0x02, 0x08, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7d, 0x00,
             0x06, 0x06, 0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b);
  /* ref.func of an unknown function, ref.null of the wrong type */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xe: global section: unknown function 0 (0 defined)", HDR,
             0x06, 0x06, 0x01, 0x70, 0x00, 0xd2, 0x00, 0x0b);
  EXPECT_ERR(BATON_EINVALID,
             "global section: type mismatch: constant expression has type "
             "externref, expected funcref",
             HDR, 0x06, 0x06, 0x01, 0x70, 0x00, 0xd0, 0x6f, 0x0b);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xd: global section: constant expression required: opcode "
             "0xfd 0xd is not a constant instruction",
             HDR, 0x06, 0x07, 0x01, 0x7b, 0x00, 0xfd, 0x0d, 0x00, 0x0b);
  /* every accepted form */
  bt_wasm_module_t *m;
  EXPECT_OK(m, HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,        /* type */
            0x02, 0x08, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7e, 0x00,
            0x03, 0x02, 0x01, 0x00,                             /* function */
            0x06, 0x47, 0x08,                                   /* 8 globals */
            0x7f, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x0b,
            0x7e, 0x01, 0x42, 0x7f, 0x0b,
            0x7d, 0x00, 0x43, 0x00, 0x00, 0x80, 0x3f, 0x0b,
            0x7c, 0x00, 0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x0b,
            0x70, 0x00, 0xd2, 0x00, 0x0b,
            0x6f, 0x00, 0xd0, 0x6f, 0x0b,
            0x7e, 0x00, 0x23, 0x00, 0x0b,
            0x7b, 0x00, 0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0x0b,
            0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);                /* code */
  ASSERT_EQ(m->nglobals, 8);
  ASSERT_EQ(m->globals[7].valtype, BT_WASM_V128);
  bt_wasm_module_free(m);
}

/* ---- exports and start ---- */

TEST(exports) {
#define ONE_FUNC HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00
#define ONE_BODY 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x1b: export section: duplicate export name \"add\"",
             ONE_FUNC, 0x07, 0x0d, 0x02, 0x03, 'a', 'd', 'd', 0x00, 0x00, 0x03,
             'a', 'd', 'd', 0x00, 0x00, ONE_BODY);
  /* the first duplicate in file order is reported, whatever the kinds */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x1d: export section: duplicate export name \"b\"",
             ONE_FUNC, 0x07, 0x11, 0x04, 0x01, 'c', 0x00, 0x00, 0x01, 'b',
             0x00, 0x00, 0x01, 'b', 0x00, 0x00, 0x01, 'c', 0x00, 0x00,
             ONE_BODY);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x18: export section: export \"f\": unknown function 5 (1 "
             "defined)",
             ONE_FUNC, 0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x05, ONE_BODY);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0xe: export section: export \"m\": unknown memory 0 (0 "
             "defined)",
             HDR, 0x07, 0x05, 0x01, 0x01, 'm', 0x02, 0x00);
  EXPECT_ERR(BATON_EINVALID, "export \"t\": unknown table 0", HDR, 0x07, 0x05,
             0x01, 0x01, 't', 0x01, 0x00);
  EXPECT_ERR(BATON_EINVALID, "export \"g\": unknown global 1 (0 defined)", HDR,
             0x07, 0x05, 0x01, 0x01, 'g', 0x03, 0x01);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xd: export section: export \"x\": invalid export kind "
             "0x07",
             HDR, 0x07, 0x05, 0x01, 0x01, 'x', 0x07, 0x00);
  EXPECT_ERR(BATON_EUNSUPPORTED, "export \"x\": tag exports", HDR, 0x07, 0x05,
             0x01, 0x01, 'x', 0x04, 0x00);
  /* control characters and quotes in names are escaped in messages */
  EXPECT_ERR(BATON_EINVALID, "duplicate export name \"a\\\"\\x0a\"", ONE_FUNC,
             0x07, 0x0d, 0x02, 0x03, 'a', '"', '\n', 0x00, 0x00, 0x03, 'a', '"',
             '\n', 0x00, 0x00, ONE_BODY);
  /* an imported function is function 0 */
  bt_wasm_module_t *m;
  EXPECT_OK(m, HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x07, 0x01,
            0x01, 'm', 0x01, 'f', 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07,
            0x09, 0x02, 0x01, 'i', 0x00, 0x00, 0x01, 'd', 0x00, 0x01,
            ONE_BODY);
  ASSERT_EQ(bt_wasm_find_export(m, "i")->index, 0);
  ASSERT_EQ(bt_wasm_find_export(m, "d")->index, 1);
  ASSERT_STREQ(sig(m, 0), "() -> ()");
  ASSERT_STREQ(sig(m, 1), "() -> ()");
  bt_wasm_module_free(m);
#undef ONE_FUNC
#undef ONE_BODY
}

TEST(start) {
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x15: start section: start function 0 must have type () "
             "-> (), has (i32) -> ()",
             HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, 0x03, 0x02, 0x01,
             0x00, 0x08, 0x01, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
  EXPECT_ERR(BATON_EINVALID, "start function 0 must have type () -> (), has () "
             "-> i32",
             HDR, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01,
             0x00, 0x08, 0x01, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x14: start section: unknown function 1 (1 defined)", HDR,
             0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x08,
             0x01, 0x01, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
  EXPECT_ERR(BATON_EINVALID, "start section: unknown function 0 (0 defined)",
             HDR, 0x08, 0x01, 0x00);
  /* start may name an imported function */
  bt_wasm_module_t *m;
  EXPECT_OK(m, HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x07, 0x01,
            0x01, 'm', 0x01, 'f', 0x00, 0x00, 0x08, 0x01, 0x00);
  ASSERT_TRUE(m->has_start);
  ASSERT_EQ(m->start, 0);
  bt_wasm_module_free(m);
}

/* ---- segments ---- */

/* type, one function, a funcref table with min 1 and an externref table,
 * ending at offset 0x1b. */
#define SEG_PRELUDE                                                       \
  HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x04, \
      0x07, 0x02, 0x70, 0x00, 0x01, 0x6f, 0x00, 0x01
#define SEG_BODY 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b

TEST(element_segments) {
  bt_wasm_module_t *m;
  EXPECT_OK(m, SEG_PRELUDE, 0x09, 0x38, 0x09,
            0x00, 0x41, 0x00, 0x0b, 0x01, 0x00,             /* 0 */
            0x01, 0x00, 0x01, 0x00,                         /* 1 */
            0x02, 0x00, 0x41, 0x00, 0x0b, 0x00, 0x01, 0x00, /* 2 */
            0x03, 0x00, 0x01, 0x00,                         /* 3 */
            0x04, 0x41, 0x00, 0x0b, 0x01, 0xd2, 0x00, 0x0b, /* 4 */
            0x05, 0x70, 0x01, 0xd0, 0x70, 0x0b,             /* 5 */
            0x06, 0x01, 0x41, 0x00, 0x0b, 0x6f, 0x01, 0xd0, 0x6f, 0x0b, /* 6 */
            0x07, 0x70, 0x01, 0xd2, 0x00, 0x0b,             /* 7 */
            0x05, 0x6f, 0x00,                               /* empty */
            SEG_BODY);
  ASSERT_EQ(m->nelems, 9);
  static const uint32_t mode[] = {0, 1, 0, 2, 0, 1, 0, 2, 1};
  static const uint32_t table[] = {0, 0, 0, 0, 0, 0, 1, 0, 0};
  for (int i = 0; i < 9; i++) {
    ASSERT_EQ(m->elems[i].passive_or_active, mode[i]);
    ASSERT_EQ(m->elems[i].memory_or_table, table[i]);
  }
  ASSERT_EQ(m->elems[0].offset, 0x1e);
  ASSERT_EQ(m->elems[1].offset, 0x24);
  bt_wasm_module_free(m);

  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x1e: element section: element segment 0: invalid flags "
             "8",
             SEG_PRELUDE, 0x09, 0x04, 0x01, 0x08, 0x00, 0x00, SEG_BODY);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x1f: element section: element segment 0: invalid element "
             "kind 0x01",
             SEG_PRELUDE, 0x09, 0x04, 0x01, 0x01, 0x01, 0x00, SEG_BODY);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x23: element section: unknown function 1 (1 defined)",
             SEG_PRELUDE, 0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x01,
             SEG_BODY);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x1f: element section: unknown table 2 (2 defined)",
             SEG_PRELUDE, 0x09, 0x08, 0x01, 0x02, 0x02, 0x41, 0x00, 0x0b, 0x00,
             0x00, SEG_BODY);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x1e: element section: element segment 0: type mismatch: "
             "funcref segment for table 1 of externref",
             SEG_PRELUDE, 0x09, 0x08, 0x01, 0x02, 0x01, 0x41, 0x00, 0x0b, 0x00,
             0x00, SEG_BODY);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x1f: element section: type mismatch: constant expression "
             "has type i64, expected i32",
             SEG_PRELUDE, 0x09, 0x06, 0x01, 0x00, 0x42, 0x00, 0x0b, 0x00,
             SEG_BODY);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x21: element section: type mismatch: constant expression "
             "has type funcref, expected externref",
             SEG_PRELUDE, 0x09, 0x07, 0x01, 0x05, 0x6f, 0x01, 0xd2, 0x00, 0x0b,
             SEG_BODY);
  EXPECT_ERR(BATON_EINVALID, "element section: unknown table 0 (0 defined)",
             HDR, 0x09, 0x06, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x20: element section: unexpected end of data (1000 "
             "elements cannot fit",
             SEG_PRELUDE, 0x09, 0x05, 0x01, 0x01, 0x00, 0xe8, 0x07, SEG_BODY);
}

TEST(data_segments) {
  bt_wasm_module_t *m;
  /* forms 0, 1, 2 (explicit memory 0) */
  EXPECT_OK(m, HDR, 0x05, 0x03, 0x01, 0x00, 0x01,             /* memory */
            0x0c, 0x01, 0x03,                                 /* datacount */
            0x0b, 0x12, 0x03,                                 /* data */
            0x00, 0x41, 0x10, 0x0b, 0x02, 'h', 'i',
            0x01, 0x01, 'p',
            0x02, 0x00, 0x41, 0x08, 0x0b, 0x01, 'x');
  ASSERT_EQ(m->ndatas, 3);
  ASSERT_EQ(m->datas[0].passive_or_active, 0);
  ASSERT_EQ(m->datas[1].passive_or_active, 1);
  ASSERT_EQ(m->datas[2].passive_or_active, 0);
  ASSERT_EQ(m->datas[2].memory_or_table, 0);
  ASSERT_EQ(m->datas[0].offset, 0x13);
  bt_wasm_module_free(m);

  /* data count 2, one segment */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xd: data section: data count and data section have "
             "inconsistent lengths (data count 2, 1 segments)",
             HDR, 0x0c, 0x01, 0x02, 0x0b, 0x03, 0x01, 0x01, 0x00);
  /* data count 1 without a data section */
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0xb: data section: data count and data section have "
             "inconsistent lengths (data count 1, no data section)",
             HDR, 0x0c, 0x01, 0x01);
  EXPECT_ERR(BATON_EINVALID, "offset 0xc: data section: unknown memory 0 (0 "
             "defined)",
             HDR, 0x0b, 0x06, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x00);
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x11: data section: unknown memory 1 (1 defined)", HDR,
             0x05, 0x03, 0x01, 0x00, 0x01, 0x0b, 0x07, 0x01, 0x02, 0x01, 0x41,
             0x00, 0x0b, 0x00);
  EXPECT_ERR(BATON_EMALFORMED,
             "offset 0x10: data section: data segment 0: invalid flags 3", HDR,
             0x05, 0x03, 0x01, 0x00, 0x01, 0x0b, 0x03, 0x01, 0x03, 0x00);
  /* 64-bit memory needs an i64 offset */
  EXPECT_ERR(BATON_EINVALID,
             "offset 0x11: data section: type mismatch: constant expression has "
             "type i32, expected i64",
             HDR, 0x05, 0x03, 0x01, 0x04, 0x01, 0x0b, 0x06, 0x01, 0x00, 0x41,
             0x00, 0x0b, 0x00);
  /* payload longer than the section */
  EXPECT_ERR(BATON_EMALFORMED, "offset 0xd: data section: unexpected end of data",
             HDR, 0x0b, 0x06, 0x01, 0x01, 0x07, 'a', 'b', 'c');
}

/* ---- function body validation ---- */

/* Writes a module with one function of type () -> (result) (no result when
 * result is 0) whose body has no locals and the instructions body[0..nb),
 * with whole sections `extra` (ids 4..9 and 12, in order) between the
 * function and code sections and `tail` (a data section) after the code.
 * Stores the file offset of the first instruction in *at; returns the
 * length. */
static size_t func_module(uint8_t *out, uint8_t result, const uint8_t *extra,
                          size_t ne, const uint8_t *tail, size_t nt,
                          const uint8_t *body, size_t nb, size_t *at) {
  static const uint8_t hdr[] = {HDR}, func[] = {0x03, 0x02, 0x01, 0x00};
  const uint8_t type[] = {0x01, result ? 0x05 : 0x04, 0x01, 0x60,
                          0x00, result ? 0x01 : 0x00, result};
  size_t n = 0;
  memcpy(out + n, hdr, sizeof hdr), n += sizeof hdr;
  memcpy(out + n, type, result ? 7 : 6), n += result ? 7 : 6;
  memcpy(out + n, func, sizeof func), n += sizeof func;
  if (ne) memcpy(out + n, extra, ne), n += ne;
  const uint8_t code[] = {0x0a, (uint8_t)(nb + 3), 0x01, (uint8_t)(nb + 1),
                          0x00};
  memcpy(out + n, code, sizeof code), n += sizeof code;
  *at = n;
  memcpy(out + n, body, nb), n += nb;
  if (nt) memcpy(out + n, tail, nt), n += nt;
  return n;
}

/* Builds a func_module and parses it: with sub NULL it must be valid;
 * otherwise it must fail with `code` and a message containing
 * "offset 0x<first instruction + delta>: code section: function 0: <sub>". */
static void check_body_(int line, uint8_t result, const uint8_t *extra,
                        size_t ne, const uint8_t *tail, size_t nt,
                        const uint8_t *body, size_t nb, baton_errno_t code,
                        size_t delta, const char *sub) {
  uint8_t mod[512];
  size_t at;
  if (nb + ne + nt + 32 > sizeof mod || nb + 3 > 127)
    T_FAIL_("line %d: test module too big", line);
  size_t n = func_module(mod, result, extra, ne, tail, nt, body, nb, &at);
  if (!sub) {
    bt_wasm_module_free(expect_ok_(line, mod, n));
    return;
  }
  char want[256];
  snprintf(want, sizeof want, "offset 0x%zx: code section: function 0: %s",
           at + delta, sub);
  expect_err_(line, mod, n, code, want);
}
#define XS(a) a, sizeof a
#define NO NULL, 0
#define BODY_OK(result, extra, tail, ...)                                  \
  do {                                                                     \
    static const uint8_t b_[] = {__VA_ARGS__};                             \
    check_body_(__LINE__, result, extra, tail, b_, sizeof b_, 0, 0, NULL); \
  } while (0)
#define BODY_ERR(code, delta, sub, result, extra, tail, ...)                \
  do {                                                                      \
    static const uint8_t b_[] = {__VA_ARGS__};                              \
    check_body_(__LINE__, result, extra, tail, b_, sizeof b_, code, delta, \
                sub);                                                       \
  } while (0)

#define I32 BT_WASM_I32
#define FUNCREF BT_WASM_FUNCREF

TEST(body_types) {
  /* f64.const 0; i32.const 1; i32.add: the offset is i32.add's */
  BODY_ERR(BATON_EINVALID, 11,
           "type mismatch: i32.add expects i32 but got f64", I32, NO, NO,
           0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x41, 0x01, 0x6a, 0x0b);
  BODY_ERR(BATON_EINVALID, 0, "type mismatch: end expects i32 but got nothing",
           I32, NO, NO, 0x0b);
  BODY_ERR(BATON_EINVALID, 2, "type mismatch: end: 1 value(s) left", 0, NO, NO,
           0x41, 0x00, 0x0b);
  BODY_OK(I32, NO, NO, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b);
  /* unreachable code: operands come from the unknown bottom type, but
   * known ones still have to match */
  BODY_OK(I32, NO, NO, 0x00, 0x6a, 0x0b);
  BODY_ERR(BATON_EINVALID, 3, "type mismatch: i32.add expects i32 but got i64",
           I32, NO, NO, 0x00, 0x42, 0x00, 0x6a, 0x0b);
  /* if without else must leave its parameters ([] here) as results */
  BODY_ERR(BATON_EINVALID, 6, "type mismatch: if without else", 0, NO, NO,
           0x41, 0x01, 0x04, 0x7f, 0x41, 0x01, 0x0b, 0x1a, 0x0b);
  /* select: untyped only on numbers/vectors; typed select on references */
  BODY_ERR(BATON_EINVALID, 6, "type mismatch: select without a type", 0, NO,
           NO, 0xd0, 0x70, 0xd0, 0x70, 0x41, 0x00, 0x1b, 0x1a, 0x0b);
  BODY_OK(0, NO, NO, 0xd0, 0x70, 0xd0, 0x70, 0x41, 0x00, 0x1c, 0x01, 0x70,
          0x1a, 0x0b);
}

TEST(body_control) {
  /* br 2 inside one block: only labels 0 and 1 exist */
  BODY_ERR(BATON_EINVALID, 2, "unknown label 2", 0, NO, NO, 0x02, 0x40, 0x0c,
           0x02, 0x0b, 0x0b);
  /* br 1 from a block to the function label carries the i32 result */
  BODY_OK(I32, NO, NO, 0x02, 0x40, 0x41, 0x01, 0x0c, 0x01, 0x0b, 0x00, 0x0b);
  /* br_table: every label must carry as many values as the default */
  BODY_ERR(BATON_EINVALID, 6, "type mismatch: br_table labels carry", 0, NO,
           NO, 0x02, 0x7f, 0x41, 0x00, 0x41, 0x00, 0x0e, 0x01, 0x00, 0x01,
           0x0b, 0x1a, 0x0b);
  BODY_OK(0, NO, NO, 0x02, 0x7f, 0x41, 0x00, 0x41, 0x00, 0x0e, 0x01, 0x00,
          0x00, 0x0b, 0x1a, 0x0b);
  /* the function's own end is missing (the body's last byte closes the
   * block) */
  BODY_ERR(BATON_EMALFORMED, 3,
           "unexpected end of section or function (END opcode expected)", 0,
           NO, NO, 0x02, 0x40,
           0x0b);
  /* tail calls are a proposal baton does not run */
  BODY_ERR(BATON_EUNSUPPORTED, 0, "return_call (opcode 0x12)", 0, NO, NO,
           0x12, 0x00, 0x0b);
  /* a decoding error later in the code wins over an earlier type error,
   * as in the spec (decoding precedes validation) */
  BODY_ERR(BATON_EMALFORMED, 1, "illegal opcode 0xff", 0, NO, NO, 0x6a, 0xff,
           0x0b);
}

TEST(body_references) {
  static const uint8_t export_f[] = {0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00};
  static const uint8_t elem_declare[] = {0x09, 0x05, 0x01, 0x03,
                                         0x00, 0x01, 0x00};
  static const uint8_t global_ref[] = {0x06, 0x06, 0x01, 0x70,
                                       0x00, 0xd2, 0x00, 0x0b};
  static const uint8_t extern_table[] = {0x04, 0x04, 0x01, 0x6f, 0x00, 0x00};
  /* ref.func needs the function declared: in an element segment, an export
   * or a global initializer */
  BODY_ERR(BATON_EINVALID, 0, "undeclared function reference: ref.func 0",
           FUNCREF, NO, NO, 0xd2, 0x00, 0x0b);
  BODY_OK(FUNCREF, XS(export_f), NO, 0xd2, 0x00, 0x0b);
  BODY_OK(FUNCREF, XS(elem_declare), NO, 0xd2, 0x00, 0x0b);
  BODY_OK(FUNCREF, XS(global_ref), NO, 0xd2, 0x00, 0x0b);
  /* call_indirect needs a funcref table */
  BODY_ERR(BATON_EINVALID, 2,
           "type mismatch: call_indirect on table 0 of externref", 0,
           XS(extern_table), NO, 0x41, 0x00, 0x11, 0x00, 0x00, 0x0b);
  /* locals and globals */
  BODY_ERR(BATON_EINVALID, 0, "unknown local 0 (0 defined)", 0, NO, NO, 0x20,
           0x00, 0x1a, 0x0b);
  static const uint8_t const_global[] = {0x06, 0x06, 0x01, 0x7f,
                                         0x00, 0x41, 0x00, 0x0b};
  BODY_ERR(BATON_EINVALID, 2, "global is immutable", 0, XS(const_global), NO,
           0x41, 0x01, 0x24, 0x00, 0x0b);
  BODY_OK(I32, XS(const_global), NO, 0x23, 0x00, 0x0b);
}

TEST(body_memory_and_simd) {
  static const uint8_t memory[] = {0x05, 0x03, 0x01, 0x00, 0x01};
  static const uint8_t memory_dc1[] = {0x05, 0x03, 0x01, 0x00, 0x01,
                                       0x0c, 0x01, 0x01};
  static const uint8_t memory_dc0[] = {0x05, 0x03, 0x01, 0x00, 0x01,
                                       0x0c, 0x01, 0x00};
  static const uint8_t passive_data[] = {0x0b, 0x04, 0x01, 0x01, 0x01, 'x'};
  /* the offset is the memarg's */
  BODY_ERR(BATON_EINVALID, 3,
           "alignment must not be larger than natural (i32.load: 2^3 > 4 "
           "bytes)",
           0, XS(memory), NO, 0x41, 0x00, 0x28, 0x03, 0x00, 0x1a, 0x0b);
  BODY_OK(0, XS(memory), NO, 0x41, 0x00, 0x28, 0x02, 0x00, 0x1a, 0x0b);
  BODY_ERR(BATON_EINVALID, 2, "unknown memory 0", 0, NO, NO, 0x41, 0x00, 0x28,
           0x02, 0x00, 0x1a, 0x0b);
  /* memory.init needs the data count section (malformed without it) */
  BODY_ERR(BATON_EMALFORMED, 6, "data count section required", 0, XS(memory),
           XS(passive_data), 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08,
           0x00, 0x00, 0x0b);
  BODY_OK(0, XS(memory_dc1), XS(passive_data), 0x41, 0x00, 0x41, 0x00, 0x41,
          0x00, 0xfc, 0x08, 0x00, 0x00, 0x0b);
  BODY_ERR(BATON_EINVALID, 0, "unknown data segment 0 (0 defined)", 0,
           XS(memory_dc0), NO, 0xfc, 0x09, 0x00, 0x0b);
  /* SIMD: lane indices below the lane count (i8x16: 16) */
  BODY_ERR(BATON_EINVALID, 20,
           "invalid lane index 16 (i8x16.extract_lane_s has 16 lanes)", I32,
           NO, NO, 0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           0xfd, 0x15, 0x10, 0x0b);
  BODY_OK(I32, NO, NO, 0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
          0, 0, 0xfd, 0x15, 0x0f, 0x0b);
  BODY_ERR(BATON_EINVALID, 2,
           "type mismatch: i8x16.extract_lane_s expects v128 but got i32", I32,
           NO, NO, 0x41, 0x00, 0xfd, 0x15, 0x00, 0x0b);
}

TEST(extended_const) {
  /* i32.add, i32.mul in a global; i64.sub in a global; i32.sub in a data
   * offset; i32.add in an element offset (the function's body is valid) */
  static const uint8_t globals[] = {
      0x06, 0x14, 0x02,
      0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x41, 0x03, 0x6c, 0x6a, 0x0b,
      0x7e, 0x00, 0x42, 0x05, 0x42, 0x02, 0x7d, 0x0b};
  BODY_OK(0, XS(globals), NO, 0x0b);
  static const uint8_t memory[] = {0x05, 0x03, 0x01, 0x00, 0x01};
  static const uint8_t data[] = {0x0b, 0x0a, 0x01, 0x00, 0x41, 0x10,
                                 0x41, 0x04, 0x6b, 0x0b, 0x01, 'x'};
  BODY_OK(0, XS(memory), XS(data), 0x0b);
  static const uint8_t table_elem[] = {0x04, 0x04, 0x01, 0x70, 0x00, 0x01,
                                       0x09, 0x0a, 0x01, 0x00, 0x41, 0x00,
                                       0x41, 0x01, 0x6a, 0x0b, 0x01, 0x00};
  BODY_OK(0, XS(table_elem), NO, 0x0b);
  /* the element's function is declared for ref.func too */
  BODY_OK(FUNCREF, XS(table_elem), NO, 0xd2, 0x00, 0x0b);
}

#undef I32
#undef FUNCREF

/* ---- helpers ---- */

TEST(type_strings) {
  uint8_t p[] = {BT_WASM_I32, BT_WASM_I64, BT_WASM_F32, BT_WASM_F64,
                 BT_WASM_V128, BT_WASM_FUNCREF, BT_WASM_EXTERNREF};
  uint8_t r[] = {BT_WASM_F64, BT_WASM_I32};
  bt_wasm_functype_t t = {7, 2, p, r};
  char buf[128];
  bt_wasm_functype_str(&t, buf, sizeof buf);
  ASSERT_STREQ(buf,
               "(i32, i64, f32, f64, v128, funcref, externref) -> (f64, i32)");
  t.nresults = 1;
  bt_wasm_functype_str(&t, buf, sizeof buf);
  ASSERT_CONTAINS(buf, ") -> f64");
  t.nparams = 0;
  t.nresults = 0;
  bt_wasm_functype_str(&t, buf, sizeof buf);
  ASSERT_STREQ(buf, "() -> ()");
  /* truncation always terminates */
  t.nparams = 2;
  memset(buf, 'x', sizeof buf);
  bt_wasm_functype_str(&t, buf, 6);
  ASSERT_STREQ(buf, "(i32,");
  ASSERT_EQ(buf[6], 'x');
  bt_wasm_functype_str(&t, buf, 1);
  ASSERT_STREQ(buf, "");
  bt_wasm_functype_str(&t, buf, 0); /* no write at all */
  ASSERT_STREQ(bt_wasm_valtype_name(BT_WASM_V128), "v128");
  ASSERT_STREQ(bt_wasm_valtype_name(BT_WASM_EXTERNREF), "externref");
  ASSERT_STREQ(bt_wasm_valtype_name(0x40), "unknown");
  ASSERT_NULL(bt_wasm_func_type(NULL, 0));
  ASSERT_NULL(bt_wasm_find_export(NULL, "x"));
  ASSERT_NULL(bt_wasm_find_custom(NULL, "x"));
  bt_wasm_module_free(NULL);
}

/* ---- allocation failure ---- */

/* Fails allocation n = 0, 1, ... while parsing b until a parse succeeds;
 * every failed parse must report out of memory (the input is valid) and,
 * under ASan, leak nothing. Returns the number of allocations needed. */
static long alloc_fail_loop(const uint8_t *b, size_t len) {
  for (long n = 0; n < 100000; n++) {
    bt_wasm_module_t *m = NULL;
    bt_alloc_fail_after(n);
    baton_error_t *e = bt_wasm_parse(b, len, &m);
    long failed = bt_alloc_fail_after(-1);
    if (!e) {
      ASSERT_NOT_NULL(m);
      ASSERT_EQ(failed, 0);
      bt_wasm_module_free(m);
      return n;
    }
    baton_errno_t code = baton_error_code(e);
    baton_error_delete(e);
    ASSERT_NULL(m);
    ASSERT_EQ(code, BATON_ENO_MEMORY);
    ASSERT_TRUE(failed > 0);
  }
  T_FAIL_("parse never succeeded");
}

TEST(alloc_failures) {
  size_t len;
  uint8_t *b = all_with_customs(&len);
  long n = alloc_fail_loop(b, len);
  fprintf(stderr, "  reader_all+customs: %ld allocations\n", n);
  ASSERT_TRUE(n > 20);
  free(b);
  /* many custom sections exercise the array growth path */
  uint8_t many[8 + 40 * 3];
  memcpy(many, (const uint8_t[]){HDR}, 8);
  for (int i = 0; i < 40; i++) {
    many[8 + 3 * i] = 0x00;
    many[8 + 3 * i + 1] = 0x01;
    many[8 + 3 * i + 2] = 0x00;
  }
  n = alloc_fail_loop(many, sizeof many);
  ASSERT_TRUE(n > 40);
  /* an error found after allocations still frees them */
  static const uint8_t bad[] = {HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7f,
                                0x00, 0x02, 0x07, 0x01, 0x01, 'm', 0x01,
                                'f', 0x00, 0x07};
  for (long k = 0; k < 20; k++) {
    bt_wasm_module_t *m = NULL;
    bt_alloc_fail_after(k);
    baton_error_t *e = bt_wasm_parse(bad, sizeof bad, &m);
    bt_alloc_fail_after(-1);
    ASSERT_NOT_NULL(e);
    ASSERT_NULL(m);
    ASSERT_TRUE(baton_error_code(e) == BATON_ENO_MEMORY ||
                baton_error_code(e) == BATON_EINVALID);
    baton_error_delete(e);
  }
}

int main(void) {
  RUN(all_sections);
  RUN(custom_sections);
  RUN(minimal_modules);
  RUN(guest_directory);
  RUN(truncation_every_prefix);
  RUN(bad_header);
  RUN(section_framing);
  RUN(leb128);
  RUN(utf8_names);
  RUN(types_and_imports);
  RUN(function_code_mismatch);
  RUN(code_bodies);
  RUN(limits);
  RUN(const_exprs);
  RUN(exports);
  RUN(start);
  RUN(element_segments);
  RUN(data_segments);
  RUN(body_types);
  RUN(body_control);
  RUN(body_references);
  RUN(body_memory_and_simd);
  RUN(extended_const);
  RUN(type_strings);
  RUN(alloc_failures);
  TEST_MAIN_END();
}
