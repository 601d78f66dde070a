/*
 * src/manifest/spin_toml.c: reads Spin's spin.toml, manifest versions 1 and
 * 2, into the same application model as baton.toml.
 *
 * Mapping (docs/manifest.md, "Spin manifests", has the full table):
 *  - v1: top-level name/version/description become [application]; the
 *    top-level trigger = { type, retry_policy_enabled } sets the app's
 *    trigger type and retry switch; each [[component]] (id, source, build,
 *    [component.trigger] config = "<JSON>", [component.config] key/values
 *    that become the component's variables) becomes a component.
 *  - v2: [application], [variables] and [component.NAME] (source,
 *    variables, build, dependencies, allowed_outbound_hosts) map directly;
 *    each [[trigger.TYPE]] entry is recorded with the component it names,
 *    and its `config` JSON becomes that component's trigger config.
 *  - A Spin manifest has no flows: the runner runs its components as a
 *    pipeline in manifest order.
 *
 * Leniency: a key Spin defines but baton does not implement (files,
 * sqlite_databases, environment, an HTTP route, ...) is accepted and
 * recorded as a warning in app->warnings; any other key is an error, with
 * a suggestion when it is close to a known one. Trigger tables are plugin
 * defined, so there an unknown key is a warning unless it looks like a
 * misspelling of a known key.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "manifest/app_internal.h"

/* Keys of trigger tables that baton reads; others are plugin-defined. */
static const bt_mkey_t v1_app_trigger_keys[] = {
    {"type", false}, {"retry_policy_enabled", false}, {NULL, false}};
static const bt_mkey_t v1_comp_trigger_keys[] = {{"config", false},
                                                 {NULL, false}};
static const bt_mkey_t v2_trigger_keys[] = {
    {"component", false}, {"config", false}, {"id", false}, {NULL, false}};

/* Checks the keys of a trigger table: keys are baton's or plugin-defined
 * (ignored with a warning), unless an unknown key is a near miss of a
 * baton key, which is an error with a suggestion. */
static bool check_trigger_keys(bt_mctx_t *c, const bt_toml_value_t *t,
                               const char *where, const bt_mkey_t *keys) {
  for (size_t i = 0; i < bt_toml_table_len(t); i++) {
    const bt_toml_entry_t *e = bt_toml_table_entry(t, i);
    const bt_mkey_t *k = keys;
    while (k->name && strcmp(k->name, e->key) != 0) k++;
    if (k->name) continue;
    const char *s = bt_m_suggest(e->key, keys);
    if (s)
      return bt_m_fail(c, bt_m_key_pos(c, e), BATON_EINVALID,
                       "unknown key '%s' in %s (did you mean '%s'?)", e->key,
                       where, s);
    if (!bt_m_warn(c, bt_m_key_pos(c, e),
                   "key '%s' in %s is not supported by baton and is ignored",
                   e->key, where))
      return false;
  }
  return true;
}

/* Checks that `authors` (accepted and dropped) is an array of strings. */
static bool check_authors(bt_mctx_t *c, const bt_toml_value_t *t,
                          const char *where) {
  bt_app_strs_t authors = {0};
  bool ok = bt_m_get_strs(c, t, "authors", where, &authors);
  for (size_t i = 0; i < authors.len; i++) bt_free(authors.items[i].text);
  bt_free(authors.items);
  return ok;
}

/* Warns that files / key_value_stores are recorded but not provided. */
static bool warn_caps(bt_mctx_t *c, const bt_app_component_t *comp,
                      const char *where) {
  if (comp->files.pos.line &&
      !bt_m_warn(c, comp->files.pos,
                 "key 'files' in %s is recorded, but baton does not provide "
                 "Spin files to components (baton.toml `files` grants directories)",
                 where))
    return false;
  if (comp->key_value_stores.pos.line &&
      !bt_m_warn(c, comp->key_value_stores.pos,
                 "key 'key_value_stores' in %s is recorded, but baton does "
                 "not provide key-value stores to components",
                 where))
    return false;
  return true;
}

