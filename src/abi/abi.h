/*
 * src/abi/abi.h: the Component Model's Canonical ABI (design/mvp/
 * CanonicalABI.md in WebAssembly/component-model), for 32-bit memories and
 * synchronous functions.
 *
 * The module has five layers, each usable on its own:
 *
 *   - Layout (layout.c): size and alignment of every WIT type in linear
 *     memory, variant discriminant and flags sizes, and flattening of types
 *     and function signatures to core value types (with the variant "join"
 *     and the MAX_FLAT_PARAMS / MAX_FLAT_RESULTS spilling rules), plus the
 *     core export/import names wit-bindgen gives world items.
 *   - Lift / lower (lift.c, lower.c, utf.c): between a memory view and the
 *     host value tree (baton/value.h), in the in-memory form (load/store at
 *     a pointer) and the flat form (core values). Everything read from guest
 *     memory is validated; a violation is a BATON_TRAP_ABI trap whose message
 *     names the offending value, its path inside the value, and where it was
 *     read (`in result.items[3].name of export "greet"`).
 *   - Guest-to-guest copy (copy.c): moves a value from one memory view to
 *     another without building a host value tree.
 *   - Typed calls (call.c): calling a core module's export that follows the
 *     canonical ABI as wit-bindgen lays it out, load-time signature checks,
 *     typed host imports, and guest-to-guest forwarding of an import to
 *     another instance's export.
 *
 * A memory view (bt_abi_cx_t) is a (base, size) window plus canonical
 * options (string encoding, an allocator standing in for `cabi_realloc`).
 * Views over an instance read and allocate in its linear memory; views over
 * a plain buffer let lifting be unit-tested and fuzzed without an instance.
 * Failures are recorded in a bt_abi_status_t shared by the views taking
 * part in one operation; bt_abi_status_take() turns it into a trap or an
 * error with the full message.
 *
 * All functions here are internal (BT_HIDDEN) to libbaton.
 */
#ifndef BT_ABI_H
#define BT_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "baton/instance.h"
#include "baton/module.h"
#include "baton/trap.h"
#include "baton/val.h"
#include "baton/value.h"
#include "util/common.h"
#include "wit/wit.h"

/* ---- limits (CanonicalABI.md) ---- */

#define BT_ABI_MAX_FLAT_PARAMS 16
#define BT_ABI_MAX_FLAT_RESULTS 1
/* Room for a flattened parameter list that did not spill, plus the return
 * pointer an import takes when its result spills. */
#define BT_ABI_FLAT_CAP (BT_ABI_MAX_FLAT_PARAMS + 1)
#define BT_ABI_MAX_STRING_BYTES ((1u << 28) - 1)
#define BT_ABI_MAX_LIST_BYTES ((1u << 28) - 1)
#define BT_ABI_MAX_FLAGS 32
/* How many bytes of strings and list elements one lift into host values
 * may read (bt_abi_cx_t.lift_budget). A guest can point many list elements
 * at the same bytes, so without a budget a small memory could make the
 * host build an arbitrarily large value tree. */
#define BT_ABI_DEFAULT_LIFT_BUDGET ((uint64_t)1 << 30)
/* The tag bit of a latin1+utf16 string's code-unit count (32-bit memory). */
#define BT_ABI_UTF16_TAG 0x80000000u

/* ---- layout (layout.c) ---- */

/* Size and alignment in linear memory. A type the ABI cannot lay out (a
 * bare resource, flags with more than 32 members) gets size 0, align 1;
 * bt_abi_type_supported() tells those apart. */
typedef struct bt_abi_layout {
  uint32_t size;
  uint32_t align;
} bt_abi_layout_t;

BT_HIDDEN bt_abi_layout_t bt_abi_layout(const bt_wit_type_t *t);
BT_HIDDEN uint32_t bt_abi_size(const bt_wit_type_t *t);
BT_HIDDEN uint32_t bt_abi_align(const bt_wit_type_t *t);
BT_HIDDEN uint32_t bt_abi_align_to(uint32_t n, uint32_t align);

