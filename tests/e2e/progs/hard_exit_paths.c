/* SPDX-License-Identifier: MIT */
/* hard_exit_paths.c - every way a process can end other than returning from main. The
 * exit status (or the killing signal) and what reached stdout must not change under the
 * preload. Modes: _exit _Exit quick_exit abort segv sigterm sigkill atexit_exit. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *leak_some(void)
{
	void *keep = NULL;

	for (int i = 0; i < 100; i++) {
		void *p = malloc(32 + (size_t)i);

		if (i % 10 == 0)
			keep = p;
		else
			free(p);
	}
	return keep;
}

static void from_atexit(void)
{
	char *p = malloc(50);

	snprintf(p, 50, "atexit handler allocates");
	puts(p);
	fflush(stdout);
	/* exit() from an atexit handler is undefined; _exit is the defined way out. */
	_exit(9);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	/* atoi keeps the compiler from proving the pointer null and emitting a trap. */
	volatile char *bad_ptr = (volatile char *)(long)atoi("16");

	printf("mode %s\n", mode);
	fflush(stdout);
	leak_some();
	printf("buffered, lost unless flushed\n");
	if (strcmp(mode, "_exit") == 0)
		_exit(5);
	if (strcmp(mode, "_Exit") == 0)
		_Exit(6);
	if (strcmp(mode, "quick_exit") == 0)
		quick_exit(4);
	if (strcmp(mode, "abort") == 0)
		abort();
	if (strcmp(mode, "segv") == 0)
		return bad_ptr[0];
	if (strcmp(mode, "sigterm") == 0) {
		raise(SIGTERM);
		pause();
	}
	if (strcmp(mode, "sigkill") == 0)
		raise(SIGKILL);
	if (strcmp(mode, "atexit_exit") == 0) {
		atexit(from_atexit);
		exit(3);
	}
	return 2;
}
