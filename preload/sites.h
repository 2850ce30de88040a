/* SPDX-License-Identifier: MIT */
/* sites.h - per-stack counters: the events drained from the rings are summed into one
 * counter set per stack id and into the process totals; a stack whose counters changed since
 * the last snapshot is on the dirty list, and the snapshot writes one SITE record for each.
 * Consumer side only: every function here runs under the writer's snapshot lock (or in a
 * forked child before its writer exists). */
#ifndef LEAK_PRELOAD_SITES_H
#define LEAK_PRELOAD_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"

typedef struct {
	int64_t live_bytes, live_count;
	uint64_t allocs, frees, alloc_bytes;
	uint32_t dirty;
	uint32_t pad;
} lk_site_t;

typedef struct {
	int64_t live_bytes, live_count;
	uint64_t allocs, frees, alloc_bytes;
} lk_site_totals_t;

/* The process totals (every event, with a stack or without). */
extern lk_site_totals_t lk_tot;

/* Ids of the stacks changed since the last snapshot, lk_dirty_n of them; the snapshot clears
 * each one's dirty flag and sets lk_dirty_n to 0. */
extern uint32_t *lk_dirty;
extern size_t lk_dirty_n;

/* The counters of stack id (1..LK_STACK_MAX_IDS), mapped on first use; NULL without memory. */
lk_site_t *lk_site(uint32_t id);

/* lk_ring_drain callback: adds one event (sampled ones scaled by the inverse probability). */
void lk_apply(void *arg, const lk_event_t *ev);

/* Forked child starting its own trace: every counter and the dirty list back to zero. */
void lk_sites_reset(void);

#endif
