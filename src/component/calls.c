/*
 * src/component/calls.c: calls across component boundaries at run time —
 * the canonical ABI's `canon lift` and `canon lower` on top of src/abi, the
 * resource built-ins, and handle tables.
 *
 * A call into a lifted function (call_lifted) runs in the callee component
 * instance I: it refuses to enter a poisoned or busy instance, moves the
 * handles in the arguments into I's table (own handles move; a borrow of a
 * resource I implements passes its representation, any other borrow becomes
 * a borrow handle in I scoped to this call), lowers the arguments into I's
 * memory with the lift's options (flat, or as a tuple allocated with I's
 * realloc), calls the core function, lifts the result, moves own handles in
 * it out of I's table, runs the post-return and checks that I dropped every
 * borrow it was lent. A lowered function (lower_invoke, the core host
 * function a guest calls) does the mirror image in the caller J: it lifts
 * the arguments from J's memory with the lower's options, moves own handles
 * out of J and lends borrowed ones for the duration of the call, calls the
 * callee (a lifted function of another instance, or a host function), and
 * lowers the result into J (flat, or through the return pointer).
 *
 * Between the two sides values are host value trees whose handles are
 * indices into the store's table (bt_cstore_t), which is also where the
 * host's own handles live. A trap or a canonical ABI violation inside a
 * component instance poisons it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "component/rt.h"

/* ---- handle tables ---- */

void cr_table_free(cr_table *t) {
  bt_free(t->h);
  memset(t, 0, sizeof *t);
}

#define CR_MAX_HANDLES (1u << 28)

/* Adds an entry; returns its index (>= 1), or 0 when out of memory or past
 * the limit. */
static uint32_t table_add(cr_table *t, cr_handle h) {
  uint32_t idx;
  if (t->free_head) {
    idx = t->free_head;
    t->free_head = t->h[idx].rep;
  } else {
    if (t->n == 0) t->n = 1;
    if (t->n >= CR_MAX_HANDLES) return 0;
    if (t->n >= t->cap) {
      uint32_t cap = t->cap ? t->cap * 2 : 16;
      cr_handle *nh = bt_realloc(t->h, sizeof *nh * cap);
      if (!nh) return 0;
      t->h = nh;
      t->cap = cap;
    }
    idx = t->n++;
  }
  h.live = true;
  t->h[idx] = h;
  t->live++;
  return idx;
}

static cr_handle *table_get(cr_table *t, uint32_t i) {
  if (i == 0 || i >= t->n || !t->h[i].live) return NULL;
  return &t->h[i];
}

static void table_remove(cr_table *t, uint32_t i) {
  memset(&t->h[i], 0, sizeof t->h[i]);
  t->h[i].rep = t->free_head;
  t->free_head = i;
  t->live--;
}

uint32_t bt_cstore_live(const bt_cstore_t *s) { return s->table.live; }

baton_error_t *bt_cstore_own(bt_cstore_t *s, bt_crtype_t *rt, uint32_t rep, uint32_t *handle) {
  *handle = table_add(&s->table, (cr_handle){.rt = rt, .rep = rep, .own = true});
  return *handle ? NULL : baton_error_new(BATON_ENO_MEMORY, "out of memory growing the handle table");
}

baton_error_t *bt_cstore_rep(const bt_cstore_t *s, uint32_t handle, uint32_t *rep) {
  if (handle == 0 || handle >= s->table.n || !s->table.h[handle].live)
    return baton_error_new(BATON_ENOT_FOUND, "unknown handle %" PRIu32, handle);
  *rep = s->table.h[handle].rep;
  return NULL;
}

void cr_poison(cr_cinst *ci) {
  if (ci) ci->poisoned = true;
}

static const char *rt_name(const bt_crtype_t *rt) { return rt && rt->name ? rt->name : "resource"; }

/* ---- per-call bookkeeping ---- */

/* Lends to return and temporary store entries to remove when a call ends. */
typedef struct cr_lend {
  cr_table *table;
  uint32_t index;
} cr_lend;

typedef struct cr_scope {
  cr_lend *lends;
  uint32_t nlends, cap;
  cr_lend stack[8];
  uint32_t *temps; /* store indices of temporary borrows */
  uint32_t ntemps, captemps;
  uint32_t tstack[8];
} cr_scope;

static void scope_init(cr_scope *s) {
  memset(s, 0, sizeof *s);
  s->lends = s->stack;
  s->cap = 8;
  s->temps = s->tstack;
  s->captemps = 8;
}

