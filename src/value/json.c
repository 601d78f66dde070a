/*
 * src/value/json.c: the JSON mapping of typed Component Model values.
 *
 * JSON (RFC 8259) has no types beyond numbers, strings, arrays and objects,
 * so the WIT type decides how each JSON value is read; docs/values.md
 * documents the mapping. In short: integers are numbers (64-bit values
 * outside +-(2^53-1) are printed as decimal strings, and strings are accepted
 * for 64-bit types), floats are numbers or "nan"/"inf"/"-inf", chars and
 * strings are strings, lists and tuples arrays, records objects keyed by
 * field name, enums strings, variants and results `"case"` or
 * `{"case": payload}`, options null or the payload (`{"some": x}` when the
 * payload is itself an option), flags arrays of names, handles numbers.
 *
 * Like the WAVE parser, the JSON reader is a typed recursive descent over a
 * small on-demand lexer, so errors carry the value path and position. The
 * writer prints compact JSON with no insignificant whitespace.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "value/value.h"

typedef enum {
  JT_EOF,
  JT_LBRACE,
  JT_RBRACE,
  JT_LBRACKET,
  JT_RBRACKET,
  JT_COLON,
  JT_COMMA,
  JT_STRING,
  JT_NUMBER,
  JT_TRUE,
  JT_FALSE,
  JT_NULL,
} jt_kind_t;

static const char jt_punct[] = "{}[]:,";

typedef struct jtoken {
  jt_kind_t kind;
  size_t start, end; /* byte span; strings include their quotes */
} jtoken_t;

typedef struct jparser {
  bt_vctx_t c;
  size_t pos;
  jtoken_t tok;
  bool have;
} jparser_t;

#define SYNTAX(p, at, ...) bt_vctx_fail(&(p)->c, (at), BATON_ESYNTAX, __VA_ARGS__)

static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static bool is_word(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_digit(ch) || ch == '_' ||
         ch == '.' || ch == '-' || ch == '+';
}

/* Describes a token for error messages; in value position `{` and `[` read
 * as "object" and "array". */
static void describe(const jparser_t *p, const jtoken_t *t, bool value_pos, char *buf,
                     size_t cap) {
  switch (t->kind) {
    case JT_EOF: snprintf(buf, cap, "end of input"); return;
    case JT_TRUE: snprintf(buf, cap, "true"); return;
    case JT_FALSE: snprintf(buf, cap, "false"); return;
    case JT_NULL: snprintf(buf, cap, "null"); return;
    case JT_LBRACE:
      if (value_pos) {
        snprintf(buf, cap, "object");
        return;
      }
      break;
    case JT_LBRACKET:
      if (value_pos) {
        snprintf(buf, cap, "array");
        return;
      }
      break;
    case JT_STRING:
    case JT_NUMBER: {
      size_t n = t->end - t->start;
      const char *more = "";
      if (n > 40) {
        n = 40;
        while (n > 0 && ((unsigned char)p->c.text[t->start + n] & 0xC0) == 0x80) n--;
        more = "...";
      }
      snprintf(buf, cap, "%s %.*s%s", t->kind == JT_STRING ? "string" : "number", (int)n,
               p->c.text + t->start, more);
      return;
    }
    default: break;
  }
  snprintf(buf, cap, "'%c'", jt_punct[t->kind - JT_LBRACE]);
}

/* Lexes the token at p->pos into *t. Strings are delimited and checked for
 * raw control characters here and decoded later; numbers must follow the
 * JSON grammar exactly. */
