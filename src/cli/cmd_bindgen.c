/*
 * src/cli/cmd_bindgen.c: `baton bindgen c --wit PATH [--world NAME] --out
 * DIR`, which writes C guest bindings for a WIT world (`<world>.h` and
 * `<world>.c`, see docs/bindgen.md) into DIR and prints the two paths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindgen/bindgen.h"
#include "cli/cli.h"
#include "wit/wit.h"

static const char *USAGE = "usage: baton bindgen c --wit PATH [--world NAME] --out DIR\n";

int cmd_bindgen(int argc, char **argv) {
  cli_opt_t opts[] = {{"wit", 0, true, NULL}, {"world", 0, true, NULL}, {"out", 'o', true, NULL}};
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = pos ? cli_parse(argc, argv, opts, 3, pos) : -1;
  const char *lang = npos == 1 ? pos[0] : NULL;
  free(pos);
  if (npos < 0) return BT_EXIT_USAGE;
  if (npos != 1) {
    fputs(USAGE, stderr);
    return BT_EXIT_USAGE;
  }
  if (strcmp(lang, "c") != 0) {
    fprintf(stderr, "baton: bindgen: unknown language `%s` (only `c` is supported)\n", lang);
    return BT_EXIT_USAGE;
  }
  const char *wit = cli_get(opts, 3, "wit"), *out = cli_get(opts, 3, "out");
  if (!wit || !out) {
    fprintf(stderr, "baton: bindgen: %s is required\n%s", !wit ? "--wit" : "--out", USAGE);
    return BT_EXIT_USAGE;
  }
  bt_wit_resolve_t *r = NULL;
  baton_error_t *err = bt_wit_parse_path(wit, &r);
  if (err) return cli_fail(err);
  const bt_wit_world_t *w = NULL;
  err = bt_wit_find_world(r, cli_get(opts, 3, "world"), &w);
  char *base = NULL;
  if (!err) err = bt_bindgen_c_write(r, w, out, &base);
  bt_wit_free(r);
  if (err) return cli_fail(err);
  printf("%s/%s.h\n%s/%s.c\n", out, base, out, base);
  bt_free(base);
  return BT_EXIT_OK;
}
