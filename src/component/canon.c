/*
 * src/component/canon.c: canonical definitions and the Canonical ABI's
 * flattening of function types.
 *
 * `canon lift` checks that the core function has exactly the type that
 * flatten_functype(opts, ft, 'lift') gives the component function type,
 * `canon lower` gives the new core function the 'lower' flattening, and
 * both check their options: at most one of each, `realloc` with type
 * (i32, i32, i32, i32) -> i32 and only with a `memory`, `post-return` only
 * on lifts with type (flat results) -> (), and the options the types
 * require (a memory when strings or lists cross in either direction or
 * values spill to memory, a realloc when the callee side must allocate).
 * The resource built-ins get their fixed core types; resource.new and
 * resource.rep only accept resources this component defines. The async,
 * stream, future, error-context and thread built-ins are rejected as
 * unsupported.
 */
#include <stdio.h>
#include <string.h>

#include "component/internal.h"

#define MAX_FLAT_PARAMS 16
#define MAX_FLAT_RESULTS 1
#define FLAT_CAP (MAX_FLAT_PARAMS + 1)

/* A flattening in progress: the first FLAT_CAP core types and the count,
 * which stops growing once it exceeds FLAT_CAP (only "too many" matters). */
typedef struct flat {
  uint8_t v[FLAT_CAP];
  uint32_t n;
} flat;

/* Appends one core type, counting past FLAT_CAP without storing. */
static void push(flat *f, uint8_t t) {
  if (f->n < FLAT_CAP) f->v[f->n] = t;
  if (f->n <= FLAT_CAP) f->n++;
}

/* The Canonical ABI's join of two core types for variant payloads. */
static uint8_t join(uint8_t a, uint8_t b) {
  if (a == b) return a;
  if ((a == BT_WASM_I32 && b == BT_WASM_F32) || (a == BT_WASM_F32 && b == BT_WASM_I32))
    return BT_WASM_I32;
  return BT_WASM_I64;
}

static void flatten(cm_ctx *c, const uint8_t *at, const bt_ctype_t *t, flat *f);

/* Joins the flattening of one variant case into `acc`. */
static void join_case(cm_ctx *c, const uint8_t *at, const bt_ctype_t *t, flat *acc) {
  if (!t) return;
  flat cf = {{0}, 0};
  flatten(c, at, t, &cf);
  for (uint32_t i = 0; i < cf.n && i < FLAT_CAP; i++) {
    if (i < acc->n && i < FLAT_CAP) acc->v[i] = join(acc->v[i], cf.v[i]);
    else push(acc, cf.v[i]);
  }
  while (acc->n < cf.n) push(acc, BT_WASM_I64); /* beyond FLAT_CAP: count only */
}

/* Appends flatten_type(t) to `f` (stopping once it is known to be too
 * long). Burns fuel when `c` is given; raises only through it. */
static void flatten(cm_ctx *c, const uint8_t *at, const bt_ctype_t *t, flat *f) {
  if (f->n > FLAT_CAP) return;
  if (c) cm_burn(c, at, 1);
  t = bt_ctype_unalias(t);
  switch (t->kind) {
    case BT_CT_S64:
    case BT_CT_U64: push(f, BT_WASM_I64); return;
    case BT_CT_F32: push(f, BT_WASM_F32); return;
    case BT_CT_F64: push(f, BT_WASM_F64); return;
    case BT_CT_STRING:
    case BT_CT_MAP: /* as list<tuple<K, V>> */
    case BT_CT_LIST: push(f, BT_WASM_I32); push(f, BT_WASM_I32); return;
    case BT_CT_RECORD:
      for (uint32_t i = 0; i < t->count && f->n <= FLAT_CAP; i++) flatten(c, at, t->fields[i].type, f);
      return;
    case BT_CT_TUPLE:
      for (uint32_t i = 0; i < t->count && f->n <= FLAT_CAP; i++) flatten(c, at, t->types[i], f);
      return;
    case BT_CT_VARIANT:
    case BT_CT_OPTION:
    case BT_CT_RESULT: {
      flat acc = {{0}, 0};
      if (t->kind == BT_CT_VARIANT) {
        for (uint32_t i = 0; i < t->count && acc.n <= FLAT_CAP; i++) join_case(c, at, t->fields[i].type, &acc);
      } else if (t->kind == BT_CT_OPTION) {
        join_case(c, at, t->elem, &acc);
      } else {
        join_case(c, at, t->ok, &acc);
        join_case(c, at, t->err, &acc);
      }
      push(f, BT_WASM_I32);
      for (uint32_t i = 0; i < acc.n && f->n <= FLAT_CAP; i++)
        push(f, i < FLAT_CAP ? acc.v[i] : BT_WASM_I64);
      return;
    }
    default: push(f, BT_WASM_I32); return; /* bool..u32, char, enum, flags, handles,
                                            * future, stream, error-context */
  }
}

