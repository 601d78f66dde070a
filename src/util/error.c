/*
 * src/util/error.c: the baton_error_t and baton_trap_t objects. Both are a
 * code plus a heap message; when even that allocation fails a static
 * out-of-memory object is returned, which the delete functions recognise.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/error.h"
#include "baton/trap.h"
#include "util/common.h"
#include "util/error_internal.h"

struct baton_error {
  baton_errno_t code;
  char *message;
};

static baton_error_t g_oom_error = {BATON_ENO_MEMORY, "out of memory"};

baton_error_t *baton_error_newv(baton_errno_t code, const char *fmt,
                                va_list ap) {
  baton_error_t *e = malloc(sizeof *e);
  if (!e) return &g_oom_error;
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0) {
    free(e);
    return &g_oom_error;
  }
  e->code = code;
  e->message = msg;
  return e;
}

baton_error_t *baton_error_new(baton_errno_t code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  baton_error_t *e = baton_error_newv(code, fmt, ap);
  va_end(ap);
  return e;
}

baton_errno_t baton_error_code(const baton_error_t *err) {
  return err ? err->code : BATON_OK;
}

const char *baton_error_message(const baton_error_t *err) {
  return err ? err->message : "success";
}

const char *baton_errno_name(baton_errno_t code) {
  switch (code) {
    case BATON_OK: return "OK";
#define XX(name, desc) \
  case BATON_E##name:  \
    return #name;
    BATON_ERRNO_MAP(XX)
#undef XX
    default: return "UNKNOWN";
  }
}

const char *baton_errno_describe(baton_errno_t code) {
  switch (code) {
    case BATON_OK: return "success";
#define XX(name, desc) \
  case BATON_E##name:  \
    return desc;
    BATON_ERRNO_MAP(XX)
#undef XX
    default: return "unknown error";
  }
}

baton_error_t *baton_error_wrap(baton_error_t *err, const char *fmt, ...) {
  if (!err || err == &g_oom_error) return err;
  char *prefix = NULL, *joined = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&prefix, fmt, ap);
  va_end(ap);
  if (n < 0) return err;
  if (asprintf(&joined, "%s: %s", prefix, err->message) >= 0) {
    free(err->message);
    err->message = joined;
  }
  free(prefix);
  return err;
}

void baton_error_delete(baton_error_t *err) {
  if (!err || err == &g_oom_error) return;
  free(err->message);
  free(err);
}

/* ---- traps ---- */

struct baton_trap {
  baton_trap_kind_t kind;
  int exit_status;
  char *message;
  char *export_name;
};

static baton_trap_t g_oom_trap = {BATON_TRAP_MEMORY, 0, "out of memory", NULL};

const char *baton_trap_kind_name(baton_trap_kind_t kind) {
  switch (kind) {
    case BATON_TRAP_NONE: return "NONE";
#define XX(name, desc)     \
  case BATON_TRAP_##name:  \
    return #name;
    BATON_TRAP_MAP(XX)
#undef XX
    default: return "UNKNOWN";
  }
}

const char *bt_trap_kind_describe(baton_trap_kind_t kind) {
  switch (kind) {
#define XX(name, desc)     \
  case BATON_TRAP_##name:  \
    return desc;
    BATON_TRAP_MAP(XX)
#undef XX
    default: return "trap";
  }
}

static baton_trap_t *trap_newv(baton_trap_kind_t kind, const char *fmt,
                               va_list ap) {
  baton_trap_t *t = calloc(1, sizeof *t);
  if (!t) return &g_oom_trap;
  t->kind = kind;
  if (vasprintf(&t->message, fmt, ap) < 0) {
    free(t);
    return &g_oom_trap;
  }
  return t;
}

baton_trap_t *baton_trap_new(baton_trap_kind_t kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  baton_trap_t *t = trap_newv(kind, fmt, ap);
  va_end(ap);
  return t;
}

baton_trap_t *baton_trap_new_exit(int status) {
  baton_trap_t *t = baton_trap_new(BATON_TRAP_EXIT, "guest exited with status %d", status);
  if (t != &g_oom_trap) t->exit_status = status;
  return t;
}

void bt_trap_set_export(baton_trap_t *t, const char *export_name) {
  if (!t || t == &g_oom_trap || !export_name || t->export_name) return;
  t->export_name = strdup(export_name);
  if (t->kind == BATON_TRAP_EXIT) return;
  char *joined = NULL;
  if (asprintf(&joined, "%s (in export \"%s\")", t->message, export_name) >= 0) {
    free(t->message);
    t->message = joined;
  }
}

baton_trap_kind_t baton_trap_kind(const baton_trap_t *trap) {
  return trap ? trap->kind : BATON_TRAP_NONE;
}

const char *baton_trap_message(const baton_trap_t *trap) {
  return trap ? trap->message : "";
}

const char *baton_trap_export(const baton_trap_t *trap) {
  return trap ? trap->export_name : NULL;
}

int baton_trap_exit_status(const baton_trap_t *trap) {
  return trap ? trap->exit_status : 0;
}

void baton_trap_delete(baton_trap_t *trap) {
  if (!trap || trap == &g_oom_trap) return;
  free(trap->message);
  free(trap->export_name);
  free(trap);
}