static bool scope_lend(cr_scope *s, cr_table *t, uint32_t i) {
  if (s->nlends == s->cap) {
    uint32_t cap = s->cap * 2;
    cr_lend *n = bt_malloc(sizeof *n * cap);
    if (!n) return false;
    memcpy(n, s->lends, sizeof *n * s->nlends);
    if (s->lends != s->stack) bt_free(s->lends);
    s->lends = n;
    s->cap = cap;
  }
  s->lends[s->nlends++] = (cr_lend){t, i};
  t->h[i].lends++;
  return true;
}

static bool scope_temp(cr_scope *s, uint32_t i) {
  if (s->ntemps == s->captemps) {
    uint32_t cap = s->captemps * 2;
    uint32_t *n = bt_malloc(sizeof *n * cap);
    if (!n) return false;
    memcpy(n, s->temps, sizeof *n * s->ntemps);
    if (s->temps != s->tstack) bt_free(s->temps);
    s->temps = n;
    s->captemps = cap;
  }
  s->temps[s->ntemps++] = i;
  return true;
}

/* Returns the lends and removes the temporary entries. */
static void scope_end(cr_scope *s, bt_cstore_t *store) {
  for (uint32_t i = 0; i < s->nlends; i++) {
    cr_handle *h = table_get(s->lends[i].table, s->lends[i].index);
    if (h && h->lends) h->lends--;
  }
  for (uint32_t i = 0; i < s->ntemps; i++)
    if (table_get(&store->table, s->temps[i])) table_remove(&store->table, s->temps[i]);
  if (s->lends != s->stack) bt_free(s->lends);
  if (s->temps != s->tstack) bt_free(s->temps);
  scope_init(s);
}

/* ---- moving handles ---- */

/* Whether a handle occurs in t. */
static bool has_handles(const bt_wit_type_t *t, int depth) {
  t = bt_wit_type_unalias(t);
  if (!t || depth > 256) return false;
  switch (t->kind) {
    case BT_WIT_OWN: case BT_WIT_BORROW: return true;
    case BT_WIT_LIST: case BT_WIT_OPTION: return has_handles(t->target, depth + 1);
    case BT_WIT_RESULT: return has_handles(t->ok, depth + 1) || has_handles(t->err, depth + 1);
    case BT_WIT_TUPLE:
      for (size_t i = 0; i < t->count; i++)
        if (has_handles(t->types[i], depth + 1)) return true;
      return false;
    case BT_WIT_RECORD: case BT_WIT_VARIANT:
      for (size_t i = 0; i < t->count; i++)
        if (t->fields[i].type && has_handles(t->fields[i].type, depth + 1)) return true;
      return false;
    default: return false;
  }
}

/* One direction of handle movement. OUT: from a component instance's table
 * to the store (own: moved; borrow: a temporary store entry lending the
 * instance's handle). IN: from the store into an instance's table (own:
 * moved; borrow: the representation for the implementing instance, else a
 * borrow handle scoped to `frame`). */
typedef struct mover {
  bool in;
  cr_cinst *ci;
  bt_cstore_t *store;
  cr_frame *frame; /* IN: the call borrows are lent to (NULL: results) */
  cr_scope *scope;
  char msg[256];
} mover;

static bool mfail(mover *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool mfail(mover *m, const char *fmt, ...) {
  if (m->msg[0]) return false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->msg, sizeof m->msg, fmt, ap);
  va_end(ap);
  return false;
}

