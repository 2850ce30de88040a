/* SPDX-License-Identifier: MIT */
/* sites.c - the per-stack counters. Events from different threads are drained in any order:
 * the sums are commutative. Counters live in arrays indexed by stack id, in chunks of 64 Ki
 * stacks mmap'd on demand; the dirty list is mmap'd and doubled. Nothing here allocates
 * through malloc. */
#include "sites.h"
#include "fork_hot.h"
#include "sample.h"
#include "stack_table.h"
#include "sys.h"

#include <string.h>

#define LK_SITE_CHUNK_BITS 16
#define LK_SITE_CHUNK      (1u << LK_SITE_CHUNK_BITS)
#define LK_SITE_DIR        ((LK_STACK_MAX_IDS >> LK_SITE_CHUNK_BITS) + 1)

static lk_site_t *lk_sites[LK_SITE_DIR];
static uint32_t lk_sites_mapped LK_FORK_WARM; /* chunks in lk_sites: 0, a child skips it */
uint32_t *lk_dirty;
/* A forked child zeroes these (lk_sites_reset): on the page its fork handler copies anyway,
 * with a line of their own (the drain writes them). */
size_t lk_dirty_n LK_FORK_HOT;
static size_t lk_dirty_cap;
lk_site_totals_t lk_tot LK_FORK_HOT;

lk_site_t *lk_site(uint32_t id)
{
	lk_site_t **chunk = &lk_sites[id >> LK_SITE_CHUNK_BITS];
	if (!*chunk) {
		if (!(*chunk = lk_sys_mmap(LK_SITE_CHUNK * sizeof(lk_site_t))))
			return NULL;
		lk_sites_mapped++;
	}
	return &(*chunk)[id & (LK_SITE_CHUNK - 1)];
}

static void lk_mark_dirty(lk_site_t *s, uint32_t id)
{
	if (s->dirty)
		return;
	if (lk_dirty_n == lk_dirty_cap) {
		size_t cap = lk_dirty_cap ? lk_dirty_cap * 2 : 4096;
		uint32_t *d = lk_sys_mmap(cap * sizeof(*d));
		if (!d)
			return; /* stays clean: its next change retries */
		if (lk_dirty_n)
			memcpy(d, lk_dirty, lk_dirty_n * sizeof(*d));
		lk_sys_munmap(lk_dirty, lk_dirty_cap * sizeof(*d));
		lk_dirty = d;
		lk_dirty_cap = cap;
	}
	s->dirty = 1;
	lk_dirty[lk_dirty_n++] = id;
}

void lk_apply(void *arg, const lk_event_t *ev)
{
	(void)arg;
	int64_t sign = ev->op == LK_EV_ALLOC ? 1 : -1;
	/* Sampled (LEAK_SAMPLE): a block of size s stands for s/p(s) bytes and 1/p(s) blocks;
	 * p depends on s alone, so its FREE subtracts exactly what its ALLOC added. */
	uint64_t bytes = ev->size, count = 1;
	if (lk_sample_bytes) {
		bytes = lk_sample_est_bytes(ev->size);
		count = lk_sample_est_count(ev->size);
	}
	lk_tot.live_bytes += sign * (int64_t)bytes;
	lk_tot.live_count += sign * (int64_t)count;
	if (ev->op == LK_EV_ALLOC) {
		lk_tot.allocs += count;
		lk_tot.alloc_bytes += bytes;
	} else {
		lk_tot.frees += count;
	}
	if (!ev->stack_id)
		return; /* no stack: counted in the totals only */
	lk_site_t *s = lk_site(ev->stack_id);
	if (!s)
		return;
	s->live_bytes += sign * (int64_t)bytes;
	s->live_count += sign * (int64_t)count;
	if (ev->op == LK_EV_ALLOC) {
		s->allocs += count;
		s->alloc_bytes += bytes;
	} else {
		s->frees += count;
	}
	lk_mark_dirty(s, ev->stack_id);
}

LK_FORK_TEXT void lk_sites_reset(void)
{
	for (uint32_t i = 0; lk_sites_mapped && i < LK_SITE_DIR; i++) {
		if (!lk_sites[i])
			continue; /* not stored: a forked child's page stays shared */
		lk_sys_munmap(lk_sites[i], LK_SITE_CHUNK * sizeof(lk_site_t));
		lk_sites[i] = NULL;
		lk_sites_mapped--;
	}
	if (lk_dirty_n)
		lk_dirty_n = 0;
	memset(&lk_tot, 0, sizeof(lk_tot));
}
