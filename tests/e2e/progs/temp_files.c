/* SPDX-License-Identifier: MIT */
/* temp_files.c - temp files left behind vs removed, under the directory argv[1]. Left on disk
 * at exit: one mkstemp file (from leave_mkstemp) and one mkdtemp directory (from
 * leave_mkdtemp). Removed (not findings): mkstemps + unlink, mkostemp + remove, mkdtemp +
 * rmdir, mkstemp + unlinkat; tmpfile() leaves nothing on disk. Prints the left paths. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char left_file[512], left_dir[512];

__attribute__((noinline)) static void leave_mkstemp(const char *dir)
{
	snprintf(left_file, sizeof(left_file), "%s/left-XXXXXX", dir);
	int fd = mkstemp(left_file);
	close(fd);
}

__attribute__((noinline)) static void leave_mkdtemp(const char *dir)
{
	snprintf(left_dir, sizeof(left_dir), "%s/leftdir-XXXXXX", dir);
	if (!mkdtemp(left_dir))
		perror("mkdtemp");
}

__attribute__((noinline)) static void removed_temps(const char *dir)
{
	char a[512], b[512], c[512], d[512];
	snprintf(a, sizeof(a), "%s/a-XXXXXX.txt", dir);
	close(mkstemps(a, 4));
	unlink(a);
	snprintf(b, sizeof(b), "%s/b-XXXXXX", dir);
	close(mkostemp(b, O_CLOEXEC));
	remove(b);
	snprintf(c, sizeof(c), "%s/c-XXXXXX", dir);
	rmdir(mkdtemp(c));
	snprintf(d, sizeof(d), "%s/d-XXXXXX", dir);
	close(mkstemp(d));
	unlinkat(AT_FDCWD, d, 0);
	FILE *t = tmpfile();
	fclose(t);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	removed_temps(argv[1]);
	leave_mkstemp(argv[1]);
	leave_mkdtemp(argv[1]);
	printf("left %s\nleft %s\n", left_file, left_dir);
	return 0;
}
