/* SPDX-License-Identifier: MIT */
/* fd_passing.c - descriptors that arrive without an open call. Over an AF_UNIX datagram
 * socketpair (so message boundaries hold) the program sends descriptors of several kinds with
 * SCM_RIGHTS, closes its originals, and receives them from distinct functions:
 *   recv_several          recvmsg, MSG_CMSG_CLOEXEC, one message of 4: leaks the file
 *                         (/etc/hostname), the pipe read end and the UDP socket (its port is
 *                         printed as "port N"); closes the eventfd
 *   recv_two_mmsg         recvmmsg, two messages in one call: leaks the memfd, the eventfd and
 *                         the directory (/etc); closes the pipe write end
 *   recv_truncated_partial  room for one of three fds (MSG_CTRUNC): leaks that one (/etc/hosts)
 *   recv_and_close_all, recv_no_fds, recv_without_control, recv_truncated_empty: nothing left
 *   recv_errors           failing calls: the results and errno must be the kernel's
 *   leak_pidfd / closed_pidfd / leak_pidfd_getfd (a copy of /etc/passwd)
 * Every result is checked (exit 1 on a surprise). With argv[1] the program then execs it, so
 * the report shows which leaked descriptors were close-on-exec. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* glibc 2.36 has the wrappers in <sys/pidfd.h>; older header sets do not. */
int pidfd_open(pid_t pid, unsigned int flags);
int pidfd_getfd(int pidfd, int targetfd, unsigned int flags);

#define MAXFD 4

static int chan[2]; /* chan[0] sends, chan[1] receives */
static volatile int sink;

static void die(const char *what)
{
	fprintf(stderr, "fd_passing: %s (errno %d: %s)\n", what, errno, strerror(errno));
	exit(1);
}

static void expect(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fd_passing: unexpected: %s\n", what);
		exit(1);
	}
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags);
	if (fd < 0)
		die(path);
	return fd;
}

