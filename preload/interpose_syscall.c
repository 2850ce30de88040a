/* SPDX-License-Identifier: MIT */
/* interpose_syscall.c - ways out that bypass exit() and _exit(): libc's syscall() with
 * SYS_exit_group (or SYS_exit from the last thread), and daemon(), whose parent leaves through
 * glibc's internal _exit. Each writes the final snapshot first, as the _exit hook does.
 *
 * syscall() is variadic and carries any system call, including vfork and clone, so its hook
 * is glibc's own stub in assembly: it looks at the number, and only for the two exits calls
 * into C (registers saved around the call) before making the system call itself. Every other
 * number costs two compares; the stack the kernel and the caller see is glibc's. Descriptor
 * numbers (close, dup3, accept4, ...) and those that change the cwd (chdir, fchdir, chroot,
 * unshare) go to lk_syscall_fd, below. */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "emit.h"
#include "fd_internal.h"
#include "fd_record.h"
#include "hook.h"
#include "interpose_exit.h"
#include "reach.h"
#include "sys.h"
#include "trace_format.h"
#include "tracefile.h"
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

/* --- descriptor calls made through syscall() -------------------------------------------- */

/* libuv (so node) closes with syscall(SYS_close, fd), to avoid close()'s cancellation point;
 * other runtimes make descriptors the same way. The numbers below go to lk_syscall_fd, which
 * makes the call as the libc wrapper's hook would (closes stay raw system calls, so still no
 * cancellation point) and records it. Bit n of the table is set for number n. */
#if defined(SYS_open)
#define LK_SC_FD_OLD(X) X(SYS_open) X(SYS_dup2) X(SYS_pipe)
#else
#define LK_SC_FD_OLD(X)
#endif
/* clang-format off */
#define LK_SC_FD_LIST(X)                                                                           \
	X(SYS_close) X(SYS_dup) X(SYS_dup3) X(SYS_close_range) X(SYS_socket) X(SYS_socketpair)     \
	X(SYS_accept) X(SYS_accept4) X(SYS_pipe2) X(SYS_eventfd2) X(SYS_epoll_create1)             \
	X(SYS_timerfd_create) X(SYS_inotify_init1) X(SYS_memfd_create) X(SYS_pidfd_open)           \
	X(SYS_pidfd_getfd) X(SYS_openat) X(SYS_chdir) X(SYS_fchdir) X(SYS_chroot) X(SYS_unshare)   \
	LK_SC_FD_OLD(X)
/* clang-format on */
#define LK_SC_WORD(w)    (0 LK_SC_FD_LIST(LK_SC_BIT_##w))
#define LK_SC_BIT_(n, w) | ((n) / 64 == (w) ? 1ULL << ((n) % 64) : 0)
#define LK_SC_BIT_0(n)   LK_SC_BIT_(n, 0)
#define LK_SC_BIT_1(n)   LK_SC_BIT_(n, 1)
#define LK_SC_BIT_2(n)   LK_SC_BIT_(n, 2)
#define LK_SC_BIT_3(n)   LK_SC_BIT_(n, 3)
#define LK_SC_BIT_4(n)   LK_SC_BIT_(n, 4)
#define LK_SC_BIT_5(n)   LK_SC_BIT_(n, 5)
#define LK_SC_BIT_6(n)   LK_SC_BIT_(n, 6)
#define LK_SC_BIT_7(n)   LK_SC_BIT_(n, 7)
__attribute__((used, visibility("hidden"))) const uint64_t lk_syscall_fd_bits[8] = {
    LK_SC_WORD(0), LK_SC_WORD(1), LK_SC_WORD(2), LK_SC_WORD(3),
    LK_SC_WORD(4), LK_SC_WORD(5), LK_SC_WORD(6), LK_SC_WORD(7),
};
_Static_assert(SYS_pidfd_getfd < 8 * 64 && SYS_close_range < 8 * 64 && SYS_unshare < 8 * 64,
               "fd syscall table");

