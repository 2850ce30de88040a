/* SPDX-License-Identifier: MIT */
/* attach.c - libleak.so loaded into a running program (leak-attach injects it with dlopen) and
 * its two entry points, leak_attach_begin and leak_attach_end (attach.h).
 *
 * Loaded late, the constructor does nothing at all (init.c asks lk_attach_loaded_late): no
 * thread, no file, no message, and the hooks are reached by nobody. leak_attach_begin takes
 * its settings from its arguments, resolves the real functions from the global scope, starts a
 * trace (PROCESS flagged attached: its start is the window's), records what exists now (the
 * descriptors as inherited FD_OPEN, the threads and children as PREEXISTING), then routes the
 * program's calls to the hooks through its GOT (attach_got.c). The writer thread starts lazily
 * at the first need of a hook: the caller's other threads may be stopped by a tracer holding a
 * lock pthread_create needs. leak_attach_end puts every GOT entry back, has the final snapshot
 * written (END reason detach, no reachability scan), joins the writer, closes the trace and
 * gives back the block table: the hooks are inert (lk_ready 0), so a call that still reaches
 * one through a pointer taken during the window goes straight to the real function.
 *
 * A tracer may call both with the program's other threads stopped, but should let them run
 * (leak-attach does): begin takes the loader's lock (dlsym, dl_iterate_phdr) and, the first
 * time only, the atexit and atfork locks (and malloc, if glibc's tables for them are full),
 * which a stopped thread may hold; end, the loader's lock (to restore only modules still
 * loaded). What libleak's own code holds is waited for boundedly: end waits at most about a
 * second for the writer thread (named "leak-writer": a tracer should leave it running), for
 * the snapshot lock and for the block table's shard locks (a hook holds one for a few stores,
 * a thread stopped inside one for good), and returns
 * -ETIMEDOUT if they did not come (the GOT is restored by then, unless the writer was stopped
 * inside its GOT pass), and calling it again finishes the job; so does the next begin. Every
 * bound is kept by the clock, not by counting sleeps: a signal every millisecond to the
 * calling thread would cut each sleep short. */
#include "attach.h"
#include "attach_got.h"
#include "config.h"
#include "fd_table.h"
#include "fork.h"
#include "guard.h"
#include "heap_table.h"
#include "hook.h"
#include "interpose_exit.h"
#include "modules.h"
#include "proc_table.h"
#include "python.h"
#include "reach.h"
#include "real.h"
#include "ring.h"
#include "sample.h"
#include "sites.h"
#include "stack.h"
#include "sys.h"
#include "trace_clock.h"
#include "trace_codec.h"
#include "trace_format.h"
#include "tracefile.h"
#include "unwind.h"
#include "writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int lk_attach_active;    /* between a begin and its end */
static int lk_attach_detaching; /* an end timed out after restoring the GOT */
static int lk_attach_once;      /* the one-time set-up (exit and fork handlers) is done */

/* ---- loaded late? ---- */

typedef struct {
	uintptr_t self, libc;
	int i, self_at, libc_at;
} lk_attach_order_t;

static int lk_attach_order_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	lk_attach_order_t *o = arg;
	for (int k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (o->self >= lo && o->self < hi)
			o->self_at = o->i;
		if (o->libc >= lo && o->libc < hi)
			o->libc_at = o->i;
	}
	o->i++;
	return 0;
}

int lk_attach_loaded_late(void)
{
	/* A preloaded (or linked) libleak.so comes before libc in the loader's list; one that
	 * dlopen() brought into a running program comes after it. getpid is libc's in both. */
	lk_attach_order_t o = {.self = (uintptr_t)&lk_attach_loaded_late,
	                       .libc = (uintptr_t)&getpid,
	                       .self_at = -1,
	                       .libc_at = -1};
	dl_iterate_phdr(lk_attach_order_cb, &o);
	return o.self_at >= 0 && o.libc_at >= 0 && o.libc_at < o.self_at;
}

/* ---- what exists at the start of the window ---- */

#define LK_PRE_MAX 4096
typedef struct {
	uint8_t kind; /* TRACE_PRE_* */
	int id;
	char name[32];
} lk_pre_t;

static lk_pre_t *lk_pre;
static int lk_pre_n;
static int lk_pre_emitted;

static void lk_pre_add(uint8_t kind, int id, const char *name)
{
	if (!lk_pre || lk_pre_n >= LK_PRE_MAX)
		return;
	lk_pre_t *p = &lk_pre[lk_pre_n++];
	p->kind = kind;
	p->id = id;
	size_t n = strnlen(name, sizeof(p->name) - 1);
	memcpy(p->name, name, n);
	while (n && (p->name[n - 1] == '\n' || p->name[n - 1] == ' '))
		n--;
	p->name[n] = 0;
}

/* Calls fn(arg, number) for each numeric entry of a /proc directory (raw getdents64). */
static void lk_pre_list(const char *dir, void (*fn)(void *arg, int id), void *arg)
{
	int fd = lk_sys_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	char buf[4096];
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);
			off += d->d_reclen;
			int id = 0;
			const char *c = d->d_name;
			if (*c < '0' || *c > '9')
				continue;
			while (*c >= '0' && *c <= '9')
				id = id * 10 + (*c++ - '0');
			if (!*c)
				fn(arg, id);
		}
	}
	lk_sys_close(fd);
}

