/*
 * src/manifest/app_read.c: the building blocks of the manifest loaders:
 * positioned diagnostics (errors, warnings, "did you mean" suggestions),
 * typed readers for TOML fields that report wrong types uniformly, and the
 * parts that baton.toml and spin.toml share (variables, component variable
 * tables, build tables, dependencies, capability lists, trigger config).
 *
 * Messages never include a value from the manifest, only key names, types
 * and positions, so that a secret written in the wrong place is not
 * printed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "manifest/app_internal.h"

/* ---- diagnostics ---- */

bt_pos_t bt_m_pos(const bt_mctx_t *c, const bt_toml_value_t *v) {
  bt_pos_t p = {c->app->path, bt_toml_line(v), bt_toml_col(v)};
  return p;
}

bt_pos_t bt_m_key_pos(const bt_mctx_t *c, const bt_toml_entry_t *e) {
  bt_pos_t p = {c->app->path, e->line, e->col};
  return p;
}

bool bt_m_fail(bt_mctx_t *c, bt_pos_t pos, baton_errno_t code, const char *fmt,
               ...) {
  if (c->err) return false;
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (n < 0) return bt_m_oom(c);
  if (pos.line)
    c->err = baton_error_new(code, "%s:%u:%u: %s", c->app->path, pos.line,
                             pos.col, msg);
  else
    c->err = baton_error_new(code, "%s: %s", c->app->path, msg);
  free(msg);
  return false;
}

bool bt_m_oom(bt_mctx_t *c) {
  if (!c->err) c->err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  return false;
}

void *bt_m_push(bt_mctx_t *c, void **arr, size_t *len, size_t elem) {
  size_t n = *len;
  /* Capacity is implicitly the next power of two >= len. */
  if (n == 0 || (n & (n - 1)) == 0) {
    void *grown = bt_realloc(*arr, (n ? n * 2 : 1) * elem);
    if (!grown) {
      bt_m_oom(c);
      return NULL;
    }
    *arr = grown;
  }
  char *slot = (char *)*arr + n * elem;
  memset(slot, 0, elem);
  *len = n + 1;
  return slot;
}

bool bt_m_warn(bt_mctx_t *c, bt_pos_t pos, const char *fmt, ...) {
  char *msg = NULL, *full = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (n < 0) return bt_m_oom(c);
  n = asprintf(&full, "%s:%u:%u: %s", c->app->path, pos.line, pos.col, msg);
  free(msg);
  if (n < 0) return bt_m_oom(c);
  char *owned = bt_strdup(full);
  free(full);
  if (!owned) return bt_m_oom(c);
  bt_app_warning_t *w = bt_m_push(c, (void **)&c->app->warnings,
                                  &c->app->nwarnings, sizeof *w);
  if (!w) {
    bt_free(owned);
    return false;
  }
  w->pos = pos;
  w->message = owned;
  return true;
}

/* Returns the optimal-string-alignment distance between a and b (case
 * insensitive), or a value > limit as soon as it must exceed limit. */
static size_t edit_distance(const char *a, const char *b, size_t limit) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return limit + 1;
  if ((la > lb ? la - lb : lb - la) > limit) return limit + 1;
  size_t d[65][65];
  for (size_t i = 0; i <= la; i++) d[i][0] = i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = j;
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      size_t cost = tolower((unsigned char)a[i - 1]) !=
                    tolower((unsigned char)b[j - 1]);
      size_t best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < best) best = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  }
  return d[la][lb];
}

const char *bt_m_suggest(const char *word, const bt_mkey_t *keys) {
  size_t len = strlen(word);
  /* Short words only suggest near-identical ones: "c" is no typo of "a". */
  size_t limit = len <= 2 ? 0 : len <= 4 ? 1 : len <= 8 ? 2 : 3;
  const char *best = NULL;
  size_t best_d = limit + 1;
  if (limit == 0) return NULL;
  for (const bt_mkey_t *k = keys; k->name; k++) {
    size_t d = edit_distance(word, k->name, limit);
    /* A prefix missing a short suffix ("timeout" for "timeout_ms"). */
    size_t kl = strlen(k->name);
    if (d > limit && len >= 4 && kl > len && kl - len <= 3 &&
        strncasecmp(word, k->name, len) == 0)
      d = limit;
    if (d < best_d) {
      best_d = d;
      best = k->name;
    }
  }
  return best;
}

