/*
 * baton/app.h: applications — a manifest (baton.toml or spin.toml) whose
 * components are loaded, configured and linked, and whose flows run in
 * process. This is the API a domain-specific orchestrator (a "plugin") is
 * written against: load an app, call its components' exports with typed
 * values, run its flows.
 *
 * Values cross this API either as baton_value_t trees (value.h) or as text in
 * WAVE or JSON (docs/values.md); the WIT types come from each component.
 */
#ifndef BATON_APP_H
#define BATON_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "baton/engine.h"
#include "baton/error.h"
#include "baton/trap.h"
#include "baton/value.h"
#include "baton/wasi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct baton_app baton_app_t;

typedef enum {
  BATON_FORMAT_WAVE = 0,
  BATON_FORMAT_JSON = 1,
} baton_format_t;

/* One thing that happened while running: a step started, finished, failed,
 * was retried, skipped or compensated. Strings are borrowed for the call. */
typedef struct {
  const char *flow;
  const char *step;
  const char *event; /* "start", "ok", "failed", "retry", "skipped",
                        "compensate", "compensate-failed" */
  unsigned attempt;
  double duration_us;
  unsigned long long backoff_ms;
  const char *message; /* case taken, trap message, ... (may be NULL) */
} baton_app_event_t;

typedef struct {
  /* Receives step events (may be NULL). */
  void (*logger)(void *env, const baton_app_event_t *ev);
  void *logger_env;
  /* Where guests' stdout/stderr go (default: inherited), and whether each
   * line is prefixed with "[component] ". */
  baton_wasi_output_t output;
  bool prefix_output;
  /* Environment lookup for variables (NULL: getenv). */
  const char *(*getenv_fn)(const char *name);
} baton_app_options_t;

/* Loads an app: parses the manifest (path NULL: baton.toml, then spin.toml
 * in the current directory), resolves variables (defaults, then
 * BATON_VARIABLE_<NAME> overrides; a required variable without a value is
 * an error), loads and AOT-compiles every component, binds each one's
 * imports (WASI, its `config` interface, dependencies on other components)
 * and compiles and type-checks every flow. Nothing runs. Borrows engine,
 * which must outlive the app; copies opts. On success *out owns the app;
 * free with baton_app_delete(). */
baton_error_t *baton_app_load(baton_engine_t *engine, const char *path,
                              const baton_app_options_t *opts, baton_app_t **out);
void baton_app_delete(baton_app_t *app);

/* Returns the manifest path (borrowed). */
const char *baton_app_path(const baton_app_t *app);

/* Calls a component's export once in a fresh instance. export_name is the
 * WIT function name (`handle-init`), `iface#func` or the full core name
 * `ns:pkg/iface#func`. Arguments are borrowed; *result receives the result
 * (caller clears it with baton_value_clear; untouched when the function
 * returns nothing). A guest trap is reported through *trap. */
baton_error_t *baton_app_call(baton_app_t *app, const char *component,
                              const char *export_name, const baton_value_t *args,
                              size_t nargs, baton_value_t *result, baton_trap_t **trap);

/* The same with arguments and result as text in fmt. *result is NULL when
 * the function returns nothing; otherwise free it with free(). */
baton_error_t *baton_app_call_text(baton_app_t *app, const char *component,
                                   const char *export_name, const char *const *args,
                                   size_t nargs, baton_format_t fmt, char **result,
                                   baton_trap_t **trap);

/* The outcome of a flow run. */
typedef struct {
  bool failed;
  char *output;        /* the flow result as text (NULL if none) */
  char *failed_step;   /* when failed */
  unsigned attempt;    /* attempts made by the failed step */
  char *message;       /* why it failed */
  baton_trap_kind_t trap_kind; /* BATON_TRAP_NONE when the step returned err */
  size_t compensated;  /* compensations run */
} baton_run_result_t;

void baton_run_result_clear(baton_run_result_t *r);

/* Runs a flow once. flow NULL: the app's only flow, or, for an app without
 * flows, its components as a pipeline in manifest order (each output feeds
 * the next component's single export). input NULL: the manifest's
 * default_input. Returns a host error (unknown flow, input that does not
 * fit the input type) or NULL with *result filled. */
baton_error_t *baton_app_run(baton_app_t *app, const char *flow, const char *input,
                             baton_format_t fmt, baton_run_result_t *result);

/* Lists flows: count, then the i-th name (borrowed). An app without flows
 * has one, the pipeline, named "pipeline". */
size_t baton_app_flow_count(const baton_app_t *app);
const char *baton_app_flow_name(const baton_app_t *app, size_t i);

/* Writes a flow as Graphviz DOT. */
baton_error_t *baton_app_graph(baton_app_t *app, const char *flow, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
