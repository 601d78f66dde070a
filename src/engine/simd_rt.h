/*
 * src/engine/simd_rt.h: exact WebAssembly 2.0 SIMD semantics in portable C,
 * compiled into every AOT module that uses v128 (the build embeds this text
 * into libbaton, aot.c writes it next to the glue and hashes it into the
 * cache key). The glue (simd_glue.c) defines each "bt:simd" import that the
 * lowering pass (src/wasm/simd_lower.c) created as a thin wrapper around the
 * bt_simd_<op> function here, with '.' in the mnemonic replaced by '_'.
 *
 * Calling convention: bt_simd_<op>([mem,] operands..., [immediates...]):
 * memory instructions take the wasm_rt_memory_t* of memory 0 first and their
 * static offset (then lane) last; lane instructions take the lane last;
 * i8x16.shuffle takes a pointer to its 16 lane indices last. v128 values are
 * bt_v128 unions (little-endian lanes, as on every host baton supports).
 * Memory accesses are bounds-checked against the current size before any
 * byte is read or written, so a partially out-of-bounds store writes
 * nothing. Float lanes use the host's IEEE arithmetic without fast-math,
 * which gives the spec's results, with NaN results canonical or arithmetic;
 * min/max/pmin/pmax, rounding and saturating conversions are spelled out.
 */
#ifndef BT_SIMD_RT_H
#define BT_SIMD_RT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef union {
  uint8_t u8[16];
  int8_t i8[16];
  uint16_t u16[8];
  int16_t i16[8];
  uint32_t u32[4];
  int32_t i32[4];
  uint64_t u64[2];
  int64_t i64[2];
  float f32[4];
  double f64[2];
} bt_v128;

#define BT_SI static inline __attribute__((always_inline, unused))

BT_SI bt_v128 bt_v(uint64_t lo, uint64_t hi) {
  bt_v128 v;
  v.u64[0] = lo;
  v.u64[1] = hi;
  return v;
}

/* ---- memory ---- */

BT_SI uint8_t *bt_simd_addr(wasm_rt_memory_t *mem, uint32_t addr, uint64_t off, uint64_t n) {
  uint64_t ea = (uint64_t)addr + off;
  if (ea + n > (uint64_t)mem->pages * 65536u) wasm_rt_trap(WASM_RT_TRAP_OOB);
  return mem->data + ea;
}

BT_SI bt_v128 bt_simd_v128_load(wasm_rt_memory_t *m, uint32_t a, uint64_t off) {
  bt_v128 r;
  memcpy(&r, bt_simd_addr(m, a, off, 16), 16);
  return r;
}

#define BT_LOAD_EXT(name, N, ST, DT, field)                                    \
  BT_SI bt_v128 bt_simd_##name(wasm_rt_memory_t *m, uint32_t a, uint64_t off) { \
    ST s[N];                                                                   \
    bt_v128 r;                                                                 \
    memcpy(s, bt_simd_addr(m, a, off, 8), 8);                                  \
    for (int i = 0; i < N; i++) r.field[i] = (DT)s[i];                         \
    return r;                                                                  \
  }
BT_LOAD_EXT(v128_load8x8_s, 8, int8_t, int16_t, i16)
BT_LOAD_EXT(v128_load8x8_u, 8, uint8_t, uint16_t, u16)
BT_LOAD_EXT(v128_load16x4_s, 4, int16_t, int32_t, i32)
BT_LOAD_EXT(v128_load16x4_u, 4, uint16_t, uint32_t, u32)
BT_LOAD_EXT(v128_load32x2_s, 2, int32_t, int64_t, i64)
BT_LOAD_EXT(v128_load32x2_u, 2, uint32_t, uint64_t, u64)

#define BT_LOAD_SPLAT(name, T, field, N)                                        \
  BT_SI bt_v128 bt_simd_##name(wasm_rt_memory_t *m, uint32_t a, uint64_t off) { \
    T x;                                                                        \
    bt_v128 r;                                                                  \
    memcpy(&x, bt_simd_addr(m, a, off, sizeof x), sizeof x);                    \
    for (int i = 0; i < N; i++) r.field[i] = x;                                 \
    return r;                                                                   \
  }
