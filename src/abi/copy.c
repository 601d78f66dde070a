/*
 * src/abi/copy.c: guest-to-guest transfer of values, the hot path of a call
 * from one instance into another. A value is read from the source memory
 * (in memory at a pointer, or as flat core values) and written straight
 * into the destination memory, with the same validation a lift performs
 * but without building a host value tree and without any host allocation:
 *
 *   - integers and floats are copied as bits (NaN payloads are preserved,
 *     which the spec permits); narrow flat integers are re-normalized;
 *   - bool is normalized to 0/1, char is checked to be a scalar value,
 *     discriminants and flags are checked against the type;
 *   - strings are validated and then copied with one memcpy when both sides
 *     use the same encoding, else transcoded (utf.c);
 *   - lists of "plain" elements (integers, floats, and records/tuples of
 *     them without padding) are one bounds check and one memcpy; lists of
 *     chars are validated and then memcpy'd; other lists recurse per element;
 *   - records, tuples and variants recurse member by member.
 *
 * Both views must share one bt_abi_status_t. A violation in the source
 * names the source instance as culprit; a misbehaving destination
 * allocator names the destination. A failure part-way leaves the
 * destination's earlier allocations in place (the spec has no rollback
 * either); the source is never modified.
 */
#include <inttypes.h>
#include <string.h>

#include "abi/abi.h"

static uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static void path_member(bt_abi_status_t *st, const bt_wit_type_t *t, size_t i) {
  if (t->kind == BT_WIT_RECORD) bt_abi_path_field(st, t->fields[i].name);
  else bt_abi_path_tuple(st, i);
}

static bool copy_at(bt_abi_cx_t *src, uint32_t sp, bt_abi_cx_t *dst, uint32_t dp,
                    const bt_wit_type_t *t);

/* Copies the list (ptr, len) of src into a new allocation in dst. */
static bool copy_list_range(bt_abi_cx_t *src, uint32_t ptr, uint32_t len, const bt_wit_type_t *elem,
                            bt_abi_cx_t *dst, uint32_t *out) {
  const bt_wit_type_t *e = bt_abi_unalias(elem);
  const bt_abi_lcache_t *lc = bt_abi_cx_layout(src, e);
  uint32_t size = lc->size, align = lc->align;
  bool plain = lc->plain;
  uint64_t bytes = (uint64_t)len * size;
  if (size == 0)
    return bt_abi_failf(src->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "list element type has size 0");
  if (bytes > BT_ABI_MAX_LIST_BYTES)
    return bt_abi_failf(src->st, BT_ABI_FAIL_ABI, src->inst,
                        "list at 0x%" PRIx32 " of length %" PRIu32 " (%" PRIu64
                        " bytes) exceeds the canonical ABI limit of %u bytes",
                        ptr, len, bytes, BT_ABI_MAX_LIST_BYTES);
  if (!bt_abi_check_range(src, ptr, len, size, align, "list")) return false;
  if (e->kind == BT_WIT_CHAR) { /* validate before allocating, then memcpy */
    for (uint32_t i = 0; i < len; i++) {
      if (!bt_abi_lift_char(src, rd32(src->base + ptr + 4 * (size_t)i))) {
        bt_abi_path_index(src->st, i);
        return false;
      }
    }
  }
  uint32_t p;
  if (!bt_abi_realloc(dst, 0, 0, align, (uint32_t)bytes, &p)) return false;
  bt_abi_cx_refresh(src);
  if (e->kind == BT_WIT_CHAR || plain) {
    if (bytes) memmove(dst->base + p, src->base + ptr, (size_t)bytes);
  } else {
    for (uint32_t i = 0; i < len; i++) {
      if (!copy_at(src, ptr + i * size, dst, p + i * size, e)) {
        bt_abi_path_index(src->st, i);
        return false;
      }
    }
  }
  *out = p;
  return true;
}

/* Copies a value of type t from src at sp to dst at dp; both ranges have
 * been checked by the caller. */
