/*
 * src/abi/lift.c: lifting guest values into the host value tree, from linear
 * memory (the spec's `load`) and from flat core values (`lift_flat`). Every
 * guest-supplied quantity is validated before use: pointers and lengths of
 * strings and lists (alignment, bounds without overflow, the 2^28-byte
 * limits), string encodings, char scalar values, discriminants against the
 * case count, and flags against their member count (stray bits are rejected;
 * see docs/abi.md). A failure records an ABI error in the view's status and
 * the path to the bad value is added as the recursion unwinds. A failed lift
 * leaves its output zeroed and frees whatever it had built, so callers never
 * see half a value.
 *
 * The recursion follows the type, never the data, so its depth is bounded by
 * the WIT type's nesting.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "abi/abi.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the canonical ABI code reads little-endian memory directly");

static baton_value_kind_t value_kind(bt_wit_kind_t k) {
  bt_wit_type_t t = {.kind = k};
  return bt_abi_value_kind(&t);
}

static float canon_f32(float f) {
  if (isnan(f)) {
    uint32_t bits = 0x7fc00000u;
    memcpy(&f, &bits, 4);
  }
  return f;
}

static double canon_f64(double f) {
  if (isnan(f)) {
    uint64_t bits = 0x7ff8000000000000ull;
    memcpy(&f, &bits, 8);
  }
  return f;
}

static uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

bool bt_abi_lift_char(bt_abi_cx_t *cx, uint32_t c) {
  if (c >= 0xD800 && c <= 0xDFFF)
    return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                        "char 0x%" PRIx32 " is a surrogate, not a Unicode scalar value", c);
  if (c > 0x10FFFF)
    return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                        "char 0x%" PRIx32 " is above 0x10ffff, not a Unicode scalar value", c);
  return true;
}

/* Names a type for messages: "variant shape", or "option<u32>" for an
 * anonymous type. */
static const char *type_desc(const bt_wit_type_t *t, char *buf, size_t size) {
  char ts[96];
  bt_abi_type_str(t, ts, sizeof ts);
  if (t->name) snprintf(buf, size, "%s %s", bt_wit_kind_name(t->kind), ts);
  else snprintf(buf, size, "%s", ts);
  return buf;
}

bool bt_abi_check_disc(bt_abi_cx_t *cx, const bt_wit_type_t *t, uint32_t disc) {
  size_t n = bt_abi_case_count(t);
  if (disc < n) return true;
  char ts[128];
  return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                      "discriminant %" PRIu32 " of %s is out of range (%zu cases)", disc,
                      type_desc(t, ts, sizeof ts), n);
}

bool bt_abi_check_flags(bt_abi_cx_t *cx, const bt_wit_type_t *t, uint32_t bits) {
  if (t->count >= 32 || (bits >> t->count) == 0) return true;
  char ts[128];
  return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                      "%s value 0x%" PRIx32 " has bits set beyond its %zu flags",
                      type_desc(t, ts, sizeof ts), bits, t->count);
}

/* Frees the first n items of a sequence and the array, and zeroes *v. */
static void drop_seq(baton_value_t *v, baton_value_t *items, size_t n) {
  for (size_t i = 0; i < n; i++) baton_value_clear(&items[i]);
  bt_free(items);
  memset(v, 0, sizeof *v);
}

static bool load_at(bt_abi_cx_t *cx, uint32_t ptr, const bt_wit_type_t *t, baton_value_t *out);

/* Charges `bytes` read from guest memory against the view's lift budget. */
static bool charge(bt_abi_cx_t *cx, uint64_t bytes) {
  if (bytes <= cx->lift_budget) {
    cx->lift_budget -= bytes;
    return true;
  }
  return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                      "value too large to lift: a string or list of %" PRIu64
                      " bytes exceeds the remaining lift budget of %" PRIu64 " bytes",
                      bytes, cx->lift_budget);
}

/* Lifts a string, charging its size against the lift budget. */
static bool lift_string(bt_abi_cx_t *cx, uint32_t ptr, uint32_t units, baton_value_t *out) {
  uint64_t bytes = units & ~(cx->encoding == BT_ABI_LATIN1_UTF16 ? BT_ABI_UTF16_TAG : 0u);
  if (cx->encoding != BT_ABI_UTF8) bytes *= 2;
  if (!charge(cx, bytes)) return false;
  char *s;
  size_t len;
  if (!bt_abi_lift_string(cx, ptr, units, &s, &len)) return false;
  out->kind = BATON_VALUE_STRING;
  out->of.str.ptr = s;
  out->of.str.len = len;
  return true;
}

