/*
 * src/wasm/simd_lower.c: rewrites a module that uses v128 into one that does
 * not, so that wasm2c 1.0.32 (which aborts on any SIMD) can translate it.
 *
 * Every v128 value becomes two i64 values (low half, then high half): in
 * function types, block types (a v128 block type becomes a new type index
 * [] -> [i64 i64]), locals, globals (a v128 global becomes two consecutive
 * i64 globals; an imported one becomes the original import for the low half
 * plus an extra import "<name> (v128 hi)" for the high half) and on the
 * operand stack (drop, select, local and global access are doubled). Every
 * SIMD instruction except v128.const becomes a call to an imported function
 * of module "bt:simd" whose name is the mnemonic followed by its immediates
 * in decimal ("v128.load 16" = offset 16, "i8x16.extract_lane_s 3",
 * "v128.store32_lane 0 3" = offset 0 lane 3, "i8x16.shuffle 0 17 ..."); a
 * v128 select becomes "v128.select". v128.const becomes two i64.const. The
 * glue (src/engine/simd_glue.c) defines those functions.
 *
 * Import order in the output: the original imports (indices unchanged), then
 * the high halves of imported v128 globals, then the "bt:simd" functions.
 * Function indices of defined functions shift by the number of helpers;
 * global indices shift by the split globals. Code is rewritten in two passes
 * (the first only collects helpers, so the second knows the final index
 * space). A per-function stack of "is this operand v128" facts drives drop
 * and select; the input must already be valid. Code after unreachable, br,
 * br_table and return up to the end of its block is dropped (it is dead and
 * its stack is polymorphic). Custom sections (names included) are dropped.
 * This overlaps with a function-body validator only in decoding immediates
 * and stack heights; it checks nothing beyond what it needs to stay safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "wasm/wasm.h"

#define V128 BT_WASM_V128
#define SCALAR 0x01 /* any non-v128 value on the operand stack */

typedef struct {
  const uint8_t *p, *end;
  bool bad;
} cur_t;

typedef struct {
  const char *name;
  uint32_t code;
  int imm, align, lanes;
  const char *params, *results;
} op_t;

enum { NONE, MEMARG, MEMARG_LANE, LANE, SHUFFLE, V128CONST };

static const op_t k_ops[] = {
#define BT_SIMD_OP(code, name, imm, align, lanes, params, results) {name, code, imm, align, lanes, params, results},
#include "wasm/simd_ops.def"
#undef BT_SIMD_OP
};

typedef struct {
  char *name;
  char params[8], results[4]; /* lowered letters: v expanded to jj */
} helper_t;

typedef struct {
  uint8_t kind; /* 0x02 block, 0x03 loop, 0x04 if, 0 function */
  uint32_t height;
  uint32_t np, nr;
  const uint8_t *params, *results;
  uint8_t single;
  bool unreachable;
} frame_t;

typedef struct {
  const bt_wasm_module_t *m;
  const char *err;
  /* globals: original index -> lowered lo / hi index, type */
  uint32_t nglob;
  uint32_t *glo, *ghi;
  uint8_t *gtype;
  uint32_t nimp_hi; /* imported v128 globals (extra hi imports) */
  uint32_t nfimp;   /* imported functions */
  helper_t *helpers;
  uint32_t nhelpers, caphelpers;
  bool any; /* the module uses v128 somewhere */
  uint64_t last_align; /* memarg flags of the SIMD instruction being lowered */
  /* per-function scratch */
  uint8_t *stack;
  uint32_t sp, scap;
  frame_t *frames;
  uint32_t nframes, fcap;
} low_t;

/* ---- encoding ---- */

static void put_u(bt_strbuf_t *b, uint64_t v) {
  do {
    uint8_t c = v & 0x7f;
    v >>= 7;
    if (v) c |= 0x80;
    bt_strbuf_putc(b, (char)c);
  } while (v);
}

static void put_s(bt_strbuf_t *b, int64_t v) {
  for (;;) {
    uint8_t c = v & 0x7f;
    v >>= 7; /* arithmetic shift */
    bool done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
    if (!done) c |= 0x80;
    bt_strbuf_putc(b, (char)c);
    if (done) break;
  }
}

static void put_byte(bt_strbuf_t *b, uint8_t c) { bt_strbuf_putc(b, (char)c); }

static void put_name(bt_strbuf_t *b, const char *s, size_t len) {
  put_u(b, len);
  bt_strbuf_append(b, s, len);
}

/* Appends section `id` with the contents of body. */
static void put_section(bt_strbuf_t *out, uint8_t id, const bt_strbuf_t *body) {
  put_byte(out, id);
  put_u(out, body->len);
  bt_strbuf_append(out, body->data ? body->data : "", body->len);
}

/* ---- decoding ---- */

static uint64_t rd_u(cur_t *c, unsigned bits) {
  uint64_t v = 0;
  if (c->bad || !bt_wasm_read_uleb(&c->p, c->end, bits, &v)) c->bad = true;
  return v;
}

static int64_t rd_s(cur_t *c, unsigned bits) {
  int64_t v = 0;
  if (c->bad || !bt_wasm_read_sleb(&c->p, c->end, bits, &v)) c->bad = true;
  return v;
}

static uint8_t rd_b(cur_t *c) {
  if (c->bad || c->p >= c->end) {
    c->bad = true;
    return 0;
  }
  return *c->p++;
}

