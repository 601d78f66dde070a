/*
 * src/wasi/preview2.c: the WASI 0.2 host interfaces for components (see
 * preview2.h for the subset and its semantics).
 *
 * bt_wasi2_resolve answers an imported `wasi:PKG/IFACE@0.2.x` instance with
 * a bag holding, for every function the component declares, a host
 * function bound by name (an unknown name gets a generic answer: nothing,
 * `none`, `err(unsupported)` / `err(closed)`, or a trap when called), and,
 * for every resource type, one host resource type per context and name (so
 * `error` in wasi:io/streams is the `error` of wasi:io/error). Handles are
 * representations in the store's table:
 *   input-stream   1 (stdin)            output-stream  2 (stdout), 3 (stderr)
 *   pollable       index + 1 into the context's pollable table (a monotonic
 *                  deadline; 0: always ready), freed by the resource's host
 *                  destructor when the guest drops it.
 * No other resource (error, descriptor, terminal-*) is ever handed out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "baton/trap.h"
#include "wasi/preview2.h"

enum {
  OP_GENERIC = 0,
  OP_GET_ENV,
  OP_GET_ARGS,
  OP_NONE,
  OP_EXIT,
  OP_EXIT_CODE,
  OP_ERR_DEBUG,
  OP_P_READY,
  OP_P_BLOCK,
  OP_POLL,
  OP_READ,
  OP_SKIP,
  OP_SUB_READY,
  OP_CHECK_WRITE,
  OP_WRITE,
  OP_FLUSH,
  OP_WRITE_ZEROES,
  OP_STDIN,
  OP_STDOUT,
  OP_STDERR,
  OP_WALL_NOW,
  OP_WALL_RES,
  OP_MONO_NOW,
  OP_MONO_RES,
  OP_SUB_INSTANT,
  OP_SUB_DURATION,
  OP_RAND_BYTES,
  OP_RAND_U64,
  OP_SEED,
  OP_EMPTY_LIST,
};

typedef struct {
  const char *iface; /* PKG/IFACE */
  const char *name;  /* the function's Component Model name */
  int op;
} op_def;

static const op_def OPS[] = {
    {"cli/environment", "get-environment", OP_GET_ENV},
    {"cli/environment", "get-arguments", OP_GET_ARGS},
    {"cli/environment", "initial-cwd", OP_NONE},
    {"cli/exit", "exit", OP_EXIT},
    {"cli/exit", "exit-with-code", OP_EXIT_CODE},
    {"io/error", "[method]error.to-debug-string", OP_ERR_DEBUG},
    {"io/poll", "[method]pollable.ready", OP_P_READY},
    {"io/poll", "[method]pollable.block", OP_P_BLOCK},
    {"io/poll", "poll", OP_POLL},
    {"io/streams", "[method]input-stream.read", OP_READ},
    {"io/streams", "[method]input-stream.blocking-read", OP_READ},
    {"io/streams", "[method]input-stream.skip", OP_SKIP},
    {"io/streams", "[method]input-stream.blocking-skip", OP_SKIP},
    {"io/streams", "[method]input-stream.subscribe", OP_SUB_READY},
    {"io/streams", "[method]output-stream.check-write", OP_CHECK_WRITE},
    {"io/streams", "[method]output-stream.write", OP_WRITE},
    {"io/streams", "[method]output-stream.blocking-write-and-flush", OP_WRITE},
    {"io/streams", "[method]output-stream.flush", OP_FLUSH},
    {"io/streams", "[method]output-stream.blocking-flush", OP_FLUSH},
    {"io/streams", "[method]output-stream.subscribe", OP_SUB_READY},
    {"io/streams", "[method]output-stream.write-zeroes", OP_WRITE_ZEROES},
    {"io/streams", "[method]output-stream.blocking-write-zeroes-and-flush", OP_WRITE_ZEROES},
    {"cli/stdin", "get-stdin", OP_STDIN},
    {"cli/stdout", "get-stdout", OP_STDOUT},
    {"cli/stderr", "get-stderr", OP_STDERR},
    {"cli/terminal-input", NULL, OP_GENERIC},
    {"cli/terminal-output", NULL, OP_GENERIC},
    {"cli/terminal-stdin", "get-terminal-stdin", OP_NONE},
    {"cli/terminal-stdout", "get-terminal-stdout", OP_NONE},
    {"cli/terminal-stderr", "get-terminal-stderr", OP_NONE},
    {"clocks/wall-clock", "now", OP_WALL_NOW},
    {"clocks/wall-clock", "resolution", OP_WALL_RES},
    {"clocks/monotonic-clock", "now", OP_MONO_NOW},
    {"clocks/monotonic-clock", "resolution", OP_MONO_RES},
    {"clocks/monotonic-clock", "subscribe-instant", OP_SUB_INSTANT},
    {"clocks/monotonic-clock", "subscribe-duration", OP_SUB_DURATION},
    {"random/random", "get-random-bytes", OP_RAND_BYTES},
    {"random/random", "get-random-u64", OP_RAND_U64},
    {"random/insecure", "get-insecure-random-bytes", OP_RAND_BYTES},
    {"random/insecure", "get-insecure-random-u64", OP_RAND_U64},
    {"random/insecure-seed", "insecure-seed", OP_SEED},
    {"filesystem/preopens", "get-directories", OP_EMPTY_LIST},
    {"filesystem/types", "filesystem-error-code", OP_NONE},
};

