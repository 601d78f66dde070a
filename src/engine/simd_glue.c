/*
 * src/engine/simd_glue.c: the SIMD half of the glue generator (glue.c calls
 * in here when a module uses v128 and was lowered by bt_wasm_simd_lower).
 *
 * wasm2c compiled the lowered module, where each v128 is a pair of u64 (low,
 * high) and each SIMD instruction a call to an import of module "bt:simd".
 * This file writes: the definitions of those imports as wrappers around the
 * bt_simd_* functions of simd_rt.h (which the glue #includes); the import
 * trampolines and export thunks of functions whose *original* signature has
 * v128 (joining and splitting pairs into bt_glue_val_t.v128); accessors for
 * both halves of imported v128 globals (the high half sits 8 bytes after the
 * low half in the bound 16-byte object); and the instantiate arguments,
 * where the "bt:simd" module's instance pointer is the wasm2c instance
 * itself so memory helpers reach memory 0 through bt_memory().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

typedef struct {
  const char *name;
  int imm, lanes;
  const char *params, *results;
} sop_t;

enum { NONE, MEMARG, MEMARG_LANE, LANE, SHUFFLE, V128CONST };

static const sop_t k_sops[] = {
#define BT_SIMD_OP(code, name, imm, align, lanes, params, results) {name, imm, lanes, params, results},
#include "wasm/simd_ops.def"
#undef BT_SIMD_OP
    {"v128.select", NONE, 0, "vvi", "v"},
};

bool bt_simd_functype_has_v128(const bt_wasm_functype_t *ft) {
  for (uint32_t i = 0; i < ft->nparams; i++)
    if (ft->params[i] == BT_WASM_V128) return true;
  for (uint32_t i = 0; i < ft->nresults; i++)
    if (ft->results[i] == BT_WASM_V128) return true;
  return false;
}

static const char *ctype(uint8_t t) {
  switch (t) {
    case BT_WASM_I32: return "u32";
    case BT_WASM_I64: case BT_WASM_V128: return "u64";
    case BT_WASM_F32: return "f32";
    case BT_WASM_F64: return "f64";
    case BT_WASM_FUNCREF: return "wasm_rt_funcref_t";
    case BT_WASM_EXTERNREF: return "wasm_rt_externref_t";
    default: return NULL;
  }
}

static const char *member(uint8_t t) {
  switch (t) {
    case BT_WASM_I32: return "i32";
    case BT_WASM_I64: return "i64";
    case BT_WASM_F32: return "f32";
    default: return "f64";
  }
}

static char code_of(uint8_t t) {
  switch (t) {
    case BT_WASM_I32: return 'i';
    case BT_WASM_I64: case BT_WASM_V128: return 'j';
    case BT_WASM_F32: return 'f';
    case BT_WASM_FUNCREF: return 'r';
    case BT_WASM_EXTERNREF: return 'e';
    default: return 'd';
  }
}

/* Writes `slot = expr;` for a non-v128 value of type t (funcrefs travel
 * boxed, as in glue.c). */
static void put_pack(FILE *f, uint8_t t, const char *slot, const char *expr) {
  if (t == BT_WASM_FUNCREF) fprintf(f, "  %s.ref = bt_funcref_box(%s);\n", slot, expr);
  else if (t == BT_WASM_EXTERNREF) fprintf(f, "  %s.ref = %s;\n", slot, expr);
  else fprintf(f, "  %s.%s = %s;\n", slot, member(t), expr);
}

/* Writes the C value of bt_glue_val_t `slot` holding type t. */
static void put_unpack(FILE *f, uint8_t t, const char *slot) {
  if (t == BT_WASM_FUNCREF) fprintf(f, "bt_funcref_unbox(%s.ref)", slot);
  else if (t == BT_WASM_EXTERNREF) fprintf(f, "%s.ref", slot);
  else fprintf(f, "%s.%s", slot, member(t));
}

