/*
 * src/value/wave.c: WAVE (WebAssembly Value Encoding) parsing and printing.
 *
 * WAVE is the text form of Component Model values defined by wasm-tools'
 * wasm-wave crate; docs/values.md summarises it. The parser here is typed:
 * a small lexer produces tokens on demand and a recursive descent walks the
 * WIT type and the text together, so each token is checked against what the
 * type expects at that point and errors can name the path inside the value.
 * Every form the specification allows is accepted: comments, trailing
 * commas, record fields in any order with omitted `none` options, `{:}` for
 * a record with every field omitted, `%`-prefixed labels, flat `some`/`ok`
 * payloads, and multiline strings. The printer writes the canonical form the
 * reference writer produces: `some(..)` and `ok(..)` spelled out, record
 * fields in type order with `none` fields omitted, flags in type order,
 * `, ` separators, and the shortest round-tripping float digits.
 *
 * Resource handles, which the specification leaves open, are written as the
 * resource name applied to the handle index: `blob(3)`.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "value/value.h"

/* ---- tokens ---- */

typedef enum {
  TK_EOF,
  TK_LBRACE,
  TK_RBRACE,
  TK_LPAREN,
  TK_RPAREN,
  TK_LBRACKET,
  TK_RBRACKET,
  TK_COLON,
  TK_COMMA,
  TK_NUMBER,
  TK_LABEL,
  TK_CHAR,
  TK_STRING,
  TK_MLSTRING,
} tk_kind_t;

/* WAVE keywords; a label spelled like one without `%` is the keyword. */
enum { KW_NONE_ = 0, KW_TRUE, KW_FALSE, KW_SOME, KW_NONE, KW_OK, KW_ERR, KW_INF, KW_NAN };
static const char *const keywords[] = {NULL, "true", "false", "some", "none",
                                       "ok", "err", "inf", "nan"};

typedef struct token {
  tk_kind_t kind;
  size_t start, end; /* byte span in the input */
  bool percent;      /* TK_LABEL: written with a leading `%` */
  int keyword;       /* TK_LABEL without `%`: a KW_* value, else 0 */
} token_t;

typedef struct wave {
  bt_vctx_t c;
  size_t pos;   /* lexer position: the byte after the last token */
  token_t tok;  /* the lookahead token when `have` */
  bool have;
} wave_t;

static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static bool is_alpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
static bool is_label_char(char ch) { return is_alpha(ch) || is_digit(ch) || ch == '-'; }

/* Returns the keyword spelled by s[0..n), or 0. */
static int keyword_of(const char *s, size_t n) {
  for (int k = 1; k < (int)BT_ARRAY_LEN(keywords); k++)
    if (strlen(keywords[k]) == n && memcmp(keywords[k], s, n) == 0) return k;
  return 0;
}

/* Returns true when name must be written with `%` (it is a keyword). */
static bool needs_percent(const char *name) { return keyword_of(name, strlen(name)) != 0; }

/* Returns true when s[0..n) is a valid label body: hyphen-separated words,
 * the first starting with a letter, each word all lower- or all upper-case
 * (digits allowed in either). */
static bool valid_label(const char *s, size_t n) {
  size_t i = 0;
  bool first = true;
  while (i < n) {
    size_t w = i;
    bool lower = false, upper = false;
    while (i < n && s[i] != '-') {
      if (s[i] >= 'a' && s[i] <= 'z') lower = true;
      if (s[i] >= 'A' && s[i] <= 'Z') upper = true;
      i++;
    }
    if (i == w || (lower && upper) || (first && !is_alpha(s[w]))) return false;
    first = false;
    if (i < n) {
      i++; /* the hyphen */
      if (i == n) return false;
    }
  }
  return n > 0;
}

/* Writes a short description of a token ("number 1.5", "'{'",
 * "end of input") into buf for error messages, quoting at most 40 bytes of
 * its text. */
static void describe_token(const wave_t *w, const token_t *t, char *buf, size_t cap) {
  static const char *const punct = "{}()[]:,";
  if (t->kind == TK_EOF) {
    snprintf(buf, cap, "end of input");
    return;
  }
  if (t->kind >= TK_LBRACE && t->kind <= TK_COMMA) {
    snprintf(buf, cap, "'%c'", punct[t->kind - TK_LBRACE]);
    return;
  }
  if (t->kind == TK_MLSTRING) {
    snprintf(buf, cap, "multiline string");
    return;
  }
  const char *what = t->kind == TK_NUMBER ? "number"
                     : t->kind == TK_CHAR ? "char"
                     : t->kind == TK_STRING ? "string"
                     : t->keyword        ? "keyword"
                                         : "label";
  size_t n = t->end - t->start;
  const char *more = "";
  if (n > 40) {
    n = 40;
    while (n > 0 && ((unsigned char)w->c.text[t->start + n] & 0xC0) == 0x80) n--;
    more = "...";
  }
  snprintf(buf, cap, "%s %.*s%s", what, (int)n, w->c.text + t->start, more);
}

/* Records a SYNTAX error at offset `at`. */
#define SYNTAX(w, at, ...) bt_vctx_fail(&(w)->c, (at), BATON_ESYNTAX, __VA_ARGS__)

/* Lexes a number token starting at i: `-inf` or
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][-+]?[0-9]+)? not followed by a letter,
 * digit, `.` or `_`. */
