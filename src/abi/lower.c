/*
 * src/abi/lower.c: lowering host values into a guest, into linear memory
 * (the spec's `store`) and into flat core values (`lower_flat`), plus the
 * check that a host value tree really is a value of a WIT type.
 *
 * Host values are checked before anything is allocated in the guest
 * (bt_abi_check_value walks the whole tree: kinds, integer ranges, scalar
 * values, sequence lengths, case indices and payload presence, flag bits,
 * UTF-8), so a typed call never leaves half-lowered allocations behind
 * because of a bad host value. The store and lower functions check each
 * node's shape again as they go (cheap, and it keeps a malformed tree from
 * reaching memory), then write. Strings and lists allocate through the
 * view's allocator (`cabi_realloc`), after which the view's base pointer is
 * re-read: guest code ran and may have grown the memory.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "abi/abi.h"

/* Records a TYPE failure: the formatted text followed by the type. */
static bool __attribute__((format(printf, 3, 4)))
type_fail(bt_abi_status_t *st, const bt_wit_type_t *t, const char *fmt, ...) {
  char ts[96], m[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m, sizeof m, fmt, ap);
  va_end(ap);
  return bt_abi_failf(st, BT_ABI_FAIL_TYPE, NULL, "%s (type %s)", m,
                      bt_abi_type_str(t, ts, sizeof ts));
}

/* Checks one node of a host value against t (unaliased), without looking
 * at its children: kind, integer range, char, sequence length, case index
 * and payload presence, flag bits. */