BT_LOAD_SPLAT(v128_load8_splat, uint8_t, u8, 16)
BT_LOAD_SPLAT(v128_load16_splat, uint16_t, u16, 8)
BT_LOAD_SPLAT(v128_load32_splat, uint32_t, u32, 4)
BT_LOAD_SPLAT(v128_load64_splat, uint64_t, u64, 2)

BT_SI bt_v128 bt_simd_v128_load32_zero(wasm_rt_memory_t *m, uint32_t a, uint64_t off) {
  bt_v128 r = bt_v(0, 0);
  memcpy(&r.u32[0], bt_simd_addr(m, a, off, 4), 4);
  return r;
}
BT_SI bt_v128 bt_simd_v128_load64_zero(wasm_rt_memory_t *m, uint32_t a, uint64_t off) {
  bt_v128 r = bt_v(0, 0);
  memcpy(&r.u64[0], bt_simd_addr(m, a, off, 8), 8);
  return r;
}
BT_SI void bt_simd_v128_store(wasm_rt_memory_t *m, uint32_t a, bt_v128 v, uint64_t off) {
  memcpy(bt_simd_addr(m, a, off, 16), &v, 16);
}

#define BT_LANE_MEM(bits, field)                                                               \
  BT_SI bt_v128 bt_simd_v128_load##bits##_lane(wasm_rt_memory_t *m, uint32_t a, bt_v128 v,     \
                                               uint64_t off, uint32_t lane) {                  \
    memcpy(&v.field[lane], bt_simd_addr(m, a, off, bits / 8), bits / 8);                       \
    return v;                                                                                  \
  }                                                                                            \
  BT_SI void bt_simd_v128_store##bits##_lane(wasm_rt_memory_t *m, uint32_t a, bt_v128 v,       \
                                             uint64_t off, uint32_t lane) {                    \
    memcpy(bt_simd_addr(m, a, off, bits / 8), &v.field[lane], bits / 8);                       \
  }
BT_LANE_MEM(8, u8)
BT_LANE_MEM(16, u16)
BT_LANE_MEM(32, u32)
BT_LANE_MEM(64, u64)

/* ---- splat, lanes, shuffles ---- */

#define BT_SPLAT(name, PT, field, N)     \
  BT_SI bt_v128 bt_simd_##name(PT x) {   \
    bt_v128 r;                           \
    for (int i = 0; i < N; i++) r.field[i] = x; \
    return r;                            \
  }
BT_SPLAT(i8x16_splat, uint32_t, u8, 16)
BT_SPLAT(i16x8_splat, uint32_t, u16, 8)
BT_SPLAT(i32x4_splat, uint32_t, u32, 4)
BT_SPLAT(i64x2_splat, uint64_t, u64, 2)
BT_SPLAT(f32x4_splat, float, f32, 4)
BT_SPLAT(f64x2_splat, double, f64, 2)

#define BT_EXTRACT(name, RT, field) \
  BT_SI RT bt_simd_##name(bt_v128 v, uint32_t lane) { return (RT)v.field[lane]; }
BT_EXTRACT(i8x16_extract_lane_s, uint32_t, i8)
BT_EXTRACT(i8x16_extract_lane_u, uint32_t, u8)
BT_EXTRACT(i16x8_extract_lane_s, uint32_t, i16)
BT_EXTRACT(i16x8_extract_lane_u, uint32_t, u16)
BT_EXTRACT(i32x4_extract_lane, uint32_t, u32)
BT_EXTRACT(i64x2_extract_lane, uint64_t, u64)
BT_EXTRACT(f32x4_extract_lane, float, f32)
BT_EXTRACT(f64x2_extract_lane, double, f64)

#define BT_REPLACE(name, PT, field)                                  \
  BT_SI bt_v128 bt_simd_##name(bt_v128 v, PT x, uint32_t lane) {      \
    v.field[lane] = x;                                               \
    return v;                                                        \
  }
