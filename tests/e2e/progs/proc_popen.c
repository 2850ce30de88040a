/* SPDX-License-Identifier: MIT */
/* proc_popen.c - popen without pclose: the pipe descriptor and the child (a zombie once it
 * exits) both leak, from popen_leak(). A popen'd child closed with pclose is neither. */
#include <stdio.h>
#include <unistd.h>

static FILE *volatile sink;

__attribute__((noinline)) static void popen_leak(void)
{
	sink = popen("exit 0", "r");
}

int main(void)
{
	FILE *ok = popen("exit 0", "r");
	if (ok)
		pclose(ok);
	popen_leak();
	usleep(300000);
	return 0;
}
