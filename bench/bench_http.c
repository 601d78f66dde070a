/*
 * bench/bench_http.c: the orders flow in process against the same two
 * modules as two HTTP services on loopback. It answers the issue's question
 * "how much does composing in one process save over calling the same code
 * as services?" with both paths in the same run:
 *
 *   inproc     baton_app_run of the app's pipeline (examples/orders:
 *              module1's handle-init, then module2's), a fresh instance per
 *              step, input and output as JSON text, as `baton run` does;
 *   keepalive  the same two calls as two HTTP/1.1 services on 127.0.0.1:
 *              per flow run the client POSTs the input to service 1 and its
 *              response body to service 2, over one persistent (keep-alive)
 *              connection per service;
 *   newconn    the same with a new TCP connection per request
 *              (`Connection: close`), as a service mesh without connection
 *              pooling does.
 *
 * Each service is a child process of this binary (fork), started and
 * stopped by the benchmark: it loads the same manifest with the same
 * libbaton API and options, listens on an ephemeral loopback port, and for
 * every `POST /handle-init` turns the body (the string, UTF-8) into a
 * baton_value_t and calls its component's handle-init with baton_app_call
 * (a fresh instance per request, as in the in-process path), answering the
 * result string as the body. The difference between the paths is therefore
 * the network hop, the HTTP framing and the process switches, not the work
 * done by the guests. The server and client are written with plain sockets
 * (poll, one thread per process); requests per service are bounded (the
 * exact number the benchmark sends), bodies to 64 KiB, headers to 8 KiB.
 * The service reports the time its baton_app_call took in a
 * `Server-Timing: app;dur=<ms>` header, so the client can split each HTTP
 * flow run into guest work and transport.
 *
 * Guest output is discarded in every process (BATON_WASI_OUTPUT_DISCARD).
 * Every result is checked: each in-process run must print the same JSON
 * text, and each HTTP flow must return, byte for byte, the decoded string
 * of that text (and service 1 the same intermediate string as an in-process
 * call of module1); any difference stops the benchmark with exit status 1.
 *
 *   bench_http MANIFEST [--runs N] [--block B] [--warmup W] [--input TEXT]
 *              [--placement any|same|split]
 *
 * N flow runs of each path (default 5000), interleaved in blocks of B
 * (default 100): B in-process runs, B keep-alive runs, B new-connection
 * runs, and again, so a change of machine load mid-run hits all three
 * alike while each block keeps its caches warm. W runs of each (default
 * 200) come first and are not counted. Each flow run is timed on its own
 * with CLOCK_MONOTONIC; medians and nearest-rank p90 are reported as text
 * and as `@ key value` lines for bench/run.sh. docs/PERFORMANCE.md explains
 * the numbers.
 *
 * --placement decides where the three processes run, which dominates the
 * HTTP numbers on a VM: "any" (default) lets the scheduler choose, "same"
 * pins all of them to one CPU, "split" puts the client on one CPU and the
 * services on another (see place()).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "baton/baton.h"

#define COMPONENT_EXPORT "handle-init"
#define MAX_HEADER 8192          /* request or response head, bytes */
#define MAX_BODY (64 * 1024)     /* request or response body, bytes */
#define MAX_CONNS 8              /* open connections per service */
#define IO_TIMEOUT_S 10          /* client send/receive timeout */
#define READY_TIMEOUT_MS 300000  /* a service's app load (may AOT-compile) */

/* ---- harness (as bench_engine.c) ---- */

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

typedef struct {
  double median, p90, min;
} stats_t;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median, nearest-rank p90 and minimum of n > 0 values (v is sorted). */
static stats_t stats_of(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_double);
  stats_t s = {.min = v[0]};
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  size_t r = (size_t)(0.9 * (double)n + 0.999999);
  s.p90 = v[(r ? r : 1) - 1];
  return s;
}

static void emit(const char *key, double value) { printf("@ %s %.6g\n", key, value); }

static void emit_stats(const char *key, stats_t s) {
  char k[160];
  snprintf(k, sizeof k, "%s.median", key);
  emit(k, s.median);
  snprintf(k, sizeof k, "%s.p90", key);
  emit(k, s.p90);
}

/* Prints "bench_http: <message>" to stderr and exits with status 1. */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "bench_http: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static void check(baton_error_t *err, const char *what) {
  if (!err) return;
  fprintf(stderr, "bench_http: %s: %s\n", what, baton_error_message(err));
  baton_error_delete(err);
  exit(1);
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) die("out of memory");
  return p;
}

