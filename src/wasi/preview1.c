/*
 * src/wasi/preview1.c: the wasi_snapshot_preview1 host functions.
 *
 * Every preview1 function is defined, so any clang/wasi-libc module links,
 * but only the capabilities a sandboxed nano-service needs do anything:
 * args and environ (from the configuration), clocks, random, stdio reads and
 * writes, fd_fdstat_get/fd_seek/fd_close on stdio, poll_oneoff on clocks
 * (sleep), proc_exit (an EXIT trap that ends the call with its status) and
 * sched_yield. The filesystem is deny-by-default: without preopens
 * (baton_wasi_config_t.preopens) wasi-libc sees none and path calls answer
 * ENOTCAPABLE. With them, each instance gets its own fd table (fds 3, 4, ...
 * are the preopens, then opened files) and path_open, path_filestat_get,
 * path_create_directory, path_unlink_file, fd_read/write/seek/tell/close,
 * fd_filestat_get, fd_fdstat_get and fd_readdir work beneath a preopen only:
 * paths resolve with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so
 * "..", absolute paths and symlinks cannot leave it. Read-only preopens
 * refuse every mutation with ENOTCAPABLE. Socket calls answer ENOTCAPABLE
 * and the rest ENOSYS.
 * Every guest pointer is bounds-checked against the caller's memory: a bad
 * pointer yields EFAULT, never a host read or write outside that memory.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "baton/wasi.h"
#include "engine/internal.h"
#include "wasi/fs.h"
#include "wasi/hostwait.h"

enum {
  WASI_ESUCCESS = 0,
  WASI_EBADF = 8,
  WASI_EFAULT = 21,
  WASI_EINVAL = 28,
  WASI_EIO = 29,
  WASI_EAGAIN = 6,
  WASI_ENXIO = 60,
  WASI_EINTR = 27,
  WASI_ENOSYS = 52,
  WASI_ESPIPE = 70,
  WASI_ENOTCAPABLE = 76,
};

typedef struct {
  char *host, *guest;
  int read_only;
  int dirfd; /* opened when the WASI functions are defined */
} wasi_preopen_t;

#define WASI_MAX_FDS 128

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
  wasi_preopen_t *preopens;
  size_t npreopens;
} wasi_ctx_t;

/* One guest fd above stdio. */
typedef struct {
  int used;
  int host;      /* owned host fd */
  int is_dir;
  int preopen;   /* index into the ctx's preopens, or -1 */
  int read_only; /* inherited from the preopen it came from */
  int readable, writable, append;
  int special;  /* not a regular file or directory (FIFO, device, socket) */
  int nonblock; /* the guest asked for FDFLAGS_NONBLOCK */
} wasi_fd_t;

/* Per-instance state: whether each output stream is at a line start, and
 * the fd table (slot i is guest fd 3 + i). */
