/* SPDX-License-Identifier: MIT */
/* reach_index.c - builds the two-level address index of reach_index.h: one pass over the
 * sorted blocks for the chunks, one more for the buckets of the chunks where blocks start. */
#include "reach_index.h"

#include "sys.h"

/* Level two's budget: 1 MiB, or 1/64 of the blocks' copy if that is more (a 4 KiB bucket for
 * a heap within 1 GiB). */
#define LK_RIX_BUDGET   (1ul << 20)
#define LK_RIX_SHIFT_LO 8

int lk_rix_build(lk_rix_t *ix, const void *base, size_t stride, uint64_t mask, size_t n)
{
	memset(ix, 0, sizeof(*ix));
	ix->base = base;
	ix->stride = stride;
	ix->mask = mask;
	if (!n)
		return 0;
	ix->n = n;
	ix->c0 = lk_rix_addr(ix, 0) >> LK_RIX_CHUNK_SHIFT;
	ix->nchunks = (lk_rix_addr(ix, n - 1) >> LK_RIX_CHUNK_SHIFT) - ix->c0 + 2;
	ix->chunks_bytes = ix->nchunks * sizeof(lk_rix_chunk_t);
	ix->chunks = lk_sys_mmap(ix->chunks_bytes);
	if (!ix->chunks)
		goto fail;
	/* Level one: the chunks, and how many hold starts. */
	size_t with = 0, i = 0;
	for (size_t c = 0; c < ix->nchunks; c++) {
		uintptr_t start = (ix->c0 + c) << LK_RIX_CHUNK_SHIFT;
		while (i < n && lk_rix_addr(ix, i) < start)
			i++;
		ix->chunks[c].below = (uint32_t)i;
		ix->chunks[c].l2 = UINT32_MAX;
		if (i < n && lk_rix_addr(ix, i) >> LK_RIX_CHUNK_SHIFT == ix->c0 + c)
			ix->chunks[c].l2 = (uint32_t)with++;
		/* Skip chunks without starts at once: a span of 2^47 bytes has 2^17 chunks. */
		if (i < n && ix->chunks[c].l2 == UINT32_MAX) {
			size_t to = (lk_rix_addr(ix, i) >> LK_RIX_CHUNK_SHIFT) - ix->c0;
			for (c++; c < to && c < ix->nchunks; c++) {
				ix->chunks[c].below = (uint32_t)i;
				ix->chunks[c].l2 = UINT32_MAX;
			}
			c--;
		}
	}
	size_t budget = n * stride / 64 > LK_RIX_BUDGET ? n * stride / 64 : LK_RIX_BUDGET;
	unsigned shift = LK_RIX_SHIFT_LO;
	while (shift < LK_RIX_CHUNK_SHIFT &&
	       with * ((1ul << (LK_RIX_CHUNK_SHIFT - shift)) + 1) * sizeof(uint32_t) > budget)
		shift++;
	ix->shift = shift;
	size_t per = (1ul << (LK_RIX_CHUNK_SHIFT - shift)) + 1;
	ix->l2_bytes = with * per * sizeof(uint32_t);
	ix->l2 = lk_sys_mmap(ix->l2_bytes);
	if (!ix->l2)
		goto fail;
	/* Level two: per chunk with starts, the blocks below each bucket; the last bound is the
	 * next chunk's. */
	for (size_t c = 0; c < ix->nchunks; c++) {
		if (ix->chunks[c].l2 == UINT32_MAX)
			continue;
		uint32_t *b = &ix->l2[ix->chunks[c].l2 * per];
		ix->chunks[c].l2 = (uint32_t)(ix->chunks[c].l2 * per);
		i = ix->chunks[c].below;
		uintptr_t start = (ix->c0 + c) << LK_RIX_CHUNK_SHIFT;
		for (size_t k = 0; k < per; k++) {
			uintptr_t bs = start + (k << shift);
			while (i < n && lk_rix_addr(ix, i) < bs)
				i++;
			b[k] = (uint32_t)i;
		}
	}
	return 0;
fail:
	lk_rix_free(ix);
	return -1;
}

void lk_rix_free(lk_rix_t *ix)
{
	if (ix->chunks)
		lk_sys_munmap(ix->chunks, ix->chunks_bytes);
	if (ix->l2)
		lk_sys_munmap(ix->l2, ix->l2_bytes);
	memset(ix, 0, sizeof(*ix));
}
