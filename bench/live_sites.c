/* SPDX-License-Identifier: MIT */
/* live_sites.c - a heap of known shape for the memory and sampling-accuracy targets: twelve
 * allocation sites, each in its own noinline function, hold fixed shares of a live heap of
 * MB megabytes (30%, 20%, 12% ... 1%) in blocks of one size per site (16 B .. 64 KiB) and
 * keep them until exit. Comparing RSS with and without libleak at two heap sizes gives the
 * bookkeeping bytes per live block; comparing leak-report's bytes per site under full
 * tracking and under LEAK_SAMPLE gives the sampling error per site. Usage: live_sites [MB].
 * Prints "events N live_blocks B live_bytes L rss_hwm_kb K" (K: peak RSS before exit) on
 * stderr and one "site_NN bytes" line per site on stdout. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_SITES 12
static const unsigned share_pct[N_SITES] = {30, 20, 12, 10, 8, 6, 5, 3, 2, 2, 1, 1};
static const size_t block_size[N_SITES] = {16,   32, 64, 128,   256, 1024,
                                           4096, 24, 48, 65536, 100, 512};

static void **blocks[N_SITES];
static size_t n_blocks[N_SITES];

#define SITE(i)                                                                                    \
	__attribute__((noinline)) static void site_##i(size_t size, size_t n)                      \
	{                                                                                          \
		for (size_t k = 0; k < n; k++) {                                                   \
			char *p = malloc(size);                                                    \
			if (!p)                                                                    \
				exit(1);                                                           \
			p[0] = (char)k;                                                            \
			blocks[i][k] = p;                                                          \
		}                                                                                  \
	}
SITE(0)
SITE(1)
SITE(2)
SITE(3)
SITE(4)
SITE(5)
SITE(6)
SITE(7)
SITE(8)
SITE(9)
SITE(10)
SITE(11)

/* Peak RSS so far (VmHWM), read with open/read so that no stdio buffer joins the heap; -1 if
 * unknown. Taken before exit, it leaves out what a profiler does at exit. */
static long rss_hwm_kb(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	const char *p = strstr(buf, "VmHWM:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

typedef void (*site_fn)(size_t, size_t);
static const site_fn sites[N_SITES] = {site_0, site_1, site_2, site_3, site_4,  site_5,
                                       site_6, site_7, site_8, site_9, site_10, site_11};

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
	uint64_t total_blocks = 0, total_bytes = 0;
	for (int i = 0; i < N_SITES; i++) {
		n_blocks[i] = (mb << 20) / 100 * share_pct[i] / block_size[i];
		/* the pointer arrays come from mmap-sized callocs: one allocation per site */
		blocks[i] = calloc(n_blocks[i] + 1, sizeof(void *));
		if (!blocks[i])
			return 1;
	}
	/* Interleave the sites in slices so no site's blocks sit in one region of the heap. */
	for (int slice = 0; slice < 64; slice++) {
		for (int i = 0; i < N_SITES; i++) {
			size_t lo = n_blocks[i] * (size_t)slice / 64;
			size_t hi = n_blocks[i] * (size_t)(slice + 1) / 64;
			void **save = blocks[i];
			blocks[i] += lo;
			sites[i](block_size[i], hi - lo);
			blocks[i] = save;
		}
	}
	for (int i = 0; i < N_SITES; i++) {
		printf("site_%d %llu\n", i, (unsigned long long)(n_blocks[i] * block_size[i]));
		total_blocks += n_blocks[i];
		total_bytes += n_blocks[i] * block_size[i];
	}
	fprintf(stderr, "events %llu live_blocks %llu live_bytes %llu rss_hwm_kb %ld\n",
	        (unsigned long long)(total_blocks + N_SITES), (unsigned long long)total_blocks,
	        (unsigned long long)total_bytes, rss_hwm_kb());
	return 0;
}
