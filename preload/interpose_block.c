/* SPDX-License-Identifier: MIT */
/* interpose_block.c - the calls a program blocks in (sleeps, poll/select/epoll waits, signal
 * waits, recv/recvfrom, stdio reads: glibc's own read under them is not ours). Each only starts
 * libleak's writer thread the first time, if it has not started yet (writer.h,
 * lk_writer_start_lazy_main): a single-threaded program gets no thread before it needs one, and an
 * idle one still gets its periodic snapshots. The wait family, accept, recvmsg and read do the same
 * in their own files. */
/* glibc's bits/stdio.h defines getline inline when optimizing; this file defines it itself. */
#include <features.h>
#undef __USE_EXTERN_INLINES
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "fd_table.h"
#include "hook.h"
#include "sys.h"
#include "tracefile.h"
#include "writer.h"

__attribute__((noinline, cold)) void lk_writer_before_block_hook(void)
{
	LK_RECORD(lk_writer_before_block());
}

/* Descriptors below this whose file was found regular keep that verdict while the descriptor
 * table holds the same open of them (lk_fd_gen): one fstat an open file, not one a read. */
#define LK_READ_KNOWN 1024
static uint32_t lk_read_known_gen[LK_READ_KNOWN];

/* Guard held. Whether a read of fd cannot wait for another process (writer.h, LK_BEFORE_READ). */
static bool lk_read_never_waits(int fd)
{
	static unsigned checked;
	if (fd < 0)
		return false;
	uint32_t gen = fd < LK_READ_KNOWN ? lk_fd_gen(fd) : 0;
	if (gen && __atomic_load_n(&lk_read_known_gen[fd], __ATOMIC_RELAXED) == gen)
		return true;
	if (__atomic_fetch_add(&checked, 1, __ATOMIC_RELAXED) >= LK_READ_CHECKS ||
	    !lk_sys_fd_never_waits(fd))
		return false;
	if (gen)
		__atomic_store_n(&lk_read_known_gen[fd], gen, __ATOMIC_RELAXED);
	return true;
}

/* Only a process that may not start the thread at its first need (sampled or forked, and
 * single-threaded) skips the start for a file: any other starts it as before, and one whose
 * thread runs clears the pending start, so its reads stop coming here. */
static void lk_writer_before_read(int fd)
{
	if (!lk_writer_lazy_alone() || !lk_read_never_waits(fd))
		lk_writer_before_block();
}

__attribute__((noinline, cold)) void lk_writer_before_read_hook(int fd)
{
	LK_RECORD(lk_writer_before_read(fd));
}

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

/* Sockets: also a descriptor the program names (interpose_fdnum.c). */
LK_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	LK_BEFORE_BLOCK();
	lk_tracefile_yield(fd);
	LK_REAL_OR(recv, -1);
	return fn(fd, buf, n, flags);
}

LK_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
                           socklen_t *len)
{
	LK_BEFORE_BLOCK();
	lk_tracefile_yield(fd);
	LK_REAL_OR(recvfrom, -1);
	return fn(fd, buf, n, flags, addr, len);
}

/* A stdio read of fp: LK_BEFORE_READ on its descriptor (none, for a stream on memory: the
 * thread starts). fileno sets errno when there is none. */
__attribute__((noinline, cold)) static void lk_writer_before_fread_hook(FILE *fp)
{
	int saved = errno;
	int fd = fp ? fileno(fp) : -1;
	errno = saved;
	lk_writer_before_read_hook(fd);
}

#define LK_FREAD_HOOK(ret, name, failret, params, args)                                            \
	LK_EXPORT ret name params                                                                  \
	{                                                                                          \
		if (__builtin_expect(__atomic_load_n(&lk_writer_block_pending, __ATOMIC_RELAXED),  \
		                     0))                                                           \
			lk_writer_before_fread_hook(fp);                                           \
		LK_REAL_OR(name, failret);                                                         \
		return fn args;                                                                    \
	}

/* stdio reads (a program waiting for a line on its stdin). Not getc, fgetc, getchar: called
 * once per character, their hook would cost every character a call. */
LK_FREAD_HOOK(char *, fgets, NULL, (char *s, int n, FILE *fp), (s, n, fp))
LK_FREAD_HOOK(size_t, fread, 0, (void *p, size_t size, size_t n, FILE *fp), (p, size, n, fp))
LK_FREAD_HOOK(ssize_t, getline, -1, (char **line, size_t *n, FILE *fp), (line, n, fp))
LK_FREAD_HOOK(ssize_t, getdelim, -1, (char **line, size_t *n, int delim, FILE *fp),
              (line, n, delim, fp))
