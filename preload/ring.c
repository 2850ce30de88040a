/* SPDX-License-Identifier: MIT */
/* ring.c - per-thread event ring between the interposers and the writer thread.
 * One producer (the owning thread), one consumer at a time (the writer thread, or the
 * producer itself under the writer's lock, see writer.c): two atomic indices, no lock on
 * the malloc path. Rings are mmap'd, registered on a push-only lock-free list and never
 * unmapped: a thread that exits releases its ring (in_use = 0) and the next new thread takes
 * it over, so thread churn does not grow memory. A full ring calls the wake hook (which may
 * drain it on the spot), waits for the writer (bounded, see ring.h), then counts a drop; the count
 * rides in every snapshot so the report can say what was lost. */
#include "fork_hot.h"
#include "ring.h"
#include "sys.h"

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Events a producer pushes between two wake-ups of the writer while its ring is over half full. */
#define LK_RING_WAKE_GAP (LK_RING_EVENTS / 16)

static lk_ring_t *lk_ring_list;
static size_t lk_ring_n;
static __thread lk_ring_t *lk_ring_self __attribute__((tls_model("initial-exec")));

static pthread_key_t lk_ring_key;
static bool lk_ring_key_ok;

void (*lk_ring_wake_fn)(lk_ring_t *r, bool full);
void (*lk_ring_tick_fn)(void) LK_FORK_WARM; /* set anew in a forked child */
unsigned lk_ring_wait_limit = 40000;
int lk_ring_closed LK_FORK_HOT;

lk_ring_t *lk_ring_acquire(void)
{
	for (lk_ring_t *r = __atomic_load_n(&lk_ring_list, __ATOMIC_ACQUIRE); r; r = r->next) {
		int expect = 0;
		if (!__atomic_load_n(&r->in_use, __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&r->in_use, &expect, 1, false, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED))
			return r;
	}
	lk_ring_t *r = lk_sys_mmap(sizeof(lk_ring_t));
	if (!r)
		return NULL;
	r->in_use = 1;
	r->next = __atomic_load_n(&lk_ring_list, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&lk_ring_list, &r->next, r, true, __ATOMIC_RELEASE,
	                                    __ATOMIC_RELAXED))
		;
	__atomic_add_fetch(&lk_ring_n, 1, __ATOMIC_RELAXED);
	return r;
}

void lk_ring_release(lk_ring_t *r)
{
	/* Events still in it are drained by the writer later; the next owner appends. */
	__atomic_store_n(&r->in_use, 0, __ATOMIC_RELEASE);
}

bool lk_ring_push_to(lk_ring_t *r, const lk_event_t *ev)
{
	uint64_t head = r->head; /* only we write it */
	/* The consumer's tail lives on another cache line; reading it on every push would bounce
	 * that line between cores. The cached value is never ahead of the real one, so the ring
	 * can only look fuller than it is: re-read when it looks half full. */
	if (__builtin_expect(head - r->tail_cache >= LK_RING_EVENTS / 2, 0)) {
		uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		r->tail_cache = tail;
		/* Ask the writer to drain before we fill up, once per LK_RING_WAKE_GAP events:
		 * until it has caught up every push lands here, and a wake-up per push (a
		 * futex call each) cost more than the events themselves. */
		if (head - tail >= LK_RING_EVENTS / 2 && lk_ring_wake_fn &&
		    (int64_t)(head - r->wake_at) >= 0) {
			r->wake_at = head + LK_RING_WAKE_GAP;
			lk_ring_wake_fn(r, false);
			tail = r->tail_cache = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		}
		for (unsigned i = 0; head - tail >= LK_RING_EVENTS; i++) {
			if (__atomic_load_n(&lk_ring_closed, __ATOMIC_RELAXED))
				return false; /* after the final cut: nothing is lost */
			if (i >= lk_ring_wait_limit || r->gave_up == tail + 1) {
				r->gave_up = tail + 1; /* the writer is stuck: do not wait again */
				__atomic_add_fetch(&r->dropped, 1, __ATOMIC_RELAXED);
				return false;
			}
			if (lk_ring_wake_fn && (i & 15) == 0) {
				lk_ring_wake_fn(r, true);
				tail = r->tail_cache = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
				if (head - tail < LK_RING_EVENTS)
					break; /* drained here */
			}
			if (i < LK_RING_YIELDS) {
				sched_yield();
			} else {
				/* A raw call: glibc's nanosleep is a cancellation point. */
				struct timespec nap = {0, LK_RING_NAP_NS};
				syscall(SYS_nanosleep, &nap, NULL);
			}
			tail = r->tail_cache = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		}
	}
	r->ev[head & (LK_RING_EVENTS - 1)] = *ev;
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	if (__builtin_expect((head & (LK_RING_TICK - 1)) == 0, 0)) {
		void (*tick)(void) = __atomic_load_n(&lk_ring_tick_fn, __ATOMIC_RELAXED);
		if (tick)
			tick();
	}
	return true;
}

