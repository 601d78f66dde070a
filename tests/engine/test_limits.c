/*
 * tests/engine/test_limits.c: limits on every resource an instance holds.
 * Table elements count against a per-instance budget (max_table_elements,
 * default BATON_DEFAULT_MAX_TABLE_ELEMENTS): table.grow past it returns -1
 * instead of allocating (eight tables grown to 10M elements each used to
 * reach 1.9 GB under a 64 KiB memory limit), and a module whose tables need
 * more initially is refused with BATON_ELIMIT. Live instances, linear
 * memories and tables per process are capped (baton_set_process_limits):
 * past a cap instantiation fails with BATON_ELIMIT naming it, and deleting
 * an instance gives its share back. This binary holds no other instances,
 * so the process counts are known.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/baton.h"
#include "test.h"

static baton_engine_t *g_engine;
static baton_linker_t *g_linker;

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

/* Calls export fn(a, b) (b < 0: fn(a)) and returns its i32 result. */
static int32_t call2(baton_instance_t *inst, const char *fn, int32_t a, int32_t b) {
  baton_val_t args[2] = {I32(a), I32(b)}, res = {0};
  baton_trap_t *trap = NULL;
  baton_error_t *err = baton_instance_call(inst, fn, args, b < 0 ? 1 : 2, &res, 1, &trap);
  if (err || trap) {
    fprintf(stderr, "%s: %s\n", fn, err ? baton_error_message(err) : baton_trap_message(trap));
    baton_error_delete(err);
    baton_trap_delete(trap);
    return INT32_MIN;
  }
  return res.of.i32;
}

/* Instantiates m with config (may be NULL); returns the error (or NULL). */
static baton_error_t *make(baton_module_t *m, const baton_instance_config_t *cfg, baton_instance_t **out) {
  baton_trap_t *trap = NULL;
  baton_error_t *err = baton_instance_new(g_linker, m, cfg, out, &trap);
  if (trap) {
    fprintf(stderr, "instantiate: %s\n", baton_trap_message(trap));
    baton_trap_delete(trap);
  }
  return err;
}

TEST(table_growth_past_the_default_budget_fails) {
  baton_module_t *m = load("tables_grow.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = NULL;
  /* The finding: a 64 KiB memory limit did not bound the tables. */
  baton_instance_config_t cfg = {.max_memory = 65536};
  ASSERT_OK(make(m, &cfg, &inst));
  for (int t = 0; t < 8; t++) ASSERT_EQ(call2(inst, "grow", t, 10 * 1000 * 1000), -1);
  for (int t = 0; t < 8; t++) ASSERT_EQ(call2(inst, "size", t, -1), 0);
  /* Up to the budget, spread over tables, then nothing more. */
  ASSERT_EQ(call2(inst, "grow", 0, BATON_DEFAULT_MAX_TABLE_ELEMENTS / 2), 0);
  ASSERT_EQ(call2(inst, "grow", 1, BATON_DEFAULT_MAX_TABLE_ELEMENTS / 2), 0);
  ASSERT_EQ(call2(inst, "grow", 2, 1), -1);
  ASSERT_EQ(call2(inst, "grow", 0, 1), -1);
  ASSERT_EQ(call2(inst, "grow", 2, 0), 0); /* growing by 0 always works */
  ASSERT_EQ(call2(inst, "size", 0, -1), (int32_t)BATON_DEFAULT_MAX_TABLE_ELEMENTS / 2);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(table_budget_is_configurable) {
  baton_module_t *m = load("tables_grow.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = NULL;
  baton_instance_config_t cfg = {.max_table_elements = 100};
  ASSERT_OK(make(m, &cfg, &inst));
  ASSERT_EQ(call2(inst, "grow", 3, 60), 0);
  ASSERT_EQ(call2(inst, "grow", 7, 41), -1);
  ASSERT_EQ(call2(inst, "grow", 7, 40), 0);
  ASSERT_EQ(call2(inst, "grow", 5, 1), -1);
  baton_instance_delete(inst);
  /* A fresh instance has its own budget. */
  cfg.max_table_elements = 2 * (uint64_t)BATON_DEFAULT_MAX_TABLE_ELEMENTS;
  ASSERT_OK(make(m, &cfg, &inst));
  ASSERT_EQ(call2(inst, "grow", 0, BATON_DEFAULT_MAX_TABLE_ELEMENTS + 1), 0);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

TEST(initial_tables_over_the_budget_are_refused) {
  baton_module_t *m = load("table_big.wasm");
  ASSERT_NOT_NULL(m);
  baton_instance_t *inst = NULL;
  baton_error_t *err = make(m, NULL, &inst);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_ELIMIT);
  ASSERT_CONTAINS(baton_error_message(err), "tables need 2000000 elements initially, over the limit of 1000000");
  baton_error_delete(err);
  ASSERT_NULL(inst);
  baton_instance_config_t cfg = {.max_table_elements = 2000000};
  ASSERT_OK(make(m, &cfg, &inst));
  ASSERT_EQ(call2(inst, "f", 0, -1), 2000000);
  baton_instance_delete(inst);
  baton_module_delete(m);
}

/* Instantiates m until the process cap named by `what` stops it after
 * `ok` instances; checks the error, then that freeing one makes room. */
static void expect_cap(baton_module_t *m, int ok, const char *what) {
  baton_instance_t *insts[8] = {0};
  for (int i = 0; i < ok; i++) ASSERT_OK(make(m, NULL, &insts[i]));
  baton_instance_t *extra = NULL;
  baton_error_t *err = make(m, NULL, &extra);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_ELIMIT);
  ASSERT_CONTAINS(baton_error_message(err), what);
  baton_error_delete(err);
  ASSERT_NULL(extra);
  baton_instance_delete(insts[0]);
  ASSERT_OK(make(m, NULL, &insts[0]));
  for (int i = 0; i < ok; i++) baton_instance_delete(insts[i]);
}

TEST(process_caps_on_instances_memories_and_tables) {
  baton_module_t *m = load("tables_grow.wasm"); /* 8 tables, 1 memory */
  ASSERT_NOT_NULL(m);
  baton_set_process_limits(3, 0, 0);
  expect_cap(m, 3, "the process limit of 3 live instances is reached");
  baton_set_process_limits(BATON_DEFAULT_MAX_INSTANCES, 2, 0);
  expect_cap(m, 2, "the process limit of 2 live linear memories is reached");
  baton_set_process_limits(0, BATON_DEFAULT_MAX_MEMORIES, 20);
  expect_cap(m, 2, "the process limit of 20 live tables is reached");
  baton_set_process_limits(0, 0, BATON_DEFAULT_MAX_TABLES);
  /* Back to the defaults: many instances at once are fine. */
  baton_instance_t *insts[8];
  for (int i = 0; i < 8; i++) ASSERT_OK(make(m, NULL, &insts[i]));
  for (int i = 0; i < 8; i++) baton_instance_delete(insts[i]);
  baton_module_delete(m);
}

int main(void) {
  baton_error_t *err = baton_engine_new(NULL, &g_engine);
  if (!err) err = baton_linker_new(g_engine, &g_linker);
  if (err) {
    fprintf(stderr, "engine: %s\n", baton_error_message(err));
    return 1;
  }
  RUN(table_growth_past_the_default_budget_fails);
  RUN(table_budget_is_configurable);
  RUN(initial_tables_over_the_budget_are_refused);
  RUN(process_caps_on_instances_memories_and_tables);
  baton_linker_delete(g_linker);
  baton_engine_delete(g_engine);
  TEST_MAIN_END();
}
