/* SPDX-License-Identifier: MIT */
/* heap_inline.c - a leak whose malloc call sits two inlining levels deep:
 * inline_inner() is inlined into inline_middle(), which is inlined into outer_leaker()
 * (noinline). outer_leaker() leaks 3 blocks of 4321 bytes. The report's stack must show all
 * three functions, innermost first, with the first two marked inlined and each at the line of
 * its own call (the lines marked LINE-<name> below). */
#include <stdlib.h>
#include <string.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))

static volatile int opaque_one = 1;

ALWAYS_INLINE void *inline_inner(size_t n)
{
	void *p = malloc(n); /* LINE-inline_inner */
	if (!p)
		abort();
	return p;
}

ALWAYS_INLINE void *inline_middle(size_t n)
{
	void *p = inline_inner(n + 21); /* LINE-inline_middle */
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

__attribute__((noinline)) void outer_leaker(void)
{
	for (int i = 0; i < 3 * opaque_one; i++)
		inline_middle(4300); /* LINE-outer_leaker */
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
	outer_leaker();
	scrub_stack();
	return 0;
}
