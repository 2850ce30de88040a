/* SPDX-License-Identifier: MIT */
/* series.c - leak-view's time series and flame-graph data. Everything is derived from the
 * model and the ranked analysis leak-report uses; nothing here decides what is a leak.
 * Caps keep a one-hour, 20,000-stack trace to a few MB: timelines are bucketed to
 * max_points (the last snapshot of each bucket, so the end value is exact), and each flame
 * graph keeps its max_flame_stacks largest stacks and folds the rest into one frame whose
 * name says how many stacks and bytes it holds ("cut" in the JSON, shown on the page). */
#include "series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_name.h"
#include "export_samples.h"
#include "strtab.h"
#include "trace_format.h"

/* Snapshot indexes drawn: all of them, or the last of each of max equal buckets. */
static uint32_t *pick_points(const struct model_proc *p, uint32_t max, uint32_t *n)
{
	*n = p->n_snaps < max ? p->n_snaps : max;
	uint32_t *idx = malloc((*n ? *n : 1) * sizeof(*idx));
	if (!idx)
		return NULL;
	for (uint32_t k = 0; k < *n; k++)
		idx[k] = (uint32_t)(((uint64_t)(k + 1) * p->n_snaps) / *n) - 1;
	return idx;
}

static void write_u64s(struct json_out *j, const char *key, const uint64_t *v, uint32_t n)
{
	json_out_key(j, key);
	json_out_begin_array(j);
	for (uint32_t i = 0; i < n; i++)
		json_out_u64(j, v[i]);
	json_out_end_array(j);
}

struct fd_event {
	uint64_t t_ns;
	uint32_t type;
	int delta;
};

static int cmp_fd_event(const void *a, const void *b)
{
	const struct fd_event *x = a, *y = b;
	return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

/* "fds": {type: [open count at each point]} for the types that ever appear. */
static int write_fds(struct json_out *j, const struct model_proc *p, const uint32_t *idx,
                     uint32_t n)
{
	struct fd_event *ev = malloc((2 * (size_t)p->n_fds + 1) * sizeof(*ev));
	uint64_t *counts = calloc((size_t)n * TRACE_FD_NTYPES + 1, sizeof(*counts));
	if (!ev || !counts) {
		free(ev);
		free(counts);
		return -1;
	}
	size_t n_ev = 0;
	bool seen[TRACE_FD_NTYPES] = {0};
	for (uint32_t i = 0; i < p->n_fds; i++) {
		const struct model_fd *f = &p->fds[i];
		uint32_t type = f->type < TRACE_FD_NTYPES ? f->type : TRACE_FD_OTHER;
		seen[type] = true;
		ev[n_ev++] = (struct fd_event){f->t_ns, type, 1};
		if (f->closed)
			ev[n_ev++] = (struct fd_event){f->close_t_ns, type, -1};
	}
	qsort(ev, n_ev, sizeof(*ev), cmp_fd_event);
	int64_t open[TRACE_FD_NTYPES] = {0};
	size_t e = 0;
	for (uint32_t k = 0; k < n; k++) {
		uint64_t t = p->snaps[idx[k]].t_ns;
		for (; e < n_ev && ev[e].t_ns <= t; e++)
			open[ev[e].type] += ev[e].delta;
		for (uint32_t ty = 0; ty < TRACE_FD_NTYPES; ty++)
			counts[(size_t)ty * n + k] = open[ty] > 0 ? (uint64_t)open[ty] : 0;
	}
	json_out_key(j, "fds");
	json_out_begin_object(j);
	for (uint32_t ty = 0; ty < TRACE_FD_NTYPES; ty++) {
		if (seen[ty])
			write_u64s(j, trace_fd_type_name(ty), counts + (size_t)ty * n, n);
	}
	json_out_end_object(j);
	free(ev);
	free(counts);
	return 0;
}

/* Threads and children over time. The trace keeps each one's creation time and last state
 * (not when it ended), so the page plots "created so far" and "created so far and still
 * unjoined / unreaped at the end", and labels them that way. */
static int write_tasks(struct json_out *j, const struct model_proc *p, const uint32_t *idx,
                       uint32_t n)
{
	uint64_t *v = calloc((size_t)n * 4 + 1, sizeof(*v));
	if (!v)
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		uint64_t t = p->snaps[idx[k]].t_ns;
		for (uint32_t i = 0; i < p->n_threads; i++) {
			const struct model_thread *th = &p->threads[i];
			if (th->t_ns > t)
				continue;
			v[k]++;
			if (th->state == TRACE_THREAD_RUNNING || th->state == TRACE_THREAD_FINISHED)
				v[n + k]++;
		}
		for (uint32_t i = 0; i < p->n_children; i++) {
			const struct model_child *c = &p->children[i];
			if (c->t_ns > t)
				continue;
			v[2 * n + k]++;
			if (c->state == TRACE_CHILD_RUNNING || c->state == TRACE_CHILD_ZOMBIE)
				v[3 * n + k]++;
		}
	}
	write_u64s(j, "threads_created", v, n);
	write_u64s(j, "threads_unjoined", v + n, n);
	write_u64s(j, "children_spawned", v + 2 * n, n);
	write_u64s(j, "children_unreaped", v + 3 * n, n);
	free(v);
	return 0;
}

