/*
 * tests/flow/test_flow.c: the flow compiler and runner with an in-process
 * fake invoker (C functions standing in for component exports), so every
 * rule is checked without guests: selectors and type checks, routing on
 * result cases, retries with backoff on traps, timeouts and err results,
 * compensation in reverse order, fan-out and join on threads, and the
 * load-time errors (mismatched types, unknown steps, cycles).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "baton/baton.h"
#include "flow/flow.h"
#include "test.h"
#include "wit/wit.h"

static const char *k_wit =
    "package test:flow;\n"
    "interface api {\n"
    "  record order { id: u32, qty: u32, price: u32 }\n"
    "  validate: func(o: order) -> result<order, string>;\n"
    "  price: func(o: order) -> u32;\n"
    "  reject: func(reason: string) -> string;\n"
    "  reserve: func(id: u32) -> result<u32, string>;\n"
    "  release: func(id: u32);\n"
    "  confirm: func(total: u32, reservation: u32) -> string;\n"
    "  flaky: func(n: u32) -> u32;\n"
    "  double: func(n: u32) -> u32;\n"
    "  add: func(a: u32, b: u32) -> u32;\n"
    "  name: func(n: u32) -> string;\n"
    "}\n"
    "world w { export api; }\n";

static bt_wit_resolve_t *g_wit;
static const bt_wit_interface_t *g_api;

static baton_error_t *lookup(void *ctx, const char *component, const char *export_name,
                             const bt_wit_function_t **fn) {
  if (strcmp(component, "shop")) return baton_error_new(BATON_ENOT_FOUND, "no component `%s`", component);
  *fn = bt_wit_interface_function(g_api, export_name);
  return *fn ? NULL : baton_error_new(BATON_ENOT_FOUND, "component shop has no export `%s`", export_name);
}

/* Fake component behaviour, configured per test. */
static atomic_int g_flaky_failures, g_calls_double, g_concurrent, g_max_concurrent;
static int g_confirm_fails, g_flaky_timeout, g_reserve_err_times;
static char g_log[1024];
static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;

static void logf_(const char *s) {
  pthread_mutex_lock(&g_log_lock);
  strncat(g_log, s, sizeof g_log - strlen(g_log) - 1);
  strncat(g_log, " ", sizeof g_log - strlen(g_log) - 1);
  pthread_mutex_unlock(&g_log_lock);
}

static void set_string(baton_value_t *v, const char *s) {
  v->kind = BATON_VALUE_STRING;
  v->of.str.len = strlen(s);
  v->of.str.ptr = strdup(s);
}

static void set_u32(baton_value_t *v, uint64_t x) {
  v->kind = BATON_VALUE_U32;
  v->of.u = x;
}

static baton_error_t *invoke(void *ctx, const char *component, const char *fn_name, const bt_wit_function_t *fn,
                             const baton_value_t *args, size_t nargs, uint64_t timeout_ms, void **instance,
                             baton_value_t *res, baton_trap_t **trap) {
  logf_(fn_name);
  if (!strcmp(fn_name, "validate")) {
    const baton_value_t *o = &args[0];
    res->kind = BATON_VALUE_RESULT;
    res->of.var.payload = calloc(1, sizeof *res->of.var.payload);
    if (o->of.seq.items[1].of.u == 0) {
      res->of.var.index = 1;
      set_string(res->of.var.payload, "quantity must be positive");
    } else {
      res->of.var.index = 0;
      baton_value_copy(res->of.var.payload, o);
    }
  } else if (!strcmp(fn_name, "price")) {
    set_u32(res, args[0].of.seq.items[1].of.u * args[0].of.seq.items[2].of.u);
  } else if (!strcmp(fn_name, "reject")) {
    char buf[256];
    snprintf(buf, sizeof buf, "rejected: %s", args[0].of.str.ptr);
    set_string(res, buf);
  } else if (!strcmp(fn_name, "reserve")) {
    res->kind = BATON_VALUE_RESULT;
    res->of.var.payload = calloc(1, sizeof *res->of.var.payload);
    if (g_reserve_err_times > 0) {
      g_reserve_err_times--;
      res->of.var.index = 1;
      set_string(res->of.var.payload, "out of stock");
    } else {
      set_u32(res->of.var.payload, 1000 + args[0].of.u);
    }
  } else if (!strcmp(fn_name, "release")) {
    char buf[64];
    snprintf(buf, sizeof buf, "released:%u", (unsigned)args[0].of.u);
    logf_(buf);
  } else if (!strcmp(fn_name, "confirm")) {
    if (g_confirm_fails) {
      *trap = baton_trap_new(BATON_TRAP_UNREACHABLE, "unreachable executed (in export \"confirm\")");
      return NULL;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "total %u, reservation %u", (unsigned)args[0].of.u, (unsigned)args[1].of.u);
    set_string(res, buf);
  } else if (!strcmp(fn_name, "flaky")) {
    if (g_flaky_failures > 0) {
      g_flaky_failures--;
      *trap = g_flaky_timeout ? baton_trap_new(BATON_TRAP_TIMEOUT, "deadline exceeded")
                              : baton_trap_new(BATON_TRAP_UNREACHABLE, "unreachable executed");
      return NULL;
    }
    set_u32(res, args[0].of.u + 1);
  } else if (!strcmp(fn_name, "double")) {
    int c = ++g_concurrent;
    if (c > g_max_concurrent) g_max_concurrent = c;
    usleep(50000);
    g_concurrent--;
    g_calls_double++;
    set_u32(res, args[0].of.u * 2);
  } else if (!strcmp(fn_name, "add")) {
    set_u32(res, args[0].of.u + args[1].of.u);
  } else if (!strcmp(fn_name, "name")) {
    set_string(res, "n");
  }
  return NULL;
}

