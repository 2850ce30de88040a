/* SPDX-License-Identifier: MIT */
/* sample_single.c - a single-threaded program that computes without blocking: malloc/free
 * churn for 700 ms of CPU time (several snapshot intervals at libleak's dense start), then 24
 * blocks of 1 MiB leaked (leak_big), then whether glibc still thinks the process is
 * single-threaded. Under LEAK_SAMPLE libleak must not have started a thread of its own: a
 * second thread puts glibc's malloc on its locked paths for good. Prints single_threaded=0|1. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/single_threaded.h>
#include <time.h>

static void *pool[4096];

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void leak_big(void)
{
	char *p = malloc(1 << 20);
	__asm__ volatile("" : : "r"(p) : "memory"); /* used, then dropped: a leak */
}

int main(void)
{
	unsigned x = 2463534242u;
	double start = cpu_seconds();
	for (long n = 0;; n++) {
		if ((n & 4095) == 0 && cpu_seconds() - start > 0.7)
			break;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		unsigned slot = x % 4096;
		free(pool[slot]);
		pool[slot] = malloc(16 + (x >> 20) % 1024);
	}
	for (int i = 0; i < 24; i++)
		leak_big();
	int single = __libc_single_threaded != 0;
	for (int i = 0; i < 4096; i++)
		free(pool[i]);
	printf("single_threaded=%d\n", single);
	return 0;
}
