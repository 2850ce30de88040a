/* SPDX-License-Identifier: MIT */
/* test_ring.c - preload/ring.c: per-thread SPSC rings. Exact totals with several producer
 * threads (each on its own ring) and one concurrent consumer; drop counting on a full ring;
 * rings released at thread exit are reused, so thread churn does not grow their number. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <cmocka.h>

#include "ring.h"

typedef struct {
	uint64_t events, bytes, allocs, frees, stack_sum;
} totals_t;

static void sum_event(void *arg, const lk_event_t *ev)
{
	totals_t *t = arg;
	t->events++;
	t->bytes += ev->size;
	t->stack_sum += ev->stack_id;
	if (ev->op == LK_EV_ALLOC)
		t->allocs++;
	else if (ev->op == LK_EV_FREE)
		t->frees++;
}

static void test_single_thread_fifo(void **state)
{
	(void)state;
	totals_t t = {0};
	lk_ring_drain(sum_event, &t); /* start from empty rings */
	t = (totals_t){0};
	for (uint32_t i = 1; i <= 1000; i++)
		assert_true(lk_ring_push(i % 2 ? LK_EV_ALLOC : LK_EV_FREE, i, i * 3));
	assert_int_equal(lk_ring_drain(sum_event, &t), 1000);
	assert_int_equal(t.events, 1000);
	assert_int_equal(t.allocs, 500);
	assert_int_equal(t.frees, 500);
	assert_int_equal(t.bytes, 3ull * 1000 * 1001 / 2);
	assert_int_equal(t.stack_sum, 1000ull * 1001 / 2);
	assert_int_equal(lk_ring_drain(sum_event, &t), 0);
}

#define PRODUCERS    4
#define PER_PRODUCER 300000u

static volatile int producers_done;

