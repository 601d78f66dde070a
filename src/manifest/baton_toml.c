/*
 * src/manifest/baton_toml.c: reads a baton.toml document (already parsed
 * into a TOML tree) into the application model. docs/manifest.md is the
 * reference of the format; this file follows it table by table:
 * [application], [variables], [component.NAME] (with its variables, build,
 * trigger and dependencies sub-tables), [flow.NAME] with its
 * [[flow.NAME.step]] entries, and [trigger] with [[trigger.cli]] and
 * [[trigger.timer]].
 *
 * Every table is checked for unknown keys before its fields are read, so a
 * misspelt key is reported as such rather than as a missing one. This file
 * only reads; references between items, cycles and schemas are checked by
 * bt_m_validate() in app.c once everything is read.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "manifest/app_internal.h"

/* ---- small readers specific to baton.toml ---- */

/* Reads max_memory: an integer number of bytes, or a string of digits with
 * an optional K, M, G or T suffix (powers of 1024; "KiB", "MB" and the like
 * are accepted too, all binary). */
static bool read_max_memory(bt_mctx_t *c, const bt_toml_value_t *t,
                            const char *where, bt_app_component_t *comp) {
  const bt_toml_value_t *v = bt_toml_table_get(t, "max_memory");
  if (!v) return true;
  comp->max_memory_pos = bt_m_pos(c, v);
  int64_t i;
  if (bt_toml_integer(v, &i)) {
    if (i <= 0)
      return bt_m_fail(c, comp->max_memory_pos, BATON_EINVALID,
                       "key 'max_memory' in %s: must be positive", where);
    comp->max_memory = (uint64_t)i;
    return true;
  }
  const char *s = bt_toml_string(v, NULL);
  if (!s)
    return bt_m_type_error(c, v, "max_memory", where,
                           "integer or string such as \"64M\"");
  uint64_t n = 0;
  const char *p = s;
  bool ok = isdigit((unsigned char)*p);
  for (; ok && isdigit((unsigned char)*p); p++) {
    unsigned d = (unsigned)(*p - '0');
    if (n > (UINT64_MAX - d) / 10) ok = false;
    n = n * 10 + d;
  }
  while (*p == ' ') p++;
  unsigned shift = 0;
  switch (toupper((unsigned char)*p)) {
    case 'K': shift = 10; p++; break;
    case 'M': shift = 20; p++; break;
    case 'G': shift = 30; p++; break;
    case 'T': shift = 40; p++; break;
    default: break;
  }
  if (shift && (*p == 'i' || *p == 'I')) p++;
  if (*p == 'b' || *p == 'B') p++;
  if (ok && *p == 0 && n > 0 && n <= (UINT64_MAX >> shift)) {
    comp->max_memory = n << shift;
    return true;
  }
  return bt_m_fail(c, comp->max_memory_pos, BATON_EINVALID,
                   "key 'max_memory' in %s: expected a positive size such as "
                   "65536, \"512K\", \"64M\" or \"1G\"",
                   where);
}

