/*
 * tests/wit/test_wit.c: tests of the WIT front end (src/wit).
 *
 * Run without arguments it executes the unit tests: resolution of every
 * construct, the shape of the type model, error messages and positions,
 * allocation-failure injection, and the corpus under tests/wit/corpus.
 *
 * It also serves as the cross-check driver for test_wit_xcheck.sh:
 *   test_wit print PATH          print every package, normalized
 *   test_wit worlds PATH         list the main package's worlds, one a line
 *   test_wit print-world PATH W  print world W as a component's world, the
 *                                form `wasm-tools component wit` prints for
 *                                a component built from a dummy module
 *   test_wit check PATH          parse; print the error (exit 1) or "ok"
 * Options for those modes: `--features a,b` and `--all-features`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/common.h"
#include "wit/wit.h"

/* ---- helpers ---- */

/* Parses text, asserting success. */
static bt_wit_resolve_t *parse_ok(const char *text) {
  bt_wit_resolve_t *r = NULL;
  baton_error_t *e = bt_wit_parse_string("test.wit", text, &r);
  if (e) {
    fprintf(stderr, "unexpected error:\n%s\n", baton_error_message(e));
    baton_error_delete(e);
    return NULL;
  }
  return r;
}

/* Parses text expecting failure; returns the heap-copied message. */
static char *parse_err(const char *text, baton_errno_t *code) {
  bt_wit_resolve_t *r = NULL;
  baton_error_t *e = bt_wit_parse_string("test.wit", text, &r);
  if (!e) {
    bt_wit_free(r);
    return NULL;
  }
  if (code) *code = baton_error_code(e);
  char *m = strdup(baton_error_message(e));
  baton_error_delete(e);
  return m;
}

/* Prints a resolve (or one world) to a heap string. */
static char *print_str(const bt_wit_resolve_t *r, const bt_wit_world_t *w) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  baton_error_t *e = w ? bt_wit_print_world(r, w, f) : bt_wit_print(r, f);
  fclose(f);
  if (e) {
    baton_error_delete(e);
    free(buf);
    return NULL;
  }
  return buf;
}

/* ---- liveness, for comparing with components built by wasm-tools ----
 *
 * `wasm-tools component new` on a dummy module drops imported interfaces
 * that contribute nothing to the component: an imported interface survives
 * only if it has functions, owns a resource (the dummy module imports its
 * destructor) or owns a type that something live refers to. World-level
 * types, imported and exported functions and the imported interfaces'
 * functions are the roots; exported interfaces make live the types they
 * reach in interfaces that are imported. */

typedef struct ptrset {
  const void **items;
  size_t len, cap;
} ptrset;

static bool ps_has(const ptrset *s, const void *p) {
  for (size_t i = 0; i < s->len; i++)
    if (s->items[i] == p) return true;
  return false;
}

static void ps_add(ptrset *s, const void *p) {
  if (ps_has(s, p)) return;
  if (s->len == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 32;
    s->items = realloc(s->items, s->cap * sizeof *s->items);
    if (!s->items) abort();
  }
  s->items[s->len++] = p;
}

static void live_type(ptrset *live, const bt_wit_type_t *t) {
  if (!t || t->kind <= BT_WIT_STRING || ps_has(live, t)) return;
  ps_add(live, t);
  live_type(live, t->target);
  live_type(live, t->resource);
  live_type(live, t->ok);
  live_type(live, t->err);
  for (size_t i = 0; i < t->count; i++) {
    if (t->types) live_type(live, t->types[i]);
    if (t->fields) live_type(live, t->fields[i].type);
  }
}

static void live_func(ptrset *live, const bt_wit_function_t *f) {
  for (size_t i = 0; i < f->param_count; i++) live_type(live, f->params[i].type);
  live_type(live, f->result);
  live_type(live, f->resource);
}

static void live_iface(ptrset *live, const bt_wit_interface_t *iface) {
  for (size_t i = 0; i < iface->type_count; i++) live_type(live, iface->types[i]);
  for (size_t i = 0; i < iface->function_count; i++) live_func(live, iface->functions[i]);
}

static bool exported(const bt_wit_world_t *w, const bt_wit_interface_t *iface) {
  for (size_t i = 0; i < w->export_count; i++)
    if (w->exports[i].kind == BT_WIT_ITEM_INTERFACE && w->exports[i].interface == iface) return true;
  return false;
}

/* Returns a copy of `w` (sharing everything but the import array) without
 * the imports a component built from a dummy module would not have. */