/* The raw system call, -1 and errno on failure as syscall() returns it. */
static long lk_raw(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long rc = lk_sys_raw(nr, a, b, c, 0);
#else
	__typeof__(lk_real.syscall) fn = LK_REAL(syscall);
	return fn ? fn(nr, a, b, c) : (errno = ENOSYS, -1);
#endif
	if (rc < 0 && rc > -4096) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

__attribute__((used, visibility("hidden"))) long lk_syscall_fd(long nr, long a0, long a1, long a2,
                                                               long a3, long a4, long a5);
__attribute__((used, visibility("hidden"))) long lk_syscall_fd(long nr, long a0, long a1, long a2,
                                                               long a3, long a4, long a5)
{
	(void)a4;
	(void)a5;
	switch (nr) {
	case SYS_close: {
		int fd = (int)a0;
		lk_tracefile_yield(fd);
		lk_fd_close_before(fd);
		return lk_raw(SYS_close, fd, 0, 0);
	}
	case SYS_close_range:
		return close_range((unsigned)a0, (unsigned)a1, (int)a2);
	case SYS_dup:
		return dup((int)a0);
	case SYS_dup3:
		return dup3((int)a0, (int)a1, (int)a2);
	case SYS_socket:
		return socket((int)a0, (int)a1, (int)a2);
	case SYS_socketpair:
		return socketpair((int)a0, (int)a1, (int)a2, (int *)a3);
	case SYS_accept:
		return accept((int)a0, (struct sockaddr *)a1, (socklen_t *)a2);
	case SYS_accept4:
		return accept4((int)a0, (struct sockaddr *)a1, (socklen_t *)a2, (int)a3);
	case SYS_pipe2:
		return pipe2((int *)a0, (int)a1);
	case SYS_eventfd2:
		return eventfd((unsigned)a0, (int)a1);
	case SYS_epoll_create1:
		return epoll_create1((int)a0);
	case SYS_timerfd_create:
		return timerfd_create((int)a0, (int)a1);
	case SYS_inotify_init1:
		return inotify_init1((int)a0);
	case SYS_memfd_create:
		return memfd_create((const char *)a0, (unsigned)a1);
	case SYS_pidfd_open:
		return pidfd_open((pid_t)a0, (unsigned)a1);
	case SYS_pidfd_getfd:
		return pidfd_getfd((int)a0, (int)a1, (unsigned)a2);
#if defined(SYS_open)
	case SYS_open:
		return open((const char *)a0, (int)a1, (mode_t)a2);
	case SYS_dup2:
		return dup2((int)a0, (int)a1);
	case SYS_pipe:
		return pipe((int *)a0);
#endif
	case SYS_openat:
		return openat((int)a0, (const char *)a1, (int)a2, (mode_t)a3);
	case SYS_chdir: /* the cached cwd (fd_cwd.h) learns of these */
		return chdir((const char *)a0);
	case SYS_fchdir:
		return fchdir((int)a0);
	case SYS_chroot:
		return chroot((const char *)a0);
	case SYS_unshare:
		return unshare((int)a0);
	}
	return lk_raw(nr, a0, a1, a2);
}

#if defined(__x86_64__)
/* glibc's sysdeps/unix/sysv/linux/x86_64/syscall.S, with the two exits looked at first, and
 * the descriptor numbers of lk_syscall_fd_bits sent to lk_syscall_fd (a tail jump: its
 * arguments are syscall()'s, in the same registers and stack slot). */
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
                                          "	cmpq $511, %rdi\n"
                                          "	ja 1f\n"
                                          "	btq %rdi, lk_syscall_fd_bits(%rip)\n"
                                          "	jc lk_syscall_fd\n"
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
	else if (nr >= 0 && nr < 512 && (lk_syscall_fd_bits[nr / 64] >> (nr % 64) & 1))
		return lk_syscall_fd(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
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
