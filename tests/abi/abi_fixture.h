/*
 * tests/abi/abi_fixture.h: what the canonical ABI test binaries share: the
 * WIT package every test guest is written against (tests/guests/abi_*.c lay
 * out its types by hand), lookups of its types and functions, WAVE helpers
 * to write values as text, a bump allocator over a plain buffer, and module
 * and instance helpers. Include once per test binary, after test.h.
 */
#ifndef ABI_FIXTURE_H
#define ABI_FIXTURE_H

#include <math.h>

#include "abi/abi.h"
#include "baton/baton.h"
#include "util/strbuf.h"
#include "value/value.h"
#include "wit/wit.h"

static baton_engine_t *g_engine;
static bt_wit_resolve_t *g_wit;
static const bt_wit_world_t *g_types_world, *g_host_world, *g_caller_world;

static const char *WIT_TEXT =
    "package test:abi;\n"
    "interface types {\n"
    "  record point { x: s32, y: s32 }\n"
    "  record person { name: string, age: u8, tags: list<string>, home: option<point> }\n"
    "  variant shape { circle(f32), rect(point), none, named(string), big(u64) }\n"
    "  enum color { red, green, blue }\n"
    "  flags perms { read, write, exec }\n"
    "  record prims { b: bool, a: s8, c: u8, d: s16, e: u16, f: s32, g: u32, h: s64, i: u64,\n"
    "                 j: f32, k: f64, l: char }\n"
    "  type nested = list<option<result<tuple<string, list<u16>>, shape>>>;\n"
    "}\n"
    "interface layout {\n"
    "  use types.{point, shape, person};\n"
    "  record r1 { a: u8, b: u32, c: u16 }\n"
    "  record r2 { a: u8, b: u64 }\n"
    "  record r3 { a: u8, b: u8, c: u16 }\n"
    "  variant v1 { a, b(u8), c(u32) }\n"
    "  variant v2 { a(f32), b(u32) }\n"
    "  variant v3 { a(f32), b(u64) }\n"
    "  variant v4 { a(f64), b(f32) }\n"
    "  variant v5 { a(tuple<f32, u32>), b(tuple<u32, f32>), c(u64) }\n"
    "  variant v6 { a(string), b(f64) }\n"
    "  enum e2 { a, b }\n"
    "  flags f8 { a, b, c, d, e, f, g, h }\n"
    "  flags f9 { a, b, c, d, e, f, g, h, i }\n"
    "  flags f17 { a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q }\n"
    "  record n { a: option<r2>, b: list<v3>, c: char }\n"
    "  resource blob;\n"
    "  type t-tuple = tuple<u8, string>;\n"
    "  type t-opt-u8 = option<u8>;\n"
    "  type t-opt-u64 = option<u64>;\n"
    "  type t-res = result;\n"
    "  type t-res-u8-str = result<u8, string>;\n"
    "  type t-res-err = result<_, u32>;\n"
    "  type t-list-u8 = list<u8>;\n"
    "  type t-list-char = list<char>;\n"
    "  type t-list-u32 = list<u32>;\n"
    "  type t-list-person = list<person>;\n"
    "  type t-tuple-u32 = tuple<u32, u32>;\n"
    "  type t-tuple-u8-u32 = tuple<u8, u32>;\n"
    "  type t-own = own<blob>;\n"
    "  type t-bool = bool;\n"
    "  type t-char = char;\n"
    "  type t-string = string;\n"
    "  type t-list-bool = list<bool>;\n"
    "  type t-list-tuple = list<tuple<u16, u16>>;\n"
    "  type t-opt-string = option<string>;\n"
    "  type t-list-string = list<string>;\n"
    "}\n"
    "interface api {\n"
    "  use types.{point, person, shape, color, perms, prims, nested};\n"
    "  echo-list-u32: func(l: list<u32>) -> list<u32>;\n"
    "  sum-s64: func(l: list<s64>) -> s64;\n"
    "  echo-person: func(p: person) -> person;\n"
    "  echo-shape: func(s: shape) -> shape;\n"
    "  next-color: func(c: color) -> color;\n"
    "  flip-perms: func(p: perms) -> perms;\n"
    "  next-char: func(c: char) -> char;\n"
    "  echo-prims: func(p: prims) -> prims;\n"
    "  echo-tuple: func(t: tuple<u8, s16, f64, char>) -> tuple<u8, s16, f64, char>;\n"
    "  echo-opt: func(o: option<string>) -> option<string>;\n"
    "  make-result: func(ok: bool) -> result<person, string>;\n"
    "  sum16: func(a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32, a8: u32,\n"
    "              a9: u32, a10: u32, a11: u32, a12: u32, a13: u32, a14: u32, a15: u32,\n"
    "              a16: u32) -> u64;\n"
    "  sum17: func(a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32, a8: u32,\n"
    "              a9: u32, a10: u32, a11: u32, a12: u32, a13: u32, a14: u32, a15: u32,\n"
    "              a16: u32, a17: u32) -> u64;\n"
    "  join-strings: func(a: string, b: string, c: string, d: string, e: string, f: string,\n"
    "                     g: string, h: string, i: string) -> string;\n"
    "  echo-nested: func(v: nested) -> nested;\n"
    "}\n"
    "interface bad {\n"
    "  use types.{shape, perms, person};\n"
    "  bad-utf8: func() -> string;\n"
    "  bad-ptr: func() -> string;\n"
    "  bad-disc: func() -> shape;\n"
    "  bad-char: func() -> char;\n"
    "  big-char: func() -> char;\n"
    "  bad-flags: func() -> perms;\n"
    "  bad-align: func() -> list<u32>;\n"
    "  bad-len: func() -> list<s64>;\n"
    "  bad-nested: func() -> list<person>;\n"
    "  bad-retptr: func() -> tuple<u32, u32>;\n"
    "  bad-option: func() -> option<u32>;\n"
    "}\n"
    "interface host {\n"
    "  use types.{point, person, shape, color};\n"
    "  make-person: func(name: string, age: u8) -> person;\n"
    "  sum-points: func(ps: list<point>) -> s64;\n"
    "  count17: func(a1: u32, a2: u32, a3: u32, a4: u32, a5: u32, a6: u32, a7: u32, a8: u32,\n"
    "                a9: u32, a10: u32, a11: u32, a12: u32, a13: u32, a14: u32, a15: u32,\n"
    "                a16: u32, a17: u32) -> u32;\n"
    "  classify: func(s: shape) -> color;\n"
    "  log: func(msg: string);\n"
    "  repeat: func(s: string, n: u32) -> string;\n"
    "  split: func(s: string) -> list<string>;\n"
    "}\n"
    "world types-guest {\n"
    "  export echo-string: func(s: string) -> string;\n"
    "  export string-stats: func(s: string) -> tuple<u32, u32>;\n"
    "  export make-string: func(n: u32, c: char) -> string;\n"
    "  export post-count: func() -> u32;\n"
    "  export live-allocs: func() -> u32;\n"
    "  export set-realloc-mode: func(m: u32);\n"
    "  export api;\n"
    "  export bad;\n"
    "}\n"
    "world host-guest {\n"
    "  import greet: func(name: string) -> string;\n"
    "  import host;\n"
    "  export run: func() -> string;\n"
    "  export call-greet: func(name: string) -> string;\n"
    "  export repeat-check: func(n: u32) -> u32;\n"
    "  export bad-import-arg: func();\n"
    "  export bad-import-retptr: func();\n"
    "  export live-allocs: func() -> u32;\n"
    "}\n"
    "world caller-guest {\n"
    "  import echo-string: func(s: string) -> string;\n"
    "  import api;\n"
    "  export run-peer: func() -> string;\n"
    "  export bad-peer-arg: func();\n"
    "  export live-allocs: func() -> u32;\n"
    "}\n"
    "world wrong {\n"
    "  import greet: func(name: string, n: u32) -> string;\n"
    "}\n";

