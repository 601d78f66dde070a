/*
 * src/wasm/reader.c: the core WebAssembly binary reader behind wasm.h.
 *
 * bt_wasm_parse() walks a module once, front to back: the header, then each
 * section in the order the core spec fixes (custom sections anywhere), each
 * read through a bounded cursor so that nothing can read past the section or
 * the input. It decodes what the engine needs into a bt_wasm_module_t and
 * validates the module: index ranges, limits, constant expressions and
 * their types, export name uniqueness, the start function's type, segment
 * forms, the function/code and data count/data agreements and function body
 * structure here, then, once every section is read, the instructions of
 * every function body through bt_wasm_validate_code() (validate.c), which
 * also gets the functions declared for ref.func (element segments, exports,
 * global initializers) as a bitmap. Vector counts are checked against the bytes left
 * before anything is allocated, so absurd counts fail fast, and every
 * allocation goes through bt_malloc and friends so tests can inject failures;
 * every failure path frees the partial module. Every error reads
 * "offset 0x<hex>: <name> section: <what>" (no section for header errors),
 * with code BATON_EMALFORMED for encoding errors, BATON_EINVALID for
 * validation errors, BATON_EUNSUPPORTED for proposals baton does not run
 * (exception handling tags, GC types, 64-bit tables, table initialisers) and
 * for implementation limits, and BATON_ENO_MEMORY when an allocation fails.
 *
 * Deliberate choices: LEB128 padding within the maximum byte count is
 * accepted (the spec requires it); names may contain U+0000 (each name has
 * a length beside its NUL-terminated copy); at most one memory (2.0);
 * memory64 and shared memories with a maximum are accepted; constant
 * expressions are the wasm 2.0 ones (global.get only of imported immutable
 * globals) plus extended constant expressions (i32/i64 add, sub, mul; 3.0).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/wasm.h"

#define MAX_LOCALS 50000u
#define MAX_PAGES32 65536ull
#define MAX_PAGES64 (1ull << 48)

/* ---- LEB128 ---- */

enum { LEB_OK, LEB_EOF, LEB_TOO_LONG, LEB_TOO_BIG };

/* Decodes a LEB128 of at most `bits` (1..64) bits starting at p, which must
 * be <= end. On LEB_OK stores the value (sign-extended to 64 bits when sgn)
 * in *out and the first byte after it in *next; otherwise leaves both alone
 * and says why: truncated, more than ceil(bits/7) bytes, or unused bits of
 * the last byte not zero (unsigned) or not a sign extension (signed). */
static int leb_decode(const uint8_t *p, const uint8_t *end, unsigned bits,
                      bool sgn, uint64_t *out, const uint8_t **next) {
  unsigned maxbytes = (bits + 6) / 7, shift = 0;
  uint64_t result = 0;
  uint8_t b;
  for (unsigned i = 0;; i++, shift += 7) {
    if (p >= end) return LEB_EOF;
    b = *p++;
    result |= (uint64_t)(b & 0x7f) << shift;
    if (i + 1 == maxbytes) {
      unsigned used = bits - shift, v = b & 0x7fu; /* used is 1..7 */
      if (b & 0x80) return LEB_TOO_LONG;
      if (sgn) {
        unsigned top = v >> (used - 1);
        if (top != 0 && top != (0x7fu >> (used - 1))) return LEB_TOO_BIG;
      } else if (v >> used) {
        return LEB_TOO_BIG;
      }
      break;
    }
    if (!(b & 0x80)) break;
  }
  shift += 7;
  if (sgn && shift < 64 && (b & 0x40)) result |= ~(uint64_t)0 << shift;
  *out = result;
  *next = p;
  return LEB_OK;
}

/* Public contract in wasm.h: *pos advances only on success; bits outside
 * 1..64 and a NULL or past-the-end *pos fail. */
bool bt_wasm_read_uleb(const uint8_t **pos, const uint8_t *end, unsigned bits,
                       uint64_t *out) {
  if (!pos || !*pos || !end || !out || bits == 0 || bits > 64 || *pos >= end)
    return false;
  return leb_decode(*pos, end, bits, false, out, pos) == LEB_OK;
}

/* Public contract in wasm.h: as bt_wasm_read_uleb, for signed values; the
 * result is sign-extended to 64 bits. */
bool bt_wasm_read_sleb(const uint8_t **pos, const uint8_t *end, unsigned bits,
                       int64_t *out) {
  uint64_t u;
  if (!pos || !*pos || !end || !out || bits == 0 || bits > 64 || *pos >= end)
    return false;
  if (leb_decode(*pos, end, bits, true, &u, pos) != LEB_OK) return false;
  memcpy(out, &u, sizeof u);
  return true;
}

/* ---- the cursor and error reporting ---- */

typedef struct {
  const uint8_t *base; /* start of the module, for offsets */
  const uint8_t *pos;
  const uint8_t *end;  /* end of the current section or body */
  const char *section; /* "type", ...; NULL outside sections */
  baton_error_t *err;  /* first error; later failures keep it */
} rd_t;

/* Records the first error at position `at` with the section-prefixed message
 * format described at the top of the file; later errors are ignored. */
static void rd_fail_(rd_t *r, const uint8_t *at, baton_errno_t code,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void rd_fail_(rd_t *r, const uint8_t *at, baton_errno_t code,
                     const char *fmt, ...) {
  if (r->err) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t off = (size_t)(at - r->base);
  if (r->section)
    r->err = baton_error_new(code, "offset 0x%zx: %s section: %s", off,
                             r->section, msg);
  else
    r->err = baton_error_new(code, "offset 0x%zx: %s", off, msg);
}

/* Records an error and evaluates to false, so that callers can write
 * `return rd_fail(...)` and the compiler sees the constant result. */
#define rd_fail(...) (rd_fail_(__VA_ARGS__), false)

/* Records the truncation error at `at`; evaluates to false. */
#define rd_eof(r, at) \
  rd_fail((r), (at), BATON_EMALFORMED, "unexpected end of data")

/* Records an out-of-memory error at the current position; evaluates to
 * false. */
#define rd_oom(r) rd_fail((r), (r)->pos, BATON_ENO_MEMORY, "out of memory")

/* Returns the bytes left before the cursor's end. */
static size_t rd_left(const rd_t *r) { return (size_t)(r->end - r->pos); }

/* Allocates a zeroed array of n elements (at least one byte) through
 * bt_calloc, recording an out-of-memory error on failure. */
static void *rd_calloc(rd_t *r, size_t n, size_t size) {
  void *p = bt_calloc(n, size);
  if (!p) (void)rd_oom(r);
  return p;
}

/* Reads one byte into *out. */
static bool rd_byte(rd_t *r, uint8_t *out) {
  if (r->pos >= r->end) return rd_eof(r, r->pos);
  *out = *r->pos++;
  return true;
}

/* Reads a LEB128 of `bits` bits; `what` ("u32", "s64", ...) names it in
 * errors, which point at the first byte of the encoding. */
static bool rd_leb(rd_t *r, unsigned bits, bool sgn, const char *what,
                   uint64_t *out) {
  const uint8_t *at = r->pos;
  switch (leb_decode(r->pos, r->end, bits, sgn, out, &r->pos)) {
    case LEB_OK: return true;
    case LEB_EOF: return rd_eof(r, at);
    case LEB_TOO_LONG:
      return rd_fail(r, at, BATON_EMALFORMED,
                     "invalid LEB128 %s: integer representation too long",
                     what);
    default:
      return rd_fail(r, at, BATON_EMALFORMED,
                     "invalid LEB128 %s: integer too large", what);
  }
}

/* Reads an unsigned 32-bit LEB128 into *out. */
static bool rd_u32(rd_t *r, uint32_t *out) {
  uint64_t v;
  if (!rd_leb(r, 32, false, "u32", &v)) return false;
  *out = (uint32_t)v;
  return true;
}

/* Reads a vector count and checks that `count * min_size` bytes remain, so
 * that no absurd count reaches an allocation. `what` names the items. */
static bool rd_count(rd_t *r, size_t min_size, const char *what,
                     uint32_t *out) {
  const uint8_t *at = r->pos;
  if (!rd_u32(r, out)) return false;
  if ((uint64_t)*out * min_size > rd_left(r))
    return rd_fail(r, at, BATON_EMALFORMED,
                   "unexpected end of data (%u %s cannot fit in the %zu bytes "
                   "left)",
                   *out, what, rd_left(r));
  return true;
}

/* Skips n bytes, storing their start in *out (may be NULL). */
static bool rd_skip(rd_t *r, size_t n, const uint8_t **out) {
  if (n > rd_left(r)) return rd_eof(r, r->pos);
  if (out) *out = r->pos;
  r->pos += n;
  return true;
}

/* Returns the byte index of the first invalid UTF-8 sequence in s[0..n) (no
 * overlong forms, surrogates or code points above U+10FFFF), or n when the
 * whole string is valid. */
static size_t utf8_invalid_at(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return i;
    }
    if (n - i - 1 < need) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k <= need; k++)
      if (s[i + k] < 0x80 || s[i + k] > 0xbf) return i;
    i += need + 1;
  }
  return n;
}