static bool lex(jparser_t *p, jtoken_t *t) {
  const char *s = p->c.text;
  size_t n = p->c.len, i = p->pos;
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
  t->start = i;
  t->end = i + 1;
  if (i >= n) {
    t->kind = JT_EOF;
    t->end = i;
    p->pos = i;
    return true;
  }
  char ch = s[i];
  const char *pc = strchr(jt_punct, ch);
  if (ch && pc) {
    t->kind = (jt_kind_t)(JT_LBRACE + (pc - jt_punct));
  } else if (ch == '"') {
    size_t j = i + 1;
    for (;;) {
      if (j >= n) return SYNTAX(p, i, "unterminated string");
      unsigned char c = (unsigned char)s[j];
      if (c == '"') break;
      if (c < 0x20) return SYNTAX(p, j, "control character in string (escape it)");
      j += c == '\\' && j + 1 < n ? 2 : 1;
    }
    t->kind = JT_STRING;
    t->end = j + 1;
  } else if (ch == '-' || is_digit(ch)) {
    size_t j = i;
    if (s[j] == '-') j++;
    bool ok = j < n && is_digit(s[j]);
    if (ok) {
      if (s[j] == '0')
        j++;
      else
        while (j < n && is_digit(s[j])) j++;
      if (j < n && s[j] == '.') {
        j++;
        ok = j < n && is_digit(s[j]);
        while (j < n && is_digit(s[j])) j++;
      }
      if (ok && j < n && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (j < n && (s[j] == '+' || s[j] == '-')) j++;
        ok = j < n && is_digit(s[j]);
        while (j < n && is_digit(s[j])) j++;
      }
    }
    if (!ok || (j < n && is_word(s[j]))) {
      while (j < n && is_word(s[j])) j++;
      return SYNTAX(p, i, "invalid number '%.*s'", (int)(j - i > 40 ? 40 : j - i), s + i);
    }
    t->kind = JT_NUMBER;
    t->end = j;
  } else if (is_word(ch)) {
    size_t j = i;
    while (j < n && is_word(s[j])) j++;
    if (j - i == 4 && memcmp(s + i, "true", 4) == 0)
      t->kind = JT_TRUE;
    else if (j - i == 5 && memcmp(s + i, "false", 5) == 0)
      t->kind = JT_FALSE;
    else if (j - i == 4 && memcmp(s + i, "null", 4) == 0)
      t->kind = JT_NULL;
    else
      return SYNTAX(p, i, "invalid token '%.*s'", (int)(j - i > 40 ? 40 : j - i), s + i);
    t->end = j;
  } else if ((unsigned char)ch >= 0x21 && (unsigned char)ch < 0x7F) {
    return SYNTAX(p, i, "unexpected character '%c'", ch);
  } else {
    uint32_t cp = (unsigned char)ch;
    bt_utf8_decode((const unsigned char *)s + i, n - i, &cp);
    return SYNTAX(p, i, "unexpected character U+%04X", (unsigned)cp);
  }
  p->pos = t->end;
  return true;
}

static jtoken_t *peek(jparser_t *p) {
  if (!p->have) {
    if (!lex(p, &p->tok)) return NULL;
    p->have = true;
  }
  return &p->tok;
}

static jtoken_t *take(jparser_t *p) {
  jtoken_t *t = peek(p);
  if (t) p->have = false;
  return t;
}

/* Consumes a punctuation token of kind k or fails with a SYNTAX error. */
static bool expect(jparser_t *p, jt_kind_t k) {
  jtoken_t *t = take(p);
  if (!t) return false;
  if (t->kind == k) return true;
  char got[96];
  describe(p, t, false, got, sizeof got);
  return SYNTAX(p, t->start, "expected '%c', got %s", jt_punct[k - JT_LBRACE], got);
}

/* After an element of an array or object closed by `close`: consumes `,` or
 * `close`, setting *done at the end. JSON has no trailing commas. */
static bool separator(jparser_t *p, jt_kind_t close, bool *done) {
  jtoken_t *t = take(p);
  if (!t) return false;
  if (t->kind == JT_COMMA || t->kind == close) {
    *done = t->kind == close;
    return true;
  }
  char got[96];
  describe(p, t, false, got, sizeof got);
  return SYNTAX(p, t->start, "expected ',' or '%c', got %s", jt_punct[close - JT_LBRACE], got);
}

/* Fails with "expected <type>, got <token>" (SYNTAX when the token cannot
 * start a value, TYPE otherwise). */
static bool fail_expected(jparser_t *p, const bt_wit_type_t *t, const jtoken_t *tok) {
  char got[96];
  describe(p, tok, true, got, sizeof got);
  bt_strbuf_t d = BT_STRBUF_INIT;
  bt_value_describe_type(&d, t);
  if (d.failed) {
    bt_strbuf_free(&d);
    return bt_vctx_oom(&p->c);
  }
  bool syntax = tok->kind == JT_EOF || tok->kind == JT_RBRACE || tok->kind == JT_RBRACKET ||
                tok->kind == JT_COLON || tok->kind == JT_COMMA;
  bt_vctx_fail(&p->c, tok->start, syntax ? BATON_ESYNTAX : BATON_ETYPE, "expected %s, got %s",
               bt_strbuf_cstr(&d), got);
  bt_strbuf_free(&d);
  return false;
}

/* Returns the value of four hex digits at s, or -1. */
static int hex4(const char *s) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char h = s[i];
    int x = is_digit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                                    : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
    if (x < 0) return -1;
    v = v * 16 + x;
  }
  return v;
}

/* Decodes a JT_STRING token into b (cleared first). Escapes follow JSON;
 * \u escapes must form Unicode scalar values (surrogates only in pairs). */
