/*
 * src/manifest/toml_value.c: the TOML document tree: constructing values,
 * the insertion-ordered hashed tables and growable arrays the parser fills,
 * freeing, and the read-only accessors declared in toml.h.
 *
 * A table's entries live in an array in insertion order. Once a table has
 * BT_TOML_INDEX_MIN keys it also gets an open-addressing (linear probing)
 * index of entry numbers keyed by an FNV-1a hash of the key, kept at most
 * half full, so that documents with many keys in one table parse in linear
 * time.
 */
#include <string.h>

#include "manifest/toml_internal.h"

/* Tables smaller than this are searched linearly. */
#define BT_TOML_INDEX_MIN 8

bt_toml_value_t *bt_toml_new(bt_toml_kind_t kind, unsigned line, unsigned col) {
  bt_toml_value_t *v = bt_calloc(1, sizeof *v);
  if (!v) return NULL;
  v->kind = (uint8_t)kind;
  v->line = line;
  v->col = col;
  return v;
}

void bt_toml_free(bt_toml_value_t *v) {
  if (!v) return;
  switch ((bt_toml_kind_t)v->kind) {
    case BT_TOML_STRING: bt_free(v->u.str.ptr); break;
    case BT_TOML_DATETIME:
    case BT_TOML_LOCAL_DATETIME:
    case BT_TOML_LOCAL_DATE:
    case BT_TOML_LOCAL_TIME: bt_free(v->u.dt.text); break;
    case BT_TOML_ARRAY:
      for (size_t i = 0; i < v->u.arr.len; i++) bt_toml_free(v->u.arr.items[i]);
      bt_free(v->u.arr.items);
      break;
    case BT_TOML_TABLE:
      for (size_t i = 0; i < v->u.tab.len; i++) {
        bt_free(v->u.tab.entries[i].key);
        bt_toml_free(v->u.tab.entries[i].value);
      }
      bt_free(v->u.tab.entries);
      bt_free(v->u.tab.index);
      break;
    case BT_TOML_INTEGER:
    case BT_TOML_FLOAT:
    case BT_TOML_BOOL: break;
  }
  bt_free(v);
}

/* Returns the 32-bit FNV-1a hash of key[0..len). */
static uint32_t hash_key(const char *key, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)key[i];
    h *= 16777619u;
  }
  return h;
}

/* Returns true if entry e has exactly the key key[0..len). */
static bool entry_is(const bt_toml_entry_t *e, const char *key, size_t len) {
  return e->key_len == len && memcmp(e->key, key, len) == 0;
}

long bt_toml_tab_index(const bt_toml_value_t *t, const char *key,
                       size_t key_len) {
  if (!t->u.tab.index) {
    for (size_t i = 0; i < t->u.tab.len; i++)
      if (entry_is(&t->u.tab.entries[i], key, key_len)) return (long)i;
    return -1;
  }
  size_t mask = t->u.tab.index_cap - 1;
  for (size_t slot = hash_key(key, key_len) & mask;; slot = (slot + 1) & mask) {
    uint32_t n = t->u.tab.index[slot];
    if (n == 0) return -1;
    if (entry_is(&t->u.tab.entries[n - 1], key, key_len)) return (long)n - 1;
  }
}

/* Rebuilds t's hash index with cap slots (a power of two larger than twice
 * the number of entries). Returns false on allocation failure, leaving the
 * old index (if any) in place. */
static bool rebuild_index(bt_toml_value_t *t, size_t cap) {
  uint32_t *index = bt_calloc(cap, sizeof *index);
  if (!index) return false;
  for (size_t i = 0; i < t->u.tab.len; i++) {
    const bt_toml_entry_t *e = &t->u.tab.entries[i];
    size_t slot = hash_key(e->key, e->key_len) & (cap - 1);
    while (index[slot]) slot = (slot + 1) & (cap - 1);
    index[slot] = (uint32_t)(i + 1);
  }
  bt_free(t->u.tab.index);
  t->u.tab.index = index;
  t->u.tab.index_cap = cap;
  return true;
}

bool bt_toml_tab_put(bt_toml_value_t *t, char *key, size_t key_len,
                     unsigned line, unsigned col, bt_toml_value_t *value) {
  size_t n = t->u.tab.len;
  if (n >= UINT32_MAX - 1) return false;
  if (n == t->u.tab.cap) {
    size_t cap = n ? n * 2 : 2;
    bt_toml_entry_t *e = bt_realloc(t->u.tab.entries, cap * sizeof *e);
    if (!e) return false;
    t->u.tab.entries = e;
    t->u.tab.cap = cap;
  }
  /* Grow the index before committing the entry, so failure leaves the table
   * unchanged. The new entry is then added to the index by hand. */
  if (n + 1 >= BT_TOML_INDEX_MIN && (n + 1) * 2 > t->u.tab.index_cap) {
    size_t cap = t->u.tab.index_cap ? t->u.tab.index_cap * 2 : 32;
    while ((n + 1) * 2 > cap) cap *= 2;
    if (!rebuild_index(t, cap)) return false;
  }
  bt_toml_entry_t *e = &t->u.tab.entries[n];
  e->key = key;
  e->key_len = key_len;
  e->line = line;
  e->col = col;
  e->value = value;
  t->u.tab.len = n + 1;
  if (t->u.tab.index) {
    size_t mask = t->u.tab.index_cap - 1;
    size_t slot = hash_key(key, key_len) & mask;
    while (t->u.tab.index[slot]) slot = (slot + 1) & mask;
    t->u.tab.index[slot] = (uint32_t)(n + 1);
  }
  return true;
}