/* Reads /proc file dir + id + leaf into out (NUL-terminated, "" on failure): its length, or
 * -1 if it cannot be read. */
static long lk_pre_comm(const char *dir, int id, const char *leaf, char *out, size_t cap)
{
	char path[96], num[21];
	out[0] = 0;
	num[lk_fmt_u64(num, (uint64_t)id)] = 0;
	size_t n = 0;
	const char *parts[] = {dir, num, leaf};
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(parts[i]);
		if (n + l >= sizeof(path))
			return -1;
		memcpy(path + n, parts[i], l);
		n += l;
	}
	path[n] = 0;
	long r = lk_sys_read_file(path, out, cap);
	if (r < 0)
		out[0] = 0;
	return r;
}

static void lk_pre_thread(void *arg, int tid)
{
	(void)arg;
	char comm[32];
	lk_pre_comm("/proc/self/task/", tid, "/comm", comm, sizeof(comm));
	lk_pre_add(TRACE_PRE_THREAD, tid, comm);
}

/* Children: each thread's /proc/self/task/TID/children (a space-separated pid list), or,
 * in a kernel without that file, every /proc/PID/stat whose ppid is this process. */
static int lk_pre_no_children_file;

static void lk_pre_by_stat(void *arg, int pid)
{
	int self = *(const int *)arg;
	char stat[512], comm[32];
	lk_pre_comm("/proc/", pid, "/stat", stat, sizeof(stat));
	const char *close = strrchr(stat, ')');
	if (!close || close[1] != ' ' || !close[2] || close[3] != ' ')
		return;
	int ppid = 0;
	for (const char *c = close + 4; *c >= '0' && *c <= '9'; c++)
		ppid = ppid * 10 + (*c - '0');
	if (ppid != self)
		return;
	lk_pre_comm("/proc/", pid, "/comm", comm, sizeof(comm));
	lk_pre_add(TRACE_PRE_CHILD, pid, comm);
}

static void lk_pre_children_of(void *arg, int tid)
{
	(void)arg;
	char list[2048];
	if (lk_pre_comm("/proc/self/task/", tid, "/children", list, sizeof(list)) < 0)
		lk_pre_no_children_file = 1;
	for (const char *c = list; *c;) {
		while (*c == ' ' || *c == '\n')
			c++;
		int pid = 0;
		if (*c < '0' || *c > '9')
			break;
		while (*c >= '0' && *c <= '9')
			pid = pid * 10 + (*c++ - '0');
		char comm[32];
		lk_pre_comm("/proc/", pid, "/comm", comm, sizeof(comm));
		lk_pre_add(TRACE_PRE_CHILD, pid, comm);
	}
}

static void lk_pre_scan(void)
{
	if (!lk_pre)
		lk_pre = lk_sys_mmap(LK_PRE_MAX * sizeof(lk_pre_t));
	lk_pre_n = 0;
	lk_pre_emitted = 0;
	lk_pre_list("/proc/self/task", lk_pre_thread, NULL);
	lk_pre_no_children_file = 0;
	lk_pre_list("/proc/self/task", lk_pre_children_of, NULL);
	if (lk_pre_no_children_file) {
		int self = lk_sys_getpid();
		lk_pre_list("/proc", lk_pre_by_stat, &self);
	}
}

/* lk_writer_emit_fn: the pre-existing threads and children, once per trace. */
static void lk_pre_emit(trace_buf_t *b)
{
	if (lk_pre_emitted)
		return;
	for (int i = 0; i < lk_pre_n; i++) {
		trace_enc_preexisting(
		    b, &(struct trace_rec_preexisting){
		           .kind = lk_pre[i].kind,
		           .id = (uint64_t)lk_pre[i].id,
		           .name = trace_cstr(lk_pre[i].name, sizeof(lk_pre[i].name)),
		       });
	}
	lk_pre_emitted = 1;
}

/* ---- begin / end ---- */

/* A return from main ends in libc's own exit(), which passes no slot (under LD_PRELOAD the
 * __libc_start_main wrapper learns the status; here main started long ago): on_exit hands
 * the handler the status. Registered after lk_on_exit, so it runs before it and END gets it. */
static void lk_attach_exit_status(int status, void *arg)
{
	(void)arg;
	lk_exit_status = status;
}

/* The one-time part: what the constructor does for a preloaded process and that cannot be
 * undone (atexit, pthread_atfork): both test lk_ready, so they are inert between windows. */
static int lk_attach_setup_once(void)
{
	if (lk_attach_once)
		return 0;
	if (lk_real_init_global(lk_got_define) < 0 || lk_got_init() < 0)
		return -ENOSYS;
	lk_stack_init();
	lk_py_init();
	lk_modules_init();
	lk_reach_init();
	lk_ring_init();
	lk_fork_install();
	lk_init_exit_handlers();
	on_exit(lk_attach_exit_status, NULL);
	lk_writer_emit_fn = lk_pre_emit;
	lk_writer_poll_fn = lk_got_poll;
	lk_attach_once = 1;
	return 0;
}

