/* SPDX-License-Identifier: MIT */
/* fd_hostile_names.c DIR - leaks descriptors whose names could hurt a report: from one call
 * site, 12 files in DIR named with terminal escapes (ESC [31m, an OSC title sequence ending
 * in BEL) and with invalid UTF-8 (0xff, a truncated 0xc3), and 5 TCP client sockets connected
 * to one listener on 127.0.0.1 (5 local ports, one peer). Prints "ready" and exits 0. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((noinline)) static int open_named(const char *dir, int i)
{
	char path[512];
	if (i % 2)
		snprintf(path, sizeof(path), "%s/esc\x1b[31mred\x1b]0;pwned\x07-%d", dir, i);
	else
		snprintf(path, sizeof(path), "%s/utf-\xff\xc3(-%d", dir, i);
	return open(path, O_CREAT | O_WRONLY, 0600);
}

__attribute__((noinline)) static int connect_client(const struct sockaddr_in *a)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s >= 0)
		connect(s, (const struct sockaddr *)a, sizeof(*a));
	return s;
}

/* Loop counts the optimizer cannot see, so it cannot unroll a loop into several call sites. */
static volatile int n_files = 12, n_clients = 5;

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	for (int i = 0; i < n_files; i++)
		if (open_named(argv[1], i) < 0)
			return 1;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 16) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) != 0)
		return 1;
	for (int i = 0; i < n_clients; i++)
		connect_client(&a);
	puts("ready");
	return 0;
}
