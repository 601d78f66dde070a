/*
 * tests/abi/test_abi_calls.c: typed calls through the Canonical ABI on real
 * guests (tests/guests/abi_*.c, written directly against the ABI).
 *
 * abi_types.wasm exports functions of every WIT type kind: echoes whose
 * cabi_post_* frees what the result points to and counts its calls, 16 and
 * 17 flat parameters (the latter spilled to a tuple allocated with
 * cabi_realloc), results through a return area, 1 MiB strings and 100000
 * element lists, and an interface of functions that break the ABI on
 * purpose (each must trap with a precise message and poison the instance).
 * abi_host.wasm calls typed host imports; abi_caller.wasm is wired
 * guest-to-guest to abi_types. The guests count live allocations, so the
 * tests also check that ownership of every string and list was handed over
 * and released exactly once; the direct copies are checked to allocate
 * nothing on the host.
 */
#include "test.h"

#include "abi_fixture.h"

/* ---- typed calls on abi_types.wasm ---- */

static baton_module_t *g_types_mod, *g_host_mod, *g_caller_mod;
static baton_linker_t *g_empty_linker;

/* The core export name of a function of interface `iface` (or a world
 * function when iface is NULL). */
static const char *ename(const char *iface_name, const char *name) {
  static char buf[4][128];
  static int k;
  char *b = buf[k++ % 4];
  if (iface_name) snprintf(b, 128, "test:abi/%s#%s", iface_name, name);
  else snprintf(b, 128, "%s", name);
  return b;
}

/* Calls iface#name with arguments given as WAVE texts and returns the
 * result printed as WAVE ("" when there is none). */
static const char *call_wave(baton_instance_t *inst, const char *iface_name, const char *name,
                             const char *const *args, size_t nargs) {
  static char out[8192];
  const bt_wit_function_t *fn = F(iface_name, name);
  baton_value_t a[20], res;
  for (size_t i = 0; i < nargs; i++) a[i] = V(fn->params[i].type, args[i]);
  baton_trap_t *trap = NULL;
  baton_error_t *e = bt_abi_call(inst, fn, ename(iface_name, name), a, nargs, &res, &trap);
  for (size_t i = 0; i < nargs; i++) baton_value_clear(&a[i]);
  if (e || trap) {
    snprintf(out, sizeof out, "FAILED: %s", e ? baton_error_message(e) : baton_trap_message(trap));
    baton_error_delete(e);
    baton_trap_delete(trap);
    return out;
  }
  snprintf(out, sizeof out, "%s", fn->result ? W(fn->result, &res) : "");
  baton_value_clear(&res);
  return out;
}

#define ECHO(inst, iface_name, name, text, expect)                                \
  do {                                                                            \
    const char *args_[1] = {(text)};                                              \
    ASSERT_STREQ(call_wave((inst), (iface_name), (name), args_, 1), (expect));    \
  } while (0)

TEST(check_world_and_exports) {
  ASSERT_OK(bt_abi_check_world(g_types_mod, g_types_world));
  ASSERT_OK(bt_abi_check_world(g_host_mod, g_host_world));
  ASSERT_OK(bt_abi_check_world(g_caller_mod, g_caller_world));
  baton_error_t *e = bt_abi_check_export(g_types_mod, F("api", "next-char"), "echo-string");
  ASSERT_NOT_NULL(e);
  ASSERT_EQ(baton_error_code(e), BATON_ELINK);
  ASSERT_STREQ(baton_error_message(e),
               "export \"echo-string\": WIT type func(c: char) -> char flattens to (i32) -> i32 but "
               "the module has (i32, i32) -> i32");
  baton_error_delete(e);
  e = bt_abi_check_export(g_types_mod, F(NULL, "echo-string"), "no-such-fn");
  ASSERT_EQ(baton_error_code(e), BATON_ENOT_FOUND);
  ASSERT_CONTAINS(baton_error_message(e), "has no export \"no-such-fn\" for WIT function func(s: string) -> string");
  baton_error_delete(e);
  e = bt_abi_check_world(g_host_mod, world("wrong"));
  ASSERT_EQ(baton_error_code(e), BATON_ELINK);
  ASSERT_STREQ(baton_error_message(e),
               "world wrong: import \"$root\" \"greet\": WIT type func(name: string, n: u32) -> string "
               "flattens to (i32, i32, i32, i32) -> () but the module has (i32, i32, i32) -> ()");
  baton_error_delete(e);
  /* The caller guest does not export the api: checking it as types-guest fails. */
  e = bt_abi_check_world(g_caller_mod, g_types_world);
  ASSERT_EQ(baton_error_code(e), BATON_ENOT_FOUND);
  baton_error_delete(e);
}

