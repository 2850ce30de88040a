/* SPDX-License-Identifier: MIT */
/* single_thread.c - a program that must be single-threaded when it starts (it counts
 * /proc/self/task and calls unshare(CLONE_NEWUSER), which fails with EINVAL in a process with
 * two threads), then sits idle: 20 allocations of 1000 bytes kept, 50 ms of sleep after each.
 * It prints the count and unshare's result: the same with and without the preload. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile keep[20];

static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int main(void)
{
	keep[0] = malloc(1000);
	printf("threads at start: %d\n", threads());
	int r = unshare(CLONE_NEWUSER);
	/* Natively: ok, or EPERM where user namespaces are off; EINVAL means a second thread. */
	printf("unshare(CLONE_NEWUSER): %s\n", r == 0 ? "ok" : strerror(errno));
	fflush(stdout);
	for (int i = 1; i < 20; i++) {
		keep[i] = malloc(1000);
		usleep(50000);
	}
	return 0;
}
