/* SPDX-License-Identifier: MIT */
/* proc_zombie.c - forks two children that exit at once and are never waited for (zombies at
 * exit), from zombie_maker(); one child still running when the parent exits, from
 * runaway_child(); one more child is reaped with waitpid (not a finding), one with wait(NULL)
 * (the status we need is fetched by the hook), and one via vfork+_exit reaped with waitid.
 * Prints the pids as "zombie N" and "running N". */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static pid_t zombie_maker(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	return pid;
}

__attribute__((noinline)) static void reaped_child(void)
{
	int st;
	pid_t a = fork();
	if (a == 0)
		_exit(1);
	waitpid(a, &st, 0);
	pid_t b = fork();
	if (b == 0)
		_exit(2);
	wait(NULL);
	pid_t c = vfork();
	if (c == 0)
		_exit(3);
	siginfo_t si;
	waitid(P_PID, (id_t)c, &si, WEXITED);
}

__attribute__((noinline)) static pid_t runaway_child(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		sleep(2);
		_exit(0);
	}
	return pid;
}

int main(void)
{
	reaped_child();
	for (int i = 0; i < 2; i++) {
		pid_t pid = zombie_maker();
		printf("zombie %d\n", (int)pid);
	}
	printf("running %d\n", (int)runaway_child());
	fflush(stdout);
	/* Let both exit (they are zombies once waitid WNOWAIT sees them). */
	usleep(300000);
	return 0;
}
