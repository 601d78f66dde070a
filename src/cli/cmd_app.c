/*
 * src/cli/cmd_app.c: the application commands: `baton run` (a flow once, or
 * N times for a latency figure), `baton up` (the app's triggers: cli lines
 * from stdin, timers), `baton graph` (a flow as Graphviz DOT), `baton build`
 * (component build commands, then AOT compilation), and the app form of
 * `baton call -f FILE COMPONENT EXPORT ARGS...`. Step events are logged on
 * stderr, as text or with --json as one JSON object per line.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "app/internal.h"
#include "manifest/app.h"

typedef struct {
  bool json;
  pthread_mutex_t lock;
} log_ctx_t;

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

/* Prints one step event on stderr. */
static void log_event(void *env, const baton_app_event_t *ev) {
  log_ctx_t *lc = env;
  pthread_mutex_lock(&lc->lock);
  if (lc->json) {
    fprintf(stderr, "{\"flow\":");
    json_str(stderr, ev->flow);
    fprintf(stderr, ",\"step\":");
    json_str(stderr, ev->step);
    fprintf(stderr, ",\"event\":\"%s\",\"attempt\":%u,\"duration_us\":%.1f", ev->event, ev->attempt, ev->duration_us);
    if (ev->backoff_ms) fprintf(stderr, ",\"backoff_ms\":%llu", ev->backoff_ms);
    if (ev->message) {
      fprintf(stderr, ",\"message\":");
      json_str(stderr, ev->message);
    }
    fprintf(stderr, "}\n");
  } else if (strcmp(ev->event, "start") != 0) {
    fprintf(stderr, "[%s] %-10s %-18s attempt %u", ev->flow, ev->step, ev->event, ev->attempt);
    if (ev->duration_us > 0) fprintf(stderr, "  %.0f us", ev->duration_us);
    if (ev->backoff_ms) fprintf(stderr, "  backoff %llu ms", ev->backoff_ms);
    if (ev->message) fprintf(stderr, "  %s", ev->message);
    fprintf(stderr, "\n");
  }
  pthread_mutex_unlock(&lc->lock);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Loads the app named by -f (or the default manifest). */
static int load_app(const char *file, bool quiet, log_ctx_t *lc, baton_engine_t **engine, baton_app_t **app) {
  *app = NULL;
  baton_error_t *err = baton_engine_new(NULL, engine);
  baton_app_options_t opts = {.logger = quiet ? NULL : log_event, .logger_env = lc, .prefix_output = true};
  if (!err) err = baton_app_load(*engine, file, &opts, app);
  if (err) return cli_fail(err);
  return BT_EXIT_OK;
}

/* Prints a run's outcome; returns the exit code. */
static int report(const baton_run_result_t *r, const char *flow) {
  if (r->failed) {
    fprintf(stderr, "baton: flow `%s` failed at step `%s` (attempt %u): %s\n", flow, r->failed_step ? r->failed_step : "?",
            r->attempt, r->message ? r->message : "");
    if (r->compensated) fprintf(stderr, "baton: ran %zu compensation%s\n", r->compensated, r->compensated == 1 ? "" : "s");
    return BT_EXIT_GUEST;
  }
  if (r->output) printf("%s\n", r->output);
  fflush(stdout);
  return BT_EXIT_OK;
}

int cmd_run(int argc, char **argv) {
  cli_opt_t opts[] = {{"file", 'f', true, NULL},  {"input", 0, true, NULL}, {"input-json", 0, true, NULL},
                      {"repeat", 0, true, NULL}, {"json", 0, false, NULL}, {"quiet", 'q', false, NULL}};
  size_t no = BT_ARRAY_LEN(opts);
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = pos ? cli_parse(argc, argv, opts, no, pos) : -1;
  if (npos < 0 || npos > 1) {
    if (npos > 1) fprintf(stderr, "usage: baton run [-f FILE] [FLOW] [--input WAVE | --input-json JSON] [--repeat N] [--json]\n");
    free(pos);
    return BT_EXIT_USAGE;
  }
  const char *flow = npos ? pos[0] : NULL;
  const char *input = cli_get(opts, no, "input"), *input_json = cli_get(opts, no, "input-json");
  bool json = cli_get(opts, no, "json") != NULL;
  uint64_t repeat = 1;
  const char *v = cli_get(opts, no, "repeat");
  if (input && input_json) {
    fprintf(stderr, "baton: give --input or --input-json, not both\n");
    free(pos);
    return BT_EXIT_USAGE;
  }
  if (v && (!cli_parse_size(v, &repeat) || !repeat)) {
    fprintf(stderr, "baton: --repeat expects a positive count, got `%s`\n", v);
    free(pos);
    return BT_EXIT_USAGE;
  }
  log_ctx_t lc = {.json = json, .lock = PTHREAD_MUTEX_INITIALIZER};
  baton_engine_t *engine = NULL;
  baton_app_t *app = NULL;
  int rc = load_app(cli_get(opts, no, "file"), cli_get(opts, no, "quiet") || repeat > 1, &lc, &engine, &app);
  if (rc) {
    baton_engine_delete(engine);
    free(pos);
    return rc;
  }
  /* The input is read as given (--input WAVE, --input-json JSON; the
   * manifest's default_input is WAVE); the result is printed as JSON with
   * --json or --input-json, else as WAVE. */
  baton_format_t fmt = input_json ? BATON_FORMAT_JSON : BATON_FORMAT_WAVE;
  baton_format_t out_fmt = input_json || json ? BATON_FORMAT_JSON : BATON_FORMAT_WAVE;
  double *times = calloc(repeat, sizeof *times);
  baton_run_result_t res = {0};
  baton_error_t *err = NULL;
  for (uint64_t i = 0; i < repeat && !err; i++) {
    baton_run_result_clear(&res);
    double t0 = now_us();
    err = bt_app_run_fmt(app, flow, input_json ? input_json : input, fmt, out_fmt, &res);
    if (times) times[i] = now_us() - t0;
    if (res.failed) break;
  }
  if (err) {
    rc = cli_fail(err);
  } else {
    rc = report(&res, flow ? flow : baton_app_flow_name(app, 0));
    if (repeat > 1 && !res.failed && times) {
      qsort(times, repeat, sizeof *times, cmp_double);
      double median = repeat % 2 ? times[repeat / 2] : (times[repeat / 2 - 1] + times[repeat / 2]) / 2;
      fprintf(stderr, "%llu runs, median %.2f us per flow run\n", (unsigned long long)repeat, median);
    }
  }
  baton_run_result_clear(&res);
  free(times);
  baton_app_delete(app);
  baton_engine_delete(engine);
  free(pos);
  return rc;
}

int cmd_graph(int argc, char **argv) {
  cli_opt_t opts[] = {{"file", 'f', true, NULL}};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = pos ? cli_parse(argc, argv, opts, 1, pos) : -1;
  if (npos < 0 || npos > 1) {
    if (npos > 1) fprintf(stderr, "usage: baton graph [-f FILE] [FLOW]\n");
    free(pos);
    return BT_EXIT_USAGE;
  }
  log_ctx_t lc = {.lock = PTHREAD_MUTEX_INITIALIZER};
  baton_engine_t *engine = NULL;
  baton_app_t *app = NULL;
  int rc = load_app(cli_get(opts, 1, "file"), true, &lc, &engine, &app);
  if (!rc) {
    baton_error_t *err = baton_app_graph(app, npos ? pos[0] : NULL, stdout);
    if (err) rc = cli_fail(err);
  }
  baton_app_delete(app);
  baton_engine_delete(engine);
  free(pos);
  return rc;
}

/* `baton call -f FILE COMPONENT EXPORT ARGS...` */
int cmd_call_app(const char *file, int npos, char **pos, bool json) {
  if (npos < 2) {
    fprintf(stderr, "usage: baton call -f FILE COMPONENT EXPORT [ARGS...] [--json]\n");
    return BT_EXIT_USAGE;
  }
  log_ctx_t lc = {.lock = PTHREAD_MUTEX_INITIALIZER};
  baton_engine_t *engine = NULL;
  baton_app_t *app = NULL;
  int rc = load_app(file, true, &lc, &engine, &app);
  if (!rc) {
    char *result = NULL;
    baton_trap_t *trap = NULL;
    baton_error_t *err = baton_app_call_text(app, pos[0], pos[1], (const char *const *)pos + 2, (size_t)npos - 2,
                                             json ? BATON_FORMAT_JSON : BATON_FORMAT_WAVE, &result, &trap);
    if (err) {
      rc = cli_fail(err);
    } else if (trap) {
      fprintf(stderr, "trap: %s\n", baton_trap_message(trap));
      baton_trap_delete(trap);
      rc = BT_EXIT_GUEST;
    } else if (result) {
      printf("%s\n", result);
    }
    free(result);
  }
  baton_app_delete(app);
  baton_engine_delete(engine);
  return rc;
}

/* ---- up ---- */

/* SIGINT and SIGTERM set g_stop and write a byte to the wake pipe, so a
 * main thread waiting in poll (for stdin or for the end) wakes at once.
 * The handlers are installed with sigaction without SA_RESTART, and the
 * trigger threads block both signals so that they reach the main thread. */
static volatile sig_atomic_t g_stop;
static int g_wake[2] = {-1, -1};

static void on_stop(int sig) {
  (void)sig;
  int saved = errno;
  g_stop = 1;
  if (g_wake[1] >= 0 && write(g_wake[1], "x", 1) < 0) {
    /* the pipe is full: a wake-up is already pending */
  }
  errno = saved;
}

/* Creates the wake pipe and installs on_stop for SIGINT and SIGTERM (the
 * previous actions go to old[0..1]). Returns false with errno set. */
static bool stop_handlers_install(struct sigaction old[2]) {
  if (pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: a blocked read or poll returns EINTR */
  return sigaction(SIGINT, &sa, &old[0]) == 0 && sigaction(SIGTERM, &sa, &old[1]) == 0;
}

static void stop_handlers_remove(const struct sigaction old[2]) {
  sigaction(SIGINT, &old[0], NULL);
  sigaction(SIGTERM, &old[1], NULL);
  for (int i = 0; i < 2; i++) {
    if (g_wake[i] >= 0) close(g_wake[i]);
    g_wake[i] = -1;
  }
}

/* Milliseconds until the --duration ends (-1: no duration, wait as long as
 * it takes; 0: over). */
static int ms_left(uint64_t duration, double t0) {
  if (!duration) return -1;
  double left = (double)duration * 1000 - (now_us() - t0);
  if (left <= 0) return 0;
  return left > 1e9 ? 1000000 : (int)(left / 1000) + 1;
}

/* Waits until a stop signal or the end of the duration (with neither, for
 * ever). */
static void wait_for_stop(uint64_t duration, double t0) {
  while (!g_stop) {
    int ms = ms_left(duration, t0);
    if (ms == 0) return;
    struct pollfd p = {.fd = g_wake[0], .events = POLLIN};
    poll(&p, 1, ms);
  }
}

typedef struct {
  baton_app_t *app;
  const char *flow;
  const char *input;
  uint64_t interval_ms;
  int failures;
  pthread_mutex_t *out_lock;
} timer_t_;

static void *timer_main(void *p) {
  timer_t_ *t = p;
  while (!g_stop) {
    baton_run_result_t r;
    baton_error_t *err = baton_app_run(t->app, t->flow, t->input, BATON_FORMAT_WAVE, &r);
    pthread_mutex_lock(t->out_lock);
    if (err) {
      fprintf(stderr, "baton: %s\n", baton_error_message(err));
      baton_error_delete(err);
      t->failures++;
    } else {
      if (report(&r, t->flow ? t->flow : "pipeline")) t->failures++;
      baton_run_result_clear(&r);
    }
    pthread_mutex_unlock(t->out_lock);
    for (uint64_t waited = 0; waited < t->interval_ms && !g_stop; waited += 10) usleep(10000);
  }
  return NULL;
}

/* The state of `baton up`. */
typedef struct {
  baton_app_t *app;
  log_ctx_t *lc;
  pthread_mutex_t out_lock;
  const char *cli_flow;
  timer_t_ *timers;
  pthread_t *threads;
  size_t ntimers;
  int failures;
  bool stdin_closed; /* fd 0 was not open when `up` started */
} up_t;

/* Starts one thread per timer trigger of m, with SIGINT and SIGTERM
 * blocked in them. Returns false (after a message naming the trigger) when
 * a thread cannot be created; the ones started keep running until g_stop. */
static bool start_timers(up_t *u, const bt_app_t *m) {
  size_t n = 0;
  for (size_t i = 0; i < m->ntriggers; i++) n += m->triggers[i].kind == BT_APP_TRIGGER_TIMER;
  if (!n) return true;
  u->timers = calloc(n, sizeof *u->timers);
  u->threads = calloc(n, sizeof *u->threads);
  if (!u->timers || !u->threads) {
    fprintf(stderr, "baton: out of memory starting %zu timer triggers\n", n);
    return false;
  }
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  bool ok = true;
  for (size_t i = 0; i < m->ntriggers && ok; i++) {
    const bt_app_trigger_t *t = &m->triggers[i];
    if (t->kind != BT_APP_TRIGGER_TIMER) continue;
    timer_t_ *tm = &u->timers[u->ntimers];
    *tm = (timer_t_){u->app, t->flow.name, t->input.text, t->interval_ms ? t->interval_ms : 1000, 0, &u->out_lock};
    int e = pthread_create(&u->threads[u->ntimers], NULL, timer_main, tm);
    if (e) {
      fprintf(stderr, "baton: " BT_POS_FMT ": cannot start timer trigger %zu (flow `%s`): %s\n", BT_POS_ARGS(t->pos),
              u->ntimers + 1, t->flow.name ? t->flow.name : "pipeline", strerror(e));
      ok = false;
    } else {
      u->ntimers++;
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return ok;
}

/* Runs the cli flow on one line of input. */
static void run_line(up_t *u, char *line, size_t n) {
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
  if (n == 0) return;
  baton_run_result_t r;
  baton_error_t *err = baton_app_run(u->app, u->cli_flow, line, u->lc->json ? BATON_FORMAT_JSON : BATON_FORMAT_WAVE, &r);
  pthread_mutex_lock(&u->out_lock);
  if (err) {
    fprintf(stderr, "baton: %s\n", baton_error_message(err));
    baton_error_delete(err);
    u->failures++;
  } else {
    if (report(&r, u->cli_flow ? u->cli_flow : baton_app_flow_name(u->app, 0))) u->failures++;
    baton_run_result_clear(&r);
  }
  pthread_mutex_unlock(&u->out_lock);
}

/* The cli trigger: one flow run per line of stdin, read with poll on stdin
 * and the wake pipe so that a stop signal or the end of the duration ends
 * the wait at once (the run in progress finishes first). Returns true when
 * stdin ended, false on a stop or at the end of the duration. */
static bool cli_loop(up_t *u, uint64_t duration, double t0) {
  char *buf = NULL;
  size_t len = 0, cap = 0;
  bool eof = u->stdin_closed; /* then fd 0 may be anything, even the wake pipe */
  while (!g_stop && !eof) {
    int ms = ms_left(duration, t0);
    if (ms == 0) break;
    struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = g_wake[0], .events = POLLIN}};
    if (poll(p, 2, ms) <= 0 || p[1].revents) continue; /* EINTR, timeout or a stop: re-check */
    if (len + 4096 + 1 > cap) {
      size_t ncap = cap ? cap * 2 : 8192;
      char *nb = realloc(buf, ncap);
      if (!nb) break;
      buf = nb;
      cap = ncap;
    }
    ssize_t got = read(0, buf + len, cap - len - 1);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) {
      eof = true; /* end of input (or an unreadable stdin): the last line may lack its newline */
      got = 0;
    }
    len += (size_t)got;
    size_t start = 0;
    for (size_t i = 0; i < len && !g_stop; i++) {
      if (buf[i] != '\n' && !(eof && i == len - 1)) continue;
      char save = buf[i + 1];
      buf[i + 1] = 0;
      run_line(u, buf + start, i + 1 - start);
      buf[i + 1] = save;
      start = i + 1;
    }
    memmove(buf, buf + start, len - start);
    len -= start;
  }
  free(buf);
  return eof;
}

int cmd_up(int argc, char **argv) {
  cli_opt_t opts[] = {{"file", 'f', true, NULL}, {"json", 0, false, NULL}, {"duration", 0, true, NULL},
                      {"quiet", 'q', false, NULL}};
  size_t no = BT_ARRAY_LEN(opts);
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = pos ? cli_parse(argc, argv, opts, no, pos) : -1;
  free(pos);
  if (npos != 0) {
    if (npos > 0) fprintf(stderr, "usage: baton up [-f FILE] [--duration MS] [--json]\n");
    return BT_EXIT_USAGE;
  }
  uint64_t duration = 0;
  const char *d = cli_get(opts, no, "duration");
  if (d && !cli_parse_size(d, &duration)) {
    fprintf(stderr, "baton: --duration expects milliseconds, got `%s`\n", d);
    return BT_EXIT_USAGE;
  }
  bool stdin_closed = fcntl(0, F_GETFD) < 0;
  log_ctx_t lc = {.json = cli_get(opts, no, "json") != NULL, .lock = PTHREAD_MUTEX_INITIALIZER};
  baton_engine_t *engine = NULL;
  baton_app_t *app = NULL;
  int rc = load_app(cli_get(opts, no, "file"), cli_get(opts, no, "quiet") != NULL, &lc, &engine, &app);
  if (rc) {
    baton_engine_delete(engine);
    return rc;
  }
  /* Triggers come from the manifest; with none, a cli trigger on the
   * default flow. */
  bt_app_t *m = NULL;
  baton_error_t *err = bt_app_load(baton_app_path(app), &m);
  if (err) {
    baton_app_delete(app);
    baton_engine_delete(engine);
    return cli_fail(err);
  }
  struct sigaction old[2];
  memset(old, 0, sizeof old); /* SIG_DFL, should the installation fail half way */
  if (!stop_handlers_install(old)) {
    fprintf(stderr, "baton: cannot install signal handlers: %s\n", strerror(errno));
    rc = BT_EXIT_USAGE;
  }
  up_t u = {.app = app, .lc = &lc, .out_lock = PTHREAD_MUTEX_INITIALIZER, .stdin_closed = stdin_closed};
  bool has_cli = m->ntriggers == 0;
  for (size_t i = 0; i < m->ntriggers; i++) {
    const bt_app_trigger_t *t = &m->triggers[i];
    if (t->kind == BT_APP_TRIGGER_CLI) u.cli_flow = t->flow.name;
    /* SPIN: e.g. Spin v1 `orchestrator`: one input per line */
    if (t->kind == BT_APP_TRIGGER_CLI || t->kind == BT_APP_TRIGGER_SPIN) has_cli = true;
  }
  double t0 = now_us();
  if (!rc && !start_timers(&u, m)) rc = BT_EXIT_USAGE;
  if (!rc && has_cli) {
    bool eof = cli_loop(&u, duration, t0);
    if (eof && u.ntimers && !duration) g_stop = 1; /* stdin closed: stop */
  }
  if (!rc && u.ntimers) wait_for_stop(duration, t0);
  g_stop = 1;
  for (size_t i = 0; i < u.ntimers; i++) {
    pthread_join(u.threads[i], NULL);
    u.failures += u.timers[i].failures;
  }
  free(u.timers);
  free(u.threads);
  stop_handlers_remove(old);
  bt_app_free(m);
  baton_app_delete(app);
  baton_engine_delete(engine);
  if (rc) return rc;
  return u.failures ? BT_EXIT_GUEST : BT_EXIT_OK;
}

/* ---- build ---- */

int cmd_build(int argc, char **argv) {
  cli_opt_t opts[] = {{"file", 'f', true, NULL}};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = pos ? cli_parse(argc, argv, opts, 1, pos) : -1;
  free(pos);
  if (npos != 0) {
    if (npos > 0) fprintf(stderr, "usage: baton build [-f FILE]\n");
    return BT_EXIT_USAGE;
  }
  const char *file = cli_get(opts, 1, "file");
  char *found = NULL;
  baton_error_t *err = NULL;
  if (!file) {
    err = bt_app_find_default(".", &found);
    file = found;
  }
  bt_app_t *m = NULL;
  if (!err) err = bt_app_load(file, &m);
  free(found);
  if (err) return cli_fail(err);
  int rc = BT_EXIT_OK;
  /* Build commands can call this baton as $BATON_BIN. */
  char self[4096];
  ssize_t sn = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sn > 0) {
    self[sn] = 0;
    setenv("BATON_BIN", self, 1);
  }
  for (size_t i = 0; i < m->ncomponents && !rc; i++) {
    const bt_app_component_t *c = &m->components[i];
    if (!c->build.present || !c->build.command.text) continue;
    const char *dir = c->build.workdir.text ? c->build.workdir.text : m->dir;
    fprintf(stderr, "baton: building %s: %s (in %s)\n", c->name, c->build.command.text, dir);
    pid_t pid = fork();
    if (pid == 0) {
      if (chdir(dir) != 0) _exit(127);
      execl("/bin/sh", "sh", "-c", c->build.command.text, (char *)NULL);
      _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "baton: " BT_POS_FMT ": build command of component `%s` failed (status %d)\n",
              BT_POS_ARGS(c->build.command.pos), c->name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
      rc = BT_EXIT_USAGE;
    }
  }
  if (!rc) err = bt_app_check_sources(m);
  if (err) rc = cli_fail(err);
  baton_engine_t *engine = NULL;
  if (!rc) {
    err = baton_engine_new(NULL, &engine);
    if (err) rc = cli_fail(err);
  }
  for (size_t i = 0; i < m->ncomponents && !rc; i++) {
    if (cli_is_component_file(m->components[i].source.text)) {
      char summary[256];
      err = cli_compile_component(engine, m->components[i].source.text, summary, sizeof summary);
      if (err) {
        rc = cli_fail(baton_error_wrap(err, "component `%s`", m->components[i].name));
        break;
      }
      fprintf(stderr, "baton: %s: %s\n", m->components[i].name, summary);
      continue;
    }
    baton_module_t *mod;
    err = baton_module_new_file(engine, m->components[i].source.text, &mod);
    if (err) {
      rc = cli_fail(baton_error_wrap(err, "component `%s`", m->components[i].name));
      break;
    }
    fprintf(stderr, "baton: %s: %s\n", m->components[i].name,
            baton_module_cache_hit(mod) ? "up to date" : "compiled");
    baton_module_delete(mod);
  }
  baton_engine_delete(engine);
  bt_app_free(m);
  return rc;
}

