/* SPDX-License-Identifier: MIT */
/* proc_table.h - child processes and threads of the traced process. The hooks in
 * interpose_spawn.c, interpose_wait.c and interpose_thread.c report spawns, reaps, starts,
 * finishes, joins and detaches; the writer asks, through lk_proc_emit (emit.h), for the CHILD and
 * THREAD records whose state changed, after checking running children for zombies (waitid WNOWAIT,
 * which does not reap). Fixed tables, no malloc, one short spinlock per table. Any thread. */
#ifndef LEAK_PRELOAD_PROC_TABLE_H
#define LEAK_PRELOAD_PROC_TABLE_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#define LK_CHILD_MAX    4096
#define LK_THREAD_MAX   8192
#define LK_PROC_API_LEN 16
#define LK_PROC_CMD_LEN 96

/* --- children --- */

/* pid was spawned. autoreap: SIGCHLD was ignored (or SA_NOCLDWAIT) at spawn time, so the
 * kernel reaps it. key identifies it for a later lookup (popen's FILE *), may be NULL. */
void lk_proc_child_on_spawn(pid_t pid, uint32_t stack_id, uint64_t t_ns, const char *api,
                            const char *cmd, int autoreap, const void *key);
/* pid was reaped by wait*, which saw wstatus (a wait status as in <sys/wait.h>, or -1 when
 * the call did not say); untracked pids are ignored. */
void lk_proc_child_on_reap(pid_t pid, int wstatus);
/* pid of the running child spawned with `key`, or 0. */
pid_t lk_proc_child_by_key(const void *key);
/* The wait status a waitid siginfo stands for (CLD_EXITED, CLD_KILLED, CLD_DUMPED), else -1. */
int lk_proc_wstatus_of(const siginfo_t *si);
/* Current SIGCHLD disposition: 1 if children are reaped by the kernel. Children that exit
 * while it is set are reported as reaped automatically. */
void lk_proc_set_autoreap(int on);
int lk_proc_autoreap(void);

/* --- threads --- */

/* A thread is about to be created: reserve a slot (not reported until it started).
 * Returns the slot, or -1 when the table is full. */
int lk_proc_thread_reserve(uint32_t stack_id, uint64_t t_ns, int detached);
/* The real pthread_create failed: give the slot back. */
void lk_proc_thread_cancel(int slot);
/* pthread_create returned `th` for slot. */
void lk_proc_thread_on_created(int slot, pthread_t th);
/* In the new thread, before the start routine: its kernel tid and pthread_self(). */
void lk_proc_thread_on_start(int slot, pid_t tid, pthread_t self);
/* The thread's start routine returned or it called pthread_exit (idempotent). */
void lk_proc_thread_on_finish(int slot);
/* A successful pthread_join / tryjoin / timedjoin, and pthread_detach. */
void lk_proc_thread_on_join(pthread_t th);
void lk_proc_thread_on_detach(pthread_t th);

/* Fork child (called by the fork/vfork hook in the child): only the forking thread exists and
 * it has no children yet: empty both tables. */
void lk_proc_on_fork_child(void);

/* 1 if this process (a forked child: since the fork) spawned a child or created a thread. */
int lk_proc_has_own(void);

/* Idempotent; hooks call it (it initialises the fd table). Times are emitted relative to
 * the trace clock (trace_clock.h), like the descriptors'. */
void lk_proc_init(void);

/* leak_attach_begin (hooks inert): forgets the children and threads of an earlier window. */
void lk_proc_attach_reset(void);

#endif
