/* SPDX-License-Identifier: MIT */
/* raw_exit_child.c - children whose end no hook sees. Child A leaks 4321 bytes, allocates for
 * 300 ms (periodic snapshots are written meanwhile), then leaves through an inline-asm
 * exit_group(7): no libc, no END record. Child B does the same and is then killed by SIGKILL.
 * The parent reaps both with waitpid and prints what it saw. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *volatile sink;
static void *volatile keep[4096];

static void raw_exit_group(int code)
{
#if defined(__x86_64__)
	__asm__ volatile("syscall" ::"a"(231), "D"(code) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = 94;
	register long x0 __asm__("x0") = code;
	__asm__ volatile("svc 0" ::"r"(x8), "r"(x0) : "memory");
#else
#error "raw_exit_child: x86-64 or aarch64"
#endif
	for (;;)
		;
}

/* Live allocations for about ms milliseconds: each hook may find a snapshot due. */
static void allocate_for(int ms)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0;; i++) {
		keep[i % 4096] = malloc(24);
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			break;
	}
}

static void report(const char *name, pid_t kid)
{
	int st = 0;
	if (waitpid(kid, &st, 0) != kid)
		exit(3);
	if (WIFEXITED(st))
		printf("child %s: exit %d\n", name, WEXITSTATUS(st));
	else
		printf("child %s: signal %d\n", name, WTERMSIG(st));
	fflush(stdout);
}

int main(void)
{
	pid_t a = fork();
	if (a == 0) {
		sink = malloc(4321); /* the child's leak */
		allocate_for(300);
		raw_exit_group(7);
	}
	report("A", a);
	pid_t b = fork();
	if (b == 0) {
		sink = malloc(1234);
		allocate_for(300);
		kill(getpid(), SIGKILL);
		raw_exit_group(8);
	}
	report("B", b);
	sink = malloc(1000);
	return 0;
}
