/*
 * src/engine/staged.h: loading a module in two stages, for the layers above
 * the engine (apps, components). bt_module_parse reads, validates and
 * indexes a module without compiling it, so a caller can check every import
 * and export of an app before any AOT compilation; bt_module_compile then
 * compiles it (or loads it from the cache). This is the engine's only
 * internal interface meant for other modules; everything else in
 * engine/internal.h is private to src/engine.
 */
#ifndef BT_ENGINE_STAGED_H
#define BT_ENGINE_STAGED_H

#include <stddef.h>
#include <stdint.h>

#include "baton/engine.h"
#include "baton/error.h"
#include "baton/module.h"
#include "util/common.h"

/* Parses and validates a module and indexes its imports and exports, but
 * compiles nothing: the module can be inspected (baton_module_import/
 * export, custom sections) and checked against a linker
 * (baton_instance_pre_new), so that a caller can refuse an app before
 * paying for compilation. It must be compiled with bt_module_compile
 * before it is instantiated. Errors and ownership as baton_module_new. */
BT_HIDDEN baton_error_t *bt_module_parse(baton_engine_t *engine, const uint8_t *bytes, size_t len,
                                         const char *name, baton_module_t **out);
BT_HIDDEN baton_error_t *bt_module_parse_file(baton_engine_t *engine, const char *path,
                                              baton_module_t **out);
/* Compiles (or loads from the cache) a parsed module; a no-op when it is
 * compiled already. Not thread-safe for one module. */
BT_HIDDEN baton_error_t *bt_module_compile(baton_module_t *m);

#endif
