/*
 * src/wasm/wasm.h: the core WebAssembly binary reader.
 *
 * bt_wasm_parse() decodes and validates a core module's sections into a
 * bt_wasm_module_t: types, imports, functions, tables, memories, globals,
 * exports, start, elements, data, data count and custom sections. Errors name
 * the byte offset and the section. Function bodies are then type-checked by
 * validate.c (the WebAssembly 2.0 validation algorithm), so a module that
 * parses is valid and safe to hand to wasm2c. The reader is reused by the
 * component loader for embedded core modules.
 */
#ifndef BT_WASM_H
#define BT_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "util/common.h"

typedef enum {
  BT_WASM_I32 = 0x7f,
  BT_WASM_I64 = 0x7e,
  BT_WASM_F32 = 0x7d,
  BT_WASM_F64 = 0x7c,
  BT_WASM_V128 = 0x7b,
  BT_WASM_FUNCREF = 0x70,
  BT_WASM_EXTERNREF = 0x6f,
} bt_wasm_valtype_t;

typedef enum {
  BT_WASM_EXTERN_FUNC = 0,
  BT_WASM_EXTERN_TABLE = 1,
  BT_WASM_EXTERN_MEMORY = 2,
  BT_WASM_EXTERN_GLOBAL = 3,
  BT_WASM_EXTERN_TAG = 4,
} bt_wasm_externkind_t;

typedef struct {
  uint32_t nparams, nresults;
  uint8_t *params;  /* bt_wasm_valtype_t values */
  uint8_t *results;
} bt_wasm_functype_t;

typedef struct {
  uint64_t min, max;
  bool has_max, shared, is64;
} bt_wasm_limits_t;

typedef struct {
  uint8_t elemtype; /* BT_WASM_FUNCREF or BT_WASM_EXTERNREF */
  bt_wasm_limits_t limits;
} bt_wasm_tabletype_t;

typedef struct {
  uint8_t valtype;
  bool mutable_;
} bt_wasm_globaltype_t;

typedef struct {
  char *module, *name; /* NUL-terminated, validated UTF-8 (may hold U+0000) */
  uint32_t module_len, name_len;
  bt_wasm_externkind_t kind;
  union {
    uint32_t func_type; /* type index */
    bt_wasm_tabletype_t table;
    bt_wasm_limits_t memory;
    bt_wasm_globaltype_t global;
  } u;
} bt_wasm_import_t;

typedef struct {
  char *name; /* NUL-terminated, validated UTF-8 (may hold U+0000) */
  uint32_t name_len;
  bt_wasm_externkind_t kind;
  uint32_t index; /* in the kind's index space (imports first) */
} bt_wasm_export_t;

typedef struct {
  char *name;
  const uint8_t *data; /* points into the bytes given to bt_wasm_parse */
  size_t size;
  size_t offset; /* file offset of the payload */
} bt_wasm_custom_t;

typedef struct {
  uint32_t passive_or_active; /* 0 active, 1 passive, 2 declarative */
  uint32_t memory_or_table;
  uint8_t reftype; /* element segments: BT_WASM_FUNCREF or _EXTERNREF */
  size_t offset; /* file offset of the segment */
} bt_wasm_segment_t;

typedef struct bt_wasm_module {
  bt_wasm_functype_t *types;
  uint32_t ntypes;
  bt_wasm_import_t *imports;
  uint32_t nimports;
  uint32_t nimported_funcs, nimported_tables, nimported_memories,
      nimported_globals;
  uint32_t *func_types; /* type index of each *defined* function */
  uint32_t nfuncs;      /* defined functions */
  bt_wasm_tabletype_t *tables; /* defined tables */
  uint32_t ntables;
  bt_wasm_limits_t *memories; /* defined memories */
  uint32_t nmemories;
  bt_wasm_globaltype_t *globals; /* defined globals */
  uint32_t nglobals;
  bt_wasm_export_t *exports;
  uint32_t nexports;
  bool has_start;
  uint32_t start;
  bt_wasm_segment_t *elems;
  uint32_t nelems;
  bt_wasm_segment_t *datas;
  uint32_t ndatas;
  bool has_datacount;
  uint32_t datacount;
  bt_wasm_custom_t *customs;
  uint32_t ncustoms;
} bt_wasm_module_t;

/* Parses and validates a core module. bytes are borrowed and must outlive the
 * module (custom sections point into them). On success *out owns a module to
 * free with bt_wasm_module_free(). On failure returns an error whose message
 * names the byte offset and section, e.g. "offset 0x1a: type section: ...". */
