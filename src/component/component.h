/*
 * src/component/component.h: the Component Model binary reader and the WIT
 * decoder built on it.
 *
 * bt_component_parse() decodes and validates a component (binary format
 * version 0x0d, layer 1): every section kind of the MVP (core modules, core
 * instances, core types, nested components, instances, aliases, types,
 * canonical definitions, imports, exports and custom sections). Embedded
 * core modules are parsed with bt_wasm_parse() and keep their byte range.
 * While reading, the reader builds the 13 index spaces of the spec (core
 * func/table/memory/global/tag/type/module/instance; component
 * func/value/type/component/instance) and checks that every index is in
 * range, refers to the right sort and has a compatible type. Errors name
 * the byte offset and the construct, e.g.
 *   "offset 0x3c: canon section: lift: core function index 12 out of range
 *    (7 defined)".
 *
 * The parsed model is a tree: a bt_component_t holds its definitions in
 * binary order (bt_cdef_t), its index spaces (bt_cspace_t), its imports and
 * exports (bt_cextern_t), its component type, and its nested components.
 * Component-level types are bt_ctype_t graphs shared by pointer. A type
 * index holds a node; `(eq T)` type imports/exports and type exports create
 * an ALIAS node whose `elem` is T, and `(sub resource)` creates a fresh
 * abstract RESOURCE node, so pointer identity after following ALIAS links is
 * type identity (what the WIT decoder relies on to recover `use`).
 *
 * bt_component_decode_wit() turns either the `component-type` custom section
 * of a core module (as written by wit-bindgen / `wasm-tools component
 * embed`) or a component's own imports and exports into a bt_wit_resolve_t,
 * following wit-parser's decoder so that printing the world gives the text
 * `wasm-tools component wit` prints.
 *
 * Everything reachable from a bt_component_t is owned by the root component
 * and freed by bt_component_free(). The input bytes are borrowed and must
 * outlive the component (core module and custom section ranges point into
 * them).
 */
#ifndef BT_COMPONENT_H
#define BT_COMPONENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "util/common.h"
#include "wasm/wasm.h"
#include "wit/wit.h"

/* Nesting limit for components and type declarations inside each other. */
#define BT_COMPONENT_MAX_DEPTH 32

typedef struct bt_component bt_component_t;
typedef struct bt_ctype bt_ctype_t;

/* ---- sorts and index spaces ---- */

typedef enum bt_csort {
  BT_CSORT_CORE_FUNC = 0,
  BT_CSORT_CORE_TABLE,
  BT_CSORT_CORE_MEMORY,
  BT_CSORT_CORE_GLOBAL,
  BT_CSORT_CORE_TAG,
  BT_CSORT_CORE_TYPE,
  BT_CSORT_CORE_MODULE,
  BT_CSORT_CORE_INSTANCE,
  BT_CSORT_FUNC,
  BT_CSORT_VALUE,
  BT_CSORT_TYPE,
  BT_CSORT_COMPONENT,
  BT_CSORT_INSTANCE,
  BT_CSORT_COUNT
} bt_csort_t;

/* One index of an index space. `type` depends on the sort:
 *   CORE_FUNC, CORE_TAG   const bt_wasm_functype_t *
 *   CORE_TABLE            const bt_wasm_tabletype_t *
 *   CORE_MEMORY           const bt_wasm_limits_t *
 *   CORE_GLOBAL           const bt_wasm_globaltype_t *
 *   CORE_TYPE             const bt_ccoretype_t *
 *   CORE_MODULE           const bt_cmodtype_t * (imports and exports)
 *   CORE_INSTANCE         const bt_cmodtype_t * (exports only)
 *   FUNC                  const bt_ctype_t * of kind FUNC
 *   TYPE                  const bt_ctype_t * (any kind)
 *   COMPONENT             const bt_ctype_t * of kind COMPONENT
 *   INSTANCE              const bt_ctype_t * of kind INSTANCE
 * `def` is the index in bt_component_t.defs of the definition that created
 * the entry (UINT32_MAX inside type declarations). */
typedef struct bt_cspace_entry {
  const void *type;
  uint32_t def;
} bt_cspace_entry_t;

