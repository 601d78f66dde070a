/*
 * tests/bindgen/guests/kitchen.c: a guest for world `kitchen`
 * (tests/bindgen/wit), written only against the bindings `baton bindgen c`
 * generates (kitchen.h). It exercises the generated C API the way a guest
 * author would: `api` echoes or transforms values of every WIT type kind,
 * `relay` forwards each call to the same function of the imported `host`
 * interface and returns what came back, `hello` calls the imported world
 * function `greet`. Every export frees what it owns, so the host can check
 * that repeated calls do not grow memory (`mem-pages`). Compiled by
 * tests/bindgen/test_bindgen.c with -Wall -Wextra -Werror.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kitchen.h"

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}

/* Sets ret to a heap copy of the printf-style text. */
static void str_printf(kitchen_string_t *ret, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void str_printf(kitchen_string_t *ret, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  kitchen_string_dup(ret, buf);
}

/* Sets ret to a + b (both borrowed). */
static void str_cat(kitchen_string_t *ret, const kitchen_string_t *a, const kitchen_string_t *b) {
  size_t n = a->len + b->len;
  ret->ptr = n ? xmalloc(n) : NULL;
  ret->len = n;
  if (a->len) memcpy(ret->ptr, a->ptr, a->len);
  if (b->len) memcpy(ret->ptr + a->len, b->ptr, b->len);
}

/* ---- world-level ---- */

void exports_kitchen_hello(kitchen_string_t *name, kitchen_string_t *ret) {
  kitchen_string_t greeting, prefix, tmp;
  kitchen_greet(name, &greeting); /* borrowed argument, owned result */
  kitchen_string_set(&prefix, "hello/");
  str_cat(&tmp, &prefix, name);
  kitchen_string_set(&prefix, "/");
  kitchen_string_t tmp2;
  str_cat(&tmp2, &tmp, &prefix);
  str_cat(ret, &tmp2, &greeting);
  kitchen_string_free(&tmp);
  kitchen_string_free(&tmp2);
  kitchen_string_free(&greeting);
  kitchen_string_free(name);
}

/* ---- api ---- */

void exports_test_bg_api_echo_prims(exports_test_bg_api_prims_t *p,
                                    exports_test_bg_api_prims_t *ret) {
  *ret = *p;
}

void exports_test_bg_api_echo_point(exports_test_bg_api_point_t *p,
                                    exports_test_bg_api_point_t *ret) {
  *ret = *p;
}

void exports_test_bg_api_echo_item(exports_test_bg_api_item_t *i, exports_test_bg_api_item_t *ret) {
  *ret = *i; /* moves the owned argument into the result */
}

void exports_test_bg_api_reverse_list(kitchen_list_u32_t *l, kitchen_list_u32_t *ret) {
  for (size_t i = 0; i < l->len / 2; i++) {
    uint32_t t = l->ptr[i];
    l->ptr[i] = l->ptr[l->len - 1 - i];
    l->ptr[l->len - 1 - i] = t;
  }
  *ret = *l;
}

uint32_t exports_test_bg_api_sum_flags(exports_test_bg_api_perms_t p, exports_test_bg_api_mid_t m,
                                       exports_test_bg_api_wide_t w) {
  uint32_t r = 0;
  if (p & TEST_BG_TYPES_PERMS_READ) r += 1;
  if (p & TEST_BG_TYPES_PERMS_WRITE) r += 2;
  if (p & TEST_BG_TYPES_PERMS_EXEC) r += 4;
  r += (uint32_t)__builtin_popcount(m) * 100;
  if (m & TEST_BG_TYPES_MID_M8) r += 1000;
  r += (uint32_t)__builtin_popcount(w) * 10000;
  if (w & TEST_BG_TYPES_WIDE_W16) r += 1000000;
  return r;
}

exports_test_bg_api_perms_t exports_test_bg_api_flip_perms(exports_test_bg_api_perms_t p) {
  return (exports_test_bg_api_perms_t)(~p & (TEST_BG_TYPES_PERMS_READ | TEST_BG_TYPES_PERMS_WRITE |
                                             TEST_BG_TYPES_PERMS_EXEC));
}

void exports_test_bg_api_map_variant(exports_test_bg_api_shape_t *s,
                                     exports_test_bg_api_shape_t *ret) {
  switch (s->tag) {
    case TEST_BG_TYPES_SHAPE_CIRCLE:
      ret->tag = TEST_BG_TYPES_SHAPE_CIRCLE;
      ret->val.circle = s->val.circle * 2;
      break;
    case TEST_BG_TYPES_SHAPE_RECT:
      ret->tag = TEST_BG_TYPES_SHAPE_RECT;
      ret->val.rect.x = s->val.rect.y;
      ret->val.rect.y = s->val.rect.x;
      break;
    case TEST_BG_TYPES_SHAPE_NONE:
      ret->tag = TEST_BG_TYPES_SHAPE_NAMED;
      kitchen_string_dup(&ret->val.named, "none");
      break;
    case TEST_BG_TYPES_SHAPE_NAMED:
      ret->tag = TEST_BG_TYPES_SHAPE_NAMED;
      ret->val.named = s->val.named; /* moved */
      for (size_t i = 0; i < ret->val.named.len; i++)
        if (ret->val.named.ptr[i] >= 'a' && ret->val.named.ptr[i] <= 'z')
          ret->val.named.ptr[i] = (uint8_t)(ret->val.named.ptr[i] - 'a' + 'A');
      break;
    case TEST_BG_TYPES_SHAPE_BIG:
      ret->tag = TEST_BG_TYPES_SHAPE_BIG;
      ret->val.big = s->val.big + 1;
      break;
  }
}

void exports_test_bg_api_echo_mixed(exports_test_bg_api_mixed_t *m,
                                    exports_test_bg_api_mixed_t *ret) {
  *ret = *m;
}

void exports_test_bg_api_describe_mixed(exports_test_bg_api_mixed_t *m, kitchen_string_t *ret) {
  switch (m->tag) {
    case TEST_BG_TYPES_MIXED_A: str_printf(ret, "a=%g", (double)m->val.a); break;
    case TEST_BG_TYPES_MIXED_B: str_printf(ret, "b=%llu", (unsigned long long)m->val.b); break;
    case TEST_BG_TYPES_MIXED_C: str_printf(ret, "c=%g", m->val.c); break;
    case TEST_BG_TYPES_MIXED_D: str_printf(ret, "d=%d", m->val.d); break;
    case TEST_BG_TYPES_MIXED_E:
      str_printf(ret, "e=%g,%u", (double)m->val.e.f0, m->val.e.f1);
      break;
    case TEST_BG_TYPES_MIXED_F:
      str_printf(ret, "f=%.*s", (int)m->val.f.len, (const char *)m->val.f.ptr);
      break;
    case TEST_BG_TYPES_MIXED_G:
      if (m->val.g.is_some) str_printf(ret, "g=%g", m->val.g.val);
      else str_printf(ret, "g=none");
      break;
    case TEST_BG_TYPES_MIXED_H: str_printf(ret, "h"); break;
    default: str_printf(ret, "?"); break;
  }
  test_bg_types_mixed_free(m);
}

void exports_test_bg_api_echo_string(kitchen_string_t *s, kitchen_string_t *ret) { *ret = *s; }

uint32_t exports_test_bg_api_string_len(kitchen_string_t *s) {
  uint32_t n = (uint32_t)s->len;
  kitchen_string_free(s);
  return n;
}

void exports_test_bg_api_concat(kitchen_string_t *a, kitchen_string_t *b, kitchen_string_t *ret) {
  str_cat(ret, a, b);
  kitchen_string_free(a);
  kitchen_string_free(b);
}

void exports_test_bg_api_echo_items(kitchen_list_item_t *items, kitchen_list_item_t *ret) {
  *ret = *items;
}

bool exports_test_bg_api_parse(exports_test_bg_api_bytes_t *data, uint8_t mode,
                               exports_test_bg_api_bytes_t *ret, exports_test_bg_api_error_t *err) {
  switch (mode) {
    case 0:
      for (size_t i = 0; i < data->len / 2; i++) {
        uint8_t t = data->ptr[i];
        data->ptr[i] = data->ptr[data->len - 1 - i];
        data->ptr[data->len - 1 - i] = t;
      }
      *ret = *data;
      return true;
    case 1:
      err->tag = TEST_BG_TYPES_ERROR_NOT_FOUND;
      kitchen_string_dup(&err->val.not_found, "missing");
      break;
    case 2:
      err->tag = TEST_BG_TYPES_ERROR_INVALID;
      err->val.invalid = (uint32_t)data->len;
      break;
    default: err->tag = TEST_BG_TYPES_ERROR_OTHER; break;
  }
  exports_test_bg_api_bytes_free(data);
  return false;
}

uint64_t exports_test_bg_api_sum16(uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5,
                                   uint32_t a6, uint32_t a7, uint32_t a8, uint32_t a9, uint32_t a10,
                                   uint32_t a11, uint32_t a12, uint32_t a13, uint32_t a14,
                                   uint32_t a15, uint32_t a16) {
  uint32_t a[] = {a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16};
  uint64_t s = 0;
  for (int i = 0; i < 16; i++) s += (uint64_t)(i + 1) * a[i];
  return s;
}

uint64_t exports_test_bg_api_sum17(uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5,
                                   uint32_t a6, uint32_t a7, uint32_t a8, uint32_t a9, uint32_t a10,
                                   uint32_t a11, uint32_t a12, uint32_t a13, uint32_t a14,
                                   uint32_t a15, uint32_t a16, uint32_t a17) {
  return exports_test_bg_api_sum16(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14,
                                   a15, a16) +
         17ull * a17;
}

void exports_test_bg_api_mix17(kitchen_string_t *s, exports_test_bg_api_bytes_t *l,
                               exports_test_bg_api_point_t *p, exports_test_bg_api_shape_t *sh,
                               kitchen_option_string_t *o, uint32_t a6, uint32_t a7, uint32_t a8,
                               uint32_t a9, uint32_t a10, uint32_t a11, kitchen_string_t *ret) {
  unsigned sum = 0;
  for (size_t i = 0; i < l->len; i++) sum += l->ptr[i];
  str_printf(ret, "%.*s|%zu:%u|%d,%d|%u|%.*s|%u", (int)s->len, (const char *)s->ptr, l->len, sum,
             p->x, p->y, sh->tag, o->is_some ? (int)o->val.len : 4,
             o->is_some ? (const char *)o->val.ptr : "none", a6 + a7 + a8 + a9 + a10 + a11);
  kitchen_string_free(s);
  exports_test_bg_api_bytes_free(l);
  exports_test_bg_api_shape_free(sh);
  kitchen_option_string_free(o);
}

void exports_test_bg_api_echo_tuple(kitchen_tuple5_u8_s16_f64_char_string_t *t,
                                    kitchen_tuple5_u8_s16_f64_char_string_t *ret) {
  *ret = *t;
}

exports_test_bg_api_color_t exports_test_bg_api_next_color(exports_test_bg_api_color_t c) {
  return c == TEST_BG_TYPES_COLOR_BLUE ? TEST_BG_TYPES_COLOR_RED : (exports_test_bg_api_color_t)(c + 1);
}

bool exports_test_bg_api_echo_option(kitchen_option_string_t *o, kitchen_string_t *ret) {
  if (!o->is_some) return false;
  *ret = o->val;
  return true;
}

bool exports_test_bg_api_maybe_double(kitchen_option_u32_t *o, uint32_t *ret) {
  if (!o->is_some) return false;
  *ret = o->val * 2;
  return true;
}

bool exports_test_bg_api_try_div(int32_t a, int32_t b, int32_t *ret, kitchen_string_t *err) {
  if (b == 0) {
    kitchen_string_dup(err, "division by zero");
    return false;
  }
  *ret = a / b;
  return true;
}

bool exports_test_bg_api_check(bool ok) { return ok; }

bool exports_test_bg_api_only_err(uint32_t x, exports_test_bg_api_error_t *err) {
  if (x == 0) return true;
  err->tag = TEST_BG_TYPES_ERROR_INVALID;
  err->val.invalid = x;
  return false;
}

bool exports_test_bg_api_only_ok(uint32_t x, uint32_t *ret) {
  if (x > 100) return false;
  *ret = x * 3;
  return true;
}

void exports_test_bg_api_echo_nested(exports_test_bg_api_nested_t *v,
                                     exports_test_bg_api_nested_t *ret) {
  *ret = *v;
}

void exports_test_bg_api_echo_chars(kitchen_list_u32_t *s, kitchen_list_u32_t *ret) { *ret = *s; }

uint32_t exports_test_bg_api_next_char(uint32_t c) {
  if (c == 0xD7FF) return 0xE000;
  if (c == 0x10FFFF) return 0;
  return c + 1;
}

void exports_test_bg_api_echo_deep(exports_test_bg_api_deep_t *d, exports_test_bg_api_deep_t *ret) {
  *ret = *d;
}

double exports_test_bg_api_add_floats(float a, double b) { return (double)a + b; }

void exports_test_bg_api_negate(int8_t a, int16_t b, int32_t c, int64_t d,
                                kitchen_tuple4_s8_s16_s32_s64_t *ret) {
  ret->f0 = (int8_t)-a;
  ret->f1 = (int16_t)-b;
  ret->f2 = -c;
  ret->f3 = -d;
}

uint64_t exports_test_bg_api_max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

uint32_t exports_test_bg_api_mem_pages(void) { return (uint32_t)__builtin_wasm_memory_size(0); }

/* ---- relay: call the import, return what came back ---- */

void exports_test_bg_relay_log(kitchen_string_t *msg) {
  test_bg_host_log(msg);
  kitchen_string_free(msg);
}

bool exports_test_bg_relay_get_config(kitchen_string_t *key, kitchen_string_t *ret,
                                      exports_test_bg_relay_error_t *err) {
  bool ok = test_bg_host_get_config(key, ret, err);
  kitchen_string_free(key);
  return ok;
}

void exports_test_bg_relay_make_items(uint32_t n, kitchen_list_item_t *ret) {
  test_bg_host_make_items(n, ret);
}

uint32_t exports_test_bg_relay_check_mixed(exports_test_bg_relay_shape_t *s,
                                           exports_test_bg_relay_mixed_t *m,
                                           exports_test_bg_relay_color_t c,
                                           exports_test_bg_relay_perms_t p, uint32_t ch,
                                           kitchen_option_f64_t *o) {
  uint32_t r = test_bg_host_check_mixed(s, m, c, p, ch, o);
  exports_test_bg_relay_shape_free(s);
  exports_test_bg_relay_mixed_free(m);
  return r;
}

uint32_t exports_test_bg_relay_count17(uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4,
                                       uint32_t a5, uint32_t a6, uint32_t a7, uint32_t a8,
                                       uint32_t a9, uint32_t a10, uint32_t a11, uint32_t a12,
                                       uint32_t a13, uint32_t a14, uint32_t a15, uint32_t a16,
                                       uint32_t a17) {
  return test_bg_host_count17(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16,
                              a17);
}

void exports_test_bg_relay_join9(kitchen_string_t *a, kitchen_string_t *b, kitchen_string_t *c,
                                 kitchen_string_t *d, kitchen_string_t *e, kitchen_string_t *f,
                                 kitchen_string_t *g, kitchen_string_t *h, kitchen_string_t *i,
                                 kitchen_string_t *ret) {
  test_bg_host_join9(a, b, c, d, e, f, g, h, i, ret);
  kitchen_string_t *all[] = {a, b, c, d, e, f, g, h, i};
  for (int k = 0; k < 9; k++) kitchen_string_free(all[k]);
}

void exports_test_bg_relay_get_prims(exports_test_bg_relay_prims_t *p,
                                     exports_test_bg_relay_prims_t *ret) {
  test_bg_host_get_prims(p, ret);
}

bool exports_test_bg_relay_maybe(kitchen_option_u32_t *x, uint32_t *ret) {
  return test_bg_host_maybe(x, ret);
}

exports_test_bg_relay_color_t exports_test_bg_relay_pick_color(uint32_t n) {
  return test_bg_host_pick_color(n);
}

exports_test_bg_relay_wide_t exports_test_bg_relay_get_flags(exports_test_bg_relay_perms_t p,
                                                             exports_test_bg_relay_mid_t m,
                                                             exports_test_bg_relay_wide_t w) {
  return test_bg_host_get_flags(p, m, w);
}

uint32_t exports_test_bg_relay_next_char(uint32_t c) { return test_bg_host_next_char(c); }

void exports_test_bg_relay_get_nested(exports_test_bg_relay_nested_t *v,
                                      exports_test_bg_relay_nested_t *ret) {
  test_bg_host_get_nested(v, ret);
  exports_test_bg_relay_nested_free(v);
}

void exports_test_bg_relay_get_deep(exports_test_bg_relay_deep_t *d,
                                    exports_test_bg_relay_deep_t *ret) {
  test_bg_host_get_deep(d, ret);
  exports_test_bg_relay_deep_free(d);
}

bool exports_test_bg_relay_unit(bool ok) { return test_bg_host_unit(ok); }

double exports_test_bg_relay_get_f64(double x) { return test_bg_host_get_f64(x); }

uint64_t exports_test_bg_relay_get_u64(uint64_t x) { return test_bg_host_get_u64(x); }

void exports_test_bg_relay_get_mixed(exports_test_bg_relay_mixed_t *m,
                                     exports_test_bg_relay_mixed_t *ret) {
  test_bg_host_get_mixed(m, ret);
  exports_test_bg_relay_mixed_free(m);
}

int8_t exports_test_bg_relay_get_s8(int8_t x) { return test_bg_host_get_s8(x); }

bool exports_test_bg_relay_only_err(uint32_t x, exports_test_bg_relay_error_t *err) {
  return test_bg_host_only_err(x, err);
}

void exports_test_bg_relay_get_tuple(kitchen_tuple5_u8_s16_f64_char_string_t *t,
                                     kitchen_tuple5_u8_s16_f64_char_string_t *ret) {
  test_bg_host_get_tuple(t, ret);
  kitchen_tuple5_u8_s16_f64_char_string_free(t);
}
