/* SPDX-License-Identifier: MIT */
/* heap_free_all.c - uses every allocation function libleak interposes and frees every block,
 * including the less obvious frees: realloc(p, 0), realloc(NULL, n) as malloc, a block that
 * realloc moved, free(NULL). No stdio (glibc keeps stdout's buffer to the end), so nothing at
 * all is live at exit: the report must have no "leak" finding. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void *check(void *p)
{
	if (!p)
		abort();
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

NOINLINE void alloc_and_free_all(int round)
{
	void *p = NULL;
	free(check(malloc(100 + round)));
	free(check(calloc(3, 50)));
	char *r = check(realloc(NULL, 10));
	memset(r, 'x', 10);
	r = check(realloc(r, 20000)); /* moves */
	r = check(realloc(r, 8));     /* shrinks */
	if (realloc(r, 0) != NULL)    /* glibc: frees r, returns NULL */
		abort();
	free(check(reallocarray(NULL, 7, 9)));
	if (posix_memalign(&p, 32, 300) != 0)
		abort();
	free(check(p));
	free(check(aligned_alloc(64, 640)));
	free(check(memalign(128, 1000)));
	free(check(valloc(2000)));
	free(check(pvalloc(3000)));
	free(NULL);
}

int main(void)
{
	for (int i = 0; i < 200; i++)
		alloc_and_free_all(i);
	static const char msg[] = "freed everything\n";
	if (write(1, msg, sizeof(msg) - 1) < 0)
		return 1;
	return 0;
}
