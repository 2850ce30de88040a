/* SPDX-License-Identifier: MIT */
/* proc_tree.c - a program that runs other programs, three rounds of: system("sleep 0.05")
 * (a shell that runs sleep), system("sh -c ...") (a shell running a shell), and fork + execlp
 * of sleep, each waited for. Every child is clean; the only finding is the parent's own
 * leaked descriptor (tree_open_config, close-on-exec). With LEAK_FOLLOW_FORK=1 that is a tree of 16
 * traces, with LEAK_FOLLOW_FORK=0 one. Prints "done" and exits 0. Usage: proc_tree */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static int tree_open_config(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int main(void)
{
	if (tree_open_config() < 0)
		return 1;
	for (int i = 0; i < 3; i++) {
		if (system("sleep 0.05") != 0)
			return 1;
		if (system("sh -c 'echo hi >/dev/null; true'") != 0)
			return 1;
		pid_t p = fork();
		if (p < 0)
			return 1;
		if (p == 0) {
			execlp("sleep", "sleep", "0.01", (char *)0);
			_exit(127);
		}
		int st;
		if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 1;
	}
	puts("done");
	return 0;
}
