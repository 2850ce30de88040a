/* SPDX-License-Identifier: MIT */
/* attach_server.c - a server that sits blocked while it is attached: one thread in accept(),
 * the main thread in epoll_wait() (timeout -1) on a pipe, one in read() on another pipe, one
 * in nanosleep and one in recv() on a socket with a receive timeout (SO_RCVTIMEO: such a call
 * returns EINTR, not a restart, after any stop). Each connection sends lines; the server adds them
 * to a checksum, answers "ok N" and keeps a copy of every line it got (a growing list: malloc'd in
 * remember_line). "quit" ends it: it prints how many lines it served, the checksum, and whether any
 * call failed with EINTR (it never expects one: no signal handler is installed), and exits 5.
 * usage: attach_server PORTFILE */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int lsock, quit_pipe[2], idle_pipe[2], timed_pair[2];
static unsigned long long sum;
static unsigned served, eintr;
struct line {
	struct line *next;
	char text[];
};
static struct line *lines;

__attribute__((noinline)) static void remember_line(const char *s)
{
	size_t n = strlen(s);
	struct line *l = malloc(sizeof *l + n + 1);
	memcpy(l->text, s, n + 1);
	l->next = lines;
	lines = l;
}

static void *acceptor(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(lsock, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				eintr++;
			continue;
		}
		FILE *f = fdopen(c, "r");
		char buf[256];
		int quit = 0;
		while (fgets(buf, sizeof buf, f)) {
			buf[strcspn(buf, "\n")] = 0;
			if (!strcmp(buf, "quit")) {
				quit = 1;
				break;
			}
			for (char *p = buf; *p; p++)
				sum = sum * 131 + (unsigned char)*p;
			remember_line(buf);
			served++;
			dprintf(c, "ok %u\n", served);
		}
		fclose(f);
		if (quit) {
			if (write(quit_pipe[1], "q", 1) != 1)
				abort();
			return NULL;
		}
	}
}

static void *reader(void *arg)
{
	(void)arg;
	char c;
	for (;;) {
		ssize_t r = read(idle_pipe[0], &c, 1);
		if (r < 0 && errno == EINTR)
			eintr++;
		if (r == 0)
			return NULL;
	}
}

static void *timed_recv(void *arg)
{
	(void)arg;
	struct timeval tv = {3600, 0};
	setsockopt(timed_pair[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	char c;
	for (;;) {
		ssize_t r = recv(timed_pair[0], &c, 1, 0);
		if (r < 0 && errno == EINTR)
			eintr++;
		if (r == 0)
			return NULL;
	}
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec d = {3600, 0};
		if (nanosleep(&d, NULL) != 0 && errno == EINTR)
			eintr++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	lsock = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	if (bind(lsock, (struct sockaddr *)&a, sizeof a) || listen(lsock, 16) ||
	    getsockname(lsock, (struct sockaddr *)&a, &al))
		return 1;
	if (pipe(quit_pipe) || pipe(idle_pipe) || socketpair(AF_UNIX, SOCK_STREAM, 0, timed_pair))
		return 1;
	pthread_t t1, t2, t3, t4;
	pthread_create(&t1, NULL, acceptor, NULL);
	pthread_create(&t2, NULL, reader, NULL);
	pthread_create(&t3, NULL, sleeper, NULL);
	pthread_create(&t4, NULL, timed_recv, NULL);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	epoll_ctl(ep, EPOLL_CTL_ADD, quit_pipe[0], &ev);
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "w");
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	rename(tmp, argv[1]);
	for (;;) {
		struct epoll_event got;
		int r = epoll_wait(ep, &got, 1, -1);
		if (r < 0 && errno == EINTR) {
			eintr++;
			continue;
		}
		if (r == 1)
			break;
	}
	pthread_join(t1, NULL);
	printf("served %u lines, checksum %llu, EINTR seen %u\n", served, sum, eintr);
	return 5;
}
