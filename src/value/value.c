/*
 * src/value/value.c: the host value tree (include/baton/value.h) and the
 * helpers the WAVE and JSON codecs share (src/value/value.h).
 *
 * The tree functions are plain recursive walks: clearing frees what a value
 * owns, copying duplicates it (unwinding completely when an allocation
 * fails), equality compares structure with floats compared bit for bit.
 * bt_value_check validates a tree against a WIT type before a printer or the
 * canonical ABI trusts its shape.
 *
 * The shared helpers cover what both text formats need: the error context
 * that tracks the value path and turns byte offsets into line/column
 * positions, type descriptions for messages, integer and float conversion
 * that does not depend on the C locale, the shortest round-tripping float
 * format, and UTF-8 decoding.
 */
#include "value/value.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the value tree ---- */

void baton_value_clear(baton_value_t *v) {
  if (!v) return;
  switch (v->kind) {
    case BATON_VALUE_STRING: bt_free(v->of.str.ptr); break;
    case BATON_VALUE_LIST:
    case BATON_VALUE_TUPLE:
    case BATON_VALUE_RECORD:
      for (size_t i = 0; i < v->of.seq.len; i++) baton_value_clear(&v->of.seq.items[i]);
      bt_free(v->of.seq.items);
      break;
    case BATON_VALUE_OPTION:
    case BATON_VALUE_RESULT:
    case BATON_VALUE_VARIANT:
    case BATON_VALUE_ENUM: baton_value_delete(v->of.var.payload); break;
    default: break;
  }
  memset(v, 0, sizeof *v);
}

baton_value_t *baton_value_new(void) { return bt_calloc(1, sizeof(baton_value_t)); }

void baton_value_delete(baton_value_t *v) {
  if (!v) return;
  baton_value_clear(v);
  bt_free(v);
}

bool baton_value_copy(baton_value_t *dst, const baton_value_t *src) {
  memset(dst, 0, sizeof *dst);
  switch (src->kind) {
    case BATON_VALUE_STRING: {
      char *p = bt_malloc(src->of.str.len + 1);
      if (!p) return false;
      if (src->of.str.len) memcpy(p, src->of.str.ptr, src->of.str.len);
      p[src->of.str.len] = 0;
      dst->kind = src->kind;
      dst->of.str.ptr = p;
      dst->of.str.len = src->of.str.len;
      return true;
    }
    case BATON_VALUE_LIST:
    case BATON_VALUE_TUPLE:
    case BATON_VALUE_RECORD: {
      size_t n = src->of.seq.len;
      baton_value_t *items = NULL;
      if (n) {
        items = bt_calloc(n, sizeof *items);
        if (!items) return false;
      }
      dst->kind = src->kind;
      dst->of.seq.items = items;
      dst->of.seq.len = n;
      for (size_t i = 0; i < n; i++) {
        if (!baton_value_copy(&items[i], &src->of.seq.items[i])) {
          baton_value_clear(dst);
          return false;
        }
      }
      return true;
    }
    case BATON_VALUE_OPTION:
    case BATON_VALUE_RESULT:
    case BATON_VALUE_VARIANT:
    case BATON_VALUE_ENUM: {
      baton_value_t *payload = NULL;
      if (src->of.var.payload) {
        payload = baton_value_new();
        if (!payload) return false;
        if (!baton_value_copy(payload, src->of.var.payload)) {
          bt_free(payload);
          return false;
        }
      }
      dst->kind = src->kind;
      dst->of.var.index = src->of.var.index;
      dst->of.var.payload = payload;
      return true;
    }
    default: *dst = *src; return true;
  }
}

