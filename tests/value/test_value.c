/*
 * tests/value/test_value.c: tests of the value tree and its text forms
 * (src/value): WAVE parsing in every form the specification allows and
 * printing in canonical form, the JSON mapping, conversions between the two,
 * exact error messages with value paths and positions, copy/equality, value
 * checking, and allocation-failure injection over the whole pipeline.
 *
 * Types come from a WIT fixture parsed with src/wit; anonymous types are
 * reached through `type x = ...` aliases, which also exercises unaliasing.
 */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/common.h"
#include "util/strbuf.h"
#include "value/value.h"
#include "wit/wit.h"

static const char *const WIT =
    "package test:values;\n"
    "interface types {\n"
    "  record point { x: s32, y: s32 }\n"
    "  enum status { pending, shipped, ok, none, not-found }\n"
    "  variant shape { circle(f64), rect(tuple<f32, f32>), empty, none, err(string), some(u8) }\n"
    "  flags perms { read, write, exec }\n"
    "  resource blob;\n"
    "  record item { name: string, price: u32, tags: list<string>, discount: option<u8>,\n"
    "                note: option<string> }\n"
    "  record order { id: u64, items: list<item>, status: status,\n"
    "                 meta: option<option<string>>, perms: perms }\n"
    "  record all-opt { a: option<u8>, b: option<string> }\n"
    "  record kw { ok: bool, none: u8 }\n"
    "  type id = u32;\n"
    "  type t-bool = bool;\n"
    "  type t-s8 = s8;\n"
    "  type t-u8 = u8;\n"
    "  type t-s16 = s16;\n"
    "  type t-u16 = u16;\n"
    "  type t-s32 = s32;\n"
    "  type t-u32 = u32;\n"
    "  type t-s64 = s64;\n"
    "  type t-u64 = u64;\n"
    "  type t-f32 = f32;\n"
    "  type t-f64 = f64;\n"
    "  type t-char = char;\n"
    "  type t-string = string;\n"
    "  type bytes = list<u8>;\n"
    "  type res = result<list<u8>, shape>;\n"
    "  type r-none = result;\n"
    "  type r-err = result<_, string>;\n"
    "  type r-ok = result<u32>;\n"
    "  type r-opt = result<option<u32>, string>;\n"
    "  type o-u32 = option<u32>;\n"
    "  type o-status = option<status>;\n"
    "  type o-shape = option<shape>;\n"
    "  type oo = option<option<string>>;\n"
    "  type o-res = option<result<u32, string>>;\n"
    "  type flag-pair = tuple<perms, perms>;\n"
    "  type pair = tuple<id, string>;\n"
    "  type h = own<blob>;\n"
    "  type hb = borrow<blob>;\n"
    "  type items = list<item>;\n"
    "  type lo = list<option<point>>;\n"
    "  type nested = list<list<tuple<u8, option<list<string>>>>>;\n"
    "  type complex = tuple<order, res, list<flag-pair>, option<shape>>;\n"
    "}\n";

static bt_wit_resolve_t *g_resolve;
static const bt_wit_interface_t *g_iface;

/* Returns the named type of the fixture interface (aborting when absent). */
static const bt_wit_type_t *T(const char *name) {
  const bt_wit_type_t *t = bt_wit_interface_type(g_iface, name);
  if (!t) {
    fprintf(stderr, "fixture has no type %s\n", name);
    abort();
  }
  return t;
}

/* Formats and returns (static buffer) the result of printing v. */
static const char *wave_str(const baton_value_t *v, const bt_wit_type_t *t) {
  static char out[4096];
  bt_strbuf_t b = BT_STRBUF_INIT;
  baton_error_t *e = bt_wave_print(v, t, &b);
  snprintf(out, sizeof out, "%s", e ? baton_error_message(e) : bt_strbuf_cstr(&b));
  baton_error_delete(e);
  bt_strbuf_free(&b);
  return out;
}

static const char *json_str(const baton_value_t *v, const bt_wit_type_t *t) {
  static char out[4096];
  bt_strbuf_t b = BT_STRBUF_INIT;
  baton_error_t *e = bt_json_print(v, t, &b);
  snprintf(out, sizeof out, "%s", e ? baton_error_message(e) : bt_strbuf_cstr(&b));
  baton_error_delete(e);
  bt_strbuf_free(&b);
  return out;
}

/* Checks everything about one value given as WAVE text `in`: it parses; it
 * prints as `canon`; `canon` parses to an equal value; its JSON form
 * (compared with `json` when non-NULL) parses back to an equal value and
 * prints identically; and a deep copy is equal. */
static void wave_case(const char *type, const char *in, const char *canon, const char *json) {
  const bt_wit_type_t *t = T(type);
  baton_value_t v, v2, v3, cp;
  ASSERT_OK(bt_wave_parse(in, strlen(in), t, &v));
  ASSERT_STREQ(wave_str(&v, t), canon);
  ASSERT_OK(bt_wave_parse(canon, strlen(canon), t, &v2));
  ASSERT_TRUE(baton_value_equal(&v, &v2));
  char js[4096];
  snprintf(js, sizeof js, "%s", json_str(&v, t));
  if (json) ASSERT_STREQ(js, json);
  ASSERT_OK(bt_json_parse(js, strlen(js), t, &v3));
  ASSERT_TRUE(baton_value_equal(&v, &v3));
  ASSERT_STREQ(json_str(&v3, t), js);
  ASSERT_TRUE(baton_value_copy(&cp, &v));
  ASSERT_TRUE(baton_value_equal(&cp, &v));
  ASSERT_OK(bt_value_check(&cp, t));
  baton_value_clear(&v);
  baton_value_clear(&v2);
  baton_value_clear(&v3);
  baton_value_clear(&cp);
}

/* Checks that JSON text `in` parses, prints as `canon`, and that the WAVE
 * round trip of the value preserves it. */
static void json_case(const char *type, const char *in, const char *canon) {
  const bt_wit_type_t *t = T(type);
  baton_value_t v, v2;
  ASSERT_OK(bt_json_parse(in, strlen(in), t, &v));
  ASSERT_STREQ(json_str(&v, t), canon);
  char wv[4096];
  snprintf(wv, sizeof wv, "%s", wave_str(&v, t));
  ASSERT_OK(bt_wave_parse(wv, strlen(wv), t, &v2));
  ASSERT_TRUE(baton_value_equal(&v, &v2));
  baton_value_clear(&v);
  baton_value_clear(&v2);
}

/* Checks that parsing fails with exactly `msg` and the given code. */
static void err_case(bool json, const char *type, const char *in, baton_errno_t code,
                     const char *msg) {
  const bt_wit_type_t *t = T(type);
  baton_value_t v;
  baton_error_t *e = json ? bt_json_parse(in, strlen(in), t, &v) : bt_wave_parse(in, strlen(in), t, &v);
  if (!e) T_FAIL_("%s parse of %s succeeded: %s", json ? "JSON" : "WAVE", in, wave_str(&v, t));
  char m[1024];
  snprintf(m, sizeof m, "%s", baton_error_message(e));
  baton_errno_t got = baton_error_code(e);
  baton_error_delete(e);
  ASSERT_STREQ(m, msg);
  ASSERT_EQ(got, code);
  ASSERT_EQ(v.kind, 0); /* left zeroed */
}
#define WAVE_ERR(type, in, code, msg) err_case(false, type, in, BATON_E##code, msg)
#define JSON_ERR(type, in, code, msg) err_case(true, type, in, BATON_E##code, msg)

/* ---- WAVE: scalars ---- */

TEST(wave_bool_int) {
  wave_case("t-bool", "true", "true", "true");
  wave_case("t-bool", " false // comment", "false", "false");
  wave_case("t-s8", "-128", "-128", "-128");
  wave_case("t-s8", "127", "127", "127");
  wave_case("t-u8", "255", "255", "255");
  wave_case("t-u8", "0", "0", "0");
  wave_case("t-s16", "-32768", "-32768", NULL);
  wave_case("t-u16", "65535", "65535", NULL);
  wave_case("t-s32", "-2147483648", "-2147483648", NULL);
  wave_case("t-u32", "4294967295", "4294967295", NULL);
  wave_case("id", "7", "7", "7");
  wave_case("t-s64", "-9223372036854775808", "-9223372036854775808", "\"-9223372036854775808\"");
  wave_case("t-s64", "9223372036854775807", "9223372036854775807", "\"9223372036854775807\"");
  wave_case("t-s64", "-9007199254740991", "-9007199254740991", "-9007199254740991");
  wave_case("t-s64", "-9007199254740992", "-9007199254740992", "\"-9007199254740992\"");
  wave_case("t-u64", "18446744073709551615", "18446744073709551615", "\"18446744073709551615\"");
  wave_case("t-u64", "9007199254740991", "9007199254740991", "9007199254740991");
  wave_case("t-u64", "9007199254740992", "9007199254740992", "\"9007199254740992\"");
  wave_case("t-s32", "-0", "0", "0");
}