enum { REP_STDIN = 1, REP_STDOUT = 2, REP_STDERR = 3 };
#define MAX_RTYPES 16
#define WRITE_BUDGET 65536u /* what check-write grants */

typedef struct {
  uint64_t deadline; /* CLOCK_MONOTONIC ns; 0: ready */
  bool live;
} pollable;

struct bt_wasi2 {
  char **argv;
  size_t argc;
  char **env;
  size_t envc;
  baton_wasi_output_t output;
  void (*write)(void *, baton_instance_t *, int, const char *, size_t);
  void *write_env;
  int prefix_lines;
  int inherit_stdin;
  bool at_line_start[3];
  bt_cinstance_t *inst; /* the instance served (set by the first resolve) */
  bt_cstore_t *store;   /* retained: the resource types live in it */
  struct {
    const char *name;
    bt_crtype_t *rt;
  } rtypes[MAX_RTYPES];
  uint32_t nrtypes;
  bt_crtype_t *pollable_rt;
  pollable *polls;
  uint32_t npolls, cap_polls;
};

/* A host function's environment. */
typedef struct {
  bt_wasi2_t *w;
  int op;
  const bt_wit_function_t *wit;
  char name[160]; /* IFACE#function, for messages */
} fn_env;

/* ---- names ---- */

/* Splits `wasi:PKG/IFACE@0.2.*` into PKG/IFACE (in buf); false otherwise. */
static bool parse_name(const char *name, char *buf, size_t n) {
  if (strncmp(name, "wasi:", 5) != 0) return false;
  const char *p = name + 5, *at = strchr(p, '@');
  if (!at || strncmp(at, "@0.2.", 5) != 0 || !strchr(p, '/') || (size_t)(at - p) >= n) return false;
  memcpy(buf, p, (size_t)(at - p));
  buf[at - p] = 0;
  return true;
}

static bool known_iface(const char *iface) {
  if (!strcmp(iface, "filesystem/types")) return true;
  for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
    if (!strcmp(OPS[i].iface, iface)) return true;
  return false;
}

bool bt_wasi2_is_wasi(const char *name) { return strncmp(name, "wasi:", 5) == 0; }

bool bt_wasi2_provides(const char *name) {
  char iface[128];
  return parse_name(name, iface, sizeof iface) && known_iface(iface);
}

static int op_of(const char *iface, const char *fn) {
  for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
    if (OPS[i].name && !strcmp(OPS[i].iface, iface) && !strcmp(OPS[i].name, fn)) return OPS[i].op;
  return OP_GENERIC;
}

/* ---- the context ---- */

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++) bt_free(v[i]);
  bt_free(v);
}

