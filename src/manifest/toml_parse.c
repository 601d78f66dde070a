/*
 * src/manifest/toml_parse.c: the TOML 1.0 parser. It reads the document in
 * one pass, by recursive descent directly over the bytes (TOML's lexical
 * rules depend on context, so there is no separate token stream), and builds
 * the tree described in toml.h. This file holds the structural half:
 * key/value pairs, arrays, inline tables, table headers and the document.
 *
 * The document is first checked to be UTF-8 (no overlong forms, surrogates
 * or code points above U+10FFFF); a leading byte-order mark is skipped. Then
 * each line is a blank line, a comment, a key/value pair or a [table] /
 * [[array of tables]] header.
 *
 * Redefinition rules. Every table carries flags saying how it came to exist
 * (toml_internal.h), and these decide what may later touch it:
 *  - A [header] may define a table that does not exist yet, or one that so
 *    far exists only IMPLICITly (as a parent in an earlier header such as
 *    [a.b.c]). Defining a table twice, or one created by dotted keys
 *    (DOTTED), or an inline table (FROZEN) is an error, as is a header whose
 *    final key already holds a non-table.
 *  - A header may pass through any table that is not FROZEN (adding
 *    sub-tables under a dotted-key table is allowed) and through an array of
 *    tables (it then refers to the array's last element), but not through a
 *    static array or a scalar.
 *  - [[header]] appends a table to an array of tables, creating the array if
 *    the key is absent. Appending to a static array or to a table is an error.
 *  - Dotted keys (a.b.c = 1) may create tables and pass through tables that
 *    dotted keys created or that exist only implicitly, but not through a
 *    table defined by a header (EXPLICIT), an inline table, or any array.
 *    Tables they pass through become DOTTED, so no header can define them
 *    afterwards.
 *  - Any key may be assigned only once. When an inline table is closed it and
 *    every table created inside it are FROZEN: nothing may add to them.
 *
 * The lexical level (keys, strings, numbers, datetimes, comments, error
 * messages) lives in toml_lex.c.
 */
#include <string.h>

#include "manifest/toml_lex.h"

/* The dotted key `key` up to part i, for messages (uses a local buffer kt). */
#define KEY_NAME(i) bt_toml_key_text(&key, (i), kt, sizeof kt)

static bool parse_value(parser_t *p, int depth, bt_toml_value_t **out);

/* ---- tables, arrays and key/value pairs ---- */

/* Marks table t and every table below it that is not frozen yet as FROZEN.
 * Called when an inline table is closed: tables created by dotted keys
 * inside it are frozen with it; nested inline tables already are. */
static void freeze(bt_toml_value_t *t) {
  t->flags |= BT_TOML_F_FROZEN;
  for (size_t i = 0; i < t->u.tab.len; i++) {
    bt_toml_value_t *v = t->u.tab.entries[i].value;
    if (v->kind == BT_TOML_TABLE && !(v->flags & BT_TOML_F_FROZEN)) freeze(v);
  }
}

/* Returns "an integer", "a string", "an array" ... for v's kind. */
static const char *kind_phrase(const bt_toml_value_t *v) {
  switch ((bt_toml_kind_t)v->kind) {
    case BT_TOML_STRING: return "a string";
    case BT_TOML_INTEGER: return "an integer";
    case BT_TOML_FLOAT: return "a float";
    case BT_TOML_BOOL: return "a boolean";
    case BT_TOML_DATETIME: return "an offset datetime";
    case BT_TOML_LOCAL_DATETIME: return "a local datetime";
    case BT_TOML_LOCAL_DATE: return "a local date";
    case BT_TOML_LOCAL_TIME: return "a local time";
    case BT_TOML_ARRAY: return "an array";
    case BT_TOML_TABLE: return "a table";
  }
  return "a value";
}

/* Creates an empty table with the given flags under key part kp of table t.
 * On success t owns the table and kp->s, which is set to NULL. */
