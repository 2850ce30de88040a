/* SPDX-License-Identifier: MIT */
/* attach_churn.c - the workload of bench/attach.sh: waits until GOFILE exists (so that
 * leak-attach can attach first), then runs ROUNDS rounds of malloc/free churn five frames deep
 * in two threads and prints the milliseconds the churn took on stdout. Timing inside the
 * program leaves out start-up and the attach itself: what is compared is the cost per call.
 * usage: attach_churn GOFILE ROUNDS */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long rounds;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

__attribute__((noinline)) static void churn(void **pool, uint32_t *rng, int depth)
{
	if (depth > 0) {
		churn(pool, rng, depth - 1);
		__asm__ volatile("" ::: "memory");
		return;
	}
	for (int i = 0; i < 256; i++) {
		*rng ^= *rng << 13;
		*rng ^= *rng >> 17;
		*rng ^= *rng << 5;
		uint32_t slot = *rng & 255;
		free(pool[slot]);
		size_t n = 16 + (*rng >> 20) % 4000;
		pool[slot] = malloc(n);
		memset(pool[slot], 1, 16);
	}
}

static void *worker(void *arg)
{
	void *pool[256] = {0};
	uint32_t rng = 2463534242u + (uint32_t)(uintptr_t)arg;
	for (long r = 0; r < rounds; r++)
		churn(pool, &rng, 5);
	for (int i = 0; i < 256; i++)
		free(pool[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	rounds = atol(argv[2]);
	while (access(argv[1], F_OK) != 0)
		usleep(2000);
	double t0 = now_ms();
	pthread_t t[2];
	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("%.1f\n", now_ms() - t0);
	return 0;
}
