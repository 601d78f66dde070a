/*
 * src/engine/internal.h: the engine's private object layouts, shared by the
 * files of src/engine/ and by src/wasi/ (which reads an instance's memory
 * and name). Nothing here is part of the public API.
 */
#ifndef BT_ENGINE_INTERNAL_H
#define BT_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "baton/engine.h"
#include "baton/instance.h"
#include "baton/module.h"
#include "engine/glue_abi.h"
#include "engine/staged.h"
#include "util/common.h"
#include "wasm/wasm.h"

struct baton_config {
  char *cache_dir;
  char *cc;
  uint64_t timeout_ms;
  uint64_t max_memory;
};

struct baton_engine {
  baton_config_t config;
  char *cc_identity;     /* resolved compiler path, size and mtime */
  char *wasm2c_identity; /* same for wasm2c */
  pthread_mutex_t lock;
};

/* A compiled module; reference counted (the caller's handle, every pre and
 * every instance hold one). */
struct baton_module {
  _Atomic long refs;
  baton_engine_t *engine;
  char *name;
  uint8_t *bytes;
  size_t len;
  bt_wasm_module_t *wasm;
  void *dl;                      /* dlopen handle */
  const bt_glue_module_t *glue;  /* descriptor inside dl */
  /* Export table: for each function export (in export order) its name, type
   * and glue thunk. */
  uint32_t nfuncs;
  const char **func_names;
  baton_functype_t *func_types;
  bt_glue_thunk_t *func_thunks;
  /* Imports: public descriptions, index-aligned with wasm->imports. */
  baton_functype_t *import_types;
  baton_valkind_t *kind_pool; /* storage behind the functype arrays */
  char *so_path;
  bool cache_hit;
  double compile_seconds;
  bool has_initialize;
  uint32_t initialize_index;
};

typedef struct bt_host_def {
  _Atomic long refs;
  baton_externkind_t kind; /* FUNC: fn/env; others: an instance's export */
  baton_instance_t *target; /* the exporting instance (define_export) */
  void *ptr;                /* MEMORY/TABLE/GLOBAL: the exported object */
  uint8_t global_type;      /* GLOBAL: value type */
  bool global_mutable;
  uint8_t table_elem;       /* TABLE: element type */
  char *module, *name;
  baton_valkind_t *kinds; /* params then results */
  baton_functype_t type;
  baton_host_func_t fn;
  void *env;
  void (*finalizer)(void *);
  struct bt_host_def *next;
} bt_host_def_t;

struct baton_linker {
  baton_engine_t *engine;
  bt_host_def_t *defs;
};

/* One resolved import: the host function and its environment. */
typedef struct {
  baton_host_func_t fn;
  void *env;
  void *ptr; /* memory, table or global imports: the bound object */
  uint32_t nparams, nresults;
  const baton_valkind_t *params;
  const baton_valkind_t *results;
} bt_import_binding_t;

struct baton_instance_pre {
  _Atomic long refs; /* the caller's handle and every instance */
  baton_engine_t *engine;
  baton_module_t *module;
  uint32_t nimports;
  bt_host_def_t **defs; /* retained */
  bt_import_binding_t *bindings;
};

struct baton_caller {
  baton_instance_t *instance;
};

struct bt_mem_slot;

/* A funcref handed to the host (see rt_intern_funcref). The layout of ref
 * is wasm_rt_funcref_t's. */
typedef struct bt_funcref_box {
  struct {
    uint32_t func_type;
    void (*func)(void);
    void *module_instance;
  } ref;
  struct bt_funcref_box *next;
} bt_funcref_box_t;

