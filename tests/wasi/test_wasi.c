/*
 * tests/wasi/test_wasi.c: baton's WASI preview1 subset, driven through the
 * public C API with real guests (tests/guests/wasi_io.c, wasi_cmd.c,
 * wasi_badptr.wat, wasi_poll.wat): captured stdout/stderr, line prefixes,
 * argv/environ, clocks, random, proc_exit and a command's _start, the
 * absent filesystem, stdin, sleeping (and a deadline cutting a sleep
 * short), poll_oneoff's events, out-of-bounds guest pointers answered
 * with EFAULT, and filesystem grants (tests/guests/wasi_files.c): denied
 * without one, read/write and read-only grants, escape attempts.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "baton/baton.h"
#include "test.h"

/* ---- output capture ---- */

typedef struct {
  char out[8192], err[8192];
  size_t nout, nerr;
  int calls;
  int bad_fd;                 /* writes to an fd other than 1 and 2 */
  baton_instance_t *last_inst; /* instance the callback last saw */
} capture_t;

static void cap_write(void *env, baton_instance_t *inst, int fd, const char *data, size_t len) {
  capture_t *c = env;
  c->calls++;
  c->last_inst = inst;
  char *buf = fd == 1 ? c->out : c->err;
  size_t *n = fd == 1 ? &c->nout : &c->nerr;
  if (fd != 1 && fd != 2) c->bad_fd++;
  if (*n + len >= sizeof c->out) len = sizeof c->out - 1 - *n;
  memcpy(buf + *n, data, len);
  *n += len;
  buf[*n] = 0;
}

static void cap_reset(capture_t *c) { memset(c, 0, sizeof *c); }

/* ---- shared engine and modules ---- */

static baton_engine_t *g_engine;
static baton_module_t *g_io, *g_cmd, *g_bad, *g_poll, *g_files;

static baton_module_t *load(const char *name) {
  baton_module_t *m = NULL;
  baton_error_t *err = baton_module_new_file(g_engine, t_guest(name), &m);
  if (err) {
    fprintf(stderr, "loading %s: %s\n", name, baton_error_message(err));
    baton_error_delete(err);
    return NULL;
  }
  return m;
}

/* Instantiates m with WASI capturing into cap (wc may be NULL for the
 * defaults); fails the test on an error or an instantiation trap. */
static baton_instance_t *make_ex(baton_module_t *m, baton_wasi_config_t *wc, const char *name,
                                 uint64_t timeout_ms, capture_t *cap) {
  baton_wasi_config_t def = {0};
  if (!wc) wc = &def;
  if (cap) {
    wc->output = BATON_WASI_OUTPUT_CALLBACK;
    wc->write = cap_write;
    wc->write_env = cap;
  }
  baton_linker_t *l = NULL;
  ASSERT_OK(baton_linker_new(g_engine, &l));
  ASSERT_OK(baton_linker_define_wasi(l, wc));
  baton_instance_config_t ic = {.name = name, .timeout_ms = timeout_ms};
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_error_t *err = baton_instance_new(l, m, &ic, &inst, &trap);
  baton_linker_delete(l);
  ASSERT_OK(err);
  if (trap) {
    fprintf(stderr, "instantiation trapped: %s\n", baton_trap_message(trap));
    baton_trap_delete(trap);
    ASSERT_TRUE(0);
  }
  ASSERT_NOT_NULL(inst);
  return inst;
}

static baton_instance_t *make(baton_module_t *m, capture_t *cap) {
  return make_ex(m, NULL, NULL, 0, cap);
}

/* Calls an export taking zero or one i32 and returning one i32 (or nothing
 * when nres is 0); fails on a host error or a trap. */
static int32_t call_i32(baton_instance_t *inst, const char *name, int nargs, int32_t arg) {
  baton_val_t a = {.kind = BATON_I32, .of.i32 = arg}, r = {0};
  baton_trap_t *trap = NULL;
  ASSERT_OK(baton_instance_call(inst, name, &a, (size_t)nargs, &r, 1, &trap));
  if (trap) {
    fprintf(stderr, "%s trapped: %s\n", name, baton_trap_message(trap));
    baton_trap_delete(trap);
    ASSERT_TRUE(0);
  }
  ASSERT_EQ(r.kind, BATON_I32);
  return r.of.i32;
}

