/*
 * src/engine/cache.c: the integrity of the compiled-module cache (the
 * security model is in docs/ARCHITECTURE.md, "The AOT cache").
 *
 * Compiled objects are native code that baton dlopen()s, so the cache is a
 * place where a hostile local user could inject code. This file is the only
 * place that decides whether a file in the cache may be loaded:
 *   - the cache directory is created 0700 and refused when it (or a
 *     directory above it) is owned by another user or writable by others;
 *     with no per-user location at all a private mkdtemp directory is used
 *     for the process and removed at exit;
 *   - an entry is `<key>.so` plus `<key>.sum`, its integrity record (size
 *     and SHA-256 of the object, written 0600 at compile time and renamed
 *     into place before the object). A load opens the object with
 *     O_NOFOLLOW, checks it is a regular file of ours that nobody else can
 *     write, hashes the bytes read through that descriptor, and dlopen()s
 *     the same descriptor through /proc/self/fd, so the file cannot be
 *     swapped between the check and the load. Anything else is a miss that
 *     is compiled again (said once on stderr); nothing unverified is mapped;
 *   - lock files are opened with O_NOFOLLOW; compiler processes run in their
 *     own process group under a supervisor that kills the group when baton
 *     dies or the compile times out; stale work directories are swept.
 * It also holds the cache administration behind `baton cache`.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/sha256.h"

extern char **environ;

#define BT_SUM_MAGIC "baton-cache-index 1"

/* ---- the cache directory ---- */

/* Checks one directory on the way to the cache: owned by root or by us, and
 * not writable by others unless sticky (as /tmp). */
static baton_error_t *check_ancestor(const char *path, const char *dir) {
  struct stat st;
  if (stat(path, &st) != 0) return NULL; /* reported by the caller's own checks */
  if (st.st_uid != 0 && st.st_uid != geteuid())
    return baton_error_new(BATON_ECACHE,
                           "cache directory %s is not safe: %s above it is owned by another user "
                           "(uid %u); set BATON_CACHE_DIR to a directory of your own",
                           dir, path, (unsigned)st.st_uid);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
    return baton_error_new(BATON_ECACHE,
                           "cache directory %s is not safe: %s above it is writable by group or "
                           "others (mode %04o); set BATON_CACHE_DIR to a private directory",
                           dir, path, (unsigned)(st.st_mode & 07777));
  return NULL;
}

/* Creates dir and its missing parents with mode 0700 (whatever the umask). */
static int mkdir_private(const char *dir) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp) return ENAMETOOLONG;
  size_t len = strlen(tmp);
  for (char *p = tmp + 1; p <= tmp + len; p++) {
    if (*p != '/' && *p != 0) continue;
    char c = *p;
    *p = 0;
    if (mkdir(tmp, 0700) == 0) {
      if (chmod(tmp, 0700) != 0) return errno;
    } else if (errno != EEXIST) {
      return errno;
    }
    *p = c;
  }
  return 0;
}

/* Checks the directories above dir that exist already (before anything is
 * created under them). */
static baton_error_t *check_existing_parents(const char *dir) {
  char path[PATH_MAX], real[PATH_MAX];
  snprintf(path, sizeof path, "%s", dir);
  for (char *p = strrchr(path, '/'); p; p = strrchr(path, '/')) {
    *p = 0;
    if (!realpath(path[0] ? path : "/", real)) continue;
    for (;;) {
      baton_error_t *err = check_ancestor(real, dir);
      if (err) return err;
      char *q = strrchr(real, '/');
      if (!q || q == real) break;
      *q = 0;
    }
    return NULL;
  }
  return NULL;
}

