/* SPDX-License-Identifier: MIT */
/* fork_thread.c - process and thread churn: fork + waitpid of a child that allocates once and
 * _exits, then pthread_create + join of a thread that makes a few allocations. Costs here are
 * per-process and per-thread set-up (a profiler's fork handler, a fresh per-thread unwind
 * cache), not per-malloc. Usage: fork_thread [FORKS] [THREADS]. Prints
 * "events N forks F threads T heap_allocs A" on stderr (events = forks + threads + allocs +
 * frees in the parent). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREAD_ALLOCS 8

static void *thread_main(void *arg)
{
	void *p[THREAD_ALLOCS];
	for (int i = 0; i < THREAD_ALLOCS; i++) {
		p[i] = malloc(64 + (size_t)i * 32);
		if (p[i])
			memset(p[i], i, 64);
	}
	for (int i = 0; i < THREAD_ALLOCS; i++)
		free(p[i]);
	return arg;
}

int main(int argc, char **argv)
{
	long forks = argc > 1 ? atol(argv[1]) : 1200;
	long threads = argc > 2 ? atol(argv[2]) : 4000;
	for (long i = 0; i < forks; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			char *p = malloc(256);
			if (p)
				memset(p, 1, 256);
			free(p);
			_exit(0);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "child %d failed\n", (int)pid);
			return 1;
		}
	}
	for (long i = 0; i < threads; i++) {
		pthread_t th;
		if (pthread_create(&th, NULL, thread_main, NULL) != 0) {
			perror("pthread_create");
			return 1;
		}
		pthread_join(th, NULL);
	}
	unsigned long long allocs = (unsigned long long)threads * THREAD_ALLOCS;
	fprintf(stderr, "events %llu forks %ld threads %ld heap_allocs %llu\n",
	        (unsigned long long)(forks + threads) + 2 * allocs, forks, threads, allocs);
	return 0;
}
