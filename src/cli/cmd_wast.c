/*
 * src/cli/cmd_wast.c: `baton wast FILE.wast...`, the WebAssembly spec-script
 * runner (like `wasmtime wast`).
 *
 * Each script is converted by wabt's `wast2json` into a JSON command list
 * and one binary per module; the commands then run in order against baton's
 * public C API: module, register, action (invoke/get), assert_return
 * (including nan:canonical, nan:arithmetic and v128 lanes), assert_trap,
 * assert_exhaustion, assert_invalid, assert_malformed (binary modules; the
 * text-format ones test a text parser, which baton does not have, and are
 * counted as not applicable), assert_unlinkable and assert_uninstantiable.
 * The `spectest` host module is a small WebAssembly module built in.
 *
 * Before running a script, every module it loads is compiled in parallel
 * (-j, default: the number of CPUs) so that the AOT cache is warm when the
 * commands run one by one. Each failure prints `file:line: command: expected
 * ..., got ...`; the run ends with `N passed, N failed`. A skip list (--skip
 * FILE: lines of `NAME.wast:LINE reason`, `#` comments) turns the listed
 * commands into skips, printed as such. Exit status: 0 when nothing failed,
 * 1 otherwise, 2 for usage errors. Every call has a deadline (--timeout,
 * default 20 s) so that a runaway guest is a failure, not a hang.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "manifest/json.h"
#include "util/common.h"
#include "util/fileio.h"

extern char **environ;

/* The spectest module (wat2wasm of):
 *   (module
 *     (global (export "global_i32") i32 (i32.const 666))
 *     (global (export "global_i64") i64 (i64.const 666))
 *     (global (export "global_f32") f32 (f32.const 666.6))
 *     (global (export "global_f64") f64 (f64.const 666.6))
 *     (table (export "table") 10 20 funcref)
 *     (memory (export "memory") 1 2)
 *     (func (export "print"))
 *     (func (export "print_i32") (param i32))
 *     (func (export "print_i64") (param i64))
 *     (func (export "print_f32") (param f32))
 *     (func (export "print_f64") (param f64))
 *     (func (export "print_i32_f32") (param i32 f32))
 *     (func (export "print_f64_f64") (param f64 f64)))
 * The prints print nothing: scripts only check that they link and run. */
static const uint8_t k_spectest[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1e, 0x07, 0x60, 0x00, 0x00, 0x60, 0x01,
    0x7f, 0x00, 0x60, 0x01, 0x7e, 0x00, 0x60, 0x01, 0x7d, 0x00, 0x60, 0x01, 0x7c, 0x00, 0x60, 0x02,
    0x7f, 0x7d, 0x00, 0x60, 0x02, 0x7c, 0x7c, 0x00, 0x03, 0x08, 0x07, 0x00, 0x01, 0x02, 0x03, 0x04,
    0x05, 0x06, 0x04, 0x05, 0x01, 0x70, 0x01, 0x0a, 0x14, 0x05, 0x04, 0x01, 0x01, 0x01, 0x02, 0x06,
    0x21, 0x04, 0x7f, 0x00, 0x41, 0x9a, 0x05, 0x0b, 0x7e, 0x00, 0x42, 0x9a, 0x05, 0x0b, 0x7d, 0x00,
    0x43, 0x66, 0xa6, 0x26, 0x44, 0x0b, 0x7c, 0x00, 0x44, 0xcd, 0xcc, 0xcc, 0xcc, 0xcc, 0xd4, 0x84,
    0x40, 0x0b, 0x07, 0x9e, 0x01, 0x0d, 0x0a, 0x67, 0x6c, 0x6f, 0x62, 0x61, 0x6c, 0x5f, 0x69, 0x33,
    0x32, 0x03, 0x00, 0x0a, 0x67, 0x6c, 0x6f, 0x62, 0x61, 0x6c, 0x5f, 0x69, 0x36, 0x34, 0x03, 0x01,
    0x0a, 0x67, 0x6c, 0x6f, 0x62, 0x61, 0x6c, 0x5f, 0x66, 0x33, 0x32, 0x03, 0x02, 0x0a, 0x67, 0x6c,
    0x6f, 0x62, 0x61, 0x6c, 0x5f, 0x66, 0x36, 0x34, 0x03, 0x03, 0x05, 0x74, 0x61, 0x62, 0x6c, 0x65,
    0x01, 0x00, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x05, 0x70, 0x72, 0x69, 0x6e,
    0x74, 0x00, 0x00, 0x09, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f, 0x69, 0x33, 0x32, 0x00, 0x01, 0x09,
    0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f, 0x69, 0x36, 0x34, 0x00, 0x02, 0x09, 0x70, 0x72, 0x69, 0x6e,
    0x74, 0x5f, 0x66, 0x33, 0x32, 0x00, 0x03, 0x09, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f, 0x66, 0x36,
    0x34, 0x00, 0x04, 0x0d, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f, 0x69, 0x33, 0x32, 0x5f, 0x66, 0x33,
    0x32, 0x00, 0x05, 0x0d, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f, 0x66, 0x36, 0x34, 0x5f, 0x66, 0x36,
    0x34, 0x00, 0x06, 0x0a, 0x16, 0x07, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02,
    0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b,
};

