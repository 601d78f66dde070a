/*
 * src/bindgen/funcs.c: the C prototype of a WIT function, shared by import
 * wrappers (which the guest calls) and export prototypes (which the guest
 * implements), so both directions read the same way:
 *
 *   - parameters: numbers, bool, char, enums, flags and handles by value;
 *     everything else by pointer (`const T *` for imports, `T *` for
 *     exports, whose implementation owns what the pointer refers to);
 *   - results: none gives `void`; a scalar is returned by value;
 *     `result<T, E>` returns `bool` (true for ok) and writes the payload
 *     through `T *ret` or `E *err` (each omitted when absent); `option<T>`
 *     returns `bool` (true for some) and writes `T *ret`; any other type is
 *     written through `T *ret` and the function returns `void`.
 *
 * It also declares core wasm functions from a bt_abi_sig_t and writes the
 * import/export name attributes.
 */
#include <string.h>

#include "bindgen/internal.h"

/* Whether `name` is among the first n names. */
static bool taken(const char **names, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (names[i] && !strcmp(names[i], name)) return true;
  return false;
}

/* Whether a parameter name would collide with a local of the generated
 * wrappers (args, r, result, ret_area, argN). */
static bool internal_name(const char *n) {
  static const char *const locals[] = {"args", "r", "result", "ret_area"};
  for (size_t i = 0; i < BT_ARRAY_LEN(locals); i++)
    if (!strcmp(n, locals[i])) return true;
  if (strncmp(n, "arg", 3) != 0 || !n[3]) return false;
  for (n += 3; *n; n++)
    if (*n < '0' || *n > '9') return false;
  return true;
}

void bg_csig(bg_t *g, const bt_wit_function_t *fn, bg_csig_t *cs) {
  memset(cs, 0, sizeof *cs);
  cs->pnames = bg_alloc(g, (fn->param_count + 1) * sizeof(char *));
  if (!cs->pnames) return;
  for (size_t i = 0; i < fn->param_count; i++) {
    const char *n = bg_ident(g, bg_snake(g, fn->params[i].name));
    while ((taken(cs->pnames, i, n) || internal_name(n)) && !g->oom) n = bg_fmt(g, "%s_", n);
    cs->pnames[i] = n;
  }
  const char *r = "ret", *e = "err";
  while (taken(cs->pnames, fn->param_count, r) && !g->oom) r = bg_fmt(g, "%s_", r);
  while (taken(cs->pnames, fn->param_count, e) && !g->oom) e = bg_fmt(g, "%s_", e);
  cs->ret_name = r;
  cs->err_name = e;
  const bt_wit_type_t *u = bt_wit_type_unalias(fn->result);
  if (!u) cs->ret = BG_RET_VOID;
  else if (u->kind == BT_WIT_RESULT) cs->ret = BG_RET_RESULT, cs->ok = u->ok, cs->err = u->err;
  else if (u->kind == BT_WIT_OPTION) cs->ret = BG_RET_OPTION, cs->ok = u->target;
  else if (bg_is_scalar(g, fn->result)) cs->ret = BG_RET_VALUE;
  else cs->ret = BG_RET_PTR;
}

void bg_proto(bg_t *g, bt_strbuf_t *o, const bt_wit_function_t *fn, const bg_csig_t *cs,
              const char *name, bool import) {
  const char *rt = "void";
  if (cs->ret == BG_RET_VALUE) rt = bg_ctype(g, fn->result);
  else if (cs->ret == BG_RET_RESULT || cs->ret == BG_RET_OPTION) rt = "bool";
  bt_strbuf_printf(o, "%s %s(", rt, name);
  bool first = true;
  for (size_t i = 0; i < fn->param_count; i++) {
    const bt_wit_type_t *t = fn->params[i].type;
    if (!first) bt_strbuf_puts(o, ", ");
    first = false;
    if (bg_is_scalar(g, t))
      bt_strbuf_printf(o, "%s %s", bg_ctype(g, t), cs->pnames[i]);
    else
      bt_strbuf_printf(o, "%s%s *%s", import ? "const " : "", bg_ctype(g, t), cs->pnames[i]);
  }
  const bt_wit_type_t *outs[2] = {NULL, NULL};
  const char *onames[2] = {cs->ret_name, cs->err_name};
  if (cs->ret == BG_RET_PTR) outs[0] = fn->result;
  else if (cs->ret == BG_RET_RESULT || cs->ret == BG_RET_OPTION) outs[0] = cs->ok, outs[1] = cs->err;
  for (int k = 0; k < 2; k++) {
    if (!outs[k]) continue;
    if (!first) bt_strbuf_puts(o, ", ");
    first = false;
    bt_strbuf_printf(o, "%s *%s", bg_ctype(g, outs[k]), onames[k]);
  }
  if (first) bt_strbuf_puts(o, "void");
  bt_strbuf_puts(o, ")");
}

void bg_core_proto(bt_strbuf_t *o, const char *name, const bt_abi_sig_t *sig, bool ptr_params,
                   bool ptr_result) {
  if (sig->nresults == 0) bt_strbuf_puts(o, "void ");
  else if (ptr_result && sig->spill_results) bt_strbuf_puts(o, "uint8_t *");
  else bt_strbuf_printf(o, "%s ", bg_core_ctype(sig->results[0]));
  bt_strbuf_printf(o, "%s(", name);
  for (size_t i = 0; i < sig->nparams; i++) {
    if (i) bt_strbuf_puts(o, ", ");
    bool is_ptr = ptr_params && ((sig->spill_params && i == 0) ||
                                 (sig->has_retptr && i + 1 == sig->nparams));
    if (is_ptr) bt_strbuf_printf(o, "uint8_t *arg%zu", i);
    else bt_strbuf_printf(o, "%s arg%zu", bg_core_ctype(sig->params[i]), i);
  }
  if (!sig->nparams) bt_strbuf_puts(o, "void");
  bt_strbuf_puts(o, ")");
}

void bg_import_attr(bt_strbuf_t *o, const char *module, const char *name) {
  bt_strbuf_puts(o, "__attribute__((__import_module__(");
  bg_cstr(o, module);
  bt_strbuf_puts(o, "), __import_name__(");
  bg_cstr(o, name);
  bt_strbuf_puts(o, ")))\n");
}

void bg_export_attr(bt_strbuf_t *o, const char *name) {
  bt_strbuf_puts(o, "__attribute__((__export_name__(");
  bg_cstr(o, name);
  bt_strbuf_puts(o, ")))\n");
}