static bool move_handle(mover *m, baton_value_t *v, const bt_wit_type_t *t) {
  bool own = t->kind == BT_WIT_OWN;
  cr_table *from = m->in ? &m->store->table : &m->ci->table;
  uint32_t hi = v->of.handle;
  cr_handle *h = table_get(from, hi);
  const char *where = m->in ? "host" : m->ci->name;
  if (!h) return mfail(m, "unknown handle %" PRIu32 " (in the table of %s)", hi, where);
  bt_crtype_t *want = cr_rmap_get(m->ci, cr_wit_resource(t));
  if (want && h->rt && h->rt != want)
    return mfail(m, "handle %" PRIu32 " is a `%s`, but a `%s` is expected", hi, rt_name(h->rt), rt_name(want));
  bt_crtype_t *rt = h->rt;
  uint32_t rep = h->rep;
  if (own) {
    if (!h->own) return mfail(m, "handle %" PRIu32 " is borrowed, but an owned handle is expected", hi);
    if (h->lends)
      return mfail(m, "owned handle %" PRIu32 " cannot be moved while it is lent (%" PRIu32 " borrows)", hi,
                   h->lends);
    table_remove(from, hi);
    cr_table *to = m->in ? &m->ci->table : &m->store->table;
    uint32_t ni = table_add(to, (cr_handle){.rt = rt, .rep = rep, .own = true});
    if (!ni) return mfail(m, "out of memory growing a handle table");
    v->kind = BATON_VALUE_OWN;
    v->of.handle = ni;
    return true;
  }
  if (!m->in) {
    /* Lend the caller's handle for the call; the callee sees (rt, rep). */
    if (!scope_lend(m->scope, from, hi)) return mfail(m, "out of memory");
    uint32_t ni = table_add(&m->store->table, (cr_handle){.rt = rt, .rep = rep});
    if (!ni || !scope_temp(m->scope, ni)) {
      if (ni) table_remove(&m->store->table, ni);
      return mfail(m, "out of memory growing a handle table");
    }
    v->of.handle = ni;
    return true;
  }
  if (h->own && !scope_lend(m->scope, from, hi)) return mfail(m, "out of memory");
  if (rt && rt->impl == m->ci) {
    v->of.handle = rep;
    return true;
  }
  if (!m->frame) return mfail(m, "a borrowed handle cannot be returned");
  uint32_t ni = table_add(&m->ci->table, (cr_handle){.rt = rt, .rep = rep, .scope = m->frame});
  if (!ni) return mfail(m, "out of memory growing a handle table");
  m->frame->borrows++;
  v->of.handle = ni;
  return true;
}

/* Applies move_handle to every handle in v (of type t). */
static bool walk(mover *m, baton_value_t *v, const bt_wit_type_t *t, int depth) {
  t = bt_wit_type_unalias(t);
  if (!t || !v || depth > 256) return true;
  switch (t->kind) {
    case BT_WIT_OWN: case BT_WIT_BORROW: return move_handle(m, v, t);
    case BT_WIT_LIST:
      if (!has_handles(t->target, 0)) return true;
      for (size_t i = 0; i < v->of.seq.len; i++)
        if (!walk(m, &v->of.seq.items[i], t->target, depth + 1)) return false;
      return true;
    case BT_WIT_TUPLE:
      for (size_t i = 0; i < t->count && i < v->of.seq.len; i++)
        if (!walk(m, &v->of.seq.items[i], t->types[i], depth + 1)) return false;
      return true;
    case BT_WIT_RECORD:
      for (size_t i = 0; i < t->count && i < v->of.seq.len; i++)
        if (!walk(m, &v->of.seq.items[i], t->fields[i].type, depth + 1)) return false;
      return true;
    case BT_WIT_OPTION:
      return v->of.var.index == 1 ? walk(m, v->of.var.payload, t->target, depth + 1) : true;
    case BT_WIT_RESULT:
      return walk(m, v->of.var.payload, v->of.var.index == 0 ? t->ok : t->err, depth + 1);
    case BT_WIT_VARIANT:
      return v->of.var.index < t->count ? walk(m, v->of.var.payload, t->fields[v->of.var.index].type, depth + 1)
                                        : true;
    default: return true;
  }
}

static baton_trap_t *handle_trap(const mover *m, const char *where, const char *fname) {
  return baton_trap_new(BATON_TRAP_ABI, "canonical ABI: %s in %s of `%s`", m->msg, where, fname);
}

/* Removes the borrow handles lent to a call that did not drop them. */
static uint32_t drop_frame_borrows(cr_cinst *ci, cr_frame *f) {
  uint32_t n = 0;
  for (uint32_t i = 1; i < ci->table.n; i++)
    if (ci->table.h[i].live && !ci->table.h[i].own && ci->table.h[i].scope == f) {
      table_remove(&ci->table, i);
      n++;
    }
  return n;
}

/* ---- memory views for canonical options ---- */

