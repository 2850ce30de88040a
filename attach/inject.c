/* SPDX-License-Identifier: MIT */
/* inject.c - stop every thread of the target with ptrace, pick one at a safe point, let the
 * others run on, call functions of the target in the picked one, and put it back exactly.
 *
 * Why the others run during the call: a stopped thread may hold a lock the call needs (a
 * malloc arena shared by threads, the loader's lock, libleak's own), and waiting for it would
 * hang the target. Only the picked thread is held, and only while dlopen and the libleak entry
 * point run. A thread interrupted in a blocking syscall restarts it when released (the kernel
 * turns -ERESTART* into a restart because no handler ran); a call that returned EINTR because
 * of the stop (epoll_wait and friends, socket calls with a timeout) is rewound to restart too,
 * unless a real signal is pending. The call itself runs with orig_rax = -1 so no restart logic
 * touches it, and returns to address 0: the SIGSEGV that follows is caught and never delivered. */
#include "attach.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#define ERESTARTSYS           512
#define ERESTARTNOINTR        513
#define ERESTARTNOHAND        514
#define ERESTART_RESTARTBLOCK 516

/* Longest one injected call may take (dlopen from a slow disk, a busy allocator). */
#define CALL_TIMEOUT_S 20
#define STEP_LIMIT     20000

static volatile sig_atomic_t alarm_hit;
static void on_alarm(int sig)
{
	(void)sig;
	alarm_hit = 1;
}

/* waitpid(TID) that gives up after SECONDS (returns -1, errno EINTR). */
static pid_t wait_tid(pid_t tid, int *status, unsigned seconds)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid returns EINTR */
	sigaction(SIGALRM, &sa, &old);
	alarm_hit = 0;
	alarm(seconds);
	pid_t r;
	do
		r = waitpid(tid, status, __WALL);
	while (r < 0 && errno == EINTR && !alarm_hit);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return r;
}

static struct at_thread *add_thread(struct at_session *s, pid_t tid)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct at_thread *th = realloc(s->th, cap * sizeof *th);
		if (!th)
			return NULL;
		s->th = th;
		s->cap = cap;
	}
	struct at_thread *t = &s->th[s->n++];
	memset(t, 0, sizeof *t);
	t->tid = tid;
	return t;
}

static int known(const struct at_session *s, pid_t tid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->th[i].tid == tid)
			return 1;
	return 0;
}

/* Threads seized and interrupted that had not stopped when we let go (a long uninterruptible
 * sleep): they stop as soon as they can and must then be detached, or they would stay stopped
 * until leak-attach exits. inject_reap_orphans detaches those that have stopped since. */
static pid_t orphans[64];
static size_t n_orphans;

size_t inject_reap_orphans(void)
{
	for (size_t i = 0; i < n_orphans;) {
		int st;
		pid_t r = waitpid(orphans[i], &st, __WALL | WNOHANG);
		if (r == 0) {
			i++;
			continue;
		}
		int sig = 0;
		if (r > 0 && WIFSTOPPED(st) && (st >> 16) != PTRACE_EVENT_STOP)
			sig = WSTOPSIG(st); /* a signal-delivery stop: give the signal back */
		if (r > 0 && WIFSTOPPED(st))
			ptrace(PTRACE_DETACH, orphans[i], NULL, (void *)(long)sig);
		orphans[i] = orphans[--n_orphans];
	}
	return n_orphans;
}

static void release(struct at_thread *t)
{
	if (t->tid <= 0)
		return;
	if (!t->stopped) {
		if (n_orphans < sizeof orphans / sizeof *orphans)
			orphans[n_orphans++] = t->tid;
		t->tid = -t->tid;
		inject_reap_orphans();
		return;
	}
	if (t->regs_changed)
		ptrace(PTRACE_SETREGS, t->tid, NULL, &t->regs);
	ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->pending_sig);
	t->tid = -t->tid;
	t->stopped = 0;
}

