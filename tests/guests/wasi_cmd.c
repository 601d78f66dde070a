/*
 * tests/guests/wasi_cmd.c: a WASI command (BATON_GUEST_COMMAND: built with
 * _start) for tests/wasi and tests/cli. main() prints its argv and
 * environment, then returns 7, which wasi-libc's _start turns into
 * proc_exit(7). With the single argument "ok" it returns 0 instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  for (char **e = environ; e && *e; e++) printf("env: %s\n", *e);
  const char *g = getenv("GREETING");
  printf("GREETING=%s\n", g ? g : "(unset)");
  if (argc == 2 && strcmp(argv[1], "ok") == 0) return 0;
  return 7;
}
