/*
 * src/abi/call.c: typed calls on core modules that follow the canonical ABI
 * the way wit-bindgen lays it out (docs/abi.md):
 *
 *   - an exported WIT function is a core export named `f` (world-level) or
 *     `ns:pkg/iface@ver#f`; its core signature is the lifted flattening of
 *     the WIT signature; `cabi_realloc` allocates in the guest and an
 *     optional `cabi_post_<export>` frees what the result points to after
 *     the host has lifted it;
 *   - an imported WIT function is a core import (`$root` or
 *     `ns:pkg/iface@ver`, fn->name) with the lowered flattening: spilled
 *     parameters arrive as a pointer to a tuple in the caller's memory and a
 *     spilled result is written through a return pointer passed last.
 *
 * This file checks those signatures at load time, calls exports with host
 * values (bt_abi_call), defines typed host imports (bt_abi_define_import)
 * and wires an import of one instance straight to an export of another
 * (bt_abi_define_forward), copying arguments and results memory to memory.
 *
 * A canonical ABI violation by a guest poisons that instance, exactly as a
 * trap inside it would: its memory can no longer be trusted to follow the
 * ABI. That needs the engine's private instance layout (engine/internal.h);
 * it is the only thing used from it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "abi/abi.h"
#include "engine/internal.h"

/* Marks an instance unusable after it broke the ABI. */
static void poison(baton_instance_t *inst) {
  if (inst) inst->poisoned = true;
}

/* Whether a type contains a string or a list (needs memory and, when
 * lowered into the guest, an allocator). */
static bool has_pointers(const bt_wit_type_t *t) {
  t = bt_abi_unalias(t);
  if (!t) return false;
  switch (t->kind) {
    case BT_WIT_STRING: case BT_WIT_LIST: return true;
    case BT_WIT_RECORD: case BT_WIT_TUPLE:
      for (size_t i = 0; i < bt_abi_member_count(t); i++)
        if (has_pointers(bt_abi_member_type(t, i))) return true;
      return false;
    case BT_WIT_VARIANT: case BT_WIT_OPTION: case BT_WIT_RESULT:
      for (size_t i = 0; i < bt_abi_case_count(t); i++)
        if (has_pointers(bt_abi_case_type(t, i))) return true;
      return false;
    default: return false;
  }
}

/* Whether any parameter of fn contains a string or a list. */
static bool params_have_pointers(const bt_wit_function_t *fn) {
  for (size_t i = 0; i < fn->param_count; i++)
    if (has_pointers(fn->params[i].type)) return true;
  return false;
}

/* Returns an UNSUPPORTED error for an `async func` (never run), or naming
 * the first parameter or the result whose type has no canonical ABI
 * representation (`what` names the function in the message), or NULL. */
static baton_error_t *check_supported(const bt_wit_function_t *fn, const char *what) {
  char why[200];
  if (fn->is_async)
    return baton_error_new(BATON_EUNSUPPORTED,
                           "%s: `%s` is an async function (component-model async), which baton "
                           "does not run",
                           what, fn->name);
  for (size_t i = 0; i < fn->param_count; i++)
    if (!bt_abi_type_supported(fn->params[i].type, why, sizeof why))
      return baton_error_new(BATON_EUNSUPPORTED, "%s, parameter %s: %s", what,
                             fn->params[i].name, why);
  if (fn->result && !bt_abi_type_supported(fn->result, why, sizeof why))
    return baton_error_new(BATON_EUNSUPPORTED, "%s, result: %s", what, why);
  return NULL;
}

/* Whether core type t is exactly (params) -> (results). */
static bool functype_eq(const baton_functype_t *t, const baton_valkind_t *params, size_t np,
                        const baton_valkind_t *results, size_t nr) {
  if (t->nparams != np || t->nresults != nr) return false;
  for (size_t i = 0; i < np; i++)
    if (t->params[i] != params[i]) return false;
  for (size_t i = 0; i < nr; i++)
    if (t->results[i] != results[i]) return false;
  return true;
}

