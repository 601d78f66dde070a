/*
 * src/abi/layout.c: the static half of the Canonical ABI. For every WIT type
 * it computes the size and alignment in linear memory (records and tuples
 * with C-like padding; variants, enums, options and results as a
 * discriminant of the smallest sufficient width followed by the payload at
 * the maximum case alignment; flags as a 1, 2 or 4 byte bit vector; strings
 * and lists as a (pointer, length) pair), the flattening into core value
 * types (with the variant "join" of payload types), function signatures
 * with the 16-parameter / 1-result spilling rules, printable forms of types
 * and signatures for messages, and the core names wit-bindgen gives to a
 * world's exports and imports. Nothing here touches memory or allocates.
 */
#include <stdio.h>
#include <string.h>

#include "abi/abi.h"

uint32_t bt_abi_align_to(uint32_t n, uint32_t align) { return (n + align - 1) & ~(align - 1); }

uint32_t bt_abi_disc_size(size_t ncases) {
  if (ncases <= 256) return 1;
  if (ncases <= 65536) return 2;
  return 4;
}

uint32_t bt_abi_flags_size(size_t n) {
  if (n == 0) return 0;
  if (n <= 8) return 1;
  if (n <= 16) return 2;
  return 4;
}

bool bt_abi_is_variant(const bt_wit_type_t *t) {
  switch (t->kind) {
    case BT_WIT_VARIANT: case BT_WIT_ENUM: case BT_WIT_OPTION: case BT_WIT_RESULT: return true;
    default: return false;
  }
}

size_t bt_abi_case_count(const bt_wit_type_t *t) {
  switch (t->kind) {
    case BT_WIT_VARIANT: case BT_WIT_ENUM: return t->count;
    case BT_WIT_OPTION: case BT_WIT_RESULT: return 2;
    default: return 0;
  }
}

const bt_wit_type_t *bt_abi_case_type(const bt_wit_type_t *t, size_t i) {
  switch (t->kind) {
    case BT_WIT_VARIANT: return i < t->count ? t->fields[i].type : NULL;
    case BT_WIT_OPTION: return i == 1 ? t->target : NULL;
    case BT_WIT_RESULT: return i == 0 ? t->ok : i == 1 ? t->err : NULL;
    default: return NULL;
  }
}

const char *bt_abi_case_label(const bt_wit_type_t *t, size_t i) {
  switch (t->kind) {
    case BT_WIT_VARIANT: case BT_WIT_ENUM: return i < t->count ? t->fields[i].name : "?";
    case BT_WIT_OPTION: return i ? "some" : "none";
    case BT_WIT_RESULT: return i ? "err" : "ok";
    default: return "?";
  }
}

size_t bt_abi_member_count(const bt_wit_type_t *t) {
  return t->kind == BT_WIT_RECORD || t->kind == BT_WIT_TUPLE ? t->count : 0;
}

const bt_wit_type_t *bt_abi_member_type(const bt_wit_type_t *t, size_t i) {
  if (t->kind == BT_WIT_RECORD) return t->fields[i].type;
  if (t->kind == BT_WIT_TUPLE) return t->types[i];
  return NULL;
}

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* The maximum alignment and size over a variant's case payloads. */
static void case_extent(const bt_wit_type_t *t, uint32_t *max_align, uint32_t *max_size) {
  uint32_t a = 1, s = 0;
  size_t n = bt_abi_case_count(t);
  for (size_t i = 0; i < n; i++) {
    const bt_wit_type_t *c = bt_abi_case_type(t, i);
    if (!c) continue;
    bt_abi_layout_t l = bt_abi_layout(c);
    a = max_u32(a, l.align);
    s = max_u32(s, l.size);
  }
  *max_align = a;
  *max_size = s;
}

