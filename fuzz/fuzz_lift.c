/*
 * fuzz/fuzz_lift.c: libFuzzer target for the Canonical ABI's lifting
 * (src/abi). Each input is a header and a linear memory image:
 *
 *   byte 0     which of the types below to lift
 *   byte 1     string encoding of the source memory (mod 3)
 *   byte 2     string encoding of the destination memory (mod 3)
 *   byte 3     unused
 *   bytes 4-7  the pointer to lift at (little-endian; reduced modulo the
 *              memory size + 64 so that most inputs land inside memory)
 *   rest       the memory, held in a plain buffer (no instance)
 *
 * For every input the target lifts the value at the pointer (bt_abi_load),
 * lifts a flat form built from the first memory bytes (bt_abi_lift_flat),
 * and copies the value into a second buffer with a bump allocator
 * (bt_abi_copy). It checks the module's promises: a failure is an ABI
 * violation (never a crash, a read outside the buffer, or a leak); whatever
 * lifts also passes bt_abi_check_value, survives store + load in another
 * memory unchanged, and the memory-to-memory copy of it lifts back equal to
 * it. Sanitizers catch memory errors and leaks.
 *
 * Build with `make fuzz` (cmake -DBATON_FUZZ=ON) and run e.g.
 *   build-fuzz/fuzz_lift -max_total_time=60 -max_len=8192
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/abi.h"
#include "wit/wit.h"

static const char *WIT =
    "package fuzz:abi;\n"
    "interface t {\n"
    "  record point { x: s32, y: s32 }\n"
    "  record person { name: string, age: u8, tags: list<string>, home: option<point> }\n"
    "  variant shape { circle(f32), rect(point), none, named(string), big(u64) }\n"
    "  flags perms { read, write, exec }\n"
    "  flags many { a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q }\n"
    "  enum color { red, green, blue }\n"
    "  record prims { b: bool, a: s8, c: u8, d: s16, e: u16, f: s32, g: u32, h: s64, i: u64,\n"
    "                 j: f32, k: f64, l: char }\n"
    "  variant mixed { a(tuple<f32, u32>), b(tuple<u32, f32>), c(u64), d(string), e(f64) }\n"
    "  type t0 = person;\n"
    "  type t1 = list<person>;\n"
    "  type t2 = list<option<result<tuple<string, list<u16>>, shape>>>;\n"
    "  type t3 = option<result<list<char>, perms>>;\n"
    "  type t4 = tuple<prims, color, many, list<list<u8>>>;\n"
    "  type t5 = list<mixed>;\n"
    "  type t6 = result<string, list<tuple<bool, s8, char>>>;\n"
    "  type t7 = list<string>;\n"
    "}\n";

#define NTYPES 8
static bt_wit_resolve_t *g_wit;
static const bt_wit_type_t *g_types[NTYPES];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  baton_error_t *e = bt_wit_parse_string("fuzz.wit", WIT, &g_wit);
  if (e) {
    fprintf(stderr, "fuzz_lift: %s\n", baton_error_message(e));
    abort();
  }
  for (int i = 0; i < NTYPES; i++) {
    char name[8];
    snprintf(name, sizeof name, "t%d", i);
    g_types[i] = bt_wit_interface_type(g_wit->main->interfaces[0], name);
    if (!g_types[i]) abort();
  }
  return 0;
}

typedef struct {
  uint32_t next;
} bump_t;

/* A bump allocator: reallocation copies, shrinking keeps the block. */
static bool bump(bt_abi_cx_t *cx, uint32_t old, uint32_t old_size, uint32_t align, uint32_t size,
                 uint32_t *out) {
  bump_t *b = cx->alloc_env;
  if (old && size <= old_size) {
    *out = old;
    return true;
  }
  uint64_t p = ((uint64_t)b->next + align - 1) & ~(uint64_t)(align - 1);
  if (p + size > cx->size) return bt_abi_failf(cx->st, BT_ABI_FAIL_NOMEM, NULL, "scratch full");
  if (old) memmove(cx->base + p, cx->base + old, old_size);
  b->next = (uint32_t)(p + size);
  *out = (uint32_t)p;
  return true;
}

/* Asserts that a failed operation failed the way the module promises. */
static void expect_clean_failure(bt_abi_status_t *st, bool scratch_may_fill) {
  if (st->fail == BT_ABI_FAIL_ABI) return;
  if (scratch_may_fill && st->fail == BT_ABI_FAIL_NOMEM) return;
  fprintf(stderr, "unexpected failure kind %d: %s\n", st->fail, st->msg);
  abort();
}

/* Stores v into a fresh scratch memory, loads it back, and aborts unless
 * it is unchanged. */