static bool lex_number(wave_t *w, size_t i, token_t *t) {
  const char *s = w->c.text;
  size_t n = w->c.len, j = i;
  if (s[j] == '-') j++;
  if (j > i && n - j >= 3 && memcmp(s + j, "inf", 3) == 0 &&
      !(j + 3 < n && is_label_char(s[j + 3]))) {
    t->kind = TK_NUMBER;
    t->end = j + 3;
    return true;
  }
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
  if (!ok || (j < n && (is_label_char(s[j]) || s[j] == '.' || s[j] == '_'))) {
    while (j < n && (is_label_char(s[j]) || s[j] == '.' || s[j] == '_' || s[j] == '+')) j++;
    return SYNTAX(w, i, "invalid number '%.*s'", (int)(j - i > 40 ? 40 : j - i), s + i);
  }
  t->kind = TK_NUMBER;
  t->end = j;
  return true;
}

/* Lexes the next token at w->pos into *t, skipping whitespace and `//`
 * comments. Char and string tokens are only delimited here; their contents
 * are decoded when a value is built from them. */
static bool lex(wave_t *w, token_t *t) {
  const char *s = w->c.text;
  size_t n = w->c.len, i = w->pos;
  for (;;) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    if (i + 1 < n && s[i] == '/' && s[i + 1] == '/') {
      while (i < n && s[i] != '\n') i++;
      continue;
    }
    break;
  }
  memset(t, 0, sizeof *t);
  t->start = i;
  t->end = i + 1;
  if (i >= n) {
    t->kind = TK_EOF;
    t->end = i;
  } else {
    char ch = s[i];
    switch (ch) {
      case '{': t->kind = TK_LBRACE; break;
      case '}': t->kind = TK_RBRACE; break;
      case '(': t->kind = TK_LPAREN; break;
      case ')': t->kind = TK_RPAREN; break;
      case '[': t->kind = TK_LBRACKET; break;
      case ']': t->kind = TK_RBRACKET; break;
      case ':': t->kind = TK_COLON; break;
      case ',': t->kind = TK_COMMA; break;
      case '\'': {
        size_t j = i + 1;
        for (;;) {
          if (j >= n || s[j] == '\n') return SYNTAX(w, i, "unterminated char literal");
          if (s[j] == '\\') {
            j++;
            if (j < n && s[j] != '\n') j++;
          } else if (s[j] == '\'') {
            break;
          } else {
            j++;
          }
        }
        t->kind = TK_CHAR;
        t->end = j + 1;
        break;
      }
      case '"': {
        if (n - i >= 3 && s[i + 1] == '"' && s[i + 2] == '"') {
          size_t j = i + 3;
          while (j + 2 < n && !(s[j] == '"' && s[j + 1] == '"' && s[j + 2] == '"')) j++;
          if (j + 2 >= n) return SYNTAX(w, i, "unterminated multiline string");
          t->kind = TK_MLSTRING;
          t->end = j + 3;
          break;
        }
        size_t j = i + 1;
        for (;;) {
          if (j >= n || s[j] == '\n') return SYNTAX(w, i, "unterminated string");
          if (s[j] == '\\') {
            j++;
            if (j < n && s[j] != '\n') j++;
          } else if (s[j] == '"') {
            break;
          } else {
            j++;
          }
        }
        t->kind = TK_STRING;
        t->end = j + 1;
        break;
      }
      default:
        if (ch == '-' || is_digit(ch)) {
          if (!lex_number(w, i, t)) return false;
        } else if (is_alpha(ch) || ch == '%') {
          size_t j = i;
          if (ch == '%') {
            t->percent = true;
            j++;
          }
          size_t body = j;
          while (j < n && is_label_char(s[j])) j++;
          if (!valid_label(s + body, j - body))
            return SYNTAX(w, i, "invalid label '%.*s'", (int)(j - i > 40 ? 40 : j - i), s + i);
          t->kind = TK_LABEL;
          t->end = j;
          if (!t->percent) t->keyword = keyword_of(s + body, j - body);
        } else if ((unsigned char)ch >= 0x21 && (unsigned char)ch < 0x7F) {
          return SYNTAX(w, i, "unexpected character '%c'", ch);
        } else {
          uint32_t cp = (unsigned char)ch;
          bt_utf8_decode((const unsigned char *)s + i, n - i, &cp);
          return SYNTAX(w, i, "unexpected character U+%04X", (unsigned)cp);
        }
        break;
    }
  }
  w->pos = t->end;
  return true;
}

/* Returns the lookahead token, lexing it if needed; NULL on a lexical
 * error (recorded in the context). */
static token_t *peek(wave_t *w) {
  if (!w->have) {
    if (!lex(w, &w->tok)) return NULL;
    w->have = true;
  }
  return &w->tok;
}

/* Consumes the lookahead token, returning it (NULL on a lexical error). The
 * returned token stays valid until the next peek. */
static token_t *take(wave_t *w) {
  token_t *t = peek(w);
  if (t) w->have = false;
  return t;
}

/* Returns the label text of a TK_LABEL token without its `%`. */
static const char *label_text(const wave_t *w, const token_t *t, size_t *n) {
  size_t b = t->start + (t->percent ? 1 : 0);
  *n = t->end - b;
  return w->c.text + b;
}

/* Fails with "expected <type>, got <token>": a SYNTAX error when the token
 * cannot start any value (end of input, closing punctuation), TYPE
 * otherwise. */