TEST(call_strings) {
  baton_instance_t *inst = instantiate(g_empty_linker, g_types_mod);
  ASSERT_NOT_NULL(inst);
  uint32_t live0 = call_u32(inst, "live-allocs"), post0 = call_u32(inst, "post-count");
  const bt_wit_function_t *echo = F(NULL, "echo-string");
  char *mib = big_text(1 << 20);
  const char *texts[] = {"", "h\xc3\xa9llo w\xc3\xb6rld", mib};
  for (size_t i = 0; i < 3; i++) {
    baton_value_t arg = {.kind = BATON_VALUE_STRING, .of.str = {(char *)texts[i], strlen(texts[i])}}, res;
    CALL(inst, echo, "echo-string", &arg, 1, &res);
    ASSERT_EQ(res.kind, BATON_VALUE_STRING);
    ASSERT_EQ(res.of.str.len, strlen(texts[i]));
    ASSERT_TRUE(memcmp(res.of.str.ptr, texts[i], res.of.str.len) == 0);
    ASSERT_EQ(res.of.str.ptr[res.of.str.len], 0);
    baton_value_clear(&res);
  }
  ASSERT_EQ(call_u32(inst, "post-count"), post0 + 3);
  ASSERT_EQ(call_u32(inst, "live-allocs"), live0);
  /* 1 MiB in: length and byte sum computed by the guest. */
  uint32_t sum = 0;
  for (size_t i = 0; i < (1u << 20); i++) sum += (uint8_t)mib[i];
  baton_value_t arg = {.kind = BATON_VALUE_STRING, .of.str = {mib, 1u << 20}}, res;
  CALL(inst, F(NULL, "string-stats"), "string-stats", &arg, 1, &res);
  ASSERT_EQ(res.kind, BATON_VALUE_TUPLE);
  ASSERT_EQ(res.of.seq.items[0].of.u, 1u << 20);
  ASSERT_EQ(res.of.seq.items[1].of.u, sum);
  baton_value_clear(&res);
  free(mib);
  /* 1 MiB out: 349525 euro signs. */
  baton_value_t margs[2] = {U32(349525), {.kind = BATON_VALUE_CHAR, .of.ch = 0x20AC}};
  CALL(inst, F(NULL, "make-string"), "make-string", margs, 2, &res);
  ASSERT_EQ(res.of.str.len, 3 * 349525);
  ASSERT_TRUE(memcmp(res.of.str.ptr + 3 * 349524, "\xe2\x82\xac", 3) == 0);
  baton_value_clear(&res);
  ASSERT_EQ(call_u32(inst, "live-allocs"), live0);
  ASSERT_EQ(call_u32(inst, "post-count"), post0 + 4);
  baton_instance_delete(inst);
}

TEST(call_every_kind) {
  baton_instance_t *inst = instantiate(g_empty_linker, g_types_mod);
  ASSERT_NOT_NULL(inst);
  uint32_t live0 = call_u32(inst, "live-allocs"), post0 = call_u32(inst, "post-count");
  ECHO(inst, "api", "echo-list-u32", "[]", "[]");
  ECHO(inst, "api", "echo-list-u32", "[1, 2, 4294967295]", "[1, 2, 4294967295]");
  ECHO(inst, "api", "sum-s64", "[1, -2, 9223372036854775000]", "9223372036854774999");
  ECHO(inst, "api", "sum-s64", "[]", "0");
  ECHO(inst, "api", "echo-person", "{name: \"Ann\", age: 30, tags: [\"a\", \"\"], home: some({x: -1, y: 2})}",
       "{name: \"Ann\", age: 30, tags: [\"a\", \"\"], home: some({x: -1, y: 2})}");
  ECHO(inst, "api", "echo-person", "{name: \"\", age: 0, tags: [], home: none}", "{name: \"\", age: 0, tags: []}");
  ECHO(inst, "api", "echo-shape", "circle(-1.25)", "circle(-1.25)");
  ECHO(inst, "api", "echo-shape", "rect({x: -7, y: 8})", "rect({x: -7, y: 8})");
  ECHO(inst, "api", "echo-shape", "%none", "%none");
  ECHO(inst, "api", "echo-shape", "named(\"tri\")", "named(\"tri\")");
  ECHO(inst, "api", "echo-shape", "big(18446744073709551615)", "big(18446744073709551615)");
  ECHO(inst, "api", "next-color", "blue", "red");
  ECHO(inst, "api", "next-color", "red", "green");
  ECHO(inst, "api", "flip-perms", "{read, exec}", "{write}");
  ECHO(inst, "api", "flip-perms", "{}", "{read, write, exec}");
  ECHO(inst, "api", "next-char", "'a'", "'b'");
  ECHO(inst, "api", "next-char", "'\\u{d7ff}'", "'\xee\x80\x80'");
  ECHO(inst, "api", "echo-prims",
       "{b: true, a: -128, c: 255, d: -32768, e: 65535, f: -2147483648, g: 4294967295, "
       "h: -9223372036854775808, i: 18446744073709551615, j: -0.5, k: 1e300, l: '\\u{1f600}'}",
       "{b: true, a: -128, c: 255, d: -32768, e: 65535, f: -2147483648, g: 4294967295, "
       "h: -9223372036854775808, i: 18446744073709551615, j: -0.5, k: 1e+300, l: '\xf0\x9f\x98\x80'}");
  ECHO(inst, "api", "echo-tuple", "(200, -3, 2.5, 'x')", "(200, -3, 2.5, 'x')");
  ECHO(inst, "api", "echo-opt", "none", "none");
  ECHO(inst, "api", "echo-opt", "some(\"\")", "some(\"\")");
  ECHO(inst, "api", "echo-opt", "some(\"opt\")", "some(\"opt\")");
  ECHO(inst, "api", "make-result", "true",
       "ok({name: \"Zed\", age: 7, tags: [\"a\", \"bc\"], home: some({x: 1, y: -2})})");
  ECHO(inst, "api", "make-result", "false", "err(\"no person\")");
  ECHO(inst, "api", "echo-nested",
       "[some(ok((\"hi\", [1, 2, 65535]))), none, some(err(named(\"sq\"))), some(err(circle(0.5))), "
       "some(ok((\"\", [])))]",
       "[some(ok((\"hi\", [1, 2, 65535]))), none, some(err(named(\"sq\"))), some(err(circle(0.5))), "
       "some(ok((\"\", [])))]");
  /* A list of 100000 u32 values. */
  baton_value_t list = {.kind = BATON_VALUE_LIST}, res;
  list.of.seq.len = 100000;
  list.of.seq.items = calloc(100000, sizeof(baton_value_t));
  for (size_t i = 0; i < 100000; i++) list.of.seq.items[i] = U32(i * 7);
  CALL(inst, F("api", "echo-list-u32"), "test:abi/api#echo-list-u32", &list, 1, &res);
  ASSERT_TRUE(baton_value_equal(&list, &res));
  baton_value_clear(&list);
  baton_value_clear(&res);
  /* echo-list-u32 x3, echo-person x2, echo-shape x5, echo-opt x3, make-result x2, echo-nested */
  ASSERT_EQ(call_u32(inst, "post-count"), post0 + 16);
  ASSERT_EQ(call_u32(inst, "live-allocs"), live0);
  baton_instance_delete(inst);
}