/* Finds an export by name and kind in a module. */
static bool find_export(baton_module_t *m, const char *name, baton_externkind_t kind,
                        baton_extern_desc_t *out) {
  size_t n = baton_module_export_count(m);
  for (size_t i = 0; i < n; i++) {
    if (baton_module_export(m, i, out) && out->kind == kind && strcmp(out->name, name) == 0)
      return true;
  }
  return false;
}

/* Builds the LINK error for a core signature that differs from the
 * flattened WIT one, naming the WIT function and both core types. */
static baton_error_t *mismatch(const char *what, const bt_wit_function_t *fn, const bt_abi_sig_t *sig,
                               const baton_functype_t *have) {
  char fs[256], want[200], got[200];
  return baton_error_new(BATON_ELINK, "%s: WIT type %s flattens to %s but the module has %s", what,
                         bt_abi_func_str(fn, fs, sizeof fs),
                         bt_abi_core_type_str(sig->params, sig->nparams, sig->results,
                                              sig->nresults, want, sizeof want),
                         bt_abi_core_type_str(have->params, have->nparams, have->results,
                                              have->nresults, got, sizeof got));
}

/* Checks the module exports `memory` and, when `need_realloc`,
 * `cabi_realloc: (i32, i32, i32, i32) -> i32`. */
static baton_error_t *check_support_exports(baton_module_t *m, const char *what, bool need_memory,
                                            bool need_realloc) {
  baton_extern_desc_t d;
  if (need_memory && !find_export(m, "memory", BATON_EXTERN_MEMORY, &d))
    return baton_error_new(BATON_ELINK, "%s passes strings, lists or spilled values but module %s "
                           "exports no memory", what, baton_module_name(m));
  if (need_realloc) {
    static const baton_valkind_t p4[4] = {BATON_I32, BATON_I32, BATON_I32, BATON_I32};
    static const baton_valkind_t r1[1] = {BATON_I32};
    if (!find_export(m, "cabi_realloc", BATON_EXTERN_FUNC, &d))
      return baton_error_new(BATON_ELINK, "%s needs to allocate in the guest but module %s has no "
                             "export cabi_realloc", what, baton_module_name(m));
    if (!functype_eq(&d.type, p4, 4, r1, 1)) {
      char got[200];
      return baton_error_new(BATON_ELINK, "cabi_realloc of module %s has type %s, expected "
                             "(i32, i32, i32, i32) -> i32", baton_module_name(m),
                             bt_abi_core_type_str(d.type.params, d.type.nparams, d.type.results,
                                                  d.type.nresults, got, sizeof got));
    }
  }
  return NULL;
}

baton_error_t *bt_abi_check_export(baton_module_t *m, const bt_wit_function_t *fn,
                                   const char *export_name) {
  char what[300];
  snprintf(what, sizeof what, "export \"%s\"", export_name);
  baton_error_t *e = check_supported(fn, what);
  if (e) return e;
  bt_abi_sig_t sig;
  bt_abi_signature(fn, BT_ABI_LIFT, &sig);
  baton_extern_desc_t d;
  if (!find_export(m, export_name, BATON_EXTERN_FUNC, &d)) {
    char fs[256];
    return baton_error_new(BATON_ENOT_FOUND, "module %s has no export \"%s\" for WIT function %s",
                           baton_module_name(m), export_name, bt_abi_func_str(fn, fs, sizeof fs));
  }
  if (!functype_eq(&d.type, sig.params, sig.nparams, sig.results, sig.nresults))
    return mismatch(what, fn, &sig, &d.type);
  bool pointers = params_have_pointers(fn) || (fn->result && has_pointers(fn->result));
  e = check_support_exports(m, what, pointers || sig.spill_params || sig.spill_results,
                            params_have_pointers(fn) || sig.spill_params);
  if (e) return e;
  char post[300];
  bt_abi_post_return_name(export_name, post, sizeof post);
  if (find_export(m, post, BATON_EXTERN_FUNC, &d) &&
      !functype_eq(&d.type, sig.results, sig.nresults, NULL, 0)) {
    char want[200], got[200];
    return baton_error_new(BATON_ELINK, "post-return %s has type %s, expected %s", post,
                           bt_abi_core_type_str(d.type.params, d.type.nparams, d.type.results,
                                                d.type.nresults, got, sizeof got),
                           bt_abi_core_type_str(sig.results, sig.nresults, NULL, 0, want, sizeof want));
  }
  return NULL;
}

