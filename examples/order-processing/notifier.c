/*
 * notifier: tells the customer. `confirm` refuses (traps) for an order
 * whose customer is "trudy" after the stock was reserved — the failure
 * that makes the flow compensate the reservation. `reject` explains a
 * rejection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notifier.h"

void exports_notifier_confirm(notifier_priced_t *p, notifier_reservation_t *r, notifier_string_t *ret) {
  const notifier_string_t *c = &p->order.customer;
  if (c->len == 5 && !memcmp(c->ptr, "trudy", 5)) {
    fprintf(stderr, "notifier: cannot reach customer trudy\n");
    abort();
  }
  char out[512];
  snprintf(out, sizeof out, "order %.*s confirmed for %.*s: %llu cents, reservation %.*s", (int)p->order.id.len,
           p->order.id.ptr, (int)c->len, c->ptr, (unsigned long long)p->total_cents, (int)r->id.len, r->id.ptr);
  notifier_string_dup(ret, out);
  notifier_priced_free(p);
  notifier_reservation_free(r);
}

void exports_notifier_reject(notifier_rejection_t *r, notifier_string_t *ret) {
  char out[512];
  const notifier_string_t *why = r->tag == EXAMPLE_SHOP_TYPES_REJECTION_INVALID ? &r->val.invalid : &r->val.blocked_customer;
  snprintf(out, sizeof out, "order rejected (%s): %.*s",
           r->tag == EXAMPLE_SHOP_TYPES_REJECTION_INVALID ? "invalid" : "blocked customer", (int)why->len, why->ptr);
  notifier_string_dup(ret, out);
  notifier_rejection_free(r);
}
