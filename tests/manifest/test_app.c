/*
 * tests/manifest/test_app.c: tests of the application model and its
 * loaders (src/manifest/app.h): baton.toml with every feature, the seed
 * "orders" scenario as baton.toml and as a Spin v1 spin.toml mapping to
 * equivalent models, a Spin v2 manifest with dependencies, variables
 * (environment overrides, templates, secrets), trigger config JSON and its
 * schema, and every error the loaders report, asserting message substrings
 * including positions. Sample manifests live in tests/manifest/data/ (found
 * through $BATON_SOURCE_DIR). An allocation-failure loop checks that every
 * failure point frees everything.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"
#include "baton/error.h"
#include "manifest/app.h"
#include "manifest/json.h"
#include "util/common.h"

/* ---- helpers ---- */

/* Returns $BATON_SOURCE_DIR/tests/manifest/data/<rel> (static buffer). */
static const char *data_path(const char *rel) {
  static char buf[4096];
  const char *dir = getenv("BATON_SOURCE_DIR");
  snprintf(buf, sizeof buf, "%s/tests/manifest/data/%s", dir ? dir : ".", rel);
  return buf;
}

/* Loads a data file, failing the test on error. */
static bt_app_t *load_data(const char *rel) {
  bt_app_t *app = NULL;
  baton_error_t *err = bt_app_load(data_path(rel), &app);
  if (err) {
    fprintf(stderr, "load %s: %s\n", rel, baton_error_message(err));
    baton_error_delete(err);
    T_FAIL_("load failed");
  }
  return app;
}

/* Loads text as "baton.toml" (or the given name) in directory /app. */
static bt_app_t *load_ok_named(const char *name, const char *text) {
  bt_app_t *app = NULL;
  baton_error_t *err = bt_app_load_string(name, text, "/app", &app);
  if (err) {
    fprintf(stderr, "unexpected error: %s\n", baton_error_message(err));
    baton_error_delete(err);
    T_FAIL_("load failed");
  }
  return app;
}
static bt_app_t *load_ok(const char *text) {
  return load_ok_named("baton.toml", text);
}

/* Loads text expecting an error with the given code; returns the message
 * (static buffer). */
static const char *load_err_code(const char *name, const char *text,
                                 baton_errno_t code) {
  static char msg[4096];
  bt_app_t *app = NULL;
  baton_error_t *err = bt_app_load_string(name, text, "/app", &app);
  if (!err) {
    bt_app_free(app);
    T_FAIL_("expected an error for:\n%s", text);
  }
  if (app) T_FAIL_("app set on error");
  snprintf(msg, sizeof msg, "%s", baton_error_message(err));
  baton_errno_t got = baton_error_code(err);
  baton_error_delete(err);
  if (got != code)
    T_FAIL_("expected %s, got %s: %s", baton_errno_name(code),
            baton_errno_name(got), msg);
  return msg;
}
static const char *load_err(const char *text) {
  return load_err_code("baton.toml", text, BATON_EINVALID);
}
static const char *spin_err(const char *text) {
  return load_err_code("spin.toml", text, BATON_EINVALID);
}

/* A fake environment: pairs of name, value, ending with NULL. */
static const char *const *t_env;
static const char *fake_getenv(const char *name) {
  for (const char *const *p = t_env; p && *p; p += 2)
    if (strcmp(p[0], name) == 0) return p[1];
  return NULL;
}

/* Returns true when some warning of app contains needle. */
static bool has_warning(const bt_app_t *app, const char *needle) {
  for (size_t i = 0; i < app->nwarnings; i++)
    if (strstr(app->warnings[i].message, needle)) return true;
  return false;
}

/* A minimal valid baton.toml prefix. */
#define APP_HEAD "[application]\nname = \"t\"\n"
#define ONE_COMP "[component.a]\nsource = \"a.wasm\"\n"

/* ---- baton.toml: every feature ---- */

