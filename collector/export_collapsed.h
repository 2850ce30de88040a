/* SPDX-License-Identifier: MIT */
/* export_collapsed.h - `leak-report --format collapsed`: folded stacks, one line per stack,
 * "outermost;...;innermost VALUE", the input of flamegraph.pl, inferno and speedscope. */
#ifndef LEAK_COLLECTOR_EXPORT_COLLAPSED_H
#define LEAK_COLLECTOR_EXPORT_COLLAPSED_H

#include <stdio.h>

#include "analyze.h"
#include "err.h"
#include "export_samples.h"
#include "symbolizer.h"

/* Writes one line per stack whose metric value is not 0 (growth over o's window, NULL: the
 * whole trace). With several processes each line
 * starts with a frame "EXE-BASENAME [PID]". Frames are function names (inlined calls
 * included), "module+0xOFFSET" when unresolved; ';' and line breaks in names become '_'.
 * Returns 0, or -1 with e filled (out of memory or a write error on f). */
int export_collapsed_write(FILE *f, const struct analysis *a, const struct analyze_opts *o,
                           struct symbolizer *s, enum export_metric m, struct err *e);

#endif
