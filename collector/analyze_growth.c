/* SPDX-License-Identifier: MIT */
/* analyze_growth.c - "growth" and "rss" findings, and the "growing" mark on fd, thread and
 * zombie findings: what keeps increasing while the process runs, found from the snapshots
 * alone, so it works on a process that is still running or was killed (no final snapshot).
 *
 * Each series (a stack's live bytes and count, a descriptor group's open count, RSS) is
 * tested over the later part of the analysed window only (GROWTH_LATER_PART): a cache that
 * warms up and then holds at its cap has no trend there, a leak does. The test is robust
 * (Theil-Sen slope, Mann-Kendall significance, see stats.h) and must also be material and
 * still rising at the end (growth_test_series). The exit snapshot, taken after the exit
 * handlers and static destructors, is never what decides: it does not count towards the
 * points a verdict needs, and a series that falls there is tested without it. Series are
 * subsampled to GROWTH_MAX_SAMPLES points and a stack that did not change inside the tested
 * part is skipped before any arithmetic, which keeps an hour of 20,000 stacks within
 * seconds. */
#include "analyze_growth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "hashmap.h"
#include "stats.h"
#include "trace_format.h"

#define HEAP_FLOOR_BYTES    (8.0 * 1024) /* a stack must grow at least 8 KiB over the span */
#define HEAP_FLOOR_COUNT    8.0          /* or by at least 8 blocks */
#define RES_FLOOR_COUNT     5.0          /* descriptors, threads, zombies */
#define RSS_FLOOR_BYTES     (1024.0 * 1024)
#define FLOOR_REL           0.1
#define TEARDOWN_MAX_POINTS 2 /* run-time snapshots a teardown at exit may have fallen in */

void growth_test_series(const double *x, const double *y, size_t n, const struct growth_test *t,
                        struct growth_result *r)
{
	*r = (struct growth_result){.p = 1};
	if (n < GROWTH_MIN_POINTS || n > STATS_MAX_POINTS)
		return;
	struct stats_mk mk;
	double b, a;
	if (stats_mann_kendall(y, n, &mk) != 0)
		return;
	r->tau = mk.tau;
	r->p = mk.p;
	/* The rank test first: it is cheaper than the slope, and most series fail it. */
	if (mk.s <= 0 || mk.p >= GROWTH_P_MAX || mk.tau < GROWTH_TAU_MIN)
		return;
	if (stats_theil_sen(x, y, n, &b, &a) != 0)
		return;
	r->slope = b;
	r->slope_known = true;
	if (b <= 0)
		return;
	double span = x[n - 1] - x[0];
	double start = a + b * x[0];
	if (b * span < t->floor_abs || b * span < t->floor_rel * fmax(start, 0))
		return;
	/* Still growing at the end: a plateau reached inside the span flattens the last half. */
	size_t h = n / 2;
	double b2;
	if (stats_theil_sen(x + h, y + h, n - h, &b2, NULL) != 0 || b2 < 0.25 * b)
		return;
	r->growing = true;
}

/* The slope of a series the trend test rejected early (its rate is still reported next to a
 * series that grows, e.g. the count of a realloc-grown buffer). */
static void ensure_slope(const double *x, const double *y, size_t n, struct growth_result *r)
{
	double b;
	if (!r->slope_known && n >= 2 && stats_theil_sen(x, y, n, &b, NULL) == 0) {
		r->slope = b;
		r->slope_known = true;
	}
}

bool growth_window(const struct model_proc *p, bool has_start, double start_s, bool has_end,
                   double end_s, uint32_t *i0, uint32_t *i1)
{
	if (!p->n_snaps)
		return false;
	double last = (double)p->snaps[p->n_snaps - 1].t_ns / 1e9;
	double lo = !has_start ? -INFINITY : start_s < 0 ? last + start_s : start_s;
	double hi = !has_end ? INFINITY : end_s < 0 ? last + end_s : end_s;
	uint32_t a = UINT32_MAX, b = 0;
	for (uint32_t i = 0; i < p->n_snaps; i++) {
		double t = (double)p->snaps[i].t_ns / 1e9;
		if (t < lo || t > hi)
			continue;
		if (a == UINT32_MAX)
			a = i;
		b = i;
	}
	if (a == UINT32_MAX)
		return false;
	*i0 = a;
	*i1 = b;
	return true;
}