bool bt_m_check_keys(bt_mctx_t *c, const bt_toml_value_t *t, const char *where,
                     const bt_mkey_t *keys) {
  size_t n = bt_toml_table_len(t);
  for (size_t i = 0; i < n; i++) {
    const bt_toml_entry_t *e = bt_toml_table_entry(t, i);
    const bt_mkey_t *k = keys;
    while (k->name && !(strlen(k->name) == e->key_len &&
                        memcmp(k->name, e->key, e->key_len) == 0))
      k++;
    if (!k->name) {
      const char *s = bt_m_suggest(e->key, keys);
      if (s)
        return bt_m_fail(c, bt_m_key_pos(c, e), BATON_EINVALID,
                         "unknown key '%s' in %s (did you mean '%s'?)", e->key,
                         where, s);
      return bt_m_fail(c, bt_m_key_pos(c, e), BATON_EINVALID,
                       "unknown key '%s' in %s", e->key, where);
    }
    if (k->ignored &&
        !bt_m_warn(c, bt_m_key_pos(c, e),
                   "key '%s' in %s is not supported by baton and is ignored",
                   e->key, where))
      return false;
  }
  return true;
}

bool bt_m_type_error(bt_mctx_t *c, const bt_toml_value_t *v, const char *key,
                     const char *where, const char *expected) {
  return bt_m_fail(c, bt_m_pos(c, v), BATON_EINVALID,
                   "key '%s' in %s: expected %s, got %s", key, where, expected,
                   bt_toml_kind_name(bt_toml_kind(v)));
}

/* ---- typed readers ---- */

/* Looks up key in t; when absent and required, records the error. */
static const bt_toml_value_t *lookup(bt_mctx_t *c, const bt_toml_value_t *t,
                                     const char *key, const char *where,
                                     bool required, bool *ok) {
  const bt_toml_value_t *v = bt_toml_table_get(t, key);
  *ok = true;
  if (!v && required)
    *ok = bt_m_fail(c, bt_m_pos(c, t), BATON_EINVALID,
                    "missing key '%s' in %s", key, where);
  return v;
}

bool bt_m_get_str(bt_mctx_t *c, const bt_toml_value_t *t, const char *key,
                  const char *where, bool required, bt_app_str_t *out) {
  bool ok;
  const bt_toml_value_t *v = lookup(c, t, key, where, required, &ok);
  if (!v) return ok;
  size_t len;
  const char *s = bt_toml_string(v, &len);
  if (!s) return bt_m_type_error(c, v, key, where, "string");
  if (strlen(s) != len)
    return bt_m_fail(c, bt_m_pos(c, v), BATON_EINVALID,
                     "key '%s' in %s: string contains a NUL character", key,
                     where);
  char *dup = bt_strdup(s);
  if (!dup) return bt_m_oom(c);
  bt_free(out->text);
  out->text = dup;
  out->pos = bt_m_pos(c, v);
  return true;
}

bool bt_m_get_bool(bt_mctx_t *c, const bt_toml_value_t *t, const char *key,
                   const char *where, bool *out, bt_pos_t *pos) {
  const bt_toml_value_t *v = bt_toml_table_get(t, key);
  if (!v) return true;
  if (!bt_toml_bool(v, out)) return bt_m_type_error(c, v, key, where, "boolean");
  if (pos) *pos = bt_m_pos(c, v);
  return true;
}

bool bt_m_get_uint(bt_mctx_t *c, const bt_toml_value_t *t, const char *key,
                   const char *where, uint64_t min, bool required,
                   uint64_t *out, bt_pos_t *pos) {
  bool ok;
  const bt_toml_value_t *v = lookup(c, t, key, where, required, &ok);
  if (!v) return ok;
  int64_t i;
  if (!bt_toml_integer(v, &i)) return bt_m_type_error(c, v, key, where, "integer");
  if (i < 0 || (uint64_t)i < min)
    return bt_m_fail(c, bt_m_pos(c, v), BATON_EINVALID,
                     "key '%s' in %s: must be at least %llu", key, where,
                     (unsigned long long)min);
  *out = (uint64_t)i;
  if (pos) *pos = bt_m_pos(c, v);
  return true;
}

bool bt_m_get_table(bt_mctx_t *c, const bt_toml_value_t *t, const char *key,
                    const char *where, const bt_toml_value_t **out) {
  const bt_toml_value_t *v = bt_toml_table_get(t, key);
  *out = NULL;
  if (!v) return true;
  if (bt_toml_kind(v) != BT_TOML_TABLE)
    return bt_m_type_error(c, v, key, where, "table");
  *out = v;
  return true;
}

