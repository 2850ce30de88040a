/* SPDX-License-Identifier: MIT */
/* abort_leak.c - a program that dies of SIGABRT a few milliseconds after it starts, before
 * libleak's first periodic snapshot: lose_records() loses 100 blocks of 1000 bytes and the
 * program opens /etc/hostname, then
 *   assert      a failed assert() (abort from the program's own code),
 *   doublefree  frees one block twice (glibc finds it inside the real free and aborts),
 *   spin        as doublefree, with a second thread allocating and freeing meanwhile.
 * Usage: abort_leak assert|doublefree|spin */
#include <assert.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void lose_records(void)
{
	for (int i = 0; i < 100; i++) {
		char *volatile p = malloc(1000);
		if (!p)
			exit(1);
		memset(p, 'r', 1000);
	}
}

static void *churn(void *arg)
{
	(void)arg;
	for (;;) {
		void *volatile p = malloc(48);
		free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "assert";
	lose_records();
	if (open("/etc/hostname", O_RDONLY) < 0)
		return 1;
	printf("mode %s\n", mode);
	fflush(stdout);
	if (strcmp(mode, "spin") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, churn, NULL) != 0)
			return 1;
	}
	if (strcmp(mode, "assert") == 0)
		assert(argc > 5 && "records are kept");
	void *volatile p = malloc(64);
	free(p);
	free(p);
	puts("not reached");
	return 0;
}
