/*
 * src/manifest/toml.h: a TOML 1.0 parser producing a read-only document tree
 * (DOM). It is the base of manifest loading (baton.toml and Spin's
 * spin.toml), so beyond accepting exactly the TOML 1.0 language it keeps what
 * a manifest loader needs to produce good diagnostics: every value and every
 * table key records the line and column where it was written.
 *
 * Design:
 *  - bt_toml_parse() takes the whole document as bytes (it need not be
 *    NUL-terminated), validates it as UTF-8 and returns the root table. On a
 *    syntax error it returns a BATON_ESYNTAX error whose message is
 *
 *        baton.toml:3:6: expected '=' after key
 *          3 | name value
 *            |      ^
 *
 *    i.e. "FILE:LINE:COL: what", then the source line (long lines are cut
 *    to an excerpt around the column; control characters show as '?') and a
 *    caret under the column. Other errors use the same first line. Lines and
 *    columns are 1-based; columns count Unicode code points (a tab counts as
 *    one), and a leading byte-order mark is not counted. Allocation failure
 *    gives BATON_ENO_MEMORY and nesting deeper than BT_TOML_MAX_DEPTH gives
 *    BATON_ELIMIT. Every failure frees everything the parse allocated.
 *  - Values are opaque; read them through the accessors below. Strings are
 *    stored decoded, as UTF-8 with an explicit length (TOML strings may
 *    contain U+0000), and are also NUL-terminated for convenience.
 *  - Tables keep their keys in insertion order (the order in which keys are
 *    first written in the document, tables created implicitly by a dotted key
 *    or a header included), each with the position of the key's first
 *    occurrence. Lookups are hashed, so large tables stay fast.
 *  - The four datetime kinds share bt_toml_datetime_t. Each also keeps its
 *    original source text and a canonical RFC 3339 text ('T' separator,
 *    upper-case 'Z', fraction digits as written), which is what a JSON or
 *    string conversion wants.
 *  - The tree nests at most BT_TOML_MAX_DEPTH levels, so code walking it
 *    recursively has a bounded stack.
 *
 * Positions of values: a scalar, an array or an inline table records where
 * its text starts ('"', '[', '{' or the first character of the literal). A
 * table defined by a [header] records the header's '['; a table created
 * implicitly (by a dotted key, or as the parent in a header such as [a.b])
 * records the key part that created it, and moves to the '[' of its own
 * header if one defines it later. An array of tables records the key in its
 * first [[header]], and each of its tables the '[' of its own [[header]].
 *
 * Newlines inside multi-line strings are stored as LF whatever the file's
 * line endings. A float literal too large for a double is rejected.
 *
 * All functions are internal to libbaton (BT_HIDDEN).
 */
#ifndef BT_MANIFEST_TOML_H
#define BT_MANIFEST_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "util/common.h"

/* Deepest nesting of tables and arrays accepted (the root table is depth 0). */
#define BT_TOML_MAX_DEPTH 128

typedef enum bt_toml_kind {
  BT_TOML_STRING,
  BT_TOML_INTEGER, /* int64_t */
  BT_TOML_FLOAT,   /* double, including inf and nan */
  BT_TOML_BOOL,
  BT_TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
  BT_TOML_LOCAL_DATETIME, /* 1979-05-27T07:32:00 */
  BT_TOML_LOCAL_DATE,     /* 1979-05-27 */
  BT_TOML_LOCAL_TIME,     /* 07:32:00 */
  BT_TOML_ARRAY,
  BT_TOML_TABLE
} bt_toml_kind_t;

/* The fields of any of the four datetime kinds. Date fields are meaningful
 * for DATETIME, LOCAL_DATETIME and LOCAL_DATE; time fields for DATETIME,
 * LOCAL_DATETIME and LOCAL_TIME; the offset only for DATETIME. */
typedef struct bt_toml_datetime {
  int year, month, day;     /* 0000-9999, 1-12, 1-31 (checked per month) */
  int hour, minute, second; /* 0-23, 0-59, 0-60 (60: leap second) */
  uint32_t nanosecond;      /* fraction of a second, truncated to 9 digits */
  int frac_digits;          /* fraction digits as written (0: none) */
  int offset_minutes;       /* east of UTC: +05:30 is 330, Z is 0 */
} bt_toml_datetime_t;

typedef struct bt_toml_value bt_toml_value_t;