bool baton_value_equal(const baton_value_t *a, const baton_value_t *b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind) return false;
  switch (a->kind) {
    case BATON_VALUE_BOOL: return a->of.b == b->of.b;
    case BATON_VALUE_S8:
    case BATON_VALUE_S16:
    case BATON_VALUE_S32:
    case BATON_VALUE_S64: return a->of.s == b->of.s;
    case BATON_VALUE_U8:
    case BATON_VALUE_U16:
    case BATON_VALUE_U32:
    case BATON_VALUE_U64: return a->of.u == b->of.u;
    case BATON_VALUE_F32: return memcmp(&a->of.f32, &b->of.f32, sizeof(float)) == 0;
    case BATON_VALUE_F64: return memcmp(&a->of.f64, &b->of.f64, sizeof(double)) == 0;
    case BATON_VALUE_CHAR: return a->of.ch == b->of.ch;
    case BATON_VALUE_STRING:
      return a->of.str.len == b->of.str.len &&
             (a->of.str.len == 0 || memcmp(a->of.str.ptr, b->of.str.ptr, a->of.str.len) == 0);
    case BATON_VALUE_LIST:
    case BATON_VALUE_TUPLE:
    case BATON_VALUE_RECORD:
      if (a->of.seq.len != b->of.seq.len) return false;
      for (size_t i = 0; i < a->of.seq.len; i++)
        if (!baton_value_equal(&a->of.seq.items[i], &b->of.seq.items[i])) return false;
      return true;
    case BATON_VALUE_OPTION:
    case BATON_VALUE_RESULT:
    case BATON_VALUE_VARIANT:
    case BATON_VALUE_ENUM:
      if (a->of.var.index != b->of.var.index) return false;
      if (!a->of.var.payload || !b->of.var.payload)
        return a->of.var.payload == b->of.var.payload;
      return baton_value_equal(a->of.var.payload, b->of.var.payload);
    case BATON_VALUE_FLAGS: return a->of.flags == b->of.flags;
    case BATON_VALUE_OWN:
    case BATON_VALUE_BORROW: return a->of.handle == b->of.handle;
    default: return true; /* two zeroed values */
  }
}

/* ---- kinds and type descriptions ---- */

baton_value_kind_t bt_value_kind_for(const bt_wit_type_t *t) {
  switch (t->kind) {
    case BT_WIT_BOOL: return BATON_VALUE_BOOL;
    case BT_WIT_S8: return BATON_VALUE_S8;
    case BT_WIT_U8: return BATON_VALUE_U8;
    case BT_WIT_S16: return BATON_VALUE_S16;
    case BT_WIT_U16: return BATON_VALUE_U16;
    case BT_WIT_S32: return BATON_VALUE_S32;
    case BT_WIT_U32: return BATON_VALUE_U32;
    case BT_WIT_S64: return BATON_VALUE_S64;
    case BT_WIT_U64: return BATON_VALUE_U64;
    case BT_WIT_F32: return BATON_VALUE_F32;
    case BT_WIT_F64: return BATON_VALUE_F64;
    case BT_WIT_CHAR: return BATON_VALUE_CHAR;
    case BT_WIT_STRING: return BATON_VALUE_STRING;
    case BT_WIT_LIST: return BATON_VALUE_LIST;
    case BT_WIT_TUPLE: return BATON_VALUE_TUPLE;
    case BT_WIT_OPTION: return BATON_VALUE_OPTION;
    case BT_WIT_RESULT: return BATON_VALUE_RESULT;
    case BT_WIT_RECORD: return BATON_VALUE_RECORD;
    case BT_WIT_VARIANT: return BATON_VALUE_VARIANT;
    case BT_WIT_ENUM: return BATON_VALUE_ENUM;
    case BT_WIT_FLAGS: return BATON_VALUE_FLAGS;
    case BT_WIT_OWN: return BATON_VALUE_OWN;
    case BT_WIT_BORROW: return BATON_VALUE_BORROW;
    default: return (baton_value_kind_t)0;
  }
}

const char *bt_value_kind_name(baton_value_kind_t kind) {
  static const char *const names[] = {
      "invalid", "bool", "s8",     "u8",     "s16",    "u16",     "s32",  "u32",
      "s64",     "u64",  "f32",    "f64",    "char",   "string",  "list", "tuple",
      "option",  "result", "record", "variant", "enum", "flags",  "own",  "borrow",
  };
  unsigned k = (unsigned)kind;
  return k < BT_ARRAY_LEN(names) ? names[k] : "invalid";
}

