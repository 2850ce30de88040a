/* SPDX-License-Identifier: MIT */
/* frame_hash.h - the running hash of a stack's frames, shared by the unwinder (which folds each
 * frame in as it walks, so interning needs no second pass over the frames) and the stack table
 * (which finishes it with the frame count and its epoch). */
#ifndef LEAK_PRELOAD_FRAME_HASH_H
#define LEAK_PRELOAD_FRAME_HASH_H

#include <stdint.h>

#define LK_FRAME_HASH_SEED 0x9e3779b97f4a7c15ull

static inline uint64_t lk_frame_hash_step(uint64_t h, uintptr_t frame)
{
	h ^= frame;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 29);
}

static inline uint64_t lk_frame_hash(const uintptr_t *frames, uint32_t n)
{
	uint64_t h = LK_FRAME_HASH_SEED;
	for (uint32_t i = 0; i < n; i++)
		h = lk_frame_hash_step(h, frames[i]);
	return h;
}

#endif
