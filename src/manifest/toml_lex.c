/*
 * src/manifest/toml_lex.c: the lexical half of the TOML parser (see
 * toml_lex.h): characters, line:col positions and error messages with the
 * source line and a caret; whitespace, comments and newlines; keys; the four
 * kinds of strings with all escapes; integers, floats, booleans and the four
 * datetime forms, each validated to the letter of TOML 1.0.
 *
 * Newlines inside multi-line strings are stored as LF whatever the file's
 * line endings (the specification lets parsers normalise them). Floats are
 * converted with the "C" locale whatever the process locale; a float literal
 * too large for a double is rejected, one too small becomes 0 or subnormal.
 */
#define _GNU_SOURCE
#include "manifest/toml_lex.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Source lines longer than this many columns are shown as an excerpt
 * around the error column in error messages. */
#define SHOW_COLS 120

/* A growable byte buffer for decoding strings. */
typedef struct strbuf {
  char *p;
  size_t len, cap;
} strbuf_t;

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static bool is_bare_key_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
         c == '_' || c == '-';
}

/* Returns true for a control character that may not appear in a comment or
 * string: U+0000-U+001F except tab, and U+007F. */
static bool is_forbidden_control(int c) {
  return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/* Decodes one UTF-8 sequence at s[0..n) into *cp. Returns its length (1-4),
 * or 0 if the bytes there are not well-formed UTF-8 (including overlong
 * forms, surrogates and values above U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned char b = s[0];
  size_t len;
  uint32_t c, min;
  if (b < 0x80) {
    *cp = b;
    return 1;
  } else if (b >= 0xC2 && b <= 0xDF) {
    len = 2, c = b & 0x1F, min = 0x80;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3, c = b & 0x0F, min = 0x800;
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4, c = b & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *cp = c;
  return len;
}

/* Computes the 1-based line and column of byte offset off (columns count
 * code points, i.e. bytes that are not UTF-8 continuation bytes). */
void bt_toml_locate(parser_t *p, size_t off, unsigned *line, unsigned *col) {
  if (off < p->cur_off) {
    p->cur_off = p->base;
    p->cur_line = 1;
    p->cur_col = 1;
  }
  unsigned ln = p->cur_line, c = p->cur_col;
  for (size_t i = p->cur_off; i < off; i++) {
    unsigned char b = (unsigned char)p->src[i];
    if (b == '\n') {
      ln++;
      c = 1;
    } else if ((b & 0xC0) != 0x80) {
      c++;
    }
  }
  p->cur_off = off;
  p->cur_line = ln;
  p->cur_col = c;
  *line = ln;
  *col = c;
}

/* Renders the source line containing off for an error message: *shown gets
 * the line (control characters and invalid bytes replaced by '?', an excerpt
 * with "..." if the line is long) and *caret the whitespace that puts a '^'
 * under column col. Both buffers have cap bytes; cap must be at least
 * 4 * SHOW_COLS + 16 for the excerpt to fit whole. */
static void render_line(const parser_t *p, size_t off, unsigned col,
                        char *shown, char *caret, size_t cap) {
  size_t ls = off, le = off;
  while (ls > p->base && p->src[ls - 1] != '\n') ls--;
  while (le < p->len && p->src[le] != '\n' && p->src[le] != '\r') le++;
  const unsigned char *s = (const unsigned char *)p->src;
  size_t total = 0;
  for (size_t i = ls; i < le; total++) {
    uint32_t cp;
    size_t k = utf8_decode(s + i, le - i, &cp);
    i += k ? k : 1;
  }
  size_t want = col > 0 ? col - 1 : 0, first = 0;
  if (total > SHOW_COLS && want > SHOW_COLS / 2) first = want - SHOW_COLS / 2;
  size_t last = first + SHOW_COLS < total ? first + SHOW_COLS : total;
  size_t o = 0, c = 0;
  if (first > 0) {
    memcpy(shown, "...", 3);
    memcpy(caret, "   ", 3);
    o = c = 3;
  }
  size_t k = 0;
  for (size_t i = ls; i < le && k < last; k++) {
    uint32_t cp = 0;
    size_t n = utf8_decode(s + i, le - i, &cp);
    if (k >= first && o + 8 < cap) {
      if (n == 0 || is_forbidden_control((int)cp) ||
          (cp >= 0x80 && cp < 0xA0)) {
        shown[o++] = '?';
      } else {
        memcpy(shown + o, s + i, n);
        o += n;
      }
      if (k < want && c + 2 < cap) caret[c++] = cp == '\t' ? '\t' : ' ';
    }
    i += n ? n : 1;
  }
  if (last < total && o + 4 < cap) {
    memcpy(shown + o, "...", 3);
    o += 3;
  }
  /* A caret past the end of the line (for example at end of file). */
  for (; k < want && k < first + SHOW_COLS && c + 2 < cap; k++)
    caret[c++] = ' ';
  shown[o] = 0;
  caret[c] = 0;
}

/* Copies msg into out (size bytes, always NUL-terminated) with the text of
 * every `quoted` span (a value's source text) replaced by "...". */
static void hide_quoted(const char *msg, char *out, size_t size) {
  size_t o = 0;
  for (const char *r = msg; *r && o + 1 < size;) {
    const char *close = *r == '`' ? strchr(r + 1, '`') : NULL;
    if (!close) {
      out[o++] = *r++;
      continue;
    }
    if (o + 6 > size) break;
    memcpy(out + o, "`...`", 5);
    o += 5;
    r = close + 1;
  }
  out[o] = 0;
}

/* Records an error with code at byte offset off, formatted as
 * "FILE:LINE:COL: message", the source line and a caret line, unless an
 * error was already recorded. A document that mentions `secret` (it may
 * declare secret variables, whose defaults must never be shown) gets no
 * source line and no quoted value text: only the position and the
 * message. Always returns false, so callers can write
 * `return bt_toml_fail(...)`. */
static bool failv(parser_t *p, baton_errno_t code, size_t off, const char *fmt,
                  va_list ap) {
  if (p->err) return false;
  char msg[512], shown[512], caret[512], lnum[16];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (off > p->len) off = p->len;
  unsigned line, col;
  bt_toml_locate(p, off, &line, &col);
  if (memmem(p->src, p->len, "secret", 6)) {
    hide_quoted(msg, shown, sizeof shown);
    p->err = baton_error_new(code, "%s:%u:%u: %s (source not quoted: the manifest may hold secrets)",
                             p->filename, line, col, shown);
    return false;
  }
  render_line(p, off, col, shown, caret, sizeof caret);
  int w = snprintf(lnum, sizeof lnum, "%u", line);
  p->err =
      baton_error_new(code, "%s:%u:%u: %s\n  %s | %s\n  %*s | %s^", p->filename,
                      line, col, msg, lnum, shown, w, "", caret);
  return false;
}

bool bt_toml_fail(parser_t *p, size_t off, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  failv(p, BATON_ESYNTAX, off, fmt, ap);
  va_end(ap);
  return false;
}

/* Like bt_toml_fail(), for the LIMIT error code. */
__attribute__((format(printf, 3, 4))) static bool fail_limit(parser_t *p,
                                                             size_t off,
                                                             const char *fmt,
                                                             ...) {
  va_list ap;
  va_start(ap, fmt);
  failv(p, BATON_ELIMIT, off, fmt, ap);
  va_end(ap);
  return false;
}

/* Records a nesting-limit error at off. Returns false. */
bool bt_toml_fail_depth(parser_t *p, size_t off) {
  return fail_limit(p, off, "tables and arrays nest deeper than %d levels",
                    BT_TOML_MAX_DEPTH);
}

/* Records an out-of-memory error (unless an error is already recorded).
 * Returns false. */
bool bt_toml_fail_oom(parser_t *p) {
  if (!p->err)
    p->err = baton_error_new(
        BATON_ENO_MEMORY, "%s: out of memory while parsing TOML", p->filename);
  return false;
}

/* Describes the character at off for messages: "'x'", "end of line",
 * "end of file", "control character U+0007", "'<char>' (U+3000)", "U+FEFF"
 * for invisible characters, or "byte 0xFF" for invalid UTF-8. Formats into
 * buf (at least 32 bytes) when needed. */
const char *bt_toml_describe(const parser_t *p, size_t off, char *buf,
                             size_t cap) {
  if (off >= p->len) return "end of file";
  unsigned char c = (unsigned char)p->src[off];
  if (c == '\n') return "end of line";
  if (c == '\r') return "carriage return";
  if (c == '\t') return "tab";
  if (c >= 0x20 && c < 0x7f) {
    snprintf(buf, cap, "'%c'", c);
  } else if (c < 0x80) {
    snprintf(buf, cap, "control character U+%04X", c);
  } else {
    uint32_t cp;
    size_t n =
        utf8_decode((const unsigned char *)p->src + off, p->len - off, &cp);
    if (n && cp >= 0xA0 && cp != 0xFEFF)
      snprintf(buf, cap, "'%.*s' (U+%04X)", (int)n, p->src + off, (unsigned)cp);
    else if (n)
      snprintf(buf, cap, "U+%04X", (unsigned)cp);
    else
      snprintf(buf, cap, "byte 0x%02X", c);
  }
  return buf;
}

/* Checks that the whole document is well-formed UTF-8. Returns false with
 * an error at the first bad byte otherwise. */
bool bt_toml_check_utf8(parser_t *p) {
  const unsigned char *s = (const unsigned char *)p->src;
  for (size_t i = 0; i < p->len;) {
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    uint32_t cp;
    size_t n = utf8_decode(s + i, p->len - i, &cp);
    if (n == 0)
      return bt_toml_fail(p, i,
                          "invalid UTF-8 (byte 0x%02X); TOML documents must be "
                          "UTF-8",
                          s[i]);
    i += n;
  }
  return true;
}

/* Consumes a newline (LF or CR LF) at the current position if there is one.
 * Returns 1 if one was consumed, 0 if there is none, and -1 (with an error)
 * for a CR not followed by LF. */
int bt_toml_eat_newline(parser_t *p) {
  int c = peek(p);
  if (c == '\n') {
    p->pos++;
    return 1;
  }
  if (c == '\r') {
    if (peek_at(p, p->pos + 1) == '\n') {
      p->pos += 2;
      return 1;
    }
    bt_toml_fail(p, p->pos, "carriage return must be followed by a line feed");
    return -1;
  }
  return 0;
}

/* Skips a comment if one starts at the current position, leaving the
 * position at the end of the line. Fails on control characters. */
bool bt_toml_skip_comment(parser_t *p) {
  if (peek(p) != '#') return true;
  p->pos++;
  for (; p->pos < p->len; p->pos++) {
    unsigned char c = (unsigned char)p->src[p->pos];
    if (c == '\n') break;
    if (c == '\r' && peek_at(p, p->pos + 1) == '\n') break;
    if (is_forbidden_control(c))
      return bt_toml_fail(
          p, p->pos, "control character U+%04X is not allowed in a comment", c);
  }
  return true;
}

/* Skips whitespace, comments and newlines (inside arrays). */
bool bt_toml_skip_blank(parser_t *p) {
  for (;;) {
    skip_ws(p);
    if (!bt_toml_skip_comment(p)) return false;
    int r = bt_toml_eat_newline(p);
    if (r < 0) return false;
    if (r == 0) return true;
  }
}

/* ---- buffers and keys ---- */

static bool sb_reserve(strbuf_t *b, size_t extra) {
  if (b->cap - b->len > extra) return true;
  size_t cap = b->cap ? b->cap : 32;
  while (cap - b->len <= extra) {
    if (cap > SIZE_MAX / 2) return false;
    cap *= 2;
  }
  char *np = bt_realloc(b->p, cap);
  if (!np) return false;
  b->p = np;
  b->cap = cap;
  return true;
}

static bool sb_put(strbuf_t *b, const char *s, size_t n) {
  if (!sb_reserve(b, n)) return false;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
  return true;
}

/* Appends code point cp (a Unicode scalar value) encoded as UTF-8. */
static bool sb_put_utf8(strbuf_t *b, uint32_t cp) {
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
  return sb_put(b, u, n);
}

/* Makes sure the buffer holds an allocated, NUL-terminated string (even an
 * empty one), so its pointer can be handed over as a string value. */
static bool sb_finish(strbuf_t *b) {
  if (!sb_reserve(b, 0)) return false;
  b->p[b->len] = 0;
  return true;
}

void bt_toml_key_free(keypath_t *k) {
  for (size_t i = 0; i < k->n; i++) bt_free(k->v[i].s);
  bt_free(k->v);
  k->v = NULL;
  k->n = k->cap = 0;
}

/* Formats the dotted key made of parts [0, upto] of k into buf for messages,
 * quoting parts that are not bare keys and truncating with "...". Returns
 * buf. */
const char *bt_toml_key_text(const keypath_t *k, size_t upto, char *buf,
                             size_t cap) {
  size_t o = 0;
  buf[0] = 0;
  for (size_t i = 0; i <= upto && i < k->n; i++) {
    const keypart_t *kp = &k->v[i];
    bool bare = kp->len > 0;
    for (size_t j = 0; j < kp->len; j++)
      if (!is_bare_key_char((unsigned char)kp->s[j])) bare = false;
    char part[300];
    size_t q = 0;
    if (!bare) part[q++] = '"';
    for (size_t j = 0; j < kp->len && q + 8 < sizeof part; j++) {
      unsigned char c = (unsigned char)kp->s[j];
      if (c == '"' || c == '\\') {
        part[q++] = '\\';
        part[q++] = (char)c;
      } else if (is_forbidden_control(c)) {
        q += (size_t)snprintf(part + q, sizeof part - q, "\\u%04X", c);
      } else {
        part[q++] = (char)c;
      }
    }
    if (!bare) part[q++] = '"';
    part[q] = 0;
    int n = snprintf(buf + o, cap - o, "%s%s", i ? "." : "", part);
    if (n < 0 || (size_t)n >= cap - o) {
      if (cap > 4) strcpy(buf + cap - 4, "...");
      break;
    }
    o += (size_t)n;
  }
  return buf;
}

/* ---- strings ---- */

/* Returns the value of hex digit c, or -1. */
static int hex_val(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes the escape sequence at p->pos (a backslash) into b and moves past
 * it. Handles \b \t \n \f \r \" \\ \uXXXX and \UXXXXXXXX; the latter two
 * must name a Unicode scalar value. */
static bool parse_escape(parser_t *p, strbuf_t *b) {
  size_t at = p->pos;
  int c = peek_at(p, at + 1);
  char ch;
  switch (c) {
    case 'b': ch = '\b'; break;
    case 't': ch = '\t'; break;
    case 'n': ch = '\n'; break;
    case 'f': ch = '\f'; break;
    case 'r': ch = '\r'; break;
    case '"': ch = '"'; break;
    case '\\': ch = '\\'; break;
    case 'u':
    case 'U': {
      int digits = c == 'u' ? 4 : 8;
      uint32_t cp = 0;
      for (int i = 0; i < digits; i++) {
        int h = hex_val(peek_at(p, at + 2 + (size_t)i));
        if (h < 0)
          return bt_toml_fail(p, at,
                              "\\%c escape needs exactly %d hexadecimal digits",
                              c, digits);
        cp = (cp << 4) | (uint32_t)h;
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return bt_toml_fail(
            p, at,
            "escape \\%c%.*s is not a Unicode scalar value (surrogates "
            "and values above 10FFFF are not allowed)",
            c, digits, p->src + at + 2);
      p->pos = at + 2 + (size_t)digits;
      return sb_put_utf8(b, cp) || bt_toml_fail_oom(p);
    }
    default: {
      char d[48];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        return bt_toml_fail(
            p, at,
            "invalid escape: a backslash followed by "
            "whitespace must end the line (in multi-line strings "
            "only)");
      return bt_toml_fail(p, at,
                          "invalid escape sequence: backslash followed by %s",
                          bt_toml_describe(p, at + 1, d, sizeof d));
    }
  }
  p->pos = at + 2;
  return sb_put(b, &ch, 1) || bt_toml_fail_oom(p);
}

/* Fails for the byte at offset at, which ends a single-line string early
 * (end of line or file) or may not appear in any string (a control
 * character); quote is the string's quote character. */
static bool bad_string_char(parser_t *p, size_t at, char quote) {
  int c = peek_at(p, at);
  if (c < 0 || c == '\n' || (c == '\r' && peek_at(p, at + 1) == '\n'))
    return bt_toml_fail(p, at,
                        "unterminated string: missing closing %c before the "
                        "end of the %s",
                        quote, c < 0 ? "file" : "line");
  return bt_toml_fail(p, at,
                      "control character U+%04X must be escaped in a string",
                      (unsigned)c);
}

/* Parses a single-line basic ("...") or literal ('...') string starting at
 * p->pos (the opening quote) into b. */
static bool parse_line_string(parser_t *p, strbuf_t *b) {
  char quote = p->src[p->pos];
  p->pos++;
  for (;;) {
    size_t run = p->pos;
    while (p->pos < p->len) {
      unsigned char c = (unsigned char)p->src[p->pos];
      if (c == (unsigned char)quote || (c == '\\' && quote == '"') ||
          is_forbidden_control(c))
        break;
      p->pos++;
    }
    if (p->pos > run && !sb_put(b, p->src + run, p->pos - run))
      return bt_toml_fail_oom(p);
    int c = peek(p);
    if (c == quote) {
      p->pos++;
      return sb_finish(b) || bt_toml_fail_oom(p);
    }
    if (c == '\\') {
      if (!parse_escape(p, b)) return false;
      continue;
    }
    return bad_string_char(p, p->pos, quote);
  }
}

/* Parses a multi-line basic ("""...""") or literal ('''...''') string
 * starting at p->pos (the first of three quotes) into b: a newline right
 * after the opening quotes is dropped, up to two quotes may precede the
 * closing three, and in basic strings a backslash at the end of a line
 * removes the line break and the whitespace that follows. */
static bool parse_ml_string(parser_t *p, strbuf_t *b) {
  char quote = p->src[p->pos];
  size_t open = p->pos;
  p->pos += 3;
  if (bt_toml_eat_newline(p) < 0) return false;
  for (;;) {
    size_t run = p->pos;
    while (p->pos < p->len) {
      unsigned char c = (unsigned char)p->src[p->pos];
      if (c == (unsigned char)quote || (c == '\\' && quote == '"') ||
          c == '\r' || (is_forbidden_control(c) && c != '\n'))
        break;
      p->pos++;
    }
    if (p->pos > run && !sb_put(b, p->src + run, p->pos - run))
      return bt_toml_fail_oom(p);
    int c = peek(p);
    if (c < 0)
      return bt_toml_fail(p, open,
                          "unterminated multi-line string: missing closing "
                          "%c%c%c",
                          quote, quote, quote);
    if (c == quote) {
      size_t q = 0;
      while (peek_at(p, p->pos + q) == quote) q++;
      if (q >= 3) {
        if (q > 5)
          return bt_toml_fail(p, p->pos + 5,
                              "too many quotes: at most two %c may "
                              "come before the closing %c%c%c",
                              quote, quote, quote, quote);
        if (!sb_put(b, p->src + p->pos, q - 3)) return bt_toml_fail_oom(p);
        p->pos += q;
        return sb_finish(b) || bt_toml_fail_oom(p);
      }
      if (!sb_put(b, p->src + p->pos, q)) return bt_toml_fail_oom(p);
      p->pos += q;
    } else if (c == '\r') {
      if (peek_at(p, p->pos + 1) != '\n')
        return bt_toml_fail(p, p->pos,
                            "carriage return must be followed by a line "
                            "feed");
      if (!sb_put(b, "\n", 1)) return bt_toml_fail_oom(p);
      p->pos += 2;
    } else if (c == '\\') {
      /* Line-ending backslash: optional whitespace, then a newline. */
      size_t j = p->pos + 1;
      while (peek_at(p, j) == ' ' || peek_at(p, j) == '\t') j++;
      int e = peek_at(p, j);
      if (e == '\n' || e == '\r') {
        p->pos = j;
        for (;;) {
          skip_ws(p);
          int r = bt_toml_eat_newline(p);
          if (r < 0) return false;
          if (r == 0) break;
        }
      } else if (!parse_escape(p, b)) {
        return false;
      }
    } else {
      return bt_toml_fail(p, p->pos,
                          "control character U+%04X must be escaped in a "
                          "string",
                          (unsigned)c);
    }
  }
}

/* ---- keys ---- */

/* Parses a key (simple or dotted, with optional whitespace around the dots)
 * at p->pos into k, leaving the position after the whitespace that follows
 * it. */
bool bt_toml_parse_key(parser_t *p, keypath_t *k) {
  for (;;) {
    keypart_t part = {0};
    part.off = p->pos;
    bt_toml_locate(p, p->pos, &part.line, &part.col);
    int c = peek(p);
    if (c == '"' || c == '\'') {
      if (peek_at(p, p->pos + 1) == c && peek_at(p, p->pos + 2) == c)
        return bt_toml_fail(p, p->pos,
                            "multi-line strings cannot be used as keys");
      strbuf_t b = {0};
      if (!parse_line_string(p, &b)) {
        bt_free(b.p);
        return false;
      }
      part.s = b.p;
      part.len = b.len;
    } else if (is_bare_key_char(c)) {
      size_t start = p->pos;
      while (is_bare_key_char(peek(p))) p->pos++;
      part.len = p->pos - start;
      part.s = bt_strndup(p->src + start, part.len);
      if (!part.s) return bt_toml_fail_oom(p);
    } else {
      char d[48];
      return bt_toml_fail(p, p->pos, "expected a key, found %s",
                          bt_toml_describe(p, p->pos, d, sizeof d));
    }
    if (k->n == k->cap) {
      size_t cap = k->cap ? k->cap * 2 : 4;
      keypart_t *v = bt_realloc(k->v, cap * sizeof *v);
      if (!v) {
        bt_free(part.s);
        return bt_toml_fail_oom(p);
      }
      k->v = v;
      k->cap = cap;
    }
    k->v[k->n++] = part;
    skip_ws(p);
    if (peek(p) != '.') return true;
    p->pos++;
    skip_ws(p);
  }
}

/* ---- scalars ---- */

/* Returns the digit value of c in base (2, 8, 10 or 16), or -1. */
static int digit_in(int c, int base) {
  int v = hex_val(c);
  return v >= 0 && v < base ? v : -1;
}

/* Scans digits of the given base starting at t[*i], allowing single
 * underscores between digits, and stops at the first other character.
 * Returns the number of digits, or -1 after recording an error (an
 * underscore not between two digits). off is the offset of t in the source. */
static long scan_digits(parser_t *p, const char *t, size_t n, size_t *i,
                        int base, size_t off) {
  size_t start = *i;
  long count = 0;
  while (*i < n) {
    int c = (unsigned char)t[*i];
    if (digit_in(c, base) >= 0) {
      count++;
      (*i)++;
    } else if (c == '_') {
      if (*i == start || digit_in((unsigned char)t[*i - 1], base) < 0 ||
          *i + 1 >= n || digit_in((unsigned char)t[*i + 1], base) < 0) {
        bt_toml_fail(p, off + *i, "'_' in a number must be between two digits");
        return -1;
      }
      (*i)++;
    } else {
      break;
    }
  }
  return count;
}

/* Parses an integer token t[0..n) at source offset off: decimal with an
 * optional sign and no leading zeros, or 0x / 0o / 0b with no sign. Values
 * outside int64_t are rejected. */
static bool parse_integer(parser_t *p, const char *t, size_t n, size_t off,
                          int64_t *out) {
  char d[48];
  size_t i = 0;
  bool neg = false;
  if (t[0] == '+' || t[0] == '-') {
    neg = t[0] == '-';
    i = 1;
  }
  int base = 10;
  if (n - i >= 2 && t[i] == '0' &&
      (t[i + 1] == 'x' || t[i + 1] == 'o' || t[i + 1] == 'b')) {
    if (i > 0)
      return bt_toml_fail(p, off,
                          "hexadecimal, octal and binary integers cannot "
                          "have a sign");
    base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
    i = 2;
  } else if (i < n && t[i] == '0' && i + 1 < n &&
             (is_digit(t[i + 1]) || t[i + 1] == '_')) {
    return bt_toml_fail(p, off + i,
                        "leading zeros are not allowed in integers");
  }
  size_t first = i;
  long count = scan_digits(p, t, n, &i, base, off);
  if (count < 0) return false;
  if (i < n)
    return bt_toml_fail(p, off + i, "invalid character %s in %s",
                        bt_toml_describe(p, off + i, d, sizeof d),
                        base == 10 ? "integer" : "integer literal");
  if (count == 0)
    return bt_toml_fail(p, off + first, "expected digits in integer");
  uint64_t v = 0, limit = base == 10 && neg ? (uint64_t)INT64_MAX + 1
                                            : (uint64_t)INT64_MAX;
  for (size_t j = first; j < n; j++) {
    if (t[j] == '_') continue;
    uint64_t dv = (uint64_t)digit_in((unsigned char)t[j], base);
    if (v > (limit - dv) / (uint64_t)base)
      return bt_toml_fail(p, off, "integer %.*s does not fit in 64 bits",
                          (int)(n > 64 ? 64 : n), t);
    v = v * (uint64_t)base + dv;
  }
  if (neg)
    *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
  else
    *out = (int64_t)v;
  return true;
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void make_c_locale(void) {
  c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* Converts a decimal floating-point string (no underscores) with the "C"
 * locale's '.' as decimal point. */
static double c_strtod(const char *s) {
  pthread_once(&c_locale_once, make_c_locale);
  if (c_locale) return strtod_l(s, NULL, c_locale);
  return strtod(s, NULL);
}

/* Parses a float token t[0..n) at source offset off: [sign] integer part
 * (no leading zeros), then a fraction, an exponent or both, with single
 * underscores between digits; or [sign] inf / nan. */
static bool parse_float(parser_t *p, const char *t, size_t n, size_t off,
                        double *out) {
  char d[48];
  size_t i = 0;
  bool neg = false;
  if (t[0] == '+' || t[0] == '-') {
    neg = t[0] == '-';
    i = 1;
  }
  if (n - i == 3 && memcmp(t + i, "inf", 3) == 0) {
    *out = neg ? -INFINITY : INFINITY;
    return true;
  }
  if (n - i == 3 && memcmp(t + i, "nan", 3) == 0) {
    *out = neg ? -NAN : NAN;
    return true;
  }
  if (i < n && t[i] == '0' && i + 1 < n &&
      (is_digit(t[i + 1]) || t[i + 1] == '_'))
    return bt_toml_fail(p, off + i, "leading zeros are not allowed in floats");
  long cnt = scan_digits(p, t, n, &i, 10, off);
  if (cnt < 0) return false;
  if (cnt == 0)
    return bt_toml_fail(p, off + i, "a float needs digits before its %s",
                        i < n && t[i] == '.' ? "'.'" : "exponent");
  if (i < n && t[i] == '.') {
    i++;
    cnt = scan_digits(p, t, n, &i, 10, off);
    if (cnt < 0) return false;
    if (cnt == 0)
      return bt_toml_fail(p, off + i, "a float needs digits after the '.'");
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    i++;
    if (i < n && (t[i] == '+' || t[i] == '-')) i++;
    cnt = scan_digits(p, t, n, &i, 10, off);
    if (cnt < 0) return false;
    if (cnt == 0)
      return bt_toml_fail(p, off + i, "expected digits in the exponent");
  }
  if (i < n)
    return bt_toml_fail(p, off + i, "invalid character %s in float",
                        bt_toml_describe(p, off + i, d, sizeof d));
  char small[128], *buf = n < sizeof small ? small : bt_malloc(n + 1);
  if (!buf) return bt_toml_fail_oom(p);
  size_t o = 0;
  for (size_t j = 0; j < n; j++)
    if (t[j] != '_') buf[o++] = t[j];
  buf[o] = 0;
  errno = 0;
  double v = c_strtod(buf);
  int e = errno;
  if (buf != small) bt_free(buf);
  if (e == ERANGE && isinf(v))
    return bt_toml_fail(p, off, "float %.*s is too large for a 64-bit float",
                        (int)(n > 64 ? 64 : n), t);
  *out = v;
  return true;
}

/* Returns the value of two decimal digits at s, or -1. */
static int two_digits(const char *s, size_t avail) {
  if (avail < 2 || !is_digit(s[0]) || !is_digit(s[1])) return -1;
  return (s[0] - '0') * 10 + (s[1] - '0');
}

static int days_in_month(int year, int month) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

/* Parses a date, date-time or time token t[0..n) at source offset off into
 * *dt and *kind, checking every field's range (including February 29 only
 * in leap years). Seconds are required, as TOML 1.0 demands. */
static bool parse_datetime(parser_t *p, const char *t, size_t n, size_t off,
                           bt_toml_datetime_t *dt, bt_toml_kind_t *kind) {
  static const char *const months[12] = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  char d[48];
  memset(dt, 0, sizeof *dt);
  size_t i = 0;
  bool has_date = !(n >= 3 && is_digit(t[0]) && is_digit(t[1]) && t[2] == ':');
  if (has_date) {
    int y1 = two_digits(t, n), y2 = two_digits(t + 2, n - 2);
    if (n < 10 || y1 < 0 || y2 < 0 || t[4] != '-' || t[7] != '-' ||
        two_digits(t + 5, 2) < 0 || two_digits(t + 8, 2) < 0 ||
        (n > 10 && is_digit(t[10])))
      return bt_toml_fail(p, off, "invalid date `%.*s`: expected YYYY-MM-DD",
                          (int)n, t);
    dt->year = y1 * 100 + y2;
    dt->month = two_digits(t + 5, 2);
    dt->day = two_digits(t + 8, 2);
    if (dt->month < 1 || dt->month > 12)
      return bt_toml_fail(p, off + 5, "month %02d is out of range (01-12)",
                          dt->month);
    if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
      return bt_toml_fail(p, off + 8, "day %02d is out of range for %s %04d",
                          dt->day, months[dt->month - 1], dt->year);
    i = 10;
    if (i == n) {
      *kind = BT_TOML_LOCAL_DATE;
      return true;
    }
    if (t[i] != 'T' && t[i] != 't' && t[i] != ' ')
      return bt_toml_fail(p, off + i,
                          "expected 'T' or a space between date and time, "
                          "found %s",
                          bt_toml_describe(p, off + i, d, sizeof d));
    i++;
  }
  const char *s = t + i;
  size_t avail = n - i;
  if (avail < 8 || two_digits(s, avail) < 0 || s[2] != ':' ||
      two_digits(s + 3, 2) < 0 || s[5] != ':' || two_digits(s + 6, 2) < 0)
    return bt_toml_fail(p, off + i,
                        "invalid time: expected HH:MM:SS (seconds are "
                        "required)");
  dt->hour = two_digits(s, 2);
  dt->minute = two_digits(s + 3, 2);
  dt->second = two_digits(s + 6, 2);
  if (dt->hour > 23)
    return bt_toml_fail(p, off + i, "hour %02d is out of range (00-23)",
                        dt->hour);
  if (dt->minute > 59)
    return bt_toml_fail(p, off + i + 3, "minute %02d is out of range (00-59)",
                        dt->minute);
  if (dt->second > 60)
    return bt_toml_fail(p, off + i + 6, "second %02d is out of range (00-60)",
                        dt->second);
  i += 8;
  if (i < n && t[i] == '.') {
    size_t j = ++i;
    while (i < n && is_digit(t[i])) {
      if (i - j < 9)
        dt->nanosecond = dt->nanosecond * 10 + (uint32_t)(t[i] - '0');
      i++;
    }
    if (i == j)
      return bt_toml_fail(p, off + i,
                          "expected digits after '.' in the seconds");
    dt->frac_digits = (int)(i - j);
    for (size_t k = i - j; k < 9; k++) dt->nanosecond *= 10;
  }
  if (!has_date) {
    if (i < n)
      return bt_toml_fail(p, off + i, "unexpected %s after time",
                          bt_toml_describe(p, off + i, d, sizeof d));
    *kind = BT_TOML_LOCAL_TIME;
    return true;
  }
  if (i == n) {
    *kind = BT_TOML_LOCAL_DATETIME;
    return true;
  }
  *kind = BT_TOML_DATETIME;
  if ((t[i] == 'Z' || t[i] == 'z') && i + 1 == n) return true;
  if ((t[i] == '+' || t[i] == '-') && n - i == 6 &&
      two_digits(t + i + 1, 2) >= 0 && t[i + 3] == ':' &&
      two_digits(t + i + 4, 2) >= 0) {
    int oh = two_digits(t + i + 1, 2), om = two_digits(t + i + 4, 2);
    if (oh > 23)
      return bt_toml_fail(p, off + i + 1,
                          "offset hour %02d is out of range (00-23)", oh);
    if (om > 59)
      return bt_toml_fail(p, off + i + 4,
                          "offset minute %02d is out of range (00-59)", om);
    dt->offset_minutes = (oh * 60 + om) * (t[i] == '-' ? -1 : 1);
    return true;
  }
  return bt_toml_fail(p, off + i,
                      "invalid time offset: expected 'Z' or +HH:MM / "
                      "-HH:MM");
}

static bool is_token_char(int c) {
  return is_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

/* Returns true if t[0..n) is shaped like the start of a date or time (a
 * digit, and a ':' or a '-' right after a digit), so that errors talk about
 * dates rather than numbers. */
static bool looks_like_datetime(const char *t, size_t n) {
  if (!is_digit(t[0])) return false;
  for (size_t i = 1; i < n; i++)
    if (t[i] == ':' || (t[i] == '-' && is_digit(t[i - 1]))) return true;
  return false;
}

/* Parses a value written without quotes or brackets (boolean, integer,
 * float, or a datetime) at p->pos. The token runs over letters, digits and
 * _ + - . : and, for a date followed by a space and a digit, over the time
 * after the space. */
bool bt_toml_parse_bare_value(parser_t *p, unsigned line, unsigned col,
                              bt_toml_value_t **out) {
  char d[48];
  size_t start = p->pos, end = start;
  while (end < p->len && is_token_char((unsigned char)p->src[end])) end++;
  const char *t = p->src + start;
  if (end - start == 10 && looks_like_datetime(t, 10) && t[4] == '-' &&
      peek_at(p, end) == ' ' && is_digit(peek_at(p, end + 1))) {
    end++;
    while (end < p->len && is_token_char((unsigned char)p->src[end])) end++;
  }
  size_t n = end - start;
  if (n == 0)
    return bt_toml_fail(p, start, "expected a value, found %s",
                        bt_toml_describe(p, start, d, sizeof d));
  if (n > 1 && (t[0] == '+' || t[0] == '-') && !is_digit(t[1]) && t[1] != '.' &&
      !(n == 4 &&
        (memcmp(t + 1, "inf", 3) == 0 || memcmp(t + 1, "nan", 3) == 0)))
    return bt_toml_fail(p, start, "invalid value `%.*s`",
                        (int)(n > 64 ? 64 : n), t);
  bt_toml_value_t *v = NULL;
  if ((n == 4 && memcmp(t, "true", 4) == 0) ||
      (n == 5 && memcmp(t, "false", 5) == 0)) {
    if (!(v = bt_toml_new(BT_TOML_BOOL, line, col))) return bt_toml_fail_oom(p);
    v->u.boolean = n == 4;
  } else if (looks_like_datetime(t, n)) {
    bt_toml_datetime_t dt;
    bt_toml_kind_t kind;
    if (!parse_datetime(p, t, n, start, &dt, &kind)) return false;
    if (!(v = bt_toml_new(kind, line, col))) return bt_toml_fail_oom(p);
    v->u.dt.fields = dt;
    /* Canonical text, NUL, source text, NUL. */
    char *text = bt_malloc(2 * n + 2);
    if (!text) {
      bt_free(v);
      return bt_toml_fail_oom(p);
    }
    memcpy(text, t, n);
    text[n] = 0;
    memcpy(text + n + 1, t, n);
    text[2 * n + 1] = 0;
    if (kind == BT_TOML_DATETIME || kind == BT_TOML_LOCAL_DATETIME)
      text[10] = 'T';
    if (text[n - 1] == 'z') text[n - 1] = 'Z';
    v->u.dt.text = text;
  } else if (is_digit(t[0]) || t[0] == '+' || t[0] == '-' ||
             (n == 3 &&
              (memcmp(t, "inf", 3) == 0 || memcmp(t, "nan", 3) == 0))) {
    size_t i = t[0] == '+' || t[0] == '-' ? 1 : 0;
    bool radix = n - i >= 2 && t[i] == '0' &&
                 (t[i + 1] == 'x' || t[i + 1] == 'o' || t[i + 1] == 'b');
    bool is_float = !radix && (memchr(t, '.', n) || memchr(t, 'e', n) ||
                               memchr(t, 'E', n) || memchr(t, 'n', n));
    if (is_float) {
      double f = 0;
      if (!parse_float(p, t, n, start, &f)) return false;
      if (!(v = bt_toml_new(BT_TOML_FLOAT, line, col)))
        return bt_toml_fail_oom(p);
      v->u.flt = f;
    } else {
      int64_t iv = 0;
      if (!parse_integer(p, t, n, start, &iv)) return false;
      if (!(v = bt_toml_new(BT_TOML_INTEGER, line, col)))
        return bt_toml_fail_oom(p);
      v->u.integer = iv;
    }
  } else {
    return bt_toml_fail(p, start,
                        "expected a value, found `%.*s` (strings must be "
                        "quoted)",
                        (int)(n > 64 ? 64 : n), t);
  }
  p->pos = end;
  *out = v;
  return true;
}

bool bt_toml_parse_string(parser_t *p, char **out, size_t *len) {
  strbuf_t b = {0};
  int q = peek(p);
  bool ok = peek_at(p, p->pos + 1) == q && peek_at(p, p->pos + 2) == q
                ? parse_ml_string(p, &b)
                : parse_line_string(p, &b);
  if (!ok) {
    bt_free(b.p);
    return false;
  }
  *out = b.p;
  *len = b.len;
  return true;
}