static uint64_t opt_u64(int argc, char **argv, const char *name, uint64_t def) {
  for (int i = 0; i + 1 < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1] == '-' && strcmp(argv[i] + 2, name) == 0) {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(argv[i + 1], &end, 10);
      if (errno || *end || !v || v > 100000000ull) die("--%s expects a positive number", name);
      return v;
    }
  }
  return def;
}

static const char *opt_str(int argc, char **argv, const char *name) {
  for (int i = 0; i + 1 < argc; i++)
    if (argv[i][0] == '-' && argv[i][1] == '-' && strcmp(argv[i] + 2, name) == 0) return argv[i + 1];
  return NULL;
}

/* ---- JSON strings (the in-process path's text form) ---- */

/* Returns a malloc'd JSON string literal for s[0..len) (quotes included;
 * `"` `\` and control characters escaped, other bytes copied). */
static char *json_quote(const char *s, size_t len) {
  char *out = xcalloc(len * 6 + 3, 1), *o = out;
  *o++ = '"';
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      *o++ = '\\';
      *o++ = (char)c;
    } else if (c < 0x20) {
      o += sprintf(o, "\\u%04x", c);
    } else {
      *o++ = (char)c;
    }
  }
  *o++ = '"';
  *o = 0;
  return out;
}

static int hex4(const char *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Decodes the JSON string literal `text` (the whole text) into a malloc'd
 * NUL-terminated UTF-8 string, *len its length. Dies on malformed input. */
static char *json_unquote(const char *text, size_t *len) {
  size_t n = strlen(text);
  if (n < 2 || text[0] != '"' || text[n - 1] != '"') die("not a JSON string: %s", text);
  char *out = xcalloc(n, 1), *o = out;
  for (size_t i = 1; i + 1 < n; i++) {
    char c = text[i];
    if (c != '\\') {
      *o++ = c;
      continue;
    }
    if (i + 2 >= n) die("bad escape in %s", text);
    c = text[++i];
    switch (c) {
    case '"': case '\\': case '/': *o++ = c; break;
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u': {
      long cp = i + 5 < n ? hex4(text + i + 1) : -1;
      if (cp < 0) die("bad \\u escape in %s", text);
      i += 4;
      if (cp >= 0xD800 && cp < 0xDC00) {
        long lo = i + 7 < n && text[i + 1] == '\\' && text[i + 2] == 'u' ? hex4(text + i + 3) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF) die("lone surrogate in %s", text);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 6;
      }
      if (cp < 0x80) {
        *o++ = (char)cp;
      } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
      } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
      }
      break;
    }
    default: die("bad escape \\%c in %s", c, text);
    }
  }
  *o = 0;
  *len = (size_t)(o - out);
  return out;
}

/* ---- minimal HTTP/1.1 message heads ---- */

/* A parsed request or response head. Pointers are into the caller's
 * buffer; lengths exclude CRLFs. */
typedef struct {
  size_t head_len;        /* bytes up to and including the blank line */
  const char *line;       /* request line or status line */
  size_t line_len;
  long long content_length; /* -1 when absent */
  bool close;             /* Connection: close */
  bool chunked;           /* Transfer-Encoding present (unsupported) */
  double server_ms;       /* Server-Timing app;dur=, or -1 */
} http_head_t;

/* Case-insensitive prefix match of header line p[0..n) against name
 * ("content-length:"); returns the value with leading blanks skipped, or
 * NULL. */
static const char *header_value(const char *p, size_t n, const char *name, size_t *vlen) {
  size_t k = strlen(name);
  if (n < k || strncasecmp(p, name, k) != 0) return NULL;
  size_t i = k;
  while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
  *vlen = n - i;
  return p + i;
}

/* Parses the head at buf[0..len). Returns 1 when a complete, well-formed
 * head is there (*h filled), 0 when more bytes are needed, -1 when the
 * head is malformed or longer than MAX_HEADER. */