typedef struct bt_cspace {
  bt_cspace_entry_t *items;
  uint32_t count, cap;
} bt_cspace_t;

/* ---- core-level types ---- */

/* An import or export of a core module type, or an export of a core
 * instance. `module` is NULL for exports. */
typedef struct bt_ccore_extern {
  const char *module;
  const char *name;
  bt_wasm_externkind_t kind;
  const bt_wasm_functype_t *func; /* FUNC, TAG */
  bt_wasm_tabletype_t table;
  bt_wasm_limits_t memory;
  bt_wasm_globaltype_t global;
} bt_ccore_extern_t;

typedef struct bt_cmodtype {
  bt_ccore_extern_t *imports;
  uint32_t nimports;
  bt_ccore_extern_t *exports;
  uint32_t nexports;
} bt_cmodtype_t;

/* An entry of the core type index space: a function type or a module type. */
typedef struct bt_ccoretype {
  bool is_module;
  const bt_wasm_functype_t *func;
  const bt_cmodtype_t *module;
} bt_ccoretype_t;

/* ---- component-level types ---- */

/* Kinds. BOOL..ALIAS use the same numbering as bt_wit_kind_t. */
typedef enum bt_ctype_kind {
  BT_CT_BOOL = 1,
  BT_CT_S8,
  BT_CT_U8,
  BT_CT_S16,
  BT_CT_U16,
  BT_CT_S32,
  BT_CT_U32,
  BT_CT_S64,
  BT_CT_U64,
  BT_CT_F32,
  BT_CT_F64,
  BT_CT_CHAR,
  BT_CT_STRING,
  BT_CT_LIST,      /* elem */
  BT_CT_TUPLE,     /* count, types */
  BT_CT_OPTION,    /* elem */
  BT_CT_RESULT,    /* ok, err (each may be NULL) */
  BT_CT_RECORD,    /* count, fields */
  BT_CT_VARIANT,   /* count, fields (type NULL: no payload) */
  BT_CT_ENUM,      /* count, fields (names only) */
  BT_CT_FLAGS,     /* count, fields (names only) */
  BT_CT_RESOURCE,  /* rep, dtor, owner */
  BT_CT_OWN,       /* elem: the resource as referenced (may be an ALIAS) */
  BT_CT_BORROW,    /* elem: likewise */
  BT_CT_ALIAS,     /* elem: the type an (eq T) bound or a type export names */
  BT_CT_FUNC,      /* count, fields (params); elem: result or NULL */
  BT_CT_INSTANCE,  /* exports */
  BT_CT_COMPONENT, /* imports, exports */
  /* Read and decoded to WIT, but never lifted or lowered (the canonical ABI
   * refuses them by name). */
  BT_CT_MAP,           /* ok: key, elem: value */
  BT_CT_FUTURE,        /* elem: payload or NULL */
  BT_CT_STREAM,        /* elem: payload or NULL */
  BT_CT_ERROR_CONTEXT, /* a static singleton (primitive 0x64) */
} bt_ctype_kind_t;

/* Type flags, computed when a node is built. */
enum {
  BT_CT_HAS_BORROW = 1,   /* a borrow handle occurs inside */
  BT_CT_HAS_RESOURCE = 2, /* a resource or handle occurs inside */
  BT_CT_HAS_MEMORY = 4,   /* a string or list occurs inside */
  BT_CT_NAMED = 8,        /* the node an import or export of a type created:
                           * an externally visible name (not inherited) */
  BT_CT_ASYNC = 16,       /* FUNC: declared `async` (opcode 0x43); such
                           * functions are refused when bound (witconv.c) */
};

typedef struct bt_cfield {
  const char *name;
  bt_ctype_t *type;
} bt_cfield_t;

typedef struct bt_cextern bt_cextern_t;

struct bt_ctype {
  bt_ctype_kind_t kind;
  uint8_t flags;
  uint32_t size;  /* nodes in the type seen as a tree (saturating) */
  uint32_t depth; /* nesting depth (1 for leaves); bounded by the reader */
  uint32_t count;
  bt_cfield_t *fields;
  bt_ctype_t **types;
  bt_ctype_t *elem;
  bt_ctype_t *ok, *err;
  /* RESOURCE: `rep` is the core value type of a defined resource (0 when
   * abstract: imported or declared `(sub resource)`); `owner` identifies the
   * component that defined it (NULL when abstract). */
  uint8_t rep;
  bool has_dtor;
  uint32_t dtor; /* core function index in the owner */
  const void *owner;
  /* INSTANCE / COMPONENT */
  bt_cextern_t *imports;
  uint32_t nimports;
  bt_cextern_t *exports;
  uint32_t nexports;
};

