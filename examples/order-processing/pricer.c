/*
 * pricer: prices an order at `unit-price-cents` per item (a config
 * variable).
 */
#include <stdlib.h>
#include <string.h>

#include "pricer.h"

void exports_pricer_price(pricer_order_t *o, pricer_priced_t *ret) {
  uint64_t unit = 100;
  pricer_string_t k, v;
  example_shop_config_error_t err;
  pricer_string_set(&k, "unit-price-cents");
  if (example_shop_config_get_config(&k, &v, &err)) {
    char buf[32] = "";
    memcpy(buf, v.ptr, v.len < sizeof buf - 1 ? v.len : sizeof buf - 1);
    unit = strtoull(buf, NULL, 10);
    pricer_string_free(&v);
  } else {
    example_shop_config_error_free(&err);
  }
  uint64_t items = 0;
  for (size_t i = 0; i < o->lines.len; i++) items += o->lines.ptr[i].qty;
  ret->order = *o; /* ownership moves into the result */
  ret->total_cents = items * unit;
}
