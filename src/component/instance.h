/*
 * src/component/instance.h: running components. A parsed component
 * (component.h) is compiled once into a bt_ccomp_t: every embedded core
 * module is AOT-compiled through the engine (identical modules once; the
 * engine's cache is keyed by content hash), the adapter modules that
 * wit-component generates (the `call_indirect` shim, the table fixup, the
 * `_initialize` starter) are recognised and run without compiling them, and
 * the component-level types of every `canon lift`/`canon lower` are
 * converted into WIT types for the canonical ABI (src/abi).
 *
 * bt_cinstance_new() then executes the definitions of the root component in
 * order, recursively for nested components: core instances (instantiating a
 * module with functions of other core instances, lowered functions and
 * resource built-ins as imports), aliases (export, core export, outer),
 * component instances (nested components instantiated with arguments, or
 * bundles of inline exports), types (resource definitions get a fresh
 * runtime resource type per instance), `canon lift` (a component function
 * calling a core function with its options), `canon lower` (a core function
 * calling a component function), `resource.new/drop/rep`, imports (from a
 * resolver for the root, from the instantiation arguments for nested
 * components) and exports.
 *
 * Values cross the boundaries as host values (baton/value.h): a call into a
 * lifted function lowers its arguments into the callee's memory with the
 * callee's options, calls the core function, lifts the result and runs the
 * post-return; a lowered function lifts the caller's arguments from its
 * memory, calls, and lowers the result back. Handles are translated on the
 * way: every component instance has its own handle table, `own` handles
 * move between tables, `borrow` handles are lent for the duration of a call
 * (the callee must drop them before returning; a borrow into the instance
 * that implements the resource passes the representation itself), and
 * dropping the last `own` handle runs the resource's destructor. Handles in
 * host values are indices into the table of the instance's store
 * (bt_cstore_t), which instances that call each other share.
 *
 * A trap in a component instance (a guest trap, a canonical ABI violation,
 * a handle misuse) poisons that component instance only; further calls into
 * it trap with BATON_TRAP_POISONED. Re-entering an instance that is already
 * running a call traps.
 *
 * Everything here is internal (BT_HIDDEN) to libbaton. A bt_cinstance_t is
 * single-threaded; a bt_ccomp_t is read-only once built and may be shared by
 * instances on several threads.
 */
#ifndef BT_COMPONENT_INSTANCE_H
#define BT_COMPONENT_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/engine.h"
#include "baton/error.h"
#include "baton/trap.h"
#include "baton/value.h"
#include "component/component.h"
#include "wit/wit.h"

typedef struct bt_ccomp bt_ccomp_t;         /* a compiled component */
typedef struct bt_cinstance bt_cinstance_t; /* a root component instance */
typedef struct bt_cstore bt_cstore_t;       /* host handle table shared by instances */
typedef struct bt_cfunc bt_cfunc_t;         /* a component function value */
typedef struct bt_cvinst bt_cvinst_t;       /* a component instance value: named items */
typedef struct bt_crtype bt_crtype_t;       /* a runtime resource type */

/* An item of a component-level sort. `p` is a bt_cfunc_t * (FUNC), a
 * bt_cvinst_t * (INSTANCE), a bt_crtype_t * or NULL (TYPE: NULL for types
 * that are not resources), or an internal record (COMPONENT, CORE_MODULE). */
typedef struct bt_citem {
  bt_csort_t sort;
  void *p;
} bt_citem_t;

/* ---- compiling ---- */

/* Parses `bytes` (copied) as a component and compiles it: every embedded
 * core module is compiled by `engine` (which must outlive the result). name
 * labels messages and instances (may be NULL). Errors are those of
 * bt_component_parse, the engine's compile errors wrapped with the module's
 * offset ("core module 2 at offset 0x1a3: ..."), and UNSUPPORTED for
 * function types the canonical ABI cannot carry. Free with bt_ccomp_free()
 * after every instance made from it. */
BT_HIDDEN baton_error_t *bt_ccomp_new(baton_engine_t *engine, const uint8_t *bytes, size_t len,
                                      const char *name, bt_ccomp_t **out);
/* Reads the file and calls bt_ccomp_new (name: the path). */
BT_HIDDEN baton_error_t *bt_ccomp_new_file(baton_engine_t *engine, const char *path,
                                           bt_ccomp_t **out);
/* bt_ccomp_new without compiling: the component is parsed and validated,
 * its adapters recognised and its canon types converted, so that its
 * imports and exports (bt_ccomp_component, bt_ccomp_world) can be checked
 * before anything is compiled. bt_ccomp_compile then compiles its core
 * modules (a no-op the second time); bt_cinstance_new refuses a component
 * that is not compiled. */
BT_HIDDEN baton_error_t *bt_ccomp_parse(baton_engine_t *engine, const uint8_t *bytes, size_t len,
                                        const char *name, bt_ccomp_t **out);