bool lk_ring_push(uint32_t op, uint32_t stack_id, uint64_t size)
{
	lk_ring_t *r = lk_ring_self;
	if (__builtin_expect(!r, 0)) {
		r = lk_ring_self = lk_ring_acquire();
		if (!r)
			return false;
		/* Registers the destructor for this thread; key < 32 so glibc does not allocate. */
		if (lk_ring_key_ok)
			pthread_setspecific(lk_ring_key, r);
	}
	lk_event_t ev = {.size = size, .stack_id = stack_id, .op = op};
	return lk_ring_push_to(r, &ev);
}

size_t lk_ring_drain_one(lk_ring_t *r, void (*fn)(void *arg, const lk_event_t *ev), void *arg)
{
	uint64_t tail = r->tail;
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	size_t n = (size_t)(head - tail);
	for (; tail != head; tail++)
		fn(arg, &r->ev[tail & (LK_RING_EVENTS - 1)]);
	__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
	return n;
}

size_t lk_ring_drain(void (*fn)(void *arg, const lk_event_t *ev), void *arg)
{
	size_t n = 0;
	for (lk_ring_t *r = __atomic_load_n(&lk_ring_list, __ATOMIC_ACQUIRE); r; r = r->next)
		n += lk_ring_drain_one(r, fn, arg);
	return n;
}

uint64_t lk_ring_dropped(void)
{
	uint64_t n = 0;
	for (lk_ring_t *r = __atomic_load_n(&lk_ring_list, __ATOMIC_ACQUIRE); r; r = r->next)
		n += __atomic_load_n(&r->dropped, __ATOMIC_RELAXED);
	return n;
}

size_t lk_ring_count(void)
{
	return __atomic_load_n(&lk_ring_n, __ATOMIC_RELAXED);
}

static void lk_ring_key_destructor(void *p)
{
	(void)p;
	lk_ring_thread_exit();
}

void lk_ring_init(void)
{
	lk_ring_key_ok = pthread_key_create(&lk_ring_key, lk_ring_key_destructor) == 0;
}

void lk_ring_thread_exit(void)
{
	lk_ring_t *r = lk_ring_self;
	if (r) {
		lk_ring_self = NULL;
		lk_ring_release(r);
	}
}

LK_FORK_TEXT void lk_ring_reset_after_fork(void)
{
	lk_ring_closed = 0;
	for (lk_ring_t *r = lk_ring_list; r; r = r->next) {
		r->head = r->tail = r->tail_cache = r->wake_at = r->gave_up = 0;
		r->dropped = 0;
		r->in_use = (r == lk_ring_self);
	}
}

static void lk_ring_discard(void *arg, const lk_event_t *ev)
{
	(void)arg;
	(void)ev;
}

void lk_ring_attach_reset(void)
{
	lk_ring_drain(lk_ring_discard, NULL);
	for (lk_ring_t *r = __atomic_load_n(&lk_ring_list, __ATOMIC_ACQUIRE); r; r = r->next) {
		__atomic_store_n(&r->dropped, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&r->gave_up, 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&lk_ring_closed, 0, __ATOMIC_RELEASE);
}
