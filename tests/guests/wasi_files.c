/*
 * tests/guests/wasi_files.c: a reactor using the filesystem through
 * ordinary wasi-libc calls, for tests/wasi/test_wasi.c: reading, writing,
 * creating, listing, mkdir/unlink beneath a directory granted as "/data",
 * and attempts to escape it ("..", absolute paths, symlinks pointing out),
 * both through libc and through raw path_* calls on preopen fd 3. Each
 * export returns 0 on success or the errno it saw (escape attempts return
 * 0 only if they got out).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#define EXPORT(name) __attribute__((export_name(name)))

/* Prints /data/in.txt on stdout. */
EXPORT("read_file") int read_file(void) {
  FILE *f = fopen("/data/in.txt", "r");
  if (!f) return errno ? errno : -1;
  char buf[256];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  printf("read:%s", buf);
  fflush(stdout);
  return 0;
}

/* Writes /data/out.txt (created or truncated). */
EXPORT("write_file") int write_file(void) {
  FILE *f = fopen("/data/out.txt", "w");
  if (!f) return errno ? errno : -1;
  if (fputs("written by guest\n", f) < 0) {
    fclose(f);
    return errno ? errno : -1;
  }
  if (fclose(f) != 0) return errno ? errno : -1;
  return 0;
}

/* Appends to /data/out.txt. */
EXPORT("append_file") int append_file(void) {
  FILE *f = fopen("/data/out.txt", "a");
  if (!f) return errno ? errno : -1;
  fputs("appended\n", f);
  return fclose(f) ? errno : 0;
}

/* O_CREAT|O_EXCL: the first create succeeds, the second reports EEXIST. */
EXPORT("create_excl") int create_excl(void) {
  int fd = open("/data/new.txt", O_CREAT | O_EXCL | O_WRONLY, 0644);
  if (fd < 0) return errno;
  write(fd, "new\n", 4);
  close(fd);
  fd = open("/data/new.txt", O_CREAT | O_EXCL | O_WRONLY, 0644);
  if (fd >= 0) {
    close(fd);
    return -2;
  }
  return errno == EEXIST ? 0 : errno;
}

/* Seeks and tells within /data/in.txt; returns the byte at offset 6. */
EXPORT("seek_tell") int seek_tell(void) {
  FILE *f = fopen("/data/in.txt", "r");
  if (!f) return -errno;
  if (fseek(f, 6, SEEK_SET) != 0) return -100;
  int ch = fgetc(f);
  long pos = ftell(f);
  fclose(f);
  return pos == 7 ? ch : -101;
}

/* stat()s /data/in.txt: its size. */
EXPORT("file_size") int file_size(void) {
  struct stat st;
  if (stat("/data/in.txt", &st) != 0) return -errno;
  return S_ISREG(st.st_mode) ? (int)st.st_size : -1;
}

/* Lists /data on stdout, one "name\n" per entry (without . and ..). */
EXPORT("list_dir") int list_dir(void) {
  DIR *d = opendir("/data");
  if (!d) return errno ? errno : -1;
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    printf("%s\n", e->d_name);
    n++;
  }
  closedir(d);
  fflush(stdout);
  return n ? 0 : -1;
}

/* mkdir /data/sub, create and stat a file in it, then unlink the file. */
EXPORT("mkdir_unlink") int mkdir_unlink(void) {
  if (mkdir("/data/sub", 0755) != 0) return errno;
  FILE *f = fopen("/data/sub/f.txt", "w");
  if (!f) return errno;
  fputs("x", f);
  fclose(f);
  struct stat st;
  if (stat("/data/sub/f.txt", &st) != 0 || st.st_size != 1) return -3;
  if (unlink("/data/sub/f.txt") != 0) return errno;
  if (stat("/data/sub/f.txt", &st) == 0) return -4;
  return 0;
}

/* Only unlink /data/in.txt (for read-only checks). */
EXPORT("unlink_in") int unlink_in(void) { return unlink("/data/in.txt") ? errno : 0; }

/* Only mkdir /data/sub (for read-only checks). */
EXPORT("mkdir_only") int mkdir_only(void) { return mkdir("/data/sub", 0755) ? errno : 0; }

static int try_fopen(const char *path, const char *mode) {
  FILE *f = fopen(path, mode);
  if (!f) return errno ? errno : -1;
  fclose(f);
  return 0; /* escaped! */
}

static int raw_open(const char *path, __wasi_oflags_t oflags, __wasi_rights_t rights) {
  __wasi_fd_t fd;
  __wasi_errno_t e = __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags, rights, 0, 0, &fd);
  if (!e) (void)!__wasi_fd_close(fd);
  return e;
}

/* Escape attempt number which; returns 0 only when it got out, -1 past
 * the last attempt. */
EXPORT("escape") int escape(int which) {
  struct stat st;
  switch (which) {
    case 0: return try_fopen("/data/../outside.txt", "r");
    case 1: return try_fopen("/etc/passwd", "r");
    case 2: return try_fopen("/data/link/secret.txt", "r");
    case 3: return try_fopen("/data/link_abs/secret.txt", "r");
    case 4: return try_fopen("/data/link_file", "r");
    case 5: return try_fopen("/data/../escaped.txt", "w");
    case 6: return try_fopen("/data/link/created.txt", "w");
    case 7: return try_fopen("/data/link_file", "w");
    case 8: return mkdir("/data/../escdir", 0755) ? errno : 0;
    case 9: return mkdir("/data/link/escdir", 0755) ? errno : 0;
    case 10: return unlink("/data/../outside.txt") ? errno : 0;
    case 11: return unlink("/data/link/secret.txt") ? errno : 0;
    case 12: return stat("/data/../outside.txt", &st) ? errno : 0;
    case 13: return stat("/data/link/secret.txt", &st) ? errno : 0;
    case 14: return raw_open("../outside.txt", 0, __WASI_RIGHTS_FD_READ);
    case 15: return raw_open("/etc/passwd", 0, __WASI_RIGHTS_FD_READ);
    case 16: return raw_open("link/secret.txt", 0, __WASI_RIGHTS_FD_READ);
    case 17: return raw_open("sub2/../../outside.txt", 0, __WASI_RIGHTS_FD_READ);
    case 18: return raw_open("../escaped.txt", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE);
    case 19: return raw_open("link_file", __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_WRITE);
    case 20: return raw_open("/proc/self/root/etc/passwd", 0, __WASI_RIGHTS_FD_READ);
    case 21: return raw_open("..", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR);
    case 22: {
      __wasi_filestat_t fs;
      return __wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "../outside.txt", &fs);
    }
    case 23: return __wasi_path_unlink_file(3, "../outside.txt");
    case 24: return __wasi_path_create_directory(3, "../escdir");
    case 25: return __wasi_path_unlink_file(3, "link/secret.txt");
    default: return -1;
  }
}

/* Opens /data/fifo for reading (a FIFO the test made), reads once and
 * prints what came; returns the byte count or the errno it saw. */
EXPORT("read_fifo") int read_fifo(void) {
  int fd = open("/data/fifo", O_RDONLY);
  if (fd < 0) return -errno;
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  int e = errno;
  close(fd);
  if (n < 0) return -e;
  buf[n] = 0;
  printf("fifo:%s", buf);
  fflush(stdout);
  return (int)n;
}