BT_HIDDEN baton_error_t *bt_ccomp_parse_file(baton_engine_t *engine, const char *path, bt_ccomp_t **out);
BT_HIDDEN baton_error_t *bt_ccomp_compile(bt_ccomp_t *comp);
BT_HIDDEN bool bt_ccomp_is_compiled(const bt_ccomp_t *comp);
BT_HIDDEN void bt_ccomp_free(bt_ccomp_t *comp);

/* The parsed root component (borrowed). */
BT_HIDDEN const bt_component_t *bt_ccomp_component(const bt_ccomp_t *comp);
/* The WIT world of the component (its imports and exports), decoded once
 * with bt_component_decode_wit (borrowed; NULL with an error when it cannot
 * be written as WIT). */
BT_HIDDEN baton_error_t *bt_ccomp_world(bt_ccomp_t *comp, const bt_wit_world_t **world);
/* The component's name (borrowed). */
BT_HIDDEN const char *bt_ccomp_name(const bt_ccomp_t *comp);
/* How many core modules were compiled and how many adapter modules are
 * run without compiling (for tests and `baton inspect`). */
BT_HIDDEN void bt_ccomp_stats(const bt_ccomp_t *comp, uint32_t *compiled, uint32_t *emulated);

/* ---- stores ---- */

/* A store holds the handle table for handles in host values. Instances that
 * pass resources to each other must share one. Reference counted: every
 * instance created in it holds a reference. */
BT_HIDDEN baton_error_t *bt_cstore_new(bt_cstore_t **out);
BT_HIDDEN void bt_cstore_retain(bt_cstore_t *store);
BT_HIDDEN void bt_cstore_release(bt_cstore_t *store);

/* ---- instantiating ---- */

/* Supplies the root component's imports. `import` is the import as
 * declared (name, sort, type). Store the item in *out; for a type import
 * (a resource) *out may be left with p NULL, and the instance gets a fresh
 * host resource type. Items from another instance (bt_cinstance_export) may
 * be returned as they are: that instance must outlive this one. The other
 * items are made with the helpers below, in `inst`. Return an error naming
 * the import when it cannot be satisfied. */
typedef struct bt_cresolver {
  baton_error_t *(*resolve)(void *env, bt_cinstance_t *inst, const bt_cextern_t *import,
                            bt_citem_t *out);
  void *env;
} bt_cresolver_t;

typedef struct bt_cinstance_config {
  const char *name;    /* label for messages (copied); NULL: the component's name */
  uint64_t timeout_ms; /* per core call deadline; 0: the engine's default */
  uint64_t max_memory; /* per core instance; 0: the engine's default */
  bt_cstore_t *store;  /* NULL: a new store */
} bt_cinstance_config_t;

/* Instantiates `comp`. resolver may be NULL when the component imports
 * nothing. On success *out owns the instance (free with
 * bt_cinstance_free). When a start function or `_initialize` traps, returns
 * NULL with *trap set (caller owns it) and *out NULL. Errors name the
 * construct: "import `x`: ...", "core instance 3 (offset 0x2f1): ...". */
BT_HIDDEN baton_error_t *bt_cinstance_new(bt_ccomp_t *comp, const bt_cresolver_t *resolver,
                                          const bt_cinstance_config_t *config,
                                          bt_cinstance_t **out, baton_trap_t **trap);
BT_HIDDEN void bt_cinstance_free(bt_cinstance_t *inst);

BT_HIDDEN const char *bt_cinstance_name(const bt_cinstance_t *inst);
BT_HIDDEN bt_ccomp_t *bt_cinstance_comp(const bt_cinstance_t *inst);
BT_HIDDEN bt_cstore_t *bt_cinstance_store(const bt_cinstance_t *inst);
/* Whether the root component instance was poisoned by a trap. */
BT_HIDDEN bool bt_cinstance_poisoned(const bt_cinstance_t *inst);

/* The WIT world of the instance's component (as bt_ccomp_world). */
BT_HIDDEN baton_error_t *bt_cinstance_world(bt_cinstance_t *inst, const bt_wit_world_t **world);

/* Looks up a root export by name: a function, an instance, a type. */
BT_HIDDEN bool bt_cinstance_export(bt_cinstance_t *inst, const char *name, bt_citem_t *out);

/* Finds an exported function by the name a user writes: `f` (a root
 * function export, or the only function named f of all exported
 * interfaces), `iface#f` or `ns:pkg/iface@v#f` / `ns:pkg/iface#f`.
 * NOT_FOUND or INVALID_ARGUMENT (ambiguous) otherwise. */
BT_HIDDEN baton_error_t *bt_cinstance_find_func(bt_cinstance_t *inst, const char *name,
                                                bt_cfunc_t **out);

/* The WIT type of a function value (borrowed; parameter and result types
 * are those the function was lifted or defined with). */
BT_HIDDEN const bt_wit_function_t *bt_cfunc_wit(const bt_cfunc_t *fn);

