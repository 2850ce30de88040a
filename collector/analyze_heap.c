/* SPDX-License-Identifier: MIT */
/* analyze_heap.c - "leak", "indirect" and "reachable": heap blocks still live at the end,
 * grouped by allocating stack. The final snapshot's BLOCK records are the truth; a block the
 * exit-time scan found reachable (scanned + reachable flags) is reported as "reachable", one
 * only other leaked blocks point to (the indirect flag) as "indirect": both rank after leaks
 * and neither is matched by --fail-on leak. Without a final snapshot (the process was
 * killed), the last SITE values per stack stand in, and the report says so.
 * In a sampled trace (LEAK_SAMPLE=N) a BLOCK is one sampled allocation of its real size s,
 * recorded with probability p = 1 - exp(-s/N): it stands for s/p bytes and 1/p blocks (the
 * SITE values are already scaled by the preload). Sums are kept in doubles and rounded once. */
#include "analyze.h"

#include "hashmap.h"
#include "trace_format.h"

#include <math.h>
#include <stdlib.h>

/* What each leak holds: the indirect blocks whose owner (BLOCK.owner) is one of its blocks.
 * groups maps stack_id << 2 to the leak finding of the stack. A sampled trace's few indirect
 * blocks stand for unknown others: it does not say. */
static int add_held(struct analysis_proc *ap, const struct hashmap *groups)
{
	const struct model_proc *p = ap->proc;
	size_t first = 0;
	while (first < p->n_blocks &&
	       !((p->blocks[first].flags & TRACE_BLOCK_INDIRECT) && p->blocks[first].owner))
		first++;
	if (first == p->n_blocks)
		return 0;
	struct hashmap leaked = {0}; /* address of a block leaked directly -> its finding */
	for (size_t i = 0; i < p->n_blocks; i++) {
		const struct model_block *d = &p->blocks[i];
		uint32_t k;
		if ((d->flags & TRACE_BLOCK_SCANNED) &&
		    !(d->flags & (TRACE_BLOCK_REACHABLE | TRACE_BLOCK_INDIRECT)) &&
		    hashmap_get(groups, (uint64_t)d->stack_id << 2, &k) &&
		    hashmap_put(&leaked, d->addr, k) != 0) {
			hashmap_fini(&leaked);
			return -1;
		}
	}
	for (size_t i = first; i < p->n_blocks; i++) {
		const struct model_block *b = &p->blocks[i];
		uint32_t k;
		if ((b->flags & TRACE_BLOCK_INDIRECT) && hashmap_get(&leaked, b->owner, &k)) {
			ap->findings.items[k].held_bytes += b->size;
			ap->findings.items[k].held_count++;
		}
	}
	hashmap_fini(&leaked);
	return 0;
}

