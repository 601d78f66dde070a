/*
 * src/wasi/hostwait.c: deadline-bounded waits for the WASI host functions
 * (see hostwait.h). Signals that interrupt a wait (the runtime's deadline
 * timer among them) only make it re-check the deadline and go on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "engine/internal.h"
#include "wasi/hostwait.h"

static uint64_t mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timespec span(uint64_t ns) {
  return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
}

int bt_wasi_wait_fd(int fd, short events) {
  for (;;) {
    uint64_t deadline = bt_runtime_deadline_ns();
    struct timespec ts, *tp = NULL;
    if (deadline) {
      uint64_t now = mono_now();
      if (now >= deadline) {
        bt_runtime_deadline_reached();
        return ETIMEDOUT;
      }
      ts = span(deadline - now);
      tp = &ts;
    }
    struct pollfd p = {.fd = fd, .events = events};
    int r = ppoll(&p, 1, tp, NULL);
    if (r > 0) return 0;
    if (r < 0 && errno != EINTR) return errno;
  }
}

int bt_wasi_sleep_until(uint64_t until_ns) {
  for (;;) {
    uint64_t deadline = bt_runtime_deadline_ns();
    bool cut = deadline && deadline <= until_ns;
    uint64_t end = cut ? deadline : until_ns;
    if (mono_now() >= end) {
      if (!cut) return 0;
      bt_runtime_deadline_reached();
      return ETIMEDOUT;
    }
    struct timespec ts = span(end);
    int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    if (r != 0 && r != EINTR) return r;
  }
}
