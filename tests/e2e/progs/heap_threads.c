/* SPDX-License-Identifier: MIT */
/* heap_threads.c - blocks allocated by one thread and freed by another, while both run.
 * The producer allocates N_BLOCKS blocks of BLOCK_SIZE bytes in producer_alloc_block() and
 * publishes each one; the consumer frees them as they appear: all of them ("all"), or only
 * the even-numbered ones ("half": N_BLOCKS/2 blocks stay live, and the array is cleared so
 * they are unreachable leaks). "busy": as "half", and each step of both threads also makes
 * CHURN malloc/free pairs in churn_block(), so both keep the processors busy and fill their
 * event rings many times over. Usage: heap_threads all|half|busy */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_BLOCKS   1000
#define BLOCK_SIZE 333

#define CHURN 300

static void *volatile blocks[N_BLOCKS];
static atomic_int published;
static int free_all, busy;

__attribute__((noinline)) void *churn_block(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

static void churn(void)
{
	for (int i = 0; busy && i < CHURN; i++)
		free(churn_block(16 + (size_t)(i & 63) * 8));
}

__attribute__((noinline)) void *producer_alloc_block(void)
{
	void *p = malloc(BLOCK_SIZE);
	if (!p)
		abort();
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < N_BLOCKS; i++) {
		blocks[i] = producer_alloc_block();
		atomic_store_explicit(&published, i + 1, memory_order_release);
		churn();
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (int i = 0; i < N_BLOCKS; i++) {
		while (atomic_load_explicit(&published, memory_order_acquire) <= i)
			sched_yield();
		if (free_all || i % 2 == 0)
			free(blocks[i]);
		blocks[i] = NULL;
		churn();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "all") != 0 && strcmp(argv[1], "half") != 0 &&
	                  strcmp(argv[1], "busy") != 0)) {
		fprintf(stderr, "usage: heap_threads all|half|busy\n");
		return 2;
	}
	free_all = strcmp(argv[1], "all") == 0;
	busy = strcmp(argv[1], "busy") == 0;
	pthread_t a, b;
	if (pthread_create(&b, NULL, consumer, NULL) || pthread_create(&a, NULL, producer, NULL))
		return 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("%d blocks left\n", free_all ? 0 : N_BLOCKS / 2);
	return 0;
}
