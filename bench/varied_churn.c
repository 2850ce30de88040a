/* SPDX-License-Identifier: MIT */
/* varied_churn.c - malloc/free churn over many interleaved stacks, as programs allocate.
 * Usage: varied_churn DEPTH [OPS]. 32 distinct noinline levels, each with two call sites of
 * the next level; every operation descends DEPTH levels (1..32) taking a random one of the two
 * sites at each, then frees a random slot of a 10,000-block pool and allocates a new block of
 * 16-512 B in it from one of two leaf call sites: 2^(DEPTH+1) possible stacks (64 at depth 5),
 * chosen at random per operation, so that consecutive captures rarely repeat. Build without
 * frame pointers. Prints "events N allocs A frees F frames P" on stderr; P is the frames of
 * one capture below malloc (levels, leaf, main and the C start-up). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL   10000
#define LEVELS 32

static void *pool[POOL];
static uint64_t n_allocs, n_frees;
static uint64_t rng = 0x9e3779b97f4a7c15ull;
/* Stores after each call keep it from being a tail call and the two sites of a level apart. */
static volatile unsigned sink_a, sink_b;

static inline uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The leaf: one operation, its malloc from one of two call sites (bit 0 of r). */
__attribute__((noinline)) static void leaf(uint64_t r)
{
	uint64_t x = next_rand();
	unsigned slot = (unsigned)(x % POOL);
	size_t n = 16 + (size_t)((x >> 32) % 497); /* 16 .. 512 B */
	if (pool[slot]) {
		free(pool[slot]);
		n_frees++;
	}
	char *p;
	if (r & 1) {
		p = malloc(n);
		sink_a = 1;
	} else {
		p = malloc(n);
		sink_b = 2;
	}
	if (p)
		p[0] = (char)n;
	pool[slot] = p;
	n_allocs++;
}

/* Level K calls level K+1 from one of two sites; level LEVELS-1 calls the leaf. d counts the
 * levels still to descend: a walk of depth D enters at level LEVELS-D. */
#define LEVEL(k, next)                                                                             \
	__attribute__((noinline)) static void lv##k(uint64_t r)                                    \
	{                                                                                          \
		if (r & 1) {                                                                       \
			sink_a = k;                                                                \
			next(r >> 1);                                                              \
			sink_a = k + 100;                                                          \
		} else {                                                                           \
			sink_b = k;                                                                \
			next(r >> 1);                                                              \
			sink_b = k + 200;                                                          \
		}                                                                                  \
	}
LEVEL(31, leaf)
LEVEL(30, lv31)
LEVEL(29, lv30)
LEVEL(28, lv29)
LEVEL(27, lv28)
LEVEL(26, lv27)
LEVEL(25, lv26)
LEVEL(24, lv25)
LEVEL(23, lv24)
LEVEL(22, lv23)
LEVEL(21, lv22)
LEVEL(20, lv21)
LEVEL(19, lv20)
LEVEL(18, lv19)
LEVEL(17, lv18)
LEVEL(16, lv17)
LEVEL(15, lv16)
LEVEL(14, lv15)
LEVEL(13, lv14)
LEVEL(12, lv13)
LEVEL(11, lv12)
LEVEL(10, lv11)
LEVEL(9, lv10)
LEVEL(8, lv9)
LEVEL(7, lv8)
LEVEL(6, lv7)
LEVEL(5, lv6)
LEVEL(4, lv5)
LEVEL(3, lv4)
LEVEL(2, lv3)
LEVEL(1, lv2)
LEVEL(0, lv1)

static void (*const entry[LEVELS])(uint64_t) = {
    lv0,  lv1,  lv2,  lv3,  lv4,  lv5,  lv6,  lv7,  lv8,  lv9,  lv10, lv11, lv12, lv13, lv14, lv15,
    lv16, lv17, lv18, lv19, lv20, lv21, lv22, lv23, lv24, lv25, lv26, lv27, lv28, lv29, lv30, lv31,
};

int main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 5;
	long ops = argc > 2 ? atol(argv[2]) : 4000000;
	if (depth < 1)
		depth = 1;
	if (depth > LEVELS)
		depth = LEVELS;
	void (*const start)(uint64_t) = entry[LEVELS - depth];
	for (long i = 0; i < ops; i++)
		start(next_rand());
	for (int i = 0; i < POOL; i++) {
		if (pool[i]) {
			free(pool[i]);
			n_frees++;
		}
	}
	/* below malloc: DEPTH levels, the leaf, main, __libc_start_call_main,
	 * __libc_start_main, _start */
	fprintf(stderr, "events %llu allocs %llu frees %llu frames %d\n",
	        (unsigned long long)(n_allocs + n_frees), (unsigned long long)n_allocs,
	        (unsigned long long)n_frees, depth + 5);
	return 0;
}
