/*
 * src/wasi/preview1.c: the wasi_snapshot_preview1 host functions.
 *
 * Every preview1 function is defined, so any clang/wasi-libc module links,
 * but only the capabilities a sandboxed nano-service needs do anything:
 * args and environ (from the configuration), clocks, random, stdio reads and
 * writes, fd_fdstat_get/fd_seek/fd_close on stdio, poll_oneoff on clocks
 * (sleep), proc_exit (an EXIT trap that ends the call with its status) and
 * sched_yield. There are no preopened directories, so wasi-libc sees no
 * filesystem; path and socket calls answer ENOTCAPABLE and the rest ENOSYS.
 * Every guest pointer is bounds-checked against the caller's memory: a bad
 * pointer yields EFAULT, never a host read or write outside that memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "baton/wasi.h"
#include "engine/internal.h"

enum {
  WASI_ESUCCESS = 0,
  WASI_EBADF = 8,
  WASI_EFAULT = 21,
  WASI_EINVAL = 28,
  WASI_EIO = 29,
  WASI_EINTR = 27,
  WASI_ENOSYS = 52,
  WASI_ESPIPE = 70,
  WASI_ENOTCAPABLE = 76,
};

typedef struct {
  _Atomic long refs;
  char **argv;
  size_t argc;
  char **env;
  size_t envc;
  baton_wasi_output_t output;
  void (*write)(void *, baton_instance_t *, int, const char *, size_t);
  void *write_env;
  int prefix_lines;
  int inherit_stdin;
} wasi_ctx_t;

/* Per-instance state: whether each output stream is at a line start. */
typedef struct {
  int at_line_start[3];
} wasi_inst_t;

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++) bt_free(v[i]);
  bt_free(v);
}

static void ctx_release(void *p) {
  wasi_ctx_t *c = p;
  if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
  free_strings(c->argv, c->argc);
  free_strings(c->env, c->envc);
  bt_free(c);
}

/* Returns a pointer to len bytes at guest address ptr, or NULL if out of
 * bounds. */
static uint8_t *gmem(baton_caller_t *caller, uint32_t ptr, uint64_t len) {
  size_t size;
  uint8_t *base = baton_caller_memory(caller, &size);
  if (!base || (uint64_t)ptr + len > size) return NULL;
  return base + ptr;
}

static int put_u32(baton_caller_t *c, uint32_t ptr, uint32_t v) {
  uint8_t *p = gmem(c, ptr, 4);
  if (!p) return 0;
  memcpy(p, &v, 4);
  return 1;
}

static int put_u64(baton_caller_t *c, uint32_t ptr, uint64_t v) {
  uint8_t *p = gmem(c, ptr, 8);
  if (!p) return 0;
  memcpy(p, &v, 8);
  return 1;
}

#define ARG_U32(i) ((uint32_t)args[i].of.i32)
#define ARG_U64(i) ((uint64_t)args[i].of.i64)
#define RET(v) (results[0].of.i32 = (int32_t)(v), (baton_trap_t *)NULL)

/* Writes argv-style string vectors (args_get / environ_get). */
static baton_trap_t *strings_get(baton_caller_t *c, char **v, size_t n, uint32_t ptrs,
                                 uint32_t buf, baton_val_t *results) {
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(v[i]) + 1;
    uint8_t *dst = gmem(c, buf, len);
    if (!dst || !put_u32(c, ptrs + 4 * (uint32_t)i, buf)) return RET(WASI_EFAULT);
    memcpy(dst, v[i], len);
    buf += (uint32_t)len;
  }
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *strings_sizes(baton_caller_t *c, char **v, size_t n, uint32_t pc,
                                   uint32_t ps, baton_val_t *results) {
  uint32_t total = 0;
  for (size_t i = 0; i < n; i++) total += (uint32_t)strlen(v[i]) + 1;
  if (!put_u32(c, pc, (uint32_t)n) || !put_u32(c, ps, total)) return RET(WASI_EFAULT);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_args_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_ctx_t *x = env;
  return strings_get(c, x->argv, x->argc, ARG_U32(0), ARG_U32(1), results);
}
static baton_trap_t *w_args_sizes_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_ctx_t *x = env;
  return strings_sizes(c, x->argv, x->argc, ARG_U32(0), ARG_U32(1), results);
}
static baton_trap_t *w_environ_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_ctx_t *x = env;
  return strings_get(c, x->env, x->envc, ARG_U32(0), ARG_U32(1), results);
}
static baton_trap_t *w_environ_sizes_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_ctx_t *x = env;
  return strings_sizes(c, x->env, x->envc, ARG_U32(0), ARG_U32(1), results);
}

