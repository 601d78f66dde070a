/*
 * fuzz/fuzz_component.c: libFuzzer target for the component reader and the
 * WIT decoder.
 *
 * Parses arbitrary bytes with bt_component_parse(); on success checks that
 * the model is internally consistent (every index-space entry has a type,
 * every definition's index lies inside its space, imports and exports have
 * names and types, the component type lists them) and walks nested
 * components. Then runs bt_component_decode_wit() on the same bytes (which
 * also covers core modules carrying a `component-type` section) and prints
 * any world it returns. Sanitizers report out-of-bounds reads, leaks and
 * undefined behaviour. Seed it with components, e.g. the ones
 * tests/component/test_component.sh produces, and core modules with
 * embedded WIT.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "component/component.h"
#include "wit/wit.h"

/* Checks one component and its children; traps on an inconsistency. */
static void check(const bt_component_t *c, unsigned depth) {
  if (depth > BT_COMPONENT_MAX_DEPTH) __builtin_trap();
  for (int s = 0; s < BT_CSORT_COUNT; s++) {
    const bt_cspace_t *sp = &c->spaces[s];
    for (uint32_t i = 0; i < sp->count; i++) {
      if (!sp->items[i].type) __builtin_trap();
      if (sp->items[i].def != UINT32_MAX && sp->items[i].def >= c->ndefs) __builtin_trap();
    }
  }
  for (uint32_t i = 0; i < c->ndefs; i++) {
    const bt_cdef_t *d = &c->defs[i];
    if (d->index != UINT32_MAX && d->index >= c->spaces[d->sort].count) __builtin_trap();
    if (d->kind == BT_CDEF_COMPONENT) {
      const bt_component_t *child = d->u.component.component;
      if (!child || child->parent != c || child->depth != c->depth + 1) __builtin_trap();
      check(child, depth + 1);
    }
    if (d->kind == BT_CDEF_CORE_MODULE && (!d->u.core_module.module || !d->u.core_module.bytes))
      __builtin_trap();
    if ((d->kind == BT_CDEF_IMPORT || d->kind == BT_CDEF_EXPORT) && !d->u.ext.ext) __builtin_trap();
  }
  if (!c->type || c->type->nimports != c->nimports || c->type->nexports != c->nexports)
    __builtin_trap();
  for (uint32_t i = 0; i < c->nexports; i++) {
    const bt_cextern_t *e = &c->exports[i];
    if (!e->name || (e->sort == BT_CSORT_CORE_MODULE ? !e->module : !e->type)) __builtin_trap();
    if (bt_ctype_export(c->type, e->name) != e) __builtin_trap(); /* names are unique */
    if (e->sort == BT_CSORT_FUNC) {
      uint8_t p[17], r[1];
      uint32_t np, nr;
      if (!bt_ctype_flatten_func(e->type, false, p, &np, r, &nr) || np > 17 || nr > 1)
        __builtin_trap();
    }
  }
  for (uint32_t i = 0; i < c->ncustoms; i++)
    if (!c->customs[i].name) __builtin_trap();
}

/* libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bt_component_t *c = NULL;
  baton_error_t *err = bt_component_parse(data, size, &c);
  if (err) {
    if (c || !baton_error_message(err)) __builtin_trap();
    baton_error_delete(err);
  } else {
    check(c, 0);
    bt_component_free(c);
  }
  bt_wit_resolve_t *r = NULL;
  err = bt_component_decode_wit(data, size, &r);
  if (err) {
    if (r) __builtin_trap();
    baton_error_delete(err);
    return 0;
  }
  const bt_wit_world_t *w = NULL;
  err = bt_wit_find_world(r, NULL, &w);
  if (!err) {
    FILE *f = fopen("/dev/null", "w");
    if (f) {
      baton_error_t *pe = bt_wit_print_world(r, w, f);
      baton_error_delete(pe);
      pe = bt_wit_print(r, f);
      baton_error_delete(pe);
      fclose(f);
    }
  }
  baton_error_delete(err);
  bt_wit_free(r);
  return 0;
}
