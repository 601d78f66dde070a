/*
 * tests/engine/test_simd.c: SIMD through the public C API. wasm2c 1.0.32
 * cannot translate v128, so these modules go through the lowering pass
 * (src/wasm/simd_lower.c) and the SIMD glue: v128 arguments and results
 * (alone and mixed with other types, multi-value), a host import with v128
 * in its signature, exported v128 globals read and written, v128 through
 * block results, select, drop, tee and dead code, v128 next to externref
 * in signatures, a SIMD loop over memory,
 * out-of-bounds v128 loads and stores (a partially out-of-bounds store
 * writes nothing), shuffles, float min/max of signed zeros, and a v128
 * function and global exported by one instance and imported by another.
 * The lowering itself is checked on a module without v128 (left alone).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/baton.h"
#include "test.h"
#include "util/common.h"
#include "wasm/wasm.h"

static baton_engine_t *g_engine;

static baton_module_t *load(const char *name) {
  baton_module_t *m = NULL;
  baton_error_t *err = baton_module_new_file(g_engine, t_guest(name), &m);
  if (err) {
    fprintf(stderr, "load %s: %s\n", name, baton_error_message(err));
    baton_error_delete(err);
  }
  return m;
}

static baton_val_t I32(int32_t v) { return (baton_val_t){.kind = BATON_I32, .of.i32 = v}; }

static baton_val_t V4(int32_t a, int32_t b, int32_t c, int32_t d) {
  baton_val_t v = {.kind = BATON_V128};
  int32_t l[4] = {a, b, c, d};
  memcpy(v.of.v128, l, 16);
  return v;
}

static baton_val_t VF(float a, float b, float c, float d) {
  baton_val_t v = {.kind = BATON_V128};
  float l[4] = {a, b, c, d};
  memcpy(v.of.v128, l, 16);
  return v;
}

static int32_t lane(const baton_val_t *v, int i) {
  int32_t l[4];
  memcpy(l, v->of.v128, 16);
  return l[i];
}

#define ASSERT_V4(v, a, b, c, d)                                  \
  do {                                                            \
    ASSERT_EQ((v).kind, BATON_V128);                              \
    ASSERT_EQ(lane(&(v), 0), (a));                                \
    ASSERT_EQ(lane(&(v), 1), (b));                                \
    ASSERT_EQ(lane(&(v), 2), (c));                                \
    ASSERT_EQ(lane(&(v), 3), (d));                                \
  } while (0)

/* The host import host.twice: (v128, i32) -> (v128, i32), doubling lanes. */
static baton_trap_t *twice(void *env, baton_caller_t *caller, const baton_val_t *args, baton_val_t *res) {
  (void)env;
  (void)caller;
  uint32_t l[4]; /* unsigned: lanes wrap as i32x4.add does */
  memcpy(l, args[0].of.v128, 16);
  for (int i = 0; i < 4; i++) l[i] *= 2;
  res[0].kind = BATON_V128;
  memcpy(res[0].of.v128, l, 16);
  res[1] = I32((int32_t)((uint32_t)args[1].of.i32 * 2u));
  return NULL;
}

static baton_instance_t *api_instance(baton_module_t *m) {
  static const baton_valkind_t kinds[] = {BATON_V128, BATON_I32, BATON_V128, BATON_I32};
  baton_functype_t t = {kinds, 2, kinds + 2, 2};
  baton_linker_t *l;
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  if (baton_linker_new(g_engine, &l)) return NULL;
  baton_error_t *err = baton_linker_define_func(l, "host", "twice", &t, twice, NULL, NULL);
  if (!err) err = baton_instance_new(l, m, NULL, &inst, &trap);
  baton_linker_delete(l);
  if (err) {
    fprintf(stderr, "instantiate: %s\n", baton_error_message(err));
    baton_error_delete(err);
  }
  if (trap) baton_trap_delete(trap);
  return inst;
}

/* Calls fn expecting no trap. */
static void call_ok(baton_instance_t *inst, const char *fn, const baton_val_t *args, size_t na,
                    baton_val_t *res, size_t nr) {
  baton_trap_t *trap = NULL;
  ASSERT_OK(baton_instance_call(inst, fn, args, na, res, nr, &trap));
  if (trap) fprintf(stderr, "%s trapped: %s\n", fn, baton_trap_message(trap));
  ASSERT_NULL(trap);
}

