/* bench/chain/chain_b.c: world `chain-b` of bench/chain/chain.wit, the
 * middle of the benchmark chain: passes its input to the imported `stage`
 * (chain-c) and returns the answer with "|b" appended. */
#include <stdlib.h>
#include <string.h>

#include "chain_b.h"

void exports_bench_chain_stage_process(chain_b_string_t *s, chain_b_string_t *ret) {
  chain_b_string_t inner;
  bench_chain_stage_process(s, &inner);
  uint8_t *out = malloc(inner.len + 2);
  memcpy(out, inner.ptr, inner.len);
  memcpy(out + inner.len, "|b", 2);
  ret->ptr = out;
  ret->len = inner.len + 2;
  chain_b_string_free(&inner);
  chain_b_string_free(s);
}
