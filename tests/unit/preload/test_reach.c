/* test_reach.c - preload/reach.c: the exit-time reachability scan over blocks put in the
 * live-block table by hand. reach.c skips the module it is linked into (libleak.so in real
 * use, this test binary here), so dl_iterate_phdr is wrapped (test_reach.ldflags) to make it
 * skip libc instead and see this binary's globals as a program's. A chain from a global
 * through interior pointers is reachable; a block held only by a
 * local of this thread, or of a thread blocked in read(2), is reachable; a block whose only
 * pointer sits in untracked memory, and an unreferenced cycle, are not. Flags of unknown
 * pointers and after release are 0. */
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "heap_table.h"
#include "reach.h"
#include "trace_format.h"

/* reach.c passes an address inside the module to skip as the callback's data. */
int __real_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data);
int __wrap_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data);
int __wrap_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data)
{
	(void)data;
	return __real_dl_iterate_phdr(cb, (void *)(uintptr_t)&memcpy);
}

static void *volatile g_root;

/* The real address behind a disguised one, computed afresh at each use so the compiler cannot
 * keep it in a callee-saved register (where the scan would find it). */
__attribute__((noinline)) static uintptr_t reveal(uintptr_t d)
{
	__asm__ volatile("" : "+r"(d));
	return d ^ 0x5555;
}

#define SCANNED   TRACE_BLOCK_SCANNED
#define REACHABLE (TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE)

struct node {
	void *next;
	char pad[40];
};

static void *track(size_t size)
{
	void *p = calloc(1, size);
	assert_non_null(p);
	assert_true(lk_heap_table_insert((uintptr_t)p, size, 1));
	return p;
}

static void untrack(void *p)
{
	uint64_t size;
	uint32_t stack;
	lk_heap_table_remove((uintptr_t)p, &size, &stack);
	free(p);
}

/* Makes a block whose only pointer is stored in untracked memory, from a frame that is gone
 * when the scan runs. */
__attribute__((noinline)) static void make_hidden(void **holder, uintptr_t *disguised)
{
	*holder = track(64);
	*disguised = (uintptr_t)*holder ^ 0x5555;
	__asm__ volatile("" : : "r"(holder) : "memory");
}

/* The chain from g_root; only disguised copies of the addresses escape. */
__attribute__((noinline)) static void make_chain(uintptr_t *ad, uintptr_t *bd, uintptr_t *cd,
                                                 uintptr_t *zd)
{
	struct node *a = track(sizeof(struct node)), *b = track(sizeof(struct node)),
	            *c = track(sizeof(struct node));
	void *zero = track(0);
	a->next = (char *)b + 8;
	memcpy(a->pad + 8, &zero, sizeof(zero));
	b->next = c;
	g_root = a;
	*ad = (uintptr_t)a ^ 0x5555;
	*bd = (uintptr_t)b ^ 0x5555;
	*cd = (uintptr_t)c ^ 0x5555;
	*zd = (uintptr_t)zero ^ 0x5555;
}

/* Two blocks pointing at each other; only disguised copies of their addresses escape. */
__attribute__((noinline)) static void make_cycle(uintptr_t *xa, uintptr_t *ya)
{
	struct node *x = track(sizeof(struct node)), *y = track(sizeof(struct node));
	x->next = y;
	y->next = x;
	*xa = (uintptr_t)x ^ 0x5555;
	*ya = (uintptr_t)y ^ 0x5555;
}