bt_abi_layout_t bt_abi_layout(const bt_wit_type_t *t) {
  t = bt_abi_unalias(t);
  bt_abi_layout_t l = {0, 1};
  if (!t) return l;
  switch (t->kind) {
    case BT_WIT_BOOL: case BT_WIT_S8: case BT_WIT_U8: return (bt_abi_layout_t){1, 1};
    case BT_WIT_S16: case BT_WIT_U16: return (bt_abi_layout_t){2, 2};
    case BT_WIT_S32: case BT_WIT_U32: case BT_WIT_F32: case BT_WIT_CHAR:
    case BT_WIT_OWN: case BT_WIT_BORROW:
      return (bt_abi_layout_t){4, 4};
    case BT_WIT_S64: case BT_WIT_U64: case BT_WIT_F64: return (bt_abi_layout_t){8, 8};
    case BT_WIT_STRING: case BT_WIT_LIST: return (bt_abi_layout_t){8, 4};
    case BT_WIT_RECORD: case BT_WIT_TUPLE: {
      uint32_t s = 0, a = 1;
      size_t n = bt_abi_member_count(t);
      for (size_t i = 0; i < n; i++) {
        bt_abi_layout_t m = bt_abi_layout(bt_abi_member_type(t, i));
        s = bt_abi_align_to(s, m.align) + m.size;
        a = max_u32(a, m.align);
      }
      return (bt_abi_layout_t){bt_abi_align_to(s, a), a};
    }
    case BT_WIT_VARIANT: case BT_WIT_ENUM: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      uint32_t d = bt_abi_disc_size(bt_abi_case_count(t)), ca, cs;
      case_extent(t, &ca, &cs);
      uint32_t a = max_u32(d, ca);
      return (bt_abi_layout_t){bt_abi_align_to(bt_abi_align_to(d, ca) + cs, a), a};
    }
    case BT_WIT_FLAGS: {
      if (t->count > BT_ABI_MAX_FLAGS) return l;
      uint32_t s = bt_abi_flags_size(t->count);
      return (bt_abi_layout_t){s, s ? s : 1};
    }
    default: return l; /* RESOURCE: not a value type */
  }
}

uint32_t bt_abi_size(const bt_wit_type_t *t) { return bt_abi_layout(t).size; }
uint32_t bt_abi_align(const bt_wit_type_t *t) { return bt_abi_layout(t).align; }

uint32_t bt_abi_payload_offset(const bt_wit_type_t *t) {
  t = bt_abi_unalias(t);
  uint32_t ca, cs;
  case_extent(t, &ca, &cs);
  return bt_abi_align_to(bt_abi_disc_size(bt_abi_case_count(t)), ca);
}

_Static_assert((int)BT_WIT_BOOL == (int)BATON_VALUE_BOOL && (int)BT_WIT_STRING == (int)BATON_VALUE_STRING &&
                   (int)BT_WIT_LIST == (int)BATON_VALUE_LIST && (int)BT_WIT_TUPLE == (int)BATON_VALUE_TUPLE &&
                   (int)BT_WIT_OPTION == (int)BATON_VALUE_OPTION &&
                   (int)BT_WIT_RESULT == (int)BATON_VALUE_RESULT &&
                   (int)BT_WIT_RECORD == (int)BATON_VALUE_RECORD &&
                   (int)BT_WIT_VARIANT == (int)BATON_VALUE_VARIANT &&
                   (int)BT_WIT_ENUM == (int)BATON_VALUE_ENUM && (int)BT_WIT_FLAGS == (int)BATON_VALUE_FLAGS,
               "bt_abi_value_kind relies on the WIT and value kinds agreeing from BOOL to FLAGS");

const char *bt_abi_value_kind_name(baton_value_kind_t k) {
  static const char *const names[] = {
      [BATON_VALUE_BOOL] = "bool",     [BATON_VALUE_S8] = "s8",         [BATON_VALUE_U8] = "u8",
      [BATON_VALUE_S16] = "s16",       [BATON_VALUE_U16] = "u16",       [BATON_VALUE_S32] = "s32",
      [BATON_VALUE_U32] = "u32",       [BATON_VALUE_S64] = "s64",       [BATON_VALUE_U64] = "u64",
      [BATON_VALUE_F32] = "f32",       [BATON_VALUE_F64] = "f64",       [BATON_VALUE_CHAR] = "char",
      [BATON_VALUE_STRING] = "string", [BATON_VALUE_LIST] = "list",     [BATON_VALUE_TUPLE] = "tuple",
      [BATON_VALUE_OPTION] = "option", [BATON_VALUE_RESULT] = "result", [BATON_VALUE_RECORD] = "record",
      [BATON_VALUE_VARIANT] = "variant", [BATON_VALUE_ENUM] = "enum",   [BATON_VALUE_FLAGS] = "flags",
      [BATON_VALUE_OWN] = "own",       [BATON_VALUE_BORROW] = "borrow",
  };
  if ((size_t)k < BT_ARRAY_LEN(names) && names[k]) return names[k];
  return "invalid value";
}

