/*
 * bench/guests/bench_copy_caller.c: the caller of the guest-to-guest copy
 * benchmark (bench/bench_copy.c), written by hand against the Canonical ABI
 * the way wit-bindgen would generate it for
 *
 *   world copy-caller {
 *     import echo-len: func(s: string) -> u32;
 *     export run: func(n: u32, len: u32) -> u32;
 *   }
 *
 * `run(n, len)` calls the imported `echo-len` n times with the first len
 * bytes of a static 1 MiB buffer of ASCII letters (filled on first use, so
 * the fill is not timed) and returns the sum of the results (n * len when
 * every call arrived intact). The string stays owned by the caller, as the
 * ABI specifies for import parameters. The host links the import either to
 * the callee's export through the copy path (bt_abi_define_forward) or to a
 * host function that lifts and re-lowers it (bt_abi_define_import).
 */
#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))

IMPORT("$root", "echo-len") uint32_t imp_echo_len(const char *p, size_t len);

#define BUF_SIZE (1u << 20)
static char g_buf[BUF_SIZE];
static uint32_t g_filled;

EXPORT("run") uint32_t run(uint32_t n, uint32_t len) {
  if (len > BUF_SIZE) __builtin_trap();
  for (; g_filled < len; g_filled++) g_buf[g_filled] = (char)('a' + g_filled % 26);
  uint32_t acc = 0;
  for (uint32_t i = 0; i < n; i++) acc += imp_echo_len(g_buf, len);
  return acc;
}
