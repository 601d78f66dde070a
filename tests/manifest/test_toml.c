/*
 * tests/manifest/test_toml.c: tests of the TOML 1.0 parser (src/manifest/
 * toml.h).
 *
 * Unit tests check values, positions (line:col of values and keys), the
 * redefinition rules and the exact shape of error messages. The corpus test
 * runs every TOML 1.0 case of the toml-test suite, found at
 * $BATON_SOURCE_DIR/../shared/data/toml-test (a missing corpus is a
 * failure): each valid document is converted to toml-test's tagged JSON and
 * compared semantically with the expected .json using the small JSON reader
 * below; each invalid document must be rejected with a positioned syntax
 * error. An allocation-failure loop checks that every failure point frees
 * everything.
 */
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "../test.h"
#include "baton/error.h"
#include "manifest/toml.h"
#include "util/common.h"

/* ---- helpers ---- */

/* Parses text as "baton.toml", failing the test on error. */
static bt_toml_value_t *parse_ok(const char *text) {
  bt_toml_value_t *root = NULL;
  baton_error_t *err = bt_toml_parse(text, strlen(text), "baton.toml", &root);
  if (err) {
    fprintf(stderr, "unexpected error: %s\n", baton_error_message(err));
    baton_error_delete(err);
    T_FAIL_("parse failed");
  }
  return root;
}

/* Parses text as "baton.toml", expecting failure; returns the message in a
 * static buffer. */
static const char *parse_err(const char *text) {
  static char msg[2048];
  bt_toml_value_t *root = NULL;
  baton_error_t *err = bt_toml_parse(text, strlen(text), "baton.toml", &root);
  if (!err) {
    bt_toml_free(root);
    T_FAIL_("expected an error for: %s", text);
  }
  if (root) T_FAIL_("root set on error");
  snprintf(msg, sizeof msg, "%s", baton_error_message(err));
  if (baton_error_code(err) != BATON_ESYNTAX) {
    baton_error_delete(err);
    T_FAIL_("expected a SYNTAX error, got: %s", msg);
  }
  baton_error_delete(err);
  return msg;
}

/* Looks up a dotted path of bare keys ("a.b.c") from the root. */
static const bt_toml_value_t *path(const bt_toml_value_t *root,
                                   const char *dotted) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", dotted);
  const bt_toml_value_t *v = root;
  for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v;
       k = strtok_r(NULL, ".", &save))
    v = bt_toml_table_get(v, k);
  return v;
}

/* ---- a growable string for the JSON writer ---- */

typedef struct {
  char *p;
  size_t len, cap;
} buf_t;

static void buf_put(buf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    b->p = realloc(b->p, cap);
    if (!b->p) abort();
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void buf_puts(buf_t *b, const char *s) { buf_put(b, s, strlen(s)); }

static void json_string(buf_t *b, const char *s, size_t n) {
  buf_puts(b, "\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c == '"' || c == '\\') {
      esc[0] = '\\', esc[1] = (char)c, esc[2] = 0;
      buf_puts(b, esc);
    } else if (c < 0x20 || c == 0x7f) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      buf_puts(b, esc);
    } else {
      buf_put(b, (const char *)&c, 1);
    }
  }
  buf_puts(b, "\"");
}

/* Writes v in toml-test's tagged JSON form. */
static void to_json(buf_t *b, const bt_toml_value_t *v) {
  char num[64];
  const char *type = NULL, *text = num;
  switch (bt_toml_kind(v)) {
    case BT_TOML_TABLE:
      buf_puts(b, "{");
      for (size_t i = 0; i < bt_toml_table_len(v); i++) {
        const bt_toml_entry_t *e = bt_toml_table_entry(v, i);
        if (i) buf_puts(b, ",");
        json_string(b, e->key, e->key_len);
        buf_puts(b, ":");
        to_json(b, e->value);
      }
      buf_puts(b, "}");
      return;
    case BT_TOML_ARRAY:
      buf_puts(b, "[");
      for (size_t i = 0; i < bt_toml_array_len(v); i++) {
        if (i) buf_puts(b, ",");
        to_json(b, bt_toml_array_at(v, i));
      }
      buf_puts(b, "]");
      return;
    case BT_TOML_STRING: {
      size_t n;
      const char *s = bt_toml_string(v, &n);
      buf_puts(b, "{\"type\":\"string\",\"value\":");
      json_string(b, s, n);
      buf_puts(b, "}");
      return;
    }
    case BT_TOML_INTEGER: {
      int64_t i;
      bt_toml_integer(v, &i);
      snprintf(num, sizeof num, "%" PRId64, i);
      type = "integer";
      break;
    }
    case BT_TOML_FLOAT: {
      double f;
      bt_toml_float(v, &f);
      if (isnan(f))
        text = "nan";
      else if (isinf(f))
        text = f < 0 ? "-inf" : "inf";
      else
        snprintf(num, sizeof num, "%.17g", f);
      type = "float";
      break;
    }
    case BT_TOML_BOOL: {
      bool x;
      bt_toml_bool(v, &x);
      text = x ? "true" : "false";
      type = "bool";
      break;
    }
    case BT_TOML_DATETIME:
      type = "datetime";
      text = bt_toml_datetime_text(v);
      break;
    case BT_TOML_LOCAL_DATETIME:
      type = "datetime-local";
      text = bt_toml_datetime_text(v);
      break;
    case BT_TOML_LOCAL_DATE:
      type = "date-local";
      text = bt_toml_datetime_text(v);
      break;
    case BT_TOML_LOCAL_TIME:
      type = "time-local";
      text = bt_toml_datetime_text(v);
      break;
  }
  buf_puts(b, "{\"type\":\"");
  buf_puts(b, type);
  buf_puts(b, "\",\"value\":");
  json_string(b, text, strlen(text));
  buf_puts(b, "}");
}

/* ---- a small JSON reader ---- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jkind_t;

typedef struct jnode {
  jkind_t kind;
  char *s; /* J_STR text, J_NUM text; "true"/"false" */
  size_t slen;
  size_t n;
  char **keys; /* J_OBJ */
  size_t *key_lens;
  struct jnode **items; /* J_ARR elements, J_OBJ values */
} jnode_t;

typedef struct {
  const char *s;
  size_t len, pos;
} jparser_t;