static char **copy_strings(const char *const *v, size_t n) {
  char **c = bt_calloc(n + 1, sizeof *c);
  for (size_t i = 0; c && i < n; i++) {
    c[i] = bt_strdup(v[i] ? v[i] : "");
    if (!c[i]) {
      free_strings(c, i);
      return NULL;
    }
  }
  return c;
}

baton_error_t *bt_wasi2_new(const baton_wasi_config_t *cfg, bt_wasi2_t **out) {
  *out = NULL;
  baton_wasi_config_t none = {0};
  if (!cfg) cfg = &none;
  bt_wasi2_t *w = bt_calloc(1, sizeof *w);
  if (!w) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  w->argv = copy_strings(cfg->argv, cfg->argv ? cfg->argc : 0);
  w->argc = w->argv && cfg->argv ? cfg->argc : 0;
  w->env = copy_strings(cfg->env, cfg->env ? cfg->envc : 0);
  w->envc = w->env && cfg->env ? cfg->envc : 0;
  if (!w->argv || !w->env) {
    bt_wasi2_free(w);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  w->output = cfg->output;
  w->write = cfg->write;
  w->write_env = cfg->write_env;
  w->prefix_lines = cfg->prefix_lines;
  w->inherit_stdin = cfg->inherit_stdin;
  for (int i = 0; i < 3; i++) w->at_line_start[i] = true;
  *out = w;
  return NULL;
}

void bt_wasi2_free(bt_wasi2_t *w) {
  if (!w) return;
  if (w->pollable_rt) bt_crtype_set_host_dtor(w->pollable_rt, NULL, NULL);
  if (w->store) bt_cstore_release(w->store);
  free_strings(w->argv, w->argc);
  free_strings(w->env, w->envc);
  bt_free(w->polls);
  bt_free(w);
}

/* ---- pollables ---- */

static void pollable_drop(void *env, uint32_t rep) {
  bt_wasi2_t *w = env;
  if (rep >= 1 && rep <= w->npolls) w->polls[rep - 1].live = false;
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Adds a pollable with deadline d; returns its representation or 0. */
static uint32_t pollable_add(bt_wasi2_t *w, uint64_t d) {
  uint32_t i = 0;
  while (i < w->npolls && w->polls[i].live) i++;
  if (i == w->npolls) {
    if (w->npolls == w->cap_polls) {
      uint32_t cap = w->cap_polls ? w->cap_polls * 2 : 8;
      if (cap > (1u << 20)) return 0;
      pollable *n = bt_realloc(w->polls, sizeof *n * cap);
      if (!n) return 0;
      w->polls = n;
      w->cap_polls = cap;
    }
    w->npolls++;
  }
  w->polls[i] = (pollable){.deadline = d ? d : 0, .live = true};
  return i + 1;
}

static const pollable *pollable_get(bt_wasi2_t *w, uint32_t handle) {
  uint32_t rep;
  baton_error_t *err = bt_cstore_rep(w->store, handle, &rep);
  if (err) {
    baton_error_delete(err);
    return NULL;
  }
  return rep >= 1 && rep <= w->npolls && w->polls[rep - 1].live ? &w->polls[rep - 1] : NULL;
}

static void sleep_until(uint64_t deadline) {
  struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u), .tv_nsec = (long)(deadline % 1000000000u)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

/* ---- output ---- */

static void emit(bt_wasi2_t *w, int fd, const char *data, size_t len) {
  if (!len) return;
  if (w->output == BATON_WASI_OUTPUT_CALLBACK) {
    if (w->write) w->write(w->write_env, NULL, fd, data, len);
    return;
  }
  while (len) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    data += n;
    len -= (size_t)n;
  }
}

/* Sends guest output to its destination, prefixing lines when asked (as
 * preview1.c does, with the component instance's name). */
static void output(bt_wasi2_t *w, int fd, const uint8_t *data, size_t len) {
  if (w->output == BATON_WASI_OUTPUT_DISCARD) return;
  if (!w->prefix_lines) {
    emit(w, fd, (const char *)data, len);
    return;
  }
  char prefix[256];
  int plen = snprintf(prefix, sizeof prefix, "[%s] ", w->inst ? bt_cinstance_name(w->inst) : "component");
  if (plen < 0 || plen >= (int)sizeof prefix) plen = (int)sizeof prefix - 1;
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    if (w->at_line_start[fd]) {
      emit(w, fd, prefix, (size_t)plen);
      w->at_line_start[fd] = false;
    }
    if (data[i] == '\n') {
      emit(w, fd, (const char *)data + start, i + 1 - start);
      start = i + 1;
      w->at_line_start[fd] = true;
    }
  }
  emit(w, fd, (const char *)data + start, len - start);
}