/* Appends string value v (element of array key) to list out. */
static bool push_str(bt_mctx_t *c, bt_app_strs_t *out, const bt_toml_value_t *v,
                     const char *text) {
  char *dup = bt_strdup(text);
  if (!dup) return bt_m_oom(c);
  bt_app_str_t *s = bt_m_push(c, (void **)&out->items, &out->len, sizeof *s);
  if (!s) {
    bt_free(dup);
    return false;
  }
  s->text = dup;
  s->pos = bt_m_pos(c, v);
  return true;
}

bool bt_m_get_strs(bt_mctx_t *c, const bt_toml_value_t *t, const char *key,
                   const char *where, bt_app_strs_t *out) {
  const bt_toml_value_t *v = bt_toml_table_get(t, key);
  if (!v) return true;
  if (bt_toml_kind(v) != BT_TOML_ARRAY)
    return bt_m_type_error(c, v, key, where, "array of strings");
  out->pos = bt_m_pos(c, v);
  for (size_t i = 0; i < bt_toml_array_len(v); i++) {
    const bt_toml_value_t *item = bt_toml_array_at(v, i);
    const char *s = bt_toml_string(item, NULL);
    if (!s) return bt_m_type_error(c, item, key, where, "array of strings");
    if (!push_str(c, out, item, s)) return false;
  }
  return true;
}

