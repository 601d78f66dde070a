/*
 * bench/guests/bench_calls.c: the guest side of the guest->host call
 * benchmark (bench_engine `calls`). It imports two host functions from the
 * module "bench" and exports loops that call them n times, plus a loop over
 * an internal function (noinline for clang) as the in-guest baseline:
 *   host_loop(n)      calls bench.noop() n times
 *   host_loop_i32(n)  calls bench.id_i32(i) n times and sums the results
 *   guest_loop(n)     calls an internal function n times (no host crossing;
 *                     wasm2c emits one C file, so the AOT C compiler may
 *                     inline it: this is the loop-overhead baseline)
 * Each loop returns a value derived from the calls so none can be elided.
 */
#include <stdint.h>

__attribute__((import_module("bench"), import_name("noop"))) void bench_noop(void);
__attribute__((import_module("bench"), import_name("id_i32"))) int32_t bench_id_i32(int32_t x);

__attribute__((noinline)) static int32_t local_id(int32_t x) {
  __asm__ volatile("" : "+r"(x)); /* opaque to clang; gone once in wasm */
  return x;
}

__attribute__((export_name("host_loop"))) int32_t host_loop(int32_t n) {
  for (int32_t i = 0; i < n; i++) bench_noop();
  return n;
}

__attribute__((export_name("host_loop_i32"))) int32_t host_loop_i32(int32_t n) {
  int32_t sum = 0;
  for (int32_t i = 0; i < n; i++) sum += bench_id_i32(i);
  return sum;
}

__attribute__((export_name("guest_loop"))) int32_t guest_loop(int32_t n) {
  int32_t sum = 0;
  for (int32_t i = 0; i < n; i++) sum += local_id(i);
  return sum;
}
