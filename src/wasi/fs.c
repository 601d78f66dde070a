/*
 * src/wasi/fs.c: confined path resolution for WASI filesystem grants, and
 * the check that flags over-broad grants (see fs.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi/fs.h"

long bt_wasi_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode) {
  /* openat2 refuses a mode without O_CREAT */
  struct open_how how = {.flags = flags | O_CLOEXEC, .mode = (flags & O_CREAT) ? mode : 0,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
  long r;
  do r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  while (r < 0 && errno == EINTR);
  return r;
}

int bt_wasi_open_parent(int dirfd, char *path, int *parent, const char **last) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') path[--n] = 0;
  if (!n) return ENOENT;
  char *slash = strrchr(path, '/');
  const char *dir = ".";
  if (slash) {
    if (slash == path) return EXDEV; /* absolute */
    *slash = 0;
    dir = path;
    *last = slash + 1;
  } else {
    *last = path;
  }
  if (!strcmp(*last, ".") || !strcmp(*last, "..")) return EXDEV;
  long fd = bt_wasi_openat2(dirfd, dir, O_PATH | O_DIRECTORY, 0);
  if (fd < 0) return errno;
  *parent = (int)fd;
  return 0;
}

baton_error_t *bt_wasi_open_grant(const baton_wasi_preopen_t *p, size_t i, bool probe, int *dirfd) {
  *dirfd = -1;
  if (!p->host_path || !*p->host_path)
    return baton_error_new(BATON_EINVALID_ARGUMENT, "preopen %zu has no host path", i);
  int fd = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return baton_error_new(BATON_ENOT_FOUND, "cannot open directory %s: %s", p->host_path, strerror(e));
  }
  if (probe) {
    long h = bt_wasi_openat2(fd, ".", O_PATH | O_DIRECTORY, 0);
    if (h < 0) {
      int e = errno;
      close(fd);
      return baton_error_new(BATON_EUNSUPPORTED, "directory grants need openat2 (Linux 5.6+): %s", strerror(e));
    }
    close((int)h);
  }
  *dirfd = fd;
  return NULL;
}

/* Whether dir (a resolved absolute path) is home or one of its ancestors. */
static bool holds(const char *dir, const char *home) {
  if (!home || !*home) return false;
  char *real = realpath(home, NULL);
  const char *h = real ? real : home;
  size_t n = strlen(dir);
  bool r = !strcmp(dir, "/") || (!strncmp(h, dir, n) && (h[n] == 0 || h[n] == '/'));
  free(real);
  return r;
}

const char *bt_wasi_grant_breadth(const char *host_path, char *buf, size_t size) {
  char *real = host_path ? realpath(host_path, NULL) : NULL;
  if (!real) return NULL;
  const char *why = NULL;
  const struct passwd *pw = getpwuid(getuid());
  const char *slash = strrchr(real, '/');
  if (!strcmp(real, "/")) {
    why = "the root directory /";
  } else if (holds(real, getenv("HOME")) || holds(real, pw ? pw->pw_dir : NULL) || !strcmp(real, "/root") ||
             !strcmp(real, "/home") || (slash && slash - real == 5 && !strncmp(real, "/home", 5))) {
    snprintf(buf, size, "%s, a home directory or a directory holding one", real);
    why = buf;
  }
  free(real);
  return why;
}