TEST(full_baton) {
  bt_app_t *app = load_data("full/baton.toml");
  ASSERT_EQ(app->format, BT_APP_FORMAT_BATON);
  ASSERT_STREQ(app->name.text, "shop");
  ASSERT_EQ(app->name.pos.line, 3);
  ASSERT_EQ(app->name.pos.col, 8);
  ASSERT_CONTAINS(app->name.pos.file, "data/full/baton.toml");
  ASSERT_STREQ(app->version.text, "1.2.3");
  ASSERT_CONTAINS(app->description.text, "Checkout");
  ASSERT_STREQ(app->default_input.text, "{id: 42, items: [\"book\"], total: 1999}");
  ASSERT_EQ(app->nwarnings, 0);

  /* application retry_policy */
  const bt_app_retry_t *rp = &app->retry_policy;
  ASSERT_TRUE(rp->present);
  ASSERT_EQ(rp->max_attempts, 3);
  ASSERT_EQ(rp->initial_backoff_ms, 50);
  ASSERT_EQ(rp->max_backoff_ms, 2000);
  ASSERT_TRUE(rp->multiplier == 1.5);
  ASSERT_TRUE(rp->jitter);
  ASSERT_EQ(rp->on, BT_APP_RETRY_ON_TRAP | BT_APP_RETRY_ON_TIMEOUT);
  ASSERT_EQ(app->retry_policy_enabled, 1);
  ASSERT_EQ(app->retry_policy_enabled_pos.line, 17);

  /* variables, in manifest order */
  ASSERT_EQ(app->nvariables, 3);
  ASSERT_STREQ(app->variables[0].name, "api_host");
  ASSERT_EQ(app->variables[0].pos.line, 10);
  ASSERT_EQ(app->variables[0].pos.col, 1);
  ASSERT_STREQ(app->variables[0].default_value.text, "api.example.com");
  ASSERT_STREQ(app->variables[0].description.text, "payment API host");
  ASSERT_FALSE(app->variables[0].required);
  const bt_app_variable_t *tok = bt_app_variable(app, "api_token");
  ASSERT_NOT_NULL(tok);
  ASSERT_TRUE(tok->required);
  ASSERT_TRUE(tok->secret);
  ASSERT_NULL(tok->default_value.text);
  ASSERT_STREQ(app->variables[2].name, "region");
  ASSERT_STREQ(app->variables[2].default_value.text, "eu-west");
  ASSERT_NULL(bt_app_variable(app, "nope"));

  /* triggers */
  ASSERT_EQ(app->ntriggers, 2);
  ASSERT_EQ(app->triggers[0].kind, BT_APP_TRIGGER_CLI);
  ASSERT_STREQ(app->triggers[0].flow.name, "checkout");
  ASSERT_EQ(app->triggers[0].flow.index, 0);
  ASSERT_EQ(app->triggers[1].kind, BT_APP_TRIGGER_TIMER);
  ASSERT_EQ(app->triggers[1].flow.index, 1);
  ASSERT_EQ(app->triggers[1].interval_ms, 60000);
  ASSERT_STREQ(app->triggers[1].input.text, "\"nightly\"");

  /* components, in manifest order */
  ASSERT_EQ(app->ncomponents, 4);
  const char *names[] = {"validator", "payments", "pricing", "notifier"};
  for (size_t i = 0; i < 4; i++) {
    ASSERT_STREQ(app->components[i].name, names[i]);
    ASSERT_EQ(app->components[i].index, i);
  }
  const bt_app_component_t *v = bt_app_component(app, "validator");
  ASSERT_EQ(v, &app->components[0]);
  ASSERT_EQ(v->pos.line, 27);
  ASSERT_EQ(v->pos.col, 12);
  ASSERT_CONTAINS(v->source.text, "/tests/manifest/data/full/build/validator.wasm");
  ASSERT_STREQ(v->source_written, "build/validator.wasm");
  ASSERT_EQ(v->source.pos.line, 28);
  ASSERT_EQ(v->source.pos.col, 10);
  ASSERT_CONTAINS(v->wit.text, "/data/full/wit");
  ASSERT_STREQ(v->world.text, "validator");
  ASSERT_STREQ(v->description.text, "checks orders");
  ASSERT_EQ(v->timeout_ms, 500);
  ASSERT_EQ(v->max_memory, 64u << 20);
  ASSERT_EQ(v->max_memory_pos.line, 33);
  ASSERT_STREQ(v->config_import.text, "wasi:config/store");
  ASSERT_NOT_NULL(v->config);
  ASSERT_EQ(v->config->kind, BT_MJSON_OBJECT);
  ASSERT_TRUE(bt_mjson_get(v->config, "ssl_only")->boolean);
  ASSERT_EQ(bt_mjson_get(v->config, "max_items")->integer, 10);
  ASSERT_STREQ(v->trigger_config.text, "{\"ssl_only\": true, \"max_items\": 10}");
  ASSERT_TRUE(v->config_schema.present);
  ASSERT_EQ(v->config_schema.len, 3);
  ASSERT_STREQ(v->config_schema.fields[0].key, "ssl_only");
  ASSERT_EQ(v->config_schema.fields[0].type, BT_APP_CFG_BOOL);
  ASSERT_TRUE(v->config_schema.fields[0].required);
  ASSERT_EQ(v->config_schema.fields[1].type, BT_APP_CFG_INTEGER);
  ASSERT_FALSE(v->config_schema.fields[1].required);
  ASSERT_EQ(v->config_schema.fields[2].type, BT_APP_CFG_STRING);
  ASSERT_FALSE(v->build.present);

  const bt_app_component_t *p = &app->components[1];
  ASSERT_STREQ(p->source.text, "/opt/wasm/payments.wasm");
  ASSERT_EQ(p->max_memory, 16777216);
  ASSERT_EQ(p->allowed_outbound_hosts.len, 1);
  ASSERT_STREQ(p->allowed_outbound_hosts.items[0].text, "https://api.example.com:443");
  ASSERT_EQ(p->allowed_outbound_hosts.items[0].pos.line, 43);
  ASSERT_STREQ(p->key_value_stores.items[0].text, "default");
  ASSERT_STREQ(p->files.items[0].text, "assets/*.json");
  ASSERT_EQ(p->nvars, 2);
  ASSERT_STREQ(p->vars[0].name, "endpoint");
  ASSERT_STREQ(p->vars[0].tmpl.text, "https://{{ api_host }}/v1/{{region}}");
  ASSERT_EQ(p->vars[0].pos.line, 48);
  ASSERT_NULL(p->vars[0].value); /* not resolved yet */
  ASSERT_TRUE(p->build.present);
  ASSERT_STREQ(p->build.command.text, "cargo build --release --target wasm32-wasip1");
  ASSERT_CONTAINS(p->build.workdir.text, "/data/full/payments");
  ASSERT_EQ(p->build.watch.len, 1);
  ASSERT_EQ(p->ndeps, 3);
  const bt_app_dependency_t *d = bt_app_component_dep(p, "shop:pricing/calc@1.0.0");
  ASSERT_EQ(d, &p->deps[0]);
  ASSERT_EQ(d->kind, BT_APP_DEP_INTERFACE);
  ASSERT_STREQ(d->package, "shop:pricing");
  ASSERT_STREQ(d->interface, "calc");
  ASSERT_STREQ(d->version, "1.0.0");
  ASSERT_STREQ(d->component.name, "pricing");
  ASSERT_EQ(d->component.index, 2);
  ASSERT_EQ(d->pos.line, 57);
  ASSERT_EQ(p->deps[1].kind, BT_APP_DEP_PACKAGE);
  ASSERT_STREQ(p->deps[1].package, "shop:audit");
  ASSERT_NULL(p->deps[1].interface);
  ASSERT_STREQ(p->deps[1].export_name.text, "shop:audit/log");
  ASSERT_NULL(p->deps[2].component.name);
  ASSERT_EQ(p->deps[2].component.index, BT_APP_NONE);
  ASSERT_CONTAINS(p->deps[2].path.text, "/data/full/deps/fx.wasm");

  /* flows */
  ASSERT_EQ(app->nflows, 2);
  const bt_app_flow_t *f = bt_app_flow(app, "checkout");
  ASSERT_EQ(f, &app->flows[0]);
  ASSERT_CONTAINS(f->description.text, "validate");
  ASSERT_EQ(f->nsteps, 6);
  ASSERT_EQ(f->output.kind, BT_APP_INPUT_STEP);
  ASSERT_EQ(f->output.step.index, 5);

  const bt_app_step_t *s = bt_app_flow_step(f, "validate");
  ASSERT_EQ(s, &f->steps[0]);
  ASSERT_EQ(s->pos.line, 71);
  ASSERT_EQ(s->pos.col, 1);
  ASSERT_EQ(s->component.index, 0);
  ASSERT_STREQ(s->export_name.text, "shop:orders/validate#check");
  ASSERT_EQ(s->input.kind, BT_APP_INPUT_FLOW);
  ASSERT_EQ(s->input.path_len, 0);
  ASSERT_EQ(s->nafter, 0);
  ASSERT_FALSE(s->routed);
  ASSERT_EQ(s->nroutes, 3);
  ASSERT_STREQ(s->routes[0].case_name, "ok");
  ASSERT_STREQ(s->routes[0].target.name, "charge");
  ASSERT_EQ(s->routes[0].target.index, 1);
  ASSERT_STREQ(s->routes[1].case_name, "err");
  ASSERT_EQ(s->routes[1].target.index, 2);
  ASSERT_STREQ(s->routes[2].case_name, "err");
  ASSERT_EQ(s->routes[2].target.index, 3);
  ASSERT_EQ(s->timeout_ms, 250);
  ASSERT_EQ(bt_app_step_timeout(app, s), 250);
  bt_app_retry_t r = bt_app_step_retry(app, s);
  ASSERT_EQ(r.max_attempts, 3); /* from the application policy */
  ASSERT_EQ(r.initial_backoff_ms, 50);

  s = &f->steps[1]; /* charge */
  ASSERT_TRUE(s->routed);
  ASSERT_EQ(s->nafter, 0);
  ASSERT_EQ(s->input.kind, BT_APP_INPUT_STEP);
  ASSERT_STREQ(s->input.step.name, "validate");
  ASSERT_EQ(s->input.step.index, 0);
  ASSERT_EQ(s->input.path_len, 1);
  ASSERT_STREQ(s->input.path[0], "ok");
  ASSERT_TRUE(s->retry.present);
  r = bt_app_step_retry(app, s);
  ASSERT_EQ(r.max_attempts, 5);
  ASSERT_EQ(r.initial_backoff_ms, 50);
  ASSERT_EQ(r.max_backoff_ms, 2000);
  ASSERT_TRUE(r.jitter);
  ASSERT_EQ(r.on, BT_APP_RETRY_ON_TRAP | BT_APP_RETRY_ON_ERR);
  ASSERT_TRUE(s->compensate.present);
  ASSERT_EQ(s->compensate.component.index, 1);
  ASSERT_EQ(s->compensate.input.kind, BT_APP_INPUT_STEP);
  ASSERT_STREQ(s->compensate.input.text, "$output");
  ASSERT_STREQ(s->compensate.export_name.text, "refund");
  ASSERT_EQ(s->compensate.input.step.index, 1);
  ASSERT_TRUE(s->reuse_instance);
  ASSERT_EQ(bt_app_step_timeout(app, s), 0);

  s = &f->steps[2]; /* reject: routed, default input */
  ASSERT_TRUE(s->routed);
  ASSERT_EQ(s->input.kind, BT_APP_INPUT_DEFAULT);
  ASSERT_FALSE(s->reuse_instance);
  s = &f->steps[3]; /* audit: literal */
  ASSERT_EQ(s->input.kind, BT_APP_INPUT_LITERAL);
  ASSERT_STREQ(s->input.text, "{reason: \"invalid\"}");
  s = &f->steps[4]; /* price: a root through after = [] */
  ASSERT_TRUE(s->after_written);
  ASSERT_EQ(s->nafter, 0);
  ASSERT_EQ(s->input.kind, BT_APP_INPUT_FLOW);
  ASSERT_STREQ(s->input.path[0], "items");
  s = &f->steps[5]; /* notify: a join with a tuple input */
  ASSERT_EQ(s->nafter, 2);
  ASSERT_EQ(s->after[0].index, 1);
  ASSERT_EQ(s->after[1].index, 4);
  ASSERT_FALSE(s->after[0].implicit);
  ASSERT_EQ(s->input.kind, BT_APP_INPUT_TUPLE);
  ASSERT_EQ(s->input.len, 2);
  ASSERT_EQ(s->input.items[0].step.index, 1);
  ASSERT_EQ(s->input.items[1].step.index, 4);
  ASSERT_STREQ(s->input.items[1].path[0], "0");

  /* topological order: roots first, in manifest order */
  ASSERT_EQ(f->order[0], 0);
  ASSERT_EQ(f->order[1], 4);
  bool placed[6] = {0};
  for (size_t i = 0; i < 6; i++) placed[f->order[i]] = true;
  for (size_t i = 0; i < 6; i++) ASSERT_TRUE(placed[i]);
  ASSERT_EQ(f->order[5], 5);

  const bt_app_flow_t *rf = &app->flows[1];
  ASSERT_EQ(rf->nsteps, 2);
  ASSERT_EQ(rf->output.kind, BT_APP_INPUT_DEFAULT);
  ASSERT_EQ(rf->steps[1].nafter, 1); /* implicit: runs after "fetch" */
  ASSERT_TRUE(rf->steps[1].after[0].implicit);
  ASSERT_STREQ(rf->steps[1].after[0].name, "fetch");
  ASSERT_NULL(rf->steps[1].export_name.text);
  bt_app_free(app);
}

/* ---- the seed "orders" scenario in both formats ---- */

/* Asserts that two models of the orders app are equivalent. */
static void assert_equivalent(const bt_app_t *a, const bt_app_t *b) {
  ASSERT_STREQ(a->name.text, b->name.text);
  ASSERT_STREQ(a->version.text, b->version.text);
  ASSERT_STREQ(a->description.text, b->description.text);
  ASSERT_EQ(a->retry_policy_enabled, b->retry_policy_enabled);
  ASSERT_EQ(a->nvariables, b->nvariables);
  for (size_t i = 0; i < a->nvariables; i++) {
    ASSERT_STREQ(a->variables[i].name, b->variables[i].name);
    ASSERT_STREQ(a->variables[i].default_value.text,
                 b->variables[i].default_value.text);
    ASSERT_EQ(a->variables[i].required, b->variables[i].required);
    ASSERT_EQ(a->variables[i].secret, b->variables[i].secret);
  }
  ASSERT_EQ(a->ncomponents, b->ncomponents);
  for (size_t i = 0; i < a->ncomponents; i++) {
    const bt_app_component_t *x = &a->components[i], *y = &b->components[i];
    ASSERT_STREQ(x->name, y->name);
    ASSERT_STREQ(x->source.text, y->source.text);
    ASSERT_STREQ(x->build.command.text, y->build.command.text);
    ASSERT_STREQ(x->build.workdir.text, y->build.workdir.text);
    ASSERT_NOT_NULL(x->config);
    ASSERT_NOT_NULL(y->config);
    ASSERT_TRUE(bt_mjson_equal(x->config, y->config));
    ASSERT_EQ(x->nvars, y->nvars);
    for (size_t k = 0; k < x->nvars; k++) {
      ASSERT_STREQ(x->vars[k].name, y->vars[k].name);
      ASSERT_STREQ(x->vars[k].tmpl.text, y->vars[k].tmpl.text);
      ASSERT_STREQ(x->vars[k].value, y->vars[k].value);
    }
    ASSERT_EQ(x->ndeps, y->ndeps);
  }
  ASSERT_EQ(a->nflows, 0);
  ASSERT_EQ(b->nflows, 0);
}

