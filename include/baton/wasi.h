/*
 * baton/wasi.h: the WASI preview1 subset (wasi_snapshot_preview1) that
 * clang/wasi-libc reactors and commands need: args, environ, clocks,
 * random, stdio, proc_exit and sched_yield. The filesystem is denied by
 * default: only directories granted as preopens (below) are visible, and
 * path resolution can never leave them. There is no network: socket calls
 * answer ENOTCAPABLE.
 */
#ifndef BATON_WASI_H
#define BATON_WASI_H

#include <stddef.h>

#include "baton/error.h"
#include "baton/instance.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where a guest's stdout/stderr goes. */
typedef enum {
  BATON_WASI_OUTPUT_INHERIT = 0, /* the host's own fd 1 / fd 2 */
  BATON_WASI_OUTPUT_DISCARD = 1,
  BATON_WASI_OUTPUT_CALLBACK = 2, /* the `write` callback below */
} baton_wasi_output_t;

/* A host directory granted to the guest: the guest sees it as a preopened
 * directory named guest_path (fds 3, 4, ... in order). Every path the guest
 * opens through it resolves beneath it (openat2 RESOLVE_BENEATH: no "..",
 * absolute path or symlink escapes). read_only refuses writes, creation,
 * truncation, mkdir and unlink with ENOTCAPABLE. */
typedef struct {
  const char *host_path;
  const char *guest_path; /* NULL: the same as host_path */
  int read_only;
} baton_wasi_preopen_t;

typedef struct {
  const char *const *argv; /* guest argv (argv[0] is the program name) */
  size_t argc;
  const char *const *env;  /* "KEY=VALUE" strings */
  size_t envc;
  baton_wasi_output_t output;
  /* With BATON_WASI_OUTPUT_CALLBACK: receives (fd, bytes, len). */
  void (*write)(void *env, baton_instance_t *instance, int fd,
                const char *data, size_t len);
  void *write_env;
  /* When set, each line of guest output is prefixed with "[NAME] ", NAME
   * being the instance's name. */
  int prefix_lines;
  /* Whether the guest may read the host's stdin (fd 0); otherwise EOF. */
  int inherit_stdin;
  /* Directories the guest may use; none by default. Copied. */
  const baton_wasi_preopen_t *preopens;
  size_t npreopens;
} baton_wasi_config_t;

/* Defines every wasi_snapshot_preview1 function in linker. Copies config's
 * strings and preopens, and opens each preopen's host directory (an error
 * if one cannot be opened, or if openat2 is unavailable on this kernel). */
baton_error_t *baton_linker_define_wasi(baton_linker_t *linker,
                                        const baton_wasi_config_t *config);

/* Parses a directory grant "HOST[:GUEST][:ro]" into *out (host_path and
 * guest_path malloc'd; release with baton_wasi_preopen_release). A relative
 * HOST is resolved against base_dir when base_dir is not NULL; GUEST
 * defaults to HOST as written. Returns 0, or -1 for an empty HOST/GUEST or
 * no memory. */
int baton_wasi_preopen_parse(const char *spec, const char *base_dir,
                             baton_wasi_preopen_t *out);
void baton_wasi_preopen_release(baton_wasi_preopen_t *p);

#ifdef __cplusplus
}
#endif
#endif
