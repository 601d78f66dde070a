/*
 * src/wit/load.c: the WIT front end's entry points: loading WIT from a file,
 * a directory with deps/, or a string; world selection; freeing.
 *
 * Directory layout (as wit-bindgen and wasm-tools read it): the directory's
 * own *.wit files form the root package; each entry of `deps/` is one more
 * package group, either a single `<name>.wit` file or a `<name>/` directory
 * of *.wit files (deps folders do not nest). Files are read in byte order of
 * their names, which fixes the order of items across files.
 *
 * Every entry point sets up the error context: a failure anywhere below
 * longjmps back here, where the scratch arena, the half-built resolve and any
 * open file or directory are released before the error is returned.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "component/component.h"
#include "util/fileio.h"
#include "wit/wit_internal.h"

/* Reads a whole file into the scratch arena; stores its length in *len.
 * Raises IO errors with the path and the system's reason. */
static char *read_bytes(wit_ctx *c, const char *path, size_t *out_len) {
  uint8_t *data = NULL;
  size_t len = 0;
  baton_error_t *err = bt_read_input(path, false, &data, &len);
  if (err) wit_raise(c, err);
  char *buf = wit_arena_alloc(&c->tmp, len + 1);
  if (buf) memcpy(buf, data, len + 1);
  bt_free(data);
  if (!buf) wit_oom(c);
  *out_len = len;
  return buf;
}

/* Reads a whole file and registers it as a source. Raises IO errors. */
static uint32_t read_source(wit_ctx *c, const char *path) {
  size_t len = 0;
  char *buf = read_bytes(c, path, &len);
  return wit_add_source(c, path, buf, len);
}