/* Flattens a function type for lift or lower (see component.h). */
static void flatten_func(cm_ctx *c, const uint8_t *at, const bt_ctype_t *ft, bool lower,
                         flat *params, flat *results, uint32_t *raw_params, uint32_t *raw_results) {
  memset(params, 0, sizeof *params);
  memset(results, 0, sizeof *results);
  for (uint32_t i = 0; i < ft->count && params->n <= FLAT_CAP; i++)
    flatten(c, at, ft->fields[i].type, params);
  if (ft->elem) flatten(c, at, ft->elem, results);
  *raw_params = params->n;
  *raw_results = results->n;
  if (params->n > MAX_FLAT_PARAMS) {
    params->n = 1;
    params->v[0] = BT_WASM_I32;
  }
  if (results->n > MAX_FLAT_RESULTS) {
    if (lower) {
      params->v[params->n++] = BT_WASM_I32;
      results->n = 0;
    } else {
      results->n = 1;
      results->v[0] = BT_WASM_I32;
    }
  }
}

/* Contract in component.h. */
bool bt_ctype_flatten_func(const bt_ctype_t *func, bool lower, uint8_t params[17],
                           uint32_t *nparams, uint8_t results[1], uint32_t *nresults) {
  func = bt_ctype_unalias(func);
  if (!func || func->kind != BT_CT_FUNC) return false;
  flat p, r;
  uint32_t rp, rr;
  flatten_func(NULL, NULL, func, lower, &p, &r, &rp, &rr);
  memcpy(params, p.v, p.n);
  *nparams = p.n;
  if (r.n) results[0] = r.v[0];
  *nresults = r.n;
  return true;
}

/* ---- options ---- */

typedef struct opts_seen {
  bool encoding;
  const uint8_t *post_return_at;
} opts_seen;

/* Reads a canonopt vector into `o`: each option at most once, memory and
 * function indices in range, realloc with its fixed type and only with a
 * memory. Post-return is only recorded here; its type depends on the
 * lifted function and is checked by the caller. Raises. */
