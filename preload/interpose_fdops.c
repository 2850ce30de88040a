/* SPDX-License-Identifier: MIT */
/* interpose_fdops.c - descriptors that are neither opened by path nor sockets: pipes, the
 * dup family and fcntl (F_DUPFD*, F_SETFD), epoll, eventfd, timerfd, signalfd, inotify, memfd,
 * pidfds, and the closers close, close_range and closefrom. libleak's own descriptor (the
 * trace file) is not the program's: a call of the program that names its number moves the
 * trace first (lk_tracefile_yield) and then goes through untouched, so it finds the number
 * free as natively (close, dup, fcntl: EBADF; dup2/dup3 onto it: the program's); a range
 * closer closes around it (a daemon closing 3..1023 must not take the trace away). Each hook
 * has hook.h's shape; the recording is fd_record.c's. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "fd_internal.h"
#include "fd_record.h"
#include "hook.h"
#include "sys.h"
#include "trace_format.h"
#include "tracefile.h"

/* A new descriptor of a kind that has no name. always_inline, as every helper holding an
 * LK_RECORD: the stack is walked from the frame of the hook the program called (hook.h). */
static __attribute__((always_inline)) inline void lk_on_new(int fd, unsigned type, int cloexec,
                                                            const char *api)
{
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_open(fd, type, cloexec, api, AT_FDCWD, NULL));
}

static __attribute__((always_inline)) inline void lk_on_dup(int oldfd, int newfd, int cloexec,
                                                            const char *api)
{
	if (newfd >= 0 && oldfd != newfd)
		LK_RECORD(lk_fd_rec_dup(oldfd, newfd, cloexec, api));
}

/* --- pipes and dup -------------------------------------------------------------------- */

LK_EXPORT int pipe(int fds[2])
{
	LK_REAL_OR(pipe, -1);
	int rc = fn(fds);
	if (rc == 0)
		LK_RECORD(lk_fd_rec_pipe(fds, 0, "pipe"));
	return rc;
}

LK_EXPORT int pipe2(int fds[2], int flags)
{
	LK_REAL_OR(pipe2, -1);
	int rc = fn(fds, flags);
	if (rc == 0)
		LK_RECORD(lk_fd_rec_pipe(fds, flags & O_CLOEXEC, "pipe2"));
	return rc;
}

LK_EXPORT int dup(int oldfd)
{
	lk_tracefile_yield(oldfd);
	LK_REAL_OR(dup, -1);
	int fd = fn(oldfd);
	lk_on_dup(oldfd, fd, 0, "dup");
	return fd;
}

LK_EXPORT int dup2(int oldfd, int newfd)
{
	lk_tracefile_yield(oldfd);
	lk_tracefile_yield(newfd);
	LK_REAL_OR(dup2, -1);
	int fd = fn(oldfd, newfd);
	lk_on_dup(oldfd, fd, 0, "dup2");
	return fd;
}

LK_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	lk_tracefile_yield(oldfd);
	lk_tracefile_yield(newfd);
	LK_REAL_OR(dup3, -1);
	int fd = fn(oldfd, newfd, flags);
	lk_on_dup(oldfd, fd, flags & O_CLOEXEC, "dup3");
	return fd;
}

/* The third argument's type depends on cmd; like glibc, it is carried as a pointer-sized
 * value, which is how every variant (int, long, pointer) is passed on x86-64 and aarch64. */
static __attribute__((always_inline)) inline void lk_on_fcntl(int fd, int cmd, void *arg, int rc)
{
	if (rc < 0)
		return;
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		lk_on_dup(fd, rc, cmd == F_DUPFD_CLOEXEC, "fcntl");
	else if (cmd == F_SETFD)
		LK_RECORD(lk_fd_set_cloexec(fd, ((int)(intptr_t)arg & FD_CLOEXEC) != 0));
}

LK_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	lk_tracefile_yield(fd);
	LK_REAL_OR(fcntl, -1);
	int rc = fn(fd, cmd, arg);
	lk_on_fcntl(fd, cmd, arg, rc);
	return rc;
}

LK_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	lk_tracefile_yield(fd);
	LK_REAL_OR(fcntl64, -1);
	int rc = fn(fd, cmd, arg);
	lk_on_fcntl(fd, cmd, arg, rc);
	return rc;
}

/* --- other descriptor kinds ----------------------------------------------------------- */

LK_EXPORT int epoll_create(int size)
{
	LK_REAL_OR(epoll_create, -1);
	int fd = fn(size);
	lk_on_new(fd, TRACE_FD_EPOLL, 0, "epoll_create");
	return fd;
}

LK_EXPORT int epoll_create1(int flags)
{
	LK_REAL_OR(epoll_create1, -1);
	int fd = fn(flags);
	lk_on_new(fd, TRACE_FD_EPOLL, flags & EPOLL_CLOEXEC, "epoll_create1");
	return fd;
}