/* Reads a retry table (application retry_policy, step retry). */
static bool read_retry(bt_mctx_t *c, const bt_toml_value_t *v,
                       const char *key, const char *outer, bt_app_retry_t *r) {
  static const bt_mkey_t keys[] = {{"max_attempts", false},
                                   {"initial_backoff_ms", false},
                                   {"max_backoff_ms", false},
                                   {"multiplier", false},
                                   {"jitter", false},
                                   {"on", false},
                                   {NULL, false}};
  if (bt_toml_kind(v) != BT_TOML_TABLE)
    return bt_m_type_error(c, v, key, outer, "table");
  char where[400];
  snprintf(where, sizeof where, "'%s' of %s", key, outer);
  if (!bt_m_check_keys(c, v, where, keys)) return false;
  bt_m_retry_defaults(r);
  r->present = true;
  r->pos = bt_m_pos(c, v);
  uint64_t attempts = 0;
  bt_pos_t pos = {0};
  if (!bt_m_get_uint(c, v, "max_attempts", where, 1, false, &attempts, &pos))
    return false;
  if (pos.line) {
    if (attempts > 1000000)
      return bt_m_fail(c, pos, BATON_EINVALID,
                       "key 'max_attempts' in %s: must be at most 1000000",
                       where);
    r->max_attempts = (uint32_t)attempts;
    r->set |= BT_APP_RETRY_SET_MAX_ATTEMPTS;
  }
  bt_pos_t ipos = {0}, mpos = {0};
  if (!bt_m_get_uint(c, v, "initial_backoff_ms", where, 0, false,
                     &r->initial_backoff_ms, &ipos) ||
      !bt_m_get_uint(c, v, "max_backoff_ms", where, 0, false,
                     &r->max_backoff_ms, &mpos))
    return false;
  if (ipos.line) r->set |= BT_APP_RETRY_SET_INITIAL_BACKOFF;
  if (mpos.line) r->set |= BT_APP_RETRY_SET_MAX_BACKOFF;
  if (ipos.line && mpos.line && r->max_backoff_ms < r->initial_backoff_ms)
    return bt_m_fail(c, mpos, BATON_EINVALID,
                     "key 'max_backoff_ms' in %s: must not be less than "
                     "initial_backoff_ms",
                     where);
  const bt_toml_value_t *m = bt_toml_table_get(v, "multiplier");
  if (m) {
    double d;
    int64_t i;
    if (bt_toml_integer(m, &i)) d = (double)i;
    else if (!bt_toml_float(m, &d))
      return bt_m_type_error(c, m, "multiplier", where, "number");
    if (!isfinite(d) || d < 1.0)
      return bt_m_fail(c, bt_m_pos(c, m), BATON_EINVALID,
                       "key 'multiplier' in %s: must be a number >= 1", where);
    r->multiplier = d;
    r->set |= BT_APP_RETRY_SET_MULTIPLIER;
  }
  bt_pos_t jpos = {0};
  if (!bt_m_get_bool(c, v, "jitter", where, &r->jitter, &jpos)) return false;
  if (jpos.line) r->set |= BT_APP_RETRY_SET_JITTER;
  const bt_toml_value_t *on = bt_toml_table_get(v, "on");
  if (on) {
    if (bt_toml_kind(on) != BT_TOML_ARRAY)
      return bt_m_type_error(c, on, "on", where, "array of strings");
    static const bt_mkey_t kinds[] = {
        {"trap", false}, {"timeout", false}, {"err", false}, {NULL, false}};
    r->on = 0;
    for (size_t i = 0; i < bt_toml_array_len(on); i++) {
      const bt_toml_value_t *item = bt_toml_array_at(on, i);
      const char *s = bt_toml_string(item, NULL);
      if (!s) return bt_m_type_error(c, item, "on", where, "array of strings");
      if (strcmp(s, "trap") == 0) r->on |= BT_APP_RETRY_ON_TRAP;
      else if (strcmp(s, "timeout") == 0) r->on |= BT_APP_RETRY_ON_TIMEOUT;
      else if (strcmp(s, "err") == 0) r->on |= BT_APP_RETRY_ON_ERR;
      else {
        const char *sug = bt_m_suggest(s, kinds);
        return bt_m_fail(c, bt_m_pos(c, item), BATON_EINVALID,
                         "key 'on' in %s: unknown failure kind '%s'%s%s%s "
                         "(expected \"trap\", \"timeout\" or \"err\")",
                         where, s, sug ? " (did you mean '" : "",
                         sug ? sug : "", sug ? "'?)" : "");
      }
    }
    r->set |= BT_APP_RETRY_SET_ON;
  }
  return true;
}

/* Returns true for a field path segment: a record field (letters, digits,
 * '-', '_') or a tuple index (digits). */
static bool is_segment(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
      return false;
  return true;
}

/* Parses one input reference string ("$input", "$input.f", "steps.X",
 * "steps.X.f.0") into in (kind FLOW or STEP). self is the name of the step
 * being compensated when parsing a compensation's input, where "$output"
 * (and "$output.f") refers to that step's output; NULL elsewhere. */