static bool fail_expected(wave_t *w, const bt_wit_type_t *t, const token_t *tok) {
  char got[96];
  describe_token(w, tok, got, sizeof got);
  bt_strbuf_t d = BT_STRBUF_INIT;
  bt_value_describe_type(&d, t);
  if (d.failed) {
    bt_strbuf_free(&d);
    return bt_vctx_oom(&w->c);
  }
  bool syntax = tok->kind == TK_EOF || tok->kind == TK_RBRACE || tok->kind == TK_RPAREN ||
                tok->kind == TK_RBRACKET || tok->kind == TK_COLON || tok->kind == TK_COMMA;
  bt_vctx_fail(&w->c, tok->start, syntax ? BATON_ESYNTAX : BATON_ETYPE, "expected %s, got %s",
               bt_strbuf_cstr(&d), got);
  bt_strbuf_free(&d);
  return false;
}

/* Consumes a token of kind k, failing with "expected 'c', got ..." when the
 * next token is something else. */
static bool expect(wave_t *w, tk_kind_t k) {
  token_t *t = take(w);
  if (!t) return false;
  if (t->kind == k) return true;
  char got[96];
  describe_token(w, t, got, sizeof got);
  return SYNTAX(w, t->start, "expected '%c', got %s", "{}()[]:,"[k - TK_LBRACE], got);
}

/* After an element of a comma-separated sequence closed by `close`: consumes
 * `,` (and a following `close`, for a trailing comma) or `close`. Sets *done
 * when the sequence ended. */
static bool separator(wave_t *w, tk_kind_t close, bool *done) {
  token_t *t = take(w);
  if (!t) return false;
  if (t->kind == TK_COMMA) {
    t = peek(w);
    if (!t) return false;
    *done = t->kind == close;
    if (*done) take(w);
    return true;
  }
  if (t->kind == close) {
    *done = true;
    return true;
  }
  char got[96];
  describe_token(w, t, got, sizeof got);
  return SYNTAX(w, t->start, "expected ',' or '%c', got %s", "{}()[]:,"[close - TK_LBRACE], got);
}

/* ---- decoding chars and strings ---- */

/* Decodes the escape sequence at text[*j] (a backslash) that must end
 * before `end`, storing the code point and advancing *j past it. */
static bool decode_escape(wave_t *w, size_t *j, size_t end, uint32_t *cp) {
  const char *s = w->c.text;
  size_t k = *j + 1;
  char e = k < end ? s[k] : 0;
  static const char names[] = "\\'\"tnr";
  static const uint32_t values[] = {'\\', '\'', '"', '\t', '\n', '\r'};
  const char *simple = e ? strchr(names, e) : NULL;
  if (simple) {
    *cp = values[simple - names];
    *j = k + 1;
    return true;
  }
  if (e == 'u' && k + 1 < end && s[k + 1] == '{') {
    uint32_t v = 0;
    size_t d = k + 2, digits = 0;
    while (d < end && digits <= 6) {
      char h = s[d];
      int x = is_digit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                                      : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
      if (x < 0) break;
      v = v * 16 + (uint32_t)x;
      digits++;
      d++;
    }
    if (digits >= 1 && digits <= 6 && d < end && s[d] == '}') {
      if (!bt_is_scalar(v))
        return SYNTAX(w, *j, "escape \\u{%.*s} is not a Unicode scalar value", (int)digits,
                      s + k + 2);
      *cp = v;
      *j = d + 1;
      return true;
    }
  }
  return SYNTAX(w, *j, "invalid escape sequence");
}

/* Decodes text[from..to) (one line of a string, no delimiters) into b. */
static bool decode_run(wave_t *w, size_t from, size_t to, bt_strbuf_t *b) {
  const char *s = w->c.text;
  size_t j = from;
  while (j < to) {
    size_t k = j;
    while (k < to && s[k] != '\\') k++;
    bt_strbuf_append(b, s + j, k - j);
    j = k;
    if (j < to) {
      uint32_t cp;
      if (!decode_escape(w, &j, to, &cp)) return false;
      bt_strbuf_put_utf8(b, cp);
    }
  }
  return true;
}

/* Decodes a multiline string token: the opening `"""` must be followed by a
 * line break, the closing one preceded by a line break and spaces only; those
 * spaces are the indent removed from every line, and the first and last line
 * breaks are not part of the value. */
static bool decode_multiline(wave_t *w, const token_t *t, bt_strbuf_t *b) {
  const char *s = w->c.text;
  size_t from = t->start + 3, to = t->end - 3;
  size_t first;
  if (from < to && s[from] == '\n')
    first = from + 1;
  else if (to - from >= 2 && s[from] == '\r' && s[from + 1] == '\n')
    first = from + 2;
  else
    return SYNTAX(w, t->start, "opening \"\"\" must be followed by a line break");
  size_t last = to;
  while (last > from && s[last - 1] != '\n') last--;
  /* last is now just past the final line break; the indent follows it. */
  for (size_t i = last; i < to; i++)
    if (s[i] != ' ')
      return SYNTAX(w, to, "closing \"\"\" must be on its own line, preceded only by spaces");
  size_t indent = to - last;
  bool any = false;
  size_t line = first;
  while (line < last) {
    size_t eol = line;
    while (s[eol] != '\n') eol++; /* a line break always precedes `last` */
    size_t sp = 0;
    while (sp < indent && line + sp < eol && s[line + sp] == ' ') sp++;
    if (sp < indent)
      return SYNTAX(w, line, "line is indented less than the closing \"\"\"");
    size_t end = eol;
    if (end > line + indent && s[end - 1] == '\r') end--;
    if (any) bt_strbuf_putc(b, '\n');
    any = true;
    if (!decode_run(w, line + indent, end, b)) return false;
    line = eol + 1;
  }
  return true;
}

/* Decodes a TK_STRING or TK_MLSTRING token into b. */
static bool decode_string(wave_t *w, const token_t *t, bt_strbuf_t *b) {
  if (t->kind == TK_MLSTRING) return decode_multiline(w, t, b);
  return decode_run(w, t->start + 1, t->end - 1, b);
}