#define WAST_MAX_JSON (256u << 20)
#define WAST_MAX_MODULES 4096

/* A module a script names ($M) or the last one it defined. */
typedef struct {
  char *name; /* "$M", or NULL */
  baton_instance_t *inst;
} wast_named_t;

/* One skip-list entry. */
typedef struct {
  char *file; /* base name, e.g. "simd_lane.wast" */
  long line;
  char *reason;
  bool used;
} wast_skip_t;

/* The state of one run over one or more scripts. */
typedef struct {
  baton_engine_t *engine;
  int jobs;
  uint64_t timeout_ms; /* per call, so that a runaway guest is a failure */
  bool verbose;
  wast_skip_t *skips;
  size_t nskips;
  long passed, failed, skipped, not_applicable;
  /* per script */
  const char *path;  /* as given */
  const char *base;  /* base name */
  const char *dir;   /* wast2json output directory */
  baton_linker_t *linker;
  baton_module_t **modules; /* every module loaded, freed at the end */
  size_t nmodules, cap_modules;
  wast_named_t *named;
  size_t nnamed, cap_named;
  baton_instance_t *current;
} wast_t;

/* ---- small helpers ---- */

static const char *jstr(const bt_mjson_t *o, const char *key) {
  const bt_mjson_t *v = bt_mjson_get(o, key);
  return v && v->kind == BT_MJSON_STRING ? v->str : NULL;
}

static long jline(const bt_mjson_t *o) {
  const bt_mjson_t *v = bt_mjson_get(o, "line");
  return v && v->kind == BT_MJSON_NUMBER ? (long)v->number : 0;
}

