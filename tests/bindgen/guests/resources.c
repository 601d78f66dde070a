/*
 * tests/bindgen/guests/resources.c: a guest for world `resources`
 * (tests/bindgen/wit), written against the generated resources.h. It
 * implements the exported resource `counter` (its representation, methods,
 * constructor, static function and destructor) and uses the imported
 * resource `blob` through owned and borrowed handles: constructor, methods,
 * a static function taking one of each, a fallible function returning a
 * handle, and drops. `live` counts counters not yet destroyed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resources.h"

struct exports_test_bg_counters_counter_t {
  int64_t value;
};

static int64_t g_live;

typedef exports_test_bg_counters_counter_t counter_t;
typedef exports_test_bg_counters_own_counter_t own_counter_t;
typedef exports_test_bg_counters_borrow_counter_t borrow_counter_t;

static own_counter_t make_counter(int64_t start) {
  counter_t *c = malloc(sizeof *c);
  if (!c) abort();
  c->value = start;
  g_live++;
  return exports_test_bg_counters_counter_new(c);
}

void exports_test_bg_counters_counter_destructor(counter_t *rep) {
  g_live--;
  free(rep);
}

own_counter_t exports_test_bg_counters_constructor_counter(int64_t start) {
  return make_counter(start);
}

int64_t exports_test_bg_counters_method_counter_add(borrow_counter_t self, int64_t d) {
  self->value += d;
  return self->value;
}

int64_t exports_test_bg_counters_method_counter_get(borrow_counter_t self) { return self->value; }

uint32_t exports_test_bg_counters_method_counter_absorb(borrow_counter_t self,
                                                        test_bg_store_own_blob_t b) {
  uint32_t n = test_bg_store_method_blob_size(test_bg_store_borrow_blob(b));
  test_bg_store_blob_drop_own(b);
  self->value += n;
  return n;
}

own_counter_t exports_test_bg_counters_static_counter_make(int64_t n) {
  return make_counter(n * 10);
}

void exports_test_bg_counters_make_pair(int64_t a, resources_tuple2_own_counter_own_counter_t *ret) {
  ret->f0 = make_counter(a);
  ret->f1 = make_counter(a + 1);
}

int64_t exports_test_bg_counters_total(resources_list_borrow_counter_t *cs) {
  int64_t t = 0;
  for (size_t i = 0; i < cs->len; i++) t += cs->ptr[i]->value;
  resources_list_borrow_counter_free(cs);
  return t;
}

int64_t exports_test_bg_counters_discard(own_counter_t c) {
  int64_t v = exports_test_bg_counters_counter_rep(c)->value;
  exports_test_bg_counters_counter_drop_own(c);
  return v;
}

void exports_test_bg_counters_peek(test_bg_store_borrow_blob_t b, uint32_t n,
                                   resources_list_u8_t *ret) {
  test_bg_store_method_blob_read(b, n, ret);
  test_bg_store_blob_drop_borrow(b);
}

void exports_test_bg_counters_blob_roundtrip(resources_list_u8_t *data, resources_string_t *ret) {
  test_bg_store_own_blob_t a = test_bg_store_constructor_blob(data);
  test_bg_store_own_blob_t b = test_bg_store_constructor_blob(data);
  uint32_t sa = test_bg_store_method_blob_size(test_bg_store_borrow_blob(a));
  /* merge takes a (owned) and borrows b */
  test_bg_store_own_blob_t m = test_bg_store_static_blob_merge(a, test_bg_store_borrow_blob(b));
  uint32_t sm = test_bg_store_method_blob_size(test_bg_store_borrow_blob(m));
  resources_list_u8_t bytes;
  test_bg_store_method_blob_read(test_bg_store_borrow_blob(m), 4, &bytes);
  char buf[128];
  int k = snprintf(buf, sizeof buf, "%u|%u|", sa, sm);
  for (size_t i = 0; i < bytes.len && k < 100; i++) k += snprintf(buf + k, sizeof buf - (size_t)k, "%u,", bytes.ptr[i]);
  resources_string_dup(ret, buf);
  resources_list_u8_free(&bytes);
  test_bg_store_blob_drop_own(b);
  test_bg_store_blob_drop_own(m);
  resources_list_u8_free(data);
}

bool exports_test_bg_counters_open_size(resources_string_t *name, uint32_t *ret,
                                        resources_string_t *err) {
  test_bg_store_own_blob_t b;
  bool ok = test_bg_store_open(name, &b, err);
  resources_string_free(name);
  if (!ok) return false;
  *ret = test_bg_store_method_blob_size(test_bg_store_borrow_blob(b));
  test_bg_store_blob_drop_own(b);
  return true;
}

int64_t exports_test_bg_counters_live(void) { return g_live; }
