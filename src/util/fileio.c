/*
 * src/util/fileio.c: the one whole-file reader. Reads only regular files, up
 * to a size cap, into a NUL-terminated buffer, and names the file in every
 * error. Files are opened with O_NONBLOCK, so a FIFO or a device named as
 * input is refused at once instead of blocking or being read forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"

baton_error_t *bt_read_file(const char *path, size_t max, uint8_t **out, size_t *len) {
  *out = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return baton_error_new(errno == ENOENT ? BATON_ENOT_FOUND : BATON_EIO, "%s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    bool dir = S_ISDIR(st.st_mode);
    close(fd);
    return baton_error_new(BATON_EIO, "%s is %s", path, dir ? "a directory, not a file" : "not a regular file");
  }
  if ((uint64_t)st.st_size > max) {
    close(fd);
    return baton_error_new(BATON_ELIMIT, "%s is %lld bytes, over the limit of %zu", path,
                           (long long)st.st_size, max);
  }
  size_t n = (size_t)st.st_size, got = 0;
  uint8_t *buf = bt_malloc(n + 1);
  if (!buf) {
    close(fd);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory reading %s", path);
  }
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int e = r < 0 ? errno : EIO;
      close(fd);
      bt_free(buf);
      return baton_error_new(BATON_EIO, "cannot read %s: %s", path, r < 0 ? strerror(e) : "file shrank");
    }
    got += (size_t)r;
  }
  close(fd);
  buf[n] = 0;
  *out = buf;
  *len = n;
  return NULL;
}

size_t bt_input_max(bool binary) {
  const char *env = getenv("BATON_MAX_INPUT");
  if (env && *env) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(env, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') shift = 10;
    else if (*end == 'M' || *end == 'm') shift = 20;
    else if (*end == 'G' || *end == 'g') shift = 30;
    if (shift) end++;
    if (!errno && end != env && !*end && v && v <= (SIZE_MAX >> shift)) return (size_t)(v << shift);
  }
  return binary ? BT_INPUT_MAX_BINARY : BT_INPUT_MAX_TEXT;
}

baton_error_t *bt_read_input(const char *path, bool binary, uint8_t **out, size_t *len) {
  baton_error_t *err = bt_read_file(path, bt_input_max(binary), out, len);
  if (err && baton_error_code(err) == BATON_ELIMIT) {
    baton_error_t *limit = baton_error_new(BATON_ELIMIT, "%s (BATON_MAX_INPUT raises it)",
                                           baton_error_message(err));
    baton_error_delete(err);
    err = limit;
  }
  return err;
}

size_t bt_read_head(const char *path, void *buf, size_t n) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return 0;
  struct stat st;
  size_t got = 0;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    while (got < n) {
      ssize_t r = read(fd, (char *)buf + got, n - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
  }
  close(fd);
  return got;
}
