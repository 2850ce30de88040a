/* SPDX-License-Identifier: MIT */
/* attach_loop.c - the target of the attach tests: THREADS threads in a tight malloc/free loop
 * (an LCG picks sizes and contents) until STOPFILE appears. Every round of 4096 iterations
 * must give the same checksum; the program prints it, "rounds consistent" and exits 3, so an
 * attached run and an unattached one print exactly the same. Each thread also leaks one block
 * every 100 ms in leak_in_window() and the main thread opens a descriptor it never closes
 * in open_in_window() every 2 s: what the attached window should report. A descriptor and a
 * thread made before READYFILE is written are pre-existing. The longest gap between two
 * iterations of any thread goes to stderr ("max stall N ms").
 * usage: attach_loop THREADS READYFILE STOPFILE */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *stopfile;
static volatile int stop;
static uint64_t want;
static volatile int bad;
static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static double max_stall;
static void *leaked[1 << 16];
static volatile unsigned nleaked;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t round_sum(void)
{
	uint64_t x = 12345, sum = 0;
	for (int i = 0; i < 4096; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t n = 16 + (size_t)(x >> 33) % 2000;
		unsigned char *p = malloc(n);
		if (!p)
			abort();
		memset(p, (int)(x >> 40), n);
		sum = sum * 31 + p[n / 2] + n;
		free(p);
	}
	return sum;
}

__attribute__((noinline)) static void leak_in_window(void)
{
	void *p = malloc(4000);
	memset(p, 1, 4000);
	unsigned i = __atomic_fetch_add(&nleaked, 1, __ATOMIC_RELAXED);
	if (i < sizeof leaked / sizeof *leaked)
		leaked[i] = NULL; /* lost on purpose: a leak */
	__asm__ volatile("" : : "r"(p) : "memory");
}

__attribute__((noinline)) static int open_in_window(void)
{
	return open("/dev/null", O_RDONLY);
}

static void *worker(void *arg)
{
	(void)arg;
	double last = now_ms(), worst = 0, next_leak = last + 100;
	while (!stop) {
		if (round_sum() != want)
			bad = 1;
		double t = now_ms();
		if (t >= next_leak) {
			leak_in_window();
			next_leak = t + 100;
		}
		if (t - last > worst)
			worst = t - last;
		last = t;
	}
	pthread_mutex_lock(&lk);
	if (worst > max_stall)
		max_stall = worst;
	pthread_mutex_unlock(&lk);
	return NULL;
}

static void *idle(void *arg)
{
	(void)arg;
	while (!stop)
		usleep(20000);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: attach_loop THREADS READYFILE STOPFILE\n");
		return 2;
	}
	int n = atoi(argv[1]);
	stopfile = argv[3];
	want = round_sum();
	int pre_fd = open("/dev/null", O_RDONLY); /* pre-existing */
	pthread_t pre, th[256];
	pthread_create(&pre, NULL, idle, NULL);
	for (int i = 0; i < n && i < 256; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	FILE *f = fopen(argv[2], "w");
	if (f)
		fclose(f);
	double t0 = now_ms();
	while (access(stopfile, F_OK) != 0) {
		usleep(10000);
		if (now_ms() - t0 > 2000) {
			open_in_window();
			t0 = now_ms();
		}
	}
	stop = 1;
	for (int i = 0; i < n && i < 256; i++)
		pthread_join(th[i], NULL);
	pthread_join(pre, NULL);
	close(pre_fd);
	printf("checksum %llu\n", (unsigned long long)want);
	printf("%s\n", bad ? "ROUNDS DIFFER" : "rounds consistent");
	fprintf(stderr, "max stall %.1f ms\n", max_stall);
	return 3;
}