/* Appends a type expression for t: named types by name, anonymous ones
 * spelled out, nesting past `depth` levels abbreviated to "...". */
static void describe_expr(bt_strbuf_t *b, const bt_wit_type_t *t, int depth) {
  t = bt_wit_type_unalias(t);
  if (!t) {
    bt_strbuf_puts(b, "_");
    return;
  }
  if (t->name) {
    bt_strbuf_puts(b, t->name);
    return;
  }
  if (depth > 3) {
    bt_strbuf_puts(b, "...");
    return;
  }
  switch (t->kind) {
    case BT_WIT_LIST:
    case BT_WIT_OPTION:
      bt_strbuf_printf(b, "%s<", bt_wit_kind_name(t->kind));
      describe_expr(b, t->target, depth + 1);
      bt_strbuf_putc(b, '>');
      break;
    case BT_WIT_OWN:
    case BT_WIT_BORROW:
      bt_strbuf_printf(b, "%s<", bt_wit_kind_name(t->kind));
      describe_expr(b, t->resource ? t->resource : t->target, depth + 1);
      bt_strbuf_putc(b, '>');
      break;
    case BT_WIT_RESULT:
      bt_strbuf_puts(b, "result");
      if (t->ok || t->err) {
        bt_strbuf_putc(b, '<');
        describe_expr(b, t->ok, depth + 1);
        if (t->err) {
          bt_strbuf_puts(b, ", ");
          describe_expr(b, t->err, depth + 1);
        }
        bt_strbuf_putc(b, '>');
      }
      break;
    case BT_WIT_TUPLE:
      bt_strbuf_puts(b, "tuple<");
      for (size_t i = 0; i < t->count; i++) {
        if (i) bt_strbuf_puts(b, ", ");
        describe_expr(b, t->types[i], depth + 1);
      }
      bt_strbuf_putc(b, '>');
      break;
    default: bt_strbuf_puts(b, bt_wit_kind_name(t->kind)); break;
  }
}

void bt_value_describe_type(bt_strbuf_t *b, const bt_wit_type_t *t) {
  t = bt_wit_type_unalias(t);
  if (t && t->name) {
    bt_strbuf_printf(b, "%s %s", bt_wit_kind_name(t->kind), t->name);
    return;
  }
  describe_expr(b, t, 0);
}

long bt_value_member_index(const bt_wit_type_t *t, const char *name, size_t n) {
  for (size_t i = 0; i < t->count; i++) {
    const char *f = t->fields[i].name;
    if (f && strlen(f) == n && memcmp(f, name, n) == 0) return (long)i;
  }
  return -1;
}

/* ---- the error context ---- */

bool bt_vctx_fail(bt_vctx_t *c, size_t offset, baton_errno_t code, const char *fmt, ...) {
  if (c->err) return false;
  if (c->path.failed) return bt_vctx_oom(c);
  bt_strbuf_t m = BT_STRBUF_INIT;
  /* The root is ".", and a path that starts with an index reads ".[2]". */
  const char *path = bt_strbuf_cstr(&c->path);
  bt_strbuf_printf(&m, "at %s%s: ", path[0] == '[' || !path[0] ? "." : "", path);
  va_list ap;
  va_start(ap, fmt);
  bt_strbuf_vprintf(&m, fmt, ap);
  va_end(ap);
  if (c->text && offset != SIZE_MAX) {
    if (offset > c->len) offset = c->len;
    size_t line = 1, col = 1;
    bool multiline = memchr(c->text, '\n', c->len) != NULL;
    for (size_t i = 0; i < offset; i++) {
      unsigned char ch = (unsigned char)c->text[i];
      if (ch == '\n') {
        line++;
        col = 1;
      } else if ((ch & 0xC0) != 0x80) {
        col++;
      }
    }
    if (multiline)
      bt_strbuf_printf(&m, " (line %zu, col %zu)", line, col);
    else
      bt_strbuf_printf(&m, " (col %zu)", col);
  }
  if (m.failed) {
    bt_strbuf_free(&m);
    return bt_vctx_oom(c);
  }
  c->err = baton_error_new(code, "%s", bt_strbuf_cstr(&m));
  bt_strbuf_free(&m);
  return false;
}