/* Reads a name (u32 length + UTF-8 bytes), validates it and stores a
 * NUL-terminated copy in *out (caller frees) and its length in *len (may be
 * NULL). A name may contain U+0000: users of such names need the length.
 * `what` names it in errors. */
static bool rd_name_n(rd_t *r, const char *what, char **out, uint32_t *len) {
  const uint8_t *s;
  uint32_t n;
  if (!rd_u32(r, &n) || !rd_skip(r, n, &s)) return false;
  size_t bad = utf8_invalid_at(s, n);
  if (bad < n)
    return rd_fail(r, s + bad, BATON_EMALFORMED,
                   "malformed UTF-8 encoding in %s", what);
  if (!(*out = bt_malloc((size_t)n + 1))) return rd_oom(r);
  if (n) memcpy(*out, s, n);
  (*out)[n] = 0;
  if (len) *len = n;
  return true;
}

static bool rd_name(rd_t *r, const char *what, char **out) {
  return rd_name_n(r, what, out, NULL);
}

/* Writes name into buf (size >= 16) as a double-quoted string for
 * messages: quotes, backslashes and control characters escaped, cut at a
 * character boundary with "..." after 60 bytes or when buf is nearly full. */
static void quote_name(char *buf, size_t size, const char *name) {
  const unsigned char *s = (const unsigned char *)name;
  size_t o = 0;
  buf[o++] = '"';
  for (size_t i = 0; s[i]; i++) {
    bool boundary = (s[i] & 0xc0) != 0x80;
    if (boundary && (i >= 60 || o + 4 + 5 >= size)) {
      memcpy(buf + o, "...", 3);
      o += 3;
      break;
    }
    if (s[i] == '"' || s[i] == '\\') {
      buf[o++] = '\\';
      buf[o++] = (char)s[i];
    } else if (s[i] < 0x20 || s[i] == 0x7f) {
      snprintf(buf + o, size - o, "\\x%02x", s[i]);
      o += 4;
    } else {
      buf[o++] = (char)s[i];
    }
  }
  buf[o++] = '"';
  buf[o] = 0;
}

/* ---- types ---- */

/* Returns a static name for a value type byte ("i32", ...), "unknown" for
 * anything else. */
const char *bt_wasm_valtype_name(uint8_t t) {
  switch (t) {
    case BT_WASM_I32: return "i32";
    case BT_WASM_I64: return "i64";
    case BT_WASM_F32: return "f32";
    case BT_WASM_F64: return "f64";
    case BT_WASM_V128: return "v128";
    case BT_WASM_FUNCREF: return "funcref";
    case BT_WASM_EXTERNREF: return "externref";
    default: return "unknown";
  }
}

/* Appends `s` to buf at *o, truncating at size-1 bytes. */
static void str_append(char *buf, size_t size, size_t *o, const char *s) {
  size_t n = strlen(s);
  if (*o + 1 >= size) return;
  if (n > size - 1 - *o) n = size - 1 - *o;
  memcpy(buf + *o, s, n);
  *o += n;
  buf[*o] = 0;
}

/* Appends "(a, b)" for a list of value types, or the bare type when `bare`
 * is set and there is exactly one. */
static void types_append(char *buf, size_t size, size_t *o, const uint8_t *ts,
                         uint32_t n, bool bare) {
  if (bare && n == 1) {
    str_append(buf, size, o, bt_wasm_valtype_name(ts[0]));
    return;
  }
  str_append(buf, size, o, "(");
  for (uint32_t i = 0; i < n; i++) {
    if (i) str_append(buf, size, o, ", ");
    str_append(buf, size, o, bt_wasm_valtype_name(ts[i]));
  }
  str_append(buf, size, o, ")");
}

/* Writes "(params) -> results" into buf (always NUL-terminated when size > 0,
 * truncated to fit). Parameters are always parenthesised; a single result is
 * bare and zero or several results are parenthesised: "(i32, i32) -> i32",
 * "() -> ()", "(f64) -> (i32, i64)". */
void bt_wasm_functype_str(const bt_wasm_functype_t *t, char *buf,
                          size_t size) {
  size_t o = 0;
  if (!buf || size == 0) return;
  buf[0] = 0;
  if (!t) return;
  types_append(buf, size, &o, t->params, t->nparams, false);
  str_append(buf, size, &o, " -> ");
  types_append(buf, size, &o, t->results, t->nresults, true);
}

/* Returns whether byte b is a value type the reader accepts. */
static bool is_valtype(uint8_t b) {
  return (b >= BT_WASM_V128 && b <= BT_WASM_I32) || b == BT_WASM_FUNCREF ||
         b == BT_WASM_EXTERNREF;
}

/* Records the error for a byte that is not an accepted value type: reference
 * types from later proposals are unsupported, anything else malformed. */
static bool bad_valtype(rd_t *r, const uint8_t *at, uint8_t b,
                        const char *what) {
  if (b == 0x63 || b == 0x64 || (b >= 0x69 && b <= 0x6e) ||
      (b >= 0x71 && b <= 0x74))
    return rd_fail(r, at, BATON_EUNSUPPORTED,
                   "%s 0x%02x from the GC or exception handling proposals "
                   "is not supported",
                   what, b);
  return rd_fail(r, at, BATON_EMALFORMED, "invalid %s 0x%02x", what, b);
}

