/*
 * src/bindgen/imports.c: wrappers for the functions a world imports. Each
 * imported function gets a core declaration with wit-bindgen's
 * import_module/import_name (`ns:pkg/iface@ver` or `$root`, the function's
 * Component Model name) and a C wrapper with the prototype described in
 * funcs.c. The wrapper lowers its arguments to flat core values (or, past
 * 16 flat values, into a stack tuple whose address it passes), calls the
 * import, and lifts the result from the single core result or from a stack
 * return area it passed as the last argument. The host allocates strings
 * and lists of the result with the guest's `cabi_realloc`; the caller owns
 * them. Arguments stay owned by the caller.
 *
 * Imported resources get `<prefix>_<r>_drop_own` / `_drop_borrow` (the
 * `[resource-drop]r` import) and `<prefix>_borrow_<r>` (an owned handle
 * viewed as a borrow).
 */
#include <string.h>

#include "bindgen/internal.h"

/* Writes the helpers of an imported resource `t` whose drop import lives in
 * core module `module`. */
static void resource_helpers(bg_t *g, const bt_wit_type_t *t, const char *module) {
  bg_entry_t *e = bg_entry(g, t);
  if (!e || e->exported) return;
  const char *b = e->base;
  bt_strbuf_printf(&g->h,
                   "/* Drops an owned handle to resource `%s`. */\n"
                   "void %s_drop_own(%s handle);\n"
                   "/* Drops a borrowed handle to resource `%s` received as an export's argument\n"
                   " * (not one made by %s). */\n"
                   "void %s_drop_borrow(%s handle);\n"
                   "/* Borrows an owned handle, which stays owned. */\n"
                   "%s %s(%s handle);\n\n",
                   t->name, b, e->own_name, t->name,
                   bg_fmt(g, "%s_borrow_%s", e->owner->prefix, e->part), b, e->borrow_name,
                   e->borrow_name, bg_fmt(g, "%s_borrow_%s", e->owner->prefix, e->part),
                   e->own_name);
  bg_import_attr(&g->c, module, bg_fmt(g, "[resource-drop]%s", t->name));
  bt_strbuf_printf(&g->c,
                   "extern void __wasm_import_%s_drop(int32_t handle);\n\n"
                   "void %s_drop_own(%s handle) {\n"
                   "  __wasm_import_%s_drop(handle.__handle);\n}\n\n"
                   "void %s_drop_borrow(%s handle) {\n"
                   "  __wasm_import_%s_drop(handle.__handle);\n}\n\n"
                   "%s %s(%s handle) {\n"
                   "  return (%s){handle.__handle};\n}\n\n",
                   b, b, e->own_name, b, b, e->borrow_name, b, e->borrow_name,
                   bg_fmt(g, "%s_borrow_%s", e->owner->prefix, e->part), e->own_name,
                   e->borrow_name);
}

