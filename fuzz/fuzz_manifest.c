/*
 * fuzz/fuzz_manifest.c: libFuzzer target for the app manifest loader
 * (baton.toml and spin.toml v1/v2 on top of the TOML parser, including the
 * trigger-config JSON reader and variable resolution). Any input must load
 * or fail with an error; nothing may crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/app.h"

static const char *no_env(const char *name) {
  (void)name;
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  bt_app_t *app = NULL;
  baton_error_t *err = bt_app_load_string("fuzz.toml", text, "/nonexistent", &app);
  if (!err) {
    baton_error_delete(bt_app_resolve_variables(app, no_env));
    char *red = bt_app_redact(app, "probe");
    bt_free(red);
    bt_app_free(app);
  }
  baton_error_delete(err);
  free(text);
  return 0;
}
