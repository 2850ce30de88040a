/* SPDX-License-Identifier: MIT */
/* writer_internal.h - what writer.c shares with writer_sync.c, and no other file: the snapshot
 * lock, the building of one snapshot, and the state of the thread and of the requests it
 * serves. writer.c defines all of it and never calls into writer_sync.c. */
#ifndef LEAK_PRELOAD_WRITER_INTERNAL_H
#define LEAK_PRELOAD_WRITER_INTERNAL_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

/* The snapshot lock: 0 free, 1 held, 2 held with sleepers. A few yields, then FUTEX_WAIT. */
void lk_snap_lock(void);
void lk_snap_unlock(void);

/* Snapshot lock held. Drains, builds one chunk (flags: TRACE_SNAP_*; FINAL adds BLOCKs and
 * END with end_reason and status) and writes it. */
void lk_snapshot_locked(uint32_t flags, int end_reason, int status);

/* syscall(SYS_futex), errno preserved. */
long lk_futex(int *w, int op, int val, const struct timespec *ts);

/* How many stacks the trace holds (STACK records written so far). */
uint32_t lk_writer_stacks_emitted(void);

/* 1 while the thread runs. */
extern volatile int lk_thread_running;
/* 1 in a forked child until its writer thread is needed (a ring half full, a periodic snapshot
 * due): most children exit or exec first, and their final snapshot is written synchronously by
 * the exiting thread, so they never pay for a thread. */
extern int lk_thread_lazy;
/* Requests from signal handlers, served by the thread: a forced snapshot, the final one (END
 * reason signal, status lk_req_signo); lk_done_word (futex) is bumped after the final one. */
extern volatile sig_atomic_t lk_req_forced, lk_req_final, lk_req_signo;
extern int lk_done_word;

#endif
