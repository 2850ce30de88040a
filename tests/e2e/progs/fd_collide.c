/* SPDX-License-Identifier: MIT */
/* fd_collide.c N DIR - a program whose own descriptor numbers meet the one a preload keeps
 * its trace on (RLIMIT_NOFILE/2 under `ulimit -n 1024`, or 1000). On number N it probes
 * (fcntl F_GETFD and dup2 from it: natively EBADF; close, which libleak lets succeed), dup2s a
 * pipe's write end onto N and closes it while a forked reader waits for EOF (a swallowed close
 * hangs here), dup2s a file onto N, writes through it and closes it, dup3s and close_ranges N, and
 * dup2s onto N from a signal handler, all while allocating so that snapshots (every 10 ms in the
 * test) are written meanwhile. It prints what each call returned and what DIR/out.txt holds: the
 * same with and without the preload. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *volatile sink;
static int target;
static int file_fd = -1;

static void churn(int rounds)
{
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < 64; i++) {
			sink = malloc(32 + (size_t)i);
			free(sink);
		}
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

static const char *res(int rc)
{
	return rc >= 0 ? "ok" : errno == EBADF ? "EBADF" : strerror(errno);
}

static void on_usr1(int sig)
{
	(void)sig;
	int rc = dup2(file_fd, target);
	if (rc == target) {
		ssize_t w = write(target, "from handler\n", 13);
		(void)w;
		close(target);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	target = atoi(argv[1]);
	char path[4096];
	snprintf(path, sizeof path, "%s/out.txt", argv[2]);
	churn(20);

	int rc = fcntl(target, F_GETFD);
	printf("fcntl(%d, F_GETFD): %s\n", target, res(rc));
	close(target); /* natively EBADF; libleak reports success (see interpose_fdops.c) */
	rc = dup2(target, 5);
	printf("dup2(%d, 5): %s\n", target, res(rc));
	fflush(stdout);
	if (rc == 5) { /* the preload's trace, if it let the program have it */
		ssize_t w = write(5, "program bytes", 13);
		(void)w;
		close(5);
	}

	/* A pipe's write end on N: the reader sees EOF only if every copy is closed. */
	int p[2];
	if (pipe(p) != 0)
		return 3;
	pid_t kid = fork();
	if (kid == 0) {
		close(p[1]);
		char buf[256];
		size_t total = 0;
		ssize_t n;
		while ((n = read(p[0], buf, sizeof buf)) > 0)
			total += (size_t)n;
		printf("reader: %zu bytes, then EOF\n", total);
		fflush(stdout);
		_exit(0);
	}
	close(p[0]);
	if (dup2(p[1], target) != target)
		return 4;
	close(p[1]);
	for (int i = 0; i < 50; i++)
		if (write(target, "0123456789", 10) != 10)
			return 5;
	rc = close(target);
	printf("close(pipe on %d): %s\n", target, res(rc));
	fflush(stdout);
	churn(5);
	int st;
	if (waitpid(kid, &st, 0) != kid || !WIFEXITED(st))
		return 6;

	/* A file on N, written through N. */
	file_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (file_fd < 0)
		return 7;
	for (int i = 0; i < 20; i++) {
		if (dup2(file_fd, target) != target)
			return 8;
		char line[64];
		int n = snprintf(line, sizeof line, "line %d via %d\n", i, target);
		if (write(target, line, (size_t)n) != n)
			return 9;
		churn(1);
		if (close(target) != 0)
			return 10;
	}
	if (dup3(file_fd, target, O_CLOEXEC) != target)
		return 11;
	if (write(target, "via dup3\n", 9) != 9)
		return 12;
	churn(5);
	rc = close_range((unsigned)target, (unsigned)target, 0);
	printf("close_range(%d, %d): %s\n", target, target, res(rc));
	rc = fcntl(target, F_GETFD);
	printf("after close_range, fcntl(%d): %s\n", target, res(rc));

	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < 5; i++) {
		raise(SIGUSR1);
		churn(2);
	}
	close(file_fd);
	churn(10);

	FILE *f = fopen(path, "r");
	if (!f)
		return 13;
	char line[128];
	int lines = 0;
	while (fgets(line, sizeof line, f)) {
		if (lines < 3 || strstr(line, "dup3") || strstr(line, "handler"))
			fputs(line, stdout);
		lines++;
	}
	fclose(f);
	printf("out.txt: %d lines\n", lines);
	sink = malloc(1000); /* one real leak */
	return 0;
}
