/* hard_fork_threads.c - fork 200 times while four other threads allocate flat out.
 * A profiler lock (ring, table, writer) held by an allocating thread at the moment of fork
 * stays locked forever in the child, which then deadlocks on its first malloc. Each child
 * allocates, frees and exits with a known status; a child still running after 20 s is
 * counted as hung, described on stderr (each thread's state and wait channel) and killed, so
 * the program reports a deadlock instead of hanging. */
#include <dirent.h>
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
/* A child normally ends within milliseconds; this is for a loaded CI machine. */
#define CHILD_LIMIT_S 20

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

/* On stderr: where each thread of a hung child sleeps (state and kernel wait channel), so a
 * deadlock (futex_wait with no CPU progress) is told apart from a slow machine. */
static void describe_hung(pid_t pid, int n)
{
	char path[320], buf[256];
	DIR *d;
	struct dirent *e;

	fprintf(stderr, "child %d (pid %d) still running after %d s:\n", n, (int)pid,
	        CHILD_LIMIT_S);
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		FILE *f;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/stat", (int)pid, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = 0;
		fprintf(stderr, "  task %s: %s", e->d_name, buf);
		snprintf(path, sizeof path, "/proc/%d/task/%s/wchan", (int)pid, e->d_name);
		f = fopen(path, "r");
		if (f) {
			len = fread(buf, 1, sizeof buf - 1, f);
			fclose(f);
			buf[len] = 0;
			fprintf(stderr, "  wchan %s\n", buf);
		}
	}
	closedir(d);
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
		double deadline = now_s() + CHILD_LIMIT_S;
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
				describe_hung(pid, i);
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
