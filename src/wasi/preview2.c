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
 *   descriptor     index + 1 into the context's descriptor table (a host fd:
 *                  a granted directory's dup or a file/directory opened
 *                  beneath it), closed by the host destructor.
 *   file streams   REP_FILE + index into the file stream table (a dup of the
 *                  descriptor's fd and an offset), closed likewise.
 * No other resource (error, terminal-*) is ever handed out.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "baton/trap.h"
#include "engine/internal.h"
#include "wasi/fs.h"
#include "wasi/hostwait.h"
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
  OP_GET_DIRS,
  OP_D_OPEN_AT,
  OP_D_READ_STREAM,
  OP_D_WRITE_STREAM,
  OP_D_APPEND_STREAM,
  OP_D_STAT,
  OP_D_STAT_AT,
  OP_D_GET_TYPE,
  OP_D_GET_FLAGS,
  OP_D_MKDIR,
  OP_D_UNLINK,
  OP_D_HASH,
  OP_D_HASH_AT,
  OP_D_SYNC,
  OP_D_READ_DIR,
  OP_DIR_ENTRY,
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
    {"filesystem/preopens", "get-directories", OP_GET_DIRS},
    {"filesystem/types", "[method]descriptor.open-at", OP_D_OPEN_AT},
    {"filesystem/types", "[method]descriptor.read-via-stream", OP_D_READ_STREAM},
    {"filesystem/types", "[method]descriptor.write-via-stream", OP_D_WRITE_STREAM},
    {"filesystem/types", "[method]descriptor.append-via-stream", OP_D_APPEND_STREAM},
    {"filesystem/types", "[method]descriptor.stat", OP_D_STAT},
    {"filesystem/types", "[method]descriptor.stat-at", OP_D_STAT_AT},
    {"filesystem/types", "[method]descriptor.get-type", OP_D_GET_TYPE},
    {"filesystem/types", "[method]descriptor.get-flags", OP_D_GET_FLAGS},
    {"filesystem/types", "[method]descriptor.create-directory-at", OP_D_MKDIR},
    {"filesystem/types", "[method]descriptor.unlink-file-at", OP_D_UNLINK},
    {"filesystem/types", "[method]descriptor.metadata-hash", OP_D_HASH},
    {"filesystem/types", "[method]descriptor.metadata-hash-at", OP_D_HASH_AT},
    {"filesystem/types", "[method]descriptor.sync", OP_D_SYNC},
    {"filesystem/types", "[method]descriptor.read-directory", OP_D_READ_DIR},
    {"filesystem/types", "[method]directory-entry-stream.read-directory-entry", OP_DIR_ENTRY},
    {"filesystem/types", "[method]descriptor.sync-data", OP_D_SYNC},
    {"filesystem/types", "filesystem-error-code", OP_NONE},
};

enum { REP_STDIN = 1, REP_STDOUT = 2, REP_STDERR = 3, REP_FILE = 16 /* file streams: REP_FILE + index */ };
#define MAX_RTYPES 16
#define WRITE_BUDGET 65536u /* what check-write grants */

typedef struct {
  uint64_t deadline; /* CLOCK_MONOTONIC ns; 0: ready */
  bool live;
} pollable;

/* A granted directory (the host directory stays open for the context). */
typedef struct {
  int dirfd;
  char *guest;
  bool ro;
} preopen;

/* A descriptor resource (representation: index + 1). */
typedef struct {
  int fd;
  bool live, ro, is_dir, can_read, can_write;
} desc;

/* A file-backed input or output stream (representation: REP_FILE + index),
 * with its own duplicate of the file's fd. */
typedef struct {
  int fd;
  uint64_t off;
  bool live, out, append;
} fstream;

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
  preopen *pre;
  size_t npre;
  bt_crtype_t *desc_rt, *in_rt, *out_rt;
  desc *descs;
  uint32_t ndescs, cap_descs;
  fstream *fss;
  uint32_t nfss, cap_fss;
  bt_crtype_t *dirs_rt;
  DIR **dirs; /* directory-entry streams (representation: index + 1) */
  uint32_t ndirs, cap_dirs;
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

