/* SPDX-License-Identifier: MIT */
/* sym_lk_names.c - a program whose own functions are named like libleak's (lk_*): lk_parse()
 * leaks 5 blocks of 777 bytes, called from lk_run(). libleak recognises its own frames by the
 * address range of its mapping, so the report must name lk_parse, then lk_run, then main. */
#include <stdlib.h>
#include <string.h>

static volatile int opaque_one = 1;

__attribute__((noinline)) void *lk_parse(size_t n)
{
	char *p = malloc(n);
	if (!p)
		abort();
	memset(p, 'x', n);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

__attribute__((noinline)) void lk_run(void)
{
	for (int i = 0; i < 5 * opaque_one; i++)
		lk_parse(777);
	__asm__ volatile("" : : : "memory");
}

/* Zeroes the dead stack below main, where malloc's and libleak's frames left copies of the
 * leaked pointers, so the reachability scan at exit finds no pointer to them ("leak"). */
__attribute__((noinline)) static void scrub_stack(void)
{
	char buf[256 * 1024];
	memset(buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

int main(void)
{
	lk_run();
	scrub_stack();
	return 0;
}
