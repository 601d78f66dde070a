/*
 * src/flow/flow.h: declarative flows.
 *
 * A flow is a DAG of steps; each step calls one component export with
 * arguments selected from the flow input, earlier steps' outputs (whole, or
 * a field / tuple element / case payload by path) or literals. Steps whose
 * predecessors have all finished run at once (fan-out, on threads) and a step
 * with several predecessors joins them. A step whose output is a result,
 * variant or enum can route: only the step named for the case that came out
 * runs; the others are skipped. Failed steps retry with exponential backoff
 * and jitter according to their policy (on traps, deadlines and/or `err`
 * results). When a step fails for good, the compensations of the steps that
 * completed run in reverse completion order (a saga) and the flow fails.
 *
 * bt_flow_build() compiles a spec (plain strings, as a manifest provides
 * them) into a bt_flow_t and type-checks every selector against the WIT
 * signatures of the exports, before anything runs. bt_flow_run() executes it
 * through an invoker supplied by the caller, which knows how to instantiate
 * components and make typed calls; that keeps this module testable without
 * guests.
 */
#ifndef BT_FLOW_H
#define BT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "baton/trap.h"
#include "baton/value.h"
#include "util/common.h"
#include "wit/wit.h"

/* Which failures a retry policy retries. */
enum {
  BT_RETRY_ON_TRAP = 1,
  BT_RETRY_ON_TIMEOUT = 2,
  BT_RETRY_ON_ERR = 4,
};

typedef struct {
  uint32_t max_attempts; /* 1 = no retry */
  uint32_t initial_backoff_ms;
  uint32_t max_backoff_ms;
  double multiplier;
  bool jitter;
  unsigned retry_on; /* BT_RETRY_ON_* bits */
} bt_retry_policy_t;

/* One step as written in a manifest. Strings are borrowed during build. */
typedef struct {
  const char *name;
  const char *component;
  const char *export_name;
  /* One selector per export parameter: "$input", "steps.NAME",
   * "steps.NAME.PATH" (PATH: record field, tuple index, or case name such as
   * ok/err/some), or NULL when args_literal[i] (WAVE text) is given. */
  const char *const *args;
  const char *const *args_literal;
  size_t nargs;
  const char *const *after; /* extra ordering; selectors add their own */
  size_t nafter;
  const char *const *route_cases; /* on.CASE = TARGET */
  const char *const *route_targets;
  size_t nroutes;
  bt_retry_policy_t retry;
  uint64_t timeout_ms;
  bool reuse_instance;
  /* Compensation (optional): component/export with selectors as above;
   * "$output" selects this step's own output. */
  const char *comp_component;
  const char *comp_export;
  const char *const *comp_args;
  size_t ncomp_args;
  const char *where; /* "file:line:col" for messages, may be NULL */
} bt_flow_step_spec_t;

typedef struct {
  const char *name;
  const bt_flow_step_spec_t *steps;
  size_t nsteps;
  const char *output; /* selector of the flow result; NULL: last step */
} bt_flow_spec_t;

/* Finds the WIT signature of a component export for type checking. */
typedef baton_error_t *(*bt_flow_lookup_fn)(void *ctx, const char *component,
                                            const char *export_name,
                                            const bt_wit_function_t **fn);

typedef struct bt_flow bt_flow_t;

/* Compiles and type-checks a flow. Errors name the flow, the step and, for
 * mismatches, both types. Parses literals with WAVE. On success *out owns
 * the flow (free with bt_flow_free). */
BT_HIDDEN baton_error_t *bt_flow_build(const bt_flow_spec_t *spec, bt_flow_lookup_fn lookup,
                                       void *ctx, bt_flow_t **out);
BT_HIDDEN void bt_flow_free(bt_flow_t *flow);

/* The flow's input type (NULL when no step uses $input) and result type. */
BT_HIDDEN const bt_wit_type_t *bt_flow_input_type(const bt_flow_t *flow);
BT_HIDDEN const bt_wit_type_t *bt_flow_output_type(const bt_flow_t *flow);
BT_HIDDEN const char *bt_flow_name(const bt_flow_t *flow);