static int from_blocks(struct analysis_proc *ap)
{
	const struct model_proc *p = ap->proc;
	struct hashmap groups = {0}; /* stack_id << 2 | kind class -> finding index */
	const size_t base = ap->findings.n;
	const bool sampled = (p->flags & TRACE_PROC_SAMPLED) && p->sample_bytes;
	double *est = NULL; /* sampled: [2k] bytes, [2k+1] count of finding base+k */
	size_t est_cap = 0;
	/* A Python process (its trace names Python code), at the start of finalization or
	 * killed: everything the interpreter holds is reachable (modules, types, caches, every
	 * small object now that PYTHONMALLOC=malloc brings them to malloc), tens of thousands of
	 * stacks that are no finding. What grew shows as growth, what nothing points to as
	 * leak. (At finalization the preload does not even write the reached ones.) */
	const bool py_final =
	    p->n_pycodes ||
	    (p->n_snaps && (p->snaps[p->n_snaps - 1].flags & TRACE_SNAP_PY_FINALIZE));
	for (size_t i = 0; i < p->n_blocks; i++) {
		const struct model_block *b = &p->blocks[i];
		bool reachable =
		    (b->flags & TRACE_BLOCK_SCANNED) && (b->flags & TRACE_BLOCK_REACHABLE);
		if (reachable && py_final)
			continue;
		bool indirect = !reachable && (b->flags & TRACE_BLOCK_SCANNED) &&
		                (b->flags & TRACE_BLOCK_INDIRECT);
		uint64_t key = (uint64_t)b->stack_id << 2 | (uint64_t)(reachable  ? 1
		                                                       : indirect ? 2
		                                                                  : 0);
		uint32_t idx;
		if (!hashmap_get(&groups, key, &idx)) {
			struct finding f = {.kind = reachable  ? FINDING_REACHABLE
			                            : indirect ? FINDING_INDIRECT
			                                       : FINDING_LEAK,
			                    .stack_id = b->stack_id};
			if (!finding_list_add(&ap->findings, &f) ||
			    hashmap_put(&groups, key, (uint32_t)(ap->findings.n - 1)) != 0) {
				hashmap_fini(&groups);
				free(est);
				return -1;
			}
			idx = (uint32_t)(ap->findings.n - 1);
		}
		if (!sampled) {
			ap->findings.items[idx].bytes += b->size;
			ap->findings.items[idx].count++;
			continue;
		}
		size_t k = idx - base;
		if (2 * k + 2 > est_cap) {
			size_t cap = est_cap ? est_cap * 2 : 64;
			while (cap < 2 * k + 2)
				cap *= 2;
			double *n = realloc(est, cap * sizeof(*n));
			if (!n) {
				hashmap_fini(&groups);
				free(est);
				return -1;
			}
			for (size_t j = est_cap; j < cap; j++)
				n[j] = 0;
			est = n;
			est_cap = cap;
		}
		double prob = -expm1(-(double)b->size / (double)p->sample_bytes);
		double w = prob > 0 ? 1.0 / prob : 1.0;
		est[2 * k] += (double)b->size * w;
		est[2 * k + 1] += w;
	}
	for (size_t k = 0; sampled && base + k < ap->findings.n && 2 * k + 1 < est_cap; k++) {
		ap->findings.items[base + k].bytes = (uint64_t)llround(est[2 * k]);
		ap->findings.items[base + k].count = (uint64_t)llround(est[2 * k + 1]);
	}
	free(est);
	int rc = sampled ? 0 : add_held(ap, &groups);
	hashmap_fini(&groups);
	return rc;
}

static int from_sites(struct analysis_proc *ap)
{
	const struct model_proc *p = ap->proc;
	ap->heap_from_sites = true;
	/* A Python process killed (SIGKILL, SIGABRT, the OOM killer): its last snapshot's heap
	 * is the interpreter's, as at finalization (see from_blocks), thousands of stacks that
	 * would bury its growth findings. With no scan nothing tells a lost block from a held
	 * one: what grew is growth, the rest is no finding. */
	if (p->n_pycodes)
		return 0;
	for (uint32_t i = 0; i < p->n_stacks; i++) {
		const struct model_stack *s = &p->stacks[i];
		if (!s->live_bytes && !s->live_count)
			continue;
		struct finding f = {.kind = FINDING_LEAK,
		                    .stack_id = s->id,
		                    .bytes = s->live_bytes,
		                    .count = s->live_count};
		if (!finding_list_add(&ap->findings, &f))
			return -1;
	}
	return 0;
}

int analyze_heap(struct analysis_proc *ap, const struct analyze_opts *o)
{
	size_t first = ap->findings.n;
	if ((ap->proc->have_final ? from_blocks(ap) : from_sites(ap)) != 0)
		return -1;
	/* Drop groups below --min-bytes, keeping order. */
	size_t w = first;
	for (size_t i = first; i < ap->findings.n; i++) {
		if (ap->findings.items[i].bytes + ap->findings.items[i].held_bytes >= o->min_bytes)
			ap->findings.items[w++] = ap->findings.items[i];
	}
	ap->findings.n = w;
	return 0;
}
