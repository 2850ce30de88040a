/* SPDX-License-Identifier: MIT */
/* attach_wipeenv.c - a program that wipes its environment strings in place (as some daemons
 * do to hide secrets), so /proc/PID/environ no longer shows the LD_PRELOAD it started with;
 * then it writes READYFILE and sleeps until STOPFILE appears.
 * usage: attach_wipeenv READYFILE STOPFILE */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	for (char **e = environ; *e; e++)
		memset(*e, 0, strlen(*e));
	FILE *f = fopen(argv[1], "w");
	if (f)
		fclose(f);
	while (access(argv[2], F_OK) != 0)
		usleep(10000);
	return 0;
}
