/*
 * src/util/fileio.h: reading whole files (see fileio.c), and the size caps
 * on what baton reads as input.
 */
#ifndef BT_UTIL_FILEIO_H
#define BT_UTIL_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "util/common.h"

/* Reads the regular file at path (at most max bytes) into *out, a buffer
 * of *len bytes plus a terminating NUL, which the caller frees with
 * bt_free(). Errors: NOT_FOUND (no such file), IO (cannot open or read,
 * not a regular file), LIMIT (larger than max), NO_MEMORY; each names the
 * path. */
BT_HIDDEN baton_error_t *bt_read_file(const char *path, size_t max, uint8_t **out, size_t *len);

/* Default input caps: binaries (modules, components) and text (manifests,
 * WIT, values). $BATON_MAX_INPUT (bytes, K/M/G suffixes) replaces both. */
#define BT_INPUT_MAX_BINARY ((size_t)1 << 30)
#define BT_INPUT_MAX_TEXT ((size_t)16 << 20)

/* Returns the cap for binary (true) or text (false) input files. */
BT_HIDDEN size_t bt_input_max(bool binary);

/* bt_read_file with bt_input_max(binary) as the cap. A LIMIT error names
 * BATON_MAX_INPUT as the way to raise it. */
BT_HIDDEN baton_error_t *bt_read_input(const char *path, bool binary, uint8_t **out, size_t *len);

/* Reads up to n bytes from the start of path into buf and returns how many
 * were read; 0 when path is not a regular file or cannot be read. Never
 * blocks on a FIFO or a device. */
BT_HIDDEN size_t bt_read_head(const char *path, void *buf, size_t n);

#endif
