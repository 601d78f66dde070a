/*
 * tests/wasm/test_wasm_spec.c: the binary reader and validator against the
 * WebAssembly 2.0 core spec suite.
 *
 * Every .wast of the suite (at $BATON_WASM_TESTSUITE, else
 * $BATON_SOURCE_DIR/../shared/data/wasm-testsuite; a missing suite is a
 * failure) is converted with wast2json into a temporary directory, then each
 * command that names a binary module is checked against bt_wasm_parse:
 * `module`, `assert_uninstantiable` and `assert_unlinkable` modules must
 * parse; `assert_invalid` ones must fail with BATON_EINVALID; binary
 * `assert_malformed` ones must fail with BATON_EMALFORMED, or with
 * BATON_EUNSUPPORTED where the bytes are an encoding from a later proposal
 * that the reader names as unsupported (tags, more than 50000 locals); text
 * ones do not apply to a binary reader. Nothing is compiled, so the sweep takes seconds.
 * Every mismatch is listed with the file, line, expected failure text and the
 * reader's message; any mismatch fails the test. With
 * BATON_WASM_SPEC_VERBOSE=1 the messages of the expected failures are
 * printed too, for comparing wordings.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "test.h"
#include "wasm/wasm.h"

/* Copies the string value of "key": "..." on a wast2json command line into
 * out (escapes kept verbatim); returns false when the key is absent. */
static bool json_str(const char *line, const char *key, char *out,
                     size_t size) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": \"", key);
  const char *p = strstr(line, pat);
  if (!p) return false;
  p += strlen(pat);
  size_t o = 0;
  while (*p && *p != '"' && o + 1 < size) {
    if (*p == '\\' && p[1]) out[o++] = *p++;
    out[o++] = *p++;
  }
  out[o] = 0;
  return true;
}

/* Returns the "line" number of a command line, or 0. */
static int json_line(const char *line) {
  const char *p = strstr(line, "\"line\": ");
  return p ? atoi(p + 8) : 0;
}

typedef struct {
  int checked, mismatches;
  bool verbose;
} sweep_t;

/* Checks one command of `wast` (its JSON line) whose modules live in dir. */
static void check_command(sweep_t *s, const char *dir, const char *wast,
                          const char *line) {
  char type[64], file[512], mtype[32] = "", text[256] = "";
  if (!json_str(line, "type", type, sizeof type) ||
      !json_str(line, "filename", file, sizeof file))
    return;
  json_str(line, "module_type", mtype, sizeof mtype);
  json_str(line, "text", text, sizeof text);
  bool want_ok = strcmp(type, "module") == 0 ||
                 strcmp(type, "assert_uninstantiable") == 0 ||
                 strcmp(type, "assert_unlinkable") == 0;
  baton_errno_t want_code = BATON_EMALFORMED;
  if (strcmp(type, "assert_invalid") == 0)
    want_code = BATON_EINVALID;
  else if (strcmp(type, "assert_malformed") == 0 && strcmp(mtype, "binary") == 0)
    want_code = BATON_EMALFORMED;
  else if (!want_ok)
    return;
  char path[2048];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  size_t len = 0;
  unsigned char *bytes = t_read_file(path, &len);
  if (!bytes) {
    fprintf(stderr, "MISMATCH %s:%d: cannot read %s\n", wast, json_line(line),
            path);
    s->mismatches++;
    return;
  }
  bt_wasm_module_t *m = NULL;
  baton_error_t *e = bt_wasm_parse(bytes, len, &m);
  s->checked++;
  if (want_ok) {
    if (e) {
      fprintf(stderr, "MISMATCH %s:%d: %s %s must parse, got %s: %s\n", wast,
              json_line(line), type, file, baton_errno_name(baton_error_code(e)),
              baton_error_message(e));
      s->mismatches++;
    }
  } else if (!e) {
    fprintf(stderr, "MISMATCH %s:%d: %s %s (\"%s\") parsed OK\n", wast,
            json_line(line), type, file, text);
    s->mismatches++;
  } else if (baton_error_code(e) != want_code &&
             !(want_code == BATON_EMALFORMED &&
               baton_error_code(e) == BATON_EUNSUPPORTED)) {
    fprintf(stderr, "MISMATCH %s:%d: %s %s (\"%s\"): want %s, got %s: %s\n",
            wast, json_line(line), type, file, text,
            baton_errno_name(want_code), baton_errno_name(baton_error_code(e)),
            baton_error_message(e));
    s->mismatches++;
  } else if (s->verbose) {
    fprintf(stderr, "ok %s:%d: \"%s\" -> %s\n", wast, json_line(line), text,
            baton_error_message(e));
  }
  baton_error_delete(e);
  bt_wasm_module_free(m);
  free(bytes);
}

/* Converts suite/name.wast into tmp/name/ and checks its commands. */
static void sweep_file(sweep_t *s, const char *suite, const char *tmp,
                       const char *name) {
  char dir[1024], cmd[8192], json[1200];
  size_t nl = strlen(name) - 5; /* without ".wast" */
  snprintf(dir, sizeof dir, "%s/%.*s", tmp, (int)nl, name);
  snprintf(json, sizeof json, "%s/%.*s.json", dir, (int)nl, name);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && wast2json '%s/%s' -o '%s'", dir,
           suite, name, json);
  if (system(cmd) != 0) {
    fprintf(stderr, "MISMATCH %s: wast2json failed\n", name);
    s->mismatches++;
    return;
  }
  FILE *f = fopen(json, "r");
  if (!f) {
    fprintf(stderr, "MISMATCH %s: cannot read %s\n", name, json);
    s->mismatches++;
    return;
  }
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) check_command(s, dir, name, line);
  free(line);
  fclose(f);
}

/* qsort order for file names. */
static int name_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(spec_suite) {
  char suite[2048];
  const char *env = getenv("BATON_WASM_TESTSUITE");
  const char *src = getenv("BATON_SOURCE_DIR");
  if (env)
    snprintf(suite, sizeof suite, "%s", env);
  else if (src)
    snprintf(suite, sizeof suite, "%s/../shared/data/wasm-testsuite", src);
  else
    T_FAIL_("neither BATON_WASM_TESTSUITE nor BATON_SOURCE_DIR is set");
  DIR *d = opendir(suite);
  if (!d) T_FAIL_("spec suite missing: cannot open %s", suite);
  char *names[512];
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < BT_ARRAY_LEN(names)) {
    size_t l = strlen(de->d_name);
    if (l > 5 && strcmp(de->d_name + l - 5, ".wast") == 0)
      names[n++] = strdup(de->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, name_cmp);
  char tmp[] = "/tmp/baton-wasm-spec-XXXXXX";
  ASSERT_NOT_NULL(mkdtemp(tmp));
  const char *v = getenv("BATON_WASM_SPEC_VERBOSE");
  sweep_t s = {.verbose = v && *v == '1'};
  for (size_t i = 0; i < n; i++) {
    sweep_file(&s, suite, tmp, names[i]);
    free(names[i]);
  }
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", tmp);
  fprintf(stderr, "%zu files, %d modules checked, %d mismatches\n", n,
          s.checked, s.mismatches);
  ASSERT_TRUE(n >= 100);
  ASSERT_TRUE(s.checked > 4000);
  ASSERT_EQ(s.mismatches, 0);
}

int main(void) {
  RUN(spec_suite);
  TEST_MAIN_END();
}
