/*
 * src/manifest/app.h: the application model, the C struct tree that an app
 * manifest loads into, and the calls that load, check and query it.
 *
 * Two manifest languages load into the same model: baton's own baton.toml
 * (docs/manifest.md is its complete reference) and Spin's spin.toml, version
 * 1 and version 2. bt_app_load() tells them apart by content: a document
 * with a top-level `spin_manifest_version` key is a Spin manifest.
 *
 * Every named item and every value written in the manifest records where it
 * was written (a bt_pos_t: file, line, column), so that later stages (the
 * linker, the flow runner) can point their errors at the manifest. Loading
 * checks everything that can be checked without reading the .wasm files:
 * unknown keys (an error naming the key and its position, with a "did you
 * mean" suggestion for near misses), value types, duplicate names,
 * references between items, cycles between flow steps and between
 * component dependencies, variable templates, and trigger config JSON
 * against its schema. Whether each component's .wasm exists is checked
 * separately, at use time, by bt_app_check_sources(), because a build step
 * may create it.
 *
 * Conventions of the model:
 *  - The structs are read-only for users; the loader fills them and
 *    bt_app_free() frees the whole tree. Arrays are a pointer plus a count.
 *  - An optional string that was not written has text == NULL (its pos is
 *    then zero). An optional integer that was not written is 0.
 *  - References by name (a step's component, an `after` entry, a route
 *    target) keep the name as written and the index it resolved to.
 *  - Paths (component source, wit, build workdir, dependency path) are
 *    resolved relative to the manifest's directory; absolute paths are kept.
 *  - Items keep manifest order. An app without flows runs its components as
 *    a pipeline in that order (the runner does this; the model just keeps
 *    the order), which is how Spin manifests, having no flows, run.
 *  - Variables are resolved by a separate call, bt_app_resolve_variables(),
 *    which reads the environment. Secret values are flagged and never appear
 *    in any message this module produces; bt_app_redact() scrubs them from
 *    text a caller is about to print.
 *
 * All functions are internal to libbaton (BT_HIDDEN).
 */
#ifndef BT_MANIFEST_APP_H
#define BT_MANIFEST_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "manifest/json.h"
#include "util/common.h"

/* Where something was written. file points to the app's path string (owned
 * by the app); line and column are 1-based, as in toml.h. A zero line means
 * "not written". */
typedef struct bt_pos {
  const char *file;
  unsigned line, col;
} bt_pos_t;

/* printf helpers: printf(BT_POS_FMT ": ...", BT_POS_ARGS(p)). */
#define BT_POS_FMT "%s:%u:%u"
#define BT_POS_ARGS(p) (p).file, (p).line, (p).col

/* A string value and where it was written; text is NULL when absent. */
typedef struct bt_app_str {
  char *text;
  bt_pos_t pos;
} bt_app_str_t;

/* A list of strings; pos is the array's position (zero when absent). */
typedef struct bt_app_strs {
  bt_app_str_t *items;
  size_t len;
  bt_pos_t pos;
} bt_app_strs_t;

/* A reference by name to another item, and the index it resolved to in its
 * array (app->components, flow->steps, app->flows). implicit is true when
 * the loader made the reference up (a step's implicit predecessor). */
typedef struct bt_app_ref {
  char *name;
  bt_pos_t pos;
  size_t index;
  bool implicit;
} bt_app_ref_t;

/* Marks "no index" in bt_app_ref_t.index and similar fields. */
#define BT_APP_NONE ((size_t)-1)

typedef enum bt_app_format {
  BT_APP_FORMAT_BATON,   /* baton.toml */
  BT_APP_FORMAT_SPIN_V1, /* spin.toml, spin_manifest_version = "1" */
  BT_APP_FORMAT_SPIN_V2  /* spin.toml, spin_manifest_version = 2 */
} bt_app_format_t;

/* ---- variables ---- */

/* Where a resolved variable's value came from. */
typedef enum bt_app_origin {
  BT_APP_ORIGIN_UNSET,   /* not resolved, or no value */
  BT_APP_ORIGIN_DEFAULT, /* the manifest's `default` */
  BT_APP_ORIGIN_ENV      /* an environment variable (see origin_env) */
} bt_app_origin_t;

