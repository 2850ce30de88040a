/* SPDX-License-Identifier: MIT */
/* test_heap_table.c - preload/heap_table.c: the live-block table. Insert/lookup/remove,
 * unknown pointers ignored, removals in the middle of probe runs, size and stack packing
 * limits (the side table), growth to 1M live entries, a long random run against a reference
 * model, threads inserting and removing concurrently, also each other's blocks, a fork
 * whose child does not inherit the table's memory and starts with an empty table, heaps of
 * one block size at several strides, and the table used again after its growth's scratch array
 * and its own arrays are given back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
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
	/* Around the 28-bit size limit of a packed entry, and a block that changes table when
	 * the same pointer is inserted again with another size. */
	static const uint64_t sizes[] = {(1ull << 28) - 1, 1ull << 28,       (1ull << 28) + 1,
	                                 1ull << 20,       (1ull << 20) - 1, LK_HEAP_MAX_SIZE};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_true(lk_heap_table_insert(0x6000, sizes[i], 0x123456));
		assert_true(lk_heap_table_lookup(0x6000, &size, &stack));
		assert_int_equal(size, sizes[i]);
		assert_int_equal(stack, 0x123456);
		assert_int_equal(lk_heap_table_count(), 1);
	}
	assert_true(lk_heap_table_remove(0x6000, &size, &stack));
	assert_false(lk_heap_table_lookup(0x6000, &size, &stack));
	/* Pointers that do not pack: unaligned, above 2^48, the top of the address space. */
	static const uintptr_t odd[] = {0x7001, 0x7008, 1ull << 48, 0xfffffffffffffff0ull, 1};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		assert_true(lk_heap_table_insert(odd[i], i + 1, (uint32_t)i));
	assert_int_equal(lk_heap_table_count(), 5);
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		assert_true(lk_heap_table_remove(odd[i], &size, &stack));
		assert_int_equal(size, i + 1);
		assert_int_equal(stack, i);
	}
	assert_false(lk_heap_table_insert(0, 1, 1)); /* NULL is never a block */
	assert_int_equal(lk_heap_table_count(), 0);
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
	assert_int_equal(lk_heap_table_check(), 0); /* growth kept Robin Hood order */
	/* 12-byte entries, at most 7/9 full, at least 7/9 * 4/5 after growth (plus page
	 * rounding): 15.4 to 19.3 bytes a block. */
	assert_true(lk_heap_table_bytes() >= 15ull * N);
	assert_true(lk_heap_table_bytes() <= 20ull * N);
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

/* ---- a long random run against a reference model ---- */

typedef struct {
	uintptr_t ptr;
	uint64_t size;
	uint32_t stack;
	bool live;
} model_t;

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int cmp_model(const void *a, const void *b)
{
	uintptr_t x = ((const model_t *)a)->ptr, y = ((const model_t *)b)->ptr;
	return x < y ? -1 : x > y;
}

static model_t *seen;
static size_t n_seen;

static void collect_block(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack)
{
	(void)arg;
	seen[n_seen++] = (model_t){ptr, size, stack, true};
}

/* Addresses: mostly malloc-like (16-byte aligned, clustered as a heap is), some in a second
 * region near the top of user space, a few that do not pack (unaligned, above 2^48). */
static uintptr_t model_address(size_t i)
{
	switch (i % 16) {
	case 0:
		return 0x7ffff0000000ull + (i / 16) * 48;
	case 1:
		return 0x10000000 + i * 24 + 8; /* 8-byte aligned only */
	case 2:
		return (1ull << 50) + i * 16;
	default:
		return 0x555555560000ull + i * 32;
	}
}

static uint64_t model_size(void)
{
	uint64_t r = rnd();
	switch (r % 64) {
	case 0:
		return (1ull << 28) + (r >> 40); /* does not pack */
	case 1:
		return (1ull << 28) - 1;
	case 2:
		return (1ull << 41) + 3; /* clamped */
	default:
		return (r >> 8) % 5000;
	}
}

static void model_check_all(model_t *m, size_t n)
{
	uint64_t live = 0;
	for (size_t i = 0; i < n; i++)
		live += m[i].live;
	assert_int_equal(lk_heap_table_count(), live);
	assert_int_equal(lk_heap_table_check(), 0);
	n_seen = 0;
	seen = calloc(n + 1, sizeof(*seen));
	assert_non_null(seen);
	lk_heap_table_foreach(collect_block, NULL);
	assert_int_equal(n_seen, live);
	qsort(seen, n_seen, sizeof(*seen), cmp_model);
	model_t *want = calloc(live + 1, sizeof(*want));
	assert_non_null(want);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (m[i].live)
			want[k++] = m[i];
	qsort(want, k, sizeof(*want), cmp_model);
	for (size_t i = 0; i < k; i++) {
		assert_int_equal(seen[i].ptr, want[i].ptr);
		assert_int_equal(seen[i].size, want[i].size);
		assert_int_equal(seen[i].stack, want[i].stack);
	}
	free(want);
	free(seen);
}

