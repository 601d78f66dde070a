/*
 * src/manifest/toml_internal.h: the representation of TOML values shared by
 * the parser (toml_parse.c) and the value module (toml_value.c). Nothing
 * outside src/manifest/toml_*.c should include this; use toml.h.
 *
 * Tables are an insertion-ordered entry array plus, once they have a few
 * keys, an open-addressing hash index over it. The flags record how a table
 * or array came to exist, which is what TOML's redefinition rules depend on
 * (see toml_parse.c for the rules themselves).
 */
#ifndef BT_MANIFEST_TOML_INTERNAL_H
#define BT_MANIFEST_TOML_INTERNAL_H

#include "manifest/toml.h"

/* How a table or array was created. */
enum {
  BT_TOML_F_IMPLICIT = 1 << 0, /* table: created as a parent in a [header] */
  BT_TOML_F_EXPLICIT = 1 << 1, /* table: defined by its own [header] or
                                  [[header]] */
  BT_TOML_F_DOTTED = 1 << 2,   /* table: created or extended by dotted keys */
  BT_TOML_F_FROZEN = 1 << 3,   /* table: inline table or inside one; closed */
  BT_TOML_F_STATIC = 1 << 4,   /* array: written as a [ ... ] value, not an
                                  array of tables */
};

struct bt_toml_value {
  uint8_t kind;  /* bt_toml_kind_t */
  uint8_t flags; /* BT_TOML_F_* */
  unsigned line, col;
  union {
    struct {
      char *ptr; /* NUL-terminated; len is authoritative */
      size_t len;
    } str;
    int64_t integer;
    double flt;
    bool boolean;
    struct {
      bt_toml_datetime_t fields;
      char *text; /* canonical text, NUL, then the source text, NUL */
    } dt;
    struct {
      bt_toml_value_t **items;
      size_t len, cap;
    } arr;
    struct {
      bt_toml_entry_t *entries;
      size_t len, cap;
      uint32_t *index;  /* entry number + 1, or 0 for an empty slot */
      size_t index_cap; /* 0 or a power of two */
    } tab;
  } u;
};

/* Allocates a value of the given kind at line:col with all other fields
 * zero. Returns NULL on allocation failure. */
BT_HIDDEN bt_toml_value_t *bt_toml_new(bt_toml_kind_t kind, unsigned line,
                                       unsigned col);

/* Returns the index of key in table t, or -1 if absent. t must be a table. */
BT_HIDDEN long bt_toml_tab_index(const bt_toml_value_t *t, const char *key,
                                 size_t key_len);

/* Appends key -> value to table t, which must not contain the key yet. On
 * success returns true and t takes ownership of both key (a bt_malloc'd,
 * NUL-terminated buffer of key_len bytes) and value. On allocation failure
 * returns false and the caller still owns both. */
BT_HIDDEN bool bt_toml_tab_put(bt_toml_value_t *t, char *key, size_t key_len,
                               unsigned line, unsigned col,
                               bt_toml_value_t *value);

/* Appends item to array a. On success returns true and a owns item; on
 * allocation failure returns false and the caller still owns item. */
BT_HIDDEN bool bt_toml_arr_push(bt_toml_value_t *a, bt_toml_value_t *item);

#endif
