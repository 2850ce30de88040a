/* SPDX-License-Identifier: MIT */
/* proc_everything_right.c - does every kind of thing libleak tracks beyond the heap, and
 * cleans up after each: files, sockets, pipes, popen+pclose, fork+waitpid, posix_spawn+wait,
 * joined and detached threads, temp files removed (argv[1] is a scratch directory), dup'd
 * descriptors closed. The report must have no finding of any kind. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void *work(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	close(open("/etc/hostname", O_RDONLY));
	fclose(fopen("/etc/hostname", "r"));
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 1);
	getsockname(l, (struct sockaddr *)&a, &len);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, sizeof(a));
	int s = accept(l, NULL, NULL);
	close(s);
	close(c);
	close(l);
	int p[2];
	pipe(p);
	int d = dup(p[0]);
	close(d);
	close(p[0]);
	close(p[1]);
	close(eventfd(0, 0));
	FILE *po = popen("exit 0", "r");
	pclose(po);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	char *args[] = {"/bin/true", NULL};
	if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) == 0)
		waitpid(pid, NULL, 0);
	pthread_t t1, t2;
	pthread_create(&t1, NULL, work, NULL);
	pthread_join(t1, NULL);
	pthread_create(&t2, NULL, work, NULL);
	pthread_detach(t2);
	char tmpl[512];
	snprintf(tmpl, sizeof(tmpl), "%s/ok-XXXXXX", argv[1]);
	close(mkstemp(tmpl));
	unlink(tmpl);
	usleep(100000); /* the detached thread finishes */
	return 0;
}