/* The byte size of a variant discriminant for `ncases` cases (1, 2 or 4),
 * and of a flags value with `n` members (0 for none, else 1, 2 or 4). */
BT_HIDDEN uint32_t bt_abi_disc_size(size_t ncases);
BT_HIDDEN uint32_t bt_abi_flags_size(size_t n);

/* Variant-like types (variant, enum, option, result) seen uniformly: the
 * number of cases, the payload type of case i (NULL when it carries
 * nothing), and the offset of the payload from the start of the value. */
BT_HIDDEN bool bt_abi_is_variant(const bt_wit_type_t *t); /* t unaliased */
BT_HIDDEN size_t bt_abi_case_count(const bt_wit_type_t *t);
BT_HIDDEN const bt_wit_type_t *bt_abi_case_type(const bt_wit_type_t *t, size_t i);
BT_HIDDEN uint32_t bt_abi_payload_offset(const bt_wit_type_t *t);
/* The label of case i for messages: the case name, or none/some, ok/err. */
BT_HIDDEN const char *bt_abi_case_label(const bt_wit_type_t *t, size_t i);

/* Returns the number of members of a record, tuple, or the element type of
 * a record/tuple member i. */
BT_HIDDEN size_t bt_abi_member_count(const bt_wit_type_t *t);
BT_HIDDEN const bt_wit_type_t *bt_abi_member_type(const bt_wit_type_t *t, size_t i);

/* Follows ALIAS links (bt_wit_type_unalias, inlined for the hot paths). */
static inline const bt_wit_type_t *bt_abi_unalias(const bt_wit_type_t *t) {
  while (t && t->kind == BT_WIT_ALIAS) t = t->target;
  return t;
}

/* The host value kind that represents t (t unaliased), 0 for none. The two
 * enumerations agree from BOOL to FLAGS (checked in layout.c). */
static inline baton_value_kind_t bt_abi_value_kind(const bt_wit_type_t *t) {
  if (t->kind >= BT_WIT_BOOL && t->kind <= BT_WIT_FLAGS) return (baton_value_kind_t)t->kind;
  if (t->kind == BT_WIT_OWN) return BATON_VALUE_OWN;
  if (t->kind == BT_WIT_BORROW) return BATON_VALUE_BORROW;
  return (baton_value_kind_t)0;
}

/* A printable name for a host value kind ("string", "u32"). */
BT_HIDDEN const char *bt_abi_value_kind_name(baton_value_kind_t k);

/* Whether every part of t has a canonical ABI representation here. On false
 * writes a reason (`flags with 40 members exceed the limit of 32`). */
BT_HIDDEN bool bt_abi_type_supported(const bt_wit_type_t *t, char *why, size_t size);

/* Flattens t, appending its core types to out[*n..cap) and advancing *n by
 * the full flat count even past cap (so a caller can tell whether the type
 * spilled without storing everything). cap must be at most
 * BT_ABI_FLAT_CAP; out may be NULL when cap is 0. */
BT_HIDDEN void bt_abi_flatten(const bt_wit_type_t *t, baton_valkind_t *out, size_t cap,
                              size_t *n);
/* The flat count alone. */
BT_HIDDEN size_t bt_abi_flat_count(const bt_wit_type_t *t);

/* Whether values of t are plain bits: every bit pattern is valid and the
 * value holds no pointer, and its layout has no padding. Lists of such types
 * are copied between memories with one memcpy. */
BT_HIDDEN bool bt_abi_is_plain(const bt_wit_type_t *t);

/* Which side of a call a core signature is for: an export called by the
 * host or another guest ("lift": spilled results are returned as a pointer)
 * or an import called by the guest ("lower": spilled results are written
 * through a pointer passed as an extra last parameter). */
typedef enum bt_abi_context { BT_ABI_LIFT = 0, BT_ABI_LOWER = 1 } bt_abi_context_t;

