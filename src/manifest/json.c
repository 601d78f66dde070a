/*
 * src/manifest/json.c: the strict JSON reader of json.h, used for the JSON
 * strings embedded in manifests (trigger config).
 *
 * A recursive-descent parser over a byte buffer. Recursion is bounded by
 * BT_MJSON_MAX_DEPTH, so stack use is bounded too. Error messages give the
 * line and column and what was expected, never the document's text, because
 * a config string may hold something its author would rather not see
 * printed. Every failure frees the partial tree.
 */
#define _GNU_SOURCE
#include "manifest/json.h"

#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jparser {
  const char *s;
  size_t len, pos;
  unsigned line;     /* current line (1-based) */
  size_t line_start; /* offset of the current line's first byte */
  int depth;
  baton_error_t *err;
} jparser_t;

/* Returns the 1-based column of offset off on the current line, counting
 * code points (UTF-8 continuation bytes are not counted). */
static unsigned col_of(const jparser_t *p, size_t off) {
  unsigned col = 1;
  for (size_t i = p->line_start; i < off && i < p->len; i++)
    if (((unsigned char)p->s[i] & 0xC0) != 0x80) col++;
  return col;
}

/* Records a SYNTAX error at offset off (unless one is recorded already) and
 * returns false. */
static bool fail_at(jparser_t *p, size_t off, const char *what) {
  if (!p->err)
    p->err = baton_error_new(BATON_ESYNTAX, "%u:%u: %s", p->line,
                             col_of(p, off), what);
  return false;
}

static bool fail_oom(jparser_t *p) {
  if (!p->err) p->err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  return false;
}

/* Skips JSON whitespace, tracking lines. */
static void skip_ws(jparser_t *p) {
  while (p->pos < p->len) {
    char c = p->s[p->pos];
    if (c == '\n') {
      p->pos++;
      p->line++;
      p->line_start = p->pos;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      p->pos++;
    } else {
      break;
    }
  }
}

/* Frees what v owns (not v itself), recursively. */
static void free_contents(bt_mjson_t *v) {
  switch (v->kind) {
    case BT_MJSON_STRING: bt_free(v->str); break;
    case BT_MJSON_ARRAY:
    case BT_MJSON_OBJECT:
      for (size_t i = 0; i < v->len; i++) {
        free_contents(&v->items[i]);
        if (v->keys) bt_free(v->keys[i]);
      }
      bt_free(v->items);
      bt_free(v->keys);
      bt_free(v->key_lens);
      bt_free(v->key_lines);
      bt_free(v->key_cols);
      break;
    default: break;
  }
}

void bt_mjson_free(bt_mjson_t *v) {
  if (!v) return;
  free_contents(v);
  bt_free(v);
}

