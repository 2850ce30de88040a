/* SPDX-License-Identifier: MIT */
/* malloc_churn.c - single-thread malloc/free churn at a chosen stack depth.
 * Usage: malloc_churn DEPTH [ROUNDS]. Each round recurses DEPTH frames deep, then replaces
 * blocks of mixed sizes (16 B .. 4 KiB, a few larger) in a 256-slot pool, so few blocks are
 * live at once and nearly every call is a malloc/free pair. Four leaf call sites give four
 * distinct stacks. Prints "events N allocs A frees F" on stderr for bytes-per-event figures. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL         256
#define OPS_PER_LEAF 64

static void *pool[POOL];
static uint64_t n_allocs, n_frees;
static uint32_t rng = 2463534242u;

static inline uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static size_t pick_size(uint32_t r)
{
	if ((r & 1023) == 0)
		return 65536 + (r >> 16); /* rare large block */
	if ((r & 7) == 0)
		return 512 + (r >> 20); /* 512 .. 4.5 KiB */
	return 16 + ((r >> 8) & 255);   /* mostly small */
}

/* Distinct noinline leaves so that the churn has a few different allocation sites. Each
 * fills with its own byte: identical bodies would be folded into one function by gcc's
 * identical code folding, one site reached from four callers. */
#define LEAF(name, fill)                                                                           \
	__attribute__((noinline)) static void *name(size_t n)                                      \
	{                                                                                          \
		char *p = malloc(n);                                                               \
		if (p)                                                                             \
			memset(p, fill, n < 64 ? n : 64);                                          \
		return p;                                                                          \
	}
LEAF(alloc_a, 0xa1)
LEAF(alloc_b, 0xb2)
LEAF(alloc_c, 0xc3)
LEAF(alloc_d, 0xd4)

__attribute__((noinline)) static void churn_leaf(void)
{
	for (int i = 0; i < OPS_PER_LEAF; i++) {
		uint32_t r = next_rand();
		unsigned slot = r % POOL;
		if (pool[slot]) {
			free(pool[slot]);
			n_frees++;
		}
		size_t n = pick_size(next_rand());
		switch (r >> 30) {
		case 0:
			pool[slot] = alloc_a(n);
			break;
		case 1:
			pool[slot] = alloc_b(n);
			break;
		case 2:
			pool[slot] = alloc_c(n);
			break;
		default:
			pool[slot] = alloc_d(n);
			break;
		}
		n_allocs++;
	}
}

/* The volatile sink after the call keeps it from becoming a tail call, so the frames stay. */
static volatile int sink;
__attribute__((noinline)) static int descend(int depth)
{
	if (depth <= 1) {
		churn_leaf();
		return 1;
	}
	int r = descend(depth - 1);
	sink += r;
	return r + 1;
}

int main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 5;
	long rounds = argc > 2 ? atol(argv[2]) : 140000;
	if (depth < 1)
		depth = 1;
	for (long i = 0; i < rounds; i++)
		descend(depth);
	for (int i = 0; i < POOL; i++) {
		if (pool[i]) {
			free(pool[i]);
			n_frees++;
		}
	}
	fprintf(stderr, "events %llu allocs %llu frees %llu\n",
	        (unsigned long long)(n_allocs + n_frees), (unsigned long long)n_allocs,
	        (unsigned long long)n_frees);
	return 0;
}
