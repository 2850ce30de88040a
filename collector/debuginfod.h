/* SPDX-License-Identifier: MIT */
/* debuginfod.h - asks the debuginfod servers in DEBUGINFOD_URLS for a module's executable or
 * debug file by build-id, through libdebuginfod (opened with dlopen: no build dependency, and
 * nothing happens where it is missing). Off when DEBUGINFOD_URLS is unset or empty. The
 * library keeps its own cache (DEBUGINFOD_CACHE_PATH, by default ~/.cache/debuginfod_client);
 * each query is bounded by DEBUGINFOD_TIMEOUT (10 s here unless set), and after a server
 * error other than "not found" no further query is made, so one dead server costs one
 * timeout per run, not one per module. */
#ifndef LEAK_COLLECTOR_DEBUGINFOD_H
#define LEAK_COLLECTOR_DEBUGINFOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct debuginfod;

/* NULL when DEBUGINFOD_URLS is unset or empty, or libdebuginfod cannot be loaded. */
struct debuginfod *debuginfod_create(void);
void debuginfod_destroy(struct debuginfod *d);

/* The cached path of the executable (debug_file false) or debug file with this build-id into
 * *path (malloc'd); 0, or -1 when the servers do not have it or cannot be reached. */
int debuginfod_fetch(struct debuginfod *d, const uint8_t *build_id, size_t len, bool debug_file,
                     char **path);

#endif
