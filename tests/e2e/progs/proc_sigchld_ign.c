/* SPDX-License-Identifier: MIT */
/* proc_sigchld_ign.c - SIGCHLD is ignored (signal(SIGCHLD, SIG_IGN)), so the kernel reaps
 * children itself: three children that exit and are never waited for are not zombies and
 * must not be reported. A fourth is forked after sigaction(SA_NOCLDWAIT) for the same reason. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) static void autoreaped_child(void)
{
	if (fork() == 0)
		_exit(0);
}

int main(void)
{
	signal(SIGCHLD, SIG_IGN);
	for (int i = 0; i < 3; i++)
		autoreaped_child();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	autoreaped_child();
	usleep(300000);
	return 0;
}
