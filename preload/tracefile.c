/* SPDX-License-Identifier: MIT */
/* tracefile.c - LEAK_OUT from pattern to open file, and the chunk appends; raw syscalls only.
 * The pattern is resolved once at start (absolute; a directory gets the default name) and
 * expanded for this process and each forked child. The descriptor made at creation is kept
 * high, close-on-exec and internal (a process that drops privileges could not reopen a 0600
 * file); a program's call that names its number moves it first (lk_tracefile_vacate); before each
 * chunk its dev/ino are checked, and if it was replaced unseen the path is reopened
 * O_APPEND|O_NOFOLLOW and checked the same way. A chunk is one write loop.
 * zstd allocates through mmap, never malloc: a lazy child may write its final snapshot from a
 * signal handler that interrupted the host's malloc. */
#include "fork_hot.h"
#include "tracefile.h"
#include "config.h"
#include "fd_table.h"
#include "guard.h"
#include "log.h"
#include "modules.h"
#include "spin.h"
#include "sys.h"
#include "trace_format.h"
#include "version.h"
#include "vfork.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCCtx_advanced, ZSTD_customMem (exported) */
#include <zstd.h>

static char lk_tf_pattern[4096]; /* absolute, directory resolved; %p %e %% kept */
static char lk_tf_path[4096];
/* this process is a forked child (its trace name may repeat) */
static int lk_tf_forked LK_FORK_WARM;
static uint64_t lk_tf_dev LK_FORK_WARM, lk_tf_ino LK_FORK_WARM;
int lk_tf_fd LK_FORK_WARM = -1; /* kept open between chunks; internal to libleak (tracefile.h) */
/* lk_tf_fd changes (keep, drop, vacate) under lk_tf_lock, with signals blocked. A chunk write
 * publishes the descriptor it writes through in lk_tf_busy; a hook whose call names that
 * number first moves lk_tf_fd away, then waits for lk_tf_busy to leave the number before it
 * closes it (seq_cst on both sides: the write either sees the moved number or is waited for). */
static volatile int lk_tf_lock LK_FORK_HOT;
static int lk_tf_busy LK_FORK_WARM = -1;
static int lk_tf_err LK_FORK_WARM;
static uint64_t lk_tf_chunks LK_FORK_WARM; /* chunks written into the current file */
/* removed unwritten (lk_tracefile_discard): created at next chunk */
static int lk_tf_discarded LK_FORK_WARM;
/* A traced child's trace (forked, or exec'd in a child: fork.h), not created: the first chunk
 * creates it, so a child that never writes one (lk_fork_exit_quiet) never makes a file. */
static int lk_tf_lazy LK_FORK_WARM;
/* A lazy child's name is made with its file (lk_tracefile_name_child): until then
 * lk_tf_path holds the parent's (or nothing), never read. Expanding the pattern at fork wrote the
 * path's page and called into code no other fork path uses, page faults in every child,
 * most of which never write a trace. */
static int lk_tf_unnamed LK_FORK_WARM;
static ZSTD_CCtx *lk_tf_cctx;
/* Chunks of at most this many raw bytes are stored, not compressed: a short-lived forked
 * child's only chunk, a quiet process's snapshots. zstd saves little on them, and in a
 * fresh child its code and context would be page faults (lk_tracefile_store). */
#define LK_TF_STORE_MAX 2048
static unsigned char *lk_tf_out;
static size_t lk_tf_out_cap;

int lk_tracefile_error(void)
{
	return lk_tf_err;
}

const char *lk_tracefile_path(void)
{
	return lk_tf_unnamed ? "" : lk_tf_path;
}

/* The lowest number the trace is kept at: RLIMIT_NOFILE/2 (512 under `ulimit -n 1024`) or
 * 1000 with more room; under a limit below 512, the top number (the program's own numbers
 * come from the bottom: the same as natively until its table is full). */
static long lk_tracefile_home(void)
{
	struct rlimit rl;
	if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) != 0 || rl.rlim_cur < 4)
		return 3;
	if (rl.rlim_cur >= 512)
		return rl.rlim_cur > 1024 ? 1000 : (long)rl.rlim_cur / 2;
	return (long)rl.rlim_cur - 1;
}

