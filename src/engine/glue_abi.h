/*
 * src/engine/glue_abi.h: the binary interface between baton's runtime and
 * each AOT-compiled module (a shared object built from wasm2c output plus a
 * generated glue file). This header is compiled into both sides: the build
 * embeds its text into libbaton, the AOT step writes it next to the glue,
 * and its hash is part of every cache key, so any change here invalidates
 * cached objects.
 *
 * The shared object references no runtime symbols: every wasm_rt_* function
 * the generated code needs is defined in the glue and forwards through the
 * bt_glue_rt_t table handed over at load time. Each import becomes a
 * trampoline calling rt->call_import(ctx, index, ...). The context passed
 * at instantiation for every import module is a self-pointing cell inside
 * the baton instance: wasm2c hands a direct call the cell and a call through
 * a table (funcref_table_init) the address of the field holding it, and
 * dereferencing either yields the cell, hence the instance.
 */
#ifndef BT_GLUE_ABI_H
#define BT_GLUE_ABI_H

#include <stddef.h>
#include <stdint.h>

#define BT_GLUE_ABI_VERSION 3

/* Trap codes beyond wasm2c's wasm_rt_trap_t that compiled code passes to
 * bt_glue_rt_t.trap (see w2c_patch.c): a call_indirect index past the
 * table's size, a call_indirect through a null entry, and a table access
 * out of bounds (element segments, table.init/copy/get/set/fill). */
#define BT_GLUE_TRAP_UNDEFINED_ELEMENT 64
#define BT_GLUE_TRAP_UNINITIALIZED_ELEMENT 65
#define BT_GLUE_TRAP_TABLE_OOB 66

typedef union {
  uint32_t i32;
  uint64_t i64;
  float f32;
  double f64;
  uint8_t v128[16]; /* little-endian lanes */
  void *ref;        /* externref, or a funcref's wasm_rt_funcref_t* */
} bt_glue_val_t;

typedef void (*bt_glue_thunk_t)(void *inst, const bt_glue_val_t *args,
                                bt_glue_val_t *results);

typedef struct {
  const char *name;      /* export name */
  bt_glue_thunk_t thunk; /* calls the export with unpacked arguments */
} bt_glue_export_t;

/* A memory, table or global export: get() returns its wasm_rt_memory_t*,
 * wasm_rt_*_table_t* or value pointer inside the instance. */
typedef struct {
  const char *name;
  uint32_t kind; /* 1 table, 2 memory, 3 global (wasm extern kinds) */
  void *(*get)(void *inst);
} bt_glue_extern_t;

/* Services the runtime provides to compiled code. Memory and table pointers
 * are wasm_rt_memory_t* / wasm_rt_*_table_t* from wasm-rt.h. */
typedef struct {
  void (*trap)(int code); /* does not return */
  uint32_t (*register_func_type)(uint32_t nparams, uint32_t nresults,
                                 const int *types);
  void (*allocate_memory)(void *mem, uint32_t initial, uint32_t max);
  uint32_t (*grow_memory)(void *mem, uint32_t delta);
  void (*free_memory)(void *mem);
  void (*allocate_table)(void *table, size_t elem_size, uint32_t elements,
                         uint32_t max);
  uint32_t (*grow_table)(void *table, size_t elem_size, uint32_t delta,
                         const void *init);
  void (*free_table)(void *table);
  void (*call_import)(void *ctx, uint32_t index, const bt_glue_val_t *args,
                      bt_glue_val_t *results);
  /* The memory, table or global bound to import `index`. */
  void *(*import_ptr)(void *ctx, uint32_t index);
  /* Boxes a wasm_rt_funcref_t leaving guest code; returns a stable pointer
   * to a copy (owned by the running instance). */
  void *(*intern_funcref)(const void *funcref);
} bt_glue_rt_t;

/* The one symbol a compiled module exports: `baton_glue_module`. */
typedef struct {
  uint32_t abi_version;
  size_t instance_size;
  void (*init_module)(const bt_glue_rt_t *rt);
  void (*instantiate)(void *inst, void *ctx);
  void (*free)(void *inst);
  void *(*memory)(void *inst); /* wasm_rt_memory_t* of memory 0, or NULL */
  uint32_t nexports;           /* function exports, in export order */
  const bt_glue_export_t *exports;
  uint32_t nexterns; /* memory, table and global exports, in export order */
  const bt_glue_extern_t *externs;
} bt_glue_module_t;

#endif
