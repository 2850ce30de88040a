/* SPDX-License-Identifier: MIT */
/* fault_burst.c - 16 threads allocate and free flat out (1,000,000 pairs each) while the
 * snapshot interval is long, to overflow the per-thread rings. Each thread also leaks exactly
 * one 48-byte block per 1,000 allocations from burst_leak(), so a run without dropped events
 * must report exactly 16 x 1,000 = 16,000 leaked blocks (768,000 bytes) from it. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Allocations go through a volatile (per-thread) pointer so the compiler cannot drop a
 * malloc/free pair. */
static _Thread_local void *volatile sink;

#define N_THREADS  16
#define N_PAIRS    1000000
#define LEAK_EVERY 1000

void *burst_sink[N_THREADS][N_PAIRS / LEAK_EVERY];

static void *__attribute__((noinline)) burst_leak(void)
{
	void *p = malloc(48);

	__asm__ volatile("" ::: "memory");
	return p;
}

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	unsigned long sum = 0;

	for (int i = 0; i < N_PAIRS; i++) {
		char *p = malloc(16 + (size_t)(i & 255));

		if (p) {
			p[0] = (char)i;
			sum += (unsigned char)p[0];
		}
		sink = p;
		free(sink);
		if (i % LEAK_EVERY == 0)
			burst_sink[t][i / LEAK_EVERY] = burst_leak();
	}
	return (void *)(uintptr_t)sum;
}

int main(void)
{
	pthread_t th[N_THREADS];
	unsigned long total = 0;

	for (int i = 0; i < N_THREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < N_THREADS; i++) {
		void *r;

		pthread_join(th[i], &r);
		total += (unsigned long)(uintptr_t)r;
	}
	printf("burst: %d threads x %d pairs, checksum %lu\n", N_THREADS, N_PAIRS, total);
	return 0;
}