static int parse_head(const char *buf, size_t len, http_head_t *h) {
  const char *end = memmem(buf, len, "\r\n\r\n", 4);
  if (!end) return len > MAX_HEADER ? -1 : 0;
  memset(h, 0, sizeof *h);
  h->head_len = (size_t)(end - buf) + 4;
  if (h->head_len > MAX_HEADER) return -1;
  h->content_length = -1;
  h->server_ms = -1;
  const char *p = buf, *stop = end + 2;
  bool first = true;
  while (p < stop) {
    const char *eol = memmem(p, (size_t)(stop - p), "\r\n", 2);
    size_t n = (size_t)(eol - p), vl;
    const char *v;
    if (first) {
      h->line = p;
      h->line_len = n;
      first = false;
    } else if ((v = header_value(p, n, "content-length:", &vl))) {
      char num[24];
      if (vl == 0 || vl >= sizeof num) return -1;
      memcpy(num, v, vl);
      num[vl] = 0;
      char *e;
      errno = 0;
      long long cl = strtoll(num, &e, 10);
      if (errno || *e || cl < 0 || (h->content_length >= 0 && cl != h->content_length)) return -1;
      h->content_length = cl;
    } else if ((v = header_value(p, n, "connection:", &vl))) {
      h->close = vl == 5 && strncasecmp(v, "close", 5) == 0;
    } else if ((v = header_value(p, n, "transfer-encoding:", &vl))) {
      h->chunked = true;
    } else if ((v = header_value(p, n, "server-timing:", &vl))) {
      const char *d = memmem(v, vl, "dur=", 4);
      if (d) h->server_ms = strtod(d + 4, NULL);
    }
    p = eol + 2;
  }
  return 1;
}

/* Writes all of iov[0..n) to fd (one writev in the common case). Returns
 * false on error (errno set). */
static bool write_all(int fd, struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    while (n > 0 && (size_t)w >= iov->iov_len) {
      w -= (ssize_t)iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
  return true;
}

/* ---- the service (a child process) ---- */

typedef struct {
  int fd;
  char *buf; /* MAX_HEADER + MAX_BODY + 1 bytes */
  size_t len;
} srv_conn_t;

typedef struct {
  baton_app_t *app;
  const char *component;
  unsigned long served, max_requests;
  char *scratch; /* MAX_BODY + 1 bytes: the request body, NUL-terminated */
} server_t;

/* Sends a response with status `status` and body[0..len) on fd. Adds the
 * Server-Timing header when app_ms >= 0 and `Connection: close` when close.
 * Returns false when the write failed. */
static bool respond(int fd, int status, const char *reason, const char *body, size_t len,
                    double app_ms, bool close) {
  char head[256], timing[64] = "";
  if (app_ms >= 0) snprintf(timing, sizeof timing, "Server-Timing: app;dur=%.6f\r\n", app_ms);
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Length: %zu\r\n%s%s\r\n",
                   status, reason, len, timing, close ? "Connection: close\r\n" : "");
  struct iovec iov[2] = {{head, (size_t)n}, {(void *)body, len}};
  return write_all(fd, iov, len ? 2 : 1);
}

/* Handles one complete request whose head is h and body c->buf[h->head_len
 * ..+content_length): calls the component's handle-init in a fresh instance
 * and answers. Returns whether the connection stays open. */
static bool handle_request(server_t *s, srv_conn_t *c, const http_head_t *h) {
  static const char want[] = "POST /" COMPONENT_EXPORT " HTTP/1.1";
  bool keep = !h->close;
  if (h->line_len < 5 || memcmp(h->line, "POST ", 5) != 0) {
    respond(c->fd, 405, "Method Not Allowed", "", 0, -1, true);
    return false;
  }
  if (h->line_len != sizeof want - 1 || memcmp(h->line, want, h->line_len) != 0) {
    respond(c->fd, 404, "Not Found", "", 0, -1, true);
    return false;
  }
  size_t blen = (size_t)h->content_length;
  memcpy(s->scratch, c->buf + h->head_len, blen);
  s->scratch[blen] = 0;
  s->served++;
  if (s->served >= s->max_requests) keep = false;

  double t0 = now_us();
  baton_value_t arg = {.kind = BATON_VALUE_STRING, .of.str = {s->scratch, blen}}, res = {0};
  baton_trap_t *trap = NULL;
  baton_error_t *err = baton_app_call(s->app, s->component, COMPONENT_EXPORT, &arg, 1, &res, &trap);
  double t1 = now_us();
  bool ok;
  if (err || trap) {
    const char *msg = err ? baton_error_message(err) : baton_trap_message(trap);
    ok = respond(c->fd, 500, "Internal Server Error", msg, strlen(msg), -1, true);
    keep = false;
  } else if (res.kind != BATON_VALUE_STRING) {
    ok = respond(c->fd, 500, "Internal Server Error", "not a string", 12, -1, true);
    keep = false;
  } else {
    ok = respond(c->fd, 200, "OK", res.of.str.ptr, res.of.str.len, (t1 - t0) / 1e3, !keep);
  }
  baton_error_delete(err);
  if (trap) baton_trap_delete(trap);
  baton_value_clear(&res);
  return ok && keep;
}