/* ---- plugins ---- */

/* Runs `baton-NAME` from PATH with the app's context in its environment. */
int cmd_plugin(const char *name, int argc, char **argv) {
  char prog[256];
  snprintf(prog, sizeof prog, "baton-%s", name);
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    setenv("BATON_BIN", self, 1);
  }
  setenv("BATON_VERSION", baton_version(), 1);
  char *manifest = NULL;
  baton_error_t *err = bt_app_find_default(".", &manifest);
  if (!err && manifest) {
    char *abs = realpath(manifest, NULL); /* absolute: the plugin may change directory */
    setenv("BATON_MANIFEST", abs ? abs : manifest, 1);
    free(abs);
  }
  baton_error_delete(err);
  free(manifest);
  char **args = calloc((size_t)argc + 2, sizeof *args);
  if (!args) return BT_EXIT_USAGE;
  args[0] = prog;
  for (int i = 0; i < argc; i++) args[i + 1] = argv[i];
  execvp(prog, args);
  fprintf(stderr, "baton: unknown command `%s` (no plugin `%s` on PATH; see `baton plugins list`)\n", name, prog);
  free(args);
  return BT_EXIT_USAGE;
}

int cmd_plugins(int argc, char **argv) {
  if (argc != 1 || strcmp(argv[0], "list")) {
    fprintf(stderr, "usage: baton plugins list\n");
    return BT_EXIT_USAGE;
  }
  const char *path = getenv("PATH");
  char *copy = strdup(path ? path : "");
  int found = 0;
  for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s", dir);
    FILE *ls = NULL;
    (void)ls;
    DIR *d = opendir(dir);
    if (!d) continue;
    struct dirent *e;
    while ((e = readdir(d))) {
      if (strncmp(e->d_name, "baton-", 6) != 0) continue;
      snprintf(cmd, sizeof cmd, "%s/%s", dir, e->d_name);
      if (access(cmd, X_OK) != 0) continue;
      printf("%-20s %s\n", e->d_name + 6, cmd);
      found++;
    }
    closedir(d);
  }
  free(copy);
  if (!found) printf("no plugins found (executables named baton-NAME on PATH)\n");
  return BT_EXIT_OK;
}