/* Adds a component named name (at pos) and returns it, or NULL. */
static bt_app_component_t *add_component(bt_mctx_t *c, const char *name,
                                         bt_pos_t pos) {
  if (!bt_m_check_name(c, pos, "component", name)) return NULL;
  char *dup = bt_strdup(name);
  if (!dup) {
    bt_m_oom(c);
    return NULL;
  }
  bt_app_component_t *comp = bt_m_push(c, (void **)&c->app->components,
                                       &c->app->ncomponents, sizeof *comp);
  if (!comp) {
    bt_free(dup);
    return NULL;
  }
  comp->name = dup;
  comp->pos = pos;
  comp->index = c->app->ncomponents - 1;
  return comp;
}

/* Reads a component's source, which must be a local path (remote and
 * registry sources are not supported: there would be no code to run). */
static bool read_source(bt_mctx_t *c, bt_app_component_t *comp,
                        const bt_toml_value_t *t, const char *where) {
  const bt_toml_value_t *v = bt_toml_table_get(t, "source");
  if (v && bt_toml_kind(v) == BT_TOML_TABLE)
    return bt_m_fail(c, bt_m_pos(c, v), BATON_EUNSUPPORTED,
                     "key 'source' in %s: URL and registry sources are not "
                     "supported by baton; download the .wasm and give its "
                     "path",
                     where);
  return bt_m_get_path(c, t, "source", where, true, &comp->source,
                       &comp->source_written);
}

/* Reads retry_policy_enabled of a v1 trigger: a boolean, or the string
 * "None" (disabled), "false" or "true". */
static bool read_retry_switch(bt_mctx_t *c, const bt_toml_value_t *t,
                              const char *where) {
  const bt_toml_value_t *v = bt_toml_table_get(t, "retry_policy_enabled");
  if (!v) return true;
  bool b;
  const char *s = bt_toml_string(v, NULL);
  if (bt_toml_bool(v, &b)) {
    c->app->retry_policy_enabled = b;
  } else if (s && (strcmp(s, "None") == 0 || strcmp(s, "none") == 0 ||
                   strcmp(s, "false") == 0)) {
    c->app->retry_policy_enabled = 0;
  } else if (s && strcmp(s, "true") == 0) {
    c->app->retry_policy_enabled = 1;
  } else {
    return bt_m_fail(c, bt_m_pos(c, v), BATON_EINVALID,
                     "key 'retry_policy_enabled' in %s: expected a boolean "
                     "or \"None\"",
                     where);
  }
  c->app->retry_policy_enabled_pos = bt_m_pos(c, v);
  return true;
}

/* ---- version 1 ---- */

