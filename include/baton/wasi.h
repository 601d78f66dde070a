/*
 * baton/wasi.h: the WASI preview1 subset (wasi_snapshot_preview1) that
 * clang/wasi-libc reactors and commands need: args, environ, clocks,
 * random, stdio, proc_exit and sched_yield. There is no filesystem or
 * network: those calls answer ENOTCAPABLE or ENOSYS.
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
} baton_wasi_config_t;

/* Defines every wasi_snapshot_preview1 function in linker. Copies config's
 * strings. */
baton_error_t *baton_linker_define_wasi(baton_linker_t *linker,
                                        const baton_wasi_config_t *config);

#ifdef __cplusplus
}
#endif
#endif
