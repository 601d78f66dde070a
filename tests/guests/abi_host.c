/*
 * tests/guests/abi_host.c: a reactor that calls typed host imports written
 * against the Canonical ABI's lowered signatures (what wit-bindgen would
 * generate for the world `host-guest` in tests/abi/test_abi.c): results that
 * spill come back through a return pointer, 17 parameters are passed as a
 * pointer to a tuple, and strings/lists in results are allocated by the
 * host with this guest's cabi_realloc (so the guest frees them).
 */
#include "abi_guest.h"

IMPORT("$root", "greet") void imp_greet(const char *p, size_t n, str_t *ret);
IMPORT("test:abi/host", "make-person") void imp_make_person(const char *p, size_t n, uint32_t age,
                                                            person_t *ret);
IMPORT("test:abi/host", "sum-points") int64_t imp_sum_points(const point_t *p, size_t n);
IMPORT("test:abi/host", "count17") uint32_t imp_count17(const uint32_t *args);
IMPORT("test:abi/host", "classify") uint32_t imp_classify(uint32_t tag, uint64_t a, uint32_t b);
IMPORT("test:abi/host", "log") void imp_log(const char *p, size_t n);
IMPORT("test:abi/host", "repeat") void imp_repeat(const char *p, size_t n, uint32_t times,
                                                  str_t *ret);
IMPORT("test:abi/host", "split") void imp_split(const char *p, size_t n, list_str_t *ret);

static uint8_t g_ret[16] __attribute__((aligned(8)));

static str_t *ret_str(sb_t *b) {
  str_t *r = (str_t *)g_ret;
  r->ptr = b->p;
  r->len = b->len;
  return r;
}

EXPORT("run") str_t *run(void) {
  sb_t b = {0};
  str_t g;
  imp_greet("Ann", 3, &g);
  sb_put(&b, "greet=");
  sb_str(&b, g);
  gfree(g.ptr);

  person_t p;
  imp_make_person("Bob", 3, 42, &p);
  sb_put(&b, ";person=");
  sb_str(&b, p.name);
  sb_put(&b, "/");
  sb_int(&b, p.age);
  sb_put(&b, "/");
  for (size_t i = 0; i < p.tags.len; i++) {
    if (i) sb_put(&b, ",");
    sb_str(&b, p.tags.ptr[i]);
  }
  sb_put(&b, "/");
  if (p.home.is_some) {
    sb_put(&b, "(");
    sb_int(&b, p.home.val.x);
    sb_put(&b, ",");
    sb_int(&b, p.home.val.y);
    sb_put(&b, ")");
  } else {
    sb_put(&b, "none");
  }
  free_person(&p);

  point_t pts[3] = {{1, 2}, {3, 4}, {-5, 6}};
  sb_put(&b, ";sum=");
  sb_int(&b, imp_sum_points(pts, 3));

  uint32_t a[17];
  for (int i = 0; i < 17; i++) a[i] = (uint32_t)(i + 1);
  sb_put(&b, ";count17=");
  sb_int(&b, imp_count17(a));

  static const char hex[] = "hexagon";
  float r = 2.5f;
  uint32_t bits;
  memcpy(&bits, &r, 4);
  sb_put(&b, ";classify=");
  sb_int(&b, imp_classify(SHAPE_NAMED, (uint32_t)(uintptr_t)hex, 7));
  sb_put(&b, ",");
  sb_int(&b, imp_classify(SHAPE_CIRCLE, bits, 0));
  sb_put(&b, ",");
  sb_int(&b, imp_classify(SHAPE_RECT, (uint32_t)-3, 4));
  sb_put(&b, ",");
  sb_int(&b, imp_classify(SHAPE_BIG, 1ull << 40, 0));

  imp_log("hello from guest", 16);

  str_t rep;
  imp_repeat("ab", 2, 3, &rep);
  sb_put(&b, ";repeat=");
  sb_str(&b, rep);
  gfree(rep.ptr);

  list_str_t parts;
  imp_split("x y zz", 6, &parts);
  sb_put(&b, ";split=");
  for (size_t i = 0; i < parts.len; i++) {
    if (i) sb_put(&b, "+");
    sb_str(&b, parts.ptr[i]);
    gfree(parts.ptr[i].ptr);
  }
  gfree(parts.ptr);
  return ret_str(&b);
}
EXPORT("cabi_post_run") void post_run(str_t *r) { gfree(r->ptr); }

/* call-greet: func(name: string) -> string, passing the import's result on */
EXPORT("call-greet") str_t *call_greet(char *p, size_t n) {
  str_t *r = (str_t *)g_ret;
  imp_greet(p, n, r);
  gfree(p);
  return r;
}
EXPORT("cabi_post_call-greet") void post_call_greet(str_t *r) { gfree(r->ptr); }

/* repeat-check: func(n: u32) -> u32: asks the host for "xy" * n and returns
 * its length if every byte is right, else 0. */
EXPORT("repeat-check") uint32_t repeat_check(uint32_t n) {
  str_t s;
  imp_repeat("xy", 2, n, &s);
  uint32_t ok = s.len == 2 * n;
  for (size_t i = 0; ok && i < s.len; i++) ok = s.ptr[i] == (i % 2 ? 'y' : 'x');
  gfree(s.ptr);
  return ok ? (uint32_t)s.len : 0;
}

static char g_bad[] = {'a', (char)0xC0, (char)0x80};

EXPORT("bad-import-arg") void bad_import_arg(void) { imp_log(g_bad, sizeof g_bad); }

EXPORT("bad-import-retptr") void bad_import_retptr(void) {
  imp_greet("x", 1, (str_t *)(uintptr_t)0xFFFFFFF0u);
}
