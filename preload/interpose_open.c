/* SPDX-License-Identifier: MIT */
/* interpose_open.c - descriptors opened by path: the open family (with the _FORTIFY_SOURCE
 * entry points), creat, the stdio streams and the dirent directories, and their closing halves
 * fclose and closedir. libc's own wrappers call its internal open/close (fopen -> __open,
 * fclose -> __close), not these exported names, which is why the stdio and dirent families are
 * hooked one by one and fclose/closedir mark their descriptor closed themselves. Each hook has
 * hook.h's shape; the recording is fd_record.c's. */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fd_record.h"
#include "hook.h"
#include "node.h"
#include "trace_format.h"
#include "tracefile.h"

static int lk_open_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static unsigned lk_open_type(int flags)
{
	return (flags & O_DIRECTORY) ? TRACE_FD_DIR : TRACE_FD_FILE;
}

/* always_inline, as every helper holding an LK_RECORD: the stack is walked from the frame
 * of the hook the program called (hook.h). */
static __attribute__((always_inline)) inline void lk_on_open(int fd, int flags, const char *api,
                                                             int dirfd, const char *path)
{
	/* Created exclusively inside the temp directory: a temp file (Python's tempfile module,
	 * and any mkstemp written by hand). */
	if (fd >= 0 && (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) && !(flags & O_DIRECTORY))
		LK_RECORD(lk_fd_rec_open_excl(fd, flags & O_CLOEXEC, api, dirfd, path));
	else if (fd >= 0)
		LK_RECORD(
		    lk_fd_rec_open(fd, lk_open_type(flags), flags & O_CLOEXEC, api, dirfd, path));
}

/* The mode argument exists only when the flags create a file. */
#define LK_OPEN_MODE(mode, flags)                                                                  \
	do {                                                                                       \
		if (lk_open_needs_mode(flags)) {                                                   \
			va_list ap;                                                                \
			va_start(ap, flags);                                                       \
			mode = (mode_t)va_arg(ap, int);                                            \
			va_end(ap);                                                                \
		}                                                                                  \
	} while (0)

LK_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	LK_OPEN_MODE(mode, flags);
	LK_REAL_OR(open, -1);
	int fd = fn(path, flags, mode);
	lk_on_open(fd, flags, "open", AT_FDCWD, path);
	return fd;
}

LK_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	LK_OPEN_MODE(mode, flags);
	LK_REAL_OR(open64, -1);
	int fd = fn(path, flags, mode);
	lk_on_open(fd, flags, "open64", AT_FDCWD, path);
	return fd;
}

LK_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	LK_OPEN_MODE(mode, flags);
	LK_REAL_OR(openat, -1);
	int fd = fn(dirfd, path, flags, mode);
	lk_on_open(fd, flags, "openat", dirfd, path);
	return fd;
}

LK_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	LK_OPEN_MODE(mode, flags);
	LK_REAL_OR(openat64, -1);
	int fd = fn(dirfd, path, flags, mode);
	lk_on_open(fd, flags, "openat64", dirfd, path);
	return fd;
}

LK_EXPORT int __open_2(const char *path, int flags)
{
	LK_REAL_OR(__open_2, -1);
	int fd = fn(path, flags);
	lk_on_open(fd, flags, "open", AT_FDCWD, path);
	return fd;
}

LK_EXPORT int __open64_2(const char *path, int flags)
{
	LK_REAL_OR(__open64_2, -1);
	int fd = fn(path, flags);
	lk_on_open(fd, flags, "open64", AT_FDCWD, path);
	return fd;
}

LK_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	LK_REAL_OR(__openat_2, -1);
	int fd = fn(dirfd, path, flags);
	lk_on_open(fd, flags, "openat", dirfd, path);
	return fd;
}

LK_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	LK_REAL_OR(__openat64_2, -1);
	int fd = fn(dirfd, path, flags);
	lk_on_open(fd, flags, "openat64", dirfd, path);
	return fd;
}

LK_EXPORT int creat(const char *path, mode_t mode)
{
	LK_REAL_OR(creat, -1);
	int fd = fn(path, mode);
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_open(fd, TRACE_FD_FILE, 0, "creat", AT_FDCWD, path));
	return fd;
}

