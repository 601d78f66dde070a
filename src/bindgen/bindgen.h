/*
 * src/bindgen/bindgen.h: C guest bindings for a WIT world (`baton bindgen
 * c`). From a resolved world the generator writes `<world>.h`, which holds a
 * C type for every WIT type the world uses, prototypes of the wrappers for
 * imported functions and of the functions the guest author implements for
 * exports, and ownership helpers; and `<world>.c`, which holds the core
 * wasm entry points laid out the way wit-bindgen lays them out (exports named
 * `f` or `ns:pkg/iface@ver#f`, imports from `ns:pkg/iface@ver` or `$root`,
 * `cabi_realloc`, `cabi_post_<export>`), converting between core values and
 * the C types. The naming and ownership conventions are documented in
 * docs/bindgen.md. Output is deterministic: the same world always yields the
 * same bytes.
 */
#ifndef BT_BINDGEN_H
#define BT_BINDGEN_H

#include <stddef.h>

#include "baton/error.h"
#include "util/common.h"
#include "wit/wit.h"

/* The generated text of one world. Free with bt_bindgen_output_free. */
typedef struct bt_bindgen_output {
  char *base;   /* file name stem: the world's name in snake_case */
  char *header; /* contents of <base>.h */
  char *source; /* contents of <base>.c */
} bt_bindgen_output_t;

/* Generates the C bindings of `world` (which must belong to `resolve`) into
 * *out. Returns NULL on success; otherwise an error (UNSUPPORTED for a type
 * the canonical ABI cannot represent, NO_MEMORY) and *out is left zeroed. */
BT_HIDDEN baton_error_t *bt_bindgen_c(const bt_wit_resolve_t *resolve, const bt_wit_world_t *world,
                                      bt_bindgen_output_t *out);

/* Generates as bt_bindgen_c does and writes `<base>.h` and `<base>.c` into
 * the directory `out_dir` (created with its parents when missing). When
 * `written` is non-NULL it receives the heap-allocated stem (free with
 * bt_free). */
BT_HIDDEN baton_error_t *bt_bindgen_c_write(const bt_wit_resolve_t *resolve,
                                            const bt_wit_world_t *world, const char *out_dir,
                                            char **written);

/* Frees the strings of an output and zeroes it. */
BT_HIDDEN void bt_bindgen_output_free(bt_bindgen_output_t *out);

#endif
