/* SPDX-License-Identifier: MIT */
/* soak_server.c - a small request/response server for soak tests: listens on 127.0.0.1 at a
 * port the kernel picks, prints "listening 127.0.0.1:PORT", and answers each connection's
 * one line ("GET KEY") with one line, then closes it. Each request gets a 1 KiB session from
 * session_create() and a response built in a bounded 64-slot cache. "healthy" frees the
 * session when the request ends; "leaky" keeps every session on a list (a per-request heap
 * leak, ~1 KiB per request). SIGTERM ends the loop and main returns 0 (the cache and, for
 * leaky, the sessions are still referenced from globals). Only 127.0.0.1.
 * Usage: soak_server healthy|leaky */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CACHE_SLOTS 64

struct session {
	struct session *next;
	unsigned long id;
	char scratch[1000];
};

static volatile sig_atomic_t stop;
static int leaky;
static struct session *kept;
static char *cache[CACHE_SLOTS];

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

__attribute__((noinline)) struct session *session_create(unsigned long id)
{
	struct session *s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	s->id = id;
	__asm__ volatile("" : : "r"(s) : "memory");
	return s;
}

__attribute__((noinline)) const char *cache_response(const char *key)
{
	unsigned h = 5381;
	for (const char *p = key; *p; p++)
		h = h * 33 + (unsigned char)*p;
	char **slot = &cache[h % CACHE_SLOTS];
	free(*slot);
	size_t n = strlen(key) + 16;
	*slot = malloc(n);
	if (!*slot)
		abort();
	snprintf(*slot, n, "value-of-%s\n", key);
	return *slot;
}

static void serve(int c, unsigned long id)
{
	struct session *s = session_create(id);
	char req[256];
	ssize_t n = read(c, req, sizeof(req) - 1);
	if (n > 0) {
		req[n] = '\0';
		req[strcspn(req, "\r\n")] = '\0';
		const char *key = strncmp(req, "GET ", 4) == 0 ? req + 4 : req;
		const char *resp = cache_response(key);
		if (write(c, resp, strlen(resp)) < 0)
			perror("write");
	}
	close(c);
	if (leaky) {
		s->next = kept;
		kept = s;
	} else {
		free(s);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "healthy") != 0 && strcmp(argv[1], "leaky") != 0)) {
		fprintf(stderr, "usage: soak_server healthy|leaky\n");
		return 2;
	}
	leaky = strcmp(argv[1], "leaky") == 0;
	struct sigaction sa = {.sa_handler = on_term};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: accept() returns EINTR */
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 128) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) != 0) {
		perror("soak_server: listen");
		return 1;
	}
	printf("listening 127.0.0.1:%u\n", ntohs(a.sin_port));
	fflush(stdout);
	unsigned long served = 0;
	while (!stop) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("soak_server: accept");
			return 1;
		}
		serve(c, ++served);
	}
	close(lfd);
	printf("served %lu\n", served);
	return 0;
}