char *bt_m_resolve_path(const bt_mctx_t *c, const char *rel) {
  const char *dir = c->app->dir;
  if (rel[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0)
    return bt_strdup(rel);
  size_t dl = strlen(dir), rl = strlen(rel);
  bool slash = dir[dl - 1] == '/';
  char *p = bt_malloc(dl + rl + 2);
  if (!p) return NULL;
  memcpy(p, dir, dl);
  if (!slash) p[dl++] = '/';
  memcpy(p + dl, rel, rl + 1);
  return p;
}

bool bt_m_get_path(bt_mctx_t *c, const bt_toml_value_t *t, const char *key,
                   const char *where, bool required, bt_app_str_t *out,
                   char **written) {
  bt_app_str_t raw = {0};
  if (!bt_m_get_str(c, t, key, where, required, &raw)) return false;
  if (!raw.text) return true;
  if (!raw.text[0]) {
    bt_free(raw.text);
    return bt_m_fail(c, raw.pos, BATON_EINVALID,
                     "key '%s' in %s: path is empty", key, where);
  }
  char *resolved = bt_m_resolve_path(c, raw.text);
  if (!resolved) {
    bt_free(raw.text);
    return bt_m_oom(c);
  }
  bt_free(out->text);
  out->text = resolved;
  out->pos = raw.pos;
  if (written) {
    bt_free(*written);
    *written = raw.text;
  } else {
    bt_free(raw.text);
  }
  return true;
}

bool bt_m_check_name(bt_mctx_t *c, bt_pos_t pos, const char *what,
                     const char *name) {
  bool ok = isalnum((unsigned char)name[0]);
  for (const char *p = name; ok && *p; p++)
    ok = isalnum((unsigned char)*p) || *p == '-' || *p == '_';
  if (!ok)
    return bt_m_fail(c, pos, BATON_EINVALID,
                     "invalid %s name '%s': use letters, digits, '-' and '_', "
                     "starting with a letter or digit",
                     what, name);
  return true;
}

/* Checks a variable name (also component variable keys): lower-case
 * letters, digits, '_' and '-', starting with a letter. */
static bool check_var_name(bt_mctx_t *c, bt_pos_t pos, const char *what,
                           const char *name) {
  bool ok = name[0] >= 'a' && name[0] <= 'z';
  for (const char *p = name; ok && *p; p++)
    ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
         *p == '-';
  if (!ok)
    return bt_m_fail(c, pos, BATON_EINVALID,
                     "invalid %s name '%s': use lower-case letters, digits, "
                     "'_' and '-', starting with a letter",
                     what, name);
  return true;
}

/* ---- shared pieces ---- */

bool bt_m_read_variables(bt_mctx_t *c, const bt_toml_value_t *t) {
  static const bt_mkey_t keys[] = {{"default", false},
                                   {"required", false},
                                   {"secret", false},
                                   {"description", false},
                                   {NULL, false}};
  for (size_t i = 0; i < bt_toml_table_len(t); i++) {
    const bt_toml_entry_t *e = bt_toml_table_entry(t, i);
    bt_pos_t pos = bt_m_key_pos(c, e);
    if (!check_var_name(c, pos, "variable", e->key)) return false;
    if (bt_toml_kind(e->value) != BT_TOML_TABLE)
      return bt_m_type_error(c, e->value, e->key, "[variables]",
                             "table such as { default = \"...\" }");
    char where[300];
    snprintf(where, sizeof where, "variable '%s'", e->key);
    if (!bt_m_check_keys(c, e->value, where, keys)) return false;
    char *name = bt_strdup(e->key);
    if (!name) return bt_m_oom(c);
    bt_app_variable_t *var = bt_m_push(c, (void **)&c->app->variables,
                                       &c->app->nvariables, sizeof *var);
    if (!var) {
      bt_free(name);
      return false;
    }
    var->name = name;
    var->pos = pos;
    bt_pos_t required_pos = {0};
    if (!bt_m_get_str(c, e->value, "default", where, false,
                      &var->default_value) ||
        !bt_m_get_str(c, e->value, "description", where, false,
                      &var->description) ||
        !bt_m_get_bool(c, e->value, "required", where, &var->required,
                       &required_pos) ||
        !bt_m_get_bool(c, e->value, "secret", where, &var->secret, NULL))
      return false;
    if (var->required && var->default_value.text)
      return bt_m_fail(c, var->default_value.pos, BATON_EINVALID,
                       "variable '%s': 'default' and 'required = true' are "
                       "mutually exclusive (required at %s:%u:%u)",
                       var->name, BT_POS_ARGS(required_pos));
    if (!var->required && !var->default_value.text)
      return bt_m_fail(c, pos, BATON_EINVALID,
                       "variable '%s' needs a 'default' or 'required = true'",
                       var->name);
  }
  return true;
}

bool bt_m_read_component_vars(bt_mctx_t *c, bt_app_component_t *comp,
                              const bt_toml_value_t *t, const char *where) {
  for (size_t i = 0; i < bt_toml_table_len(t); i++) {
    const bt_toml_entry_t *e = bt_toml_table_entry(t, i);
    bt_pos_t pos = bt_m_key_pos(c, e);
    if (!check_var_name(c, pos, "component variable", e->key)) return false;
    char *name = bt_strdup(e->key);
    if (!name) return bt_m_oom(c);
    bt_app_component_var_t *v =
        bt_m_push(c, (void **)&comp->vars, &comp->nvars, sizeof *v);
    if (!v) {
      bt_free(name);
      return false;
    }
    v->name = name;
    v->pos = pos;
    if (!bt_m_get_str(c, t, e->key, where, true, &v->tmpl)) return false;
  }
  return true;
}

bool bt_m_read_build(bt_mctx_t *c, bt_app_component_t *comp,
                     const bt_toml_value_t *t, const char *where) {
  static const bt_mkey_t keys[] = {
      {"command", false}, {"workdir", false}, {"watch", false}, {NULL, false}};
  if (!bt_m_check_keys(c, t, where, keys)) return false;
  comp->build.present = true;
  comp->build.pos = bt_m_pos(c, t);
  return bt_m_get_str(c, t, "command", where, true, &comp->build.command) &&
         bt_m_get_path(c, t, "workdir", where, false, &comp->build.workdir,
                       NULL) &&
         bt_m_get_strs(c, t, "watch", where, &comp->build.watch);
}

/* Returns true for a kebab-case word: [a-z][a-z0-9]* groups joined by
 * single '-' (WIT identifiers; digits may start a later group). */
static bool is_kebab(const char *s, size_t n) {
  if (n == 0 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (ch == '-') {
      if (i + 1 == n || s[i + 1] == '-') return false;
    } else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
      return false;
    }
  }
  return true;
}

