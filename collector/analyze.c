/* SPDX-License-Identifier: MIT */
/* analyze.c - analyze_run(): orders the processes as a tree (ppid links between the traces
 * of one run), runs every analysis on each and ranks the result. */
#include "analyze.h"
#include "analyze_growth.h"
#include "parse.h"

#include <errno.h>

#include <stdlib.h>
#include <string.h>

#include "trace_format.h"

/* The trace that is j's parent: for an exec'd program, the trace of the same pid that called
 * execve; else the trace whose pid is j's ppid (the latest one started before j, as pids get
 * reused). UINT32_MAX when none is among the traces. */
static uint32_t parent_of(const struct model *m, uint32_t j)
{
	const struct model_proc *c = m->procs[j];
	uint32_t best = UINT32_MAX;
	if (c->flags & TRACE_PROC_EXECED) {
		for (uint32_t i = 0; i < m->n_procs; i++) {
			const struct model_proc *p = m->procs[i];
			if (i != j && p->pid == c->pid && p->have_exec &&
			    p->start_ns <= c->start_ns &&
			    (best == UINT32_MAX || p->start_ns > m->procs[best]->start_ns))
				best = i;
		}
		if (best != UINT32_MAX)
			return best;
	}
	for (uint32_t i = 0; i < m->n_procs; i++) {
		const struct model_proc *p = m->procs[i];
		if (i != j && p->pid == c->ppid && p->start_ns <= c->start_ns &&
		    (best == UINT32_MAX || p->start_ns > m->procs[best]->start_ns))
			best = i;
	}
	return best;
}

/* Appends i and then its children, each subtree in start order. */
static void add_subtree(const struct model *m, const uint32_t *parent, uint32_t i, uint32_t depth,
                        bool *visited, struct analysis *a)
{
	visited[i] = true;
	a->procs[a->n_procs].proc = m->procs[i];
	a->procs[a->n_procs].depth = depth;
	a->n_procs++;
	for (;;) {
		uint32_t best = UINT32_MAX;
		for (uint32_t j = 0; j < m->n_procs; j++) {
			if (visited[j] || parent[j] != i)
				continue;
			if (best == UINT32_MAX || m->procs[j]->start_ns < m->procs[best]->start_ns)
				best = j;
		}
		if (best == UINT32_MAX)
			return;
		add_subtree(m, parent, best, depth + 1, visited, a);
	}
}

const char *analyze_base_name(const char *path)
{
	const char *b = path ? strrchr(path, '/') : NULL;
	return b ? b + 1 : path ? path : "";
}

/* --pid / --exe: is this process one of those asked for? */
static bool selected(const struct model_proc *p, const struct analyze_opts *o)
{
	if (!o->n_pids && !o->n_exes)
		return true;
	for (size_t i = 0; i < o->n_pids; i++)
		if (o->pids[i] == p->pid)
			return true;
	for (size_t i = 0; i < o->n_exes; i++)
		if (strcmp(analyze_base_name(p->exe), o->exes[i]) == 0 ||
		    (p->argc && strcmp(analyze_base_name(p->argv[0]), o->exes[i]) == 0))
			return true;
	return false;
}

/* Keeps the selected processes, in tree order; they become roots (depth 0) unless their
 * parent is kept too. */
static void select_procs(struct analysis *a, const struct analyze_opts *o)
{
	if (!o->n_pids && !o->n_exes)
		return;
	uint32_t k = 0, kept_depth = UINT32_MAX, shift = 0;
	for (uint32_t i = 0; i < a->n_procs; i++) {
		struct analysis_proc ap = a->procs[i];
		if (kept_depth != UINT32_MAX && ap.depth <= kept_depth)
			kept_depth = UINT32_MAX;
		if (!selected(ap.proc, o))
			continue;
		if (kept_depth == UINT32_MAX) {
			kept_depth = ap.depth;
			shift = ap.depth;
		}
		ap.depth -= shift;
		a->procs[k++] = ap;
	}
	a->n_procs = k;
}