static const uint8_t *rd_n(cur_t *c, size_t n) {
  if (c->bad || (size_t)(c->end - c->p) < n) {
    c->bad = true;
    return NULL;
  }
  const uint8_t *at = c->p;
  c->p += n;
  return at;
}

/* ---- module facts ---- */

static uint32_t map_func(const low_t *L, uint64_t f) {
  return f < L->nfimp ? (uint32_t)f : (uint32_t)f + L->nhelpers;
}

static bool type_has_v128(const bt_wasm_functype_t *t) {
  for (uint32_t i = 0; i < t->nparams; i++)
    if (t->params[i] == V128) return true;
  for (uint32_t i = 0; i < t->nresults; i++)
    if (t->results[i] == V128) return true;
  return false;
}

/* Builds the global index maps. */
static bool map_globals(low_t *L) {
  const bt_wasm_module_t *m = L->m;
  L->nglob = m->nimported_globals + m->nglobals;
  L->glo = bt_calloc(L->nglob + 1, sizeof *L->glo);
  L->ghi = bt_calloc(L->nglob + 1, sizeof *L->ghi);
  L->gtype = bt_calloc(L->nglob + 1, 1);
  if (!L->glo || !L->ghi || !L->gtype) return false;
  uint32_t g = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == BT_WASM_EXTERN_GLOBAL) {
      L->gtype[g] = m->imports[i].u.global.valtype;
      L->glo[g] = g;
      if (L->gtype[g] == V128) L->ghi[g] = m->nimported_globals + L->nimp_hi++;
      g++;
    }
  uint32_t next = m->nimported_globals + L->nimp_hi;
  for (uint32_t i = 0; i < m->nglobals; i++, g++) {
    L->gtype[g] = m->globals[i].valtype;
    L->glo[g] = next++;
    if (L->gtype[g] == V128) L->ghi[g] = next++;
  }
  if (L->nimp_hi) L->any = true;
  for (uint32_t i = 0; i < m->nglobals; i++)
    if (m->globals[i].valtype == V128) L->any = true;
  for (uint32_t i = 0; i < m->ntypes; i++)
    if (type_has_v128(&m->types[i])) L->any = true;
  return true;
}

/* Returns the index of the helper with this name, adding it if new. */
static uint32_t helper(low_t *L, const char *name, const char *params, const char *results) {
  for (uint32_t i = 0; i < L->nhelpers; i++)
    if (!strcmp(L->helpers[i].name, name)) return i;
  if (L->nhelpers == L->caphelpers) {
    uint32_t cap = L->caphelpers ? L->caphelpers * 2 : 32;
    helper_t *nh = bt_realloc(L->helpers, cap * sizeof *nh);
    if (!nh) {
      L->err = "out of memory";
      return 0;
    }
    L->helpers = nh;
    L->caphelpers = cap;
  }
  helper_t *h = &L->helpers[L->nhelpers];
  memset(h, 0, sizeof *h);
  h->name = bt_strdup(name);
  if (!h->name) {
    L->err = "out of memory";
    return 0;
  }
  size_t n = 0;
  for (const char *s = params; *s; s++) {
    if (*s == 'v') h->params[n++] = 'j';
    h->params[n++] = *s == 'v' ? 'j' : *s;
  }
  n = 0;
  for (const char *s = results; *s; s++) {
    if (*s == 'v') h->results[n++] = 'j';
    h->results[n++] = *s == 'v' ? 'j' : *s;
  }
  return L->nhelpers++;
}

/* ---- operand stack ---- */

static void push(low_t *L, uint8_t t) {
  if (L->sp == L->scap) {
    uint32_t cap = L->scap ? L->scap * 2 : 64;
    uint8_t *ns = bt_realloc(L->stack, cap);
    if (!ns) {
      L->err = "out of memory";
      return;
    }
    L->stack = ns;
    L->scap = cap;
  }
  L->stack[L->sp++] = t == V128 ? V128 : SCALAR;
}

static uint8_t pop(low_t *L) {
  frame_t *f = &L->frames[L->nframes - 1];
  if (L->sp <= f->height) {
    L->err = "operand stack underflow";
    return SCALAR;
  }
  return L->stack[--L->sp];
}

static void pop_n(low_t *L, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) pop(L);
}

static void push_all(low_t *L, const uint8_t *t, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) push(L, t[i]);
}

static frame_t *push_frame(low_t *L) {
  if (L->nframes == L->fcap) {
    uint32_t cap = L->fcap ? L->fcap * 2 : 16;
    frame_t *nf = bt_realloc(L->frames, cap * sizeof *nf);
    if (!nf) {
      L->err = "out of memory";
      return NULL;
    }
    L->frames = nf;
    L->fcap = cap;
  }
  frame_t *f = &L->frames[L->nframes++];
  memset(f, 0, sizeof *f);
  return f;
}

static void set_unreachable(low_t *L) {
  frame_t *f = &L->frames[L->nframes - 1];
  L->sp = f->height;
  f->unreachable = true;
}

/* ---- constant expressions ---- */

/* Copies a constant expression ending in `end`, remapping function and
 * global indices. For a v128 expression, half selects which i64 half (0 lo,
 * 1 hi) to produce. Returns false on an unknown instruction. */
