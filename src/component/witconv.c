/*
 * src/component/witconv.c: converts component-level value and function
 * types (bt_ctype_t) into the WIT model (bt_wit_type_t,
 * bt_wit_function_t) that the canonical ABI (src/abi) and the value
 * formats (WAVE, JSON) work on.
 *
 * The conversion is structural: aliases are followed, records, variants,
 * enums and flags keep their field and case names, resources become
 * anonymous WIT resources, and own/borrow handles remember the static
 * resource node they refer to (cr_wit_resource), which the runtime maps to
 * a runtime resource type to check handles. Every node is converted once
 * (memoized by pointer), so equal component types give equal WIT pointers;
 * a function type keeps the name it was first converted with.
 * All memory belongs to the cr_conv and is freed with it.
 */
#include <stdio.h>
#include <string.h>

#include "component/rt.h"

/* Every WIT node made here carries the static resource of a handle. */
typedef struct cr_wtype {
  bt_wit_type_t w;
  const bt_ctype_t *res; /* OWN/BORROW: the RESOURCE node (aliases followed) */
} cr_wtype;

/* An open-addressing map from bt_ctype_t * to what it converted into. */
typedef struct pmap {
  const bt_ctype_t **keys;
  void **vals;
  size_t cap, len;
} pmap;

struct cr_conv {
  cr_arena arena;
  pmap types; /* value types -> bt_wit_type_t * */
  pmap funcs; /* function types -> bt_wit_function_t * */
};

cr_conv *cr_conv_new(void) { return bt_calloc(1, sizeof(cr_conv)); }

void cr_conv_free(cr_conv *conv) {
  if (!conv) return;
  cr_arena_free(&conv->arena);
  bt_free(conv->types.keys);
  bt_free(conv->types.vals);
  bt_free(conv->funcs.keys);
  bt_free(conv->funcs.vals);
  bt_free(conv);
}

const bt_ctype_t *cr_wit_resource(const bt_wit_type_t *t) {
  if (!t || (t->kind != BT_WIT_OWN && t->kind != BT_WIT_BORROW)) return NULL;
  return ((const cr_wtype *)t)->res;
}