/* An application variable: [variables.NAME] or NAME = { ... }. */
typedef struct bt_app_variable {
  char *name;
  bt_pos_t pos; /* the name's key */
  bt_app_str_t description;
  bt_app_str_t default_value;
  bool required;
  bool secret;
  /* Filled by bt_app_resolve_variables(): */
  char *value;             /* NULL when unresolved */
  bt_app_origin_t origin;
  char *origin_env;        /* e.g. "BATON_VARIABLE_API_KEY" when from env */
} bt_app_variable_t;

/* A component variable: key = "template" in [component.NAME.variables]
 * (Spin v1: [component.config]). The template may reference application
 * variables as {{ name }}. */
typedef struct bt_app_component_var {
  char *name;
  bt_pos_t pos;        /* the key */
  bt_app_str_t tmpl;   /* the template as written */
  /* Filled by bt_app_resolve_variables(): */
  char *value;         /* the expanded template; NULL when unresolved */
  bool secret;         /* the template references a secret variable */
} bt_app_component_var_t;

/* ---- components ---- */

typedef enum bt_app_dep_kind {
  BT_APP_DEP_INTERFACE, /* "ns:pkg/iface" or "ns:pkg/iface@1.0.0" */
  BT_APP_DEP_PACKAGE,   /* "ns:pkg" or "ns:pkg@1.0.0": every interface */
  BT_APP_DEP_NAME       /* a plain kebab-case import name: "log" */
} bt_app_dep_kind_t;

/* One entry of [component.NAME.dependencies]: which import it satisfies and
 * what satisfies it, either another component of the app or a .wasm file. */
typedef struct bt_app_dependency {
  char *import_name;     /* the key as written */
  bt_pos_t pos;          /* the key */
  bt_app_dep_kind_t kind;
  char *package;         /* "ns:pkg" (no version); NULL for DEP_NAME */
  char *interface;       /* "iface" for DEP_INTERFACE, else NULL */
  char *version;         /* "1.0.0" or NULL */
  bt_app_ref_t component; /* name NULL when satisfied by path */
  bt_app_str_t path;     /* resolved .wasm path, or text NULL */
  bt_app_str_t export_name; /* which export of the provider; optional */
} bt_app_dependency_t;

/* The build step of a component ([component.NAME.build]); `watch` is
 * recorded but baton does not use it. present is false when absent. */
typedef struct bt_app_build {
  bool present;
  bt_pos_t pos;
  bt_app_str_t command;
  bt_app_str_t workdir; /* resolved; NULL means the manifest directory */
  bt_app_strs_t watch;
} bt_app_build_t;

/* The JSON type a trigger config key must have. */
typedef enum bt_app_cfg_type {
  BT_APP_CFG_BOOL,
  BT_APP_CFG_INTEGER,
  BT_APP_CFG_NUMBER, /* any JSON number */
  BT_APP_CFG_STRING,
  BT_APP_CFG_ARRAY,
  BT_APP_CFG_OBJECT
} bt_app_cfg_type_t;

typedef struct bt_app_schema_field {
  char *key;
  bt_pos_t pos;
  bt_app_cfg_type_t type;
  bool required;
} bt_app_schema_field_t;

/* config_schema: the expected shape of the trigger config object. */
typedef struct bt_app_schema {
  bool present;
  bt_pos_t pos;
  bt_app_schema_field_t *fields;
  size_t len;
} bt_app_schema_t;

typedef struct bt_app_component {
  char *name;
  bt_pos_t pos; /* the name's key (Spin v1: the `id` value) */
  size_t index; /* in app->components */
  bt_app_str_t description;
  bt_app_str_t source;     /* resolved path of the .wasm */
  char *source_written;    /* the path as written */
  bt_app_str_t wit;        /* resolved path of a .wit file or directory */
  bt_app_str_t world;
  bt_app_component_var_t *vars;
  size_t nvars;
  bt_app_build_t build;
  uint64_t timeout_ms; /* 0: unset */
  bt_pos_t timeout_pos;
  uint64_t max_memory; /* bytes; 0: unset */
  bt_pos_t max_memory_pos;
  bt_app_strs_t allowed_outbound_hosts;
  bt_app_strs_t key_value_stores;
  bt_app_strs_t files;
  bt_app_str_t trigger_config; /* the JSON text as written */
  bt_mjson_t *config;          /* trigger_config parsed; NULL when absent */
  bt_app_schema_t config_schema;
  bt_app_dependency_t *deps;
  size_t ndeps;
  bt_app_str_t config_import; /* import bound to the config provider */
} bt_app_component_t;