static bool parse_ref(bt_mctx_t *c, const bt_toml_value_t *v, const char *s,
                      const char *key, const char *where, const char *self,
                      bt_app_input_t *in) {
  in->pos = bt_m_pos(c, v);
  in->step.index = BT_APP_NONE;
  in->text = bt_strdup(s);
  if (!in->text) return bt_m_oom(c);
  const char *rest;
  if (strncmp(s, "$input", 6) == 0 && (s[6] == 0 || s[6] == '.')) {
    in->kind = BT_APP_INPUT_FLOW;
    rest = s + 6;
  } else if (self && strncmp(s, "$output", 7) == 0 &&
             (s[7] == 0 || s[7] == '.')) {
    in->kind = BT_APP_INPUT_STEP;
    in->step.name = bt_strdup(self);
    if (!in->step.name) return bt_m_oom(c);
    in->step.pos = in->pos;
    rest = s + 7;
  } else if (strncmp(s, "steps.", 6) == 0) {
    in->kind = BT_APP_INPUT_STEP;
    const char *name = s + 6, *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    if (!is_segment(name, n)) goto bad;
    in->step.name = bt_strndup(name, n);
    if (!in->step.name) return bt_m_oom(c);
    in->step.pos = in->pos;
    rest = name + n;
  } else {
    goto bad;
  }
  while (*rest) {
    const char *seg = rest + 1, *dot = strchr(seg, '.');
    size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
    if (!is_segment(seg, n)) goto bad;
    char *dup = bt_strndup(seg, n);
    if (!dup) return bt_m_oom(c);
    char **slot = bt_m_push(c, (void **)&in->path, &in->path_len, sizeof *slot);
    if (!slot) {
      bt_free(dup);
      return false;
    }
    *slot = dup;
    rest = seg + n;
  }
  return true;
bad:
  return bt_m_fail(c, in->pos, BATON_EINVALID,
                   "key '%s' in %s: cannot parse '%s': expected \"$input\", "
                   "\"steps.NAME\" or \"steps.NAME.FIELD\" (use input_value "
                   "for a literal)",
                   key, where, s);
}

/* Parses an input expression: a reference string or an array of them (a
 * tuple). self is as for parse_ref(). */
static bool read_input(bt_mctx_t *c, const bt_toml_value_t *v, const char *key,
                       const char *where, const char *self,
                       bt_app_input_t *in) {
  const char *s = bt_toml_string(v, NULL);
  if (s) return parse_ref(c, v, s, key, where, self, in);
  if (bt_toml_kind(v) != BT_TOML_ARRAY)
    return bt_m_type_error(c, v, key, where, "string or array of strings");
  in->kind = BT_APP_INPUT_TUPLE;
  in->pos = bt_m_pos(c, v);
  in->step.index = BT_APP_NONE;
  if (bt_toml_array_len(v) == 0)
    return bt_m_fail(c, in->pos, BATON_EINVALID,
                     "key '%s' in %s: a tuple input needs at least one item",
                     key, where);
  for (size_t i = 0; i < bt_toml_array_len(v); i++) {
    const bt_toml_value_t *item = bt_toml_array_at(v, i);
    const char *is = bt_toml_string(item, NULL);
    if (!is) return bt_m_type_error(c, item, key, where, "array of strings");
    bt_app_input_t *slot =
        bt_m_push(c, (void **)&in->items, &in->len, sizeof *slot);
    if (!slot || !parse_ref(c, item, is, key, where, self, slot)) return false;
  }
  return true;
}

/* Checks an export name: "func", "iface#func" or "ns:pkg/iface[@v]#func". */
static bool check_export(bt_mctx_t *c, const bt_app_str_t *e) {
  const char *hash = strchr(e->text, '#');
  bool ok;
  if (hash) {
    char *iface = bt_strndup(e->text, (size_t)(hash - e->text));
    if (!iface) return bt_m_oom(c);
    bt_app_dependency_t tmp = {0};
    ok = bt_m_parse_import_name(c, e->pos, iface, "export interface", &tmp);
    bt_m_free_dep(&tmp);
    bt_free(iface);
    if (!ok) return false;
  }
  const char *func = hash ? hash + 1 : e->text;
  ok = func[0] >= 'a' && func[0] <= 'z';
  for (const char *p = func; ok && *p; p++)
    ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
  if (!ok)
    return bt_m_fail(c, e->pos, BATON_EINVALID,
                     "export '%s' is not a function name such as "
                     "\"handle-init\" or \"ns:pkg/iface#func\"",
                     e->text);
  return true;
}

/* Reads a list of names (a string or an array of strings) into refs. */
static bool read_names(bt_mctx_t *c, const bt_toml_value_t *v, const char *key,
                       const char *where, bt_app_ref_t **refs, size_t *n) {
  size_t count = bt_toml_kind(v) == BT_TOML_ARRAY ? bt_toml_array_len(v) : 1;
  if (bt_toml_kind(v) != BT_TOML_ARRAY && bt_toml_kind(v) != BT_TOML_STRING)
    return bt_m_type_error(c, v, key, where, "string or array of strings");
  for (size_t i = 0; i < count; i++) {
    const bt_toml_value_t *item =
        bt_toml_kind(v) == BT_TOML_ARRAY ? bt_toml_array_at(v, i) : v;
    const char *s = bt_toml_string(item, NULL);
    if (!s) return bt_m_type_error(c, item, key, where, "array of strings");
    char *dup = bt_strdup(s);
    if (!dup) return bt_m_oom(c);
    bt_app_ref_t *r = bt_m_push(c, (void **)refs, n, sizeof *r);
    if (!r) {
      bt_free(dup);
      return false;
    }
    r->name = dup;
    r->pos = bt_m_pos(c, item);
    r->index = BT_APP_NONE;
  }
  return true;
}