/* Records a failure: one line, `file:line: what`. */
static void fail(wast_t *w, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(wast_t *w, long line, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* Keep each failure on one line. */
  for (char *p = msg; *p; p++)
    if (*p == '\n') *p = ' ';
  printf("%s:%ld: %s\n", w->path, line, msg);
  w->failed++;
}

static void pass(wast_t *w) { w->passed++; }

/* Returns the skip entry for this command, or NULL. */
static wast_skip_t *find_skip(wast_t *w, long line) {
  for (size_t i = 0; i < w->nskips; i++)
    if (w->skips[i].line == line && !strcmp(w->skips[i].file, w->base)) return &w->skips[i];
  return NULL;
}

static bool keep_module(wast_t *w, baton_module_t *m) {
  if (w->nmodules == w->cap_modules) {
    size_t cap = w->cap_modules ? w->cap_modules * 2 : 64;
    baton_module_t **n = realloc(w->modules, cap * sizeof *n);
    if (!n) return false;
    w->modules = n;
    w->cap_modules = cap;
  }
  w->modules[w->nmodules++] = m;
  return true;
}

static bool keep_instance(wast_t *w, const char *name, baton_instance_t *inst) {
  if (w->nnamed == w->cap_named) {
    size_t cap = w->cap_named ? w->cap_named * 2 : 64;
    wast_named_t *n = realloc(w->named, cap * sizeof *n);
    if (!n) return false;
    w->named = n;
    w->cap_named = cap;
  }
  w->named[w->nnamed++] = (wast_named_t){name ? strdup(name) : NULL, inst};
  return true;
}

/* Finds the instance a command refers to ($M, or the current one). */
static baton_instance_t *instance_for(wast_t *w, const char *name) {
  if (!name) return w->current;
  for (size_t i = w->nnamed; i-- > 0;)
    if (w->named[i].name && !strcmp(w->named[i].name, name)) return w->named[i].inst;
  return NULL;
}

static void path_in_dir(const wast_t *w, const char *file, char *buf, size_t size) {
  snprintf(buf, size, "%s/%s", w->dir, file);
}

/* ---- values ---- */

/* Parses a JSON number string as wast2json writes them (unsigned decimal,
 * possibly negative for v128 lanes) into 64 bits. */
static bool parse_bits(const char *s, uint64_t *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  if (s[0] == '-') *out = (uint64_t)strtoll(s, &end, 10);
  else *out = strtoull(s, &end, 10);
  return !errno && !*end;
}

/* A non-null externref made by the script: `ref.extern N` is N + 1 so that
 * 0 stays distinct from null. */
static baton_ref_t extern_ref(uint64_t n) { return (baton_ref_t)(uintptr_t)(n + 1); }

static int lane_bytes(const char *lane) {
  if (!strcmp(lane, "i8")) return 1;
  if (!strcmp(lane, "i16")) return 2;
  if (!strcmp(lane, "i32") || !strcmp(lane, "f32")) return 4;
  if (!strcmp(lane, "i64") || !strcmp(lane, "f64")) return 8;
  return 0;
}

/* Converts an argument {"type", "value"} into a baton value. */
static bool arg_value(const bt_mjson_t *a, baton_val_t *out) {
  const char *type = jstr(a, "type");
  memset(out, 0, sizeof *out);
  if (!type) return false;
  const bt_mjson_t *v = bt_mjson_get(a, "value");
  uint64_t bits = 0;
  if (!strcmp(type, "v128")) {
    const char *lane = jstr(a, "lane_type");
    int lb = lane ? lane_bytes(lane) : 0;
    if (!lb || !v || v->kind != BT_MJSON_ARRAY || v->len * (size_t)lb != 16) return false;
    out->kind = BATON_V128;
    for (size_t i = 0; i < v->len; i++) {
      if (v->items[i].kind != BT_MJSON_STRING || !parse_bits(v->items[i].str, &bits)) return false;
      for (int b = 0; b < lb; b++) out->of.v128[i * (size_t)lb + (size_t)b] = (uint8_t)(bits >> (8 * b));
    }
    return true;
  }
  const char *s = v && v->kind == BT_MJSON_STRING ? v->str : NULL;
  if (!strcmp(type, "funcref") || !strcmp(type, "externref")) {
    out->kind = type[0] == 'f' ? BATON_FUNCREF : BATON_EXTERNREF;
    if (!s || !strcmp(s, "null")) return true;
    if (out->kind == BATON_FUNCREF || !parse_bits(s, &bits)) return false;
    out->of.ref = extern_ref(bits);
    return true;
  }
  if (!parse_bits(s, &bits)) return false;
  if (!strcmp(type, "i32")) {
    out->kind = BATON_I32;
    out->of.i32 = (int32_t)(uint32_t)bits;
  } else if (!strcmp(type, "i64")) {
    out->kind = BATON_I64;
    out->of.i64 = (int64_t)bits;
  } else if (!strcmp(type, "f32")) {
    out->kind = BATON_F32;
    uint32_t b32 = (uint32_t)bits;
    memcpy(&out->of.f32, &b32, 4);
  } else if (!strcmp(type, "f64")) {
    out->kind = BATON_F64;
    memcpy(&out->of.f64, &bits, 8);
  } else {
    return false;
  }
  return true;
}

/* Whether float bits (f32 when width 4) match an expected lane/value
 * string: a number of bits, nan:canonical or nan:arithmetic. */
static bool float_matches(const char *want, uint64_t got, int width) {
  uint64_t exp_mask = width == 4 ? 0x7f800000u : 0x7ff0000000000000ull;
  uint64_t frac_mask = width == 4 ? 0x007fffffu : 0x000fffffffffffffull;
  uint64_t quiet = width == 4 ? 0x00400000u : 0x0008000000000000ull;
  bool is_nan = (got & exp_mask) == exp_mask && (got & frac_mask);
  if (!strcmp(want, "nan:canonical")) return is_nan && (got & frac_mask) == quiet;
  if (!strcmp(want, "nan:arithmetic")) return is_nan && (got & quiet);
  uint64_t bits;
  if (!parse_bits(want, &bits)) return false;
  if (width == 4) bits &= 0xffffffffu;
  return bits == got;
}

/* Writes a value as the script would (type:bits, v128 as lanes). */
static void show_value(const baton_val_t *v, const char *lane, char *buf, size_t size) {
  switch (v->kind) {
    case BATON_I32: snprintf(buf, size, "i32:%u", (uint32_t)v->of.i32); return;
    case BATON_I64: snprintf(buf, size, "i64:%llu", (unsigned long long)v->of.i64); return;
    case BATON_F32: {
      uint32_t b;
      memcpy(&b, &v->of.f32, 4);
      snprintf(buf, size, "f32:%u (%.9g)", b, (double)v->of.f32);
      return;
    }
    case BATON_F64: {
      uint64_t b;
      memcpy(&b, &v->of.f64, 8);
      snprintf(buf, size, "f64:%llu (%.17g)", (unsigned long long)b, v->of.f64);
      return;
    }
    case BATON_V128: {
      int lb = lane ? lane_bytes(lane) : 4;
      if (!lb) lb = 4;
      size_t n = (size_t)snprintf(buf, size, "v128:%s", lane ? lane : "i32");
      for (int i = 0; i < 16 / lb && n < size; i++) {
        uint64_t x = 0;
        memcpy(&x, v->of.v128 + i * lb, (size_t)lb);
        n += (size_t)snprintf(buf + n, size - n, " %llu", (unsigned long long)x);
      }
      return;
    }
    case BATON_FUNCREF:
    case BATON_EXTERNREF:
      if (!v->of.ref) snprintf(buf, size, "%s:null", baton_valkind_name(v->kind));
      else if (v->kind == BATON_EXTERNREF)
        snprintf(buf, size, "externref:%llu", (unsigned long long)((uintptr_t)v->of.ref - 1));
      else snprintf(buf, size, "funcref:%p", v->of.ref);
      return;
  }
}

/* Whether a result matches an expected {"type", "value"}. */
static bool result_matches(const bt_mjson_t *e, const baton_val_t *got) {
  const char *type = jstr(e, "type");
  const bt_mjson_t *v = bt_mjson_get(e, "value");
  const char *s = v && v->kind == BT_MJSON_STRING ? v->str : NULL;
  if (!type) return false;
  if (!strcmp(type, "funcref") || !strcmp(type, "externref")) {
    if (got->kind != (type[0] == 'f' ? BATON_FUNCREF : BATON_EXTERNREF)) return false;
    if (!s) return got->of.ref != NULL; /* (ref.func) / (ref.extern): any non-null */
    if (!strcmp(s, "null")) return got->of.ref == NULL;
    uint64_t n;
    return got->kind == BATON_EXTERNREF && parse_bits(s, &n) && got->of.ref == extern_ref(n);
  }
  if (!strcmp(type, "v128")) {
    const char *lane = jstr(e, "lane_type");
    int lb = lane ? lane_bytes(lane) : 0;
    if (got->kind != BATON_V128 || !lb || !v || v->kind != BT_MJSON_ARRAY || v->len * (size_t)lb != 16)
      return false;
    bool is_float = lane[0] == 'f';
    for (size_t i = 0; i < v->len; i++) {
      if (v->items[i].kind != BT_MJSON_STRING) return false;
      uint64_t x = 0, want;
      memcpy(&x, got->of.v128 + i * (size_t)lb, (size_t)lb);
      if (is_float) {
        if (!float_matches(v->items[i].str, x, lb)) return false;
      } else {
        if (!parse_bits(v->items[i].str, &want)) return false;
        if (lb < 8) want &= (1ull << (8 * lb)) - 1;
        if (want != x) return false;
      }
    }
    return true;
  }
  if (!s) return false;
  uint64_t want;
  if (!strcmp(type, "i32")) return got->kind == BATON_I32 && parse_bits(s, &want) && (uint32_t)want == (uint32_t)got->of.i32;
  if (!strcmp(type, "i64")) return got->kind == BATON_I64 && parse_bits(s, &want) && want == (uint64_t)got->of.i64;
  if (!strcmp(type, "f32")) {
    uint32_t b;
    memcpy(&b, &got->of.f32, 4);
    return got->kind == BATON_F32 && float_matches(s, b, 4);
  }
  if (!strcmp(type, "f64")) {
    uint64_t b;
    memcpy(&b, &got->of.f64, 8);
    return got->kind == BATON_F64 && float_matches(s, b, 8);
  }
  return false;
}

static void show_expected(const bt_mjson_t *e, char *buf, size_t size) {
  const char *type = jstr(e, "type");
  const bt_mjson_t *v = bt_mjson_get(e, "value");
  if (v && v->kind == BT_MJSON_ARRAY) {
    size_t n = (size_t)snprintf(buf, size, "v128:%s", jstr(e, "lane_type") ? jstr(e, "lane_type") : "?");
    for (size_t i = 0; i < v->len && n < size; i++)
      n += (size_t)snprintf(buf + n, size - n, " %s", v->items[i].kind == BT_MJSON_STRING ? v->items[i].str : "?");
    return;
  }
  snprintf(buf, size, "%s:%s", type ? type : "?", v && v->kind == BT_MJSON_STRING ? v->str : "(any)");
}

/* ---- actions ---- */

/* The outcome of an action: an error (could not run), a trap, or results. */
typedef struct {
  baton_error_t *err;
  baton_trap_t *trap;
  baton_val_t results[16];
  size_t nresults;
} wast_outcome_t;

static void outcome_free(wast_outcome_t *o) {
  baton_error_delete(o->err);
  if (o->trap) baton_trap_delete(o->trap);
}

/* Runs {"type": "invoke"|"get", "module"?, "field", "args"}. */
static void run_action(wast_t *w, const bt_mjson_t *a, wast_outcome_t *o) {
  memset(o, 0, sizeof *o);
  const char *type = jstr(a, "type");
  const bt_mjson_t *field = bt_mjson_get(a, "field");
  baton_instance_t *inst = instance_for(w, jstr(a, "module"));
  if (!type || !field || field->kind != BT_MJSON_STRING) {
    o->err = baton_error_new(BATON_EINVALID_ARGUMENT, "malformed action");
    return;
  }
  if (!inst) {
    o->err = baton_error_new(BATON_ENOT_FOUND, "no module instance for this action");
    return;
  }
  if (!strcmp(type, "get")) {
    o->err = baton_instance_global_get(inst, field->str, field->str_len, &o->results[0]);
    o->nresults = o->err ? 0 : 1;
    return;
  }
  uint32_t index;
  baton_functype_t ft;
  o->err = baton_instance_lookup_n(inst, field->str, field->str_len, &index, &ft);
  if (o->err) return;
  const bt_mjson_t *args = bt_mjson_get(a, "args");
  size_t nargs = args && args->kind == BT_MJSON_ARRAY ? args->len : 0;
  baton_val_t av[nargs + 1];
  for (size_t i = 0; i < nargs; i++) {
    if (!arg_value(&args->items[i], &av[i])) {
      o->err = baton_error_new(BATON_EINVALID_ARGUMENT, "argument %zu cannot be expressed", i);
      return;
    }
  }
  if (ft.nresults > BT_ARRAY_LEN(o->results)) {
    o->err = baton_error_new(BATON_ELIMIT, "too many results");
    return;
  }
  o->nresults = ft.nresults;
  o->err = baton_instance_call_index(inst, index, av, nargs, o->results, ft.nresults, &o->trap);
}

/* Maps an assert_trap text to the trap kinds that satisfy it. */
static bool trap_kind_matches(const char *text, baton_trap_kind_t k) {
  if (!text) return true;
  if (strstr(text, "out of bounds memory access")) return k == BATON_TRAP_OOB;
  if (strstr(text, "out of bounds table access")) return k == BATON_TRAP_TABLE_OOB;
  if (strstr(text, "out of bounds")) return k == BATON_TRAP_OOB || k == BATON_TRAP_TABLE_OOB;
  if (strstr(text, "undefined element")) return k == BATON_TRAP_UNDEFINED_ELEMENT;
  if (strstr(text, "uninitialized element")) return k == BATON_TRAP_UNINITIALIZED_ELEMENT;
  if (strstr(text, "indirect call")) return k == BATON_TRAP_CALL_INDIRECT;
  if (strstr(text, "divide by zero")) return k == BATON_TRAP_DIV_BY_ZERO;
  if (strstr(text, "integer overflow")) return k == BATON_TRAP_INT_OVERFLOW;
  if (strstr(text, "invalid conversion")) return k == BATON_TRAP_INVALID_CONVERSION;
  if (strstr(text, "unreachable")) return k == BATON_TRAP_UNREACHABLE;
  if (strstr(text, "call stack exhausted")) return k == BATON_TRAP_EXHAUSTION;
  return true;
}

static void describe_outcome(const wast_outcome_t *o, const bt_mjson_t *expected, char *buf, size_t size) {
  if (o->err) {
    snprintf(buf, size, "error: %s", baton_error_message(o->err));
  } else if (o->trap) {
    snprintf(buf, size, "trap: %s", baton_trap_message(o->trap));
  } else {
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < o->nresults && n < size; i++) {
      char one[256];
      const char *lane = expected && i < expected->len ? jstr(&expected->items[i], "lane_type") : NULL;
      show_value(&o->results[i], lane, one, sizeof one);
      n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", one);
    }
    if (!o->nresults) snprintf(buf, size, "()");
  }
}

