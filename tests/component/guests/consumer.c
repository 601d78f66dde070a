/*
 * tests/component/guests/consumer.c: implements world `consumer` of
 * tests/component/wit/svc.wit: `run` calls the imported text functions
 * (strings, lists, records, variants, options, results, spilled
 * parameters) and `blobs` drives the imported `blob` resource (own and
 * borrowed handles, a method, a function taking both, drops).
 */
#include <stdlib.h>
#include <string.h>

#include "consumer.h"

static void put(char *buf, size_t *at, const char *s, size_t n) {
  memcpy(buf + *at, s, n);
  *at += n;
}

static void put_u(char *buf, size_t *at, uint64_t v) {
  char tmp[24];
  int i = 24;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(buf, at, tmp + i, (size_t)(24 - i));
}

void exports_consumer_run(consumer_string_t *input, consumer_string_t *ret) {
  char buf[1024];
  size_t at = 0;
  consumer_string_t up;
  test_svc_text_upper(input, &up);
  put(buf, &at, (const char *)up.ptr, up.len);
  consumer_string_free(&up);

  consumer_string_t parts[3], sep, joined;
  consumer_string_set(&parts[0], "a");
  consumer_string_set(&parts[1], "b");
  parts[2] = *input;
  consumer_list_string_t list = {parts, 3};
  consumer_string_set(&sep, "-");
  test_svc_text_join(&list, &sep, &joined);
  put(buf, &at, "|", 1);
  put(buf, &at, (const char *)joined.ptr, joined.len);
  consumer_string_free(&joined);

  test_svc_text_counts_t c;
  test_svc_text_stats(input, &c);
  put(buf, &at, "|", 1);
  put_u(buf, &at, c.chars);
  put(buf, &at, ",", 1);
  put_u(buf, &at, c.words);
  put(buf, &at, c.upper ? ",U" : ",l", 2);

  test_svc_text_shape_t sh = {.tag = TEST_SVC_TEXT_SHAPE_RECT, .val.rect = {2.5f, 4.0f}};
  put(buf, &at, "|", 1);
  put_u(buf, &at, (uint64_t)test_svc_text_area(&sh));
  put(buf, &at, "|", 1);
  put_u(buf, &at, test_svc_text_classify(150));
  put(buf, &at, "|", 1);
  put_u(buf, &at, test_svc_text_toggle(TEST_SVC_TEXT_STYLE_BOLD, TEST_SVC_TEXT_STYLE_UNDER));

  uint32_t hay[4] = {5, 7, 9, 7}, idx = 0;
  consumer_list_u32_t hl = {hay, 4};
  put(buf, &at, "|", 1);
  if (test_svc_text_find(&hl, 9, &idx)) put_u(buf, &at, idx);
  else put(buf, &at, "none", 4);
  int32_t q;
  consumer_string_t err;
  put(buf, &at, "|", 1);
  if (test_svc_text_checked_div(7, 0, &q, &err)) {
    put_u(buf, &at, (uint64_t)q);
  } else {
    put(buf, &at, (const char *)err.ptr, err.len);
    consumer_string_free(&err);
  }
  consumer_tuple2_u64_string_t t;
  consumer_string_t s;
  consumer_string_set(&s, "spilled");
  test_svc_text_many(1, 2, 3, 4, 5.0f, 6.0, 7, true, &s, 9, 10, 11, 12, 13, 14, &t);
  put(buf, &at, "|", 1);
  put_u(buf, &at, t.f0);
  put(buf, &at, (const char *)t.f1.ptr, t.f1.len);
  consumer_string_free(&t.f1);
  consumer_string_dup_n(ret, (const uint8_t *)buf, at);
  consumer_string_free(input);
}

uint32_t exports_consumer_blobs(uint32_t n) {
  uint8_t init[3] = {1, 2, 3};
  consumer_list_u8_t l = {init, 3};
  test_svc_store_own_blob_t a = test_svc_store_constructor_blob(&l);
  for (uint32_t i = 0; i < n; i++) test_svc_store_method_blob_append(test_svc_store_borrow_blob(a), &l);
  test_svc_store_own_blob_t b = test_svc_store_constructor_blob(&l);
  /* merge borrows a and takes b (its destructor runs in the provider) */
  test_svc_store_own_blob_t m = test_svc_store_merge(test_svc_store_borrow_blob(a), b);
  uint32_t size = test_svc_store_method_blob_size(test_svc_store_borrow_blob(m));
  consumer_list_u8_t bytes;
  test_svc_store_method_blob_read(test_svc_store_borrow_blob(m), &bytes);
  uint32_t sum = 0;
  for (size_t i = 0; i < bytes.len; i++) sum += bytes.ptr[i];
  consumer_list_u8_free(&bytes);
  uint32_t live = test_svc_store_live(); /* a and m */
  test_svc_store_blob_drop_own(a);
  test_svc_store_blob_drop_own(m);
  uint32_t after = test_svc_store_live();
  return size * 10000 + sum * 100 + live * 10 + after;
}