static void release_all(struct at_session *s)
{
	for (size_t i = 0; i < s->n; i++)
		release(&s->th[i]);
}

/* Waits for T's stop after PTRACE_INTERRUPT. A signal-delivery stop first is kept (the
 * signal is given back at detach). 0 stopped, 1 not within a second (a thread in an
 * uninterruptible sleep: it is left out), -1 gone. */
static int wait_stop(struct at_thread *t)
{
	for (;;) {
		int st;
		pid_t r = wait_tid(t->tid, &st, 1);
		if (r < 0)
			return errno == EINTR ? 1 : -1;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return -1;
		if (!WIFSTOPPED(st))
			continue;
		if ((st >> 16) != PTRACE_EVENT_STOP)
			t->pending_sig = WSTOPSIG(st); /* held back until we detach */
		t->stopped = 1;
		return 0;
	}
}

/* A syscall that returned -EINTR at our stop, with no signal pending for the thread, returned
 * it because of the stop: epoll_wait and its kin, semop, io_getevents, and socket calls with
 * a timeout (SO_RCVTIMEO/SO_SNDTIMEO) return -EINTR, not -ERESTART*, on any stop. A real
 * signal would still be pending here (our stop is taken before signals are dequeued), and
 * then the EINTR is the program's own and is left alone. close is the exception: Linux has
 * already released the descriptor when close says EINTR, so it must not run again. */
static int rewind_eintr(long nr)
{
	return nr != SYS_close;
}

int inject_stop_all(struct at_session *s, pid_t pid, const struct at_target *tg)
{
	memset(s, 0, sizeof *s);
	s->pid = pid;
	s->t = tg;
	char dir[64];
	snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	/* Seize and interrupt every thread listed; list again until a pass finds none new (a
	 * thread being created while we stop the others shows up on the next pass). */
	int rc;
	for (int pass = 0; pass < 1000; pass++) {
		DIR *d = opendir(dir);
		if (!d) {
			release_all(s);
			return -ESRCH;
		}
		int fresh = 0;
		struct dirent *e;
		while ((e = readdir(d))) {
			pid_t tid = (pid_t)atoi(e->d_name);
			if (tid <= 0 || known(s, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
				int err = errno;
				/* Exited meanwhile: the kernel refuses a thread that is exiting
				 * with EPERM, not ESRCH (a program that ends a thread every
				 * millisecond was taken for one we may not trace). */
				if (err == ESRCH ||
				    (err == EPERM && target_thread_exiting(pid, tid)))
					continue;
				closedir(d);
				release_all(s);
				return -err;
			}
			struct at_thread *t = add_thread(s, tid);
			if (!t) {
				ptrace(PTRACE_DETACH, tid, NULL, NULL);
				closedir(d);
				release_all(s);
				return -ENOMEM;
			}
			ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
			fresh++;
		}
		closedir(d);
		if (!fresh && pass > 0)
			break;
		for (size_t i = 0; i < s->n; i++) {
			struct at_thread *t = &s->th[i];
			if (t->tid > 0 && !t->stopped && !t->late && (rc = wait_stop(t)) != 0) {
				if (rc < 0)
					t->tid = -t->tid; /* gone */
				else
					t->late = 1; /* released with the others, detached later */
			}
		}
	}
	size_t live = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct at_thread *t = &s->th[i];
		if (t->tid <= 0 || !t->stopped)
			continue;
		if (ptrace(PTRACE_GETREGS, t->tid, NULL, &t->regs) != 0) {
			release(t);
			continue;
		}
		live++;
		long nr = (long)t->regs.orig_rax;
		if (nr >= 0 && (long)t->regs.rax == -EINTR && rewind_eintr(nr) && !t->pending_sig &&
		    !target_thread_sigpending(pid, t->tid)) {
			t->regs.rax = t->regs.orig_rax;
			t->regs.rip -= 2; /* back onto the syscall instruction */
			/* Now, not at release: a thread single-stepped later must restart too. */
			if (ptrace(PTRACE_SETREGS, t->tid, NULL, &t->regs) == 0)
				s->restarts++;
			t->regs_changed = 1;
		}
	}
	if (!live) {
		release_all(s);
		return -ESRCH;
	}
	return 0;
}

