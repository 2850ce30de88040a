/* SPDX-License-Identifier: MIT */
/* trace_clock.h - the trace's time base: the CLOCK_MONOTONIC instant that is t=0 of the trace
 * and the CLOCK_REALTIME at that instant (PROCESS.start). Owned here and asked for: every
 * time in the trace is lk_clock_since(a monotonic instant). Restarted once per trace (the
 * constructor, a forked child starting its own); readable from any thread and signal
 * handler. */
#ifndef LEAK_PRELOAD_TRACE_CLOCK_H
#define LEAK_PRELOAD_TRACE_CLOCK_H

#include <stdint.h>

/* Constructor, or a forked child (single-threaded) starting its own trace: now is t=0. */
void lk_clock_start(void);

/* fork's prepare handler (parent): reads both clocks, so that lk_clock_start_forked in the
 * child needs no clock call there (the vDSO's and libc's pages would be page faults in every
 * child). */
void lk_clock_fork_prepare(void);

/* Forked child (single-threaded) starting its own trace: t=0 is the instant just before the
 * fork, as read by lk_clock_fork_prepare. */
void lk_clock_start_forked(void);

/* CLOCK_MONOTONIC ns at t=0 (0 before the first lk_clock_start). */
uint64_t lk_clock_t0(void);

/* CLOCK_REALTIME ns at t=0 (PROCESS.start). */
uint64_t lk_clock_start_realtime(void);

/* ns from t=0 to mono_ns (a lk_now_ns() value); 0 for an instant before t=0. */
uint64_t lk_clock_since(uint64_t mono_ns);

/* ns from t=0 to now. */
uint64_t lk_clock_now(void);

#endif