baton_error_t *bt_cache_dir_prepare(const char *dir) {
  baton_error_t *perr = check_existing_parents(dir);
  if (perr) return perr;
  int e = mkdir_private(dir);
  char real[PATH_MAX];
  struct stat st;
  if (!e && !realpath(dir, real)) e = errno;
  if (!e && stat(real, &st) != 0) e = errno;
  if (!e && !S_ISDIR(st.st_mode)) e = ENOTDIR;
  if (e)
    return baton_error_new(BATON_ECACHE,
                           "cache directory %s is not usable: %s (set BATON_CACHE_DIR "
                           "to a writable directory)",
                           dir, strerror(e));
  if (st.st_uid != geteuid())
    return baton_error_new(BATON_ECACHE,
                           "cache directory %s is owned by another user (uid %u), so its compiled "
                           "code could be anyone's; remove it or set BATON_CACHE_DIR to a "
                           "directory of your own",
                           dir, (unsigned)st.st_uid);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return baton_error_new(BATON_ECACHE,
                           "cache directory %s is writable by group or others (mode %04o); "
                           "run `chmod 700 %s` or set BATON_CACHE_DIR to a private directory",
                           dir, (unsigned)(st.st_mode & 07777), dir);
  /* Whoever can write a directory above could rename ours away. */
  for (char *p = strrchr(real, '/'); p && p > real; p = strrchr(real, '/')) {
    *p = 0;
    baton_error_t *err = check_ancestor(real, dir);
    if (err) return err;
  }
  if (access(dir, W_OK | X_OK) != 0)
    return baton_error_new(BATON_ECACHE,
                           "cache directory %s is not usable: %s (set BATON_CACHE_DIR "
                           "to a writable directory)",
                           dir, strerror(errno));
  return NULL;
}

/* ---- the private per-process cache ---- */

static pthread_once_t g_private_once = PTHREAD_ONCE_INIT;
static char g_private_dir[PATH_MAX];

static void remove_tree(int dirfd, const char *name, int depth);

static void private_cleanup(void) {
  if (g_private_dir[0]) remove_tree(AT_FDCWD, g_private_dir, 0);
}

static void private_create(void) {
  const char *tmp = getenv("TMPDIR");
  if (!tmp || tmp[0] != '/') tmp = "/tmp";
  snprintf(g_private_dir, sizeof g_private_dir, "%s/baton-private-cache-XXXXXX", tmp);
  if (!mkdtemp(g_private_dir) || chmod(g_private_dir, 0700) != 0) {
    fprintf(stderr, "baton: no per-user cache directory and cannot create a private one in %s: %s\n",
            tmp, strerror(errno));
    g_private_dir[0] = 0;
    return;
  }
  fprintf(stderr,
          "baton: no per-user cache directory (HOME and XDG_CACHE_HOME are unset): compiling into "
          "%s for this process only (set BATON_CACHE_DIR to keep compiled modules)\n",
          g_private_dir);
  atexit(private_cleanup);
}

const char *bt_cache_private_dir(void) {
  pthread_once(&g_private_once, private_create);
  return g_private_dir[0] ? g_private_dir : NULL;
}

