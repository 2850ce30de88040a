/* SPDX-License-Identifier: MIT */
/* hard_thread_churn.c - 2400 short-lived threads, joinable and detached, created and
 * finished while the preload writes snapshots every millisecond (LEAK_INTERVAL_MS=1): a
 * thread's ring and table entries must stay valid until the writer is done with them. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROUNDS    300
#define PER_ROUND 8

static atomic_int detached_done;
static atomic_long work;

static void *worker(void *arg)
{
	long n = (long)arg;
	void *keep[16];

	for (int i = 0; i < 16; i++)
		keep[i] = malloc(16 + (size_t)((n + i) % 300));
	for (int i = 0; i < 16; i++)
		free(keep[i]);
	atomic_fetch_add(&work, 16);
	if (n % 3 == 0)
		pthread_exit(NULL);
	return NULL;
}

static void *detached_entry(void *arg)
{
	char *p = malloc(100);

	free(p);
	atomic_fetch_add(&work, 1);
	atomic_fetch_add(&detached_done, 1);
	(void)arg;
	return NULL;
}

int main(void)
{
	int n_detached = 0;

	for (int r = 0; r < ROUNDS; r++) {
		pthread_t th[PER_ROUND];

		for (int i = 0; i < PER_ROUND; i++)
			pthread_create(&th[i], NULL, worker, (void *)(long)(r * PER_ROUND + i));
		for (int i = 0; i < PER_ROUND; i++) {
			pthread_t d;

			if (i % 2 == 0 && pthread_create(&d, NULL, detached_entry, NULL) == 0) {
				pthread_detach(d);
				n_detached++;
			}
		}
		for (int i = 0; i < PER_ROUND; i++)
			pthread_join(th[i], NULL);
	}
	while (atomic_load(&detached_done) < n_detached)
		usleep(1000);
	printf("threads %d, work %ld\n", ROUNDS * PER_ROUND + n_detached, atomic_load(&work));
	return 0;
}