/* Reads what is available on c and handles every complete request in its
 * buffer. Returns whether the connection stays open. */
static bool serve_readable(server_t *s, srv_conn_t *c) {
  size_t cap = MAX_HEADER + MAX_BODY;
  ssize_t n = recv(c->fd, c->buf + c->len, cap - c->len, 0);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) return false; /* peer closed or error */
  c->len += (size_t)n;
  for (;;) {
    http_head_t h;
    int r = parse_head(c->buf, c->len, &h);
    if (r == 0) return true;
    if (r < 0) {
      respond(c->fd, 400, "Bad Request", "", 0, -1, true);
      return false;
    }
    if (h.chunked) {
      respond(c->fd, 501, "Not Implemented", "", 0, -1, true);
      return false;
    }
    if (h.content_length < 0) {
      respond(c->fd, 411, "Length Required", "", 0, -1, true);
      return false;
    }
    if (h.content_length > MAX_BODY) {
      respond(c->fd, 413, "Content Too Large", "", 0, -1, true);
      return false;
    }
    size_t total = h.head_len + (size_t)h.content_length;
    if (c->len < total) return true;
    if (!handle_request(s, c, &h)) return false;
    memmove(c->buf, c->buf + total, c->len - total);
    c->len -= total;
  }
}

/* The service's main loop: loads the app from manifest (guest output
 * discarded), writes 'R' on report_fd once ready (nothing if the load
 * fails), then serves `POST /handle-init` for `component` on the listening
 * socket lfd until ctl_fd reaches end of file (the benchmark closed it) or
 * max_requests requests were answered. Finally writes "served N" on
 * report_fd. Returns the process exit status. */
static int serve(int lfd, int ctl_fd, int report_fd, const char *manifest, const char *component,
                 unsigned long max_requests) {
  baton_engine_t *engine = NULL;
  baton_app_t *app = NULL;
  baton_error_t *err = baton_engine_new(NULL, &engine);
  baton_app_options_t opts = {.output = BATON_WASI_OUTPUT_DISCARD};
  if (!err) err = baton_app_load(engine, manifest, &opts, &app);
  if (err) {
    fprintf(stderr, "bench_http: service %s: %s\n", component, baton_error_message(err));
    baton_error_delete(err);
    baton_engine_delete(engine);
    return 1;
  }
  server_t s = {.app = app, .component = component, .max_requests = max_requests,
                .scratch = xcalloc(MAX_BODY + 1, 1)};
  srv_conn_t conns[MAX_CONNS];
  size_t nconns = 0;
  int rc = 0;
  if (write(report_fd, "R", 1) != 1) rc = 1;
  while (!rc && s.served < s.max_requests) {
    struct pollfd pf[2 + MAX_CONNS];
    pf[0] = (struct pollfd){.fd = ctl_fd, .events = POLLIN};
    pf[1] = (struct pollfd){.fd = nconns < MAX_CONNS ? lfd : -1, .events = POLLIN};
    for (size_t i = 0; i < nconns; i++) pf[2 + i] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
    if (poll(pf, 2 + nconns, -1) < 0) {
      if (errno == EINTR) continue;
      rc = 1;
      break;
    }
    if (pf[0].revents) break; /* the benchmark is done (EOF) */
    for (size_t i = nconns; i-- > 0;) {
      if (!pf[2 + i].revents) continue;
      if (!serve_readable(&s, &conns[i])) {
        close(conns[i].fd);
        free(conns[i].buf);
        conns[i] = conns[--nconns];
      }
    }
    if (pf[1].revents & POLLIN) {
      int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
      if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conns[nconns++] = (srv_conn_t){.fd = fd, .buf = xcalloc(MAX_HEADER + MAX_BODY + 1, 1)};
      }
    }
  }
  for (size_t i = 0; i < nconns; i++) {
    close(conns[i].fd);
    free(conns[i].buf);
  }
  close(lfd);
  char line[64];
  int n = snprintf(line, sizeof line, "served %lu\n", s.served);
  if (write(report_fd, line, (size_t)n) != n) rc = 1;
  free(s.scratch);
  baton_app_delete(app);
  baton_engine_delete(engine);
  return rc;
}

/* ---- starting and stopping services ---- */

