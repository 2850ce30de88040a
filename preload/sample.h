/* SPDX-License-Identifier: MIT */
/* sample.h - Poisson sampling by bytes (LEAK_SAMPLE=N, as in tcmalloc and jemalloc). Each
 * thread counts down the bytes to its next sample point, drawn from an exponential with mean
 * N; an allocation that crosses the point is sampled, so one of size s is sampled with
 * probability p(s) = 1 - exp(-s/N), and stands for s/p(s) bytes and 1/p(s) blocks. Unsampled
 * allocations are neither unwound nor recorded; their free() costs one byte load in a
 * counting filter of sampled pointers. */
#ifndef LEAK_PRELOAD_SAMPLE_H
#define LEAK_PRELOAD_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Mean bytes between samples; 0 = every allocation is recorded (set once, by lk_sample_init). */
extern uint64_t lk_sample_bytes;

/* Per-thread bytes left before the next sample point (initial-exec TLS; <= 0 before a
 * thread's first draw, and always while sampling is off: malloc hands an allocation straight
 * to libc's when it is still positive after the decrement). Sampling is set once, by the
 * constructor (lk_sample_init); turning it off later would leave positive countdowns. */
extern __thread int64_t lk_sample_left __attribute__((tls_model("initial-exec")));

/* Counting filter of sampled block addresses: in libleak's bss, so that free() finds its
 * slot by one load at a fixed offset from its own code, no pointer to load first. Untouched
 * pages cost nothing (a heap of a few MB reads a page or two of it). */
#define LK_SAMPLE_FILTER_BITS 18
/* A filter slot covers 1 << LK_SAMPLE_SLOT_SHIFT bytes of address space (see
 * lk_sample_filter_slot). */
#define LK_SAMPLE_SLOT_SHIFT 10
extern uint8_t lk_sample_filter[1u << LK_SAMPLE_FILTER_BITS];

/* The filter, once the heap hooks may take their sampled fast paths (lk_heap_sample_arm):
 * sampling on, libc's functions resolved, and every slot of the bootstrap arena's blocks
 * saturated, so that a free() that finds its slot at 0 may go straight to libc's. NULL
 * otherwise: the hooks then take their general paths. One load tells the hooks all three.
 * free() itself does not load it: it jumps through a target that is libc's free only once
 * armed (interpose_heap.c, lk_free_target). */
extern uint8_t *lk_sample_fast;

/* Constructor context (or a test), before any hook records. mean_bytes 0 = off. Returns 0. */
int lk_sample_init(uint64_t mean_bytes);

bool lk_sample_take_slow(size_t size);

/* The fast half of lk_sample_take: counts size down and says whether the thread's next
 * sample point is still ahead (then the allocation is not sampled); else the caller asks
 * lk_sample_take_slow. */
static inline bool lk_sample_short_of_point(size_t size)
{
#if defined(__x86_64__)
	/* One subtraction in place, its flags tested: malloc's whole fast path is then the TLS
	 * offset's load, this, a branch and the jump to libc's (4 instructions, 7 as C). */
	bool ahead;
	__asm__("subq %2, %0" : "+m"(lk_sample_left), "=@ccg"(ahead) : "r"((int64_t)size));
	return ahead;
#else
	lk_sample_left -= (int64_t)size;
	return lk_sample_left > 0;
#endif
}

/* Any thread, guard held, sampling on. True if this allocation of size bytes is sampled.
 * Never allocates; a system call never happens either (the RNG is seeded from rdtsc). */
static inline bool lk_sample_take(size_t size)
{
	if (__builtin_expect(lk_sample_short_of_point(size), 1))
		return false;
	return lk_sample_take_slow(size);
}

/* By address, not by a hash of it: blocks that are near each other in the heap share filter
 * cache lines, so free() touches the filter where malloc's own bookkeeping is already warm
 * (a hashed slot was a cache miss on nearly every free: 70% of the sampled free path). A slot
 * covers 1 KiB of address space, so a heap of a few MB needs a few dozen filter lines, which
 * stay in L1 under the program's own traffic (with 256-byte slots, 10,000 blocks of 16-512 B
 * freed at random took 0.7 L1 misses a free in the filter; 1 KiB slots, 0.2); an unsampled
 * block that starts in the 1 KiB of a live sampled one, or 256 MiB away, costs one table
 * lookup (about 1 free in 500 at LEAK_SAMPLE=524288). */
static inline uint32_t lk_sample_filter_slot(uintptr_t ptr)
{
	return (uint32_t)(ptr >> LK_SAMPLE_SLOT_SHIFT) & ((1u << LK_SAMPLE_FILTER_BITS) - 1);
}

/* The filter's slot of ptr is not 0 (one relaxed byte load). On x86_64 the load is the
 * compare's own operand: the compiler loads an atomic byte into a register first. */
static inline bool lk_sample_slot_marked(uintptr_t ptr)
{
	uintptr_t slot = lk_sample_filter_slot(ptr);
#if defined(__x86_64__)
	/* "m" names the byte read (for the compiler's ordering), the template addresses it. */
	bool zero;
	__asm__("cmpb $0, (%1,%2)"
	        : "=@ccz"(zero)
	        : "r"(lk_sample_filter), "r"(slot), "m"(lk_sample_filter[slot]));
	return !zero;
#else
	return __atomic_load_n(&lk_sample_filter[slot], __ATOMIC_RELAXED) != 0;
#endif
}

/* A sampled block becomes live / leaves. Any thread. */
void lk_sample_mark(uintptr_t ptr);
void lk_sample_unmark(uintptr_t ptr);

/* False if ptr is certainly not a live sampled block (the common free() case); true means
 * "look it up". */
static inline bool lk_sample_maybe_marked(uintptr_t ptr)
{
	return __atomic_load_n(&lk_sample_filter[lk_sample_filter_slot(ptr)], __ATOMIC_RELAXED);
}

/* Constructor, once lk_real is resolved (interpose_heap.c): sets lk_sample_fast if sampling is
 * on. */
void lk_heap_sample_arm(void);

/* Writer side: the inverse sampling probability 1/p(size) for the mean set by init (1.0 when
 * off), and the estimates one sampled block of size bytes stands for. */
double lk_sample_inv_prob(uint64_t size);
uint64_t lk_sample_est_bytes(uint64_t size);
uint64_t lk_sample_est_count(uint64_t size);

#endif
