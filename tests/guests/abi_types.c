/*
 * tests/guests/abi_types.c: a reactor exporting functions of every WIT type
 * kind, written directly against the Canonical ABI (what wit-bindgen would
 * generate for the world `types-guest` in tests/abi/test_abi.c). Echo
 * functions hand the argument's allocations back as the result and free
 * them in their `cabi_post_*` function, which counts its calls; the
 * `test:abi/bad` interface returns values that break the ABI on purpose.
 */
#include "abi_guest.h"

static uint32_t g_post; /* cabi_post_* calls */
static uint8_t g_ret[64] __attribute__((aligned(8))); /* the return area */

EXPORT("post-count") uint32_t post_count(void) { return g_post; }

/* ---- world-level functions ---- */

EXPORT("echo-string") str_t *echo_string(char *p, size_t n) {
  str_t *r = (str_t *)g_ret;
  r->ptr = p;
  r->len = n;
  return r;
}
EXPORT("cabi_post_echo-string") void post_echo_string(str_t *r) {
  gfree(r->ptr);
  g_post++;
}

/* string-stats: func(s: string) -> tuple<u32, u32> (length, byte sum) */
EXPORT("string-stats") uint32_t *string_stats(char *p, size_t n) {
  uint32_t *r = (uint32_t *)g_ret, sum = 0;
  for (size_t i = 0; i < n; i++) sum += (uint8_t)p[i];
  r[0] = n;
  r[1] = sum;
  gfree(p);
  return r;
}

/* make-string: func(n: u32, c: char) -> string (n copies of c) */
EXPORT("make-string") str_t *make_string(uint32_t n, uint32_t c) {
  char enc[4];
  size_t k;
  if (c < 0x80) enc[0] = (char)c, k = 1;
  else if (c < 0x800) enc[0] = (char)(0xC0 | (c >> 6)), enc[1] = (char)(0x80 | (c & 0x3F)), k = 2;
  else if (c < 0x10000)
    enc[0] = (char)(0xE0 | (c >> 12)), enc[1] = (char)(0x80 | ((c >> 6) & 0x3F)),
    enc[2] = (char)(0x80 | (c & 0x3F)), k = 3;
  else
    enc[0] = (char)(0xF0 | (c >> 18)), enc[1] = (char)(0x80 | ((c >> 12) & 0x3F)),
    enc[2] = (char)(0x80 | ((c >> 6) & 0x3F)), enc[3] = (char)(0x80 | (c & 0x3F)), k = 4;
  char *p = galloc(n * k);
  for (uint32_t i = 0; i < n; i++) memcpy(p + i * k, enc, k);
  str_t *r = (str_t *)g_ret;
  r->ptr = p;
  r->len = n * k;
  return r;
}
EXPORT("cabi_post_make-string") void post_make_string(str_t *r) {
  gfree(r->ptr);
  g_post++;
}

/* ---- interface test:abi/api ---- */

EXPORT("test:abi/api#echo-list-u32") list_u32_t *echo_list_u32(uint32_t *p, size_t n) {
  list_u32_t *r = (list_u32_t *)g_ret;
  r->ptr = p;
  r->len = n;
  return r;
}
EXPORT("cabi_post_test:abi/api#echo-list-u32") void post_echo_list_u32(list_u32_t *r) {
  gfree(r->ptr);
  g_post++;
}

EXPORT("test:abi/api#sum-s64") int64_t sum_s64(int64_t *p, size_t n) {
  int64_t s = 0;
  for (size_t i = 0; i < n; i++) s += p[i];
  gfree(p);
  return s;
}

/* echo-person: func(p: person) -> person; flat (i32 x 8) -> i32 */
EXPORT("test:abi/api#echo-person")
person_t *echo_person(char *name, size_t name_len, uint32_t age, str_t *tags, size_t ntags,
                      uint32_t home_some, int32_t x, int32_t y) {
  person_t *r = (person_t *)g_ret;
  r->name = (str_t){name, name_len};
  r->age = (uint8_t)age;
  r->tags = (list_str_t){tags, ntags};
  r->home.is_some = (uint8_t)home_some;
  r->home.val = home_some ? (point_t){x, y} : (point_t){0, 0};
  return r;
}
EXPORT("cabi_post_test:abi/api#echo-person") void post_echo_person(person_t *r) {
  free_person(r);
  g_post++;
}

