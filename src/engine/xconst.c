/*
 * src/engine/xconst.c: folds extended constant expressions for wasm2c.
 *
 * wasm2c 1.0.32 accepts only single-instruction constant expressions (and
 * refuses --enable-extended-const outright), while baton's reader accepts
 * the extended constant expressions of WebAssembly 3.0 (i32/i64 add, sub
 * and mul). Before translation, every global initialiser and every active
 * element or data segment offset that uses them is evaluated and rewritten
 * as one i32.const or i64.const; all other bytes are copied unchanged, so
 * function, global and segment indices stay the same.
 *
 * An expression that reads an imported global has its value only at
 * instantiation. When a module has one, its initialisation moves into a
 * synthesised start function, in the order the spec gives: such globals
 * become mutable (in wasm2c's copy only; baton links against the original)
 * with a zero placeholder and are set first; then every active element and
 * data segment, made passive, is applied with table.init/elem.drop and
 * memory.init/data.drop in order (all of them, so that overlapping segments
 * and out-of-bounds traps keep their order); then the original start
 * function, if any, is called.
 */
#include <string.h>

#include "engine/internal.h"
#include "util/strbuf.h"

#define XC_STACK 256

typedef struct {
  char kind;       /* 'g' global, 'e' element segment, 'd' data segment */
  uint32_t index;  /* global, element or data index */
  uint32_t target; /* table of an element segment */
  uint32_t count;  /* elements or bytes of a segment */
  const uint8_t *expr;
  size_t expr_len; /* without the final end */
} xc_init_t;

typedef struct {
  const uint8_t *p, *end;
  bt_strbuf_t *out;
  baton_error_t *err;
  const char *what; /* "global 3", "data segment 0", for messages */
  uint32_t folded;  /* expressions rewritten */
  bool lift;        /* move initialisers that read globals into a start function */
  bool dynamic;     /* fold mode met one: start again in lift mode */
  uint32_t nimported_globals;
  xc_init_t *inits;
  uint32_t ninits, cap;
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

/* Appends an initialiser for the synthesised start function. */
static bool add_init(xc_t *x, xc_init_t in) {
  if (x->ninits == x->cap) {
    uint32_t cap = x->cap ? x->cap * 2 : 16;
    xc_init_t *n = bt_realloc(x->inits, sizeof *n * cap);
    if (!n) return fail(x, BATON_ENO_MEMORY, "out of memory");
    x->inits = n;
    x->cap = cap;
  }
  x->inits[x->ninits++] = in;
  return true;
}

/* Reads one constant expression and writes it folded: a lone instruction
 * is copied as it is; an expression with add/sub/mul whose operands are all
 * constants becomes one const instruction. One with add/sub/mul that reads
 * a global is written nowhere and sets *dyn in lift mode; in fold mode it
 * sets x->dynamic and fails. */
static bool const_expr(xc_t *x, bool *dyn) {
  *dyn = false;
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
  if (unknown || !st[0].known) {
    *dyn = true;
    if (x->lift) return true;
    x->dynamic = true;
    return false;
  }
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
    bool dyn;
    from = x->p;
    if (exprs ? !const_expr(x, &dyn) : !(skip_uleb(x) && copy(x, from))) return false;
  }
  return true;
}

/* Lift mode: reads a global's initialiser; one that reads a global becomes
 * a mutable global with a zero placeholder and an initialiser entry. */
static bool lift_global(xc_t *x, uint32_t i, const uint8_t *type) {
  bt_strbuf_t *out = x->out, tmp = BT_STRBUF_INIT;
  const uint8_t *expr = x->p;
  bool dyn;
  x->out = &tmp;
  bool ok = const_expr(x, &dyn);
  x->out = out;
  if (ok && !dyn) {
    bt_strbuf_append(out, (const char *)type, 2);
    bt_strbuf_append(out, tmp.data ? tmp.data : "", tmp.len);
  } else if (ok) {
    const char placeholder[] = {(char)type[0], 1, type[0] == 0x7e ? 0x42 : 0x41, 0, 0x0b};
    bt_strbuf_append(out, placeholder, sizeof placeholder);
    ok = add_init(x, (xc_init_t){'g', x->nimported_globals + i, 0, 0, expr, (size_t)(x->p - expr) - 1});
  }
  bt_strbuf_free(&tmp);
  return ok;
}

/* Lift mode: reads an active segment's offset (after its flags and index)
 * and records it; the caller writes the segment as passive. */
static bool lift_offset(xc_t *x, const uint8_t **expr, size_t *expr_len) {
  bt_strbuf_t *out = x->out, tmp = BT_STRBUF_INIT;
  bool dyn;
  *expr = x->p;
  x->out = &tmp;
  bool ok = const_expr(x, &dyn);
  x->out = out;
  bt_strbuf_free(&tmp);
  *expr_len = (size_t)(x->p - *expr) - 1;
  return ok;
}

