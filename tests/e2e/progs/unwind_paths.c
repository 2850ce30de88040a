/* SPDX-License-Identifier: MIT */
/* unwind_paths.c - many call paths to one allocation helper, for comparing stack walkers:
 * keep() is called from three callers, each reached through a recursion of chosen depth whose
 * levels have different frame shapes (a plain frame, a variable alloca that makes the compiler
 * address the frame from RBP, and loop state held in callee-saved registers, RBP among them
 * at -O2 without frame pointers). A fixed pseudo-random sequence picks the path and depth of
 * every allocation; most blocks are freed at once, every 61st is kept until exit. Two threads
 * run the same sequence. Every walker must attribute every block to the same stack.
 * Usage: unwind_paths [ITERATIONS] (default 200000 per thread). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int sink;
/* One slot per thread, so which blocks stay reachable at exit does not depend on timing. */
static void *volatile kept_sink[2];
static __thread int self;

__attribute__((noinline)) static void keep(size_t size, int leak)
{
	char *p = malloc(size);
	if (!p)
		exit(1);
	p[0] = (char)size;
	if (leak)
		kept_sink[self] = p; /* dropped on the thread's next leak: a real leak */
	else
		free(p);
}

__attribute__((noinline)) static void path_a(size_t size, int leak)
{
	keep(size, leak);
	sink++;
}

__attribute__((noinline)) static void path_b(size_t size, int leak)
{
	keep(size + 8, leak);
	sink += 2;
}

__attribute__((noinline)) static void path_c(size_t size, int leak)
{
	keep(size + 16, leak);
	sink += 3;
}

static void descend(int depth, int which, size_t size, int leak);

__attribute__((noinline)) static void level_alloca(int depth, int which, size_t size, int leak)
{
	char *buf = __builtin_alloca(16 + (size_t)(depth & 3) * 32);
	buf[0] = (char)depth;
	descend(depth - 1, which, size, leak);
	sink += buf[0];
}

__attribute__((noinline)) static void level_regs(int depth, int which, size_t size, int leak)
{
	int a = sink, b = a * 3, c = a ^ 5, d = a + 7, e = a - 11, f = a * a;
	descend(depth - 1, which, size, leak);
	sink += a + b * c + d * e + f;
}

__attribute__((noinline)) static void level_plain(int depth, int which, size_t size, int leak)
{
	volatile char pad[48];
	pad[depth & 31] = (char)depth;
	descend(depth - 1, which, size, leak);
	sink += pad[depth & 31];
}

__attribute__((noinline)) static void descend(int depth, int which, size_t size, int leak)
{
	if (depth <= 0) {
		if (which == 0)
			path_a(size, leak);
		else if (which == 1)
			path_b(size, leak);
		else
			path_c(size, leak);
		return;
	}
	switch ((depth + which) % 3) {
	case 0:
		level_alloca(depth, which, size, leak);
		break;
	case 1:
		level_regs(depth, which, size, leak);
		break;
	default:
		level_plain(depth, which, size, leak);
		break;
	}
	sink++;
}

static long iterations = 200000;

static void *run(void *arg)
{
	self = arg != NULL;
	uint32_t x = 2463534242u;
	for (long i = 0; i < iterations; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		descend((int)(x % 9), (int)((x >> 8) % 3), 32 + (x >> 20) % 64, i % 61 == 0);
	}
	return arg;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		iterations = atol(argv[1]);
	pthread_t t;
	if (pthread_create(&t, NULL, run, &t) != 0)
		return 1;
	run(NULL);
	pthread_join(t, NULL);
	return 0;
}
