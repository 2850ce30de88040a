/* SPDX-License-Identifier: MIT */
/* fd_dup.c - descriptor duplication and reuse. Leaks one descriptor from each of dup, dup2,
 * dup3 (O_CLOEXEC) and fcntl(F_DUPFD_CLOEXEC); dup2 over an open descriptor (the file it
 * replaced was closed by dup2, so only the new one leaks); close_range over five eventfds and
 * fcntl(F_DUPFD)+close (not leaks); a number reused after close (only the second open leaks). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noinline)) static int src_fd(void)
{
	return open("/etc/hostname", O_RDONLY | O_CLOEXEC);
}

__attribute__((noinline)) static void leak_dup(int src)
{
	sink = dup(src);
}

__attribute__((noinline)) static void leak_dup2(int src)
{
	sink = dup2(src, 100);
}

__attribute__((noinline)) static void leak_dup3(int src)
{
	sink = dup3(src, 101, O_CLOEXEC);
}

__attribute__((noinline)) static void leak_fcntl_dup(int src)
{
	sink = fcntl(src, F_DUPFD_CLOEXEC, 200);
}

/* Opens /etc/passwd on 102, then dup2s a pipe's read end over it. */
__attribute__((noinline)) static void overwritten_open(void)
{
	int fd = open("/etc/passwd", O_RDONLY);
	dup2(fd, 102);
	close(fd);
}

__attribute__((noinline)) static void leak_dup2_over_open(void)
{
	int p[2];
	if (pipe(p) != 0)
		return;
	sink = dup2(p[0], 102);
	close(p[0]);
	close(p[1]);
}

__attribute__((noinline)) static void close_range_victims(void)
{
	for (int i = 0; i < 5; i++) {
		int e = eventfd(0, 0);
		dup2(e, 300 + i);
		close(e);
	}
}

__attribute__((noinline)) static void first_use_of_number(void)
{
	int fd = open("/etc/hostname", O_RDONLY);
	dup2(fd, 400);
	close(fd);
	close(400);
}

__attribute__((noinline)) static void leak_reused_number(void)
{
	int fd = open("/etc/group", O_RDONLY);
	sink = dup2(fd, 400);
	close(fd);
}

int main(void)
{
	int src = src_fd();
	leak_dup(src);
	leak_dup2(src);
	leak_dup3(src);
	leak_fcntl_dup(src);
	close(fcntl(src, F_DUPFD, 250));
	overwritten_open();
	leak_dup2_over_open();
	close_range_victims();
	close_range(300, 304, 0);
	first_use_of_number();
	leak_reused_number();
	close(src);
	return 0;
}
