/* SPDX-License-Identifier: MIT */
/* analyze_growth.h - the trend test applied to one series, shared by analyze_growth.c and its
 * unit test, and the window a process is analysed over. The full analysis entry point is
 * analyze_growth() in analyze.h. */
#ifndef LEAK_COLLECTOR_ANALYZE_GROWTH_H
#define LEAK_COLLECTOR_ANALYZE_GROWTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "model.h"

#define GROWTH_MIN_POINTS  8    /* fewer snapshots taken while running: no verdict */
#define GROWTH_MAX_SAMPLES 200  /* series are subsampled to this many points */
#define GROWTH_LATER_PART  0.6  /* the trend is tested over the last 60% of the window */
#define GROWTH_P_MAX       0.01 /* Mann-Kendall two-sided p below this */
#define GROWTH_TAU_MIN     0.3  /* and Kendall tau at least this */

struct growth_test {
	double floor_abs; /* slope x tested span must reach this (bytes or count) */
	double floor_rel; /* and this fraction of the fitted value at the start of the span */
};

struct growth_result {
	bool growing;
	double slope;     /* Theil-Sen, units per second (0 unless slope_known) */
	bool slope_known; /* false when the rank test already said no */
	double tau, p;
};

/* Tests whether y grows steadily over times x (seconds, ascending), n <= GROWTH_MAX_SAMPLES:
 * Mann-Kendall significant and positive (p < GROWTH_P_MAX, tau >= GROWTH_TAU_MIN), material
 * (Theil-Sen slope x span >= floor_abs and >= floor_rel x the line's start value), and still
 * growing at the end (the slope over the last half of the points is at least a quarter of
 * the whole slope), so a warm-up that reaches a plateau inside the span is not a leak.
 * n < GROWTH_MIN_POINTS is never growing. Fills r: tau and p always, the slope once the
 * rank test passed (slope_known). */
void growth_test_series(const double *x, const double *y, size_t n, const struct growth_test *t,
                        struct growth_result *r);

/* Snapshot indices [*i0, *i1] inside the window (seconds since start; a negative bound counts
 * back from the last snapshot; has_* false: open). Returns false when no snapshot is in it. */
bool growth_window(const struct model_proc *p, bool has_start, double start_s, bool has_end,
                   double end_s, uint32_t *i0, uint32_t *i1);

/* A growing pile of descriptors, threads or zombies carries the heap each member holds (a
 * thread's interpreter state, a connection's buffers): every such stack grows in step with
 * it and is a growth finding of its own, a few KiB each. A growth finding follows a pile when
 * it gains at most GROWTH_PILE_BYTES per member and at least one block per two members
 * (bytes_per_sec <= GROWTH_PILE_BYTES x the pile's count_per_sec, count_per_sec >= half of
 * it): it is marked follows_pile and the pile leads_pile, and finding_list_rank() puts the
 * pile ahead of them. Growth that no pile explains (a realloc-grown buffer, MiB per member,
 * a slower trickle) is left alone. Run after analyze_merge_same(), on summed rates. */
#define GROWTH_PILE_BYTES (16.0 * 1024)
void growth_mark_piles(struct finding_list *l);

#endif