/* Writes the lowered C return type of ft (v128 results count twice). */
static uint32_t put_lowered_ret(FILE *f, const bt_wasm_functype_t *ft) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < ft->nresults; i++) n += ft->results[i] == BT_WASM_V128 ? 2 : 1;
  if (n == 0) {
    fputs("void", f);
  } else if (n == 1) {
    fputs(ctype(ft->results[0]), f);
  } else {
    fputs("struct wasm_multi_", f);
    for (uint32_t i = 0; i < ft->nresults; i++) {
      fputc(code_of(ft->results[i]), f);
      if (ft->results[i] == BT_WASM_V128) fputc('j', f);
    }
  }
  return n;
}

void bt_simd_glue_import(FILE *f, const bt_wasm_functype_t *ft, const char *fn, const char *mmod,
                         uint32_t index) {
  fprintf(f, "\n/* import %u (v128 signature) */\n", index);
  uint32_t nr = put_lowered_ret(f, ft);
  fprintf(f, " %s(struct Z_%s_instance_t *ctx", fn, mmod);
  for (uint32_t p = 0; p < ft->nparams; p++) {
    fprintf(f, ", %s a%u", ctype(ft->params[p]), p);
    if (ft->params[p] == BT_WASM_V128) fprintf(f, ", u64 a%uh", p);
  }
  fprintf(f, ") {\n  bt_glue_val_t a[%u], r[%u];\n", ft->nparams + 1, ft->nresults + 1);
  for (uint32_t p = 0; p < ft->nparams; p++) {
    if (ft->params[p] == BT_WASM_V128)
      fprintf(f, "  memcpy(a[%u].v128, &a%u, 8); memcpy(a[%u].v128 + 8, &a%uh, 8);\n", p, p, p, p);
    else {
      char slot[32], expr[32];
      snprintf(slot, sizeof slot, "a[%u]", p);
      snprintf(expr, sizeof expr, "a%u", p);
      put_pack(f, ft->params[p], slot, expr);
    }
  }
  fprintf(f, "  bt_rt->call_import(ctx, %uu, a, r);\n", index);
  if (nr == 1) {
    fputs("  return ", f);
    put_unpack(f, ft->results[0], "r[0]");
    fputs(";\n", f);
  } else if (nr > 1) {
    fputs("  ", f);
    put_lowered_ret(f, ft);
    fputs(" out;\n", f);
    for (uint32_t k = 0, slot = 0; k < ft->nresults; k++, slot++) {
      if (ft->results[k] == BT_WASM_V128) {
        fprintf(f, "  memcpy(&out.j%u, r[%u].v128, 8); memcpy(&out.j%u, r[%u].v128 + 8, 8);\n", slot, k,
                slot + 1, k);
        slot++;
      } else {
        char rs[32];
        snprintf(rs, sizeof rs, "r[%u]", k);
        fprintf(f, "  out.%c%u = ", code_of(ft->results[k]), slot);
        put_unpack(f, ft->results[k], rs);
        fputs(";\n", f);
      }
    }
    fputs("  return out;\n", f);
  }
  fputs("}\n", f);
}

void bt_simd_glue_export(FILE *f, const bt_wasm_functype_t *ft, const char *fn, uint32_t n) {
  fprintf(f, "\nstatic void bt_x%u(void *inst, const bt_glue_val_t *a, bt_glue_val_t *r) {\n", n);
  for (uint32_t p = 0; p < ft->nparams; p++)
    if (ft->params[p] == BT_WASM_V128)
      fprintf(f, "  u64 p%u, p%uh;\n  memcpy(&p%u, a[%u].v128, 8); memcpy(&p%uh, a[%u].v128 + 8, 8);\n", p, p,
              p, p, p, p);
  fputs("  ", f);
  uint32_t nr = 0;
  for (uint32_t i = 0; i < ft->nresults; i++) nr += ft->results[i] == BT_WASM_V128 ? 2 : 1;
  if (nr > 0) {
    put_lowered_ret(f, ft);
    fputs(" out = ", f);
  }
  fprintf(f, "%s((Z_m_instance_t *)inst", fn);
  for (uint32_t p = 0; p < ft->nparams; p++) {
    char slot[32];
    snprintf(slot, sizeof slot, "a[%u]", p);
    if (ft->params[p] == BT_WASM_V128) {
      fprintf(f, ", p%u, p%uh", p, p);
    } else {
      fputs(", ", f);
      put_unpack(f, ft->params[p], slot);
    }
  }
  fputs(");\n", f);
  if (nr == 1) put_pack(f, ft->results[0], "r[0]", "out");
  for (uint32_t k = 0, slot = 0; nr > 1 && k < ft->nresults; k++, slot++) {
    if (ft->results[k] == BT_WASM_V128) {
      fprintf(f, "  memcpy(r[%u].v128, &out.j%u, 8); memcpy(r[%u].v128 + 8, &out.j%u, 8);\n", k, slot, k,
              slot + 1);
      slot++;
    } else {
      char rs[32], ex[32];
      snprintf(rs, sizeof rs, "r[%u]", k);
      snprintf(ex, sizeof ex, "out.%c%u", code_of(ft->results[k]), slot);
      put_pack(f, ft->results[k], rs, ex);
    }
  }
  fputs("  (void)a; (void)r;\n}\n", f);
}

