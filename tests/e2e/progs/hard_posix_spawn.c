/* SPDX-License-Identifier: MIT */
/* hard_posix_spawn.c - posix_spawn and posix_spawnp with file actions, 20 times each,
 * from a program with a second thread allocating. glibc spawns with clone(CLONE_VM |
 * CLONE_VFORK), so the preload must not touch its state in the child before exec. */
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Allocations go through a volatile (per-thread) pointer so the compiler cannot drop a
 * malloc/free pair. */
static _Thread_local void *volatile sink;

extern char **environ;
static atomic_int stop;

static void *churn(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		sink = malloc(200);
		free(sink);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;

	if (argc > 2 && strcmp(argv[1], "child") == 0) {
		char *p = strdup(argv[2]);

		printf("spawned child %s\n", p);
		return atoi(p) % 4;
	}
	pthread_create(&th, NULL, churn, NULL);
	for (int i = 0; i < 20; i++) {
		char arg[16], cmd[64];
		char *cargv[] = {argv[0], "child", arg, NULL};
		char *sargv[] = {"sh", "-c", cmd, NULL};
		posix_spawn_file_actions_t fa;
		pid_t pid;
		int st, rc;

		snprintf(arg, sizeof arg, "%d", i);
		snprintf(cmd, sizeof cmd, "echo spawnp sh %d", i);
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		fflush(stdout);
		rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, cargv, environ);
		if (rc != 0) {
			fprintf(stderr, "posix_spawn: %s\n", strerror(rc));
			return 1;
		}
		waitpid(pid, &st, 0);
		printf("posix_spawn child %d exited %d\n", i, WEXITSTATUS(st));
		fflush(stdout);
		rc = posix_spawnp(&pid, "sh", &fa, NULL, sargv, environ);
		if (rc != 0) {
			fprintf(stderr, "posix_spawnp: %s\n", strerror(rc));
			return 1;
		}
		waitpid(pid, &st, 0);
		printf("posix_spawnp child %d exited %d\n", i, WEXITSTATUS(st));
		posix_spawn_file_actions_destroy(&fa);
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	return 0;
}
