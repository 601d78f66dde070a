/*
 * inventory: reserves stock for a priced order. The warehouse is "busy" on
 * the first request an instance sees, which the flow retries (the step
 * keeps its instance within a run, so the retry finds the warehouse ready).
 * A line of more than 100 items is out of stock for good. `release` is the
 * compensation: it gives a reservation back.
 */
#include <stdio.h>
#include <string.h>

#include "inventory.h"

static int g_requests;

bool exports_inventory_reserve(inventory_priced_t *p, inventory_reservation_t *ret, inventory_string_t *err) {
  const example_shop_types_order_t *o = &p->order;
  bool ok = true;
  if (g_requests++ == 0) {
    inventory_string_dup(err, "warehouse busy, try again");
    ok = false;
  }
  for (size_t i = 0; ok && i < o->lines.len; i++) {
    if (o->lines.ptr[i].qty > 100) {
      char why[256];
      snprintf(why, sizeof why, "out of stock: %.*s", (int)o->lines.ptr[i].sku.len, o->lines.ptr[i].sku.ptr);
      inventory_string_dup(err, why);
      ok = false;
    }
  }
  if (ok) {
    char id[256];
    snprintf(id, sizeof id, "R-%.*s", (int)o->id.len, o->id.ptr);
    inventory_string_dup(&ret->id, id);
    inventory_string_dup_n(&ret->order_id, o->id.ptr, o->id.len);
    printf("reserved %s\n", id);
  }
  inventory_priced_free(p);
  return ok;
}

bool exports_inventory_release(inventory_reservation_t *r) {
  printf("released %.*s\n", (int)r->id.len, r->id.ptr);
  inventory_reservation_free(r);
  return true;
}
