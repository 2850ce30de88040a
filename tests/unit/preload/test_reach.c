/* SPDX-License-Identifier: MIT */
/* test_reach.c - preload/reach.c (roots) and reach_mark.c (marking): the exit-time
 * reachability scan over blocks put in the live-block table by hand. reach.c skips the module
 * it is linked into (libleak.so in real use, this test binary here), so dl_iterate_phdr is
 * wrapped (test_reach.ldflags) to make it skip libc instead and see this binary's globals as a
 * program's. A chain from a global through interior pointers is reachable; a block held only
 * by a local of this thread, or of a thread blocked in read(2), is reachable; a block whose
 * only pointer sits in untracked memory, and an unreferenced cycle, are not. Of the blocks not
 * reached, those another such block points to are leaked through it (TRACE_BLOCK_INDIRECT):
 * a lost chain's blocks after its head, a cycle's after its first. Flags of unknown pointers
 * and after release are 0. */
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "heap_table.h"
#include "reach_mark.h"
#include "real.h"
#include "reach.h"
#include "sys.h"
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
#define INDIRECT  (TRACE_BLOCK_SCANNED | TRACE_BLOCK_INDIRECT)

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

/* Scans until the scan is whole. A scan right after another can find a thread still leaving
 * the first one's signal handler, the stop signal masked: it is missed and the scan partial
 * (reach_stop.c), every block not reached then kept reachable. A process scans once, at its
 * final snapshot, so only back-to-back scans here meet it (a loaded machine makes it likely). */
