/*
 * tests/component/guests/text_user.c: implements world `text-user` of
 * tests/component/wit/svc.wit: `shout` joins its words with the imported
 * `join` and upper-cases the result with the imported `upper`. Built with
 * -DWARM_CTOR, a static constructor calls the imported `upper` during
 * `_initialize` (which a component must run after its imports are linked)
 * and `shout` puts that word first.
 */
#include <stdlib.h>
#include <string.h>

#include "text_user.h"

#ifdef WARM_CTOR
static text_user_string_t warm;

__attribute__((constructor)) static void warm_up(void) {
  text_user_string_t s;
  text_user_string_set(&s, "warm");
  test_svc_text_upper(&s, &warm);
}
#endif

void exports_text_user_shout(text_user_list_string_t *words, text_user_string_t *ret) {
  text_user_string_t sep, joined;
  text_user_string_set(&sep, " ");
  test_svc_text_join(words, &sep, &joined);
  test_svc_text_upper(&joined, ret);
  text_user_string_free(&joined);
  text_user_list_string_free(words);
#ifdef WARM_CTOR
  uint8_t *out = malloc(warm.len + 1 + ret->len);
  memcpy(out, warm.ptr, warm.len);
  out[warm.len] = ' ';
  memcpy(out + warm.len + 1, ret->ptr, ret->len);
  size_t n = warm.len + 1 + ret->len;
  text_user_string_free(ret);
  ret->ptr = out;
  ret->len = n;
#endif
}
