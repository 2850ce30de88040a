/* SPDX-License-Identifier: MIT */
/* main.c - leak-attach: load libleak.so into a running process, let it record for a window,
 * make it inert again and print the report of that window. The target is stopped twice, for
 * milliseconds: once to dlopen libleak.so and call leak_attach_begin, once to call
 * leak_attach_end; in between it runs without a tracer. */
#include "attach.h"
#include "version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef LEAK_LIBDIR
#define LEAK_LIBDIR "/usr/local/lib/libleak"
#endif

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_REFUSED = 3 };
/* inject's own: leak_attach_end timed out and is to be called again (never an exit status). */
enum { INJECT_AGAIN = -1 };

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: leak-attach [-o DIR] [-i SECONDS] [--for DURATION] [--json] PID\n"
	    "\n"
	    "Loads libleak.so into the running process PID (x86-64, glibc, dynamically linked),\n"
	    "records its allocations, descriptors, children and threads for a window, then makes\n"
	    "libleak inert again, leaves PID running and prints the report of the window\n"
	    "(leak-report DIR). PID is stopped for a few milliseconds at each end of the window;\n"
	    "in between it runs without a tracer. Resources that existed before the attach are\n"
	    "listed as pre-existing, never as findings.\n"
	    "\n"
	    "  -o DIR          write the traces to DIR (created if missing; default: a new\n"
	    "                  directory ./leak-attach.PID.<time>)\n"
	    "  -i SECONDS      snapshot interval (default 1; fractions and suffixes as leak-soak\n"
	    "                  takes them: 0.5, 500ms, 2s, 1m)\n"
	    "  --for DURATION  detach after DURATION (4s, 2m, 1h, or seconds); default: until\n"
	    "                  Ctrl-C (SIGINT) or SIGTERM to leak-attach, or until PID exits\n"
	    "  --json          print the report as JSON (leak-report --json)\n"
	    "  -h, --help      this text\n"
	    "  --version       print the version\n"
	    "\n"
	    "Refused, with one line and PID untouched (exit 3): ptrace not permitted (Yama\n"
	    "ptrace_scope, another user's process without CAP_SYS_PTRACE, another tracer), a\n"
	    "static, non-x86-64 or non-glibc program, a process already running libleak, and a\n"
	    "process that is exiting, stopped, still in the dynamic loader or in a vfork.\n"
	    "\n"
	    "libleak.so is taken from $LIBLEAK_SO, else next to leak-attach (the build tree),\n"
	    "else " LEAK_LIBDIR "/libleak.so; leak-report from $LEAK_REPORT, else next to\n"
	    "leak-attach, else PATH.\n"
	    "\n"
	    "Exit status: 0 report printed; 1 attach or detach failed (PID restored); 2 bad\n"
	    "usage; 3 refused.\n");
}

static const char *prog = "leak-attach";

static void die_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s (see --help)\n", prog, msg, arg ? ": " : "", arg ? arg : "");
	exit(EXIT_USAGE);
}