/* Lifts the list (ptr, len) of element type elem into out after checking
 * the byte-length limit, alignment and bounds. */
static bool load_list_range(bt_abi_cx_t *cx, uint32_t ptr, uint32_t len, const bt_wit_type_t *elem,
                            baton_value_t *out) {
  /* Copy out of the memo: the recursion below may reuse its slot. */
  const bt_abi_lcache_t *lc = bt_abi_cx_layout(cx, bt_abi_unalias(elem));
  uint32_t size = lc->size, align = lc->align;
  uint64_t bytes = (uint64_t)len * size;
  if (size == 0)
    return bt_abi_failf(cx->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "list element type has size 0");
  if (bytes > BT_ABI_MAX_LIST_BYTES)
    return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                        "list at 0x%" PRIx32 " of length %" PRIu32 " (%" PRIu64
                        " bytes) exceeds the canonical ABI limit of %u bytes",
                        ptr, len, bytes, BT_ABI_MAX_LIST_BYTES);
  if (!bt_abi_check_range(cx, ptr, len, size, align, "list") || !charge(cx, bytes)) return false;
  out->kind = BATON_VALUE_LIST;
  out->of.seq.items = NULL;
  out->of.seq.len = 0;
  if (len == 0) return true;
  baton_value_t *items = bt_calloc(len, sizeof *items);
  if (!items) {
    memset(out, 0, sizeof *out);
    return bt_abi_failf(cx->st, BT_ABI_FAIL_NOMEM, NULL, "out of memory lifting a list of %" PRIu32
                        " elements", len);
  }
  for (uint32_t i = 0; i < len; i++) {
    if (!load_at(cx, ptr + i * size, elem, &items[i])) {
      bt_abi_path_index(cx->st, i);
      drop_seq(out, items, i);
      return false;
    }
  }
  out->of.seq.items = items;
  out->of.seq.len = len;
  return true;
}

/* Loads a record or tuple whose storage starts at ptr. */
static bool load_members(bt_abi_cx_t *cx, uint32_t ptr, const bt_wit_type_t *t,
                         baton_value_t *out) {
  size_t n = bt_abi_member_count(t);
  out->kind = value_kind(t->kind);
  out->of.seq.items = NULL;
  out->of.seq.len = 0;
  if (n == 0) return true;
  baton_value_t *items = bt_calloc(n, sizeof *items);
  if (!items) {
    memset(out, 0, sizeof *out);
    return bt_abi_failf(cx->st, BT_ABI_FAIL_NOMEM, NULL, "out of memory");
  }
  uint32_t off = ptr;
  for (size_t i = 0; i < n; i++) {
    const bt_wit_type_t *m = bt_abi_member_type(t, i);
    const bt_abi_lcache_t *l = bt_abi_cx_layout(cx, bt_abi_unalias(m));
    uint32_t size = l->size; /* the recursion may reuse the memo slot */
    off = bt_abi_align_to(off, l->align);
    if (!load_at(cx, off, m, &items[i])) {
      if (t->kind == BT_WIT_RECORD) bt_abi_path_field(cx->st, t->fields[i].name);
      else bt_abi_path_tuple(cx->st, i);
      drop_seq(out, items, i);
      return false;
    }
    off += size;
  }
  out->of.seq.items = items;
  out->of.seq.len = n;
  return true;
}

/* Starts a variant-like value in *out for case disc and, when the case
 * carries a payload, allocates the (zeroed) payload node for the caller to
 * fill. On failure *out is zeroed. */
static bool set_payload(bt_abi_cx_t *cx, const bt_wit_type_t *t, uint32_t disc,
                        baton_value_t *out, baton_value_t **payload) {
  out->kind = value_kind(t->kind);
  out->of.var.index = disc;
  out->of.var.payload = NULL;
  if (!bt_abi_case_type(t, disc)) {
    *payload = NULL;
    return true;
  }
  *payload = bt_calloc(1, sizeof **payload);
  if (!*payload) {
    memset(out, 0, sizeof *out);
    return bt_abi_failf(cx->st, BT_ABI_FAIL_NOMEM, NULL, "out of memory");
  }
  return true;
}

/* Loads a value of type t at ptr, which the caller has checked for
 * alignment and bounds of t's whole layout. */
