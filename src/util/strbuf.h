/*
 * src/util/strbuf.h: a growable byte string for building text (printers,
 * error messages, decoded string literals).
 *
 * A bt_strbuf_t starts zeroed (BT_STRBUF_INIT or memset) and grows through
 * bt_realloc, so allocation-failure injection reaches it. Failure is sticky:
 * once an append fails, `failed` is set, later appends do nothing and return
 * false, and the caller can check once at the end. Whenever `data` is non-NULL
 * it is NUL-terminated at `len`, so the contents can be used as a C string
 * (bt_strbuf_cstr() also covers the empty, never-grown case). Embedded NUL
 * bytes are allowed; `len` is authoritative.
 */
#ifndef BT_STRBUF_H
#define BT_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/common.h"

typedef struct bt_strbuf {
  char *data;  /* NULL until the first append; NUL-terminated otherwise */
  size_t len;  /* bytes used, excluding the terminating NUL */
  size_t cap;  /* bytes allocated, including room for the NUL */
  bool failed; /* an allocation failed; the contents are incomplete */
} bt_strbuf_t;

#define BT_STRBUF_INIT {NULL, 0, 0, false}

/* Frees the buffer's memory and resets it to the zeroed state. */
BT_HIDDEN void bt_strbuf_free(bt_strbuf_t *b);

/* Makes room for `extra` more bytes (plus the NUL). Returns false, and sets
 * `failed`, when out of memory or when the buffer has already failed. */
BT_HIDDEN bool bt_strbuf_reserve(bt_strbuf_t *b, size_t extra);

/* Appends n bytes of s. Returns false when out of memory (sticky). */
BT_HIDDEN bool bt_strbuf_append(bt_strbuf_t *b, const char *s, size_t n);

/* Appends a NUL-terminated string. */
BT_HIDDEN bool bt_strbuf_puts(bt_strbuf_t *b, const char *s);

/* Appends one byte. */
BT_HIDDEN bool bt_strbuf_putc(bt_strbuf_t *b, char c);

/* Appends the UTF-8 encoding of the code point cp (at most 0x10FFFF; the
 * caller validates scalar values). */
BT_HIDDEN bool bt_strbuf_put_utf8(bt_strbuf_t *b, uint32_t cp);

/* Appends printf-style formatted text. */
BT_HIDDEN bool bt_strbuf_printf(bt_strbuf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
BT_HIDDEN bool bt_strbuf_vprintf(bt_strbuf_t *b, const char *fmt, va_list ap);

/* Shortens the contents to len bytes (no-op when already shorter). Does not
 * clear `failed`. */
BT_HIDDEN void bt_strbuf_truncate(bt_strbuf_t *b, size_t len);

/* Returns the contents as a C string: "" when nothing was ever appended. */
BT_HIDDEN const char *bt_strbuf_cstr(const bt_strbuf_t *b);

/* Hands the contents to the caller as a heap string (free with bt_free) and
 * resets the buffer. Stores the length in *len when len is non-NULL. Returns
 * NULL when the buffer has failed (it is freed then) or out of memory. */
BT_HIDDEN char *bt_strbuf_take(bt_strbuf_t *b, size_t *len);

#endif
