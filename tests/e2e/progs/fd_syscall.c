/* SPDX-License-Identifier: MIT */
/* fd_syscall.c - descriptors made and closed through libc's syscall(), as libuv (node) does:
 * syscall(SYS_close) on a socket, a pipe and a dup3 copy must end them (no finding from
 * closed_by_syscall), while leak_by_syscall's socket, dup and pipe2 made the same way stay
 * open and are reported. close_range through syscall() closes a file. Errors keep errno. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int held[8];

__attribute__((noinline)) static void closed_by_syscall(void)
{
	int s = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int p[2];
	if (s < 0 || syscall(SYS_pipe2, p, O_CLOEXEC) != 0)
		_exit(10);
	int d = (int)syscall(SYS_dup3, p[0], 40, O_CLOEXEC);
	int f = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (d != 40 || f < 0)
		_exit(11);
	syscall(SYS_close, s);
	syscall(SYS_close, p[0]);
	syscall(SYS_close, p[1]);
	syscall(SYS_close, d);
	int g = (int)syscall(SYS_dup, f);
	syscall(SYS_close_range, (unsigned)f, (unsigned)f, 0);
	syscall(SYS_close, g);
}

__attribute__((noinline)) static void leak_by_syscall(void)
{
	held[0] = (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	held[1] = (int)syscall(SYS_dup, held[0]);
	if (syscall(SYS_pipe2, &held[2], O_CLOEXEC) != 0 || held[0] < 0 || held[1] < 0)
		_exit(12);
}

int main(void)
{
	closed_by_syscall();
	leak_by_syscall();
	errno = 0;
	if (syscall(SYS_close, 12345) != -1 || errno != EBADF)
		return 13;
	puts("ok");
	return 0;
}
