/*
 * src/bindgen/exports.c: entry points for the functions a world exports.
 * For each exported function the header declares the prototype the guest
 * author implements (see funcs.c), and the source defines the core export
 * under wit-bindgen's name (`f` or `ns:pkg/iface@ver#f`) which lifts the
 * arguments (from flat core values, or from the spilled tuple the caller
 * allocated with `cabi_realloc`, which the wrapper frees), calls the
 * implementation, and returns the result: a single flat value directly,
 * anything larger stored in a static return area whose address is
 * returned. When the result owns memory, `cabi_post_<export>` frees it
 * after the caller has copied it out, so results must be heap-allocated
 * (`_string_dup`, malloc) or moved from owned arguments.
 *
 * Exported resources: the guest defines `struct <prefix>_<r>_t` and
 * implements `<prefix>_<r>_destructor`, exported as `<iface>#[dtor]<r>`;
 * `<prefix>_<r>_new`, `_rep` and `_drop_own` call the `[resource-new]`,
 * `[resource-rep]` and `[resource-drop]` imports of module `[export]<iface>`.
 */
#include <string.h>

#include "bindgen/internal.h"

/* Writes the handle functions and the destructor entry point of a resource
 * exported by interface item `module` (its core name). */
static void resource_exports(bg_t *g, const bt_wit_type_t *t, const char *module,
                             bt_strbuf_t *c) {
  bg_entry_t *e = bg_entry(g, t);
  if (!e || !e->exported) return;
  const char *b = e->base, *rep = e->name, *own = e->own_name;
  const char *mod = bg_fmt(g, "[export]%s", module);
  bt_strbuf_printf(&g->h,
                   "/* Resource `%s`: the guest defines `struct %s` and implements\n"
                   " * %s_destructor, which runs when the last handle is dropped. */\n"
                   "void %s_destructor(%s *rep);\n"
                   "/* Makes a new owned handle for `rep`, which must outlive it. */\n"
                   "%s %s_new(%s *rep);\n"
                   "/* The representation behind an owned handle. */\n"
                   "%s *%s_rep(%s handle);\n"
                   "/* Drops an owned handle (the destructor runs if it was the last). */\n"
                   "void %s_drop_own(%s handle);\n\n",
                   t->name, rep, b, b, rep, own, b, rep, rep, b, own, b, own);
  bg_import_attr(c, mod, bg_fmt(g, "[resource-new]%s", t->name));
  bt_strbuf_printf(c, "extern int32_t __wasm_import_%s_new(int32_t rep);\n\n", b);
  bg_import_attr(c, mod, bg_fmt(g, "[resource-rep]%s", t->name));
  bt_strbuf_printf(c, "extern int32_t __wasm_import_%s_rep(int32_t handle);\n\n", b);
  bg_import_attr(c, mod, bg_fmt(g, "[resource-drop]%s", t->name));
  bt_strbuf_printf(c, "extern void __wasm_import_%s_drop(int32_t handle);\n\n", b);
  bt_strbuf_printf(c,
                   "%s %s_new(%s *rep) {\n"
                   "  return (%s){__wasm_import_%s_new((int32_t)(uintptr_t)rep)};\n}\n\n"
                   "%s *%s_rep(%s handle) {\n"
                   "  return (%s *)(uintptr_t)__wasm_import_%s_rep(handle.__handle);\n}\n\n"
                   "void %s_drop_own(%s handle) {\n"
                   "  __wasm_import_%s_drop(handle.__handle);\n}\n\n",
                   own, b, rep, own, b, rep, b, own, rep, b, b, own, b);
  bg_export_attr(c, bg_fmt(g, "%s#[dtor]%s", module, t->name));
  bt_strbuf_printf(c,
                   "void __wasm_export_%s_dtor(uint8_t *arg0) {\n"
                   "  %s_destructor((%s *)arg0);\n}\n\n",
                   b, b, rep);
}

/* Writes the prototype, entry point and post-return of one exported
 * function into the header and `c`. */