static bool copy_at(bt_abi_cx_t *src, uint32_t sp, bt_abi_cx_t *dst, uint32_t dp,
                    const bt_wit_type_t *t) {
  t = bt_abi_unalias(t);
  switch (t->kind) {
    case BT_WIT_BOOL: dst->base[dp] = src->base[sp] != 0; return true;
    case BT_WIT_S8: case BT_WIT_U8: dst->base[dp] = src->base[sp]; return true;
    case BT_WIT_S16: case BT_WIT_U16: memcpy(dst->base + dp, src->base + sp, 2); return true;
    case BT_WIT_S32: case BT_WIT_U32: case BT_WIT_F32: case BT_WIT_OWN: case BT_WIT_BORROW:
      memcpy(dst->base + dp, src->base + sp, 4);
      return true;
    case BT_WIT_S64: case BT_WIT_U64: case BT_WIT_F64: memcpy(dst->base + dp, src->base + sp, 8); return true;
    case BT_WIT_CHAR: {
      uint32_t c = rd32(src->base + sp);
      if (!bt_abi_lift_char(src, c)) return false;
      memcpy(dst->base + dp, &c, 4);
      return true;
    }
    case BT_WIT_STRING: {
      uint32_t p, u;
      if (!bt_abi_copy_string(src, rd32(src->base + sp), rd32(src->base + sp + 4), dst, &p, &u))
        return false;
      memcpy(dst->base + dp, &p, 4);
      memcpy(dst->base + dp + 4, &u, 4);
      return true;
    }
    case BT_WIT_LIST: {
      uint32_t len = rd32(src->base + sp + 4), p;
      if (!copy_list_range(src, rd32(src->base + sp), len, t->target, dst, &p)) return false;
      memcpy(dst->base + dp, &p, 4);
      memcpy(dst->base + dp + 4, &len, 4);
      return true;
    }
    case BT_WIT_RECORD: case BT_WIT_TUPLE: {
      const bt_abi_lcache_t *lt = bt_abi_cx_layout(src, t);
      if (lt->plain) {
        memcpy(dst->base + dp, src->base + sp, lt->size);
        return true;
      }
      uint32_t off = 0;
      for (size_t i = 0; i < bt_abi_member_count(t); i++) {
        const bt_wit_type_t *m = bt_abi_member_type(t, i);
        const bt_abi_lcache_t *l = bt_abi_cx_layout(src, bt_abi_unalias(m));
        uint32_t size = l->size;
        off = bt_abi_align_to(off, l->align);
        if (!copy_at(src, sp + off, dst, dp + off, m)) {
          path_member(src->st, t, i);
          return false;
        }
        off += size;
      }
      return true;
    }
    case BT_WIT_VARIANT: case BT_WIT_ENUM: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      uint32_t d = bt_abi_disc_size(bt_abi_case_count(t)), disc = 0;
      memcpy(&disc, src->base + sp, d);
      if (!bt_abi_check_disc(src, t, disc)) return false;
      memcpy(dst->base + dp, &disc, d);
      const bt_wit_type_t *c = bt_abi_case_type(t, disc);
      uint32_t off = bt_abi_cx_layout(src, t)->payload_off;
      if (c && !copy_at(src, sp + off, dst, dp + off, c)) {
        bt_abi_path_field(src->st, bt_abi_case_label(t, disc));
        return false;
      }
      return true;
    }
    case BT_WIT_FLAGS: {
      uint32_t s = bt_abi_flags_size(t->count), bits = 0;
      if (t->count > BT_ABI_MAX_FLAGS)
        return bt_abi_failf(src->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "flags with more than %d members",
                            BT_ABI_MAX_FLAGS);
      memcpy(&bits, src->base + sp, s);
      if (!bt_abi_check_flags(src, t, bits)) return false;
      memcpy(dst->base + dp, &bits, s);
      return true;
    }
    default:
      return bt_abi_failf(src->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "cannot copy a %s",
                          bt_wit_kind_name(t->kind));
  }
}

