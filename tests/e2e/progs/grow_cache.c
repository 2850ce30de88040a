/* SPDX-License-Identifier: MIT */
/* grow_cache.c - a key/value cache serving a steady stream of requests, in two shapes:
 * "lru": at most CAPACITY entries, the least recently used one evicted on a miss when full,
 * so the heap fills during the first second and then holds (no growth may be reported);
 * "unbounded": every miss is stored forever (growth at cache_store_value, ~1 MB/s).
 * Values are 64..2047 bytes, allocated in cache_store_value(). Runs SECONDS seconds (0 =
 * until killed), printing "ready" once serving and "entries N" at the end. The cache stays
 * reachable from a global at exit.
 * With KILL_AFTER > 0 it SIGKILLs itself after that many requests (a trace cut short, at a
 * moment when it is known to have been growing, however loaded the machine is).
 * Usage: grow_cache lru|unbounded SECONDS [KILL_AFTER] (requests in ticks of 10) */
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CAPACITY  400
#define KEY_SPACE 2000
#define NBUCKETS  4096

struct entry {
	uint64_t key;
	char *value;
	size_t len;
	struct entry *prev, *next; /* LRU list, most recent first */
	struct entry *hnext;       /* hash chain */
};

static struct entry *buckets[NBUCKETS];
static struct entry *lru_head, *lru_tail;
static size_t n_entries;
static int bounded;

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void lru_unlink(struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(struct entry *e)
{
	e->next = lru_head;
	e->prev = NULL;
	if (lru_head)
		lru_head->prev = e;
	lru_head = e;
	if (!lru_tail)
		lru_tail = e;
}

__attribute__((noinline)) char *cache_store_value(size_t len)
{
	char *v = malloc(len);
	if (!v)
		abort();
	memset(v, 'v', len);
	__asm__ volatile("" : : "r"(v) : "memory");
	return v;
}

__attribute__((noinline)) struct entry *cache_new_entry(uint64_t key)
{
	struct entry *e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	e->key = key;
	return e;
}

static void cache_evict_one(void)
{
	struct entry *e = lru_tail;
	lru_unlink(e);
	struct entry **pp = &buckets[e->key % NBUCKETS];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	free(e->value);
	free(e);
	n_entries--;
}

static void cache_request(uint64_t key)
{
	struct entry *e = buckets[key % NBUCKETS];
	while (e && e->key != key)
		e = e->hnext;
	if (e) {
		lru_unlink(e);
		lru_push_front(e);
		return;
	}
	if (bounded && n_entries >= CAPACITY)
		cache_evict_one();
	e = cache_new_entry(key);
	e->len = 64 + next_rand() % 1984;
	e->value = cache_store_value(e->len);
	e->hnext = buckets[key % NBUCKETS];
	buckets[key % NBUCKETS] = e;
	lru_push_front(e);
	n_entries++;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 ||
	    (strcmp(argv[1], "lru") != 0 && strcmp(argv[1], "unbounded") != 0)) {
		fprintf(stderr, "usage: grow_cache lru|unbounded SECONDS [KILL_AFTER]\n");
		return 2;
	}
	bounded = strcmp(argv[1], "lru") == 0;
	double secs = atof(argv[2]);
	double end = now_s() + secs;
	uint64_t serial = 0;
	long kill_after = argc == 4 ? atol(argv[3]) : 0, ticks = 0;
	printf("ready\n");
	fflush(stdout);
	const struct timespec tick = {0, 10 * 1000 * 1000}; /* 10 ms: 100 requests per tick */
	while (secs <= 0 || now_s() < end) {
		for (int i = 0; i < 10; i++) {
			/* lru: keys from a space 5x the capacity; unbounded: every key new. */
			cache_request(bounded ? next_rand() % KEY_SPACE : ++serial);
		}
		ticks++;
		if (kill_after > 0 && ticks >= kill_after)
			raise(SIGKILL);
		if (kill_after < 0 && ticks >= -kill_after)
			break;
		nanosleep(&tick, NULL);
	}
	printf("entries %zu\n", n_entries);
	return 0;
}