static bool decode_string(jparser_t *p, const jtoken_t *t, bt_strbuf_t *b) {
  const char *s = p->c.text;
  size_t j = t->start + 1, end = t->end - 1;
  bt_strbuf_truncate(b, 0);
  while (j < end) {
    size_t k = j;
    while (k < end && s[k] != '\\') k++;
    bt_strbuf_append(b, s + j, k - j);
    j = k;
    if (j >= end) break;
    char e = j + 1 < end ? s[j + 1] : 0;
    uint32_t cp;
    switch (e) {
      case '"': cp = '"'; break;
      case '\\': cp = '\\'; break;
      case '/': cp = '/'; break;
      case 'b': cp = '\b'; break;
      case 'f': cp = '\f'; break;
      case 'n': cp = '\n'; break;
      case 'r': cp = '\r'; break;
      case 't': cp = '\t'; break;
      case 'u': {
        int v = end - j >= 6 ? hex4(s + j + 2) : -1;
        if (v < 0) return SYNTAX(p, j, "invalid \\u escape");
        cp = (uint32_t)v;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return SYNTAX(p, j, "unpaired surrogate \\u%.4s", s + j + 2);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          int lo = end - j >= 12 && s[j + 6] == '\\' && s[j + 7] == 'u' ? hex4(s + j + 8) : -1;
          if (lo < 0xDC00 || lo > 0xDFFF)
            return SYNTAX(p, j, "unpaired surrogate \\u%.4s", s + j + 2);
          cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
          j += 6;
        }
        j += 4; /* plus the 2 below */
        break;
      }
      default: return SYNTAX(p, j, "invalid escape sequence");
    }
    j += 2;
    bt_strbuf_put_utf8(b, cp);
  }
  if (b->failed) return bt_vctx_oom(&p->c);
  return true;
}

/* Returns true when s[0..n) is a JSON integer: -?(0|[1-9][0-9]*). */
static bool is_json_int(const char *s, size_t n) {
  size_t i = s && n && s[0] == '-' ? 1 : 0;
  if (i >= n) return false;
  if (s[i] == '0') return i + 1 == n;
  for (; i < n; i++)
    if (!is_digit(s[i])) return false;
  return true;
}

static bool parse_value(jparser_t *p, const bt_wit_type_t *type, baton_value_t *out);

/* Parses a value of type t into a new heap value in *slot, under the path
 * segment seg (NULL: none). */
static bool parse_into_new(jparser_t *p, const bt_wit_type_t *t, const char *seg,
                           baton_value_t **slot) {
  *slot = baton_value_new();
  if (!*slot) return bt_vctx_oom(&p->c);
  size_t mark = p->c.path.len;
  if (seg && !bt_vctx_push_name(&p->c, seg)) return false;
  bool ok = parse_value(p, t, *slot);
  bt_strbuf_truncate(&p->c.path, mark);
  return ok;
}

/* Parses an integer or float of t's kind from tok: a JSON number, or a
 * string holding an integer (s64/u64) or nan/inf/-inf (floats). */
static bool parse_number(jparser_t *p, const bt_wit_type_t *t, jtoken_t *tok,
                         baton_value_t *out) {
  const char *s = p->c.text + tok->start;
  size_t n = tok->end - tok->start;
  bool is_float = t->kind == BT_WIT_F32 || t->kind == BT_WIT_F64;
  bool wide = t->kind == BT_WIT_S64 || t->kind == BT_WIT_U64;
  bt_strbuf_t b = BT_STRBUF_INIT;
  bool ok = true;
  if (tok->kind == JT_STRING && (is_float || wide)) {
    if (!decode_string(p, tok, &b)) {
      bt_strbuf_free(&b);
      return false;
    }
    s = bt_strbuf_cstr(&b);
    n = b.len;
  } else if (tok->kind != JT_NUMBER) {
    return fail_expected(p, t, tok);
  }
  if (is_float) {
    double d = 0;
    if (tok->kind == JT_STRING) {
      if (n == 3 && memcmp(s, "nan", 3) == 0)
        d = NAN;
      else if (n == 3 && memcmp(s, "inf", 3) == 0)
        d = INFINITY;
      else if (n == 4 && memcmp(s, "-inf", 4) == 0)
        d = -INFINITY;
      else
        ok = fail_expected(p, t, tok);
    } else {
      int rc = bt_value_parse_float(s, n, t->kind == BT_WIT_F32, &d);
      if (rc < 0)
        ok = bt_vctx_oom(&p->c);
      else if (rc == 0)
        ok = bt_vctx_fail(&p->c, tok->start, BATON_ETYPE, "number %.*s is out of range for %s",
                          (int)(n > 40 ? 40 : n), s, bt_wit_kind_name(t->kind));
    }
    if (ok && t->kind == BT_WIT_F32) {
      out->kind = BATON_VALUE_F32;
      out->of.f32 = (float)d;
    } else if (ok) {
      out->kind = BATON_VALUE_F64;
      out->of.f64 = d;
    }
  } else {
    bt_int_status_t st = is_json_int(s, n) ? bt_value_parse_int(s, n, t->kind, out)
                                           : BT_INT_NOT_INTEGER;
    if (st == BT_INT_NOT_INTEGER)
      ok = fail_expected(p, t, tok);
    else if (st == BT_INT_RANGE)
      ok = bt_vctx_fail(&p->c, tok->start, BATON_ETYPE, "number %.*s is out of range for %s",
                        (int)(n > 40 ? 40 : n), s, bt_wit_kind_name(t->kind));
  }
  bt_strbuf_free(&b);
  if (ok) take(p);
  return ok;
}

