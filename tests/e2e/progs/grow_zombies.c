/* SPDX-License-Identifier: MIT */
/* grow_zombies.c - a process per request: spawn_worker() forks a child every 50 ms that exits
 * at once. "leak": the parent never waits, so zombies pile up at spawn_worker's stack
 * (~20/s); "ok": it reaps each one. Runs SECONDS seconds (0 = until killed), prints "ready"
 * first and "children N" at the end.
 * With KILL_AFTER > 0 it SIGKILLs itself after that many requests (a trace cut short, at a
 * moment when it is known to have been growing, however loaded the machine is).
 * Usage: grow_zombies leak|ok SECONDS [KILL_AFTER] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) pid_t spawn_worker(void)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0)
		_exit(0);
	__asm__ volatile("" : : "r"(pid) : "memory");
	return pid;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 || (strcmp(argv[1], "leak") != 0 && strcmp(argv[1], "ok") != 0)) {
		fprintf(stderr, "usage: grow_zombies leak|ok SECONDS [KILL_AFTER]\n");
		return 2;
	}
	int leak = strcmp(argv[1], "leak") == 0;
	double secs = atof(argv[2]);
	double end = now_s() + secs;
	long n = 0, kill_after = argc == 4 ? atol(argv[3]) : 0;
	printf("ready\n");
	fflush(stdout);
	const struct timespec tick = {0, 50 * 1000 * 1000};
	while ((secs <= 0 || now_s() < end) && n < 1000) {
		pid_t pid = spawn_worker();
		n++;
		if (!leak)
			waitpid(pid, NULL, 0);
		if (kill_after > 0 && n >= kill_after)
			raise(SIGKILL);
		nanosleep(&tick, NULL);
	}
	printf("children %ld\n", n);
	fflush(stdout);
	while (secs <= 0)
		pause();
	return 0;
}
