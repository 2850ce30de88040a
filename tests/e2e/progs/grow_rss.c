/* SPDX-License-Identifier: MIT */
/* grow_rss.c - memory that grows outside malloc: map_chunk() mmaps 256 KiB every 20 ms and
 * touches every page (RSS +12.5 MiB/s) and never unmaps it, while the heap stays flat. The
 * report must name RSS growth without heap growth ("rss") and no growing stack. SIGKILLs
 * itself after KILL_AFTER chunks when given. Usage: grow_rss SECONDS [KILL_AFTER] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define CHUNK (256 * 1024)

__attribute__((noinline)) void *map_chunk(void)
{
	void *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(p, 1, CHUNK);
	return p;
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
		fprintf(stderr, "usage: grow_rss SECONDS [KILL_AFTER]\n");
		return 2;
	}
	double secs = atof(argv[1]);
	long kill_after = argc == 3 ? atol(argv[2]) : 0, n = 0;
	double end = now_s() + secs;
	printf("ready\n");
	fflush(stdout);
	const struct timespec tick = {0, 20 * 1000 * 1000};
	while (secs <= 0 || now_s() < end) {
		map_chunk();
		if (kill_after > 0 && ++n >= kill_after)
			raise(SIGKILL);
		nanosleep(&tick, NULL);
	}
	return 0;
}