char *bt_cache_default_dir(void) {
  const char *env = getenv("BATON_CACHE_DIR");
  char buf[PATH_MAX];
  if (env && *env) return bt_strdup(env);
  const char *xdg = getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) {
    snprintf(buf, sizeof buf, "%s/baton", xdg);
    return bt_strdup(buf);
  }
  const char *home = getenv("HOME");
  if (!home || !*home) {
    /* No HOME (service managers): the account's home, when it exists and
     * is ours; never a shared directory such as /tmp. */
    struct passwd *pw = getpwuid(geteuid());
    struct stat st;
    if (pw && pw->pw_dir && pw->pw_dir[0] == '/' && strcmp(pw->pw_dir, "/") != 0 &&
        stat(pw->pw_dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
      home = pw->pw_dir;
  }
  if (!home || !*home) return NULL; /* the engine uses a private directory */
  snprintf(buf, sizeof buf, "%s/.cache/baton", home);
  return bt_strdup(buf);
}

/* ---- files ---- */

/* Whether st is a regular file of ours that nobody else can write; else
 * describes why not in why. */
static bool file_is_ours(const struct stat *st, char *why, size_t n) {
  if (!S_ISREG(st->st_mode)) snprintf(why, n, "is not a regular file");
  else if (st->st_uid != geteuid()) snprintf(why, n, "is owned by another user (uid %u)", (unsigned)st->st_uid);
  else if (st->st_mode & (S_IWGRP | S_IWOTH))
    snprintf(why, n, "is writable by group or others (mode %04o)", (unsigned)(st->st_mode & 07777));
  else return true;
  return false;
}

char *bt_cache_read_text(const char *path, size_t max) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return NULL;
  struct stat st;
  char why[128];
  char *buf = NULL;
  if (fstat(fd, &st) == 0 && file_is_ours(&st, why, sizeof why) && (size_t)st.st_size <= max &&
      (buf = bt_malloc((size_t)st.st_size + 1))) {
    size_t got = 0;
    while (got < (size_t)st.st_size) {
      ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
    buf[got] = 0;
  }
  close(fd);
  return buf;
}

int bt_cache_write_fd(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    if (w == 0) return ENOSPC;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

int bt_cache_write_file(const char *path, const void *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  int e = fchmod(fd, 0600) != 0 ? errno : 0;
  if (!e) e = bt_cache_write_fd(fd, data, len);
  if (close(fd) != 0 && !e) e = errno;
  return e;
}

/* Hashes the whole file behind fd (read, never mapped: a file truncated
 * under us cannot SIGBUS). Returns the number of bytes hashed, or -1. */
static long long hash_fd(int fd, uint8_t digest[32]) {
  enum { BUF = 65536 };
  uint8_t *buf = bt_malloc(BUF);
  if (!buf) return -1;
  bt_sha256_t s;
  bt_sha256_init(&s);
  long long total = 0;
  for (;;) {
    ssize_t r = pread(fd, buf, BUF, total);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) total = -1;
    if (r <= 0) break;
    bt_sha256_update(&s, buf, (size_t)r);
    total += r;
  }
  bt_free(buf);
  bt_sha256_final(&s, digest);
  return total;
}

/* Parses an integrity record: size and hex digest. */
static bool parse_sum(const char *text, unsigned long long *size, char hex[65]) {
  char magic[32];
  int used = 0;
  if (!text || sscanf(text, "%31[^\n]\nsize %llu\nsha256 %64[0-9a-f]\n%n", magic, size, hex, &used) != 3)
    return false;
  return strcmp(magic, BT_SUM_MAGIC) == 0 && strlen(hex) == 64 && text[used] == 0;
}

/* ---- loading an entry ---- */

/* dlopen()s the object behind fd by a /proc/self/fd name that no earlier
 * load in this process used: glibc matches already loaded objects by name,
 * so a reused descriptor number must never look like an old name. Distinct
 * names for one file still share the object (glibc also matches by inode).
 * The counter's bits are spelled as "./" (1) and "/" (0) path segments. */
static void *dlopen_fd(int fd) {
  static _Atomic unsigned long long counter;
  unsigned long long c = atomic_fetch_add(&counter, 1) + 1;
  char name[256];
  size_t n = (size_t)snprintf(name, sizeof name, "/proc/self/fd/");
  int top = 63;
  while (top > 0 && !(c >> top)) top--;
  for (int b = top; b >= 0; b--) n += (size_t)snprintf(name + n, sizeof name - n, "%s", (c >> b) & 1 ? "./" : "/");
  snprintf(name + n, sizeof name - n, "%d", fd);
  return dlopen(name, RTLD_NOW | RTLD_LOCAL);
}

/* Verifies the entry key in dir and loads it (see the top of the file).
 * Returns 1 when loaded, 0 when there is no object, -1 when there is one
 * that must not be loaded (why says why). */
static int load_entry(const char *dir, const char *key, void **dl, const bt_glue_module_t **glue,
                      char *why, size_t n) {
  char so[PATH_MAX], sum[PATH_MAX];
  snprintf(so, sizeof so, "%s/%s.so", dir, key);
  snprintf(sum, sizeof sum, "%s/%s.sum", dir, key);
  int fd = open(so, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    snprintf(why, n, "%s", errno == ELOOP ? "is a symbolic link" : strerror(errno));
    return -1;
  }
  struct stat st;
  unsigned long long size = 0;
  char want[65], got[65];
  uint8_t digest[32];
  int rc = -1;
  char *text = NULL;
  if (fstat(fd, &st) != 0) {
    snprintf(why, n, "cannot be examined: %s", strerror(errno));
  } else if (!file_is_ours(&st, why, n)) {
  } else if (!(text = bt_cache_read_text(sum, 4096)) && access(sum, F_OK) != 0) {
    snprintf(why, n, "has no integrity record");
  } else if (!parse_sum(text, &size, want)) {
    snprintf(why, n, "has a corrupt integrity record");
  } else if ((unsigned long long)st.st_size != size) {
    snprintf(why, n, "is truncated or altered (%lld bytes, %llu recorded)", (long long)st.st_size, size);
  } else if (hash_fd(fd, digest) != (long long)size || (bt_sha256_hex(digest, got), strcmp(got, want) != 0)) {
    snprintf(why, n, "does not match its recorded SHA-256");
  } else if (!(*dl = dlopen_fd(fd))) {
    const char *e = dlerror();
    snprintf(why, n, "cannot be loaded: %s", e ? e : "unknown error");
  } else {
    *glue = dlsym(*dl, "baton_glue_module");
    if (!*glue || (*glue)->abi_version != BT_GLUE_ABI_VERSION) {
      snprintf(why, n, "is not a baton %u module", BT_GLUE_ABI_VERSION);
      dlclose(*dl);
      *dl = NULL;
      *glue = NULL;
    } else {
      rc = 1;
      utimensat(AT_FDCWD, sum, NULL, AT_SYMLINK_NOFOLLOW); /* last use, for pruning */
    }
  }
  bt_free(text);
  close(fd);
  return rc;
}

int bt_cache_load(const char *dir, const char *key, bool *reported, void **dl,
                  const bt_glue_module_t **glue, char *why, size_t n) {
  *dl = NULL;
  *glue = NULL;
  why[0] = 0;
  int rc = load_entry(dir, key, dl, glue, why, n);
  if (rc < 0 && reported && !*reported) {
    fprintf(stderr, "baton: cache entry %s/%s.so %s; compiling it again\n", dir, key, why);
    *reported = true;
  }
  return rc;
}

/* ---- committing an entry ---- */

baton_error_t *bt_cache_commit(const char *dir, const char *key, const char *workdir) {
  char obj[PATH_MAX], rec[PATH_MAX], so[PATH_MAX], sum[PATH_MAX], why[128];
  snprintf(obj, sizeof obj, "%s/out.so", workdir);
  snprintf(rec, sizeof rec, "%s/out.sum", workdir);
  snprintf(so, sizeof so, "%s/%s.so", dir, key);
  snprintf(sum, sizeof sum, "%s/%s.sum", dir, key);
  int fd = open(obj, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return baton_error_new(BATON_ECOMPILE, "the C compiler produced no object: %s", strerror(errno));
  struct stat st;
  uint8_t digest[32];
  char hex[65], text[160];
  int e = fstat(fd, &st) != 0 ? errno : 0;
  if (!e && !file_is_ours(&st, why, sizeof why)) e = EPERM;
  if (!e && fchmod(fd, 0600) != 0) e = errno;
  long long len = e ? -1 : hash_fd(fd, digest);
  if (!e && len < 0) e = errno;
  close(fd);
  if (e) return baton_error_new(BATON_ECACHE, "cannot record compiled object %s: %s", obj, strerror(e));
  bt_sha256_hex(digest, hex);
  int tn = snprintf(text, sizeof text, "%s\nsize %lld\nsha256 %s\n", BT_SUM_MAGIC, len, hex);
  e = bt_cache_write_file(rec, text, (size_t)tn);
  /* The record goes first: a reader that sees the new object also sees its
   * record; one that sees a new record with an old object has a miss. */
  if (!e && rename(rec, sum) != 0) e = errno;
  if (!e && rename(obj, so) != 0) e = errno;
  if (e) return bt_cache_write_error(dir, e);
  return NULL;
}

baton_error_t *bt_cache_write_error(const char *dir, int e) {
  if (e == ENOSPC || e == EDQUOT)
    return baton_error_new(BATON_ECACHE,
                           "no space left on device for the cache directory %s (free some space, "
                           "run `baton cache prune`, or set BATON_CACHE_DIR elsewhere)",
                           dir);
  if (e == EFBIG)
    return baton_error_new(BATON_ECACHE,
                           "cannot write to the cache directory %s: file too large (the file size "
                           "limit, ulimit -f, was reached)",
                           dir);
  return baton_error_new(BATON_ECACHE, "cannot write to the cache directory %s: %s", dir, strerror(e));
}

baton_error_t *bt_cache_check_space(const char *dir, baton_error_t *err) {
  struct statvfs vs;
  const char *msg = baton_error_message(err);
  bool full = strstr(msg, "No space left") || strstr(msg, "no space left") || strstr(msg, "Disk quota");
  if (!full && statvfs(dir, &vs) == 0 && (unsigned long long)vs.f_bavail * vs.f_frsize < 64 * 1024)
    full = true;
  bool fsize = strstr(msg, "(exit 153)") || strstr(msg, "File size limit") || strstr(msg, "File too large");
  if (!full && !fsize) return err;
  baton_error_delete(err);
  return bt_cache_write_error(dir, full ? ENOSPC : EFBIG);
}

/* ---- locks ---- */

baton_error_t *bt_cache_lock(const char *dir, const char *key, int *out) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s.lock", dir, key);
  for (int attempt = 0;; attempt++) {
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    struct stat st;
    char why[128];
    if (fd >= 0 && fstat(fd, &st) == 0 && file_is_ours(&st, why, sizeof why)) {
      fchmod(fd, 0600);
      while (flock(fd, LOCK_EX) != 0 && errno == EINTR) {
      }
      *out = fd;
      return NULL;
    }
    int e = fd < 0 ? errno : EPERM;
    if (fd >= 0) close(fd);
    /* A symbolic link, a FIFO or someone else's file at the lock path: our
     * directory, so replace it (never follow it). */
    if (attempt == 0 && (e == ELOOP || e == EPERM || e == ENXIO || e == EACCES) && unlink(path) == 0) continue;
    return baton_error_new(BATON_ECACHE, "cannot create lock %s: %s", path, strerror(e));
  }
}

void bt_cache_unlock(int fd) {
  if (fd < 0) return;
  flock(fd, LOCK_UN);
  close(fd);
}

/* ---- running a compiler ---- */

/* The supervisor's SIGTERM (sent when baton dies): kill the whole group. */
static void supervisor_on_term(int sig) {
  (void)sig;
  kill(0, SIGKILL);
  _exit(128 + SIGKILL);
}

/* Finds argv0 on PATH before forking (execve only in the child). */
static bool resolve_program(const char *argv0, char *out, size_t n) {
  if (strchr(argv0, '/')) {
    snprintf(out, n, "%s", argv0);
    return access(out, X_OK) == 0;
  }
  const char *p = getenv("PATH");
  if (!p) p = "/usr/bin:/bin";
  while (*p) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    snprintf(out, n, "%.*s/%s", (int)len, len ? p : ".", argv0);
    if (access(out, X_OK) == 0) return true;
    if (!colon) break;
    p = colon + 1;
  }
  return false;
}

