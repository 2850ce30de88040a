/* SPDX-License-Identifier: MIT */
/* series.h - what leak-view draws beyond `leak-report --json`: per process, the snapshot
 * time series (live heap, RSS, descriptors by type, threads, children, the top growing
 * stacks) and the flame-graph stacks of live bytes and growth. Written as one JSON value next
 * to the report's JSON, from the same model and analysis (export_samples.h for the
 * per-stack numbers), capped so a long trace with many stacks still makes a small page. */
#ifndef LEAK_VIEWER_SERIES_H
#define LEAK_VIEWER_SERIES_H

#include <stdint.h>

#include "analyze.h"
#include "err.h"
#include "json_out.h"
#include "symbolizer.h"

struct series_opts {
	uint32_t max_points;       /* timeline points per process (snapshots are bucketed) */
	uint32_t top_growing;      /* stacks drawn as lines */
	uint32_t max_flame_stacks; /* per flame graph; smaller stacks are merged into one */
	size_t findings_shown;     /* the report's --top, for growth rates of those findings */
	const struct analyze_opts *aopts; /* the analysis' window for growth (NULL: whole trace) */
};

/* Writes {"processes": [...]} in the analysis' process order. Returns 0, or -1 with e filled
 * (out of memory or symbolizer failure). */
int series_write(struct json_out *j, const struct analysis *a, struct symbolizer *s,
                 const struct series_opts *o, struct err *e);

#endif
