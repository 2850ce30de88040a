/* SPDX-License-Identifier: MIT */
/* attach_tracer.c - another tracer for the refusal test: PTRACE_SEIZEs PID (no stop), writes
 * READYFILE and sleeps until killed (the kernel then detaches it).
 * usage: attach_tracer PID READYFILE */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(int argc, char **argv)
{
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
