/* SPDX-License-Identifier: MIT */
/* scan_heap.c - the exit scan's cost: a child process fills a heap of MB megabytes with
 * blocks of BLOCK bytes from THREADS threads, each thread holding its blocks in an array only
 * its own stack points to, then the threads wait (in a futex: the scan of old and new
 * libleak alike reads their stacks) and the main thread calls exit(). The parent prints
 * "exit_ms X": from the child's exit() call to its end, which under libleak is the final
 * snapshot (stopping the threads, the reachability scan, the BLOCK records) and natively
 * the process teardown, and "exit_cpu_ms Y": the CPU time the child spent in that span (its
 * total from wait4 less what getrusage said at the exit() call), which a machine shared with
 * other work disturbs less than the wall time. Usage: scan_heap [MB [THREADS [BLOCK]]]
 * (1024 8 1024). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static size_t per_thread, block;
static pthread_barrier_t ready;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static uint64_t cpu_ns(const struct rusage *ru)
{
	return ((uint64_t)ru->ru_utime.tv_sec + (uint64_t)ru->ru_stime.tv_sec) * 1000000000u +
	       ((uint64_t)ru->ru_utime.tv_usec + (uint64_t)ru->ru_stime.tv_usec) * 1000u;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *filler(void *arg)
{
	(void)arg;
	size_t n = per_thread / block;
	void **volatile mine = malloc(n * sizeof(void *));
	if (!mine)
		exit(1);
	for (size_t i = 0; i < n; i++) {
		char *p = malloc(block);
		if (!p)
			exit(1);
		memset(p, (int)i, block);
		mine[i] = p;
	}
	pthread_barrier_wait(&ready);
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	unsigned threads = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 8;
	block = argc > 3 ? strtoul(argv[3], NULL, 10) : 1024;
	if (!threads || !block || !mb)
		return 2;
	per_thread = (mb << 20) / threads;
	int fds[2];
	if (pipe(fds) != 0)
		return 1;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		pthread_barrier_init(&ready, NULL, threads + 1);
		for (unsigned i = 0; i < threads; i++) {
			pthread_t t;
			if (pthread_create(&t, NULL, filler, NULL) != 0)
				_exit(1);
		}
		pthread_barrier_wait(&ready);
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		uint64_t t0[2] = {now_ns(), cpu_ns(&ru)};
		if (write(fds[1], t0, sizeof(t0)) != (ssize_t)sizeof(t0))
			_exit(1);
		exit(0);
	}
	close(fds[1]);
	uint64_t t0[2] = {0, 0};
	ssize_t r = read(fds[0], t0, sizeof(t0));
	int st = 0;
	struct rusage ru;
	wait4(pid, &st, 0, &ru);
	uint64_t t1 = now_ns();
	if (r != (ssize_t)sizeof(t0) || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "scan_heap: child failed (status %d)\n", st);
		return 1;
	}
	printf("exit_ms %.1f exit_cpu_ms %.1f\n", (double)(t1 - t0[0]) / 1e6,
	       (double)(cpu_ns(&ru) - t0[1]) / 1e6);
	return 0;
}
