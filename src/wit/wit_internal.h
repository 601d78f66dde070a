/*
 * src/wit/wit_internal.h: declarations shared by the WIT front end's files
 * (lexer.c, parser.c, resolve.c, types.c, world.c, print.c, load.c).
 *
 * Memory: everything is allocated from arenas. The parse context owns a
 * scratch arena for sources and syntax trees, and the resolve under
 * construction owns the output arena for the model. Errors, including
 * allocation failure, are raised with wit_fail()/wit_oom(), which longjmp
 * back to the public entry point (load.c); it then frees both arenas and any
 * open file, so no code path below the entry point has to unwind by hand.
 * Functions that can raise are marked "Raises" in their contracts.
 */
#ifndef BT_WIT_INTERNAL_H
#define BT_WIT_INTERNAL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "baton/error.h"
#include "util/common.h"
#include "wit/wit.h"

/* ---- arenas ---- */

typedef struct wit_chunk wit_chunk;
typedef struct wit_arena {
  wit_chunk *head;
} wit_arena;

/* Returns n zeroed bytes from the arena, or NULL when out of memory. */
BT_HIDDEN void *wit_arena_alloc(wit_arena *a, size_t n);
/* Frees every chunk of the arena. */
BT_HIDDEN void wit_arena_free(wit_arena *a);

/* ---- sources and spans ---- */

typedef struct wit_source {
  const char *path;     /* as shown in messages (scratch arena) */
  const char *out_path; /* copy in the output arena, made on demand */
  const char *text;
  uint32_t len;
  uint32_t *lines; /* byte offset of each line start; built lazily */
  uint32_t nlines;
} wit_source;

/* A byte range in one source file. file == UINT32_MAX means "no location". */
typedef struct wit_span {
  uint32_t file, start, end;
} wit_span;

#define WIT_NO_FILE UINT32_MAX

/* ---- the parse context ---- */

typedef struct wit_ctx {
  jmp_buf jmp;
  baton_error_t *err;      /* set before longjmp */
  wit_arena tmp;           /* sources, syntax trees, scratch */
  wit_arena *out;          /* the resolve's arena */
  bt_wit_resolve_t *resolve;
  const bt_wit_options_t *opts;
  wit_source *sources;
  uint32_t nsources, capsources;
  FILE *open_file; /* closed by the entry point on failure */
  void *open_dir;  /* DIR *, likewise */
  uint32_t serial; /* numbers types in creation order */
  struct wit_intern_table *intern; /* anonymous types (types.c) */
} wit_ctx;