/* The tested part of one process's window, and the snapshot indices sampled from it. The
 * exit (final) snapshot is taken after the program's exit handlers and static destructors
 * ran, so it may show its teardown rather than how it ran: it never counts towards the
 * GROWTH_MIN_POINTS a verdict needs, and a series uses it only when it does not fall there
 * (series_len). Periodic snapshots taken while the exit handlers ran (TRACE_SNAP_EXITING)
 * are left out altogether: they may catch a teardown half done. */
struct span {
	uint32_t w0, w1; /* the whole window */
	uint32_t a;      /* first snapshot of the tested (later) part */
	uint32_t idx[GROWTH_MAX_SAMPLES];
	double x[GROWTH_MAX_SAMPLES]; /* seconds since start */
	size_t n;                     /* sampled points, the exit snapshot's included */
	bool final;                   /* the window ends with the exit snapshot: idx[n - 1] */
};

static bool span_init(struct analysis_proc *ap, const struct analyze_opts *o, struct span *sp)
{
	const struct model_proc *p = ap->proc;
	ap->growth_needed = GROWTH_MIN_POINTS;
	ap->growth_snaps = 0;
	ap->growth_ran = false;
	ap->growth_exit_left_out = false;
	if (!growth_window(p, o->window_start_set, o->window_start_s, o->window_end_set,
	                   o->window_end_s, &sp->w0, &sp->w1))
		return false;
	sp->final = (p->snaps[sp->w1].flags & TRACE_SNAP_FINAL) != 0;
	/* The snapshots of the exit phase end the window: the exit one and any periodic one
	 * taken while the exit handlers ran (TRACE_SNAP_EXITING). None of them counts. */
	uint32_t nexit = 0;
	while (nexit < sp->w1 - sp->w0 + 1 &&
	       (p->snaps[sp->w1 - nexit].flags & (TRACE_SNAP_FINAL | TRACE_SNAP_EXITING)))
		nexit++;
	ap->growth_exit_left_out = nexit != 0;
	uint32_t nrun = sp->w1 - sp->w0 + 1 - nexit;
	ap->growth_snaps = nrun;
	if (nrun < GROWTH_MIN_POINTS)
		return false;
	ap->growth_ran = true;
	uint32_t r1 = sp->w1 - nexit; /* the last snapshot taken while the program ran */
	/* The later part by time, not by count: the writer's schedule is dense at the start
	 * (writer.c), so the last 60% of the snapshots would reach back into a warm-up. */
	double t0 = (double)p->snaps[sp->w0].t_ns, t1 = (double)p->snaps[r1].t_ns;
	double cut = t0 + (t1 - t0) * (1 - GROWTH_LATER_PART);
	sp->a = sp->w0;
	while (sp->a < r1 && (double)p->snaps[sp->a].t_ns < cut)
		sp->a++;
	if (r1 - sp->a + 1 < GROWTH_MIN_POINTS)
		sp->a = r1 + 1 - GROWTH_MIN_POINTS;
	uint32_t m = r1 - sp->a + 1;
	size_t cap = GROWTH_MAX_SAMPLES - sp->final;
	size_t n = m < cap ? m : cap;
	for (size_t k = 0; k < n; k++) {
		uint32_t i = n == m ? sp->a + (uint32_t)k
		                    : sp->a + (uint32_t)((double)k * (m - 1) / (n - 1) + 0.5);
		sp->idx[k] = i;
		sp->x[k] = (double)p->snaps[i].t_ns / 1e9;
	}
	if (sp->final) {
		sp->idx[n] = sp->w1;
		sp->x[n] = (double)p->snaps[sp->w1].t_ns / 1e9;
		n++;
	}
	sp->n = n;
	return true;
}

static bool series_rose(const double *y, const double *y2, size_t from, size_t to)
{
	return y[to] > y[from] || (y2 && y2[to] > y2[from]);
}