bool bt_abi_type_supported(const bt_wit_type_t *t, char *why, size_t size) {
  t = bt_abi_unalias(t);
  if (!t) {
    snprintf(why, size, "missing type");
    return false;
  }
  switch (t->kind) {
    case BT_WIT_RESOURCE:
      snprintf(why, size, "resource %s used as a value (only own<> and borrow<> handles are)",
               t->name ? t->name : "?");
      return false;
    case BT_WIT_FLAGS:
      if (t->count > BT_ABI_MAX_FLAGS) {
        snprintf(why, size, "flags %s has %zu members, over the canonical ABI limit of %d",
                 t->name ? t->name : "", t->count, BT_ABI_MAX_FLAGS);
        return false;
      }
      return true;
    case BT_WIT_LIST:
      if (!bt_abi_type_supported(t->target, why, size)) return false;
      if (bt_abi_size(t->target) == 0) {
        snprintf(why, size, "list element type has size 0");
        return false;
      }
      return true;
    case BT_WIT_MAP: case BT_WIT_FUTURE: case BT_WIT_STREAM: case BT_WIT_ERROR_CONTEXT: {
      char ts[96];
      snprintf(why, size, "%s: %s are not supported by baton's canonical ABI",
               bt_wit_type_text(t, ts, sizeof ts),
               t->kind == BT_WIT_MAP ? "maps" : "component-model async types");
      return false;
    }
    case BT_WIT_RECORD: case BT_WIT_TUPLE:
      if (t->kind == BT_WIT_RECORD && t->count == 0) {
        snprintf(why, size, "record %s has no fields (the Component Model needs at least one)",
                 t->name ? t->name : "");
        return false;
      }
      for (size_t i = 0; i < bt_abi_member_count(t); i++)
        if (!bt_abi_type_supported(bt_abi_member_type(t, i), why, size)) return false;
      return true;
    case BT_WIT_VARIANT: case BT_WIT_OPTION: case BT_WIT_RESULT:
      for (size_t i = 0; i < bt_abi_case_count(t); i++) {
        const bt_wit_type_t *c = bt_abi_case_type(t, i);
        if (c && !bt_abi_type_supported(c, why, size)) return false;
      }
      if (bt_abi_case_count(t) == 0) {
        snprintf(why, size, "variant %s has no cases", t->name ? t->name : "");
        return false;
      }
      return true;
    case BT_WIT_ENUM:
      if (t->count == 0) {
        snprintf(why, size, "enum %s has no cases", t->name ? t->name : "");
        return false;
      }
      return true;
    default: return true;
  }
}

/* ---- flattening ---- */

/* The spec's join of two flat types at the same position of different
 * variant cases. */
static baton_valkind_t join(baton_valkind_t a, baton_valkind_t b) {
  if (a == b) return a;
  if ((a == BATON_I32 && b == BATON_F32) || (a == BATON_F32 && b == BATON_I32)) return BATON_I32;
  return BATON_I64;
}

/* Appends k at *n when it fits below cap; counts it either way. */
static void push(baton_valkind_t *out, size_t cap, size_t *n, baton_valkind_t k) {
  if (*n < cap) out[*n] = k;
  (*n)++;
}

void bt_abi_flatten(const bt_wit_type_t *t, baton_valkind_t *out, size_t cap, size_t *n) {
  t = bt_abi_unalias(t);
  if (!t) return;
  switch (t->kind) {
    case BT_WIT_BOOL: case BT_WIT_S8: case BT_WIT_U8: case BT_WIT_S16: case BT_WIT_U16:
    case BT_WIT_S32: case BT_WIT_U32: case BT_WIT_CHAR: case BT_WIT_OWN: case BT_WIT_BORROW:
    case BT_WIT_ENUM:
      push(out, cap, n, BATON_I32);
      return;
    case BT_WIT_S64: case BT_WIT_U64: push(out, cap, n, BATON_I64); return;
    case BT_WIT_F32: push(out, cap, n, BATON_F32); return;
    case BT_WIT_F64: push(out, cap, n, BATON_F64); return;
    case BT_WIT_STRING: case BT_WIT_LIST:
      push(out, cap, n, BATON_I32);
      push(out, cap, n, BATON_I32);
      return;
    case BT_WIT_FLAGS:
      if (t->count) push(out, cap, n, BATON_I32);
      return;
    case BT_WIT_RECORD: case BT_WIT_TUPLE:
      for (size_t i = 0; i < bt_abi_member_count(t); i++)
        bt_abi_flatten(bt_abi_member_type(t, i), out, cap, n);
      return;
    case BT_WIT_VARIANT: case BT_WIT_OPTION: case BT_WIT_RESULT: {
      push(out, cap, n, BATON_I32);
      size_t base = *n, len = 0;
      for (size_t i = 0; i < bt_abi_case_count(t); i++) {
        const bt_wit_type_t *c = bt_abi_case_type(t, i);
        if (!c) continue;
        baton_valkind_t tmp[BT_ABI_FLAT_CAP];
        size_t k = 0;
        bt_abi_flatten(c, tmp, BT_ABI_FLAT_CAP, &k);
        for (size_t j = 0; j < k; j++) {
          size_t at = base + j;
          baton_valkind_t kind = j < BT_ABI_FLAT_CAP ? tmp[j] : BATON_I64;
          if (j < len) {
            if (at < cap) out[at] = join(out[at], kind);
          } else if (at < cap) {
            out[at] = kind;
          }
        }
        if (k > len) len = k;
      }
      *n = base + len;
      return;
    }
    default: return;
  }
}