baton_error_t *bt_abi_check_import(baton_module_t *m, const char *module_name,
                                   const bt_wit_function_t *fn) {
  size_t n = baton_module_import_count(m);
  for (size_t i = 0; i < n; i++) {
    baton_extern_desc_t d;
    if (!baton_module_import(m, i, &d) || d.kind != BATON_EXTERN_FUNC ||
        strcmp(d.module, module_name) != 0 || strcmp(d.name, fn->name) != 0)
      continue;
    char what[300];
    snprintf(what, sizeof what, "import \"%s\" \"%s\"", module_name, fn->name);
    baton_error_t *e = check_supported(fn, what);
    if (e) return e;
    bt_abi_sig_t sig;
    bt_abi_signature(fn, BT_ABI_LOWER, &sig);
    if (!functype_eq(&d.type, sig.params, sig.nparams, sig.results, sig.nresults))
      return mismatch(what, fn, &sig, &d.type);
    bool res_ptrs = fn->result && has_pointers(fn->result);
    return check_support_exports(m, what,
                                 res_ptrs || params_have_pointers(fn) || sig.spill_params ||
                                     sig.spill_results,
                                 res_ptrs);
  }
  return NULL;
}

/* Checks every function of a world item, as export or import. */
static baton_error_t *check_item(baton_module_t *m, const bt_wit_world_item_t *item, bool export) {
  const bt_wit_function_t *single[1];
  bt_wit_function_t *const *fns;
  size_t nfns;
  if (item->kind == BT_WIT_ITEM_FUNCTION) {
    single[0] = item->function;
    fns = (bt_wit_function_t *const *)single;
    nfns = 1;
  } else if (item->kind == BT_WIT_ITEM_INTERFACE && item->interface) {
    fns = item->interface->functions;
    nfns = item->interface->function_count;
  } else {
    return NULL;
  }
  for (size_t i = 0; i < nfns; i++) {
    char name[512];
    baton_error_t *e;
    if (export) {
      if (bt_abi_export_name(item, fns[i], name, sizeof name) >= (int)sizeof name)
        return baton_error_new(BATON_EUNSUPPORTED, "export name too long");
      e = bt_abi_check_export(m, fns[i], name);
    } else {
      if (bt_abi_import_module(item, name, sizeof name) >= (int)sizeof name)
        return baton_error_new(BATON_EUNSUPPORTED, "import module name too long");
      e = bt_abi_check_import(m, name, fns[i]);
    }
    if (e) return e;
  }
  return NULL;
}

baton_error_t *bt_abi_check_world(baton_module_t *m, const bt_wit_world_t *world) {
  for (size_t i = 0; i < world->export_count; i++) {
    baton_error_t *e = check_item(m, &world->exports[i], true);
    if (e) return baton_error_wrap(e, "world %s", world->name);
  }
  for (size_t i = 0; i < world->import_count; i++) {
    baton_error_t *e = check_item(m, &world->imports[i], false);
    if (e) return baton_error_wrap(e, "world %s", world->name);
  }
  return NULL;
}

/* ---- calling exports ---- */