static bool check_node(bt_abi_status_t *st, const bt_wit_type_t *t, const baton_value_t *v) {
  baton_value_kind_t want = bt_abi_value_kind(t);
  if (!want) {
    char why[160];
    if (!bt_abi_type_supported(t, why, sizeof why))
      return bt_abi_failf(st, BT_ABI_FAIL_UNSUPPORTED, NULL, "%s", why);
    return bt_abi_failf(st, BT_ABI_FAIL_UNSUPPORTED, NULL, "cannot lower a %s",
                        bt_wit_kind_name(t->kind));
  }
  if (!v) return bt_abi_failf(st, BT_ABI_FAIL_TYPE, NULL, "missing value, expected %s",
                              bt_abi_value_kind_name(want));
  if (v->kind != want)
    return bt_abi_failf(st, BT_ABI_FAIL_TYPE, NULL, "expected %s, got %s",
                        bt_abi_value_kind_name(want), bt_abi_value_kind_name(v->kind));
  switch (t->kind) {
    case BT_WIT_S8:
      if (v->of.s < INT8_MIN || v->of.s > INT8_MAX)
        return type_fail(st, t, "value %" PRId64 " out of range", v->of.s);
      return true;
    case BT_WIT_S16:
      if (v->of.s < INT16_MIN || v->of.s > INT16_MAX)
        return type_fail(st, t, "value %" PRId64 " out of range", v->of.s);
      return true;
    case BT_WIT_S32:
      if (v->of.s < INT32_MIN || v->of.s > INT32_MAX)
        return type_fail(st, t, "value %" PRId64 " out of range", v->of.s);
      return true;
    case BT_WIT_U8:
      if (v->of.u > UINT8_MAX) return type_fail(st, t, "value %" PRIu64 " out of range", v->of.u);
      return true;
    case BT_WIT_U16:
      if (v->of.u > UINT16_MAX) return type_fail(st, t, "value %" PRIu64 " out of range", v->of.u);
      return true;
    case BT_WIT_U32:
      if (v->of.u > UINT32_MAX) return type_fail(st, t, "value %" PRIu64 " out of range", v->of.u);
      return true;
    case BT_WIT_CHAR:
      if (v->of.ch > 0x10FFFF || (v->of.ch >= 0xD800 && v->of.ch <= 0xDFFF))
        return type_fail(st, t, "char 0x%" PRIx32 " is not a Unicode scalar value", v->of.ch);
      return true;
    case BT_WIT_STRING:
      if (v->of.str.len && !v->of.str.ptr)
        return bt_abi_failf(st, BT_ABI_FAIL_TYPE, NULL, "string with length but no bytes");
      return true;
    case BT_WIT_LIST: {
      if (v->of.seq.len && !v->of.seq.items)
        return bt_abi_failf(st, BT_ABI_FAIL_TYPE, NULL, "list with length but no items");
      uint64_t bytes = (uint64_t)v->of.seq.len * bt_abi_size(t->target);
      if (v->of.seq.len > UINT32_MAX || bytes > BT_ABI_MAX_LIST_BYTES)
        return bt_abi_failf(st, BT_ABI_FAIL_TYPE, NULL,
                            "list of %zu elements exceeds the canonical ABI limit of %u bytes",
                            v->of.seq.len, BT_ABI_MAX_LIST_BYTES);
      return true;
    }
    case BT_WIT_RECORD: case BT_WIT_TUPLE: {
      size_t n = bt_abi_member_count(t);
      if (v->of.seq.len != n || (n && !v->of.seq.items)) {
        char ts[96];
        return bt_abi_failf(st, BT_ABI_FAIL_TYPE, NULL, "%s %s has %zu members, got %zu",
                            bt_wit_kind_name(t->kind), bt_abi_type_str(t, ts, sizeof ts), n,
                            v->of.seq.len);
      }
      return true;
    }
    case BT_WIT_VARIANT: case BT_WIT_ENUM: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      size_t n = bt_abi_case_count(t);
      char ts[96];
      if (v->of.var.index >= n)
        return bt_abi_failf(st, BT_ABI_FAIL_TYPE, NULL, "case %" PRIu32 " of %s is out of range (%zu cases)",
                            v->of.var.index, bt_abi_type_str(t, ts, sizeof ts), n);
      bool has = bt_abi_case_type(t, v->of.var.index) != NULL;
      if (has != (v->of.var.payload != NULL))
        return bt_abi_failf(st, BT_ABI_FAIL_TYPE, NULL, "case %" PRIu32 " of %s %s a payload",
                            v->of.var.index, bt_abi_type_str(t, ts, sizeof ts),
                            has ? "needs" : "takes no");
      return true;
    }
    case BT_WIT_FLAGS:
      if (t->count > BT_ABI_MAX_FLAGS)
        return bt_abi_failf(st, BT_ABI_FAIL_UNSUPPORTED, NULL, "flags with more than %d members",
                            BT_ABI_MAX_FLAGS);
      if (v->of.flags >> t->count)
        return type_fail(st, t, "flags value 0x%" PRIx64 " has bits beyond the type's members",
                         v->of.flags);
      return true;
    default: return true;
  }
}

/* The path segment for member i of a record or tuple. */
static void path_member(bt_abi_status_t *st, const bt_wit_type_t *t, size_t i) {
  if (t->kind == BT_WIT_RECORD) bt_abi_path_field(st, t->fields[i].name);
  else bt_abi_path_tuple(st, i);
}

