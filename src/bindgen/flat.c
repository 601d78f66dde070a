/*
 * src/bindgen/flat.c: generated conversions between C values and flat core
 * values (the Canonical ABI's lift_flat / lower_flat), used where a value
 * travels in core parameters or results rather than in memory: export
 * parameters that did not spill, import arguments that did not spill, and
 * single-value results.
 *
 * Records and tuples take their members' flat values in order. Variants,
 * options, results and enums take a discriminant followed by the "joined"
 * payload slots: every case writes its payload's own core types into the
 * joined slot types (f32 into i32 by bits, i32 into i64, f32 into i64 by
 * bits, f64 into i64 by bits) and reads them back the other way, per
 * CanonicalABI.md. An i32 is sign-extended into an i64 slot, as
 * wit-bindgen's generated code does: the Canonical ABI's lifting wraps the
 * i64 back to 32 bits so either extension is valid, but jco's lifting
 * rejects narrow signed payloads that were zero-extended. Values in memory need no
 * conversion: the C types have the ABI's layout (see types.c).
 */
#include <string.h>

#include "bindgen/internal.h"

const char *bg_core_ctype(baton_valkind_t k) {
  switch (k) {
    case BATON_I32: return "int32_t";
    case BATON_I64: return "int64_t";
    case BATON_F32: return "float";
    case BATON_F64: return "double";
    default: break; /* the canonical ABI flattens to the four numbers only */
  }
  return "int32_t";
}

void bg_emit_bitcasts(bt_strbuf_t *o) {
  bt_strbuf_puts(o,
                 "/* ---- bit casts between core types (variant payload joins) ---- */\n\n"
                 "__attribute__((__unused__)) static inline float __bt_i32_to_f32(int32_t x) {\n"
                 "  float f;\n  memcpy(&f, &x, sizeof f);\n  return f;\n}\n\n"
                 "__attribute__((__unused__)) static inline int32_t __bt_f32_to_i32(float x) {\n"
                 "  int32_t i;\n  memcpy(&i, &x, sizeof i);\n  return i;\n}\n\n"
                 "__attribute__((__unused__)) static inline double __bt_i64_to_f64(int64_t x) {\n"
                 "  double f;\n  memcpy(&f, &x, sizeof f);\n  return f;\n}\n\n"
                 "__attribute__((__unused__)) static inline int64_t __bt_f64_to_i64(double x) {\n"
                 "  int64_t i;\n  memcpy(&i, &x, sizeof i);\n  return i;\n}\n\n");
}

/* Returns an expression reading slot *pos as core type `want` (converting
 * from the slot's joined type) and advances *pos. */
static const char *take(bg_t *g, const bg_slots_t *s, size_t *pos, baton_valkind_t want) {
  if (*pos >= s->n) {
    g->oom = true; /* cannot happen for a well-formed signature */
    return "0";
  }
  const char *x = s->names[*pos];
  baton_valkind_t have = s->kinds[(*pos)++];
  if (have == want) return x;
  if (have == BATON_I32 && want == BATON_F32) return bg_fmt(g, "__bt_i32_to_f32(%s)", x);
  if (have == BATON_I64 && want == BATON_I32) return bg_fmt(g, "(int32_t)%s", x);
  if (have == BATON_I64 && want == BATON_F32)
    return bg_fmt(g, "__bt_i32_to_f32((int32_t)%s)", x);
  if (have == BATON_I64 && want == BATON_F64) return bg_fmt(g, "__bt_i64_to_f64(%s)", x);
  return x;
}

/* Appends `slot = value;` storing the core value `v` of type `have` into
 * slot *pos (converted to the slot's joined type), and advances *pos. */
static void put(bg_t *g, bt_strbuf_t *o, int ind, const bg_slots_t *s, size_t *pos,
                baton_valkind_t have, const char *v) {
  if (*pos >= s->n) {
    g->oom = true;
    return;
  }
  const char *x = s->names[*pos];
  baton_valkind_t want = s->kinds[(*pos)++];
  const char *e = v;
  if (have == BATON_F32 && want == BATON_I32) e = bg_fmt(g, "__bt_f32_to_i32(%s)", v);
  else if (have == BATON_I32 && want == BATON_I64) e = bg_fmt(g, "(int64_t)(int32_t)(%s)", v);
  else if (have == BATON_F32 && want == BATON_I64) e = bg_fmt(g, "(int64_t)__bt_f32_to_i32(%s)", v);
  else if (have == BATON_F64 && want == BATON_I64) e = bg_fmt(g, "__bt_f64_to_i64(%s)", v);
  bt_strbuf_printf(o, "%*s%s = %s;\n", ind, "", x, e);
}

/* The lvalue of case i's payload inside a variant-like value `v`. */
static const char *payload_of(bg_t *g, const bt_wit_type_t *u, size_t i, const char *v) {
  switch (u->kind) {
    case BT_WIT_OPTION: return bg_fmt(g, "%s.val", v);
    case BT_WIT_RESULT: return bg_fmt(g, "%s.val.%s", v, i ? "err" : "ok");
    default: return bg_fmt(g, "%s.val.%s", v, bg_ident(g, bg_snake(g, u->fields[i].name)));
  }
}

