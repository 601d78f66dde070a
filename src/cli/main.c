/*
 * src/cli/main.c: the `baton` command-line tool's entry point: dispatches
 * subcommands and holds the helpers shared by them (option scanning, value
 * literals and formatting).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "value/value.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: baton <command> [options] [args]\n"
          "\n"
          "commands:\n"
          "  call FILE.wasm [EXPORT] [ARGS...]  instantiate a module and call an export\n"
          "      --timeout MS        per-call deadline\n"
          "      --max-memory BYTES  linear memory limit (K, M, G suffixes)\n"
          "      --repeat N          N fresh instance+call cycles; median on stderr\n"
          "      --dir HOST[:GUEST][:ro]  grant a host directory (repeatable; none by default)\n"
          "  compile FILE.wasm...    compile ahead of time into the cache\n"
          "  inspect FILE.wasm       show imports, exports, memories, custom sections\n"
          "  wit PATH [--world NAME] print resolved WIT (a .wit file or a directory)\n"
          "  bindgen c --wit PATH [--world NAME] --out DIR\n"
          "                          write C guest bindings <world>.h/.c for a WIT world\n"
          "  run [-f FILE] [FLOW]    run a flow once (--input WAVE | --input-json JSON,\n"
          "                          --repeat N, --json, --quiet)\n"
          "  up [-f FILE]            run the app's triggers (cli: one input per stdin line;\n"
          "                          timer), --duration MS to stop\n"
          "  call -f FILE COMPONENT EXPORT [WAVE-ARGS...]  call one component of an app\n"
          "  graph [-f FILE] [FLOW]  print a flow as Graphviz DOT\n"
          "  build [-f FILE]         run component build commands, then AOT-compile\n"
          "  wast FILE.wast...       run WebAssembly spec scripts (-j N, --skip FILE)\n"
          "  cache ls|prune|clear    list compiled modules (size, last use); remove least\n"
          "                          recently used ones down to --max SIZE or\n"
          "                          BATON_CACHE_MAX; remove them all\n"
          "  plugins list            list plugins (baton-NAME executables on PATH);\n"
          "                          `baton NAME ARGS...` runs one\n"
          "  version                 print the version\n"
          "  help                    this text\n"
          "\n"
          "exit status: 0 success; 1 guest trap, deadline or non-zero guest exit;\n"
          "             2 usage, load, link or compile error\n");
}

static bool is_number_like(const char *s) {
  if (s[0] != '-') return false;
  return (s[1] >= '0' && s[1] <= '9') || s[1] == '.' || !strcmp(s, "-inf") || !strcmp(s, "-nan") ||
         !strcmp(s, "-infinity");
}

int cli_parse(int argc, char **argv, cli_opt_t *opts, size_t nopts, char **pos) {
  int npos = 0;
  bool only_pos = false;
  for (int i = 0; i < argc; i++) {
    char *a = argv[i];
    if (only_pos || a[0] != '-' || a[1] == 0 || is_number_like(a)) {
      pos[npos++] = a;
      continue;
    }
    if (!strcmp(a, "--")) {
      only_pos = true;
      continue;
    }
    cli_opt_t *o = NULL;
    const char *inline_val = NULL;
    if (a[1] == '-') {
      const char *name = a + 2;
      const char *eq = strchr(name, '=');
      size_t n = eq ? (size_t)(eq - name) : strlen(name);
      for (size_t k = 0; k < nopts; k++)
        if (strlen(opts[k].name) == n && !strncmp(opts[k].name, name, n)) o = &opts[k];
      if (eq) inline_val = eq + 1;
    } else if (a[2] == 0) {
      for (size_t k = 0; k < nopts; k++)
        if (opts[k].short_name == a[1]) o = &opts[k];
    }
    if (!o) {
      fprintf(stderr, "baton: unknown option %s (see `baton help`)\n", a);
      return -1;
    }
    if (o->has_value) {
      if (inline_val) {
        o->value = inline_val;
      } else if (i + 1 < argc) {
        o->value = argv[++i];
      } else {
        fprintf(stderr, "baton: option %s needs a value\n", a);
        return -1;
      }
    } else {
      if (inline_val) {
        fprintf(stderr, "baton: option --%s takes no value\n", o->name);
        return -1;
      }
      o->value = "1";
    }
  }
  return npos;
}

const char *cli_get(const cli_opt_t *opts, size_t nopts, const char *name) {
  for (size_t k = 0; k < nopts; k++)
    if (!strcmp(opts[k].name, name)) return opts[k].value;
  return NULL;
}

bool cli_parse_size(const char *s, uint64_t *out) {
  if (!s || !*s || *s == '-') return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s) return false;
  uint64_t mul = 1;
  if (*end == 'k' || *end == 'K') mul = 1024, end++;
  else if (*end == 'm' || *end == 'M') mul = 1024 * 1024, end++;
  else if (*end == 'g' || *end == 'G') mul = 1024ull * 1024 * 1024, end++;
  if (*end == 'i' || *end == 'I') end++;
  if (*end == 'b' || *end == 'B') end++;
  if (*end) return false;
  if (v > UINT64_MAX / mul) return false;
  *out = v * mul;
  return true;
}

/* Parses a signed or unsigned integer literal (decimal or 0x hex) that fits
 * in `bits` bits either way. */
static bool parse_int(const char *s, unsigned bits, int64_t *out) {
  char *end;
  errno = 0;
  if (isspace((unsigned char)s[0])) return false; /* strto* would skip it */
  if (s[0] == '-') {
    long long v = strtoll(s, &end, 0);
    if (errno || *end || end == s) return false;
    if (bits == 32 && v < INT32_MIN) return false;
    *out = v;
    return true;
  }
  if (s[0] == '+') s++;
  if (s[0] == '-' || s[0] == '+') return false;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end || end == s) return false;
  if (bits == 32 && v > UINT32_MAX) return false;
  *out = (int64_t)v;
  return true;
}