/* Allocates with the options' realloc (any core function). */
static bool opts_alloc(bt_abi_cx_t *cx, uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t new_size,
                       uint32_t *out) {
  cr_corefn *f = cx->alloc_env;
  baton_val_t args[4] = {{.kind = BATON_I32, .of.i32 = (int32_t)old_ptr},
                         {.kind = BATON_I32, .of.i32 = (int32_t)old_size},
                         {.kind = BATON_I32, .of.i32 = (int32_t)align},
                         {.kind = BATON_I32, .of.i32 = (int32_t)new_size}};
  baton_val_t res = {.kind = BATON_I32};
  baton_trap_t *trap = cr_corefn_invoke(f, args, &res);
  if (trap) {
    bt_abi_status_t *st = cx->st;
    if (st->fail == BT_ABI_OK) {
      st->fail = BT_ABI_FAIL_TRAP;
      st->culprit = cx->inst;
      st->trap = trap;
    } else {
      baton_trap_delete(trap);
    }
    return false;
  }
  bt_abi_cx_refresh(cx);
  *out = (uint32_t)res.of.i32;
  return true;
}

static void opts_cx(bt_abi_cx_t *cx, bt_abi_status_t *st, const cr_opts *o) {
  if (o->mem) bt_abi_cx_instance(cx, st, o->mem, o->enc);
  else bt_abi_cx_buffer(cx, st, NULL, 0, o->enc, NULL, NULL);
  cx->alloc = o->realloc ? opts_alloc : NULL;
  cx->alloc_env = o->realloc;
  cx->types_checked = true;
}

/* Turns an ABI failure into a trap; an ABI violation or trap poisons ci. */
static baton_trap_t *abi_trap(bt_abi_status_t *st, const char *where, const char *ctx, cr_cinst *ci) {
  baton_error_t *err;
  baton_trap_t *trap;
  if (st->fail == BT_ABI_FAIL_ABI || st->fail == BT_ABI_FAIL_TRAP) cr_poison(ci);
  bt_abi_status_take(st, where, ctx, &err, &trap);
  if (err) {
    trap = baton_trap_new(BATON_TRAP_HOST, "%s", baton_error_message(err));
    baton_error_delete(err);
  }
  return trap;
}

static const char *param_where(const bt_wit_function_t *fn, size_t i, char *buf, size_t n) {
  snprintf(buf, n, "parameter %s", fn->params[i].name);
  return buf;
}

/* ---- calling component functions ---- */

static baton_error_t *call_func(bt_cfunc_t *f, bt_cstore_t *store, baton_value_t *args, size_t nargs,
                                baton_value_t *result, cr_scope *scope, baton_trap_t **trap);

/* Calls a lifted function in its instance (see the file comment). args are
 * owned by the caller but modified (handles are renumbered). */
