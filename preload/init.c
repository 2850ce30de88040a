/* init.c - libleak's life cycle: the constructor (settings, real functions, trace clock,
 * tables, trace file, writer thread, fork and signal handlers) and the exit path (final
 * snapshot with every live block, from atexit/at_quick_exit or the exit hooks). Everything
 * here runs before main or while the process ends, so it allocates nothing through malloc and
 * does its I/O through sys.c. */
#include "config.h"
#include "emit.h"
#include "fd_table.h"
#include "fork.h"
#include "guard.h"
#include "log.h"
#include "modules.h"
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
#include "writer.h"

#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LK_EXPORT __attribute__((visibility("default")))

static volatile int lk_exit_status;

/* An explicit exit() from the program gives END its status; a return from main reaches
 * glibc's exit internally and is caught by the __libc_start_main wrapper below. Either way
 * the exit path's frames are no roots for the reachability scan (reach.h). */
LK_EXPORT void exit(int status)
{
	typedef void (*lk_exit_fn)(int);
	static lk_exit_fn real_exit;
	__builtin_unwind_init();
	lk_reach_exit_from = lk_reach_sp();
	lk_exit_status = status;
	if (!real_exit)
		real_exit = (lk_exit_fn)lk_real_sym("exit");
	real_exit(status);
	__builtin_unreachable();
}

/* quick_exit runs the at_quick_exit handlers (ours, registered first, runs last and writes
 * the final snapshot) and then glibc's internal _exit, past our _exit hook: recording its
 * status here is what gives END the right one. */
LK_EXPORT void quick_exit(int status)
{
	typedef void (*lk_exit_fn)(int);
	static lk_exit_fn real_quick_exit;
	__builtin_unwind_init();
	lk_reach_exit_from = lk_reach_sp();
	lk_exit_status = status;
	if (!real_quick_exit)
		real_quick_exit = (lk_exit_fn)lk_real_sym("quick_exit");
	if (real_quick_exit)
		real_quick_exit(status);
	for (;;)
		syscall(SYS_exit_group, status);
}

/* Wrapping main is the only way to learn the status of a return from main (glibc calls
 * exit internally). Needs `__libc_start_main;` in preload/libleak.map. */
typedef int (*lk_main_fn)(int, char **, char **);
static lk_main_fn lk_host_main;

static int lk_main_wrapper(int argc, char **argv, char **envp)
{
	int status = lk_host_main(argc, argv, envp);
	lk_exit_status = status;
	lk_reach_exit_from = (uintptr_t)__builtin_frame_address(0) + 16; /* main's frames: dead */
	return status;
}

int __libc_start_main(lk_main_fn main_fn, int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void), void *stack_end);
LK_EXPORT int __libc_start_main(lk_main_fn main_fn, int argc, char **argv, void (*init)(void),
                                void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	typedef int (*lk_start_fn)(lk_main_fn, int, char **, void (*)(void), void (*)(void),
	                           void (*)(void), void *);
	lk_start_fn real_start = (lk_start_fn)lk_real_sym("__libc_start_main");
	lk_host_main = main_fn;
	return real_start(lk_main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}

static void lk_on_exit(void)
{
	if (!lk_ready || lk_disabled)
		return;
	int depth = lk_guard_depth;
	lk_guard_depth = 1;
	lk_writer_sync(1, TRACE_END_EXIT, lk_exit_status);
	lk_guard_depth = depth;
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

__attribute__((constructor)) static void lk_init(void)
{
	lk_init_settings();
	if (lk_config.disable)
		return; /* hooks stay pass-through: lk_ready is never set */
	if (lk_real_init() < 0) {
		lk_warn("cannot resolve the real malloc; profiling off", NULL, NULL);
		return;
	}
	int depth = lk_guard_depth;
	lk_guard_depth = 1;
	lk_clock_start();
	lk_stack_init();
	lk_modules_init();
	lk_fd_init(); /* descriptors open now are the inherited ones (no stack) */
	if (lk_tracefile_init() < 0)
		goto out; /* it warned and set lk_disabled */
	lk_ring_init();
	lk_writer_init((int)syscall(SYS_getppid), lk_config.execed ? TRACE_PROC_EXECED : 0);
	/* Both only fail when glibc cannot allocate the handler's slot: then the trace keeps
	 * the last periodic snapshot and has no END, as after _exit. */
	if (atexit(lk_on_exit) != 0 || at_quick_exit(lk_on_exit) != 0)
		lk_warn("cannot register the exit handler; the trace will have no final snapshot",
		        NULL, NULL);
	lk_fork_install();
	lk_writer_signals_install();
	lk_ready = 1;
	lk_writer_start();
out:
	lk_guard_depth = depth;
}