bool cli_parse_val(const char *s, baton_valkind_t kind, baton_val_t *out) {
  out->kind = kind;
  int64_t i;
  char *end;
  switch (kind) {
    case BATON_I32:
      if (!parse_int(s, 32, &i)) return false;
      out->of.i32 = (int32_t)(uint32_t)i;
      return true;
    case BATON_I64:
      if (!parse_int(s, 64, &i)) return false;
      out->of.i64 = i;
      return true;
    case BATON_F32:
      if (!*s || isspace((unsigned char)s[0])) return false;
      errno = 0;
      out->of.f32 = strtof(s, &end);
      /* overflow to infinity is an error; underflow (subnormals) is not */
      return !*end && !(errno == ERANGE && isinf(out->of.f32));
    case BATON_F64:
      if (!*s || isspace((unsigned char)s[0])) return false;
      errno = 0;
      out->of.f64 = strtod(s, &end);
      return !*end && !(errno == ERANGE && isinf(out->of.f64));
    case BATON_V128: {
      /* `i32x4 1 2 3 4` (any of i8x16, i16x8, i32x4, i64x2), as in WAT */
      static const struct { const char *shape; unsigned lanes, bits; } shapes[] = {
          {"i8x16", 16, 8}, {"i16x8", 8, 16}, {"i32x4", 4, 32}, {"i64x2", 2, 64}};
      for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        size_t n = strlen(shapes[k].shape);
        if (strncmp(s, shapes[k].shape, n) != 0) continue;
        const char *p = s + n;
        for (unsigned lane = 0; lane < shapes[k].lanes; lane++) {
          errno = 0;
          long long x = strtoll(p, &end, 0);
          if (errno || end == p) return false;
          unsigned bytes = shapes[k].bits / 8;
          for (unsigned b = 0; b < bytes; b++) out->of.v128[lane * bytes + b] = (uint8_t)((uint64_t)x >> (8 * b));
          p = end;
        }
        while (isspace((unsigned char)*p)) p++;
        return !*p;
      }
      return false;
    }
    case BATON_FUNCREF:
    case BATON_EXTERNREF:
      out->of.ref = NULL;
      return !strcmp(s, "null");
  }
  return false;
}

void cli_print_val(const baton_val_t *v, char *buf, size_t size) {
  double d = v->kind == BATON_F32 ? v->of.f32 : v->of.f64;
  switch (v->kind) {
    case BATON_I32: snprintf(buf, size, "%d", v->of.i32); return;
    case BATON_I64: snprintf(buf, size, "%lld", (long long)v->of.i64); return;
    case BATON_F32:
    case BATON_F64: {
      /* The value layer's WAVE float form: any NaN is `nan`, shortest digits
       * (for f32 precision when f32), no `%g` exponent for 249750. */
      char num[40];
      bt_value_format_float(d, v->kind == BATON_F32, num);
      snprintf(buf, size, "%s", num);
      return;
    }
    case BATON_V128: {
      uint32_t w[4];
      memcpy(w, v->of.v128, 16);
      snprintf(buf, size, "i32x4 0x%08x 0x%08x 0x%08x 0x%08x", w[0], w[1], w[2], w[3]);
      return;
    }
    case BATON_FUNCREF:
    case BATON_EXTERNREF:
      snprintf(buf, size, "%s", v->of.ref ? (v->kind == BATON_FUNCREF ? "funcref" : "externref") : "null");
      return;
  }
}

int cli_fail(baton_error_t *err) {
  fprintf(stderr, "baton: %s\n", baton_error_message(err));
  baton_error_delete(err);
  return BT_EXIT_USAGE;
}

int main(int argc, char **argv) {
  /* A write past `ulimit -f` fails with EFBIG (reported by the cache as
   * such) instead of killing baton. */
  signal(SIGXFSZ, SIG_IGN);
  if (argc < 2) {
    usage(stderr);
    return BT_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "call")) return cmd_call(argc - 2, argv + 2);
  if (!strcmp(cmd, "compile")) return cmd_compile(argc - 2, argv + 2);
  if (!strcmp(cmd, "inspect")) return cmd_inspect(argc - 2, argv + 2);
  if (!strcmp(cmd, "wit")) return cmd_wit(argc - 2, argv + 2);
  if (!strcmp(cmd, "bindgen")) return cmd_bindgen(argc - 2, argv + 2);
  if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
  if (!strcmp(cmd, "up")) return cmd_up(argc - 2, argv + 2);
  if (!strcmp(cmd, "graph")) return cmd_graph(argc - 2, argv + 2);
  if (!strcmp(cmd, "build")) return cmd_build(argc - 2, argv + 2);
  if (!strcmp(cmd, "wast")) return cmd_wast(argc - 2, argv + 2);
  if (!strcmp(cmd, "plugins")) return cmd_plugins(argc - 2, argv + 2);
  if (!strcmp(cmd, "cache")) return cmd_cache(argc - 2, argv + 2);
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    printf("baton %s\n", baton_version());
    return BT_EXIT_OK;
  }
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    usage(stdout);
    return BT_EXIT_OK;
  }
  if (cmd[0] != '-') return cmd_plugin(cmd, argc - 2, argv + 2);
  fprintf(stderr, "baton: unknown option `%s`\n", cmd);
  usage(stderr);
  return BT_EXIT_USAGE;
}
