/*
 * src/wasm/validate.c: type-checks the function bodies of a core module.
 *
 * bt_wasm_parse() calls bt_wasm_validate_code() once every section has been
 * read, so every module baton accepts (core modules and the core modules
 * embedded in components alike) has passed the full WebAssembly 2.0
 * validation before anything hands it to wasm2c or a C compiler. The check
 * is the spec's validation algorithm (appendix "Validation Algorithm"): an
 * operand stack of value types with an "unknown" bottom type for unreachable
 * code, and a stack of control frames, each with its start and end types, the
 * operand stack height at its start and an unreachable flag. Block types may
 * be empty, one value type or a type index (multi-value). It covers control
 * flow, calls, locals, globals, tables, memories (alignment no larger than
 * natural), numeric instructions including sign extension and saturating
 * truncation, bulk memory and table instructions, reference types and SIMD
 * (the 0xFD opcodes of simd_ops.def).
 *
 * Everything is one linear pass over the code section: the stacks and the
 * locals array are allocated once per module and only grow (doubling), so no
 * instruction allocates. Fixed-signature instructions are driven by opcode
 * tables whose signatures are strings of type letters (i=i32, j=i64, f=f32,
 * d=f64, v=v128).
 *
 * Errors read "offset 0x<hex>: code section: function <index>: <what>", the
 * offset being the instruction's first byte and the index counting imported
 * functions. <what> keeps the spec's wording of the failure ("type
 * mismatch", "unknown label", "alignment must not be larger than natural",
 * "undeclared function reference", ...). Codes: BATON_EINVALID for
 * validation failures, BATON_EMALFORMED for encoding errors found while
 * decoding instructions (illegal opcodes, bad immediates, truncation, a
 * missing data count section), BATON_EUNSUPPORTED for instructions of
 * proposals baton does not run (exception handling, tail calls, threads, GC,
 * relaxed SIMD), BATON_ENO_MEMORY when an allocation fails.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wasm/wasm.h"

#define T_UNKNOWN 0 /* the bottom type: any type, in unreachable code */
#define T_I32 BT_WASM_I32
#define T_I64 BT_WASM_I64
#define T_F32 BT_WASM_F32
#define T_F64 BT_WASM_F64
#define T_V128 BT_WASM_V128
#define T_FUNCREF BT_WASM_FUNCREF
#define T_EXTERNREF BT_WASM_EXTERNREF

/* ---- opcode tables ---- */

enum { OK_ILLEGAL, OK_SIMPLE, OK_LOAD, OK_STORE, OK_SPECIAL, OK_UNSUPPORTED };

/* One single-byte (or 0xFC-prefixed) opcode: name for messages, operand and
 * result type letters for OK_SIMPLE, the stored or loaded type for memory
 * accesses (the address is implicit) and their natural alignment (log2). */
typedef struct {
  const char *name;
  const char *in, *out;
  uint8_t kind, align;
} opinfo_t;

#define S(c, n, i, o) [c] = {n, i, o, OK_SIMPLE, 0}
#define LD(c, n, o, a) [c] = {n, "", o, OK_LOAD, a}
#define ST(c, n, t, a) [c] = {n, t, "", OK_STORE, a}
#define SP(c, n) [c] = {n, "", "", OK_SPECIAL, 0}
#define UN(c, n) [c] = {n, "", "", OK_UNSUPPORTED, 0}