/* Reads one value type byte. */
static bool rd_valtype(rd_t *r, uint8_t *out) {
  const uint8_t *at = r->pos;
  if (!rd_byte(r, out)) return false;
  if (!is_valtype(*out)) return bad_valtype(r, at, *out, "value type");
  return true;
}

/* Reads a reference type byte (funcref or externref). */
static bool rd_reftype(rd_t *r, uint8_t *out) {
  const uint8_t *at = r->pos;
  if (!rd_byte(r, out)) return false;
  if (*out != BT_WASM_FUNCREF && *out != BT_WASM_EXTERNREF)
    return bad_valtype(r, at, *out, "reference type");
  return true;
}

/* Reads vec(valtype) into a new array *out (NULL when empty) and *n. */
static bool rd_valtypes(rd_t *r, uint8_t **out, uint32_t *n) {
  uint32_t count;
  if (!rd_count(r, 1, "value types", &count)) return false;
  if (count == 0) return true;
  *out = rd_calloc(r, count, 1);
  if (!*out) return false;
  *n = count;
  for (uint32_t i = 0; i < count; i++)
    if (!rd_valtype(r, &(*out)[i])) return false;
  return true;
}

/* Reads limits. For memories the flags byte may be 0..7 (bit 0 max present,
 * bit 1 shared, bit 2 memory64) and sizes are pages; for tables only 0 and 1
 * are accepted (4/5, table64, are unsupported). Checks min <= max, the page
 * limits (65536 for 32-bit, 2^48 for 64-bit) and that shared memories have a
 * maximum. */
static bool rd_limits(rd_t *r, bool memory, bt_wasm_limits_t *out) {
  const uint8_t *at = r->pos;
  uint8_t flags;
  if (!rd_byte(r, &flags)) return false;
  if (memory && flags > 7)
    return rd_fail(r, at, BATON_EMALFORMED,
                   "invalid memory limits flags 0x%02x", flags);
  if (!memory && (flags == 4 || flags == 5))
    return rd_fail(r, at, BATON_EUNSUPPORTED,
                   "64-bit tables (limits flags 0x%02x) are not supported",
                   flags);
  if (!memory && flags > 1)
    return rd_fail(r, at, BATON_EMALFORMED,
                   "invalid table limits flags 0x%02x", flags);
  out->has_max = flags & 1;
  out->shared = (flags & 2) != 0;
  out->is64 = (flags & 4) != 0;
  unsigned bits = out->is64 ? 64 : 32;
  const char *what = out->is64 ? "u64" : "u32";
  const uint8_t *min_at = r->pos, *max_at = NULL;
  if (!rd_leb(r, bits, false, what, &out->min)) return false;
  if (out->has_max) {
    max_at = r->pos;
    if (!rd_leb(r, bits, false, what, &out->max)) return false;
  }
  if (memory) {
    uint64_t lim = out->is64 ? MAX_PAGES64 : MAX_PAGES32;
    if (out->min > lim)
      return rd_fail(r, min_at, BATON_EINVALID,
                     "memory size must be at most %llu pages, minimum is %llu",
                     (unsigned long long)lim, (unsigned long long)out->min);
    if (out->has_max && out->max > lim)
      return rd_fail(r, max_at, BATON_EINVALID,
                     "memory size must be at most %llu pages, maximum is %llu",
                     (unsigned long long)lim, (unsigned long long)out->max);
  }
  if (out->has_max && out->min > out->max)
    return rd_fail(r, min_at, BATON_EINVALID,
                   "size minimum must not be greater than maximum (min %llu, "
                   "max %llu)",
                   (unsigned long long)out->min, (unsigned long long)out->max);
  if (out->shared && !out->has_max) /* flags 2 and 6: not in 2.0 either */
    return rd_fail(r, at, BATON_EMALFORMED,
                   "integer too large: limits flags 0x%02x (shared memory "
                   "must have a maximum size)",
                   flags);
  return true;
}

/* Reads a table type: reference type then limits. */
static bool rd_tabletype(rd_t *r, bt_wasm_tabletype_t *out) {
  if (r->pos < r->end && *r->pos == 0x40)
    return rd_fail(r, r->pos, BATON_EUNSUPPORTED,
                   "table initializer expressions (0x40) are not supported");
  return rd_reftype(r, &out->elemtype) && rd_limits(r, false, &out->limits);
}

/* Reads a global type: value type then mutability (0 const, 1 var). */
static bool rd_globaltype(rd_t *r, bt_wasm_globaltype_t *out) {
  uint8_t mut;
  if (!rd_valtype(r, &out->valtype)) return false;
  const uint8_t *at = r->pos;
  if (!rd_byte(r, &mut)) return false;
  if (mut > 1)
    return rd_fail(r, at, BATON_EMALFORMED, "invalid mutability 0x%02x", mut);
  out->mutable_ = mut;
  return true;
}

/* ---- the parse context and index spaces ---- */

typedef struct {
  rd_t r;
  bt_wasm_module_t *m;
  uint32_t *imp_map;  /* import indices grouped by kind: funcs, tables,
                         memories, globals (each in import order) */
  uint32_t ncustoms_cap;
  bool seen_code, seen_data;
  const uint8_t *code, *code_end; /* code section payload, for validate.c */
  uint8_t *refs; /* bitmap of functions declared for ref.func, or NULL */
} ctx_t;

/* Sizes of the index spaces read so far (imports first, then definitions;
 * parse_* keeps each sum within 32 bits). */
static uint32_t total_funcs(const bt_wasm_module_t *m) {
  return m->nimported_funcs + m->nfuncs;
}
static uint32_t total_tables(const bt_wasm_module_t *m) {
  return m->nimported_tables + m->ntables;
}
static uint32_t total_memories(const bt_wasm_module_t *m) {
  return m->nimported_memories + m->nmemories;
}
static uint32_t total_globals(const bt_wasm_module_t *m) {
  return m->nimported_globals + m->nglobals;
}

/* Returns the j-th import of `kind` (j < that kind's import count). */
static const bt_wasm_import_t *imported(const ctx_t *c,
                                        bt_wasm_externkind_t kind,
                                        uint32_t j) {
  const bt_wasm_module_t *m = c->m;
  uint32_t base = 0;
  if (kind > BT_WASM_EXTERN_FUNC) base += m->nimported_funcs;
  if (kind > BT_WASM_EXTERN_TABLE) base += m->nimported_tables;
  if (kind > BT_WASM_EXTERN_MEMORY) base += m->nimported_memories;
  return &m->imports[c->imp_map[base + j]];
}