static const bt_flow_invoker_t k_inv = {invoke, NULL, NULL};

static int g_events[8];
static void on_event(void *ctx, const bt_flow_event_t *ev) { g_events[ev->kind]++; }
static const bt_flow_observer_t k_obs = {on_event, NULL, 0};

static void reset(void) {
  g_log[0] = 0;
  g_flaky_failures = 0;
  g_flaky_timeout = 0;
  g_confirm_fails = 0;
  g_reserve_err_times = 0;
  g_calls_double = 0;
  g_max_concurrent = 0;
  memset(g_events, 0, sizeof g_events);
}

static baton_value_t order(uint32_t id, uint32_t qty, uint32_t price) {
  baton_value_t v = {.kind = BATON_VALUE_RECORD};
  v.of.seq.len = 3;
  v.of.seq.items = calloc(3, sizeof(baton_value_t));
  set_u32(&v.of.seq.items[0], id);
  set_u32(&v.of.seq.items[1], qty);
  set_u32(&v.of.seq.items[2], price);
  return v;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__})

/* The order flow: validate, then (ok) price and reserve, confirm joins
 * them; (err) reject. */
static bt_flow_step_spec_t k_order_steps[] = {
    {.name = "validate", .component = "shop", .export_name = "validate", .args = ARGS("$input"), .nargs = 1,
     .route_cases = ARGS("ok", "err"), .route_targets = ARGS("price", "reject"), .nroutes = 2},
    {.name = "price", .component = "shop", .export_name = "price", .args = ARGS("steps.validate.ok"), .nargs = 1},
    {.name = "reserve", .component = "shop", .export_name = "reserve", .args = ARGS("$input.id"), .nargs = 1,
     .after = ARGS("price"), .nafter = 1,
     .retry = {.max_attempts = 3, .initial_backoff_ms = 1, .multiplier = 2, .retry_on = BT_RETRY_ON_ERR},
     .comp_export = "release", .comp_args = ARGS("$output.ok"), .ncomp_args = 1},
    {.name = "confirm", .component = "shop", .export_name = "confirm", .args = ARGS("steps.price", "steps.reserve.ok"),
     .nargs = 2},
    {.name = "reject", .component = "shop", .export_name = "reject", .args = ARGS("steps.validate.err"), .nargs = 1},
};

static bt_flow_t *build_orders(void) {
  bt_flow_spec_t spec = {"orders", k_order_steps, BT_ARRAY_LEN(k_order_steps), NULL};
  bt_flow_t *f = NULL;
  baton_error_t *err = bt_flow_build(&spec, lookup, NULL, &f);
  if (err) {
    fprintf(stderr, "build: %s\n", baton_error_message(err));
    baton_error_delete(err);
  }
  return f;
}

