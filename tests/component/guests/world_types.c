/*
 * tests/component/guests/world_types.c: a guest of world `world-types`
 * (tests/component/wit/worldtypes.wit), whose record, enum and variant are
 * defined at world level. Run through baton and through jco by
 * tests/component/crosscheck.mjs. No libc I/O, so it imports nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "world_types.h"

/* ret = "<" + s + ">" */
static void bracket(const world_types_string_t *s, world_types_string_t *ret) {
  uint8_t *p = malloc(s->len + 2);
  p[0] = '<';
  memcpy(p + 1, s->ptr, s->len);
  p[s->len + 1] = '>';
  world_types_string_dup_n(ret, p, s->len + 2);
  free(p);
}

void exports_world_types_f(world_types_item_t *i, world_types_item_t *ret) {
  ret->a = i->a * 2 + 1;
  bracket(&i->b, &ret->b);
  world_types_item_free(i);
}

world_types_color_t exports_world_types_next(world_types_color_t c) { return (world_types_color_t)((c + 1) % 3); }

void exports_world_types_describe(world_types_shape_t *s, world_types_list_item_t *items,
                                  world_types_list_item_t *ret) {
  uint32_t extra = s->tag == WORLD_TYPES_SHAPE_NAMED ? 1 : 0;
  ret->len = items->len + extra;
  ret->ptr = malloc((ret->len ? ret->len : 1) * sizeof *ret->ptr);
  for (size_t k = 0; k < items->len; k++) {
    ret->ptr[k].a = items->ptr[k].a + (s->tag == WORLD_TYPES_SHAPE_LINE ? s->val.line : 0);
    bracket(&items->ptr[k].b, &ret->ptr[k].b);
  }
  if (extra) {
    ret->ptr[items->len].a = s->val.named.a;
    bracket(&s->val.named.b, &ret->ptr[items->len].b);
  }
  world_types_shape_free(s);
  world_types_list_item_free(items);
}
