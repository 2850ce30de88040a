/* SPDX-License-Identifier: MIT */
/* interpose_spawn.c - child processes the program makes: fork, vfork, posix_spawn*, and popen
 * with its pclose (a child and a pipe at once), feeding proc_table.c (and fd_table.c for
 * popen's pipe). vfork is served by the real fork: a vfork child shares its parent's memory
 * and stack, so libleak could run no code in it, and POSIX lets vfork behave as fork.
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
#include "fork.h"
#include "hook.h"
#include "proc_table.h"
#include "stack.h"
#include "sys.h"
#include "trace_format.h"

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
	int autoreap = lk_sigchld_autoreap();
	lk_fork_in_hook = 1;
	pid_t pid = fn();
	lk_fork_in_hook = 0;
	if (pid > 0) {
		LK_RECORD(lk_spawned(pid, api, NULL, autoreap));
	} else if (pid == 0 && !lk_disabled) {
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

LK_EXPORT pid_t fork(void)
{
	return lk_fork_as("fork");
}

LK_EXPORT pid_t vfork(void)
{
	return lk_fork_as("vfork");
}

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