TEST(call_spilled_params) {
  baton_instance_t *inst = instantiate(g_empty_linker, g_types_mod);
  ASSERT_NOT_NULL(inst);
  uint32_t live0 = call_u32(inst, "live-allocs");
  baton_value_t a[17], res;
  for (int i = 0; i < 17; i++) a[i] = U32((uint64_t)i + 1);
  CALL(inst, F("api", "sum16"), "test:abi/api#sum16", a, 16, &res);
  ASSERT_EQ(res.kind, BATON_VALUE_U64);
  ASSERT_EQ(res.of.u, 1496); /* sum of squares 1..16 */
  a[16] = U32(0xFFFFFFFFu);
  CALL(inst, F("api", "sum17"), "test:abi/api#sum17", a, 17, &res);
  ASSERT_EQ(res.of.u, 1496 + 17ull * 0xFFFFFFFFu);
  const char *nine[9] = {"\"a\"", "\"\"", "\"c\xc3\xa9\"", "\"d\"", "\"e\"", "\"f\"", "\"g\"", "\"h\"", "\"i\""};
  ASSERT_STREQ(call_wave(inst, "api", "join-strings", nine, 9), "\"a||c\xc3\xa9|d|e|f|g|h|i\"");
  ASSERT_EQ(call_u32(inst, "live-allocs"), live0);
  /* Wrong argument count and a mistyped argument are host errors; nothing
   * was allocated in the guest and it stays usable. */
  baton_trap_t *trap;
  baton_error_t *e = bt_abi_call(inst, F("api", "sum17"), "test:abi/api#sum17", a, 16, &res, &trap);
  ASSERT_EQ(baton_error_code(e), BATON_EINVALID_ARGUMENT);
  baton_error_delete(e);
  baton_value_t str = {.kind = BATON_VALUE_STRING, .of.str = {"x", 1}};
  a[3] = str;
  e = bt_abi_call(inst, F("api", "sum17"), "test:abi/api#sum17", a, 17, &res, &trap);
  ASSERT_EQ(baton_error_code(e), BATON_ETYPE);
  ASSERT_STREQ(baton_error_message(e),
               "expected u32, got string in parameter a4 of export \"test:abi/api#sum17\"");
  baton_error_delete(e);
  ASSERT_EQ(call_u32(inst, "live-allocs"), live0);
  baton_instance_delete(inst);
}

/* Calls a function of test:abi/bad on a fresh instance and checks the ABI
 * trap's message, then that the instance is poisoned. */
static void expect_bad(const char *name, const char *want) {
  baton_instance_t *inst = instantiate(g_empty_linker, g_types_mod);
  if (!inst) T_FAIL_("no instance");
  size_t mem;
  baton_instance_memory(inst, &mem);
  char msg[512];
  snprintf(msg, sizeof msg, want, mem);
  baton_value_t res;
  baton_trap_t *trap = NULL;
  baton_error_t *e = bt_abi_call(inst, F("bad", name), ename("bad", name), NULL, 0, &res, &trap);
  ASSERT_OK(e);
  ASSERT_NOT_NULL(trap);
  ASSERT_EQ(res.kind, 0);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_ABI);
  ASSERT_CONTAINS(baton_trap_message(trap), msg);
  baton_trap_delete(trap);
  ASSERT_EQ(call_u32(inst, "post-count"), UINT32_MAX); /* poisoned */
  baton_instance_delete(inst);
}

