/* SPDX-License-Identifier: MIT */
/* hard_close_fds.c - a daemon that cleans up its descriptors at start, then reuses the low
 * numbers for its own files. Modes:
 *   close        close(fd) for fd 0..1023
 *   close_range  close_range(0, ~0U, 0)
 *   closefrom    closefrom(0) (glibc 2.34+; OpenSSH does this)
 *   dup2         dup2(/dev/null, fd) over every fd 0..1023
 * The preload's trace descriptor is among them. If the preload keeps writing to that number
 * after the program reused it, its bytes land in the program's output file, which the test
 * compares with a native run; the trace itself must still read. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Allocations go through a volatile (per-thread) pointer so the compiler cannot drop a
 * malloc/free pair. */
static _Thread_local void *volatile sink;

static void reopen_std(void)
{
	/* Daemon style: 0, 1 and 2 become /dev/null again, so later opens get 3, 4, ... */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			_exit(90);
}

int main(int argc, char **argv)
{
	char path[4096];
	int out;

	if (argc < 3)
		return 2;
	char *before = malloc(1000);

	if (strcmp(argv[1], "close") == 0) {
		for (int fd = 0; fd < 1024; fd++)
			close(fd);
	} else if (strcmp(argv[1], "close_range") == 0) {
		if (close_range(0, ~0U, 0) != 0)
			return 91;
	} else if (strcmp(argv[1], "closefrom") == 0) {
		closefrom(0);
	} else if (strcmp(argv[1], "dup2") == 0) {
		int null_fd = open("/dev/null", O_RDWR);

		for (int fd = 0; fd < 1024; fd++)
			if (fd != null_fd)
				dup2(null_fd, fd);
		close(null_fd);
	} else {
		return 2;
	}
	reopen_std();
	snprintf(path, sizeof path, "%s/out.txt", argv[2]);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		return 92;
	free(before);
	for (int round = 0; round < 40; round++) {
		char line[128], tmp[4200];
		int n, fd;

		/* Files opened and closed reuse the lowest free numbers, again and again. */
		snprintf(tmp, sizeof tmp, "%s/tmp%d", argv[2], round % 4);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			if (write(fd, "scratch\n", 8) != 8)
				return 93;
			close(fd);
		}
		for (int i = 0; i < 50; i++)
			sink = malloc(64 + (size_t)i);
		free(sink);
		n = snprintf(line, sizeof line, "round %d\n", round);
		if (write(out, line, (size_t)n) != n)
			return 94;
		usleep(10000);
	}
	if (write(out, "done\n", 5) != 5)
		return 95;
	close(out);
	return 0;
}