/* Index-space lookups; the index must be in range. */
static const bt_wasm_functype_t *func_type_at(const ctx_t *c, uint32_t i) {
  const bt_wasm_module_t *m = c->m;
  if (i < m->nimported_funcs)
    return &m->types[imported(c, BT_WASM_EXTERN_FUNC, i)->u.func_type];
  return &m->types[m->func_types[i - m->nimported_funcs]];
}
static const bt_wasm_tabletype_t *table_at(const ctx_t *c, uint32_t i) {
  const bt_wasm_module_t *m = c->m;
  if (i < m->nimported_tables)
    return &imported(c, BT_WASM_EXTERN_TABLE, i)->u.table;
  return &m->tables[i - m->nimported_tables];
}
static const bt_wasm_limits_t *memory_at(const ctx_t *c, uint32_t i) {
  const bt_wasm_module_t *m = c->m;
  if (i < m->nimported_memories)
    return &imported(c, BT_WASM_EXTERN_MEMORY, i)->u.memory;
  return &m->memories[i - m->nimported_memories];
}
static const bt_wasm_globaltype_t *global_at(const ctx_t *c, uint32_t i) {
  const bt_wasm_module_t *m = c->m;
  if (i < m->nimported_globals)
    return &imported(c, BT_WASM_EXTERN_GLOBAL, i)->u.global;
  return &m->globals[i - m->nimported_globals];
}

/* Reads an index and checks it against the index space size `n`; `what`
 * ("function", ...) names the space in the error. */
static bool rd_index(ctx_t *c, uint32_t n, const char *what, uint32_t *out) {
  const uint8_t *at = c->r.pos;
  if (!rd_u32(&c->r, out)) return false;
  if (*out >= n)
    return rd_fail(&c->r, at, BATON_EINVALID, "unknown %s %u (%u defined)",
                   what, *out, n);
  return true;
}

/* Records function idx (< total_funcs) as declared for ref.func in
 * function bodies; the bitmap is allocated at the first reference. */
static bool note_ref(ctx_t *c, uint32_t idx) {
  if (!c->refs) {
    c->refs = rd_calloc(&c->r, (size_t)total_funcs(c->m) / 8 + 1, 1);
    if (!c->refs) return false;
  }
  c->refs[idx >> 3] |= (uint8_t)(1u << (idx & 7));
  return true;
}

#define CONST_EXPR_DEPTH 256

/* Reads one constant instruction of a constant expression (opcode `op` at
 * `at` already read) and stores its result type in *type. */
static bool rd_const_instr(ctx_t *c, const uint8_t *at, uint8_t op,
                           uint8_t *type) {
  rd_t *r = &c->r;
  uint64_t v;
  uint32_t idx;
  switch (op) {
    case 0x41: *type = BT_WASM_I32; return rd_leb(r, 32, true, "s32", &v);
    case 0x42: *type = BT_WASM_I64; return rd_leb(r, 64, true, "s64", &v);
    case 0x43: *type = BT_WASM_F32; return rd_skip(r, 4, NULL);
    case 0x44: *type = BT_WASM_F64; return rd_skip(r, 8, NULL);
    case 0xd0: return rd_reftype(r, type);
    case 0xd2:
      *type = BT_WASM_FUNCREF;
      return rd_index(c, total_funcs(c->m), "function", &idx) &&
             note_ref(c, idx);
    case 0x23: {
      const uint8_t *iat = r->pos;
      if (!rd_index(c, total_globals(c->m), "global", &idx)) return false;
      if (idx >= c->m->nimported_globals)
        return rd_fail(r, iat, BATON_EINVALID,
                       "unknown global %u: constant expressions may only "
                       "read imported globals",
                       idx);
      const bt_wasm_globaltype_t *g = global_at(c, idx);
      if (g->mutable_)
        return rd_fail(r, iat, BATON_EINVALID,
                       "constant expression required: global.get %u: "
                       "global is mutable",
                       idx);
      *type = g->valtype;
      return true;
    }
    case 0xfd:
      if (!rd_leb(r, 32, false, "u32", &v)) return false;
      if (v != 12)
        return rd_fail(r, at, BATON_EINVALID,
                       "constant expression required: opcode 0xfd 0x%llx is "
                       "not a constant instruction",
                       (unsigned long long)v);
      *type = BT_WASM_V128;
      return rd_skip(r, 16, NULL);
    default:
      if (!bt_wasm_opcode_known(op))
        return rd_fail(r, at, BATON_EMALFORMED, "illegal opcode 0x%02x", op);
      return rd_fail(r, at, BATON_EINVALID,
                     "constant expression required: opcode 0x%02x is not a "
                     "constant instruction",
                     op);
  }
}

/* Reads a constant expression up to its end (0x0b) and checks that it
 * leaves exactly one value of type `expected`. Constant instructions are
 * i32/i64/f32/f64/v128.const, ref.null, ref.func (which declares the
 * function for ref.func in bodies), global.get of an imported immutable
 * global, and the extended constant expressions' i32/i64 add, sub and mul
 * (standard in WebAssembly 3.0). */
static bool rd_const_expr(ctx_t *c, uint8_t expected) {
  rd_t *r = &c->r;
  const uint8_t *start = r->pos;
  uint8_t stack[CONST_EXPR_DEPTH];
  uint32_t n = 0;
  for (;;) {
    const uint8_t *at = r->pos;
    uint8_t op, type;
    if (!rd_byte(r, &op)) return false;
    if (op == 0x0b) break;
    if ((op >= 0x6a && op <= 0x6c) || (op >= 0x7c && op <= 0x7e)) {
      type = op <= 0x6c ? BT_WASM_I32 : BT_WASM_I64;
      if (n < 2 || stack[n - 1] != type || stack[n - 2] != type)
        return rd_fail(r, at, BATON_EINVALID,
                       "type mismatch: constant expression: opcode 0x%02x "
                       "expects two %s operands",
                       op, bt_wasm_valtype_name(type));
      n--;
      continue;
    }
    if (!rd_const_instr(c, at, op, &type)) return false;
    if (n == CONST_EXPR_DEPTH)
      return rd_fail(r, at, BATON_EUNSUPPORTED,
                     "constant expression too deep (more than %u operands)",
                     CONST_EXPR_DEPTH);
    stack[n++] = type;
  }
  if (n == 0)
    return rd_fail(r, start, BATON_EINVALID,
                   "type mismatch: constant expression is empty (expected a "
                   "%s)",
                   bt_wasm_valtype_name(expected));
  if (n > 1)
    return rd_fail(r, start, BATON_EINVALID,
                   "type mismatch: constant expression leaves %u values, "
                   "expected one %s",
                   n, bt_wasm_valtype_name(expected));
  if (stack[0] != expected)
    return rd_fail(r, start, BATON_EINVALID,
                   "type mismatch: constant expression has type %s, "
                   "expected %s",
                   bt_wasm_valtype_name(stack[0]),
                   bt_wasm_valtype_name(expected));
  return true;
}

/* ---- sections ---- */

/* Type section: vec(0x60 vec(valtype) vec(valtype)). */
static bool parse_types(ctx_t *c) {
  rd_t *r = &c->r;
  bt_wasm_module_t *m = c->m;
  uint32_t n;
  if (!rd_count(r, 3, "types", &n)) return false;
  if (!(m->types = rd_calloc(r, n, sizeof *m->types))) return false;
  m->ntypes = n;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *at = r->pos;
    uint8_t form;
    if (!rd_byte(r, &form)) return false;
    if (form == 0x4e || form == 0x4f || form == 0x50 || form == 0x5e ||
        form == 0x5f)
      return rd_fail(r, at, BATON_EUNSUPPORTED,
                     "type %u: GC type definitions (form 0x%02x) are not "
                     "supported",
                     i, form);
    if (form != 0x60)
      return rd_fail(r, at, BATON_EMALFORMED,
                     "type %u: invalid type form 0x%02x (expected 0x60)", i,
                     form);
    bt_wasm_functype_t *t = &m->types[i];
    if (!rd_valtypes(r, &t->params, &t->nparams) ||
        !rd_valtypes(r, &t->results, &t->nresults))
      return false;
  }
  return true;
}

