/* SPDX-License-Identifier: MIT */
/* spin.h - the one spinlock of libleak's tables: test-and-test-and-set on an int, held only
 * for a few stores (never across a call into unknown code, never while allocating). Fork
 * safety is the tables' job (atfork quiesce or reset). */
#ifndef LEAK_PRELOAD_SPIN_H
#define LEAK_PRELOAD_SPIN_H

static inline void lk_spin_lock(volatile int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void lk_spin_unlock(volatile int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

#endif
