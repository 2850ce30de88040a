/* SPDX-License-Identifier: MIT */
/* test_sys.c - libleak's own descriptors are opened and closed past syscall(): in libleak
 * syscall() is a hook that sends every descriptor number on to the descriptor hooks (a vfork
 * child's close of the trace number once came back to the trace's close path through it until
 * the stack ran out). This binary defines syscall() itself, as libleak does, counts the
 * descriptor calls that reach it and forwards everything to libc's: lk_sys_open,
 * lk_sys_close and the scan of every open descriptor make none, and report failures as
 * -errno with errno untouched. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "fd_probe.h"
#include "sys.h"

static int fd_calls; /* descriptor system calls that came through syscall() */

long syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	long a[6];
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_openat || nr == SYS_close || nr == SYS_open || nr == SYS_dup2)
		fd_calls++;
	static long (*real)(long, ...);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void test_open_close_raw(void **state)
{
	(void)state;
#if !defined(__x86_64__)
	skip(); /* elsewhere lk_sys_raw goes through syscall() */
#endif
	fd_calls = 0;
	int fd = lk_sys_open("/dev/null", O_RDONLY | O_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(lk_sys_close(fd), 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* really closed */
	assert_int_equal(fd_calls, 0);
}

static void test_errors_as_negative_errno(void **state)
{
	(void)state;
	errno = 1234;
	assert_int_equal(lk_sys_open("/nonexistent/libleak", O_RDONLY, 0), -ENOENT);
	assert_int_equal(lk_sys_close(-1), -EBADF);
	assert_int_equal(errno, 1234);
	/* O_CREAT's mode reaches the kernel (the fourth argument). */
	char path[] = "/tmp/libleak-test-sys-XXXXXX";
	int t = mkstemp(path);
	assert_true(t >= 0);
	close(t);
	unlink(path);
	umask(022);
	int fd = lk_sys_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	lk_sys_close(fd);
	unlink(path);
}

static int scanned;
static bool want_all(int fd)
{
	(void)fd;
	return true;
}
static void count_found(int fd, unsigned type, unsigned cloexec, const char *link)
{
	(void)fd;
	(void)type;
	(void)cloexec;
	(void)link;
	scanned++;
}

static void test_scan_raw(void **state)
{
	(void)state;
#if !defined(__x86_64__)
	skip();
#endif
	fd_calls = 0;
	scanned = 0;
	lk_fd_probe_open_fds(want_all, count_found);
	assert_true(scanned >= 3); /* stdin, stdout, stderr at least */
	assert_int_equal(fd_calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_close_raw),
	    cmocka_unit_test(test_errors_as_negative_errno),
	    cmocka_unit_test(test_scan_raw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
