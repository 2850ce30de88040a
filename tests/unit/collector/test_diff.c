/* SPDX-License-Identifier: MIT */
/* test_diff.c - diff.c: parsing snapshot references (index, negative index, time with an
 * s/m/h/d suffix, bad input) and diffs between two snapshots of a synthesized trace: appeared,
 * disappeared, grew, shrank, unchanged stacks left out, largest change first, clamping of
 * out-of-range indices, and time lookup. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "diff.h"
#include "trace_reader.h"
#include "trace_builder.h"

static void test_parse(void **state)
{
	(void)state;
	struct diff_ref r;
	struct err e = {{0}};
	assert_int_equal(diff_ref_parse("3", &r, &e), 0);
	assert_false(r.by_time);
	assert_int_equal(r.index, 3);
	assert_int_equal(diff_ref_parse("-1", &r, &e), 0);
	assert_int_equal(r.index, -1);
	assert_int_equal(diff_ref_parse("10s", &r, &e), 0);
	assert_true(r.by_time && r.t_s == 10);
	assert_int_equal(diff_ref_parse("2.5s", &r, &e), 0);
	assert_true(r.by_time && r.t_s == 2.5);
	assert_int_equal(diff_ref_parse("-5s", &r, &e), 0);
	assert_true(r.by_time && r.t_s == -5);
	assert_int_equal(diff_ref_parse("x", &r, &e), -1);
	assert_non_null(strstr(e.msg, "--diff"));
	assert_int_equal(diff_ref_parse("s", &r, &e), -1);
	assert_int_equal(diff_ref_parse("", &r, &e), -1);
	assert_int_equal(diff_ref_parse("3m", &r, &e), 0);
	assert_true(r.by_time && r.t_s == 180);
	assert_int_equal(diff_ref_parse("3x", &r, &e), -1);
	assert_int_equal(diff_ref_parse("--1", &r, &e), -1);
	assert_int_equal(diff_ref_parse("1.5", &r, &e), -1);
}

/* Snapshots at 0, 1, 2, 3 s. Stack 1 grows 100 -> 400, stack 2 shrinks 900 -> 300, stack 3
 * appears at snapshot 2, stack 4 disappears at snapshot 1, stack 5 never changes. */
static struct model *trace(struct tb *t)
{
	tb_init(t);
	tb_process(t, 10, 1, 0, 0, "/app", 0, NULL);
	for (uint64_t id = 1; id <= 5; id++) {
		const uint64_t f[] = {0x100 * id};
		tb_stack(t, id, 1, f);
	}
	for (uint64_t i = 0; i < 4; i++) {
		tb_snapshot(t, i, i * 1000000000ull, 0, 0, 0, 0);
		tb_site(t, 1, 100 * (i + 1), i + 1);
		tb_site(t, 2, 900 - 200 * i, 9 - 2 * i);
		if (i >= 2)
			tb_site(t, 3, 50 * i, 1);
		if (i <= 1)
			tb_site(t, 4, i ? 0 : 70, i ? 0 : 7);
		if (i == 0)
			tb_site(t, 5, 10, 1);
		tb_flush(t);
	}
	struct model *m = model_create();
	struct err e = {{0}};
	assert_int_equal(trace_reader_load_mem(m, "t", t->file.data, t->file.len, &e), 0);
	return m;
}

static const struct diff_entry *entry(const struct diff_list *d, uint32_t stack)
{
	for (size_t i = 0; i < d->n; i++) {
		if (d->items[i].stack_id == stack)
			return &d->items[i];
	}
	return NULL;
}

static void test_first_to_last(void **state)
{
	(void)state;
	struct tb t;
	struct model *m = trace(&t);
	struct diff_ref a = {.index = 0}, b = {.index = -1};
	struct diff_list d;
	assert_int_equal(diff_build(m->procs[0], &a, &b, &d), 0);
	assert_true(d.valid);
	assert_int_equal(d.snap_a, 0);
	assert_int_equal(d.snap_b, 3);
	assert_true(d.t_a == 0 && d.t_b == 3);
	assert_int_equal(d.n, 4); /* stack 5 unchanged */
	assert_null(entry(&d, 5));
	const struct diff_entry *e1 = entry(&d, 1), *e2 = entry(&d, 2), *e3 = entry(&d, 3),
	                        *e4 = entry(&d, 4);
	assert_string_equal(e1->change, "grew");
	assert_int_equal(e1->delta_bytes, 300);
	assert_int_equal(e1->delta_count, 3);
	assert_string_equal(e2->change, "shrank");
	assert_int_equal(e2->delta_bytes, -600);
	assert_int_equal(e2->bytes_a, 900);
	assert_int_equal(e2->bytes_b, 300);
	assert_string_equal(e3->change, "appeared");
	assert_int_equal(e3->delta_bytes, 150);
	assert_string_equal(e4->change, "disappeared");
	assert_int_equal(e4->delta_bytes, -70);
	/* Largest |delta_bytes| first. */
	assert_int_equal(d.items[0].stack_id, 2);
	assert_int_equal(d.items[1].stack_id, 1);
	assert_int_equal(d.items[2].stack_id, 3);
	assert_int_equal(d.items[3].stack_id, 4);
	diff_list_fini(&d);
	model_destroy(m);
	tb_free(&t);
}

static void test_time_and_clamping(void **state)
{
	(void)state;
	struct tb t;
	struct model *m = trace(&t);
	struct diff_list d;
	/* 1.5 s picks snapshot 1 (last at or before); -1s from the end is snapshot 2. */
	struct diff_ref a = {.by_time = true, .t_s = 1.5}, b = {.by_time = true, .t_s = -1};
	assert_int_equal(diff_build(m->procs[0], &a, &b, &d), 0);
	assert_int_equal(d.snap_a, 1);
	assert_int_equal(d.snap_b, 2);
	assert_string_equal(entry(&d, 3)->change, "appeared");
	assert_null(entry(&d, 4)); /* already 0 at snapshot 1 */
	diff_list_fini(&d);
	/* Indices past either end are clamped; the same snapshot twice is an empty diff. */
	a = (struct diff_ref){.index = 99};
	b = (struct diff_ref){.index = -99};
	assert_int_equal(diff_build(m->procs[0], &a, &b, &d), 0);
	assert_int_equal(d.snap_a, 3);
	assert_int_equal(d.snap_b, 0);
	assert_string_equal(entry(&d, 1)->change, "shrank");
	diff_list_fini(&d);
	a = b = (struct diff_ref){.index = 2};
	assert_int_equal(diff_build(m->procs[0], &a, &b, &d), 0);
	assert_true(d.valid);
	assert_int_equal(d.n, 0);
	diff_list_fini(&d);
	model_destroy(m);
	tb_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_first_to_last),
	    cmocka_unit_test(test_time_and_clamping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