/* Appends the UTF-8 encoding of code point cp to buf (which has room). */
static size_t put_utf8(char *buf, uint32_t cp) {
  if (cp < 0x80) {
    buf[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    buf[0] = (char)(0xC0 | (cp >> 6));
    buf[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    buf[0] = (char)(0xE0 | (cp >> 12));
    buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  buf[0] = (char)(0xF0 | (cp >> 18));
  buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  buf[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Reads 4 hex digits at p->pos. Returns -1 if they are not hex digits. */
static long read_hex4(jparser_t *p) {
  if (p->len - p->pos < 4) return -1;
  long v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p->s[p->pos + (size_t)i];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  p->pos += 4;
  return v;
}

/* Returns the length of the valid UTF-8 sequence starting at s[0..n), or 0
 * when it is not valid (overlong forms, surrogates and code points above
 * U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  uint32_t cp, min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

/* Parses a string starting at the '"' at p->pos. Stores the decoded text
 * (bt_malloc'd, NUL-terminated) in *out and its length in *out_len. */
static bool parse_string(jparser_t *p, char **out, size_t *out_len) {
  size_t start = p->pos++;
  /* Decoded text is never longer than the source. */
  size_t end = p->pos;
  while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
  char *buf = bt_malloc(end - start + 1);
  if (!buf) return fail_oom(p);
  size_t n = 0;
  for (;;) {
    if (p->pos >= p->len) {
      bt_free(buf);
      return fail_at(p, start, "unterminated string");
    }
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '"') {
      p->pos++;
      break;
    }
    if (c < 0x20) {
      bt_free(buf);
      return fail_at(p, p->pos, "control character in string");
    }
    if (c != '\\') {
      size_t k = utf8_seq((const unsigned char *)p->s + p->pos, p->len - p->pos);
      if (!k) {
        bt_free(buf);
        return fail_at(p, p->pos, "invalid UTF-8 in string");
      }
      memcpy(buf + n, p->s + p->pos, k);
      n += k;
      p->pos += k;
      continue;
    }
    size_t esc = p->pos++;
    char e = p->pos < p->len ? p->s[p->pos++] : 0;
    switch (e) {
      case '"': buf[n++] = '"'; break;
      case '\\': buf[n++] = '\\'; break;
      case '/': buf[n++] = '/'; break;
      case 'b': buf[n++] = '\b'; break;
      case 'f': buf[n++] = '\f'; break;
      case 'n': buf[n++] = '\n'; break;
      case 'r': buf[n++] = '\r'; break;
      case 't': buf[n++] = '\t'; break;
      case 'u': {
        long cp = read_hex4(p);
        if (cp < 0) {
          bt_free(buf);
          return fail_at(p, esc, "\\u must be followed by 4 hex digits");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          long lo = -1;
          if (p->len - p->pos >= 2 && p->s[p->pos] == '\\' &&
              p->s[p->pos + 1] == 'u') {
            p->pos += 2;
            lo = read_hex4(p);
          }
          if (lo < 0xDC00 || lo > 0xDFFF) {
            bt_free(buf);
            return fail_at(p, esc, "unpaired surrogate in \\u escape");
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          bt_free(buf);
          return fail_at(p, esc, "unpaired surrogate in \\u escape");
        }
        n += put_utf8(buf + n, (uint32_t)cp);
        break;
      }
      default:
        bt_free(buf);
        return fail_at(p, esc, "invalid escape in string");
    }
  }
  buf[n] = 0;
  *out = buf;
  *out_len = n;
  return true;
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void make_c_locale(void) {
  c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* strtod with the "C" locale's '.' whatever the process locale. */
static double c_strtod(const char *s) {
  pthread_once(&c_locale_once, make_c_locale);
  if (c_locale) return strtod_l(s, NULL, c_locale);
  return strtod(s, NULL);
}

/* Parses a number at p->pos into v: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?
 * [0-9]+)?. Integers that fit int64 also set is_integer. */
static bool parse_number(jparser_t *p, bt_mjson_t *v) {
  size_t start = p->pos, i = p->pos;
  bool integral = true;
  if (i < p->len && p->s[i] == '-') i++;
  if (i >= p->len || p->s[i] < '0' || p->s[i] > '9')
    return fail_at(p, start, "invalid number");
  if (p->s[i] == '0') {
    i++;
    if (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
      return fail_at(p, start, "leading zero in number");
  } else {
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
  }
  if (i < p->len && p->s[i] == '.') {
    integral = false;
    i++;
    if (i >= p->len || p->s[i] < '0' || p->s[i] > '9')
      return fail_at(p, start, "expected a digit after '.' in number");
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
  }
  if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
    integral = false;
    i++;
    if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) i++;
    if (i >= p->len || p->s[i] < '0' || p->s[i] > '9')
      return fail_at(p, start, "expected a digit in number exponent");
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
  }
  size_t n = i - start;
  char small[64], *text = n < sizeof small ? small : bt_malloc(n + 1);
  if (!text) return fail_oom(p);
  memcpy(text, p->s + start, n);
  text[n] = 0;
  v->kind = BT_MJSON_NUMBER;
  v->number = c_strtod(text);
  if (integral) {
    /* Exact int64 when in range. */
    const char *d = text + (text[0] == '-');
    uint64_t mag = 0;
    bool fits = true;
    for (; *d; d++) {
      unsigned digit = (unsigned)(*d - '0');
      if (mag > (UINT64_MAX - digit) / 10) {
        fits = false;
        break;
      }
      mag = mag * 10 + digit;
    }
    if (fits && text[0] == '-' && mag <= (uint64_t)INT64_MAX + 1) {
      v->is_integer = true;
      v->integer = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else if (fits && text[0] != '-' && mag <= (uint64_t)INT64_MAX) {
      v->is_integer = true;
      v->integer = (int64_t)mag;
    }
  }
  if (text != small) bt_free(text);
  p->pos = i;
  return true;
}

/* Returns true when the literal word w is at p->pos and not followed by
 * another letter; consumes it. */
static bool eat_word(jparser_t *p, const char *w) {
  size_t n = strlen(w);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0) return false;
  if (p->pos + n < p->len) {
    char c = p->s[p->pos + n];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
      return false;
  }
  p->pos += n;
  return true;
}

static bool parse_value(jparser_t *p, bt_mjson_t *v);

/* Grows the member arrays of container v to hold at least need entries.
 * cap tracks the current capacity. */
static bool grow(jparser_t *p, bt_mjson_t *v, size_t *cap, size_t need,
                 bool object) {
  if (need <= *cap) return true;
  size_t nc = *cap ? *cap * 2 : 4;
  bt_mjson_t *items = bt_realloc(v->items, nc * sizeof *items);
  if (!items) return fail_oom(p);
  v->items = items;
  if (object) {
    char **keys = bt_realloc(v->keys, nc * sizeof *keys);
    if (!keys) return fail_oom(p);
    v->keys = keys;
    size_t *lens = bt_realloc(v->key_lens, nc * sizeof *lens);
    if (!lens) return fail_oom(p);
    v->key_lens = lens;
    unsigned *kl = bt_realloc(v->key_lines, nc * sizeof *kl);
    if (!kl) return fail_oom(p);
    v->key_lines = kl;
    unsigned *kc = bt_realloc(v->key_cols, nc * sizeof *kc);
    if (!kc) return fail_oom(p);
    v->key_cols = kc;
  }
  *cap = nc;
  return true;
}

/* Parses an array whose '[' is at p->pos into v. */
static bool parse_array(jparser_t *p, bt_mjson_t *v) {
  size_t cap = 0;
  v->kind = BT_MJSON_ARRAY;
  p->pos++;
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == ']') {
    p->pos++;
    return true;
  }
  for (;;) {
    if (!grow(p, v, &cap, v->len + 1, false)) return false;
    bt_mjson_t *item = &v->items[v->len];
    memset(item, 0, sizeof *item);
    v->len++;
    if (!parse_value(p, item)) return false;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->pos < p->len && p->s[p->pos] == ']') {
      p->pos++;
      return true;
    }
    return fail_at(p, p->pos, "expected ',' or ']' in array");
  }
}

/* Parses an object whose '{' is at p->pos into v. */
static bool parse_object(jparser_t *p, bt_mjson_t *v) {
  size_t cap = 0;
  v->kind = BT_MJSON_OBJECT;
  p->pos++;
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == '}') {
    p->pos++;
    return true;
  }
  for (;;) {
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != '"')
      return fail_at(p, p->pos, "expected a string key in object");
    if (!grow(p, v, &cap, v->len + 1, true)) return false;
    size_t key_off = p->pos;
    unsigned key_line = p->line, key_col = col_of(p, key_off);
    char *key;
    size_t key_len;
    if (!parse_string(p, &key, &key_len)) return false;
    for (size_t i = 0; i < v->len; i++) {
      if (v->key_lens[i] == key_len && memcmp(v->keys[i], key, key_len) == 0) {
        bt_free(key);
        return fail_at(p, key_off, "duplicate key in object");
      }
    }
    bt_mjson_t *item = &v->items[v->len];
    memset(item, 0, sizeof *item);
    v->keys[v->len] = key;
    v->key_lens[v->len] = key_len;
    v->key_lines[v->len] = key_line;
    v->key_cols[v->len] = key_col;
    v->len++;
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != ':')
      return fail_at(p, p->pos, "expected ':' after object key");
    p->pos++;
    if (!parse_value(p, item)) return false;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->pos < p->len && p->s[p->pos] == '}') {
      p->pos++;
      return true;
    }
    return fail_at(p, p->pos, "expected ',' or '}' in object");
  }
}

