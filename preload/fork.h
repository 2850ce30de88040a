/* SPDX-License-Identifier: MIT */
/* fork.h - libleak across fork: the pthread_atfork handlers that quiesce every table around a
 * fork and, in a traced child (LEAK_FOLLOW_FORK=1), reset the other modules and start the
 * child's own trace. */
#ifndef LEAK_PRELOAD_FORK_H
#define LEAK_PRELOAD_FORK_H

/* Constructor context, once, after the writer is initialised. */
void lk_fork_install(void);

/* Guard held, before an exec that can find its program: 1 if this process is a traced child,
 * forked or exec'd (lk_fork_exec_child_init), whose exec needs no trace of its own (docs/DESIGN.md,
 * "fork then exec"): no snapshot written since the fork, no child or thread spawned, no descriptor
 * or temp file its trace would report. The heap it allocated since the fork is released by the exec
 * itself; the exec'd program's trace (ppid: the forking parent), if it has one, and the parent's
 * CHILD record describe it. */
int lk_fork_exec_quiet(void);

/* Guard held, snapshot lock held, as the process exits (exit, _exit, a return from main): 1 if
 * this is a traced child, forked or exec'd (lk_fork_exec_child_init), that leaves nothing of
 * its own, so it writes no trace at all: none written since it started (so no growth to
 * test), no child or thread spawned, no live heap block, no descriptor or temp file of its
 * own, and its parent is still the traced process that started it. Its exit status is the
 * parent's CHILD record (wstatus); the parent's trace names it. */
int lk_fork_exit_quiet(void);

/* Guard held, in the exec hook: the pid the new program's LEAK_EXECED_FROM names. The
 * process itself, if it has a trace of its own that the new program continues; its traced
 * parent for a vfork child and for a forked child that wrote no trace (its exec then leaves
 * none: lk_fork_exec_quiet), so that the new program knows it is a child. */
int lk_fork_exec_from(void);

/* Constructor context, before the trace file is set up: execed_from is LEAK_EXECED_FROM
 * (0 if unset). Returns 1 if it names a process other than this one: this program was exec'd
 * in a child of that traced process, and its trace is made by its first chunk, not at
 * start, so that it has none if it exits quiet. */
int lk_fork_exec_child_init(int execed_from);
/* Set by the fork hook around the real fork: in the child, the atfork handler then leaves the
 * lazy writer's start to lk_fork_child_settled, which the hook calls once it has emptied the
 * child's tables of children, threads and temp files. */
extern __thread int lk_fork_in_hook __attribute__((tls_model("initial-exec")));
void lk_fork_child_settled(void);

#endif
