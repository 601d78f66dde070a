/*
 * src/wit/diag.c: the WIT front end's plumbing: bump-pointer arenas, the
 * allocation helpers that raise on failure, the source registry with its
 * line tables, and positioned error messages.
 *
 * An error message names "file:line:col", then quotes the source line with a
 * gutter holding the line number and puts a run of carets under the span:
 *
 *     orders.wit:12:20: error: undefined type `prise`
 *        12 |   total: func() -> prise;
 *           |                    ^^^^^
 *
 * Columns count characters (UTF-8 code points), and tabs in the quoted line
 * are repeated in the caret line so the carets stay aligned.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wit/wit_internal.h"

struct wit_chunk {
  wit_chunk *next;
  size_t size, used;
  max_align_t data[];
};

#define WIT_CHUNK_MIN ((size_t)16 * 1024)

/* Minimum chunk size; tests shrink it so that allocation-failure injection
 * reaches many more points of the front end. */
static size_t g_chunk_min = WIT_CHUNK_MIN;

void bt_wit_set_arena_chunk(size_t bytes) { g_chunk_min = bytes ? bytes : WIT_CHUNK_MIN; }

void *wit_arena_alloc(wit_arena *a, size_t n) {
  size_t align = sizeof(max_align_t);
  n = (n + align - 1) / align * align;
  if (n == 0) n = align;
  wit_chunk *h = a->head;
  if (!h || h->size - h->used < n) {
    size_t size = n > g_chunk_min ? n : g_chunk_min;
    if (g_chunk_min == WIT_CHUNK_MIN && h && h->size * 2 > size && h->size < (size_t)1 << 22)
      size = h->size * 2;
    wit_chunk *nc = bt_malloc(sizeof(wit_chunk) + size);
    if (!nc) return NULL;
    nc->size = size;
    nc->used = 0;
    nc->next = h;
    a->head = h = nc;
  }
  void *p = (char *)h->data + h->used;
  h->used += n;
  memset(p, 0, n);
  return p;
}

void wit_arena_free(wit_arena *a) {
  wit_chunk *h = a->head;
  while (h) {
    wit_chunk *next = h->next;
    bt_free(h);
    h = next;
  }
  a->head = NULL;
}

_Noreturn void wit_raise(wit_ctx *c, baton_error_t *err) {
  c->err = err;
  longjmp(c->jmp, 1);
}

_Noreturn void wit_oom(wit_ctx *c) {
  wit_raise(c, baton_error_new(BATON_ENO_MEMORY, "out of memory while parsing WIT"));
}

void *wit_tmp(wit_ctx *c, size_t n) {
  void *p = wit_arena_alloc(&c->tmp, n);
  if (!p) wit_oom(c);
  return p;
}

void *wit_new(wit_ctx *c, size_t n) {
  void *p = wit_arena_alloc(c->out, n);
  if (!p) wit_oom(c);
  return p;
}

