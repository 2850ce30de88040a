/* SPDX-License-Identifier: MIT */
/* grow_sockets.c - a loopback server that handles one request per connection, and a client
 * loop in the same process that sends one every 20 ms. "leak": handle_request() forgets to
 * close the accepted socket (a socket-per-request leak: open descriptors at accept_request's
 * stack grow by ~50/s); "ok": it closes it. Only 127.0.0.1. Runs SECONDS seconds (0 = until
 * killed), prints "ready" first and "requests N" at the end.
 * With KILL_AFTER > 0 it SIGKILLs itself after that many requests (a trace cut short, at a
 * moment when it is known to have been growing, however loaded the machine is).
 * Usage: grow_sockets leak|ok SECONDS [KILL_AFTER] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int leak;

__attribute__((noinline)) int accept_request(int lfd)
{
	int c = accept(lfd, NULL, NULL);
	__asm__ volatile("" : : "r"(c) : "memory");
	return c;
}

__attribute__((noinline)) void handle_request(int lfd)
{
	int c = accept_request(lfd);
	if (c < 0)
		return;
	char buf[16];
	ssize_t n = read(c, buf, sizeof(buf));
	if (n > 0 && write(c, "ok\n", 3) < 0)
		perror("write");
	if (!leak)
		close(c);
}

static void send_request(const struct sockaddr_in *a)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (const struct sockaddr *)a, sizeof(*a)) != 0) {
		perror("connect");
		exit(1);
	}
	if (write(s, "GET\n", 4) != 4)
		perror("write");
	close(s);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 || (strcmp(argv[1], "leak") != 0 && strcmp(argv[1], "ok") != 0)) {
		fprintf(stderr, "usage: grow_sockets leak|ok SECONDS [KILL_AFTER]\n");
		return 2;
	}
	leak = strcmp(argv[1], "leak") == 0;
	double secs = atof(argv[2]);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 64) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) != 0) {
		perror("listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	double end = now_s() + secs;
	long requests = 0, kill_after = argc == 4 ? atol(argv[3]) : 0;
	const struct timespec tick = {0, 20 * 1000 * 1000};
	while ((secs <= 0 || now_s() < end) && requests < 900) { /* stay below 1024 fds */
		send_request(&a);
		handle_request(lfd);
		requests++;
		if (kill_after > 0 && requests >= kill_after)
			raise(SIGKILL);
		nanosleep(&tick, NULL);
	}
	printf("requests %ld\n", requests);
	fflush(stdout);
	while (secs <= 0) /* ran out of descriptors to leak: wait to be killed */
		pause();
	return 0;
}
