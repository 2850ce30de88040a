/* SPDX-License-Identifier: MIT */
/* writer.c - the writer thread: its wake-ups, the busy heuristic that lets a producer drain
 * its own ring, the lazy start in a forked child, the snapshot lock, and the building of one
 * snapshot chunk: [PROCESS] MODULE* MODULE_UNLOAD* STACK* (fd/proc records) SNAPSHOT SITE*
 * [BLOCK* END]. The rings' only consumer is whoever holds the snapshot lock (the thread, a
 * producer draining its own ring, a sync in writer_sync.c); drained events go to sites.c. The
 * thread holds the guard for life, so zstd's and its own mallocs pass through unrecorded. This
 * file calls nothing of the life cycle (init.c, fork.c, the exit hooks). */
#include "fork_hot.h"
#include "writer.h"
#include "config.h"
#include "emit.h"
#include "guard.h"
#include "heap_table.h"
#include "interpose_exit.h"
#include "log.h"
#include "modules.h"
#include "node.h"
#include "reach.h"
#include "reach_stop.h"
#include "real.h"
#include "ring.h"
#include "sample.h"
#include "sites.h"
#include "snapshot_emit.h"
#include "stack_table.h"
#include "sys.h"
#include "trace_clock.h"
#include "trace_codec.h"
#include "trace_format.h"
#include "tracefile.h"
#include "unwind.h"
#include "writer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t lk_t0 LK_FORK_WARM, lk_start_rt LK_FORK_WARM, lk_seq LK_FORK_WARM,
    lk_last_ns LK_FORK_WARM;
static int lk_ppid LK_FORK_WARM;
static uint32_t lk_proc_flags LK_FORK_WARM;
static int lk_process_emitted LK_FORK_WARM;
static uint32_t lk_stacks_emitted LK_FORK_WARM;
static trace_buf_t lk_buf;

static int lk_snap_lock_word LK_FORK_HOT;
static int lk_wake_word;      /* futex: bumped to wake the writer */
static int lk_writer_waiting; /* 1 while the writer may be in FUTEX_WAIT on lk_wake_word */
int lk_done_word;
volatile sig_atomic_t lk_req_forced LK_FORK_WARM, lk_req_final LK_FORK_WARM, lk_req_signo;
volatile int lk_thread_running LK_FORK_WARM;
int lk_thread_lazy LK_FORK_WARM;
/* Attach mode (attach.c): the thread is joinable and named, its final snapshot ends the
 * window (END reason detach), and two callbacks run at each snapshot. */
static int lk_writer_joinable;
static pthread_t lk_writer_tid;
static volatile int lk_req_detach;
void (*lk_writer_emit_fn)(trace_buf_t *b);
void (*lk_writer_poll_fn)(void);

#define LK_ALONE_CHECK_NS 200000000ull  /* how often the writer checks it is the last thread */
#define LK_DENSE_MIN_NS   100000000ull  /* the first snapshots come this often */
#define LK_DENSE_DIV      12            /* then every 1/12 of the time run so far */
#define LK_DENSE_MAX_NS   1000000000ull /* for intervals up to this (the default) */

long lk_futex(int *w, int op, int val, const struct timespec *ts)
{
	int saved = errno;
	long r = syscall(SYS_futex, w, op, val, ts, NULL, 0);
	errno = saved;
	return r;
}

/* 0 free, 1 held, 2 held with sleepers. A few yields first (snapshots are short), then
 * FUTEX_WAIT: a final snapshot of a big heap holds the lock for seconds (the reachability
 * scan), and a waiter that kept yielding would burn a core meanwhile. */
static bool lk_snap_trylock(void)
{
	int c = 0;
	return __atomic_compare_exchange_n(&lk_snap_lock_word, &c, 1, false, __ATOMIC_ACQUIRE,
	                                   __ATOMIC_RELAXED);
}

void lk_snap_lock(void)
{
	if (lk_snap_trylock())
		return;
	for (int i = 0; i < 64; i++) {
		sched_yield();
		if (lk_snap_trylock())
			return;
	}
	while (__atomic_exchange_n(&lk_snap_lock_word, 2, __ATOMIC_ACQUIRE) != 0)
		lk_futex(&lk_snap_lock_word, FUTEX_WAIT_PRIVATE, 2, NULL);
}

