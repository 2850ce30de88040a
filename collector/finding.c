/* SPDX-License-Identifier: MIT */
/* finding.c - kind names, --fail-on parsing, ranking. The names here are the JSON "kind"
 * strings and the --fail-on vocabulary: never rename one. */
#include "finding.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[FINDING_NKINDS] = {
    [FINDING_LEAK] = "leak",         [FINDING_REACHABLE] = "reachable", [FINDING_FD] = "fd",
    [FINDING_ZOMBIE] = "zombie",     [FINDING_CHILD] = "child",         [FINDING_THREAD] = "thread",
    [FINDING_TEMPFILE] = "tempfile", [FINDING_GROWTH] = "growth",       [FINDING_RSS] = "rss",
    [FINDING_INDIRECT] = "indirect",
};

const char *finding_kind_name(enum finding_kind k)
{
	return (unsigned)k < FINDING_NKINDS && kind_names[k] ? kind_names[k] : "?";
}

bool finding_kind_is_heap(enum finding_kind k)
{
	return k == FINDING_LEAK || k == FINDING_REACHABLE || k == FINDING_INDIRECT;
}

int finding_kinds_parse(const char *list, uint32_t *mask, struct err *e)
{
	*mask = 0;
	const char *p = list;
	for (;;) {
		size_t n = strcspn(p, ",");
		bool found = false;
		for (int k = 0; k < FINDING_NKINDS; k++) {
			if (kind_names[k] && strlen(kind_names[k]) == n &&
			    strncmp(kind_names[k], p, n) == 0) {
				*mask |= 1u << k;
				found = true;
			}
		}
		if (!found)
			return err_set(e, "unknown finding kind '%.*s'", (int)(n > 64 ? 64 : n), p);
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

struct finding *finding_list_add(struct finding_list *l, const struct finding *f)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct finding *n = realloc(l->items, ncap * sizeof(*n));
		if (!n)
			return NULL;
		l->items = n;
		l->cap = ncap;
	}
	struct finding *d = &l->items[l->n++];
	*d = *f;
	d->ids = NULL;
	d->n_ids = d->cap_ids = 0;
	return d;
}

int finding_add_id(struct finding *f, uint32_t id)
{
	if (f->n_ids == f->cap_ids) {
		uint32_t ncap = f->cap_ids ? f->cap_ids * 2 : 4;
		uint32_t *n = realloc(f->ids, ncap * sizeof(*n));
		if (!n)
			return -1;
		f->ids = n;
		f->cap_ids = ncap;
	}
	f->ids[f->n_ids++] = id;
	return 0;
}

void finding_list_fini(struct finding_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].ids);
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

/* What to act on first: leaks, growth, RSS growth (the growth of memory malloc does not see:
 * a V8 or JVM heap, mmap; only reported when no stack grows), then descriptors, children,
 * threads and temp files, children still running; then what is not acted on alone: blocks
 * leaked only through other leaks (fixing those frees them), and reachable memory (caches,
 * singletons, library state) last, however large it is. */
static int rank_class(enum finding_kind k)
{
	static const int rank[FINDING_NKINDS] = {
	    [FINDING_LEAK] = 0,      [FINDING_GROWTH] = 1, [FINDING_RSS] = 2,
	    [FINDING_FD] = 3,        [FINDING_ZOMBIE] = 4, [FINDING_THREAD] = 5,
	    [FINDING_TEMPFILE] = 6,  [FINDING_CHILD] = 7,  [FINDING_INDIRECT] = 8,
	    [FINDING_REACHABLE] = 9,
	};
	return (unsigned)k < FINDING_NKINDS ? rank[k] : FINDING_NKINDS;
}

bool finding_kind_is_actionable(enum finding_kind k)
{
	return k != FINDING_REACHABLE && k != FINDING_INDIRECT;
}

size_t finding_list_actionable(const struct finding_list *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += finding_kind_is_actionable(l->items[i].kind);
	return n;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b ? 1 : 0;
}

/* Without a final snapshot, leak is every block live at the last snapshot, held or not
 * (thousands of stacks in a killed service), and growth is what points at a leak. */
static int rank_class_growth_first(enum finding_kind k)
{
	return k == FINDING_GROWTH ? 0
	       : k == FINDING_RSS  ? 1
	       : k == FINDING_LEAK ? 2
	                           : rank_class(k);
}

static int cmp_finding_rest(const struct finding *a, const struct finding *b);

/* A pile that leads some growth ranks as growth, after the growth it does not explain and
 * ahead of the growth that follows it (growth_mark_piles). */
static enum finding_kind rank_kind(const struct finding *f)
{
	return f->leads_pile ? FINDING_GROWTH : f->kind;
}

static int pile_order(const struct finding *f)
{
	return f->leads_pile ? 1 : f->follows_pile ? 2 : 0;
}

static int cmp_ranked(const struct finding *a, const struct finding *b,
                      int (*rank)(enum finding_kind))
{
	int c = rank(rank_kind(a)) - rank(rank_kind(b));
	if (!c)
		c = pile_order(a) - pile_order(b);
	return c ? c : cmp_finding_rest(a, b);
}

static int cmp_finding(const void *pa, const void *pb)
{
	return cmp_ranked(pa, pb, rank_class);
}

static int cmp_finding_growth_first(const void *pa, const void *pb)
{
	return cmp_ranked(pa, pb, rank_class_growth_first);
}

static int cmp_finding_rest(const struct finding *a, const struct finding *b)
{
	int c;
	if ((c = cmp_u64_desc(a->bytes + a->held_bytes, b->bytes + b->held_bytes)) != 0)
		return c;
	if ((c = cmp_u64_desc(a->count, b->count)) != 0)
		return c;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	if (a->stack_id != b->stack_id)
		return a->stack_id < b->stack_id ? -1 : 1;
	uint32_t ia = a->n_ids ? a->ids[0] : 0, ib = b->n_ids ? b->ids[0] : 0;
	if (ia != ib)
		return ia < ib ? -1 : 1;
	return strcmp(a->path ? a->path : "", b->path ? b->path : "");
}

void finding_list_rank(struct finding_list *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), cmp_finding);
}

void finding_list_rank_growth_first(struct finding_list *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), cmp_finding_growth_first);
}

bool finding_list_matches(const struct finding_list *l, uint32_t mask)
{
	for (size_t i = 0; i < l->n; i++) {
		if (mask & (1u << l->items[i].kind))
			return true;
	}
	return false;
}
