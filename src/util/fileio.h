/*
 * src/util/fileio.h: reading whole files (see fileio.c).
 */
#ifndef BT_UTIL_FILEIO_H
#define BT_UTIL_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "util/common.h"

/* Reads the regular file at path (at most max bytes) into *out, a buffer
 * of *len bytes plus a terminating NUL, which the caller frees with
 * bt_free(). Errors: IO (cannot open or read, not a regular file), LIMIT
 * (larger than max), NO_MEMORY; each names the path. */
BT_HIDDEN baton_error_t *bt_read_file(const char *path, size_t max, uint8_t **out, size_t *len);

#endif