TEST(call_bad_results) {
  expect_bad("bad-utf8", "is not valid UTF-8 (byte 0xff at offset 2) in result of export \"test:abi/bad#bad-utf8\"");
  char want[256];
  baton_instance_t *inst = instantiate(g_empty_linker, g_types_mod);
  size_t mem;
  baton_instance_memory(inst, &mem);
  baton_instance_delete(inst);
  snprintf(want, sizeof want, "canonical ABI: string at 0x%zx of length 64 is outside linear memory (%%zu bytes) "
           "in result of export \"test:abi/bad#bad-ptr\"", mem - 16);
  expect_bad("bad-ptr", want);
  expect_bad("bad-disc", "canonical ABI: discriminant 9 of variant shape is out of range (5 cases) in result of "
             "export \"test:abi/bad#bad-disc\"");
  expect_bad("bad-char", "canonical ABI: char 0xd800 is a surrogate, not a Unicode scalar value in result of "
             "export \"test:abi/bad#bad-char\"");
  expect_bad("big-char", "canonical ABI: char 0x110000 is above 0x10ffff, not a Unicode scalar value in result");
  expect_bad("bad-flags", "canonical ABI: flags perms value 0x13 has bits set beyond its 3 flags in result of "
             "export \"test:abi/bad#bad-flags\"");
  expect_bad("bad-align", "canonical ABI: list at 0x1001 is not aligned to 4 bytes in result of export");
  expect_bad("bad-len", "canonical ABI: list at 0x8 of length 268435456 (2147483648 bytes) exceeds the canonical "
             "ABI limit of 268435455 bytes in result of export \"test:abi/bad#bad-len\"");
  expect_bad("bad-nested", "is not valid UTF-8 (byte 0xff at offset 0) in result[0].tags[1] of export "
             "\"test:abi/bad#bad-nested\"");
  expect_bad("bad-retptr", "canonical ABI: return area at 0xfffffff0 of 8 bytes is outside linear memory (%zu "
             "bytes) in result of export \"test:abi/bad#bad-retptr\"");
  expect_bad("bad-option", "canonical ABI: discriminant 2 of option<u32> is out of range (2 cases) in result of "
             "export \"test:abi/bad#bad-option\"");
}

TEST(call_bad_realloc) {
  for (uint32_t mode = 1; mode <= 3; mode += 2) {
    baton_instance_t *inst = instantiate(g_empty_linker, g_types_mod);
    ASSERT_NOT_NULL(inst);
    size_t mem;
    baton_instance_memory(inst, &mem);
    baton_value_t m = U32(mode), res;
    CALL(inst, F(NULL, "set-realloc-mode"), "set-realloc-mode", &m, 1, NULL);
    baton_value_t arg = {.kind = BATON_VALUE_STRING, .of.str = {"hello world", 11}};
    baton_trap_t *trap = NULL;
    ASSERT_OK(bt_abi_call(inst, F(NULL, "echo-string"), "echo-string", &arg, 1, &res, &trap));
    ASSERT_NOT_NULL(trap);
    char want[256];
    if (mode == 1) {
      snprintf(want, sizeof want, "canonical ABI: cabi_realloc returned 0x%zx for 11 bytes, outside linear "
               "memory (%zu bytes) in parameter s of export \"echo-string\"", mem - 4, mem);
      ASSERT_STREQ(baton_trap_message(trap), want);
    } else {
      ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_UNREACHABLE);
      ASSERT_CONTAINS(baton_trap_message(trap), "(in export \"cabi_realloc\")");
    }
    baton_trap_delete(trap);
    baton_instance_delete(inst);
  }
  /* Misalignment shows for a list<u32>. */
  baton_instance_t *inst = instantiate(g_empty_linker, g_types_mod);
  baton_value_t m = U32(2);
  CALL(inst, F(NULL, "set-realloc-mode"), "set-realloc-mode", &m, 1, NULL);
  ASSERT_STREQ(call_wave(inst, "api", "echo-list-u32", (const char *[]){"[1]"}, 1),
               "FAILED: canonical ABI: cabi_realloc returned 0x1001, which is not aligned to 4 bytes in "
               "parameter l of export \"test:abi/api#echo-list-u32\"");
  baton_instance_delete(inst);
}

/* ---- typed host imports (abi_host.wasm) ---- */

typedef struct {
  int greet_mode; /* 0 normal, 1 returns a mistyped value, 2 traps */
  char log[128];
  char shapes[256];
} host_env_t;

static baton_value_t str_value(const char *s, size_t n) {
  baton_value_t v = {.kind = BATON_VALUE_STRING};
  v.of.str.ptr = malloc(n + 1);
  memcpy(v.of.str.ptr, s, n);
  v.of.str.ptr[n] = 0;
  v.of.str.len = n;
  return v;
}

static baton_trap_t *h_greet(void *env, baton_instance_t *caller, const baton_value_t *args, size_t n,
                             baton_value_t *res) {
  host_env_t *h = env;
  if (h->greet_mode == 1) {
    *res = U32(5);
    return NULL;
  }
  if (h->greet_mode == 2) return baton_trap_new(BATON_TRAP_HOST, "greet refused");
  char buf[256];
  int k = snprintf(buf, sizeof buf, "Hello, %s!", args[0].of.str.ptr);
  *res = str_value(buf, (size_t)k);
  return NULL;
}

