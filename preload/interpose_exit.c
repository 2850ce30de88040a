/* SPDX-License-Identifier: MIT */
/* interpose_exit.c - how the process ends: exit and quick_exit (their status, for END; the
 * final snapshot is written by init.c's atexit/at_quick_exit handler), the __libc_start_main
 * wrapper (the status of a return from main), and _exit/_Exit, which skip atexit and so write
 * the final snapshot themselves. On each way out, the frames of the exit path are marked as no
 * roots for the reachability scan (reach.h). And raise/kill: a SIGTERM, SIGINT, SIGHUP or SIGABRT
 * the program's own handler sends again to end the process gets its final snapshot first. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emit.h"
#include "hook.h"
#include "interpose_exit.h"
#include "reach.h"
#include "sys.h"
#include "trace_format.h"
#include "vfork.h"
#include "writer.h"

volatile int lk_exit_status;

/* An explicit exit() from the program gives END its status; a return from main reaches
 * glibc's exit internally and is caught by the __libc_start_main wrapper below. */
LK_EXPORT void exit(int status)
{
	__builtin_unwind_init();
	if (!lk_in_vfork_child) { /* a vfork child's exit is no end of its parent's */
		lk_reach_exit_from = lk_reach_sp();
		lk_exit_status = status;
		__atomic_store_n(&lk_exit_begun, 1, __ATOMIC_RELAXED);
		lk_exit_run_lost(1);
	}
	__typeof__(lk_real.exit) fn = LK_REAL(exit);
	if (fn)
		fn(status);
	for (;;)
		syscall(SYS_exit_group, status);
}

/* quick_exit runs the at_quick_exit handlers (ours, registered first, runs last and writes
 * the final snapshot) and then glibc's internal _exit, past our _exit hook: recording its
 * status here is what gives END the right one. */
LK_EXPORT void quick_exit(int status)
{
	__builtin_unwind_init();
	if (!lk_in_vfork_child) {
		lk_reach_exit_from = lk_reach_sp();
		lk_exit_status = status;
		__atomic_store_n(&lk_exit_begun, 1, __ATOMIC_RELAXED);
		lk_exit_run_lost(2);
	}
	__typeof__(lk_real.quick_exit) fn = LK_REAL(quick_exit);
	if (fn)
		fn(status);
	for (;;)
		syscall(SYS_exit_group, status);
}

/* Wrapping main is the only way to learn the status of a return from main (glibc calls
 * exit internally). */
typedef int (*lk_main_fn)(int, char **, char **);
static lk_main_fn lk_host_main;

static int lk_main_wrapper(int argc, char **argv, char **envp)
{
	int status = lk_host_main(argc, argv, envp);
	lk_exit_status = status;
	lk_reach_exit_from = (uintptr_t)__builtin_frame_address(0) + 16; /* main's frames: dead */
	__atomic_store_n(&lk_exit_begun, 1, __ATOMIC_RELAXED);
	lk_exit_run_lost(1);
	return status;
}

LK_EXPORT int __libc_start_main(lk_main_fn main_fn, int argc, char **argv, void (*init)(void),
                                void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	lk_host_main = main_fn;
	return LK_REAL(__libc_start_main)(lk_main_wrapper, argc, argv, init, fini, rtld_fini,
	                                  stack_end);
}

/* _exit skips atexit, so the final snapshot is written here: a forked child that ends with
 * _exit (the usual way) would otherwise leave a trace without END. glibc's exit() reaches
 * its internal _exit, not this one, after the atexit handler already wrote the snapshot. */
static void lk_exit_now(void (*fn)(int), int status) __attribute__((noreturn));
static void lk_exit_now(void (*fn)(int), int status)
{
	LK_RECORD(lk_writer_sync(1, TRACE_END_EXIT, status));
	if (fn)
		fn(status);
	for (;;)
		syscall(SYS_exit_group, status);
}

LK_EXPORT void _exit(int status)
{
	lk_exit_now(LK_REAL(_exit), status);
}

LK_EXPORT void _Exit(int status)
{
	lk_exit_now(LK_REAL(_Exit), status);
}

/* --- SIGTERM, SIGINT, SIGHUP or SIGABRT re-raised by the program's own handler ----------- */

/* Bit signo: the program installed a handler of its own for one of the signals that get the
 * final snapshot (lk_writer_final_signal), in place of libleak's, at some point. */
static volatile unsigned lk_fatal_own_handler;

void lk_exit_note_disposition(int signo, int own_handler)
{
	if (own_handler && lk_writer_final_signal(signo) && !lk_in_vfork_child)
		__atomic_or_fetch(&lk_fatal_own_handler, 1u << signo, __ATOMIC_RELAXED);
}

/* A program that handles one of these signals ends by it the default way through its
 * handler: node's, installed with SA_RESETHAND, calls raise(signo) (the signal, blocked while
 * the handler runs, kills as it returns), and C programs write signal(signo, SIG_DFL);
 * raise(signo). libleak's handler is gone, and the process would die without its final
 * snapshot. When the signal sent will end the process (its disposition is the default, and
 * this thread does not block it, so raise delivers it at once, or blocks it because the
 * program's handler for it is running), libleak's handler takes the default's place again:
 * it writes the snapshot, then dies of the signal the default way, and when the thread was
 * inside libleak (a handler that interrupted a hook: its locks may be held) it waits for the
 * hook to be left first (writer_sync.c). */
static void lk_exit_before_raise(int signo)
{
	if (!lk_writer_final_signal(signo) || lk_in_vfork_child || lk_disabled || !lk_ready)
		return;
	uint64_t mask = 0;
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, sizeof(mask)) != 0)
		return;
	if (((mask >> (signo - 1)) & 1) &&
	    !(__atomic_load_n(&lk_fatal_own_handler, __ATOMIC_RELAXED) & (1u << signo)))
		return; /* pending until unblocked: perhaps for a sigwait, not for death */
	lk_writer_signal_retake(signo);
}

LK_EXPORT int raise(int signo)
{
	LK_REAL_OR(raise, -1);
	int saved = errno;
	lk_exit_before_raise(signo);
	errno = saved;
	return fn(signo);
}

LK_EXPORT int kill(pid_t pid, int signo)
{
	LK_REAL_OR(kill, -1);
	if (pid > 0 && lk_writer_final_signal(signo) && pid == lk_sys_getpid()) {
		int saved = errno;
		lk_exit_before_raise(signo);
		errno = saved;
	}
	return fn(pid, signo);
}