static void jfree(jnode_t *j) {
  if (!j) return;
  for (size_t i = 0; i < j->n; i++) {
    jfree(j->items[i]);
    if (j->keys) free(j->keys[i]);
  }
  free(j->items);
  free(j->keys);
  free(j->key_lens);
  free(j->s);
  free(j);
}

static void jws(jparser_t *p) {
  while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos])) p->pos++;
}

static void jput_utf8(buf_t *b, uint32_t cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (char)cp, n = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  buf_put(b, u, n);
}

static int jhex4(jparser_t *p, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    if (p->pos >= p->len) return 0;
    char c = p->s[p->pos++];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return 0;
    v = v * 16 + (uint32_t)d;
  }
  *out = v;
  return 1;
}

/* Reads a JSON string at p->pos (the opening quote). Returns 0 on error. */
static int jstring(jparser_t *p, char **out, size_t *out_len) {
  buf_t b = {0};
  buf_puts(&b, "");
  p->pos++;
  while (p->pos < p->len && p->s[p->pos] != '"') {
    char c = p->s[p->pos++];
    if (c != '\\') {
      buf_put(&b, &c, 1);
      continue;
    }
    if (p->pos >= p->len) break;
    char e = p->s[p->pos++];
    const char *simple = strchr("\"\\/bfnrt", e);
    if (simple && e) {
      static const char map[] = "\"\\/\b\f\n\r\t";
      buf_put(&b, &map[simple - "\"\\/bfnrt"], 1);
    } else if (e == 'u') {
      uint32_t cp, lo;
      if (!jhex4(p, &cp)) break;
      if (cp >= 0xD800 && cp < 0xDC00 && p->pos + 1 < p->len &&
          p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
        p->pos += 2;
        if (!jhex4(p, &lo)) break;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      }
      jput_utf8(&b, cp);
    } else {
      break;
    }
  }
  if (p->pos >= p->len || p->s[p->pos] != '"') {
    free(b.p);
    return 0;
  }
  p->pos++;
  *out = b.p;
  *out_len = b.len;
  return 1;
}

/* Reads any JSON value. Returns NULL on malformed input. */
static jnode_t *jvalue(jparser_t *p, int depth) {
  jws(p);
  if (p->pos >= p->len || depth > 500) return NULL;
  jnode_t *j = calloc(1, sizeof *j);
  if (!j) abort();
  char c = p->s[p->pos];
  if (c == '{' || c == '[') {
    j->kind = c == '{' ? J_OBJ : J_ARR;
    char close = c == '{' ? '}' : ']';
    p->pos++;
    jws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
      p->pos++;
      return j;
    }
    for (;;) {
      char *key = NULL;
      size_t klen = 0;
      jws(p);
      if (j->kind == J_OBJ) {
        if (p->pos >= p->len || p->s[p->pos] != '"' || !jstring(p, &key, &klen))
          goto bad;
        jws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') {
          free(key);
          goto bad;
        }
        p->pos++;
      }
      jnode_t *item = jvalue(p, depth + 1);
      if (!item) {
        free(key);
        goto bad;
      }
      j->items = realloc(j->items, (j->n + 1) * sizeof *j->items);
      if (j->kind == J_OBJ) {
        j->keys = realloc(j->keys, (j->n + 1) * sizeof *j->keys);
        j->key_lens = realloc(j->key_lens, (j->n + 1) * sizeof *j->key_lens);
        j->keys[j->n] = key;
        j->key_lens[j->n] = klen;
      }
      j->items[j->n++] = item;
      jws(p);
      if (p->pos < p->len && p->s[p->pos] == ',') {
        p->pos++;
        continue;
      }
      if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return j;
      }
      goto bad;
    }
  }
  if (c == '"') {
    j->kind = J_STR;
    if (!jstring(p, &j->s, &j->slen)) goto bad;
    return j;
  }
  size_t start = p->pos;
  while (p->pos < p->len && strchr("+-.0123456789eEtruefalsn", p->s[p->pos]))
    p->pos++;
  size_t n = p->pos - start;
  j->s = strndup(p->s + start, n);
  j->slen = n;
  if (n == 4 && memcmp(j->s, "null", 4) == 0)
    j->kind = J_NULL;
  else if ((n == 4 && memcmp(j->s, "true", 4) == 0) ||
           (n == 5 && memcmp(j->s, "false", 5) == 0))
    j->kind = J_BOOL;
  else if (n > 0)
    j->kind = J_NUM;
  else
    goto bad;
  return j;
bad:
  jfree(j);
  return NULL;
}

/* Parses a whole JSON document; NULL if malformed. */
static jnode_t *jparse(const char *s, size_t len) {
  jparser_t p = {s, len, 0};
  jnode_t *j = jvalue(&p, 0);
  jws(&p);
  if (j && p.pos != len) {
    jfree(j);
    return NULL;
  }
  return j;
}

static const jnode_t *jget(const jnode_t *obj, const char *key, size_t klen) {
  for (size_t i = 0; i < obj->n; i++)
    if (obj->key_lens[i] == klen && memcmp(obj->keys[i], key, klen) == 0)
      return obj->items[i];
  return NULL;
}

/* Returns true if j is a toml-test tagged scalar {"type": s, "value": s}. */
static bool jtagged(const jnode_t *j) {
  if (j->kind != J_OBJ || j->n != 2) return false;
  const jnode_t *t = jget(j, "type", 4), *v = jget(j, "value", 5);
  return t && v && t->kind == J_STR && v->kind == J_STR;
}

/* Normalises the text of an RFC 3339 date, time or date-time: upper-case
 * 'T' and 'Z', a 'T' separator, seconds present, and the fraction with
 * trailing zeros (and an empty fraction) removed. */
static void norm_datetime(const char *s, char *out, size_t cap) {
  char tmp[128];
  snprintf(tmp, sizeof tmp, "%s", s);
  size_t n = strlen(tmp), o = 0;
  for (size_t i = 0; i < n && o + 1 < cap; i++) {
    char c = tmp[i];
    if (c == 't' || c == ' ') c = 'T';
    if (c == 'z') c = 'Z';
    if (c == '.') {
      size_t j = i + 1, k = j;
      while (k < n && tmp[k] >= '0' && tmp[k] <= '9') k++;
      size_t end = k;
      while (end > j && tmp[end - 1] == '0') end--;
      if (end > j) {
        out[o++] = '.';
        for (size_t m = j; m < end && o + 1 < cap; m++) out[o++] = tmp[m];
      }
      i = k - 1;
      continue;
    }
    out[o++] = c;
  }
  out[o] = 0;
}

