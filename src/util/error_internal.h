/*
 * src/util/error_internal.h: internal helpers on errors and traps.
 */
#ifndef BT_ERROR_INTERNAL_H
#define BT_ERROR_INTERNAL_H

#include "baton/trap.h"
#include "util/common.h"

/* Records the export being called and appends `(in export "NAME")` to the
 * message (not for EXIT traps). Idempotent. */
BT_HIDDEN void bt_trap_set_export(baton_trap_t *t, const char *export_name);

/* Returns a static description of a trap kind. */
BT_HIDDEN const char *bt_trap_kind_describe(baton_trap_kind_t kind);

#endif