TEST(orders_both_formats) {
  bt_app_t *baton = load_data("orders/baton.toml");
  bt_app_t *spin = load_data("orders/spin.toml");
  ASSERT_EQ(baton->format, BT_APP_FORMAT_BATON);
  ASSERT_EQ(spin->format, BT_APP_FORMAT_SPIN_V1);
  ASSERT_STREQ(spin->spin_trigger_type.text, "orchestrator");
  ASSERT_EQ(spin->retry_policy_enabled, 0); /* "None" */
  ASSERT_EQ(spin->nwarnings, 0);
  ASSERT_EQ(baton->nwarnings, 0);
  t_env = NULL;
  ASSERT_OK(bt_app_resolve_variables(baton, fake_getenv));
  ASSERT_OK(bt_app_resolve_variables(spin, fake_getenv));
  assert_equivalent(baton, spin);

  const bt_app_component_t *m1 = &spin->components[0], *m2 = &spin->components[1];
  ASSERT_STREQ(m1->name, "module1");
  ASSERT_EQ(m1->pos.line, 15); /* the id value */
  ASSERT_TRUE(bt_mjson_get(m1->config, "ssl_only")->boolean);
  ASSERT_EQ(bt_mjson_get(m2->config, "batch_size")->integer, 6);
  ASSERT_TRUE(bt_mjson_get(m2->config, "batch_size")->is_integer);
  ASSERT_STREQ(m1->vars[0].value, "eu-west");
  ASSERT_CONTAINS(m1->source.text,
                  "data/orders/module1/target/wasm32-wasi/release/module1.wasm");
  /* Retries are switched off in both. */
  ASSERT_EQ(bt_app_step_retry(spin, NULL).max_attempts, 1);
  ASSERT_EQ(bt_app_step_retry(baton, NULL).max_attempts, 1);
  /* Sources are checked at use time, not at load time. */
  baton_error_t *err = bt_app_check_sources(spin);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_ENOT_FOUND);
  ASSERT_CONTAINS(baton_error_message(err),
                  "spin.toml:16:10: component 'module1': source '");
  ASSERT_CONTAINS(baton_error_message(err),
                  "module1.wasm' does not exist (build it first: `cargo build "
                  "--target wasm32-wasi --release`)");
  baton_error_delete(err);
  bt_app_free(baton);
  bt_app_free(spin);
}

/* ---- Spin v2 with dependencies ---- */

TEST(spin_v2_dependencies) {
  bt_app_t *app = load_data("spin2/spin.toml");
  ASSERT_EQ(app->format, BT_APP_FORMAT_SPIN_V2);
  ASSERT_STREQ(app->name.text, "calculator");
  ASSERT_STREQ(app->version.text, "1.0.0");
  ASSERT_EQ(app->nvariables, 2);
  ASSERT_EQ(app->ncomponents, 3);
  ASSERT_STREQ(app->components[0].name, "frontend");
  ASSERT_STREQ(app->components[1].name, "adder");
  ASSERT_STREQ(app->components[2].name, "logger");
  const bt_app_component_t *fe = &app->components[0];
  ASSERT_STREQ(fe->description.text, "entry point");
  ASSERT_EQ(fe->allowed_outbound_hosts.len, 1);
  ASSERT_EQ(fe->files.len, 2);
  ASSERT_STREQ(fe->files.items[1].text, "assets:/assets");
  ASSERT_EQ(fe->nvars, 2);
  ASSERT_TRUE(fe->build.present);
  ASSERT_NULL(fe->build.workdir.text);
  ASSERT_EQ(fe->build.watch.len, 2);
  /* Registry and version-string dependencies are skipped with warnings. */
  ASSERT_EQ(fe->ndeps, 3);
  ASSERT_STREQ(fe->deps[0].import_name, "example:calculator/adder");
  ASSERT_EQ(fe->deps[0].component.index, 1);
  ASSERT_EQ(fe->deps[1].kind, BT_APP_DEP_INTERFACE);
  ASSERT_STREQ(fe->deps[1].version, "1.0.0");
  ASSERT_CONTAINS(fe->deps[1].path.text, "data/spin2/deps/multiplier.wasm");
  ASSERT_EQ(fe->deps[2].kind, BT_APP_DEP_PACKAGE);
  ASSERT_EQ(fe->deps[2].component.index, 2);
  ASSERT_STREQ(fe->deps[2].export_name.text, "example:logging/log");
  ASSERT_EQ(app->components[1].ndeps, 1);
  ASSERT_EQ(app->components[1].deps[0].component.index, 2);
  /* The orchestrator trigger's config becomes the component's. */
  ASSERT_NOT_NULL(fe->config);
  ASSERT_EQ(bt_mjson_get(fe->config, "batch_size")->integer, 6);
  ASSERT_EQ(app->ntriggers, 2);
  ASSERT_EQ(app->triggers[0].kind, BT_APP_TRIGGER_SPIN);
  ASSERT_STREQ(app->triggers[0].spin_type, "orchestrator");
  ASSERT_EQ(app->triggers[0].component.index, 0);
  ASSERT_STREQ(app->triggers[1].spin_type, "http");
  /* Warnings for the Spin features baton does not implement. */
  ASSERT_TRUE(has_warning(app, "spin.toml:11:14: key 'trigger' in [application] "
                               "is not supported by baton and is ignored"));
  ASSERT_TRUE(has_warning(app, "key 'files' in [component.frontend] is recorded, "
                               "but baton does not provide Spin files"));
  ASSERT_TRUE(has_warning(app, "key 'key_value_stores' in [component.frontend]"));
  ASSERT_TRUE(has_warning(app, "key 'environment' in [component.frontend] is not "
                               "supported"));
  ASSERT_TRUE(has_warning(app, "trigger type 'http' is not supported by baton"));
  ASSERT_TRUE(has_warning(app, "key 'route' in [[trigger.http]] is not supported"));
  ASSERT_TRUE(has_warning(app, "dependency 'example:remote/thing' of component "
                               "'frontend': registry and URL dependencies"));
  ASSERT_TRUE(has_warning(app, "dependency 'example:other/thing' of component "
                               "'frontend': registry dependencies are not "
                               "supported"));
  ASSERT_EQ(app->nwarnings, 8);
  for (size_t i = 0; i < app->nwarnings; i++)
    ASSERT_CONTAINS(app->warnings[i].message, "spin.toml:");

  /* Variables: SPIN_VARIABLE_ works for Spin manifests; BATON_ wins. */
  const char *const env[] = {"SPIN_VARIABLE_API_KEY", "s3cret-value",
                             "SPIN_VARIABLE_PRECISION", "4",
                             "BATON_VARIABLE_PRECISION", "6", NULL};
  t_env = env;
  ASSERT_OK(bt_app_resolve_variables(app, fake_getenv));
  ASSERT_STREQ(fe->vars[0].value, "6");
  ASSERT_STREQ(app->variables[0].origin_env, "BATON_VARIABLE_PRECISION");
  ASSERT_STREQ(fe->vars[1].value, "s3cret-value");
  ASSERT_TRUE(fe->vars[1].secret);
  ASSERT_FALSE(fe->vars[0].secret);
  ASSERT_STREQ(app->variables[1].origin_env, "SPIN_VARIABLE_API_KEY");
  bt_app_free(app);
}

TEST(spin_v2_minimal_and_inline) {
  bt_app_t *app = load_ok_named("spin.toml",
                                "spin_manifest_version = 2\n"
                                "[application]\nname = \"x\"\n"
                                "[component.one]\nsource = \"one.wasm\"\n"
                                "[component.two]\nsource = \"two.wasm\"\n");
  ASSERT_EQ(app->ncomponents, 2);
  ASSERT_STREQ(app->components[0].source.text, "/app/one.wasm");
  ASSERT_EQ(app->nwarnings, 0);
  bt_app_free(app);
  const char *m = load_err_code(
      "spin.toml",
      "spin_manifest_version = 2\n[application]\nname = \"x\"\n"
      "[[trigger.http]]\nroute = \"/\"\ncomponent = { source = \"a.wasm\" }\n",
      BATON_EUNSUPPORTED);
  ASSERT_CONTAINS(m, "spin.toml:6:13: key 'component' in [[trigger.http]]: inline "
                     "components are not supported");
  m = load_err_code("spin.toml",
                    "spin_manifest_version = 2\n[application]\nname = \"x\"\n"
                    "[component.a]\nsource = { url = \"https://x/a.wasm\", "
                    "digest = \"sha256:00\" }\n",
                    BATON_EUNSUPPORTED);
  ASSERT_CONTAINS(m, "spin.toml:5:10: key 'source' in [component.a]: URL and "
                     "registry sources are not supported");
  m = load_err_code("spin.toml", "spin_manifest_version = 3\n",
                    BATON_EUNSUPPORTED);
  ASSERT_CONTAINS(m, "spin.toml:1:25: unsupported spin_manifest_version");
}

/* ---- variables ---- */

static const char *VARS_APP =
    APP_HEAD
    "[variables]\n"
    "api_host = { default = \"api.example.com\" }\n"
    "api-token = { required = true, secret = true }\n"
    "greeting = { default = \"hello\" }\n"
    ONE_COMP
    "[component.a.variables]\n"
    "url = \"https://{{api_host}}/x\"\n"
    "auth = \"Bearer {{ api-token }}\"\n"
    "plain = \"no templates\"\n"
    "both = \"{{greeting}}, {{ greeting }}!\"\n";

TEST(variables_resolution) {
  bt_app_t *app = load_ok(VARS_APP);
  const bt_app_component_t *c = &app->components[0];
  /* Required variable missing: named with its position and env name. */
  t_env = NULL;
  baton_error_t *err = bt_app_resolve_variables(app, fake_getenv);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_EINVALID);
  ASSERT_STREQ(baton_error_message(err),
               "baton.toml:5:1: required variable 'api-token' has no value "
               "(set BATON_VARIABLE_API_TOKEN)");
  baton_error_delete(err);
  ASSERT_FALSE(app->resolved);
  ASSERT_NULL(app->variables[0].value);
  ASSERT_NULL(c->vars[0].value);

  /* Environment overrides and template expansion. */
  const char *const env[] = {"BATON_VARIABLE_API_TOKEN", "tok-123",
                             "BATON_VARIABLE_API_HOST", "localhost:8080",
                             "SPIN_VARIABLE_GREETING", "ignored for baton.toml",
                             NULL};
  t_env = env;
  ASSERT_OK(bt_app_resolve_variables(app, fake_getenv));
  ASSERT_TRUE(app->resolved);
  ASSERT_STREQ(app->variables[0].value, "localhost:8080");
  ASSERT_EQ(app->variables[0].origin, BT_APP_ORIGIN_ENV);
  ASSERT_STREQ(app->variables[0].origin_env, "BATON_VARIABLE_API_HOST");
  ASSERT_STREQ(app->variables[2].value, "hello");
  ASSERT_EQ(app->variables[2].origin, BT_APP_ORIGIN_DEFAULT);
  ASSERT_STREQ(bt_app_component_var(c, "url")->value, "https://localhost:8080/x");
  ASSERT_STREQ(bt_app_component_var(c, "auth")->value, "Bearer tok-123");
  ASSERT_TRUE(bt_app_component_var(c, "auth")->secret);
  ASSERT_FALSE(bt_app_component_var(c, "url")->secret);
  ASSERT_STREQ(bt_app_component_var(c, "plain")->value, "no templates");
  ASSERT_STREQ(bt_app_component_var(c, "both")->value, "hello, hello!");
  ASSERT_NULL(bt_app_component_var(c, "nope"));

  /* Resolving again replaces the earlier results. */
  const char *const env2[] = {"BATON_VARIABLE_API_TOKEN", "tok-456", NULL};
  t_env = env2;
  ASSERT_OK(bt_app_resolve_variables(app, fake_getenv));
  ASSERT_STREQ(app->variables[0].value, "api.example.com");
  ASSERT_EQ(app->variables[0].origin, BT_APP_ORIGIN_DEFAULT);
  ASSERT_NULL(app->variables[0].origin_env);
  ASSERT_STREQ(bt_app_component_var(c, "auth")->value, "Bearer tok-456");

  char buf[64];
  ASSERT_TRUE(bt_app_env_name("BATON_VARIABLE_", "a-b_c", buf, sizeof buf));
  ASSERT_STREQ(buf, "BATON_VARIABLE_A_B_C");
  ASSERT_FALSE(bt_app_env_name("BATON_VARIABLE_", "abc", buf, 16));
  bt_app_free(app);
}

