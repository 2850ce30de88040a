/* SPDX-License-Identifier: MIT */
/* heap_exit.c - leaks 5 blocks of 2222 bytes from exit_leak_block(), then ends the way the
 * mode says, for the tests of what the preload must leave unchanged:
 *   out   print to stdout (stdio, fully buffered into a file) and stderr, return 42
 *   pid   print its pid, return 0 (for LEAK_OUT %p)
 *   wait  write "ready" to stdout, then sleep until a signal ends it (default dispositions)
 * Usage: heap_exit out|pid|wait */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) void exit_leak_block(void)
{
	void *p = malloc(2222);
	if (!p)
		abort();
	__asm__ volatile("" : : "r"(p) : "memory");
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

int main(int argc, char **argv)
{
	for (int i = 0; i < 5; i++)
		exit_leak_block();
	scrub_stack();
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "out") == 0) {
		for (int i = 0; i < 100; i++)
			printf("line %d of the program's own output\n", i);
		fprintf(stderr, "a line on stderr\n");
		return 42;
	}
	if (strcmp(mode, "pid") == 0) {
		printf("%d\n", (int)getpid());
		return 0;
	}
	if (strcmp(mode, "wait") == 0) {
		static const char ready[] = "ready\n";
		if (write(1, ready, sizeof(ready) - 1) < 0)
			return 1;
		for (;;)
			pause();
	}
	fprintf(stderr, "usage: heap_exit out|pid|wait\n");
	return 2;
}
