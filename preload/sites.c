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

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LK_SITE_CHUNK_BITS 16
#define LK_SITE_CHUNK      (1u << LK_SITE_CHUNK_BITS)
#define LK_SITE_DIR        ((LK_STACK_MAX_IDS >> LK_SITE_CHUNK_BITS) + 1)

static lk_site_t *lk_sites[LK_SITE_DIR];
/* Chunks a forked child gets as zeros (MADV_WIPEONFORK): a child's counters start at zero
 * anyway, so fork copies none of their page tables, the parent's next writes to them take no
 * copy-on-write fault, and the child keeps the chunk instead of unmapping it. */
static uint64_t lk_sites_wiped[(LK_SITE_DIR + 63) / 64];

static lk_site_t *lk_site_chunk_new(uint32_t i)
{
	size_t n = LK_SITE_CHUNK * sizeof(lk_site_t);
	lk_site_t *c = lk_sys_mmap(n);
	int saved = errno;
	if (c && syscall(SYS_madvise, c, n, MADV_WIPEONFORK) == 0)
		lk_sites_wiped[i / 64] |= 1ull << (i % 64);
	errno = saved;
	return c;
}
uint32_t *lk_dirty;
size_t lk_dirty_n LK_FORK_WARM; /* with lk_tot: a forked child's resets land on the page */
/* its atfork handler has already copied (fork_hot.h) */
static size_t lk_dirty_cap;
lk_site_totals_t lk_tot LK_FORK_WARM;

lk_site_t *lk_site(uint32_t id)
{
	lk_site_t **chunk = &lk_sites[id >> LK_SITE_CHUNK_BITS];
	if (!*chunk && !(*chunk = lk_site_chunk_new(id >> LK_SITE_CHUNK_BITS)))
		return NULL;
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

/* The reset, wiped chunks kept (forked child only: they are zeros there). */
static void lk_sites_clear(bool forked)
{
	for (uint32_t i = 0; i < LK_SITE_DIR; i++) {
		if (!lk_sites[i])
			continue; /* not stored: a forked child's page stays shared */
		if (forked && (lk_sites_wiped[i / 64] >> (i % 64) & 1))
			continue; /* zeros already, and kept */
		lk_sys_munmap(lk_sites[i], LK_SITE_CHUNK * sizeof(lk_site_t));
		lk_sites[i] = NULL;
	}
	lk_dirty_n = 0;
	memset(&lk_tot, 0, sizeof(lk_tot));
}

void lk_sites_reset(void)
{
	lk_sites_clear(false);
}

void lk_sites_fork_child(void)
{
	lk_sites_clear(true);
}
