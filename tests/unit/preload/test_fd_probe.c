/* SPDX-License-Identifier: MIT */
/* test_fd_probe.c - descriptor naming and probing: socket addresses as text (AF_INET, AF_INET6,
 * AF_UNIX paths, the abstract namespace, unnamed and short addresses, truncation), socket kinds,
 * path joining (absolute kept, joined to a directory, to the cwd, an unknown directory), the
 * type of a descriptor from fstat and its /proc/self/fd link, close-on-exec as the kernel has
 * it, and the scan of every open descriptor. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "fd_probe.h"
#include "trace_format.h"

static void test_sockaddr_inet(void **state)
{
	(void)state;
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(5000)};
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	char out[64];
	lk_fd_probe_sockaddr((struct sockaddr *)&in, sizeof(in), out, sizeof(out));
	assert_string_equal(out, "127.0.0.1:5000");
	/* Shorter than a sockaddr_in: nothing to say. */
	lk_fd_probe_sockaddr((struct sockaddr *)&in, sizeof(in) - 1, out, sizeof(out));
	assert_string_equal(out, "");
	/* Truncated to the buffer, still terminated. */
	char small[6];
	lk_fd_probe_sockaddr((struct sockaddr *)&in, sizeof(in), small, sizeof(small));
	assert_string_equal(small, "127.0");
	lk_fd_probe_sockaddr(NULL, 0, out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_sockaddr_inet6(void **state)
{
	(void)state;
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	char out[80];
	lk_fd_probe_sockaddr((struct sockaddr *)&in6, sizeof(in6), out, sizeof(out));
	assert_string_equal(out, "[::1]:443");
	inet_pton(AF_INET6, "2001:db8::7", &in6.sin6_addr);
	in6.sin6_port = htons(8080);
	lk_fd_probe_sockaddr((struct sockaddr *)&in6, sizeof(in6), out, sizeof(out));
	assert_string_equal(out, "[2001:db8::7]:8080");
}

static socklen_t unix_addr(struct sockaddr_un *un, const char *path, size_t len)
{
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, len);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

static void test_sockaddr_unix(void **state)
{
	(void)state;
	struct sockaddr_un un;
	char out[128];
	/* A path, with its terminating NUL counted, as bind callers usually pass it. */
	socklen_t len = unix_addr(&un, "/run/x.sock", sizeof("/run/x.sock"));
	lk_fd_probe_sockaddr((struct sockaddr *)&un, len, out, sizeof(out));
	assert_string_equal(out, "/run/x.sock");
	/* Without the NUL: the length ends the name. */
	len = unix_addr(&un, "/run/y.sock", strlen("/run/y.sock"));
	lk_fd_probe_sockaddr((struct sockaddr *)&un, len, out, sizeof(out));
	assert_string_equal(out, "/run/y.sock");
	/* Abstract namespace: a leading NUL, the name runs to the length. */
	len = unix_addr(&un, "\0abstract", 9);
	lk_fd_probe_sockaddr((struct sockaddr *)&un, len, out, sizeof(out));
	assert_string_equal(out, "@abstract");
	/* Unnamed (autobind before naming, socketpair): only the family. */
	len = unix_addr(&un, "", 0);
	lk_fd_probe_sockaddr((struct sockaddr *)&un, len, out, sizeof(out));
	assert_string_equal(out, "");
	/* Another family says nothing. */
	struct sockaddr sa = {.sa_family = AF_APPLETALK};
	lk_fd_probe_sockaddr(&sa, sizeof(sa), out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_sock_kind(void **state)
{
	(void)state;
	assert_string_equal(lk_fd_probe_sock_kind(AF_INET, SOCK_STREAM), "tcp");
	assert_string_equal(lk_fd_probe_sock_kind(AF_INET, SOCK_DGRAM), "udp");
	assert_string_equal(lk_fd_probe_sock_kind(AF_INET, SOCK_RAW), "raw");
	assert_string_equal(lk_fd_probe_sock_kind(AF_INET6, SOCK_STREAM), "tcp6");
	assert_string_equal(lk_fd_probe_sock_kind(AF_INET6, SOCK_DGRAM), "udp6");
	assert_string_equal(lk_fd_probe_sock_kind(AF_UNIX, SOCK_DGRAM), "unix");
	assert_string_equal(lk_fd_probe_sock_kind(AF_NETLINK, SOCK_RAW), "netlink");
	assert_string_equal(lk_fd_probe_sock_kind(0, 0), "socket");
}

static void test_abs_path_dir(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(lk_fd_probe_abs_path("/srv/data", "a.txt", out, sizeof(out)),
	                    "/srv/data/a.txt");
	assert_string_equal(lk_fd_probe_abs_path("/srv/data", "sub/b", out, sizeof(out)),
	                    "/srv/data/sub/b");
	/* Absolute paths are kept whatever the directory. */
	assert_string_equal(lk_fd_probe_abs_path("/srv", "/etc/hosts", out, sizeof(out)),
	                    "/etc/hosts");
	assert_string_equal(lk_fd_probe_abs_path(NULL, "/etc/hosts", out, sizeof(out)),
	                    "/etc/hosts");
	/* An unknown directory leaves the path relative. */
	assert_string_equal(lk_fd_probe_abs_path("", "rel", out, sizeof(out)), "rel");
	/* No path: empty. */
	assert_string_equal(lk_fd_probe_abs_path("/srv", NULL, out, sizeof(out)), "");
	/* Truncated to the buffer. */
	char small[10];
	assert_string_equal(lk_fd_probe_abs_path("/srv/data", "file", small, sizeof(small)),
	                    "/srv/data");
}

static void test_abs_path_cwd(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/lk_probe_XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char old[PATH_MAX], real[PATH_MAX], want[PATH_MAX + 16], out[PATH_MAX + 16];
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(tmpl), 0);
	assert_non_null(realpath(tmpl, real));
	snprintf(want, sizeof(want), "%s/x.log", real);
	assert_string_equal(lk_fd_probe_abs_path(NULL, "x.log", out, sizeof(out)), want);
	snprintf(want, sizeof(want), "%s/d/y", real);
	assert_string_equal(lk_fd_probe_abs_path(NULL, "d/y", out, sizeof(out)), want);
	assert_int_equal(chdir(old), 0);
	rmdir(tmpl);
}

static void test_probe_type(void **state)
{
	(void)state;
	char path[LK_FD_LINK_LEN];
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(lk_fd_probe_type(p[0], path, sizeof(path)), TRACE_FD_PIPE);
	assert_string_equal(path, "");
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(lk_fd_probe_type(sv[0], path, sizeof(path)), TRACE_FD_SOCKET);

	char tmpl[] = "/tmp/lk_probe_file_XXXXXX";
	int f = mkstemp(tmpl);
	assert_true(f >= 0);
	assert_int_equal(lk_fd_probe_type(f, path, sizeof(path)), TRACE_FD_FILE);
	char real[PATH_MAX];
	assert_non_null(realpath(tmpl, real));
	assert_string_equal(path, real);
	unlink(tmpl);

	int d = open("/tmp", O_RDONLY | O_DIRECTORY);
	assert_true(d >= 0);
	assert_int_equal(lk_fd_probe_type(d, path, sizeof(path)), TRACE_FD_DIR);
	assert_non_null(realpath("/tmp", real));
	assert_string_equal(path, real);

	int m = memfd_create("probe", 0);
	assert_true(m >= 0);
	assert_int_equal(lk_fd_probe_type(m, path, sizeof(path)), TRACE_FD_MEMFD);
	assert_string_equal(path, "memfd:probe"); /* as memfd_create records it */

	int e = eventfd(0, 0);
	assert_true(e >= 0);
	assert_int_equal(lk_fd_probe_type(e, path, sizeof(path)), TRACE_FD_EVENTFD);

	/* Closed already: not recorded at all. */
	close(e);
	assert_int_equal(lk_fd_probe_type(e, path, sizeof(path)), -1);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	close(f);
	close(d);
	close(m);
}

static void test_link_type(void **state)
{
	(void)state;
	assert_int_equal(lk_fd_probe_link_type("socket:[123]", -1), TRACE_FD_SOCKET);
	assert_int_equal(lk_fd_probe_link_type("pipe:[9]", -1), TRACE_FD_PIPE);
	assert_int_equal(lk_fd_probe_link_type("anon_inode:[eventpoll]", -1), TRACE_FD_EPOLL);
	assert_int_equal(lk_fd_probe_link_type("anon_inode:[timerfd]", -1), TRACE_FD_TIMERFD);
	assert_int_equal(lk_fd_probe_link_type("anon_inode:[signalfd]", -1), TRACE_FD_SIGNALFD);
	assert_int_equal(lk_fd_probe_link_type("anon_inode:inotify", -1), TRACE_FD_INOTIFY);
	assert_int_equal(lk_fd_probe_link_type("/memfd:x (deleted)", -1), TRACE_FD_MEMFD);
	assert_int_equal(lk_fd_probe_link_type("anon_inode:[pidfd]", -1), TRACE_FD_OTHER);
	assert_int_equal(lk_fd_probe_link_type("", -1), TRACE_FD_OTHER);
	/* A path whose fd cannot be asked: a file. */
	assert_int_equal(lk_fd_probe_link_type("/var/log/x", -1), TRACE_FD_FILE);
}

static void test_cloexec(void **state)
{
	(void)state;
	int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int b = open("/dev/null", O_RDONLY);
	assert_int_equal(lk_fd_probe_cloexec(a), TRACE_FD_CLOEXEC);
	assert_int_equal(lk_fd_probe_cloexec(b), 0);
	assert_int_equal(lk_fd_probe_cloexec(-1), 0);
	close(a);
	close(b);
}

static int scan_skip = -1;
static int scan_seen[64];
static unsigned scan_type[64], scan_cloexec[64];

static bool scan_want(int fd)
{
	return fd != scan_skip && fd < 64;
}

static void scan_found(int fd, unsigned type, unsigned cloexec, const char *link)
{
	(void)link;
	scan_seen[fd]++;
	scan_type[fd] = type;
	scan_cloexec[fd] = cloexec;
}

static void test_open_fds(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	int skip = open("/dev/null", O_RDONLY);
	assert_true(p[1] < 64 && skip < 64);
	scan_skip = skip;
	lk_fd_probe_open_fds(scan_want, scan_found);
	assert_int_equal(scan_seen[p[0]], 1);
	assert_int_equal(scan_seen[p[1]], 1);
	assert_int_equal(scan_type[p[0]], TRACE_FD_PIPE);
	assert_int_equal(scan_cloexec[p[1]], TRACE_FD_CLOEXEC);
	assert_int_equal(scan_seen[skip], 0);
	close(p[0]);
	close(p[1]);
	close(skip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sockaddr_inet), cmocka_unit_test(test_sockaddr_inet6),
	    cmocka_unit_test(test_sockaddr_unix), cmocka_unit_test(test_sock_kind),
	    cmocka_unit_test(test_abs_path_dir),  cmocka_unit_test(test_abs_path_cwd),
	    cmocka_unit_test(test_probe_type),    cmocka_unit_test(test_link_type),
	    cmocka_unit_test(test_cloexec),       cmocka_unit_test(test_open_fds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