TEST(wave_floats) {
  wave_case("t-f64", "3.14", "3.14", "3.14");
  wave_case("t-f64", "6.022e+23", "6.022e+23", "6.022e+23");
  wave_case("t-f64", "6.022E23", "6.022e+23", NULL);
  wave_case("t-f64", "1e21", "1e+21", NULL);
  wave_case("t-f64", "1e20", "100000000000000000000", NULL);
  wave_case("t-f64", "0.000001", "0.000001", NULL);
  wave_case("t-f64", "0.0000001", "1e-7", NULL);
  wave_case("t-f64", "1.5e-7", "1.5e-7", NULL);
  wave_case("t-f64", "-0", "-0", "-0");
  wave_case("t-f64", "0.0", "0", "0");
  wave_case("t-f64", "1", "1", "1");
  wave_case("t-f64", "0.1", "0.1", "0.1");
  wave_case("t-f64", "123456789012.5", "123456789012.5", NULL);
  wave_case("t-f64", "nan", "nan", "\"nan\"");
  wave_case("t-f64", "inf", "inf", "\"inf\"");
  wave_case("t-f64", "-inf", "-inf", "\"-inf\"");
  wave_case("t-f64", "1.7976931348623157e308", "1.7976931348623157e+308", NULL);
  wave_case("t-f64", "5e-324", "5e-324", NULL);
  wave_case("t-f32", "0.1", "0.1", "0.1");
  wave_case("t-f32", "3.4028235e38", "3.4028235e+38", NULL);
  wave_case("t-f32", "16777217", "16777216", "16777216");
  wave_case("t-f32", "1e-46", "0", NULL); /* underflow rounds to zero */
  wave_case("t-f32", "nan", "nan", "\"nan\"");
  wave_case("t-f32", "-inf", "-inf", "\"-inf\"");
  /* Any NaN prints as nan; parsing gives the canonical quiet NaN. */
  baton_value_t v = {.kind = BATON_VALUE_F64};
  uint64_t bits = 0xfff8000000000001ull;
  memcpy(&v.of.f64, &bits, 8);
  ASSERT_STREQ(wave_str(&v, T("t-f64")), "nan");
}

/* ---- floats: shortest round trip over many values ---- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

/* xorshift64*: a fixed-seed stream of bit patterns. */
static uint64_t rng_next(void) {
  g_rng ^= g_rng >> 12;
  g_rng ^= g_rng << 25;
  g_rng ^= g_rng >> 27;
  return g_rng * 0x2545F4914F6CDD1Dull;
}

/* Counts the significant digits of a printed finite nonzero float: the
 * mantissa digits without leading or trailing zeros. */
static int sig_digits(const char *s) {
  int nd = 0, zeros = 0;
  bool lead = true;
  for (; *s && *s != 'e'; s++) {
    if (*s < '0' || *s > '9') continue;
    if (lead && *s == '0') continue;
    lead = false;
    nd++;
    zeros = *s == '0' ? zeros + 1 : 0;
  }
  return nd - zeros;
}

/* Checks one float (as f32 when is_f32): WAVE and JSON text parse back bit
 * for bit (NaN as some NaN), the text has the fewest significant digits that
 * do so, and it follows the number layout (no `+`/leading zero in exponent
 * beyond JavaScript's `e+21` form, no trailing zeros after a point). */
static void float_round_trip(uint64_t bits, bool is_f32) {
  const bt_wit_type_t *t = T(is_f32 ? "t-f32" : "t-f64");
  baton_value_t v = {.kind = is_f32 ? BATON_VALUE_F32 : BATON_VALUE_F64}, w, j;
  double x;
  if (is_f32) {
    uint32_t b32 = (uint32_t)bits;
    memcpy(&v.of.f32, &b32, 4);
    x = v.of.f32;
  } else {
    memcpy(&v.of.f64, &bits, 8);
    x = v.of.f64;
  }
  char wv[64], js[64];
  snprintf(wv, sizeof wv, "%s", wave_str(&v, t));
  snprintf(js, sizeof js, "%s", json_str(&v, t));
  ASSERT_OK(bt_wave_parse(wv, strlen(wv), t, &w));
  ASSERT_OK(bt_json_parse(js, strlen(js), t, &j));
  if (isnan(x)) {
    ASSERT_STREQ(wv, "nan");
    ASSERT_STREQ(js, "\"nan\"");
    ASSERT_TRUE(is_f32 ? isnan(w.of.f32) && isnan(j.of.f32) : isnan(w.of.f64) && isnan(j.of.f64));
    return;
  }
  if (!baton_value_equal(&v, &w) || !baton_value_equal(&v, &j))
    T_FAIL_("%s %016llx: printed %s / %s does not read back", is_f32 ? "f32" : "f64",
            (unsigned long long)bits, wv, js);
  if (isinf(x)) {
    ASSERT_STREQ(wv, x < 0 ? "-inf" : "inf");
    return;
  }
  /* JSON carries the same digits as WAVE for finite values. */
  ASSERT_STREQ(js, wv);
  if (x == 0) return;
  /* Shortest: one significant digit fewer must not read back. */
  int nd = sig_digits(wv);
  ASSERT_TRUE(nd >= 1 && nd <= (is_f32 ? 9 : 17));
  if (nd > 1) {
    char shorter[64];
    snprintf(shorter, sizeof shorter, "%.*e", nd - 2, x);
    bool back = is_f32 ? strtof(shorter, NULL) == (float)x : strtod(shorter, NULL) == x;
    if (back) T_FAIL_("%s %s is not shortest: %s reads back too", is_f32 ? "f32" : "f64", wv, shorter);
  }
  const char *e = strchr(wv, 'e');
  const char *dot = strchr(wv, '.');
  if (dot) ASSERT_TRUE((e ? e[-1] : wv[strlen(wv) - 1]) != '0');
  if (e) {
    ASSERT_TRUE(e[1] == '+' || e[1] == '-');
    ASSERT_TRUE(e[2] >= '1' && e[2] <= '9');
    double mag = fabs(x);
    ASSERT_TRUE(mag >= 1e21 || mag < 1e-6);
  } else {
    ASSERT_TRUE(strlen(wv) <= 30);
  }
}

TEST(float_round_trips) {
  static const uint64_t f64_special[] = {
      0x0000000000000000ull, 0x8000000000000000ull, /* +-0 */
      0x0000000000000001ull, 0x8000000000000001ull, /* smallest subnormals */
      0x000fffffffffffffull, 0x0010000000000000ull, /* largest subnormal, smallest normal */
      0x7fefffffffffffffull, 0xffefffffffffffffull, /* +-max */
      0x7ff0000000000000ull, 0xfff0000000000000ull, /* +-inf */
      0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff0000000000001ull, /* NaNs */
      0x3fb999999999999aull, /* 0.1 */
      0x3ff0000000000001ull, /* 1 + ulp */
      0x4340000000000000ull, 0x4340000000000001ull, /* 2^53, 2^53 + 2 */
  };
  static const uint32_t f32_special[] = {
      0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u, 0x007fffffu, 0x00800000u,
      0x7f7fffffu, 0xff7fffffu, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
      0x7f800001u, 0x3dcccccdu /* 0.1 */, 0x3f800001u, 0x4b800000u, 0x4b800001u,
  };
  for (size_t i = 0; i < sizeof f64_special / sizeof *f64_special; i++)
    float_round_trip(f64_special[i], false);
  for (size_t i = 0; i < sizeof f32_special / sizeof *f32_special; i++)
    float_round_trip(f32_special[i], true);
  /* Powers of ten and their neighbours, through the whole exponent range. */
  for (int e = -323; e <= 308; e++) {
    char lit[16];
    snprintf(lit, sizeof lit, "1e%d", e);
    double p = strtod(lit, NULL);
    uint64_t b;
    memcpy(&b, &p, 8);
    float_round_trip(b, false);
    float_round_trip(b + 1, false);
    float_round_trip(b - 1, false);
    if (e >= -45 && e <= 38) {
      float f = strtof(lit, NULL);
      uint32_t b32;
      memcpy(&b32, &f, 4);
      float_round_trip(b32, true);
      float_round_trip(b32 + 1, true);
    }
  }
  /* Integers near 2^k (where %g switched to exponents) and random patterns. */
  for (int k = 0; k < 64; k++) {
    double d = ldexp(1, k) + 0.5 * k;
    uint64_t b;
    memcpy(&b, &d, 8);
    float_round_trip(b, false);
  }
  for (int i = 0; i < 40000; i++) {
    uint64_t r = rng_next();
    float_round_trip(r, false);
    float_round_trip(r >> 32, true);
    /* also subnormals, which random patterns rarely hit */
    float_round_trip(r & 0x800fffffffffffffull, false);
    float_round_trip((r >> 32) & 0x807fffffu, true);
  }
  /* Known outputs: no exponent for 249750, f32 precision for 0.1f. */
  baton_value_t v = {.kind = BATON_VALUE_F64, .of.f64 = 249750};
  ASSERT_STREQ(wave_str(&v, T("t-f64")), "249750");
  v.of.f64 = -NAN;
  ASSERT_STREQ(wave_str(&v, T("t-f64")), "nan");
  ASSERT_STREQ(json_str(&v, T("t-f64")), "\"nan\"");
  baton_value_t f = {.kind = BATON_VALUE_F32, .of.f32 = 0.1f};
  ASSERT_STREQ(wave_str(&f, T("t-f32")), "0.1");
  f.of.f32 = 1e-7f;
  ASSERT_STREQ(wave_str(&f, T("t-f32")), "1e-7");
  f.of.f32 = 16777216.0f * 1024;
  ASSERT_STREQ(wave_str(&f, T("t-f32")), "17179870000");
}