/* ---- helpers ---- */

static inline const bt_wit_interface_t *iface(const char *name) {
  for (size_t i = 0; i < g_wit->main->interface_count; i++)
    if (strcmp(g_wit->main->interfaces[i]->name, name) == 0) return g_wit->main->interfaces[i];
  return NULL;
}

/* A named type of interface `types` or `layout`. */
static inline const bt_wit_type_t *T(const char *name) {
  const bt_wit_type_t *t = bt_wit_interface_type(iface("layout"), name);
  if (!t) t = bt_wit_interface_type(iface("types"), name);
  if (!t) {
    fprintf(stderr, "no type %s\n", name);
    abort();
  }
  return t;
}

static inline const bt_wit_world_t *world(const char *name) {
  for (size_t i = 0; i < g_wit->main->world_count; i++)
    if (strcmp(g_wit->main->worlds[i]->name, name) == 0) return g_wit->main->worlds[i];
  return NULL;
}

/* A function of an interface, or of a world when iface_name is NULL. */
static inline const bt_wit_function_t *F(const char *iface_name, const char *name) {
  const bt_wit_function_t *f = NULL;
  if (iface_name) {
    f = bt_wit_interface_function(iface(iface_name), name);
  } else {
    const bt_wit_world_t *ws[] = {g_types_world, g_host_world, g_caller_world};
    for (size_t w = 0; w < 3 && !f; w++) {
      const bt_wit_world_item_t *it = bt_wit_world_export(ws[w], name);
      if (!it) it = bt_wit_world_import(ws[w], name);
      if (it && it->kind == BT_WIT_ITEM_FUNCTION) f = it->function;
    }
  }
  if (!f) {
    fprintf(stderr, "no function %s\n", name);
    abort();
  }
  return f;
}

