/* SPDX-License-Identifier: MIT */
/* writer_sync.c - snapshots outside the writer's schedule: the synchronous ones written on the
 * caller's thread (exit, exec, dlclose: lk_writer_sync), and the requests of signal handlers
 * (SIGUSR2: a forced snapshot; SIGTERM/SIGINT/SIGHUP/SIGABRT: the final one, waited for at
 * most about 2 s, then the default action), whose handlers are installed here.
 * Everything here may run in a signal handler or an exiting thread: no malloc, raw syscalls,
 * the snapshot lock taken only when this thread cannot already hold it. */
#include "emit.h"
#include "fork.h"
#include "guard.h"
#include "reach.h"
#include "real.h"
#include "stack_table.h"
#include "sys.h"
#include "trace_clock.h"
#include "trace_codec.h"
#include "trace_format.h"
#include "tracefile.h"
#include "vfork.h"
#include "writer.h"
#include "writer_internal.h"

#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void lk_writer_sync_flags(uint32_t flags, int end_reason, int status)
{
	if (lk_disabled || !lk_ready)
		return;
	lk_snap_lock();
	if (flags == TRACE_SNAP_FINAL && end_reason == TRACE_END_EXIT && lk_fork_exit_quiet())
		lk_disabled = 1; /* a child with nothing of its own: no trace at all (fork.h) */
	else
		lk_snapshot_locked(flags, end_reason, status);
	lk_snap_unlock();
	if ((flags & TRACE_SNAP_FINAL) && end_reason != TRACE_END_EXEC &&
	    __atomic_load_n(&lk_thread_running, __ATOMIC_RELAXED))
		lk_writer_wake(); /* lets the thread see lk_disabled and exit */
}

/* noinline, with the callee-saved registers spilled in its frame: the reachability scan of
 * this thread's stack starts at its stack pointer (reach.h), so a pointer the program keeps
 * in a register still counts. */
__attribute__((noinline)) void lk_writer_sync(int final, int end_reason, int status)
{
	if (final) {
		__builtin_unwind_init();
		lk_reach_stack_from = lk_reach_sp();
	}
	lk_writer_sync_flags(
	    final ? TRACE_SNAP_FINAL | (end_reason == TRACE_END_EXEC ? TRACE_SNAP_EXEC : 0) : 0,
	    end_reason, status);
	lk_reach_stack_from = 0;
}

int lk_writer_exec_discard(void)
{
	if (lk_disabled || !lk_ready)
		return 0;
	lk_snap_lock(); /* no snapshot of the writer's (if it runs) in between */
	int done = lk_tracefile_discard() == 0;
	lk_snap_unlock();
	return done;
}

void lk_writer_sync_py_finalize(void)
{
	__builtin_unwind_init();
	lk_reach_stack_from = lk_reach_sp();
	lk_writer_sync_flags(TRACE_SNAP_FINAL | TRACE_SNAP_PY_FINALIZE, TRACE_END_EXIT, 0);
	lk_reach_stack_from = 0;
}

void lk_writer_end_after_final(int end_reason, int status)
{
	uint8_t raw[64];
	trace_buf_t b = {.data = raw, .cap = sizeof(raw)};
	trace_enc_end(&b, &(struct trace_rec_end){.t_ns = lk_clock_now(),
	                                          .reason = (uint64_t)end_reason,
	                                          .status = status});
	if (!b.err)
		lk_tracefile_write_chunk(b.data, b.len);
}

void lk_writer_flush_before_unload(void)
{
	if (lk_disabled || !lk_ready || lk_stack_table_count() == lk_writer_stacks_emitted())
		return;
	lk_writer_sync(0, 0, 0);
}

/* A lazy child has no thread to ask: the handler writes the snapshot itself, unless it
 * interrupted libleak (guard held: a lock of ours may be held by this very thread). The path
 * never calls malloc (buffers mmap'd, zstd on an mmap allocator, raw syscalls). */
static void lk_writer_sync_from_signal(int final, int signo)
{
	if (lk_guard_depth)
		return;
	int saved = errno;
	lk_guard_depth = 1;
	if (final)
		lk_writer_sync_flags(TRACE_SNAP_FINAL, TRACE_END_SIGNAL, signo);
	else
		lk_writer_sync_flags(TRACE_SNAP_FORCED, 0, 0);
	lk_guard_depth = 0;
	errno = saved;
}

void lk_writer_request_from_signal(int final, int signo)
{
	if (__atomic_load_n(&lk_thread_lazy, __ATOMIC_ACQUIRE)) {
		lk_writer_sync_from_signal(final, signo);
		return;
	}
	if (!final) {
		lk_req_forced = 1;
		lk_writer_wake();
		return;
	}
	if (lk_disabled || !lk_thread_running)
		return;
	int done = __atomic_load_n(&lk_done_word, __ATOMIC_ACQUIRE);
	lk_req_signo = signo;
	lk_req_final = 1;
	lk_writer_wake();
	uint64_t deadline = lk_now_ns() + 2000000000ull;
	while (__atomic_load_n(&lk_done_word, __ATOMIC_ACQUIRE) == done) {
		uint64_t now = lk_now_ns();
		if (now >= deadline)
			break;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 50000000};
		lk_futex(&lk_done_word, FUTEX_WAIT_PRIVATE, done, &ts);
	}
}

