/*
 * src/component/reader.c: the low-level machinery of the component reader:
 * the allocation arena, error raising with byte offsets, bounded cursors
 * and LEB128/string primitives, validation of import/export names (labels,
 * interface names, semantic versions) and of their strong uniqueness, the
 * index spaces of a scope, and the `sort` encodings.
 *
 * Every reading primitive checks the bytes left in its cursor first, so a
 * truncated or lying input can only produce an error, never an
 * out-of-bounds read. Vector counts are checked against the bytes left
 * before anything is allocated.
 */
#include <ctype.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "component/internal.h"

/* Index spaces are capped so that counts and indices stay well inside
 * uint32_t arithmetic. */
#define CM_MAX_SPACE 1000000u

/* ---- arena ---- */

struct cm_chunk {
  cm_chunk *next;
  size_t size, used;
  alignas(max_align_t) unsigned char data[];
};

/* Contract in internal.h. Chunks are at least 32 KiB; requests are
 * rounded up to max_align_t. */
void *cm_arena_alloc(cm_arena *a, size_t n) {
  const size_t align = alignof(max_align_t);
  if (n > SIZE_MAX / 2) return NULL;
  n = (n + align - 1) & ~(align - 1);
  if (n == 0) n = align;
  cm_chunk *ch = a->head;
  if (!ch || ch->size - ch->used < n) {
    size_t size = n > 32768 ? n : 32768;
    ch = bt_malloc(sizeof *ch + size);
    if (!ch) return NULL;
    ch->size = size;
    ch->used = 0;
    ch->next = a->head;
    a->head = ch;
  }
  void *p = ch->data + ch->used;
  ch->used += n;
  memset(p, 0, n);
  return p;
}

/* Contract in internal.h. */
void cm_arena_free(cm_arena *a) {
  cm_chunk *ch = a->head;
  while (ch) {
    cm_chunk *next = ch->next;
    bt_free(ch);
    ch = next;
  }
  a->head = NULL;
}

/* ---- errors ---- */

void cm_fail(cm_ctx *c, const uint8_t *at, baton_errno_t code, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (at && at >= c->base && at <= c->base + c->len) {
    size_t off = (size_t)(at - c->base);
    if (c->section)
      c->err = baton_error_new(code, "offset 0x%zx: %s: %s", off, c->section, msg);
    else
      c->err = baton_error_new(code, "offset 0x%zx: %s", off, msg);
  } else if (c->section) {
    c->err = baton_error_new(code, "%s: %s", c->section, msg);
  } else {
    c->err = baton_error_new(code, "%s", msg);
  }
  longjmp(c->jmp, 1);
}

/* Contract in internal.h. */
void cm_oom(cm_ctx *c) {
  c->err = baton_error_new(BATON_ENO_MEMORY, "out of memory while reading a component");
  longjmp(c->jmp, 1);
}

/* Contract in internal.h. */
void cm_burn(cm_ctx *c, const uint8_t *at, uint64_t steps) {
  if (c->fuel < steps) {
    c->fuel = 0;
    cm_fail(c, at, BATON_ELIMIT,
            "the component's types are too complex to validate (type-checking budget exhausted)");
  }
  c->fuel -= steps;
}

/* Contract in internal.h. */
void *cm_alloc(cm_ctx *c, size_t n) {
  void *p = cm_arena_alloc(&c->root->arena, n);
  if (!p) cm_oom(c);
  return p;
}

/* Contract in internal.h; products above SIZE_MAX / 4 count as out of
 * memory. */
void *cm_alloc_array(cm_ctx *c, size_t count, size_t size) {
  if (size && count > SIZE_MAX / 4 / size) cm_oom(c);
  return cm_alloc(c, count * size);
}

/* Contract in internal.h. */
char *cm_strndup(cm_ctx *c, const char *s, size_t n) {
  char *p = cm_alloc(c, n + 1);
  if (n) memcpy(p, s, n);
  p[n] = 0;
  return p;
}

