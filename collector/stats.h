/* SPDX-License-Identifier: MIT */
/* stats.h - the robust trend statistics behind growth detection (analyze_growth.c):
 * Theil-Sen slope (median of pairwise slopes, insensitive to outliers and to the steps of a
 * counter that changes only now and then) and the Mann-Kendall trend test (rank based, so a
 * noisy but steady leak is significant and a plateau is not). Both are O(n^2): callers keep
 * n <= STATS_MAX_POINTS by subsampling. Pure functions over caller arrays. */
#ifndef LEAK_COLLECTOR_STATS_H
#define LEAK_COLLECTOR_STATS_H

#include <stddef.h>

#define STATS_MAX_POINTS 256

struct stats_mk {
	double s;   /* Mann-Kendall S: concordant minus discordant pairs (in time order) */
	double tau; /* Kendall tau-b of y against time, in [-1, 1] (ties in y accounted for) */
	double z;   /* normal score with continuity and tie correction */
	double p;   /* two-sided p-value of "no monotonic trend"; 1 when undefined */
};

/* Median of v[0..n) (reorders v). n >= 1. */
double stats_median(double *v, size_t n);

/* Theil-Sen line through (x[i], y[i]): slope = median of (y[j]-y[i])/(x[j]-x[i]) over pairs
 * with x[j] != x[i]; intercept = median of y[i] - slope*x[i]. 2 <= n <= STATS_MAX_POINTS.
 * Returns 0, or -1 when n is out of range or every x is equal. */
int stats_theil_sen(const double *x, const double *y, size_t n, double *slope, double *intercept);

/* Mann-Kendall test of y[0..n) in order. n >= 3 for a meaningful p (else p = 1).
 * n <= STATS_MAX_POINTS. Returns 0, or -1 when n is out of range. */
int stats_mann_kendall(const double *y, size_t n, struct stats_mk *out);

/* Upper-tail probability of the standard normal distribution, P(Z > z). */
double stats_normal_sf(double z);

#endif