/* Parses WAVE text as a value of t. */
static inline baton_value_t V(const bt_wit_type_t *t, const char *text) {
  baton_value_t v;
  baton_error_t *e = bt_wave_parse(text, strlen(text), t, &v);
  if (e) {
    fprintf(stderr, "bad WAVE %s: %s\n", text, baton_error_message(e));
    abort();
  }
  return v;
}

/* Prints v as WAVE into one of a few rotating static buffers. */
static inline const char *W(const bt_wit_type_t *t, const baton_value_t *v) {
  static char bufs[4][4096];
  static int k;
  char *out = bufs[k++ % 4];
  bt_strbuf_t b = BT_STRBUF_INIT;
  baton_error_t *e = bt_wave_print(v, t, &b);
  snprintf(out, 4096, "%s", e ? baton_error_message(e) : bt_strbuf_cstr(&b));
  baton_error_delete(e);
  bt_strbuf_free(&b);
  return out;
}

static inline baton_value_t U32(uint64_t x) { return (baton_value_t){.kind = BATON_VALUE_U32, .of.u = x}; }

static inline baton_module_t *load(const char *name) {
  baton_module_t *m = NULL;
  baton_error_t *e = baton_module_new_file(g_engine, t_guest(name), &m);
  if (e) {
    fprintf(stderr, "loading %s: %s\n", name, baton_error_message(e));
    baton_error_delete(e);
    return NULL;
  }
  return m;
}

static inline baton_instance_t *instantiate(baton_linker_t *l, baton_module_t *m) {
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  /* Guests called through the canonical ABI are components: a trap
   * poisons them, as the Component Model requires. */
  baton_instance_config_t cfg = {.poison_on_trap = true};
  baton_error_t *e = baton_instance_new(l, m, &cfg, &inst, &trap);
  if (e || trap) {
    fprintf(stderr, "instantiate: %s\n", e ? baton_error_message(e) : baton_trap_message(trap));
    baton_error_delete(e);
    baton_trap_delete(trap);
    return NULL;
  }
  return inst;
}

