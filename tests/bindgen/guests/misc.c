/*
 * tests/bindgen/guests/misc.c: a guest for world `misc` (tests/bindgen/wit):
 * world-level types (a record, an enum) and a world-level imported resource
 * whose functions live in module `$root`, imported world functions, an
 * inline imported interface and an inline exported interface.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misc.h"

void exports_misc_run(misc_cfg_t *c, misc_string_t *ret) {
  char line[256];
  snprintf(line, sizeof line, "run %.*s x%u", (int)c->name.len, (const char *)c->name.ptr,
           c->retries);
  misc_string_t s;
  misc_string_set(&s, line); /* borrowed: imports do not take ownership */
  misc_log_line(&s);

  misc_list_cfg_t found;
  misc_lookup(c, MISC_LEVEL_HIGH, &found);

  misc_string_t key, home;
  misc_string_set(&key, "HOME");
  bool has_home = misc_env_get(&key, &home);

  misc_own_session_t sess = misc_constructor_session(&c->name);
  uint32_t id = misc_method_session_id(misc_borrow_session(sess));
  misc_session_drop_own(sess);

  char out[512];
  snprintf(out, sizeof out, "n=%zu;first=%.*s/%u/%zu;home=%.*s;id=%u;tags=%zu", found.len,
           found.len ? (int)found.ptr[0].name.len : 0,
           found.len ? (const char *)found.ptr[0].name.ptr : "",
           found.len ? found.ptr[0].retries : 0, found.len ? found.ptr[0].tags.len : 0,
           has_home ? (int)home.len : 1, has_home ? (const char *)home.ptr : "-", id,
           c->tags.len);
  misc_string_dup(ret, out);
  misc_list_cfg_free(&found);
  if (has_home) misc_string_free(&home);
  misc_cfg_free(c);
}

uint32_t exports_misc_tools_twice(uint32_t x) { return 2 * x; }

void exports_misc_tools_describe(misc_list_tuple2_string_option_u8_t *l, misc_string_t *ret) {
  char out[512];
  size_t k = 0;
  out[0] = 0;
  for (size_t i = 0; i < l->len && k < 400; i++) {
    misc_tuple2_string_option_u8_t *t = &l->ptr[i];
    if (t->f1.is_some)
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s=%u;", (int)t->f0.len,
                            (const char *)t->f0.ptr, t->f1.val);
    else
      k += (size_t)snprintf(out + k, sizeof out - k, "%.*s;", (int)t->f0.len, (const char *)t->f0.ptr);
  }
  misc_string_dup(ret, out);
  misc_list_tuple2_string_option_u8_free(l);
}
