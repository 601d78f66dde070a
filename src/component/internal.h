/*
 * src/component/internal.h: declarations shared by the component reader's
 * files (reader.c, sections.c, types.c, typecheck.c, canon.c,
 * decode_wit.c).
 *
 * Memory: a parse allocates everything from one arena owned by the root
 * component (plus the bt_wasm_module_t of each embedded core module, kept in
 * a list beside the arena). Errors, including allocation failure, are raised
 * with cm_fail()/cm_oom(), which longjmp back to bt_component_parse(); it
 * then frees the arena and the modules, so no code below the entry point
 * unwinds by hand. Functions that can raise say "Raises" in their contract.
 *
 * Scopes: a component being read, and each component or instance type
 * declaration being read, is a cm_scope with its own index spaces; outer
 * aliases walk the `parent` chain.
 */
#ifndef BT_COMPONENT_INTERNAL_H
#define BT_COMPONENT_INTERNAL_H

#include <setjmp.h>
#include <stdarg.h>

#include "component/component.h"

/* ---- arena ---- */

typedef struct cm_chunk cm_chunk;
typedef struct cm_arena {
  cm_chunk *head;
} cm_arena;

/* Returns n zeroed bytes from the arena, or NULL when out of memory. */
BT_HIDDEN void *cm_arena_alloc(cm_arena *a, size_t n);
/* Frees every chunk. */
BT_HIDDEN void cm_arena_free(cm_arena *a);

/* A core module parsed with bt_wasm_parse, freed with the root. */
typedef struct cm_modnode {
  bt_wasm_module_t *module;
  struct cm_modnode *next;
} cm_modnode;

/* The root component's internal_: its arena and module list. */
typedef struct cm_root {
  cm_arena arena;
  cm_modnode *modules;
} cm_root;

/* ---- parse context ---- */

typedef struct cm_ctx {
  jmp_buf jmp;
  baton_error_t *err;
  cm_root *root;
  const uint8_t *base; /* the input, for offsets */
  size_t len;
  const char *section; /* "type section", ... for messages; NULL in the header */
  uint64_t fuel;       /* type-checking steps left (cm_burn) */
  unsigned depth;      /* nesting of components and type declarations */
} cm_ctx;

/* A bounded cursor into the input. */
typedef struct cm_rd {
  const uint8_t *pos, *end;
} cm_rd;

/* Raises an error at byte `at` (NULL: no offset): the message becomes
 * "offset 0x<hex>: <section>: <fmt...>". */