/* DURATION as leak-soak takes it: N or N.N seconds, suffix ms, s, m, h or d. -1 if bad. */
static long long parse_ms(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0 || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return -1;
	double mult = 1000;
	if (!strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1000;
	else if (!strcmp(end, "m"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else if (!strcmp(end, "d"))
		mult = 86400000;
	else
		return -1;
	double ms = v * mult;
	if (ms > 1e15)
		return -1;
	return (long long)(ms + 0.5);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The directory leak-attach itself lives in (the build tree, or PREFIX/bin). */
static void self_dir(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);
	if (n <= 0) {
		snprintf(out, len, ".");
		return;
	}
	out[n] = 0;
	char *slash = strrchr(out, '/');
	if (slash)
		*slash = 0;
}

static int find_libleak(char *out, size_t len)
{
	const char *env = getenv("LIBLEAK_SO");
	char dir[PATH_MAX], cand[PATH_MAX + 64];
	if (env && *env) {
		snprintf(cand, sizeof cand, "%s", env);
	} else {
		self_dir(dir, sizeof dir);
		snprintf(cand, sizeof cand, "%s/libleak.so", dir);
		if (access(cand, R_OK) != 0)
			snprintf(cand, sizeof cand, "%s/../lib/libleak/libleak.so", dir);
		if (access(cand, R_OK) != 0)
			snprintf(cand, sizeof cand, "%s/libleak.so", LEAK_LIBDIR);
	}
	if (!realpath(cand, out) || strlen(out) >= len) {
		fprintf(stderr,
		        "%s: libleak.so not found (%s%s): build it with make, or set "
		        "LIBLEAK_SO\n",
		        prog, env && *env ? "LIBLEAK_SO=" : "", cand);
		return -1;
	}
	return 0;
}

static void find_report(char *out, size_t len)
{
	const char *env = getenv("LEAK_REPORT");
	if (env && *env) {
		snprintf(out, len, "%s", env);
		return;
	}
	char dir[PATH_MAX - 16];
	self_dir(dir, sizeof dir);
	snprintf(out, len, "%s/leak-report", dir);
	if (access(out, X_OK) != 0)
		snprintf(out, len, "leak-report"); /* execvp searches PATH */
}

/* Holds an abstract socket named after PID while attached: a second leak-attach on the same
 * process is refused before it touches it. */
static int take_lock(pid_t pid)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -2;
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "libleak-attach.%d", (int)pid);
	if (bind(fd, (struct sockaddr *)&a,
	         (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)) != 0) {
		close(fd);
		return errno == EADDRINUSE ? -1 : -2;
	}
	return fd;
}

/* Copies SRC to DST (created with SRC's permissions). 0 ok. */
static int copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	struct stat st;
	mode_t mode = fstat(in, &st) == 0 ? (st.st_mode & 0777) : 0600;
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		close(in);
		return -1;
	}
	char buf[65536];
	ssize_t r;
	int rc = 0;
	while ((r = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)r) != r) {
			rc = -1;
			break;
		}
	if (r < 0)
		rc = -1;
	close(in);
	if (close(out) != 0)
		rc = -1;
	return rc;
}

