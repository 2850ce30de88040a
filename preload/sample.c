/* SPDX-License-Identifier: MIT */
/* sample.c - the slow half of Poisson byte sampling: exponential draws from a per-thread
 * xorshift RNG, the counting filter of sampled addresses, and the weights the writer scales
 * SITE values by.
 *
 * The math: sample points form a Poisson process of rate 1/N over each thread's stream of
 * allocated bytes, so the gap to the next point is exponential with mean N (memoryless: after
 * a sample the next gap is a fresh draw from the end of the block). A block of s bytes holds
 * at least one point with probability p(s) = 1 - exp(-s/N); weighting each sampled block by
 * 1/p(s) makes every per-stack sum an unbiased estimate (Horvitz-Thompson), with variance
 * sum s^2 (1-p)/p, i.e. a relative standard error near sqrt(N / B) for a stack holding B
 * bytes in blocks much smaller than N: about 10% at B = 100 N. libleak does not link libm,
 * so log and 1 - exp(-x) are computed here (relative error below 1e-9). */
#include "sample.h"
#include "sys.h"

#include <string.h>

uint64_t lk_sample_bytes;
__thread int64_t lk_sample_left __attribute__((tls_model("initial-exec")));
uint8_t lk_sample_filter[1u << LK_SAMPLE_FILTER_BITS] __attribute__((aligned(4096)));
uint8_t *lk_sample_fast;

static __thread uint64_t lk_sample_rng __attribute__((tls_model("initial-exec")));

int lk_sample_init(uint64_t mean_bytes)
{
	__atomic_store_n(&lk_sample_fast, NULL, __ATOMIC_RELEASE);
	lk_sample_bytes = 0;
	if (!mean_bytes)
		return 0;
	lk_sample_bytes = mean_bytes;
	return 0;
}

/* ---- math ------------------------------------------------------------------------------ */

static double lk_bits_to_double(uint64_t b)
{
	double d;
	memcpy(&d, &b, sizeof(d));
	return d;
}

/* Natural log of x > 0 (normal numbers): x = 2^e * m, m in [sqrt(1/2), sqrt(2)),
 * log m = 2 atanh(s) with s = (m-1)/(m+1), |s| < 0.172. */
static double lk_log(double x)
{
	uint64_t b;
	memcpy(&b, &x, sizeof(b));
	int e = (int)((b >> 52) & 0x7ff) - 1023;
	double m = lk_bits_to_double((b & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
	if (m > 1.4142135623730951) {
		m *= 0.5;
		e++;
	}
	double s = (m - 1) / (m + 1), s2 = s * s;
	double r =
	    2 * s *
	    (1 +
	     s2 * (1 / 3.0 +
	           s2 * (1 / 5.0 + s2 * (1 / 7.0 + s2 * (1 / 9.0 + s2 * (1 / 11.0 + s2 / 13.0))))));
	return e * 0.6931471805599453 + r;
}

/* p(x) = 1 - exp(-x) for x >= 0, without cancellation for small x. */
static double lk_one_minus_exp_neg(double x)
{
	if (x < 0.5) { /* x - x^2/2! + x^3/3! - ... */
		double term = x, sum = x;
		for (int i = 2; i <= 16; i++) {
			term *= -x / i;
			sum += term;
		}
		return sum;
	}
	if (x > 700)
		return 1;
	/* exp(-x) = 2^-k exp(-r), r = x - k ln2 in [0, ln2) */
	int k = (int)(x * 1.4426950408889634);
	double r = x - k * 0.6931471805599453;
	double term = 1, sum = 1;
	for (int i = 1; i <= 18; i++) {
		term *= -r / i;
		sum += term;
	}
	return 1 - sum * lk_bits_to_double((uint64_t)(1023 - k) << 52);
}

double lk_sample_inv_prob(uint64_t size)
{
	if (!lk_sample_bytes || !size)
		return 1;
	return 1 / lk_one_minus_exp_neg((double)size / (double)lk_sample_bytes);
}

uint64_t lk_sample_est_bytes(uint64_t size)
{
	return (uint64_t)((double)size * lk_sample_inv_prob(size) + 0.5);
}

uint64_t lk_sample_est_count(uint64_t size)
{
	return (uint64_t)(lk_sample_inv_prob(size) + 0.5);
}

/* ---- draws ----------------------------------------------------------------------------- */

static uint64_t lk_splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t lk_sample_next_u64(void)
{
	uint64_t x = lk_sample_rng;
	if (__builtin_expect(!x, 0)) /* first draw in this thread (or after fork: keeps going) */
		x = lk_splitmix(__builtin_ia32_rdtsc() ^ (uint64_t)(uintptr_t)&lk_sample_rng) | 1;
	x ^= x >> 12; /* xorshift64* */
	x ^= x << 25;
	x ^= x >> 27;
	lk_sample_rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Bytes to the next sample point: -ln(U) * mean, U uniform in (0, 1]. */
static int64_t lk_sample_draw(void)
{
	double u = (double)((lk_sample_next_u64() >> 11) + 1) * (1.0 / 9007199254740992.0);
	double v = -lk_log(u) * (double)lk_sample_bytes;
	if (v < 1)
		v = 1;
	if (v > 9.0e18)
		v = 9.0e18;
	return (int64_t)v;
}

bool lk_sample_take_slow(size_t size)
{
	if (!lk_sample_bytes)
		return true; /* sampling off: every allocation is recorded */
	if (!lk_sample_rng) {
		/* First allocation of this thread: start the countdown where a fresh draw puts
		 * it (not at 0, which would sample every thread's first allocation). */
		lk_sample_left = lk_sample_draw() - (int64_t)size;
		if (lk_sample_left > 0)
			return false;
	}
	/* Sampled. The process is memoryless, so the next point is a fresh draw measured from
	 * the end of this block. */
	lk_sample_left = lk_sample_draw();
	return true;
}

/* ---- filter ---------------------------------------------------------------------------- */

/* 8-bit counters: a saturated counter stays at 255 (never decremented), which only costs
 * lookups that find nothing. */
void lk_sample_mark(uintptr_t ptr)
{
	uint8_t *c = &lk_sample_filter[lk_sample_filter_slot(ptr)];
	uint8_t v = __atomic_load_n(c, __ATOMIC_RELAXED);
	while (v != 255 &&
	       !__atomic_compare_exchange_n(c, &v, v + 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void lk_sample_unmark(uintptr_t ptr)
{
	uint8_t *c = &lk_sample_filter[lk_sample_filter_slot(ptr)];
	uint8_t v = __atomic_load_n(c, __ATOMIC_RELAXED);
	while (v != 255 && v != 0 &&
	       !__atomic_compare_exchange_n(c, &v, v - 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}