TEST(routes_ok_path_and_joins) {
  reset();
  bt_flow_t *f = build_orders();
  ASSERT_NOT_NULL(f);
  /* `confirm` is the last step that ran: its output is the flow's. */
  baton_value_t in = order(7, 3, 5), out;
  bool failed;
  bt_flow_failure_t why;
  ASSERT_OK(bt_flow_run(f, &k_inv, &k_obs, &in, &out, &failed, &why));
  ASSERT_FALSE(failed);
  ASSERT_EQ(out.kind, BATON_VALUE_STRING);
  ASSERT_STREQ(out.of.str.ptr, "total 15, reservation 1007");
  ASSERT_STREQ(g_log, "validate price reserve confirm ");
  ASSERT_EQ(g_events[BT_FLOW_EV_STEP_SKIPPED], 1); /* reject */
  baton_value_clear(&out);
  baton_value_clear(&in);
  bt_flow_free(f);
}

TEST(routes_err_case_to_handler) {
  reset();
  bt_flow_t *f = build_orders();
  baton_value_t in = order(7, 0, 5), out;
  bool failed;
  bt_flow_failure_t why;
  ASSERT_OK(bt_flow_run(f, &k_inv, &k_obs, &in, &out, &failed, &why));
  ASSERT_FALSE(failed);
  ASSERT_STREQ(out.of.str.ptr, "rejected: quantity must be positive");
  ASSERT_STREQ(g_log, "validate reject ");
  ASSERT_EQ(g_events[BT_FLOW_EV_STEP_SKIPPED], 3); /* price, reserve, confirm */
  baton_value_clear(&out);
  baton_value_clear(&in);
  bt_flow_free(f);
}

TEST(retries_err_results_then_succeeds) {
  reset();
  g_reserve_err_times = 2;
  bt_flow_t *f = build_orders();
  baton_value_t in = order(1, 1, 1), out;
  bool failed;
  bt_flow_failure_t why;
  ASSERT_OK(bt_flow_run(f, &k_inv, &k_obs, &in, &out, &failed, &why));
  ASSERT_FALSE(failed);
  ASSERT_STREQ(g_log, "validate price reserve reserve reserve confirm ");
  ASSERT_EQ(g_events[BT_FLOW_EV_STEP_RETRY], 2);
  baton_value_clear(&out);
  baton_value_clear(&in);
  bt_flow_free(f);
}

TEST(failure_compensates_completed_steps) {
  reset();
  g_confirm_fails = 1;
  bt_flow_t *f = build_orders();
  baton_value_t in = order(42, 1, 1), out;
  bool failed;
  bt_flow_failure_t why;
  ASSERT_OK(bt_flow_run(f, &k_inv, &k_obs, &in, &out, &failed, &why));
  ASSERT_TRUE(failed);
  ASSERT_STREQ(why.step, "confirm");
  ASSERT_CONTAINS(why.message, "trap: unreachable executed");
  ASSERT_EQ(why.trap_kind, BATON_TRAP_UNREACHABLE);
  ASSERT_EQ(why.compensated, 1);
  ASSERT_STREQ(g_log, "validate price reserve confirm release released:1042 ");
  bt_flow_failure_clear(&why);
  /* Retries exhausted on err: the flow fails naming the step and attempt. */
  reset();
  g_reserve_err_times = 5;
  ASSERT_OK(bt_flow_run(f, &k_inv, &k_obs, &in, &out, &failed, &why));
  ASSERT_TRUE(failed);
  ASSERT_STREQ(why.step, "reserve");
  ASSERT_EQ(why.attempt, 3);
  ASSERT_STREQ(why.message, "returned err(\"out of stock\")");
  ASSERT_EQ(why.compensated, 0); /* reserve itself did not complete */
  bt_flow_failure_clear(&why);
  baton_value_clear(&in);
  bt_flow_free(f);
}