bool bt_m_parse_import_name(bt_mctx_t *c, bt_pos_t pos, const char *name,
                            const char *what, bt_app_dependency_t *out) {
  const char *at = strchr(name, '@');
  size_t base_len = at ? (size_t)(at - name) : strlen(name);
  bool ok = true;
  if (at) {
    ok = at[1] != 0;
    for (const char *p = at + 1; ok && *p; p++)
      ok = isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '+';
  }
  const char *colon = memchr(name, ':', base_len);
  const char *slash = memchr(name, '/', base_len);
  if (ok && !colon) {
    ok = !at && !slash && is_kebab(name, base_len);
    out->kind = BT_APP_DEP_NAME;
  } else if (ok) {
    /* ns:pkg[:nested...][/iface] */
    size_t pkg_len = slash ? (size_t)(slash - name) : base_len;
    size_t start = 0;
    for (size_t i = 0; ok && i <= pkg_len; i++) {
      if (i == pkg_len || name[i] == ':') {
        ok = is_kebab(name + start, i - start);
        start = i + 1;
      }
    }
    ok = ok && colon < name + pkg_len;
    if (ok && slash)
      ok = is_kebab(slash + 1, base_len - pkg_len - 1);
    out->kind = slash ? BT_APP_DEP_INTERFACE : BT_APP_DEP_PACKAGE;
    if (ok) {
      out->package = bt_strndup(name, pkg_len);
      if (!out->package) return bt_m_oom(c);
      if (slash) {
        out->interface = bt_strndup(slash + 1, base_len - pkg_len - 1);
        if (!out->interface) return bt_m_oom(c);
      }
    }
  }
  if (!ok)
    return bt_m_fail(c, pos, BATON_EINVALID,
                     "%s '%s' is not an interface or package name such as "
                     "\"ns:pkg/iface\", \"ns:pkg/iface@1.0.0\" or \"ns:pkg\"",
                     what, name);
  if (at) {
    out->version = bt_strdup(at + 1);
    if (!out->version) return bt_m_oom(c);
  }
  return true;
}

bool bt_m_read_dependencies(bt_mctx_t *c, bt_app_component_t *comp,
                            const bt_toml_value_t *t, const char *where,
                            bool spin) {
  static const bt_mkey_t keys[] = {{"component", false},
                                   {"path", false},
                                   {"export", false},
                                   {"registry", false},
                                   {"package", false},
                                   {"version", false},
                                   {"url", false},
                                   {"digest", false},
                                   {"inherit_configuration", false},
                                   {NULL, false}};
  static const bt_mkey_t baton_keys[] = {
      {"component", false}, {"path", false}, {"export", false}, {NULL, false}};
  for (size_t i = 0; i < bt_toml_table_len(t); i++) {
    const bt_toml_entry_t *e = bt_toml_table_entry(t, i);
    bt_pos_t pos = bt_m_key_pos(c, e);
    const bt_toml_value_t *v = e->value;
    char dwhere[400];
    snprintf(dwhere, sizeof dwhere, "dependency '%s' of component '%s'",
             e->key, comp->name);
    if (spin && bt_toml_kind(v) == BT_TOML_STRING) {
      if (!bt_m_warn(c, pos,
                     "%s: registry dependencies are not supported by baton; "
                     "the entry is ignored",
                     dwhere))
        return false;
      continue;
    }
    if (bt_toml_kind(v) != BT_TOML_TABLE)
      return bt_m_type_error(c, v, e->key, where,
                             "table such as { component = \"...\" }");
    if (!bt_m_check_keys(c, v, dwhere, spin ? keys : baton_keys)) return false;
    if (spin && (bt_toml_table_get(v, "registry") ||
                 bt_toml_table_get(v, "package") ||
                 bt_toml_table_get(v, "version") || bt_toml_table_get(v, "url") ||
                 bt_toml_table_get(v, "digest"))) {
      if (!bt_m_warn(c, pos,
                     "%s: registry and URL dependencies are not supported by "
                     "baton; the entry is ignored",
                     dwhere))
        return false;
      continue;
    }
    if (spin && bt_toml_table_get(v, "inherit_configuration") &&
        !bt_m_warn(c, pos,
                   "%s: 'inherit_configuration' is not supported by baton "
                   "and is ignored",
                   dwhere))
      return false;
    char *import_name = bt_strdup(e->key);
    if (!import_name) return bt_m_oom(c);
    bt_app_dependency_t *d =
        bt_m_push(c, (void **)&comp->deps, &comp->ndeps, sizeof *d);
    if (!d) {
      bt_free(import_name);
      return false;
    }
    d->import_name = import_name;
    d->pos = pos;
    d->component.index = BT_APP_NONE;
    if (!bt_m_parse_import_name(c, pos, e->key, "dependency", d)) return false;
    bt_app_str_t comp_name = {0};
    if (!bt_m_get_str(c, v, "component", dwhere, false, &comp_name) ||
        !bt_m_get_path(c, v, "path", dwhere, false, &d->path, NULL) ||
        !bt_m_get_str(c, v, "export", dwhere, false, &d->export_name)) {
      bt_free(comp_name.text);
      return false;
    }
    d->component.name = comp_name.text;
    d->component.pos = comp_name.pos;
    if (!!d->component.name == !!d->path.text)
      return bt_m_fail(c, pos, BATON_EINVALID,
                       "%s needs exactly one of 'component' and 'path'",
                       dwhere);
    if (d->export_name.text) {
      bt_app_dependency_t tmp = {0};
      bool ok = bt_m_parse_import_name(c, d->export_name.pos,
                                       d->export_name.text, "export", &tmp);
      bt_m_free_dep(&tmp);
      if (!ok) return false;
    }
  }
  /* An interface dependency inside a package dependency is ambiguous. */
  for (size_t i = 0; i < comp->ndeps; i++) {
    const bt_app_dependency_t *a = &comp->deps[i];
    for (size_t j = 0; j < comp->ndeps; j++) {
      const bt_app_dependency_t *b = &comp->deps[j];
      if (a->kind == BT_APP_DEP_INTERFACE && b->kind == BT_APP_DEP_PACKAGE &&
          strcmp(a->package, b->package) == 0)
        return bt_m_fail(c, a->pos, BATON_EINVALID,
                         "component '%s': dependency '%s' overlaps package "
                         "dependency '%s' (at %s:%u:%u)",
                         comp->name, a->import_name, b->import_name,
                         BT_POS_ARGS(b->pos));
    }
  }
  return true;
}