/* Import section: vec(module name, name, importdesc); fills the per-kind
 * counts and the context's import map. */
static bool parse_imports(ctx_t *c) {
  rd_t *r = &c->r;
  bt_wasm_module_t *m = c->m;
  uint32_t n;
  if (!rd_count(r, 4, "imports", &n)) return false;
  if (!(m->imports = rd_calloc(r, n, sizeof *m->imports))) return false;
  m->nimports = n;
  for (uint32_t i = 0; i < n; i++) {
    bt_wasm_import_t *imp = &m->imports[i];
    if (!rd_name_n(r, "import module name", &imp->module, &imp->module_len) ||
        !rd_name_n(r, "import name", &imp->name, &imp->name_len))
      return false;
    const uint8_t *at = r->pos;
    uint8_t kind;
    if (!rd_byte(r, &kind)) return false;
    imp->kind = (bt_wasm_externkind_t)kind;
    switch (kind) {
      case BT_WASM_EXTERN_FUNC: {
        const uint8_t *tat = r->pos;
        if (!rd_u32(r, &imp->u.func_type)) return false;
        if (imp->u.func_type >= m->ntypes) {
          char q[2][160];
          quote_name(q[0], sizeof q[0], imp->module);
          quote_name(q[1], sizeof q[1], imp->name);
          return rd_fail(r, tat, BATON_EINVALID,
                         "import %s %s: unknown type %u (%u defined)", q[0],
                         q[1], imp->u.func_type, m->ntypes);
        }
        m->nimported_funcs++;
        break;
      }
      case BT_WASM_EXTERN_TABLE:
        if (!rd_tabletype(r, &imp->u.table)) return false;
        m->nimported_tables++;
        break;
      case BT_WASM_EXTERN_MEMORY:
        if (!rd_limits(r, true, &imp->u.memory)) return false;
        if (++m->nimported_memories > 1)
          return rd_fail(r, at, BATON_EINVALID,
                         "multiple memories are not allowed in WebAssembly "
                         "2.0 (second memory import)");
        break;
      case BT_WASM_EXTERN_GLOBAL:
        if (!rd_globaltype(r, &imp->u.global)) return false;
        m->nimported_globals++;
        break;
      case BT_WASM_EXTERN_TAG: /* not WebAssembly 2.0 */
        return rd_fail(r, at, BATON_EMALFORMED,
                       "malformed import kind 0x04 (a tag: exception handling "
                       "is not supported)");
      default:
        return rd_fail(r, at, BATON_EMALFORMED, "invalid import kind 0x%02x",
                       kind);
    }
  }
  if (n == 0) return true;
  if (!(c->imp_map = rd_calloc(r, n, sizeof *c->imp_map))) return false;
  uint32_t next[4] = {0, m->nimported_funcs,
                      m->nimported_funcs + m->nimported_tables,
                      m->nimported_funcs + m->nimported_tables +
                          m->nimported_memories};
  for (uint32_t i = 0; i < n; i++) c->imp_map[next[m->imports[i].kind]++] = i;
  return true;
}

/* Function section: vec(typeidx) for the defined functions. */
static bool parse_functions(ctx_t *c) {
  rd_t *r = &c->r;
  bt_wasm_module_t *m = c->m;
  uint32_t n;
  const uint8_t *at = r->pos;
  if (!rd_count(r, 1, "functions", &n)) return false;
  if ((uint64_t)m->nimported_funcs + n > UINT32_MAX)
    return rd_fail(r, at, BATON_EMALFORMED, "too many functions");
  if (!(m->func_types = rd_calloc(r, n, sizeof *m->func_types))) return false;
  m->nfuncs = n;
  for (uint32_t i = 0; i < n; i++)
    if (!rd_index(c, m->ntypes, "type", &m->func_types[i])) return false;
  return true;
}

/* Table section: vec(tabletype). */
static bool parse_tables(ctx_t *c) {
  rd_t *r = &c->r;
  bt_wasm_module_t *m = c->m;
  uint32_t n;
  const uint8_t *at = r->pos;
  if (!rd_count(r, 3, "tables", &n)) return false;
  if ((uint64_t)m->nimported_tables + n > UINT32_MAX)
    return rd_fail(r, at, BATON_EMALFORMED, "too many tables");
  if (!(m->tables = rd_calloc(r, n, sizeof *m->tables))) return false;
  m->ntables = n;
  for (uint32_t i = 0; i < n; i++)
    if (!rd_tabletype(r, &m->tables[i])) return false;
  return true;
}

/* Memory section: vec(limits). */
static bool parse_memories(ctx_t *c) {
  rd_t *r = &c->r;
  bt_wasm_module_t *m = c->m;
  uint32_t n;
  const uint8_t *at = r->pos;
  if (!rd_count(r, 2, "memories", &n)) return false;
  if ((uint64_t)m->nimported_memories + n > UINT32_MAX)
    return rd_fail(r, at, BATON_EMALFORMED, "too many memories");
  if (!(m->memories = rd_calloc(r, n, sizeof *m->memories))) return false;
  m->nmemories = n;
  for (uint32_t i = 0; i < n; i++)
    if (!rd_limits(r, true, &m->memories[i])) return false;
  if (total_memories(m) > 1)
    return rd_fail(r, at, BATON_EINVALID,
                   "multiple memories (%u) are not allowed in WebAssembly "
                   "2.0",
                   total_memories(m));
  return true;
}

/* Global section: vec(globaltype constexpr). The initialiser may only read
 * imported globals, so the defined ones are counted as they are read. */
static bool parse_globals(ctx_t *c) {
  rd_t *r = &c->r;
  bt_wasm_module_t *m = c->m;
  uint32_t n;
  const uint8_t *at = r->pos;
  if (!rd_count(r, 3, "globals", &n)) return false;
  if ((uint64_t)m->nimported_globals + n > UINT32_MAX)
    return rd_fail(r, at, BATON_EMALFORMED, "too many globals");
  if (!(m->globals = rd_calloc(r, n, sizeof *m->globals))) return false;
  for (uint32_t i = 0; i < n; i++) {
    if (!rd_globaltype(r, &m->globals[i])) return false;
    if (!rd_const_expr(c, m->globals[i].valtype)) return false;
    m->nglobals = i + 1;
  }
  return true;
}

/* An export's name, file offset and position, for the duplicate check. */
typedef struct {
  const char *name;
  uint32_t len;
  uint32_t index;
  size_t offset;
} export_key_t;

