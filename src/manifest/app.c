/*
 * src/manifest/app.c: loading an app manifest (reading the file, telling
 * baton.toml from spin.toml, dispatching to the format loader), the checks
 * that need the whole model (references, duplicate names, cycles between
 * flow steps and between component dependencies, trigger configs against
 * their schemas), freeing, lookups and use-time checks (sources exist,
 * effective retry policy and timeout of a step).
 *
 * Cycle detection and ordering work on a small adjacency graph built per
 * check (compressed rows: off[] and dst[]), walked iteratively so that a
 * large manifest cannot exhaust the stack.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "manifest/app_internal.h"
#include "util/fileio.h"

/* ---- freeing ---- */

static void free_str(bt_app_str_t *s) { bt_free(s->text); }

static void free_strs(bt_app_strs_t *l) {
  for (size_t i = 0; i < l->len; i++) bt_free(l->items[i].text);
  bt_free(l->items);
}

void bt_m_free_dep(bt_app_dependency_t *d) {
  bt_free(d->import_name);
  bt_free(d->package);
  bt_free(d->interface);
  bt_free(d->version);
  bt_free(d->component.name);
  free_str(&d->path);
  free_str(&d->export_name);
}

void bt_m_free_input(bt_app_input_t *in) {
  bt_free(in->text);
  bt_free(in->step.name);
  for (size_t i = 0; i < in->path_len; i++) bt_free(in->path[i]);
  bt_free(in->path);
  for (size_t i = 0; i < in->len; i++) bt_m_free_input(&in->items[i]);
  bt_free(in->items);
}

static void free_component(bt_app_component_t *c) {
  bt_free(c->name);
  free_str(&c->description);
  free_str(&c->source);
  bt_free(c->source_written);
  free_str(&c->wit);
  free_str(&c->world);
  for (size_t i = 0; i < c->nvars; i++) {
    bt_free(c->vars[i].name);
    free_str(&c->vars[i].tmpl);
    bt_free(c->vars[i].value);
  }
  bt_free(c->vars);
  free_str(&c->build.command);
  free_str(&c->build.workdir);
  free_strs(&c->build.watch);
  free_strs(&c->allowed_outbound_hosts);
  free_strs(&c->key_value_stores);
  free_strs(&c->files);
  free_str(&c->trigger_config);
  bt_mjson_free(c->config);
  for (size_t i = 0; i < c->config_schema.len; i++)
    bt_free(c->config_schema.fields[i].key);
  bt_free(c->config_schema.fields);
  for (size_t i = 0; i < c->ndeps; i++) bt_m_free_dep(&c->deps[i]);
  bt_free(c->deps);
  free_str(&c->config_import);
}

static void free_step(bt_app_step_t *s) {
  bt_free(s->name);
  bt_free(s->component.name);
  free_str(&s->export_name);
  bt_m_free_input(&s->input);
  for (size_t i = 0; i < s->nafter; i++) bt_free(s->after[i].name);
  bt_free(s->after);
  for (size_t i = 0; i < s->nroutes; i++) {
    bt_free(s->routes[i].case_name);
    bt_free(s->routes[i].target.name);
  }
  bt_free(s->routes);
  bt_free(s->compensate.component.name);
  free_str(&s->compensate.export_name);
  bt_m_free_input(&s->compensate.input);
}

void bt_app_free(bt_app_t *app) {
  if (!app) return;
  free_str(&app->name);
  free_str(&app->version);
  free_str(&app->description);
  free_str(&app->default_input);
  free_str(&app->spin_trigger_type);
  for (size_t i = 0; i < app->nvariables; i++) {
    bt_app_variable_t *v = &app->variables[i];
    bt_free(v->name);
    free_str(&v->description);
    free_str(&v->default_value);
    bt_free(v->value);
    bt_free(v->origin_env);
  }
  bt_free(app->variables);
  for (size_t i = 0; i < app->ncomponents; i++)
    free_component(&app->components[i]);
  bt_free(app->components);
  for (size_t i = 0; i < app->nflows; i++) {
    bt_app_flow_t *f = &app->flows[i];
    bt_free(f->name);
    free_str(&f->description);
    for (size_t k = 0; k < f->nsteps; k++) free_step(&f->steps[k]);
    bt_free(f->steps);
    bt_m_free_input(&f->output);
    bt_free(f->order);
  }
  bt_free(app->flows);
  for (size_t i = 0; i < app->ntriggers; i++) {
    bt_free(app->triggers[i].flow.name);
    free_str(&app->triggers[i].input);
    bt_free(app->triggers[i].spin_type);
    bt_free(app->triggers[i].component.name);
  }
  bt_free(app->triggers);
  for (size_t i = 0; i < app->nwarnings; i++) bt_free(app->warnings[i].message);
  bt_free(app->warnings);
  bt_free(app->path);
  bt_free(app->dir);
  bt_free(app);
}