/* Rewrites element segment i (its flags already read into `flags`, whose
 * encoding starts at `from`). */
static bool elem_entry(xc_t *x, uint32_t i, uint64_t flags, const uint8_t *from) {
  uint64_t table = 0;
  if ((flags == 2 || flags == 6) && !bt_wasm_read_uleb(&x->p, x->end, 32, &table))
    return fail(x, BATON_EMALFORMED, "bad table index");
  const uint8_t *expr = NULL;
  size_t expr_len = 0;
  bool dyn, active = !(flags & 1);
  if (x->lift && active) {
    if (!lift_offset(x, &expr, &expr_len)) return false;
    bt_strbuf_putc(x->out, flags & 4 ? 5 : 1); /* passive, then kind or type */
    if (!(flags & 3)) bt_strbuf_putc(x->out, flags & 4 ? 0x70 : 0x00);
  } else {
    copy(x, from);
    if (active && !const_expr(x, &dyn)) return false;
  }
  from = x->p;
  if ((flags & 3) && !skip(x, 1)) return false; /* elemkind or reftype (not for 0 and 4) */
  copy(x, from);
  const uint8_t *items = x->p;
  uint64_t count;
  if (!bt_wasm_read_uleb(&items, x->end, 32, &count)) return fail(x, BATON_EMALFORMED, "bad count");
  if (!elem_items(x, flags & 4)) return false;
  if (x->lift && active)
    return add_init(x, (xc_init_t){'e', i, (uint32_t)table, (uint32_t)count, expr, expr_len});
  return true;
}