static bool lower_const(low_t *L, cur_t *c, bt_strbuf_t *o, int half) {
  for (;;) {
    uint8_t op = rd_b(c);
    if (c->bad) return false;
    switch (op) {
      case 0x0b: put_byte(o, op); return true;
      case 0x41: put_byte(o, op); put_s(o, rd_s(c, 32)); break;
      case 0x42: put_byte(o, op); put_s(o, rd_s(c, 64)); break;
      case 0x43: put_byte(o, op); bt_strbuf_append(o, (const char *)rd_n(c, 4), c->bad ? 0 : 4); break;
      case 0x44: put_byte(o, op); bt_strbuf_append(o, (const char *)rd_n(c, 8), c->bad ? 0 : 8); break;
      case 0xd0: put_byte(o, op); put_byte(o, rd_b(c)); break;
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e:
        put_byte(o, op); /* extended constant expressions (folded later) */
        break;
      case 0xd2: put_byte(o, op); put_u(o, map_func(L, rd_u(c, 32))); break;
      case 0x23: {
        uint64_t g = rd_u(c, 32);
        if (g >= L->nglob) return false;
        put_byte(o, op);
        put_u(o, half == 1 && L->gtype[g] == V128 ? L->ghi[g] : L->glo[g]);
        break;
      }
      case 0xfd: {
        if (rd_u(c, 32) != 0x0c) return false;
        const uint8_t *v = rd_n(c, 16);
        if (!v) return false;
        uint64_t x;
        memcpy(&x, v + (half == 1 ? 8 : 0), 8); /* little-endian host */
        put_byte(o, 0x42);
        put_s(o, (int64_t)x);
        break;
      }
      default: return false;
    }
  }
}

/* ---- function bodies ---- */

typedef struct {
  uint32_t n;       /* original locals incl. params */
  uint8_t *type;    /* original type of each */
  uint32_t *index;  /* lowered index of each (hi is index + 1) */
} locals_t;

static const op_t *find_op(uint32_t code) {
  for (size_t i = 0; i < BT_ARRAY_LEN(k_ops); i++)
    if (k_ops[i].code == code) return &k_ops[i];
  return NULL;
}


/* Reads a memarg; returns its offset. */
static uint64_t memarg(cur_t *c, uint64_t *align_out) {
  uint64_t align = rd_u(c, 32);
  if (align_out) *align_out = align;
  if (align & 0x40) rd_u(c, 32); /* multi-memory index */
  return rd_u(c, 64);
}

/* Skips the block type at c. */
static void skip_block_type(cur_t *c) {
  uint8_t b = c->p < c->end ? *c->p : 0;
  if (b == 0x40 || b == 0x7f || b == 0x7e || b == 0x7d || b == 0x7c || b == 0x7b || b == 0x70 || b == 0x6f)
    c->p++;
  else
    rd_s(c, 33);
}

/* Skips the immediates of 0xFC sub-opcode sub; sets *pops / *pushes. */
static bool skip_fc(cur_t *c, uint32_t sub, int *pops, int *pushes) {
  *pops = 0;
  *pushes = 0;
  if (sub <= 7) { *pops = 1; *pushes = 1; }
  else if (sub == 8 || sub == 10 || sub == 12 || sub == 14) { rd_u(c, 32); rd_u(c, 32); *pops = 3; }
  else if (sub == 9 || sub == 13) { rd_u(c, 32); }
  else if (sub == 11 || sub == 17) { rd_u(c, 32); *pops = 3; }
  else if (sub == 15) { rd_u(c, 32); *pops = 2; *pushes = 1; }
  else if (sub == 16) { rd_u(c, 32); *pushes = 1; }
  else return false;
  return true;
}

/* Skips the immediates of a SIMD instruction; returns its table entry. */
static const op_t *skip_fd(cur_t *c, uint64_t *off, uint8_t *lane, const uint8_t **bytes, uint64_t *align) {
  const op_t *op = find_op((uint32_t)rd_u(c, 32));
  if (!op) return NULL;
  switch (op->imm) {
    case MEMARG: *off = memarg(c, align); break;
    case MEMARG_LANE: *off = memarg(c, align); *lane = rd_b(c); break;
    case LANE: *lane = rd_b(c); break;
    case SHUFFLE: case V128CONST: *bytes = rd_n(c, 16); break;
    default: break;
  }
  return op;
}

/* Skips the immediates of any instruction `op` (already read). Returns false
 * for an unknown opcode. */
static bool skip_imm(cur_t *c, uint8_t op) {
  int pops, pushes;
  uint64_t off;
  uint8_t lane;
  const uint8_t *bytes;
  switch (op) {
    case 0x02: case 0x03: case 0x04: skip_block_type(c); return true;
    case 0x0c: case 0x0d: case 0x10: case 0x12: case 0xd2: rd_u(c, 32); return true;
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: rd_u(c, 32); return true;
    case 0x3f: case 0x40: rd_u(c, 32); return true;
    case 0x11: case 0x13: rd_u(c, 32); rd_u(c, 32); return true;
    case 0x0e: {
      uint64_t n = rd_u(c, 32);
      for (uint64_t i = 0; i <= n && !c->bad; i++) rd_u(c, 32);
      return true;
    }
    case 0x1c: {
      uint64_t n = rd_u(c, 32);
      rd_n(c, n);
      return true;
    }
    case 0x41: rd_s(c, 32); return true;
    case 0x42: rd_s(c, 64); return true;
    case 0x43: rd_n(c, 4); return true;
    case 0x44: rd_n(c, 8); return true;
    case 0xd0: rd_b(c); return true;
    case 0xfc: return skip_fc(c, (uint32_t)rd_u(c, 32), &pops, &pushes);
    case 0xfd: return skip_fd(c, &off, &lane, &bytes, NULL) != NULL;
    case 0x00: case 0x01: case 0x05: case 0x0b: case 0x0f: case 0x1a: case 0x1b: case 0xd1: return true;
    default:
      if (op >= 0x28 && op <= 0x3e) {
        memarg(c, NULL);
        return true;
      }
      return op >= 0x45 && op <= 0xc4;
  }
}