static void cmd_assert_return(wast_t *w, const bt_mjson_t *c, long line) {
  wast_outcome_t o;
  run_action(w, bt_mjson_get(c, "action"), &o);
  const bt_mjson_t *exp = bt_mjson_get(c, "expected");
  bool ok = !o.err && !o.trap && exp && exp->kind == BT_MJSON_ARRAY && exp->len == o.nresults;
  for (size_t i = 0; ok && i < o.nresults; i++) ok = result_matches(&exp->items[i], &o.results[i]);
  if (ok) {
    pass(w);
  } else {
    char want[1024] = "", got[1024];
    for (size_t i = 0, n = 0; exp && i < exp->len && n < sizeof want; i++) {
      char one[512];
      show_expected(&exp->items[i], one, sizeof one);
      n += (size_t)snprintf(want + n, sizeof want - n, "%s%s", i ? ", " : "", one);
    }
    describe_outcome(&o, exp, got, sizeof got);
    const bt_mjson_t *a = bt_mjson_get(c, "action");
    fail(w, line, "assert_return %s: expected %s, got %s", a ? jstr(a, "field") : "?", want[0] ? want : "()", got);
  }
  outcome_free(&o);
}

static void cmd_assert_trap(wast_t *w, const bt_mjson_t *c, long line, bool exhaustion) {
  wast_outcome_t o;
  run_action(w, bt_mjson_get(c, "action"), &o);
  const char *text = jstr(c, "text");
  bool ok = o.trap && (exhaustion ? baton_trap_kind(o.trap) == BATON_TRAP_EXHAUSTION
                                  : trap_kind_matches(text, baton_trap_kind(o.trap)));
  if (ok) {
    pass(w);
  } else {
    char got[1024];
    describe_outcome(&o, NULL, got, sizeof got);
    const bt_mjson_t *a = bt_mjson_get(c, "action");
    fail(w, line, "%s %s: expected trap \"%s\", got %s", exhaustion ? "assert_exhaustion" : "assert_trap",
         a ? jstr(a, "field") : "?", text ? text : "", got);
  }
  outcome_free(&o);
}

