/* SPDX-License-Identifier: MIT */
/* interpose_thread.c - pthread_create/join/tryjoin/timedjoin/detach/exit, feeding the thread
 * half of proc_table.c. A created thread runs a trampoline that records its kernel tid and
 * marks it finished when the start routine returns or the thread exits early (pthread_exit,
 * cancellation: a cleanup handler). The trampoline's {routine, argument, slot} comes from a
 * fixed mmap'd pool, not malloc, and is released as soon as the new thread has read it.
 * libleak's writer thread is created with the guard held (and through lk_real), so it is
 * never recorded. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "attach.h"
#include "hook.h"
#include "node.h"
#include "proc_table.h"
#include "stack.h"
#include "sys.h"
#include "writer.h"

typedef struct {
	void *(*start)(void *);
	void *arg;
	int slot;
	unsigned gen; /* lk_attach_gen when it was made: a slot of that window's table */
	volatile int used;
} lk_tramp_t;

#define LK_TRAMP_MAX 4096

static lk_tramp_t *lk_tramps;
static volatile int lk_tramps_state; /* 0 none, 1 mapping, 2 ready, 3 failed */
static unsigned lk_tramp_next;

/* The table slot of the calling thread + 1 (0: not a recorded thread). */
static __thread int lk_thread_slot1 __attribute__((tls_model("initial-exec")));
/* The attach window (attach.h) whose table holds that slot: a thread made in one window and
 * ending in a later one must not mark a slot of the new table. Always 0 when preloaded. */
static __thread unsigned lk_thread_gen __attribute__((tls_model("initial-exec")));

