/* SPDX-License-Identifier: MIT */
/* fd_files.c - leaks one descriptor from each of open, openat, creat, fopen and opendir (each
 * from its own function, so the report can name it), and opens and properly closes one of
 * each kind too (those must not be reported). argv[1]: a scratch directory for creat. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noinline)) static void leak_open(void)
{
	sink = open("/etc/hostname", O_RDONLY);
}

__attribute__((noinline)) static void leak_openat(void)
{
	int dir = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sink = openat(dir, "passwd", O_RDONLY);
	close(dir);
}

__attribute__((noinline)) static void leak_creat(const char *dir)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/created.txt", dir);
	sink = creat(path, 0600);
}

__attribute__((noinline)) static void leak_fopen(void)
{
	FILE *f = fopen("/etc/group", "r");
	sink = fileno(f);
}

__attribute__((noinline)) static void leak_opendir(void)
{
	DIR *d = opendir("/etc");
	sink = dirfd(d);
}

__attribute__((noinline)) static void closed_properly(void)
{
	close(open("/etc/hostname", O_RDONLY));
	fclose(fopen("/etc/hostname", "r"));
	closedir(opendir("/"));
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	close(openat(dir, "etc", O_RDONLY));
	close(dir);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	closed_properly();
	leak_open();
	leak_openat();
	leak_creat(argv[1]);
	leak_fopen();
	leak_opendir();
	closed_properly();
	return 0;
}
