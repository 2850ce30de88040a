/* SPDX-License-Identifier: MIT */
/* test_spin.c - preload/spin.h: the tables' spinlock. Mutual exclusion between threads
 * incrementing one counter under it, and a waiter behind a holder that does not run (here:
 * sleeps 300 ms holding the lock, as a preempted holder would) gives its processor up instead
 * of spinning the whole time, yet takes the lock once it is released. */
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

/* The waiting thread's voluntary context switches: each nap is one; spinning and
 * sched_yield() are none (a yielding thread stays runnable). */
static long thread_sleeps(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

static long waiter_sleeps;
static int waiter_started;

static void *waiter(void *arg)
{
	(void)arg;
	long s0 = thread_sleeps();
	__atomic_store_n(&waiter_started, 1, __ATOMIC_RELEASE);
	lk_spin_lock(&lock_word);
	waiter_sleeps = thread_sleeps() - s0;
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
	struct timespec held = {0, 300000000};
	nanosleep(&held, NULL);
	assert_int_equal(counter, 0); /* still excluded */
	lk_spin_unlock(&lock_word);
	pthread_join(t, NULL);
	assert_int_equal(counter, 1);
	/* It slept while the holder held on: a nap of 50 us at a time, so thousands of them in
	 * 300 ms on an idle machine and still dozens on one loaded enough to stretch each nap to
	 * milliseconds. A waiter that spins or only yields sleeps not once. (Not its CPU time:
	 * that measured the machine's load as much as the lock, and failed in CI at load 13.) */
	assert_true(waiter_sleeps >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mutual_exclusion),
	    cmocka_unit_test(test_waiter_behind_stalled_holder_sleeps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
