/* SPDX-License-Identifier: MIT */
/* grow_detached.c - a detached thread per request: spawn_worker() starts a thread every 50 ms
 * and detaches it with pthread_detach(). "leak": each worker waits forever on a condition
 * nobody signals, so the count of live detached threads grows (~20/s) and nobody will ever
 * join them; "ok": each worker returns at once, the count stays near zero. Runs SECONDS
 * seconds, prints "threads N" (started) at the end and exits with the leak's threads still
 * blocked. Usage: grow_detached leak|ok SECONDS */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int leak;

static void *worker(void *arg)
{
	(void)arg;
	if (!leak)
		return NULL;
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return NULL;
}

__attribute__((noinline)) void spawn_worker(long req)
{
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 64 * 1024);
	if (pthread_create(&t, &at, worker, (void *)(uintptr_t)req) != 0) {
		perror("pthread_create");
		exit(1);
	}
	pthread_attr_destroy(&at);
	pthread_detach(t);
	__asm__ volatile("" : : "r"(&t) : "memory");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "leak") != 0 && strcmp(argv[1], "ok") != 0)) {
		fprintf(stderr, "usage: grow_detached leak|ok SECONDS\n");
		return 2;
	}
	leak = strcmp(argv[1], "leak") == 0;
	double end = now_s() + atof(argv[2]);
	long n = 0;
	while (now_s() < end) {
		spawn_worker(n++);
		usleep(50 * 1000);
	}
	printf("threads %ld\n", n);
	fflush(stdout);
	return 0;
}