BT_HIDDEN baton_error_t *bt_wasm_parse(const uint8_t *bytes, size_t len,
                                       bt_wasm_module_t **out);

BT_HIDDEN void bt_wasm_module_free(bt_wasm_module_t *m);

/* Type-checks every function body of m (validate.c; called by
 * bt_wasm_parse once all sections are read). base is the module's first
 * byte (for offsets); [code, code_end) is the code section's payload (NULL
 * when there is none); refs is a bitmap over the function index space of the
 * functions declared for ref.func (in an element segment, an export or a
 * global initializer), or NULL for none. Returns NULL or the first error,
 * "offset 0x..: code section: function N: ...". */
BT_HIDDEN baton_error_t *bt_wasm_validate_code(const bt_wasm_module_t *m,
                                               const uint8_t *base,
                                               const uint8_t *code,
                                               const uint8_t *code_end,
                                               const uint8_t *refs);

/* Returns whether op is a known single-byte opcode or prefix (of WebAssembly
 * 2.0 or of a proposal the validator reports as unsupported), for telling
 * "illegal opcode" from "constant expression required". */
BT_HIDDEN bool bt_wasm_opcode_known(uint8_t op);

/* Returns the type of function `funcidx` in the function index space
 * (imported functions first), or NULL when out of range. */
BT_HIDDEN const bt_wasm_functype_t *bt_wasm_func_type(const bt_wasm_module_t *m,
                                                      uint32_t funcidx);

/* Returns the export with this name, or NULL. */
BT_HIDDEN const bt_wasm_export_t *bt_wasm_find_export(const bt_wasm_module_t *m,
                                                      const char *name);

/* Same for a name of len bytes that may contain U+0000. */
BT_HIDDEN const bt_wasm_export_t *bt_wasm_find_export_n(const bt_wasm_module_t *m,
                                                        const char *name, size_t len);

/* Whether import i repeats an earlier import's (module, name) with another
 * type: wasm2c cannot declare both, so it is renamed for translation. */
BT_HIDDEN bool bt_wasm_import_overloaded(const bt_wasm_module_t *m, uint32_t i);

/* When m (parsed from bytes) has overloaded imports, stores in *out (caller
 * frees with bt_free) a copy of the module in which each overloaded import
 * is named "<name>\x01<index>"; otherwise *out is NULL. */
BT_HIDDEN baton_error_t *bt_wasm_rename_overloaded_imports(const bt_wasm_module_t *m, const uint8_t *bytes,
                                                           size_t len, uint8_t **out, size_t *out_len);

/* Returns the first custom section with this name, or NULL. */
BT_HIDDEN const bt_wasm_custom_t *bt_wasm_find_custom(const bt_wasm_module_t *m,
                                                      const char *name);

/* Returns a static name such as "i32" for a value type. */
BT_HIDDEN const char *bt_wasm_valtype_name(uint8_t t);

/* Writes a signature such as "(i32, i32) -> i32" into buf. Parameters are
 * always parenthesised; one result is bare, zero or several are
 * parenthesised ("() -> ()", "(f64) -> (i32, i64)"). Truncates to fit and
 * always NUL-terminates when size > 0. */
BT_HIDDEN void bt_wasm_functype_str(const bt_wasm_functype_t *t, char *buf,
                                    size_t size);

/* Reads an unsigned LEB128 of at most `bits` bits at *pos (< end). Returns
 * false on truncation or overlong/oversized encodings. Shared with the
 * component reader. */
BT_HIDDEN bool bt_wasm_read_uleb(const uint8_t **pos, const uint8_t *end,
                                 unsigned bits, uint64_t *out);
BT_HIDDEN bool bt_wasm_read_sleb(const uint8_t **pos, const uint8_t *end,
                                 unsigned bits, int64_t *out);

/* Import module and high-half name suffix used by bt_wasm_simd_lower(). */
#define BT_WASM_SIMD_MODULE "bt:simd"
#define BT_WASM_SIMD_HI_SUFFIX " (v128 hi)"

/* Rewrites a parsed, valid module (m parsed from bytes) that uses v128 into
 * an equivalent module without v128: each v128 value becomes two i64 (low,
 * high), each SIMD instruction a call to an import of module "bt:simd" named
 * after the instruction and its immediates (see simd_lower.c). Stores a new
 * binary (free with bt_free) in *out, or NULL when m uses no v128 at all.
 * Fails with BATON_EUNSUPPORTED on constructs it cannot lower. */
BT_HIDDEN baton_error_t *bt_wasm_simd_lower(const bt_wasm_module_t *m,
                                            const uint8_t *bytes, size_t len,
                                            uint8_t **out, size_t *out_len);

#endif
