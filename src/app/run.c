/*
 * src/app/run.c: an application's flows. Each manifest flow is translated
 * into a flow spec (src/flow) — selectors from the step `input` forms,
 * defaults filled in (a step without `input` takes the previous step's
 * output, a route target takes its case's payload, the first step takes the
 * flow input, a compensation takes the compensated step's output), retry
 * policies and timeouts resolved — and compiled against the components' WIT.
 * An app without flows gets one flow, "pipeline": its components in
 * manifest order, each output feeding the next one's single export
 * (components that others depend on serve those and are not steps).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "value/value.h"

/* Storage for one compiled spec: the strings and arrays the spec points at. */
typedef struct {
  bt_flow_step_spec_t *steps;
  char ***args;      /* per step */
  char ***literals;  /* per step */
  char ***after;
  char ***cases, ***targets;
  char ***comp_args;
  char **where;
  char *output;
  size_t n;
} spec_store_t;

static void store_free(spec_store_t *s) {
  for (size_t i = 0; i < s->n; i++) {
    char **lists[] = {s->args ? s->args[i] : NULL, s->literals ? s->literals[i] : NULL,
                      s->after ? s->after[i] : NULL, s->cases ? s->cases[i] : NULL,
                      s->targets ? s->targets[i] : NULL, s->comp_args ? s->comp_args[i] : NULL};
    for (size_t k = 0; k < BT_ARRAY_LEN(lists); k++) {
      for (size_t j = 0; lists[k] && lists[k][j]; j++) bt_free(lists[k][j]);
      bt_free(lists[k]);
    }
    if (s->where) bt_free(s->where[i]);
  }
  bt_free(s->steps);
  bt_free(s->args);
  bt_free(s->literals);
  bt_free(s->after);
  bt_free(s->cases);
  bt_free(s->targets);
  bt_free(s->comp_args);
  bt_free(s->where);
  bt_free(s->output);
}

/* Builds a selector string from a manifest input of kind FLOW or STEP. */
static char *selector(const bt_app_flow_t *flow, const bt_app_input_t *in) {
  bt_strbuf_t b = BT_STRBUF_INIT;
  if (in->kind == BT_APP_INPUT_FLOW) bt_strbuf_puts(&b, "$input");
  else bt_strbuf_printf(&b, "steps.%s", flow->steps[in->step.index].name);
  for (size_t i = 0; i < in->path_len; i++) bt_strbuf_printf(&b, ".%s", in->path[i]);
  size_t len;
  return bt_strbuf_take(&b, &len);
}


static baton_error_t *lookup(void *ctx, const char *component, const char *export_name,
                             const bt_wit_function_t **fn) {
  baton_app_t *app = ctx;
  bt_comp_t *c = bt_app_comp(app, component);
  if (!c) return baton_error_new(BATON_ENOT_FOUND, "no component `%s`", component);
  char core[512];
  return bt_app_find_export(c, export_name, fn, core, sizeof core);
}

/* Fills the arguments of one step or compensation from a manifest input.
 * default_sel is used when the input is not written. */