/* An import or export: of a component, or declared in a component or
 * instance type. For TYPE, `type` is the node the extern created: an ALIAS
 * (eq bound, or a type export) or an abstract RESOURCE (sub resource). */
struct bt_cextern {
  const char *name;
  const char *implements;     /* `implements` attribute, or NULL */
  bt_csort_t sort;            /* CORE_MODULE, FUNC, TYPE, COMPONENT, INSTANCE */
  const bt_cmodtype_t *module; /* CORE_MODULE */
  bt_ctype_t *type;           /* the others */
  size_t offset;              /* where it was declared */
};

/* ---- definitions ---- */

typedef enum bt_cdef_kind {
  BT_CDEF_CORE_MODULE = 0,
  BT_CDEF_CORE_INSTANCE,
  BT_CDEF_CORE_TYPE,
  BT_CDEF_COMPONENT,
  BT_CDEF_INSTANCE,
  BT_CDEF_ALIAS,
  BT_CDEF_TYPE,
  BT_CDEF_CANON,
  BT_CDEF_IMPORT,
  BT_CDEF_EXPORT,
} bt_cdef_kind_t;

typedef struct bt_csortidx {
  bt_csort_t sort;
  uint32_t index;
} bt_csortidx_t;

/* A named item: an instantiation argument or an inline export. */
typedef struct bt_cnamed {
  const char *name;
  bt_csortidx_t item;
} bt_cnamed_t;

typedef enum bt_calias_kind {
  BT_CALIAS_EXPORT = 0,  /* export `name` of component instance `instance` */
  BT_CALIAS_CORE_EXPORT, /* export `name` of core instance `instance` */
  BT_CALIAS_OUTER,       /* index `outer_index` of the `outer_count`-th enclosing component */
} bt_calias_kind_t;

typedef enum bt_ccanon_kind {
  BT_CCANON_LIFT = 0,
  BT_CCANON_LOWER,
  BT_CCANON_RESOURCE_NEW,
  BT_CCANON_RESOURCE_DROP,
  BT_CCANON_RESOURCE_REP,
} bt_ccanon_kind_t;

typedef enum bt_cstring_encoding {
  BT_CSTRING_UTF8 = 0,
  BT_CSTRING_UTF16,
  BT_CSTRING_LATIN1_UTF16,
} bt_cstring_encoding_t;

typedef struct bt_ccanon_opts {
  bt_cstring_encoding_t string_encoding;
  bool has_memory, has_realloc, has_post_return;
  uint32_t memory, realloc, post_return; /* core memory / function indices */
} bt_ccanon_opts_t;

/* One definition, in binary order. `sort`/`index` give the index it added
 * (index UINT32_MAX when it adds none, e.g. a type definition inside a
 * nested type scope never appears here). */
typedef struct bt_cdef {
  bt_cdef_kind_t kind;
  size_t offset;
  bt_csort_t sort;
  uint32_t index;
  union {
    struct { /* CORE_MODULE */
      bt_wasm_module_t *module;
      const uint8_t *bytes; /* the module's bytes, header included */
      size_t size;
    } core_module;
    struct { /* CORE_INSTANCE; INSTANCE */
      bool instantiate; /* true: instantiate `of` with `args`; false: `args` are inline exports */
      uint32_t of;      /* core module / component index */
      bt_cnamed_t *args;
      uint32_t nargs;
    } instance;
    struct { /* COMPONENT */
      bt_component_t *component;
    } component;
    struct { /* ALIAS */
      bt_calias_kind_t kind;
      uint32_t instance;
      const char *name;
      uint32_t outer_count, outer_index;
    } alias;
    struct { /* TYPE; CORE_TYPE */
      const bt_ctype_t *type;        /* TYPE */
      const bt_ccoretype_t *coretype; /* CORE_TYPE */
    } type;
    struct { /* CANON */
      bt_ccanon_kind_t kind;
      uint32_t func;  /* LIFT: core function; LOWER: component function */
      uint32_t type;  /* LIFT: function type index; RESOURCE_*: resource type index */
      const bt_ctype_t *functype; /* LIFT/LOWER: the component function type */
      const bt_ctype_t *resource; /* RESOURCE_*: the resource (aliases followed) */
      const bt_wasm_functype_t *core_type; /* the core function type involved */
      bt_ccanon_opts_t opts;
    } canon;
    struct { /* IMPORT; EXPORT */
      const bt_cextern_t *ext; /* the import / the export (with its final type) */
      bt_csortidx_t item;      /* EXPORT: what is exported */
      bool ascribed;           /* EXPORT: a type ascription was given */
    } ext;
  } u;
} bt_cdef_t;