baton_error_t *bt_wasi2_check(const bt_cextern_t *imp) {
  if (imp->sort == BT_CSORT_TYPE && !bt_wasi2_is_wasi(imp->name)) return NULL;
  char iface[128];
  if (!parse_name(imp->name, iface, sizeof iface) || !known_iface(iface)) {
    if (bt_wasi2_is_wasi(imp->name))
      return baton_error_new(BATON_ELINK, "import `%s` is not provided: baton implements WASI 0.2.x cli, io, "
                             "clocks, random and filesystem (types, preopens) interfaces", imp->name);
    return baton_error_new(BATON_ELINK, "import `%s` is not provided (only WASI 0.2 imports are)", imp->name);
  }
  if (imp->sort != BT_CSORT_INSTANCE)
    return baton_error_new(BATON_ELINK, "import `%s`: a %s; WASI interfaces are instances", imp->name,
                           bt_csort_name(imp->sort));
  return NULL;
}

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
  if (cfg->npreopens) {
    w->pre = bt_calloc(cfg->npreopens, sizeof *w->pre);
    if (!w->pre) {
      bt_wasi2_free(w);
      return baton_error_new(BATON_ENO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < cfg->npreopens; i++) w->pre[i].dirfd = -1;
    w->npre = cfg->npreopens;
    for (size_t i = 0; i < cfg->npreopens; i++) {
      const baton_wasi_preopen_t *p = &cfg->preopens[i];
      preopen *q = &w->pre[i];
      baton_error_t *gerr = bt_wasi_open_grant(p, i, i == 0, &q->dirfd);
      if (gerr) {
        bt_wasi2_free(w);
        return gerr;
      }
      q->guest = bt_strdup(p->guest_path && *p->guest_path ? p->guest_path : p->host_path);
      q->ro = p->read_only != 0;
      if (!q->guest) {
        bt_wasi2_free(w);
        return baton_error_new(BATON_ENO_MEMORY, "out of memory");
      }
    }
  }
  *out = w;
  return NULL;
}