TEST(secrets_never_printed) {
  static const char secret[] = "hunter2-SECRET";
  bt_app_t *app = load_ok(
      APP_HEAD
      "[variables]\n"
      "password = { required = true, secret = true }\n"
      "other = { required = true }\n"
      ONE_COMP
      "[component.a.variables]\n"
      "dsn = \"db://user:{{ password }}@host\"\n");
  /* Another variable missing: the message must not carry the secret. */
  const char *const env[] = {"BATON_VARIABLE_PASSWORD", secret, NULL};
  t_env = env;
  baton_error_t *err = bt_app_resolve_variables(app, fake_getenv);
  ASSERT_NOT_NULL(err);
  ASSERT_CONTAINS(baton_error_message(err), "required variable 'other'");
  ASSERT_NULL(strstr(baton_error_message(err), secret));
  ASSERT_NULL(strstr(baton_error_message(err), "password'"));
  baton_error_delete(err);

  const char *const env2[] = {"BATON_VARIABLE_PASSWORD", secret,
                              "BATON_VARIABLE_OTHER", "visible", NULL};
  t_env = env2;
  ASSERT_OK(bt_app_resolve_variables(app, fake_getenv));
  ASSERT_TRUE(app->variables[0].secret);
  ASSERT_TRUE(app->components[0].vars[0].secret);
  char *red = bt_app_redact(app, "connect db://user:hunter2-SECRET@host failed; "
                                 "pw=hunter2-SECRET other=visible");
  ASSERT_NOT_NULL(red);
  ASSERT_STREQ(red, "connect <redacted> failed; pw=<redacted> other=visible");
  bt_free(red);
  red = bt_app_redact(app, "");
  ASSERT_STREQ(red, "");
  bt_free(red);
  bt_app_free(app);

  /* A secret written in the wrong place is not echoed either. */
  const char *m = load_err(APP_HEAD
                           "[variables]\n"
                           "pw = { default = \"hunter2-SECRET\", required = true, "
                           "secret = true }\n" ONE_COMP);
  ASSERT_CONTAINS(m, "baton.toml:4:18: variable 'pw': 'default' and 'required = "
                     "true' are mutually exclusive (required at baton.toml:4:47)");
  ASSERT_NULL(strstr(m, secret));
  m = load_err(APP_HEAD "[variables]\npw = { default = 12345678, secret = true }\n"
               ONE_COMP);
  ASSERT_CONTAINS(m, "baton.toml:4:18: key 'default' in variable 'pw': expected "
                     "string, got integer");
  ASSERT_NULL(strstr(m, "12345678"));
}

TEST(variable_errors) {
  const char *m = load_err(APP_HEAD "[variables]\nx = { description = \"d\" }\n" ONE_COMP);
  ASSERT_STREQ(m, "baton.toml:4:1: variable 'x' needs a 'default' or "
                  "'required = true'");
  m = load_err(APP_HEAD "[variables]\nx = \"value\"\n" ONE_COMP);
  ASSERT_CONTAINS(m, "baton.toml:4:5: key 'x' in [variables]: expected table");
  m = load_err(APP_HEAD "[variables]\nBad = { default = \"v\" }\n" ONE_COMP);
  ASSERT_CONTAINS(m, "baton.toml:4:1: invalid variable name 'Bad'");
  m = load_err(APP_HEAD "[variables]\nx = { defualt = \"v\" }\n" ONE_COMP);
  ASSERT_STREQ(m, "baton.toml:4:7: unknown key 'defualt' in variable 'x' (did you "
                  "mean 'default'?)");
  m = load_err(APP_HEAD "[variables]\na-b = { default = \"1\" }\n"
               "a_b = { default = \"2\" }\n" ONE_COMP);
  ASSERT_STREQ(m, "baton.toml:5:1: variables 'a_b' and 'a-b' (at baton.toml:4:1) "
                  "both map to the environment variable BATON_VARIABLE_A_B");
  m = load_err(APP_HEAD "[variables]\napi_host = { default = \"h\" }\n" ONE_COMP
               "[component.a.variables]\nurl = \"https://{{ api_hots }}/\"\n");
  ASSERT_STREQ(m, "baton.toml:8:7: component 'a' variable 'url': template "
                  "references unknown variable 'api_hots' (did you mean "
                  "'api_host'?)");
  m = load_err(APP_HEAD ONE_COMP "[component.a.variables]\nurl = \"{{ oops\"\n");
  ASSERT_CONTAINS(m, "baton.toml:6:7: component 'a' variable 'url': malformed "
                     "template");
  m = load_err(APP_HEAD ONE_COMP "[component.a.variables]\nurl = \"{{ }}\"\n");
  ASSERT_CONTAINS(m, "malformed template");
}

/* ---- unknown keys, types, names ---- */

TEST(unknown_keys) {
  const char *m = load_err(APP_HEAD "[component.a]\nsorce = \"a.wasm\"\n");
  ASSERT_STREQ(m, "baton.toml:4:1: unknown key 'sorce' in [component.a] (did you "
                  "mean 'source'?)");
  m = load_err(APP_HEAD ONE_COMP "zzzzzz = 1\n");
  ASSERT_STREQ(m, "baton.toml:5:1: unknown key 'zzzzzz' in [component.a]");
  m = load_err(APP_HEAD ONE_COMP "[flows.x]\n");
  ASSERT_STREQ(m, "baton.toml:5:2: unknown key 'flows' in the manifest (did you "
                  "mean 'flow'?)");
  m = load_err("[application]\nname = \"t\"\nversoin = \"1\"\n" ONE_COMP);
  ASSERT_STREQ(m, "baton.toml:3:1: unknown key 'versoin' in [application] (did "
                  "you mean 'version'?)");
  m = load_err(APP_HEAD ONE_COMP "timeout = 5\n");
  ASSERT_CONTAINS(m, "unknown key 'timeout' in [component.a] (did you mean "
                     "'timeout_ms'?)");
  m = load_err(APP_HEAD ONE_COMP "[component.a.build]\ncommand = \"make\"\nwokdir = \"x\"\n");
  ASSERT_STREQ(m, "baton.toml:7:1: unknown key 'wokdir' in [component.a.build] "
                  "(did you mean 'workdir'?)");
  m = load_err(APP_HEAD ONE_COMP "[flow.f]\n[[flow.f.step]]\nname = \"s\"\n"
               "component = \"a\"\ninptu = \"$input\"\n");
  ASSERT_STREQ(m, "baton.toml:9:1: unknown key 'inptu' in step 's' of flow 'f' "
                  "(did you mean 'input'?)");
  m = load_err(APP_HEAD ONE_COMP "[flow.f]\n[[flow.f.step]]\ncomponent = \"a\"\n"
               "name = \"s\"\nretry = { max_attempt = 3 }\n");
  ASSERT_STREQ(m, "baton.toml:9:11: unknown key 'max_attempt' in 'retry' of step 's' "
                  "of flow 'f' (did you mean 'max_attempts'?)");
  m = load_err(APP_HEAD ONE_COMP "[[trigger.cli]]\nflwo = \"f\"\n");
  ASSERT_STREQ(m, "baton.toml:6:1: unknown key 'flwo' in [[trigger.cli]] (did "
                  "you mean 'flow'?)");
  m = load_err(APP_HEAD ONE_COMP "[component.a.trigger]\nconfg = \"{}\"\n");
  ASSERT_CONTAINS(m, "unknown key 'confg' in [component.a.trigger] (did you mean "
                     "'config'?)");
  m = load_err(APP_HEAD ONE_COMP "[component.b]\nsource = \"b.wasm\"\n"
               "[component.a.dependencies]\n\"x:y/z\" = { compnent = \"b\" }\n");
  ASSERT_CONTAINS(m, "unknown key 'compnent' in dependency 'x:y/z' of component "
                     "'a' (did you mean 'component'?)");
  /* Spin: a clearly wrong key is an error, a Spin feature a warning. */
  m = spin_err("spin_manifest_version = \"1\"\nname = \"x\"\n"
               "trigger = { type = \"orchestrator\" }\n"
               "[[component]]\nid = \"a\"\nsoruce = \"a.wasm\"\n");
  ASSERT_STREQ(m, "spin.toml:6:1: unknown key 'soruce' in [[component]] 'a' (did "
                  "you mean 'source'?)");
  m = spin_err("spin_manifest_version = \"1\"\nname = \"x\"\n"
               "trigger = { type = \"orchestrator\", retry_policy_enable = true }\n");
  ASSERT_CONTAINS(m, "spin.toml:3:36: unknown key 'retry_policy_enable' in the "
                     "application trigger (did you mean 'retry_policy_enabled'?)");
  bt_app_t *app = load_ok_named(
      "spin.toml",
      "spin_manifest_version = \"1\"\nname = \"x\"\n"
      "trigger = { type = \"http\", base = \"/\" }\n"
      "[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n"
      "sqlite_databases = [\"default\"]\n"
      "[component.trigger]\nroute = \"/hello\"\n");
  ASSERT_EQ(app->nwarnings, 4);
  ASSERT_TRUE(has_warning(app, "spin.toml:3:28: key 'base' in the application "
                               "trigger is not supported"));
  ASSERT_TRUE(has_warning(app, "spin.toml:3:20: trigger type 'http' is not "
                               "supported by baton; the components run as a "
                               "pipeline"));
  ASSERT_TRUE(has_warning(app, "spin.toml:7:1: key 'sqlite_databases' in "
                               "[[component]] 'a' is not supported"));
  ASSERT_TRUE(has_warning(app, "spin.toml:9:1: key 'route' in "
                               "[component.trigger] of 'a' is not supported"));
  bt_app_free(app);
}