static void *producer(void *arg)
{
	uint32_t base = (uint32_t)(uintptr_t)arg;
	for (uint32_t i = 0; i < PER_PRODUCER; i++)
		if (!lk_ring_push(LK_EV_ALLOC, base + (i & 7), 1 + (i & 15)))
			return (void *)1;
	__atomic_add_fetch(&producers_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *consumer(void *arg)
{
	totals_t *t = arg;
	while (__atomic_load_n(&producers_done, __ATOMIC_ACQUIRE) < PRODUCERS)
		lk_ring_drain(sum_event, t);
	lk_ring_drain(sum_event, t);
	return NULL;
}

static void test_concurrent_producers_exact_totals(void **state)
{
	(void)state;
	totals_t drain0 = {0};
	lk_ring_drain(sum_event, &drain0);
	uint64_t dropped0 = lk_ring_dropped();
	lk_ring_wait_limit = 1u << 30; /* the consumer is running: never give up */
	totals_t t = {0};
	pthread_t c, p[PRODUCERS];
	producers_done = 0;
	assert_int_equal(pthread_create(&c, NULL, consumer, &t), 0);
	for (uintptr_t i = 0; i < PRODUCERS; i++)
		assert_int_equal(pthread_create(&p[i], NULL, producer, (void *)(i * 100)), 0);
	for (int i = 0; i < PRODUCERS; i++) {
		void *r;
		pthread_join(p[i], &r);
		assert_null(r);
	}
	pthread_join(c, NULL);
	lk_ring_wait_limit = 40000;
	/* Per producer: sizes 1..16 cycle, so each 16 events add 136 bytes. */
	uint64_t per_bytes = (PER_PRODUCER / 16) * 136;
	uint64_t per_stacks = (PER_PRODUCER / 8) * 28; /* base*8 + (0..7) per 8 events */
	uint64_t stack_sum = 0;
	for (uint64_t i = 0; i < PRODUCERS; i++)
		stack_sum += per_stacks + (PER_PRODUCER)*i * 100;
	assert_int_equal(t.events, PRODUCERS * (uint64_t)PER_PRODUCER);
	assert_int_equal(t.allocs, PRODUCERS * (uint64_t)PER_PRODUCER);
	assert_int_equal(t.bytes, PRODUCERS * per_bytes);
	assert_int_equal(t.stack_sum, stack_sum);
	assert_int_equal(lk_ring_dropped(), dropped0);
}

static void test_full_ring_drops_are_counted(void **state)
{
	(void)state;
	lk_ring_t *r = lk_ring_acquire();
	assert_non_null(r);
	uint64_t dropped0 = lk_ring_dropped();
	unsigned saved_limit = lk_ring_wait_limit;
	lk_ring_wait_limit = 3; /* no consumer: give up fast */
	lk_event_t ev = {.size = 8, .stack_id = 1, .op = LK_EV_ALLOC};
	unsigned ok = 0, dropped = 0;
	for (unsigned i = 0; i < LK_RING_EVENTS + 25; i++) {
		if (lk_ring_push_to(r, &ev))
			ok++;
		else
			dropped++;
	}
	assert_int_equal(ok, LK_RING_EVENTS);
	assert_int_equal(dropped, 25);
	assert_int_equal(lk_ring_dropped() - dropped0, 25);
	/* Draining makes room again. */
	totals_t t = {0};
	lk_ring_drain(sum_event, &t);
	assert_int_equal(t.events, LK_RING_EVENTS);
	assert_true(lk_ring_push_to(r, &ev));
	lk_ring_drain(sum_event, &t);
	lk_ring_wait_limit = saved_limit;
	lk_ring_release(r);
}

static int wakes, full_wakes;
static void count_wake(lk_ring_t *r, bool full)
{
	(void)r;
	wakes++;
	full_wakes += full;
}

static void test_half_full_wakes_writer(void **state)
{
	(void)state;
	lk_ring_t *r = lk_ring_acquire();
	assert_non_null(r);
	totals_t t = {0};
	lk_ring_drain(sum_event, &t);
	lk_ring_wake_fn = count_wake;
	wakes = full_wakes = 0;
	lk_event_t ev = {.size = 1, .stack_id = 1, .op = LK_EV_ALLOC};
	for (unsigned i = 0; i < LK_RING_EVENTS / 2; i++)
		lk_ring_push_to(r, &ev);
	assert_int_equal(wakes, 0);
	lk_ring_push_to(r, &ev);
	assert_int_equal(wakes, 1);
	assert_int_equal(full_wakes, 0);
	lk_ring_wake_fn = NULL;
	lk_ring_drain(sum_event, &t);
	lk_ring_release(r);
}

/* Drains what is in r (earlier tests' events too) and fills it to the brim. */
static void refill(lk_ring_t *r)
{
	totals_t t = {0};
	lk_ring_drain(sum_event, &t);
	lk_event_t ev = {.size = 1, .stack_id = 1, .op = LK_EV_ALLOC};
	for (unsigned i = 0; i < LK_RING_EVENTS; i++)
		assert_true(lk_ring_push_to(r, &ev));
}

/* A ring of our own, full, with the wake hook counted. */
static lk_ring_t *full_ring(void)
{
	lk_ring_t *r = lk_ring_acquire();
	assert_non_null(r);
	lk_ring_wake_fn = count_wake;
	refill(r);
	return r;
}

/* A wait that times out marks the ring: pushes to it while the writer has drained nothing
 * drop at once instead of waiting again (each wait calls the wake hook every 16 rounds). */
static void test_timed_out_wait_is_not_repeated(void **state)
{
	(void)state;
	unsigned saved_limit = lk_ring_wait_limit;
	lk_ring_wait_limit = 100; /* 64 yields, 36 naps */
	uint64_t dropped0 = lk_ring_dropped();
	lk_ring_t *r = full_ring();
	lk_event_t ev = {.size = 1, .stack_id = 1, .op = LK_EV_ALLOC};
	wakes = 0;
	assert_false(lk_ring_push_to(r, &ev));
	assert_true(wakes >= 100 / 16);
	int waited = wakes;
	for (int i = 0; i < 100; i++)
		assert_false(lk_ring_push_to(r, &ev));
	assert_int_equal(lk_ring_dropped() - dropped0, 101);
	assert_true(wakes - waited <= 1); /* at most the half-full wake-up, no more waits */
	/* Once the writer drains, a full ring is waited for again. */
	refill(r);
	wakes = 0;
	assert_false(lk_ring_push_to(r, &ev));
	assert_true(wakes >= 100 / 16);
	lk_ring_wake_fn = NULL;
	lk_ring_wait_limit = saved_limit;
	totals_t t = {0};
	lk_ring_drain(sum_event, &t);
	lk_ring_release(r);
}

/* After the final cut a full ring neither waits nor counts a drop. */
static void test_closed_ring_fails_at_once(void **state)
{
	(void)state;
	lk_ring_t *r = full_ring();
	lk_event_t ev = {.size = 1, .stack_id = 1, .op = LK_EV_ALLOC};
	uint64_t dropped0 = lk_ring_dropped();
	lk_ring_closed = 1;
	wakes = 0;
	assert_false(lk_ring_push_to(r, &ev));
	assert_int_equal(lk_ring_dropped(), dropped0);
	assert_true(wakes <= 1); /* the half-full wake-up at most, no wait */
	lk_ring_closed = 0;
	lk_ring_wake_fn = NULL;
	totals_t t = {0};
	lk_ring_drain(sum_event, &t);
	lk_ring_release(r);
}

/* A wake hook that drains the ring on the producer's thread, as the writer's does while the
 * program keeps every processor busy: a push to a full ring goes through at once, nothing is
 * dropped or waited for, and every event reaches the consumer exactly once, in order. */
static totals_t drained;
static uint64_t drained_first_size;
static void first_size(void *arg, const lk_event_t *ev)
{
	if (!drained_first_size)
		drained_first_size = ev->size;
	sum_event(arg, ev);
}

static void drain_wake(lk_ring_t *r, bool full)
{
	wakes++;
	full_wakes += full;
	lk_ring_drain_one(r, first_size, &drained);
}

static void test_wake_hook_may_drain_in_place(void **state)
{
	(void)state;
	lk_ring_t *r = lk_ring_acquire();
	assert_non_null(r);
	totals_t t = {0};
	lk_ring_drain(sum_event, &t);
	lk_ring_wake_fn = drain_wake;
	drained = (totals_t){0};
	drained_first_size = 0;
	wakes = full_wakes = 0;
	uint64_t dropped0 = lk_ring_dropped();
	/* Three ring-fuls, sizes 1..N in order: the half-full hook empties the ring each time. */
	uint64_t n = 3ull * LK_RING_EVENTS;
	for (uint64_t i = 1; i <= n; i++) {
		lk_event_t ev = {.size = i, .stack_id = 1, .op = LK_EV_ALLOC};
		assert_true(lk_ring_push_to(r, &ev));
	}
	assert_int_equal(lk_ring_dropped(), dropped0);
	assert_true(wakes >= 5);
	assert_int_equal(full_wakes, 0); /* never got full */
	assert_int_equal(drained_first_size, 1);
	t = (totals_t){0};
	lk_ring_drain_one(r, sum_event, &t);
	assert_int_equal(drained.events + t.events, n);
	assert_int_equal(drained.bytes + t.bytes, n * (n + 1) / 2);

	/* A ring found full (no half-full hook ran: it is filled in one go with the hook off)
	 * is drained by the full-ring hook without a wait. */
	lk_ring_wake_fn = NULL;
	refill(r);
	lk_ring_wake_fn = drain_wake;
	drained = (totals_t){0};
	full_wakes = 0;
	r->wake_at = r->head + LK_RING_EVENTS; /* no half-full hook on the next push */
	lk_event_t ev = {.size = 1, .stack_id = 1, .op = LK_EV_ALLOC};
	assert_true(lk_ring_push_to(r, &ev));
	assert_int_equal(full_wakes, 1);
	assert_int_equal(drained.events, LK_RING_EVENTS);
	assert_int_equal(lk_ring_dropped(), dropped0);
	lk_ring_wake_fn = NULL;
	lk_ring_drain(sum_event, &t);
	lk_ring_release(r);
}

/* The rule for draining in place: the process used (nearly) all its processors. */
static void test_cores_busy_rule(void **state)
{
	(void)state;
	const uint64_t ms = 1000000;
	assert_false(lk_ring_cores_busy(10 * ms, 10 * ms, 2)); /* one busy thread of two cores */
	assert_false(lk_ring_cores_busy(14 * ms, 10 * ms, 2));
	assert_true(lk_ring_cores_busy(15 * ms, 10 * ms, 2));
	assert_true(lk_ring_cores_busy(20 * ms, 10 * ms, 2));
	assert_true(lk_ring_cores_busy(5 * ms, 10 * ms, 1));
	assert_false(lk_ring_cores_busy(4 * ms, 10 * ms, 1));
	assert_false(lk_ring_cores_busy(80 * ms, 10 * ms, 16));
	assert_false(lk_ring_cores_busy(20 * ms, 10 * ms, 0)); /* processors unknown */
	assert_false(lk_ring_cores_busy(20 * ms, 0, 2));
}

/* The other rule: the process's threads were preempted once per 10 ms or more. */
static void test_preempted_rule(void **state)
{
	(void)state;
	const uint64_t ms = 1000000;
	assert_false(lk_ring_preempted_often(0, 10 * ms));
	assert_true(lk_ring_preempted_often(1, 10 * ms));
	assert_false(lk_ring_preempted_often(1, 30 * ms)); /* the check ran late: a rate */
	assert_true(lk_ring_preempted_often(3, 30 * ms));
	assert_false(lk_ring_preempted_often(0, 0));
}

static void *one_event_thread(void *arg)
{
	(void)arg;
	lk_ring_push(LK_EV_ALLOC, 7, 7);
	return NULL;
}

static void test_thread_churn_reuses_rings(void **state)
{
	(void)state;
	totals_t t = {0};
	lk_ring_drain(sum_event, &t);
	size_t before = lk_ring_count();
	for (int i = 0; i < 200; i++) {
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, one_event_thread, NULL), 0);
		pthread_join(th, NULL);
	}
	/* Each exiting thread released its ring; the next one took it over. */
	assert_true(lk_ring_count() <= before + 1);
	t = (totals_t){0};
	lk_ring_drain(sum_event, &t);
	assert_int_equal(t.events, 200);
	assert_int_equal(t.bytes, 1400);
}

int main(void)
{
	lk_ring_init();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_thread_fifo),
	    cmocka_unit_test(test_concurrent_producers_exact_totals),
	    cmocka_unit_test(test_full_ring_drops_are_counted),
	    cmocka_unit_test(test_half_full_wakes_writer),
	    cmocka_unit_test(test_timed_out_wait_is_not_repeated),
	    cmocka_unit_test(test_closed_ring_fails_at_once),
	    cmocka_unit_test(test_wake_hook_may_drain_in_place),
	    cmocka_unit_test(test_cores_busy_rule),
	    cmocka_unit_test(test_preempted_rule),
	    cmocka_unit_test(test_thread_churn_reuses_rings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