/* Sends one byte with fds[0..n) attached (none if n == 0). */
static void send_fds(const int *fds, int n)
{
	union {
		char buf[CMSG_SPACE(MAXFD * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'x';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (n > 0) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(n * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	if (sendmsg(chan[0], &m, 0) != 1)
		die("sendmsg");
}

/* Sends fds[0..n) and closes them: from now on only the receiver holds them. */
static void send_and_close(const int *fds, int n)
{
	send_fds(fds, n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* The fds of the first SCM_RIGHTS message in m (as the kernel returned it) into out. */
static int fds_of(struct msghdr *m, int *out)
{
	int n = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(out, CMSG_DATA(c), n * sizeof(int));
			break;
		}
	return n;
}

static int is_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0)
		die("F_GETFD on a received descriptor");
	return (fl & FD_CLOEXEC) != 0;
}

/* One message of four kinds at once: keep three. */
__attribute__((noinline)) static void recv_several(void)
{
	union {
		char buf[CMSG_SPACE(MAXFD * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
	                   .msg_iovlen = 1,
	                   .msg_control = u.buf,
	                   .msg_controllen = sizeof(u.buf)};
	errno = 12345;
	if (recvmsg(chan[1], &m, MSG_CMSG_CLOEXEC) != 1)
		die("recvmsg (several)");
	expect(errno == 12345, "recvmsg changed errno on success");
	expect(!(m.msg_flags & MSG_CTRUNC), "recv_several truncated");
	int fds[MAXFD];
	expect(fds_of(&m, fds) == 4, "recv_several: 4 fds");
	for (int i = 0; i < 4; i++)
		expect(is_cloexec(fds[i]), "MSG_CMSG_CLOEXEC fd without FD_CLOEXEC");
	close(fds[2]); /* the eventfd */
	sink = fds[0] + fds[1] + fds[3];
}

/* Two messages in one recvmmsg call, without MSG_CMSG_CLOEXEC: keep three of four. */
__attribute__((noinline)) static void recv_two_mmsg(void)
{
	union {
		char buf[CMSG_SPACE(MAXFD * sizeof(int))];
		struct cmsghdr align;
	} u[2];
	char bytes[2];
	struct iovec iov[2];
	struct mmsghdr v[2];
	memset(v, 0, sizeof(v));
	for (int i = 0; i < 2; i++) {
		iov[i] = (struct iovec){.iov_base = &bytes[i], .iov_len = 1};
		v[i].msg_hdr.msg_iov = &iov[i];
		v[i].msg_hdr.msg_iovlen = 1;
		v[i].msg_hdr.msg_control = u[i].buf;
		v[i].msg_hdr.msg_controllen = sizeof(u[i].buf);
	}
	if (recvmmsg(chan[1], v, 2, 0, NULL) != 2)
		die("recvmmsg");
	int a[MAXFD], b[MAXFD];
	expect(fds_of(&v[0].msg_hdr, a) == 2 && fds_of(&v[1].msg_hdr, b) == 2,
	       "recv_two_mmsg: 2 + 2 fds");
	expect(!is_cloexec(a[0]) && !is_cloexec(b[1]), "fd close-on-exec without MSG_CMSG_CLOEXEC");
	close(b[1]); /* the pipe write end */
	sink = a[0] + a[1] + b[0];
}

__attribute__((noinline)) static void recv_and_close_all(void)
{
	union {
		char buf[CMSG_SPACE(MAXFD * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
	                   .msg_iovlen = 1,
	                   .msg_control = u.buf,
	                   .msg_controllen = sizeof(u.buf)};
	if (recvmsg(chan[1], &m, 0) != 1)
		die("recvmsg (close all)");
	int fds[MAXFD];
	int n = fds_of(&m, fds);
	expect(n == 2, "recv_and_close_all: 2 fds");
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* A control buffer, but the message carries no descriptors. */
__attribute__((noinline)) static void recv_no_fds(void)
{
	union {
		char buf[CMSG_SPACE(MAXFD * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
	                   .msg_iovlen = 1,
	                   .msg_control = u.buf,
	                   .msg_controllen = sizeof(u.buf)};
	if (recvmsg(chan[1], &m, 0) != 1)
		die("recvmsg (no fds)");
	expect(m.msg_controllen == 0, "recv_no_fds: control data");
}

/* No control buffer: the kernel discards the descriptors and says MSG_CTRUNC. */
__attribute__((noinline)) static void recv_without_control(void)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (recvmsg(chan[1], &m, 0) != 1)
		die("recvmsg (no control buffer)");
	expect(m.msg_flags & MSG_CTRUNC, "recv_without_control: MSG_CTRUNC");
}

/* Room for a header but not one descriptor: nothing arrives, MSG_CTRUNC. */
__attribute__((noinline)) static void recv_truncated_empty(void)
{
	union {
		char buf[CMSG_SPACE(MAXFD * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
	                   .msg_iovlen = 1,
	                   .msg_control = u.buf,
	                   .msg_controllen = sizeof(struct cmsghdr)};
	if (recvmsg(chan[1], &m, 0) != 1)
		die("recvmsg (truncated, empty)");
	expect(m.msg_flags & MSG_CTRUNC, "recv_truncated_empty: MSG_CTRUNC");
	int fds[MAXFD];
	expect(fds_of(&m, fds) == 0, "recv_truncated_empty: no fds");
}

/* Room for one descriptor of three: that one arrives (and leaks), the kernel closes the rest. */
__attribute__((noinline)) static void recv_truncated_partial(void)
{
	union {
		char buf[CMSG_SPACE(MAXFD * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
	                   .msg_iovlen = 1,
	                   .msg_control = u.buf,
	                   .msg_controllen = CMSG_LEN(sizeof(int))};
	if (recvmsg(chan[1], &m, 0) != 1)
		die("recvmsg (truncated, partial)");
	expect(m.msg_flags & MSG_CTRUNC, "recv_truncated_partial: MSG_CTRUNC");
	int fds[MAXFD];
	expect(fds_of(&m, fds) == 1, "recv_truncated_partial: 1 fd");
	sink = fds[0];
}

/* Failing calls: the caller must see the kernel's result and errno. */
__attribute__((noinline)) static void recv_errors(void)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	errno = 0;
	expect(recvmsg(-1, &m, 0) == -1 && errno == EBADF, "recvmsg(-1): EBADF");
	errno = 0;
	expect(recvmsg(chan[1], NULL, MSG_DONTWAIT) == -1 && errno == EFAULT,
	       "recvmsg(NULL): EFAULT");
	errno = 0;
	expect(recvmsg(chan[1], &m, MSG_DONTWAIT) == -1 && errno == EAGAIN,
	       "recvmsg on an empty socket: EAGAIN");
	errno = 0;
	expect(recvmmsg(chan[1], NULL, 1, MSG_DONTWAIT, NULL) == -1 && errno == EFAULT,
	       "recvmmsg(NULL): EFAULT");
	struct mmsghdr v = {.msg_hdr = m};
	errno = 0;
	expect(recvmmsg(chan[1], &v, 1, MSG_DONTWAIT, NULL) == -1 && errno == EAGAIN,
	       "recvmmsg on an empty socket: EAGAIN");
	errno = 0;
	expect(pidfd_open(-1, 0) == -1 && errno == EINVAL, "pidfd_open(-1): EINVAL");
	errno = 0;
	expect(pidfd_getfd(-1, 0, 0) == -1 && errno == EBADF, "pidfd_getfd(-1): EBADF");
}

__attribute__((noinline)) static void leak_pidfd(void)
{
	int fd = pidfd_open(getpid(), 0);
	if (fd < 0)
		die("pidfd_open");
	expect(is_cloexec(fd), "pidfd without FD_CLOEXEC");
	sink = fd;
}

__attribute__((noinline)) static void closed_pidfd(void)
{
	int fd = pidfd_open(getpid(), 0);
	if (fd < 0)
		die("pidfd_open");
	close(fd);
}

/* A copy of this process's own /etc/passwd descriptor, taken through a pidfd. */
__attribute__((noinline)) static void leak_pidfd_getfd(void)
{
	int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0); /* not the hook: no record */
	int src = open_or_die("/etc/passwd", O_RDONLY);
	int fd = pidfd_getfd(pfd, src, 0);
	if (pfd < 0 || fd < 0)
		die("pidfd_getfd");
	expect(is_cloexec(fd), "pidfd_getfd copy without FD_CLOEXEC");
	close(src);
	close(pfd);
	sink = fd;
}

/* A UDP socket bound to 127.0.0.1; with `print`, its port goes to stdout as "port N". */
static int udp_socket(int print)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) != 0)
		die("udp socket");
	if (print)
		printf("port %d\n", ntohs(a.sin_port));
	return s;
}

int main(int argc, char **argv)
{
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, chan) != 0)
		die("socketpair");
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	int efd = eventfd(0, 0), efd2 = eventfd(0, 0), mfd = memfd_create("lk-scm-memfd", 0);
	if (efd < 0 || efd2 < 0 || mfd < 0)
		die("eventfd/memfd");

	int m1[] = {open_or_die("/etc/hostname", O_RDONLY), p[0], efd, udp_socket(1)};
	send_and_close(m1, 4);
	int m2[] = {mfd, efd2};
	send_and_close(m2, 2);
	int m3[] = {open_or_die("/etc", O_RDONLY | O_DIRECTORY), p[1]};
	send_and_close(m3, 2);
	int m4[] = {open_or_die("/etc/passwd", O_RDONLY), udp_socket(0)};
	send_and_close(m4, 2);
	send_fds(NULL, 0);
	int m6[] = {open_or_die("/etc/group", O_RDONLY), eventfd(0, 0)};
	send_and_close(m6, 2);
	int m7[] = {open_or_die("/etc/group", O_RDONLY), eventfd(0, 0)};
	send_and_close(m7, 2);
	int m8[] = {open_or_die("/etc/hosts", O_RDONLY), eventfd(0, 0), eventfd(0, 0)};
	send_and_close(m8, 3);

	recv_several();
	recv_two_mmsg();
	recv_and_close_all();
	recv_no_fds();
	recv_without_control();
	recv_truncated_empty();
	recv_truncated_partial();
	recv_errors();
	leak_pidfd();
	closed_pidfd();
	leak_pidfd_getfd();

	close(chan[0]);
	close(chan[1]);
	fflush(stdout);
	if (argc > 1) {
		execv(argv[1], argv + 1);
		die("execv");
	}
	return 0;
}