static baton_error_t *call_lifted(bt_cfunc_t *f, bt_cstore_t *store, baton_value_t *args, size_t nargs,
                                  baton_value_t *result, cr_scope *scope, baton_trap_t **trap) {
  cr_cinst *I = f->inst;
  const bt_wit_function_t *fn = f->wit;
  const bt_abi_sig_t *sig = f->sig;
  char ctx[300], where[160];
  /* ctx names the call in messages; it is formatted only when one is needed. */
#undef CTX
#define CTX() (snprintf(ctx, sizeof ctx, "`%s` of %s", f->name, I->name), ctx)
  if (I->poisoned) {
    *trap = baton_trap_new(BATON_TRAP_POISONED, "component instance %s was poisoned by an earlier trap "
                           "(calling `%s`)", I->name, f->name);
    return NULL;
  }
  if (I->busy) {
    *trap = baton_trap_new(BATON_TRAP_HOST, "cannot enter component instance %s recursively (calling `%s`)",
                           I->name, f->name);
    return NULL;
  }
  if (!f->core) return baton_error_new(BATON_ESTATE, "%s has no core function", CTX());
  cr_frame frame = {I, 0};
  I->busy = true;
  if (f->handles) {
    mover m = {.in = true, .ci = I, .store = store, .frame = &frame, .scope = scope};
    for (size_t i = 0; i < nargs; i++)
      if (!walk(&m, &args[i], fn->params[i].type, 0)) {
        *trap = handle_trap(&m, param_where(fn, i, where, sizeof where), f->name);
        goto out;
      }
  }
  bt_abi_status_t st;
  bt_abi_status_init(&st);
  bt_abi_cx_t cx;
  opts_cx(&cx, &st, &f->opts);
  cx.values_checked = true;
  baton_val_t flat[BT_ABI_FLAT_CAP];
  size_t nflat = 0;
  if (!sig->spill_params) {
    for (size_t i = 0; i < nargs; i++)
      if (!bt_abi_lower_flat(&cx, fn->params[i].type, &args[i], flat, BT_ABI_MAX_FLAT_PARAMS, &nflat)) {
        *trap = abi_trap(&st, param_where(fn, i, where, sizeof where), CTX(), I);
        goto out;
      }
  } else {
    uint32_t p;
    if (!bt_abi_realloc(&cx, 0, 0, sig->params_align, sig->params_size, &p)) {
      *trap = abi_trap(&st, "parameters", CTX(), I);
      goto out;
    }
    uint32_t off = p;
    for (size_t i = 0; i < nargs; i++) {
      const bt_abi_lcache_t *l = bt_abi_cx_layout(&cx, bt_abi_unalias(fn->params[i].type));
      uint32_t size = l->size;
      off = bt_abi_align_to(off, l->align);
      if (!bt_abi_store(&cx, off, fn->params[i].type, &args[i])) {
        *trap = abi_trap(&st, param_where(fn, i, where, sizeof where), CTX(), I);
        goto out;
      }
      off += size;
    }
    flat[0] = (baton_val_t){.kind = BATON_I32, .of.i32 = (int32_t)p};
    nflat = 1;
  }
  baton_val_t res[BT_ABI_MAX_FLAT_RESULTS + 1];
  memset(res, 0, sizeof res);
  *trap = cr_corefn_invoke(f->core, flat, res);
  if (*trap) {
    cr_poison(I);
    goto out;
  }
  if (fn->result) {
    bt_abi_cx_refresh(&cx);
    bool ok;
    if (!sig->spill_results) {
      size_t pos = 0;
      ok = bt_abi_lift_flat(&cx, fn->result, res, sig->nresults, &pos, result);
    } else {
      uint32_t rp = (uint32_t)res[0].of.i32;
      ok = bt_abi_check_range(&cx, rp, 1, sig->result_size, sig->result_align, "return area") &&
           bt_abi_load(&cx, rp, fn->result, result);
    }
    if (!ok) {
      *trap = abi_trap(&st, "result", CTX(), I);
      goto out;
    }
    if (f->handles) {
      mover m = {.in = false, .ci = I, .store = store, .scope = scope};
      if (!walk(&m, result, fn->result, 0)) {
        baton_value_clear(result);
        cr_poison(I);
        *trap = handle_trap(&m, "result", f->name);
        goto out;
      }
    }
  }
  if (f->opts.post) {
    /* The post-return may not leave the instance (lower_invoke and
     * resource.drop trap while no_leave is set). */
    I->no_leave = true;
    *trap = cr_corefn_invoke(f->opts.post, res, NULL);
    I->no_leave = false;
    if (*trap) {
      cr_poison(I);
      if (result) baton_value_clear(result);
      goto out;
    }
  }
  if (frame.borrows) {
    uint32_t n = drop_frame_borrows(I, &frame);
    cr_poison(I);
    if (result) baton_value_clear(result);
    *trap = baton_trap_new(BATON_TRAP_ABI, "canonical ABI: %s returned from `%s` without dropping %" PRIu32
                           " borrowed handle%s", I->name, f->name, n, n == 1 ? "" : "s");
  }
out:
  if (*trap && frame.borrows) drop_frame_borrows(I, &frame);
  I->busy = false;
  return NULL;
}

static baton_error_t *call_func(bt_cfunc_t *f, bt_cstore_t *store, baton_value_t *args, size_t nargs,
                                baton_value_t *result, cr_scope *scope, baton_trap_t **trap) {
  *trap = NULL;
  if (f->kind == CR_FN_LIFTED) return call_lifted(f, store, args, nargs, result, scope, trap);
  baton_value_t res;
  memset(&res, 0, sizeof res);
  *trap = f->host(f->env, args, nargs, &res);
  if (*trap || !f->wit->result) {
    baton_value_clear(&res);
    return NULL;
  }
  bt_abi_status_t st;
  bt_abi_status_init(&st);
  if (!bt_abi_check_value(&st, f->wit->result, &res)) {
    baton_value_clear(&res);
    baton_error_t *err;
    bt_abi_status_take(&st, "result", f->name, &err, trap);
    if (err) {
      *trap = baton_trap_new(BATON_TRAP_HOST, "host function `%s` returned a bad value: %s", f->name,
                             baton_error_message(err));
      baton_error_delete(err);
    }
    return NULL;
  }
  *result = res;
  return NULL;
}

