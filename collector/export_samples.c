/* SPDX-License-Identifier: MIT */
/* export_samples.c - one row per stack for the profile exports, derived from the ranked
 * findings (never a second heap analysis) plus each stack's SITE change list for growth. */
#include "export_samples.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_growth.h"
#include "hashmap.h"

int export_metric_parse(const char *name, enum export_metric *m, struct err *e)
{
	if (strcmp(name, "live-bytes") == 0)
		*m = EXPORT_LIVE_BYTES;
	else if (strcmp(name, "live-count") == 0)
		*m = EXPORT_LIVE_COUNT;
	else if (strcmp(name, "growth") == 0)
		*m = EXPORT_GROWTH;
	else if (strcmp(name, "allocs") == 0)
		*m = EXPORT_ALLOCS;
	else if (strcmp(name, "alloc-bytes") == 0)
		*m = EXPORT_ALLOC_BYTES;
	else
		return err_set(
		    e,
		    "--metric wants live-bytes, live-count, growth, allocs or alloc-bytes, "
		    "not '%.64s'",
		    name);
	return 0;
}

uint64_t export_sample_value(const struct export_sample *s, enum export_metric m)
{
	switch (m) {
	case EXPORT_LIVE_COUNT:
		return s->live_count;
	case EXPORT_GROWTH:
		return s->growth_bytes;
	case EXPORT_ALLOCS:
		return s->allocs;
	case EXPORT_ALLOC_BYTES:
		return s->alloc_bytes;
	default:
		return s->live_bytes;
	}
}

static struct export_sample *add_row(struct export_samples *out)
{
	if (out->n == out->cap) {
		size_t ncap = out->cap ? out->cap * 2 : 64;
		struct export_sample *n = realloc(out->items, ncap * sizeof(*n));
		if (!n)
			return NULL;
		out->items = n;
		out->cap = ncap;
	}
	struct export_sample *r = &out->items[out->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* Rows for one process: every stack in first-appearance order gets its growth; heap
 * findings add live bytes and counts (a stack may have a leak and a reachable finding). */
bool export_window(const struct model_proc *p, const struct analyze_opts *o, uint32_t *i0,
                   uint32_t *i1)
{
	bool ok = o ? growth_window(p, o->window_start_set, o->window_start_s, o->window_end_set,
	                            o->window_end_s, i0, i1)
	            : growth_window(p, false, 0, false, 0, i0, i1);
	return ok && *i1 > *i0;
}

static int build_proc(const struct analysis_proc *ap, const struct analyze_opts *o, uint32_t pi,
                      struct export_samples *out)
{
	const struct model_proc *p = ap->proc;
	struct hashmap rows = {0}; /* stack id -> row index */
	uint32_t w0 = 0, w1 = 0;
	bool window = export_window(p, o, &w0, &w1);
	for (uint32_t i = 0; i < p->n_stacks; i++) {
		const struct model_stack *s = &p->stacks[i];
		uint64_t b0 = 0, b1 = 0, c;
		if (window) {
			model_stack_live_at(s, w0, &b0, &c);
			model_stack_live_at(s, w1, &b1, &c);
		}
		struct export_sample *r = add_row(out);
		if (!r || hashmap_put(&rows, s->id, (uint32_t)(out->n - 1)) != 0)
			goto oom;
		r->proc = pi;
		r->stack_id = s->id;
		r->growth_bytes = b1 > b0 ? b1 - b0 : 0;
		r->allocs = s->total_allocs;
		r->alloc_bytes = s->total_alloc_bytes;
	}
	for (size_t k = 0; k < ap->findings.n; k++) {
		const struct finding *f = &ap->findings.items[k];
		if (!finding_kind_is_heap(f->kind))
			continue;
		uint32_t idx;
		if (!hashmap_get(&rows, f->stack_id, &idx)) {
			struct export_sample *r = add_row(out);
			if (!r || hashmap_put(&rows, f->stack_id, (uint32_t)(out->n - 1)) != 0)
				goto oom;
			r->proc = pi;
			r->stack_id = f->stack_id;
			idx = (uint32_t)(out->n - 1);
		}
		out->items[idx].live_bytes += f->bytes;
		out->items[idx].live_count += f->count;
	}
	hashmap_fini(&rows);
	return 0;
oom:
	hashmap_fini(&rows);
	return -1;
}

int export_samples_build(const struct analysis *a, const struct analyze_opts *o,
                         struct export_samples *out, struct err *e)
{
	for (uint32_t i = 0; i < a->n_procs; i++) {
		size_t start = out->n;
		if (build_proc(&a->procs[i], o, i, out) != 0)
			return err_set(e, "out of memory");
		/* Drop stacks with nothing to show, keeping order. */
		size_t w = start;
		for (size_t k = start; k < out->n; k++) {
			const struct export_sample *r = &out->items[k];
			if (r->live_bytes || r->live_count || r->growth_bytes || r->allocs)
				out->items[w++] = *r;
		}
		out->n = w;
	}
	return 0;
}

void export_samples_fini(struct export_samples *s)
{
	free(s->items);
	memset(s, 0, sizeof(*s));
}

const char *export_frame_name(const struct sym_frame *f, char *buf, size_t len)
{
	if (f->function)
		return f->function;
	if (f->module) {
		const char *base = strrchr(f->module, '/');
		snprintf(buf, len, "%s+0x%" PRIx64, base ? base + 1 : f->module, f->offset);
	} else {
		snprintf(buf, len, "0x%" PRIx64, f->addr);
	}
	return buf;
}