/* A frame's name on the page: a Python frame as the text report shows it ("grow kinds.py:49
 * [py]"), else export_frame_name's (function, or module+offset). */
static const char *view_frame_name(const struct sym_frame *f, char *buf, size_t len)
{
	if (f->python && f->function) {
		if (f->line)
			snprintf(buf, len, "%s %s:%d [py]", f->function, f->file ? f->file : "?",
			         f->line);
		else
			snprintf(buf, len, "%s %s [py]", f->function, f->file ? f->file : "?");
		return buf;
	}
	return export_frame_name(f, buf, len);
}

/* The frame a stack's label starts at: its innermost Python frame, else its first frame of
 * the user's code. */
static size_t label_top(const struct sym_stack *st)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->frames[i].python && st->frames[i].function)
			return i;
	return frame_name_first_user(st);
}

/* The stack's label: in a stack with Python frames, the innermost one (function file:line)
 * and the Python frame that called it with its line ("grow kinds.py:49 \u2190 grow_for:53"):
 * the interpreter's own frames above it say nothing about whose code this is. Else its first
 * frame of the user's code (the allocator and standard-library frames above it say nothing
 * about who leaks; frame_name.h), else its first frame, followed by its caller with the line
 * of the call ("copy_string <- main:46"), which tells apart the stacks of a helper called
 * from several places. C++ names are shortened (templates elided), as in the text report. */
static const char *stack_label(const struct sym_stack *st, char *buf, size_t len)
{
	if (!st->n)
		return "[no stack]";
	char a[256], b[256], sa[256], sb[256];
	for (size_t i = 0; i < st->n; i++) {
		const struct sym_frame *f = &st->frames[i];
		if (!f->python || !f->function)
			continue;
		const char *name = view_frame_name(f, a, sizeof(a));
		size_t nl = strlen(name);
		if (nl > 5 && strcmp(name + nl - 5, " [py]") == 0)
			a[nl - 5] = 0; /* the label is Python's already */
		for (size_t k = i + 1; k < st->n; k++) {
			const struct sym_frame *c = &st->frames[k];
			if (!c->python || !c->function)
				continue;
			snprintf(buf, len, "%s \u2190 %s:%d", a, c->function, c->line);
			return buf;
		}
		snprintf(buf, len, "%s", a);
		return buf;
	}
	size_t top = frame_name_first_user(st);
	const struct sym_frame *f = &st->frames[top];
	const char *name = f->function ? frame_name_short(f->function, sa, sizeof(sa))
	                               : export_frame_name(f, a, sizeof(a));
	if (top + 1 >= st->n) {
		snprintf(buf, len, "%s", name);
		return buf;
	}
	const struct sym_frame *caller = &st->frames[top + 1];
	const char *cname = caller->function ? frame_name_short(caller->function, sb, sizeof(sb))
	                                     : export_frame_name(caller, b, sizeof(b));
	if (caller->line)
		snprintf(buf, len, "%s \u2190 %s:%d", name, cname, caller->line);
	else
		snprintf(buf, len, "%s \u2190 %s", name, cname);
	return buf;
}