size_t bt_abi_flat_count(const bt_wit_type_t *t) {
  size_t n = 0;
  bt_abi_flatten(t, NULL, 0, &n);
  return n;
}

bool bt_abi_is_plain(const bt_wit_type_t *t) {
  t = bt_abi_unalias(t);
  if (!t) return false;
  switch (t->kind) {
    case BT_WIT_S8: case BT_WIT_U8: case BT_WIT_S16: case BT_WIT_U16: case BT_WIT_S32:
    case BT_WIT_U32: case BT_WIT_S64: case BT_WIT_U64: case BT_WIT_F32: case BT_WIT_F64:
      return true;
    case BT_WIT_RECORD: case BT_WIT_TUPLE: {
      uint32_t off = 0;
      size_t n = bt_abi_member_count(t);
      if (n == 0) return false;
      for (size_t i = 0; i < n; i++) {
        const bt_wit_type_t *m = bt_abi_member_type(t, i);
        if (!bt_abi_is_plain(m)) return false;
        bt_abi_layout_t l = bt_abi_layout(m);
        if (bt_abi_align_to(off, l.align) != off) return false; /* padding */
        off += l.size;
      }
      return off == bt_abi_size(t);
    }
    default: return false;
  }
}

void bt_abi_signature(const bt_wit_function_t *fn, bt_abi_context_t context, bt_abi_sig_t *sig) {
  memset(sig, 0, sizeof *sig);
  size_t n = 0;
  uint32_t off = 0, align = 1;
  for (size_t i = 0; i < fn->param_count; i++) {
    bt_abi_flatten(fn->params[i].type, sig->params, BT_ABI_MAX_FLAT_PARAMS, &n);
    bt_abi_layout_t l = bt_abi_layout(fn->params[i].type);
    off = bt_abi_align_to(off, l.align) + l.size;
    align = max_u32(align, l.align);
  }
  sig->flat_params = n;
  sig->params_size = bt_abi_align_to(off, align);
  sig->params_align = align;
  if (n > BT_ABI_MAX_FLAT_PARAMS) {
    sig->spill_params = true;
    sig->params[0] = BATON_I32;
    sig->nparams = 1;
  } else {
    sig->nparams = n;
  }
  if (fn->result) {
    size_t r = 0;
    bt_abi_flatten(fn->result, sig->results, BT_ABI_MAX_FLAT_RESULTS, &r);
    bt_abi_layout_t l = bt_abi_layout(fn->result);
    sig->flat_results = r;
    sig->result_size = l.size;
    sig->result_align = l.align;
    if (r > BT_ABI_MAX_FLAT_RESULTS) {
      sig->spill_results = true;
      if (context == BT_ABI_LIFT) {
        sig->results[0] = BATON_I32;
        sig->nresults = 1;
      } else {
        sig->params[sig->nparams++] = BATON_I32;
        sig->has_retptr = true;
        sig->nresults = 0;
      }
    } else {
      sig->nresults = r;
    }
  }
}

/* ---- printing ---- */

/* A bounded string builder: appends never overflow, and an overflowing
 * output ends in "...". */
typedef struct {
  char *buf;
  size_t size, len;
} sb_t;

static void sb_put(sb_t *b, const char *s) {
  if (!b->size) return;
  size_t n = strlen(s);
  for (size_t i = 0; i < n; i++) {
    if (b->len + 1 >= b->size) {
      if (b->size >= 4) memcpy(b->buf + b->size - 4, "...", 4);
      return;
    }
    b->buf[b->len++] = s[i];
  }
  b->buf[b->len] = 0;
}

