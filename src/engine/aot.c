/*
 * src/engine/aot.c: ahead-of-time compilation and the compiled-module cache.
 *
 * A module's shared object is found under the cache directory by the
 * SHA-256 of (wasm bytes, compiler identity, wasm2c identity, compiler
 * flags, the glue ABI header text). On a miss the module is translated by
 * wasm2c, the glue is generated, and the C compiler builds a shared object
 * in a private temporary directory inside the cache, which is then renamed
 * into place: readers never see a partial file. An flock on `<key>.lock`
 * makes a second process wait for the first instead of compiling again.
 *
 * A compile that fails for a reason that depends only on the key's inputs
 * (wasm2c rejects the module, the C compiler exits with an error, the glue
 * cannot express the module) leaves `<key>.err` (mode 0600, written to a
 * temporary file and renamed) with the error's code and message and the
 * identity of the baton binary that produced it: a later load of the same
 * bytes under the same toolchain and the same baton returns that error
 * without spawning anything. Failures that may be transient (a tool that
 * cannot be started or was killed, a full disk, no memory) are not
 * remembered. Deleting the file (or the cache), or setting BATON_KEEP_AOT
 * (which keeps the work files of a failure), forces a new attempt.
 */
#define _GNU_SOURCE /* dladdr */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/sha256.h"

extern char **environ;

/* Compiler flags, for gcc and clang alike (both are hashed into the key):
 * -fno-optimize-sibling-calls  keeps every wasm call a real call: without it
 *     both compilers turn self and mutual recursion (even non-tail
 *     recursion such as fac, through gcc's accumulator transformation and
 *     LLVM's TailCallElim) into loops, so runaway recursion spins forever
 *     or returns garbage instead of exhausting the stack, which runtime.c
 *     then reports as "call stack exhausted" (the guard page's SIGSEGV).
 * -fstack-clash-protection  probes every page of a large frame, so a deep
 *     call with a frame bigger than the guard page faults on the guard page
 *     instead of jumping past it into a neighbouring mapping.
 * -fsignaling-nans (gcc) and -frounding-math (clang; gcc only gets more
 *     conservative constant folding)  keep x*1, x/1, x-0, -0-x and -1*x as
 *     real operations, which quiet a signalling NaN as wasm requires. clang
 *     ignores -fsignaling-nans (its warning is silenced by -w).
 * -fno-math-errno  sqrt becomes one instruction (wasm has no errno).
 * The link has -Wl,-z,defs; k_ldlibs come after the sources. */
#define BT_AOT_CFLAGS                                                   \
  "-O2", "-fPIC", "-shared", "-fvisibility=hidden", "-DNDEBUG",         \
      "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1",                            \
      "-DWASM_RT_USE_STACK_DEPTH_COUNT=0", "-fno-strict-aliasing", "-w", \
      "-fno-optimize-sibling-calls", "-fstack-clash-protection",        \
      "-fsignaling-nans", "-frounding-math", "-fno-math-errno",          \
      "-Wl,-z,defs"

static const char *const k_cflags[] = {BT_AOT_CFLAGS};
/* floor, ceil, trunc, nearbyint and friends are libm calls. */
static const char *const k_ldlibs[] = {"-lm"};

/* Writes len bytes to path (mode 0600), returning 0 or an errno. */
static int write_file(const char *path, const void *data, size_t len) {
  return bt_cache_write_file(path, data, len);
}

/* Reads a whole text file (NUL-terminated); caller frees. */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = bt_malloc(cap);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
    if (n + 1 == cap) {
      char *nb = bt_realloc(buf, cap *= 2);
      if (!nb) { bt_free(buf); buf = NULL; }
      else buf = nb;
    }
  }
  fclose(f);
  if (buf) buf[n] = 0;
  return buf;
}

/* Runs argv with stdout and stderr appended to log_path, in its own
 * process group, killed with baton or on timeout (cache.c). Returns the
 * exit status, -1 with errno set if the program could not be started, or
 * -2 when it timed out. */
static int run(char *const argv[], const char *log_path) {
  return bt_cache_run_tool(argv, log_path);
}