void bt_simd_glue_global_import(FILE *f, const bt_wasm_import_t *im, uint32_t index) {
  char mmod[1024] = "", fn[2048] = "Z_", hi[2048], hname[1024];
  bt_glue_mangle_n(im->module, im->module_len, mmod, sizeof mmod);
  bt_glue_mangle_n(im->module, im->module_len, fn, sizeof fn);
  strncat(fn, "Z_", sizeof fn - strlen(fn) - 1);
  snprintf(hi, sizeof hi, "%s", fn);
  bt_glue_mangle_n(im->name, im->name_len, fn, sizeof fn);
  size_t sl = strlen(BT_WASM_SIMD_HI_SUFFIX), n = im->name_len < sizeof hname - sl - 1 ? im->name_len : 0;
  memcpy(hname, im->name, n);
  memcpy(hname + n, BT_WASM_SIMD_HI_SUFFIX, sl);
  bt_glue_mangle_n(hname, n + sl, hi, sizeof hi);
  fprintf(f,
          "\n/* import %u (v128 global: low and high halves) */\n"
          "u64 *%s(struct Z_%s_instance_t *ctx) { return (u64 *)bt_rt->import_ptr(ctx, %uu); }\n"
          "u64 *%s(struct Z_%s_instance_t *ctx) { return (u64 *)bt_rt->import_ptr(ctx, %uu) + 1; }\n",
          index, fn, mmod, index, hi, mmod, index);
}

