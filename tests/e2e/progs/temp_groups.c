/* SPDX-License-Identifier: MIT */
/* temp_groups.c - temp files left on disk from two sites, under the directory argv[1]: five
 * mkstemp files from one call site (make_temp called from one line of leave_many) and one
 * from another (leave_one). Prints each left path as "many PATH" or "one PATH". */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) static void make_temp(const char *dir, const char *what)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s-XXXXXX", dir, what);
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		exit(1);
	}
	close(fd);
	printf("%s %s\n", what, path);
}

/* volatile: a loop of known count is unrolled at -O2 (clang), five call sites then. */
static volatile int n_many = 5;

__attribute__((noinline)) static void leave_many(const char *dir)
{
	for (int i = 0; i < n_many; i++)
		make_temp(dir, "many");
}

__attribute__((noinline)) static void leave_one(const char *dir)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/one-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		exit(1);
	}
	close(fd);
	printf("one %s\n", path);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	leave_many(argv[1]);
	leave_one(argv[1]);
	return 0;
}
