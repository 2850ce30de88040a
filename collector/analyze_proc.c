/* SPDX-License-Identifier: MIT */
/* analyze_proc.c - process-level resources left behind: "zombie" (a child exited and was
 * never reaped), "child" (still running when the trace ended), "thread" (finished but never
 * joined, or still running joinable at exit), "tempfile" (still on disk at exit). Children
 * and threads are grouped by the stack that created them; each temp file is a finding here,
 * and analyze_merge_same() folds those of one stack and API into one (ids = indices into the
 * model's tempfiles, so a report lists every path; paths[] holds the first FINDING_MEMBERS of
 * them, count how many there are).
 *
 * A process killed mid-run is reported from its last snapshot, a moment in the middle of its
 * work: a child that had exited just then (a zombie first in that snapshot) or a thread that
 * had just finished was as likely being reaped or joined, so those two need an older
 * snapshot to have seen them so. (A program that reaped each child at once, killed after a
 * snapshot caught one in between, showed a zombie it never left.) analyze_cut_just_now() is
 * that rule, shared with analyze_fd.c. */
#include "analyze.h"

#include "hashmap.h"
#include "trace_format.h"

/* Adds id to the group (kind, stack) in groups, creating it with state. */
static int add_grouped(struct analysis_proc *ap, struct hashmap *groups, enum finding_kind kind,
                       uint32_t stack_id, const char *state, uint32_t id)
{
	uint64_t st = !state ? 0 : state[0] == 'r' ? 1 : state[0] == 'd' ? 2 : 0;
	uint64_t key = (uint64_t)stack_id << 8 | (uint64_t)kind << 2 | st;
	uint32_t idx;
	if (!hashmap_get(groups, key, &idx)) {
		struct finding f = {.kind = kind, .stack_id = stack_id, .state = state};
		if (!finding_list_add(&ap->findings, &f) ||
		    hashmap_put(groups, key, (uint32_t)(ap->findings.n - 1)) != 0)
			return -1;
		idx = (uint32_t)(ap->findings.n - 1);
	}
	ap->findings.items[idx].count++;
	return finding_add_id(&ap->findings.items[idx], id);
}

/* Temp file i as a finding of its own: analyze_merge_same() folds those of one stack and API
 * into one (count, ids and paths in the order made), as it does any findings that read the
 * same. */
static int add_tempfile(struct analysis_proc *ap, uint32_t i, const struct model_tempfile *t)
{
	struct finding n = {.kind = FINDING_TEMPFILE,
	                    .stack_id = t->stack_id,
	                    .count = 1,
	                    .path = t->path,
	                    .api = t->api,
	                    .n_paths = 1};
	n.paths[0] = t->path;
	struct finding *g = finding_list_add(&ap->findings, &n);
	return g ? finding_add_id(g, i) : -1;
}

int analyze_proc(struct analysis_proc *ap, const struct analyze_opts *o)
{
	(void)o;
	const struct model_proc *p = ap->proc;
	struct hashmap groups = {0};
	int rc = 0;
	bool cut = !p->have_final; /* killed: the last snapshot is not the end */
	for (uint32_t i = 0; i < p->n_children && rc == 0; i++) {
		const struct model_child *c = &p->children[i];
		bool just_now = analyze_cut_just_now(p, c->state_snap);
		if (c->state == TRACE_CHILD_ZOMBIE && !just_now)
			rc = add_grouped(ap, &groups, FINDING_ZOMBIE, c->stack_id, NULL, c->pid);
		else if (c->state == TRACE_CHILD_RUNNING)
			rc =
			    add_grouped(ap, &groups, FINDING_CHILD, c->stack_id, "running", c->pid);
	}
	for (uint32_t i = 0; i < p->n_threads && rc == 0; i++) {
		const struct model_thread *t = &p->threads[i];
		bool just_now = analyze_cut_just_now(p, t->state_snap);
		if (t->state == TRACE_THREAD_FINISHED && !just_now)
			rc = add_grouped(ap, &groups, FINDING_THREAD, t->stack_id, "unjoined",
			                 t->tid);
		else if (t->state == TRACE_THREAD_RUNNING)
			rc = add_grouped(ap, &groups, FINDING_THREAD, t->stack_id, "running",
			                 t->tid);
		else if (t->state == TRACE_THREAD_DETACHED && p->n_pycodes && !cut)
			/* CPython detaches every thread it starts: one still running at exit is a
			 * finding there all the same, and says it is detached (nothing can join it;
			 * "running joinable" was wrong). */
			rc = add_grouped(ap, &groups, FINDING_THREAD, t->stack_id, "detached",
			                 t->tid);
	}
	hashmap_fini(&groups);
	for (uint32_t i = 0; i < p->n_tempfiles && rc == 0; i++) {
		const struct model_tempfile *t = &p->tempfiles[i];
		if (t->state == TRACE_TEMP_EXISTS_AT_EXIT)
			rc = add_tempfile(ap, i, t);
	}
	return rc;
}