struct baton_instance {
  baton_engine_t *engine;
  baton_module_t *module;
  baton_instance_pre_t *pre; /* retained for bindings */
  const bt_import_binding_t *bindings;
  char *name;
  uint64_t timeout_ms;
  uint32_t max_pages; /* memory limit in pages (0 = module's own) */
  bool poisoned;
  bool poison_on_trap; /* refuse further calls after a trap (components) */
  bool limit_hit; /* a grow failed because of max_pages */
  uint64_t table_elems;     /* table elements allocated and grown so far */
  uint64_t max_table_elems; /* limit on table_elems */
  uint32_t counted_memories, counted_tables; /* held of the process caps */
  struct bt_mem_slot *slots[4];
  uint32_t nslots;
  uint8_t *shared_bases[4]; /* imported memories: their data */
  uint32_t nshared;
  void *wasi; /* per-instance WASI state, owned by src/wasi */
  void (*wasi_free)(void *);
  baton_caller_t caller;
  void *self_cell; /* points to itself: the import context (glue_abi.h) */
  bt_funcref_box_t *funcref_boxes;
  _Alignas(16) unsigned char w2c[]; /* the wasm2c instance struct */
};

/* Returns the instance whose import context is ctx (see glue_abi.h). */
static inline baton_instance_t *bt_instance_from_ctx(void *ctx) {
  char *cell = *(void **)ctx;
  return (baton_instance_t *)(cell - offsetof(baton_instance_t, self_cell));
}

/* module.c: parsing without compiling is declared in engine/staged.h. */

/* ---- aot.c ---- */

/* Compiles (or finds in the cache) the shared object for module m whose
 * bytes and parsed form are in m. Sets m->so_path, m->cache_hit and
 * m->compile_seconds. */
BT_HIDDEN baton_error_t *bt_aot_compile(baton_engine_t *engine,
                                        baton_module_t *m);

/* ---- cache.c: integrity of the compiled-module cache ---- */

/* Creates dir (and missing parents) with mode 0700 and checks that it is a
 * directory owned by the current user that group and others cannot write,
 * under directories that only root or the user can rename (sticky ones
 * such as /tmp aside). ECACHE errors name the path and the fix. */
BT_HIDDEN baton_error_t *bt_cache_dir_prepare(const char *dir);
/* The default cache directory: $BATON_CACHE_DIR, $XDG_CACHE_HOME/baton,
 * $HOME/.cache/baton, or the account's home from the password database.
 * NULL when there is no per-user location (caller frees otherwise). */
BT_HIDDEN char *bt_cache_default_dir(void);
/* A private 0700 mkdtemp directory for this process only (announced once
 * on stderr, removed at exit); NULL when it cannot be created. */
BT_HIDDEN const char *bt_cache_private_dir(void);
/* Verifies cache entry key in dir (O_NOFOLLOW, ownership and mode, size and
 * SHA-256 against <key>.sum) and loads it from the verified descriptor,
 * checking the glue ABI tag. Returns 1 loaded (*dl, *glue set), 0 no
 * entry, -1 an entry that must not be loaded (why: the reason; said once
 * on stderr unless *reported, which is then set; reported may be NULL). */
BT_HIDDEN int bt_cache_load(const char *dir, const char *key, bool *reported, void **dl,
                            const bt_glue_module_t **glue, char *why, size_t n);
/* Makes workdir/out.so entry key of dir: mode 0600, its integrity record
 * written and renamed into place, then the object renamed. */
BT_HIDDEN baton_error_t *bt_cache_commit(const char *dir, const char *key, const char *workdir);
/* Takes <key>.lock (0600, O_NOFOLLOW: a symlink there is replaced, never
 * followed). */
BT_HIDDEN baton_error_t *bt_cache_lock(const char *dir, const char *key, int *fd);
BT_HIDDEN void bt_cache_unlock(int fd);
/* Reads a small file of ours (O_NOFOLLOW, owner and mode checked, at most
 * max bytes), NUL-terminated; NULL otherwise. Caller frees. */
BT_HIDDEN char *bt_cache_read_text(const char *path, size_t max);
/* Write helpers returning 0 or an errno; files are created 0600. */
BT_HIDDEN int bt_cache_write_fd(int fd, const void *data, size_t len);
BT_HIDDEN int bt_cache_write_file(const char *path, const void *data, size_t len);
/* The error for a failed write of errno e into the cache directory dir
 * ("no space left on device ... dir" for ENOSPC). */
