/* SPDX-License-Identifier: MIT */
/* writer.h - the writer thread: drains the per-thread rings into per-stack counters (sites.h)
 * and, every LEAK_INTERVAL_MS or on request, appends one snapshot chunk to the trace
 * (docs/FORMAT.md). lk_writer_sync (emit.h) is the synchronous path for exit/exec. The
 * writer calls nothing of the life cycle (init.c, fork.c); they call it. */
#ifndef LEAK_PRELOAD_WRITER_H
#define LEAK_PRELOAD_WRITER_H

#include <stdint.h>

/* Constructor context, after lk_clock_start (trace_clock.h). proc_flags: PROCESS.flags. */
void lk_writer_init(int ppid, uint32_t proc_flags);

/* Starts the thread (lk_real.pthread_create). Returns 0 or -1 (then only sync writes happen). */
int lk_writer_start(void);

/* 1 while libleak's writer thread runs (it counts among the process's threads). */
int lk_writer_thread_running(void);

/* Async-signal-safe. Wakes the writer (it drains, snapshots if due or requested). */
void lk_writer_wake(void);

/* Async-signal-safe, from a signal handler. final=0: ask for a forced snapshot now (SIGUSR2)
 * and return. final=1: ask for the final snapshot with END reason signal/status signo, and
 * wait for it, at most about 2 s. */
void lk_writer_request_from_signal(int final, int signo);

/* Whether signo is one whose default death libleak precedes with the final snapshot:
 * SIGTERM, SIGINT, SIGHUP, SIGABRT. */
int lk_writer_final_signal(int signo);
/* Constructor context: final snapshot on each lk_writer_final_signal, a forced one on SIGUSR2,
 * each only where the host left the default disposition. */
void lk_writer_signals_install(void);
/* Async-signal-safe. The final-snapshot handler for such a signal (signo), again, if its
 * disposition is the default now: before the program's own handler re-raises it. */
void lk_writer_signal_retake(int signo);
/* leak_attach_end: each of those handlers still installed goes back to the default. */
void lk_writer_signals_uninstall(void);

/* dlclose hook, guard held, before the real dlclose: if stacks were interned since the last
 * snapshot, writes a snapshot now, so every STACK in the library is in the file while its
 * MODULE is the latest one covering those addresses (a later library may reuse the range). */
void lk_writer_flush_before_unload(void);

/* Python finalization began (python.c, inside a hook, guard held, no lock held): the final
 * snapshot now, flagged TRACE_SNAP_PY_FINALIZE; recording stops. Then at the process's real
 * end, lk_writer_end_after_final appends the END record with the real status (a later END
 * supersedes the one of the final snapshot, docs/FORMAT.md). */
void lk_writer_sync_py_finalize(void);
void lk_writer_end_after_final(int end_reason, int status);

/* Fork protocol (fork.c's pthread_atfork handlers, in this order around the other tables'
 * locks): prepare waits for any snapshot in progress and holds it off until parent/child. */
void lk_writer_fork_prepare(void);
void lk_writer_fork_parent(void);
/* Child: releases the lock; the parent's thread does not exist here. */
void lk_writer_fork_child(void);
/* Child starting its own trace (clock restarted, counters reset): PROCESS again with
 * ppid = parent_pid and flags | TRACE_PROC_FORKED, every stack again. */
void lk_writer_restart(int parent_pid);
/* Guard held, a forked child about to exec with nothing to report (fork.h): its trace file,
 * still unwritten, is removed instead of getting the exec's final snapshot. 1 if removed. */
int lk_writer_exec_discard(void);
/* Every process (the constructor, a forked child): the thread starts on first need (a ring
 * half full, an interval passed), unless the program is single-threaded and has forked
 * (lk_writer_program_forked): then only once the program has a thread of its own
 * (lk_writer_program_threaded). Until then the program's thread drains its ring and writes
 * the periodic snapshots itself, and the exiting thread the final one. */
void lk_writer_start_lazy(void);
/* The program started under the preload (or exec'd), when it need not stay single-threaded:
 * lazy as above, and the thread also starts when the program is about to block (a sleep, poll,
 * wait, accept, read: lk_writer_before_block), forked or not, so an idle program still gets
 * its periodic snapshots. A program that never blocks nor fills a ring before it calls
 * unshare(CLONE_NEWUSER) or counts its threads finds itself single-threaded. */