/* Writes the declaration and wrapper of one imported function. */
static void import_function(bg_t *g, const bt_wit_world_item_t *item, const bg_owner_t *owner,
                            const bt_wit_function_t *fn) {
  bt_strbuf_t *h = &g->h, *c = &g->c;
  char module[512];
  bt_abi_import_module(item, module, sizeof module);
  bt_abi_sig_t sig;
  bt_abi_signature(fn, BT_ABI_LOWER, &sig);
  const char *name = bg_func_name(g, owner, fn);
  const char *core = bg_fmt(g, "__wasm_import_%s", name);
  bg_csig_t cs;
  bg_csig(g, fn, &cs);
  if (g->oom) return;

  bg_doc(h, 0, fn->docs);
  bg_proto(g, h, fn, &cs, name, true);
  bt_strbuf_puts(h, ";\n\n");

  bg_import_attr(c, module, fn->name);
  bt_strbuf_puts(c, "extern ");
  bg_core_proto(c, core, &sig, true, false);
  bt_strbuf_puts(c, ";\n\n");
  bg_proto(g, c, fn, &cs, name, true);
  bt_strbuf_puts(c, " {\n");

  /* Arguments. */
  bt_strbuf_t call = BT_STRBUF_INIT;
  if (sig.spill_params) {
    bt_strbuf_puts(c, "  struct {\n");
    for (size_t i = 0; i < fn->param_count; i++)
      bt_strbuf_printf(c, "    %s f%zu;\n", bg_ctype(g, fn->params[i].type), i);
    bt_strbuf_puts(c, "  } args;\n");
    for (size_t i = 0; i < fn->param_count; i++)
      bt_strbuf_printf(c, "  args.f%zu = %s%s;\n", i,
                       bg_is_scalar(g, fn->params[i].type) ? "" : "*", cs.pnames[i]);
    bt_strbuf_puts(&call, "(uint8_t *)&args");
  } else {
    size_t n = sig.nparams - (sig.has_retptr ? 1 : 0);
    const char **names = bg_alloc(g, (n + 1) * sizeof *names);
    if (!names) {
      bt_strbuf_free(&call);
      return;
    }
    for (size_t i = 0; i < n; i++) {
      names[i] = bg_fmt(g, "arg%zu", i);
      bt_strbuf_printf(c, "  %s arg%zu = 0;\n", bg_core_ctype(sig.params[i]), i);
      bt_strbuf_printf(&call, "%sarg%zu", i ? ", " : "", i);
    }
    bg_slots_t s = {names, sig.params, n};
    size_t pos = 0;
    for (size_t i = 0; i < fn->param_count; i++) {
      const bt_wit_type_t *t = fn->params[i].type;
      bg_lower_flat(g, c, 2, t,
                    bg_is_scalar(g, t) ? cs.pnames[i] : bg_fmt(g, "(*%s)", cs.pnames[i]), &s,
                    &pos);
    }
  }
  if (sig.has_retptr) {
    bt_strbuf_printf(c, "  __attribute__((__aligned__(%u))) uint8_t ret_area[%u];\n",
                     sig.result_align, sig.result_size);
    bt_strbuf_printf(&call, "%sret_area", call.len ? ", " : "");
  }

  /* The call and the result. */
  if (sig.nresults)
    bt_strbuf_printf(c, "  %s result = %s(%s);\n", bg_core_ctype(sig.results[0]), core,
                     bt_strbuf_cstr(&call));
  else
    bt_strbuf_printf(c, "  %s(%s);\n", core, bt_strbuf_cstr(&call));
  if (call.failed) g->oom = true;
  bt_strbuf_free(&call);
  if (fn->result) {
    bt_strbuf_printf(c, "  %s r;\n", bg_ctype(g, fn->result));
    if (sig.has_retptr) {
      bt_strbuf_puts(c, "  memcpy(&r, ret_area, sizeof r);\n");
    } else {
      static const char *const one[] = {"result"};
      bg_slots_t s = {one, sig.results, 1};
      size_t pos = 0;
      bg_lift_flat(g, c, 2, fn->result, "r", &s, &pos);
    }
    switch (cs.ret) {
      case BG_RET_VALUE: bt_strbuf_puts(c, "  return r;\n"); break;
      case BG_RET_PTR: bt_strbuf_printf(c, "  *%s = r;\n", cs.ret_name); break;
      case BG_RET_RESULT:
        bt_strbuf_puts(c, "  if (r.is_err) {\n");
        if (cs.err) bt_strbuf_printf(c, "    *%s = r.val.err;\n", cs.err_name);
        bt_strbuf_puts(c, "    return false;\n  }\n");
        if (cs.ok) bt_strbuf_printf(c, "  *%s = r.val.ok;\n", cs.ret_name);
        bt_strbuf_puts(c, "  return true;\n");
        break;
      case BG_RET_OPTION:
        bt_strbuf_printf(c, "  if (r.is_some) {\n    *%s = r.val;\n    return true;\n  }\n"
                            "  return false;\n", cs.ret_name);
        break;
      case BG_RET_VOID: break;
    }
  }
  bt_strbuf_puts(c, "}\n\n");
}

/* Writes the section heading of an import. */
static void heading(bg_t *g, const char *what, const char *docs) {
  bt_strbuf_printf(&g->h, "/* ---- imported %s ---- */\n\n", what);
  bg_doc(&g->h, 0, docs);
  bt_strbuf_printf(&g->c, "/* ---- imported %s ---- */\n\n", what);
}

void bg_emit_imports(bg_t *g) {
  const bt_wit_world_t *w = g->world;
  bool world_funcs = false;
  for (size_t i = 0; i < w->import_count; i++) {
    const bt_wit_world_item_t *it = &w->imports[i];
    if (it->kind == BT_WIT_ITEM_INTERFACE && it->interface) {
      const bt_wit_interface_t *iface = it->interface;
      const bg_owner_t *o = bg_owner_of_item(g, it, false);
      bool any = iface->function_count > 0;
      for (size_t k = 0; k < iface->type_count && !any; k++)
        any = iface->types[k]->kind == BT_WIT_RESOURCE;
      if (!any) continue;
      heading(g, bg_fmt(g, "interface %s", o->module), iface->docs);
      for (size_t k = 0; k < iface->type_count; k++)
        if (iface->types[k]->kind == BT_WIT_RESOURCE) resource_helpers(g, iface->types[k], o->module);
      for (size_t k = 0; k < iface->function_count; k++)
        import_function(g, it, o, iface->functions[k]);
    } else if (it->kind == BT_WIT_ITEM_TYPE && it->type && it->type->kind == BT_WIT_RESOURCE) {
      if (!world_funcs) heading(g, "world functions ($root)", NULL);
      world_funcs = true;
      resource_helpers(g, it->type, "$root");
    } else if (it->kind == BT_WIT_ITEM_FUNCTION && it->function) {
      if (!world_funcs) heading(g, "world functions ($root)", NULL);
      world_funcs = true;
      import_function(g, it, &g->world_owner, it->function);
    }
  }
}