TEST(type_errors) {
  const char *m = load_err(APP_HEAD ONE_COMP "timeout_ms = \"5\"\n");
  ASSERT_STREQ(m, "baton.toml:5:14: key 'timeout_ms' in [component.a]: expected "
                  "integer, got string");
  m = load_err(APP_HEAD ONE_COMP "allowed_outbound_hosts = \"x\"\n");
  ASSERT_STREQ(m, "baton.toml:5:26: key 'allowed_outbound_hosts' in "
                  "[component.a]: expected array of strings, got string");
  m = load_err(APP_HEAD ONE_COMP "files = [1]\n");
  ASSERT_CONTAINS(m, "baton.toml:5:10: key 'files' in [component.a]: expected array "
                     "of strings, got integer");
  m = load_err("[application]\nname = 5\n" ONE_COMP);
  ASSERT_STREQ(m, "baton.toml:2:8: key 'name' in [application]: expected string, "
                  "got integer");
  m = load_err(APP_HEAD "[component.a]\nsource = [\"a.wasm\"]\n");
  ASSERT_CONTAINS(m, "key 'source' in [component.a]: expected string, got array");
  m = load_err(APP_HEAD ONE_COMP "[flow.f]\n[[flow.f.step]]\nname = \"s\"\n"
               "component = \"a\"\nreuse_instance = \"yes\"\n");
  ASSERT_STREQ(m, "baton.toml:9:18: key 'reuse_instance' in step 's' of flow 'f': "
                  "expected boolean, got string");
  m = load_err(APP_HEAD ONE_COMP "[trigger]\nretry_policy_enabled = 1\n");
  ASSERT_CONTAINS(m, "key 'retry_policy_enabled' in [trigger]: expected boolean, "
                     "got integer");
  m = load_err(APP_HEAD ONE_COMP "[trigger.cli]\nflow = \"x\"\n");
  ASSERT_CONTAINS(m, "key 'cli' in [trigger]: expected array of tables "
                     "([[trigger.cli]]), got table");
  m = load_err(APP_HEAD ONE_COMP "max_memory = \"64Q\"\n");
  ASSERT_STREQ(m, "baton.toml:5:14: key 'max_memory' in [component.a]: expected a "
                  "positive size such as 65536, \"512K\", \"64M\" or \"1G\"");
  m = load_err(APP_HEAD ONE_COMP "max_memory = true\n");
  ASSERT_CONTAINS(m, "expected integer or string such as \"64M\", got boolean");
  m = load_err(APP_HEAD ONE_COMP "timeout_ms = 0\n");
  ASSERT_CONTAINS(m, "key 'timeout_ms' in [component.a]: must be at least 1");
  m = load_err(APP_HEAD ONE_COMP "world = \"w\"\n");
  ASSERT_CONTAINS(m, "baton.toml:5:9: key 'world' in [component.a] needs 'wit'");
  m = load_err(APP_HEAD "[component.a]\ndescription = \"no source\"\n");
  ASSERT_STREQ(m, "baton.toml:3:1: missing key 'source' in [component.a]");
  m = load_err(APP_HEAD "[component.a]\nsource = \"\"\n");
  ASSERT_CONTAINS(m, "key 'source' in [component.a]: path is empty");
  m = load_err(ONE_COMP);
  ASSERT_CONTAINS(m, "baton.toml: missing [application] table");
  m = load_err(APP_HEAD);
  ASSERT_STREQ(m, "baton.toml: the manifest declares no components");
  m = load_err(APP_HEAD "[component.\"a b\"]\nsource = \"x.wasm\"\n");
  ASSERT_CONTAINS(m, "baton.toml:3:12: invalid component name 'a b'");

  /* Sizes. */
  bt_app_t *app = load_ok(APP_HEAD ONE_COMP "max_memory = \"512 KiB\"\n"
                          "[component.b]\nsource = \"b.wasm\"\nmax_memory = \"1g\"\n");
  ASSERT_EQ(app->components[0].max_memory, 512u << 10);
  ASSERT_EQ(app->components[1].max_memory, 1ull << 30);
  bt_app_free(app);
}

TEST(retry_errors) {
  const char *m = load_err(APP_HEAD ONE_COMP "[flow.f]\n[[flow.f.step]]\n"
                           "component = \"a\"\nname = \"s\"\n"
                           "retry = { on = [\"trpa\"] }\n");
  ASSERT_STREQ(m, "baton.toml:9:17: key 'on' in 'retry' of step 's' of flow 'f': "
                  "unknown failure kind 'trpa' (did you mean 'trap'?) (expected "
                  "\"trap\", \"timeout\" or \"err\")");
  m = load_err("[application]\nname = \"t\"\n"
               "retry_policy = { multiplier = 0.5 }\n" ONE_COMP);
  ASSERT_CONTAINS(m, "baton.toml:3:31: key 'multiplier' in 'retry_policy' of "
                     "[application]: must be a number >= 1");
  m = load_err("[application]\nname = \"t\"\n"
               "retry_policy = { initial_backoff_ms = 500, max_backoff_ms = 100 }\n"
               ONE_COMP);
  ASSERT_CONTAINS(m, "key 'max_backoff_ms' in 'retry_policy' of [application]: "
                     "must not be less than initial_backoff_ms");
  m = load_err("[application]\nname = \"t\"\n"
               "retry_policy = { max_attempts = 0 }\n" ONE_COMP);
  ASSERT_CONTAINS(m, "key 'max_attempts' in 'retry_policy' of [application]: must "
                     "be at least 1");
  m = load_err("[application]\nname = \"t\"\nretry_policy = 3\n" ONE_COMP);
  ASSERT_CONTAINS(m, "key 'retry_policy' in [application]: expected table, got "
                  "integer");
}

/* ---- flows: references, duplicates, cycles ---- */

#define FLOW_HEAD APP_HEAD ONE_COMP "[component.b]\nsource = \"b.wasm\"\n[flow.f]\n"
#define STEP(name) "[[flow.f.step]]\nname = \"" name "\"\ncomponent = \"a\"\n"

TEST(flow_errors) {
  const char *m = load_err(FLOW_HEAD STEP("s") STEP("s"));
  ASSERT_STREQ(m, "baton.toml:11:1: duplicate step 's' in flow 'f' (first defined "
                  "at baton.toml:8:1)");
  m = load_err(FLOW_HEAD "[[flow.f.step]]\nname = \"s\"\ncomponent = \"c\"\n");
  ASSERT_STREQ(m, "baton.toml:10:13: step 's' of flow 'f': unknown component 'c'");
  m = load_err(FLOW_HEAD "[[flow.f.step]]\nname = \"s\"\ncomponent = \"aa\"\n");
  ASSERT_STREQ(m, "baton.toml:10:13: step 's' of flow 'f': unknown component 'aa'");
  m = load_err(APP_HEAD "[component.payments]\nsource = \"p.wasm\"\n[flow.f]\n"
               "[[flow.f.step]]\nname = \"s\"\ncomponent = \"paymnets\"\n");
  ASSERT_STREQ(m, "baton.toml:8:13: step 's' of flow 'f': unknown component "
                  "'paymnets' (did you mean 'payments'?)");
  m = load_err(FLOW_HEAD STEP("one") STEP("two") "after = [\"oen\"]\n");
  ASSERT_STREQ(m, "baton.toml:14:10: step 'two' of flow 'f': unknown step 'oen' "
                  "in 'after' (did you mean 'one'?)");
  m = load_err(FLOW_HEAD STEP("one") "on.ok = \"nxt\"\n" STEP("next"));
  ASSERT_STREQ(m, "baton.toml:11:9: step 'one' of flow 'f': unknown step 'nxt' "
                  "in 'on' (did you mean 'next'?)");
  m = load_err(FLOW_HEAD STEP("one") "input = \"steps.tow\"\n" STEP("two"));
  ASSERT_STREQ(m, "baton.toml:11:9: step 'one' of flow 'f': unknown step 'tow' "
                  "(did you mean 'two'?)");
  /* Using a step's output implies running after it. */
  bt_app_t *app = load_ok(FLOW_HEAD STEP("one") "after = [\"three\"]\n"
                          STEP("two") "after = []\n"
                          STEP("three") "after = []\ninput = \"steps.two\"\n");
  ASSERT_EQ(app->flows[0].order[0], 1);
  ASSERT_EQ(app->flows[0].order[1], 2);
  ASSERT_EQ(app->flows[0].order[2], 0);
  bt_app_free(app);
  m = load_err(FLOW_HEAD STEP("one") "input = \"steps.one\"\n");
  ASSERT_STREQ(m, "baton.toml:11:9: flow 'f': steps 'one' and 'one' form a cycle: "
                  "'one' -> 'one'");
  m = load_err(FLOW_HEAD STEP("one") STEP("two") "input = [\"$input\", \"steps.three\"]\n"
               STEP("three"));
  ASSERT_STREQ(m, "baton.toml:14:20: flow 'f': steps 'three' and 'two' form a cycle: "
                  "'two' -> 'three' -> 'two'");
  m = load_err(FLOW_HEAD STEP("one") "input = \"step.one\"\n");
  ASSERT_STREQ(m, "baton.toml:11:9: key 'input' in step 'one' of flow 'f': cannot "
                  "parse 'step.one': expected \"$input\", \"steps.NAME\" or "
                  "\"steps.NAME.FIELD\" (use input_value for a literal)");
  m = load_err(FLOW_HEAD STEP("one") "input = \"steps.one..x\"\n");
  ASSERT_CONTAINS(m, "cannot parse 'steps.one..x'");
  m = load_err(FLOW_HEAD STEP("one") "input = []\n");
  ASSERT_CONTAINS(m, "a tuple input needs at least one item");
  m = load_err(FLOW_HEAD STEP("one") "input = \"$input\"\ninput_value = \"1\"\n");
  ASSERT_STREQ(m, "baton.toml:12:15: step 'one' of flow 'f': 'input' and "
                  "'input_value' are mutually exclusive");
  m = load_err(FLOW_HEAD STEP("one") "export = \"Bad Name\"\n");
  ASSERT_CONTAINS(m, "baton.toml:11:10: export 'Bad Name' is not a function name");
  m = load_err(FLOW_HEAD STEP("one") "export = \"ns:pkg/#f\"\n");
  ASSERT_CONTAINS(m, "export interface 'ns:pkg/' is not an interface or package "
                     "name");
  m = load_err(FLOW_HEAD "[[flow.f.step]]\ncomponent = \"a\"\n");
  ASSERT_STREQ(m, "baton.toml:8:1: missing key 'name' in step 1 of flow 'f'");
  m = load_err(APP_HEAD ONE_COMP "[flow.f]\ndescription = \"empty\"\n");
  ASSERT_STREQ(m, "baton.toml:5:7: flow 'f' has no steps (add [[flow.f.step]] "
                  "tables)");
  m = load_err(FLOW_HEAD STEP("one") "compensate = { component = \"z\" }\n");
  ASSERT_CONTAINS(m, "step 'one' of flow 'f': unknown component 'z'");
  m = load_err(FLOW_HEAD STEP("one") "compensate = { input = \"$input\" }\n");
  ASSERT_CONTAINS(m, "missing key 'component' in 'compensate' of step 'one'");
  m = load_err(FLOW_HEAD STEP("one") "output = \"steps.one\"\n");
  ASSERT_CONTAINS(m, "unknown key 'output' in step 'one' of flow 'f'");
  m = load_err(APP_HEAD ONE_COMP "[flow.f]\noutput = \"steps.nope\"\n" STEP("one"));
  ASSERT_STREQ(m, "baton.toml:6:10: output of flow 'f': unknown step 'nope'");
  m = load_err(APP_HEAD ONE_COMP "[flow.f]\noutput = [\"steps.one\"]\n" STEP("one"));
  ASSERT_STREQ(m, "baton.toml:6:10: key 'output' in [flow.f]: expected string such "
                  "as \"steps.NAME\", got array");
  m = load_err(FLOW_HEAD STEP("one") "on = { ok = 5 }\n");
  ASSERT_CONTAINS(m, "key 'ok' in 'on' of step 'one' of flow 'f': expected string "
                     "or array of strings, got integer");
  /* Triggers. */
  m = load_err(FLOW_HEAD STEP("one") "[[trigger.cli]]\nflow = \"g\"\n");
  ASSERT_STREQ(m, "baton.toml:12:8: [[trigger.cli]]: unknown flow 'g'");
  m = load_err(FLOW_HEAD STEP("one") "[flow.g]\n" "[[flow.g.step]]\nname = \"x\"\n"
               "component = \"a\"\n[[trigger.timer]]\ninterval_ms = 5\n");
  ASSERT_STREQ(m, "baton.toml:15:1: [[trigger.timer]] needs 'flow': the app has 2 "
                  "flows");
  m = load_err(FLOW_HEAD STEP("one") "[[trigger.timer]]\nflow = \"f\"\n");
  ASSERT_STREQ(m, "baton.toml:11:1: missing key 'interval_ms' in [[trigger.timer]]");

  /* A cli trigger without flow: the only flow, or the pipeline. */
  app = load_ok(FLOW_HEAD STEP("one") "[[trigger.cli]]\n");
  ASSERT_EQ(app->triggers[0].flow.index, 0);
  ASSERT_TRUE(app->triggers[0].flow.implicit);
  bt_app_free(app);
  app = load_ok(APP_HEAD ONE_COMP "[[trigger.cli]]\n");
  ASSERT_EQ(app->triggers[0].flow.index, BT_APP_NONE);
  ASSERT_NULL(app->triggers[0].flow.name);
  bt_app_free(app);
}