static int in_module(const struct at_module *m, uintptr_t ip)
{
	return m->hi && ip >= m->lo && ip < m->hi;
}

/* Inside code that may hold a lock our calls need (malloc's, the loader's, libleak's). */
static int in_unsafe_code(const struct at_session *s, uintptr_t ip)
{
	return in_module(&s->t->libc, ip) || in_module(&s->t->ld, ip) || in_module(&s->t->leak, ip);
}

/* Blocking syscalls a thread waits in without holding a libc lock our calls take. */
static int waiting_syscall(long nr)
{
	switch (nr) {
	case SYS_read:
	case SYS_write:
	case SYS_pread64:
	case SYS_readv:
	case SYS_writev:
	case SYS_poll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_ppoll:
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
	case SYS_accept:
	case SYS_accept4:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_recvmmsg:
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_connect:
	case SYS_wait4:
	case SYS_waitid:
	case SYS_pause:
	case SYS_rt_sigsuspend:
	case SYS_rt_sigtimedwait:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
	case 441:
	case SYS_futex:
	case SYS_msgrcv:
	case SYS_semop:
	case SYS_semtimedop:
	case SYS_io_getevents:
	case SYS_sched_yield:
		return 1;
	default:
		return 0;
	}
}

static int at_safe_point(const struct at_session *s, const struct at_thread *t)
{
	long nr = (long)t->regs.orig_rax;
	if (nr >= 0 && waiting_syscall(nr))
		return 1;
	return !in_unsafe_code(s, t->regs.rip);
}

/* Single-steps T until it leaves libc/the loader/libleak. 1 safe, 0 not within the limit. */
static int step_out(struct at_session *s, struct at_thread *t)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < STEP_LIMIT; i++) {
		if (ptrace(PTRACE_SINGLESTEP, t->tid, NULL, NULL) != 0)
			return 0;
		int st;
		/* A step over a blocking syscall waits for it: interrupt it after a moment. */
		pid_t r;
		for (int tries = 0;; tries++) {
			r = waitpid(t->tid, &st, __WALL | WNOHANG);
			if (r != 0)
				break;
			if (tries == 200)
				ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL);
			struct timespec d = {0, tries < 50 ? 2000 : 100000};
			nanosleep(&d, NULL);
		}
		if (r < 0 || !WIFSTOPPED(st))
			return -1;
		int sig = WSTOPSIG(st);
		if ((st >> 16) == 0 && sig != SIGTRAP && !t->pending_sig)
			t->pending_sig = sig; /* a real signal: given back at detach */
		if (ptrace(PTRACE_GETREGS, t->tid, NULL, &t->regs) != 0)
			return -1;
		t->regs_changed = 0; /* the thread moved on: these are its registers now */
		if (at_safe_point(s, t))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000000000L + (now.tv_nsec - t0.tv_nsec) > 30000000L)
			return 0; /* 30 ms: try another thread */
	}
	return 0;
}

int inject_pick_and_release(struct at_session *s, char *why, size_t whylen)
{
	ssize_t pick = -1;
	for (size_t i = 0; i < s->n && pick < 0; i++)
		if (s->th[i].tid > 0 && s->th[i].stopped && at_safe_point(s, &s->th[i]))
			pick = (ssize_t)i;
	for (size_t i = 0; i < s->n && pick < 0; i++) {
		struct at_thread *t = &s->th[i];
		if (t->tid <= 0 || !t->stopped)
			continue;
		int r = step_out(s, t);
		if (r == 1)
			pick = (ssize_t)i;
		else if (r < 0)
			t->tid = -t->tid; /* gone */
	}
	if (pick < 0) {
		release_all(s);
		snprintf(why, whylen,
		         "no thread of %d reached a safe point (each stayed inside libc or the "
		         "loader); nothing was changed, try again",
		         (int)s->pid);
		return -1;
	}
	s->chosen = (size_t)pick;
	for (size_t i = 0; i < s->n; i++)
		if (i != s->chosen)
			release(&s->th[i]);
	return 0;
}

