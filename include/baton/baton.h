/*
 * baton/baton.h: the umbrella header of libbaton, a runtime that composes
 * WebAssembly guests in one process. Include this, or the individual
 * headers: error.h and trap.h (outcomes), engine.h (cache and defaults),
 * module.h (compiled modules), instance.h (linking and calling), wasi.h.
 */
#ifndef BATON_BATON_H
#define BATON_BATON_H

#include "baton/engine.h"
#include "baton/error.h"
#include "baton/instance.h"
#include "baton/module.h"
#include "baton/trap.h"
#include "baton/val.h"
#include "baton/wasi.h"
#include "baton/value.h"
#include "baton/app.h"

#endif
