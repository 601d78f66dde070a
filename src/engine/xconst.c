/*
 * src/engine/xconst.c: folds extended constant expressions for wasm2c.
 *
 * wasm2c 1.0.32 accepts only single-instruction constant expressions (and
 * refuses --enable-extended-const outright), while baton's reader accepts
 * the extended constant expressions of WebAssembly 3.0 (i32/i64 add, sub
 * and mul). Before translation, every global initialiser and every active
 * element or data segment offset that uses them is evaluated and rewritten
 * as one i32.const or i64.const; all other bytes are copied unchanged, so
 * function, global and segment indices stay the same. An expression that
 * reads an imported global (its value is known only at instantiation) is
 * reported as unsupported.
 */
#include <string.h>

#include "engine/internal.h"
#include "util/strbuf.h"

#define XC_STACK 256

typedef struct {
  const uint8_t *p, *end;
  bt_strbuf_t *out;
  baton_error_t *err;
  const char *what; /* "global 3", "data segment 0", for messages */
  uint32_t folded;  /* expressions rewritten */
} xc_t;

static void put_uleb(bt_strbuf_t *b, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    bt_strbuf_putc(b, (char)byte);
  } while (v);
}

static void put_sleb(bt_strbuf_t *b, int64_t v) {
  for (;;) {
    uint8_t byte = v & 0x7f;
    v >>= 7; /* arithmetic shift */
    bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    if (!done) byte |= 0x80;
    bt_strbuf_putc(b, (char)byte);
    if (done) return;
  }
}

static bool fail(xc_t *x, baton_errno_t code, const char *detail) {
  if (!x->err) x->err = baton_error_new(code, "%s: %s", x->what, detail);
  return false;
}

/* Copies the input bytes from `from` up to the read position. */
static bool copy(xc_t *x, const uint8_t *from) {
  bt_strbuf_append(x->out, (const char *)from, (size_t)(x->p - from));
  return true;
}

/* Advances over k bytes of an immediate. */
static bool skip(xc_t *x, size_t k) {
  if ((size_t)(x->end - x->p) < k) return fail(x, BATON_EMALFORMED, "truncated constant expression");
  x->p += k;
  return true;
}

static bool skip_uleb(xc_t *x) {
  uint64_t v;
  return bt_wasm_read_uleb(&x->p, x->end, 64, &v) || fail(x, BATON_EMALFORMED, "bad LEB128");
}

/* Reads one constant expression and writes it folded: a lone instruction
 * is copied as it is; an expression with add/sub/mul whose operands are all
 * constants becomes one const instruction. */
static bool const_expr(xc_t *x) {
  const uint8_t *start = x->p;
  struct {
    bool known;
    bool is64;
    uint64_t v;
  } st[XC_STACK];
  uint32_t n = 0, ninstr = 0;
  bool arith = false, unknown = false;
  for (;;) {
    if (x->p >= x->end) return fail(x, BATON_EMALFORMED, "truncated constant expression");
    uint8_t op = *x->p++;
    if (op == 0x0b) break;
    ninstr++;
    if (n == XC_STACK) return fail(x, BATON_EUNSUPPORTED, "constant expression too deep");
    int64_t s;
    uint64_t u;
    switch (op) {
      case 0x41: /* i32.const */
      case 0x42: /* i64.const */
        if (!bt_wasm_read_sleb(&x->p, x->end, op == 0x41 ? 32 : 64, &s))
          return fail(x, BATON_EMALFORMED, "bad constant");
        st[n].known = true;
        st[n].is64 = op == 0x42;
        st[n++].v = (uint64_t)s;
        break;
      case 0x43: /* f32.const */
      case 0x44: /* f64.const */
      case 0xd0: /* ref.null t */
        if (!skip(x, op == 0x43 ? 4 : op == 0x44 ? 8 : 1)) return false;
        st[n++].known = false;
        break;
      case 0xd2:                                         /* ref.func */
      case 0x23:                                         /* global.get */
        if (!bt_wasm_read_uleb(&x->p, x->end, 32, &u)) return fail(x, BATON_EMALFORMED, "bad index");
        st[n].is64 = false;
        st[n++].known = false;
        unknown = unknown || op == 0x23;
        break;
      case 0xfd: /* v128.const: 0xfd 12 (as LEB) then 16 bytes */
        if (!bt_wasm_read_uleb(&x->p, x->end, 32, &u)) return fail(x, BATON_EMALFORMED, "bad opcode");
        if (!skip(x, 16)) return false;
        st[n++].known = false;
        break;
      case 0x6a: case 0x6b: case 0x6c: /* i32.add, sub, mul */
      case 0x7c: case 0x7d: case 0x7e: /* i64.add, sub, mul */
        if (n < 2) return fail(x, BATON_EINVALID, "constant expression stack underflow");
        arith = true;
        n--;
        if (st[n - 1].known && st[n].known) {
          uint64_t a = st[n - 1].v, b = st[n].v;
          int k = (op - 0x6a) % 0x12; /* 0 add, 1 sub, 2 mul */
          uint64_t r = k == 0 ? a + b : k == 1 ? a - b : a * b;
          st[n - 1].v = op <= 0x6c ? (uint64_t)(int64_t)(int32_t)(uint32_t)r : r;
        } else {
          st[n - 1].known = false;
        }
        break;
      default: return fail(x, BATON_EINVALID, "instruction not allowed in a constant expression");
    }
  }
  if (!arith || ninstr <= 1) return copy(x, start);
  if (n != 1) return fail(x, BATON_EINVALID, "constant expression leaves more than one value");
  if (unknown || !st[0].known)
    return fail(x, BATON_EUNSUPPORTED,
                "an extended constant expression that reads an imported global cannot be "
                "translated by wasm2c 1.0.32 (constant-only ones are folded)");
  bt_strbuf_putc(x->out, st[0].is64 ? 0x42 : 0x41);
  put_sleb(x->out, (int64_t)st[0].v);
  bt_strbuf_putc(x->out, 0x0b);
  x->folded++;
  return true;
}

