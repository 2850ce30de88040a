/* SPDX-License-Identifier: MIT */
/* grow_teardown.c - a request log that grows while the program runs and is freed at exit, as
 * every Python program and many C++ ones do: records_append() keeps one ~1 KiB record per
 * request (~100 requests/s, ~100 KiB/s) for SECONDS seconds, then main frees the whole list
 * and exits 0. The growth was real while it ran; the exit snapshot holds nothing of it.
 * With PAUSE_MS, main sleeps that long half-way through the teardown (half) or after it
 * (done), as a program preempted there would: the periodic snapshots taken meanwhile see the
 * teardown half or wholly done, before any exit handler runs.
 * Usage: grow_teardown SECONDS [PAUSE_MS half|done] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void pause_ms(long ms)
{
	struct timespec p = {ms / 1000, ms % 1000 * 1000000};
	while (nanosleep(&p, &p) != 0)
		;
}

struct record {
	struct record *next;
	char text[1000];
};

static struct record *records;

__attribute__((noinline)) static void records_append(int i)
{
	struct record *r = malloc(sizeof(*r));
	if (!r)
		exit(1);
	snprintf(r->text, sizeof(r->text), "request %d", i);
	r->next = records;
	records = r;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	struct timespec t0, now, tick = {0, 10000000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long pause = argc > 3 ? atol(argv[2]) : 0;
	int half = argc > 3 && strcmp(argv[3], "half") == 0;
	int n = 0;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 >=
		    secs)
			break;
		records_append(n++);
		nanosleep(&tick, NULL);
	}
	for (int left = n; records; left--) {
		struct record *r = records;
		records = r->next;
		free(r);
		if (half && left == n / 2)
			pause_ms(pause);
	}
	if (!half)
		pause_ms(pause);
	printf("records %d\n", n);
	return 0;
}