/* qsort order: by name, then by position in the section. */
static int export_key_cmp(const void *a, const void *b) {
  const export_key_t *x = a, *y = b;
  int d = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
  if (d) return d;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* Export section: vec(name exportdesc); indices are checked against the
 * index spaces and names must be unique (checked by sorting, so the cost is
 * O(n log n); the first duplicate in file order is reported). */
static bool parse_exports(ctx_t *c) {
  rd_t *r = &c->r;
  bt_wasm_module_t *m = c->m;
  uint32_t n;
  if (!rd_count(r, 3, "exports", &n)) return false;
  if (!(m->exports = rd_calloc(r, n, sizeof *m->exports))) return false;
  m->nexports = n;
  export_key_t *keys = rd_calloc(r, n, sizeof *keys);
  if (!keys) return false;
  bool ok = true;
  for (uint32_t i = 0; ok && i < n; i++) {
    bt_wasm_export_t *e = &m->exports[i];
    const uint8_t *at = r->pos;
    uint8_t kind;
    if (!rd_name_n(r, "export name", &e->name, &e->name_len) || !rd_byte(r, &kind)) {
      ok = false;
      break;
    }
    keys[i] = (export_key_t){e->name, e->name_len, i, (size_t)(at - r->base)};
    e->kind = (bt_wasm_externkind_t)kind;
    char q[160];
    quote_name(q, sizeof q, e->name);
    const uint8_t *iat = r->pos;
    uint32_t limit;
    const char *what;
    switch (kind) {
      case BT_WASM_EXTERN_FUNC: limit = total_funcs(m); what = "function"; break;
      case BT_WASM_EXTERN_TABLE: limit = total_tables(m); what = "table"; break;
      case BT_WASM_EXTERN_MEMORY:
        limit = total_memories(m);
        what = "memory";
        break;
      case BT_WASM_EXTERN_GLOBAL:
        limit = total_globals(m);
        what = "global";
        break;
      case BT_WASM_EXTERN_TAG:
        ok = rd_fail(r, iat - 1, BATON_EUNSUPPORTED,
                     "export %s: tag exports (exception handling) are not "
                     "supported",
                     q);
        continue;
      default:
        ok = rd_fail(r, iat - 1, BATON_EMALFORMED,
                     "export %s: invalid export kind 0x%02x", q, kind);
        continue;
    }
    if (!rd_u32(r, &e->index)) {
      ok = false;
    } else if (e->index >= limit) {
      ok = rd_fail(r, iat, BATON_EINVALID,
                   "export %s: unknown %s %u (%u defined)", q, what, e->index,
                   limit);
    } else if (kind == BT_WASM_EXTERN_FUNC) {
      ok = note_ref(c, e->index);
    }
  }
  if (ok && n > 1) {
    qsort(keys, n, sizeof *keys, export_key_cmp);
    const export_key_t *dup = NULL;
    for (uint32_t i = 1; i < n; i++)
      if (keys[i - 1].len == keys[i].len &&
          memcmp(keys[i - 1].name, keys[i].name, keys[i].len) == 0 &&
          (!dup || keys[i].offset < dup->offset))
        dup = &keys[i];
    if (dup) {
      char q[160];
      quote_name(q, sizeof q, dup->name);
      ok = rd_fail(r, r->base + dup->offset, BATON_EINVALID,
                   "duplicate export name %s", q);
    }
  }
  bt_free(keys);
  return ok;
}

/* Start section: a function index whose type must be [] -> []. */
static bool parse_start(ctx_t *c) {
  rd_t *r = &c->r;
  const uint8_t *at = r->pos;
  if (!rd_index(c, total_funcs(c->m), "function", &c->m->start)) return false;
  const bt_wasm_functype_t *t = func_type_at(c, c->m->start);
  if (t->nparams || t->nresults) {
    char sig[128];
    bt_wasm_functype_str(t, sig, sizeof sig);
    return rd_fail(r, at, BATON_EINVALID,
                   "start function %u must have type () -> (), has %s",
                   c->m->start, sig);
  }
  c->m->has_start = true;
  return true;
}

/* Reads the table index (if explicit) and offset of an active element
 * segment, checks the table exists, and stores the index in *table. */
static bool rd_elem_active(ctx_t *c, bool explicit_table, uint32_t *table) {
  *table = 0;
  if (explicit_table) {
    if (!rd_index(c, total_tables(c->m), "table", table)) return false;
  } else if (total_tables(c->m) == 0) {
    return rd_fail(&c->r, c->r.pos, BATON_EINVALID,
                   "unknown table 0 (0 defined)");
  }
  return rd_const_expr(c, BT_WASM_I32);
}

/* Element section: vec(elem) in any of the eight forms (flags 0..7: bit 0
 * passive/declarative, bit 1 explicit table index or declarative, bit 2
 * expressions instead of function indices). */
static bool parse_elements(ctx_t *c) {
  rd_t *r = &c->r;
  bt_wasm_module_t *m = c->m;
  uint32_t n;
  if (!rd_count(r, 3, "element segments", &n)) return false;
  if (!(m->elems = rd_calloc(r, n, sizeof *m->elems))) return false;
  m->nelems = n;
  for (uint32_t i = 0; i < n; i++) {
    bt_wasm_segment_t *s = &m->elems[i];
    const uint8_t *at = r->pos;
    uint32_t flags, count;
    s->offset = (size_t)(at - r->base);
    if (!rd_u32(r, &flags)) return false;
    if (flags > 7)
      return rd_fail(r, at, BATON_EMALFORMED,
                     "element segment %u: invalid flags %u", i, flags);
    bool passive_or_decl = flags & 1, exprs = flags & 4;
    uint8_t type = BT_WASM_FUNCREF;
    if (!passive_or_decl) {
      s->passive_or_active = 0;
      if (!rd_elem_active(c, flags & 2, &s->memory_or_table)) return false;
    } else {
      s->passive_or_active = (flags & 2) ? 2 : 1;
    }
    if ((flags & 3) != 0) { /* elemkind or reftype present */
      const uint8_t *kat = r->pos;
      if (exprs) {
        if (!rd_reftype(r, &type)) return false;
      } else {
        uint8_t kind;
        if (!rd_byte(r, &kind)) return false;
        if (kind != 0)
          return rd_fail(r, kat, BATON_EMALFORMED,
                         "element segment %u: invalid element kind 0x%02x",
                         i, kind);
      }
    }
    if (s->passive_or_active == 0) {
      const bt_wasm_tabletype_t *t = table_at(c, s->memory_or_table);
      if (t->elemtype != type)
        return rd_fail(r, at, BATON_EINVALID,
                       "element segment %u: type mismatch: %s segment for "
                       "table %u of %s",
                       i, bt_wasm_valtype_name(type), s->memory_or_table,
                       bt_wasm_valtype_name(t->elemtype));
    }
    s->reftype = type;
    if (!rd_count(r, exprs ? 3 : 1, "elements", &count)) return false;
    for (uint32_t k = 0; k < count; k++) {
      uint32_t idx;
      if (exprs ? !rd_const_expr(c, type)
                : !rd_index(c, total_funcs(m), "function", &idx) ||
                      !note_ref(c, idx))
        return false;
    }
  }
  return true;
}

/* Data count section: one u32. */
static bool parse_datacount(ctx_t *c) {
  if (!rd_u32(&c->r, &c->m->datacount)) return false;
  c->m->has_datacount = true;
  return true;
}

/* Code section: vec(code) with one body per defined function; each body is
 * size, vec(count valtype) locals (at most MAX_LOCALS in total) and an
 * expression that must end with 0x0b; instructions are not decoded. */
static bool parse_code(ctx_t *c) {
  rd_t *r = &c->r;
  bt_wasm_module_t *m = c->m;
  uint32_t n;
  const uint8_t *at = r->pos;
  c->seen_code = true;
  c->code = r->pos;
  c->code_end = r->end;
  if (!rd_u32(r, &n)) return false;
  if (n != m->nfuncs)
    return rd_fail(r, at, BATON_EMALFORMED,
                   "function and code section have inconsistent lengths (%u "
                   "functions, %u bodies)",
                   m->nfuncs, n);
  const uint8_t *section_end = r->end;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t fidx = m->nimported_funcs + i, size, groups;
    uint64_t total = m->types[m->func_types[i]].nparams; /* parameters are locals too */
    const uint8_t *first_local = NULL; /* the group that crosses MAX_LOCALS */
    if (!rd_u32(r, &size)) return false;
    if (size > rd_left(r))
      return rd_fail(r, r->pos, BATON_EMALFORMED,
                     "function %u: unexpected end of data (body size %u, "
                     "%zu bytes left)",
                     fidx, size, rd_left(r));
    const uint8_t *body_end = r->pos + size;
    r->end = body_end;
    if (!rd_count(r, 2, "local declarations", &groups)) return false;
    for (uint32_t g = 0; g < groups; g++) {
      const uint8_t *lat = r->pos;
      uint32_t count;
      uint8_t type;
      if (!rd_u32(r, &count) || !rd_valtype(r, &type)) return false;
      total += count;
      if (!first_local && total > MAX_LOCALS) first_local = lat; /* where the cap is crossed */
      if (total > UINT32_MAX)
        return rd_fail(r, lat, BATON_EMALFORMED, "function %u: too many locals", fidx);
    }
    if (total > MAX_LOCALS)
      return rd_fail(r, first_local, BATON_EUNSUPPORTED,
                     "function %u: too many locals (more than %u)", fidx,
                     MAX_LOCALS);
    if (r->pos >= body_end || body_end[-1] != 0x0b)
      return rd_fail(r, body_end > r->base ? body_end - 1 : body_end,
                     BATON_EMALFORMED,
                     "function %u: body must end with end (0x0b)", fidx);
    r->pos = body_end;
    r->end = section_end;
  }
  return true;
}

