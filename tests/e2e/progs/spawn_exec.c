/* SPDX-License-Identifier: MIT */
/* spawn_exec.c - a parent that runs other programs the usual way, fork then exec, and has a
 * worker too. Parent mode (no argument): first interns many distinct stacks of its own (a
 * parent with a big state, which a pre-exec trace would repeat), then forks 5 children that
 * each allocate a scratch block (never freed: the exec releases it) and exec this program
 * again as "leaker", which leaks 3 blocks of 1111 bytes from spawn_exec_leak() and exits 0;
 * then forks one worker that leaks 2 blocks of 777 bytes from spawn_worker_leak() and exits
 * without exec. With BADEXEC (an executable file exec cannot run: ENOEXEC), one more child
 * execs it, fails, leaks 999 bytes from spawn_failed_leak() and exits 0. Every child is
 * waited for; prints "done". Usage: spawn_exec [leaker | BADEXEC] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void *alloc_keep(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

__attribute__((noinline)) void spawn_exec_leak(void)
{
	void *p = malloc(1111);
	if (!p)
		abort();
	__asm__ volatile("" : : "r"(p) : "memory");
}

__attribute__((noinline)) void spawn_failed_leak(void)
{
	void *p = malloc(999);
	if (!p)
		abort();
	__asm__ volatile("" : : "r"(p) : "memory");
}

__attribute__((noinline)) void spawn_worker_leak(void)
{
	void *p = malloc(777);
	if (!p)
		abort();
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* Distinct call chains (recursion depth d, then a free): each a stack the parent interns. */
__attribute__((noinline)) static void deep(int d)
{
	if (d > 0) {
		deep(d - 1);
		__asm__ volatile("" ::: "memory");
		return;
	}
	free(alloc_keep(16));
}

__attribute__((noinline)) static void scrub_stack(void)
{
	char buf[256 * 1024];
	memset(buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

static int wait_ok(pid_t p)
{
	int st;
	return waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "leaker") == 0) {
		for (int i = 0; i < 3; i++)
			spawn_exec_leak();
		scrub_stack();
		return 0;
	}
	for (int d = 0; d < 60; d++)
		deep(d);
	for (int i = 0; i < 5; i++) {
		pid_t p = fork();
		if (p < 0)
			return 1;
		if (p == 0) {
			alloc_keep(5555); /* the child's own, between fork and exec */
			execl("/proc/self/exe", argv[0], "leaker", (char *)0);
			_exit(127);
		}
		if (!wait_ok(p))
			return 1;
	}
	pid_t w = fork();
	if (w < 0)
		return 1;
	if (w == 0) {
		for (int i = 0; i < 2; i++)
			spawn_worker_leak();
		scrub_stack();
		exit(0);
	}
	if (!wait_ok(w))
		return 1;
	if (argc > 1) {
		pid_t b = fork();
		if (b < 0)
			return 1;
		if (b == 0) {
			execl(argv[1], argv[1], (char *)0);
			spawn_failed_leak();
			scrub_stack();
			exit(0);
		}
		if (!wait_ok(b))
			return 1;
	}
	puts("done");
	return 0;
}
