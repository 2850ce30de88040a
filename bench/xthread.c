/* SPDX-License-Identifier: MIT */
/* xthread.c - two threads churning malloc/free, 30% of each thread's blocks freed by the
 * other thread. Blocks cross over through one single-producer/single-consumer ring per
 * direction (atomics, no lock), so what is measured is the allocator and the profiler, not
 * a queue mutex. A block that finds the ring full is freed locally. Usage: xthread [OPS]
 * [THREADS] (OPS per thread; THREADS 2, or 1 to measure the same work single-threaded: the
 * thread then hands blocks to itself). Prints "events N allocs A frees F" on stderr. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING  4096 /* power of two */
#define LOCAL 128

typedef struct {
	void *slot[RING];
	_Atomic uint64_t head; /* written by the consumer */
	_Atomic uint64_t tail; /* written by the producer */
} ring_t;

typedef struct {
	int id;
	long ops;
	ring_t *out; /* blocks this thread hands to the other */
	ring_t *in;  /* blocks the other thread hands to this one */
	uint64_t allocs, frees;
	pthread_t th;
} worker_t;

static ring_t rings[2];
static _Atomic int producers_left;

static int ring_push(ring_t *r, void *p)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	if (t - h >= RING)
		return -1;
	r->slot[t & (RING - 1)] = p;
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return 0;
}

static void *ring_pop(ring_t *r)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (h == t)
		return NULL;
	void *p = r->slot[h & (RING - 1)];
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return p;
}

__attribute__((noinline)) static void *make_block(size_t n)
{
	char *p = malloc(n);
	if (p)
		memset(p, 0x5a, n < 64 ? n : 64);
	return p;
}

static void drain(worker_t *w)
{
	void *p;
	while ((p = ring_pop(w->in)) != NULL) {
		free(p);
		w->frees++;
	}
}

static void *work(void *arg)
{
	worker_t *w = arg;
	void *local[LOCAL] = {0};
	uint32_t rng = 0x9e3779b9u * (uint32_t)(w->id + 1);
	for (long i = 0; i < w->ops; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 17;
		rng ^= rng << 5;
		void *p = make_block(16 + (rng >> 24) * 4);
		w->allocs++;
		if (rng % 10 < 3 && ring_push(w->out, p) == 0)
			continue;
		unsigned k = (rng >> 8) % LOCAL;
		if (local[k]) {
			free(local[k]);
			w->frees++;
		}
		local[k] = p;
		if ((i & 63) == 0)
			drain(w);
	}
	for (int k = 0; k < LOCAL; k++) {
		if (local[k]) {
			free(local[k]);
			w->frees++;
		}
	}
	atomic_fetch_sub(&producers_left, 1);
	while (atomic_load(&producers_left) > 0)
		drain(w);
	drain(w);
	return NULL;
}

int main(int argc, char **argv)
{
	long ops = argc > 1 ? atol(argv[1]) : 4000000;
	int n = argc > 2 && atoi(argv[2]) == 1 ? 1 : 2;
	worker_t w[2] = {0};
	atomic_store(&producers_left, n);
	for (int i = 0; i < n; i++) {
		w[i] = (worker_t){.id = i, .ops = ops, .out = &rings[i], .in = &rings[(i + 1) % n]};
		if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	for (int i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
	uint64_t a = w[0].allocs + w[1].allocs, f = w[0].frees + w[1].frees;
	fprintf(stderr, "events %llu allocs %llu frees %llu\n", (unsigned long long)(a + f),
	        (unsigned long long)a, (unsigned long long)f);
	return a == f ? 0 : 1;
}
