/* SPDX-License-Identifier: MIT */
/* fail_on.c - parsing and testing --fail-on rules (see fail_on.h). */
#include "fail_on.h"
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int parse_item(struct fail_rule *r, const char *item, size_t n, struct err *e)
{
	char buf[80];
	if (n >= sizeof(buf))
		return err_set(e, "--fail-on: item too long: '%.64s...'", item);
	memcpy(buf, item, n);
	buf[n] = '\0';
	char *gt = strchr(buf, '>');
	if (gt)
		*gt = '\0';
	uint32_t mask;
	if (finding_kinds_parse(buf, &mask, e) != 0)
		return -1;
	if (!mask || (mask & (mask - 1)))
		return err_set(e, "unknown finding kind '%s'", buf);
	r->kind = (enum finding_kind)__builtin_ctz(mask);
	r->has_limit = gt != NULL;
	if (!gt)
		return 0;
	const char *s = gt + 1, *end;
	bool rate = r->kind == FINDING_GROWTH || r->kind == FINDING_RSS;
	bool bytes = rate || finding_kind_is_heap(r->kind);
	double v = bytes ? parse_size_prefix(s, &end) : -1;
	if (!bytes && *s >= '0' && *s <= '9') {
		char *ce;
		errno = 0;
		unsigned long long c = strtoull(s, &ce, 10);
		v = errno ? -1 : (double)c;
		end = ce;
	}
	if (v >= 0 && rate) {
		double per = *end != '/'              ? 0
		             : strcmp(end, "/s") == 0 ? 1
		             : strcmp(end, "/m") == 0 ? 60
		             : strcmp(end, "/h") == 0 ? 3600
		             : strcmp(end, "/d") == 0 ? 86400
		                                      : 0;
		if (!per)
			v = -1;
		else
			v /= per;
		end = "";
	}
	if (v < 0 || *end) {
		*gt = '>';
		return err_set(e,
		               "--fail-on: bad limit in '%s' (e.g. growth>1m/h, rss>10m/h, "
		               "leak>64k, fd>10, thread>4)",
		               buf);
	}
	r->limit = v;
	return 0;
}

int fail_rules_parse(struct fail_rules *rs, const char *arg, struct err *e)
{
	const char *p = arg;
	for (;;) {
		size_t n = strcspn(p, ",");
		if (rs->n == FAIL_RULES_MAX)
			return err_set(e, "--fail-on: more than %d items", FAIL_RULES_MAX);
		if (parse_item(&rs->r[rs->n], p, n, e) != 0)
			return -1;
		rs->n++;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static bool is_resource(enum finding_kind k)
{
	return k == FINDING_FD || k == FINDING_THREAD || k == FINDING_ZOMBIE;
}

static bool rule_matches(const struct fail_rule *r, const struct analysis_proc *ap,
                         bool growing_only)
{
	double sum = 0;
	for (size_t k = 0; k < ap->findings.n; k++) {
		const struct finding *f = &ap->findings.items[k];
		if (f->kind != r->kind)
			continue;
		if (!r->has_limit) {
			if (!growing_only || !is_resource(f->kind) || f->trend.growing)
				return true;
			continue;
		}
		switch (f->kind) {
		case FINDING_GROWTH:
		case FINDING_RSS:
			if (f->trend.growing && f->trend.bytes_per_sec > r->limit)
				return true;
			break;
		case FINDING_LEAK:
		case FINDING_REACHABLE:
		case FINDING_INDIRECT:
			if ((double)(f->bytes + f->held_bytes) > r->limit)
				return true;
			break;
		case FINDING_FD:
		case FINDING_THREAD:
		case FINDING_ZOMBIE:
			if (!ap->growth_ran)
				sum += (double)f->count;
			else if (f->trend.last_count > f->trend.first_count)
				sum += (double)(f->trend.last_count - f->trend.first_count);
			break;
		default:
			sum += (double)f->count;
			break;
		}
	}
	return r->has_limit && sum > r->limit;
}

uint32_t fail_rules_match(const struct fail_rules *rs, const struct analysis *a, bool growing_only)
{
	uint32_t mask = 0;
	for (uint32_t i = 0; i < a->n_procs; i++)
		for (size_t k = 0; k < rs->n; k++)
			if (rule_matches(&rs->r[k], &a->procs[i], growing_only))
				mask |= 1u << rs->r[k].kind;
	return mask;
}
