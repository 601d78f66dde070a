/*
 * tests/bindgen/orders/orders.c: the worked example of docs/bindgen.md, a
 * guest for world `orders` (orders.wit next to it). test_bindgen.c builds
 * and runs it, so the documentation's example stays correct.
 */
#include <stdio.h>
#include <string.h>

#include "orders.h"

/* handle-init: func(start-input: string) -> string */
void exports_orders_handle_init(orders_string_t *start_input, orders_string_t *ret) {
  orders_string_t key, value;
  acme_orders_config_config_error_t err;
  orders_string_set(&key, "greeting"); /* borrowed: imports do not take ownership */
  char buf[256];
  if (acme_orders_config_get_config(&key, &value, &err)) {
    snprintf(buf, sizeof buf, "%.*s, %.*s", (int)value.len, (const char *)value.ptr,
             (int)start_input->len, (const char *)start_input->ptr);
    orders_string_free(&value); /* the import's result is ours */
  } else if (err.tag == ACME_ORDERS_CONFIG_CONFIG_ERROR_MISSING) {
    snprintf(buf, sizeof buf, "missing %.*s", (int)err.val.missing.len,
             (const char *)err.val.missing.ptr);
    acme_orders_config_config_error_free(&err);
  } else {
    snprintf(buf, sizeof buf, "invalid");
  }
  orders_string_dup(ret, buf);     /* results must be heap-allocated */
  orders_string_free(start_input); /* arguments of exports are ours */
}

/* total-qty: func(o: order) -> u64 */
uint64_t exports_orders_total_qty(orders_order_t *o) {
  uint64_t n = 0;
  for (size_t i = 0; i < o->lines.len; i++) n += o->lines.ptr[i].qty;
  orders_order_free(o);
  return n;
}