static int64_t call_i64(baton_instance_t *inst, const char *name, int32_t arg) {
  baton_val_t a = {.kind = BATON_I32, .of.i32 = arg}, r = {0};
  baton_trap_t *trap = NULL;
  ASSERT_OK(baton_instance_call(inst, name, &a, 1, &r, 1, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(r.kind, BATON_I64);
  return r.of.i64;
}

/* Calls an export expected to trap; returns the trap (caller frees). */
static baton_trap_t *call_trap(baton_instance_t *inst, const char *name, int nargs, int32_t arg,
                               int nres) {
  baton_val_t a = {.kind = BATON_I32, .of.i32 = arg}, r = {0};
  baton_trap_t *trap = NULL;
  ASSERT_OK(baton_instance_call(inst, name, &a, (size_t)nargs, &r, (size_t)nres, &trap));
  ASSERT_NOT_NULL(trap);
  return trap;
}

static uint64_t host_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- stdio ---- */

TEST(stdout_and_stderr_captured_exactly) {
  capture_t cap;
  cap_reset(&cap);
  baton_instance_t *inst = make(g_io, &cap);
  ASSERT_EQ(call_i32(inst, "print_hello", 0, 0), 0);
  ASSERT_STREQ(cap.out, "hello, world 42\nsecond line\n");
  ASSERT_STREQ(cap.err, "to stderr: oops\n");
  ASSERT_EQ(cap.bad_fd, 0);
  ASSERT_TRUE(cap.last_inst == inst);
  baton_instance_delete(inst);
}

TEST(stdout_buffered_until_flush) {
  capture_t cap;
  cap_reset(&cap);
  baton_instance_t *inst = make(g_io, &cap);
  /* stdio keeps a partial line buffered: nothing reaches the host yet */
  call_i32(inst, "print_unflushed", 1, 0);
  ASSERT_STREQ(cap.out, "");
  call_i32(inst, "print_unflushed", 1, 1);
  ASSERT_STREQ(cap.out, "no newline yetno newline yet");
  baton_instance_delete(inst);
}

TEST(discard_output) {
  baton_wasi_config_t wc = {.output = BATON_WASI_OUTPUT_DISCARD};
  baton_instance_t *inst = make_ex(g_io, &wc, NULL, 0, NULL);
  ASSERT_EQ(call_i32(inst, "print_hello", 0, 0), 0);
  ASSERT_EQ(call_i32(inst, "gather", 0, 0), 14); /* still reports bytes written */
  baton_instance_delete(inst);
}

TEST(prefix_lines_across_partial_writes) {
  capture_t cap;
  cap_reset(&cap);
  baton_wasi_config_t wc = {.prefix_lines = 1};
  baton_instance_t *inst = make_ex(g_io, &wc, "svc", 0, &cap);
  ASSERT_STREQ(baton_instance_name(inst), "svc");
  call_i32(inst, "partial", 0, 0);
  ASSERT_STREQ(cap.out, "[svc] alpha beta\n[svc] gamma\n[svc] \n[svc] delta");
  /* the unterminated "delta" line continues in the next call */
  call_i32(inst, "partial", 0, 0);
  ASSERT_STREQ(cap.out,
               "[svc] alpha beta\n[svc] gamma\n[svc] \n[svc] delta"
               "alpha beta\n[svc] gamma\n[svc] \n[svc] delta");
  ASSERT_STREQ(cap.err, "");
  baton_instance_delete(inst);

  /* each stream keeps its own line state */
  cap_reset(&cap);
  inst = make_ex(g_io, &wc, "svc", 0, &cap);
  call_i32(inst, "interleave", 0, 0);
  ASSERT_STREQ(cap.out, "[svc] out-aout-b\n");
  ASSERT_STREQ(cap.err, "[svc] err-a\n[svc] err-b\n");
  /* one fd_write with lines split across its iovecs */
  cap_reset(&cap);
  ASSERT_EQ(call_i32(inst, "gather", 0, 0), 14);
  ASSERT_STREQ(cap.out, "[svc] one\n[svc] two\n[svc] three\n");
  baton_instance_delete(inst);
}

TEST(prefix_lines_per_instance_and_default_name) {
  capture_t cap;
  cap_reset(&cap);
  baton_wasi_config_t wc = {.prefix_lines = 1};
  baton_instance_t *a = make_ex(g_io, &wc, "a", 0, &cap);
  baton_instance_t *b = make_ex(g_io, &wc, NULL, 0, &cap);
  /* without a configured name the instance is named after the module */
  ASSERT_STREQ(baton_instance_name(b), baton_module_name(g_io));
  call_i32(a, "print_unflushed", 1, 1); /* "no newline yet", a stays mid-line */
  call_i32(b, "print_hello", 0, 0);     /* b starts its own line */
  call_i32(a, "gather", 0, 0);
  char want[4096];
  snprintf(want, sizeof want,
           "[a] no newline yet[%s] hello, world 42\n[%s] second line\none\n[a] two\n[a] three\n",
           baton_module_name(g_io), baton_module_name(g_io));
  ASSERT_STREQ(cap.out, want);
  snprintf(want, sizeof want, "[%s] to stderr: oops\n", baton_module_name(g_io));
  ASSERT_STREQ(cap.err, want);
  baton_instance_delete(a);
  baton_instance_delete(b);
}

/* ---- argv and environ ---- */

TEST(argv_seen_by_guest) {
  capture_t cap;
  cap_reset(&cap);
  const char *argv[] = {"prog", "one", "two words", ""};
  baton_wasi_config_t wc = {.argv = argv, .argc = 4};
  baton_instance_t *inst = make_ex(g_io, &wc, NULL, 0, &cap);
  ASSERT_EQ(call_i32(inst, "print_args", 0, 0), 4);
  ASSERT_STREQ(cap.out, "argv[0]=prog\nargv[1]=one\nargv[2]=two words\nargv[3]=\n");
  baton_instance_delete(inst);

  /* no argv configured: the guest sees none */
  cap_reset(&cap);
  inst = make(g_io, &cap);
  ASSERT_EQ(call_i32(inst, "print_args", 0, 0), 0);
  ASSERT_STREQ(cap.out, "");
  baton_instance_delete(inst);
}

TEST(environ_seen_by_guest) {
  capture_t cap;
  cap_reset(&cap);
  const char *env[] = {"GREETING=hi there", "EMPTY=", "X=1=2"};
  baton_wasi_config_t wc = {.env = env, .envc = 3};
  baton_instance_t *inst = make_ex(g_io, &wc, NULL, 0, &cap);
  ASSERT_EQ(call_i32(inst, "print_env", 0, 0), 3);
  ASSERT_STREQ(cap.out, "GREETING=hi there\nenv: GREETING=hi there\nenv: EMPTY=\nenv: X=1=2\n");
  baton_instance_delete(inst);

  /* the host's own environment does not leak into the guest */
  setenv("GREETING", "from the host", 1);
  cap_reset(&cap);
  inst = make(g_io, &cap);
  ASSERT_EQ(call_i32(inst, "print_env", 0, 0), 0);
  ASSERT_STREQ(cap.out, "GREETING=(unset)\n");
  baton_instance_delete(inst);
  unsetenv("GREETING");
}

TEST(config_strings_are_copied) {
  capture_t cap;
  cap_reset(&cap);
  char arg0[] = "first", envv[] = "K=v";
  const char *argv[] = {arg0};
  const char *env[] = {envv};
  baton_wasi_config_t wc = {.argv = argv, .argc = 1, .env = env, .envc = 1};
  baton_linker_t *l;
  ASSERT_OK(baton_linker_new(g_engine, &l));
  wc.output = BATON_WASI_OUTPUT_CALLBACK;
  wc.write = cap_write;
  wc.write_env = &cap;
  ASSERT_OK(baton_linker_define_wasi(l, &wc));
  strcpy(arg0, "XXXXX"); /* the caller's buffers change after the call */
  strcpy(envv, "Z=z");
  baton_instance_t *inst;
  baton_trap_t *trap;
  ASSERT_OK(baton_instance_new(l, g_io, NULL, &inst, &trap));
  baton_linker_delete(l); /* the instance keeps the WASI context alive */
  ASSERT_NULL(trap);
  call_i32(inst, "print_args", 0, 0);
  call_i32(inst, "print_env", 0, 0);
  ASSERT_STREQ(cap.out, "argv[0]=first\nGREETING=(unset)\nenv: K=v\n");
  baton_instance_delete(inst);
}

/* ---- command guests ---- */

TEST(command_start_main_returns_7) {
  capture_t cap;
  cap_reset(&cap);
  const char *argv[] = {"wasi_cmd", "a b"};
  const char *env[] = {"GREETING=hey"};
  baton_wasi_config_t wc = {.argv = argv, .argc = 2, .env = env, .envc = 1};
  baton_instance_t *inst = make_ex(g_cmd, &wc, NULL, 0, &cap);
  baton_trap_t *trap = call_trap(inst, "_start", 0, 0, 0);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_EXIT);
  ASSERT_EQ(baton_trap_exit_status(trap), 7);
  ASSERT_STREQ(baton_trap_export(trap), "_start");
  ASSERT_CONTAINS(baton_trap_message(trap), "status 7");
  baton_trap_delete(trap);
  ASSERT_STREQ(cap.out, "argc=2\nargv[0]=wasi_cmd\nargv[1]=a b\nenv: GREETING=hey\nGREETING=hey\n");
  baton_instance_delete(inst);
}

TEST(command_start_main_returns_0) {
  capture_t cap;
  cap_reset(&cap);
  const char *argv[] = {"wasi_cmd", "ok"};
  baton_wasi_config_t wc = {.argv = argv, .argc = 2};
  baton_instance_t *inst = make_ex(g_cmd, &wc, NULL, 0, &cap);
  baton_trap_t *trap = NULL;
  ASSERT_OK(baton_instance_call(inst, "_start", NULL, 0, NULL, 0, &trap));
  /* wasi-libc may end a successful main with proc_exit(0) or a return */
  if (trap) {
    ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_EXIT);
    ASSERT_EQ(baton_trap_exit_status(trap), 0);
    baton_trap_delete(trap);
  }
  ASSERT_STREQ(cap.out, "argc=2\nargv[0]=wasi_cmd\nargv[1]=ok\nGREETING=(unset)\n");
  baton_instance_delete(inst);
}

