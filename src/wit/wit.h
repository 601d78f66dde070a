/*
 * src/wit/wit.h: the WIT front end and the resolved WIT type model.
 *
 * WIT (the Component Model's interface language) is parsed from a file, a
 * directory laid out the way wit-bindgen expects (the root package's .wit
 * files in `wit/`, each dependency a `wit/deps/<name>.wit` file or a
 * `wit/deps/<name>/` directory), or a string. Parsing
 * resolves every name and produces a bt_wit_resolve_t: a read-only graph of
 * packages, interfaces, worlds, functions and types. That graph is the type
 * model shared by the canonical ABI, WAVE values, the component loader and
 * the C bindings generator, so its shape follows wit-parser's `Resolve`
 * closely:
 *
 *   - Every type is a bt_wit_type_t, and types are shared by pointer. A named
 *     type (record, variant, enum, flags, resource, `type x = ...` alias,
 *     `use`d name) exists exactly once; anonymous types (list<T>, tuple<...>,
 *     option<T>, result<...>, own<R>, borrow<R>) are interned per resolve, so
 *     two mentions of `list<u8>` yield the same pointer. Primitive types are
 *     static singletons shared by every resolve (bt_wit_prim()). A world that
 *     includes another gets its own copies of the included world's types.
 *   - A reference to a resource in value position (a parameter `b: blob`) is
 *     an anonymous OWN handle, as in the Component Model; `borrow<blob>` is a
 *     BORROW handle. `type a = b` and `use i.{b}` create ALIAS types whose
 *     `target` can be followed to the underlying definition
 *     (bt_wit_type_unalias()).
 *   - Worlds are stored elaborated: `include`s are flattened, interfaces that
 *     imports and exports depend on through `use` are added as imports, and
 *     items are ordered interfaces, types, functions, the order wasm-tools
 *     uses, which is also a valid definition order.
 *   - Items gated with `@unstable(feature = f)` are dropped unless the
 *     feature is enabled in bt_wit_options_t (wasm-tools' default behaviour).
 *
 * Everything reachable from a resolve is owned by it and freed by
 * bt_wit_free(). Errors are baton_error_t values whose message names
 * file:line:col and quotes the offending line with a caret underneath.
 */
#ifndef BT_WIT_H
#define BT_WIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "baton/error.h"
#include "util/common.h"

typedef struct bt_wit_type bt_wit_type_t;
typedef struct bt_wit_function bt_wit_function_t;
typedef struct bt_wit_interface bt_wit_interface_t;
typedef struct bt_wit_world bt_wit_world_t;
typedef struct bt_wit_package bt_wit_package_t;
typedef struct bt_wit_resolve bt_wit_resolve_t;

/* Where a definition was written (1-based line and column, column counted
 * in characters). `file` is NULL for synthesized items. */
typedef struct bt_wit_loc {
  const char *file;
  uint32_t line, col;
} bt_wit_loc_t;

/* A semantic version (semver 2.0). `text` is the canonical spelling,
 * e.g. "1.2.0-rc.1+build.5"; `pre` and `build` are NULL when absent. */
typedef struct bt_wit_version {
  uint64_t major, minor, patch;
  const char *pre;
  const char *build;
  const char *text;
} bt_wit_version_t;

/* Feature-gate annotation of an item. `since`/`deprecated` are version texts
 * (NULL when absent); `feature` is set for UNSTABLE. */
typedef enum bt_wit_stability_kind {
  BT_WIT_STABILITY_UNKNOWN = 0, /* no gate */
  BT_WIT_STABILITY_STABLE,      /* @since(version = ...) */
  BT_WIT_STABILITY_UNSTABLE,    /* @unstable(feature = ...) */
} bt_wit_stability_kind_t;

typedef struct bt_wit_stability {
  bt_wit_stability_kind_t kind;
  const char *since;
  const char *feature;
  const char *deprecated;
} bt_wit_stability_t;

/* ---- types ---- */