TEST(wave_float_locale) {
  /* Parsing and printing must not depend on the C locale's decimal point. */
  const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", NULL};
  const char *got = NULL;
  for (int i = 0; names[i] && !got; i++) got = setlocale(LC_NUMERIC, names[i]);
  if (!got)
    fprintf(stderr, "   (no comma-decimal locale installed; checking the C locale only)\n");
  else
    ASSERT_STREQ(localeconv()->decimal_point, ",");
  wave_case("t-f64", "1.25", "1.25", "1.25");
  wave_case("t-f32", "2.5e-3", "0.0025", "0.0025");
  setlocale(LC_NUMERIC, "C");
}

TEST(wave_chars) {
  wave_case("t-char", "'x'", "'x'", "\"x\"");
  wave_case("t-char", "'☃'", "'☃'", "\"☃\"");
  wave_case("t-char", "'\\''", "'\\''", "\"'\"");
  wave_case("t-char", "'\"'", "'\\\"'", "\"\\\"\"");
  wave_case("t-char", "'\\\"'", "'\\\"'", NULL);
  wave_case("t-char", "'\\\\'", "'\\\\'", "\"\\\\\"");
  wave_case("t-char", "'\\n'", "'\\n'", "\"\\n\"");
  wave_case("t-char", "'\\t'", "'\\t'", "\"\\t\"");
  wave_case("t-char", "'\\r'", "'\\r'", "\"\\r\"");
  wave_case("t-char", "'\\u{0}'", "'\\u{0}'", "\"\\u0000\"");
  wave_case("t-char", "'\\u{1F600}'", "'😀'", "\"😀\"");
  wave_case("t-char", "'\\u{7f}'", "'\\u{7f}'", "\"\\u007f\"");
  wave_case("t-char", "'\\u{200B}'", "'\\u{200b}'", "\"\\u200b\"");
  wave_case("t-char", "'\\u{10FFFF}'", "'\\u{10ffff}'", "\"\\udbff\\udfff\"");
  wave_case("t-char", "'\t'", "'\\t'", NULL); /* a literal tab is allowed */
}

TEST(wave_strings) {
  wave_case("t-string", "\"\"", "\"\"", "\"\"");
  wave_case("t-string", "\"abc\\t123\"", "\"abc\\t123\"", "\"abc\\t123\"");
  wave_case("t-string", "\"👋 Hello, world! 👋\"", "\"👋 Hello, world! 👋\"", NULL);
  wave_case("t-string", "\"it's\"", "\"it\\'s\"", "\"it's\"");
  wave_case("t-string", "\"q\\\"q\\\\\"", "\"q\\\"q\\\\\"", "\"q\\\"q\\\\\"");
  wave_case("t-string", "\"\\u{0}\\u{1b}\\u{e9}\"", "\"\\u{0}\\u{1b}é\"", "\"\\u0000\\u001bé\"");
  wave_case("t-string", "\"\\u{2028}\\u{feff}\"", "\"\\u{2028}\\u{feff}\"", "\"\\u2028\\ufeff\"");
  wave_case("t-string", "\"/ not // a comment\"", "\"/ not // a comment\"", "\"/ not // a comment\"");
  /* Embedded NUL survives both formats. */
  baton_value_t v;
  ASSERT_OK(bt_wave_parse("\"a\\u{0}b\"", 9, T("t-string"), &v));
  ASSERT_EQ(v.of.str.len, 3);
  ASSERT_EQ(v.of.str.ptr[1], 0);
  ASSERT_EQ(v.of.str.ptr[3], 0);
  baton_value_clear(&v);
}

TEST(wave_multiline_strings) {
  wave_case("t-string", "\"\"\"\nA single line\n\"\"\"", "\"A single line\"", NULL);
  wave_case("t-string", "\"\"\"\n    Indentation determined\n      by ending delimiter\n  \"\"\"",
            "\"  Indentation determined\\n    by ending delimiter\"", NULL);
  wave_case("t-string",
            "\"\"\"\n  Must escape carriage return at end of line: \\r\n"
            "  Must break up double quote triplets: \"\"\\\"\"\n  \"\"\"",
            "\"Must escape carriage return at end of line: \\r\\nMust break up double quote "
            "triplets: \\\"\\\"\\\"\\\"\"",
            NULL);
  wave_case("t-string", "\"\"\"\r\n  a\r\n  \r\n  b\r\n  \"\"\"", "\"a\\n\\nb\"", NULL);
  wave_case("t-string", "\"\"\"\n\"\"\"", "\"\"", NULL);
  wave_case("t-string", "\"\"\"\n  \"\"\"", "\"\"", NULL);
  wave_case("t-string", "\"\"\"\n\n\"\"\"", "\"\"", NULL);
  wave_case("t-string", "\"\"\"\n\n\n\"\"\"", "\"\\n\"", NULL);
  wave_case("t-string", "\"\"\"\n it's \"quoted\" \n \"\"\"", "\"it\\'s \\\"quoted\\\" \"", NULL);
}

/* ---- WAVE: compound types ---- */

TEST(wave_lists_tuples) {
  wave_case("bytes", "[]", "[]", "[]");
  wave_case("bytes", "[1,2 , 3,]", "[1, 2, 3]", "[1,2,3]");
  wave_case("bytes", "[\n  1, // one\n  2,\n]", "[1, 2]", "[1,2]");
  wave_case("pair", "(1, \"a\")", "(1, \"a\")", "[1,\"a\"]");
  wave_case("pair", "( 1 , \"a\" , )", "(1, \"a\")", NULL);
  wave_case("nested", "[[(1, some([\"x\"])), (2, none)], []]",
            "[[(1, some([\"x\"])), (2, none)], []]", "[[[1,[\"x\"]],[2,null]],[]]");
  wave_case("nested", "[[(1, [])]]", "[[(1, some([]))]]", "[[[1,[]]]]");
}

TEST(wave_records) {
  wave_case("point", "{x: 1, y: -2}", "{x: 1, y: -2}", "{\"x\":1,\"y\":-2}");
  wave_case("point", "{y: -2, x: 1,}", "{x: 1, y: -2}", NULL);
  wave_case("point", "{%x: 1, %y: 2}", "{x: 1, y: 2}", NULL);
  wave_case("item", "{name: \"pen\", price: 3, tags: []}", "{name: \"pen\", price: 3, tags: []}",
            "{\"name\":\"pen\",\"price\":3,\"tags\":[],\"discount\":null,\"note\":null}");
  wave_case("item",
            "{note: some(\"n\"), discount: 5, tags: [\"a\", \"b\"], price: 10, name: \"x\"}",
            "{name: \"x\", price: 10, tags: [\"a\", \"b\"], discount: some(5), note: some(\"n\")}",
            "{\"name\":\"x\",\"price\":10,\"tags\":[\"a\",\"b\"],\"discount\":5,\"note\":\"n\"}");
  wave_case("item", "{name: \"x\", price: 1, tags: [], discount: none, note: none}",
            "{name: \"x\", price: 1, tags: []}", NULL);
  wave_case("all-opt", "{:}", "{:}", "{\"a\":null,\"b\":null}");
  wave_case("all-opt", "{ : }", "{:}", NULL);
  wave_case("all-opt", "{a: none}", "{:}", NULL);
  wave_case("all-opt", "{b: \"s\"}", "{b: some(\"s\")}", "{\"a\":null,\"b\":\"s\"}");
  wave_case("kw", "{ok: true, none: 1}", "{ok: true, none: 1}", "{\"ok\":true,\"none\":1}");
  wave_case("kw", "{%ok: false, %none: 1}", "{ok: false, none: 1}", NULL);
}

TEST(wave_variants_enums) {
  wave_case("shape", "circle(1.5)", "circle(1.5)", "{\"circle\":1.5}");
  wave_case("shape", "rect((1, 2))", "rect((1, 2))", "{\"rect\":[1,2]}");
  wave_case("shape", "empty", "empty", "\"empty\"");
  wave_case("shape", "%empty", "empty", NULL);
  wave_case("shape", "%none", "%none", "\"none\"");
  wave_case("shape", "%err(\"oops\")", "%err(\"oops\")", "{\"err\":\"oops\"}");
  wave_case("shape", "%some(3)", "%some(3)", "{\"some\":3}");
  wave_case("shape", "circle ( 2 )", "circle(2)", NULL);
  wave_case("status", "pending", "pending", "\"pending\"");
  wave_case("status", "not-found", "not-found", "\"not-found\"");
  wave_case("status", "%ok", "%ok", "\"ok\"");
  wave_case("status", "%none", "%none", "\"none\"");
}