/* Contract in internal.h. The old array stays in the arena (arena memory
 * is never freed individually). */
void *cm_grow(cm_ctx *c, void *items, size_t elem, uint32_t len, uint32_t *cap, uint32_t need) {
  if (need <= *cap) return items;
  uint32_t ncap = *cap ? *cap : 8;
  while (ncap < need) {
    if (ncap > UINT32_MAX / 2) cm_oom(c);
    ncap *= 2;
  }
  void *n = cm_alloc_array(c, ncap, elem);
  if (len) memcpy(n, items, (size_t)len * elem);
  *cap = ncap;
  return n;
}

/* ---- primitives ---- */

uint8_t cm_byte(cm_ctx *c, cm_rd *r, const char *what) {
  if (r->pos >= r->end) cm_fail(c, r->pos, BATON_EMALFORMED, "unexpected end while reading %s", what);
  return *r->pos++;
}

/* Contract in internal.h. */
uint32_t cm_u32(cm_ctx *c, cm_rd *r, const char *what) {
  const uint8_t *at = r->pos;
  uint64_t v;
  if (at >= r->end) cm_fail(c, at, BATON_EMALFORMED, "unexpected end while reading %s", what);
  if (!bt_wasm_read_uleb(&r->pos, r->end, 32, &v)) {
    /* Tell truncation apart from a bad encoding. */
    const uint8_t *p = at;
    while (p < r->end && (*p & 0x80)) p++;
    if (p >= r->end)
      cm_fail(c, at, BATON_EMALFORMED, "unexpected end while reading %s", what);
    cm_fail(c, at, BATON_EMALFORMED, "invalid LEB128 encoding of %s (u32)", what);
  }
  return (uint32_t)v;
}

/* Contract in internal.h. */
int64_t cm_s33(cm_ctx *c, cm_rd *r, const char *what) {
  const uint8_t *at = r->pos;
  int64_t v;
  if (at >= r->end) cm_fail(c, at, BATON_EMALFORMED, "unexpected end while reading %s", what);
  if (!bt_wasm_read_sleb(&r->pos, r->end, 33, &v)) {
    const uint8_t *p = at;
    while (p < r->end && (*p & 0x80)) p++;
    if (p >= r->end)
      cm_fail(c, at, BATON_EMALFORMED, "unexpected end while reading %s", what);
    cm_fail(c, at, BATON_EMALFORMED, "invalid LEB128 encoding of %s (s33)", what);
  }
  return v;
}

/* Contract in internal.h. */
uint32_t cm_count(cm_ctx *c, cm_rd *r, size_t min_each, const char *what) {
  const uint8_t *at = r->pos;
  uint32_t n = cm_u32(c, r, what);
  size_t left = (size_t)(r->end - r->pos);
  if (min_each && n > left / min_each)
    cm_fail(c, at, BATON_EMALFORMED, "%s: count %u is larger than the %zu bytes left", what, n,
            left);
  return n;
}

/* Returns the length of the valid UTF-8 sequence starting at p (n bytes
 * available), or 0 when it is invalid (overlong, surrogate, > U+10FFFF). */
