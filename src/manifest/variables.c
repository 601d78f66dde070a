/*
 * src/manifest/variables.c: application variables and component variable
 * templates.
 *
 * Templates use Spin's syntax: text with {{ name }} references to
 * application variables (spaces inside the braces are optional). They are
 * checked at load time (bt_m_check_templates: syntax, unknown names) and
 * expanded by bt_app_resolve_variables(), which takes each variable's value
 * from the environment (BATON_VARIABLE_<NAME>, then for Spin manifests
 * SPIN_VARIABLE_<NAME>) or from the manifest default.
 *
 * Secrets: a variable declared secret = true, and any component variable
 * whose template uses one, is flagged; bt_app_redact() replaces their
 * values in text. No message built here contains a value, only names,
 * positions and environment variable names.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/app_internal.h"

bool bt_app_env_name(const char *prefix, const char *name, char *buf,
                     size_t n) {
  size_t pl = strlen(prefix), nl = strlen(name);
  if (pl + nl + 1 > n) return false;
  memcpy(buf, prefix, pl);
  for (size_t i = 0; i < nl; i++) {
    char ch = name[i];
    if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
    else if (ch == '-') ch = '_';
    buf[pl + i] = ch;
  }
  buf[pl + nl] = 0;
  return true;
}

/* One {{ name }} reference inside a template. */
typedef struct tref {
  size_t start, end;      /* the whole {{ ... }} in the template */
  size_t name_off, name_len;
} tref_t;

/* Finds the next reference in tmpl at or after *pos. Returns 1 and fills
 * *r when found, 0 at the end of the template, -1 when a "{{" has no
 * closing "}}" or encloses something that is not a variable name (then
 * *r->start is the offending "{{"). */
static int next_ref(const char *tmpl, size_t *pos, tref_t *r) {
  const char *open = strstr(tmpl + *pos, "{{");
  if (!open) return 0;
  r->start = (size_t)(open - tmpl);
  const char *close = strstr(open + 2, "}}");
  if (!close) return -1;
  const char *a = open + 2, *b = close;
  while (a < b && (*a == ' ' || *a == '\t')) a++;
  while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
  if (a == b || !(*a >= 'a' && *a <= 'z')) return -1;
  for (const char *p = a; p < b; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
          *p == '-'))
      return -1;
  r->name_off = (size_t)(a - tmpl);
  r->name_len = (size_t)(b - a);
  r->end = (size_t)(close - tmpl) + 2;
  *pos = r->end;
  return 1;
}

/* Returns the index of the variable named name[0..len), or BT_APP_NONE. */
static size_t find_var(const bt_app_t *app, const char *name, size_t len) {
  for (size_t i = 0; i < app->nvariables; i++)
    if (strlen(app->variables[i].name) == len &&
        memcmp(app->variables[i].name, name, len) == 0)
      return i;
  return BT_APP_NONE;
}

bool bt_m_check_templates(bt_mctx_t *c) {
  bt_app_t *app = c->app;
  /* Two variables must not map to the same environment variable. */
  for (size_t i = 0; i < app->nvariables; i++) {
    char ei[512], ej[512];
    if (!bt_app_env_name("BATON_VARIABLE_", app->variables[i].name, ei,
                         sizeof ei))
      return bt_m_fail(c, app->variables[i].pos, BATON_EINVALID,
                       "variable name '%s' is too long",
                       app->variables[i].name);
    for (size_t j = 0; j < i; j++) {
      if (bt_app_env_name("BATON_VARIABLE_", app->variables[j].name, ej,
                          sizeof ej) &&
          strcmp(ei, ej) == 0)
        return bt_m_fail(c, app->variables[i].pos, BATON_EINVALID,
                         "variables '%s' and '%s' (at %s:%u:%u) both map to "
                         "the environment variable %s",
                         app->variables[i].name, app->variables[j].name,
                         BT_POS_ARGS(app->variables[j].pos), ei);
    }
  }
  bt_mkey_t *names = bt_calloc(app->nvariables + 1, sizeof *names);
  if (!names) return bt_m_oom(c);
  for (size_t i = 0; i < app->nvariables; i++)
    names[i].name = app->variables[i].name;
  bool ok = true;
  for (size_t ci = 0; ok && ci < app->ncomponents; ci++) {
    const bt_app_component_t *comp = &app->components[ci];
    for (size_t vi = 0; ok && vi < comp->nvars; vi++) {
      const bt_app_component_var_t *v = &comp->vars[vi];
      size_t pos = 0;
      tref_t r;
      int found;
      while (ok && (found = next_ref(v->tmpl.text, &pos, &r)) != 0) {
        if (found < 0) {
          ok = bt_m_fail(c, v->tmpl.pos, BATON_EINVALID,
                         "component '%s' variable '%s': malformed template: "
                         "'{{' must be followed by a variable name and '}}'",
                         comp->name, v->name);
          break;
        }
        if (find_var(app, v->tmpl.text + r.name_off, r.name_len) !=
            BT_APP_NONE)
          continue;
        char *ref = bt_strndup(v->tmpl.text + r.name_off, r.name_len);
        if (!ref) {
          ok = bt_m_oom(c);
          break;
        }
        const char *s = bt_m_suggest(ref, names);
        ok = bt_m_fail(c, v->tmpl.pos, BATON_EINVALID,
                       "component '%s' variable '%s': template references "
                       "unknown variable '%s'%s%s%s",
                       comp->name, v->name, ref, s ? " (did you mean '" : "",
                       s ? s : "", s ? "'?)" : "");
        bt_free(ref);
      }
    }
  }
  bt_free(names);
  return ok;
}