static void read_opts(cm_ctx *c, cm_rd *r, cm_scope *s, const char *what, bt_ccanon_opts_t *o,
                      opts_seen *seen) {
  uint32_t n = cm_count(c, r, 1, "canonical options");
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *at = r->pos;
    uint8_t b = cm_byte(c, r, "canonical option");
    switch (b) {
      case 0x00:
      case 0x01:
      case 0x02:
        if (seen->encoding)
          cm_fail(c, at, BATON_EINVALID, "%s: string encoding is given more than once", what);
        seen->encoding = true;
        o->string_encoding = (bt_cstring_encoding_t)b;
        break;
      case 0x03: {
        if (o->has_memory) cm_fail(c, at, BATON_EINVALID, "%s: `memory` is given more than once", what);
        const uint8_t *iat = r->pos;
        o->memory = cm_u32(c, r, "memory index");
        const bt_wasm_limits_t *l = cm_space_get(c, s, BT_CSORT_CORE_MEMORY, o->memory, iat, what);
        if (l->is64) cm_fail(c, iat, BATON_EUNSUPPORTED, "%s: 64-bit memories are not supported", what);
        o->has_memory = true;
        break;
      }
      case 0x04: {
        if (o->has_realloc) cm_fail(c, at, BATON_EINVALID, "%s: `realloc` is given more than once", what);
        const uint8_t *iat = r->pos;
        o->realloc = cm_u32(c, r, "realloc index");
        const bt_wasm_functype_t *ft = cm_space_get(c, s, BT_CSORT_CORE_FUNC, o->realloc, iat, what);
        static const uint8_t p4[4] = {BT_WASM_I32, BT_WASM_I32, BT_WASM_I32, BT_WASM_I32};
        bt_wasm_functype_t want = {4, 1, (uint8_t *)p4, (uint8_t *)p4};
        if (!cm_core_functype_eq(ft, &want)) {
          char buf[128];
          bt_wasm_functype_str(ft, buf, sizeof buf);
          cm_fail(c, iat, BATON_ETYPE,
                  "%s: realloc function %u has type %s, expected (i32, i32, i32, i32) -> i32", what,
                  o->realloc, buf);
        }
        o->has_realloc = true;
        break;
      }
      case 0x05: {
        if (o->has_post_return)
          cm_fail(c, at, BATON_EINVALID, "%s: `post-return` is given more than once", what);
        const uint8_t *iat = r->pos;
        o->post_return = cm_u32(c, r, "post-return index");
        cm_space_get(c, s, BT_CSORT_CORE_FUNC, o->post_return, iat, what);
        o->has_post_return = true;
        seen->post_return_at = iat;
        break;
      }
      case 0x06: cm_fail(c, at, BATON_EUNSUPPORTED, "%s: the `async` option is not supported", what);
      case 0x07: cm_fail(c, at, BATON_EUNSUPPORTED, "%s: the `callback` option is not supported", what);
      default: cm_fail(c, at, BATON_EMALFORMED, "%s: invalid canonical option 0x%02x", what, b);
    }
  }
  if (o->has_realloc && !o->has_memory)
    cm_fail(c, r->pos, BATON_EINVALID, "%s: `realloc` requires a `memory` option", what);
}

/* Raises unless `have`; `need` says which option and `why` explains. */
static void require(cm_ctx *c, const uint8_t *at, bool have, const char *what, const char *need,
                    uint32_t tidx, const char *why) {
  if (!have)
    cm_fail(c, at, BATON_EINVALID, "%s: function type %u needs a `%s` option (%s)", what, tidx,
            need, why);
}

/* ---- definitions ---- */

static const char *async_name(uint8_t op) {
  switch (op) {
    case 0x05: return "task.cancel";
    case 0x06: return "subtask.cancel";
    case 0x09: return "task.return";
    case 0x0a: return "context.get";
    case 0x0b: return "context.set";
    case 0x0c: return "thread.yield";
    case 0x0d: return "subtask.drop";
    case 0x1c: return "error-context.new";
    case 0x1d: return "error-context.debug-message";
    case 0x1e: return "error-context.drop";
    case 0x1f: return "waitable-set.new";
    case 0x20: return "waitable-set.wait";
    case 0x21: return "waitable-set.poll";
    case 0x22: return "waitable-set.drop";
    case 0x23: return "waitable.join";
    case 0x24: return "backpressure.inc";
    case 0x25: return "backpressure.dec";
  }
  if (op >= 0x0e && op <= 0x14) return "stream built-in";
  if (op >= 0x15 && op <= 0x1b) return "future built-in";
  if ((op >= 0x26 && op <= 0x2d) || (op >= 0x40 && op <= 0x42)) return "thread built-in";
  return NULL;
}

