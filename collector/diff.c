/* SPDX-License-Identifier: MIT */
/* diff.c - snapshot diffs per stack (see diff.h). Every stack's live values at a snapshot
 * come from its change list (model_stack_live_at), so a diff costs one binary search per
 * stack and snapshot, whatever the trace length. */
#include "diff.h"
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int diff_ref_parse(const char *s, struct diff_ref *r, struct err *e)
{
	*r = (struct diff_ref){0};
	size_t n = strlen(s);
	/* A time ends in a unit (10s, 2m; parse.h's durations); an index is a bare integer,
	 * negative from the end. */
	if (n > 1 && strchr("smhd", s[n - 1])) {
		if (parse_seconds("--diff", s, -1e12, 1e12, &r->t_s, NULL) != 0)
			goto bad;
		r->by_time = true;
		return 0;
	}
	uint64_t v;
	bool neg = *s == '-';
	if (parse_count("--diff", s + neg, 0, INT64_MAX, &v, NULL) != 0)
		goto bad;
	r->index = neg ? -(int64_t)v : (int64_t)v;
	return 0;
bad:
	return err_set(e,
	               "--diff: '%.64s' is not a snapshot (an index, negative from the end, or a "
	               "time like 10s, 2m, 1h)",
	               s);
}

static uint32_t resolve(const struct model_proc *p, const struct diff_ref *r)
{
	uint32_t last = p->n_snaps - 1;
	if (!r->by_time) {
		int64_t i = r->index < 0 ? (int64_t)p->n_snaps + r->index : r->index;
		return i < 0 ? 0 : i > (int64_t)last ? last : (uint32_t)i;
	}
	double t_end = (double)p->snaps[last].t_ns / 1e9;
	double t = r->t_s < 0 ? t_end + r->t_s : r->t_s;
	uint32_t best = 0;
	for (uint32_t i = 0; i < p->n_snaps; i++) {
		if ((double)p->snaps[i].t_ns / 1e9 <= t + 1e-9)
			best = i;
	}
	return best;
}

static uint64_t abs_delta(int64_t d)
{
	return d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
}

static int cmp_entry(const void *pa, const void *pb)
{
	const struct diff_entry *a = pa, *b = pb;
	uint64_t x = abs_delta(a->delta_bytes), y = abs_delta(b->delta_bytes);
	if (x != y)
		return x > y ? -1 : 1;
	x = abs_delta(a->delta_count);
	y = abs_delta(b->delta_count);
	if (x != y)
		return x > y ? -1 : 1;
	return a->stack_id < b->stack_id ? -1 : a->stack_id > b->stack_id;
}

int diff_build(const struct model_proc *p, const struct diff_ref *a, const struct diff_ref *b,
               struct diff_list *out)
{
	*out = (struct diff_list){0};
	if (!p->n_snaps)
		return 0;
	out->valid = true;
	out->snap_a = resolve(p, a);
	out->snap_b = resolve(p, b);
	out->t_a = (double)p->snaps[out->snap_a].t_ns / 1e9;
	out->t_b = (double)p->snaps[out->snap_b].t_ns / 1e9;
	for (uint32_t i = 0; i < p->n_stacks; i++) {
		const struct model_stack *s = &p->stacks[i];
		struct diff_entry d = {.stack_id = s->id};
		model_stack_live_at(s, out->snap_a, &d.bytes_a, &d.count_a);
		model_stack_live_at(s, out->snap_b, &d.bytes_b, &d.count_b);
		if (d.bytes_a == d.bytes_b && d.count_a == d.count_b)
			continue;
		d.delta_bytes = (int64_t)(d.bytes_b - d.bytes_a);
		d.delta_count = (int64_t)(d.count_b - d.count_a);
		bool had = d.bytes_a || d.count_a, has = d.bytes_b || d.count_b;
		d.change = !had                    ? "appeared"
		           : !has                  ? "disappeared"
		           : d.bytes_b > d.bytes_a ? "grew"
		           : d.bytes_b < d.bytes_a ? "shrank"
		           : d.count_b > d.count_a ? "grew"
		                                   : "shrank";
		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 64;
			struct diff_entry *nn = realloc(out->items, ncap * sizeof(*nn));
			if (!nn) {
				diff_list_fini(out);
				return -1;
			}
			out->items = nn;
			out->cap = ncap;
		}
		out->items[out->n++] = d;
	}
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(*out->items), cmp_entry);
	return 0;
}

void diff_list_fini(struct diff_list *d)
{
	free(d->items);
	*d = (struct diff_list){0};
}
