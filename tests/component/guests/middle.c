/* tests/component/guests/middle.c: world `middle` of tests/component/wit/chain.wit:
 * a middleware stage that calls the next stage with depth + 1 and wraps the
 * answer as `mid[ANSWER]`. */
#include <string.h>

#include "middle.h"

void exports_test_chain_stage_process(middle_string_t *input, uint32_t depth, middle_string_t *ret) {
  middle_string_t inner;
  test_chain_stage_process(input, depth + 1, &inner);
  char buf[600];
  size_t at = 0, n = inner.len < 500 ? inner.len : 500;
  memcpy(buf, "mid[", 4);
  at = 4;
  memcpy(buf + at, inner.ptr, n);
  at += n;
  buf[at++] = ']';
  middle_string_dup_n(ret, (const uint8_t *)buf, at);
  middle_string_free(&inner);
  middle_string_free(input);
}