/* Moves a string into a reference. */
static void str_to_ref(bt_app_str_t *s, bt_app_ref_t *r) {
  r->name = s->text;
  r->pos = s->pos;
  r->index = BT_APP_NONE;
  s->text = NULL;
}

/* ---- components ---- */

/* Reads config_schema (a table of key = "type", plus required = [...]). */
static bool read_schema(bt_mctx_t *c, bt_app_component_t *comp,
                        const bt_toml_value_t *v, const char *where) {
  static const bt_mkey_t types[] = {
      {"bool", false},   {"integer", false}, {"number", false},
      {"string", false}, {"array", false},   {"object", false},
      {NULL, false}};
  if (bt_toml_kind(v) != BT_TOML_TABLE)
    return bt_m_type_error(c, v, "config_schema", where, "table");
  comp->config_schema.present = true;
  comp->config_schema.pos = bt_m_pos(c, v);
  char swhere[300];
  snprintf(swhere, sizeof swhere, "config_schema of component '%s'",
           comp->name);
  const bt_toml_value_t *required = NULL;
  for (size_t i = 0; i < bt_toml_table_len(v); i++) {
    const bt_toml_entry_t *e = bt_toml_table_entry(v, i);
    if (strcmp(e->key, "required") == 0 &&
        bt_toml_kind(e->value) == BT_TOML_ARRAY) {
      required = e->value;
      continue;
    }
    const char *tn = bt_toml_string(e->value, NULL);
    if (!tn)
      return bt_m_type_error(c, e->value, e->key, swhere,
                             "string naming a type");
    size_t ti = 0;
    while (types[ti].name && strcmp(types[ti].name, tn) != 0) ti++;
    if (!types[ti].name) {
      const char *sug = bt_m_suggest(tn, types);
      return bt_m_fail(c, bt_m_pos(c, e->value), BATON_EINVALID,
                       "key '%s' in %s: unknown type '%s'%s%s%s (expected "
                       "bool, integer, number, string, array or object)",
                       e->key, swhere, tn, sug ? " (did you mean '" : "",
                       sug ? sug : "", sug ? "'?)" : "");
    }
    char *key = bt_strdup(e->key);
    if (!key) return bt_m_oom(c);
    bt_app_schema_field_t *f =
        bt_m_push(c, (void **)&comp->config_schema.fields,
                  &comp->config_schema.len, sizeof *f);
    if (!f) {
      bt_free(key);
      return false;
    }
    f->key = key;
    f->pos = bt_m_key_pos(c, e);
    f->type = (bt_app_cfg_type_t)ti;
  }
  for (size_t i = 0; required && i < bt_toml_array_len(required); i++) {
    const bt_toml_value_t *item = bt_toml_array_at(required, i);
    const char *s = bt_toml_string(item, NULL);
    if (!s)
      return bt_m_type_error(c, item, "required", swhere, "array of strings");
    size_t k = 0;
    while (k < comp->config_schema.len &&
           strcmp(comp->config_schema.fields[k].key, s) != 0)
      k++;
    if (k == comp->config_schema.len)
      return bt_m_fail(c, bt_m_pos(c, item), BATON_EINVALID,
                       "key 'required' in %s: '%s' is not declared in the "
                       "schema",
                       swhere, s);
    comp->config_schema.fields[k].required = true;
  }
  return true;
}

/* Reads the component table of entry e ([component.NAME]) and its
 * sub-tables into a new component appended to the app. */