/* ---- flows ---- */

/* Which failures a retry policy retries (bt_app_retry_t.on). */
enum {
  BT_APP_RETRY_ON_TRAP = 1 << 0,
  BT_APP_RETRY_ON_TIMEOUT = 1 << 1,
  BT_APP_RETRY_ON_ERR = 1 << 2 /* the step returned result::err */
};

/* Which fields of a bt_app_retry_t were written (bt_app_retry_t.set). */
enum {
  BT_APP_RETRY_SET_MAX_ATTEMPTS = 1 << 0,
  BT_APP_RETRY_SET_INITIAL_BACKOFF = 1 << 1,
  BT_APP_RETRY_SET_MAX_BACKOFF = 1 << 2,
  BT_APP_RETRY_SET_MULTIPLIER = 1 << 3,
  BT_APP_RETRY_SET_JITTER = 1 << 4,
  BT_APP_RETRY_SET_ON = 1 << 5
};

/* A retry policy as written (application `retry_policy`, step `retry`), or
 * an effective one from bt_app_step_retry(). In a present policy the
 * unwritten fields hold the built-in defaults: 1 attempt, 100 ms initial
 * and 10000 ms maximum backoff, multiplier 2, no jitter, on trap and
 * timeout. A step without `retry` has present false and zero fields. */
typedef struct bt_app_retry {
  bool present;
  bt_pos_t pos;
  unsigned set; /* BT_APP_RETRY_SET_* */
  uint32_t max_attempts;
  uint64_t initial_backoff_ms;
  uint64_t max_backoff_ms;
  double multiplier;
  bool jitter;
  unsigned on; /* BT_APP_RETRY_ON_* */
} bt_app_retry_t;

typedef enum bt_app_input_kind {
  BT_APP_INPUT_DEFAULT, /* not written: see docs/manifest.md */
  BT_APP_INPUT_FLOW,    /* "$input" or "$input.field..." */
  BT_APP_INPUT_STEP,    /* "steps.X" or "steps.X.field..."; in a
                           compensation also "$output[.field...]" */
  BT_APP_INPUT_LITERAL, /* input_value: WAVE text */
  BT_APP_INPUT_TUPLE    /* ["steps.a", "steps.b", ...] */
} bt_app_input_kind_t;

/* Where a step's input (or a flow's output, or a compensation's input)
 * comes from. */
typedef struct bt_app_input {
  bt_app_input_kind_t kind;
  bt_pos_t pos;
  char *text;              /* as written (LITERAL: the WAVE text) */
  bt_app_ref_t step;       /* STEP: the step (index in flow->steps) */
  char **path;             /* FLOW/STEP: field names or tuple indices */
  size_t path_len;
  struct bt_app_input *items; /* TUPLE: FLOW or STEP items */
  size_t len;
} bt_app_input_t;

/* One routing entry: when the step's output is case case_name, continue
 * with step target. Several targets of one case are several entries. */
typedef struct bt_app_route {
  char *case_name;
  bt_app_ref_t target;
} bt_app_route_t;

/* A saga compensation: what to call if a later step fails. */
typedef struct bt_app_compensate {
  bool present;
  bt_pos_t pos;
  bt_app_ref_t component;
  bt_app_str_t export_name;
  bt_app_input_t input; /* DEFAULT: the compensated step's output */
} bt_app_compensate_t;

