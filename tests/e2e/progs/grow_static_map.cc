/* SPDX-License-Identifier: MIT */
/* grow_static_map.cc - a short C++ run whose cache is freed by static destructors at exit,
 * as a global std::map is: cache_insert() adds one entry (a ~40-byte key, a 200-byte value)
 * per millisecond for SECONDS seconds and never evicts ("grow"), or keeps the last 300 and
 * evicts the oldest ("steady": the same size, all from one stack, from before the first
 * snapshot to the end; its 300 are inserted at once).
 * Either way the exit snapshot, taken after the static destructors ran, holds none of it.
 * "drain" grows as "grow" does, and an atexit handler then erases the entries over ~0.4 s
 * before the destructor frees the rest, so periodic snapshots come during the teardown.
 * "forkgrow" runs the "grow" loop in a child an atexit handler forks (the parent waits for it):
 * the child is a running program, not a teardown, though its parent was exiting.
 * lost_blocks() leaks three new[] blocks, so the run has findings of its own either way.
 * Usage: grow_static_map grow|steady|drain|forkgrow SECONDS */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

static std::map<std::string, std::string> cache;
static char *volatile lost;
static volatile int fill_to; /* steady: entries kept, inserted at once at the start */

static std::string key(int i)
{
	char k[64];
	snprintf(k, sizeof(k), "request-%08d-with-a-long-enough-key", i);
	return k;
}

__attribute__((noinline)) static void cache_insert(int i)
{
	cache.emplace(key(i), std::string(200, 'v'));
}

__attribute__((noinline)) static void lost_blocks(void)
{
	for (int i = 0; i < 3; i++) {
		lost = new char[100 + i];
		lost[0] = 1;
	}
	lost = nullptr;
}

/* The "drain" exit handler: erases the entries one by one, 0.4 s in all. */
static void slow_drain(void)
{
	size_t n = cache.size();
	struct timespec tick = {0, n ? (long)(400000000 / n) : 0};
	while (!cache.empty()) {
		cache.erase(cache.begin());
		nanosleep(&tick, nullptr);
	}
}

static double since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static double fork_secs;

/* Grows the cache for SECS seconds, one entry a millisecond; returns the count. */
static int grow_for(double secs)
{
	struct timespec t0, tick = {0, 1000000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int n = 0;
	while (since(&t0) < secs) {
		cache_insert(n++);
		nanosleep(&tick, nullptr);
	}
	return n;
}

/* The "forkgrow" exit handler: a child that grows for fork_secs, then leaves with _exit. */
static void fork_worker(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child inserted %d\n", grow_for(fork_secs));
		fflush(stdout);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, nullptr, 0);
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "grow") != 0 && strcmp(argv[1], "steady") != 0 &&
	                  strcmp(argv[1], "drain") != 0 && strcmp(argv[1], "forkgrow") != 0)) {
		fprintf(stderr, "usage: grow_static_map grow|steady|drain|forkgrow SECONDS\n");
		return 2;
	}
	if (argv[1][0] == 'f') {
		fork_secs = atof(argv[2]);
		atexit(fork_worker);
		lost_blocks();
		return 0;
	}
	bool steady = argv[1][0] == 's';
	if (argv[1][0] == 'd')
		atexit(slow_drain);
	double secs = atof(argv[2]);
	lost_blocks();
	struct timespec t0, tick = {0, 1000000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int n = 0;
	/* One call site for every entry: entries from a fill loop of their own would be a stack
	 * of their own, whose share shrinks as the steady loop's grows, for 300 ticks (past the
	 * tested part's start on a loaded machine, where the ticks are slow). fill_to is read
	 * each time so that no compiler splits the loop in two. */
	fill_to = steady ? 300 : 0;
	while (since(&t0) < secs) {
		int fill = fill_to;
		if (fill && n >= fill)
			cache.erase(key(n - fill));
		cache_insert(n++);
		if (n > fill) /* steady fills its 300 at once */
			nanosleep(&tick, nullptr);
	}
	printf("inserted %d, %zu cached\n", n, cache.size());
	return 0;
}