void lk_snap_unlock(void)
{
	if (__atomic_exchange_n(&lk_snap_lock_word, 0, __ATOMIC_RELEASE) == 2)
		lk_futex(&lk_snap_lock_word, FUTEX_WAKE_PRIVATE, 1, NULL);
}

void lk_writer_wake(void)
{
	/* The bump makes a FUTEX_WAIT that has not started yet return at once; the system call
	 * is only needed when the writer is (about to be) asleep in one. Both sides are seq_cst:
	 * either we see lk_writer_waiting, or the writer sees the new word. */
	__atomic_add_fetch(&lk_wake_word, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&lk_writer_waiting, __ATOMIC_SEQ_CST))
		lk_futex(&lk_wake_word, FUTEX_WAKE_PRIVATE, 1, NULL);
}

static int lk_writer_start_thread(void);
static bool lk_snap_trylock(void);

/* Whether the program's threads have kept every processor busy lately (lk_ring_cores_busy),
 * or its threads were preempted at least once per 10 ms (lk_ring_preempted_often),
 * re-measured at most every LK_BUSY_NS by whichever producer asks first. */
#define LK_BUSY_NS 10000000ull
static int lk_ncpu LK_FORK_WARM; /* a forked child reads it (lk_writer_init) */
static uint64_t lk_busy_wall LK_FORK_WARM, lk_busy_cpu LK_FORK_WARM, lk_busy_ivcsw LK_FORK_WARM;
static int lk_busy LK_FORK_WARM;