/* The supervisor process: a new process group, dies with baton (and takes
 * the group along), runs the tool and passes on its status. Only
 * async-signal-safe calls: baton may have other threads. */
static void supervise(const char *prog, char *const argv[], int log_fd, int null_fd, pid_t parent,
                      int err_pipe) {
  setpgid(0, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = supervisor_on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) supervisor_on_term(SIGTERM);
  pid_t tool = fork();
  if (tool == 0) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGXFSZ, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    umask(077);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execve(prog, argv, environ);
    int e = errno;
    if (write(err_pipe, &e, sizeof e) < 0) {
    }
    _exit(127);
  }
  close(err_pipe);
  if (tool < 0) _exit(127);
  int status;
  while (waitpid(tool, &status, 0) < 0)
    if (errno != EINTR) _exit(127);
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  _exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}

/* Waits for pid for at most timeout_ms (0 = forever); returns its status,
 * or -1 (errno ETIMEDOUT) after killing its process group on timeout. */
static int wait_child(pid_t pid, unsigned long long timeout_ms) {
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  unsigned sleep_us = 200;
  for (;;) {
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (pidfd >= 0) close(pidfd);
      return status;
    }
    if (r < 0 && errno != EINTR) {
      if (pidfd >= 0) close(pidfd);
      return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned long long elapsed = (unsigned long long)(now.tv_sec - t0.tv_sec) * 1000 +
                                 (unsigned long long)(now.tv_nsec / 1000000) - (unsigned long long)(t0.tv_nsec / 1000000);
    if (timeout_ms && elapsed >= timeout_ms) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      if (pidfd >= 0) close(pidfd);
      errno = ETIMEDOUT;
      return -1;
    }
    unsigned long long left = timeout_ms ? timeout_ms - elapsed : 1000;
    if (pidfd >= 0) {
      struct pollfd p = {.fd = pidfd, .events = POLLIN};
      poll(&p, 1, (int)(left > 1000 ? 1000 : left));
    } else {
      usleep(sleep_us);
      if (sleep_us < 20000) sleep_us *= 2;
    }
  }
}