bool bt_toml_arr_push(bt_toml_value_t *a, bt_toml_value_t *item) {
  if (a->u.arr.len == a->u.arr.cap) {
    size_t cap = a->u.arr.cap ? a->u.arr.cap * 2 : 4;
    bt_toml_value_t **items = bt_realloc(a->u.arr.items, cap * sizeof *items);
    if (!items) return false;
    a->u.arr.items = items;
    a->u.arr.cap = cap;
  }
  a->u.arr.items[a->u.arr.len++] = item;
  return true;
}

/* ---- accessors ---- */

bt_toml_kind_t bt_toml_kind(const bt_toml_value_t *v) {
  return (bt_toml_kind_t)v->kind;
}

const char *bt_toml_kind_name(bt_toml_kind_t kind) {
  switch (kind) {
    case BT_TOML_STRING: return "string";
    case BT_TOML_INTEGER: return "integer";
    case BT_TOML_FLOAT: return "float";
    case BT_TOML_BOOL: return "boolean";
    case BT_TOML_DATETIME: return "offset datetime";
    case BT_TOML_LOCAL_DATETIME: return "local datetime";
    case BT_TOML_LOCAL_DATE: return "local date";
    case BT_TOML_LOCAL_TIME: return "local time";
    case BT_TOML_ARRAY: return "array";
    case BT_TOML_TABLE: return "table";
  }
  return "value";
}

unsigned bt_toml_line(const bt_toml_value_t *v) { return v->line; }
unsigned bt_toml_col(const bt_toml_value_t *v) { return v->col; }

const char *bt_toml_string(const bt_toml_value_t *v, size_t *len) {
  if (!v || v->kind != BT_TOML_STRING) return NULL;
  if (len) *len = v->u.str.len;
  return v->u.str.ptr;
}

bool bt_toml_integer(const bt_toml_value_t *v, int64_t *out) {
  if (!v || v->kind != BT_TOML_INTEGER) return false;
  *out = v->u.integer;
  return true;
}

bool bt_toml_float(const bt_toml_value_t *v, double *out) {
  if (!v || v->kind != BT_TOML_FLOAT) return false;
  *out = v->u.flt;
  return true;
}

bool bt_toml_bool(const bt_toml_value_t *v, bool *out) {
  if (!v || v->kind != BT_TOML_BOOL) return false;
  *out = v->u.boolean;
  return true;
}

/* Returns true for the four datetime kinds. */
static bool is_datetime(const bt_toml_value_t *v) {
  return v &&
         (v->kind == BT_TOML_DATETIME || v->kind == BT_TOML_LOCAL_DATETIME ||
          v->kind == BT_TOML_LOCAL_DATE || v->kind == BT_TOML_LOCAL_TIME);
}

const bt_toml_datetime_t *bt_toml_datetime(const bt_toml_value_t *v) {
  return is_datetime(v) ? &v->u.dt.fields : NULL;
}

const char *bt_toml_datetime_text(const bt_toml_value_t *v) {
  return is_datetime(v) ? v->u.dt.text : NULL;
}

const char *bt_toml_datetime_source(const bt_toml_value_t *v) {
  return is_datetime(v) ? v->u.dt.text + strlen(v->u.dt.text) + 1 : NULL;
}

size_t bt_toml_array_len(const bt_toml_value_t *v) {
  return v && v->kind == BT_TOML_ARRAY ? v->u.arr.len : 0;
}

const bt_toml_value_t *bt_toml_array_at(const bt_toml_value_t *v, size_t i) {
  if (!v || v->kind != BT_TOML_ARRAY || i >= v->u.arr.len) return NULL;
  return v->u.arr.items[i];
}

size_t bt_toml_table_len(const bt_toml_value_t *v) {
  return v && v->kind == BT_TOML_TABLE ? v->u.tab.len : 0;
}

const bt_toml_entry_t *bt_toml_table_entry(const bt_toml_value_t *v, size_t i) {
  if (!v || v->kind != BT_TOML_TABLE || i >= v->u.tab.len) return NULL;
  return &v->u.tab.entries[i];
}

const bt_toml_entry_t *bt_toml_table_find(const bt_toml_value_t *t,
                                          const char *key, size_t key_len) {
  if (!t || t->kind != BT_TOML_TABLE || !key) return NULL;
  long i = bt_toml_tab_index(t, key, key_len);
  return i < 0 ? NULL : &t->u.tab.entries[i];
}

const bt_toml_value_t *bt_toml_table_getn(const bt_toml_value_t *t,
                                          const char *key, size_t key_len) {
  const bt_toml_entry_t *e = bt_toml_table_find(t, key, key_len);
  return e ? e->value : NULL;
}

const bt_toml_value_t *bt_toml_table_get(const bt_toml_value_t *t,
                                         const char *key) {
  return key ? bt_toml_table_getn(t, key, strlen(key)) : NULL;
}
