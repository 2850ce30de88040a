/* SPDX-License-Identifier: MIT */
/* hard_exec_threads.c - execve from a multithreaded program, twice in a row.
 * Stage 1 starts three threads that allocate flat out and execs itself ("stage2") from
 * main: same pid, same exe name, so a LEAK_OUT of leak.%e.%p.lkt names the same file.
 * Stage 2 allocates and execs /bin/sh, which prints one line. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Allocations go through a volatile (per-thread) pointer so the compiler cannot drop a
 * malloc/free pair. */
static _Thread_local void *volatile sink;

static void *churn(void *arg)
{
	(void)arg;
	for (;;) {
		sink = malloc(128);
		free(sink);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "stage2") == 0) {
		char *p = strdup("stage 2 running");

		puts(p);
		fflush(stdout);
		execl("/bin/sh", "sh", "-c", "echo stage 3: sh", (char *)NULL);
		perror("execl");
		return 127;
	}
	pthread_t th[3];

	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, churn, NULL);
	usleep(100000);
	puts("stage 1 execs with 3 threads allocating");
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "stage2", (char *)NULL);
	perror("execl");
	return 127;
}