static void test_random_against_model(void **state)
{
	(void)state;
	enum { N = 60000, OPS = 600000 };
	model_t *m = calloc(N, sizeof(*m));
	assert_non_null(m);
	for (size_t i = 0; i < N; i++)
		m[i].ptr = model_address(i);
	/* Three phases: fill towards N (growth), churn at a high load (removals inside probe
	 * runs, same addresses reused), then drain most of it. */
	for (int phase = 0; phase < 3; phase++) {
		unsigned insert_pct = phase == 0 ? 80 : phase == 1 ? 50 : 15;
		for (int op = 0; op < OPS / 3; op++) {
			/* A window of addresses that slides with op makes reuse likely. */
			size_t i = (size_t)(rnd() % (N / 2)) + (size_t)op * (N / 2) / (OPS / 3);
			model_t *e = &m[i % N];
			uint64_t size;
			uint32_t stack;
			unsigned r = (unsigned)(rnd() % 100);
			if (r < insert_pct) {
				/* Insert; of a live pointer this replaces it. */
				uint64_t want = model_size();
				uint32_t st = (uint32_t)(rnd() & 0xffffff);
				assert_true(lk_heap_table_insert(e->ptr, want, st));
				e->live = true;
				e->size = want > LK_HEAP_MAX_SIZE ? LK_HEAP_MAX_SIZE : want;
				e->stack = st;
			} else if (r < 97) {
				bool got = lk_heap_table_remove(e->ptr, &size, &stack);
				assert_int_equal(got, e->live);
				if (got) {
					assert_int_equal(size, e->size);
					assert_int_equal(stack, e->stack);
				}
				e->live = false;
			} else {
				bool got = lk_heap_table_lookup(e->ptr, &size, &stack);
				assert_int_equal(got, e->live);
				if (got) {
					assert_int_equal(size, e->size);
					assert_int_equal(stack, e->stack);
				}
			}
			if (op % 50000 == 0)
				model_check_all(m, N);
		}
		model_check_all(m, N);
	}
	/* Every entry is reachable by lookup, and removing all empties the table. */
	for (size_t i = 0; i < N; i++) {
		uint64_t size;
		uint32_t stack;
		assert_int_equal(lk_heap_table_lookup(m[i].ptr, &size, &stack), m[i].live);
		assert_int_equal(lk_heap_table_remove(m[i].ptr, &size, &stack), m[i].live);
	}
	assert_int_equal(lk_heap_table_count(), 0);
	assert_true(lk_heap_table_bytes() > 0);
	free(m);
}

/* ---- threads freeing each other's blocks ---- */

enum { XT_THREADS = 4, XT_BLOCKS = 50000, XT_ROUNDS = 6 };
static pthread_barrier_t xt_barrier;

typedef struct {
	int id;
	int errors;
} xt_worker_t;

static uintptr_t xt_ptr(int owner, int round, uintptr_t i)
{
	return 0x600000000000ull + ((uintptr_t)owner << 32) + ((uintptr_t)round << 24) + i * 16;
}

static void *xt_run(void *arg)
{
	xt_worker_t *w = arg;
	uint64_t size;
	uint32_t stack;
	for (int round = 0; round < XT_ROUNDS; round++) {
		for (uintptr_t i = 0; i < XT_BLOCKS; i++)
			w->errors += !lk_heap_table_insert(xt_ptr(w->id, round, i), i * 7,
			                                   (uint32_t)(w->id * 100 + round));
		pthread_barrier_wait(&xt_barrier);
		/* Remove the next thread's blocks while it removes ours. */
		int other = (w->id + 1) % XT_THREADS;
		for (uintptr_t i = 0; i < XT_BLOCKS; i++) {
			if (!lk_heap_table_remove(xt_ptr(other, round, i), &size, &stack) ||
			    size != i * 7 || stack != (uint32_t)(other * 100 + round))
				w->errors++;
		}
		pthread_barrier_wait(&xt_barrier);
	}
	return NULL;
}

static void test_cross_thread_removes(void **state)
{
	(void)state;
	xt_worker_t w[XT_THREADS];
	pthread_t t[XT_THREADS];
	pthread_barrier_init(&xt_barrier, NULL, XT_THREADS);
	for (int i = 0; i < XT_THREADS; i++) {
		w[i] = (xt_worker_t){.id = i};
		pthread_create(&t[i], NULL, xt_run, &w[i]);
	}
	for (int i = 0; i < XT_THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].errors, 0);
	}
	pthread_barrier_destroy(&xt_barrier);
	assert_int_equal(lk_heap_table_count(), 0);
}

/* VmSize of this process in KiB, from /proc/self/status; 0 if unreadable. */
static uint64_t vm_size_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	uint64_t kb = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* The arrays are MADV_DONTFORK: a child's address space is smaller by about the table, and
 * after lk_heap_table_fork_child its table is empty and usable; the parent's is untouched. */
