/*
 * baton/engine.h: the engine, which owns the ahead-of-time compilation cache
 * and the default limits applied to every instance it creates.
 */
#ifndef BATON_ENGINE_H
#define BATON_ENGINE_H

#include <stdint.h>

#include "baton/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct baton_config baton_config_t;
typedef struct baton_engine baton_engine_t;

/* Creates a configuration with defaults: cache dir from $BATON_CACHE_DIR,
 * else $XDG_CACHE_HOME/baton, else ~/.cache/baton (without HOME the
 * account's home; with none, the engine uses a private temporary directory
 * for the process: never a shared one); compiler from $CC, else
 * "cc"; no deadline; memory limited only by each module's own maximum.
 * Returns NULL when out of memory. Free with baton_config_delete() unless
 * passed to baton_engine_new(), which takes ownership. */
baton_config_t *baton_config_new(void);
void baton_config_delete(baton_config_t *config);

/* Sets the directory of compiled modules. Copies dir. */
baton_error_t *baton_config_set_cache_dir(baton_config_t *config, const char *dir);

/* Sets the C compiler used for AOT compilation (a command name or path).
 * Copies cc. */
baton_error_t *baton_config_set_cc(baton_config_t *config, const char *cc);

/* Sets the default per-call deadline in milliseconds (0 = none). */
void baton_config_set_timeout_ms(baton_config_t *config, uint64_t ms);

/* Sets the default per-instance linear memory limit in bytes (0 = none). */
void baton_config_set_max_memory(baton_config_t *config, uint64_t bytes);

/* Creates an engine. Takes ownership of config (which may be NULL for
 * defaults) whether or not the call succeeds. On success *out owns the
 * engine; free with baton_engine_delete() after every module and instance
 * made from it. */
baton_error_t *baton_engine_new(baton_config_t *config, baton_engine_t **out);
void baton_engine_delete(baton_engine_t *engine);

/* Returns the cache directory in use (borrowed from the engine). */
const char *baton_engine_cache_dir(const baton_engine_t *engine);

/* Returns baton's version string, e.g. "0.1.0". */
const char *baton_version(void);

#ifdef __cplusplus
}
#endif
#endif
