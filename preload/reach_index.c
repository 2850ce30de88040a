/* SPDX-License-Identifier: MIT */
/* reach_index.c - builds the two-level address index of reach_index.h: one pass over the
 * sorted blocks for the chunks where blocks start, one more for their buckets. */
#include "reach_index.h"

#include "sys.h"

/* Level two's budget: 256 KiB, or 1/8 of the blocks' copy (1.5 bytes a block) if that is more:
 * buckets of 256-512 bytes over a dense heap of a million blocks of 150 MiB (1/4 measured no
 * faster, and the exit peak of a 4 M-block heap must stay within 32 bytes a block). */
#define LK_RIX_BUDGET   (256ul << 10)
#define LK_RIX_SHIFT_LO 4
#define LK_RIX_DIV      8

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
	/* Per chunk with starts: the blocks below it, its first and last start. */
	uintptr_t cmask = (1ul << LK_RIX_CHUNK_SHIFT) - 1;
	for (size_t i = 0; i < n; i++) {
		uintptr_t a = lk_rix_addr(ix, i);
		size_t c = (a >> LK_RIX_CHUNK_SHIFT) - ix->c0;
		lk_rix_chunk_t *ch = &ix->chunks[c];
		if (!ix->with_n || ix->with[ix->with_n - 1].chunk != c) {
			ix->with[ix->with_n++] = (lk_rix_with_t){(uint32_t)c, (uint32_t)i};
			ch->below = (uint32_t)i;
			ch->first = (uint32_t)(a & cmask);
		}
		ch->nb = (uint32_t)(a & cmask) - ch->first; /* the span, for now */
	}
	size_t budget =
	    n * stride / LK_RIX_DIV > LK_RIX_BUDGET ? n * stride / LK_RIX_DIV : LK_RIX_BUDGET;
	unsigned shift = LK_RIX_SHIFT_LO;
	size_t total;
	for (;; shift++) {
		total = 0;
		for (size_t j = 0; j < with; j++)
			total += (ix->chunks[ix->with[j].chunk].nb >> shift) + 2;
		if (total * sizeof(uint32_t) <= budget || shift >= LK_RIX_CHUNK_SHIFT)
			break;
	}
	ix->shift = shift;
	ix->l2_bytes = total * sizeof(uint32_t);
	ix->l2 = lk_sys_mmap(ix->l2_bytes);
	if (!ix->l2)
		goto fail;
	/* Per chunk with starts, from its first start: the blocks below each bucket, and one
	 * bound more (all of the chunk's). */
	size_t at = 0;
	for (size_t j = 0, i = 0; j < with; j++) {
		lk_rix_chunk_t *ch = &ix->chunks[ix->with[j].chunk];
		size_t nb = ((size_t)ch->nb >> shift) + 1;
		ch->nb = (uint32_t)nb;
		ch->l2 = (uint32_t)(at + 1);
		uint32_t *b = &ix->l2[at];
		uintptr_t cs = (ix->c0 + ix->with[j].chunk) << LK_RIX_CHUNK_SHIFT;
		uintptr_t start = cs + ch->first, end = cs + cmask + 1;
		for (size_t k = 0; k <= nb; k++) {
			uintptr_t bs = k < nb ? start + (k << shift) : end;
			while (i < n && lk_rix_addr(ix, i) < bs)
				i++;
			b[k] = (uint32_t)i;
		}
		at += nb + 1;
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
