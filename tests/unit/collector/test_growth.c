/* SPDX-License-Identifier: MIT */
/* test_growth.c - analyze_growth.c on synthesized traces with known shapes: a steady leak is
 * a growth finding with the right rate, first/last values and eta; a cache that warms up and
 * plateaus is not; a stack that is reachable at exit but grows becomes a leak; --window
 * bounds; descriptors and threads that pile up are marked growing and a fixed set is not;
 * RSS growth without heap growth is an rss finding, ranked first; the exit snapshot never decides:
 * a short run whose teardown falls at exit keeps its growth from 8 snapshots before exit on, 7 are
 * inconclusive, a teardown in main that periodic snapshots caught half or wholly done hides
 * nothing either, and steady series (a held cache, a plateau, noise) with or without a
 * teardown are not growth. Plus growth_test_series on raw series, and growth that follows a
 * growing thread pile ranked after it (growth_mark_piles). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "analyze.h"
#include "analyze_growth.h"
#include "trace_reader.h"
#include "trace_builder.h"

#define N_SNAPS 40
#define STEP_NS 100000000ull /* 100 ms */

static struct model *load(struct tb *t)
{
	struct model *m = model_create();
	struct err e = {{0}};
	assert_int_equal(trace_reader_load_mem(m, "t", t->file.data, t->file.len, &e), 0);
	return m;
}

static struct analysis *run(struct model *m, const struct analyze_opts *o)
{
	struct analysis *a;
	struct err e = {{0}};
	assert_int_equal(analyze_run(m, o, &a, &e), 0);
	return a;
}

/* A SNAPSHOT at seq * STEP_NS with one live block; the counters the tests do not read are 0. */
static void snap(struct tb *t, uint64_t seq, uint64_t rss, uint64_t live, uint64_t flags)
{
	trace_enc_snapshot(&t->chunk, &(struct trace_rec_snapshot){
	                                  .seq = seq,
	                                  .t_ns = seq * STEP_NS,
	                                  .rss_bytes = rss,
	                                  .live_bytes = live,
	                                  .live_blocks = 1,
	                                  .flags = flags,
	                              });
}

/* An accepted socket (gen 1, no flags) opened at t_ns. */
static void fd_open_at(struct tb *t, uint64_t fd, uint64_t stack_id, uint64_t t_ns)
{
	trace_enc_fd_open(&t->chunk, &(struct trace_rec_fd_open){
	                                 .fd = fd,
	                                 .gen = 1,
	                                 .type = TRACE_FD_SOCKET,
	                                 .stack_id = stack_id,
	                                 .t_ns = t_ns,
	                                 .path = tb_s("tcp 127.0.0.1:80"),
	                                 .api = tb_s("accept"),
	                             });
}

static const struct finding *find(const struct analysis *a, enum finding_kind k, uint32_t stack)
{
	const struct finding_list *l = &a->procs[0].findings;
	for (size_t i = 0; i < l->n; i++) {
		if (l->items[i].kind == k && l->items[i].stack_id == stack)
			return &l->items[i];
	}
	return NULL;
}

static size_t count_kind(const struct analysis *a, enum finding_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < a->procs[0].findings.n; i++)
		n += a->procs[0].findings.items[i].kind == k;
	return n;
}

/* Stack 1 leaks 1000 bytes (one block) per snapshot: 10 KB/s. Stack 2 is a cache that
 * fills to 50 KB over the first 10 snapshots, then holds with churn noise of +-500 bytes.
 * Stack 3 never changes. Optionally a final snapshot whose blocks the scan found reachable. */
static void heap_trace(struct tb *t, bool final_reachable)
{
	tb_init(t);
	tb_process(t, 10, 1, 0, 0, "/app", 0, NULL);
	for (uint64_t id = 1; id <= 3; id++) {
		const uint64_t f[] = {0x1000 * id};
		tb_stack(t, id, 1, f);
	}
	for (uint64_t i = 0; i < N_SNAPS; i++) {
		snap(t, i, 1 << 20, 0, 0);
		tb_site(t, 1, 1000 * (i + 1), i + 1);
		uint64_t cache = i < 10 ? 5000 * (i + 1) : 50000 + (i * 7919 % 1001) - 500;
		tb_site(t, 2, cache, i < 10 ? i + 1 : 10);
		if (i == 0)
			tb_site(t, 3, 4096, 1);
		tb_flush(t);
	}
	if (final_reachable) {
		snap(t, N_SNAPS, 1 << 20, 0, TRACE_SNAP_FINAL);
		tb_block(t, 0x10, 40000, 1, TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE);
		tb_block(t, 0x20, 50000, 2, TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE);
		tb_end(t, N_SNAPS * STEP_NS, TRACE_END_EXIT, 0);
		tb_flush(t);
	}
}

