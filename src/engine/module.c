/*
 * src/engine/module.c: loading a core module: read, parse and validate
 * (src/wasm), AOT-compile through the cache (aot.c), dlopen the shared
 * object and check its descriptor, then index the function exports and
 * import types for the public API.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "util/fileio.h"

baton_valkind_t bt_valkind_from_wasm(uint8_t t) {
  switch (t) {
    case BT_WASM_I64: return BATON_I64;
    case BT_WASM_F32: return BATON_F32;
    case BT_WASM_F64: return BATON_F64;
    case BT_WASM_V128: return BATON_V128;
    case BT_WASM_FUNCREF: return BATON_FUNCREF;
    case BT_WASM_EXTERNREF: return BATON_EXTERNREF;
    default: return BATON_I32;
  }
}

void bt_module_retain(baton_module_t *m) { atomic_fetch_add(&m->refs, 1); }

void baton_module_delete(baton_module_t *m) {
  if (!m || atomic_fetch_sub(&m->refs, 1) != 1) return;
  if (m->dl) dlclose(m->dl);
  bt_wasm_module_free(m->wasm);
  bt_free(m->bytes);
  bt_free(m->name);
  bt_free(m->func_names);
  bt_free(m->func_types);
  bt_free(m->func_thunks);
  bt_free(m->import_types);
  bt_free(m->kind_pool);
  bt_free(m->so_path);
  bt_free(m);
}

/* Fills a public function type from a wasm one, taking kinds from *pool. */
static void fill_type(baton_functype_t *out, const bt_wasm_functype_t *ft,
                      baton_valkind_t **pool) {
  baton_valkind_t *p = *pool;
  for (uint32_t i = 0; i < ft->nparams; i++) p[i] = bt_valkind_from_wasm(ft->params[i]);
  for (uint32_t i = 0; i < ft->nresults; i++) p[ft->nparams + i] = bt_valkind_from_wasm(ft->results[i]);
  out->params = p;
  out->nparams = ft->nparams;
  out->results = p + ft->nparams;
  out->nresults = ft->nresults;
  *pool = p + ft->nparams + ft->nresults;
}

/* Builds the export and import tables from the parsed module (no compiled
 * code needed: the thunks are bound by bind_glue). */
static baton_error_t *index_module(baton_module_t *m) {
  const bt_wasm_module_t *w = m->wasm;
  size_t nkinds = 0;
  uint32_t nfx = 0;
  for (uint32_t i = 0; i < w->nexports; i++) {
    if (w->exports[i].kind != BT_WASM_EXTERN_FUNC) continue;
    const bt_wasm_functype_t *ft = bt_wasm_func_type(w, w->exports[i].index);
    nkinds += ft->nparams + ft->nresults;
    nfx++;
  }
  for (uint32_t i = 0; i < w->nimports; i++) {
    if (w->imports[i].kind != BT_WASM_EXTERN_FUNC) continue;
    const bt_wasm_functype_t *ft = &w->types[w->imports[i].u.func_type];
    nkinds += ft->nparams + ft->nresults;
  }
  m->kind_pool = bt_calloc(nkinds + 1, sizeof *m->kind_pool);
  m->func_names = bt_calloc(nfx + 1, sizeof *m->func_names);
  m->func_types = bt_calloc(nfx + 1, sizeof *m->func_types);
  m->func_thunks = bt_calloc(nfx + 1, sizeof *m->func_thunks);
  m->import_types = bt_calloc(w->nimports + 1, sizeof *m->import_types);
  if (!m->kind_pool || !m->func_names || !m->func_types || !m->func_thunks || !m->import_types)
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  baton_valkind_t *pool = m->kind_pool;
  nfx = 0;
  for (uint32_t i = 0; i < w->nexports; i++) {
    if (w->exports[i].kind != BT_WASM_EXTERN_FUNC) continue;
    m->func_names[nfx] = w->exports[i].name;
    fill_type(&m->func_types[nfx], bt_wasm_func_type(w, w->exports[i].index), &pool);
    if (strcmp(w->exports[i].name, "_initialize") == 0 && m->func_types[nfx].nparams == 0 &&
        m->func_types[nfx].nresults == 0) {
      m->has_initialize = true;
      m->initialize_index = nfx;
    }
    nfx++;
  }
  m->nfuncs = nfx;
  for (uint32_t i = 0; i < w->nimports; i++)
    if (w->imports[i].kind == BT_WASM_EXTERN_FUNC)
      fill_type(&m->import_types[i], &w->types[w->imports[i].u.func_type], &pool);
  return NULL;
}

/* Checks the loaded glue's exports against the module's and binds the
 * thunks. */
static baton_error_t *bind_glue(baton_module_t *m) {
  if (m->nfuncs != m->glue->nexports)
    return baton_error_new(BATON_ECOMPILE, "compiled module has %u exports, expected %u",
                           m->glue->nexports, m->nfuncs);
  for (uint32_t k = 0; k < m->nfuncs; k++) {
    if (strcmp(m->glue->exports[k].name, m->func_names[k]) != 0)
      return baton_error_new(BATON_ECOMPILE, "compiled module export %u is \"%s\", expected \"%s\"",
                             k, m->glue->exports[k].name, m->func_names[k]);
    m->func_thunks[k] = m->glue->exports[k].thunk;
  }
  return NULL;
}

/* Binds the compiled shared object to the runtime: bt_aot_compile loaded
 * it from a verified cache entry and checked its ABI tag (cache.c). */