/* Copies a vec(funcidx) or vec(expr) of an element segment. */
static bool elem_items(xc_t *x, bool exprs) {
  uint64_t count;
  const uint8_t *from = x->p;
  if (!bt_wasm_read_uleb(&x->p, x->end, 32, &count)) return fail(x, BATON_EMALFORMED, "bad count");
  copy(x, from);
  for (uint64_t i = 0; i < count; i++) {
    from = x->p;
    if (exprs ? !const_expr(x) : !(skip_uleb(x) && copy(x, from))) return false;
  }
  return true;
}

/* Rewrites the body of a global (6), element (9) or data (11) section. */
static bool section(xc_t *x, uint8_t id) {
  uint64_t count;
  const uint8_t *from = x->p;
  char what[64];
  x->what = what;
  if (!bt_wasm_read_uleb(&x->p, x->end, 32, &count)) return fail(x, BATON_EMALFORMED, "bad count");
  copy(x, from);
  for (uint64_t i = 0; i < count; i++) {
    from = x->p;
    uint64_t flags = 0;
    if (id == 6) {
      snprintf(what, sizeof what, "global %llu", (unsigned long long)i);
      if (x->end - x->p < 2) return fail(x, BATON_EMALFORMED, "truncated global");
      x->p += 2; /* valtype, mutability */
      copy(x, from);
      if (!const_expr(x)) return false;
      continue;
    }
    snprintf(what, sizeof what, "%s segment %llu", id == 9 ? "element" : "data", (unsigned long long)i);
    if (!bt_wasm_read_uleb(&x->p, x->end, 32, &flags) || flags > (id == 9 ? 7u : 2u))
      return fail(x, BATON_EMALFORMED, "bad segment flags");
    if (flags == 2 || (id == 9 && flags == 6)) skip_uleb(x); /* table or memory index */
    copy(x, from);
    if (!(flags & 1) && !const_expr(x)) return false; /* active: offset */
    from = x->p;
    if (id == 11) {
      uint64_t len;
      if (!bt_wasm_read_uleb(&x->p, x->end, 32, &len) || len > (uint64_t)(x->end - x->p))
        return fail(x, BATON_EMALFORMED, "bad data length");
      x->p += len;
      copy(x, from);
      continue;
    }
    if ((flags & 3) && !skip(x, 1)) return false; /* elemkind or reftype (not for 0 and 4) */
    copy(x, from);
    if (!elem_items(x, flags & 4)) return false;
  }
  return x->p == x->end || fail(x, BATON_EMALFORMED, "section size mismatch");
}

/* Returns whether a section body may hold an extended constant expression:
 * a quick scan for the add/sub/mul opcode bytes anywhere in it, so most
 * modules skip the rewrite. */
static bool may_have_arith(const uint8_t *p, const uint8_t *end) {
  for (; p < end; p++)
    if ((*p >= 0x6a && *p <= 0x6c) || (*p >= 0x7c && *p <= 0x7e)) return true;
  return false;
}

baton_error_t *bt_aot_fold_const_exprs(const uint8_t *bytes, size_t len, uint8_t **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  if (len < 8) return NULL;
  /* First pass: is there anything to fold? */
  bool any = false;
  for (const uint8_t *p = bytes + 8, *end = bytes + len; p < end && !any;) {
    uint8_t id = *p++;
    uint64_t size;
    if (!bt_wasm_read_uleb(&p, end, 32, &size) || size > (uint64_t)(end - p)) return NULL;
    if (id == 6 || id == 9 || id == 11) any = may_have_arith(p, p + size);
    p += size;
  }
  if (!any) return NULL;
  bt_strbuf_t b = BT_STRBUF_INIT;
  xc_t x = {.out = NULL, .err = NULL, .what = "module", .folded = 0};
  bt_strbuf_append(&b, (const char *)bytes, 8);
  for (const uint8_t *p = bytes + 8, *end = bytes + len; p < end && !x.err;) {
    const uint8_t *sec = p;
    uint8_t id = *p++;
    uint64_t size;
    if (!bt_wasm_read_uleb(&p, end, 32, &size) || size > (uint64_t)(end - p)) {
      x.err = baton_error_new(BATON_EMALFORMED, "bad section size");
      break;
    }
    const uint8_t *body = p;
    p += size;
    if (id != 6 && id != 9 && id != 11) {
      bt_strbuf_append(&b, (const char *)sec, (size_t)(p - sec));
      continue;
    }
    bt_strbuf_t s = BT_STRBUF_INIT;
    x.p = body;
    x.end = p;
    x.out = &s;
    if (section(&x, id)) {
      bt_strbuf_putc(&b, (char)id);
      put_uleb(&b, s.len);
      bt_strbuf_append(&b, s.data, s.len);
    }
    if (s.failed) b.failed = true;
    bt_strbuf_free(&s);
  }
  if (!x.err && b.failed) x.err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  if (x.err || x.folded == 0) { /* nothing to fold: wasm2c gets the bytes as they are */
    bt_strbuf_free(&b);
    return x.err;
  }
  *out_len = b.len;
  *out = (uint8_t *)bt_strbuf_take(&b, NULL);
  return NULL;
}