static int lk_attach_settings(const char *out_dir, unsigned interval_ms)
{
	lk_config_defaults();
	lk_config.follow_fork = 0;   /* a child forked in the window runs untraced */
	lk_config.python_malloc = 0; /* its interpreter read PYTHONMALLOC long ago */
	if (interval_ms)
		lk_config.interval_ms = interval_ms < 10        ? 10
		                        : interval_ms > 3600000 ? 3600000
		                                                : interval_ms;
	const char *dir = out_dir && out_dir[0] ? out_dir : ".";
	size_t n = strlen(dir);
	if (n + 2 > sizeof(lk_config.out_pattern))
		return -ENAMETOOLONG;
	memcpy(lk_config.out_pattern, dir, n);
	if (dir[n - 1] != '/')
		lk_config.out_pattern[n++] = '/';
	lk_config.out_pattern[n] = 0;
	/* The directory must exist: the trace goes in it under the default name. */
	int fd = lk_sys_open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	lk_sys_close(fd);
	lk_unwind_set_mode((lk_unwind_mode_t)lk_config.unwind);
	lk_sample_init(0);
	return 0;
}

/* Children the program lets the kernel reap (SIGCHLD ignored, SA_NOCLDWAIT) were so before
 * the window: the sigaction hook only sees later changes. */
static void lk_attach_sigchld(void)
{
	struct sigaction sa;
	if (lk_real.sigaction && lk_real.sigaction(SIGCHLD, NULL, &sa) == 0)
		lk_proc_set_autoreap((!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN) ||
		                     (sa.sa_flags & SA_NOCLDWAIT));
}

/* What follows the GOT's restore in an end, each step bounded and each call taking up where
 * the last stopped: the final snapshot and the writer, the trace, the block table. */
static int lk_attach_finish_end(void)
{
	lk_writer_signals_uninstall();
	int r = lk_writer_detach(1000);
	if (r == 0) {
		lk_ready = 0;
		lk_disabled = 1;
		lk_tracefile_forget(); /* closes the trace */
		r = lk_heap_table_release(1000);
		if (r == 0)
			lk_attach_detaching = 0;
	}
	return r;
}

LK_EXPORT int leak_attach_begin(const char *out_dir, unsigned interval_ms)
{
	if (!lk_attach_mode)
		return -EALREADY; /* preloaded: it records already */
	if (lk_attach_active)
		return -EBUSY;
	int depth = lk_guard_depth;
	lk_guard_depth = 1;
	int running = (interval_ms & LEAK_ATTACH_RUNNING) != 0;
	interval_ms &= ~LEAK_ATTACH_RUNNING;
	/* The last window's end timed out and nobody called it again: finished here first. */
	int r = lk_attach_detaching ? lk_attach_finish_end() : 0;
	if (r == 0)
		r = lk_attach_settings(out_dir, interval_ms);
	if (r == 0)
		r = lk_attach_setup_once();
	if (r < 0)
		goto out;
	lk_clock_start();
	lk_modules_scan();
	lk_modules_reset_emitted();
	lk_sites_reset();
	/* What a hook still inside at the last end may have left. */
	if (lk_heap_table_release(1000) < 0) {
		r = -ETIMEDOUT;
		goto out;
	}
	lk_ring_attach_reset();
	__atomic_add_fetch(&lk_attach_gen, 1, __ATOMIC_ACQ_REL);
	lk_proc_attach_reset();
	lk_fd_attach_reset();
	lk_pre_scan();
	lk_writer_attach_reset((int)syscall(SYS_getppid), TRACE_PROC_ATTACHED);
	lk_tracefile_forget();
	lk_disabled = 0;
	if (lk_tracefile_init(0) < 0) {
		r = lk_tracefile_error() ? lk_tracefile_error() : -EIO;
		lk_tracefile_forget();
		goto out;
	}
	lk_writer_start_lazy();
	lk_attach_sigchld();
	lk_ready = 1;
	lk_writer_signals_install(); /* a fatal signal in the window: its final snapshot */
	if (lk_got_patch_all() < 0) {
		lk_ready = 0;
		lk_tracefile_forget();
		r = -ENOSYS;
		goto out;
	}
	lk_attach_active = 1;
	/* The other threads run: any lock pthread_create needs is let go, and the caller's
	 * thread was taken at a safe point (attach.h). A failure leaves the lazy start. */
	if (running && lk_writer_start() < 0)
		lk_writer_start_lazy();
	r = 0;
out:
	lk_guard_restore(depth);
	return r;
}

LK_EXPORT int leak_attach_end(void)
{
	if (!lk_attach_active && !lk_attach_detaching)
		return -ENOENT;
	int depth = lk_guard_depth;
	lk_guard_depth = 1;
	int r = 0;
	if (lk_attach_active) {
		r = lk_got_restore_all();
		if (r >= 0) {
			lk_attach_active = 0;
			lk_attach_detaching = 1;
		}
	}
	if (r >= 0)
		r = lk_attach_finish_end();
	lk_guard_restore(depth);
	return r;
}
