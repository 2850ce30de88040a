/* SPDX-License-Identifier: MIT */
/* parse.c - option values for leak-report and leak-view (see parse.h). The size and boolean
 * rules are the preload's too (preload/config.c lk_cfg_size, lk_cfg_bool): same suffixes,
 * same words; change both or neither. */
#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Values are shown cut to 64 bytes: the message stays one line of a sane length. */
#define SHOW "%.64s"

/* Digits only, whole string, into *v (any overflow is an error). */
static int digits(const char *s, const char **end, uint64_t *v)
{
	uint64_t x = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	if (p == s)
		return -1;
	*end = p;
	*v = x;
	return 0;
}

static int suffix_shift(char c)
{
	switch (c | 0x20) {
	case 'k':
		return 10;
	case 'm':
		return 20;
	case 'g':
		return 30;
	default:
		return -1;
	}
}

int parse_count(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
                struct err *e)
{
	const char *end;
	uint64_t v;
	if (!s || digits(s, &end, &v) != 0 || *end || v < lo || v > hi)
		return err_set(e, "%s: '" SHOW "' is not a count (%" PRIu64 "..%" PRIu64 ")", opt,
		               s ? s : "", lo, hi);
	*out = v;
	return 0;
}

int parse_size(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
               struct err *e)
{
	const char *end;
	uint64_t v;
	int shift = 0;
	bool ok = s && digits(s, &end, &v) == 0;
	if (ok && *end) {
		shift = suffix_shift(*end);
		ok = shift >= 0 && !end[1];
	}
	ok = ok && v <= (hi >> shift);
	if (ok) {
		v <<= shift;
		ok = v >= lo && v <= hi;
	}
	if (!ok)
		return err_set(e,
		               "%s: '" SHOW "' is not a size (%" PRIu64 "..%" PRIu64
		               " bytes; suffix k, m or g allowed)",
		               opt, s ? s : "", lo, hi);
	*out = v;
	return 0;
}

double parse_size_prefix(const char *s, const char **end)
{
	if (*s < '0' || *s > '9')
		return -1;
	char *p;
	errno = 0;
	double v = strtod(s, &p);
	/* strtod also reads hex, exponents, inf and nan: only digits[.digits] are sizes. */
	if (errno || p == s || !(v >= 0) || isinf(v) || strspn(s, "0123456789.") != (size_t)(p - s))
		return -1;
	int shift = suffix_shift(*p);
	if (shift >= 0) {
		v = ldexp(v, shift);
		p++;
	}
	*end = p;
	return v;
}

int parse_seconds(const char *opt, const char *s, double lo, double hi, double *out, struct err *e)
{
	bool ok = s && *s;
	const char *p = s;
	double v = 0;
	if (ok) {
		bool neg = *p == '-' && lo < 0;
		if (neg)
			p++;
		size_t n = strspn(p, "0123456789.");
		char *q;
		errno = 0;
		v = n ? strtod(p, &q) : 0;
		ok = n && !errno && q == p + n;
		if (ok) {
			static const struct {
				char c;
				double mul;
			} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
			if (*q) {
				ok = false;
				for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
					if (*q == units[i].c && !q[1]) {
						v *= units[i].mul;
						ok = true;
					}
				}
			}
		}
		if (neg)
			v = -v;
		ok = ok && isfinite(v) && v >= lo && v <= hi;
	}
	if (!ok)
		return err_set(e,
		               "%s: '" SHOW "' is not a duration (%g..%g seconds; suffix s, m, h "
		               "or d allowed)",
		               opt, s ? s : "", lo, hi);
	*out = v;
	return 0;
}

int parse_bool(const char *opt, const char *s, bool *out, struct err *e)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};
	for (size_t i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*out = strcasecmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return err_set(e, "%s: '" SHOW "' is not a boolean (1, 0, yes, no, true, false, on, off)",
	               opt, s ? s : "");
}
