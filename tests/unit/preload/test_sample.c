/* SPDX-License-Identifier: MIT */
/* test_sample.c - preload/sample.c: Poisson sampling by bytes. The weights match libm's
 * 1/(1 - exp(-s/N)); each size is sampled with probability 1 - exp(-s/N); per-stack byte
 * estimates from a simulated mix of stacks and sizes land within a few standard errors of the
 * truth; a new thread does not sample its first allocation; the filter of sampled addresses
 * answers "certainly not" for unmarked addresses and survives saturation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <pthread.h>
#include <cmocka.h>

#include "sample.h"

static void test_weights_match_libm(void **state)
{
	(void)state;
	assert_int_equal(lk_sample_init(524288), 0);
	const uint64_t sizes[] = {1,      8,      16,      100,      4096,     65536,     262144,
	                          524287, 524288, 1000000, 1u << 22, 1u << 26, 1ull << 33};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double want = 1 / -expm1(-(double)sizes[i] / 524288.0);
		double got = lk_sample_inv_prob(sizes[i]);
		assert_true(fabs(got - want) <= 1e-9 * want);
		assert_true(llabs((long long)lk_sample_est_bytes(sizes[i]) -
		                  llround(sizes[i] * want)) <= 1);
	}
	assert_int_equal(lk_sample_init(0), 0);
	assert_true(lk_sample_inv_prob(100) == 1.0);
}

static void test_probability_by_size(void **state)
{
	(void)state;
	const uint64_t mean = 4096;
	assert_int_equal(lk_sample_init(mean), 0);
	const uint64_t sizes[] = {64, 1024, 4096, 16384};
	for (size_t i = 0; i < 4; i++) {
		const int n = 200000;
		int hits = 0;
		for (int k = 0; k < n; k++)
			hits += lk_sample_take(sizes[i]);
		double p = -expm1(-(double)sizes[i] / (double)mean);
		double sd = sqrt(n * p * (1 - p));
		assert_true(fabs(hits - n * p) < 6 * sd + 1);
	}
	lk_sample_init(0);
}

/* Stacks of different sizes and totals: the sum of per-sample estimates is the total,
 * within 5 standard errors (sd ~ sqrt(bytes * mean) for blocks much smaller than mean). */
static void test_estimates_per_stack(void **state)
{
	(void)state;
	const uint64_t mean = 8192; /* >= 2000 samples a stack: 10% is > 4 sd */
	assert_int_equal(lk_sample_init(mean), 0);
	struct {
		uint64_t size, count;
		double est;
	} st[] = {{64, 1u << 20, 0}, {4096, 16384, 0}, {2u << 20, 32, 0}, {300, 55924, 0}};
	const int nst = 4;
	uint64_t left[4];
	for (int i = 0; i < nst; i++)
		left[i] = st[i].count;
	/* Interleave the stacks, as a program would. */
	for (int more = 1; more;) {
		more = 0;
		for (int i = 0; i < nst; i++) {
			for (int k = 0; k < 7 && left[i]; k++, left[i]--)
				if (lk_sample_take(st[i].size))
					st[i].est += (double)lk_sample_est_bytes(st[i].size);
			more |= left[i] != 0;
		}
	}
	for (int i = 0; i < nst; i++) {
		double truth = (double)(st[i].size * st[i].count);
		double w = 1 / -expm1(-(double)st[i].size / (double)mean);
		double sd = sqrt((double)st[i].count * (w - 1)) * (double)st[i].size;
		assert_true(fabs(st[i].est - truth) <= 5 * sd + 1);
		assert_true(fabs(st[i].est - truth) <= 0.1 * truth);
	}
	lk_sample_init(0);
}

static void *first_alloc_thread(void *arg)
{
	(void)arg;
	return (void *)(uintptr_t)lk_sample_take(8);
}

static void test_first_allocation_not_always_sampled(void **state)
{
	(void)state;
	assert_int_equal(lk_sample_init(524288), 0);
	int sampled = 0;
	for (int i = 0; i < 50; i++) {
		pthread_t t;
		void *r;
		assert_int_equal(pthread_create(&t, NULL, first_alloc_thread, NULL), 0);
		pthread_join(t, &r);
		sampled += r != NULL;
	}
	assert_true(sampled <= 1); /* p = 1.5e-5 each */
	lk_sample_init(0);
}

static void test_filter(void **state)
{
	(void)state;
	assert_int_equal(lk_sample_init(1000), 0);
	uintptr_t a = 0x7f0000001000, b = 0x7f0000002000;
	assert_false(lk_sample_maybe_marked(a));
	lk_sample_mark(a);
	lk_sample_mark(b);
	assert_true(lk_sample_maybe_marked(a));
	lk_sample_unmark(a);
	lk_sample_unmark(b);
	assert_false(lk_sample_maybe_marked(a));
	assert_false(lk_sample_maybe_marked(b));
	/* Saturation: the counter sticks, so a marked address is never missed. */
	for (int i = 0; i < 300; i++)
		lk_sample_mark(a);
	for (int i = 0; i < 300; i++)
		lk_sample_unmark(a);
	assert_true(lk_sample_maybe_marked(a));
	lk_sample_init(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_weights_match_libm),
	    cmocka_unit_test(test_probability_by_size),
	    cmocka_unit_test(test_estimates_per_stack),
	    cmocka_unit_test(test_first_allocation_not_always_sampled),
	    cmocka_unit_test(test_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