typedef struct {
  int at_line_start[3];
  int fds_ready;
  wasi_fd_t fds[WASI_MAX_FDS];
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
  for (size_t i = 0; c->preopens && i < c->npreopens; i++) {
    if (c->preopens[i].dirfd >= 0) close(c->preopens[i].dirfd);
    bt_free(c->preopens[i].host);
    bt_free(c->preopens[i].guest);
  }
  bt_free(c->preopens);
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

static void inst_free(void *p) {
  wasi_inst_t *s = p;
  if (!s) return;
  for (int i = 0; i < WASI_MAX_FDS; i++)
    if (s->fds[i].used) close(s->fds[i].host);
  bt_free(s);
}

static wasi_inst_t *inst_state(baton_instance_t *inst) {
  if (!inst->wasi) {
    wasi_inst_t *s = bt_calloc(1, sizeof *s);
    if (!s) return NULL;
    for (int i = 0; i < 3; i++) s->at_line_start[i] = 1;
    inst->wasi = s;
    inst->wasi_free = inst_free;
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

/* ---- filesystem (preopens) ---- */

enum {
  WASI_EACCES = 2,
  WASI_EEXIST = 20,
  WASI_EFBIG = 22,
  WASI_EISDIR = 31,
  WASI_ELOOP = 32,
  WASI_EMFILE = 33,
  WASI_ENAMETOOLONG = 37,
  WASI_ENOENT = 44,
  WASI_ENOMEM = 48,
  WASI_ENOSPC = 51,
  WASI_ENOTDIR = 54,
  WASI_ENOTEMPTY = 55,
  WASI_EPERM = 63,
  WASI_EROFS = 69,
};

/* Rights bits (wasi_snapshot_preview1). */
#define R_FD_DATASYNC (1ull << 0)
#define R_FD_READ (1ull << 1)
#define R_FD_SEEK (1ull << 2)
#define R_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define R_FD_SYNC (1ull << 4)
#define R_FD_TELL (1ull << 5)
#define R_FD_WRITE (1ull << 6)
#define R_PATH_CREATE_DIRECTORY (1ull << 9)
#define R_PATH_CREATE_FILE (1ull << 10)
#define R_PATH_OPEN (1ull << 13)
#define R_FD_READDIR (1ull << 14)
#define R_PATH_FILESTAT_GET (1ull << 18)
#define R_FD_FILESTAT_GET (1ull << 21)
#define R_PATH_UNLINK_FILE (1ull << 26)
#define R_READ_FILE (R_FD_READ | R_FD_SEEK | R_FD_TELL | R_FD_FILESTAT_GET)
#define R_WRITE_FILE (R_FD_WRITE | R_FD_DATASYNC | R_FD_SYNC | R_FD_FDSTAT_SET_FLAGS)
#define R_READ_DIR (R_PATH_OPEN | R_FD_READDIR | R_PATH_FILESTAT_GET | R_FD_FILESTAT_GET)
#define R_WRITE_DIR (R_PATH_CREATE_DIRECTORY | R_PATH_CREATE_FILE | R_PATH_UNLINK_FILE)

static uint16_t map_errno(int e) {
  switch (e) {
    case 0: return WASI_ESUCCESS;
    case EACCES: return WASI_EACCES;
    case EPERM: return WASI_EPERM;
    case EEXIST: return WASI_EEXIST;
    case EFBIG: return WASI_EFBIG;
    case EISDIR: return WASI_EISDIR;
    case ELOOP: return WASI_ELOOP;
    case EMFILE: case ENFILE: return WASI_EMFILE;
    case ENAMETOOLONG: return WASI_ENAMETOOLONG;
    case ENOENT: return WASI_ENOENT;
    case ENOMEM: return WASI_ENOMEM;
    case ENOSPC: return WASI_ENOSPC;
    case ENOTDIR: return WASI_ENOTDIR;
    case ENOTEMPTY: return WASI_ENOTEMPTY;
    case EROFS: return WASI_EROFS;
    case EINVAL: return WASI_EINVAL;
    case EINTR: return WASI_EINTR;
    case EBADF: return WASI_EBADF;
    case ESPIPE: return WASI_ESPIPE;
    case ENOSYS: return WASI_ENOSYS;
    case EAGAIN: return WASI_EAGAIN;
    case ENXIO: return WASI_ENXIO;
    case EXDEV: return WASI_ENOTCAPABLE; /* RESOLVE_BENEATH refused an escape */
    default: return WASI_EIO;
  }
}

/* The instance's fd table, with the preopens (dup'd, owned by the instance)
 * in the first slots. NULL when out of memory. */
static wasi_inst_t *fd_table(wasi_ctx_t *x, baton_caller_t *c) {
  wasi_inst_t *s = inst_state(baton_caller_instance(c));
  if (!s || s->fds_ready) return s;
  s->fds_ready = 1;
  for (size_t i = 0; i < x->npreopens && i < WASI_MAX_FDS; i++) {
    int h = fcntl(x->preopens[i].dirfd, F_DUPFD_CLOEXEC, 3);
    if (h < 0) continue; /* the slot stays closed: EBADF */
    s->fds[i] = (wasi_fd_t){.used = 1, .host = h, .is_dir = 1, .preopen = (int)i,
                            .read_only = x->preopens[i].read_only, .readable = 1};
  }
  return s;
}

/* Looks up guest fd (> 2); NULL when it is not open. */
static wasi_fd_t *fd_get(wasi_ctx_t *x, baton_caller_t *c, uint32_t fd) {
  if (fd < 3 || fd - 3 >= WASI_MAX_FDS) return NULL;
  wasi_inst_t *s = fd_table(x, c);
  if (!s || !s->fds[fd - 3].used) return NULL;
  return &s->fds[fd - 3];
}

/* Copies a guest path into buf as a C string; returns a WASI errno. */
static int guest_path(baton_caller_t *c, uint32_t ptr, uint32_t len, char *buf, size_t cap) {
  uint8_t *p = gmem(c, ptr, len);
  if (!p) return WASI_EFAULT;
  if (len >= cap) return WASI_ENAMETOOLONG;
  if (memchr(p, 0, len)) return WASI_EINVAL;
  memcpy(buf, p, len);
  buf[len] = 0;
  return WASI_ESUCCESS;
}

/* Resolves dir fd + path into (parent fd, last component) for calls that
 * act on a name: the parent is opened beneath the preopen; the last
 * component is a single name, never "." or "..". Returns a WASI errno;
 * on success *parent must be closed. */
static int resolve_parent(wasi_fd_t *d, char *path, int *parent, const char **last) {
  return map_errno(bt_wasi_open_parent(d->host, path, parent, last));
}

static uint8_t filetype_of(mode_t m) {
  if (S_ISREG(m)) return 4;
  if (S_ISDIR(m)) return 3;
  if (S_ISLNK(m)) return 7;
  if (S_ISCHR(m)) return 2;
  if (S_ISBLK(m)) return 1;
  if (S_ISSOCK(m)) return 6;
  return 0;
}

static void put_filestat(uint8_t *p, const struct stat *st) {
  uint64_t v[8] = {0};
  memset(p, 0, 64);
  v[0] = (uint64_t)st->st_dev;
  v[1] = (uint64_t)st->st_ino;
  v[3] = (uint64_t)st->st_nlink;
  v[4] = (uint64_t)st->st_size;
  v[5] = (uint64_t)st->st_atim.tv_sec * 1000000000u + (uint64_t)st->st_atim.tv_nsec;
  v[6] = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
  v[7] = (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec;
  memcpy(p, v, 64);
  p[16] = filetype_of(st->st_mode);
}

static baton_trap_t *w_fd_prestat_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_ctx_t *x = env;
  wasi_fd_t *f = fd_get(x, c, ARG_U32(0));
  if (!f || f->preopen < 0) return RET(WASI_EBADF);
  uint8_t *p = gmem(c, ARG_U32(1), 8);
  if (!p) return RET(WASI_EFAULT);
  uint32_t len = (uint32_t)strlen(x->preopens[f->preopen].guest);
  memset(p, 0, 8);
  memcpy(p + 4, &len, 4);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_fd_prestat_dir_name(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_ctx_t *x = env;
  wasi_fd_t *f = fd_get(x, c, ARG_U32(0));
  if (!f || f->preopen < 0) return RET(WASI_EBADF);
  const char *name = x->preopens[f->preopen].guest;
  size_t len = strlen(name);
  uint8_t *p = gmem(c, ARG_U32(1), ARG_U32(2));
  if (!p) return RET(WASI_EFAULT);
  if (ARG_U32(2) < len) return RET(WASI_ENAMETOOLONG);
  memcpy(p, name, len);
  return RET(WASI_ESUCCESS);
}

/* path_open(dirfd, dirflags, path, path_len, oflags, rights_base,
 * rights_inheriting, fdflags, *fd) */
static baton_trap_t *w_path_open(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_ctx_t *x = env;
  wasi_fd_t *d = fd_get(x, c, ARG_U32(0));
  if (!d) return RET(ARG_U32(0) <= 2 || !x->npreopens ? WASI_ENOTCAPABLE : WASI_EBADF);
  if (!d->is_dir) return RET(WASI_ENOTDIR);
  uint32_t dirflags = ARG_U32(1), oflags = (uint16_t)ARG_U32(4), fdflags = (uint16_t)ARG_U32(7);
  uint64_t rights = ARG_U64(5);
  char path[4096];
  int e = guest_path(c, ARG_U32(2), ARG_U32(3), path, sizeof path);
  if (e) return RET(e);
  if (!gmem(c, ARG_U32(8), 4)) return RET(WASI_EFAULT);
  int want_write = (rights & (R_FD_WRITE | (1ull << 22) /* set_size */ | (1ull << 8) /* allocate */)) != 0;
  int want_read = (rights & (R_FD_READ | R_FD_READDIR)) != 0;
  int creat = oflags & 1, directory = oflags & 2, excl = oflags & 4, trunc = oflags & 8;
  int append = fdflags & 1;
  if (d->read_only && (want_write || creat || trunc || append)) return RET(WASI_ENOTCAPABLE);
  uint64_t flags = 0;
  if (directory) {
    if (creat || trunc || want_write) return RET(WASI_EISDIR);
    flags = O_RDONLY | O_DIRECTORY;
  } else if (want_write) {
    flags = want_read ? O_RDWR : O_WRONLY;
  } else {
    flags = O_RDONLY;
  }
  if (creat) flags |= O_CREAT;
  if (excl) flags |= O_EXCL;
  if (trunc) flags |= O_TRUNC;
  if (append) flags |= O_APPEND;
  if (fdflags & (2 | 8)) flags |= O_DSYNC;
  if (fdflags & 16) flags |= O_SYNC;
  if (!(dirflags & 1)) flags |= O_NOFOLLOW;
  /* Opening a FIFO must not wait for its other end: every file opens
   * non-blocking, and reads and writes on special files wait with poll
   * under the call's deadline (file_rw). O_NONBLOCK means nothing for
   * regular files and directories. */
  flags |= O_NONBLOCK;
  wasi_inst_t *s = fd_table(x, c);
  if (!s) return RET(WASI_ENOMEM);
  int slot = -1;
  for (int i = 0; i < WASI_MAX_FDS && slot < 0; i++)
    if (!s->fds[i].used) slot = i;
  if (slot < 0) return RET(WASI_EMFILE);
  long h = bt_wasi_openat2(d->host, path, flags, 0666);
  if (h < 0 && errno == EISDIR && !want_write) h = bt_wasi_openat2(d->host, path, O_RDONLY | O_DIRECTORY, 0);
  if (h < 0) return RET(map_errno(errno));
  struct stat st;
  if (fstat((int)h, &st) < 0) {
    close((int)h);
    return RET(WASI_EIO);
  }
  int ro = d->read_only;
  d = NULL; /* (the table is stable, but keep no alias) */
  s->fds[slot] = (wasi_fd_t){.used = 1, .host = (int)h, .is_dir = S_ISDIR(st.st_mode), .preopen = -1,
                             .read_only = ro, .readable = (flags & O_ACCMODE) != O_WRONLY,
                             .writable = (flags & O_ACCMODE) != O_RDONLY, .append = append != 0,
                             .special = !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode),
                             .nonblock = (fdflags & 4) != 0};
  put_u32(c, ARG_U32(8), (uint32_t)slot + 3);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_path_filestat_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_ctx_t *x = env;
  wasi_fd_t *d = fd_get(x, c, ARG_U32(0));
  if (!d) return RET(ARG_U32(0) <= 2 || !x->npreopens ? WASI_ENOTCAPABLE : WASI_EBADF);
  if (!d->is_dir) return RET(WASI_ENOTDIR);
  char path[4096];
  int e = guest_path(c, ARG_U32(2), ARG_U32(3), path, sizeof path);
  if (e) return RET(e);
  uint8_t *out = gmem(c, ARG_U32(4), 64);
  if (!out) return RET(WASI_EFAULT);
  long h = bt_wasi_openat2(d->host, path, O_PATH | ((ARG_U32(1) & 1) ? 0 : O_NOFOLLOW), 0);
  if (h < 0) return RET(map_errno(errno));
  struct stat st;
  int r = fstat((int)h, &st);
  close((int)h);
  if (r < 0) return RET(map_errno(errno));
  put_filestat(out, &st);
  return RET(WASI_ESUCCESS);
}

/* path_create_directory / path_unlink_file: (dirfd, path, path_len) */
static baton_trap_t *path_mutate(wasi_ctx_t *x, baton_caller_t *c, const baton_val_t *args,
                                 baton_val_t *results, int mkdir_) {
  wasi_fd_t *d = fd_get(x, c, ARG_U32(0));
  if (!d) return RET(ARG_U32(0) <= 2 || !x->npreopens ? WASI_ENOTCAPABLE : WASI_EBADF);
  if (!d->is_dir) return RET(WASI_ENOTDIR);
  if (d->read_only) return RET(WASI_ENOTCAPABLE);
  char path[4096];
  int e = guest_path(c, ARG_U32(1), ARG_U32(2), path, sizeof path);
  if (e) return RET(e);
  size_t n = strlen(path);
  if (!mkdir_ && n && path[n - 1] == '/') return RET(WASI_ENOTDIR);
  int parent = -1;
  const char *last = NULL;
  e = resolve_parent(d, path, &parent, &last);
  if (e) return RET(e);
  int r = mkdir_ ? mkdirat(parent, last, 0777) : unlinkat(parent, last, 0);
  int err = errno;
  close(parent);
  if (r < 0) return RET(map_errno(err == EISDIR && !mkdir_ ? EISDIR : err));
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_path_create_directory(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  return path_mutate(env, c, args, results, 1);
}

static baton_trap_t *w_path_unlink_file(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  return path_mutate(env, c, args, results, 0);
}

static baton_trap_t *w_fd_filestat_get(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_fd_t *f = fd_get(env, c, ARG_U32(0));
  if (!f) return RET(WASI_EBADF);
  uint8_t *out = gmem(c, ARG_U32(1), 64);
  if (!out) return RET(WASI_EFAULT);
  struct stat st;
  if (fstat(f->host, &st) < 0) return RET(map_errno(errno));
  put_filestat(out, &st);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_fd_tell(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  if (ARG_U32(0) <= 2) return RET(WASI_ESPIPE);
  wasi_fd_t *f = fd_get(env, c, ARG_U32(0));
  if (!f) return RET(WASI_EBADF);
  if (f->is_dir) return RET(WASI_EISDIR);
  if (!gmem(c, ARG_U32(1), 8)) return RET(WASI_EFAULT);
  off_t o = lseek(f->host, 0, SEEK_CUR);
  if (o < 0) return RET(map_errno(errno));
  put_u64(c, ARG_U32(1), (uint64_t)o);
  return RET(WASI_ESUCCESS);
}

/* fd_readdir(fd, buf, buf_len, cookie, *bufused): the cookie is the index
 * of the next entry. */
static baton_trap_t *w_fd_readdir(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_fd_t *f = fd_get(env, c, ARG_U32(0));
  if (!f) return RET(WASI_EBADF);
  if (!f->is_dir) return RET(WASI_ENOTDIR);
  uint32_t len = ARG_U32(2);
  uint8_t *buf = gmem(c, ARG_U32(1), len);
  uint64_t cookie = ARG_U64(3);
  if (!buf || !gmem(c, ARG_U32(4), 4)) return RET(WASI_EFAULT);
  int h = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (h < 0) return RET(map_errno(errno));
  DIR *dir = fdopendir(h);
  if (!dir) {
    close(h);
    return RET(map_errno(errno));
  }
  uint32_t used = 0;
  uint64_t idx = 0;
  struct dirent *de;
  while (used < len && (de = readdir(dir))) {
    if (idx++ < cookie) continue;
    uint8_t hdr[24] = {0};
    uint64_t next = idx, ino = de->d_ino;
    uint32_t nlen = (uint32_t)strlen(de->d_name);
    memcpy(hdr, &next, 8);
    memcpy(hdr + 8, &ino, 8);
    memcpy(hdr + 16, &nlen, 4);
    uint8_t t = 0;
    switch (de->d_type) {
      case DT_REG: t = 4; break;
      case DT_DIR: t = 3; break;
      case DT_LNK: t = 7; break;
      case DT_CHR: t = 2; break;
      case DT_BLK: t = 1; break;
      case DT_SOCK: t = 6; break;
      default: t = 0;
    }
    hdr[20] = t;
    uint32_t n = len - used < 24 ? len - used : 24;
    memcpy(buf + used, hdr, n);
    used += n;
    n = len - used < nlen ? len - used : nlen;
    memcpy(buf + used, de->d_name, n);
    used += n;
  }
  closedir(dir);
  put_u32(c, ARG_U32(4), used);
  return RET(WASI_ESUCCESS);
}

/* One read or write on a file fd. A special file (FIFO, device) is
 * non-blocking on the host: when it is not ready and the guest did not ask
 * for FDFLAGS_NONBLOCK, this waits with poll until it is, or until the
 * call's deadline (then -1 with errno ETIMEDOUT). `more` says bytes were
 * already transferred, when not being ready ends the call instead. */
static ssize_t file_io(wasi_fd_t *f, int writing, uint8_t *buf, uint32_t len, int more) {
  /* A FIFO that never had a writer reads as end-of-file when non-blocking,
   * so wait first; poll reports it only once a writer came and went. */
  int wait = f->special && !f->nonblock && !more;
  for (;;) {
    if (wait) {
      int e = bt_wasi_wait_fd(f->host, writing ? POLLOUT : POLLIN);
      if (e) {
        errno = e;
        return -1;
      }
    }
    ssize_t got = writing ? write(f->host, buf, len) : read(f->host, buf, len);
    if (got >= 0) return got;
    if (errno != EINTR && (errno != EAGAIN || !wait)) return -1;
  }
}

/* fd_read / fd_write on a file fd: every buffer is checked first. */
static baton_trap_t *file_rw(baton_caller_t *c, wasi_fd_t *f, const baton_val_t *args, baton_val_t *results,
                             int writing) {
  uint32_t n = ARG_U32(2);
  if (f->is_dir) return RET(WASI_EISDIR);
  if (writing ? !f->writable : !f->readable) return RET(WASI_EBADF);
  uint8_t *iov = check_iovs(c, ARG_U32(1), n, ARG_U32(3));
  if (!iov) return RET(WASI_EFAULT);
  uint32_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t ptr, len;
    memcpy(&ptr, iov + 8 * i, 4);
    memcpy(&len, iov + 8 * i + 4, 4);
    if (len > UINT32_MAX - total) break;
    if (!len) continue;
    ssize_t got = file_io(f, writing, gmem(c, ptr, len), len, total != 0);
    if (got < 0) {
      if (total && errno != ETIMEDOUT) break;
      return RET(map_errno(errno));
    }
    total += (uint32_t)got;
    if ((uint32_t)got < len) break;
  }
  put_u32(c, ARG_U32(3), total);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_fd_write(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  wasi_ctx_t *x = env;
  uint32_t fd = ARG_U32(0), iovs = ARG_U32(1), n = ARG_U32(2);
  if (fd > 2) {
    wasi_fd_t *f = fd_get(x, c, fd);
    return f ? file_rw(c, f, args, results, 1) : RET(WASI_EBADF);
  }
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
  if (fd > 2) {
    wasi_fd_t *f = fd_get(x, c, fd);
    return f ? file_rw(c, f, args, results, 0) : RET(WASI_EBADF);
  }
  if (fd != 0) return RET(WASI_EBADF);
  uint8_t *iov = check_iovs(c, iovs, n, ARG_U32(3));
  if (!iov) return RET(WASI_EFAULT);
  uint32_t total = 0;
  for (uint32_t i = 0; i < n && x->inherit_stdin; i++) {
    uint32_t ptr, len;
    memcpy(&ptr, iov + 8 * i, 4);
    memcpy(&len, iov + 8 * i + 4, 4);
    if (len > UINT32_MAX - total) break;
    /* Wait for input under the call's deadline; once something was read,
     * return it rather than wait for more. */
    if (!len) continue;
    if (total ? poll(&(struct pollfd){.fd = 0, .events = POLLIN}, 1, 0) == 0
              : bt_wasi_wait_fd(0, POLLIN) == ETIMEDOUT)
      break;
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
  if (fd > 2) {
    wasi_fd_t *f = fd_get(env, c, fd);
    if (!f) return RET(WASI_EBADF);
    uint8_t *p = gmem(c, ARG_U32(1), 24);
    if (!p) return RET(WASI_EFAULT);
    memset(p, 0, 24);
    uint64_t base, inh = 0;
    if (f->is_dir) {
      p[0] = 3;
      base = R_READ_DIR | (f->read_only ? 0 : R_WRITE_DIR);
      inh = base | R_READ_FILE | (f->read_only ? 0 : R_WRITE_FILE);
    } else {
      struct stat st;
      p[0] = fstat(f->host, &st) == 0 ? filetype_of(st.st_mode) : 4;
      base = (f->readable ? R_READ_FILE : R_FD_SEEK | R_FD_TELL | R_FD_FILESTAT_GET) |
             (f->writable ? R_WRITE_FILE : 0);
      if (f->append) p[2] = 1;
      if (f->nonblock) p[2] |= 4;
    }
    memcpy(p + 8, &base, 8);
    memcpy(p + 16, &inh, 8);
    return RET(WASI_ESUCCESS);
  }
  uint8_t *p = gmem(c, ARG_U32(1), 24);
  if (!p) return RET(WASI_EFAULT);
  memset(p, 0, 24);
  p[0] = 2; /* filetype: character device */
  uint64_t rights = fd == 0 ? 0x2 /* fd_read */ : 0x40 /* fd_write */;
  memcpy(p + 8, &rights, 8);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_fd_seek(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  if (ARG_U32(0) <= 2) return RET(WASI_ESPIPE);
  wasi_fd_t *f = fd_get(env, c, ARG_U32(0));
  if (!f) return RET(WASI_EBADF);
  if (f->is_dir) return RET(WASI_EISDIR);
  uint32_t whence = ARG_U32(2) & 0xff;
  if (whence > 2) return RET(WASI_EINVAL);
  if (!gmem(c, ARG_U32(3), 8)) return RET(WASI_EFAULT);
  off_t o = lseek(f->host, (off_t)(int64_t)ARG_U64(1),
                  whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : SEEK_END);
  if (o < 0) return RET(map_errno(errno));
  put_u64(c, ARG_U32(3), (uint64_t)o);
  return RET(WASI_ESUCCESS);
}

static baton_trap_t *w_fd_close(void *env, baton_caller_t *c, const baton_val_t *args, baton_val_t *results) {
  if (ARG_U32(0) <= 2) return RET(WASI_ESUCCESS);
  wasi_fd_t *f = fd_get(env, c, ARG_U32(0));
  if (!f) return RET(WASI_EBADF);
  close(f->host);
  memset(f, 0, sizeof *f);
  return RET(WASI_ESUCCESS);
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
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t start = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    /* the call's deadline ends the sleep and the call (its trap) */
    if (bt_wasi_sleep_until(wait > UINT64_MAX - start ? UINT64_MAX : start + wait) == ETIMEDOUT)
      return RET(WASI_EINTR);
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
    {"fd_filestat_get", "ii:i", w_fd_filestat_get},
    {"fd_filestat_set_size", "iI:i", w_ebadf},
    {"fd_filestat_set_times", "iIIi:i", w_ebadf},
    {"fd_pread", "iiiIi:i", w_ebadf},
    {"fd_prestat_get", "ii:i", w_fd_prestat_get},
    {"fd_prestat_dir_name", "iii:i", w_fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi:i", w_ebadf},
    {"fd_read", "iiii:i", w_fd_read},
    {"fd_readdir", "iiiIi:i", w_fd_readdir},
    {"fd_renumber", "ii:i", w_ebadf},
    {"fd_seek", "iIii:i", w_fd_seek},
    {"fd_sync", "i:i", w_ebadf},
    {"fd_tell", "ii:i", w_fd_tell},
    {"fd_write", "iiii:i", w_fd_write},
    {"path_create_directory", "iii:i", w_path_create_directory},
    {"path_filestat_get", "iiiii:i", w_path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi:i", w_enotcapable},
    {"path_link", "iiiiiii:i", w_enotcapable},
    {"path_open", "iiiiiIIii:i", w_path_open},
    {"path_readlink", "iiiiii:i", w_enotcapable},
    {"path_remove_directory", "iii:i", w_enotcapable},
    {"path_rename", "iiiiii:i", w_enotcapable},
    {"path_symlink", "iiiii:i", w_enotcapable},
    {"path_unlink_file", "iii:i", w_path_unlink_file},
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
  if (cfg->npreopens) {
    if (cfg->npreopens > WASI_MAX_FDS) {
      ctx_release(x);
      return baton_error_new(BATON_EINVALID_ARGUMENT, "too many preopened directories (max %d)", WASI_MAX_FDS);
    }
    x->preopens = bt_calloc(cfg->npreopens, sizeof *x->preopens);
    if (!x->preopens) {
      ctx_release(x);
      return baton_error_new(BATON_ENO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < cfg->npreopens; i++) x->preopens[i].dirfd = -1;
    x->npreopens = cfg->npreopens;
    for (size_t i = 0; i < cfg->npreopens; i++) {
      const baton_wasi_preopen_t *p = &cfg->preopens[i];
      wasi_preopen_t *q = &x->preopens[i];
      baton_error_t *gerr = bt_wasi_open_grant(p, i, i == 0, &q->dirfd);
      if (gerr) {
        ctx_release(x);
        return gerr;
      }
      q->host = bt_strdup(p->host_path);
      q->guest = bt_strdup(p->guest_path && *p->guest_path ? p->guest_path : p->host_path);
      q->read_only = p->read_only != 0;
      if (!q->host || !q->guest) {
        ctx_release(x);
        return baton_error_new(BATON_ENO_MEMORY, "out of memory");
      }
    }
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

int baton_wasi_preopen_parse(const char *spec, const char *base_dir, baton_wasi_preopen_t *out) {
  memset(out, 0, sizeof *out);
  if (!spec) return -1;
  size_t n = strlen(spec);
  if (n >= 3 && !strcmp(spec + n - 3, ":ro")) {
    out->read_only = 1;
    n -= 3;
  }
  const char *colon = memchr(spec, ':', n);
  size_t hlen = colon ? (size_t)(colon - spec) : n;
  if (!hlen || (colon && colon + 1 == spec + n)) return -1;
  char *host = NULL, *guest = NULL;
  if (spec[0] != '/' && base_dir && *base_dir) {
    if (asprintf(&host, "%s/%.*s", base_dir, (int)hlen, spec) < 0) host = NULL;
  } else {
    host = strndup(spec, hlen);
  }
  guest = colon ? strndup(colon + 1, n - hlen - 1) : strndup(spec, hlen);
  if (!host || !guest) {
    free(host);
    free(guest);
    return -1;
  }
  out->host_path = host;
  out->guest_path = guest;
  return 0;
}

void baton_wasi_preopen_release(baton_wasi_preopen_t *p) {
  if (!p) return;
  free((char *)p->host_path);
  free((char *)p->guest_path);
  p->host_path = p->guest_path = NULL;
}
