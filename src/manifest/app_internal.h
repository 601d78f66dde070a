/*
 * src/manifest/app_internal.h: what the manifest loaders share. app.c owns
 * loading and the cross-reference checks; baton_toml.c and spin_toml.c read
 * their formats into the model through the typed field readers of
 * app_read.c, which produce the uniform diagnostics (unknown keys with a
 * suggestion, type errors naming expected and actual types); variables.c
 * handles variable templates and resolution.
 *
 * Error handling: every reader takes the load context and returns false
 * after recording the first error in ctx->err. Everything allocated goes
 * into the app tree as soon as it exists, so freeing the app on failure
 * frees everything.
 */
#ifndef BT_MANIFEST_APP_INTERNAL_H
#define BT_MANIFEST_APP_INTERNAL_H

#include "manifest/app.h"
#include "manifest/toml.h"

typedef struct bt_mctx {
  bt_app_t *app;
  baton_error_t *err;
} bt_mctx_t;

/* One key a table may hold: its name and, for Spin tables, whether it is
 * a Spin feature baton accepts but ignores (a warning, not an error). */
typedef struct bt_mkey {
  const char *name;
  bool ignored;
} bt_mkey_t;

/* ---- diagnostics (app_read.c) ---- */

/* Returns the position of a TOML value / of an entry's key. */
BT_HIDDEN bt_pos_t bt_m_pos(const bt_mctx_t *c, const bt_toml_value_t *v);
BT_HIDDEN bt_pos_t bt_m_key_pos(const bt_mctx_t *c, const bt_toml_entry_t *e);

/* Records an error "FILE:LINE:COL: message" with the given code (unless one
 * is recorded already) and returns false. A zero pos gives "FILE: ...". */