/* Returns the last `max` bytes of a log, trimmed, for error messages. */
static char *log_tail(const char *path, size_t max) {
  char *text = read_text(path);
  if (!text) return bt_strdup("(no output)");
  size_t n = strlen(text);
  while (n && (text[n - 1] == '\n' || text[n - 1] == ' ')) text[--n] = 0;
  if (n == 0) {
    bt_free(text);
    return bt_strdup("(no output)");
  }
  if (n <= max) return text;
  char *tail = bt_strdup(text + n - max);
  bt_free(text);
  return tail;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Computes the cache key of m's bytes under engine's toolchain. */
static void cache_key(baton_engine_t *engine, const baton_module_t *m, char hex[65]) {
  bt_sha256_t s;
  uint8_t digest[32];
  bt_sha256_init(&s);
  bt_sha256_update(&s, "baton-aot-v2", 13); /* v2: entries carry <key>.sum (cache.c) */
  bt_sha256_update(&s, m->bytes, m->len);
  bt_sha256_update(&s, engine->cc_identity, strlen(engine->cc_identity) + 1);
  bt_sha256_update(&s, engine->wasm2c_identity, strlen(engine->wasm2c_identity) + 1);
  for (size_t i = 0; i < BT_ARRAY_LEN(k_cflags); i++)
    bt_sha256_update(&s, k_cflags[i], strlen(k_cflags[i]) + 1);
  for (size_t i = 0; i < BT_ARRAY_LEN(k_ldlibs); i++)
    bt_sha256_update(&s, k_ldlibs[i], strlen(k_ldlibs[i]) + 1);
  bt_sha256_update(&s, bt_glue_abi_text, strlen(bt_glue_abi_text));
  /* SIMD lowering (src/wasm/simd_lower.c) and its runtime: bump the version
   * string whenever the lowering's output changes. */
  bt_sha256_update(&s, "baton-simd-lower-1", 19);
  bt_sha256_update(&s, bt_simd_rt_text, strlen(bt_simd_rt_text));
  /* Extended constant expressions folded by xconst.c: bump on changes. */
  bt_sha256_update(&s, "baton-xconst-1", 15);
  bt_sha256_final(&s, digest);
  bt_sha256_hex(digest, hex);
}

/* Translates and compiles m inside workdir, leaving workdir/out.so. wasm2c
 * gets `bytes`: m's own, or their SIMD-lowered form `lw` (NULL if none). */
static baton_error_t *build_bytes(baton_engine_t *engine, baton_module_t *m, const char *workdir,
                                  const uint8_t *bytes, size_t len, const bt_wasm_module_t *lw) {
  char wasm_path[PATH_MAX], c_path[PATH_MAX], h_path[PATH_MAX], glue_path[PATH_MAX],
      abi_path[PATH_MAX], so_path[PATH_MAX], log_path[PATH_MAX];
  snprintf(wasm_path, sizeof wasm_path, "%s/module.wasm", workdir);
  snprintf(c_path, sizeof c_path, "%s/module.c", workdir);
  snprintf(h_path, sizeof h_path, "%s/module.h", workdir);
  snprintf(glue_path, sizeof glue_path, "%s/glue.c", workdir);
  snprintf(abi_path, sizeof abi_path, "%s/glue_abi.h", workdir);
  snprintf(so_path, sizeof so_path, "%s/out.so", workdir);
  snprintf(log_path, sizeof log_path, "%s/log.txt", workdir);

  /* wasm2c 1.0.32 cannot translate extended constant expressions. */
  uint8_t *folded = NULL;
  size_t folded_len = 0;
  baton_error_t *ferr = bt_aot_fold_const_exprs(bytes, len, &folded, &folded_len);
  if (ferr) return ferr;
  int e = write_file(wasm_path, folded ? folded : bytes, folded ? folded_len : len);
  bt_free(folded);
  if (!e) e = write_file(abi_path, bt_glue_abi_text, strlen(bt_glue_abi_text));
  if (!e && lw) {
    char rt_path[PATH_MAX];
    snprintf(rt_path, sizeof rt_path, "%s/simd_rt.h", workdir);
    e = write_file(rt_path, bt_simd_rt_text, strlen(bt_simd_rt_text));
  }
  if (e) return bt_cache_write_error(engine->config.cache_dir, e);

  char *w2c_argv[] = {"wasm2c", "-n", "m", wasm_path, "-o", c_path, NULL};
  int rc = run(w2c_argv, log_path);
  if (rc != 0) {
    if (rc == -2)
      return baton_error_new(BATON_ECOMPILE, "wasm2c timed out after %llu ms (BATON_COMPILE_TIMEOUT)",
                             bt_cache_compile_timeout_ms());
    if (rc < 0) return baton_error_new(BATON_ECOMPILE, "cannot run wasm2c: %s (install wabt)", strerror(errno));
    char *tail = log_tail(log_path, 1500);
    baton_error_t *err = baton_error_new(BATON_ECOMPILE, "wasm2c rejected the module: %s", tail ? tail : "");
    bt_free(tail);
    return err;
  }

  baton_error_t *perr = bt_aot_patch_traps(c_path); /* trap causes (w2c_patch.c) */
  if (perr) return perr;
  char *header = read_text(h_path);
  if (!header) return baton_error_new(BATON_ECOMPILE, "wasm2c produced no header");
  int gfd = open(glue_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  FILE *gf = gfd >= 0 ? fdopen(gfd, "w") : NULL;
  if (!gf) {
    if (gfd >= 0) close(gfd);
    bt_free(header);
    return baton_error_new(BATON_ECACHE, "cannot write %s: %s", glue_path, strerror(errno));
  }
  baton_error_t *err = bt_glue_write(m->wasm, lw, header, gf);
  bt_free(header);
  int werr = ferror(gf) ? (errno ? errno : EIO) : 0;
  if (fclose(gf) != 0 && !werr) werr = errno;
  if (werr) {
    baton_error_delete(err);
    err = bt_cache_write_error(engine->config.cache_dir, werr);
  }
  if (err) return err;

  /* CC may hold words ("ccache cc"): split it on spaces. */
  const char *argv[48];
  _Static_assert(16 + BT_ARRAY_LEN(k_cflags) + BT_ARRAY_LEN(k_ldlibs) + 5 <= 48, "argv too small");
  size_t n = 0;
  char cc[1024];
  snprintf(cc, sizeof cc, "%s", engine->config.cc);
  for (char *save = NULL, *w = strtok_r(cc, " \t", &save); w && n < 16; w = strtok_r(NULL, " \t", &save))
    argv[n++] = w;
  if (n == 0) argv[n++] = engine->config.cc;
  for (size_t i = 0; i < BT_ARRAY_LEN(k_cflags); i++) argv[n++] = k_cflags[i];
  char inc[PATH_MAX + 2];
  snprintf(inc, sizeof inc, "-I%s", workdir);
  argv[n++] = inc;
  argv[n++] = glue_path;
  argv[n++] = "-o";
  argv[n++] = so_path;
  for (size_t i = 0; i < BT_ARRAY_LEN(k_ldlibs); i++) argv[n++] = k_ldlibs[i];
  argv[n] = NULL;
  rc = run((char *const *)argv, log_path);
  if (rc != 0) {
    if (rc == -2)
      return baton_error_new(BATON_ECOMPILE, "C compiler `%s` timed out after %llu ms (BATON_COMPILE_TIMEOUT)",
                             engine->config.cc, bt_cache_compile_timeout_ms());
    if (rc < 0)
      return baton_error_new(BATON_ECOMPILE, "cannot run the C compiler `%s`: %s",
                             engine->config.cc, strerror(errno));
    char *tail = log_tail(log_path, 1500);
    err = baton_error_new(BATON_ECOMPILE, "C compiler `%s` failed (exit %d): %s",
                          engine->config.cc, rc, tail ? tail : "");
    bt_free(tail);
    return err;
  }
  return NULL;
}

/* Lowers SIMD when m uses v128 (wasm2c 1.0.32 cannot translate it), then
 * builds. */
static baton_error_t *build(baton_engine_t *engine, baton_module_t *m, const char *workdir) {
  uint8_t *low = NULL;
  size_t low_len = 0;
  bt_wasm_module_t *lw = NULL;
  baton_error_t *err = bt_wasm_simd_lower(m->wasm, m->bytes, m->len, &low, &low_len);
  if (!err && low && (err = bt_wasm_parse(low, low_len, &lw)))
    err = baton_error_wrap(err, "SIMD lowering produced an unreadable module");
  /* Overloaded imports get distinct names for wasm2c (import_rename.c). */
  uint8_t *ren = NULL;
  size_t ren_len = 0;
  if (!err) err = bt_wasm_rename_overloaded_imports(lw ? lw : m->wasm, low ? low : m->bytes,
                                                    low ? low_len : m->len, &ren, &ren_len);
  if (!err && ren) err = build_bytes(engine, m, workdir, ren, ren_len, lw);
  else if (!err) err = build_bytes(engine, m, workdir, low ? low : m->bytes, low ? low_len : m->len, lw);
  bt_free(ren);
  bt_wasm_module_free(lw);
  bt_free(low);
  return err;
}

/* ---- negative cache: <key>.err ---- */

#define BT_NEG_MAGIC "baton-aot-error 1"

/* Returns "path:size:mtime" of the object holding this code (the baton
 * executable, or a shared library it is linked into): a remembered failure
 * may come from the glue generator, so only the same build may reuse it. */
static void generator_identity(char *out, size_t size) {
  Dl_info info;
  struct stat st;
  if (dladdr((void *)&bt_aot_compile, &info) && info.dli_fname && stat(info.dli_fname, &st) == 0)
    snprintf(out, size, "%s:%lld:%lld", info.dli_fname, (long long)st.st_size,
             (long long)st.st_mtime);
  else
    snprintf(out, size, "unknown");
}

/* Returns whether a failed compile may succeed when retried with the same
 * inputs: an error other than a translation or compiler verdict, a tool
 * that could not run or died of a signal, or a resource shortage. */
static bool transient_failure(const baton_error_t *err) {
  baton_errno_t code = baton_error_code(err);
  if (code != BATON_ECOMPILE && code != BATON_EUNSUPPORTED && code != BATON_EINVALID)
    return true;
  const char *msg = baton_error_message(err);
  if (strncmp(msg, "cannot run", 10) == 0) return true;
  const char *ex = strstr(msg, "(exit ");
  if (ex && atoi(ex + 6) >= 126) return true; /* not executable, not found, signal */
  static const char *const k_transient[] = {"No space left", "out of memory", "Cannot allocate memory",
                                            "memory exhausted", "Killed", "Disk quota",
                                            "Too many open files", "Resource temporarily",
                                            "timed out after"};
  for (size_t i = 0; i < BT_ARRAY_LEN(k_transient); i++)
    if (strstr(msg, k_transient[i])) return true;
  return false;
}

/* Returns the error remembered in err_path, or NULL when there is none or
 * it was written by another baton build. */
static baton_error_t *negative_read(const char *err_path) {
  char *text = bt_cache_read_text(err_path, 1 << 20);
  if (!text) return NULL;
  char ident[PATH_MAX + 64];
  generator_identity(ident, sizeof ident);
  baton_error_t *err = NULL;
  char *l1 = text, *l2 = strchr(l1, '\n');
  char *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
  char *l4 = l3 ? strchr(l3 + 1, '\n') : NULL;
  if (l4) {
    *l2++ = 0;
    *l3++ = 0;
    *l4++ = 0;
    int code = atoi(l3);
    if (strcmp(l1, BT_NEG_MAGIC) == 0 && strcmp(l2, ident) == 0 && code > 0 && code < BATON_ERRNO_MAX)
      err = baton_error_new((baton_errno_t)code, "%s", l4);
  }
  bt_free(text);
  return err;
}

/* Remembers err in err_path: a 0600 temporary file in dir, renamed into
 * place. Best effort: a failure only means the next load compiles again. */
static void negative_write(const char *dir, const char *err_path, const baton_error_t *err) {
  char tmp[PATH_MAX], ident[PATH_MAX + 64];
  generator_identity(ident, sizeof ident);
  snprintf(tmp, sizeof tmp, "%s/tmp-err-XXXXXX", dir);
  int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
  if (fd < 0) return;
  fchmod(fd, 0600);
  FILE *f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    unlink(tmp);
    return;
  }
  fprintf(f, "%s\n%s\n%d\n%s", BT_NEG_MAGIC, ident, (int)baton_error_code(err),
          baton_error_message(err));
  bool ok = !ferror(f);
  if (fclose(f) != 0) ok = false;
  if (!ok || rename(tmp, err_path) != 0) unlink(tmp);
}

/* Compiles m into a new entry `key` of dir under the key's lock, replacing
 * whatever was there (work directories of crashed compiles of this key are
 * removed first), and loads it. */
static baton_error_t *compile_entry(baton_engine_t *engine, baton_module_t *m, const char *dir,
                                    const char *key, const char *err_path, bool keep) {
  double t0 = now_seconds();
  bt_cache_sweep(dir, key, 0); /* we hold key's lock: its work dirs are stale */
  char workdir[PATH_MAX];
  baton_error_t *err = NULL;
  snprintf(workdir, sizeof workdir, "%s/tmp-%s-XXXXXX", dir, key);
  if (!mkdtemp(workdir)) return bt_cache_write_error(dir, errno);
  chmod(workdir, 0700);
  err = build(engine, m, workdir);
  if (err) err = bt_cache_check_space(dir, err); /* a full disk, whatever the tool said */
  if (!err) {
    err = bt_cache_commit(dir, key, workdir);
    if (!err) unlink(err_path); /* left by another baton build, if any */
  } else if (!transient_failure(err)) {
    negative_write(dir, err_path, err);
  }
  if (!err || !keep) bt_cache_sweep(dir, key, 0);
  else err = baton_error_wrap(err, "work files kept in %s", workdir);
  m->compile_seconds = now_seconds() - t0;
  if (err) return err;
  char why[PATH_MAX];
  if (bt_cache_load(dir, key, NULL, &m->dl, &m->glue, why, sizeof why) != 1)
    return baton_error_new(BATON_ECACHE, "compiled module %s/%s.so %s", dir, key, why);
  return NULL;
}

baton_error_t *bt_aot_compile(baton_engine_t *engine, baton_module_t *m) {
  const char *dir = engine->config.cache_dir;
  baton_error_t *err = bt_cache_dir_prepare(dir);
  if (err) return err;
  char key[65], final_path[PATH_MAX], err_path[PATH_MAX], why[PATH_MAX];
  cache_key(engine, m, key);
  snprintf(final_path, sizeof final_path, "%s/%s.so", dir, key);
  snprintf(err_path, sizeof err_path, "%s/%s.err", dir, key);

  m->so_path = bt_strdup(final_path);
  if (!m->so_path) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  /* Only a verified object is loaded (cache.c); anything else is a miss. */
  bool reported = false;
  if (bt_cache_load(dir, key, &reported, &m->dl, &m->glue, why, sizeof why) == 1) {
    m->cache_hit = true;
    return NULL;
  }
  /* BATON_KEEP_AOT asks for the work files of a failure: compile again. */
  bool keep = getenv("BATON_KEEP_AOT") != NULL;
  if (!keep && (err = negative_read(err_path))) return err;

  int lock = -1;
  if ((err = bt_cache_lock(dir, key, &lock))) return err;
  if (bt_cache_load(dir, key, &reported, &m->dl, &m->glue, why, sizeof why) == 1) {
    m->cache_hit = true; /* another process compiled it while we waited */
  } else if (!keep && (err = negative_read(err_path))) {
    /* another process failed to compile it while we waited */
  } else {
    err = compile_entry(engine, m, dir, key, err_path, keep);
  }
  bt_cache_unlock(lock);
  /* Housekeeping after a compile: old work directories of crashed
   * processes, and the size cap. */
  if (!m->cache_hit) {
    static _Atomic int swept;
    if (!atomic_exchange(&swept, 1)) bt_cache_sweep(dir, NULL, 3600);
    unsigned long long max;
    size_t removed;
    unsigned long long freed;
    if (bt_cache_max_bytes(&max)) {
      baton_error_t *perr = bt_cache_prune(dir, max, key, &removed, &freed);
      baton_error_delete(perr);
    }
  }
  return err;
}
