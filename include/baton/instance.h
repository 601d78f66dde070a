/*
 * baton/instance.h: linking host functions to a module's imports, and
 * running instances.
 *
 * A baton_linker_t holds host functions by (module, name). A
 * baton_instance_pre_t is a module whose imports have been resolved and type
 * checked against a linker once; instantiating from it costs microseconds,
 * which is how per-request instances are made. Each instance has its own
 * linear memory from a resident pool, its own limits, and runs guest code
 * under a trap frame: a guest fault becomes a baton_trap_t, never a crash.
 */
#ifndef BATON_INSTANCE_H
#define BATON_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/engine.h"
#include "baton/error.h"
#include "baton/module.h"
#include "baton/trap.h"
#include "baton/val.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct baton_linker baton_linker_t;
typedef struct baton_instance_pre baton_instance_pre_t;
typedef struct baton_instance baton_instance_t;

/* What a host function sees of the instance that called it. Borrowed for
 * the duration of the host call only. */
typedef struct baton_caller baton_caller_t;

/* A host function. args/results are sized by the declared type. Return NULL
 * on success, or a trap (ownership passes to baton) to stop the guest. */
typedef baton_trap_t *(*baton_host_func_t)(void *env, baton_caller_t *caller,
                                           const baton_val_t *args,
                                           baton_val_t *results);

/* Creates an empty linker. Borrows engine. Free with baton_linker_delete(). */
baton_error_t *baton_linker_new(baton_engine_t *engine, baton_linker_t **out);

/* Frees the linker and runs each host function's finalizer. Instances and
 * pres made from it keep what they need alive. */
void baton_linker_delete(baton_linker_t *linker);

/* Defines a host function. Copies module, name and type. env is passed to
 * fn; finalizer (may be NULL) runs on env when the definition is freed. On
 * failure nothing is taken (the caller still owns env). Redefining a name is
 * an error. */
baton_error_t *baton_linker_define_func(baton_linker_t *linker,
                                        const char *module, const char *name,
                                        const baton_functype_t *type,
                                        baton_host_func_t fn, void *env,
                                        void (*finalizer)(void *env));

/* Defines (module, name) as export `export_name` of a running instance: a
 * function (calls go into that instance), or a memory, table or global
 * (shared, as core Wasm imports share them). Borrows instance, which must
 * outlive every instance linked against the definition. The import's type
 * is checked when a module is pre-instantiated against the linker. */
baton_error_t *baton_linker_define_export(baton_linker_t *linker, const char *module,
                                          const char *name, baton_instance_t *instance,
                                          const char *export_name);

/* Defines every export of instance under module (as define_export does). */
baton_error_t *baton_linker_define_instance(baton_linker_t *linker, const char *module,
                                            baton_instance_t *instance);

/* Per-instance settings; zero fields take the engine's defaults. */
typedef struct {
  uint64_t timeout_ms; /* per-call deadline */
  uint64_t max_memory; /* bytes of linear memory */
  const char *name;    /* label for messages and output prefixes (copied) */
  /* After a trap, refuse every further call with BATON_TRAP_POISONED. Off
   * by default: as the core WebAssembly spec requires, a core instance stays
   * usable after a trap (its memory and globals keep what the trapped call
   * wrote). Component instances are always poisoned after a trap, as the
   * Component Model requires; baton sets this for their core instances. */
  bool poison_on_trap;
  /* Table elements the instance may hold in all the tables it creates and
   * grows, counted together (0 = BATON_DEFAULT_MAX_TABLE_ELEMENTS). Tables
   * are not part of max_memory. A module whose tables need more initially
   * is refused with BATON_ELIMIT; table.grow past the limit returns -1. */
  uint64_t max_table_elements;
} baton_instance_config_t;

/* One million elements: 24 MiB of funcref table at most per instance. */
#define BATON_DEFAULT_MAX_TABLE_ELEMENTS 1000000u

/* Process-wide caps on live objects, across all engines: instances,
 * linear memories (each reserves 8 GiB of address space) and tables.
 * Defaults: BATON_DEFAULT_MAX_INSTANCES, _MAX_MEMORIES, _MAX_TABLES.
 * Instantiating past a cap fails with BATON_ELIMIT naming it. A 0 argument
 * keeps that cap as it is. Thread-safe; applies to later instantiations. */
void baton_set_process_limits(uint64_t max_instances, uint64_t max_memories, uint64_t max_tables);
#define BATON_DEFAULT_MAX_INSTANCES 1000000u
#define BATON_DEFAULT_MAX_MEMORIES 10000u
#define BATON_DEFAULT_MAX_TABLES 1000000u