static bt_wit_world_t *live_world(const bt_wit_world_t *w) {
  ptrset live = {0};
  for (size_t i = 0; i < w->import_count; i++) {
    const bt_wit_world_item_t *it = &w->imports[i];
    if (it->kind == BT_WIT_ITEM_TYPE) live_type(&live, it->type);
    if (it->kind == BT_WIT_ITEM_FUNCTION) live_func(&live, it->function);
    if (it->kind == BT_WIT_ITEM_INTERFACE) {
      const bt_wit_interface_t *iface = it->interface;
      for (size_t k = 0; k < iface->function_count; k++) live_func(&live, iface->functions[k]);
      for (size_t k = 0; k < iface->type_count; k++)
        if (iface->types[k]->kind == BT_WIT_RESOURCE) live_type(&live, iface->types[k]);
    }
  }
  for (size_t i = 0; i < w->export_count; i++) {
    const bt_wit_world_item_t *it = &w->exports[i];
    if (it->kind == BT_WIT_ITEM_FUNCTION) {
      live_func(&live, it->function);
      continue;
    }
    ptrset reach = {0};
    live_iface(&reach, it->interface);
    for (size_t k = 0; k < reach.len; k++) {
      const bt_wit_type_t *t = reach.items[k];
      if (t->owner_kind != BT_WIT_OWNER_INTERFACE || t->interface == it->interface ||
          exported(w, t->interface))
        continue;
      live_type(&live, t);
    }
    free(reach.items);
  }
  bt_wit_world_t *copy = malloc(sizeof *copy);
  bt_wit_world_item_t *items = malloc((w->import_count + 1) * sizeof *items);
  if (!copy || !items) abort();
  *copy = *w;
  size_t n = 0;
  for (size_t i = 0; i < w->import_count; i++) {
    const bt_wit_world_item_t *it = &w->imports[i];
    bool keep = true;
    if (it->kind == BT_WIT_ITEM_INTERFACE) {
      const bt_wit_interface_t *iface = it->interface;
      keep = iface->function_count > 0;
      for (size_t k = 0; k < iface->type_count && !keep; k++)
        keep = iface->types[k]->kind == BT_WIT_RESOURCE || ps_has(&live, iface->types[k]);
    }
    if (keep) items[n++] = *it;
  }
  copy->imports = items;
  copy->import_count = n;
  free(live.items);
  return copy;
}

/* ---- command-line modes for the cross-check ---- */

static int tool_main(int argc, char **argv) {
  const char *mode = argv[1];
  bt_wit_options_t opts = {0};
  const char *feats[64];
  char *featbuf = NULL;
  int pos = 2;
  const char *args[4] = {0};
  int nargs = 0;
  for (; pos < argc; pos++) {
    if (strcmp(argv[pos], "--all-features") == 0) {
      opts.all_features = true;
    } else if (strcmp(argv[pos], "--features") == 0 && pos + 1 < argc) {
      featbuf = strdup(argv[++pos]);
      for (char *tok = strtok(featbuf, ","); tok && opts.feature_count < 64; tok = strtok(NULL, ","))
        feats[opts.feature_count++] = tok;
      opts.features = feats;
    } else if (nargs < 4) {
      args[nargs++] = argv[pos];
    }
  }
  if (nargs < 1) {
    fprintf(stderr, "usage: test_wit {print|worlds|check|print-world} PATH [WORLD]\n");
    return 2;
  }
  bt_wit_resolve_t *r = NULL;
  baton_error_t *e = bt_wit_parse_path_opts(args[0], &opts, &r);
  if (e) {
    fprintf(strcmp(mode, "check") == 0 ? stdout : stderr, "%s\n", baton_error_message(e));
    baton_error_delete(e);
    free(featbuf);
    return 1;
  }
  int rc = 0;
  if (strcmp(mode, "print") == 0) {
    e = bt_wit_print(r, stdout);
  } else if (strcmp(mode, "check") == 0) {
    printf("ok\n");
  } else if (strcmp(mode, "worlds") == 0) {
    /* Names that are keywords are printed `%escaped`, as WIT spells them. */
    for (size_t i = 0; i < r->main->world_count; i++) {
      const char *n = r->main->worlds[i]->name;
      bt_wit_resolve_t *probe = NULL;
      char buf[512];
      snprintf(buf, sizeof buf, "package a:b; world %s {}", n);
      baton_error_t *pe = bt_wit_parse_string("probe.wit", buf, &probe);
      printf("%s%s\n", pe ? "%" : "", n);
      baton_error_delete(pe);
      bt_wit_free(probe);
    }
  } else if (strcmp(mode, "print-world") == 0 && nargs >= 2) {
    const bt_wit_world_t *w = NULL;
    e = bt_wit_find_world(r, args[1], &w);
    if (!e) {
      bt_wit_world_t *lw = live_world(w);
      e = bt_wit_print_world(r, lw, stdout);
      free(lw->imports);
      free(lw);
    }
  } else {
    fprintf(stderr, "unknown mode `%s`\n", mode);
    rc = 2;
  }
  if (e) {
    fprintf(stderr, "%s\n", baton_error_message(e));
    baton_error_delete(e);
    rc = 1;
  }
  bt_wit_free(r);
  free(featbuf);
  return rc;
}

int main(int argc, char **argv) {
  if (argc > 1) return tool_main(argc, argv);
  TEST_MAIN_END();
}