baton_error_t *bt_cfunc_call(bt_cfunc_t *f, bt_cstore_t *store, const baton_value_t *args, size_t nargs,
                             baton_value_t *result, baton_trap_t **trap) {
  *trap = NULL;
  const bt_wit_function_t *fn = f->wit;
  if (result) memset(result, 0, sizeof *result);
  if (nargs != fn->param_count)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "`%s` takes %zu argument%s, got %zu", f->name,
                           fn->param_count, fn->param_count == 1 ? "" : "s", nargs);
  if (fn->result && !result)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "`%s` returns a value but no result was given", f->name);
  bt_abi_status_t st;
  bt_abi_status_init(&st);
  char where[160];
  for (size_t i = 0; i < nargs; i++)
    if (!bt_abi_check_value(&st, fn->params[i].type, &args[i])) {
      baton_error_t *err;
      baton_trap_t *t;
      bt_abi_status_take(&st, param_where(fn, i, where, sizeof where), f->name, &err, &t);
      baton_trap_delete(t);
      return err ? err : baton_error_new(BATON_ETYPE, "bad argument %zu of `%s`", i + 1, f->name);
    }
  baton_value_t stackv[8];
  baton_value_t *vals = stackv;
  if (f->handles) {
    /* Handles are renumbered in place: work on a copy. */
    if (nargs > 8 && !(vals = bt_calloc(nargs, sizeof *vals)))
      return baton_error_new(BATON_ENO_MEMORY, "out of memory");
    for (size_t i = 0; i < nargs; i++)
      if (!baton_value_copy(&vals[i], &args[i])) {
        for (size_t k = 0; k < i; k++) baton_value_clear(&vals[k]);
        if (vals != stackv) bt_free(vals);
        return baton_error_new(BATON_ENO_MEMORY, "out of memory");
      }
  } else {
    vals = (baton_value_t *)args; /* not modified without handles */
  }
  cr_scope scope;
  scope_init(&scope);
  baton_value_t res;
  memset(&res, 0, sizeof res);
  baton_error_t *err = call_func(f, store, vals, nargs, &res, &scope, trap);
  scope_end(&scope, store);
  if (f->handles) {
    for (size_t i = 0; i < nargs; i++) baton_value_clear(&vals[i]);
    if (vals != stackv) bt_free(vals);
  }
  if (err || *trap) {
    baton_value_clear(&res);
    return err;
  }
  if (result) *result = res;
  else baton_value_clear(&res);
  return NULL;
}

/* ---- canon lower ---- */

