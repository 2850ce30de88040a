/* SPDX-License-Identifier: MIT */
/* fault_alloc_loop.c - a steady allocator for the fault tests: every round allocates from
 * 64 recursion depths x 3 call sites (so about 200 distinct stacks change at every
 * snapshot and the trace keeps growing), keeps one block in eight, and sleeps 2 ms.
 *   fault_alloc_loop ROUNDS   run ROUNDS rounds, print a checksum, exit 0
 *   fault_alloc_loop forever  run until killed (the SIGKILL test)
 * Output depends only on ROUNDS. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_KEEP 200000

static void *kept[MAX_KEEP];
static size_t n_kept;
static uint64_t checksum;

static void keep_or_free(void *p, size_t size)
{
	if (!p)
		return;
	memset(p, (int)(size & 0xff), size < 16 ? size : 16);
	checksum = checksum * 31 + size;
	if (size % 8 == 0 && n_kept < MAX_KEEP)
		kept[n_kept++] = p;
	else
		free(p);
}

static void __attribute__((noinline)) site_a(int d)
{
	keep_or_free(malloc(16 + (size_t)d), 16 + (size_t)d);
}

static void __attribute__((noinline)) site_b(int d)
{
	keep_or_free(calloc(1, 24 + (size_t)d * 2), 24 + (size_t)d * 2);
}

static void __attribute__((noinline)) site_c(int d)
{
	char *p = malloc(8);

	p = realloc(p, 40 + (size_t)d * 3);
	keep_or_free(p, 40 + (size_t)d * 3);
}

/* Each depth is a different stack for the three sites below it. */
static void __attribute__((noinline)) descend(int d, int target)
{
	if (d < target) {
		descend(d + 1, target);
		__asm__ volatile("" ::: "memory"); /* no tail call: keep the frame */
		return;
	}
	site_a(d);
	site_b(d);
	site_c(d);
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 && strcmp(argv[1], "forever") != 0 ? atol(argv[1]) : -1;
	struct timespec pause = {0, 2000000};

	for (long r = 0; rounds < 0 || r < rounds; r++) {
		for (int d = 0; d < 64; d++)
			descend(0, d);
		nanosleep(&pause, NULL);
	}
	printf("rounds %ld, kept %zu blocks, checksum %llu\n", rounds, n_kept,
	       (unsigned long long)checksum);
	for (size_t i = 0; i < n_kept; i++)
		free(kept[i]);
	return 0;
}