/* ---- values ---- */

static baton_trap_t *oom(void) { return baton_trap_new(BATON_TRAP_MEMORY, "wasi: out of memory"); }

/* Index of the case or field named `name` in an enum/variant, or -1. */
static int case_of(const bt_wit_type_t *t, const char *name) {
  t = bt_wit_type_unalias(t);
  if (!t || (t->kind != BT_WIT_ENUM && t->kind != BT_WIT_VARIANT)) return -1;
  for (size_t i = 0; i < t->count; i++)
    if (!strcmp(t->fields[i].name, name)) return (int)i;
  return -1;
}

static bool set_var(baton_value_t *v, baton_value_kind_t kind, uint32_t index, const baton_value_t *payload) {
  v->kind = kind;
  v->of.var.index = index;
  v->of.var.payload = NULL;
  if (!payload) return true;
  v->of.var.payload = baton_value_new();
  if (!v->of.var.payload) return false;
  *v->of.var.payload = *payload;
  return true;
}

/* result: ok(payload) (payload moved, may be NULL). */
static bool ok_of(baton_value_t *v, const baton_value_t *payload) {
  return set_var(v, BATON_VALUE_RESULT, 0, payload);
}

/* result: err(stream-error.closed) for a function whose result is
 * result<T, stream-error>. */
static bool err_closed(baton_value_t *v, const bt_wit_function_t *f) {
  const bt_wit_type_t *r = bt_wit_type_unalias(f->result);
  int c = r && r->kind == BT_WIT_RESULT ? case_of(r->err, "closed") : -1;
  baton_value_t e = {.kind = BATON_VALUE_VARIANT, .of.var.index = c < 0 ? 1 : (uint32_t)c};
  return set_var(v, BATON_VALUE_RESULT, 1, &e);
}

static bool bytes_value(baton_value_t *v, const uint8_t *data, size_t n) {
  v->kind = BATON_VALUE_LIST;
  v->of.seq.len = 0;
  v->of.seq.items = n ? bt_calloc(n, sizeof *v->of.seq.items) : NULL;
  if (n && !v->of.seq.items) return false;
  for (size_t i = 0; i < n; i++) v->of.seq.items[i] = (baton_value_t){.kind = BATON_VALUE_U8, .of.u = data[i]};
  v->of.seq.len = n;
  return true;
}

static bool string_value(baton_value_t *v, const char *s, size_t n) {
  v->kind = BATON_VALUE_STRING;
  v->of.str.ptr = bt_strndup(s, n);
  v->of.str.len = n;
  return v->of.str.ptr != NULL;
}

static bool seq_value(baton_value_t *v, baton_value_kind_t kind, size_t n) {
  v->kind = kind;
  v->of.seq.len = n;
  v->of.seq.items = n ? bt_calloc(n, sizeof *v->of.seq.items) : NULL;
  return !n || v->of.seq.items;
}

static bool datetime_value(baton_value_t *v, uint64_t s, uint32_t ns) {
  if (!seq_value(v, BATON_VALUE_RECORD, 2)) return false;
  v->of.seq.items[0] = (baton_value_t){.kind = BATON_VALUE_U64, .of.u = s};
  v->of.seq.items[1] = (baton_value_t){.kind = BATON_VALUE_U32, .of.u = ns};
  return true;
}

static bool own_value(bt_wasi2_t *w, baton_value_t *v, const char *rtname, uint32_t rep);