/* Compares scalar tagged values; see the header for the rules. */
static bool scalar_equal(const char *type, const char *want, const char *got) {
  if (strcmp(type, "integer") == 0) {
    return strtoll(want, NULL, 10) == strtoll(got, NULL, 10);
  }
  if (strcmp(type, "float") == 0) {
    double a = strtod(want, NULL), b = strtod(got, NULL);
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
  }
  if (strncmp(type, "date", 4) == 0 || strncmp(type, "time", 4) == 0) {
    char na[128], nb[128];
    norm_datetime(want, na, sizeof na);
    norm_datetime(got, nb, sizeof nb);
    return strcmp(na, nb) == 0;
  }
  return strcmp(want, got) == 0;
}

/* Compares expected JSON want with actual JSON got; on a difference writes
 * a description (with the path) into why and returns false. */
static bool jequal(const jnode_t *want, const jnode_t *got, const char *where,
                   char *why, size_t cap) {
  if (jtagged(want)) {
    if (!jtagged(got)) {
      snprintf(why, cap, "%s: expected a tagged scalar", where);
      return false;
    }
    const jnode_t *wt = jget(want, "type", 4), *gt = jget(got, "type", 4);
    const jnode_t *wv = jget(want, "value", 5), *gv = jget(got, "value", 5);
    if (strcmp(wt->s, gt->s) != 0) {
      snprintf(why, cap, "%s: type %s, want %s", where, gt->s, wt->s);
      return false;
    }
    bool same =
        strcmp(wt->s, "string") == 0
            ? wv->slen == gv->slen && memcmp(wv->s, gv->s, wv->slen) == 0
            : scalar_equal(wt->s, wv->s, gv->s);
    if (!same) snprintf(why, cap, "%s: value %s, want %s", where, gv->s, wv->s);
    return same;
  }
  if (want->kind != got->kind) {
    snprintf(why, cap, "%s: JSON kind %d, want %d", where, got->kind,
             want->kind);
    return false;
  }
  char sub[512];
  if (want->kind == J_ARR) {
    if (want->n != got->n) {
      snprintf(why, cap, "%s: %zu elements, want %zu", where, got->n, want->n);
      return false;
    }
    for (size_t i = 0; i < want->n; i++) {
      snprintf(sub, sizeof sub, "%s[%zu]", where, i);
      if (!jequal(want->items[i], got->items[i], sub, why, cap)) return false;
    }
    return true;
  }
  if (want->kind == J_OBJ) {
    if (want->n != got->n) {
      snprintf(why, cap, "%s: %zu keys, want %zu", where, got->n, want->n);
      return false;
    }
    for (size_t i = 0; i < want->n; i++) {
      snprintf(sub, sizeof sub, "%s.%.*s", where, (int)want->key_lens[i],
               want->keys[i]);
      const jnode_t *g = jget(got, want->keys[i], want->key_lens[i]);
      if (!g) {
        snprintf(why, cap, "%s: missing", sub);
        return false;
      }
      if (!jequal(want->items[i], g, sub, why, cap)) return false;
    }
    return true;
  }
  if (want->slen != got->slen || memcmp(want->s, got->s, want->slen) != 0) {
    snprintf(why, cap, "%s: %s, want %s", where, got->s, want->s);
    return false;
  }
  return true;
}

/* ---- unit tests: values ---- */

TEST(scalars) {
  bt_toml_value_t *r = parse_ok(
      "s = \"a\\tb\\u00e9\\U0001F600\"\n"
      "lit = 'C:\\path'\n"
      "e1 = ''\ne2 = \"\"\ne3 = \"\"\"\"\"\"\ne4 = ''''''\n");
  size_t n;
  const char *s = bt_toml_string(bt_toml_table_get(r, "s"), &n);
  ASSERT_STREQ(s, "a\tb\xc3\xa9\xf0\x9f\x98\x80");
  ASSERT_EQ(n, 9);
  ASSERT_STREQ(bt_toml_string(bt_toml_table_get(r, "lit"), NULL), "C:\\path");
  for (const char *k = "1234"; *k; k++) {
    char key[3] = {'e', *k, 0};
    const char *e = bt_toml_string(bt_toml_table_get(r, key), &n);
    ASSERT_NOT_NULL(e);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(e[0], 0);
  }
  int64_t i = 1;
  ASSERT_FALSE(bt_toml_integer(bt_toml_table_get(r, "s"), &i));
  ASSERT_EQ(i, 1);
  bt_toml_free(r);

  r = parse_ok(
      "max = 9223372036854775807\n"
      "min = -9223372036854775808\n"
      "hex = 0xdead_BEEF\n"
      "oct = 0o755\n"
      "bin = 0b1010\n"
      "f = 6.626e-34\n"
      "g = -1_000.5\n"
      "ninf = -inf\n"
      "n = nan\n"
      "yes = true\n");
  ASSERT_TRUE(bt_toml_integer(bt_toml_table_get(r, "max"), &i));
  ASSERT_TRUE(i == INT64_MAX);
  ASSERT_TRUE(bt_toml_integer(bt_toml_table_get(r, "min"), &i));
  ASSERT_TRUE(i == INT64_MIN);
  ASSERT_TRUE(bt_toml_integer(bt_toml_table_get(r, "hex"), &i));
  ASSERT_EQ(i, 0xdeadbeef);
  ASSERT_TRUE(bt_toml_integer(bt_toml_table_get(r, "oct"), &i));
  ASSERT_EQ(i, 0755);
  ASSERT_TRUE(bt_toml_integer(bt_toml_table_get(r, "bin"), &i));
  ASSERT_EQ(i, 10);
  double f;
  ASSERT_TRUE(bt_toml_float(bt_toml_table_get(r, "f"), &f));
  ASSERT_TRUE(f == 6.626e-34);
  ASSERT_TRUE(bt_toml_float(bt_toml_table_get(r, "g"), &f));
  ASSERT_TRUE(f == -1000.5);
  ASSERT_TRUE(bt_toml_float(bt_toml_table_get(r, "ninf"), &f));
  ASSERT_TRUE(isinf(f) && f < 0);
  ASSERT_TRUE(bt_toml_float(bt_toml_table_get(r, "n"), &f));
  ASSERT_TRUE(isnan(f));
  bool b = false;
  ASSERT_TRUE(bt_toml_bool(bt_toml_table_get(r, "yes"), &b));
  ASSERT_TRUE(b);
  ASSERT_FALSE(bt_toml_bool(bt_toml_table_get(r, "max"), &b));
  ASSERT_NULL(bt_toml_string(bt_toml_table_get(r, "max"), NULL));
  ASSERT_STREQ(bt_toml_kind_name(bt_toml_kind(bt_toml_table_get(r, "yes"))),
               "boolean");
  bt_toml_free(r);
}