static void emit_call(low_t *L, bt_strbuf_t *o, uint32_t h) {
  put_byte(o, 0x10);
  put_u(o, L->nfimp + h);
}

static bool mem0_is64(const bt_wasm_module_t *m) {
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == BT_WASM_EXTERN_MEMORY) return m->imports[i].u.memory.is64;
  return m->nmemories > 0 && m->memories[0].is64;
}

/* Checks what wasm2c cannot see once the instruction is a call: lane
 * indices, alignment and the presence of a memory. */
static bool simd_imm_ok(low_t *L, const op_t *op, uint8_t lane, const uint8_t *bytes) {
  if (op->imm == LANE || op->imm == MEMARG_LANE) {
    if (lane >= op->lanes) L->err = "invalid lane index";
  }
  for (int i = 0; op->imm == SHUFFLE && i < 16; i++)
    if (bytes[i] >= 32) L->err = "invalid lane index";
  if (op->imm == MEMARG || op->imm == MEMARG_LANE) {
    if (L->m->nimported_memories + L->m->nmemories == 0) L->err = "unknown memory 0";
    else if (mem0_is64(L->m)) L->err = "SIMD memory instructions on a 64-bit memory";
    if (L->last_align > (uint64_t)op->align) L->err = "alignment must not be larger than natural";
  }
  return L->err == NULL;
}

/* Lowers one 0xFD instruction (prefix already read). */
static void simd_op(low_t *L, cur_t *c, bt_strbuf_t *o) {
  uint64_t off = 0;
  uint8_t lane = 0;
  const uint8_t *bytes = NULL;
  const op_t *op = skip_fd(c, &off, &lane, &bytes, &L->last_align);
  L->any = true;
  if (!op || c->bad) {
    L->err = "unknown or truncated SIMD instruction";
    return;
  }
  if (!simd_imm_ok(L, op, lane, bytes)) return;
  if (off > UINT32_MAX) {
    L->err = "SIMD memory offset beyond 32 bits";
    return;
  }
  pop_n(L, (uint32_t)strlen(op->params));
  for (const char *r = op->results; *r; r++) push(L, *r == 'v' ? V128 : SCALAR);
  if (op->imm == V128CONST) {
    uint64_t lo, hi;
    memcpy(&lo, bytes, 8); /* little-endian host */
    memcpy(&hi, bytes + 8, 8);
    put_byte(o, 0x42);
    put_s(o, (int64_t)lo);
    put_byte(o, 0x42);
    put_s(o, (int64_t)hi);
    return;
  }
  char name[160];
  size_t n = (size_t)snprintf(name, sizeof name, "%s", op->name);
  if (op->imm == MEMARG || op->imm == MEMARG_LANE)
    n += (size_t)snprintf(name + n, sizeof name - n, " %llu", (unsigned long long)off);
  if (op->imm == MEMARG_LANE || op->imm == LANE) snprintf(name + n, sizeof name - n, " %u", lane);
  for (int i = 0; op->imm == SHUFFLE && i < 16; i++)
    n += (size_t)snprintf(name + n, sizeof name - n, " %u", bytes[i]);
  emit_call(L, o, helper(L, name, op->params, op->results));
}

static void local_op(low_t *L, const locals_t *lc, cur_t *c, bt_strbuf_t *o, uint8_t op) {
  uint64_t x = rd_u(c, 32);
  if (c->bad || x >= lc->n) {
    L->err = "bad local index";
    return;
  }
  uint32_t lo = lc->index[x];
  bool v = lc->type[x] == V128;
  if (op == 0x20) push(L, lc->type[x]);
  else if (op == 0x21) pop(L);
  if (!v) {
    put_byte(o, op);
    put_u(o, lo);
  } else if (op == 0x20) {
    put_byte(o, 0x20); put_u(o, lo);
    put_byte(o, 0x20); put_u(o, lo + 1);
  } else if (op == 0x21) {
    put_byte(o, 0x21); put_u(o, lo + 1);
    put_byte(o, 0x21); put_u(o, lo);
  } else {
    put_byte(o, 0x21); put_u(o, lo + 1);
    put_byte(o, 0x22); put_u(o, lo);
    put_byte(o, 0x20); put_u(o, lo + 1);
  }
}

static void global_op(low_t *L, cur_t *c, bt_strbuf_t *o, uint8_t op) {
  uint64_t g = rd_u(c, 32);
  if (c->bad || g >= L->nglob) {
    L->err = "bad global index";
    return;
  }
  bool v = L->gtype[g] == V128;
  if (op == 0x23) {
    push(L, L->gtype[g]);
    put_byte(o, 0x23); put_u(o, L->glo[g]);
    if (v) { put_byte(o, 0x23); put_u(o, L->ghi[g]); }
  } else {
    pop(L);
    if (v) { put_byte(o, 0x24); put_u(o, L->ghi[g]); }
    put_byte(o, 0x24); put_u(o, L->glo[g]);
  }
}