/* ---- modules ---- */

static baton_error_t *load_module(wast_t *w, const char *file, baton_module_t **out) {
  char path[4096];
  path_in_dir(w, file, path, sizeof path);
  baton_error_t *err = baton_module_new_file(w->engine, path, out);
  if (!err && !keep_module(w, *out)) {
    baton_module_delete(*out);
    *out = NULL;
    err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  return err;
}

static baton_error_t *instantiate(wast_t *w, baton_module_t *m, baton_instance_t **inst, baton_trap_t **trap) {
  baton_instance_config_t cfg = {.name = baton_module_name(m), .timeout_ms = w->timeout_ms};
  return baton_instance_new(w->linker, m, &cfg, inst, trap);
}

static void cmd_module(wast_t *w, const bt_mjson_t *c, long line) {
  const char *file = jstr(c, "filename");
  baton_module_t *m = NULL;
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_error_t *err = file ? load_module(w, file, &m) : baton_error_new(BATON_EINVALID_ARGUMENT, "no file");
  if (!err) err = instantiate(w, m, &inst, &trap);
  if (err || trap) {
    fail(w, line, "module %s: %s", file ? file : "?", err ? baton_error_message(err) : baton_trap_message(trap));
    baton_error_delete(err);
    if (trap) baton_trap_delete(trap);
    w->current = NULL;
    return;
  }
  keep_instance(w, jstr(c, "name"), inst);
  w->current = inst;
  pass(w);
}

static void cmd_register(wast_t *w, const bt_mjson_t *c, long line) {
  const char *as = jstr(c, "as");
  baton_instance_t *inst = instance_for(w, jstr(c, "name"));
  if (!as || !inst) {
    fail(w, line, "register: no such module");
    return;
  }
  baton_error_t *err = baton_linker_define_instance(w->linker, as, inst);
  if (err) {
    fail(w, line, "register %s: %s", as, baton_error_message(err));
    baton_error_delete(err);
    return;
  }
  pass(w);
}

/* assert_invalid / assert_malformed: loading must fail before any code
 * generation, as a validation or decoding error. */
static void cmd_assert_bad(wast_t *w, const bt_mjson_t *c, long line, const char *what) {
  const char *mtype = jstr(c, "module_type");
  if (mtype && strcmp(mtype, "binary") != 0) {
    w->not_applicable++;
    return;
  }
  const char *file = jstr(c, "filename"), *text = jstr(c, "text");
  baton_module_t *m = NULL;
  baton_error_t *err = file ? load_module(w, file, &m) : NULL;
  baton_errno_t code = err ? baton_error_code(err) : BATON_OK;
  if (code == BATON_EINVALID || code == BATON_EMALFORMED) {
    pass(w);
  } else if (!err) {
    fail(w, line, "%s %s: expected \"%s\", but the module loaded", what, file ? file : "?", text ? text : "");
  } else {
    fail(w, line, "%s %s: expected \"%s\" (an INVALID or MALFORMED error), got %s: %s", what, file ? file : "?",
         text ? text : "", baton_errno_name(code), baton_error_message(err));
  }
  baton_error_delete(err);
}

/* assert_unlinkable / assert_uninstantiable. */
static void cmd_assert_link(wast_t *w, const bt_mjson_t *c, long line, bool trap_expected) {
  const char *file = jstr(c, "filename"), *text = jstr(c, "text");
  const char *what = trap_expected ? "assert_uninstantiable" : "assert_unlinkable";
  baton_module_t *m = NULL;
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_error_t *err = file ? load_module(w, file, &m) : baton_error_new(BATON_EINVALID_ARGUMENT, "no file");
  bool loaded = !err;
  if (loaded) err = instantiate(w, m, &inst, &trap);
  bool ok = trap_expected ? (loaded && trap) : (loaded && err && baton_error_code(err) == BATON_ELINK);
  if (ok) {
    pass(w);
  } else {
    const char *got = inst ? "it instantiated" : trap ? baton_trap_message(trap) : err ? baton_error_message(err) : "?";
    fail(w, line, "%s %s: expected \"%s\", got %s%s", what, file ? file : "?", text ? text : "",
         err && !loaded ? "load error: " : "", got);
  }
  if (inst) keep_instance(w, NULL, inst); /* may be linked to already */
  baton_error_delete(err);
  if (trap) baton_trap_delete(trap);
}

static void run_command(wast_t *w, const bt_mjson_t *c) {
  const char *type = jstr(c, "type");
  long line = jline(c);
  if (!type) return;
  wast_skip_t *skip = find_skip(w, line);
  if (skip && strcmp(type, "module") != 0 && strcmp(type, "register") != 0) {
    skip->used = true;
    w->skipped++;
    if (w->verbose) printf("%s:%ld: skipped: %s\n", w->path, line, skip->reason);
    return;
  }
  if (!strcmp(type, "module")) cmd_module(w, c, line);
  else if (!strcmp(type, "register")) cmd_register(w, c, line);
  else if (!strcmp(type, "assert_return")) cmd_assert_return(w, c, line);
  else if (!strcmp(type, "assert_trap")) cmd_assert_trap(w, c, line, false);
  else if (!strcmp(type, "assert_exhaustion")) cmd_assert_trap(w, c, line, true);
  else if (!strcmp(type, "assert_invalid")) cmd_assert_bad(w, c, line, "assert_invalid");
  else if (!strcmp(type, "assert_malformed")) cmd_assert_bad(w, c, line, "assert_malformed");
  else if (!strcmp(type, "assert_unlinkable")) cmd_assert_link(w, c, line, false);
  else if (!strcmp(type, "assert_uninstantiable")) cmd_assert_link(w, c, line, true);
  else if (!strcmp(type, "action")) {
    wast_outcome_t o;
    run_action(w, bt_mjson_get(c, "action"), &o);
    if (o.err || o.trap) {
      char got[1024];
      describe_outcome(&o, NULL, got, sizeof got);
      fail(w, line, "action: %s", got);
    } else {
      pass(w);
    }
    outcome_free(&o);
  } else {
    fail(w, line, "unknown command type %s", type);
  }
}

/* ---- parallel pre-compilation ---- */

typedef struct {
  wast_t *w;
  char **paths;
  size_t n;
  size_t next;
  pthread_mutex_t lock;
} precompile_t;

static void *precompile_worker(void *arg) {
  precompile_t *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    size_t i = p->next++;
    pthread_mutex_unlock(&p->lock);
    if (i >= p->n) return NULL;
    baton_module_t *m = NULL;
    baton_error_t *err = baton_module_new_file(p->w->engine, p->paths[i], &m);
    baton_error_delete(err); /* reported when the command runs */
    baton_module_delete(m);
  }
}