/* Decodes a TK_CHAR token, which must hold exactly one character. */
static bool decode_char(wave_t *w, const token_t *t, uint32_t *cp) {
  size_t j = t->start + 1, end = t->end - 1;
  if (j == end) return SYNTAX(w, t->start, "empty char literal");
  if (w->c.text[j] == '\\') {
    if (!decode_escape(w, &j, end, cp)) return false;
  } else {
    size_t k = bt_utf8_decode((const unsigned char *)w->c.text + j, end - j, cp);
    j += k ? k : 1;
  }
  if (j != end) return SYNTAX(w, t->start, "char literal holds more than one character");
  return true;
}

/* ---- typed parsing ---- */

static bool parse_value(wave_t *w, const bt_wit_type_t *type, baton_value_t *out);

/* Returns true when a `some`/`ok` payload of type t may be written flat. */
static bool flattenable(const bt_wit_type_t *t) {
  t = bt_wit_type_unalias(t);
  return t && t->kind != BT_WIT_OPTION && t->kind != BT_WIT_RESULT;
}

/* Parses a value of type t into a new heap value stored in *slot, under the
 * path segment seg (NULL: none). */
static bool parse_into_new(wave_t *w, const bt_wit_type_t *t, const char *seg,
                           baton_value_t **slot) {
  *slot = baton_value_new();
  if (!*slot) return bt_vctx_oom(&w->c);
  size_t mark = w->c.path.len;
  if (seg && !bt_vctx_push_name(&w->c, seg)) return false;
  bool ok = parse_value(w, t, *slot);
  bt_strbuf_truncate(&w->c.path, mark);
  return ok;
}

/* Parses the optional parenthesized payload after a case label: required
 * when pt is non-NULL, forbidden otherwise. */
static bool parse_payload(wave_t *w, const bt_wit_type_t *pt, const char *casename,
                          const char *seg, baton_value_t *out) {
  token_t *t = peek(w);
  if (!t) return false;
  if (!pt) {
    if (t->kind == TK_LPAREN)
      return bt_vctx_fail(&w->c, t->start, BATON_ETYPE, "case %s has no payload", casename);
    return true;
  }
  if (t->kind != TK_LPAREN) {
    bt_strbuf_t d = BT_STRBUF_INIT;
    bt_value_describe_type(&d, pt);
    bt_vctx_fail(&w->c, t->start, BATON_ETYPE, "case %s needs a payload: %s(<%s>)", casename,
                 casename, bt_strbuf_cstr(&d));
    if (d.failed) bt_vctx_oom(&w->c);
    bt_strbuf_free(&d);
    return false;
  }
  take(w);
  return parse_into_new(w, pt, seg, &out->of.var.payload) && expect(w, TK_RPAREN);
}

/* Fails for a keyword used where a case label of t is expected; when t has
 * a case of that name, the message shows the `%` spelling. */
static bool fail_keyword_case(wave_t *w, const bt_wit_type_t *t, const token_t *tok) {
  size_t n;
  const char *s = label_text(w, tok, &n);
  if (bt_value_member_index(t, s, n) >= 0)
    return SYNTAX(w, tok->start, "case %.*s is a WAVE keyword and must be written %%%.*s",
                  (int)n, s, (int)n, s);
  return fail_expected(w, t, tok);
}

/* Parses `[v, ...]` (the lookahead is `[`) into a LIST value; elements get
 * the path segment [i]. */
static bool parse_list(wave_t *w, const bt_wit_type_t *t, baton_value_t *out) {
  take(w);
  out->kind = BATON_VALUE_LIST;
  size_t cap = 0;
  token_t *tok = peek(w);
  if (!tok) return false;
  if (tok->kind == TK_RBRACKET) {
    take(w);
    return true;
  }
  bool done = false;
  while (!done) {
    size_t n = out->of.seq.len;
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 4;
      baton_value_t *p = bt_realloc(out->of.seq.items, ncap * sizeof *p);
      if (!p) return bt_vctx_oom(&w->c);
      memset(p + cap, 0, (ncap - cap) * sizeof *p);
      out->of.seq.items = p;
      cap = ncap;
    }
    out->of.seq.len = n + 1;
    size_t mark = w->c.path.len;
    if (!bt_vctx_push_index(&w->c, n)) return false;
    if (!parse_value(w, t->target, &out->of.seq.items[n])) return false;
    bt_strbuf_truncate(&w->c.path, mark);
    if (!separator(w, TK_RBRACKET, &done)) return false;
  }
  return true;
}

/* Parses `(v, ...)` (the lookahead is `(`) with exactly t->count values,
 * each under the path segment [i]. */
