/* SPDX-License-Identifier: MIT */
/* hard_vfork_exec.c - vfork, then exec or _exit in the child, 30 times. The child shares
 * the parent's memory and stack until it execs, so the preload must not allocate, lock or
 * write its trace in the vfork child before exec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "child") == 0) {
		char *p = strdup(argv[2]);

		printf("child %s\n", p);
		return atoi(p) % 5;
	}
	for (int i = 0; i < 30; i++) {
		char arg[16];
		void *before = malloc(256);
		pid_t pid;
		int st;

		snprintf(arg, sizeof arg, "%d", i);
		fflush(stdout);
		pid = vfork();
		if (pid < 0) {
			perror("vfork");
			return 1;
		}
		if (pid == 0) {
			if (i % 3 == 2)
				_exit(42);
			execl("/proc/self/exe", argv[0], "child", arg, (char *)NULL);
			_exit(127);
		}
		free(before);
		if (waitpid(pid, &st, 0) != pid)
			return 1;
		printf("parent: child %d exited %d\n", i, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	return 0;
}