/* Compiles every module the script instantiates, jobs at a time, so that
 * the sequential run finds them in the cache. */
static void precompile(wast_t *w, const bt_mjson_t *cmds) {
  if (w->jobs <= 1) return;
  precompile_t p = {.w = w};
  pthread_mutex_init(&p.lock, NULL);
  p.paths = calloc(cmds->len + 1, sizeof *p.paths);
  for (size_t i = 0; p.paths && i < cmds->len; i++) {
    const char *type = jstr(&cmds->items[i], "type"), *file = jstr(&cmds->items[i], "filename");
    if (!type || !file) continue;
    if (strcmp(type, "module") && strcmp(type, "assert_uninstantiable") && strcmp(type, "assert_unlinkable") &&
        strcmp(type, "assert_trap"))
      continue;
    char path[4096];
    path_in_dir(w, file, path, sizeof path);
    p.paths[p.n++] = strdup(path);
  }
  int nt = w->jobs < (int)p.n ? w->jobs : (int)p.n;
  pthread_t th[64];
  if (nt > 64) nt = 64;
  int started = 0;
  for (int i = 0; i < nt; i++)
    if (pthread_create(&th[started], NULL, precompile_worker, &p) == 0) started++;
  if (started == 0) precompile_worker(&p);
  for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
  for (size_t i = 0; i < p.n; i++) free(p.paths[i]);
  free(p.paths);
  pthread_mutex_destroy(&p.lock);
}

