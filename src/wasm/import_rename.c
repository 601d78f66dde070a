/*
 * src/wasm/import_rename.c: gives overloaded imports distinct names for
 * wasm2c.
 *
 * A module may import one (module, name) pair several times with different
 * types ("overloading"; the spec's imports.wast does). Such a module is valid,
 * and linking decides whether the definition fits each import, but wasm2c
 * 1.0.32 declares one C function per pair and refuses the module. baton binds
 * imports by index, not by name, so before translation each overloaded
 * repeat is renamed to "<name>\x01<index>": unique, and never a name that a
 * host can define (the linker sees the original names).
 */
#include <stdio.h>
#include <string.h>

#include "util/strbuf.h"
#include "wasm/wasm.h"

static bool same_type(const bt_wasm_module_t *m, const bt_wasm_import_t *a, const bt_wasm_import_t *b) {
  if (a->kind != b->kind) return false;
  if (a->kind != BT_WASM_EXTERN_FUNC) return false; /* distinct declarations in C */
  const bt_wasm_functype_t *x = &m->types[a->u.func_type], *y = &m->types[b->u.func_type];
  return x->nparams == y->nparams && x->nresults == y->nresults &&
         !memcmp(x->params, y->params, x->nparams) && !memcmp(x->results, y->results, x->nresults);
}

bool bt_wasm_import_overloaded(const bt_wasm_module_t *m, uint32_t i) {
  const bt_wasm_import_t *im = &m->imports[i];
  for (uint32_t j = 0; j < i; j++) {
    const bt_wasm_import_t *p = &m->imports[j];
    if (p->module_len == im->module_len && p->name_len == im->name_len &&
        !memcmp(p->module, im->module, im->module_len) && !memcmp(p->name, im->name, im->name_len))
      return !same_type(m, p, im);
  }
  return false;
}

/* Appends an unsigned LEB128. */
static void put_uleb(bt_strbuf_t *b, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    bt_strbuf_putc(b, (char)byte);
  } while (v);
}

static void put_name(bt_strbuf_t *b, const char *s, size_t n) {
  put_uleb(b, n);
  bt_strbuf_append(b, s, n);
}

/* Skips one import description (after the kind byte) in [p, end). */
static bool skip_desc(const uint8_t **p, const uint8_t *end, uint8_t kind) {
  uint64_t v;
  uint8_t flags;
  switch (kind) {
    case BT_WASM_EXTERN_FUNC: return bt_wasm_read_uleb(p, end, 32, &v);
    case BT_WASM_EXTERN_TABLE:
      if (*p >= end) return false;
      (*p)++; /* reftype, then limits as for a memory */
      __attribute__((fallthrough));
    case BT_WASM_EXTERN_MEMORY:
      if (*p >= end) return false;
      flags = *(*p)++;
      if (!bt_wasm_read_uleb(p, end, 64, &v)) return false;
      return !(flags & 1) || bt_wasm_read_uleb(p, end, 64, &v);
    case BT_WASM_EXTERN_GLOBAL:
      if (end - *p < 2) return false;
      *p += 2;
      return true;
    default: return false;
  }
}

baton_error_t *bt_wasm_rename_overloaded_imports(const bt_wasm_module_t *m, const uint8_t *bytes, size_t len,
                                                 uint8_t **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  bool any = false;
  for (uint32_t i = 0; i < m->nimports && !any; i++) any = bt_wasm_import_overloaded(m, i);
  if (!any || len < 8) return NULL;
  bt_strbuf_t b;
  memset(&b, 0, sizeof b);
  bt_strbuf_append(&b, (const char *)bytes, 8);
  const uint8_t *p = bytes + 8, *end = bytes + len;
  while (p < end) {
    const uint8_t *sec = p;
    uint8_t id = *p++;
    uint64_t size;
    if (!bt_wasm_read_uleb(&p, end, 32, &size) || size > (uint64_t)(end - p)) goto bad;
    const uint8_t *body = p, *body_end = p + size;
    p = body_end;
    if (id != 2) {
      bt_strbuf_append(&b, (const char *)sec, (size_t)(body_end - sec));
      continue;
    }
    bt_strbuf_t s;
    memset(&s, 0, sizeof s);
    const uint8_t *q = body;
    uint64_t n, l;
    if (!bt_wasm_read_uleb(&q, body_end, 32, &n) || n != m->nimports) {
      bt_strbuf_free(&s);
      goto bad;
    }
    put_uleb(&s, n);
    for (uint32_t i = 0; i < n; i++) {
      for (int k = 0; k < 2; k++) { /* module and name, skipped */
        if (!bt_wasm_read_uleb(&q, body_end, 32, &l) || l > (uint64_t)(body_end - q)) {
          bt_strbuf_free(&s);
          goto bad;
        }
        q += l;
      }
      const bt_wasm_import_t *im = &m->imports[i];
      put_name(&s, im->module, im->module_len);
      if (bt_wasm_import_overloaded(m, i)) {
        char suffix[16];
        int sl = snprintf(suffix, sizeof suffix, "\x01%u", i);
        put_uleb(&s, im->name_len + (size_t)sl);
        bt_strbuf_append(&s, im->name, im->name_len);
        bt_strbuf_append(&s, suffix, (size_t)sl);
      } else {
        put_name(&s, im->name, im->name_len);
      }
      const uint8_t *desc = q;
      if (q >= body_end) {
        bt_strbuf_free(&s);
        goto bad;
      }
      uint8_t kind = *q++;
      if (!skip_desc(&q, body_end, kind)) {
        bt_strbuf_free(&s);
        goto bad;
      }
      bt_strbuf_append(&s, (const char *)desc, (size_t)(q - desc));
    }
    bt_strbuf_putc(&b, 2);
    put_uleb(&b, s.len);
    bt_strbuf_append(&b, s.data, s.len);
    bt_strbuf_free(&s);
  }
  if (b.failed) {
    bt_strbuf_free(&b);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  *out_len = b.len;
  *out = (uint8_t *)bt_strbuf_take(&b, NULL);
  return NULL;
bad:
  bt_strbuf_free(&b);
  return baton_error_new(BATON_EMALFORMED, "import section could not be re-encoded");
}