static bool read_component(bt_mctx_t *c, const bt_toml_entry_t *e) {
  static const bt_mkey_t keys[] = {{"source", false},
                                   {"description", false},
                                   {"wit", false},
                                   {"world", false},
                                   {"variables", false},
                                   {"build", false},
                                   {"timeout_ms", false},
                                   {"max_memory", false},
                                   {"allowed_outbound_hosts", false},
                                   {"key_value_stores", false},
                                   {"files", false},
                                   {"trigger", false},
                                   {"dependencies", false},
                                   {"config_import", false},
                                   {NULL, false}};
  static const bt_mkey_t trigger_keys[] = {
      {"config", false}, {"config_schema", false}, {NULL, false}};
  bt_pos_t pos = bt_m_key_pos(c, e);
  if (!bt_m_check_name(c, pos, "component", e->key)) return false;
  const bt_toml_value_t *t = e->value;
  if (bt_toml_kind(t) != BT_TOML_TABLE)
    return bt_m_type_error(c, t, e->key, "[component]", "table");
  char where[300];
  snprintf(where, sizeof where, "[component.%s]", e->key);
  if (!bt_m_check_keys(c, t, where, keys)) return false;
  char *name = bt_strdup(e->key);
  if (!name) return bt_m_oom(c);
  bt_app_component_t *comp = bt_m_push(c, (void **)&c->app->components,
                                       &c->app->ncomponents, sizeof *comp);
  if (!comp) {
    bt_free(name);
    return false;
  }
  comp->name = name;
  comp->pos = pos;
  comp->index = c->app->ncomponents - 1;
  if (!bt_m_get_path(c, t, "source", where, true, &comp->source,
                     &comp->source_written) ||
      !bt_m_get_str(c, t, "description", where, false, &comp->description) ||
      !bt_m_get_path(c, t, "wit", where, false, &comp->wit, NULL) ||
      !bt_m_get_str(c, t, "world", where, false, &comp->world) ||
      !bt_m_get_uint(c, t, "timeout_ms", where, 1, false, &comp->timeout_ms,
                     &comp->timeout_pos) ||
      !read_max_memory(c, t, where, comp) ||
      !bt_m_read_caps(c, comp, t, where, false) ||
      !bt_m_get_str(c, t, "config_import", where, false, &comp->config_import))
    return false;
  if (comp->world.text && !comp->wit.text)
    return bt_m_fail(c, comp->world.pos, BATON_EINVALID,
                     "key 'world' in %s needs 'wit' (the WIT file or "
                     "directory that defines the world)",
                     where);
  if (comp->config_import.text) {
    bt_app_dependency_t tmp = {0};
    bool ok = bt_m_parse_import_name(c, comp->config_import.pos,
                                     comp->config_import.text, "config_import",
                                     &tmp);
    bt_m_free_dep(&tmp);
    if (!ok) return false;
  }
  const bt_toml_value_t *sub;
  char swhere[340];
  snprintf(swhere, sizeof swhere, "[component.%s.variables]", e->key);
  if (!bt_m_get_table(c, t, "variables", where, &sub) ||
      (sub && !bt_m_read_component_vars(c, comp, sub, swhere)))
    return false;
  snprintf(swhere, sizeof swhere, "[component.%s.build]", e->key);
  if (!bt_m_get_table(c, t, "build", where, &sub) ||
      (sub && !bt_m_read_build(c, comp, sub, swhere)))
    return false;
  snprintf(swhere, sizeof swhere, "[component.%s.dependencies]", e->key);
  if (!bt_m_get_table(c, t, "dependencies", where, &sub) ||
      (sub && !bt_m_read_dependencies(c, comp, sub, swhere, false)))
    return false;
  snprintf(swhere, sizeof swhere, "[component.%s.trigger]", e->key);
  if (!bt_m_get_table(c, t, "trigger", where, &sub)) return false;
  if (sub) {
    if (!bt_m_check_keys(c, sub, swhere, trigger_keys)) return false;
    const bt_toml_value_t *cfg = bt_toml_table_get(sub, "config");
    const bt_toml_value_t *schema = bt_toml_table_get(sub, "config_schema");
    if ((cfg && !bt_m_read_trigger_config(c, comp, cfg, swhere)) ||
        (schema && !read_schema(c, comp, schema, swhere)))
      return false;
  }
  return true;
}

/* ---- flows ---- */

/* Reads step table t, the number-th [[flow.NAME.step]] of flow, into a new
 * step appended to the flow. References stay unresolved (bt_m_validate). */
