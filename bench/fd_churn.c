/* SPDX-License-Identifier: MIT */
/* fd_churn.c - descriptor churn: open/read/close of a file, then socketpair/write/read/close,
 * with an occasional small malloc as real code has around its I/O. Usage: fd_churn FILE
 * [ITERS]. Prints "events N fd_opens O heap_allocs A" on stderr (events = opens + closes +
 * heap allocs + frees). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fd_churn FILE [ITERS]\n");
		return 2;
	}
	const char *path = argv[1];
	long iters = argc > 2 ? atol(argv[2]) : 30000;
	unsigned long long opens = 0, allocs = 0;
	char buf[64];
	for (long i = 0; i < iters; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		opens++;
		if (read(fd, buf, sizeof buf) < 0)
			perror("read");
		close(fd);

		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
			perror("socketpair");
			return 1;
		}
		opens += 2;
		if (write(sv[0], "x", 1) != 1 || read(sv[1], buf, 1) != 1)
			perror("socketpair io");
		close(sv[0]);
		close(sv[1]);

		if ((i & 7) == 0) {
			char *p = malloc(128 + (size_t)(i & 255));
			if (p) {
				memcpy(p, buf, sizeof buf);
				free(p);
			}
			allocs++;
		}
	}
	fprintf(stderr, "events %llu fd_opens %llu heap_allocs %llu\n", 2 * (opens + allocs), opens,
	        allocs);
	return 0;
}