struct ctx {
	struct json_out *j;
	const struct analysis *a;
	struct symbolizer *s;
	const struct series_opts *o;
	struct sym_stack st;
	struct err *e;
};

static int symbolize(struct ctx *c, const struct model_proc *p, uint32_t stack_id)
{
	const struct model_stack *ms = stack_id ? model_proc_stack(p, stack_id) : NULL;
	c->st.n = 0;
	return ms ? symbolizer_stack(c->s, p, ms, &c->st, c->e) : 0;
}

static const struct export_samples *sort_rows;
static enum export_metric sort_metric;

static int cmp_rows_desc(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, k = *(const size_t *)b;
	uint64_t x = export_sample_value(&sort_rows->items[i], sort_metric);
	uint64_t y = export_sample_value(&sort_rows->items[k], sort_metric);
	return x > y ? -1 : x < y ? 1 : (i > k) - (i < k);
}

/* Indexes of process pi's rows with a non-zero metric, largest first. */
static size_t *rank_rows(const struct export_samples *rows, uint32_t pi, enum export_metric m,
                         size_t *n)
{
	size_t *idx = malloc((rows->n + 1) * sizeof(*idx));
	if (!idx)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < rows->n; i++) {
		if (rows->items[i].proc == pi && export_sample_value(&rows->items[i], m))
			idx[(*n)++] = i;
	}
	sort_rows = rows;
	sort_metric = m;
	qsort(idx, *n, sizeof(*idx), cmp_rows_desc);
	return idx;
}

/* key: the first limit stacks by metric, each with its label, the full name of the frame the
 * label starts with (for hover), and its live bytes at every point. "growing" (by growth)
 * draws the growing-stacks chart; "stacks" (by bytes allocated over the trace, which covers
 * every stack that was ever large) feeds the diff between two chosen moments. */
static int write_lines(struct ctx *c, uint32_t pi, const struct export_samples *rows,
                       const uint32_t *pts, uint32_t n_pts, const char *key,
                       enum export_metric metric, size_t limit)
{
	const struct model_proc *p = c->a->procs[pi].proc;
	size_t n;
	size_t *idx = rank_rows(rows, pi, metric, &n);
	if (!idx)
		return err_set(c->e, "out of memory");
	if (n > limit)
		n = limit;
	json_out_key(c->j, key);
	json_out_begin_array(c->j);
	for (size_t i = 0; i < n; i++) {
		const struct export_sample *r = &rows->items[idx[i]];
		if (symbolize(c, p, r->stack_id) != 0) {
			free(idx);
			return -1;
		}
		char buf[512];
		json_out_begin_object(c->j);
		json_out_key(c->j, "label");
		json_out_str(c->j, stack_label(&c->st, buf, sizeof(buf)));
		json_out_key(c->j, "full");
		json_out_str(c->j, c->st.n ? c->st.frames[label_top(&c->st)].function : NULL);
		json_out_key(c->j, "stack_id");
		json_out_u64(c->j, r->stack_id);
		json_out_key(c->j, "growth");
		json_out_u64(c->j, r->growth_bytes);
		json_out_key(c->j, "v");
		json_out_begin_array(c->j);
		const struct model_stack *ms = model_proc_stack(p, r->stack_id);
		for (uint32_t k = 0; k < n_pts; k++) {
			uint64_t b = 0, cnt = 0;
			if (ms)
				model_stack_live_at(ms, pts[k], &b, &cnt);
			json_out_u64(c->j, b);
		}
		json_out_end_array(c->j);
		json_out_end_object(c->j);
	}
	json_out_end_array(c->j);
	free(idx);
	return 0;
}