static bool load_at(bt_abi_cx_t *cx, uint32_t ptr, const bt_wit_type_t *t, baton_value_t *out) {
  t = bt_abi_unalias(t);
  const uint8_t *p = cx->base + ptr;
  memset(out, 0, sizeof *out);
  switch (t->kind) {
    case BT_WIT_BOOL: out->kind = BATON_VALUE_BOOL; out->of.b = p[0] != 0; return true;
    case BT_WIT_S8: out->kind = BATON_VALUE_S8; out->of.s = (int8_t)p[0]; return true;
    case BT_WIT_U8: out->kind = BATON_VALUE_U8; out->of.u = p[0]; return true;
    case BT_WIT_S16: {
      int16_t v;
      memcpy(&v, p, 2);
      out->kind = BATON_VALUE_S16;
      out->of.s = v;
      return true;
    }
    case BT_WIT_U16: {
      uint16_t v;
      memcpy(&v, p, 2);
      out->kind = BATON_VALUE_U16;
      out->of.u = v;
      return true;
    }
    case BT_WIT_S32: out->kind = BATON_VALUE_S32; out->of.s = (int32_t)rd32(p); return true;
    case BT_WIT_U32: out->kind = BATON_VALUE_U32; out->of.u = rd32(p); return true;
    case BT_WIT_S64: case BT_WIT_U64: {
      uint64_t v;
      memcpy(&v, p, 8);
      out->kind = value_kind(t->kind);
      if (t->kind == BT_WIT_S64) out->of.s = (int64_t)v;
      else out->of.u = v;
      return true;
    }
    case BT_WIT_F32: {
      float f;
      memcpy(&f, p, 4);
      out->kind = BATON_VALUE_F32;
      out->of.f32 = canon_f32(f);
      return true;
    }
    case BT_WIT_F64: {
      double f;
      memcpy(&f, p, 8);
      out->kind = BATON_VALUE_F64;
      out->of.f64 = canon_f64(f);
      return true;
    }
    case BT_WIT_CHAR: {
      uint32_t c = rd32(p);
      if (!bt_abi_lift_char(cx, c)) return false;
      out->kind = BATON_VALUE_CHAR;
      out->of.ch = c;
      return true;
    }
    case BT_WIT_STRING: return lift_string(cx, rd32(p), rd32(p + 4), out);
    case BT_WIT_LIST: return load_list_range(cx, rd32(p), rd32(p + 4), t->target, out);
    case BT_WIT_RECORD: case BT_WIT_TUPLE: return load_members(cx, ptr, t, out);
    case BT_WIT_VARIANT: case BT_WIT_ENUM: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      uint32_t d = bt_abi_disc_size(bt_abi_case_count(t));
      uint32_t disc = d == 1 ? p[0] : d == 2 ? (uint32_t)(p[0] | (p[1] << 8)) : rd32(p);
      if (!bt_abi_check_disc(cx, t, disc)) return false;
      baton_value_t *payload;
      if (!set_payload(cx, t, disc, out, &payload)) return false;
      if (!payload) return true;
      if (!load_at(cx, ptr + bt_abi_cx_layout(cx, t)->payload_off, bt_abi_case_type(t, disc), payload)) {
        bt_abi_path_field(cx->st, bt_abi_case_label(t, disc));
        bt_free(payload);
        memset(out, 0, sizeof *out);
        return false;
      }
      out->of.var.payload = payload;
      return true;
    }
    case BT_WIT_FLAGS: {
      if (t->count > BT_ABI_MAX_FLAGS)
        return bt_abi_failf(cx->st, BT_ABI_FAIL_UNSUPPORTED, NULL,
                            "flags with more than %d members", BT_ABI_MAX_FLAGS);
      uint32_t s = bt_abi_flags_size(t->count);
      uint32_t bits = s == 0 ? 0 : s == 1 ? p[0] : s == 2 ? (uint32_t)(p[0] | (p[1] << 8)) : rd32(p);
      if (!bt_abi_check_flags(cx, t, bits)) return false;
      out->kind = BATON_VALUE_FLAGS;
      out->of.flags = bits;
      return true;
    }
    case BT_WIT_OWN: case BT_WIT_BORROW:
      out->kind = value_kind(t->kind);
      out->of.handle = rd32(p);
      return true;
    default:
      return bt_abi_failf(cx->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "cannot lift a %s",
                          bt_wit_kind_name(t->kind));
  }
}

bool bt_abi_load(bt_abi_cx_t *cx, uint32_t ptr, const bt_wit_type_t *t, baton_value_t *out) {
  memset(out, 0, sizeof *out);
  char why[160];
  if (!cx->types_checked && !bt_abi_type_supported(t, why, sizeof why))
    return bt_abi_failf(cx->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "%s", why);
  t = bt_abi_unalias(t);
  const bt_abi_lcache_t *l = bt_abi_cx_layout(cx, t);
  if (!bt_abi_check_range(cx, ptr, 1, l->size, l->align, bt_wit_kind_name(t->kind))) return false;
  return load_at(cx, ptr, t, out);
}