bool bt_vctx_oom(bt_vctx_t *c) {
  if (!c->err) c->err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  return false;
}

bool bt_vctx_push_name(bt_vctx_t *c, const char *name) {
  if (!bt_strbuf_printf(&c->path, ".%s", name)) return bt_vctx_oom(c);
  return true;
}

bool bt_vctx_push_index(bt_vctx_t *c, size_t index) {
  if (!bt_strbuf_printf(&c->path, "[%zu]", index)) return bt_vctx_oom(c);
  return true;
}

bool bt_vctx_enter(bt_vctx_t *c, size_t offset) {
  if (c->depth >= BT_VALUE_MAX_DEPTH)
    return bt_vctx_fail(c, offset, BATON_ELIMIT, "values nest deeper than %d levels",
                        BT_VALUE_MAX_DEPTH);
  c->depth++;
  return true;
}

void bt_vctx_leave(bt_vctx_t *c) { c->depth--; }

baton_error_t *bt_vctx_finish(bt_vctx_t *c) {
  bt_strbuf_free(&c->path);
  baton_error_t *e = c->err;
  c->err = NULL;
  return e;
}

/* ---- checking a tree against a type ---- */

/* Fails with "expected <type>, got <what>". */
static bool check_fail(bt_vctx_t *c, const bt_wit_type_t *t, const char *what) {
  bt_strbuf_t d = BT_STRBUF_INIT;
  bt_value_describe_type(&d, t);
  if (d.failed) {
    bt_strbuf_free(&d);
    return bt_vctx_oom(c);
  }
  bt_vctx_fail(c, SIZE_MAX, BATON_ETYPE, "expected %s, got %s", bt_strbuf_cstr(&d), what);
  bt_strbuf_free(&d);
  return false;
}

static bool check_value(bt_vctx_t *c, const baton_value_t *v, const bt_wit_type_t *type);

/* Checks a payload against its case type (NULL: no payload allowed), under
 * the path segment `seg` (NULL: none). */
static bool check_payload(bt_vctx_t *c, const baton_value_t *payload, const bt_wit_type_t *pt,
                          const char *seg, const char *casename) {
  if (!pt) {
    if (payload)
      return bt_vctx_fail(c, SIZE_MAX, BATON_ETYPE, "case %s has no payload, but one is given",
                          casename);
    return true;
  }
  if (!payload)
    return bt_vctx_fail(c, SIZE_MAX, BATON_ETYPE, "case %s needs a payload", casename);
  size_t mark = c->path.len;
  if (seg && !bt_vctx_push_name(c, seg)) return false;
  bool ok = check_value(c, payload, pt);
  bt_strbuf_truncate(&c->path, mark);
  return ok;
}

/* Checks v against type (see bt_value_check), extending the context's path
 * for members. Integer range failures leave the error unset in the switch and
 * get their message after it. */
