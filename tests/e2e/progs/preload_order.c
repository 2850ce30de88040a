/* SPDX-License-Identifier: MIT */
/* preload_order.c - one 1000-byte block leaked from leak_one(), for the preload-order test:
 * whichever allocator is preloaded too, libleak must record it or say why it cannot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *volatile sink;

__attribute__((noinline)) static void leak_one(void)
{
	char *p = malloc(1000);
	memset(p, 1, 1000);
	sink = p;
	sink = NULL;
}

int main(void)
{
	leak_one();
	printf("done\n");
	return 0;
}