TEST(cycles) {
  const char *m = load_err(FLOW_HEAD STEP("a") "after = [\"b\"]\n"
                           STEP("b") "after = [\"a\"]\n");
  ASSERT_STREQ(m, "baton.toml:11:10: flow 'f': steps 'b' and 'a' form a cycle: "
                  "'a' -> 'b' -> 'a'");
  m = load_err(FLOW_HEAD STEP("a") "after = [\"a\"]\n");
  ASSERT_STREQ(m, "baton.toml:11:10: flow 'f': steps 'a' and 'a' form a cycle: "
                  "'a' -> 'a'");
  /* Through a route: a -> b (route), b -> c (after), c -> b (route). */
  m = load_err(FLOW_HEAD STEP("a") "on.ok = \"b\"\n" STEP("b")
               STEP("c") "after = [\"b\"]\non.err = \"b\"\n");
  ASSERT_STREQ(m, "baton.toml:19:10: flow 'f': steps 'c' and 'b' form a cycle: "
                  "'b' -> 'c' -> 'b'");
  /* Component dependencies. */
  m = load_err(APP_HEAD
               "[component.a]\nsource = \"a.wasm\"\n"
               "dependencies = { \"x:y/b\" = { component = \"b\" } }\n"
               "[component.b]\nsource = \"b.wasm\"\n"
               "dependencies = { \"x:y/c\" = { component = \"c\" } }\n"
               "[component.c]\nsource = \"c.wasm\"\n"
               "dependencies = { \"x:y/a\" = { component = \"a\" } }\n");
  ASSERT_STREQ(m, "baton.toml:11:18: dependency cycle between components 'c' and "
                  "'a': 'a' -> 'b' -> 'c' -> 'a'");
  m = load_err(APP_HEAD "[component.a]\nsource = \"a.wasm\"\n"
               "dependencies = { \"x:y/a\" = { component = \"a\" } }\n");
  ASSERT_STREQ(m, "baton.toml:5:42: component 'a' dependency 'x:y/a': a component "
                  "cannot depend on itself");
  m = load_err(APP_HEAD "[component.a]\nsource = \"a.wasm\"\n"
               "dependencies = { \"x:y/a\" = { component = \"bb\" } }\n");
  ASSERT_STREQ(m, "baton.toml:5:42: component 'a' dependency 'x:y/a': unknown "
                  "component 'bb'");
}

TEST(dependency_errors) {
  const char *m = load_err(APP_HEAD ONE_COMP "[component.a.dependencies]\n"
                           "\"Not A Name\" = { path = \"x.wasm\" }\n");
  ASSERT_STREQ(m, "baton.toml:6:1: dependency 'Not A Name' is not an interface or "
                  "package name such as \"ns:pkg/iface\", \"ns:pkg/iface@1.0.0\" "
                  "or \"ns:pkg\"");
  m = load_err(APP_HEAD ONE_COMP "[component.a.dependencies]\n"
               "\"x:y/z\" = { path = \"x.wasm\", component = \"a\" }\n");
  ASSERT_STREQ(m, "baton.toml:6:1: dependency 'x:y/z' of component 'a' needs "
                  "exactly one of 'component' and 'path'");
  m = load_err(APP_HEAD ONE_COMP "[component.a.dependencies]\n\"x:y/z\" = {}\n");
  ASSERT_CONTAINS(m, "needs exactly one of 'component' and 'path'");
  m = load_err(APP_HEAD ONE_COMP "[component.a.dependencies]\n"
               "\"x:y/z@\" = { path = \"x.wasm\" }\n");
  ASSERT_CONTAINS(m, "dependency 'x:y/z@' is not an interface");
  m = load_err(APP_HEAD ONE_COMP "[component.a.dependencies]\n"
               "\"x:y\" = { path = \"y.wasm\" }\n\"x:y/z\" = { path = \"z.wasm\" }\n");
  ASSERT_STREQ(m, "baton.toml:7:1: component 'a': dependency 'x:y/z' overlaps "
                  "package dependency 'x:y' (at baton.toml:6:1)");
  m = load_err(APP_HEAD ONE_COMP "[component.a.dependencies]\n\"x:y/z\" = \"1.0\"\n");
  ASSERT_CONTAINS(m, "baton.toml:6:11: key 'x:y/z' in [component.a.dependencies]: "
                     "expected table");
  m = load_err(APP_HEAD ONE_COMP "config_import = \"wasi:config/store\"\n"
               "[component.a.dependencies]\n"
               "\"wasi:config/store\" = { path = \"c.wasm\" }\n");
  ASSERT_CONTAINS(m, "component 'a': config_import 'wasi:config/store' is also a "
                     "dependency");
  m = load_err(APP_HEAD ONE_COMP "config_import = \"not valid\"\n");
  ASSERT_CONTAINS(m, "config_import 'not valid' is not an interface");
  /* Names of every shape parse. */
  bt_app_t *app = load_ok(APP_HEAD ONE_COMP "[component.a.dependencies]\n"
                          "\"log\" = { path = \"l.wasm\" }\n"
                          "\"wasi:http/outgoing-handler@0.2.0\" = { path = \"h.wasm\" }\n"
                          "\"a:b:c/d\" = { path = \"d.wasm\" }\n");
  const bt_app_component_t *c = &app->components[0];
  ASSERT_EQ(c->deps[0].kind, BT_APP_DEP_NAME);
  ASSERT_NULL(c->deps[0].package);
  ASSERT_STREQ(c->deps[1].package, "wasi:http");
  ASSERT_STREQ(c->deps[1].interface, "outgoing-handler");
  ASSERT_STREQ(c->deps[1].version, "0.2.0");
  ASSERT_STREQ(c->deps[2].package, "a:b:c");
  ASSERT_STREQ(c->deps[2].path.text, "/app/d.wasm");
  bt_app_free(app);
  /* Duplicate component ids (Spin v1) and tables (TOML). */
  m = spin_err("spin_manifest_version = \"1\"\nname = \"x\"\n"
               "[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n"
               "[[component]]\nid = \"a\"\nsource = \"b.wasm\"\n");
  ASSERT_STREQ(m, "spin.toml:7:6: duplicate component 'a' (first defined at "
                  "spin.toml:4:6)");
  m = load_err_code("baton.toml", APP_HEAD ONE_COMP ONE_COMP, BATON_ESYNTAX);
  ASSERT_CONTAINS(m, "baton.toml:5:12: table `component.a` is defined more than "
                     "once");
}

/* ---- trigger config JSON and schema ---- */

#define CFG_COMP(cfg, schema)                                    \
  APP_HEAD "[component.module2]\nsource = \"m2.wasm\"\n"         \
           "[component.module2.trigger]\nconfig = '" cfg "'\n" schema

