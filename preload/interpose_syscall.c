/* SPDX-License-Identifier: MIT */
/* interpose_syscall.c - ways out that bypass exit() and _exit(): libc's syscall() with
 * SYS_exit_group (or SYS_exit from the last thread), and daemon(), whose parent leaves through
 * glibc's internal _exit. Each writes the final snapshot first, as the _exit hook does.
 *
 * syscall() is variadic and carries any system call, including vfork and clone, so its hook
 * is glibc's own stub in assembly: it looks at the number, and only for the two exits calls
 * into C (registers saved around the call) before making the system call itself. Every other
 * number costs two compares; the stack the kernel and the caller see is glibc's. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "emit.h"
#include "hook.h"
#include "interpose_exit.h"
#include "reach.h"
#include "sys.h"
#include "trace_format.h"
#include "writer.h"

#define LK_STR_(x) #x
#define LK_STR(x)  LK_STR_(x)

/* /proc/self/stat's num_threads, or 0 if unreadable. */
static long lk_thread_count(void)
{
	char state;
	long threads;
	return lk_sys_self_stat(&state, &threads) == 0 ? threads : 0;
}

/* The system call to make instead of nr: the same, or SYS_exit_group when the last program
 * thread leaves with SYS_exit while libleak's writer runs (the writer would keep the process
 * alive; the status the parent sees is the same either way). */
__attribute__((used, visibility("hidden"))) long lk_syscall_exit_hook(long nr, long status);
__attribute__((used, visibility("hidden"), noinline)) long lk_syscall_exit_hook(long nr,
                                                                                long status)
{
	if (!lk_ready || lk_disabled || lk_guard_depth)
		return nr;
	/* SYS_exit ends the process only from its last thread (libleak's writer aside). */
	int writer = lk_writer_thread_running();
	if (nr == SYS_exit && lk_thread_count() != 1 + writer)
		return nr;
	__builtin_unwind_init();
	lk_reach_exit_from = lk_reach_sp();
	lk_exit_status = (int)status;
	LK_RECORD(lk_writer_sync(1, TRACE_END_EXIT, (int)status));
	return writer ? SYS_exit_group : nr;
}

__attribute__((used, visibility("hidden"))) long lk_syscall_errno(long neg);
__attribute__((used, visibility("hidden"))) long lk_syscall_errno(long neg)
{
	errno = (int)-neg;
	return -1;
}

#if defined(__x86_64__)
/* glibc's sysdeps/unix/sysv/linux/x86_64/syscall.S, with the two exits looked at first. */
__asm__(".text\n"
        ".globl syscall\n"
        ".type syscall,@function\n"
        ".p2align 4\n"
        "syscall:\n"
        "	.cfi_startproc\n"
        "	cmpq $" LK_STR(
            SYS_exit_group) ", %rdi\n"
                            "	je 2f\n"
                            "	cmpq $" LK_STR(
                                SYS_exit) ", %rdi\n"
                                          "	je 2f\n"
                                          "1:	movq %rdi, %rax\n"
                                          "	movq %rsi, %rdi\n"
                                          "	movq %rdx, %rsi\n"
                                          "	movq %rcx, %rdx\n"
                                          "	movq %r8, %r10\n"
                                          "	movq %r9, %r8\n"
                                          "	movq 8(%rsp), %r9\n"
                                          "	syscall\n"
                                          "	cmpq $-4095, %rax\n"
                                          "	jae 3f\n"
                                          "	ret\n"
                                          "3:	movq %rax, %rdi\n"
                                          "	jmp lk_syscall_errno\n"
                                          "2:	pushq %rdi\n"
                                          "	.cfi_adjust_cfa_offset 8\n"
                                          "	pushq %rsi\n"
                                          "	.cfi_adjust_cfa_offset 8\n"
                                          "	pushq %rdx\n"
                                          "	.cfi_adjust_cfa_offset 8\n"
                                          "	pushq %rcx\n"
                                          "	.cfi_adjust_cfa_offset 8\n"
                                          "	pushq %r8\n"
                                          "	.cfi_adjust_cfa_offset 8\n"
                                          "	pushq %r9\n"
                                          "	.cfi_adjust_cfa_offset 8\n"
                                          "	subq $8, %rsp\n"
                                          "	.cfi_adjust_cfa_offset 8\n"
                                          "	call lk_syscall_exit_hook\n"
                                          "	movq %rax, 48(%rsp)\n" /* the number to make: into
                                                                          the saved %rdi */
                                          "	addq $8, %rsp\n"
                                          "	.cfi_adjust_cfa_offset -8\n"
                                          "	popq %r9\n"
                                          "	.cfi_adjust_cfa_offset -8\n"
                                          "	popq %r8\n"
                                          "	.cfi_adjust_cfa_offset -8\n"
                                          "	popq %rcx\n"
                                          "	.cfi_adjust_cfa_offset -8\n"
                                          "	popq %rdx\n"
                                          "	.cfi_adjust_cfa_offset -8\n"
                                          "	popq %rsi\n"
                                          "	.cfi_adjust_cfa_offset -8\n"
                                          "	popq %rdi\n"
                                          "	.cfi_adjust_cfa_offset -8\n"
                                          "	jmp 1b\n"
                                          "	.cfi_endproc\n"
                                          ".size syscall, .-syscall\n");
#else
#include <stdarg.h>
/* Elsewhere: six register-sized arguments, as glibc's C callers pass them. */
LK_EXPORT long syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	long a[6];
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_exit_group || nr == SYS_exit)
		nr = lk_syscall_exit_hook(nr, a[0]);
	LK_REAL_OR(syscall, -1);
	return fn(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif

/* glibc's daemon() (misc/daemon.c), with its fork and its parent's _exit going through
 * libleak's hooks: the child gets its own trace, the parent's ends with status 0. Its other
 * calls are the real ones, unrecorded, as glibc's internal ones are. */
LK_EXPORT int daemon(int nochdir, int noclose)
{
	switch (fork()) {
	case -1:
		return -1;
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		return -1;
	if (!nochdir)
		(void)chdir("/");
	if (!noclose) {
		struct stat st;
		int fd = (int)syscall(SYS_open, "/dev/null", O_RDWR, 0);
		if (fd != -1 && fstat(fd, &st) == 0) {
			if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
				syscall(SYS_dup2, fd, STDIN_FILENO);
				syscall(SYS_dup2, fd, STDOUT_FILENO);
				syscall(SYS_dup2, fd, STDERR_FILENO);
				if (fd > 2)
					syscall(SYS_close, fd);
			} else {
				syscall(SYS_close, fd);
				errno = ENODEV;
				return -1;
			}
		} else {
			if (fd != -1)
				syscall(SYS_close, fd);
			return -1;
		}
	}
	return 0;
}