bool bt_abi_check_value(bt_abi_status_t *st, const bt_wit_type_t *t, const baton_value_t *v) {
  t = bt_abi_unalias(t);
  if (!t) return bt_abi_failf(st, BT_ABI_FAIL_UNSUPPORTED, NULL, "missing type");
  if (!check_node(st, t, v)) return false;
  switch (t->kind) {
    case BT_WIT_STRING: {
      size_t bad;
      if (v->of.str.len && !bt_abi_utf8_valid((const uint8_t *)v->of.str.ptr, v->of.str.len, &bad))
        return bt_abi_failf(st, BT_ABI_FAIL_TYPE, NULL,
                            "string is not valid UTF-8 (byte 0x%02x at offset %zu)",
                            (uint8_t)v->of.str.ptr[bad], bad);
      return true;
    }
    case BT_WIT_LIST:
      for (size_t i = 0; i < v->of.seq.len; i++) {
        if (!bt_abi_check_value(st, t->target, &v->of.seq.items[i])) {
          bt_abi_path_index(st, i);
          return false;
        }
      }
      return true;
    case BT_WIT_RECORD: case BT_WIT_TUPLE:
      for (size_t i = 0; i < v->of.seq.len; i++) {
        if (!bt_abi_check_value(st, bt_abi_member_type(t, i), &v->of.seq.items[i])) {
          path_member(st, t, i);
          return false;
        }
      }
      return true;
    case BT_WIT_VARIANT: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      const bt_wit_type_t *c = bt_abi_case_type(t, v->of.var.index);
      if (c && !bt_abi_check_value(st, c, v->of.var.payload)) {
        bt_abi_path_field(st, bt_abi_case_label(t, v->of.var.index));
        return false;
      }
      return true;
    }
    default: return true;
  }
}

/* ---- store ---- */

static void wr(bt_abi_cx_t *cx, uint32_t ptr, const void *src, size_t n) {
  memcpy(cx->base + ptr, src, n);
}

static void wr32(bt_abi_cx_t *cx, uint32_t ptr, uint32_t v) { wr(cx, ptr, &v, 4); }

static bool store_at(bt_abi_cx_t *cx, uint32_t ptr, const bt_wit_type_t *t, const baton_value_t *v);

/* Allocates and fills the elements of a list value; returns its pointer. */
static bool store_list(bt_abi_cx_t *cx, const bt_wit_type_t *elem, const baton_value_t *v,
                       uint32_t *out) {
  const bt_abi_lcache_t *l = bt_abi_cx_layout(cx, bt_abi_unalias(elem));
  uint32_t n = (uint32_t)v->of.seq.len, size = l->size;
  uint32_t p;
  if (!bt_abi_realloc(cx, 0, 0, l->align, n * size, &p)) return false;
  for (uint32_t i = 0; i < n; i++) {
    if (!store_at(cx, p + i * size, elem, &v->of.seq.items[i])) {
      bt_abi_path_index(cx->st, i);
      return false;
    }
  }
  *out = p;
  return true;
}

