/*
 * src/bindgen/types.c: the C definitions of the world's types, their
 * ownership helpers and the layout checks.
 *
 * Every C type is laid out exactly as the Canonical ABI lays out the WIT
 * type in a 32-bit linear memory (records and tuples are structs, variants
 * a discriminant of the ABI's width followed by a union at the maximum case
 * alignment, options and results the same with a bool discriminant, lists
 * and strings a pointer and a size_t), so the generated code moves values in
 * memory with plain C assignments. The source file asserts each layout with
 * _Static_assert against the sizes src/abi computes, so a compiler or ABI
 * disagreement fails the guest's build instead of corrupting values.
 *
 * `<base>_free` exists for every type whose values own heap memory (strings,
 * lists, and everything containing them); it frees recursively and leaves
 * the value empty. Owned resource handles are not dropped by it.
 */
#include <string.h>

#include "bindgen/internal.h"

/* The C integer type of a discriminant or flags value of `size` bytes. */
static const char *uint_of_size(uint32_t size) {
  return size == 1 ? "uint8_t" : size == 2 ? "uint16_t" : "uint32_t";
}

/* The name of the free helper of t (which must own memory). */
static const char *free_name(bg_t *g, const bt_wit_type_t *t) {
  bg_entry_t *e = bg_entry(g, t);
  return bg_fmt(g, "%s_free", e && e->base ? e->base : "?");
}

static const char *field_name(bg_t *g, const char *wit) { return bg_ident(g, bg_snake(g, wit)); }

/* Appends `enum { BASE_CASE = i, ... };` for the cases of a variant/enum. */
static void case_constants(bg_t *g, const bg_entry_t *e, const bt_wit_type_t *t) {
  bt_strbuf_t *h = &g->h;
  if (!t->count) return;
  const char *up = bg_upper(g, e->base);
  bt_strbuf_puts(h, "enum {\n");
  for (size_t i = 0; i < t->count; i++)
    bt_strbuf_printf(h, "  %s_%s = %zu,\n", up, bg_upper(g, t->fields[i].name), i);
  bt_strbuf_puts(h, "};\n");
}

/* Writes the definition of one entry into the header. */
static void define(bg_t *g, bg_entry_t *e) {
  bt_strbuf_t *h = &g->h;
  const bt_wit_type_t *t = e->type;
  switch (t->kind) {
    case BT_WIT_ALIAS:
      if (!e->name) return;
      bg_doc(h, 0, t->docs);
      bt_strbuf_printf(h, "typedef %s %s;\n\n", bg_ctype(g, t->target), e->name);
      return;
    case BT_WIT_RECORD:
      bg_doc(h, 0, t->docs);
      bt_strbuf_printf(h, "typedef struct %s {\n", e->name);
      for (size_t i = 0; i < t->count; i++) {
        bg_doc(h, 2, t->fields[i].docs);
        bt_strbuf_printf(h, "  %s %s;\n", bg_ctype(g, t->fields[i].type),
                         field_name(g, t->fields[i].name));
      }
      bt_strbuf_printf(h, "} %s;\n\n", e->name);
      return;
    case BT_WIT_VARIANT: {
      bg_doc(h, 0, t->docs);
      bool any = false;
      for (size_t i = 0; i < t->count; i++) any |= t->fields[i].type != NULL;
      bt_strbuf_printf(h, "typedef struct %s {\n  %s tag;\n", e->name,
                       uint_of_size(bt_abi_disc_size(t->count)));
      if (any) {
        bt_strbuf_puts(h, "  union {\n");
        for (size_t i = 0; i < t->count; i++) {
          if (!t->fields[i].type) continue;
          bg_doc(h, 4, t->fields[i].docs);
          bt_strbuf_printf(h, "    %s %s;\n", bg_ctype(g, t->fields[i].type),
                           field_name(g, t->fields[i].name));
        }
        bt_strbuf_puts(h, "  } val;\n");
      }
      bt_strbuf_printf(h, "} %s;\n\n", e->name);
      case_constants(g, e, t);
      bt_strbuf_puts(h, "\n");
      return;
    }
    case BT_WIT_ENUM:
      bg_doc(h, 0, t->docs);
      bt_strbuf_printf(h, "typedef %s %s;\n\n", uint_of_size(bt_abi_disc_size(t->count)), e->name);
      case_constants(g, e, t);
      bt_strbuf_puts(h, "\n");
      return;
    case BT_WIT_FLAGS: {
      bg_doc(h, 0, t->docs);
      bt_strbuf_printf(h, "typedef %s %s;\n\n", uint_of_size(bt_abi_flags_size(t->count)), e->name);
      const char *up = bg_upper(g, e->base);
      for (size_t i = 0; i < t->count; i++)
        bt_strbuf_printf(h, "#define %s_%s ((%s)1 << %zu)\n", up, bg_upper(g, t->fields[i].name),
                         e->name, i);
      bt_strbuf_puts(h, "\n");
      return;
    }
    case BT_WIT_RESOURCE:
      bg_doc(h, 0, t->docs);
      if (e->exported) {
        bt_strbuf_printf(h,
                         "/* The guest defines `struct %s`, the representation of a `%s`. */\n"
                         "typedef struct %s %s;\n\n",
                         e->name, t->name, e->name, e->name);
        bt_strbuf_printf(h, "typedef struct %s {\n  int32_t __handle;\n} %s;\n\n", e->own_name,
                         e->own_name);
        bt_strbuf_printf(h, "typedef %s *%s;\n\n", e->name, e->borrow_name);
      } else {
        bt_strbuf_printf(h, "typedef struct %s {\n  int32_t __handle;\n} %s;\n\n", e->own_name,
                         e->own_name);
        bt_strbuf_printf(h, "typedef struct %s {\n  int32_t __handle;\n} %s;\n\n", e->borrow_name,
                         e->borrow_name);
      }
      return;
    case BT_WIT_LIST:
      bt_strbuf_printf(h, "typedef struct %s {\n  %s *ptr;\n  size_t len;\n} %s;\n\n", e->name,
                       bg_ctype(g, t->target), e->name);
      return;
    case BT_WIT_OPTION:
      bt_strbuf_printf(h, "typedef struct %s {\n  bool is_some;\n  %s val;\n} %s;\n\n", e->name,
                       bg_ctype(g, t->target), e->name);
      return;
    case BT_WIT_RESULT:
      bt_strbuf_printf(h, "typedef struct %s {\n  bool is_err;\n", e->name);
      if (t->ok || t->err) {
        bt_strbuf_puts(h, "  union {\n");
        if (t->ok) bt_strbuf_printf(h, "    %s ok;\n", bg_ctype(g, t->ok));
        if (t->err) bt_strbuf_printf(h, "    %s err;\n", bg_ctype(g, t->err));
        bt_strbuf_puts(h, "  } val;\n");
      }
      bt_strbuf_printf(h, "} %s;\n\n", e->name);
      return;
    case BT_WIT_TUPLE:
      bt_strbuf_printf(h, "typedef struct %s {\n", e->name);
      for (size_t i = 0; i < t->count; i++)
        bt_strbuf_printf(h, "  %s f%zu;\n", bg_ctype(g, t->types[i]), i);
      bt_strbuf_printf(h, "} %s;\n\n", e->name);
      return;
    default: return; /* handles are named by their resource */
  }
}