static void check_roundtrip(const bt_wit_type_t *t, const baton_value_t *v, bt_abi_encoding_t enc) {
  static uint8_t scratch[1 << 21];
  bt_abi_status_t st;
  bt_abi_status_init(&st);
  bump_t b = {16};
  bt_abi_cx_t cx;
  bt_abi_cx_buffer(&cx, &st, scratch, sizeof scratch, enc, bump, &b);
  if (!bt_abi_check_value(&st, t, v)) {
    fprintf(stderr, "lifted value fails its type: %s\n", st.msg);
    abort();
  }
  bt_abi_layout_t l = bt_abi_layout(t);
  uint32_t p;
  baton_value_t back;
  if (!bt_abi_realloc(&cx, 0, 0, l.align, l.size, &p) || !bt_abi_store(&cx, p, t, v)) {
    expect_clean_failure(&st, true);
    bt_abi_status_reset(&st);
    return;
  }
  if (!bt_abi_load(&cx, p, t, &back)) {
    fprintf(stderr, "stored value does not load: %s\n", st.msg);
    abort();
  }
  if (!baton_value_equal(&back, v)) abort();
  baton_value_clear(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 8) return 0;
  const bt_wit_type_t *t = g_types[data[0] % NTYPES];
  bt_abi_encoding_t src_enc = (bt_abi_encoding_t)(data[1] % 3);
  bt_abi_encoding_t dst_enc = (bt_abi_encoding_t)(data[2] % 3);
  uint32_t ptr;
  memcpy(&ptr, data + 4, 4);
  size_t n = size - 8;
  uint8_t *mem = malloc(n ? n : 1);
  if (n) memcpy(mem, data + 8, n);
  ptr %= (uint32_t)n + 64;

  bt_abi_status_t st;
  bt_abi_status_init(&st);
  bt_abi_cx_t cx;
  bt_abi_cx_buffer(&cx, &st, mem, n, src_enc, NULL, NULL);
  cx.lift_budget = 1 << 20;

  /* In memory. */
  baton_value_t v;
  bool lifted = bt_abi_load(&cx, ptr, t, &v);
  bool over_budget = !lifted && strncmp(st.msg, "value too large to lift", 23) == 0;
  if (lifted) {
    check_roundtrip(t, &v, dst_enc);
  } else {
    if (v.kind != 0) abort();
    expect_clean_failure(&st, false);
    baton_error_t *err;
    baton_trap_t *trap;
    bt_abi_status_take(&st, "result", "export \"fuzz\"", &err, &trap);
    if (err || baton_trap_kind(trap) != BATON_TRAP_ABI) abort();
    baton_trap_delete(trap);
  }

  /* Memory to memory: whatever lifted must copy and lift back equal. */
  static uint8_t dst_mem[1 << 21];
  bump_t b = {16};
  bt_abi_cx_t dst;
  bt_abi_status_init(&st);
  cx.lift_budget = 1 << 20;
  bt_abi_cx_buffer(&dst, &st, dst_mem, sizeof dst_mem, dst_enc, bump, &b);
  bt_abi_layout_t l = bt_abi_layout(t);
  uint32_t dp = 0;
  if (bt_abi_realloc(&dst, 0, 0, l.align, l.size, &dp) && bt_abi_copy(&cx, ptr, &dst, dp, t)) {
    if (!lifted && !over_budget) abort(); /* copy validates exactly what lifting does */
    baton_value_t w;
    dst.lift_budget = UINT64_MAX;
    if (!bt_abi_load(&dst, dp, t, &w)) abort();
    if (lifted && !baton_value_equal(&v, &w)) abort();
    baton_value_clear(&w);
  } else {
    if (lifted && st.fail != BT_ABI_FAIL_NOMEM) abort();
    expect_clean_failure(&st, true);
    bt_abi_status_reset(&st);
  }
  if (lifted) baton_value_clear(&v);

  /* Flat: core values taken from the first memory bytes. */
  baton_valkind_t kinds[BT_ABI_FLAT_CAP];
  size_t nk = 0;
  bt_abi_flatten(t, kinds, BT_ABI_FLAT_CAP, &nk);
  if (nk <= BT_ABI_MAX_FLAT_PARAMS && n >= 8 * nk) {
    baton_val_t vals[BT_ABI_FLAT_CAP];
    for (size_t i = 0; i < nk; i++) {
      vals[i].kind = kinds[i];
      memcpy(&vals[i].of.i64, mem + 8 * i, 8);
      if (kinds[i] == BATON_I32) vals[i].of.i32 %= (int32_t)(n + 64);
    }
    size_t pos = 0;
    cx.lift_budget = 1 << 20;
    if (bt_abi_lift_flat(&cx, t, vals, nk, &pos, &v)) {
      if (pos != nk) abort();
      check_roundtrip(t, &v, dst_enc);
      baton_value_clear(&v);
    } else {
      expect_clean_failure(&st, false);
      bt_abi_status_reset(&st);
    }
  }
  free(mem);
  return 0;
}