static bool check_value(bt_vctx_t *c, const baton_value_t *v, const bt_wit_type_t *type) {
  const bt_wit_type_t *t = bt_wit_type_unalias(type);
  baton_value_kind_t want = t ? bt_value_kind_for(t) : 0;
  if (!want)
    return bt_vctx_fail(c, SIZE_MAX, BATON_EUNSUPPORTED, "type %s cannot carry a value",
                        t ? bt_wit_kind_name(t->kind) : "(null)");
  if (v->kind != want) {
    char what[48];
    snprintf(what, sizeof what, "a %s value", bt_value_kind_name(v->kind));
    return check_fail(c, t, what);
  }
  if (!bt_vctx_enter(c, SIZE_MAX)) return false;
  bool ok = true;
  size_t mark = c->path.len;
  switch (t->kind) {
    case BT_WIT_S8: ok = v->of.s >= INT8_MIN && v->of.s <= INT8_MAX; break;
    case BT_WIT_S16: ok = v->of.s >= INT16_MIN && v->of.s <= INT16_MAX; break;
    case BT_WIT_S32: ok = v->of.s >= INT32_MIN && v->of.s <= INT32_MAX; break;
    case BT_WIT_U8: ok = v->of.u <= UINT8_MAX; break;
    case BT_WIT_U16: ok = v->of.u <= UINT16_MAX; break;
    case BT_WIT_U32: ok = v->of.u <= UINT32_MAX; break;
    case BT_WIT_CHAR:
      if (!bt_is_scalar(v->of.ch))
        ok = bt_vctx_fail(c, SIZE_MAX, BATON_ETYPE, "char U+%X is not a Unicode scalar value",
                          (unsigned)v->of.ch);
      break;
    case BT_WIT_STRING: {
      size_t bad;
      if (!v->of.str.ptr && v->of.str.len)
        ok = bt_vctx_fail(c, SIZE_MAX, BATON_ETYPE, "string has a length but no bytes");
      else if (v->of.str.len && !bt_utf8_valid(v->of.str.ptr, v->of.str.len, &bad))
        ok = bt_vctx_fail(c, SIZE_MAX, BATON_ETYPE, "string is not valid UTF-8 (byte %zu)", bad);
      break;
    }
    case BT_WIT_LIST:
    case BT_WIT_TUPLE:
    case BT_WIT_RECORD: {
      size_t n = v->of.seq.len;
      if (n && !v->of.seq.items) {
        ok = bt_vctx_fail(c, SIZE_MAX, BATON_ETYPE, "%s has a length but no items",
                          bt_wit_kind_name(t->kind));
        break;
      }
      if (t->kind != BT_WIT_LIST && n != t->count) {
        char what[64];
        snprintf(what, sizeof what, "%zu %s", n, n == 1 ? "member" : "members");
        ok = check_fail(c, t, what);
        break;
      }
      for (size_t i = 0; ok && i < n; i++) {
        const bt_wit_type_t *et = t->kind == BT_WIT_LIST    ? t->target
                                  : t->kind == BT_WIT_TUPLE ? t->types[i]
                                                            : t->fields[i].type;
        ok = t->kind == BT_WIT_RECORD ? bt_vctx_push_name(c, t->fields[i].name)
                                      : bt_vctx_push_index(c, i);
        if (ok) ok = check_value(c, &v->of.seq.items[i], et);
        bt_strbuf_truncate(&c->path, mark);
      }
      break;
    }
    case BT_WIT_VARIANT:
    case BT_WIT_ENUM: {
      uint32_t i = v->of.var.index;
      if (i >= t->count) {
        char what[48];
        snprintf(what, sizeof what, "case index %u", (unsigned)i);
        ok = check_fail(c, t, what);
      } else {
        const bt_wit_type_t *pt = t->kind == BT_WIT_VARIANT ? t->fields[i].type : NULL;
        ok = check_payload(c, v->of.var.payload, pt, t->fields[i].name, t->fields[i].name);
      }
      break;
    }
    case BT_WIT_OPTION:
      if (v->of.var.index > 1)
        ok = check_fail(c, t, "case index > 1");
      else
        ok = check_payload(c, v->of.var.payload, v->of.var.index ? t->target : NULL, NULL,
                           v->of.var.index ? "some" : "none");
      break;
    case BT_WIT_RESULT:
      if (v->of.var.index > 1) {
        ok = check_fail(c, t, "case index > 1");
      } else {
        const char *cn = v->of.var.index ? "err" : "ok";
        ok = check_payload(c, v->of.var.payload, v->of.var.index ? t->err : t->ok, cn, cn);
      }
      break;
    case BT_WIT_FLAGS:
      if (t->count > 64)
        ok = bt_vctx_fail(c, SIZE_MAX, BATON_EUNSUPPORTED, "flags with more than 64 members");
      else if (t->count < 64 && (v->of.flags >> t->count) != 0)
        ok = check_fail(c, t, "bits set past the last flag");
      break;
    default: break;
  }
  if (!ok && !c->err) {
    char what[64];
    if (t->kind >= BT_WIT_S8 && t->kind <= BT_WIT_S32)
      snprintf(what, sizeof what, "%lld (out of range)", (long long)v->of.s);
    else
      snprintf(what, sizeof what, "%llu (out of range)", (unsigned long long)v->of.u);
    check_fail(c, t, what);
  }
  bt_vctx_leave(c);
  return ok;
}

