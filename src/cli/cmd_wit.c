/*
 * src/cli/cmd_wit.c: `baton wit PATH [--world NAME]`, which parses and
 * resolves WIT (a .wit file or a directory with an optional deps/ folder)
 * and prints the resolved packages in normalized WIT text, or with --world
 * one world in the form wasm-tools prints a component of that world.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "wit/wit.h"

int cmd_wit(int argc, char **argv) {
  cli_opt_t opts[] = {{"world", 0, true, NULL}};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = pos ? cli_parse(argc, argv, opts, 1, pos) : -1;
  if (npos != 1) {
    if (npos >= 0) fprintf(stderr, "usage: baton wit PATH [--world NAME]\n");
    free(pos);
    return BT_EXIT_USAGE;
  }
  const char *path = pos[0];
  free(pos);
  bt_wit_resolve_t *r = NULL;
  baton_error_t *err = bt_wit_parse_path(path, &r);
  if (err) return cli_fail(err);
  const char *world_name = cli_get(opts, 1, "world");
  if (world_name) {
    const bt_wit_world_t *w;
    err = bt_wit_find_world(r, world_name, &w);
    if (!err) err = bt_wit_print_world(r, w, stdout);
  } else {
    err = bt_wit_print(r, stdout);
  }
  bt_wit_free(r);
  if (err) return cli_fail(err);
  return BT_EXIT_OK;
}
