/*
 * tests/engine/test_engine.c: the engine through the public C API: AOT
 * loading and the cache, calls with every core type, every trap kind and
 * that the host survives it, deadlines (in guest code and deferred across a
 * host call), memory limits, host imports and link errors, memory pooling
 * (zeroed reuse, flat RSS over 100k instances), threads, allocation
 * failure injection, and the AOT conformance fixes: runaway recursion traps
 * and signalling NaNs are quieted under gcc and clang builds, extended
 * constant expressions are folded, and failed compiles are remembered.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "baton/baton.h"
#include "test.h"
#include "util/common.h"

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
static baton_val_t I64(int64_t v) { return (baton_val_t){.kind = BATON_I64, .of.i64 = v}; }
static baton_val_t F64(double v) { return (baton_val_t){.kind = BATON_F64, .of.f64 = v}; }
static baton_val_t F32(float v) { return (baton_val_t){.kind = BATON_F32, .of.f32 = v}; }

/* Instantiates traps.wasm with an empty linker and the given limits. */
static baton_instance_t *traps_instance_opt(baton_module_t *m, uint64_t timeout, uint64_t max_mem, bool poison) {
  baton_linker_t *l;
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  if (baton_linker_new(g_engine, &l)) return NULL;
  baton_instance_config_t cfg = {.timeout_ms = timeout, .max_memory = max_mem, .name = "traps",
                                 .poison_on_trap = poison};
  baton_error_t *err = baton_instance_new(l, m, &cfg, &inst, &trap);
  baton_linker_delete(l);
  if (err) baton_error_delete(err);
  if (trap) baton_trap_delete(trap);
  return inst;
}

static baton_instance_t *traps_instance(baton_module_t *m, uint64_t timeout, uint64_t max_mem) {
  return traps_instance_opt(m, timeout, max_mem, false);
}

/* Calls an export expecting a trap; returns its kind and copies its message. */
static baton_trap_kind_t expect_trap(baton_instance_t *inst, const char *fn, const baton_val_t *args,
                                     size_t nargs, size_t nres, char *msg, size_t msgsize) {
  baton_val_t res[4];
  baton_trap_t *trap = NULL;
  baton_error_t *err = baton_instance_call(inst, fn, args, nargs, res, nres, &trap);
  if (err) {
    fprintf(stderr, "unexpected error: %s\n", baton_error_message(err));
    baton_error_delete(err);
    return BATON_TRAP_NONE;
  }
  if (!trap) return BATON_TRAP_NONE;
  baton_trap_kind_t k = baton_trap_kind(trap);
  if (msg) snprintf(msg, msgsize, "%s", baton_trap_message(trap));
  baton_trap_delete(trap);
  return k;
}

