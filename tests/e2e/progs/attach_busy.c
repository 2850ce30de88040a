/* SPDX-License-Identifier: MIT */
/* attach_busy.c - a target that keeps changing under an attach: the main thread starts a
 * short-lived thread every millisecond (joined by the next round), a 1 ms interval timer
 * delivers SIGALRM to a handler that counts, and a worker thread churns malloc/free. It runs
 * until STOPFILE appears and prints "ok" if every thread it started was joined and the
 * handler ran (the counts themselves go to stderr), and exits 4.
 * usage: attach_busy READYFILE STOPFILE */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static volatile int stop;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void *shortlived(void *arg)
{
	char *p = malloc(64 + (size_t)arg % 64);
	memset(p, 0, 64);
	free(p);
	return arg;
}

static void *churn(void *arg)
{
	(void)arg;
	while (!stop) {
		void *p = malloc(100);
		free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 1000}, {0, 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	pthread_t c;
	pthread_create(&c, NULL, churn, NULL);
	FILE *f = fopen(argv[1], "w");
	if (f)
		fclose(f);
	long started = 0, joined = 0;
	pthread_t prev;
	int have_prev = 0;
	while (access(argv[2], F_OK) != 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, shortlived, (void *)started) == 0) {
			started++;
			if (have_prev && pthread_join(prev, NULL) == 0)
				joined++;
			prev = t;
			have_prev = 1;
		}
		usleep(1000);
	}
	if (have_prev && pthread_join(prev, NULL) == 0)
		joined++;
	stop = 1;
	pthread_join(c, NULL);
	fprintf(stderr, "threads %ld joined %ld alarms %d\n", started, joined, (int)alarms);
	puts(started == joined && alarms > 0 ? "ok" : "WRONG");
	return 4;
}
