/* SPDX-License-Identifier: MIT */
/* attach_vfork.c - a parent stuck in vfork: the child writes its pid to PIDFILE (raw
 * syscalls only, as a vfork child must) and sleeps 60 s before it exits.
 * usage: attach_vfork PIDFILE */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t c = vfork();
	if (c == 0) {
		char buf[32];
		long pid = syscall(SYS_getpid);
		int n = 0;
		char rev[32];
		do
			rev[n++] = (char)('0' + pid % 10);
		while ((pid /= 10) && n < 30);
		for (int i = 0; i < n; i++)
			buf[i] = rev[n - 1 - i];
		buf[n++] = '\n';
		syscall(SYS_write, fd, buf, n);
		syscall(SYS_close, fd);
		syscall(SYS_rename, tmp, argv[1]);
		struct timespec d = {60, 0};
		syscall(SYS_nanosleep, &d, NULL);
		syscall(SYS_exit, 0);
	}
	close(fd);
	waitpid(c, NULL, 0);
	return 0;
}