/* Takes ownership of fd: moves it out of the way of the program's own numbers (daemons redirect
 * 0-2 and often assume small numbers are theirs), close-on-exec, marked internal. */
static void lk_tracefile_keep(int fd)
{
	long hi = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, lk_tracefile_home());
	if (hi < 0)
		hi = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
	if (hi >= 0) {
		lk_sys_close(fd);
		fd = (int)hi;
	}
	lk_fd_mark_internal(fd);
	__atomic_store_n(&lk_tf_fd, fd, __ATOMIC_SEQ_CST);
}

static void lk_tracefile_drop_fd(int close_it)
{
	if (lk_tf_fd < 0)
		return;
	int fd = lk_tf_fd;
	__atomic_store_n(&lk_tf_fd, -1, __ATOMIC_SEQ_CST);
	lk_fd_unmark_internal(fd);
	if (close_it)
		lk_sys_close(fd);
}

/* All signals blocked (and the old mask saved) around a change of lk_tf_fd or a chunk write:
 * a handler on this thread that dup2s onto the trace number must not wait on itself. */
static void lk_tf_block(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, old, sizeof(long));
}

static void lk_tf_unblock(const sigset_t *old)
{
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, sizeof(long));
}

static int lk_tf_names_trace(int fd)
{
	uint64_t dev, ino;
	return fd >= 0 && lk_sys_fstat_ino(fd, &dev, &ino) == 0 && dev == lk_tf_dev &&
	       ino == lk_tf_ino;
}

int lk_tracefile_owns(int fd)
{
	if (fd < 0 || fd != __atomic_load_n(&lk_tf_fd, __ATOMIC_SEQ_CST))
		return 0;
	if (lk_tf_names_trace(fd))
		return 1;
	/* Replaced behind the hooks' back (a raw dup2): the number is the program's now. */
	sigset_t old;
	lk_tf_block(&old);
	lk_spin_lock(&lk_tf_lock);
	if (__atomic_load_n(&lk_tf_fd, __ATOMIC_SEQ_CST) == fd)
		lk_tracefile_drop_fd(0);
	lk_spin_unlock(&lk_tf_lock);
	lk_tf_unblock(&old);
	return 0;
}

/* A copy of the trace descriptor fd on a number the program is unlikely to name next: the
 * top of the table (a program sweeping its numbers upwards has passed everything else when it
 * gets there), else above fd, else anywhere. -1 without room. */
static long lk_tracefile_new_home(int fd)
{
	struct rlimit rl;
	long top = 1024;
	if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) == 0 && rl.rlim_cur < 1024)
		top = (long)rl.rlim_cur;
	long moved = fd < top - 1 ? syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, top - 1) : -1;
	if (moved < 0)
		moved = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, fd + 1);
	if (moved < 0)
		moved = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
	return moved;
}

void lk_tracefile_vacate(int fd)
{
	if (fd < 0 || fd != __atomic_load_n(&lk_tf_fd, __ATOMIC_SEQ_CST))
		return;
	if (lk_in_vfork_child) {
		/* The parent's trace stays where it is: only the child's copy goes, by the system
		 * call itself (lk_sys_close). syscall(SYS_close) would come back here through
		 * libleak's own syscall hook (lk_tf_fd is still fd, in the parent's memory) until
		 * the stack ran out: Python's vfork children closing every number up to the limit
		 * died so. */
		lk_sys_close(fd);
		return;
	}
	sigset_t old;
	lk_tf_block(&old);
	lk_spin_lock(&lk_tf_lock);
	if (__atomic_load_n(&lk_tf_fd, __ATOMIC_SEQ_CST) == fd) {
		/* Still the trace? One taken over behind the hooks' back (a raw dup2) is the
		 * program's: forgotten, never closed. */
		int ours = lk_tf_names_trace(fd);
		long moved = ours ? lk_tracefile_new_home(fd) : -1;
		lk_tracefile_drop_fd(0);
		if (moved >= 0) {
			lk_fd_mark_internal((int)moved);
			__atomic_store_n(&lk_tf_fd, (int)moved, __ATOMIC_SEQ_CST);
		}
		/* Without room the next chunk reopens the path. A chunk write that took fd before
		 * the move finishes first (it holds no lock: signals are blocked around it, so it
		 * is never this thread's); then the number is the program's again, and free, as
		 * natively. */
		while (ours && __atomic_load_n(&lk_tf_busy, __ATOMIC_SEQ_CST) == fd)
			syscall(SYS_sched_yield);
		if (ours)
			lk_sys_close(fd);
	}
	lk_spin_unlock(&lk_tf_lock);
	lk_tf_unblock(&old);
}