/* Appends a statement freeing the member `lv` of type t when it owns
 * memory. */
static void free_member(bg_t *g, bt_strbuf_t *c, int ind, const bt_wit_type_t *t,
                        const char *lv) {
  if (!t || !bg_owns(g, t)) return;
  bt_strbuf_printf(c, "%*s%s(&%s);\n", ind, "", free_name(g, t), lv);
}

/* Writes the body of <base>_free for an owning entry into the source. */
static void define_free(bg_t *g, bg_entry_t *e) {
  bt_strbuf_t *c = &g->c;
  const bt_wit_type_t *t = e->type;
  bt_strbuf_printf(c, "void %s_free(%s *ptr) {\n", e->base, e->name);
  switch (t->kind) {
    case BT_WIT_ALIAS:
      bt_strbuf_printf(c, "  %s(ptr);\n", free_name(g, t->target));
      break;
    case BT_WIT_RECORD:
      for (size_t i = 0; i < t->count; i++)
        free_member(g, c, 2, t->fields[i].type,
                    bg_fmt(g, "ptr->%s", field_name(g, t->fields[i].name)));
      break;
    case BT_WIT_TUPLE:
      for (size_t i = 0; i < t->count; i++)
        free_member(g, c, 2, t->types[i], bg_fmt(g, "ptr->f%zu", i));
      break;
    case BT_WIT_LIST:
      bt_strbuf_puts(c, "  if (ptr->len > 0) {\n");
      if (bg_owns(g, t->target))
        bt_strbuf_printf(c, "    for (size_t i = 0; i < ptr->len; i++) %s(&ptr->ptr[i]);\n",
                         free_name(g, t->target));
      bt_strbuf_puts(c, "    free(ptr->ptr);\n  }\n  ptr->ptr = NULL;\n  ptr->len = 0;\n");
      break;
    case BT_WIT_OPTION:
      bt_strbuf_puts(c, "  if (ptr->is_some) {\n");
      free_member(g, c, 4, t->target, "ptr->val");
      bt_strbuf_puts(c, "  }\n  ptr->is_some = false;\n");
      break;
    case BT_WIT_RESULT:
      bt_strbuf_puts(c, "  if (!ptr->is_err) {\n");
      free_member(g, c, 4, t->ok, "ptr->val.ok");
      bt_strbuf_puts(c, "  } else {\n");
      free_member(g, c, 4, t->err, "ptr->val.err");
      bt_strbuf_puts(c, "  }\n");
      break;
    case BT_WIT_VARIANT:
      bt_strbuf_puts(c, "  switch (ptr->tag) {\n");
      for (size_t i = 0; i < t->count; i++) {
        if (!bg_owns(g, t->fields[i].type)) continue;
        bt_strbuf_printf(c, "    case %zu:\n", i);
        free_member(g, c, 6, t->fields[i].type,
                    bg_fmt(g, "ptr->val.%s", field_name(g, t->fields[i].name)));
        bt_strbuf_puts(c, "      break;\n");
      }
      bt_strbuf_puts(c, "    default:\n      break;\n  }\n");
      break;
    default: break;
  }
  bt_strbuf_puts(c, "}\n\n");
}

