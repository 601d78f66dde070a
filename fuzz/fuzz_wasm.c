/*
 * fuzz/fuzz_wasm.c: libFuzzer target for the core WebAssembly reader.
 *
 * Parses arbitrary bytes with bt_wasm_parse(); on success exercises the query
 * helpers over every function, export and custom section (so a module the
 * reader accepted must be internally consistent), then frees the result.
 * Sanitizers report any out-of-bounds read, leak or undefined behaviour.
 * Seed it with .wasm files, e.g. the ones in build/guests.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wasm/wasm.h"

/* libFuzzer entry point: parses data[0..size), checks and frees. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bt_wasm_module_t *m = NULL;
  baton_error_t *err = bt_wasm_parse(data, size, &m);
  if (err) {
    if (m || !baton_error_message(err)) __builtin_trap();
    baton_error_delete(err);
    return 0;
  }
  char buf[256];
  uint32_t nfuncs = m->nimported_funcs + m->nfuncs;
  for (uint32_t i = 0; i < nfuncs && i < 4096; i++) {
    const bt_wasm_functype_t *t = bt_wasm_func_type(m, i);
    if (!t) __builtin_trap();
    bt_wasm_functype_str(t, buf, sizeof buf);
  }
  if (bt_wasm_func_type(m, nfuncs)) __builtin_trap();
  for (uint32_t i = 0; i < m->nexports; i++)
    if (bt_wasm_find_export_n(m, m->exports[i].name, m->exports[i].name_len) !=
        &m->exports[i])
      __builtin_trap(); /* names (which may contain U+0000) must be unique */
  for (uint32_t i = 0; i < m->ncustoms; i++) {
    const bt_wasm_custom_t *c = bt_wasm_find_custom(m, m->customs[i].name);
    if (!c || c->data < data || c->data + c->size > data + size)
      __builtin_trap();
  }
  if (m->has_start && m->start >= nfuncs) __builtin_trap();
  bt_wasm_module_free(m);
  return 0;
}