/* Data section: vec(data) in forms 0 (active, memory 0), 1 (passive) and 2
 * (active, explicit memory); the count must match a data count section. */
static bool parse_data(ctx_t *c) {
  rd_t *r = &c->r;
  bt_wasm_module_t *m = c->m;
  uint32_t n;
  const uint8_t *at = r->pos;
  c->seen_data = true;
  if (!rd_count(r, 2, "data segments", &n)) return false;
  if (m->has_datacount && m->datacount != n)
    return rd_fail(r, at, BATON_EMALFORMED,
                   "data count and data section have inconsistent lengths "
                   "(data count %u, %u segments)",
                   m->datacount, n);
  if (!(m->datas = rd_calloc(r, n, sizeof *m->datas))) return false;
  m->ndatas = n;
  for (uint32_t i = 0; i < n; i++) {
    bt_wasm_segment_t *s = &m->datas[i];
    const uint8_t *sat = r->pos;
    uint32_t flags, size;
    s->offset = (size_t)(sat - r->base);
    if (!rd_u32(r, &flags)) return false;
    if (flags > 2)
      return rd_fail(r, sat, BATON_EMALFORMED,
                     "data segment %u: invalid flags %u", i, flags);
    s->passive_or_active = flags == 1 ? 1 : 0;
    if (flags != 1) {
      if (flags == 2) {
        if (!rd_index(c, total_memories(m), "memory", &s->memory_or_table))
          return false;
      } else if (total_memories(m) == 0) {
        return rd_fail(r, r->pos, BATON_EINVALID,
                       "unknown memory 0 (0 defined)");
      }
      const bt_wasm_limits_t *mem = memory_at(c, s->memory_or_table);
      if (!rd_const_expr(c, mem->is64 ? BT_WASM_I64 : BT_WASM_I32))
        return false;
    }
    if (!rd_u32(r, &size) || !rd_skip(r, size, NULL)) return false;
  }
  return true;
}

/* Custom section: a name, then opaque bytes recorded by reference. */
static bool parse_custom(ctx_t *c) {
  rd_t *r = &c->r;
  bt_wasm_module_t *m = c->m;
  char *name = NULL;
  if (!rd_name(r, "custom section name", &name)) return false;
  if (m->ncustoms == c->ncustoms_cap) {
    uint32_t cap = c->ncustoms_cap ? c->ncustoms_cap * 2 : 4;
    bt_wasm_custom_t *p = bt_realloc(m->customs, (size_t)cap * sizeof *p);
    if (!p) {
      bt_free(name);
      return rd_oom(r);
    }
    m->customs = p;
    c->ncustoms_cap = cap;
  }
  m->customs[m->ncustoms++] = (bt_wasm_custom_t){
      name, r->pos, rd_left(r), (size_t)(r->pos - r->base)};
  r->pos = r->end;
  return true;
}

/* ---- the module ---- */

/* Section names by id, for messages. */
static const char *const k_section_names[] = {
    "custom", "type",   "import", "function", "table", "memory",     "global",
    "export", "start",  "element", "code",    "data",  "data count", "tag"};

/* Position of each section id in the required order (custom has none). */
static const uint8_t k_section_rank[] = {0, 1, 2,  3,  4,  5,  7,
                                         8, 9, 10, 12, 13, 11, 6};

/* Parses the header at r->base (r->end is the input's end). */
static bool parse_header(rd_t *r) {
  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
  static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
  size_t len = rd_left(r);
  if (memcmp(r->base, magic, len < 4 ? len : 4) != 0)
    return rd_fail(r, r->base, BATON_EMALFORMED,
                   "bad magic number (not a WebAssembly module)");
  if (len < 4) return rd_fail(r, r->end, BATON_EMALFORMED,
                              "unexpected end of data (module header)");
  size_t vlen = len < 8 ? len - 4 : 4;
  if (memcmp(r->base + 4, version, vlen) != 0) {
    uint32_t v = 0;
    for (size_t i = 0; i < vlen; i++) v |= (uint32_t)r->base[4 + i] << (8 * i);
    return rd_fail(r, r->base + 4, BATON_EMALFORMED,
                   "unsupported version 0x%x%s", v,
                   v == 0x1000d ? " (this is a component, not a core module)"
                                : " (expected 1)");
  }
  if (len < 8) return rd_fail(r, r->end, BATON_EMALFORMED,
                              "unexpected end of data (module header)");
  r->pos = r->base + 8;
  return true;
}

/* Parses the sections after the header into c->m, enforcing order,
 * uniqueness and exact sizes, then the cross-section agreements. */
