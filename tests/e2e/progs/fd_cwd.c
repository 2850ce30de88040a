/* SPDX-License-Identifier: MIT */
/* fd_cwd.c - files opened by relative paths while the working directory changes every way a
 * program changes it: each leak is named against the directory current at its open, never an
 * earlier one libleak remembered. argv[1]: a scratch directory holding a, b, c, d (made here).
 * leak_in_a opens a/in_a after a few relative opens in a (closed), then chdir (relative) to
 * b, fchdir to c, syscall(SYS_chdir) to d: leak_after_chdir, _fchdir, _syscall each open a file
 * of their name there. Then d is renamed to e under the program's feet (no chdir: only the
 * kernel knows) and, after a wait of several snapshot intervals, leak_after_rename opens
 * e/after_rename. Each leak opens its own name, so no compiler folds them into one function. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noinline)) static void leak_in_a(void)
{
	sink = open("in_a", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
}

__attribute__((noinline)) static void leak_after_chdir(void)
{
	sink = open("after_chdir", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
}

__attribute__((noinline)) static void leak_after_fchdir(void)
{
	sink = open("after_fchdir", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
}

__attribute__((noinline)) static void leak_after_syscall(void)
{
	sink = open("after_syscall", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
}

__attribute__((noinline)) static void leak_after_rename(void)
{
	sink = open("after_rename", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	char p[4096];
	const char *sub[] = {"a", "b", "c", "d"};
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", argv[1], sub[i]);
		if (mkdir(p, 0700) != 0)
			return 1;
	}
	snprintf(p, sizeof(p), "%s/a", argv[1]);
	if (chdir(p) != 0)
		return 1;
	for (int i = 0; i < 3; i++) /* the cwd is looked up, then remembered */
		close(open("in_a", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	leak_in_a();
	if (chdir("../b") != 0)
		return 1;
	leak_after_chdir();
	snprintf(p, sizeof(p), "%s/c", argv[1]);
	int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fchdir(dfd) != 0)
		return 1;
	close(dfd);
	leak_after_fchdir();
	snprintf(p, sizeof(p), "%s/d", argv[1]);
	if (syscall(SYS_chdir, p) != 0)
		return 1;
	leak_after_syscall();
	char to[4096];
	snprintf(to, sizeof(to), "%s/e", argv[1]);
	if (rename(p, to) != 0)
		return 1;
	usleep(600 * 1000); /* LEAK_INTERVAL_MS=50: a dozen snapshots */
	leak_after_rename();
	return 0;
}