/* Returns "dir/name" in the scratch arena. */
static char *join_path(wit_ctx *c, const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  bool slash = a > 0 && dir[a - 1] == '/';
  char *p = wit_tmp(c, a + b + 2);
  memcpy(p, dir, a);
  if (!slash) p[a++] = '/';
  memcpy(p + a, name, b + 1);
  return p;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Lists a directory's entry names (without . and ..), sorted bytewise. */
static char **list_dir(wit_ctx *c, const char *dir, size_t *count) {
  DIR *d = opendir(dir);
  if (!d) wit_raise(c, baton_error_new(BATON_EIO, "%s: cannot open directory: %s", dir, strerror(errno)));
  c->open_dir = d;
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char *nm = wit_tmp_strn(c, e->d_name, strlen(e->d_name));
    WIT_PUSH(c, &c->tmp, names, n, cap, nm);
  }
  c->open_dir = NULL;
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  *count = n;
  return names;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Parses every *.wit file directly inside `dir` into one group. */
static wit_group *load_dir_group(wit_ctx *c, const char *dir) {
  size_t n = 0;
  char **names = list_dir(c, dir, &n);
  ast_file **files = wit_tmp(c, (n + 1) * sizeof *files);
  size_t nf = 0;
  for (size_t i = 0; i < n; i++) {
    if (!ends_with(names[i], ".wit")) continue;
    char *path = join_path(c, dir, names[i]);
    if (is_dir(path)) continue;
    files[nf++] = wit_parse_file(c, read_source(c, path));
  }
  if (nf == 0)
    wit_raise(c, baton_error_new(BATON_ESYNTAX, "%s: no WIT files (*.wit) in this directory", dir));
  return wit_group_from_files(c, files, nf);
}

/* Parses one .wit file (with its nested packages) into a group. */
static wit_group *load_file_group(wit_ctx *c, const char *path) {
  ast_file *f = wit_parse_file(c, read_source(c, path));
  return wit_group_from_files(c, &f, 1);
}

/* Loads deps/<name>.wasm, a WIT package encoded as a component (what
 * `wasm-tools component wit --wasm` writes): src/component decodes it, and
 * its main package is printed as WIT text and parsed like a deps/<name>.wit
 * file registered as "<path> (decoded)", so that it resolves against the
 * other packages exactly as text would. Packages it refers to must be among
 * the deps too (the encoding carries only the parts it uses). */
static wit_group *load_wasm_group(wit_ctx *c, const char *path) {
  size_t len = 0;
  const char *bytes = read_bytes(c, path, &len);
  bt_wit_resolve_t *dr = NULL;
  baton_error_t *e = bt_component_decode_wit((const uint8_t *)bytes, len, &dr);
  if (e) wit_raise(c, baton_error_wrap(e, "%s: cannot decode the WIT package", path));
  const bt_wit_package_t *main = dr->main;
  if (!main || (strcmp(main->namespace_, "root") == 0 && strcmp(main->name, "component") == 0)) {
    bt_wit_free(dr);
    wit_raise(c, baton_error_new(BATON_ESYNTAX,
                                 "%s: not a WIT package encoded as a component (an ordinary "
                                 "component or module; write the package with `wasm-tools "
                                 "component wit --wasm`)",
                                 path));
  }
  char *text = wit_print_package_to_string(main);
  bt_wit_free(dr);
  if (!text) wit_oom(c);
  char *name = wit_fmt(c, "%s (decoded)", path);
  uint32_t id = wit_add_source(c, name, text, strlen(text));
  bt_free(text);
  ast_file *f = wit_parse_file(c, id);
  return wit_group_from_files(c, &f, 1);
}

/* Loads the root group at `path` and, for a directory, its deps/. */
static void load_path(wit_ctx *c, const char *path) {
  wit_group **groups = NULL;
  size_t n = 0, cap = 0;
  if (!is_dir(path)) {
    wit_group *g = load_file_group(c, path);
    WIT_PUSH(c, &c->tmp, groups, n, cap, g);
    wit_resolve_groups(c, groups, n);
    return;
  }
  wit_group *root = load_dir_group(c, path);
  WIT_PUSH(c, &c->tmp, groups, n, cap, root);
  char *deps = join_path(c, path, "deps");
  if (is_dir(deps)) {
    size_t nd = 0;
    char **names = list_dir(c, deps, &nd);
    for (size_t i = 0; i < nd; i++) {
      char *p = join_path(c, deps, names[i]);
      wit_group *g = NULL;
      if (is_dir(p)) {
        g = load_dir_group(c, p);
      } else if (ends_with(names[i], ".wit")) {
        g = load_file_group(c, p);
      } else if (ends_with(names[i], ".wasm")) {
        g = load_wasm_group(c, p);
      } else if (ends_with(names[i], ".wat")) {
        /* baton has no parser for the component text format (wabt's only
         * reads core modules), and must not depend on node at run time. */
        wit_raise(c, baton_error_new(BATON_EUNSUPPORTED,
                                     "%s: unsupported: WIT packages in WebAssembly text form; "
                                     "convert it with `wasm-tools parse %s -o %.*s.wasm`, or use "
                                     "the .wit text form",
                                     p, p, (int)(strlen(p) - 4), p));
      } else {
        continue;
      }
      WIT_PUSH(c, &c->tmp, groups, n, cap, g);
    }
  }
  wit_resolve_groups(c, groups, n);
}

typedef struct job {
  const char *path;
  const char *name;
  const char *text;
  size_t len;
} job;

/* Runs a parse under the error context. Returns the error or NULL, and the
 * finished resolve in *out. */
static baton_error_t *run(const job *jb, const bt_wit_options_t *opts, bt_wit_resolve_t **out) {
  if (!out) return baton_error_new(BATON_EINVALID_ARGUMENT, "WIT parse: NULL output pointer");
  *out = NULL;
  wit_arena *arena = bt_calloc(1, sizeof *arena);
  bt_wit_resolve_t *res = bt_calloc(1, sizeof *res);
  wit_ctx *c = bt_calloc(1, sizeof *c);
  if (!arena || !res || !c) {
    bt_free(arena);
    bt_free(res);
    bt_free(c);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory while parsing WIT");
  }
  res->internal_ = arena;
  c->out = arena;
  c->resolve = res;
  c->opts = opts;
  if (setjmp(c->jmp) == 0) {
    if (jb->path) {
      load_path(c, jb->path);
    } else {
      uint32_t file = wit_add_source(c, jb->name, jb->text, jb->len);
      ast_file *f = wit_parse_file(c, file);
      wit_group *g = wit_group_from_files(c, &f, 1);
      wit_resolve_groups(c, &g, 1);
    }
    wit_arena_free(&c->tmp);
    bt_free(c);
    *out = res;
    return NULL;
  }
  baton_error_t *err = c->err;
  if (c->open_file) fclose(c->open_file);
  if (c->open_dir) closedir(c->open_dir);
  wit_arena_free(&c->tmp);
  bt_free(c);
  wit_arena_free(arena);
  bt_free(arena);
  bt_free(res);
  return err;
}

baton_error_t *bt_wit_parse_path_opts(const char *path, const bt_wit_options_t *opts,
                                      bt_wit_resolve_t **out) {
  if (!path) return baton_error_new(BATON_EINVALID_ARGUMENT, "bt_wit_parse_path: NULL path");
  struct stat st;
  if (stat(path, &st) != 0) {
    if (out) *out = NULL;
    return baton_error_new(errno == ENOENT ? BATON_ENOT_FOUND : BATON_EIO, "%s: %s", path,
                           strerror(errno));
  }
  job jb = {path, NULL, NULL, 0};
  return run(&jb, opts, out);
}

baton_error_t *bt_wit_parse_path(const char *path, bt_wit_resolve_t **out) {
  return bt_wit_parse_path_opts(path, NULL, out);
}

baton_error_t *bt_wit_parse_string_opts(const char *name, const char *text, size_t len,
                                        const bt_wit_options_t *opts, bt_wit_resolve_t **out) {
  if (!text) return baton_error_new(BATON_EINVALID_ARGUMENT, "bt_wit_parse_string: NULL text");
  job jb = {NULL, name ? name : "<string>", text, len};
  return run(&jb, opts, out);
}

baton_error_t *bt_wit_parse_string(const char *name, const char *text, bt_wit_resolve_t **out) {
  if (!text) return baton_error_new(BATON_EINVALID_ARGUMENT, "bt_wit_parse_string: NULL text");
  return bt_wit_parse_string_opts(name, text, strlen(text), NULL, out);
}

void bt_wit_free(bt_wit_resolve_t *resolve) {
  if (!resolve) return;
  wit_arena *arena = resolve->internal_;
  if (arena) {
    wit_arena_free(arena);
    bt_free(arena);
  }
  bt_free(resolve);
}

/* Returns a comma-separated list of a package's world names (heap). */
static char *world_names(const bt_wit_package_t *p) {
  size_t n = 1;
  for (size_t i = 0; i < p->world_count; i++) n += strlen(p->worlds[i]->name) + 2;
  char *s = bt_malloc(n);
  if (!s) return NULL;
  s[0] = 0;
  for (size_t i = 0; i < p->world_count; i++) {
    if (i) strcat(s, ", ");
    strcat(s, p->worlds[i]->name);
  }
  return s;
}

static baton_error_t *world_in(const bt_wit_package_t *p, const char *name,
                               const bt_wit_world_t **out) {
  for (size_t i = 0; i < p->world_count; i++)
    if (strcmp(p->worlds[i]->name, name) == 0) {
      *out = p->worlds[i];
      return NULL;
    }
  char *names = world_names(p);
  baton_error_t *e = baton_error_new(BATON_ENOT_FOUND, "package `%s` has no world `%s` (worlds: %s)",
                                     p->id, name, names && *names ? names : "none");
  bt_free(names);
  return e;
}

baton_error_t *bt_wit_find_world(const bt_wit_resolve_t *r, const char *spec,
                                 const bt_wit_world_t **out) {
  if (!r || !out) return baton_error_new(BATON_EINVALID_ARGUMENT, "bt_wit_find_world: NULL argument");
  *out = NULL;
  const bt_wit_package_t *main = r->main;
  if (!spec || !*spec) {
    if (main->world_count == 1) {
      *out = main->worlds[0];
      return NULL;
    }
    if (main->world_count == 0)
      return baton_error_new(BATON_ENOT_FOUND, "package `%s` has no worlds", main->id);
    char *names = world_names(main);
    baton_error_t *e = baton_error_new(BATON_ENOT_FOUND,
                                       "package `%s` has several worlds (%s); name one", main->id,
                                       names ? names : "?");
    bt_free(names);
    return e;
  }
  const char *colon = strchr(spec, ':');
  if (!colon) return world_in(main, spec[0] == '%' ? spec + 1 : spec, out);
  const char *slash = strchr(colon, '/');
  if (!slash)
    return baton_error_new(BATON_EINVALID_ARGUMENT,
                           "invalid world `%s`: expected `name` or `ns:pkg/name[@version]`", spec);
  const char *at = strchr(slash, '@');
  size_t ns_len = (size_t)(colon - spec), pkg_len = (size_t)(slash - colon - 1);
  size_t name_len = at ? (size_t)(at - slash - 1) : strlen(slash + 1);
  const bt_wit_package_t *found = NULL;
  size_t matches = 0;
  for (size_t i = 0; i < r->package_count; i++) {
    const bt_wit_package_t *p = r->packages[i];
    if (strlen(p->namespace_) != ns_len || strncmp(p->namespace_, spec, ns_len) != 0) continue;
    if (strlen(p->name) != pkg_len || strncmp(p->name, colon + 1, pkg_len) != 0) continue;
    if (at && (!p->has_version || strcmp(p->version.text, at + 1) != 0)) continue;
    found = p;
    matches++;
  }
  if (matches == 0)
    return baton_error_new(BATON_ENOT_FOUND, "no package matches world `%s`", spec);
  if (matches > 1)
    return baton_error_new(BATON_ENOT_FOUND,
                           "world `%s` is ambiguous: several versions of the package are loaded; "
                           "add `@version`",
                           spec);
  const char *nm = slash + 1;
  if (*nm == '%') {
    nm++;
    name_len--;
  }
  char *name = bt_strndup(nm, name_len);
  if (!name) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  baton_error_t *e = world_in(found, name, out);
  bt_free(name);
  return e;
}
