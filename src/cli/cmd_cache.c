/*
 * src/cli/cmd_cache.c: `baton cache ls|prune|clear`, the administration of
 * the compiled-module cache (the engine's cache directory; see
 * src/engine/cache.c). ls lists entries least recently used first with
 * their size and last use; prune removes least recently used entries until
 * the cache fits in --max SIZE or $BATON_CACHE_MAX; clear removes every
 * entry. Only files named as baton names them are ever removed.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "engine/internal.h"

/* Formats a byte count as "12.3 KiB". */
static void human_size(unsigned long long b, char *buf, size_t n) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)b;
  size_t u = 0;
  while (v >= 1024 && u + 1 < BT_ARRAY_LEN(units)) v /= 1024, u++;
  if (u == 0) snprintf(buf, n, "%llu B", b);
  else snprintf(buf, n, "%.1f %s", v, units[u]);
}

/* Formats an age in seconds as "5 s", "3 min", "2 h", "4 d". */
static void human_age(long long s, char *buf, size_t n) {
  if (s < 0) s = 0;
  if (s < 120) snprintf(buf, n, "%lld s", s);
  else if (s < 7200) snprintf(buf, n, "%lld min", s / 60);
  else if (s < 172800) snprintf(buf, n, "%lld h", s / 3600);
  else snprintf(buf, n, "%lld d", s / 86400);
}

static int cache_ls(const char *dir) {
  bt_cache_entry_t *es;
  size_t n;
  baton_error_t *err = bt_cache_list(dir, &es, &n);
  if (err) return cli_fail(err);
  unsigned long long total = 0;
  time_t now = time(NULL);
  for (size_t i = 0; i < n; i++) {
    char size[32], age[32];
    human_size(es[i].bytes, size, sizeof size);
    human_age((long long)now - es[i].last_used, age, sizeof age);
    const char *state = es[i].has_object && es[i].has_record ? ""
                        : es[i].failed                        ? "  (failed compile)"
                                                              : "  (incomplete)";
    printf("%s  %10s  used %s ago%s\n", es[i].key, size, age, state);
    total += es[i].bytes;
  }
  char size[32];
  human_size(total, size, sizeof size);
  printf("%zu %s, %s in %s\n", n, n == 1 ? "entry" : "entries", size, dir);
  bt_free(es);
  return BT_EXIT_OK;
}

int cmd_cache(int argc, char **argv) {
  cli_opt_t opts[] = {{"max", 0, true, NULL}};
  char *pos[argc + 1];
  int npos = cli_parse(argc, argv, opts, BT_ARRAY_LEN(opts), pos);
  if (npos < 0) return BT_EXIT_USAGE;
  if (npos != 1 || (strcmp(pos[0], "ls") && strcmp(pos[0], "prune") && strcmp(pos[0], "clear"))) {
    fprintf(stderr, "usage: baton cache ls | prune [--max SIZE] | clear\n");
    return BT_EXIT_USAGE;
  }
  baton_engine_t *engine = NULL;
  baton_error_t *err = baton_engine_new(NULL, &engine);
  if (err) return cli_fail(err);
  const char *dir = baton_engine_cache_dir(engine);
  int rc = BT_EXIT_OK;
  if ((err = bt_cache_dir_prepare(dir))) {
    rc = cli_fail(err);
  } else if (!strcmp(pos[0], "ls")) {
    rc = cache_ls(dir);
  } else {
    unsigned long long max = 0, freed = 0;
    size_t removed = 0;
    const char *opt = cli_get(opts, BT_ARRAY_LEN(opts), "max");
    uint64_t v;
    if (!strcmp(pos[0], "prune") && opt && !cli_parse_size(opt, &v)) {
      fprintf(stderr, "baton: --max wants a size such as 500M, not `%s`\n", opt);
      rc = BT_EXIT_USAGE;
    } else if (!strcmp(pos[0], "prune") && !opt && !bt_cache_max_bytes(&max)) {
      fprintf(stderr, "baton: cache prune needs a size: --max SIZE or BATON_CACHE_MAX (K, M, G suffixes)\n");
      rc = BT_EXIT_USAGE;
    } else {
      if (opt) max = v;
      err = !strcmp(pos[0], "prune") ? bt_cache_prune(dir, max, NULL, &removed, &freed)
                                      : bt_cache_clear(dir, &removed, &freed);
      if (err) {
        rc = cli_fail(err);
      } else {
        char size[32];
        human_size(freed, size, sizeof size);
        printf("removed %zu %s (%s) from %s\n", removed, removed == 1 ? "entry" : "entries", size, dir);
      }
    }
  }
  baton_engine_delete(engine);
  return rc;
}
