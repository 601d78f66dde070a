/*
 * src/wit/lexer.c: the WIT tokenizer.
 *
 * The lexer is pull-based: the parser asks for the next token and may peek
 * without consuming. Whitespace (space, tab, CR, LF) and comments (`//` to
 * end of line, and nested slash-star blocks) separate tokens. Doc comments
 * (`///` lines and slash-star-star blocks) are only meaningful in front of items, so
 * the parser asks for them explicitly with wit_lex_docs() at those points;
 * everywhere else they are skipped like plain comments. Semantic versions do
 * not tokenize cleanly (`1.0.0-rc.1` spans several tokens), so the parser
 * scans them with wit_lex_version() where the grammar expects one.
 *
 * Before any token is produced the whole source is checked to be UTF-8 free
 * of control characters other than tab/CR/LF, of bidirectional overrides and
 * of code points Unicode deprecates, as the WIT specification requires.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wit/wit_internal.h"

static const struct {
  const char *word;
  wit_tok_kind kind;
} g_keywords[] = {
    {"use", T_USE},         {"type", T_TYPE},
    {"func", T_FUNC},       {"u8", T_U8},
    {"u16", T_U16},         {"u32", T_U32},
    {"u64", T_U64},         {"s8", T_S8},
    {"s16", T_S16},         {"s32", T_S32},
    {"s64", T_S64},         {"f32", T_F32},
    {"f64", T_F64},         {"char", T_CHAR},
    {"record", T_RECORD},   {"resource", T_RESOURCE},
    {"own", T_OWN},         {"borrow", T_BORROW},
    {"flags", T_FLAGS},     {"variant", T_VARIANT},
    {"enum", T_ENUM},       {"bool", T_BOOL},
    {"string", T_STRING_KW},{"option", T_OPTION},
    {"result", T_RESULT},   {"future", T_FUTURE},
    {"stream", T_STREAM},   {"error-context", T_ERROR_CONTEXT},
    {"list", T_LIST},       {"map", T_MAP},
    {"_", T_UNDERSCORE},    {"as", T_AS},
    {"from", T_FROM},       {"static", T_STATIC},
    {"interface", T_INTERFACE}, {"tuple", T_TUPLE},
    {"import", T_IMPORT},   {"export", T_EXPORT},
    {"world", T_WORLD},     {"package", T_PACKAGE},
    {"constructor", T_CONSTRUCTOR}, {"async", T_ASYNC},
    {"include", T_INCLUDE}, {"with", T_WITH},
};

bool wit_is_keyword(const char *s) {
  for (size_t i = 0; i < BT_ARRAY_LEN(g_keywords); i++)
    if (strcmp(g_keywords[i].word, s) == 0) return true;
  /* Spellings the printer escapes although the lexer no longer reserves them. */
  return strcmp(s, "float32") == 0 || strcmp(s, "float64") == 0;
}

const char *wit_tok_describe(wit_tok_kind kind) {
  switch (kind) {
    case T_EOF: return "end of file";
    case T_EQUALS: return "`=`";
    case T_COMMA: return "`,`";
    case T_COLON: return "`:`";
    case T_PERIOD: return "`.`";
    case T_SEMI: return "`;`";
    case T_LPAREN: return "`(`";
    case T_RPAREN: return "`)`";
    case T_LBRACE: return "`{`";
    case T_RBRACE: return "`}`";
    case T_LT: return "`<`";
    case T_GT: return "`>`";
    case T_ARROW: return "`->`";
    case T_STAR: return "`*`";
    case T_AT: return "`@`";
    case T_SLASH: return "`/`";
    case T_PLUS: return "`+`";
    case T_MINUS: return "`-`";
    case T_STRING: return "a string literal";
    case T_INTEGER: return "an integer";
    case T_ID: return "an identifier";
    case T_EXPLICIT_ID: return "an identifier";
    default: break;
  }
  for (size_t i = 0; i < BT_ARRAY_LEN(g_keywords); i++)
    if (g_keywords[i].kind == kind) {
      static char buf[T_KIND_COUNT][32];
      snprintf(buf[kind], sizeof buf[kind], "keyword `%s`", g_keywords[i].word);
      return buf[kind];
    }
  return "a token";
}

