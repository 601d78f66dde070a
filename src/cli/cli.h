/*
 * src/cli/cli.h: shared pieces of the `baton` command-line tool: exit
 * codes, the option scanner (options may come before or after positional
 * arguments; `--` ends options; a negative number is an argument) and
 * value formatting.
 */
#ifndef BT_CLI_H
#define BT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/baton.h"

/* Exit codes, documented in README.md. */
enum {
  BT_EXIT_OK = 0,
  BT_EXIT_GUEST = 1, /* guest trap, deadline, or exit status other than 0 */
  BT_EXIT_USAGE = 2, /* usage, load, link or compile error */
};

/* One option a command accepts. */
typedef struct {
  const char *name;  /* long name without dashes, e.g. "timeout" */
  char short_name;   /* or 0 */
  bool has_value;
  const char *value; /* filled by cli_parse: the value, or "1" for flags */
} cli_opt_t;

/* Splits argv into options (filled into opts) and positional arguments
 * (returned in pos, which must hold argc entries). Returns the number of
 * positionals, or -1 after printing an error naming the bad option. */
int cli_parse(int argc, char **argv, cli_opt_t *opts, size_t nopts, char **pos);

/* Returns the option's value or NULL. */
const char *cli_get(const cli_opt_t *opts, size_t nopts, const char *name);

/* Parses an unsigned integer with an optional K/M/G (binary) suffix. */
bool cli_parse_size(const char *s, uint64_t *out);

/* Parses a literal into a value of the given kind. */
bool cli_parse_val(const char *s, baton_valkind_t kind, baton_val_t *out);

/* Prints a value as baton call does (i32/i64 signed decimal, floats in the
 * shortest form that reads back exactly, nan, inf). */
void cli_print_val(const baton_val_t *v, char *buf, size_t size);

/* Prints an error's message as "baton: MESSAGE" and deletes it. */
int cli_fail(baton_error_t *err);

int cmd_call(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_wit(int argc, char **argv);
int cmd_bindgen(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_wast(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_plugin(const char *name, int argc, char **argv);
int cmd_call_app(const char *file, int npos, char **pos, bool json);
/* Runs a typed call when the module has WIT (--wit, or an embedded
 * component-type section); sets *handled false otherwise. */
int cmd_call_typed(const char *file, int npos, char **pos, const char *wit, const char *world, bool json,
                   uint64_t timeout, uint64_t max_mem, bool *handled);
/* `baton call` on a component binary (cmd_component.c). */
/* The `baton call --dir` grants (valid until the call command ends). */
void cli_call_dirs(const baton_wasi_preopen_t **dirs, size_t *n);
int cmd_call_component(const char *file, int npos, char **pos, bool json, uint64_t timeout, uint64_t max_mem);
/* Whether path is a component binary; compiling one (its core modules)
 * for `baton compile` and `baton build`, with a one-line summary. */
bool cli_is_component_file(const char *path);
baton_error_t *cli_compile_component(baton_engine_t *engine, const char *path, char *summary, size_t n);

#endif
