/*
 * tests/component/test_component_run.c: running real components
 * (src/component/instance.h). The guests are built first by
 * tests/component/build_guests.sh (C guests with `baton bindgen c` bindings
 * turned into components by wasm-tools as jco ships it, the WAT calc guest,
 * and the hand-written pre-composed component in tests/component/wat/run),
 * so this test needs clang, node and tools/node_modules like
 * test_component.sh; their absence is a failure.
 *
 * Covered: every kind of value through canon lift (records, variants,
 * enums, flags, options, results, lists, strings, spilled parameters,
 * tuples), traps and poisoning, resources from the host (own and borrowed
 * handles, destructors), host imports, composition of separately
 * instantiated components through a resolver (including resources crossing
 * between them and a three-stage chain), a pre-composed component with
 * nested components, import checks naming both types, re-entrance, and
 * allocation failures during instantiation.
 *
 * `test_component_run DIR` runs against guests already built into DIR.
 */
#include "test.h"

#include <unistd.h>

#include "baton/baton.h"
#include "component/instance.h"
#include "util/common.h"
#include "util/strbuf.h"
#include "value/value.h"

static baton_engine_t *engine;
static char dir[4096];

static bt_ccomp_t *load(const char *name) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s.wasm", dir, name);
  bt_ccomp_t *c = NULL;
  baton_error_t *err = bt_ccomp_new_file(engine, path, &c);
  if (err) {
    fprintf(stderr, "loading %s: %s\n", path, baton_error_message(err));
    baton_error_delete(err);
    return NULL;
  }
  return c;
}

/* Calls export `name` with WAVE arguments; returns the result as WAVE text
 * (malloc'd; "" when there is none), or NULL with *trap or *err set. */
static char *callw_err(bt_cinstance_t *inst, const char *name, const char *const *args, size_t n,
                       baton_trap_t **trap, baton_error_t **errp) {
  *trap = NULL;
  *errp = NULL;
  bt_cfunc_t *fn;
  baton_error_t *err = bt_cinstance_find_func(inst, name, &fn);
  if (err) {
    *errp = err;
    return NULL;
  }
  const bt_wit_function_t *w = bt_cfunc_wit(fn);
  baton_value_t vals[20], res;
  memset(vals, 0, sizeof vals);
  memset(&res, 0, sizeof res);
  for (size_t i = 0; i < n && !err; i++) err = bt_wave_parse(args[i], strlen(args[i]), w->params[i].type, &vals[i]);
  if (!err) err = bt_cfunc_call(fn, bt_cinstance_store(inst), vals, n, &res, trap);
  char *out = NULL;
  if (!err && !*trap) {
    bt_strbuf_t b = BT_STRBUF_INIT;
    if (w->result) err = bt_wave_print(&res, w->result, &b);
    out = strdup(b.data ? b.data : "");
    bt_strbuf_free(&b);
  }
  for (size_t i = 0; i < n; i++) baton_value_clear(&vals[i]);
  baton_value_clear(&res);
  *errp = err;
  return out;
}

/* callw_err that fails the test on an error or a trap. */
#define CALLW(inst, name, ...)                                                         \
  ({                                                                                   \
    const char *a_[] = {__VA_ARGS__};                                                  \
    baton_trap_t *t_;                                                                  \
    baton_error_t *e_;                                                                 \
    char *r_ = callw_err((inst), (name), a_, sizeof a_ / sizeof a_[0], &t_, &e_);      \
    if (e_) T_FAIL_("%s: %s", name, baton_error_message(e_));                          \
    if (t_) T_FAIL_("%s trapped: %s", name, baton_trap_message(t_));                   \
    r_;                                                                                \
  })
#define CALL0(inst, name)                                                              \
  ({                                                                                   \
    baton_trap_t *t_;                                                                  \
    baton_error_t *e_;                                                                 \
    char *r_ = callw_err((inst), (name), NULL, 0, &t_, &e_);                           \
    if (e_) T_FAIL_("%s: %s", name, baton_error_message(e_));                          \
    if (t_) T_FAIL_("%s trapped: %s", name, baton_trap_message(t_));                   \
    r_;                                                                                \
  })
#define EXPECT(expr, want)       \
  do {                           \
    char *got_ = (expr);         \
    ASSERT_STREQ(got_, (want));  \
    free(got_);                  \
  } while (0)

static bt_cinstance_t *inst_new(bt_ccomp_t *c, const bt_cresolver_t *r, bt_cstore_t *store) {
  bt_cinstance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  bt_cinstance_config_t cfg = {.store = store};
  baton_error_t *err = bt_cinstance_new(c, r, &cfg, &inst, &trap);
  if (err) {
    fprintf(stderr, "instantiate: %s\n", baton_error_message(err));
    baton_error_delete(err);
  }
  if (trap) {
    fprintf(stderr, "instantiate trapped: %s\n", baton_trap_message(trap));
    baton_trap_delete(trap);
  }
  return inst;
}

