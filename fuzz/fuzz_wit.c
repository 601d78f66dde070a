/*
 * fuzz/fuzz_wit.c: libFuzzer target for the WIT front end (src/wit). Each
 * input is parsed as one WIT file (odd first byte: with every @unstable
 * feature enabled). A failed parse must produce a positioned message ("name:"
 * prefix and a caret). A successful parse is walked completely, checking the
 * model's invariants (owners, alias targets, handles pointing at resources,
 * world items consistent with their kind), then printed; the printed text
 * must parse again, and every world must print in component form.
 * Sanitizers catch memory errors and leaks.
 *
 * Seeds: the files under tests/wit/corpus (valid and invalid).
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *     src/util/[a-z]*.c src/wit/[a-z]*.c fuzz/fuzz_wit.c -o fuzz_wit
 *   ./fuzz_wit -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wit/wit.h"

static void check(int cond) {
  if (!cond) abort();
}

static void walk_type(const bt_wit_type_t *t, int depth) {
  check(t != NULL);
  check(t->kind >= BT_WIT_BOOL && t->kind <= BT_WIT_ERROR_CONTEXT);
  if (depth > 200) return; /* anonymous nesting is bounded by the parser */
  if (t->kind <= BT_WIT_STRING || t->kind == BT_WIT_ERROR_CONTEXT) {
    check(t == bt_wit_prim(t->kind));
    return;
  }
  if (t->name) check(t->owner_kind != BT_WIT_OWNER_NONE);
  else check(t->owner_kind == BT_WIT_OWNER_NONE);
  if (t->owner_kind == BT_WIT_OWNER_INTERFACE) check(t->interface != NULL);
  if (t->owner_kind == BT_WIT_OWNER_WORLD) check(t->world != NULL);
  switch (t->kind) {
    case BT_WIT_LIST:
    case BT_WIT_OPTION: walk_type(t->target, depth + 1); break;
    case BT_WIT_MAP:
      check(t->key && t->key->kind >= BT_WIT_BOOL && t->key->kind <= BT_WIT_STRING &&
            t->key->kind != BT_WIT_F32 && t->key->kind != BT_WIT_F64);
      walk_type(t->target, depth + 1);
      break;
    case BT_WIT_FUTURE:
    case BT_WIT_STREAM:
      if (t->target) walk_type(t->target, depth + 1);
      break;
    case BT_WIT_ALIAS:
      check(t->name != NULL);
      check(bt_wit_type_unalias(t) != NULL);
      if (!t->target->name) walk_type(t->target, depth + 1);
      break;
    case BT_WIT_RESULT:
      if (t->ok) walk_type(t->ok, depth + 1);
      if (t->err) walk_type(t->err, depth + 1);
      break;
    case BT_WIT_TUPLE:
      check(t->count > 0);
      for (size_t i = 0; i < t->count; i++) walk_type(t->types[i], depth + 1);
      break;
    case BT_WIT_RECORD:
    case BT_WIT_VARIANT:
    case BT_WIT_ENUM:
    case BT_WIT_FLAGS:
      check(t->name != NULL);
      for (size_t i = 0; i < t->count; i++) {
        check(t->fields[i].name != NULL);
        if (t->kind == BT_WIT_RECORD) check(t->fields[i].type != NULL);
        if (t->kind == BT_WIT_ENUM || t->kind == BT_WIT_FLAGS) check(t->fields[i].type == NULL);
        if (t->fields[i].type && !t->fields[i].type->name) walk_type(t->fields[i].type, depth + 1);
      }
      break;
    case BT_WIT_OWN:
    case BT_WIT_BORROW:
      check(t->resource && t->resource->kind == BT_WIT_RESOURCE);
      check(bt_wit_type_unalias(t->target) == t->resource);
      break;
    case BT_WIT_RESOURCE: check(t->name != NULL); break;
    default: break;
  }
}

static void walk_func(const bt_wit_function_t *f) {
  check(f->name && f->item_name);
  if (f->kind != BT_WIT_FUNC_FREESTANDING) check(f->resource && f->resource->kind == BT_WIT_RESOURCE);
  if (f->kind == BT_WIT_FUNC_METHOD) {
    check(f->param_count >= 1);
    check(f->params[0].type->kind == BT_WIT_BORROW);
  }
  if (f->kind == BT_WIT_FUNC_CONSTRUCTOR) check(f->result != NULL);
  for (size_t i = 0; i < f->param_count; i++) walk_type(f->params[i].type, 0);
  if (f->result) walk_type(f->result, 0);
}

static void walk_iface(const bt_wit_interface_t *iface) {
  check(iface->package != NULL);
  if (iface->name) check(iface->qualified_name != NULL);
  for (size_t i = 0; i < iface->type_count; i++) {
    check(iface->types[i]->name != NULL);
    check(bt_wit_interface_type(iface, iface->types[i]->name) != NULL);
    walk_type(iface->types[i], 0);
  }
  for (size_t i = 0; i < iface->function_count; i++) walk_func(iface->functions[i]);
}

static void walk_items(const bt_wit_world_item_t *items, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const bt_wit_world_item_t *it = &items[i];
    check(it->name != NULL);
    switch (it->kind) {
      case BT_WIT_ITEM_INTERFACE: walk_iface(it->interface); break;
      case BT_WIT_ITEM_FUNCTION: walk_func(it->function); break;
      case BT_WIT_ITEM_TYPE: walk_type(it->type, 0); break;
    }
  }
}

static char *print(const bt_wit_resolve_t *r, const bt_wit_world_t *w) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  baton_error_t *e = w ? bt_wit_print_world(r, w, f) : bt_wit_print(r, f);
  fclose(f);
  check(e == NULL);
  return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bt_wit_options_t opts = {0};
  opts.all_features = size > 0 && (data[0] & 1);
  bt_wit_resolve_t *r = NULL;
  baton_error_t *e = bt_wit_parse_string_opts("fuzz.wit", (const char *)data, size, &opts, &r);
  if (e) {
    check(r == NULL);
    const char *m = baton_error_message(e);
    check(strncmp(m, "fuzz.wit:", 9) == 0 || strncmp(m, "error: ", 7) == 0 ||
          baton_error_code(e) == BATON_ENO_MEMORY || baton_error_code(e) == BATON_ELIMIT);
    baton_error_delete(e);
    return 0;
  }
  check(r->main != NULL && r->package_count >= 1);
  for (size_t p = 0; p < r->package_count; p++) {
    const bt_wit_package_t *pkg = r->packages[p];
    for (size_t i = 0; i < pkg->interface_count; i++) walk_iface(pkg->interfaces[i]);
    for (size_t i = 0; i < pkg->world_count; i++) {
      walk_items(pkg->worlds[i]->imports, pkg->worlds[i]->import_count);
      walk_items(pkg->worlds[i]->exports, pkg->worlds[i]->export_count);
      free(print(r, pkg->worlds[i]));
    }
  }
  char *text = print(r, NULL);
  check(text != NULL);
  bt_wit_resolve_t *r2 = NULL;
  e = bt_wit_parse_string_opts("printed.wit", text, strlen(text), &opts, &r2);
  if (e) {
    fprintf(stderr, "printed WIT does not parse:\n%s\n%s\n", text, baton_error_message(e));
    abort();
  }
  bt_wit_free(r2);
  free(text);
  bt_wit_free(r);
  return 0;
}
