/* SPDX-License-Identifier: MIT */
/* trace_clock.c - the trace's t=0 (monotonic) and its wall-clock start. Written only while
 * the process is single-threaded as far as libleak is concerned (constructor, forked child
 * before its writer runs); read with relaxed atomics anywhere. */
#include "fork_hot.h"
#include "trace_clock.h"
#include "sys.h"

static uint64_t lk_clock_t0_ns LK_FORK_WARM, lk_clock_rt_ns LK_FORK_WARM;

void lk_clock_start(void)
{
	__atomic_store_n(&lk_clock_t0_ns, lk_now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&lk_clock_rt_ns, lk_realtime_ns(), __ATOMIC_RELAXED);
}

/* Written by the parent's prepare handler just before fork, read by the child. */
static uint64_t lk_clock_fork_mono LK_FORK_WARM, lk_clock_fork_rt LK_FORK_WARM;

void lk_clock_fork_prepare(void)
{
	lk_clock_fork_mono = lk_now_ns();
	lk_clock_fork_rt = lk_realtime_ns();
}

LK_FORK_TEXT void lk_clock_start_forked(void)
{
	__atomic_store_n(&lk_clock_t0_ns, lk_clock_fork_mono, __ATOMIC_RELAXED);
	__atomic_store_n(&lk_clock_rt_ns, lk_clock_fork_rt, __ATOMIC_RELAXED);
}

uint64_t lk_clock_t0(void)
{
	return __atomic_load_n(&lk_clock_t0_ns, __ATOMIC_RELAXED);
}

uint64_t lk_clock_start_realtime(void)
{
	return __atomic_load_n(&lk_clock_rt_ns, __ATOMIC_RELAXED);
}

uint64_t lk_clock_since(uint64_t mono_ns)
{
	uint64_t t0 = lk_clock_t0();
	return mono_ns > t0 ? mono_ns - t0 : 0;
}

uint64_t lk_clock_now(void)
{
	return lk_clock_since(lk_now_ns());
}
