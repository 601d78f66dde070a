/*
 * tests/guests/cli_command.c: a WASI command (BATON_GUEST_COMMAND) whose
 * main prints a line on each stream and succeeds, for `baton call FILE`
 * without an EXPORT argument.
 */
#include <stdio.h>

int main(int argc, char **argv) {
  printf("hello from _start (argc=%d)\n", argc);
  fprintf(stderr, "note on stderr\n");
  return 0;
}