static bool parse_tuple(wave_t *w, const bt_wit_type_t *t, baton_value_t *out) {
  take(w);
  out->kind = BATON_VALUE_TUPLE;
  out->of.seq.items = bt_calloc(t->count, sizeof(baton_value_t));
  if (!out->of.seq.items) return bt_vctx_oom(&w->c);
  out->of.seq.len = t->count;
  for (size_t i = 0; i < t->count; i++) {
    token_t *tok = peek(w);
    if (!tok) return false;
    if (tok->kind == TK_RPAREN) {
      bt_strbuf_t d = BT_STRBUF_INIT;
      bt_value_describe_type(&d, t);
      bt_vctx_fail(&w->c, tok->start, BATON_ETYPE, "expected %zu values for %s, got %zu",
                   t->count, bt_strbuf_cstr(&d), i);
      if (d.failed) bt_vctx_oom(&w->c);
      bt_strbuf_free(&d);
      return false;
    }
    size_t mark = w->c.path.len;
    if (!bt_vctx_push_index(&w->c, i)) return false;
    if (!parse_value(w, t->types[i], &out->of.seq.items[i])) return false;
    bt_strbuf_truncate(&w->c.path, mark);
    bool done = false;
    if (!separator(w, TK_RPAREN, &done)) return false;
    if (done && i + 1 < t->count) {
      bt_strbuf_t d = BT_STRBUF_INIT;
      bt_value_describe_type(&d, t);
      bt_vctx_fail(&w->c, w->tok.start, BATON_ETYPE, "expected %zu values for %s, got %zu",
                   t->count, bt_strbuf_cstr(&d), i + 1);
      if (d.failed) bt_vctx_oom(&w->c);
      bt_strbuf_free(&d);
      return false;
    }
    if (!done && i + 1 == t->count) {
      token_t *extra = peek(w);
      if (!extra) return false;
      bt_strbuf_t d = BT_STRBUF_INIT;
      bt_value_describe_type(&d, t);
      bt_vctx_fail(&w->c, extra->start, BATON_ETYPE, "too many values for %s (expected %zu)",
                   bt_strbuf_cstr(&d), t->count);
      if (d.failed) bt_vctx_oom(&w->c);
      bt_strbuf_free(&d);
      return false;
    }
  }
  return true;
}

/* Returns true when a record field of type ft may be omitted (it is an
 * option, and omitted means none). */
static bool field_optional(const bt_wit_type_t *ft) {
  const bt_wit_type_t *u = bt_wit_type_unalias(ft);
  return u && u->kind == BT_WIT_OPTION;
}

/* Parses `{name: v, ...}` or `{:}` (the lookahead is `{`): fields in any
 * order, each at most once, option fields optional (none when absent). */
static bool parse_record(wave_t *w, const bt_wit_type_t *t, baton_value_t *out) {
  token_t *open = take(w);
  size_t open_at = open->start;
  out->kind = BATON_VALUE_RECORD;
  out->of.seq.items = bt_calloc(t->count, sizeof(baton_value_t));
  if (!out->of.seq.items) return bt_vctx_oom(&w->c);
  out->of.seq.len = t->count;
  token_t *tok = peek(w);
  if (!tok) return false;
  size_t close_at;
  if (tok->kind == TK_COLON) {
    take(w);
    tok = peek(w);
    if (!tok) return false;
    close_at = tok->start;
    if (!expect(w, TK_RBRACE)) return false;
  } else if (tok->kind == TK_RBRACE) {
    bool all_optional = true;
    for (size_t i = 0; i < t->count; i++) all_optional &= field_optional(t->fields[i].type);
    if (all_optional)
      return SYNTAX(w, open_at, "a record with every field omitted is written {:}");
    close_at = tok->start;
    take(w);
  } else {
    bool done = false;
    while (!done) {
      tok = take(w);
      if (!tok) return false;
      if (tok->kind != TK_LABEL) {
        char got[96];
        describe_token(w, tok, got, sizeof got);
        return SYNTAX(w, tok->start, "expected a field name, got %s", got);
      }
      size_t n;
      const char *name = label_text(w, tok, &n);
      long idx = bt_value_member_index(t, name, n);
      if (idx < 0)
        return bt_vctx_fail(&w->c, tok->start, BATON_ETYPE, "record %s has no field '%.*s'",
                            t->name ? t->name : "", (int)n, name);
      baton_value_t *slot = &out->of.seq.items[idx];
      if (slot->kind)
        return bt_vctx_fail(&w->c, tok->start, BATON_ETYPE, "field '%.*s' appears twice",
                            (int)n, name);
      if (!expect(w, TK_COLON)) return false;
      size_t mark = w->c.path.len;
      if (!bt_vctx_push_name(&w->c, t->fields[idx].name)) return false;
      if (!parse_value(w, t->fields[idx].type, slot)) return false;
      bt_strbuf_truncate(&w->c.path, mark);
      if (!separator(w, TK_RBRACE, &done)) return false;
    }
    close_at = w->pos - 1; /* the `}` separator() consumed */
  }
  for (size_t i = 0; i < t->count; i++) {
    baton_value_t *slot = &out->of.seq.items[i];
    if (slot->kind) continue;
    if (!field_optional(t->fields[i].type))
      return bt_vctx_fail(&w->c, close_at, BATON_ETYPE, "missing field '%s'", t->fields[i].name);
    slot->kind = BATON_VALUE_OPTION; /* none */
  }
  return true;
}

/* Parses `{name, ...}` (the lookahead is `{`) into a bit set, each flag at
 * most once. */
static bool parse_flags(wave_t *w, const bt_wit_type_t *t, baton_value_t *out) {
  token_t *open = take(w);
  if (t->count > 64)
    return bt_vctx_fail(&w->c, open->start, BATON_EUNSUPPORTED,
                        "flags with more than 64 members are not supported");
  out->kind = BATON_VALUE_FLAGS;
  token_t *tok = peek(w);
  if (!tok) return false;
  if (tok->kind == TK_RBRACE) {
    take(w);
    return true;
  }
  bool done = false;
  while (!done) {
    tok = take(w);
    if (!tok) return false;
    if (tok->kind != TK_LABEL) {
      char got[96];
      describe_token(w, tok, got, sizeof got);
      return SYNTAX(w, tok->start, "expected a flag name, got %s", got);
    }
    size_t n;
    const char *name = label_text(w, tok, &n);
    long idx = bt_value_member_index(t, name, n);
    if (idx < 0)
      return bt_vctx_fail(&w->c, tok->start, BATON_ETYPE, "flags %s has no flag '%.*s'",
                          t->name ? t->name : "", (int)n, name);
    uint64_t bit = (uint64_t)1 << idx;
    if (out->of.flags & bit)
      return bt_vctx_fail(&w->c, tok->start, BATON_ETYPE, "flag '%.*s' appears twice", (int)n,
                          name);
    out->of.flags |= bit;
    if (!separator(w, TK_RBRACE, &done)) return false;
  }
  return true;
}

