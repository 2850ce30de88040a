/* SPDX-License-Identifier: MIT */
/* test_stats.c - the trend statistics on series whose answer is known: exact lines, lines
 * with outliers, a plateau after a warm-up, a noisy leak, pure noise, and Mann-Kendall
 * values checked against the textbook formula. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "stats.h"

/* Deterministic uniform noise in [-1, 1). */
static double noise(uint64_t *st)
{
	*st = *st * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(*st >> 11) / (double)(1ull << 52) - 1.0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y ? 1 : 0;
}

static void test_median(void **state)
{
	(void)state;
	double a[] = {5, 1, 4, 2, 3};
	assert_true(stats_median(a, 5) == 3);
	double b[] = {4, 1, 3, 2};
	assert_true(stats_median(b, 4) == 2.5);
	double c[] = {7};
	assert_true(stats_median(c, 1) == 7);
	double d[] = {2, 2, 2, 1, 2, 2};
	assert_true(stats_median(d, 6) == 2);
	/* Random arrays against a sort. */
	uint64_t st = 42;
	for (int round = 0; round < 200; round++) {
		size_t n = 1 + (size_t)(round % 37);
		double v[64], s[64];
		for (size_t i = 0; i < n; i++)
			v[i] = s[i] = floor(noise(&st) * 10); /* many ties */
		qsort(s, n, sizeof(double), cmp_d);
		double want = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
		assert_true(stats_median(v, n) == want);
	}
}

static void test_theil_sen_exact_and_outliers(void **state)
{
	(void)state;
	double x[100], y[100], slope, icpt;
	for (int i = 0; i < 100; i++) {
		x[i] = i * 0.5;
		y[i] = 3 + 2.5 * x[i];
	}
	assert_int_equal(stats_theil_sen(x, y, 100, &slope, &icpt), 0);
	assert_true(fabs(slope - 2.5) < 1e-9);
	assert_true(fabs(icpt - 3) < 1e-9);
	/* 20% wild outliers do not move it. */
	for (int i = 0; i < 100; i += 5)
		y[i] = (i % 10) ? 1e9 : -1e9;
	assert_int_equal(stats_theil_sen(x, y, 100, &slope, &icpt), 0);
	assert_true(fabs(slope - 2.5) < 1e-6);
	/* Degenerate inputs. */
	assert_int_equal(stats_theil_sen(x, y, 1, &slope, NULL), -1);
	double same[3] = {1, 1, 1};
	assert_int_equal(stats_theil_sen(same, y, 3, &slope, NULL), -1);
	assert_int_equal(stats_theil_sen(x, y, STATS_MAX_POINTS + 1, &slope, NULL), -1);
}

static void test_mann_kendall_known_values(void **state)
{
	(void)state;
	struct stats_mk mk;
	double y[10];
	for (int i = 0; i < 10; i++)
		y[i] = i;
	assert_int_equal(stats_mann_kendall(y, 10, &mk), 0);
	/* S = 45, var = 10*9*25/18 = 125, z = 44/sqrt(125). */
	assert_true(mk.s == 45);
	assert_true(fabs(mk.tau - 1) < 1e-12);
	assert_true(fabs(mk.z - 44 / sqrt(125)) < 1e-12);
	assert_true(fabs(mk.p - 2 * stats_normal_sf(44 / sqrt(125))) < 1e-15);
	assert_true(mk.p > 5e-5 && mk.p < 1e-4); /* 8.3e-5 */
	for (int i = 0; i < 10; i++)
		y[i] = -i;
	assert_int_equal(stats_mann_kendall(y, 10, &mk), 0);
	assert_true(mk.s == -45 && fabs(mk.tau + 1) < 1e-12 && mk.p < 1e-4);
	/* Constant: no trend, p = 1. */
	for (int i = 0; i < 10; i++)
		y[i] = 7;
	assert_int_equal(stats_mann_kendall(y, 10, &mk), 0);
	assert_true(mk.s == 0 && mk.tau == 0 && mk.p == 1);
	/* A staircase (5 tied pairs): S = 40, tau-b = 40 / sqrt(40 * 45), and the tie-corrected
	 * variance (125 - 5*2*9/18 = 120) is what z uses. */
	for (int i = 0; i < 10; i++)
		y[i] = i / 2;
	assert_int_equal(stats_mann_kendall(y, 10, &mk), 0);
	assert_true(mk.s == 40);
	assert_true(fabs(mk.tau - 40 / sqrt(40.0 * 45)) < 1e-12);
	assert_true(fabs(mk.z - 39 / sqrt(120)) < 1e-12 && mk.p < 1e-3);
	/* Too short to say anything. */
	assert_int_equal(stats_mann_kendall(y, 2, &mk), 0);
	assert_true(mk.p == 1);
	assert_true(fabs(stats_normal_sf(0) - 0.5) < 1e-15);
	assert_true(fabs(stats_normal_sf(1.959963985) - 0.025) < 1e-6);
}