static int clock_of(uint32_t id, clockid_t *out) {
  switch (id) {
    case 0: *out = CLOCK_REALTIME; return 1;
    case 1: *out = CLOCK_MONOTONIC; return 1;
    case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return 1;
    case 3: *out = CLOCK_THREAD_CPUTIME_ID; return 1;
    default: return 0;
  }
}

static baton_trap_t *w_clock_res_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  clockid_t id;
  struct timespec ts;
  if (!clock_of(ARG_U32(0), &id)) return RET(WASI_EINVAL);
  clock_getres(id, &ts);
  if (!put_u64(c, ARG_U32(1), (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec)) return RET(WASI_EFAULT);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_clock_time_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  clockid_t id;
  struct timespec ts;
  if (!clock_of(ARG_U32(0), &id)) return RET(WASI_EINVAL);
  clock_gettime(id, &ts);
  if (!put_u64(c, ARG_U32(2), (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec)) return RET(WASI_EFAULT);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_random_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  uint32_t len = ARG_U32(1);
  uint8_t *p = gmem(c, ARG_U32(0), len);
  if (!p) return RET(WASI_EFAULT);
  for (uint32_t done = 0; done < len;) {
    ssize_t n = getrandom(p + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return RET(WASI_EIO);
    }
    done += (uint32_t)n;
  }
  return RET(WASI_ESUCCESS);
}

static wasi_inst_t *inst_state(baton_instance_t *inst) {
  if (!inst->wasi) {
    wasi_inst_t *s = bt_calloc(1, sizeof *s);
    if (!s) return NULL;
    for (int i = 0; i < 3; i++) s->at_line_start[i] = 1;
    inst->wasi = s;
    inst->wasi_free = bt_free;
  }
  return inst->wasi;
}

static void emit(wasi_ctx_t *x, baton_instance_t *inst, int fd, const char *data, size_t len) {
  if (!len) return;
  if (x->output == BATON_WASI_OUTPUT_CALLBACK) {
    if (x->write) x->write(x->write_env, inst, fd, data, len);
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

/* Sends guest output to its destination, prefixing lines when asked. */
static void output(wasi_ctx_t *x, baton_instance_t *inst, int fd, const uint8_t *data, size_t len) {
  if (x->output == BATON_WASI_OUTPUT_DISCARD) return;
  if (!x->prefix_lines) {
    emit(x, inst, fd, (const char *)data, len);
    return;
  }
  wasi_inst_t *s = inst_state(inst);
  char prefix[256];
  int plen = snprintf(prefix, sizeof prefix, "[%s] ", baton_instance_name(inst));
  if (plen < 0 || plen >= (int)sizeof prefix) plen = (int)sizeof prefix - 1;
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    if (s && s->at_line_start[fd]) {
      emit(x, inst, fd, prefix, (size_t)plen);
      s->at_line_start[fd] = 0;
    }
    if (data[i] == '\n') {
      emit(x, inst, fd, (const char *)data + start, i + 1 - start);
      start = i + 1;
      if (s) s->at_line_start[fd] = 1;
    }
  }
  emit(x, inst, fd, (const char *)data + start, len - start);
}

/* Checks an iovec array and every buffer it names, plus the 4-byte result
 * slot at out, before any byte moves: a bad pointer anywhere fails the whole
 * call with nothing read or written. Returns the iovec array or NULL. */
static uint8_t *check_iovs(baton_caller_t *c, uint32_t iovs, uint32_t n, uint32_t out) {
  uint8_t *iov = gmem(c, iovs, (uint64_t)n * 8);
  if (!iov || !gmem(c, out, 4)) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t ptr, len;
    memcpy(&ptr, iov + 8 * i, 4);
    memcpy(&len, iov + 8 * i + 4, 4);
    if (!gmem(c, ptr, len)) return NULL;
  }
  return iov;
}

static baton_trap_t *w_fd_write(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_ctx_t *x = env;
  uint32_t fd = ARG_U32(0), iovs = ARG_U32(1), n = ARG_U32(2);
  if (fd != 1 && fd != 2) return RET(WASI_EBADF);
  uint8_t *iov = check_iovs(c, iovs, n, ARG_U32(3));
  if (!iov) return RET(WASI_EFAULT);
  uint32_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t ptr, len;
    memcpy(&ptr, iov + 8 * i, 4);
    memcpy(&len, iov + 8 * i + 4, 4);
    if (len > UINT32_MAX - total) break; /* the count must fit in a u32 */
    output(x, baton_caller_instance(c), (int)fd, gmem(c, ptr, len), len);
    total += len;
  }
  put_u32(c, ARG_U32(3), total);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_fd_read(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_ctx_t *x = env;
  uint32_t fd = ARG_U32(0), iovs = ARG_U32(1), n = ARG_U32(2);
  if (fd != 0) return RET(WASI_EBADF);
  uint8_t *iov = check_iovs(c, iovs, n, ARG_U32(3));
  if (!iov) return RET(WASI_EFAULT);
  uint32_t total = 0;
  for (uint32_t i = 0; i < n && x->inherit_stdin; i++) {
    uint32_t ptr, len;
    memcpy(&ptr, iov + 8 * i, 4);
    memcpy(&len, iov + 8 * i + 4, 4);
    if (len > UINT32_MAX - total) break;
    ssize_t got = read(0, gmem(c, ptr, len), len);
    if (got < 0) {
      if (total) break; /* report what was read */
      return RET(errno == EINTR ? WASI_EINTR : WASI_EIO);
    }
    total += (uint32_t)got;
    if ((uint32_t)got < len) break;
  }
  put_u32(c, ARG_U32(3), total);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_fd_fdstat_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  uint32_t fd = ARG_U32(0);
  if (fd > 2) return RET(WASI_EBADF);
  uint8_t *p = gmem(c, ARG_U32(1), 24);
  if (!p) return RET(WASI_EFAULT);
  memset(p, 0, 24);
  p[0] = 2; /* filetype: character device */
  uint64_t rights = fd == 0 ? 0x2 /* fd_read */ : 0x40 /* fd_write */;
  memcpy(p + 8, &rights, 8);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_fd_seek(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  return RET(ARG_U32(0) <= 2 ? WASI_ESPIPE : WASI_EBADF);
}

static baton_trap_t *w_fd_close(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  return RET(ARG_U32(0) <= 2 ? WASI_ESUCCESS : WASI_EBADF);
}

static baton_trap_t *w_fd_prestat_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  return RET(WASI_EBADF); /* no preopened directories */
}

static baton_trap_t *w_proc_exit(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  return baton_trap_new_exit((int)ARG_U32(0));
}

static baton_trap_t *w_sched_yield(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  sched_yield();
  return RET(WASI_ESUCCESS);
}

/* Reads a clock subscription's timeout relative to the start of the call,
 * reading each clock at most once (now[], valid where *have has its bit) so
 * that both passes over the subscriptions agree. Returns 0 for a bad clock. */
static int clock_sub_timeout(const uint8_t *s, uint64_t now[4], unsigned *have, uint64_t *out) {
  uint32_t id;
  uint64_t timeout;
  uint16_t flags;
  memcpy(&id, s + 16, 4);
  memcpy(&timeout, s + 24, 8);
  memcpy(&flags, s + 40, 2);
  clockid_t cid;
  if (!clock_of(id, &cid)) return 0;
  if (flags & 1) { /* absolute */
    if (!(*have & (1u << id))) {
      struct timespec ts;
      clock_gettime(cid, &ts);
      now[id] = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
      *have |= 1u << id;
    }
    timeout = timeout > now[id] ? timeout - now[id] : 0;
  }
  *out = timeout;
  return 1;
}

/* poll_oneoff: fd subscriptions on stdio report ready at once (other fds
 * report EBADF); without any, the call sleeps until the earliest clock
 * subscription expires and reports the clocks that have. */
static baton_trap_t *w_poll_oneoff(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  uint32_t in = ARG_U32(0), out = ARG_U32(1), n = ARG_U32(2);
  if (n == 0) return RET(WASI_EINVAL);
  uint8_t *subs = gmem(c, in, (uint64_t)n * 48);
  uint8_t *evs = gmem(c, out, (uint64_t)n * 32);
  if (!subs || !evs || !gmem(c, ARG_U32(3), 4)) return RET(WASI_EFAULT);
  uint64_t now[4], wait = UINT64_MAX, timeout;
  unsigned have = 0;
  int any_fd = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *s = subs + 48 * i;
    if (s[8] == 0) {
      if (!clock_sub_timeout(s, now, &have, &timeout)) return RET(WASI_EINVAL);
      if (timeout < wait) wait = timeout;
    } else if (s[8] <= 2) {
      any_fd = 1;
    } else {
      return RET(WASI_EINVAL);
    }
  }
  if (!any_fd && wait > 0) {
    struct timespec ts = {(time_t)(wait / 1000000000u), (long)(wait % 1000000000u)};
    nanosleep(&ts, NULL); /* an interrupting deadline ends the call after return */
  }
  /* Each event is built in ev[] before it is stored, so events may be
   * written over subscriptions already read (out == in). */
  uint32_t nev = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *s = subs + 48 * i;
    uint8_t tag = s[8];
    uint16_t error = WASI_ESUCCESS;
    if (tag == 0) {
      if (any_fd) continue;
      clock_sub_timeout(s, now, &have, &timeout);
      if (timeout > wait) continue; /* not expired yet */
    } else {
      uint32_t fd;
      memcpy(&fd, s + 16, 4);
      if (fd > 2) error = WASI_EBADF;
    }
    uint8_t ev[32] = {0};
    memcpy(ev, s, 8); /* userdata */
    memcpy(ev + 8, &error, 2);
    ev[10] = tag;
    memcpy(evs + 32 * nev++, ev, 32);
  }
  put_u32(c, ARG_U32(3), nev);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_enosys(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  return RET(WASI_ENOSYS);
}