static const opinfo_t k_ops[256] = {
    SP(0x00, "unreachable"), SP(0x01, "nop"), SP(0x02, "block"),
    SP(0x03, "loop"), SP(0x04, "if"), SP(0x05, "else"),
    UN(0x06, "try"), UN(0x07, "catch"), UN(0x08, "throw"),
    UN(0x09, "rethrow"), UN(0x0a, "throw_ref"), SP(0x0b, "end"),
    SP(0x0c, "br"), SP(0x0d, "br_if"), SP(0x0e, "br_table"),
    SP(0x0f, "return"), SP(0x10, "call"), SP(0x11, "call_indirect"),
    UN(0x12, "return_call"), UN(0x13, "return_call_indirect"),
    UN(0x14, "call_ref"), UN(0x15, "return_call_ref"),
    UN(0x18, "delegate"), UN(0x19, "catch_all"), SP(0x1a, "drop"),
    SP(0x1b, "select"), SP(0x1c, "select"), UN(0x1f, "try_table"),
    SP(0x20, "local.get"), SP(0x21, "local.set"), SP(0x22, "local.tee"),
    SP(0x23, "global.get"), SP(0x24, "global.set"), SP(0x25, "table.get"),
    SP(0x26, "table.set"),
    LD(0x28, "i32.load", "i", 2), LD(0x29, "i64.load", "j", 3),
    LD(0x2a, "f32.load", "f", 2), LD(0x2b, "f64.load", "d", 3),
    LD(0x2c, "i32.load8_s", "i", 0), LD(0x2d, "i32.load8_u", "i", 0),
    LD(0x2e, "i32.load16_s", "i", 1), LD(0x2f, "i32.load16_u", "i", 1),
    LD(0x30, "i64.load8_s", "j", 0), LD(0x31, "i64.load8_u", "j", 0),
    LD(0x32, "i64.load16_s", "j", 1), LD(0x33, "i64.load16_u", "j", 1),
    LD(0x34, "i64.load32_s", "j", 2), LD(0x35, "i64.load32_u", "j", 2),
    ST(0x36, "i32.store", "i", 2), ST(0x37, "i64.store", "j", 3),
    ST(0x38, "f32.store", "f", 2), ST(0x39, "f64.store", "d", 3),
    ST(0x3a, "i32.store8", "i", 0), ST(0x3b, "i32.store16", "i", 1),
    ST(0x3c, "i64.store8", "j", 0), ST(0x3d, "i64.store16", "j", 1),
    ST(0x3e, "i64.store32", "j", 2),
    SP(0x3f, "memory.size"), SP(0x40, "memory.grow"),
    SP(0x41, "i32.const"), SP(0x42, "i64.const"), SP(0x43, "f32.const"),
    SP(0x44, "f64.const"),
    S(0x45, "i32.eqz", "i", "i"), S(0x46, "i32.eq", "ii", "i"),
    S(0x47, "i32.ne", "ii", "i"), S(0x48, "i32.lt_s", "ii", "i"),
    S(0x49, "i32.lt_u", "ii", "i"), S(0x4a, "i32.gt_s", "ii", "i"),
    S(0x4b, "i32.gt_u", "ii", "i"), S(0x4c, "i32.le_s", "ii", "i"),
    S(0x4d, "i32.le_u", "ii", "i"), S(0x4e, "i32.ge_s", "ii", "i"),
    S(0x4f, "i32.ge_u", "ii", "i"),
    S(0x50, "i64.eqz", "j", "i"), S(0x51, "i64.eq", "jj", "i"),
    S(0x52, "i64.ne", "jj", "i"), S(0x53, "i64.lt_s", "jj", "i"),
    S(0x54, "i64.lt_u", "jj", "i"), S(0x55, "i64.gt_s", "jj", "i"),
    S(0x56, "i64.gt_u", "jj", "i"), S(0x57, "i64.le_s", "jj", "i"),
    S(0x58, "i64.le_u", "jj", "i"), S(0x59, "i64.ge_s", "jj", "i"),
    S(0x5a, "i64.ge_u", "jj", "i"),
    S(0x5b, "f32.eq", "ff", "i"), S(0x5c, "f32.ne", "ff", "i"),
    S(0x5d, "f32.lt", "ff", "i"), S(0x5e, "f32.gt", "ff", "i"),
    S(0x5f, "f32.le", "ff", "i"), S(0x60, "f32.ge", "ff", "i"),
    S(0x61, "f64.eq", "dd", "i"), S(0x62, "f64.ne", "dd", "i"),
    S(0x63, "f64.lt", "dd", "i"), S(0x64, "f64.gt", "dd", "i"),
    S(0x65, "f64.le", "dd", "i"), S(0x66, "f64.ge", "dd", "i"),
    S(0x67, "i32.clz", "i", "i"), S(0x68, "i32.ctz", "i", "i"),
    S(0x69, "i32.popcnt", "i", "i"), S(0x6a, "i32.add", "ii", "i"),
    S(0x6b, "i32.sub", "ii", "i"), S(0x6c, "i32.mul", "ii", "i"),
    S(0x6d, "i32.div_s", "ii", "i"), S(0x6e, "i32.div_u", "ii", "i"),
    S(0x6f, "i32.rem_s", "ii", "i"), S(0x70, "i32.rem_u", "ii", "i"),
    S(0x71, "i32.and", "ii", "i"), S(0x72, "i32.or", "ii", "i"),
    S(0x73, "i32.xor", "ii", "i"), S(0x74, "i32.shl", "ii", "i"),
    S(0x75, "i32.shr_s", "ii", "i"), S(0x76, "i32.shr_u", "ii", "i"),
    S(0x77, "i32.rotl", "ii", "i"), S(0x78, "i32.rotr", "ii", "i"),
    S(0x79, "i64.clz", "j", "j"), S(0x7a, "i64.ctz", "j", "j"),
    S(0x7b, "i64.popcnt", "j", "j"), S(0x7c, "i64.add", "jj", "j"),
    S(0x7d, "i64.sub", "jj", "j"), S(0x7e, "i64.mul", "jj", "j"),
    S(0x7f, "i64.div_s", "jj", "j"), S(0x80, "i64.div_u", "jj", "j"),
    S(0x81, "i64.rem_s", "jj", "j"), S(0x82, "i64.rem_u", "jj", "j"),
    S(0x83, "i64.and", "jj", "j"), S(0x84, "i64.or", "jj", "j"),
    S(0x85, "i64.xor", "jj", "j"), S(0x86, "i64.shl", "jj", "j"),
    S(0x87, "i64.shr_s", "jj", "j"), S(0x88, "i64.shr_u", "jj", "j"),
    S(0x89, "i64.rotl", "jj", "j"), S(0x8a, "i64.rotr", "jj", "j"),
    S(0x8b, "f32.abs", "f", "f"), S(0x8c, "f32.neg", "f", "f"),
    S(0x8d, "f32.ceil", "f", "f"), S(0x8e, "f32.floor", "f", "f"),
    S(0x8f, "f32.trunc", "f", "f"), S(0x90, "f32.nearest", "f", "f"),
    S(0x91, "f32.sqrt", "f", "f"), S(0x92, "f32.add", "ff", "f"),
    S(0x93, "f32.sub", "ff", "f"), S(0x94, "f32.mul", "ff", "f"),
    S(0x95, "f32.div", "ff", "f"), S(0x96, "f32.min", "ff", "f"),
    S(0x97, "f32.max", "ff", "f"), S(0x98, "f32.copysign", "ff", "f"),
    S(0x99, "f64.abs", "d", "d"), S(0x9a, "f64.neg", "d", "d"),
    S(0x9b, "f64.ceil", "d", "d"), S(0x9c, "f64.floor", "d", "d"),
    S(0x9d, "f64.trunc", "d", "d"), S(0x9e, "f64.nearest", "d", "d"),
    S(0x9f, "f64.sqrt", "d", "d"), S(0xa0, "f64.add", "dd", "d"),
    S(0xa1, "f64.sub", "dd", "d"), S(0xa2, "f64.mul", "dd", "d"),
    S(0xa3, "f64.div", "dd", "d"), S(0xa4, "f64.min", "dd", "d"),
    S(0xa5, "f64.max", "dd", "d"), S(0xa6, "f64.copysign", "dd", "d"),
    S(0xa7, "i32.wrap_i64", "j", "i"),
    S(0xa8, "i32.trunc_f32_s", "f", "i"), S(0xa9, "i32.trunc_f32_u", "f", "i"),
    S(0xaa, "i32.trunc_f64_s", "d", "i"), S(0xab, "i32.trunc_f64_u", "d", "i"),
    S(0xac, "i64.extend_i32_s", "i", "j"),
    S(0xad, "i64.extend_i32_u", "i", "j"),
    S(0xae, "i64.trunc_f32_s", "f", "j"), S(0xaf, "i64.trunc_f32_u", "f", "j"),
    S(0xb0, "i64.trunc_f64_s", "d", "j"), S(0xb1, "i64.trunc_f64_u", "d", "j"),
    S(0xb2, "f32.convert_i32_s", "i", "f"),
    S(0xb3, "f32.convert_i32_u", "i", "f"),
    S(0xb4, "f32.convert_i64_s", "j", "f"),
    S(0xb5, "f32.convert_i64_u", "j", "f"),
    S(0xb6, "f32.demote_f64", "d", "f"),
    S(0xb7, "f64.convert_i32_s", "i", "d"),
    S(0xb8, "f64.convert_i32_u", "i", "d"),
    S(0xb9, "f64.convert_i64_s", "j", "d"),
    S(0xba, "f64.convert_i64_u", "j", "d"),
    S(0xbb, "f64.promote_f32", "f", "d"),
    S(0xbc, "i32.reinterpret_f32", "f", "i"),
    S(0xbd, "i64.reinterpret_f64", "d", "j"),
    S(0xbe, "f32.reinterpret_i32", "i", "f"),
    S(0xbf, "f64.reinterpret_i64", "j", "d"),
    S(0xc0, "i32.extend8_s", "i", "i"), S(0xc1, "i32.extend16_s", "i", "i"),
    S(0xc2, "i64.extend8_s", "j", "j"), S(0xc3, "i64.extend16_s", "j", "j"),
    S(0xc4, "i64.extend32_s", "j", "j"),
    SP(0xd0, "ref.null"), SP(0xd1, "ref.is_null"), SP(0xd2, "ref.func"),
    UN(0xd3, "ref.eq"), UN(0xd4, "ref.as_non_null"), UN(0xd5, "br_on_null"),
    UN(0xd6, "br_on_non_null"), UN(0xfb, "GC instruction"),
    SP(0xfc, "0xfc"), SP(0xfd, "0xfd"), UN(0xfe, "atomic instruction"),
};

/* The 0xFC-prefixed instructions by sub-opcode. */
static const opinfo_t k_fc_ops[] = {
    S(0, "i32.trunc_sat_f32_s", "f", "i"), S(1, "i32.trunc_sat_f32_u", "f", "i"),
    S(2, "i32.trunc_sat_f64_s", "d", "i"), S(3, "i32.trunc_sat_f64_u", "d", "i"),
    S(4, "i64.trunc_sat_f32_s", "f", "j"), S(5, "i64.trunc_sat_f32_u", "f", "j"),
    S(6, "i64.trunc_sat_f64_s", "d", "j"), S(7, "i64.trunc_sat_f64_u", "d", "j"),
    SP(8, "memory.init"), SP(9, "data.drop"), SP(10, "memory.copy"),
    SP(11, "memory.fill"), SP(12, "table.init"), SP(13, "elem.drop"),
    SP(14, "table.copy"), SP(15, "table.grow"), SP(16, "table.size"),
    SP(17, "table.fill"),
};

#undef S
#undef LD
#undef ST
#undef SP
#undef UN

/* SIMD immediate kinds (simd_ops.def's IMM tokens, prefixed). */
enum {
  SIMD_ILLEGAL,
  SIMD_NONE,
  SIMD_MEMARG,
  SIMD_MEMARG_LANE,
  SIMD_LANE,
  SIMD_SHUFFLE,
  SIMD_V128CONST
};

typedef struct {
  const char *name, *in, *out;
  uint8_t imm, align, lanes;
} simdinfo_t;