static baton_trap_t *lower_invoke(cr_corefn *fn, const baton_val_t *args, baton_val_t *results) {
  cr_cinst *J = fn->owner;
  const cr_canon *k = fn->canon;
  const bt_wit_function_t *w = k->wit;
  const bt_abi_sig_t *sig = &k->sig;
  bt_cstore_t *store = J->root->store;
  char ctx[300], where[160];
  /* ctx names the call in messages; it is formatted only when one is needed. */
#undef CTX
#define CTX() (snprintf(ctx, sizeof ctx, "import `%s` of %s", fn->name, J->name), ctx)
  if (J->poisoned)
    return baton_trap_new(BATON_TRAP_POISONED, "component instance %s was poisoned by an earlier trap", J->name);
  if (J->no_leave) {
    cr_poison(J);
    return baton_trap_new(BATON_TRAP_ABI, "canonical ABI: cannot leave component instance %s during a "
                          "post-return (calling %s)", J->name, CTX());
  }
  bt_abi_status_t st;
  bt_abi_status_init(&st);
  bt_abi_cx_t cx;
  opts_cx(&cx, &st, &fn->opts);
  baton_value_t stackv[8];
  baton_value_t *vals = w->param_count <= 8 ? stackv : bt_calloc(w->param_count, sizeof *vals);
  if (!vals) return baton_trap_new(BATON_TRAP_MEMORY, "out of memory lifting the arguments of %s", CTX());
  memset(vals, 0, sizeof *vals * (w->param_count <= 8 ? 8 : w->param_count));
  size_t i = 0;
  baton_trap_t *trap = NULL;
  if (!sig->spill_params) {
    size_t pos = 0;
    for (; i < w->param_count; i++)
      if (!bt_abi_lift_flat(&cx, w->params[i].type, args, sig->flat_params, &pos, &vals[i])) break;
  } else {
    uint32_t p = (uint32_t)args[0].of.i32, off = p;
    if (bt_abi_check_range(&cx, p, 1, sig->params_size, sig->params_align, "parameter area")) {
      for (; i < w->param_count; i++) {
        const bt_abi_lcache_t *l = bt_abi_cx_layout(&cx, bt_abi_unalias(w->params[i].type));
        uint32_t size = l->size;
        off = bt_abi_align_to(off, l->align);
        if (!bt_abi_load(&cx, off, w->params[i].type, &vals[i])) break;
        off += size;
      }
    }
  }
  cr_scope scope;
  scope_init(&scope);
  baton_value_t result;
  memset(&result, 0, sizeof result);
  if (i < w->param_count) {
    trap = abi_trap(&st, i < w->param_count ? param_where(w, i, where, sizeof where) : "parameters", CTX(), J);
    goto done;
  }
  if (k->handles) {
    mover m = {.in = false, .ci = J, .store = store, .scope = &scope};
    for (size_t a = 0; a < w->param_count; a++)
      if (!walk(&m, &vals[a], w->params[a].type, 0)) {
        trap = handle_trap(&m, param_where(w, a, where, sizeof where), fn->name);
        goto done;
      }
  }
  baton_error_t *err = call_func(fn->callee, store, vals, w->param_count, &result, &scope, &trap);
  if (err) {
    trap = baton_trap_new(BATON_TRAP_HOST, "%s: %s", CTX(), baton_error_message(err));
    baton_error_delete(err);
  }
  scope_end(&scope, store);
  if (trap) goto done;
  if (w->result) {
    if (k->handles) {
      mover m = {.in = true, .ci = J, .store = store, .scope = &scope};
      if (!walk(&m, &result, w->result, 0)) {
        trap = handle_trap(&m, "result", fn->name);
        goto done;
      }
    }
    bt_abi_cx_refresh(&cx);
    cx.values_checked = true;
    bool ok;
    if (!sig->spill_results) {
      size_t pos = 0;
      ok = bt_abi_lower_flat(&cx, w->result, &result, results, sig->nresults, &pos);
    } else {
      uint32_t rp = (uint32_t)args[sig->nparams - 1].of.i32;
      ok = bt_abi_check_range(&cx, rp, 1, sig->result_size, sig->result_align, "return pointer") &&
           bt_abi_store(&cx, rp, w->result, &result);
    }
    if (!ok) trap = abi_trap(&st, "result", CTX(), J);
  }
done:
  scope_end(&scope, store);
  baton_value_clear(&result);
  for (size_t a = 0; a < w->param_count; a++) baton_value_clear(&vals[a]);
  if (vals != stackv) bt_free(vals);
  if (trap) cr_poison(J);
  return trap;
}

/* ---- resource built-ins ---- */

/* Runs a resource's destructor on rep, entering its implementation. */
static baton_trap_t *run_dtor(cr_cinst *from, bt_crtype_t *rt, uint32_t rep) {
  if (rt && rt->host_dtor) {
    rt->host_dtor(rt->host_env, rep);
    return NULL;
  }
  if (!rt || !rt->dtor) return NULL;
  cr_cinst *impl = rt->impl;
  if (impl && impl != from) {
    if (impl->poisoned)
      return baton_trap_new(BATON_TRAP_POISONED, "destructor of `%s`: component instance %s was poisoned by an "
                            "earlier trap", rt_name(rt), impl->name);
    if (impl->busy)
      return baton_trap_new(BATON_TRAP_HOST, "destructor of `%s`: cannot enter component instance %s "
                            "recursively", rt_name(rt), impl->name);
  }
  baton_val_t arg = {.kind = BATON_I32, .of.i32 = (int32_t)rep};
  if (impl && impl != from) impl->busy = true;
  baton_trap_t *t = cr_corefn_invoke(rt->dtor, &arg, NULL);
  if (impl && impl != from) impl->busy = false;
  if (t) cr_poison(impl);
  return t;
}