static void call_effect(low_t *L, const bt_wasm_functype_t *t) {
  if (!t) {
    L->err = "bad function or type index";
    return;
  }
  pop_n(L, t->nparams);
  push_all(L, t->results, t->nresults);
}

/* Pushes the frame of a block, loop or if whose block type is at c, and
 * emits the lowered block type. */
static void block_op(low_t *L, cur_t *c, bt_strbuf_t *o, uint8_t kind) {
  const bt_wasm_module_t *m = L->m;
  uint8_t b = c->p < c->end ? *c->p : 0;
  frame_t tmp = {.kind = kind};
  put_byte(o, kind);
  if (b == 0x40) {
    c->p++;
    put_byte(o, 0x40);
  } else if (b == 0x7f || b == 0x7e || b == 0x7d || b == 0x7c || b == 0x7b || b == 0x70 || b == 0x6f) {
    c->p++;
    tmp.single = b;
    tmp.nr = 1;
    if (b == V128) {
      L->any = true;
      put_s(o, m->ntypes); /* the appended [] -> [i64 i64] type */
    } else {
      put_byte(o, b);
    }
  } else {
    int64_t t = rd_s(c, 33);
    if (c->bad || t < 0 || (uint64_t)t >= m->ntypes) {
      L->err = "bad block type";
      return;
    }
    put_s(o, t);
    tmp.np = m->types[t].nparams;
    tmp.params = m->types[t].params;
    tmp.nr = m->types[t].nresults;
    tmp.results = m->types[t].results;
  }
  if (kind == 0x04) pop(L);
  pop_n(L, tmp.np);
  tmp.height = L->sp;
  frame_t *f = push_frame(L);
  if (!f) return;
  *f = tmp;
  push_all(L, f->params, f->np);
}

static void end_op(low_t *L, bt_strbuf_t *o, bool *done) {
  frame_t f = L->frames[--L->nframes];
  put_byte(o, 0x0b);
  L->sp = f.height;
  if (f.nr == 1 && !f.results) push(L, f.single);
  else push_all(L, f.results, f.nr);
  if (L->nframes == 0) *done = true;
}

static void else_op(low_t *L, bt_strbuf_t *o) {
  frame_t *f = &L->frames[L->nframes - 1];
  put_byte(o, 0x05);
  L->sp = f->height;
  f->unreachable = false;
  push_all(L, f->params, f->np);
}

/* drop, select and typed select. */
static void parametric_op(low_t *L, cur_t *c, bt_strbuf_t *o, uint8_t op) {
  if (op == 0x1a) {
    uint8_t t = pop(L);
    put_byte(o, 0x1a);
    if (t == V128) put_byte(o, 0x1a);
    return;
  }
  uint8_t t = 0;
  if (op == 0x1c) {
    if (rd_u(c, 32) != 1) L->err = "bad select type";
    t = rd_b(c);
  }
  pop(L);
  uint8_t b = pop(L);
  pop(L);
  if (op == 0x1b) t = b;
  push(L, t);
  if (t == V128) emit_call(L, o, helper(L, "v128.select", "vvi", "v"));
  else if (op == 0x1b) put_byte(o, 0x1b);
  else { put_byte(o, 0x1c); put_byte(o, 1); put_byte(o, t); }
}

/* Copies an instruction that needs no rewriting and applies its stack
 * effect. */
static void plain_op(low_t *L, cur_t *c, bt_strbuf_t *o, uint8_t op, const uint8_t *start) {
  int pops = 0, pushes = 0;
  if (op == 0xfc) {
    if (!skip_fc(c, (uint32_t)rd_u(c, 32), &pops, &pushes)) L->err = "unsupported 0xfc instruction";
  } else if (!skip_imm(c, op)) {
    L->err = "unsupported instruction";
  } else if (op == 0x25 || op == 0x40 || op == 0xd1 || (op >= 0x28 && op <= 0x35)) {
    pops = 1; pushes = 1;
  } else if (op == 0x26 || (op >= 0x36 && op <= 0x3e)) {
    pops = 2;
  } else if (op == 0x3f || (op >= 0x41 && op <= 0x44) || op == 0xd0) {
    pushes = 1;
  } else if (op >= 0x45 && op <= 0xc4) {
    pops = (op == 0x45 || op == 0x50 || (op >= 0x67 && op <= 0x69) || (op >= 0x79 && op <= 0x7b) ||
            (op >= 0x8b && op <= 0x91) || (op >= 0x99 && op <= 0x9f) || op >= 0xa7) ? 1 : 2;
    pushes = 1;
  }
  if (c->bad) return;
  bt_strbuf_append(o, (const char *)start, (size_t)(c->p - start));
  pop_n(L, (uint32_t)pops);
  if (pushes) push(L, SCALAR);
}

