/* SPDX-License-Identifier: MIT */
/* guard.h - thread-local reentrancy guard. Every hook records only when it can enter the
 * guard, so anything libleak itself does (unwinding, zstd, dl_iterate_phdr, the writer
 * thread) passes through the hooks unrecorded. initial-exec TLS: touching it never allocates. */
#ifndef LEAK_PRELOAD_GUARD_H
#define LEAK_PRELOAD_GUARD_H

#include <stdbool.h>

/* Nonzero while this thread is inside libleak (or is libleak's writer thread). */
extern __thread int lk_guard_depth __attribute__((tls_model("initial-exec")));
/* Set once recording must stop for good (trace unwritable, finalized); read on every hook. */
extern volatile int lk_disabled;
/* Set by the constructor once lk_real and the tables are ready. */
extern volatile int lk_ready;

/* Any thread. True if the caller may record (and now holds the guard); false if nested,
 * not yet initialised, or disabled. Pair every true with lk_guard_leave(). */
static inline bool lk_guard_enter(void)
{
	if (__builtin_expect(lk_guard_depth || !lk_ready || lk_disabled, 0))
		return false;
	lk_guard_depth = 1;
	return true;
}

/* Work for a single-threaded process that has no writer thread, done when a hook leaves the
 * guard (writer_sync.c): a periodic snapshot that fell due inside a hook (taken after the
 * hook's whole change, never between a realloc's free and its allocation), and a fatal signal
 * (SIGTERM, SIGINT, SIGHUP) that arrived while inside libleak, where its final snapshot could
 * not be written. LK_PENDING_* bits. */
#define LK_PENDING_SNAPSHOT 1
#define LK_PENDING_SIGNAL   2
extern volatile int lk_guard_pending;
void lk_guard_run_pending(void);

static inline void lk_guard_leave(void)
{
	lk_guard_depth = 0;
	if (__builtin_expect(lk_guard_pending != 0, 0))
		lk_guard_run_pending();
}

/* Back to the depth saved before a `lk_guard_depth = 1`: when that leaves libleak, the work
 * deferred meanwhile runs (a fatal signal that arrived during an exit-time snapshot must
 * still end the process, whatever the program's later atexit handlers do). */
static inline void lk_guard_restore(int depth)
{
	if (depth)
		lk_guard_depth = depth;
	else
		lk_guard_leave();
}

#endif
