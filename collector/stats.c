/* SPDX-License-Identifier: MIT */
/* stats.c - Theil-Sen and Mann-Kendall (see stats.h). The pairwise slopes live in a fixed
 * stack buffer (n <= STATS_MAX_POINTS gives at most 32,640 pairs), so the hot loop of the
 * growth analysis never allocates; the median is a quickselect. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

#define MAX_PAIRS (STATS_MAX_POINTS * (STATS_MAX_POINTS - 1) / 2)

static void swap_d(double *a, double *b)
{
	double t = *a;
	*a = *b;
	*b = t;
}

/* k-th smallest of v[0..n) (Wirth's selection); reorders v so that v[0..k) <= v[k] <=
 * v(k..n). */
static double select_kth(double *v, size_t n, size_t k)
{
	long l = 0, m = (long)n - 1, kk = (long)k;
	while (l < m) {
		double x = v[kk];
		long i = l, j = m;
		do {
			while (v[i] < x)
				i++;
			while (x < v[j])
				j--;
			if (i <= j) {
				swap_d(&v[i], &v[j]);
				i++;
				j--;
			}
		} while (i <= j);
		if (j < kk)
			l = i;
		if (kk < i)
			m = j;
	}
	return v[kk];
}

double stats_median(double *v, size_t n)
{
	double hi = select_kth(v, n, n / 2);
	if (n % 2)
		return hi;
	/* The lower middle is the largest value below index n/2 after the selection. */
	double lo = v[0];
	for (size_t i = 1; i < n / 2; i++) {
		if (v[i] > lo)
			lo = v[i];
	}
	return (lo + hi) / 2;
}

int stats_theil_sen(const double *x, const double *y, size_t n, double *slope, double *intercept)
{
	static double pairs[MAX_PAIRS]; /* the collector is single-threaded */
	if (n < 2 || n > STATS_MAX_POINTS)
		return -1;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			double dx = x[j] - x[i];
			if (dx != 0)
				pairs[m++] = (y[j] - y[i]) / dx;
		}
	}
	if (!m)
		return -1;
	double b = stats_median(pairs, m);
	for (size_t i = 0; i < n; i++)
		pairs[i] = y[i] - b * x[i];
	*slope = b;
	if (intercept)
		*intercept = stats_median(pairs, n);
	return 0;
}

double stats_normal_sf(double z)
{
	return 0.5 * erfc(z / sqrt(2.0));
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y ? 1 : 0;
}

int stats_mann_kendall(const double *y, size_t n, struct stats_mk *out)
{
	if (n > STATS_MAX_POINTS)
		return -1;
	*out = (struct stats_mk){.p = 1};
	if (n < 3)
		return 0;
	long s = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++)
			s += (y[j] > y[i]) - (y[j] < y[i]);
	}
	/* Ties in y: groups of equal values shrink the variance of S and the tau-b denominator. */
	double sorted[STATS_MAX_POINTS];
	for (size_t i = 0; i < n; i++)
		sorted[i] = y[i];
	qsort(sorted, n, sizeof(double), cmp_d);
	double dn = (double)n, tie_var = 0, tie_pairs = 0;
	for (size_t i = 0; i < n;) {
		size_t k = i + 1;
		while (k < n && sorted[k] == sorted[i])
			k++;
		double t = (double)(k - i);
		tie_var += t * (t - 1) * (2 * t + 5);
		tie_pairs += t * (t - 1) / 2;
		i = k;
	}
	double var = (dn * (dn - 1) * (2 * dn + 5) - tie_var) / 18;
	double n0 = dn * (dn - 1) / 2;
	out->s = (double)s;
	out->tau = n0 > tie_pairs ? (double)s / sqrt(n0 * (n0 - tie_pairs)) : 0;
	if (var <= 0)
		return 0; /* every value equal: no trend */
	double z = s > 0 ? ((double)s - 1) / sqrt(var) : s < 0 ? ((double)s + 1) / sqrt(var) : 0;
	out->z = z;
	out->p = 2 * stats_normal_sf(fabs(z));
	if (out->p > 1)
		out->p = 1;
	return 0;
}