static bt_toml_value_t *add_table(parser_t *p, bt_toml_value_t *t,
                                  keypart_t *kp, uint8_t flags, unsigned line,
                                  unsigned col) {
  bt_toml_value_t *nt = bt_toml_new(BT_TOML_TABLE, line, col);
  if (!nt) {
    bt_toml_fail_oom(p);
    return NULL;
  }
  nt->flags = flags;
  if (!bt_toml_tab_put(t, kp->s, kp->len, kp->line, kp->col, nt)) {
    bt_free(nt);
    bt_toml_fail_oom(p);
    return NULL;
  }
  kp->s = NULL;
  return nt;
}

/* Parses `key = value` at p->pos and adds it to table t, whose depth is
 * depth, applying the dotted-key rules described at the top of this file. */
static bool parse_keyval(parser_t *p, bt_toml_value_t *t, int depth) {
  char kt[256];
  keypath_t key = {0};
  bool ok = false;
  if (!bt_toml_parse_key(p, &key)) goto out;
  if (peek(p) != '=') {
    bt_toml_fail(p, p->pos, "expected '=' after key");
    goto out;
  }
  p->pos++;
  skip_ws(p);
  for (size_t i = 0; i + 1 < key.n; i++) {
    keypart_t *kp = &key.v[i];
    if (++depth > BT_TOML_MAX_DEPTH) {
      bt_toml_fail_depth(p, kp->off);
      goto out;
    }
    long idx = bt_toml_tab_index(t, kp->s, kp->len);
    if (idx < 0) {
      t = add_table(p, t, kp, BT_TOML_F_DOTTED, kp->line, kp->col);
      if (!t) goto out;
      continue;
    }
    const bt_toml_entry_t *e = &t->u.tab.entries[idx];
    bt_toml_value_t *v = e->value;
    if (v->kind != BT_TOML_TABLE) {
      bt_toml_fail(p, kp->off,
                   "cannot use `%s` as a table: it is already %s "
                   "(defined at %u:%u)",
                   KEY_NAME(i), kind_phrase(v), e->line, e->col);
      goto out;
    }
    if (v->flags & BT_TOML_F_FROZEN) {
      bt_toml_fail(p, kp->off,
                   "cannot add keys to inline table `%s` (defined at "
                   "%u:%u); inline tables are closed once written",
                   KEY_NAME(i), v->line, v->col);
      goto out;
    }
    if (v->flags & BT_TOML_F_EXPLICIT) {
      bt_toml_fail(p, kp->off,
                   "cannot add keys with a dotted key to table `%s`, "
                   "which has its own [header] at %u:%u",
                   KEY_NAME(i), v->line, v->col);
      goto out;
    }
    v->flags |= BT_TOML_F_DOTTED;
    t = v;
  }
  keypart_t *last = &key.v[key.n - 1];
  long idx = bt_toml_tab_index(t, last->s, last->len);
  if (idx >= 0) {
    const bt_toml_entry_t *e = &t->u.tab.entries[idx];
    bt_toml_fail(p, last->off, "duplicate key `%s` (first defined at %u:%u)",
                 KEY_NAME(key.n - 1), e->line, e->col);
    goto out;
  }
  bt_toml_value_t *v;
  if (!parse_value(p, depth + 1, &v)) goto out;
  if (!bt_toml_tab_put(t, last->s, last->len, last->line, last->col, v)) {
    bt_toml_free(v);
    bt_toml_fail_oom(p);
    goto out;
  }
  last->s = NULL;
  ok = true;
out:
  bt_toml_key_free(&key);
  return ok;
}

/* Parses an array value at p->pos ('['); the array has depth depth. Values
 * may be of mixed types and may be separated by newlines and comments; a
 * trailing comma is allowed. */
