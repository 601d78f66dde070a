/*
 * src/bindgen/internal.h: state and helpers shared by the files of the C
 * bindings generator. A bg_t holds the world being generated, the C name
 * and properties of every WIT type it uses (bg_entry_t, in the order their
 * definitions are emitted), the owners that prefix names (one per imported
 * or exported interface, plus the world), the two output buffers, and a
 * scratch list of strings freed when generation ends.
 *
 * The files: names.c (identifiers, owners, type naming and ordering),
 * types.c (type definitions, ownership helpers, layout checks), flat.c
 * (conversion between C values and flat core values), funcs.c (the C
 * prototypes shared by imports and exports), imports.c and exports.c (the
 * wrappers), emit.c (the driver and file output).
 */
#ifndef BT_BINDGEN_INTERNAL_H
#define BT_BINDGEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/abi.h"
#include "bindgen/bindgen.h"
#include "util/strbuf.h"
#include "wit/wit.h"

/* Who owns a name: an imported or exported interface, or the world. */
typedef struct bg_owner {
  const bt_wit_interface_t *iface; /* NULL for the world itself */
  const bt_wit_world_item_t *item; /* the import/export; NULL for the world */
  bool exported;
  char *prefix; /* "test_bg_types", "exports_test_bg_api", "orders" */
  char *module; /* core module of its imports: "test:bg/types@0.1.0", "$root" */
} bg_owner_t;

/* The C side of one WIT type (or of several structurally equal anonymous
 * types, which share an entry). */
typedef struct bg_entry {
  const bt_wit_type_t *type; /* the first type registered (not unaliased) */
  char *name;                /* C type name; NULL when there is no value type */
  char *base;                /* name without "_t": stem of helpers and constants */
  char *part;                /* short form used inside anonymous type names */
  char *sig;                 /* structural key of anonymous types, else NULL */
  bool owns;                 /* values own heap memory: a <base>_free exists */
  bool scalar;               /* passed by value in prototypes */
  bool ordered;              /* appended to the emission order */
  /* RESOURCE entries: handle type names, and whether the world exports it. */
  char *own_name, *borrow_name;
  bool exported;
  const bg_owner_t *owner; /* named types and resources */
} bg_entry_t;

/* Maps a type pointer to its entry. */
typedef struct bg_key {
  const bt_wit_type_t *type;
  size_t entry;
} bg_key_t;

typedef struct bg {
  const bt_wit_resolve_t *resolve;
  const bt_wit_world_t *world;
  char *ws;  /* the world's name in snake_case */
  char *WS;  /* ... in upper case */
  bg_owner_t **owners; /* each allocated separately: entries point at them */
  size_t nowners;
  bg_owner_t world_owner; /* world-level imports and types */
  bg_owner_t world_export; /* world-level exports ("exports_<world>") */
  bg_entry_t *entries;
  size_t nentries, centries;
  bg_key_t *keys;
  size_t nkeys, ckeys;
  size_t *order; /* entry indices in emission order */
  size_t norder, corder;
  size_t string_entry;
  bt_strbuf_t h, c; /* the header and the source being written */
  char **scratch;
  size_t nscratch, cscratch;
  bool oom;
  baton_error_t *err; /* the first error other than out-of-memory */
  uint32_t ret_size, ret_align; /* the shared return area of exports */
} bg_t;

/* ---- names.c ---- */

/* Returns a scratch copy of printf-style text, freed when generation ends.
 * On allocation failure sets g->oom and returns "". */