/* ---- proc_exit ---- */

TEST(proc_exit_status) {
  capture_t cap;
  cap_reset(&cap);
  baton_instance_t *inst = make(g_io, &cap);
  baton_trap_t *trap = call_trap(inst, "exit_with", 1, 0, 1);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_EXIT);
  ASSERT_EQ(baton_trap_exit_status(trap), 0);
  ASSERT_STREQ(baton_trap_export(trap), "exit_with");
  baton_trap_delete(trap);
  ASSERT_STREQ(cap.out, "bye 0"); /* exit() flushed stdio first */
  /* an exited instance is poisoned */
  trap = call_trap(inst, "print_hello", 0, 0, 1);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_POISONED);
  baton_trap_delete(trap);
  ASSERT_STREQ(cap.out, "bye 0");
  baton_instance_delete(inst);

  cap_reset(&cap);
  inst = make(g_io, &cap);
  trap = call_trap(inst, "exit_with", 1, 3, 1);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_EXIT);
  ASSERT_EQ(baton_trap_exit_status(trap), 3);
  ASSERT_CONTAINS(baton_trap_message(trap), "guest exited with status 3");
  baton_trap_delete(trap);
  ASSERT_STREQ(cap.out, "bye 3");
  baton_instance_delete(inst);

  inst = make(g_io, &cap);
  trap = call_trap(inst, "raw_exit", 1, 255, 1);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_EXIT);
  ASSERT_EQ(baton_trap_exit_status(trap), 255);
  baton_trap_delete(trap);
  baton_instance_delete(inst);
}

/* ---- clocks and random ---- */