/* ---- flat ---- */

baton_val_t bt_abi_coerce_from_join(baton_val_t v, baton_valkind_t want) {
  if (v.kind == want) return v;
  baton_val_t r = {.kind = want};
  uint32_t lo = v.kind == BATON_I64 ? (uint32_t)(uint64_t)v.of.i64 : (uint32_t)v.of.i32;
  switch (want) {
    case BATON_I32: r.of.i32 = (int32_t)lo; break;
    case BATON_F32: memcpy(&r.of.f32, &lo, 4); break;
    case BATON_F64: memcpy(&r.of.f64, &v.of.i64, 8); break;
    case BATON_I64: r.of.i64 = (int64_t)lo; break;
    default: break; /* flat ABI values are the four numbers only */
  }
  return r;
}

baton_val_t bt_abi_coerce_to_join(baton_val_t v, baton_valkind_t joined) {
  if (v.kind == joined) return v;
  baton_val_t r = {.kind = joined};
  uint32_t bits32;
  switch (v.kind) {
    case BATON_F32: memcpy(&bits32, &v.of.f32, 4); break;
    case BATON_I32: bits32 = (uint32_t)v.of.i32; break;
    case BATON_F64: memcpy(&r.of.i64, &v.of.f64, 8); return r;
    default: bits32 = (uint32_t)v.of.i64; break;
  }
  if (joined == BATON_I32) r.of.i32 = (int32_t)bits32;
  else r.of.i64 = (int64_t)(uint64_t)bits32;
  return r;
}

/* Takes the next flat value, which must exist. */
static bool next_val(bt_abi_cx_t *cx, const baton_val_t *vals, size_t n, size_t *pos,
                     baton_val_t *v) {
  if (*pos >= n)
    return bt_abi_failf(cx->st, BT_ABI_FAIL_TYPE, NULL, "too few flat values (%zu)", n);
  *v = vals[(*pos)++];
  return true;
}

static uint32_t u32_of(baton_val_t v) {
  return v.kind == BATON_I64 ? (uint32_t)(uint64_t)v.of.i64 : (uint32_t)v.of.i32;
}

/* The recursion of bt_abi_lift_flat: consumes t's flat count of values
 * from vals[*pos..n) and builds *out, which is left zeroed on failure.
 * Variant payloads are read through the case's own flat types, converted
 * from the joined ones. */