/* A cache that fills during the first 30% and then holds at its cap with churn noise: over
 * the last 60% the trend is neither significant nor material. */
static void test_plateau_not_significant(void **state)
{
	(void)state;
	uint64_t st = 7;
	double x[200], y[200];
	for (int i = 0; i < 200; i++) {
		x[i] = i * 0.2;
		double fill = i < 60 ? i / 60.0 : 1.0;
		y[i] = 1e6 * fill + 2e4 * noise(&st);
	}
	struct stats_mk mk;
	double slope;
	assert_int_equal(stats_mann_kendall(y + 80, 120, &mk), 0);
	assert_true(mk.p > 0.01);
	assert_true(fabs(mk.tau) < 0.2);
	assert_int_equal(stats_theil_sen(x + 80, y + 80, 120, &slope, NULL), 0);
	assert_true(fabs(slope * 24) < 0.05 * 1e6); /* < 5% of the level over 24 s */
	/* Over the whole series the warm-up is a strong trend: why only the later part counts. */
	assert_int_equal(stats_mann_kendall(y, 200, &mk), 0);
	assert_true(mk.p < 1e-6);
}

/* A leak of 3 KiB/s buried in noise ten times larger than one step is found, with its
 * slope within 10%. */
static void test_noisy_linear_significant(void **state)
{
	(void)state;
	uint64_t st = 99;
	double x[120], y[120], slope;
	for (int i = 0; i < 120; i++) {
		x[i] = i * 0.25;
		y[i] = 5e5 + 3072 * x[i] + 8000 * noise(&st);
	}
	struct stats_mk mk;
	assert_int_equal(stats_mann_kendall(y, 120, &mk), 0);
	assert_true(mk.p < 1e-6);
	assert_true(mk.tau > 0.5);
	assert_int_equal(stats_theil_sen(x, y, 120, &slope, NULL), 0);
	assert_true(fabs(slope - 3072) < 307);
}

/* Pure noise: p is roughly uniform, so over many series only about 1% fall below 0.01. */
static void test_noise_p_values_sane(void **state)
{
	(void)state;
	uint64_t st = 1234;
	int below = 0, rounds = 400;
	for (int r = 0; r < rounds; r++) {
		double y[60];
		for (int i = 0; i < 60; i++)
			y[i] = noise(&st);
		struct stats_mk mk;
		assert_int_equal(stats_mann_kendall(y, 60, &mk), 0);
		assert_true(mk.p >= 0 && mk.p <= 1);
		below += mk.p < 0.01;
	}
	assert_true(below <= 12); /* expected 4 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_median),
	    cmocka_unit_test(test_theil_sen_exact_and_outliers),
	    cmocka_unit_test(test_mann_kendall_known_values),
	    cmocka_unit_test(test_plateau_not_significant),
	    cmocka_unit_test(test_noisy_linear_significant),
	    cmocka_unit_test(test_noise_p_values_sane),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
