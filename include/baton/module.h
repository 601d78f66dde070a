/*
 * baton/module.h: a compiled core WebAssembly module.
 *
 * Loading parses and validates the binary, then compiles it ahead of time
 * (wasm2c and the C compiler) into a shared object that is cached by content
 * hash, so a second load of the same bytes costs milliseconds.
 */
#ifndef BATON_MODULE_H
#define BATON_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/engine.h"
#include "baton/error.h"
#include "baton/val.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct baton_module baton_module_t;

typedef enum {
  BATON_EXTERN_FUNC = 0,
  BATON_EXTERN_TABLE = 1,
  BATON_EXTERN_MEMORY = 2,
  BATON_EXTERN_GLOBAL = 3,
} baton_externkind_t;

/* An import or export as described by the module. Strings and the function
 * type are borrowed from the module and valid while it lives. `module` is
 * NULL for exports; `type` is meaningful only for functions. */
typedef struct {
  const char *module;
  const char *name;
  baton_externkind_t kind;
  baton_functype_t type;
  /* Lengths of module and name in bytes: a WebAssembly name may contain
   * U+0000, so use these rather than strlen(). */
  size_t module_len, name_len;
  /* Globals: value type and mutability; tables: element type (kind). */
  baton_valkind_t global_kind;
  bool global_mutable;
} baton_extern_desc_t;

/* Loads, validates and compiles a module from a file. Borrows engine (which
 * must outlive the module) and path. On success *out owns the module; free
 * with baton_module_delete(). */
baton_error_t *baton_module_new_file(baton_engine_t *engine, const char *path,
                                     baton_module_t **out);

/* Same from bytes, which are copied. name labels messages (may be NULL). */
baton_error_t *baton_module_new(baton_engine_t *engine, const uint8_t *bytes,
                                size_t len, const char *name,
                                baton_module_t **out);

/* Frees the caller's reference. Instances keep their module alive. */
void baton_module_delete(baton_module_t *module);

size_t baton_module_import_count(const baton_module_t *module);
size_t baton_module_export_count(const baton_module_t *module);
/* Fills *desc for import/export i (< count). Returns false when out of range. */
bool baton_module_import(const baton_module_t *module, size_t i, baton_extern_desc_t *desc);
bool baton_module_export(const baton_module_t *module, size_t i, baton_extern_desc_t *desc);

/* Returns a custom section's payload by name (borrowed), or NULL. */
const uint8_t *baton_module_custom_section(const baton_module_t *module,
                                           const char *name, size_t *size);

/* Returns the module's name (file name or the name given), borrowed. */
const char *baton_module_name(const baton_module_t *module);

/* Compilation facts: the cached shared object's path (borrowed), whether it
 * was a cache hit, and the seconds spent compiling (0 on a hit). */
const char *baton_module_cache_path(const baton_module_t *module);
bool baton_module_cache_hit(const baton_module_t *module);
double baton_module_compile_seconds(const baton_module_t *module);

#ifdef __cplusplus
}
#endif
#endif
