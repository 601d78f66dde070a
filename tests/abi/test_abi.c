/*
 * tests/abi/test_abi.c: the Canonical ABI (src/abi) without instances.
 *
 * Layout: sizes, alignments, payload offsets, flattenings and core
 * signatures of a set of types and functions, each checked against numbers
 * worked out by hand from CanonicalABI.md. Lift/lower on a plain buffer
 * with a bump allocator: round trips of every type kind in memory and flat,
 * the variant join coercions, exact bytes of strings in all three
 * encodings, transcoding between them (and the spec's allocation pattern),
 * and validation failures with their exact messages and paths. Calls on
 * real guests are in test_abi_calls.c.
 */
#include "test.h"

#include "abi_fixture.h"

/* ---- layout ---- */

static void check_layout(const char *name, uint32_t size, uint32_t align, const char *flat) {
  const bt_wit_type_t *t = T(name);
  bt_abi_layout_t l = bt_abi_layout(t);
  baton_valkind_t k[BT_ABI_FLAT_CAP];
  size_t n = 0;
  bt_abi_flatten(t, k, BT_ABI_FLAT_CAP, &n);
  char got[256] = "";
  for (size_t i = 0; i < n; i++) {
    strcat(got, i ? " " : "");
    strcat(got, baton_valkind_name(k[i]));
  }
  if (l.size != size || l.align != align || strcmp(got, flat) != 0)
    T_FAIL_("%s: size %u align %u flat [%s], expected %u %u [%s]", name, l.size, l.align, got, size,
            align, flat);
}

TEST(layout_types) {
  check_layout("t-bool", 1, 1, "i32");
  check_layout("t-char", 4, 4, "i32");
  check_layout("t-string", 8, 4, "i32 i32");
  check_layout("point", 8, 4, "i32 i32");
  check_layout("r1", 12, 4, "i32 i32 i32");     /* a@0 b@4 c@8, padded to 12 */
  check_layout("r2", 16, 8, "i32 i64");         /* a@0 b@8 */
  check_layout("r3", 4, 2, "i32 i32 i32");      /* a@0 b@1 c@2 */
  check_layout("t-tuple", 12, 4, "i32 i32 i32"); /* u8@0 string@4 */
  check_layout("v1", 8, 4, "i32 i32");          /* disc@0, payload@4 */
  check_layout("v2", 8, 4, "i32 i32");          /* f32 join u32 = i32 */
  check_layout("v3", 16, 8, "i32 i64");         /* payload@8; f32 join u64 = i64 */
  check_layout("v4", 16, 8, "i32 i64");         /* f64 join f32 = i64 */
  check_layout("v5", 16, 8, "i32 i64 i32");     /* (f32|u32|u64) (u32|f32) */
  check_layout("v6", 16, 8, "i32 i64 i32");     /* (ptr|f64) len */
  check_layout("shape", 16, 8, "i32 i64 i32");
  check_layout("e2", 1, 1, "i32");
  check_layout("color", 1, 1, "i32");
  check_layout("f8", 1, 1, "i32");
  check_layout("f9", 2, 2, "i32");
  check_layout("f17", 4, 4, "i32");
  check_layout("t-opt-u8", 2, 1, "i32 i32");
  check_layout("t-opt-u64", 16, 8, "i32 i64");
  check_layout("t-res", 1, 1, "i32");
  check_layout("t-res-u8-str", 12, 4, "i32 i32 i32");
  check_layout("t-res-err", 8, 4, "i32 i32");
  check_layout("t-list-u8", 8, 4, "i32 i32");
  check_layout("t-own", 4, 4, "i32");
  check_layout("person", 32, 4, "i32 i32 i32 i32 i32 i32 i32 i32");
  check_layout("prims", 56, 8, "i32 i32 i32 i32 i32 i32 i32 i64 i64 f32 f64 i32");
  /* n { a: option<r2> @0 (24 bytes), b: list<v3> @24, c: char @32 } -> 40 */
  check_layout("n", 40, 8, "i32 i32 i64 i32 i32 i32");
  ASSERT_EQ(bt_abi_payload_offset(T("v1")), 4);
  ASSERT_EQ(bt_abi_payload_offset(T("v3")), 8);
  ASSERT_EQ(bt_abi_payload_offset(T("t-opt-u8")), 1);
  ASSERT_EQ(bt_abi_payload_offset(T("shape")), 8);
  ASSERT_EQ(bt_abi_disc_size(2), 1);
  ASSERT_EQ(bt_abi_disc_size(256), 1);
  ASSERT_EQ(bt_abi_disc_size(257), 2);
  ASSERT_EQ(bt_abi_disc_size(65536), 2);
  ASSERT_EQ(bt_abi_disc_size(65537), 4);
  ASSERT_EQ(bt_abi_flags_size(16), 2);
  ASSERT_EQ(bt_abi_flags_size(32), 4);
  ASSERT_EQ(bt_abi_flat_count(T("nested")), 2);
  ASSERT_TRUE(bt_abi_is_plain(T("r3")));
  ASSERT_TRUE(bt_abi_is_plain(T("point")));
  ASSERT_TRUE(bt_abi_is_plain(T("t-tuple-u32")));
  ASSERT_FALSE(bt_abi_is_plain(T("r1")));            /* padding */
  ASSERT_FALSE(bt_abi_is_plain(T("t-tuple-u8-u32"))); /* padding */
  ASSERT_FALSE(bt_abi_is_plain(T("t-char")));        /* needs validation */
  ASSERT_FALSE(bt_abi_is_plain(T("t-bool")));
}