/* ---- graphs ---- */

/* A directed graph in compressed rows: the edges of node i are
 * dst[off[i] .. off[i+1]). */
typedef struct graph {
  size_t n;
  size_t *off, *dst;
} graph_t;

static void graph_free(graph_t *g) {
  bt_free(g->off);
  bt_free(g->dst);
}

/* Builds g over n nodes from the edges src[i] -> dst[i], i < m, keeping
 * each node's edges in input order. Returns false on allocation failure (g
 * is then empty). */
static bool graph_build(graph_t *g, size_t n, const size_t *src,
                        const size_t *dst, size_t m) {
  g->n = n;
  g->off = bt_calloc(n + 1, sizeof *g->off);
  g->dst = bt_malloc((m ? m : 1) * sizeof *g->dst);
  size_t *fill = bt_calloc(n ? n : 1, sizeof *fill);
  if (!g->off || !g->dst || !fill) {
    graph_free(g);
    g->off = g->dst = NULL;
    bt_free(fill);
    return false;
  }
  for (size_t i = 0; i < m; i++) g->off[src[i] + 1]++;
  for (size_t i = 0; i < n; i++) g->off[i + 1] += g->off[i];
  for (size_t i = 0; i < m; i++) g->dst[g->off[src[i]] + fill[src[i]]++] = dst[i];
  bt_free(fill);
  return true;
}

/* Finds a cycle in g. Returns true when there is none. Otherwise stores in
 * *cycle (bt_malloc'd) the nodes of one cycle in edge order, the first node
 * repeated at the end, and its length in *len; *cycle is NULL on OOM. */
static bool graph_acyclic(const graph_t *g, size_t **cycle, size_t *len) {
  *cycle = NULL;
  *len = 0;
  unsigned char *color = bt_calloc(g->n ? g->n : 1, 1); /* 0 new, 1 open, 2 done */
  size_t *stack = bt_malloc((g->n ? g->n : 1) * sizeof *stack);
  size_t *next = bt_malloc((g->n ? g->n : 1) * sizeof *next);
  bool acyclic = true;
  if (!color || !stack || !next) {
    acyclic = false; /* reported as OOM: *cycle stays NULL */
    goto out;
  }
  for (size_t root = 0; root < g->n && acyclic; root++) {
    if (color[root]) continue;
    size_t depth = 0;
    stack[depth++] = root;
    next[root] = g->off[root];
    color[root] = 1;
    while (depth && acyclic) {
      size_t u = stack[depth - 1];
      if (next[u] == g->off[u + 1]) {
        color[u] = 2;
        depth--;
        continue;
      }
      size_t v = g->dst[next[u]++];
      if (color[v] == 0) {
        color[v] = 1;
        next[v] = g->off[v];
        stack[depth++] = v;
      } else if (color[v] == 1) {
        acyclic = false;
        size_t from = depth;
        while (stack[from - 1] != v) from--;
        size_t n = depth - (from - 1);
        *cycle = bt_malloc((n + 1) * sizeof **cycle);
        if (*cycle) {
          memcpy(*cycle, stack + from - 1, n * sizeof **cycle);
          (*cycle)[n] = v;
          *len = n + 1;
        }
      }
    }
  }
out:
  bt_free(color);
  bt_free(stack);
  bt_free(next);
  return acyclic;
}

/* ---- helpers for reference checks ---- */

/* Returns the index of the component called name, or BT_APP_NONE. */
static size_t component_index(const bt_app_t *app, const char *name) {
  for (size_t i = 0; i < app->ncomponents; i++)
    if (strcmp(app->components[i].name, name) == 0) return i;
  return BT_APP_NONE;
}

static size_t step_index(const bt_app_flow_t *f, const char *name) {
  for (size_t i = 0; i < f->nsteps; i++)
    if (strcmp(f->steps[i].name, name) == 0) return i;
  return BT_APP_NONE;
}

/* Records "CONTEXT: unknown WHAT 'NAME'WHERE" at pos, with a suggestion
 * among the names of items base[0..n) (each item stride bytes, its name
 * pointer first). where is "" or e.g. " in 'after'". */
static bool unknown_ref(bt_mctx_t *c, bt_pos_t pos, const char *context,
                        const char *what, const char *name, const char *where,
                        const void *base, size_t n, size_t stride) {
  bt_mkey_t *keys = bt_calloc(n + 1, sizeof *keys);
  if (!keys) return bt_m_oom(c);
  for (size_t i = 0; i < n; i++)
    keys[i].name = *(char *const *)((const char *)base + i * stride);
  const char *s = bt_m_suggest(name, keys);
  bool r = bt_m_fail(c, pos, BATON_EINVALID, "%s: unknown %s '%s'%s%s%s%s",
                     context, what, name, where, s ? " (did you mean '" : "",
                     s ? s : "", s ? "'?)" : "");
  bt_free(keys);
  return r;
}