/* The answer for a function baton does not implement, from its result type:
 * nothing, `none`, `err(unsupported)` (an error-code enum), `err(closed)`
 * (a stream-error), or a trap. */
static baton_trap_t *generic(fn_env *e, baton_value_t *result) {
  const bt_wit_type_t *r = bt_wit_type_unalias(e->wit->result);
  if (!r) return NULL;
  if (r->kind == BT_WIT_OPTION) return set_var(result, BATON_VALUE_OPTION, 0, NULL) ? NULL : oom();
  if (r->kind == BT_WIT_RESULT && r->err) {
    int c = case_of(r->err, "unsupported");
    const bt_wit_type_t *et = bt_wit_type_unalias(r->err);
    if (c >= 0 && et->kind == BT_WIT_ENUM) {
      baton_value_t ev = {.kind = BATON_VALUE_ENUM, .of.var.index = (uint32_t)c};
      return set_var(result, BATON_VALUE_RESULT, 1, &ev) ? NULL : oom();
    }
    if (case_of(r->err, "closed") >= 0) return err_closed(result, e->wit) ? NULL : oom();
  }
  return baton_trap_new(BATON_TRAP_HOST, "wasi: `%s` is not supported by baton", e->name);
}

/* ---- the host functions ---- */

static uint32_t handle_rep(bt_wasi2_t *w, const baton_value_t *h) {
  uint32_t rep = 0;
  baton_error_t *err = bt_cstore_rep(w->store, h->of.handle, &rep);
  baton_error_delete(err);
  return err ? 0 : rep;
}

static void fill_random(uint8_t *p, size_t n) {
  while (n) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      /* no entropy source: fall back to a weak clock-seeded generator */
      uint64_t x = mono_ns() | 1;
      for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (uint8_t)x;
      }
      return;
    }
    p += got;
    n -= (size_t)got;
  }
}

#define MAX_READ (1u << 20)
#define MAX_RANDOM (1u << 24)