/* The string type's helpers: prototypes in the header, bodies in the
 * source. */
static void string_helpers(bg_t *g) {
  const char *b = g->entries[g->string_entry].base;
  const char *n = g->entries[g->string_entry].name;
  bt_strbuf_printf(&g->h,
                   "/* Sets `ret` to borrow the NUL-terminated UTF-8 string `s` (no copy: do not\n"
                   " * free it, and do not return it from an export). */\n"
                   "void %s_set(%s *ret, const char *s);\n"
                   "/* Sets `ret` to a heap copy of the NUL-terminated UTF-8 string `s`. */\n"
                   "void %s_dup(%s *ret, const char *s);\n"
                   "/* Sets `ret` to a heap copy of the `len` bytes at `s` (UTF-8). */\n"
                   "void %s_dup_n(%s *ret, const uint8_t *s, size_t len);\n"
                   "/* Frees a string made by %s_dup, received from an import, or passed\n"
                   " * to an export; leaves it empty. */\n"
                   "void %s_free(%s *ptr);\n\n",
                   b, n, b, n, b, n, b, b, n);
  bt_strbuf_printf(&g->c,
                   "void %s_set(%s *ret, const char *s) {\n"
                   "  ret->ptr = (uint8_t *)s;\n"
                   "  ret->len = strlen(s);\n"
                   "}\n\n"
                   "void %s_dup(%s *ret, const char *s) {\n"
                   "  %s_dup_n(ret, (const uint8_t *)s, strlen(s));\n"
                   "}\n\n"
                   "void %s_dup_n(%s *ret, const uint8_t *s, size_t len) {\n"
                   "  ret->ptr = NULL;\n"
                   "  ret->len = len;\n"
                   "  if (len == 0) return;\n"
                   "  ret->ptr = (uint8_t *)malloc(len);\n"
                   "  if (!ret->ptr) abort();\n"
                   "  memcpy(ret->ptr, s, len);\n"
                   "}\n\n"
                   "void %s_free(%s *ptr) {\n"
                   "  if (ptr->len > 0) free(ptr->ptr);\n"
                   "  ptr->ptr = NULL;\n"
                   "  ptr->len = 0;\n"
                   "}\n\n",
                   b, n, b, n, b, b, n, b, n);
}

/* Whether an entry names a C value type whose layout can be checked. */
static bool has_layout(const bg_entry_t *e) {
  if (!e->name || !e->type) return false;
  const bt_wit_type_t *u = bt_wit_type_unalias(e->type);
  return u && u->kind != BT_WIT_RESOURCE;
}

void bg_emit_types(bg_t *g) {
  bt_strbuf_puts(&g->h, "/* ---- types ---- */\n\n");
  bt_strbuf_printf(&g->h, "/* A WIT string: UTF-8 bytes, not NUL-terminated. */\n"
                          "typedef struct %s {\n  uint8_t *ptr;\n  size_t len;\n} %s;\n\n",
                   g->entries[g->string_entry].name, g->entries[g->string_entry].name);
  for (size_t i = 0; i < g->norder; i++) define(g, &g->entries[g->order[i]]);

  bt_strbuf_puts(&g->c, "/* ---- layout checks: each C type matches the Canonical ABI ---- */\n\n");
  bt_strbuf_printf(&g->c, "_Static_assert(sizeof(%s) == 8 && _Alignof(%s) == 4, \"%s\");\n",
                   g->entries[g->string_entry].name, g->entries[g->string_entry].name,
                   g->entries[g->string_entry].name);
  for (size_t i = 0; i < g->norder; i++) {
    bg_entry_t *e = &g->entries[g->order[i]];
    if (!has_layout(e)) continue;
    bt_strbuf_printf(&g->c, "_Static_assert(sizeof(%s) == %u && _Alignof(%s) == %u, \"%s\");\n",
                     e->name, bt_abi_size(e->type), e->name, bt_abi_align(e->type), e->name);
  }
  bt_strbuf_puts(&g->c, "\n");

  bt_strbuf_puts(&g->h, "/* ---- ownership helpers ---- */\n\n");
  bt_strbuf_puts(&g->c, "/* ---- ownership helpers ---- */\n\n");
  string_helpers(g);
  for (size_t i = 0; i < g->norder; i++) {
    bg_entry_t *e = &g->entries[g->order[i]];
    if (!e->owns || !e->name) continue;
    bt_strbuf_printf(&g->h, "void %s_free(%s *ptr);\n", e->base, e->name);
    define_free(g, e);
  }
  bt_strbuf_puts(&g->h, "\n");
}