/* Parses a variant or enum value starting at the label token tok: the case
 * label (keywords need `%`) and, for variants, the payload the case requires.
 */
static bool parse_case(wave_t *w, const bt_wit_type_t *t, token_t *tok, baton_value_t *out) {
  if (tok->kind != TK_LABEL) return fail_expected(w, t, tok);
  if (tok->keyword) return fail_keyword_case(w, t, tok);
  size_t n;
  const char *name = label_text(w, tok, &n);
  long idx = bt_value_member_index(t, name, n);
  if (idx < 0)
    return bt_vctx_fail(&w->c, tok->start, BATON_ETYPE, "%s %s has no case '%.*s'",
                        bt_wit_kind_name(t->kind), t->name ? t->name : "", (int)n, name);
  take(w);
  out->kind = t->kind == BT_WIT_ENUM ? BATON_VALUE_ENUM : BATON_VALUE_VARIANT;
  out->of.var.index = (uint32_t)idx;
  if (t->kind == BT_WIT_ENUM) return true;
  const char *cn = t->fields[idx].name;
  return parse_payload(w, t->fields[idx].type, cn, cn, out);
}

/* Parses a handle written `resource-name(index)` with a u32 index. */
static bool parse_handle(wave_t *w, const bt_wit_type_t *t, token_t *tok, baton_value_t *out) {
  const bt_wit_type_t *res = t->resource ? t->resource : bt_wit_type_unalias(t->target);
  const char *rname = res && res->name ? res->name : "";
  size_t n;
  const char *name = tok->kind == TK_LABEL ? label_text(w, tok, &n) : NULL;
  if (!name || n != strlen(rname) || memcmp(name, rname, n) != 0 || tok->keyword)
    return fail_expected(w, t, tok);
  take(w);
  if (!expect(w, TK_LPAREN)) return false;
  token_t *num = take(w);
  if (!num) return false;
  baton_value_t tmp = {0};
  if (num->kind != TK_NUMBER ||
      bt_value_parse_int(w->c.text + num->start, num->end - num->start, BT_WIT_U32, &tmp) !=
          BT_INT_OK) {
    char got[96];
    describe_token(w, num, got, sizeof got);
    return bt_vctx_fail(&w->c, num->start, BATON_ETYPE, "expected a u32 handle index, got %s",
                        got);
  }
  out->kind = t->kind == BT_WIT_OWN ? BATON_VALUE_OWN : BATON_VALUE_BORROW;
  out->of.handle = (uint32_t)tmp.of.u;
  return expect(w, TK_RPAREN);
}

/* Parses an integer or float of t's kind from tok (a number token, or the
 * keywords nan/inf for floats), checking the type's range. */
static bool parse_number(wave_t *w, const bt_wit_type_t *t, token_t *tok, baton_value_t *out) {
  const char *s = w->c.text + tok->start;
  size_t n = tok->end - tok->start;
  if (t->kind == BT_WIT_F32 || t->kind == BT_WIT_F64) {
    double d;
    if (tok->kind == TK_LABEL && tok->keyword == KW_NAN) {
      d = NAN;
    } else if (tok->kind == TK_LABEL && tok->keyword == KW_INF) {
      d = INFINITY;
    } else if (tok->kind != TK_NUMBER) {
      return fail_expected(w, t, tok);
    } else if (n == 4 && memcmp(s, "-inf", 4) == 0) {
      d = -INFINITY;
    } else {
      int rc = bt_value_parse_float(s, n, t->kind == BT_WIT_F32, &d);
      if (rc < 0) return bt_vctx_oom(&w->c);
      if (rc == 0)
        return bt_vctx_fail(&w->c, tok->start, BATON_ETYPE, "number %.*s is out of range for %s",
                            (int)(n > 40 ? 40 : n), s, bt_wit_kind_name(t->kind));
    }
    if (t->kind == BT_WIT_F32) {
      out->kind = BATON_VALUE_F32;
      out->of.f32 = (float)d;
    } else {
      out->kind = BATON_VALUE_F64;
      out->of.f64 = d;
    }
    take(w);
    return true;
  }
  if (tok->kind != TK_NUMBER) return fail_expected(w, t, tok);
  bt_int_status_t st = bt_value_parse_int(s, n, t->kind, out);
  if (st == BT_INT_NOT_INTEGER) return fail_expected(w, t, tok);
  if (st == BT_INT_RANGE)
    return bt_vctx_fail(&w->c, tok->start, BATON_ETYPE, "number %.*s is out of range for %s",
                        (int)(n > 40 ? 40 : n), s, bt_wit_kind_name(t->kind));
  take(w);
  return true;
}

/* Parses one value of the given type at the current position into *out
 * (zeroed by the caller). On failure the context holds the error and *out is
 * left in a state baton_value_clear can free. */