static baton_trap_t *h_make_person(void *env, baton_instance_t *caller, const baton_value_t *args,
                                   size_t n, baton_value_t *res) {
  char buf[256];
  snprintf(buf, sizeof buf, "{name: \"%s\", age: %u, tags: [\"t1\", \"t2\"], home: some({x: %u, y: -%u})}",
           args[0].of.str.ptr, (unsigned)args[1].of.u, (unsigned)args[1].of.u, (unsigned)args[1].of.u);
  *res = V(T("person"), buf);
  return NULL;
}

static baton_trap_t *h_sum_points(void *env, baton_instance_t *caller, const baton_value_t *args,
                                  size_t n, baton_value_t *res) {
  int64_t s = 0;
  for (size_t i = 0; i < args[0].of.seq.len; i++) {
    const baton_value_t *p = &args[0].of.seq.items[i];
    s += p->of.seq.items[0].of.s + p->of.seq.items[1].of.s;
  }
  *res = (baton_value_t){.kind = BATON_VALUE_S64, .of.s = s};
  return NULL;
}

static baton_trap_t *h_count17(void *env, baton_instance_t *caller, const baton_value_t *args,
                               size_t n, baton_value_t *res) {
  uint64_t s = 0;
  for (size_t i = 0; i < n; i++) s += args[i].of.u;
  *res = U32(s);
  return NULL;
}

static baton_trap_t *h_classify(void *env, baton_instance_t *caller, const baton_value_t *args,
                                size_t n, baton_value_t *res) {
  host_env_t *h = env;
  const char *w = W(T("shape"), &args[0]);
  strncat(h->shapes, w, sizeof h->shapes - strlen(h->shapes) - 2);
  strcat(h->shapes, ";");
  uint32_t c = 1;
  if (args[0].of.var.index == 0) c = 0;
  if (args[0].of.var.index == 3) c = args[0].of.var.payload->of.str.len > 5 ? 2 : 1;
  *res = (baton_value_t){.kind = BATON_VALUE_ENUM, .of.var.index = c};
  return NULL;
}

static baton_trap_t *h_log(void *env, baton_instance_t *caller, const baton_value_t *args, size_t n,
                           baton_value_t *res) {
  host_env_t *h = env;
  snprintf(h->log, sizeof h->log, "%s", args[0].of.str.ptr);
  return NULL;
}

static baton_trap_t *h_repeat(void *env, baton_instance_t *caller, const baton_value_t *args,
                              size_t n, baton_value_t *res) {
  size_t len = args[0].of.str.len, times = args[1].of.u;
  char *s = malloc(len * times + 1);
  for (size_t i = 0; i < times; i++) memcpy(s + i * len, args[0].of.str.ptr, len);
  s[len * times] = 0;
  *res = (baton_value_t){.kind = BATON_VALUE_STRING, .of.str = {s, len * times}};
  return NULL;
}

static baton_trap_t *h_split(void *env, baton_instance_t *caller, const baton_value_t *args,
                             size_t n, baton_value_t *res) {
  const char *s = args[0].of.str.ptr;
  baton_value_t *items = calloc(16, sizeof *items);
  size_t k = 0;
  while (*s && k < 16) {
    const char *e = strchr(s, ' ');
    size_t l = e ? (size_t)(e - s) : strlen(s);
    items[k++] = str_value(s, l);
    s += l + (e ? 1 : 0);
  }
  *res = (baton_value_t){.kind = BATON_VALUE_LIST, .of.seq = {items, k}};
  return NULL;
}

static baton_linker_t *host_linker(host_env_t *h) {
  baton_linker_t *l = NULL;
  if (baton_linker_new(g_engine, &l)) return NULL;
  struct {
    const char *name;
    bt_abi_host_fn fn;
  } defs[] = {{"make-person", h_make_person}, {"sum-points", h_sum_points}, {"count17", h_count17},
              {"classify", h_classify},       {"log", h_log},               {"repeat", h_repeat},
              {"split", h_split}};
  baton_error_t *e = bt_abi_define_import(l, "$root", F(NULL, "greet"), h_greet, h, NULL);
  for (size_t i = 0; !e && i < BT_ARRAY_LEN(defs); i++)
    e = bt_abi_define_import(l, "test:abi/host", F("host", defs[i].name), defs[i].fn, h, NULL);
  if (e) {
    fprintf(stderr, "define: %s\n", baton_error_message(e));
    baton_error_delete(e);
    baton_linker_delete(l);
    return NULL;
  }
  return l;
}

static int g_finalized;
static void count_finalizer(void *env) { g_finalized++; }