TEST(integer_edges) {
  ASSERT_CONTAINS(parse_err("a = 9223372036854775808\n"), "does not fit");
  ASSERT_CONTAINS(parse_err("a = -9223372036854775809\n"), "does not fit");
  ASSERT_CONTAINS(parse_err("a = 0x8000000000000000\n"), "does not fit");
  ASSERT_CONTAINS(parse_err("a = 012\n"), "leading zeros");
  ASSERT_CONTAINS(parse_err("a = +0x1\n"), "cannot have a sign");
  ASSERT_CONTAINS(parse_err("a = 1__2\n"), "between two digits");
  ASSERT_CONTAINS(parse_err("a = 0X12\n"), "invalid character 'X'");
  ASSERT_CONTAINS(parse_err("a = 1e400\n"), "too large");
  ASSERT_CONTAINS(parse_err("a = 1.\n"), "digits after the '.'");
  ASSERT_CONTAINS(parse_err("a = hello\n"), "strings must be quoted");
  bt_toml_value_t *r = parse_ok("a = 0x7FFFFFFFFFFFFFFF\nb = 1e-400\n");
  int64_t i;
  ASSERT_TRUE(bt_toml_integer(bt_toml_table_get(r, "a"), &i));
  ASSERT_TRUE(i == INT64_MAX);
  bt_toml_free(r);
}

TEST(floats_ignore_locale) {
  static const char *const locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8",
                                        "ru_RU.UTF-8", "C"};
  for (size_t k = 0; k < sizeof locales / sizeof locales[0]; k++) {
    if (!setlocale(LC_NUMERIC, locales[k])) continue;
    bt_toml_value_t *r = parse_ok("f = 1.5\ng = 2_5.2_5e-1_0\n");
    setlocale(LC_NUMERIC, "C");
    double f;
    ASSERT_TRUE(bt_toml_float(bt_toml_table_get(r, "f"), &f));
    ASSERT_TRUE(f == 1.5);
    ASSERT_TRUE(bt_toml_float(bt_toml_table_get(r, "g"), &f));
    ASSERT_TRUE(f == 25.25e-10);
    bt_toml_free(r);
  }
}

TEST(datetimes) {
  bt_toml_value_t *r = parse_ok(
      "odt = 1979-05-27 07:32:00.999999999123-07:30\n"
      "z = 2024-02-29t23:59:60z\n"
      "ldt = 1979-05-27T07:32:00\n"
      "ld = 1979-05-27\n"
      "lt = 00:32:00.5\n");
  const bt_toml_value_t *v = bt_toml_table_get(r, "odt");
  ASSERT_EQ(bt_toml_kind(v), BT_TOML_DATETIME);
  const bt_toml_datetime_t *dt = bt_toml_datetime(v);
  ASSERT_EQ(dt->year, 1979);
  ASSERT_EQ(dt->month, 5);
  ASSERT_EQ(dt->day, 27);
  ASSERT_EQ(dt->hour, 7);
  ASSERT_EQ(dt->nanosecond, 999999999);
  ASSERT_EQ(dt->frac_digits, 12);
  ASSERT_EQ(dt->offset_minutes, -450);
  ASSERT_STREQ(bt_toml_datetime_text(v),
               "1979-05-27T07:32:00.999999999123-07:30");
  ASSERT_STREQ(bt_toml_datetime_source(v),
               "1979-05-27 07:32:00.999999999123-07:30");
  v = bt_toml_table_get(r, "z");
  ASSERT_STREQ(bt_toml_datetime_text(v), "2024-02-29T23:59:60Z");
  ASSERT_EQ(bt_toml_datetime(v)->second, 60);
  ASSERT_EQ(bt_toml_kind(bt_toml_table_get(r, "ldt")), BT_TOML_LOCAL_DATETIME);
  ASSERT_EQ(bt_toml_kind(bt_toml_table_get(r, "ld")), BT_TOML_LOCAL_DATE);
  v = bt_toml_table_get(r, "lt");
  ASSERT_EQ(bt_toml_kind(v), BT_TOML_LOCAL_TIME);
  ASSERT_EQ(bt_toml_datetime(v)->nanosecond, 500000000);
  ASSERT_STREQ(bt_toml_datetime_text(v), "00:32:00.5");
  ASSERT_NULL(bt_toml_datetime(bt_toml_table_get(r, "nope")));
  bt_toml_free(r);
  ASSERT_CONTAINS(parse_err("a = 2023-02-29\n"),
                  "day 29 is out of range for February 2023");
  ASSERT_CONTAINS(parse_err("a = 1900-02-29\n"), "out of range");
  ASSERT_CONTAINS(parse_err("a = 1979-05-27 07:32\n"), "seconds are required");
  ASSERT_CONTAINS(parse_err("a = 1979-13-01\n"), "month 13");
  ASSERT_CONTAINS(parse_err("a = 07:32:00Z\n"), "after time");
}

TEST(strings) {
  bt_toml_value_t *r = parse_ok(
      "ml = \"\"\"\r\nline1\r\n  line2 \\\r\n    joined\"\"\"\"\"\n"
      "lit = '''\n'quoted'\n'''\n"
      "nul = \"a\\u0000b\"\n"
      "\"k\\u0000ey\" = 1\n");
  ASSERT_STREQ(bt_toml_string(bt_toml_table_get(r, "ml"), NULL),
               "line1\n  line2 joined\"\"");
  ASSERT_STREQ(bt_toml_string(bt_toml_table_get(r, "lit"), NULL), "'quoted'\n");
  size_t n;
  const char *s = bt_toml_string(bt_toml_table_get(r, "nul"), &n);
  ASSERT_EQ(n, 3);
  ASSERT_TRUE(memcmp(s, "a\0b", 3) == 0);
  ASSERT_NOT_NULL(bt_toml_table_getn(r, "k\0ey", 4));
  ASSERT_NULL(bt_toml_table_get(r, "k"));
  bt_toml_free(r);
  ASSERT_CONTAINS(parse_err("a = \"\\uD800\"\n"), "not a Unicode scalar");
  ASSERT_CONTAINS(parse_err("a = \"\\U00110000\"\n"), "not a Unicode scalar");
  ASSERT_CONTAINS(parse_err("a = \"\\x41\"\n"), "invalid escape");
  ASSERT_CONTAINS(parse_err("a = \"tab\x01\"\n"), "U+0001");
  ASSERT_CONTAINS(parse_err("a = \"open\nb = 1\n"), "unterminated string");
  ASSERT_CONTAINS(parse_err("a = 1\rb = 2\n"), "carriage return");
  ASSERT_CONTAINS(parse_err("a = \"\xff\"\n"), "invalid UTF-8");
  ASSERT_CONTAINS(parse_err("a = \"\xed\xa0\x80\"\n"), "invalid UTF-8");
}