unsigned long long bt_cache_compile_timeout_ms(void) {
  const char *env = getenv("BATON_COMPILE_TIMEOUT");
  if (env && *env) {
    char *end;
    double s = strtod(env, &end);
    if (end != env && !*end && s >= 0) return (unsigned long long)(s * 1000.0);
  }
  return 600 * 1000ull;
}

int bt_cache_run_tool(char *const argv[], const char *log_path) {
  char prog[PATH_MAX];
  if (!resolve_program(argv[0], prog, sizeof prog)) {
    errno = ENOENT;
    return -1;
  }
  int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int pfd[2] = {-1, -1};
  if (log_fd < 0 || null_fd < 0 || pipe2(pfd, O_CLOEXEC) != 0) {
    int e = errno;
    if (log_fd >= 0) close(log_fd);
    if (null_fd >= 0) close(null_fd);
    errno = e;
    return -1;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    supervise(prog, argv, log_fd, null_fd, parent, pfd[1]);
  }
  int fork_errno = errno;
  close(pfd[1]);
  close(log_fd);
  close(null_fd);
  if (pid < 0) {
    close(pfd[0]);
    errno = fork_errno;
    return -1;
  }
  setpgid(pid, pid); /* also in the child: whichever runs first */
  int status = wait_child(pid, bt_cache_compile_timeout_ms());
  int exec_errno = 0;
  ssize_t r = read(pfd[0], &exec_errno, sizeof exec_errno);
  close(pfd[0]);
  if (status == -1 && errno == ETIMEDOUT) return -2;
  if (status == -1) return -1;
  if (r == (ssize_t)sizeof exec_errno && exec_errno) {
    errno = exec_errno;
    return -1;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  if (code > 128 && code < 128 + 65) { /* the supervisor's report of a signal */
    int fd = open(log_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      char line[128];
      int n = snprintf(line, sizeof line, "\n(%s was killed: %s)\n", argv[0], strsignal(code - 128));
      bt_cache_write_fd(fd, line, (size_t)n);
      close(fd);
    }
  }
  return code;
}

/* ---- sweeping and administration ---- */

/* Removes name (a file, or a directory of files and directories, never
 * following symbolic links) relative to dirfd. */
static void remove_tree(int dirfd, const char *name, int depth) {
  if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT || depth > 8) return;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) remove_tree(fd, e->d_name, depth + 1);
  closedir(d);
  unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* Whether name is a 64-hex-digit key followed by suffix (e.g. ".so"), or
 * is "tmp-<key>-..." (suffix NULL). Copies the key out. */