/* Where the call's frame goes: below the red zone and anything we wrote there already. */
static uintptr_t scratch_top;

uintptr_t inject_scratch(struct at_session *s, const void *data, size_t len)
{
	struct at_thread *t = &s->th[s->chosen];
	if (!scratch_top)
		scratch_top = (t->regs.rsp - 128 - 256) & ~(uintptr_t)15;
	scratch_top = (scratch_top - len) & ~(uintptr_t)15;
	if (target_write(s->pid, scratch_top, data, len) != 0)
		return 0;
	return scratch_top;
}

int inject_call(struct at_session *s, uintptr_t fn, uint64_t a0, uint64_t a1, uint64_t *ret,
                char *why, size_t whylen)
{
	struct at_thread *t = &s->th[s->chosen];
	if (!scratch_top)
		scratch_top = (t->regs.rsp - 128 - 256) & ~(uintptr_t)15;
	struct user_regs_struct r = t->regs;
	uintptr_t sp = (scratch_top - 64) & ~(uintptr_t)15;
	sp -= 8; /* as after a call instruction: the return address, 0 */
	uint64_t zero = 0;
	if (target_write(s->pid, sp, &zero, sizeof zero) != 0) {
		snprintf(why, whylen, "cannot write the target's stack: %s", strerror(errno));
		return -1;
	}
	r.rsp = sp;
	r.rip = fn;
	r.rdi = a0;
	r.rsi = a1;
	r.rax = 0;
	r.orig_rax = (unsigned long long)-1; /* no syscall restart on our registers */
	if (ptrace(PTRACE_SETREGS, t->tid, NULL, &r) != 0 ||
	    ptrace(PTRACE_CONT, t->tid, NULL, NULL) != 0) {
		snprintf(why, whylen, "ptrace: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		int st;
		pid_t w = wait_tid(t->tid, &st, CALL_TIMEOUT_S);
		if (w < 0) {
			snprintf(why, whylen,
			         "the call into %d did not return within %d s (is a lock it needs "
			         "held for good?)",
			         (int)s->pid, CALL_TIMEOUT_S);
			return -1;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			t->tid = -t->tid;
			snprintf(why, whylen, "the target exited during the call");
			return -1;
		}
		if (!WIFSTOPPED(st))
			continue;
		int sig = WSTOPSIG(st);
		if ((st >> 16) ==
		    PTRACE_EVENT_STOP) { /* the interrupt still queued, a group stop */
			ptrace(PTRACE_CONT, t->tid, NULL, NULL);
			continue;
		}
		if (sig == SIGSEGV) {
			struct user_regs_struct now;
			ptrace(PTRACE_GETREGS, t->tid, NULL, &now);
			if (now.rip == 0) {
				*ret = now.rax;
				return 0;
			}
			snprintf(why, whylen, "the call crashed in the target at %#llx (SIGSEGV)",
			         (unsigned long long)now.rip);
			return -1;
		}
		/* Any other signal waits until the thread is back in its own code. */
		if (!t->pending_sig)
			t->pending_sig = sig;
		ptrace(PTRACE_CONT, t->tid, NULL, NULL);
	}
}

void inject_finish(struct at_session *s)
{
	struct at_thread *t = &s->th[s->chosen];
	if (t->tid > 0) {
		t->regs_changed = 1; /* always put back the registers found at the stop */
		t->stopped = 1;
		release(t);
	}
	scratch_top = 0;
	free(s->th);
	s->th = NULL;
	s->n = s->cap = 0;
}
