/*
 * tests/guests/abi_caller.c: a reactor that imports the functions
 * abi_types.c exports (interface test:abi/api and the world-level
 * echo-string) with the Canonical ABI's lowered signatures. The test wires
 * each import straight to the other instance's export (guest-to-guest
 * forwarding, no host value tree in between) and checks the summary that
 * `run-peer` builds, and that both guests end with no leaked allocation.
 */
#include "abi_guest.h"

#define API "test:abi/api"
IMPORT("$root", "echo-string") void imp_echo_string(const char *p, size_t n, str_t *ret);
IMPORT(API, "echo-person") void imp_echo_person(const char *np, size_t nn, uint32_t age,
                                                const str_t *tags, size_t ntags, uint32_t some,
                                                int32_t x, int32_t y, person_t *ret);
IMPORT(API, "echo-shape") void imp_echo_shape(uint32_t tag, uint64_t a, uint32_t b, shape_t *ret);
IMPORT(API, "sum17") uint64_t imp_sum17(const uint32_t *args);
IMPORT(API, "join-strings") void imp_join_strings(const str_t *args, str_t *ret);
IMPORT(API, "echo-nested") void imp_echo_nested(const nested_t *p, size_t n, list_nested_t *ret);
IMPORT(API, "echo-list-u32") void imp_echo_list_u32(const uint32_t *p, size_t n, list_u32_t *ret);
IMPORT(API, "make-result") void imp_make_result(uint32_t ok, res_person_t *ret);
IMPORT(API, "next-char") uint32_t imp_next_char(uint32_t c);
IMPORT(API, "echo-prims") void imp_echo_prims(uint32_t b, int32_t a, uint32_t c, int32_t d,
                                              uint32_t e, int32_t f, uint32_t g, int64_t h,
                                              uint64_t i, float j, double k, uint32_t l,
                                              prims_t *ret);

static uint8_t g_ret[16] __attribute__((aligned(8)));

static void put_person(sb_t *b, const person_t *p) {
  sb_str(b, p->name);
  sb_put(b, "/");
  sb_int(b, p->age);
  sb_put(b, "/");
  for (size_t i = 0; i < p->tags.len; i++) {
    if (i) sb_put(b, ",");
    sb_str(b, p->tags.ptr[i]);
  }
  sb_put(b, "/");
  if (p->home.is_some) {
    sb_put(b, "(");
    sb_int(b, p->home.val.x);
    sb_put(b, ",");
    sb_int(b, p->home.val.y);
    sb_put(b, ")");
  } else {
    sb_put(b, "none");
  }
}