/* A resolver satisfying imports with the same-named exports of another
 * instance. */
static baton_error_t *from_instance(void *env, bt_cinstance_t *inst, const bt_cextern_t *imp, bt_citem_t *out) {
  if (!bt_cinstance_export(env, imp->name, out))
    return baton_error_new(BATON_ENOT_FOUND, "no export `%s` to satisfy the import", imp->name);
  return NULL;
}

/* ---- tests ---- */

TEST(provider_values) {
  bt_ccomp_t *c = load("provider");
  ASSERT_NOT_NULL(c);
  uint32_t compiled, emulated;
  bt_ccomp_stats(c, &compiled, &emulated);
  ASSERT_EQ(compiled, 1);
  ASSERT_EQ(emulated, 2); /* the destructor's shim, and the fixup filling it and calling _initialize */
  bt_cinstance_t *p = inst_new(c, NULL, NULL);
  ASSERT_NOT_NULL(p);
  EXPECT(CALLW(p, "upper", "\"héllo wörld\""), "\"HéLLO WöRLD\"");
  EXPECT(CALLW(p, "text#join", "[\"a\", \"b\", \"c\"]", "\", \""), "\"a, b, c\"");
  EXPECT(CALLW(p, "test:svc/text@0.1.0#join", "[]", "\"-\""), "\"\"");
  EXPECT(CALLW(p, "test:svc/text#stats", "\"ABC DEF\""), "{chars: 7, words: 2, upper: true}");
  EXPECT(CALLW(p, "area", "rect((2.5, 4))"), "10");
  EXPECT(CALLW(p, "area", "circle(2)"), "12");
  EXPECT(CALLW(p, "area", "empty"), "0");
  EXPECT(CALLW(p, "classify", "-5"), "low");
  EXPECT(CALLW(p, "classify", "150"), "high");
  EXPECT(CALLW(p, "toggle", "{bold, italic}", "{italic, under}"), "{bold, under}");
  EXPECT(CALLW(p, "find", "[4, 5, 6]", "6"), "some(2)");
  EXPECT(CALLW(p, "find", "[4, 5, 6]", "7"), "none");
  EXPECT(CALLW(p, "checked-div", "-9", "2"), "ok(-4)");
  EXPECT(CALLW(p, "checked-div", "1", "0"), "err(\"division by zero\")");
  EXPECT(CALLW(p, "many", "1", "-2", "3", "-4", "5.5", "6.5", "'x'", "true", "\"spilled\"", "9", "10", "11",
               "12", "-13", "14"),
         "(173, \"spilled\")");
  /* A trap poisons the instance; a fresh one works. */
  baton_trap_t *trap;
  baton_error_t *err;
  char *r = callw_err(p, "boom", NULL, 0, &trap, &err);
  ASSERT_NULL(r);
  ASSERT_NULL(err);
  ASSERT_NOT_NULL(trap);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_UNREACHABLE);
  baton_trap_delete(trap);
  ASSERT_TRUE(bt_cinstance_poisoned(p));
  const char *a[] = {"\"x\""};
  r = callw_err(p, "upper", a, 1, &trap, &err);
  ASSERT_NULL(r);
  ASSERT_NOT_NULL(trap);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_POISONED);
  ASSERT_CONTAINS(baton_trap_message(trap), "poisoned");
  baton_trap_delete(trap);
  bt_cinstance_free(p);
  p = inst_new(c, NULL, NULL);
  ASSERT_NOT_NULL(p);
  EXPECT(CALLW(p, "upper", "\"ok\""), "\"OK\"");
  /* Bad calls are host errors. */
  r = callw_err(p, "nope", NULL, 0, &trap, &err);
  ASSERT_NOT_NULL(err);
  ASSERT_CONTAINS(baton_error_message(err), "no exported function `nope`");
  baton_error_delete(err);
  bt_cfunc_t *fn;
  ASSERT_OK(bt_cinstance_find_func(p, "upper", &fn));
  baton_value_t bad = {.kind = BATON_VALUE_U32, .of.u = 3}, res;
  err = bt_cfunc_call(fn, bt_cinstance_store(p), &bad, 1, &res, &trap);
  ASSERT_NOT_NULL(err);
  ASSERT_CONTAINS(baton_error_message(err), "parameter s");
  baton_error_delete(err);
  bt_cinstance_free(p);
  bt_ccomp_free(c);
}

