/* SPDX-License-Identifier: MIT */
/* recover.c - ends that only a parent's trace saw (see recover.h). A forked child's trace
 * clock starts at the fork, an exec'd one's at the exec, so the CHILD record that stands for a
 * process is the latest one of its pid spawned before the process's trace started (with a
 * second of slack for the two clocks); a header-only trace has no start, so the latest of its
 * pid. */
#include "recover.h"

#include "proc_alive.h"

#define RECOVER_SLACK_NS 1000000000ull

static void recover_one(struct model *m, struct model_proc *p)
{
	const struct model_child *best = NULL;
	uint64_t best_t = 0;
	for (uint32_t i = 0; i < m->n_procs; i++) {
		const struct model_proc *q = m->procs[i];
		if (q == p || !q->have_process || (p->have_process && q->pid != p->ppid))
			continue;
		for (uint32_t k = 0; k < q->n_children; k++) {
			const struct model_child *c = &q->children[k];
			uint64_t t = q->start_ns + c->t_ns;
			if (c->pid != p->pid || !c->have_wstatus ||
			    (p->have_process && t > p->start_ns + RECOVER_SLACK_NS))
				continue;
			if (!best || t >= best_t) {
				best = c;
				best_t = t;
			}
		}
	}
	if (best) {
		p->have_wait_status = true;
		p->wait_status = best->wstatus;
	}
}

void recover_exits(struct model *m)
{
	for (uint32_t i = 0; i < m->n_procs; i++) {
		struct model_proc *p = m->procs[i];
		if (!p->have_end && p->pid)
			recover_one(m, p);
	}
}

bool recover_final_state(const struct model_proc *p)
{
	return !p->have_end && p->have_process && p->n_snaps > 0 &&
	       (p->have_wait_status || !proc_alive(p->pid, p->start_ns));
}