void bt_wasi2_free(bt_wasi2_t *w) {
  if (!w) return;
  if (w->pollable_rt) bt_crtype_set_host_dtor(w->pollable_rt, NULL, NULL);
  if (w->desc_rt) bt_crtype_set_host_dtor(w->desc_rt, NULL, NULL);
  if (w->in_rt) bt_crtype_set_host_dtor(w->in_rt, NULL, NULL);
  if (w->out_rt) bt_crtype_set_host_dtor(w->out_rt, NULL, NULL);
  if (w->dirs_rt) bt_crtype_set_host_dtor(w->dirs_rt, NULL, NULL);
  for (uint32_t i = 0; i < w->ndirs; i++)
    if (w->dirs[i]) closedir(w->dirs[i]);
  bt_free(w->dirs);
  for (size_t i = 0; w->pre && i < w->npre; i++) {
    if (w->pre[i].dirfd >= 0) close(w->pre[i].dirfd);
    bt_free(w->pre[i].guest);
  }
  bt_free(w->pre);
  for (uint32_t i = 0; i < w->ndescs; i++)
    if (w->descs[i].live) close(w->descs[i].fd);
  bt_free(w->descs);
  for (uint32_t i = 0; i < w->nfss; i++)
    if (w->fss[i].live) close(w->fss[i].fd);
  bt_free(w->fss);
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

/* Sleeps until the pollable deadline d, or until the call's deadline.
 * Returns whether d was reached; when not, the host function returns
 * bt_runtime_deadline_trap() (a result would be lowered through the
 * guest's realloc, which the passed deadline refuses). */
static bool sleep_until(uint64_t d) { return bt_wasi_sleep_until(d) == 0; }

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

/* ---- filesystem: descriptors and file streams ---- */

static void desc_drop(void *env, uint32_t rep) {
  bt_wasi2_t *w = env;
  if (rep >= 1 && rep <= w->ndescs && w->descs[rep - 1].live) {
    close(w->descs[rep - 1].fd);
    w->descs[rep - 1].live = false;
  }
}

static void fstream_drop(void *env, uint32_t rep) {
  bt_wasi2_t *w = env;
  if (rep >= REP_FILE && rep - REP_FILE < w->nfss && w->fss[rep - REP_FILE].live) {
    close(w->fss[rep - REP_FILE].fd);
    w->fss[rep - REP_FILE].live = false;
  }
}

/* Takes ownership of d.fd; returns the representation, or 0 (fd closed). */
static uint32_t desc_add(bt_wasi2_t *w, desc d) {
  uint32_t i = 0;
  while (i < w->ndescs && w->descs[i].live) i++;
  if (i == w->ndescs) {
    if (w->ndescs == w->cap_descs) {
      uint32_t cap = w->cap_descs ? w->cap_descs * 2 : 8;
      desc *n = cap > 4096 ? NULL : bt_realloc(w->descs, sizeof *n * cap);
      if (!n) {
        close(d.fd);
        return 0;
      }
      w->descs = n;
      w->cap_descs = cap;
    }
    w->ndescs++;
  }
  d.live = true;
  w->descs[i] = d;
  return i + 1;
}

/* Duplicates fd into a new file stream; returns its representation or 0. */
static uint32_t fstream_add(bt_wasi2_t *w, int fd, uint64_t off, bool out, bool append) {
  uint32_t i = 0;
  while (i < w->nfss && w->fss[i].live) i++;
  if (i == w->nfss) {
    if (w->nfss == w->cap_fss) {
      uint32_t cap = w->cap_fss ? w->cap_fss * 2 : 8;
      fstream *n = cap > 4096 ? NULL : bt_realloc(w->fss, sizeof *n * cap);
      if (!n) return 0;
      w->fss = n;
      w->cap_fss = cap;
    }
    w->nfss++;
  }
  int h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (h < 0) {
    if (i == w->nfss - 1) w->nfss--;
    return 0;
  }
  w->fss[i] = (fstream){.fd = h, .off = off, .live = true, .out = out, .append = append};
  return REP_FILE + i;
}

static desc *desc_get(bt_wasi2_t *w, const baton_value_t *h) {
  uint32_t rep = handle_rep(w, h);
  return rep >= 1 && rep <= w->ndescs && w->descs[rep - 1].live ? &w->descs[rep - 1] : NULL;
}

static fstream *fstream_get(bt_wasi2_t *w, uint32_t rep, bool out) {
  if (rep < REP_FILE || rep - REP_FILE >= w->nfss) return NULL;
  fstream *f = &w->fss[rep - REP_FILE];
  return f->live && f->out == out ? f : NULL;
}

/* Whether the flag `name` of flags type t is set in bits. */
static bool has_flag(const bt_wit_type_t *t, uint64_t bits, const char *name) {
  t = bt_wit_type_unalias(t);
  if (!t || t->kind != BT_WIT_FLAGS) return false;
  for (size_t i = 0; i < t->count && i < 64; i++)
    if (!strcmp(t->fields[i].name, name)) return (bits >> i) & 1;
  return false;
}

static uint64_t flag_bit(const bt_wit_type_t *t, const char *name) {
  t = bt_wit_type_unalias(t);
  if (!t || t->kind != BT_WIT_FLAGS) return 0;
  for (size_t i = 0; i < t->count && i < 64; i++)
    if (!strcmp(t->fields[i].name, name)) return 1ull << i;
  return 0;
}

static const bt_wit_type_t *param_type(const bt_wit_function_t *f, size_t i) {
  return i < f->param_count ? f->params[i].type : NULL;
}

static const bt_wit_type_t *ok_type(const bt_wit_function_t *f) {
  const bt_wit_type_t *r = bt_wit_type_unalias(f->result);
  return r && r->kind == BT_WIT_RESULT ? r->ok : NULL;
}

static const char *code_name(int e) {
  switch (e) {
    case EACCES: return "access";
    case EPERM: return "not-permitted";
    case EXDEV: return "not-permitted"; /* RESOLVE_BENEATH refused an escape */
    case EEXIST: return "exist";
    case EFBIG: return "file-too-large";
    case EISDIR: return "is-directory";
    case ELOOP: return "loop";
    case EMFILE: case ENFILE: return "insufficient-descriptors";
    case ENAMETOOLONG: return "name-too-long";
    case ENOENT: return "no-entry";
    case ENOMEM: return "insufficient-memory";
    case ENOSPC: return "insufficient-space";
    case ENOTDIR: return "not-directory";
    case ENOTEMPTY: return "not-empty";
    case EROFS: return "read-only";
    case EINVAL: return "invalid";
    case EBADF: return "bad-descriptor";
    case ESPIPE: return "invalid-seek";
    case EBUSY: return "busy";
    default: return "io";
  }
}

/* result: err(error-code) for errno value e. */
static baton_trap_t *fs_err(fn_env *e, baton_value_t *result, int err) {
  const bt_wit_type_t *r = bt_wit_type_unalias(e->wit->result);
  int c = r && r->kind == BT_WIT_RESULT ? case_of(r->err, code_name(err)) : -1;
  if (c < 0 && r && r->kind == BT_WIT_RESULT) c = case_of(r->err, "io");
  if (c < 0) return baton_trap_new(BATON_TRAP_HOST, "wasi: `%s`: no error-code", e->name);
  baton_value_t ev = {.kind = BATON_VALUE_ENUM, .of.var.index = (uint32_t)c};
  return set_var(result, BATON_VALUE_RESULT, 1, &ev) ? NULL : oom();
}

static const char *type_name(mode_t m) {
  if (S_ISREG(m)) return "regular-file";
  if (S_ISDIR(m)) return "directory";
  if (S_ISLNK(m)) return "symbolic-link";
  if (S_ISCHR(m)) return "character-device";
  if (S_ISBLK(m)) return "block-device";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  return "unknown";
}

static bool type_value(baton_value_t *v, const bt_wit_type_t *t, mode_t m) {
  int c = case_of(t, type_name(m));
  *v = (baton_value_t){.kind = BATON_VALUE_ENUM, .of.var.index = c < 0 ? 0 : (uint32_t)c};
  return true;
}

static bool time_value(baton_value_t *v, const struct timespec *ts) {
  baton_value_t d = {0};
  if (!datetime_value(&d, (uint64_t)ts->tv_sec, (uint32_t)ts->tv_nsec)) return false;
  if (set_var(v, BATON_VALUE_OPTION, 1, &d)) return true;
  baton_value_clear(&d);
  return false;
}

/* result: ok(descriptor-stat) for st. */
static baton_trap_t *stat_result(fn_env *e, baton_value_t *result, const struct stat *st) {
  const bt_wit_type_t *rt = bt_wit_type_unalias(ok_type(e->wit));
  if (!rt || rt->kind != BT_WIT_RECORD || rt->count < 6)
    return baton_trap_new(BATON_TRAP_HOST, "wasi: `%s`: unexpected descriptor-stat", e->name);
  baton_value_t rec = {0};
  if (!seq_value(&rec, BATON_VALUE_RECORD, 6)) return oom();
  type_value(&rec.of.seq.items[0], rt->fields[0].type, st->st_mode);
  rec.of.seq.items[1] = (baton_value_t){.kind = BATON_VALUE_U64, .of.u = (uint64_t)st->st_nlink};
  rec.of.seq.items[2] = (baton_value_t){.kind = BATON_VALUE_U64, .of.u = (uint64_t)st->st_size};
  bool ok = time_value(&rec.of.seq.items[3], &st->st_atim) && time_value(&rec.of.seq.items[4], &st->st_mtim) &&
            time_value(&rec.of.seq.items[5], &st->st_ctim) && ok_of(result, &rec);
  if (!ok) {
    baton_value_clear(&rec);
    return oom();
  }
  return NULL;
}

static baton_trap_t *hash_result(baton_value_t *result, const struct stat *st) {
  baton_value_t rec = {0};
  if (!seq_value(&rec, BATON_VALUE_RECORD, 2)) return oom();
  rec.of.seq.items[0] = (baton_value_t){.kind = BATON_VALUE_U64, .of.u = (uint64_t)st->st_ino};
  rec.of.seq.items[1] = (baton_value_t){.kind = BATON_VALUE_U64, .of.u = (uint64_t)st->st_dev};
  if (ok_of(result, &rec)) return NULL;
  baton_value_clear(&rec);
  return oom();
}

/* Copies a string value into buf as a C path; an errno value or 0. */
static int path_of(const baton_value_t *v, char *buf, size_t cap) {
  if (v->of.str.len >= cap) return ENAMETOOLONG;
  if (memchr(v->of.str.ptr, 0, v->of.str.len)) return EINVAL;
  memcpy(buf, v->of.str.ptr, v->of.str.len);
  buf[v->of.str.len] = 0;
  return 0;
}

/* stat-at / metadata-hash-at: (self, path-flags, path). */
static int stat_at(fn_env *e, desc *d, const baton_value_t *args, struct stat *st) {
  if (!d->is_dir) return ENOTDIR;
  char path[4096];
  int r = path_of(&args[2], path, sizeof path);
  if (r) return r;
  bool follow = has_flag(param_type(e->wit, 1), args[1].of.flags, "symlink-follow");
  long h = bt_wasi_openat2(d->fd, path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
  if (h < 0) return errno;
  r = fstat((int)h, st) < 0 ? errno : 0;
  close((int)h);
  return r;
}

/* open-at: (self, path-flags, path, open-flags, descriptor-flags). */
static baton_trap_t *open_at(fn_env *e, desc *d, const baton_value_t *args, baton_value_t *result) {
  bt_wasi2_t *w = e->w;
  if (!d->is_dir) return fs_err(e, result, ENOTDIR);
  char path[4096];
  int r = path_of(&args[2], path, sizeof path);
  if (r) return fs_err(e, result, r);
  const bt_wit_type_t *pf = param_type(e->wit, 1), *of = param_type(e->wit, 3), *df = param_type(e->wit, 4);
  bool follow = has_flag(pf, args[1].of.flags, "symlink-follow");
  bool creat = has_flag(of, args[3].of.flags, "create"), directory = has_flag(of, args[3].of.flags, "directory");
  bool excl = has_flag(of, args[3].of.flags, "exclusive"), trunc = has_flag(of, args[3].of.flags, "truncate");
  bool want_read = has_flag(df, args[4].of.flags, "read");
  bool want_write = has_flag(df, args[4].of.flags, "write") || has_flag(df, args[4].of.flags, "mutate-directory");
  if (d->ro && (want_write || creat || trunc)) return fs_err(e, result, EROFS);
  uint64_t flags;
  if (directory) {
    if (creat || trunc || has_flag(df, args[4].of.flags, "write")) return fs_err(e, result, EISDIR);
    flags = O_RDONLY | O_DIRECTORY;
  } else if (has_flag(df, args[4].of.flags, "write")) {
    flags = want_read ? O_RDWR : O_WRONLY;
  } else {
    flags = O_RDONLY;
  }
  if (creat) flags |= O_CREAT;
  if (excl) flags |= O_EXCL;
  if (trunc) flags |= O_TRUNC;
  if (has_flag(df, args[4].of.flags, "file-integrity-sync")) flags |= O_SYNC;
  else if (has_flag(df, args[4].of.flags, "data-integrity-sync")) flags |= O_DSYNC;
  if (!follow) flags |= O_NOFOLLOW;
  /* A FIFO must not block the open waiting for its other end (file
   * streams are positional, so its streams then report closed). */
  flags |= O_NONBLOCK;
  long h = bt_wasi_openat2(d->fd, path, flags, 0666);
  if (h < 0 && errno == EISDIR && (flags & O_ACCMODE) == O_RDONLY)
    h = bt_wasi_openat2(d->fd, path, O_RDONLY | O_DIRECTORY | (follow ? 0 : O_NOFOLLOW), 0);
  if (h < 0) return fs_err(e, result, errno);
  struct stat st;
  if (fstat((int)h, &st) < 0) {
    int err = errno;
    close((int)h);
    return fs_err(e, result, err);
  }
  int acc = (int)(flags & O_ACCMODE);
  uint32_t rep = desc_add(w, (desc){.fd = (int)h, .ro = d->ro, .is_dir = S_ISDIR(st.st_mode),
                                    .can_read = acc != O_WRONLY, .can_write = acc != O_RDONLY});
  baton_value_t hv = {0};
  if (!rep || !own_value(w, &hv, "descriptor", rep)) return oom();
  return ok_of(result, &hv) ? NULL : oom();
}

/* get-directories: list<tuple<own<descriptor>, string>>. */
static baton_trap_t *get_dirs(bt_wasi2_t *w, baton_value_t *result) {
  if (!seq_value(result, BATON_VALUE_LIST, w->npre)) return oom();
  for (size_t i = 0; i < w->npre; i++) {
    baton_value_t *t = &result->of.seq.items[i];
    int h = fcntl(w->pre[i].dirfd, F_DUPFD_CLOEXEC, 3);
    if (h < 0) return baton_trap_new(BATON_TRAP_HOST, "wasi: get-directories: %s", strerror(errno));
    uint32_t rep = desc_add(w, (desc){.fd = h, .ro = w->pre[i].ro, .is_dir = true, .can_read = true,
                                      .can_write = !w->pre[i].ro});
    if (!rep || !seq_value(t, BATON_VALUE_TUPLE, 2) || !own_value(w, &t->of.seq.items[0], "descriptor", rep) ||
        !string_value(&t->of.seq.items[1], w->pre[i].guest, strlen(w->pre[i].guest)))
      return oom();
  }
  return NULL;
}

/* ---- filesystem: directory entry streams ---- */

static void dirs_drop(void *env, uint32_t rep) {
  bt_wasi2_t *w = env;
  if (rep >= 1 && rep <= w->ndirs && w->dirs[rep - 1]) {
    closedir(w->dirs[rep - 1]);
    w->dirs[rep - 1] = NULL;
  }
}

/* read-directory: a fresh directory stream (its own fd and position). */
static baton_trap_t *read_dir(fn_env *e, desc *d, baton_value_t *result) {
  bt_wasi2_t *w = e->w;
  if (!d->is_dir) return fs_err(e, result, ENOTDIR);
  long h = bt_wasi_openat2(d->fd, ".", O_RDONLY | O_DIRECTORY, 0);
  if (h < 0) return fs_err(e, result, errno);
  DIR *dir = fdopendir((int)h);
  if (!dir) {
    int err = errno;
    close((int)h);
    return fs_err(e, result, err);
  }
  uint32_t i = 0;
  while (i < w->ndirs && w->dirs[i]) i++;
  if (i == w->ndirs) {
    if (w->ndirs == w->cap_dirs) {
      uint32_t cap = w->cap_dirs ? w->cap_dirs * 2 : 4;
      DIR **n = cap > 4096 ? NULL : bt_realloc(w->dirs, sizeof *n * cap);
      if (!n) {
        closedir(dir);
        return oom();
      }
      w->dirs = n;
      w->cap_dirs = cap;
    }
    w->ndirs++;
  }
  w->dirs[i] = dir;
  baton_value_t hv = {0};
  if (!own_value(w, &hv, "directory-entry-stream", i + 1)) return oom();
  return ok_of(result, &hv) ? NULL : oom();
}

/* directory-entry-stream.read-directory-entry: the next entry but "." and
 * "..", or none at the end. */
static baton_trap_t *read_dir_entry(fn_env *e, const baton_value_t *args, baton_value_t *result) {
  bt_wasi2_t *w = e->w;
  uint32_t rep = handle_rep(w, &args[0]);
  DIR *dir = rep >= 1 && rep <= w->ndirs ? w->dirs[rep - 1] : NULL;
  if (!dir) return fs_err(e, result, EBADF);
  struct dirent *de;
  do {
    errno = 0;
    de = readdir(dir);
  } while (de && (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")));
  if (!de) {
    if (errno) return fs_err(e, result, errno);
    baton_value_t none = {0};
    set_var(&none, BATON_VALUE_OPTION, 0, NULL);
    return ok_of(result, &none) ? NULL : oom();
  }
  /* result<option<directory-entry>>: the entry record's type field */
  const bt_wit_type_t *opt = bt_wit_type_unalias(ok_type(e->wit));
  const bt_wit_type_t *rec = opt && opt->kind == BT_WIT_OPTION ? bt_wit_type_unalias(opt->target) : NULL;
  if (!rec || rec->kind != BT_WIT_RECORD || rec->count < 2)
    return baton_trap_new(BATON_TRAP_HOST, "wasi: `%s`: unexpected directory-entry", e->name);
  mode_t m = 0;
  switch (de->d_type) {
    case DT_REG: m = S_IFREG; break;
    case DT_DIR: m = S_IFDIR; break;
    case DT_LNK: m = S_IFLNK; break;
    case DT_CHR: m = S_IFCHR; break;
    case DT_BLK: m = S_IFBLK; break;
    case DT_FIFO: m = S_IFIFO; break;
    case DT_SOCK: m = S_IFSOCK; break;
    default: {
      struct stat st;
      if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) m = st.st_mode;
    }
  }
  baton_value_t r = {0}, some = {0};
  if (!seq_value(&r, BATON_VALUE_RECORD, 2)) return oom();
  type_value(&r.of.seq.items[0], rec->fields[0].type, m);
  if (!string_value(&r.of.seq.items[1], de->d_name, strlen(de->d_name)) ||
      !set_var(&some, BATON_VALUE_OPTION, 1, &r)) {
    baton_value_clear(&r);
    return oom();
  }
  if (ok_of(result, &some)) return NULL;
  baton_value_clear(&some);
  return oom();
}

/* The descriptor methods; args[0] is the descriptor. */
static baton_trap_t *desc_call(fn_env *e, const baton_value_t *args, baton_value_t *result) {
  bt_wasi2_t *w = e->w;
  desc *d = desc_get(w, &args[0]);
  if (!d) return fs_err(e, result, EBADF);
  switch (e->op) {
    case OP_D_OPEN_AT: return open_at(e, d, args, result);
    case OP_D_READ_STREAM:
    case OP_D_WRITE_STREAM:
    case OP_D_APPEND_STREAM: {
      bool out = e->op != OP_D_READ_STREAM;
      if (d->is_dir) return fs_err(e, result, EISDIR);
      if (out ? !d->can_write : !d->can_read) return fs_err(e, result, EBADF);
      uint32_t rep = fstream_add(w, d->fd, e->op == OP_D_APPEND_STREAM ? 0 : args[1].of.u, out,
                                 e->op == OP_D_APPEND_STREAM);
      baton_value_t hv = {0};
      if (!rep || !own_value(w, &hv, out ? "output-stream" : "input-stream", rep)) return oom();
      return ok_of(result, &hv) ? NULL : oom();
    }
    case OP_D_STAT:
    case OP_D_HASH: {
      struct stat st;
      if (fstat(d->fd, &st) < 0) return fs_err(e, result, errno);
      return e->op == OP_D_STAT ? stat_result(e, result, &st) : hash_result(result, &st);
    }
    case OP_D_STAT_AT:
    case OP_D_HASH_AT: {
      struct stat st;
      int r = stat_at(e, d, args, &st);
      if (r) return fs_err(e, result, r);
      return e->op == OP_D_STAT_AT ? stat_result(e, result, &st) : hash_result(result, &st);
    }
    case OP_D_GET_TYPE: {
      struct stat st;
      if (fstat(d->fd, &st) < 0) return fs_err(e, result, errno);
      baton_value_t v;
      type_value(&v, ok_type(e->wit), st.st_mode);
      return ok_of(result, &v) ? NULL : oom();
    }
    case OP_D_GET_FLAGS: {
      const bt_wit_type_t *ft = ok_type(e->wit);
      uint64_t bits = 0;
      if (d->can_read) bits |= flag_bit(ft, "read");
      if (d->can_write && !d->is_dir) bits |= flag_bit(ft, "write");
      if (d->is_dir && !d->ro) bits |= flag_bit(ft, "mutate-directory");
      baton_value_t v = {.kind = BATON_VALUE_FLAGS, .of.flags = bits};
      return ok_of(result, &v) ? NULL : oom();
    }
    case OP_D_MKDIR:
    case OP_D_UNLINK: {
      if (!d->is_dir) return fs_err(e, result, ENOTDIR);
      if (d->ro) return fs_err(e, result, EROFS);
      char path[4096];
      int r = path_of(&args[1], path, sizeof path);
      if (r) return fs_err(e, result, r);
      size_t n = strlen(path);
      if (e->op == OP_D_UNLINK && n && path[n - 1] == '/') return fs_err(e, result, ENOTDIR);
      int parent = -1;
      const char *last = NULL;
      r = bt_wasi_open_parent(d->fd, path, &parent, &last);
      if (r) return fs_err(e, result, r);
      int rc = e->op == OP_D_MKDIR ? mkdirat(parent, last, 0777) : unlinkat(parent, last, 0);
      int err = errno;
      close(parent);
      if (rc < 0) return fs_err(e, result, err);
      return ok_of(result, NULL) ? NULL : oom();
    }
    case OP_D_READ_DIR: return read_dir(e, d, result);
    case OP_D_SYNC:
      if (!d->is_dir && fdatasync(d->fd) < 0 && errno != EINVAL) return fs_err(e, result, errno);
      return ok_of(result, NULL) ? NULL : oom();
    default: return generic(e, result);
  }
}

#define MAX_READ (1u << 20)

/* input-stream.read on a file stream: up to len bytes at its offset;
 * closed at the end of the file or on an error. */
static baton_trap_t *file_read(fn_env *e, uint32_t rep, uint64_t len, baton_value_t *result) {
  fstream *f = fstream_get(e->w, rep, false);
  if (!f) return err_closed(result, e->wit) ? NULL : oom();
  size_t n = len > MAX_READ ? MAX_READ : (size_t)len;
  uint8_t *buf = bt_malloc(n ? n : 1);
  if (!buf) return oom();
  ssize_t got = 0;
  if (n) {
    do got = pread(f->fd, buf, n, (off_t)f->off);
    while (got < 0 && errno == EINTR);
  }
  baton_value_t list = {0};
  bool ok;
  if (n && got <= 0) {
    ok = err_closed(result, e->wit);
  } else {
    f->off += (uint64_t)got;
    ok = bytes_value(&list, buf, (size_t)got) && ok_of(result, &list);
  }
  bt_free(buf);
  if (!ok) baton_value_clear(&list);
  return ok ? NULL : oom();
}

/* output-stream.write / write-zeroes on a file stream: at its offset, or at
 * the end of the file for an append stream. */
static baton_trap_t *file_write(fn_env *e, uint32_t rep, const baton_value_t *args, baton_value_t *result) {
  fstream *f = fstream_get(e->w, rep, true);
  if (!f) return err_closed(result, e->wit) ? NULL : oom();
  size_t n = e->op == OP_WRITE ? args[1].of.seq.len : (size_t)args[1].of.u;
  if (n > MAX_READ * 16) return baton_trap_new(BATON_TRAP_HOST, "wasi: %s of %zu bytes", e->name, n);
  uint8_t *buf = bt_calloc(n ? n : 1, 1);
  if (!buf) return oom();
  if (e->op == OP_WRITE)
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)args[1].of.seq.items[i].of.u;
  if (f->append) {
    struct stat st;
    if (fstat(f->fd, &st) == 0) f->off = (uint64_t)st.st_size;
  }
  size_t done = 0;
  while (done < n) {
    ssize_t k = pwrite(f->fd, buf + done, n - done, (off_t)(f->off + done));
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    done += (size_t)k;
  }
  bt_free(buf);
  f->off += done;
  if (done < n) return err_closed(result, e->wit) ? NULL : oom();
  return ok_of(result, NULL) ? NULL : oom();
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
    case OP_GET_DIRS: return get_dirs(w, result);
    case OP_D_OPEN_AT:
    case OP_D_READ_STREAM:
    case OP_D_WRITE_STREAM:
    case OP_D_APPEND_STREAM:
    case OP_D_STAT:
    case OP_D_STAT_AT:
    case OP_D_GET_TYPE:
    case OP_D_GET_FLAGS:
    case OP_D_MKDIR:
    case OP_D_UNLINK:
    case OP_D_HASH:
    case OP_D_HASH_AT:
    case OP_D_SYNC:
    case OP_D_READ_DIR: return desc_call(e, args, result);
    case OP_DIR_ENTRY: return read_dir_entry(e, args, result);
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
      if (p && p->deadline > mono_ns() && !sleep_until(p->deadline)) return bt_runtime_deadline_trap();
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
        if (!sleep_until(first)) return bt_runtime_deadline_trap();
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
      if (rep >= REP_FILE) return file_read(e, rep, len, result);
      if (rep != REP_STDIN || !w->inherit_stdin) return err_closed(result, e->wit) ? NULL : oom();
      size_t n = len > MAX_READ ? MAX_READ : (size_t)len;
      uint8_t *buf = bt_malloc(n ? n : 1);
      if (!buf) return oom();
      ssize_t got = 0;
      if (n && bt_wasi_wait_fd(0, POLLIN) == ETIMEDOUT) { /* the call's deadline */
        bt_free(buf);
        return bt_runtime_deadline_trap();
      }
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
    case OP_SKIP: {
      fstream *f = fstream_get(w, handle_rep(w, &args[0]), false);
      struct stat st;
      if (!f || fstat(f->fd, &st) < 0 || f->off >= (uint64_t)st.st_size)
        return err_closed(result, e->wit) ? NULL : oom();
      uint64_t n = (uint64_t)st.st_size - f->off;
      if (n > args[1].of.u) n = args[1].of.u;
      f->off += n;
      baton_value_t v = {.kind = BATON_VALUE_U64, .of.u = n};
      return ok_of(result, &v) ? NULL : oom();
    }
    case OP_SUB_READY: return own_value(w, result, "pollable", pollable_add(w, 0)) ? NULL : oom();
    case OP_CHECK_WRITE: {
      uint32_t rep = handle_rep(w, &args[0]);
      if (rep != REP_STDOUT && rep != REP_STDERR && !fstream_get(w, rep, true))
        return err_closed(result, e->wit) ? NULL : oom();
      baton_value_t n = {.kind = BATON_VALUE_U64, .of.u = WRITE_BUDGET};
      return ok_of(result, &n) ? NULL : oom();
    }
    case OP_WRITE:
    case OP_WRITE_ZEROES: {
      uint32_t rep = handle_rep(w, &args[0]);
      if (rep >= REP_FILE) return file_write(e, rep, args, result);
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
      if (rep != REP_STDOUT && rep != REP_STDERR && !fstream_get(w, rep, true))
        return err_closed(result, e->wit) ? NULL : oom();
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
  } else if (!strcmp(name, "descriptor")) {
    w->desc_rt = rt;
    bt_crtype_set_host_dtor(rt, desc_drop, w);
  } else if (!strcmp(name, "input-stream")) {
    w->in_rt = rt;
    bt_crtype_set_host_dtor(rt, fstream_drop, w);
  } else if (!strcmp(name, "output-stream")) {
    w->out_rt = rt;
    bt_crtype_set_host_dtor(rt, fstream_drop, w);
  } else if (!strcmp(name, "directory-entry-stream")) {
    w->dirs_rt = rt;
    bt_crtype_set_host_dtor(rt, dirs_drop, w);
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
    else if (!strcmp(rtname, "descriptor")) desc_drop(w, rep);
    else if (!strcmp(rtname, "directory-entry-stream")) dirs_drop(w, rep);
    else if (rep >= REP_FILE) fstream_drop(w, rep);
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
  /* A `(sub resource)` type import of the root (a resource a world
   * defines): any resource type satisfies it, so the instance gets a fresh
   * host resource type (out->p left NULL). */
  if (imp->sort == BT_CSORT_TYPE && !bt_wasi2_is_wasi(imp->name)) return NULL;
  baton_error_t *cerr = bt_wasi2_check(imp);
  if (cerr) return cerr;
  parse_name(imp->name, iface, sizeof iface);
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