TEST(trigger_config) {
  const char *m = load_err(CFG_COMP("{\"batch_size\": 6,}", ""));
  ASSERT_STREQ(m, "baton.toml:6:10: key 'config' in [component.module2.trigger]: "
                  "invalid JSON at 1:18: expected a string key in object");
  m = load_err(CFG_COMP("{\"a\": tru}", ""));
  ASSERT_CONTAINS(m, "invalid JSON at 1:7: expected a value");
  m = load_err(APP_HEAD ONE_COMP "[component.a.trigger]\nconfig = 5\n");
  ASSERT_CONTAINS(m, "key 'config' in [component.a.trigger]: expected string (JSON "
                     "text), got integer");
  m = load_err(CFG_COMP("{\"batch_size\": \"6\"}",
                        "config_schema = { batch_size = \"integer\" }\n"));
  ASSERT_STREQ(m, "baton.toml:6:10: component 'module2': trigger config key "
                  "'batch_size' (JSON 1:16): expected integer, got string");
  m = load_err(CFG_COMP("{\"batch_size\": 6.5}",
                        "config_schema = { batch_size = \"integer\" }\n"));
  ASSERT_CONTAINS(m, "'batch_size' (JSON 1:16): expected integer, got number");
  m = load_err(CFG_COMP("{\"ssl_only\": 1}", "config_schema = { ssl_only = \"bool\" }\n"));
  ASSERT_CONTAINS(m, "trigger config key 'ssl_only' (JSON 1:14): expected bool, got "
                     "integer");
  m = load_err(CFG_COMP("{\"batchsize\": 6}",
                        "config_schema = { batch_size = \"integer\" }\n"));
  ASSERT_STREQ(m, "baton.toml:6:10: component 'module2': trigger config has unknown "
                  "key 'batchsize' (JSON 1:2) (did you mean 'batch_size'?); the "
                  "config_schema at baton.toml:7:17 does not declare it");
  m = load_err(CFG_COMP("{}", "config_schema = { batch_size = \"integer\", "
                              "required = [\"batch_size\"] }\n"));
  ASSERT_STREQ(m, "baton.toml:6:10: component 'module2': trigger config is missing "
                  "required key 'batch_size' (declared at baton.toml:7:19)");
  m = load_err(APP_HEAD ONE_COMP "[component.a.trigger]\n"
               "config_schema = { x = \"string\", required = [\"x\"] }\n");
  ASSERT_STREQ(m, "baton.toml:6:17: component 'a': trigger config is missing "
                  "required key 'x' (declared at baton.toml:6:19)");
  m = load_err(CFG_COMP("[1, 2]", "config_schema = { x = \"string\" }\n"));
  ASSERT_CONTAINS(m, "trigger config must be a JSON object (the component has a "
                     "config_schema), got array");
  m = load_err(CFG_COMP("{}", "config_schema = { x = \"strnig\" }\n"));
  ASSERT_STREQ(m, "baton.toml:7:23: key 'x' in config_schema of component "
                  "'module2': unknown type 'strnig' (did you mean 'string'?) "
                  "(expected bool, integer, number, string, array or object)");
  m = load_err(CFG_COMP("{}", "config_schema = { required = [\"y\"] }\n"));
  ASSERT_CONTAINS(m, "key 'required' in config_schema of component 'module2': 'y' "
                     "is not declared in the schema");
  /* A field named "required" is declared with a type string. */
  bt_app_t *app = load_ok(CFG_COMP("{\"required\": \"yes\", \"n\": 1.5, \"l\": [], "
                                   "\"o\": {}}",
                                   "config_schema = { required = \"string\", n = "
                                   "\"number\", l = \"array\", o = \"object\" }\n"));
  ASSERT_EQ(app->components[0].config_schema.len, 4);
  ASSERT_FALSE(app->components[0].config_schema.fields[0].required);
  bt_app_free(app);
  /* Without a schema any JSON is accepted. */
  app = load_ok(CFG_COMP("[1, \"two\", null]", ""));
  ASSERT_EQ(app->components[0].config->kind, BT_MJSON_ARRAY);
  bt_app_free(app);
  /* Spin v1: the same errors, positioned in spin.toml. */
  m = spin_err("spin_manifest_version = \"1\"\nname = \"x\"\n"
               "[[component]]\nid = \"m\"\nsource = \"m.wasm\"\n"
               "[component.trigger]\nconfig = '{\"ssl_only\": true'\n");
  ASSERT_STREQ(m, "spin.toml:7:10: key 'config' in [component.trigger] of 'm': "
                  "invalid JSON at 1:18: expected ',' or '}' in object");
  m = spin_err("spin_manifest_version = 2\n[application]\nname = \"x\"\n"
               "[[trigger.orchestrator]]\ncomponent = \"a\"\nconfig = '{}'\n"
               "[[trigger.orchestrator]]\ncomponent = \"a\"\nconfig = '{}'\n"
               "[component.a]\nsource = \"a.wasm\"\n");
  ASSERT_STREQ(m, "spin.toml:9:10: [[trigger.orchestrator]]: component 'a' already "
                  "has a trigger config (at spin.toml:6:10)");
  m = spin_err("spin_manifest_version = 2\n[application]\nname = \"x\"\n"
               "[[trigger.orchestrator]]\ncomponent = \"b\"\n"
               "[component.a]\nsource = \"a.wasm\"\n");
  ASSERT_STREQ(m, "spin.toml:5:13: [[trigger.orchestrator]]: unknown component 'b'");
}

/* ---- JSON reader ---- */

static bt_mjson_t *json_ok(const char *text) {
  bt_mjson_t *v = NULL;
  baton_error_t *err = bt_mjson_parse(text, strlen(text), &v);
  if (err) {
    fprintf(stderr, "json error: %s\n", baton_error_message(err));
    baton_error_delete(err);
    T_FAIL_("json parse failed: %s", text);
  }
  return v;
}

static const char *json_err(const char *text, size_t len, baton_errno_t code) {
  static char msg[512];
  bt_mjson_t *v = NULL;
  baton_error_t *err = bt_mjson_parse(text, len, &v);
  if (!err) {
    bt_mjson_free(v);
    T_FAIL_("expected a JSON error for %s", text);
  }
  ASSERT_NULL(v);
  snprintf(msg, sizeof msg, "%s", baton_error_message(err));
  ASSERT_EQ(baton_error_code(err), code);
  baton_error_delete(err);
  return msg;
}

TEST(json_reader) {
  bt_mjson_t *v = json_ok(" {\"a\": [1, -2, 3.5, 1e3, true, false, null],\n"
                          "  \"s\": \"\\u00e9\\ud83d\\ude00\\n\\\"\", \"big\": "
                          "9223372036854775807, \"bigger\": 9223372036854775808, "
                          "\"min\": -9223372036854775808} ");
  ASSERT_EQ(v->kind, BT_MJSON_OBJECT);
  ASSERT_EQ(v->len, 5);
  const bt_mjson_t *a = bt_mjson_get(v, "a");
  ASSERT_EQ(a->len, 7);
  ASSERT_TRUE(a->items[0].is_integer);
  ASSERT_EQ(a->items[1].integer, -2);
  ASSERT_FALSE(a->items[2].is_integer);
  ASSERT_TRUE(a->items[2].number == 3.5);
  ASSERT_FALSE(a->items[3].is_integer);
  ASSERT_TRUE(a->items[3].number == 1000.0);
  ASSERT_TRUE(a->items[4].boolean);
  ASSERT_EQ(a->items[6].kind, BT_MJSON_NULL);
  ASSERT_STREQ(bt_mjson_type_name(&a->items[0]), "integer");
  ASSERT_STREQ(bt_mjson_type_name(&a->items[2]), "number");
  const bt_mjson_t *s = bt_mjson_get(v, "s");
  ASSERT_STREQ(s->str, "\xc3\xa9\xf0\x9f\x98\x80\n\"");
  ASSERT_EQ(s->str_len, 8);
  ASSERT_EQ(s->line, 2);
  ASSERT_EQ(s->col, 8);
  ASSERT_EQ(v->key_lines[1], 2);
  ASSERT_EQ(v->key_cols[1], 3);
  ASSERT_EQ(bt_mjson_get(v, "big")->integer, INT64_MAX);
  ASSERT_FALSE(bt_mjson_get(v, "bigger")->is_integer);
  ASSERT_EQ(bt_mjson_get(v, "min")->integer, INT64_MIN);
  ASSERT_NULL(bt_mjson_get(v, "zz"));
  ASSERT_NULL(bt_mjson_get(a, "a"));

  bt_mjson_t *w = json_ok("{\"min\": -9223372036854775808, \"bigger\": "
                          "9.223372036854775808e18, \"big\": 9223372036854775807, "
                          "\"s\": \"\xc3\xa9\xf0\x9f\x98\x80\\n\\\"\", "
                          "\"a\": [1.0, -2, 3.5, 1000, true, false, null]}");
  ASSERT_TRUE(bt_mjson_equal(v, w));
  bt_mjson_free(w);
  w = json_ok("{\"a\": []}");
  ASSERT_FALSE(bt_mjson_equal(v, w));
  bt_mjson_free(w);
  bt_mjson_free(v);

  ASSERT_STREQ(json_err("", 0, BATON_ESYNTAX), "1:1: expected a value");
  ASSERT_STREQ(json_err("{\"a\" 1}", 7, BATON_ESYNTAX),
               "1:6: expected ':' after object key");
  ASSERT_STREQ(json_err("{\"a\":1,\"a\":2}", 13, BATON_ESYNTAX),
               "1:8: duplicate key in object");
  ASSERT_STREQ(json_err("[1 2]", 5, BATON_ESYNTAX),
               "1:4: expected ',' or ']' in array");
  ASSERT_STREQ(json_err("01", 2, BATON_ESYNTAX), "1:1: leading zero in number");
  ASSERT_STREQ(json_err("1.", 2, BATON_ESYNTAX),
               "1:1: expected a digit after '.' in number");
  ASSERT_STREQ(json_err("\"abc", 4, BATON_ESYNTAX), "1:1: unterminated string");
  ASSERT_STREQ(json_err("\"a\tb\"", 5, BATON_ESYNTAX),
               "1:3: control character in string");
  ASSERT_STREQ(json_err("\"\\x\"", 4, BATON_ESYNTAX), "1:2: invalid escape in string");
  ASSERT_STREQ(json_err("\"\\ud800\"", 8, BATON_ESYNTAX),
               "1:2: unpaired surrogate in \\u escape");
  ASSERT_STREQ(json_err("\"\\u12\"", 6, BATON_ESYNTAX),
               "1:2: \\u must be followed by 4 hex digits");
  ASSERT_STREQ(json_err("\"\xff\"", 3, BATON_ESYNTAX), "1:2: invalid UTF-8 in string");
  ASSERT_STREQ(json_err("true false", 10, BATON_ESYNTAX),
               "1:6: unexpected text after the value");
  ASSERT_STREQ(json_err("nulls", 5, BATON_ESYNTAX), "1:1: expected a value");
  ASSERT_STREQ(json_err("[\n\xc3\xa9, x]", 8, BATON_ESYNTAX), "2:1: expected a value");
  ASSERT_STREQ(json_err("[\"\xc3\xa9\", x]", 9, BATON_ESYNTAX), "1:7: expected a value");
  ASSERT_STREQ(json_err("\"a\0b\"", 5, BATON_ESYNTAX),
               "1:3: control character in string");
  char deep[200];
  memset(deep, '[', sizeof deep);
  ASSERT_CONTAINS(json_err(deep, sizeof deep, BATON_ELIMIT),
                  "1:65: JSON nested deeper than 64 levels");
}

