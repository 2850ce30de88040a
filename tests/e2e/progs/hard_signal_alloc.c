/* SPDX-License-Identifier: MIT */
/* hard_signal_alloc.c - a SIGALRM handler that allocates and frees, firing every 100 us.
 * Not async-signal-safe by the book, but common in real programs. To keep the program
 * itself well defined, main blocks SIGALRM around its own malloc calls, so the handler only
 * interrupts plain computation and the descriptor calls (open, close, pipe), which the
 * preload also hooks. A preload thread that leaves SIGALRM unblocked would run the handler
 * on that thread, inside the profiler: that must not deadlock either. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static void *volatile kept;

static void on_alarm(int sig)
{
	int saved = errno;
	char *p = malloc(64 + (size_t)(handled % 512));

	(void)sig;
	if (p) {
		memset(p, 'x', 64);
		p = realloc(p, 1024);
	}
	if (handled % 100 == 0) {
		free(kept);
		kept = p;
	} else {
		free(p);
	}
	handled++;
	errno = saved;
}

int main(void)
{
	struct sigaction sa;
	struct itimerval it = {{0, 100}, {0, 100}};
	sigset_t alrm, old;
	unsigned long sum = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 20000; i++) {
		int fd, fds[2];

		for (int j = 0; j < 200; j++)
			sum = sum * 31 + (unsigned long)(i ^ j);
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		if (pipe(fds) == 0) {
			close(fds[0]);
			close(fds[1]);
		}
		sigprocmask(SIG_BLOCK, &alrm, &old);
		char *p = malloc(32 + (size_t)(i % 100));
		if (p) {
			p[0] = (char)i;
			sum += (unsigned char)p[0];
		}
		free(p);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	printf("done: sum %lu, handler ran: %s\n", sum, handled > 0 ? "yes" : "no");
	return 0;
}