static bool lk_writer_cores_busy(void)
{
	uint64_t now = lk_now_ns();
	uint64_t at = __atomic_load_n(&lk_busy_wall, __ATOMIC_RELAXED);
	if (now - at >= LK_BUSY_NS &&
	    __atomic_compare_exchange_n(&lk_busy_wall, &at, now, false, __ATOMIC_RELAXED,
	                                __ATOMIC_RELAXED)) {
		uint64_t cpu = lk_process_cpu_ns(), ivcsw = lk_process_preempted();
		uint64_t before = __atomic_exchange_n(&lk_busy_cpu, cpu, __ATOMIC_RELAXED);
		uint64_t ivcsw_before =
		    __atomic_exchange_n(&lk_busy_ivcsw, ivcsw, __ATOMIC_RELAXED);
		__atomic_store_n(&lk_busy,
		                 at && (lk_ring_preempted_often(ivcsw - ivcsw_before, now - at) ||
		                        lk_ring_cores_busy(cpu - before, now - at, lk_ncpu)),
		                 __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&lk_busy, __ATOMIC_RELAXED);
}

/* Whether the program has created a thread, and whether it has forked (since start, or
 * since the fork that made this process). A single-threaded program that forks may check
 * before each fork that it is still single-threaded (Chromium's zygote counts
 * /proc/self/task and refuses to fork otherwise), so libleak starts no thread in it until it
 * has one of its own: its snapshots are written on its own thread instead. A program that
 * has not forked gets the thread at the first need (a ring half full, an interval passed),
 * except with sampling (LEAK_SAMPLE): there its snapshots are written on its own thread too,
 * until it starts a thread or blocks (lk_writer_before_block). A second thread makes glibc's
 * malloc take its arena lock on every call past the tcache, for the rest of the process
 * (under malloc churn, 1.4% more instructions for the whole process, all in glibc's malloc
 * and free, besides the locked instructions' own cost); with sampling the program's thread
 * has so few events to apply that its own snapshots cost less than that. */
static int lk_program_threaded LK_FORK_HOT;
static int lk_program_forked LK_FORK_HOT;

static bool lk_writer_thread_allowed(void)
{
	return __atomic_load_n(&lk_program_threaded, __ATOMIC_RELAXED) ||
	       (!__atomic_load_n(&lk_program_forked, __ATOMIC_RELAXED) && !lk_sample_bytes);
}

/* A lazy process's first need of its thread (a ring half full, a periodic snapshot due), when
 * it may have one. Hook context (guard held): pthread_create's own allocations pass
 * through. */
static void lk_writer_start_if_lazy(void)
{
	if (__builtin_expect(__atomic_load_n(&lk_thread_lazy, __ATOMIC_RELAXED), 0) &&
	    lk_writer_thread_allowed() &&
	    __atomic_exchange_n(&lk_thread_lazy, 0, __ATOMIC_ACQ_REL)) {
		__atomic_store_n(&lk_ring_tick_fn, NULL, __ATOMIC_RELAXED);
		lk_writer_start_thread();
	}
}

/* Lazy and single-threaded: the snapshot lock is taken only if free (this thread may be the
 * one holding it, deeper in a signal's interrupted path), with signals blocked meanwhile. */
static void lk_writer_on_own_thread(lk_ring_t *r)
{
	if (!r && !lk_writer_lazy_alone())
		return; /* the program started a thread meanwhile, and with it ours */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (lk_snap_trylock()) {
		if (r)
			lk_ring_drain_one(r, lk_apply, NULL);
		else if (!lk_disabled)
			lk_snapshot_locked(0, 0, 0);
		lk_snap_unlock();
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void lk_writer_snapshot_here(void)
{
	lk_writer_on_own_thread(NULL);
}

int lk_writer_lazy_alone(void)
{
	return __atomic_load_n(&lk_thread_lazy, __ATOMIC_ACQUIRE) && !lk_writer_thread_allowed();
}

void lk_writer_program_forked(void)
{
	__atomic_store_n(&lk_program_forked, 1, __ATOMIC_RELAXED);
}

void lk_writer_program_threaded(void)
{
	if (!__atomic_exchange_n(&lk_program_threaded, 1, __ATOMIC_ACQ_REL))
		lk_writer_start_if_lazy();
}

int lk_writer_was_threaded(void)
{
	return __atomic_load_n(&lk_program_threaded, __ATOMIC_RELAXED);
}

/* lk_ring_wake_fn: a producer's ring r is half full or full (hook context, guard held). While
 * the process has kept every processor busy (its CPU time over the last 10 ms, the writer's
 * included) or its threads are being preempted (lk_writer_cores_busy), or when r is full,
 * the producer drains r itself if the snapshot lock is free, instead of waking the writer: a
 * woken writer preempts one of the program's threads, which may hold glibc's arena lock while
 * the other sleeps on it, and the events are still in this core's cache. With a processor to
 * spare the writer still drains in parallel (docs/DESIGN.md, Rings). */
static void lk_writer_ring_wake(lk_ring_t *r, bool full)
{
	lk_writer_start_if_lazy();
	if (lk_writer_lazy_alone()) {
		if (!lk_disabled)
			lk_writer_on_own_thread(r);
		return;
	}
	if (!lk_disabled && (full || lk_writer_cores_busy())) {
		/* Signals wait meanwhile: a handler that forks, exits or dies of a fatal signal
		 * takes (or waits for the writer to take) the lock this thread would hold. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		bool drained = lk_snap_trylock();
		if (drained) {
			lk_ring_drain_one(r, lk_apply, NULL);
			lk_snap_unlock();
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (drained)
			return;
	}
	lk_writer_wake();
}

/* The interval after the snapshot at lk_last_ns: a twelfth of the time run so far, at least
 * LK_DENSE_MIN_NS (or LEAK_INTERVAL_MS if smaller), at most LEAK_INTERVAL_MS. So the last 60%
 * of any run longer than about 3 s holds some 11 snapshots, enough for the growth test, and
 * an hour at 1 s costs about 29 snapshots more than a fixed schedule (all in its first 12 s).
 * An interval longer than the default 1 s is taken as asked: fixed from the start. */
static uint64_t lk_interval_ns(void)
{
	uint64_t cfg = (uint64_t)lk_config.interval_ms * 1000000u;
	if (cfg > LK_DENSE_MAX_NS)
		return cfg;
	uint64_t v = (lk_last_ns - lk_t0) / LK_DENSE_DIV;
	uint64_t lo = cfg < LK_DENSE_MIN_NS ? cfg : LK_DENSE_MIN_NS;
	return v < lo ? lo : v > cfg ? cfg : v;
}

/* lk_ring_tick_fn while lazy: a process that keeps allocating must still get its periodic
 * snapshots: once an interval has passed, the thread starts if the program has threads of its
 * own, else this thread writes the snapshot. */
static void lk_writer_lazy_tick(void)
{
	if (lk_now_ns() >= lk_last_ns + lk_interval_ns()) {
		lk_writer_start_if_lazy();
		if (lk_writer_lazy_alone()) /* at the end of this hook (guard.h) */
			__atomic_or_fetch(&lk_guard_pending, LK_PENDING_SNAPSHOT, __ATOMIC_SEQ_CST);
		else
			lk_writer_wake();
	}
}

/* trace_buf_t grow callback: mmap'd, doubled, never through malloc. */
static int lk_buf_grow(trace_buf_t *b, size_t need)
{
	size_t cap = b->cap ? b->cap : (1u << 16);
	while (cap < need)
		cap *= 2;
	uint8_t *p = lk_sys_mmap(cap);
	if (!p)
		return -1;
	if (b->len)
		memcpy(p, b->data, b->len);
	lk_sys_munmap(b->data, b->cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

static uint64_t lk_pos(int64_t v)
{
	return v > 0 ? (uint64_t)v : 0; /* a free drained before its alloc: transient */
}

/* Set by interpose_exit.c (in the core for the unit tests); a forked child reads it. */
volatile int lk_exit_begun LK_FORK_WARM;

void lk_snapshot_locked(uint32_t flags, int end_reason, int status)
{
	if (lk_disabled)
		return;
	/* A periodic snapshot while the exit handlers run may show them freeing: the
	 * collector's growth test does not take it for the program's trend. */
	if (!(flags & TRACE_SNAP_FINAL) && __atomic_load_n(&lk_exit_begun, __ATOMIC_RELAXED))
		flags |= TRACE_SNAP_EXITING;
	lk_ring_drain(lk_apply, NULL);
	/* The final cut (the scan below can take seconds): other threads' pushes no longer wait
	 * for room. A failed exec records on, so its END is no cut. */
	if ((flags & TRACE_SNAP_FINAL) && end_reason != TRACE_END_EXEC)
		__atomic_store_n(&lk_ring_closed, 1, __ATOMIC_RELAXED);
	trace_buf_t *b = &lk_buf;
	b->len = 0;
	b->err = 0;
	if (!lk_process_emitted)
		lk_emit_process(b, lk_ppid, lk_start_rt, lk_proc_flags);
	uint32_t upto = lk_stack_table_count();
	lk_emit_stacks(b, lk_stacks_emitted, upto);
	lk_stacks_emitted = upto;
	int final = (flags & TRACE_SNAP_FINAL) != 0;
	/* Descriptors, children and threads as they are at the cut, before the exit scan below
	 * stops the other threads: its signal ends their sleeps and waits with EINTR, and what a
	 * thread does then (a Python daemon thread exits once finalization has begun) is after
	 * the state this snapshot captures. */
	lk_fd_emit(b, final);
	lk_proc_emit(b, final);
	if (lk_writer_emit_fn)
		lk_writer_emit_fn(b);
	int scanned = 0;
	if (final) {
		/* BLOCK.flags: reachable or not (preload/reach.c). Nothing live (the usual short
		 * child): no roots to read. A block may name a stack interned after `upto`, and
		 * every STACK must precede the records that use it: find the largest first. */
		/* Not at a detach: the program runs on, and a thread that a tracer keeps stopped
		 * would never answer the scan's signal (its handler would stay installed). */
		/* A helper thread for the scan's sort only at a normal exit: not in a signal
		 * handler (the final snapshot of a lazy child's), where pthread_create may not run.
		 */
		lk_reach_may_thread = end_reason == TRACE_END_EXIT;
		scanned = end_reason != TRACE_END_DETACH && lk_heap_table_count() > 0 &&
		          lk_reach_scan() == 0;
		lk_reach_may_thread = 0;
		uint32_t max_stack = lk_emit_blocks_max_stack(scanned);
		if (max_stack > lk_stacks_emitted) {
			lk_emit_stacks(b, lk_stacks_emitted, max_stack);
			lk_stacks_emitted = max_stack;
		}
	}
	uint64_t now = lk_now_ns();
	trace_enc_snapshot(b, &(struct trace_rec_snapshot){
	                          .seq = lk_seq,
	                          .t_ns = now - lk_t0,
	                          .rss_bytes = lk_sys_rss_bytes(),
	                          .live_bytes = lk_pos(lk_tot.live_bytes),
	                          .live_blocks = lk_pos(lk_tot.live_count),
	                          .total_allocs = lk_tot.allocs,
	                          .total_frees = lk_tot.frees,
	                          .total_alloc_bytes = lk_tot.alloc_bytes,
	                          .dropped_events = lk_ring_dropped(),
	                          .flags = flags,
	                      });
	for (size_t i = 0; i < lk_dirty_n; i++) {
		uint32_t id = lk_dirty[i];
		lk_site_t *s = lk_site(id);
		s->dirty = 0;
		trace_enc_site(b, &(struct trace_rec_site){
		                      .stack_id = id,
		                      .live_bytes = lk_pos(s->live_bytes),
		                      .live_count = lk_pos(s->live_count),
		                      .total_allocs = s->allocs,
		                      .total_frees = s->frees,
		                      .total_alloc_bytes = s->alloc_bytes,
		                  });
	}
	lk_dirty_n = 0;
	if (final) {
		/* BLOCKs follow the final SNAPSHOT, in its chunk and the chunks after it; END is
		 * in the last. As Python finalization begins, every block the scan reached is
		 * the interpreter's (modules, types, caches): the collector reports none of them
		 * (analyze_heap.c), so they are not written: the bench's python3 trace went
		 * from 2.3 MB to 0.47 MB, and its run took 0.94 of the time (11 pairs). */
		lk_emit_blocks(b, scanned, (flags & TRACE_SNAP_PY_FINALIZE) != 0);
		lk_reach_release();
		trace_enc_end(b, &(struct trace_rec_end){.t_ns = now - lk_t0,
		                                         .reason = (uint64_t)end_reason,
		                                         .status = status});
	}
	lk_seq++;
	lk_last_ns = now;
	if (b->err) {
		lk_warn("cannot build a snapshot (out of memory); profiling off", NULL, NULL);
		lk_disabled = 1;
		return;
	}
	if (lk_tracefile_write_chunk(b->data, b->len) == 0)
		lk_process_emitted = 1;
	/* An exec that succeeds replaces the process, so recording need not stop for it; one
	 * that fails (ENOEXEC, E2BIG, a noexec mount) goes on recording into this trace, and the
	 * collector lets the later snapshots supersede the exec-time END. */
	if (final && end_reason != TRACE_END_EXEC) {
		lk_disabled = 1;
		lk_node_finish();
	}
}

/* True if the main thread has ended with pthread_exit (a zombie leader) and this writer is the
 * only thread left. glibc calls exit(0) when the last thread returns, but the writer counts as
 * one, so without this check such a process would never end. */
static bool lk_writer_alone(void)
{
	char state;
	long threads;
	return lk_sys_self_stat(&state, &threads) == 0 && state == 'Z' &&
	       threads == 2; /* the zombie leader and us */
}

/* What glibc does when the last thread returns: exit(0), which runs our atexit handler and so
 * the final snapshot. The real exit, from the lk_real table: this file never calls into the
 * life-cycle hooks. As exit's hook would, it marks the frames deeper than this one (exit's,
 * the atexit handlers') as no roots for the reachability scan (reach.h). */
__attribute__((noinline, noreturn)) static void lk_writer_exit_alone(void)
{
	void (*real_exit)(int) = lk_real.exit;
	__builtin_unwind_init();
	lk_reach_exit_from = lk_reach_sp();
	if (real_exit)
		real_exit(0);
	for (;;)
		syscall(SYS_exit_group, 0);
}

static void *lk_writer_main(void *arg)
{
	(void)arg;
	lk_guard_depth = 1;     /* for life: nothing this thread does is recorded */
	lk_reach_note_writer(); /* not a thread of the program's: no roots, never stopped */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* handlers must run elsewhere: they wait on us */
	uint64_t alone_at = 0;                  /* when lk_writer_alone last looked */
	while (!lk_disabled) {
		int seen = __atomic_load_n(&lk_wake_word, __ATOMIC_ACQUIRE);
		uint64_t now = lk_now_ns();
		uint64_t due = lk_last_ns + lk_interval_ns();
		if (now < due && !lk_req_final && !lk_req_forced) {
			uint64_t wait = due - now;
			if (wait > LK_ALONE_CHECK_NS)
				wait = LK_ALONE_CHECK_NS;
			struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000u),
			                      .tv_nsec = (long)(wait % 1000000000u)};
			__atomic_store_n(&lk_writer_waiting, 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&lk_wake_word, __ATOMIC_SEQ_CST) == seen)
				lk_futex(&lk_wake_word, FUTEX_WAIT_PRIVATE, seen, &ts);
			__atomic_store_n(&lk_writer_waiting, 0, __ATOMIC_RELAXED);
		}
		/* Not on every wake-up: reading /proc/self/stat sums every thread's run time, each
		 * under its runqueue's lock, and a producer can wake us a thousand times a second.
		 * Once the leader is a zombie nothing wakes us early, so this still runs every
		 * LK_ALONE_CHECK_NS. */
		now = lk_now_ns();
		if (now - alone_at >= LK_ALONE_CHECK_NS) {
			alone_at = now;
			if (lk_writer_alone())
				lk_writer_exit_alone();
		}
		/* Attached: modules loaded since the last pass get their GOT entries, before a
		 * periodic snapshot. It takes the loader's lock: never under ours. */
		if (lk_writer_poll_fn && !lk_req_final &&
		    lk_now_ns() >= lk_last_ns + lk_interval_ns())
			lk_writer_poll_fn();
		/* A walk needed libunwind: loaded here, in no hook and under no lock of ours. */
		if (lk_unwind_load_wanted())
			lk_unwind_load();
		lk_snap_lock();
		if (lk_req_final) {
			lk_req_final = 0;
			if (lk_req_detach)
				lk_snapshot_locked(TRACE_SNAP_FINAL, TRACE_END_DETACH, 0);
			else
				lk_snapshot_locked(TRACE_SNAP_FINAL, TRACE_END_SIGNAL,
				                   (int)lk_req_signo);
			lk_snap_unlock();
			__atomic_add_fetch(&lk_done_word, 1, __ATOMIC_RELEASE);
			lk_futex(&lk_done_word, FUTEX_WAKE_PRIVATE, 1 << 30, NULL);
			continue;
		}
		if (lk_req_forced) {
			lk_req_forced = 0;
			lk_snapshot_locked(TRACE_SNAP_FORCED, 0, 0);
		} else if (lk_now_ns() >= lk_last_ns + lk_interval_ns()) {
			lk_snapshot_locked(0, 0, 0);
		} else {
			lk_ring_drain(lk_apply, NULL);
		}
		lk_snap_unlock();
	}
	lk_thread_running = 0;
	return NULL;
}

int lk_writer_thread_running(void)
{
	return __atomic_load_n(&lk_thread_running, __ATOMIC_RELAXED);
}

uint32_t lk_writer_stacks_emitted(void)
{
	return __atomic_load_n(&lk_stacks_emitted, __ATOMIC_RELAXED);
}

LK_FORK_TEXT void lk_writer_init(int ppid, uint32_t proc_flags)
{
	lk_t0 = lk_last_ns = lk_clock_t0();
	lk_start_rt = lk_clock_start_realtime();
	lk_ppid = ppid;
	lk_proc_flags = proc_flags;
	/* A forked child holds these values already (its parent ran this): their pages are
	 * left untouched. */
	if (!(proc_flags & TRACE_PROC_FORKED))
		lk_buf.grow = lk_buf_grow;
	/* A forked child has its parent's affinity, and so the parent's count: no system call
	 * (nor libc page) in every child. */
	if (!(proc_flags & TRACE_PROC_FORKED) || !lk_ncpu) {
		int ncpu = lk_sys_ncpu();
		if (lk_ncpu != ncpu)
			lk_ncpu = ncpu;
	}
	lk_busy_wall = lk_busy_cpu = lk_busy_ivcsw = 0;
	lk_busy = 0;
	if (!(proc_flags & TRACE_PROC_FORKED))
		lk_ring_wake_fn = lk_writer_ring_wake;
}

int lk_writer_start(void)
{
	__atomic_store_n(&lk_thread_lazy, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&lk_ring_tick_fn, NULL, __ATOMIC_RELAXED);
	return lk_writer_start_thread();
}

static int lk_writer_start_thread(void)
{
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, lk_writer_joinable ? PTHREAD_CREATE_JOINABLE
	                                                      : PTHREAD_CREATE_DETACHED);
	/* Born with every signal blocked: a lazy child starts it from a hook, and a host signal
	 * must never run its handler on our thread. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	lk_thread_running = 1;
	int r =
	    lk_real.pthread_create ? lk_real.pthread_create(&t, &attr, lk_writer_main, NULL) : -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0 && lk_writer_joinable) {
		__atomic_store_n(&lk_writer_tid, t, __ATOMIC_RELEASE);
		pthread_setname_np(t, "leak-writer"); /* a tracer leaves it running (attach.h) */
	}
	pthread_attr_destroy(&attr);
	if (r != 0) {
		lk_thread_running = 0;
		lk_warn("cannot start the writer thread; only the final snapshot will be written",
		        NULL, NULL);
		return -1;
	}
	return 0;
}

void lk_writer_fork_prepare(void)
{
	lk_snap_lock();
}

void lk_writer_fork_parent(void)
{
	lk_snap_unlock();
}

LK_FORK_TEXT void lk_writer_fork_child(void)
{
	/* The only thread: nobody waits on the lock (and lk_snap_unlock's code would be one more
	 * page fault in every child). */
	__atomic_store_n(&lk_snap_lock_word, 0, __ATOMIC_RELEASE);
	/* No tick of the parent's during the child's resets (a lazy parent's reads the clock):
	 * lk_writer_start_lazy sets the child's anew. */
	__atomic_store_n(&lk_ring_tick_fn, NULL, __ATOMIC_RELAXED);
	lk_thread_running = 0;
	lk_program_threaded = 0; /* the child has one thread, and has not forked yet */
	lk_program_forked = 0;
	lk_writer_block_pending = 0; /* a child starts its thread only on first need */
	/* A child forked from an exit handler runs on: its own snapshots are not its teardown's.
	 * Written only when set (a write would be one more copied page in every child). */
	if (lk_exit_begun)
		lk_exit_begun = 0;
}

LK_FORK_TEXT void lk_writer_restart(int parent_pid)
{
	lk_seq = 0;
	lk_process_emitted = 0;
	lk_stacks_emitted = 0;
	lk_req_final = lk_req_forced = 0;
	lk_writer_init(parent_pid, lk_proc_flags | TRACE_PROC_FORKED);
}

int lk_writer_block_pending LK_FORK_WARM;

void lk_writer_start_lazy_main(void)
{
	lk_writer_start_lazy();
	__atomic_store_n(&lk_writer_block_pending, 1, __ATOMIC_RELEASE);
}

void lk_writer_before_block(void)
{
	if (!__atomic_exchange_n(&lk_writer_block_pending, 0, __ATOMIC_ACQ_REL))
		return;
	/* Even after a fork: the program is not a zygote (lk_init_must_stay_single). */
	if (__atomic_exchange_n(&lk_thread_lazy, 0, __ATOMIC_ACQ_REL)) {
		__atomic_store_n(&lk_ring_tick_fn, NULL, __ATOMIC_RELAXED);
		lk_writer_start_thread();
	}
}

/* A single-threaded program that has forked, about to wait for a child: its thread would
 * make every later fork a threaded process's fork (a third more kernel time for the parent,
 * more copy-on-write faults, each with a TLB shootdown), and nothing changes while it waits.
 * So the wait starts no thread; the program's thread writes a snapshot before it blocks if
 * none was written yet or the last is a quarter of the interval old (LK_WAIT_SNAP_MIN_NS at
 * least; about 44 us each), so a wait that lasts and is ended by SIGKILL loses no more than
 * that much time's changes, and a shell forking all day writes at most four snapshots an
 * interval (one every 10 ms made a fork+wait loop's trace 100 times the size). A sleep, poll
 * or read still starts the thread (lk_writer_block_pending stays set). */
#define LK_WAIT_SNAP_MIN_NS 10000000ull
void lk_writer_before_wait(void)
{
	if (!lk_writer_lazy_alone()) {
		lk_writer_before_block();
		return;
	}
	uint64_t last = lk_last_ns;
	uint64_t gap = lk_interval_ns() / 4;
	gap = gap < LK_WAIT_SNAP_MIN_NS ? LK_WAIT_SNAP_MIN_NS : gap;
	if (last == lk_t0 || lk_now_ns() >= last + gap)
		__atomic_or_fetch(&lk_guard_pending, LK_PENDING_SNAPSHOT, __ATOMIC_SEQ_CST);
}

LK_FORK_TEXT void lk_writer_start_lazy(void)
{
	__atomic_store_n(&lk_thread_lazy, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&lk_ring_tick_fn, lk_writer_lazy_tick, __ATOMIC_RELEASE);
}

/* ---- attach mode (attach.c) ---- */

void lk_writer_attach_reset(int ppid, uint32_t proc_flags)
{
	lk_writer_joinable = 1;
	lk_req_detach = 0;
	lk_seq = 0;
	lk_process_emitted = 0;
	lk_stacks_emitted = 0;
	lk_req_final = lk_req_forced = 0;
	lk_program_threaded = lk_program_forked = 0;
	lk_writer_init(ppid, proc_flags);
}

/* Waits on lk_done_word to move past seen, at most ms milliseconds by the clock: a caller
 * whose thread takes a signal every millisecond sees each wait cut short. */
static bool lk_writer_wait_done(int seen, unsigned ms)
{
	uint64_t deadline = lk_now_ns() + (uint64_t)ms * 1000000u;
	while (__atomic_load_n(&lk_done_word, __ATOMIC_ACQUIRE) == seen) {
		if (lk_now_ns() >= deadline)
			return false;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 10000000};
		lk_futex(&lk_done_word, FUTEX_WAIT_PRIVATE, seen, &ts);
	}
	return true;
}

int lk_writer_detach(unsigned wait_ms)
{
	__atomic_store_n(&lk_thread_lazy, 0, __ATOMIC_RELEASE); /* no thread starts now */
	__atomic_store_n(&lk_ring_tick_fn, NULL, __ATOMIC_RELAXED);
	if (__atomic_load_n(&lk_thread_running, __ATOMIC_ACQUIRE) && !lk_disabled) {
		int seen = __atomic_load_n(&lk_done_word, __ATOMIC_ACQUIRE);
		lk_req_detach = 1;
		lk_req_final = 1;
		lk_writer_wake();
		if (!lk_writer_wait_done(seen, wait_ms))
			return -ETIMEDOUT; /* the thread is stopped (a tracer): ask again */
	} else if (!lk_disabled) {
		/* No thread yet: the snapshot here, once the lock is free (bounded: a thread
		 * stopped while holding it must not hang the caller). */
		uint64_t deadline = lk_now_ns() + (uint64_t)wait_ms * 1000000u;
		while (!lk_snap_trylock()) {
			if (lk_now_ns() >= deadline)
				return -ETIMEDOUT;
			struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
			nanosleep(&ts, NULL);
		}
		lk_snapshot_locked(TRACE_SNAP_FINAL, TRACE_END_DETACH, 0);
		lk_snap_unlock();
	}
	/* A hook may be starting the thread right now: its handle comes when pthread_create
	 * returns there. */
	uint64_t deadline = lk_now_ns() + (uint64_t)wait_ms * 1000000u;
	while (__atomic_load_n(&lk_thread_running, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&lk_writer_tid, __ATOMIC_ACQUIRE) && lk_now_ns() < deadline) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
		nanosleep(&ts, NULL);
	}
	if (__atomic_load_n(&lk_writer_tid, __ATOMIC_ACQUIRE)) {
		/* It leaves its loop once the final snapshot set lk_disabled. */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(wait_ms / 1000 + 1);
		int (*join)(pthread_t, void **, const struct timespec *) =
		    lk_real.pthread_timedjoin_np;
		int r = join ? join(lk_writer_tid, NULL, &until) : ENOSYS;
		if (r != 0)
			return -r;
		lk_writer_tid = 0;
	}
	lk_thread_running = 0;
	return 0;
}