baton_error_t *bt_value_type_supported(const bt_wit_type_t *type) {
  const bt_wit_type_t *u = bt_wit_type_unsupported(type);
  if (!u) return NULL;
  char ts[96];
  bt_wit_type_text(u, ts, sizeof ts);
  const char *why = u->kind == BT_WIT_MAP      ? "maps"
                    : u->kind == BT_WIT_RECORD ? "a record needs at least one field"
                                               : "component-model async";
  if (bt_wit_type_unalias(type) == u)
    return baton_error_new(BATON_EUNSUPPORTED, "values of type %s are not supported (%s)", ts, why);
  char whole[96];
  bt_wit_type_text(type, whole, sizeof whole);
  return baton_error_new(BATON_EUNSUPPORTED,
                         "values of type %s are not supported: it contains %s (%s)", whole, ts,
                         why);
}

baton_error_t *bt_value_check(const baton_value_t *v, const bt_wit_type_t *type) {
  baton_error_t *e = bt_value_type_supported(type);
  if (e) return e;
  bt_vctx_t c = {0};
  check_value(&c, v, type);
  return bt_vctx_finish(&c);
}

/* ---- numbers ---- */

bt_int_status_t bt_value_parse_int(const char *s, size_t n, bt_wit_kind_t kind,
                                   baton_value_t *out) {
  size_t i = 0;
  bool neg = false;
  if (i < n && s[i] == '-') {
    neg = true;
    i++;
  }
  if (i >= n) return BT_INT_NOT_INTEGER;
  uint64_t mag = 0;
  bool overflow = false;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return BT_INT_NOT_INTEGER;
    unsigned d = (unsigned)(s[i] - '0');
    if (mag > (UINT64_MAX - d) / 10)
      overflow = true;
    else
      mag = mag * 10 + d;
  }
  uint64_t umax = 0;
  int64_t smin = 0;
  baton_value_kind_t vk = 0;
  switch (kind) {
    case BT_WIT_U8: umax = UINT8_MAX, vk = BATON_VALUE_U8; break;
    case BT_WIT_U16: umax = UINT16_MAX, vk = BATON_VALUE_U16; break;
    case BT_WIT_U32: umax = UINT32_MAX, vk = BATON_VALUE_U32; break;
    case BT_WIT_U64: umax = UINT64_MAX, vk = BATON_VALUE_U64; break;
    case BT_WIT_S8: umax = INT8_MAX, smin = INT8_MIN, vk = BATON_VALUE_S8; break;
    case BT_WIT_S16: umax = INT16_MAX, smin = INT16_MIN, vk = BATON_VALUE_S16; break;
    case BT_WIT_S32: umax = INT32_MAX, smin = INT32_MIN, vk = BATON_VALUE_S32; break;
    case BT_WIT_S64: umax = INT64_MAX, smin = INT64_MIN, vk = BATON_VALUE_S64; break;
    default: return BT_INT_NOT_INTEGER;
  }
  bool is_signed = smin != 0;
  if (overflow) return BT_INT_RANGE;
  if (neg) {
    if (!is_signed) return mag == 0 ? BT_INT_NOT_INTEGER : BT_INT_RANGE;
    /* -(smin) as unsigned is the largest magnitude allowed. */
    if (mag > (uint64_t)(-(smin + 1)) + 1) return BT_INT_RANGE;
    out->kind = vk;
    out->of.s = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    return BT_INT_OK;
  }
  if (mag > umax) return BT_INT_RANGE;
  out->kind = vk;
  if (is_signed)
    out->of.s = (int64_t)mag;
  else
    out->of.u = mag;
  return BT_INT_OK;
}

