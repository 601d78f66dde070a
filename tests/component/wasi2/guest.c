/*
 * tests/component/wasi2/guest.c: a wasi-libc reactor doing ordinary C I/O,
 * made into a component with the preview1 reactor adapter (so it imports
 * WASI 0.2), for test_wasi2.sh. Exports take and return u32 only, so no
 * bindings are needed. Each prints lines whose text is the same on every
 * conforming host (values that differ — clocks, random bytes — are
 * reduced to their shape) and returns a number to compare.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <wasi/api.h>

extern char **environ;

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("greet") uint32_t greet(uint32_t n) {
  printf("hello %u\n", n);
  printf("two lines\nin one write\n");
  fflush(stdout);
  fprintf(stderr, "to stderr %u\n", n);
  return n + 1;
}

EXPORT("env") uint32_t env(void) {
  size_t argc = 0, size = 0;
  if (__wasi_args_sizes_get(&argc, &size) != 0) argc = 0;
  size_t envc = 0;
  for (char **e = environ; e && *e; e++) envc++;
  const char *v = getenv("W2_ABSENT");
  printf("args=%zu env=%zu getenv=%s\n", argc, envc, v ? v : "(null)");
  fflush(stdout);
  return (uint32_t)(argc * 100 + envc);
}

static int64_t ns(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0) return -1;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

EXPORT("clocks") uint32_t clocks(void) {
  uint32_t ok = 0;
  int64_t wall = ns(CLOCK_REALTIME);
  if (wall > (int64_t)1600000000 * 1000000000) ok |= 1; /* after 2020 */
  int64_t a = ns(CLOCK_MONOTONIC), b = ns(CLOCK_MONOTONIC);
  if (a >= 0 && b >= a) ok |= 2;
  struct timespec res;
  if (clock_getres(CLOCK_MONOTONIC, &res) == 0 && (res.tv_sec || res.tv_nsec)) ok |= 4;
  struct timespec d = {0, 20 * 1000 * 1000};
  int64_t t0 = ns(CLOCK_MONOTONIC);
  nanosleep(&d, NULL); /* poll_oneoff: subscribe-duration + poll */
  if (ns(CLOCK_MONOTONIC) - t0 >= 20 * 1000 * 1000) ok |= 8;
  printf("clocks: %s %s %s %s\n", ok & 1 ? "wall-ok" : "wall-bad", ok & 2 ? "mono-ok" : "mono-bad",
         ok & 4 ? "res-ok" : "res-bad", ok & 8 ? "sleep-ok" : "sleep-bad");
  fflush(stdout);
  return ok;
}

EXPORT("random") uint32_t random_(void) {
  uint8_t buf[64];
  memset(buf, 0, sizeof buf);
  int n = getentropy(buf, sizeof buf) == 0 ? (int)sizeof buf : -1;
  int nonzero = 0;
  for (size_t i = 0; i < sizeof buf; i++) nonzero |= buf[i];
  uint32_t x = arc4random(), y = arc4random();
  printf("random: %d bytes, %s, arc4random %s\n", n, nonzero ? "not all zero" : "all zero",
         x != y ? "varies" : "constant");
  fflush(stdout);
  return (uint32_t)n;
}

EXPORT("files") uint32_t files(void) {
  errno = 0;
  FILE *f = fopen("/etc/passwd", "r");
  int e1 = errno;
  errno = 0;
  FILE *g = fopen("out.txt", "w");
  int e2 = errno;
  printf("fopen read: %s (%s)\n", f ? "opened" : "failed", strerror(e1));
  printf("fopen write: %s (%s)\n", g ? "opened" : "failed", strerror(e2));
  if (f) fclose(f);
  if (g) fclose(g);
  fflush(stdout);
  return (f ? 1 : 0) + (g ? 2 : 0);
}

EXPORT("quit") uint32_t quit(uint32_t code) {
  printf("quitting with %u\n", code);
  fflush(stdout);
  exit((int)code);
}

/* Sleeps ms milliseconds (poll_oneoff: subscribe-duration + poll), for the
 * deadline test; returns 1. */
EXPORT("nap") uint32_t nap(uint32_t ms) {
  struct timespec d = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&d, NULL);
  return 1;
}

/* Reads stdin once (input-stream.blocking-read) and returns the count
 * (0 at end of input), for the deadline test. */
EXPORT("slurp") uint32_t slurp(void) {
  char buf[64];
  ssize_t n = read(0, buf, sizeof buf);
  return n < 0 ? 0 : (uint32_t)n;
}