/* Resolves a component reference of context. */
static bool resolve_component(bt_mctx_t *c, bt_app_ref_t *r,
                              const char *context) {
  bt_app_t *app = c->app;
  r->index = component_index(app, r->name);
  if (r->index != BT_APP_NONE) return true;
  return unknown_ref(c, r->pos, context, "component", r->name, "", app->components,
                     app->ncomponents, sizeof *app->components);
}

/* ---- components ---- */

/* Formats a cycle of names[idx] joined by " -> " into buf. */
static void cycle_text(char *buf, size_t n, const size_t *cyc, size_t len,
                       const char *(*name)(const void *, size_t),
                       const void *ctx) {
  size_t used = 0;
  buf[0] = 0;
  for (size_t i = 0; i < len && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s'%s'", i ? " -> " : "",
                             name(ctx, cyc[i]));
}

static const char *component_name(const void *ctx, size_t i) {
  return ((const bt_app_t *)ctx)->components[i].name;
}

static const char *step_name(const void *ctx, size_t i) {
  return ((const bt_app_flow_t *)ctx)->steps[i].name;
}

/* Checks the components as a whole: at least one, unique names, each
 * dependency's component resolved (not the component itself), config_import
 * distinct from the dependencies, and no cycle among the dependencies. */
static bool validate_components(bt_mctx_t *c) {
  bt_app_t *app = c->app;
  if (app->ncomponents == 0)
    return bt_m_fail(c, (bt_pos_t){0}, BATON_EINVALID,
                     "the manifest declares no components");
  size_t nedges = 0;
  for (size_t i = 0; i < app->ncomponents; i++) {
    bt_app_component_t *comp = &app->components[i];
    for (size_t j = 0; j < i; j++)
      if (strcmp(app->components[j].name, comp->name) == 0)
        return bt_m_fail(c, comp->pos, BATON_EINVALID,
                         "duplicate component '%s' (first defined at "
                         "%s:%u:%u)",
                         comp->name, BT_POS_ARGS(app->components[j].pos));
    char context[300];
    for (size_t k = 0; k < comp->ndeps; k++) {
      bt_app_dependency_t *d = &comp->deps[k];
      if (!d->component.name) continue;
      snprintf(context, sizeof context, "component '%s' dependency '%s'",
               comp->name, d->import_name);
      if (!resolve_component(c, &d->component, context)) return false;
      if (d->component.index == i)
        return bt_m_fail(c, d->component.pos, BATON_EINVALID,
                         "%s: a component cannot depend on itself", context);
      nedges++;
    }
    if (comp->config_import.text) {
      for (size_t k = 0; k < comp->ndeps; k++)
        if (strcmp(comp->deps[k].import_name, comp->config_import.text) == 0)
          return bt_m_fail(c, comp->config_import.pos, BATON_EINVALID,
                           "component '%s': config_import '%s' is also a "
                           "dependency (at %s:%u:%u)",
                           comp->name, comp->config_import.text,
                           BT_POS_ARGS(comp->deps[k].pos));
    }
  }
  /* Dependency cycles: an edge from a component to each provider. */
  size_t *src = bt_malloc((nedges ? nedges : 1) * sizeof *src);
  size_t *dst = bt_malloc((nedges ? nedges : 1) * sizeof *dst);
  graph_t g = {0};
  size_t m = 0;
  for (size_t i = 0; src && dst && i < app->ncomponents; i++)
    for (size_t k = 0; k < app->components[i].ndeps; k++)
      if (app->components[i].deps[k].component.name)
        src[m] = i, dst[m++] = app->components[i].deps[k].component.index;
  bool built = src && dst && graph_build(&g, app->ncomponents, src, dst, m);
  bt_free(src);
  bt_free(dst);
  if (!built) return bt_m_oom(c);
  size_t *cyc, len;
  bool acyclic = graph_acyclic(&g, &cyc, &len);
  graph_free(&g);
  if (acyclic) return true;
  if (!cyc) return bt_m_oom(c);
  /* Point at the dependency that closes the cycle. */
  const bt_app_component_t *from = &app->components[cyc[len - 2]];
  const bt_app_dependency_t *edge = NULL;
  for (size_t k = 0; k < from->ndeps && !edge; k++)
    if (from->deps[k].component.index == cyc[len - 1]) edge = &from->deps[k];
  char text[1024];
  cycle_text(text, sizeof text, cyc, len, component_name, app);
  bt_m_fail(c, edge->pos, BATON_EINVALID,
            "dependency cycle between components '%s' and '%s': %s",
            from->name, app->components[cyc[len - 1]].name, text);
  bt_free(cyc);
  return false;
}