/* One flame graph: {"total", "stacks": [[name index, outermost first]...], "values",
 * "cut_stacks", "cut_value"}; names are shared by both graphs of the process. */
static int write_flame(struct ctx *c, uint32_t pi, const struct export_samples *rows,
                       enum export_metric m, struct strtab *names)
{
	const struct model_proc *p = c->a->procs[pi].proc;
	size_t n;
	size_t *idx = rank_rows(rows, pi, m, &n);
	if (!idx)
		return err_set(c->e, "out of memory");
	uint64_t total = 0, cut_value = 0;
	size_t keep = n < c->o->max_flame_stacks ? n : c->o->max_flame_stacks;
	for (size_t i = 0; i < n; i++) {
		uint64_t v = export_sample_value(&rows->items[idx[i]], m);
		total += v;
		if (i >= keep)
			cut_value += v;
	}
	json_out_begin_object(c->j);
	json_out_key(c->j, "total");
	json_out_u64(c->j, total);
	json_out_key(c->j, "cut_stacks");
	json_out_u64(c->j, n - keep);
	json_out_key(c->j, "cut_value");
	json_out_u64(c->j, cut_value);
	json_out_key(c->j, "stacks");
	json_out_begin_array(c->j);
	int rc = 0;
	for (size_t i = 0; i < keep && rc == 0; i++) {
		if ((rc = symbolize(c, p, rows->items[idx[i]].stack_id)) != 0)
			break;
		json_out_begin_array(c->j);
		if (!c->st.n) {
			int64_t id = strtab_intern(names, "[no stack]");
			if (id < 0)
				rc = err_set(c->e, "out of memory");
			else
				json_out_u64(c->j, (uint64_t)id);
		}
		for (size_t k = c->st.n; k-- > 0 && rc == 0;) {
			char buf[512];
			int64_t id = strtab_intern(
			    names, view_frame_name(&c->st.frames[k], buf, sizeof(buf)));
			if (id < 0)
				rc = err_set(c->e, "out of memory");
			else
				json_out_u64(c->j, (uint64_t)id);
		}
		json_out_end_array(c->j);
	}
	json_out_end_array(c->j);
	json_out_key(c->j, "values");
	json_out_begin_array(c->j);
	for (size_t i = 0; i < keep; i++)
		json_out_u64(c->j, export_sample_value(&rows->items[idx[i]], m));
	json_out_end_array(c->j);
	json_out_end_object(c->j);
	free(idx);
	return rc;
}

/* "rates": {stack id: bytes per second} (live bytes at the last snapshot minus the first,
 * over the time between them) for the stacks of the heap findings the page lists. */
static void write_rates(struct ctx *c, uint32_t pi)
{
	const struct analysis_proc *ap = &c->a->procs[pi];
	const struct model_proc *p = ap->proc;
	json_out_key(c->j, "rates");
	json_out_begin_object(c->j);
	uint32_t w0, w1;
	if (export_window(p, c->o->aopts, &w0, &w1)) {
		double secs = (double)(p->snaps[w1].t_ns - p->snaps[w0].t_ns) / 1e9;
		size_t n = c->o->findings_shown && c->o->findings_shown < ap->findings.n
		               ? c->o->findings_shown
		               : ap->findings.n;
		for (size_t i = 0; i < n && secs > 0; i++) {
			const struct finding *f = &ap->findings.items[i];
			const struct model_stack *ms = model_proc_stack(p, f->stack_id);
			if (!finding_kind_is_heap(f->kind) || !ms)
				continue;
			uint64_t b0, b1, cnt;
			model_stack_live_at(ms, w0, &b0, &cnt);
			model_stack_live_at(ms, w1, &b1, &cnt);
			char key[16];
			snprintf(key, sizeof(key), "%u", f->stack_id);
			json_out_key(c->j, key);
			json_out_double(c->j, ((double)b1 - (double)b0) / secs, 1);
		}
	}
	json_out_end_object(c->j);
}