static bool parse_value(wave_t *w, const bt_wit_type_t *type, baton_value_t *out) {
  const bt_wit_type_t *t = bt_wit_type_unalias(type);
  token_t *tok = peek(w);
  if (!tok) return false;
  if (!t || !bt_value_kind_for(t))
    return bt_vctx_fail(&w->c, tok->start, BATON_EUNSUPPORTED, "type %s cannot carry a value",
                        t ? bt_wit_kind_name(t->kind) : "(null)");
  if (!bt_vctx_enter(&w->c, tok->start)) return false;
  bool ok = false;
  switch (t->kind) {
    case BT_WIT_BOOL:
      if (tok->kind == TK_LABEL && (tok->keyword == KW_TRUE || tok->keyword == KW_FALSE)) {
        out->kind = BATON_VALUE_BOOL;
        out->of.b = tok->keyword == KW_TRUE;
        take(w);
        ok = true;
      } else {
        ok = fail_expected(w, t, tok);
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
    case BT_WIT_F64: ok = parse_number(w, t, tok, out); break;
    case BT_WIT_CHAR:
      if (tok->kind != TK_CHAR) {
        ok = fail_expected(w, t, tok);
      } else if ((ok = decode_char(w, tok, &out->of.ch))) {
        out->kind = BATON_VALUE_CHAR;
        take(w);
      }
      break;
    case BT_WIT_STRING:
      if (tok->kind != TK_STRING && tok->kind != TK_MLSTRING) {
        ok = fail_expected(w, t, tok);
      } else {
        bt_strbuf_t b = BT_STRBUF_INIT;
        ok = decode_string(w, tok, &b);
        size_t n = 0;
        char *s = ok ? bt_strbuf_take(&b, &n) : NULL;
        bt_strbuf_free(&b);
        if (ok && !s) ok = bt_vctx_oom(&w->c);
        if (ok) {
          out->kind = BATON_VALUE_STRING;
          out->of.str.ptr = s;
          out->of.str.len = n;
          take(w);
        }
      }
      break;
    case BT_WIT_LIST:
      ok = tok->kind == TK_LBRACKET ? parse_list(w, t, out) : fail_expected(w, t, tok);
      break;
    case BT_WIT_TUPLE:
      ok = tok->kind == TK_LPAREN ? parse_tuple(w, t, out) : fail_expected(w, t, tok);
      break;
    case BT_WIT_RECORD:
      ok = tok->kind == TK_LBRACE ? parse_record(w, t, out) : fail_expected(w, t, tok);
      break;
    case BT_WIT_FLAGS:
      ok = tok->kind == TK_LBRACE ? parse_flags(w, t, out) : fail_expected(w, t, tok);
      break;
    case BT_WIT_VARIANT:
    case BT_WIT_ENUM: ok = parse_case(w, t, tok, out); break;
    case BT_WIT_OPTION:
      out->kind = BATON_VALUE_OPTION;
      if (tok->kind == TK_LABEL && tok->keyword == KW_NONE) {
        take(w);
        ok = true;
      } else if (tok->kind == TK_LABEL && tok->keyword == KW_SOME) {
        take(w);
        out->of.var.index = 1;
        ok = expect(w, TK_LPAREN) && parse_into_new(w, t->target, NULL, &out->of.var.payload) &&
             expect(w, TK_RPAREN);
      } else if (flattenable(t->target)) {
        out->of.var.index = 1;
        ok = parse_into_new(w, t->target, NULL, &out->of.var.payload);
      } else {
        ok = fail_expected(w, t, tok);
      }
      break;
    case BT_WIT_RESULT:
      out->kind = BATON_VALUE_RESULT;
      if (tok->kind == TK_LABEL && (tok->keyword == KW_OK || tok->keyword == KW_ERR)) {
        bool is_err = tok->keyword == KW_ERR;
        take(w);
        out->of.var.index = is_err;
        ok = parse_payload(w, is_err ? t->err : t->ok, is_err ? "err" : "ok",
                           is_err ? "err" : "ok", out);
      } else if (t->ok && flattenable(t->ok)) {
        ok = parse_into_new(w, t->ok, "ok", &out->of.var.payload);
      } else {
        ok = fail_expected(w, t, tok);
      }
      break;
    case BT_WIT_OWN:
    case BT_WIT_BORROW: ok = parse_handle(w, t, tok, out); break;
    default: ok = fail_expected(w, t, tok); break;
  }
  bt_vctx_leave(&w->c);
  return ok;
}

baton_error_t *bt_wave_parse(const char *text, size_t len, const bt_wit_type_t *type,
                             baton_value_t *out) {
  memset(out, 0, sizeof *out);
  baton_error_t *unsup = bt_value_type_supported(type);
  if (unsup) return unsup;
  wave_t w = {0};
  w.c.text = text ? text : "";
  w.c.len = text ? len : 0;
  size_t bad;
  if (!bt_utf8_valid(w.c.text, w.c.len, &bad)) {
    SYNTAX(&w, bad, "input is not valid UTF-8");
  } else if (parse_value(&w, type, out)) {
    token_t *t = peek(&w);
    if (t && t->kind != TK_EOF) {
      char got[96];
      describe_token(&w, t, got, sizeof got);
      SYNTAX(&w, t->start, "unexpected %s after the value", got);
    }
  }
  baton_error_t *err = bt_vctx_finish(&w.c);
  if (err) baton_value_clear(out);
  return err;
}

/* ---- printing ---- */

/* Appends one code point of a char or string literal, escaped as needed. */
static void put_char(bt_strbuf_t *b, uint32_t cp) {
  switch (cp) {
    case '\\': bt_strbuf_puts(b, "\\\\"); return;
    case '"': bt_strbuf_puts(b, "\\\""); return;
    case '\'': bt_strbuf_puts(b, "\\'"); return;
    case '\t': bt_strbuf_puts(b, "\\t"); return;
    case '\n': bt_strbuf_puts(b, "\\n"); return;
    case '\r': bt_strbuf_puts(b, "\\r"); return;
    default: break;
  }
  if (bt_value_escape_cp(cp))
    bt_strbuf_printf(b, "\\u{%x}", (unsigned)cp);
  else
    bt_strbuf_put_utf8(b, cp);
}

/* Appends a case or resource label, with `%` when it is a keyword. */
static void put_label(bt_strbuf_t *b, const char *name) {
  if (needs_percent(name)) bt_strbuf_putc(b, '%');
  bt_strbuf_puts(b, name);
}

static void print_value(bt_strbuf_t *b, const baton_value_t *v, const bt_wit_type_t *type);

/* Appends "(payload)" when there is a payload. */
static void print_payload(bt_strbuf_t *b, const baton_value_t *p, const bt_wit_type_t *pt) {
  if (!p) return;
  bt_strbuf_putc(b, '(');
  print_value(b, p, pt);
  bt_strbuf_putc(b, ')');
}

/* Appends the canonical WAVE form of v, which bt_value_check has accepted
 * as a value of type. */
static void print_value(bt_strbuf_t *b, const baton_value_t *v, const bt_wit_type_t *type) {
  const bt_wit_type_t *t = bt_wit_type_unalias(type);
  char num[48];
  switch (t->kind) {
    case BT_WIT_BOOL: bt_strbuf_puts(b, v->of.b ? "true" : "false"); break;
    case BT_WIT_S8:
    case BT_WIT_S16:
    case BT_WIT_S32:
    case BT_WIT_S64: bt_strbuf_printf(b, "%lld", (long long)v->of.s); break;
    case BT_WIT_U8:
    case BT_WIT_U16:
    case BT_WIT_U32:
    case BT_WIT_U64: bt_strbuf_printf(b, "%llu", (unsigned long long)v->of.u); break;
    case BT_WIT_F32:
      bt_strbuf_append(b, num, bt_value_format_float(v->of.f32, true, num));
      break;
    case BT_WIT_F64:
      bt_strbuf_append(b, num, bt_value_format_float(v->of.f64, false, num));
      break;
    case BT_WIT_CHAR:
      bt_strbuf_putc(b, '\'');
      put_char(b, v->of.ch);
      bt_strbuf_putc(b, '\'');
      break;
    case BT_WIT_STRING: {
      const unsigned char *s = (const unsigned char *)v->of.str.ptr;
      size_t n = v->of.str.len, i = 0;
      bt_strbuf_putc(b, '"');
      while (i < n) {
        uint32_t cp;
        size_t k = bt_utf8_decode(s + i, n - i, &cp);
        if (!k) { /* unreachable for checked values */
          cp = 0xFFFD;
          k = 1;
        }
        put_char(b, cp);
        i += k;
      }
      bt_strbuf_putc(b, '"');
      break;
    }
    case BT_WIT_LIST:
    case BT_WIT_TUPLE: {
      bool list = t->kind == BT_WIT_LIST;
      bt_strbuf_putc(b, list ? '[' : '(');
      for (size_t i = 0; i < v->of.seq.len; i++) {
        if (i) bt_strbuf_puts(b, ", ");
        print_value(b, &v->of.seq.items[i], list ? t->target : t->types[i]);
      }
      bt_strbuf_putc(b, list ? ']' : ')');
      break;
    }
    case BT_WIT_RECORD: {
      bool first = true;
      bt_strbuf_putc(b, '{');
      for (size_t i = 0; i < t->count; i++) {
        const baton_value_t *f = &v->of.seq.items[i];
        if (f->kind == BATON_VALUE_OPTION && f->of.var.index == 0) continue;
        if (!first) bt_strbuf_puts(b, ", ");
        first = false;
        bt_strbuf_printf(b, "%s: ", t->fields[i].name);
        print_value(b, f, t->fields[i].type);
      }
      if (first) bt_strbuf_putc(b, ':');
      bt_strbuf_putc(b, '}');
      break;
    }
    case BT_WIT_VARIANT:
      put_label(b, t->fields[v->of.var.index].name);
      print_payload(b, v->of.var.payload, t->fields[v->of.var.index].type);
      break;
    case BT_WIT_ENUM: put_label(b, t->fields[v->of.var.index].name); break;
    case BT_WIT_OPTION:
      bt_strbuf_puts(b, v->of.var.index ? "some" : "none");
      print_payload(b, v->of.var.payload, t->target);
      break;
    case BT_WIT_RESULT:
      bt_strbuf_puts(b, v->of.var.index ? "err" : "ok");
      print_payload(b, v->of.var.payload, v->of.var.index ? t->err : t->ok);
      break;
    case BT_WIT_FLAGS: {
      bool first = true;
      bt_strbuf_putc(b, '{');
      for (size_t i = 0; i < t->count && i < 64; i++) {
        if (!(v->of.flags >> i & 1)) continue;
        if (!first) bt_strbuf_puts(b, ", ");
        first = false;
        bt_strbuf_puts(b, t->fields[i].name);
      }
      bt_strbuf_putc(b, '}');
      break;
    }
    case BT_WIT_OWN:
    case BT_WIT_BORROW: {
      const bt_wit_type_t *res = t->resource ? t->resource : bt_wit_type_unalias(t->target);
      put_label(b, res && res->name ? res->name : "resource");
      bt_strbuf_printf(b, "(%u)", (unsigned)v->of.handle);
      break;
    }
    default: break;
  }
}

baton_error_t *bt_wave_print(const baton_value_t *v, const bt_wit_type_t *type,
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