struct bt_component {
  const uint8_t *bytes; /* this component's bytes (header included) */
  size_t size;
  size_t offset; /* of `bytes` in the input given to bt_component_parse */
  bt_component_t *parent;
  uint32_t depth; /* 0 for the root */

  bt_cdef_t *defs;
  uint32_t ndefs;
  bt_cspace_t spaces[BT_CSORT_COUNT];
  bt_cextern_t *imports;
  uint32_t nimports;
  bt_cextern_t *exports;
  uint32_t nexports;
  bt_ctype_t *type; /* COMPONENT: the imports and exports above */
  bt_wasm_custom_t *customs;
  uint32_t ncustoms;

  void *internal_; /* root only: the allocation arena and module list */
};

/* ---- API ---- */

/* True when the first 8 bytes are a component preamble (any version). */
BT_HIDDEN bool bt_component_is_component(const uint8_t *bytes, size_t len);

/* Parses and validates a component. `bytes` are borrowed and must outlive
 * the result. On success stores the root in *out (free with
 * bt_component_free) and returns NULL. On failure returns an error whose
 * message starts "offset 0x<hex>: <section>: " (codes MALFORMED for
 * encoding errors, INVALID for validation errors, TYPE for type mismatches,
 * UNSUPPORTED for features baton does not implement, LIMIT for
 * implementation limits, NO_MEMORY) and leaves *out NULL. */
BT_HIDDEN baton_error_t *bt_component_parse(const uint8_t *bytes, size_t len,
                                            bt_component_t **out);

/* Frees a root component and everything it owns. NULL is a no-op. */
BT_HIDDEN void bt_component_free(bt_component_t *component);

/* Decodes WIT from a binary: for a core module, from its first custom
 * section named `component-type` or `component-type:<anything>` (whose
 * payload is a component exporting the encoded world); for a component,
 * from its imports and exports (world `root` of package `root:component`,
 * as wasm-tools does), unless the component is itself a WIT package encoded
 * as a component, which is decoded as that package. On success *out owns a
 * resolve (free with bt_wit_free) whose main package holds the world. */
BT_HIDDEN baton_error_t *bt_component_decode_wit(const uint8_t *bytes, size_t len,
                                                 bt_wit_resolve_t **out);

/* Returns a static name such as "core func" or "instance" for a sort. */
BT_HIDDEN const char *bt_csort_name(bt_csort_t sort);

/* Follows ALIAS links. NULL-safe. */
BT_HIDDEN const bt_ctype_t *bt_ctype_unalias(const bt_ctype_t *type);

/* Returns the export named `name` of an INSTANCE or COMPONENT type, or NULL. */
BT_HIDDEN const bt_cextern_t *bt_ctype_export(const bt_ctype_t *type, const char *name);

/* Computes the core signature the Canonical ABI gives component function
 * type `func` (kind FUNC) for `lift` (lower == false) or `lower`. Stores
 * the parameter and result types (bt_wasm_valtype_t values) in the arrays,
 * which must hold 17 and 1 entries, and their counts. Returns false when the
 * type cannot be flattened (it is not a function type). */
BT_HIDDEN bool bt_ctype_flatten_func(const bt_ctype_t *func, bool lower, uint8_t params[17],
                                     uint32_t *nparams, uint8_t results[1], uint32_t *nresults);

#endif