TEST(clocks) {
  baton_instance_t *inst = make(g_io, NULL);
  /* the guest reads the same clocks as the host: bracket its readings */
  uint64_t h0 = host_ns(CLOCK_MONOTONIC);
  int64_t m1 = call_i64(inst, "clock_ns", 1);
  uint64_t h1 = host_ns(CLOCK_MONOTONIC);
  ASSERT_TRUE((uint64_t)m1 >= h0 && (uint64_t)m1 <= h1);
  usleep(20000);
  int64_t m2 = call_i64(inst, "clock_ns", 1);
  ASSERT_TRUE(m2 - m1 >= 20000000);
  ASSERT_TRUE(m2 - m1 < 5000000000LL);
  ASSERT_TRUE(call_i64(inst, "mono_busy", 1000) >= 0);

  uint64_t r0 = host_ns(CLOCK_REALTIME);
  int64_t rt = call_i64(inst, "clock_ns", 0);
  uint64_t r1 = host_ns(CLOCK_REALTIME);
  ASSERT_TRUE((uint64_t)rt >= r0 && (uint64_t)rt <= r1);
  ASSERT_TRUE(rt > 1600000000LL * 1000000000LL); /* after 2020 */
  baton_instance_delete(inst);
}

TEST(random_fills_bytes) {
  baton_instance_t *inst = make(g_io, NULL);
  int32_t addr = call_i32(inst, "random_fill", 0, 0);
  ASSERT_TRUE(addr > 0);
  size_t size;
  uint8_t *mem = baton_instance_memory(inst, &size);
  ASSERT_NOT_NULL(mem);
  ASSERT_TRUE((size_t)addr + 256 <= size);
  uint8_t first[256];
  memcpy(first, mem + addr, 256);
  int zeros = 0;
  for (int i = 0; i < 256; i++) zeros += first[i] == 0;
  ASSERT_TRUE(zeros < 16); /* ~1 expected; all-zero means nothing was filled */
  ASSERT_EQ(call_i32(inst, "random_fill", 0, 0), addr);
  mem = baton_instance_memory(inst, &size);
  ASSERT_TRUE(memcmp(first, mem + addr, 256) != 0);
  int same = 0;
  for (int i = 0; i < 256; i++) same += first[i] == mem[addr + i];
  ASSERT_TRUE(same < 32);
  baton_instance_delete(inst);
}

/* ---- no filesystem, stdin ---- */

TEST(no_filesystem) {
  capture_t cap;
  cap_reset(&cap);
  baton_instance_t *inst = make(g_io, &cap);
  int32_t e = call_i32(inst, "open_passwd", 0, 0);
  /* no preopen matches: wasi-libc reports ENOTCAPABLE (76) or ENOENT (44) */
  ASSERT_TRUE(e == 76 || e == 44);
  char want[64];
  snprintf(want, sizeof want, "fopen=NULL errno=%d\n", e);
  ASSERT_STREQ(cap.out, want);
  /* path_open on the would-be preopen fd: not capable */
  ASSERT_EQ(call_i32(inst, "raw_path_open", 0, 0), 76);
  baton_instance_delete(inst);
}

/* Runs read_stdin with the host's fd 0 replaced by a pipe holding text. */
static int32_t read_stdin_from_pipe(int inherit, const char *text, capture_t *cap) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_EQ(write(p[1], text, strlen(text)), (long long)strlen(text));
  close(p[1]);
  int saved = dup(0);
  ASSERT_TRUE(saved >= 0);
  dup2(p[0], 0);
  close(p[0]);
  baton_wasi_config_t wc = {.inherit_stdin = inherit};
  baton_instance_t *inst = make_ex(g_io, &wc, NULL, 0, cap);
  int32_t n = call_i32(inst, "read_stdin", 0, 0);
  baton_instance_delete(inst);
  dup2(saved, 0);
  close(saved);
  return n;
}

TEST(stdin_eof_unless_inherited) {
  capture_t cap;
  cap_reset(&cap);
  /* not inherited: immediate EOF even though the host's stdin has data */
  ASSERT_EQ(read_stdin_from_pipe(0, "piped\n", &cap), -1);
  ASSERT_STREQ(cap.out, "");
  /* inherited: the guest reads the host's stdin */
  cap_reset(&cap);
  ASSERT_EQ(read_stdin_from_pipe(1, "piped\n", &cap), 6);
  ASSERT_STREQ(cap.out, "read:piped\n");
}

/* ---- sleeping ---- */

TEST(sleep_via_poll_oneoff) {
  baton_instance_t *inst = make(g_io, NULL);
  uint64_t t0 = host_ns(CLOCK_MONOTONIC);
  int32_t ms = call_i32(inst, "sleep_ms", 1, 30);
  uint64_t t1 = host_ns(CLOCK_MONOTONIC);
  ASSERT_TRUE(ms >= 30 && ms < 1000);
  ASSERT_TRUE(t1 - t0 >= 30000000u);
  ms = call_i32(inst, "sleep_ms", 1, -20); /* usleep */
  ASSERT_TRUE(ms >= 20 && ms < 1000);
  ASSERT_EQ(call_i32(inst, "sleep_ms", 1, 0), 0);
  baton_instance_delete(inst);
}

TEST(deadline_interrupts_sleep) {
  baton_instance_t *inst = make_ex(g_io, NULL, NULL, 100, NULL);
  uint64_t t0 = host_ns(CLOCK_MONOTONIC);
  baton_trap_t *trap = call_trap(inst, "sleep_ms", 1, 5000, 1);
  uint64_t t1 = host_ns(CLOCK_MONOTONIC);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_TIMEOUT);
  baton_trap_delete(trap);
  ASSERT_TRUE(t1 - t0 >= 90000000u);
  ASSERT_TRUE(t1 - t0 < 2000000000u);
  baton_instance_delete(inst);
}

/* ---- deadlines cover blocking host calls ---- */