/* The statement setting the discriminant of `v` to case i. */
static const char *set_case(bg_t *g, const bt_wit_type_t *u, size_t i, const char *v) {
  switch (u->kind) {
    case BT_WIT_OPTION: return bg_fmt(g, "%s.is_some = %s;", v, i ? "true" : "false");
    case BT_WIT_RESULT: return bg_fmt(g, "%s.is_err = %s;", v, i ? "true" : "false");
    default: return bg_fmt(g, "%s.tag = %zu;", v, i);
  }
}

/* The expression of the discriminant of `v`. */
static const char *get_case(bg_t *g, const bt_wit_type_t *u, const char *v) {
  switch (u->kind) {
    case BT_WIT_OPTION: return bg_fmt(g, "%s.is_some", v);
    case BT_WIT_RESULT: return bg_fmt(g, "%s.is_err", v);
    default: return bg_fmt(g, "%s.tag", v);
  }
}

void bg_lift_flat(bg_t *g, bt_strbuf_t *o, int ind, const bt_wit_type_t *t, const char *lv,
                  const bg_slots_t *s, size_t *pos) {
  const bt_wit_type_t *u = bt_wit_type_unalias(t);
  if (!u || g->oom) return;
  static const char *const casts[] = {
      [BT_WIT_S8] = "int8_t",   [BT_WIT_U8] = "uint8_t",   [BT_WIT_S16] = "int16_t",
      [BT_WIT_U16] = "uint16_t", [BT_WIT_S32] = "int32_t", [BT_WIT_U32] = "uint32_t",
      [BT_WIT_CHAR] = "uint32_t"};
  switch (u->kind) {
    case BT_WIT_BOOL:
      bt_strbuf_printf(o, "%*s%s = %s != 0;\n", ind, "", lv, take(g, s, pos, BATON_I32));
      return;
    case BT_WIT_S8: case BT_WIT_U8: case BT_WIT_S16: case BT_WIT_U16: case BT_WIT_S32:
    case BT_WIT_U32: case BT_WIT_CHAR:
      bt_strbuf_printf(o, "%*s%s = (%s)%s;\n", ind, "", lv, casts[u->kind],
                       take(g, s, pos, BATON_I32));
      return;
    case BT_WIT_S64: case BT_WIT_U64:
      bt_strbuf_printf(o, "%*s%s = (%s)%s;\n", ind, "", lv,
                       u->kind == BT_WIT_S64 ? "int64_t" : "uint64_t", take(g, s, pos, BATON_I64));
      return;
    case BT_WIT_F32:
      bt_strbuf_printf(o, "%*s%s = %s;\n", ind, "", lv, take(g, s, pos, BATON_F32));
      return;
    case BT_WIT_F64:
      bt_strbuf_printf(o, "%*s%s = %s;\n", ind, "", lv, take(g, s, pos, BATON_F64));
      return;
    case BT_WIT_ENUM: case BT_WIT_FLAGS:
      bt_strbuf_printf(o, "%*s%s = (%s)%s;\n", ind, "", lv, bg_ctype(g, u),
                       take(g, s, pos, BATON_I32));
      return;
    case BT_WIT_OWN:
      bt_strbuf_printf(o, "%*s%s.__handle = %s;\n", ind, "", lv, take(g, s, pos, BATON_I32));
      return;
    case BT_WIT_BORROW: {
      bg_entry_t *e = bg_entry(g, u);
      if (e && e->exported) /* a borrow of our own resource arrives as its rep */
        bt_strbuf_printf(o, "%*s%s = (%s)(uintptr_t)%s;\n", ind, "", lv, bg_ctype(g, u),
                         take(g, s, pos, BATON_I32));
      else
        bt_strbuf_printf(o, "%*s%s.__handle = %s;\n", ind, "", lv, take(g, s, pos, BATON_I32));
      return;
    }
    case BT_WIT_STRING: case BT_WIT_LIST: {
      const char *elem = u->kind == BT_WIT_STRING ? "uint8_t" : bg_ctype(g, u->target);
      bt_strbuf_printf(o, "%*s%s.ptr = (%s *)(uintptr_t)%s;\n", ind, "", lv, elem,
                       take(g, s, pos, BATON_I32));
      bt_strbuf_printf(o, "%*s%s.len = (size_t)(uint32_t)%s;\n", ind, "", lv,
                       take(g, s, pos, BATON_I32));
      return;
    }
    case BT_WIT_RECORD:
      for (size_t i = 0; i < u->count; i++)
        bg_lift_flat(g, o, ind, u->fields[i].type,
                     bg_fmt(g, "%s.%s", lv, bg_ident(g, bg_snake(g, u->fields[i].name))), s, pos);
      return;
    case BT_WIT_TUPLE:
      for (size_t i = 0; i < u->count; i++)
        bg_lift_flat(g, o, ind, u->types[i], bg_fmt(g, "%s.f%zu", lv, i), s, pos);
      return;
    case BT_WIT_VARIANT: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      const char *disc = take(g, s, pos, BATON_I32);
      size_t start = *pos;
      size_t n = bt_abi_case_count(u);
      bt_strbuf_printf(o, "%*sswitch (%s) {\n", ind, "", disc);
      for (size_t i = 0; i < n; i++) {
        bt_strbuf_printf(o, "%*s  case %zu:\n%*s    %s\n", ind, "", i, ind, "",
                         set_case(g, u, i, lv));
        const bt_wit_type_t *p = bt_abi_case_type(u, i);
        size_t at = start;
        if (p) bg_lift_flat(g, o, ind + 4, p, payload_of(g, u, i, lv), s, &at);
        bt_strbuf_printf(o, "%*s    break;\n", ind, "");
      }
      bt_strbuf_printf(o, "%*s  default:\n%*s    abort();\n%*s}\n", ind, "", ind, "", ind, "");
      *pos = start + bt_abi_flat_count(u) - 1;
      return;
    }
    default: g->oom = true; return; /* unreachable: supported types only */
  }
}