static void export_function(bg_t *g, const bt_wit_world_item_t *item, const bg_owner_t *owner,
                            const bt_wit_function_t *fn, bt_strbuf_t *c) {
  bt_strbuf_t *h = &g->h;
  char *exname;
  {
    char tmp[2];
    int n = bt_abi_export_name(item, fn, tmp, sizeof tmp);
    exname = bg_alloc(g, (size_t)n + 1);
    if (!exname) return;
    bt_abi_export_name(item, fn, exname, (size_t)n + 1);
  }
  bt_abi_sig_t sig;
  bt_abi_signature(fn, BT_ABI_LIFT, &sig);
  const char *name = bg_func_name(g, owner, fn);
  bg_csig_t cs;
  bg_csig(g, fn, &cs);
  if (g->oom) return;

  bg_doc(h, 0, fn->docs);
  bg_proto(g, h, fn, &cs, name, false);
  bt_strbuf_puts(h, ";\n\n");

  bg_export_attr(c, exname);
  bg_core_proto(c, bg_fmt(g, "__wasm_export_%s", name), &sig, true, true);
  bt_strbuf_puts(c, " {\n");

  /* Arguments into locals p0.., or the spilled tuple's fields. */
  const char **args = bg_alloc(g, (fn->param_count + 1) * sizeof *args);
  if (!args) return;
  if (sig.spill_params) {
    bt_strbuf_puts(c, "  struct {\n");
    for (size_t i = 0; i < fn->param_count; i++)
      bt_strbuf_printf(c, "    %s f%zu;\n", bg_ctype(g, fn->params[i].type), i);
    bt_strbuf_puts(c, "  } args;\n  memcpy(&args, arg0, sizeof args);\n  free(arg0);\n");
    for (size_t i = 0; i < fn->param_count; i++) args[i] = bg_fmt(g, "args.f%zu", i);
  } else {
    const char **names = bg_alloc(g, (sig.nparams + 1) * sizeof *names);
    if (!names) return;
    for (size_t i = 0; i < sig.nparams; i++) names[i] = bg_fmt(g, "arg%zu", i);
    bg_slots_t s = {names, sig.params, sig.nparams};
    size_t pos = 0;
    for (size_t i = 0; i < fn->param_count; i++) {
      args[i] = bg_fmt(g, "p%zu", i);
      bt_strbuf_printf(c, "  %s p%zu;\n", bg_ctype(g, fn->params[i].type), i);
      bg_lift_flat(g, c, 2, fn->params[i].type, args[i], &s, &pos);
    }
  }

  /* The call: arguments by value or by address, then the out-pointers. */
  bt_strbuf_t call = BT_STRBUF_INIT;
  bt_strbuf_printf(&call, "%s(", name);
  for (size_t i = 0; i < fn->param_count; i++)
    bt_strbuf_printf(&call, "%s%s%s", i ? ", " : "", bg_is_scalar(g, fn->params[i].type) ? "" : "&",
                     args[i]);
  bool first = fn->param_count == 0;
  const char *outs[2] = {NULL, NULL};
  if (cs.ret == BG_RET_PTR) outs[0] = "&r";
  if (cs.ret == BG_RET_OPTION) outs[0] = "&some";
  if (cs.ret == BG_RET_RESULT) outs[0] = cs.ok ? "&ok" : NULL, outs[1] = cs.err ? "&err" : NULL;
  for (int k = 0; k < 2; k++) {
    if (!outs[k]) continue;
    bt_strbuf_printf(&call, "%s%s", first ? "" : ", ", outs[k]);
    first = false;
  }
  bt_strbuf_putc(&call, ')');
  const char *call_text = bt_strbuf_cstr(&call);
  const char *rt = fn->result ? bg_ctype(g, fn->result) : NULL;
  switch (cs.ret) {
    case BG_RET_VOID: bt_strbuf_printf(c, "  %s;\n", call_text); break;
    case BG_RET_VALUE: bt_strbuf_printf(c, "  %s r = %s;\n", rt, call_text); break;
    case BG_RET_PTR: bt_strbuf_printf(c, "  %s r;\n  %s;\n", rt, call_text); break;
    case BG_RET_RESULT:
      bt_strbuf_printf(c, "  %s r;\n", rt);
      if (cs.ok) bt_strbuf_printf(c, "  %s ok;\n", bg_ctype(g, cs.ok));
      if (cs.err) bt_strbuf_printf(c, "  %s err;\n", bg_ctype(g, cs.err));
      bt_strbuf_printf(c, "  if (%s) {\n    r.is_err = false;\n%s  } else {\n"
                          "    r.is_err = true;\n%s  }\n",
                       call_text, cs.ok ? "    r.val.ok = ok;\n" : "",
                       cs.err ? "    r.val.err = err;\n" : "");
      break;
    case BG_RET_OPTION:
      bt_strbuf_printf(c, "  %s r;\n  %s some;\n", rt, bg_ctype(g, cs.ok));
      bt_strbuf_printf(c, "  if (%s) {\n    r.is_some = true;\n    r.val = some;\n"
                          "  } else {\n    r.is_some = false;\n  }\n",
                       call_text);
      break;
  }
  if (call.failed) g->oom = true;
  bt_strbuf_free(&call);

  /* The result. */
  if (fn->result && sig.spill_results) {
    bt_strbuf_puts(c, "  memcpy(__bt_ret_area, &r, sizeof r);\n  return __bt_ret_area;\n");
    if (sig.result_size > g->ret_size) g->ret_size = sig.result_size;
    if (sig.result_align > g->ret_align) g->ret_align = sig.result_align;
  } else if (fn->result) {
    static const char *const one[] = {"ret0"};
    bg_slots_t s = {one, sig.results, 1};
    size_t pos = 0;
    bt_strbuf_printf(c, "  %s ret0 = 0;\n", bg_core_ctype(sig.results[0]));
    bg_lower_flat(g, c, 2, fn->result, "r", &s, &pos);
    bt_strbuf_puts(c, "  return ret0;\n");
  }
  bt_strbuf_puts(c, "}\n\n");

  /* Post-return: frees what the result owns once the caller copied it. */
  if (fn->result && sig.spill_results && bg_owns(g, fn->result)) {
    char post[600];
    bt_abi_post_return_name(exname, post, sizeof post);
    bg_export_attr(c, post);
    bt_strbuf_printf(c,
                     "void __wasm_export_%s_post_return(uint8_t *arg0) {\n"
                     "  %s r;\n  memcpy(&r, arg0, sizeof r);\n  %s_free(&r);\n}\n\n",
                     name, rt, bg_entry(g, fn->result)->base);
  }
}

