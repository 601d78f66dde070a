/*
 * tests/component/guests/provider.c: implements world `provider` of
 * tests/component/wit/svc.wit (bindings from `baton bindgen c`): text
 * functions over every kind of value, a function whose parameters spill to
 * memory, one that traps, and the `blob` resource (a growable byte buffer
 * whose destructor keeps a live count). No libc I/O, so the component has
 * no WASI imports. Built with -DTEXT_ONLY it implements world
 * `text-provider` (the text interface alone).
 */
#include <stdlib.h>
#include <string.h>

#ifdef TEXT_ONLY
#include "text_provider.h"
#define provider_string_t text_provider_string_t
#define provider_list_string_t text_provider_list_string_t
#define provider_list_u32_t text_provider_list_u32_t
#define provider_tuple2_u64_string_t text_provider_tuple2_u64_string_t
#define provider_string_free text_provider_string_free
#define provider_string_dup text_provider_string_dup
#define provider_list_string_free text_provider_list_string_free
#define provider_list_u32_free text_provider_list_u32_free
#else
#include "provider.h"
#endif

#ifndef TEXT_ONLY
struct exports_test_svc_store_blob_t {
  uint8_t *data;
  size_t len;
};

static uint32_t live_blobs;
#endif

void exports_test_svc_text_upper(provider_string_t *s, provider_string_t *ret) {
  for (size_t i = 0; i < s->len; i++)
    if (s->ptr[i] >= 'a' && s->ptr[i] <= 'z') s->ptr[i] -= 32;
  *ret = *s; /* moved: the argument is ours */
}

void exports_test_svc_text_join(provider_list_string_t *parts, provider_string_t *sep,
                                provider_string_t *ret) {
  size_t n = 0;
  for (size_t i = 0; i < parts->len; i++) n += parts->ptr[i].len + (i ? sep->len : 0);
  uint8_t *out = malloc(n ? n : 1);
  size_t at = 0;
  for (size_t i = 0; i < parts->len; i++) {
    if (i) {
      memcpy(out + at, sep->ptr, sep->len);
      at += sep->len;
    }
    memcpy(out + at, parts->ptr[i].ptr, parts->ptr[i].len);
    at += parts->ptr[i].len;
  }
  ret->ptr = out;
  ret->len = n;
  provider_list_string_free(parts);
  provider_string_free(sep);
}

void exports_test_svc_text_stats(provider_string_t *s, exports_test_svc_text_counts_t *ret) {
  uint32_t words = 0, chars = 0;
  bool in = false, upper = s->len > 0;
  for (size_t i = 0; i < s->len; i++) {
    uint8_t c = s->ptr[i];
    if ((c & 0xc0) != 0x80) chars++;
    if (c >= 'a' && c <= 'z') upper = false;
    bool space = c == ' ';
    if (!space && !in) words++;
    in = !space;
  }
  ret->chars = chars;
  ret->words = words;
  ret->upper = upper;
  provider_string_free(s);
}

double exports_test_svc_text_area(exports_test_svc_text_shape_t *s) {
  switch (s->tag) {
    case EXPORTS_TEST_SVC_TEXT_SHAPE_CIRCLE: return 3.0 * s->val.circle * s->val.circle;
    case EXPORTS_TEST_SVC_TEXT_SHAPE_RECT: return (double)s->val.rect.f0 * s->val.rect.f1;
    default: return 0;
  }
}

exports_test_svc_text_level_t exports_test_svc_text_classify(int32_t n) {
  return n < 0 ? EXPORTS_TEST_SVC_TEXT_LEVEL_LOW
               : n < 100 ? EXPORTS_TEST_SVC_TEXT_LEVEL_MID : EXPORTS_TEST_SVC_TEXT_LEVEL_HIGH;
}

exports_test_svc_text_style_t exports_test_svc_text_toggle(exports_test_svc_text_style_t s,
                                                           exports_test_svc_text_style_t f) {
  return s ^ f;
}

bool exports_test_svc_text_find(provider_list_u32_t *hay, uint32_t needle, uint32_t *ret) {
  bool found = false;
  for (size_t i = 0; i < hay->len && !found; i++)
    if (hay->ptr[i] == needle) {
      *ret = (uint32_t)i;
      found = true;
    }
  provider_list_u32_free(hay);
  return found;
}

bool exports_test_svc_text_checked_div(int32_t a, int32_t b, int32_t *ret, provider_string_t *err) {
  if (b == 0) {
    provider_string_dup(err, "division by zero");
    return false;
  }
  *ret = a / b;
  return true;
}

void exports_test_svc_text_many(uint8_t a, int16_t b, uint32_t c, int64_t d, float e, double f, uint32_t g,
                                bool h, provider_string_t *i, uint8_t j, uint16_t k, uint32_t l, uint64_t m,
                                int8_t n, int32_t o, provider_tuple2_u64_string_t *ret) {
  ret->f0 = (uint64_t)a + (uint64_t)(int64_t)b + c + (uint64_t)d + (uint64_t)(int64_t)e + (uint64_t)(int64_t)f + g +
            h + j + k + l + m + (uint64_t)(int64_t)n + (uint64_t)(int64_t)o;
  ret->f1 = *i; /* moved */
}

uint32_t exports_test_svc_text_boom(void) {
  __builtin_trap();
}

#ifndef TEXT_ONLY

void exports_test_svc_store_blob_destructor(exports_test_svc_store_blob_t *rep) {
  free(rep->data);
  free(rep);
  live_blobs--;
}

exports_test_svc_store_own_blob_t exports_test_svc_store_constructor_blob(provider_list_u8_t *init) {
  exports_test_svc_store_blob_t *b = malloc(sizeof *b);
  b->data = init->ptr; /* moved */
  b->len = init->len;
  live_blobs++;
  return exports_test_svc_store_blob_new(b);
}

uint32_t exports_test_svc_store_method_blob_size(exports_test_svc_store_borrow_blob_t self) {
  return (uint32_t)self->len;
}

void exports_test_svc_store_method_blob_append(exports_test_svc_store_borrow_blob_t self, provider_list_u8_t *more) {
  self->data = realloc(self->data, self->len + more->len + 1);
  memcpy(self->data + self->len, more->ptr, more->len);
  self->len += more->len;
  provider_list_u8_free(more);
}

void exports_test_svc_store_method_blob_read(exports_test_svc_store_borrow_blob_t self, provider_list_u8_t *ret) {
  ret->ptr = malloc(self->len ? self->len : 1);
  memcpy(ret->ptr, self->data, self->len);
  ret->len = self->len;
}

exports_test_svc_store_own_blob_t exports_test_svc_store_merge(exports_test_svc_store_borrow_blob_t a,
                                                               exports_test_svc_store_own_blob_t b) {
  exports_test_svc_store_blob_t *rb = exports_test_svc_store_blob_rep(b);
  exports_test_svc_store_blob_t *m = malloc(sizeof *m);
  m->len = a->len + rb->len;
  m->data = malloc(m->len ? m->len : 1);
  memcpy(m->data, a->data, a->len);
  memcpy(m->data + a->len, rb->data, rb->len);
  live_blobs++;
  exports_test_svc_store_blob_drop_own(b); /* runs the destructor of b */
  return exports_test_svc_store_blob_new(m);
}

uint32_t exports_test_svc_store_live(void) { return live_blobs; }
#endif
