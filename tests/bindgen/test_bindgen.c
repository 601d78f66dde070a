/*
 * tests/bindgen/test_bindgen.c: end-to-end tests of `baton bindgen c`.
 *
 * The test drives everything itself, so that it needs no other ctest step:
 * for each world of tests/bindgen/wit it runs `$BATON_BIN bindgen c` into a
 * fresh mkdtemp directory, compiles tests/bindgen/guests/<world>.c together
 * with the generated <world>.c using clang for wasm32-wasi with -Wall -Wextra
 * -Werror, loads the result with baton's C API, defines the world's imports
 * as typed host functions (bt_abi_define_import) that log what arrived as
 * WAVE text and answer with a scripted WAVE value, and calls the exports with
 * bt_abi_call. Every check compares concrete WAVE text of values that went
 * host -> guest -> host (and for imports host -> guest -> host -> guest ->
 * host through the `relay` interface), for every WIT type kind and nested
 * combinations, flat and spilled parameters (16 and 17), spilled results,
 * 1 MiB strings, resources in both directions, and memory growth over
 * repeated calls (which would expose a missing free in the generated
 * post-returns or in the guest's use of the ownership helpers).
 *
 * Environment: BATON_BIN (the CLI), BATON_SOURCE_DIR (the checkout),
 * BATON_CACHE_DIR (AOT cache). clang with the wasm32-wasi sysroot in /usr
 * must be installed (the build already requires it for tests/guests).
 * Set BATON_BINDGEN_KEEP=1 to keep the temporary directory.
 */
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi/abi.h"
#include "baton/baton.h"
#include "bindgen/bindgen.h"
#include "test.h"
#include "util/strbuf.h"
#include "value/value.h"
#include "wit/wit.h"

extern char **environ;

static char g_tmp[256];
static char g_src[2048];
static baton_engine_t *g_engine;
static bt_wit_resolve_t *g_wit;

/* ---- building guests ---- */

/* Runs argv with stdout and stderr appended to g_tmp/log; returns the exit
 * status, or -1 when it could not run. */