static size_t utf8_seq(const uint8_t *p, size_t n) {
  uint8_t b = p[0];
  if (b < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((b & 0xe0) == 0xc0) len = 2, cp = b & 0x1f;
  else if ((b & 0xf0) == 0xe0) len = 3, cp = b & 0x0f;
  else if ((b & 0xf8) == 0xf0) len = 4, cp = b & 0x07;
  else return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

/* Contract in internal.h. */
const char *cm_string(cm_ctx *c, cm_rd *r, const char *what) {
  const uint8_t *at = r->pos;
  uint32_t n = cm_u32(c, r, what);
  if (n > (size_t)(r->end - r->pos))
    cm_fail(c, at, BATON_EMALFORMED, "%s: length %u runs past the end (%zu bytes left)", what, n,
            (size_t)(r->end - r->pos));
  const uint8_t *s = r->pos;
  for (size_t i = 0; i < n;) {
    if (s[i] == 0)
      cm_fail(c, s + i, BATON_EUNSUPPORTED, "%s contains a NUL character", what);
    size_t k = utf8_seq(s + i, n - i);
    if (!k) cm_fail(c, s + i, BATON_EMALFORMED, "%s is not valid UTF-8", what);
    i += k;
  }
  r->pos += n;
  return cm_strndup(c, (const char *)s, n);
}

/* Contract in internal.h. */
void cm_expect_end(cm_ctx *c, cm_rd *r, const char *what) {
  if (r->pos != r->end)
    cm_fail(c, r->pos, BATON_EMALFORMED, "%s: %zu unexpected bytes at the end", what,
            (size_t)(r->end - r->pos));
}

/* ---- names ---- */

static bool is_lower(char ch) { return ch >= 'a' && ch <= 'z'; }
static bool is_upper(char ch) { return ch >= 'A' && ch <= 'Z'; }
static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* Validates a fragment list; `lower_only` restricts to words (package and
 * namespace names). */
static bool fragments(const char *s, size_t n, bool lower_only) {
  if (n == 0) return false;
  size_t i = 0;
  bool first = true;
  while (i < n) {
    size_t start = i;
    while (i < n && s[i] != '-') i++;
    if (i == start) return false; /* empty fragment: leading, trailing or double '-' */
    bool word = true, acronym = true;
    for (size_t k = start; k < i; k++) {
      if (!is_lower(s[k]) && !is_digit(s[k])) word = false;
      if (!is_upper(s[k]) && !is_digit(s[k])) acronym = false;
    }
    if (lower_only) acronym = false;
    if (!word && !acronym) return false;
    if (first && !(is_lower(s[start]) || (!lower_only && is_upper(s[start])))) return false;
    first = false;
    if (i < n) {
      i++;
      if (i == n) return false;
    }
  }
  return true;
}

/* Contract in internal.h. */
bool cm_is_label(const char *s, size_t n) { return fragments(s, n, false); }

/* Checks a dot-separated semver identifier list; `numeric_rule` forbids
 * leading zeros in all-digit identifiers (pre-release). */
static bool semver_idents(const char *s, size_t n, bool numeric_rule) {
  if (n == 0) return false;
  size_t i = 0;
  while (i <= n) {
    size_t start = i;
    bool digits = true;
    while (i < n && s[i] != '.') {
      char ch = s[i];
      if (!(is_lower(ch) || is_upper(ch) || is_digit(ch) || ch == '-')) return false;
      if (!is_digit(ch)) digits = false;
      i++;
    }
    if (i == start) return false;
    if (numeric_rule && digits && i - start > 1 && s[start] == '0') return false;
    if (i == n) return true;
    i++;
  }
  return false;
}

/* Contract in internal.h: MAJOR.MINOR.PATCH without leading zeros, then an
 * optional -pre-release and +build as in semver 2.0. */
bool cm_is_semver(const char *s, size_t n) {
  size_t i = 0;
  for (int part = 0; part < 3; part++) {
    size_t start = i;
    while (i < n && is_digit(s[i])) i++;
    if (i == start || i - start > 19) return false;
    if (i - start > 1 && s[start] == '0') return false;
    if (part < 2) {
      if (i >= n || s[i] != '.') return false;
      i++;
    }
  }
  if (i == n) return true;
  const char *plus = memchr(s + i, '+', n - i);
  size_t pre_end = plus ? (size_t)(plus - s) : n;
  if (s[i] == '-') {
    if (!semver_idents(s + i + 1, pre_end - i - 1, true)) return false;
  } else if (s[i] != '+') {
    return false;
  }
  if (plus) return semver_idents(plus + 1, n - (size_t)(plus - s) - 1, false);
  return true;
}

/* Validates `ns:pkg/iface[@version]`. */
static bool is_interface_name(const char *s) {
  const char *colon = strchr(s, ':');
  if (!colon) return false;
  const char *slash = strchr(colon, '/');
  if (!slash) return false;
  const char *at = strchr(slash, '@');
  size_t iface_len = at ? (size_t)(at - slash - 1) : strlen(slash + 1);
  if (!fragments(s, (size_t)(colon - s), true)) return false;
  if (!fragments(colon + 1, (size_t)(slash - colon - 1), true)) return false;
  if (!cm_is_label(slash + 1, iface_len)) return false;
  if (at && !cm_is_semver(at + 1, strlen(at + 1))) return false;
  return true;
}

/* True when `s` starts with `p`. */
static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* Validates `label.label` (the tail of [method]/[static] names). */
static bool is_dotted(const char *s) {
  const char *dot = strchr(s, '.');
  if (!dot) return false;
  return cm_is_label(s, (size_t)(dot - s)) && cm_is_label(dot + 1, strlen(dot + 1));
}

/* Contract in internal.h. */
void cm_check_extern_name(cm_ctx *c, const uint8_t *at, const char *name, const char *what) {
  bool ok;
  if (has_prefix(name, "[constructor]")) ok = cm_is_label(name + 13, strlen(name + 13));
  else if (has_prefix(name, "[method]")) ok = is_dotted(name + 8);
  else if (has_prefix(name, "[static]")) ok = is_dotted(name + 8);
  else if (strchr(name, ':')) ok = is_interface_name(name);
  else ok = cm_is_label(name, strlen(name));
  /* Dependency, URL and hash names of earlier drafts: accepted as opaque. */
  if (!ok && (has_prefix(name, "unlocked-dep=<") || has_prefix(name, "locked-dep=<") ||
              has_prefix(name, "url=<") || has_prefix(name, "integrity=<")))
    ok = true;
  if (!ok)
    cm_fail(c, at, BATON_EINVALID,
            "%s name `%s` is not a valid kebab-case label or `namespace:package/interface[@version]` "
            "name",
            what, name);
}

/* Canonicalizes a name for strong uniqueness into the arena. */
static const char *canonical_name(cm_ctx *c, const char *name, int mode) {
  if (mode == CM_NAMES_EXACT) return name;
  size_t n = strlen(name);
  char *s = cm_strndup(c, name, n);
  for (size_t i = 0; i < n; i++) s[i] = (char)tolower((unsigned char)s[i]);
  if (mode == CM_NAMES_LABEL) return s;
  if (has_prefix(s, "[method]") || has_prefix(s, "[static]")) {
    char *rest = s + 8;
    char *dot = strchr(rest, '.');
    if (dot && (size_t)(dot - rest) == strlen(dot + 1) && strncmp(rest, dot + 1, strlen(dot + 1)) == 0)
      *dot = 0;
    return rest;
  }
  return s;
}

/* FNV-1a hash of a string. */
static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* Contract in internal.h. */
bool cm_nameset_add(cm_ctx *c, cm_nameset *set, const char *name, int mode) {
  const char *key = canonical_name(c, name, mode);
  if ((set->len + 1) * 2 > set->cap) {
    uint32_t ncap = set->cap ? set->cap * 2 : 16;
    const char **slots = cm_alloc_array(c, ncap, sizeof *slots);
    for (uint32_t i = 0; i < set->cap; i++) {
      if (!set->slots[i]) continue;
      uint32_t j = (uint32_t)hash_str(set->slots[i]) & (ncap - 1);
      while (slots[j]) j = (j + 1) & (ncap - 1);
      slots[j] = set->slots[i];
    }
    set->slots = slots;
    set->cap = ncap;
  }
  uint32_t j = (uint32_t)hash_str(key) & (set->cap - 1);
  while (set->slots[j]) {
    if (strcmp(set->slots[j], key) == 0) return false;
    j = (j + 1) & (set->cap - 1);
  }
  set->slots[j] = key;
  set->len++;
  return true;
}

/* ---- sorts and index spaces ---- */

const char *bt_csort_name(bt_csort_t sort) {
  switch (sort) {
    case BT_CSORT_CORE_FUNC: return "core func";
    case BT_CSORT_CORE_TABLE: return "core table";
    case BT_CSORT_CORE_MEMORY: return "core memory";
    case BT_CSORT_CORE_GLOBAL: return "core global";
    case BT_CSORT_CORE_TAG: return "core tag";
    case BT_CSORT_CORE_TYPE: return "core type";
    case BT_CSORT_CORE_MODULE: return "core module";
    case BT_CSORT_CORE_INSTANCE: return "core instance";
    case BT_CSORT_FUNC: return "func";
    case BT_CSORT_VALUE: return "value";
    case BT_CSORT_TYPE: return "type";
    case BT_CSORT_COMPONENT: return "component";
    case BT_CSORT_INSTANCE: return "instance";
    case BT_CSORT_COUNT: break;
  }
  return "?";
}

/* Longer names for index-range messages ("core function index 3"). */
static const char *space_name(bt_csort_t sort) {
  switch (sort) {
    case BT_CSORT_CORE_FUNC: return "core function";
    case BT_CSORT_FUNC: return "function";
    default: return bt_csort_name(sort);
  }
}

/* Contract in internal.h. */
uint32_t cm_space_push(cm_ctx *c, cm_scope *s, bt_csort_t sort, const void *type,
                       const uint8_t *at) {
  bt_cspace_t *sp = &s->spaces[sort];
  if (sp->count >= CM_MAX_SPACE)
    cm_fail(c, at, BATON_ELIMIT, "more than %u entries in the %s index space", CM_MAX_SPACE,
            bt_csort_name(sort));
  bt_cspace_entry_t e = {type, s->kind == CM_SCOPE_COMPONENT ? s->cur_def : UINT32_MAX};
  CM_PUSH(c, sp->items, sp->count, sp->cap, e);
  return sp->count - 1;
}

/* Contract in internal.h. */
const void *cm_space_get(cm_ctx *c, cm_scope *s, bt_csort_t sort, uint32_t idx,
                         const uint8_t *at, const char *what) {
  bt_cspace_t *sp = &s->spaces[sort];
  if (idx >= sp->count)
    cm_fail(c, at, BATON_EINVALID, "%s: %s index %u out of range (%u defined)", what,
            space_name(sort), idx, sp->count);
  return sp->items[idx].type;
}

/* Contract in internal.h. */
bt_csort_t cm_read_core_sort(cm_ctx *c, cm_rd *r) {
  const uint8_t *at = r->pos;
  uint8_t b = cm_byte(c, r, "core sort");
  switch (b) {
    case 0x00: return BT_CSORT_CORE_FUNC;
    case 0x01: return BT_CSORT_CORE_TABLE;
    case 0x02: return BT_CSORT_CORE_MEMORY;
    case 0x03: return BT_CSORT_CORE_GLOBAL;
    case 0x04: return BT_CSORT_CORE_TAG;
    case 0x10: return BT_CSORT_CORE_TYPE;
    case 0x11: return BT_CSORT_CORE_MODULE;
    case 0x12: return BT_CSORT_CORE_INSTANCE;
  }
  cm_fail(c, at, BATON_EMALFORMED, "invalid core sort 0x%02x", b);
}

/* Contract in internal.h. */
bt_csort_t cm_read_sort(cm_ctx *c, cm_rd *r) {
  const uint8_t *at = r->pos;
  uint8_t b = cm_byte(c, r, "sort");
  switch (b) {
    case 0x00: return cm_read_core_sort(c, r);
    case 0x01: return BT_CSORT_FUNC;
    case 0x02: return BT_CSORT_VALUE;
    case 0x03: return BT_CSORT_TYPE;
    case 0x04: return BT_CSORT_COMPONENT;
    case 0x05: return BT_CSORT_INSTANCE;
  }
  cm_fail(c, at, BATON_EMALFORMED, "invalid sort 0x%02x", b);
}
