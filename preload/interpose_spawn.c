/* SPDX-License-Identifier: MIT */
/* interpose_spawn.c - child processes the program makes: fork, vfork, posix_spawn*, and popen
 * with its pclose (a child and a pipe at once), feeding proc_table.c (and fd_table.c for
 * popen's pipe). On x86_64 vfork is a real vfork (a stub in assembly below, vfork.h): the
 * child borrows the parent's memory until it execs, so a spawn costs no copy of the page
 * tables; libleak records nothing in the child and the parent records it when vfork returns.
 * Elsewhere, attached to a running program, under a shadow stack, or when one of the parent's
 * descriptors would cross the child's exec (a finding only a child trace of its own can
 * report), vfork is served by the real fork, as POSIX allows.
 * system() is not hooked: it reaps its own child before returning, so it can leak nothing.
 * Whether SIGCHLD is ignored is read at spawn time (such a child is reaped by the kernel).
 * Each hook has hook.h's shape. */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd_record.h"
#include "fork_hot.h"
#include "fork.h"
#include "hook.h"
#include "proc_table.h"
#include "stack.h"
#include "attach.h"
#include "fd_table.h"
#include "sys.h"
#include "trace_format.h"
#include "vfork.h"

/* Is SIGCHLD ignored or SA_NOCLDWAIT now (children reaped by the kernel)? */
static int lk_sigchld_autoreap(void)
{
	struct sigaction old;
	__typeof__(lk_real.sigaction) fn = LK_REAL(sigaction);
	if (!fn || fn(SIGCHLD, NULL, &old) != 0)
		return 0;
	return (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN) ||
	       (old.sa_flags & SA_NOCLDWAIT);
}

/* Guard held. */
static void lk_spawned(pid_t pid, const char *api, const char *cmd, int autoreap)
{
	lk_proc_init();
	lk_proc_child_on_spawn(pid, lk_stack_capture(), lk_now_ns(), api, cmd, autoreap, NULL);
}

/* --- fork, vfork, posix_spawn --------------------------------------------------------- */

/* always_inline, as every helper holding an LK_RECORD: the stack is walked from the frame
 * of the hook the program called (hook.h). */
static __attribute__((always_inline)) inline pid_t lk_fork_as(const char *api)
{
	LK_REAL_OR(fork, -1);
	/* Off (LEAK_DISABLE=1, not ready yet): nothing to record, and a child that ran the resets
	 * below would fault in a page of ours in every fork. */
	bool on = lk_ready && !lk_disabled;
	int autoreap = on ? lk_sigchld_autoreap() : 0;
	lk_fork_in_hook = 1;
	pid_t pid = fn();
	lk_fork_in_hook = 0;
	if (pid > 0) {
		LK_RECORD(lk_spawned(pid, api, NULL, autoreap));
	} else if (pid == 0 && on && !lk_disabled) {
		/* The child: its own children and threads start empty, its temp files are the
		 * parent's; descriptors stay, and go into its new trace (fork.c's atfork child
		 * handler already asked for that through lk_fd_emit_reset). An untraced child
		 * (LEAK_FOLLOW_FORK=0) never reads these tables again: they are left alone. */
		int saved = errno;
		lk_fd_on_fork_child();
		lk_proc_on_fork_child();
		lk_fork_child_settled();
		errno = saved;
	}
	return pid;
}

LK_EXPORT LK_FORK_TEXT pid_t fork(void)
{
	return lk_fork_as("fork");
}

/* --- vfork ---------------------------------------------------------------------------- */

#if defined(__x86_64__)
/* Called from the stub below only. */
int lk_vfork_mode(void);
pid_t lk_vfork_as_fork(void);
pid_t lk_vfork_child(void);
pid_t lk_vfork_parent(long rc);
pid_t lk_vfork_plain(long rc);

/* The stub's choice, before the call: 1 a recorded vfork, 2 a plain one (nothing to record:
 * libleak off or not ready, inside libleak, or already a vfork child), 0 the fork path. */