typedef struct {
  const char *component;
  uint16_t port;
  pid_t pid;
  int ctl_w;    /* closing it tells the service to stop */
  int report_r; /* 'R' when ready, then "served N" */
} service_t;

/* Starts the service for svc->component: a listening socket on an
 * ephemeral 127.0.0.1 port, then a child process running serve() on it.
 * `others` (nothers of them) are services already started, whose
 * descriptors the child closes. Waits until the child has loaded the app
 * (dies if it fails to). */
static void service_start(service_t *svc, const char *manifest, unsigned long max_requests,
                          const service_t *others, size_t nothers) {
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket: %s", strerror(errno));
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 64) != 0 ||
      getsockname(lfd, (struct sockaddr *)&a, &alen) != 0)
    die("listen on 127.0.0.1: %s", strerror(errno));
  svc->port = ntohs(a.sin_port);
  int ctl[2], rep[2];
  if (pipe2(ctl, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0) die("pipe: %s", strerror(errno));
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) {
    close(ctl[1]);
    close(rep[0]);
    for (size_t i = 0; i < nothers; i++) {
      close(others[i].ctl_w);
      close(others[i].report_r);
    }
    _exit(serve(lfd, ctl[0], rep[1], manifest, svc->component, max_requests));
  }
  close(lfd);
  close(ctl[0]);
  close(rep[1]);
  svc->pid = pid;
  svc->ctl_w = ctl[1];
  svc->report_r = rep[0];
  struct pollfd pf = {.fd = rep[0], .events = POLLIN};
  char c = 0;
  if (poll(&pf, 1, READY_TIMEOUT_MS) != 1 || read(rep[0], &c, 1) != 1 || c != 'R') {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    die("service %s did not start", svc->component);
  }
}

/* Stops a service: closes its control pipe, reads its "served N" report
 * and waits for it. Returns N; dies if the child failed. */
