/*
 * src/cli/cmd_wit.c: `baton wit PATH [--world NAME]`, which parses and
 * resolves WIT (a .wit file or a directory with an optional deps/ folder)
 * and prints the resolved packages in normalized WIT text, or with --world
 * one world in the form wasm-tools prints a component of that world. For a
 * .wasm (a component, or a core module with an embedded component-type
 * section) it prints the world the binary carries, as `wasm-tools component
 * wit` does; a component that is a WIT package encoded as a component (what
 * `wasm-tools component wit --wasm` writes) prints as that package.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "component/component.h"
#include "util/fileio.h"
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
  baton_error_t *err = NULL;
  bool binary = false, component = false;
  unsigned char magic[4] = {0};
  binary = bt_read_head(path, magic, 4) == 4 && !memcmp(magic, "\0asm", 4);
  if (binary) {
    /* A component or a core module with a component-type section. */
    uint8_t *bytes = NULL;
    size_t n = 0;
    err = bt_read_input(path, true, &bytes, &n);
    if (!err) {
      component = n >= 8 && bytes[6] == 1; /* layer 1: a component, not a core module */
      err = bt_component_decode_wit(bytes, n, &r);
    }
    bt_free(bytes);
  }
  if (!binary) err = bt_wit_parse_path(path, &r);
  if (err && strstr(baton_error_message(err), path)) return cli_fail(err); /* names the file already */
  if (err) return cli_fail(baton_error_wrap(err, "%s", path));
  const char *world_name = cli_get(opts, 1, "world");
  /* A WIT package (not world `root` of `root:component`) prints whole. */
  bool package = binary && component && !world_name && r->main &&
                 !(strcmp(r->main->namespace_, "root") == 0 && strcmp(r->main->name, "component") == 0);
  if (package) {
    err = bt_wit_print(r, stdout);
  } else if (binary) {
    const bt_wit_world_t *w;
    err = bt_wit_find_world(r, world_name, &w);
    if (!err) err = bt_wit_print_world(r, w, stdout);
  } else if (world_name) {
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