TEST(retry_on_trap_and_timeout_with_policy) {
  bt_flow_step_spec_t steps[] = {
      {.name = "f", .component = "shop", .export_name = "flaky", .args = ARGS("$input"), .nargs = 1,
       .retry = {.max_attempts = 4, .initial_backoff_ms = 2, .multiplier = 2, .jitter = true,
                 .retry_on = BT_RETRY_ON_TRAP}},
  };
  bt_flow_spec_t spec = {"flaky", steps, 1, NULL};
  bt_flow_t *f;
  ASSERT_OK(bt_flow_build(&spec, lookup, NULL, &f));
  reset();
  g_flaky_failures = 3;
  baton_value_t in, out;
  set_u32(&in, 10);
  bool failed;
  bt_flow_failure_t why;
  ASSERT_OK(bt_flow_run(f, &k_inv, &k_obs, &in, &out, &failed, &why));
  ASSERT_FALSE(failed);
  ASSERT_EQ(out.of.u, 11);
  ASSERT_EQ(g_events[BT_FLOW_EV_STEP_FAILED], 3);
  /* Timeouts are not in this policy's retry_on: one attempt only. */
  reset();
  g_flaky_failures = 1;
  g_flaky_timeout = 1;
  ASSERT_OK(bt_flow_run(f, &k_inv, &k_obs, &in, &out, &failed, &why));
  ASSERT_TRUE(failed);
  ASSERT_EQ(why.trap_kind, BATON_TRAP_TIMEOUT);
  ASSERT_EQ(why.attempt, 1);
  ASSERT_CONTAINS(why.message, "timeout");
  bt_flow_failure_clear(&why);
  /* The app-level default applies to steps without their own policy. */
  steps[0].retry = (bt_retry_policy_t){0};
  bt_flow_free(f);
  ASSERT_OK(bt_flow_build(&spec, lookup, NULL, &f));
  reset();
  g_flaky_failures = 2;
  bt_flow_observer_t obs = {on_event, NULL, 3};
  ASSERT_OK(bt_flow_run(f, &k_inv, &obs, &in, &out, &failed, &why));
  ASSERT_FALSE(failed);
  ASSERT_EQ(out.of.u, 11);
  bt_flow_free(f);
}

TEST(fan_out_runs_in_parallel_and_joins) {
  bt_flow_step_spec_t steps[] = {
      {.name = "a", .component = "shop", .export_name = "double", .args = ARGS("$input"), .nargs = 1},
      {.name = "b", .component = "shop", .export_name = "double", .args = ARGS("$input"), .nargs = 1},
      {.name = "c", .component = "shop", .export_name = "double", .args = ARGS("$input"), .nargs = 1},
      {.name = "sum", .component = "shop", .export_name = "add", .args = ARGS("steps.a", "steps.b"), .nargs = 2,
       .after = ARGS("c"), .nafter = 1},
  };
  bt_flow_spec_t spec = {"fan", steps, 4, "steps.sum"};
  bt_flow_t *f;
  ASSERT_OK(bt_flow_build(&spec, lookup, NULL, &f));
  reset();
  baton_value_t in, out;
  set_u32(&in, 5);
  bool failed;
  bt_flow_failure_t why;
  ASSERT_OK(bt_flow_run(f, &k_inv, &k_obs, &in, &out, &failed, &why));
  ASSERT_FALSE(failed);
  ASSERT_EQ(out.of.u, 20);
  ASSERT_EQ(g_calls_double, 3);
  ASSERT_TRUE(g_max_concurrent >= 2); /* the three ran at the same time */
  bt_flow_free(f);
}

static void expect_build_error(bt_flow_step_spec_t *steps, size_t n, const char *output, const char *msg) {
  bt_flow_spec_t spec = {"bad", steps, n, output};
  bt_flow_t *f = NULL;
  baton_error_t *err = bt_flow_build(&spec, lookup, NULL, &f);
  if (!err) {
    bt_flow_free(f);
    T_FAIL_("expected build error containing \"%s\"", msg);
  }
  if (!strstr(baton_error_message(err), msg)) {
    fprintf(stderr, "got: %s\n", baton_error_message(err));
    baton_error_delete(err);
    T_FAIL_("expected \"%s\"", msg);
  }
  baton_error_delete(err);
  ASSERT_NULL(f);
}

