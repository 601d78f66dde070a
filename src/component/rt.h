/*
 * src/component/rt.h: the runtime model behind instance.h, shared by
 * compile.c (bt_ccomp_t: compiled modules, adapter-module recognition,
 * converted canon types), witconv.c (component types -> WIT types),
 * instantiate.c (executing definitions) and calls.c (canon lift/lower,
 * handle tables, resource built-ins).
 *
 * Runtime items mirror the static index spaces of bt_component_t: a
 * component instance (cr_cinst) holds, for each sort, an array parallel to
 * comp->spaces[sort] whose entries are
 *   CORE_FUNC      cr_corefn *      CORE_TABLE/MEMORY/GLOBAL  cr_coreref *
 *   CORE_MODULE    cr_module *      CORE_INSTANCE             cr_coreinst *
 *   FUNC           bt_cfunc_t *     TYPE    bt_crtype_t * (NULL: not a resource)
 *   COMPONENT      cr_compval *     INSTANCE                  bt_cvinst_t *
 *   CORE_TYPE      unused (NULL)
 * Everything of one root instance (nested component instances included) is
 * allocated from the root's arena and freed with it; core instances are
 * deleted in reverse creation order.
 */
#ifndef BT_COMPONENT_RT_H
#define BT_COMPONENT_RT_H

#include <pthread.h>
#include <stdatomic.h>

#include "abi/abi.h"
#include "baton/instance.h"
#include "baton/module.h"
#include "component/instance.h"

/* ---- arena (compile.c) ---- */

typedef struct cr_chunk cr_chunk;
typedef struct cr_arena {
  cr_chunk *head;
} cr_arena;

/* Zeroed memory that lives as long as the arena; NULL when out of memory. */
BT_HIDDEN void *cr_alloc(cr_arena *a, size_t n);
BT_HIDDEN char *cr_strdup(cr_arena *a, const char *s);
BT_HIDDEN void cr_arena_free(cr_arena *a);

/* ---- compiled component ---- */

typedef enum cr_emul {
  CR_EMUL_NONE = 0, /* compiled by the engine */
  CR_EMUL_SHIM,     /* functions that only call_indirect through an exported table */
  CR_EMUL_FIXUP,    /* imports and element segments filling an imported table, and/or a
                     * start function that is an import */
} cr_emul;

/* An active element segment of a fixup module: funcs[i] (imported function
 * indices) go to table element offset + i of imported table `table`. */
typedef struct cr_elem {
  uint32_t table, offset, n;
  uint32_t *funcs;
} cr_elem;

/* The name a module's `_initialize` export is compiled under when a fixup
 * calls it (see compile.c): same length, so the bytes are patched in place. */
#define CR_INIT_NAME "_baton_init"

typedef struct cr_module {
  const bt_cdef_t *def;
  uint32_t index;         /* core module index in its component (messages) */
  baton_module_t *module; /* NULL when emulated */
  cr_emul emul;
  bool defer_init; /* `_initialize` renamed CR_INIT_NAME: the fixup calls it */
  /* SHIM: the exported table's size and, for each defined function, the
   * table slot it calls and its type index. */
  uint32_t table_size;
  uint32_t nfns;
  uint32_t *fn_slot;
  /* FIXUP */
  cr_elem *elems;
  uint32_t nelems;
  bool has_start;
  uint32_t start; /* an imported function index */
} cr_module;

/* A `canon lift` or `canon lower` with its type converted once. */
typedef struct cr_canon {
  const bt_cdef_t *def;
  bt_wit_function_t *wit;
  bt_abi_sig_t sig; /* LIFT or LOWER context */
  bool handles;     /* a handle occurs in the signature */
} cr_canon;

typedef struct cr_conv cr_conv;

struct bt_ccomp {
  baton_engine_t *engine;
  char *name;
  uint8_t *bytes;
  size_t len;
  bt_component_t *comp;
  cr_module *mods;
  uint32_t nmods;
  cr_canon *canons;
  uint32_t ncanons;
  uint32_t ncompiled, nemulated;
  bool compiled; /* compile_modules ran (bt_ccomp_compile) */
  /* def pointer -> its cr_module or cr_canon (open addressing) */
  const bt_cdef_t **dkeys;
  void **dvals;
  size_t dcap;
  cr_conv *conv;
  pthread_mutex_t lock; /* conv (host functions made at run time) and wit */
  bt_wit_resolve_t *wit;
  const bt_wit_world_t *world;
  bool wit_tried;
  baton_error_t *wit_err;
};

