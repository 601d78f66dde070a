/*
 * src/engine/glue.c: generates the glue C file compiled together with
 * wasm2c's output into one shared object per module.
 *
 * The glue #includes the generated module.c (one translation unit, so the
 * compiler can inline exports into their thunks), defines every wasm_rt_*
 * function as a forwarder into the runtime table (glue_abi.h), turns each
 * function import into a trampoline that packs its arguments and calls
 * rt->call_import, writes one thunk per function export that unpacks
 * arguments and calls the wasm2c export, and publishes the descriptor
 * `baton_glue_module`. Names follow wasm2c 1.0.32's mangling: `Z_<module>Z_<name>`
 * with every byte other than [A-Za-y0-9_] written as Z<two hex digits>.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "engine/internal.h"

void bt_glue_mangle_n(const char *s, size_t len, char *buf, size_t size) {
  size_t n = strlen(buf);
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < len && n + 4 < size; i++) {
    if ((isalnum(p[i]) && p[i] != 'Z') || p[i] == '_') {
      buf[n++] = (char)p[i];
    } else {
      n += (size_t)snprintf(buf + n, size - n, "Z%02X", p[i]);
    }
  }
  buf[n] = 0;
}

void bt_glue_mangle(const char *s, char *buf, size_t size) {
  bt_glue_mangle_n(s, strlen(s), buf, size);
}

/* Returns the bt_glue_val_t member for a value type. */
static const char *member_of(uint8_t t) {
  switch (t) {
    case BT_WASM_I32: return "i32";
    case BT_WASM_I64: return "i64";
    case BT_WASM_F32: return "f32";
    default: return "f64";
  }
}

/* Returns the C type wasm2c uses for a value type, or NULL if unsupported. */
static const char *ctype_of(uint8_t t) {
  switch (t) {
    case BT_WASM_I32: return "u32";
    case BT_WASM_I64: return "u64";
    case BT_WASM_F32: return "f32";
    case BT_WASM_F64: return "f64";
    case BT_WASM_V128: return "u64"; /* lowered to two (simd_glue.c) */
    case BT_WASM_FUNCREF: return "wasm_rt_funcref_t";
    case BT_WASM_EXTERNREF: return "wasm_rt_externref_t";
    default: return NULL;
  }
}

/* Writes the expression that turns bt_glue_val_t `slot` into the C value
 * wasm2c expects for type t (funcrefs travel boxed, see k_prelude). */
static void put_unpack(FILE *f, uint8_t t, const char *slot) {
  if (t == BT_WASM_FUNCREF) fprintf(f, "bt_funcref_unbox(%s.ref)", slot);
  else if (t == BT_WASM_EXTERNREF) fprintf(f, "%s.ref", slot);
  else fprintf(f, "%s.%s", slot, member_of(t));
}

/* Writes the statement storing C value `expr` of type t into `slot`. */
static void put_pack(FILE *f, uint8_t t, const char *slot, const char *expr) {
  if (t == BT_WASM_FUNCREF) fprintf(f, "  %s.ref = bt_funcref_box(%s);\n", slot, expr);
  else if (t == BT_WASM_EXTERNREF) fprintf(f, "  %s.ref = %s;\n", slot, expr);
  else fprintf(f, "  %s.%s = %s;\n", slot, member_of(t), expr);
}


/* Returns wasm2c's one-letter code for a type in multi-value struct names. */
static char multi_code(uint8_t t) {
  switch (t) {
    case BT_WASM_I32: return 'i';
    case BT_WASM_I64: return 'j';
    case BT_WASM_F32: return 'f';
    case BT_WASM_FUNCREF: return 'r';
    case BT_WASM_EXTERNREF: return 'e';
    default: return 'd';
  }
}

static baton_error_t *check_sig(const bt_wasm_functype_t *ft, const char *what,
                                const char *mod, const char *name) {
  for (uint32_t i = 0; i < ft->nparams + ft->nresults; i++) {
    uint8_t t = i < ft->nparams ? ft->params[i] : ft->results[i - ft->nparams];
    if (!ctype_of(t)) {
      char sig[256];
      bt_wasm_functype_str(ft, sig, sizeof sig);
      return baton_error_new(BATON_EUNSUPPORTED,
                             "%s %s%s\"%s\" has type %s: %s values cannot cross "
                             "the host boundary",
                             what, mod ? mod : "", mod ? "." : "", name, sig,
                             bt_wasm_valtype_name(t));
    }
  }
  return NULL;
}