/* Writes one "bt:simd" import definition for helper `name`. */
static baton_error_t *put_helper(FILE *f, const char *name) {
  char op[64];
  size_t n = strcspn(name, " ");
  if (n >= sizeof op) return baton_error_new(BATON_ECOMPILE, "glue: bad SIMD helper \"%s\"", name);
  memcpy(op, name, n);
  op[n] = 0;
  const sop_t *s = NULL;
  for (size_t i = 0; i < BT_ARRAY_LEN(k_sops); i++)
    if (!strcmp(k_sops[i].name, op)) s = &k_sops[i];
  if (!s || s->imm == V128CONST) return baton_error_new(BATON_ECOMPILE, "glue: unknown SIMD helper \"%s\"", name);
  unsigned long long imm[16] = {0};
  const char *p = name + n;
  int nimm = 0;
  while (*p == ' ' && nimm < 16) imm[nimm++] = strtoull(p + 1, (char **)&p, 10);
  int want = s->imm == MEMARG || s->imm == LANE ? 1 : s->imm == MEMARG_LANE ? 2 : s->imm == SHUFFLE ? 16 : 0;
  if (nimm != want || *p) return baton_error_new(BATON_ECOMPILE, "glue: bad SIMD helper \"%s\"", name);

  char fn[2048] = "Z_";
  bt_glue_mangle(BT_WASM_SIMD_MODULE, fn, sizeof fn);
  strncat(fn, "Z_", sizeof fn - strlen(fn) - 1);
  bt_glue_mangle(name, fn, sizeof fn);
  char cname[64];
  snprintf(cname, sizeof cname, "%s", op);
  for (char *c = cname; *c; c++)
    if (*c == '.') *c = '_';

  char r = s->results[0];
  fprintf(f, "%s %s(struct Z_btZ3Asimd_instance_t *ctx",
          r == 'v' ? "struct wasm_multi_jj" : r == 'i' ? "u32" : r == 'j' ? "u64" : r == 'f' ? "f32" : r == 'd' ? "f64" : "void",
          fn);
  int k = 0;
  for (const char *t = s->params; *t; t++, k++) {
    if (*t == 'v') fprintf(f, ", u64 a%d, u64 a%dh", k, k);
    else fprintf(f, ", %s a%d", *t == 'i' ? "u32" : *t == 'j' ? "u64" : *t == 'f' ? "f32" : "f64", k);
  }
  fputs(") {\n", f);
  if (s->imm == SHUFFLE) {
    fputs("  static const uint8_t L[16] = {", f);
    for (int i = 0; i < 16; i++) fprintf(f, "%s%llu", i ? "," : "", imm[i]);
    fputs("};\n", f);
  }
  fputs(r == 'v' ? "  bt_v128 v = " : r ? "  return " : "  ", f);
  fprintf(f, "bt_simd_%s(", cname);
  const char *sep = "";
  if (s->imm == MEMARG || s->imm == MEMARG_LANE) {
    fputs("(wasm_rt_memory_t *)bt_memory(ctx)", f);
    sep = ", ";
  }
  k = 0;
  for (const char *t = s->params; *t; t++, k++, sep = ", ") {
    if (*t == 'v') fprintf(f, "%sbt_v(a%d, a%dh)", sep, k, k);
    else fprintf(f, "%sa%d", sep, k);
  }
  for (int i = 0; i < nimm && s->imm != SHUFFLE; i++) fprintf(f, ", %lluull", imm[i]);
  if (s->imm == SHUFFLE) fputs(", L", f);
  fputs(");\n", f);
  if (r == 'v') fputs("  struct wasm_multi_jj o;\n  o.j0 = v.u64[0];\n  o.j1 = v.u64[1];\n  return o;\n", f);
  fputs("}\n", f);
  return NULL;
}

baton_error_t *bt_simd_glue_helpers(FILE *f, const bt_wasm_module_t *lw) {
  fputs("\n/* SIMD: the \"bt:simd\" imports of the lowered module. */\n"
        "static void *bt_memory(void *inst);\n#include \"simd_rt.h\"\n",
        f);
  for (uint32_t i = 0; i < lw->nimports; i++) {
    const bt_wasm_import_t *im = &lw->imports[i];
    if (im->kind != BT_WASM_EXTERN_FUNC || strcmp(im->module, BT_WASM_SIMD_MODULE) != 0) continue;
    baton_error_t *err = put_helper(f, im->name);
    if (err) return err;
  }
  return NULL;
}

/* Returns true when module name `s` already occurs among imports [0, i). */
static bool seen_before(const bt_wasm_module_t *w, uint32_t i) {
  for (uint32_t j = 0; j < i; j++)
    if (!strcmp(w->imports[j].module, w->imports[i].module)) return true;
  return false;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void bt_simd_glue_instantiate_args(FILE *f, const bt_wasm_module_t *lw) {
  const char **mods = bt_calloc(lw->nimports + 1, sizeof *mods);
  uint32_t n = 0;
  for (uint32_t i = 0; mods && i < lw->nimports; i++)
    if (!seen_before(lw, i)) mods[n++] = lw->imports[i].module;
  if (!mods) return;
  /* wasm2c 1.0.32 takes one instance pointer per import module, sorted. */
  qsort(mods, n, sizeof *mods, cmp_str);
  for (uint32_t i = 0; i < n; i++)
    fputs(strcmp(mods[i], BT_WASM_SIMD_MODULE) ? ", ctx" : ", (struct Z_btZ3Asimd_instance_t *)inst", f);
  bt_free(mods);
}