TEST(host_imports) {
  host_env_t h = {0};
  baton_linker_t *l = host_linker(&h);
  ASSERT_NOT_NULL(l);
  baton_instance_t *inst = instantiate(l, g_host_mod);
  ASSERT_NOT_NULL(inst);
  uint32_t live0 = call_u32(inst, "live-allocs");
  ASSERT_STREQ(call_wave(inst, NULL, "run", NULL, 0),
               "\"greet=Hello, Ann!;person=Bob/42/t1,t2/(42,-42);sum=11;count17=153;"
               "classify=2,0,1,1;repeat=ababab;split=x+y+zz\"");
  ASSERT_STREQ(h.log, "hello from guest");
  ASSERT_STREQ(h.shapes, "named(\"hexagon\");circle(2.5);rect({x: -3, y: 4});big(1099511627776);");
  ASSERT_EQ(call_u32(inst, "live-allocs"), live0);
  /* A 1 MiB string lowered by the host into the guest. */
  ASSERT_STREQ(call_wave(inst, NULL, "repeat-check", (const char *[]){"524288"}, 1), "1048576");
  ASSERT_STREQ(call_wave(inst, NULL, "call-greet", (const char *[]){"\"Zo\xc3\xab\""}, 1),
               "\"Hello, Zo\xc3\xab!\"");
  ASSERT_EQ(call_u32(inst, "live-allocs"), live0);
  /* A host callback returning the wrong kind of value traps the guest. */
  h.greet_mode = 1;
  ASSERT_STREQ(call_wave(inst, NULL, "call-greet", (const char *[]){"\"x\""}, 1),
               "FAILED: host function returned a bad value: expected string, got u32 in result of "
               "import \"greet\" (in export \"call-greet\")");
  baton_instance_delete(inst);
  inst = instantiate(l, g_host_mod);
  h.greet_mode = 2;
  ASSERT_STREQ(call_wave(inst, NULL, "call-greet", (const char *[]){"\"x\""}, 1),
               "FAILED: greet refused (in export \"call-greet\")");
  baton_instance_delete(inst);
  h.greet_mode = 0;
  /* Guest-supplied arguments and return pointers are validated. */
  inst = instantiate(l, g_host_mod);
  ASSERT_CONTAINS(call_wave(inst, NULL, "bad-import-arg", NULL, 0),
                  "of length 3 is not valid UTF-8 (byte 0xc0 at offset 1) in parameter msg of import "
                  "\"test:abi/host#log\" (in export \"bad-import-arg\")");
  baton_instance_delete(inst);
  inst = instantiate(l, g_host_mod);
  size_t mem;
  baton_instance_memory(inst, &mem);
  char want[256];
  snprintf(want, sizeof want, "FAILED: canonical ABI: return pointer at 0xfffffff0 of 8 bytes is outside "
           "linear memory (%zu bytes) in result of import \"greet\" (in export \"bad-import-retptr\")", mem);
  ASSERT_STREQ(call_wave(inst, NULL, "bad-import-retptr", NULL, 0), want);
  baton_instance_delete(inst);
  baton_linker_delete(l);
  /* The finalizer runs when the definition is freed. */
  g_finalized = 0;
  ASSERT_OK(baton_linker_new(g_engine, &l));
  ASSERT_OK(bt_abi_define_import(l, "test:abi/host", F("host", "log"), h_log, &h, count_finalizer));
  baton_error_t *e = bt_abi_define_import(l, "test:abi/host", F("host", "log"), h_log, &h, count_finalizer);
  ASSERT_NOT_NULL(e); /* redefinition: nothing taken */
  baton_error_delete(e);
  baton_linker_delete(l);
  ASSERT_EQ(g_finalized, 1);
}

/* ---- guest to guest ---- */

TEST(guest_to_guest_forward) {
  baton_instance_t *b = instantiate(g_empty_linker, g_types_mod);
  ASSERT_NOT_NULL(b);
  baton_linker_t *l;
  ASSERT_OK(baton_linker_new(g_engine, &l));
  ASSERT_OK(bt_abi_define_forward(l, "$root", F(NULL, "echo-string"), b, "echo-string"));
  const bt_wit_interface_t *api = iface("api");
  for (size_t i = 0; i < api->function_count; i++)
    ASSERT_OK(bt_abi_define_forward(l, "test:abi/api", api->functions[i], b,
                                    ename("api", api->functions[i]->name)));
  baton_instance_t *a = instantiate(l, g_caller_mod);
  ASSERT_NOT_NULL(a);
  uint32_t live_a = call_u32(a, "live-allocs"), live_b = call_u32(b, "live-allocs");
  uint32_t post_b = call_u32(b, "post-count");
  ASSERT_STREQ(call_wave(a, NULL, "run-peer", NULL, 0),
               "\"person=Peer/9/x,yz/(5,6);shape=tri;circle=15;big=1099511627776;sum17=1785;"
               "join=s0|s1|s2|s3|s4|s5|s6|s7|s8;nested=hi:1,2,3/none/err:sq;list=60;"
               "result=Zed/7/a,bc/(1,-2);err=no person;echo=h\xc3\xa9llo;char=123;prims=ok\"");
  /* echo-person, echo-shape x3, join-strings, echo-nested, echo-list-u32,
   * make-result x2, echo-string */
  ASSERT_EQ(call_u32(b, "post-count"), post_b + 10);
  ASSERT_EQ(call_u32(b, "live-allocs"), live_b);
  ASSERT_EQ(call_u32(a, "live-allocs"), live_a);
  /* The caller passing a bad string traps the caller, not the callee. */
  ASSERT_CONTAINS(call_wave(a, NULL, "bad-peer-arg", NULL, 0),
                  "FAILED: canonical ABI: string at 0x");
  ASSERT_CONTAINS(call_wave(a, NULL, "bad-peer-arg", NULL, 0), "instance unusable");
  baton_instance_delete(a);
  a = instantiate(l, g_caller_mod);
  ASSERT_CONTAINS(call_wave(a, NULL, "bad-peer-arg", NULL, 0),
                  "is not valid UTF-8 (byte 0xed at offset 0) in parameter s of import \"echo-string\"");
  ASSERT_EQ(call_u32(b, "post-count"), post_b + 10); /* b still usable */
  baton_instance_delete(a);
  /* A callee whose allocator misbehaves is poisoned too. */
  baton_value_t m = U32(1);
  CALL(b, F(NULL, "set-realloc-mode"), "set-realloc-mode", &m, 1, NULL);
  a = instantiate(l, g_caller_mod);
  size_t mem_b;
  baton_instance_memory(b, &mem_b);
  char want[256];
  snprintf(want, sizeof want, "for 16 bytes, outside linear memory (%zu bytes) in parameter p.tags of "
           "import \"test:abi/api#echo-person\" (in export \"run-peer\")", mem_b);
  ASSERT_CONTAINS(call_wave(a, NULL, "run-peer", NULL, 0), want);
  ASSERT_EQ(call_u32(b, "post-count"), UINT32_MAX);
  baton_instance_delete(a);
  baton_linker_delete(l);
  baton_instance_delete(b);
}