/* A function's core signature. */
typedef struct bt_abi_sig {
  baton_valkind_t params[BT_ABI_FLAT_CAP];
  size_t nparams;
  baton_valkind_t results[BT_ABI_MAX_FLAT_RESULTS];
  size_t nresults;
  size_t flat_params;  /* flat count of the parameters before spilling */
  size_t flat_results; /* flat count of the result before spilling */
  bool spill_params;   /* parameters passed as a pointer to a tuple */
  bool spill_results;  /* result passed through memory */
  bool has_retptr;     /* LOWER with spilled results: last param is retptr */
  uint32_t params_size, params_align; /* layout of the parameter tuple */
  uint32_t result_size, result_align; /* layout of the result (0 if none) */
} bt_abi_sig_t;

BT_HIDDEN void bt_abi_signature(const bt_wit_function_t *fn, bt_abi_context_t context,
                                bt_abi_sig_t *sig);

/* Formats "(i32, i32) -> i32" (results in parentheses only when there are
 * several or none: "() -> ()"). Returns buf. */
BT_HIDDEN char *bt_abi_core_type_str(const baton_valkind_t *params, size_t nparams,
                                     const baton_valkind_t *results, size_t nresults,
                                     char *buf, size_t size);

/* Formats a WIT type as written in WIT (named types by name), and a
 * function as `func(name: string) -> string`. Returns buf; output that does
 * not fit is truncated with "...". */
BT_HIDDEN char *bt_abi_type_str(const bt_wit_type_t *t, char *buf, size_t size);
BT_HIDDEN char *bt_abi_func_str(const bt_wit_function_t *fn, char *buf, size_t size);

/* Core names wit-bindgen uses for a world item's function `fn`:
 *   export name  "f" (world-level function) or "ns:pkg/iface@ver#f";
 *   import module "$root" (world-level function) or "ns:pkg/iface@ver"
 *   (an inline interface uses the item's plain name), import name fn->name;
 *   post-return "cabi_post_" + export name.
 * Each writes NUL-terminated text like snprintf and returns the full length
 * (>= size means truncated). */
BT_HIDDEN int bt_abi_export_name(const bt_wit_world_item_t *item, const bt_wit_function_t *fn,
                                 char *buf, size_t size);
BT_HIDDEN int bt_abi_import_module(const bt_wit_world_item_t *item, char *buf, size_t size);
BT_HIDDEN int bt_abi_post_return_name(const char *export_name, char *buf, size_t size);

/* ---- status and memory views (cx.c) ---- */

typedef enum bt_abi_fail {
  BT_ABI_OK = 0,
  BT_ABI_FAIL_ABI,         /* guest broke the ABI: BATON_TRAP_ABI */
  BT_ABI_FAIL_TRAP,        /* a guest trap (from cabi_realloc): status.trap */
  BT_ABI_FAIL_TYPE,        /* a host value does not match its type */
  BT_ABI_FAIL_NOMEM,       /* host out of memory */
  BT_ABI_FAIL_UNSUPPORTED, /* a type the ABI cannot represent */
} bt_abi_fail_t;

/* The outcome of one lift/lower/copy operation. `culprit` is the instance
 * whose memory or allocator broke the ABI (NULL for a plain buffer). The
 * path is assembled back to front while a failure unwinds, so the success
 * path pays nothing for it. */
typedef struct bt_abi_status {
  bt_abi_fail_t fail;
  baton_instance_t *culprit;
  baton_trap_t *trap;
  char msg[256];
  char path[256];
  uint32_t path_pos; /* the path is path[path_pos..] */
} bt_abi_status_t;

BT_HIDDEN void bt_abi_status_init(bt_abi_status_t *st);
/* Releases a trap still held by the status and resets it. */
BT_HIDDEN void bt_abi_status_reset(bt_abi_status_t *st);
/* Records a failure (the first one wins). Returns false so call sites can
 * `return bt_abi_failf(...)`. */
