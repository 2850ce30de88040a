/* SPDX-License-Identifier: MIT */
/* bundle.h - leak-report --bundle DIR: the traces and the files their stacks need, for a
 * report on another machine (a bug report). DIR gets a copy of each trace and, under
 * DIR/.build-id/xx/yyyy (".debug" for a debug file), the file the symbol search found for each
 * module a stack passes through, so that `leak-report --debug-dir DIR DIR` there names
 * the same frames as here. */
#ifndef LEAK_COLLECTOR_BUNDLE_H
#define LEAK_COLLECTOR_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "model.h"
#include "symbolizer.h"

struct bundle_stats {
	uint32_t traces, files, missing; /* missing: modules with stacks but no file found */
	uint64_t bytes;
};

/* Creates dir (it may exist) and fills it. Returns 0, or -1 with e filled. */
int bundle_write(const char *dir, const struct model *m, struct symbolizer *s,
                 struct bundle_stats *st, struct err *e);

#endif