/* Stores v at ptr, whose range the caller has checked. */
static bool store_at(bt_abi_cx_t *cx, uint32_t ptr, const bt_wit_type_t *t, const baton_value_t *v) {
  t = bt_abi_unalias(t);
  if (!cx->values_checked && !check_node(cx->st, t, v)) return false;
  switch (t->kind) {
    case BT_WIT_BOOL: cx->base[ptr] = v->of.b ? 1 : 0; return true;
    case BT_WIT_S8: case BT_WIT_U8: cx->base[ptr] = (uint8_t)v->of.u; return true;
    case BT_WIT_S16: case BT_WIT_U16: {
      uint16_t x = (uint16_t)v->of.u;
      wr(cx, ptr, &x, 2);
      return true;
    }
    case BT_WIT_S32: case BT_WIT_U32: wr32(cx, ptr, (uint32_t)v->of.u); return true;
    case BT_WIT_S64: case BT_WIT_U64: wr(cx, ptr, &v->of.u, 8); return true;
    case BT_WIT_F32: wr(cx, ptr, &v->of.f32, 4); return true;
    case BT_WIT_F64: wr(cx, ptr, &v->of.f64, 8); return true;
    case BT_WIT_CHAR: wr32(cx, ptr, v->of.ch); return true;
    case BT_WIT_OWN: case BT_WIT_BORROW: wr32(cx, ptr, v->of.handle); return true;
    case BT_WIT_STRING: {
      uint32_t p, units;
      if (!bt_abi_lower_string(cx, v->of.str.ptr, v->of.str.len, &p, &units)) return false;
      wr32(cx, ptr, p);
      wr32(cx, ptr + 4, units);
      return true;
    }
    case BT_WIT_LIST: {
      uint32_t p;
      if (!store_list(cx, t->target, v, &p)) return false;
      wr32(cx, ptr, p);
      wr32(cx, ptr + 4, (uint32_t)v->of.seq.len);
      return true;
    }
    case BT_WIT_RECORD: case BT_WIT_TUPLE: {
      uint32_t off = ptr;
      for (size_t i = 0; i < v->of.seq.len; i++) {
        const bt_wit_type_t *m = bt_abi_member_type(t, i);
        const bt_abi_lcache_t *l = bt_abi_cx_layout(cx, bt_abi_unalias(m));
        uint32_t size = l->size;
        off = bt_abi_align_to(off, l->align);
        if (!store_at(cx, off, m, &v->of.seq.items[i])) {
          path_member(cx->st, t, i);
          return false;
        }
        off += size;
      }
      return true;
    }
    case BT_WIT_VARIANT: case BT_WIT_ENUM: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      uint32_t d = bt_abi_disc_size(bt_abi_case_count(t)), idx = v->of.var.index;
      if (d == 1) cx->base[ptr] = (uint8_t)idx;
      else if (d == 2) {
        uint16_t x = (uint16_t)idx;
        wr(cx, ptr, &x, 2);
      } else {
        wr32(cx, ptr, idx);
      }
      const bt_wit_type_t *c = bt_abi_case_type(t, idx);
      if (c && !store_at(cx, ptr + bt_abi_cx_layout(cx, t)->payload_off, c, v->of.var.payload)) {
        bt_abi_path_field(cx->st, bt_abi_case_label(t, idx));
        return false;
      }
      return true;
    }
    case BT_WIT_FLAGS: {
      uint32_t s = bt_abi_flags_size(t->count), bits = (uint32_t)v->of.flags;
      if (s) wr(cx, ptr, &bits, s); /* little-endian: the low bytes */
      return true;
    }
    default:
      return bt_abi_failf(cx->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "cannot store a %s",
                          bt_wit_kind_name(t->kind));
  }
}

bool bt_abi_store(bt_abi_cx_t *cx, uint32_t ptr, const bt_wit_type_t *t, const baton_value_t *v) {
  char why[160];
  if (!cx->types_checked && !bt_abi_type_supported(t, why, sizeof why))
    return bt_abi_failf(cx->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "%s", why);
  t = bt_abi_unalias(t);
  const bt_abi_lcache_t *l = bt_abi_cx_layout(cx, t);
  if (!bt_abi_check_range(cx, ptr, 1, l->size, l->align, bt_wit_kind_name(t->kind))) return false;
  return store_at(cx, ptr, t, v);
}

/* ---- flat ---- */

static bool push(bt_abi_cx_t *cx, baton_val_t *out, size_t cap, size_t *pos, baton_val_t v) {
  if (*pos >= cap)
    return bt_abi_failf(cx->st, BT_ABI_FAIL_TYPE, NULL, "more than %zu flat values", cap);
  out[(*pos)++] = v;
  return true;
}

static baton_val_t i32v(uint32_t x) { return (baton_val_t){.kind = BATON_I32, .of.i32 = (int32_t)x}; }

/* The recursion of bt_abi_lower_flat: appends t's flat values for v to
 * out[*pos..cap). Variant payloads are lowered to the case's own flat
 * types, converted to the joined ones, and padded with zeros. */
