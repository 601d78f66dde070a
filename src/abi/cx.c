/*
 * src/abi/cx.c: the plumbing every Canonical ABI operation shares: the
 * failure status (first failure wins; the path to the offending value is
 * prepended while the recursion unwinds, so it costs nothing when nothing
 * fails), memory views over plain buffers and over instances, the checked
 * `cabi_realloc` call (its answer must be aligned and inside memory), and
 * the overflow-safe bounds check used for every guest-supplied range.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "abi/abi.h"
#include "util/error_internal.h"

void bt_abi_status_init(bt_abi_status_t *st) {
  st->fail = BT_ABI_OK;
  st->culprit = NULL;
  st->trap = NULL;
  st->msg[0] = 0;
  st->path_pos = sizeof st->path - 1;
  st->path[st->path_pos] = 0;
}

void bt_abi_status_reset(bt_abi_status_t *st) {
  baton_trap_delete(st->trap);
  bt_abi_status_init(st);
}

bool bt_abi_failf(bt_abi_status_t *st, bt_abi_fail_t kind, baton_instance_t *culprit,
                  const char *fmt, ...) {
  if (st->fail != BT_ABI_OK) return false;
  st->fail = kind;
  st->culprit = culprit;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(st->msg, sizeof st->msg, fmt, ap);
  va_end(ap);
  return false;
}

/* Prepends text to the path; once the buffer is full the path starts with
 * "..." and further segments are dropped. */
static void path_prepend(bt_abi_status_t *st, const char *seg, size_t n) {
  if (st->fail == BT_ABI_OK || st->path_pos < 3) return;
  if (strncmp(st->path + st->path_pos, "...", 3) == 0) return; /* already truncated */
  if (n + 3 > st->path_pos) {
    st->path_pos -= 3;
    memcpy(st->path + st->path_pos, "...", 3);
    return;
  }
  st->path_pos -= (uint32_t)n;
  memcpy(st->path + st->path_pos, seg, n);
}

void bt_abi_path_field(bt_abi_status_t *st, const char *name) {
  char seg[128];
  int n = snprintf(seg, sizeof seg, ".%s", name ? name : "?");
  if (n < 0) return;
  path_prepend(st, seg, (size_t)n < sizeof seg ? (size_t)n : sizeof seg - 1);
}

void bt_abi_path_index(bt_abi_status_t *st, uint64_t i) {
  char seg[32];
  int n = snprintf(seg, sizeof seg, "[%" PRIu64 "]", i);
  if (n > 0) path_prepend(st, seg, (size_t)n);
}

void bt_abi_path_tuple(bt_abi_status_t *st, size_t i) {
  char seg[32];
  int n = snprintf(seg, sizeof seg, ".%zu", i);
  if (n > 0) path_prepend(st, seg, (size_t)n);
}

void bt_abi_status_take(bt_abi_status_t *st, const char *where, const char *ctx,
                        baton_error_t **err, baton_trap_t **trap) {
  *err = NULL;
  *trap = NULL;
  const char *path = st->path + st->path_pos;
  char loc[600];
  size_t n = 0;
  loc[0] = 0;
  if (where || *path)
    n += (size_t)snprintf(loc + n, sizeof loc - n, " in %s%s", where ? where : "value", path);
  if (ctx && n < sizeof loc) snprintf(loc + n, sizeof loc - n, " of %s", ctx);
  switch (st->fail) {
    case BT_ABI_FAIL_TRAP:
      *trap = st->trap;
      st->trap = NULL;
      if (!*trap) *trap = baton_trap_new(BATON_TRAP_HOST, "guest trapped%s", loc);
      break;
    case BT_ABI_FAIL_TYPE:
      *err = baton_error_new(BATON_ETYPE, "%s%s", st->msg, loc);
      break;
    case BT_ABI_FAIL_NOMEM:
      *err = baton_error_new(BATON_ENO_MEMORY, "%s%s", st->msg[0] ? st->msg : "out of memory", loc);
      break;
    case BT_ABI_FAIL_UNSUPPORTED:
      *err = baton_error_new(BATON_EUNSUPPORTED, "%s%s", st->msg, loc);
      break;
    case BT_ABI_FAIL_ABI:
    default:
      *trap = baton_trap_new(BATON_TRAP_ABI, "canonical ABI: %s%s", st->msg, loc);
      break;
  }
  bt_abi_status_reset(st);
}

/* ---- views ---- */