/* Checks a trigger config against its component's schema. */
static bool validate_config(bt_mctx_t *c, const bt_app_component_t *comp) {
  const bt_app_schema_t *s = &comp->config_schema;
  if (!s->present) return true;
  const bt_mjson_t *cfg = comp->config;
  bt_pos_t pos = comp->config ? comp->trigger_config.pos : s->pos;
  if (cfg && cfg->kind != BT_MJSON_OBJECT)
    return bt_m_fail(c, pos, BATON_EINVALID,
                     "component '%s': trigger config must be a JSON object "
                     "(the component has a config_schema), got %s",
                     comp->name, bt_mjson_type_name(cfg));
  for (size_t i = 0; i < s->len; i++) {
    const bt_app_schema_field_t *f = &s->fields[i];
    const bt_mjson_t *v = bt_mjson_get(cfg, f->key);
    if (!v) {
      if (f->required)
        return bt_m_fail(c, pos, BATON_EINVALID,
                         "component '%s': trigger config is missing required "
                         "key '%s' (declared at %s:%u:%u)",
                         comp->name, f->key, BT_POS_ARGS(f->pos));
      continue;
    }
    bool ok;
    switch (f->type) {
      case BT_APP_CFG_BOOL: ok = v->kind == BT_MJSON_BOOL; break;
      case BT_APP_CFG_INTEGER:
        ok = v->kind == BT_MJSON_NUMBER && v->is_integer;
        break;
      case BT_APP_CFG_NUMBER: ok = v->kind == BT_MJSON_NUMBER; break;
      case BT_APP_CFG_STRING: ok = v->kind == BT_MJSON_STRING; break;
      case BT_APP_CFG_ARRAY: ok = v->kind == BT_MJSON_ARRAY; break;
      default: ok = v->kind == BT_MJSON_OBJECT; break;
    }
    if (!ok)
      return bt_m_fail(c, pos, BATON_EINVALID,
                       "component '%s': trigger config key '%s' (JSON "
                       "%u:%u): expected %s, got %s",
                       comp->name, f->key, v->line, v->col,
                       bt_app_cfg_type_name(f->type), bt_mjson_type_name(v));
  }
  for (size_t i = 0; cfg && i < cfg->len; i++) {
    size_t k = 0;
    while (k < s->len && strcmp(s->fields[k].key, cfg->keys[i]) != 0) k++;
    if (k < s->len) continue;
    bt_mkey_t *keys = bt_calloc(s->len + 1, sizeof *keys);
    if (!keys) return bt_m_oom(c);
    for (size_t j = 0; j < s->len; j++) keys[j].name = s->fields[j].key;
    const char *sug = bt_m_suggest(cfg->keys[i], keys);
    bt_m_fail(c, pos, BATON_EINVALID,
              "component '%s': trigger config has unknown key '%s' (JSON "
              "%u:%u)%s%s%s; the config_schema at %s:%u:%u does not declare "
              "it",
              comp->name, cfg->keys[i], cfg->key_lines[i], cfg->key_cols[i],
              sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "",
              BT_POS_ARGS(s->pos));
    bt_free(keys);
    return false;
  }
  return true;
}

/* ---- flows ---- */

/* Resolves the step references of an input expression (recursively for a
 * tuple). context prefixes messages. */
static bool resolve_input(bt_mctx_t *c, bt_app_flow_t *f, bt_app_input_t *in,
                          const char *context) {
  for (size_t i = 0; i < in->len; i++)
    if (!resolve_input(c, f, &in->items[i], context)) return false;
  if (in->kind != BT_APP_INPUT_STEP) return true;
  in->step.index = step_index(f, in->step.name);
  if (in->step.index != BT_APP_NONE) return true;
  return unknown_ref(c, in->pos, context, "step", in->step.name, "", f->steps,
                     f->nsteps, sizeof *f->steps);
}

/* The edges of a flow's step graph, in execution order, each with the
 * position of what created it (an 'after' entry, a route target, a step
 * reference in an input). */
typedef struct edges {
  size_t *src, *dst;
  bt_pos_t *pos;
  size_t len, cap;
} edges_t;

static void edges_free(edges_t *e) {
  bt_free(e->src);
  bt_free(e->dst);
  bt_free(e->pos);
}