static bool read_step(bt_mctx_t *c, bt_app_flow_t *flow,
                      const bt_toml_value_t *t, size_t number) {
  static const bt_mkey_t keys[] = {{"name", false},
                                   {"component", false},
                                   {"export", false},
                                   {"input", false},
                                   {"input_value", false},
                                   {"after", false},
                                   {"on", false},
                                   {"retry", false},
                                   {"timeout_ms", false},
                                   {"compensate", false},
                                   {"reuse_instance", false},
                                   {NULL, false}};
  static const bt_mkey_t comp_keys[] = {
      {"component", false}, {"export", false}, {"input", false}, {NULL, false}};
  char where[400];
  if (bt_toml_kind(t) != BT_TOML_TABLE)
    return bt_m_type_error(c, t, "step", "[flow]", "array of tables");
  const char *given = bt_toml_string(bt_toml_table_get(t, "name"), NULL);
  if (given)
    snprintf(where, sizeof where, "step '%s' of flow '%s'", given, flow->name);
  else
    snprintf(where, sizeof where, "step %zu of flow '%s'", number, flow->name);
  if (!bt_m_check_keys(c, t, where, keys)) return false;
  bt_app_step_t *s =
      bt_m_push(c, (void **)&flow->steps, &flow->nsteps, sizeof *s);
  if (!s) return false;
  s->pos = bt_m_pos(c, t);
  s->index = flow->nsteps - 1;
  s->input.step.index = BT_APP_NONE;
  s->compensate.input.step.index = BT_APP_NONE;
  s->component.index = s->compensate.component.index = BT_APP_NONE;
  bt_app_str_t name = {0}, comp = {0};
  bool ok = bt_m_get_str(c, t, "name", where, true, &name);
  s->name = name.text;
  if (!ok || !bt_m_check_name(c, name.pos, "step", s->name)) return false;
  ok = bt_m_get_str(c, t, "component", where, true, &comp);
  str_to_ref(&comp, &s->component);
  if (!ok ||
      !bt_m_get_str(c, t, "export", where, false, &s->export_name) ||
      (s->export_name.text && !check_export(c, &s->export_name)) ||
      !bt_m_get_uint(c, t, "timeout_ms", where, 1, false, &s->timeout_ms,
                     &s->timeout_pos) ||
      !bt_m_get_bool(c, t, "reuse_instance", where, &s->reuse_instance,
                     &s->reuse_pos))
    return false;
  const bt_toml_value_t *input = bt_toml_table_get(t, "input");
  const bt_toml_value_t *literal = bt_toml_table_get(t, "input_value");
  if (input && literal)
    return bt_m_fail(c, bt_m_pos(c, literal), BATON_EINVALID,
                     "%s: 'input' and 'input_value' are mutually exclusive",
                     where);
  if (input && !read_input(c, input, "input", where, NULL, &s->input))
    return false;
  if (literal) {
    bt_app_str_t lit = {0};
    if (!bt_m_get_str(c, t, "input_value", where, false, &lit)) return false;
    s->input.kind = BT_APP_INPUT_LITERAL;
    s->input.text = lit.text;
    s->input.pos = lit.pos;
  }
  const bt_toml_value_t *after = bt_toml_table_get(t, "after");
  if (after) {
    s->after_written = true;
    if (!read_names(c, after, "after", where, &s->after, &s->nafter))
      return false;
  }
  const bt_toml_value_t *on = bt_toml_table_get(t, "on");
  if (on) {
    if (bt_toml_kind(on) != BT_TOML_TABLE)
      return bt_m_type_error(c, on, "on", where,
                             "table such as { ok = \"next\", err = \"handler\" }");
    char owhere[440];
    snprintf(owhere, sizeof owhere, "'on' of %s", where);
    for (size_t i = 0; i < bt_toml_table_len(on); i++) {
      const bt_toml_entry_t *e = bt_toml_table_entry(on, i);
      if (!bt_m_check_name(c, bt_m_key_pos(c, e), "case", e->key)) return false;
      bt_app_ref_t *targets = NULL;
      size_t nt = 0;
      ok = read_names(c, e->value, e->key, owhere, &targets, &nt);
      for (size_t k = 0; k < nt; k++) {
        char *case_name = ok ? bt_strdup(e->key) : NULL;
        bt_app_route_t *r =
            case_name ? bt_m_push(c, (void **)&s->routes, &s->nroutes, sizeof *r)
                      : NULL;
        if (!r) {
          if (ok && !case_name) bt_m_oom(c);
          bt_free(case_name);
          bt_free(targets[k].name);
          ok = false;
          continue;
        }
        r->case_name = case_name;
        r->target = targets[k];
      }
      bt_free(targets);
      if (!ok) return false;
    }
  }
  const bt_toml_value_t *retry = bt_toml_table_get(t, "retry");
  if (retry && !read_retry(c, retry, "retry", where, &s->retry)) return false;
  const bt_toml_value_t *cv = bt_toml_table_get(t, "compensate");
  if (cv) {
    if (bt_toml_kind(cv) != BT_TOML_TABLE)
      return bt_m_type_error(c, cv, "compensate", where, "table");
    char cwhere[440];
    snprintf(cwhere, sizeof cwhere, "'compensate' of %s", where);
    if (!bt_m_check_keys(c, cv, cwhere, comp_keys)) return false;
    bt_app_compensate_t *cp = &s->compensate;
    cp->present = true;
    cp->pos = bt_m_pos(c, cv);
    bt_app_str_t cc = {0};
    ok = bt_m_get_str(c, cv, "component", cwhere, true, &cc);
    str_to_ref(&cc, &cp->component);
    if (!ok ||
        !bt_m_get_str(c, cv, "export", cwhere, false, &cp->export_name) ||
        (cp->export_name.text && !check_export(c, &cp->export_name)))
      return false;
    const bt_toml_value_t *ci = bt_toml_table_get(cv, "input");
    if (ci && !read_input(c, ci, "input", cwhere, s->name, &cp->input))
      return false;
  }
  return true;
}