TEST(wave_options) {
  wave_case("o-u32", "some(5)", "some(5)", "5");
  wave_case("o-u32", "5", "some(5)", "5");
  wave_case("o-u32", "none", "none", "null");
  wave_case("o-status", "%none", "some(%none)", "\"none\"");
  wave_case("o-status", "some(%ok)", "some(%ok)", "\"ok\"");
  wave_case("o-shape", "%some(1)", "some(%some(1))", "{\"some\":1}");
  wave_case("o-shape", "none", "none", "null");
  wave_case("oo", "none", "none", "null");
  wave_case("oo", "some(none)", "some(none)", "{\"some\":null}");
  wave_case("oo", "some(some(\"x\"))", "some(some(\"x\"))", "{\"some\":\"x\"}");
  wave_case("oo", "some(\"x\")", "some(some(\"x\"))", "{\"some\":\"x\"}");
  wave_case("o-res", "some(ok(1))", "some(ok(1))", "{\"ok\":1}");
  wave_case("o-res", "none", "none", "null");
  wave_case("lo", "[{x: 1, y: 2}, none, some({x: 3, y: 4})]",
            "[some({x: 1, y: 2}), none, some({x: 3, y: 4})]",
            "[{\"x\":1,\"y\":2},null,{\"x\":3,\"y\":4}]");
}

TEST(wave_results) {
  wave_case("r-ok", "ok(1)", "ok(1)", "{\"ok\":1}");
  wave_case("r-ok", "1", "ok(1)", "{\"ok\":1}");
  wave_case("r-ok", "err", "err", "\"err\"");
  wave_case("r-err", "ok", "ok", "\"ok\"");
  wave_case("r-err", "err(\"oops\")", "err(\"oops\")", "{\"err\":\"oops\"}");
  wave_case("r-none", "ok", "ok", "\"ok\"");
  wave_case("r-none", "err", "err", "\"err\"");
  wave_case("r-opt", "ok(none)", "ok(none)", "{\"ok\":null}");
  wave_case("r-opt", "ok(3)", "ok(some(3))", "{\"ok\":3}");
  wave_case("res", "[1, 2]", "ok([1, 2])", "{\"ok\":[1,2]}");
  wave_case("res", "err(rect((0.5, -1)))", "err(rect((0.5, -1)))",
            "{\"err\":{\"rect\":[0.5,-1]}}");
  wave_case("res", "err(%none)", "err(%none)", "{\"err\":\"none\"}");
}

TEST(wave_flags_handles) {
  wave_case("perms", "{}", "{}", "[]");
  wave_case("perms", "{write, read,}", "{read, write}", "[\"read\",\"write\"]");
  wave_case("perms", "{%exec, read, write}", "{read, write, exec}", "[\"read\",\"write\",\"exec\"]");
  wave_case("flag-pair", "({read}, {})", "({read}, {})", "[[\"read\"],[]]");
  wave_case("h", "blob(3)", "blob(3)", "3");
  wave_case("hb", "blob(4294967295)", "blob(4294967295)", "4294967295");
  wave_case("h", "%blob ( 0 )", "blob(0)", NULL);
}

TEST(wave_nested) {
  const char *order =
      "{id: 42, items: [{name: \"pen\", price: 3, tags: [\"office\"]},\n"
      "  {name: \"ink\", price: 7, tags: [], discount: 2}], status: shipped,\n"
      "  meta: some(none), perms: {read}}";
  wave_case("order", order,
            "{id: 42, items: [{name: \"pen\", price: 3, tags: [\"office\"]}, {name: \"ink\", "
            "price: 7, tags: [], discount: some(2)}], status: shipped, meta: some(none), "
            "perms: {read}}",
            "{\"id\":42,\"items\":[{\"name\":\"pen\",\"price\":3,\"tags\":[\"office\"],"
            "\"discount\":null,\"note\":null},{\"name\":\"ink\",\"price\":7,\"tags\":[],"
            "\"discount\":2,\"note\":null}],\"status\":\"shipped\",\"meta\":{\"some\":null},"
            "\"perms\":[\"read\"]}");
  wave_case("complex",
            "({id: 1, items: [], status: %ok, perms: {}}, err(empty), [({exec}, {read, exec})],"
            " circle(-0.25))",
            "({id: 1, items: [], status: %ok, perms: {}}, err(empty), [({exec}, {read, exec})],"
            " some(circle(-0.25)))",
            "[{\"id\":1,\"items\":[],\"status\":\"ok\",\"meta\":null,\"perms\":[]},"
            "{\"err\":\"empty\"},[[[\"exec\"],[\"read\",\"exec\"]]],{\"circle\":-0.25}]");
}

/* ---- WAVE: errors ---- */

TEST(wave_errors_scalars) {
  WAVE_ERR("t-u8", "256", TYPE, "at .: number 256 is out of range for u8 (col 1)");
  WAVE_ERR("t-u8", "-1", TYPE, "at .: number -1 is out of range for u8 (col 1)");
  WAVE_ERR("t-u8", "-0", TYPE, "at .: expected u8, got number -0 (col 1)");
  WAVE_ERR("t-s8", "-129", TYPE, "at .: number -129 is out of range for s8 (col 1)");
  WAVE_ERR("t-u64", "18446744073709551616", TYPE,
           "at .: number 18446744073709551616 is out of range for u64 (col 1)");
  WAVE_ERR("t-u32", "1.5", TYPE, "at .: expected u32, got number 1.5 (col 1)");
  WAVE_ERR("t-u32", "1e3", TYPE, "at .: expected u32, got number 1e3 (col 1)");
  WAVE_ERR("t-u32", "\"abc\"", TYPE, "at .: expected u32, got string \"abc\" (col 1)");
  WAVE_ERR("t-u32", "nan", TYPE, "at .: expected u32, got keyword nan (col 1)");
  WAVE_ERR("t-u32", "", SYNTAX, "at .: expected u32, got end of input (col 1)");
  WAVE_ERR("t-u32", "01", SYNTAX, "at .: invalid number '01' (col 1)");
  WAVE_ERR("t-u32", "1 2", SYNTAX, "at .: unexpected number 2 after the value (col 3)");
  WAVE_ERR("t-u32", "1x", SYNTAX, "at .: invalid number '1x' (col 1)");
  WAVE_ERR("t-f64", "1.", SYNTAX, "at .: invalid number '1.' (col 1)");
  WAVE_ERR("t-f64", "+1", SYNTAX, "at .: unexpected character '+' (col 1)");
  WAVE_ERR("t-f64", "1e999", TYPE, "at .: number 1e999 is out of range for f64 (col 1)");
  WAVE_ERR("t-f32", "1e39", TYPE, "at .: number 1e39 is out of range for f32 (col 1)");
  WAVE_ERR("t-f64", "NaN", SYNTAX, "at .: invalid label 'NaN' (col 1)");
  WAVE_ERR("t-f64", "NAN", TYPE, "at .: expected f64, got label NAN (col 1)");
  WAVE_ERR("t-f64", "%inf", TYPE, "at .: expected f64, got label %inf (col 1)");
  WAVE_ERR("t-bool", "TRUE", TYPE, "at .: expected bool, got label TRUE (col 1)");
  WAVE_ERR("t-bool", "1", TYPE, "at .: expected bool, got number 1 (col 1)");
  WAVE_ERR("t-char", "'ab'", SYNTAX, "at .: char literal holds more than one character (col 1)");
  WAVE_ERR("t-char", "''", SYNTAX, "at .: empty char literal (col 1)");
  WAVE_ERR("t-char", "'''", SYNTAX, "at .: empty char literal (col 1)");
  WAVE_ERR("t-char", "'a", SYNTAX, "at .: unterminated char literal (col 1)");
  WAVE_ERR("t-char", "'\\q'", SYNTAX, "at .: invalid escape sequence (col 2)");
  WAVE_ERR("t-char", "'\\u{D800}'", SYNTAX,
           "at .: escape \\u{D800} is not a Unicode scalar value (col 2)");
  WAVE_ERR("t-char", "'\\u{110000}'", SYNTAX,
           "at .: escape \\u{110000} is not a Unicode scalar value (col 2)");
  WAVE_ERR("t-char", "'\\u{1234567}'", SYNTAX, "at .: invalid escape sequence (col 2)");
  WAVE_ERR("t-char", "'\\u{}'", SYNTAX, "at .: invalid escape sequence (col 2)");
  WAVE_ERR("t-char", "\"a\"", TYPE, "at .: expected char, got string \"a\" (col 1)");
  WAVE_ERR("t-string", "\"abc", SYNTAX, "at .: unterminated string (col 1)");
  WAVE_ERR("t-string", "\"a\nb\"", SYNTAX, "at .: unterminated string (line 1, col 1)");
  WAVE_ERR("t-string", "\"é\\x\"", SYNTAX, "at .: invalid escape sequence (col 3)");
  WAVE_ERR("t-string", "'a'", TYPE, "at .: expected string, got char 'a' (col 1)");
  WAVE_ERR("t-string", "\"\xff\"", SYNTAX, "at .: input is not valid UTF-8 (col 2)");
  WAVE_ERR("t-string", "\"\xed\xa0\x80\"", SYNTAX, "at .: input is not valid UTF-8 (col 2)");
  WAVE_ERR("t-string", "\"\"\"abc\"\"\"", SYNTAX,
           "at .: opening \"\"\" must be followed by a line break (col 1)");
  WAVE_ERR("t-string", "\"\"\"\nabc\"\"\"", SYNTAX,
           "at .: closing \"\"\" must be on its own line, preceded only by spaces "
           "(line 2, col 4)");
  WAVE_ERR("t-string", "\"\"\"\n a\n  \"\"\"", SYNTAX,
           "at .: line is indented less than the closing \"\"\" (line 2, col 1)");
  /* Blank lines need the indent too, as the specification says. */
  WAVE_ERR("t-string", "\"\"\"\n  a\n\n  b\n  \"\"\"", SYNTAX,
           "at .: line is indented less than the closing \"\"\" (line 3, col 1)");
  WAVE_ERR("t-string", "\"\"\"\nabc", SYNTAX, "at .: unterminated multiline string (line 1, col 1)");
  WAVE_ERR("t-string", "\"a\" // c\n  x", SYNTAX,
           "at .: unexpected label x after the value (line 2, col 3)");
  WAVE_ERR("t-string", "\x01", SYNTAX, "at .: unexpected character U+0001 (col 1)");
  WAVE_ERR("t-string", "é", SYNTAX, "at .: unexpected character U+00E9 (col 1)");
  WAVE_ERR("t-string", "/", SYNTAX, "at .: unexpected character '/' (col 1)");
}

