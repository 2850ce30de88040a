/* SPDX-License-Identifier: MIT */
/* interpose_block.c - the calls a program blocks in (sleeps, poll/select/epoll waits, signal
 * waits). Each only starts libleak's writer thread the first time, if it has not started yet
 * (writer.h, lk_writer_start_lazy_main): a single-threaded program gets no thread before it
 * needs one, and an idle one still gets its periodic snapshots. The wait family, accept,
 * recvmsg and read do the same in their own files. */
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"
#include "writer.h"

/* One hook: the thread's start if pending, then the real call. */
#define LK_BLOCK_HOOK(ret, name, failret, params, args)                                            \
	LK_EXPORT ret name params                                                                  \
	{                                                                                          \
		LK_BEFORE_BLOCK();                                                                 \
		LK_REAL_OR(name, failret);                                                         \
		return fn args;                                                                    \
	}

LK_BLOCK_HOOK(int, nanosleep, -1, (const struct timespec *req, struct timespec *rem), (req, rem))
LK_BLOCK_HOOK(int, clock_nanosleep, EINVAL,
              (clockid_t clk, int flags, const struct timespec *req, struct timespec *rem),
              (clk, flags, req, rem))
LK_BLOCK_HOOK(int, usleep, -1, (useconds_t us), (us))
LK_BLOCK_HOOK(unsigned int, sleep, 0, (unsigned int s), (s))
LK_BLOCK_HOOK(int, pause, -1, (void), ())
LK_BLOCK_HOOK(int, poll, -1, (struct pollfd * fds, nfds_t n, int timeout), (fds, n, timeout))
LK_BLOCK_HOOK(int, ppoll, -1,
              (struct pollfd * fds, nfds_t n, const struct timespec *ts, const sigset_t *mask),
              (fds, n, ts, mask))
LK_BLOCK_HOOK(int, select, -1, (int n, fd_set *r, fd_set *w, fd_set *x, struct timeval *timeout),
              (n, r, w, x, timeout))
LK_BLOCK_HOOK(int, pselect, -1,
              (int n, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts,
               const sigset_t *mask),
              (n, r, w, x, ts, mask))
LK_BLOCK_HOOK(int, epoll_wait, -1, (int epfd, struct epoll_event *ev, int max, int timeout),
              (epfd, ev, max, timeout))
LK_BLOCK_HOOK(int, epoll_pwait, -1,
              (int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *mask),
              (epfd, ev, max, timeout, mask))
LK_BLOCK_HOOK(int, sigsuspend, -1, (const sigset_t *mask), (mask))
LK_BLOCK_HOOK(int, sigwaitinfo, -1, (const sigset_t *set, siginfo_t *info), (set, info))
LK_BLOCK_HOOK(int, sigtimedwait, -1,
              (const sigset_t *set, siginfo_t *info, const struct timespec *ts), (set, info, ts))
LK_BLOCK_HOOK(int, sigwait, EINVAL, (const sigset_t *set, int *sig), (set, sig))
