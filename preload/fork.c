/* SPDX-License-Identifier: MIT */
/* fork.c - the fork protocol. Before fork every lock a hook or the writer may hold is taken
 * (in the writer's nesting order), so the child never inherits one held by a thread that does
 * not exist there; after it both sides release them. A traced child then forgets what belongs
 * to the parent (blocks, ring contents, unwinder memo, counters, what was emitted), restarts
 * the trace clock, asks for its own trace file (named and created by its first chunk: a child
 * that ends with nothing of its own writes none, lk_fork_exit_quiet) and lets its writer start
 * lazily. An
 * untraced child (LEAK_FOLLOW_FORK=0) only sets lk_disabled: its tables are never read again, so
 * they are left as they are (each page touched would be copied). The ordering is explained in
 * docs/DESIGN.md. */
#include "fork_hot.h"
#include "fork.h"
#include "python.h"
#include "config.h"
#include "emit.h"
#include "guard.h"
#include "heap_table.h"
#include "modules.h"
#include "fd_table.h"
#include "proc_table.h"
#include "reach.h"
#include "ring.h"
#include "sites.h"
#include "stack_table.h"
#include "sys.h"
#include "trace_clock.h"
#include "tracefile.h"
#include "unwind.h"
#include "vfork.h"
#include "writer.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static int lk_fork_prepared LK_FORK_HOT;
static int lk_fork_parent_pid LK_FORK_HOT;
static int lk_fork_threaded LK_FORK_HOT;     /* the parent had threads of its own */
static int lk_fork_traced_child LK_FORK_HOT; /* this process is a traced forked child */
/* This program was exec'd in a child of the traced process lk_fork_exec_parent, a child with
 * no trace of its own (lk_fork_exec_child_init): it too writes a trace only once it has
 * something to report. Its own fork does not change them (lk_fork_parent_pid is then this
 * process, for the forked child). */
static int lk_fork_exec_child LK_FORK_WARM;
static int lk_fork_exec_parent LK_FORK_WARM;
static int lk_fork_lazy_deferred LK_FORK_HOT; /* lk_writer_start_lazy waits for the hook */
__thread int lk_fork_in_hook __attribute__((tls_model("initial-exec")));

static void lk_fork_prepare(void)
{
	lk_fork_threaded = lk_writer_was_threaded();
	lk_writer_program_forked(); /* it may check it is single-threaded before the next one */
	lk_fork_prepared = lk_ready && !lk_disabled;
	if (!lk_fork_prepared)
		return;
	lk_fork_parent_pid = lk_sys_getpid();
	lk_clock_fork_prepare(); /* a traced child's t=0 */
	/* Lock order: snapshot, stacks, shards, modules (the writer nests them that way). No
	 * lock may be held by a thread that will not exist in the child. */
	lk_writer_fork_prepare();
	lk_py_lock();
	lk_stack_table_lock();
	lk_heap_table_fork_prepare();
	lk_modules_lock();
}

static void lk_fork_parent(void)
{
	if (!lk_fork_prepared)
		return;
	lk_modules_unlock();
	lk_heap_table_fork_parent();
	lk_stack_table_unlock();
	lk_py_unlock();
	lk_writer_fork_parent();
}

/* Traced child: a new trace with counters zeroed and every stack and module emitted again. */
static LK_FORK_TEXT void lk_fork_child_trace(void)
{
	lk_clock_start_forked();
	lk_sites_reset();
	lk_writer_restart(lk_fork_parent_pid);
	lk_modules_reset_emitted();
	lk_fd_emit_reset();
	lk_proc_emit_reset();
	if (lk_tracefile_fork_child() < 0)
		return; /* it warned and set lk_disabled */
	lk_fork_traced_child = 1;
	lk_reach_heap_inherited = 1; /* the parent's blocks are in no table of ours */
	/* Through the fork hook, the lazy writer starts only once the hook has emptied the child's
	 * tables (lk_fork_child_settled): its tick, which the hook's resets run (a descriptor
	 * marked dirty), could start the child's writer thread, whose first snapshot would then
	 * report the parent's threads as the child's. */
	if (lk_fork_in_hook)
		lk_fork_lazy_deferred = 1;
	else
		lk_writer_start_lazy();
}

LK_FORK_TEXT void lk_fork_child_settled(void)
{
	if (lk_fork_lazy_deferred) {
		lk_fork_lazy_deferred = 0;
		lk_writer_start_lazy();
	}
}

/* The traced process this one is a child of, forked or exec'd in a child (0: neither, the
 * traced program itself). */
static inline int lk_fork_traced_parent(void)
{
	return lk_fork_traced_child ? lk_fork_parent_pid
	       : lk_fork_exec_child ? lk_fork_exec_parent
	                            : 0;
}

int lk_fork_exec_quiet(void)
{
	return lk_fork_traced_parent() && !lk_proc_has_own() && !lk_fd_child_has_findings(1);
}

int lk_fork_exec_from(void)
{
	if (lk_in_vfork_child)
		return (int)getppid();
	int parent = lk_fork_traced_parent();
	return parent && lk_tracefile_unwritten() ? parent : lk_sys_getpid();
}

int lk_fork_exec_child_init(int execed_from)
{
	if (execed_from <= 0 || execed_from == lk_sys_getpid())
		return 0;
	lk_fork_exec_parent = execed_from;
	lk_fork_exec_child = 1;
	return 1;
}

LK_FORK_TEXT int lk_fork_exit_quiet(void)
{
	/* Still the parent's child: no one else's trace would say how it ended (a daemon()'s
	 * child, adopted, writes its own). */
	int parent = lk_fork_traced_parent();
	return parent && lk_tracefile_unwritten() && !lk_proc_has_own() &&
	       lk_heap_table_count() == 0 && !lk_fd_child_has_findings(0) &&
	       getppid() == parent; /* libc's: not through our syscall hook */
}

static LK_FORK_TEXT void lk_fork_child(void)
{
	lk_tracefile_after_fork_child();
	lk_unwind_fork_child(lk_fork_threaded);
	if (!lk_fork_prepared)
		return;
	int depth = lk_guard_depth;
	lk_guard_depth = 1;
	lk_modules_unlock();
	lk_stack_table_unlock();
	lk_py_unlock();
	if (lk_config.follow_fork) {
		lk_heap_table_fork_child(); /* the parent's blocks are not the child's */
		lk_ring_reset_after_fork();
		lk_unwind_reset_after_fork();
	}
	lk_writer_fork_child();
	if (lk_config.follow_fork)
		lk_fork_child_trace();
	else
		lk_disabled = 1;
	lk_guard_depth = depth;
}

void lk_fork_install(void)
{
	pthread_atfork(lk_fork_prepare, lk_fork_parent, lk_fork_child);
}
