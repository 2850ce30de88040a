/* SPDX-License-Identifier: MIT */
/* grow_realloc.c - a log buffer that is never trimmed: log_append() grows one block with
 * realloc by 512 bytes every 10 ms (~50 KiB/s), so the live count at its stack stays 1
 * while the bytes climb. The buffer stays reachable from a global. Runs SECONDS seconds
 * (0 = until killed), prints "ready" first and "bytes N" at the end.
 * With KILL_AFTER > 0 it SIGKILLs itself after that many requests (a trace cut short, at a
 * moment when it is known to have been growing, however loaded the machine is).
 * Usage: grow_realloc SECONDS [KILL_AFTER] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *log_buf;
static size_t log_len;

__attribute__((noinline)) void log_append(const char *line, size_t n)
{
	char *nb = realloc(log_buf, log_len + n);
	if (!nb)
		abort();
	memcpy(nb + log_len, line, n);
	log_buf = nb;
	log_len += n;
	__asm__ volatile("" : : "r"(log_buf) : "memory");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: grow_realloc SECONDS [KILL_AFTER]\n");
		return 2;
	}
	double secs = atof(argv[1]);
	double end = now_s() + secs;
	long kill_after = argc == 3 ? atol(argv[2]) : 0, n = 0;
	char line[512];
	memset(line, 'x', sizeof(line));
	printf("ready\n");
	fflush(stdout);
	const struct timespec tick = {0, 10 * 1000 * 1000};
	while (secs <= 0 || now_s() < end) {
		log_append(line, sizeof(line));
		n++;
		if (kill_after > 0 && n >= kill_after)
			raise(SIGKILL);
		if (kill_after < 0 && n >= -kill_after)
			break;
		nanosleep(&tick, NULL);
	}
	printf("bytes %zu\n", log_len);
	return 0;
}