static bool parse_array(parser_t *p, int depth, unsigned line, unsigned col,
                        bt_toml_value_t **out) {
  char d[48];
  bt_toml_value_t *a = bt_toml_new(BT_TOML_ARRAY, line, col);
  if (!a) return bt_toml_fail_oom(p);
  a->flags = BT_TOML_F_STATIC;
  size_t open = p->pos++;
  for (;;) {
    if (!bt_toml_skip_blank(p)) goto fail;
    if (peek(p) == ']') break;
    if (peek(p) < 0) {
      bt_toml_fail(p, open, "unterminated array: missing ']'");
      goto fail;
    }
    bt_toml_value_t *item;
    if (!parse_value(p, depth + 1, &item)) goto fail;
    if (!bt_toml_arr_push(a, item)) {
      bt_toml_free(item);
      bt_toml_fail_oom(p);
      goto fail;
    }
    if (!bt_toml_skip_blank(p)) goto fail;
    if (peek(p) == ',') {
      p->pos++;
      continue;
    }
    if (peek(p) == ']') break;
    if (peek(p) < 0)
      bt_toml_fail(p, open, "unterminated array: missing ']'");
    else
      bt_toml_fail(p, p->pos,
                   "expected ',' or ']' after array element, found %s",
                   bt_toml_describe(p, p->pos, d, sizeof d));
    goto fail;
  }
  p->pos++;
  *out = a;
  return true;
fail:
  bt_toml_free(a);
  return false;
}

/* Parses an inline table at p->pos ('{'); the table has depth depth. TOML
 * 1.0 inline tables sit on one line and allow no trailing comma. The table
 * is frozen when closed. */
static bool parse_inline_table(parser_t *p, int depth, unsigned line,
                               unsigned col, bt_toml_value_t **out) {
  char d[48];
  bt_toml_value_t *t = bt_toml_new(BT_TOML_TABLE, line, col);
  if (!t) return bt_toml_fail_oom(p);
  p->pos++;
  skip_ws(p);
  if (peek(p) != '}') {
    for (;;) {
      skip_ws(p);
      int c = peek(p);
      if (c == '\n' || c == '\r' || c == '#' || c < 0) {
        bt_toml_fail(p, p->pos,
                     "%s inside an inline table; TOML 1.0 inline tables "
                     "must be on one line",
                     c < 0      ? "end of file"
                     : c == '#' ? "comment"
                                : "line break");
        goto fail;
      }
      if (c == '}') {
        bt_toml_fail(p, p->pos,
                     "trailing comma is not allowed in an inline table");
        goto fail;
      }
      if (!parse_keyval(p, t, depth)) goto fail;
      skip_ws(p);
      c = peek(p);
      if (c == ',') {
        p->pos++;
        continue;
      }
      if (c == '}') break;
      if (c == '\n' || c == '\r' || c == '#' || c < 0)
        bt_toml_fail(
            p, p->pos,
            "expected ',' or '}' in inline table, found %s; TOML "
            "1.0 inline tables must be on one line",
            c == '#' ? "a comment" : bt_toml_describe(p, p->pos, d, sizeof d));
      else
        bt_toml_fail(p, p->pos, "expected ',' or '}' in inline table, found %s",
                     bt_toml_describe(p, p->pos, d, sizeof d));
      goto fail;
    }
  }
  p->pos++;
  freeze(t);
  *out = t;
  return true;
fail:
  bt_toml_free(t);
  return false;
}

/* Parses any value at p->pos; the value gets depth depth, which must not
 * exceed BT_TOML_MAX_DEPTH. On success *out is a new value owned by the
 * caller. */
static bool parse_value(parser_t *p, int depth, bt_toml_value_t **out) {
  if (depth > BT_TOML_MAX_DEPTH) return bt_toml_fail_depth(p, p->pos);
  unsigned line, col;
  bt_toml_locate(p, p->pos, &line, &col);
  int c = peek(p);
  if (c == '"' || c == '\'') {
    char *s;
    size_t len;
    if (!bt_toml_parse_string(p, &s, &len)) return false;
    bt_toml_value_t *v = bt_toml_new(BT_TOML_STRING, line, col);
    if (!v) {
      bt_free(s);
      return bt_toml_fail_oom(p);
    }
    v->u.str.ptr = s;
    v->u.str.len = len;
    *out = v;
    return true;
  }
  if (c == '[') return parse_array(p, depth, line, col, out);
  if (c == '{') return parse_inline_table(p, depth, line, col, out);
  return bt_toml_parse_bare_value(p, line, col, out);
}

