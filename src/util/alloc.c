/*
 * src/util/alloc.c: allocation wrappers with failure injection for tests.
 * Production behaviour is exactly malloc/calloc/realloc/free; the countdown
 * is a relaxed atomic so the check costs one load on the hot path.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

static _Atomic long g_countdown = -1;
static _Atomic long g_failed = 0;

static int should_fail(void) {
  long c = atomic_load_explicit(&g_countdown, memory_order_relaxed);
  if (c < 0) return 0;
  if (c == 0) {
    atomic_fetch_add(&g_failed, 1);
    return 1;
  }
  atomic_fetch_sub(&g_countdown, 1);
  return 0;
}

void *bt_malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }

void *bt_calloc(size_t count, size_t size) {
  return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *bt_realloc(void *p, size_t n) {
  return should_fail() ? NULL : realloc(p, n ? n : 1);
}

char *bt_strndup(const char *s, size_t n) {
  char *r = bt_malloc(n + 1);
  if (!r) return NULL;
  memcpy(r, s, n);
  r[n] = 0;
  return r;
}

char *bt_strdup(const char *s) { return bt_strndup(s, strlen(s)); }

void bt_free(void *p) { free(p); }

long bt_alloc_fail_after(long countdown) {
  atomic_store(&g_countdown, countdown);
  return atomic_exchange(&g_failed, 0);
}