/* Reads the flow table of entry e ([flow.NAME]) with its steps into a new
 * flow appended to the app. */
static bool read_flow(bt_mctx_t *c, const bt_toml_entry_t *e) {
  static const bt_mkey_t keys[] = {
      {"step", false}, {"output", false}, {"description", false}, {NULL, false}};
  bt_pos_t pos = bt_m_key_pos(c, e);
  if (!bt_m_check_name(c, pos, "flow", e->key)) return false;
  const bt_toml_value_t *t = e->value;
  if (bt_toml_kind(t) != BT_TOML_TABLE)
    return bt_m_type_error(c, t, e->key, "[flow]", "table");
  char where[300];
  snprintf(where, sizeof where, "[flow.%s]", e->key);
  if (!bt_m_check_keys(c, t, where, keys)) return false;
  char *name = bt_strdup(e->key);
  if (!name) return bt_m_oom(c);
  bt_app_flow_t *flow =
      bt_m_push(c, (void **)&c->app->flows, &c->app->nflows, sizeof *flow);
  if (!flow) {
    bt_free(name);
    return false;
  }
  flow->name = name;
  flow->pos = pos;
  flow->index = c->app->nflows - 1;
  flow->output.step.index = BT_APP_NONE;
  if (!bt_m_get_str(c, t, "description", where, false, &flow->description))
    return false;
  const bt_toml_value_t *steps = bt_toml_table_get(t, "step");
  if (!steps || bt_toml_array_len(steps) == 0) {
    if (steps && bt_toml_kind(steps) != BT_TOML_ARRAY)
      return bt_m_type_error(c, steps, "step", where, "array of tables");
    return bt_m_fail(c, pos, BATON_EINVALID,
                     "flow '%s' has no steps (add [[flow.%s.step]] tables)",
                     name, name);
  }
  if (bt_toml_kind(steps) != BT_TOML_ARRAY)
    return bt_m_type_error(c, steps, "step", where, "array of tables");
  for (size_t i = 0; i < bt_toml_array_len(steps); i++)
    if (!read_step(c, flow, bt_toml_array_at(steps, i), i + 1)) return false;
  /* The result is one value: a reference, not a tuple. */
  const bt_toml_value_t *out = bt_toml_table_get(t, "output");
  if (out && bt_toml_kind(out) != BT_TOML_STRING)
    return bt_m_type_error(c, out, "output", where,
                           "string such as \"steps.NAME\"");
  return !out || read_input(c, out, "output", where, NULL, &flow->output);
}

/* ---- triggers ---- */

/* Reads the top-level [trigger] table: the retry switch and the
 * [[trigger.cli]] and [[trigger.timer]] entries. */
