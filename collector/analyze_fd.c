/* SPDX-License-Identifier: MIT */
/* analyze_fd.c - "fd": descriptors still open at the end (FD_OPEN without FD_CLOSE),
 * grouped by creating stack and type. Descriptors inherited at start (no stack: not ours
 * to close) and 0-2 are not findings. inherited_by_exec marks groups where a descriptor was
 * open without close-on-exec when the process called execve, i.e. leaked into the new
 * program. A forked child's copies of its parent's descriptors (TRACE_FD_FORKED) are the
 * parent's leaks, reported in the parent's trace, except one the child carries across an
 * exec: that crossing is the child's doing, reported here with the parent's stack. A
 * descriptor first seen open in the last snapshot of a trace cut short is left out, as a
 * zombie is (analyze_cut_just_now): the program was as likely about to close it (a server
 * killed between accepting a connection and closing it). */
#include "analyze.h"

#include <string.h>

#include "hashmap.h"
#include "trace_format.h"

/* Records str as a member of group idx unless seen already (seen: hash of group, which list,
 * text -> 1; a 64-bit hash collision only undercounts "more"). */
static int add_member(struct hashmap *seen, uint32_t idx, int which, const char *str,
                      const char **list, uint32_t *n, uint32_t *more)
{
	if (!str || !*str)
		return 0;
	uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)idx << 1 | (uint64_t)which);
	for (const unsigned char *c = (const unsigned char *)str; *c; c++)
		h = (h ^ *c) * 0x100000001b3ull;
	uint32_t one;
	if (hashmap_get(seen, h, &one))
		return 0;
	if (hashmap_put(seen, h, 1) != 0)
		return -1;
	if (*n < FINDING_MEMBERS)
		list[(*n)++] = str;
	else
		(*more)++;
	return 0;
}

int analyze_fd(struct analysis_proc *ap, const struct analyze_opts *o)
{
	(void)o;
	const struct model_proc *p = ap->proc;
	struct hashmap groups = {0}; /* stack_id << 8 | type -> finding index */
	struct hashmap seen = {0};   /* members already listed (add_member) */
	int rc = 0;
	for (uint32_t i = 0; i < p->n_fds && rc == 0; i++) {
		const struct model_fd *f = &p->fds[i];
		if (f->closed || f->fd <= 2 || (f->flags & (TRACE_FD_INHERITED | TRACE_FD_RUNTIME)))
			continue;
		if ((f->flags & TRACE_FD_FORKED) && !f->open_at_exec)
			continue;
		if (analyze_cut_just_now(p, f->open_snap))
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
		if (rc == 0)
			rc = add_member(&seen, idx, 0, f->path, g->paths, &g->n_paths,
			                &g->more_paths);
		if (rc == 0)
			rc = add_member(&seen, idx, 1, f->peer, g->peers, &g->n_peers,
			                &g->more_peers);
	}
	hashmap_fini(&seen);
	hashmap_fini(&groups);
	return rc;
}
