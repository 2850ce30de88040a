/* SPDX-License-Identifier: MIT */
/* follow.c - is our parent under the preload? With LEAK_FOLLOW_FORK=0 a forked child stops
 * recording at fork (fork.c), but a program it execs (or one started by posix_spawn, system()
 * or popen, which glibc runs without our hooks) loads libleak.so afresh from LD_PRELOAD. The
 * environment cannot carry a marker there without changing the traced program's own, so the
 * new program looks at its parent instead: if the parent has this very file (same inode)
 * mapped, it is a descendant of the traced program. The traced program itself was started by
 * something without the preload (a shell, leak-run), and keeps tracing across its own execs
 * (same process, same parent). */
#include "follow.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"

/* Our own device ("major:minor" as /proc/PID/maps writes it) and inode, from the file
 * dladdr names. */
static int lk_self_ino(uint64_t *major, uint64_t *minor, uint64_t *ino)
{
	Dl_info info;
	if (!dladdr((void *)lk_self_ino, &info) || !info.dli_fname || !info.dli_fname[0])
		return -1;
	int fd = lk_sys_open(info.dli_fname, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	uint64_t dev;
	int r = lk_sys_fstat_ino(fd, &dev, ino);
	lk_sys_close(fd);
	*major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull);
	*minor = (dev & 0xff) | ((dev >> 12) & ~0xffull);
	return r;
}

static uint64_t lk_parse_num(const char *s, size_t n, size_t *i, unsigned base)
{
	uint64_t v = 0;
	for (; *i < n; (*i)++) {
		char c = s[*i];
		unsigned d = c >= '0' && c <= '9'                 ? (unsigned)(c - '0')
		             : base == 16 && c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
		                                                  : base;
		if (d >= base)
			break;
		v = v * base + d;
	}
	return v;
}

/* Does one maps line ("addr perms offset major:minor inode path") map that file? */
static int lk_line_is(const char *s, size_t n, uint64_t major, uint64_t minor, uint64_t ino)
{
	size_t i = 0;
	for (int field = 0; field < 3; field++) {
		while (i < n && s[i] != ' ')
			i++;
		while (i < n && s[i] == ' ')
			i++;
	}
	uint64_t ma = lk_parse_num(s, n, &i, 16);
	if (i >= n || s[i++] != ':')
		return 0;
	uint64_t mi = lk_parse_num(s, n, &i, 16);
	while (i < n && s[i] == ' ')
		i++;
	return ma == major && mi == minor && lk_parse_num(s, n, &i, 10) == ino;
}

int lk_parent_has_preload(void)
{
	uint64_t major, minor, self;
	if (lk_self_ino(&major, &minor, &self) < 0 || !self)
		return 0;
	char path[40] = "/proc/";
	size_t at = 6;
	at += lk_fmt_u64(path + at, (uint64_t)syscall(SYS_getppid));
	memcpy(path + at, "/maps", 6);
	int fd = lk_sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	char buf[8192];
	size_t len = 0;
	int found = 0;
	for (;;) {
		ssize_t n = lk_sys_read(fd, buf + len, sizeof(buf) - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < len; i++) {
			if (buf[i] != '\n')
				continue;
			if (lk_line_is(buf + start, i - start, major, minor, self))
				found = 1;
			start = i + 1;
		}
		if (found)
			break;
		if (start == 0) /* a line longer than the buffer: skip its start */
			start = len;
		memmove(buf, buf + start, len - start);
		len -= start;
	}
	lk_sys_close(fd);
	return found;
}