bool bt_abi_copy(bt_abi_cx_t *src, uint32_t src_ptr, bt_abi_cx_t *dst, uint32_t dst_ptr,
                 const bt_wit_type_t *t) {
  char why[160];
  if (!src->types_checked && !bt_abi_type_supported(t, why, sizeof why))
    return bt_abi_failf(src->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "%s", why);
  t = bt_abi_unalias(t);
  const bt_abi_lcache_t *l = bt_abi_cx_layout(src, t);
  const char *what = bt_wit_kind_name(t->kind);
  if (!bt_abi_check_range(src, src_ptr, 1, l->size, l->align, what) ||
      !bt_abi_check_range(dst, dst_ptr, 1, l->size, l->align, what))
    return false;
  return copy_at(src, src_ptr, dst, dst_ptr, t);
}

/* ---- flat ---- */

static bool take(bt_abi_cx_t *src, const baton_val_t *vals, size_t n, size_t *pos, baton_val_t *v) {
  if (*pos >= n) return bt_abi_failf(src->st, BT_ABI_FAIL_TYPE, NULL, "too few flat values (%zu)", n);
  *v = vals[(*pos)++];
  return true;
}

static bool put(bt_abi_cx_t *dst, baton_val_t *out, size_t cap, size_t *pos, baton_val_t v) {
  if (*pos >= cap) return bt_abi_failf(dst->st, BT_ABI_FAIL_TYPE, NULL, "more than %zu flat values", cap);
  out[(*pos)++] = v;
  return true;
}

static uint32_t u32_of(baton_val_t v) {
  return v.kind == BATON_I64 ? (uint32_t)(uint64_t)v.of.i64 : (uint32_t)v.of.i32;
}

static baton_val_t i32v(uint32_t x) { return (baton_val_t){.kind = BATON_I32, .of.i32 = (int32_t)x}; }

/* The recursion of bt_abi_copy_flat: consumes t's flat count of source
 * values and produces as many destination values. Variant payloads are
 * converted from the joined flat types to the case's own types, copied, and
 * converted back. */
