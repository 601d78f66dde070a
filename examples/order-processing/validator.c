/*
 * validator: checks an order. Every order needs an id, a customer and at
 * least one line with a positive quantity; a customer named in the
 * `blocked` variable is refused. The result routes the flow: ok -> price,
 * err -> reject.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validator.h"

static char *config(const char *key) {
  validator_string_t k, v;
  example_shop_config_error_t err;
  validator_string_set(&k, key);
  if (!example_shop_config_get_config(&k, &v, &err)) {
    example_shop_config_error_free(&err);
    return NULL;
  }
  char *s = strndup((const char *)v.ptr, v.len);
  validator_string_free(&v);
  return s;
}

bool exports_validator_validate(validator_order_t *o, validator_order_t *ret, validator_rejection_t *err) {
  char why[256] = "";
  char *blocked = config("blocked");
  if (o->id.len == 0) snprintf(why, sizeof why, "the order has no id");
  else if (o->customer.len == 0) snprintf(why, sizeof why, "order %.*s has no customer", (int)o->id.len, o->id.ptr);
  else if (o->lines.len == 0) snprintf(why, sizeof why, "order %.*s has no lines", (int)o->id.len, o->id.ptr);
  for (size_t i = 0; !why[0] && i < o->lines.len; i++)
    if (o->lines.ptr[i].qty == 0)
      snprintf(why, sizeof why, "line %zu (%.*s) has quantity 0", i + 1, (int)o->lines.ptr[i].sku.len,
               o->lines.ptr[i].sku.ptr);
  if (why[0]) {
    err->tag = EXAMPLE_SHOP_TYPES_REJECTION_INVALID;
    validator_string_dup(&err->val.invalid, why);
    validator_order_free(o);
    free(blocked);
    return false;
  }
  if (blocked && strlen(blocked) == o->customer.len && !memcmp(blocked, o->customer.ptr, o->customer.len)) {
    err->tag = EXAMPLE_SHOP_TYPES_REJECTION_BLOCKED_CUSTOMER;
    validator_string_dup(&err->val.blocked_customer, blocked);
    validator_order_free(o);
    free(blocked);
    return false;
  }
  free(blocked);
  *ret = *o; /* ownership of the order moves to the result */
  return true;
}
