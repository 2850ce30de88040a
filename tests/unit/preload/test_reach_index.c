/* SPDX-License-Identifier: MIT */
/* test_reach_index.c - preload/reach_index.c: the two-level address index of the exit scan
 * answers as a plain binary search does (the last block starting at or before a word), on
 * random sorted blocks, dense and sparse, some far apart (chunks without starts between
 * them), and on words at block starts, interiors, last 8 bytes, gaps, below the first block
 * and above the last, in both the packed 12-byte layout of reach_mark.c and a plain array. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reach_index.h"

#define MASK48 ((1ull << 48) - 1)

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static long plain_find(const uint64_t *a, size_t n, uintptr_t v)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* n sorted distinct addresses: runs of dense small blocks, gaps, and far jumps. */
static void make_blocks(uint64_t *a, uint64_t *size, size_t n, int far)
{
	uint64_t addr = 0x55550000000ull + (rnd() % 4096) * 16;
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rnd() % 100;
		size[i] = r < 80 ? 16 + rnd() % 512 : r < 98 ? 4096 + rnd() % 65536 : 8u << 20;
		a[i] = addr;
		addr += (size[i] + 15) & ~15ull;
		if (rnd() % 8 == 0)
			addr += (rnd() % 8192) * 16; /* a gap */
		if (far && rnd() % 1000 == 0)
			addr += (rnd() % 64 + 1) << 30; /* chunks with no start */
		if (far && i == n / 2)
			addr = 0x7f0000000000ull + (rnd() % 4096) * 4096; /* mmap'd region */
	}
}

static void check(const lk_rix_t *ix, const uint64_t *a, size_t n, uintptr_t v)
{
	long want = plain_find(a, n, v), got = lk_rix_find(ix, v);
	if (want != got)
		fail_msg("v %#lx: index %ld, binary search %ld", (unsigned long)v, got, want);
}

static void run(size_t n, int far, int packed)
{
	uint64_t *a = malloc(n * sizeof(*a)), *size = malloc(n * sizeof(*size));
	uint8_t *p = malloc(n * 12 + 8);
	assert_non_null(a);
	assert_non_null(size);
	assert_non_null(p);
	make_blocks(a, size, n, far);
	lk_rix_t ix;
	if (packed) { /* as reach_mark.c: addr : 48 | junk size bits, 12-byte stride */
		for (size_t i = 0; i < n; i++) {
			uint64_t lo = a[i] | (rnd() & 0xffff) << 48;
			memcpy(p + i * 12, &lo, 8);
			memset(p + i * 12 + 8, 0xa5, 4);
		}
		assert_int_equal(lk_rix_build(&ix, p, 12, MASK48, n), 0);
	} else {
		assert_int_equal(lk_rix_build(&ix, a, 8, UINT64_MAX, n), 0);
	}
	for (size_t i = 0; i < n; i++) {
		check(&ix, a, n, a[i]);                   /* start */
		check(&ix, a, n, a[i] + rnd() % size[i]); /* interior */
		check(&ix, a, n, a[i] + size[i] - 8);     /* last 8 bytes */
		check(&ix, a, n, a[i] + size[i]);         /* just past: gap or next */
		check(&ix, a, n, a[i] + size[i] + rnd() % 65536);
		check(&ix, a, n, a[i] - 1);
		uint64_t cs =
		    a[i] & ~((1ull << 30) - 1); /* in its chunk: its start, past its end */
		check(&ix, a, n, cs + (a[i] - cs) / 2);
		check(&ix, a, n, cs + (1ull << 30) - 8);
	}
	check(&ix, a, n, 0);
	check(&ix, a, n, a[0] - 1);
	check(&ix, a, n, a[0] - (1ull << 30));
	check(&ix, a, n, a[n - 1] + size[n - 1] + (1ull << 31));
	check(&ix, a, n, UINTPTR_MAX);
	uint64_t span = a[n - 1] + size[n - 1] - a[0];
	for (int k = 0; k < 200000; k++) /* anywhere in the span, and anywhere at all */
		check(&ix, a, n, k & 1 ? a[0] + rnd() % span : (uintptr_t)(rnd() & MASK48));
	lk_rix_free(&ix);
	free(a);
	free(size);
	free(p);
}

static void test_dense(void **state)
{
	(void)state;
	run(200000, 0, 1);
	run(200000, 0, 0);
}

static void test_far(void **state)
{
	(void)state;
	run(200000, 1, 1);
	run(3000, 1, 0);
}

static void test_small(void **state)
{
	(void)state;
	for (size_t n = 1; n < 40; n++)
		run(n, (int)(n & 1), (int)(n & 2));
	lk_rix_t ix;
	assert_int_equal(lk_rix_build(&ix, NULL, 12, MASK48, 0), 0);
	lk_rix_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dense),
	    cmocka_unit_test(test_far),
	    cmocka_unit_test(test_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
