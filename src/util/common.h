/*
 * src/util/common.h: small definitions shared by every module: the hidden
 * visibility marker for internal cross-file symbols, and the allocation
 * wrappers that tests use to inject failures (in the manner of SQLite's
 * faultsim). Core code allocates through bt_malloc and friends so that a test
 * can make the Nth allocation fail and check that nothing leaks or crashes.
 */
#ifndef BT_COMMON_H
#define BT_COMMON_H

#include <stddef.h>

#define BT_HIDDEN __attribute__((visibility("hidden")))
#define BT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

BT_HIDDEN void *bt_malloc(size_t n);
BT_HIDDEN void *bt_calloc(size_t count, size_t size);
BT_HIDDEN void *bt_realloc(void *p, size_t n);
BT_HIDDEN char *bt_strdup(const char *s);
BT_HIDDEN char *bt_strndup(const char *s, size_t n);
BT_HIDDEN void bt_free(void *p);

/* Fault injection: after `countdown` more successful allocations, every
 * allocation fails until reset with a negative value. Returns the number of
 * allocations that failed since the last call. Tests only. */
BT_HIDDEN long bt_alloc_fail_after(long countdown);

#endif