/* Calls a component function with host values. args are borrowed and must
 * match the parameter types (checked first: a mismatch is a TYPE error
 * naming the parameter); handles in them are indices into the store's
 * table (own handles are moved out of it). *result receives the result
 * (cleared by the caller; untouched when there is none); own handles in it
 * are new entries of the store's table. Returns a host error, or NULL with
 * *trap set when the guest trapped. */
BT_HIDDEN baton_error_t *bt_cfunc_call(bt_cfunc_t *fn, bt_cstore_t *store, const baton_value_t *args,
                                       size_t nargs, baton_value_t *result, baton_trap_t **trap);

/* bt_cinstance_find_func + bt_cfunc_call with the instance's store. */
BT_HIDDEN baton_error_t *bt_cinstance_call(bt_cinstance_t *inst, const char *export_name,
                                           const baton_value_t *args, size_t nargs,
                                           baton_value_t *result, baton_trap_t **trap);

/* Drops a handle the host holds in the store (an own handle runs the
 * resource's destructor). Returns a host error for an unknown handle, or
 * NULL with *trap set when the destructor trapped. */
BT_HIDDEN baton_error_t *bt_cstore_drop(bt_cstore_t *store, uint32_t handle, baton_trap_t **trap);
/* Adds an own handle of resource type rt (a host resource from
 * bt_cstore_host_resource, or a type a component exports) with
 * representation rep to the store's table: *handle is its index. */
BT_HIDDEN baton_error_t *bt_cstore_own(bt_cstore_t *store, bt_crtype_t *rt, uint32_t rep, uint32_t *handle);
/* The representation behind a handle the host holds. */
BT_HIDDEN baton_error_t *bt_cstore_rep(const bt_cstore_t *store, uint32_t handle, uint32_t *rep);
/* Number of live entries in the store's table (tests). */
BT_HIDDEN uint32_t bt_cstore_live(const bt_cstore_t *store);

/* ---- items made by resolvers ---- */

/* A typed host function: args are lifted values (borrowed for the call;
 * handles are store indices), the result is stored in *result (ownership
 * passes to baton; left alone for functions without a result). Return
 * NULL, or a trap to stop the calling guest. */
typedef baton_trap_t *(*bt_chost_fn)(void *env, const baton_value_t *args, size_t nargs,
                                     baton_value_t *result);

/* Makes a host function of component function type `type` (kind FUNC, as
 * the import declares it) in `inst`: freed with the instance. finalizer
 * (may be NULL) runs on env when the instance is freed. `name` labels
 * messages. Returns NULL when out of memory or when the type has no
 * canonical ABI representation (then *err says why). */
BT_HIDDEN bt_cfunc_t *bt_cinstance_host_func(bt_cinstance_t *inst, const bt_ctype_t *type,
                                             const char *name, bt_chost_fn fn, void *env,
                                             void (*finalizer)(void *), baton_error_t **err);

/* Makes an instance value with room for n items in `inst`; set each with
 * bt_cvinst_set (name copied). NULL when out of memory. */
BT_HIDDEN bt_cvinst_t *bt_cinstance_new_bag(bt_cinstance_t *inst, uint32_t n);
BT_HIDDEN bool bt_cvinst_set(bt_cinstance_t *inst, bt_cvinst_t *bag, uint32_t i, const char *name,
                             bt_citem_t item);
/* Finds an item of an instance value by name. */
BT_HIDDEN bool bt_cvinst_get(const bt_cvinst_t *v, const char *name, bt_citem_t *out);
BT_HIDDEN uint32_t bt_cvinst_count(const bt_cvinst_t *v);
BT_HIDDEN const char *bt_cvinst_name(const bt_cvinst_t *v, uint32_t i, bt_citem_t *item);

/* Structural equality of WIT types and function signatures as the
 * canonical ABI sees them: kinds, field and case names, element types;
 * parameter names, type names and resource identity are not compared
 * (types bounded to 200 levels by the readers). */
BT_HIDDEN bool bt_cwit_type_eq(const bt_wit_type_t *a, const bt_wit_type_t *b);
BT_HIDDEN bool bt_cwit_func_eq(const bt_wit_function_t *a, const bt_wit_function_t *b);

/* A fresh resource type implemented by the host (no destructor), owned by
 * the store (it lives as long as the store). NULL when out of memory. */
BT_HIDDEN bt_crtype_t *bt_cstore_host_resource(bt_cstore_t *store, const char *name);
/* Makes dtor(env, rep) run when an own handle of the host resource rt is
 * dropped (by a guest's resource.drop or bt_cstore_drop); dtor NULL: none.
 * The host must clear it (dtor NULL) before env goes away, as rt lives as
 * long as the store. */
BT_HIDDEN void bt_crtype_set_host_dtor(bt_crtype_t *rt, void (*dtor)(void *env, uint32_t rep), void *env);

#endif