static baton_trap_t *host_call(void *env, const baton_value_t *args, size_t nargs, baton_value_t *result) {
  fn_env *e = env;
  bt_wasi2_t *w = e->w;
  (void)nargs;
  switch (e->op) {
    case OP_GET_ENV: {
      if (!seq_value(result, BATON_VALUE_LIST, w->envc)) return oom();
      for (size_t i = 0; i < w->envc; i++) {
        const char *kv = w->env[i], *eq = strchr(kv, '=');
        size_t kn = eq ? (size_t)(eq - kv) : strlen(kv);
        baton_value_t *t = &result->of.seq.items[i];
        if (!seq_value(t, BATON_VALUE_TUPLE, 2) || !string_value(&t->of.seq.items[0], kv, kn) ||
            !string_value(&t->of.seq.items[1], eq ? eq + 1 : "", eq ? strlen(eq + 1) : 0))
          return oom();
      }
      return NULL;
    }
    case OP_GET_ARGS:
      if (!seq_value(result, BATON_VALUE_LIST, w->argc)) return oom();
      for (size_t i = 0; i < w->argc; i++)
        if (!string_value(&result->of.seq.items[i], w->argv[i], strlen(w->argv[i]))) return oom();
      return NULL;
    case OP_NONE: return set_var(result, BATON_VALUE_OPTION, 0, NULL) ? NULL : oom();
    case OP_EMPTY_LIST: return seq_value(result, BATON_VALUE_LIST, 0) ? NULL : oom();
    case OP_EXIT: return baton_trap_new_exit(args[0].of.var.index == 0 ? 0 : 1);
    case OP_EXIT_CODE: return baton_trap_new_exit((int)args[0].of.u);
    case OP_ERR_DEBUG: return string_value(result, "error", 5) ? NULL : oom();
    case OP_P_READY: {
      const pollable *p = pollable_get(w, args[0].of.handle);
      result->kind = BATON_VALUE_BOOL;
      result->of.b = !p || p->deadline <= mono_ns();
      return NULL;
    }
    case OP_P_BLOCK: {
      const pollable *p = pollable_get(w, args[0].of.handle);
      if (p && p->deadline > mono_ns()) sleep_until(p->deadline);
      return NULL;
    }
    case OP_POLL: {
      const baton_value_t *in = &args[0];
      if (in->of.seq.len == 0) return baton_trap_new(BATON_TRAP_HOST, "wasi: poll of an empty list");
      uint64_t now = mono_ns(), first = UINT64_MAX;
      size_t ready = 0;
      for (size_t i = 0; i < in->of.seq.len; i++) {
        const pollable *p = pollable_get(w, in->of.seq.items[i].of.handle);
        uint64_t d = p ? p->deadline : 0;
        if (d <= now) ready++;
        else if (d < first) first = d;
      }
      if (!ready) {
        sleep_until(first);
        now = mono_ns();
      }
      if (!seq_value(result, BATON_VALUE_LIST, in->of.seq.len)) return oom();
      size_t n = 0;
      for (size_t i = 0; i < in->of.seq.len; i++) {
        const pollable *p = pollable_get(w, in->of.seq.items[i].of.handle);
        if (!p || p->deadline <= now) result->of.seq.items[n++] = (baton_value_t){.kind = BATON_VALUE_U32, .of.u = i};
      }
      result->of.seq.len = n;
      return NULL;
    }
    case OP_READ: {
      uint32_t rep = handle_rep(w, &args[0]);
      uint64_t len = args[1].of.u;
      if (rep != REP_STDIN || !w->inherit_stdin) return err_closed(result, e->wit) ? NULL : oom();
      size_t n = len > MAX_READ ? MAX_READ : (size_t)len;
      uint8_t *buf = bt_malloc(n ? n : 1);
      if (!buf) return oom();
      ssize_t got = 0;
      if (n) {
        do got = read(0, buf, n);
        while (got < 0 && errno == EINTR);
      }
      baton_value_t list = {0};
      bool ok;
      if (n && got <= 0) ok = err_closed(result, e->wit); /* end of stream or an error */
      else ok = bytes_value(&list, buf, (size_t)got) && ok_of(result, &list);
      bt_free(buf);
      if (!ok) baton_value_clear(&list);
      return ok ? NULL : oom();
    }
    case OP_SKIP: return err_closed(result, e->wit) ? NULL : oom();
    case OP_SUB_READY: return own_value(w, result, "pollable", pollable_add(w, 0)) ? NULL : oom();
    case OP_CHECK_WRITE: {
      uint32_t rep = handle_rep(w, &args[0]);
      if (rep != REP_STDOUT && rep != REP_STDERR) return err_closed(result, e->wit) ? NULL : oom();
      baton_value_t n = {.kind = BATON_VALUE_U64, .of.u = WRITE_BUDGET};
      return ok_of(result, &n) ? NULL : oom();
    }
    case OP_WRITE:
    case OP_WRITE_ZEROES: {
      uint32_t rep = handle_rep(w, &args[0]);
      if (rep != REP_STDOUT && rep != REP_STDERR) return err_closed(result, e->wit) ? NULL : oom();
      int fd = rep == REP_STDOUT ? 1 : 2;
      if (e->op == OP_WRITE) {
        size_t n = args[1].of.seq.len;
        uint8_t *buf = bt_malloc(n ? n : 1);
        if (!buf) return oom();
        for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)args[1].of.seq.items[i].of.u;
        output(w, fd, buf, n);
        bt_free(buf);
      } else {
        static const uint8_t zeros[256];
        for (uint64_t left = args[1].of.u; left;) {
          size_t k = left > sizeof zeros ? sizeof zeros : (size_t)left;
          output(w, fd, zeros, k);
          left -= k;
        }
      }
      return ok_of(result, NULL) ? NULL : oom();
    }
    case OP_FLUSH: {
      uint32_t rep = handle_rep(w, &args[0]);
      if (rep != REP_STDOUT && rep != REP_STDERR) return err_closed(result, e->wit) ? NULL : oom();
      return ok_of(result, NULL) ? NULL : oom();
    }
    case OP_STDIN: return own_value(w, result, "input-stream", REP_STDIN) ? NULL : oom();
    case OP_STDOUT: return own_value(w, result, "output-stream", REP_STDOUT) ? NULL : oom();
    case OP_STDERR: return own_value(w, result, "output-stream", REP_STDERR) ? NULL : oom();
    case OP_WALL_NOW: {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      return datetime_value(result, (uint64_t)ts.tv_sec, (uint32_t)ts.tv_nsec) ? NULL : oom();
    }
    case OP_WALL_RES: {
      struct timespec ts;
      clock_getres(CLOCK_REALTIME, &ts);
      return datetime_value(result, (uint64_t)ts.tv_sec, (uint32_t)ts.tv_nsec) ? NULL : oom();
    }
    case OP_MONO_NOW:
      *result = (baton_value_t){.kind = BATON_VALUE_U64, .of.u = mono_ns()};
      return NULL;
    case OP_MONO_RES: {
      struct timespec ts;
      clock_getres(CLOCK_MONOTONIC, &ts);
      *result = (baton_value_t){.kind = BATON_VALUE_U64,
                                .of.u = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec};
      return NULL;
    }
    case OP_SUB_INSTANT:
    case OP_SUB_DURATION: {
      uint64_t d = args[0].of.u;
      if (e->op == OP_SUB_DURATION) {
        uint64_t now = mono_ns();
        d = d > UINT64_MAX - now ? UINT64_MAX : now + d;
      }
      return own_value(w, result, "pollable", pollable_add(w, d)) ? NULL : oom();
    }
    case OP_RAND_BYTES: {
      uint64_t len = args[0].of.u;
      if (len > MAX_RANDOM)
        return baton_trap_new(BATON_TRAP_HOST, "wasi: %s of %llu bytes (at most %u)", e->name,
                              (unsigned long long)len, MAX_RANDOM);
      uint8_t *buf = bt_malloc(len ? (size_t)len : 1);
      if (!buf) return oom();
      fill_random(buf, (size_t)len);
      bool ok = bytes_value(result, buf, (size_t)len);
      bt_free(buf);
      return ok ? NULL : oom();
    }
    case OP_RAND_U64: {
      uint64_t x;
      fill_random((uint8_t *)&x, sizeof x);
      *result = (baton_value_t){.kind = BATON_VALUE_U64, .of.u = x};
      return NULL;
    }
    case OP_SEED: {
      uint64_t x[2];
      fill_random((uint8_t *)x, sizeof x);
      if (!seq_value(result, BATON_VALUE_TUPLE, 2)) return oom();
      result->of.seq.items[0] = (baton_value_t){.kind = BATON_VALUE_U64, .of.u = x[0]};
      result->of.seq.items[1] = (baton_value_t){.kind = BATON_VALUE_U64, .of.u = x[1]};
      return NULL;
    }
    default: return generic(e, result);
  }
}

