/* SPDX-License-Identifier: MIT */
/* modules.h - the map of loaded objects (dl_iterate_phdr), kept so that a stack from a library
 * dlclose'd before exit still symbolizes: each module is emitted once as MODULE (path, bias,
 * range, build-id) and, once gone, as MODULE_UNLOAD. */
#ifndef LEAK_PRELOAD_MODULES_H
#define LEAK_PRELOAD_MODULES_H

#include <stdbool.h>
#include <stdint.h>

#include "varint.h"

/* Constructor context, once, after lk_clock_start: reads /proc/self/exe and scans. */
void lk_modules_init(void);

/* Any thread (dlopen/dlclose hooks, writer). Rescans the loaded objects: new ones are added,
 * ones no longer loaded are marked unloaded. Never calls malloc; takes the loader lock. */
/* Returns how many known modules were found unmapped by this scan. */
int lk_modules_scan(void);

/* True if addr lies in a module currently known as loaded. */
bool lk_modules_contains(uintptr_t addr);

/* Writer: appends MODULE records for modules not yet emitted, then MODULE_UNLOAD for modules
 * unloaded and not yet reported. */
void lk_modules_emit(trace_buf_t *b);

/* Forked child with a new trace (its clock restarted): everything is emitted again. */
void lk_modules_reset_emitted(void);

/* Absolute path of the executable (readlink /proc/self/exe), "" if unknown. */
const char *lk_modules_exe(void);

/* Fork quiescing. */
void lk_modules_lock(void);
void lk_modules_unlock(void);

#endif