TEST(load_time_errors) {
  bt_flow_step_spec_t mismatch[] = {
      {.name = "n", .component = "shop", .export_name = "name", .args = ARGS("$input"), .nargs = 1,
       .where = "baton.toml:12:1"},
      {.name = "d", .component = "shop", .export_name = "double", .args = ARGS("steps.n"), .nargs = 1},
  };
  expect_build_error(mismatch, 2, NULL,
                     "flow `bad`, step `d`: parameter `n` of double expects u32, but `steps.n` is string");
  expect_build_error(mismatch, 1, "steps.zzz", "`steps.zzz` names no step");
  bt_flow_step_spec_t where[] = {
      {.name = "n", .component = "shop", .export_name = "nope", .args = ARGS("$input"), .nargs = 1,
       .where = "baton.toml:12:1"},
  };
  expect_build_error(where, 1, NULL, "baton.toml:12:1: flow `bad`, step `n`: component shop has no export `nope`");
  bt_flow_step_spec_t arity[] = {
      {.name = "x", .component = "shop", .export_name = "add", .args = ARGS("$input"), .nargs = 1},
  };
  expect_build_error(arity, 1, NULL, "add takes 2 parameters, 1 input given");
  bt_flow_step_spec_t badpath[] = {
      {.name = "v", .component = "shop", .export_name = "validate", .args = ARGS("$input"), .nargs = 1},
      {.name = "p", .component = "shop", .export_name = "double", .args = ARGS("steps.v.ok.weight"), .nargs = 1},
  };
  expect_build_error(badpath, 2, NULL, "`weight` is not a field, element or case of record order");
  bt_flow_step_spec_t cycle[] = {
      {.name = "a", .component = "shop", .export_name = "double", .args = ARGS("steps.b"), .nargs = 1},
      {.name = "b", .component = "shop", .export_name = "double", .args = ARGS("steps.a"), .nargs = 1},
  };
  expect_build_error(cycle, 2, NULL, "cycle");
  bt_flow_step_spec_t badroute[] = {
      {.name = "a", .component = "shop", .export_name = "double", .args = ARGS("$input"), .nargs = 1,
       .route_cases = ARGS("ok"), .route_targets = ARGS("a"), .nroutes = 1},
  };
  expect_build_error(badroute, 1, NULL, "routes need a result, variant, enum or option output, but double returns u32");
  bt_flow_step_spec_t badcase[] = {
      {.name = "v", .component = "shop", .export_name = "validate", .args = ARGS("$input"), .nargs = 1,
       .route_cases = ARGS("maybe"), .route_targets = ARGS("v"), .nroutes = 1},
  };
  expect_build_error(badcase, 1, NULL, "route on `maybe`: the output has no such case");
  bt_flow_step_spec_t literal[] = {
      {.name = "a", .component = "shop", .export_name = "add", .args = ARGS("$input", NULL),
       .args_literal = ARGS(NULL, "\"x\""), .nargs = 2},
  };
  expect_build_error(literal, 1, NULL, "literal \"x\"");
  bt_flow_step_spec_t dup[] = {
      {.name = "a", .component = "shop", .export_name = "double", .args = ARGS("$input"), .nargs = 1},
      {.name = "a", .component = "shop", .export_name = "double", .args = ARGS("$input"), .nargs = 1},
  };
  expect_build_error(dup, 2, NULL, "duplicate step name");
}

TEST(literals_and_dot_output) {
  bt_flow_step_spec_t steps[] = {
      {.name = "a", .component = "shop", .export_name = "add", .args = ARGS("$input", NULL),
       .args_literal = ARGS(NULL, "100"), .nargs = 2},
  };
  bt_flow_spec_t spec = {"lit", steps, 1, NULL};
  bt_flow_t *f;
  ASSERT_OK(bt_flow_build(&spec, lookup, NULL, &f));
  baton_value_t in, out;
  set_u32(&in, 5);
  bool failed;
  bt_flow_failure_t why;
  ASSERT_OK(bt_flow_run(f, &k_inv, &k_obs, &in, &out, &failed, &why));
  ASSERT_EQ(out.of.u, 105);
  char *dot = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&dot, &len);
  bt_flow_write_dot(f, m);
  fclose(m);
  ASSERT_CONTAINS(dot, "digraph \"lit\"");
  ASSERT_CONTAINS(dot, "\"$input\" -> \"a\"");
  free(dot);
  bt_flow_free(f);
  f = build_orders();
  m = open_memstream(&dot, &len);
  bt_flow_write_dot(f, m);
  fclose(m);
  ASSERT_CONTAINS(dot, "\"validate\" -> \"reject\" [label=\"err\"]");
  ASSERT_CONTAINS(dot, "compensate");
  free(dot);
  bt_flow_free(f);
}

int main(void) {
  baton_error_t *err = bt_wit_parse_string("flow.wit", k_wit, &g_wit);
  if (err) {
    fprintf(stderr, "%s\n", baton_error_message(err));
    return 1;
  }
  g_api = g_wit->main->interfaces[0];
  RUN(routes_ok_path_and_joins);
  RUN(routes_err_case_to_handler);
  RUN(retries_err_results_then_succeeds);
  RUN(failure_compensates_completed_steps);
  RUN(retry_on_trap_and_timeout_with_policy);
  RUN(fan_out_runs_in_parallel_and_joins);
  RUN(load_time_errors);
  RUN(literals_and_dot_output);
  bt_wit_free(g_wit);
  TEST_MAIN_END();
}
