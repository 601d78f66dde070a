/*
 * baton/val.h: core WebAssembly values and function types as the C API sees
 * them. Typed Component Model values live in value.h.
 */
#ifndef BATON_VAL_H
#define BATON_VAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  BATON_I32 = 0,
  BATON_I64 = 1,
  BATON_F32 = 2,
  BATON_F64 = 3,
  BATON_V128 = 4,      /* 128-bit SIMD vector, as 16 little-endian bytes */
  BATON_FUNCREF = 5,   /* opaque function reference; NULL is ref.null */
  BATON_EXTERNREF = 6, /* opaque host reference; NULL is ref.null */
} baton_valkind_t;

/* A reference value. A funcref is a handle owned by the instance (or host
 * definition) it came from: valid while that lives, comparable with ==, and
 * passable back into any instance of the same engine. An externref carries
 * the host's pointer unchanged; baton never dereferences it. */
typedef void *baton_ref_t;

typedef struct {
  baton_valkind_t kind;
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    uint8_t v128[16];
    baton_ref_t ref;
  } of;
} baton_val_t;

/* A core function type. The arrays are borrowed by whoever receives it. */
typedef struct {
  const baton_valkind_t *params;
  size_t nparams;
  const baton_valkind_t *results;
  size_t nresults;
} baton_functype_t;

/* Returns "i32", "i64", "f32", "f64", "v128", "funcref" or "externref". */
const char *baton_valkind_name(baton_valkind_t kind);

#ifdef __cplusplus
}
#endif
#endif