TEST(layout_big_enum) {
  /* 257 cases need a 2-byte discriminant. */
  bt_strbuf_t b = BT_STRBUF_INIT;
  bt_strbuf_puts(&b, "package t:e;\ninterface i {\n  enum big {");
  for (int i = 0; i < 257; i++) bt_strbuf_printf(&b, "%sc%d", i ? ", " : " ", i);
  bt_strbuf_puts(&b, " }\n  variant bv { a(u8), ");
  for (int i = 0; i < 300; i++) bt_strbuf_printf(&b, "%sd%d", i ? ", " : "", i);
  bt_strbuf_puts(&b, " }\n}\n");
  bt_wit_resolve_t *r = NULL;
  ASSERT_OK(bt_wit_parse_string("big.wit", bt_strbuf_cstr(&b), &r));
  bt_strbuf_free(&b);
  const bt_wit_type_t *big = bt_wit_interface_type(r->main->interfaces[0], "big");
  const bt_wit_type_t *bv = bt_wit_interface_type(r->main->interfaces[0], "bv");
  bt_abi_layout_t l = bt_abi_layout(big);
  bt_abi_layout_t l2 = bt_abi_layout(bv);
  size_t off = bt_abi_payload_offset(bv);
  bt_wit_free(r);
  ASSERT_EQ(l.size, 2);
  ASSERT_EQ(l.align, 2);
  ASSERT_EQ(l2.size, 4); /* u16 disc, u8 payload at 2, padded to 4 */
  ASSERT_EQ(l2.align, 2);
  ASSERT_EQ(off, 2);
}

TEST(layout_signatures) {
  bt_abi_sig_t s;
  char buf[256];
  bt_abi_signature(F(NULL, "echo-string"), BT_ABI_LIFT, &s);
  ASSERT_STREQ(bt_abi_core_type_str(s.params, s.nparams, s.results, s.nresults, buf, sizeof buf),
               "(i32, i32) -> i32");
  ASSERT_TRUE(s.spill_results);
  bt_abi_signature(F(NULL, "echo-string"), BT_ABI_LOWER, &s);
  ASSERT_STREQ(bt_abi_core_type_str(s.params, s.nparams, s.results, s.nresults, buf, sizeof buf),
               "(i32, i32, i32) -> ()");
  ASSERT_TRUE(s.has_retptr);
  bt_abi_signature(F("api", "sum16"), BT_ABI_LIFT, &s);
  ASSERT_EQ(s.nparams, 16);
  ASSERT_FALSE(s.spill_params);
  ASSERT_STREQ(bt_abi_core_type_str(s.results, s.nresults, NULL, 0, buf, sizeof buf), "(i64) -> ()");
  bt_abi_signature(F("api", "sum17"), BT_ABI_LIFT, &s);
  ASSERT_TRUE(s.spill_params);
  ASSERT_EQ(s.flat_params, 17);
  ASSERT_EQ(s.params_size, 68);
  ASSERT_EQ(s.params_align, 4);
  ASSERT_STREQ(bt_abi_core_type_str(s.params, s.nparams, s.results, s.nresults, buf, sizeof buf),
               "(i32) -> i64");
  bt_abi_signature(F("api", "join-strings"), BT_ABI_LOWER, &s);
  ASSERT_STREQ(bt_abi_core_type_str(s.params, s.nparams, s.results, s.nresults, buf, sizeof buf),
               "(i32, i32) -> ()");
  bt_abi_signature(F("api", "echo-shape"), BT_ABI_LIFT, &s);
  ASSERT_STREQ(bt_abi_core_type_str(s.params, s.nparams, s.results, s.nresults, buf, sizeof buf),
               "(i32, i64, i32) -> i32");
  ASSERT_EQ(s.result_size, 16);
  bt_abi_signature(F("api", "echo-prims"), BT_ABI_LOWER, &s);
  ASSERT_STREQ(bt_abi_core_type_str(s.params, s.nparams, s.results, s.nresults, buf, sizeof buf),
               "(i32, i32, i32, i32, i32, i32, i32, i64, i64, f32, f64, i32, i32) -> ()");
  bt_abi_signature(F(NULL, "set-realloc-mode"), BT_ABI_LIFT, &s);
  ASSERT_STREQ(bt_abi_core_type_str(s.params, s.nparams, s.results, s.nresults, buf, sizeof buf),
               "(i32) -> ()");
  ASSERT_STREQ(bt_abi_func_str(F("api", "make-result"), buf, sizeof buf),
               "func(ok: bool) -> result<person, string>");
  ASSERT_STREQ(bt_abi_func_str(F("api", "echo-tuple"), buf, sizeof buf),
               "func(t: tuple<u8, s16, f64, char>) -> tuple<u8, s16, f64, char>");
}