static baton_trap_t *resource_invoke(cr_corefn *fn, const baton_val_t *args, baton_val_t *results) {
  cr_cinst *ci = fn->owner;
  if (ci->poisoned)
    return baton_trap_new(BATON_TRAP_POISONED, "component instance %s was poisoned by an earlier trap", ci->name);
  if (ci->no_leave) { /* the built-ins check may_leave too */
    cr_poison(ci);
    return baton_trap_new(BATON_TRAP_ABI, "canonical ABI: cannot leave component instance %s during a "
                          "post-return (calling %s)", ci->name, fn->name);
  }
  uint32_t idx = (uint32_t)args[0].of.i32;
  if (fn->kind == CR_F_RNEW) {
    uint32_t h = table_add(&ci->table, (cr_handle){.rt = fn->rt, .rep = idx, .own = true});
    if (!h) return baton_trap_new(BATON_TRAP_MEMORY, "resource.new: the handle table of %s is full", ci->name);
    results[0] = (baton_val_t){.kind = BATON_I32, .of.i32 = (int32_t)h};
    return NULL;
  }
  cr_handle *h = table_get(&ci->table, idx);
  if (!h) {
    cr_poison(ci);
    return baton_trap_new(BATON_TRAP_ABI, "canonical ABI: %s: unknown handle %" PRIu32 " in %s", fn->name, idx,
                          ci->name);
  }
  if (fn->rt && h->rt && h->rt != fn->rt) {
    cr_poison(ci);
    return baton_trap_new(BATON_TRAP_ABI, "canonical ABI: %s of `%s`: handle %" PRIu32 " is a `%s` (in %s)",
                          fn->name, rt_name(fn->rt), idx, rt_name(h->rt), ci->name);
  }
  if (fn->kind == CR_F_RREP) {
    results[0] = (baton_val_t){.kind = BATON_I32, .of.i32 = (int32_t)h->rep};
    return NULL;
  }
  /* resource.drop */
  if (!h->own) {
    if (h->scope && h->scope->borrows) h->scope->borrows--;
    table_remove(&ci->table, idx);
    return NULL;
  }
  if (h->lends) {
    cr_poison(ci);
    return baton_trap_new(BATON_TRAP_ABI, "canonical ABI: resource.drop: owned handle %" PRIu32 " is still lent "
                          "(%" PRIu32 " borrows) in %s", idx, h->lends, ci->name);
  }
  bt_crtype_t *rt = h->rt;
  uint32_t rep = h->rep;
  table_remove(&ci->table, idx);
  return run_dtor(ci, rt, rep);
}

baton_error_t *bt_cstore_drop(bt_cstore_t *store, uint32_t handle, baton_trap_t **trap) {
  *trap = NULL;
  cr_handle *h = table_get(&store->table, handle);
  if (!h) return baton_error_new(BATON_ENOT_FOUND, "unknown handle %" PRIu32, handle);
  if (!h->own) {
    table_remove(&store->table, handle);
    return NULL;
  }
  if (h->lends)
    return baton_error_new(BATON_ESTATE, "handle %" PRIu32 " is lent (%" PRIu32 " borrows)", handle, h->lends);
  bt_crtype_t *rt = h->rt;
  uint32_t rep = h->rep;
  table_remove(&store->table, handle);
  *trap = run_dtor(NULL, rt, rep);
  return NULL;
}

/* ---- core functions ---- */

baton_trap_t *cr_corefn_invoke(cr_corefn *fn, const baton_val_t *args, baton_val_t *results) {
  baton_val_t none[1] = {{0}};
  switch (fn->kind) {
    case CR_F_EXPORT: {
      baton_trap_t *trap = NULL;
      baton_error_t *err = baton_instance_call_index(fn->inst, fn->index, args ? args : none, fn->ftype.nparams,
                                                     results ? results : none, fn->ftype.nresults, &trap);
      if (err) {
        trap = baton_trap_new(BATON_TRAP_HOST, "calling `%s`: %s", fn->name, baton_error_message(err));
        baton_error_delete(err);
      }
      if (trap) cr_poison(fn->owner);
      return trap;
    }
    case CR_F_SLOT: {
      cr_corefn *target = fn->slot < fn->slots->n ? fn->slots->fns[fn->slot] : NULL;
      if (!target)
        return baton_trap_new(BATON_TRAP_UNINITIALIZED_ELEMENT, "uninitialized element %" PRIu32,
                              fn->slot);
      return cr_corefn_invoke(target, args, results);
    }
    case CR_F_LOWER: return lower_invoke(fn, args, results);
    default: return resource_invoke(fn, args, results);
  }
}

baton_trap_t *cr_corefn_trampoline(void *env, baton_caller_t *caller, const baton_val_t *args,
                                   baton_val_t *results) {
  (void)caller;
  return cr_corefn_invoke(env, args, results);
}
