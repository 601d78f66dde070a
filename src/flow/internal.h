/*
 * src/flow/internal.h: the compiled form of a flow, shared by graph.c
 * (building and checking) and run.c (executing).
 */
#ifndef BT_FLOW_INTERNAL_H
#define BT_FLOW_INTERNAL_H

#include "flow/flow.h"

typedef enum {
  BT_SEL_INPUT = 0, /* the flow input, then path */
  BT_SEL_STEP,      /* a step's output, then path */
  BT_SEL_OUTPUT,    /* in a compensation: the compensated step's output */
  BT_SEL_LITERAL,
} bt_sel_kind_t;

typedef struct {
  bt_sel_kind_t kind;
  int step;  /* BT_SEL_STEP */
  char *path; /* "" for the whole value */
  baton_value_t literal;
  const bt_wit_type_t *type; /* type of the selected value */
  const bt_wit_type_t *base; /* type the path starts from */
} bt_sel_t;

typedef struct {
  char *cas;
  int target;
} bt_route_t;

typedef struct {
  char *name, *component, *export_name, *where;
  const bt_wit_function_t *fn;
  bt_sel_t *args;
  size_t nargs;
  int *deps; /* steps that must finish (or be skipped) first */
  size_t ndeps;
  int gate_step; /* this step runs only if gate_step chose gate_case */
  char *gate_case;
  bt_route_t *routes;
  size_t nroutes;
  bt_retry_policy_t retry;
  uint64_t timeout_ms;
  bool reuse_instance;
  bool has_comp;
  char *comp_component, *comp_export;
  const bt_wit_function_t *comp_fn;
  bt_sel_t *comp_args;
  size_t ncomp_args;
} bt_step_t;

struct bt_flow {
  char *name;
  bt_step_t *steps;
  size_t nsteps;
  const bt_wit_type_t *input_type;
  bt_sel_t output;
  bool has_output;
};

#endif