typedef struct bt_app_step {
  char *name;
  bt_pos_t pos; /* the [[flow.NAME.step]] header */
  size_t index; /* in flow->steps */
  bt_app_ref_t component;
  bt_app_str_t export_name; /* NULL: the component's only export */
  bt_app_input_t input;
  /* Predecessors that must complete first. When `after` is not written
   * and the step is not a route target, the loader adds the previous step
   * as an implicit entry (none for the first step). Steps that `input`
   * refers to are predecessors too, without being listed here. */
  bt_app_ref_t *after;
  size_t nafter;
  bool after_written;
  bool routed; /* some step's `on` routes to this one */
  bt_app_route_t *routes;
  size_t nroutes;
  bt_app_retry_t retry; /* as written; see bt_app_step_retry() */
  uint64_t timeout_ms;  /* 0: the component's timeout_ms */
  bt_pos_t timeout_pos;
  bt_app_compensate_t compensate;
  bool reuse_instance;
  bt_pos_t reuse_pos;
} bt_app_step_t;

typedef struct bt_app_flow {
  char *name;
  bt_pos_t pos; /* the name's key */
  size_t index; /* in app->flows */
  bt_app_str_t description;
  bt_app_step_t *steps;
  size_t nsteps;
  bt_app_input_t output; /* FLOW or STEP; DEFAULT: the last step's output */
  size_t *order;         /* step indexes in a topological order over
                            after, route and input edges */
} bt_app_flow_t;

/* ---- triggers and the app ---- */

typedef enum bt_app_trigger_kind {
  BT_APP_TRIGGER_CLI,   /* [[trigger.cli]] */
  BT_APP_TRIGGER_TIMER, /* [[trigger.timer]] */
  BT_APP_TRIGGER_SPIN   /* Spin v2 [[trigger.TYPE]]: recorded only */
} bt_app_trigger_kind_t;

typedef struct bt_app_trigger {
  bt_app_trigger_kind_t kind;
  bt_pos_t pos;
  bt_app_ref_t flow;       /* name NULL: the pipeline (app has no flows) */
  uint64_t interval_ms;    /* TIMER */
  bt_app_str_t input;      /* TIMER: WAVE text; NULL: default_input */
  char *spin_type;         /* SPIN: "http", "orchestrator", ... */
  bt_app_ref_t component;  /* SPIN: the component it names */
} bt_app_trigger_t;

/* A manifest feature that was accepted but is ignored (Spin features baton
 * does not implement). message starts with "FILE:LINE:COL: ". */
typedef struct bt_app_warning {
  bt_pos_t pos;
  char *message;
} bt_app_warning_t;

typedef struct bt_app {
  bt_app_format_t format;
  char *path; /* the manifest's name, as used in every bt_pos_t */
  char *dir;  /* the directory relative paths were resolved against */
  bt_app_str_t name;
  bt_app_str_t version;
  bt_app_str_t description;
  bt_app_str_t default_input; /* WAVE text */
  bt_app_retry_t retry_policy;
  int retry_policy_enabled; /* -1: not written; 0 or 1 */
  bt_pos_t retry_policy_enabled_pos;
  bt_app_str_t spin_trigger_type; /* Spin v1 top-level trigger.type */
  bt_app_variable_t *variables;
  size_t nvariables;
  bt_app_component_t *components;
  size_t ncomponents;
  bt_app_flow_t *flows;
  size_t nflows;
  bt_app_trigger_t *triggers;
  size_t ntriggers;
  bt_app_warning_t *warnings;
  size_t nwarnings;
  bool resolved; /* bt_app_resolve_variables() succeeded */
} bt_app_t;

/* ---- loading ---- */

/* Loads the manifest at path (baton.toml or spin.toml, told apart by
 * content) into *out. Relative paths in the manifest resolve against the
 * directory of path, and positions name the file as path. Returns NULL on
 * success; otherwise an error whose message starts with "PATH:LINE:COL: "
 * when it concerns a place in the file (IO, SYNTAX for TOML syntax, INVALID
 * for everything the model rejects, NO_MEMORY), *out is NULL and nothing is
 * leaked. Free the app with bt_app_free(). */
BT_HIDDEN baton_error_t *bt_app_load(const char *path, bt_app_t **out);

/* Loads a manifest from NUL-terminated text. name is used in positions and
 * messages (e.g. "baton.toml"); dir is the directory relative paths resolve
 * against (NULL or "" keeps them relative to the current directory).
 * Otherwise as bt_app_load(). */
BT_HIDDEN baton_error_t *bt_app_load_string(const char *name, const char *text,
                                            const char *dir, bt_app_t **out);