TEST(layout_names) {
  char buf[256];
  const bt_wit_world_item_t *it = bt_wit_world_export(g_types_world, "echo-string");
  ASSERT_NOT_NULL(it);
  bt_abi_export_name(it, it->function, buf, sizeof buf);
  ASSERT_STREQ(buf, "echo-string");
  it = bt_wit_world_export(g_types_world, "test:abi/api");
  ASSERT_NOT_NULL(it);
  bt_abi_export_name(it, F("api", "sum17"), buf, sizeof buf);
  ASSERT_STREQ(buf, "test:abi/api#sum17");
  bt_abi_import_module(bt_wit_world_import(g_host_world, "greet"), buf, sizeof buf);
  ASSERT_STREQ(buf, "$root");
  bt_abi_import_module(bt_wit_world_import(g_host_world, "test:abi/host"), buf, sizeof buf);
  ASSERT_STREQ(buf, "test:abi/host");
  bt_abi_post_return_name("test:abi/api#sum17", buf, sizeof buf);
  ASSERT_STREQ(buf, "cabi_post_test:abi/api#sum17");
  ASSERT_EQ(bt_abi_export_name(it, F("api", "sum17"), buf, 4), 18); /* truncation reported */
}

/* ---- lift/lower on a plain buffer ---- */

/* Stores v of type t in the buffer, loads it back, lowers it flat and lifts
 * it back, and checks both copies print as `expect`. */
static void roundtrip(const char *type, const char *text, const char *expect) {
  const bt_wit_type_t *t = T(type);
  bt_abi_status_t st;
  bt_abi_cx_t cx;
  bump_t b;
  buf_cx(&cx, &st, &b, BT_ABI_UTF8);
  baton_value_t v = V(t, text), out, out2;
  bt_abi_layout_t l = bt_abi_layout(t);
  uint32_t p;
  if (!bt_abi_realloc(&cx, 0, 0, l.align, l.size, &p) || !bt_abi_store(&cx, p, t, &v) ||
      !bt_abi_load(&cx, p, t, &out))
    T_FAIL_("%s: %s", text, fail_msg(&st));
  ASSERT_STREQ(W(t, &out), expect);
  ASSERT_TRUE(baton_value_equal(&out, &v) || strcmp(expect, text) != 0);
  baton_val_t flat[BT_ABI_FLAT_CAP];
  size_t n = 0, pos = 0;
  if (bt_abi_flat_count(t) <= BT_ABI_MAX_FLAT_PARAMS) {
    if (!bt_abi_lower_flat(&cx, t, &v, flat, BT_ABI_FLAT_CAP, &n) ||
        !bt_abi_lift_flat(&cx, t, flat, n, &pos, &out2))
      T_FAIL_("%s flat: %s", text, fail_msg(&st));
    ASSERT_EQ(n, bt_abi_flat_count(t));
    ASSERT_EQ(pos, n);
    ASSERT_STREQ(W(t, &out2), expect);
    baton_value_clear(&out2);
  }
  baton_value_clear(&out);
  baton_value_clear(&v);
}