/* ---- resolving ---- */

/* The context's resource type named `name` (one per name), made on first
 * use. NULL when out of memory or past the limit. */
static bt_crtype_t *rtype(bt_wasi2_t *w, const char *name) {
  for (uint32_t i = 0; i < w->nrtypes; i++)
    if (!strcmp(w->rtypes[i].name, name)) return w->rtypes[i].rt;
  if (w->nrtypes == MAX_RTYPES) return NULL;
  bt_crtype_t *rt = bt_cstore_host_resource(w->store, name);
  if (!rt) return NULL;
  w->rtypes[w->nrtypes].rt = rt;
  w->rtypes[w->nrtypes].name = name; /* a static name or the component's (lives as long as w's use) */
  w->nrtypes++;
  if (!strcmp(name, "pollable")) {
    w->pollable_rt = rt;
    bt_crtype_set_host_dtor(rt, pollable_drop, w);
  }
  return rt;
}

/* An own handle of the resource `rtname` with representation rep in the
 * store's table (rep 0: out of room). */
static bool own_value(bt_wasi2_t *w, baton_value_t *v, const char *rtname, uint32_t rep) {
  bt_crtype_t *rt = rep ? rtype(w, rtname) : NULL;
  if (!rt) return false;
  uint32_t h;
  baton_error_t *err = bt_cstore_own(w->store, rt, rep, &h);
  if (err) {
    baton_error_delete(err);
    if (!strcmp(rtname, "pollable")) pollable_drop(w, rep);
    return false;
  }
  *v = (baton_value_t){.kind = BATON_VALUE_OWN, .of.handle = h};
  return true;
}