TEST(wave_errors_paths) {
  WAVE_ERR("items", "[{name: \"a\", price: 1, tags: []}, {name: \"b\", price: \"abc\", tags: []}]",
           TYPE, "at .[1].price: expected u32, got string \"abc\" (col 54)");
  WAVE_ERR("order", "{id: 1, items: [{name: \"a\", price: 1, tags: [\"x\", 7]}], status: pending, "
           "perms: {}}",
           TYPE, "at .items[0].tags[1]: expected string, got number 7 (col 51)");
  WAVE_ERR("point", "{x: 1}", TYPE, "at .: missing field 'y' (col 6)");
  WAVE_ERR("point", "{x: 1, z: 2}", TYPE, "at .: record point has no field 'z' (col 8)");
  WAVE_ERR("point", "{x: 1, x: 2}", TYPE, "at .: field 'x' appears twice (col 8)");
  WAVE_ERR("point", "{x: 1 y: 2}", SYNTAX, "at .: expected ',' or '}', got label y (col 7)");
  WAVE_ERR("point", "{x 1}", SYNTAX, "at .: expected ':', got number 1 (col 4)");
  WAVE_ERR("point", "{:}", TYPE, "at .: missing field 'x' (col 3)");
  WAVE_ERR("point", "{}", TYPE, "at .: missing field 'x' (col 2)");
  WAVE_ERR("point", "{1: 2}", SYNTAX, "at .: expected a field name, got number 1 (col 2)");
  WAVE_ERR("all-opt", "{}", SYNTAX, "at .: a record with every field omitted is written {:} (col 1)");
  WAVE_ERR("point", "[1]", TYPE, "at .: expected record point, got '[' (col 1)");
  WAVE_ERR("point", "{x: 1, y: 2", SYNTAX, "at .: expected ',' or '}', got end of input (col 12)");
  WAVE_ERR("pair", "(1)", TYPE, "at .: expected 2 values for tuple<u32, string>, got 1 (col 3)");
  WAVE_ERR("pair", "(1, \"a\", 3)", TYPE,
           "at .: too many values for tuple<u32, string> (expected 2) (col 10)");
  WAVE_ERR("pair", "()", TYPE, "at .: expected 2 values for tuple<u32, string>, got 0 (col 2)");
  WAVE_ERR("pair", "(1; 2)", SYNTAX, "at .: unexpected character ';' (col 3)");
  WAVE_ERR("bytes", "[1, 2", SYNTAX, "at .: expected ',' or ']', got end of input (col 6)");
  WAVE_ERR("bytes", "[1,,2]", SYNTAX, "at .[1]: expected u8, got ',' (col 4)");
  WAVE_ERR("bytes", "[1, 300]", TYPE, "at .[1]: number 300 is out of range for u8 (col 5)");
  WAVE_ERR("shape", "circle", TYPE, "at .: case circle needs a payload: circle(<f64>) (col 7)");
  WAVE_ERR("shape", "empty(1)", TYPE, "at .: case empty has no payload (col 6)");
  WAVE_ERR("shape", "square(1)", TYPE, "at .: variant shape has no case 'square' (col 1)");
  WAVE_ERR("shape", "none", SYNTAX,
           "at .: case none is a WAVE keyword and must be written %none (col 1)");
  WAVE_ERR("shape", "some(1)", SYNTAX,
           "at .: case some is a WAVE keyword and must be written %some (col 1)");
  WAVE_ERR("shape", "true", TYPE, "at .: expected variant shape, got keyword true (col 1)");
  WAVE_ERR("shape", "rect((1, \"x\"))", TYPE,
           "at .rect[1]: expected f32, got string \"x\" (col 10)");
  WAVE_ERR("shape", "circle(1", SYNTAX, "at .: expected ')', got end of input (col 9)");
  WAVE_ERR("status", "ok", SYNTAX, "at .: case ok is a WAVE keyword and must be written %ok (col 1)");
  WAVE_ERR("status", "done", TYPE, "at .: enum status has no case 'done' (col 1)");
  WAVE_ERR("status", "PENDING", TYPE, "at .: enum status has no case 'PENDING' (col 1)");
  WAVE_ERR("status", "Pending", SYNTAX, "at .: invalid label 'Pending' (col 1)");
  WAVE_ERR("status", "pEnding", SYNTAX, "at .: invalid label 'pEnding' (col 1)");
  WAVE_ERR("status", "a--b", SYNTAX, "at .: invalid label 'a--b' (col 1)");
  WAVE_ERR("status", "a-", SYNTAX, "at .: invalid label 'a-' (col 1)");
  WAVE_ERR("status", "%", SYNTAX, "at .: invalid label '%' (col 1)");
  WAVE_ERR("o-u32", "some(\"x\")", TYPE, "at .: expected u32, got string \"x\" (col 6)");
  WAVE_ERR("o-u32", "some 1", SYNTAX, "at .: expected '(', got number 1 (col 6)");
  WAVE_ERR("o-u32", "\"x\"", TYPE, "at .: expected u32, got string \"x\" (col 1)");
  WAVE_ERR("oo", "\"x\"", TYPE, "at .: expected option<option<string>>, got string \"x\" (col 1)");
  WAVE_ERR("o-res", "ok(1)", TYPE,
           "at .: expected option<result<u32, string>>, got keyword ok (col 1)");
  WAVE_ERR("r-opt", "3", TYPE, "at .: expected result<option<u32>, string>, got number 3 (col 1)");
  WAVE_ERR("r-ok", "ok", TYPE, "at .: case ok needs a payload: ok(<u32>) (col 3)");
  WAVE_ERR("r-ok", "err(1)", TYPE, "at .: case err has no payload (col 4)");
  WAVE_ERR("r-err", "err(1)", TYPE, "at .err: expected string, got number 1 (col 5)");
  WAVE_ERR("r-none", "ok(1)", TYPE, "at .: case ok has no payload (col 3)");
  WAVE_ERR("res", "err(circle(\"r\"))", TYPE,
           "at .err.circle: expected f64, got string \"r\" (col 12)");
  WAVE_ERR("res", "ok([1, -1])", TYPE, "at .ok[1]: number -1 is out of range for u8 (col 8)");
  WAVE_ERR("perms", "{read, read}", TYPE, "at .: flag 'read' appears twice (col 8)");
  WAVE_ERR("perms", "{run}", TYPE, "at .: flags perms has no flag 'run' (col 2)");
  WAVE_ERR("perms", "{read: true}", SYNTAX, "at .: expected ',' or '}', got ':' (col 6)");
  WAVE_ERR("perms", "{:}", SYNTAX, "at .: expected a flag name, got ':' (col 2)");
  WAVE_ERR("flag-pair", "({read}, {write}, )x", SYNTAX,
           "at .: unexpected label x after the value (col 20)");
  WAVE_ERR("h", "file(1)", TYPE, "at .: expected own<blob>, got label file (col 1)");
  WAVE_ERR("h", "blob(-1)", TYPE, "at .: expected a u32 handle index, got number -1 (col 6)");
  WAVE_ERR("h", "blob", SYNTAX, "at .: expected '(', got end of input (col 5)");
  WAVE_ERR("lo", "[none, {x: 1, y: 2}, {x: 1}]", TYPE, "at .[2]: missing field 'y' (col 27)");
  WAVE_ERR("nested", "[[(1, some([\"a\", 2]))]]", TYPE,
           "at .[0][0][1][1]: expected string, got number 2 (col 18)");
  WAVE_ERR("order",
           "{\n  id: 1,\n  items: [],\n  status: pending,\n  meta: some(some(5)),\n  perms: {}\n}",
           TYPE, "at .meta: expected string, got number 5 (line 5, col 19)");
  WAVE_ERR("complex", "({id: 1, items: [], status: pending, perms: {}}, ok([]), [({x}, {})], none)",
           TYPE, "at .[2][0][0]: flags perms has no flag 'x' (col 61)");
}

