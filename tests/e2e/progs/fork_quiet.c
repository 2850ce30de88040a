/* SPDX-License-Identifier: MIT */
/* fork_quiet.c - forked children with and without something of their own. Twenty "quiet"
 * children each allocate and free a block and end with exit(i % 5) (even i) or _exit(i % 5)
 * (odd i); one leaks 777 bytes at child_leak and exits 3; one allocates, frees and then kills
 * itself with SIGKILL. The parent reaps each at once and prints "quiet PID STATUS",
 * "leaky PID 3" and "killed PID 9". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void *volatile sink;

__attribute__((noinline)) void child_leak(size_t n)
{
	char *p = malloc(n);
	if (p)
		memset(p, 7, n);
	sink = p;
	sink = NULL;
}

__attribute__((noinline)) static void child_churn(void)
{
	char *p = malloc(256);
	if (p)
		memset(p, 1, 256);
	sink = p;
	free(p);
	sink = NULL;
}

static int reap(pid_t pid)
{
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		exit(2);
	return WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st);
}

int main(void)
{
	for (int i = 0; i < 20; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			child_churn();
			if (i % 2)
				_exit(i % 5);
			exit(i % 5);
		}
		printf("quiet %d %d\n", (int)pid, reap(pid));
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		child_leak(777);
		exit(3);
	}
	printf("leaky %d %d\n", (int)pid, reap(pid));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		child_churn();
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	printf("killed %d %d\n", (int)pid, reap(pid));
	return 0;
}