TEST(calls_every_core_type) {
  baton_module_t *m = load("traps.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = traps_instance(m, 0, 0);
  ASSERT_NOT_NULL(inst);
  baton_val_t args[2] = {I32(7), I32(2)}, res[3];
  baton_trap_t *trap;
  ASSERT_OK(baton_instance_call(inst, "div", args, 2, res, 1, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(res[0].kind, BATON_I32);
  ASSERT_EQ(res[0].of.i32, 3);
  args[0] = I64(-1);
  args[1] = I64(5);
  ASSERT_OK(baton_instance_call(inst, "add64", args, 2, res, 1, &trap));
  ASSERT_EQ(res[0].of.i64, 4);
  args[0] = F32(1.5f);
  args[1] = F64(2.0);
  ASSERT_OK(baton_instance_call(inst, "mulf", args, 2, res, 1, &trap));
  ASSERT_TRUE(res[0].of.f64 == 3.0);
  args[0] = I32(5);
  ASSERT_OK(baton_instance_call(inst, "multi", args, 1, res, 3, &trap));
  ASSERT_EQ(res[0].of.i32, 5);
  ASSERT_EQ(res[1].of.i64, 6);
  ASSERT_TRUE(res[2].of.f64 == 2.5);
  /* State persists across calls on one instance. */
  ASSERT_OK(baton_instance_call(inst, "counter", NULL, 0, res, 1, &trap));
  ASSERT_OK(baton_instance_call(inst, "counter", NULL, 0, res, 1, &trap));
  ASSERT_EQ(res[0].of.i32, 2);
  /* Argument errors are host errors, not traps. */
  baton_error_t *err = baton_instance_call(inst, "div", args, 1, res, 1, &trap);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_ETYPE);
  baton_error_delete(err);
  args[0] = I64(1);
  args[1] = I32(1);
  err = baton_instance_call(inst, "div", args, 2, res, 1, &trap);
  ASSERT_NOT_NULL(err);
  ASSERT_CONTAINS(baton_error_message(err), "argument 0: expected i32, got i64");
  baton_error_delete(err);
  err = baton_instance_call(inst, "nope", NULL, 0, res, 0, &trap);
  ASSERT_EQ(baton_error_code(err), BATON_ENOT_FOUND);
  baton_error_delete(err);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(every_trap_kind) {
  baton_module_t *m = load("traps.wasm");
  ASSERT_NOT_NULL(m);
  struct {
    const char *fn;
    baton_val_t args[2];
    size_t nargs, nres;
    baton_trap_kind_t kind;
    const char *msg;
  } cases[] = {
      {"div", {I32(1), I32(0)}, 2, 1, BATON_TRAP_DIV_BY_ZERO, "integer divide by zero (in export \"div\")"},
      {"div", {I32(INT32_MIN), I32(-1)}, 2, 1, BATON_TRAP_INT_OVERFLOW, "integer overflow"},
      {"unreachable", {{0}}, 0, 0, BATON_TRAP_UNREACHABLE, "unreachable executed"},
      {"load", {I32(65536)}, 1, 1, BATON_TRAP_OOB, "out of bounds memory access"},
      {"load_offset", {I32(1)}, 1, 1, BATON_TRAP_OOB, "out of bounds"},
      {"store", {I32(-1), I32(1)}, 2, 0, BATON_TRAP_OOB, "out of bounds"},
      {"call_table", {I32(1)}, 1, 1, BATON_TRAP_CALL_INDIRECT, "indirect call type mismatch"},
      {"call_table", {I32(3)}, 1, 1, BATON_TRAP_UNINITIALIZED_ELEMENT, "uninitialized element"},
      {"call_table", {I32(4)}, 1, 1, BATON_TRAP_UNDEFINED_ELEMENT, "undefined element"},
      {"call_table", {I32(100)}, 1, 1, BATON_TRAP_UNDEFINED_ELEMENT, "undefined element"},
      {"call_table", {I32(-1)}, 1, 1, BATON_TRAP_UNDEFINED_ELEMENT, "undefined element"},
      {"table_get", {I32(4)}, 1, 1, BATON_TRAP_TABLE_OOB, "out of bounds table access"},
      {"trunc", {F64(0.0 / 0.0)}, 1, 1, BATON_TRAP_INVALID_CONVERSION, "invalid conversion"},
      {"trunc", {F64(1e20)}, 1, 1, BATON_TRAP_INT_OVERFLOW, "integer overflow"},
      {"recurse", {I32(0)}, 1, 1, BATON_TRAP_EXHAUSTION, "call stack exhausted"},
  };
  for (size_t i = 0; i < BT_ARRAY_LEN(cases); i++) {
    baton_instance_t *inst = traps_instance(m, 0, 0);
    ASSERT_NOT_NULL(inst);
    char msg[256] = "";
    baton_trap_kind_t k = expect_trap(inst, cases[i].fn, cases[i].args, cases[i].nargs, cases[i].nres, msg, sizeof msg);
    if (k != cases[i].kind) fprintf(stderr, "case %zu (%s): got %s: %s\n", i, cases[i].fn, baton_trap_kind_name(k), msg);
    ASSERT_EQ(k, cases[i].kind);
    ASSERT_CONTAINS(msg, cases[i].msg);
    ASSERT_CONTAINS(msg, cases[i].fn);
    /* A core instance stays usable after a trap (the core spec's rule). */
    ASSERT_EQ(expect_trap(inst, "size", NULL, 0, 1, NULL, 0), BATON_TRAP_NONE);
    baton_instance_delete(inst);
    /* One created with poison_on_trap refuses further calls. */
    inst = traps_instance_opt(m, 0, 0, true);
    ASSERT_NOT_NULL(inst);
    ASSERT_EQ(expect_trap(inst, cases[i].fn, cases[i].args, cases[i].nargs, cases[i].nres, NULL, 0), cases[i].kind);
    ASSERT_EQ(expect_trap(inst, "size", NULL, 0, 1, NULL, 0), BATON_TRAP_POISONED);
    baton_instance_delete(inst);
  }
  /* The host is intact: a fresh instance still works. */
  baton_instance_t *inst = traps_instance(m, 0, 0);
  baton_val_t args[2] = {I32(9), I32(3)}, res[1];
  baton_trap_t *trap;
  ASSERT_OK(baton_instance_call(inst, "div", args, 2, res, 1, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(res[0].of.i32, 3);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(deadline_interrupts_guest) {
  baton_module_t *m = load("traps.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = traps_instance(m, 50, 0);
  char msg[256];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ASSERT_EQ(expect_trap(inst, "forever", NULL, 0, 0, msg, sizeof msg), BATON_TRAP_TIMEOUT);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  ASSERT_CONTAINS(msg, "deadline exceeded");
  ASSERT_CONTAINS(msg, "forever");
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  ASSERT_TRUE(ms >= 45); /* it did run until the deadline, not fail early */
  baton_instance_delete(inst);
  /* A call that finishes in time is unaffected, and the timer is disarmed:
   * a later long computation without a deadline is not interrupted. */
  inst = traps_instance(m, 5000, 0);
  baton_val_t arg = I64(1000), res;
  baton_trap_t *trap;
  ASSERT_OK(baton_instance_call(inst, "spin", &arg, 1, &res, 1, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(res.of.i64, 1000);
  baton_instance_delete(inst);
  inst = traps_instance(m, 0, 0);
  arg = I64(50 * 1000 * 1000);
  ASSERT_OK(baton_instance_call(inst, "spin", &arg, 1, &res, 1, &trap));
  ASSERT_NULL(trap);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(memory_limit) {
  baton_module_t *m = load("traps.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = traps_instance(m, 0, 4 * 65536);
  ASSERT_NOT_NULL(inst);
  baton_val_t arg = I32(3), res;
  baton_trap_t *trap;
  ASSERT_OK(baton_instance_call(inst, "grow", &arg, 1, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, 1); /* 1 -> 4 pages: at the limit */
  arg = I32(1);
  ASSERT_OK(baton_instance_call(inst, "grow", &arg, 1, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, -1); /* over the limit: memory.grow fails */
  size_t size;
  ASSERT_NOT_NULL(baton_instance_memory(inst, &size));
  ASSERT_EQ(size, 4 * 65536);
  baton_instance_delete(inst);
  inst = traps_instance(m, 0, 1 << 20);
  char msg[256];
  ASSERT_EQ(expect_trap(inst, "grow_until_trap", NULL, 0, 0, msg, sizeof msg), BATON_TRAP_UNREACHABLE);
  ASSERT_CONTAINS(msg, "memory limit of 1048576 bytes reached");
  baton_instance_delete(inst);
  /* A module whose initial memory exceeds the limit does not instantiate. */
  baton_linker_t *l;
  ASSERT_OK(baton_linker_new(g_engine, &l));
  baton_instance_config_t cfg = {.max_memory = 100}; /* traps.wasm needs a page */
  baton_error_t *err = baton_instance_new(l, m, &cfg, &inst, &trap);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_ELIMIT);
  ASSERT_CONTAINS(baton_error_message(err), "over the limit of 100 bytes");
  baton_error_delete(err);
  baton_linker_delete(l);
  baton_module_delete(m);
}

/* ---- host imports ---- */

static int g_add_calls;

static baton_trap_t *host_add(void *env, baton_caller_t *caller, const baton_val_t *args, baton_val_t *results) {
  g_add_calls++;
  results[0].of.i32 = args[0].of.i32 + args[1].of.i32 + *(int *)env;
  return NULL;
}

static baton_trap_t *host_trap(void *env, baton_caller_t *caller, const baton_val_t *args, baton_val_t *results) {
  size_t size;
  uint8_t *mem = baton_caller_memory(caller, &size);
  return baton_trap_new(BATON_TRAP_HOST, "host refused: memory says %.5s", mem ? (char *)mem + 100 : "?");
}

static baton_trap_t *host_sleep(void *env, baton_caller_t *caller, const baton_val_t *args, baton_val_t *results) {
  usleep((useconds_t)args[0].of.i32 * 1000);
  return NULL;
}

static baton_trap_t *host_i64(void *env, baton_caller_t *caller, const baton_val_t *args, baton_val_t *results) {
  results[0].of.i64 = args[0].of.i64 * 2 + (int64_t)(args[1].of.f32 * 2) + (int64_t)(args[2].of.f64 * 4);
  return NULL;
}

static int g_finalized;
static void finalize(void *env) { g_finalized++; }

static baton_linker_t *imports_linker(int *offset) {
  baton_linker_t *l;
  baton_error_t *lerr = baton_linker_new(g_engine, &l);
  if (lerr) {
    baton_error_delete(lerr);
    return NULL;
  }
  baton_valkind_t ii_i[] = {BATON_I32, BATON_I32, BATON_I32};
  baton_valkind_t i64s[] = {BATON_I64, BATON_F32, BATON_F64, BATON_I64};
  baton_functype_t t_add = {ii_i, 2, ii_i + 2, 1}, t_void = {NULL, 0, NULL, 0},
                   t_sleep = {ii_i, 1, NULL, 0}, t_i64 = {i64s, 3, i64s + 3, 1};
  baton_error_t *err = baton_linker_define_func(l, "env", "host_add", &t_add, host_add, offset, finalize);
  if (!err) err = baton_linker_define_func(l, "env", "host_trap", &t_void, host_trap, NULL, NULL);
  if (!err) err = baton_linker_define_func(l, "env", "host_sleep", &t_sleep, host_sleep, NULL, NULL);
  if (!err) err = baton_linker_define_func(l, "env", "host_i64", &t_i64, host_i64, NULL, NULL);
  if (err) {
    baton_error_delete(err);
    baton_linker_delete(l);
    return NULL;
  }
  return l;
}

TEST(host_imports) {
  baton_module_t *m = load("imports.wasm");
  ASSERT_NOT_NULL(m);
  static int offset = 100;
  g_finalized = 0;
  baton_linker_t *l = imports_linker(&offset);
  ASSERT_NOT_NULL(l);
  baton_instance_t *inst;
  baton_trap_t *trap;
  ASSERT_OK(baton_instance_new(l, m, NULL, &inst, &trap));
  ASSERT_NULL(trap);
  baton_val_t args[2] = {I32(2), I32(3)}, res;
  g_add_calls = 0;
  ASSERT_OK(baton_instance_call(inst, "callhost", args, 2, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, 105);
  args[0] = I32(1000);
  ASSERT_OK(baton_instance_call(inst, "loop_host", args, 1, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, 1000 * 101);
  ASSERT_EQ(g_add_calls, 1001);
  args[0] = I64(10);
  ASSERT_OK(baton_instance_call(inst, "call_i64", args, 1, &res, 1, &trap));
  ASSERT_EQ(res.of.i64, 20 + 3 + 9);
  /* A host trap unwinds the guest and carries the host's message. */
  char msg[256];
  ASSERT_EQ(expect_trap(inst, "calltrap", NULL, 0, 1, msg, sizeof msg), BATON_TRAP_HOST);
  ASSERT_CONTAINS(msg, "host refused: memory says baton");
  ASSERT_CONTAINS(msg, "calltrap");
  baton_instance_delete(inst);
  /* The linker's definitions outlive the linker while instances use them. */
  ASSERT_OK(baton_instance_new(l, m, NULL, &inst, &trap));
  baton_linker_delete(l);
  ASSERT_EQ(g_finalized, 0);
  args[0] = I32(1);
  args[1] = I32(1);
  ASSERT_OK(baton_instance_call(inst, "callhost", args, 2, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, 102);
  baton_instance_delete(inst);
  ASSERT_EQ(g_finalized, 1);
  baton_module_delete(m);
}

TEST(deadline_deferred_across_host_call) {
  baton_module_t *m = load("imports.wasm");
  ASSERT_NOT_NULL(m);
  static int offset = 0;
  baton_linker_t *l = imports_linker(&offset);
  baton_instance_t *inst;
  baton_trap_t *trap;
  baton_instance_config_t cfg = {.timeout_ms = 30};
  ASSERT_OK(baton_instance_new(l, m, &cfg, &inst, &trap));
  /* The deadline passes while the host sleeps; the host call completes and
   * the guest is stopped when it returns. */
  baton_val_t arg = I32(100);
  char msg[256];
  ASSERT_EQ(expect_trap(inst, "sleep", &arg, 1, 0, msg, sizeof msg), BATON_TRAP_TIMEOUT);
  baton_instance_delete(inst);
  ASSERT_OK(baton_instance_new(l, m, &cfg, &inst, &trap));
  arg = I32(5);
  ASSERT_EQ(expect_trap(inst, "sleep_then_spin", &arg, 1, 0, msg, sizeof msg), BATON_TRAP_TIMEOUT);
  baton_instance_delete(inst);
  baton_linker_delete(l);
  baton_module_delete(m);
}

TEST(link_errors) {
  baton_module_t *m = load("imports.wasm");
  ASSERT_NOT_NULL(m);
  baton_linker_t *l;
  ASSERT_OK(baton_linker_new(g_engine, &l));
  baton_instance_pre_t *pre = NULL;
  baton_error_t *err = baton_instance_pre_new(l, m, &pre);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_ELINK);
  ASSERT_CONTAINS(baton_error_message(err), "unresolved import env.host_add with signature (i32, i32) -> (i32)");
  baton_error_delete(err);
  baton_valkind_t k[] = {BATON_I64};
  baton_functype_t wrong = {k, 1, NULL, 0};
  ASSERT_OK(baton_linker_define_func(l, "env", "host_add", &wrong, host_add, NULL, NULL));
  err = baton_linker_define_func(l, "env", "host_add", &wrong, host_add, NULL, NULL);
  ASSERT_CONTAINS(baton_error_message(err), "already defined");
  baton_error_delete(err);
  err = baton_instance_pre_new(l, m, &pre);
  ASSERT_CONTAINS(baton_error_message(err),
                  "import env.host_add has signature (i32, i32) -> (i32) but the host provides (i64) -> ()");
  baton_error_delete(err);
  baton_linker_delete(l);
  baton_module_delete(m);
}

TEST(bad_modules) {
  uint8_t bad_magic[] = {0, 'a', 's', 'x', 1, 0, 0, 0};
  baton_module_t *m = NULL;
  baton_error_t *err = baton_module_new(g_engine, bad_magic, sizeof bad_magic, "bad.wasm", &m);
  ASSERT_NOT_NULL(err);
  ASSERT_NULL(m);
  ASSERT_EQ(baton_error_code(err), BATON_EMALFORMED);
  ASSERT_CONTAINS(baton_error_message(err), "bad.wasm");
  baton_error_delete(err);
  size_t len;
  unsigned char *bytes = t_read_file(t_guest("traps.wasm"), &len);
  ASSERT_NOT_NULL(bytes);
  err = baton_module_new(g_engine, bytes, len / 2, "half.wasm", &m);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_EMALFORMED);
  baton_error_delete(err);
  free(bytes);
  err = baton_module_new_file(g_engine, "/nonexistent/x.wasm", &m);
  ASSERT_EQ(baton_error_code(err), BATON_EIO);
  baton_error_delete(err);
  /* A shared memory (threads) is valid but unsupported: refused before any
   * compilation, with the reason. */
  err = baton_module_new_file(g_engine, t_guest("shared_memory.wasm"), &m);
  ASSERT_EQ(baton_error_code(err), BATON_EUNSUPPORTED);
  ASSERT_CONTAINS(baton_error_message(err), "shared (threads) memories are not supported");
  baton_error_delete(err);
  /* Ill-typed body: rejected by baton's validator before wasm2c runs. */
  err = baton_module_new_file(g_engine, t_guest("bad_body.wasm"), &m);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_EINVALID);
  ASSERT_CONTAINS(baton_error_message(err),
                  "code section: function 0: type mismatch: i32.add expects "
                  "i32 but got nothing");
  baton_error_delete(err);
}

TEST(instances_share_memory_table_global) {
  baton_module_t *pm = load("link_provider.wasm"), *um = load("link_user.wasm");
  ASSERT_NOT_NULL(pm);
  ASSERT_NOT_NULL(um);
  baton_linker_t *empty, *l;
  baton_instance_t *prov, *user;
  baton_trap_t *trap;
  ASSERT_OK(baton_linker_new(g_engine, &empty));
  ASSERT_OK(baton_instance_new(empty, pm, NULL, &prov, &trap));
  ASSERT_OK(baton_linker_new(g_engine, &l));
  /* Unresolved and mistyped non-function imports are link errors. */
  baton_instance_pre_t *pre;
  baton_error_t *err = baton_instance_pre_new(l, um, &pre);
  ASSERT_CONTAINS(baton_error_message(err), "unresolved import p.mem (a memory)");
  baton_error_delete(err);
  ASSERT_OK(baton_linker_define_export(l, "p", "mem", prov, "triple"));
  err = baton_instance_pre_new(l, um, &pre);
  ASSERT_CONTAINS(baton_error_message(err), "import p.mem is a memory but the linker provides a function");
  baton_error_delete(err);
  baton_linker_delete(l);
  ASSERT_OK(baton_linker_new(g_engine, &l));
  ASSERT_OK(baton_linker_define_instance(l, "p", prov));
  ASSERT_OK(baton_instance_new(l, um, NULL, &user, &trap));
  ASSERT_NULL(trap);
  baton_val_t args[2] = {I32(300), I32(42)}, res;
  ASSERT_OK(baton_instance_call(user, "poke", args, 2, NULL, 0, &trap));
  ASSERT_OK(baton_instance_call(prov, "peek", args, 1, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, 42); /* one memory, two instances */
  args[0] = I32(2);
  ASSERT_OK(baton_instance_call(user, "grow", args, 1, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, 1);
  ASSERT_OK(baton_instance_call(prov, "size", NULL, 0, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, 3); /* grown through the importer */
  ASSERT_OK(baton_instance_call(user, "call_slot0", NULL, 0, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, 7); /* the provider's function through the shared table */
  ASSERT_OK(baton_instance_call(user, "bump", NULL, 0, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, 6);
  ASSERT_OK(baton_instance_call(prov, "get_counter", NULL, 0, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, 6); /* the global is shared */
  ASSERT_OK(baton_instance_call(user, "k", NULL, 0, &res, 1, &trap));
  ASSERT_EQ(res.of.i64, 64);
  args[0] = I32(5);
  ASSERT_OK(baton_instance_call(user, "triple_plus_one", args, 1, &res, 1, &trap));
  ASSERT_EQ(res.of.i32, 16); /* a function import served by another instance */
  char msg[256];
  ASSERT_EQ(expect_trap(user, "oob", NULL, 0, 1, msg, sizeof msg), BATON_TRAP_OOB);
  baton_instance_delete(user);
  baton_instance_delete(prov);
  baton_linker_delete(l);
  baton_linker_delete(empty);
  baton_module_delete(um);
  baton_module_delete(pm);
}

/* Spec conformance regressions: an imported function reached through a
 * table (it used to crash the host), a repeated import, reference types at
 * the boundary, a name with U+0000, and exported globals. */
TEST(conformance_regressions) {
  baton_module_t *pm = load("link_provider.wasm"), *cm = load("conform_user.wasm");
  ASSERT_NOT_NULL(pm);
  ASSERT_NOT_NULL(cm);
  baton_linker_t *empty, *l;
  baton_instance_t *prov, *c;
  baton_trap_t *trap;
  ASSERT_OK(baton_linker_new(g_engine, &empty));
  ASSERT_OK(baton_instance_new(empty, pm, NULL, &prov, &trap));
  ASSERT_OK(baton_linker_new(g_engine, &l));
  ASSERT_OK(baton_linker_define_instance(l, "p", prov));
  ASSERT_OK(baton_instance_new(l, cm, NULL, &c, &trap));
  ASSERT_NULL(trap);
  baton_val_t a[1] = {I32(2)}, r[1];
  ASSERT_OK(baton_instance_call(c, "call", a, 1, r, 1, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(r[0].of.i32, 7);
  a[0] = I32(4);
  ASSERT_OK(baton_instance_call(c, "both", a, 1, r, 1, &trap));
  ASSERT_EQ(r[0].of.i32, 24);
  /* externref passes through unchanged; funcref null-ness is preserved. */
  int host_obj;
  baton_val_t e = {.kind = BATON_EXTERNREF, .of.ref = &host_obj};
  ASSERT_OK(baton_instance_call(c, "id_ext", &e, 1, r, 1, &trap));
  ASSERT_EQ(r[0].kind, BATON_EXTERNREF);
  ASSERT_TRUE(r[0].of.ref == &host_obj);
  baton_val_t f = {.kind = BATON_FUNCREF, .of.ref = NULL};
  ASSERT_OK(baton_instance_call(c, "is_null", &f, 1, r, 1, &trap));
  ASSERT_EQ(r[0].of.i32, 1);
  a[0] = I32(2);
  ASSERT_OK(baton_instance_call(c, "get_fn", a, 1, r, 1, &trap));
  ASSERT_EQ(r[0].kind, BATON_FUNCREF);
  ASSERT_NOT_NULL(r[0].of.ref);
  baton_val_t fn = r[0];
  ASSERT_OK(baton_instance_call(c, "is_null", &fn, 1, r, 1, &trap));
  ASSERT_EQ(r[0].of.i32, 0); /* a boxed funcref goes back in as itself */
  a[0] = I32(3);
  ASSERT_OK(baton_instance_call(c, "get_fn", a, 1, r, 1, &trap));
  ASSERT_NULL(r[0].of.ref);
  /* A trap in an out-of-range call_indirect leaves the instance usable. */
  a[0] = I32(9);
  ASSERT_OK(baton_instance_call(c, "call", a, 1, r, 1, &trap));
  ASSERT_NOT_NULL(trap);
  baton_trap_delete(trap);
  /* The export named "\0nul". */
  uint32_t idx;
  ASSERT_OK(baton_instance_lookup_n(c, "\0nul", 4, &idx, NULL));
  ASSERT_OK(baton_instance_call_index(c, idx, NULL, 0, r, 1, &trap));
  ASSERT_EQ(r[0].of.i32, 5);
  size_t n = baton_module_export_count(cm);
  bool found = false;
  for (size_t i = 0; i < n; i++) {
    baton_extern_desc_t d;
    ASSERT_TRUE(baton_module_export(cm, i, &d));
    if (d.name_len == 4 && !memcmp(d.name, "\0nul", 4)) found = true;
  }
  ASSERT_TRUE(found);
  /* Exported globals. */
  baton_val_t g;
  ASSERT_OK(baton_instance_global_get(c, "g", 1, &g));
  ASSERT_EQ(g.kind, BATON_I32);
  ASSERT_EQ(g.of.i32, 5);
  g.of.i32 = 41;
  ASSERT_OK(baton_instance_global_set(c, "g", 1, &g));
  ASSERT_OK(baton_instance_call(c, "bump", NULL, 0, r, 1, &trap));
  ASSERT_EQ(r[0].of.i32, 42);
  ASSERT_OK(baton_instance_global_get(c, "g64", 3, &g));
  ASSERT_EQ(g.of.i64, -2);
  baton_error_t *err = baton_instance_global_set(c, "g64", 3, &g);
  ASSERT_EQ(baton_error_code(err), BATON_ESTATE);
  baton_error_delete(err);
  err = baton_instance_global_set(c, "g", 1, &(baton_val_t){.kind = BATON_I64});
  ASSERT_EQ(baton_error_code(err), BATON_ETYPE);
  baton_error_delete(err);
  err = baton_instance_global_get(c, "nope", 4, &g);
  ASSERT_EQ(baton_error_code(err), BATON_ENOT_FOUND);
  baton_error_delete(err);
  ASSERT_OK(baton_instance_call(c, "keep", &e, 1, NULL, 0, &trap));
  ASSERT_OK(baton_instance_global_get(c, "r", 1, &g));
  ASSERT_EQ(g.kind, BATON_EXTERNREF);
  ASSERT_TRUE(g.of.ref == &host_obj);
  baton_instance_delete(c);
  baton_instance_delete(prov);
  baton_linker_delete(l);
  baton_linker_delete(empty);
  baton_module_delete(cm);
  baton_module_delete(pm);
}

TEST(cache_hit_on_second_load) {
  baton_module_t *a = load("traps.wasm"), *b = load("traps.wasm");
  ASSERT_NOT_NULL(a);
  ASSERT_NOT_NULL(b);
  ASSERT_TRUE(baton_module_cache_hit(b));
  ASSERT_STREQ(baton_module_cache_path(a), baton_module_cache_path(b));
  ASSERT_EQ(access(baton_module_cache_path(a), R_OK), 0);
  baton_module_delete(a);
  baton_module_delete(b);
}

TEST(pooled_memory_is_zeroed_and_data_reapplied) {
  baton_module_t *m = load("imports.wasm");
  ASSERT_NOT_NULL(m);
  static int offset = 0;
  baton_linker_t *l = imports_linker(&offset);
  baton_instance_pre_t *pre;
  ASSERT_OK(baton_instance_pre_new(l, m, &pre));
  for (int round = 0; round < 3; round++) {
    baton_instance_t *inst;
    baton_trap_t *trap;
    ASSERT_OK(baton_instance_pre_instantiate(pre, NULL, &inst, &trap));
    baton_val_t args[2] = {I32(5000), I32(0)}, res;
    ASSERT_OK(baton_instance_call(inst, "peek", args, 1, &res, 1, &trap));
    ASSERT_EQ(res.of.i32, 0); /* what the previous round wrote is gone */
    args[0] = I32(100);
    ASSERT_OK(baton_instance_call(inst, "peek", args, 1, &res, 1, &trap));
    ASSERT_EQ(res.of.i32, 'b'); /* the data segment is there again */
    args[0] = I32(5000);
    args[1] = I32(77);
    ASSERT_OK(baton_instance_call(inst, "poke", args, 2, NULL, 0, &trap));
    args[0] = I32(100);
    ASSERT_OK(baton_instance_call(inst, "poke", args, 2, NULL, 0, &trap));
    size_t size;
    uint8_t *mem = baton_instance_memory(inst, &size);
    ASSERT_EQ(mem[5000], 77);
    ASSERT_EQ(size, 65536);
    baton_instance_delete(inst);
  }
  baton_instance_pre_delete(pre);
  baton_linker_delete(l);
  baton_module_delete(m);
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

TEST(many_instances_keep_rss_flat) {
  baton_module_t *m = load("traps.wasm");
  ASSERT_NOT_NULL(m);
  baton_linker_t *l;
  ASSERT_OK(baton_linker_new(g_engine, &l));
  baton_instance_pre_t *pre;
  ASSERT_OK(baton_instance_pre_new(l, m, &pre));
  long before = 0;
  int n = getenv("BATON_QUICK") ? 20000 : 100000;
  for (int i = 0; i < n; i++) {
    if (i == 2000) before = rss_kb();
    baton_instance_t *inst;
    baton_trap_t *trap;
    ASSERT_OK(baton_instance_pre_instantiate(pre, NULL, &inst, &trap));
    ASSERT_NULL(trap);
    baton_val_t res;
    ASSERT_OK(baton_instance_call(inst, "counter", NULL, 0, &res, 1, &trap));
    ASSERT_EQ(res.of.i32, 1);
    if (i % 1000 == 0) { /* some instances trap: that path must not leak either */
      baton_val_t a = I32(70000);
      baton_instance_call(inst, "load", &a, 1, &res, 1, &trap);
      ASSERT_NOT_NULL(trap);
      baton_trap_delete(trap);
    }
    baton_instance_delete(inst);
  }
  long after = rss_kb();
  fprintf(stderr, "rss: %ld KiB after 2000, %ld KiB after %d instances\n", before, after, n);
#if defined(__SANITIZE_ADDRESS__) || defined(__has_feature)
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define BT_ASAN 1
#endif
#endif
#ifndef BT_ASAN
  ASSERT_TRUE(after - before < 4096); /* ASan's quarantine keeps freed memory */
#endif
  baton_instance_pre_delete(pre);
  baton_linker_delete(l);
  baton_module_delete(m);
}

typedef struct {
  baton_module_t *m;
  int ok;
} thread_arg_t;

static void *thread_main(void *p) {
  thread_arg_t *a = p;
  baton_linker_t *l;
  if (baton_linker_new(g_engine, &l)) return NULL;
  for (int i = 0; i < 200; i++) {
    baton_instance_t *inst;
    baton_trap_t *trap;
    baton_instance_config_t cfg = {.timeout_ms = i % 50 == 0 ? 20 : 0};
    baton_error_t *err = baton_instance_new(l, a->m, &cfg, &inst, &trap);
    if (err) {
      baton_error_delete(err);
      break;
    }
    baton_val_t args[2] = {I32(i * 10), I32(10)}, res;
    const char *fn = "div";
    if (i % 50 == 0) fn = "forever";
    else if (i % 7 == 0) args[1] = I32(0);
    err = baton_instance_call(inst, fn, args, i % 50 == 0 ? 0 : 2, &res, i % 50 == 0 ? 0 : 1, &trap);
    int good;
    if (i % 50 == 0) good = trap && baton_trap_kind(trap) == BATON_TRAP_TIMEOUT;
    else if (i % 7 == 0) good = trap && baton_trap_kind(trap) == BATON_TRAP_DIV_BY_ZERO;
    else good = !err && !trap && res.of.i32 == i;
    a->ok += good;
    baton_trap_delete(trap);
    baton_error_delete(err);
    baton_instance_delete(inst);
  }
  baton_linker_delete(l);
  return NULL;
}

TEST(threads_run_concurrently) {
  baton_module_t *m = load("traps.wasm");
  ASSERT_NOT_NULL(m);
  pthread_t th[4];
  thread_arg_t args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (thread_arg_t){m, 0};
    ASSERT_EQ(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    ASSERT_EQ(args[i].ok, 200);
  }
  baton_module_delete(m);
}

TEST(allocation_failures) {
  baton_module_t *m = load("imports.wasm");
  ASSERT_NOT_NULL(m);
  static int offset = 1;
  int succeeded = 0;
  for (long n = 0; n < 200 && !succeeded; n++) {
    bt_alloc_fail_after(n);
    baton_linker_t *l = imports_linker(&offset);
    baton_instance_t *inst = NULL;
    baton_trap_t *trap = NULL;
    baton_error_t *err = l ? baton_instance_new(l, m, NULL, &inst, &trap) : NULL;
    bt_alloc_fail_after(-1);
    if (l && !err && inst) {
      baton_val_t args[2] = {I32(1), I32(2)}, res;
      ASSERT_OK(baton_instance_call(inst, "callhost", args, 2, &res, 1, &trap));
      ASSERT_EQ(res.of.i32, 4);
      succeeded = 1;
    } else if (err) {
      ASSERT_EQ(baton_error_code(err), BATON_ENO_MEMORY);
    }
    baton_error_delete(err);
    baton_trap_delete(trap);
    baton_instance_delete(inst);
    baton_linker_delete(l);
  }
  ASSERT_TRUE(succeeded);
  baton_module_delete(m);
}

/* ---- AOT conformance: recursion, NaN quieting, libm, failed compiles ---- */

/* Returns an engine whose AOT compiler is `cc` (default cache directory), or
 * NULL when that compiler is not installed. */
static baton_engine_t *engine_with_cc(const char *cc) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", cc);
  if (system(cmd) != 0) return NULL;
  baton_config_t *cfg = baton_config_new();
  baton_engine_t *e = NULL;
  baton_error_t *err = cfg ? baton_config_set_cc(cfg, cc) : NULL;
  if (!cfg || err || baton_engine_new(cfg, &e)) e = NULL;
  baton_error_delete(err);
  return e;
}

static baton_instance_t *instance_of(baton_engine_t *e, const char *guest, uint64_t timeout_ms) {
  baton_module_t *m = NULL;
  baton_error_t *err = baton_module_new_file(e, t_guest(guest), &m);
  if (err) {
    fprintf(stderr, "load %s: %s\n", guest, baton_error_message(err));
    baton_error_delete(err);
    return NULL;
  }
  baton_linker_t *l = NULL;
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_instance_config_t cfg = {.timeout_ms = timeout_ms};
  if (!baton_linker_new(e, &l)) baton_error_delete(baton_instance_new(l, m, &cfg, &inst, &trap));
  baton_trap_delete(trap);
  baton_linker_delete(l);
  baton_module_delete(m); /* the instance keeps it */
  return inst;
}

static double ms_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

typedef struct {
  baton_engine_t *engine;
  baton_trap_kind_t runaway; /* trap of runaway() */
  int32_t depth;             /* depth(10000), -1 on failure */
} recursion_thread_t;

/* Runs runaway() and depth(10000) on a worker thread. */
static void *recursion_thread(void *p) {
  recursion_thread_t *r = p;
  r->depth = -1;
  baton_instance_t *inst = instance_of(r->engine, "recursion.wasm", 0);
  if (!inst) return NULL;
  r->runaway = expect_trap(inst, "runaway", NULL, 0, 0, NULL, 0);
  baton_val_t arg = I32(10000), res;
  baton_trap_t *trap = NULL;
  baton_error_t *err = baton_instance_call(inst, "depth", &arg, 1, &res, 1, &trap);
  if (!err && !trap) r->depth = res.of.i32;
  baton_error_delete(err);
  baton_trap_delete(trap);
  baton_instance_delete(inst);
  return NULL;
}

/* The recursion checks for one compiler's build of recursion.wasm. */
static void check_recursion(baton_engine_t *e, const char *cc) {
  fprintf(stderr, "   compiler: %s\n", cc);
  alarm(120); /* a compiler that turned the recursion into a loop hangs: die */
  static const struct {
    const char *fn;
    int64_t arg; /* < 0: no argument */
  } runaways[] = {{"runaway", -1}, {"mutual", -1}, {"runaway_indirect", -1}, {"fac-rec", 1073741824}};
  for (int with_deadline = 0; with_deadline < 2; with_deadline++) {
    baton_instance_t *inst = instance_of(e, "recursion.wasm", with_deadline ? 20000 : 0);
    ASSERT_NOT_NULL(inst);
    for (size_t i = 0; i < BT_ARRAY_LEN(runaways); i++) {
      baton_val_t arg = I64(runaways[i].arg);
      char msg[256] = "";
      struct timespec t0;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      baton_trap_kind_t k = expect_trap(inst, runaways[i].fn, &arg, runaways[i].arg < 0 ? 0 : 1,
                                        runaways[i].arg < 0 ? 0 : 1, msg, sizeof msg);
      if (k != BATON_TRAP_EXHAUSTION)
        fprintf(stderr, "%s (deadline %d): got %s: %s\n", runaways[i].fn, with_deadline, baton_trap_kind_name(k), msg);
      ASSERT_EQ(k, BATON_TRAP_EXHAUSTION);
      ASSERT_CONTAINS(msg, "call stack exhausted");
      ASSERT_TRUE(ms_since(&t0) < 10000); /* exhausted the stack, not the deadline */
    }
    /* Deep but legal recursion still works, on the same instance. */
    baton_val_t arg = I32(10000), res;
    baton_trap_t *trap = NULL;
    ASSERT_OK(baton_instance_call(inst, "depth", &arg, 1, &res, 1, &trap));
    ASSERT_NULL(trap);
    ASSERT_EQ(res.of.i32, 10000);
    arg = I64(20);
    ASSERT_OK(baton_instance_call(inst, "fac-rec", &arg, 1, &res, 1, &trap));
    ASSERT_EQ(res.of.i64, 2432902008176640000LL);
    baton_instance_delete(inst);
  }
  /* On a worker thread with a 1 MiB stack. */
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  recursion_thread_t r = {.engine = e};
  pthread_t th;
  ASSERT_EQ(pthread_create(&th, &attr, recursion_thread, &r), 0);
  pthread_join(th, NULL);
  pthread_attr_destroy(&attr);
  ASSERT_EQ(r.runaway, BATON_TRAP_EXHAUSTION);
  ASSERT_EQ(r.depth, 10000);
  alarm(0);
}

/* Runaway recursion (direct, mutual, indirect, non-tail fac) traps as stack
 * exhaustion with gcc and clang builds alike: the C compiler must not turn
 * the calls into loops. */
TEST(runaway_recursion_exhausts_stack) {
  check_recursion(g_engine, "default CC");
  baton_engine_t *e = engine_with_cc("clang");
  if (!e) {
    fprintf(stderr, "   clang not installed: clang build not checked\n");
    return;
  }
  check_recursion(e, "clang");
  baton_engine_delete(e);
}

/* A host function with a 16 KiB frame, like one that formats output. */
static baton_trap_t *host_tick(void *env, baton_caller_t *caller, const baton_val_t *args, baton_val_t *results) {
  volatile char buf[16384];
  memset((char *)buf, args[0].of.i32 & 0xff, sizeof buf);
  results[0].of.i32 = buf[sizeof buf - 1] & 1;
  return NULL;
}

/* Runs runaway_host() and deep_host(1000) of recursion_host.wasm; returns
 * the runaway's trap kind, or BATON_TRAP_NONE if deep_host failed. */
static void *host_recursion_thread(void *p) {
  baton_trap_kind_t *out = p;
  *out = BATON_TRAP_NONE;
  baton_module_t *m = NULL;
  baton_linker_t *l = NULL;
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_valkind_t ii[] = {BATON_I32, BATON_I32};
  baton_functype_t t = {ii, 1, ii + 1, 1};
  baton_error_t *err = baton_module_new_file(g_engine, t_guest("recursion_host.wasm"), &m);
  if (!err) err = baton_linker_new(g_engine, &l);
  if (!err) err = baton_linker_define_func(l, "env", "tick", &t, host_tick, NULL, NULL);
  if (!err) err = baton_instance_new(l, m, NULL, &inst, &trap);
  baton_val_t arg = I32(1000), res = I32(0);
  if (!err && !trap) err = baton_instance_call(inst, "deep_host", &arg, 1, &res, 1, &trap);
  if (!err && !trap && res.of.i32 == 500) *out = expect_trap(inst, "runaway_host", &arg, 1, 1, NULL, 0);
  baton_error_delete(err);
  baton_trap_delete(trap);
  baton_instance_delete(inst);
  baton_linker_delete(l);
  baton_module_delete(m);
  return NULL;
}

/* Runaway recursion that calls the host at every level runs out of stack in
 * host code: a clean exhaustion trap, not a crash, on any thread. */
TEST(runaway_recursion_through_host_traps) {
  baton_trap_kind_t k;
  host_recursion_thread(&k);
  ASSERT_EQ(k, BATON_TRAP_EXHAUSTION);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  pthread_t th;
  ASSERT_EQ(pthread_create(&th, &attr, host_recursion_thread, &k), 0);
  pthread_join(th, NULL);
  pthread_attr_destroy(&attr);
  ASSERT_EQ(k, BATON_TRAP_EXHAUSTION);
}

/* The float_nan.wasm checks for one compiler's build. */
static void check_nan_quieting(baton_engine_t *e, const char *cc) {
  fprintf(stderr, "   compiler: %s\n", cc);
  baton_instance_t *inst = instance_of(e, "float_nan.wasm", 0);
  ASSERT_NOT_NULL(inst);
  static const char *const ops[] = {"sub_zero", "neg0_sub", "mul_one", "neg1_mul", "div_one", "div_neg1", "sqrt"};
  static const uint32_t snan32[] = {0x7fa00000u, 0xffa00000u, 0x7f800001u};
  static const uint64_t snan64[] = {0x7ff4000000000000ull, 0xfff4000000000000ull, 0x7ff0000000000001ull};
  for (size_t i = 0; i < BT_ARRAY_LEN(ops); i++) {
    for (size_t j = 0; j < BT_ARRAY_LEN(snan32); j++) {
      char fn[32];
      baton_val_t arg, res;
      baton_trap_t *trap = NULL;
      snprintf(fn, sizeof fn, "f32.%s", ops[i]);
      arg.kind = BATON_F32;
      memcpy(&arg.of.f32, &snan32[j], 4);
      ASSERT_OK(baton_instance_call(inst, fn, &arg, 1, &res, 1, &trap));
      uint32_t b32;
      memcpy(&b32, &res.of.f32, 4);
      if ((b32 & 0x7fc00000u) != 0x7fc00000u) fprintf(stderr, "%s(%08x) = %08x\n", fn, snan32[j], b32);
      ASSERT_EQ(b32 & 0x7fc00000u, 0x7fc00000u); /* a NaN with the quiet bit set */
      snprintf(fn, sizeof fn, "f64.%s", ops[i]);
      arg.kind = BATON_F64;
      memcpy(&arg.of.f64, &snan64[j], 8);
      ASSERT_OK(baton_instance_call(inst, fn, &arg, 1, &res, 1, &trap));
      uint64_t b64;
      memcpy(&b64, &res.of.f64, 8);
      if ((b64 & 0x7ff8000000000000ull) != 0x7ff8000000000000ull)
        fprintf(stderr, "%s(%016llx) = %016llx\n", fn, (unsigned long long)snan64[j], (unsigned long long)b64);
      ASSERT_EQ(b64 & 0x7ff8000000000000ull, 0x7ff8000000000000ull);
    }
  }
  /* Numbers are unchanged; sqrt and nearest link and round to even. */
  baton_val_t arg = F64(-2.5), res;
  baton_trap_t *trap = NULL;
  ASSERT_OK(baton_instance_call(inst, "f64.neg1_mul", &arg, 1, &res, 1, &trap));
  ASSERT_TRUE(res.of.f64 == 2.5);
  arg = F64(2.25);
  ASSERT_OK(baton_instance_call(inst, "f64.sqrt", &arg, 1, &res, 1, &trap));
  ASSERT_TRUE(res.of.f64 == 1.5);
  arg = F64(2.5);
  ASSERT_OK(baton_instance_call(inst, "f64.nearest", &arg, 1, &res, 1, &trap));
  ASSERT_TRUE(res.of.f64 == 2.0);
  arg = F64(-3.5);
  ASSERT_OK(baton_instance_call(inst, "f64.nearest", &arg, 1, &res, 1, &trap));
  ASSERT_TRUE(res.of.f64 == -4.0);
  baton_instance_delete(inst);
}

/* Signalling NaNs through x-0, -0-x, x*1, -1*x, x/1, x/-1 and sqrt come
 * back quieted (the spec's float_exprs.wast) with gcc and clang builds. */
TEST(signalling_nans_are_quieted) {
  check_nan_quieting(g_engine, "default CC");
  baton_engine_t *e = engine_with_cc("clang");
  if (!e) {
    fprintf(stderr, "   clang not installed: clang build not checked\n");
    return;
  }
  check_nan_quieting(e, "clang");
  baton_engine_delete(e);
}

/* Extended constant expressions in globals and segment offsets are folded
 * for wasm2c (which cannot translate them); a module with ones that read
 * imported globals gets its initialisation in a start function. */
TEST(extended_const_expressions) {
  baton_instance_t *inst = instance_of(g_engine, "extended_const.wasm", 0);
  ASSERT_NOT_NULL(inst);
  static const struct {
    const char *fn;
    int32_t arg; /* < 0: none */
    int64_t want;
  } cases[] = {
      {"a", -1, 22},        {"b", -1, -4294967296LL}, {"c", -1, -2147483647}, {"w", -1, 65536},
      {"plain", -1, 5},     {"byte", 16, 42},         {"byte", 32, 0x6a},     {"byte", 37, 0x7e},
      {"slot", 6, 7},       {"slot", 2, 8},           {"slot2", -1, 7},
  };
  for (size_t i = 0; i < BT_ARRAY_LEN(cases); i++) {
    baton_val_t arg = I32(cases[i].arg), res;
    baton_trap_t *trap = NULL;
    ASSERT_OK(baton_instance_call(inst, cases[i].fn, &arg, cases[i].arg < 0 ? 0 : 1, &res, 1, &trap));
    ASSERT_NULL(trap);
    int64_t got = res.kind == BATON_I64 ? res.of.i64 : res.of.i32;
    if (got != cases[i].want) fprintf(stderr, "case %zu (%s)\n", i, cases[i].fn);
    ASSERT_EQ(got, cases[i].want);
  }
  baton_val_t arg = I32(3);
  ASSERT_EQ(expect_trap(inst, "slot", &arg, 1, 1, NULL, 0), BATON_TRAP_UNINITIALIZED_ELEMENT); /* ref.null */
  baton_instance_delete(inst);
  /* Ones that read imported globals: initialised in a start function. */
  baton_instance_t *base = instance_of(g_engine, "extended_const_base.wasm", 0);
  ASSERT_NOT_NULL(base);
  baton_module_t *m = NULL;
  baton_linker_t *l = NULL;
  baton_trap_t *trap = NULL;
  ASSERT_OK(baton_module_new_file(g_engine, t_guest("extended_const_import.wasm"), &m));
  ASSERT_OK(baton_linker_new(g_engine, &l));
  ASSERT_OK(baton_linker_define_instance(l, "env", base));
  ASSERT_OK(baton_instance_new(l, m, NULL, &inst, &trap));
  ASSERT_NULL(trap);
  static const struct {
    const char *fn;
    int32_t arg;
    int64_t want;
  } imp[] = {
      {"get_g", -1, 116}, {"h", -1, 0x300000003LL}, {"k", -1, 3},     {"byte", 8, 'a'},
      {"byte", 9, 'Z'},   {"byte", 116, 'y'},       {"byte", 200, 'y'}, {"slot", 5, 7},
      {"slot", 1, 7},
  };
  for (size_t i = 0; i < BT_ARRAY_LEN(imp); i++) {
    baton_val_t a = I32(imp[i].arg), res;
    ASSERT_OK(baton_instance_call(inst, imp[i].fn, &a, imp[i].arg < 0 ? 0 : 1, &res, 1, &trap));
    ASSERT_NULL(trap);
    int64_t got = res.kind == BATON_I64 ? res.of.i64 : res.of.i32;
    if (got != imp[i].want) fprintf(stderr, "import case %zu (%s)\n", i, imp[i].fn);
    ASSERT_EQ(got, imp[i].want);
  }
  baton_val_t g;
  ASSERT_OK(baton_instance_global_get(inst, "g", 1, &g));
  ASSERT_EQ(g.of.i32, 116);
  arg = I32(2);
  ASSERT_EQ(expect_trap(inst, "slot", &arg, 1, 1, NULL, 0), BATON_TRAP_UNINITIALIZED_ELEMENT);
  baton_instance_delete(inst);
  baton_linker_delete(l);
  baton_module_delete(m);
  baton_instance_delete(base);
}

/* Counts the lines of a file (0 when it does not exist). */
static int count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  int n = 0, c;
  if (!f) return 0;
  while ((c = fgetc(f)) != EOF) n += c == '\n';
  fclose(f);
  return n;
}

/* Loads traps.wasm with a private cache and the fake compiler `cc`;
 * returns the error (the caller frees it). */
static baton_error_t *load_with_cc(const char *cache, const char *cc) {
  baton_config_t *cfg = baton_config_new();
  baton_engine_t *e = NULL;
  baton_error_t *err = baton_config_set_cache_dir(cfg, cache);
  if (!err) err = baton_config_set_cc(cfg, cc);
  if (!err) err = baton_engine_new(cfg, &e);
  else baton_config_delete(cfg);
  baton_module_t *m = NULL;
  if (!err) err = baton_module_new_file(e, t_guest("traps.wasm"), &m);
  baton_module_delete(m);
  baton_engine_delete(e);
  return err;
}

/* A module that failed to compile is remembered in <key>.err (mode 0600):
 * loading it again, even from a new engine, returns the same error without
 * running wasm2c or the compiler. Transient failures are not remembered. */
TEST(failed_compile_is_remembered) {
  char dir[] = "/tmp/baton-negcache-XXXXXX", path[512], cache[512], count[512], cmd[1400];
  ASSERT_NOT_NULL(mkdtemp(dir));
  snprintf(cache, sizeof cache, "%s/cache", dir);
  snprintf(count, sizeof count, "%s/spawns", dir);
  /* wasm2c and the compiler each log a line per run; the compiler fails
   * with a verdict (exit 1) or with a transient error. */
  snprintf(cmd, sizeof cmd,
           "printf '#!/bin/sh\\necho wasm2c >>%s\\nPATH=${PATH#*:} exec wasm2c \"$@\"\\n' >%s/wasm2c && "
           "printf '#!/bin/sh\\necho cc >>%s\\necho \"fake-cc: error: refusing to compile\" >&2\\nexit 1\\n' >%s/cc && "
           "printf '#!/bin/sh\\necho cc >>%s\\necho \"fake-cc: No space left on device\" >&2\\nexit 1\\n' >%s/cc-full && "
           "chmod +x %s/wasm2c %s/cc %s/cc-full",
           count, dir, count, dir, count, dir, dir, dir, dir);
  ASSERT_EQ(system(cmd), 0);
  const char *old_path = getenv("PATH");
  char *saved = strdup(old_path ? old_path : "/usr/bin:/bin");
  char new_path[4096];
  snprintf(new_path, sizeof new_path, "%s:%s", dir, saved);
  setenv("PATH", new_path, 1);

  snprintf(path, sizeof path, "%s/cc", dir);
  baton_error_t *first = load_with_cc(cache, path);
  ASSERT_NOT_NULL(first);
  ASSERT_EQ(baton_error_code(first), BATON_ECOMPILE);
  ASSERT_CONTAINS(baton_error_message(first), "fake-cc: error: refusing to compile");
  ASSERT_EQ(count_lines(count), 2); /* wasm2c, cc */
  for (int i = 0; i < 2; i++) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    baton_error_t *again = load_with_cc(cache, path);
    double ms = ms_since(&t0);
    ASSERT_NOT_NULL(again);
    ASSERT_EQ(baton_error_code(again), BATON_ECOMPILE);
    ASSERT_STREQ(baton_error_message(again), baton_error_message(first));
    baton_error_delete(again);
    ASSERT_EQ(count_lines(count), 2); /* nothing spawned */
    ASSERT_TRUE(ms < 2000);
  }
  /* One .err entry, private, and no work directories left behind. */
  snprintf(cmd, sizeof cmd, "test \"$(ls %s | grep -c '\\.err$')\" = 1 && test -z \"$(ls %s | grep tmp-)\" && "
                            "test \"$(stat -c %%a %s/*.err)\" = 600", cache, cache, cache);
  ASSERT_EQ(system(cmd), 0);
  /* Without the entry the module is compiled again. */
  snprintf(cmd, sizeof cmd, "rm %s/*.err", cache);
  ASSERT_EQ(system(cmd), 0);
  baton_error_delete(load_with_cc(cache, path));
  ASSERT_EQ(count_lines(count), 4);
  /* BATON_KEEP_AOT retries, to keep the work files of the failure. */
  setenv("BATON_KEEP_AOT", "1", 1);
  baton_error_t *kept = load_with_cc(cache, path);
  unsetenv("BATON_KEEP_AOT");
  ASSERT_NOT_NULL(kept);
  ASSERT_CONTAINS(baton_error_message(kept), "work files kept in");
  baton_error_delete(kept);
  ASSERT_EQ(count_lines(count), 6);
  /* A full disk is not a verdict on the module: every load retries. */
  snprintf(path, sizeof path, "%s/cc-full", dir);
  for (int i = 0; i < 2; i++) {
    baton_error_t *err = load_with_cc(cache, path);
    ASSERT_NOT_NULL(err);
    ASSERT_CONTAINS(baton_error_message(err), "no space left on device for the cache directory");
    baton_error_delete(err);
  }
  ASSERT_EQ(count_lines(count), 10);
  setenv("PATH", saved, 1);
  free(saved);
  baton_error_delete(first);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ASSERT_EQ(system(cmd), 0);
}

int main(void) {
  baton_error_t *err = baton_engine_new(NULL, &g_engine);
  if (err) {
    fprintf(stderr, "engine: %s\n", baton_error_message(err));
    return 1;
  }
  RUN(calls_every_core_type);
  RUN(every_trap_kind);
  RUN(deadline_interrupts_guest);
  RUN(memory_limit);
  RUN(host_imports);
  RUN(deadline_deferred_across_host_call);
  RUN(link_errors);
  RUN(bad_modules);
  RUN(instances_share_memory_table_global);
  RUN(conformance_regressions);
  RUN(cache_hit_on_second_load);
  RUN(pooled_memory_is_zeroed_and_data_reapplied);
  RUN(many_instances_keep_rss_flat);
  RUN(threads_run_concurrently);
  RUN(allocation_failures);
  RUN(runaway_recursion_exhausts_stack);
  RUN(runaway_recursion_through_host_traps);
  RUN(signalling_nans_are_quieted);
  RUN(extended_const_expressions);
  RUN(failed_compile_is_remembered);
  baton_engine_delete(g_engine);
  TEST_MAIN_END();
}
