/* SPDX-License-Identifier: MIT */
/* sample_single.c - a single-threaded program that computes without blocking: malloc/free
 * churn for 700 ms of CPU time (several snapshot intervals at libleak's dense start), then 24
 * blocks of 1 MiB leaked (leak_big), then whether glibc still thinks the process is
 * single-threaded. Under LEAK_SAMPLE libleak must not have started a thread of its own: a
 * second thread puts glibc's malloc on its locked paths for good. Prints single_threaded=0|1.
 * Usage: sample_single [files|pipe]. files: first reads its own executable through read (3000
 * times), readv, fread, fgets and getline, as an interpreter reads its modules, and a seed
 * from /dev/urandom (neither keeps a read waiting). pipe: first reads a byte from a pipe (one that
 * could have waited). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static void *pool[4096];

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void leak_big(void)
{
	char *p = malloc(1 << 20);
	__asm__ volatile("" : : "r"(p) : "memory"); /* used, then dropped: a leak */
}

static void read_files(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	/* More reads than libleak checks by fstat (1024): the open file is known after one. */
	for (int i = 0; i < 3000; i++)
		if (lseek(fd, 0, SEEK_SET) != 0 || read(fd, buf, 64) != 64)
			exit(1);
	struct iovec iov = {buf, sizeof(buf)};
	lseek(fd, 0, SEEK_SET);
	if (readv(fd, &iov, 1) <= 0)
		exit(1);
	close(fd);
	fd = open("/dev/urandom", O_RDONLY); /* a seed, as sqlite3 reads one at start */
	if (fd < 0 || read(fd, buf, 16) != 16)
		exit(1);
	close(fd);
	FILE *f = fopen(path, "r");
	if (!f || fread(buf, 1, sizeof(buf), f) == 0 || !fgets(buf, sizeof(buf), f))
		exit(1);
	char *line = NULL;
	size_t n = 0;
	if (getline(&line, &n, f) < 0)
		exit(1);
	free(line);
	fclose(f);
}

static void read_pipe(void)
{
	int p[2];
	char c = 'x';
	if (pipe(p) != 0 || write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1)
		exit(1);
	close(p[0]);
	close(p[1]);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "files") == 0)
		read_files(argv[0]);
	else if (argc > 1 && strcmp(argv[1], "pipe") == 0)
		read_pipe();
	unsigned x = 2463534242u;
	double start = cpu_seconds();
	for (long n = 0;; n++) {
		if ((n & 4095) == 0 && cpu_seconds() - start > 0.7)
			break;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		unsigned slot = x % 4096;
		free(pool[slot]);
		pool[slot] = malloc(16 + (x >> 20) % 1024);
	}
	for (int i = 0; i < 24; i++)
		leak_big();
	int single = __libc_single_threaded != 0;
	for (int i = 0; i < 4096; i++)
		free(pool[i]);
	printf("single_threaded=%d\n", single);
	return 0;
}
