/* SPDX-License-Identifier: MIT */
/* walk.h - the stack walkers behind lk_unwind_capture (walk.c): the cached DWARF walker, with
 * this thread's memo of walks, and the frame-pointer walker. Both start from a caller's state
 * (PC, RSP, RBP), read only this thread's stack, never allocate, lock or call into unknown
 * code on a cache hit, and leave out frames whose PC lies in [skip_lo, skip_hi). */
#ifndef LEAK_PRELOAD_WALK_H
#define LEAK_PRELOAD_WALK_H

#include <stdbool.h>
#include <stdint.h>

struct lk_walk_memo;

typedef struct {
	uint64_t hash;  /* lk_frame_hash of the frames written, if hashed */
	uint64_t value; /* memo hit: the stored value (no frames written); else 0 */
	bool hashed;
} lk_walk_out_t;

static inline bool lk_walk_keep(uintptr_t pc, uintptr_t skip_lo, uintptr_t skip_hi)
{
	return pc < skip_lo || pc >= skip_hi;
}

/* The DWARF walk; returns the count, or -1 when a rule is missing or not of the modelled
 * shape, or the stack cannot be verified (the caller falls back to libunwind). Frames in the
 * skip range must keep frame pointers: they are stepped by RBP. With a memo m, a remembered
 * walk is reused (returns 0, out->value set) or this one is remembered (m->pending). */
int lk_walk_dwarf(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t *frames, int max,
                  uintptr_t skip_lo, uintptr_t skip_hi, struct lk_walk_memo *m, lk_walk_out_t *out);

/* lk_walk_dwarf's most common answer, without its frame: true (and *value) when the walk
 * from (pc, sp, bp) would be the memo's hit on the start PC's last walk; false when the full
 * walk must run (m: this thread's memo). About half the instructions of the same hit there. */
bool lk_walk_dwarf_quick(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t skip_lo,
                         uintptr_t skip_hi, struct lk_walk_memo *m, uint64_t *value);

/* The walk the fallback makes while libunwind is not loaded (unwind.c): lk_walk_dwarf's steps
 * without its memo, which also steps over a signal handler's trampoline (by the interrupted
 * registers the kernel saved) and, where it cannot go on, keeps the frames found so far
 * instead of failing. Returns the count; *complete is false if the walk stopped early. Not
 * for the hot path: every step looks its rule up in full. */
int lk_walk_dwarf_partial(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t *frames, int max,
                          uintptr_t skip_lo, uintptr_t skip_hi, bool *complete);

/* The frame-pointer chain: stops at the first frame record that is not on the stack above
 * the previous one. Returns the count. */
int lk_walk_fp(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t *frames, int max,
               uintptr_t skip_lo, uintptr_t skip_hi);

/* Rules built from .eh_frame so far (relaxed). */
uint64_t lk_walk_rules_built(void);

#endif
