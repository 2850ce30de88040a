/* SPDX-License-Identifier: MIT */
/* hard_longjmp.c - longjmp and siglongjmp across frames that allocated: out of a recursion
 * that mallocs at every level, out of a qsort comparator (through libc's frames), and out
 * of a signal handler. Blocks are kept in a table and freed after the jump, so nothing leaks
 * and the live count must come back to zero. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 40

static jmp_buf env;
static sigjmp_buf senv;
static void *blocks[MAX_DEPTH + 1];
static int n_blocks;
static int cmp_calls;
/* Changed between setjmp and longjmp, so not automatic variables (C11 7.13.2.1). */
static long total;
static int round_no;

static void __attribute__((noinline)) dive(int depth, int target)
{
	if (depth > MAX_DEPTH)
		return;
	blocks[n_blocks++] = malloc(16 + (size_t)depth * 8);
	if (depth == target)
		longjmp(env, depth + 1);
	dive(depth + 1, target);
}

static int cmp(const void *a, const void *b)
{
	void *p = malloc(24);

	blocks[n_blocks++] = p;
	if (++cmp_calls == 5)
		longjmp(env, 99);
	return *(const int *)a - *(const int *)b;
}

static void on_usr1(int sig)
{
	(void)sig;
	siglongjmp(senv, 1);
}

static void release(void)
{
	for (int i = 0; i < n_blocks; i++)
		free(blocks[i]);
	n_blocks = 0;
}

int main(void)
{
	int values[64];

	for (round_no = 0; round_no < 5000; round_no++) {
		int r = setjmp(env);

		if (r == 0)
			dive(0, round_no % (MAX_DEPTH - 1));
		total += r;
		release();
	}
	for (int i = 0; i < 64; i++)
		values[i] = (i * 37) % 64;
	for (round_no = 0; round_no < 200; round_no++) {
		cmp_calls = 0;
		if (setjmp(env) == 0)
			qsort(values, 64, sizeof values[0], cmp);
		total += cmp_calls;
		release();
	}
	signal(SIGUSR1, on_usr1);
	for (round_no = 0; round_no < 200; round_no++) {
		if (sigsetjmp(senv, 1) == 0) {
			blocks[n_blocks++] = malloc(100);
			raise(SIGUSR1);
		}
		total++;
		release();
	}
	printf("total %ld\n", total);
	return 0;
}
