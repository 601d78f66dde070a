/*
 * baton/value.h: typed Component Model values as a host-side tree.
 *
 * A baton_value_t is untyped by itself: its meaning comes from the WIT type
 * it is read or written with (record field names, case names). The tree owns
 * everything it points to; free it with baton_value_clear() (contents) or
 * baton_value_delete() (a heap value from baton_value_new()).
 *
 * Representation per WIT type:
 *   bool                 BATON_VALUE_BOOL, of.b
 *   s8..s64              BATON_VALUE_S8..S64, of.s (sign-extended)
 *   u8..u64              BATON_VALUE_U8..U64, of.u
 *   f32, f64             of.f32 / of.f64
 *   char                 of.ch (a Unicode scalar value)
 *   string               of.str (UTF-8, owned, NUL-terminated, len excludes NUL)
 *   list<T>, tuple, record
 *                        of.seq.items[0..len) (record fields in type order)
 *   variant, enum, option, result
 *                        of.var.index is the case (option: 0 none, 1 some;
 *                        result: 0 ok, 1 err); of.var.payload is NULL when
 *                        the case carries nothing
 *   flags                of.flags: bit i set when flag i is present
 *   own<R>, borrow<R>    of.handle
 */
#ifndef BATON_VALUE_H
#define BATON_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  BATON_VALUE_BOOL = 1,
  BATON_VALUE_S8,
  BATON_VALUE_U8,
  BATON_VALUE_S16,
  BATON_VALUE_U16,
  BATON_VALUE_S32,
  BATON_VALUE_U32,
  BATON_VALUE_S64,
  BATON_VALUE_U64,
  BATON_VALUE_F32,
  BATON_VALUE_F64,
  BATON_VALUE_CHAR,
  BATON_VALUE_STRING,
  BATON_VALUE_LIST,
  BATON_VALUE_TUPLE,
  BATON_VALUE_OPTION,
  BATON_VALUE_RESULT,
  BATON_VALUE_RECORD,
  BATON_VALUE_VARIANT,
  BATON_VALUE_ENUM,
  BATON_VALUE_FLAGS,
  BATON_VALUE_OWN,
  BATON_VALUE_BORROW,
} baton_value_kind_t;

typedef struct baton_value baton_value_t;

struct baton_value {
  baton_value_kind_t kind;
  union {
    bool b;
    int64_t s;
    uint64_t u;
    float f32;
    double f64;
    uint32_t ch;
    struct {
      char *ptr;
      size_t len;
    } str;
    struct {
      baton_value_t *items;
      size_t len;
    } seq;
    struct {
      uint32_t index;
      baton_value_t *payload;
    } var;
    uint64_t flags;
    uint32_t handle;
  } of;
};

/* Frees what v owns and zeroes it; v itself is not freed. */
void baton_value_clear(baton_value_t *v);

/* Allocates a zeroed value on the heap; NULL when out of memory. */
baton_value_t *baton_value_new(void);

/* Clears and frees a heap value. NULL is a no-op. */
void baton_value_delete(baton_value_t *v);

/* Deep-copies src into *dst (which is overwritten, not cleared). Returns
 * false when out of memory, leaving *dst zeroed. */
bool baton_value_copy(baton_value_t *dst, const baton_value_t *src);

/* Structural equality (floats compare bitwise, so NaN equals itself). */
bool baton_value_equal(const baton_value_t *a, const baton_value_t *b);

#ifdef __cplusplus
}
#endif
#endif