/* Lowers one reachable instruction. */
static void live_instr(low_t *L, const locals_t *lc, cur_t *c, bt_strbuf_t *o, uint8_t op,
                       const uint8_t *start, bool *done) {
  const bt_wasm_module_t *m = L->m;
  switch (op) {
    case 0x00: case 0x0c: case 0x0e: case 0x0f:
      skip_imm(c, op);
      if (!c->bad) bt_strbuf_append(o, (const char *)start, (size_t)(c->p - start));
      set_unreachable(L);
      return;
    case 0x0d: plain_op(L, c, o, op, start); pop(L); return;
    case 0x02: case 0x03: case 0x04: block_op(L, c, o, op); return;
    case 0x05: else_op(L, o); return;
    case 0x0b: end_op(L, o, done); return;
    case 0x10: case 0x12: {
      uint64_t f = rd_u(c, 32);
      put_byte(o, op);
      put_u(o, map_func(L, f));
      call_effect(L, c->bad ? NULL : bt_wasm_func_type(m, (uint32_t)f));
      if (op == 0x12) set_unreachable(L);
      return;
    }
    case 0x11: case 0x13: {
      uint64_t t = rd_u(c, 32);
      rd_u(c, 32);
      if (c->bad) return;
      bt_strbuf_append(o, (const char *)start, (size_t)(c->p - start));
      pop(L);
      call_effect(L, t < m->ntypes ? &m->types[t] : NULL);
      if (op == 0x13) set_unreachable(L);
      return;
    }
    case 0x1a: case 0x1b: case 0x1c: parametric_op(L, c, o, op); return;
    case 0x20: case 0x21: case 0x22: local_op(L, lc, c, o, op); return;
    case 0x23: case 0x24: global_op(L, c, o, op); return;
    case 0xd2:
      put_byte(o, op);
      put_u(o, map_func(L, rd_u(c, 32)));
      push(L, SCALAR);
      return;
    case 0xfd: simd_op(L, c, o); return;
    default: plain_op(L, c, o, op, start); return;
  }
}

/* Decodes one instruction; lowers it unless the current block is past an
 * unconditional branch, where only nesting is tracked to find the block's
 * own else/end. Sets *done after the function's final end. */
static void instr(low_t *L, const locals_t *lc, cur_t *c, bt_strbuf_t *o, bool *done, uint32_t *skip) {
  const uint8_t *start = c->p;
  uint8_t op = rd_b(c);
  if (c->bad) return;
  if (!L->frames[L->nframes - 1].unreachable) {
    live_instr(L, lc, c, o, op, start, done);
    return;
  }
  if (op == 0x05 && *skip == 0) {
    else_op(L, o);
  } else if (op == 0x0b && *skip == 0) {
    end_op(L, o, done);
  } else {
    if (op == 0x02 || op == 0x03 || op == 0x04) (*skip)++;
    if (op == 0x0b) (*skip)--;
    if (!skip_imm(c, op)) L->err = "unsupported instruction";
  }
}

/* Lowers one function body (the bytes after its size). */
static void lower_body(low_t *L, const bt_wasm_functype_t *ft, cur_t *c, bt_strbuf_t *o) {
  locals_t lc = {0};
  uint64_t ngroups = rd_u(c, 32);
  const uint8_t *groups = c->p;
  uint64_t total = ft->nparams;
  for (uint64_t i = 0; i < ngroups && !c->bad; i++) {
    total += rd_u(c, 32);
    rd_b(c);
  }
  if (c->bad || total > 1000000) {
    L->err = "bad locals";
    return;
  }
  lc.n = (uint32_t)total;
  lc.type = bt_malloc(total + 1);
  lc.index = bt_malloc((total + 1) * sizeof *lc.index);
  if (!lc.type || !lc.index) {
    L->err = "out of memory";
    goto out;
  }
  uint32_t k = 0, next = 0;
  for (uint32_t i = 0; i < ft->nparams; i++, k++) {
    lc.type[k] = ft->params[i];
    lc.index[k] = next;
    next += ft->params[i] == V128 ? 2 : 1;
  }
  cur_t g = {groups, c->end, false};
  put_u(o, ngroups);
  for (uint64_t i = 0; i < ngroups; i++) {
    uint32_t n = (uint32_t)rd_u(&g, 32);
    uint8_t t = rd_b(&g);
    put_u(o, t == V128 ? 2ull * n : n);
    put_byte(o, t == V128 ? BT_WASM_I64 : t);
    if (t == V128) L->any = true;
    for (uint32_t j = 0; j < n; j++, k++) {
      lc.type[k] = t;
      lc.index[k] = next;
      next += t == V128 ? 2 : 1;
    }
  }
  L->sp = 0;
  L->nframes = 0;
  frame_t *f = push_frame(L);
  if (!f) goto out;
  f->nr = ft->nresults;
  f->results = ft->results;
  bool done = false;
  uint32_t skip = 0;
  while (!done && !c->bad && !L->err) instr(L, &lc, c, o, &done, &skip);
  if (!L->err && (c->bad || c->p != c->end)) L->err = "malformed function body";
out:
  bt_free(lc.type);
  bt_free(lc.index);
}

/* ---- sections ---- */

static uint8_t letter_type(char l) {
  switch (l) {
    case 'i': return BT_WASM_I32;
    case 'j': return BT_WASM_I64;
    case 'f': return BT_WASM_F32;
    default: return BT_WASM_F64;
  }
}

static void put_valtypes(bt_strbuf_t *o, const uint8_t *t, uint32_t n) {
  uint32_t count = n;
  for (uint32_t i = 0; i < n; i++) count += t[i] == V128;
  put_u(o, count);
  for (uint32_t i = 0; i < n; i++) {
    if (t[i] == V128) put_byte(o, BT_WASM_I64);
    put_byte(o, t[i] == V128 ? BT_WASM_I64 : t[i]);
  }
}

static void put_letters(bt_strbuf_t *o, const char *s) {
  put_u(o, strlen(s));
  for (; *s; s++) put_byte(o, letter_type(*s));
}