int bt_value_parse_float(const char *s, size_t n, bool is_f32, double *out) {
  /* strtod reads the locale's decimal point, so translate '.' to it. */
  const char *dp = localeconv()->decimal_point;
  size_t dpn = dp && *dp ? strlen(dp) : 1;
  if (!dp || !*dp) dp = ".";
  char small[128], *buf = small;
  size_t need = n + dpn + 1;
  if (need > sizeof small) {
    buf = bt_malloc(need);
    if (!buf) return -1;
  }
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '.') {
      memcpy(buf + j, dp, dpn);
      j += dpn;
    } else {
      buf[j++] = s[i];
    }
  }
  buf[j] = 0;
  int rc = 1;
  if (is_f32) {
    float f = strtof(buf, NULL);
    if (isinf(f)) rc = 0;
    *out = f;
  } else {
    double d = strtod(buf, NULL);
    if (isinf(d)) rc = 0;
    *out = d;
  }
  if (buf != small) bt_free(buf);
  return rc;
}

size_t bt_value_format_float(double x, bool is_f32, char *buf) {
  if (isnan(x)) return (size_t)sprintf(buf, "nan");
  if (isinf(x)) return (size_t)sprintf(buf, x < 0 ? "-inf" : "inf");
  if (x == 0) return (size_t)sprintf(buf, signbit(x) ? "-0" : "0");
  /* Find the fewest significant digits that read back as the same value.
   * snprintf and strtod agree on the locale, so the round trip is exact. */
  char tmp[64];
  int max = is_f32 ? 9 : 17;
  for (int prec = 1; prec <= max; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
    if (is_f32 ? strtof(tmp, NULL) == (float)x : strtod(tmp, NULL) == x) break;
  }
  /* Pull out the digits and the exponent, skipping whatever decimal point
   * the locale used. */
  char digits[24];
  int nd = 0;
  const char *p = tmp;
  bool neg = false;
  if (*p == '-') {
    neg = true;
    p++;
  }
  for (; *p && *p != 'e' && *p != 'E'; p++)
    if (*p >= '0' && *p <= '9' && nd < (int)sizeof digits - 1) digits[nd++] = *p;
  int e10 = *p ? atoi(p + 1) : 0;
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  /* Lay out as JavaScript does: point position n = e10 + 1. */
  int n = e10 + 1;
  char *o = buf;
  if (neg) *o++ = '-';
  if (nd <= n && n <= 21) {
    memcpy(o, digits, (size_t)nd);
    o += nd;
    for (int i = nd; i < n; i++) *o++ = '0';
  } else if (0 < n && n <= 21) {
    memcpy(o, digits, (size_t)n);
    o += n;
    *o++ = '.';
    memcpy(o, digits + n, (size_t)(nd - n));
    o += nd - n;
  } else if (-6 < n && n <= 0) {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -n; i++) *o++ = '0';
    memcpy(o, digits, (size_t)nd);
    o += nd;
  } else {
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      memcpy(o, digits + 1, (size_t)(nd - 1));
      o += nd - 1;
    }
    o += sprintf(o, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
  }
  *o = 0;
  return (size_t)(o - buf);
}

/* ---- UTF-8 ---- */

bool bt_value_escape_cp(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2064) ||
         (cp >= 0x2066 && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xFDD0 && cp <= 0xFDEF) ||
         (cp & 0xFFFE) == 0xFFFE;
}

size_t bt_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
  if (n == 0) return 0;
  unsigned char c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t v, min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3F);
  }
  if (v < min || !bt_is_scalar(v)) return 0;
  *cp = v;
  return len;
}

bool bt_utf8_valid(const char *s, size_t n, size_t *bad) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    if (u[i] < 0x80) {
      i++;
      continue;
    }
    uint32_t cp;
    size_t k = bt_utf8_decode(u + i, n - i, &cp);
    if (!k) {
      if (bad) *bad = i;
      return false;
    }
    i += k;
  }
  return true;
}