static void test_fork_child_starts_empty(void **state)
{
	(void)state;
	enum { N = 1000000 };
	for (uintptr_t i = 0; i < N; i++)
		assert_true(lk_heap_table_insert(0x7e0000000000 + i * 48, 48, 5));
	uint64_t table_kb = lk_heap_table_bytes() / 1024;
	assert_true(table_kb >= 16ull * N / 1024);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	lk_heap_table_fork_prepare();
	uint64_t parent_kb = vm_size_kb();
	pid_t pid = fork();
	if (pid == 0) {
		uint64_t child_kb = vm_size_kb();
		lk_heap_table_fork_child();
		uint64_t size;
		uint32_t stack;
		/* bit 0: memory inherited; 1: not empty; 2: unusable afterwards */
		int bad = (child_kb + table_kb * 9 / 10 > parent_kb) |
		          (lk_heap_table_count() != 0 || lk_heap_table_bytes() != 0 ||
		           lk_heap_table_lookup(0x7e0000000000, &size, &stack))
		              << 1;
		if (!lk_heap_table_insert(0x1230, 16, 1) ||
		    !lk_heap_table_lookup(0x1230, &size, &stack) || size != 16 || stack != 1)
			bad |= 4;
		char c = (char)bad;
		_exit(write(fds[1], &c, 1) == 1 ? 0 : 1);
	}
	lk_heap_table_fork_parent();
	assert_true(pid > 0);
	char c = 'x';
	assert_int_equal(read(fds[0], &c, 1), 1);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(c, 0);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(lk_heap_table_count(), N);
	uint64_t size;
	uint32_t stack;
	for (uintptr_t i = 0; i < N; i++) {
		assert_true(lk_heap_table_remove(0x7e0000000000 + i * 48, &size, &stack));
		assert_int_equal(size, 48);
	}
	assert_int_equal(lk_heap_table_count(), 0);
}

/* Homes go by 256-byte chunk (a hash of the chunk plus the block's granule in it), so dense
 * blocks make runs of up to 16 entries and sparse blocks of one size land in fixed patterns:
 * every block stays findable with its size through growth, removals in the middle of runs
 * (every other block first) and the rest. */
static void test_strides(void **state)
{
	(void)state;
	static const uintptr_t strides[] = {16, 32, 48, 112, 1008, 4096};
	enum { N = 300000 };
	for (size_t k = 0; k < sizeof(strides) / sizeof(strides[0]); k++) {
		uintptr_t base = 0x7d0000000000 + k * 0x10000000000ull, stride = strides[k];
		uint64_t size;
		uint32_t stack;
		for (uint32_t i = 0; i < N; i++)
			assert_true(lk_heap_table_insert(base + i * stride, stride, i));
		assert_int_equal(lk_heap_table_count(), N);
		assert_int_equal(lk_heap_table_check(), 0);
		for (uint32_t i = 0; i < N; i++) {
			assert_true(lk_heap_table_lookup(base + i * stride, &size, &stack));
			assert_int_equal(size, stride);
			assert_int_equal(stack, i);
		}
		for (uint32_t half = 0; half < 2; half++)
			for (uint32_t i = half; i < N; i += 2) {
				assert_true(lk_heap_table_remove(base + i * stride, &size, &stack));
				assert_int_equal(stack, i);
				if (half == 0)
					assert_false(
					    lk_heap_table_lookup(base + i * stride, &size, &stack));
			}
		assert_int_equal(lk_heap_table_count(), 0);
	}
}

/* Arrays grow in place in reserved address space through a scratch array: the scratch given
 * back between growths (the exit scan's trim), the arrays released (detach), and the table
 * used again after both. */
static void test_trim_and_release(void **state)
{
	(void)state;
	enum { N = 300000 };
	uint64_t size;
	uint32_t stack;
	for (uintptr_t i = 0; i < N; i++)
		assert_true(lk_heap_table_insert(0x7d0000000000 + i * 64, 64, 9));
	lk_heap_table_trim();
	for (uintptr_t i = N; i < 2 * N; i++)
		assert_true(lk_heap_table_insert(0x7d0000000000 + i * 64, 64, 9));
	assert_int_equal(lk_heap_table_count(), 2 * N);
	assert_int_equal(lk_heap_table_check(), 0);
	for (uintptr_t i = 0; i < 2 * N; i += 997) {
		assert_true(lk_heap_table_lookup(0x7d0000000000 + i * 64, &size, &stack));
		assert_int_equal(size, 64);
		assert_int_equal(stack, 9);
	}
	assert_int_equal(lk_heap_table_release(1000), 0);
	assert_int_equal(lk_heap_table_count(), 0);
	assert_int_equal(lk_heap_table_bytes(), 0);
	for (uintptr_t i = 0; i < N; i++)
		assert_true(lk_heap_table_insert(0x7d0000000000 + i * 64, 64, 9));
	assert_int_equal(lk_heap_table_check(), 0);
	for (uintptr_t i = 0; i < N; i++)
		assert_true(lk_heap_table_remove(0x7d0000000000 + i * 64, &size, &stack));
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
	    cmocka_unit_test(test_random_against_model),
	    cmocka_unit_test(test_cross_thread_removes),
	    cmocka_unit_test(test_fork_child_starts_empty),
	    cmocka_unit_test(test_strides),
	    cmocka_unit_test(test_trim_and_release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