/* Types: the originals lowered, then [] -> [i64 i64], then the helpers'. */
static void type_section(low_t *L, bt_strbuf_t *o) {
  const bt_wasm_module_t *m = L->m;
  put_u(o, m->ntypes + 1 + L->nhelpers);
  for (uint32_t i = 0; i < m->ntypes; i++) {
    put_byte(o, 0x60);
    put_valtypes(o, m->types[i].params, m->types[i].nparams);
    put_valtypes(o, m->types[i].results, m->types[i].nresults);
  }
  bt_strbuf_append(o, "\x60\x00\x02\x7e\x7e", 5);
  for (uint32_t i = 0; i < L->nhelpers; i++) {
    put_byte(o, 0x60);
    put_letters(o, L->helpers[i].params);
    put_letters(o, L->helpers[i].results);
  }
}

static void put_limits(bt_strbuf_t *o, const bt_wasm_limits_t *l) {
  put_byte(o, (uint8_t)((l->has_max ? 1 : 0) | (l->shared ? 2 : 0) | (l->is64 ? 4 : 0)));
  put_u(o, l->min);
  if (l->has_max) put_u(o, l->max);
}

static void import_section(low_t *L, bt_strbuf_t *o) {
  const bt_wasm_module_t *m = L->m;
  put_u(o, m->nimports + L->nimp_hi + L->nhelpers);
  for (int hi = 0; hi < 2; hi++)
    for (uint32_t i = 0; i < m->nimports; i++) {
      const bt_wasm_import_t *im = &m->imports[i];
      bool v = im->kind == BT_WASM_EXTERN_GLOBAL && im->u.global.valtype == V128;
      if (hi && !v) continue;
      put_name(o, im->module, im->module_len);
      if (hi) {
        put_u(o, im->name_len + strlen(BT_WASM_SIMD_HI_SUFFIX));
        bt_strbuf_append(o, im->name, im->name_len);
        bt_strbuf_puts(o, BT_WASM_SIMD_HI_SUFFIX);
      } else {
        put_name(o, im->name, im->name_len);
      }
      put_byte(o, (uint8_t)im->kind);
      switch (im->kind) {
        case BT_WASM_EXTERN_FUNC: put_u(o, im->u.func_type); break;
        case BT_WASM_EXTERN_TABLE:
          put_byte(o, im->u.table.elemtype);
          put_limits(o, &im->u.table.limits);
          break;
        case BT_WASM_EXTERN_MEMORY: put_limits(o, &im->u.memory); break;
        default:
          put_byte(o, v ? BT_WASM_I64 : im->u.global.valtype);
          put_byte(o, im->u.global.mutable_ ? 1 : 0);
          break;
      }
    }
  for (uint32_t i = 0; i < L->nhelpers; i++) {
    put_name(o, BT_WASM_SIMD_MODULE, strlen(BT_WASM_SIMD_MODULE));
    put_name(o, L->helpers[i].name, strlen(L->helpers[i].name));
    put_byte(o, 0);
    put_u(o, L->m->ntypes + 1 + i);
  }
}

static void global_section(low_t *L, cur_t c, bt_strbuf_t *o) {
  const bt_wasm_module_t *m = L->m;
  uint64_t n = rd_u(&c, 32);
  uint32_t nv = 0;
  for (uint32_t i = 0; i < m->nglobals; i++) nv += m->globals[i].valtype == V128;
  put_u(o, n + nv);
  for (uint64_t i = 0; i < n && !c.bad && !L->err; i++) {
    uint8_t t = rd_b(&c), mut = rd_b(&c);
    const uint8_t *expr = c.p;
    for (int half = 0; half < (t == V128 ? 2 : 1); half++) {
      c.p = expr;
      put_byte(o, t == V128 ? BT_WASM_I64 : t);
      put_byte(o, mut);
      if (!lower_const(L, &c, o, half)) L->err = "unsupported global initializer";
    }
  }
}

static void export_section(low_t *L, bt_strbuf_t *o) {
  const bt_wasm_module_t *m = L->m;
  put_u(o, m->nexports);
  for (uint32_t i = 0; i < m->nexports; i++) {
    const bt_wasm_export_t *e = &m->exports[i];
    put_name(o, e->name, e->name_len);
    put_byte(o, (uint8_t)e->kind);
    if (e->kind == BT_WASM_EXTERN_FUNC) put_u(o, map_func(L, e->index));
    else if (e->kind == BT_WASM_EXTERN_GLOBAL) put_u(o, e->index < L->nglob ? L->glo[e->index] : e->index);
    else put_u(o, e->index);
  }
}

static void put_u32_from(bt_strbuf_t *o, cur_t *c) { put_u(o, rd_u(c, 32)); }

static void elem_section(low_t *L, cur_t c, bt_strbuf_t *o) {
  uint64_t n = rd_u(&c, 32);
  put_u(o, n);
  for (uint64_t i = 0; i < n && !c.bad && !L->err; i++) {
    uint32_t flags = (uint32_t)rd_u(&c, 32);
    put_u(o, flags);
    if (flags == 2 || flags == 6) put_u32_from(o, &c); /* table index */
    if (!(flags & 1) && !lower_const(L, &c, o, 0)) L->err = "bad element offset";
    if (flags & 3) put_byte(o, rd_b(&c)); /* elemkind or reftype */
    uint64_t k = rd_u(&c, 32);
    put_u(o, k);
    for (uint64_t j = 0; j < k && !c.bad && !L->err; j++) {
      if (flags & 4) {
        if (!lower_const(L, &c, o, 0)) L->err = "bad element expression";
      } else {
        put_u(o, map_func(L, rd_u(&c, 32)));
      }
    }
  }
}