/* Reads one v1 [[component]] table (the number-th) into a new component. */
static bool read_v1_component(bt_mctx_t *c, const bt_toml_value_t *t,
                              size_t number) {
  static const bt_mkey_t keys[] = {{"id", false},
                                   {"source", false},
                                   {"description", false},
                                   {"files", false},
                                   {"exclude_files", true},
                                   {"allowed_http_hosts", true},
                                   {"allowed_outbound_hosts", false},
                                   {"key_value_stores", false},
                                   {"sqlite_databases", true},
                                   {"ai_models", true},
                                   {"environment", true},
                                   {"trigger", false},
                                   {"build", false},
                                   {"config", false},
                                   {NULL, false}};
  char where[300];
  if (bt_toml_kind(t) != BT_TOML_TABLE)
    return bt_m_type_error(c, t, "component", "the manifest",
                           "array of tables ([[component]])");
  const bt_toml_value_t *id = bt_toml_table_get(t, "id");
  const char *ids = bt_toml_string(id, NULL);
  if (ids)
    snprintf(where, sizeof where, "[[component]] '%s'", ids);
  else
    snprintf(where, sizeof where, "[[component]] %zu", number);
  if (!bt_m_check_keys(c, t, where, keys)) return false;
  if (!id)
    return bt_m_fail(c, bt_m_pos(c, t), BATON_EINVALID,
                     "missing key 'id' in %s", where);
  if (!ids) return bt_m_type_error(c, id, "id", where, "string");
  bt_app_component_t *comp = add_component(c, ids, bt_m_pos(c, id));
  if (!comp || !read_source(c, comp, t, where) ||
      !bt_m_get_str(c, t, "description", where, false, &comp->description) ||
      !bt_m_read_caps(c, comp, t, where, true) || !warn_caps(c, comp, where))
    return false;
  const bt_toml_value_t *sub;
  char swhere[340];
  snprintf(swhere, sizeof swhere, "[component.build] of '%s'", ids);
  if (!bt_m_get_table(c, t, "build", where, &sub) ||
      (sub && !bt_m_read_build(c, comp, sub, swhere)))
    return false;
  snprintf(swhere, sizeof swhere, "[component.config] of '%s'", ids);
  if (!bt_m_get_table(c, t, "config", where, &sub) ||
      (sub && !bt_m_read_component_vars(c, comp, sub, swhere)))
    return false;
  if (!bt_m_get_table(c, t, "trigger", where, &sub)) return false;
  if (sub) {
    char twhere[340];
    snprintf(twhere, sizeof twhere, "[component.trigger] of '%s'", ids);
    if (!check_trigger_keys(c, sub, twhere, v1_comp_trigger_keys))
      return false;
    const bt_toml_value_t *cfg = bt_toml_table_get(sub, "config");
    if (cfg && !bt_m_read_trigger_config(c, comp, cfg, twhere)) return false;
  }
  return true;
}

/* Reads a version 1 document: top-level application keys and trigger,
 * [variables], and the [[component]] array. */
static bool load_v1(bt_mctx_t *c, const bt_toml_value_t *root) {
  static const bt_mkey_t keys[] = {{"spin_manifest_version", false},
                                   {"name", false},
                                   {"version", false},
                                   {"description", false},
                                   {"authors", false},
                                   {"trigger", false},
                                   {"variables", false},
                                   {"component", false},
                                   {NULL, false}};
  const char *where = "the manifest";
  bt_app_t *app = c->app;
  if (!bt_m_check_keys(c, root, where, keys) ||
      !bt_m_get_str(c, root, "name", where, true, &app->name) ||
      !bt_m_get_str(c, root, "version", where, false, &app->version) ||
      !bt_m_get_str(c, root, "description", where, false, &app->description) ||
      !check_authors(c, root, where))
    return false;
  const bt_toml_value_t *trig;
  if (!bt_m_get_table(c, root, "trigger", where, &trig)) return false;
  if (trig) {
    const char *tw = "the application trigger";
    if (!check_trigger_keys(c, trig, tw, v1_app_trigger_keys) ||
        !bt_m_get_str(c, trig, "type", tw, true, &app->spin_trigger_type) ||
        !read_retry_switch(c, trig, tw))
      return false;
    if (strcmp(app->spin_trigger_type.text, "orchestrator") != 0 &&
        !bt_m_warn(c, app->spin_trigger_type.pos,
                   "trigger type '%s' is not supported by baton; the "
                   "components run as a pipeline in manifest order",
                   app->spin_trigger_type.text))
      return false;
  }
  const bt_toml_value_t *vars;
  if (!bt_m_get_table(c, root, "variables", where, &vars) ||
      (vars && !bt_m_read_variables(c, vars)))
    return false;
  const bt_toml_value_t *comps = bt_toml_table_get(root, "component");
  if (comps && bt_toml_kind(comps) != BT_TOML_ARRAY)
    return bt_m_type_error(c, comps, "component", where,
                           "array of tables ([[component]])");
  for (size_t i = 0; comps && i < bt_toml_array_len(comps); i++)
    if (!read_v1_component(c, bt_toml_array_at(comps, i), i + 1)) return false;
  return true;
}