static bool entry_key(const char *name, const char *suffix, char key[65]) {
  const char *k = name;
  if (!suffix) {
    if (strncmp(name, "tmp-", 4) != 0) return false;
    k = name + 4;
  }
  for (int i = 0; i < 64; i++)
    if (!((k[i] >= '0' && k[i] <= '9') || (k[i] >= 'a' && k[i] <= 'f'))) return false;
  if (suffix ? strcmp(k + 64, suffix) != 0 : k[64] != '-') return false;
  memcpy(key, k, 64);
  key[64] = 0;
  return true;
}

/* Tries to take key's lock without waiting or creating it. Returns the
 * descriptor (-2 when there is no lock file, -1 when it is held). */
static int try_lock(int dirfd, const char *key) {
  char name[80];
  snprintf(name, sizeof name, "%s.lock", key);
  int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return -2;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

size_t bt_cache_sweep(const char *dir, const char *key, double min_age_s) {
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return 0;
  DIR *d = fdopendir(dup(dirfd));
  size_t removed = 0;
  time_t now = time(NULL);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char k[65];
    struct stat st;
    bool tmp_file = !strncmp(e->d_name, "tmp-err-", 8) || !strncmp(e->d_name, "tmp-idx-", 8);
    if (!tmp_file && !entry_key(e->d_name, NULL, k)) continue;
    if (key && (tmp_file || strcmp(k, key) != 0)) continue; /* only key's */
    if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    bool mine = key != NULL; /* the caller holds key's lock */
    if (!mine && difftime(now, st.st_mtime) < min_age_s) continue;
    int lk = (mine || tmp_file) ? -2 : try_lock(dirfd, k);
    if (lk == -1) continue; /* a compile is running */
    remove_tree(dirfd, e->d_name, 0);
    removed++;
    if (lk >= 0) close(lk);
  }
  if (d) closedir(d);
  close(dirfd);
  return removed;
}