/* Finds the record of a core module definition / a canon definition. */
BT_HIDDEN cr_module *cr_find_module(const bt_ccomp_t *c, const bt_cdef_t *def);
BT_HIDDEN const cr_canon *cr_find_canon(const bt_ccomp_t *c, const bt_cdef_t *def);

/* ---- type conversion (witconv.c) ---- */

BT_HIDDEN cr_conv *cr_conv_new(void);
BT_HIDDEN void cr_conv_free(cr_conv *conv);
/* Converts function type `ft` (FUNC, aliases followed) into a WIT function
 * named `name` (copied). Types are memoized by node; with `memo` the
 * function is too (it then keeps its first name). Returns NULL with *err
 * set when out of memory or when a type has no canonical ABI
 * representation. Not thread-safe: callers hold bt_ccomp_t.lock at run
 * time. */
BT_HIDDEN bt_wit_function_t *cr_conv_func(cr_conv *conv, const bt_ctype_t *ft, const char *name,
                                          bool memo, baton_error_t **err);
/* The static resource node behind an OWN/BORROW type made by cr_conv. */
BT_HIDDEN const bt_ctype_t *cr_wit_resource(const bt_wit_type_t *t);
/* Whether a handle occurs in the function's parameters or result. */
BT_HIDDEN bool cr_func_has_handles(const bt_ctype_t *ft);

/* ---- runtime ---- */

typedef struct cr_cinst cr_cinst;
typedef struct cr_corefn cr_corefn;

typedef enum cr_fkind {
  CR_F_EXPORT = 0, /* an export of a core instance */
  CR_F_LOWER,      /* canon lower */
  CR_F_RNEW,       /* resource.new */
  CR_F_RDROP,      /* resource.drop */
  CR_F_RREP,       /* resource.rep */
  CR_F_SLOT,       /* an emulated shim function: calls whatever its slot holds */
} cr_fkind;

/* Canonical options at run time. `mem` is the instance whose memory 0 is
 * the option's memory. */
typedef struct cr_opts {
  bt_abi_encoding_t enc;
  baton_instance_t *mem;
  cr_corefn *realloc;
  cr_corefn *post;
} cr_opts;

/* An emulated table (the shim's `$imports`): what each slot holds, and the
 * type the shim function calling it expects (NULL: no shim function). */
typedef struct cr_slots {
  uint32_t n;
  cr_corefn **fns;
  const bt_wasm_functype_t **types;
} cr_slots;

struct cr_corefn {
  cr_fkind kind;
  const bt_wasm_functype_t *type;
  baton_functype_t ftype; /* the same, for the engine */
  cr_cinst *owner;        /* the component instance that made it */
  /* EXPORT */
  baton_instance_t *inst;
  uint32_t index;
  const char *name;
  bool ran_init; /* `_initialize`, which the engine already ran */
  /* LOWER */
  bt_cfunc_t *callee;
  cr_opts opts;
  const cr_canon *canon;
  /* RNEW, RDROP, RREP */
  bt_crtype_t *rt;
  /* SLOT */
  cr_slots *slots;
  uint32_t slot;
};

/* A core memory, table or global: export `name` of core instance `inst`
 * (`index` in the module's space of that kind), or an emulated table. */
typedef struct cr_coreref {
  bt_csort_t sort;
  baton_instance_t *inst;
  const char *name;
  uint32_t index;
  cr_slots *slots;
} cr_coreref;

typedef struct cr_coreexp {
  const char *name;
  bt_csort_t sort;
  void *item; /* cr_corefn * or cr_coreref * */
} cr_coreexp;

typedef struct cr_coreinst {
  baton_instance_t *inst; /* NULL for inline exports and emulated modules */
  uint32_t n;
  cr_coreexp *ex;
} cr_coreinst;

struct bt_crtype {
  bt_cinstance_t *root; /* the root instance whose arena holds it; NULL: a store's */
  cr_cinst *impl;       /* the defining component instance; NULL: the host */
  cr_corefn *dtor;      /* NULL: none */
  const char *name;
  /* A host resource's destructor (bt_crtype_set_host_dtor); NULL: none. */
  void (*host_dtor)(void *env, uint32_t rep);
  void *host_env;
};