/* A helper thread that runs act(arg) unless stopped within ms: a wait the
 * old code never ended is then ended by act, and the test fails on what the
 * guest saw instead of hanging. */
typedef struct {
  int stop[2];
  int ms;
  void (*act)(void *);
  void *arg;
  pthread_t th;
} watchdog_t;

static void *watchdog_main(void *p) {
  watchdog_t *w = p;
  struct pollfd pf = {.fd = w->stop[0], .events = POLLIN};
  if (poll(&pf, 1, w->ms) == 0) w->act(w->arg);
  return NULL;
}

static void watchdog_start(watchdog_t *w, int ms, void (*act)(void *), void *arg) {
  w->ms = ms;
  w->act = act;
  w->arg = arg;
  ASSERT_EQ(pipe(w->stop), 0);
  ASSERT_EQ(pthread_create(&w->th, NULL, watchdog_main, w), 0);
}

static void watchdog_stop(watchdog_t *w) {
  ASSERT_EQ(write(w->stop[1], "x", 1), 1);
  pthread_join(w->th, NULL);
  close(w->stop[0]);
  close(w->stop[1]);
}

static void write_late(void *arg) {
  if (write(*(int *)arg, "late\n", 5) != 5) perror("watchdog write");
}

/* fd_read on a stdin that stays open and never gets data: the 500 ms
 * deadline ends the call (before: read() waited until data came). */
TEST(deadline_ends_stdin_read) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  int saved = dup(0);
  ASSERT_TRUE(saved >= 0);
  dup2(p[0], 0);
  close(p[0]);
  capture_t cap;
  cap_reset(&cap);
  baton_wasi_config_t wc = {.inherit_stdin = 1};
  baton_instance_t *inst = make_ex(g_io, &wc, NULL, 500, &cap);
  watchdog_t wd;
  watchdog_start(&wd, 3000, write_late, &p[1]);
  uint64_t t0 = host_ns(CLOCK_MONOTONIC);
  baton_val_t r = {0};
  baton_trap_t *trap = NULL;
  ASSERT_OK(baton_instance_call(inst, "read_stdin", NULL, 0, &r, 1, &trap));
  uint64_t t1 = host_ns(CLOCK_MONOTONIC);
  watchdog_stop(&wd);
  if (!trap) fprintf(stderr, "read_stdin returned %d after %llu ms\n", r.of.i32,
                     (unsigned long long)((t1 - t0) / 1000000));
  ASSERT_NOT_NULL(trap);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_TIMEOUT);
  ASSERT_TRUE(strstr(baton_trap_message(trap), "deadline exceeded") != NULL);
  baton_trap_delete(trap);
  ASSERT_TRUE(t1 - t0 <= 1500000000u); /* 500 ms + slack for a loaded machine */
  baton_instance_delete(inst);
  dup2(saved, 0);
  close(saved);
  close(p[1]);
}

TEST(poll_oneoff_reports_expired_clocks_only) {
  baton_instance_t *inst = make(g_poll, NULL);
  uint64_t t0 = host_ns(CLOCK_MONOTONIC);
  ASSERT_EQ(call_i32(inst, "two_clocks", 0, 0), 0);
  uint64_t t1 = host_ns(CLOCK_MONOTONIC);
  ASSERT_TRUE(t1 - t0 >= 20000000u && t1 - t0 < 5000000000u);
  ASSERT_EQ(call_i32(inst, "nevents", 0, 0), 1); /* the 10 s clock has not fired */
  ASSERT_EQ(call_i64(inst, "ev_userdata", 0), 222);
  ASSERT_EQ(call_i32(inst, "ev_type", 1, 0), 0);
  ASSERT_EQ(call_i32(inst, "ev_error", 1, 0), 0);

  ASSERT_EQ(call_i32(inst, "same_clocks", 0, 0), 0);
  ASSERT_EQ(call_i32(inst, "nevents", 0, 0), 2);
  ASSERT_EQ(call_i64(inst, "ev_userdata", 0), 1);
  ASSERT_EQ(call_i64(inst, "ev_userdata", 1), 2);

  t0 = host_ns(CLOCK_MONOTONIC);
  ASSERT_EQ(call_i32(inst, "past_absolute", 0, 0), 0);
  ASSERT_EQ(call_i32(inst, "nevents", 0, 0), 1);
  ASSERT_EQ(call_i64(inst, "ev_userdata", 0), 7);

  /* stdio is always ready: the 10 s clock neither sleeps nor fires */
  ASSERT_EQ(call_i32(inst, "clock_and_stdin", 0, 0), 0);
  t1 = host_ns(CLOCK_MONOTONIC);
  ASSERT_TRUE(t1 - t0 < 1000000000u);
  ASSERT_EQ(call_i32(inst, "nevents", 0, 0), 1);
  ASSERT_EQ(call_i64(inst, "ev_userdata", 0), 444);
  ASSERT_EQ(call_i32(inst, "ev_type", 1, 0), 1);
  ASSERT_EQ(call_i32(inst, "ev_error", 1, 0), 0);

  ASSERT_EQ(call_i32(inst, "bad_fd", 0, 0), 0);
  ASSERT_EQ(call_i32(inst, "nevents", 0, 0), 1);
  ASSERT_EQ(call_i64(inst, "ev_userdata", 0), 555);
  ASSERT_EQ(call_i32(inst, "ev_type", 1, 0), 2);
  ASSERT_EQ(call_i32(inst, "ev_error", 1, 0), 8); /* EBADF */

  ASSERT_EQ(call_i32(inst, "bad_clock", 0, 0), 28); /* EINVAL */
  ASSERT_EQ(call_i32(inst, "no_subs", 0, 0), 28);
  ASSERT_EQ(call_i32(inst, "bad_events", 0, 0), 21); /* EFAULT */
  baton_instance_delete(inst);
}