/* Writes the flow as Graphviz DOT. */
BT_HIDDEN void bt_flow_write_dot(const bt_flow_t *flow, FILE *out);

/* ---- running ---- */

/* Makes one call for a step. *instance is the step's reusable instance slot
 * for this run (NULL at first) when the step reuses instances; the invoker
 * may store an instance there, released with release_instance at the end of
 * the run. On a guest trap or deadline set *trap (kind TIMEOUT for
 * deadlines). Returns host errors. */
typedef struct {
  baton_error_t *(*invoke)(void *ctx, const char *component, const char *export_name,
                           const bt_wit_function_t *fn, const baton_value_t *args, size_t nargs,
                           uint64_t timeout_ms, void **instance, baton_value_t *result,
                           baton_trap_t **trap);
  void (*release_instance)(void *ctx, const char *component, void *instance);
  void *ctx;
} bt_flow_invoker_t;

typedef enum {
  BT_FLOW_EV_STEP_START,
  BT_FLOW_EV_STEP_OK,
  BT_FLOW_EV_STEP_FAILED, /* one attempt failed; message says how */
  BT_FLOW_EV_STEP_RETRY,  /* waiting backoff_ms before the next attempt */
  BT_FLOW_EV_STEP_SKIPPED,
  BT_FLOW_EV_COMPENSATE,
  BT_FLOW_EV_COMPENSATE_FAILED,
} bt_flow_event_kind_t;

typedef struct {
  bt_flow_event_kind_t kind;
  const char *flow, *step;
  uint32_t attempt;
  double duration_us;
  uint64_t backoff_ms;
  const char *message; /* case chosen, trap message, ... */
} bt_flow_event_t;

typedef struct {
  void (*event)(void *ctx, const bt_flow_event_t *ev);
  void *ctx;
  uint32_t default_max_attempts; /* app-level retry switch; 0 = per step */
} bt_flow_observer_t;

/* Why a flow failed (filled by bt_flow_run when it returns a failure). */
typedef struct {
  char *step;    /* owned */
  uint32_t attempt;
  char *message; /* owned: "trap: ...", "returned err(...)", ... */
  baton_trap_kind_t trap_kind; /* NONE when the step returned err */
  size_t compensated;          /* compensations that ran */
} bt_flow_failure_t;

BT_HIDDEN void bt_flow_failure_clear(bt_flow_failure_t *f);

/* Runs a flow once. input may be NULL when the flow takes none. Returns a
 * host error, or NULL; then either *failed is false and *output holds the
 * result (caller clears it), or *failed is true and *failure says why. */
BT_HIDDEN baton_error_t *bt_flow_run(const bt_flow_t *flow, const bt_flow_invoker_t *invoker,
                                     const bt_flow_observer_t *observer,
                                     const baton_value_t *input, baton_value_t *output,
                                     bool *failed, bt_flow_failure_t *failure);

/* ---- type helpers (types.c) ---- */

/* Structural type equality as the Component Model checks it. */
BT_HIDDEN bool bt_wit_type_equal(const bt_wit_type_t *a, const bt_wit_type_t *b);

/* Writes a type as WIT text ("list<record order>") into buf. */
BT_HIDDEN void bt_wit_type_str(const bt_wit_type_t *t, char *buf, size_t size);

/* Follows a dotted path (field, index, case) through a type. Returns NULL
 * and a reason in why when a segment does not apply. */
BT_HIDDEN const bt_wit_type_t *bt_wit_type_path(const bt_wit_type_t *t, const char *path,
                                                char *why, size_t whysize);

/* Follows the same path through a value of type t. Returns NULL when the
 * value takes another case than the path names. */
BT_HIDDEN const baton_value_t *bt_value_path(const baton_value_t *v, const bt_wit_type_t *t,
                                             const char *path);

/* Returns the case name of a result/variant/enum/option value, or NULL. */
BT_HIDDEN const char *bt_value_case_name(const baton_value_t *v, const bt_wit_type_t *t);

#endif
