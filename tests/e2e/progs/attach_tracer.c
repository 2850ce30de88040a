/* SPDX-License-Identifier: MIT */
/* attach_tracer.c - another tracer for the refusal test: PTRACE_SEIZEs PID (no stop), writes
 * READYFILE and sleeps until killed (the kernel then detaches it). With --exec-stopped it
 * starts PROG traced instead, and releases it with SIGSTOP at its first instruction: a
 * process stopped in the dynamic loader, libc not loaded yet; its pid goes to PIDFILE.
 * usage: attach_tracer PID READYFILE | attach_tracer --exec-stopped PIDFILE PROG */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--exec-stopped")) {
		pid_t c = fork();
		if (c == 0) {
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
			execl(argv[3], argv[3], (char *)NULL);
			_exit(127);
		}
		int st;
		waitpid(c, &st, 0); /* the SIGTRAP stop at exec */
		ptrace(PTRACE_DETACH, c, NULL, (void *)(long)SIGSTOP);
		FILE *f = fopen(argv[2], "w");
		if (f) {
			fprintf(f, "%d\n", (int)c);
			fclose(f);
		}
		return 0;
	}
	if (argc != 3)
		return 2;
	if (ptrace(PTRACE_SEIZE, atoi(argv[1]), NULL, NULL) != 0) {
		perror("attach_tracer: PTRACE_SEIZE");
		return 1;
	}
	FILE *f = fopen(argv[2], "w");
	if (f)
		fclose(f);
	for (;;)
		pause();
}
