/* SPDX-License-Identifier: MIT */
/* reach_index.c - builds the two-level address index of reach_index.h: one pass over the
 * sorted blocks for the chunks where blocks start, one more for their buckets. */
#include "reach_index.h"

#include "sys.h"

/* Level two's budget: 256 KiB, or 1/8 of the blocks' copy (1.5 bytes a block) if that is
 * more: 2-4 KiB buckets for a heap of a million blocks within 1 GiB. */
#define LK_RIX_BUDGET   (256ul << 10)
#define LK_RIX_SHIFT_LO 8

size_t lk_rix_below(const lk_rix_t *ix, size_t c)
{
	size_t lo = 0, hi = ix->with_n;
	while (lo < hi) { /* the first chunk with starts above c */
		size_t mid = lo + (hi - lo) / 2;
		if (ix->with[mid].chunk <= c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->with_n ? ix->with[lo].below : ix->n;
}

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
	ix->chunks = lk_sys_mmap(ix->chunks_bytes); /* zeros: no starts */
	if (!ix->chunks)
		goto fail;
	size_t with = 0;
	for (size_t i = 0, prev = SIZE_MAX; i < n; i++) {
		size_t c = lk_rix_addr(ix, i) >> LK_RIX_CHUNK_SHIFT;
		with += c != prev;
		prev = c;
	}
	ix->with_bytes = with * sizeof(lk_rix_with_t);
	ix->with = lk_sys_mmap(ix->with_bytes);
	if (!ix->with)
		goto fail;
	size_t budget = n * stride / 8 > LK_RIX_BUDGET ? n * stride / 8 : LK_RIX_BUDGET;
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
	/* Per chunk with starts: the blocks below it, and below each of its buckets; the last
	 * bound is the next chunk's. */
	for (size_t i = 0; i < n;) {
		size_t c = (lk_rix_addr(ix, i) >> LK_RIX_CHUNK_SHIFT) - ix->c0, j = ix->with_n++;
		ix->with[j] = (lk_rix_with_t){(uint32_t)c, (uint32_t)i};
		ix->chunks[c] = (lk_rix_chunk_t){(uint32_t)i, (uint32_t)(j * per + 1)};
		uint32_t *b = &ix->l2[j * per];
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
	if (ix->with)
		lk_sys_munmap(ix->with, ix->with_bytes);
	if (ix->l2)
		lk_sys_munmap(ix->l2, ix->l2_bytes);
	memset(ix, 0, sizeof(*ix));
}