/* ---- JSON ---- */

TEST(json_forms) {
  json_case("t-u8", " 7 ", "7");
  json_case("t-u64", "\"18446744073709551615\"", "\"18446744073709551615\"");
  json_case("t-u64", "\"12\"", "12");
  json_case("t-s64", "\"-5\"", "-5");
  json_case("t-s64", "-9223372036854775808", "\"-9223372036854775808\"");
  json_case("t-f64", "1.0", "1");
  json_case("t-f64", "-0.0", "-0");
  json_case("t-f64", "1E+2", "100");
  json_case("t-f64", "\"nan\"", "\"nan\"");
  json_case("t-f32", "\"inf\"", "\"inf\"");
  json_case("t-f32", "3", "3");
  json_case("t-char", "\"\\ud83d\\ude00\"", "\"😀\"");
  json_case("t-string", "\"a\\/b\\b\\f\\u00e9\\u0001\"", "\"a/b\\b\\fé\\u0001\"");
  json_case("t-string", "\"\\u2029\"", "\"\\u2029\"");
  json_case("point", "{\"y\": 2, \"x\": 1}", "{\"x\":1,\"y\":2}");
  json_case("all-opt", "{}", "{\"a\":null,\"b\":null}");
  json_case("all-opt", "{\"b\": null, \"a\": 3}", "{\"a\":3,\"b\":null}");
  json_case("shape", "{\"empty\": null}", "\"empty\"");
  json_case("shape", " { \"circle\" : 2 } ", "{\"circle\":2}");
  json_case("r-none", "{\"err\": null}", "\"err\"");
  json_case("perms", "[\"exec\", \"read\"]", "[\"read\",\"exec\"]");
  json_case("oo", "{\"some\": null}", "{\"some\":null}");
  json_case("h", "12", "12");
  json_case("pair", "[1, \"x\"]", "[1,\"x\"]");
  json_case("bytes", "[ ]", "[]");
}

TEST(json_errors) {
  JSON_ERR("items", "[{\"name\": \"a\", \"price\": 1, \"tags\": []}, {\"name\": \"b\", \"price\": "
           "\"abc\", \"tags\": []}]",
           TYPE, "at .[1].price: expected u32, got string \"abc\" (col 64)");
  JSON_ERR("t-u8", "256", TYPE, "at .: number 256 is out of range for u8 (col 1)");
  JSON_ERR("t-u8", "1.0", TYPE, "at .: expected u8, got number 1.0 (col 1)");
  JSON_ERR("t-u8", "\"1\"", TYPE, "at .: expected u8, got string \"1\" (col 1)");
  JSON_ERR("t-u64", "\"01\"", TYPE, "at .: expected u64, got string \"01\" (col 1)");
  JSON_ERR("t-u64", "\"-1\"", TYPE, "at .: number -1 is out of range for u64 (col 1)");
  JSON_ERR("t-u32", "01", SYNTAX, "at .: invalid number '01' (col 1)");
  JSON_ERR("t-u32", "+1", SYNTAX, "at .: invalid token '+1' (col 1)");
  JSON_ERR("t-f64", "NaN", SYNTAX, "at .: invalid token 'NaN' (col 1)");
  JSON_ERR("t-f64", "\"NaN\"", TYPE, "at .: expected f64, got string \"NaN\" (col 1)");
  JSON_ERR("t-f64", "1e400", TYPE, "at .: number 1e400 is out of range for f64 (col 1)");
  JSON_ERR("t-bool", "1", TYPE, "at .: expected bool, got number 1 (col 1)");
  JSON_ERR("t-bool", "tru", SYNTAX, "at .: invalid token 'tru' (col 1)");
  JSON_ERR("t-char", "\"ab\"", TYPE, "at .: expected char, got a string of several characters (col 1)");
  JSON_ERR("t-char", "\"\"", TYPE, "at .: expected char, got a string of no characters (col 1)");
  JSON_ERR("t-string", "\"\\ud800\"", SYNTAX, "at .: unpaired surrogate \\ud800 (col 2)");
  JSON_ERR("t-string", "\"\\udc00\\ud800\"", SYNTAX, "at .: unpaired surrogate \\udc00 (col 2)");
  JSON_ERR("t-string", "\"\\x\"", SYNTAX, "at .: invalid escape sequence (col 2)");
  JSON_ERR("t-string", "\"\\u12\"", SYNTAX, "at .: invalid \\u escape (col 2)");
  JSON_ERR("t-string", "\"a\tb\"", SYNTAX, "at .: control character in string (escape it) (col 3)");
  JSON_ERR("t-string", "\"abc", SYNTAX, "at .: unterminated string (col 1)");
  JSON_ERR("t-string", "\"a\" \"b\"", SYNTAX, "at .: unexpected string \"b\" after the value (col 5)");
  JSON_ERR("t-string", "", SYNTAX, "at .: expected string, got end of input (col 1)");
  JSON_ERR("t-string", "null", TYPE, "at .: expected string, got null (col 1)");
  JSON_ERR("bytes", "[1,]", SYNTAX, "at .[1]: expected u8, got ']' (col 4)");
  JSON_ERR("bytes", "[1 2]", SYNTAX, "at .: expected ',' or ']', got number 2 (col 4)");
  JSON_ERR("bytes", "{}", TYPE, "at .: expected list<u8>, got object (col 1)");
  JSON_ERR("pair", "[1]", TYPE, "at .: expected 2 values for tuple<u32, string>, got 1 (col 3)");
  JSON_ERR("pair", "[1, \"a\", 2]", TYPE,
           "at .: too many values for tuple<u32, string> (expected 2) (col 10)");
  JSON_ERR("point", "{\"x\": 1}", TYPE, "at .: missing field \"y\" (col 8)");
  JSON_ERR("point", "{\"x\": 1, \"x\": 2}", TYPE, "at .: field \"x\" appears twice (col 10)");
  JSON_ERR("point", "{\"x\": 1, \"z\": 2}", TYPE, "at .: record point has no field \"z\" (col 10)");
  JSON_ERR("point", "{x: 1}", SYNTAX, "at .: invalid token 'x' (col 2)");
  JSON_ERR("point", "{\"x\" 1}", SYNTAX, "at .: expected ':', got number 1 (col 6)");
  JSON_ERR("point", "{\"x\": 1,}", SYNTAX, "at .: expected a string key, got '}' (col 9)");
  JSON_ERR("shape", "\"circle\"", TYPE, "at .: case circle needs a payload: {\"circle\": ...} (col 1)");
  JSON_ERR("shape", "{\"empty\": 1}", TYPE, "at .: case empty has no payload (use null) (col 11)");
  JSON_ERR("shape", "{\"circle\": 1, \"empty\": null}", TYPE,
           "at .: a variant object has exactly one key, the case name (col 13)");
  JSON_ERR("shape", "{}", TYPE, "at .: expected one case, got an empty object (col 2)");
  JSON_ERR("shape", "\"square\"", TYPE, "at .: variant shape has no case \"square\" (col 1)");
  JSON_ERR("shape", "{\"rect\": [1, true]}", TYPE, "at .rect[1]: expected f32, got true (col 14)");
  JSON_ERR("status", "{\"ok\": null}", TYPE, "at .: expected enum status, got object (col 1)");
  JSON_ERR("r-ok", "{\"ok\": \"x\"}", TYPE, "at .ok: expected u32, got string \"x\" (col 8)");
  JSON_ERR("r-ok", "{\"maybe\": 1}", TYPE, "at .: result  has no case \"maybe\" (col 2)");
  JSON_ERR("oo", "\"x\"", TYPE, "at .: expected option<option<string>>, got string \"x\" (col 1)");
  JSON_ERR("oo", "{\"value\": \"x\"}", TYPE,
           "at .: expected the key \"some\" (an option of an option) (col 2)");
  JSON_ERR("perms", "[\"read\", \"read\"]", TYPE, "at .: flag \"read\" appears twice (col 10)");
  JSON_ERR("perms", "[\"run\"]", TYPE, "at .: flags perms has no flag \"run\" (col 2)");
  JSON_ERR("perms", "[1]", TYPE, "at .: expected a flag name, got number 1 (col 2)");
  JSON_ERR("h", "-1", TYPE, "at .: expected own<blob>, got number -1 (col 1)");
  JSON_ERR("order", "{\n \"id\": 1,\n \"items\": [{\"name\": \"n\", \"price\": 1, \"tags\": [1]}],\n"
           " \"status\": \"pending\", \"perms\": []}",
           TYPE, "at .items[0].tags[0]: expected string, got number 1 (line 3, col 47)");
  JSON_ERR("t-string", "\"\xc0\x80\"", SYNTAX, "at .: input is not valid UTF-8 (col 2)");
}