/* Finds the manifest of the app in directory dir: dir/baton.toml if it
 * exists, else dir/spin.toml. Stores a bt_malloc'd path in *path (free with
 * bt_free). Returns a NOT_FOUND error naming dir when neither exists. */
BT_HIDDEN baton_error_t *bt_app_find_default(const char *dir, char **path);

/* Frees an app and everything it owns. NULL is a no-op. */
BT_HIDDEN void bt_app_free(bt_app_t *app);

/* Checks that every component's source .wasm (and wit path, and dependency
 * path) exists. Returns a NOT_FOUND error naming the component, the path
 * and where it was written (with the build command as a hint when the
 * component has one), or NULL when all exist. */
BT_HIDDEN baton_error_t *bt_app_check_sources(const bt_app_t *app);

/* ---- variables ---- */

/* The environment lookup used by bt_app_resolve_variables(): getenv(3)'s
 * contract. */
typedef const char *(*bt_app_getenv_fn)(const char *name);

/* Resolves every application variable and expands every component variable
 * template. A variable's value is, in order of preference: the environment
 * variable BATON_VARIABLE_<NAME> (NAME upper-cased, '-' becoming '_'); for
 * Spin manifests SPIN_VARIABLE_<NAME>; the manifest default. getenv_fn NULL
 * means getenv(3). May be called again (e.g. after the environment
 * changed); it replaces earlier results. Returns an INVALID error naming
 * every required variable that has no value, with where it is declared and
 * the environment variable that would set it; on error the app is left
 * unresolved. Messages never contain any variable's value. */
BT_HIDDEN baton_error_t *bt_app_resolve_variables(bt_app_t *app,
                                                  bt_app_getenv_fn getenv_fn);

/* Returns a bt_malloc'd copy of text in which every resolved secret value
 * (of a secret variable or of a component variable that uses one) is
 * replaced by "<redacted>". Returns NULL on allocation failure. Free with
 * bt_free. */
BT_HIDDEN char *bt_app_redact(const bt_app_t *app, const char *text);

/* Writes into buf (size n, NUL-terminated) the environment variable name
 * for variable name with the given prefix ("BATON_VARIABLE_"). Returns false
 * if it does not fit. */
BT_HIDDEN bool bt_app_env_name(const char *prefix, const char *name, char *buf,
                               size_t n);

/* ---- lookups ---- */

/* Each returns the item with the given name, or NULL. */
BT_HIDDEN const bt_app_component_t *bt_app_component(const bt_app_t *app,
                                                     const char *name);
BT_HIDDEN const bt_app_flow_t *bt_app_flow(const bt_app_t *app,
                                           const char *name);
BT_HIDDEN const bt_app_variable_t *bt_app_variable(const bt_app_t *app,
                                                   const char *name);
BT_HIDDEN const bt_app_step_t *bt_app_flow_step(const bt_app_flow_t *flow,
                                                const char *name);
BT_HIDDEN const bt_app_component_var_t *bt_app_component_var(
    const bt_app_component_t *c, const char *name);
BT_HIDDEN const bt_app_dependency_t *bt_app_component_dep(
    const bt_app_component_t *c, const char *import_name);

/* Computes the retry policy in effect for a step: the step's `retry`
 * fields, else the application `retry_policy` fields, else the built-in
 * defaults (see bt_app_retry_t). When the top-level [trigger]
 * retry_policy_enabled is false, max_attempts is 1 whatever was written.
 * The result's present is true when either table was written. */
BT_HIDDEN bt_app_retry_t bt_app_step_retry(const bt_app_t *app,
                                           const bt_app_step_t *step);

/* Returns the step's timeout: its own timeout_ms, else its component's,
 * else 0 (no timeout). */
BT_HIDDEN uint64_t bt_app_step_timeout(const bt_app_t *app,
                                       const bt_app_step_t *step);

/* Returns a static name: "baton.toml", "spin.toml v1", "spin.toml v2". */
BT_HIDDEN const char *bt_app_format_name(bt_app_format_t f);

/* Returns the static name of a config type ("bool", "integer", ...). */
BT_HIDDEN const char *bt_app_cfg_type_name(bt_app_cfg_type_t t);

#endif
