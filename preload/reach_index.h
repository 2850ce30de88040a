/* SPDX-License-Identifier: MIT */
/* reach_index.h - the address index of the reachability scan's sorted block copy
 * (reach_index.c): which block a scanned word may point into, in one or two cache misses
 * instead of a binary search over every block (7% of a Python run's samples at exit).
 *
 * Two levels over the span of the blocks. Level one has an entry per 1 GiB chunk: how many
 * blocks start below the chunk, and, for a chunk where blocks start, its place in level two
 * and the span from its first start to its last. Level two has an entry per bucket of 2^shift
 * bytes of that span (not of the whole chunk: a heap of 150 MiB gets buckets 7 times finer):
 * how many blocks start below the bucket. A word's block, if any, is the last one starting at or
 * before it: between its bucket's bound and the next bucket's, found by a binary search of that
 * short run (a chunk where no block starts gives an empty run: the block before it, a large one, or
 * none; its bound comes from the short list of chunks with starts). The shift is chosen so that
 * level two stays within 256 KiB, or 1/8 of the blocks' copy: a bucket or two per block on a dense
 * heap, so most words cost one probe of the copy. The entries are read as 8 bytes at base + i *
 * stride, masked: the packed 12-byte copy of reach_mark.c, or a plain array (the unit test). All
 * memory is mmap'd; never calls malloc. */
#ifndef LEAK_PRELOAD_REACH_INDEX_H
#define LEAK_PRELOAD_REACH_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LK_RIX_CHUNK_SHIFT 30

typedef struct {
	uint32_t below; /* blocks starting below the chunk */
	uint32_t l2;    /* 1 + its buckets' first entry in l2[]; 0: no block starts there */
	uint32_t first; /* the chunk's first start, as an offset in the chunk */
	uint32_t nb;    /* its buckets, from first to its last start */
} lk_rix_chunk_t;

typedef struct {
	uint32_t chunk, below; /* a chunk where blocks start (from c0), and blocks below it */
} lk_rix_with_t;

typedef struct {
	const uint8_t *base; /* the sorted blocks */
	size_t stride, n;
	uint64_t mask;
	uintptr_t c0;   /* the first chunk: lowest block address >> 30 */
	size_t nchunks; /* chunks up to the one holding the highest start, + 1 */
	/* nchunks entries, only those of chunks where blocks start ever written: a span of 2^47
	 * bytes (a heap and mmap'd blocks) maps 1 MiB that stays untouched but for a page or
	 * two. The others are found in with[] (with_n entries, by chunk). */
	lk_rix_chunk_t *chunks;
	lk_rix_with_t *with;
	size_t with_n;
	uint32_t *l2; /* per chunk with starts: nb + 1 bounds */
	unsigned shift;
	size_t chunks_bytes, with_bytes, l2_bytes;
} lk_rix_t;

static inline uintptr_t lk_rix_addr(const lk_rix_t *ix, size_t i)
{
	uint64_t v;
	memcpy(&v, ix->base + i * ix->stride, sizeof(v));
	return (uintptr_t)(v & ix->mask);
}

/* Builds the index of the n blocks at base (sorted by address, distinct). 0, or -1 when out of
 * memory (ix is then empty: lk_rix_find must not be called). */
int lk_rix_build(lk_rix_t *ix, const void *base, size_t stride, uint64_t mask, size_t n);
void lk_rix_free(lk_rix_t *ix);

/* How many blocks start below chunk c (from c0), one where none starts. */
size_t lk_rix_below(const lk_rix_t *ix, size_t c);

/* The index of the last block starting at or before v, or -1 (none, or v below the first). */
static inline long lk_rix_find(const lk_rix_t *ix, uintptr_t v)
{
	if (!ix->n || v < ix->c0 << LK_RIX_CHUNK_SHIFT)
		return -1;
	size_t c = (v >> LK_RIX_CHUNK_SHIFT) - ix->c0;
	if (c >= ix->nchunks - 1)
		return (long)ix->n - 1; /* above the chunk of the last start */
	const lk_rix_chunk_t *ch = &ix->chunks[c];
	size_t lo, hi;
	if (ch->l2) {
		uintptr_t off = v & ((1ul << LK_RIX_CHUNK_SHIFT) - 1);
		if (off < ch->first)
			return (long)ch->below - 1;
		size_t k = (off - ch->first) >> ix->shift;
		if (k >= ch->nb)
			k = ch->nb; /* above the last start: the chunk's last block */
		const uint32_t *b = &ix->l2[ch->l2 - 1 + k];
		lo = b[0];
		hi = k < ch->nb ? b[1] : lo;
	} else {
		lo = hi = lk_rix_below(ix, c);
	}
	while (lo < hi) { /* first block with addr > v */
		size_t mid = lo + (hi - lo) / 2;
		if (lk_rix_addr(ix, mid) <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

#endif
