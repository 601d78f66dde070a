/* bench/chain/chain_c.c: world `chain-c` of bench/chain/chain.wit, the end
 * of the benchmark chain: returns its input with "|c" appended. */
#include <stdlib.h>
#include <string.h>

#include "chain_c.h"

void exports_bench_chain_stage_process(chain_c_string_t *s, chain_c_string_t *ret) {
  uint8_t *out = malloc(s->len + 2);
  memcpy(out, s->ptr, s->len);
  memcpy(out + s->len, "|c", 2);
  ret->ptr = out;
  ret->len = s->len + 2;
  chain_c_string_free(s);
}
