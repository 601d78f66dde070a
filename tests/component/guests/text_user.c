/*
 * tests/component/guests/text_user.c: implements world `text-user` of
 * tests/component/wit/svc.wit: `shout` joins its words with the imported
 * `join` and upper-cases the result with the imported `upper`.
 */
#include "text_user.h"

void exports_text_user_shout(text_user_list_string_t *words, text_user_string_t *ret) {
  text_user_string_t sep, joined;
  text_user_string_set(&sep, " ");
  test_svc_text_join(words, &sep, &joined);
  test_svc_text_upper(&joined, ret);
  text_user_string_free(&joined);
  text_user_list_string_free(words);
}
