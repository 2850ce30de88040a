/* SPDX-License-Identifier: MIT */
/* hard_thread_exit.c - the process ends from a thread other than main.
 *   exit      a worker thread calls exit(7) while main is blocked in pthread_join and a
 *             third thread is allocating: the final snapshot runs on the worker.
 *   mainexit  main calls pthread_exit; the process ends (status 0, as if exit(0)) when the
 *             last worker returns. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Allocations go through a volatile (per-thread) pointer so the compiler cannot drop a
 * malloc/free pair. */
static _Thread_local void *volatile sink;

static atomic_int allocating;

static void *allocator(void *arg)
{
	(void)arg;
	atomic_store(&allocating, 1);
	for (;;) {
		sink = malloc(64);
		free(sink);
	}
	return NULL;
}

static void *exiter(void *arg)
{
	char *msg = malloc(100);

	(void)arg;
	while (!atomic_load(&allocating))
		usleep(1000);
	usleep(50000);
	snprintf(msg, 100, "worker calls exit(7)");
	puts(msg);
	exit(7);
}

static void *last(void *arg)
{
	char *keep = strdup("last worker returns");

	(void)arg;
	usleep(100000);
	puts(keep);
	return keep;
}

int main(int argc, char **argv)
{
	pthread_t a, b;

	if (argc < 2)
		return 2;
	puts("main starts");
	if (strcmp(argv[1], "exit") == 0) {
		pthread_create(&a, NULL, allocator, NULL);
		pthread_create(&b, NULL, exiter, NULL);
		pthread_join(b, NULL);
		puts("not reached");
		return 1;
	}
	if (strcmp(argv[1], "mainexit") == 0) {
		pthread_create(&b, NULL, last, NULL);
		pthread_detach(b);
		pthread_exit(NULL);
	}
	return 2;
}
