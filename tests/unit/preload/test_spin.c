/* SPDX-License-Identifier: MIT */
/* test_spin.c - preload/spin.h: the tables' spinlock. Mutual exclusion between threads
 * incrementing one counter under it, and a waiter behind a holder that does not run (here:
 * sleeps 300 ms holding the lock, as a preempted holder would) gives its processor up instead
 * of spinning the whole time, yet takes the lock once it is released. Its cost is measured
 * against the time the lock was really held: on a loaded machine the holder's sleep overruns,
 * and the waiter naps more. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <cmocka.h>

#include "spin.h"

static int lock_word;
static uint64_t counter;

#define THREADS 4
#define ROUNDS  200000

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		lk_spin_lock(&lock_word);
		uint64_t v = counter; /* a separate load and store: lost updates show */
		__asm__ volatile("" ::: "memory");
		counter = v + 1;
		lk_spin_unlock(&lock_word);
	}
	return NULL;
}

static void test_mutual_exclusion(void **state)
{
	(void)state;
	pthread_t t[THREADS];
	counter = 0;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, adder, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(counter, (uint64_t)THREADS * ROUNDS);
	assert_int_equal(lock_word, 0);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t waiter_cpu_ns;
static long waiter_sleeps; /* voluntary context switches while it waited */
static int waiter_started;

static void *waiter(void *arg)
{
	(void)arg;
	struct rusage r0, r1;
	getrusage(RUSAGE_THREAD, &r0);
	uint64_t t0 = thread_cpu_ns();
	__atomic_store_n(&waiter_started, 1, __ATOMIC_RELEASE);
	lk_spin_lock(&lock_word);
	waiter_cpu_ns = thread_cpu_ns() - t0;
	getrusage(RUSAGE_THREAD, &r1);
	waiter_sleeps = r1.ru_nvcsw - r0.ru_nvcsw;
	counter++;
	lk_spin_unlock(&lock_word);
	return NULL;
}

static void test_waiter_behind_stalled_holder_sleeps(void **state)
{
	(void)state;
	counter = 0;
	lk_spin_lock(&lock_word);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, waiter, NULL), 0);
	while (!__atomic_load_n(&waiter_started, __ATOMIC_ACQUIRE))
		;
	uint64_t since = mono_ns();
	struct timespec held = {0, 300000000};
	nanosleep(&held, NULL);
	assert_int_equal(counter, 0); /* still excluded */
	uint64_t held_ns = mono_ns() - since;
	lk_spin_unlock(&lock_word);
	pthread_join(t, NULL);
	assert_int_equal(counter, 1);
	/* Spinning on would have cost about the time the lock was held (all of it on an idle
	 * machine) without one voluntary switch; yielding and napping costs the first 1024
	 * pauses and a system call per 50 us nap, each nap a voluntary switch: 10-45 ms of the
	 * 300 on the 2-core CI machine, loaded or not (500-1600 naps of some 20 us each). */
	assert_true(waiter_sleeps >= 10);
	assert_true(waiter_cpu_ns < held_ns / 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mutual_exclusion),
	    cmocka_unit_test(test_waiter_behind_stalled_holder_sleeps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
