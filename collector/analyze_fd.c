/* SPDX-License-Identifier: MIT */
/* analyze_fd.c - "fd": descriptors still open at the end (FD_OPEN without FD_CLOSE),
 * grouped by creating stack and type. Descriptors inherited at start (no stack: not ours
 * to close) and 0-2 are not findings. inherited_by_exec marks groups where a descriptor was
 * open without close-on-exec when the process called execve, i.e. leaked into the new
 * program. A forked child's copies of its parent's descriptors (TRACE_FD_FORKED) are the
 * parent's leaks, reported in the parent's trace, except one the child carries across an
 * exec: that crossing is the child's doing, reported here with the parent's stack. */
#include "analyze.h"

#include "hashmap.h"
#include "trace_format.h"

int analyze_fd(struct analysis_proc *ap, const struct analyze_opts *o)
{
	(void)o;
	const struct model_proc *p = ap->proc;
	struct hashmap groups = {0}; /* stack_id << 8 | type -> finding index */
	int rc = 0;
	for (uint32_t i = 0; i < p->n_fds && rc == 0; i++) {
		const struct model_fd *f = &p->fds[i];
		if (f->closed || f->fd <= 2 || (f->flags & TRACE_FD_INHERITED))
			continue;
		if ((f->flags & TRACE_FD_FORKED) && !f->open_at_exec)
			continue;
		uint64_t key = (uint64_t)f->stack_id << 8 | f->type;
		uint32_t idx;
		if (!hashmap_get(&groups, key, &idx)) {
			struct finding n = {.kind = FINDING_FD,
			                    .stack_id = f->stack_id,
			                    .fd_type = trace_fd_type_name(f->type),
			                    .path = f->path,
			                    .peer = f->peer,
			                    .api = f->api};
			if (!finding_list_add(&ap->findings, &n) ||
			    hashmap_put(&groups, key, (uint32_t)(ap->findings.n - 1)) != 0) {
				rc = -1;
				break;
			}
			idx = (uint32_t)(ap->findings.n - 1);
		}
		struct finding *g = &ap->findings.items[idx];
		g->count++;
		if (f->open_at_exec)
			g->inherited_by_exec = true;
		rc = finding_add_id(g, f->fd);
	}
	hashmap_fini(&groups);
	return rc;
}