static void data_section(low_t *L, cur_t c, bt_strbuf_t *o) {
  uint64_t n = rd_u(&c, 32);
  put_u(o, n);
  for (uint64_t i = 0; i < n && !c.bad && !L->err; i++) {
    uint32_t flags = (uint32_t)rd_u(&c, 32);
    put_u(o, flags);
    if (flags == 2) put_u32_from(o, &c);
    if (flags != 1 && !lower_const(L, &c, o, 0)) L->err = "bad data offset";
    uint64_t k = rd_u(&c, 32);
    const uint8_t *d = rd_n(&c, k);
    if (!d) break;
    put_u(o, k);
    bt_strbuf_append(o, (const char *)d, k);
  }
}

static void code_section(low_t *L, cur_t c, bt_strbuf_t *o) {
  const bt_wasm_module_t *m = L->m;
  uint64_t n = rd_u(&c, 32);
  put_u(o, n);
  bt_strbuf_t body = BT_STRBUF_INIT;
  for (uint64_t i = 0; i < n && i < m->nfuncs && !c.bad && !L->err; i++) {
    uint64_t size = rd_u(&c, 32);
    const uint8_t *p = rd_n(&c, size);
    if (!p) break;
    cur_t bc = {p, p + size, false};
    bt_strbuf_truncate(&body, 0);
    lower_body(L, &m->types[m->func_types[i]], &bc, &body);
    put_u(o, body.len);
    bt_strbuf_append(o, body.data ? body.data : "", body.len);
  }
  if (body.failed) L->err = "out of memory";
  bt_strbuf_free(&body);
  if (c.bad && !L->err) L->err = "malformed code section";
}

/* Emits every section in canonical order. sec[id] are the original
 * payloads (NULL when absent). */
static void emit_module(low_t *L, const cur_t *sec, bt_strbuf_t *out) {
  static const uint8_t order[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11};
  bt_strbuf_append(out, "\0asm\1\0\0\0", 8);
  bt_strbuf_t b = BT_STRBUF_INIT;
  for (size_t i = 0; i < sizeof order && !L->err; i++) {
    uint8_t id = order[i];
    bt_strbuf_truncate(&b, 0);
    if (id == 1) type_section(L, &b);
    else if (id == 2 && L->m->nimports + L->nimp_hi + L->nhelpers) import_section(L, &b);
    else if (id == 7 && L->m->nexports) export_section(L, &b);
    else if (id == 8 && L->m->has_start) put_u(&b, map_func(L, L->m->start));
    else if (!sec[id].p) continue;
    else if (id == 6) global_section(L, sec[id], &b);
    else if (id == 9) elem_section(L, sec[id], &b);
    else if (id == 10) code_section(L, sec[id], &b);
    else if (id == 11) data_section(L, sec[id], &b);
    else if (id != 2 && id != 7 && id != 8) bt_strbuf_append(&b, (const char *)sec[id].p, (size_t)(sec[id].end - sec[id].p));
    else continue;
    put_section(out, id, &b);
  }
  if (b.failed) L->err = "out of memory";
  bt_strbuf_free(&b);
}

baton_error_t *bt_wasm_simd_lower(const bt_wasm_module_t *m, const uint8_t *bytes, size_t len, uint8_t **out,
                                  size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  low_t L = {.m = m, .nfimp = m->nimported_funcs};
  cur_t sec[13] = {{0}};
  cur_t c = {bytes + 8, bytes + len, len < 8};
  while (!c.bad && c.p < c.end) {
    uint8_t id = rd_b(&c);
    uint64_t size = rd_u(&c, 32);
    const uint8_t *p = rd_n(&c, size);
    if (p && id < 13) sec[id] = (cur_t){p, p + size, false};
  }
  bt_strbuf_t o = BT_STRBUF_INIT;
  if (c.bad) L.err = "malformed module";
  else if (!map_globals(&L)) L.err = "out of memory";
  if (!L.err && sec[10].p) code_section(&L, sec[10], &o); /* pass 1: collect helpers */
  bt_strbuf_truncate(&o, 0);
  if (!L.err && L.any) emit_module(&L, sec, &o);
  if (!L.err && o.failed) L.err = "out of memory";
  baton_error_t *err = NULL;
  if (L.err && !L.any) L.err = NULL; /* no v128 seen: leave the module to wasm2c */
  if (L.err) {
    bool invalid = !strncmp(L.err, "invalid", 7) || strstr(L.err, "alignment") || strstr(L.err, "unknown memory");
    err = baton_error_new(invalid ? BATON_EINVALID : BATON_EUNSUPPORTED, "SIMD lowering: %s", L.err);
  }
  else if (L.any) *out = (uint8_t *)bt_strbuf_take(&o, out_len);
  if (!err && L.any && !*out) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  bt_strbuf_free(&o);
  for (uint32_t i = 0; i < L.nhelpers; i++) bt_free(L.helpers[i].name);
  bt_free(L.helpers);
  bt_free(L.glo);
  bt_free(L.ghi);
  bt_free(L.gtype);
  bt_free(L.stack);
  bt_free(L.frames);
  return err;
}
