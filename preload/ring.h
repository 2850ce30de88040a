/* SPDX-License-Identifier: MIT */
/* ring.h - per-thread single-producer/single-consumer event rings between the hooks (producer:
 * the owning thread) and the writer (consumer). No lock on the malloc path. */
#ifndef LEAK_PRELOAD_RING_H
#define LEAK_PRELOAD_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { LK_EV_ALLOC = 1, LK_EV_FREE = 2 };

typedef struct {
	uint64_t size;
	uint32_t stack_id;
	uint32_t op;
} lk_event_t;

#define LK_RING_EVENTS 16384u /* power of two; 256 KiB of events per thread */

typedef struct lk_ring lk_ring_t;
struct lk_ring {
	uint64_t head;       /* written by the producer (release) */
	uint64_t tail_cache; /* producer's last view of tail: re-read only when it looks full */
	uint64_t wake_at;    /* producer: no new wake-up before head reaches this */
	uint64_t gave_up;    /* producer: 1 + tail when a wait for room last timed out, or 0 */
	char pad0[32];
	uint64_t tail; /* written by the consumer (release) */
	char pad1[56];
	uint64_t dropped; /* producer adds, consumer reads (relaxed) */
	int in_use;       /* 1 while a thread owns it */
	int pad2;
	lk_ring_t *next; /* registry: push-only lock-free list */
	lk_event_t ev[LK_RING_EVENTS];
};

/* Called when a producer finds its ring r half full (full false) or full (true), hook
 * context, guard held; may be NULL. The writer's wakes the writer thread, or drains r right
 * here (lk_ring_drain_one, as the consumer of the moment) when that is cheaper. */
extern void (*lk_ring_wake_fn)(lk_ring_t *r, bool full);
/* While non-NULL, called by every producer once per LK_RING_TICK events (hook context, guard
 * held): a process without a writer thread yet uses it to notice that a periodic snapshot is
 * due. */
extern void (*lk_ring_tick_fn)(void);
#define LK_RING_TICK 16u

/* The tick, for events that do not pass through a ring (descriptors, children): a program
 * that only opens sockets still gets its periodic snapshots. Hook context, guard held. */
static inline void lk_ring_tick_now(void)
{
	void (*tick)(void) = __atomic_load_n(&lk_ring_tick_fn, __ATOMIC_RELAXED);
	if (__builtin_expect(tick != NULL, 0))
		tick();
}
/* Waits for room in a full ring before a producer drops the event: LK_RING_YIELDS
 * sched_yield()s, then sleeps of LK_RING_NAP_NS (default 40000 waits, about 2 s). Sleeping
 * idles the core, so the scheduler moves a writer that was queued behind another busy thread
 * here; yields alone (about 10 ms of them) lost events on two busy cores. After a wait
 * times out, a push to the same still-full ring drops at once until the writer drains it. */
#define LK_RING_YIELDS 64u
#define LK_RING_NAP_NS 50000u
extern unsigned lk_ring_wait_limit;
/* Set once the final snapshot has drained the rings (the writer no longer drains them): a
 * push to a full ring then fails at once, uncounted, as its event comes after the cut. */
extern int lk_ring_closed;

/* Whether a process that used cpu_ns of processor time over wall_ns kept all its ncpu
 * processors busy (within half a processor). Then waking the writer to drain a ring would
 * preempt one of the program's threads, perhaps holding the allocator's lock, and a thread
 * that fills its ring drains it itself instead. ncpu 0 (unknown): never. */
static inline bool lk_ring_cores_busy(uint64_t cpu_ns, uint64_t wall_ns, int ncpu)
{
	return ncpu > 0 && wall_ns > 0 && cpu_ns * 2 >= wall_ns * (uint64_t)(2 * ncpu - 1);
}

/* Whether a process whose threads were preempted (involuntary context switches) preempts
 * times over wall_ns was preempted at least once per 10 ms on average: other processes hold
 * the processors, or a woken writer preempts the program. Either way no processor is to
 * spare, and the producer drains in place as when lk_ring_cores_busy. */
static inline bool lk_ring_preempted_often(uint64_t preempts, uint64_t wall_ns)
{
	return preempts > 0 && preempts * 10000000ull >= wall_ns;
}

/* Hook side, guard held. Pushes onto the calling thread's ring (acquiring one on first use).
 * Returns false if the event was dropped (ring full after the bounded wait, or no memory):
 * the drop is counted. Never calls malloc. */
bool lk_ring_push(uint32_t op, uint32_t stack_id, uint64_t size);

/* Lower level, for tests and the thread-exit path. */
lk_ring_t *lk_ring_acquire(void); /* reuse a released ring or mmap a new one; NULL on ENOMEM */
void lk_ring_release(lk_ring_t *r);
bool lk_ring_push_to(lk_ring_t *r, const lk_event_t *ev);

/* Consumer (one at a time: the writer serializes them). Calls fn on every event present in
 * every ring / in r, returns the count. */
size_t lk_ring_drain(void (*fn)(void *arg, const lk_event_t *ev), void *arg);
size_t lk_ring_drain_one(lk_ring_t *r, void (*fn)(void *arg, const lk_event_t *ev), void *arg);

/* Sum of dropped events over all rings. */
uint64_t lk_ring_dropped(void);

/* Number of rings ever created (thread churn must not grow it past the peak thread count). */
size_t lk_ring_count(void);

/* Constructor: creates the pthread key whose destructor releases an exiting thread's ring. */
void lk_ring_init(void);

/* Thread-exit hook: releases the calling thread's ring for reuse. */
void lk_ring_thread_exit(void);

/* Forked child: every ring is emptied and released except the calling thread's. */
void lk_ring_reset_after_fork(void);

/* leak_attach_begin (hooks inert): what an earlier window left in the rings is dropped,
 * the drop counts zeroed, and the rings open again after that window's final snapshot. */
void lk_ring_attach_reset(void);

#endif
