/* hard_fork_threads.c - fork 200 times while four other threads allocate flat out.
 * A profiler lock (ring, table, writer) held by an allocating thread at the moment of fork
 * stays locked forever in the child, which then deadlocks on its first malloc. Each child
 * allocates, frees and exits with a known status; a child still running after 10 s is
 * counted as hung and killed, so the program reports a deadlock instead of hanging. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_THREADS 4
#define N_FORKS   200
#define N_KEEP    64

static atomic_int stop;

static void *churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void *keep[N_KEEP] = {0};

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned i = (unsigned)rand_r(&seed) % N_KEEP;
		free(keep[i]);
		keep[i] = malloc(1 + (unsigned)rand_r(&seed) % 4096);
		if (keep[i])
			memset(keep[i], (int)i, 1);
	}
	for (int i = 0; i < N_KEEP; i++)
		free(keep[i]);
	return NULL;
}

static void child(int n)
{
	char *p = malloc(100 + (size_t)n);
	char *q;

	if (!p)
		_exit(100);
	snprintf(p, 100, "child %d", n);
	q = strdup(p);
	p = realloc(p, 10000);
	free(q);
	free(p);
	if (n % 2)
		_exit(n % 7);
	exit(n % 7);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	pthread_t th[N_THREADS];
	int ok = 0, hung = 0, bad = 0;

	for (int i = 0; i < N_THREADS; i++)
		pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < N_FORKS; i++) {
		pid_t pid;
		int st = 0;
		double deadline = now_s() + 10.0;
		struct timespec ms = {0, 1000000};

		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			child(i);
		for (;;) {
			pid_t r = waitpid(pid, &st, WNOHANG);

			if (r == pid)
				break;
			if (now_s() > deadline) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				hung++;
				st = -1;
				break;
			}
			nanosleep(&ms, NULL);
		}
		if (st == -1)
			continue;
		if (WIFEXITED(st) && WEXITSTATUS(st) == i % 7)
			ok++;
		else
			bad++;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(th[i], NULL);
	printf("forks=%d ok=%d hung=%d bad=%d\n", N_FORKS, ok, hung, bad);
	return hung || bad;
}