/* Parses one value (after whitespace) into v, which is zeroed. On failure v
 * may hold partial contents, which the caller frees. */
static bool parse_value(jparser_t *p, bt_mjson_t *v) {
  skip_ws(p);
  v->line = p->line;
  v->col = col_of(p, p->pos);
  if (p->pos >= p->len) return fail_at(p, p->pos, "expected a value");
  char c = p->s[p->pos];
  if (c == '{' || c == '[') {
    if (p->depth >= BT_MJSON_MAX_DEPTH) {
      if (!p->err)
        p->err = baton_error_new(BATON_ELIMIT,
                                 "%u:%u: JSON nested deeper than %d levels",
                                 p->line, col_of(p, p->pos), BT_MJSON_MAX_DEPTH);
      return false;
    }
    p->depth++;
    bool ok = c == '{' ? parse_object(p, v) : parse_array(p, v);
    p->depth--;
    return ok;
  }
  if (c == '"') {
    v->kind = BT_MJSON_STRING;
    return parse_string(p, &v->str, &v->str_len);
  }
  if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, v);
  if (eat_word(p, "true")) {
    v->kind = BT_MJSON_BOOL;
    v->boolean = true;
    return true;
  }
  if (eat_word(p, "false")) {
    v->kind = BT_MJSON_BOOL;
    return true;
  }
  if (eat_word(p, "null")) {
    v->kind = BT_MJSON_NULL;
    return true;
  }
  return fail_at(p, p->pos, "expected a value");
}