static bool lower_flat(bt_abi_cx_t *cx, const bt_wit_type_t *t, const baton_value_t *v,
                       baton_val_t *out, size_t cap, size_t *pos) {
  t = bt_abi_unalias(t);
  if (!cx->values_checked && !check_node(cx->st, t, v)) return false;
  switch (t->kind) {
    case BT_WIT_BOOL: return push(cx, out, cap, pos, i32v(v->of.b ? 1 : 0));
    case BT_WIT_S8: case BT_WIT_S16: case BT_WIT_S32:
      return push(cx, out, cap, pos, i32v((uint32_t)(int32_t)v->of.s));
    case BT_WIT_U8: case BT_WIT_U16: case BT_WIT_U32: return push(cx, out, cap, pos, i32v((uint32_t)v->of.u));
    case BT_WIT_S64: case BT_WIT_U64:
      return push(cx, out, cap, pos, (baton_val_t){.kind = BATON_I64, .of.i64 = (int64_t)v->of.u});
    case BT_WIT_F32: return push(cx, out, cap, pos, (baton_val_t){.kind = BATON_F32, .of.f32 = v->of.f32});
    case BT_WIT_F64: return push(cx, out, cap, pos, (baton_val_t){.kind = BATON_F64, .of.f64 = v->of.f64});
    case BT_WIT_CHAR: return push(cx, out, cap, pos, i32v(v->of.ch));
    case BT_WIT_OWN: case BT_WIT_BORROW: return push(cx, out, cap, pos, i32v(v->of.handle));
    case BT_WIT_STRING: {
      uint32_t p, units;
      if (!bt_abi_lower_string(cx, v->of.str.ptr, v->of.str.len, &p, &units)) return false;
      return push(cx, out, cap, pos, i32v(p)) && push(cx, out, cap, pos, i32v(units));
    }
    case BT_WIT_LIST: {
      uint32_t p;
      if (!store_list(cx, t->target, v, &p)) return false;
      return push(cx, out, cap, pos, i32v(p)) && push(cx, out, cap, pos, i32v((uint32_t)v->of.seq.len));
    }
    case BT_WIT_RECORD: case BT_WIT_TUPLE:
      for (size_t i = 0; i < v->of.seq.len; i++) {
        if (!lower_flat(cx, bt_abi_member_type(t, i), &v->of.seq.items[i], out, cap, pos)) {
          path_member(cx->st, t, i);
          return false;
        }
      }
      return true;
    case BT_WIT_VARIANT: case BT_WIT_ENUM: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      baton_valkind_t joined[BT_ABI_FLAT_CAP];
      size_t k = 0;
      bt_abi_flatten(t, joined, BT_ABI_FLAT_CAP, &k);
      if (k > BT_ABI_FLAT_CAP || *pos + k > cap)
        return bt_abi_failf(cx->st, BT_ABI_FAIL_TYPE, NULL, "more than %zu flat values", cap);
      uint32_t idx = v->of.var.index;
      out[(*pos)++] = i32v(idx);
      size_t start = *pos, kc = 0;
      const bt_wit_type_t *c = bt_abi_case_type(t, idx);
      if (c) {
        baton_val_t tmp[BT_ABI_FLAT_CAP];
        if (!lower_flat(cx, c, v->of.var.payload, tmp, BT_ABI_FLAT_CAP, &kc)) {
          bt_abi_path_field(cx->st, bt_abi_case_label(t, idx));
          return false;
        }
        for (size_t j = 0; j < kc; j++) out[start + j] = bt_abi_coerce_to_join(tmp[j], joined[1 + j]);
      }
      for (size_t j = kc; j + 1 < k; j++) {
        out[start + j] = (baton_val_t){.kind = joined[1 + j]};
        out[start + j].of.i64 = 0;
      }
      *pos = start + (k - 1);
      return true;
    }
    case BT_WIT_FLAGS:
      if (t->count == 0) return true;
      return push(cx, out, cap, pos, i32v((uint32_t)v->of.flags));
    default:
      return bt_abi_failf(cx->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "cannot lower a %s",
                          bt_wit_kind_name(t->kind));
  }
}

bool bt_abi_lower_flat(bt_abi_cx_t *cx, const bt_wit_type_t *t, const baton_value_t *v,
                       baton_val_t *out, size_t cap, size_t *pos) {
  return lower_flat(cx, t, v, out, cap, pos);
}