/* Points of a series to test (y2 may be NULL): all n, or fewer when the last is the exit
 * snapshot and y or y2 fell by then (the program freed some of it at exit: a teardown, not
 * the trend while it ran). A teardown done by main itself (a list freed before it returns,
 * Python's finalization) is not inside the exit handlers, and a periodic snapshot may catch
 * it half done or just done: the snapshots before the exit one that rose in neither series
 * since their predecessor, up to TEARDOWN_MAX_POINTS of them, are left out with it. Either
 * way at least GROWTH_MIN_POINTS taken while it ran remain. */
static size_t series_len(const struct span *sp, const double *y, const double *y2)
{
	size_t n = sp->n, m = n;
	if (!sp->final)
		return n;
	for (int k = 0; k <= TEARDOWN_MAX_POINTS && m > GROWTH_MIN_POINTS; k++, m--)
		if (series_rose(y, y2, m - 2, m - 1))
			break;
	bool fell = y[n - 1] < y[m - 1] || (y2 && y2[n - 1] < y2[m - 1]);
	return m < n && fell ? m : n;
}

static void set_trend(struct finding_trend *tr, const struct model_proc *p, const struct span *sp,
                      uint32_t end, const struct growth_result *rb, const struct growth_result *rc)
{
	const struct growth_result *main_r = rb->growing || !rc ? rb : rc;
	tr->growing = rb->growing || (rc && rc->growing);
	tr->bytes_per_sec = rb->slope;
	tr->count_per_sec = rc ? rc->slope : 0;
	tr->tau = main_r->tau;
	tr->p_value = main_r->p;
	tr->window_start_s = (double)p->snaps[sp->w0].t_ns / 1e9;
	tr->window_end_s = (double)p->snaps[end].t_ns / 1e9;
	tr->eta_s = -1;
}

static void set_eta(struct finding_trend *tr, uint64_t last, double per_sec, uint64_t limit)
{
	if (!limit || !tr->growing || per_sec <= 0)
		return;
	tr->eta_s = last >= limit ? 0 : (double)(limit - last) / per_sec;
}

static int heap_growth(struct analysis_proc *ap, const struct analyze_opts *o,
                       const struct span *sp, struct hashmap *grown)
{
	const struct model_proc *p = ap->proc;
	const struct growth_test tb = {HEAP_FLOOR_BYTES, FLOOR_REL};
	const struct growth_test tc = {HEAP_FLOOR_COUNT, FLOOR_REL};
	double yb[GROWTH_MAX_SAMPLES], yc[GROWTH_MAX_SAMPLES];
	for (uint32_t i = 0; i < p->n_stacks; i++) {
		const struct model_stack *s = &p->stacks[i];
		/* Unchanged over the tested part (its last change is at or before its start). */
		if (!s->n_points || s->points[s->n_points - 1].snap <= sp->a)
			continue;
		for (size_t k = 0; k < sp->n; k++) {
			uint64_t b, c;
			model_stack_live_at(s, sp->idx[k], &b, &c);
			yb[k] = (double)b;
			yc[k] = (double)c;
		}
		/* A growth hidden by the exit teardown is tested, and shown, up to the
		 * snapshot before it. */
		size_t n = series_len(sp, yb, yc);
		uint32_t end = n < sp->n ? sp->idx[n - 1] : sp->w1;
		struct growth_result rb, rc;
		growth_test_series(sp->x, yb, n, &tb, &rb);
		growth_test_series(sp->x, yc, n, &tc, &rc);
		if (!rb.growing && !rc.growing)
			continue;
		ensure_slope(sp->x, yb, n, &rb);
		ensure_slope(sp->x, yc, n, &rc);
		uint64_t b0, c0, b1, c1;
		model_stack_live_at(s, sp->w0, &b0, &c0);
		model_stack_live_at(s, end, &b1, &c1);
		struct finding f = {
		    .kind = FINDING_GROWTH, .stack_id = s->id, .bytes = b1, .count = c1};
		set_trend(&f.trend, p, sp, end, &rb, &rc);
		f.trend.first_bytes = b0;
		f.trend.last_bytes = b1;
		f.trend.first_count = c0;
		f.trend.last_count = c1;
		set_eta(&f.trend, b1, rb.slope, o->limit_bytes);
		if (!finding_list_add(&ap->findings, &f) || hashmap_put(grown, s->id, 1) != 0)
			return -1;
	}
	return 0;
}

