/* SPDX-License-Identifier: MIT */
/* test_stack_table.c - preload/stack_table.c: interning. Same frames -> same id, any
 * difference (a frame, the depth) -> a new id; ids are dense from 1; growth past the initial
 * index keeps every id findable; two threads interning the same stacks in opposite orders
 * agree on every id and create each stack once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>
#include <cmocka.h>

#include "stack_table.h"

static void make_stack(uint32_t seed, uintptr_t *f, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		f[i] = 0x400000 + (uintptr_t)seed * 0x1000 + i * 0x10;
}

static void test_same_and_different(void **state)
{
	(void)state;
	uintptr_t a[8], b[8];
	make_stack(1, a, 8);
	make_stack(1, b, 8);
	uint32_t base = lk_stack_table_count();
	uint32_t ida = lk_stack_table_intern(a, 8);
	assert_int_equal(ida, base + 1);
	assert_int_equal(lk_stack_table_intern(b, 8), ida);
	b[7]++;
	uint32_t idb = lk_stack_table_intern(b, 8);
	assert_int_equal(idb, base + 2);
	assert_int_equal(lk_stack_table_intern(a, 7), base + 3); /* a prefix is another stack */
	assert_int_equal(lk_stack_table_count(), base + 3);
	uint32_t n;
	const uintptr_t *f = lk_stack_table_frames(ida, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(f, a, sizeof(a));
	f = lk_stack_table_frames(idb, &n);
	assert_int_equal(f[7], b[7]);
}

#define MANY 100000u

/* After a library is unmapped the same addresses may hold other code: equal frames interned
 * in a new epoch get a new id, which then stays stable; the old id keeps its frames. */
static void test_new_epoch_after_unload(void **state)
{
	(void)state;
	const uintptr_t f[3] = {0x7f0000001234, 0x7f0000005678, 0x401000};
	uint32_t before = lk_stack_table_intern(f, 3);
	assert_int_equal(lk_stack_table_intern(f, 3), before);
	lk_stack_table_new_epoch();
	uint32_t after = lk_stack_table_intern(f, 3);
	assert_true(after != 0);
	assert_true(after != before);
	assert_int_equal(lk_stack_table_intern(f, 3), after);
	uint32_t n = 0;
	const uintptr_t *old = lk_stack_table_frames(before, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(old, f, sizeof(f));
}

static void test_growth_keeps_ids(void **state)
{
	(void)state;
	uint32_t *ids = calloc(MANY, sizeof(*ids));
	uintptr_t f[16];
	uint32_t base = lk_stack_table_count();
	for (uint32_t i = 0; i < MANY; i++) {
		make_stack(1000 + i, f, 1 + i % 16);
		ids[i] = lk_stack_table_intern(f, 1 + i % 16);
		assert_int_equal(ids[i], base + 1 + i);
	}
	for (uint32_t i = 0; i < MANY; i++) {
		make_stack(1000 + i, f, 1 + i % 16);
		assert_int_equal(lk_stack_table_intern(f, 1 + i % 16), ids[i]);
		uint32_t n;
		const uintptr_t *g = lk_stack_table_frames(ids[i], &n);
		assert_int_equal(n, 1 + i % 16);
		assert_memory_equal(g, f, n * sizeof(uintptr_t));
	}
	assert_int_equal(lk_stack_table_count(), base + MANY);
	free(ids);
}

#define SHARED 20000u

typedef struct {
	int reverse;
	uint32_t ids[SHARED];
} worker_t;

static void *intern_all(void *arg)
{
	worker_t *w = arg;
	uintptr_t f[12];
	for (uint32_t k = 0; k < SHARED; k++) {
		uint32_t i = w->reverse ? SHARED - 1 - k : k;
		make_stack(5000000 + i, f, 12);
		w->ids[i] = lk_stack_table_intern(f, 12);
	}
	return NULL;
}

static void test_concurrent_interning(void **state)
{
	(void)state;
	static worker_t w1 = {.reverse = 0}, w2 = {.reverse = 1};
	uint32_t base = lk_stack_table_count();
	pthread_t t1, t2;
	pthread_create(&t1, NULL, intern_all, &w1);
	pthread_create(&t2, NULL, intern_all, &w2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(lk_stack_table_count(), base + SHARED);
	for (uint32_t i = 0; i < SHARED; i++) {
		assert_int_equal(w1.ids[i], w2.ids[i]);
		assert_true(w1.ids[i] > base && w1.ids[i] <= base + SHARED);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_and_different),
	    cmocka_unit_test(test_growth_keeps_ids),
	    cmocka_unit_test(test_new_epoch_after_unload),
	    cmocka_unit_test(test_concurrent_interning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
