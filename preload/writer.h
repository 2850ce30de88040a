/* writer.h - the writer thread: drains the per-thread rings into per-stack counters and, every
 * LEAK_INTERVAL_MS or on request, appends one snapshot chunk to the trace (docs/FORMAT.md).
 * lk_writer_sync (emit.h) is the synchronous path for exit/exec. */
#ifndef LEAK_PRELOAD_WRITER_H
#define LEAK_PRELOAD_WRITER_H

#include <stdint.h>

/* Constructor context, after lk_clock_start (trace_clock.h). proc_flags: PROCESS.flags. */
void lk_writer_init(int ppid, uint32_t proc_flags);

/* Starts the thread (lk_real.pthread_create). Returns 0 or -1 (then only sync writes happen). */
int lk_writer_start(void);

/* Async-signal-safe. Wakes the writer (it drains, snapshots if due or requested). */
void lk_writer_wake(void);

/* Async-signal-safe, from a signal handler. final=0: ask for a forced snapshot now (SIGUSR2)
 * and return. final=1: ask for the final snapshot with END reason signal/status signo, and
 * wait for it, at most about 2 s. */
void lk_writer_request_from_signal(int final, int signo);

/* dlclose hook, guard held, before the real dlclose: if stacks were interned since the last
 * snapshot, writes a snapshot now, so every STACK in the library is in the file while its
 * MODULE is the latest one covering those addresses (a later library may reuse the range). */
void lk_writer_flush_before_unload(void);

/* Fork protocol (called from init.c's pthread_atfork handlers, in this order around the
 * other tables' locks): prepare waits for any snapshot in progress and holds it off. */
void lk_writer_fork_prepare(void);
void lk_writer_fork_parent(void);
/* Child: follow=1 starts a new trace (new file for the child pid, PROCESS flags bit0,
 * ppid = parent, counters zeroed, every stack and module emitted again, new thread);
 * follow=0 leaves the child silent. */
void lk_writer_fork_child(int follow, int parent_pid);

#endif
