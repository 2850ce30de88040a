/* SPDX-License-Identifier: MIT */
/* vfork_child_hooks.c - vfork children that do before their exec what Python's
 * _posixsubprocess child does, on the hooks a vfork child passes through: one closes every
 * descriptor number from 3 up to the limit with close() (so the trace's number too), one with
 * syscall(SYS_close), one after a failing close_range (as Python's falls back), and one sets
 * SIGCHLD to ignored with sigaction and signal; each execs argv[1] (true). A fifth calls
 * exit(0) instead, running the atexit list (libleak's entry too) in its parent's memory. Each
 * is reaped; one that died (or failed) is reported ("died N" and exit 1). Then a forked child,
 * running for 300 ms (so that snapshots under LEAK_INTERVAL_MS=20 list it), reaped by the raw wait4
 * system call: no hook sees that, so the exit snapshot finds it gone and "reaped" ("autoreaped"
 * if a vfork child's sigaction had changed its parent's idea of SIGCHLD). Last a 4242-byte
 * leak at leak_after, found only by the final snapshot: the parent's trace still records
 * after its children closed their copies of its number, and its end still writes one. Prints
 * "shared N" (children that ran in the parent's memory) and "raw_reaped PID". */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int shared;
static void *volatile keep;

static void close_all(int how)
{
	long top = sysconf(_SC_OPEN_MAX);
	if (top < 0 || top > 65536)
		top = 65536;
	for (int fd = 3; fd < top; fd++) {
		if (how == 0)
			close(fd);
		else
			syscall(SYS_close, fd);
	}
}

__attribute__((noinline)) static pid_t spawn(const char *bin, int what)
{
	pid_t pid = vfork();
	if (pid != 0)
		return pid;
	shared++;
	switch (what) {
	case 0:
	case 1:
		close_all(what);
		break;
	case 2:
		if (close_range(3, 2, 0) != 0) /* EINVAL, as Python's when fd 3 is kept */
			close_all(0);
		break;
	case 4:
		exit(0); /* runs the atexit list, libleak's entry too, in the parent's memory */
	default: {
		struct sigaction sa = {0};
		sa.sa_handler = SIG_IGN;
		sigaction(SIGCHLD, &sa, NULL);
		signal(SIGCHLD, SIG_IGN);
		break;
	}
	}
	execl(bin, bin, (char *)NULL);
	_exit(127);
}

__attribute__((noinline)) static void leak_after(void)
{
	keep = malloc(4242);
	keep = NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	for (int what = 0; what < 5; what++) {
		int st;
		pid_t pid = spawn(argv[1], what);
		if (pid < 0 || waitpid(pid, &st, 0) != pid) {
			perror("vfork");
			return 1;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("died %d: status %#x\n", what, st);
			return 1;
		}
	}
	/* A child the snapshots see running (LEAK_INTERVAL_MS=20 and 300 ms), then reaped. */
	int fds[2];
	if (pipe(fds) != 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(fds[1]);
		while (read(fds[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(fds[0]);
	struct timespec ts = {0, 300 * 1000 * 1000};
	nanosleep(&ts, NULL);
	close(fds[1]);
	int st;
	if (pid < 0 || syscall(SYS_wait4, pid, &st, 0, NULL) != pid)
		return 1;
	leak_after();
	printf("shared %d\nraw_reaped %d\n", shared, (int)pid);
	return 0;
}