void bg_lower_flat(bg_t *g, bt_strbuf_t *o, int ind, const bt_wit_type_t *t, const char *rv,
                   const bg_slots_t *s, size_t *pos) {
  const bt_wit_type_t *u = bt_wit_type_unalias(t);
  if (!u || g->oom) return;
  switch (u->kind) {
    case BT_WIT_BOOL: case BT_WIT_S8: case BT_WIT_U8: case BT_WIT_S16: case BT_WIT_U16:
    case BT_WIT_S32: case BT_WIT_U32: case BT_WIT_CHAR: case BT_WIT_ENUM: case BT_WIT_FLAGS:
      put(g, o, ind, s, pos, BATON_I32, bg_fmt(g, "(int32_t)%s", rv));
      return;
    case BT_WIT_S64: case BT_WIT_U64:
      put(g, o, ind, s, pos, BATON_I64, bg_fmt(g, "(int64_t)%s", rv));
      return;
    case BT_WIT_F32: put(g, o, ind, s, pos, BATON_F32, rv); return;
    case BT_WIT_F64: put(g, o, ind, s, pos, BATON_F64, rv); return;
    case BT_WIT_OWN: put(g, o, ind, s, pos, BATON_I32, bg_fmt(g, "%s.__handle", rv)); return;
    case BT_WIT_BORROW: {
      bg_entry_t *e = bg_entry(g, u);
      put(g, o, ind, s, pos, BATON_I32,
          e && e->exported ? bg_fmt(g, "(int32_t)(uintptr_t)%s", rv)
                           : bg_fmt(g, "%s.__handle", rv));
      return;
    }
    case BT_WIT_STRING: case BT_WIT_LIST:
      put(g, o, ind, s, pos, BATON_I32, bg_fmt(g, "(int32_t)(uintptr_t)%s.ptr", rv));
      put(g, o, ind, s, pos, BATON_I32, bg_fmt(g, "(int32_t)%s.len", rv));
      return;
    case BT_WIT_RECORD:
      for (size_t i = 0; i < u->count; i++)
        bg_lower_flat(g, o, ind, u->fields[i].type,
                      bg_fmt(g, "%s.%s", rv, bg_ident(g, bg_snake(g, u->fields[i].name))), s,
                      pos);
      return;
    case BT_WIT_TUPLE:
      for (size_t i = 0; i < u->count; i++)
        bg_lower_flat(g, o, ind, u->types[i], bg_fmt(g, "%s.f%zu", rv, i), s, pos);
      return;
    case BT_WIT_VARIANT: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      size_t disc = (*pos)++;
      size_t start = *pos;
      size_t n = bt_abi_case_count(u);
      bt_strbuf_printf(o, "%*sswitch ((int)%s) {\n", ind, "", get_case(g, u, rv));
      for (size_t i = 0; i < n; i++) {
        bt_strbuf_printf(o, "%*s  case %zu:\n", ind, "", i);
        size_t d = disc;
        put(g, o, ind + 4, s, &d, BATON_I32, bg_fmt(g, "%zu", i));
        const bt_wit_type_t *p = bt_abi_case_type(u, i);
        size_t at = start;
        if (p) bg_lower_flat(g, o, ind + 4, p, payload_of(g, u, i, rv), s, &at);
        bt_strbuf_printf(o, "%*s    break;\n", ind, "");
      }
      bt_strbuf_printf(o, "%*s  default:\n%*s    abort();\n%*s}\n", ind, "", ind, "", ind, "");
      *pos = start + bt_abi_flat_count(u) - 1;
      return;
    }
    default: g->oom = true; return;
  }
}