static bool read_triggers(bt_mctx_t *c, const bt_toml_value_t *t) {
  static const bt_mkey_t keys[] = {{"cli", false},
                                   {"timer", false},
                                   {"retry_policy_enabled", false},
                                   {NULL, false}};
  static const bt_mkey_t cli_keys[] = {{"flow", false}, {NULL, false}};
  static const bt_mkey_t timer_keys[] = {
      {"flow", false}, {"interval_ms", false}, {"input", false}, {NULL, false}};
  if (bt_toml_kind(t) != BT_TOML_TABLE)
    return bt_m_type_error(c, t, "trigger", "the manifest", "table");
  if (!bt_m_check_keys(c, t, "[trigger]", keys)) return false;
  bool enabled;
  bt_pos_t epos = {0};
  if (!bt_m_get_bool(c, t, "retry_policy_enabled", "[trigger]", &enabled,
                     &epos))
    return false;
  if (epos.line) {
    c->app->retry_policy_enabled = enabled;
    c->app->retry_policy_enabled_pos = epos;
  }
  for (int kind = 0; kind < 2; kind++) {
    const char *key = kind ? "timer" : "cli";
    const bt_toml_value_t *arr = bt_toml_table_get(t, key);
    if (!arr) continue;
    if (bt_toml_kind(arr) != BT_TOML_ARRAY)
      return bt_m_type_error(c, arr, key, "[trigger]",
                             "array of tables ([[trigger.cli]])");
    char where[64];
    snprintf(where, sizeof where, "[[trigger.%s]]", key);
    for (size_t i = 0; i < bt_toml_array_len(arr); i++) {
      const bt_toml_value_t *tt = bt_toml_array_at(arr, i);
      if (bt_toml_kind(tt) != BT_TOML_TABLE)
        return bt_m_type_error(c, tt, key, "[trigger]", "array of tables");
      if (!bt_m_check_keys(c, tt, where, kind ? timer_keys : cli_keys))
        return false;
      bt_app_trigger_t *tr = bt_m_push(c, (void **)&c->app->triggers,
                                       &c->app->ntriggers, sizeof *tr);
      if (!tr) return false;
      tr->kind = kind ? BT_APP_TRIGGER_TIMER : BT_APP_TRIGGER_CLI;
      tr->pos = bt_m_pos(c, tt);
      tr->component.index = BT_APP_NONE;
      bt_app_str_t flow = {0};
      bool ok = bt_m_get_str(c, tt, "flow", where, false, &flow);
      str_to_ref(&flow, &tr->flow);
      if (!ok) return false;
      if (kind &&
          (!bt_m_get_uint(c, tt, "interval_ms", where, 1, true,
                          &tr->interval_ms, NULL) ||
           !bt_m_get_str(c, tt, "input", where, false, &tr->input)))
        return false;
    }
  }
  return true;
}

/* ---- the document ---- */

/* Reads [application] into the app. */
static bool read_application(bt_mctx_t *c, const bt_toml_value_t *t) {
  static const bt_mkey_t keys[] = {{"name", false},
                                   {"version", false},
                                   {"description", false},
                                   {"default_input", false},
                                   {"retry_policy", false},
                                   {NULL, false}};
  const char *where = "[application]";
  if (bt_toml_kind(t) != BT_TOML_TABLE)
    return bt_m_type_error(c, t, "application", "the manifest", "table");
  if (!bt_m_check_keys(c, t, where, keys)) return false;
  bt_app_t *app = c->app;
  if (!bt_m_get_str(c, t, "name", where, true, &app->name) ||
      !bt_m_get_str(c, t, "version", where, false, &app->version) ||
      !bt_m_get_str(c, t, "description", where, false, &app->description) ||
      !bt_m_get_str(c, t, "default_input", where, false, &app->default_input))
    return false;
  const bt_toml_value_t *r = bt_toml_table_get(t, "retry_policy");
  return !r || read_retry(c, r, "retry_policy", where, &app->retry_policy);
}

bool bt_m_load_baton(bt_mctx_t *c, const bt_toml_value_t *root) {
  static const bt_mkey_t keys[] = {{"application", false},
                                   {"variables", false},
                                   {"component", false},
                                   {"flow", false},
                                   {"trigger", false},
                                   {NULL, false}};
  if (!bt_m_check_keys(c, root, "the manifest", keys)) return false;
  const bt_toml_value_t *app = bt_toml_table_get(root, "application");
  if (!app)
    return bt_m_fail(c, (bt_pos_t){0}, BATON_EINVALID,
                     "missing [application] table (with at least name = "
                     "\"...\")");
  if (!read_application(c, app)) return false;
  const bt_toml_value_t *t;
  if (!bt_m_get_table(c, root, "variables", "the manifest", &t) ||
      (t && !bt_m_read_variables(c, t)))
    return false;
  if (!bt_m_get_table(c, root, "component", "the manifest", &t)) return false;
  for (size_t i = 0; t && i < bt_toml_table_len(t); i++)
    if (!read_component(c, bt_toml_table_entry(t, i))) return false;
  if (!bt_m_get_table(c, root, "flow", "the manifest", &t)) return false;
  for (size_t i = 0; t && i < bt_toml_table_len(t); i++)
    if (!read_flow(c, bt_toml_table_entry(t, i))) return false;
  t = bt_toml_table_get(root, "trigger");
  return !t || read_triggers(c, t);
}