/* Parses a JSON array (the lookahead is `[`) as a list, or as a tuple with
 * exactly t->count elements; elements get the path segment [i]. */
static bool parse_array(jparser_t *p, const bt_wit_type_t *t, baton_value_t *out) {
  take(p);
  bool list = t->kind == BT_WIT_LIST;
  out->kind = list ? BATON_VALUE_LIST : BATON_VALUE_TUPLE;
  size_t cap = 0;
  jtoken_t *tok = peek(p);
  if (!tok) return false;
  bool done = tok->kind == JT_RBRACKET;
  if (done) take(p);
  while (!done) {
    size_t n = out->of.seq.len;
    if (!list && n == t->count) {
      bt_strbuf_t d = BT_STRBUF_INIT;
      bt_value_describe_type(&d, t);
      bt_vctx_fail(&p->c, tok->start, BATON_ETYPE, "too many values for %s (expected %zu)",
                   bt_strbuf_cstr(&d), t->count);
      if (d.failed) bt_vctx_oom(&p->c);
      bt_strbuf_free(&d);
      return false;
    }
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 4;
      baton_value_t *items = bt_realloc(out->of.seq.items, ncap * sizeof *items);
      if (!items) return bt_vctx_oom(&p->c);
      memset(items + cap, 0, (ncap - cap) * sizeof *items);
      out->of.seq.items = items;
      cap = ncap;
    }
    out->of.seq.len = n + 1;
    size_t mark = p->c.path.len;
    if (!bt_vctx_push_index(&p->c, n)) return false;
    if (!parse_value(p, list ? t->target : t->types[n], &out->of.seq.items[n])) return false;
    bt_strbuf_truncate(&p->c.path, mark);
    if (!separator(p, JT_RBRACKET, &done)) return false;
    if (!done && !(tok = peek(p))) return false;
  }
  if (!list && out->of.seq.len != t->count) {
    bt_strbuf_t d = BT_STRBUF_INIT;
    bt_value_describe_type(&d, t);
    bt_vctx_fail(&p->c, p->pos - 1, BATON_ETYPE, "expected %zu values for %s, got %zu", t->count,
                 bt_strbuf_cstr(&d), out->of.seq.len);
    if (d.failed) bt_vctx_oom(&p->c);
    bt_strbuf_free(&d);
    return false;
  }
  return true;
}

/* Reads an object key (a string followed by ':') into key. */
static bool parse_key(jparser_t *p, bt_strbuf_t *key, size_t *at) {
  jtoken_t *tok = take(p);
  if (!tok) return false;
  if (tok->kind != JT_STRING) {
    char got[96];
    describe(p, tok, false, got, sizeof got);
    return SYNTAX(p, tok->start, "expected a string key, got %s", got);
  }
  *at = tok->start;
  return decode_string(p, tok, key) && expect(p, JT_COLON);
}

/* Parses a JSON object (the lookahead is `{`) as a record: keys are field
 * names in any order, each at most once; absent option fields are none. */
static bool parse_record(jparser_t *p, const bt_wit_type_t *t, baton_value_t *out) {
  take(p);
  out->kind = BATON_VALUE_RECORD;
  out->of.seq.items = bt_calloc(t->count, sizeof(baton_value_t));
  if (!out->of.seq.items) return bt_vctx_oom(&p->c);
  out->of.seq.len = t->count;
  jtoken_t *tok = peek(p);
  if (!tok) return false;
  bool done = tok->kind == JT_RBRACE, ok = true;
  if (done) take(p);
  bt_strbuf_t key = BT_STRBUF_INIT;
  while (ok && !done) {
    size_t at;
    if (!(ok = parse_key(p, &key, &at))) break;
    long idx = bt_value_member_index(t, bt_strbuf_cstr(&key), key.len);
    if (idx < 0) {
      ok = bt_vctx_fail(&p->c, at, BATON_ETYPE, "record %s has no field \"%.40s\"",
                        t->name ? t->name : "", bt_strbuf_cstr(&key));
      break;
    }
    baton_value_t *slot = &out->of.seq.items[idx];
    if (slot->kind) {
      ok = bt_vctx_fail(&p->c, at, BATON_ETYPE, "field \"%s\" appears twice",
                        t->fields[idx].name);
      break;
    }
    size_t mark = p->c.path.len;
    ok = bt_vctx_push_name(&p->c, t->fields[idx].name) &&
         parse_value(p, t->fields[idx].type, slot);
    if (!ok) break;
    bt_strbuf_truncate(&p->c.path, mark);
    ok = separator(p, JT_RBRACE, &done);
  }
  bt_strbuf_free(&key);
  if (!ok) return false;
  for (size_t i = 0; i < t->count; i++) {
    baton_value_t *slot = &out->of.seq.items[i];
    if (slot->kind) continue;
    const bt_wit_type_t *ft = bt_wit_type_unalias(t->fields[i].type);
    if (!ft || ft->kind != BT_WIT_OPTION)
      return bt_vctx_fail(&p->c, p->pos - 1, BATON_ETYPE, "missing field \"%s\"",
                          t->fields[i].name);
    slot->kind = BATON_VALUE_OPTION;
  }
  return true;
}

