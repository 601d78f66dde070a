/*
 * tests/guests/abi_guest.h: shared helpers of the hand-written canonical ABI
 * test guests (tests/guests/abi_*.c). They play the role wit-bindgen's
 * generated code would: C structs laid out exactly as the Canonical ABI lays
 * out the WIT types of tests/abi/test_abi.c, a `cabi_realloc` export that
 * counts live allocations (so the host can check that ownership of every
 * string and list was handed over and freed exactly once), and a switch
 * that makes `cabi_realloc` misbehave on purpose.
 */
#ifndef ABI_GUEST_H
#define ABI_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))

/* ---- ABI layouts (wasm32: pointers and size_t are 4 bytes) ---- */

typedef struct { char *ptr; size_t len; } str_t;                      /* string */
typedef struct { uint32_t *ptr; size_t len; } list_u32_t;             /* list<u32> */
typedef struct { int64_t *ptr; size_t len; } list_s64_t;              /* list<s64> */
typedef struct { uint16_t *ptr; size_t len; } list_u16_t;             /* list<u16> */
typedef struct { str_t *ptr; size_t len; } list_str_t;                /* list<string> */
typedef struct { int32_t x, y; } point_t;                             /* record point */
typedef struct { point_t *ptr; size_t len; } list_point_t;            /* list<point> */
typedef struct { uint8_t is_some; point_t val; } opt_point_t;         /* option<point> */
typedef struct { str_t name; uint8_t age; list_str_t tags; opt_point_t home; } person_t;
typedef struct { person_t *ptr; size_t len; } list_person_t;
enum { SHAPE_CIRCLE, SHAPE_RECT, SHAPE_NONE, SHAPE_NAMED, SHAPE_BIG };
typedef struct {
  uint8_t tag;
  union { float circle; point_t rect; str_t named; uint64_t big; } val;
} shape_t; /* variant shape: 16 bytes, align 8 */
typedef struct {
  uint8_t b; int8_t a; uint8_t c; int16_t d; uint16_t e; int32_t f; uint32_t g;
  int64_t h; uint64_t i; float j; double k; uint32_t l;
} prims_t; /* record prims: 56 bytes, align 8 */
typedef struct { uint8_t a; int16_t b; double c; uint32_t d; } tup4_t; /* tuple<u8, s16, f64, char> */
typedef struct { uint8_t is_some; str_t val; } opt_str_t;            /* option<string> */
typedef struct {
  uint8_t is_err;
  union { person_t ok; str_t err; } val;
} res_person_t; /* result<person, string> */
typedef struct { str_t s; list_u16_t l; } pair_t; /* tuple<string, list<u16>> */
typedef struct {
  uint8_t is_err;
  union { pair_t ok; shape_t err; } val;
} res_pair_t; /* result<tuple<string, list<u16>>, shape>: 24 bytes, align 8 */
typedef struct { uint8_t is_some; res_pair_t val; } nested_t; /* option<...>: 32 bytes */
typedef struct { nested_t *ptr; size_t len; } list_nested_t;

_Static_assert(sizeof(person_t) == 32, "person layout");
_Static_assert(sizeof(shape_t) == 16 && _Alignof(shape_t) == 8, "shape layout");
_Static_assert(sizeof(prims_t) == 56, "prims layout");
_Static_assert(sizeof(tup4_t) == 24, "tuple layout");
_Static_assert(sizeof(res_person_t) == 36, "result layout");
_Static_assert(sizeof(nested_t) == 32, "nested layout");

/* ---- allocation ---- */

static uint32_t g_live;         /* blocks handed out by cabi_realloc or galloc */
static uint32_t g_realloc_mode; /* 0 normal, 1 out of bounds, 2 misaligned, 3 trap */

static inline void *galloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) __builtin_trap();
  g_live++;
  return p;
}

static inline void gfree(void *p) {
  if (!p) return;
  g_live--;
  free(p);
}

EXPORT("cabi_realloc")
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  (void)align;
  if (g_realloc_mode == 1) return (void *)(uintptr_t)(__builtin_wasm_memory_size(0) * 65536 - 4);
  if (g_realloc_mode == 2) return (void *)(uintptr_t)0x1001;
  if (g_realloc_mode == 3) __builtin_trap();
  if (!old) g_live++;
  void *p = realloc(old, new_size ? new_size : 1);
  if (!p) __builtin_trap();
  return p;
}

EXPORT("live-allocs") uint32_t live_allocs(void) { return g_live; }
EXPORT("set-realloc-mode") void set_realloc_mode(uint32_t m) { g_realloc_mode = m; }

static inline str_t str_dup(const char *s) {
  size_t n = strlen(s);
  char *p = galloc(n);
  memcpy(p, s, n);
  return (str_t){p, n};
}

static inline void free_person(person_t *p) {
  gfree(p->name.ptr);
  for (size_t i = 0; i < p->tags.len; i++) gfree(p->tags.ptr[i].ptr);
  gfree(p->tags.ptr);
}

static inline void free_shape(shape_t *s) {
  if (s->tag == SHAPE_NAMED) gfree(s->val.named.ptr);
}

/* ---- a tiny string builder (no stdio) ---- */

typedef struct { char *p; size_t len, cap; } sb_t;

static inline void sb_putn(sb_t *b, const char *s, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = (b->len + n) * 2 + 16;
    char *p = realloc(b->p, cap);
    if (!p) __builtin_trap();
    if (!b->p) g_live++;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

static inline void sb_put(sb_t *b, const char *s) { sb_putn(b, s, strlen(s)); }

static inline void sb_int(sb_t *b, int64_t v) {
  char tmp[24];
  int n = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) tmp[n++] = '-';
  while (n) sb_putn(b, &tmp[--n], 1);
}

static inline void sb_str(sb_t *b, str_t s) { sb_putn(b, s.ptr, s.len); }

#endif