static bool lift_flat(bt_abi_cx_t *cx, const bt_wit_type_t *t, const baton_val_t *vals, size_t n,
                      size_t *pos, baton_value_t *out) {
  t = bt_abi_unalias(t);
  memset(out, 0, sizeof *out);
  baton_val_t v = {0}, w = {0};
  switch (t->kind) {
    case BT_WIT_BOOL: case BT_WIT_S8: case BT_WIT_U8: case BT_WIT_S16: case BT_WIT_U16:
    case BT_WIT_S32: case BT_WIT_U32: {
      if (!next_val(cx, vals, n, pos, &v)) return false;
      uint32_t x = u32_of(v);
      out->kind = value_kind(t->kind);
      switch (t->kind) {
        case BT_WIT_BOOL: out->of.b = x != 0; break;
        case BT_WIT_S8: out->of.s = (int8_t)x; break;
        case BT_WIT_U8: out->of.u = (uint8_t)x; break;
        case BT_WIT_S16: out->of.s = (int16_t)x; break;
        case BT_WIT_U16: out->of.u = (uint16_t)x; break;
        case BT_WIT_S32: out->of.s = (int32_t)x; break;
        default: out->of.u = x; break;
      }
      return true;
    }
    case BT_WIT_S64: case BT_WIT_U64:
      if (!next_val(cx, vals, n, pos, &v)) return false;
      out->kind = value_kind(t->kind);
      if (t->kind == BT_WIT_S64) out->of.s = v.of.i64;
      else out->of.u = (uint64_t)v.of.i64;
      return true;
    case BT_WIT_F32:
      if (!next_val(cx, vals, n, pos, &v)) return false;
      out->kind = BATON_VALUE_F32;
      out->of.f32 = canon_f32(v.of.f32);
      return true;
    case BT_WIT_F64:
      if (!next_val(cx, vals, n, pos, &v)) return false;
      out->kind = BATON_VALUE_F64;
      out->of.f64 = canon_f64(v.of.f64);
      return true;
    case BT_WIT_CHAR:
      if (!next_val(cx, vals, n, pos, &v)) return false;
      if (!bt_abi_lift_char(cx, u32_of(v))) return false;
      out->kind = BATON_VALUE_CHAR;
      out->of.ch = u32_of(v);
      return true;
    case BT_WIT_STRING: {
      if (!next_val(cx, vals, n, pos, &v) || !next_val(cx, vals, n, pos, &w)) return false;
      return lift_string(cx, u32_of(v), u32_of(w), out);
    }
    case BT_WIT_LIST:
      if (!next_val(cx, vals, n, pos, &v) || !next_val(cx, vals, n, pos, &w)) return false;
      return load_list_range(cx, u32_of(v), u32_of(w), t->target, out);
    case BT_WIT_RECORD: case BT_WIT_TUPLE: {
      size_t cnt = bt_abi_member_count(t);
      out->kind = value_kind(t->kind);
      if (cnt == 0) return true;
      baton_value_t *items = bt_calloc(cnt, sizeof *items);
      if (!items) {
        memset(out, 0, sizeof *out);
        return bt_abi_failf(cx->st, BT_ABI_FAIL_NOMEM, NULL, "out of memory");
      }
      for (size_t i = 0; i < cnt; i++) {
        if (!lift_flat(cx, bt_abi_member_type(t, i), vals, n, pos, &items[i])) {
          if (t->kind == BT_WIT_RECORD) bt_abi_path_field(cx->st, t->fields[i].name);
          else bt_abi_path_tuple(cx->st, i);
          drop_seq(out, items, i);
          return false;
        }
      }
      out->of.seq.items = items;
      out->of.seq.len = cnt;
      return true;
    }
    case BT_WIT_VARIANT: case BT_WIT_ENUM: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      baton_valkind_t joined[BT_ABI_FLAT_CAP];
      size_t k = 0;
      bt_abi_flatten(t, joined, BT_ABI_FLAT_CAP, &k);
      if (k > BT_ABI_FLAT_CAP || *pos + k > n)
        return bt_abi_failf(cx->st, BT_ABI_FAIL_TYPE, NULL, "too few flat values (%zu)", n);
      uint32_t disc = u32_of(vals[*pos]);
      size_t start = *pos + 1;
      *pos += k;
      if (!bt_abi_check_disc(cx, t, disc)) return false;
      baton_value_t *payload;
      if (!set_payload(cx, t, disc, out, &payload)) return false;
      if (!payload) return true;
      const bt_wit_type_t *c = bt_abi_case_type(t, disc);
      baton_valkind_t want[BT_ABI_FLAT_CAP];
      baton_val_t tmp[BT_ABI_FLAT_CAP];
      size_t kc = 0, tp = 0;
      bt_abi_flatten(c, want, BT_ABI_FLAT_CAP, &kc);
      for (size_t j = 0; j < kc && j + 1 < k; j++) tmp[j] = bt_abi_coerce_from_join(vals[start + j], want[j]);
      if (!lift_flat(cx, c, tmp, kc, &tp, payload)) {
        bt_abi_path_field(cx->st, bt_abi_case_label(t, disc));
        bt_free(payload);
        memset(out, 0, sizeof *out);
        return false;
      }
      out->of.var.payload = payload;
      return true;
    }
    case BT_WIT_FLAGS:
      if (t->count > BT_ABI_MAX_FLAGS)
        return bt_abi_failf(cx->st, BT_ABI_FAIL_UNSUPPORTED, NULL,
                            "flags with more than %d members", BT_ABI_MAX_FLAGS);
      out->kind = BATON_VALUE_FLAGS;
      if (t->count == 0) return true;
      if (!next_val(cx, vals, n, pos, &v)) return false;
      if (!bt_abi_check_flags(cx, t, u32_of(v))) {
        memset(out, 0, sizeof *out);
        return false;
      }
      out->of.flags = u32_of(v);
      return true;
    case BT_WIT_OWN: case BT_WIT_BORROW:
      if (!next_val(cx, vals, n, pos, &v)) return false;
      out->kind = value_kind(t->kind);
      out->of.handle = u32_of(v);
      return true;
    default:
      return bt_abi_failf(cx->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "cannot lift a %s",
                          bt_wit_kind_name(t->kind));
  }
}

bool bt_abi_lift_flat(bt_abi_cx_t *cx, const bt_wit_type_t *t, const baton_val_t *vals, size_t n,
                      size_t *pos, baton_value_t *out) {
  return lift_flat(cx, t, vals, n, pos, out);
}