BT_HIDDEN baton_error_t *bt_cache_write_error(const char *dir, int e);
/* Replaces err (taking it) by the no-space (or file size limit) error when
 * the failed compile ran out of room in dir; else returns err. */
BT_HIDDEN baton_error_t *bt_cache_check_space(const char *dir, baton_error_t *err);
/* Runs argv (searched on PATH) with stdin from /dev/null and its output
 * appended to log_path, in its own process group under a supervisor that
 * kills the group when baton dies; the group is killed after
 * bt_cache_compile_timeout_ms. Returns the exit status (128+signal), -1
 * with errno when it cannot be started, -2 on timeout. */
BT_HIDDEN int bt_cache_run_tool(char *const argv[], const char *log_path);
/* $BATON_COMPILE_TIMEOUT (seconds; 0 = none), default 600 s, in ms. */
BT_HIDDEN unsigned long long bt_cache_compile_timeout_ms(void);
/* Removes work directories (tmp-<key>-*) and temporary files of dir older
 * than min_age_s whose key is not locked by a running compile; those of
 * key (whose lock the caller holds) whatever their age. Returns how many. */
BT_HIDDEN size_t bt_cache_sweep(const char *dir, const char *key, double min_age_s);

/* One cache entry, for `baton cache`. */
typedef struct {
  char key[65];
  unsigned long long bytes; /* object, record and remembered failure */
  long long last_used;      /* time of the last load (the record's mtime) */
  bool has_object, has_record, failed;
} bt_cache_entry_t;
/* Lists dir's entries, least recently used first (caller frees *out). */
BT_HIDDEN baton_error_t *bt_cache_list(const char *dir, bt_cache_entry_t **out, size_t *n);
/* Removes least recently used entries (never keep, nor one being
 * compiled) until the entries total at most max bytes; sweeps stale work
 * directories. */
BT_HIDDEN baton_error_t *bt_cache_prune(const char *dir, unsigned long long max, const char *keep,
                                        size_t *removed, unsigned long long *freed);
/* Removes every entry, lock and work directory not in use. Only files
 * named as baton names them are touched. */
BT_HIDDEN baton_error_t *bt_cache_clear(const char *dir, size_t *removed, unsigned long long *freed);
/* $BATON_CACHE_MAX in bytes (K, M, G suffixes); false when unset or bad. */
BT_HIDDEN bool bt_cache_max_bytes(unsigned long long *out);

/* ---- w2c_patch.c ---- */

/* Rewrites the wasm2c-generated C file at c_path so that call_indirect and
 * table traps carry the BT_GLUE_TRAP_* codes of glue_abi.h. A file whose
 * preamble is not wasm2c 1.0.32's is left as is. */
BT_HIDDEN baton_error_t *bt_aot_patch_traps(const char *c_path);

/* ---- xconst.c ---- */

/* Rewrites extended constant expressions (i32/i64 add, sub, mul) of global
 * initialisers and segment offsets in a valid module as single constants,
 * for wasm2c 1.0.32; when some read imported globals, moves the module's
 * initialisation into a synthesised start function instead. Sets *out to the
 * new bytes (caller frees) or NULL when there is nothing to rewrite. */
BT_HIDDEN baton_error_t *bt_aot_fold_const_exprs(const uint8_t *bytes, size_t len, uint8_t **out,
                                                 size_t *out_len);

/* ---- glue.c ---- */

/* Writes the glue C file for module w to f. lowered is w after
 * bt_wasm_simd_lower (what wasm2c compiled), or NULL when w uses no v128.
 * header is the text of the wasm2c-generated header (used to find memory
 * field names). Returns an error for features the glue cannot bind. */
BT_HIDDEN baton_error_t *bt_glue_write(const bt_wasm_module_t *w,
                                       const bt_wasm_module_t *lowered,
                                       const char *header, FILE *f);

/* Checks that a module can be bound at all (before running wasm2c). */
BT_HIDDEN baton_error_t *bt_glue_check(const bt_wasm_module_t *w);

