/*
 * src/flow/graph.c: compiling a flow spec into a checked DAG.
 *
 * Every selector is parsed and typed against the WIT signature of the export
 * it feeds, the flow input type is inferred from the parameters that take
 * `$input` (they must agree), step references add dependency edges, routes
 * gate their targets, and cycles are rejected — all before anything runs.
 * Messages name the flow, the step, the manifest position when known, and
 * both types of a mismatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/internal.h"
#include "value/value.h"

typedef struct {
  const bt_flow_spec_t *spec;
  bt_flow_t *flow;
} build_t;

static void sel_clear(bt_sel_t *s) {
  bt_free(s->path);
  baton_value_clear(&s->literal);
}

void bt_flow_free(bt_flow_t *f) {
  if (!f) return;
  for (size_t i = 0; i < f->nsteps; i++) {
    bt_step_t *s = &f->steps[i];
    for (size_t k = 0; k < s->nargs; k++) sel_clear(&s->args[k]);
    for (size_t k = 0; k < s->ncomp_args; k++) sel_clear(&s->comp_args[k]);
    for (size_t k = 0; k < s->nroutes; k++) bt_free(s->routes[k].cas);
    bt_free(s->args);
    bt_free(s->comp_args);
    bt_free(s->routes);
    bt_free(s->deps);
    bt_free(s->name);
    bt_free(s->component);
    bt_free(s->export_name);
    bt_free(s->where);
    bt_free(s->gate_case);
    bt_free(s->comp_component);
    bt_free(s->comp_export);
  }
  bt_free(f->steps);
  sel_clear(&f->output);
  bt_free(f->name);
  bt_free(f);
}

const bt_wit_type_t *bt_flow_input_type(const bt_flow_t *f) { return f->input_type; }
const char *bt_flow_name(const bt_flow_t *f) { return f->name; }

const bt_wit_type_t *bt_flow_output_type(const bt_flow_t *f) {
  if (f->has_output) return f->output.type;
  return f->nsteps ? f->steps[f->nsteps - 1].fn->result : NULL;
}

static int find_step(const bt_flow_spec_t *spec, const char *name, size_t n) {
  for (size_t i = 0; i < spec->nsteps; i++)
    if (strlen(spec->steps[i].name) == n && !strncmp(spec->steps[i].name, name, n)) return (int)i;
  return -1;
}

static baton_error_t *step_error(const bt_flow_spec_t *spec, const bt_flow_step_spec_t *st,
                                 baton_errno_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Formats "flow F, step S (where): message". */
static baton_error_t *step_error(const bt_flow_spec_t *spec, const bt_flow_step_spec_t *st,
                                 baton_errno_t code, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (st && st->where)
    return baton_error_new(code, "%s: flow `%s`, step `%s`: %s", st->where, spec->name, st->name, msg);
  if (st) return baton_error_new(code, "flow `%s`, step `%s`: %s", spec->name, st->name, msg);
  return baton_error_new(code, "flow `%s`: %s", spec->name, msg);
}

/* Adds dependency d to step s unless present. */
static bool add_dep(bt_step_t *s, int d) {
  for (size_t i = 0; i < s->ndeps; i++)
    if (s->deps[i] == d) return true;
  int *nd = bt_realloc(s->deps, sizeof *nd * (s->ndeps + 1));
  if (!nd) return false;
  nd[s->ndeps++] = d;
  s->deps = nd;
  return true;
}

/* Parses and types selector text for a value of type `want` (NULL: any).
 * self is the step whose arguments these are (-1 for the flow output); for
 * compensations comp is true and $output refers to self. */