volatile int lk_guard_pending;
/* The signal deferred on this thread: it runs its handler again there, where the signal was
 * not blocked (the re-raise is thread-directed; another thread may block it). */
static __thread volatile sig_atomic_t lk_signal_deferred __attribute__((tls_model("initial-exec")));

/* Async-signal-safe: asks the writer for the final snapshot (bounded wait), then dies of the
 * signal the default way. A thread interrupted inside libleak may hold one of its locks (a
 * block table shard's spinlock, taken on every malloc and free) that the final snapshot
 * needs: the writer would spin on it while this handler waited, and the process would die
 * without its snapshot. So the signal waits for the guard to be left (a hook's bookkeeping:
 * microseconds), in a process with a writer thread as in one without. */
static void lk_on_fatal_signal(int signo)
{
	int saved = errno;
	/* A vfork child (vfork.h) writes no trace and its guard is held until it execs: it dies
	 * of the signal at once, and nothing is deferred into its parent's memory. */
	int vfork_child = lk_vfork_is_child();
	if (lk_guard_depth && !lk_disabled && !vfork_child) {
		lk_signal_deferred = signo;
		__atomic_or_fetch(&lk_guard_pending, LK_PENDING_SIGNAL, __ATOMIC_SEQ_CST);
		errno = saved;
		return;
	}
	if (!vfork_child)
		lk_writer_request_from_signal(1, signo);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	lk_real.sigaction(signo, &dfl, NULL);
	/* Still blocked while we run: delivered, with SIG_DFL, as soon as we return. */
	syscall(SYS_tgkill, lk_sys_getpid(), lk_sys_gettid(), signo);
	errno = saved;
}

void lk_guard_run_pending(void)
{
	int pending = __atomic_exchange_n(&lk_guard_pending, 0, __ATOMIC_SEQ_CST);
	int saved = errno;
	if ((pending & LK_PENDING_SNAPSHOT) && !lk_disabled && lk_ready) {
		lk_guard_depth = 1;
		lk_writer_snapshot_here();
		lk_guard_depth = 0;
	}
	/* Read after the snapshot: the signal may have come during it. */
	int signo = (int)lk_signal_deferred;
	if (signo) {
		lk_signal_deferred = 0;
		lk_on_fatal_signal(signo);
	} else if (pending & LK_PENDING_SIGNAL) { /* another thread's, leaving its hook soon */
		__atomic_or_fetch(&lk_guard_pending, LK_PENDING_SIGNAL, __ATOMIC_SEQ_CST);
	}
	errno = saved;
}

static void lk_on_usr2(int signo)
{
	(void)signo;
	lk_writer_request_from_signal(0, 0);
}

static void lk_signal_install(int signo, void (*fn)(int))
{
	struct sigaction old, sa;
	if (!lk_real.sigaction || lk_real.sigaction(signo, NULL, &old) != 0)
		return;
	if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
		return; /* the host (or its parent) chose a disposition: leave it alone */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	lk_real.sigaction(signo, &sa, NULL);
}

void lk_writer_signal_retake(int signo)
{
	lk_signal_install(signo, lk_on_fatal_signal);
}

/* The signals whose default death the final snapshot precedes. SIGABRT is abort(): a failed
 * assert, std::terminate, glibc's checks in free (which runs after the free hook's
 * bookkeeping). One raised inside libleak would be deferred; abort then goes on to the
 * default action itself, so such a run would keep its last periodic snapshot, and nothing
 * waits. */
static const int lk_final_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGABRT};

int lk_writer_final_signal(int signo)
{
	for (size_t i = 0; i < sizeof(lk_final_signals) / sizeof(lk_final_signals[0]); i++) {
		if (lk_final_signals[i] == signo)
			return 1;
	}
	return 0;
}

void lk_writer_signals_install(void)
{
	for (size_t i = 0; i < sizeof(lk_final_signals) / sizeof(lk_final_signals[0]); i++)
		lk_signal_install(lk_final_signals[i], lk_on_fatal_signal);
	lk_signal_install(SIGUSR2, lk_on_usr2);
}

/* leak_attach_end: a handler of ours still installed goes back to the default disposition it
 * replaced; one the program installed since stays. */
static void lk_signal_uninstall(int signo, void (*fn)(int))
{
	struct sigaction cur, dfl;
	if (!lk_real.sigaction || lk_real.sigaction(signo, NULL, &cur) != 0)
		return;
	if ((cur.sa_flags & SA_SIGINFO) || cur.sa_handler != fn)
		return;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	lk_real.sigaction(signo, &dfl, NULL);
}

void lk_writer_signals_uninstall(void)
{
	for (size_t i = 0; i < sizeof(lk_final_signals) / sizeof(lk_final_signals[0]); i++)
		lk_signal_uninstall(lk_final_signals[i], lk_on_fatal_signal);
	lk_signal_uninstall(SIGUSR2, lk_on_usr2);
}