TEST(tables_and_order) {
  bt_toml_value_t *r = parse_ok(
      "z = 1\n"
      "a.b.c = 2\n"
      "[t]\n"
      "y = 3\n"
      "[t.sub]\n"
      "[[arr]]\n"
      "x = 1\n"
      "[[arr]]\n"
      "x = 2\n"
      "[arr.inner]\n"
      "q = 'v'\n");
  ASSERT_EQ(bt_toml_table_len(r), 4);
  ASSERT_STREQ(bt_toml_table_entry(r, 0)->key, "z");
  ASSERT_STREQ(bt_toml_table_entry(r, 1)->key, "a");
  ASSERT_STREQ(bt_toml_table_entry(r, 2)->key, "t");
  ASSERT_STREQ(bt_toml_table_entry(r, 3)->key, "arr");
  ASSERT_NULL(bt_toml_table_entry(r, 4));
  int64_t i;
  ASSERT_TRUE(bt_toml_integer(path(r, "a.b.c"), &i));
  ASSERT_EQ(i, 2);
  const bt_toml_value_t *arr = bt_toml_table_get(r, "arr");
  ASSERT_EQ(bt_toml_array_len(arr), 2);
  ASSERT_NULL(bt_toml_array_at(arr, 2));
  ASSERT_STREQ(bt_toml_string(path(bt_toml_array_at(arr, 1), "inner.q"), NULL),
               "v");
  ASSERT_EQ(bt_toml_table_len(path(r, "t.sub")), 0);
  bt_toml_free(r);
}

TEST(big_table_lookup) {
  buf_t b = {0};
  char line[64];
  for (int k = 0; k < 5000; k++) {
    snprintf(line, sizeof line, "key%d = %d\n", k, k);
    buf_puts(&b, line);
  }
  bt_toml_value_t *r = parse_ok(b.p);
  ASSERT_EQ(bt_toml_table_len(r), 5000);
  for (int k = 0; k < 5000; k += 7) {
    snprintf(line, sizeof line, "key%d", k);
    int64_t i = -1;
    ASSERT_TRUE(bt_toml_integer(bt_toml_table_get(r, line), &i));
    ASSERT_EQ(i, k);
    ASSERT_STREQ(bt_toml_table_entry(r, (size_t)k)->key, line);
  }
  ASSERT_NULL(bt_toml_table_get(r, "key5000"));
  bt_toml_free(r);
  buf_puts(&b, "key4321 = 0\n");
  ASSERT_CONTAINS(parse_err(b.p),
                  "duplicate key `key4321` (first defined at "
                  "4322:1)");
  free(b.p);
}

TEST(redefinition_rules) {
  ASSERT_CONTAINS(parse_err("[a]\n[a]\n"),
                  "baton.toml:2:2: table `a` is defined more than once "
                  "(first at 1:1)");
  ASSERT_CONTAINS(parse_err("[a]\nb.c = 1\n[a.b]\n"),
                  "baton.toml:3:4: cannot define table `a.b`: it was already "
                  "created by dotted keys at 2:1");
  ASSERT_CONTAINS(parse_err("a = {b = 1}\n[a.c]\n"), "cannot extend inline");
  ASSERT_CONTAINS(parse_err("a = {b = 1}\na.c = 1\n"), "inline table `a`");
  ASSERT_CONTAINS(parse_err("a = [1]\n[[a]]\n"), "static array");
  ASSERT_CONTAINS(parse_err("[[a]]\n[a]\n"), "already an array of tables");
  ASSERT_CONTAINS(parse_err("[a.b]\n[[a]]\n"), "already a table");
  ASSERT_CONTAINS(parse_err("[a.b.c]\n[a]\nb.c.d = 1\n"),
                  "has its own [header]");
  ASSERT_CONTAINS(parse_err("a = 1\n[a.b]\n"),
                  "cannot use `a` as a table: it is already an integer");
  ASSERT_CONTAINS(parse_err("x = {a.b = 1, a = 2}\n"), "duplicate key `a`");
  /* Allowed: sub-tables under dotted-key tables, implicit then explicit,
   * dotted keys through implicit tables. */
  bt_toml_free(parse_ok("[a]\nb.c = 1\n[a.b.d]\ne = 2\n"));
  bt_toml_free(parse_ok("[a.b.c]\n[a]\n[a.b]\n"));
  bt_toml_free(parse_ok("[a.b.c]\n[a]\nb.x = 1\n"));
  bt_toml_free(parse_ok("x = {a.b = 1, a.c = 2}\n"));
  bt_toml_free(parse_ok("[[a.b]]\n[a]\n[[a.b]]\n"));
}

