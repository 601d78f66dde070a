/*
 * tests/guests/wasi_io.c: a reactor exercising baton's WASI preview1 subset
 * through ordinary wasi-libc calls, for tests/wasi/test_wasi.c: stdio
 * output (buffered and raw, partial lines, both streams), argv and environ,
 * clocks, random bytes, proc_exit, the absent filesystem, stdin and sleep.
 * Each export reports what the guest saw, by return value or on stdout.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#define EXPORT(name) __attribute__((export_name(name)))

/* printf/puts on stdout and fprintf on stderr, flushed. */
EXPORT("print_hello") int print_hello(void) {
  printf("hello, %s %d\n", "world", 42);
  puts("second line");
  fprintf(stderr, "to stderr: %s\n", "oops");
  fflush(stdout);
  return 0;
}

/* A line left unterminated in stdio's buffer until the explicit flush. */
EXPORT("print_unflushed") int print_unflushed(int flush) {
  printf("no newline yet");
  if (flush) fflush(stdout);
  return 0;
}

/* Raw write(2) calls that split lines across writes. */
EXPORT("partial") int partial(void) {
  static const char *const chunks[] = {"alpha", " beta\nga", "mma\n", "\n", "delta"};
  for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++)
    write(1, chunks[i], strlen(chunks[i]));
  return 0;
}

/* Interleaves the two streams, each mid-line when the other writes. */
EXPORT("interleave") int interleave(void) {
  write(1, "out-a", 5);
  write(2, "err-a\nerr-", 10);
  write(1, "out-b\n", 6);
  write(2, "b\n", 2);
  return 0;
}

/* A single fd_write with several iovecs, lines split across them. */
EXPORT("gather") int gather(void) {
  char a[] = "one\ntw", b[] = "o\nthr", c[] = "ee\n";
  __wasi_ciovec_t iov[3] = {{(const uint8_t *)a, 6}, {(const uint8_t *)b, 5}, {(const uint8_t *)c, 3}};
  __wasi_size_t n = 0;
  __wasi_errno_t e = __wasi_fd_write(1, iov, 3, &n);
  return e ? -(int)e : (int)n;
}

/* Prints argv as seen through args_sizes_get/args_get, one per line. */
EXPORT("print_args") int print_args(void) {
  __wasi_size_t argc = 0, size = 0;
  if (__wasi_args_sizes_get(&argc, &size)) return -1;
  char **argv = calloc(argc + 1, sizeof *argv);
  char *buf = malloc(size + 1);
  if (!argv || !buf || __wasi_args_get((uint8_t **)argv, (uint8_t *)buf)) return -2;
  for (size_t i = 0; i < argc; i++) printf("argv[%zu]=%s\n", i, argv[i]);
  fflush(stdout);
  free(argv);
  free(buf);
  return (int)argc;
}

/* Prints the whole environment and one getenv() lookup. */
EXPORT("print_env") int print_env(void) {
  extern char **environ;
  const char *g = getenv("GREETING");
  int n = 0;
  printf("GREETING=%s\n", g ? g : "(unset)");
  for (char **e = environ; e && *e; e++, n++) printf("env: %s\n", *e);
  fflush(stdout);
  return n;
}

EXPORT("clock_ns") int64_t clock_ns(int which) {
  struct timespec ts;
  if (clock_gettime(which ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ts) != 0) return -errno;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Monotonic nanoseconds spent in a busy loop of `iters` clock reads. */
EXPORT("mono_busy") int64_t mono_busy(int iters) {
  int64_t first = clock_ns(1), prev = first;
  for (int i = 0; i < iters; i++) {
    int64_t t = clock_ns(1);
    if (t < prev) return -1; /* went backwards */
    prev = t;
  }
  return prev - first;
}

static uint8_t g_random[256];

/* Fills g_random via getentropy (random_get); returns its address. */
EXPORT("random_fill") int random_fill(void) {
  memset(g_random, 0, sizeof g_random);
  if (getentropy(g_random, sizeof g_random) != 0) return -errno;
  return (int)(uintptr_t)g_random;
}

/* printf without a newline, then exit(status): exit flushes stdio. */
EXPORT("exit_with") int exit_with(int status) {
  printf("bye %d", status);
  exit(status);
}

/* Raw proc_exit: nothing after it may run. */
EXPORT("raw_exit") int raw_exit(int status) {
  __wasi_proc_exit((__wasi_exitcode_t)status);
}

/* Tries the filesystem: prints what fopen/opendir-free calls reported. */
EXPORT("open_passwd") int open_passwd(void) {
  errno = 0;
  FILE *f = fopen("/etc/passwd", "r");
  int e = errno;
  printf("fopen=%s errno=%d\n", f ? "FILE" : "NULL", e);
  fflush(stdout);
  if (f) fclose(f);
  return f ? 0 : e;
}

/* path_open straight through WASI on fd 3 (which would be a preopen). */
EXPORT("raw_path_open") int raw_path_open(void) {
  __wasi_fd_t fd = 0;
  return __wasi_path_open(3, 0, "etc/passwd", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
}

/* Reads stdin to EOF (at most 255 bytes); prints it and returns the count,
 * or -1 if the very first getchar() was EOF. */
EXPORT("read_stdin") int read_stdin(void) {
  char buf[256];
  int n = 0, c;
  while (n < 255 && (c = getchar()) != EOF) buf[n++] = (char)c;
  buf[n] = 0;
  if (n == 0) return feof(stdin) ? -1 : -2;
  printf("read:%s", buf);
  fflush(stdout);
  return n;
}

/* Sleeps `ms` milliseconds with nanosleep (or usleep when ms < 0) and
 * returns the elapsed monotonic milliseconds. */
EXPORT("sleep_ms") int sleep_ms(int ms) {
  int64_t t0 = clock_ns(1);
  if (ms >= 0) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    if (nanosleep(&ts, NULL) != 0) return -errno;
  } else {
    if (usleep((useconds_t)-ms * 1000u) != 0) return -errno;
  }
  return (int)((clock_ns(1) - t0) / 1000000);
}