/* Parses a [table] or [[array of tables]] header at p->pos and makes its
 * table the current section, applying the header rules described at the top
 * of this file. */
static bool parse_header(parser_t *p) {
  char kt[256];
  size_t open = p->pos;
  unsigned line, col;
  bt_toml_locate(p, open, &line, &col);
  bool aot = peek_at(p, open + 1) == '[';
  p->pos += aot ? 2 : 1;
  skip_ws(p);
  keypath_t key = {0};
  bool ok = false;
  if (!bt_toml_parse_key(p, &key)) goto out;
  if (peek(p) != ']' || (aot && peek_at(p, p->pos + 1) != ']')) {
    char d[48];
    bt_toml_fail(p, p->pos, "expected '%s' to close the table header, found %s",
                 aot ? "]]" : "]", bt_toml_describe(p, p->pos, d, sizeof d));
    goto out;
  }
  p->pos += aot ? 2 : 1;
  bt_toml_value_t *t = p->root;
  int depth = 0;
  for (size_t i = 0; i < key.n; i++) {
    keypart_t *kp = &key.v[i];
    bool last = i + 1 == key.n;
    if (++depth > BT_TOML_MAX_DEPTH) {
      bt_toml_fail_depth(p, kp->off);
      goto out;
    }
    long idx = bt_toml_tab_index(t, kp->s, kp->len);
    if (idx < 0) {
      if (!last) {
        t = add_table(p, t, kp, BT_TOML_F_IMPLICIT, kp->line, kp->col);
        if (!t) goto out;
      } else if (!aot) {
        t = add_table(p, t, kp, BT_TOML_F_EXPLICIT, line, col);
        if (!t) goto out;
      } else {
        if (++depth > BT_TOML_MAX_DEPTH) {
          bt_toml_fail_depth(p, kp->off);
          goto out;
        }
        bt_toml_value_t *a = bt_toml_new(BT_TOML_ARRAY, kp->line, kp->col);
        bt_toml_value_t *nt = bt_toml_new(BT_TOML_TABLE, line, col);
        if (!a || !nt || !bt_toml_arr_push(a, nt)) {
          bt_free(nt);
          bt_toml_free(a);
          bt_toml_fail_oom(p);
          goto out;
        }
        nt->flags = BT_TOML_F_EXPLICIT;
        if (!bt_toml_tab_put(t, kp->s, kp->len, kp->line, kp->col, a)) {
          bt_toml_free(a);
          bt_toml_fail_oom(p);
          goto out;
        }
        kp->s = NULL;
        t = nt;
      }
      continue;
    }
    const bt_toml_entry_t *e = &t->u.tab.entries[idx];
    bt_toml_value_t *v = e->value;
    if (v->kind == BT_TOML_ARRAY && !(v->flags & BT_TOML_F_STATIC)) {
      /* An array of tables: extend it, or descend into its last table. */
      if (++depth > BT_TOML_MAX_DEPTH) {
        bt_toml_fail_depth(p, kp->off);
        goto out;
      }
      if (last && aot) {
        bt_toml_value_t *nt = bt_toml_new(BT_TOML_TABLE, line, col);
        if (!nt || !bt_toml_arr_push(v, nt)) {
          bt_free(nt);
          bt_toml_fail_oom(p);
          goto out;
        }
        nt->flags = BT_TOML_F_EXPLICIT;
        t = nt;
      } else if (last) {
        bt_toml_fail(p, kp->off,
                     "cannot define table `%s`: it is already an array "
                     "of tables (defined at %u:%u)",
                     KEY_NAME(i), e->line, e->col);
        goto out;
      } else {
        t = v->u.arr.items[v->u.arr.len - 1];
      }
      continue;
    }
    if (v->kind == BT_TOML_ARRAY) {
      bt_toml_fail(
          p, kp->off,
          last && aot
              ? "cannot append to `%s`: it is a static "
                "array (defined at %u:%u), not an array of tables"
              : "cannot use `%s` as a table: it is an array (defined at %u:%u)",
          KEY_NAME(i), e->line, e->col);
      goto out;
    }
    if (v->kind != BT_TOML_TABLE) {
      bt_toml_fail(p, kp->off,
                   "cannot use `%s` as a table: it is already %s "
                   "(defined at %u:%u)",
                   KEY_NAME(i), kind_phrase(v), e->line, e->col);
      goto out;
    }
    if (v->flags & BT_TOML_F_FROZEN) {
      bt_toml_fail(p, kp->off,
                   "cannot extend inline table `%s` (defined at %u:%u); "
                   "inline tables are closed once written",
                   KEY_NAME(i), v->line, v->col);
      goto out;
    }
    if (last && aot) {
      bt_toml_fail(p, kp->off,
                   "cannot define `%s` as an array of tables: it is "
                   "already a table (defined at %u:%u)",
                   KEY_NAME(i), v->line, v->col);
      goto out;
    }
    if (last) {
      if (v->flags & BT_TOML_F_EXPLICIT) {
        bt_toml_fail(p, kp->off,
                     "table `%s` is defined more than once (first at "
                     "%u:%u)",
                     KEY_NAME(i), v->line, v->col);
        goto out;
      }
      if (v->flags & BT_TOML_F_DOTTED) {
        bt_toml_fail(p, kp->off,
                     "cannot define table `%s`: it was already created "
                     "by dotted keys at %u:%u",
                     KEY_NAME(i), v->line, v->col);
        goto out;
      }
      v->flags |= BT_TOML_F_EXPLICIT;
      v->line = line;
      v->col = col;
    }
    t = v;
  }
  p->section = t;
  p->section_depth = depth;
  ok = true;
out:
  bt_toml_key_free(&key);
  return ok;
}