/* Allocates from the scratch or output arena. Raises on out-of-memory. */
BT_HIDDEN void *wit_tmp(wit_ctx *c, size_t n);
BT_HIDDEN void *wit_new(wit_ctx *c, size_t n);
/* Copies n bytes plus a NUL into the output (wit_strn) or scratch arena. */
BT_HIDDEN char *wit_strn(wit_ctx *c, const char *s, size_t n);
BT_HIDDEN char *wit_tmp_strn(wit_ctx *c, const char *s, size_t n);
/* printf into the output arena. Raises on out-of-memory. */
BT_HIDDEN char *wit_fmt(wit_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Grows an arena-backed array so that it can hold `need` elements of size
 * `elem`: returns the (possibly moved) array and updates *cap. Raises. */
BT_HIDDEN void *wit_grow(wit_ctx *c, wit_arena *a, void *items, size_t elem, size_t len,
                         size_t *cap, size_t need);
#define WIT_PUSH(c, arena, arr, len, cap, value)                                  \
  do {                                                                           \
    if ((len) >= (cap))                                                          \
      (arr) = wit_grow((c), (arena), (arr), sizeof(*(arr)), (len), &(cap), (len) + 1); \
    (arr)[(len)++] = (value);                                                    \
  } while (0)

/* Registers a source and returns its index. The text is copied. Raises. */
BT_HIDDEN uint32_t wit_add_source(wit_ctx *c, const char *path, const char *text, size_t len);

/* Raises a positioned error with the given code: the message becomes
 * "file:line:col: error: MSG" followed by the quoted line and a caret run
 * under the span. A span with no file yields just "error: MSG". */
BT_HIDDEN _Noreturn void wit_fail_code(wit_ctx *c, baton_errno_t code, wit_span sp,
                                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define wit_fail(c, sp, ...) wit_fail_code((c), BATON_ESYNTAX, (sp), __VA_ARGS__)
/* Raises a positioned error followed by a second "note" location. */
BT_HIDDEN _Noreturn void wit_fail_note(wit_ctx *c, wit_span sp, wit_span note, const char *note_msg,
                                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Raises NO_MEMORY. */
BT_HIDDEN _Noreturn void wit_oom(wit_ctx *c);
/* Raises an error that was already built. */
BT_HIDDEN _Noreturn void wit_raise(wit_ctx *c, baton_error_t *err);

/* Stores / retrieves a span in a model object's internal src_ slot. */
static inline void wit_set_src(uint32_t src[3], wit_span sp) {
  src[0] = sp.file;
  src[1] = sp.start;
  src[2] = sp.end;
}
static inline wit_span wit_src(const uint32_t src[3]) {
  wit_span sp = {src[0], src[1], src[2]};
  return sp;
}

/* Converts a span start to a 1-based location; file NULL when unknown. */
BT_HIDDEN bt_wit_loc_t wit_loc(wit_ctx *c, wit_span sp);

/* ---- lexer ---- */

typedef enum wit_tok_kind {
  T_EOF = 0,
  T_EQUALS, T_COMMA, T_COLON, T_PERIOD, T_SEMI, T_LPAREN, T_RPAREN, T_LBRACE,
  T_RBRACE, T_LT, T_GT, T_ARROW, T_STAR, T_AT, T_SLASH, T_PLUS, T_MINUS,
  T_STRING, T_INTEGER, T_ID, T_EXPLICIT_ID,
  /* keywords */
  T_USE, T_TYPE, T_FUNC, T_U8, T_U16, T_U32, T_U64, T_S8, T_S16, T_S32, T_S64,
  T_F32, T_F64, T_CHAR, T_RECORD, T_RESOURCE, T_OWN, T_BORROW, T_FLAGS,
  T_VARIANT, T_ENUM, T_BOOL, T_STRING_KW, T_OPTION, T_RESULT, T_FUTURE,
  T_STREAM, T_ERROR_CONTEXT, T_LIST, T_MAP, T_UNDERSCORE, T_AS, T_FROM,
  T_STATIC, T_INTERFACE, T_TUPLE, T_IMPORT, T_EXPORT, T_WORLD, T_PACKAGE,
  T_CONSTRUCTOR, T_ASYNC, T_INCLUDE, T_WITH,
  T_KIND_COUNT
} wit_tok_kind;

typedef struct wit_tok {
  wit_tok_kind kind;
  uint32_t start, end; /* byte offsets in the source */
} wit_tok;

typedef struct wit_lexer {
  wit_ctx *c;
  uint32_t file;
  const char *text;
  uint32_t len;
  uint32_t pos;
} wit_lexer;

/* Prepares a lexer over source `file`, rejecting forbidden code points and
 * invalid UTF-8 up front and skipping a byte-order mark. Raises. */
BT_HIDDEN void wit_lex_init(wit_lexer *lx, wit_ctx *c, uint32_t file);
/* Returns the next token, skipping whitespace and comments. Raises on a
 * lexical error. */
BT_HIDDEN wit_tok wit_lex_next(wit_lexer *lx);
/* Returns the next token without consuming it. Raises. */
BT_HIDDEN wit_tok wit_lex_peek(wit_lexer *lx);
/* Collects the doc comments (`///` lines and slash-star-star blocks) before the next
 * token and returns their normalized text, or NULL when there are none.
 * Plain comments are skipped. Allocates in the scratch arena. Raises. */
BT_HIDDEN const char *wit_lex_docs(wit_lexer *lx, wit_span *span);
/* Scans a semantic version at the current position (after whitespace),
 * filling *v (strings in the scratch arena) and its span. Raises with a
 * precise message when the text is not valid semver. */
BT_HIDDEN void wit_lex_version(wit_lexer *lx, bt_wit_version_t *v, wit_span *span);
/* Returns a description of a token kind for messages ("`;`", "keyword `use`"). */
BT_HIDDEN const char *wit_tok_describe(wit_tok_kind kind);
/* Validates a kebab-case identifier (without any leading '%'); on failure
 * raises an error pointing at `sp`. */
BT_HIDDEN void wit_validate_id(wit_ctx *c, const char *s, size_t n, wit_span sp);
/* True when `s` is a WIT keyword that must be written `%s` to be an id. */
BT_HIDDEN bool wit_is_keyword(const char *s);

/* Compares two versions by semver precedence (build metadata ignored). */
BT_HIDDEN int wit_version_cmp(const bt_wit_version_t *a, const bt_wit_version_t *b);

/* ---- syntax trees ---- */

typedef struct ast_id {
  const char *s; /* NUL-terminated, in the scratch arena; no leading '%' */
  wit_span span;
} ast_id;

typedef enum ast_type_kind {
  AT_PRIM = 0, /* prim holds the bt_wit_kind_t */
  AT_NAME,
  AT_LIST,
  AT_TUPLE,
  AT_OPTION,
  AT_RESULT,
  AT_OWN,
  AT_BORROW,
  AT_MAP,    /* a: key, b: value */
  AT_FUTURE, /* a: payload or NULL */
  AT_STREAM, /* a: payload or NULL */
} ast_type_kind;

typedef struct ast_type ast_type;
struct ast_type {
  ast_type_kind kind;
  bt_wit_kind_t prim;
  wit_span span;
  ast_id name;        /* NAME, OWN, BORROW */
  ast_type *a, *b;    /* LIST/OPTION element; RESULT ok (a) and err (b); MAP key (a), value (b) */
  ast_type **items;   /* TUPLE */
  size_t nitems;
};

typedef struct ast_attrs {
  bool has_since, has_unstable, has_deprecated;
  bt_wit_version_t since, deprecated;
  ast_id feature;
  wit_span since_span, unstable_span, deprecated_span;
  wit_span span; /* of the first attribute */
} ast_attrs;

typedef struct ast_param {
  ast_id name;
  ast_type *type;
} ast_param;

typedef enum ast_func_kind { AF_FREESTANDING = 0, AF_METHOD, AF_STATIC, AF_CONSTRUCTOR } ast_func_kind;

typedef struct ast_func {
  ast_func_kind kind;
  ast_id name; /* for constructors: "constructor" at the keyword */
  const char *docs;
  ast_attrs attrs;
  ast_param *params;
  size_t nparams;
  ast_type *result; /* NULL when absent */
  wit_span span;    /* the `func` / `constructor` keyword */
  bool is_async;    /* written `async func` */
} ast_func;

typedef struct ast_member { /* record field, variant case, enum case, flag */
  ast_id name;
  ast_type *type; /* NULL when absent */
  const char *docs;
} ast_member;

typedef enum ast_typedef_kind { AD_ALIAS = 0, AD_RECORD, AD_VARIANT, AD_ENUM, AD_FLAGS, AD_RESOURCE } ast_typedef_kind;

typedef struct ast_typedef {
  ast_typedef_kind kind;
  ast_id name;
  const char *docs;
  ast_attrs attrs;
  ast_type *alias; /* AD_ALIAS */
  ast_member *members;
  size_t nmembers;
  ast_func *funcs; /* AD_RESOURCE */
  size_t nfuncs;
  bool resource_has_body;
} ast_typedef;

/* A use-path: `name` alone, or `ns:pkg/name@version`. */
typedef struct ast_path {
  bool foreign;
  ast_id ns, pkg, name;
  bool has_version;
  bt_wit_version_t version;
  wit_span pkg_span; /* ns through version */
  wit_span span;     /* the whole path */
} ast_path;

typedef struct ast_use_name {
  ast_id name;
  ast_id as; /* as.s NULL when not renamed */
} ast_use_name;

typedef struct ast_use {
  ast_attrs attrs;
  ast_path from;
  ast_use_name *names;
  size_t nnames;
  wit_span span;
} ast_use;

typedef enum ast_iface_item_kind { AI_TYPE = 0, AI_FUNC, AI_USE } ast_iface_item_kind;

typedef struct ast_iface_item {
  ast_iface_item_kind kind;
  ast_typedef *type;
  ast_func *func;
  ast_use *use;
} ast_iface_item;

typedef struct ast_interface {
  ast_id name; /* name.s NULL for inline interfaces */
  const char *docs;
  ast_attrs attrs;
  ast_iface_item *items;
  size_t nitems;
} ast_interface;

typedef enum ast_world_item_kind { AW_IMPORT = 0, AW_EXPORT, AW_USE, AW_TYPE, AW_INCLUDE } ast_world_item_kind;
typedef enum ast_extern_kind { AE_PATH = 0, AE_FUNC, AE_INTERFACE } ast_extern_kind;

typedef struct ast_include_name {
  ast_id name, as;
} ast_include_name;

typedef struct ast_world_item {
  ast_world_item_kind kind;
  const char *docs;
  ast_attrs attrs;
  /* AW_IMPORT / AW_EXPORT */
  ast_extern_kind ext;
  ast_id label;          /* AE_FUNC, AE_INTERFACE */
  ast_path path;         /* AE_PATH; AW_INCLUDE */
  ast_func *func;        /* AE_FUNC */
  ast_interface *iface;  /* AE_INTERFACE */
  ast_use *use;          /* AW_USE */
  ast_typedef *type;     /* AW_TYPE */
  ast_include_name *with;/* AW_INCLUDE */
  size_t nwith;
  wit_span span;         /* the keyword */
} ast_world_item;

typedef struct ast_world {
  ast_id name;
  const char *docs;
  ast_attrs attrs;
  ast_world_item *items;
  size_t nitems;
} ast_world;

typedef struct ast_toplevel_use {
  ast_path path;
  ast_id as; /* as.s NULL when absent */
  wit_span span;
} ast_toplevel_use;

typedef enum ast_item_kind { AK_INTERFACE = 0, AK_WORLD, AK_USE } ast_item_kind;

typedef struct ast_item {
  ast_item_kind kind;
  ast_interface *iface;
  ast_world *world;
  ast_toplevel_use *use;
} ast_item;

typedef struct ast_pkg_name {
  ast_id ns, name;
  bool has_version;
  bt_wit_version_t version;
  wit_span span;
  const char *docs;
  wit_span docs_span;
} ast_pkg_name;

/* One scope of declarations: a file's top level, or a nested package block. */
typedef struct ast_decls {
  uint32_t file;
  ast_item *items;
  size_t nitems;
} ast_decls;

typedef struct ast_nested {
  ast_pkg_name name;
  ast_decls decls;
} ast_nested;

typedef struct ast_file {
  uint32_t file;
  bool has_package;
  ast_pkg_name package;
  ast_decls decls;
  ast_nested *nested;
  size_t nnested;
} ast_file;

/* Parses source `file` into a syntax tree in the scratch arena. Raises on
 * syntax errors and on unsupported constructs (fixed-size lists,
 * @external-id, `import x: path`, nested namespaces). */
BT_HIDDEN ast_file *wit_parse_file(wit_ctx *c, uint32_t file);

/* ---- resolution ---- */

/* An unresolved package: every declaration scope that names it. */
typedef struct wit_unpkg {
  ast_pkg_name name;
  const char *id; /* canonical "ns:name@ver" (scratch) */
  ast_decls *decls;
  size_t ndecls, capdecls;
  const char *docs;
  bool is_main;
  bt_wit_package_t *out;
} wit_unpkg;

/* A group of packages from one source (the root, or one deps/ entry):
 * the group's main package plus its nested packages. */
typedef struct wit_group {
  wit_unpkg *main;
  wit_unpkg **nested;
  size_t nnested;
} wit_group;

/* Builds a group from parsed files (all files of one directory, or one file):
 * merges the top-level declarations into the main package, checking that
 * package headers agree, and makes each nested block its own package. Raises. */
BT_HIDDEN wit_group *wit_group_from_files(wit_ctx *c, ast_file **files, size_t nfiles);

/* Resolves groups (groups[0] is the root) into c->resolve: orders packages by
 * dependency, resolves each and elaborates its worlds. Raises. */
BT_HIDDEN void wit_resolve_groups(wit_ctx *c, wit_group **groups, size_t ngroups);

/* ---- types.c: the type model under construction ---- */

/* A string-keyed hash map in the scratch arena. Keys are not copied. */
typedef struct wit_map {
  const char **keys;
  void **vals;
  size_t cap, len;
} wit_map;
/* Returns the value stored under key, or NULL. */
BT_HIDDEN void *wit_map_get(const wit_map *m, const char *key);
/* Stores (or replaces) the value under key. Raises on out-of-memory. */
BT_HIDDEN void wit_map_put(wit_ctx *c, wit_map *m, const char *key, void *val);

/* Returns an interned anonymous type with the given structure. `t` is a
 * template (kind, target/resource/ok/err/types) copied on first use. Raises. */
BT_HIDDEN bt_wit_type_t *wit_intern(wit_ctx *c, const bt_wit_type_t *t);
/* Allocates a fresh named type. Raises. */
BT_HIDDEN bt_wit_type_t *wit_new_type(wit_ctx *c, bt_wit_kind_t kind);
/* Returns the anonymous own<> handle for a value-position reference to a
 * named type `named` when it (through aliases) is a resource; otherwise
 * returns `named` unchanged. Raises. */
BT_HIDDEN bt_wit_type_t *wit_value_ref(wit_ctx *c, bt_wit_type_t *named);
/* True when the type contains a borrow handle anywhere inside. */
BT_HIDDEN bool wit_type_has_borrow(const bt_wit_type_t *t);

/* ---- world.c ---- */

/* A growable list of world items (imports or exports) in the scratch arena. */
typedef struct wit_itemvec {
  bt_wit_world_item_t *items;
  size_t len, cap;
} wit_itemvec;

/* One `include` statement, recorded during resolution. */
typedef struct wit_include {
  bt_wit_world_t *world; /* the included world (already finished) */
  ast_include_name *with;
  size_t nwith;
  wit_span span;
  bt_wit_stability_t stability;
} wit_include;

/* Resolution-time bookkeeping of a world (world->internal_). */
typedef struct wit_world_info {
  wit_itemvec imports, exports;
  wit_include *incs;
  size_t nincs, capincs;
  wit_span span; /* the world's name */
} wit_world_info;

/* Appends an item to a list. Raises. */
BT_HIDDEN void wit_items_push(wit_ctx *c, wit_itemvec *v, bt_wit_world_item_t item);

/* Applies the world's includes (checking that plain names stay unique,
 * ignoring case), elaborates the world (implied interface imports,
 * export dependency rules, canonical order) and stores the final item arrays
 * in the world. The included worlds must already be finished. Raises. */
BT_HIDDEN void wit_world_finish(wit_ctx *c, bt_wit_world_t *world);

/* ---- print.c ---- */

/* Returns the printer's output as a NUL-terminated heap string (bt_malloc),
 * or NULL on allocation failure. */
BT_HIDDEN char *wit_print_to_string(const bt_wit_resolve_t *r, const bt_wit_world_t *world_only);

/* Prints one package alone as a WIT file (`package x:y;` and its items,
 * foreign names referenced by qualified path). Heap string, NULL on OOM. */
BT_HIDDEN char *wit_print_package_to_string(const bt_wit_package_t *p);

#endif
