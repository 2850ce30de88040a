/* SPDX-License-Identifier: MIT */
/* heap_order.c - heap patterns whose report is exact only if the live-block table sees the
 * program's malloc/free/realloc in their order: 1 M malloc/free pairs that reuse each address
 * at once, 100,000 blocks realloc'd in place, moved, shrunk and freed by realloc(p, 0), then,
 * after 1.3 M events, a second thread that frees half of 2000 blocks the first allocated while
 * the first reuses their addresses. Every block left is a known count of known bytes at a
 * known function:
 *   reuse_block    1000 x 48   (kept one in 1000 of the reuse pairs)
 *   realloc_shrink 1000 x 8    (kept one in 100 of the realloc'd blocks)
 *   cross_block    1000 x 200  (2000 allocated, the even ones freed by the second thread)
 *   thread_leak     300 x 99   (allocated by the second thread)
 * A table kept apart from the hooks (events applied later, by the writer) must give the same.
 * "threaded" starts and joins an idle thread first: the report must be the same as "alone"'s.
 * "timer" has the second thread started inside libc (a SIGEV_THREAD timer's), past the
 * pthread_create hook, while the first keeps allocating.
 * Usage: heap_order [alone|threaded|timer] */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_REUSE   1000000
#define N_REALLOC 100000
#define N_CROSS   2000
#define N_TLEAK   300

static void *volatile kept[1000];
static void *volatile kept2[1000];
static void *volatile cross[N_CROSS];
static void *volatile tleak[N_TLEAK];
static volatile int timer_done;

__attribute__((noinline)) void *reuse_block(void)
{
	void *p = malloc(48);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

__attribute__((noinline)) void *realloc_start(void)
{
	return malloc(24);
}

__attribute__((noinline)) void *realloc_shrink(void *p)
{
	void *q = realloc(p, 8);
	__asm__ volatile("" : : "r"(q) : "memory");
	return q;
}

__attribute__((noinline)) void *cross_block(void)
{
	void *p = malloc(200);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

__attribute__((noinline)) void *thread_leak(void)
{
	void *p = malloc(99);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

static void *idle(void *arg)
{
	return arg;
}

/* The second thread: frees the even cross blocks (some of whose addresses main then
 * reuses), churns, leaks N_TLEAK blocks. */
static void *second(void *arg)
{
	for (int i = 0; i < N_CROSS; i += 2) {
		free(cross[i]);
		cross[i] = NULL;
	}
	for (int i = 0; i < 100000; i++)
		free(malloc(16 + (size_t)(i & 31) * 16));
	for (int i = 0; i < N_TLEAK; i++)
		tleak[i] = thread_leak();
	return arg;
}

static void on_timer(union sigval v)
{
	second(v.sival_ptr);
	__atomic_store_n(&timer_done, 1, __ATOMIC_RELEASE);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "alone";
	if (strcmp(mode, "threaded") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, idle, NULL) != 0 || pthread_join(t, NULL) != 0)
			return 1;
	}
	for (int i = 0; i < N_REUSE; i++) {
		void *p = reuse_block();
		if (i % 1000 == 0)
			kept[i / 1000] = p;
		else
			free(p);
	}
	for (int i = 0; i < N_REALLOC; i++) {
		void *p = realloc_start();
		p = realloc(p, 32);   /* in place, mostly */
		p = realloc(p, 4000); /* moved */
		p = realloc_shrink(p);
		if (i % 100 == 0)
			kept2[i / 100] = p;
		else if (i % 2)
			free(p);
		else
			p = realloc(p, 0); /* frees */
	}
	void *nil = realloc(NULL, 0); /* an allocation, freed */
	free(nil);
	for (int i = 0; i < N_CROSS; i++)
		cross[i] = cross_block();
	if (strcmp(mode, "timer") == 0) {
		struct sigevent sev;
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_THREAD;
		sev.sigev_notify_function = on_timer;
		timer_t tm;
		struct itimerspec its = {.it_value = {0, 1000000}};
		if (timer_create(CLOCK_MONOTONIC, &sev, &tm) != 0 ||
		    timer_settime(tm, 0, &its, NULL))
			return 1;
		/* main keeps allocating meanwhile */
		while (!__atomic_load_n(&timer_done, __ATOMIC_ACQUIRE))
			free(reuse_block());
		timer_delete(tm);
	} else {
		pthread_t t;
		if (pthread_create(&t, NULL, second, NULL) != 0)
			return 1;
		for (int i = 0; i < 100000; i++) /* reuses what the thread frees */
			free(malloc(200));
		if (pthread_join(t, NULL) != 0)
			return 1;
	}
	for (int i = 0; i < N_CROSS; i++)
		if (i % 2 == 0 && cross[i])
			return 2;
	memset((void *)kept, 0, sizeof(kept));
	memset((void *)kept2, 0, sizeof(kept2));
	memset((void *)cross, 0, sizeof(cross));
	memset((void *)tleak, 0, sizeof(tleak));
	printf("done\n");
	return 0;
}