/* Parses the whole document into p->root. */
static bool parse_document(parser_t *p) {
  char d[48];
  while (p->pos < p->len) {
    skip_ws(p);
    int c = peek(p);
    const char *what = NULL;
    if (c == '#' || c == '\n' || c == '\r' || c < 0) {
      /* Blank line or comment only. */
    } else if (c == '[') {
      if (!parse_header(p)) return false;
      what = "table header";
    } else {
      if (!parse_keyval(p, p->section, p->section_depth)) return false;
      what = "value";
    }
    skip_ws(p);
    if (!bt_toml_skip_comment(p)) return false;
    if (peek(p) < 0) break;
    int r = bt_toml_eat_newline(p);
    if (r < 0) return false;
    if (r == 0)
      return bt_toml_fail(p, p->pos, "expected end of line after %s, found %s",
                          what ? what : "whitespace",
                          bt_toml_describe(p, p->pos, d, sizeof d));
  }
  return true;
}

baton_error_t *bt_toml_parse(const char *text, size_t len, const char *filename,
                             bt_toml_value_t **out) {
  if (!out)
    return baton_error_new(BATON_EINVALID_ARGUMENT,
                           "bt_toml_parse: out is NULL");
  *out = NULL;
  if (!text && len)
    return baton_error_new(BATON_EINVALID_ARGUMENT,
                           "bt_toml_parse: text is NULL");
  parser_t p = {0};
  p.src = text ? text : "";
  p.len = len;
  p.filename = filename ? filename : "<input>";
  p.cur_line = p.cur_col = 1;
  if (!bt_toml_check_utf8(&p)) return p.err;
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) p.base = p.pos = 3;
  p.cur_off = p.base;
  p.root = bt_toml_new(BT_TOML_TABLE, 1, 1);
  if (!p.root) {
    bt_toml_fail_oom(&p);
    return p.err;
  }
  p.section = p.root;
  if (!parse_document(&p)) {
    bt_toml_free(p.root);
    return p.err
               ? p.err
               : baton_error_new(BATON_ESYNTAX, "%s: invalid TOML", p.filename);
  }
  *out = p.root;
  return NULL;
}
