/* SPDX-License-Identifier: MIT */
/* lib_attach_stub.c - a stand-in for libleak.so with nothing but the attach entry points, for
 * the tests of leak-attach's own mechanics (stopping, calling in, restoring, releasing): each
 * call appends "begin DIR MS" or "end" to DIR/stub.log and returns 0; the first
 * $LEAK_STUB_END_TIMEOUTS calls of end (the program's environment) return -ETIMEDOUT instead,
 * as libleak's does when its writer thread did not get to run in time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[4096];

__attribute__((visibility("default"))) int leak_attach_begin(const char *out_dir,
                                                             unsigned interval_ms)
{
	snprintf(dir, sizeof dir, "%s", out_dir);
	char path[4200], line[4300];
	snprintf(path, sizeof path, "%s/stub.log", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int n = snprintf(line, sizeof line, "begin %s %u\n", out_dir, interval_ms);
	int ok = write(fd, line, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -5;
}

__attribute__((visibility("default"))) int leak_attach_end(void)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/stub.log", dir);
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -2;
	int ok = write(fd, "end\n", 4) == 4;
	close(fd);
	static int timeouts;
	const char *n = getenv("LEAK_STUB_END_TIMEOUTS");
	if (ok && n && timeouts < atoi(n)) {
		timeouts++;
		return -ETIMEDOUT;
	}
	return ok ? 0 : -5;
}
