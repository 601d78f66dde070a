/*
 * src/engine/w2c_patch.c: gives the traps of wasm2c 1.0.32's generated code
 * their real causes.
 *
 * wasm2c raises one trap code, WASM_RT_TRAP_CALL_INDIRECT, for every failed
 * call_indirect, and WASM_RT_TRAP_OOB for tables as for memories. The
 * WebAssembly spec distinguishes them ("undefined element", "uninitialized
 * element", "indirect call type mismatch", "out of bounds table access"),
 * and so does baton's trap kind. After wasm2c has written module.c, this
 * rewrites two places of its fixed preamble: it redefines CALL_INDIRECT so
 * that a failure passes the cause (an index past the table's size, a null
 * entry, else a type mismatch) as one of the BT_GLUE_TRAP_* codes of
 * glue_abi.h, and makes the table helpers (funcref_table_init through
 * DEFINE_TABLE_FILL, the ones behind active element segments, table.init,
 * table.copy, table.get, table.set and table.fill) trap with
 * BT_GLUE_TRAP_TABLE_OOB. Memory helpers before them are left alone. A
 * preamble without the expected text is left unchanged (traps then keep
 * wasm2c's codes). The text of glue_abi.h is part of the cache key, so
 * objects compiled before this rewrite are never reused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/internal.h"
#include "util/fileio.h"
#include "util/strbuf.h"

/* Inserted right after wasm2c's own CALL_INDIRECT definition. */
static const char k_call_indirect[] =
    "\n/* baton: call_indirect traps name their cause (w2c_patch.c). */\n"
    "#include \"glue_abi.h\"\n"
    "#define WASM_RT_TRAP_TABLE_OOB ((wasm_rt_trap_t)BT_GLUE_TRAP_TABLE_OOB)\n"
    "#undef CALL_INDIRECT\n"
    "#define CALL_INDIRECT(table, t, ft, x, ...)                                   \\\n"
    "  (LIKELY((x) < table.size && table.data[x].func &&                           \\\n"
    "          table.data[x].func_type == func_types[ft]) ||                       \\\n"
    "       (wasm_rt_trap((wasm_rt_trap_t)(                                        \\\n"
    "            (x) >= table.size ? BT_GLUE_TRAP_UNDEFINED_ELEMENT                \\\n"
    "            : !table.data[x].func ? BT_GLUE_TRAP_UNINITIALIZED_ELEMENT        \\\n"
    "            : WASM_RT_TRAP_CALL_INDIRECT)), 0),                               \\\n"
    "   ((t)table.data[x].func)(__VA_ARGS__))\n";

/* Returns the end of the #define starting at p: the newline of its first
 * line that does not end in a backslash (or the end of the text). */
static const char *macro_end(const char *p) {
  for (;;) {
    const char *nl = strchr(p, '\n');
    if (!nl) return p + strlen(p);
    if (nl == p || nl[-1] != '\\') return nl;
    p = nl + 1;
  }
}

/* Appends text[from, to) to b with every "TRAP(OOB)" as "TRAP(TABLE_OOB)". */
static void put_table_region(bt_strbuf_t *b, const char *from, const char *to) {
  static const char oob[] = "TRAP(OOB)";
  while (from < to) {
    const char *hit = strstr(from, oob);
    if (!hit || hit + sizeof oob - 1 > to) hit = to;
    bt_strbuf_append(b, from, (size_t)(hit - from));
    if (hit == to) break;
    bt_strbuf_puts(b, "TRAP(TABLE_OOB)");
    from = hit + sizeof oob - 1;
  }
}

/* Returns the patched text of a wasm2c-generated C file (caller frees; its
 * length in *out_len, as it may hold NUL bytes inside comments), or NULL
 * when its preamble does not have the expected shape or out of memory. */
static char *patch_text(const char *text, size_t len, size_t *out_len) {
  const char *ci = strstr(text, "#define CALL_INDIRECT(table, t, ft, x, ...)");
  const char *body = strstr(text, "static bool s_module_initialized");
  const char *tab = strstr(text, "static inline void funcref_table_init(");
  const char *tab_end = strstr(text, "DEFINE_TABLE_FILL(externref)");
  if (!ci || !body || !tab || !tab_end || ci > tab || tab > tab_end || tab_end > body) return NULL;
  const char *ci_end = macro_end(ci);
  bt_strbuf_t b = BT_STRBUF_INIT;
  bt_strbuf_append(&b, text, (size_t)(ci_end - text));
  bt_strbuf_puts(&b, k_call_indirect);
  bt_strbuf_append(&b, ci_end, (size_t)(tab - ci_end));
  put_table_region(&b, tab, tab_end);
  bt_strbuf_append(&b, tab_end, len - (size_t)(tab_end - text));
  return bt_strbuf_take(&b, out_len);
}

baton_error_t *bt_aot_patch_traps(const char *c_path) {
  uint8_t *text = NULL;
  size_t len = 0;
  baton_error_t *err = bt_read_file(c_path, (size_t)1 << 40, &text, &len);
  if (err) return baton_error_wrap(err, "reading wasm2c's output");
  size_t n = 0;
  char *patched = patch_text((const char *)text, len, &n);
  bt_free(text);
  if (!patched) return NULL; /* keep wasm2c's codes */
  FILE *f = fopen(c_path, "wb");
  int e = f ? 0 : errno;
  if (f && fwrite(patched, 1, n, f) != n) e = errno ? errno : EIO;
  if (f && fclose(f) != 0 && !e) e = errno;
  bt_free(patched);
  if (e) return baton_error_new(BATON_ECACHE, "cannot write %s: %s", c_path, strerror(e));
  return NULL;
}