void lk_writer_start_lazy_main(void);
/* Guard held: the program is about to wait for a child (the wait family). As
 * lk_writer_before_block, except in a single-threaded program that has forked: no thread
 * starts there, and a snapshot due is written on the program's thread first. */
void lk_writer_before_wait(void);
/* Hook shape for the wait family. */
#define LK_BEFORE_WAIT()                                                                           \
	do {                                                                                       \
		if (__builtin_expect(__atomic_load_n(&lk_writer_block_pending, __ATOMIC_RELAXED),  \
		                     0))                                                           \
			LK_RECORD(lk_writer_before_wait());                                        \
	} while (0)
/* Nonzero while lk_writer_before_block has a thread to start. */
extern int lk_writer_block_pending;
/* Guard held: the program is about to block. */
void lk_writer_before_block(void);
/* LK_BEFORE_BLOCK's call, out of line (interpose_block.c): inline, the guard's code made the
 * hooks that use it (read, on every call) save six registers even when nothing was pending. */
void lk_writer_before_block_hook(void);
/* Hook shape: the thread's start, once, when the program is about to block. */
#define LK_BEFORE_BLOCK()                                                                          \
	do {                                                                                       \
		if (__builtin_expect(__atomic_load_n(&lk_writer_block_pending, __ATOMIC_RELAXED),  \
		                     0))                                                           \
			lk_writer_before_block_hook();                                             \
	} while (0)
/* The same for a read of descriptor fd (read, readv, stdio's reads): a regular file, a
 * directory, a block device or a memory device never keeps a read waiting for another
 * process, so reading one starts no thread (Python reads its modules with read() as it starts,
 * and a sampled Python then kept glibc's locked malloc for its whole run); a pipe, socket or
 * terminal does. Telling them apart costs an fstat while the start is pending (once an open
 * file, for a descriptor the descriptor table knows), for LK_READ_CHECKS of them; after that
 * a read starts the thread as any other. */
#define LK_READ_CHECKS 1024
void lk_writer_before_read_hook(int fd);
#define LK_BEFORE_READ(fd)                                                                         \
	do {                                                                                       \
		if (__builtin_expect(__atomic_load_n(&lk_writer_block_pending, __ATOMIC_RELAXED),  \
		                     0))                                                           \
			lk_writer_before_read_hook(fd);                                            \
	} while (0)
/* pthread_create hook, guard held, after the program created a thread. */
void lk_writer_program_threaded(void);
/* fork's prepare handler, in the parent: the program forks. */
void lk_writer_program_forked(void);
/* The program has created a thread since this process began (fork: since the fork). */
int lk_writer_was_threaded(void);
/* Lazy, and no thread may start yet (single-threaded, and has forked or samples): signal
 * handlers and hooks write the snapshots themselves. */
int lk_writer_lazy_alone(void);
/* Guard held, lazy and single-threaded: a periodic snapshot on this thread, if the snapshot
 * lock is free. */
void lk_writer_snapshot_here(void);

/* ---- attach mode (attach.c) ---- */

#include "varint.h"

/* leak_attach_begin (hooks inert): a new trace starts (PROCESS with proc_flags, every stack
 * and module again, counters at 0); the thread, once started (lazily), is joinable and named
 * "leak-writer". */
void lk_writer_attach_reset(int ppid, uint32_t proc_flags);
/* leak_attach_end: the final snapshot (END reason detach; by the thread if it runs, else
 * here), then the thread is joined. Waits at most about wait_ms for each; -ETIMEDOUT (the
 * thread or a holder of the snapshot lock is stopped: call again once it runs), or 0. */
int lk_writer_detach(unsigned wait_ms);
/* Set by attach.c: records appended to every snapshot after the descriptors and threads
 * (the pre-existing resources), and a call the thread makes before each periodic snapshot,
 * without the snapshot lock (modules loaded since: their GOT entries). */
extern void (*lk_writer_emit_fn)(trace_buf_t *b);
extern void (*lk_writer_poll_fn)(void);

#endif
