/* SPDX-License-Identifier: MIT */
/* export_pprof.h - `leak-report --format pprof -o FILE`: a gzipped profile.proto (the format
 * of github.com/google/pprof) that the pprof tool and continuous-profiling servers read. */
#ifndef LEAK_COLLECTOR_EXPORT_PPROF_H
#define LEAK_COLLECTOR_EXPORT_PPROF_H

#include <stdio.h>

#include "analyze.h"
#include "err.h"
#include "symbolizer.h"

/* Writes one profile for every process of a (growth over o's window, NULL: the whole trace): sample
 * types inuse_space/bytes, inuse_objects/count and growth/bytes (values from export_samples.h), one
 * sample per stack with a "pid" label, locations per return address with inlined frames as extra
 * lines, functions with file names, and a mapping per module with its path and hex build-id.
 * Returns 0, or -1 with e filled (out of memory, zlib, or a write error on f). */
int export_pprof_write(FILE *f, const struct analysis *a, const struct analyze_opts *o,
                       struct symbolizer *s, struct err *e);

#endif