/* Copies a value of `type` from instance a to instance b three ways (in
 * memory, flat, and by lift+lower through the host) and checks that all
 * arrive equal to the original, and that the direct copies allocated
 * nothing on the host. */
static void copy_case(baton_instance_t *a, baton_instance_t *b, const bt_wit_type_t *t,
                      baton_value_t *v, bt_abi_encoding_t ea, bt_abi_encoding_t eb) {
  bt_abi_status_t st;
  bt_abi_status_init(&st);
  bt_abi_cx_t ca, cb;
  bt_abi_cx_instance(&ca, &st, a, ea);
  bt_abi_cx_instance(&cb, &st, b, eb);
  bt_abi_layout_t l = bt_abi_layout(t);
  uint32_t pa, pb, pb2;
  baton_value_t out, out2;
  if (!bt_abi_realloc(&ca, 0, 0, l.align, l.size, &pa) || !bt_abi_store(&ca, pa, t, v) ||
      !bt_abi_realloc(&cb, 0, 0, l.align, l.size, &pb))
    T_FAIL_("setup: %s", fail_msg(&st));
  bt_alloc_fail_after(0); /* from here on every host allocation fails */
  bool ok = bt_abi_copy(&ca, pa, &cb, pb, t);
  long failed = bt_alloc_fail_after(-1);
  if (!ok) T_FAIL_("copy: %s", fail_msg(&st));
  ASSERT_EQ(failed, 0);
  if (!bt_abi_load(&cb, pb, t, &out)) T_FAIL_("load: %s", fail_msg(&st));
  ASSERT_TRUE(baton_value_equal(&out, v));
  /* lift + lower through the host arrives at the same value */
  if (!bt_abi_load(&ca, pa, t, &out2) || !bt_abi_realloc(&cb, 0, 0, l.align, l.size, &pb2) ||
      !bt_abi_store(&cb, pb2, t, &out2))
    T_FAIL_("lift+lower: %s", fail_msg(&st));
  baton_value_clear(&out2);
  if (!bt_abi_load(&cb, pb2, t, &out2)) T_FAIL_("load 2: %s", fail_msg(&st));
  ASSERT_TRUE(baton_value_equal(&out, &out2));
  baton_value_clear(&out);
  baton_value_clear(&out2);
  if (bt_abi_flat_count(t) > BT_ABI_MAX_FLAT_PARAMS) return;
  baton_val_t fa[BT_ABI_FLAT_CAP], fb[BT_ABI_FLAT_CAP];
  size_t na = 0, sp = 0, nb = 0, pos = 0;
  if (!bt_abi_lower_flat(&ca, t, v, fa, BT_ABI_FLAT_CAP, &na)) T_FAIL_("lower: %s", fail_msg(&st));
  bt_alloc_fail_after(0);
  ok = bt_abi_copy_flat(&ca, t, fa, na, &sp, &cb, fb, BT_ABI_FLAT_CAP, &nb);
  failed = bt_alloc_fail_after(-1);
  if (!ok) T_FAIL_("copy flat: %s", fail_msg(&st));
  ASSERT_EQ(failed, 0);
  ASSERT_EQ(nb, na);
  if (!bt_abi_lift_flat(&cb, t, fb, nb, &pos, &out)) T_FAIL_("lift flat: %s", fail_msg(&st));
  ASSERT_TRUE(baton_value_equal(&out, v));
  baton_value_clear(&out);
}

