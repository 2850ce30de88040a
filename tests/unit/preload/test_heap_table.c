/* test_heap_table.c - preload/heap_table.c: the live-block table. Insert/lookup/remove,
 * unknown pointers ignored, tombstones (removals in the middle of probe chains), size and
 * stack packing limits, growth to 1M live entries, and two threads working concurrently. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <cmocka.h>

#include "heap_table.h"

static void test_insert_lookup_remove(void **state)
{
	(void)state;
	uint64_t size;
	uint32_t stack;
	assert_false(lk_heap_table_remove(0x1000, &size, &stack));
	assert_true(lk_heap_table_insert(0x1000, 100, 7));
	assert_true(lk_heap_table_insert(0x2000, 200, 8));
	assert_int_equal(lk_heap_table_count(), 2);
	assert_true(lk_heap_table_lookup(0x1000, &size, &stack));
	assert_int_equal(size, 100);
	assert_int_equal(stack, 7);
	assert_true(lk_heap_table_remove(0x2000, &size, &stack));
	assert_int_equal(size, 200);
	assert_int_equal(stack, 8);
	assert_false(lk_heap_table_remove(0x2000, &size, &stack)); /* double free: unknown now */
	assert_false(lk_heap_table_lookup(0x3000, &size, &stack));
	assert_true(lk_heap_table_remove(0x1000, &size, &stack));
	assert_int_equal(lk_heap_table_count(), 0);
}

static void test_packing_limits(void **state)
{
	(void)state;
	uint64_t size;
	uint32_t stack;
	assert_true(lk_heap_table_insert(0x5000, (1ull << 40) + 5, 0xffffff));
	assert_true(lk_heap_table_remove(0x5000, &size, &stack));
	assert_int_equal(size, LK_HEAP_MAX_SIZE); /* clamped, not wrapped */
	assert_int_equal(stack, 0xffffff);
	assert_true(lk_heap_table_insert(0x5000, 0, 1));
	assert_true(lk_heap_table_remove(0x5000, &size, &stack));
	assert_int_equal(size, 0);
}

static void test_tombstones_keep_chains(void **state)
{
	(void)state;
	/* 20000 blocks over 256 shards: long enough probe chains that removing every other
	 * entry leaves tombstones in the middle of them. */
	enum { N = 20000 };
	uint64_t size;
	uint32_t stack;
	for (uintptr_t i = 0; i < N; i++)
		assert_true(lk_heap_table_insert(0x100000 + i * 16, i, (uint32_t)(i % 1000) + 1));
	for (uintptr_t i = 0; i < N; i += 2)
		assert_true(lk_heap_table_remove(0x100000 + i * 16, &size, &stack));
	for (uintptr_t i = 0; i < N; i++) {
		bool live = lk_heap_table_lookup(0x100000 + i * 16, &size, &stack);
		assert_int_equal(live, i % 2 == 1);
		if (live) {
			assert_int_equal(size, i);
			assert_int_equal(stack, i % 1000 + 1);
		}
	}
	/* Churn over the tombstones: many rounds of insert/remove must not grow the count
	 * or lose entries. */
	for (int round = 0; round < 20; round++) {
		for (uintptr_t i = 0; i < N; i += 2)
			assert_true(lk_heap_table_insert(0x900000 + i * 16 + round, 1, 1));
		for (uintptr_t i = 0; i < N; i += 2)
			assert_true(lk_heap_table_remove(0x900000 + i * 16 + round, &size, &stack));
	}
	assert_int_equal(lk_heap_table_count(), N / 2);
	for (uintptr_t i = 1; i < N; i += 2)
		assert_true(lk_heap_table_remove(0x100000 + i * 16, &size, &stack));
	assert_int_equal(lk_heap_table_count(), 0);
}

static void count_block(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack)
{
	uint64_t *acc = arg;
	acc[0]++;
	acc[1] += size;
	acc[2] += stack;
	(void)ptr;
}

static void test_growth_to_a_million(void **state)
{
	(void)state;
	enum { N = 1000000 };
	uint64_t size;
	uint32_t stack;
	for (uintptr_t i = 0; i < N; i++)
		assert_true(lk_heap_table_insert(0x7f0000000000 + i * 32, 32, 3));
	assert_int_equal(lk_heap_table_count(), N);
	/* 16-byte entries, at most 50% load, at least a third after growth. */
	assert_true(lk_heap_table_bytes() >= 32ull * N);
	assert_true(lk_heap_table_bytes() <= 48ull * N);
	uint64_t acc[3] = {0};
	lk_heap_table_foreach(count_block, acc);
	assert_int_equal(acc[0], N);
	assert_int_equal(acc[1], 32ull * N);
	assert_int_equal(acc[2], 3ull * N);
	for (uintptr_t i = 0; i < N; i++) {
		assert_true(lk_heap_table_remove(0x7f0000000000 + i * 32, &size, &stack));
		assert_int_equal(size, 32);
	}
	assert_int_equal(lk_heap_table_count(), 0);
}

typedef struct {
	uintptr_t base;
	int errors;
} worker_t;

static void *churn(void *arg)
{
	worker_t *w = arg;
	uint64_t size;
	uint32_t stack;
	for (int round = 0; round < 5; round++) {
		for (uintptr_t i = 0; i < 100000; i++)
			w->errors += !lk_heap_table_insert(w->base + i * 16, i, 9);
		for (uintptr_t i = 0; i < 100000; i++) {
			if (!lk_heap_table_remove(w->base + i * 16, &size, &stack) || size != i ||
			    stack != 9)
				w->errors++;
		}
	}
	return NULL;
}

static void test_concurrent_threads(void **state)
{
	(void)state;
	worker_t w[2] = {{.base = 0x10000000}, {.base = 0x20000000}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, churn, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w[0].errors, 0);
	assert_int_equal(w[1].errors, 0);
	assert_int_equal(lk_heap_table_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_insert_lookup_remove),
	    cmocka_unit_test(test_packing_limits),
	    cmocka_unit_test(test_tombstones_keep_chains),
	    cmocka_unit_test(test_growth_to_a_million),
	    cmocka_unit_test(test_concurrent_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