/* Is a shadow stack (CET) on? The stub's pop and push of the return address would not match
 * it (glibc's own vfork has a path of its own for that): then vfork forks. Asked once. */
static int lk_vfork_shstk(void)
{
	static int known; /* 0 unknown, 1 off, 2 on */
	if (!known) {
		unsigned long features = 0;
		/* ARCH_SHSTK_STATUS; kernels without shadow stacks say EINVAL */
		long rc = syscall(SYS_arch_prctl, 0x5005, &features);
		known = rc == 0 && (features & 1) ? 2 : 1;
	}
	return known == 2;
}

__attribute__((used, visibility("hidden"))) int lk_vfork_mode(void)
{
	if (lk_vfork_shstk())
		return 0;
	if (lk_in_vfork_child || lk_guard_depth || !lk_ready || lk_disabled)
		return 2;
	if (lk_attach_mode || lk_fd_parent_crosses_exec())
		return 0;
	return 1;
}

__attribute__((used, visibility("hidden"))) pid_t lk_vfork_as_fork(void)
{
	return lk_fork_as("vfork");
}

/* The child of a recorded vfork, returning to the program: every hook passes straight
 * through until exec or _exit (exec's hook still gives the new program its environment). */
__attribute__((used, visibility("hidden"))) pid_t lk_vfork_child(void)
{
	lk_guard_depth = 1;
	lk_in_vfork_child = (int)syscall(SYS_getppid);
	return 0;
}

/* The parent of a recorded vfork (rc: the system call's result), its child gone to exec or
 * _exit: takes its thread-local state back from the child (the guard the child set is held
 * for this thread now) and records the child as fork does; leaving the guard then runs what a
 * signal that came meanwhile deferred. */
__attribute__((used, visibility("hidden"))) pid_t lk_vfork_parent(long rc)
{
	int saved = errno;
	lk_in_vfork_child = 0;
	lk_guard_depth = 1;
	lk_vfork_unmap();
	if (rc >= 0 && lk_ready && !lk_disabled)
		lk_spawned((pid_t)rc, "vfork", NULL, lk_sigchld_autoreap());
	errno = rc < 0 ? (int)-rc : saved;
	lk_guard_leave();
	return rc < 0 ? -1 : (pid_t)rc;
}

/* A plain vfork's return, in the child and the parent. Nothing is recorded, but the child is
 * still a vfork child for the hooks it passes through (a trace descriptor it closes is only its
 * copy): it is marked unless it is one already (a vfork child's vfork), and the parent takes
 * the mark back only if it was its own child's (it holds this process's pid). */
__attribute__((used, visibility("hidden"))) pid_t lk_vfork_plain(long rc)
{
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	int saved = errno;
	if (rc == 0 && !lk_in_vfork_child)
		lk_in_vfork_child = (int)syscall(SYS_getppid);
	else if (rc > 0 && lk_in_vfork_child == (int)syscall(SYS_getpid))
		lk_in_vfork_child = 0;
	errno = saved;
	return (pid_t)rc;
}

/* vfork itself: no C frame of libleak's may be live across the system call, since the child
 * returns through the same stack and overwrites it. As glibc's vfork does, the return address
 * is popped into %rdi (the kernel keeps it there, in both processes) and pushed back after
 * the call; then a tail jump into C, which returns to the program. */
__asm__(".text\n"
        ".globl vfork\n"
        ".type vfork, @function\n"
        ".p2align 4\n"
        "vfork:\n"
        ".cfi_startproc\n"
        ".byte 0xf3, 0x0f, 0x1e, 0xfa\n" /* endbr64 */
        "subq $8, %rsp\n"
        ".cfi_adjust_cfa_offset 8\n"
        "call lk_vfork_mode\n"
        "addq $8, %rsp\n"
        ".cfi_adjust_cfa_offset -8\n"
        "testl %eax, %eax\n"
        "jz lk_vfork_as_fork\n"
        "movl %eax, %esi\n"
        "popq %rdi\n"
        ".cfi_adjust_cfa_offset -8\n"
        ".cfi_register %rip, %rdi\n"
        "movl $58, %eax\n" /* SYS_vfork */
        "syscall\n"
        "pushq %rdi\n"
        ".cfi_adjust_cfa_offset 8\n"
        ".cfi_offset %rip, -8\n"
        "movq %rax, %rdi\n"
        "cmpl $2, %esi\n"
        "je lk_vfork_plain\n"
        "testq %rax, %rax\n"
        "jz lk_vfork_child\n"
        "jmp lk_vfork_parent\n"
        ".cfi_endproc\n"
        ".size vfork, .-vfork\n");