/* Appends the edge u -> v created at pos. Returns false on OOM. */
static bool edges_add(edges_t *e, size_t u, size_t v, bt_pos_t pos) {
  if (e->len == e->cap) {
    size_t nc = e->cap ? e->cap * 2 : 16;
    size_t *s = bt_realloc(e->src, nc * sizeof *s);
    if (!s) return false;
    e->src = s;
    size_t *d = bt_realloc(e->dst, nc * sizeof *d);
    if (!d) return false;
    e->dst = d;
    bt_pos_t *p = bt_realloc(e->pos, nc * sizeof *p);
    if (!p) return false;
    e->pos = p;
    e->cap = nc;
  }
  e->src[e->len] = u;
  e->dst[e->len] = v;
  e->pos[e->len++] = pos;
  return true;
}

/* Adds an edge from every step that input expression in refers to, to
 * step v: using a step's output implies running after it. */
static bool edges_add_input(edges_t *e, const bt_app_input_t *in, size_t v) {
  for (size_t i = 0; i < in->len; i++)
    if (!edges_add_input(e, &in->items[i], v)) return false;
  return in->kind != BT_APP_INPUT_STEP || edges_add(e, in->step.index, v, in->pos);
}

/* Checks flow f and fills its derived fields: unique step names; resolved
 * component, after, route and input references; the implicit predecessors;
 * no cycle through after, on and input references; and f->order (a
 * topological order over those edges). */
static bool validate_flow(bt_mctx_t *c, bt_app_flow_t *f) {
  char context[400];
  for (size_t i = 0; i < f->nsteps; i++) {
    bt_app_step_t *s = &f->steps[i];
    snprintf(context, sizeof context, "step '%s' of flow '%s'", s->name,
             f->name);
    for (size_t j = 0; j < i; j++)
      if (strcmp(f->steps[j].name, s->name) == 0)
        return bt_m_fail(c, s->pos, BATON_EINVALID,
                         "duplicate step '%s' in flow '%s' (first defined at "
                         "%s:%u:%u)",
                         s->name, f->name, BT_POS_ARGS(f->steps[j].pos));
    if (!resolve_component(c, &s->component, context) ||
        (s->compensate.present &&
         !resolve_component(c, &s->compensate.component, context)))
      return false;
    for (size_t k = 0; k < s->nafter; k++) {
      bt_app_ref_t *r = &s->after[k];
      r->index = step_index(f, r->name);
      if (r->index == BT_APP_NONE)
        return unknown_ref(c, r->pos, context, "step", r->name, " in 'after'",
                           f->steps, f->nsteps, sizeof *f->steps);
    }
    for (size_t k = 0; k < s->nroutes; k++) {
      bt_app_ref_t *r = &s->routes[k].target;
      r->index = step_index(f, r->name);
      if (r->index == BT_APP_NONE)
        return unknown_ref(c, r->pos, context, "step", r->name, " in 'on'",
                           f->steps, f->nsteps, sizeof *f->steps);
      f->steps[r->index].routed = true;
    }
  }
  for (size_t i = 0; i < f->nsteps; i++) {
    bt_app_step_t *s = &f->steps[i];
    snprintf(context, sizeof context, "step '%s' of flow '%s'", s->name,
             f->name);
    if (!resolve_input(c, f, &s->input, context) ||
        (s->compensate.present &&
         !resolve_input(c, f, &s->compensate.input, context)))
      return false;
  }
  snprintf(context, sizeof context, "output of flow '%s'", f->name);
  if (!resolve_input(c, f, &f->output, context)) return false;
  /* Implicit predecessors: the previous step, for steps that neither list
   * 'after' nor are route targets. */
  for (size_t i = 1; i < f->nsteps; i++) {
    bt_app_step_t *s = &f->steps[i];
    if (s->after_written || s->routed) continue;
    char *prev = bt_strdup(f->steps[i - 1].name);
    if (!prev) return bt_m_oom(c);
    bt_app_ref_t *r = bt_m_push(c, (void **)&s->after, &s->nafter, sizeof *r);
    if (!r) {
      bt_free(prev);
      return false;
    }
    r->name = prev;
    r->pos = s->pos;
    r->index = i - 1;
    r->implicit = true;
  }
  /* The graph: predecessor -> step, router -> target, used -> user. A
   * compensation's input adds no edge: compensations run after the flow. */
  edges_t e = {0};
  bool ok = true;
  for (size_t v = 0; ok && v < f->nsteps; v++) {
    const bt_app_step_t *s = &f->steps[v];
    for (size_t k = 0; ok && k < s->nafter; k++)
      ok = edges_add(&e, s->after[k].index, v, s->after[k].pos);
    for (size_t k = 0; ok && k < s->nroutes; k++)
      ok = edges_add(&e, v, s->routes[k].target.index, s->routes[k].target.pos);
    ok = ok && edges_add_input(&e, &s->input, v);
  }
  graph_t g = {0};
  ok = ok && graph_build(&g, f->nsteps, e.src, e.dst, e.len);
  size_t *indeg = ok ? bt_calloc(f->nsteps, sizeof *indeg) : NULL;
  f->order = indeg ? bt_malloc(f->nsteps * sizeof *f->order) : NULL;
  if (!f->order) ok = bt_m_oom(c);
  size_t *cyc = NULL, len = 0;
  if (ok && !graph_acyclic(&g, &cyc, &len)) {
    ok = false;
    if (!cyc) {
      bt_m_oom(c);
    } else {
      /* Point at what created the edge that closes the cycle. */
      size_t a = cyc[len - 2], b = cyc[len - 1];
      bt_pos_t pos = f->steps[b].pos;
      for (size_t k = 0; k < e.len; k++)
        if (e.src[k] == a && e.dst[k] == b) pos = e.pos[k];
      char text[1024];
      cycle_text(text, sizeof text, cyc, len, step_name, f);
      bt_m_fail(c, pos, BATON_EINVALID,
                "flow '%s': steps '%s' and '%s' form a cycle: %s", f->name,
                f->steps[a].name, f->steps[b].name, text);
      bt_free(cyc);
    }
  }
  if (ok) {
    /* Kahn's algorithm, seeded in manifest order, for a stable order. */
    for (size_t k = 0; k < e.len; k++) indeg[e.dst[k]]++;
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < f->nsteps; i++)
      if (!indeg[i]) f->order[tail++] = i;
    while (head < tail) {
      size_t u = f->order[head++];
      for (size_t k = g.off[u]; k < g.off[u + 1]; k++)
        if (--indeg[g.dst[k]] == 0) f->order[tail++] = g.dst[k];
    }
  }
  edges_free(&e);
  graph_free(&g);
  bt_free(indeg);
  return ok;
}