/* Calls a typed export, asserting success. */
#define CALL(inst, fn, name, args, nargs, res)                                    \
  do {                                                                            \
    baton_trap_t *tr_ = NULL;                                                     \
    ASSERT_OK(bt_abi_call((inst), (fn), (name), (args), (nargs), (res), &tr_));   \
    if (tr_) T_FAIL_("trap: %s", baton_trap_message(tr_));                        \
  } while (0)

/* Calls a u32-returning no-argument export (post-count, live-allocs). */
static inline uint32_t call_u32(baton_instance_t *inst, const char *name) {
  baton_val_t r;
  baton_trap_t *trap = NULL;
  baton_error_t *e = baton_instance_call(inst, name, NULL, 0, &r, 1, &trap);
  if (e || trap) {
    baton_error_delete(e);
    baton_trap_delete(trap);
    return UINT32_MAX;
  }
  return (uint32_t)r.of.i32;
}

/* A bump allocator over a plain buffer: realloc copies, shrinking keeps
 * the block. */
typedef struct {
  uint32_t next, calls;
} bump_t;

static inline bool bump_alloc(bt_abi_cx_t *cx, uint32_t old, uint32_t old_size, uint32_t align,
                       uint32_t new_size, uint32_t *out) {
  bump_t *b = cx->alloc_env;
  b->calls++;
  if (old && new_size <= old_size) {
    *out = old;
    return true;
  }
  uint32_t p = (b->next + align - 1) & ~(align - 1);
  if ((uint64_t)p + new_size > cx->size)
    return bt_abi_failf(cx->st, BT_ABI_FAIL_NOMEM, NULL, "bump allocator full");
  if (old) memmove(cx->base + p, cx->base + old, old_size);
  b->next = p + new_size;
  *out = p;
  return true;
}

#define MEM_SIZE (4u << 20)
static uint8_t *g_mem;

/* A buffer view with a fresh bump allocator. */
static inline void buf_cx(bt_abi_cx_t *cx, bt_abi_status_t *st, bump_t *b, bt_abi_encoding_t enc) {
  bt_abi_status_init(st);
  b->next = 16;
  b->calls = 0;
  bt_abi_cx_buffer(cx, st, g_mem, MEM_SIZE, enc, bump_alloc, b);
}

/* Takes a status failure as a message (trap or error). */
static inline const char *fail_msg(bt_abi_status_t *st) {
  static char buf[1024];
  baton_error_t *e;
  baton_trap_t *t;
  bt_abi_status_take(st, NULL, NULL, &e, &t);
  snprintf(buf, sizeof buf, "%s", e ? baton_error_message(e) : baton_trap_message(t));
  baton_error_delete(e);
  baton_trap_delete(t);
  return buf;
}

/* A valid UTF-8 text of exactly n bytes mixing 1- to 4-byte sequences. */
static inline char *big_text(size_t n) {
  static const char pat[] = "abcd\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* 13 bytes */
  char *s = malloc(n + 1);
  size_t i = 0;
  while (i + 13 <= n) {
    memcpy(s + i, pat, 13);
    i += 13;
  }
  while (i < n) s[i++] = 'z';
  s[n] = 0;
  return s;
}

/* Parses the WIT, finds the worlds, creates the engine and the buffer;
 * returns false (having printed why) on failure. */
static inline bool fixture_init(void) {
  g_mem = calloc(1, MEM_SIZE);
  baton_error_t *err = bt_wit_parse_string("abi.wit", WIT_TEXT, &g_wit);
  if (!err) err = baton_engine_new(NULL, &g_engine);
  if (err) {
    fprintf(stderr, "fixture: %s\n", baton_error_message(err));
    baton_error_delete(err);
    return false;
  }
  g_types_world = world("types-guest");
  g_host_world = world("host-guest");
  g_caller_world = world("caller-guest");
  return g_mem && g_types_world && g_host_world && g_caller_world;
}

static inline void fixture_fini(void) {
  baton_engine_delete(g_engine);
  bt_wit_free(g_wit);
  free(g_mem);
}

#endif