/* Collects the entries of dir (keys with an object, a record or a failure). */
static baton_error_t *collect(const char *dir, bt_cache_entry_t **out, size_t *n) {
  *out = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) return baton_error_new(BATON_ECACHE, "cannot read cache directory %s: %s", dir, strerror(errno));
  size_t cap = 0;
  struct dirent *e;
  static const char *const k_suffix[] = {".so", ".sum", ".err"};
  while ((e = readdir(d))) {
    char k[65];
    size_t s = 0;
    while (s < BT_ARRAY_LEN(k_suffix) && !entry_key(e->d_name, k_suffix[s], k)) s++;
    if (s == BT_ARRAY_LEN(k_suffix)) continue;
    struct stat st;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (lstat(path, &st) != 0) continue;
    size_t i = 0;
    while (i < *n && strcmp((*out)[i].key, k) != 0) i++;
    if (i == *n) {
      if (*n == cap) {
        bt_cache_entry_t *nb = bt_realloc(*out, (cap = cap ? cap * 2 : 64) * sizeof *nb);
        if (!nb) {
          closedir(d);
          return baton_error_new(BATON_ENO_MEMORY, "out of memory");
        }
        *out = nb;
      }
      memset(&(*out)[i], 0, sizeof **out);
      memcpy((*out)[i].key, k, 65);
      (*n)++;
    }
    bt_cache_entry_t *en = &(*out)[i];
    en->bytes += (unsigned long long)st.st_size;
    if (s == 0) en->has_object = true;
    if (s == 1) en->has_record = true;
    if (s == 2) en->failed = true;
    if (s == 1 || st.st_mtime > en->last_used) en->last_used = st.st_mtime; /* the record's time wins */
  }
  closedir(d);
  return NULL;
}

static int by_last_use(const void *a, const void *b) {
  const bt_cache_entry_t *x = a, *y = b;
  return (x->last_used > y->last_used) - (x->last_used < y->last_used);
}

baton_error_t *bt_cache_list(const char *dir, bt_cache_entry_t **out, size_t *n) {
  baton_error_t *err = collect(dir, out, n);
  if (!err && *n) qsort(*out, *n, sizeof **out, by_last_use);
  return err;
}

/* Removes one entry's files if nobody is compiling it. */
static bool remove_entry(const char *dir, const char *key) {
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return false;
  int lk = try_lock(dirfd, key);
  if (lk == -1) {
    close(dirfd);
    return false;
  }
  static const char *const k_suffix[] = {".so", ".sum", ".err"};
  char name[80];
  for (size_t i = 0; i < BT_ARRAY_LEN(k_suffix); i++) {
    snprintf(name, sizeof name, "%s%s", key, k_suffix[i]);
    unlinkat(dirfd, name, 0);
  }
  if (lk >= 0) {
    snprintf(name, sizeof name, "%s.lock", key);
    unlinkat(dirfd, name, 0);
    close(lk);
  }
  close(dirfd);
  return true;
}

baton_error_t *bt_cache_prune(const char *dir, unsigned long long max, const char *keep,
                              size_t *removed, unsigned long long *freed) {
  *removed = 0;
  *freed = 0;
  bt_cache_sweep(dir, NULL, 3600);
  bt_cache_entry_t *es;
  size_t n;
  baton_error_t *err = bt_cache_list(dir, &es, &n);
  if (err) return err;
  unsigned long long total = 0;
  for (size_t i = 0; i < n; i++) total += es[i].bytes;
  for (size_t i = 0; i < n && total > max; i++) {
    if (keep && strcmp(es[i].key, keep) == 0) continue;
    if (!remove_entry(dir, es[i].key)) continue;
    total -= es[i].bytes;
    *freed += es[i].bytes;
    (*removed)++;
  }
  bt_free(es);
  return NULL;
}

baton_error_t *bt_cache_clear(const char *dir, size_t *removed, unsigned long long *freed) {
  baton_error_t *err = bt_cache_prune(dir, 0, NULL, removed, freed);
  if (err) return err;
  bt_cache_sweep(dir, NULL, 0);
  /* Lock files left without an entry. */
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char k[65];
    if (entry_key(e->d_name, ".lock", k)) remove_entry(dir, k);
  }
  if (d) closedir(d);
  return NULL;
}

bool bt_cache_max_bytes(unsigned long long *out) {
  const char *env = getenv("BATON_CACHE_MAX");
  if (!env || !*env) return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(env, &end, 10);
  unsigned shift = 0;
  if (*end == 'K' || *end == 'k') shift = 10;
  else if (*end == 'M' || *end == 'm') shift = 20;
  else if (*end == 'G' || *end == 'g') shift = 30;
  if (shift) end++;
  if (errno || end == env || *end || v > (ULLONG_MAX >> shift)) return false;
  *out = v << shift;
  return true;
}