TEST(buffer_roundtrips) {
  roundtrip("person", "{name: \"Ann\", age: 30, tags: [\"a\", \"\", \"ccc\"], home: some({x: -1, y: 2})}",
            "{name: \"Ann\", age: 30, tags: [\"a\", \"\", \"ccc\"], home: some({x: -1, y: 2})}");
  roundtrip("person", "{name: \"\", age: 255, tags: [], home: none}",
            "{name: \"\", age: 255, tags: []}"); /* WAVE omits none fields */
  roundtrip("shape", "circle(1.5)", "circle(1.5)");
  roundtrip("shape", "rect({x: 3, y: -4})", "rect({x: 3, y: -4})");
  roundtrip("shape", "%none", "%none");
  roundtrip("shape", "named(\"h\\u{e9}llo \\u{1f600}\")", "named(\"h\xc3\xa9llo \xf0\x9f\x98\x80\")");
  roundtrip("shape", "big(18446744073709551615)", "big(18446744073709551615)");
  roundtrip("prims",
            "{b: true, a: -128, c: 255, d: -32768, e: 65535, f: -2147483648, g: 4294967295, "
            "h: -9223372036854775808, i: 18446744073709551615, j: -0.5, k: 1e300, l: '\\u{10ffff}'}",
            "{b: true, a: -128, c: 255, d: -32768, e: 65535, f: -2147483648, g: 4294967295, "
            "h: -9223372036854775808, i: 18446744073709551615, j: -0.5, k: 1e+300, l: '\\u{10ffff}'}");
  roundtrip("nested", "[some(ok((\"x\", [1, 65535]))), none, some(err(named(\"q\"))), some(err(big(7)))]",
            "[some(ok((\"x\", [1, 65535]))), none, some(err(named(\"q\"))), some(err(big(7)))]");
  roundtrip("perms", "{read, exec}", "{read, exec}");
  roundtrip("f17", "{a, q}", "{a, q}");
  roundtrip("v5", "a((0.25, 7))", "a((0.25, 7))");
  roundtrip("v5", "b((7, -0.25))", "b((7, -0.25))");
  roundtrip("v6", "b(-2.5)", "b(-2.5)");
  roundtrip("v6", "a(\"s\")", "a(\"s\")");
  roundtrip("n", "{a: some({a: 1, b: 2}), b: [a(1.5), b(9)], c: 'z'}",
            "{a: some({a: 1, b: 2}), b: [a(1.5), b(9)], c: 'z'}");
  roundtrip("t-res-u8-str", "err(\"e\")", "err(\"e\")");
  roundtrip("t-res-err", "ok", "ok");
  roundtrip("t-list-char", "['a', '\\u{e9}', '\\u{1f600}']", "['a', '\xc3\xa9', '\xf0\x9f\x98\x80']");
  roundtrip("t-own", "blob(7)", "blob(7)");
}

TEST(buffer_flat_variant_coercion) {
  bt_abi_status_t st;
  bt_abi_cx_t cx;
  bump_t b;
  buf_cx(&cx, &st, &b, BT_ABI_UTF8);
  const bt_wit_type_t *t = T("shape");
  baton_val_t f[4];
  size_t n = 0;
  baton_value_t v = V(t, "circle(1.5)");
  ASSERT_TRUE(bt_abi_lower_flat(&cx, t, &v, f, 4, &n));
  ASSERT_EQ(n, 3);
  ASSERT_EQ(f[0].kind, BATON_I32);
  ASSERT_EQ(f[0].of.i32, 0);
  ASSERT_EQ(f[1].kind, BATON_I64);
  ASSERT_EQ(f[1].of.i64, 0x3fc00000); /* the f32 bits, zero-extended */
  ASSERT_EQ(f[2].kind, BATON_I32);
  ASSERT_EQ(f[2].of.i32, 0);
  baton_value_clear(&v);
  n = 0;
  v = V(t, "rect({x: -1, y: -2})");
  ASSERT_TRUE(bt_abi_lower_flat(&cx, t, &v, f, 4, &n));
  ASSERT_EQ(f[0].of.i32, 1);
  ASSERT_EQ(f[1].of.i64, 0xffffffffll); /* i32 zero-extended into the joined i64 */
  ASSERT_EQ(f[2].of.i32, -2);
  baton_value_clear(&v);
  /* Lifting wraps the i64 back to 32 bits and ignores the high half. */
  baton_val_t in[3] = {{BATON_I32, .of.i32 = 1}, {BATON_I64, .of.i64 = 0x12345678fffffffbll},
                       {BATON_I32, .of.i32 = 6}};
  size_t pos = 0;
  baton_value_t out;
  ASSERT_TRUE(bt_abi_lift_flat(&cx, t, in, 3, &pos, &out));
  ASSERT_STREQ(W(t, &out), "rect({x: -5, y: 6})");
  baton_value_clear(&out);
  /* Narrow integers ignore the high bits of their i32. */
  baton_val_t u8v = {BATON_I32, .of.i32 = 0x1ff};
  pos = 0;
  ASSERT_TRUE(bt_abi_lift_flat(&cx, T("t-opt-u8"), (baton_val_t[]){{BATON_I32, .of.i32 = 1}, u8v}, 2,
                               &pos, &out));
  ASSERT_STREQ(W(T("t-opt-u8"), &out), "some(255)");
  baton_value_clear(&out);
}

