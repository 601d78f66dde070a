/*
 * tests/engine/test_cache.c: the compiled-module cache through the public
 * API (issue 9): a truncated or altered object is a miss that is compiled
 * again (it used to SIGBUS or to be loaded as is), a directory others can
 * write is refused with BATON_ECACHE, entries are written with explicit
 * modes whatever the umask, and objects loaded through /proc/self/fd names
 * never alias one another when descriptor numbers are reused. Shell-level
 * attacks (planted objects, symlinks, another user) are in
 * tests/cli/test_cache.sh.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton/baton.h"
#include "test.h"

static char g_dir[] = "/tmp/baton-test-cache-XXXXXX";

/* Loads guest `name` with its own engine whose cache is dir; *e owns it. */
static baton_error_t *load_in(const char *dir, const char *name, baton_engine_t **e, baton_module_t **m) {
  baton_config_t *cfg = baton_config_new();
  *m = NULL;
  baton_error_t *err = baton_config_set_cache_dir(cfg, dir);
  if (err) {
    baton_config_delete(cfg);
    return err;
  }
  if ((err = baton_engine_new(cfg, e))) return err;
  return baton_module_new_file(*e, t_guest(name), m);
}

/* Calls traps.wasm's div(a, b) in a fresh instance of m. */
static int32_t call_div(baton_engine_t *e, baton_module_t *m, int32_t a, int32_t b) {
  baton_linker_t *l = NULL;
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_val_t args[2] = {{.kind = BATON_I32, .of.i32 = a}, {.kind = BATON_I32, .of.i32 = b}}, res = {0};
  baton_error_t *err = baton_linker_new(e, &l);
  if (!err) err = baton_instance_new(l, m, NULL, &inst, &trap);
  if (!err && !trap) err = baton_instance_call(inst, "div", args, 2, &res, 1, &trap);
  baton_error_delete(err);
  baton_trap_delete(trap);
  baton_instance_delete(inst);
  baton_linker_delete(l);
  return res.of.i32;
}

/* A truncated object (which used to SIGBUS when mapped) and one altered in
 * place at the same size are misses: compiled again, never loaded. */
TEST(truncated_or_altered_object_is_recompiled) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/t", g_dir);
  baton_engine_t *e;
  baton_module_t *m;
  ASSERT_OK(load_in(dir, "traps.wasm", &e, &m));
  char so[1024];
  snprintf(so, sizeof so, "%s", baton_module_cache_path(m));
  struct stat st;
  ASSERT_EQ(stat(so, &st), 0);
  off_t size = st.st_size;
  baton_module_delete(m);
  baton_engine_delete(e);
  for (int round = 0; round < 2; round++) {
    if (round == 0) {
      ASSERT_EQ(truncate(so, 64), 0);
    } else {
      int fd = open(so, O_WRONLY);
      ASSERT_TRUE(fd >= 0);
      ASSERT_EQ(pwrite(fd, "\xcc\xcc\xcc\xcc", 4, size / 2), 4);
      close(fd);
    }
    ASSERT_OK(load_in(dir, "traps.wasm", &e, &m));
    ASSERT_FALSE(baton_module_cache_hit(m));
    ASSERT_EQ(call_div(e, m, 42, 6), 7);
    ASSERT_EQ(stat(so, &st), 0);
    ASSERT_EQ(st.st_size, size);
    baton_module_delete(m);
    baton_engine_delete(e);
    ASSERT_OK(load_in(dir, "traps.wasm", &e, &m));
    ASSERT_TRUE(baton_module_cache_hit(m)); /* repaired */
    baton_module_delete(m);
    baton_engine_delete(e);
  }
}

/* A cache directory that group or others can write is refused. */
TEST(writable_cache_dir_is_refused) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/ww", g_dir);
  ASSERT_EQ(mkdir(dir, 0700), 0);
  ASSERT_EQ(chmod(dir, 0777), 0);
  baton_engine_t *e = NULL;
  baton_module_t *m = NULL;
  baton_error_t *err = load_in(dir, "traps.wasm", &e, &m);
  ASSERT_NOT_NULL(err);
  ASSERT_EQ(baton_error_code(err), BATON_ECACHE);
  ASSERT_CONTAINS(baton_error_message(err), dir);
  ASSERT_CONTAINS(baton_error_message(err), "writable by group or others");
  baton_error_delete(err);
  baton_module_delete(m);
  baton_engine_delete(e);
}

/* Under umask 000 everything written is still private. */
TEST(explicit_modes_under_umask_000) {
  char dir[512], path[1100];
  snprintf(dir, sizeof dir, "%s/u/cache", g_dir);
  mode_t old = umask(0);
  baton_engine_t *e;
  baton_module_t *m;
  baton_error_t *err = load_in(dir, "traps.wasm", &e, &m);
  umask(old);
  ASSERT_OK(err);
  struct stat st;
  ASSERT_EQ(stat(dir, &st), 0);
  ASSERT_EQ(st.st_mode & 0777, 0700);
  ASSERT_EQ(stat(baton_module_cache_path(m), &st), 0);
  ASSERT_EQ(st.st_mode & 0777, 0600);
  snprintf(path, sizeof path, "%.*s.sum", (int)strlen(baton_module_cache_path(m)) - 3, baton_module_cache_path(m));
  ASSERT_EQ(stat(path, &st), 0);
  ASSERT_EQ(st.st_mode & 0777, 0600);
  baton_module_delete(m);
  baton_engine_delete(e);
}

/* Objects are loaded by /proc/self/fd names; glibc matches loaded objects
 * by name, so a reused descriptor number must not return an object loaded
 * earlier: two loads of one object, one released, then another module. */
TEST(loads_never_alias_by_descriptor_number) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/a", g_dir);
  baton_engine_t *e1, *e2, *e3;
  baton_module_t *a1, *a2, *b;
  ASSERT_OK(load_in(dir, "traps.wasm", &e1, &a1));
  ASSERT_OK(load_in(dir, "traps.wasm", &e2, &a2));
  baton_module_delete(a2);
  baton_engine_delete(e2);
  ASSERT_OK(load_in(dir, "cli_values.wasm", &e3, &b));
  baton_extern_desc_t d;
  bool found = false;
  for (size_t i = 0; baton_module_export(b, i, &d); i++) found |= d.name && !strcmp(d.name, "id_i32");
  ASSERT_TRUE(found);
  baton_linker_t *l = NULL;
  baton_instance_t *inst = NULL;
  baton_trap_t *trap = NULL;
  baton_val_t arg = {.kind = BATON_I32, .of.i32 = 1234}, res = {0};
  ASSERT_OK(baton_linker_new(e3, &l));
  ASSERT_OK(baton_instance_new(l, b, NULL, &inst, &trap));
  ASSERT_NULL(trap);
  ASSERT_OK(baton_instance_call(inst, "id_i32", &arg, 1, &res, 1, &trap));
  ASSERT_NULL(trap);
  ASSERT_EQ(res.of.i32, 1234);
  baton_instance_delete(inst);
  baton_linker_delete(l);
  ASSERT_EQ(call_div(e1, a1, 42, 6), 7);
  baton_module_delete(b);
  baton_engine_delete(e3);
  baton_module_delete(a1);
  baton_engine_delete(e1);
}

int main(void) {
  if (!mkdtemp(g_dir)) return 1;
  RUN(truncated_or_altered_object_is_recompiled);
  RUN(writable_cache_dir_is_refused);
  RUN(explicit_modes_under_umask_000);
  RUN(loads_never_alias_by_descriptor_number);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", g_dir);
  TEST_MAIN_END();
}
