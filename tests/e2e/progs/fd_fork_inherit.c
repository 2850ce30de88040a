/* SPDX-License-Identifier: MIT */
/* fd_fork_inherit.c - what a forked child inherits is not the child's leak. The parent leaks
 * a TCP socket (parent_socket) and a file (parent_file) without close-on-exec, both ends of a
 * pipe2(O_CLOEXEC) (parent_pipe), a temp file left in argv[1] (parent_tempfile), and a
 * thread never joined (parent_thread); it also has a child not yet reaped ("early", which
 * _exits at once). Then it forks, one after the other, children that
 *   a: _exit at once,
 *   b: close nothing and exit(),
 *   c: leak a descriptor of their own (child_own_leak) and exit(),
 *   d: exec argv[2] (e.g. true), carrying the socket and the file, not the pipe.
 * Prints "child MODE PID" for each, waits for all of them, and exits 0 if each exited 0. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int sink;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

__attribute__((noinline)) static void parent_socket(void)
{
	sink = socket(AF_INET, SOCK_STREAM, 0);
}

__attribute__((noinline)) static void parent_file(void)
{
	sink = open("/etc/hostname", O_RDONLY);
}

__attribute__((noinline)) static void parent_pipe(void)
{
	int p[2];
	sink = pipe2(p, O_CLOEXEC);
}

__attribute__((noinline)) static int parent_tempfile(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/fork-left-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	printf("left %s\n", path);
	return 0;
}

static void *blocked(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
	return NULL;
}

__attribute__((noinline)) static int parent_thread(void)
{
	pthread_t t;
	return pthread_create(&t, NULL, blocked, NULL);
}

__attribute__((noinline)) static void child_own_leak(void)
{
	sink = open("/etc/passwd", O_RDONLY);
}

/* Forks a child that runs mode; returns its pid (the child never returns). */
static pid_t spawn(char mode, const char *prog)
{
	fflush(stdout); /* exit() in the child must not write the parent's buffer again */
	pid_t pid = fork();
	if (pid != 0) {
		if (pid > 0)
			printf("child %c %d\n", mode, (int)pid);
		return pid;
	}
	switch (mode) {
	case 'b':
		exit(0);
	case 'c':
		child_own_leak();
		exit(0);
	case 'd':
		execl(prog, prog, (char *)NULL);
		_exit(127);
	default:
		_exit(0);
	}
}

static int reap(pid_t pid)
{
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	parent_socket();
	parent_file();
	parent_pipe();
	if (parent_tempfile(argv[1]) != 0 || parent_thread() != 0)
		return 3;
	pid_t early = spawn('e', argv[2]);
	int bad = 0;
	for (const char *m = "abcd"; *m; m++)
		bad |= reap(spawn(*m, argv[2]));
	bad |= reap(early);
	fflush(stdout);
	return bad;
}
