/* tests/component/guests/front.c: world `front` of tests/component/wit/chain.wit:
 * `run` starts the chain at depth 1 and wraps the answer as `front<ANSWER>`. */
#include <string.h>

#include "front.h"

void exports_front_run(front_string_t *input, front_string_t *ret) {
  front_string_t inner;
  test_chain_stage_process(input, 1, &inner);
  char buf[700];
  size_t at = 0, n = inner.len < 600 ? inner.len : 600;
  memcpy(buf, "front<", 6);
  at = 6;
  memcpy(buf + at, inner.ptr, n);
  at += n;
  buf[at++] = '>';
  front_string_dup_n(ret, (const uint8_t *)buf, at);
  front_string_free(&inner);
  front_string_free(input);
}