/* RSS that grows while the live heap does not: memory the heap hooks cannot attribute. */
static int rss_growth(struct analysis_proc *ap, const struct analyze_opts *o, const struct span *sp,
                      bool any_stack_grew)
{
	const struct model_proc *p = ap->proc;
	double yr[GROWTH_MAX_SAMPLES], yh[GROWTH_MAX_SAMPLES];
	for (size_t k = 0; k < sp->n; k++) {
		yr[k] = (double)p->snaps[sp->idx[k]].rss_bytes;
		yh[k] = (double)p->snaps[sp->idx[k]].live_bytes;
	}
	const struct growth_test tr = {RSS_FLOOR_BYTES, FLOOR_REL};
	const struct growth_test th = {HEAP_FLOOR_BYTES, FLOOR_REL};
	size_t nr = series_len(sp, yr, NULL), nh = series_len(sp, yh, NULL);
	struct growth_result rr, rh;
	growth_test_series(sp->x, yr, nr, &tr, &rr);
	if (!rr.growing || any_stack_grew)
		return 0;
	growth_test_series(sp->x, yh, nh, &th, &rh);
	ensure_slope(sp->x, yh, nh, &rh);
	/* The heap may grow a little (bookkeeping) but must not explain the RSS slope. */
	if (rh.growing && rh.slope >= 0.25 * rr.slope)
		return 0;
	uint32_t end = nr < sp->n ? sp->idx[nr - 1] : sp->w1;
	const struct model_snapshot *s0 = &p->snaps[sp->w0], *s1 = &p->snaps[end];
	struct finding f = {.kind = FINDING_RSS,
	                    .bytes = s1->rss_bytes,
	                    .state = "fragmentation or non-malloc growth (mmap, arenas)"};
	set_trend(&f.trend, p, sp, end, &rr, NULL);
	f.trend.first_bytes = s0->rss_bytes;
	f.trend.last_bytes = s1->rss_bytes;
	f.trend.count_per_sec = rh.slope; /* the live heap's own slope, for comparison */
	set_eta(&f.trend, s1->rss_bytes, rr.slope, o->limit_bytes);
	return finding_list_add(&ap->findings, &f) ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Open count at each sampled time from sorted open and close times (ns since start). */
static void count_series(const struct model_proc *p, const struct span *sp, const uint64_t *open,
                         size_t n_open, const uint64_t *close, size_t n_close, double *y)
{
	size_t io = 0, ic = 0;
	for (size_t k = 0; k < sp->n; k++) {
		uint64_t t = p->snaps[sp->idx[k]].t_ns;
		while (io < n_open && open[io] <= t)
			io++;
		while (ic < n_close && close[ic] <= t)
			ic++;
		y[k] = (double)io - (double)ic;
	}
}

/* Marks one resource finding growing when its open count rises over the tested part. */
static void mark_resource(struct finding *f, const struct model_proc *p, const struct span *sp,
                          uint64_t *open, size_t n_open, uint64_t *close, size_t n_close)
{
	double y[GROWTH_MAX_SAMPLES];
	qsort(open, n_open, sizeof(*open), cmp_u64);
	qsort(close, n_close, sizeof(*close), cmp_u64);
	count_series(p, sp, open, n_open, close, n_close, y);
	const struct growth_test tc = {RES_FLOOR_COUNT, FLOOR_REL};
	struct growth_result rc;
	size_t n = series_len(sp, y, NULL);
	growth_test_series(sp->x, y, n, &tc, &rc);
	ensure_slope(sp->x, y, n, &rc);
	struct growth_result none = {.p = 1};
	set_trend(&f->trend, p, sp, sp->w1, &none, &rc);
	f->trend.growing = rc.growing;
	/* First and last open counts over the window. */
	uint64_t t0 = p->snaps[sp->w0].t_ns, t1 = p->snaps[sp->w1].t_ns;
	uint64_t c0 = 0, c1 = 0;
	for (size_t i = 0; i < n_open; i++) {
		c0 += open[i] <= t0;
		c1 += open[i] <= t1;
	}
	for (size_t i = 0; i < n_close; i++) {
		c0 -= c0 && close[i] <= t0;
		c1 -= c1 && close[i] <= t1;
	}
	f->trend.first_count = c0;
	f->trend.last_count = c1;
}

static int resource_growth(struct analysis_proc *ap, const struct span *sp)
{
	const struct model_proc *p = ap->proc;
	size_t cap = p->n_fds;
	if (p->n_threads > cap)
		cap = p->n_threads;
	if (p->n_children > cap)
		cap = p->n_children;
	uint64_t *open = malloc((cap ? cap : 1) * sizeof(uint64_t));
	uint64_t *close = malloc((cap ? cap : 1) * sizeof(uint64_t));
	if (!open || !close) {
		free(open);
		free(close);
		return -1;
	}
	for (size_t k = 0; k < ap->findings.n; k++) {
		struct finding *f = &ap->findings.items[k];
		size_t no = 0, nc = 0;
		if (f->kind == FINDING_FD) {
			for (uint32_t i = 0; i < p->n_fds; i++) {
				const struct model_fd *d = &p->fds[i];
				if (d->stack_id != f->stack_id || d->fd <= 2 ||
				    (d->flags & TRACE_FD_INHERITED) || !f->fd_type)
					continue;
				/* The fork parent's copies are not in the group (analyze_fd). */
				if ((d->flags & TRACE_FD_FORKED) && !d->open_at_exec)
					continue;
				/* Same group as analyze_fd: stack and type (by its name). */
				if (d->type >= TRACE_FD_NTYPES ||
				    strcmp(trace_fd_type_name(d->type), f->fd_type) != 0)
					continue;
				open[no++] = d->t_ns;
				if (d->closed)
					close[nc++] = d->close_t_ns;
			}
		} else if (f->kind == FINDING_THREAD) {
			uint32_t want = f->state && f->state[0] == 'u' ? TRACE_THREAD_FINISHED
			                                               : TRACE_THREAD_RUNNING;
			/* CPython's threads are detached: its "running" ones are too. */
			bool py = p->n_pycodes && want == TRACE_THREAD_RUNNING;
			for (uint32_t i = 0; i < p->n_threads; i++) {
				const struct model_thread *t = &p->threads[i];
				if (t->stack_id == f->stack_id &&
				    (t->state == want || (py && t->state == TRACE_THREAD_DETACHED)))
					open[no++] = t->t_ns;
			}
		} else if (f->kind == FINDING_ZOMBIE) {
			for (uint32_t i = 0; i < p->n_children; i++) {
				const struct model_child *c = &p->children[i];
				if (c->stack_id == f->stack_id && c->state == TRACE_CHILD_ZOMBIE)
					open[no++] = c->t_ns;
			}
		} else {
			continue;
		}
		mark_resource(f, p, sp, open, no, close, nc);
	}
	free(open);
	free(close);
	return 0;
}

/* When a detached thread's end was seen: the snapshot that brought its finished state, or the
 * end of the trace when the state came after the last snapshot. */
static uint64_t detached_end_ns(const struct model_proc *p, const struct model_thread *t)
{
	if (t->state_snap < p->n_snaps)
		return p->snaps[t->state_snap].t_ns;
	return p->have_end ? p->end_t_ns : p->n_snaps ? p->snaps[p->n_snaps - 1].t_ns : t->t_ns;
}

/* A growing count of detached threads is a leak in a C program too: nobody will join them and
 * they pile up. Detached threads still running at the end, grouped by the stack that created
 * them, are a "thread" finding (state "detached") when the number of them alive rises over
 * the tested part (started minus finished at each snapshot). CPython's threads (all detached)
 * are findings already when running at exit (analyze_proc), marked growing above. */
static int detached_growth(struct analysis_proc *ap, const struct span *sp)
{
	const struct model_proc *p = ap->proc;
	/* A Python process that got its final snapshot lists every thread still running, which
	 * CPython has detached (analyze_proc.c), growing or not; a killed one lists none there,
	 * and its pile is found here as a C program's is. */
	if ((p->n_pycodes && p->have_final) || !p->n_threads)
		return 0;
	uint64_t *open = malloc(p->n_threads * sizeof(uint64_t));
	uint64_t *close = malloc(p->n_threads * sizeof(uint64_t));
	struct hashmap done = {0}; /* stacks already tested */
	int rc = open && close ? 0 : -1;
	for (uint32_t i = 0; i < p->n_threads && rc == 0; i++) {
		const struct model_thread *t = &p->threads[i];
		uint32_t v;
		if (t->state != TRACE_THREAD_DETACHED || hashmap_get(&done, t->stack_id, &v))
			continue;
		if (hashmap_put(&done, t->stack_id, 1) != 0) {
			rc = -1;
			break;
		}
		size_t no = 0, nc = 0;
		struct finding f = {
		    .kind = FINDING_THREAD, .stack_id = t->stack_id, .state = "detached"};
		for (uint32_t j = 0; j < p->n_threads; j++) {
			const struct model_thread *u = &p->threads[j];
			if (u->stack_id != t->stack_id)
				continue;
			if (u->state == TRACE_THREAD_DETACHED) {
				open[no++] = u->t_ns;
				f.count++;
			} else if (u->state == TRACE_THREAD_DETACHED_FINISHED) {
				open[no++] = u->t_ns;
				close[nc++] = detached_end_ns(p, u);
			}
		}
		mark_resource(&f, p, sp, open, no, close, nc);
		if (!f.trend.growing)
			continue;
		struct finding *g = finding_list_add(&ap->findings, &f);
		if (!g) {
			rc = -1;
			break;
		}
		for (uint32_t j = i; j < p->n_threads && rc == 0; j++)
			if (p->threads[j].stack_id == t->stack_id &&
			    p->threads[j].state == TRACE_THREAD_DETACHED)
				rc = finding_add_id(g, p->threads[j].tid);
	}
	hashmap_fini(&done);
	free(open);
	free(close);
	return rc;
}

static bool is_pile(const struct finding *f)
{
	return (f->kind == FINDING_FD || f->kind == FINDING_THREAD || f->kind == FINDING_ZOMBIE) &&
	       f->trend.growing && f->trend.count_per_sec > 0;
}

void growth_mark_piles(struct finding_list *l)
{
	/* The piles first (a few at most): each growth finding is then held against them only,
	 * not against every finding of a report that may have thousands. */
	size_t n_piles = 0;
	for (size_t k = 0; k < l->n; k++)
		n_piles += is_pile(&l->items[k]);
	size_t *piles = n_piles ? malloc(n_piles * sizeof(*piles)) : NULL;
	if (!piles)
		return; /* none, or out of memory: ranked as if none led any growth */
	n_piles = 0;
	for (size_t k = 0; k < l->n; k++)
		if (is_pile(&l->items[k]))
			piles[n_piles++] = k;
	for (size_t i = 0; i < l->n; i++) {
		struct finding *g = &l->items[i];
		if (g->kind != FINDING_GROWTH)
			continue;
		for (size_t j = 0; j < n_piles; j++) {
			struct finding *r = &l->items[piles[j]];
			double per = r->trend.count_per_sec;
			if (g->trend.bytes_per_sec > GROWTH_PILE_BYTES * per ||
			    g->trend.count_per_sec < 0.5 * per)
				continue;
			g->follows_pile = true;
			r->leads_pile = true;
			break;
		}
	}
	free(piles);
}

int analyze_growth(struct analysis_proc *ap, const struct analyze_opts *o)
{
	struct span *sp = malloc(sizeof(*sp));
	if (!sp)
		return -1;
	if (!span_init(ap, o, sp)) {
		free(sp);
		return 0;
	}
	struct hashmap grown = {0}; /* stack ids with a growth finding */
	int rc = heap_growth(ap, o, sp, &grown);
	if (rc == 0)
		rc = rss_growth(ap, o, sp, grown.len != 0);
	if (rc == 0)
		rc = resource_growth(ap, sp);
	if (rc == 0)
		rc = detached_growth(ap, sp);
	/* Reachable at exit is not a leak unless its stack also grows: then it is one. */
	for (size_t k = 0; rc == 0 && k < ap->findings.n; k++) {
		struct finding *f = &ap->findings.items[k];
		uint32_t v;
		if (f->kind == FINDING_REACHABLE && hashmap_get(&grown, f->stack_id, &v))
			f->kind = FINDING_LEAK;
	}
	hashmap_fini(&grown);
	free(sp);
	return rc;
}
