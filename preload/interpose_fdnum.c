/* SPDX-License-Identifier: MIT */
/* interpose_fdnum.c - the program's calls on a descriptor number that libleak records nothing
 * about: read, write and their positioned and vector forms, lseek, fstat, ftruncate, fsync,
 * ioctl, flock, fchmod, fchown, fchdir. Each only makes sure the number is not the trace's
 * (lk_tracefile_yield: the trace moves away and the number is free, as natively) before the
 * real call: a program writing to a number it never opened gets EBADF, never the trace.
 * readdir/readdir64 leave the trace's number out of the program's listing of its own
 * /proc/self/fd, so a program that closes what it finds there (crashpad, daemons) never names
 * it. libc's own internal calls (stdio's writes, for one) do not come through here; a number
 * reaches them only after a hooked call (open, fdopen, dup2, fcntl) named it. Also here: the
 * calls that change the working directory (chdir, fchdir, chroot, unshare), which only tell
 * fd_cwd.c's cache. */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fd_cwd.h"
#include "hook.h"
#include "sys.h"
#include "tracefile.h"
#include "writer.h"

/* One hook: the trace leaves fd, then the real call. */
#define LK_FDNUM_HOOK(ret, name, failret, params, args)                                            \
	LK_EXPORT ret name params                                                                  \
	{                                                                                          \
		lk_tracefile_yield(fd);                                                            \
		LK_REAL_OR(name, failret);                                                         \
		return fn args;                                                                    \
	}

/* read and readv may block (a pipe, a socket, a terminal): the writer thread starts first if
 * it has not, unless fd is a file (writer.h, LK_BEFORE_READ). */
LK_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	LK_BEFORE_READ(fd);
	lk_tracefile_yield(fd);
	LK_REAL_OR(read, -1);
	return fn(fd, buf, n);
}

LK_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
	LK_BEFORE_READ(fd);
	lk_tracefile_yield(fd);
	LK_REAL_OR(readv, -1);
	return fn(fd, iov, n);
}

LK_FDNUM_HOOK(ssize_t, write, -1, (int fd, const void *buf, size_t n), (fd, buf, n))
LK_FDNUM_HOOK(ssize_t, pread, -1, (int fd, void *buf, size_t n, off_t off), (fd, buf, n, off))
LK_FDNUM_HOOK(ssize_t, pread64, -1, (int fd, void *buf, size_t n, off64_t off), (fd, buf, n, off))
LK_FDNUM_HOOK(ssize_t, pwrite, -1, (int fd, const void *buf, size_t n, off_t off),
              (fd, buf, n, off))
LK_FDNUM_HOOK(ssize_t, pwrite64, -1, (int fd, const void *buf, size_t n, off64_t off),
              (fd, buf, n, off))
LK_FDNUM_HOOK(ssize_t, writev, -1, (int fd, const struct iovec *iov, int n), (fd, iov, n))
LK_FDNUM_HOOK(off_t, lseek, -1, (int fd, off_t off, int whence), (fd, off, whence))
LK_FDNUM_HOOK(off64_t, lseek64, -1, (int fd, off64_t off, int whence), (fd, off, whence))
LK_FDNUM_HOOK(int, fstat, -1, (int fd, struct stat *st), (fd, st))
LK_FDNUM_HOOK(int, fstat64, -1, (int fd, struct stat64 *st), (fd, st))
LK_FDNUM_HOOK(int, ftruncate, -1, (int fd, off_t len), (fd, len))
LK_FDNUM_HOOK(int, ftruncate64, -1, (int fd, off64_t len), (fd, len))
LK_FDNUM_HOOK(int, fsync, -1, (int fd), (fd))
LK_FDNUM_HOOK(int, fdatasync, -1, (int fd), (fd))
LK_FDNUM_HOOK(int, flock, -1, (int fd, int op), (fd, op))
LK_FDNUM_HOOK(int, fchmod, -1, (int fd, mode_t mode), (fd, mode))
LK_FDNUM_HOOK(int, fchown, -1, (int fd, uid_t uid, gid_t gid), (fd, uid, gid))

/* --- the working directory -------------------------------------------------------------- */

/* Relative paths are named against a cached cwd (fd_cwd.h): every way to change it tells the
 * cache, after the real call, whatever its result. */
LK_EXPORT int fchdir(int fd)
{
	lk_tracefile_yield(fd);
	LK_REAL_OR(fchdir, -1);
	int rc = fn(fd);
	lk_fd_cwd_changed();
	return rc;
}

LK_EXPORT int chdir(const char *path)
{
	LK_REAL_OR(chdir, -1);
	int rc = fn(path);
	lk_fd_cwd_changed();
	return rc;
}

LK_EXPORT int chroot(const char *path)
{
	LK_REAL_OR(chroot, -1);
	int rc = fn(path);
	lk_fd_cwd_changed();
	return rc;
}

/* A thread with its own fs (CLONE_FS; CLONE_NEWNS and CLONE_NEWUSER imply it) has its own
 * cwd, which one process-wide cache cannot hold: from the first unshare on, never cached. */
LK_EXPORT int unshare(int flags)
{
	LK_REAL_OR(unshare, -1);
	int rc = fn(flags);
	lk_fd_cwd_disable();
	return rc;
}

/* Like glibc, the third argument is carried as a pointer-sized value. */
LK_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	lk_tracefile_yield(fd);
	LK_REAL_OR(ioctl, -1);
	return fn(fd, req, arg);
}

/* name is the trace's number and d lists this process's own descriptors (/proc/self/fd,
 * /proc/PID/fd, /proc/thread-self/fd: the directory links to /proc/PID/.../fd). Cheap unless
 * the name is the trace's number. */
static int lk_fdnum_hidden(DIR *d, const char *name)
{
	int t = __atomic_load_n(&lk_tf_fd, __ATOMIC_RELAXED);
	if (__builtin_expect(t < 0 || name[0] < '0' || name[0] > '9', 1))
		return 0;
	char num[24];
	num[lk_fmt_u64(num, (uint64_t)t)] = 0;
	if (strcmp(name, num) != 0)
		return 0;
	char link[64], dir[128];
	memcpy(link, "/proc/self/fd/", 14);
	link[14 + lk_fmt_u64(link + 14, (uint64_t)dirfd(d))] = 0;
	long n = syscall(SYS_readlinkat, AT_FDCWD, link, dir, sizeof(dir) - 1);
	if (n < 0)
		return 0;
	dir[n] = 0;
	char want[32];
	memcpy(want, "/proc/", 6);
	size_t k = 6 + lk_fmt_u64(want + 6, (uint64_t)lk_sys_getpid());
	want[k++] = '/';
	want[k] = 0;
	return strncmp(dir, want, k) == 0 && n >= 3 && strcmp(dir + n - 3, "/fd") == 0;
}

LK_EXPORT struct dirent *readdir(DIR *d)
{
	LK_REAL_OR(readdir, NULL);
	struct dirent *e;
	do
		e = fn(d);
	while (e && lk_fdnum_hidden(d, e->d_name));
	return e;
}

LK_EXPORT struct dirent64 *readdir64(DIR *d)
{
	LK_REAL_OR(readdir64, NULL);
	struct dirent64 *e;
	do
		e = fn(d);
	while (e && lk_fdnum_hidden(d, e->d_name));
	return e;
}