/* Lowers text in enc, checks the bytes and the code-unit count, lifts back. */
static void check_encoding(bt_abi_encoding_t enc, const char *s, const char *bytes, size_t nbytes,
                           uint32_t units) {
  bt_abi_status_t st;
  bt_abi_cx_t cx;
  bump_t b;
  buf_cx(&cx, &st, &b, enc);
  uint32_t p, u;
  if (!bt_abi_lower_string(&cx, s, strlen(s), &p, &u)) T_FAIL_("lower: %s", fail_msg(&st));
  ASSERT_EQ(u, units);
  if (memcmp(g_mem + p, bytes, nbytes) != 0) T_FAIL_("bytes differ for \"%s\"", s);
  char *out;
  size_t len;
  if (!bt_abi_lift_string(&cx, p, u, &out, &len)) T_FAIL_("lift: %s", fail_msg(&st));
  ASSERT_EQ(len, strlen(s));
  ASSERT_STREQ(out, s);
  free(out);
}

TEST(strings_encodings) {
  const char *s = "h\xc3\xa9\xf0\x9f\x98\x80"; /* h é 😀 */
  check_encoding(BT_ABI_UTF8, s, s, 7, 7);
  check_encoding(BT_ABI_UTF16, s, "h\0\xe9\0\x3d\xd8\x00\xde", 8, 4);
  check_encoding(BT_ABI_UTF16, "", "", 0, 0);
  check_encoding(BT_ABI_LATIN1_UTF16, "h\xc3\xa9llo", "h\xe9llo", 5, 5);
  check_encoding(BT_ABI_LATIN1_UTF16, s, "h\0\xe9\0\x3d\xd8\x00\xde", 8, 4 | BT_ABI_UTF16_TAG);
  check_encoding(BT_ABI_LATIN1_UTF16, "abc\xe2\x82\xac", "a\0b\0c\0\xac\x20", 8, 4 | BT_ABI_UTF16_TAG);
  check_encoding(BT_ABI_LATIN1_UTF16, "", "", 0, 0);
}

/* Copies s (lowered in `from`) into a view using `to`, lifts it there. */
static void check_transcode(bt_abi_encoding_t from, bt_abi_encoding_t to, const char *s,
                            uint32_t want_units) {
  bt_abi_status_t st;
  bt_abi_cx_t a, c;
  bump_t b;
  buf_cx(&a, &st, &b, from);
  c = a;
  c.encoding = to;
  uint32_t p, u, q, v;
  if (!bt_abi_lower_string(&a, s, strlen(s), &p, &u) || !bt_abi_copy_string(&a, p, u, &c, &q, &v))
    T_FAIL_("copy: %s", fail_msg(&st));
  ASSERT_EQ(v, want_units);
  char *out;
  size_t len;
  if (!bt_abi_lift_string(&c, q, v, &out, &len)) T_FAIL_("lift: %s", fail_msg(&st));
  ASSERT_STREQ(out, s);
  free(out);
}

TEST(strings_transcoding) {
  const char *ascii = "plain ascii", *latin = "caf\xc3\xa9", *wide = "x\xe2\x82\xac\xf0\x9f\x98\x80";
  bt_abi_encoding_t e[3] = {BT_ABI_UTF8, BT_ABI_UTF16, BT_ABI_LATIN1_UTF16};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      check_transcode(e[i], e[j], ascii, 11);
      check_transcode(e[i], e[j], latin, e[j] == BT_ABI_UTF8 ? 5 : 4);
      check_transcode(e[i], e[j], wide, e[j] == BT_ABI_UTF8 ? 8 : (4 | (e[j] == BT_ABI_LATIN1_UTF16 ? BT_ABI_UTF16_TAG : 0)));
      check_transcode(e[i], e[j], "", 0);
    }
  /* UTF-16 -> UTF-8 allocates optimistically, grows once and shrinks once. */
  bt_abi_status_t st;
  bt_abi_cx_t a, c;
  bump_t b;
  buf_cx(&a, &st, &b, BT_ABI_UTF16);
  c = a;
  c.encoding = BT_ABI_UTF8;
  uint32_t p, u, q, v;
  ASSERT_TRUE(bt_abi_lower_string(&a, latin, strlen(latin), &p, &u));
  uint32_t before = b.calls;
  ASSERT_TRUE(bt_abi_copy_string(&a, p, u, &c, &q, &v));
  ASSERT_EQ(b.calls - before, 3);
  ASSERT_EQ(v, 5);
}

