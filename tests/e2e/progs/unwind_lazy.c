/* SPDX-License-Identifier: MIT */
/* unwind_lazy.c - stacks the default walker hands to its fallback, and whether libunwind is
 * mapped. "signal": 100 allocations in a handler on an alternate signal stack and 100 in a
 * handler on the thread's own stack (the walker steps the trampoline's frame itself). "drap":
 * allocations in a function whose frame gcc realigns through a DRAP register (its CFA is a
 * DWARF expression, which the walker does not model): one, then a wait of up to 3 s for the
 * writer thread to load libunwind, then 100 more. Every block is leaked. Prints
 * "libunwind: mapped" or "libunwind: not mapped" (from /proc/self/maps) at the end. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 100

static void *volatile sink;

static int libunwind_mapped(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, "/libunwind.so") != NULL;
	if (f)
		fclose(f);
	return found;
}

__attribute__((noinline)) static void on_alt(int sig)
{
	(void)sig;
	sink = malloc(48);
}

__attribute__((noinline)) static void on_own(int sig)
{
	(void)sig;
	sink = malloc(56);
}

__attribute__((noinline)) static void raise_alt(void)
{
	raise(SIGUSR1);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void raise_own(void)
{
	raise(SIGUSR2);
	__asm__ volatile("" ::: "memory");
}

static void signal_allocs(void)
{
	static char altstack[1 << 16];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alt;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_own;
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	for (int i = 0; i < N; i++) {
		raise_alt();
		raise_own();
	}
}

/* gcc realigns this frame through a DRAP register (the 64-byte alignment and the VLA). */
__attribute__((noinline)) static void *realigned(int n)
{
	char buf[64] __attribute__((aligned(64)));
	char vla[n];
	memset(buf, n, sizeof(buf));
	memset(vla, 1, (size_t)n);
	void *p = malloc((size_t)(buf[3] + vla[n - 1] + 16));
	__asm__ volatile("" ::"r"(buf), "r"(vla) : "memory");
	return p;
}

__attribute__((noinline)) static void drap_allocs(void)
{
	sink = realigned(8);
	for (int i = 0; i < 300 && !libunwind_mapped(); i++)
		usleep(10000);
	for (int i = 0; i < N; i++)
		sink = realigned(8 + i % 8);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "signal") == 0)
		signal_allocs();
	else if (argc > 1 && strcmp(argv[1], "drap") == 0)
		drap_allocs();
	else
		return 2;
	printf("libunwind: %s\n", libunwind_mapped() ? "mapped" : "not mapped");
	return 0;
}