/* Looks up a case of a VARIANT, ENUM or RESULT type; stores its payload
 * type (NULL: none) and returns its index, or -1. */
static long find_case(const bt_wit_type_t *t, const char *name, size_t n,
                      const bt_wit_type_t **pt, const char **cname) {
  if (t->kind == BT_WIT_RESULT) {
    long i = n == 2 && memcmp(name, "ok", 2) == 0 ? 0 : n == 3 && memcmp(name, "err", 3) == 0 ? 1 : -1;
    if (i >= 0) {
      *pt = i ? t->err : t->ok;
      *cname = i ? "err" : "ok";
    }
    return i;
  }
  long i = bt_value_member_index(t, name, n);
  if (i >= 0) {
    *pt = t->kind == BT_WIT_VARIANT ? t->fields[i].type : NULL;
    *cname = t->fields[i].name;
  }
  return i;
}

/* Parses a variant, enum or result: "case" for a case without payload, or
 * (not for enums) {"case": payload}, where null is the payload of a case
 * that has none. */
static bool parse_case(jparser_t *p, const bt_wit_type_t *t, jtoken_t *tok, baton_value_t *out) {
  bool object = tok->kind == JT_LBRACE && t->kind != BT_WIT_ENUM;
  if (tok->kind != JT_STRING && !object) return fail_expected(p, t, tok);
  out->kind = t->kind == BT_WIT_ENUM      ? BATON_VALUE_ENUM
              : t->kind == BT_WIT_RESULT ? BATON_VALUE_RESULT
                                         : BATON_VALUE_VARIANT;
  bt_strbuf_t name = BT_STRBUF_INIT;
  size_t at = tok->start;
  bool ok;
  if (object) {
    take(p);
    jtoken_t *k = peek(p);
    if (k && k->kind == JT_RBRACE) {
      bt_strbuf_free(&name);
      return bt_vctx_fail(&p->c, k->start, BATON_ETYPE, "expected one case, got an empty object");
    }
    ok = k && parse_key(p, &name, &at);
  } else {
    ok = decode_string(p, tok, &name);
    if (ok) take(p);
  }
  const bt_wit_type_t *pt = NULL;
  const char *cname = NULL;
  long idx = -1;
  if (ok) {
    idx = find_case(t, bt_strbuf_cstr(&name), name.len, &pt, &cname);
    if (idx < 0)
      ok = bt_vctx_fail(&p->c, at, BATON_ETYPE, "%s %s has no case \"%.40s\"",
                        bt_wit_kind_name(t->kind), t->name ? t->name : "",
                        bt_strbuf_cstr(&name));
  }
  bt_strbuf_free(&name);
  if (!ok) return false;
  out->of.var.index = (uint32_t)idx;
  if (!object) {
    if (pt)
      return bt_vctx_fail(&p->c, at, BATON_ETYPE, "case %s needs a payload: {\"%s\": ...}",
                          cname, cname);
    return true;
  }
  if (pt) {
    if (!parse_into_new(p, pt, cname, &out->of.var.payload)) return false;
  } else {
    jtoken_t *v = peek(p);
    if (!v) return false;
    if (v->kind != JT_NULL)
      return bt_vctx_fail(&p->c, v->start, BATON_ETYPE, "case %s has no payload (use null)",
                          cname);
    take(p);
  }
  jtoken_t *close = take(p);
  if (!close) return false;
  if (close->kind == JT_COMMA)
    return bt_vctx_fail(&p->c, close->start, BATON_ETYPE,
                        "a %s object has exactly one key, the case name",
                        bt_wit_kind_name(t->kind));
  if (close->kind != JT_RBRACE) {
    char got[96];
    describe(p, close, false, got, sizeof got);
    return SYNTAX(p, close->start, "expected '}', got %s", got);
  }
  return true;
}

