/*
 * src/manifest/toml_lex.h: the interface between the two halves of the TOML
 * parser. toml_lex.c reads the lexical level (whitespace, comments and
 * newlines, keys, strings, numbers, booleans and datetimes) and reports
 * errors with positions; toml_parse.c builds tables and arrays from those
 * pieces and enforces TOML's definition rules. Both share the parser state
 * below. Nothing outside src/manifest/toml_*.c includes this.
 *
 * Conventions: functions that can fail return false (or -1) after
 * recording the first error in p->err, which ends the parse; offsets are
 * byte offsets into p->src.
 */
#ifndef BT_MANIFEST_TOML_LEX_H
#define BT_MANIFEST_TOML_LEX_H

#include "manifest/toml_internal.h"

typedef struct parser {
  const char *src;
  size_t len;
  size_t pos;  /* next byte to read */
  size_t base; /* offset after the byte-order mark, if any */
  const char *filename;
  baton_error_t *err; /* first error; parsing stops after it */
  /* Position cursor: line and column of byte cur_off. Positions are asked
   * for in increasing order while parsing, so moving it forward keeps the
   * total work linear. */
  size_t cur_off;
  unsigned cur_line, cur_col;
  bt_toml_value_t *root;
  bt_toml_value_t *section; /* table that key/value lines go into */
  int section_depth;        /* depth of section (root is 0) */
} parser_t;

/* One part of a dotted key: the decoded text (owned, NUL-terminated, may
 * contain NUL bytes) and where it was written. */
typedef struct keypart {
  char *s;
  size_t len;
  size_t off;
  unsigned line, col;
} keypart_t;

/* A dotted key: its parts in order. */
typedef struct keypath {
  keypart_t *v;
  size_t n, cap;
} keypath_t;

/* Returns the byte at the current position, or -1 at the end. */
static inline int peek(const parser_t *p) {
  return p->pos < p->len ? (unsigned char)p->src[p->pos] : -1;
}

/* Returns the byte at offset off, or -1 past the end. */
static inline int peek_at(const parser_t *p, size_t off) {
  return off < p->len ? (unsigned char)p->src[off] : -1;
}

/* Skips spaces and tabs. */
static inline void skip_ws(parser_t *p) {
  while (p->pos < p->len && (p->src[p->pos] == ' ' || p->src[p->pos] == '\t'))
    p->pos++;
}

/* Computes the 1-based line and column of byte offset off (columns count
 * code points; a byte-order mark is not counted). */
BT_HIDDEN void bt_toml_locate(parser_t *p, size_t off, unsigned *line,
                              unsigned *col);

/* Records a syntax error at byte offset off, formatted as
 * "FILE:LINE:COL: message" followed by the source line and a caret line,
 * unless an error was already recorded. Always returns false. */
BT_HIDDEN bool bt_toml_fail(parser_t *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records a LIMIT error (nesting deeper than BT_TOML_MAX_DEPTH) at off.
 * Returns false. */
BT_HIDDEN bool bt_toml_fail_depth(parser_t *p, size_t off);

/* Records a NO_MEMORY error unless an error is already recorded. Returns
 * false. */
BT_HIDDEN bool bt_toml_fail_oom(parser_t *p);

/* Describes the character at off for messages ("'x'", "end of line",
 * "end of file", "'　' (U+3000)" ...), formatting into buf (cap bytes,
 * at least 32) when needed. */
BT_HIDDEN const char *bt_toml_describe(const parser_t *p, size_t off, char *buf,
                                       size_t cap);

/* Checks that the whole document is well-formed UTF-8; fails at the first
 * bad byte otherwise. */
BT_HIDDEN bool bt_toml_check_utf8(parser_t *p);

/* Consumes a newline (LF or CR LF) at the current position if there is
 * one. Returns 1 if one was consumed, 0 if there is none, and -1 (with an
 * error) for a CR not followed by LF. */
BT_HIDDEN int bt_toml_eat_newline(parser_t *p);

/* Skips a comment if one starts at the current position, leaving the
 * position at the end of the line. Fails on control characters. */
BT_HIDDEN bool bt_toml_skip_comment(parser_t *p);

/* Skips whitespace, comments and newlines (as allowed inside arrays). */
BT_HIDDEN bool bt_toml_skip_blank(parser_t *p);

/* Parses a key (simple or dotted, whitespace allowed around the dots) at
 * the current position into k (which must start empty), leaving the
 * position after the whitespace that follows it. On failure k may hold
 * parts; the caller frees it with bt_toml_key_free() either way. */
BT_HIDDEN bool bt_toml_parse_key(parser_t *p, keypath_t *k);

/* Frees the parts of k and empties it. */
BT_HIDDEN void bt_toml_key_free(keypath_t *k);

/* Formats parts [0, upto] of k as a dotted key for messages, quoting parts
 * that are not bare keys and truncating with "..." to fit cap bytes.
 * Returns buf. */
BT_HIDDEN const char *bt_toml_key_text(const keypath_t *k, size_t upto,
                                       char *buf, size_t cap);

/* Parses a string value (basic, literal, or their multi-line forms) at the
 * current position, which holds a quote. On success *out is the decoded,
 * NUL-terminated bt_malloc'd text, owned by the caller, and *len its
 * length. */
BT_HIDDEN bool bt_toml_parse_string(parser_t *p, char **out, size_t *len);

/* Parses a value written without quotes or brackets (boolean, integer,
 * float or datetime) at the current position, which records line:col. On
 * success *out is a new value owned by the caller. */
BT_HIDDEN bool bt_toml_parse_bare_value(parser_t *p, unsigned line,
                                        unsigned col, bt_toml_value_t **out);

#endif
