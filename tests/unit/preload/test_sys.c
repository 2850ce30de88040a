/* SPDX-License-Identifier: MIT */
/* test_sys.c - libleak's own descriptors are opened and closed past syscall(): in libleak
 * syscall() is a hook that sends every descriptor number on to the descriptor hooks (a vfork
 * child's close of the trace number once came back to the trace's close path through it until
 * the stack ran out). This binary defines syscall() itself, as libleak does, counts the
 * descriptor calls that reach it and forwards everything to libc's: lk_sys_open,
 * lk_sys_close and the scan of every open descriptor make none, and report failures as
 * -errno with errno untouched. lk_sys_mmap_wipe carves its pieces from one wipe-on-fork
 * mapping: consecutive pieces are neighbours in one /proc/self/maps line, and a forked child
 * reads zeros where the parent wrote. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

/* The /proc/self/maps line holding p: its start and end. */
static bool map_of(const void *p, uintptr_t *lo, uintptr_t *hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;
	unsigned long a, b;
	char line[512];
	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && (uintptr_t)p >= a && (uintptr_t)p < b) {
			*lo = a;
			*hi = b;
			found = true;
		}
	if (f)
		fclose(f);
	return found;
}

static void test_wipe_pieces_share_a_mapping(void **state)
{
	(void)state;
	unsigned char *a = lk_sys_mmap_wipe(90000), *b = lk_sys_mmap_wipe(5000);
	if (!a)
		skip(); /* a kernel without MADV_WIPEONFORK */
	assert_non_null(b);
	assert_int_equal((uintptr_t)a % 4096, 0);
	assert_ptr_equal(b, a + 90112); /* the next page after a's */
	uintptr_t lo, hi, lo2, hi2;
	assert_true(map_of(a, &lo, &hi));
	assert_true(map_of(b, &lo2, &hi2));
	assert_true(lo == lo2 && hi == hi2);
	assert_true(a[0] == 0 && b[4999] == 0);
	memset(a, 0x5a, 90000);
	memset(b, 0x5a, 5000);
	pid_t pid = fork();
	if (pid == 0)
		_exit(a[0] == 0 && a[89999] == 0 && b[0] == 0 && b[4999] == 0 ? 0 : 1);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0); /* the child read zeros */
	assert_int_equal(a[89999], 0x5a);     /* the parent keeps its bytes */
	/* Past the mapping's room a piece is a mapping of its own, wiped all the same. */
	unsigned char *c = lk_sys_mmap_wipe(3u << 20);
	assert_non_null(c);
	assert_true(map_of(c, &lo2, &hi2));
	assert_false(lo2 == lo && hi2 == hi);
	c[0] = 1;
	pid = fork();
	if (pid == 0)
		_exit(c[0] == 0 ? 0 : 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Which reads never wait for another process (a sampled process reading them starts no
 * thread): files, directories and memory devices do not; pipes, sockets and /dev/kmsg (whose
 * read waits for the kernel's next message) may. Errno is kept. */
static void test_fd_never_waits(void **state)
{
	(void)state;
	static const char *const never[] = {"/proc/self/exe", "/", "/dev/null", "/dev/urandom"};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		int fd = open(never[i], O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		errno = 1234;
		if (!lk_sys_fd_never_waits(fd))
			fail_msg("%s: a read of it may wait?", never[i]);
		assert_int_equal(errno, 1234);
		close(fd);
	}
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_false(lk_sys_fd_never_waits(p[0]));
	close(p[0]);
	close(p[1]);
	assert_false(lk_sys_fd_never_waits(-1));
	int k = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k >= 0) { /* not readable without privileges: nothing to check then */
		assert_false(lk_sys_fd_never_waits(k));
		close(k);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_close_raw),
	    cmocka_unit_test(test_errors_as_negative_errno),
	    cmocka_unit_test(test_scan_raw),
	    cmocka_unit_test(test_wipe_pieces_share_a_mapping),
	    cmocka_unit_test(test_fd_never_waits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