/* Parses a JSON array of flag names (the lookahead is `[`). */
static bool parse_flags(jparser_t *p, const bt_wit_type_t *t, baton_value_t *out) {
  jtoken_t *open = take(p);
  if (t->count > 64)
    return bt_vctx_fail(&p->c, open->start, BATON_EUNSUPPORTED,
                        "flags with more than 64 members are not supported");
  out->kind = BATON_VALUE_FLAGS;
  jtoken_t *tok = peek(p);
  if (!tok) return false;
  bool done = tok->kind == JT_RBRACKET, ok = true;
  if (done) take(p);
  bt_strbuf_t name = BT_STRBUF_INIT;
  while (ok && !done) {
    tok = take(p);
    if (!tok) {
      ok = false;
      break;
    }
    if (tok->kind != JT_STRING) {
      char got[96];
      describe(p, tok, true, got, sizeof got);
      ok = bt_vctx_fail(&p->c, tok->start, BATON_ETYPE, "expected a flag name, got %s", got);
      break;
    }
    size_t at = tok->start;
    if (!(ok = decode_string(p, tok, &name))) break;
    long idx = bt_value_member_index(t, bt_strbuf_cstr(&name), name.len);
    uint64_t bit = idx >= 0 ? (uint64_t)1 << idx : 0;
    if (idx < 0)
      ok = bt_vctx_fail(&p->c, at, BATON_ETYPE, "flags %s has no flag \"%.40s\"",
                        t->name ? t->name : "", bt_strbuf_cstr(&name));
    else if (out->of.flags & bit)
      ok = bt_vctx_fail(&p->c, at, BATON_ETYPE, "flag \"%s\" appears twice", t->fields[idx].name);
    out->of.flags |= bit;
    if (ok) ok = separator(p, JT_RBRACKET, &done);
  }
  bt_strbuf_free(&name);
  return ok;
}

/* Parses one value of the given type into *out (zeroed by the caller); on
 * failure *out is left freeable by baton_value_clear. */
static bool parse_value(jparser_t *p, const bt_wit_type_t *type, baton_value_t *out) {
  const bt_wit_type_t *t = bt_wit_type_unalias(type);
  jtoken_t *tok = peek(p);
  if (!tok) return false;
  if (!t || !bt_value_kind_for(t))
    return bt_vctx_fail(&p->c, tok->start, BATON_EUNSUPPORTED, "type %s cannot carry a value",
                        t ? bt_wit_kind_name(t->kind) : "(null)");
  if (!bt_vctx_enter(&p->c, tok->start)) return false;
  bool ok;
  switch (t->kind) {
    case BT_WIT_BOOL:
      ok = tok->kind == JT_TRUE || tok->kind == JT_FALSE;
      if (ok) {
        out->kind = BATON_VALUE_BOOL;
        out->of.b = tok->kind == JT_TRUE;
        take(p);
      } else {
        fail_expected(p, t, tok);
      }
      break;
    case BT_WIT_S8:
    case BT_WIT_U8:
    case BT_WIT_S16:
    case BT_WIT_U16:
    case BT_WIT_S32:
    case BT_WIT_U32:
    case BT_WIT_S64:
    case BT_WIT_U64:
    case BT_WIT_F32:
    case BT_WIT_F64: ok = parse_number(p, t, tok, out); break;
    case BT_WIT_OWN:
    case BT_WIT_BORROW: {
      baton_value_t tmp = {0};
      ok = tok->kind == JT_NUMBER &&
           bt_value_parse_int(p->c.text + tok->start, tok->end - tok->start, BT_WIT_U32, &tmp) ==
               BT_INT_OK &&
           is_json_int(p->c.text + tok->start, tok->end - tok->start);
      if (!ok) {
        fail_expected(p, t, tok);
        break;
      }
      out->kind = t->kind == BT_WIT_OWN ? BATON_VALUE_OWN : BATON_VALUE_BORROW;
      out->of.handle = (uint32_t)tmp.of.u;
      take(p);
      break;
    }
    case BT_WIT_CHAR:
    case BT_WIT_STRING: {
      if (tok->kind != JT_STRING) {
        ok = fail_expected(p, t, tok);
        break;
      }
      bt_strbuf_t b = BT_STRBUF_INIT;
      ok = decode_string(p, tok, &b);
      if (ok && t->kind == BT_WIT_CHAR) {
        uint32_t cp = 0;
        size_t k = bt_utf8_decode((const unsigned char *)bt_strbuf_cstr(&b), b.len, &cp);
        ok = k && k == b.len;
        if (ok) {
          out->kind = BATON_VALUE_CHAR;
          out->of.ch = cp;
        } else {
          bt_vctx_fail(&p->c, tok->start, BATON_ETYPE,
                       "expected char, got a string of %s characters", b.len ? "several" : "no");
        }
      } else if (ok) {
        size_t n = 0;
        char *s = bt_strbuf_take(&b, &n);
        if (!s) {
          ok = bt_vctx_oom(&p->c);
        } else {
          out->kind = BATON_VALUE_STRING;
          out->of.str.ptr = s;
          out->of.str.len = n;
        }
      }
      bt_strbuf_free(&b);
      if (ok) take(p);
      break;
    }
    case BT_WIT_LIST:
    case BT_WIT_TUPLE:
      ok = tok->kind == JT_LBRACKET ? parse_array(p, t, out) : fail_expected(p, t, tok);
      break;
    case BT_WIT_RECORD:
      ok = tok->kind == JT_LBRACE ? parse_record(p, t, out) : fail_expected(p, t, tok);
      break;
    case BT_WIT_FLAGS:
      ok = tok->kind == JT_LBRACKET ? parse_flags(p, t, out) : fail_expected(p, t, tok);
      break;
    case BT_WIT_VARIANT:
    case BT_WIT_ENUM:
    case BT_WIT_RESULT: ok = parse_case(p, t, tok, out); break;
    case BT_WIT_OPTION: {
      out->kind = BATON_VALUE_OPTION;
      if (tok->kind == JT_NULL) {
        take(p);
        ok = true;
        break;
      }
      out->of.var.index = 1;
      const bt_wit_type_t *inner = bt_wit_type_unalias(t->target);
      if (inner && inner->kind == BT_WIT_OPTION) {
        /* Nested option: some(x) is {"some": x}. */
        bt_strbuf_t key = BT_STRBUF_INIT;
        size_t at = tok->start;
        ok = tok->kind == JT_LBRACE;
        if (!ok) {
          fail_expected(p, t, tok);
        } else {
          take(p);
          ok = parse_key(p, &key, &at);
          if (ok && !(key.len == 4 && memcmp(key.data, "some", 4) == 0))
            ok = bt_vctx_fail(&p->c, at, BATON_ETYPE,
                              "expected the key \"some\" (an option of an option)");
        }
        bt_strbuf_free(&key);
        ok = ok && parse_into_new(p, t->target, NULL, &out->of.var.payload) &&
             expect(p, JT_RBRACE);
      } else {
        ok = parse_into_new(p, t->target, NULL, &out->of.var.payload);
      }
      break;
    }
    default: ok = fail_expected(p, t, tok); break;
  }
  bt_vctx_leave(&p->c);
  return ok;
}