char *bt_abi_core_type_str(const baton_valkind_t *params, size_t nparams,
                           const baton_valkind_t *results, size_t nresults, char *buf,
                           size_t size) {
  sb_t b = {buf, size, 0};
  if (size) buf[0] = 0;
  sb_put(&b, "(");
  for (size_t i = 0; i < nparams; i++) {
    if (i) sb_put(&b, ", ");
    sb_put(&b, baton_valkind_name(params[i]));
  }
  sb_put(&b, ") -> ");
  if (nresults == 1) {
    sb_put(&b, baton_valkind_name(results[0]));
  } else {
    sb_put(&b, "(");
    for (size_t i = 0; i < nresults; i++) {
      if (i) sb_put(&b, ", ");
      sb_put(&b, baton_valkind_name(results[i]));
    }
    sb_put(&b, ")");
  }
  return buf;
}

/* Appends t as written in WIT: a named type by its name, an anonymous one
 * structurally (list<T>, tuple<...>, result<T, E>, own<R>). */
static void type_str(sb_t *b, const bt_wit_type_t *t) {
  if (!t) {
    sb_put(b, "_");
    return;
  }
  if (t->name && t->kind != BT_WIT_OWN && t->kind != BT_WIT_BORROW) {
    sb_put(b, t->name);
    return;
  }
  switch (t->kind) {
    case BT_WIT_LIST: case BT_WIT_OPTION:
      sb_put(b, t->kind == BT_WIT_LIST ? "list<" : "option<");
      type_str(b, t->target);
      sb_put(b, ">");
      return;
    case BT_WIT_OWN: case BT_WIT_BORROW:
      sb_put(b, t->kind == BT_WIT_OWN ? "own<" : "borrow<");
      sb_put(b, t->target && t->target->name ? t->target->name : "?");
      sb_put(b, ">");
      return;
    case BT_WIT_RESULT:
      if (!t->ok && !t->err) {
        sb_put(b, "result");
        return;
      }
      sb_put(b, "result<");
      type_str(b, t->ok);
      if (t->err) {
        sb_put(b, ", ");
        type_str(b, t->err);
      }
      sb_put(b, ">");
      return;
    case BT_WIT_TUPLE:
      sb_put(b, "tuple<");
      for (size_t i = 0; i < t->count; i++) {
        if (i) sb_put(b, ", ");
        type_str(b, t->types[i]);
      }
      sb_put(b, ">");
      return;
    default: sb_put(b, bt_wit_kind_name(t->kind)); return;
  }
}

char *bt_abi_type_str(const bt_wit_type_t *t, char *buf, size_t size) {
  sb_t b = {buf, size, 0};
  if (size) buf[0] = 0;
  type_str(&b, t);
  return buf;
}

char *bt_abi_func_str(const bt_wit_function_t *fn, char *buf, size_t size) {
  sb_t b = {buf, size, 0};
  if (size) buf[0] = 0;
  sb_put(&b, "func(");
  for (size_t i = 0; i < fn->param_count; i++) {
    if (i) sb_put(&b, ", ");
    sb_put(&b, fn->params[i].name);
    sb_put(&b, ": ");
    type_str(&b, fn->params[i].type);
  }
  sb_put(&b, ")");
  if (fn->result) {
    sb_put(&b, " -> ");
    type_str(&b, fn->result);
  }
  return buf;
}

/* ---- names ---- */

/* The name an interface item is known by in core names: its qualified name
 * ("ns:pkg/iface@ver") when it has one, else the item's own name. */
static const char *iface_name(const bt_wit_world_item_t *item) {
  if (item->interface && item->interface->qualified_name) return item->interface->qualified_name;
  return item->name;
}

int bt_abi_export_name(const bt_wit_world_item_t *item, const bt_wit_function_t *fn, char *buf,
                       size_t size) {
  if (item->kind == BT_WIT_ITEM_FUNCTION) return snprintf(buf, size, "%s", fn->name);
  return snprintf(buf, size, "%s#%s", iface_name(item), fn->name);
}

int bt_abi_import_module(const bt_wit_world_item_t *item, char *buf, size_t size) {
  if (item->kind == BT_WIT_ITEM_FUNCTION) return snprintf(buf, size, "$root");
  return snprintf(buf, size, "%s", iface_name(item));
}

int bt_abi_post_return_name(const char *export_name, char *buf, size_t size) {
  return snprintf(buf, size, "cabi_post_%s", export_name);
}
