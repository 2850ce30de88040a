/* SPDX-License-Identifier: MIT */
/* init.c - libleak's life cycle: the constructor (settings, real functions, trace clock,
 * tables, trace file, writer thread, fork and signal handlers) and the exit path (final
 * snapshot with every live block, from atexit/at_quick_exit or the exit hooks). Everything
 * here runs before main or while the process ends, so it allocates nothing through malloc and
 * does its I/O through sys.c. */
#include "attach.h"
#include "config.h"
#include "emit.h"
#include "fd_table.h"
#include "follow.h"
#include "fork.h"
#include "go_exit.h"
#include "guard.h"
#include "interpose_exit.h"
#include "log.h"
#include "modules.h"
#include "preload_order.h"
#include "node.h"
#include "python.h"
#include "reach.h"
#include "real.h"
#include "ring.h"
#include "sample.h"
#include "stack.h"
#include "sys.h"
#include "trace_clock.h"
#include "trace_format.h"
#include "tracefile.h"
#include "unwind.h"
#include "vfork.h"
#include "writer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void lk_on_exit(void)
{
	if (lk_py_finalized && lk_ready) { /* the final snapshot was taken as Python finalized */
		lk_writer_end_after_final(TRACE_END_EXIT, lk_exit_status);
		return;
	}
	if (!lk_ready || lk_disabled)
		return;
	int depth = lk_guard_depth;
	lk_guard_depth = 1;
	lk_writer_sync(1, TRACE_END_EXIT, lk_exit_status);
	lk_guard_restore(depth);
}

volatile int lk_exit_entry_lost;

/* The handler as atexit (which 1) and at_quick_exit (2) run it. In a vfork child (vfork.h),
 * whose exit() or quick_exit() ran the list in the memory it shares with its parent, it does
 * nothing (the trace and the state are the parent's) but note the entry gone, so that the
 * parent's own end runs the handler itself (lk_exit_run_lost). */
static void lk_on_exit_as(int which)
{
	if (lk_in_vfork_child) {
		__atomic_or_fetch(&lk_exit_entry_lost, which, __ATOMIC_SEQ_CST);
		return;
	}
	lk_on_exit();
}

static void lk_on_atexit(void)
{
	lk_on_exit_as(1);
}

static void lk_on_at_quick_exit(void)
{
	lk_on_exit_as(2);
}

void lk_exit_run_lost(int which)
{
	if (lk_in_vfork_child || !(__atomic_load_n(&lk_exit_entry_lost, __ATOMIC_SEQ_CST) & which))
		return;
	__atomic_and_fetch(&lk_exit_entry_lost, ~which, __ATOMIC_SEQ_CST);
	lk_on_exit();
}

/* Settings every module reads from the start, applied before LEAK_DISABLE is looked at (as
 * the hooks may consult them whether or not tracing starts). */
static void lk_init_settings(void)
{
	lk_config_init();
	lk_unwind_set_mode((lk_unwind_mode_t)lk_config.unwind);
	if (lk_sample_init(lk_config.sample_bytes) < 0) {
		lk_warn("LEAK_SAMPLE: out of memory, recording every allocation", NULL, NULL);
		lk_config.sample_bytes = 0;
	}
}

/* A process that must stay single-threaded to work: Chromium's (and Electron's) zygote,
 * started as `... --type=zygote`, refuses to fork once /proc/self/task shows a second
 * thread. glibc passes argc and argv to constructors. */
static int lk_init_must_stay_single(int argc, char **argv)
{
	for (int i = 1; argv && i < argc && argv[i]; i++)
		if (strcmp(argv[i], "--type=zygote") == 0)
			return 1;
	return 0;
}

void lk_init_exit_handlers(void)
{
	if (atexit(lk_on_atexit) != 0 || at_quick_exit(lk_on_at_quick_exit) != 0)
		lk_warn("cannot register the exit handler; the trace will have no final snapshot",
		        NULL, NULL);
}

__attribute__((constructor)) static void lk_init(int argc, char **argv)
{
	/* dlopen()ed into a running program (leak-attach): nothing at all until
	 * leak_attach_begin (attach.c), not even the settings. */
	if (lk_attach_loaded_late()) {
		lk_attach_mode = 1;
		return;
	}
	lk_init_settings();
	/* LEAK_FOLLOW_FORK=0: a program run by a child of the traced one is not traced. */
	if (!lk_config.disable && !lk_config.follow_fork && lk_parent_has_preload())
		lk_config.disable = 1;
	if (lk_config.disable)
		return; /* hooks stay pass-through: lk_ready is never set */
	if (lk_real_init() < 0) {
		lk_warn("cannot resolve the real malloc; profiling off", NULL, NULL);
		return;
	}
	int depth = lk_guard_depth;
	lk_guard_depth = 1;
	/* LEAK_UNWIND=libunwind: libunwind is loaded now, before any hook needs it. */
	if (lk_config.unwind == LK_UNWIND_LIBUNWIND && lk_unwind_load() < 0) {
		lk_warn("LEAK_UNWIND=libunwind: cannot load " LK_LIBUNWIND_SONAME
		        "; using the DWARF walker",
		        NULL, NULL);
		lk_unwind_set_mode(LK_UNWIND_DWARF);
	}
	lk_clock_start();
	lk_stack_init();
	lk_py_init();
	lk_node_init();
	lk_modules_init();
	lk_reach_init(); /* the loader's TLS figures, now: the scan may run in a signal handler */
	/* The descriptor table starts at first need (fd_table.h: lk_fd_init), not here. */
	if (lk_tracefile_init(lk_fork_exec_child_init((int)lk_config.execed_from)) < 0) {
		lk_node_restore_env(); /* no trace: node writes no perf map for it */
		goto out;              /* it warned and set lk_disabled */
	}
	lk_ring_init();
	lk_writer_init((int)syscall(SYS_getppid), lk_config.execed_from ? TRACE_PROC_EXECED : 0);
	/* Both only fail when glibc cannot allocate the handler's slot: then the trace keeps
	 * the last periodic snapshot and has no END, as after _exit. */
	lk_init_exit_handlers();
	lk_fork_install();
	lk_writer_signals_install();
	lk_go_exit_install();
	lk_preload_order_check();
	lk_ready = 1;
	lk_heap_sample_arm(); /* the heap hooks' sampled fast paths, from now on */
	if (lk_init_must_stay_single(argc, argv)) {
		/* No thread until the program has one; it forks, so none at a first need. */
		lk_writer_program_forked();
		lk_writer_start_lazy();
	} else {
		lk_writer_start_lazy_main();
	}
out:
	lk_guard_depth = depth;
}