baton_error_t *bt_mjson_parse(const char *text, size_t len, bt_mjson_t **out) {
  if (!out || (!text && len))
    return baton_error_new(BATON_EINVALID_ARGUMENT, "bt_mjson_parse: NULL");
  *out = NULL;
  jparser_t p = {.s = text ? text : "", .len = len, .line = 1};
  bt_mjson_t *v = bt_calloc(1, sizeof *v);
  if (!v) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  if (parse_value(&p, v)) {
    skip_ws(&p);
    if (p.pos < p.len) fail_at(&p, p.pos, "unexpected text after the value");
  }
  if (p.err) {
    bt_mjson_free(v);
    return p.err;
  }
  *out = v;
  return NULL;
}

const bt_mjson_t *bt_mjson_get(const bt_mjson_t *v, const char *key) {
  if (!v || v->kind != BT_MJSON_OBJECT) return NULL;
  size_t n = strlen(key);
  for (size_t i = 0; i < v->len; i++)
    if (v->key_lens[i] == n && memcmp(v->keys[i], key, n) == 0)
      return &v->items[i];
  return NULL;
}

const char *bt_mjson_kind_name(bt_mjson_kind_t k) {
  switch (k) {
    case BT_MJSON_NULL: return "null";
    case BT_MJSON_BOOL: return "bool";
    case BT_MJSON_NUMBER: return "number";
    case BT_MJSON_STRING: return "string";
    case BT_MJSON_ARRAY: return "array";
    case BT_MJSON_OBJECT: return "object";
  }
  return "?";
}

const char *bt_mjson_type_name(const bt_mjson_t *v) {
  if (v->kind == BT_MJSON_NUMBER && v->is_integer) return "integer";
  return bt_mjson_kind_name(v->kind);
}

bool bt_mjson_equal(const bt_mjson_t *a, const bt_mjson_t *b) {
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case BT_MJSON_NULL: return true;
    case BT_MJSON_BOOL: return a->boolean == b->boolean;
    case BT_MJSON_NUMBER:
      if (a->is_integer && b->is_integer) return a->integer == b->integer;
      return a->number == b->number;
    case BT_MJSON_STRING:
      return a->str_len == b->str_len && memcmp(a->str, b->str, a->str_len) == 0;
    case BT_MJSON_ARRAY:
      if (a->len != b->len) return false;
      for (size_t i = 0; i < a->len; i++)
        if (!bt_mjson_equal(&a->items[i], &b->items[i])) return false;
      return true;
    case BT_MJSON_OBJECT:
      if (a->len != b->len) return false;
      for (size_t i = 0; i < a->len; i++) {
        const bt_mjson_t *other = NULL;
        for (size_t j = 0; j < b->len; j++)
          if (b->key_lens[j] == a->key_lens[i] &&
              memcmp(b->keys[j], a->keys[i], a->key_lens[i]) == 0)
            other = &b->items[j];
        if (!other || !bt_mjson_equal(&a->items[i], other)) return false;
      }
      return true;
  }
  return false;
}