LK_FORK_TEXT void lk_tracefile_after_fork_child(void)
{
	/* Single-threaded now: a lock or a write another thread of the parent held at fork is
	 * nobody's here. */
	__atomic_store_n(&lk_tf_lock, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&lk_tf_busy, -1, __ATOMIC_SEQ_CST);
}

LK_FORK_TEXT void lk_tracefile_forget(void)
{
	lk_tracefile_drop_fd(1); /* the parent's file: the child never writes into it */
	if (!lk_tf_unnamed)
		lk_tf_path[0] = 0;
	lk_tf_dev = lk_tf_ino = 0;
	lk_tf_err = 0;
	lk_tf_discarded = 0;
	lk_tf_lazy = 0;
}

LK_FORK_TEXT int lk_tracefile_unwritten(void)
{
	return lk_tf_lazy && !lk_tf_err;
}

int lk_tracefile_discard(void)
{
	if (lk_tf_lazy && !lk_tf_err)
		return 0; /* never created: the next chunk (a failed exec) creates it */
	if (!lk_tf_path[0] || lk_tf_err || lk_tf_discarded || lk_tf_chunks)
		return -1;
	/* Only the file we created: the path may name another one by now. */
	int fd = lk_sys_open(lk_tf_path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	uint64_t dev = 0, ino = 0;
	int same = lk_sys_fstat_ino(fd, &dev, &ino) == 0 && dev == lk_tf_dev && ino == lk_tf_ino;
	lk_sys_close(fd);
	if (!same || syscall(SYS_unlink, lk_tf_path) != 0)
		return -1;
	sigset_t old;
	lk_tf_block(&old);
	lk_spin_lock(&lk_tf_lock);
	lk_tracefile_drop_fd(1);
	lk_spin_unlock(&lk_tf_lock);
	lk_tf_unblock(&old);
	lk_tf_discarded = 1;
	return 0;
}

/* zstd's allocator: each block its own mapping, its size in a 16-byte header (malloc's
 * alignment). zstd allocates a context and its workspace once and reuses them. */
static void *lk_zstd_alloc(void *opaque, size_t n)
{
	(void)opaque;
	size_t *p = lk_sys_mmap(n + 16);
	if (!p)
		return NULL;
	p[0] = n + 16;
	return (char *)p + 16;
}

static void lk_zstd_free(void *opaque, void *a)
{
	(void)opaque;
	if (a) {
		size_t *p = (size_t *)(void *)((char *)a - 16);
		lk_sys_munmap(p, p[0]);
	}
}

/* Sticky failure: one line on stderr, then profiling stops for good. */
static int lk_tracefile_fail(int err)
{
	if (!lk_tf_err) {
		char why[160];
		const char *msg = strerrordesc_np(-err); /* no locale, no allocation */
		size_t n = 0;
		why[n++] = ':';
		why[n++] = ' ';
		size_t len = msg ? strlen(msg) : 0;
		if (len > 100)
			len = 100;
		memcpy(why + n, msg ? msg : "", len);
		n += len;
		memcpy(why + n, "; profiling off", sizeof("; profiling off"));
		lk_warn("cannot write trace ", lk_tf_path, why);
		lk_tf_err = err;
	}
	lk_disabled = 1;
	return lk_tf_err;
}

/* Creates lk_tf_path and writes the header; 0 or -errno, no warning. */
static int lk_tracefile_try_create(void)
{
	int fd = lk_sys_open(lk_tf_path,
	                     O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fd;
	unsigned char hdr[TRACE_HEADER_SIZE] = {0};
	memcpy(hdr, TRACE_MAGIC, TRACE_MAGIC_LEN);
	hdr[8] = TRACE_VERSION & 0xff;
	hdr[9] = TRACE_VERSION >> 8;
	hdr[10] = TRACE_HEADER_SIZE;
	sigset_t old;
	lk_tf_block(&old);
	lk_spin_lock(&lk_tf_lock);
	lk_tracefile_drop_fd(1);
	lk_tracefile_keep(fd); /* moved high before anything is written */
	fd = lk_tf_fd;
	int r = lk_sys_fstat_ino(fd, &lk_tf_dev, &lk_tf_ino);
	if (r == 0) {
		ssize_t w = lk_sys_write(fd, hdr, sizeof(hdr));
		r = w < 0 ? (int)w : 0;
	}
	if (r != 0)
		lk_tracefile_drop_fd(1);
	else
		lk_tf_chunks = 0;
	lk_spin_unlock(&lk_tf_lock);
	lk_tf_unblock(&old);
	return r;
}

/* A descriptor on the created file for appending: the kept one if it still names the file,
 * else a reopened one (then kept). The fd or -errno. Under lk_tf_lock, signals blocked. */
static int lk_tracefile_fd(void)
{
	if (lk_tf_fd >= 0) {
		if (lk_tf_names_trace(lk_tf_fd))
			return lk_tf_fd;
		/* Closed behind our back, or now the program's own file: never touch it again. */
		lk_tracefile_drop_fd(0);
	}
	int fd = lk_sys_open(lk_tf_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	lk_tracefile_keep(fd); /* high first: a low number is the program's to dup2 onto */
	if (!lk_tf_names_trace(lk_tf_fd)) {
		lk_tracefile_drop_fd(1); /* the path now names another file: never write into it */
		return -ESTALE;
	}
	return lk_tf_fd;
}

/* Appends p[0..n) through the trace descriptor, published in lk_tf_busy for the write. */
static int lk_tracefile_append_chunk(const void *p, size_t n)
{
	sigset_t old;
	lk_tf_block(&old);
	lk_spin_lock(&lk_tf_lock);
	int fd = lk_tracefile_fd();
	if (fd >= 0)
		__atomic_store_n(&lk_tf_busy, fd, __ATOMIC_SEQ_CST);
	lk_spin_unlock(&lk_tf_lock);
	int r = fd;
	if (fd >= 0) {
		/* A vacate after the lock sees lk_tf_busy and waits; one before it moved
		 * lk_tf_fd, which this write then does not use. */
		if (__atomic_load_n(&lk_tf_fd, __ATOMIC_SEQ_CST) == fd) {
			ssize_t w = lk_sys_write(fd, p, n);
			r = w < 0 ? (int)w : 0;
		} else {
			r = -EAGAIN;
		}
		__atomic_store_n(&lk_tf_busy, -1, __ATOMIC_SEQ_CST);
	}
	lk_tf_unblock(&old);
	return r;
}

static int lk_tracefile_set_path(const char *path)
{
	size_t len = strlen(path);
	if (len >= sizeof(lk_tf_path) - 8) {
		len = sizeof(lk_tf_path) - 8;
		memcpy(lk_tf_path, path, len);
		lk_tf_path[len] = 0;
		return -ENAMETOOLONG;
	}
	memcpy(lk_tf_path, path, len + 1);
	return 0;
}

int lk_tracefile_create(const char *path)
{
	int r = lk_tracefile_set_path(path);
	if (lk_tf_err)
		return lk_tf_err;
	if (r == 0)
		r = lk_tracefile_try_create();
	return r < 0 ? lk_tracefile_fail(r) : 0;
}

int lk_tracefile_create_unique(const char *path)
{
	int r = lk_tracefile_set_path(path);
	if (lk_tf_err)
		return lk_tf_err;
	if (r == 0)
		r = lk_tracefile_try_create();
	if (r != -EEXIST)
		return r < 0 ? lk_tracefile_fail(r) : 0;
	/* Same pid and exe after an exec (or a name reused): path.lkt -> path.2.lkt, ... */
	size_t len = strlen(path), stem = len;
	if (len > 4 && strcmp(path + len - 4, ".lkt") == 0)
		stem = len - 4;
	for (unsigned n = 2; n < 100 && r == -EEXIST; n++) {
		char num[24];
		num[0] = '.';
		size_t k = 1 + lk_fmt_u64(num + 1, n);
		memcpy(lk_tf_path, path, stem);
		memcpy(lk_tf_path + stem, num, k);
		memcpy(lk_tf_path + stem + k, path + stem, len - stem + 1);
		r = lk_tracefile_try_create();
	}
	if (r < 0) {
		lk_tracefile_set_path(path);
		return lk_tracefile_fail(r);
	}
	/* Say so: a user who named an existing file would otherwise read that one. Only for the
	 * first trace the user started: after an exec the file is usually this pid's own trace
	 * from before it (a program that execs itself), and forked children of a LEAK_OUT without
	 * %p all share one name; a line on the program's stderr each time would be noise. */
	if (!lk_config.execed_from && !lk_tf_forked) {
		const char *parts[] = {"libleak: LEAK_OUT: ", path, " exists; writing ", lk_tf_path,
		                       " instead (the existing file is left alone)"};
		lk_log_line(parts, sizeof(parts) / sizeof(parts[0]));
	}
	return 0;
}

/* ---- LEAK_OUT ---- */

static int lk_tracefile_append(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	if (*n + len + 1 > cap)
		return -ENAMETOOLONG;
	memcpy(out + *n, s, len);
	*n += len;
	out[*n] = 0;
	return 0;
}

int lk_tracefile_expand(const char *pattern, const char *exe, int pid, char *out, size_t cap)
{
	size_t n = 0;
	int r = 0;
	if (cap == 0)
		return -ENAMETOOLONG;
	out[0] = 0;
	if (pattern[0] != '/') {
		/* Resolve now: the host may chdir before the first flush. */
		long len = syscall(SYS_getcwd, out, cap);
		if (len < 0)
			return -errno;
		n = strlen(out);
		if (n > 1 && (r = lk_tracefile_append(out, cap, &n, "/", 1)) < 0)
			return r;
		if (n == 1 && out[0] != '/')
			return -ENOENT;
		if (pattern[0] == '.' && pattern[1] == '/')
			pattern += 2;
	}
	const char *base = exe ? strrchr(exe, '/') : NULL;
	base = base ? base + 1 : (exe ? exe : "unknown");
	for (const char *p = pattern; *p && r == 0; p++) {
		if (p[0] == '%' && p[1] == 'p') {
			char num[21];
			size_t len = lk_fmt_u64(num, (uint64_t)pid);
			r = lk_tracefile_append(out, cap, &n, num, len);
			p++;
		} else if (p[0] == '%' && p[1] == 'e') {
			r = lk_tracefile_append(out, cap, &n, base, strlen(base));
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			r = lk_tracefile_append(out, cap, &n, "%", 1);
			p++;
		} else {
			r = lk_tracefile_append(out, cap, &n, p, 1);
		}
	}
	return r;
}

/* pat relative: made absolute against today's cwd into out, keeping %p/%e for a forked child
 * (which expands it again with its own pid); '%' in the cwd is escaped. 0 or -errno. */
static int lk_tracefile_absolute(const char *pat, char *out, size_t cap)
{
	size_t n = 0;
	if (pat[0] != '/') {
		char cwd[4096];
		long r = syscall(SYS_getcwd, cwd, sizeof(cwd));
		if (r < 0)
			return -errno;
		for (const char *c = cwd; *c; c++) {
			if (n + 3 >= cap)
				return -ENAMETOOLONG;
			if (*c == '%')
				out[n++] = '%';
			out[n++] = *c;
		}
		if (n > 1)
			out[n++] = '/';
		if (pat[0] == '.' && pat[1] == '/')
			pat += 2;
	}
	size_t len = strlen(pat);
	if (n + len + 1 > cap)
		return -ENAMETOOLONG;
	memcpy(out + n, pat, len + 1);
	return 0;
}

/* A pattern naming a directory (an existing one, or any path ending in '/') means the default
 * file name inside it. 0 or -errno (the pattern would grow too long). */
static int lk_tracefile_directory(char *pat, size_t cap)
{
	static const char name[] = "leak.%e.%p.lkt";
	size_t n = strlen(pat);
	bool dir = n > 0 && pat[n - 1] == '/';
	if (!dir) {
		char path[4096];
		if (lk_tracefile_expand(pat, lk_modules_exe(), lk_sys_getpid(), path,
		                        sizeof(path)) < 0)
			return 0; /* the caller's own expansion reports it */
		/* O_PATH: a directory we may write but not list is still a directory. */
		int fd = lk_sys_open(path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		if (fd >= 0) {
			lk_sys_close(fd);
			dir = true;
		}
	}
	if (!dir)
		return 0;
	bool slash = pat[n - 1] != '/';
	if (n + slash + sizeof(name) > cap)
		return -ENAMETOOLONG;
	if (slash)
		pat[n++] = '/';
	memcpy(pat + n, name, sizeof(name));
	return 0;
}

int lk_tracefile_set_pattern(const char *pattern)
{
	char pat[sizeof(lk_tf_pattern)];
	int r = lk_tracefile_absolute(pattern, pat, sizeof(pat));
	if (r == 0)
		r = lk_tracefile_directory(pat, sizeof(pat));
	if (r < 0) {
		lk_tf_pattern[0] = 0;
		return r;
	}
	memcpy(lk_tf_pattern, pat, strlen(pat) + 1);
	return 0;
}

const char *lk_tracefile_pattern(void)
{
	return lk_tf_pattern;
}

/* LEAK_VERSION=1: "libleak 0.2.0: tracing pid 1234 to /path/leak.app.1234.lkt" */
static void lk_tracefile_banner(void)
{
	if (!lk_config.version)
		return;
	char pid[21];
	pid[lk_fmt_u64(pid, (uint64_t)lk_sys_getpid())] = 0;
	const char *parts[] = {"libleak " LEAK_VERSION_STRING ": tracing pid ", pid, " to ",
	                       lk_tf_path};
	lk_log_line(parts, sizeof(parts) / sizeof(parts[0]));
}

/* Expands the kept pattern for this process and creates its trace. A name that cannot be
 * made prints unnamed; a file that cannot be created prints its own line. Either way
 * profiling stops (lk_disabled). */
static int lk_tracefile_open(const char *unnamed)
{
	char path[4096];
	int r = lk_tf_pattern[0] ? lk_tracefile_expand(lk_tf_pattern, lk_modules_exe(),
	                                               lk_sys_getpid(), path, sizeof(path))
	                         : -ENOENT;
	if (r < 0) {
		lk_warn(unnamed, NULL, NULL);
		lk_disabled = 1;
		return r;
	}
	r = lk_tracefile_create_unique(path);
	if (r == 0)
		lk_tracefile_banner();
	return r;
}

int lk_tracefile_init(int lazy)
{
	static const char unnamed[] = "cannot resolve LEAK_OUT to a path; profiling off";
	int r = lk_tracefile_set_pattern(lk_config.out_pattern);
	if (r < 0) {
		lk_warn(unnamed, NULL, NULL);
		lk_disabled = 1;
		return r;
	}
	if (!lazy)
		return lk_tracefile_open(unnamed);
	lk_tf_unnamed = 1; /* named with its file, as a forked child's */
	lk_tf_lazy = 1;
	return 0;
}

LK_FORK_TEXT int lk_tracefile_fork_child(void)
{
	lk_tf_forked = 1;
	lk_tf_unnamed = 1; /* before the forget: the parent's path is left as it is */
	lk_tracefile_forget();
	if (!lk_tf_pattern[0]) {
		lk_tf_unnamed = 0;
		lk_tf_path[0] = 0;
		lk_warn("cannot name the trace of a forked child; profiling off there", NULL, NULL);
		lk_disabled = 1;
		return -ENOENT;
	}
	lk_tf_lazy = 1;
	return 0;
}

/* A lazy child's name, from the kept pattern and its pid, when its file is made. */
static int lk_tracefile_name_child(void)
{
	lk_tf_unnamed = 0;
	int r = lk_tracefile_expand(lk_tf_pattern, lk_modules_exe(), lk_sys_getpid(), lk_tf_path,
	                            sizeof(lk_tf_path));
	if (r < 0) {
		lk_tf_path[0] = 0;
		lk_warn("cannot name the trace of a child; profiling off there", NULL, NULL);
		lk_disabled = 1;
	}
	return r;
}

/* A lazy child's first chunk: its file, under a unique name as at start. */
static int lk_tracefile_create_lazy(void)
{
	if (lk_tf_unnamed && lk_tracefile_name_child() < 0) {
		lk_tf_lazy = 0;
		return -ENOENT;
	}
	static char path[sizeof(lk_tf_path)]; /* chunks are written one at a time */
	memcpy(path, lk_tf_path, sizeof(path));
	lk_tf_lazy = 0;
	int r = lk_tracefile_create_unique(path);
	if (r == 0)
		lk_tracefile_banner();
	return r;
}

static int lk_tracefile_reserve(size_t need)
{
	if (need <= lk_tf_out_cap)
		return 0;
	size_t cap = lk_tf_out_cap ? lk_tf_out_cap : (1u << 16);
	while (cap < need)
		cap *= 2;
	unsigned char *p = lk_sys_mmap(cap);
	if (!p)
		return -ENOMEM;
	lk_sys_munmap(lk_tf_out, lk_tf_out_cap);
	lk_tf_out = p;
	lk_tf_out_cap = cap;
	return 0;
}

/* ---- stored chunks ---- */

/* XXH64 (seed 0), as zstd's content checksum uses it (its low 32 bits). */
#define LK_XXH_P1 0x9e3779b185ebca87ull
#define LK_XXH_P2 0xc2b2ae3d27d4eb4full
#define LK_XXH_P3 0x165667b19e3779f9ull
#define LK_XXH_P4 0x85ebca77c2b2ae63ull
#define LK_XXH_P5 0x27d4eb2f165667c5ull

static inline uint64_t lk_rotl64(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static inline uint64_t lk_le64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8); /* little-endian targets only (x86-64) */
	return v;
}

static inline uint64_t lk_xxh_round(uint64_t acc, uint64_t in)
{
	return lk_rotl64(acc + in * LK_XXH_P2, 31) * LK_XXH_P1;
}

static uint64_t lk_xxh64(const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;
	uint64_t h;
	if (n >= 32) {
		uint64_t v[4] = {LK_XXH_P1 + LK_XXH_P2, LK_XXH_P2, 0, -LK_XXH_P1};
		for (; end - p >= 32; p += 32)
			for (int i = 0; i < 4; i++)
				v[i] = lk_xxh_round(v[i], lk_le64(p + 8 * i));
		h = lk_rotl64(v[0], 1) + lk_rotl64(v[1], 7) + lk_rotl64(v[2], 12) +
		    lk_rotl64(v[3], 18);
		for (int i = 0; i < 4; i++)
			h = (h ^ lk_xxh_round(0, v[i])) * LK_XXH_P1 + LK_XXH_P4;
	} else {
		h = LK_XXH_P5;
	}
	h += (uint64_t)n;
	for (; end - p >= 8; p += 8)
		h = lk_rotl64(h ^ lk_xxh_round(0, lk_le64(p)), 27) * LK_XXH_P1 + LK_XXH_P4;
	if (end - p >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		h = lk_rotl64(h ^ (uint64_t)w * LK_XXH_P1, 23) * LK_XXH_P2 + LK_XXH_P3;
		p += 4;
	}
	for (; p < end; p++)
		h = lk_rotl64(h ^ *p * LK_XXH_P5, 11) * LK_XXH_P1;
	h ^= h >> 33;
	h *= LK_XXH_P2;
	h ^= h >> 29;
	h *= LK_XXH_P3;
	return h ^ (h >> 32);
}

/* A zstd frame storing raw (n <= LK_TF_STORE_MAX) as one raw block: magic, frame header
 * (single segment, content size, content checksum flag), block header, the bytes, the low 32
 * bits of their XXH64. Any zstd decoder reads it; no compressor runs. Returns its size. */
static size_t lk_tracefile_store(unsigned char *o, const unsigned char *raw, size_t n)
{
	static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
	size_t c = 4;
	memcpy(o, magic, 4);
	if (n < 256) { /* content size in 1 byte */
		o[c++] = 0x20 | 0x04;
		o[c++] = (unsigned char)n;
	} else { /* in 2 bytes, minus 256 */
		o[c++] = 0x60 | 0x04;
		o[c++] = (unsigned char)(n - 256);
		o[c++] = (unsigned char)((n - 256) >> 8);
	}
	uint32_t block = 1u /* last block, type 0 raw */ | (uint32_t)n << 3;
	for (int i = 0; i < 3; i++)
		o[c++] = (unsigned char)(block >> (8 * i));
	memcpy(o + c, raw, n);
	c += n;
	uint32_t sum = (uint32_t)lk_xxh64(raw, n);
	for (int i = 0; i < 4; i++)
		o[c++] = (unsigned char)(sum >> (8 * i));
	return c;
}

/* Compresses raw into lk_tf_out after the chunk header: the frame's size, 0 if zstd failed,
 * -ENOMEM without memory. */
static ssize_t lk_tracefile_compress(const void *raw, size_t n)
{
	if (!lk_tf_cctx) {
		ZSTD_customMem mem = {lk_zstd_alloc, lk_zstd_free, NULL};
		lk_tf_cctx = ZSTD_createCCtx_advanced(mem);
		if (!lk_tf_cctx)
			return -ENOMEM;
		ZSTD_CCtx_setParameter(lk_tf_cctx, ZSTD_c_compressionLevel, 1);
		ZSTD_CCtx_setParameter(lk_tf_cctx, ZSTD_c_checksumFlag, 1);
	}
	size_t bound = ZSTD_compressBound(n) + TRACE_CHUNK_HEADER_SIZE;
	if (lk_tracefile_reserve(bound) < 0)
		return -ENOMEM;
	size_t c = ZSTD_compress2(lk_tf_cctx, lk_tf_out + TRACE_CHUNK_HEADER_SIZE,
	                          lk_tf_out_cap - TRACE_CHUNK_HEADER_SIZE, raw, n);
	if (ZSTD_isError(c) || c > TRACE_CHUNK_MAX_COMPRESSED)
		return 0;
	return (ssize_t)c;
}

int lk_tracefile_write_chunk(const void *raw, size_t n)
{
	if (lk_tf_err)
		return lk_tf_err;
	if (!lk_tf_path[0] && !lk_tf_unnamed)
		return -EBADF;
	if (n > TRACE_CHUNK_MAX_RAW)
		return lk_tracefile_fail(-EFBIG);
	if (lk_tf_lazy) {
		int r = lk_tracefile_create_lazy();
		if (r < 0)
			return r; /* it warned and set lk_disabled */
	}
	if (lk_tf_discarded) { /* the exec it was removed for failed: the file again */
		lk_tf_discarded = 0;
		int r = lk_tracefile_try_create();
		if (r < 0)
			return lk_tracefile_fail(r);
	}
	ssize_t c;
	if (n <= LK_TF_STORE_MAX) {
		if (lk_tracefile_reserve(TRACE_CHUNK_HEADER_SIZE + LK_TF_STORE_MAX + 16) < 0)
			return lk_tracefile_fail(-ENOMEM);
		c = (ssize_t)lk_tracefile_store(lk_tf_out + TRACE_CHUNK_HEADER_SIZE, raw, n);
	} else {
		c = lk_tracefile_compress(raw, n);
		if (c <= 0)
			return lk_tracefile_fail(c < 0 ? (int)c : -EIO);
	}
	memcpy(lk_tf_out, TRACE_CHUNK_MAGIC, 4);
	for (int i = 0; i < 4; i++) {
		lk_tf_out[4 + i] = (unsigned char)((size_t)c >> (8 * i));
		lk_tf_out[8 + i] = (unsigned char)(n >> (8 * i));
	}
	int r;
	for (int tries = 0;
	     (r = lk_tracefile_append_chunk(lk_tf_out, (size_t)c + TRACE_CHUNK_HEADER_SIZE)) ==
	         -EAGAIN &&
	     tries < 8;
	     tries++)
		;
	if (r < 0)
		return lk_tracefile_fail(r);
	lk_tf_chunks++;
	return 0;
}