/* echo-shape: func(s: shape) -> shape; flat (i32, i64, i32) -> i32 */
EXPORT("test:abi/api#echo-shape") shape_t *echo_shape(uint32_t tag, uint64_t a, uint32_t b) {
  shape_t *r = (shape_t *)g_ret;
  memset(r, 0, sizeof *r);
  r->tag = (uint8_t)tag;
  switch (tag) {
    case SHAPE_CIRCLE: {
      uint32_t bits = (uint32_t)a;
      memcpy(&r->val.circle, &bits, 4);
      break;
    }
    case SHAPE_RECT: r->val.rect = (point_t){(int32_t)(uint32_t)a, (int32_t)b}; break;
    case SHAPE_NAMED: r->val.named = (str_t){(char *)(uintptr_t)(uint32_t)a, b}; break;
    case SHAPE_BIG: r->val.big = a; break;
    default: break;
  }
  return r;
}
EXPORT("cabi_post_test:abi/api#echo-shape") void post_echo_shape(shape_t *r) {
  free_shape(r);
  g_post++;
}

EXPORT("test:abi/api#next-color") uint32_t next_color(uint32_t c) { return (c + 1) % 3; }
EXPORT("test:abi/api#flip-perms") uint32_t flip_perms(uint32_t p) { return p ^ 7; }
EXPORT("test:abi/api#next-char") uint32_t next_char(uint32_t c) {
  return c == 0xD7FF ? 0xE000 : c + 1;
}

/* echo-prims: func(p: prims) -> prims; 12 flat params */
EXPORT("test:abi/api#echo-prims")
prims_t *echo_prims(uint32_t b, int32_t a, uint32_t c, int32_t d, uint32_t e, int32_t f,
                    uint32_t g, int64_t h, uint64_t i, float j, double k, uint32_t l) {
  prims_t *r = (prims_t *)g_ret;
  *r = (prims_t){(uint8_t)b, (int8_t)a, (uint8_t)c, (int16_t)d, (uint16_t)e, f, g, h, i, j, k, l};
  return r;
}

/* echo-tuple: func(t: tuple<u8, s16, f64, char>) -> same */
EXPORT("test:abi/api#echo-tuple")
tup4_t *echo_tuple(uint32_t a, int32_t b, double c, uint32_t d) {
  tup4_t *r = (tup4_t *)g_ret;
  *r = (tup4_t){(uint8_t)a, (int16_t)b, c, d};
  return r;
}

/* echo-opt: func(o: option<string>) -> option<string> */
EXPORT("test:abi/api#echo-opt") opt_str_t *echo_opt(uint32_t some, char *p, size_t n) {
  opt_str_t *r = (opt_str_t *)g_ret;
  r->is_some = (uint8_t)some;
  r->val = some ? (str_t){p, n} : (str_t){0, 0};
  return r;
}
EXPORT("cabi_post_test:abi/api#echo-opt") void post_echo_opt(opt_str_t *r) {
  if (r->is_some) gfree(r->val.ptr);
  g_post++;
}

/* make-result: func(ok: bool) -> result<person, string> */
EXPORT("test:abi/api#make-result") res_person_t *make_result(uint32_t ok) {
  res_person_t *r = (res_person_t *)g_ret;
  memset(r, 0, sizeof *r);
  if (ok) {
    person_t *p = &r->val.ok;
    p->name = str_dup("Zed");
    p->age = 7;
    p->tags.ptr = galloc(2 * sizeof(str_t));
    p->tags.ptr[0] = str_dup("a");
    p->tags.ptr[1] = str_dup("bc");
    p->tags.len = 2;
    p->home.is_some = 1;
    p->home.val = (point_t){1, -2};
  } else {
    r->is_err = 1;
    r->val.err = str_dup("no person");
  }
  return r;
}
EXPORT("cabi_post_test:abi/api#make-result") void post_make_result(res_person_t *r) {
  if (r->is_err) gfree(r->val.err.ptr);
  else free_person(&r->val.ok);
  g_post++;
}

/* sum16: 16 u32 params -> u64, the sum of (i+1) * a_i */
EXPORT("test:abi/api#sum16")
uint64_t sum16(uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5, uint32_t a6,
               uint32_t a7, uint32_t a8, uint32_t a9, uint32_t a10, uint32_t a11, uint32_t a12,
               uint32_t a13, uint32_t a14, uint32_t a15, uint32_t a16) {
  uint32_t a[16] = {a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16};
  uint64_t s = 0;
  for (int i = 0; i < 16; i++) s += (uint64_t)(i + 1) * a[i];
  return s;
}

/* sum17: 17 u32 params -> u64; spilled: the params arrive as a pointer to
 * a tuple the host allocated with cabi_realloc, which the callee frees. */
