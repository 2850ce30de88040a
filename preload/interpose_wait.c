/* SPDX-License-Identifier: MIT */
/* interpose_wait.c - reaping: the wait family marks a child reaped once its status says it is
 * gone (not merely stopped or continued), and signal/sigaction follow the SIGCHLD disposition
 * (ignored or SA_NOCLDWAIT: the kernel reaps, so an exited child is no zombie). Feeds
 * proc_table.c; each hook has hook.h's shape. */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "hook.h"
#include "interpose_exit.h"
#include "proc_table.h"
#include "vfork.h"
#include "writer.h"

/* A status that means the child is gone (not stopped or continued). */
static int lk_status_gone(int st)
{
	return WIFEXITED(st) || WIFSIGNALED(st);
}

static void lk_on_reaped(pid_t pid, int wstatus)
{
	if (pid > 0)
		LK_RECORD(lk_proc_child_on_reap(pid, wstatus));
}

LK_EXPORT pid_t wait(int *status)
{
	LK_BEFORE_WAIT();
	LK_REAL_OR(wait, -1);
	int st = 0;
	pid_t pid = fn(&st);
	if (status)
		*status = st;
	if (pid > 0 && lk_status_gone(st))
		lk_on_reaped(pid, st);
	return pid;
}

LK_EXPORT pid_t waitpid(pid_t which, int *status, int options)
{
	LK_BEFORE_WAIT();
	LK_REAL_OR(waitpid, -1);
	int st = 0;
	pid_t pid = fn(which, &st, options);
	if (status && pid > 0)
		*status = st;
	if (pid > 0 && lk_status_gone(st))
		lk_on_reaped(pid, st);
	return pid;
}

LK_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
	LK_BEFORE_WAIT();
	LK_REAL_OR(waitid, -1);
	int rc = fn(idtype, id, info, options);
	if (rc == 0 && info && !(options & WNOWAIT) && info->si_pid > 0 &&
	    (info->si_code == CLD_EXITED || info->si_code == CLD_KILLED ||
	     info->si_code == CLD_DUMPED))
		lk_on_reaped(info->si_pid, lk_proc_wstatus_of(info));
	return rc;
}

LK_EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
	LK_BEFORE_WAIT();
	LK_REAL_OR(wait3, -1);
	int st = 0;
	pid_t pid = fn(&st, options, ru);
	if (status && pid > 0)
		*status = st;
	if (pid > 0 && lk_status_gone(st))
		lk_on_reaped(pid, st);
	return pid;
}

LK_EXPORT pid_t wait4(pid_t which, int *status, int options, struct rusage *ru)
{
	LK_BEFORE_WAIT();
	LK_REAL_OR(wait4, -1);
	int st = 0;
	pid_t pid = fn(which, &st, options, ru);
	if (status && pid > 0)
		*status = st;
	if (pid > 0 && lk_status_gone(st))
		lk_on_reaped(pid, st);
	return pid;
}

/* --- SIGCHLD disposition -------------------------------------------------------------- */

/* The disposition is a plain flag, set without the guard: it must follow the program's
 * signal calls even while nothing is recorded. Not a vfork child's (vfork.h): its signal
 * calls change its own dispositions, but the flag is in its parent's memory (Python's child
 * sets every handled signal back to SIG_DFL before its exec). */
LK_EXPORT sighandler_t signal(int signo, sighandler_t handler)
{
	LK_REAL_OR(signal, SIG_ERR);
	sighandler_t old = fn(signo, handler);
	if (signo == SIGCHLD && old != SIG_ERR && !lk_in_vfork_child)
		lk_proc_set_autoreap(handler == SIG_IGN);
	if (old != SIG_ERR)
		lk_exit_note_disposition(signo, handler != SIG_DFL && handler != SIG_IGN);
	return old;
}

LK_EXPORT int sigaction(int signo, const struct sigaction *act, struct sigaction *old)
{
	LK_REAL_OR(sigaction, -1);
	int rc = fn(signo, act, old);
	if (rc == 0 && signo == SIGCHLD && act && !lk_in_vfork_child)
		lk_proc_set_autoreap(
		    (!(act->sa_flags & SA_SIGINFO) && act->sa_handler == SIG_IGN) ||
		    (act->sa_flags & SA_NOCLDWAIT));
	if (rc == 0 && act)
		lk_exit_note_disposition(
		    signo, (act->sa_flags & SA_SIGINFO) ||
		               (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN));
	return rc;
}