baton_error_t *bt_abi_export_prepare(bt_abi_export_t *ex, baton_instance_t *inst,
                                     const bt_wit_function_t *fn, const char *export_name) {
  memset(ex, 0, sizeof *ex);
  ex->inst = inst;
  ex->fn = fn;
  ex->export_name = export_name;
  snprintf(ex->ctx, sizeof ex->ctx, "export \"%s\"", export_name);
  baton_error_t *e = check_supported(fn, ex->ctx);
  if (e) return e;
  bt_abi_signature(fn, BT_ABI_LIFT, &ex->sig);
  baton_functype_t ft;
  e = baton_instance_lookup(inst, export_name, &ex->index, &ft);
  if (e) return e;
  if (!functype_eq(&ft, ex->sig.params, ex->sig.nparams, ex->sig.results, ex->sig.nresults))
    return mismatch(ex->ctx, fn, &ex->sig, &ft);
  char post[300];
  bt_abi_post_return_name(export_name, post, sizeof post);
  e = baton_instance_lookup(inst, post, &ex->post_index, &ft);
  if (!e) {
    if (!functype_eq(&ft, ex->sig.results, ex->sig.nresults, NULL, 0))
      return baton_error_new(BATON_ELINK, "post-return %s does not take the flat results of %s",
                             post, ex->ctx);
    ex->has_post = true;
  }
  baton_error_delete(e);
  /* Resolve cabi_realloc once so calls do not search the exports. */
  static const baton_valkind_t p4[4] = {BATON_I32, BATON_I32, BATON_I32, BATON_I32};
  static const baton_valkind_t r1[1] = {BATON_I32};
  e = baton_instance_lookup(inst, "cabi_realloc", &ex->realloc_index, &ft);
  ex->realloc_state = !e && functype_eq(&ft, p4, 4, r1, 1) ? 1 : -1;
  baton_error_delete(e);
  return NULL;
}

/* A view over the export's instance with the allocator index already
 * resolved. */
static void export_cx(const bt_abi_export_t *ex, bt_abi_cx_t *cx, bt_abi_status_t *st) {
  bt_abi_cx_instance(cx, st, ex->inst, BT_ABI_UTF8);
  cx->types_checked = true; /* checked by bt_abi_export_prepare */
  if (ex->realloc_state > 0) {
    cx->realloc_index = ex->realloc_index;
    cx->realloc_state = 1;
  }
}

/* Turns a failure into the call's outcome, poisoning a guilty instance. */
static baton_error_t *fail_out(bt_abi_status_t *st, const char *where, const char *ctx,
                               baton_trap_t **trap) {
  baton_error_t *err;
  if (st->fail == BT_ABI_FAIL_ABI) poison(st->culprit);
  bt_abi_status_take(st, where, ctx, &err, trap);
  return err;
}

/* Formats "parameter NAME" for messages. */
static const char *param_where(const bt_wit_function_t *fn, size_t i, char *buf, size_t size) {
  snprintf(buf, size, "parameter %s", fn->params[i].name);
  return buf;
}

baton_error_t *bt_abi_export_call(bt_abi_export_t *ex, const baton_value_t *args, size_t nargs,
                                  baton_value_t *result, baton_trap_t **trap) {
  *trap = NULL;
  const bt_wit_function_t *fn = ex->fn;
  const bt_abi_sig_t *sig = &ex->sig;
  char where[160];
  if (result) memset(result, 0, sizeof *result);
  if (nargs != fn->param_count)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "%s takes %zu arguments, got %zu", ex->ctx,
                           fn->param_count, nargs);
  if (fn->result && !result)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "%s returns a value but no result was given",
                           ex->ctx);
  bt_abi_status_t st;
  bt_abi_status_init(&st);
  for (size_t i = 0; i < nargs; i++)
    if (!bt_abi_check_value(&st, fn->params[i].type, &args[i]))
      return fail_out(&st, param_where(fn, i, where, sizeof where), ex->ctx, trap);

  bt_abi_cx_t cx;
  export_cx(ex, &cx, &st);
  cx.values_checked = true;
  cx.types_checked = true;
  baton_val_t flat[BT_ABI_FLAT_CAP];
  size_t nflat = 0;
  if (!sig->spill_params) {
    for (size_t i = 0; i < nargs; i++)
      if (!bt_abi_lower_flat(&cx, fn->params[i].type, &args[i], flat, BT_ABI_MAX_FLAT_PARAMS, &nflat))
        return fail_out(&st, param_where(fn, i, where, sizeof where), ex->ctx, trap);
  } else {
    uint32_t p;
    if (!bt_abi_realloc(&cx, 0, 0, sig->params_align, sig->params_size, &p))
      return fail_out(&st, "parameters", ex->ctx, trap);
    uint32_t off = p;
    for (size_t i = 0; i < nargs; i++) {
      const bt_abi_lcache_t *l = bt_abi_cx_layout(&cx, bt_abi_unalias(fn->params[i].type));
      uint32_t size = l->size;
      off = bt_abi_align_to(off, l->align);
      if (!bt_abi_store(&cx, off, fn->params[i].type, &args[i]))
        return fail_out(&st, param_where(fn, i, where, sizeof where), ex->ctx, trap);
      off += size;
    }
    flat[0] = (baton_val_t){.kind = BATON_I32, .of.i32 = (int32_t)p};
    nflat = 1;
  }

  baton_val_t res[BT_ABI_MAX_FLAT_RESULTS + 1];
  baton_error_t *err =
      baton_instance_call_index(ex->inst, ex->index, flat, nflat, res, sig->nresults, trap);
  if (err || *trap) return err;

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
    if (!ok) return fail_out(&st, "result", ex->ctx, trap);
  }
  if (ex->has_post) {
    baton_val_t none[1];
    err = baton_instance_call_index(ex->inst, ex->post_index, res, sig->nresults, none, 0, trap);
    if (err || *trap) {
      if (result) baton_value_clear(result);
      return err;
    }
  }
  return NULL;
}