static uint64_t ptr_hash(const void *p) { return (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull; }

/* Computes a memo entry for t (unaliased). */
static void fill_entry(bt_abi_lcache_t *e, const bt_wit_type_t *t) {
  bt_abi_layout_t l = bt_abi_layout(t);
  e->type = t;
  e->size = l.size;
  e->align = l.align;
  e->payload_off = bt_abi_is_variant(t) ? bt_abi_payload_offset(t) : 0;
  e->plain = bt_abi_is_plain(t);
}

/* Finds t's slot in a plan: its entry, or the empty slot where it goes. */
static bt_abi_lcache_t *plan_slot(const bt_abi_plan_t *plan, const bt_wit_type_t *t) {
  size_t mask = plan->cap - 1;
  for (size_t i = ptr_hash(t) >> 32 & mask;; i = (i + 1) & mask)
    if (plan->slots[i].type == t || !plan->slots[i].type) return &plan->slots[i];
}

const bt_abi_lcache_t *bt_abi_cx_layout(bt_abi_cx_t *cx, const bt_wit_type_t *t) {
  if (cx->plan && cx->plan->cap) {
    bt_abi_lcache_t *e = plan_slot(cx->plan, t);
    if (e->type) return e;
  }
  bt_abi_lcache_t *e = &cx->lcache[ptr_hash(t) >> 60 & (BT_ABI_LCACHE_SLOTS - 1)];
  if (e->type != t) fill_entry(e, t);
  return e;
}

/* Counts (an upper bound of) the type nodes reachable from t. */
static size_t count_types(const bt_wit_type_t *t) {
  t = bt_abi_unalias(t);
  if (!t) return 0;
  size_t n = 1;
  switch (t->kind) {
    case BT_WIT_LIST: return n + count_types(t->target);
    case BT_WIT_RECORD: case BT_WIT_TUPLE:
      for (size_t i = 0; i < bt_abi_member_count(t); i++) n += count_types(bt_abi_member_type(t, i));
      return n;
    case BT_WIT_VARIANT: case BT_WIT_OPTION: case BT_WIT_RESULT:
      for (size_t i = 0; i < bt_abi_case_count(t); i++) n += count_types(bt_abi_case_type(t, i));
      return n;
    default: return n;
  }
}

/* Adds t and every type reachable from it to a plan that has room. */
static void add_types(bt_abi_plan_t *plan, const bt_wit_type_t *t) {
  t = bt_abi_unalias(t);
  if (!t) return;
  bt_abi_lcache_t *e = plan_slot(plan, t);
  if (e->type) return; /* shared type, already added with its members */
  fill_entry(e, t);
  switch (t->kind) {
    case BT_WIT_LIST: add_types(plan, t->target); return;
    case BT_WIT_RECORD: case BT_WIT_TUPLE:
      for (size_t i = 0; i < bt_abi_member_count(t); i++) add_types(plan, bt_abi_member_type(t, i));
      return;
    case BT_WIT_VARIANT: case BT_WIT_OPTION: case BT_WIT_RESULT:
      for (size_t i = 0; i < bt_abi_case_count(t); i++) add_types(plan, bt_abi_case_type(t, i));
      return;
    default: return;
  }
}

bool bt_abi_plan_build(bt_abi_plan_t *plan, const bt_wit_function_t *fn) {
  plan->cap = 0;
  plan->slots = NULL;
  size_t n = fn->result ? count_types(fn->result) : 0;
  for (size_t i = 0; i < fn->param_count; i++) n += count_types(fn->params[i].type);
  size_t cap = 8;
  while (cap < 2 * n) cap *= 2; /* load factor at most 1/2 */
  bt_abi_lcache_t *slots = bt_calloc(cap, sizeof *slots);
  if (!slots) return false;
  plan->cap = cap;
  plan->slots = slots;
  for (size_t i = 0; i < fn->param_count; i++) add_types(plan, fn->params[i].type);
  if (fn->result) add_types(plan, fn->result);
  return true;
}

void bt_abi_plan_free(bt_abi_plan_t *plan) {
  bt_free(plan->slots);
  plan->slots = NULL;
  plan->cap = 0;
}

/* Sets every field of a view to zero, except that the layout memo is only
 * invalidated (each slot's type set to NULL; bt_abi_cx_layout fills every
 * other field of a slot before using it). A memset of the whole view (some
 * 470 bytes, a `rep stos`) took about 10 ns per view, and a guest-to-guest
 * call sets up two views (bench/bench_copy.c, docs/PERFORMANCE.md). */
static void view_zero(bt_abi_cx_t *cx) {
  const size_t memo = offsetof(bt_abi_cx_t, lcache), tail = memo + sizeof cx->lcache;
  memset(cx, 0, memo);
#pragma GCC unroll 16
  for (size_t i = 0; i < BT_ABI_LCACHE_SLOTS; i++) cx->lcache[i].type = NULL;
  memset((char *)cx + tail, 0, sizeof *cx - tail);
}

void bt_abi_cx_buffer(bt_abi_cx_t *cx, bt_abi_status_t *st, uint8_t *base, size_t size,
                      bt_abi_encoding_t encoding, bt_abi_alloc_fn alloc, void *alloc_env) {
  view_zero(cx);
  cx->base = base;
  cx->size = size;
  cx->encoding = encoding;
  cx->st = st;
  cx->alloc = alloc;
  cx->alloc_env = alloc_env;
  cx->lift_budget = BT_ABI_DEFAULT_LIFT_BUDGET;
}

void bt_abi_cx_refresh(bt_abi_cx_t *cx) {
  if (!cx->inst) return;
  size_t size = 0;
  uint8_t *base = baton_instance_memory(cx->inst, &size);
  cx->base = base;
  cx->size = base ? size : 0;
}

/* The allocator of instance views: calls the guest's `cabi_realloc`
 * export, whose index is looked up (and its signature checked) on first
 * use. A guest trap inside it is recorded as a TRAP failure. */
static bool instance_alloc(bt_abi_cx_t *cx, uint32_t old_ptr, uint32_t old_size, uint32_t align,
                           uint32_t new_size, uint32_t *out) {
  bt_abi_status_t *st = cx->st;
  if (cx->realloc_state == 0) {
    baton_functype_t ft;
    baton_error_t *e = baton_instance_lookup(cx->inst, "cabi_realloc", &cx->realloc_index, &ft);
    bool ok = !e && ft.nparams == 4 && ft.nresults == 1 && ft.results[0] == BATON_I32;
    for (size_t i = 0; ok && i < 4; i++) ok = ft.params[i] == BATON_I32;
    baton_error_delete(e);
    cx->realloc_state = ok ? 1 : -1;
  }
  if (cx->realloc_state < 0)
    return bt_abi_failf(st, BT_ABI_FAIL_ABI, cx->inst,
                        "%u bytes must be allocated but the module has no export "
                        "cabi_realloc: func(i32, i32, i32, i32) -> i32",
                        new_size);
  baton_val_t args[4] = {{.kind = BATON_I32, .of.i32 = (int32_t)old_ptr},
                         {.kind = BATON_I32, .of.i32 = (int32_t)old_size},
                         {.kind = BATON_I32, .of.i32 = (int32_t)align},
                         {.kind = BATON_I32, .of.i32 = (int32_t)new_size}};
  baton_val_t res = {.kind = BATON_I32};
  baton_trap_t *trap = NULL;
  baton_error_t *e = baton_instance_call_index(cx->inst, cx->realloc_index, args, 4, &res, 1, &trap);
  if (e) {
    bt_abi_failf(st, BT_ABI_FAIL_TYPE, cx->inst, "calling cabi_realloc: %s",
                 baton_error_message(e));
    baton_error_delete(e);
    return false;
  }
  if (trap) {
    if (st->fail == BT_ABI_OK) {
      st->fail = BT_ABI_FAIL_TRAP;
      st->culprit = cx->inst;
      st->trap = trap;
    } else {
      baton_trap_delete(trap);
    }
    return false;
  }
  bt_abi_cx_refresh(cx);
  *out = (uint32_t)res.of.i32;
  return true;
}

void bt_abi_cx_instance(bt_abi_cx_t *cx, bt_abi_status_t *st, baton_instance_t *inst,
                        bt_abi_encoding_t encoding) {
  view_zero(cx);
  cx->st = st;
  cx->inst = inst;
  cx->encoding = encoding;
  cx->alloc = instance_alloc;
  cx->lift_budget = BT_ABI_DEFAULT_LIFT_BUDGET;
  bt_abi_cx_refresh(cx);
}

bool bt_abi_realloc(bt_abi_cx_t *cx, uint32_t old_ptr, uint32_t old_size, uint32_t align,
                    uint32_t new_size, uint32_t *out) {
  if (!cx->alloc)
    return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                        "%u bytes must be allocated but the memory has no allocator", new_size);
  uint32_t p;
  if (!cx->alloc(cx, old_ptr, old_size, align, new_size, &p)) return false;
  if (p & (align - 1))
    return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                        "cabi_realloc returned 0x%" PRIx32 ", which is not aligned to %" PRIu32
                        " bytes",
                        p, align);
  if ((uint64_t)p + new_size > cx->size)
    return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                        "cabi_realloc returned 0x%" PRIx32 " for %" PRIu32
                        " bytes, outside linear memory (%zu bytes)",
                        p, new_size, cx->size);
  *out = p;
  return true;
}

bool bt_abi_check_range(bt_abi_cx_t *cx, uint64_t ptr, uint64_t count, uint32_t elem_size,
                        uint32_t align, const char *what) {
  /* count and ptr come from 32-bit values and elem_size is below 2^32, so
   * the product and the sum fit in 64 bits. */
  uint64_t bytes = count * elem_size;
  if (align > 1 && (ptr & (align - 1)))
    return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                        "%s at 0x%" PRIx64 " is not aligned to %" PRIu32 " bytes", what, ptr, align);
  if (ptr + bytes > cx->size) {
    if (elem_size == 1)
      return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                          "%s at 0x%" PRIx64 " of length %" PRIu64
                          " is outside linear memory (%zu bytes)",
                          what, ptr, count, cx->size);
    if (count == 1)
      return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                          "%s at 0x%" PRIx64 " of %" PRIu64 " bytes is outside linear memory (%zu bytes)",
                          what, ptr, bytes, cx->size);
    return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                        "%s at 0x%" PRIx64 " of length %" PRIu64 " (%" PRIu64
                        " bytes) is outside linear memory (%zu bytes)",
                        what, ptr, count, bytes, cx->size);
  }
  return true;
}