BT_REPLACE(i8x16_replace_lane, uint32_t, u8)
BT_REPLACE(i16x8_replace_lane, uint32_t, u16)
BT_REPLACE(i32x4_replace_lane, uint32_t, u32)
BT_REPLACE(i64x2_replace_lane, uint64_t, u64)
BT_REPLACE(f32x4_replace_lane, float, f32)
BT_REPLACE(f64x2_replace_lane, double, f64)

BT_SI bt_v128 bt_simd_i8x16_shuffle(bt_v128 a, bt_v128 b, const uint8_t *lanes) {
  bt_v128 r;
  for (int i = 0; i < 16; i++) r.u8[i] = lanes[i] < 16 ? a.u8[lanes[i]] : b.u8[lanes[i] - 16];
  return r;
}
BT_SI bt_v128 bt_simd_i8x16_swizzle(bt_v128 a, bt_v128 s) {
  bt_v128 r;
  for (int i = 0; i < 16; i++) r.u8[i] = s.u8[i] < 16 ? a.u8[s.u8[i]] : 0;
  return r;
}
BT_SI bt_v128 bt_simd_v128_select(bt_v128 a, bt_v128 b, uint32_t c) { return c ? a : b; }

/* ---- lane-wise templates ---- */

/* Binary: r.F[i] = expr over x = a.F[i], y = b.F[i]. */
#define BT_BIN(name, F, N, T, expr)                          \
  BT_SI bt_v128 bt_simd_##name(bt_v128 a, bt_v128 b) {       \
    bt_v128 r;                                               \
    for (int i = 0; i < N; i++) {                            \
      T x = a.F[i], y = b.F[i];                              \
      r.F[i] = (expr);                                       \
    }                                                        \
    return r;                                                \
  }
/* Unary: r.F[i] = expr over x = a.F[i]. */
#define BT_UN(name, F, N, T, expr)                  \
  BT_SI bt_v128 bt_simd_##name(bt_v128 a) {         \
    bt_v128 r;                                      \
    for (int i = 0; i < N; i++) {                   \
      T x = a.F[i];                                 \
      r.F[i] = (expr);                              \
    }                                               \
    return r;                                       \
  }
/* Compare: all ones in the lane (unsigned view M) when cond holds. */
#define BT_CMP(name, F, M, N, T, cond)                       \
  BT_SI bt_v128 bt_simd_##name(bt_v128 a, bt_v128 b) {       \
    bt_v128 r;                                               \
    for (int i = 0; i < N; i++) {                            \
      T x = a.F[i], y = b.F[i];                              \
      r.M[i] = (cond) ? (__typeof__(r.M[0]))~0ull : 0;       \
    }                                                        \
    return r;                                                \
  }
/* Shift by y mod lane width. */
#define BT_SHIFT(name, F, N, T, expr)                        \
  BT_SI bt_v128 bt_simd_##name(bt_v128 a, uint32_t s) {      \
    bt_v128 r;                                               \
    uint32_t y = s & (sizeof(T) * 8 - 1);                    \
    for (int i = 0; i < N; i++) {                            \
      T x = a.F[i];                                          \
      r.F[i] = (expr);                                       \
    }                                                        \
    return r;                                                \
  }

