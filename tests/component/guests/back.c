/* tests/component/guests/back.c: world `back` of tests/component/wit/chain.wit:
 * the last stage, which wraps its input as `back(INPUT@DEPTH)`. */
#include <string.h>

#include "back.h"

void exports_test_chain_stage_process(back_string_t *input, uint32_t depth, back_string_t *ret) {
  char buf[512];
  size_t at = 0, n = input->len < 400 ? input->len : 400;
  memcpy(buf + at, "back(", 5);
  at += 5;
  memcpy(buf + at, input->ptr, n);
  at += n;
  buf[at++] = '@';
  buf[at++] = (char)('0' + depth % 10);
  buf[at++] = ')';
  back_string_dup_n(ret, (const uint8_t *)buf, at);
  back_string_free(input);
}
