/* SPDX-License-Identifier: MIT */
/* grow_threads.c - a thread per request: spawn_handler() starts a joinable thread for each
 * request (every 50 ms) that does a little work and returns. "leak": nobody joins them, so
 * finished-but-unjoined threads pile up at spawn_handler's stack (~20/s); "ok": each is
 * joined. Runs SECONDS seconds (0 = until killed), prints "ready" first and "threads N" at
 * the end.
 * With KILL_AFTER > 0 it SIGKILLs itself after that many requests (a trace cut short, at a
 * moment when it is known to have been growing, however loaded the machine is).
 * Usage: grow_threads leak|ok SECONDS [KILL_AFTER] */
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *handler(void *arg)
{
	volatile unsigned long sum = 0;
	for (unsigned long i = 0; i < 1000; i++)
		sum += i * (unsigned long)(uintptr_t)arg;
	return NULL;
}

__attribute__((noinline)) pthread_t spawn_handler(long req)
{
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 64 * 1024);
	if (pthread_create(&t, &at, handler, (void *)(uintptr_t)req) != 0) {
		perror("pthread_create");
		exit(1);
	}
	pthread_attr_destroy(&at);
	__asm__ volatile("" : : "r"(&t) : "memory");
	return t;
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
		fprintf(stderr, "usage: grow_threads leak|ok SECONDS [KILL_AFTER]\n");
		return 2;
	}
	int leak = strcmp(argv[1], "leak") == 0;
	double secs = atof(argv[2]);
	double end = now_s() + secs;
	long n = 0, kill_after = argc == 4 ? atol(argv[3]) : 0;
	printf("ready\n");
	fflush(stdout);
	const struct timespec tick = {0, 50 * 1000 * 1000};
	while ((secs <= 0 || now_s() < end) && n < 2000) {
		pthread_t t = spawn_handler(n++);
		if (!leak)
			pthread_join(t, NULL);
		if (kill_after > 0 && n >= kill_after)
			raise(SIGKILL);
		nanosleep(&tick, NULL);
	}
	printf("threads %ld\n", n);
	fflush(stdout);
	while (secs <= 0)
		pause();
	return 0;
}