static int run(char *const argv[]) {
  char log[512];
  snprintf(log, sizeof log, "%s/log", g_tmp);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int st;
  if (waitpid(pid, &st, 0) < 0) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Prints the tail of the log (compiler or generator output). */
static void show_log(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/log", g_tmp);
  size_t n;
  unsigned char *s = t_read_file(path, &n);
  if (!s) return;
  fprintf(stderr, "%.*s\n", (int)(n > 8000 ? 8000 : n), (const char *)s + (n > 8000 ? n - 8000 : 0));
  free(s);
}

/* Generates bindings for `world` of the WIT at wit_dir (relative to the
 * checkout) with the CLI and compiles the guest source (relative to the
 * checkout) against them into g_tmp/<world>.wasm. Returns false (having
 * printed the output) on failure. */
static bool build_guest_from(const char *wit_dir, const char *world, const char *src) {
  const char *bin = getenv("BATON_BIN");
  char wit[2200], out[512], guest[2200], gen_c[600], inc[520], wasm[512];
  snprintf(wit, sizeof wit, "%s/%s", g_src, wit_dir);
  snprintf(out, sizeof out, "%s/%s", g_tmp, world);
  snprintf(guest, sizeof guest, "%s/%s", g_src, src);
  snprintf(gen_c, sizeof gen_c, "%s/%s.c", out, world);
  snprintf(inc, sizeof inc, "-I%s", out);
  snprintf(wasm, sizeof wasm, "%s/%s.wasm", g_tmp, world);
  char *gen[] = {(char *)(bin ? bin : "baton"), "bindgen", "c", "--wit", wit, "--world",
                 (char *)world, "--out", out, NULL};
  if (run(gen) != 0) {
    fprintf(stderr, "bindgen failed for world %s:\n", world);
    show_log();
    return false;
  }
  char *cc[] = {"clang", "--target=wasm32-wasi", "--sysroot=/usr", "-mexec-model=reactor", "-O2",
                "-Wall", "-Wextra", "-Werror", inc, guest, gen_c, "-o", wasm, NULL};
  if (run(cc) != 0) {
    fprintf(stderr, "compiling the %s guest failed:\n", world);
    show_log();
    return false;
  }
  return true;
}

/* build_guest_from for the worlds of tests/bindgen/wit, whose guests are
 * tests/bindgen/guests/<world>.c. */
static bool build_guest(const char *world) {
  char src[256];
  snprintf(src, sizeof src, "tests/bindgen/guests/%s.c", world);
  return build_guest_from("tests/bindgen/wit", world, src);
}

/* ---- host side ---- */

static bt_strbuf_t g_log = BT_STRBUF_INIT; /* "name(args)\n" per host call */
static const char *g_response;             /* WAVE answer of host calls */

/* Per-function answers, which take precedence over g_response. */
static struct {
  const char *label, *wave;
} g_answers[8];

static void answer(const char *label, const char *wave) {
  for (size_t i = 0; i < BT_ARRAY_LEN(g_answers); i++) {
    if (!g_answers[i].label || !strcmp(g_answers[i].label, label)) {
      g_answers[i].label = label;
      g_answers[i].wave = wave;
      return;
    }
  }
  abort();
}

static void clear_answers(void) { memset(g_answers, 0, sizeof g_answers); }

typedef struct host_fn host_fn_t;
/* Computes an import's answer itself (resources); returns the WAVE text of
 * the result in buf, or NULL to trap. */
typedef const char *(*host_special_t)(const host_fn_t *h, const baton_value_t *args, char *buf,
                                      size_t size);

struct host_fn {
  const bt_wit_function_t *fn;
  char label[96];
  host_special_t special;
};

/* A typed host import: logs its arguments as WAVE, then answers with
 * g_response (parsed as the result type) or, when that is NULL and the
 * result type is the first parameter's, with a copy of the first argument. */
static baton_trap_t *host_cb(void *env, baton_instance_t *caller, const baton_value_t *args,
                             size_t nargs, baton_value_t *result) {
  host_fn_t *h = env;
  bt_strbuf_printf(&g_log, "%s(", h->label);
  for (size_t i = 0; i < nargs; i++) {
    if (i) bt_strbuf_puts(&g_log, ", ");
    baton_error_t *e = bt_wave_print(&args[i], h->fn->params[i].type, &g_log);
    if (e) {
      bt_strbuf_printf(&g_log, "<%s>", baton_error_message(e));
      baton_error_delete(e);
    }
  }
  bt_strbuf_puts(&g_log, ")\n");
  char buf[4096];
  const char *response = g_response;
  for (size_t i = 0; i < BT_ARRAY_LEN(g_answers); i++)
    if (g_answers[i].label && !strcmp(g_answers[i].label, h->label)) response = g_answers[i].wave;
  if (h->special) {
    response = h->special(h, args, buf, sizeof buf);
    if (!response) return baton_trap_new(BATON_TRAP_HOST, "%s: refused", h->label);
  }
  if (!h->fn->result) return NULL;
  if (response) {
    baton_error_t *e = bt_wave_parse(response, strlen(response), h->fn->result, result);
    if (e) {
      baton_trap_t *t = baton_trap_new(BATON_TRAP_HOST, "bad response: %s", baton_error_message(e));
      baton_error_delete(e);
      return t;
    }
    return NULL;
  }
  if (nargs && bt_wit_type_unalias(h->fn->params[0].type) == bt_wit_type_unalias(h->fn->result) &&
      baton_value_copy(result, &args[0]))
    return NULL;
  return baton_trap_new(BATON_TRAP_HOST, "%s: no response scripted", h->label);
}

static host_fn_t *g_host_fns[64];
static size_t g_nhost;

static host_special_t g_special; /* set while defining the resources world */

static baton_error_t *define_host(baton_linker_t *l, const char *module, const char *label,
                                  const bt_wit_function_t *fn) {
  host_fn_t *h = calloc(1, sizeof *h);
  h->fn = fn;
  h->special = g_special;
  snprintf(h->label, sizeof h->label, "%s", label);
  g_host_fns[g_nhost++] = h;
  return bt_abi_define_import(l, module, fn, host_cb, h, NULL);
}

/* Defines every function import of the world with host_cb. */
static baton_error_t *define_world_imports(baton_linker_t *l, const bt_wit_world_t *w) {
  for (size_t i = 0; i < w->import_count; i++) {
    const bt_wit_world_item_t *it = &w->imports[i];
    char module[256];
    bt_abi_import_module(it, module, sizeof module);
    baton_error_t *e = NULL;
    if (it->kind == BT_WIT_ITEM_FUNCTION) {
      e = define_host(l, module, it->function->name, it->function);
    } else if (it->kind == BT_WIT_ITEM_INTERFACE) {
      for (size_t k = 0; k < it->interface->function_count && !e; k++)
        e = define_host(l, module, it->interface->functions[k]->name,
                        it->interface->functions[k]);
    }
    if (e) return e;
  }
  return NULL;
}

typedef struct guest {
  const bt_wit_world_t *world;
  baton_module_t *mod;
  baton_linker_t *linker;
  baton_instance_t *inst;
} guest_t;

static bt_wit_resolve_t *g_orders_wit; /* tests/bindgen/orders */

static const bt_wit_world_t *find_world(const char *name) {
  const bt_wit_world_t *w = NULL;
  baton_error_t *e = bt_wit_find_world(strcmp(name, "orders") ? g_wit : g_orders_wit, name, &w);
  baton_error_delete(e);
  return w;
}

/* Loads g_tmp/<world>.wasm, checks it against the world's canonical ABI
 * signatures, and instantiates it with WASI and the given extra imports. */
static bool load_guest(guest_t *g, const char *world,
                       baton_error_t *(*extra)(baton_linker_t *, const bt_wit_world_t *)) {
  memset(g, 0, sizeof *g);
  g->world = find_world(world);
  char path[512];
  snprintf(path, sizeof path, "%s/%s.wasm", g_tmp, world);
  baton_error_t *e = g->world ? NULL : baton_error_new(BATON_ENOT_FOUND, "no world %s", world);
  if (!e) e = baton_module_new_file(g_engine, path, &g->mod);
  if (!e) e = bt_abi_check_world(g->mod, g->world);
  if (!e) e = baton_linker_new(g_engine, &g->linker);
  baton_wasi_config_t wc = {0};
  wc.output = BATON_WASI_OUTPUT_INHERIT;
  if (!e) e = baton_linker_define_wasi(g->linker, &wc);
  if (!e) e = define_world_imports(g->linker, g->world);
  if (!e && extra) e = extra(g->linker, g->world);
  baton_trap_t *trap = NULL;
  if (!e) e = baton_instance_new(g->linker, g->mod, NULL, &g->inst, &trap);
  if (e || trap) {
    fprintf(stderr, "loading %s: %s\n", world, e ? baton_error_message(e) : baton_trap_message(trap));
    baton_error_delete(e);
    baton_trap_delete(trap);
    return false;
  }
  return true;
}

static void unload_guest(guest_t *g) {
  baton_instance_delete(g->inst);
  baton_linker_delete(g->linker);
  baton_module_delete(g->mod);
  memset(g, 0, sizeof *g);
}

/* Finds an export: "iface.func" (an exported interface by its short name)
 * or "func" (a world-level export); writes its core name. */
static const bt_wit_function_t *find_export(const guest_t *g, const char *spec, char *name,
                                            size_t size) {
  const char *dot = strchr(spec, '.');
  for (size_t i = 0; i < g->world->export_count; i++) {
    const bt_wit_world_item_t *it = &g->world->exports[i];
    const bt_wit_function_t *fn = NULL;
    if (!dot && it->kind == BT_WIT_ITEM_FUNCTION && !strcmp(it->function->name, spec)) {
      fn = it->function;
    } else if (dot && it->kind == BT_WIT_ITEM_INTERFACE) {
      const char *iname = it->interface->name ? it->interface->name : it->name;
      if (strlen(iname) == (size_t)(dot - spec) && !strncmp(iname, spec, (size_t)(dot - spec)))
        fn = bt_wit_interface_function(it->interface, dot + 1);
    }
    if (fn) {
      bt_abi_export_name(it, fn, name, size);
      return fn;
    }
  }
  return NULL;
}

static char *g_last; /* the previous call's result text */

/* Calls export `spec` with WAVE arguments (a NULL-terminated list) and
 * returns the result as WAVE text ("()" for none), or "trap: MSG" /
 * "error: MSG". The text lives until the next call. */
static const char *callv(guest_t *g, const char *spec, const char *const *args) {
  free(g_last);
  g_last = NULL;
  char name[512];
  const bt_wit_function_t *fn = find_export(g, spec, name, sizeof name);
  bt_strbuf_t out = BT_STRBUF_INIT;
  if (!fn) {
    bt_strbuf_printf(&out, "error: no export %s", spec);
    return g_last = bt_strbuf_take(&out, NULL);
  }
  baton_value_t vals[32];
  size_t n = 0;
  for (; args[n]; n++) {
    baton_error_t *e = bt_wave_parse(args[n], strlen(args[n]), fn->params[n].type, &vals[n]);
    if (e) {
      bt_strbuf_printf(&out, "error: argument %zu: %s", n, baton_error_message(e));
      baton_error_delete(e);
      for (size_t k = 0; k < n; k++) baton_value_clear(&vals[k]);
      return g_last = bt_strbuf_take(&out, NULL);
    }
  }
  baton_value_t res;
  memset(&res, 0, sizeof res);
  baton_trap_t *trap = NULL;
  baton_error_t *e = bt_abi_call(g->inst, fn, name, vals, n, &res, &trap);
  if (e) {
    bt_strbuf_printf(&out, "error: %s", baton_error_message(e));
    baton_error_delete(e);
  } else if (trap) {
    bt_strbuf_printf(&out, "trap: %s", baton_trap_message(trap));
    baton_trap_delete(trap);
  } else if (!fn->result) {
    bt_strbuf_puts(&out, "()");
  } else {
    baton_error_t *pe = bt_wave_print(&res, fn->result, &out);
    if (pe) {
      bt_strbuf_printf(&out, "error: printing: %s", baton_error_message(pe));
      baton_error_delete(pe);
    }
  }
  baton_value_clear(&res);
  for (size_t k = 0; k < n; k++) baton_value_clear(&vals[k]);
  return g_last = bt_strbuf_take(&out, NULL);
}

#define CALL(g, spec, ...) callv((g), (spec), (const char *const[]){__VA_ARGS__ __VA_OPT__(,) NULL})

/* Asserts that calling spec with the arguments returns `want`. */
#define EXPECT(g, want, spec, ...) ASSERT_STREQ(CALL(g, spec, __VA_ARGS__), want)

/* Asserts the host log since the last check and clears it. */
#define EXPECT_LOG(want)                              \
  do {                                                \
    ASSERT_STREQ(bt_strbuf_cstr(&g_log), want);       \
    bt_strbuf_truncate(&g_log, 0);                    \
  } while (0)

/* ---- kitchen: every type kind through exports ---- */

static guest_t g_kitchen;
static bool g_kitchen_ok;

/* A WAVE string literal of n bytes of 'a'..'z' (heap). */
static char *big_wave_string(size_t n) {
  char *s = malloc(n + 3);
  s[0] = '"';
  for (size_t i = 0; i < n; i++) s[i + 1] = (char)('a' + i % 26);
  s[n + 1] = '"';
  s[n + 2] = 0;
  return s;
}

TEST(kitchen_build) {
  ASSERT_TRUE(build_guest("kitchen"));
  g_kitchen_ok = load_guest(&g_kitchen, "kitchen", NULL);
  ASSERT_TRUE(g_kitchen_ok);
}

TEST(kitchen_world_functions) {
  guest_t *g = &g_kitchen;
  ASSERT_TRUE(g_kitchen_ok);
  g_response = "\"Hi, Ann!\"";
  EXPECT(g, "\"hello/Ann/Hi, Ann!\"", "hello", "\"Ann\"");
  EXPECT_LOG("greet(\"Ann\")\n");
  g_response = "\"\"";
  EXPECT(g, "\"hello//\"", "hello", "\"\"");
  EXPECT_LOG("greet(\"\")\n");
  g_response = NULL;
}

TEST(kitchen_primitives) {
  guest_t *g = &g_kitchen;
  ASSERT_TRUE(g_kitchen_ok);
  const char *prims =
      "{b: true, a: -128, c: 255, d: -32768, e: 65535, f: -2147483648, g: 4294967295, "
      "h: -9223372036854775808, i: 18446744073709551615, j: -0.5, k: 1e+300, l: '\\u{10ffff}'}";
  EXPECT(g, prims, "api.echo-prims", prims);
  const char *zero = "{b: false, a: 0, c: 0, d: 0, e: 0, f: 0, g: 0, h: 0, i: 0, j: 0, k: 0, l: 'a'}";
  EXPECT(g, zero, "api.echo-prims", zero);
  EXPECT(g, "{x: -1, y: 2147483647}", "api.echo-point", "{x: -1, y: 2147483647}");
  EXPECT(g, "3.75", "api.add-floats", "1.5", "2.25");
  EXPECT(g, "(-5, 300, -70000, 5000000000)", "api.negate", "5", "-300", "70000", "-5000000000");
  EXPECT(g, "(-127, -32767, -2147483647, -9223372036854775807)", "api.negate", "127", "32767",
         "2147483647", "9223372036854775807");
  EXPECT(g, "18446744073709551615", "api.max-u64", "18446744073709551615", "1");
  EXPECT(g, "'b'", "api.next-char", "'a'");
  EXPECT(g, "'\xee\x80\x80'", "api.next-char", "'\\u{d7ff}'"); /* U+E000 */
  EXPECT(g, "'\xf0\x9f\x98\x81'", "api.next-char", "'\xf0\x9f\x98\x80'");
  EXPECT(g, "red", "api.next-color", "blue");
  EXPECT(g, "blue", "api.next-color", "green");
}

TEST(kitchen_flags) {
  guest_t *g = &g_kitchen;
  ASSERT_TRUE(g_kitchen_ok);
  EXPECT(g, "1021205", "api.sum-flags", "{read, exec}", "{m0, m8}", "{w0, w16}");
  EXPECT(g, "0", "api.sum-flags", "{}", "{}", "{}");
  EXPECT(g, "2", "api.sum-flags", "{write}", "{}", "{}");
  EXPECT(g, "1170807",
         "api.sum-flags", "{read, write, exec}", "{m0, m1, m2, m3, m4, m5, m6, m7}",
         "{w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15, w16}");
  EXPECT(g, "{write, exec}", "api.flip-perms", "{read}");
  EXPECT(g, "{read, write, exec}", "api.flip-perms", "{}");
  EXPECT(g, "{}", "api.flip-perms", "{read, write, exec}");
}

TEST(kitchen_variants) {
  guest_t *g = &g_kitchen;
  ASSERT_TRUE(g_kitchen_ok);
  EXPECT(g, "circle(3)", "api.map-variant", "circle(1.5)");
  EXPECT(g, "rect({x: -4, y: 3})", "api.map-variant", "rect({x: 3, y: -4})");
  EXPECT(g, "named(\"none\")", "api.map-variant", "%none");
  EXPECT(g, "named(\"ABC-\xc3\xa9\")", "api.map-variant", "named(\"abc-\xc3\xa9\")");
  EXPECT(g, "big(18446744073709551615)", "api.map-variant", "big(18446744073709551614)");
  /* Every case of a variant whose flat form needs each join. */
  const char *mixed[] = {"a(1.5)", "a(-0)", "b(18446744073709551615)", "c(-2.5e-300)", "d(-128)",
                         "e((0.5, 4294967295))", "f(\"str\")", "f(\"\")", "g(some(2.5))",
                         "g(none)", "h"};
  for (size_t i = 0; i < BT_ARRAY_LEN(mixed); i++) EXPECT(g, mixed[i], "api.echo-mixed", mixed[i]);
  /* Flat parameters: the guest sees each payload with the right bits. */
  EXPECT(g, "\"a=1.5\"", "api.describe-mixed", "a(1.5)");
  EXPECT(g, "\"b=18446744073709551615\"", "api.describe-mixed", "b(18446744073709551615)");
  EXPECT(g, "\"c=-2.5\"", "api.describe-mixed", "c(-2.5)");
  EXPECT(g, "\"d=-128\"", "api.describe-mixed", "d(-128)");
  EXPECT(g, "\"e=0.25,4000000000\"", "api.describe-mixed", "e((0.25, 4000000000))");
  EXPECT(g, "\"f=h\xc3\xa9\"", "api.describe-mixed", "f(\"h\xc3\xa9\")");
  EXPECT(g, "\"g=1e+10\"", "api.describe-mixed", "g(some(1e10))");
  EXPECT(g, "\"g=none\"", "api.describe-mixed", "g(none)");
  EXPECT(g, "\"h\"", "api.describe-mixed", "h");
}

TEST(kitchen_strings) {
  guest_t *g = &g_kitchen;
  ASSERT_TRUE(g_kitchen_ok);
  EXPECT(g, "\"\"", "api.echo-string", "\"\"");
  EXPECT(g, "\"h\xc3\xa9llo \xf0\x9f\x98\x80\"", "api.echo-string", "\"h\xc3\xa9llo \xf0\x9f\x98\x80\"");
  EXPECT(g, "0", "api.string-len", "\"\"");
  EXPECT(g, "\"abcd\"", "api.concat", "\"ab\"", "\"cd\"");
  EXPECT(g, "\"cd\"", "api.concat", "\"\"", "\"cd\"");
  char *big = big_wave_string(1 << 20);
  EXPECT(g, "1048576", "api.string-len", big);
  ASSERT_TRUE(strcmp(CALL(g, "api.echo-string", big), big) == 0);
  free(big);
  EXPECT(g, "['a', '\xc3\xa9', '\xf0\x9f\x98\x80']", "api.echo-chars",
         "['a', '\xc3\xa9', '\xf0\x9f\x98\x80']");
  EXPECT(g, "[]", "api.echo-chars", "[]");
}

TEST(kitchen_lists_records) {
  guest_t *g = &g_kitchen;
  ASSERT_TRUE(g_kitchen_ok);
  EXPECT(g, "[3, 2, 1]", "api.reverse-list", "[1, 2, 3]");
  EXPECT(g, "[]", "api.reverse-list", "[]");
  EXPECT(g, "[4294967295]", "api.reverse-list", "[4294967295]");
  const char *item = "{name: \"widget\", qty: some(3), tags: [\"a\", \"\", \"ccc\"], price: some(9.5), "
                     "color: blue}";
  EXPECT(g, item, "api.echo-item", item);
  const char *bare = "{name: \"\", tags: [], color: red}"; /* WAVE omits none fields */
  EXPECT(g, bare, "api.echo-item", bare);
  char items[1024];
  snprintf(items, sizeof items, "[%s, %s, {name: \"x\", qty: some(0), tags: [\"t\"], color: green}]",
           item, bare);
  EXPECT(g, items, "api.echo-items", items);
  EXPECT(g, "[]", "api.echo-items", "[]");
  const char *tup = "(255, -32768, 0.125, 'x', \"t\")";
  EXPECT(g, tup, "api.echo-tuple", tup);
  EXPECT(g, "(0, 0, -0, '\\u{0}', \"\")", "api.echo-tuple", "(0, 0, -0, '\\u{0}', \"\")");
}

TEST(kitchen_options_results) {
  guest_t *g = &g_kitchen;
  ASSERT_TRUE(g_kitchen_ok);
  EXPECT(g, "some(\"x\")", "api.echo-option", "some(\"x\")");
  EXPECT(g, "some(\"\")", "api.echo-option", "some(\"\")");
  EXPECT(g, "none", "api.echo-option", "none");
  EXPECT(g, "some(42)", "api.maybe-double", "some(21)");
  EXPECT(g, "none", "api.maybe-double", "none");
  EXPECT(g, "ok(3)", "api.try-div", "7", "2");
  EXPECT(g, "ok(-3)", "api.try-div", "-7", "2");
  EXPECT(g, "err(\"division by zero\")", "api.try-div", "1", "0");
  EXPECT(g, "ok", "api.check", "true");
  EXPECT(g, "err", "api.check", "false");
  EXPECT(g, "ok", "api.only-err", "0");
  EXPECT(g, "err(invalid(5))", "api.only-err", "5");
  EXPECT(g, "ok(15)", "api.only-ok", "5");
  EXPECT(g, "err", "api.only-ok", "101");
  EXPECT(g, "ok([3, 2, 1])", "api.parse", "[1, 2, 3]", "0");
  EXPECT(g, "ok([])", "api.parse", "[]", "0");
  EXPECT(g, "err(not-found(\"missing\"))", "api.parse", "[1, 2, 3]", "1");
  EXPECT(g, "err(invalid(2))", "api.parse", "[9, 9]", "2");
  EXPECT(g, "err(other)", "api.parse", "[]", "3");
}

TEST(kitchen_nesting) {
  guest_t *g = &g_kitchen;
  ASSERT_TRUE(g_kitchen_ok);
  const char *nested = "[some(ok((\"x\", [1, 65535]))), none, some(err(named(\"q\"))), "
                       "some(err(big(7))), some(ok((\"\", []))), some(err(%none))]";
  EXPECT(g, nested, "api.echo-nested", nested);
  EXPECT(g, "[]", "api.echo-nested", "[]");
  const char *deep =
      "{items: [{name: \"a\", qty: some(1), tags: [\"x\", \"y\"], color: red}, "
      "{name: \"b\", tags: [], price: some(-1.25), color: green}], "
      "meta: some((\"m\", [some({x: 1, y: 2}), none, some({x: -3, y: -4})])), "
      "res: err(not-found(\"nf\")), perms: {read, exec}, "
      "shapes: [circle(0.5), rect({x: 5, y: 6}), %none, named(\"n\"), big(9)], "
      "default: [[\"p\", \"q\"], [], [\"\"]]}";
  EXPECT(g, deep, "api.echo-deep", deep);
  const char *deep2 = "{items: [], res: ok([0, 255]), perms: {}, shapes: [], default: []}";
  EXPECT(g, deep2, "api.echo-deep", deep2);
}

TEST(kitchen_many_params) {
  guest_t *g = &g_kitchen;
  ASSERT_TRUE(g_kitchen_ok);
  /* 16 flat parameters pass as core values, 17 spill into a tuple. */
  EXPECT(g, "1496", "api.sum16", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13",
         "14", "15", "16");
  EXPECT(g, "1785", "api.sum17", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13",
         "14", "15", "16", "17");
  EXPECT(g, "584115552120", "api.sum17", "4294967295", "4294967295", "4294967295", "4294967295",
         "4294967295", "4294967295", "4294967295", "4294967295", "4294967295", "4294967295",
         "4294967295", "4294967295", "4294967295", "4294967295", "4294967295", "4294967295", "0");
  /* Spilled parameters that own memory (18 flat values). */
  EXPECT(g, "\"s|3:6|1,-2|3|opt|21\"", "api.mix17", "\"s\"", "[1, 2, 3]", "{x: 1, y: -2}",
         "named(\"n\")", "some(\"opt\")", "1", "2", "3", "4", "5", "6");
  EXPECT(g, "\"|0:0|0,0|2|none|0\"", "api.mix17", "\"\"", "[]", "{x: 0, y: 0}", "%none", "none",
         "0", "0", "0", "0", "0", "0");
}

/* Repeated calls that allocate must not grow the guest's memory: every
 * post-return and every ownership helper frees what it should. */
TEST(kitchen_no_leaks) {
  guest_t *g = &g_kitchen;
  ASSERT_TRUE(g_kitchen_ok);
  char *big = big_wave_string(1 << 20);
  CALL(g, "api.echo-string", big); /* warm up the allocator */
  CALL(g, "api.string-len", big);
  long before = strtol(CALL(g, "api.mem-pages"), NULL, 10);
  ASSERT_TRUE(before > 0);
  for (int i = 0; i < 40; i++) {
    ASSERT_TRUE(strcmp(CALL(g, "api.echo-string", big), big) == 0);
    EXPECT(g, "1048576", "api.string-len", big);
  }
  free(big);
  const char *deep = "{items: [{name: \"a\", qty: some(1), tags: [\"x\", \"y\"], color: red}], "
                     "meta: some((\"m\", [none])), res: err(not-found(\"nf\")), perms: {}, "
                     "shapes: [named(\"n\")], default: [[\"p\"]]}";
  for (int i = 0; i < 2000; i++) {
    ASSERT_TRUE(strcmp(CALL(g, "api.echo-deep", deep), deep) == 0);
    CALL(g, "api.describe-mixed", "f(\"some text\")");
    CALL(g, "api.mix17", "\"s\"", "[1, 2, 3]", "{x: 1, y: -2}", "named(\"n\")", "some(\"opt\")", "1",
         "2", "3", "4", "5", "6");
    CALL(g, "api.parse", "[1, 2, 3]", "1");
  }
  long after = strtol(CALL(g, "api.mem-pages"), NULL, 10);
  ASSERT_TRUE(after - before <= 2);
}

/* ---- kitchen: imports, through relay ---- */

/* Calls relay.<fn> with the host answering `response`, and checks both the
 * value that came back and what the host received. */
#define RELAY(want_result, want_log, response, fn, ...)   \
  do {                                                   \
    g_response = (response);                             \
    EXPECT(&g_kitchen, want_result, "relay." fn, __VA_ARGS__); \
    g_response = NULL;                                   \
    EXPECT_LOG(want_log);                                \
  } while (0)

/* relay.<fn>(arg) with the host echoing its argument. */
static void relay_echo(const char *fn, const char *arg) {
  char spec[128], log[8192];
  snprintf(spec, sizeof spec, "relay.%s", fn);
  snprintf(log, sizeof log, "%s(%s)\n", fn, arg);
  g_response = NULL;
  EXPECT(&g_kitchen, arg, spec, arg);
  EXPECT_LOG(log);
}

TEST(kitchen_imports) {
  ASSERT_TRUE(g_kitchen_ok);
  bt_strbuf_truncate(&g_log, 0);
  RELAY("()", "log(\"a message\")\n", NULL, "log", "\"a message\"");
  RELAY("()", "log(\"\")\n", NULL, "log", "\"\"");
  RELAY("ok(\"v\")", "get-config(\"k\")\n", "ok(\"v\")", "get-config", "\"k\"");
  RELAY("err(not-found(\"k\"))", "get-config(\"k\")\n", "err(not-found(\"k\"))", "get-config", "\"k\"");
  RELAY("err(invalid(7))", "get-config(\"\")\n", "err(invalid(7))", "get-config", "\"\"");
  RELAY("err(other)", "get-config(\"x\")\n", "err(other)", "get-config", "\"x\"");
  const char *items = "[{name: \"a\", qty: some(1), tags: [\"t\"], color: red}, "
                      "{name: \"\", tags: [], price: some(2.5), color: blue}]";
  RELAY(items, "make-items(2)\n", items, "make-items", "2");
  RELAY("[]", "make-items(0)\n", "[]", "make-items", "0");
  /* Flat arguments with variant joins, lowered by the generated wrapper. */
  RELAY("7", "check-mixed(named(\"s\"), g(some(1.5)), blue, {read, write}, '\xf0\x9f\x98\x80', some(-0.5))\n",
        "7", "check-mixed", "named(\"s\")", "g(some(1.5))", "blue", "{read, write}",
        "'\xf0\x9f\x98\x80'", "some(-0.5)");
  RELAY("8", "check-mixed(rect({x: -1, y: -2}), d(-5), red, {}, 'a', none)\n", "8", "check-mixed",
        "rect({x: -1, y: -2})", "d(-5)", "red", "{}", "'a'", "none");
  RELAY("9", "check-mixed(circle(0.5), e((1.5, 4000000000)), green, {exec}, '\\u{0}', some(1e+300))\n",
        "9", "check-mixed", "circle(0.5)", "e((1.5, 4000000000))", "green", "{exec}", "'\\u{0}'",
        "some(1e300)");
  RELAY("10", "check-mixed(big(18446744073709551615), b(9223372036854775808), red, {}, 'z', none)\n",
        "10", "check-mixed", "big(18446744073709551615)", "b(9223372036854775808)", "red", "{}", "'z'",
        "none");
  RELAY("11", "check-mixed(%none, a(-1.5), red, {}, 'z', none)\n", "11", "check-mixed", "%none",
        "a(-1.5)", "red", "{}", "'z'", "none");
  RELAY("12", "check-mixed(circle(-0), c(2.5), red, {}, 'z', none)\n", "12", "check-mixed",
        "circle(-0)", "c(2.5)", "red", "{}", "'z'", "none");
  RELAY("13", "check-mixed(circle(1), f(\"str\"), red, {}, 'z', none)\n", "13", "check-mixed",
        "circle(1)", "f(\"str\")", "red", "{}", "'z'", "none");
  RELAY("14", "check-mixed(circle(1), g(none), red, {}, 'z', none)\n", "14", "check-mixed",
        "circle(1)", "g(none)", "red", "{}", "'z'", "none");
  RELAY("15", "check-mixed(circle(1), h, red, {}, 'z', none)\n", "15", "check-mixed", "circle(1)",
        "h", "red", "{}", "'z'", "none");
  /* 17 parameters spill into a tuple the guest passes by address. */
  RELAY("99", "count17(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 4294967295)\n", "99",
        "count17", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15",
        "16", "4294967295");
  RELAY("\"joined\"", "join9(\"a\", \"\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\xc3\xa9\")\n",
        "\"joined\"", "join9", "\"a\"", "\"\"", "\"c\"", "\"d\"", "\"e\"", "\"f\"", "\"g\"", "\"h\"",
        "\"i\xc3\xa9\"");
  const char *prims =
      "{b: true, a: -1, c: 200, d: -2, e: 60000, f: -3, g: 4000000000, h: -4, i: 5, j: 0.5, "
      "k: -1e-300, l: '\xc3\xa9'}";
  relay_echo("get-prims", prims);
  RELAY("some(6)", "maybe(some(5))\n", "some(6)", "maybe", "some(5)");
  RELAY("none", "maybe(none)\n", "none", "maybe", "none");
  RELAY("green", "pick-color(1)\n", "green", "pick-color", "1");
  RELAY("{w0, w16}", "get-flags({read}, {m8}, {w1})\n", "{w0, w16}", "get-flags", "{read}", "{m8}",
        "{w1}");
  relay_echo("next-char", "'\xf0\x9f\x98\x80'");
  relay_echo("get-nested", "[some(ok((\"x\", [1, 65535]))), none, some(err(named(\"q\"))), "
                           "some(err(big(7)))]");
  relay_echo("get-deep",
             "{items: [{name: \"a\", qty: some(1), tags: [\"x\", \"y\"], color: red}], "
             "meta: some((\"m\", [some({x: 1, y: 2}), none])), res: ok([1, 2]), "
             "perms: {write}, shapes: [circle(0.5), named(\"n\")], default: [[\"p\"], []]}");
  RELAY("ok", "unit(true)\n", "ok", "unit", "true");
  RELAY("err", "unit(false)\n", "err", "unit", "false");
  relay_echo("get-f64", "-1.5");
  relay_echo("get-f64", "1e+300");
  relay_echo("get-u64", "18446744073709551615");
  relay_echo("get-s8", "-128");
  const char *mixed[] = {"a(1.5)", "b(18446744073709551615)", "c(-2.5e-300)", "d(-128)",
                         "e((0.5, 4294967295))", "f(\"str\")", "g(some(2.5))", "g(none)", "h"};
  for (size_t i = 0; i < BT_ARRAY_LEN(mixed); i++) relay_echo("get-mixed", mixed[i]);
  RELAY("err(invalid(3))", "only-err(3)\n", "err(invalid(3))", "only-err", "3");
  RELAY("ok", "only-err(0)\n", "ok", "only-err", "0");
  relay_echo("get-tuple", "(255, -32768, 0.125, 'x', \"t\")");
  /* Import results the host allocates in the guest are freed by the guest:
   * many round trips do not grow memory. */
  long before = strtol(CALL(&g_kitchen, "api.mem-pages"), NULL, 10);
  for (int i = 0; i < 2000; i++) {
    g_response = items;
    CALL(&g_kitchen, "relay.make-items", "2");
    g_response = "err(not-found(\"some key\"))";
    CALL(&g_kitchen, "relay.get-config", "\"k\"");
    g_response = NULL;
    CALL(&g_kitchen, "relay.get-nested", "[some(ok((\"x\", [1, 65535]))), some(err(named(\"q\")))]");
  }
  g_response = NULL;
  bt_strbuf_truncate(&g_log, 0);
  long after = strtol(CALL(&g_kitchen, "api.mem-pages"), NULL, 10);
  ASSERT_TRUE(before > 0 && after - before <= 2);
}


/* ---- resources: imported blobs, exported counters ---- */

static struct {
  uint8_t data[64];
  size_t len;
  bool live;
} g_blobs[64];
static size_t g_nblobs;

static uint32_t blob_new(const uint8_t *p, size_t n) {
  if (g_nblobs == BT_ARRAY_LEN(g_blobs) || n > sizeof g_blobs[0].data) abort();
  memcpy(g_blobs[g_nblobs].data, p, n);
  g_blobs[g_nblobs].len = n;
  g_blobs[g_nblobs].live = true;
  return (uint32_t)++g_nblobs;
}

static bool blob_ok(uint32_t h) { return h >= 1 && h <= g_nblobs && g_blobs[h - 1].live; }

/* The host's blob functions (see host_special_t). */
static const char *blob_special(const host_fn_t *h, const baton_value_t *args, char *buf,
                                size_t size) {
  const char *name = h->fn->name;
  if (!strcmp(name, "[constructor]blob")) {
    uint8_t tmp[64];
    size_t n = args[0].of.seq.len;
    if (n > sizeof tmp) return NULL;
    for (size_t i = 0; i < n; i++) tmp[i] = (uint8_t)args[0].of.seq.items[i].of.u;
    snprintf(buf, size, "blob(%u)", blob_new(tmp, n));
    return buf;
  }
  if (!strcmp(name, "open")) {
    if (!args[0].of.str.len) return "err(\"empty name\")";
    snprintf(buf, size, "ok(blob(%u))",
             blob_new((const uint8_t *)args[0].of.str.ptr, args[0].of.str.len));
    return buf;
  }
  uint32_t b = args[0].of.handle;
  if (!blob_ok(b)) return NULL;
  if (!strcmp(name, "[method]blob.size")) {
    snprintf(buf, size, "%zu", g_blobs[b - 1].len);
    return buf;
  }
  if (!strcmp(name, "[method]blob.read")) {
    size_t n = args[1].of.u < g_blobs[b - 1].len ? args[1].of.u : g_blobs[b - 1].len, k = 0;
    k += (size_t)snprintf(buf + k, size - k, "[");
    for (size_t i = 0; i < n; i++)
      k += (size_t)snprintf(buf + k, size - k, "%s%u", i ? ", " : "", g_blobs[b - 1].data[i]);
    snprintf(buf + k, size - k, "]");
    return buf;
  }
  if (!strcmp(name, "[static]blob.merge")) {
    uint32_t c = args[1].of.handle;
    if (!blob_ok(c) || g_blobs[b - 1].len + g_blobs[c - 1].len > sizeof g_blobs[0].data) return NULL;
    uint8_t tmp[64];
    memcpy(tmp, g_blobs[b - 1].data, g_blobs[b - 1].len);
    memcpy(tmp + g_blobs[b - 1].len, g_blobs[c - 1].data, g_blobs[c - 1].len);
    g_blobs[b - 1].live = false; /* merge consumed the owned handle */
    snprintf(buf, size, "blob(%u)", blob_new(tmp, g_blobs[b - 1].len + g_blobs[c - 1].len));
    return buf;
  }
  return NULL;
}

static struct {
  uint32_t rep;
  bool live;
} g_counters[64];
static size_t g_ncounters;
static uint32_t g_dead_reps[64]; /* reps whose last handle was dropped */
static size_t g_ndead;

/* The raw resource imports: env names the resource and the operation. */
static baton_trap_t *raw_resource(void *env, baton_caller_t *caller, const baton_val_t *args,
                                  baton_val_t *results) {
  const char *op = env;
  uint32_t x = (uint32_t)args[0].of.i32;
  if (!strcmp(op, "drop blob")) {
    if (!blob_ok(x)) return baton_trap_new(BATON_TRAP_HOST, "drop of dead blob %u", x);
    g_blobs[x - 1].live = false;
  } else if (!strcmp(op, "drop session")) {
    /* a scripted handle: nothing to free */
  } else if (!strcmp(op, "new counter")) {
    if (g_ncounters == BT_ARRAY_LEN(g_counters)) abort();
    g_counters[g_ncounters].rep = x;
    g_counters[g_ncounters].live = true;
    results[0] = (baton_val_t){.kind = BATON_I32, .of.i32 = (int32_t)++g_ncounters};
    bt_strbuf_printf(&g_log, "new counter(%zu)\n", g_ncounters);
    return NULL;
  } else {
    if (x < 1 || x > g_ncounters || !g_counters[x - 1].live)
      return baton_trap_new(BATON_TRAP_HOST, "%s: bad handle %u", op, x);
    if (!strcmp(op, "rep counter")) {
      results[0] = (baton_val_t){.kind = BATON_I32, .of.i32 = (int32_t)g_counters[x - 1].rep};
      return NULL;
    }
    g_counters[x - 1].live = false; /* drop counter */
    g_dead_reps[g_ndead++] = g_counters[x - 1].rep;
  }
  bt_strbuf_printf(&g_log, "%s(%u)\n", op, x);
  return NULL;
}

static baton_error_t *define_raw(baton_linker_t *l, const char *module, const char *name,
                                 const char *op, bool has_result) {
  static const baton_valkind_t i32[1] = {BATON_I32};
  baton_functype_t ft = {i32, 1, i32, has_result ? 1 : 0};
  return baton_linker_define_func(l, module, name, &ft, raw_resource, (void *)op, NULL);
}

static baton_error_t *define_resource_host(baton_linker_t *l, const bt_wit_world_t *w) {
  const char *ex = "[export]test:bg/counters@0.1.0";
  baton_error_t *e = define_raw(l, "test:bg/store@0.1.0", "[resource-drop]blob", "drop blob", false);
  if (!e) e = define_raw(l, ex, "[resource-new]counter", "new counter", true);
  if (!e) e = define_raw(l, ex, "[resource-rep]counter", "rep counter", true);
  if (!e) e = define_raw(l, ex, "[resource-drop]counter", "drop counter", false);
  return e;
}

/* The rep behind counter handle h, as WAVE for a borrow parameter. */
static const char *counter_arg(uint32_t h) {
  static char bufs[4][32];
  static int k;
  char *b = bufs[k++ % 4];
  snprintf(b, sizeof bufs[0], "counter(%u)", h >= 1 && h <= g_ncounters ? g_counters[h - 1].rep : 0);
  return b;
}

/* Runs the destructor export for rep, as a runtime does when the last
 * handle to a guest-defined resource goes away. */
static bool destroy(guest_t *g, uint32_t rep) {
  baton_val_t arg = {.kind = BATON_I32, .of.i32 = (int32_t)rep};
  baton_trap_t *trap = NULL;
  baton_error_t *e =
      baton_instance_call(g->inst, "test:bg/counters@0.1.0#[dtor]counter", &arg, 1, NULL, 0, &trap);
  bool ok = !e && !trap;
  baton_error_delete(e);
  baton_trap_delete(trap);
  return ok;
}

static guest_t g_res;

TEST(resources) {
  ASSERT_TRUE(build_guest("resources"));
  g_special = blob_special;
  bool loaded = load_guest(&g_res, "resources", define_resource_host);
  g_special = NULL;
  ASSERT_TRUE(loaded);
  guest_t *g = &g_res;
  bt_strbuf_truncate(&g_log, 0);
  /* Exported resource: constructor, methods (self arrives as the rep),
   * static function, handles inside a tuple and a list of borrows. */
  EXPECT(g, "counter(1)", "counters.[constructor]counter", "5");
  EXPECT_LOG("new counter(1)\n");
  ASSERT_NE(g_counters[0].rep, 0);
  EXPECT(g, "8", "counters.[method]counter.add", counter_arg(1), "3");
  EXPECT(g, "8", "counters.[method]counter.get", counter_arg(1));
  EXPECT(g, "counter(2)", "counters.[static]counter.make", "4");
  EXPECT(g, "40", "counters.[method]counter.get", counter_arg(2));
  EXPECT(g, "(counter(3), counter(4))", "counters.make-pair", "10");
  EXPECT_LOG("new counter(2)\nnew counter(3)\nnew counter(4)\n");
  char list[128];
  snprintf(list, sizeof list, "[%s, %s, %s]", counter_arg(3), counter_arg(4), counter_arg(1));
  EXPECT(g, "29", "counters.total", list);
  EXPECT(g, "0", "counters.total", "[]");
  EXPECT(g, "4", "counters.live");
  /* An owned imported handle passed to an export, used and dropped. */
  uint32_t b = blob_new((const uint8_t *)"\x01\x02\x03\x04\x05", 5);
  char barg[32];
  snprintf(barg, sizeof barg, "blob(%u)", b);
  EXPECT(g, "5", "counters.[method]counter.absorb", counter_arg(1), barg);
  char want[256];
  snprintf(want, sizeof want, "[method]blob.size(%s)\ndrop blob(%u)\n", barg, b);
  EXPECT_LOG(want);
  ASSERT_FALSE(g_blobs[b - 1].live);
  EXPECT(g, "13", "counters.[method]counter.get", counter_arg(1));
  /* A borrowed imported handle: a method call, then drop_borrow. */
  b = blob_new((const uint8_t *)"\x09\x08\x07", 3);
  snprintf(barg, sizeof barg, "blob(%u)", b);
  EXPECT(g, "[9, 8]", "counters.peek", barg, "2");
  snprintf(want, sizeof want, "[method]blob.read(%s, 2)\ndrop blob(%u)\n", barg, b);
  EXPECT_LOG(want);
  /* Imported constructor, methods, a static taking own + borrow, drops. */
  size_t first = g_nblobs + 1;
  EXPECT(g, "\"3|6|1,2,3,1,\"", "counters.blob-roundtrip", "[1, 2, 3]");
  snprintf(want, sizeof want,
           "[constructor]blob([1, 2, 3])\n[constructor]blob([1, 2, 3])\n[method]blob.size(blob(%zu))\n"
           "[static]blob.merge(blob(%zu), blob(%zu))\n[method]blob.size(blob(%zu))\n"
           "[method]blob.read(blob(%zu), 4)\ndrop blob(%zu)\ndrop blob(%zu)\n",
           first, first, first + 1, first + 2, first + 2, first + 1, first + 2);
  EXPECT_LOG(want);
  for (size_t i = first; i <= g_nblobs; i++) ASSERT_FALSE(g_blobs[i - 1].live);
  /* A result carrying an owned handle. */
  EXPECT(g, "ok(3)", "counters.open-size", "\"abc\"");
  snprintf(want, sizeof want, "open(\"abc\")\n[method]blob.size(blob(%zu))\ndrop blob(%zu)\n",
           g_nblobs, g_nblobs);
  EXPECT_LOG(want);
  EXPECT(g, "err(\"empty name\")", "counters.open-size", "\"\"");
  EXPECT_LOG("open(\"\")\n");
  /* The guest drops its own resource: resource.rep, resource.drop, and the
   * destructor (run by the host as a runtime would) frees the rep. */
  EXPECT(g, "counter(5)", "counters.[constructor]counter", "7");
  EXPECT(g, "5", "counters.live");
  EXPECT(g, "7", "counters.discard", "counter(5)");
  EXPECT_LOG("new counter(5)\ndrop counter(5)\n");
  ASSERT_EQ(g_ndead, 1);
  ASSERT_TRUE(destroy(g, g_dead_reps[0]));
  EXPECT(g, "4", "counters.live");
  for (uint32_t h = 1; h <= 4; h++) ASSERT_TRUE(destroy(g, g_counters[h - 1].rep));
  EXPECT(g, "0", "counters.live");
}

/* ---- misc: world-level types and resource, inline interfaces ---- */

static guest_t g_misc;

static baton_error_t *define_misc_host(baton_linker_t *l, const bt_wit_world_t *w) {
  return define_raw(l, "$root", "[resource-drop]session", "drop session", false);
}

TEST(misc) {
  ASSERT_TRUE(build_guest("misc"));
  ASSERT_TRUE(load_guest(&g_misc, "misc", define_misc_host));
  guest_t *g = &g_misc;
  bt_strbuf_truncate(&g_log, 0);
  answer("lookup", "[{name: \"found\", retries: 3, tags: [\"x\", \"y\"]}]");
  answer("get", "some(\"/home/ann\")");
  answer("[constructor]session", "session(42)");
  answer("[method]session.id", "4242");
  EXPECT(g, "\"n=1;first=found/3/2;home=/home/ann;id=4242;tags=1\"", "run",
         "{name: \"svc\", retries: 2, tags: [\"a\"]}");
  EXPECT_LOG("log-line(\"run svc x2\")\n"
             "lookup({name: \"svc\", retries: 2, tags: [\"a\"]}, high)\n"
             "get(\"HOME\")\n"
             "[constructor]session(\"svc\")\n"
             "[method]session.id(session(42))\n"
             "drop session(42)\n");
  answer("lookup", "[]");
  answer("get", "none");
  answer("[constructor]session", "session(7)");
  answer("[method]session.id", "0");
  EXPECT(g, "\"n=0;first=/0/0;home=-;id=0;tags=0\"", "run", "{name: \"\", retries: 0, tags: []}");
  EXPECT_LOG("log-line(\"run  x0\")\nlookup({name: \"\", retries: 0, tags: []}, high)\nget(\"HOME\")\n"
             "[constructor]session(\"\")\n[method]session.id(session(7))\ndrop session(7)\n");
  clear_answers();
  EXPECT(g, "42", "tools.twice", "21");
  EXPECT(g, "\"a=1;b;=255;\"", "tools.describe", "[(\"a\", some(1)), (\"b\", none), (\"\", some(255))]");
  EXPECT(g, "\"\"", "tools.describe", "[]");
}

/* ---- WIT that parses but has no C binding ---- */

/* Async functions, map/stream/future/error-context and field-less records
 * are refused by name, never emitted as broken C. */
TEST(unsupported_wit) {
  static const struct {
    const char *wit, *msg;
  } cases[] = {
      {"package a:b; world w { export g: async func(); }",
       "world w: function g is async (component-model async), which C bindings do not support"},
      {"package a:b; interface i { resource r { m: async func(); } } world w { import i; }",
       "world w: function [method]r.m is async"},
      {"package a:b; interface i { type m = map<string, u32>; } world w { export i; }",
       "world w: type m: map<string, u32> has no C binding (maps are not supported)"},
      {"package a:b; interface i { record e {} f: func(); } world w { import i; }",
       "world w: type e: e has no C binding (a record needs at least one field)"},
      {"package a:b; world w { type s = stream<u8>; import f: func(s: s); }",
       "world w: type s: stream<u8> has no C binding (component-model async is not supported)"},
      {"package a:b; world w { import f: func(x: list<future>); }",
       "world w: function f: parameter x: future: component-model async types are not supported"},
      {"package a:b; world w { export f: func() -> error-context; }",
       "world w: function f: result: error-context: component-model async types"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    bt_wit_resolve_t *r = NULL;
    ASSERT_OK(bt_wit_parse_string("unsup.wit", cases[k].wit, &r));
    const bt_wit_world_t *w = NULL;
    ASSERT_OK(bt_wit_find_world(r, "w", &w));
    bt_bindgen_output_t out;
    memset(&out, 0, sizeof out);
    baton_error_t *e = bt_bindgen_c(r, w, &out);
    ASSERT_NOT_NULL(e);
    ASSERT_EQ(baton_error_code(e), BATON_EUNSUPPORTED);
    ASSERT_CONTAINS(baton_error_message(e), cases[k].msg);
    baton_error_delete(e);
    bt_bindgen_output_free(&out);
    bt_wit_free(r);
  }
}

/* ---- the example of docs/bindgen.md ---- */

static guest_t g_orders;

TEST(orders_example) {
  ASSERT_TRUE(build_guest_from("tests/bindgen/orders", "orders", "tests/bindgen/orders/orders.c"));
  ASSERT_TRUE(load_guest(&g_orders, "orders", NULL));
  guest_t *g = &g_orders;
  bt_strbuf_truncate(&g_log, 0);
  answer("get-config", "ok(\"Hello\")");
  EXPECT(g, "\"Hello, Bob\"", "handle-init", "\"Bob\"");
  EXPECT_LOG("get-config(\"greeting\")\n");
  answer("get-config", "err(missing(\"greeting\"))");
  EXPECT(g, "\"missing greeting\"", "handle-init", "\"Bob\"");
  answer("get-config", "err(invalid)");
  EXPECT(g, "\"invalid\"", "handle-init", "\"\"");
  clear_answers();
  bt_strbuf_truncate(&g_log, 0);
  EXPECT(g, "5", "total-qty",
         "{id: 7, customer: \"c\", lines: [{sku: \"a\", qty: 2}, {sku: \"b\", qty: 3}], note: some(\"n\")}");
  EXPECT(g, "0", "total-qty", "{id: 18446744073709551615, customer: \"\", lines: []}");
}

/* ---- the generator itself ---- */

/* In-process generation is deterministic, and every allocation failure
 * ends in a NO_MEMORY error with nothing leaked (the sanitizer build checks
 * leaks) and the output left zeroed. */
TEST(generator_oom) {
  const bt_wit_world_t *worlds[] = {find_world("orders"), find_world("misc")};
  for (size_t w = 0; w < BT_ARRAY_LEN(worlds); w++) {
    ASSERT_NOT_NULL(worlds[w]);
    const bt_wit_resolve_t *r = w == 0 ? g_orders_wit : g_wit;
    bt_bindgen_output_t a, b;
    ASSERT_OK(bt_bindgen_c(r, worlds[w], &a));
    ASSERT_OK(bt_bindgen_c(r, worlds[w], &b));
    ASSERT_STREQ(a.header, b.header);
    ASSERT_STREQ(a.source, b.source);
    ASSERT_STREQ(a.base, worlds[w]->name);
    bt_bindgen_output_free(&b);
    long failures = 0;
    for (long n = 0;; n++) {
      bt_alloc_fail_after(n);
      baton_error_t *e = bt_bindgen_c(r, worlds[w], &b);
      long failed_allocs = bt_alloc_fail_after(-1);
      if (!e) {
        ASSERT_EQ(failed_allocs, 0);
        ASSERT_STREQ(b.source, a.source);
        bt_bindgen_output_free(&b);
        break;
      }
      failures++;
      ASSERT_EQ(baton_error_code(e), BATON_ENO_MEMORY);
      baton_error_delete(e);
      ASSERT_NULL(b.header);
      ASSERT_NULL(b.source);
      ASSERT_TRUE(n < 1000000);
    }
    ASSERT_TRUE(failures > 100);
    bt_bindgen_output_free(&a);
  }
}

int main(void) {
  const char *src = getenv("BATON_SOURCE_DIR");
  snprintf(g_src, sizeof g_src, "%s", src ? src : ".");
  const char *tmpdir = getenv("TMPDIR");
  snprintf(g_tmp, sizeof g_tmp, "%s/baton-bindgen.XXXXXX", tmpdir ? tmpdir : "/tmp");
  if (!mkdtemp(g_tmp)) {
    perror("mkdtemp");
    return 1;
  }
  char wit[2200];
  snprintf(wit, sizeof wit, "%s/tests/bindgen/wit", g_src);
  baton_error_t *err = bt_wit_parse_path(wit, &g_wit);
  snprintf(wit, sizeof wit, "%s/tests/bindgen/orders", g_src);
  if (!err) err = bt_wit_parse_path(wit, &g_orders_wit);
  if (!err) err = baton_engine_new(NULL, &g_engine);
  if (err) {
    fprintf(stderr, "setup: %s\n", baton_error_message(err));
    baton_error_delete(err);
    return 1;
  }
  RUN(generator_oom);
  RUN(kitchen_build);
  RUN(kitchen_world_functions);
  RUN(kitchen_primitives);
  RUN(kitchen_flags);
  RUN(kitchen_variants);
  RUN(kitchen_strings);
  RUN(kitchen_lists_records);
  RUN(kitchen_options_results);
  RUN(kitchen_nesting);
  RUN(kitchen_many_params);
  RUN(kitchen_no_leaks);
  RUN(kitchen_imports);
  RUN(resources);
  RUN(misc);
  RUN(unsupported_wit);
  RUN(orders_example);
  unload_guest(&g_kitchen);
  unload_guest(&g_orders);
  unload_guest(&g_res);
  unload_guest(&g_misc);
  for (size_t i = 0; i < g_nhost; i++) free(g_host_fns[i]);
  free(g_last);
  bt_strbuf_free(&g_log);
  baton_engine_delete(g_engine);
  bt_wit_free(g_wit);
  bt_wit_free(g_orders_wit);
  if (!getenv("BATON_BINDGEN_KEEP")) {
    char *rm[] = {"rm", "-rf", g_tmp, NULL};
    run(rm);
  } else {
    fprintf(stderr, "kept %s\n", g_tmp);
  }
  TEST_MAIN_END();
}
