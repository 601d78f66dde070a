/*
 * fuzz/fuzz_json.c: libFuzzer target for the JSON mapping of values
 * (src/value/value.h); the companion of fuzz_wave.c with the same types.
 *
 * The first input byte picks one of a fixed set of WIT types (together they
 * use every kind of type, nested: records with options, variants whose cases
 * are WAVE keywords, results, flags, handles, nested options); the rest is
 * parsed as JSON text of that type. A failed parse must leave the value
 * zeroed and produce a message that names a path ("at .") with a SYNTAX,
 * TYPE or LIMIT code. A successful parse must survive the round trips the
 * module promises: the printed JSON parses back to an equal value and
 * prints identically (printing is a fixpoint), and the WAVE form does the
 * same. Sanitizers catch memory errors and leaks.
 *
 * Seeds: JSON texts such as those in tests/value/test_value.c, each prefixed
 * with a byte selecting the type (index = byte % number of types).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "value/value.h"
#include "wit/wit.h"

static const char *const WIT =
    "package fuzz:values;\n"
    "interface types {\n"
    "  record item { name: string, price: u32, tags: list<string>, discount: option<u8>,\n"
    "                note: option<string> }\n"
    "  variant shape { circle(f64), rect(tuple<f32, f32>), empty, none, err(string), some(u8) }\n"
    "  enum status { pending, ok, none, not-found }\n"
    "  flags perms { read, write, exec }\n"
    "  record all-opt { a: option<u8>, b: option<option<string>> }\n"
    "  resource blob;\n"
    "  type t0 = list<item>;\n"
    "  type t1 = tuple<option<option<char>>, result<list<u8>, shape>, option<shape>, result>;\n"
    "  type t2 = list<tuple<perms, status, s64, u64, s8, u16, bool, s16, s32>>;\n"
    "  type t3 = tuple<own<blob>, borrow<blob>, list<result<_, string>>, f32, f64>;\n"
    "  type t4 = list<all-opt>;\n"
    "  type t5 = result<option<u32>, list<option<shape>>>;\n"
    "  type t6 = list<list<list<tuple<string, char>>>>;\n"
    "  type t7 = option<result<u32, option<status>>>;\n"
    "}\n";

#define NTYPES 8

static const bt_wit_type_t *g_types[NTYPES];
static bt_wit_resolve_t *g_resolve; /* lives for the whole process */

static void init(void) {
  baton_error_t *e = bt_wit_parse_string("fuzz.wit", WIT, &g_resolve);
  if (e) {
    fprintf(stderr, "%s\n", baton_error_message(e));
    abort();
  }
  for (int i = 0; i < NTYPES; i++) {
    char name[8];
    snprintf(name, sizeof name, "t%d", i);
    g_types[i] = bt_wit_interface_type(g_resolve->main->interfaces[0], name);
    if (!g_types[i]) abort();
  }
}

/* Prints v with `print`, parses the text back with `parse`, and checks
 * equality and that printing the result gives the same text. */
static void round_trip(const baton_value_t *v, const bt_wit_type_t *t,
                       baton_error_t *(*print)(const baton_value_t *, const bt_wit_type_t *,
                                               bt_strbuf_t *),
                       baton_error_t *(*parse)(const char *, size_t, const bt_wit_type_t *,
                                               baton_value_t *)) {
  bt_strbuf_t a = BT_STRBUF_INIT, b = BT_STRBUF_INIT;
  baton_value_t w;
  baton_error_t *e = print(v, t, &a);
  if (e) {
    fprintf(stderr, "print failed: %s\n", baton_error_message(e));
    abort();
  }
  e = parse(a.data, a.len, t, &w);
  if (e) {
    fprintf(stderr, "reparse of %s failed: %s\n", a.data, baton_error_message(e));
    abort();
  }
  if (!baton_value_equal(v, &w)) {
    fprintf(stderr, "round trip changed the value: %s\n", a.data);
    abort();
  }
  e = print(&w, t, &b);
  if (e || a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
    fprintf(stderr, "printing is not a fixpoint:\n%s\n%s\n", a.data, b.data);
    abort();
  }
  baton_value_clear(&w);
  bt_strbuf_free(&a);
  bt_strbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g_types[0]) init();
  if (size < 1) return 0;
  const bt_wit_type_t *t = g_types[data[0] % NTYPES];
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  baton_value_t v;
  baton_error_t *e = bt_json_parse(text, len, t, &v);
  if (e) {
    baton_errno_t code = baton_error_code(e);
    if (v.kind != 0 || strncmp(baton_error_message(e), "at .", 4) != 0 ||
        (code != BATON_ESYNTAX && code != BATON_ETYPE && code != BATON_ELIMIT))
      abort();
    baton_error_delete(e);
    return 0;
  }
  e = bt_value_check(&v, t);
  if (e) abort();
  round_trip(&v, t, bt_json_print, bt_json_parse);
  round_trip(&v, t, bt_wave_print, bt_wave_parse);
  baton_value_t c;
  if (!baton_value_copy(&c, &v) || !baton_value_equal(&c, &v)) abort();
  baton_value_clear(&c);
  baton_value_clear(&v);
  return 0;
}