/* Lifts a string of `enc` from bytes placed at ptr and expects failure. */
static void bad_string(bt_abi_encoding_t enc, uint32_t ptr, const char *bytes, size_t n,
                       uint32_t units, const char *want) {
  bt_abi_status_t st;
  bt_abi_cx_t cx;
  bump_t b;
  buf_cx(&cx, &st, &b, enc);
  if (n) memcpy(g_mem + ptr, bytes, n);
  char *out;
  size_t len;
  if (bt_abi_lift_string(&cx, ptr, units, &out, &len)) T_FAIL_("accepted: %s", want);
  ASSERT_NULL(out);
  ASSERT_EQ(st.fail, BT_ABI_FAIL_ABI);
  ASSERT_STREQ(fail_msg(&st), want);
}

TEST(strings_validation) {
  bad_string(BT_ABI_UTF8, 0x100, "\xc0\x80", 2, 2,
             "canonical ABI: string at 0x100 of length 2 is not valid UTF-8 (byte 0xc0 at offset 0)");
  bad_string(BT_ABI_UTF8, 0x100, "ab\xed\xa0\x80", 5, 5,
             "canonical ABI: string at 0x100 of length 5 is not valid UTF-8 (byte 0xed at offset 2)");
  bad_string(BT_ABI_UTF8, 0x100, "\xf4\x90\x80\x80", 4, 4,
             "canonical ABI: string at 0x100 of length 4 is not valid UTF-8 (byte 0xf4 at offset 0)");
  bad_string(BT_ABI_UTF8, 0x100, "abc\xe2\x82", 5, 5,
             "canonical ABI: string at 0x100 of length 5 is not valid UTF-8 (byte 0xe2 at offset 3)");
  bad_string(BT_ABI_UTF8, MEM_SIZE - 16, NULL, 0, 64,
             "canonical ABI: string at 0x3ffff0 of length 64 is outside linear memory (4194304 bytes)");
  bad_string(BT_ABI_UTF8, 0xFFFFFFFFu, NULL, 0, 2,
             "canonical ABI: string at 0xffffffff of length 2 is outside linear memory (4194304 bytes)");
  bad_string(BT_ABI_UTF8, 0, NULL, 0, 1u << 28,
             "canonical ABI: string at 0x0 of 268435456 bytes exceeds the canonical ABI limit of "
             "268435455 bytes");
  bad_string(BT_ABI_UTF16, 0x101, "a\0", 2, 1, "canonical ABI: string at 0x101 is not aligned to 2 bytes");
  bad_string(BT_ABI_UTF16, 0x100, "a\0\x00\xdc", 4, 2,
             "canonical ABI: string at 0x100 of length 2 is not valid UTF-16 (unpaired surrogate "
             "0xdc00 at code unit 1)");
  bad_string(BT_ABI_UTF16, 0x100, "\x00\xd8", 2, 1,
             "canonical ABI: string at 0x100 of length 1 is not valid UTF-16 (unpaired surrogate "
             "0xd800 at code unit 0)");
  bad_string(BT_ABI_LATIN1_UTF16, 0x100, NULL, 0, BT_ABI_UTF16_TAG | 0x10000000u,
             "canonical ABI: string at 0x100 of 536870912 bytes exceeds the canonical ABI limit of "
             "268435455 bytes");
  /* Latin-1 accepts every byte. */
  bt_abi_status_t st;
  bt_abi_cx_t cx;
  bump_t b;
  buf_cx(&cx, &st, &b, BT_ABI_LATIN1_UTF16);
  memcpy(g_mem + 0x200, "\xff\x80", 2);
  char *out;
  size_t len;
  ASSERT_TRUE(bt_abi_lift_string(&cx, 0x200, 2, &out, &len));
  ASSERT_STREQ(out, "\xc3\xbf\xc2\x80");
  free(out);
}

/* Loads a value of `type` from bytes placed at ptr and expects failure. */
static void bad_load(const char *type, uint32_t ptr, const void *bytes, size_t n, const char *want) {
  bt_abi_status_t st;
  bt_abi_cx_t cx;
  bump_t b;
  buf_cx(&cx, &st, &b, BT_ABI_UTF8);
  memcpy(g_mem + ptr, bytes, n);
  baton_value_t v;
  if (bt_abi_load(&cx, ptr, T(type), &v)) T_FAIL_("accepted: %s", want);
  ASSERT_EQ(v.kind, 0);
  ASSERT_STREQ(fail_msg(&st), want);
}