enum { CR_FN_LIFTED = 1, CR_FN_HOST = 2 };

struct bt_cfunc {
  int kind;
  const bt_wit_function_t *wit;
  const bt_ctype_t *type;
  bool handles;
  const char *name; /* for messages */
  /* LIFTED */
  cr_cinst *inst;
  cr_corefn *core;
  cr_opts opts;
  const bt_abi_sig_t *sig;
  /* HOST */
  bt_chost_fn host;
  void *env;
};

typedef struct cr_vexport {
  const char *name;
  bt_citem_t item;
} cr_vexport;

struct bt_cvinst {
  uint32_t n;
  cr_vexport *items;
};

/* A component value: a component definition closed over the instance it
 * was defined in (for outer aliases). */
typedef struct cr_compval {
  const bt_component_t *comp;
  cr_cinst *outer;
} cr_compval;

/* ---- handle tables (calls.c) ---- */

/* The duration of one call into a component instance: borrows lent to it. */
typedef struct cr_frame {
  cr_cinst *inst;
  uint32_t borrows;
} cr_frame;

typedef struct cr_handle {
  bt_crtype_t *rt;
  uint32_t rep;
  uint32_t lends; /* borrows of this own handle outstanding */
  bool own, live;
  cr_frame *scope; /* borrow handles: the call they were lent to */
  /* temporary host borrows: the lending table and index */
  struct cr_table *lender;
  uint32_t lender_index;
} cr_handle;

typedef struct cr_table {
  cr_handle *h; /* index 0 unused */
  uint32_t n, cap;
  uint32_t free_head; /* free slots chained through rep; 0: none */
  uint32_t live;
} cr_table;

BT_HIDDEN void cr_table_free(cr_table *t);

struct bt_cstore {
  _Atomic long refs;
  cr_table table;
  cr_arena arena; /* host resource types */
};

struct cr_cinst {
  bt_cinstance_t *root;
  const bt_component_t *comp;
  cr_cinst *outer; /* the instance the component was defined in */
  void **items[BT_CSORT_COUNT];
  cr_table table;
  struct cr_rmap {
    const bt_ctype_t *key;
    bt_crtype_t *rt;
  } *rmap;
  uint32_t nrmap, caprmap;
  bool poisoned, busy;
  bool no_leave; /* its post-return is running: calling out traps (the spec's may_leave) */
  const char *name;
  bt_cvinst_t exports;
  cr_cinst *next_all;
};

typedef struct cr_fin {
  void (*fn)(void *);
  void *env;
} cr_fin;

struct bt_cinstance {
  bt_ccomp_t *comp;
  cr_arena arena;
  cr_cinst *top;
  cr_cinst *all;
  bt_cstore_t *store;
  const char *name;
  uint64_t timeout_ms, max_memory;
  baton_instance_t **cores;
  uint32_t ncores, capcores;
  cr_fin *fins;
  uint32_t nfins, capfins;
  struct cr_rmap *rmap; /* every resource type defined or bound in the tree */
  uint32_t nrmap, caprmap;
  uint32_t ncinst;
};

/* Records that static resource node `key` means `rt` in `ci` (and in the
 * root's tree-wide map). False when out of memory. */
BT_HIDDEN bool cr_rmap_put(cr_cinst *ci, const bt_ctype_t *key, bt_crtype_t *rt);
/* The runtime type of a static resource node as seen from `ci` (its scope
 * chain, then the whole tree); NULL when unknown (checks are skipped). */
BT_HIDDEN bt_crtype_t *cr_rmap_get(cr_cinst *ci, const bt_ctype_t *key);

/* ---- calls (calls.c) ---- */

/* Calls a core function value with flat arguments (count and kinds from
 * fn->type). Returns NULL or a trap (caller owns it). */
BT_HIDDEN baton_trap_t *cr_corefn_invoke(cr_corefn *fn, const baton_val_t *args,
                                         baton_val_t *results);
/* The engine host function that runs a cr_corefn (env). */
BT_HIDDEN baton_trap_t *cr_corefn_trampoline(void *env, baton_caller_t *caller,
                                             const baton_val_t *args, baton_val_t *results);
/* Marks a component instance unusable. */
BT_HIDDEN void cr_poison(cr_cinst *ci);

#endif