static baton_error_t *load_object(baton_module_t *m) {
  if (!m->dl || !m->glue)
    return baton_error_new(BATON_ECACHE, "compiled module %s was not loaded", m->so_path);
  m->glue->init_module(&bt_runtime);
  return NULL;
}

baton_error_t *bt_module_parse(baton_engine_t *engine, const uint8_t *bytes, size_t len, const char *name,
                               baton_module_t **out) {
  *out = NULL;
  baton_module_t *m = bt_calloc(1, sizeof *m);
  if (!m) return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  atomic_init(&m->refs, 1);
  m->engine = engine;
  m->name = bt_strdup(name ? name : "module");
  m->bytes = bt_malloc(len ? len : 1);
  if (!m->name || !m->bytes) {
    baton_module_delete(m);
    return baton_error_new(BATON_ENO_MEMORY, "out of memory");
  }
  memcpy(m->bytes, bytes, len);
  m->len = len;
  baton_error_t *err = bt_wasm_parse(m->bytes, m->len, &m->wasm);
  if (!err) err = bt_glue_check(m->wasm);
  if (!err) err = index_module(m);
  if (err) {
    baton_module_delete(m);
    return baton_error_wrap(err, "%s", name ? name : "module");
  }
  *out = m;
  return NULL;
}

baton_error_t *bt_module_compile(baton_module_t *m) {
  if (m->glue) return NULL;
  bt_free(m->so_path); /* a failed earlier attempt */
  m->so_path = NULL;
  baton_error_t *err = bt_aot_compile(m->engine, m);
  if (!err) err = load_object(m);
  if (!err) err = bind_glue(m);
  if (err) {
    if (m->dl) dlclose(m->dl);
    m->dl = NULL;
    m->glue = NULL;
    return baton_error_wrap(err, "%s", m->name);
  }
  return NULL;
}

baton_error_t *baton_module_new(baton_engine_t *engine, const uint8_t *bytes,
                                size_t len, const char *name, baton_module_t **out) {
  baton_error_t *err = bt_module_parse(engine, bytes, len, name, out);
  if (!err) err = bt_module_compile(*out);
  if (err && *out) {
    baton_module_delete(*out);
    *out = NULL;
  }
  return err;
}

/* Reads and parses (compile: and compiles) the module at path. */
static baton_error_t *module_from_file(baton_engine_t *engine, const char *path, bool compile,
                                       baton_module_t **out) {
  *out = NULL;
  uint8_t *buf = NULL;
  size_t len = 0;
  baton_error_t *rerr = bt_read_input(path, true, &buf, &len);
  if (rerr && baton_error_code(rerr) == BATON_ENOT_FOUND) { /* a missing module file has been EIO */
    baton_error_t *io = baton_error_new(BATON_EIO, "%s", baton_error_message(rerr));
    baton_error_delete(rerr);
    rerr = io;
  }
  if (rerr) return rerr;
  baton_error_t *err = compile ? baton_module_new(engine, buf, len, path, out)
                               : bt_module_parse(engine, buf, len, path, out);
  bt_free(buf);
  return err;
}

baton_error_t *baton_module_new_file(baton_engine_t *engine, const char *path,
                                     baton_module_t **out) {
  return module_from_file(engine, path, true, out);
}

baton_error_t *bt_module_parse_file(baton_engine_t *engine, const char *path, baton_module_t **out) {
  return module_from_file(engine, path, false, out);
}

size_t baton_module_import_count(const baton_module_t *m) { return m->wasm->nimports; }

size_t baton_module_export_count(const baton_module_t *m) { return m->wasm->nexports; }

bool baton_module_import(const baton_module_t *m, size_t i, baton_extern_desc_t *d) {
  if (i >= m->wasm->nimports) return false;
  memset(d, 0, sizeof *d);
  const bt_wasm_import_t *im = &m->wasm->imports[i];
  d->module = im->module;
  d->name = im->name;
  d->module_len = im->module_len;
  d->name_len = im->name_len;
  d->kind = (baton_externkind_t)im->kind;
  if (d->kind == BATON_EXTERN_FUNC) d->type = m->import_types[i];
  if (d->kind == BATON_EXTERN_GLOBAL) {
    d->global_kind = bt_valkind_from_wasm(im->u.global.valtype);
    d->global_mutable = im->u.global.mutable_;
  }
  return true;
}

bool baton_module_export(const baton_module_t *m, size_t i, baton_extern_desc_t *d) {
  if (i >= m->wasm->nexports) return false;
  memset(d, 0, sizeof *d);
  d->name = m->wasm->exports[i].name;
  d->name_len = m->wasm->exports[i].name_len;
  d->kind = (baton_externkind_t)m->wasm->exports[i].kind;
  if (d->kind == BATON_EXTERN_FUNC) {
    for (uint32_t k = 0; k < m->nfuncs; k++)
      if (m->func_names[k] == d->name) d->type = m->func_types[k];
  }
  return true;
}

const uint8_t *baton_module_custom_section(const baton_module_t *m, const char *name,
                                           size_t *size) {
  const bt_wasm_custom_t *c = bt_wasm_find_custom(m->wasm, name);
  if (!c) return NULL;
  if (size) *size = c->size;
  return c->data;
}

const char *baton_module_name(const baton_module_t *m) { return m->name; }
const char *baton_module_cache_path(const baton_module_t *m) { return m->so_path; }
bool baton_module_cache_hit(const baton_module_t *m) { return m->cache_hit; }
double baton_module_compile_seconds(const baton_module_t *m) { return m->compile_seconds; }