/* Appends wasm2c's mangling of s to buf (size bytes). */
BT_HIDDEN void bt_glue_mangle(const char *s, char *buf, size_t size);
/* Same for a name of len bytes that may contain U+0000. */
BT_HIDDEN void bt_glue_mangle_n(const char *s, size_t len, char *buf, size_t size);

/* The text of glue_abi.h, embedded at build time. */
BT_HIDDEN extern const char bt_glue_abi_text[];

/* ---- simd_glue.c (glue for modules lowered by bt_wasm_simd_lower) ---- */

/* The text of simd_rt.h, embedded at build time. */
BT_HIDDEN extern const char bt_simd_rt_text[];
BT_HIDDEN bool bt_simd_functype_has_v128(const bt_wasm_functype_t *ft);
/* Import trampoline `fn` for import `index` whose type ft has v128. */
BT_HIDDEN void bt_simd_glue_import(FILE *f, const bt_wasm_functype_t *ft, const char *fn,
                                   const char *mmod, uint32_t index);
/* Export thunk bt_x<n> calling wasm2c export `fn` whose type ft has v128. */
BT_HIDDEN void bt_simd_glue_export(FILE *f, const bt_wasm_functype_t *ft, const char *fn, uint32_t n);
/* Accessors for both halves of v128 global import `index`. */
BT_HIDDEN void bt_simd_glue_global_import(FILE *f, const bt_wasm_import_t *im, uint32_t index);
/* Definitions of every "bt:simd" import of the lowered module. */
BT_HIDDEN baton_error_t *bt_simd_glue_helpers(FILE *f, const bt_wasm_module_t *lowered);
/* The instance arguments of Z_m_instantiate after the instance itself. */
BT_HIDDEN void bt_simd_glue_instantiate_args(FILE *f, const bt_wasm_module_t *lowered);

/* ---- runtime.c ---- */

/* The runtime services handed to every compiled module. */
BT_HIDDEN extern const bt_glue_rt_t bt_runtime;

/* Runs thunk(inst->w2c, args, results) (or the instantiation when thunk is
 * NULL) under a trap frame with the instance's deadline. Returns NULL when
 * the guest returned normally, else a trap (caller owns it). */
BT_HIDDEN baton_trap_t *bt_runtime_enter(baton_instance_t *inst,
                                         bt_glue_thunk_t thunk,
                                         const bt_glue_val_t *args,
                                         bt_glue_val_t *results);

/* Releases every memory slot an instance holds back to the pool. */
BT_HIDDEN void bt_runtime_release_instance(baton_instance_t *inst);

/* Returns a stable pointer to a copy of funcref fr (a non-null
 * wasm_rt_funcref_t) owned by inst, or NULL when out of memory. */
BT_HIDDEN void *bt_runtime_box_funcref(baton_instance_t *inst, const void *fr);

/* Process-wide runtime set-up (signal handlers); idempotent. */
BT_HIDDEN void bt_runtime_init(void);

/* For host functions that block: the earliest deadline (absolute
 * CLOCK_MONOTONIC ns) of the guest calls active on this thread, 0 when
 * there is none (or no call is active). A host function waits no longer. */
BT_HIDDEN uint64_t bt_runtime_deadline_ns(void);

/* Called by a host function that stopped waiting because that deadline
 * passed: when it returns, the call ends with the usual deadline trap, as
 * if the timer had fired during the host call. Returns whether the
 * deadline has indeed passed (otherwise nothing is marked). */
BT_HIDDEN bool bt_runtime_deadline_reached(void);

/* The usual deadline trap for the innermost active call, for a host
 * function that stopped waiting at the deadline and cannot return a value
 * (one whose lowering would call back into the guest). */
BT_HIDDEN baton_trap_t *bt_runtime_deadline_trap(void);

/* ---- module.c ---- */
BT_HIDDEN void bt_module_retain(baton_module_t *m);
BT_HIDDEN baton_valkind_t bt_valkind_from_wasm(uint8_t t);

#endif
