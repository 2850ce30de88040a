/* SPDX-License-Identifier: MIT */
/* exit_raw.c MODE - ways out that skip exit() and _exit(). Modes:
 *   exit_group   syscall(SYS_exit_group, 7) from libc's syscall()
 *   exit_last    syscall(SYS_exit, 8) from the only thread
 *   exit_thread  a second thread leaves with syscall(SYS_exit, 0); main returns 3 later
 *   daemon       daemon(1, 1): the parent leaves through glibc's internal _exit(0); the
 *                child writes DIR/daemon.txt (argv[2]) and returns 0
 * Before leaving, syscall() is checked for transparency: a 6-argument mmap, an error with
 * errno, a plain call. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *volatile keep;

static void *leave_thread(void *arg)
{
	(void)arg;
	keep = malloc(77);
	syscall(SYS_exit, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	keep = malloc(1000); /* one real leak */
	void *p = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE,
	                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long bad = syscall(SYS_close, -1);
	int err = errno;
	printf("mmap %s, close(-1) %ld %s, getpid %s\n", p == MAP_FAILED ? "failed" : "ok", bad,
	       err == EBADF ? "EBADF" : "?", syscall(SYS_getpid) == getpid() ? "same" : "differs");
	fflush(stdout);
	if (strcmp(mode, "exit_group") == 0)
		syscall(SYS_exit_group, 7);
	if (strcmp(mode, "exit_last") == 0)
		syscall(SYS_exit, 8);
	if (strcmp(mode, "exit_thread") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, leave_thread, NULL) != 0)
			return 90;
		usleep(200000);
		printf("main still here\n");
		return 3;
	}
	if (strcmp(mode, "daemon") == 0 && argc > 2) {
		if (daemon(1, 1) != 0)
			return 91;
		usleep(100000);
		FILE *f = fopen(argv[2], "w");
		if (!f)
			return 92;
		fprintf(f, "daemon child %s\n", getppid() == 1 ? "adopted" : "reparented");
		fclose(f);
		return 0;
	}
	return 2;
}
