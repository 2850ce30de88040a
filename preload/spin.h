/* SPDX-License-Identifier: MIT */
/* spin.h - the one spinlock of libleak's tables: test-and-test-and-set on an int, held only
 * for a few stores (never across a call into unknown code, never while allocating). Fork
 * safety is the tables' job (atfork quiesce or reset).
 *
 * A wait longer than LK_SPIN_PAUSES pauses means the holder is not running: preempted inside
 * its few stores, by the writer thread or another process. Spinning on then burned the rest
 * of the waiter's time slice: two threads of a program on two cores with cross-thread frees
 * (bench/xthread.c) took under 5000 contended block-table locks in 32 M, but some 50 of them
 * spun for milliseconds each, 5-9 M pauses in all. So the waiter yields, then naps: a nap
 * idles its core, and the scheduler moves the preempted holder there. */
#ifndef LEAK_PRELOAD_SPIN_H
#define LEAK_PRELOAD_SPIN_H

#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LK_SPIN_PAUSES 1024u /* some 5-40 us, by the processor's pause */
#define LK_SPIN_YIELDS 4u    /* then sched_yield()s, then naps of LK_SPIN_NAP_NS */
#define LK_SPIN_NAP_NS 50000

/* One step of a waiter's back-off: a pause, up to LK_SPIN_PAUSES of them, then
 * sched_yield()s, then naps. The caller keeps the two counts, zero at its first wait. */
static inline void lk_spin_backoff(unsigned *pauses, unsigned *waits)
{
	if (*pauses < LK_SPIN_PAUSES) {
		(*pauses)++;
		__builtin_ia32_pause();
		return;
	}
	int saved = errno;
	if ((*waits)++ < LK_SPIN_YIELDS) {
		sched_yield();
	} else {
		/* A raw call: glibc's nanosleep is a cancellation point. */
		struct timespec nap = {0, LK_SPIN_NAP_NS};
		syscall(SYS_nanosleep, &nap, NULL);
	}
	errno = saved;
}

static __attribute__((noinline, cold)) void lk_spin_lock_slow(volatile int *l)
{
	unsigned pauses = 0, waits = 0;
	do {
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			lk_spin_backoff(&pauses, &waits);
	} while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE));
}

static inline void lk_spin_lock(volatile int *l)
{
	if (__builtin_expect(__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE), 0))
		lk_spin_lock_slow(l);
}

static inline void lk_spin_unlock(volatile int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

#endif
