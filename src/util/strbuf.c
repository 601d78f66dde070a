/*
 * src/util/strbuf.c: the growable string buffer declared in util/strbuf.h.
 * Growth doubles the capacity (at least 64 bytes) through bt_realloc; any
 * failure marks the buffer failed so that long sequences of appends need a
 * single check at the end.
 */
#include "util/strbuf.h"

#include <stdio.h>
#include <string.h>

void bt_strbuf_free(bt_strbuf_t *b) {
  bt_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->failed = false;
}

bool bt_strbuf_reserve(bt_strbuf_t *b, size_t extra) {
  if (b->failed) return false;
  if (extra > SIZE_MAX / 2 - b->len - 1) {
    b->failed = true;
    return false;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap *= 2;
  char *p = bt_realloc(b->data, cap);
  if (!p) {
    b->failed = true;
    return false;
  }
  b->data = p;
  b->cap = cap;
  return true;
}

bool bt_strbuf_append(bt_strbuf_t *b, const char *s, size_t n) {
  if (!bt_strbuf_reserve(b, n)) return false;
  if (n) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
  return true;
}

bool bt_strbuf_puts(bt_strbuf_t *b, const char *s) {
  return bt_strbuf_append(b, s, strlen(s));
}

bool bt_strbuf_putc(bt_strbuf_t *b, char c) { return bt_strbuf_append(b, &c, 1); }

bool bt_strbuf_put_utf8(bt_strbuf_t *b, uint32_t cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return bt_strbuf_append(b, u, n);
}

bool bt_strbuf_vprintf(bt_strbuf_t *b, const char *fmt, va_list ap) {
  if (b->failed) return false;
  char small[256];
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap2);
  va_end(ap2);
  if (n < 0) {
    b->failed = true;
    return false;
  }
  if ((size_t)n < sizeof small) return bt_strbuf_append(b, small, (size_t)n);
  if (!bt_strbuf_reserve(b, (size_t)n)) return false;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return true;
}

bool bt_strbuf_printf(bt_strbuf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  bool ok = bt_strbuf_vprintf(b, fmt, ap);
  va_end(ap);
  return ok;
}

void bt_strbuf_truncate(bt_strbuf_t *b, size_t len) {
  if (len < b->len) {
    b->len = len;
    b->data[len] = 0;
  }
}

const char *bt_strbuf_cstr(const bt_strbuf_t *b) { return b->data ? b->data : ""; }

char *bt_strbuf_take(bt_strbuf_t *b, size_t *len) {
  if (b->failed || !bt_strbuf_reserve(b, 0)) {
    bt_strbuf_free(b);
    return NULL;
  }
  char *s = b->data;
  s[b->len] = 0;
  if (len) *len = b->len;
  b->data = NULL;
  b->len = b->cap = 0;
  return s;
}
