/* SPDX-License-Identifier: MIT */
/* hard_sigterm_alloc.c - threads that malloc and free without pause, so that a SIGTERM sent
 * to the process lands, as often as not, on a thread inside a heap hook (holding a lock of
 * the block table's): the final snapshot must still be written and the process must die of
 * the signal promptly. Prints "ready" once every thread is going; runs until killed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 3

static atomic_int going;

static void *worker(void *arg)
{
	size_t n = (size_t)(long)arg;
	void *keep[64] = {0};
	atomic_fetch_add(&going, 1);
	for (unsigned i = 0;; i++) {
		unsigned k = i % 64;
		free(keep[k]);
		keep[k] = malloc(16 + (n * 37 + i) % 500);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
			return 1;
	while (atomic_load(&going) < THREADS)
		usleep(1000);
	printf("ready\n");
	fflush(stdout);
	worker((void *)THREADS); /* the main thread too: a process's signal goes to it first */
}