BT_HIDDEN bool bt_abi_failf(bt_abi_status_t *st, bt_abi_fail_t kind, baton_instance_t *culprit,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Prepends ".name", "[i]" or ".i" to the failure path. */
BT_HIDDEN void bt_abi_path_field(bt_abi_status_t *st, const char *name);
BT_HIDDEN void bt_abi_path_index(bt_abi_status_t *st, uint64_t i);
BT_HIDDEN void bt_abi_path_tuple(bt_abi_status_t *st, size_t i);
/* Converts a failure into a trap (ABI, TRAP) or an error (TYPE, NOMEM,
 * UNSUPPORTED), with the message "canonical ABI: MSG in WHERE+PATH of CTX"
 * for traps ("MSG in WHERE+PATH of CTX" for errors); `where` (e.g.
 * "result", "parameter name") and `ctx` (e.g. `export "greet"`) may be
 * NULL. Exactly one of *err / *trap is set, and the status is reset. Must
 * only be called after a failure. */
BT_HIDDEN void bt_abi_status_take(bt_abi_status_t *st, const char *where, const char *ctx,
                                  baton_error_t **err, baton_trap_t **trap);

typedef struct bt_abi_cx bt_abi_cx_t;

/* An allocator in the manner of `cabi_realloc(old, old_size, align,
 * new_size) -> ptr`. Returns false with a failure recorded in cx->st. The
 * result is validated by the caller (bt_abi_realloc). */
typedef bool (*bt_abi_alloc_fn)(bt_abi_cx_t *cx, uint32_t old_ptr, uint32_t old_size,
                                uint32_t align, uint32_t new_size, uint32_t *out);

typedef enum bt_abi_encoding {
  BT_ABI_UTF8 = 0,
  BT_ABI_UTF16 = 1,
  BT_ABI_LATIN1_UTF16 = 2,
} bt_abi_encoding_t;

/* One memoized layout (see bt_abi_cx_layout). */
typedef struct bt_abi_lcache {
  const bt_wit_type_t *type; /* unaliased; NULL for an empty slot */
  uint32_t size, align;
  uint32_t payload_off; /* variant-like types */
  bool plain;           /* bt_abi_is_plain */
} bt_abi_lcache_t;

/* A power of two; build with -DBT_ABI_LCACHE_SLOTS=1 to make every lookup
 * collide (a test of the copy-before-recursing rule below). */
#ifndef BT_ABI_LCACHE_SLOTS
#define BT_ABI_LCACHE_SLOTS 16
#endif

typedef struct bt_abi_plan bt_abi_plan_t;

struct bt_abi_cx {
  uint8_t *base; /* the memory view */
  size_t size;
  bt_abi_encoding_t encoding;
  bt_abi_status_t *st;
  baton_instance_t *inst; /* when set: view refreshed after guest calls */
  bt_abi_alloc_fn alloc;  /* NULL: allocation fails with an ABI error */
  void *alloc_env;
  uint32_t realloc_index; /* instance views: export index of cabi_realloc */
  int realloc_state;      /* 0 not looked up, 1 found, -1 absent */
  uint64_t lift_budget;   /* bytes lifts may still read (see above) */
  /* Set once the host values being stored or lowered have passed
   * bt_abi_check_value: the per-node checks and the second UTF-8
   * validation are skipped. */
  bool values_checked;
  /* Set when the types were checked with bt_abi_type_supported already
   * (typed calls check once when prepared or defined). */
  bool types_checked;
  /* Layouts memoized for the duration of one operation: types cannot be
   * freed while a view is in use, so no entry goes stale. */
  bt_abi_lcache_t lcache[BT_ABI_LCACHE_SLOTS];
  const bt_abi_plan_t *plan; /* consulted before the memo; may be NULL */
};

/* A read-only table of the layouts of every type reachable from a
 * function's signature, built once when a typed import or forward is
 * defined, so that calls do not recompute layouts. Safe to share between
 * threads. */
struct bt_abi_plan {
  size_t cap; /* a power of two */
  bt_abi_lcache_t *slots;
};

/* Builds the plan for fn into *plan. Returns false when out of memory
 * (leaving *plan empty, which is still usable: lookups then miss). */
BT_HIDDEN bool bt_abi_plan_build(bt_abi_plan_t *plan, const bt_wit_function_t *fn);
BT_HIDDEN void bt_abi_plan_free(bt_abi_plan_t *plan);

/* Returns t's layout (t unaliased) from the view's plan, else through the
 * view's memo. A memo entry is only valid until the next lookup (slots are
 * shared): copy the fields before recursing. */
BT_HIDDEN const bt_abi_lcache_t *bt_abi_cx_layout(bt_abi_cx_t *cx, const bt_wit_type_t *t);

/* A view over a plain buffer (tests, fuzzing). alloc may be NULL. */
BT_HIDDEN void bt_abi_cx_buffer(bt_abi_cx_t *cx, bt_abi_status_t *st, uint8_t *base, size_t size,
                                bt_abi_encoding_t encoding, bt_abi_alloc_fn alloc,
                                void *alloc_env);
/* A view over an instance's memory 0 whose allocator is the instance's
 * `cabi_realloc` export (looked up on first use). */
BT_HIDDEN void bt_abi_cx_instance(bt_abi_cx_t *cx, bt_abi_status_t *st, baton_instance_t *inst,
                                  bt_abi_encoding_t encoding);
/* Re-reads base/size of an instance view (after the guest ran). */
BT_HIDDEN void bt_abi_cx_refresh(bt_abi_cx_t *cx);

/* Allocates through the view's allocator and validates the answer: aligned
 * to `align` and [ptr, ptr+new_size) inside memory. */
BT_HIDDEN bool bt_abi_realloc(bt_abi_cx_t *cx, uint32_t old_ptr, uint32_t old_size, uint32_t align,
                              uint32_t new_size, uint32_t *out);

/* Checks that ptr is aligned and [ptr, ptr + count * elem_size) is inside
 * the view, without overflow; on failure records an ABI error such as
 * `string at 0x1fff0 of length 64 is outside linear memory (65536 bytes)`
 * (`what` names the value: "string", "list", "return area"). */
BT_HIDDEN bool bt_abi_check_range(bt_abi_cx_t *cx, uint64_t ptr, uint64_t count,
                                  uint32_t elem_size, uint32_t align, const char *what);

/* ---- strings (utf.c) ---- */

/* Validates UTF-8; returns true when valid, else stores the offset of the
 * first bad byte. */
BT_HIDDEN bool bt_abi_utf8_valid(const uint8_t *s, size_t n, size_t *bad);

/* Lifts the string (ptr, tagged code units) of cx's encoding into a host
 * UTF-8 string, validating bounds, alignment, length and encoding. */
BT_HIDDEN bool bt_abi_lift_string(bt_abi_cx_t *cx, uint32_t ptr, uint32_t units, char **out,
                                  size_t *out_len);
/* Lowers host UTF-8 text into cx's memory in cx's encoding, allocating with
 * cx's allocator as the spec's store_string does. Invalid UTF-8 is a TYPE
 * failure. */
BT_HIDDEN bool bt_abi_lower_string(bt_abi_cx_t *cx, const char *s, size_t len, uint32_t *ptr,
                                   uint32_t *units);
/* Copies the string (ptr, units) of src's encoding into dst's memory and
 * encoding, validating the source first. */
BT_HIDDEN bool bt_abi_copy_string(bt_abi_cx_t *src, uint32_t ptr, uint32_t units, bt_abi_cx_t *dst,
                                  uint32_t *out_ptr, uint32_t *out_units);

/* ---- lift (lift.c) ---- */

/* Loads a value of type t at ptr, checking alignment and bounds first.
 * On failure *out is left zeroed and nothing leaks. */
BT_HIDDEN bool bt_abi_load(bt_abi_cx_t *cx, uint32_t ptr, const bt_wit_type_t *t,
                           baton_value_t *out);
/* Lifts a value of type t from flat core values vals[*pos..n), advancing
 * *pos by t's flat count. The kinds must be those of t's flattening. */
BT_HIDDEN bool bt_abi_lift_flat(bt_abi_cx_t *cx, const bt_wit_type_t *t, const baton_val_t *vals,
                                size_t n, size_t *pos, baton_value_t *out);
/* The ABI checks on guest-supplied scalars, recording an ABI error in cx's
 * status: a char must be a Unicode scalar value, a discriminant must be
 * below t's case count, a flags value must have no bits beyond t's
 * members (t unaliased). */
BT_HIDDEN bool bt_abi_lift_char(bt_abi_cx_t *cx, uint32_t c);
BT_HIDDEN bool bt_abi_check_disc(bt_abi_cx_t *cx, const bt_wit_type_t *t, uint32_t disc);
BT_HIDDEN bool bt_abi_check_flags(bt_abi_cx_t *cx, const bt_wit_type_t *t, uint32_t bits);

/* ---- lower (lower.c) ---- */

/* Checks that v is a well-formed value of type t (kinds, ranges, case
 * indices, valid UTF-8 and scalar values) without touching memory. */
BT_HIDDEN bool bt_abi_check_value(bt_abi_status_t *st, const bt_wit_type_t *t,
                                  const baton_value_t *v);
/* Stores v at ptr (checked for alignment and bounds first), allocating for
 * strings and lists with cx's allocator. */
BT_HIDDEN bool bt_abi_store(bt_abi_cx_t *cx, uint32_t ptr, const bt_wit_type_t *t,
                            const baton_value_t *v);
/* Lowers v to flat core values at out[*pos..cap), advancing *pos. */
BT_HIDDEN bool bt_abi_lower_flat(bt_abi_cx_t *cx, const bt_wit_type_t *t, const baton_value_t *v,
                                 baton_val_t *out, size_t cap, size_t *pos);

/* Coercions between a variant's joined flat types and a case's own flat
 * types (lift: joined -> case, lower: case -> joined). */
BT_HIDDEN baton_val_t bt_abi_coerce_from_join(baton_val_t v, baton_valkind_t want);
BT_HIDDEN baton_val_t bt_abi_coerce_to_join(baton_val_t v, baton_valkind_t joined);

/* ---- guest-to-guest copy (copy.c) ---- */

/* Copies a value of type t stored at src_ptr in src's memory into dst's
 * memory at dst_ptr (whose storage the caller owns), allocating strings
 * and lists with dst's allocator. Both ranges are checked first. Builds no
 * host value and allocates nothing on the host. */
BT_HIDDEN bool bt_abi_copy(bt_abi_cx_t *src, uint32_t src_ptr, bt_abi_cx_t *dst, uint32_t dst_ptr,
                           const bt_wit_type_t *t);
/* The flat form: lifts t from src_vals[*src_pos..nsrc) in src's context and
 * writes the equivalent flat values for dst's context to
 * dst_vals[*dst_pos..cap). */
BT_HIDDEN bool bt_abi_copy_flat(bt_abi_cx_t *src, const bt_wit_type_t *t, const baton_val_t *src_vals,
                                size_t nsrc, size_t *src_pos, bt_abi_cx_t *dst,
                                baton_val_t *dst_vals, size_t cap, size_t *dst_pos);

/* ---- typed calls (call.c) ---- */

/* Checks that `module` exports `export_name` with the core signature the
 * canonical ABI gives fn (lift context), that it exports `memory` and
 * `cabi_realloc` when the parameters need them, and that a
 * `cabi_post_<export_name>` export, when present, takes the flat results.
 * Errors are BATON_ELINK (NOT_FOUND for a missing export) and read
 * `export "greet": WIT type func(name: string) -> string flattens to
 * (i32, i32) -> i32 but the module has (i32) -> i32`. */
BT_HIDDEN baton_error_t *bt_abi_check_export(baton_module_t *module, const bt_wit_function_t *fn,
                                             const char *export_name);
/* Checks an import of `module` named (module_name, fn->name), if the module
 * has it, against the lowered signature. A missing import is fine. */
BT_HIDDEN baton_error_t *bt_abi_check_import(baton_module_t *module, const char *module_name,
                                             const bt_wit_function_t *fn);
/* Checks every function export of `world` (world-level and interface
 * functions, with wit-bindgen's names) and every import the module has. */
BT_HIDDEN baton_error_t *bt_abi_check_world(baton_module_t *module, const bt_wit_world_t *world);

/* An export prepared for repeated typed calls: indices looked up once. The
 * struct holds no heap memory (it may live on the stack) and borrows inst,
 * fn and export_name, which must outlive it. */
typedef struct bt_abi_export {
  baton_instance_t *inst;
  const bt_wit_function_t *fn;
  const char *export_name;
  uint32_t index;
  uint32_t post_index;
  bool has_post;
  uint32_t realloc_index; /* cabi_realloc, when realloc_state is 1 */
  int realloc_state;      /* as bt_abi_cx_t.realloc_state */
  bt_abi_sig_t sig;
  char ctx[160]; /* `export "NAME"` for messages */
} bt_abi_export_t;

/* Looks up the export and its post-return and checks the core signature. */
BT_HIDDEN baton_error_t *bt_abi_export_prepare(bt_abi_export_t *ex, baton_instance_t *inst,
                                               const bt_wit_function_t *fn,
                                               const char *export_name);
/* Calls a prepared export: checks and lowers args (nargs must equal the
 * parameter count), calls, lifts the result into *result (untouched when
 * the function returns nothing) and runs the post-return. Returns a host
 * error (wrong arguments) or NULL; when NULL and the guest trapped or broke
 * the ABI, *trap is set (caller owns it) and *result is zeroed. An ABI
 * violation poisons the instance as a guest trap does. */
BT_HIDDEN baton_error_t *bt_abi_export_call(bt_abi_export_t *ex, const baton_value_t *args,
                                            size_t nargs, baton_value_t *result,
                                            baton_trap_t **trap);
/* prepare + call in one. */
BT_HIDDEN baton_error_t *bt_abi_call(baton_instance_t *inst, const bt_wit_function_t *fn,
                                     const char *export_name, const baton_value_t *args,
                                     size_t nargs, baton_value_t *result, baton_trap_t **trap);

/* A typed host function. args are lifted (borrowed for the call); the
 * callback stores the result in *result (ownership passes to baton; left
 * alone when the function returns nothing). Return NULL, or a trap to stop
 * the guest (ownership passes to baton). */
typedef baton_trap_t *(*bt_abi_host_fn)(void *env, baton_instance_t *caller,
                                        const baton_value_t *args, size_t nargs,
                                        baton_value_t *result);

/* Defines (module_name, fn->name) in linker with fn's lowered core
 * signature. The trampoline lifts the guest's arguments (from flat values
 * or the spilled tuple), calls callback, checks its result against fn's
 * type (a mismatch traps the guest with BATON_TRAP_HOST), and lowers it
 * into the guest, allocating with the caller's `cabi_realloc`, through the
 * return pointer when the result spills. fn must outlive the linker and
 * every instance using the definition. finalizer (may be NULL) runs on env
 * when the definition is freed; on failure nothing is taken. */
BT_HIDDEN baton_error_t *bt_abi_define_import(baton_linker_t *linker, const char *module_name,
                                              const bt_wit_function_t *fn,
                                              bt_abi_host_fn callback, void *env,
                                              void (*finalizer)(void *env));

/* Defines (module_name, fn->name) in linker as a guest-to-guest call into
 * `target`'s export `export_name`: arguments and results are copied between
 * the two memories with bt_abi_copy / bt_abi_copy_flat (no host value
 * tree), the target's post-return runs after the result is copied. The
 * target must outlive every instance that calls the definition. A violation
 * by the caller traps the caller; one by the target also poisons the
 * target. */
BT_HIDDEN baton_error_t *bt_abi_define_forward(baton_linker_t *linker, const char *module_name,
                                               const bt_wit_function_t *fn,
                                               baton_instance_t *target,
                                               const char *export_name);

#endif
