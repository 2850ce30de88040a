/* SPDX-License-Identifier: MIT */
/* fd_pipes.c - leaks both ends of a pipe() and of a pipe2(O_CLOEXEC), each from its own
 * function; a pipe closed on both ends is not a leak. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noinline)) static void leak_pipe(void)
{
	int p[2];
	sink = pipe(p);
}

__attribute__((noinline)) static void leak_pipe2(void)
{
	int p[2];
	sink = pipe2(p, O_CLOEXEC);
}

int main(void)
{
	int p[2];
	if (pipe(p) == 0) {
		close(p[0]);
		close(p[1]);
	}
	leak_pipe();
	leak_pipe2();
	return 0;
}