baton_error_t *bt_json_parse(const char *text, size_t len, const bt_wit_type_t *type,
                             baton_value_t *out) {
  memset(out, 0, sizeof *out);
  baton_error_t *unsup = bt_value_type_supported(type);
  if (unsup) return unsup;
  jparser_t p = {0};
  p.c.text = text ? text : "";
  p.c.len = text ? len : 0;
  size_t bad;
  if (!bt_utf8_valid(p.c.text, p.c.len, &bad)) {
    SYNTAX(&p, bad, "input is not valid UTF-8");
  } else if (parse_value(&p, type, out)) {
    jtoken_t *t = peek(&p);
    if (t && t->kind != JT_EOF) {
      char got[96];
      describe(&p, t, false, got, sizeof got);
      SYNTAX(&p, t->start, "unexpected %s after the value", got);
    }
  }
  baton_error_t *err = bt_vctx_finish(&p.c);
  if (err) baton_value_clear(out);
  return err;
}

/* ---- printing ---- */

/* Appends s[0..n) (valid UTF-8) as a JSON string. */
static void put_string(bt_strbuf_t *b, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  bt_strbuf_putc(b, '"');
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && u[j] >= 0x20 && u[j] < 0x7F && u[j] != '"' && u[j] != '\\') j++;
    bt_strbuf_append(b, s + i, j - i);
    i = j;
    if (i >= n) break;
    uint32_t cp;
    size_t k = bt_utf8_decode(u + i, n - i, &cp);
    if (!k) { /* unreachable for checked values */
      cp = 0xFFFD;
      k = 1;
    }
    switch (cp) {
      case '"': bt_strbuf_puts(b, "\\\""); break;
      case '\\': bt_strbuf_puts(b, "\\\\"); break;
      case '\b': bt_strbuf_puts(b, "\\b"); break;
      case '\f': bt_strbuf_puts(b, "\\f"); break;
      case '\n': bt_strbuf_puts(b, "\\n"); break;
      case '\r': bt_strbuf_puts(b, "\\r"); break;
      case '\t': bt_strbuf_puts(b, "\\t"); break;
      default:
        if (bt_value_escape_cp(cp) && cp >= 0x10000)
          bt_strbuf_printf(b, "\\u%04x\\u%04x", 0xD800 + ((unsigned)(cp - 0x10000) >> 10),
                           0xDC00 + ((unsigned)(cp - 0x10000) & 0x3FF));
        else if (bt_value_escape_cp(cp))
          bt_strbuf_printf(b, "\\u%04x", (unsigned)cp);
        else
          bt_strbuf_append(b, s + i, k);
        break;
    }
    i += k;
  }
  bt_strbuf_putc(b, '"');
}

static void print_value(bt_strbuf_t *b, const baton_value_t *v, const bt_wit_type_t *type);

/* Appends a case: "name" without payload, {"name":payload} with one. */
static void print_case(bt_strbuf_t *b, const char *name, const baton_value_t *payload,
                       const bt_wit_type_t *pt) {
  if (!payload) {
    put_string(b, name, strlen(name));
    return;
  }
  bt_strbuf_putc(b, '{');
  put_string(b, name, strlen(name));
  bt_strbuf_putc(b, ':');
  print_value(b, payload, pt);
  bt_strbuf_putc(b, '}');
}

/* 2^53 - 1, the largest integer every JSON reader holds exactly. */
#define JSON_SAFE_INT 9007199254740991LL