/* Resource names the resolver may be asked about, interned so that rtype's
 * table never points into the component. */
static const char *const RNAMES[] = {"error", "pollable", "input-stream", "output-stream", "terminal-input",
                                     "terminal-output", "descriptor", "directory-entry-stream"};

baton_error_t *bt_wasi2_resolve(void *env, bt_cinstance_t *inst, const bt_cextern_t *imp, bt_citem_t *out) {
  bt_wasi2_t *w = env;
  char iface[128];
  if (!parse_name(imp->name, iface, sizeof iface) || !known_iface(iface)) {
    if (bt_wasi2_is_wasi(imp->name))
      return baton_error_new(BATON_ELINK, "import `%s` is not provided: baton implements WASI 0.2.x cli, io, "
                             "clocks, random and filesystem (types, preopens) interfaces", imp->name);
    return baton_error_new(BATON_ELINK, "import `%s` is not provided (only WASI 0.2 imports are)", imp->name);
  }
  if (w->inst && w->inst != inst)
    return baton_error_new(BATON_ESTATE, "import `%s`: a WASI 0.2 context serves one component instance",
                           imp->name);
  if (!w->inst) {
    w->inst = inst;
    w->store = bt_cinstance_store(inst);
    bt_cstore_retain(w->store);
  }
  const bt_ctype_t *t = bt_ctype_unalias(imp->type);
  if (imp->sort != BT_CSORT_INSTANCE || !t)
    return baton_error_new(BATON_ELINK, "import `%s`: a %s; WASI interfaces are instances", imp->name,
                           bt_csort_name(imp->sort));
  bt_cvinst_t *bag = bt_cinstance_new_bag(inst, t->nexports);
  if (!bag) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  for (uint32_t i = 0; i < t->nexports; i++) {
    const bt_cextern_t *x = &t->exports[i];
    bt_citem_t it = {x->sort, NULL};
    if (x->sort == BT_CSORT_FUNC) {
      fn_env *fe = bt_calloc(1, sizeof *fe);
      if (!fe) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
      fe->w = w;
      fe->op = op_of(iface, x->name);
      snprintf(fe->name, sizeof fe->name, "%s#%s", imp->name, x->name);
      baton_error_t *err = NULL;
      bt_cfunc_t *f = bt_cinstance_host_func(inst, x->type, fe->name, host_call, fe, bt_free, &err);
      if (!f) {
        bt_free(fe);
        return err ? err : baton_error_new(BATON_ENO_MEMORY, "out of memory");
      }
      fe->wit = bt_cfunc_wit(f);
      it.p = f;
    } else if (x->sort == BT_CSORT_TYPE) {
      const bt_ctype_t *u = bt_ctype_unalias(x->type);
      if (u && u->kind == BT_CT_RESOURCE) {
        const char *name = NULL;
        for (size_t k = 0; k < sizeof RNAMES / sizeof RNAMES[0] && !name; k++)
          if (!strcmp(RNAMES[k], x->name)) name = RNAMES[k];
        if (!name)
          return baton_error_new(BATON_ELINK, "import `%s`: unknown WASI resource `%s`", imp->name, x->name);
        it.p = rtype(w, name);
        if (!it.p) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
      }
    } else {
      return baton_error_new(BATON_ELINK, "import `%s`: unexpected %s `%s`", imp->name, bt_csort_name(x->sort),
                             x->name);
    }
    if (!bt_cvinst_set(inst, bag, i, x->name, it)) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  out->sort = BT_CSORT_INSTANCE;
  out->p = bag;
  return NULL;
}
