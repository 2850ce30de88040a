/* SPDX-License-Identifier: MIT */
/* heap_unrolled.c - leaks on two source lines of one function, each in a loop the compiler
 * unrolls at -O2 (clang fully unrolls both): one source line becomes several calls of malloc,
 * each with its own return address. unrolled_leaker() leaks 8 blocks of 64 bytes on the line
 * marked LINE-eight and 2 blocks of 64 bytes on the line marked LINE-two. The report must show
 * one finding per line, with the whole count, not one per call. */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void unrolled_leaker(void)
{
	for (int i = 0; i < 8; i++) {
		void *p = malloc(64); /* LINE-eight */
		__asm__ volatile("" : : "r"(p) : "memory");
	}
	for (int i = 0; i < 2; i++) {
		void *p = malloc(64); /* LINE-two */
		__asm__ volatile("" : : "r"(p) : "memory");
	}
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
	unrolled_leaker();
	scrub_stack();
	return 0;
}