static int scan_whole(void)
{
	for (int i = 0; i < 100; i++) {
		int r = lk_reach_scan();
		if (r != 0 || !lk_reach_summary()->partial)
			return r;
		lk_reach_release();
		usleep(10000);
	}
	return -1;
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

	assert_int_equal(scan_whole(), 0);
	assert_int_equal(lk_reach_flags(reveal(ad)), REACHABLE);
	assert_int_equal(lk_reach_flags(reveal(bd)), REACHABLE);
	assert_int_equal(lk_reach_flags(reveal(cd)), REACHABLE);
	assert_int_equal(lk_reach_flags(reveal(zd)), REACHABLE);
	assert_int_equal(lk_reach_flags((uintptr_t)local), REACHABLE);
	assert_int_equal(lk_reach_flags(reveal(thr)), REACHABLE);
	/* The cycle is leaked as a whole: its first block directly, the other through it. */
	uintptr_t lower = reveal(xa) < reveal(ya) ? reveal(xa) : reveal(ya);
	uintptr_t upper = reveal(xa) < reveal(ya) ? reveal(ya) : reveal(xa);
	assert_int_equal(lk_reach_flags(lower), SCANNED);
	assert_int_equal(lk_reach_flags(upper), INDIRECT);
	assert_int_equal(lk_reach_owner(upper), lower);
	assert_int_equal(lk_reach_owner(lower), 0);
	assert_int_equal(lk_reach_owner(reveal(ad)), 0); /* reachable */
	assert_int_equal(lk_reach_flags(reveal(hidden)), SCANNED);
	assert_int_equal(lk_reach_flags((uintptr_t)holder), 0); /* not in the table */
	lk_reach_release();
	assert_int_equal(lk_reach_flags(reveal(ad)), 0);

	/* Without the global, the chain is unreachable: its head is leaked directly, whatever
	 * the head leads to (an interior pointer to b, then c, and the zero-size block)
	 * through it, wherever they lie in memory. */
	g_root = NULL;
	assert_int_equal(scan_whole(), 0);
	assert_int_equal(lk_reach_flags(reveal(ad)), SCANNED);
	assert_int_equal(lk_reach_flags(reveal(bd)), INDIRECT);
	assert_int_equal(lk_reach_flags(reveal(cd)), INDIRECT);
	assert_int_equal(lk_reach_flags(reveal(zd)), INDIRECT);
	assert_int_equal(lk_reach_flags((uintptr_t)local), REACHABLE);
	/* Each leaked through the head, whatever order the walks met them in. */
	assert_int_equal(lk_reach_owner(reveal(bd)), reveal(ad));
	assert_int_equal(lk_reach_owner(reveal(cd)), reveal(ad));
	assert_int_equal(lk_reach_owner(reveal(zd)), reveal(ad));
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

/* A list of n blocks that nothing points to; only the head's address escapes, disguised. */
__attribute__((noinline)) static uintptr_t make_lost_list(int n)
{
	struct node *head = NULL;
	for (int i = 0; i < n; i++) {
		struct node *b = track(sizeof(struct node));
		b->next = head;
		head = b;
	}
	return (uintptr_t)head ^ 0x5555;
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
	/* Another list, leaked whole: its head directly, the 19,999 blocks one walk from the
	 * head meets through it. */
	uintptr_t head = make_lost_list(N);
	scrub_stack();
	assert_int_equal(scan_whole(), 0);
	assert_int_equal(lk_reach_flags(reveal(head)), SCANNED);
	size_t indirect = 0, held = 0;
	for (struct node *b = ((struct node *)reveal(head))->next; b; b = b->next) {
		indirect += lk_reach_flags((uintptr_t)b) == INDIRECT;
		held += lk_reach_owner((uintptr_t)b) == reveal(head);
	}
	assert_int_equal(indirect, N - 1);
	assert_int_equal(held, N - 1);
	lk_reach_release();
	for (struct node *b = (struct node *)reveal(head), *next; b; b = next) {
		next = b->next;
		untrack(b);
	}
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

struct seen {
	uintptr_t ptr[8];
	uint64_t size[8];
	uint32_t stack[8], flags[8];
	uintptr_t last; /* every block is checked for order, not only the first eight kept */
	size_t n;
	int sorted;
};

static void collect(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id, uint32_t flags,
                    uintptr_t owner)
{
	(void)owner;
	struct seen *s = arg;
	if (s->n && ptr <= s->last)
		s->sorted = 0;
	s->last = ptr;
	if (s->n < 8) {
		s->ptr[s->n] = ptr;
		s->size[s->n] = size;
		s->stack[s->n] = stack_id;
		s->flags[s->n] = flags;
	}
	s->n++;
}

/* A fresh anonymous mapping of len bytes, its address disguised as above. Each call takes
 * address space that nothing in this process used before (a GiB apart from 0x700000000000:
 * above far_block()'s TiB, below the kernel's mmap area): where the kernel places it,
 * earlier tests' thread stacks and mappings had been, and stale words pointing into them
 * stay in libc's data and in the callers' frames (1 run in 600 found one inside a block
 * that must stay unreached). */
static uintptr_t map_disguised(size_t len)
{
	static uintptr_t next = 0x700000000000;
	void *m = mmap((void *)next, len, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == MAP_FAILED) /* taken after all: anywhere */
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	next += ((len >> 30) + 1) << 30;
	return (uintptr_t)m ^ 0x5555;
}

struct packed_block {
	uintptr_t off; /* from the start of the mapping */
	uint64_t size;
	uint32_t stack;
};

/* Tracks the blocks at md's mapping; 0 points to 1, 1 to 3, a word in no block to 2, and
 * g_root to 0. Only disguised addresses outlive this frame. */
__attribute__((noinline)) static void make_packed(uintptr_t md, const struct packed_block *b,
                                                  size_t nb)
{
	char *m = (char *)reveal(md);
	for (size_t i = 0; i < nb; i++)
		assert_true(lk_heap_table_insert((uintptr_t)m + b[i].off, b[i].size, b[i].stack));
	uintptr_t p1 = (uintptr_t)m + b[1].off, p2 = (uintptr_t)m + b[2].off,
	          p3 = (uintptr_t)m + b[3].off;
	memcpy(m + b[0].off, &p1, sizeof(p1));
	memcpy(m + b[1].off + 64, &p3, sizeof(p3));
	memcpy(m + 16, &p2, sizeof(p2));
	g_root = m + b[0].off;
}

/* A block address far from any mapping, made afresh at each use: the test keeps no copy of
 * it, not even a disguised one (which would point into the block's 1 TiB). */
__attribute__((noinline)) static uintptr_t far_block(void)
{
	uintptr_t a = 0x600000000130;
	__asm__ volatile("" : "+r"(a));
	return a;
}

/* Scans as the writer's final snapshot does: this thread's stack from this frame up, so the
 * scan's own frames, which hold stale words from copying the table, are not roots. */
__attribute__((noinline)) static int scan_from_here(void)
{
	__builtin_unwind_init();
	lk_reach_stack_from = lk_reach_sp();
	int r = lk_reach_scan();
	lk_reach_stack_from = 0;
	return r;
}

/* The scan's copy packs a block into 12 bytes: sizes of 8 MiB and more go to a side array,
 * and an address that does not fit in 48 bits stops the scan rather than being cut. Blocks
 * come back in address order with their exact sizes and stack ids, and pointers into big
 * and unaligned blocks are followed. Addresses are kept disguised, as above. */
static void test_packed_copy(void **state)
{
	(void)state;
	size_t region = 32u << 20; /* untouched pages: reading them costs no memory */
	const uint64_t big = 8u << 20;
	/* A block that must stay unreached also starts off any round address. */
	uintptr_t md = map_disguised(region);
	const struct packed_block b[] = {
	    {48, 100, 0xabcdef},                  /* inline; g_root points to it */
	    {4096, big - 1, 7},                   /* largest inline size; block 0 holds it */
	    {(12u << 20) + 0x2a0, big, 0xffffff}, /* smallest side-array size; held by no block */
	    {1 + (21u << 20), big + 12345, 9},    /* unaligned, side array; block 1 holds it */
	};
	size_t nb = sizeof(b) / sizeof(b[0]);
	make_packed(md, b, nb);
	/* The largest size the table keeps, far from any mapping (and so below all of them):
	 * never reached, never read (it would take hours to skip 1 TiB of holes). */
	assert_true(lk_heap_table_insert(far_block(), LK_HEAP_MAX_SIZE, 3));
	scrub_stack();
	assert_int_equal(scan_from_here(), 0);
	struct seen s = {.sorted = 1};
	assert_int_equal(lk_reach_foreach(collect, &s), nb + 1);
	assert_int_equal(s.n, nb + 1);
	assert_true(s.sorted);
	assert_int_equal(s.ptr[0], far_block());
	assert_int_equal(s.size[0], LK_HEAP_MAX_SIZE);
	assert_int_equal(s.stack[0], 3);
	assert_int_equal(s.flags[0], SCANNED);
	for (size_t i = 0; i < nb; i++) {
		assert_int_equal(s.ptr[i + 1], reveal(md) + b[i].off);
		assert_int_equal(s.size[i + 1], b[i].size);
		assert_int_equal(s.stack[i + 1], b[i].stack);
	}
	assert_int_equal(s.flags[1], REACHABLE);
	assert_int_equal(s.flags[2], REACHABLE);
	assert_int_equal(s.flags[3], SCANNED);
	assert_int_equal(s.flags[4], REACHABLE);
	assert_int_equal(lk_reach_flags(reveal(md) + b[3].off), REACHABLE);
	lk_reach_release();
	memset(&s, 0, sizeof(s)); /* it holds far_block() */
	__asm__ volatile("" : : "r"(&s) : "memory");

	/* Above 2^48: the scan refuses, and runs again once that block is gone. */
	uintptr_t high = (uintptr_t)1 << 50;
	uint64_t size;
	uint32_t stack;
	assert_true(lk_heap_table_insert(high, 64, 1));
	assert_int_equal(scan_from_here(), -1);
	assert_int_equal(lk_reach_flags(reveal(md) + b[0].off), 0);
	assert_true(lk_heap_table_remove(high, &size, &stack));
	assert_int_equal(scan_from_here(), 0);
	assert_int_equal(lk_reach_flags(reveal(md) + b[0].off), REACHABLE);
	lk_reach_release();

	g_root = NULL;
	for (size_t i = 0; i < nb; i++)
		assert_true(lk_heap_table_remove(reveal(md) + b[i].off, &size, &stack));
	assert_true(lk_heap_table_remove(far_block(), &size, &stack));
	munmap((void *)reveal(md), region);
}

/* Fan-out over a dense heap: a root block points to the even ones of 64 adjacent 48-byte
 * blocks; each odd one, read with its neighbours as one range, points to a victim. */
#define DENSE 64
__attribute__((noinline)) static void make_dense(uintptr_t md)
{
	char *m = (char *)reveal(md);
	char *root = m + 60 * 1024;
	assert_true(lk_heap_table_insert((uintptr_t)root, DENSE / 2 * sizeof(void *), 1));
	for (size_t i = 0; i < DENSE; i++) {
		char *b = m + 64 * i, *victim = m + 32 * 1024 + 64 * i;
		assert_true(lk_heap_table_insert((uintptr_t)b, 48, 2));
		assert_true(lk_heap_table_insert((uintptr_t)victim, 48, 3));
		if (i % 2)
			memcpy(b + 8, &victim, sizeof(victim));
		else
			memcpy(root + i / 2 * sizeof(void *), &b, sizeof(b));
	}
	g_root = root;
}

/* Blocks read together are each scanned alone: the gaps between the reached blocks hold the
 * odd blocks, whose pointers must not count. */
static void test_dense_ranges(void **state)
{
	(void)state;
	uintptr_t md = map_disguised(64 * 1024);
	make_dense(md);
	scrub_stack();
	assert_int_equal(scan_from_here(), 0);
	for (size_t i = 0; i < DENSE; i++) {
		uintptr_t b = reveal(md) + 64 * i, victim = reveal(md) + 32 * 1024 + 64 * i;
		assert_int_equal(lk_reach_flags(b), i % 2 ? SCANNED : REACHABLE);
		/* An odd block's victim is leaked through it; an even one's, by itself. */
		assert_int_equal(lk_reach_flags(victim), i % 2 ? INDIRECT : SCANNED);
	}
	lk_reach_release();
	g_root = NULL;
	uint64_t size;
	uint32_t stack;
	for (size_t i = 0; i < DENSE; i++) {
		assert_true(lk_heap_table_remove(reveal(md) + 64 * i, &size, &stack));
		assert_true(lk_heap_table_remove(reveal(md) + 32 * 1024 + 64 * i, &size, &stack));
	}
	assert_true(lk_heap_table_remove(reveal(md) + 60 * 1024, &size, &stack));
	munmap((void *)reveal(md), 64 * 1024);
}

/* A tracked page whose block points to a 1 TiB block over nothing mapped; g_root points to
 * the page's block. */
__attribute__((noinline)) static void make_hole(uintptr_t md)
{
	char *m = (char *)reveal(md);
	uintptr_t far = far_block();
	assert_true(lk_heap_table_insert((uintptr_t)m, 64, 1));
	assert_true(lk_heap_table_insert(far, LK_HEAP_MAX_SIZE, 2));
	memcpy(m + 8, &far, sizeof(far));
	g_root = m;
}

/* A reached block over a hole (its pages gone: a program that unmapped part of it, a block
 * freed and unmapped during the scan) is skipped to the next mapping in one step, not page
 * by page, which would not end for hours. Run under a timeout (tests/run.sh). */
static void test_hole_block(void **state)
{
	(void)state;
	uintptr_t md = map_disguised(4096);
	make_hole(md);
	scrub_stack();
	assert_int_equal(scan_from_here(), 0);
	assert_int_equal(lk_reach_flags(reveal(md)), REACHABLE);
	assert_int_equal(lk_reach_flags(far_block()), REACHABLE);
	lk_reach_release();
	g_root = NULL;
	uint64_t size;
	uint32_t stack;
	assert_true(lk_heap_table_remove(reveal(md), &size, &stack));
	assert_true(lk_heap_table_remove(far_block(), &size, &stack));
	munmap((void *)reveal(md), 4096);
}

/* The sort of the copy (lk_reach_msd): 200,000 blocks in runs 16 bytes apart (buckets that
 * share their upper digits, some of a single element, some over the insertion cut), the runs
 * at random offsets across 2^35 bytes of unmapped space, inserted in shuffled order: every one
 * comes back, in address order, scanned and (nothing points to them) not reached. */
static void test_sort_many(void **state)
{
	(void)state;
	enum { RUNS = 2000, MAXRUN = 200 };
	uintptr_t *addr = malloc(RUNS * MAXRUN * sizeof(*addr));
	assert_non_null(addr);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t n = 0;
	for (size_t r = 0; r < RUNS; r++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uintptr_t base =
		    0x500000000000ull + r * (1ull << 24) + ((x >> 20) % (1u << 20)) * 16;
		size_t len = (size_t)(x >> 50) % MAXRUN + 1;
		for (size_t k = 0; k < len; k++)
			addr[n++] = (base + k * 16) ^ 0x5555; /* disguised: the array is a root */
	}
	for (size_t i = n - 1; i > 0; i--) { /* shuffle */
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		size_t j = (size_t)(x >> 33) % (i + 1);
		uintptr_t t = addr[i];
		addr[i] = addr[j];
		addr[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		assert_true(lk_heap_table_insert(reveal(addr[i]), 16, 5));
	assert_int_equal(scan_from_here(), 0);
	struct seen s = {.sorted = 1};
	assert_true(lk_reach_foreach(collect, &s) >= n);
	assert_true(s.sorted);
	for (size_t i = 0; i < n; i += 997)
		assert_int_equal(lk_reach_flags(reveal(addr[i])), SCANNED);
	lk_reach_release();
	for (size_t i = 0; i < n; i++) {
		uint64_t size;
		uint32_t stack;
		lk_heap_table_remove(reveal(addr[i]), &size, &stack);
	}
	free(addr);
}

/* The sort on two threads (reach_mark.c) gives the serial sort's copy, so the same verdicts:
 * 150 k real blocks in a random graph (each points to another; a tenth hang from a root, and
 * the marking follows the paths from them) and 200 k unreached blocks spread over 32 GiB of address
 * space (several levels of buckets), scanned once by one thread and once with the helper. */
struct verdicts {
	uintptr_t *ptr;
	uint32_t *flags, *stack;
	size_t n;
	int sorted;
};

static void keep_verdict(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id, uint32_t flags,
                         uintptr_t owner)
{
	(void)size, (void)owner;
	struct verdicts *v = arg;
	if (v->n && ptr <= v->ptr[v->n - 1])
		v->sorted = 0;
	v->ptr[v->n] = ptr;
	v->stack[v->n] = stack_id;
	v->flags[v->n++] = flags;
}

static void scan_verdicts(struct verdicts *v, size_t cap)
{
	v->ptr = malloc(cap * sizeof(*v->ptr));
	v->flags = malloc(cap * sizeof(*v->flags));
	v->stack = malloc(cap * sizeof(*v->stack));
	assert_true(v->ptr && v->flags && v->stack);
	v->n = 0;
	v->sorted = 1;
	assert_int_equal(scan_from_here(), 0);
	size_t n = lk_reach_foreach(keep_verdict, v);
	assert_int_equal(n, v->n);
	lk_reach_release();
}

static void test_sort_parallel(void **state)
{
	(void)state;
	enum { REAL = 150000, FAKE_RUNS = 2000, MAXRUN = 200 };
	uintptr_t *blk = malloc(REAL * sizeof(*blk)); /* disguised: the array is a root */
	uintptr_t *fake = malloc(FAKE_RUNS * MAXRUN * sizeof(*fake));
	assert_true(blk && fake);
	uint64_t x = 0x2545f4914f6cdd1dull;
	for (size_t i = 0; i < REAL; i++)
		blk[i] = (uintptr_t)track(32 + (i % 5) * 16) ^ 0x5555;
	for (size_t i = 0; i < REAL; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		*(uintptr_t *)reveal(blk[i]) = reveal(blk[(x >> 33) % REAL]);
	}
	uintptr_t *holder = track(REAL / 10 * sizeof(uintptr_t));
	for (size_t i = 0; i < REAL / 10; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		holder[i] = reveal(blk[(x >> 33) % REAL]);
	}
	g_root = holder;
	size_t nf = 0;
	for (size_t r = 0; r < FAKE_RUNS; r++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uintptr_t base =
		    0x500000000000ull + r * (1ull << 24) + ((x >> 20) % (1u << 20)) * 16;
		size_t len = (size_t)(x >> 50) % MAXRUN + 1;
		for (size_t k = 0; k < len; k++) {
			fake[nf] = (base + k * 16) ^ 0x5555; /* disguised: the array is a root */
			assert_true(lk_heap_table_insert(reveal(fake[nf]), 16, 7));
			nf++;
		}
	}
	size_t cap = lk_heap_table_count();
	lk_reach_may_thread = 1;
	struct verdicts one, two;
	lk_reach_par_min = SIZE_MAX;
	unsigned runs = lk_reach_par_runs;
	scan_verdicts(&one, cap);
	assert_int_equal(lk_reach_par_runs, runs);
	__typeof__(lk_real.pthread_create) create = lk_real.pthread_create;
	__typeof__(lk_real.pthread_timedjoin_np) join = lk_real.pthread_timedjoin_np;
	lk_real.pthread_create = pthread_create;
	lk_real.pthread_timedjoin_np = pthread_timedjoin_np;
	lk_reach_par_min = 1;
	scan_verdicts(&two, cap);
	if (lk_sys_ncpu() >= 2)
		assert_int_equal(lk_reach_par_runs, runs + 1);
	else
		print_message("one processor: the sort stays on one thread\n");
	lk_real.pthread_create = create;
	lk_real.pthread_timedjoin_np = join;
	lk_reach_par_min = 128u * 1024;
	lk_reach_may_thread = 0;
	assert_int_equal(one.n, cap);
	assert_int_equal(two.n, cap);
	assert_true(one.sorted);
	assert_true(two.sorted);
	size_t reached = 0;
	for (size_t i = 0; i < cap; i++) {
		assert_int_equal(one.ptr[i], two.ptr[i]);
		assert_int_equal(one.flags[i], two.flags[i]);
		assert_int_equal(one.stack[i], two.stack[i]);
		reached += (one.flags[i] & TRACE_BLOCK_REACHABLE) != 0;
	}
	/* The holder and the blocks its roots reach, none of the fakes. */
	print_message("%zu of %zu blocks reached\n", reached, cap);
	assert_true(reached > REAL / 10 && reached <= REAL + 1);
	g_root = NULL;
	struct verdicts *vs[] = {&one, &two};
	for (int k = 0; k < 2; k++) {
		free(vs[k]->ptr);
		free(vs[k]->flags);
		free(vs[k]->stack);
	}
	for (size_t i = 0; i < nf; i++) {
		uint64_t size;
		uint32_t stack;
		lk_heap_table_remove(reveal(fake[i]), &size, &stack);
	}
	for (size_t i = 0; i < REAL; i++)
		untrack((void *)reveal(blk[i]));
	untrack(holder);
	free(blk);
	free(fake);
	assert_int_equal(lk_heap_table_count(), 0);
}

/* The scan's copy of the blocks (lk_sys_mmap_huge): 2 MiB aligned, noted as libleak's own (no
 * root), and advised for transparent huge pages ("hg" in its VmFlags) where the kernel has
 * them for madvised memory. Under 2 MiB: an ordinary mapping. */
static void own_find(void *arg, uintptr_t start, size_t len)
{
	uintptr_t *want = arg;
	if (start == want[0] && len == want[1])
		want[2] = 1;
}

static int vma_flag(uintptr_t addr, const char *flag)
{
	static char buf[1 << 20];
	long n = lk_sys_read_file("/proc/self/smaps", buf, sizeof(buf));
	assert_true(n > 0);
	int in = 0;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2)
			in = addr >= s && addr < e;
		else if (in && !strncmp(line, "VmFlags:", 8))
			return strstr(line, flag) != NULL;
		line = nl ? nl + 1 : NULL;
	}
	return -1;
}

static void test_huge_map(void **state)
{
	(void)state;
	size_t n = (5u << 20) + 100;
	uint8_t *p = lk_sys_mmap_huge(n);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p & ((2u << 20) - 1), 0);
	memset(p, 0xa5, n);
	uintptr_t want[3] = {(uintptr_t)p, (n + 4095) & ~(size_t)4095, 0};
	lk_sys_own_foreach(own_find, want);
	assert_int_equal(want[2], 1);
	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = 0;
		fclose(f);
	}
	if (strstr(mode, "[madvise]"))
		assert_int_equal(vma_flag((uintptr_t)p, " hg"), 1);
	else
		print_message("transparent huge pages not in madvise mode (%s): hint not checked\n",
		              mode);
	lk_sys_munmap(p, n);
	uint8_t *q = lk_sys_mmap_huge(4096);
	assert_non_null(q);
	q[4095] = 1;
	lk_sys_munmap(q, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reach),         cmocka_unit_test(test_long_list),
	    cmocka_unit_test(test_interior),      cmocka_unit_test(test_packed_copy),
	    cmocka_unit_test(test_dense_ranges),  cmocka_unit_test(test_hole_block),
	    cmocka_unit_test(test_sort_many),     cmocka_unit_test(test_huge_map),
	    cmocka_unit_test(test_sort_parallel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
