/*
 * bench/guests/bench_small.c: the smallest useful C reactor, used by the
 * instantiation benchmark (bench_engine `instance`, bench/node_instance.mjs)
 * and the host->guest call benchmark. It has what any clang/wasi-libc
 * reactor has (a linear memory with a 64 KiB shadow stack, `_initialize`
 * running the constructors, a data segment) and two trivial exports: `add`,
 * the call made after each fresh instantiation, and `nop`, the cheapest
 * possible export. It imports nothing, so the peer runtime needs no stubs.
 */
#include <stdint.h>

/* A little initialised data so instantiation has a data segment to copy. */
static volatile int32_t g_table[4] = {0, 1, 2, 3};

__attribute__((export_name("add"))) int32_t add(int32_t a, int32_t b) {
  return a + b + g_table[0];
}

__attribute__((export_name("nop"))) void nop(void) {}