/* ---- one script ---- */

/* Runs wast2json on path into dir/script.json. Returns an error message
 * (static) or NULL. */
static const char *convert(const char *path, const char *dir, char *json, size_t size) {
  char log[4096];
  snprintf(json, size, "%s/script.json", dir);
  snprintf(log, sizeof log, "%s/wast2json.log", dir);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  char *argv[] = {"wast2json", (char *)path, "-o", json, NULL};
  pid_t pid;
  int rc = posix_spawnp(&pid, "wast2json", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return "cannot run wast2json (install wabt)";
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return "wast2json did not finish";
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    /* Show wast2json's first complaint (file:line:col: error: ...). */
    static _Thread_local char why[600];
    uint8_t *text = NULL;
    size_t len = 0;
    baton_error_t *err = bt_read_file(log, 1u << 20, &text, &len);
    char *nl = text ? strchr((char *)text, '\n') : NULL;
    if (nl) *nl = 0;
    snprintf(why, sizeof why, "wast2json rejected the script: %s", text && *text ? (char *)text : "(no output)");
    baton_error_delete(err);
    bt_free(text);
    return why;
  }
  return NULL;
}

/* Removes the flat temporary directory wast2json wrote into. */
static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    char path[8200];
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
    closedir(d);
  }
  rmdir(dir);
}

static void setup_spectest(wast_t *w) {
  baton_module_t *m = NULL;
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_error_t *err = baton_module_new(w->engine, k_spectest, sizeof k_spectest, "spectest", &m);
  if (!err) keep_module(w, m);
  if (!err) err = instantiate(w, m, &inst, &trap);
  if (!err && !trap) {
    keep_instance(w, NULL, inst);
    err = baton_linker_define_instance(w->linker, "spectest", inst);
  }
  if (err || trap) {
    fail(w, 0, "spectest module: %s", err ? baton_error_message(err) : baton_trap_message(trap));
    baton_error_delete(err);
    if (trap) baton_trap_delete(trap);
  }
}

static void finish_script(wast_t *w) {
  for (size_t i = w->nnamed; i-- > 0;) {
    baton_instance_delete(w->named[i].inst);
    free(w->named[i].name);
  }
  for (size_t i = 0; i < w->nmodules; i++) baton_module_delete(w->modules[i]);
  free(w->named);
  free(w->modules);
  w->named = NULL;
  w->modules = NULL;
  w->nnamed = w->cap_named = w->nmodules = w->cap_modules = 0;
  w->current = NULL;
  baton_linker_delete(w->linker);
  w->linker = NULL;
}

static void run_script(wast_t *w, const char *path) {
  w->path = path;
  const char *slash = strrchr(path, '/');
  w->base = slash ? slash + 1 : path;
  const char *tmp = getenv("TMPDIR");
  char dir[4096], json[4200];
  snprintf(dir, sizeof dir, "%s/baton-wast-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    fail(w, 0, "cannot create a temporary directory: %s", strerror(errno));
    return;
  }
  w->dir = dir;
  const char *why = convert(path, dir, json, sizeof json);
  uint8_t *text = NULL;
  size_t len = 0;
  bt_mjson_t *doc = NULL;
  baton_error_t *err = NULL;
  if (why) {
    fail(w, 0, "%s", why);
  } else if ((err = bt_read_file(json, WAST_MAX_JSON, &text, &len)) ||
             (err = bt_mjson_parse((const char *)text, len, &doc))) {
    fail(w, 0, "%s", baton_error_message(err));
    baton_error_delete(err);
  } else {
    const bt_mjson_t *cmds = bt_mjson_get(doc, "commands");
    if (!cmds || cmds->kind != BT_MJSON_ARRAY) {
      fail(w, 0, "wast2json output has no command list");
    } else if ((err = baton_linker_new(w->engine, &w->linker))) {
      fail(w, 0, "%s", baton_error_message(err));
      baton_error_delete(err);
    } else {
      precompile(w, cmds);
      setup_spectest(w);
      for (size_t i = 0; i < cmds->len; i++) run_command(w, &cmds->items[i]);
      finish_script(w);
    }
  }
  bt_mjson_free(doc);
  bt_free(text);
  remove_tree(dir);
}