static int write_proc(struct ctx *c, uint32_t pi, const struct export_samples *rows)
{
	const struct model_proc *p = c->a->procs[pi].proc;
	uint32_t n_pts;
	uint32_t *pts = pick_points(p, c->o->max_points, &n_pts);
	uint64_t *v = calloc((size_t)n_pts * 3 + 1, sizeof(*v));
	struct strtab names = {0};
	int rc = 0;
	if (!pts || !v) {
		rc = err_set(c->e, "out of memory");
		goto out;
	}
	json_out_begin_object(c->j);
	json_out_key(c->j, "pid");
	json_out_u64(c->j, p->pid);
	json_out_key(c->j, "snapshots");
	json_out_u64(c->j, p->n_snaps);
	json_out_key(c->j, "t");
	json_out_begin_array(c->j);
	for (uint32_t k = 0; k < n_pts; k++)
		json_out_double(c->j, (double)p->snaps[pts[k]].t_ns / 1e9, 3);
	json_out_end_array(c->j);
	for (uint32_t k = 0; k < n_pts; k++) {
		v[k] = p->snaps[pts[k]].live_bytes;
		v[n_pts + k] = p->snaps[pts[k]].rss_bytes;
		v[2 * n_pts + k] = p->snaps[pts[k]].dropped_events;
	}
	write_u64s(c->j, "live", v, n_pts);
	write_u64s(c->j, "rss", v + n_pts, n_pts);
	write_u64s(c->j, "dropped", v + 2 * n_pts, n_pts);
	if (write_fds(c->j, p, pts, n_pts) != 0 || write_tasks(c->j, p, pts, n_pts) != 0) {
		rc = err_set(c->e, "out of memory");
		goto out;
	}
	if ((rc = write_lines(c, pi, rows, pts, n_pts, "growing", EXPORT_GROWTH,
	                      c->o->top_growing)) != 0 ||
	    (rc = write_lines(c, pi, rows, pts, n_pts, "stacks", EXPORT_ALLOC_BYTES, 60)) != 0)
		goto out;
	write_rates(c, pi);
	uint32_t w0, w1;
	json_out_key(c->j, "window");
	if (export_window(p, c->o->aopts, &w0, &w1)) {
		json_out_begin_array(c->j);
		json_out_double(c->j, (double)p->snaps[w0].t_ns / 1e9, 3);
		json_out_double(c->j, (double)p->snaps[w1].t_ns / 1e9, 3);
		json_out_end_array(c->j);
	} else {
		json_out_null(c->j);
	}
	json_out_key(c->j, "flame_live");
	if ((rc = write_flame(c, pi, rows, EXPORT_LIVE_BYTES, &names)) != 0)
		goto out;
	json_out_key(c->j, "flame_growth");
	if ((rc = write_flame(c, pi, rows, EXPORT_GROWTH, &names)) != 0)
		goto out;
	json_out_key(c->j, "names");
	json_out_begin_array(c->j);
	for (size_t i = 0; i < names.n; i++)
		json_out_str(c->j, names.v[i]);
	json_out_end_array(c->j);
	json_out_end_object(c->j);
out:
	strtab_fini(&names);
	free(pts);
	free(v);
	return rc;
}

int series_write(struct json_out *j, const struct analysis *a, struct symbolizer *s,
                 const struct series_opts *o, struct err *e)
{
	struct ctx c = {.j = j, .a = a, .s = s, .o = o, .e = e};
	struct export_samples rows = {0};
	int rc = export_samples_build(a, o->aopts, &rows, e);
	if (rc == 0) {
		json_out_begin_object(j);
		json_out_key(j, "processes");
		json_out_begin_array(j);
		for (uint32_t i = 0; i < a->n_procs && rc == 0; i++)
			rc = write_proc(&c, i, &rows);
		json_out_end_array(j);
		json_out_end_object(j);
	}
	sym_stack_fini(&c.st);
	export_samples_fini(&rows);
	return rc;
}