BT_HIDDEN _Noreturn void cm_fail(cm_ctx *c, const uint8_t *at, baton_errno_t code,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Raises NO_MEMORY. */
BT_HIDDEN _Noreturn void cm_oom(cm_ctx *c);
/* Consumes one step of type-checking work; raises LIMIT when the budget
 * is exhausted (pathological type graphs). */
BT_HIDDEN void cm_burn(cm_ctx *c, const uint8_t *at, uint64_t steps);

/* Zeroed arena memory. Raises on out-of-memory or size overflow. */
BT_HIDDEN void *cm_alloc(cm_ctx *c, size_t n);
BT_HIDDEN void *cm_alloc_array(cm_ctx *c, size_t count, size_t size);
/* Copies n bytes plus a NUL into the arena. Raises. */
BT_HIDDEN char *cm_strndup(cm_ctx *c, const char *s, size_t n);

/* Grows an arena array to hold `need` elements; returns the new array. */
BT_HIDDEN void *cm_grow(cm_ctx *c, void *items, size_t elem, uint32_t len, uint32_t *cap,
                        uint32_t need);
#define CM_PUSH(c, arr, len, cap, value)                                            \
  do {                                                                              \
    if ((len) >= (cap)) (arr) = cm_grow((c), (arr), sizeof(*(arr)), (len), &(cap), (len) + 1); \
    (arr)[(len)++] = (value);                                                       \
  } while (0)

/* Reading primitives. Each raises MALFORMED naming `what` on truncation or
 * a bad encoding. */
BT_HIDDEN uint8_t cm_byte(cm_ctx *c, cm_rd *r, const char *what);
BT_HIDDEN uint32_t cm_u32(cm_ctx *c, cm_rd *r, const char *what);
BT_HIDDEN int64_t cm_s33(cm_ctx *c, cm_rd *r, const char *what);
/* Reads a vector length and checks that at least `min_each` bytes per
 * element remain, so absurd counts fail before anything is allocated. */
BT_HIDDEN uint32_t cm_count(cm_ctx *c, cm_rd *r, size_t min_each, const char *what);
/* Reads a length-prefixed UTF-8 string into the arena (NUL-terminated;
 * embedded NULs are rejected). */
BT_HIDDEN const char *cm_string(cm_ctx *c, cm_rd *r, const char *what);
/* Checks that the cursor has reached its end. */
BT_HIDDEN void cm_expect_end(cm_ctx *c, cm_rd *r, const char *what);

/* ---- names ---- */

/* True when `s` is a kebab-case label ("a-b", "HTTP-2"). */
BT_HIDDEN bool cm_is_label(const char *s, size_t n);
/* True when `s` is a valid semantic version. */
BT_HIDDEN bool cm_is_semver(const char *s, size_t n);
/* Validates an import or export name (plain or interface name); raises
 * INVALID naming `what` otherwise. */
BT_HIDDEN void cm_check_extern_name(cm_ctx *c, const uint8_t *at, const char *name,
                                    const char *what);

/* A set of strongly-unique names (canonicalized per the spec). */
typedef struct cm_nameset {
  const char **slots;
  uint32_t cap, len;
} cm_nameset;
enum {
  CM_NAMES_EXTERN = 0, /* strongly unique: acronyms lowercased, [method]/[static] stripped */
  CM_NAMES_LABEL,      /* labels: compared ignoring case */
  CM_NAMES_EXACT,      /* core names: byte equality */
};
/* Adds a name; returns false when a name equal to it under `mode` is
 * already present. Raises on out-of-memory. */
BT_HIDDEN bool cm_nameset_add(cm_ctx *c, cm_nameset *s, const char *name, int mode);

/* ---- scopes ---- */

typedef enum cm_scope_kind {
  CM_SCOPE_COMPONENT = 0,
  CM_SCOPE_COMPONENT_TYPE,
  CM_SCOPE_INSTANCE_TYPE,
} cm_scope_kind;

typedef struct cm_scope {
  cm_scope_kind kind;
  struct cm_scope *parent;
  bt_cspace_t *spaces; /* BT_CSORT_COUNT of them */
  bt_component_t *comp; /* CM_SCOPE_COMPONENT */
  uint32_t cur_def;     /* definition being read (COMPONENT) */
  /* imports and exports declared so far */
  bt_cextern_t *imports;
  uint32_t nimports, capimports;
  bt_cextern_t *exports;
  uint32_t nexports, capexports;
  cm_nameset import_names, export_names;
} cm_scope;

/* Appends an entry to a scope's index space and returns its index. Raises
 * LIMIT past 1,000,000 entries. */
BT_HIDDEN uint32_t cm_space_push(cm_ctx *c, cm_scope *s, bt_csort_t sort, const void *type,
                                 const uint8_t *at);
/* Returns entry `idx` of the space, raising INVALID "<what>: <sort> index N
 * out of range (M defined)" when there is none. */
BT_HIDDEN const void *cm_space_get(cm_ctx *c, cm_scope *s, bt_csort_t sort, uint32_t idx,
                                   const uint8_t *at, const char *what);
/* Reads a component-level `sort` (one or two bytes). Raises. */
BT_HIDDEN bt_csort_t cm_read_sort(cm_ctx *c, cm_rd *r);
/* Reads a core:sort byte. Raises. */
BT_HIDDEN bt_csort_t cm_read_core_sort(cm_ctx *c, cm_rd *r);

/* ---- types.c ---- */

/* The primitive singletons (BOOL..STRING). */
BT_HIDDEN bt_ctype_t *cm_prim(bt_ctype_kind_t kind);
/* Allocates a node and computes its flags and size from its children. */
BT_HIDDEN bt_ctype_t *cm_type_new(cm_ctx *c, bt_ctype_kind_t kind);
BT_HIDDEN void cm_type_finish(cm_ctx *c, bt_ctype_t *t, const uint8_t *at);
/* A new ALIAS of `target`. Raises. */
BT_HIDDEN bt_ctype_t *cm_alias_of(cm_ctx *c, bt_ctype_t *target, const uint8_t *at);

/* Reads one `type` definition (deftype) in scope `s`. Raises. */
BT_HIDDEN bt_ctype_t *cm_read_deftype(cm_ctx *c, cm_rd *r, cm_scope *s);
/* Reads a `core:type` (function or module type) in scope `s`. Raises. */
BT_HIDDEN const bt_ccoretype_t *cm_read_core_type(cm_ctx *c, cm_rd *r, cm_scope *s);
/* Reads an `externtype` and returns an extern (name unset) whose type is
 * resolved in scope `s`; for type bounds it creates the ALIAS or abstract
 * RESOURCE node. Raises. */
BT_HIDDEN bt_cextern_t cm_read_externtype(cm_ctx *c, cm_rd *r, cm_scope *s);
/* Reads nameattributes: the name and the optional `implements`. Raises. */
BT_HIDDEN const char *cm_read_extern_name(cm_ctx *c, cm_rd *r, const char **implements);
/* Declares an import or export in scope `s`: validates its name (strong
 * uniqueness, [constructor]/[method]/[static] rules), records it and pushes
 * its index. Returns the index it received. Raises. */
BT_HIDDEN uint32_t cm_declare_extern(cm_ctx *c, cm_scope *s, bt_cextern_t ext, bool is_import,
                                     const uint8_t *at);
/* Reads an alias (definition or declarator) and pushes the entry it
 * creates; fills *def when non-NULL. Raises. */
BT_HIDDEN void cm_read_alias(cm_ctx *c, cm_rd *r, cm_scope *s, bt_cdef_t *def);
/* Reads core:tabletype / memtype / globaltype. Raise. */
BT_HIDDEN bt_wasm_tabletype_t cm_read_tabletype(cm_ctx *c, cm_rd *r);
BT_HIDDEN bt_wasm_limits_t cm_read_limits(cm_ctx *c, cm_rd *r);
BT_HIDDEN bt_wasm_globaltype_t cm_read_globaltype(cm_ctx *c, cm_rd *r);
/* Builds a core function type in the arena. Raises. */
BT_HIDDEN const bt_wasm_functype_t *cm_core_functype(cm_ctx *c, const uint8_t *params,
                                                     uint32_t np, const uint8_t *results,
                                                     uint32_t nr);

/* ---- typecheck.c ---- */

/* A substitution / correspondence from nodes of an expected type to nodes
 * of an actual one (resources and type aliases). */
typedef struct cm_map {
  const bt_ctype_t **keys;
  bt_ctype_t **vals;
  uint32_t cap, len;
} cm_map;
BT_HIDDEN bt_ctype_t *cm_map_get(const cm_map *m, const bt_ctype_t *key);
BT_HIDDEN void cm_map_put(cm_ctx *c, cm_map *m, const bt_ctype_t *key, bt_ctype_t *val);

/* Checks that an item of type `actual` can be used where `expected` is
 * required (equality for value and function types, subtyping by name for
 * instance and component types), reading expected nodes through `map` and
 * recording in it the resources and aliases that expected instance types
 * declare. On mismatch writes a reason into why[0..n) and returns false.
 * Raises LIMIT when the work budget runs out. */
BT_HIDDEN bool cm_match_extern(cm_ctx *c, const uint8_t *at, bt_csort_t sort, const void *actual,
                               const void *expected, cm_map *map, char *why, size_t n);
/* Returns `t` with every node in `map` replaced (copying what changes).
 * `memo` (zero-initialised by the caller) remembers the copies made, and
 * must be shared by all calls whose results must agree on node identity
 * (e.g. all exports of one instantiation). Raises. */
BT_HIDDEN bt_ctype_t *cm_subst(cm_ctx *c, const uint8_t *at, bt_ctype_t *t, cm_map *map,
                               cm_map *memo);
/* True when two core function types are equal. */
BT_HIDDEN bool cm_core_functype_eq(const bt_wasm_functype_t *a, const bt_wasm_functype_t *b);
/* Checks a core extern against an expected one (for module instantiation);
 * writes a reason on mismatch. */
BT_HIDDEN bool cm_core_extern_match(const bt_ccore_extern_t *actual,
                                    const bt_ccore_extern_t *expected, char *why, size_t n);
/* Writes a short description of a type ("list<u8>", "record", "func")
 * for messages. */
BT_HIDDEN void cm_type_str(const bt_ctype_t *t, char *buf, size_t n);

/* ---- canon.c ---- */

/* Reads one canonical definition and pushes the function it creates;
 * fills *def. Raises. */
BT_HIDDEN void cm_read_canon(cm_ctx *c, cm_rd *r, cm_scope *s, bt_cdef_t *def);

/* ---- sections.c ---- */

/* Returns the component-level name of a core extern kind ("func", ...). */
BT_HIDDEN const char *cm_core_kind_name(bt_wasm_externkind_t k);

#endif