EXPORT("run-peer") str_t *run_peer(void) {
  sb_t b = {0};

  str_t tags[2] = {{"x", 1}, {"yz", 2}};
  person_t p;
  imp_echo_person("Peer", 4, 9, tags, 2, 1, 5, 6, &p);
  sb_put(&b, "person=");
  put_person(&b, &p);
  free_person(&p);

  shape_t s;
  imp_echo_shape(SHAPE_NAMED, (uint32_t)(uintptr_t)"tri", 3, &s);
  sb_put(&b, ";shape=");
  sb_str(&b, s.val.named);
  free_shape(&s);
  float f = 1.5f;
  uint32_t bits;
  memcpy(&bits, &f, 4);
  imp_echo_shape(SHAPE_CIRCLE, bits, 0, &s);
  sb_put(&b, ";circle=");
  sb_int(&b, (int64_t)(s.val.circle * 10));
  imp_echo_shape(SHAPE_BIG, 1ull << 40, 0, &s);
  sb_put(&b, ";big=");
  sb_int(&b, (int64_t)s.val.big);

  uint32_t a[17];
  for (int i = 0; i < 17; i++) a[i] = (uint32_t)(i + 1);
  sb_put(&b, ";sum17=");
  sb_int(&b, (int64_t)imp_sum17(a));

  str_t nine[9];
  char names[9][3];
  for (int i = 0; i < 9; i++) {
    names[i][0] = 's';
    names[i][1] = (char)('0' + i);
    nine[i] = (str_t){names[i], 2};
  }
  str_t joined;
  imp_join_strings(nine, &joined);
  sb_put(&b, ";join=");
  sb_str(&b, joined);
  gfree(joined.ptr);

  uint16_t nums[3] = {1, 2, 3};
  nested_t in[3];
  memset(in, 0, sizeof in);
  in[0].is_some = 1;
  in[0].val.val.ok = (pair_t){{"hi", 2}, {nums, 3}};
  in[2].is_some = 1;
  in[2].val.is_err = 1;
  in[2].val.val.err.tag = SHAPE_NAMED;
  in[2].val.val.err.val.named = (str_t){"sq", 2};
  list_nested_t out;
  imp_echo_nested(in, 3, &out);
  sb_put(&b, ";nested=");
  for (size_t i = 0; i < out.len; i++) {
    nested_t *e = &out.ptr[i];
    if (i) sb_put(&b, "/");
    if (!e->is_some) {
      sb_put(&b, "none");
    } else if (e->val.is_err) {
      sb_put(&b, "err:");
      sb_str(&b, e->val.val.err.val.named);
      free_shape(&e->val.val.err);
    } else {
      sb_str(&b, e->val.val.ok.s);
      sb_put(&b, ":");
      for (size_t k = 0; k < e->val.val.ok.l.len; k++) {
        if (k) sb_put(&b, ",");
        sb_int(&b, e->val.val.ok.l.ptr[k]);
      }
      gfree(e->val.val.ok.s.ptr);
      gfree(e->val.val.ok.l.ptr);
    }
  }
  gfree(out.ptr);

  uint32_t l3[3] = {10, 20, 30};
  list_u32_t lo;
  imp_echo_list_u32(l3, 3, &lo);
  uint32_t sum = 0;
  for (size_t i = 0; i < lo.len; i++) sum += lo.ptr[i];
  gfree(lo.ptr);
  sb_put(&b, ";list=");
  sb_int(&b, sum);

  res_person_t r;
  imp_make_result(1, &r);
  sb_put(&b, ";result=");
  if (!r.is_err) {
    put_person(&b, &r.val.ok);
    free_person(&r.val.ok);
  }
  imp_make_result(0, &r);
  sb_put(&b, ";err=");
  if (r.is_err) {
    sb_str(&b, r.val.err);
    gfree(r.val.err.ptr);
  }

  str_t e;
  imp_echo_string("h\xc3\xa9llo", 6, &e);
  sb_put(&b, ";echo=");
  sb_str(&b, e);
  gfree(e.ptr);

  sb_put(&b, ";char=");
  sb_int(&b, imp_next_char('z'));

  prims_t pr;
  imp_echo_prims(1, -5, 200, -30000, 60000, -2000000000, 4000000000u, -(1ll << 40), 1ull << 63,
                 0.25f, -1.5, 0x1F600, &pr);
  int ok = pr.b == 1 && pr.a == -5 && pr.c == 200 && pr.d == -30000 && pr.e == 60000 &&
           pr.f == -2000000000 && pr.g == 4000000000u && pr.h == -(1ll << 40) &&
           pr.i == 1ull << 63 && pr.j == 0.25f && pr.k == -1.5 && pr.l == 0x1F600;
  sb_put(&b, ok ? ";prims=ok" : ";prims=BAD");

  str_t *ret = (str_t *)g_ret;
  ret->ptr = b.p;
  ret->len = b.len;
  return ret;
}
EXPORT("cabi_post_run-peer") void post_run_peer(str_t *r) { gfree(r->ptr); }

/* bad-peer-arg: passes a string with a lone surrogate encoded in UTF-8 */
static char g_bad[] = {(char)0xED, (char)0xA0, (char)0x80};
EXPORT("bad-peer-arg") void bad_peer_arg(void) {
  str_t r;
  imp_echo_string(g_bad, sizeof g_bad, &r);
}