/* Resolves and type-checks module's imports against linker. Borrows both
 * (the pre keeps its own references). An unresolved import or a type
 * mismatch is a BATON_ELINK error naming module, name and both signatures.
 * Free with baton_instance_pre_delete(). */
baton_error_t *baton_instance_pre_new(baton_linker_t *linker,
                                      baton_module_t *module,
                                      baton_instance_pre_t **out);
void baton_instance_pre_delete(baton_instance_pre_t *pre);

/* Instantiates: allocates memory and tables, applies data and element
 * segments, runs the start function and a reactor's `_initialize`. If the
 * guest traps, returns NULL with *trap set (caller owns it; free with
 * baton_trap_delete()) and *out NULL. On success *out owns the instance;
 * free with baton_instance_delete(). config may be NULL. */
baton_error_t *baton_instance_pre_instantiate(baton_instance_pre_t *pre,
                                              const baton_instance_config_t *config,
                                              baton_instance_t **out,
                                              baton_trap_t **trap);

/* Convenience: pre_new + pre_instantiate + pre_delete. */
baton_error_t *baton_instance_new(baton_linker_t *linker, baton_module_t *module,
                                  const baton_instance_config_t *config,
                                  baton_instance_t **out, baton_trap_t **trap);

/* Frees the instance and returns its memory to the pool. */
void baton_instance_delete(baton_instance_t *instance);

/* Finds an exported function; *index is for baton_instance_call_index().
 * Returns BATON_ENOT_FOUND if there is no such function export. type (may
 * be NULL) receives its signature, borrowed from the module. */
baton_error_t *baton_instance_lookup(baton_instance_t *instance,
                                     const char *export_name, uint32_t *index,
                                     baton_functype_t *type);

/* Calls an exported function. args must match its parameter types and
 * nresults its result count. Returns a host error (wrong arguments, unknown
 * export) or NULL; when NULL and the guest trapped (including a deadline or
 * proc_exit), *trap is set and owned by the caller. The instance stays
 * usable after a trap unless it was created with poison_on_trap, in which
 * case further calls trap with BATON_TRAP_POISONED. An instance whose guest
 * called proc_exit (an EXIT trap) has ended and is always poisoned. */
baton_error_t *baton_instance_call(baton_instance_t *instance,
                                   const char *export_name,
                                   const baton_val_t *args, size_t nargs,
                                   baton_val_t *results, size_t nresults,
                                   baton_trap_t **trap);
baton_error_t *baton_instance_call_index(baton_instance_t *instance,
                                         uint32_t index,
                                         const baton_val_t *args, size_t nargs,
                                         baton_val_t *results, size_t nresults,
                                         baton_trap_t **trap);

/* Like baton_instance_lookup for a name of len bytes, which may contain
 * U+0000 (WebAssembly names may). */
baton_error_t *baton_instance_lookup_n(baton_instance_t *instance, const char *name, size_t len,
                                       uint32_t *index, baton_functype_t *type);

/* Reads exported global `name` (len bytes) into *out, whose kind is set from
 * the global's type. A funcref is boxed as baton_instance_call boxes it
 * (valid while the instance lives). BATON_ENOT_FOUND when there is no such
 * global export. Not safe while another thread calls into the instance. */
baton_error_t *baton_instance_global_get(baton_instance_t *instance, const char *name, size_t len,
                                         baton_val_t *out);

/* Writes exported mutable global `name`. BATON_ESTATE for an immutable
 * global, BATON_ETYPE when val's kind is not the global's. Same threading
 * rule as baton_instance_global_get. */
baton_error_t *baton_instance_global_set(baton_instance_t *instance, const char *name, size_t len,
                                         const baton_val_t *val);

/* Returns the instance's linear memory 0 (borrowed; may move when the guest
 * grows it) and its size, or NULL if it has none. */
uint8_t *baton_instance_memory(baton_instance_t *instance, size_t *size);

/* Returns the instance's name (borrowed). */
const char *baton_instance_name(const baton_instance_t *instance);

/* Returns the calling instance (borrowed). */
baton_instance_t *baton_caller_instance(baton_caller_t *caller);

/* Returns the calling instance's memory 0, as baton_instance_memory(). */
uint8_t *baton_caller_memory(baton_caller_t *caller, size_t *size);

/* Returns the module an instance was made from (borrowed). */
baton_module_t *baton_instance_module(const baton_instance_t *instance);

#ifdef __cplusplus
}
#endif
#endif