TEST(depth_limit) {
  buf_t b = {0};
  buf_puts(&b, "a = ");
  for (int k = 0; k < 300; k++) buf_puts(&b, "[");
  bt_toml_value_t *r = NULL;
  baton_error_t *err = bt_toml_parse(b.p, b.len, "deep.toml", &r);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_ELIMIT);
  ASSERT_CONTAINS(baton_error_message(err), "deep.toml:1:");
  baton_error_delete(err);
  b.len = 0;
  buf_puts(&b, "[a");
  for (int k = 0; k < 300; k++) buf_puts(&b, ".a");
  buf_puts(&b, "]\n");
  err = bt_toml_parse(b.p, b.len, "deep.toml", &r);
  ASSERT_EQ(baton_error_code(err), BATON_ELIMIT);
  baton_error_delete(err);
  /* Exactly the maximum depth is fine: the root is depth 0, `a` is 1 and
   * the innermost array is BT_TOML_MAX_DEPTH; one more level fails, and so
   * does a scalar below a table at the maximum depth. */
  b.len = 0;
  buf_puts(&b, "a = ");
  for (int k = 0; k < BT_TOML_MAX_DEPTH; k++) buf_puts(&b, "[");
  for (int k = 0; k < BT_TOML_MAX_DEPTH; k++) buf_puts(&b, "]");
  r = parse_ok(b.p);
  bt_toml_free(r);
  b.len = 4;
  for (int k = 0; k < BT_TOML_MAX_DEPTH; k++) buf_puts(&b, "[");
  buf_puts(&b, "1");
  for (int k = 0; k < BT_TOML_MAX_DEPTH; k++) buf_puts(&b, "]");
  err = bt_toml_parse(b.p, b.len, "deep.toml", &r);
  ASSERT_EQ(baton_error_code(err), BATON_ELIMIT);
  ASSERT_CONTAINS(baton_error_message(err), "deep.toml:1:133: ");
  baton_error_delete(err);
  b.len = 0;
  buf_puts(&b, "[a");
  for (int k = 1; k < BT_TOML_MAX_DEPTH; k++) buf_puts(&b, ".a");
  buf_puts(&b, "]\nx = {}\n");
  err = bt_toml_parse(b.p, b.len, "deep.toml", &r);
  ASSERT_EQ(baton_error_code(err), BATON_ELIMIT);
  ASSERT_CONTAINS(baton_error_message(err), "deep.toml:2:5: ");
  baton_error_delete(err);
  b.len = 0;
  buf_puts(&b, "[a");
  for (int k = 2; k < BT_TOML_MAX_DEPTH; k++) buf_puts(&b, ".a");
  buf_puts(&b, "]\nx = {}\n");
  r = parse_ok(b.p);
  bt_toml_free(r);
  free(b.p);
}

TEST(bad_arguments) {
  bt_toml_value_t *r = (bt_toml_value_t *)1;
  baton_error_t *err = bt_toml_parse(NULL, 3, "x", &r);
  ASSERT_EQ(baton_error_code(err), BATON_EINVALID_ARGUMENT);
  ASSERT_NULL(r);
  baton_error_delete(err);
  err = bt_toml_parse("", 0, "x", NULL);
  ASSERT_EQ(baton_error_code(err), BATON_EINVALID_ARGUMENT);
  baton_error_delete(err);
  ASSERT_OK(bt_toml_parse(NULL, 0, NULL, &r));
  ASSERT_EQ(bt_toml_kind(r), BT_TOML_TABLE);
  ASSERT_EQ(bt_toml_table_len(r), 0);
  bt_toml_free(r);
  bt_toml_free(NULL);
  /* Not NUL-terminated: only len bytes are read. */
  char text[8] = {'a', ' ', '=', ' ', '1', '2', '3', '4'};
  ASSERT_OK(bt_toml_parse(text, 5, "x", &r));
  int64_t i;
  ASSERT_TRUE(bt_toml_integer(bt_toml_table_get(r, "a"), &i));
  ASSERT_EQ(i, 1);
  bt_toml_free(r);
}

/* ---- unit tests: positions and messages ---- */

TEST(value_positions) {
  bt_toml_value_t *r = parse_ok(
      "# comment\n"
      "name = \"app\"\n"
      "  nested.key =   42\n"
      "\n"
      "[server]\n"
      "\tport = 8080\n"
      "\"h\xc3\xa9llo\" = 'caf\xc3\xa9' \n"
      "[[route]]\n"
      "path = [1, \n"
      "   2]\n"
      "[[route]]\n"
      "[a.b.c]\n"
      "[a]\n"
      "inline = { x = 1, y = { z = true } }\n");
  const bt_toml_entry_t *e = bt_toml_table_find(r, "name", 4);
  ASSERT_EQ(e->line, 2);
  ASSERT_EQ(e->col, 1);
  ASSERT_EQ(bt_toml_line(e->value), 2);
  ASSERT_EQ(bt_toml_col(e->value), 8);
  e = bt_toml_table_find(r, "nested", 6);
  ASSERT_EQ(e->line, 3);
  ASSERT_EQ(e->col, 3);
  ASSERT_EQ(bt_toml_line(e->value), 3); /* implicit table: its key part */
  ASSERT_EQ(bt_toml_col(e->value), 3);
  e = bt_toml_table_find(e->value, "key", 3);
  ASSERT_EQ(e->col, 10);
  ASSERT_EQ(bt_toml_col(e->value), 18);
  const bt_toml_value_t *server = bt_toml_table_get(r, "server");
  ASSERT_EQ(bt_toml_line(server), 5);
  ASSERT_EQ(bt_toml_col(server), 1);
  e = bt_toml_table_find(r, "server", 6);
  ASSERT_EQ(e->line, 5);
  ASSERT_EQ(e->col, 2);
  e = bt_toml_table_find(server, "port", 4);
  ASSERT_EQ(e->line, 6);
  ASSERT_EQ(e->col, 2); /* a tab is one column */
  ASSERT_EQ(bt_toml_col(e->value), 9);
  /* Columns count code points, not bytes. */
  e = bt_toml_table_find(server, "h\xc3\xa9llo", 6);
  ASSERT_NOT_NULL(e);
  ASSERT_EQ(e->col, 1);
  ASSERT_EQ(bt_toml_col(e->value), 11);
  const bt_toml_value_t *route = bt_toml_table_get(r, "route");
  ASSERT_EQ(bt_toml_line(route), 8);
  ASSERT_EQ(bt_toml_col(route), 3);
  ASSERT_EQ(bt_toml_line(bt_toml_array_at(route, 0)), 8);
  ASSERT_EQ(bt_toml_col(bt_toml_array_at(route, 0)), 1);
  ASSERT_EQ(bt_toml_line(bt_toml_array_at(route, 1)), 11);
  const bt_toml_value_t *p =
      bt_toml_table_get(bt_toml_array_at(route, 0), "path");
  ASSERT_EQ(bt_toml_col(p), 8);
  ASSERT_EQ(bt_toml_line(bt_toml_array_at(p, 1)), 10);
  ASSERT_EQ(bt_toml_col(bt_toml_array_at(p, 1)), 4);
  /* [a] defined after [a.b.c]: the table moves to its own header. */
  const bt_toml_value_t *a = bt_toml_table_get(r, "a");
  ASSERT_EQ(bt_toml_line(a), 13);
  ASSERT_EQ(bt_toml_col(a), 1);
  e = bt_toml_table_find(r, "a", 1);
  ASSERT_EQ(e->line, 12);
  ASSERT_EQ(e->col, 2);
  const bt_toml_value_t *z = path(a, "inline.y.z");
  ASSERT_EQ(bt_toml_line(z), 14);
  ASSERT_EQ(bt_toml_col(z), 29);
  ASSERT_EQ(bt_toml_col(path(a, "inline.y")), 23);
  bt_toml_free(r);
}