bool bt_m_read_trigger_config(bt_mctx_t *c, bt_app_component_t *comp,
                              const bt_toml_value_t *v, const char *where) {
  size_t len;
  const char *s = bt_toml_string(v, &len);
  if (!s) return bt_m_type_error(c, v, "config", where, "string (JSON text)");
  char *text = bt_strndup(s, len);
  if (!text) return bt_m_oom(c);
  bt_free(comp->trigger_config.text);
  comp->trigger_config.text = text;
  comp->trigger_config.pos = bt_m_pos(c, v);
  bt_mjson_free(comp->config);
  comp->config = NULL;
  baton_error_t *err = bt_mjson_parse(s, len, &comp->config);
  if (!err) return true;
  if (baton_error_code(err) == BATON_ENO_MEMORY) {
    baton_error_delete(err);
    return bt_m_oom(c);
  }
  bool r = bt_m_fail(c, comp->trigger_config.pos, BATON_EINVALID,
                     "key 'config' in %s: invalid JSON at %s", where,
                     baton_error_message(err));
  baton_error_delete(err);
  return r;
}

bool bt_m_read_caps(bt_mctx_t *c, bt_app_component_t *comp,
                    const bt_toml_value_t *t, const char *where, bool spin) {
  if (!bt_m_get_strs(c, t, "allowed_outbound_hosts", where,
                     &comp->allowed_outbound_hosts) ||
      !bt_m_get_strs(c, t, "key_value_stores", where, &comp->key_value_stores))
    return false;
  const bt_toml_value_t *files = bt_toml_table_get(t, "files");
  if (!files) return true;
  if (bt_toml_kind(files) != BT_TOML_ARRAY)
    return bt_m_type_error(c, files, "files", where, "array");
  comp->files.pos = bt_m_pos(c, files);
  for (size_t i = 0; i < bt_toml_array_len(files); i++) {
    const bt_toml_value_t *item = bt_toml_array_at(files, i);
    const char *s = bt_toml_string(item, NULL);
    if (s) {
      if (!push_str(c, &comp->files, item, s)) return false;
      continue;
    }
    if (!spin || bt_toml_kind(item) != BT_TOML_TABLE)
      return bt_m_type_error(c, item, "files", where,
                             spin ? "array of strings or { source, "
                                    "destination } tables"
                                  : "array of strings");
    static const bt_mkey_t keys[] = {
        {"source", false}, {"destination", false}, {NULL, false}};
    char fwhere[300];
    snprintf(fwhere, sizeof fwhere, "an entry of 'files' in %s", where);
    if (!bt_m_check_keys(c, item, fwhere, keys)) return false;
    bt_app_str_t src = {0}, dst = {0};
    bool ok = bt_m_get_str(c, item, "source", fwhere, true, &src) &&
              bt_m_get_str(c, item, "destination", fwhere, true, &dst);
    char *joined = NULL;
    if (ok && asprintf(&joined, "%s:%s", src.text, dst.text) < 0) {
      joined = NULL;
      ok = bt_m_oom(c);
    }
    bt_free(src.text);
    bt_free(dst.text);
    if (ok) ok = push_str(c, &comp->files, item, joined);
    free(joined);
    if (!ok) return false;
  }
  return true;
}