static baton_error_t *parse_sel(build_t *b, const bt_flow_step_spec_t *st, int self, bool comp,
                                const char *text, const char *literal, const bt_wit_type_t *want,
                                const char *what, bt_sel_t *out) {
  const bt_flow_spec_t *spec = b->spec;
  bt_flow_t *f = b->flow;
  memset(out, 0, sizeof *out);
  char ws[256], hs[256], why[300];
  if (literal) {
    if (!want) return step_error(spec, st, BATON_ETYPE, "%s: a literal needs a typed parameter", what);
    out->kind = BT_SEL_LITERAL;
    out->type = want;
    out->path = bt_strdup("");
    baton_error_t *err = bt_wave_parse(literal, strlen(literal), want, &out->literal);
    if (err) {
      baton_error_t *e = step_error(spec, st, BATON_ETYPE, "%s: literal %s: %s", what, literal,
                                    baton_error_message(err));
      baton_error_delete(err);
      return e;
    }
    return out->path ? NULL : baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  if (!text) return step_error(spec, st, BATON_EINVALID_ARGUMENT, "%s: no input given", what);
  const char *path = "";
  const bt_wit_type_t *base = NULL;
  if (!strncmp(text, "$input", 6) && (text[6] == 0 || text[6] == '.')) {
    out->kind = BT_SEL_INPUT;
    path = text[6] ? text + 7 : "";
    if (!f->input_type) {
      if (*path)
        return step_error(spec, st, BATON_ETYPE,
                          "%s: `%s` needs the flow input's type, which comes from a parameter "
                          "that takes `$input` whole",
                          what, text);
      f->input_type = want;
    }
    base = f->input_type;
  } else if (comp && !strncmp(text, "$output", 7) && (text[7] == 0 || text[7] == '.')) {
    out->kind = BT_SEL_OUTPUT;
    out->step = self;
    path = text[7] ? text + 8 : "";
    base = f->steps[self].fn->result;
    if (!base) return step_error(spec, st, BATON_ETYPE, "%s: `$output`: the step returns nothing", what);
  } else if (!strncmp(text, "steps.", 6)) {
    const char *name = text + 6;
    const char *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    int idx = find_step(spec, name, n);
    if (idx < 0) return step_error(spec, st, BATON_ENOT_FOUND, "%s: `%s` names no step of this flow", what, text);
    if (idx == self && !comp) return step_error(spec, st, BATON_EINVALID_ARGUMENT, "%s: a step cannot use its own output", what);
    out->kind = BT_SEL_STEP;
    out->step = idx;
    path = dot ? dot + 1 : "";
    base = f->steps[idx].fn ? f->steps[idx].fn->result : NULL;
    if (!f->steps[idx].fn) return NULL; /* typed in the second pass */
    if (!base) return step_error(spec, st, BATON_ETYPE, "%s: step `%.*s` returns nothing", what, (int)n, name);
  } else {
    return step_error(spec, st, BATON_EINVALID_ARGUMENT,
                      "%s: `%s` is not a selector ($input, steps.NAME[.path]%s)", what, text,
                      comp ? ", $output" : "");
  }
  out->base = base;
  out->path = bt_strdup(path);
  if (!out->path) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  const bt_wit_type_t *t = bt_wit_type_path(base, path, why, sizeof why);
  if (!t) return step_error(spec, st, BATON_ETYPE, "%s: `%s`: %s", what, text, why);
  out->type = t;
  if (want && !bt_wit_type_equal(want, t)) {
    bt_wit_type_str(want, ws, sizeof ws);
    bt_wit_type_str(t, hs, sizeof hs);
    return step_error(spec, st, BATON_ETYPE, "%s expects %s, but `%s` is %s", what, ws, text, hs);
  }
  return NULL;
}

/* Depth-first cycle check over deps. state: 0 new, 1 on stack, 2 done. */
static int find_cycle(const bt_flow_t *f, int i, char *state) {
  if (state[i] == 1) return i;
  if (state[i] == 2) return -1;
  state[i] = 1;
  for (size_t k = 0; k < f->steps[i].ndeps; k++) {
    int c = find_cycle(f, f->steps[i].deps[k], state);
    if (c >= 0) return c;
  }
  state[i] = 2;
  return -1;
}

static baton_error_t *build_step(build_t *b, size_t i, bt_flow_lookup_fn lookup, void *ctx) {
  const bt_flow_spec_t *spec = b->spec;
  const bt_flow_step_spec_t *st = &spec->steps[i];
  bt_step_t *s = &b->flow->steps[i];
  char what[300];
  for (size_t k = 0; k < s->nargs; k++) {
    const bt_wit_param_t *p = &s->fn->params[k];
    snprintf(what, sizeof what, "parameter `%s` of %s", p->name, st->export_name);
    baton_error_t *err = parse_sel(b, st, (int)i, false, st->args ? st->args[k] : NULL,
                                   st->args_literal ? st->args_literal[k] : NULL, p->type, what, &s->args[k]);
    if (err) return err;
    if (s->args[k].kind == BT_SEL_STEP && !add_dep(s, s->args[k].step))
      return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  for (size_t k = 0; k < st->nafter; k++) {
    int d = find_step(spec, st->after[k], strlen(st->after[k]));
    if (d < 0) return step_error(spec, st, BATON_ENOT_FOUND, "after: `%s` names no step of this flow", st->after[k]);
    if (d == (int)i) return step_error(spec, st, BATON_EINVALID_ARGUMENT, "after: a step cannot follow itself");
    if (!add_dep(s, d)) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  if (st->comp_export) {
    const char *cc = st->comp_component ? st->comp_component : st->component;
    baton_error_t *err = lookup(ctx, cc, st->comp_export, &s->comp_fn);
    if (err) {
      baton_error_t *e = step_error(spec, st, baton_error_code(err), "compensation: %s", baton_error_message(err));
      baton_error_delete(err);
      return e;
    }
    if (st->ncomp_args != s->comp_fn->param_count)
      return step_error(spec, st, BATON_ETYPE, "compensation %s takes %zu parameters, %zu inputs given",
                        st->comp_export, s->comp_fn->param_count, st->ncomp_args);
    s->has_comp = true;
    s->comp_component = bt_strdup(cc);
    s->comp_export = bt_strdup(st->comp_export);
    s->ncomp_args = st->ncomp_args;
    s->comp_args = bt_calloc(st->ncomp_args + 1, sizeof *s->comp_args);
    if (!s->comp_component || !s->comp_export || !s->comp_args)
      return baton_error_new(BATON_ENO_MEMORY, "out of memory");
    for (size_t k = 0; k < st->ncomp_args; k++) {
      snprintf(what, sizeof what, "compensation parameter `%s` of %s", s->comp_fn->params[k].name, st->comp_export);
      baton_error_t *e2 = parse_sel(b, st, (int)i, true, st->comp_args[k], NULL, s->comp_fn->params[k].type, what,
                                    &s->comp_args[k]);
      if (e2) return e2;
    }
  }
  return NULL;
}

static baton_error_t *build_routes(build_t *b, size_t i) {
  const bt_flow_spec_t *spec = b->spec;
  const bt_flow_step_spec_t *st = &spec->steps[i];
  bt_flow_t *f = b->flow;
  bt_step_t *s = &f->steps[i];
  if (!st->nroutes) return NULL;
  const bt_wit_type_t *rt = bt_wit_type_unalias(s->fn->result);
  if (!rt || (rt->kind != BT_WIT_RESULT && rt->kind != BT_WIT_VARIANT && rt->kind != BT_WIT_ENUM &&
              rt->kind != BT_WIT_OPTION)) {
    char ts[256];
    bt_wit_type_str(s->fn->result, ts, sizeof ts);
    return step_error(spec, st, BATON_ETYPE, "routes need a result, variant, enum or option output, but %s returns %s",
                      st->export_name, rt ? ts : "nothing");
  }
  s->routes = bt_calloc(st->nroutes, sizeof *s->routes);
  if (!s->routes) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  for (size_t k = 0; k < st->nroutes; k++) {
    const char *cas = st->route_cases[k];
    bool known = false;
    if (rt->kind == BT_WIT_RESULT) known = !strcmp(cas, "ok") || !strcmp(cas, "err");
    else if (rt->kind == BT_WIT_OPTION) known = !strcmp(cas, "some") || !strcmp(cas, "none");
    else
      for (size_t c = 0; c < rt->count; c++) known |= !strcmp(rt->fields[c].name, cas);
    if (!known) return step_error(spec, st, BATON_ETYPE, "route on `%s`: the output has no such case", cas);
    int t = find_step(spec, st->route_targets[k], strlen(st->route_targets[k]));
    if (t < 0) return step_error(spec, st, BATON_ENOT_FOUND, "route on `%s`: `%s` names no step of this flow", cas, st->route_targets[k]);
    if (t == (int)i) return step_error(spec, st, BATON_EINVALID_ARGUMENT, "route on `%s`: a step cannot route to itself", cas);
    bt_step_t *ts = &f->steps[t];
    if (ts->gate_step >= 0)
      return step_error(spec, st, BATON_EINVALID_ARGUMENT, "route on `%s`: step `%s` is already the target of a route from `%s`",
                        cas, ts->name, f->steps[ts->gate_step].name);
    ts->gate_step = (int)i;
    ts->gate_case = bt_strdup(cas);
    s->routes[k].cas = bt_strdup(cas);
    s->routes[k].target = t;
    s->nroutes = k + 1;
    if (!ts->gate_case || !s->routes[k].cas || !add_dep(ts, (int)i))
      return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  return NULL;
}

baton_error_t *bt_flow_build(const bt_flow_spec_t *spec, bt_flow_lookup_fn lookup, void *ctx,
                             bt_flow_t **out) {
  *out = NULL;
  if (!spec->nsteps) return baton_error_new(BATON_EINVALID_ARGUMENT, "flow `%s` has no steps", spec->name);
  bt_flow_t *f = bt_calloc(1, sizeof *f);
  if (!f) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  f->name = bt_strdup(spec->name);
  f->steps = bt_calloc(spec->nsteps, sizeof *f->steps);
  if (!f->name || !f->steps) {
    bt_flow_free(f);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  build_t b = {spec, f};
  baton_error_t *err = NULL;
  /* Pass 1: names, signatures, arity. */
  for (size_t i = 0; i < spec->nsteps && !err; i++) {
    const bt_flow_step_spec_t *st = &spec->steps[i];
    bt_step_t *s = &f->steps[i];
    f->nsteps = i + 1;
    s->gate_step = -1;
    for (size_t k = 0; k < i; k++)
      if (!strcmp(spec->steps[k].name, st->name))
        err = step_error(spec, st, BATON_EINVALID_ARGUMENT, "duplicate step name");
    if (err) break;
    s->name = bt_strdup(st->name);
    s->component = bt_strdup(st->component);
    s->export_name = bt_strdup(st->export_name);
    s->where = st->where ? bt_strdup(st->where) : NULL;
    if (!s->name || !s->component || !s->export_name || (st->where && !s->where)) {
      err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
      break;
    }
    s->retry = st->retry;
    if (s->retry.max_attempts == 0) s->retry.max_attempts = 1;
    if (s->retry.multiplier <= 0) s->retry.multiplier = 2.0;
    s->timeout_ms = st->timeout_ms;
    s->reuse_instance = st->reuse_instance;
    baton_error_t *e = lookup(ctx, st->component, st->export_name, &s->fn);
    if (e) {
      err = step_error(spec, st, baton_error_code(e), "%s", baton_error_message(e));
      baton_error_delete(e);
      break;
    }
    if (st->nargs != s->fn->param_count) {
      err = step_error(spec, st, BATON_ETYPE, "%s takes %zu parameter%s, %zu input%s given", st->export_name,
                       s->fn->param_count, s->fn->param_count == 1 ? "" : "s", st->nargs, st->nargs == 1 ? "" : "s");
      break;
    }
    s->nargs = st->nargs;
    s->args = bt_calloc(st->nargs + 1, sizeof *s->args);
    if (!s->args) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  /* Pass 2: selectors, ordering, compensations; pass 3: routes. */
  for (size_t i = 0; i < spec->nsteps && !err; i++) err = build_step(&b, i, lookup, ctx);
  for (size_t i = 0; i < spec->nsteps && !err; i++) err = build_routes(&b, i);
  if (!err) {
    char *state = bt_calloc(spec->nsteps, 1);
    if (!state) err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
    for (size_t i = 0; state && i < spec->nsteps && !err; i++) {
      int c = find_cycle(f, (int)i, state);
      if (c >= 0) err = step_error(spec, &spec->steps[c], BATON_EINVALID_ARGUMENT, "steps form a cycle through `%s`", f->steps[c].name);
    }
    bt_free(state);
  }
  if (!err && spec->output) {
    err = parse_sel(&b, NULL, -1, false, spec->output, NULL, NULL, "flow output", &f->output);
    f->has_output = !err;
  }
  if (err) {
    bt_flow_free(f);
    return err;
  }
  *out = f;
  return NULL;
}

static void dot_id(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

void bt_flow_write_dot(const bt_flow_t *f, FILE *out) {
  fprintf(out, "digraph ");
  dot_id(out, f->name);
  fprintf(out, " {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n  \"$input\" [shape=oval];\n");
  for (size_t i = 0; i < f->nsteps; i++) {
    const bt_step_t *s = &f->steps[i];
    fprintf(out, "  ");
    dot_id(out, s->name);
    fprintf(out, " [label=\"%s\\n%s.%s%s\"];\n", s->name, s->component, s->export_name,
            s->retry.max_attempts > 1 ? "\\n(retry)" : "");
    bool uses_input = false;
    for (size_t k = 0; k < s->nargs; k++) uses_input |= s->args[k].kind == BT_SEL_INPUT;
    if (uses_input) {
      fprintf(out, "  \"$input\" -> ");
      dot_id(out, s->name);
      fprintf(out, ";\n");
    }
    for (size_t k = 0; k < s->ndeps; k++) {
      const bt_step_t *d = &f->steps[s->deps[k]];
      fprintf(out, "  ");
      dot_id(out, d->name);
      fprintf(out, " -> ");
      dot_id(out, s->name);
      if (s->gate_step == s->deps[k]) fprintf(out, " [label=\"%s\"]", s->gate_case);
      fprintf(out, ";\n");
    }
    if (s->has_comp) {
      fprintf(out, "  ");
      dot_id(out, s->name);
      fprintf(out, " -> \"%s:undo\" [style=dashed, label=\"compensate\"];\n  \"%s:undo\" [label=\"%s.%s\", style=dashed];\n",
              s->name, s->name, s->comp_component, s->comp_export);
    }
  }
  fprintf(out, "}\n");
}
