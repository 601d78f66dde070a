/*
 * src/cli/cmd_inspect.c: `baton inspect FILE.wasm`, a human-readable
 * summary of a core module from the binary reader alone (nothing is
 * compiled): imports, exports, memories, tables, globals, start and custom
 * sections. For a component it lists imports and exports with their sorts,
 * the embedded core modules, nested components, instances and canonical
 * definitions, and custom sections; `baton wit` shows its types as WIT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "component/component.h"
#include "util/fileio.h"
#include "wasm/wasm.h"

static const char *kind_name(bt_wasm_externkind_t k) {
  switch (k) {
    case BT_WASM_EXTERN_FUNC: return "func";
    case BT_WASM_EXTERN_TABLE: return "table";
    case BT_WASM_EXTERN_MEMORY: return "memory";
    case BT_WASM_EXTERN_GLOBAL: return "global";
    default: return "tag";
  }
}

static void print_limits(const bt_wasm_limits_t *l, const char *unit) {
  printf("%llu %s initial", (unsigned long long)l->min, unit);
  if (l->has_max) printf(", %llu maximum", (unsigned long long)l->max);
  else printf(", no maximum");
  if (l->shared) printf(", shared");
  if (l->is64) printf(", 64-bit");
}

/* Prints one component (and, indented, its nested components). */
static void print_component(const bt_component_t *c, int indent) {
  uint32_t n[16] = {0};
  for (uint32_t i = 0; i < c->ndefs; i++)
    if (c->defs[i].kind < 16) n[c->defs[i].kind]++;
  printf("%*simports (%u):\n", indent, "", c->nimports);
  for (uint32_t i = 0; i < c->nimports; i++)
    printf("%*s  %s %s\n", indent, "", bt_csort_name(c->imports[i].sort), c->imports[i].name);
  printf("%*sexports (%u):\n", indent, "", c->nexports);
  for (uint32_t i = 0; i < c->nexports; i++)
    printf("%*s  %s %s\n", indent, "", bt_csort_name(c->exports[i].sort), c->exports[i].name);
  printf("%*score modules: %u, core instances: %u, component instances: %u, canonical definitions: %u\n",
         indent, "", n[BT_CDEF_CORE_MODULE], n[BT_CDEF_CORE_INSTANCE], n[BT_CDEF_INSTANCE], n[BT_CDEF_CANON]);
  for (uint32_t i = 0; i < c->ndefs; i++) {
    const bt_cdef_t *d = &c->defs[i];
    if (d->kind == BT_CDEF_CORE_MODULE) {
      const bt_wasm_module_t *m = d->u.core_module.module;
      printf("%*s  core module %u at offset 0x%zx: %zu bytes, %u imports, %u exports, %u functions\n", indent, "",
             d->index, d->offset, d->u.core_module.size, m ? m->nimports : 0, m ? m->nexports : 0,
             m ? m->nfuncs : 0);
    }
  }
  for (uint32_t i = 0; i < c->ndefs; i++) {
    const bt_cdef_t *d = &c->defs[i];
    if (d->kind != BT_CDEF_COMPONENT) continue;
    printf("%*snested component %u at offset 0x%zx:\n", indent, "", d->index, d->offset);
    print_component(d->u.component.component, indent + 2);
  }
  printf("%*scustom sections (%u):\n", indent, "", c->ncustoms);
  for (uint32_t i = 0; i < c->ncustoms; i++)
    printf("%*s  %s (%zu bytes)\n", indent, "", c->customs[i].name, c->customs[i].size);
}

int cmd_inspect(int argc, char **argv) {
  char **pos = calloc((size_t)argc + 1, sizeof *pos);
  int npos = pos ? cli_parse(argc, argv, NULL, 0, pos) : -1;
  if (npos != 1) {
    if (npos >= 0) fprintf(stderr, "usage: baton inspect FILE.wasm\n");
    free(pos);
    return BT_EXIT_USAGE;
  }
  const char *file = pos[0];
  free(pos);
  uint8_t *bytes = NULL;
  size_t len = 0;
  baton_error_t *rerr = bt_read_input(file, true, &bytes, &len);
  if (rerr) return cli_fail(rerr);
  if (bt_component_is_component(bytes, (size_t)len)) {
    bt_component_t *c;
    baton_error_t *cerr = bt_component_parse(bytes, (size_t)len, &c);
    if (cerr) {
      bt_free(bytes);
      return cli_fail(baton_error_wrap(cerr, "%s", file));
    }
    printf("component %s (%zu bytes)\n", file, len);
    print_component(c, 0);
    bt_component_free(c);
    bt_free(bytes);
    return BT_EXIT_OK;
  }
  bt_wasm_module_t *m;
  baton_error_t *err = bt_wasm_parse(bytes, (size_t)len, &m);
  if (err) {
    bt_free(bytes);
    return cli_fail(baton_error_wrap(err, "%s", file));
  }
  char sig[512];
  printf("module %s (%zu bytes)\n", file, len);
  printf("imports (%u):\n", m->nimports);
  for (uint32_t i = 0; i < m->nimports; i++) {
    const bt_wasm_import_t *im = &m->imports[i];
    printf("  %s %s.%s", kind_name(im->kind), im->module, im->name);
    if (im->kind == BT_WASM_EXTERN_FUNC) {
      bt_wasm_functype_str(&m->types[im->u.func_type], sig, sizeof sig);
      printf(" %s", sig);
    } else if (im->kind == BT_WASM_EXTERN_MEMORY) {
      printf(": ");
      print_limits(&im->u.memory, "pages");
    }
    printf("\n");
  }
  printf("exports (%u):\n", m->nexports);
  for (uint32_t i = 0; i < m->nexports; i++) {
    const bt_wasm_export_t *ex = &m->exports[i];
    printf("  %s %s", kind_name(ex->kind), ex->name);
    if (ex->kind == BT_WASM_EXTERN_FUNC) {
      bt_wasm_functype_str(bt_wasm_func_type(m, ex->index), sig, sizeof sig);
      printf(" %s", sig);
    }
    printf("\n");
  }
  printf("memories (%u):\n", m->nmemories);
  for (uint32_t i = 0; i < m->nmemories; i++) {
    printf("  memory %u: ", m->nimported_memories + i);
    print_limits(&m->memories[i], "pages");
    printf("\n");
  }
  printf("tables (%u):\n", m->ntables);
  for (uint32_t i = 0; i < m->ntables; i++) {
    printf("  table %u: %s, ", m->nimported_tables + i, bt_wasm_valtype_name(m->tables[i].elemtype));
    print_limits(&m->tables[i].limits, "elements");
    printf("\n");
  }
  printf("functions: %u defined, %u imported\n", m->nfuncs, m->nimported_funcs);
  printf("globals: %u defined, %u imported\n", m->nglobals, m->nimported_globals);
  if (m->has_start) printf("start: function %u\n", m->start);
  printf("data segments: %u, element segments: %u\n", m->ndatas, m->nelems);
  printf("custom sections (%u):\n", m->ncustoms);
  for (uint32_t i = 0; i < m->ncustoms; i++)
    printf("  %s (%zu bytes at offset 0x%zx)\n", m->customs[i].name, m->customs[i].size,
           m->customs[i].offset);
  bt_wasm_module_free(m);
  bt_free(bytes);
  return BT_EXIT_OK;
}
