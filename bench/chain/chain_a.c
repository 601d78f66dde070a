/* bench/chain/chain_a.c: world `chain-a` of bench/chain/chain.wit, the
 * front of the benchmark chain: `run` passes its input to the imported
 * `stage` (chain-b) and returns the answer with "|a" appended, so
 * run(s) = s + "|c|b|a". */
#include <stdlib.h>
#include <string.h>

#include "chain_a.h"

void exports_chain_a_run(chain_a_string_t *s, chain_a_string_t *ret) {
  chain_a_string_t inner;
  bench_chain_stage_process(s, &inner);
  uint8_t *out = malloc(inner.len + 2);
  memcpy(out, inner.ptr, inner.len);
  memcpy(out + inner.len, "|a", 2);
  ret->ptr = out;
  ret->len = inner.len + 2;
  chain_a_string_free(&inner);
  chain_a_string_free(s);
}