/* Decodes one UTF-8 code point at text[*i], advancing *i. Returns -1 for an
 * invalid or truncated sequence, overlong forms and surrogates included. */
static int32_t utf8_next(const char *text, uint32_t len, uint32_t *i) {
  const unsigned char *p = (const unsigned char *)text;
  uint32_t k = *i;
  unsigned char b = p[k];
  int32_t cp;
  int n;
  if (b < 0x80) {
    *i = k + 1;
    return b;
  } else if ((b & 0xE0) == 0xC0) {
    cp = b & 0x1F;
    n = 1;
  } else if ((b & 0xF0) == 0xE0) {
    cp = b & 0x0F;
    n = 2;
  } else if ((b & 0xF8) == 0xF0) {
    cp = b & 0x07;
    n = 3;
  } else {
    return -1;
  }
  if (k + (uint32_t)n >= len) return -1;
  for (int j = 1; j <= n; j++) {
    if ((p[k + (uint32_t)j] & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (p[k + (uint32_t)j] & 0x3F);
  }
  if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return -1;
  *i = k + (uint32_t)n + 1;
  return cp;
}

static wit_span span_at(const wit_lexer *lx, uint32_t start, uint32_t end) {
  wit_span sp = {lx->file, start, end};
  return sp;
}

void wit_lex_init(wit_lexer *lx, wit_ctx *c, uint32_t file) {
  lx->c = c;
  lx->file = file;
  lx->text = c->sources[file].text;
  lx->len = c->sources[file].len;
  lx->pos = 0;
  uint32_t i = 0;
  while (i < lx->len) {
    uint32_t at = i;
    int32_t cp = utf8_next(lx->text, lx->len, &i);
    if (cp < 0) wit_fail(c, span_at(lx, at, at + 1), "source is not valid UTF-8");
    if (cp == '\n' || cp == '\r' || cp == '\t') continue;
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
      wit_fail(c, span_at(lx, at, i), "control character U+%04X is not allowed in WIT",
               (unsigned)cp);
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
      wit_fail(c, span_at(lx, at, i),
               "bidirectional override U+%04X is not allowed in WIT", (unsigned)cp);
    if (cp == 0x149 || cp == 0x673 || cp == 0xF77 || cp == 0xF79 || cp == 0x17A3 ||
        cp == 0x17A4 || cp == 0x17B4 || cp == 0x17B5)
      wit_fail(c, span_at(lx, at, i), "deprecated code point U+%04X is not allowed in WIT",
               (unsigned)cp);
  }
  if (lx->len >= 3 && memcmp(lx->text, "\xEF\xBB\xBF", 3) == 0) lx->pos = 3;
}

static bool is_keylike_start(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '-' ||
         ch >= 0x80;
}

static bool is_keylike_continue(unsigned char ch) {
  return is_keylike_start(ch) || (ch >= '0' && ch <= '9');
}

/* Skips whitespace and one comment at a time from lx->pos. Returns the kind
 * of comment skipped: 0 none (a token or EOF follows), 1 whitespace,
 * 2 plain comment, 3 `///` doc line, 4 slash-star-star doc block. *start and *end
 * receive the comment's extent. Raises on an unterminated block comment. */
static int skip_one(wit_lexer *lx, uint32_t *start, uint32_t *end) {
  const char *t = lx->text;
  uint32_t p = lx->pos;
  if (p >= lx->len) return 0;
  char ch = t[p];
  if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
    while (p < lx->len && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\r')) p++;
    lx->pos = p;
    return 1;
  }
  if (ch != '/' || p + 1 >= lx->len) return 0;
  *start = p;
  if (t[p + 1] == '/') {
    bool doc = p + 2 < lx->len && t[p + 2] == '/';
    while (p < lx->len && t[p] != '\n') p++;
    *end = p;
    lx->pos = p;
    return doc ? 3 : 2;
  }
  if (t[p + 1] == '*') {
    bool doc = p + 2 < lx->len && t[p + 2] == '*' && !(p + 3 < lx->len && t[p + 3] == '/');
    uint32_t depth = 1;
    p += 2;
    while (depth > 0) {
      if (p >= lx->len)
        wit_fail(lx->c, span_at(lx, *start, *start + 2), "unterminated block comment");
      if (t[p] == '/' && p + 1 < lx->len && t[p + 1] == '*') {
        depth++;
        p += 2;
      } else if (t[p] == '*' && p + 1 < lx->len && t[p + 1] == '/') {
        depth--;
        p += 2;
      } else {
        p++;
      }
    }
    *end = p;
    lx->pos = p;
    return doc ? 4 : 2;
  }
  return 0;
}

/* Skips whitespace and comments of every kind. */
static void skip_trivia(wit_lexer *lx) {
  uint32_t s, e;
  while (skip_one(lx, &s, &e) != 0) {
  }
}

/* Returns the keyword token for s[0, n), or T_ID. */
static wit_tok_kind keyword_kind(const char *s, uint32_t n) {
  for (size_t i = 0; i < BT_ARRAY_LEN(g_keywords); i++)
    if (strlen(g_keywords[i].word) == n && memcmp(g_keywords[i].word, s, n) == 0)
      return g_keywords[i].kind;
  return T_ID;
}

/* Lexes the body of a string literal after its opening quote at `start`.
 * Escapes are checked for shape only; the value is never needed because the
 * only construct taking a string (@external-id) is rejected by the parser. */
static uint32_t lex_string(wit_lexer *lx, uint32_t start) {
  uint32_t p = start + 1;
  for (;;) {
    if (p >= lx->len) wit_fail(lx->c, span_at(lx, start, start + 1), "unterminated string literal");
    char ch = lx->text[p];
    if (ch == '"') return p + 1;
    if (ch == '\n')
      wit_fail(lx->c, span_at(lx, start, p), "unterminated string literal");
    if (ch == '\\') {
      p++;
      if (p >= lx->len)
        wit_fail(lx->c, span_at(lx, start, start + 1), "unterminated string literal");
    }
    p++;
  }
}

/* Lexes one token at lx->pos (trivia already skipped) without consuming it. */
static wit_tok lex_at(wit_lexer *lx) {
  const char *t = lx->text;
  uint32_t p = lx->pos;
  wit_tok tok = {T_EOF, p, p};
  if (p >= lx->len) return tok;
  unsigned char ch = (unsigned char)t[p];
  uint32_t e = p + 1;
  switch (ch) {
    case '=': tok.kind = T_EQUALS; break;
    case ',': tok.kind = T_COMMA; break;
    case ':': tok.kind = T_COLON; break;
    case '.': tok.kind = T_PERIOD; break;
    case ';': tok.kind = T_SEMI; break;
    case '(': tok.kind = T_LPAREN; break;
    case ')': tok.kind = T_RPAREN; break;
    case '{': tok.kind = T_LBRACE; break;
    case '}': tok.kind = T_RBRACE; break;
    case '<': tok.kind = T_LT; break;
    case '>': tok.kind = T_GT; break;
    case '*': tok.kind = T_STAR; break;
    case '@': tok.kind = T_AT; break;
    case '/': tok.kind = T_SLASH; break;
    case '+': tok.kind = T_PLUS; break;
    case '"':
      tok.kind = T_STRING;
      e = lex_string(lx, p);
      break;
    case '%':
      tok.kind = T_EXPLICIT_ID;
      if (e < lx->len && is_keylike_start((unsigned char)t[e]))
        while (e < lx->len && is_keylike_continue((unsigned char)t[e])) e++;
      break;
    default:
      if (ch == '-' && p + 1 < lx->len && t[p + 1] == '>') {
        tok.kind = T_ARROW;
        e = p + 2;
      } else if (is_keylike_start(ch)) {
        while (e < lx->len && is_keylike_continue((unsigned char)t[e])) e++;
        tok.kind = keyword_kind(t + p, e - p);
        if (tok.kind == T_ID && e - p == 1 && ch == '-') tok.kind = T_MINUS;
      } else if (ch >= '0' && ch <= '9') {
        while (e < lx->len && t[e] >= '0' && t[e] <= '9') e++;
        tok.kind = T_INTEGER;
      } else {
        uint32_t i = p;
        int32_t cp = utf8_next(t, lx->len, &i);
        if (cp >= 0x20 && cp < 0x7F)
          wit_fail(lx->c, span_at(lx, p, p + 1), "unexpected character `%c`", (char)cp);
        wit_fail(lx->c, span_at(lx, p, i), "unexpected character U+%04X", (unsigned)cp);
      }
      break;
  }
  tok.end = e;
  return tok;
}

wit_tok wit_lex_peek(wit_lexer *lx) {
  skip_trivia(lx);
  return lex_at(lx);
}

wit_tok wit_lex_next(wit_lexer *lx) {
  skip_trivia(lx);
  wit_tok tok = lex_at(lx);
  lx->pos = tok.end;
  return tok;
}

/* One raw doc comment: its text with the comment markers removed and
 * trailing whitespace trimmed. */
typedef struct doc_piece {
  const char *s;
  uint32_t n;
} doc_piece;

const char *wit_lex_docs(wit_lexer *lx, wit_span *span) {
  doc_piece *pieces = NULL;
  size_t n = 0, cap = 0;
  uint32_t s = 0, e = 0, first = UINT32_MAX, last = 0;
  for (;;) {
    int kind = skip_one(lx, &s, &e);
    if (kind == 0) break;
    if (kind < 3) continue;
    doc_piece d;
    if (kind == 3) {
      uint32_t k = s;
      while (k < e && lx->text[k] == '/') k++;
      d.s = lx->text + k;
      d.n = e - k;
    } else {
      d.s = lx->text + s + 3;
      d.n = e - s - 5;
    }
    while (d.n > 0 && (d.s[d.n - 1] == ' ' || d.s[d.n - 1] == '\t' || d.s[d.n - 1] == '\n' ||
                       d.s[d.n - 1] == '\r'))
      d.n--;
    if (first == UINT32_MAX) first = s;
    last = e;
    WIT_PUSH(lx->c, &lx->c->tmp, pieces, n, cap, d);
  }
  if (span) {
    span->file = lx->file;
    span->start = first == UINT32_MAX ? lx->pos : first;
    span->end = first == UINT32_MAX ? lx->pos : last;
  }
  if (n == 0) return NULL;
  /* Remove the indentation common to all non-empty pieces. */
  uint32_t min_ws = UINT32_MAX;
  for (size_t i = 0; i < n; i++) {
    if (pieces[i].n == 0) continue;
    uint32_t w = 0;
    while (w < pieces[i].n && (pieces[i].s[w] == ' ' || pieces[i].s[w] == '\t' ||
                               pieces[i].s[w] == '\n' || pieces[i].s[w] == '\r'))
      w++;
    if (w < min_ws) min_ws = w;
  }
  if (min_ws == UINT32_MAX) min_ws = 0;
  size_t total = 1;
  for (size_t i = 0; i < n; i++) total += pieces[i].n + 2;
  char *out = wit_tmp(lx->c, total);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    doc_piece d = pieces[i];
    bool strip = d.n >= min_ws;
    for (uint32_t k = 0; strip && k < min_ws; k++)
      if (d.s[k] != ' ') strip = false;
    if (strip) {
      d.s += min_ws;
      d.n -= min_ws;
    }
    if (d.n == 0) {
      out[o++] = '\n';
      continue;
    }
    /* Split the piece into lines, dropping a CR before each LF. */
    uint32_t k = 0;
    while (k < d.n) {
      uint32_t ls = k;
      while (k < d.n && d.s[k] != '\n') k++;
      uint32_t le = k;
      if (le > ls && d.s[le - 1] == '\r') le--;
      memcpy(out + o, d.s + ls, le - ls);
      o += le - ls;
      out[o++] = '\n';
      if (k < d.n) k++;
    }
  }
  while (o > 0 && out[o - 1] == '\n') o--;
  out[o] = 0;
  return o ? out : NULL;
}

/* Reads a run of decimal digits at *p into *value. Returns false when there
 * is no digit; raises on overflow or a leading zero. */
static bool scan_number(wit_lexer *lx, uint32_t *p, uint64_t *value, uint32_t vstart) {
  const char *t = lx->text;
  uint32_t s = *p;
  uint64_t v = 0;
  while (*p < lx->len && t[*p] >= '0' && t[*p] <= '9') {
    unsigned d = (unsigned)(t[*p] - '0');
    if (v > (UINT64_MAX - d) / 10)
      wit_fail(lx->c, span_at(lx, vstart, *p + 1), "version number is too large");
    v = v * 10 + d;
    (*p)++;
  }
  if (*p == s) return false;
  if (*p - s > 1 && t[s] == '0')
    wit_fail(lx->c, span_at(lx, vstart, *p),
             "invalid version: numbers must not have leading zeros");
  *value = v;
  return true;
}

static bool is_semver_ident_char(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         ch == '-';
}

/* Scans dot-separated semver identifiers after a '-' or '+' at *p. A '.'
 * belongs to the version only when an identifier character follows it, so
 * `@1.0.0-rc.{a}` stops before `.{`. Raises on an empty identifier or (for
 * pre-release) a numeric identifier with a leading zero. */
static void scan_idents(wit_lexer *lx, uint32_t *p, bool pre, uint32_t vstart) {
  const char *t = lx->text;
  for (;;) {
    uint32_t s = *p;
    while (*p < lx->len && is_semver_ident_char(t[*p])) (*p)++;
    if (*p == s)
      wit_fail(lx->c, span_at(lx, vstart, *p + (*p < lx->len)),
               "invalid version: empty %s identifier", pre ? "pre-release" : "build");
    bool numeric = true;
    for (uint32_t k = s; k < *p; k++)
      if (t[k] < '0' || t[k] > '9') numeric = false;
    if (pre && numeric && *p - s > 1 && t[s] == '0')
      wit_fail(lx->c, span_at(lx, vstart, *p),
               "invalid version: numeric pre-release identifiers must not have leading zeros");
    if (*p + 1 < lx->len && t[*p] == '.' && is_semver_ident_char(t[*p + 1])) {
      (*p)++;
      continue;
    }
    return;
  }
}

void wit_lex_version(wit_lexer *lx, bt_wit_version_t *v, wit_span *span) {
  skip_trivia(lx);
  const char *t = lx->text;
  uint32_t start = lx->pos, p = lx->pos;
  memset(v, 0, sizeof *v);
  uint64_t *parts[3] = {&v->major, &v->minor, &v->patch};
  for (int i = 0; i < 3; i++) {
    if (i > 0) {
      if (p >= lx->len || t[p] != '.')
        wit_fail(lx->c, span_at(lx, start, p > start ? p : p + 1),
                 "invalid version: expected `major.minor.patch`");
      p++;
    }
    if (!scan_number(lx, &p, parts[i], start))
      wit_fail(lx->c, span_at(lx, start, p > start ? p : p + 1),
               "invalid version: expected `major.minor.patch`");
  }
  uint32_t pre_s = 0, pre_e = 0, build_s = 0, build_e = 0;
  if (p < lx->len && t[p] == '-') {
    p++;
    pre_s = p;
    scan_idents(lx, &p, true, start);
    pre_e = p;
  }
  if (p < lx->len && t[p] == '+') {
    p++;
    build_s = p;
    scan_idents(lx, &p, false, start);
    build_e = p;
  }
  if (pre_e > pre_s) v->pre = wit_tmp_strn(lx->c, t + pre_s, pre_e - pre_s);
  if (build_e > build_s) v->build = wit_tmp_strn(lx->c, t + build_s, build_e - build_s);
  v->text = wit_tmp_strn(lx->c, t + start, p - start);
  lx->pos = p;
  if (span) *span = span_at(lx, start, p);
}

/* Compares two dot-separated pre-release strings by semver precedence. */
static int cmp_pre(const char *a, const char *b) {
  while (*a && *b) {
    size_t la = strcspn(a, "."), lb = strcspn(b, ".");
    bool na = true, nb = true;
    for (size_t i = 0; i < la; i++)
      if (a[i] < '0' || a[i] > '9') na = false;
    for (size_t i = 0; i < lb; i++)
      if (b[i] < '0' || b[i] > '9') nb = false;
    int r;
    if (na && nb) r = la != lb ? (la < lb ? -1 : 1) : strncmp(a, b, la);
    else if (na) r = -1;
    else if (nb) r = 1;
    else {
      size_t m = la < lb ? la : lb;
      r = strncmp(a, b, m);
      if (r == 0 && la != lb) r = la < lb ? -1 : 1;
    }
    if (r) return r < 0 ? -1 : 1;
    a += la;
    b += lb;
    if (*a == '.') a++;
    if (*b == '.') b++;
  }
  if (*a) return 1;
  if (*b) return -1;
  return 0;
}

int wit_version_cmp(const bt_wit_version_t *a, const bt_wit_version_t *b) {
  if (a->major != b->major) return a->major < b->major ? -1 : 1;
  if (a->minor != b->minor) return a->minor < b->minor ? -1 : 1;
  if (a->patch != b->patch) return a->patch < b->patch ? -1 : 1;
  if (!a->pre && !b->pre) return 0;
  if (!a->pre) return 1; /* a release outranks its pre-releases */
  if (!b->pre) return -1;
  return cmp_pre(a->pre, b->pre);
}

void wit_validate_id(wit_ctx *c, const char *s, size_t n, wit_span sp) {
  if (n == 0) wit_fail(c, sp, "expected an identifier after `%%`");
  size_t i = 0;
  bool first_word = true;
  while (i <= n) {
    size_t ws = i;
    while (i < n && s[i] != '-') i++;
    if (i == ws)
      wit_fail(c, sp,
               "invalid identifier `%.*s`: words must not be empty (no leading, trailing or "
               "doubled `-`)",
               (int)n, s);
    int upper = -1;
    for (size_t k = ws; k < i; k++) {
      unsigned char ch = (unsigned char)s[k];
      if (ch >= '0' && ch <= '9') continue;
      int is_up;
      if (ch >= 'A' && ch <= 'Z') is_up = 1;
      else if (ch >= 'a' && ch <= 'z') is_up = 0;
      else if (ch < 0x80)
        wit_fail(c, sp,
                 "invalid identifier `%.*s`: character `%c` is not allowed (identifiers are "
                 "kebab-case words of letters and digits)",
                 (int)n, s, ch);
      else
        wit_fail(c, sp,
                 "invalid identifier `%.*s`: only ASCII letters, digits and `-` are allowed",
                 (int)n, s);
      if (upper == -1) upper = is_up;
      else if (upper != is_up)
        wit_fail(c, sp,
                 "invalid identifier `%.*s`: word `%.*s` mixes upper and lower case", (int)n,
                 s, (int)(i - ws), s + ws);
    }
    char f = s[ws];
    if (first_word && !((f >= 'a' && f <= 'z') || (f >= 'A' && f <= 'Z')))
      wit_fail(c, sp, "invalid identifier `%.*s`: it must start with a letter", (int)n, s);
    first_word = false;
    i++;
  }
}