/* Reads a resource type index for the resource built-ins. */
static const bt_ctype_t *read_resource(cm_ctx *c, cm_rd *r, cm_scope *s, const char *what,
                                       bool local, uint32_t *idx) {
  const uint8_t *at = r->pos;
  *idx = cm_u32(c, r, "type index");
  const bt_ctype_t *t = bt_ctype_unalias(cm_space_get(c, s, BT_CSORT_TYPE, *idx, at, what));
  if (t->kind != BT_CT_RESOURCE)
    cm_fail(c, at, BATON_EINVALID, "%s: type index %u is not a resource type", what, *idx);
  if (local && t->owner != s->comp)
    cm_fail(c, at, BATON_EINVALID, "%s: type index %u is not a resource defined by this component",
            what, *idx);
  return t;
}

/* Contract in internal.h. */
void cm_read_canon(cm_ctx *c, cm_rd *r, cm_scope *s, bt_cdef_t *def) {
  const uint8_t *at = r->pos;
  uint8_t op = cm_byte(c, r, "canonical definition");
  static const uint8_t i32[1] = {BT_WASM_I32};
  def->kind = BT_CDEF_CANON;
  switch (op) {
    case 0x00:
    case 0x01: {
      bool lower = op == 0x01;
      const char *what = lower ? "lower" : "lift";
      const uint8_t *sat = r->pos;
      if (cm_byte(c, r, "func sort") != 0x00)
        cm_fail(c, sat, BATON_EMALFORMED, "%s: expected the func sort byte 0x00", what);
      const uint8_t *fat = r->pos;
      uint32_t fidx = cm_u32(c, r, "function index");
      bt_ccanon_opts_t o = {0};
      opts_seen seen = {0};
      const bt_ctype_t *ft;
      const bt_wasm_functype_t *core = NULL;
      uint32_t tidx = 0;
      if (!lower) {
        core = cm_space_get(c, s, BT_CSORT_CORE_FUNC, fidx, fat, what);
        read_opts(c, r, s, what, &o, &seen);
        const uint8_t *tat = r->pos;
        tidx = cm_u32(c, r, "type index");
        ft = bt_ctype_unalias(cm_space_get(c, s, BT_CSORT_TYPE, tidx, tat, what));
        if (ft->kind != BT_CT_FUNC)
          cm_fail(c, tat, BATON_EINVALID, "%s: type index %u is not a function type", what, tidx);
      } else {
        ft = cm_space_get(c, s, BT_CSORT_FUNC, fidx, fat, what);
        read_opts(c, r, s, what, &o, &seen);
        tidx = fidx;
      }
      flat p, res;
      uint32_t raw_p, raw_r;
      flatten_func(c, at, ft, lower, &p, &res, &raw_p, &raw_r);
      bool params_mem = false, result_mem = ft->elem && (ft->elem->flags & BT_CT_HAS_MEMORY);
      for (uint32_t i = 0; i < ft->count; i++)
        if (ft->fields[i].type->flags & BT_CT_HAS_MEMORY) params_mem = true;
      if (!lower) {
        require(c, at, o.has_realloc || !params_mem, what, "realloc", tidx,
                "its parameters contain strings or lists");
        require(c, at, o.has_realloc || raw_p <= MAX_FLAT_PARAMS, what, "realloc", tidx,
                "its parameters are passed in memory");
        require(c, at, o.has_memory || !result_mem, what, "memory", tidx,
                "its result contains strings or lists");
        require(c, at, o.has_memory || raw_r <= MAX_FLAT_RESULTS, what, "memory", tidx,
                "its result is returned in memory");
      } else {
        if (o.has_post_return)
          cm_fail(c, seen.post_return_at, BATON_EINVALID, "lower: `post-return` is only allowed on lifts");
        require(c, at, o.has_memory || !params_mem, what, "memory", tidx,
                "its parameters contain strings or lists");
        require(c, at, o.has_realloc || !result_mem, what, "realloc", tidx,
                "its result contains strings or lists");
        require(c, at, o.has_memory || raw_p <= MAX_FLAT_PARAMS, what, "memory", tidx,
                "its parameters are passed in memory");
        require(c, at, o.has_memory || raw_r <= MAX_FLAT_RESULTS, what, "memory", tidx,
                "its result is returned in memory");
      }
      const bt_wasm_functype_t *flat_ft = cm_core_functype(c, p.v, p.n, res.v, res.n);
      if (!lower) {
        if (!cm_core_functype_eq(core, flat_ft)) {
          char have[160], want[160];
          bt_wasm_functype_str(core, have, sizeof have);
          bt_wasm_functype_str(flat_ft, want, sizeof want);
          cm_fail(c, fat, BATON_ETYPE,
                  "lift: core function %u has type %s, but function type %u lifts from %s", fidx,
                  have, tidx, want);
        }
        if (o.has_post_return) {
          const bt_wasm_functype_t *pr =
              cm_space_get(c, s, BT_CSORT_CORE_FUNC, o.post_return, seen.post_return_at, what);
          const bt_wasm_functype_t *want_pr = cm_core_functype(c, res.v, res.n, NULL, 0);
          if (!cm_core_functype_eq(pr, want_pr)) {
            char have[160], want[160];
            bt_wasm_functype_str(pr, have, sizeof have);
            bt_wasm_functype_str(want_pr, want, sizeof want);
            cm_fail(c, seen.post_return_at, BATON_ETYPE,
                    "lift: post-return function %u has type %s, expected %s", o.post_return, have,
                    want);
          }
        }
        def->sort = BT_CSORT_FUNC;
        def->index = cm_space_push(c, s, BT_CSORT_FUNC, ft, at);
        def->u.canon.kind = BT_CCANON_LIFT;
        def->u.canon.type = tidx;
        def->u.canon.core_type = core;
      } else {
        def->sort = BT_CSORT_CORE_FUNC;
        def->index = cm_space_push(c, s, BT_CSORT_CORE_FUNC, flat_ft, at);
        def->u.canon.kind = BT_CCANON_LOWER;
        def->u.canon.core_type = flat_ft;
      }
      def->u.canon.func = fidx;
      def->u.canon.functype = ft;
      def->u.canon.opts = o;
      return;
    }
    case 0x02:
    case 0x03:
    case 0x04: {
      static const char *const names[] = {"", "", "resource.new", "resource.drop", "resource.rep"};
      const char *what = names[op];
      uint32_t idx;
      const bt_ctype_t *res = read_resource(c, r, s, what, op != 0x03, &idx);
      const bt_wasm_functype_t *ft = op == 0x03 ? cm_core_functype(c, i32, 1, NULL, 0)
                                                : cm_core_functype(c, i32, 1, i32, 1);
      def->sort = BT_CSORT_CORE_FUNC;
      def->index = cm_space_push(c, s, BT_CSORT_CORE_FUNC, ft, at);
      def->u.canon.kind = op == 0x02   ? BT_CCANON_RESOURCE_NEW
                          : op == 0x03 ? BT_CCANON_RESOURCE_DROP
                                       : BT_CCANON_RESOURCE_REP;
      def->u.canon.type = idx;
      def->u.canon.resource = res;
      def->u.canon.core_type = ft;
      return;
    }
    case 0x07:
      cm_fail(c, at, BATON_EUNSUPPORTED, "canon resource.drop async is not supported");
  }
  const char *name = async_name(op);
  if (name)
    cm_fail(c, at, BATON_EUNSUPPORTED, "canon %s (0x%02x) is not supported (async, threads and "
            "error-context built-ins are not supported)", name, op);
  cm_fail(c, at, BATON_EMALFORMED, "invalid canonical definition opcode 0x%02x", op);
}