static size_t slot_of(const void *p, size_t cap) {
  return (size_t)(((uintptr_t)p * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
}

static void *memo_get(const pmap *cv, const bt_ctype_t *k) {
  if (!cv->cap) return NULL;
  for (size_t i = slot_of(k, cv->cap);; i = (i + 1) & (cv->cap - 1)) {
    if (!cv->keys[i]) return NULL;
    if (cv->keys[i] == k) return cv->vals[i];
  }
}

/* Adds k -> v (k absent). False when out of memory. */
static bool memo_put(pmap *cv, const bt_ctype_t *k, void *v) {
  if ((cv->len + 1) * 2 > cv->cap) {
    size_t ncap = cv->cap ? cv->cap * 2 : 64;
    const bt_ctype_t **nk = bt_calloc(ncap, sizeof *nk);
    void **nv = bt_calloc(ncap, sizeof *nv);
    if (!nk || !nv) {
      bt_free(nk);
      bt_free(nv);
      return false;
    }
    for (size_t i = 0; i < cv->cap; i++) {
      if (!cv->keys[i]) continue;
      size_t j = slot_of(cv->keys[i], ncap);
      while (nk[j]) j = (j + 1) & (ncap - 1);
      nk[j] = cv->keys[i];
      nv[j] = cv->vals[i];
    }
    bt_free(cv->keys);
    bt_free(cv->vals);
    cv->keys = nk;
    cv->vals = nv;
    cv->cap = ncap;
  }
  size_t j = slot_of(k, cv->cap);
  while (cv->keys[j]) j = (j + 1) & (cv->cap - 1);
  cv->keys[j] = k;
  cv->vals[j] = v;
  cv->len++;
  return true;
}

/* Converts one value type; NULL with *why set on failure. */
static bt_wit_type_t *conv_type(cr_conv *cv, const bt_ctype_t *t, char *why, size_t wn) {
  t = bt_ctype_unalias(t);
  if (!t) {
    snprintf(why, wn, "missing type");
    return NULL;
  }
  if (t->kind >= BT_CT_BOOL && t->kind <= BT_CT_STRING) return bt_wit_prim((bt_wit_kind_t)t->kind);
  if (t->kind == BT_CT_ERROR_CONTEXT) return bt_wit_prim(BT_WIT_ERROR_CONTEXT);
  bt_wit_type_t *have = memo_get(&cv->types, t);
  if (have) return have;
  cr_wtype *n = cr_alloc(&cv->arena, sizeof *n);
  if (!n) goto oom;
  bt_wit_type_t *w = &n->w;
  switch (t->kind) {
    case BT_CT_LIST:
    case BT_CT_OPTION:
      w->kind = t->kind == BT_CT_LIST ? BT_WIT_LIST : BT_WIT_OPTION;
      if (!(w->target = conv_type(cv, t->elem, why, wn))) return NULL;
      break;
    case BT_CT_MAP:
      w->kind = BT_WIT_MAP;
      if (!(w->key = conv_type(cv, t->ok, why, wn))) return NULL;
      if (!(w->target = conv_type(cv, t->elem, why, wn))) return NULL;
      break;
    case BT_CT_FUTURE:
    case BT_CT_STREAM:
      /* Converted so that bt_abi_type_supported() can refuse them by name. */
      w->kind = t->kind == BT_CT_FUTURE ? BT_WIT_FUTURE : BT_WIT_STREAM;
      if (t->elem && !(w->target = conv_type(cv, t->elem, why, wn))) return NULL;
      break;
    case BT_CT_RESULT:
      w->kind = BT_WIT_RESULT;
      if (t->ok && !(w->ok = conv_type(cv, t->ok, why, wn))) return NULL;
      if (t->err && !(w->err = conv_type(cv, t->err, why, wn))) return NULL;
      break;
    case BT_CT_TUPLE:
      w->kind = BT_WIT_TUPLE;
      w->count = t->count;
      w->types = cr_alloc(&cv->arena, sizeof *w->types * (t->count + 1));
      if (!w->types) goto oom;
      for (uint32_t i = 0; i < t->count; i++)
        if (!(w->types[i] = conv_type(cv, t->types[i], why, wn))) return NULL;
      break;
    case BT_CT_RECORD:
    case BT_CT_VARIANT:
    case BT_CT_ENUM:
    case BT_CT_FLAGS:
      w->kind = (bt_wit_kind_t)t->kind;
      w->count = t->count;
      w->fields = cr_alloc(&cv->arena, sizeof *w->fields * (t->count + 1));
      if (!w->fields) goto oom;
      for (uint32_t i = 0; i < t->count; i++) {
        w->fields[i].name = t->fields[i].name;
        if (t->fields[i].type && !(w->fields[i].type = conv_type(cv, t->fields[i].type, why, wn)))
          return NULL;
      }
      break;
    case BT_CT_RESOURCE: w->kind = BT_WIT_RESOURCE; break;
    case BT_CT_OWN:
    case BT_CT_BORROW: {
      w->kind = t->kind == BT_CT_OWN ? BT_WIT_OWN : BT_WIT_BORROW;
      const bt_ctype_t *r = bt_ctype_unalias(t->elem);
      if (!r || r->kind != BT_CT_RESOURCE) {
        snprintf(why, wn, "a handle of something that is not a resource");
        return NULL;
      }
      if (!(w->target = conv_type(cv, r, why, wn))) return NULL;
      w->resource = w->target;
      n->res = r;
      break;
    }
    default:
      snprintf(why, wn, "a %s is not a value type", t->kind == BT_CT_FUNC ? "function" : "component-level type");
      return NULL;
  }
  if (!memo_put(&cv->types, t, w)) goto oom;
  return w;
oom:
  snprintf(why, wn, "out of memory");
  return NULL;
}

bt_wit_function_t *cr_conv_func(cr_conv *cv, const bt_ctype_t *ft, const char *name, bool memo,
                                baton_error_t **err) {
  *err = NULL;
  ft = bt_ctype_unalias(ft);
  char why[200] = "";
  if (!ft || ft->kind != BT_CT_FUNC) {
    *err = baton_error_new(BATON_ETYPE, "%s: not a function type", name);
    return NULL;
  }
  if (ft->flags & BT_CT_ASYNC) {
    *err = baton_error_new(BATON_EUNSUPPORTED,
                           "function `%s` is async (component-model async), which baton does not "
                           "run",
                           name ? name : "func");
    return NULL;
  }
  bt_wit_function_t *fn = memo ? memo_get(&cv->funcs, ft) : NULL;
  if (fn) return fn;
  fn = cr_alloc(&cv->arena, sizeof *fn);
  char *nm = cr_strdup(&cv->arena, name ? name : "func");
  if (!fn || !nm) goto oom;
  fn->name = nm;
  fn->item_name = nm;
  fn->kind = BT_WIT_FUNC_FREESTANDING;
  fn->param_count = ft->count;
  fn->params = cr_alloc(&cv->arena, sizeof *fn->params * (ft->count + 1));
  if (!fn->params) goto oom;
  for (uint32_t i = 0; i < ft->count; i++) {
    fn->params[i].name = ft->fields[i].name;
    if (!(fn->params[i].type = conv_type(cv, ft->fields[i].type, why, sizeof why))) goto bad;
  }
  if (ft->elem && !(fn->result = conv_type(cv, ft->elem, why, sizeof why))) goto bad;
  for (size_t i = 0; i < fn->param_count; i++)
    if (!bt_abi_type_supported(fn->params[i].type, why, sizeof why)) goto bad;
  if (fn->result && !bt_abi_type_supported(fn->result, why, sizeof why)) goto bad;
  if (memo && !memo_put(&cv->funcs, ft, fn)) goto oom;
  return fn;
bad:
  if (strcmp(why, "out of memory") == 0) goto oom;
  *err = baton_error_new(BATON_EUNSUPPORTED, "function `%s`: %s", name ? name : "func", why);
  return NULL;
oom:
  *err = baton_error_new(BATON_ENO_MEMORY, "out of memory converting the type of `%s`",
                         name ? name : "func");
  return NULL;
}

bool cr_func_has_handles(const bt_ctype_t *ft) {
  ft = bt_ctype_unalias(ft);
  if (!ft) return false;
  for (uint32_t i = 0; i < ft->count; i++)
    if (bt_ctype_unalias(ft->fields[i].type)->flags & BT_CT_HAS_RESOURCE) return true;
  return ft->elem && (bt_ctype_unalias(ft->elem)->flags & BT_CT_HAS_RESOURCE);
}

bool bt_cwit_type_eq(const bt_wit_type_t *a, const bt_wit_type_t *b) {
  a = bt_wit_type_unalias(a);
  b = bt_wit_type_unalias(b);
  if (!a || !b) return a == b;
  if (a == b) return true;
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case BT_WIT_LIST: case BT_WIT_OPTION: case BT_WIT_FUTURE: case BT_WIT_STREAM:
      return bt_cwit_type_eq(a->target, b->target);
    case BT_WIT_MAP: return bt_cwit_type_eq(a->key, b->key) && bt_cwit_type_eq(a->target, b->target);
    case BT_WIT_RESULT: return bt_cwit_type_eq(a->ok, b->ok) && bt_cwit_type_eq(a->err, b->err);
    case BT_WIT_TUPLE:
      if (a->count != b->count) return false;
      for (size_t i = 0; i < a->count; i++)
        if (!bt_cwit_type_eq(a->types[i], b->types[i])) return false;
      return true;
    case BT_WIT_RECORD: case BT_WIT_VARIANT: case BT_WIT_ENUM: case BT_WIT_FLAGS:
      if (a->count != b->count) return false;
      for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
            !bt_cwit_type_eq(a->fields[i].type, b->fields[i].type))
          return false;
      return true;
    default: return true; /* primitives, resources, handles (kinds equal) */
  }
}

bool bt_cwit_func_eq(const bt_wit_function_t *a, const bt_wit_function_t *b) {
  if (a->param_count != b->param_count || !a->result != !b->result) return false;
  if (a->result && !bt_cwit_type_eq(a->result, b->result)) return false;
  for (size_t i = 0; i < a->param_count; i++)
    if (!bt_cwit_type_eq(a->params[i].type, b->params[i].type)) return false;
  return true;
}