/* Overwrites the dead stack below the caller, where make_hidden's frame was. */
__attribute__((noinline)) static void scrub_stack(void)
{
	volatile char buf[8192];
	memset((char *)buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

struct blocked {
	int fds[2];
	void *volatile block;
	volatile int ready;
};

/* Holds its block in a local and sits in read(2) until the test writes to the pipe. */
static void *blocked_thread(void *arg)
{
	struct blocked *b = arg;
	void *volatile mine = track(48);
	b->block = mine;
	b->ready = 1;
	char c;
	while (read(b->fds[0], &c, 1) < 0 && errno == EINTR)
		;
	__asm__ volatile("" : : "r"(mine) : "memory");
	return NULL;
}

static void test_reach(void **state)
{
	(void)state;
	/* Chain: global -> a -> (interior) b -> c, and a zero-size block referenced from a. */
	uintptr_t ad, bd, cd, zd;
	make_chain(&ad, &bd, &cd, &zd);
	/* A cycle nothing points to. */
	uintptr_t xa, ya;
	make_cycle(&xa, &ya);
	/* Only in untracked memory. */
	void **holder = malloc(sizeof(void *));
	assert_non_null(holder);
	uintptr_t hidden;
	make_hidden(holder, &hidden);
	/* Only in a local of this thread. */
	void *volatile local = track(32);
	/* Only in a local of a thread blocked in read(2). */
	struct blocked bl = {0};
	assert_int_equal(pipe(bl.fds), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, blocked_thread, &bl), 0);
	while (!bl.ready)
		usleep(1000);
	usleep(50000); /* let it enter read(2) */
	uintptr_t thr = (uintptr_t)bl.block ^ 0x5555;
	bl.block = NULL;
	scrub_stack();

	assert_int_equal(lk_reach_scan(), 0);
	assert_int_equal(lk_reach_flags(reveal(ad)), REACHABLE);
	assert_int_equal(lk_reach_flags(reveal(bd)), REACHABLE);
	assert_int_equal(lk_reach_flags(reveal(cd)), REACHABLE);
	assert_int_equal(lk_reach_flags(reveal(zd)), REACHABLE);
	assert_int_equal(lk_reach_flags((uintptr_t)local), REACHABLE);
	assert_int_equal(lk_reach_flags(reveal(thr)), REACHABLE);
	assert_int_equal(lk_reach_flags(reveal(xa)), SCANNED);
	assert_int_equal(lk_reach_flags(reveal(ya)), SCANNED);
	assert_int_equal(lk_reach_flags(reveal(hidden)), SCANNED);
	assert_int_equal(lk_reach_flags((uintptr_t)holder), 0); /* not in the table */
	lk_reach_release();
	assert_int_equal(lk_reach_flags(reveal(ad)), 0);

	/* Without the global, the chain is unreachable. */
	g_root = NULL;
	assert_int_equal(lk_reach_scan(), 0);
	assert_int_equal(lk_reach_flags(reveal(ad)), SCANNED);
	assert_int_equal(lk_reach_flags(reveal(cd)), SCANNED);
	lk_reach_release();

	assert_int_equal(write(bl.fds[1], "x", 1), 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	untrack((void *)reveal(ad));
	untrack((void *)reveal(bd));
	untrack((void *)reveal(cd));
	untrack((void *)reveal(zd));
	untrack((void *)local);
	untrack((void *)reveal(xa));
	untrack((void *)reveal(ya));
	untrack((void *)reveal(hidden));
	untrack((void *)reveal(thr));
	free(holder);
	close(bl.fds[0]);
	close(bl.fds[1]);
	assert_int_equal(lk_heap_table_count(), 0);
}

/* Many blocks in a long list from one root: the mark stack and the sort handle it. */
static void test_long_list(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct node **all = malloc(N * sizeof(*all));
	assert_non_null(all);
	for (int i = 0; i < N; i++)
		all[i] = track(sizeof(struct node));
	for (int i = 0; i + 1 < N; i++)
		all[i]->next = all[i + 1];
	g_root = all[0];
	uintptr_t last = (uintptr_t)all[N - 1];
	assert_int_equal(lk_reach_scan(), 0);
	assert_int_equal(lk_reach_flags(last), REACHABLE);
	assert_int_equal(lk_reach_flags((uintptr_t)all[N / 2]), REACHABLE);
	lk_reach_release();
	g_root = NULL;
	for (int i = 0; i < N; i++)
		untrack(all[i]);
	free(all);
}

/* Interior pointers count, except into a block's last 8 bytes (where glibc's pointer to the
 * next chunk lands). */
static void test_interior(void **state)
{
	(void)state;
	uintptr_t wd = (uintptr_t)track(100) ^ 0x5555; /* no plain copy stays in this frame */
	g_root = (char *)reveal(wd) + 50;
	assert_int_equal(lk_reach_scan(), 0);
	assert_int_equal(lk_reach_flags(reveal(wd)), REACHABLE);
	lk_reach_release();
	g_root = (char *)reveal(wd) + 95;
	assert_int_equal(lk_reach_scan(), 0);
	assert_int_equal(lk_reach_flags(reveal(wd)), SCANNED);
	lk_reach_release();
	g_root = (char *)reveal(wd); /* the start always counts */
	assert_int_equal(lk_reach_scan(), 0);
	assert_int_equal(lk_reach_flags(reveal(wd)), REACHABLE);
	lk_reach_release();
	g_root = NULL;
	untrack((void *)reveal(wd));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reach),
	    cmocka_unit_test(test_long_list),
	    cmocka_unit_test(test_interior),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