BT_HIDDEN bool bt_m_fail(bt_mctx_t *c, bt_pos_t pos, baton_errno_t code,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records an out-of-memory error and returns false. */
BT_HIDDEN bool bt_m_oom(bt_mctx_t *c);

/* Appends the warning "FILE:LINE:COL: message" to the app. Returns false
 * only on allocation failure. */
BT_HIDDEN bool bt_m_warn(bt_mctx_t *c, bt_pos_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns the candidate closest to word when it is a plausible misspelling
 * (small edit distance), else NULL. candidates ends with a NULL name. */
BT_HIDDEN const char *bt_m_suggest(const char *word, const bt_mkey_t *keys);

/* Checks that table t (described as `where` in messages, e.g.
 * "[component.api]") holds only the given keys. An unknown key is an error
 * naming it and its position, with a suggestion when one is close; a key
 * marked ignored adds a warning "... is not supported by baton and is
 * ignored" instead. keys ends with a NULL name. */
BT_HIDDEN bool bt_m_check_keys(bt_mctx_t *c, const bt_toml_value_t *t,
                               const char *where, const bt_mkey_t *keys);

/* Records the type error "key 'KEY' in WHERE: expected EXPECTED, got KIND"
 * at v's position and returns false. */
BT_HIDDEN bool bt_m_type_error(bt_mctx_t *c, const bt_toml_value_t *v,
                               const char *key, const char *where,
                               const char *expected);

/* ---- typed field readers (app_read.c) ----
 * Each reads key from table t (where describes t). An absent key leaves the
 * output untouched and succeeds, unless required is true (then it is an
 * error "missing key 'KEY' in WHERE" at the table's position). */

/* A string; stores a bt_strdup'd copy and the value's position. */
BT_HIDDEN bool bt_m_get_str(bt_mctx_t *c, const bt_toml_value_t *t,
                            const char *key, const char *where, bool required,
                            bt_app_str_t *out);
/* A boolean; *pos (when not NULL) receives the value's position. */
BT_HIDDEN bool bt_m_get_bool(bt_mctx_t *c, const bt_toml_value_t *t,
                             const char *key, const char *where, bool *out,
                             bt_pos_t *pos);
/* An integer >= min. */
BT_HIDDEN bool bt_m_get_uint(bt_mctx_t *c, const bt_toml_value_t *t,
                             const char *key, const char *where, uint64_t min,
                             bool required, uint64_t *out, bt_pos_t *pos);
/* An array of strings. */
BT_HIDDEN bool bt_m_get_strs(bt_mctx_t *c, const bt_toml_value_t *t,
                             const char *key, const char *where,
                             bt_app_strs_t *out);
/* A table (or inline table); *out is NULL when absent. */
BT_HIDDEN bool bt_m_get_table(bt_mctx_t *c, const bt_toml_value_t *t,
                              const char *key, const char *where,
                              const bt_toml_value_t **out);

/* Returns a bt_malloc'd path: rel joined to the app's directory (rel itself
 * when absolute or when the directory is empty or "."). NULL on OOM. */
BT_HIDDEN char *bt_m_resolve_path(const bt_mctx_t *c, const char *rel);

/* Reads a path-valued string key into out, resolved against the app's
 * directory; *written (when not NULL) receives the text as written. */
BT_HIDDEN bool bt_m_get_path(bt_mctx_t *c, const bt_toml_value_t *t,
                             const char *key, const char *where, bool required,
                             bt_app_str_t *out, char **written);

/* Checks that name is a valid item name (letters, digits, '-' and '_',
 * starting with a letter or digit). what is "component", "flow", ... */
BT_HIDDEN bool bt_m_check_name(bt_mctx_t *c, bt_pos_t pos, const char *what,
                               const char *name);

/* Grows *arr (elements of size elem) by one zeroed element at the end and
 * returns it, or NULL on OOM (recorded). *len is incremented. */
BT_HIDDEN void *bt_m_push(bt_mctx_t *c, void **arr, size_t *len, size_t elem);

/* ---- pieces shared by both formats (app_read.c) ---- */

/* Reads the top-level variables table: NAME = { default, required, secret,
 * description } entries (also [variables.NAME] tables). */
BT_HIDDEN bool bt_m_read_variables(bt_mctx_t *c, const bt_toml_value_t *t);

/* Reads a table of component variable templates (key = "template") into
 * comp. where describes the table. */
BT_HIDDEN bool bt_m_read_component_vars(bt_mctx_t *c, bt_app_component_t *comp,
                                        const bt_toml_value_t *t,
                                        const char *where);

/* Reads a build table (command, workdir, watch) into comp. */
BT_HIDDEN bool bt_m_read_build(bt_mctx_t *c, bt_app_component_t *comp,
                               const bt_toml_value_t *t, const char *where);

/* Reads a dependencies table into comp. spin selects Spin's leniency:
 * registry, url and version-string entries become warnings and are
 * skipped instead of errors. */
BT_HIDDEN bool bt_m_read_dependencies(bt_mctx_t *c, bt_app_component_t *comp,
                                      const bt_toml_value_t *t,
                                      const char *where, bool spin);

/* Reads the JSON string value v (of key `config`) as comp's trigger
 * config: keeps the text and parses it. where describes the table. */
BT_HIDDEN bool bt_m_read_trigger_config(bt_mctx_t *c, bt_app_component_t *comp,
                                        const bt_toml_value_t *v,
                                        const char *where);

/* Reads the capability lists of a component (allowed_outbound_hosts,
 * key_value_stores, files). With spin, files may also hold { source,
 * destination } tables, recorded as "source:destination". */
BT_HIDDEN bool bt_m_read_caps(bt_mctx_t *c, bt_app_component_t *comp,
                              const bt_toml_value_t *t, const char *where,
                              bool spin);

/* Checks an interface, package or plain import name ("ns:pkg/iface@1.0",
 * "ns:pkg", "log") and splits it into a dependency's fields (package,
 * interface, version, kind), all bt_malloc'd. Returns false with an error
 * at pos when it is malformed; what names the key in the message. */
BT_HIDDEN bool bt_m_parse_import_name(bt_mctx_t *c, bt_pos_t pos,
                                      const char *name, const char *what,
                                      bt_app_dependency_t *out);

/* ---- the format loaders ---- */

BT_HIDDEN bool bt_m_load_baton(bt_mctx_t *c, const bt_toml_value_t *root);
BT_HIDDEN bool bt_m_load_spin(bt_mctx_t *c, const bt_toml_value_t *root,
                              int version);

/* ---- checks after loading (app.c, variables.c) ---- */

/* Resolves references and checks the whole model: names, components,
 * steps, routes, inputs, cycles, dependencies, triggers, variables and
 * trigger configs against their schemas. */
BT_HIDDEN bool bt_m_validate(bt_mctx_t *c);

/* Checks every component variable template: syntax and that each {{ name }}
 * is an application variable; and that no two variables map to the same
 * environment variable. */
BT_HIDDEN bool bt_m_check_templates(bt_mctx_t *c);

/* Sets the built-in retry defaults (see bt_app_retry_t) in r. */
BT_HIDDEN void bt_m_retry_defaults(bt_app_retry_t *r);

/* Frees the fields of a dependency / an input (not the struct itself). */
BT_HIDDEN void bt_m_free_dep(bt_app_dependency_t *d);
BT_HIDDEN void bt_m_free_input(bt_app_input_t *in);

#endif