static bool copy_flat(bt_abi_cx_t *src, const bt_wit_type_t *t, const baton_val_t *sv, size_t ns,
                      size_t *sp, bt_abi_cx_t *dst, baton_val_t *dv, size_t cap, size_t *dp) {
  t = bt_abi_unalias(t);
  baton_val_t v = {0}, w = {0};
  switch (t->kind) {
    case BT_WIT_BOOL: case BT_WIT_S8: case BT_WIT_U8: case BT_WIT_S16: case BT_WIT_U16:
    case BT_WIT_S32: case BT_WIT_U32: case BT_WIT_CHAR: case BT_WIT_OWN: case BT_WIT_BORROW: {
      if (!take(src, sv, ns, sp, &v)) return false;
      uint32_t x = u32_of(v);
      switch (t->kind) {
        case BT_WIT_BOOL: x = x != 0; break;
        case BT_WIT_S8: x = (uint32_t)(int32_t)(int8_t)x; break;
        case BT_WIT_U8: x &= 0xFF; break;
        case BT_WIT_S16: x = (uint32_t)(int32_t)(int16_t)x; break;
        case BT_WIT_U16: x &= 0xFFFF; break;
        case BT_WIT_CHAR: if (!bt_abi_lift_char(src, x)) return false; break;
        default: break;
      }
      return put(dst, dv, cap, dp, i32v(x));
    }
    case BT_WIT_S64: case BT_WIT_U64: case BT_WIT_F32: case BT_WIT_F64:
      return take(src, sv, ns, sp, &v) && put(dst, dv, cap, dp, v);
    case BT_WIT_STRING: {
      uint32_t p, u;
      if (!take(src, sv, ns, sp, &v) || !take(src, sv, ns, sp, &w)) return false;
      if (!bt_abi_copy_string(src, u32_of(v), u32_of(w), dst, &p, &u)) return false;
      return put(dst, dv, cap, dp, i32v(p)) && put(dst, dv, cap, dp, i32v(u));
    }
    case BT_WIT_LIST: {
      uint32_t p;
      if (!take(src, sv, ns, sp, &v) || !take(src, sv, ns, sp, &w)) return false;
      if (!copy_list_range(src, u32_of(v), u32_of(w), t->target, dst, &p)) return false;
      return put(dst, dv, cap, dp, i32v(p)) && put(dst, dv, cap, dp, i32v(u32_of(w)));
    }
    case BT_WIT_RECORD: case BT_WIT_TUPLE:
      for (size_t i = 0; i < bt_abi_member_count(t); i++) {
        if (!copy_flat(src, bt_abi_member_type(t, i), sv, ns, sp, dst, dv, cap, dp)) {
          path_member(src->st, t, i);
          return false;
        }
      }
      return true;
    case BT_WIT_VARIANT: case BT_WIT_ENUM: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      baton_valkind_t joined[BT_ABI_FLAT_CAP], want[BT_ABI_FLAT_CAP];
      size_t k = 0, kc = 0;
      bt_abi_flatten(t, joined, BT_ABI_FLAT_CAP, &k);
      if (k > BT_ABI_FLAT_CAP || *sp + k > ns || *dp + k > cap)
        return bt_abi_failf(src->st, BT_ABI_FAIL_TYPE, NULL, "flat values do not fit");
      uint32_t disc = u32_of(sv[*sp]);
      size_t s0 = *sp + 1, d0 = *dp + 1;
      *sp += k;
      if (!bt_abi_check_disc(src, t, disc)) return false;
      dv[*dp] = i32v(disc);
      const bt_wit_type_t *c = bt_abi_case_type(t, disc);
      if (c) {
        baton_val_t in[BT_ABI_FLAT_CAP], outv[BT_ABI_FLAT_CAP];
        size_t ip = 0, op = 0;
        bt_abi_flatten(c, want, BT_ABI_FLAT_CAP, &kc);
        for (size_t j = 0; j < kc; j++) in[j] = bt_abi_coerce_from_join(sv[s0 + j], want[j]);
        if (!copy_flat(src, c, in, kc, &ip, dst, outv, BT_ABI_FLAT_CAP, &op)) {
          bt_abi_path_field(src->st, bt_abi_case_label(t, disc));
          return false;
        }
        for (size_t j = 0; j < kc; j++) dv[d0 + j] = bt_abi_coerce_to_join(outv[j], joined[1 + j]);
      }
      for (size_t j = kc; j + 1 < k; j++) {
        dv[d0 + j] = (baton_val_t){.kind = joined[1 + j]};
        dv[d0 + j].of.i64 = 0;
      }
      *dp += k;
      return true;
    }
    case BT_WIT_FLAGS:
      if (t->count > BT_ABI_MAX_FLAGS)
        return bt_abi_failf(src->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "flags with more than %d members",
                            BT_ABI_MAX_FLAGS);
      if (t->count == 0) return true;
      if (!take(src, sv, ns, sp, &v) || !bt_abi_check_flags(src, t, u32_of(v))) return false;
      return put(dst, dv, cap, dp, i32v(u32_of(v)));
    default:
      return bt_abi_failf(src->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "cannot copy a %s",
                          bt_wit_kind_name(t->kind));
  }
}

bool bt_abi_copy_flat(bt_abi_cx_t *src, const bt_wit_type_t *t, const baton_val_t *src_vals,
                      size_t nsrc, size_t *src_pos, bt_abi_cx_t *dst, baton_val_t *dst_vals,
                      size_t cap, size_t *dst_pos) {
  return copy_flat(src, t, src_vals, nsrc, src_pos, dst, dst_vals, cap, dst_pos);
}
