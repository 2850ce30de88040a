/* SPDX-License-Identifier: MIT */
/* sys.c - raw system calls for libleak's own I/O. open/close/write are interposed by libleak
 * itself (the descriptor hooks), and the host may interpose them too, so every byte libleak reads
 * or writes goes through syscall(2) here, and its own descriptors are opened and closed by the
 * system call instruction (lk_sys_raw): syscall() is libleak's hook too, for descriptor numbers.
 * Each helper returns >= 0 or -errno and leaves errno as it found it, so the host never sees our
 * bookkeeping (libuv convention). */
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

static long lk_sys_ret(long r)
{
	return r < 0 ? -errno : r;
}

long lk_sys_raw(long nr, long a, long b, long c, long d)
{
#if defined(__x86_64__)
	long rc;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall"
	                 : "=a"(rc)
	                 : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
	                 : "rcx", "r11", "memory");
	return rc;
#else
	int saved = errno;
	long r = lk_sys_ret(syscall(nr, a, b, c, d));
	errno = saved;
	return r;
#endif
}

int lk_sys_open(const char *path, int flags, int mode)
{
	return (int)lk_sys_raw(SYS_openat, AT_FDCWD, (long)path, flags, mode);
}

int lk_sys_close(int fd)
{
	return (int)lk_sys_raw(SYS_close, fd, 0, 0, 0);
}

ssize_t lk_sys_write(int fd, const void *buf, size_t n)
{
	int saved = errno;
	const char *p = buf;
	size_t done = 0;
	while (done < n) {
		long r = syscall(SYS_write, fd, p + done, n - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			errno = saved;
			return r;
		}
		if (r == 0) {
			errno = saved;
			return -EIO;
		}
		done += (size_t)r;
	}
	errno = saved;
	return (ssize_t)done;
}

ssize_t lk_sys_read(int fd, void *buf, size_t n)
{
	int saved = errno;
	long r;
	do
		r = syscall(SYS_read, fd, buf, n);
	while (r < 0 && errno == EINTR);
	r = lk_sys_ret(r);
	errno = saved;
	return r;
}

int lk_sys_fstat_ino(int fd, uint64_t *dev, uint64_t *ino)
{
	int saved = errno;
	struct stat st;
	long r = lk_sys_ret(syscall(SYS_fstat, fd, &st));
	errno = saved;
	if (r < 0)
		return (int)r;
	*dev = (uint64_t)st.st_dev;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

bool lk_sys_fd_never_waits(int fd)
{
	int saved = errno;
	struct stat st;
	long r = lk_sys_ret(syscall(SYS_fstat, fd, &st));
	errno = saved;
	/* Character devices of major 1 are memory's: /dev/null, zero, full, random, urandom (a
	 * library's seed: sqlite3's at start), but for minor 11, /dev/kmsg, whose read waits
	 * for the kernel's next message (a log collector's loop). A terminal is another major. */
	return r == 0 &&
	       (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode) ||
	        (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) != 11));
}

/* ---- libleak's own mappings ----------------------------------------------------------
 * The exit scan takes anonymous writable mappings as roots (reach.c), but not libleak's own:
 * its tables point at every block. Every mapping libleak makes is noted here, lock-free (a
 * slot is claimed by a compare-and-swap on its start), and forgotten when it is unmapped
 * whole. */
#define LK_OWN_MAX 4096
static struct {
	uintptr_t start, len;
} lk_own[LK_OWN_MAX];
static int lk_own_overflow;