/* ---- conversions, tree operations, checking ---- */

TEST(wave_to_json_to_value) {
  /* For a range of values: WAVE -> value -> JSON -> value must be equal. */
  static const struct {
    const char *type, *wave;
  } cases[] = {
      {"order", "{id: 18446744073709551615, items: [{name: \"\\u{1F600}\\n\", price: 0, tags: "
                "[\"\", \"\\\"\"], note: \"n\"}], status: not-found, meta: none, perms: {read, "
                "write, exec}}"},
      {"complex", "({id: 0, items: [], status: %none, meta: some(some(\"m\")), perms: {write}}, "
                  "[255, 0], [({}, {exec}), ({read}, {})], %none)"},
      {"res", "err(%some(9))"},
      {"res", "err(%err(\"\"))"},
      {"lo", "[none, none]"},
      {"nested", "[[(0, none), (1, some([\"\\u{0}\"]))]]"},
      {"t-f32", "-1.1754944e-38"},
      {"t-f64", "2.2250738585072014e-308"},
      {"o-shape", "some(rect((nan, -inf)))"},
  };
  for (size_t i = 0; i < BT_ARRAY_LEN(cases); i++) {
    const bt_wit_type_t *t = T(cases[i].type);
    baton_value_t a, b;
    ASSERT_OK(bt_wave_parse(cases[i].wave, strlen(cases[i].wave), t, &a));
    char js[4096];
    snprintf(js, sizeof js, "%s", json_str(&a, t));
    ASSERT_OK(bt_json_parse(js, strlen(js), t, &b));
    if (!baton_value_equal(&a, &b)) T_FAIL_("case %zu: %s -> %s differs", i, cases[i].wave, js);
    /* And the canonical WAVE of both is identical. */
    char w1[4096];
    snprintf(w1, sizeof w1, "%s", wave_str(&a, t));
    ASSERT_STREQ(wave_str(&b, t), w1);
    baton_value_clear(&a);
    baton_value_clear(&b);
  }
}

TEST(copy_equal) {
  const bt_wit_type_t *t = T("complex");
  const char *text = "({id: 9, items: [{name: \"a\", price: 1, tags: [\"t\"]}], status: shipped, "
                     "perms: {read}}, ok([1]), [], some(circle(1)))";
  baton_value_t a, b;
  ASSERT_OK(bt_wave_parse(text, strlen(text), t, &a));
  ASSERT_TRUE(baton_value_copy(&b, &a));
  ASSERT_TRUE(baton_value_equal(&a, &b));
  /* The copy is deep: changing it leaves the original alone. */
  baton_value_t *name = &b.of.seq.items[0].of.seq.items[1].of.seq.items[0].of.seq.items[0];
  ASSERT_EQ(name->kind, BATON_VALUE_STRING);
  name->of.str.ptr[0] = 'z';
  ASSERT_FALSE(baton_value_equal(&a, &b));
  name->of.str.ptr[0] = 'a';
  ASSERT_TRUE(baton_value_equal(&a, &b));
  b.of.seq.items[3].of.var.payload->of.var.payload->of.f64 = 2;
  ASSERT_FALSE(baton_value_equal(&a, &b));
  baton_value_clear(&b);
  ASSERT_EQ(b.kind, 0);
  /* Floats compare bitwise: NaN equals itself, 0 differs from -0. */
  baton_value_t n1 = {.kind = BATON_VALUE_F64}, n2;
  n1.of.f64 = NAN;
  ASSERT_TRUE(baton_value_copy(&n2, &n1));
  ASSERT_TRUE(baton_value_equal(&n1, &n2));
  baton_value_t z1 = {.kind = BATON_VALUE_F32}, z2 = {.kind = BATON_VALUE_F32};
  z1.of.f32 = 0.0f;
  z2.of.f32 = -0.0f;
  ASSERT_FALSE(baton_value_equal(&z1, &z2));
  /* Different kinds and payload presence differ. */
  baton_value_t o1 = {.kind = BATON_VALUE_OPTION}, o2 = {.kind = BATON_VALUE_OPTION};
  o2.of.var.payload = &n1;
  ASSERT_FALSE(baton_value_equal(&o1, &o2));
  ASSERT_FALSE(baton_value_equal(&o1, &n1));
  /* Empty strings: NULL and "" compare equal. */
  baton_value_t s1 = {.kind = BATON_VALUE_STRING}, s2;
  ASSERT_TRUE(baton_value_copy(&s2, &s1));
  ASSERT_NOT_NULL(s2.of.str.ptr);
  ASSERT_TRUE(baton_value_equal(&s1, &s2));
  baton_value_clear(&s2);
  /* Heap values. */
  baton_value_t *h = baton_value_new();
  ASSERT_NOT_NULL(h);
  ASSERT_TRUE(baton_value_copy(h, &a));
  ASSERT_TRUE(baton_value_equal(h, &a));
  baton_value_delete(h);
  baton_value_delete(NULL);
  baton_value_clear(&a);
}

/* Checks that printing v as `type` fails with exactly msg. */
static void print_err(const baton_value_t *v, const char *type, const char *msg) {
  ASSERT_STREQ(wave_str(v, T(type)), msg);
  ASSERT_STREQ(json_str(v, T(type)), msg);
}

TEST(check_values) {
  baton_value_t v = {.kind = BATON_VALUE_U32};
  v.of.u = 300;
  print_err(&v, "t-u8", "at .: expected u8, got a u32 value");
  v.kind = BATON_VALUE_U8;
  print_err(&v, "t-u8", "at .: expected u8, got 300 (out of range)");
  v.kind = BATON_VALUE_S8;
  v.of.s = -200;
  print_err(&v, "t-s8", "at .: expected s8, got -200 (out of range)");
  v.kind = BATON_VALUE_CHAR;
  v.of.ch = 0xD800;
  print_err(&v, "t-char", "at .: char U+D800 is not a Unicode scalar value");
  v.kind = BATON_VALUE_STRING;
  v.of.str.ptr = "a\xff";
  v.of.str.len = 2;
  print_err(&v, "t-string", "at .: string is not valid UTF-8 (byte 1)");
  v.of.str.ptr = NULL;
  print_err(&v, "t-string", "at .: string has a length but no bytes");
  v.kind = BATON_VALUE_FLAGS;
  v.of.flags = 8;
  print_err(&v, "perms", "at .: expected flags perms, got bits set past the last flag");
  v.kind = BATON_VALUE_ENUM;
  v.of.var.index = 5;
  v.of.var.payload = NULL;
  print_err(&v, "status", "at .: expected enum status, got case index 5");

  /* Nested problems are reported with their path. */
  const char *text = "({id: 1, items: [{name: \"a\", price: 1, tags: [\"t\"]}], status: shipped, "
                     "perms: {}}, err(circle(1)), [], none)";
  const bt_wit_type_t *t = T("complex");
  baton_value_t a;
  ASSERT_OK(bt_wave_parse(text, strlen(text), t, &a));
  baton_value_t *tag = &a.of.seq.items[0].of.seq.items[1].of.seq.items[0].of.seq.items[2]
                            .of.seq.items[0];
  tag->kind = BATON_VALUE_CHAR;
  print_err(&a, "complex", "at .[0].items[0].tags[0]: expected string, got a char value");
  tag->kind = BATON_VALUE_STRING;
  baton_value_t *circle = a.of.seq.items[1].of.var.payload;
  baton_value_t *payload = circle->of.var.payload;
  circle->of.var.payload = NULL;
  print_err(&a, "complex", "at .[1].err: case circle needs a payload");
  circle->of.var.index = 2; /* empty */
  circle->of.var.payload = payload;
  print_err(&a, "complex", "at .[1].err: case empty has no payload, but one is given");
  circle->of.var.index = 0;
  a.of.seq.items[2].kind = BATON_VALUE_TUPLE;
  print_err(&a, "complex", "at .[2]: expected list<tuple<perms, perms>>, got a tuple value");
  a.of.seq.items[2].kind = BATON_VALUE_LIST;
  a.of.seq.items[0].of.seq.len = 4;
  print_err(&a, "complex", "at .[0]: expected record order, got 4 members");
  a.of.seq.items[0].of.seq.len = 5;
  ASSERT_STREQ(wave_str(&a, t), "({id: 1, items: [{name: \"a\", price: 1, tags: [\"t\"]}], "
                                "status: shipped, perms: {}}, err(circle(1)), [], none)");
  baton_value_clear(&a);

  /* A bare resource type cannot carry a value. */
  baton_value_t hv = {.kind = BATON_VALUE_OWN};
  print_err(&hv, "blob", "at .: type resource cannot carry a value");
  WAVE_ERR("blob", "blob(1)", UNSUPPORTED, "at .: type resource cannot carry a value (col 1)");
}

