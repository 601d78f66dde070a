/*
 * src/wasi/hostwait.h: blocking waits for the WASI host functions
 * (preview1.c, preview2.c) that end at the current guest call's deadline.
 * Every host operation that could block (a stdin read, a read or write on
 * a FIFO or device in a grant, poll_oneoff, a WASI 0.2 pollable) waits
 * through these with ppoll/clock_nanosleep bounded by
 * bt_runtime_deadline_ns(), so a deadline ends the call within
 * milliseconds of its limit instead of whenever the host operation
 * returns. Internal (BT_HIDDEN).
 */
#ifndef BT_WASI_HOSTWAIT_H
#define BT_WASI_HOSTWAIT_H

#include <stdint.h>

#include "util/common.h"

/* Waits until fd is ready for events (POLLIN and/or POLLOUT) or the
 * current call's deadline passes; without a deadline, as long as it takes.
 * Returns 0 when fd is ready (also on POLLHUP, POLLERR or POLLNVAL: the
 * read or write that follows reports them), ETIMEDOUT when the deadline
 * has passed (the call is then marked to end with the deadline trap as
 * soon as the host function returns, which it should do at once), or
 * another errno value. */
BT_HIDDEN int bt_wasi_wait_fd(int fd, short events);

/* Sleeps until CLOCK_MONOTONIC time until_ns, or until the current call's
 * deadline when that comes first. Returns 0, or ETIMEDOUT when the
 * deadline ended the sleep (the call is marked as for bt_wasi_wait_fd). */
BT_HIDDEN int bt_wasi_sleep_until(uint64_t until_ns);

#endif
