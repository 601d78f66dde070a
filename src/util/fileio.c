/*
 * src/util/fileio.c: the one whole-file reader. Reads only regular files, up
 * to a size cap, into a NUL-terminated buffer, and names the file in every
 * error.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"

baton_error_t *bt_read_file(const char *path, size_t max, uint8_t **out, size_t *len) {
  *out = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return baton_error_new(BATON_EIO, "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return baton_error_new(BATON_EIO, "%s is not a regular file", path);
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