static bool parse_sections(ctx_t *c) {
  rd_t *r = &c->r;
  const uint8_t *file_end = r->end;
  unsigned last_rank = 0, last_id = 0;
  uint32_t seen = 0;
  while (r->pos < file_end) {
    const uint8_t *at = r->pos;
    uint8_t id = *r->pos++;
    uint32_t size;
    r->section = NULL;
    if (id >= BT_ARRAY_LEN(k_section_names))
      return rd_fail(r, at, BATON_EMALFORMED, "unknown section id %u", id);
    r->section = k_section_names[id];
    const uint8_t *size_at = r->pos;
    if (!rd_u32(r, &size)) return false;
    if (size > rd_left(r))
      return rd_fail(r, size_at, BATON_EMALFORMED,
                     "unexpected end of data (section size %u, %zu bytes "
                     "left)",
                     size, rd_left(r));
    if (id != 0) {
      if (seen & (1u << id))
        return rd_fail(r, at, BATON_EMALFORMED, "duplicate section");
      if (k_section_rank[id] < last_rank)
        return rd_fail(r, at, BATON_EMALFORMED,
                       "section out of order (must come before the %s "
                       "section)",
                       k_section_names[last_id]);
      seen |= 1u << id;
      last_rank = k_section_rank[id];
      last_id = id;
    }
    r->end = r->pos + size;
    bool ok;
    switch (id) {
      case 0: ok = parse_custom(c); break;
      case 1: ok = parse_types(c); break;
      case 2: ok = parse_imports(c); break;
      case 3: ok = parse_functions(c); break;
      case 4: ok = parse_tables(c); break;
      case 5: ok = parse_memories(c); break;
      case 6: ok = parse_globals(c); break;
      case 7: ok = parse_exports(c); break;
      case 8: ok = parse_start(c); break;
      case 9: ok = parse_elements(c); break;
      case 10: ok = parse_code(c); break;
      case 11: ok = parse_data(c); break;
      case 12: ok = parse_datacount(c); break;
      default:
        ok = rd_fail(r, at, BATON_EMALFORMED,
                     "malformed section id %u%s", id,
                     id == 13 ? " (the tag section: exception handling is "
                                "not supported)" : "");
        break;
    }
    if (!ok) return false;
    if (r->pos != r->end)
      return rd_fail(r, r->pos, BATON_EMALFORMED,
                     "section size mismatch (%zu unread bytes at the end)",
                     rd_left(r));
    r->end = file_end;
  }
  bt_wasm_module_t *m = c->m;
  if (m->nfuncs && !c->seen_code) {
    r->section = "code";
    return rd_fail(r, file_end, BATON_EMALFORMED,
                   "function and code section have inconsistent lengths (%u "
                   "functions, no code section)",
                   m->nfuncs);
  }
  if (m->has_datacount && m->datacount && !c->seen_data) {
    r->section = "data";
    return rd_fail(r, file_end, BATON_EMALFORMED,
                   "data count and data section have inconsistent lengths "
                   "(data count %u, no data section)",
                   m->datacount);
  }
  return true;
}

/* Public contract in wasm.h. bytes may be NULL only when len is 0. */
baton_error_t *bt_wasm_parse(const uint8_t *bytes, size_t len,
                             bt_wasm_module_t **out) {
  static const uint8_t empty[1];
  if (!out)
    return baton_error_new(BATON_EINVALID_ARGUMENT,
                           "bt_wasm_parse: out is NULL");
  *out = NULL;
  if (!bytes) {
    if (len)
      return baton_error_new(BATON_EINVALID_ARGUMENT,
                             "bt_wasm_parse: bytes is NULL");
    bytes = empty;
  }
  ctx_t c = {.r = {bytes, bytes, bytes + len, NULL, NULL}};
  if (!parse_header(&c.r)) return c.r.err;
  c.m = bt_calloc(1, sizeof *c.m);
  if (!c.m) {
    (void)rd_oom(&c.r);
    return c.r.err;
  }
  bool ok = parse_sections(&c);
  if (ok && c.m->nfuncs) {
    c.r.err = bt_wasm_validate_code(c.m, bytes, c.code, c.code_end, c.refs);
    ok = c.r.err == NULL;
  }
  bt_free(c.imp_map);
  bt_free(c.refs);
  if (!ok) {
    bt_wasm_module_free(c.m);
    return c.r.err;
  }
  *out = c.m;
  return NULL;
}

/* Public contract in wasm.h: frees m and everything it owns (not the input
 * bytes); NULL is a no-op. Safe on partially built modules: every array is
 * zero-filled before its count is set. */
void bt_wasm_module_free(bt_wasm_module_t *m) {
  if (!m) return;
  for (uint32_t i = 0; m->types && i < m->ntypes; i++) {
    bt_free(m->types[i].params);
    bt_free(m->types[i].results);
  }
  bt_free(m->types);
  for (uint32_t i = 0; m->imports && i < m->nimports; i++) {
    bt_free(m->imports[i].module);
    bt_free(m->imports[i].name);
  }
  bt_free(m->imports);
  bt_free(m->func_types);
  bt_free(m->tables);
  bt_free(m->memories);
  bt_free(m->globals);
  for (uint32_t i = 0; m->exports && i < m->nexports; i++)
    bt_free(m->exports[i].name);
  bt_free(m->exports);
  bt_free(m->elems);
  bt_free(m->datas);
  for (uint32_t i = 0; m->customs && i < m->ncustoms; i++)
    bt_free(m->customs[i].name);
  bt_free(m->customs);
  bt_free(m);
}

/* ---- queries ---- */

/* Public contract in wasm.h. Imported functions are found by scanning the
 * imports (O(imports)); defined ones directly. */
const bt_wasm_functype_t *bt_wasm_func_type(const bt_wasm_module_t *m,
                                            uint32_t funcidx) {
  if (!m) return NULL;
  if (funcidx < m->nimported_funcs) {
    for (uint32_t i = 0; i < m->nimports; i++) {
      if (m->imports[i].kind != BT_WASM_EXTERN_FUNC) continue;
      if (funcidx-- == 0) return &m->types[m->imports[i].u.func_type];
    }
    return NULL;
  }
  funcidx -= m->nimported_funcs;
  if (funcidx >= m->nfuncs) return NULL;
  return &m->types[m->func_types[funcidx]];
}

/* Public contract in wasm.h (linear scan; names are unique). */
const bt_wasm_export_t *bt_wasm_find_export(const bt_wasm_module_t *m,
                                            const char *name) {
  if (!m || !name) return NULL;
  return bt_wasm_find_export_n(m, name, strlen(name));
}

/* Public contract in wasm.h. */
const bt_wasm_export_t *bt_wasm_find_export_n(const bt_wasm_module_t *m,
                                              const char *name, size_t len) {
  if (!m || !name) return NULL;
  for (uint32_t i = 0; i < m->nexports; i++)
    if (m->exports[i].name_len == len && memcmp(m->exports[i].name, name, len) == 0)
      return &m->exports[i];
  return NULL;
}

/* Public contract in wasm.h (first match in file order). */
const bt_wasm_custom_t *bt_wasm_find_custom(const bt_wasm_module_t *m,
                                            const char *name) {
  if (!m || !name) return NULL;
  for (uint32_t i = 0; i < m->ncustoms; i++)
    if (strcmp(m->customs[i].name, name) == 0) return &m->customs[i];
  return NULL;
}
