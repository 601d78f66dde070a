/*
 * tests/component/wasi2/command.c: a wasi-libc command (main), made into a
 * component with the preview1 command adapter (it exports wasi:cli/run),
 * for test_wasi2.sh: prints its arguments and exits with argc - 1.
 */
#include <stdio.h>

int main(int argc, char **argv) {
  printf("command: argc=%d\n", argc);
  for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  fprintf(stderr, "command: done\n");
  return argc - 1;
}