void bg_emit_exports(bg_t *g) {
  const bt_wit_world_t *w = g->world;
  bt_strbuf_t c = BT_STRBUF_INIT;
  bool world_funcs = false;
  for (size_t i = 0; i < w->export_count; i++) {
    const bt_wit_world_item_t *it = &w->exports[i];
    if (it->kind == BT_WIT_ITEM_INTERFACE && it->interface) {
      const bt_wit_interface_t *iface = it->interface;
      const bg_owner_t *o = bg_owner_of_item(g, it, true);
      bt_strbuf_printf(&g->h, "/* ---- exported interface %s: implement these ---- */\n\n",
                       o->module);
      bg_doc(&g->h, 0, iface->docs);
      bt_strbuf_printf(&c, "/* ---- exported interface %s ---- */\n\n", o->module);
      for (size_t k = 0; k < iface->type_count; k++)
        if (iface->types[k]->kind == BT_WIT_RESOURCE)
          resource_exports(g, iface->types[k], o->module, &c);
      for (size_t k = 0; k < iface->function_count; k++)
        export_function(g, it, o, iface->functions[k], &c);
    } else if (it->kind == BT_WIT_ITEM_FUNCTION && it->function) {
      if (!world_funcs) {
        bt_strbuf_puts(&g->h, "/* ---- exported world functions: implement these ---- */\n\n");
        bt_strbuf_puts(&c, "/* ---- exported world functions ---- */\n\n");
      }
      world_funcs = true;
      export_function(g, it, &g->world_export, it->function, &c);
    }
  }
  if (g->ret_size) {
    bt_strbuf_printf(&g->c,
                     "/* The return area of exports whose results do not fit one core value. */\n"
                     "__attribute__((__aligned__(%u))) static uint8_t __bt_ret_area[%u];\n\n",
                     g->ret_align, g->ret_size);
  }
  if (c.failed) g->oom = true;
  else if (c.len) bt_strbuf_append(&g->c, c.data, c.len);
  bt_strbuf_free(&c);
}