static unsigned long service_stop(service_t *svc) {
  close(svc->ctl_w);
  char line[64] = "";
  size_t len = 0;
  ssize_t n;
  while (len < sizeof line - 1 && (n = read(svc->report_r, line + len, sizeof line - 1 - len)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    len += (size_t)n;
  }
  line[len] = 0;
  close(svc->report_r);
  int status = 0;
  if (waitpid(svc->pid, &status, 0) != svc->pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("service %s failed (wait status %d)", svc->component, status);
  unsigned long served = 0;
  if (sscanf(line, "served %lu", &served) != 1) die("service %s: no report", svc->component);
  return served;
}

/* ---- the client ---- */

typedef struct {
  uint16_t port;
  int fd;       /* -1 when not connected */
  char *buf;    /* MAX_HEADER + MAX_BODY + 1 bytes; the last body, NUL-terminated */
  size_t connects;
} client_t;

static void client_connect(client_t *c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(c->port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
    die("connect to 127.0.0.1:%u: %s", c->port, strerror(errno));
  c->fd = fd;
  c->connects++;
}

/* POSTs body[0..len) to /handle-init on c's service and reads the answer:
 * reuses c's connection (opening one if needed) when keep_alive, otherwise
 * opens a new one, sends `Connection: close` and closes it afterwards.
 * Returns the response body (in c->buf, NUL-terminated, valid until the
 * next call) with its length in *out_len, and the service's Server-Timing
 * in *server_us. Dies on any transport or HTTP error, or a status other
 * than 200. */
static const char *client_post(client_t *c, bool keep_alive, const char *body, size_t len,
                               size_t *out_len, double *server_us) {
  if (c->fd < 0) client_connect(c);
  char head[256];
  int n = snprintf(head, sizeof head,
                   "POST /" COMPONENT_EXPORT " HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n%s\r\n",
                   c->port, len, keep_alive ? "" : "Connection: close\r\n");
  struct iovec iov[2] = {{head, (size_t)n}, {(void *)body, len}};
  if (!write_all(c->fd, iov, len ? 2 : 1)) die("send to port %u: %s", c->port, strerror(errno));
  size_t have = 0, cap = MAX_HEADER + MAX_BODY;
  http_head_t h;
  int r;
  while ((r = parse_head(c->buf, have, &h)) == 0 || (r == 1 && h.content_length >= 0 &&
                                                      have < h.head_len + (size_t)h.content_length)) {
    if (have == cap) die("response from port %u too large", c->port);
    ssize_t got = recv(c->fd, c->buf + have, cap - have, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) die("receive from port %u: %s", c->port, got ? strerror(errno) : "connection closed");
    have += (size_t)got;
  }
  if (r < 0 || h.content_length < 0 || h.chunked) die("malformed response from port %u", c->port);
  if (h.line_len < 12 || memcmp(h.line, "HTTP/1.1 200", 12) != 0)
    die("port %u answered %.*s: %.*s", c->port, (int)h.line_len, h.line, (int)h.content_length,
        c->buf + h.head_len);
  size_t total = h.head_len + (size_t)h.content_length;
  if (have != total) die("unexpected bytes after the response from port %u", c->port);
  if (!keep_alive || h.close) {
    close(c->fd);
    c->fd = -1;
  }
  memmove(c->buf, c->buf + h.head_len, (size_t)h.content_length);
  c->buf[h.content_length] = 0;
  *out_len = (size_t)h.content_length;
  *server_us = h.server_ms >= 0 ? h.server_ms * 1e3 : 0;
  return c->buf;
}

/* ---- placement on CPUs ---- */

/* Pins process pid (0: this one) to CPU cpu. Dies on failure. */
static void pin(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(pid, sizeof set, &set) != 0) die("sched_setaffinity(%d, cpu %d): %s", (int)pid, cpu, strerror(errno));
}

/* Applies a placement: "any" leaves every process where the scheduler
 * puts it; "same" pins the client and both services to the first CPU this
 * process may use (every hop is a context switch on one CPU); "split" pins
 * the client to that CPU and the services to the next ones (every hop
 * wakes a process on another CPU, as with services on separate cores).
 * Writes a description to desc. Dies when "split" has only one CPU. */
static void place(const char *placement, service_t *svc, size_t nsvc, char *desc, size_t dlen) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) die("sched_getaffinity: %s", strerror(errno));
  int cpus[CPU_SETSIZE], n = 0;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &set)) cpus[n++] = c;
  if (strcmp(placement, "any") == 0) {
    snprintf(desc, dlen, "any: the scheduler places the client and the services on %d CPUs", n);
  } else if (strcmp(placement, "same") == 0) {
    pin(0, cpus[0]);
    for (size_t i = 0; i < nsvc; i++) pin(svc[i].pid, cpus[0]);
    snprintf(desc, dlen, "same: the client and both services pinned to CPU %d", cpus[0]);
  } else if (strcmp(placement, "split") == 0) {
    if (n < 2) die("--placement split needs two CPUs, this process may use %d", n);
    pin(0, cpus[0]);
    int used = snprintf(desc, dlen, "split: the client on CPU %d,", cpus[0]);
    for (size_t i = 0; i < nsvc; i++) {
      int c = cpus[1 + (int)i % (n - 1)];
      pin(svc[i].pid, c);
      if (used > 0 && (size_t)used < dlen)
        used += snprintf(desc + used, dlen - (size_t)used, "%s %s on CPU %d", i ? "," : "", svc[i].component, c);
    }
  } else {
    die("--placement expects any, same or split, got `%s`", placement);
  }
}

/* ---- the benchmark ---- */

typedef struct {
  baton_app_t *app;
  char *input_json;       /* the flow input as JSON text */
  const char *input;      /* ... and as the raw string */
  size_t input_len;
  char *expect_json;      /* the in-process flow output, JSON */
  char *expect_out;       /* ... decoded: what service 2 must answer */
  size_t expect_out_len;
  char *expect_mid;       /* module1's result: what service 1 must answer */
  size_t expect_mid_len;
  client_t s1, s2;
} bench_t;

/* One in-process flow run; returns its time in microseconds. Dies if the
 * run fails or its output differs from the expected one. */
static double run_inproc(bench_t *b) {
  baton_run_result_t res = {0};
  double t0 = now_us();
  baton_error_t *err = baton_app_run(b->app, NULL, b->input_json, BATON_FORMAT_JSON, &res);
  double t = now_us() - t0;
  check(err, "baton_app_run");
  if (res.failed) die("in-process run failed at %s: %s", res.failed_step, res.message);
  if (!res.output || strcmp(res.output, b->expect_json) != 0)
    die("in-process output differs: %s, expected %s", res.output ? res.output : "(none)", b->expect_json);
  baton_run_result_clear(&res);
  return t;
}

/* One flow run over HTTP: the input to service 1, its answer to service 2.
 * Returns its time in microseconds and the services' own handle-init time
 * (both calls) in *app_us. Dies if an answer differs from the in-process
 * one. */