/* ---- bad guest pointers ---- */

TEST(bad_pointers_get_efault) {
  capture_t cap;
  cap_reset(&cap);
  baton_wasi_config_t wc = {.inherit_stdin = 1};
  baton_instance_t *inst = make_ex(g_bad, &wc, NULL, 0, &cap);
  const char *bad[] = {"bad_iovec", "bad_count", "bad_buf", "bad_second", "bad_nwritten",
                       "bad_random", "bad_clock", "bad_args", "bad_read"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int32_t e = call_i32(inst, bad[i], 0, 0);
    if (e != 21) fprintf(stderr, "%s returned %d\n", bad[i], e);
    ASSERT_EQ(e, 21); /* EFAULT */
  }
  /* a failed write writes nothing, not even its good leading iovecs */
  ASSERT_STREQ(cap.out, "");
  ASSERT_EQ(cap.calls, 0);
  /* the instance is still usable */
  ASSERT_EQ(call_i32(inst, "good", 0, 0), 0);
  ASSERT_STREQ(cap.out, "ok\n");
  ASSERT_EQ(call_i32(inst, "nwritten", 0, 0), 3);
  baton_instance_delete(inst);
}

/* ---- filesystem grants (tests/guests/wasi_files.c) ---- */

static char g_tmp[256];

static void write_host(const char *rel, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", g_tmp, rel);
  FILE *f = fopen(p, "w");
  ASSERT_NOT_NULL(f);
  fputs(text, f);
  fclose(f);
}

/* The host file's contents ("" when it is missing: *exists says which). */
static const char *read_host(const char *rel, int *exists) {
  static char buf[512];
  char p[512];
  snprintf(p, sizeof p, "%s/%s", g_tmp, rel);
  buf[0] = 0;
  FILE *f = fopen(p, "r");
  if (exists) *exists = f != NULL;
  if (!f) return buf;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

static int host_exists(const char *rel) {
  char p[512];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", g_tmp, rel);
  return lstat(p, &st) == 0;
}

/* tmp/{outside.txt, secret/secret.txt, data/{in.txt, link -> ../secret,
 * link_abs -> tmp/secret, link_file -> ../outside.txt}} */
static void fs_setup(void) {
  char p[512], q[512];
  snprintf(g_tmp, sizeof g_tmp, "/tmp/baton-wasi-fs-XXXXXX");
  ASSERT_NOT_NULL(mkdtemp(g_tmp));
  snprintf(p, sizeof p, "%s/data", g_tmp);
  ASSERT_EQ(mkdir(p, 0755), 0);
  snprintf(p, sizeof p, "%s/secret", g_tmp);
  ASSERT_EQ(mkdir(p, 0755), 0);
  write_host("outside.txt", "outside secret\n");
  write_host("secret/secret.txt", "inner secret\n");
  write_host("data/in.txt", "hello from host\n");
  snprintf(p, sizeof p, "%s/data/link", g_tmp);
  ASSERT_EQ(symlink("../secret", p), 0);
  snprintf(p, sizeof p, "%s/data/link_abs", g_tmp);
  snprintf(q, sizeof q, "%s/secret", g_tmp);
  ASSERT_EQ(symlink(q, p), 0);
  snprintf(p, sizeof p, "%s/data/link_file", g_tmp);
  ASSERT_EQ(symlink("../outside.txt", p), 0);
}

static void fs_teardown(void) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
  if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", g_tmp);
}

static baton_instance_t *make_fs(int read_only, capture_t *cap) {
  char host[512];
  snprintf(host, sizeof host, "%s/data", g_tmp);
  baton_wasi_preopen_t po = {.host_path = host, .guest_path = "/data", .read_only = read_only};
  baton_wasi_config_t wc = {.preopens = &po, .npreopens = 1};
  baton_instance_t *inst = make_ex(g_files, &wc, NULL, 0, cap);
  memset(host, 0, sizeof host); /* the config was copied */
  return inst;
}