/* Appends the JSON form of v, which bt_value_check has accepted. */
static void print_value(bt_strbuf_t *b, const baton_value_t *v, const bt_wit_type_t *type) {
  const bt_wit_type_t *t = bt_wit_type_unalias(type);
  char num[48];
  switch (t->kind) {
    case BT_WIT_BOOL: bt_strbuf_puts(b, v->of.b ? "true" : "false"); break;
    case BT_WIT_S8:
    case BT_WIT_S16:
    case BT_WIT_S32:
    case BT_WIT_S64: {
      bool quote = v->of.s > JSON_SAFE_INT || v->of.s < -JSON_SAFE_INT;
      bt_strbuf_printf(b, quote ? "\"%lld\"" : "%lld", (long long)v->of.s);
      break;
    }
    case BT_WIT_U8:
    case BT_WIT_U16:
    case BT_WIT_U32:
    case BT_WIT_U64: {
      bool quote = v->of.u > (uint64_t)JSON_SAFE_INT;
      bt_strbuf_printf(b, quote ? "\"%llu\"" : "%llu", (unsigned long long)v->of.u);
      break;
    }
    case BT_WIT_F32:
    case BT_WIT_F64: {
      bool f32 = t->kind == BT_WIT_F32;
      double d = f32 ? v->of.f32 : v->of.f64;
      size_t n = bt_value_format_float(d, f32, num);
      if (isfinite(d)) {
        bt_strbuf_append(b, num, n);
      } else {
        bt_strbuf_putc(b, '"');
        bt_strbuf_append(b, num, n);
        bt_strbuf_putc(b, '"');
      }
      break;
    }
    case BT_WIT_CHAR: {
      bt_strbuf_t one = BT_STRBUF_INIT;
      if (bt_strbuf_put_utf8(&one, v->of.ch))
        put_string(b, one.data, one.len);
      else
        b->failed = true;
      bt_strbuf_free(&one);
      break;
    }
    case BT_WIT_STRING: put_string(b, v->of.str.ptr, v->of.str.len); break;
    case BT_WIT_LIST:
    case BT_WIT_TUPLE:
      bt_strbuf_putc(b, '[');
      for (size_t i = 0; i < v->of.seq.len; i++) {
        if (i) bt_strbuf_putc(b, ',');
        print_value(b, &v->of.seq.items[i], t->kind == BT_WIT_LIST ? t->target : t->types[i]);
      }
      bt_strbuf_putc(b, ']');
      break;
    case BT_WIT_RECORD:
      bt_strbuf_putc(b, '{');
      for (size_t i = 0; i < t->count; i++) {
        if (i) bt_strbuf_putc(b, ',');
        put_string(b, t->fields[i].name, strlen(t->fields[i].name));
        bt_strbuf_putc(b, ':');
        print_value(b, &v->of.seq.items[i], t->fields[i].type);
      }
      bt_strbuf_putc(b, '}');
      break;
    case BT_WIT_VARIANT:
      print_case(b, t->fields[v->of.var.index].name, v->of.var.payload,
                 t->fields[v->of.var.index].type);
      break;
    case BT_WIT_ENUM: print_case(b, t->fields[v->of.var.index].name, NULL, NULL); break;
    case BT_WIT_RESULT:
      print_case(b, v->of.var.index ? "err" : "ok", v->of.var.payload,
                 v->of.var.index ? t->err : t->ok);
      break;
    case BT_WIT_OPTION: {
      if (!v->of.var.index) {
        bt_strbuf_puts(b, "null");
        break;
      }
      const bt_wit_type_t *inner = bt_wit_type_unalias(t->target);
      if (inner && inner->kind == BT_WIT_OPTION)
        print_case(b, "some", v->of.var.payload, t->target);
      else
        print_value(b, v->of.var.payload, t->target);
      break;
    }
    case BT_WIT_FLAGS: {
      bool first = true;
      bt_strbuf_putc(b, '[');
      for (size_t i = 0; i < t->count && i < 64; i++) {
        if (!(v->of.flags >> i & 1)) continue;
        if (!first) bt_strbuf_putc(b, ',');
        first = false;
        put_string(b, t->fields[i].name, strlen(t->fields[i].name));
      }
      bt_strbuf_putc(b, ']');
      break;
    }
    case BT_WIT_OWN:
    case BT_WIT_BORROW: bt_strbuf_printf(b, "%u", (unsigned)v->of.handle); break;
    default: break;
  }
}

baton_error_t *bt_json_print(const baton_value_t *v, const bt_wit_type_t *type,
                             bt_strbuf_t *out) {
  baton_error_t *err = bt_value_check(v, type);
  if (err) return err;
  size_t mark = out->len;
  bool was_failed = out->failed;
  print_value(out, v, type);
  if (out->failed) {
    bt_strbuf_truncate(out, mark);
    out->failed = was_failed;
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  return NULL;
}