LK_EXPORT int creat64(const char *path, mode_t mode)
{
	LK_REAL_OR(creat64, -1);
	int fd = fn(path, mode);
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_open(fd, TRACE_FD_FILE, 0, "creat64", AT_FDCWD, path));
	return fd;
}

/* --- stdio ---------------------------------------------------------------------------- */

static __attribute__((always_inline)) inline void lk_on_stream(FILE *fp, const char *api,
                                                               const char *path, const char *mode)
{
	int fd = fp ? fileno(fp) : -1;
	if (fd >= 0 && !lk_node_own_file(fd, path))
		LK_RECORD(lk_fd_rec_open(fd, TRACE_FD_FILE, mode && strchr(mode, 'e') != NULL, api,
		                         AT_FDCWD, path));
}

/* Closed even when the real call reports an error (fclose's flush error, close's EINTR). */
static void lk_on_closed(int fd, uint32_t gen)
{
	if (gen)
		LK_RECORD(lk_fd_rec_close(fd, gen));
}

LK_EXPORT FILE *fopen(const char *path, const char *mode)
{
	LK_REAL_OR(fopen, NULL);
	FILE *fp = fn(path, mode);
	lk_on_stream(fp, "fopen", path, mode);
	return fp;
}

LK_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	LK_REAL_OR(fopen64, NULL);
	FILE *fp = fn(path, mode);
	lk_on_stream(fp, "fopen64", path, mode);
	return fp;
}

/* The descriptor already has its record (open, socket ...): keep that creating stack; only a
 * descriptor we never saw (inherited) gets one now. */
LK_EXPORT FILE *fdopen(int fd, const char *mode)
{
	lk_tracefile_yield(fd); /* never a stream on the trace: EBADF, as natively */
	LK_REAL_OR(fdopen, NULL);
	FILE *fp = fn(fd, mode);
	if (fp)
		LK_RECORD(lk_fd_rec_wrapped(fd, TRACE_FD_OTHER, "fdopen"));
	return fp;
}

static __attribute__((always_inline)) inline FILE *
lk_freopen(__typeof__(freopen) *fn, const char *api, const char *path, const char *mode, FILE *old)
{
	int oldfd = old ? fileno(old) : -1;
	uint32_t gen = lk_fd_gen_before_close(oldfd);
	FILE *fp = fn(path, mode, old);
	lk_on_closed(oldfd, gen);
	if (path)
		lk_on_stream(fp, api, path, mode);
	return fp;
}

LK_EXPORT FILE *freopen(const char *path, const char *mode, FILE *old)
{
	LK_REAL_OR(freopen, NULL);
	return lk_freopen(fn, "freopen", path, mode, old);
}

LK_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *old)
{
	LK_REAL_OR(freopen64, NULL);
	return lk_freopen(fn, "freopen64", path, mode, old);
}

LK_EXPORT int fclose(FILE *fp)
{
	LK_REAL_OR(fclose, EOF);
	lk_fd_close_before(fp ? fileno(fp) : -1); /* closed even when the flush fails */
	return fn(fp);
}

/* --- directories ---------------------------------------------------------------------- */

LK_EXPORT DIR *opendir(const char *path)
{
	LK_REAL_OR(opendir, NULL);
	DIR *d = fn(path);
	int fd = d ? dirfd(d) : -1;
	if (fd >= 0) /* glibc opens it O_CLOEXEC */
		LK_RECORD(lk_fd_rec_open(fd, TRACE_FD_DIR, 1, "opendir", AT_FDCWD, path));
	return d;
}

LK_EXPORT DIR *fdopendir(int fd)
{
	lk_tracefile_yield(fd);
	LK_REAL_OR(fdopendir, NULL);
	DIR *d = fn(fd);
	if (d)
		LK_RECORD(lk_fd_rec_wrapped(fd, TRACE_FD_DIR, "fdopendir"));
	return d;
}

LK_EXPORT int closedir(DIR *d)
{
	LK_REAL_OR(closedir, -1);
	lk_fd_close_before(dirfd(d));
	return fn(d);
}