typedef enum bt_wit_kind {
  BT_WIT_BOOL = 1,
  BT_WIT_S8,
  BT_WIT_U8,
  BT_WIT_S16,
  BT_WIT_U16,
  BT_WIT_S32,
  BT_WIT_U32,
  BT_WIT_S64,
  BT_WIT_U64,
  BT_WIT_F32,
  BT_WIT_F64,
  BT_WIT_CHAR,
  BT_WIT_STRING,
  BT_WIT_LIST,     /* element */
  BT_WIT_TUPLE,    /* count, types */
  BT_WIT_OPTION,   /* element */
  BT_WIT_RESULT,   /* ok, err (each may be NULL) */
  BT_WIT_RECORD,   /* count, fields (name + type) */
  BT_WIT_VARIANT,  /* count, fields (cases; type NULL when no payload) */
  BT_WIT_ENUM,     /* count, fields (names only) */
  BT_WIT_FLAGS,    /* count, fields (names only) */
  BT_WIT_RESOURCE, /* named abstract type; functions live in the owner */
  BT_WIT_OWN,      /* handle: target (as written), resource (underlying) */
  BT_WIT_BORROW,   /* handle: target (as written), resource (underlying) */
  BT_WIT_ALIAS,    /* `type a = t` or a `use`d name: target */
  /* Parsed, resolved and printed, but not supported at run time (the ABI,
   * values, bindings and component calls refuse them by name; see
   * bt_wit_type_unsupported()). */
  BT_WIT_MAP,           /* map<K, V>: key, target (the value type) */
  BT_WIT_FUTURE,        /* future<T> / future: target (NULL without payload) */
  BT_WIT_STREAM,        /* stream<T> / stream: target (NULL without payload) */
  BT_WIT_ERROR_CONTEXT, /* error-context: a static singleton (bt_wit_prim) */
} bt_wit_kind_t;

typedef enum bt_wit_owner_kind {
  BT_WIT_OWNER_NONE = 0, /* anonymous or primitive */
  BT_WIT_OWNER_INTERFACE,
  BT_WIT_OWNER_WORLD,
} bt_wit_owner_kind_t;

/* A record field, a variant or enum case, or a flag. */
typedef struct bt_wit_field {
  const char *name;
  bt_wit_type_t *type; /* NULL for enum cases, flags, payload-less cases */
  const char *docs;
} bt_wit_field_t;

struct bt_wit_type {
  bt_wit_kind_t kind;
  const char *name; /* NULL for anonymous types and primitives */
  bt_wit_owner_kind_t owner_kind;
  bt_wit_interface_t *interface; /* the owner when OWNER_INTERFACE */
  bt_wit_world_t *world;         /* the owner when OWNER_WORLD */
  const char *docs;              /* NULL when undocumented */
  bt_wit_stability_t stability;
  bt_wit_loc_t loc;

  /* LIST/OPTION: element type. ALIAS: the aliased type. OWN/BORROW: the
   * resource as named (the resource itself or an alias of it). MAP: the
   * value type. FUTURE/STREAM: the payload (NULL when absent). */
  bt_wit_type_t *target;
  /* MAP: the key type. */
  bt_wit_type_t *key;
  /* OWN/BORROW: the underlying RESOURCE (target with aliases followed). */
  bt_wit_type_t *resource;
  /* RESULT payloads; NULL for `_` / absent. */
  bt_wit_type_t *ok, *err;
  /* TUPLE (types) and RECORD/VARIANT/ENUM/FLAGS (fields) member count. */
  size_t count;
  bt_wit_type_t **types;
  bt_wit_field_t *fields;

  /* Internal to src/wit. */
  uint32_t serial_;
  uint32_t src_[3]; /* defining span: file, start, end */
  uint8_t excluded_;
  uint8_t has_borrow_; /* 0 unknown, 1 no, 2 yes */
  uint8_t unsupported_; /* 0 unknown, 1 no, 2 yes (bt_wit_type_unsupported) */
};

/* ---- functions ---- */

typedef enum bt_wit_func_kind {
  BT_WIT_FUNC_FREESTANDING = 0,
  BT_WIT_FUNC_METHOD,      /* params[0] is `self: borrow<resource>` */
  BT_WIT_FUNC_STATIC,
  BT_WIT_FUNC_CONSTRUCTOR, /* result is own<resource> or result<own<..>, E> */
} bt_wit_func_kind_t;

typedef struct bt_wit_param {
  const char *name;
  bt_wit_type_t *type;
} bt_wit_param_t;