/* Rewrites data segment i (flags read as for elem_entry). */
static bool data_entry(xc_t *x, uint32_t i, uint64_t flags, const uint8_t *from) {
  if (flags == 2 && !skip_uleb(x)) return false; /* memory index */
  const uint8_t *expr = NULL;
  size_t expr_len = 0;
  bool dyn, active = !(flags & 1);
  if (x->lift && active) {
    if (!lift_offset(x, &expr, &expr_len)) return false;
    bt_strbuf_putc(x->out, 1); /* passive */
  } else {
    copy(x, from);
    if (active && !const_expr(x, &dyn)) return false;
  }
  from = x->p;
  uint64_t len;
  if (!bt_wasm_read_uleb(&x->p, x->end, 32, &len) || len > (uint64_t)(x->end - x->p))
    return fail(x, BATON_EMALFORMED, "bad data length");
  x->p += len;
  copy(x, from);
  if (x->lift && active) return add_init(x, (xc_init_t){'d', i, 0, (uint32_t)len, expr, expr_len});
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
    bool dyn;
    if (id == 6) {
      snprintf(what, sizeof what, "global %llu", (unsigned long long)i);
      if (!skip(x, 2)) return false; /* valtype, mutability */
      if (x->lift) {
        if (!lift_global(x, (uint32_t)i, from)) return false;
      } else if (!(copy(x, from) && const_expr(x, &dyn))) {
        return false;
      }
      continue;
    }
    snprintf(what, sizeof what, "%s segment %llu", id == 9 ? "element" : "data", (unsigned long long)i);
    if (!bt_wasm_read_uleb(&x->p, x->end, 32, &flags) || flags > (id == 9 ? 7u : 2u))
      return fail(x, BATON_EMALFORMED, "bad segment flags");
    if (!(id == 9 ? elem_entry(x, (uint32_t)i, flags, from) : data_entry(x, (uint32_t)i, flags, from)))
      return false;
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

/* ---- lift mode: a synthesised start function ---- */

static void emit_section(bt_strbuf_t *b, uint8_t id, const bt_strbuf_t *body) {
  bt_strbuf_putc(b, (char)id);
  put_uleb(b, body->len);
  bt_strbuf_append(b, body->data ? body->data : "", body->len);
}

/* Counts function and global imports in an import section body. */
static bool count_imports(const uint8_t *p, const uint8_t *end, uint32_t *nfuncs, uint32_t *nglobals) {
  uint64_t n, l, v;
  if (!bt_wasm_read_uleb(&p, end, 32, &n)) return false;
  for (uint64_t i = 0; i < n; i++) {
    for (int k = 0; k < 2; k++) {
      if (!bt_wasm_read_uleb(&p, end, 32, &l) || l > (uint64_t)(end - p)) return false;
      p += l;
    }
    if (p >= end) return false;
    uint8_t kind = *p++, flags;
    switch (kind) {
      case 0: (*nfuncs)++; if (!bt_wasm_read_uleb(&p, end, 32, &v)) return false; break;
      case 1: case 2: /* table: reftype then limits; memory: limits */
        if (kind == 1 && p++ >= end) return false;
        if (p >= end) return false;
        flags = *p++;
        if (!bt_wasm_read_uleb(&p, end, 64, &v) || ((flags & 1) && !bt_wasm_read_uleb(&p, end, 64, &v)))
          return false;
        break;
      case 3: (*nglobals)++; if (end - p < 2) return false; p += 2; break;
      default: return false;
    }
  }
  return true;
}

/* Writes the type section (body p..end, or none) into out with a type
 * [] -> [] appended unless it has one; *ftype is that type's index. */
static bool type_section(const uint8_t *p, const uint8_t *end, bt_strbuf_t *out, uint32_t *ftype) {
  uint64_t n = 0, np, nr;
  const uint8_t *entries = p;
  if (p && !bt_wasm_read_uleb(&entries, end, 32, &n)) return false;
  const uint8_t *q = entries;
  for (uint64_t i = 0; i < n; i++) {
    if (q >= end || *q++ != 0x60) return false;
    if (!bt_wasm_read_uleb(&q, end, 32, &np) || np > (uint64_t)(end - q)) return false;
    q += np;
    if (!bt_wasm_read_uleb(&q, end, 32, &nr) || nr > (uint64_t)(end - q)) return false;
    q += nr;
    if (np == 0 && nr == 0) {
      *ftype = (uint32_t)i;
      bt_strbuf_append(out, (const char *)p, (size_t)(end - p));
      return true;
    }
  }
  *ftype = (uint32_t)n;
  put_uleb(out, n + 1);
  if (p) bt_strbuf_append(out, (const char *)entries, (size_t)(end - entries));
  bt_strbuf_append(out, "\x60\x00\x00", 3);
  return true;
}

/* Writes the code entry of the start function: the initialisers in order,
 * then a call of the original start function (start >= 0). */
static void start_function(const xc_t *x, int64_t start, bt_strbuf_t *out) {
  bt_strbuf_t f = BT_STRBUF_INIT;
  bt_strbuf_putc(&f, 0); /* no locals */
  for (uint32_t i = 0; i < x->ninits; i++) {
    const xc_init_t *in = &x->inits[i];
    bt_strbuf_append(&f, (const char *)in->expr, in->expr_len);
    if (in->kind == 'g') {
      bt_strbuf_putc(&f, 0x24); /* global.set */
      put_uleb(&f, in->index);
      continue;
    }
    bt_strbuf_append(&f, "\x41\x00\x41", 3); /* source offset 0, length */
    put_sleb(&f, (int32_t)in->count);
    bt_strbuf_putc(&f, (char)0xfc);
    put_uleb(&f, in->kind == 'e' ? 12 : 8); /* table.init / memory.init */
    put_uleb(&f, in->index);
    put_uleb(&f, in->target);
    bt_strbuf_putc(&f, (char)0xfc);
    put_uleb(&f, in->kind == 'e' ? 13 : 9); /* elem.drop / data.drop */
    put_uleb(&f, in->index);
  }
  if (start >= 0) {
    bt_strbuf_putc(&f, 0x10); /* call */
    put_uleb(&f, (uint64_t)start);
  }
  bt_strbuf_putc(&f, 0x0b);
  put_uleb(out, f.len);
  bt_strbuf_append(out, f.data, f.len);
  if (f.failed) out->failed = true;
  bt_strbuf_free(&f);
}

/* Section order rank (the data count section sits before code). */
static int rank(uint8_t id) {
  static const int r[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
  return id < 13 ? r[id] : 0;
}

typedef struct {
  const uint8_t *body[13];
  size_t size[13];
  bt_strbuf_t types, rewritten[13], fn;
  uint32_t ftype, fidx;
  uint64_t ndefined, ndata;
  bool emitted[13];
} xc_lift_t;

/* Writes section `id` of the lifted module: the original with the start
 * function added, or a new one when the module has none. */
static void lift_emit(xc_lift_t *l, uint8_t id, bt_strbuf_t *b) {
  bt_strbuf_t s = BT_STRBUF_INIT;
  const uint8_t *p = l->body[id], *end = p ? p + l->size[id] : NULL;
  uint64_t n = 0;
  if (p) bt_wasm_read_uleb(&p, end, 32, &n);
  switch (id) {
    case 1: emit_section(b, 1, &l->types); break;
    case 3:
    case 10:
      put_uleb(&s, n + 1);
      if (p) bt_strbuf_append(&s, (const char *)p, (size_t)(end - p));
      if (id == 3) put_uleb(&s, l->ftype);
      else bt_strbuf_append(&s, l->fn.data, l->fn.len);
      emit_section(b, id, &s);
      break;
    case 8: put_uleb(&s, l->fidx); emit_section(b, 8, &s); break;
    case 12: put_uleb(&s, l->ndata); emit_section(b, 12, &s); break;
    default: emit_section(b, id, &l->rewritten[id]); break;
  }
  bt_strbuf_free(&s);
  l->emitted[id] = true;
}

/* Emits the synthesised sections the module lacks that go before rank r. */
static void lift_missing(xc_lift_t *l, int r, bt_strbuf_t *b) {
  static const uint8_t ids[] = {1, 3, 8, 12, 10};
  for (size_t i = 0; i < sizeof ids; i++) {
    uint8_t id = ids[i];
    if (l->body[id] || l->emitted[id] || rank(id) >= r) continue;
    if (id == 12 && l->ndata == 0) continue;
    lift_emit(l, id, b);
  }
}

/* Rewrites a module whose initialisers read globals (see the top). */
static baton_error_t *lift_module(const uint8_t *bytes, size_t len, uint8_t **out, size_t *out_len) {
  xc_lift_t l;
  memset(&l, 0, sizeof l);
  for (const uint8_t *p = bytes + 8, *end = bytes + len; p < end;) {
    uint8_t id = *p++;
    uint64_t size;
    if (!bt_wasm_read_uleb(&p, end, 32, &size) || size > (uint64_t)(end - p))
      return baton_error_new(BATON_EMALFORMED, "bad section size");
    if (id > 0 && id < 13 && !l.body[id]) {
      l.body[id] = p;
      l.size[id] = size;
    }
    p += size;
  }
  uint32_t nfuncs = 0, nglobals = 0;
  int64_t start = -1;
  uint64_t v;
  const uint8_t *q;
  if (l.body[2] && !count_imports(l.body[2], l.body[2] + l.size[2], &nfuncs, &nglobals))
    return baton_error_new(BATON_EMALFORMED, "import section could not be read");
  if ((q = l.body[3])) bt_wasm_read_uleb(&q, q + l.size[3], 32, &l.ndefined);
  if ((q = l.body[8]) && bt_wasm_read_uleb(&q, q + l.size[8], 32, &v)) start = (int64_t)v;
  if ((q = l.body[11])) bt_wasm_read_uleb(&q, q + l.size[11], 32, &l.ndata);
  l.fidx = nfuncs + (uint32_t)l.ndefined;
  xc_t x = {.what = "module", .lift = true, .nimported_globals = nglobals};
  static const uint8_t lifted[] = {6, 9, 11};
  for (size_t i = 0; i < sizeof lifted && !x.err; i++) {
    uint8_t id = lifted[i];
    if (!l.body[id]) continue;
    x.p = l.body[id];
    x.end = x.p + l.size[id];
    x.out = &l.rewritten[id];
    section(&x, id);
  }
  if (!x.err && !type_section(l.body[1], l.body[1] ? l.body[1] + l.size[1] : NULL, &l.types, &l.ftype))
    x.err = baton_error_new(BATON_EMALFORMED, "type section could not be read");
  bt_strbuf_t b = BT_STRBUF_INIT;
  if (!x.err) {
    start_function(&x, start, &l.fn);
    bt_strbuf_append(&b, (const char *)bytes, 8);
    for (const uint8_t *p = bytes + 8, *end = bytes + len; p < end;) {
      const uint8_t *sec = p;
      uint8_t id = *p++;
      uint64_t size;
      bt_wasm_read_uleb(&p, end, 32, &size);
      p += size;
      if (rank(id) > 0) lift_missing(&l, rank(id), &b);
      if (id == 1 || id == 3 || id == 6 || id == 8 || id == 9 || id == 10 || id == 11) lift_emit(&l, id, &b);
      else bt_strbuf_append(&b, (const char *)sec, (size_t)(p - sec));
    }
    lift_missing(&l, 99, &b);
  }
  bool failed = b.failed || l.types.failed || l.fn.failed;
  for (int i = 0; i < 13; i++) failed = failed || l.rewritten[i].failed, bt_strbuf_free(&l.rewritten[i]);
  bt_strbuf_free(&l.types);
  bt_strbuf_free(&l.fn);
  bt_free(x.inits);
  if (!x.err && failed) x.err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  if (x.err) {
    bt_strbuf_free(&b);
    return x.err;
  }
  *out_len = b.len;
  *out = (uint8_t *)bt_strbuf_take(&b, NULL);
  return NULL;
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
  for (const uint8_t *p = bytes + 8, *end = bytes + len; p < end && !x.err && !x.dynamic;) {
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
  if (x.dynamic && !x.err) {
    bt_strbuf_free(&b);
    return lift_module(bytes, len, out, out_len);
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
