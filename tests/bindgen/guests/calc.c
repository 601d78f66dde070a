/*
 * tests/bindgen/guests/calc.c: a guest for world `calc` (exports only), run
 * by test_bindgen.sh through a baton.toml with `baton call -f`.
 */
#include <string.h>

#include "calc.h"

void exports_calc_scale(calc_point_t *p, int32_t k, calc_point_t *ret) {
  ret->x = p->x * k;
  ret->y = p->y * k;
}

double exports_calc_area(calc_shape_t *s) {
  double a = 0;
  switch (s->tag) {
    case TEST_BG_TYPES_SHAPE_CIRCLE: a = 3.0 * (double)s->val.circle * (double)s->val.circle; break;
    case TEST_BG_TYPES_SHAPE_RECT: a = (double)s->val.rect.x * (double)s->val.rect.y; break;
    case TEST_BG_TYPES_SHAPE_NAMED: a = (double)s->val.named.len; break;
    case TEST_BG_TYPES_SHAPE_BIG: a = (double)s->val.big; break;
    default: break;
  }
  test_bg_types_shape_free(s);
  return a;
}

void exports_calc_tally(calc_list_item_t *items, calc_tuple2_u32_option_string_t *ret) {
  ret->f0 = 0;
  ret->f1.is_some = false;
  for (size_t i = 0; i < items->len; i++) {
    if (items->ptr[i].qty.is_some) ret->f0 += items->ptr[i].qty.val;
    if (!ret->f1.is_some && items->ptr[i].tags.len) {
      ret->f1.is_some = true;
      calc_string_dup_n(&ret->f1.val, items->ptr[i].tags.ptr[0].ptr, items->ptr[i].tags.ptr[0].len);
    }
  }
  calc_list_item_free(items);
}