/* Clears every resolved value of the app. */
static void clear_resolved(bt_app_t *app) {
  for (size_t i = 0; i < app->nvariables; i++) {
    bt_app_variable_t *v = &app->variables[i];
    bt_free(v->value);
    bt_free(v->origin_env);
    v->value = v->origin_env = NULL;
    v->origin = BT_APP_ORIGIN_UNSET;
  }
  for (size_t ci = 0; ci < app->ncomponents; ci++) {
    bt_app_component_t *comp = &app->components[ci];
    for (size_t vi = 0; vi < comp->nvars; vi++) {
      bt_free(comp->vars[vi].value);
      comp->vars[vi].value = NULL;
      comp->vars[vi].secret = false;
    }
  }
  app->resolved = false;
}

/* Expands template v into v->value using the resolved variables. Returns
 * false on allocation failure. */
static bool expand(const bt_app_t *app, bt_app_component_var_t *v) {
  const char *t = v->tmpl.text;
  size_t pos = 0, copied = 0, cap = strlen(t) + 1, n = 0;
  char *out = bt_malloc(cap);
  if (!out) return false;
  tref_t r;
  bool secret = false;
  for (;;) {
    int found = next_ref(t, &pos, &r);
    size_t lit_end = found > 0 ? r.start : strlen(t);
    const char *val = "";
    if (found > 0) {
      const bt_app_variable_t *var =
          &app->variables[find_var(app, t + r.name_off, r.name_len)];
      val = var->value;
      secret |= var->secret;
    }
    size_t lit = lit_end - copied, vl = strlen(val);
    if (n + lit + vl + 1 > cap) {
      cap = (n + lit + vl + 1) * 2;
      char *grown = bt_realloc(out, cap);
      if (!grown) {
        bt_free(out);
        return false;
      }
      out = grown;
    }
    memcpy(out + n, t + copied, lit);
    n += lit;
    memcpy(out + n, val, vl);
    n += vl;
    if (found <= 0) break;
    copied = r.end;
  }
  out[n] = 0;
  v->value = out;
  v->secret = secret;
  return true;
}

/* Appends text to the growing message *msg; returns false on failure. */
static bool append(char **msg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool append(char **msg, const char *fmt, ...) {
  char *piece = NULL, *joined = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&piece, fmt, ap);
  va_end(ap);
  if (n < 0) return false;
  n = asprintf(&joined, "%s%s%s", *msg ? *msg : "", *msg ? "\n" : "", piece);
  free(piece);
  if (n < 0) return false;
  free(*msg);
  *msg = joined;
  return true;
}

/* getenv(3) with the bt_app_getenv_fn signature. */
static const char *libc_getenv(const char *name) { return getenv(name); }