TEST(guest_to_guest_copy) {
  baton_instance_t *a = instantiate(g_empty_linker, g_types_mod);
  baton_instance_t *b = instantiate(g_empty_linker, g_types_mod);
  ASSERT_NOT_NULL(a);
  ASSERT_NOT_NULL(b);
  struct {
    const char *type, *text;
  } cases[] = {
      {"person", "{name: \"Ann\", age: 30, tags: [\"a\", \"\", \"c\xc3\xa9\"], home: some({x: -1, y: 2})}"},
      {"shape", "circle(1.5)"}, {"shape", "rect({x: 3, y: -4})"}, {"shape", "%none"},
      {"shape", "named(\"x\xe2\x82\xac\")"}, {"shape", "big(18446744073709551615)"},
      {"nested", "[some(ok((\"x\", [1, 65535]))), none, some(err(named(\"q\"))), some(err(big(7)))]"},
      {"prims", "{b: true, a: -1, c: 2, d: -3, e: 4, f: -5, g: 6, h: -7, i: 8, j: 0.5, k: -0.25, "
                "l: '\\u{1f600}'}"},
      {"t-list-char", "['a', '\\u{e9}', '\\u{10ffff}']"}, {"perms", "{write, exec}"},
      {"t-list-tuple", "[(1, 2), (65535, 0)]"}, {"t-list-bool", "[true, false, true]"},
      {"t-opt-string", "some(\"s\")"}, {"t-res-u8-str", "ok(9)"}, {"n", "{a: none, b: [b(5)], c: 'c'}"},
      {"t-list-person", "[]"}, {"t-string", "\"\""}, {"v4", "a(2.5)"}, {"v4", "b(-1.5)"},
  };
  for (size_t i = 0; i < BT_ARRAY_LEN(cases); i++) {
    baton_value_t v = V(T(cases[i].type), cases[i].text);
    copy_case(a, b, T(cases[i].type), &v, BT_ABI_UTF8, BT_ABI_UTF8);
    baton_value_clear(&v);
  }
  /* Big values: a 1 MiB string and 100000 u32s. */
  char *mib = big_text(1 << 20);
  baton_value_t s = {.kind = BATON_VALUE_STRING, .of.str = {mib, 1u << 20}};
  copy_case(a, b, T("t-string"), &s, BT_ABI_UTF8, BT_ABI_UTF8);
  /* Across encodings: UTF-16 in a, latin1+utf16 in b, and back. */
  copy_case(a, b, T("t-string"), &s, BT_ABI_UTF16, BT_ABI_LATIN1_UTF16);
  baton_value_t p = V(T("person"), "{name: \"caf\xc3\xa9\", age: 1, tags: [\"\xe2\x82\xac\"], home: none}");
  copy_case(a, b, T("person"), &p, BT_ABI_LATIN1_UTF16, BT_ABI_UTF16);
  copy_case(a, b, T("person"), &p, BT_ABI_UTF16, BT_ABI_UTF8);
  baton_value_clear(&p);
  free(mib);
  baton_value_t list = {.kind = BATON_VALUE_LIST};
  list.of.seq.len = 100000;
  list.of.seq.items = calloc(100000, sizeof(baton_value_t));
  for (size_t i = 0; i < 100000; i++) list.of.seq.items[i] = U32(i * 13);
  copy_case(a, b, T("t-list-u32"), &list, BT_ABI_UTF8, BT_ABI_UTF8);
  baton_value_clear(&list);
  /* A bad value in a is reported with its path, a as culprit. */
  bt_abi_status_t st;
  bt_abi_status_init(&st);
  bt_abi_cx_t ca, cb;
  bt_abi_cx_instance(&ca, &st, a, BT_ABI_UTF8);
  bt_abi_cx_instance(&cb, &st, b, BT_ABI_UTF8);
  baton_value_t v = V(T("t-list-char"), "['a', 'b']");
  uint32_t pa, pb;
  ASSERT_TRUE(bt_abi_realloc(&ca, 0, 0, 4, 8, &pa) && bt_abi_store(&ca, pa, T("t-list-char"), &v));
  baton_value_clear(&v);
  uint32_t elems;
  memcpy(&elems, ca.base + pa, 4);
  uint32_t bad = 0xD800;
  memcpy(ca.base + elems + 4, &bad, 4);
  ASSERT_TRUE(bt_abi_realloc(&cb, 0, 0, 4, 8, &pb));
  ASSERT_FALSE(bt_abi_copy(&ca, pa, &cb, pb, T("t-list-char")));
  ASSERT_TRUE(st.culprit == a);
  ASSERT_STREQ(fail_msg(&st), "canonical ABI: char 0xd800 is a surrogate, not a Unicode scalar value in value[1]");
  baton_instance_delete(a);
  baton_instance_delete(b);
}

int main(int argc, char **argv) {
  /* `test_abi_calls print-wit` prints the guests' WIT for test_typed_call.sh. */
  if (argc > 1 && !strcmp(argv[1], "print-wit")) {
    fputs(WIT_TEXT, stdout);
    return 0;
  }
  if (!fixture_init()) return 1;
  g_types_mod = load("abi_types.wasm");
  g_host_mod = load("abi_host.wasm");
  g_caller_mod = load("abi_caller.wasm");
  if (!g_types_mod || !g_host_mod || !g_caller_mod || baton_linker_new(g_engine, &g_empty_linker))
    return 1;
  RUN(check_world_and_exports);
  RUN(call_strings);
  RUN(call_every_kind);
  RUN(call_spilled_params);
  RUN(call_bad_results);
  RUN(call_bad_realloc);
  RUN(host_imports);
  RUN(guest_to_guest_forward);
  RUN(guest_to_guest_copy);
  baton_linker_delete(g_empty_linker);
  baton_module_delete(g_types_mod);
  baton_module_delete(g_host_mod);
  baton_module_delete(g_caller_mod);
  fixture_fini();
  TEST_MAIN_END();
}
