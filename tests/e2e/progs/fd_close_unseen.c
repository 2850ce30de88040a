/* SPDX-License-Identifier: MIT */
/* fd_close_unseen.c - a close() that finds its descriptor closed already. closed_unseen opens a
 * file (as a dup2 copy on 77), closes that with a raw system call no hook sees, then calls
 * close() on it, which fails with EBADF as natively: the descriptor is not open, so it is no
 * finding. kept_open's file and socket pair stay open and are findings, with their api and
 * path. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static long raw_close(int fd)
{
	long rc;
#if defined(__x86_64__)
	__asm__ volatile("syscall"
	                 : "=a"(rc)
	                 : "0"((long)SYS_close), "D"((long)fd)
	                 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = SYS_close;
	register long x0 __asm__("x0") = fd;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8) : "memory");
	rc = x0;
#else
	rc = syscall(SYS_close, fd); /* hooked elsewhere: the test then checks less */
#endif
	return rc;
}

static int held[3];

__attribute__((noinline)) static int closed_unseen(void)
{
	/* On a number nothing opens again: a later open of the same number would end the
	 * table's entry anyway. */
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, 77) != 77 || close(fd) != 0 || raw_close(77) != 0)
		return 10;
	errno = 0;
	if (close(77) != -1 || errno != EBADF)
		return 11;
	return 0;
}

__attribute__((noinline)) static int kept_open(void)
{
	held[0] = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (held[0] < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, &held[1]) != 0)
		return 12;
	return 0;
}

int main(void)
{
	int rc = closed_unseen();
	if (rc == 0)
		rc = kept_open();
	if (rc == 0)
		puts("ok");
	return rc;
}
