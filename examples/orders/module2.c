/*
 * module2: the second nano-service. It reads `timeout` and `retries`
 * through the config interface, prints what it received from module1, and
 * returns the final result of the pipeline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module2.h"

static char *config(const char *key) {
  module2_string_t k, v;
  example_orders_config_error_t err;
  module2_string_set(&k, key);
  if (!example_orders_config_get_config(&k, &v, &err)) {
    char *why = NULL;
    if (err.tag == EXAMPLE_ORDERS_CONFIG_ERROR_INVALID_KEY) why = strdup("(not set)");
    example_orders_config_error_free(&err);
    return why ? why : strdup("(error)");
  }
  char *s = strndup((const char *)v.ptr, v.len);
  module2_string_free(&v);
  return s;
}

void exports_module2_handle_init(module2_string_t *module1_output, module2_string_t *ret) {
  char *timeout = config("timeout"), *retries = config("retries");
  printf("module2 received \"%.*s\", config timeout=%s retries=%s\n", (int)module1_output->len,
         (const char *)module1_output->ptr, timeout, retries);
  char out[1024];
  snprintf(out, sizeof out, "%.*s | module2: timeout=%s retries=%s", (int)module1_output->len,
           (const char *)module1_output->ptr, timeout, retries);
  module2_string_dup(ret, out);
  module2_string_free(module1_output);
  free(timeout);
  free(retries);
}