/* 1 when PATH inside the target's root is the same file as PATH here. */
static int same_file_in_target(pid_t pid, const char *path)
{
	char tp[PATH_MAX + 64];
	struct stat a, b;
	snprintf(tp, sizeof tp, "/proc/%d/root%s", (int)pid, path);
	return stat(path, &a) == 0 && stat(tp, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

struct plan {
	pid_t pid;
	char so[PATH_MAX];         /* libleak.so here */
	char so_target[PATH_MAX];  /* the path dlopen gets, in the target's namespace */
	char dir[PATH_MAX];        /* trace directory here */
	char dir_target[PATH_MAX]; /* the same (or a stand-in) as the target sees it */
	int dir_copied;            /* the target writes to a stand-in: copy traces back */
	char root[64];             /* "" or /proc/PID/root: where the target's paths are here */
	unsigned interval_ms;
};

/* 1 when the target's user can reach PATH with MODE (access(2) as that user, in a child). */
static int target_can(const struct at_target *t, const char *path, int mode)
{
	if (geteuid() != 0 || t->uid == 0)
		return 1; /* the same user as us, or root: what we can, it can */
	pid_t c = fork();
	if (c == 0) {
		if (setgroups(0, NULL) != 0 || setgid(t->gid) != 0 || setuid(t->uid) != 0)
			_exit(1);
		_exit(access(path, mode) == 0 ? 0 : 1);
	}
	int st;
	if (c < 0 || waitpid(c, &st, 0) != c)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* A target in another mount namespace (a container) may not see our files, and one running
 * as another user (an nginx worker) may not reach our directory: give it a copy of the
 * library and a trace directory of its own in its /tmp, copied back to DIR afterwards. */
static int make_visible(const struct at_target *t, struct plan *p)
{
	snprintf(p->so_target, sizeof p->so_target, "%s", p->so);
	snprintf(p->dir_target, sizeof p->dir_target, "%s", p->dir);
	p->root[0] = 0;
	if (t->other_mntns)
		snprintf(p->root, sizeof p->root, "/proc/%d/root", (int)t->pid);
	struct stat st;
	if (t->other_mntns ? !same_file_in_target(t->pid, p->so) : !target_can(t, p->so, R_OK)) {
		if (stat(p->so, &st) != 0)
			return -1;
		/* A fixed name per build: attaching again dlopens the same file (same handle). */
		snprintf(p->so_target, sizeof p->so_target, "/tmp/libleak-attach.%lx.%lx.so",
		         (unsigned long)st.st_ino, (unsigned long)st.st_mtime);
		char tp[PATH_MAX + 64];
		snprintf(tp, sizeof tp, "%s%s", p->root, p->so_target);
		if (access(tp, R_OK) != 0 && copy_file(p->so, tp) != 0) {
			fprintf(stderr,
			        "%s: %d (%s) cannot see %s and it cannot be copied into its /tmp "
			        "(%s): make it visible to the process (a bind mount, permissions) "
			        "or run leak-attach where the process runs\n",
			        prog, (int)t->pid, t->comm, p->so, strerror(errno));
			return -1;
		}
		fprintf(stderr, "%s: %d cannot see %s: copied to %s%s\n", prog, (int)t->pid, p->so,
		        p->so_target, t->other_mntns ? " inside its mount namespace" : "");
	}
	if (t->other_mntns ? !same_file_in_target(t->pid, p->dir)
	                   : !target_can(t, p->dir, W_OK | X_OK)) {
		char tp[PATH_MAX + 64];
		snprintf(p->dir_target, sizeof p->dir_target, "/tmp/leak-attach.%d.%ld",
		         (int)t->pid, (long)time(NULL));
		snprintf(tp, sizeof tp, "%s%s", p->root, p->dir_target);
		if (mkdir(tp, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "%s: cannot create %s for %d: %s\n", prog, p->dir_target,
			        (int)t->pid, strerror(errno));
			return -1;
		}
		if (geteuid() == 0 && chown(tp, t->uid, t->gid) != 0)
			fprintf(stderr, "%s: cannot hand %s to uid %u: %s\n", prog, tp,
			        (unsigned)t->uid, strerror(errno));
		p->dir_copied = 1;
	}
	return 0;
}

/* Reads a C string of the target (dlerror's text). */
static void read_target_str(pid_t pid, uintptr_t addr, char *out, size_t len)
{
	out[0] = 0;
	if (!addr)
		return;
	for (size_t i = 0; i + 1 < len; i++) {
		if (target_read(pid, addr + i, &out[i], 1) != 0 || out[i] == 0) {
			out[i] = 0;
			return;
		}
	}
	out[len - 1] = 0;
}

#define PICK_TRIES 5

/* Stops PID, dlopens libleak.so and calls leak_attach_begin (BEGIN) or leak_attach_end.
 * Returns 0 ok, 1 failed with PID restored, INJECT_AGAIN for an end that timed out (said
 * nothing: the caller asks again); prints what happened. */
static int inject(struct at_target *t, const struct plan *p, int begin, double *held_ms)
{
	char why[512];
	struct at_session s;
	double t0;
	/* Every thread inside libc or the loader for the whole of its single-step budget (a
	 * loaded machine, a program that lives in malloc and pthread_create): nothing was
	 * changed, and the program runs a moment before the next try. */
	for (int tries = 1;; tries++) {
		t0 = now_ms();
		int rc = inject_stop_all(&s, t->pid, t);
		if (rc != 0) {
			if (rc == -EPERM)
				fprintf(stderr,
				        "%s: ptrace not permitted on %d (%s): run as the same user "
				        "with kernel.yama.ptrace_scope=0, or as root / with "
				        "CAP_SYS_PTRACE\n",
				        prog, (int)t->pid, t->comm);
			else
				fprintf(stderr, "%s: cannot stop %d: %s\n", prog, (int)t->pid,
				        strerror(-rc));
			free(s.th);
			return begin ? EXIT_REFUSED : EXIT_FAILED;
		}
		if (inject_pick_and_release(&s, why, sizeof why) == 0)
			break;
		free(s.th);
		if (tries == PICK_TRIES) {
			fprintf(stderr, "%s: %s (%d tries)\n", prog, why, tries);
			return EXIT_FAILED;
		}
		struct timespec d = {0, 20000000};
		nanosleep(&d, NULL);
	}
	double others = now_ms() - t0;
	uint64_t ret = 0;
	int status = EXIT_OK;
	if (begin) {
		uintptr_t dlopen_fn = target_sym(&t->libc, "dlopen");
		uint64_t flags = 2; /* RTLD_NOW */
		if (!dlopen_fn) {   /* glibc before 2.34: the private entry, with __RTLD_DLOPEN */
			dlopen_fn = target_sym(&t->libc, "__libc_dlopen_mode");
			flags |= 0x80000000u;
		}
		uintptr_t path = inject_scratch(&s, p->so_target, strlen(p->so_target) + 1);
		if (!path || inject_call(&s, dlopen_fn, path, flags, &ret, why, sizeof why) != 0) {
			fprintf(stderr, "%s: dlopen in %d failed: %s\n", prog, (int)t->pid,
			        path ? why : strerror(errno));
			status = EXIT_FAILED;
			goto done;
		}
		if (!ret) {
			char msg[512] = "";
			uintptr_t dlerror_fn = target_sym(&t->libc, "dlerror");
			uint64_t m = 0;
			if (dlerror_fn &&
			    inject_call(&s, dlerror_fn, 0, 0, &m, why, sizeof why) == 0)
				read_target_str(t->pid, m, msg, sizeof msg);
			fprintf(stderr, "%s: %d (%s) could not load %s: %s\n", prog, (int)t->pid,
			        t->comm, p->so_target, msg[0] ? msg : "dlopen returned NULL");
			status = EXIT_FAILED;
			goto done;
		}
	}
	const char *so_base =
	    strrchr(p->so_target, '/') ? strrchr(p->so_target, '/') + 1 : p->so_target;
	if (target_find_module(t->pid, so_base, &t->leak) != 0) {
		fprintf(stderr, "%s: %s is not mapped in %d after dlopen\n", prog, so_base,
		        (int)t->pid);
		status = EXIT_FAILED;
		goto done;
	}
	const char *fn_name = begin ? "leak_attach_begin" : "leak_attach_end";
	uintptr_t fn = target_sym(&t->leak, fn_name);
	if (!fn) {
		fprintf(stderr, "%s: %s in %d has no %s (a libleak.so older than leak-attach?)\n",
		        prog, t->leak.path, (int)t->pid, fn_name);
		status = EXIT_FAILED;
		goto done;
	}
	uint64_t a0 = 0;
	if (begin) {
		a0 = inject_scratch(&s, p->dir_target, strlen(p->dir_target) + 1);
		if (!a0) {
			fprintf(stderr, "%s: cannot write into %d: %s\n", prog, (int)t->pid,
			        strerror(errno));
			status = EXIT_FAILED;
			goto done;
		}
	}
	/* The other threads run during the call (inject_pick_and_release): begin may start
	 * its writer thread at once, so an idle program gets periodic snapshots too. */
	uint64_t a1 = begin ? (uint64_t)(p->interval_ms | LEAK_ATTACH_RUNNING) : 0;
	if (inject_call(&s, fn, a0, a1, &ret, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s in %d: %s\n", prog, fn_name, (int)t->pid, why);
		status = EXIT_FAILED;
		goto done;
	}
	int err = -(int)(int32_t)ret;
	if ((int32_t)ret != 0) {
		if (begin && (err == EALREADY || err == EBUSY))
			fprintf(stderr,
			        "%s: %d (%s) already runs libleak (preloaded, or attached by "
			        "another leak-attach): nothing changed\n",
			        prog, (int)t->pid, t->comm);
		else if (!begin && err == ETIMEDOUT)
			status = INJECT_AGAIN;
		else
			fprintf(stderr, "%s: %s in %d failed: %s\n", prog, fn_name, (int)t->pid,
			        strerror(err));
		if (status != INJECT_AGAIN)
			status =
			    begin && (err == EALREADY || err == EBUSY) ? EXIT_REFUSED : EXIT_FAILED;
	}
done:
	if (s.restarts && getenv("LEAK_ATTACH_DEBUG"))
		fprintf(stderr, "%s: %d call(s) interrupted by the stop restarted (no EINTR)\n",
		        prog, s.restarts);
	inject_finish(&s);
	*held_ms = now_ms() - t0;
	if (getenv("LEAK_ATTACH_DEBUG"))
		fprintf(stderr, "%s: all threads held %.1f ms, calling thread %.1f ms\n", prog,
		        others, *held_ms);
	return status;
}

/* leak_attach_end until it finishes: each call waits about a second for the target's writer
 * thread (its final snapshot) and its block-table locks, and on a loaded machine that thread
 * can wait longer than that for a processor. The program runs between calls; each call
 * resumes where the last stopped. Given up after DETACH_TRY_MS. */
#define DETACH_TRY_MS 30000.0
static int detach(struct at_target *t, const struct plan *p, double *held_ms)
{
	double t0 = now_ms(), held_all = 0;
	int rc;
	for (int calls = 1;; calls++) {
		rc = inject(t, p, 0, held_ms);
		held_all += *held_ms;
		if (rc != INJECT_AGAIN)
			break;
		if (now_ms() - t0 >= DETACH_TRY_MS) {
			fprintf(stderr,
			        "%s: leak_attach_end in %d timed out %d times in %.0f s: its "
			        "\"leak-writer\" thread does not run\n",
			        prog, (int)t->pid, calls, (now_ms() - t0) / 1000);
			rc = EXIT_FAILED;
			break;
		}
		if (getenv("LEAK_ATTACH_DEBUG"))
			fprintf(stderr, "%s: leak_attach_end in %d timed out (call %d): again\n",
			        prog, (int)t->pid, calls);
		struct timespec d = {0, 100000000};
		nanosleep(&d, NULL);
	}
	*held_ms = held_all;
	return rc;
}

static volatile sig_atomic_t stop_sig;
static void on_stop(int sig)
{
	stop_sig = sig;
}

/* Waits until DURATION_MS passes (<0: forever), SIGINT/SIGTERM, or PID exits. 1 if exited. */
static int wait_window(pid_t pid, long long duration_ms)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	double end = now_ms() + (double)duration_ms;
	while (!stop_sig) {
		int timeout = -1;
		if (duration_ms >= 0) {
			double left = end - now_ms();
			if (left <= 0)
				break;
			timeout = left > 1e9 ? 1000000000 : (int)left + 1;
		}
		/* A thread that stopped late is detached as soon as it has stopped. */
		if (inject_reap_orphans() && (timeout < 0 || timeout > 100))
			timeout = 100;
		if (pfd >= 0) {
			struct pollfd pf = {.fd = pfd, .events = POLLIN};
			int r = poll(&pf, 1, timeout);
			if (r > 0) {
				close(pfd);
				return 1;
			}
		} else {
			/* No pidfd (old kernel): look every 100 ms. */
			struct timespec d = {0, 100000000};
			nanosleep(&d, NULL);
			if (kill(pid, 0) != 0 && errno == ESRCH)
				return 1;
		}
	}
	if (pfd >= 0)
		close(pfd);
	return 0;
}

/* Copies the traces the target wrote into its stand-in directory to DIR. */
static void copy_back(const struct plan *p)
{
	char src[PATH_MAX + 64];
	snprintf(src, sizeof src, "%s%s", p->root, p->dir_target);
	DIR *d = opendir(src);
	if (!d) {
		fprintf(stderr, "%s: cannot read %s inside %d (%s): traces lost\n", prog,
		        p->dir_target, (int)p->pid, strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char a[PATH_MAX * 2 + 8], b[PATH_MAX * 2 + 8];
		snprintf(a, sizeof a, "%s/%s", src, e->d_name);
		snprintf(b, sizeof b, "%s/%s", p->dir, e->d_name);
		if (copy_file(a, b) != 0)
			fprintf(stderr, "%s: cannot copy %s: %s\n", prog, a, strerror(errno));
		else
			unlink(a);
	}
	closedir(d);
	rmdir(src);
}

static char **list_traces(const char *dir, size_t *n)
{
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **v = NULL;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".lkt") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(v, cap * sizeof *v);
			if (!nv)
				break;
			v = nv;
		}
		if (asprintf(&v[*n], "%s/%s", dir, e->d_name) < 0)
			break;
		(*n)++;
	}
	closedir(d);
	return v;
}

static int in_list(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

static int run_report(const char *report, int json, const char *dir, char **before, size_t nb)
{
	size_t n;
	char **all = list_traces(dir, &n);
	char **argv = calloc(n + 4, sizeof *argv);
	if (!argv)
		return EXIT_FAILED;
	size_t a = 0;
	argv[a++] = (char *)report;
	if (json)
		argv[a++] = "--json";
	size_t ntr = 0;
	for (size_t i = 0; i < n; i++)
		if (!in_list(before, nb, all[i])) {
			argv[a++] = all[i];
			ntr++;
		}
	argv[a] = NULL;
	if (!ntr) {
		fprintf(stderr, "%s: no trace was written to %s\n", prog, dir);
		return EXIT_FAILED;
	}
	fprintf(stderr, "%s: %zu trace(s) in %s\n", prog, ntr, dir);
	fflush(NULL);
	pid_t c = fork();
	if (c == 0) {
		execvp(report, argv);
		fprintf(stderr, "%s: cannot run %s: %s; traces are in %s\n", prog, report,
		        strerror(errno), dir);
		_exit(127);
	}
	int st = 0;
	while (c > 0 && waitpid(c, &st, 0) < 0 && errno == EINTR) {
	}
	if (c < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (c > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
			return EXIT_FAILED;
		fprintf(stderr, "%s: leak-report failed; traces are in %s\n", prog, dir);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct plan p;
	memset(&p, 0, sizeof p);
	p.interval_ms = 1000;
	long long duration_ms = -1;
	const char *dir = NULL;
	int json = 0;
	const char *pid_arg = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			printf("leak-attach %s\n", LEAK_VERSION_STRING);
			return EXIT_OK;
		} else if (!strcmp(a, "-o")) {
			if (++i >= argc)
				die_usage("-o needs a directory", NULL);
			dir = argv[i];
		} else if (!strcmp(a, "-i")) {
			if (++i >= argc)
				die_usage("-i needs a number of seconds", NULL);
			long long ms = parse_ms(argv[i]);
			if (ms < 10 || ms > 3600000)
				die_usage("-i: not an interval from 10ms to 1h", argv[i]);
			p.interval_ms = (unsigned)ms;
		} else if (!strcmp(a, "--for")) {
			if (++i >= argc)
				die_usage("--for needs a duration", NULL);
			duration_ms = parse_ms(argv[i]);
			if (duration_ms <= 0)
				die_usage("--for: not a duration (4s, 2m, 1h, or seconds)",
				          argv[i]);
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--")) {
			if (i + 1 < argc)
				pid_arg = argv[++i];
			if (i + 1 < argc)
				die_usage("one PID only", argv[i + 1]);
		} else if (a[0] == '-') {
			die_usage("unknown option", a);
		} else if (pid_arg) {
			die_usage("one PID only", a);
		} else {
			pid_arg = a;
		}
	}
	if (!pid_arg)
		die_usage("no PID given", NULL);
	char *end;
	long pidl = strtol(pid_arg, &end, 10);
	if (*end || pidl <= 0 || pidl > INT_MAX)
		die_usage("not a process id", pid_arg);
	p.pid = (pid_t)pidl;

	struct at_target t;
	char why[1024];
	if (target_inspect(p.pid, &t, why, sizeof why) != 0) {
		fprintf(stderr, "%s: %s\n", prog, why);
		return EXIT_REFUSED;
	}
	if (find_libleak(p.so, sizeof p.so) != 0)
		return EXIT_FAILED;
	/* Our own library must have the entry points before the target sees it. */
	struct at_module local;
	memset(&local, 0, sizeof local);
	snprintf(local.readable, sizeof local.readable, "%s", p.so);
	if (!target_sym(&local, "leak_attach_begin") || !target_sym(&local, "leak_attach_end")) {
		fprintf(stderr,
		        "%s: %s has no leak_attach_begin/leak_attach_end (built without "
		        "attach support?)\n",
		        prog, p.so);
		return EXIT_FAILED;
	}
	/* A libleak already mapped (an earlier attach, now inert) is the one to use again. */
	if (t.leak.hi) {
		if (t.leak.deleted) {
			fprintf(
			    stderr,
			    "%s: %d (%s) has a libleak.so mapped from an earlier attach whose file "
			    "was replaced since (%s, deleted): restart it to attach a new build\n",
			    prog, (int)p.pid, t.comm, t.leak.path);
			return EXIT_REFUSED;
		}
		snprintf(p.so, sizeof p.so, "%s", t.leak.path);
	}
	int lock = take_lock(p.pid);
	if (lock == -1) {
		fprintf(stderr, "%s: %d (%s) is already attached by another leak-attach\n", prog,
		        (int)p.pid, t.comm);
		return EXIT_REFUSED;
	}

	char report[PATH_MAX];
	find_report(report, sizeof report);
	char defdir[128];
	if (!dir) {
		char ts[32];
		time_t now = time(NULL);
		strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", localtime(&now));
		snprintf(defdir, sizeof defdir, "./leak-attach.%d.%s", (int)p.pid, ts);
		dir = defdir;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create %s: %s\n", prog, dir, strerror(errno));
		return EXIT_FAILED;
	}
	if (!realpath(dir, p.dir)) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
		return EXIT_FAILED;
	}
	/* The target's writer creates the traces with the target's identity. */
	struct stat dst;
	if (geteuid() == 0 && t.uid != 0 && stat(p.dir, &dst) == 0 && dst.st_uid == 0 &&
	    chown(p.dir, t.uid, t.gid) != 0)
		fprintf(stderr, "%s: cannot hand %s to uid %u: %s\n", prog, p.dir, (unsigned)t.uid,
		        strerror(errno));
	size_t nbefore;
	char **before = list_traces(p.dir, &nbefore);
	if (make_visible(&t, &p) != 0)
		return EXIT_FAILED;

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop; /* no SA_RESTART: the window's poll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed terminal must not leave libleak recording in the target: detach as well. */
	sigaction(SIGHUP, &sa, NULL);

	double held;
	time_t t_begin = time(NULL);
	int rc = inject(&t, &p, 1, &held);
	if (rc != EXIT_OK)
		return rc;
	fprintf(stderr, "%s: attached to %d (%s) in %.1f ms; traces in %s; %s\n", prog, (int)p.pid,
	        t.comm, held, p.dir,
	        duration_ms >= 0 ? "detaching at the end of --for" : "Ctrl-C to detach");
	int exited = wait_window(p.pid, duration_ms);
	time_t t_end = time(NULL);
	if (exited) {
		fprintf(stderr, "%s: %d exited during the window\n", prog, (int)p.pid);
	} else {
		struct at_target t2;
		if (target_inspect(p.pid, &t2, why, sizeof why) != 0 && kill(p.pid, 0) != 0) {
			fprintf(stderr, "%s: %d exited during the window\n", prog, (int)p.pid);
		} else {
			/* target_inspect may refuse (e.g. stopped now): detach anyway from what we
			 * know, the modules re-read. */
			t2 = t;
			const char *b = strrchr(p.so_target, '/') + 1;
			target_find_module(p.pid, b, &t2.leak);
			rc = detach(&t2, &p, &held);
			if (rc != EXIT_OK) {
				fprintf(stderr,
				        "%s: detach failed; libleak may still record in %d\n", prog,
				        (int)p.pid);
			} else {
				fprintf(stderr, "%s: detached from %d in %.1f ms after %ld s\n",
				        prog, (int)p.pid, held, (long)(t_end - t_begin));
			}
		}
	}
	for (int i = 0; i < 50 && inject_reap_orphans(); i++) {
		struct timespec d = {0, 100000000};
		nanosleep(&d, NULL);
	}
	if (inject_reap_orphans())
		fprintf(
		    stderr,
		    "%s: %zu thread(s) of %d in an uninterruptible sleep never stopped; they stay "
		    "seized until leak-attach exits, now\n",
		    prog, inject_reap_orphans(), (int)p.pid);
	close(lock);
	if (p.dir_copied)
		copy_back(&p);
	int rrc = run_report(report, json, p.dir, before, nbefore);
	return rc != EXIT_OK ? rc : rrc;
}