static int lk_tramps_ready(void)
{
	int st = __atomic_load_n(&lk_tramps_state, __ATOMIC_ACQUIRE);
	if (st == 2)
		return 1;
	if (st == 3)
		return 0;
	int expected = 0;
	if (__atomic_compare_exchange_n(&lk_tramps_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
	                                __ATOMIC_ACQUIRE)) {
		void *p = mmap(NULL, sizeof(lk_tramp_t) * LK_TRAMP_MAX, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		lk_tramps = p == MAP_FAILED ? NULL : p;
		if (lk_tramps)
			lk_sys_note_own(p, sizeof(lk_tramp_t) * LK_TRAMP_MAX);
		__atomic_store_n(&lk_tramps_state, lk_tramps ? 2 : 3, __ATOMIC_RELEASE);
		return lk_tramps != NULL;
	}
	while ((st = __atomic_load_n(&lk_tramps_state, __ATOMIC_ACQUIRE)) == 1)
		__builtin_ia32_pause();
	return st == 2;
}

/* A free trampoline, or NULL when all LK_TRAMP_MAX are in flight (the thread then runs
 * unrecorded). */
static lk_tramp_t *lk_tramp_get(void)
{
	if (!lk_tramps_ready())
		return NULL;
	unsigned start = __atomic_fetch_add(&lk_tramp_next, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < LK_TRAMP_MAX; i++) {
		lk_tramp_t *t = &lk_tramps[(start + i) % LK_TRAMP_MAX];
		if (!__atomic_exchange_n(&t->used, 1, __ATOMIC_ACQUIRE))
			return t;
	}
	return NULL;
}

static void lk_tramp_put(lk_tramp_t *t)
{
	__atomic_store_n(&t->used, 0, __ATOMIC_RELEASE);
}

static void lk_thread_finished(void *unused)
{
	(void)unused;
	if (lk_thread_slot1 && lk_thread_gen == __atomic_load_n(&lk_attach_gen, __ATOMIC_ACQUIRE))
		lk_proc_thread_on_finish(lk_thread_slot1 - 1);
}

static void *lk_thread_tramp(void *p)
{
	lk_tramp_t *t = p;
	void *(*start)(void *) = t->start;
	void *arg = t->arg;
	int slot = t->slot;
	unsigned gen = t->gen;
	lk_tramp_put(t);
	if (gen == __atomic_load_n(&lk_attach_gen, __ATOMIC_ACQUIRE)) {
		lk_thread_slot1 = slot + 1;
		lk_thread_gen = gen;
		lk_proc_thread_on_start(slot, lk_sys_gettid(), pthread_self());
	}
	void *ret;
	/* Runs on return, pthread_exit and cancellation alike. */
	pthread_cleanup_push(lk_thread_finished, NULL);
	ret = start(arg);
	pthread_cleanup_pop(1);
	return ret;
}

LK_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*start)(void *),
                             void *arg)
{
	LK_REAL_OR(pthread_create, EAGAIN);
	if (!lk_guard_enter())
		return fn(th, attr, start, arg);
	int saved = errno;
	lk_node_restore_env();
	lk_proc_init();
	int ds = PTHREAD_CREATE_JOINABLE;
	if (attr && pthread_attr_getdetachstate(attr, &ds) != 0)
		ds = PTHREAD_CREATE_JOINABLE;
	/* The walk starts at this hook's frame: the program's first; errno is saved here. */
	uint32_t stack = lk_stack_capture_at(__builtin_frame_address(0));
	int slot = lk_proc_thread_reserve(stack, lk_now_ns(), ds == PTHREAD_CREATE_DETACHED);
	lk_tramp_t *t = slot >= 0 ? lk_tramp_get() : NULL;
	if (slot >= 0 && !t) {
		lk_proc_thread_cancel(slot);
		slot = -1;
	}
	errno = saved;
	/* The real call runs under the guard: what glibc allocates for the thread (its DTV)
	 * stays with glibc's stack cache after the thread ends, and is not the program's. */
	if (!t) {
		int rc = fn(th, attr, start, arg);
		if (rc == 0)
			lk_writer_program_threaded();
		lk_guard_leave();
		return rc;
	}
	t->start = start;
	t->arg = arg;
	t->slot = slot;
	t->gen = __atomic_load_n(&lk_attach_gen, __ATOMIC_ACQUIRE);
	unsigned gen = t->gen;
	int rc = fn(th, attr, lk_thread_tramp, t);
	if (rc == 0)
		lk_writer_program_threaded(); /* libleak's writer may start now */
	lk_guard_leave();
	if (rc != 0) {
		lk_tramp_put(t);
		lk_proc_thread_cancel(slot);
	} else if (gen == __atomic_load_n(&lk_attach_gen, __ATOMIC_ACQUIRE)) {
		lk_proc_thread_on_created(slot, *th);
	}
	return rc;
}

LK_EXPORT int pthread_join(pthread_t th, void **ret)
{
	LK_REAL_OR(pthread_join, ENOSYS);
	int rc = fn(th, ret);
	if (rc == 0)
		LK_RECORD(lk_proc_thread_on_join(th));
	return rc;
}

LK_EXPORT int pthread_tryjoin_np(pthread_t th, void **ret)
{
	LK_REAL_OR(pthread_tryjoin_np, ENOSYS);
	int rc = fn(th, ret);
	if (rc == 0)
		LK_RECORD(lk_proc_thread_on_join(th));
	return rc;
}

LK_EXPORT int pthread_timedjoin_np(pthread_t th, void **ret, const struct timespec *abstime)
{
	LK_REAL_OR(pthread_timedjoin_np, ENOSYS);
	int rc = fn(th, ret, abstime);
	if (rc == 0)
		LK_RECORD(lk_proc_thread_on_join(th));
	return rc;
}

LK_EXPORT int pthread_detach(pthread_t th)
{
	LK_REAL_OR(pthread_detach, ENOSYS);
	int rc = fn(th);
	if (rc == 0)
		LK_RECORD(lk_proc_thread_on_detach(th));
	return rc;
}

LK_EXPORT void pthread_exit(void *ret)
{
	lk_thread_finished(NULL);
	__typeof__(lk_real.pthread_exit) fn = LK_REAL(pthread_exit);
	if (fn)
		fn(ret);
	__builtin_unreachable();
}