baton_error_t *bt_abi_call(baton_instance_t *inst, const bt_wit_function_t *fn,
                           const char *export_name, const baton_value_t *args, size_t nargs,
                           baton_value_t *result, baton_trap_t **trap) {
  *trap = NULL;
  bt_abi_export_t ex;
  baton_error_t *e = bt_abi_export_prepare(&ex, inst, fn, export_name);
  if (e) return e;
  return bt_abi_export_call(&ex, args, nargs, result, trap);
}

/* ---- typed host imports ---- */

typedef struct {
  const bt_wit_function_t *fn;
  bt_abi_sig_t sig;
  bt_abi_plan_t plan;
  bt_abi_host_fn callback;
  void *env;
  void (*finalizer)(void *);
  char ctx[300];
} import_env_t;

static void import_env_free(void *p) {
  import_env_t *ie = p;
  if (ie->finalizer) ie->finalizer(ie->env);
  bt_abi_plan_free(&ie->plan);
  bt_free(ie);
}

/* Makes the trap a host import returns for a failure in its own process
 * (the guest is poisoned by the engine when the trap unwinds it). */
static baton_trap_t *fail_trap(bt_abi_status_t *st, const char *where, const char *ctx) {
  baton_error_t *err;
  baton_trap_t *trap;
  bt_abi_status_take(st, where, ctx, &err, &trap);
  if (err) {
    trap = baton_trap_new(BATON_TRAP_HOST, "%s", baton_error_message(err));
    baton_error_delete(err);
  }
  return trap;
}

/* Lifts the parameters of fn from the guest's core arguments. On failure
 * nothing is left allocated and *where names the parameter. */
static bool lift_params(bt_abi_cx_t *cx, const bt_wit_function_t *fn, const bt_abi_sig_t *sig,
                        const baton_val_t *args, baton_value_t *vals, char *where, size_t wsize) {
  size_t i = 0;
  if (!sig->spill_params) {
    size_t pos = 0;
    for (; i < fn->param_count; i++)
      if (!bt_abi_lift_flat(cx, fn->params[i].type, args, sig->flat_params, &pos, &vals[i])) break;
  } else {
    uint32_t p = (uint32_t)args[0].of.i32, off = p;
    if (!bt_abi_check_range(cx, p, 1, sig->params_size, sig->params_align, "parameter area")) {
      snprintf(where, wsize, "parameters");
      return false;
    }
    for (; i < fn->param_count; i++) {
      const bt_abi_lcache_t *l = bt_abi_cx_layout(cx, bt_abi_unalias(fn->params[i].type));
      uint32_t size = l->size;
      off = bt_abi_align_to(off, l->align);
      if (!bt_abi_load(cx, off, fn->params[i].type, &vals[i])) break;
      off += size;
    }
  }
  if (i == fn->param_count) return true;
  param_where(fn, i, where, wsize);
  for (size_t k = 0; k < i; k++) baton_value_clear(&vals[k]);
  return false;
}

