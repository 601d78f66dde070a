/*
 * bench/guests/bench_sha256.c: the wasm build of the compute kernel in
 * bench/kernels/sha256.c (included verbatim, so the native and wasm builds
 * share one source). A reactor exporting:
 *   kernel_prepare(mib) -> 0 | -1   generate `mib` MiB of input in memory
 *   kernel_hash()       -> checksum SHA-256 of it (first 4 digest bytes)
 *   kernel_selftest()   -> 1 when the "abc" test vector matches
 * bench/run.sh deletes the built .wasm when the kernel is newer, since the
 * build only tracks this file.
 */
#include "../kernels/sha256.c"

__attribute__((export_name("kernel_prepare"))) int32_t export_prepare(int32_t mib) {
  return kernel_prepare((uint32_t)mib);
}

__attribute__((export_name("kernel_hash"))) int32_t export_hash(void) {
  return (int32_t)kernel_hash();
}

__attribute__((export_name("kernel_selftest"))) int32_t export_selftest(void) {
  return kernel_selftest();
}
