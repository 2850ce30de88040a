/* SPDX-License-Identifier: MIT */
/* export_samples.h - the per-stack numbers every profile export shares (collapsed stacks,
 * pprof, leak-view's flame graphs), taken from one analysis so that their totals equal
 * `leak-report --json`: live bytes and objects are the heap findings (leak + reachable) of
 * each stack, growth is what the stack's live bytes gained between the first and the last
 * snapshot of the analysis window (--window; the whole trace by default; 0 for a stack that
 * shrank); allocs and alloc bytes count every allocation the stack made over the whole trace,
 * freed or not (where the churn comes from, not what leaked). */
#ifndef LEAK_COLLECTOR_EXPORT_SAMPLES_H
#define LEAK_COLLECTOR_EXPORT_SAMPLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze.h"
#include "err.h"
#include "symbolizer.h"

enum export_metric {
	EXPORT_LIVE_BYTES,
	EXPORT_LIVE_COUNT,
	EXPORT_GROWTH,
	EXPORT_ALLOCS,      /* allocations the stack made over the whole trace, freed or not */
	EXPORT_ALLOC_BYTES, /* their bytes */
};

struct export_sample {
	uint32_t proc; /* index into analysis->procs */
	uint32_t stack_id;
	uint64_t live_bytes, live_count, growth_bytes;
	uint64_t allocs, alloc_bytes; /* the stack's last SITE totals */
};

struct export_samples {
	struct export_sample *items; /* by process, then by the stack's first appearance */
	size_t n, cap;
};

/* "live-bytes", "live-count", "growth", "allocs" or "alloc-bytes" -> *m. Returns 0, or -1
 * with e filled. */
int export_metric_parse(const char *name, enum export_metric *m, struct err *e);
uint64_t export_sample_value(const struct export_sample *s, enum export_metric m);

/* Fills out (zeroed by the caller) with every stack that has live heap findings, growth or
 * allocations;
 * o gives the window (NULL: the whole trace), as the growth analysis reads it. Returns 0, or
 * -1 with e filled on out of memory. */
int export_samples_build(const struct analysis *a, const struct analyze_opts *o,
                         struct export_samples *out, struct err *e);
/* The snapshot indices [*i0, *i1] growth is measured over; false when the window holds fewer
 * than two snapshots (no growth). */
bool export_window(const struct model_proc *p, const struct analyze_opts *o, uint32_t *i0,
                   uint32_t *i1);
void export_samples_fini(struct export_samples *s);

/* The display name of a frame: its function, else "module-basename+0xOFFSET", else "0xADDR".
 * Writes into buf and returns it (or f->function itself). */
const char *export_frame_name(const struct sym_frame *f, char *buf, size_t len);

#endif