void lk_sys_note_own(void *p, size_t n)
{
	for (size_t i = 0; i < LK_OWN_MAX; i++) {
		uintptr_t zero = 0;
		if (__atomic_load_n(&lk_own[i].start, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&lk_own[i].start, &zero, (uintptr_t)p, 0,
		                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			__atomic_store_n(&lk_own[i].len, (uintptr_t)n, __ATOMIC_RELEASE);
			return;
		}
	}
	__atomic_store_n(&lk_own_overflow, 1, __ATOMIC_RELAXED);
}

static void lk_sys_forget_own(void *p)
{
	for (size_t i = 0; i < LK_OWN_MAX; i++)
		if (__atomic_load_n(&lk_own[i].start, __ATOMIC_ACQUIRE) == (uintptr_t)p) {
			__atomic_store_n(&lk_own[i].len, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&lk_own[i].start, 0, __ATOMIC_RELEASE);
			return;
		}
}

int lk_sys_own_foreach(void (*fn)(void *arg, uintptr_t start, size_t len), void *arg)
{
	for (size_t i = 0; i < LK_OWN_MAX; i++) {
		uintptr_t s = __atomic_load_n(&lk_own[i].start, __ATOMIC_ACQUIRE);
		uintptr_t n = __atomic_load_n(&lk_own[i].len, __ATOMIC_ACQUIRE);
		if (s && n)
			fn(arg, s, n);
	}
	return __atomic_load_n(&lk_own_overflow, __ATOMIC_RELAXED) ? -1 : 0;
}

void *lk_sys_mmap(size_t n)
{
	int saved = errno;
	void *p = (void *)syscall(SYS_mmap, NULL, n, PROT_READ | PROT_WRITE,
	                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errno = saved;
	if (p == MAP_FAILED)
		return NULL;
	lk_sys_note_own(p, n);
	return p;
}

void *lk_sys_mmap_huge(size_t n)
{
	const size_t huge = 2u << 20;
	if (n < huge)
		return lk_sys_mmap(n);
	int saved = errno;
	size_t len = (n + 4095) & ~(size_t)4095;
	uint8_t *p = (uint8_t *)syscall(SYS_mmap, NULL, len + huge, PROT_READ | PROT_WRITE,
	                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errno = saved;
		return NULL;
	}
	/* Trimmed to [a, a + len), a 2 MiB aligned. */
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1),
	          end = (uintptr_t)p + len + huge;
	if (a > (uintptr_t)p)
		syscall(SYS_munmap, p, a - (uintptr_t)p);
	if (end > a + len)
		syscall(SYS_munmap, a + len, end - (a + len));
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
	syscall(SYS_madvise, a, len, MADV_HUGEPAGE); /* a hint: THP may be off */
	errno = saved;
	lk_sys_note_own((void *)a, len);
	return (void *)a;
}

void lk_sys_populate(void *p, size_t n)
{
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels say EINVAL */
#endif
	int saved = errno;
	syscall(SYS_madvise, p, n, MADV_POPULATE_WRITE);
	errno = saved;
}

bool lk_sys_wipe_on_fork(void *p, size_t n)
{
	int saved = errno;
	long rc = syscall(SYS_madvise, p, n, MADV_WIPEONFORK);
	errno = saved;
	return rc == 0;
}

/* The wipe-on-fork arena: one reservation every lk_sys_mmap_wipe carves from, so that all of
 * them (each thread's walk memo, the children's slots) are one mapping, not one each, for every
 * fork to copy. Its bump offset is in libleak's data, so a forked child goes on carving after
 * the parent's (zeroed) pieces. Pages never carved are never touched and cost nothing. */
/* Just under 2 MiB: a kernel puts a larger anonymous mapping at a 2 MiB boundary (for huge
 * pages), and the gap that leaves would keep the mappings beside it from merging. Room for
 * the children's slots and some 16 threads' memos; more take mappings of their own. */
#define LK_WIPE_ARENA ((2u << 20) - 4096u)
static uint8_t *lk_wipe_arena; /* NULL: not mapped yet; (void *)-1: the kernel refused */
static size_t lk_wipe_used;

static uint8_t *lk_wipe_arena_get(void)
{
	uint8_t *a = __atomic_load_n(&lk_wipe_arena, __ATOMIC_ACQUIRE);
	if (a)
		return a;
	int saved = errno;
	uint8_t *p = (uint8_t *)syscall(SYS_mmap, NULL, LK_WIPE_ARENA, PROT_READ | PROT_WRITE,
	                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED && syscall(SYS_madvise, p, LK_WIPE_ARENA, MADV_WIPEONFORK) != 0) {
		syscall(SYS_munmap, p, LK_WIPE_ARENA);
		p = (uint8_t *)-1; /* older than 4.14: say so for good, callers fall back */
	}
	errno = saved;
	if (p == MAP_FAILED)
		return (uint8_t *)-1; /* no memory now: a later call tries again */
	uint8_t *expected = NULL;
	if (!__atomic_compare_exchange_n(&lk_wipe_arena, &expected, p, false, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE)) {
		if (p != (uint8_t *)-1)
			syscall(SYS_munmap, p, LK_WIPE_ARENA); /* another thread's won */
		return expected;
	}
	if (p != (uint8_t *)-1)
		lk_sys_note_own(p, LK_WIPE_ARENA);
	return p;
}

void *lk_sys_mmap_wipe(size_t n)
{
	uint8_t *a = lk_wipe_arena_get();
	if (a == (uint8_t *)-1)
		return NULL;
	size_t len = (n + 4095) & ~(size_t)4095;
	size_t off = __atomic_load_n(&lk_wipe_used, __ATOMIC_RELAXED);
	do {
		if (len > LK_WIPE_ARENA - off) { /* full: a mapping of its own */
			void *p = lk_sys_mmap(n);
			if (p && !lk_sys_wipe_on_fork(p, n)) {
				lk_sys_munmap(p, n);
				p = NULL;
			}
			return p;
		}
	} while (!__atomic_compare_exchange_n(&lk_wipe_used, &off, off + len, true,
	                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return a + off;
}

/* A mapping of libleak's own, left out of forked children where the kernel allows. */
static void *lk_sys_mmap_unforked(size_t n, int prot, int flags, bool *kept_from_children)
{
	int saved = errno;
	void *p =
	    (void *)syscall(SYS_mmap, NULL, n, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	if (p == MAP_FAILED)
		p = NULL;
	else {
		*kept_from_children = syscall(SYS_madvise, p, n, MADV_DONTFORK) == 0;
		lk_sys_note_own(p, n);
	}
	errno = saved;
	return p;
}

void *lk_sys_mmap_private(size_t n, bool *kept_from_children)
{
	/* Filled at once (MAP_POPULATE): one call instead of a fault per page. */
	return lk_sys_mmap_unforked(n, PROT_READ | PROT_WRITE, MAP_POPULATE, kept_from_children);
}

void *lk_sys_reserve(size_t n, bool *kept_from_children)
{
	return lk_sys_mmap_unforked(n, PROT_NONE, MAP_NORESERVE, kept_from_children);
}

bool lk_sys_commit(void *p, size_t n, size_t fill)
{
	int saved = errno;
	bool ok = syscall(SYS_mprotect, p, n, PROT_READ | PROT_WRITE) == 0;
	if (ok && fill)
		syscall(SYS_madvise, p, fill, MADV_POPULATE_WRITE);
	errno = saved;
	return ok;
}

void lk_sys_munmap(void *p, size_t n)
{
	int saved = errno;
	if (p) {
		lk_sys_forget_own(p);
		syscall(SYS_munmap, p, n);
	}
	errno = saved;
}

pid_t lk_sys_getpid(void)
{
	return (pid_t)syscall(SYS_getpid);
}

pid_t lk_sys_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static uint64_t lk_clock_ns(clockid_t clk)
{
	struct timespec ts;
	int saved = errno;
	/* clock_gettime goes through the vDSO: no syscall, no allocation. */
	clock_gettime(clk, &ts);
	errno = saved;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t lk_now_ns(void)
{
	return lk_clock_ns(CLOCK_MONOTONIC);
}

uint64_t lk_realtime_ns(void)
{
	return lk_clock_ns(CLOCK_REALTIME);
}

uint64_t lk_process_cpu_ns(void)
{
	return lk_clock_ns(CLOCK_PROCESS_CPUTIME_ID); /* a system call, not the vDSO */
}

uint64_t lk_process_preempted(void)
{
	struct rusage ru;
	if (syscall(SYS_getrusage, RUSAGE_SELF, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_nivcsw;
}

int lk_sys_ncpu(void)
{
	cpu_set_t set;
	CPU_ZERO(&set); /* the kernel fills only as many bytes as it has processors for */
	if (syscall(SYS_sched_getaffinity, 0, sizeof(set), &set) <= 0)
		return 0;
	return CPU_COUNT(&set);
}

long lk_sys_read_file(const char *path, char *buf, size_t cap)
{
	int fd = lk_sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t r = lk_sys_read(fd, buf + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	lk_sys_close(fd);
	buf[len] = '\0';
	return (long)len;
}

int lk_sys_self_stat(char *state, long *threads)
{
	char buf[1024];
	if (lk_sys_read_file("/proc/self/stat", buf, sizeof(buf)) <= 0)
		return -1;
	const char *p = strrchr(buf, ')'); /* the command name may hold spaces and parens */
	if (!p || p[1] != ' ')
		return -1;
	*state = p[2];
	p += 2;
	for (int field = 3; field < 20 && *p; p++) /* num_threads is field 20 */
		if (*p == ' ')
			field++;
	long n = 0;
	while (*p >= '0' && *p <= '9')
		n = n * 10 + (*p++ - '0');
	*threads = n;
	return 0;
}

uint64_t lk_sys_rss_bytes(void)
{
	char buf[128];
	if (lk_sys_read_file("/proc/self/statm", buf, sizeof(buf)) <= 0)
		return 0;
	/* statm: size resident shared ... in pages; we want the second field. */
	const char *p = buf;
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	uint64_t pages = 0;
	while (*p >= '0' && *p <= '9')
		pages = pages * 10 + (uint64_t)(*p++ - '0');
	return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

size_t lk_fmt_u64(char *buf, uint64_t v)
{
	char tmp[21];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = 0;
	return n;
}
