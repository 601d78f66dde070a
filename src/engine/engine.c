/*
 * src/engine/engine.c: configuration and the engine object. The engine
 * records the identity of the toolchain (resolved path, size and mtime of
 * the C compiler and of wasm2c) so that cache keys change when either is
 * upgraded, without running them on every load.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"

const char *baton_version(void) { return BATON_VERSION; }

const char *baton_valkind_name(baton_valkind_t kind) {
  switch (kind) {
    case BATON_I32: return "i32";
    case BATON_I64: return "i64";
    case BATON_F32: return "f32";
    case BATON_F64: return "f64";
    case BATON_V128: return "v128";
    case BATON_FUNCREF: return "funcref";
    case BATON_EXTERNREF: return "externref";
  }
  return "?";
}

baton_config_t *baton_config_new(void) {
  baton_config_t *c = bt_calloc(1, sizeof *c);
  if (!c) return NULL;
  /* Never a shared directory: with no per-user location, cache_dir stays
   * NULL and the engine uses a private one (cache.c). */
  const char *cc = getenv("CC");
  c->cache_dir = bt_cache_default_dir();
  c->cc = bt_strdup(cc && *cc ? cc : "cc");
  if (!c->cc) {
    baton_config_delete(c);
    return NULL;
  }
  return c;
}

void baton_config_delete(baton_config_t *c) {
  if (!c) return;
  bt_free(c->cache_dir);
  bt_free(c->cc);
  bt_free(c);
}

static baton_error_t *set_string(char **slot, const char *value, const char *what) {
  if (!value || !*value)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "%s must not be empty", what);
  char *copy = bt_strdup(value);
  if (!copy) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  bt_free(*slot);
  *slot = copy;
  return NULL;
}

baton_error_t *baton_config_set_cache_dir(baton_config_t *c, const char *dir) {
  return set_string(&c->cache_dir, dir, "cache directory");
}

baton_error_t *baton_config_set_cc(baton_config_t *c, const char *cc) {
  return set_string(&c->cc, cc, "C compiler");
}

void baton_config_set_timeout_ms(baton_config_t *c, uint64_t ms) { c->timeout_ms = ms; }

void baton_config_set_max_memory(baton_config_t *c, uint64_t bytes) { c->max_memory = bytes; }

/* Resolves a command through PATH and returns "realpath:size:mtime", or
 * "name:missing" when it cannot be found (the compile step then reports the
 * problem). Caller frees. */
static char *tool_identity(const char *cmd) {
  char path[PATH_MAX], real[PATH_MAX], out[PATH_MAX + 64];
  const char *found = NULL;
  if (strchr(cmd, '/')) {
    found = cmd;
  } else {
    const char *p = getenv("PATH");
    if (!p) p = "/usr/bin:/bin";
    while (*p && !found) {
      const char *colon = strchr(p, ':');
      size_t n = colon ? (size_t)(colon - p) : strlen(p);
      snprintf(path, sizeof path, "%.*s/%s", (int)n, p, cmd);
      if (access(path, X_OK) == 0) found = path;
      p = colon ? colon + 1 : p + n;
    }
  }
  struct stat st;
  if (!found || !realpath(found, real) || stat(real, &st) != 0) {
    snprintf(out, sizeof out, "%s:missing", cmd);
  } else {
    snprintf(out, sizeof out, "%s:%lld:%lld", real, (long long)st.st_size,
             (long long)st.st_mtime);
  }
  return bt_strdup(out);
}

baton_error_t *baton_engine_new(baton_config_t *config, baton_engine_t **out) {
  *out = NULL;
  if (!config) config = baton_config_new();
  if (!config) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  baton_engine_t *e = bt_calloc(1, sizeof *e);
  if (!e) {
    baton_config_delete(config);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  e->config = *config;
  bt_free(config); /* fields moved into the engine */
  if (!e->config.cache_dir) {
    const char *priv = bt_cache_private_dir();
    e->config.cache_dir = bt_strdup(priv ? priv : "/nonexistent/baton-no-cache-directory");
  }
  pthread_mutex_init(&e->lock, NULL);
  /* The compiler's identity is that of its first word ("ccache cc" -> ccache
   * plus the whole command line). */
  char first[512];
  snprintf(first, sizeof first, "%s", e->config.cc);
  first[strcspn(first, " \t")] = 0;
  char *ident = tool_identity(first);
  if (ident) {
    char *full = NULL;
    if (asprintf(&full, "%s|%s", ident, e->config.cc) >= 0) {
      bt_free(ident);
      ident = bt_strdup(full);
      free(full);
    }
  }
  e->cc_identity = ident;
  e->wasm2c_identity = tool_identity("wasm2c");
  if (!e->cc_identity || !e->wasm2c_identity || !e->config.cache_dir) {
    baton_engine_delete(e);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  bt_runtime_init();
  *out = e;
  return NULL;
}

void baton_engine_delete(baton_engine_t *e) {
  if (!e) return;
  bt_free(e->config.cache_dir);
  bt_free(e->config.cc);
  bt_free(e->cc_identity);
  bt_free(e->wasm2c_identity);
  pthread_mutex_destroy(&e->lock);
  bt_free(e);
}

const char *baton_engine_cache_dir(const baton_engine_t *e) { return e->config.cache_dir; }
