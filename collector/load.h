/* SPDX-License-Identifier: MIT */
/* load.h - the input side leak-report and leak-view share: the paths given on the command
 * line, each a trace or a directory of traces (every *.lkt in it), read into one model. */
#ifndef LEAK_COLLECTOR_LOAD_H
#define LEAK_COLLECTOR_LOAD_H

#include "err.h"
#include "model.h"

/* Reads paths[0..n) into m, in order. A trace in a directory that cannot be read is passed
 * to skipped(path, why, arg) (may be NULL) and left out, as trace_reader_load_dir does; a
 * trace named itself that cannot be read, and a directory that cannot be read or holds no
 * readable trace, are errors. Returns 0, or -1 with *failed set to the path at fault and e
 * filled (without the path). */
int load_paths(struct model *m, const char *const *paths, int n,
               void (*skipped)(const char *path, const char *why, void *arg), void *arg,
               const char **failed, struct err *e);

#endif
