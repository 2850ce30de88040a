/* SPDX-License-Identifier: MIT */
/* exec_cloexec.c - opens /etc/hostname without close-on-exec (from open_inherited, so it is
 * inherited by the exec'd program) and /etc/passwd with O_CLOEXEC (from open_cloexec); the
 * flag is also changed after the fact: set by fcntl(F_SETFD) (open_then_setfd) and by
 * close_range(CLOSE_RANGE_CLOEXEC) (open_then_range_cloexec), cleared by dup2 of a cloexec
 * descriptor (dup2_clears_cloexec, inherited). Then it execs argv[1] (with the rest of argv).
 * Before that, two execs that fail (no such program, by path and by PATH search): the
 * process goes on and open_after_failed_exec's descriptor must still be recorded.
 * With "fork" as argv[1], the opens happen in the parent, a forked child execs argv[2]...,
 * and the parent waits for it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noinline)) static void open_inherited(void)
{
	sink = open("/etc/hostname", O_RDONLY);
}

__attribute__((noinline)) static void open_cloexec(void)
{
	sink = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
}

__attribute__((noinline)) static void open_then_setfd(void)
{
	int fd = open("/etc/group", O_RDONLY);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	sink = fd;
}

__attribute__((noinline)) static void open_then_range_cloexec(void)
{
	int o = open("/etc/hosts", O_RDONLY);
	int fd = dup2(o, 500);
	close(o);
	close_range(500, 500, CLOSE_RANGE_CLOEXEC);
	sink = fd;
}

__attribute__((noinline)) static void dup2_clears_cloexec(void)
{
	int fd = open("/etc/services", O_RDONLY | O_CLOEXEC);
	sink = dup2(fd, 501);
	close(fd);
}

__attribute__((noinline)) static void open_after_failed_exec(void)
{
	sink = open("/etc/shells", O_RDONLY);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	open_inherited();
	open_cloexec();
	open_then_setfd();
	open_then_range_cloexec();
	dup2_clears_cloexec();
	if (strcmp(argv[1], "fork") == 0) {
		if (argc < 3)
			return 2;
		pid_t pid = fork();
		if (pid == 0) {
			execv(argv[2], argv + 2);
			_exit(127);
		}
		int st;
		waitpid(pid, &st, 0);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	char *none[] = {"lk-no-such-program", NULL};
	if (execv("/nonexistent/lk-no-such-program", none) == 0 ||
	    execvp("lk-no-such-program", none) == 0)
		return 3;
	open_after_failed_exec();
	execv(argv[1], argv + 1);
	perror("execv");
	return 127;
}