struct bt_wit_function {
  /* The Component Model name: "f", "[method]r.m", "[static]r.s",
   * "[constructor]r". */
  const char *name;
  /* The name as written: "f", "m", "s"; the resource name for constructors. */
  const char *item_name;
  bt_wit_func_kind_t kind;
  bt_wit_type_t *resource; /* METHOD/STATIC/CONSTRUCTOR: the RESOURCE type */
  size_t param_count;
  bt_wit_param_t *params;
  bt_wit_type_t *result; /* NULL: the function returns nothing */
  bool is_async;         /* `async func`: parsed and printed, never called */
  const char *docs;
  bt_wit_stability_t stability;
  bt_wit_loc_t loc;

  uint32_t src_[3]; /* internal: defining span */
  uint8_t excluded_; /* internal */
};

/* ---- interfaces, worlds, packages ---- */

struct bt_wit_interface {
  const char *name;           /* NULL for an inline `import x: interface {..}` */
  const char *qualified_name; /* "ns:pkg/name@ver"; NULL when inline */
  bt_wit_package_t *package;
  const char *docs;
  bt_wit_stability_t stability;
  bt_wit_loc_t loc;
  size_t type_count; /* named types: `use`d names first, then definitions */
  bt_wit_type_t **types;
  size_t function_count; /* freestanding and resource functions, in order */
  bt_wit_function_t **functions;

  void *internal_; /* src/wit bookkeeping */
  uint8_t excluded_;
};

typedef enum bt_wit_item_kind {
  BT_WIT_ITEM_INTERFACE = 0,
  BT_WIT_ITEM_FUNCTION,
  BT_WIT_ITEM_TYPE, /* imports only: a type defined in or `use`d by the world */
} bt_wit_item_kind_t;

typedef struct bt_wit_world_item {
  bt_wit_item_kind_t kind;
  /* The import/export name: the plain name (`import log: func..`), or the
   * interface's qualified name when `by_interface` (`import wasi:io/poll`). */
  const char *name;
  bool by_interface;
  bt_wit_interface_t *interface; /* ITEM_INTERFACE */
  bt_wit_function_t *function;   /* ITEM_FUNCTION */
  bt_wit_type_t *type;           /* ITEM_TYPE */
  const char *docs;              /* docs on the import/export statement */
  bt_wit_stability_t stability;
} bt_wit_world_item_t;

struct bt_wit_world {
  const char *name;
  bt_wit_package_t *package;
  const char *docs;
  bt_wit_stability_t stability;
  bt_wit_loc_t loc;
  size_t import_count;
  bt_wit_world_item_t *imports;
  size_t export_count;
  bt_wit_world_item_t *exports;

  void *internal_;
  uint8_t excluded_;
};

struct bt_wit_package {
  const char *namespace_; /* `namespace` is a C++ keyword */
  const char *name;
  bool has_version;
  bt_wit_version_t version;
  const char *id; /* "ns:name" or "ns:name@version" */
  const char *docs;
  bt_wit_loc_t loc;
  size_t interface_count;
  bt_wit_interface_t **interfaces;
  size_t world_count;
  bt_wit_world_t **worlds;
};

struct bt_wit_resolve {
  /* Every package, dependencies before dependents. */
  size_t package_count;
  bt_wit_package_t **packages;
  /* The root package: the one parsed from the top-level file/directory. */
  bt_wit_package_t *main;

  void *internal_; /* allocation arena */
};

/* Parse options. Zero-initialise for the defaults (no unstable features). */
typedef struct bt_wit_options {
  const char *const *features; /* enabled @unstable feature names */
  size_t feature_count;
  bool all_features; /* enable every @unstable feature */
} bt_wit_options_t;

/* Parses and resolves WIT at `path`: a .wit file (whose dependencies must be
 * nested `package x:y { ... }` blocks) or a directory holding the root
 * package's *.wit files and an optional deps/ folder. On success stores a new
 * resolve in *out (free with bt_wit_free) and returns NULL; on failure
 * returns an error (SYNTAX for bad WIT, IO, NO_MEMORY, UNSUPPORTED for
 * the constructs listed in docs/wit.md) and leaves *out NULL. */
