/* SPDX-License-Identifier: MIT */
/* vfork_spawn.c - vfork+exec of argv[1] (true) argv[2] times (20), every child reaped but
 * the last, a zombie at exit made at spawn_one's vfork line. Each child counts itself in a
 * global before its exec: the parent sees the count only if vfork really shares its memory.
 * Then a descriptor without close-on-exec is opened and one more child vforks and execs
 * carrying it. Prints "line L" (the vfork's), "shared N", "zombie PID", "carrier PID" and
 * "shared_after N". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int shared;
static int vfork_line;

__attribute__((noinline)) static pid_t spawn_one(const char *bin)
{
	static const int at = __LINE__ + 2;
	vfork_line = at;
	pid_t pid = vfork();
	if (pid == 0) {
		shared++;
		execl(bin, bin, (char *)NULL);
		_exit(127);
	}
	return pid;
}

__attribute__((noinline)) static int open_leaky(void)
{
	return open("/dev/null", O_RDONLY); /* no O_CLOEXEC: it crosses every exec */
}

/* Waits (up to 5 s) until pid has exited, without reaping it. */
static void until_zombie(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		if (!f)
			return;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		const char *p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'Z')
			return;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int n = argc > 2 ? atoi(argv[2]) : 20;
	pid_t last = -1;
	for (int i = 0; i < n; i++) {
		pid_t pid = spawn_one(argv[1]);
		if (pid < 0) {
			perror("vfork");
			return 1;
		}
		if (i == n - 1)
			last = pid;
		else if (waitpid(pid, NULL, 0) != pid)
			return 1;
	}
	until_zombie(last);
	printf("line %d\nshared %d\nzombie %d\n", vfork_line, shared, (int)last);
	if (open_leaky() < 0)
		return 1;
	pid_t c = spawn_one(argv[1]);
	if (c < 0 || waitpid(c, NULL, 0) != c)
		return 1;
	printf("carrier %d\nshared_after %d\n", (int)c, shared);
	return 0;
}