static int count_fds(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

TEST(fs_denied_without_grant) {
  capture_t cap;
  cap_reset(&cap);
  fs_setup();
  baton_instance_t *inst = make(g_files, &cap);
  int32_t e = call_i32(inst, "read_file", 0, 0);
  ASSERT_TRUE(e == 76 || e == 44); /* ENOTCAPABLE or ENOENT */
  ASSERT_TRUE(call_i32(inst, "write_file", 0, 0) != 0);
  ASSERT_TRUE(call_i32(inst, "list_dir", 0, 0) != 0);
  ASSERT_TRUE(call_i32(inst, "mkdir_only", 0, 0) != 0);
  ASSERT_STREQ(cap.out, "");
  ASSERT_FALSE(host_exists("data/out.txt"));
  ASSERT_FALSE(host_exists("data/sub"));
  baton_instance_delete(inst);
  fs_teardown();
}

TEST(fs_grant_read_write) {
  capture_t cap;
  cap_reset(&cap);
  fs_setup();
  int fds0 = count_fds();
  baton_instance_t *inst = make_fs(0, &cap);
  ASSERT_EQ(call_i32(inst, "read_file", 0, 0), 0);
  ASSERT_STREQ(cap.out, "read:hello from host\n");
  ASSERT_EQ(call_i32(inst, "file_size", 0, 0), 16);
  ASSERT_EQ(call_i32(inst, "seek_tell", 0, 0), 'f');
  ASSERT_EQ(call_i32(inst, "write_file", 0, 0), 0);
  ASSERT_STREQ(read_host("data/out.txt", NULL), "written by guest\n");
  ASSERT_EQ(call_i32(inst, "append_file", 0, 0), 0);
  ASSERT_STREQ(read_host("data/out.txt", NULL), "written by guest\nappended\n");
  ASSERT_EQ(call_i32(inst, "write_file", 0, 0), 0); /* truncates */
  ASSERT_STREQ(read_host("data/out.txt", NULL), "written by guest\n");
  ASSERT_EQ(call_i32(inst, "create_excl", 0, 0), 0);
  ASSERT_STREQ(read_host("data/new.txt", NULL), "new\n");
  ASSERT_EQ(call_i32(inst, "mkdir_unlink", 0, 0), 0);
  ASSERT_TRUE(host_exists("data/sub"));
  ASSERT_FALSE(host_exists("data/sub/f.txt"));
  cap_reset(&cap);
  ASSERT_EQ(call_i32(inst, "list_dir", 0, 0), 0);
  const char *names[] = {"in.txt\n", "out.txt\n", "new.txt\n", "sub\n", "link\n", "link_file\n"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) ASSERT_NOT_NULL(strstr(cap.out, names[i]));
  ASSERT_EQ(call_i32(inst, "unlink_in", 0, 0), 0);
  ASSERT_FALSE(host_exists("data/in.txt"));
  baton_instance_delete(inst);
  /* every host fd the instance held is closed */
  ASSERT_EQ(count_fds(), fds0);
  fs_teardown();
}

TEST(fs_grant_read_only) {
  capture_t cap;
  cap_reset(&cap);
  fs_setup();
  write_host("data/out.txt", "host text\n");
  baton_instance_t *inst = make_fs(1, &cap);
  ASSERT_EQ(call_i32(inst, "read_file", 0, 0), 0);
  ASSERT_STREQ(cap.out, "read:hello from host\n");
  ASSERT_EQ(call_i32(inst, "file_size", 0, 0), 16);
  ASSERT_EQ(call_i32(inst, "list_dir", 0, 0), 0);
  ASSERT_EQ(call_i32(inst, "write_file", 0, 0), 76); /* ENOTCAPABLE */
  ASSERT_EQ(call_i32(inst, "append_file", 0, 0), 76);
  ASSERT_EQ(call_i32(inst, "create_excl", 0, 0), 76);
  ASSERT_EQ(call_i32(inst, "mkdir_only", 0, 0), 76);
  ASSERT_EQ(call_i32(inst, "unlink_in", 0, 0), 76);
  ASSERT_STREQ(read_host("data/out.txt", NULL), "host text\n"); /* not truncated */
  ASSERT_FALSE(host_exists("data/new.txt"));
  ASSERT_FALSE(host_exists("data/sub"));
  ASSERT_TRUE(host_exists("data/in.txt"));
  baton_instance_delete(inst);
  fs_teardown();
}

TEST(fs_escapes_fail) {
  capture_t cap;
  cap_reset(&cap);
  fs_setup();
  baton_instance_t *inst = make_fs(0, &cap);
  int n = 0;
  for (int i = 0;; i++) {
    int32_t e = call_i32(inst, "escape", 1, i);
    if (e == -1) break;
    if (e == 0) fprintf(stderr, "escape %d got out\n", i);
    ASSERT_TRUE(e != 0);
    n++;
  }
  ASSERT_EQ(n, 26);
  /* nothing outside was touched */
  int ex;
  ASSERT_STREQ(read_host("outside.txt", &ex), "outside secret\n");
  ASSERT_TRUE(ex);
  ASSERT_STREQ(read_host("secret/secret.txt", &ex), "inner secret\n");
  ASSERT_TRUE(ex);
  ASSERT_FALSE(host_exists("escaped.txt"));
  ASSERT_FALSE(host_exists("escdir"));
  ASSERT_FALSE(host_exists("secret/created.txt"));
  ASSERT_FALSE(host_exists("secret/escdir"));
  ASSERT_STREQ(cap.out, "");
  /* the grant still works after the attempts */
  ASSERT_EQ(call_i32(inst, "read_file", 0, 0), 0);
  baton_instance_delete(inst);
  fs_teardown();
}

TEST(fs_grant_errors) {
  baton_linker_t *l = NULL;
  ASSERT_OK(baton_linker_new(g_engine, &l));
  baton_wasi_preopen_t po = {.host_path = "/nonexistent/baton-dir", .guest_path = "/x"};
  baton_wasi_config_t wc = {.preopens = &po, .npreopens = 1};
  baton_error_t *err = baton_linker_define_wasi(l, &wc);
  ASSERT_NOT_NULL(err);
  baton_error_delete(err);
  baton_linker_delete(l);
  /* grant specs */
  baton_wasi_preopen_t p;
  ASSERT_EQ(baton_wasi_preopen_parse("static", "/srv/app", &p), 0);
  ASSERT_STREQ(p.host_path, "/srv/app/static");
  ASSERT_STREQ(p.guest_path, "static");
  ASSERT_EQ(p.read_only, 0);
  baton_wasi_preopen_release(&p);
  ASSERT_EQ(baton_wasi_preopen_parse("/abs/dir:/data:ro", "/srv/app", &p), 0);
  ASSERT_STREQ(p.host_path, "/abs/dir");
  ASSERT_STREQ(p.guest_path, "/data");
  ASSERT_EQ(p.read_only, 1);
  baton_wasi_preopen_release(&p);
  ASSERT_EQ(baton_wasi_preopen_parse("d:ro", NULL, &p), 0);
  ASSERT_STREQ(p.host_path, "d");
  ASSERT_STREQ(p.guest_path, "d");
  ASSERT_EQ(p.read_only, 1);
  baton_wasi_preopen_release(&p);
  ASSERT_EQ(baton_wasi_preopen_parse(":x", NULL, &p), -1);
  ASSERT_EQ(baton_wasi_preopen_parse("x:", NULL, &p), -1);
  ASSERT_EQ(baton_wasi_preopen_parse("", NULL, &p), -1);
}

/* Opens the FIFO for writing without blocking (a reader waiting in open()
 * counts) and writes to it. */
static void fifo_write_late(void *arg) {
  int fd = open((const char *)arg, O_WRONLY | O_NONBLOCK);
  if (fd < 0) return;
  if (write(fd, "late", 4) != 4) perror("watchdog fifo write");
  close(fd);
}

static void *fifo_writer_main(void *arg) {
  usleep(100 * 1000);
  int fd = open((const char *)arg, O_WRONLY);
  if (fd >= 0) {
    if (write(fd, "piped", 5) != 5) perror("fifo writer");
    close(fd);
  }
  return NULL;
}

/* A FIFO inside a grant: opening it never blocks the host, a read with no
 * writer ends at the call's deadline (before: open() waited forever for a
 * writer), and a read without a deadline waits for the writer's data. */
TEST(fs_fifo_read_under_deadline) {
  fs_setup();
  char fifo[512];
  snprintf(fifo, sizeof fifo, "%s/data/fifo", g_tmp);
  ASSERT_EQ(mkfifo(fifo, 0600), 0);
  char host[512];
  snprintf(host, sizeof host, "%s/data", g_tmp);
  baton_wasi_preopen_t po = {.host_path = host, .guest_path = "/data"};
  baton_wasi_config_t wc = {.preopens = &po, .npreopens = 1};
  capture_t cap;
  cap_reset(&cap);
  baton_instance_t *inst = make_ex(g_files, &wc, NULL, 500, &cap);
  watchdog_t wd;
  watchdog_start(&wd, 3000, fifo_write_late, fifo);
  uint64_t t0 = host_ns(CLOCK_MONOTONIC);
  baton_val_t r = {0};
  baton_trap_t *trap = NULL;
  ASSERT_OK(baton_instance_call(inst, "read_fifo", NULL, 0, &r, 1, &trap));
  uint64_t t1 = host_ns(CLOCK_MONOTONIC);
  watchdog_stop(&wd);
  if (!trap) fprintf(stderr, "read_fifo returned %d after %llu ms\n", r.of.i32,
                     (unsigned long long)((t1 - t0) / 1000000));
  ASSERT_NOT_NULL(trap);
  ASSERT_EQ(baton_trap_kind(trap), BATON_TRAP_TIMEOUT);
  baton_trap_delete(trap);
  ASSERT_TRUE(t1 - t0 <= 1500000000u); /* 500 ms + slack for a loaded machine */
  baton_instance_delete(inst);

  /* no deadline: the read waits for the writer (the fd is non-blocking on
   * the host, the wait is a poll) */
  cap_reset(&cap);
  inst = make_ex(g_files, &wc, NULL, 0, &cap);
  pthread_t th;
  ASSERT_EQ(pthread_create(&th, NULL, fifo_writer_main, fifo), 0);
  ASSERT_EQ(call_i32(inst, "read_fifo", 0, 0), 5);
  pthread_join(th, NULL);
  ASSERT_STREQ(cap.out, "fifo:piped");
  baton_instance_delete(inst);
  fs_teardown();
}

int main(void) {
  baton_config_t *cfg = baton_config_new();
  if (!cfg || baton_engine_new(cfg, &g_engine)) {
    fprintf(stderr, "cannot create engine\n");
    return 1;
  }
  g_io = load("wasi_io.wasm");
  g_cmd = load("wasi_cmd.wasm");
  g_bad = load("wasi_badptr.wasm");
  g_poll = load("wasi_poll.wasm");
  g_files = load("wasi_files.wasm");
  if (!g_io || !g_cmd || !g_bad || !g_poll || !g_files) return 1;
  RUN(stdout_and_stderr_captured_exactly);
  RUN(stdout_buffered_until_flush);
  RUN(discard_output);
  RUN(prefix_lines_across_partial_writes);
  RUN(prefix_lines_per_instance_and_default_name);
  RUN(argv_seen_by_guest);
  RUN(environ_seen_by_guest);
  RUN(config_strings_are_copied);
  RUN(command_start_main_returns_7);
  RUN(command_start_main_returns_0);
  RUN(proc_exit_status);
  RUN(clocks);
  RUN(random_fills_bytes);
  RUN(no_filesystem);
  RUN(stdin_eof_unless_inherited);
  RUN(sleep_via_poll_oneoff);
  RUN(deadline_interrupts_sleep);
  RUN(deadline_ends_stdin_read);
  RUN(poll_oneoff_reports_expired_clocks_only);
  RUN(bad_pointers_get_efault);
  RUN(fs_denied_without_grant);
  RUN(fs_grant_read_write);
  RUN(fs_grant_read_only);
  RUN(fs_escapes_fail);
  RUN(fs_grant_errors);
  RUN(fs_fifo_read_under_deadline);
  baton_module_delete(g_io);
  baton_module_delete(g_cmd);
  baton_module_delete(g_bad);
  baton_module_delete(g_poll);
  baton_module_delete(g_files);
  baton_engine_delete(g_engine);
  TEST_MAIN_END();
}