TEST(bom_and_crlf_positions) {
  bt_toml_value_t *r = parse_ok(
      "\xef\xbb\xbf"
      "a = 1\r\n  b = 2\r\n");
  const bt_toml_entry_t *e = bt_toml_table_find(r, "a", 1);
  ASSERT_EQ(e->line, 1);
  ASSERT_EQ(e->col, 1);
  e = bt_toml_table_find(r, "b", 1);
  ASSERT_EQ(e->line, 2);
  ASSERT_EQ(e->col, 3);
  bt_toml_free(r);
  ASSERT_CONTAINS(parse_err("\xef\xbb\xbf"
                            "a = ?\n"),
                  "baton.toml:1:5:");
}

/* A manifest that declares secrets never has its source quoted in a syntax
 * error: a secret's default value must not reach the terminal or a log. */
TEST(errors_never_quote_secrets) {
  const char *m = parse_err("[variables]\napi_token = { default = \"hunter2\", secret = true, }\n");
  ASSERT_CONTAINS(m, "baton.toml:2:");
  ASSERT_TRUE(strstr(m, "hunter2") == NULL);
  m = parse_err("[variables.api_token]\ndefault = \"hunter2\" x\nsecret = true\n");
  ASSERT_CONTAINS(m, "baton.toml:2:");
  ASSERT_TRUE(strstr(m, "hunter2") == NULL);
  /* an unquoted value is quoted by the message itself */
  m = parse_err("[variables.api_token]\ndefault = -hunter2\nsecret = true\n");
  ASSERT_CONTAINS(m, "baton.toml:2:11: invalid value `...`");
  ASSERT_TRUE(strstr(m, "hunter2") == NULL);
  /* an empty quoted span grows when hidden: the rest of the message stays
   * intact (found by fuzz_toml: hiding used to write past the message) */
  m = parse_err("# secret\n\"\" = 1\n\"\" = 2\n");
  ASSERT_CONTAINS(m, "duplicate key `...` (first defined at 2:1)");
  /* without secrets the line is still quoted */
  ASSERT_CONTAINS(parse_err("[variables]\ntoken = { default = \"visible\" x }\n"), "visible");
}

TEST(error_message_format) {
  ASSERT_STREQ(parse_err("title = \"x\"\n\nname value\n"),
               "baton.toml:3:6: expected '=' after key\n"
               "  3 | name value\n"
               "    |      ^");
  ASSERT_STREQ(parse_err("[server]\n\tport = 80 80\n"),
               "baton.toml:2:12: expected end of line after value, found '8'\n"
               "  2 | \tport = 80 80\n"
               "    | \t          ^");
  ASSERT_STREQ(parse_err("k = \"caf\xc3\xa9\" x\n"),
               "baton.toml:1:12: expected end of line after value, found "
               "'x'\n"
               "  1 | k = \"caf\xc3\xa9\" x\n"
               "    |            ^");
  ASSERT_STREQ(parse_err("a = 1\na = 2\n"),
               "baton.toml:2:1: duplicate key `a` (first defined at 1:1)\n"
               "  2 | a = 2\n"
               "    | ^");
  ASSERT_STREQ(parse_err("a ="),
               "baton.toml:1:4: expected a value, found end of file\n"
               "  1 | a =\n"
               "    |    ^");
  ASSERT_STREQ(parse_err("\"a b\".'c' = 1\n\"a b\".'c' = 2\n"),
               "baton.toml:2:7: duplicate key `\"a b\".c` (first defined at "
               "1:7)\n"
               "  2 | \"a b\".'c' = 2\n"
               "    |       ^");
  ASSERT_STREQ(parse_err("a = 1 # bell \x07\n"),
               "baton.toml:1:14: control character U+0007 is not allowed in "
               "a comment\n"
               "  1 | a = 1 # bell ?\n"
               "    |              ^");
  const char *m = parse_err("x = { a = 1,\n b = 2 }\n");
  ASSERT_CONTAINS(m, "baton.toml:1:13: line break inside an inline table");
  m = parse_err("d = 2021-01-32\n");
  ASSERT_CONTAINS(m,
                  "baton.toml:1:13: day 32 is out of range for January "
                  "2021");
  /* Long lines are shown as an excerpt around the column. */
  buf_t b = {0};
  buf_puts(&b, "k = [");
  for (int i = 0; i < 100; i++) buf_puts(&b, "1, ");
  buf_puts(&b, "x]\n");
  m = parse_err(b.p);
  ASSERT_CONTAINS(m, "baton.toml:1:306: expected a value, found `x`");
  ASSERT_CONTAINS(m, "\n  1 | ...");
  const char *caret = strrchr(m, '\n');
  const char *shown = strstr(m, "  1 | ");
  /* The caret sits under the 'x' of the excerpt. */
  size_t col = strlen(caret + 1) - 1;
  ASSERT_EQ(shown[col], 'x');
  free(b.p);
}

/* ---- the toml-test corpus ---- */

static char *read_text(const char *path, size_t *len) {
  return (char *)t_read_file(path, len);
}

