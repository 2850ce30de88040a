/* SPDX-License-Identifier: MIT */
/* attach_stall.c - measures how long an attach stops a program: THREADS threads each loop
 * { sleep 1 ms; malloc/free } and keep the longest gap between two iterations beyond the
 * 1 ms sleep. It ends when STOPFILE appears and prints
 * "max stall N.N ms" (the worst of all threads) on stdout. READYFILE is written once every
 * thread has made its first iteration.
 * usage: attach_stall THREADS READYFILE STOPFILE */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int stop;
static int started;
static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static double worst;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *loop(void *arg)
{
	(void)arg;
	double last = now_ms(), mine = 0;
	__atomic_add_fetch(&started, 1, __ATOMIC_RELAXED);
	while (!stop) {
		struct timespec d = {0, 1000000};
		nanosleep(&d, NULL);
		char *p = malloc(64);
		memset(p, 0, 64);
		free(p);
		double t = now_ms();
		if (t - last - 1.0 > mine)
			mine = t - last - 1.0;
		last = t;
	}
	pthread_mutex_lock(&lk);
	if (mine > worst)
		worst = mine;
	pthread_mutex_unlock(&lk);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int n = atoi(argv[1]);
	pthread_t th[256];
	for (int i = 0; i < n && i < 256; i++)
		pthread_create(&th[i], NULL, loop, NULL);
	while (__atomic_load_n(&started, __ATOMIC_RELAXED) < n)
		usleep(1000);
	FILE *f = fopen(argv[2], "w");
	if (f)
		fclose(f);
	while (access(argv[3], F_OK) != 0)
		usleep(5000);
	stop = 1;
	for (int i = 0; i < n && i < 256; i++)
		pthread_join(th[i], NULL);
	printf("max stall %.1f ms\n", worst);
	return 0;
}
