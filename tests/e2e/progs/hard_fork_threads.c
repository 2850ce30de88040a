/* SPDX-License-Identifier: MIT */
/* hard_fork_threads.c - fork 200 times while four other threads allocate flat out.
 * A profiler lock (ring, table, writer) held by an allocating thread at the moment of fork
 * stays locked forever in the child, which then deadlocks on its first malloc. Each child
 * allocates, frees (one in two keeps a block) and exits with a known status; a child still
 * running after 10 s with all its threads asleep in futex waits (or after 120 s whatever it
 * does) is counted as hung, described on stderr (each thread's state and wait channel) and
 * killed, so the program reports a deadlock instead of hanging. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
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
/* A child normally ends within milliseconds. After CHILD_LIMIT_S it counts as hung if all its
 * threads sleep in futex waits; one that is still making progress (a loaded machine) gets
 * CHILD_SLOW_S more. */
#define CHILD_LIMIT_S 10
#define CHILD_SLOW_S  110

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
	if (n % 4 >= 2)
		free(p); /* nothing of its own left: this child writes no trace */
	if (n % 2)
		_exit(n % 7);
	exit(n % 7);
}

/* True when every thread of pid sleeps in a futex wait: a deadlock, as opposed to a child
 * that is slow on a loaded machine (running, or in uninterruptible sleep tearing down its
 * memory). Adds the threads' CPU time to *cpu_ticks. When describe is true, each thread's
 * state and wait channel go to stderr. */
static bool looks_deadlocked(pid_t pid, int n, bool describe, unsigned long *cpu_ticks)
{
	char path[320], buf[256];
	DIR *d;
	struct dirent *e;
	bool all_futex = true;
	int n_tasks = 0;

	*cpu_ticks = 0;
	if (describe)
		fprintf(stderr, "child %d (pid %d) hung:\n", n, (int)pid);
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return false;
	while ((e = readdir(d)) != NULL) {
		FILE *f;
		size_t len;
		const char *paren;
		char state = '?';
		unsigned long utime = 0, stime = 0;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/stat", (int)pid, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = 0;
		paren = strrchr(buf, ')');
		/* After "pid (comm) ": state, then fields 4..13, then utime and stime. */
		if (paren && sscanf(paren + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		                    &state, &utime, &stime) == 3)
			*cpu_ticks += utime + stime;
		if (describe)
			fprintf(stderr, "  task %s: %s", e->d_name, buf);
		snprintf(path, sizeof path, "/proc/%d/task/%s/wchan", (int)pid, e->d_name);
		f = fopen(path, "r");
		len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		if (f)
			fclose(f);
		buf[len] = 0;
		if (describe)
			fprintf(stderr, "  wchan %s\n", buf);
		if (state != 'S' || !strstr(buf, "futex"))
			all_futex = false;
		n_tasks++;
	}
	closedir(d);
	return n_tasks > 0 && all_futex;
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
		double deadline = now_s() + CHILD_LIMIT_S, since = 0;
		unsigned long last_ticks = ~0ul;
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
			unsigned long ticks;
			bool stuck;

			if (r == pid)
				break;
			if (now_s() > deadline) {
				/* Hung: asleep in futex waits, no CPU used for 2 s; or far too
				 * slow. */
				stuck = looks_deadlocked(pid, i, false, &ticks);
				if (!stuck || ticks != last_ticks) {
					last_ticks = ticks;
					since = now_s();
				}
				if ((stuck && now_s() - since >= 2.0) ||
				    now_s() > deadline + CHILD_SLOW_S) {
					looks_deadlocked(pid, i, true, &ticks);
					kill(pid, SIGKILL);
					waitpid(pid, &st, 0);
					hung++;
					st = -1;
					break;
				}
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