/* Calls fn expecting an out-of-bounds trap. */
static void call_oob(baton_instance_t *inst, const char *fn, const baton_val_t *args, size_t na, size_t nr) {
  baton_val_t res[2];
  baton_trap_t *trap = NULL;
  ASSERT_OK(baton_instance_call(inst, fn, args, na, res, nr, &trap));
  ASSERT_NOT_NULL(trap);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_OOB);
  baton_trap_delete(trap);
}

TEST(v128_args_and_results) {
  baton_module_t *m = load("simd_api.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = api_instance(m);
  ASSERT_NOT_NULL(inst);
  baton_val_t args[3] = {V4(1, 2, 3, 4), V4(10, 20, 30, -5)}, res[3];
  call_ok(inst, "add", args, 2, res, 1);
  ASSERT_V4(res[0], 11, 22, 33, -1);

  args[0] = I32(7);
  args[1] = V4(5, 6, 7, 8);
  args[2] = (baton_val_t){.kind = BATON_F64, .of.f64 = 2.5};
  call_ok(inst, "swap", args, 3, res, 3);
  ASSERT_EQ(res[0].kind, BATON_F64);
  ASSERT_TRUE(res[0].of.f64 == 2.5);
  ASSERT_V4(res[1], 5, 6, 7, 8);
  ASSERT_EQ(res[2].of.i32, 7);

  /* The export's public type says v128. */
  baton_extern_desc_t d;
  for (size_t i = 0; i < baton_module_export_count(m); i++)
    if (baton_module_export(m, i, &d) && !strcmp(d.name, "add")) {
      ASSERT_EQ(d.type.nparams, 2u);
      ASSERT_EQ(d.type.params[0], BATON_V128);
      ASSERT_EQ(d.type.results[0], BATON_V128);
    }
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(v128_host_import) {
  baton_module_t *m = load("simd_api.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = api_instance(m);
  ASSERT_NOT_NULL(inst);
  baton_val_t a = V4(1, -2, 3, 0x40000000), res[2];
  call_ok(inst, "via_host", &a, 1, res, 2);
  ASSERT_V4(res[0], 2, -4, 6, (int32_t)0x80000000);
  ASSERT_EQ(res[1].of.i32, 42);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(v128_globals) {
  baton_module_t *m = load("simd_api.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = api_instance(m);
  ASSERT_NOT_NULL(inst);
  baton_val_t v, res[1];
  ASSERT_OK(baton_instance_global_get(inst, "g", 1, &v));
  ASSERT_V4(v, 1, 2, 3, 4);
  baton_val_t a = V4(100, 200, 300, 400);
  call_ok(inst, "bump_g", &a, 1, res, 1);
  ASSERT_V4(res[0], 101, 202, 303, 404);
  ASSERT_OK(baton_instance_global_get(inst, "g", 1, &v));
  ASSERT_V4(v, 101, 202, 303, 404);
  baton_val_t w = V4(-1, -2, -3, -4);
  ASSERT_OK(baton_instance_global_set(inst, "g", 1, &w));
  a = V4(1, 1, 1, 1);
  call_ok(inst, "bump_g", &a, 1, res, 1);
  ASSERT_V4(res[0], 0, -1, -2, -3);
  /* Immutable global: both halves initialised from v128.const. */
  ASSERT_OK(baton_instance_global_get(inst, "k", 1, &v));
  ASSERT_V4(v, -1, -1, 0x05060708, 0x01020304);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(v128_blocks_select_drop_dead_code) {
  baton_module_t *m = load("simd_api.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = api_instance(m);
  ASSERT_NOT_NULL(inst);
  const char *fns[] = {"pick", "pick_typed"};
  for (int k = 0; k < 2; k++) {
    baton_val_t args[3] = {I32(1), V4(1, 2, 3, 4), V4(5, 6, 7, 8)}, res[1];
    call_ok(inst, fns[k], args, 3, res, 1);
    ASSERT_V4(res[0], 1, 2, 3, 4);
    args[0] = I32(0);
    call_ok(inst, fns[k], args, 3, res, 1);
    ASSERT_V4(res[0], 5, 6, 7, 8);
  }
  baton_val_t a = V4(9, 8, 7, 6), res[2];
  call_ok(inst, "dead", &a, 1, res, 1);
  ASSERT_V4(res[0], 9, 8, 7, 6);
  /* v128 next to reference values. */
  int cookie;
  baton_val_t mix[2] = {{.kind = BATON_EXTERNREF, .of.ref = &cookie}, V4(3, 1, 4, 1)};
  call_ok(inst, "mixed", mix, 2, res, 2);
  ASSERT_V4(res[0], 3, 1, 4, 1);
  ASSERT_EQ(res[1].kind, BATON_EXTERNREF);
  ASSERT_TRUE(res[1].of.ref == &cookie);
  baton_val_t one[2] = {V4(0, 0, 0, 0), {.kind = BATON_EXTERNREF, .of.ref = &cookie}};
  call_ok(inst, "one_ref", one, 2, res, 1);
  ASSERT_TRUE(res[0].of.ref == &cookie);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(simd_loop_over_memory) {
  baton_module_t *m = load("simd_api.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = api_instance(m);
  ASSERT_NOT_NULL(inst);
  baton_val_t n = I32(4096), res[1];
  call_ok(inst, "fill", &n, 1, res, 0);
  n = I32(4096 * 4);
  call_ok(inst, "sum_mem", &n, 1, res, 1);
  ASSERT_EQ(res[0].of.i32, 4095 * 4096 / 2);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(v128_memory_bounds) {
  baton_module_t *m = load("simd_api.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = api_instance(m);
  ASSERT_NOT_NULL(inst);
  baton_val_t args[2] = {I32(65536 - 24), V4(-1, -1, -1, -1)}, res[1];
  /* load has offset=8: the last in-bounds address is 65536 - 24. */
  call_ok(inst, "load", args, 1, res, 1);
  args[0] = I32(65536 - 23);
  call_oob(inst, "load", args, 1, 1);
  args[0] = I32(-1);
  call_oob(inst, "load", args, 1, 1);
  /* A store straddling the end writes nothing. */
  args[0] = I32(65536 - 8);
  call_oob(inst, "store", args, 2, 0);
  for (int i = 65536 - 8; i < 65536; i++) {
    baton_val_t b = I32(i);
    call_ok(inst, "byte", &b, 1, res, 1);
    ASSERT_EQ(res[0].of.i32, 0);
  }
  args[0] = I32(65536 - 16);
  call_ok(inst, "store", args, 2, res, 0);
  baton_val_t b = I32(65535);
  call_ok(inst, "byte", &b, 1, res, 1);
  ASSERT_EQ(res[0].of.i32, 255);
  /* store64_lane 1 writes lanes 2 and 3 (8 bytes). */
  args[0] = I32(65536 - 8);
  args[1] = V4(0, 0, 0x11223344, 0x55667788);
  call_ok(inst, "store_lane", args, 2, res, 0);
  b = I32(65536 - 8);
  call_ok(inst, "byte", &b, 1, res, 1);
  ASSERT_EQ(res[0].of.i32, 0x44);
  args[0] = I32(65536 - 7);
  call_oob(inst, "store_lane", args, 2, 0);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(shuffle_and_float_minmax) {
  baton_module_t *m = load("simd_api.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = api_instance(m);
  ASSERT_NOT_NULL(inst);
  baton_val_t args[2], res[2];
  for (int i = 0; i < 16; i++) {
    args[0].of.v128[i] = (uint8_t)i;
    args[1].of.v128[i] = (uint8_t)(0x10 + i);
  }
  args[0].kind = args[1].kind = BATON_V128;
  call_ok(inst, "shuffle", args, 2, res, 1);
  static const uint8_t want[16] = {0x1f, 0, 0x1e, 1, 0x1d, 2, 0x1c, 3, 0x1b, 4, 0x1a, 5, 0x19, 6, 0x18, 7};
  ASSERT_EQ(memcmp(res[0].of.v128, want, 16), 0);

  args[0] = VF(0.0f, -0.0f, 1.0f, -3.0f);
  args[1] = VF(-0.0f, 0.0f, 2.0f, -4.0f);
  call_ok(inst, "fminmax", args, 2, res, 2);
  float mn[4], mx[4];
  memcpy(mn, res[0].of.v128, 16);
  memcpy(mx, res[1].of.v128, 16);
  ASSERT_TRUE(mn[0] == 0.0f && signbit(mn[0]));
  ASSERT_TRUE(mn[1] == 0.0f && signbit(mn[1]));
  ASSERT_TRUE(mx[0] == 0.0f && !signbit(mx[0]));
  ASSERT_TRUE(mx[1] == 0.0f && !signbit(mx[1]));
  ASSERT_TRUE(mn[2] == 1.0f && mx[2] == 2.0f && mn[3] == -4.0f && mx[3] == -3.0f);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(v128_linking_between_instances) {
  baton_module_t *pm = load("simd_provider.wasm"), *um = load("simd_user.wasm");
  ASSERT_NOT_NULL(pm);
  ASSERT_NOT_NULL(um);
  baton_linker_t *l;
  baton_instance_t *p = NULL, *u = NULL;
  baton_trap_t *trap = NULL;
  ASSERT_OK(baton_linker_new(g_engine, &l));
  ASSERT_OK(baton_instance_new(l, pm, NULL, &p, &trap));
  ASSERT_OK(baton_linker_define_instance(l, "p", p));
  ASSERT_OK(baton_instance_new(l, um, NULL, &u, &trap));
  baton_val_t a = V4(1, 2, 3, 4), res[1];
  call_ok(u, "run", &a, 1, res, 1);
  ASSERT_V4(res[0], 9, 18, 27, 36);
  /* The imported global is shared: a write in the user shows in the provider. */
  a = V4(7, 7, 7, 0x7fffffff);
  call_ok(u, "set_gv", &a, 1, res, 0);
  baton_val_t v;
  ASSERT_OK(baton_instance_global_get(p, "gv", 2, &v));
  ASSERT_V4(v, 7, 7, 7, 0x7fffffff);
  baton_instance_delete(u);
  baton_instance_delete(p);
  baton_linker_delete(l);
  baton_module_delete(um);
  baton_module_delete(pm);
}

TEST(lowering_leaves_plain_modules_alone) {
  size_t len;
  unsigned char *bytes = t_read_file(t_guest("traps.wasm"), &len);
  ASSERT_NOT_NULL(bytes);
  bt_wasm_module_t *w = NULL;
  ASSERT_OK(bt_wasm_parse(bytes, len, &w));
  uint8_t *out = (uint8_t *)1;
  size_t out_len = 1;
  ASSERT_OK(bt_wasm_simd_lower(w, bytes, len, &out, &out_len));
  ASSERT_NULL(out);
  bt_wasm_module_free(w);
  free(bytes);

  /* A lowered module reads back with no v128 anywhere and bt:simd imports. */
  bytes = t_read_file(t_guest("simd_api.wasm"), &len);
  ASSERT_NOT_NULL(bytes);
  ASSERT_OK(bt_wasm_parse(bytes, len, &w));
  ASSERT_OK(bt_wasm_simd_lower(w, bytes, len, &out, &out_len));
  ASSERT_NOT_NULL(out);
  bt_wasm_module_t *lw = NULL;
  ASSERT_OK(bt_wasm_parse(out, out_len, &lw));
  uint32_t nsimd = 0;
  for (uint32_t i = 0; i < lw->nimports; i++)
    if (!strcmp(lw->imports[i].module, BT_WASM_SIMD_MODULE)) nsimd++;
  ASSERT_TRUE(nsimd > 5);
  for (uint32_t i = 0; i < lw->ntypes; i++)
    for (uint32_t k = 0; k < lw->types[i].nparams; k++) ASSERT_NE(lw->types[i].params[k], BT_WASM_V128);
  for (uint32_t i = 0; i < lw->nglobals; i++) ASSERT_NE(lw->globals[i].valtype, BT_WASM_V128);
  ASSERT_EQ(lw->nglobals, w->nglobals * 2);
  bt_wasm_module_free(lw);
  bt_wasm_module_free(w);
  bt_free(out);
  free(bytes);
}

int main(void) {
  baton_error_t *err = baton_engine_new(NULL, &g_engine);
  if (err) {
    fprintf(stderr, "engine: %s\n", baton_error_message(err));
    return 1;
  }
  RUN(v128_args_and_results);
  RUN(v128_host_import);
  RUN(v128_globals);
  RUN(v128_blocks_select_drop_dead_code);
  RUN(simd_loop_over_memory);
  RUN(v128_memory_bounds);
  RUN(shuffle_and_float_minmax);
  RUN(v128_linking_between_instances);
  RUN(lowering_leaves_plain_modules_alone);
  baton_engine_delete(g_engine);
  TEST_MAIN_END();
}