/* ---- version 2 ---- */

/* Reads one v2 [component.NAME] table (entry e) into a new component. */
static bool read_v2_component(bt_mctx_t *c, const bt_toml_entry_t *e) {
  static const bt_mkey_t keys[] = {{"source", false},
                                   {"description", false},
                                   {"files", false},
                                   {"exclude_files", true},
                                   {"allowed_http_hosts", true},
                                   {"allowed_outbound_hosts", false},
                                   {"key_value_stores", false},
                                   {"sqlite_databases", true},
                                   {"ai_models", true},
                                   {"environment", true},
                                   {"build", false},
                                   {"variables", false},
                                   {"dependencies", false},
                                   {"dependencies_inherit_configuration", true},
                                   {"tool", true},
                                   {NULL, false}};
  const bt_toml_value_t *t = e->value;
  if (bt_toml_kind(t) != BT_TOML_TABLE)
    return bt_m_type_error(c, t, e->key, "[component]", "table");
  char where[300], swhere[340];
  snprintf(where, sizeof where, "[component.%s]", e->key);
  if (!bt_m_check_keys(c, t, where, keys)) return false;
  bt_app_component_t *comp = add_component(c, e->key, bt_m_key_pos(c, e));
  if (!comp || !read_source(c, comp, t, where) ||
      !bt_m_get_str(c, t, "description", where, false, &comp->description) ||
      !bt_m_read_caps(c, comp, t, where, true) || !warn_caps(c, comp, where))
    return false;
  const bt_toml_value_t *sub;
  snprintf(swhere, sizeof swhere, "[component.%s.build]", e->key);
  if (!bt_m_get_table(c, t, "build", where, &sub) ||
      (sub && !bt_m_read_build(c, comp, sub, swhere)))
    return false;
  snprintf(swhere, sizeof swhere, "[component.%s.variables]", e->key);
  if (!bt_m_get_table(c, t, "variables", where, &sub) ||
      (sub && !bt_m_read_component_vars(c, comp, sub, swhere)))
    return false;
  snprintf(swhere, sizeof swhere, "[component.%s.dependencies]", e->key);
  return bt_m_get_table(c, t, "dependencies", where, &sub) &&
         (!sub || bt_m_read_dependencies(c, comp, sub, swhere, true));
}

/* Reads the [[trigger.TYPE]] arrays. Runs after the components are read,
 * since a trigger's config attaches to the component it names. */