TEST(buffer_validation) {
  uint32_t surrogate = 0xDFFF, big = 0x110000;
  bad_load("t-char", 0x100, &surrogate, 4,
           "canonical ABI: char 0xdfff is a surrogate, not a Unicode scalar value");
  bad_load("t-char", 0x100, &big, 4,
           "canonical ABI: char 0x110000 is above 0x10ffff, not a Unicode scalar value");
  bad_load("t-char", 0x102, &big, 4, "canonical ABI: char at 0x102 is not aligned to 4 bytes");
  uint8_t disc[16] = {5};
  bad_load("shape", 0x100, disc, 16,
           "canonical ABI: discriminant 5 of variant shape is out of range (5 cases)");
  uint8_t opt[2] = {2, 0};
  bad_load("t-opt-u8", 0x100, opt, 2,
           "canonical ABI: discriminant 2 of option<u8> is out of range (2 cases)");
  uint8_t fl = 0x0c;
  bad_load("perms", 0x100, &fl, 1, "canonical ABI: flags perms value 0xc has bits set beyond its 3 flags");
  uint32_t list_over[2] = {0xFFFFFFF0u, 0xFFFFFFFFu};
  bad_load("t-list-u32", 0x100, list_over, 8,
           "canonical ABI: list at 0xfffffff0 of length 4294967295 (17179869180 bytes) exceeds the "
           "canonical ABI limit of 268435455 bytes");
  uint32_t list_oob[2] = {MEM_SIZE - 8, 4};
  bad_load("t-list-u32", 0x100, list_oob, 8,
           "canonical ABI: list at 0x3ffff8 of length 4 (16 bytes) is outside linear memory (4194304 "
           "bytes)");
  uint32_t list_mis[2] = {0x202, 1};
  bad_load("t-list-u32", 0x100, list_mis, 8, "canonical ABI: list at 0x202 is not aligned to 4 bytes");
  /* A list<person> whose second element's first tag is bad: the path
   * names it. */
  uint32_t people[2] = {0x1000, 2};
  uint8_t *m = g_mem;
  memset(m + 0x1000, 0, 64);
  uint32_t tags[2] = {0x1100, 1}, tag[2] = {0x1200, 1};
  memcpy(m + 0x1000 + 32 + 12, tags, 8);
  memcpy(m + 0x1100, tag, 8);
  m[0x1200] = 0xfe;
  bt_abi_status_t st;
  bt_abi_cx_t cx;
  bump_t b;
  buf_cx(&cx, &st, &b, BT_ABI_UTF8);
  memcpy(m + 0x100, people, 8);
  baton_value_t v;
  ASSERT_FALSE(bt_abi_load(&cx, 0x100, T("t-list-person"), &v));
  baton_error_t *e;
  baton_trap_t *tr;
  bt_abi_status_take(&st, "result", "export \"f\"", &e, &tr);
  ASSERT_NULL(e);
  ASSERT_EQ(baton_trap_kind(tr), BATON_TRAP_ABI);
  ASSERT_STREQ(baton_trap_message(tr),
               "canonical ABI: string at 0x1200 of length 1 is not valid UTF-8 (byte 0xfe at offset "
               "0) in result[1].tags[0] of export \"f\"");
  baton_trap_delete(tr);
  /* A load at the very end of memory: 8 bytes at size-8 fit, at size-4 not. */
  buf_cx(&cx, &st, &b, BT_ABI_UTF8);
  ASSERT_TRUE(bt_abi_load(&cx, MEM_SIZE - 8, T("point"), &v));
  baton_value_clear(&v);
  ASSERT_FALSE(bt_abi_load(&cx, MEM_SIZE - 4, T("point"), &v));
  ASSERT_STREQ(fail_msg(&st),
               "canonical ABI: record at 0x3ffffc of 8 bytes is outside linear memory (4194304 bytes)");
}

TEST(buffer_lift_budget) {
  /* 1000 list elements all pointing at the same 1000-byte string: 8 KB of
   * memory that would lift as 1 MB of host strings. */
  bt_abi_status_t st;
  bt_abi_cx_t cx;
  bump_t b;
  buf_cx(&cx, &st, &b, BT_ABI_UTF8);
  memset(g_mem + 0x10000, 'a', 1000);
  for (uint32_t i = 0; i < 1000; i++) {
    uint32_t e[2] = {0x10000, 1000};
    memcpy(g_mem + 0x20000 + 8 * i, e, 8);
  }
  uint32_t head[2] = {0x20000, 1000};
  memcpy(g_mem + 0x100, head, 8);
  baton_value_t v;
  cx.lift_budget = 100000;
  ASSERT_FALSE(bt_abi_load(&cx, 0x100, T("t-list-string"), &v));
  ASSERT_STREQ(fail_msg(&st), "canonical ABI: value too large to lift: a string or list of 1000 bytes "
               "exceeds the remaining lift budget of 0 bytes in value[92]");
  cx.lift_budget = BT_ABI_DEFAULT_LIFT_BUDGET;
  ASSERT_TRUE(bt_abi_load(&cx, 0x100, T("t-list-string"), &v));
  ASSERT_EQ(v.of.seq.len, 1000);
  ASSERT_EQ(cx.lift_budget, BT_ABI_DEFAULT_LIFT_BUDGET - 8000 - 1000 * 1000);
  baton_value_clear(&v);
}