EXPORT("test:abi/api#sum17") uint64_t sum17(uint32_t *a) {
  uint64_t s = 0;
  for (int i = 0; i < 17; i++) s += (uint64_t)(i + 1) * a[i];
  gfree(a);
  return s;
}

/* join-strings: 9 strings (18 flat values, spilled) -> their concatenation
 * separated by '|'. */
EXPORT("test:abi/api#join-strings") str_t *join_strings(str_t *a) {
  size_t n = 0;
  for (int i = 0; i < 9; i++) n += a[i].len + (i ? 1 : 0);
  char *p = galloc(n), *q = p;
  for (int i = 0; i < 9; i++) {
    if (i) *q++ = '|';
    memcpy(q, a[i].ptr, a[i].len);
    q += a[i].len;
    gfree(a[i].ptr);
  }
  gfree(a);
  str_t *r = (str_t *)g_ret;
  r->ptr = p;
  r->len = n;
  return r;
}
EXPORT("cabi_post_test:abi/api#join-strings") void post_join_strings(str_t *r) {
  gfree(r->ptr);
  g_post++;
}

/* echo-nested: func(v: list<option<result<tuple<string, list<u16>>, shape>>>) -> same */
EXPORT("test:abi/api#echo-nested") list_nested_t *echo_nested(nested_t *p, size_t n) {
  list_nested_t *r = (list_nested_t *)g_ret;
  r->ptr = p;
  r->len = n;
  return r;
}
EXPORT("cabi_post_test:abi/api#echo-nested") void post_echo_nested(list_nested_t *r) {
  for (size_t i = 0; i < r->len; i++) {
    nested_t *e = &r->ptr[i];
    if (!e->is_some) continue;
    if (e->val.is_err) {
      free_shape(&e->val.val.err);
    } else {
      gfree(e->val.val.ok.s.ptr);
      gfree(e->val.val.ok.l.ptr);
    }
  }
  gfree(r->ptr);
  g_post++;
}

/* ---- interface test:abi/bad: ABI violations on purpose ---- */

static char g_bad_utf8[] = {'o', 'k', (char)0xff, 'x'};

EXPORT("test:abi/bad#bad-utf8") str_t *bad_utf8(void) {
  str_t *r = (str_t *)g_ret;
  *r = (str_t){g_bad_utf8, sizeof g_bad_utf8};
  return r;
}

EXPORT("test:abi/bad#bad-ptr") str_t *bad_ptr(void) {
  str_t *r = (str_t *)g_ret;
  r->ptr = (char *)(uintptr_t)(__builtin_wasm_memory_size(0) * 65536 - 16);
  r->len = 64;
  return r;
}

EXPORT("test:abi/bad#bad-disc") shape_t *bad_disc(void) {
  shape_t *r = (shape_t *)g_ret;
  memset(r, 0, sizeof *r);
  r->tag = 9;
  return r;
}

EXPORT("test:abi/bad#bad-char") uint32_t bad_char(void) { return 0xD800; }
EXPORT("test:abi/bad#big-char") uint32_t big_char(void) { return 0x110000; }
EXPORT("test:abi/bad#bad-flags") uint32_t bad_flags(void) { return 0x13; }

EXPORT("test:abi/bad#bad-align") list_u32_t *bad_align(void) {
  list_u32_t *r = (list_u32_t *)g_ret;
  r->ptr = (uint32_t *)(uintptr_t)0x1001;
  r->len = 1;
  return r;
}

EXPORT("test:abi/bad#bad-len") list_s64_t *bad_len(void) {
  list_s64_t *r = (list_s64_t *)g_ret;
  r->ptr = (int64_t *)(uintptr_t)8;
  r->len = 0x10000000;
  return r;
}

static str_t g_bad_tags[2] = {{"fine", 4}, {g_bad_utf8 + 2, 1}};
static person_t g_bad_people[1] = {{{"Ann", 3}, 30, {g_bad_tags, 2}, {0, {0, 0}}}};

EXPORT("test:abi/bad#bad-nested") list_person_t *bad_nested(void) {
  list_person_t *r = (list_person_t *)g_ret;
  r->ptr = g_bad_people;
  r->len = 1;
  return r;
}

EXPORT("test:abi/bad#bad-retptr") uint32_t bad_retptr(void) { return 0xFFFFFFF0u; }

EXPORT("test:abi/bad#bad-option") uint32_t *bad_option(void) {
  uint32_t *r = (uint32_t *)g_ret;
  r[0] = 2;
  r[1] = 5;
  return r;
}