baton_error_t *bt_glue_check(const bt_wasm_module_t *w) {
  for (uint32_t i = 0; i < w->nimports; i++) {
    const bt_wasm_import_t *im = &w->imports[i];
    if (im->kind == BT_WASM_EXTERN_TAG)
      return baton_error_new(BATON_EUNSUPPORTED, "import %s.%s: imported tags are not supported",
                             im->module, im->name);
    if (im->kind == BT_WASM_EXTERN_GLOBAL && !ctype_of(im->u.global.valtype))
      return baton_error_new(BATON_EUNSUPPORTED, "import %s.%s: %s globals are not supported",
                             im->module, im->name, bt_wasm_valtype_name(im->u.global.valtype));
    if (im->kind == BT_WASM_EXTERN_MEMORY && (im->u.memory.is64 || im->u.memory.shared))
      return baton_error_new(BATON_EUNSUPPORTED, "import %s.%s: %s memories are not supported",
                             im->module, im->name, im->u.memory.is64 ? "64-bit" : "shared (threads)");
    if (im->kind != BT_WASM_EXTERN_FUNC) continue;
    baton_error_t *e = check_sig(&w->types[im->u.func_type], "import", im->module, im->name);
    if (e) return e;
  }
  if (w->nmemories > 1)
    return baton_error_new(BATON_EUNSUPPORTED,
                           "module defines %u memories; multi-memory is not supported",
                           w->nmemories);
  for (uint32_t i = 0; i < w->nmemories; i++)
    if (w->memories[i].is64 || w->memories[i].shared)
      return baton_error_new(BATON_EUNSUPPORTED, "memory %u: %s memories are not supported", i,
                             w->memories[i].is64 ? "64-bit" : "shared (threads)");
  for (uint32_t i = 0; i < w->nexports; i++) {
    const bt_wasm_export_t *ex = &w->exports[i];
    if (ex->kind == BT_WASM_EXTERN_GLOBAL) {
      uint32_t gi = ex->index;
      uint8_t t = 0;
      if (gi < w->nimported_globals) {
        for (uint32_t k = 0, n = 0; k < w->nimports; k++)
          if (w->imports[k].kind == BT_WASM_EXTERN_GLOBAL && n++ == gi) t = w->imports[k].u.global.valtype;
      } else {
        t = w->globals[gi - w->nimported_globals].valtype;
      }
      if (!ctype_of(t))
        return baton_error_new(BATON_EUNSUPPORTED, "export \"%s\": %s globals are not supported", ex->name,
                               bt_wasm_valtype_name(t));
    }
    if (ex->kind != BT_WASM_EXTERN_FUNC) continue;
    baton_error_t *e = check_sig(bt_wasm_func_type(w, ex->index), "export", NULL, ex->name);
    if (e) return e;
  }
  return NULL;
}

/* Returns the C type of the pointer wasm2c uses for a memory, table or
 * global import or export. */
static const char *extern_ctype(bt_wasm_externkind_t kind, uint8_t elem_or_val) {
  switch (kind) {
    case BT_WASM_EXTERN_MEMORY: return "wasm_rt_memory_t";
    case BT_WASM_EXTERN_TABLE:
      return elem_or_val == BT_WASM_EXTERNREF ? "wasm_rt_externref_table_t" : "wasm_rt_funcref_table_t";
    default: return ctype_of(elem_or_val);
  }
}