/* ---- triggers ---- */

/* Resolves the flow (or, for Spin triggers, the component) that each
 * trigger names; a trigger without a flow takes the only flow, or the
 * pipeline when there are none, and is an error when there are several. */
static bool validate_triggers(bt_mctx_t *c) {
  bt_app_t *app = c->app;
  for (size_t i = 0; i < app->ntriggers; i++) {
    bt_app_trigger_t *t = &app->triggers[i];
    const char *what = t->kind == BT_APP_TRIGGER_CLI     ? "[[trigger.cli]]"
                       : t->kind == BT_APP_TRIGGER_TIMER ? "[[trigger.timer]]"
                                                         : "trigger";
    if (t->kind == BT_APP_TRIGGER_SPIN) {
      char context[300];
      snprintf(context, sizeof context, "[[trigger.%s]]", t->spin_type);
      if (!resolve_component(c, &t->component, context)) return false;
      continue;
    }
    if (t->flow.name) {
      t->flow.index = BT_APP_NONE;
      for (size_t k = 0; k < app->nflows; k++)
        if (strcmp(app->flows[k].name, t->flow.name) == 0) t->flow.index = k;
      if (t->flow.index == BT_APP_NONE)
        return unknown_ref(c, t->flow.pos, what, "flow", t->flow.name, "",
                           app->flows, app->nflows, sizeof *app->flows);
    } else if (app->nflows == 1) {
      t->flow.index = 0;
      t->flow.name = bt_strdup(app->flows[0].name);
      t->flow.implicit = true;
      t->flow.pos = t->pos;
      if (!t->flow.name) return bt_m_oom(c);
    } else if (app->nflows > 1) {
      return bt_m_fail(c, t->pos, BATON_EINVALID,
                       "%s needs 'flow': the app has %zu flows", what,
                       app->nflows);
    } else {
      t->flow.index = BT_APP_NONE; /* the pipeline */
    }
  }
  return true;
}

bool bt_m_validate(bt_mctx_t *c) {
  bt_app_t *app = c->app;
  if (!validate_components(c) || !bt_m_check_templates(c)) return false;
  for (size_t i = 0; i < app->ncomponents; i++)
    if (!validate_config(c, &app->components[i])) return false;
  for (size_t i = 0; i < app->nflows; i++)
    if (!validate_flow(c, &app->flows[i])) return false;
  return validate_triggers(c);
}

/* ---- loading ---- */

/* Loads text[0..len) named name, with relative paths against dir (owned by
 * the call: a bt_malloc'd string or NULL). */