#define BT_ICMPS(P, s, u, N)                                   \
  BT_CMP(P##_eq, u, u, N, __typeof__(((bt_v128 *)0)->u[0]), x == y) \
  BT_CMP(P##_ne, u, u, N, __typeof__(((bt_v128 *)0)->u[0]), x != y) \
  BT_CMP(P##_lt_s, s, u, N, __typeof__(((bt_v128 *)0)->s[0]), x < y) \
  BT_CMP(P##_lt_u, u, u, N, __typeof__(((bt_v128 *)0)->u[0]), x < y) \
  BT_CMP(P##_gt_s, s, u, N, __typeof__(((bt_v128 *)0)->s[0]), x > y) \
  BT_CMP(P##_gt_u, u, u, N, __typeof__(((bt_v128 *)0)->u[0]), x > y) \
  BT_CMP(P##_le_s, s, u, N, __typeof__(((bt_v128 *)0)->s[0]), x <= y) \
  BT_CMP(P##_le_u, u, u, N, __typeof__(((bt_v128 *)0)->u[0]), x <= y) \
  BT_CMP(P##_ge_s, s, u, N, __typeof__(((bt_v128 *)0)->s[0]), x >= y) \
  BT_CMP(P##_ge_u, u, u, N, __typeof__(((bt_v128 *)0)->u[0]), x >= y)
BT_ICMPS(i8x16, i8, u8, 16)
BT_ICMPS(i16x8, i16, u16, 8)
BT_ICMPS(i32x4, i32, u32, 4)
BT_CMP(i64x2_eq, u64, u64, 2, uint64_t, x == y)
BT_CMP(i64x2_ne, u64, u64, 2, uint64_t, x != y)
BT_CMP(i64x2_lt_s, i64, u64, 2, int64_t, x < y)
BT_CMP(i64x2_gt_s, i64, u64, 2, int64_t, x > y)
BT_CMP(i64x2_le_s, i64, u64, 2, int64_t, x <= y)
BT_CMP(i64x2_ge_s, i64, u64, 2, int64_t, x >= y)

#define BT_FCMPS(P, F, M, N, T)            \
  BT_CMP(P##_eq, F, M, N, T, x == y)       \
  BT_CMP(P##_ne, F, M, N, T, x != y)       \
  BT_CMP(P##_lt, F, M, N, T, x < y)        \
  BT_CMP(P##_gt, F, M, N, T, x > y)        \
  BT_CMP(P##_le, F, M, N, T, x <= y)       \
  BT_CMP(P##_ge, F, M, N, T, x >= y)
BT_FCMPS(f32x4, f32, u32, 4, float)
BT_FCMPS(f64x2, f64, u64, 2, double)

/* ---- bitwise ---- */

BT_SI bt_v128 bt_simd_v128_not(bt_v128 a) { return bt_v(~a.u64[0], ~a.u64[1]); }
BT_SI bt_v128 bt_simd_v128_and(bt_v128 a, bt_v128 b) { return bt_v(a.u64[0] & b.u64[0], a.u64[1] & b.u64[1]); }
BT_SI bt_v128 bt_simd_v128_andnot(bt_v128 a, bt_v128 b) {
  return bt_v(a.u64[0] & ~b.u64[0], a.u64[1] & ~b.u64[1]);
}
BT_SI bt_v128 bt_simd_v128_or(bt_v128 a, bt_v128 b) { return bt_v(a.u64[0] | b.u64[0], a.u64[1] | b.u64[1]); }
BT_SI bt_v128 bt_simd_v128_xor(bt_v128 a, bt_v128 b) { return bt_v(a.u64[0] ^ b.u64[0], a.u64[1] ^ b.u64[1]); }
BT_SI bt_v128 bt_simd_v128_bitselect(bt_v128 a, bt_v128 b, bt_v128 c) {
  return bt_v((a.u64[0] & c.u64[0]) | (b.u64[0] & ~c.u64[0]), (a.u64[1] & c.u64[1]) | (b.u64[1] & ~c.u64[1]));
}
BT_SI uint32_t bt_simd_v128_any_true(bt_v128 a) { return (a.u64[0] | a.u64[1]) != 0; }

#define BT_ALLTRUE_BITMASK(P, F, S, N)                                         \
  BT_SI uint32_t bt_simd_##P##_all_true(bt_v128 a) {                           \
    for (int i = 0; i < N; i++)                                                \
      if (a.F[i] == 0) return 0;                                               \
    return 1;                                                                  \
  }                                                                            \
  BT_SI uint32_t bt_simd_##P##_bitmask(bt_v128 a) {                            \
    uint32_t r = 0;                                                            \
    for (int i = 0; i < N; i++) r |= (uint32_t)(a.S[i] < 0) << i;              \
    return r;                                                                  \
  }
BT_ALLTRUE_BITMASK(i8x16, u8, i8, 16)
BT_ALLTRUE_BITMASK(i16x8, u16, i16, 8)
BT_ALLTRUE_BITMASK(i32x4, u32, i32, 4)
BT_ALLTRUE_BITMASK(i64x2, u64, i64, 2)

/* ---- integer arithmetic (wrapping in unsigned views) ---- */

#define BT_IARITH(P, s, u, N, ST, UT, WT)                                        \
  BT_BIN(P##_add, u, N, UT, (UT)(x + y))                                         \
  BT_BIN(P##_sub, u, N, UT, (UT)(x - y))                                         \
  BT_UN(P##_neg, u, N, UT, (UT)(0 - x))                                          \
  BT_UN(P##_abs, s, N, ST, (ST)(x < 0 ? (UT)(0 - (UT)x) : (UT)x))                \
  BT_SHIFT(P##_shl, u, N, UT, (UT)((WT)x << y))                                  \
  BT_SHIFT(P##_shr_s, s, N, ST, (ST)(x >> y))                                    \
  BT_SHIFT(P##_shr_u, u, N, UT, (UT)(x >> y))
BT_IARITH(i8x16, i8, u8, 16, int8_t, uint8_t, uint32_t)
BT_IARITH(i16x8, i16, u16, 8, int16_t, uint16_t, uint32_t)
BT_IARITH(i32x4, i32, u32, 4, int32_t, uint32_t, uint32_t)
BT_IARITH(i64x2, i64, u64, 2, int64_t, uint64_t, uint64_t)
BT_BIN(i16x8_mul, u16, 8, uint16_t, (uint16_t)((uint32_t)x * y))
BT_BIN(i32x4_mul, u32, 4, uint32_t, x * y)
BT_BIN(i64x2_mul, u64, 2, uint64_t, x * y)

#define BT_CLAMP(v, lo, hi) ((v) < (lo) ? (lo) : (v) > (hi) ? (hi) : (v))
#define BT_MINMAX_SAT(P, s, u, N, ST, UT, SMIN, SMAX, UMAX)                      \
  BT_BIN(P##_min_s, s, N, ST, x < y ? x : y)                                     \
  BT_BIN(P##_min_u, u, N, UT, x < y ? x : y)                                     \
  BT_BIN(P##_max_s, s, N, ST, x > y ? x : y)                                     \
  BT_BIN(P##_max_u, u, N, UT, x > y ? x : y)                                     \
  BT_BIN(P##_add_sat_s, s, N, ST, (ST)BT_CLAMP((int32_t)x + (int32_t)y, SMIN, SMAX)) \
  BT_BIN(P##_add_sat_u, u, N, UT, (UT)BT_CLAMP((int32_t)x + (int32_t)y, 0, UMAX))    \
  BT_BIN(P##_sub_sat_s, s, N, ST, (ST)BT_CLAMP((int32_t)x - (int32_t)y, SMIN, SMAX)) \
  BT_BIN(P##_sub_sat_u, u, N, UT, (UT)BT_CLAMP((int32_t)x - (int32_t)y, 0, UMAX))    \
  BT_BIN(P##_avgr_u, u, N, UT, (UT)(((uint32_t)x + y + 1) >> 1))
BT_MINMAX_SAT(i8x16, i8, u8, 16, int8_t, uint8_t, -128, 127, 255)
BT_MINMAX_SAT(i16x8, i16, u16, 8, int16_t, uint16_t, -32768, 32767, 65535)
BT_BIN(i32x4_min_s, i32, 4, int32_t, x < y ? x : y)
BT_BIN(i32x4_min_u, u32, 4, uint32_t, x < y ? x : y)
BT_BIN(i32x4_max_s, i32, 4, int32_t, x > y ? x : y)
BT_BIN(i32x4_max_u, u32, 4, uint32_t, x > y ? x : y)

BT_UN(i8x16_popcnt, u8, 16, uint8_t, (uint8_t)__builtin_popcount(x))
BT_BIN(i16x8_q15mulr_sat_s, i16, 8, int16_t, (int16_t)BT_CLAMP(((int32_t)x * y + 0x4000) >> 15, -32768, 32767))

BT_SI bt_v128 bt_simd_i32x4_dot_i16x8_s(bt_v128 a, bt_v128 b) {
  bt_v128 r;
  for (int i = 0; i < 4; i++)
    r.u32[i] = (uint32_t)((int64_t)a.i16[2 * i] * b.i16[2 * i] + (int64_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]);
  return r;
}

/* narrow: signed inputs saturated into the signed or unsigned half type. */
#define BT_NARROW(name, SF, DF, N, LO, HI, DT)                         \
  BT_SI bt_v128 bt_simd_##name(bt_v128 a, bt_v128 b) {                 \
    bt_v128 r;                                                         \
    for (int i = 0; i < N; i++) {                                      \
      int32_t x = a.SF[i], y = b.SF[i];                                \
      r.DF[i] = (DT)BT_CLAMP(x, LO, HI);                               \
      r.DF[i + N] = (DT)BT_CLAMP(y, LO, HI);                           \
    }                                                                  \
    return r;                                                          \
  }
BT_NARROW(i8x16_narrow_i16x8_s, i16, i8, 8, -128, 127, int8_t)
BT_NARROW(i8x16_narrow_i16x8_u, i16, u8, 8, 0, 255, uint8_t)
BT_NARROW(i16x8_narrow_i32x4_s, i32, i16, 4, -32768, 32767, int16_t)
BT_NARROW(i16x8_narrow_i32x4_u, i32, u16, 4, 0, 65535, uint16_t)

/* extend / extmul / extadd_pairwise: SF is the narrow view, DF the wide. */
#define BT_WIDEN(P, from, SFs, SFu, DFs, DFu, N, WS, WU)                                       \
  BT_SI bt_v128 bt_simd_##P##_extend_low_##from##_s(bt_v128 a) {                               \
    bt_v128 r;                                                                                 \
    for (int i = 0; i < N; i++) r.DFs[i] = a.SFs[i];                                           \
    return r;                                                                                  \
  }                                                                                            \
  BT_SI bt_v128 bt_simd_##P##_extend_high_##from##_s(bt_v128 a) {                              \
    bt_v128 r;                                                                                 \
    for (int i = 0; i < N; i++) r.DFs[i] = a.SFs[i + N];                                       \
    return r;                                                                                  \
  }                                                                                            \
  BT_SI bt_v128 bt_simd_##P##_extend_low_##from##_u(bt_v128 a) {                               \
    bt_v128 r;                                                                                 \
    for (int i = 0; i < N; i++) r.DFu[i] = a.SFu[i];                                           \
    return r;                                                                                  \
  }                                                                                            \
  BT_SI bt_v128 bt_simd_##P##_extend_high_##from##_u(bt_v128 a) {                              \
    bt_v128 r;                                                                                 \
    for (int i = 0; i < N; i++) r.DFu[i] = a.SFu[i + N];                                       \
    return r;                                                                                  \
  }                                                                                            \
  BT_SI bt_v128 bt_simd_##P##_extmul_low_##from##_s(bt_v128 a, bt_v128 b) {                    \
    bt_v128 r;                                                                                 \
    for (int i = 0; i < N; i++) r.DFu[i] = (WU)((WS)a.SFs[i] * (WS)b.SFs[i]);                  \
    return r;                                                                                  \
  }                                                                                            \
  BT_SI bt_v128 bt_simd_##P##_extmul_high_##from##_s(bt_v128 a, bt_v128 b) {                   \
    bt_v128 r;                                                                                 \
    for (int i = 0; i < N; i++) r.DFu[i] = (WU)((WS)a.SFs[i + N] * (WS)b.SFs[i + N]);          \
    return r;                                                                                  \
  }                                                                                            \
  BT_SI bt_v128 bt_simd_##P##_extmul_low_##from##_u(bt_v128 a, bt_v128 b) {                    \
    bt_v128 r;                                                                                 \
    for (int i = 0; i < N; i++) r.DFu[i] = (WU)((WU)a.SFu[i] * (WU)b.SFu[i]);                  \
    return r;                                                                                  \
  }                                                                                            \
  BT_SI bt_v128 bt_simd_##P##_extmul_high_##from##_u(bt_v128 a, bt_v128 b) {                   \
    bt_v128 r;                                                                                 \
    for (int i = 0; i < N; i++) r.DFu[i] = (WU)((WU)a.SFu[i + N] * (WU)b.SFu[i + N]);          \
    return r;                                                                                  \
  }
BT_WIDEN(i16x8, i8x16, i8, u8, i16, u16, 8, int32_t, uint32_t)
BT_WIDEN(i32x4, i16x8, i16, u16, i32, u32, 4, int64_t, uint64_t)
BT_WIDEN(i64x2, i32x4, i32, u32, i64, u64, 2, int64_t, uint64_t)

#define BT_EXTADD(P, from, SF, DF, N, WT)                               \
  BT_SI bt_v128 bt_simd_##P##_extadd_pairwise_##from(bt_v128 a) {       \
    bt_v128 r;                                                          \
    for (int i = 0; i < N; i++) r.DF[i] = (WT)a.SF[2 * i] + (WT)a.SF[2 * i + 1]; \
    return r;                                                           \
  }
BT_EXTADD(i16x8, i8x16_s, i8, i16, 8, int32_t)
BT_EXTADD(i16x8, i8x16_u, u8, u16, 8, uint32_t)
BT_EXTADD(i32x4, i16x8_s, i16, i32, 4, int64_t)
BT_EXTADD(i32x4, i16x8_u, u16, u32, 4, uint64_t)

/* ---- floating point ---- */

BT_SI float bt_fminf(float x, float y) {
  if (x != x || y != y) return x + y; /* NaN: propagate (quieted) */
  if (x == y) { uint32_t a, b; memcpy(&a, &x, 4); memcpy(&b, &y, 4); a |= b; memcpy(&x, &a, 4); return x; }
  return x < y ? x : y;
}
BT_SI float bt_fmaxf(float x, float y) {
  if (x != x || y != y) return x + y;
  if (x == y) { uint32_t a, b; memcpy(&a, &x, 4); memcpy(&b, &y, 4); a &= b; memcpy(&x, &a, 4); return x; }
  return x > y ? x : y;
}
BT_SI double bt_fmin(double x, double y) {
  if (x != x || y != y) return x + y;
  if (x == y) { uint64_t a, b; memcpy(&a, &x, 8); memcpy(&b, &y, 8); a |= b; memcpy(&x, &a, 8); return x; }
  return x < y ? x : y;
}
BT_SI double bt_fmax(double x, double y) {
  if (x != x || y != y) return x + y;
  if (x == y) { uint64_t a, b; memcpy(&a, &x, 8); memcpy(&b, &y, 8); a &= b; memcpy(&x, &a, 8); return x; }
  return x > y ? x : y;
}

/* libm's ceil/floor/trunc return a signalling NaN unchanged; wasm wants it
 * quiet (nan:arithmetic), which x + x gives. */
#define BT_ROUND(name, T, fn) \
  BT_SI T name(T x) { return x != x ? x + x : fn(x); }
BT_ROUND(bt_ceilf, float, ceilf)
BT_ROUND(bt_floorf, float, floorf)
BT_ROUND(bt_truncf, float, truncf)
BT_ROUND(bt_nearestf, float, nearbyintf)
BT_ROUND(bt_ceil, double, ceil)
BT_ROUND(bt_floor, double, floor)
BT_ROUND(bt_trunc, double, trunc)
BT_ROUND(bt_nearest, double, nearbyint)

#define BT_FARITH(P, F, M, N, T, SIGN, SQRT, CEIL, FLOOR, TRUNC, NEAREST, MIN, MAX) \
  BT_BIN(P##_add, F, N, T, x + y)                                           \
  BT_BIN(P##_sub, F, N, T, x - y)                                           \
  BT_BIN(P##_mul, F, N, T, x * y)                                           \
  BT_BIN(P##_div, F, N, T, x / y)                                           \
  BT_BIN(P##_min, F, N, T, MIN(x, y))                                       \
  BT_BIN(P##_max, F, N, T, MAX(x, y))                                       \
  BT_BIN(P##_pmin, F, N, T, y < x ? y : x)                                  \
  BT_BIN(P##_pmax, F, N, T, x < y ? y : x)                                  \
  BT_UN(P##_sqrt, F, N, T, SQRT(x))                                         \
  BT_UN(P##_ceil, F, N, T, CEIL(x))                                         \
  BT_UN(P##_floor, F, N, T, FLOOR(x))                                       \
  BT_UN(P##_trunc, F, N, T, TRUNC(x))                                       \
  BT_UN(P##_nearest, F, N, T, NEAREST(x))                                   \
  BT_UN(P##_abs, M, N, __typeof__(((bt_v128 *)0)->M[0]), x & ~SIGN)         \
  BT_UN(P##_neg, M, N, __typeof__(((bt_v128 *)0)->M[0]), x ^ SIGN)
BT_FARITH(f32x4, f32, u32, 4, float, 0x80000000u, sqrtf, bt_ceilf, bt_floorf, bt_truncf, bt_nearestf, bt_fminf, bt_fmaxf)
BT_FARITH(f64x2, f64, u64, 2, double, 0x8000000000000000ull, sqrt, bt_ceil, bt_floor, bt_trunc, bt_nearest, bt_fmin, bt_fmax)

BT_SI int32_t bt_sat_s32(double x) {
  if (x != x) return 0;
  if (x <= -2147483648.0) return INT32_MIN;
  if (x >= 2147483647.0) return INT32_MAX;
  return (int32_t)x;
}
BT_SI uint32_t bt_sat_u32(double x) {
  if (!(x > -1.0)) return 0; /* NaN too */
  if (x >= 4294967295.0) return UINT32_MAX;
  return (uint32_t)x;
}
BT_UN(i32x4_trunc_sat_f32x4_s, i32, 4, int32_t, bt_sat_s32(a.f32[i]))
BT_UN(i32x4_trunc_sat_f32x4_u, u32, 4, uint32_t, bt_sat_u32(a.f32[i]))
BT_SI bt_v128 bt_simd_i32x4_trunc_sat_f64x2_s_zero(bt_v128 a) {
  bt_v128 r = bt_v(0, 0);
  r.i32[0] = bt_sat_s32(a.f64[0]);
  r.i32[1] = bt_sat_s32(a.f64[1]);
  return r;
}
BT_SI bt_v128 bt_simd_i32x4_trunc_sat_f64x2_u_zero(bt_v128 a) {
  bt_v128 r = bt_v(0, 0);
  r.u32[0] = bt_sat_u32(a.f64[0]);
  r.u32[1] = bt_sat_u32(a.f64[1]);
  return r;
}
BT_SI bt_v128 bt_simd_f32x4_convert_i32x4_s(bt_v128 a) {
  bt_v128 r;
  for (int i = 0; i < 4; i++) r.f32[i] = (float)a.i32[i];
  return r;
}
BT_SI bt_v128 bt_simd_f32x4_convert_i32x4_u(bt_v128 a) {
  bt_v128 r;
  for (int i = 0; i < 4; i++) r.f32[i] = (float)a.u32[i];
  return r;
}
BT_SI bt_v128 bt_simd_f64x2_convert_low_i32x4_s(bt_v128 a) {
  bt_v128 r;
  for (int i = 0; i < 2; i++) r.f64[i] = (double)a.i32[i];
  return r;
}
BT_SI bt_v128 bt_simd_f64x2_convert_low_i32x4_u(bt_v128 a) {
  bt_v128 r;
  for (int i = 0; i < 2; i++) r.f64[i] = (double)a.u32[i];
  return r;
}
BT_SI bt_v128 bt_simd_f32x4_demote_f64x2_zero(bt_v128 a) {
  bt_v128 r = bt_v(0, 0);
  r.f32[0] = (float)a.f64[0];
  r.f32[1] = (float)a.f64[1];
  return r;
}
BT_SI bt_v128 bt_simd_f64x2_promote_low_f32x4(bt_v128 a) {
  bt_v128 r;
  r.f64[0] = (double)a.f32[0];
  r.f64[1] = (double)a.f32[1];
  return r;
}

#endif