static const simdinfo_t k_simd_ops[256] = {
#define BT_SIMD_OP(code, name, imm, align, lanes, in, out) \
  [code] = {name, in, out, SIMD_##imm, align, lanes},
#include "wasm/simd_ops.def"
#undef BT_SIMD_OP
};

/* Public contract in wasm.h: single-byte opcodes of WebAssembly 2.0 and of
 * the proposals the validator names as unsupported, plus the prefixes. */
bool bt_wasm_opcode_known(uint8_t op) { return k_ops[op].kind != OK_ILLEGAL; }

/* Value type of a signature letter. */
static uint8_t letter_type(char c) {
  switch (c) {
    case 'i': return T_I32;
    case 'j': return T_I64;
    case 'f': return T_F32;
    case 'd': return T_F64;
    default: return T_V128;
  }
}

/* One-element type lists for single-result block types. */
static const uint8_t k_single_types[] = {T_I32,  T_I64,     T_F32,      T_F64,
                                         T_V128, T_FUNCREF, T_EXTERNREF};

/* Returns a one-element list holding value type b, or NULL when b is not
 * a value type. */
static const uint8_t *single_type(uint8_t b) {
  switch (b) {
    case T_I32: return &k_single_types[0];
    case T_I64: return &k_single_types[1];
    case T_F32: return &k_single_types[2];
    case T_F64: return &k_single_types[3];
    case T_V128: return &k_single_types[4];
    case T_FUNCREF: return &k_single_types[5];
    case T_EXTERNREF: return &k_single_types[6];
    default: return NULL;
  }
}

/* ---- the validator state ---- */

enum { F_BLOCK, F_LOOP, F_IF, F_ELSE, F_FUNC };

/* A control frame. Type lists point into the module's types or into
 * k_single_types, never into memory that moves. */
typedef struct {
  const uint8_t *params, *results;
  uint32_t nparams, nresults;
  uint32_t height; /* operand stack height at the start */
  uint8_t kind;
  bool unreachable;
} frame_t;

typedef struct {
  bool mutable_;
  uint8_t type;
} gtype_t;

typedef struct {
  const bt_wasm_module_t *m;
  const uint8_t *base, *pos, *end; /* end: the current body's end */
  const uint8_t *op_at;            /* first byte of the instruction */
  uint32_t func;                   /* function index, for messages */
  baton_error_t *err;
  /* index spaces, imports first */
  uint32_t *func_types, nfuncs;
  gtype_t *globals;
  uint32_t nglobals;
  uint8_t *tables;
  uint32_t ntables, nmemories;
  bool mem64;
  const uint8_t *refs; /* bitmap of declared function references */
  /* per-function state, reused */
  uint8_t *locals;
  uint32_t nlocals, locals_cap;
  uint8_t *vals;
  uint32_t nvals, vals_cap;
  frame_t *ctrls;
  uint32_t nctrls, ctrls_cap;
} vd_t;

/* Records the first error at `at`: "offset 0x..: code section: function
 * N: <message>"; evaluates to false through vd_fail. */
static void vd_fail_(vd_t *v, const uint8_t *at, baton_errno_t code,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5), cold, noinline));
static void vd_fail_(vd_t *v, const uint8_t *at, baton_errno_t code,
                     const char *fmt, ...) {
  if (v->err) return;
  char msg[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  v->err = baton_error_new(code, "offset 0x%zx: code section: function %u: %s",
                           (size_t)(at - v->base), v->func, msg);
}
#define vd_fail(...) (vd_fail_(__VA_ARGS__), false)
#define vd_oom(v) \
  vd_fail((v), (v)->op_at, BATON_ENO_MEMORY, "out of memory")
#define vd_invalid(v, ...) vd_fail((v), (v)->op_at, BATON_EINVALID, __VA_ARGS__)

/* Returns the name of the instruction at v->op_at, for messages (decoded
 * again only when a message needs it, so the hot loop stores nothing). */
static const char *op_name(const vd_t *v) {
  const uint8_t *p = v->op_at + 1;
  uint64_t sub;
  if (v->op_at >= v->end) return "end of function";
  uint8_t op = *v->op_at;
  if ((op == 0xfc || op == 0xfd) && bt_wasm_read_uleb(&p, v->end, 32, &sub)) {
    if (op == 0xfc && sub < BT_ARRAY_LEN(k_fc_ops)) return k_fc_ops[sub].name;
    if (op == 0xfd && sub < 256 && k_simd_ops[sub].name)
      return k_simd_ops[sub].name;
  }
  return k_ops[op].name ? k_ops[op].name : "instruction";
}

/* Grows *p (elements of `size` bytes, capacity *cap) to hold at least
 * `need` elements, doubling. */
static __attribute__((noinline)) bool grow(vd_t *v, void **p, uint32_t *cap, uint64_t need,
                 size_t size) {
  if (need <= *cap) return true;
  uint64_t n = *cap ? *cap : 64;
  while (n < need) n *= 2;
  if (n > UINT32_MAX) return vd_oom(v);
  void *q = bt_realloc(*p, (size_t)n * size);
  if (!q) return vd_oom(v);
  *p = q;
  *cap = (uint32_t)n;
  return true;
}

/* ---- immediates ---- */

/* Records the error for a LEB128 at `at` that failed to decode. */
static __attribute__((cold, noinline)) void leb_fail_(vd_t *v,
                                                       const uint8_t *at,
                                                       unsigned bits) {
  unsigned maxbytes = (bits + 6) / 7;
  for (unsigned i = 0; i < maxbytes; i++) {
    if (at + i >= v->end) {
      vd_fail_(v, at, BATON_EMALFORMED,
               "unexpected end of section or function");
      return;
    }
    if (!(at[i] & 0x80)) {
      vd_fail_(v, at, BATON_EMALFORMED, "integer too large");
      return;
    }
  }
  vd_fail_(v, at, BATON_EMALFORMED, "integer representation too long");
}
#define leb_fail(...) (leb_fail_(__VA_ARGS__), false)

/* rd_u32 beyond one byte: two bytes inline, the shared decoder for the
 * rest (and for errors). */
static __attribute__((noinline)) bool rd_u32_slow(vd_t *v, uint32_t *out) {
  const uint8_t *p = v->pos;
  if (v->end - p >= 2 && p[1] < 0x80) {
    *out = (uint32_t)(p[0] & 0x7f) | (uint32_t)p[1] << 7;
    v->pos = p + 2;
    return true;
  }
  uint64_t x;
  if (!bt_wasm_read_uleb(&v->pos, v->end, 32, &x)) return leb_fail(v, p, 32);
  *out = (uint32_t)x;
  return true;
}

/* Reads an unsigned LEB128 of 32 bits (one byte inline). */
static inline bool rd_u32(vd_t *v, uint32_t *out) {
  const uint8_t *p = v->pos;
  if (p < v->end && *p < 0x80) {
    *out = *p;
    v->pos = p + 1;
    return true;
  }
  return rd_u32_slow(v, out);
}

/* Skips a signed LEB128 of `bits` bits (32 or 64): inline while the bytes
 * cannot overflow, the shared decoder for the last byte and errors. */
static inline bool skip_sleb(vd_t *v, unsigned bits) {
  const uint8_t *p = v->pos;
  unsigned safe = (bits + 6) / 7 - 1; /* bytes whose payload always fits */
  if ((size_t)(v->end - p) >= safe)
    for (unsigned i = 0; i < safe; i++)
      if (p[i] < 0x80) {
        v->pos = p + i + 1;
        return true;
      }
  int64_t x;
  if (!bt_wasm_read_sleb(&v->pos, v->end, bits, &x))
    return leb_fail(v, p, bits);
  return true;
}

/* Reads an unsigned LEB128 of `bits` bits into *out. */
static bool rd_uleb(vd_t *v, unsigned bits, uint64_t *out) {
  const uint8_t *at = v->pos;
  if (!bt_wasm_read_uleb(&v->pos, v->end, bits, out))
    return leb_fail(v, at, bits);
  return true;
}

/* Reads a signed LEB128 of `bits` bits into *out. */
static bool rd_sleb(vd_t *v, unsigned bits, int64_t *out) {
  const uint8_t *at = v->pos;
  if (!bt_wasm_read_sleb(&v->pos, v->end, bits, out))
    return leb_fail(v, at, bits);
  return true;
}

/* Reads one byte. */
static bool rd_byte(vd_t *v, uint8_t *out) {
  if (v->pos >= v->end)
    return vd_fail(v, v->pos, BATON_EMALFORMED,
                   "unexpected end of section or function");
  *out = *v->pos++;
  return true;
}

/* Skips n immediate bytes. */
static bool rd_skip(vd_t *v, size_t n) {
  if ((size_t)(v->end - v->pos) < n)
    return vd_fail(v, v->pos, BATON_EMALFORMED,
                   "unexpected end of section or function");
  v->pos += n;
  return true;
}

/* Reads the reserved zero byte of memory.size/grow/copy/fill/init. */
static bool rd_zero(vd_t *v) {
  const uint8_t *at = v->pos;
  uint8_t b;
  if (!rd_byte(v, &b)) return false;
  if (b != 0)
    return vd_fail(v, at, BATON_EMALFORMED,
                   "zero byte expected (%s memory index 0x%02x; multiple "
                   "memories are not supported)",
                   op_name(v), b);
  return true;
}

/* Reads an index and checks it against `n`; "unknown <what> <i>". */
static inline bool rd_index(vd_t *v, uint32_t n, const char *what, uint32_t *out) {
  if (!rd_u32(v, out)) return false;
  if (*out >= n)
    return vd_invalid(v, "unknown %s %u (%u defined)", what, *out, n);
  return true;
}

/* ---- the operand and control stacks ---- */

/* Pushes one operand type. The main loop keeps room for VALS_SLACK
 * operands before each instruction, and no instruction pushes more than
 * one with push() (lists go through push_types, which grows). */
#define VALS_SLACK 4
static inline bool push(vd_t *v, uint8_t t) {
  v->vals[v->nvals++] = t;
  return true;
}

/* Records a type mismatch for the current instruction. */
static __attribute__((cold, noinline)) void mismatch_(vd_t *v, uint8_t want,
                                                       const char *got) {
  vd_fail_(v, v->op_at, BATON_EINVALID,
           "type mismatch: %s expects %s but got %s", op_name(v),
           want ? bt_wasm_valtype_name(want) : "a value", got);
}
#define mismatch(...) (mismatch_(__VA_ARGS__), false)

/* Pops one operand that must have type `want` (T_UNKNOWN: any) and stores
 * its type (T_UNKNOWN in unreachable code) in *got (may be NULL). */
static inline bool pop(vd_t *v, uint8_t want, uint8_t *got) {
  const frame_t *f = &v->ctrls[v->nctrls - 1];
  uint8_t t;
  if (v->nvals == f->height) {
    if (!f->unreachable) return mismatch(v, want, "nothing");
    t = T_UNKNOWN;
  } else {
    t = v->vals[--v->nvals];
  }
  if (t != want && t != T_UNKNOWN && want != T_UNKNOWN)
    return mismatch(v, want, bt_wasm_valtype_name(t));
  if (got) *got = t;
  return true;
}

/* Pops operands of types ts[0..n) (the last one on top). */
static bool pop_types(vd_t *v, const uint8_t *ts, uint32_t n) {
  for (uint32_t i = n; i-- > 0;)
    if (!pop(v, ts[i], NULL)) return false;
  return true;
}

/* Pushes results of types ts[0..n). */
static bool push_types(vd_t *v, const uint8_t *ts, uint32_t n) {
  if (v->vals_cap - v->nvals < n + VALS_SLACK &&
      !grow(v, (void **)&v->vals, &v->vals_cap,
            (uint64_t)v->nvals + n + VALS_SLACK, 1))
    return false;
  if (n) memcpy(v->vals + v->nvals, ts, n);
  v->nvals += n;
  return true;
}

/* Applies a fixed signature given as type letters. */
static inline bool apply_sig(vd_t *v, const char *in, const char *out) {
  size_t n = 0;
  while (in[n]) n++;
  while (n-- > 0)
    if (!pop(v, letter_type(in[n]), NULL)) return false;
  for (; *out; out++)
    if (!push(v, letter_type(*out))) return false;
  return true;
}

/* Opens a control frame and pushes its parameters. */
static bool push_ctrl(vd_t *v, uint8_t kind, const uint8_t *params,
                      uint32_t nparams, const uint8_t *results,
                      uint32_t nresults) {
  if (v->nctrls == v->ctrls_cap &&
      !grow(v, (void **)&v->ctrls, &v->ctrls_cap, (uint64_t)v->nctrls + 1,
            sizeof *v->ctrls))
    return false;
  v->ctrls[v->nctrls++] = (frame_t){params,   results, nparams, nresults,
                                    v->nvals, kind,    false};
  return push_types(v, params, nparams);
}

/* Checks the innermost frame's results are exactly what the stack holds
 * above its start, leaving the stack at the frame's height. */
static bool check_frame_end(vd_t *v) {
  frame_t *f = &v->ctrls[v->nctrls - 1];
  if (!pop_types(v, f->results, f->nresults)) return false;
  if (v->nvals != f->height)
    return vd_invalid(v,
                      "type mismatch: %s: %u value(s) left on the stack at "
                      "the end of the block",
                      op_name(v), v->nvals - f->height);
  return true;
}

/* Marks the rest of the innermost frame unreachable. */
static bool set_unreachable(vd_t *v) {
  frame_t *f = &v->ctrls[v->nctrls - 1];
  v->nvals = f->height;
  f->unreachable = true;
  return true;
}

/* The types a branch to frame f carries. */
static const uint8_t *label_types(const frame_t *f, uint32_t *n) {
  if (f->kind == F_LOOP) {
    *n = f->nparams;
    return f->params;
  }
  *n = f->nresults;
  return f->results;
}

/* Reads a label index and returns its frame in *out. */
static bool rd_label(vd_t *v, frame_t **out) {
  uint32_t l;
  if (!rd_u32(v, &l)) return false;
  if (l >= v->nctrls)
    return vd_invalid(v, "unknown label %u (%u enclosing blocks)", l,
                      v->nctrls);
  *out = &v->ctrls[v->nctrls - 1 - l];
  return true;
}

/* Checks, without popping, that the top of the stack matches ts[0..n)
 * (br_table's per-label check: popping and pushing back the same values). */
static bool peek_types(vd_t *v, const uint8_t *ts, uint32_t n) {
  const frame_t *f = &v->ctrls[v->nctrls - 1];
  for (uint32_t i = 0; i < n; i++) {
    uint8_t want = ts[n - 1 - i];
    if (v->nvals - f->height <= i) {
      if (f->unreachable) return true; /* the rest comes from the bottom */
      return mismatch(v, want, "nothing");
    }
    uint8_t t = v->vals[v->nvals - 1 - i];
    if (t != want && t != T_UNKNOWN)
      return mismatch(v, want, bt_wasm_valtype_name(t));
  }
  return true;
}

/* ---- control instructions ---- */

/* Reads a block type: empty, one value type or a type index. */
static bool rd_blocktype(vd_t *v, const uint8_t **params, uint32_t *np,
                         const uint8_t **results, uint32_t *nr) {
  const uint8_t *at = v->pos;
  uint8_t b;
  *params = *results = NULL;
  *np = *nr = 0;
  if (!rd_byte(v, &b)) return false;
  if (b == 0x40) return true;
  if ((*results = single_type(b)) != NULL) {
    *nr = 1;
    return true;
  }
  v->pos = at;
  int64_t idx;
  if (!rd_sleb(v, 33, &idx)) return false;
  if (idx < 0) {
    if (b == 0x63 || b == 0x64 || (b >= 0x69 && b <= 0x6e) ||
        (b >= 0x71 && b <= 0x74))
      return vd_fail(v, at, BATON_EUNSUPPORTED,
                     "block type 0x%02x from the GC or exception handling "
                     "proposals is not supported",
                     b);
    return vd_fail(v, at, BATON_EMALFORMED, "malformed block type 0x%02x", b);
  }
  if ((uint64_t)idx >= v->m->ntypes)
    return vd_invalid(v, "unknown type %lld (%u defined)", (long long)idx,
                      v->m->ntypes);
  const bt_wasm_functype_t *t = &v->m->types[idx];
  *params = t->params;
  *np = t->nparams;
  *results = t->results;
  *nr = t->nresults;
  return true;
}

/* block, loop, if, else and end. */
static bool op_block(vd_t *v, uint8_t op) {
  const uint8_t *ps, *rs;
  uint32_t np, nr;
  frame_t *f = &v->ctrls[v->nctrls - 1];
  switch (op) {
    case 0x02: case 0x03: case 0x04:
      if (!rd_blocktype(v, &ps, &np, &rs, &nr)) return false;
      if (op == 0x04 && !pop(v, T_I32, NULL)) return false;
      if (!pop_types(v, ps, np)) return false;
      return push_ctrl(v, op == 0x02 ? F_BLOCK : op == 0x03 ? F_LOOP : F_IF,
                       ps, np, rs, nr);
    case 0x05:
      if (f->kind != F_IF)
        return vd_fail(v, v->op_at, BATON_EMALFORMED,
                       "else without a matching if");
      if (!check_frame_end(v)) return false;
      f->kind = F_ELSE;
      f->unreachable = false;
      return push_types(v, f->params, f->nparams);
    default: /* 0x0b end */
      if (!check_frame_end(v)) return false;
      if (f->kind == F_IF &&
          (f->nparams != f->nresults ||
           (f->nparams && memcmp(f->params, f->results, f->nparams) != 0)))
        return vd_invalid(v,
                          "type mismatch: if without else must leave its "
                          "parameters as results");
      v->nctrls--;
      return push_types(v, f->results, f->nresults);
  }
}

/* br, br_if, br_table and return. */
static bool op_branch(vd_t *v, uint8_t op) {
  frame_t *f;
  const uint8_t *ts;
  uint32_t n;
  switch (op) {
    case 0x0c:
      if (!rd_label(v, &f)) return false;
      ts = label_types(f, &n);
      return pop_types(v, ts, n) && set_unreachable(v);
    case 0x0d:
      if (!rd_label(v, &f) || !pop(v, T_I32, NULL)) return false;
      ts = label_types(f, &n);
      return pop_types(v, ts, n) && push_types(v, ts, n);
    case 0x0e: {
      uint32_t count, arity;
      if (!rd_u32(v, &count)) return false;
      if (count > (size_t)(v->end - v->pos))
        return vd_fail(v, v->pos, BATON_EMALFORMED,
                       "unexpected end of section or function (br_table "
                       "with %u labels)",
                       count);
      const uint8_t *labels = v->pos;
      for (uint32_t i = 0; i <= count; i++) /* skip to the default */
        if (!rd_label(v, &f)) return false;
      const uint8_t *after = v->pos;
      if (!pop(v, T_I32, NULL)) return false;
      const uint8_t *dts = label_types(f, &arity);
      v->pos = labels;
      for (uint32_t i = 0; i < count; i++) {
        if (!rd_label(v, &f)) return false;
        ts = label_types(f, &n);
        if (n != arity)
          return vd_invalid(v,
                            "type mismatch: br_table labels carry %u and %u "
                            "values",
                            n, arity);
        if (!peek_types(v, ts, n)) return false;
      }
      v->pos = after;
      return pop_types(v, dts, arity) && set_unreachable(v);
    }
    default: /* 0x0f return */
      f = &v->ctrls[0];
      return pop_types(v, f->results, f->nresults) && set_unreachable(v);
  }
}

/* call and call_indirect. */
static bool op_call(vd_t *v, uint8_t op) {
  const bt_wasm_module_t *m = v->m;
  uint32_t idx, table;
  if (op == 0x10) {
    if (!rd_index(v, v->nfuncs, "function", &idx)) return false;
    idx = v->func_types[idx];
  } else {
    if (!rd_index(v, m->ntypes, "type", &idx) ||
        !rd_index(v, v->ntables, "table", &table))
      return false;
    if (v->tables[table] != T_FUNCREF)
      return vd_invalid(v,
                        "type mismatch: call_indirect on table %u of %s "
                        "(funcref required)",
                        table, bt_wasm_valtype_name(v->tables[table]));
    if (!pop(v, T_I32, NULL)) return false;
  }
  const bt_wasm_functype_t *t = &m->types[idx];
  return pop_types(v, t->params, t->nparams) &&
         push_types(v, t->results, t->nresults);
}

/* Returns whether t is a number or vector type (or unknown). */
static bool is_numvec(uint8_t t) {
  return t == T_UNKNOWN || (t >= T_V128 && t <= T_I32);
}

/* drop, select and typed select. */
static bool op_parametric(vd_t *v, uint8_t op) {
  uint8_t t1, t2, want = T_UNKNOWN;
  if (op == 0x1a) return pop(v, T_UNKNOWN, NULL);
  if (op == 0x1c) {
    uint32_t n;
    const uint8_t *at = v->pos;
    if (!rd_u32(v, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
      const uint8_t *tat = v->pos;
      if (!rd_byte(v, &want)) return false;
      if (!single_type(want))
        return vd_fail(v, tat, BATON_EMALFORMED, "malformed value type 0x%02x",
                       want);
      if (v->err) return false;
    }
    if (n != 1)
      return vd_fail(v, at, BATON_EINVALID,
                     "invalid result arity: typed select with %u types", n);
  }
  if (!pop(v, T_I32, NULL) || !pop(v, want, &t1) || !pop(v, want, &t2))
    return false;
  if (op == 0x1b) {
    if (!is_numvec(t1) || !is_numvec(t2))
      return vd_invalid(v,
                        "type mismatch: select without a type needs number "
                        "or vector operands, got %s",
                        bt_wasm_valtype_name(is_numvec(t1) ? t2 : t1));
    if (t1 != t2 && t1 != T_UNKNOWN && t2 != T_UNKNOWN)
      return vd_invalid(v, "type mismatch: select operands are %s and %s",
                        bt_wasm_valtype_name(t2), bt_wasm_valtype_name(t1));
    return push(v, t1 == T_UNKNOWN ? t2 : t1);
  }
  return push(v, want);
}

/* ---- variables, memory, constants, references ---- */

/* local.*, global.*, table.get and table.set. */
static bool op_variable(vd_t *v, uint8_t op) {
  uint32_t x;
  uint8_t t;
  if (op <= 0x22) {
    if (!rd_index(v, v->nlocals, "local", &x)) return false;
    t = v->locals[x];
    if (op == 0x20) return push(v, t);
    if (!pop(v, t, NULL)) return false;
    return op == 0x21 || push(v, t);
  }
  if (op <= 0x24) {
    if (!rd_index(v, v->nglobals, "global", &x)) return false;
    t = v->globals[x].type;
    if (op == 0x23) return push(v, t);
    if (!v->globals[x].mutable_)
      return vd_invalid(v, "global is immutable: global.set %u", x);
    return pop(v, t, NULL);
  }
  if (!rd_index(v, v->ntables, "table", &x)) return false;
  t = v->tables[x];
  if (op == 0x25) return pop(v, T_I32, NULL) && push(v, t);
  return pop(v, t, NULL) && pop(v, T_I32, NULL);
}

/* Address type of memory 0. */
static uint8_t addr_type(const vd_t *v) { return v->mem64 ? T_I64 : T_I32; }

/* Checks that memory 0 exists. */
static bool need_memory(vd_t *v) {
  if (v->nmemories == 0)
    return vd_invalid(v, "unknown memory 0 (%s needs a memory)",
                      op_name(v));
  return true;
}

/* Reads a memarg and checks memory 0 exists and the alignment (log2) is at
 * most `natural`. */
static bool rd_memarg(vd_t *v, unsigned natural) {
  uint32_t align;
  uint64_t offset;
  const uint8_t *at = v->pos;
  if (!rd_u32(v, &align)) return false;
  if (v->mem64) {
    if (!rd_uleb(v, 64, &offset)) return false;
  } else {
    uint32_t off32;
    if (!rd_u32(v, &off32)) return false;
  }
  if (!need_memory(v)) return false;
  if (align > natural)
    return vd_fail(v, at, BATON_EINVALID,
                   "alignment must not be larger than natural (%s: 2^%u > "
                   "%u bytes)",
                   op_name(v), align, 1u << natural);
  return true;
}

/* Loads and stores with fixed types. */
static bool op_memory(vd_t *v, const opinfo_t *o) {
  if (!rd_memarg(v, o->align)) return false;
  if (o->kind == OK_LOAD)
    return pop(v, addr_type(v), NULL) && push(v, letter_type(o->out[0]));
  return pop(v, letter_type(o->in[0]), NULL) && pop(v, addr_type(v), NULL);
}

/* memory.size, memory.grow, constants and reference instructions. */
static bool op_misc(vd_t *v, uint8_t op) {
  uint32_t x;
  uint8_t t;
  switch (op) {
    case 0x3f: case 0x40:
      if (!rd_zero(v) || !need_memory(v)) return false;
      if (op == 0x40 && !pop(v, addr_type(v), NULL)) return false;
      return push(v, addr_type(v));
    case 0x41: return skip_sleb(v, 32) && push(v, T_I32);
    case 0x42: return skip_sleb(v, 64) && push(v, T_I64);
    case 0x43: return rd_skip(v, 4) && push(v, T_F32);
    case 0x44: return rd_skip(v, 8) && push(v, T_F64);
    case 0xd0: {
      const uint8_t *at = v->pos;
      if (!rd_byte(v, &t)) return false;
      if (t != T_FUNCREF && t != T_EXTERNREF)
        return vd_fail(v, at, BATON_EMALFORMED,
                       "malformed reference type 0x%02x", t);
      return push(v, t);
    }
    case 0xd1:
      if (!pop(v, T_UNKNOWN, &t)) return false;
      if (t != T_UNKNOWN && t != T_FUNCREF && t != T_EXTERNREF)
        return vd_invalid(v,
                          "type mismatch: ref.is_null expects a reference "
                          "but got %s",
                          bt_wasm_valtype_name(t));
      return push(v, T_I32);
    default: /* 0xd2 ref.func */
      if (!rd_index(v, v->nfuncs, "function", &x)) return false;
      if (!v->refs || !(v->refs[x >> 3] & (1u << (x & 7))))
        return vd_invalid(v,
                          "undeclared function reference: ref.func %u (the "
                          "function must appear in an element segment, an "
                          "export or a global initializer)",
                          x);
      return push(v, T_FUNCREF);
  }
}

/* Reads a table index and returns its element type. */
static bool rd_table(vd_t *v, uint8_t *type) {
  uint32_t x;
  if (!rd_index(v, v->ntables, "table", &x)) return false;
  *type = v->tables[x];
  return true;
}

/* Reads an element segment index and returns its reference type. */
static bool rd_elem(vd_t *v, uint8_t *type) {
  uint32_t x;
  if (!rd_u32(v, &x)) return false;
  if (x >= v->m->nelems)
    return vd_invalid(v, "unknown elem segment %u (%u defined)", x,
                      v->m->nelems);
  *type = v->m->elems[x].reftype;
  return true;
}

/* Reads a data segment index. The data count section is required (else
 * the module is malformed) unless the index is out of range anyway, which
 * makes it invalid in any encoding. */
static bool rd_data(vd_t *v) {
  uint32_t x;
  if (!rd_u32(v, &x)) return false;
  if (!v->m->has_datacount && x < v->m->ndatas)
    return vd_fail(v, v->op_at, BATON_EMALFORMED,
                   "data count section required (%s)", op_name(v));
  if (x >= (v->m->has_datacount ? v->m->datacount : v->m->ndatas))
    return vd_invalid(v, "unknown data segment %u (%u defined)", x,
                      v->m->has_datacount ? v->m->datacount : v->m->ndatas);
  return true;
}

/* The 0xFC-prefixed instructions. */
static bool op_fc(vd_t *v) {
  uint32_t sub;
  uint8_t t, t2;
  if (!rd_u32(v, &sub)) return false;
  if (sub >= BT_ARRAY_LEN(k_fc_ops))
    return vd_fail(v, v->op_at, BATON_EMALFORMED, "illegal opcode 0xfc %u",
                   sub);
  const opinfo_t *o = &k_fc_ops[sub];
  uint8_t at = addr_type(v);
  switch (sub) {
    case 8:
      if (!rd_data(v) || !rd_zero(v) || !need_memory(v)) return false;
      return pop(v, T_I32, NULL) && pop(v, T_I32, NULL) && pop(v, at, NULL);
    case 9: return rd_data(v);
    case 10:
      if (!rd_zero(v) || !rd_zero(v) || !need_memory(v)) return false;
      return pop(v, at, NULL) && pop(v, at, NULL) && pop(v, at, NULL);
    case 11:
      if (!rd_zero(v) || !need_memory(v)) return false;
      return pop(v, at, NULL) && pop(v, T_I32, NULL) && pop(v, at, NULL);
    case 12:
      if (!rd_elem(v, &t) || !rd_table(v, &t2)) return false;
      if (t != t2)
        return vd_invalid(v, "type mismatch: table.init of %s segment into "
                          "%s table", bt_wasm_valtype_name(t),
                          bt_wasm_valtype_name(t2));
      return pop(v, T_I32, NULL) && pop(v, T_I32, NULL) && pop(v, T_I32, NULL);
    case 13: return rd_elem(v, &t);
    case 14:
      if (!rd_table(v, &t) || !rd_table(v, &t2)) return false;
      if (t != t2)
        return vd_invalid(v, "type mismatch: table.copy from %s table to %s "
                          "table", bt_wasm_valtype_name(t2),
                          bt_wasm_valtype_name(t));
      return pop(v, T_I32, NULL) && pop(v, T_I32, NULL) && pop(v, T_I32, NULL);
    case 15:
      if (!rd_table(v, &t)) return false;
      return pop(v, T_I32, NULL) && pop(v, t, NULL) && push(v, T_I32);
    case 16: return rd_table(v, &t) && push(v, T_I32);
    case 17:
      if (!rd_table(v, &t)) return false;
      return pop(v, T_I32, NULL) && pop(v, t, NULL) && pop(v, T_I32, NULL);
    default: return apply_sig(v, o->in, o->out);
  }
}

/* Reads one lane index byte that must be below `lanes`. */
static bool rd_lane(vd_t *v, unsigned lanes) {
  const uint8_t *at = v->pos;
  uint8_t l;
  if (!rd_byte(v, &l)) return false;
  if (l >= lanes)
    return vd_fail(v, at, BATON_EINVALID,
                   "invalid lane index %u (%s has %u lanes)", l, op_name(v),
                   lanes);
  return true;
}

/* The 0xFD-prefixed (SIMD) instructions, from simd_ops.def. */
static bool op_simd(vd_t *v) {
  uint32_t sub;
  if (!rd_u32(v, &sub)) return false;
  if (sub >= 0x100 && sub <= 0x113)
    return vd_fail(v, v->op_at, BATON_EUNSUPPORTED,
                   "relaxed SIMD instruction 0xfd 0x%x is not supported",
                   sub);
  const simdinfo_t *s = sub < 256 ? &k_simd_ops[sub] : NULL;
  if (!s || s->imm == SIMD_ILLEGAL)
    return vd_fail(v, v->op_at, BATON_EMALFORMED, "illegal opcode 0xfd 0x%x",
                   sub);
  bool mem = s->imm == SIMD_MEMARG || s->imm == SIMD_MEMARG_LANE;
  if (mem && !rd_memarg(v, s->align)) return false;
  if (s->imm == SIMD_MEMARG_LANE || s->imm == SIMD_LANE) {
    if (!rd_lane(v, s->lanes)) return false;
  } else if (s->imm == SIMD_SHUFFLE) {
    for (int i = 0; i < 16; i++)
      if (!rd_lane(v, s->lanes)) return false;
  } else if (s->imm == SIMD_V128CONST) {
    if (!rd_skip(v, 16)) return false;
  }
  size_t n = strlen(s->in);
  while (n-- > 0) {
    uint8_t t = mem && n == 0 ? addr_type(v) : letter_type(s->in[n]);
    if (!pop(v, t, NULL)) return false;
  }
  return !*s->out || push(v, letter_type(*s->out));
}

/* ---- bodies ---- */

/* Validates one instruction whose opcode byte has been read. */
static bool step(vd_t *v, uint8_t op) {
  uint32_t x;
  switch (op) { /* the most frequent instructions, inline */
    case 0x20: /* local.get */
      if (!rd_u32(v, &x)) return false;
      if (x >= v->nlocals) break; /* op_variable reports it */
      return push(v, v->locals[x]);
    case 0x21: case 0x22: /* local.set, local.tee */
      if (!rd_u32(v, &x)) return false;
      if (x >= v->nlocals) break;
      return pop(v, v->locals[x], NULL) &&
             (op == 0x21 || push(v, v->locals[x]));
    case 0x41: return skip_sleb(v, 32) && push(v, T_I32);
    default: break;
  }
  if (v->pos != v->op_at + 1) v->pos = v->op_at + 1; /* re-read in full */
  const opinfo_t *o = &k_ops[op];
  switch (o->kind) {
    case OK_SIMPLE: return apply_sig(v, o->in, o->out);
    case OK_LOAD: case OK_STORE: return op_memory(v, o);
    case OK_UNSUPPORTED:
      return vd_fail(v, v->op_at, BATON_EUNSUPPORTED,
                     "%s (opcode 0x%02x) belongs to a proposal baton does "
                     "not support",
                     o->name, op);
    case OK_ILLEGAL:
      return vd_fail(v, v->op_at, BATON_EMALFORMED, "illegal opcode 0x%02x",
                     op);
    default: break;
  }
  if (op == 0x00) return set_unreachable(v);
  if (op == 0x01) return true;
  if (op <= 0x05 || op == 0x0b) return op_block(v, op);
  if (op <= 0x0f) return op_branch(v, op);
  if (op <= 0x11) return op_call(v, op);
  if (op <= 0x1c) return op_parametric(v, op);
  if (op <= 0x26) return op_variable(v, op);
  if (op == 0xfc) return op_fc(v);
  if (op == 0xfd) return op_simd(v);
  return op_misc(v, op);
}

/* ---- decoding only, for error precedence ---- */

/* Skips the immediates of the 0xFC or 0xFD instruction at v->pos (after
 * the prefix), reporting only decoding errors. */
static bool scan_prefixed(vd_t *v, uint8_t prefix) {
  uint32_t sub, x;
  uint64_t u;
  if (!rd_u32(v, &sub)) return false;
  if (prefix == 0xfc) {
    if (sub >= BT_ARRAY_LEN(k_fc_ops))
      return vd_fail(v, v->op_at, BATON_EMALFORMED, "illegal opcode 0xfc %u",
                     sub);
    switch (sub) {
      case 8: case 9:
        if (!rd_u32(v, &x)) return false;
        if (!v->m->has_datacount && x < v->m->ndatas)
          return vd_fail(v, v->op_at, BATON_EMALFORMED,
                         "data count section required");
        return sub == 9 || rd_zero(v);
      case 10: return rd_zero(v) && rd_zero(v);
      case 11: return rd_zero(v);
      case 12: case 14: return rd_u32(v, &x) && rd_u32(v, &x);
      case 13: case 15: case 16: case 17: return rd_u32(v, &x);
      default: return true;
    }
  }
  if (sub >= 0x100 && sub <= 0x113)
    return vd_fail(v, v->op_at, BATON_EUNSUPPORTED,
                   "relaxed SIMD instruction 0xfd 0x%x is not supported",
                   sub);
  const simdinfo_t *s = sub < 256 ? &k_simd_ops[sub] : NULL;
  if (!s || s->imm == SIMD_ILLEGAL)
    return vd_fail(v, v->op_at, BATON_EMALFORMED, "illegal opcode 0xfd 0x%x",
                   sub);
  if (s->imm == SIMD_MEMARG || s->imm == SIMD_MEMARG_LANE)
    if (!rd_u32(v, &x) || !rd_uleb(v, v->mem64 ? 64 : 32, &u)) return false;
  if (s->imm == SIMD_MEMARG_LANE || s->imm == SIMD_LANE) return rd_skip(v, 1);
  if (s->imm == SIMD_SHUFFLE || s->imm == SIMD_V128CONST)
    return rd_skip(v, 16);
  return true;
}

/* Skips the instruction whose opcode op was just read, adjusting the block
 * *depth, reporting only decoding errors (what the spec's decoder would
 * reject before validation). */
static bool scan_instr(vd_t *v, uint8_t op, uint32_t *depth) {
  uint32_t x, n;
  int64_t c;
  uint64_t u;
  uint8_t b;
  const opinfo_t *o = &k_ops[op];
  if (o->kind == OK_ILLEGAL)
    return vd_fail(v, v->op_at, BATON_EMALFORMED, "illegal opcode 0x%02x",
                   op);
  if (o->kind == OK_UNSUPPORTED) /* immediates unknown: stop decoding here */
    return vd_fail(v, v->op_at, BATON_EUNSUPPORTED,
                   "%s (opcode 0x%02x) belongs to a proposal baton does not "
                   "support",
                   o->name, op);
  if (o->kind == OK_LOAD || o->kind == OK_STORE)
    return rd_u32(v, &x) && rd_uleb(v, v->mem64 ? 64 : 32, &u);
  switch (op) {
    case 0x02: case 0x03: case 0x04:
      (*depth)++;
      if (v->pos < v->end && (*v->pos == 0x40 || single_type(*v->pos))) {
        v->pos++;
        return true;
      }
      if (!rd_sleb(v, 33, &c)) return false;
      if (c < 0)
        return vd_fail(v, v->op_at, BATON_EMALFORMED, "malformed block type");
      return true;
    case 0x0b: (*depth)--; return true;
    case 0x0e:
      if (!rd_u32(v, &n)) return false;
      for (uint64_t i = 0; i <= n; i++)
        if (!rd_u32(v, &x)) return false;
      return true;
    case 0x1c:
      if (!rd_u32(v, &n)) return false;
      for (uint32_t i = 0; i < n; i++) {
        if (!rd_byte(v, &b)) return false;
        if (!single_type(b))
          return vd_fail(v, v->op_at, BATON_EMALFORMED, "malformed value type");
      }
      return true;
    case 0x0c: case 0x0d: case 0x10: case 0x20: case 0x21: case 0x22:
    case 0x23: case 0x24: case 0x25: case 0x26: case 0xd2:
      return rd_u32(v, &x);
    case 0x11: return rd_u32(v, &x) && rd_u32(v, &x);
    case 0x3f: case 0x40: return rd_zero(v);
    case 0x41: return rd_sleb(v, 32, &c);
    case 0x42: return rd_sleb(v, 64, &c);
    case 0x43: return rd_skip(v, 4);
    case 0x44: return rd_skip(v, 8);
    case 0xd0:
      if (!rd_byte(v, &b)) return false;
      if (b != T_FUNCREF && b != T_EXTERNREF)
        return vd_fail(v, v->op_at, BATON_EMALFORMED,
                       "malformed reference type");
      return true;
    case 0xfc: case 0xfd: return scan_prefixed(v, op);
    default: return true;
  }
}

/* Decodes the rest of the body from v->pos with `depth` blocks open, then
 * every later body (bodies i+1..n-1 of the section ending at code_end):
 * after a validation error, a decoding error anywhere in the code section
 * takes precedence, as in the spec, where decoding precedes validation (an
 * instruction of an unsupported proposal counts as one, since its
 * immediates cannot be skipped). Returns false with v->err set to the
 * decoding error, if any. */
static bool scan_rest(vd_t *v, uint32_t depth, uint32_t i, uint32_t n,
                      const uint8_t *code_end) {
  for (;;) {
    while (depth) {
      if (v->pos >= v->end)
        return vd_fail(v, v->pos, BATON_EMALFORMED,
                       "unexpected end of section or function (END opcode "
                       "expected)");
      v->op_at = v->pos;
      if (!scan_instr(v, *v->pos++, &depth)) return false;
    }
    if (v->pos != v->end)
      return vd_fail(v, v->pos, BATON_EMALFORMED,
                     "section size mismatch: %zu bytes after the function's "
                     "final end",
                     (size_t)(v->end - v->pos));
    if (++i >= n) return true;
    uint32_t size, groups, count;
    uint8_t t;
    v->func++;
    v->end = code_end;
    if (!rd_u32(v, &size)) return false;
    v->end = v->pos + size;
    if (!rd_u32(v, &groups)) return false;
    for (uint32_t g = 0; g < groups; g++)
      if (!rd_u32(v, &count) || !rd_byte(v, &t)) return false;
    depth = 1;
  }
}

/* Reads the local declarations of the body at v->pos (already checked by
 * the reader) after the parameters of type t. */
static bool read_locals(vd_t *v, const bt_wasm_functype_t *t) {
  uint32_t groups;
  v->nlocals = 0;
  if (!grow(v, (void **)&v->locals, &v->locals_cap, t->nparams, 1))
    return false;
  if (t->nparams) memcpy(v->locals, t->params, t->nparams);
  v->nlocals = t->nparams;
  if (!rd_u32(v, &groups)) return false;
  for (uint32_t g = 0; g < groups; g++) {
    uint32_t count;
    uint8_t type;
    if (!rd_u32(v, &count) || !rd_byte(v, &type)) return false;
    if (!grow(v, (void **)&v->locals, &v->locals_cap,
              (uint64_t)v->nlocals + count, 1))
      return false;
    if (count) memset(v->locals + v->nlocals, type, count);
    v->nlocals += count;
  }
  return true;
}

/* Validates the function body [v->pos, v->end) of type t. */
static bool validate_body(vd_t *v, const bt_wasm_functype_t *t) {
  v->op_at = v->pos;
  if (!read_locals(v, t)) return false;
  v->nvals = v->nctrls = 0;
  if (!push_ctrl(v, F_FUNC, NULL, 0, t->results, t->nresults)) return false;
  while (v->nctrls) {
    if (v->pos >= v->end)
      return vd_fail(v, v->pos, BATON_EMALFORMED,
                     "unexpected end of section or function (END opcode "
                     "expected)");
    v->op_at = v->pos;
    if (v->vals_cap - v->nvals < VALS_SLACK &&
        !grow(v, (void **)&v->vals, &v->vals_cap,
              (uint64_t)v->nvals + VALS_SLACK, 1))
      return false;
    if (!step(v, *v->pos++)) return false;
  }
  if (v->pos != v->end)
    return vd_fail(v, v->pos, BATON_EMALFORMED,
                   "section size mismatch: %zu bytes after the function's "
                   "final end",
                   (size_t)(v->end - v->pos));
  return true;
}

/* Fills the validator's index spaces from the module (imports first). */
static bool build_spaces(vd_t *v) {
  const bt_wasm_module_t *m = v->m;
  uint32_t nf = 0, ng = 0, nt = 0;
  bool seen_memory = false;
  v->nfuncs = m->nimported_funcs + m->nfuncs;
  v->nglobals = m->nimported_globals + m->nglobals;
  v->ntables = m->nimported_tables + m->ntables;
  v->nmemories = m->nimported_memories + m->nmemories;
  v->func_types = bt_malloc((size_t)v->nfuncs * sizeof *v->func_types + 1);
  v->globals = bt_malloc((size_t)v->nglobals * sizeof *v->globals + 1);
  v->tables = bt_malloc((size_t)v->ntables + 1);
  if (!v->func_types || !v->globals || !v->tables) return vd_oom(v);
  for (uint32_t i = 0; i < m->nimports; i++) {
    const bt_wasm_import_t *imp = &m->imports[i];
    switch (imp->kind) {
      case BT_WASM_EXTERN_FUNC: v->func_types[nf++] = imp->u.func_type; break;
      case BT_WASM_EXTERN_TABLE: v->tables[nt++] = imp->u.table.elemtype; break;
      case BT_WASM_EXTERN_GLOBAL:
        v->globals[ng++] =
            (gtype_t){imp->u.global.mutable_, imp->u.global.valtype};
        break;
      case BT_WASM_EXTERN_MEMORY:
        if (!seen_memory) v->mem64 = imp->u.memory.is64;
        seen_memory = true;
        break;
      default: break;
    }
  }
  for (uint32_t i = 0; i < m->nfuncs; i++) v->func_types[nf++] = m->func_types[i];
  for (uint32_t i = 0; i < m->ntables; i++)
    v->tables[nt++] = m->tables[i].elemtype;
  for (uint32_t i = 0; i < m->nglobals; i++)
    v->globals[ng++] = (gtype_t){m->globals[i].mutable_, m->globals[i].valtype};
  if (!seen_memory && m->nmemories)
    v->mem64 = m->memories[0].is64;
  return true;
}

/* Public contract in wasm.h. */
baton_error_t *bt_wasm_validate_code(const bt_wasm_module_t *m,
                                     const uint8_t *base, const uint8_t *code,
                                     const uint8_t *code_end,
                                     const uint8_t *refs) {
  vd_t v = {.m = m, .base = base, .pos = code, .end = code_end, .refs = refs};
  v.op_at = code;
  v.func = m->nimported_funcs;
  if (build_spaces(&v) && code) {
    uint32_t n = 0;
    (void)rd_u32(&v, &n);
    if (n > m->nfuncs) n = m->nfuncs; /* the reader checked they agree */
    for (uint32_t i = 0; !v.err && i < n; i++) {
      uint32_t size = 0;
      v.func = m->nimported_funcs + i;
      v.end = code_end;
      if (!rd_u32(&v, &size)) break;
      const uint8_t *body_end = v.pos + size;
      v.end = body_end;
      if (!validate_body(&v, &m->types[m->func_types[i]])) {
        if (baton_error_code(v.err) == BATON_EINVALID) {
          baton_error_t *invalid = v.err;
          v.err = NULL;
          v.pos = v.op_at;
          if (scan_rest(&v, v.nctrls, i, n, code_end)) {
            v.err = invalid;
          } else {
            baton_error_delete(invalid);
          }
        }
        break;
      }
      v.pos = body_end;
    }
  }
  bt_free(v.func_types);
  bt_free(v.globals);
  bt_free(v.tables);
  bt_free(v.locals);
  bt_free(v.vals);
  bt_free(v.ctrls);
  return v.err;
}