TEST(corpus) {
  const char *src = getenv("BATON_SOURCE_DIR");
  if (!src) T_FAIL_("BATON_SOURCE_DIR is not set; cannot find toml-test");
  char root[4096], file[4096 + 512];
  snprintf(root, sizeof root, "%s/../shared/data/toml-test/tests", src);
  snprintf(file, sizeof file, "%s/files-toml-1.0.0", root);
  size_t list_len;
  char *list = read_text(file, &list_len);
  if (!list) T_FAIL_("toml-test corpus missing: cannot read %s", file);
  int valid_ok = 0, valid_bad = 0, invalid_ok = 0, invalid_bad = 0;
  char *save = NULL;
  char *listz = realloc(list, list_len + 1);
  if (!listz) abort();
  listz[list_len] = 0;
  for (char *name = strtok_r(listz, "\n", &save); name;
       name = strtok_r(NULL, "\n", &save)) {
    size_t nl = strlen(name);
    if (nl < 5 || strcmp(name + nl - 5, ".toml") != 0) continue;
    bool valid = strncmp(name, "valid/", 6) == 0;
    snprintf(file, sizeof file, "%s/%s", root, name);
    size_t len;
    char *text = read_text(file, &len);
    if (!text) {
      fprintf(stderr, "  FAIL %s: cannot read\n", name);
      if (valid)
        valid_bad++;
      else
        invalid_bad++;
      continue;
    }
    bt_toml_value_t *doc = NULL;
    baton_error_t *err = bt_toml_parse(text, len, name, &doc);
    if (!valid) {
      if (!err) {
        fprintf(stderr, "  FAIL %s: accepted invalid document\n", name);
        invalid_bad++;
      } else if (baton_error_code(err) != BATON_ESYNTAX ||
                 strncmp(baton_error_message(err), name, nl) != 0 ||
                 baton_error_message(err)[nl] != ':') {
        fprintf(stderr, "  FAIL %s: bad error: %s\n", name,
                baton_error_message(err));
        invalid_bad++;
      } else {
        invalid_ok++;
      }
      baton_error_delete(err);
      bt_toml_free(doc);
      free(text);
      continue;
    }
    char why[1024] = "";
    bool ok = false;
    if (err) {
      snprintf(why, sizeof why, "%s", baton_error_message(err));
      baton_error_delete(err);
    } else {
      buf_t out = {0};
      to_json(&out, doc);
      bt_toml_free(doc);
      char jpath[4096 + 512];
      snprintf(jpath, sizeof jpath, "%.*s.json", (int)(strlen(file) - 5), file);
      size_t jlen;
      char *jtext = read_text(jpath, &jlen);
      jnode_t *want = jtext ? jparse(jtext, jlen) : NULL;
      jnode_t *got = jparse(out.p, out.len);
      if (!want)
        snprintf(why, sizeof why, "cannot read %.900s", jpath);
      else if (!got)
        snprintf(why, sizeof why, "our JSON is malformed: %s", out.p);
      else
        ok = jequal(want, got, "$", why, sizeof why);
      jfree(want);
      jfree(got);
      free(jtext);
      free(out.p);
    }
    if (ok) {
      valid_ok++;
    } else {
      valid_bad++;
      fprintf(stderr, "  FAIL %s: %s\n", name, why);
    }
    free(text);
  }
  free(listz);
  printf("toml-test 1.0.0: valid %d/%d, invalid %d/%d\n", valid_ok,
         valid_ok + valid_bad, invalid_ok, invalid_ok + invalid_bad);
  ASSERT_TRUE(valid_ok + invalid_ok > 600);
  ASSERT_EQ(valid_bad, 0);
  ASSERT_EQ(invalid_bad, 0);
}

/* ---- allocation failure ---- */

static const char medium_doc[] =
    "# A manifest-like document exercising every kind of value.\n"
    "spin_manifest_version = 2\n"
    "[application]\n"
    "name = \"hello\"\n"
    "version = \"1.0.0\"\n"
    "authors = [\"A <a@example.com>\", 'B']\n"
    "description = \"\"\"\n  multi \\\n  line\"\"\"\n"
    "[application.trigger.http]\n"
    "base = \"/\"\n"
    "[[trigger.http]]\n"
    "route = \"/...\"\n"
    "component = { source = \"app.wasm\", env = { A = \"1\", B.c = 2 } }\n"
    "[[trigger.http]]\n"
    "route = \"/x\"\n"
    "[component.hello]\n"
    "source = 'target/hello.wasm'\n"
    "allowed_outbound_hosts = []\n"
    "limits.memory = 0x1000_0000\n"
    "limits.ratio = 0.5e1\n"
    "when = 2024-01-02T03:04:05.678+01:00\n"
    "day = 2024-01-02\n"
    "at = 03:04:05\n"
    "local = 2024-01-02 03:04:05\n"
    "flags = [true, false, inf, -nan, [1, [2, {}]]]\n"
    "k0 = 0\nk1 = 1\nk2 = 2\nk3 = 3\nk4 = 4\nk5 = 5\nk6 = 6\nk7 = 7\n"
    "k8 = 8\nk9 = 9\nk10 = 10\nk11 = 11\nk12 = 12\nk13 = 13\nk14 = 14\n"
    "k15 = 15\nk16 = 16\nk17 = 17\nk18 = 18\nk19 = 19\nk20 = 20\n";

TEST(alloc_failure) {
  int failures_seen = 0;
  for (long n = 0;; n++) {
    if (n > 100000) T_FAIL_("allocation loop did not terminate");
    bt_alloc_fail_after(n);
    bt_toml_value_t *r = NULL;
    baton_error_t *err =
        bt_toml_parse(medium_doc, sizeof medium_doc - 1, "m.toml", &r);
    long failed = bt_alloc_fail_after(-1);
    if (!err) {
      ASSERT_EQ(failed, 0);
      ASSERT_NOT_NULL(r);
      ASSERT_EQ(bt_toml_array_len(path(r, "trigger.http")), 2);
      bt_toml_free(r);
      break;
    }
    ASSERT_NULL(r);
    if (baton_error_code(err) != BATON_ENO_MEMORY) {
      fprintf(stderr, "n=%ld: %s\n", n, baton_error_message(err));
      baton_error_delete(err);
      T_FAIL_("expected NO_MEMORY");
    }
    ASSERT_TRUE(failed > 0);
    failures_seen++;
    baton_error_delete(err);
  }
  ASSERT_TRUE(failures_seen > 50);
}

int main(void) {
  RUN(scalars);
  RUN(integer_edges);
  RUN(floats_ignore_locale);
  RUN(datetimes);
  RUN(strings);
  RUN(tables_and_order);
  RUN(big_table_lookup);
  RUN(redefinition_rules);
  RUN(depth_limit);
  RUN(bad_arguments);
  RUN(value_positions);
  RUN(bom_and_crlf_positions);
  RUN(error_message_format);
  RUN(errors_never_quote_secrets);
  RUN(corpus);
  RUN(alloc_failure);
  TEST_MAIN_END();
}
