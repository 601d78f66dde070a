/*
 * fuzz/fuzz_toml.c: libFuzzer target for the TOML parser
 * (src/manifest/toml.h). Each input is parsed as a document; a successful
 * parse is walked completely through the public accessors, checking the
 * invariants the parser promises (positions are 1-based, nesting is within
 * BT_TOML_MAX_DEPTH, every table key can be found again by lookup, datetime
 * texts are present), and then freed. A failed parse must produce a message
 * that starts with the file name. Sanitizers catch memory errors and leaks.
 *
 * A useful seed corpus is toml-test's tests/valid and tests/invalid
 * directories (see tests/manifest/test_toml.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/toml.h"

/* Walks v (at depth depth) and aborts if an invariant does not hold. */
static void walk(const bt_toml_value_t *v, int depth) {
  if (depth > BT_TOML_MAX_DEPTH || bt_toml_line(v) < 1 || bt_toml_col(v) < 1)
    abort();
  switch (bt_toml_kind(v)) {
    case BT_TOML_TABLE:
      for (size_t i = 0; i < bt_toml_table_len(v); i++) {
        const bt_toml_entry_t *e = bt_toml_table_entry(v, i);
        if (!e || e->line < 1 || e->col < 1) abort();
        if (bt_toml_table_find(v, e->key, e->key_len) != e) abort();
        walk(e->value, depth + 1);
      }
      break;
    case BT_TOML_ARRAY:
      for (size_t i = 0; i < bt_toml_array_len(v); i++)
        walk(bt_toml_array_at(v, i), depth + 1);
      break;
    case BT_TOML_STRING: {
      size_t n;
      const char *s = bt_toml_string(v, &n);
      if (!s || s[n] != 0) abort();
      break;
    }
    case BT_TOML_DATETIME:
    case BT_TOML_LOCAL_DATETIME:
    case BT_TOML_LOCAL_DATE:
    case BT_TOML_LOCAL_TIME:
      if (!bt_toml_datetime(v) || !bt_toml_datetime_text(v) ||
          !bt_toml_datetime_source(v))
        abort();
      break;
    case BT_TOML_INTEGER:
    case BT_TOML_FLOAT:
    case BT_TOML_BOOL: break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bt_toml_value_t *root = NULL;
  baton_error_t *err =
      bt_toml_parse((const char *)data, size, "fuzz.toml", &root);
  if (err) {
    if (root) abort();
    const char *msg = baton_error_message(err);
    if (baton_error_code(err) != BATON_ENO_MEMORY &&
        strncmp(msg, "fuzz.toml:", 10) != 0)
      abort();
    baton_error_delete(err);
    return 0;
  }
  if (!root || bt_toml_kind(root) != BT_TOML_TABLE) abort();
  walk(root, 0);
  bt_toml_free(root);
  return 0;
}
