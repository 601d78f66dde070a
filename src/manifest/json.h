/*
 * src/manifest/json.h: a small strict JSON (RFC 8259) reader for the JSON
 * strings that manifests embed, such as a component's trigger `config`
 * (Spin v1 style: config = '{"batch_size": 6}').
 *
 * It produces a read-only tree whose values record the line and column
 * (1-based, counting code points) where they start inside the JSON text.
 * Objects keep their members in document order and reject duplicate keys.
 * Numbers keep both a double and, when written without fraction or exponent
 * and in range, an exact int64. Strings are decoded UTF-8 (escapes,
 * surrogate pairs) with an explicit length and a NUL terminator. Nesting is
 * limited to BT_MJSON_MAX_DEPTH levels.
 *
 * The prefix is bt_mjson ("manifest JSON") so that it cannot collide with a
 * general JSON reader elsewhere in libbaton. All functions are BT_HIDDEN.
 */
#ifndef BT_MANIFEST_JSON_H
#define BT_MANIFEST_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "util/common.h"

#define BT_MJSON_MAX_DEPTH 64

typedef enum bt_mjson_kind {
  BT_MJSON_NULL,
  BT_MJSON_BOOL,
  BT_MJSON_NUMBER,
  BT_MJSON_STRING,
  BT_MJSON_ARRAY,
  BT_MJSON_OBJECT
} bt_mjson_kind_t;

typedef struct bt_mjson bt_mjson_t;

struct bt_mjson {
  bt_mjson_kind_t kind;
  unsigned line, col; /* where the value starts in the JSON text */
  bool boolean;       /* BOOL */
  double number;      /* NUMBER */
  bool is_integer;    /* NUMBER: written as an integer that fits int64 */
  int64_t integer;    /* NUMBER when is_integer */
  char *str;          /* STRING: decoded, NUL-terminated */
  size_t str_len;
  bt_mjson_t *items;  /* ARRAY elements, OBJECT member values */
  char **keys;        /* OBJECT member keys (NUL-terminated) */
  size_t *key_lens;
  unsigned *key_lines, *key_cols; /* OBJECT: where each key starts */
  size_t len;         /* ARRAY / OBJECT: number of elements or members */
};

/* Parses text[0..len) as one JSON value (surrounding whitespace allowed).
 * Returns NULL and stores a tree in *out (free with bt_mjson_free), or an
 * error (SYNTAX: message "LINE:COL: what", without any of the document's
 * text; NO_MEMORY; LIMIT for nesting deeper than BT_MJSON_MAX_DEPTH) with
 * *out NULL and nothing leaked. */
BT_HIDDEN baton_error_t *bt_mjson_parse(const char *text, size_t len,
                                        bt_mjson_t **out);

/* Frees a tree returned by bt_mjson_parse. NULL is a no-op. */
BT_HIDDEN void bt_mjson_free(bt_mjson_t *v);

/* Returns the value of member key of object v, or NULL when v is not an
 * object or has no such member. */
BT_HIDDEN const bt_mjson_t *bt_mjson_get(const bt_mjson_t *v, const char *key);

/* Returns a static name for a kind: "null", "bool", "number", "string",
 * "array", "object". A NUMBER that is an integer is named "integer" by
 * bt_mjson_type_name(). */
BT_HIDDEN const char *bt_mjson_kind_name(bt_mjson_kind_t k);
BT_HIDDEN const char *bt_mjson_type_name(const bt_mjson_t *v);

/* Returns true when a and b are the same JSON value (objects compare as
 * unordered maps, numbers by value). */
BT_HIDDEN bool bt_mjson_equal(const bt_mjson_t *a, const bt_mjson_t *b);

#endif
