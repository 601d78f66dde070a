/*
 * baton/trap.h: the outcome of guest code that did not return normally.
 *
 * A trap is distinct from a host error: a host error means baton could not do
 * what was asked (bad input, I/O), while a trap means the guest ran and
 * stopped abnormally (out-of-bounds access, deadline, proc_exit). Calls that
 * run guest code take a `baton_trap_t **trap` out-parameter, set only when the
 * call returned NULL (no host error) and the guest trapped.
 */
#ifndef BATON_TRAP_H
#define BATON_TRAP_H

#ifdef __cplusplus
extern "C" {
#endif

/* Trap kinds: XX(name, "message"). Append only; values are stable.
 * call_indirect traps are UNDEFINED_ELEMENT (index past the table's end),
 * UNINITIALIZED_ELEMENT (a null entry) or CALL_INDIRECT (the entry's type
 * is not the expected one); table accesses out of bounds (element
 * segments, table.init, table.copy, table.get, table.set, table.fill) are
 * TABLE_OOB, memory accesses OOB. */
#define BATON_TRAP_MAP(XX)                                       \
  XX(OOB, "out of bounds memory access")                         \
  XX(INT_OVERFLOW, "integer overflow")                           \
  XX(DIV_BY_ZERO, "integer divide by zero")                      \
  XX(INVALID_CONVERSION, "invalid conversion to integer")        \
  XX(UNREACHABLE, "unreachable executed")                        \
  XX(CALL_INDIRECT, "indirect call type mismatch")               \
  XX(EXHAUSTION, "call stack exhausted")                         \
  XX(TIMEOUT, "deadline exceeded")                               \
  XX(MEMORY, "out of memory")                                    \
  XX(EXIT, "guest exited")                                       \
  XX(HOST, "host function trapped")                              \
  XX(POISONED, "instance unusable after an earlier trap")        \
  XX(ABI, "canonical ABI violation")                             \
  XX(TABLE_OOB, "out of bounds table access")                    \
  XX(UNDEFINED_ELEMENT, "undefined element")                     \
  XX(UNINITIALIZED_ELEMENT, "uninitialized element")

typedef enum {
  BATON_TRAP_NONE = 0,
#define BATON_TXX_(name, desc) BATON_TRAP_##name,
  BATON_TRAP_MAP(BATON_TXX_)
#undef BATON_TXX_
  BATON_TRAP_MAX
} baton_trap_kind_t;

typedef struct baton_trap baton_trap_t;

/* Creates a trap of a kind with a printf-style message. Caller owns it; free
 * with baton_trap_delete(). Host functions return one to trap the guest. */
baton_trap_t *baton_trap_new(baton_trap_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Creates an EXIT trap carrying a process exit status (as proc_exit does). */
baton_trap_t *baton_trap_new_exit(int status);

baton_trap_kind_t baton_trap_kind(const baton_trap_t *trap);

/* Returns the full message, such as `integer divide by zero (in export
 * "div")`. Valid until the trap is deleted. */
const char *baton_trap_message(const baton_trap_t *trap);

/* Returns the export that was called when the trap happened, or NULL. */
const char *baton_trap_export(const baton_trap_t *trap);

/* Returns the exit status of an EXIT trap, 0 for other kinds. */
int baton_trap_exit_status(const baton_trap_t *trap);

/* Returns a static name for a kind, such as "DIV_BY_ZERO". */
const char *baton_trap_kind_name(baton_trap_kind_t kind);

void baton_trap_delete(baton_trap_t *trap);

#ifdef __cplusplus
}
#endif
#endif
