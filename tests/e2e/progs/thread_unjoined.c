/* SPDX-License-Identifier: MIT */
/* thread_unjoined.c - two joinable threads that finish and are never joined (a finding, from
 * unjoined_spawner), one still running (blocked) when the process exits, also never joined
 * (from running_spawner); and threads that are fine: joined, pthread_tryjoin_np'd,
 * detached with pthread_detach, created detached through their attributes, and one that ends
 * with pthread_exit and is joined. Prints "unjoined N" for the kernel tids. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *quick(void *arg)
{
	if (arg)
		printf("unjoined %ld\n", (long)syscall(SYS_gettid));
	return NULL;
}

static void *blocked(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
	return NULL;
}

static void *exits_early(void *arg)
{
	(void)arg;
	pthread_exit(NULL);
}

__attribute__((noinline)) static void unjoined_spawner(void)
{
	pthread_t t;
	pthread_create(&t, NULL, quick, (void *)1);
}

__attribute__((noinline)) static void running_spawner(void)
{
	pthread_t t;
	pthread_create(&t, NULL, blocked, NULL);
}

__attribute__((noinline)) static void fine_threads(void)
{
	pthread_t a, b, c, d, e;
	pthread_create(&a, NULL, quick, NULL);
	pthread_join(a, NULL);
	pthread_create(&b, NULL, quick, NULL);
	while (pthread_tryjoin_np(b, NULL) != 0)
		usleep(1000);
	pthread_create(&c, NULL, quick, NULL);
	pthread_detach(c);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&d, &attr, quick, NULL);
	pthread_attr_destroy(&attr);
	pthread_create(&e, NULL, exits_early, NULL);
	pthread_join(e, NULL);
}

int main(void)
{
	fine_threads();
	unjoined_spawner();
	unjoined_spawner();
	running_spawner();
	usleep(300000);
	fflush(stdout);
	return 0;
}