static double run_http(bench_t *b, bool keep_alive, double *app_us) {
  size_t mid_len, out_len;
  double a1, a2;
  double t0 = now_us();
  const char *mid = client_post(&b->s1, keep_alive, b->input, b->input_len, &mid_len, &a1);
  const char *out = client_post(&b->s2, keep_alive, mid, mid_len, &out_len, &a2);
  double t = now_us() - t0;
  /* mid lives in s1's buffer, which the second call did not touch. */
  if (mid_len != b->expect_mid_len || memcmp(mid, b->expect_mid, mid_len) != 0)
    die("service 1 answered \"%s\", in process module1 returned \"%s\"", mid, b->expect_mid);
  if (out_len != b->expect_out_len || memcmp(out, b->expect_out, out_len) != 0)
    die("HTTP flow returned \"%s\", the in-process flow \"%s\"", out, b->expect_out);
  *app_us = a1 + a2;
  return t;
}

int main(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: bench_http MANIFEST [--runs N] [--block B] [--warmup W] [--input TEXT] "
                    "[--placement any|same|split]\n");
    return 2;
  }
  const char *manifest = argv[1];
  size_t runs = opt_u64(argc, argv, "runs", 5000), block = opt_u64(argc, argv, "block", 100),
         warmup = opt_u64(argc, argv, "warmup", 200);
  if (block > runs) block = runs;
  runs = (runs + block - 1) / block * block;
  const char *input = opt_str(argc, argv, "input");
  if (!input) input = "order #1001";
  const char *placement = opt_str(argc, argv, "placement");
  if (!placement) placement = "any";
  if (strlen(input) > MAX_BODY / 4) die("--input is too long");
  signal(SIGPIPE, SIG_IGN);

  /* Services first, one after the other, before this process loads
   * anything: the first one fills the AOT cache if it is cold, and each
   * child starts from a process without an engine. Each service gets
   * exactly the requests sent below: warm-up and timed runs of both HTTP
   * variants, plus the two check requests. */
  unsigned long per_service = (unsigned long)(2 * (warmup + runs) + 2);
  service_t svc[2] = {{.component = "module1"}, {.component = "module2"}};
  service_start(&svc[0], manifest, per_service, NULL, 0);
  service_start(&svc[1], manifest, per_service, svc, 1);
  char where[160];
  place(placement, svc, 2, where, sizeof where);

  bench_t b = {.input = input, .input_len = strlen(input)};
  baton_engine_t *engine = NULL;
  check(baton_engine_new(NULL, &engine), "engine");
  baton_app_options_t opts = {.output = BATON_WASI_OUTPUT_DISCARD};
  check(baton_app_load(engine, manifest, &opts, &b.app), manifest);

  /* The expected results, in process: the flow output, and module1's
   * result alone (what service 1 must answer). */
  b.input_json = json_quote(b.input, b.input_len);
  baton_run_result_t first = {0};
  check(baton_app_run(b.app, NULL, b.input_json, BATON_FORMAT_JSON, &first), "baton_app_run");
  if (first.failed || !first.output) die("the flow failed: %s", first.message ? first.message : "?");
  b.expect_json = strdup(first.output);
  baton_run_result_clear(&first);
  b.expect_out = json_unquote(b.expect_json, &b.expect_out_len);
  {
    baton_value_t arg = {.kind = BATON_VALUE_STRING, .of.str = {(char *)b.input, b.input_len}}, res = {0};
    baton_trap_t *trap = NULL;
    check(baton_app_call(b.app, "module1", COMPONENT_EXPORT, &arg, 1, &res, &trap), "module1");
    if (trap || res.kind != BATON_VALUE_STRING) die("module1 trapped or returned no string");
    b.expect_mid = strndup(res.of.str.ptr, res.of.str.len);
    b.expect_mid_len = res.of.str.len;
    baton_value_clear(&res);
  }

  b.s1 = (client_t){.port = svc[0].port, .fd = -1, .buf = xcalloc(MAX_HEADER + MAX_BODY + 1, 1)};
  b.s2 = (client_t){.port = svc[1].port, .fd = -1, .buf = xcalloc(MAX_HEADER + MAX_BODY + 1, 1)};
  printf("orders flow: %s, input \"%s\"\n", manifest, input);
  printf("  services: module1 on 127.0.0.1:%u (pid %d), module2 on 127.0.0.1:%u (pid %d)\n", svc[0].port,
         (int)svc[0].pid, svc[1].port, (int)svc[1].pid);
  printf("  placement: %s\n", where);
  printf("  output: %s\n", b.expect_json);
  printf("  %zu timed runs of each path after %zu warm-up runs, interleaved in blocks of %zu\n", runs,
         warmup, block);

  /* Both HTTP variants answer the same as in process (one check request
   * each, counted in per_service). */
  double app_us;
  run_http(&b, true, &app_us);
  run_http(&b, false, &app_us);

  double *tin = xcalloc(runs, sizeof *tin), *tka = xcalloc(runs, sizeof *tka),
         *tnc = xcalloc(runs, sizeof *tnc), *aka = xcalloc(runs, sizeof *aka),
         *anc = xcalloc(runs, sizeof *anc);
  for (size_t i = 0; i < warmup; i++) {
    run_inproc(&b);
    run_http(&b, true, &app_us);
    run_http(&b, false, &app_us);
  }
  size_t ka_connects = b.s1.connects + b.s2.connects;
  double t_start = now_us();
  for (size_t base = 0; base < runs; base += block) {
    for (size_t i = base; i < base + block; i++) tin[i] = run_inproc(&b);
    for (size_t i = base; i < base + block; i++) tka[i] = run_http(&b, true, &aka[i]);
    for (size_t i = base; i < base + block; i++) tnc[i] = run_http(&b, false, &anc[i]);
  }
  double wall_s = (now_us() - t_start) / 1e6;
  /* Each new-connection run opens two connections; keep-alive ones reopen
   * none (checked, so a server that closed early would be noticed). */
  size_t connects = b.s1.connects + b.s2.connects - ka_connects;
  if (connects != 2 * runs) die("expected %zu new connections, saw %zu", 2 * runs, connects);
  if (b.s1.fd >= 0) close(b.s1.fd);
  if (b.s2.fd >= 0) close(b.s2.fd);

  unsigned long served1 = service_stop(&svc[0]), served2 = service_stop(&svc[1]);
  if (served1 != per_service || served2 != per_service)
    die("services answered %lu and %lu requests, expected %lu each", served1, served2, per_service);

  stats_t in = stats_of(tin, runs), ka = stats_of(tka, runs), nc = stats_of(tnc, runs),
          kaa = stats_of(aka, runs), nca = stats_of(anc, runs);
  printf("  all %zu in-process and %zu HTTP flow runs returned the same result\n", runs + warmup + 1,
         2 * (runs + warmup + 1));
  printf("  %-44s median %9.2f us   p90 %9.2f us   min %9.2f us\n", "in process (baton_app_run)", in.median,
         in.p90, in.min);
  printf("  %-44s median %9.2f us   p90 %9.2f us   min %9.2f us   %.0fx in process\n",
         "HTTP, keep-alive connections", ka.median, ka.p90, ka.min, ka.median / in.median);
  printf("  %-44s median %9.2f us   p90 %9.2f us   min %9.2f us   %.0fx in process\n",
         "HTTP, new connection per request", nc.median, nc.p90, nc.min, nc.median / in.median);
  printf("  %-44s median %9.2f us   p90 %9.2f us\n", "  of which handle-init in the services, keep-alive",
         kaa.median, kaa.p90);
  printf("  %-44s median %9.2f us   p90 %9.2f us\n", "  of which handle-init in the services, new conn",
         nca.median, nca.p90);
  printf("  (%.1f s for the timed runs; services answered %lu requests each)\n", wall_s, served1);
  /* Keys are http.<placement>.<name>, so several placements share one
   * raw.txt. */
  char key[96];
#define KEY(name) (snprintf(key, sizeof key, "http.%s.%s", placement, name), key)
  emit(KEY("runs"), (double)runs);
  emit_stats(KEY("inproc_us"), in);
  emit_stats(KEY("keepalive_us"), ka);
  emit_stats(KEY("newconn_us"), nc);
  emit_stats(KEY("keepalive_app_us"), kaa);
  emit_stats(KEY("newconn_app_us"), nca);
  emit(KEY("ratio_keepalive"), ka.median / in.median);
  emit(KEY("ratio_newconn"), nc.median / in.median);
  emit(KEY("ratio_keepalive_p90"), ka.p90 / in.p90);
  emit(KEY("ratio_newconn_p90"), nc.p90 / in.p90);
#undef KEY

  free(tin);
  free(tka);
  free(tnc);
  free(aka);
  free(anc);
  free(b.s1.buf);
  free(b.s2.buf);
  free(b.input_json);
  free(b.expect_json);
  free(b.expect_out);
  free(b.expect_mid);
  baton_app_delete(b.app);
  baton_engine_delete(engine);
  return 0;
}