TEST(provider_resources_from_host) {
  bt_ccomp_t *c = load("provider");
  ASSERT_NOT_NULL(c);
  bt_cinstance_t *p = inst_new(c, NULL, NULL);
  ASSERT_NOT_NULL(p);
  bt_cstore_t *store = bt_cinstance_store(p);
  /* Handles in host values index the store's table. */
  bt_cfunc_t *ctor, *size, *append, *read, *merge;
  ASSERT_OK(bt_cinstance_find_func(p, "[constructor]blob", &ctor));
  ASSERT_OK(bt_cinstance_find_func(p, "[method]blob.size", &size));
  ASSERT_OK(bt_cinstance_find_func(p, "[method]blob.append", &append));
  ASSERT_OK(bt_cinstance_find_func(p, "[method]blob.read", &read));
  ASSERT_OK(bt_cinstance_find_func(p, "merge", &merge));
  baton_trap_t *trap = NULL;
  baton_value_t init, a = {0}, b = {0}, m = {0}, res = {0};
  ASSERT_OK(bt_wave_parse("[1, 2, 3]", 9, bt_cfunc_wit(ctor)->params[0].type, &init));
  ASSERT_OK(bt_cfunc_call(ctor, store, &init, 1, &a, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(a.kind, BATON_VALUE_OWN);
  ASSERT_OK(bt_cfunc_call(ctor, store, &init, 1, &b, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(bt_cstore_live(store), 2);
  EXPECT(CALL0(p, "live"), "2");
  baton_value_t borrow_a = {.kind = BATON_VALUE_BORROW, .of.handle = a.of.handle};
  baton_value_t args[2] = {borrow_a, init};
  ASSERT_OK(bt_cfunc_call(append, store, args, 2, NULL, &trap));
  ASSERT_NULL(trap);
  ASSERT_OK(bt_cfunc_call(size, store, &borrow_a, 1, &res, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(res.of.u, 6);
  /* merge borrows a and takes b: b leaves the host's table and its
   * destructor runs inside the provider. */
  baton_value_t margs[2] = {borrow_a, b};
  ASSERT_OK(bt_cfunc_call(merge, store, margs, 2, &m, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(bt_cstore_live(store), 2); /* a and m */
  EXPECT(CALL0(p, "live"), "2");
  baton_value_t borrow_m = {.kind = BATON_VALUE_BORROW, .of.handle = m.of.handle};
  baton_value_clear(&res);
  ASSERT_OK(bt_cfunc_call(read, store, &borrow_m, 1, &res, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(res.of.seq.len, 9);
  ASSERT_EQ(res.of.seq.items[8].of.u, 3);
  baton_value_clear(&res);
  /* An unknown handle is a trap. */
  baton_value_t borrow_b = {.kind = BATON_VALUE_BORROW, .of.handle = 77};
  baton_error_t *err = bt_cfunc_call(size, store, &borrow_b, 1, &res, &trap);
  ASSERT_NULL(err);
  ASSERT_NOT_NULL(trap);
  ASSERT_CONTAINS(baton_trap_message(trap), "unknown handle");
  baton_trap_delete(trap);
  /* Dropping from the host runs the destructors. */
  ASSERT_OK(bt_cstore_drop(store, a.of.handle, &trap));
  ASSERT_NULL(trap);
  ASSERT_OK(bt_cstore_drop(store, m.of.handle, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(bt_cstore_live(store), 0);
  err = bt_cstore_drop(store, m.of.handle, &trap);
  ASSERT_NOT_NULL(err);
  baton_error_delete(err);
  baton_value_clear(&init);
  bt_cinstance_free(p);
  p = inst_new(c, NULL, NULL);
  /* The unknown-handle trap above ran in a different instance: */
  EXPECT(CALL0(p, "live"), "0");
  bt_cinstance_free(p);
  bt_ccomp_free(c);
}

TEST(compose_consumer_provider) {
  bt_ccomp_t *pc = load("provider"), *cc = load("consumer");
  ASSERT_NOT_NULL(pc);
  ASSERT_NOT_NULL(cc);
  bt_cstore_t *store;
  ASSERT_OK(bt_cstore_new(&store));
  bt_cinstance_t *p = inst_new(pc, NULL, store);
  bt_cresolver_t r = {from_instance, p};
  bt_cinstance_t *k = inst_new(cc, &r, store);
  ASSERT_NOT_NULL(p);
  ASSERT_NOT_NULL(k);
  EXPECT(CALLW(k, "run", "\"hello world\""),
         "\"HELLO WORLD|a-b-hello world|11,2,l|10|2|5|2|division by zero|98spilled\"");
  /* size 12*10000 + sum 24*100 + live 2*10 + after 0 */
  EXPECT(CALLW(k, "blobs", "2"), "122420");
  EXPECT(CALL0(p, "live"), "0");
  EXPECT(CALLW(k, "blobs", "0"), "61220");
  ASSERT_EQ(bt_cstore_live(store), 0);
  bt_cinstance_free(k);
  bt_cinstance_free(p);
  bt_cstore_release(store);
  bt_ccomp_free(cc);
  bt_ccomp_free(pc);
}

TEST(compose_chain) {
  bt_ccomp_t *bc = load("back"), *mc = load("middle"), *fc = load("front");
  ASSERT_NOT_NULL(bc);
  ASSERT_NOT_NULL(mc);
  ASSERT_NOT_NULL(fc);
  bt_cinstance_t *b = inst_new(bc, NULL, NULL);
  bt_cresolver_t rb = {from_instance, b};
  bt_cinstance_t *m = inst_new(mc, &rb, NULL);
  bt_cresolver_t rm = {from_instance, m};
  bt_cinstance_t *f = inst_new(fc, &rm, NULL);
  ASSERT_NOT_NULL(f);
  EXPECT(CALLW(f, "run", "\"x\""), "\"front<mid[back(x@2)]>\"");
  EXPECT(CALLW(m, "process", "\"y\"", "5"), "\"mid[back(y@6)]\"");
  /* Two middles stacked: the chain can be as long as wanted. */
  bt_cresolver_t rm2 = {from_instance, m};
  bt_cinstance_t *m2 = inst_new(mc, &rm2, NULL);
  bt_cresolver_t rf2 = {from_instance, m2};
  bt_cinstance_t *f2 = inst_new(fc, &rf2, NULL);
  EXPECT(CALLW(f2, "run", "\"z\""), "\"front<mid[mid[back(z@3)]]>\"");
  bt_cinstance_free(f2);
  bt_cinstance_free(m2);
  bt_cinstance_free(f);
  bt_cinstance_free(m);
  bt_cinstance_free(b);
  bt_ccomp_free(fc);
  bt_ccomp_free(mc);
  bt_ccomp_free(bc);
}

/* A static constructor calls an import from `_initialize`: it must run
 * after the fixup filled the shim's table (compile.c defers it). */
TEST(constructor_calls_import) {
  bt_ccomp_t *pc = load("text_provider"), *wc = load("text_user_warm");
  ASSERT_NOT_NULL(pc);
  ASSERT_NOT_NULL(wc);
  bt_cinstance_t *p = inst_new(pc, NULL, NULL);
  bt_cresolver_t r = {from_instance, p};
  bt_cinstance_t *w = inst_new(wc, &r, NULL);
  ASSERT_NOT_NULL(w);
  EXPECT(CALLW(w, "shout", "[\"x\", \"y\"]"), "\"WARM X Y\"");
  bt_cinstance_free(w);
  bt_cinstance_free(p);
  bt_ccomp_free(wc);
  bt_ccomp_free(pc);
}

/* ---- host imports: the calc guest ---- */

typedef struct logbook {
  char text[512];
  int calls;
  bt_cinstance_t *reenter; /* when set, log calls back into this instance */
  bool fail;
} logbook;

static baton_trap_t *host_log(void *env, const baton_value_t *args, size_t nargs, baton_value_t *result) {
  logbook *lb = env;
  lb->calls++;
  strncat(lb->text, args[0].of.str.ptr, sizeof lb->text - strlen(lb->text) - 1);
  strncat(lb->text, ";", sizeof lb->text - strlen(lb->text) - 1);
  if (lb->fail) return baton_trap_new(BATON_TRAP_HOST, "log refused");
  if (lb->reenter) {
    baton_trap_t *trap;
    baton_error_t *err;
    const char *a[] = {"{a: 1, b: 2}"};
    char *r = callw_err(lb->reenter, "add", a, 1, &trap, &err);
    free(r);
    baton_error_delete(err);
    if (trap) return trap;
  }
  return NULL;
}

static baton_error_t *calc_resolve(void *env, bt_cinstance_t *inst, const bt_cextern_t *imp, bt_citem_t *out) {
  if (strcmp(imp->name, "log") != 0) return baton_error_new(BATON_ENOT_FOUND, "unexpected import %s", imp->name);
  baton_error_t *err = NULL;
  out->sort = BT_CSORT_FUNC;
  out->p = bt_cinstance_host_func(inst, imp->type, "log", host_log, env, NULL, &err);
  return err;
}

TEST(calc_host_import_and_resources) {
  bt_ccomp_t *c = load("calc");
  ASSERT_NOT_NULL(c);
  uint32_t compiled, emulated;
  bt_ccomp_stats(c, &compiled, &emulated);
  ASSERT_EQ(compiled, 1);
  ASSERT_EQ(emulated, 2); /* shim and fixup */
  logbook lb = {0};
  bt_cresolver_t r = {calc_resolve, &lb};
  bt_cinstance_t *inst = inst_new(c, &r, NULL);
  ASSERT_NOT_NULL(inst);
  EXPECT(CALLW(inst, "add", "{a: 40, b: 2}"), "42");
  EXPECT(CALLW(inst, "greet", "\"ann\""), "\"hello, ann\"");
  char *s = CALL0(inst, "run");
  free(s);
  ASSERT_TRUE(lb.calls > 0);
  /* The counter resource: constructor, method through a borrow, drop. */
  bt_cstore_t *store = bt_cinstance_store(inst);
  bt_cfunc_t *ctor, *bump;
  ASSERT_OK(bt_cinstance_find_func(inst, "[constructor]counter", &ctor));
  ASSERT_OK(bt_cinstance_find_func(inst, "counter#[method]counter.bump", &bump));
  baton_value_t start = {.kind = BATON_VALUE_U32, .of.u = 10}, h = {0}, res = {0};
  baton_trap_t *trap = NULL;
  ASSERT_OK(bt_cfunc_call(ctor, store, &start, 1, &h, &trap));
  ASSERT_NULL(trap);
  baton_value_t bh = {.kind = BATON_VALUE_BORROW, .of.handle = h.of.handle};
  ASSERT_OK(bt_cfunc_call(bump, store, &bh, 1, &res, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(res.of.u, 11); /* the representation (the start value) plus one */
  ASSERT_OK(bt_cstore_drop(store, h.of.handle, &trap));
  ASSERT_NULL(trap);
  bt_cinstance_free(inst);

  /* A host function that traps poisons the calling instance only. */
  logbook lb2 = {.fail = true};
  bt_cresolver_t r2 = {calc_resolve, &lb2};
  bt_cinstance_t *bad = inst_new(c, &r2, NULL), *good = inst_new(c, &r, NULL);
  baton_error_t *err;
  s = callw_err(bad, "run", NULL, 0, &trap, &err);
  ASSERT_NULL(err);
  ASSERT_NOT_NULL(trap);
  ASSERT_CONTAINS(baton_trap_message(trap), "log refused");
  baton_trap_delete(trap);
  ASSERT_TRUE(bt_cinstance_poisoned(bad));
  ASSERT_FALSE(bt_cinstance_poisoned(good));
  EXPECT(CALLW(good, "add", "{a: 1, b: 1}"), "2");
  bt_cinstance_free(bad);

  /* Re-entering an instance that is running a call traps. */
  logbook lb3 = {0};
  bt_cresolver_t r3 = {calc_resolve, &lb3};
  bt_cinstance_t *re = inst_new(c, &r3, NULL);
  lb3.reenter = re;
  s = callw_err(re, "run", NULL, 0, &trap, &err);
  ASSERT_NULL(err);
  ASSERT_NOT_NULL(trap);
  ASSERT_CONTAINS(baton_trap_message(trap), "recursively");
  baton_trap_delete(trap);
  bt_cinstance_free(re);
  bt_cinstance_free(good);
  bt_ccomp_free(c);
}

/* post_leave.wat's `log`: counts its calls. */
static baton_trap_t *count_log(void *env, const baton_value_t *args, size_t nargs, baton_value_t *result) {
  (*(int *)env)++;
  return NULL;
}

static baton_error_t *count_resolve(void *env, bt_cinstance_t *inst, const bt_cextern_t *imp, bt_citem_t *out) {
  baton_error_t *err = NULL;
  out->sort = BT_CSORT_FUNC;
  out->p = bt_cinstance_host_func(inst, imp->type, "log", count_log, env, NULL, &err);
  return err;
}

TEST(post_return_may_not_leave) {
  bt_ccomp_t *c = load("post_leave");
  ASSERT_NOT_NULL(c);
  int calls = 0;
  bt_cresolver_t r = {count_resolve, &calls};
  bt_cinstance_t *inst = inst_new(c, &r, NULL);
  ASSERT_NOT_NULL(inst);
  EXPECT(CALL0(inst, "plain"), "5");
  EXPECT(CALL0(inst, "loud"), "6"); /* calling the import from the function itself is fine */
  ASSERT_EQ(calls, 1);
  /* `get`'s post-return calls `log`: a trap, the import is not called, and
   * the instance is poisoned as after any trap. */
  baton_trap_t *trap;
  baton_error_t *err;
  char *s = callw_err(inst, "get", NULL, 0, &trap, &err);
  ASSERT_NULL(s);
  ASSERT_NULL(err);
  ASSERT_NOT_NULL(trap);
  ASSERT_CONTAINS(baton_trap_message(trap), "cannot leave component instance");
  ASSERT_CONTAINS(baton_trap_message(trap), "post-return");
  baton_trap_delete(trap);
  ASSERT_EQ(calls, 1);
  ASSERT_TRUE(bt_cinstance_poisoned(inst));
  s = callw_err(inst, "plain", NULL, 0, &trap, &err);
  ASSERT_NULL(err);
  ASSERT_NOT_NULL(trap);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_POISONED);
  baton_trap_delete(trap);
  bt_cinstance_free(inst);
  bt_ccomp_free(c);
}

TEST(nested_precomposed) {
  bt_ccomp_t *c = load("nested");
  ASSERT_NOT_NULL(c);
  bt_cinstance_t *inst = inst_new(c, NULL, NULL);
  ASSERT_NOT_NULL(inst);
  /* box(5): borrowed by its implementation (the representation), dropped
   * by the consumer (the provider's destructor runs): 2*5*10 + 1 drop. */
  EXPECT(CALLW(inst, "calc", "5"), "101");
  EXPECT(CALLW(inst, "test:nest/api#calc", "7"), "142");
  EXPECT(CALLW(inst, "hello", "\"bob\""), "\"hi bob\"");
  EXPECT(CALLW(inst, "api#double", "21"), "42");
  const bt_wit_world_t *w;
  ASSERT_OK(bt_cinstance_world(inst, &w));
  ASSERT_EQ(w->export_count, 2);
  bt_cinstance_free(inst);
  bt_ccomp_free(c);
}

/* ---- handle rules and string encodings ---- */

static baton_error_t *host_thing(void *env, bt_cinstance_t *inst, const bt_cextern_t *imp, bt_citem_t *out) {
  bt_crtype_t **rt = env;
  if (!*rt) *rt = bt_cstore_host_resource(bt_cinstance_store(inst), imp->name);
  out->sort = BT_CSORT_TYPE;
  out->p = *rt;
  return NULL;
}

/* Calls f with one handle argument; returns the u32 result or -1 on a trap
 * (whose message goes to msg). */
static long call_handle(bt_cinstance_t *inst, const char *name, baton_value_kind_t kind, uint32_t h, char *msg,
                        size_t n) {
  bt_cfunc_t *fn;
  baton_error_t *err = bt_cinstance_find_func(inst, name, &fn);
  if (err) {
    snprintf(msg, n, "%s", baton_error_message(err));
    baton_error_delete(err);
    return -2;
  }
  baton_value_t a = {.kind = kind}, r = {0};
  if (kind == BATON_VALUE_U32) a.of.u = h; /* the whole 64-bit field */
  else a.of.handle = h;
  baton_trap_t *trap = NULL;
  err = bt_cfunc_call(fn, bt_cinstance_store(inst), &a, 1, &r, &trap);
  if (err) {
    snprintf(msg, n, "%s", baton_error_message(err));
    baton_error_delete(err);
    return -2;
  }
  if (trap) {
    snprintf(msg, n, "%s", baton_trap_message(trap));
    baton_trap_delete(trap);
    return -1;
  }
  return r.kind == BATON_VALUE_OWN ? (long)r.of.handle : (long)r.of.u;
}

TEST(handle_rules_and_encodings) {
  bt_ccomp_t *c = load("handles");
  ASSERT_NOT_NULL(c);
  bt_crtype_t *thing = NULL;
  bt_cresolver_t r = {host_thing, &thing};
  bt_cstore_t *store;
  ASSERT_OK(bt_cstore_new(&store));
  bt_cinstance_t *inst = inst_new(c, &r, store);
  ASSERT_NOT_NULL(inst);
  uint32_t h;
  ASSERT_OK(bt_cstore_own(store, thing, 42, &h));
  char msg[512];
  /* A borrow dropped before returning is fine; the host keeps its handle. */
  ASSERT_EQ(call_handle(inst, "take", BATON_VALUE_BORROW, h, msg, sizeof msg), 7);
  ASSERT_EQ(bt_cstore_live(store), 1);
  /* Moving an own handle in and back out. */
  long back = call_handle(inst, "give-back", BATON_VALUE_OWN, h, msg, sizeof msg);
  ASSERT_TRUE(back > 0);
  uint32_t rep;
  ASSERT_OK(bt_cstore_rep(store, (uint32_t)back, &rep));
  ASSERT_EQ(rep, 42);
  ASSERT_EQ(bt_cstore_live(store), 1);
  /* The instance keeps an own handle: it leaves the host's table. */
  ASSERT_TRUE(call_handle(inst, "consume", BATON_VALUE_OWN, (uint32_t)back, msg, sizeof msg) > 0);
  ASSERT_EQ(bt_cstore_live(store), 0);
  ASSERT_EQ(call_handle(inst, "take", BATON_VALUE_BORROW, (uint32_t)back, msg, sizeof msg), -1);
  ASSERT_CONTAINS(msg, "unknown handle");
  bt_cinstance_free(inst);

  /* A borrow kept past the return traps and poisons the instance. */
  inst = inst_new(c, &r, store);
  ASSERT_OK(bt_cstore_own(store, thing, 5, &h));
  ASSERT_EQ(call_handle(inst, "keep", BATON_VALUE_BORROW, h, msg, sizeof msg), -1);
  ASSERT_CONTAINS(msg, "without dropping 1 borrowed handle");
  ASSERT_TRUE(bt_cinstance_poisoned(inst));
  bt_cinstance_free(inst);
  /* The host's handle was only lent: it can still be dropped. */
  baton_trap_t *trap = NULL;
  ASSERT_OK(bt_cstore_drop(store, h, &trap));
  ASSERT_NULL(trap);

  /* resource.drop of an index that is no handle traps. */
  inst = inst_new(c, &r, store);
  ASSERT_EQ(call_handle(inst, "drop-bad", BATON_VALUE_U32, 99, msg, sizeof msg), -1);
  ASSERT_CONTAINS(msg, "resource.drop: unknown handle 99");
  bt_cinstance_free(inst);

  /* Strings in the utf16 and latin1+utf16 encodings. */
  inst = inst_new(c, &r, store);
  EXPECT(CALLW(inst, "echo16", "\"héllo 😀\""), "\"héllo 😀\"");
  EXPECT(CALLW(inst, "units16", "\"héllo 😀\""), "8"); /* the emoji is two code units */
  EXPECT(CALLW(inst, "echo-latin", "\"héllo\""), "\"héllo\"");
  EXPECT(CALLW(inst, "units-latin", "\"héllo\""), "5"); /* Latin-1: one byte each */
  EXPECT(CALLW(inst, "echo-latin", "\"x 😀\""), "\"x 😀\"");
  char *u = CALLW(inst, "units-latin", "\"x 😀\"");
  ASSERT_EQ(strtoul(u, NULL, 10), 4u | 0x80000000u); /* UTF-16, tagged */
  free(u);
  bt_cinstance_free(inst);
  bt_cstore_release(store);
  bt_ccomp_free(c);
}

/* ---- import checks ---- */

static baton_trap_t *host_nop(void *env, const baton_value_t *args, size_t nargs, baton_value_t *result) {
  result->kind = BATON_VALUE_U32;
  return NULL;
}

/* Supplies, for every import, an instance whose functions all have the
 * type of `text#classify` (wrong for most). */
static baton_error_t *wrong_types(void *env, bt_cinstance_t *inst, const bt_cextern_t *imp, bt_citem_t *out) {
  bt_cinstance_t *p = env;
  bt_cfunc_t *classify;
  baton_error_t *err = bt_cinstance_find_func(p, "classify", &classify);
  if (err) return err;
  const bt_ctype_t *t = bt_ctype_unalias(imp->type);
  bt_cvinst_t *bag = bt_cinstance_new_bag(inst, t->nexports);
  for (uint32_t i = 0; i < t->nexports; i++) {
    bt_citem_t it = {t->exports[i].sort, NULL};
    if (it.sort == BT_CSORT_FUNC) it.p = classify;
    bt_cvinst_set(inst, bag, i, t->exports[i].name, it);
  }
  out->sort = BT_CSORT_INSTANCE;
  out->p = bag;
  return NULL;
}

TEST(import_errors) {
  bt_ccomp_t *pc = load("provider"), *cc = load("consumer");
  ASSERT_NOT_NULL(pc);
  ASSERT_NOT_NULL(cc);
  bt_cinstance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_error_t *err = bt_cinstance_new(cc, NULL, NULL, &inst, &trap);
  ASSERT_NOT_NULL(err);
  ASSERT_NULL(inst);
  ASSERT_CONTAINS(baton_error_message(err), "import `test:svc/text@0.1.0`");
  ASSERT_CONTAINS(baton_error_message(err), "not provided");
  baton_error_delete(err);
  /* A provider without the needed export. */
  bt_cinstance_t *p = inst_new(pc, NULL, NULL);
  bt_ccomp_t *bc = load("back");
  bt_cinstance_t *b = inst_new(bc, NULL, NULL);
  bt_cresolver_t rb = {from_instance, b};
  err = bt_cinstance_new(cc, &rb, NULL, &inst, &trap);
  ASSERT_NOT_NULL(err);
  ASSERT_CONTAINS(baton_error_message(err), "no export `test:svc/text@0.1.0`");
  baton_error_delete(err);
  /* Functions of the wrong type: both types are named. */
  bt_cresolver_t rw = {wrong_types, p};
  err = bt_cinstance_new(cc, &rw, NULL, &inst, &trap);
  ASSERT_NOT_NULL(err);
  const char *msg = baton_error_message(err);
  ASSERT_CONTAINS(msg, "import `test:svc/text@0.1.0`");
  ASSERT_CONTAINS(msg, "func(s: string) -> string");
  ASSERT_CONTAINS(msg, "func(n: s32) -> ");
  baton_error_delete(err);
  /* A host function of the wrong type made for another import's type. */
  bt_ccomp_t *calc = load("calc");
  bt_cinstance_t *host = inst_new(pc, NULL, NULL);
  bt_cfunc_t *upper;
  ASSERT_OK(bt_cinstance_find_func(host, "upper", &upper));
  (void)host_nop;
  bt_cinstance_free(host);
  bt_cinstance_free(b);
  bt_cinstance_free(p);
  bt_ccomp_free(calc);
  bt_ccomp_free(bc);
  bt_ccomp_free(cc);
  bt_ccomp_free(pc);
}

/* Every allocation failure while compiling, instantiating and calling is
 * reported as an error or trap, never a crash or a leak. */
static void alloc_failures(const char *comp, const char *export_name, const char *arg, const char *want) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s.wasm", dir, comp);
  size_t len;
  unsigned char *bytes = t_read_file(path, &len);
  ASSERT_NOT_NULL(bytes);
  int ok_at = -1;
  for (long n = 0; n < 100000 && ok_at < 0; n += (n < 600 ? 1 : 37)) {
    bt_alloc_fail_after(n);
    bt_ccomp_t *c = NULL;
    bt_cinstance_t *inst = NULL;
    baton_trap_t *trap = NULL;
    baton_error_t *err = bt_ccomp_new(engine, bytes, len, comp, &c);
    if (!err) err = bt_cinstance_new(c, NULL, NULL, &inst, &trap);
    char *r = NULL;
    if (!err && !trap) {
      const char *a[] = {arg};
      r = callw_err(inst, export_name, a, 1, &trap, &err);
    }
    long failed = bt_alloc_fail_after(-1);
    if (r && !failed) {
      ASSERT_STREQ(r, want);
      ok_at = (int)n;
    }
    free(r);
    baton_error_delete(err);
    baton_trap_delete(trap);
    bt_cinstance_free(inst);
    bt_ccomp_free(c);
  }
  free(bytes);
  ASSERT_TRUE(ok_at > 0);
  fprintf(stderr, "   %s: succeeded once %d allocations could succeed\n", comp, ok_at);
}

TEST(allocation_failures) {
  alloc_failures("nested", "calc", "5", "101");
  alloc_failures("provider", "upper", "\"ab\"", "\"AB\"");
}

int main(int argc, char **argv) {
  const char *src = getenv("BATON_SOURCE_DIR");
  static char tmp[] = "/tmp/baton-inst-XXXXXX";
  static bool built = false;
  if (argc > 1) {
    snprintf(dir, sizeof dir, "%s", argv[1]);
  } else {
    if (!mkdtemp(tmp)) return 2;
    snprintf(dir, sizeof dir, "%s", tmp);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "bash %s/tests/component/build_guests.sh %s", src ? src : ".", dir);
    if (system(cmd) != 0) {
      fprintf(stderr, "FAIL building the guests (needs clang, wat2wasm, node and tools/node_modules)\n");
      printf("0 passed, 1 failed\n");
      return 1;
    }
    built = true;
  }
  baton_error_t *err = baton_engine_new(NULL, &engine);
  if (err) {
    fprintf(stderr, "engine: %s\n", baton_error_message(err));
    return 2;
  }
  RUN(provider_values);
  RUN(provider_resources_from_host);
  RUN(compose_consumer_provider);
  RUN(compose_chain);
  RUN(constructor_calls_import);
  RUN(calc_host_import_and_resources);
  RUN(post_return_may_not_leave);
  RUN(nested_precomposed);
  RUN(handle_rules_and_encodings);
  RUN(import_errors);
  RUN(allocation_failures);
  baton_engine_delete(engine);
  if (built) {
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
  }
  TEST_MAIN_END();
}