char *wit_strn(wit_ctx *c, const char *s, size_t n) {
  char *p = wit_new(c, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *wit_tmp_strn(wit_ctx *c, const char *s, size_t n) {
  char *p = wit_tmp(c, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *wit_fmt(wit_ctx *c, const char *fmt, ...) {
  if (!fmt) wit_oom(c); /* never true; keeps GCC's format checker quiet */
  va_list ap;
  char probe[1];
  va_start(ap, fmt);
  int n = vsnprintf(probe, sizeof probe, fmt, ap);
  va_end(ap);
  if (n < 0) wit_oom(c);
  char *p = wit_new(c, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

void *wit_grow(wit_ctx *c, wit_arena *a, void *items, size_t elem, size_t len, size_t *cap,
               size_t need) {
  if (need <= *cap) return items;
  size_t ncap = *cap ? *cap * 2 : 8;
  while (ncap < need) ncap *= 2;
  if (ncap > SIZE_MAX / elem) wit_oom(c);
  void *p = wit_arena_alloc(a, ncap * elem);
  if (!p) wit_oom(c);
  if (len) memcpy(p, items, len * elem);
  *cap = ncap;
  return p;
}

uint32_t wit_add_source(wit_ctx *c, const char *path, const char *text, size_t len) {
  if (len >= UINT32_MAX / 2)
    wit_raise(c, baton_error_new(BATON_ELIMIT, "%s: WIT source too large", path));
  if (c->nsources >= c->capsources) {
    size_t cap = c->capsources;
    c->sources = wit_grow(c, &c->tmp, c->sources, sizeof(wit_source), c->nsources, &cap,
                          (size_t)c->nsources + 1);
    c->capsources = (uint32_t)cap;
  }
  wit_source *s = &c->sources[c->nsources];
  memset(s, 0, sizeof *s);
  s->path = wit_tmp_strn(c, path, strlen(path));
  s->text = wit_tmp_strn(c, text, len);
  s->len = (uint32_t)len;
  return c->nsources++;
}

/* Builds the line-start table of source `file` on first use. Returns false
 * only when the table could not be allocated. */
static bool lines_ready(wit_ctx *c, uint32_t file) {
  if (file == WIT_NO_FILE || file >= c->nsources) return false;
  wit_source *s = &c->sources[file];
  if (s->lines) return true;
  uint32_t n = 1;
  for (uint32_t i = 0; i < s->len; i++)
    if (s->text[i] == '\n') n++;
  uint32_t *lines = wit_arena_alloc(&c->tmp, sizeof(uint32_t) * n);
  if (!lines) return false;
  s->lines = lines;
  s->nlines = 0;
  s->lines[s->nlines++] = 0;
  for (uint32_t i = 0; i < s->len; i++)
    if (s->text[i] == '\n') s->lines[s->nlines++] = i + 1;
  return true;
}

/* Returns the 0-based line holding byte `off`. */
static uint32_t line_of(const wit_source *s, uint32_t off) {
  uint32_t lo = 0, hi = s->nlines;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (s->lines[mid] <= off) lo = mid;
    else hi = mid;
  }
  return lo;
}

/* Counts the code points in text[from, to). */
static uint32_t count_chars(const char *text, uint32_t from, uint32_t to) {
  uint32_t n = 0;
  for (uint32_t i = from; i < to; i++)
    if (((unsigned char)text[i] & 0xC0) != 0x80) n++;
  return n;
}

/* Computes the location of a span start with the scratch copy of the path.
 * The span's line table must already exist (lines_ready). */
static bt_wit_loc_t loc_raw(wit_ctx *c, wit_span sp) {
  bt_wit_loc_t loc = {0};
  wit_source *s = &c->sources[sp.file];
  uint32_t off = sp.start > s->len ? s->len : sp.start;
  uint32_t line = line_of(s, off);
  loc.line = line + 1;
  loc.col = count_chars(s->text, s->lines[line], off) + 1;
  loc.file = s->path;
  return loc;
}

bt_wit_loc_t wit_loc(wit_ctx *c, wit_span sp) {
  bt_wit_loc_t loc = {0};
  if (sp.file == WIT_NO_FILE || sp.file >= c->nsources) return loc;
  if (!lines_ready(c, sp.file)) wit_oom(c);
  loc = loc_raw(c, sp);
  wit_source *s = &c->sources[sp.file];
  if (!s->out_path) s->out_path = wit_strn(c, s->path, strlen(s->path));
  loc.file = s->out_path;
  return loc;
}

/* A growable heap string for composing messages; on allocation failure the
 * buffer is dropped and `failed` set, and the caller reports out-of-memory. */
typedef struct msgbuf {
  char *p;
  size_t len, cap;
  bool failed;
} msgbuf;

static void mb_putn(msgbuf *b, const char *s, size_t n) {
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = bt_realloc(b->p, cap);
    if (!p) {
      bt_free(b->p);
      b->p = NULL;
      b->failed = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void mb_puts(msgbuf *b, const char *s) { mb_putn(b, s, strlen(s)); }

/* Appends printf-formatted text. */
static void mb_vprintf(msgbuf *b, const char *fmt, va_list ap) {
  va_list ap2;
  char probe[1];
  va_copy(ap2, ap);
  int n = vsnprintf(probe, sizeof probe, fmt, ap2);
  va_end(ap2);
  if (n < 0) {
    b->failed = true;
    return;
  }
  char *tmp = bt_malloc((size_t)n + 1);
  if (!tmp) {
    bt_free(b->p);
    b->p = NULL;
    b->failed = true;
    return;
  }
  vsnprintf(tmp, (size_t)n + 1, fmt, ap);
  mb_putn(b, tmp, (size_t)n);
  bt_free(tmp);
}

static void mb_printf(msgbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  mb_vprintf(b, fmt, ap);
  va_end(ap);
}

/* Appends "path:line:col: LABEL: " for the span, or "LABEL: " without one.
 * Returns false when the span has no location. */
static bool mb_location(wit_ctx *c, msgbuf *b, wit_span sp, const char *label) {
  if (sp.file == WIT_NO_FILE || sp.file >= c->nsources) {
    mb_printf(b, "%s: ", label);
    return false;
  }
  bt_wit_loc_t loc = loc_raw(c, sp);
  mb_printf(b, "%s:%u:%u: %s: ", loc.file, loc.line, loc.col, label);
  return true;
}

/* Appends a source line, replacing control characters other than tab and
 * bidirectional overrides with `?` so that quoting a line can never affect
 * the terminal (each replaced code point stays one column wide). */
static void mb_put_line(msgbuf *b, const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char ch = (unsigned char)s[i];
    size_t len = ch < 0x80 ? 1 : (ch & 0xE0) == 0xC0 ? 2 : (ch & 0xF0) == 0xE0 ? 3 : 4;
    bool malformed = (ch & 0xC0) == 0x80 || ch >= 0xF8 || i + len > n;
    for (size_t k = 1; !malformed && k < len; k++)
      if (((unsigned char)s[i + k] & 0xC0) != 0x80) malformed = true;
    if (malformed) {
      mb_putn(b, "?", 1);
      i++;
      continue;
    }
    uint32_t cp = ch;
    if (len == 2) cp = ((ch & 0x1Fu) << 6) | ((unsigned char)s[i + 1] & 0x3Fu);
    if (len == 3)
      cp = ((ch & 0x0Fu) << 12) | (((unsigned char)s[i + 1] & 0x3Fu) << 6) |
           ((unsigned char)s[i + 2] & 0x3Fu);
    bool bad = (cp < 0x20 && cp != '\t') || (cp >= 0x7F && cp <= 0x9F) ||
               (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
    if (bad) mb_putn(b, "?", 1);
    else mb_putn(b, s + i, len);
    i += len;
  }
}

/* Appends the quoted source line and the caret line for a span. */
static void mb_snippet(wit_ctx *c, msgbuf *b, wit_span sp) {
  wit_source *s = &c->sources[sp.file];
  uint32_t off = sp.start > s->len ? s->len : sp.start;
  uint32_t line = line_of(s, off);
  uint32_t ls = s->lines[line];
  uint32_t le = ls;
  while (le < s->len && s->text[le] != '\n') le++;
  uint32_t shown_end = le;
  if (shown_end > ls && s->text[shown_end - 1] == '\r') shown_end--;
  char num[16];
  int w = snprintf(num, sizeof num, "%u", line + 1);
  int gutter = w < 5 ? 5 : w;
  mb_printf(b, "\n%*s | ", gutter, num);
  mb_put_line(b, s->text + ls, shown_end - ls);
  mb_printf(b, "\n%*s | ", gutter, "");
  for (uint32_t i = ls; i < off && i < shown_end; i++) {
    unsigned char ch = (unsigned char)s->text[i];
    if ((ch & 0xC0) == 0x80) continue;
    mb_putn(b, ch == '\t' ? "\t" : " ", 1);
  }
  uint32_t end = sp.end > shown_end ? shown_end : sp.end;
  uint32_t carets = end > off ? count_chars(s->text, off, end) : 0;
  if (carets == 0) carets = 1;
  for (uint32_t i = 0; i < carets; i++) mb_putn(b, "^", 1);
}

static _Noreturn void fail_v(wit_ctx *c, baton_errno_t code, wit_span sp, const wit_span *note,
                             const char *note_msg, const char *fmt, va_list ap) {
  msgbuf b = {0};
  /* Line tables live in the scratch arena; when even they cannot be built
   * plain out-of-memory is reported instead. */
  if (sp.file != WIT_NO_FILE && sp.file < c->nsources && !lines_ready(c, sp.file)) wit_oom(c);
  if (note && note->file != WIT_NO_FILE && note->file < c->nsources && !lines_ready(c, note->file))
    wit_oom(c);
  bool located = mb_location(c, &b, sp, "error");
  mb_vprintf(&b, fmt, ap);
  if (located) mb_snippet(c, &b, sp);
  if (note) {
    mb_puts(&b, "\n");
    if (mb_location(c, &b, *note, "note")) {
      mb_puts(&b, note_msg);
      mb_snippet(c, &b, *note);
    } else {
      mb_puts(&b, note_msg);
    }
  }
  if (b.failed) wit_oom(c);
  baton_error_t *err = baton_error_new(code, "%s", b.p);
  bt_free(b.p);
  wit_raise(c, err);
}

_Noreturn void wit_fail_code(wit_ctx *c, baton_errno_t code, wit_span sp, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fail_v(c, code, sp, NULL, NULL, fmt, ap);
}

_Noreturn void wit_fail_note(wit_ctx *c, wit_span sp, wit_span note, const char *note_msg,
                             const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fail_v(c, BATON_ESYNTAX, sp, &note, note_msg, fmt, ap);
}