#else
LK_EXPORT pid_t vfork(void)
{
	return lk_fork_as("vfork");
}
#endif

LK_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	LK_REAL_OR(posix_spawn, ENOSYS);
	pid_t own = 0;
	pid_t *p = pid ? pid : &own;
	int autoreap = lk_sigchld_autoreap();
	int rc = fn(p, path, fa, attr, argv, envp);
	if (rc == 0 && *p > 0)
		LK_RECORD(lk_spawned(*p, "posix_spawn", path, autoreap));
	return rc;
}

LK_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	LK_REAL_OR(posix_spawnp, ENOSYS);
	pid_t own = 0;
	pid_t *p = pid ? pid : &own;
	int autoreap = lk_sigchld_autoreap();
	int rc = fn(p, file, fa, attr, argv, envp);
	if (rc == 0 && *p > 0)
		LK_RECORD(lk_spawned(*p, "posix_spawnp", file, autoreap));
	return rc;
}

/* --- popen / pclose ------------------------------------------------------------------- */

/* glibc keeps popen's child pid right after the FILE and its vtable pointer (struct
 * _IO_proc_file in libio/iopopen.c, unchanged since 1997). The value is only trusted if
 * waitid(WNOWAIT) confirms it is our child. */
struct lk_proc_file {
	FILE file;
	const void *vtable;
	pid_t pid;
};

static pid_t lk_popen_pid(FILE *fp)
{
	pid_t pid = ((struct lk_proc_file *)fp)->pid;
	if (pid <= 0)
		return 0;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (syscall(SYS_waitid, P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT, NULL) != 0)
		return 0;
	return pid;
}

/* Guard held: the child (found by its FILE at pclose) and the pipe, with one stack. */
static void lk_popened(FILE *fp, const char *cmd, const char *type, int autoreap)
{
	lk_proc_init();
	uint32_t stack = lk_stack_capture();
	uint64_t now = lk_now_ns();
	pid_t pid = lk_popen_pid(fp);
	if (pid > 0)
		lk_proc_child_on_spawn(pid, stack, now, "popen", cmd, autoreap, fp);
	if (lk_fd_init() == 0)
		lk_fd_on_open(fileno(fp), TRACE_FD_PIPE,
		              (type && strchr(type, 'e')) ? TRACE_FD_CLOEXEC : 0, stack, now,
		              "popen", NULL, NULL);
}

LK_EXPORT FILE *popen(const char *cmd, const char *type)
{
	LK_REAL_OR(popen, NULL);
	int autoreap = lk_sigchld_autoreap();
	FILE *fp = fn(cmd, type);
	if (fp)
		LK_RECORD(lk_popened(fp, cmd, type, autoreap));
	return fp;
}

/* Guard held, after the real pclose. */
static void lk_pclosed(int fd, uint32_t gen, pid_t pid, int rc)
{
	if (gen)
		lk_fd_rec_close(fd, gen);
	if (pid > 0 && rc != -1)
		lk_proc_child_on_reap(pid, rc);
}

LK_EXPORT int pclose(FILE *fp)
{
	LK_REAL_OR(pclose, -1);
	int fd = -1;
	uint32_t gen = 0;
	pid_t pid = 0;
	if (lk_guard_enter()) { /* before the FILE is freed */
		fd = fileno(fp);
		gen = lk_fd_gen(fd);
		pid = lk_proc_child_by_key(fp);
		lk_guard_leave();
	}
	int rc = fn(fp);
	LK_RECORD(lk_pclosed(fd, gen, pid, rc));
	return rc;
}