/* The core host function behind a typed import: lifts the guest's
 * arguments (flat, or the spilled tuple in its memory), runs the callback,
 * checks its result and lowers it (flat, or through the return pointer),
 * allocating with the caller's cabi_realloc. Every failure becomes a trap
 * for the calling guest; nothing lifted outlives the call. */
static baton_trap_t *import_trampoline(void *env, baton_caller_t *caller, const baton_val_t *args,
                                       baton_val_t *results) {
  import_env_t *ie = env;
  const bt_wit_function_t *fn = ie->fn;
  const bt_abi_sig_t *sig = &ie->sig;
  baton_instance_t *inst = baton_caller_instance(caller);
  bt_abi_status_t st;
  bt_abi_status_init(&st);
  bt_abi_cx_t cx;
  bt_abi_cx_instance(&cx, &st, inst, BT_ABI_UTF8);
  cx.types_checked = true; /* checked by bt_abi_define_import */
  cx.plan = &ie->plan;
  char where[160];

  baton_value_t stackv[8];
  baton_value_t *vals = fn->param_count <= 8 ? stackv : bt_calloc(fn->param_count, sizeof *vals);
  if (!vals) return baton_trap_new(BATON_TRAP_MEMORY, "out of memory lifting arguments of %s", ie->ctx);
  if (!lift_params(&cx, fn, sig, args, vals, where, sizeof where)) {
    if (vals != stackv) bt_free(vals);
    return fail_trap(&st, where, ie->ctx);
  }
  baton_value_t result;
  memset(&result, 0, sizeof result);
  baton_trap_t *trap = ie->callback(ie->env, inst, vals, fn->param_count, &result);
  for (size_t i = 0; i < fn->param_count; i++) baton_value_clear(&vals[i]);
  if (vals != stackv) bt_free(vals);
  if (trap) {
    baton_value_clear(&result);
    return trap;
  }
  if (!fn->result) {
    baton_value_clear(&result);
    return NULL;
  }
  bool ok = bt_abi_check_value(&st, fn->result, &result);
  if (!ok) {
    baton_value_clear(&result);
    baton_error_t *err;
    bt_abi_status_take(&st, "result", ie->ctx, &err, &trap);
    if (err) {
      trap = baton_trap_new(BATON_TRAP_HOST, "host function returned a bad value: %s",
                            baton_error_message(err));
      baton_error_delete(err);
    }
    return trap;
  }
  bt_abi_cx_refresh(&cx);
  cx.values_checked = true;
  if (!sig->spill_results) {
    size_t pos = 0;
    ok = bt_abi_lower_flat(&cx, fn->result, &result, results, sig->nresults, &pos);
  } else {
    uint32_t rp = (uint32_t)args[sig->nparams - 1].of.i32;
    ok = bt_abi_check_range(&cx, rp, 1, sig->result_size, sig->result_align, "return pointer") &&
         bt_abi_store(&cx, rp, fn->result, &result);
  }
  baton_value_clear(&result);
  if (!ok) return fail_trap(&st, "result", ie->ctx);
  return NULL;
}

/* Formats how messages name an import: `import "ns:pkg/iface#f"`, or
 * `import "f"` for a world-level function. */
static void import_ctx(char *buf, size_t size, const char *module_name, const char *name) {
  if (strcmp(module_name, "$root") == 0) snprintf(buf, size, "import \"%s\"", name);
  else snprintf(buf, size, "import \"%s#%s\"", module_name, name);
}

