/*
 * src/wasi/preview2.h: a WASI 0.2 subset as host imports for components —
 * what components made from clang/wasi-libc modules with the preview1
 * adapter (`jco new --wasi-reactor` / `--wasi-command`, wit-component's
 * wasi_snapshot_preview1 adapters) import: wasi:cli (environment, exit,
 * stdin/stdout/stderr, terminal-*), wasi:io (error, streams, poll),
 * wasi:clocks (wall-clock, monotonic-clock), wasi:random (random, insecure,
 * insecure-seed) and wasi:filesystem (preopens: the directories granted in
 * baton_wasi_config_t.preopens, none by default; types: what the adapter
 * needs to open, read, write, stat, mkdir and unlink beneath them, confined
 * as in preview1 — see src/wasi/fs.h). Every interface version 0.2.x is
 * accepted: the functions are bound by name and the canonical ABI types
 * come from the component's own import declarations.
 *
 * The semantics follow src/wasi/preview1.c: arguments and environment from a
 * baton_wasi_config_t, stdout/stderr inherited, discarded or handed to a
 * callback (with `instance` NULL), optionally prefixed per line with the
 * component instance's name; stdin read from the host's fd 0 only when
 * inherit_stdin is set (else end of stream); exit ends the call with an EXIT
 * trap. Streams never fail with an `error` resource: a stream that cannot
 * be used reports `closed`. Polling treats every stream pollable as ready
 * and blocks only on clock pollables.
 *
 * Everything here is internal (BT_HIDDEN). One bt_wasi2_t serves one root
 * component instance (bt_cinstance_t) and must be freed after it.
 */
#ifndef BT_WASI_PREVIEW2_H
#define BT_WASI_PREVIEW2_H

#include <stdbool.h>

#include "baton/wasi.h"
#include "component/instance.h"
#include "util/common.h"

typedef struct bt_wasi2 bt_wasi2_t;

/* Whether an import name is a WASI 0.2 interface this host provides:
 * `wasi:PKG/IFACE@0.2.*` for the interfaces listed above. */
BT_HIDDEN bool bt_wasi2_provides(const char *import_name);
/* Whether bt_wasi2_resolve can satisfy a root import (checked before
 * anything is compiled): NULL, or the error it would return. */
BT_HIDDEN baton_error_t *bt_wasi2_check(const bt_cextern_t *import);

/* Whether an import name is any `wasi:` interface (provided or not), so that
 * callers can report a WASI import this host lacks as such. */
BT_HIDDEN bool bt_wasi2_is_wasi(const char *import_name);

/* Makes a WASI 0.2 context from config (strings copied, preopened host
 * directories opened; NULL: no arguments, no environment, inherited output,
 * no directories). ENO_MEMORY on allocation failure; ENOT_FOUND when a
 * directory cannot be opened; EUNSUPPORTED without openat2. */
BT_HIDDEN baton_error_t *bt_wasi2_new(const baton_wasi_config_t *config, bt_wasi2_t **out);

/* Frees the context: call it after the component instance it served has
 * been freed. NULL is a no-op. */
BT_HIDDEN void bt_wasi2_free(bt_wasi2_t *w);

/* Resolves one import of a root component (a bt_cresolver_t function with
 * w as env): an instance of host functions and host resource types for a
 * provided WASI interface; a LINK error naming the import otherwise. Every
 * call for one context must be for the same instance. */
BT_HIDDEN baton_error_t *bt_wasi2_resolve(void *w, bt_cinstance_t *inst, const bt_cextern_t *import,
                                          bt_citem_t *out);

#endif