BT_HIDDEN char *bg_fmt(bg_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns zeroed scratch memory of n bytes, or NULL (with g->oom set). */
BT_HIDDEN void *bg_alloc(bg_t *g, size_t n);
/* Returns a scratch string: a WIT name in snake_case ("echo-list" ->
 * "echo_list") or upper case ("ECHO_LIST"). */
BT_HIDDEN char *bg_snake(bg_t *g, const char *name);
BT_HIDDEN char *bg_upper(bg_t *g, const char *name);
/* Returns name unchanged, or with "_" appended when it is a C keyword or a
 * name the C library reserves, so that it can be a field or parameter. */
BT_HIDDEN const char *bg_ident(bg_t *g, const char *name);
/* Sets up the owners of the world's items. */
BT_HIDDEN void bg_owners_init(bg_t *g);
/* The owner of an interface (the first import or export of it), creating an
 * import-style owner when the world does not list it. */
BT_HIDDEN const bg_owner_t *bg_owner_of_iface(bg_t *g, const bt_wit_interface_t *iface);
/* The owner of a world item's functions. */
BT_HIDDEN const bg_owner_t *bg_owner_of_item(bg_t *g, const bt_wit_world_item_t *item,
                                             bool exported);
/* Registers every type the world uses: named types first (so that they
 * keep their natural names), then everything reachable from them and from
 * the world's functions, ordered so that a definition precedes its uses. */
BT_HIDDEN void bg_collect_types(bg_t *g);
/* The entry of a registered type; NULL for primitives other than string. */
BT_HIDDEN bg_entry_t *bg_entry(bg_t *g, const bt_wit_type_t *t);
/* The C type of a registered type: "uint32_t", "orders_item_t". */
BT_HIDDEN const char *bg_ctype(bg_t *g, const bt_wit_type_t *t);
/* Whether values of t are passed by value (numbers, enums, flags,
 * handles) rather than by pointer. */
BT_HIDDEN bool bg_is_scalar(bg_t *g, const bt_wit_type_t *t);
/* Whether values of t own heap memory. */
BT_HIDDEN bool bg_owns(bg_t *g, const bt_wit_type_t *t);
/* The C name of a world item's function: owner prefix + "_" + the function
 * name ("[method]r.m" becomes "method_r_m"). */
BT_HIDDEN char *bg_func_name(bg_t *g, const bg_owner_t *owner, const bt_wit_function_t *fn);
/* Appends `text` as a C block comment (one " * " line per line of text)
 * indented by `ind` spaces; nothing when text is NULL or empty. */
BT_HIDDEN void bg_doc(bt_strbuf_t *o, int ind, const char *text);
/* Appends a C string literal for s. */
BT_HIDDEN void bg_cstr(bt_strbuf_t *o, const char *s);

/* ---- types.c ---- */

/* Writes the type definitions (header), their ownership helper prototypes
 * (header) and definitions (source), and the layout checks (source). */
BT_HIDDEN void bg_emit_types(bg_t *g);

/* ---- flat.c ---- */

/* Flat core values: C expressions (or variables, when lowering) and their
 * core types, which for variants are the joined types. */
typedef struct bg_slots {
  const char *const *names;
  const baton_valkind_t *kinds;
  size_t n;
} bg_slots_t;

/* The C type of a core value type: int32_t, int64_t, float, double. */
BT_HIDDEN const char *bg_core_ctype(baton_valkind_t k);
/* Appends statements that assign the value of type t held in slots
 * [*pos, ...) to the C lvalue `lv`, advancing *pos by t's flat count. */
BT_HIDDEN void bg_lift_flat(bg_t *g, bt_strbuf_t *o, int ind, const bt_wit_type_t *t,
                            const char *lv, const bg_slots_t *s, size_t *pos);
/* Appends statements that store the C value `rv` of type t into the slot
 * variables [*pos, ...), advancing *pos. The slots must start out zero. */
BT_HIDDEN void bg_lower_flat(bg_t *g, bt_strbuf_t *o, int ind, const bt_wit_type_t *t,
                             const char *rv, const bg_slots_t *s, size_t *pos);
/* Appends the static bit-cast helpers the conversions use. */
BT_HIDDEN void bg_emit_bitcasts(bt_strbuf_t *o);

/* ---- funcs.c ---- */

typedef enum bg_ret {
  BG_RET_VOID,   /* no result */
  BG_RET_VALUE,  /* a scalar returned by value */
  BG_RET_PTR,    /* written through `T *ret` */
  BG_RET_RESULT, /* result<T, E>: returns true for ok; `T *ret`, `E *err` */
  BG_RET_OPTION, /* option<T>: returns true for some; `T *ret` */
} bg_ret_t;

/* The C prototype of a WIT function. */
typedef struct bg_csig {
  bg_ret_t ret;
  const bt_wit_type_t *ok, *err; /* RESULT: payloads (NULL when absent); OPTION: ok */
  const char **pnames;           /* C parameter names */
  const char *ret_name, *err_name;
} bg_csig_t;

/* Computes the prototype shape of fn (names live in scratch memory). */
BT_HIDDEN void bg_csig(bg_t *g, const bt_wit_function_t *fn, bg_csig_t *cs);
/* Appends "RET name(PARAMS)" for fn; `import` selects `const T *` for
 * parameters passed by pointer. */
BT_HIDDEN void bg_proto(bg_t *g, bt_strbuf_t *o, const bt_wit_function_t *fn, const bg_csig_t *cs,
                        const char *name, bool import);
/* Appends a declaration of a core wasm function named `name` with the given
 * core signature (i32 pointer parameters are declared `uint8_t *` when
 * ptr_params; a spilled result is returned as `uint8_t *` when ptr_result). */
BT_HIDDEN void bg_core_proto(bt_strbuf_t *o, const char *name, const bt_abi_sig_t *sig,
                             bool ptr_params, bool ptr_result);

/* Appends `__attribute__((__import_module__(M), __import_name__(N)))` or
 * `__attribute__((__export_name__(N)))` and a newline. */
BT_HIDDEN void bg_import_attr(bt_strbuf_t *o, const char *module, const char *name);
BT_HIDDEN void bg_export_attr(bt_strbuf_t *o, const char *name);

/* ---- imports.c / exports.c ---- */

/* Writes declarations (header) and wrappers (source) of every import. */
BT_HIDDEN void bg_emit_imports(bg_t *g);
/* Writes prototypes to implement (header), entry points and post-returns
 * (source) of every export, and exported resources' handle functions. */
BT_HIDDEN void bg_emit_exports(bg_t *g);

#endif
