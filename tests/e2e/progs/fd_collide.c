/* SPDX-License-Identifier: MIT */
/* fd_collide.c N DIR - a program whose own descriptor numbers meet the one a preload keeps
 * its trace on (RLIMIT_NOFILE/2 under `ulimit -n 1024`, 1000 above, the top number below 512).
 * It prints the number its first open gets and what it lists in /proc/self/fd. On number N,
 * which it never opened, it calls fcntl, close, write, read, fstat, lseek, ftruncate, fsync,
 * ioctl, fdopen and dup2 from it (natively all EBADF), then dup2s a pipe's write end onto N and
 * closes it while a forked reader waits for EOF (a swallowed close hangs here), dup2s a file onto
 * N, writes through it and closes it, dup3s and close_ranges N, and dup2s onto N from a signal
 * handler, all while allocating so that snapshots (every 10 ms in the test) are written meanwhile.
 * It prints what each call returned and what DIR/out.txt holds: the same with and without the
 * preload. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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

/* The descriptors /proc/self/fd lists, but the directory's own. */
static void list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	printf("fds:");
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			printf(" %s", e->d_name);
	printf("\n");
	closedir(d);
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

	int rc = open("/dev/null", O_RDONLY);
	printf("first open: %d\n", rc);
	close(rc);
	list_fds();

	/* N was never opened: every call on it fails with EBADF, and nothing reaches the trace. */
	rc = fcntl(target, F_GETFD);
	printf("fcntl(%d, F_GETFD): %s\n", target, res(rc));
	printf("close(%d): %s\n", target, res(close(target)));
	churn(3);
	printf("write: %s\n", res((int)write(target, "program bytes", 13)));
	char b[16];
	printf("read: %s\n", res((int)read(target, b, sizeof b)));
	struct stat sb;
	printf("fstat: %s\n", res(fstat(target, &sb)));
	printf("lseek: %s\n", res((int)lseek(target, 0, SEEK_END)));
	churn(3);
	printf("ftruncate: %s\n", res(ftruncate(target, 0)));
	printf("fsync: %s\n", res(fsync(target)));
	int avail = 0;
	printf("ioctl: %s\n", res(ioctl(target, FIONREAD, &avail)));
	FILE *fp = fdopen(target, "w");
	printf("fdopen: %s\n", fp ? "ok" : res(-1));
	if (fp) {
		fputs("program bytes via stdio", fp);
		fclose(fp);
	}
	churn(3);
	list_fds();
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
	churn(5);
	/* The reader prints when it sees EOF: wait for it before printing, or the two lines race.
	 */
	int st;
	if (waitpid(kid, &st, 0) != kid || !WIFEXITED(st))
		return 6;
	printf("close(pipe on %d): %s\n", target, res(rc));
	fflush(stdout);

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
