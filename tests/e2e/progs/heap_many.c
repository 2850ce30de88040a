/* SPDX-License-Identifier: MIT */
/* heap_many.c - a heap of many live blocks at exit: LEAKED blocks of 24 bytes whose pointers
 * are dropped (leaks, at lose_block) and KEPT blocks of 40 bytes held by a global array
 * (reachable, at keep_block). Their BLOCK records fill several chunks of the final snapshot.
 * Usage: heap_many LEAKED KEPT. */
#include <stdlib.h>
#include <string.h>

static void **kept;
static void *volatile sink;

__attribute__((noinline)) static void lose_block(void)
{
	char *p = malloc(24);
	if (!p)
		exit(1);
	memset(p, 0, 24);
	sink = p;
}

__attribute__((noinline)) static void keep_block(long i)
{
	kept[i] = malloc(40);
	if (!kept[i])
		exit(1);
	memset(kept[i], 0, 40);
}

int main(int argc, char **argv)
{
	long leaked = argc > 1 ? atol(argv[1]) : 1000, n = argc > 2 ? atol(argv[2]) : 1000;
	kept = calloc((size_t)n + 1, sizeof(void *));
	if (!kept)
		return 1;
	for (long i = 0; i < leaked || i < n; i++) {
		if (i < leaked)
			lose_block();
		if (i < n)
			keep_block(i);
	}
	sink = NULL;
	return 0;
}