int analyze_run(const struct model *m, const struct analyze_opts *o, struct analysis **out,
                struct err *e)
{
	*out = NULL;
	struct analysis *a = calloc(1, sizeof(*a));
	bool *visited = calloc(m->n_procs ? m->n_procs : 1, sizeof(bool));
	uint32_t *parent = calloc(m->n_procs ? m->n_procs : 1, sizeof(uint32_t));
	if (a)
		a->procs = calloc(m->n_procs ? m->n_procs : 1, sizeof(*a->procs));
	if (!a || !visited || !parent || !a->procs) {
		free(visited);
		free(parent);
		analyze_free(a);
		return err_set(e, "out of memory");
	}
	for (uint32_t j = 0; j < m->n_procs; j++)
		parent[j] = parent_of(m, j);
	/* Roots (no parent among the traces) in start order. A parent starts no later than its
	 * child, with a pid-reuse tie broken by index, so parent links cannot cycle except on
	 * equal start times; any process left over is then added as a root. */
	for (int pass = 0; pass < 2; pass++) {
		for (;;) {
			uint32_t best = UINT32_MAX;
			for (uint32_t i = 0; i < m->n_procs; i++) {
				if (visited[i] || (pass == 0 && parent[i] != UINT32_MAX))
					continue;
				if (best == UINT32_MAX ||
				    m->procs[i]->start_ns < m->procs[best]->start_ns)
					best = i;
			}
			if (best == UINT32_MAX)
				break;
			add_subtree(m, parent, best, 0, visited, a);
		}
	}
	free(visited);
	free(parent);
	select_procs(a, o);
	for (uint32_t i = 0; i < a->n_procs; i++) {
		struct analysis_proc *ap = &a->procs[i];
		if (analyze_heap(ap, o) != 0 || analyze_fd(ap, o) != 0 ||
		    analyze_proc(ap, o) != 0 || analyze_growth(ap, o) != 0 ||
		    analyze_merge_same(ap, o->sym) != 0 ||
		    (o->diff && diff_build(ap->proc, &o->diff_a, &o->diff_b, &ap->diff) != 0)) {
			analyze_free(a);
			return err_set(e, "out of memory");
		}
		growth_mark_piles(&ap->findings);
		if (ap->heap_from_sites)
			finding_list_rank_growth_first(&ap->findings);
		else
			finding_list_rank(&ap->findings);
	}
	*out = a;
	return 0;
}

bool analyze_cut_just_now(const struct model_proc *p, uint32_t snap)
{
	return !p->have_final && (uint64_t)snap + 1 >= p->n_snaps;
}

void analyze_free(struct analysis *a)
{
	if (!a)
		return;
	for (uint32_t i = 0; i < a->n_procs; i++) {
		finding_list_fini(&a->procs[i].findings);
		diff_list_fini(&a->procs[i].diff);
	}
	free(a->procs);
	free(a);
}

bool analyze_matches(const struct analysis *a, uint32_t mask)
{
	for (uint32_t i = 0; i < a->n_procs; i++) {
		if (finding_list_matches(&a->procs[i].findings, mask))
			return true;
	}
	return false;
}

/* One side of --window: empty, or a duration (parse.h; negative: from the end). */
static int parse_window_side(const char *s, size_t n, bool *set, double *out)
{
	*set = n != 0;
	if (!n)
		return 0;
	char buf[64];
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return parse_seconds("--window", buf, -1e12, 1e12, out, NULL);
}

int analyze_parse_window(struct analyze_opts *o, const char *arg, struct err *e)
{
	const char *colon = arg ? strchr(arg, ':') : NULL;
	if (!colon ||
	    parse_window_side(arg, (size_t)(colon - arg), &o->window_start_set,
	                      &o->window_start_s) != 0 ||
	    parse_window_side(colon + 1, strlen(colon + 1), &o->window_end_set, &o->window_end_s) !=
	        0)
		return err_set(
		    e,
		    "--window: '%.64s' is not START:END (durations from the start, "
		    "negative from the end, either side empty; e.g. 10:, -60:, 5:30, 1m:2m)",
		    arg ? arg : "");
	return 0;
}
