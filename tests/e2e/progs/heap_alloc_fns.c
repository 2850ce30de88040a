/* SPDX-License-Identifier: MIT */
/* heap_alloc_fns.c - leaks through every C allocation function libleak interposes. Each
 * function leaks from its own noinline function with a block count and a block size no other
 * one uses, so test_heap_alloc_fns.sh can tie every finding to exactly one function:
 *
 *   leak_via_malloc          3 x 1000             leak_via_aligned_alloc  7 x 1408 (align 128)
 *   leak_via_calloc          4 x 10*110           leak_via_memalign       8 x 1500 (align 256)
 *   leak_via_realloc         1 x 5000 (16->100->5000)   leak_via_valloc   9 x 1600
 *   leak_via_reallocarray    5 x 12*100 (grown from 4*100)
 *   leak_via_posix_memalign  6 x 1300 (align 64) leak_via_pvalloc        2 x 1700 (a page each)
 *   leak_big_blocks         14 x 300000 (served by mmap)
 *   leak_after_failed_realloc 15 x 909 (realloc to an impossible size fails: the block stays)
 *
 * The pointers are dropped (never stored), so the blocks are unreachable at exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

/* Keeps the compiler from deleting an allocation whose result is otherwise unused. */
static inline void use(void *p)
{
	if (!p)
		abort();
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* A loop count the optimizer cannot see, so it cannot unroll the loop into several call
 * sites: each function's leaks then share one stack and show up as one finding. */
static volatile int opaque_one = 1;
static inline int times(int n)
{
	return n * opaque_one;
}

NOINLINE void leak_via_malloc(void)
{
	for (int i = 0; i < times(3); i++)
		use(malloc(1000));
}

NOINLINE void leak_via_calloc(void)
{
	for (int i = 0; i < times(4); i++)
		use(calloc(10, 110));
}

NOINLINE void leak_via_realloc(void)
{
	char *p = malloc(16);
	use(p);
	p = realloc(p, 100);
	use(p);
	p = realloc(p, 5000);
	use(p);
}

NOINLINE void leak_via_reallocarray(void)
{
	for (int i = 0; i < times(5); i++) {
		void *p = reallocarray(NULL, 4, 100);
		use(p);
		use(reallocarray(p, 12, 100));
	}
}

NOINLINE void leak_via_posix_memalign(void)
{
	for (int i = 0; i < times(6); i++) {
		void *p = NULL;
		if (posix_memalign(&p, 64, 1300) != 0)
			abort();
		use(p);
	}
}

NOINLINE void leak_via_aligned_alloc(void)
{
	for (int i = 0; i < times(7); i++)
		use(aligned_alloc(128, 1408));
}

NOINLINE void leak_via_memalign(void)
{
	for (int i = 0; i < times(8); i++)
		use(memalign(256, 1500));
}

NOINLINE void leak_via_valloc(void)
{
	for (int i = 0; i < times(9); i++)
		use(valloc(1600));
}

NOINLINE void leak_via_pvalloc(void)
{
	for (int i = 0; i < times(2); i++)
		use(pvalloc(1700));
}

NOINLINE void leak_big_blocks(void)
{
	for (int i = 0; i < times(14); i++)
		use(malloc(300000));
}

NOINLINE void leak_after_failed_realloc(void)
{
	for (int i = 0; i < times(15); i++) {
		char *p = malloc(909);
		use(p);
		if (realloc(p, PTRDIFF_MAX - 4096) != NULL)
			abort();
	}
}

/* Prints errno after a failed realloc and after a successful malloc and free: it must read
 * the same with and without the preload. Leaks nothing. */
NOINLINE void show_errno(void)
{
	char *p = malloc(16);
	use(p);
	errno = 0;
	if (realloc(p, PTRDIFF_MAX - 4096) != NULL)
		abort();
	int failed_errno = errno;
	errno = 1234;
	char *q = malloc(10);
	use(q);
	free(q);
	printf("errno %d after a failed realloc, %d after malloc+free\n", failed_errno, errno);
	free(p);
}

/* Zeroes the dead stack below main, where malloc's and libleak's frames left copies of the
 * leaked pointers, so a conservative reachability scan at exit cannot find them there and
 * every leaked block stays unreachable ("leak", not "reachable"). */
__attribute__((noinline)) static void scrub_stack(void)
{
	char buf[256 * 1024];
	memset(buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

int main(void)
{
	leak_via_malloc();
	leak_via_calloc();
	leak_via_realloc();
	leak_via_reallocarray();
	leak_via_posix_memalign();
	leak_via_aligned_alloc();
	leak_via_memalign();
	leak_via_valloc();
	leak_via_pvalloc();
	leak_big_blocks();
	leak_after_failed_realloc();
	show_errno();
	scrub_stack();
	puts("leaked");
	return 0;
}