TEST(alloc_failures) {
  /* Lifting a nested value with the Nth host allocation failing: each
   * attempt fails cleanly with NO_MEMORY (ASan checks that nothing leaks),
   * until one succeeds. */
  const bt_wit_type_t *t = T("nested");
  baton_value_t v = V(t, "[some(ok((\"x\", [1, 2]))), none, some(err(named(\"q\"))), some(ok((\"\", [])))]");
  bt_abi_status_t st;
  bt_abi_cx_t cx;
  bump_t b;
  buf_cx(&cx, &st, &b, BT_ABI_UTF16);
  uint32_t p;
  ASSERT_TRUE(bt_abi_realloc(&cx, 0, 0, 4, 8, &p) && bt_abi_store(&cx, p, t, &v));
  int failures = 0;
  for (long n = 0;; n++) {
    baton_value_t out;
    bt_alloc_fail_after(n);
    bool ok = bt_abi_load(&cx, p, t, &out);
    long failed = bt_alloc_fail_after(-1);
    if (ok) {
      ASSERT_EQ(failed, 0);
      ASSERT_TRUE(baton_value_equal(&out, &v));
      baton_value_clear(&out);
      break;
    }
    failures++;
    ASSERT_EQ(st.fail, BT_ABI_FAIL_NOMEM);
    ASSERT_EQ(out.kind, 0);
    bt_abi_status_reset(&st);
  }
  ASSERT_TRUE(failures >= 8);
  baton_value_clear(&v);
}

TEST(host_value_checks) {
  bt_abi_status_t st;
  bt_abi_status_init(&st);
  baton_value_t v = {.kind = BATON_VALUE_U8, .of.u = 300};
  ASSERT_FALSE(bt_abi_check_value(&st, bt_wit_type_unalias(T("t-list-u8"))->target, &v));
  ASSERT_STREQ(fail_msg(&st), "value 300 out of range (type u8)");
  v = V(T("person"), "{name: \"a\", age: 1, tags: [\"x\", \"y\"], home: none}");
  baton_value_t *tag = &v.of.seq.items[2].of.seq.items[1];
  tag->of.str.ptr[0] = (char)0xff;
  ASSERT_FALSE(bt_abi_check_value(&st, T("person"), &v));
  ASSERT_STREQ(fail_msg(&st), "string is not valid UTF-8 (byte 0xff at offset 0) in value.tags[1]");
  baton_value_clear(&v);
  v = V(T("shape"), "named(\"x\")");
  baton_value_t *payload = v.of.var.payload;
  v.of.var.payload = NULL;
  ASSERT_FALSE(bt_abi_check_value(&st, T("shape"), &v));
  ASSERT_STREQ(fail_msg(&st), "case 3 of shape needs a payload");
  v.of.var.payload = payload;
  baton_value_clear(&v);
  v = U32(1);
  ASSERT_FALSE(bt_abi_check_value(&st, T("t-string"), &v));
  ASSERT_STREQ(fail_msg(&st), "expected string, got u32");
  v = (baton_value_t){.kind = BATON_VALUE_CHAR, .of.ch = 0xD800};
  ASSERT_FALSE(bt_abi_check_value(&st, T("t-char"), &v));
  ASSERT_STREQ(fail_msg(&st), "char 0xd800 is not a Unicode scalar value (type char)");
  v = (baton_value_t){.kind = BATON_VALUE_FLAGS, .of.flags = 8};
  ASSERT_FALSE(bt_abi_check_value(&st, T("perms"), &v));
}

int main(void) {
  if (!fixture_init()) return 1;
  RUN(layout_types);
  RUN(layout_big_enum);
  RUN(layout_signatures);
  RUN(layout_names);
  RUN(buffer_roundtrips);
  RUN(buffer_flat_variant_coercion);
  RUN(strings_encodings);
  RUN(strings_transcoding);
  RUN(strings_validation);
  RUN(buffer_validation);
  RUN(buffer_lift_budget);
  RUN(alloc_failures);
  RUN(host_value_checks);
  fixture_fini();
  TEST_MAIN_END();
}