/* ---- skip list and entry point ---- */

/* Loads `NAME.wast:LINE reason` lines; returns false after printing why. */
static bool load_skips(wast_t *w, const char *path) {
  uint8_t *text;
  size_t len;
  baton_error_t *err = bt_read_file(path, 1u << 20, &text, &len);
  if (err) {
    fprintf(stderr, "baton: %s\n", baton_error_message(err));
    baton_error_delete(err);
    return false;
  }
  long lineno = 0;
  bool ok = true;
  for (char *save = NULL, *line = strtok_r((char *)text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    lineno++;
    while (*line == ' ' || *line == '\t') line++;
    if (!*line || *line == '#') continue;
    char *colon = strchr(line, ':');
    char *end = NULL;
    long l = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || !end || end == colon + 1 || (*end != ' ' && *end != '\t')) {
      fprintf(stderr, "baton: %s:%ld: expected `NAME.wast:LINE reason`\n", path, lineno);
      ok = false;
      continue;
    }
    while (*end == ' ' || *end == '\t') end++;
    if (!*end) {
      fprintf(stderr, "baton: %s:%ld: a skip needs a reason\n", path, lineno);
      ok = false;
      continue;
    }
    wast_skip_t *n = realloc(w->skips, (w->nskips + 1) * sizeof *n);
    if (!n) break;
    w->skips = n;
    w->skips[w->nskips++] = (wast_skip_t){strndup(line, (size_t)(colon - line)), l, strdup(end), false};
  }
  bt_free(text);
  return ok;
}

int cmd_wast(int argc, char **argv) {
  cli_opt_t opts[] = {
      {"jobs", 'j', true, NULL},
      {"skip", 0, true, NULL},
      {"verbose", 'v', false, NULL},
      {"timeout", 0, true, NULL},
  };
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  if (!pos) return BT_EXIT_USAGE;
  int npos = cli_parse(argc, argv, opts, BT_ARRAY_LEN(opts), pos);
  if (npos <= 0) {
    if (npos == 0) fprintf(stderr, "usage: baton wast [-j N] [--skip FILE] [--timeout MS] [-v] FILE.wast...\n");
    free(pos);
    return BT_EXIT_USAGE;
  }
  wast_t w = {.jobs = (int)sysconf(_SC_NPROCESSORS_ONLN), .timeout_ms = 20000};
  const char *timeout = cli_get(opts, BT_ARRAY_LEN(opts), "timeout");
  if (timeout) w.timeout_ms = strtoull(timeout, NULL, 10);
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *jobs = cli_get(opts, BT_ARRAY_LEN(opts), "jobs");
  if (jobs) w.jobs = atoi(jobs);
  if (w.jobs < 1) w.jobs = 1;
  w.verbose = cli_get(opts, BT_ARRAY_LEN(opts), "verbose") != NULL;
  const char *skip = cli_get(opts, BT_ARRAY_LEN(opts), "skip");
  int rc = BT_EXIT_USAGE;
  if (skip && !load_skips(&w, skip)) goto out;
  baton_error_t *err = baton_engine_new(NULL, &w.engine);
  if (err) {
    rc = cli_fail(err);
    goto out;
  }
  for (int i = 0; i < npos; i++) run_script(&w, pos[i]);
  baton_engine_delete(w.engine);
  for (size_t i = 0; i < w.nskips; i++) {
    bool listed = false;
    for (int k = 0; k < npos; k++) {
      const char *b = strrchr(pos[k], '/');
      if (!strcmp(b ? b + 1 : pos[k], w.skips[i].file)) listed = true;
    }
    if (listed && !w.skips[i].used)
      printf("%s:%ld: skip-list entry matches no command (stale): %s\n", w.skips[i].file, w.skips[i].line,
             w.skips[i].reason);
  }
  if (w.not_applicable)
    printf("%ld not applicable (text-format assert_malformed: baton reads binary modules only)\n",
           w.not_applicable);
  if (w.skipped) printf("%ld skipped (listed in %s)\n", w.skipped, skip);
  printf("%ld passed, %ld failed\n", w.passed, w.failed);
  rc = w.failed ? BT_EXIT_GUEST : BT_EXIT_OK;
out:
  for (size_t i = 0; i < w.nskips; i++) {
    free(w.skips[i].file);
    free(w.skips[i].reason);
  }
  free(w.skips);
  free(pos);
  return rc;
}
