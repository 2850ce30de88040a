/* SPDX-License-Identifier: MIT */
/* single_thread.c [stdio] - a program that must be single-threaded when it starts (it counts
 * /proc/self/task and calls unshare(CLONE_NEWUSER), which fails with EINVAL in a process with
 * two threads), then sits idle: 20 allocations of 1000 bytes kept, 50 ms of sleep after each;
 * with "stdio", instead, waiting about a second in fgets for a line a forked child writes into
 * a pipe. It prints the count, unshare's result and the line: the same with and without the
 * preload. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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

/* A line from a forked child, about a second later, read with stdio. */
static void stdio_wait(void)
{
	int p[2];
	if (pipe(p) != 0)
		exit(3);
	pid_t kid = fork();
	if (kid == 0) {
		close(p[0]);
		struct timespec ts = {1, 0};
		nanosleep(&ts, NULL);
		if (write(p[1], "go\n", 3) != 3)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	FILE *in = fdopen(p[0], "r");
	char line[16] = "";
	if (!in || !fgets(line, sizeof line, in))
		exit(4);
	keep[1] = malloc(1000);
	printf("read: %s", line);
	fclose(in);
	waitpid(kid, NULL, 0);
}

int main(int argc, char **argv)
{
	keep[0] = malloc(1000);
	printf("threads at start: %d\n", threads());
	int r = unshare(CLONE_NEWUSER);
	/* Natively: ok, or EPERM where user namespaces are off; EINVAL means a second thread. */
	printf("unshare(CLONE_NEWUSER): %s\n", r == 0 ? "ok" : strerror(errno));
	fflush(stdout);
	if (argc > 1 && strcmp(argv[1], "stdio") == 0) {
		stdio_wait();
		return 0;
	}
	for (int i = 1; i < 20; i++) {
		keep[i] = malloc(1000);
		usleep(50000);
	}
	return 0;
}