/* Writes s as a C string literal. */
static void put_cstring(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20 || *p >= 0x7f) fprintf(f, "\\%03o", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

/* Writes the C return type of a function type: void, a scalar, or wasm2c's
 * struct wasm_multi_<codes>. */
static void put_ret_type(FILE *f, const bt_wasm_functype_t *ft) {
  if (ft->nresults == 0) {
    fputs("void", f);
  } else if (ft->nresults == 1) {
    fputs(ctype_of(ft->results[0]), f);
  } else {
    fputs("struct wasm_multi_", f);
    for (uint32_t i = 0; i < ft->nresults; i++) fputc(multi_code(ft->results[i]), f);
  }
}

/* Finds the field name of the first wasm_rt_memory_t member of the instance
 * struct in the generated header. Returns false when there is none. */
static bool find_memory_field(const char *header, char *out, size_t size) {
  const char *start = strstr(header, "typedef struct Z_m_instance_t {");
  if (!start) return false;
  const char *end = strstr(start, "} Z_m_instance_t;");
  const char *p = strstr(start, "  wasm_rt_memory_t w2c_");
  if (!p || (end && p > end)) return false;
  p += strlen("  wasm_rt_memory_t ");
  size_t n = 0;
  while (p[n] && p[n] != ';' && n + 1 < size) n++;
  memcpy(out, p, n);
  out[n] = 0;
  return true;
}

static const char *k_prelude =
    "static const bt_glue_rt_t *bt_rt;\n"
    "void wasm_rt_trap(wasm_rt_trap_t code) { bt_rt->trap((int)code); __builtin_unreachable(); }\n"
    "bool wasm_rt_is_initialized(void) { return true; }\n"
    "static inline void *bt_funcref_box(wasm_rt_funcref_t f) {\n"
    "  return f.func ? bt_rt->intern_funcref(&f) : (void *)0;\n}\n"
    "static inline wasm_rt_funcref_t bt_funcref_unbox(void *p) {\n"
    "  return p ? *(const wasm_rt_funcref_t *)p : wasm_rt_funcref_null_value;\n}\n"
    "uint32_t wasm_rt_register_func_type(uint32_t np, uint32_t nr, ...) {\n"
    "  int types[np + nr + 1];\n"
    "  va_list ap;\n"
    "  va_start(ap, nr);\n"
    "  for (uint32_t i = 0; i < np + nr; i++) types[i] = va_arg(ap, int);\n"
    "  va_end(ap);\n"
    "  return bt_rt->register_func_type(np, nr, types);\n"
    "}\n"
    "void wasm_rt_allocate_memory(wasm_rt_memory_t *m, uint32_t i, uint32_t x) { bt_rt->allocate_memory(m, i, x); }\n"
    "uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *m, uint32_t d) { return bt_rt->grow_memory(m, d); }\n"
    "void wasm_rt_free_memory(wasm_rt_memory_t *m) { bt_rt->free_memory(m); }\n"
    "void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *t, uint32_t n, uint32_t x) {\n"
    "  bt_rt->allocate_table(t, sizeof(wasm_rt_funcref_t), n, x);\n}\n"
    "void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *t, uint32_t n, uint32_t x) {\n"
    "  bt_rt->allocate_table(t, sizeof(wasm_rt_externref_t), n, x);\n}\n"
    "void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *t) { bt_rt->free_table(t); }\n"
    "void wasm_rt_free_externref_table(wasm_rt_externref_table_t *t) { bt_rt->free_table(t); }\n"
    "uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *t, uint32_t d, wasm_rt_funcref_t v) {\n"
    "  return bt_rt->grow_table(t, sizeof v, d, &v);\n}\n"
    "uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t *t, uint32_t d, wasm_rt_externref_t v) {\n"
    "  return bt_rt->grow_table(t, sizeof v, d, &v);\n}\n";

baton_error_t *bt_glue_write(const bt_wasm_module_t *w, const bt_wasm_module_t *lw,
                             const char *header, FILE *f) {
  baton_error_t *err = bt_glue_check(w);
  if (err) return err;
  fputs("/* Generated by baton: glue between wasm2c output and the baton runtime. */\n"
        "#include <stdarg.h>\n#include \"module.c\"\n#include \"glue_abi.h\"\n\n", f);
  fputs(k_prelude, f);

  /* Import trampolines and accessors; count distinct import modules for
   * instantiate(). */
  uint32_t nmods = 0;
  char mem_import[2048] = "";
  for (uint32_t i = 0; i < w->nimports; i++) {
    const bt_wasm_import_t *im = &w->imports[i];
    bool seen = false, dup = false;
    for (uint32_t j = 0; j < i; j++) {
      if (w->imports[j].module_len != im->module_len ||
          memcmp(w->imports[j].module, im->module, im->module_len) != 0)
        continue;
      seen = true;
      /* wasm2c declares one C function per (module, name): an import
       * repeated under the same names shares the first one's definition
       * (the linker resolves both to the same thing). */
      if (w->imports[j].name_len == im->name_len && !memcmp(w->imports[j].name, im->name, im->name_len))
        dup = true;
    }
    if (!seen) nmods++;
    if (dup && !bt_wasm_import_overloaded(w, i)) continue;
    char mmod[1024] = "", fn[2048] = "Z_";
    bt_glue_mangle_n(im->module, im->module_len, mmod, sizeof mmod);
    bt_glue_mangle_n(im->module, im->module_len, fn, sizeof fn);
    strncat(fn, "Z_", sizeof fn - strlen(fn) - 1);
    bt_glue_mangle_n(im->name, im->name_len, fn, sizeof fn);
    if (bt_wasm_import_overloaded(w, i)) { /* renamed for wasm2c, see import_rename.c */
      char suffix[16];
      snprintf(suffix, sizeof suffix, "\x01%u", i);
      bt_glue_mangle(suffix, fn, sizeof fn);
    }
    if (lw && im->kind == BT_WASM_EXTERN_GLOBAL && im->u.global.valtype == BT_WASM_V128) {
      bt_simd_glue_global_import(f, im, i);
      continue;
    }
    if (lw && im->kind == BT_WASM_EXTERN_FUNC && bt_simd_functype_has_v128(&w->types[im->u.func_type])) {
      bt_simd_glue_import(f, &w->types[im->u.func_type], fn, mmod, i);
      continue;
    }
    if (im->kind != BT_WASM_EXTERN_FUNC) {
      uint8_t sub = im->kind == BT_WASM_EXTERN_TABLE ? im->u.table.elemtype : im->u.global.valtype;
      const char *ct = extern_ctype(im->kind, sub);
      fprintf(f, "\n/* import %u (%s) */\n%s *%s(struct Z_%s_instance_t *ctx) {\n"
                 "  return (%s *)bt_rt->import_ptr(ctx, %uu);\n}\n",
              i, im->kind == BT_WASM_EXTERN_MEMORY ? "memory" : im->kind == BT_WASM_EXTERN_TABLE ? "table" : "global",
              ct, fn, mmod, ct, i);
      if (im->kind == BT_WASM_EXTERN_MEMORY && !mem_import[0]) snprintf(mem_import, sizeof mem_import, "%s", fn);
      continue;
    }
    const bt_wasm_functype_t *ft = &w->types[im->u.func_type];
    fprintf(f, "\n/* import %u: ", i);
    put_cstring(f, im->module);
    fputc(' ', f);
    put_cstring(f, im->name);
    fputs(" */\n", f);
    put_ret_type(f, ft);
    fprintf(f, " %s(struct Z_%s_instance_t *ctx", fn, mmod);
    for (uint32_t p = 0; p < ft->nparams; p++) fprintf(f, ", %s a%u", ctype_of(ft->params[p]), p);
    fprintf(f, ") {\n  bt_glue_val_t a[%u], r[%u];\n", ft->nparams + 1, ft->nresults + 1);
    char slot[32], expr[32];
    for (uint32_t p = 0; p < ft->nparams; p++) {
      snprintf(slot, sizeof slot, "a[%u]", p);
      snprintf(expr, sizeof expr, "a%u", p);
      put_pack(f, ft->params[p], slot, expr);
    }
    fprintf(f, "  bt_rt->call_import(ctx, %uu, a, r);\n", i);
    if (ft->nresults == 1) {
      fputs("  return ", f);
      put_unpack(f, ft->results[0], "r[0]");
      fputs(";\n", f);
    } else if (ft->nresults > 1) {
      fputs("  ", f);
      put_ret_type(f, ft);
      fputs(" out;\n", f);
      for (uint32_t k = 0; k < ft->nresults; k++) {
        fprintf(f, "  out.%c%u = ", multi_code(ft->results[k]), k);
        snprintf(slot, sizeof slot, "r[%u]", k);
        put_unpack(f, ft->results[k], slot);
        fputs(";\n", f);
      }
      fputs("  return out;\n", f);
    }
    fputs("}\n", f);
  }

  if (lw && (err = bt_simd_glue_helpers(f, lw))) return err;

  /* Export thunks. */
  uint32_t nfx = 0;
  for (uint32_t i = 0; i < w->nexports; i++) {
    const bt_wasm_export_t *ex = &w->exports[i];
    if (ex->kind != BT_WASM_EXTERN_FUNC) continue;
    const bt_wasm_functype_t *ft = bt_wasm_func_type(w, ex->index);
    char fn[2048] = "Z_mZ_";
    bt_glue_mangle_n(ex->name, ex->name_len, fn, sizeof fn);
    if (lw && bt_simd_functype_has_v128(ft)) {
      bt_simd_glue_export(f, ft, fn, nfx++);
      continue;
    }
    fprintf(f, "\nstatic void bt_x%u(void *inst, const bt_glue_val_t *a, bt_glue_val_t *r) {\n  ", nfx);
    if (ft->nresults > 0) {
      put_ret_type(f, ft);
      fputs(" out = ", f);
    }
    fprintf(f, "%s((Z_m_instance_t *)inst", fn);
    char slot[32], expr[32];
    for (uint32_t p = 0; p < ft->nparams; p++) {
      snprintf(slot, sizeof slot, "a[%u]", p);
      fputs(", ", f);
      put_unpack(f, ft->params[p], slot);
    }
    fputs(");\n", f);
    for (uint32_t k = 0; k < ft->nresults; k++) {
      snprintf(slot, sizeof slot, "r[%u]", k);
      if (ft->nresults == 1) snprintf(expr, sizeof expr, "out");
      else snprintf(expr, sizeof expr, "out.%c%u", multi_code(ft->results[k]), k);
      put_pack(f, ft->results[k], slot, expr);
    }
    fputs("  (void)a; (void)r;\n}\n", f);
    nfx++;
  }
  fputs("\nstatic const bt_glue_export_t bt_exports[] = {\n", f);
  nfx = 0;
  for (uint32_t i = 0; i < w->nexports; i++) {
    if (w->exports[i].kind != BT_WASM_EXTERN_FUNC) continue;
    fputs("  {", f);
    put_cstring(f, w->exports[i].name);
    fprintf(f, ", bt_x%u},\n", nfx++);
  }
  fputs("  {0, 0}\n};\n", f);

  /* Memory, table and global exports. */
  uint32_t nex = 0;
  for (uint32_t i = 0; i < w->nexports; i++) {
    const bt_wasm_export_t *ex = &w->exports[i];
    if (ex->kind != BT_WASM_EXTERN_MEMORY && ex->kind != BT_WASM_EXTERN_TABLE && ex->kind != BT_WASM_EXTERN_GLOBAL)
      continue;
    char fn[2048] = "Z_mZ_";
    bt_glue_mangle_n(ex->name, ex->name_len, fn, sizeof fn);
    fprintf(f, "static void *bt_e%u(void *inst) { return (void *)%s((Z_m_instance_t *)inst); }\n", nex++, fn);
  }
  fputs("static const bt_glue_extern_t bt_externs[] = {\n", f);
  nex = 0;
  for (uint32_t i = 0; i < w->nexports; i++) {
    const bt_wasm_export_t *ex = &w->exports[i];
    if (ex->kind != BT_WASM_EXTERN_MEMORY && ex->kind != BT_WASM_EXTERN_TABLE && ex->kind != BT_WASM_EXTERN_GLOBAL)
      continue;
    fputs("  {", f);
    put_cstring(f, ex->name);
    fprintf(f, ", %u, bt_e%u},\n", (unsigned)ex->kind, nex++);
  }
  fputs("  {0, 0, 0}\n};\n", f);

  fputs("\nstatic void bt_init(const bt_glue_rt_t *rt) { bt_rt = rt; Z_m_init_module(); }\n", f);
  fputs("static void bt_instantiate(void *inst, void *ctx) {\n  (void)ctx;\n  Z_m_instantiate((Z_m_instance_t *)inst", f);
  if (lw) bt_simd_glue_instantiate_args(f, lw);
  for (uint32_t i = 0; !lw && i < nmods; i++) fputs(", ctx", f);
  fputs(");\n}\n", f);
  fputs("static void bt_free(void *inst) { Z_m_free((Z_m_instance_t *)inst); }\n", f);
  char memfield[512];
  bool has_mem = false;
  if (mem_import[0]) {
    /* Memory 0 is imported: wasm2c keeps a pointer to it in the instance. */
    fprintf(f, "static void *bt_memory(void *inst) { return ((Z_m_instance_t *)inst)->%s; }\n", mem_import);
    has_mem = true;
  } else {
    has_mem = find_memory_field(header, memfield, sizeof memfield);
    if (w->nmemories > 0 && !has_mem)
      return baton_error_new(BATON_ECOMPILE, "glue: cannot find the memory in wasm2c's instance struct");
    if (has_mem)
      fprintf(f, "static void *bt_memory(void *inst) { return &((Z_m_instance_t *)inst)->%s; }\n", memfield);
  }
  fprintf(f,
          "\n__attribute__((visibility(\"default\"))) const bt_glue_module_t baton_glue_module = {\n"
          "  BT_GLUE_ABI_VERSION, sizeof(Z_m_instance_t), bt_init, bt_instantiate, bt_free,\n"
          "  %s, %uu, bt_exports, %uu, bt_externs\n};\n",
          has_mem ? "bt_memory" : "0", nfx, nex);
  return ferror(f) ? baton_error_new(BATON_EIO, "glue: write failed") : NULL;
}