/* One key of a table: the decoded key (NUL-terminated, but may contain NUL
 * bytes, so key_len is authoritative), the position of the key's first
 * occurrence in the source, and its value. */
typedef struct bt_toml_entry {
  char *key;
  size_t key_len;
  unsigned line, col;
  bt_toml_value_t *value;
} bt_toml_entry_t;

/* Parses the TOML document text[0..len) and stores its root table in *out.
 * filename is used only in error messages (NULL means "<input>"). Returns
 * NULL on success; otherwise an error (SYNTAX, NO_MEMORY, LIMIT, or
 * INVALID_ARGUMENT for a NULL out or a NULL text with nonzero len), *out is
 * set to NULL and nothing is leaked. Free the result with bt_toml_free(). */
BT_HIDDEN baton_error_t *bt_toml_parse(const char *text, size_t len,
                                       const char *filename,
                                       bt_toml_value_t **out);

/* Frees a value and everything below it. NULL is a no-op. Only roots
 * returned by bt_toml_parse() may be freed; values inside a tree are owned by
 * their container. */
BT_HIDDEN void bt_toml_free(bt_toml_value_t *v);

/* Returns the kind of v. */
BT_HIDDEN bt_toml_kind_t bt_toml_kind(const bt_toml_value_t *v);

/* Returns a static name for a kind, as used in messages: "string",
 * "integer", "float", "boolean", "offset datetime", "local datetime",
 * "local date", "local time", "array", "table". */
BT_HIDDEN const char *bt_toml_kind_name(bt_toml_kind_t kind);

/* Returns the 1-based line and column where v was written (see above). */
BT_HIDDEN unsigned bt_toml_line(const bt_toml_value_t *v);
BT_HIDDEN unsigned bt_toml_col(const bt_toml_value_t *v);

/* Returns the decoded text of a string value and stores its length in *len
 * (when len is not NULL). Returns NULL if v is not a string. */
BT_HIDDEN const char *bt_toml_string(const bt_toml_value_t *v, size_t *len);

/* Scalar accessors: when v has the matching kind, store its value in *out
 * and return true; otherwise return false and leave *out alone. */
BT_HIDDEN bool bt_toml_integer(const bt_toml_value_t *v, int64_t *out);
BT_HIDDEN bool bt_toml_float(const bt_toml_value_t *v, double *out);
BT_HIDDEN bool bt_toml_bool(const bt_toml_value_t *v, bool *out);

/* Returns the fields of any datetime kind, or NULL for other kinds. */
BT_HIDDEN const bt_toml_datetime_t *bt_toml_datetime(const bt_toml_value_t *v);

/* Returns the canonical RFC 3339 text of a datetime value ("1979-05-27T07:
 * 32:00.5-07:00", "1979-05-27", "07:32:00"), or NULL for other kinds. */
BT_HIDDEN const char *bt_toml_datetime_text(const bt_toml_value_t *v);

/* Returns a datetime value's text exactly as written in the source, or NULL
 * for other kinds. */
BT_HIDDEN const char *bt_toml_datetime_source(const bt_toml_value_t *v);

/* Returns the number of elements of an array (0 if v is not an array), and
 * element i (NULL if out of range or v is not an array). */
BT_HIDDEN size_t bt_toml_array_len(const bt_toml_value_t *v);
BT_HIDDEN const bt_toml_value_t *bt_toml_array_at(const bt_toml_value_t *v,
                                                  size_t i);

/* Returns the number of keys of a table (0 if v is not a table), and entry i
 * in insertion order (NULL if out of range or v is not a table). */
BT_HIDDEN size_t bt_toml_table_len(const bt_toml_value_t *v);
BT_HIDDEN const bt_toml_entry_t *bt_toml_table_entry(const bt_toml_value_t *v,
                                                     size_t i);

/* Looks up a key in a table: bt_toml_table_get takes a NUL-terminated key,
 * bt_toml_table_getn an explicit length. Returns NULL if v is not a table or
 * has no such key. bt_toml_table_find returns the whole entry (for the key's
 * position). */
BT_HIDDEN const bt_toml_value_t *bt_toml_table_get(const bt_toml_value_t *t,
                                                   const char *key);
BT_HIDDEN const bt_toml_value_t *bt_toml_table_getn(const bt_toml_value_t *t,
                                                    const char *key,
                                                    size_t key_len);
BT_HIDDEN const bt_toml_entry_t *bt_toml_table_find(const bt_toml_value_t *t,
                                                    const char *key,
                                                    size_t key_len);

#endif