baton_error_t *bt_abi_define_import(baton_linker_t *linker, const char *module_name,
                                    const bt_wit_function_t *fn, bt_abi_host_fn callback,
                                    void *env, void (*finalizer)(void *env)) {
  if (!linker || !module_name || !fn || !callback)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "define_import: linker, module, function and "
                           "callback are required");
  char ctx[300];
  import_ctx(ctx, sizeof ctx, module_name, fn->name);
  baton_error_t *e = check_supported(fn, ctx);
  if (e) return e;
  import_env_t *ie = bt_calloc(1, sizeof *ie);
  if (!ie) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  ie->fn = fn;
  ie->callback = callback;
  ie->env = env;
  memcpy(ie->ctx, ctx, sizeof ctx);
  bt_abi_signature(fn, BT_ABI_LOWER, &ie->sig);
  if (!bt_abi_plan_build(&ie->plan, fn)) {
    bt_free(ie);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  baton_functype_t ft = {ie->sig.params, ie->sig.nparams, ie->sig.results, ie->sig.nresults};
  e = baton_linker_define_func(linker, module_name, fn->name, &ft, import_trampoline, ie,
                               import_env_free);
  if (e) {
    bt_abi_plan_free(&ie->plan);
    bt_free(ie);
    return e;
  }
  ie->finalizer = finalizer; /* set only once the linker owns ie */
  return NULL;
}

/* ---- guest-to-guest forwarding ---- */

typedef struct {
  const bt_wit_function_t *fn;
  bt_abi_plan_t plan; /* layouts of the signature's types */
  bt_abi_sig_t lower; /* the caller's import */
  bt_abi_export_t ex; /* the target's export (holds the lifted signature) */
  /* Whether copying the result reads or writes either memory (it spills,
   * or holds a string or list); if not, the views are not refreshed after
   * the call (two engine calls saved on every scalar-result call). */
  bool result_in_memory;
  char ctx[300]; /* the caller's import, for messages */
} forward_env_t;

static void forward_env_free(void *p) {
  forward_env_t *fe = p;
  bt_abi_plan_free(&fe->plan);
  bt_free(fe);
}

/* Ends a forwarded call with a failure: poisons the target when it is the
 * culprit (the caller is poisoned by the engine when the trap unwinds it). */
static baton_trap_t *forward_fail(bt_abi_status_t *st, forward_env_t *fe, const char *where,
                                  bool target_side) {
  baton_instance_t *target = fe->ex.inst;
  if (st->fail == BT_ABI_FAIL_ABI && st->culprit == target) poison(target);
  return fail_trap(st, where, target_side ? fe->ex.ctx : fe->ctx);
}

/* The core host function behind a forwarded import: copies the caller's
 * arguments into the target's memory (flat, or as a spilled tuple allocated
 * with the target's cabi_realloc), calls the target's export, copies its
 * result back (flat, or from its return area to the caller's return
 * pointer) and runs the target's post-return. Allocates nothing on the
 * host. A failure traps the caller; the target is poisoned when it was the
 * one that broke the ABI. */
