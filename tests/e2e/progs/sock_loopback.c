/* SPDX-License-Identifier: MIT */
/* sock_loopback.c - sockets over loopback only. A TCP listener on 127.0.0.1 (port chosen by
 * the kernel, printed on stdout as "port N"), a client connected to it, the accepted socket
 * (accept with a NULL address: the peer must still be known), a socketpair, and a UDP socket
 * bound to 127.0.0.1: all leaked, each from its own function. A unix listener at argv[1]
 * is also leaked; a connected-then-closed TCP pair is not a leak. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile int sink;
static struct sockaddr_in addr;

__attribute__((noinline)) static int leak_listener(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(l, 8) != 0)
		return -1;
	socklen_t len = sizeof(addr);
	getsockname(l, (struct sockaddr *)&addr, &len);
	sink = l;
	return l;
}

__attribute__((noinline)) static void leak_client(void)
{
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		perror("connect");
	sink = c;
}

__attribute__((noinline)) static void leak_accepted(int l)
{
	sink = accept(l, NULL, NULL);
}

__attribute__((noinline)) static void leak_socketpair(void)
{
	int sv[2];
	sink = socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
}

__attribute__((noinline)) static void leak_udp(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(0)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(u, (struct sockaddr *)&a, sizeof(a));
	sink = u;
}

__attribute__((noinline)) static void leak_unix_listener(const char *path)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0)
		perror("bind unix");
	sink = s;
}

__attribute__((noinline)) static void closed_pair(int l)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&addr, sizeof(addr));
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	int a = accept(l, (struct sockaddr *)&peer, &len);
	close(a);
	close(c);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int l = leak_listener();
	if (l < 0)
		return 1;
	printf("port %d\n", ntohs(addr.sin_port));
	fflush(stdout);
	closed_pair(l);
	leak_client();
	leak_accepted(l);
	leak_socketpair();
	leak_udp();
	leak_unix_listener(argv[1]);
	return 0;
}