/* ---- files: load, find_default, check_sources ---- */

/* Writes text to dir/name. */
static void write_file(const char *dir, const char *name, const char *text) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  ASSERT_NOT_NULL(f);
  fputs(text, f);
  fclose(f);
}

TEST(files) {
  char dir[] = "/tmp/baton-test-app-XXXXXX";
  ASSERT_NOT_NULL(mkdtemp(dir));
  char *path = NULL;
  baton_error_t *err = bt_app_find_default(dir, &path);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_ENOT_FOUND);
  ASSERT_CONTAINS(baton_error_message(err), "no baton.toml or spin.toml in '");
  baton_error_delete(err);
  ASSERT_NULL(path);

  write_file(dir, "spin.toml",
             "spin_manifest_version = 2\n[application]\nname = \"s\"\n"
             "[component.a]\nsource = \"a.wasm\"\n");
  ASSERT_OK(bt_app_find_default(dir, &path));
  ASSERT_CONTAINS(path, "/spin.toml");
  bt_free(path);
  write_file(dir, "baton.toml",
             "[application]\nname = \"b\"\n[component.a]\nsource = \"a.wasm\"\n"
             "wit = \"wit\"\n"
             "[component.a.build]\ncommand = \"make a.wasm\"\n");
  ASSERT_OK(bt_app_find_default(dir, &path));
  ASSERT_CONTAINS(path, "/baton.toml");

  bt_app_t *app = NULL;
  ASSERT_OK(bt_app_load(path, &app));
  ASSERT_STREQ(app->name.text, "b");
  ASSERT_STREQ(app->dir, dir);
  char expect[4200];
  snprintf(expect, sizeof expect, "%s/a.wasm", dir);
  ASSERT_STREQ(app->components[0].source.text, expect);
  /* Missing .wasm is reported at use time, with the build command. */
  err = bt_app_check_sources(app);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_ENOT_FOUND);
  snprintf(expect, sizeof expect,
           "%s:4:10: component 'a': source '%s/a.wasm' does not exist (build it "
           "first: `make a.wasm`)",
           path, dir);
  ASSERT_STREQ(baton_error_message(err), expect);
  baton_error_delete(err);
  write_file(dir, "a.wasm", "");
  err = bt_app_check_sources(app);
  ASSERT_NOT_NULL(err);
  ASSERT_CONTAINS(baton_error_message(err), ":5:7: component 'a': wit '");
  baton_error_delete(err);
  char sub[4200];
  snprintf(sub, sizeof sub, "%s/wit", dir);
  ASSERT_EQ(mkdir(sub, 0700), 0);
  ASSERT_OK(bt_app_check_sources(app));
  bt_app_free(app);

  /* Reading errors. */
  snprintf(expect, sizeof expect, "%s/nope.toml", dir);
  err = bt_app_load(expect, &app);
  ASSERT_EQ(baton_error_code(err), BATON_ENOT_FOUND);
  ASSERT_CONTAINS(baton_error_message(err), "nope.toml: No such file");
  baton_error_delete(err);
  ASSERT_NULL(app);
  err = bt_app_load(dir, &app); /* a directory */
  ASSERT_NOT_NULL(err);
  baton_error_delete(err);
  ASSERT_NULL(app);

  /* TOML syntax errors pass through with their position. */
  write_file(dir, "bad.toml", "[application\n");
  snprintf(expect, sizeof expect, "%s/bad.toml", dir);
  err = bt_app_load(expect, &app);
  ASSERT_EQ(baton_error_code(err), BATON_ESYNTAX);
  ASSERT_CONTAINS(baton_error_message(err), "bad.toml:1:");
  baton_error_delete(err);

  /* A relative manifest path keeps relative component paths. */
  char cwd[4096];
  ASSERT_NOT_NULL(getcwd(cwd, sizeof cwd));
  ASSERT_EQ(chdir(dir), 0);
  ASSERT_OK(bt_app_load("baton.toml", &app));
  ASSERT_STREQ(app->components[0].source.text, "a.wasm");
  ASSERT_OK(bt_app_check_sources(app));
  bt_app_free(app);
  ASSERT_EQ(chdir(cwd), 0);

  const char *names[] = {"spin.toml", "baton.toml", "a.wasm", "bad.toml"};
  for (size_t i = 0; i < 4; i++) {
    snprintf(expect, sizeof expect, "%s/%s", dir, names[i]);
    unlink(expect);
  }
  rmdir(sub);
  rmdir(dir);
  bt_free(path);
}

/* ---- allocation failures ---- */

/* Loads text (as name), resolves its variables and redacts a string with
 * allocation n failing; returns the number of failed allocations. The only
 * errors allowed are NO_MEMORY and, for a manifest that is invalid, the
 * error code `expect` (BATON_OK for a valid one). */
static long load_with_failure(const char *name, const char *text, long n,
                              baton_errno_t expect) {
  bt_alloc_fail_after(n);
  bt_app_t *app = NULL;
  baton_error_t *err = bt_app_load_string(name, text, "/app", &app);
  if (!err) err = bt_app_resolve_variables(app, fake_getenv);
  char *red = NULL;
  if (!err) red = bt_app_redact(app, "x s3cret y");
  long failed = bt_alloc_fail_after(-1);
  if (err) {
    baton_errno_t code = baton_error_code(err);
    if (code != BATON_ENO_MEMORY && code != expect)
      T_FAIL_("allocation %ld: unexpected error %s", n, baton_error_message(err));
    if (code == expect && failed)
      T_FAIL_("allocation %ld failed but the error is: %s", n,
              baton_error_message(err));
    baton_error_delete(err);
  } else if (expect != BATON_OK && !failed) {
    T_FAIL_("expected an error");
  } else if (!red && failed == 0) {
    T_FAIL_("redact failed without an allocation failure");
  }
  bt_free(red);
  bt_app_free(app);
  return failed;
}

TEST(alloc_failures) {
  const char *const env[] = {"BATON_VARIABLE_API_TOKEN", "s3cret",
                             "SPIN_VARIABLE_API_KEY", "s3cret", NULL};
  t_env = env;
  const char *files[] = {"full/baton.toml", "orders/spin.toml", "spin2/spin.toml",
                         "orders/baton.toml"};
  for (size_t i = 0; i < BT_ARRAY_LEN(files); i++) {
    size_t len;
    char *text = (char *)t_read_file(data_path(files[i]), &len);
    ASSERT_NOT_NULL(text);
    char *z = realloc(text, len + 1);
    ASSERT_NOT_NULL(z);
    z[len] = 0;
    long n = 0;
    while (load_with_failure(strstr(files[i], "spin") ? "spin.toml" : "baton.toml",
                             z, n, BATON_OK) > 0)
      n++;
    ASSERT_TRUE(n > 50);
    free(z);
  }
  /* Manifests that fail: their error paths free everything too. */
  static const char *const bad[] = {
      FLOW_HEAD STEP("a") "after = [\"b\"]\n" STEP("b") "after = [\"a\"]\n",
      APP_HEAD "[component.a]\nsource = \"a.wasm\"\n"
      "dependencies = { \"x:y/b\" = { component = \"b\" } }\n"
      "[component.b]\nsource = \"b.wasm\"\n"
      "dependencies = { \"x:y/a\" = { component = \"a\" } }\n",
      CFG_COMP("{\"batchsize\": 6}", "config_schema = { batch_size = \"integer\" }\n"),
      APP_HEAD ONE_COMP "[component.a.variables]\nurl = \"{{ nope }}\"\n",
      APP_HEAD "[variables]\nx = { required = true }\n" ONE_COMP,
      APP_HEAD ONE_COMP "sorce = 1\n",
      FLOW_HEAD STEP("one") "input = \"steps.tow\"\n" STEP("two"),
  };
  for (size_t i = 0; i < BT_ARRAY_LEN(bad); i++) {
    long n = 0;
    while (load_with_failure("baton.toml", bad[i], n, BATON_EINVALID) > 0) n++;
    ASSERT_TRUE(n > 5);
  }
  /* JSON alone. */
  const char *json = "{\"a\": [1, \"two\", {\"b\": null}], \"c\": \"\\u00e9\"}";
  for (long n = 0;; n++) {
    bt_alloc_fail_after(n);
    bt_mjson_t *v = NULL;
    baton_error_t *err = bt_mjson_parse(json, strlen(json), &v);
    long failed = bt_alloc_fail_after(-1);
    if (err) {
      ASSERT_EQ(baton_error_code(err), BATON_ENO_MEMORY);
      baton_error_delete(err);
      ASSERT_NULL(v);
    }
    bt_mjson_free(v);
    if (!failed) break;
  }
  t_env = NULL;
}

int main(void) {
  RUN(full_baton);
  RUN(orders_both_formats);
  RUN(spin_v2_dependencies);
  RUN(spin_v2_minimal_and_inline);
  RUN(variables_resolution);
  RUN(secrets_never_printed);
  RUN(variable_errors);
  RUN(unknown_keys);
  RUN(type_errors);
  RUN(retry_errors);
  RUN(flow_errors);
  RUN(cycles);
  RUN(dependency_errors);
  RUN(trigger_config);
  RUN(json_reader);
  RUN(files);
  RUN(alloc_failures);
  TEST_MAIN_END();
}
