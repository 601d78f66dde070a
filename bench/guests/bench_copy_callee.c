/*
 * bench/guests/bench_copy_callee.c: the callee of the guest-to-guest copy
 * benchmark (bench/bench_copy.c), written by hand against the Canonical ABI
 * the way wit-bindgen would generate it for
 *
 *   world copy-callee { export echo-len: func(s: string) -> u32; }
 *
 * `echo-len` receives the string in its own memory (allocated by the host
 * through `cabi_realloc` and owned by the callee from then on), reads only
 * its first and last byte so that the bytes are used without adding work
 * proportional to the length, frees it (as generated bindings do) and
 * returns the length. All measured cost is thus the crossing, the
 * allocation and the copy. There is no post-return: the result is a u32.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("cabi_realloc")
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  (void)align; /* malloc aligns to 16, more than any canonical ABI type needs */
  void *p = realloc(old, new_size ? new_size : 1);
  if (!p) __builtin_trap();
  return p;
}

/* Returns len for any string without NUL bytes at its ends (the benchmark's
 * strings are ASCII letters); the host checks the sum of the results. */
EXPORT("echo-len") uint32_t echo_len(const char *p, size_t len) {
  uint32_t r = (uint32_t)len;
  if (len) r += (uint32_t)(p[0] == 0) + (uint32_t)(p[len - 1] == 0);
  free((void *)p);
  return r;
}