static baton_error_t *fill_args(const bt_app_flow_t *flow, const bt_app_input_t *in, const char *default_sel,
                                char ***args, char ***literals, size_t *nargs) {
  size_t n = in->kind == BT_APP_INPUT_TUPLE ? in->len : 1;
  *args = bt_calloc(n + 1, sizeof **args);
  *literals = bt_calloc(n + 1, sizeof **literals);
  if (!*args || !*literals) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  *nargs = n;
  for (size_t i = 0; i < n; i++) {
    const bt_app_input_t *it = in->kind == BT_APP_INPUT_TUPLE ? &in->items[i] : in;
    switch (it->kind) {
      case BT_APP_INPUT_DEFAULT:
        if (!default_sel) {
          *nargs = 0; /* a step with no parameters */
          return NULL;
        }
        (*args)[i] = bt_strdup(default_sel);
        break;
      case BT_APP_INPUT_LITERAL:
        (*literals)[i] = bt_strdup(it->text);
        break;
      default:
        (*args)[i] = selector(flow, it);
        break;
    }
    if (!(*args)[i] && !(*literals)[i]) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  return NULL;
}

static char **strs(size_t n) { return bt_calloc(n + 1, sizeof(char *)); }

/* Translates one manifest flow into a spec and compiles it. */
static baton_error_t *build_flow(baton_app_t *app, const bt_app_flow_t *flow, bt_flow_t **out) {
  size_t n = flow->nsteps;
  spec_store_t st = {.n = n};
  st.steps = bt_calloc(n + 1, sizeof *st.steps);
  st.args = bt_calloc(n + 1, sizeof *st.args);
  st.literals = bt_calloc(n + 1, sizeof *st.literals);
  st.after = bt_calloc(n + 1, sizeof *st.after);
  st.cases = bt_calloc(n + 1, sizeof *st.cases);
  st.targets = bt_calloc(n + 1, sizeof *st.targets);
  st.comp_args = bt_calloc(n + 1, sizeof *st.comp_args);
  st.where = bt_calloc(n + 1, sizeof *st.where);
  baton_error_t *err = NULL;
  if (!st.steps || !st.args || !st.literals || !st.after || !st.cases || !st.targets || !st.comp_args || !st.where)
    err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  for (size_t i = 0; i < n && !err; i++) {
    const bt_app_step_t *s = &flow->steps[i];
    bt_flow_step_spec_t *sp = &st.steps[i];
    bt_comp_t *c = bt_app_comp(app, s->component.name);
    sp->name = s->name;
    sp->component = s->component.name;
    sp->export_name = s->export_name.text;
    if (!sp->export_name && c) {
      err = bt_app_only_export(c, &sp->export_name);
      if (err) break;
    }
    char where[512];
    snprintf(where, sizeof where, BT_POS_FMT, BT_POS_ARGS(s->pos));
    st.where[i] = bt_strdup(where);
    sp->where = st.where[i];
    /* The default input: a route target takes its case's payload; the
     * first step the flow input; any other step the previous step's output. */
    char def[600] = "$input";
    if (s->routed) {
      for (size_t k = 0; k < n; k++)
        for (size_t r = 0; r < flow->steps[k].nroutes; r++)
          if (flow->steps[k].routes[r].target.index == i) {
            const char *cas = flow->steps[k].routes[r].case_name;
            bool payload = strcmp(cas, "none") != 0;
            snprintf(def, sizeof def, "steps.%s%s%s", flow->steps[k].name, payload ? "." : "", payload ? cas : "");
          }
    } else if (i > 0) {
      snprintf(def, sizeof def, "steps.%s", flow->steps[i - 1].name);
    }
    const bt_wit_function_t *fn = NULL;
    bool takes_args = true;
    if (c) {
      char core[512];
      baton_error_t *e2 = bt_app_find_export(c, sp->export_name, &fn, core, sizeof core);
      if (e2) baton_error_delete(e2); /* reported by bt_flow_build with the step */
      else takes_args = fn->param_count > 0;
    }
    err = fill_args(flow, &s->input, takes_args ? def : NULL, &st.args[i], &st.literals[i], &sp->nargs);
    if (err) break;
    sp->args = (const char *const *)st.args[i];
    sp->args_literal = (const char *const *)st.literals[i];
    st.after[i] = strs(s->nafter);
    if (!st.after[i]) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
    for (size_t k = 0; !err && k < s->nafter; k++) st.after[i][k] = bt_strdup(s->after[k].name);
    sp->after = (const char *const *)st.after[i];
    sp->nafter = s->nafter;
    st.cases[i] = strs(s->nroutes);
    st.targets[i] = strs(s->nroutes);
    if (!st.cases[i] || !st.targets[i]) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
    for (size_t k = 0; !err && k < s->nroutes; k++) {
      st.cases[i][k] = bt_strdup(s->routes[k].case_name);
      st.targets[i][k] = bt_strdup(s->routes[k].target.name);
    }
    sp->route_cases = (const char *const *)st.cases[i];
    sp->route_targets = (const char *const *)st.targets[i];
    sp->nroutes = s->nroutes;
    bt_app_retry_t rp = bt_app_step_retry(app->manifest, s);
    sp->retry.max_attempts = rp.max_attempts;
    sp->retry.initial_backoff_ms = (uint32_t)rp.initial_backoff_ms;
    sp->retry.max_backoff_ms = (uint32_t)rp.max_backoff_ms;
    sp->retry.multiplier = rp.multiplier;
    sp->retry.jitter = rp.jitter;
    sp->retry.retry_on = (rp.on & BT_APP_RETRY_ON_TRAP ? BT_RETRY_ON_TRAP : 0) |
                         (rp.on & BT_APP_RETRY_ON_TIMEOUT ? BT_RETRY_ON_TIMEOUT : 0) |
                         (rp.on & BT_APP_RETRY_ON_ERR ? BT_RETRY_ON_ERR : 0);
    sp->timeout_ms = bt_app_step_timeout(app->manifest, s);
    sp->reuse_instance = s->reuse_instance;
    if (s->compensate.present) {
      sp->comp_component = s->compensate.component.name ? s->compensate.component.name : s->component.name;
      sp->comp_export = s->compensate.export_name.text;
      char **lits = NULL;
      err = fill_args(flow, &s->compensate.input, "$output", &st.comp_args[i], &lits, &sp->ncomp_args);
      for (size_t k = 0; lits && lits[k]; k++) bt_free(lits[k]);
      bt_free(lits);
      sp->comp_args = (const char *const *)st.comp_args[i];
      if (!err && sp->ncomp_args == 1 && !st.comp_args[i][0])
        err = baton_error_new(BATON_EINVALID_ARGUMENT, "%s: compensation inputs must be selectors", where);
    }
  }
  if (!err && flow->output.kind != BT_APP_INPUT_DEFAULT) {
    st.output = selector(flow, &flow->output);
    if (!st.output) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  if (!err) {
    bt_flow_spec_t spec = {flow->name, st.steps, n, st.output};
    err = bt_flow_build(&spec, lookup, app, out);
  }
  store_free(&st);
  return err;
}

/* Whether another component depends on component idx. */
static bool is_dependency(const baton_app_t *app, size_t idx) {
  for (size_t i = 0; i < app->ncomps; i++)
    for (size_t k = 0; k < app->comps[i].m->ndeps; k++)
      if (app->comps[i].m->deps[k].component.name && app->comps[i].m->deps[k].component.index == idx) return true;
  return false;
}

/* The pipeline of an app without flows. */
static baton_error_t *build_pipeline(baton_app_t *app, bt_flow_t **out) {
  size_t n = 0;
  size_t *order = bt_calloc(app->ncomps + 1, sizeof *order);
  for (size_t i = 0; order && i < app->ncomps; i++)
    if (!is_dependency(app, i)) order[n++] = i;
  if (order && n == 0) {
    bt_free(order);
    return baton_error_new(BATON_EINVALID_ARGUMENT, "%s has no components", app->manifest->path);
  }
  bt_flow_step_spec_t *steps = bt_calloc(n + 1, sizeof *steps);
  char **sels = bt_calloc(n + 1, sizeof *sels);
  char **wheres = bt_calloc(n + 1, sizeof *wheres);
  baton_error_t *err = order && steps && sels && wheres ? NULL : baton_error_new(BATON_ENO_MEMORY, "out of memory");
  for (size_t i = 0; i < n && !err; i++) {
    bt_comp_t *c = &app->comps[order[i]];
    steps[i].name = c->m->name;
    steps[i].component = c->m->name;
    err = bt_app_only_export(c, &steps[i].export_name);
    if (err) break;
    const bt_wit_function_t *fn;
    char core[512];
    err = bt_app_find_export(c, steps[i].export_name, &fn, core, sizeof core);
    if (err) break;
    char sel[512];
    if (i == 0) snprintf(sel, sizeof sel, "$input");
    else snprintf(sel, sizeof sel, "steps.%s", app->comps[order[i - 1]].m->name);
    sels[i] = bt_strdup(sel);
    steps[i].args = (const char *const *)&sels[i];
    steps[i].nargs = fn->param_count > 0 ? 1 : 0;
    if (i > 0) steps[i].after = (const char *const *)&steps[i - 1].name, steps[i].nafter = 1;
    bt_app_retry_t rp = bt_app_step_retry(app->manifest, NULL);
    steps[i].retry.max_attempts = rp.max_attempts;
    steps[i].retry.initial_backoff_ms = (uint32_t)rp.initial_backoff_ms;
    steps[i].retry.max_backoff_ms = (uint32_t)rp.max_backoff_ms;
    steps[i].retry.multiplier = rp.multiplier;
    steps[i].retry.jitter = rp.jitter;
    steps[i].retry.retry_on = BT_RETRY_ON_TRAP | BT_RETRY_ON_TIMEOUT;
    steps[i].timeout_ms = c->m->timeout_ms;
    char where[512];
    snprintf(where, sizeof where, BT_POS_FMT, BT_POS_ARGS(c->m->pos));
    wheres[i] = bt_strdup(where);
    steps[i].where = wheres[i];
  }
  if (!err) {
    bt_flow_spec_t spec = {"pipeline", steps, n, NULL};
    err = bt_flow_build(&spec, lookup, app, out);
  }
  for (size_t i = 0; i < n && sels; i++) bt_free(sels[i]);
  for (size_t i = 0; i < n && wheres; i++) bt_free(wheres[i]);
  bt_free(sels);
  bt_free(wheres);
  bt_free(steps);
  bt_free(order);
  return err;
}

baton_error_t *bt_app_build_flows(baton_app_t *app) {
  const bt_app_t *m = app->manifest;
  app->pipeline = m->nflows == 0;
  size_t n = app->pipeline ? 1 : m->nflows;
  app->flows = bt_calloc(n, sizeof *app->flows);
  if (!app->flows) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  for (size_t i = 0; i < n; i++) {
    baton_error_t *err = app->pipeline ? build_pipeline(app, &app->flows[i]) : build_flow(app, &m->flows[i], &app->flows[i]);
    if (err) return err;
    app->nflows = i + 1;
  }
  return NULL;
}

size_t baton_app_flow_count(const baton_app_t *app) { return app->nflows; }

const char *baton_app_flow_name(const baton_app_t *app, size_t i) {
  return i < app->nflows ? bt_flow_name(app->flows[i]) : NULL;
}

static baton_error_t *find_flow(baton_app_t *app, const char *name, bt_flow_t **out) {
  if (!name) {
    if (app->nflows == 1) {
      *out = app->flows[0];
      return NULL;
    }
    bt_strbuf_t b = BT_STRBUF_INIT;
    for (size_t i = 0; i < app->nflows; i++) bt_strbuf_printf(&b, "%s%s", i ? ", " : "", bt_flow_name(app->flows[i]));
    baton_error_t *e = baton_error_new(BATON_EINVALID_ARGUMENT, "%s has %zu flows; name one (%s)",
                                       app->manifest->path, app->nflows, b.data ? b.data : "");
    bt_strbuf_free(&b);
    return e;
  }
  for (size_t i = 0; i < app->nflows; i++)
    if (!strcmp(bt_flow_name(app->flows[i]), name)) {
      *out = app->flows[i];
      return NULL;
    }
  return baton_error_new(BATON_ENOT_FOUND, "%s has no flow `%s`", app->manifest->path, name);
}

baton_error_t *baton_app_graph(baton_app_t *app, const char *name, FILE *out) {
  bt_flow_t *f;
  baton_error_t *err = find_flow(app, name, &f);
  if (!err) bt_flow_write_dot(f, out);
  return err;
}

void baton_run_result_clear(baton_run_result_t *r) {
  free(r->output);
  free(r->failed_step);
  free(r->message);
  memset(r, 0, sizeof *r);
}

typedef struct {
  baton_app_t *app;
} obs_ctx_t;

static void on_event(void *ctx, const bt_flow_event_t *ev) {
  baton_app_t *app = ctx;
  if (!app->opts.logger) return;
  static const char *names[] = {"start", "ok", "failed", "retry", "skipped", "compensate", "compensate-failed"};
  baton_app_event_t e = {ev->flow, ev->step, names[ev->kind], ev->attempt, ev->duration_us,
                         (unsigned long long)ev->backoff_ms, ev->message};
  app->opts.logger(app->opts.logger_env, &e);
}

static char *dup_c(const char *s) { return s ? strdup(s) : NULL; }

baton_error_t *baton_app_run(baton_app_t *app, const char *name, const char *input, baton_format_t fmt,
                             baton_run_result_t *res) {
  return bt_app_run_fmt(app, name, input, fmt, fmt, res);
}

baton_error_t *bt_app_run_fmt(baton_app_t *app, const char *name, const char *input, baton_format_t fmt,
                              baton_format_t out_fmt, baton_run_result_t *res) {
  memset(res, 0, sizeof *res);
  bt_flow_t *f;
  baton_error_t *err = find_flow(app, name, &f);
  if (err) return err;
  const bt_wit_type_t *in_type = bt_flow_input_type(f);
  baton_value_t in = {0};
  bool have_input = false;
  if (!input && app->manifest->default_input.text) {
    input = app->manifest->default_input.text;
    fmt = BATON_FORMAT_WAVE;
  }
  if (in_type) {
    if (!input)
      return baton_error_new(BATON_EINVALID_ARGUMENT, "flow `%s` needs an input (--input WAVE, or default_input in the manifest)",
                             bt_flow_name(f));
    err = fmt == BATON_FORMAT_JSON ? bt_json_parse(input, strlen(input), in_type, &in)
                                   : bt_wave_parse(input, strlen(input), in_type, &in);
    if (err) return baton_error_wrap(err, "input of flow `%s`", bt_flow_name(f));
    have_input = true;
  }
  bt_flow_invoker_t inv = bt_app_invoker_template;
  inv.ctx = app;
  bt_flow_observer_t obs = {on_event, app, 0};
  baton_value_t out = {0};
  bool failed = false;
  bt_flow_failure_t why;
  err = bt_flow_run(f, &inv, &obs, have_input ? &in : NULL, &out, &failed, &why);
  baton_value_clear(&in);
  if (err) return err;
  if (failed) {
    res->failed = true;
    res->failed_step = dup_c(why.step);
    res->attempt = why.attempt;
    char *red = why.message ? bt_app_redact(app->manifest, why.message) : NULL;
    res->message = dup_c(red ? red : why.message);
    bt_free(red);
    res->trap_kind = why.trap_kind;
    res->compensated = why.compensated;
    bt_flow_failure_clear(&why);
    return NULL;
  }
  const bt_wit_type_t *out_type = bt_flow_output_type(f);
  if (out_type && out.kind) {
    bt_strbuf_t b = BT_STRBUF_INIT;
    err = out_fmt == BATON_FORMAT_JSON ? bt_json_print(&out, out_type, &b) : bt_wave_print(&out, out_type, &b);
    /* The result text is for printing: secret values a guest copied into
     * it are replaced, as everywhere else. */
    char *red = err ? NULL : bt_app_redact(app->manifest, b.data ? b.data : "");
    if (!err && !red) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
    if (!err) res->output = dup_c(red);
    bt_free(red);
    bt_strbuf_free(&b);
  }
  baton_value_clear(&out);
  return err;
}