static baton_trap_t *w_enotcapable(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  return RET(WASI_ENOTCAPABLE);
}

static baton_trap_t *w_ebadf(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  return RET(WASI_EBADF);
}

/* Signatures: 'i' i32, 'I' i64; the part after ':' is the result. */
static const struct {
  const char *name, *sig;
  baton_host_func_t fn;
} k_funcs[] = {
    {"args_get", "ii:i", w_args_get},
    {"args_sizes_get", "ii:i", w_args_sizes_get},
    {"environ_get", "ii:i", w_environ_get},
    {"environ_sizes_get", "ii:i", w_environ_sizes_get},
    {"clock_res_get", "ii:i", w_clock_res_get},
    {"clock_time_get", "iIi:i", w_clock_time_get},
    {"fd_advise", "iIIi:i", w_ebadf},
    {"fd_allocate", "iII:i", w_ebadf},
    {"fd_close", "i:i", w_fd_close},
    {"fd_datasync", "i:i", w_ebadf},
    {"fd_fdstat_get", "ii:i", w_fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii:i", w_enosys},
    {"fd_fdstat_set_rights", "iII:i", w_enosys},
    {"fd_filestat_get", "ii:i", w_ebadf},
    {"fd_filestat_set_size", "iI:i", w_ebadf},
    {"fd_filestat_set_times", "iIIi:i", w_ebadf},
    {"fd_pread", "iiiIi:i", w_ebadf},
    {"fd_prestat_get", "ii:i", w_fd_prestat_get},
    {"fd_prestat_dir_name", "iii:i", w_fd_prestat_get},
    {"fd_pwrite", "iiiIi:i", w_ebadf},
    {"fd_read", "iiii:i", w_fd_read},
    {"fd_readdir", "iiiIi:i", w_ebadf},
    {"fd_renumber", "ii:i", w_ebadf},
    {"fd_seek", "iIii:i", w_fd_seek},
    {"fd_sync", "i:i", w_ebadf},
    {"fd_tell", "ii:i", w_fd_seek},
    {"fd_write", "iiii:i", w_fd_write},
    {"path_create_directory", "iii:i", w_enotcapable},
    {"path_filestat_get", "iiiii:i", w_enotcapable},
    {"path_filestat_set_times", "iiiiIIi:i", w_enotcapable},
    {"path_link", "iiiiiii:i", w_enotcapable},
    {"path_open", "iiiiiIIii:i", w_enotcapable},
    {"path_readlink", "iiiiii:i", w_enotcapable},
    {"path_remove_directory", "iii:i", w_enotcapable},
    {"path_rename", "iiiiii:i", w_enotcapable},
    {"path_symlink", "iiiii:i", w_enotcapable},
    {"path_unlink_file", "iii:i", w_enotcapable},
    {"poll_oneoff", "iiii:i", w_poll_oneoff},
    {"proc_exit", "i:", w_proc_exit},
    {"proc_raise", "i:i", w_enosys},
    {"sched_yield", ":i", w_sched_yield},
    {"random_get", "ii:i", w_random_get},
    {"sock_accept", "iii:i", w_enotcapable},
    {"sock_recv", "iiiiii:i", w_enotcapable},
    {"sock_send", "iiiii:i", w_enotcapable},
    {"sock_shutdown", "ii:i", w_enotcapable},
};

static char **copy_strings(const char *const *v, size_t n) {
  char **out = bt_calloc(n + 1, sizeof *out);
  for (size_t i = 0; out && i < n; i++) {
    out[i] = bt_strdup(v[i] ? v[i] : "");
    if (!out[i]) {
      free_strings(out, i);
      return NULL;
    }
  }
  return out;
}

baton_error_t *baton_linker_define_wasi(baton_linker_t *linker, const baton_wasi_config_t *cfg) {
  static const baton_wasi_config_t defaults = {0};
  if (!cfg) cfg = &defaults;
  wasi_ctx_t *x = bt_calloc(1, sizeof *x);
  if (!x) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  x->argv = copy_strings(cfg->argv, cfg->argc);
  x->env = copy_strings(cfg->env, cfg->envc);
  x->argc = cfg->argc;
  x->envc = cfg->envc;
  x->output = cfg->output;
  x->write = cfg->write;
  x->write_env = cfg->write_env;
  x->prefix_lines = cfg->prefix_lines;
  x->inherit_stdin = cfg->inherit_stdin;
  atomic_init(&x->refs, 1);
  if (!x->argv || !x->env) {
    ctx_release(x);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  baton_error_t *err = NULL;
  for (size_t i = 0; i < BT_ARRAY_LEN(k_funcs) && !err; i++) {
    baton_valkind_t kinds[16];
    size_t np = 0, nr = 0;
    const char *s = k_funcs[i].sig;
    for (; *s != ':'; s++) kinds[np++] = *s == 'I' ? BATON_I64 : BATON_I32;
    for (s++; *s; s++) kinds[np + nr++] = *s == 'I' ? BATON_I64 : BATON_I32;
    baton_functype_t t = {kinds, np, kinds + np, nr};
    atomic_fetch_add(&x->refs, 1);
    err = baton_linker_define_func(linker, "wasi_snapshot_preview1", k_funcs[i].name, &t,
                                   k_funcs[i].fn, x, ctx_release);
    if (err) ctx_release(x);
  }
  ctx_release(x); /* drop the creation reference */
  return err;
}
