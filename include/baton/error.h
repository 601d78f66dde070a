/*
 * baton/error.h: the error object every public call returns.
 *
 * A public call returns NULL on success or a baton_error_t describing what
 * went wrong. Errors carry a code from the BATON_ERRNO_MAP list and a
 * human-readable message. Guest traps are not errors: calls that run guest
 * code report them through a separate baton_trap_t out-parameter (trap.h).
 */
#ifndef BATON_ERROR_H
#define BATON_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes: XX(name, "description"). Append only; values are stable. */
#define BATON_ERRNO_MAP(XX)                                        \
  XX(INVALID_ARGUMENT, "invalid argument")                         \
  XX(NO_MEMORY, "out of memory")                                   \
  XX(IO, "input/output error")                                     \
  XX(NOT_FOUND, "not found")                                       \
  XX(MALFORMED, "malformed binary")                                \
  XX(INVALID, "invalid module")                                    \
  XX(UNSUPPORTED, "unsupported feature")                           \
  XX(COMPILE, "ahead-of-time compilation failed")                  \
  XX(CACHE, "compilation cache error")                             \
  XX(LINK, "unresolved or mistyped import")                        \
  XX(LIMIT, "resource limit exceeded")                             \
  XX(TYPE, "type mismatch")                                        \
  XX(SYNTAX, "syntax error")                                       \
  XX(STATE, "object in wrong state")                               \
  XX(HOST, "host function failed")

typedef enum {
  BATON_OK = 0,
#define BATON_XX_(name, desc) BATON_E##name,
  BATON_ERRNO_MAP(BATON_XX_)
#undef BATON_XX_
  BATON_ERRNO_MAX
} baton_errno_t;

typedef struct baton_error baton_error_t;

/* Creates an error with a printf-style message. Caller owns the result; free
 * with baton_error_delete(). Never returns NULL (falls back to a static
 * out-of-memory error, which baton_error_delete() accepts). */
baton_error_t *baton_error_new(baton_errno_t code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
baton_error_t *baton_error_newv(baton_errno_t code, const char *fmt, va_list ap);

/* Returns the error's code. Borrows err. */
baton_errno_t baton_error_code(const baton_error_t *err);

/* Returns the error's message; valid until the error is deleted. */
const char *baton_error_message(const baton_error_t *err);

/* Returns a static name for a code, such as "MALFORMED". */
const char *baton_errno_name(baton_errno_t code);

/* Returns a static one-line description for a code. */
const char *baton_errno_describe(baton_errno_t code);

/* Prefixes err's message with a printf-style context ("loading x.wasm: ...").
 * Takes ownership of err and returns the (possibly reallocated) error. */
baton_error_t *baton_error_wrap(baton_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees an error. NULL is a no-op. */
void baton_error_delete(baton_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
