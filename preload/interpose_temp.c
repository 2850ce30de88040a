/* SPDX-License-Identifier: MIT */
/* interpose_temp.c - temp files: the mkstemp family and mkdtemp (a file or directory that
 * outlives the program unless removed), tmpfile (unlinked at creation: a descriptor only), and
 * the removers unlink, unlinkat, remove and rmdir, which mark a temp file of that path gone.
 * Each hook has hook.h's shape; the recording is fd_record.c's. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fd_record.h"
#include "hook.h"
#include "trace_format.h"

/* tmpfile's file is unlinked at creation: nothing can be left on disk, so it is an fd only. */
LK_EXPORT FILE *tmpfile(void)
{
	LK_REAL_OR(tmpfile, NULL);
	FILE *fp = fn();
	int fd = fp ? fileno(fp) : -1;
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_open(fd, TRACE_FD_FILE, 0, "tmpfile", AT_FDCWD, NULL));
	return fp;
}

LK_EXPORT FILE *tmpfile64(void)
{
	LK_REAL_OR(tmpfile64, NULL);
	FILE *fp = fn();
	int fd = fp ? fileno(fp) : -1;
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_open(fd, TRACE_FD_FILE, 0, "tmpfile64", AT_FDCWD, NULL));
	return fp;
}

/* always_inline, as every helper holding an LK_RECORD: the stack is walked from the frame
 * of the hook the program called (hook.h). */
static __attribute__((always_inline)) inline void lk_on_temp(int fd, const char *tmpl, int cloexec,
                                                             const char *api)
{
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_temp(fd, tmpl, cloexec, api));
}

LK_EXPORT int mkstemp(char *tmpl)
{
	LK_REAL_OR(mkstemp, -1);
	int fd = fn(tmpl);
	lk_on_temp(fd, tmpl, 0, "mkstemp");
	return fd;
}

LK_EXPORT int mkstemp64(char *tmpl)
{
	LK_REAL_OR(mkstemp64, -1);
	int fd = fn(tmpl);
	lk_on_temp(fd, tmpl, 0, "mkstemp64");
	return fd;
}

LK_EXPORT int mkostemp(char *tmpl, int flags)
{
	LK_REAL_OR(mkostemp, -1);
	int fd = fn(tmpl, flags);
	lk_on_temp(fd, tmpl, flags & O_CLOEXEC, "mkostemp");
	return fd;
}

LK_EXPORT int mkostemp64(char *tmpl, int flags)
{
	LK_REAL_OR(mkostemp64, -1);
	int fd = fn(tmpl, flags);
	lk_on_temp(fd, tmpl, flags & O_CLOEXEC, "mkostemp64");
	return fd;
}

LK_EXPORT int mkstemps(char *tmpl, int suffixlen)
{
	LK_REAL_OR(mkstemps, -1);
	int fd = fn(tmpl, suffixlen);
	lk_on_temp(fd, tmpl, 0, "mkstemps");
	return fd;
}

LK_EXPORT int mkstemps64(char *tmpl, int suffixlen)
{
	LK_REAL_OR(mkstemps64, -1);
	int fd = fn(tmpl, suffixlen);
	lk_on_temp(fd, tmpl, 0, "mkstemps64");
	return fd;
}

LK_EXPORT int mkostemps(char *tmpl, int suffixlen, int flags)
{
	LK_REAL_OR(mkostemps, -1);
	int fd = fn(tmpl, suffixlen, flags);
	lk_on_temp(fd, tmpl, flags & O_CLOEXEC, "mkostemps");
	return fd;
}

LK_EXPORT int mkostemps64(char *tmpl, int suffixlen, int flags)
{
	LK_REAL_OR(mkostemps64, -1);
	int fd = fn(tmpl, suffixlen, flags);
	lk_on_temp(fd, tmpl, flags & O_CLOEXEC, "mkostemps64");
	return fd;
}

LK_EXPORT char *mkdtemp(char *tmpl)
{
	LK_REAL_OR(mkdtemp, NULL);
	char *dir = fn(tmpl);
	if (dir)
		LK_RECORD(lk_fd_rec_temp(-1, dir, 0, "mkdtemp"));
	return dir;
}

/* --- removers --------------------------------------------------------------------------- */

static void lk_on_removed(int rc, int dirfd, const char *path)
{
	if (rc == 0 && path)
		LK_RECORD(lk_fd_rec_removed(dirfd, path));
}

LK_EXPORT int unlink(const char *path)
{
	LK_REAL_OR(unlink, -1);
	int rc = fn(path);
	lk_on_removed(rc, AT_FDCWD, path);
	return rc;
}

LK_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	LK_REAL_OR(unlinkat, -1);
	int rc = fn(dirfd, path, flags);
	lk_on_removed(rc, dirfd, path);
	return rc;
}

LK_EXPORT int remove(const char *path)
{
	LK_REAL_OR(remove, -1);
	int rc = fn(path);
	lk_on_removed(rc, AT_FDCWD, path);
	return rc;
}

LK_EXPORT int rmdir(const char *path)
{
	LK_REAL_OR(rmdir, -1);
	int rc = fn(path);
	lk_on_removed(rc, AT_FDCWD, path);
	return rc;
}