static baton_error_t *load_text(const char *name, const char *text, size_t len,
                                char *dir, bt_app_t **out) {
  *out = NULL;
  bt_app_t *app = bt_calloc(1, sizeof *app);
  char *path = bt_strdup(name ? name : "<manifest>");
  if (!app || !path) {
    bt_free(app);
    bt_free(path);
    bt_free(dir);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  app->path = path;
  app->dir = dir;
  app->retry_policy_enabled = -1;
  bt_toml_value_t *root = NULL;
  baton_error_t *err = bt_toml_parse(text, len, app->path, &root);
  if (err) {
    bt_app_free(app);
    return err;
  }
  bt_mctx_t c = {app, NULL};
  const bt_toml_value_t *ver = bt_toml_table_get(root, "spin_manifest_version");
  bool ok;
  if (ver) {
    int64_t i = 0;
    const char *s = bt_toml_string(ver, NULL);
    int version = 0;
    if (bt_toml_integer(ver, &i) || s) {
      if ((s && strcmp(s, "1") == 0) || (!s && i == 1)) version = 1;
      if ((s && strcmp(s, "2") == 0) || (!s && i == 2)) version = 2;
    }
    if (!version) {
      ok = bt_m_fail(&c, bt_m_pos(&c, ver), BATON_EUNSUPPORTED,
                     "unsupported spin_manifest_version (baton reads \"1\" "
                     "and 2)");
    } else {
      app->format = version == 1 ? BT_APP_FORMAT_SPIN_V1 : BT_APP_FORMAT_SPIN_V2;
      ok = bt_m_load_spin(&c, root, version);
    }
  } else {
    app->format = BT_APP_FORMAT_BATON;
    ok = bt_m_load_baton(&c, root);
  }
  bt_toml_free(root);
  if (ok) ok = bt_m_validate(&c);
  if (!ok) {
    bt_app_free(app);
    return c.err;
  }
  *out = app;
  return NULL;
}

baton_error_t *bt_app_load_string(const char *name, const char *text,
                                  const char *dir, bt_app_t **out) {
  if (!out || !text)
    return baton_error_new(BATON_EINVALID_ARGUMENT,
                           "bt_app_load_string: NULL argument");
  *out = NULL;
  char *d = NULL;
  if (dir && dir[0] && !(d = bt_strdup(dir)))
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  return load_text(name, text, strlen(text), d, out);
}

baton_error_t *bt_app_load(const char *path, bt_app_t **out) {
  if (!out || !path)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "bt_app_load: NULL argument");
  *out = NULL;
  uint8_t *bytes = NULL;
  size_t len = 0;
  baton_error_t *rerr = bt_read_input(path, false, &bytes, &len);
  if (rerr) return rerr;
  char *buf = (char *)bytes;
  const char *slash = strrchr(path, '/');
  char *dir = slash ? bt_strndup(path, slash == path ? 1 : (size_t)(slash - path))
                    : bt_strdup(".");
  if (!dir) {
    bt_free(buf);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  baton_error_t *err = load_text(path, buf, len, dir, out);
  bt_free(buf);
  return err;
}

baton_error_t *bt_app_find_default(const char *dir, char **path) {
  static const char *const names[] = {"baton.toml", "spin.toml"};
  if (!path)
    return baton_error_new(BATON_EINVALID_ARGUMENT,
                           "bt_app_find_default: NULL path");
  *path = NULL;
  if (!dir || !dir[0]) dir = ".";
  size_t dl = strlen(dir);
  bool slash = dir[dl - 1] == '/';
  for (size_t i = 0; i < BT_ARRAY_LEN(names); i++) {
    size_t n = dl + 1 + strlen(names[i]) + 1;
    char *p = bt_malloc(n);
    if (!p) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
    snprintf(p, n, "%s%s%s", dir, slash ? "" : "/", names[i]);
    struct stat st;
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
      *path = p;
      return NULL;
    }
    bt_free(p);
  }
  return baton_error_new(BATON_ENOT_FOUND,
                         "no baton.toml or spin.toml in '%s'", dir);
}

/* ---- use-time checks and lookups ---- */

/* Returns a NOT_FOUND error when path (written at pos) is missing. */
static baton_error_t *check_exists(const bt_app_component_t *comp,
                                   const char *what, const bt_app_str_t *p,
                                   bool want_dir_ok) {
  struct stat st;
  if (stat(p->text, &st) == 0 && (want_dir_ok || S_ISREG(st.st_mode)))
    return NULL;
  bool built = comp->build.command.text && strcmp(what, "source") == 0;
  return baton_error_new(BATON_ENOT_FOUND,
                         "%s:%u:%u: component '%s': %s '%s' %s%s%s%s",
                         BT_POS_ARGS(p->pos), comp->name, what, p->text,
                         stat(p->text, &st) == 0 ? "is not a file"
                                                 : "does not exist",
                         built ? " (build it first: `" : "",
                         built ? comp->build.command.text : "",
                         built ? "`)" : "");
}

baton_error_t *bt_app_check_sources(const bt_app_t *app) {
  for (size_t i = 0; app && i < app->ncomponents; i++) {
    const bt_app_component_t *comp = &app->components[i];
    baton_error_t *err = check_exists(comp, "source", &comp->source, false);
    if (!err && comp->wit.text) err = check_exists(comp, "wit", &comp->wit, true);
    for (size_t k = 0; !err && k < comp->ndeps; k++)
      if (comp->deps[k].path.text)
        err = check_exists(comp, "dependency path", &comp->deps[k].path, false);
    if (err) return err;
  }
  return NULL;
}