BT_HIDDEN baton_error_t *bt_wit_parse_path(const char *path, bt_wit_resolve_t **out);
BT_HIDDEN baton_error_t *bt_wit_parse_path_opts(const char *path, const bt_wit_options_t *opts,
                                                bt_wit_resolve_t **out);

/* Like bt_wit_parse_path for a single file's text; `name` is used in error
 * messages. `text` need not outlive the call. */
BT_HIDDEN baton_error_t *bt_wit_parse_string(const char *name, const char *text,
                                             bt_wit_resolve_t **out);
BT_HIDDEN baton_error_t *bt_wit_parse_string_opts(const char *name, const char *text, size_t len,
                                                  const bt_wit_options_t *opts,
                                                  bt_wit_resolve_t **out);

/* Selects a world: `spec` NULL means the main package's only world; a plain
 * name selects a world of the main package; "ns:pkg/name" or
 * "ns:pkg/name@version" selects one in any package. NOT_FOUND otherwise. */
BT_HIDDEN baton_error_t *bt_wit_find_world(const bt_wit_resolve_t *resolve, const char *spec,
                                           const bt_wit_world_t **out);

/* Prints every package in normalized WIT: the main package first, then each
 * other package (dependencies first) as a nested `package x:y { ... }` block,
 * byte-for-byte the layout `wasm-tools component wit DIR` produces. */
BT_HIDDEN baton_error_t *bt_wit_print(const bt_wit_resolve_t *resolve, FILE *out);

/* Prints one world the way `wasm-tools component wit` prints a component of
 * that world: as `world root` in `package root:component`, every interface
 * named by its qualified path. */
BT_HIDDEN baton_error_t *bt_wit_print_world(const bt_wit_resolve_t *resolve,
                                            const bt_wit_world_t *world, FILE *out);

/* Tests only: sets the arena chunk size (0 restores the default) so that
 * allocation-failure injection reaches more allocation points. */
BT_HIDDEN void bt_wit_set_arena_chunk(size_t bytes);

/* Frees a resolve and everything it owns. NULL is a no-op. */
BT_HIDDEN void bt_wit_free(bt_wit_resolve_t *resolve);

/* Returns the static singleton for a primitive kind (BOOL..STRING), NULL for
 * other kinds. */
BT_HIDDEN bt_wit_type_t *bt_wit_prim(bt_wit_kind_t kind);

/* Follows ALIAS links to the defining type. NULL-safe. */
BT_HIDDEN const bt_wit_type_t *bt_wit_type_unalias(const bt_wit_type_t *type);

/* Returns the first part of `t` (t itself, or a type it contains, following
 * aliases and named types) that baton parses and prints but cannot pass at
 * run time: map<K, V>, future, stream, error-context, or a record without
 * fields. NULL when every part is supported (or t is NULL). Layers that lay
 * out, convert or bind values call this to refuse such types by name. */
BT_HIDDEN const bt_wit_type_t *bt_wit_type_unsupported(const bt_wit_type_t *t);

/* Writes WIT for a reference to `t` into buf (at most cap bytes including
 * the NUL, truncated with "..."): its name, or the structure of an anonymous
 * type as `wasm-tools` prints it (`map<string, u32>`, `stream`). Returns buf. */
BT_HIDDEN char *bt_wit_type_text(const bt_wit_type_t *t, char *buf, size_t cap);

/* Returns the first function parameter or result type that
 * bt_wit_type_unsupported() reports, or NULL. */
BT_HIDDEN const bt_wit_type_t *bt_wit_function_unsupported(const bt_wit_function_t *f);

/* Returns a static lower-case name for a kind ("u32", "record", "own"). */
BT_HIDDEN const char *bt_wit_kind_name(bt_wit_kind_t kind);

/* Finds a named type, function or world item by name; NULL when absent. */
BT_HIDDEN bt_wit_type_t *bt_wit_interface_type(const bt_wit_interface_t *iface, const char *name);
BT_HIDDEN bt_wit_function_t *bt_wit_interface_function(const bt_wit_interface_t *iface,
                                                       const char *name);
BT_HIDDEN const bt_wit_world_item_t *bt_wit_world_import(const bt_wit_world_t *world,
                                                         const char *name);
BT_HIDDEN const bt_wit_world_item_t *bt_wit_world_export(const bt_wit_world_t *world,
                                                         const char *name);

#endif
