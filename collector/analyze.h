/* SPDX-License-Identifier: MIT */
/* analyze.h - the one entry point from a loaded model to ranked findings, used by
 * leak-report and leak-view alike (never a second implementation). analyze_run() calls each
 * analyze_<kind>() on every process, applies the options and ranks. A new analysis
 * (analyze_growth.c) adds its fields to struct analyze_opts, its function below, and one
 * call in analyze.c. */
#ifndef LEAK_COLLECTOR_ANALYZE_H
#define LEAK_COLLECTOR_ANALYZE_H

#include <stdbool.h>
#include <stdint.h>

#include "diff.h"
#include "err.h"
#include "finding.h"
#include "model.h"

struct symbolizer;

struct analyze_opts {
	uint64_t min_bytes; /* heap findings below this are dropped */
	/* --window START:END for the trend tests, seconds since start; a negative bound counts
	 * back from the last snapshot; an unset bound is open. */
	bool window_start_set, window_end_set;
	double window_start_s, window_end_s;
	uint64_t limit_bytes; /* --limit: growth findings get eta_s to reach it; 0 = none */
	bool diff;            /* --diff A B: fill analysis_proc.diff */
	/* --pid and --exe: only these processes (none given: all). exes are basenames matched
	 * against the executable and argv[0]. */
	const uint32_t *pids;
	size_t n_pids;
	const char *const *exes;
	size_t n_exes;
	struct diff_ref diff_a, diff_b;
	/* Names native frames for analyze_merge_same (NULL: they compare by address). */
	struct symbolizer *sym;
};

struct analysis_proc {
	const struct model_proc *proc;
	struct finding_list findings; /* ranked */
	bool heap_from_sites;         /* no final snapshot: leaks are the last SITE values */
	uint32_t depth;               /* in the process tree (0 for roots) */
	struct diff_list diff;        /* when analyze_opts.diff */
	/* Whether the trend tests ran: growth_snaps snapshots in the window taken while the
	 * program ran, growth_needed wanted (fewer: growth_ran false, "inconclusive"). The exit
	 * snapshot, taken after the exit handlers, is not counted: growth_exit_left_out when the
	 * window ends with it. */
	bool growth_ran, growth_exit_left_out;
	uint32_t growth_snaps, growth_needed;
};

/* Findings of one kind whose stacks read the same (a Python frame by function, file and line,
 * a native one by each of its frames' function, file and line as sym names them, by address
 * when it has no line or sym is NULL) become one, counts summed (analyze_merge.c). -1 on out
 * of memory. */
int analyze_merge_same(struct analysis_proc *ap, struct symbolizer *sym);

struct analysis {
	struct analysis_proc *procs; /* process-tree order: a parent before its children */
	uint32_t n_procs;
};

/* Analyzes every process of m (which must outlive the result). Returns 0, or -1 with e
 * filled on out of memory. */
int analyze_run(const struct model *m, const struct analyze_opts *o, struct analysis **out,
                struct err *e);
void analyze_free(struct analysis *a);

/* Parses --window START:END (seconds from start, negative from the end, either side may be
 * empty, an optional 's') into o->window_*. Returns 0, or -1 with a message in e. */
int analyze_parse_window(struct analyze_opts *o, const char *arg, struct err *e);
/* True when any process has a finding whose kind is in mask (finding_kinds_parse). */
bool analyze_matches(const struct analysis *a, uint32_t mask);

/* In a trace cut short (no final snapshot: the process was killed), whether a state first
 * seen at snapshot index snap (model_child.state_snap: n_snaps for records after the last
 * SNAPSHOT) came just before the end, in the last snapshot or after it: the program may have
 * been about to undo it (reap a child, join a thread, close a descriptor), so it is no
 * finding. Always false for a trace with its final snapshot. */
bool analyze_cut_just_now(const struct model_proc *p, uint32_t snap);

/* The last component of path ("" for NULL): what --exe and the shell check compare. */
const char *analyze_base_name(const char *path);

/* Per-kind analyses, each appending to ap->findings; 0 or -1 on out of memory. */
int analyze_heap(struct analysis_proc *ap, const struct analyze_opts *o); /* leak, reachable */
int analyze_fd(struct analysis_proc *ap, const struct analyze_opts *o);   /* fd */
int analyze_proc(struct analysis_proc *ap, const struct analyze_opts *o); /* zombie, child,
                                                                             thread, tempfile */
/* growth, rss; marks growing fd/thread/zombie findings and turns reachable findings of a
 * growing stack into leaks, so it runs after the others. */
int analyze_growth(struct analysis_proc *ap, const struct analyze_opts *o);

#endif