const bt_app_component_t *bt_app_component(const bt_app_t *app,
                                           const char *name) {
  size_t i = component_index(app, name);
  return i == BT_APP_NONE ? NULL : &app->components[i];
}

const bt_app_flow_t *bt_app_flow(const bt_app_t *app, const char *name) {
  for (size_t i = 0; i < app->nflows; i++)
    if (strcmp(app->flows[i].name, name) == 0) return &app->flows[i];
  return NULL;
}

const bt_app_variable_t *bt_app_variable(const bt_app_t *app,
                                         const char *name) {
  for (size_t i = 0; i < app->nvariables; i++)
    if (strcmp(app->variables[i].name, name) == 0) return &app->variables[i];
  return NULL;
}

const bt_app_step_t *bt_app_flow_step(const bt_app_flow_t *flow,
                                      const char *name) {
  size_t i = step_index(flow, name);
  return i == BT_APP_NONE ? NULL : &flow->steps[i];
}

const bt_app_component_var_t *bt_app_component_var(const bt_app_component_t *c,
                                                   const char *name) {
  for (size_t i = 0; i < c->nvars; i++)
    if (strcmp(c->vars[i].name, name) == 0) return &c->vars[i];
  return NULL;
}

const bt_app_dependency_t *bt_app_component_dep(const bt_app_component_t *c,
                                                const char *import_name) {
  for (size_t i = 0; i < c->ndeps; i++)
    if (strcmp(c->deps[i].import_name, import_name) == 0) return &c->deps[i];
  return NULL;
}

/* Copies the fields of layer that were written into r. */
static void retry_apply(bt_app_retry_t *r, const bt_app_retry_t *layer) {
  if (!layer->present) return;
  r->present = true;
  r->pos = layer->pos;
  r->set |= layer->set;
  if (layer->set & BT_APP_RETRY_SET_MAX_ATTEMPTS)
    r->max_attempts = layer->max_attempts;
  if (layer->set & BT_APP_RETRY_SET_INITIAL_BACKOFF)
    r->initial_backoff_ms = layer->initial_backoff_ms;
  if (layer->set & BT_APP_RETRY_SET_MAX_BACKOFF)
    r->max_backoff_ms = layer->max_backoff_ms;
  if (layer->set & BT_APP_RETRY_SET_MULTIPLIER) r->multiplier = layer->multiplier;
  if (layer->set & BT_APP_RETRY_SET_JITTER) r->jitter = layer->jitter;
  if (layer->set & BT_APP_RETRY_SET_ON) r->on = layer->on;
}

void bt_m_retry_defaults(bt_app_retry_t *r) {
  r->max_attempts = 1;
  r->initial_backoff_ms = 100;
  r->max_backoff_ms = 10000;
  r->multiplier = 2.0;
  r->jitter = false;
  r->on = BT_APP_RETRY_ON_TRAP | BT_APP_RETRY_ON_TIMEOUT;
}

bt_app_retry_t bt_app_step_retry(const bt_app_t *app,
                                 const bt_app_step_t *step) {
  bt_app_retry_t r = {0};
  bt_m_retry_defaults(&r);
  retry_apply(&r, &app->retry_policy);
  if (step) retry_apply(&r, &step->retry);
  if (r.max_backoff_ms < r.initial_backoff_ms)
    r.max_backoff_ms = r.initial_backoff_ms;
  if (app->retry_policy_enabled == 0) r.max_attempts = 1;
  return r;
}

uint64_t bt_app_step_timeout(const bt_app_t *app, const bt_app_step_t *step) {
  if (step->timeout_ms) return step->timeout_ms;
  if (step->component.index < app->ncomponents)
    return app->components[step->component.index].timeout_ms;
  return 0;
}

const char *bt_app_format_name(bt_app_format_t f) {
  switch (f) {
    case BT_APP_FORMAT_BATON: return "baton.toml";
    case BT_APP_FORMAT_SPIN_V1: return "spin.toml v1";
    case BT_APP_FORMAT_SPIN_V2: return "spin.toml v2";
  }
  return "?";
}

const char *bt_app_cfg_type_name(bt_app_cfg_type_t t) {
  switch (t) {
    case BT_APP_CFG_BOOL: return "bool";
    case BT_APP_CFG_INTEGER: return "integer";
    case BT_APP_CFG_NUMBER: return "number";
    case BT_APP_CFG_STRING: return "string";
    case BT_APP_CFG_ARRAY: return "array";
    case BT_APP_CFG_OBJECT: return "object";
  }
  return "?";
}