static baton_trap_t *forward_trampoline(void *env, baton_caller_t *caller, const baton_val_t *args,
                                        baton_val_t *results) {
  forward_env_t *fe = env;
  const bt_wit_function_t *fn = fe->fn;
  const bt_abi_sig_t *sig = &fe->ex.sig;
  baton_instance_t *a = baton_caller_instance(caller), *b = fe->ex.inst;
  bt_abi_status_t st;
  bt_abi_status_init(&st);
  bt_abi_cx_t ca, cb;
  bt_abi_cx_instance(&ca, &st, a, BT_ABI_UTF8);
  ca.types_checked = true; /* checked by bt_abi_export_prepare */
  ca.plan = &fe->plan;
  export_cx(&fe->ex, &cb, &st);
  cb.plan = &fe->plan;
  char where[160];

  baton_val_t bargs[BT_ABI_FLAT_CAP];
  size_t nb = 0;
  if (!sig->spill_params) {
    size_t pos = 0;
    for (size_t i = 0; i < fn->param_count; i++)
      if (!bt_abi_copy_flat(&ca, fn->params[i].type, args, sig->flat_params, &pos, &cb, bargs,
                            BT_ABI_MAX_FLAT_PARAMS, &nb))
        return forward_fail(&st, fe, param_where(fn, i, where, sizeof where), false);
  } else {
    uint32_t pa = (uint32_t)args[0].of.i32, pb;
    if (!bt_abi_check_range(&ca, pa, 1, sig->params_size, sig->params_align, "parameter area"))
      return forward_fail(&st, fe, "parameters", false);
    if (!bt_abi_realloc(&cb, 0, 0, sig->params_align, sig->params_size, &pb))
      return forward_fail(&st, fe, "parameters", false);
    uint32_t off = 0;
    for (size_t i = 0; i < fn->param_count; i++) {
      const bt_abi_lcache_t *l = bt_abi_cx_layout(&ca, bt_abi_unalias(fn->params[i].type));
      uint32_t size = l->size;
      off = bt_abi_align_to(off, l->align);
      if (!bt_abi_copy(&ca, pa + off, &cb, pb + off, fn->params[i].type))
        return forward_fail(&st, fe, param_where(fn, i, where, sizeof where), false);
      off += size;
    }
    bargs[0] = (baton_val_t){.kind = BATON_I32, .of.i32 = (int32_t)pb};
    nb = 1;
  }

  baton_val_t bres[BT_ABI_MAX_FLAT_RESULTS + 1];
  baton_trap_t *trap = NULL;
  baton_error_t *err = baton_instance_call_index(b, fe->ex.index, bargs, nb, bres, sig->nresults, &trap);
  if (err) {
    trap = baton_trap_new(BATON_TRAP_HOST, "%s", baton_error_message(err));
    baton_error_delete(err);
    return trap;
  }
  if (trap) return trap;

  if (fn->result) {
    if (fe->result_in_memory) {
      bt_abi_cx_refresh(&ca);
      bt_abi_cx_refresh(&cb);
    }
    bool ok;
    if (!sig->spill_results) {
      size_t sp = 0, dp = 0;
      ok = bt_abi_copy_flat(&cb, fn->result, bres, sig->nresults, &sp, &ca, results,
                            fe->lower.nresults, &dp);
    } else {
      uint32_t rb = (uint32_t)bres[0].of.i32;
      uint32_t ra = (uint32_t)args[fe->lower.nparams - 1].of.i32;
      ok = bt_abi_check_range(&cb, rb, 1, sig->result_size, sig->result_align, "return area") &&
           bt_abi_check_range(&ca, ra, 1, sig->result_size, sig->result_align, "return pointer") &&
           bt_abi_copy(&cb, rb, &ca, ra, fn->result);
    }
    if (!ok) return forward_fail(&st, fe, "result", st.culprit == b);
  }
  if (fe->ex.has_post) {
    baton_val_t none[1];
    err = baton_instance_call_index(b, fe->ex.post_index, bres, sig->nresults, none, 0, &trap);
    if (err) {
      trap = baton_trap_new(BATON_TRAP_HOST, "%s", baton_error_message(err));
      baton_error_delete(err);
    }
    return trap;
  }
  return NULL;
}

baton_error_t *bt_abi_define_forward(baton_linker_t *linker, const char *module_name,
                                     const bt_wit_function_t *fn, baton_instance_t *target,
                                     const char *export_name) {
  if (!linker || !module_name || !fn || !target || !export_name)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "define_forward: every argument is required");
  forward_env_t *fe = bt_calloc(1, sizeof *fe);
  if (!fe) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  fe->fn = fn;
  import_ctx(fe->ctx, sizeof fe->ctx, module_name, fn->name);
  /* ex.export_name must outlive fe: point it at a copy inside fe. */
  baton_error_t *e = bt_abi_export_prepare(&fe->ex, target, fn, export_name);
  if (e) {
    bt_free(fe);
    return e;
  }
  fe->ex.export_name = NULL; /* borrowed pointer; not used after prepare */
  bt_abi_signature(fn, BT_ABI_LOWER, &fe->lower);
  fe->result_in_memory = fn->result && (fe->ex.sig.spill_results || has_pointers(fn->result));
  if (!bt_abi_plan_build(&fe->plan, fn)) {
    bt_free(fe);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  baton_functype_t ft = {fe->lower.params, fe->lower.nparams, fe->lower.results, fe->lower.nresults};
  e = baton_linker_define_func(linker, module_name, fn->name, &ft, forward_trampoline, fe,
                               forward_env_free);
  if (e) {
    forward_env_free(fe);
    return e;
  }
  return NULL;
}