static void test_steady_leak_and_plateau(void **state)
{
	(void)state;
	struct tb t;
	heap_trace(&t, false);
	struct model *m = load(&t);
	struct analyze_opts o = {.limit_bytes = 1000000};
	struct analysis *a = run(m, &o);
	assert_int_equal(count_kind(a, FINDING_GROWTH), 1);
	const struct finding *g = find(a, FINDING_GROWTH, 1);
	assert_non_null(g);
	assert_true(fabs(g->trend.bytes_per_sec - 10000) < 1);
	assert_true(fabs(g->trend.count_per_sec - 10) < 0.01);
	assert_true(g->trend.tau > 0.99 && g->trend.p_value < 1e-6);
	assert_int_equal(g->trend.first_bytes, 1000);
	assert_int_equal(g->trend.last_bytes, 40000);
	assert_int_equal(g->bytes, 40000);
	assert_int_equal(g->count, 40);
	assert_true(g->trend.window_start_s == 0);
	assert_true(fabs(g->trend.window_end_s - 3.9) < 1e-9);
	assert_true(fabs(g->trend.eta_s - (1000000 - 40000) / 10000.0) < 0.01);
	/* No final snapshot: the cache (stack 2) and the constant stack are leaks from SITEs
	 * only, all the heap live at the last snapshot, and the growth ranks ahead of them. */
	assert_int_equal(a->procs[0].findings.items[0].kind, FINDING_GROWTH);
	assert_int_equal(a->procs[0].findings.items[1].kind, FINDING_LEAK);
	assert_true(a->procs[0].growth_ran);
	assert_int_equal(a->procs[0].growth_snaps, N_SNAPS);
	assert_null(find(a, FINDING_GROWTH, 2));
	assert_non_null(find(a, FINDING_LEAK, 2));
	assert_int_equal(count_kind(a, FINDING_RSS), 0);
	analyze_free(a);

	/* Without --limit: no eta. */
	o.limit_bytes = 0;
	a = run(m, &o);
	assert_true(find(a, FINDING_GROWTH, 1)->trend.eta_s < 0);
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

/* The program frees its structures at exit: the final snapshot holds nothing. The growth is
 * still found, and its headline is the value before the teardown, not 0 B. */
static void test_exit_teardown(void **state)
{
	(void)state;
	struct tb t;
	heap_trace(&t, false);
	snap(&t, N_SNAPS, 1 << 20, 0, TRACE_SNAP_FINAL);
	tb_site(&t, 1, 0, 0);
	tb_site(&t, 2, 0, 0);
	tb_site(&t, 3, 0, 0);
	tb_end(&t, N_SNAPS * STEP_NS, TRACE_END_EXIT, 0);
	tb_flush(&t);
	struct model *m = load(&t);
	struct analyze_opts o = {0};
	struct analysis *a = run(m, &o);
	const struct finding *g = find(a, FINDING_GROWTH, 1);
	assert_non_null(g);
	assert_int_equal(g->bytes, 40000);
	assert_int_equal(g->trend.first_bytes, 1000);
	assert_int_equal(g->trend.last_bytes, 40000);
	assert_true(fabs(g->trend.window_end_s - 3.9) < 1e-9);
	assert_null(find(a, FINDING_GROWTH, 2));
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

/* Fewer snapshots than the test needs: no verdict, and the analysis says so. */
static void test_inconclusive(void **state)
{
	(void)state;
	struct tb t;
	heap_trace(&t, false);
	struct model *m = load(&t);
	struct analyze_opts o = {.window_start_set = true, .window_start_s = 3.5};
	struct analysis *a = run(m, &o);
	assert_false(a->procs[0].growth_ran);
	assert_int_equal(a->procs[0].growth_snaps, 5);
	assert_int_equal(a->procs[0].growth_needed, GROWTH_MIN_POINTS);
	assert_int_equal(count_kind(a, FINDING_GROWTH), 0);
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

/* A short run: n_run periodic snapshots 100 ms apart, then the exit snapshot. Stack 1 leaks
 * 2000 bytes (two blocks) per snapshot, stack 2 holds 50 KB +-500 (steady churn), stack 3
 * fills to 20 KB in 3 snapshots and holds. At exit the program frees stacks 1 and 2 entirely
 * and stack 3 to a tenth (teardown 1), or leaves them (0); teardown 2 also has a periodic
 * snapshot taken while the exit handlers ran (TRACE_SNAP_EXITING), the teardown half done. */
static void short_trace(struct tb *t, uint64_t n_run, int teardown)
{
	tb_init(t);
	tb_process(t, 10, 1, 0, 0, "/app", 0, NULL);
	for (uint64_t id = 1; id <= 3; id++) {
		const uint64_t f[] = {0x1000 * id};
		tb_stack(t, id, 1, f);
	}
	uint64_t cache = 0, fill = 0;
	for (uint64_t i = 0; i < n_run; i++) {
		snap(t, i, 1 << 20, 0, 0);
		tb_site(t, 1, 2000 * (i + 1), 2 * (i + 1));
		cache = 50000 + (i * 7919 % 1001) - 500;
		tb_site(t, 2, cache, 50);
		fill = i < 3 ? 6666 * (i + 1) : 19998;
		tb_site(t, 3, fill, 20);
		tb_flush(t);
	}
	uint64_t seq = n_run;
	if (teardown == 2) {
		snap(t, seq++, 1 << 20, 0, TRACE_SNAP_EXITING);
		tb_site(t, 1, 1000 * n_run, n_run);
		tb_site(t, 2, cache / 2, 25);
		tb_flush(t);
	}
	snap(t, seq, 1 << 20, 0, TRACE_SNAP_FINAL);
	if (teardown) {
		tb_site(t, 1, 0, 0);
		tb_site(t, 2, 0, 0);
		tb_site(t, 3, fill / 10, 2);
	}
	tb_end(t, seq * STEP_NS, TRACE_END_EXIT, 0);
	tb_flush(t);
}

/* The run the exit teardown used to hide: 9 periodic snapshots and the exit one, where the
 * tested part was 8 points with the teardown last (too few to leave it out, so it decided).
 * The exit snapshot never counts: 8 or 9 periodic ones give the verdict without it, 7 are
 * too few, and the analysis says so rather than ran-and-found-nothing. Nor does a periodic
 * one taken while the exit handlers ran. */
static void test_teardown_short_run(void **state)
{
	(void)state;
	for (uint64_t n_run = 7; n_run <= 12; n_run++) {
		for (int td = 0; td < 3; td++) {
			struct tb t;
			short_trace(&t, n_run, td);
			struct model *m = load(&t);
			struct analyze_opts o = {0};
			struct analysis *a = run(m, &o);
			const struct analysis_proc *ap = &a->procs[0];
			assert_int_equal(ap->growth_snaps, n_run);
			assert_true(ap->growth_exit_left_out);
			assert_int_equal(ap->growth_needed, GROWTH_MIN_POINTS);
			assert_int_equal(ap->growth_ran, n_run >= GROWTH_MIN_POINTS);
			if (!ap->growth_ran) {
				assert_int_equal(count_kind(a, FINDING_GROWTH), 0);
			} else {
				assert_int_equal(count_kind(a, FINDING_GROWTH), 1);
				const struct finding *g = find(a, FINDING_GROWTH, 1);
				assert_non_null(g);
				/* Shown up to the snapshot before the teardown, or to the exit. */
				assert_int_equal(g->trend.last_bytes, 2000 * n_run);
				assert_int_equal(g->bytes, 2000 * n_run);
				assert_true(fabs(g->trend.bytes_per_sec - 20000) < 1);
				double end = (double)(td ? n_run - 1 : n_run) * 0.1;
				assert_true(fabs(g->trend.window_end_s - end) < 1e-9);
			}
			analyze_free(a);
			model_destroy(m);
			tb_free(&t);
		}
	}
}

/* A teardown done by main before it returns, not by the exit handlers: periodic snapshots
 * (no EXITING flag) catch it half done (1), done (2), or held half done for two intervals,
 * the program preempted in it (3). The growth is still found and shown up to the snapshot
 * before the teardown; the steady stacks stay steady. */
static void test_teardown_in_main(void **state)
{
	(void)state;
	for (int mode = 1; mode <= 3; mode++) {
		const uint64_t n_run = 30;
		struct tb t;
		tb_init(&t);
		tb_process(&t, 10, 1, 0, 0, "/app", 0, NULL);
		for (uint64_t id = 1; id <= 2; id++) {
			const uint64_t f[] = {0x1000 * id};
			tb_stack(&t, id, 1, f);
		}
		uint64_t seq = 0;
		for (; seq < n_run; seq++) {
			snap(&t, seq, 1 << 20, 0, 0);
			tb_site(&t, 1, 2000 * (seq + 1), 2 * (seq + 1));
			tb_site(&t, 2, 50000 + (seq * 7919 % 1001) - 500, 50);
			tb_flush(&t);
		}
		for (int k = 0; k < (mode == 3 ? 2 : 1); k++) {
			snap(&t, seq++, 1 << 20, 0, 0);
			tb_site(&t, 1, mode == 2 ? 0 : 1000 * n_run, mode == 2 ? 0 : n_run);
			tb_site(&t, 2, mode == 2 ? 0 : 25000, mode == 2 ? 0 : 25);
			tb_flush(&t);
		}
		snap(&t, seq, 1 << 20, 0, TRACE_SNAP_FINAL);
		tb_site(&t, 1, 0, 0);
		tb_site(&t, 2, 0, 0);
		tb_end(&t, seq * STEP_NS, TRACE_END_EXIT, 0);
		tb_flush(&t);
		struct model *m = load(&t);
		struct analyze_opts o = {0};
		struct analysis *a = run(m, &o);
		const struct finding *g = find(a, FINDING_GROWTH, 1);
		assert_non_null(g);
		assert_int_equal(g->bytes, 2000 * n_run);
		assert_int_equal(g->trend.last_bytes, 2000 * n_run);
		assert_true(fabs(g->trend.window_end_s - (double)(n_run - 1) * 0.1) < 1e-9);
		assert_null(find(a, FINDING_GROWTH, 2));
		assert_int_equal(count_kind(a, FINDING_GROWTH), 1);
		analyze_free(a);
		model_destroy(m);
		tb_free(&t);
	}
}

/* Steady programs that free at exit are never growth, whatever the count: a cache holding
 * with churn, a warm-up that fills and holds; nor is a final snapshot above the last one (the
 * exit handlers allocated). And noise alone, with or without a teardown, rarely is. */
static void test_teardown_steady(void **state)
{
	(void)state;
	for (uint64_t n_run = 7; n_run <= 16; n_run++) {
		for (int td = 0; td < 3; td++) {
			struct tb t;
			short_trace(&t, n_run, td);
			struct model *m = load(&t);
			struct analyze_opts o = {0};
			struct analysis *a = run(m, &o);
			assert_null(find(a, FINDING_GROWTH, 2));
			assert_null(find(a, FINDING_GROWTH, 3));
			assert_int_equal(count_kind(a, FINDING_RSS), 0);
			analyze_free(a);
			model_destroy(m);
			tb_free(&t);
		}
	}
	/* Exit handlers that allocate: stack 4 holds 40 KB, then 60 KB at exit. */
	struct tb t;
	tb_init(&t);
	tb_process(&t, 10, 1, 0, 0, "/app", 0, NULL);
	const uint64_t f4[] = {0x4000};
	tb_stack(&t, 4, 1, f4);
	for (uint64_t i = 0; i < 8; i++) {
		snap(&t, i, 1 << 20, 0, 0);
		if (i == 0)
			tb_site(&t, 4, 40000, 40);
		tb_flush(&t);
	}
	snap(&t, 8, 1 << 20, 0, TRACE_SNAP_FINAL);
	tb_site(&t, 4, 60000, 60);
	tb_end(&t, 8 * STEP_NS, TRACE_END_EXIT, 0);
	tb_flush(&t);
	struct model *m = load(&t);
	struct analyze_opts o = {0};
	struct analysis *a = run(m, &o);
	assert_true(a->procs[0].growth_ran);
	assert_int_equal(count_kind(a, FINDING_GROWTH), 0);
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);

	/* Noise: 100 stacks around 100 KB +-30 KB (uniform, so any trend clears the floors) at
	 * 8 to 16 periodic snapshots, with an exit teardown to 0 and without. The rank test's
	 * p < 0.01 two-sided allows about 0.5% by chance (11 of these 1,800 series); at most 3
	 * of each 100 may be growth. */
	uint64_t rnd = 88172645463325252ull;
	for (uint64_t n_run = 8; n_run <= 16; n_run++) {
		for (int td = 0; td < 2; td++) {
			tb_init(&t);
			tb_process(&t, 10, 1, 0, 0, "/app", 0, NULL);
			for (uint64_t id = 1; id <= 100; id++) {
				const uint64_t f[] = {0x1000 * id};
				tb_stack(&t, id, 1, f);
			}
			for (uint64_t i = 0; i <= n_run; i++) {
				bool fin = i == n_run;
				snap(&t, i, 1 << 20, 0, fin ? TRACE_SNAP_FINAL : 0);
				for (uint64_t id = 1; id <= 100; id++) {
					rnd ^= rnd << 13;
					rnd ^= rnd >> 7;
					rnd ^= rnd << 17;
					uint64_t v = 70000 + rnd % 60001;
					if (fin && td)
						tb_site(&t, id, 0, 0);
					else
						tb_site(&t, id, v, v / 1000);
				}
				if (fin)
					tb_end(&t, n_run * STEP_NS, TRACE_END_EXIT, 0);
				tb_flush(&t);
			}
			m = load(&t);
			a = run(m, &o);
			assert_true(a->procs[0].growth_ran);
			assert_true(count_kind(a, FINDING_GROWTH) <= 3);
			analyze_free(a);
			model_destroy(m);
			tb_free(&t);
		}
	}
}

static void test_growth_wins_over_reachable(void **state)
{
	(void)state;
	struct tb t;
	heap_trace(&t, true);
	struct model *m = load(&t);
	struct analyze_opts o = {0};
	struct analysis *a = run(m, &o);
	/* Stack 1 grows: reachable at exit, but a leak. Stack 2 (plateau) stays reachable. */
	assert_non_null(find(a, FINDING_GROWTH, 1));
	assert_non_null(find(a, FINDING_LEAK, 1));
	assert_null(find(a, FINDING_REACHABLE, 1));
	assert_non_null(find(a, FINDING_REACHABLE, 2));
	assert_null(find(a, FINDING_LEAK, 2));
	assert_null(find(a, FINDING_GROWTH, 2));
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

static void test_window(void **state)
{
	(void)state;
	struct tb t;
	heap_trace(&t, false);
	struct model *m = load(&t);
	/* The first 0.5 s: 6 snapshots, too few for a verdict. */
	struct analyze_opts o = {
	    .window_start_set = true, .window_end_set = true, .window_end_s = 0.5};
	struct analysis *a = run(m, &o);
	assert_int_equal(count_kind(a, FINDING_GROWTH), 0);
	analyze_free(a);
	/* The first second, while the cache fills: the cache's warm-up (+50 KB/s) looks like
	 * growth in such a window; the leak's 7 KB over the tested 0.7 s is under the floor. */
	o.window_end_s = 1.0;
	a = run(m, &o);
	assert_int_equal(count_kind(a, FINDING_GROWTH), 1);
	const struct finding *g = find(a, FINDING_GROWTH, 2);
	assert_non_null(g);
	assert_true(g->trend.window_end_s <= 1.0 + 1e-9);
	assert_int_equal(g->trend.last_bytes, 49611);
	analyze_free(a);
	/* The last 1.5 s (negative start): 16 snapshots, only the leak. */
	o = (struct analyze_opts){.window_start_set = true, .window_start_s = -1.5};
	a = run(m, &o);
	assert_int_equal(count_kind(a, FINDING_GROWTH), 1);
	g = find(a, FINDING_GROWTH, 1);
	assert_true(fabs(g->trend.window_start_s - 2.4) < 1e-9);
	assert_int_equal(g->trend.first_bytes, 25000);
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

/* Stack 5 accepts a socket per snapshot and never closes it; stack 6 opened 3 at start;
 * stack 7 starts a thread per snapshot that finishes and is never joined; stack 8 started
 * 2 threads at start. RSS grows 1 MiB per snapshot while the heap stays flat. */
static void test_resources_and_rss(void **state)
{
	(void)state;
	struct tb t;
	tb_init(&t);
	tb_process(&t, 10, 1, 0, 0, "/app", 0, NULL);
	for (uint64_t id = 5; id <= 8; id++) {
		const uint64_t f[] = {0x1000 * id};
		tb_stack(&t, id, 1, f);
	}
	for (uint64_t i = 0; i < N_SNAPS; i++) {
		uint64_t now = i * STEP_NS;
		if (i == 0) {
			for (uint64_t k = 0; k < 3; k++)
				fd_open_at(&t, 3 + k, 6, 0);
			tb_thread(&t, 2000, 8, 0, TRACE_THREAD_RUNNING);
			tb_thread(&t, 2001, 8, 0, TRACE_THREAD_RUNNING);
		}
		fd_open_at(&t, 10 + i, 5, now);
		tb_thread(&t, 1000 + i, 7, now, TRACE_THREAD_FINISHED);
		snap(&t, i, (100 + i) << 20, 8192, 0);
		if (i == 0)
			tb_site(&t, 5, 8192, 2);
		tb_flush(&t);
	}
	struct model *m = load(&t);
	struct analyze_opts o = {0};
	struct analysis *a = run(m, &o);
	const struct finding *f5 = find(a, FINDING_FD, 5), *f6 = find(a, FINDING_FD, 6);
	assert_non_null(f5);
	assert_non_null(f6);
	assert_true(f5->trend.growing);
	assert_true(fabs(f5->trend.count_per_sec - 10) < 0.01);
	assert_int_equal(f5->trend.first_count, 1);
	assert_int_equal(f5->trend.last_count, 40);
	assert_false(f6->trend.growing);
	const struct finding *t7 = find(a, FINDING_THREAD, 7), *t8 = find(a, FINDING_THREAD, 8);
	assert_non_null(t7);
	assert_non_null(t8);
	assert_true(t7->trend.growing);
	/* The trace has no final snapshot (killed): the thread that finished in its last one
	 * may have been about to be joined, and is not counted (analyze_proc.c). */
	assert_int_equal(t7->count, 39);
	assert_false(t8->trend.growing);
	/* RSS +10 MiB/s, heap flat: one rss finding naming the cause. */
	assert_int_equal(count_kind(a, FINDING_RSS), 1);
	const struct finding *r = find(a, FINDING_RSS, 0);
	assert_true(fabs(r->trend.bytes_per_sec - 10.0 * (1 << 20)) < 1);
	assert_int_equal(r->bytes, (uint64_t)139 << 20);
	assert_non_null(strstr(r->state, "fragmentation"));
	assert_int_equal(count_kind(a, FINDING_GROWTH), 0);
	/* RSS growth is growth malloc does not see: it ranks first here (no growth finding),
	 * ahead of the live heap's leaks and of the descriptors and threads. */
	assert_int_equal(a->procs[0].findings.items[0].kind, FINDING_RSS);
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

static void test_series_rules(void **state)
{
	(void)state;
	double x[60], y[60];
	const struct growth_test floors = {8192, 0.1};
	struct growth_result r;
	/* Linear 1 KB/s over 6 s: 6 KB < 8 KiB floor: not material. */
	for (int i = 0; i < 60; i++) {
		x[i] = i * 0.1;
		y[i] = 1e5 + 1000 * x[i];
	}
	growth_test_series(x, y, 60, &floors, &r);
	assert_false(r.growing);
	assert_true(fabs(r.slope - 1000) < 1e-6);
	/* 10 KB/s but on top of 1 MB: 60 KB is below 10% of the level. */
	for (int i = 0; i < 60; i++)
		y[i] = 1e6 + 10000 * x[i];
	growth_test_series(x, y, 60, &floors, &r);
	assert_false(r.growing);
	/* From 0: material and significant. */
	for (int i = 0; i < 60; i++)
		y[i] = 10000 * x[i];
	growth_test_series(x, y, 60, &floors, &r);
	assert_true(r.growing);
	/* Rising for the first 40% of the span, flat after: the last half has no slope. */
	for (int i = 0; i < 60; i++)
		y[i] = i < 24 ? 10000 * x[i] : 10000 * x[23];
	growth_test_series(x, y, 60, &floors, &r);
	assert_false(r.growing);
	/* Too few points. */
	growth_test_series(x, y, GROWTH_MIN_POINTS - 1, &floors, &r);
	assert_false(r.growing);
	/* Decreasing. */
	for (int i = 0; i < 60; i++)
		y[i] = 1e6 - 10000 * x[i];
	growth_test_series(x, y, 60, &floors, &r);
	assert_false(r.growing);
	assert_false(r.slope_known); /* the rank test said no: no slope computed */
}

/* growth_mark_piles and the ranking: of a thread pile growing 10/s, growth of 2 KiB/s in 20
 * blocks/s follows it (ranked after it), growth of 1 MiB/s does not, nor a buffer that grows
 * in bytes only (its block count flat), nor growth beside a pile that does not grow. */
static void test_piles(void **state)
{
	(void)state;
	struct finding_list l = {0};
	struct finding g = {.kind = FINDING_GROWTH, .bytes = 20000, .count = 100, .stack_id = 1};
	g.trend =
	    (struct finding_trend){.growing = true, .bytes_per_sec = 2048, .count_per_sec = 20};
	assert_non_null(finding_list_add(&l, &g)); /* follows */
	g.stack_id = 2;
	g.bytes = 5000000;
	g.trend.bytes_per_sec = 1048576;
	assert_non_null(finding_list_add(&l, &g)); /* 100 KiB a thread: its own */
	g.stack_id = 3;
	g.bytes = 30000;
	g.trend.bytes_per_sec = 4096;
	g.trend.count_per_sec = 0;
	assert_non_null(finding_list_add(&l, &g)); /* a realloc-grown buffer: its own */
	struct finding th = {
	    .kind = FINDING_THREAD, .count = 50, .stack_id = 4, .state = "running"};
	th.trend = (struct finding_trend){.growing = true, .count_per_sec = 10};
	assert_non_null(finding_list_add(&l, &th));
	struct finding fd = {.kind = FINDING_FD, .count = 3, .stack_id = 5, .fd_type = "file"};
	assert_non_null(finding_list_add(&l, &fd)); /* a fixed set, not a pile */
	growth_mark_piles(&l);
	finding_list_rank(&l);
	static const uint32_t want[] = {2, 3, 4, 1, 5};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(l.items[i].stack_id, want[i]);
	assert_true(l.items[2].leads_pile);
	assert_true(l.items[3].follows_pile);
	assert_false(l.items[0].follows_pile || l.items[1].follows_pile);
	/* The same without a growing pile: growth first, as before. */
	for (size_t i = 0; i < l.n; i++) {
		l.items[i].leads_pile = l.items[i].follows_pile = false;
		if (l.items[i].kind == FINDING_THREAD)
			l.items[i].trend.growing = false;
	}
	growth_mark_piles(&l);
	finding_list_rank(&l);
	static const uint32_t want2[] = {2, 3, 1, 5, 4};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(l.items[i].stack_id, want2[i]);
	finding_list_fini(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_steady_leak_and_plateau),
	    cmocka_unit_test(test_growth_wins_over_reachable),
	    cmocka_unit_test(test_exit_teardown),
	    cmocka_unit_test(test_inconclusive),
	    cmocka_unit_test(test_teardown_short_run),
	    cmocka_unit_test(test_teardown_steady),
	    cmocka_unit_test(test_teardown_in_main),
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_resources_and_rss),
	    cmocka_unit_test(test_series_rules),
	    cmocka_unit_test(test_piles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