LK_EXPORT int eventfd(unsigned int initval, int flags)
{
	LK_REAL_OR(eventfd, -1);
	int fd = fn(initval, flags);
	lk_on_new(fd, TRACE_FD_EVENTFD, flags & EFD_CLOEXEC, "eventfd");
	return fd;
}

LK_EXPORT int timerfd_create(int clockid, int flags)
{
	LK_REAL_OR(timerfd_create, -1);
	int fd = fn(clockid, flags);
	lk_on_new(fd, TRACE_FD_TIMERFD, flags & TFD_CLOEXEC, "timerfd_create");
	return fd;
}

/* Only signalfd(-1, ...) makes a descriptor; with an fd it updates that one's mask. */
LK_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	LK_REAL_OR(signalfd, -1);
	int rc = fn(fd, mask, flags);
	if (fd == -1)
		lk_on_new(rc, TRACE_FD_SIGNALFD, flags & SFD_CLOEXEC, "signalfd");
	return rc;
}

LK_EXPORT int inotify_init(void)
{
	LK_REAL_OR(inotify_init, -1);
	int fd = fn();
	lk_on_new(fd, TRACE_FD_INOTIFY, 0, "inotify_init");
	return fd;
}

LK_EXPORT int inotify_init1(int flags)
{
	LK_REAL_OR(inotify_init1, -1);
	int fd = fn(flags);
	lk_on_new(fd, TRACE_FD_INOTIFY, flags & IN_CLOEXEC, "inotify_init1");
	return fd;
}

LK_EXPORT int memfd_create(const char *name, unsigned int flags)
{
	LK_REAL_OR(memfd_create, -1);
	int fd = fn(name, flags);
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_memfd(fd, name, flags));
	return fd;
}

LK_EXPORT int pidfd_open(pid_t pid, unsigned int flags)
{
	LK_REAL_OR(pidfd_open, -1);
	int fd = fn(pid, flags);
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_pidfd(fd, pid));
	return fd;
}

/* A copy of another process's descriptor: nothing says what it is, so it is probed. */
LK_EXPORT int pidfd_getfd(int pidfd, int targetfd, unsigned int flags)
{
	LK_REAL_OR(pidfd_getfd, -1);
	int fd = fn(pidfd, targetfd, flags);
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_adopt(fd, "pidfd_getfd"));
	return fd;
}

/* --- close ---------------------------------------------------------------------------- */

/* close() of the trace's number: the trace moves first, and the program's close finds the
 * number free (EBADF, as natively: the program never opened it). /proc/self/fd does not list
 * it to the program's readdir (interpose_fdnum.c), so a program closing what it lists there
 * (crashpad, daemons) never names it. */
LK_EXPORT int close(int fd)
{
	lk_tracefile_yield(fd);
	LK_REAL_OR(close, -1);
	lk_fd_close_before(fd);
	return fn(fd);
}

LK_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	LK_REAL_OR(close_range, -1);
	int rc = 0;
	/* An internal number the program took over unseen is its own again (owns forgets it). */
	for (int fd = lk_guard_depth ? -1 : lk_fd_next_internal(first);
	     fd >= 0 && (unsigned)fd <= last && fd < 0x7fffffff;
	     fd = lk_fd_next_internal((unsigned)fd + 1))
		lk_tracefile_owns(fd);
	int next = (flags & CLOSE_RANGE_CLOEXEC) || lk_guard_depth || first > last
	               ? -1
	               : lk_fd_next_internal(first);
	if (next < 0 || (unsigned)next > last) {
		rc = fn(first, last, flags);
	} else {
		/* Close around our internal descriptors, in ascending pieces. */
		unsigned lo = first;
		while (next >= 0 && (unsigned)next <= last) {
			if ((unsigned)next > lo && fn(lo, (unsigned)next - 1, flags) != 0)
				rc = -1;
			lo = (unsigned)next + 1;
			if (lo == 0 || lo > last)
				break;
			next = lk_fd_next_internal(lo);
		}
		if (lo != 0 && lo <= last && fn(lo, last, flags) != 0)
			rc = -1;
	}
	if (rc == 0)
		LK_RECORD(lk_fd_on_close_range(first, last, (flags & CLOSE_RANGE_CLOEXEC) != 0,
		                               lk_fd_now_ns()));
	return rc;
}

/* closefrom (glibc 2.34) closes through the close_range system call, not our hooks. Our
 * internal descriptors are kept by closing around them with close_range. */
LK_EXPORT void closefrom(int lowfd)
{
	__typeof__(lk_real.closefrom) fn = LK_REAL(closefrom);
	if (!fn)
		return;
	unsigned lo = lowfd < 0 ? 0 : (unsigned)lowfd;
	if (!lk_guard_depth && lk_fd_next_internal(lo) >= 0) {
		close_range(lo, ~0U, 0);
		return;
	}
	fn(lowfd);
	LK_RECORD(lk_fd_on_close_range(lo, ~0U, 0, lk_fd_now_ns()));
}