static bool read_v2_triggers(bt_mctx_t *c, const bt_toml_value_t *t) {
  for (size_t i = 0; i < bt_toml_table_len(t); i++) {
    const bt_toml_entry_t *e = bt_toml_table_entry(t, i);
    char where[300];
    snprintf(where, sizeof where, "[[trigger.%s]]", e->key);
    if (bt_toml_kind(e->value) != BT_TOML_ARRAY)
      return bt_m_type_error(c, e->value, e->key, "[trigger]",
                             "array of tables");
    if (strcmp(e->key, "orchestrator") != 0 &&
        !bt_m_warn(c, bt_m_key_pos(c, e),
                   "trigger type '%s' is not supported by baton; its "
                   "entries only record their component",
                   e->key))
      return false;
    for (size_t k = 0; k < bt_toml_array_len(e->value); k++) {
      const bt_toml_value_t *tt = bt_toml_array_at(e->value, k);
      if (bt_toml_kind(tt) != BT_TOML_TABLE)
        return bt_m_type_error(c, tt, e->key, "[trigger]", "array of tables");
      if (!check_trigger_keys(c, tt, where, v2_trigger_keys)) return false;
      const bt_toml_value_t *cv = bt_toml_table_get(tt, "component");
      if (cv && bt_toml_kind(cv) == BT_TOML_TABLE)
        return bt_m_fail(c, bt_m_pos(c, cv), BATON_EUNSUPPORTED,
                         "key 'component' in %s: inline components are not "
                         "supported by baton; declare [component.NAME] and "
                         "name it here",
                         where);
      char *type = bt_strdup(e->key);
      if (!type) return bt_m_oom(c);
      bt_app_trigger_t *tr = bt_m_push(c, (void **)&c->app->triggers,
                                       &c->app->ntriggers, sizeof *tr);
      if (!tr) {
        bt_free(type);
        return false;
      }
      tr->kind = BT_APP_TRIGGER_SPIN;
      tr->pos = bt_m_pos(c, tt);
      tr->spin_type = type;
      tr->flow.index = BT_APP_NONE;
      tr->component.index = BT_APP_NONE;
      bt_app_str_t comp = {0};
      if (!bt_m_get_str(c, tt, "component", where, true, &comp)) return false;
      tr->component.name = comp.text;
      tr->component.pos = comp.pos;
      const bt_toml_value_t *cfg = bt_toml_table_get(tt, "config");
      if (!cfg) continue;
      bt_app_component_t *target = NULL;
      for (size_t j = 0; j < c->app->ncomponents; j++)
        if (strcmp(c->app->components[j].name, comp.text) == 0)
          target = &c->app->components[j];
      if (!target) continue; /* reported by bt_m_validate */
      if (target->trigger_config.text)
        return bt_m_fail(c, bt_m_pos(c, cfg), BATON_EINVALID,
                         "%s: component '%s' already has a trigger config "
                         "(at %s:%u:%u)",
                         where, target->name,
                         BT_POS_ARGS(target->trigger_config.pos));
      if (!bt_m_read_trigger_config(c, target, cfg, where)) return false;
    }
  }
  return true;
}

/* Reads a version 2 document: [application], [variables], the components,
 * then the [[trigger.TYPE]] entries (which refer to components). */
static bool load_v2(bt_mctx_t *c, const bt_toml_value_t *root) {
  static const bt_mkey_t keys[] = {{"spin_manifest_version", false},
                                   {"application", false},
                                   {"variables", false},
                                   {"trigger", false},
                                   {"component", false},
                                   {NULL, false}};
  static const bt_mkey_t app_keys[] = {{"name", false},
                                       {"version", false},
                                       {"description", false},
                                       {"authors", false},
                                       {"trigger", true},
                                       {NULL, false}};
  bt_app_t *app = c->app;
  if (!bt_m_check_keys(c, root, "the manifest", keys)) return false;
  const bt_toml_value_t *t;
  if (!bt_m_get_table(c, root, "application", "the manifest", &t)) return false;
  if (!t)
    return bt_m_fail(c, (bt_pos_t){0}, BATON_EINVALID,
                     "missing [application] table (with at least name = "
                     "\"...\")");
  const char *aw = "[application]";
  if (!bt_m_check_keys(c, t, aw, app_keys) ||
      !bt_m_get_str(c, t, "name", aw, true, &app->name) ||
      !bt_m_get_str(c, t, "version", aw, false, &app->version) ||
      !bt_m_get_str(c, t, "description", aw, false, &app->description) ||
      !check_authors(c, t, aw))
    return false;
  if (!bt_m_get_table(c, root, "variables", "the manifest", &t) ||
      (t && !bt_m_read_variables(c, t)))
    return false;
  if (!bt_m_get_table(c, root, "component", "the manifest", &t)) return false;
  for (size_t i = 0; t && i < bt_toml_table_len(t); i++)
    if (!read_v2_component(c, bt_toml_table_entry(t, i))) return false;
  if (!bt_m_get_table(c, root, "trigger", "the manifest", &t)) return false;
  return !t || read_v2_triggers(c, t);
}

bool bt_m_load_spin(bt_mctx_t *c, const bt_toml_value_t *root, int version) {
  return version == 1 ? load_v1(c, root) : load_v2(c, root);
}