TEST(strbuf) {
  bt_strbuf_t b = BT_STRBUF_INIT;
  ASSERT_STREQ(bt_strbuf_cstr(&b), "");
  ASSERT_TRUE(bt_strbuf_puts(&b, "ab"));
  ASSERT_TRUE(bt_strbuf_printf(&b, "%d-%s", 12, "x"));
  ASSERT_TRUE(bt_strbuf_put_utf8(&b, 0x1F600));
  ASSERT_TRUE(bt_strbuf_putc(&b, 0));
  ASSERT_EQ(b.len, 11);
  ASSERT_STREQ(b.data, "ab12-x😀");
  char big[1000];
  memset(big, 'q', sizeof big - 1);
  big[sizeof big - 1] = 0;
  ASSERT_TRUE(bt_strbuf_printf(&b, "%s", big));
  ASSERT_EQ(b.len, 11 + 999);
  bt_strbuf_truncate(&b, 2);
  ASSERT_STREQ(b.data, "ab");
  size_t n;
  char *s = bt_strbuf_take(&b, &n);
  ASSERT_STREQ(s, "ab");
  ASSERT_EQ(n, 2);
  ASSERT_NULL(b.data);
  bt_free(s);
  s = bt_strbuf_take(&b, &n); /* empty */
  ASSERT_STREQ(s, "");
  bt_free(s);
  /* Failure is sticky. */
  bt_alloc_fail_after(0);
  ASSERT_FALSE(bt_strbuf_puts(&b, "x"));
  bt_alloc_fail_after(-1);
  ASSERT_FALSE(bt_strbuf_puts(&b, "x"));
  ASSERT_NULL(bt_strbuf_take(&b, NULL));
  ASSERT_FALSE(b.failed);
  bt_strbuf_free(&b);
}

/* Runs the whole pipeline once: parse WAVE and JSON, print both, copy.
 * Returns NULL or the first error. */
static baton_error_t *pipeline(void) {
  static const char *wave =
      "{id: 42, items: [{name: \"p\\u{e9}n\", price: 3, tags: [\"office\", \"x\"]},\n"
      "  {name: \"\"\"\n    ink\n    \"\"\", price: 7, tags: [], discount: 2}], status: %ok,\n"
      "  meta: some(some(\"m\")), perms: {read, exec}}";
  const bt_wit_type_t *t = T("order");
  baton_value_t v, j, c;
  bt_strbuf_t b = BT_STRBUF_INIT;
  baton_error_t *e = bt_wave_parse(wave, strlen(wave), t, &v);
  if (e) return e;
  e = bt_wave_print(&v, t, &b);
  if (!e) {
    bt_strbuf_truncate(&b, 0);
    e = bt_json_print(&v, t, &b);
  }
  if (!e) e = bt_json_parse(b.data, b.len, t, &j);
  if (!e) {
    if (!baton_value_copy(&c, &j)) {
      e = baton_error_new(BATON_ENO_MEMORY, "copy");
    } else {
      if (!baton_value_equal(&c, &v)) abort();
      baton_value_clear(&c);
    }
    baton_value_clear(&j);
  }
  /* Error paths allocate too. */
  if (!e) {
    baton_error_t *pe = bt_wave_parse("{id: 1, items: [{name: 1}]}", 27, t, &j);
    if (!pe) abort();
    if (baton_error_code(pe) == BATON_ENO_MEMORY) e = pe;
    else baton_error_delete(pe);
  }
  if (!e) {
    baton_error_t *pe = bt_json_parse("{\"id\": \"x\"}", 11, t, &j);
    if (!pe) abort();
    if (baton_error_code(pe) == BATON_ENO_MEMORY) e = pe;
    else baton_error_delete(pe);
  }
  baton_value_clear(&v);
  bt_strbuf_free(&b);
  return e;
}

TEST(alloc_failures) {
  baton_error_t *e = pipeline();
  ASSERT_OK(e);
  int failures = 0;
  for (long n = 0;; n++) {
    bt_alloc_fail_after(n);
    e = pipeline();
    long failed = bt_alloc_fail_after(-1);
    if (!failed) {
      ASSERT_OK(e);
      break;
    }
    failures++;
    ASSERT_NOT_NULL(e);
    if (baton_error_code(e) != BATON_ENO_MEMORY)
      T_FAIL_("n=%ld: expected NO_MEMORY, got %s", n, baton_error_message(e));
    baton_error_delete(e);
  }
  ASSERT_TRUE(failures > 20);
  fprintf(stderr, "   %d injected allocation failures, all reported as NO_MEMORY\n", failures);
}

/* map, future, stream, error-context and field-less records parse in WIT
 * but have no value form: every entry point refuses them by name. */
TEST(unsupported_types) {
  bt_wit_resolve_t *r = NULL;
  ASSERT_OK(bt_wit_parse_string("unsup.wit",
                                "package t:u;\n"
                                "interface i {\n"
                                "  record empty {}\n"
                                "  type m = map<string, u32>;\n"
                                "  type s = stream<u8>;\n"
                                "  type f = future;\n"
                                "  type e = error-context;\n"
                                "  type nested = list<option<tuple<u8, future<string>>>>;\n"
                                "  type holder = option<empty>;\n"
                                "}\n",
                                &r));
  const bt_wit_interface_t *i = r->main->interfaces[0];
  static const struct {
    const char *type, *msg;
  } cases[] = {
      {"m", "values of type map<string, u32> are not supported (maps)"},
      {"s", "values of type stream<u8> are not supported (component-model async)"},
      {"f", "values of type future are not supported (component-model async)"},
      {"e", "values of type error-context are not supported (component-model async)"},
      {"empty", "values of type empty are not supported (a record needs at least one field)"},
      {"nested", "values of type nested are not supported: it contains future<string> "
                 "(component-model async)"},
      {"holder", "values of type holder are not supported: it contains empty (a record needs at "
                 "least one field)"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    const bt_wit_type_t *t = bt_wit_interface_type(i, cases[k].type);
    ASSERT_NOT_NULL(t);
    baton_value_t v;
    baton_error_t *e = bt_wave_parse("[]", 2, t, &v);
    ASSERT_NOT_NULL(e);
    ASSERT_EQ(baton_error_code(e), BATON_EUNSUPPORTED);
    ASSERT_STREQ(baton_error_message(e), cases[k].msg);
    baton_error_delete(e);
    e = bt_json_parse("[]", 2, t, &v);
    ASSERT_NOT_NULL(e);
    ASSERT_STREQ(baton_error_message(e), cases[k].msg);
    baton_error_delete(e);
    baton_value_t z = {.kind = BATON_VALUE_LIST};
    bt_strbuf_t b = BT_STRBUF_INIT;
    e = bt_wave_print(&z, t, &b);
    ASSERT_NOT_NULL(e);
    ASSERT_STREQ(baton_error_message(e), cases[k].msg);
    baton_error_delete(e);
    e = bt_json_print(&z, t, &b);
    ASSERT_NOT_NULL(e);
    ASSERT_STREQ(baton_error_message(e), cases[k].msg);
    baton_error_delete(e);
    ASSERT_EQ(b.len, 0);
    bt_strbuf_free(&b);
  }
  bt_wit_free(r);
}

/* `test_value print-floats`: reads lines `f32 HEX` / `f64 HEX` (bit
 * patterns) from stdin and prints each value's WAVE form on its own line,
 * for tests/value/test_value_xcheck.sh. */
static int print_floats(void) {
  char kind[8];
  unsigned long long bits;
  while (scanf("%7s %llx", kind, &bits) == 2) {
    bool is_f32 = strcmp(kind, "f32") == 0;
    baton_value_t v = {.kind = is_f32 ? BATON_VALUE_F32 : BATON_VALUE_F64};
    if (is_f32) {
      uint32_t b32 = (uint32_t)bits;
      memcpy(&v.of.f32, &b32, 4);
    } else {
      memcpy(&v.of.f64, &bits, 8);
    }
    printf("%s\n", wave_str(&v, T(is_f32 ? "t-f32" : "t-f64")));
  }
  return 0;
}

int main(int argc, char **argv) {
  baton_error_t *e = bt_wit_parse_string("values.wit", WIT, &g_resolve);
  if (e) {
    fprintf(stderr, "fixture: %s\n", baton_error_message(e));
    return 1;
  }
  g_iface = g_resolve->main->interfaces[0];
  if (argc == 2 && strcmp(argv[1], "print-floats") == 0) return print_floats();
  RUN(wave_bool_int);
  RUN(wave_floats);
  RUN(wave_float_locale);
  RUN(float_round_trips);
  RUN(unsupported_types);
  RUN(wave_chars);
  RUN(wave_strings);
  RUN(wave_multiline_strings);
  RUN(wave_lists_tuples);
  RUN(wave_records);
  RUN(wave_variants_enums);
  RUN(wave_options);
  RUN(wave_results);
  RUN(wave_flags_handles);
  RUN(wave_nested);
  RUN(wave_errors_scalars);
  RUN(wave_errors_paths);
  RUN(json_forms);
  RUN(json_errors);
  RUN(wave_to_json_to_value);
  RUN(copy_equal);
  RUN(check_values);
  RUN(strbuf);
  RUN(alloc_failures);
  bt_wit_free(g_resolve);
  TEST_MAIN_END();
}