baton_error_t *bt_app_resolve_variables(bt_app_t *app,
                                        bt_app_getenv_fn getenv_fn) {
  if (!app)
    return baton_error_new(BATON_EINVALID_ARGUMENT,
                           "bt_app_resolve_variables: NULL app");
  if (!getenv_fn) getenv_fn = libc_getenv;
  clear_resolved(app);
  bool spin = app->format != BT_APP_FORMAT_BATON;
  char *missing = NULL;
  bool oom = false;
  for (size_t i = 0; i < app->nvariables && !oom; i++) {
    bt_app_variable_t *v = &app->variables[i];
    char env[512], spin_env[512];
    bool have_env = bt_app_env_name("BATON_VARIABLE_", v->name, env, sizeof env);
    bool have_spin = spin && bt_app_env_name("SPIN_VARIABLE_", v->name,
                                             spin_env, sizeof spin_env);
    const char *from = NULL, *val = NULL;
    if (have_env && (val = getenv_fn(env)) != NULL) from = env;
    else if (have_spin && (val = getenv_fn(spin_env)) != NULL) from = spin_env;
    if (from) {
      v->value = bt_strdup(val);
      v->origin_env = bt_strdup(from);
      v->origin = BT_APP_ORIGIN_ENV;
      oom = !v->value || !v->origin_env;
    } else if (v->default_value.text) {
      v->value = bt_strdup(v->default_value.text);
      v->origin = BT_APP_ORIGIN_DEFAULT;
      oom = !v->value;
    } else if (spin) {
      oom = !append(&missing,
                    "%s:%u:%u: required variable '%s' has no value (set %s "
                    "or %s)",
                    BT_POS_ARGS(v->pos), v->name, env, spin_env);
    } else {
      oom = !append(&missing,
                    "%s:%u:%u: required variable '%s' has no value (set %s)",
                    BT_POS_ARGS(v->pos), v->name, env);
    }
  }
  for (size_t ci = 0; ci < app->ncomponents && !oom && !missing; ci++) {
    bt_app_component_t *comp = &app->components[ci];
    for (size_t vi = 0; vi < comp->nvars && !oom; vi++)
      oom = !expand(app, &comp->vars[vi]);
  }
  if (oom || missing) {
    clear_resolved(app);
    baton_error_t *err =
        oom ? baton_error_new(BATON_ENO_MEMORY, "out of memory")
            : baton_error_new(BATON_EINVALID, "%s", missing);
    free(missing);
    return err;
  }
  app->resolved = true;
  return NULL;
}

/* Adds s to the list of secrets (skipping NULL and empty strings). */
static bool add_secret(const char ***list, size_t *n, const char *s) {
  if (!s || !s[0]) return true;
  const char **grown = bt_realloc(*list, (*n + 1) * sizeof *grown);
  if (!grown) return false;
  grown[(*n)++] = s;
  *list = grown;
  return true;
}

char *bt_app_redact(const bt_app_t *app, const char *text) {
  static const char mask[] = "<redacted>";
  const char **secrets = NULL;
  size_t ns = 0;
  bool ok = true;
  for (size_t i = 0; ok && i < app->nvariables; i++)
    if (app->variables[i].secret)
      ok = add_secret(&secrets, &ns, app->variables[i].value);
  for (size_t ci = 0; ok && ci < app->ncomponents; ci++)
    for (size_t vi = 0; ok && vi < app->components[ci].nvars; vi++)
      if (app->components[ci].vars[vi].secret)
        ok = add_secret(&secrets, &ns, app->components[ci].vars[vi].value);
  size_t len = strlen(text), cap = len + 1, n = 0;
  char *out = ok ? bt_malloc(cap) : NULL;
  if (!out) {
    bt_free(secrets);
    return NULL;
  }
  for (size_t i = 0; i < len;) {
    /* The longest secret that matches here wins. */
    size_t best = 0;
    for (size_t k = 0; k < ns; k++) {
      size_t sl = strlen(secrets[k]);
      if (sl > best && sl <= len - i && memcmp(text + i, secrets[k], sl) == 0)
        best = sl;
    }
    const char *piece = best ? mask : text + i;
    size_t pl = best ? sizeof mask - 1 : 1;
    if (n + pl + 1 > cap) {
      cap = (n + pl + 1) * 2;
      char *grown = bt_realloc(out, cap);
      if (!grown) {
        bt_free(out);
        bt_free(secrets);
        return NULL;
      }
      out = grown;
    }
    memcpy(out + n, piece, pl);
    n += pl;
    i += best ? best : 1;
  }
  out[n] = 0;
  bt_free(secrets);
  return out;
}
