/*
 * module1: the first nano-service of the seed scenario. It reads its
 * variable `message` through the host's config interface, prints what it
 * received, and returns a string that module2 takes as its input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module1.h"

/* Returns a heap copy of the config value for key, or of `fallback`. */
static char *config(const char *key, const char *fallback) {
  module1_string_t k, v;
  example_orders_config_error_t err;
  module1_string_set(&k, key);
  if (!example_orders_config_get_config(&k, &v, &err)) {
    example_orders_config_error_free(&err);
    return fallback ? strdup(fallback) : NULL;
  }
  char *s = strndup((const char *)v.ptr, v.len);
  module1_string_free(&v);
  return s;
}

void exports_module1_handle_init(module1_string_t *start_input, module1_string_t *ret) {
  char *message = config("message", "(no message)");
  printf("module1 received \"%.*s\", config message=\"%s\"\n", (int)start_input->len,
         (const char *)start_input->ptr, message);
  char out[1024];
  snprintf(out, sizeof out, "%.*s | module1: %s", (int)start_input->len, (const char *)start_input->ptr, message);
  module1_string_dup(ret, out);
  module1_string_free(start_input);
  free(message);
}
