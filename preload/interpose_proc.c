/* interpose_proc.c - child processes (fork, vfork, posix_spawn*, popen/pclose, the wait
 * family, SIGCHLD disposition) and exec (the exec family), feeding proc_table.c/fd_table.c.
 * vfork is served by the real fork: a vfork child shares its parent's memory and stack, so
 * libleak could run no code in it, and POSIX lets vfork behave as fork.
 * Exec is the one hook that works before the real call: the trace must get its final
 * snapshot, the descriptors open now and an EXEC record on disk before the program is
 * replaced, and the new program must keep the preload (LD_PRELOAD re-added to an envp that
 * lacks it, LEAK_EXECED_FROM=<pid> so its trace says it was exec'd). The new envp is built on
 * the stack, or in an mmap for very large environments, never with malloc.
 * system() is not hooked: it reaps its own child before returning, so it can leak nothing.
 * _exit/_Exit write the final snapshot that exit() would have written through atexit. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emit.h"
#include "fd_table.h"
#include "guard.h"
#include "proc_table.h"
#include "real.h"
#include "stack.h"
#include "sys.h"
#include "trace_format.h"

#define LK_EXPORT __attribute__((visibility("default")))

extern char **environ;

/* The heap engineer's writer may offer this to resume recording after a failed exec. */
void lk_writer_exec_failed(void);
#pragma weak lk_writer_exec_failed

#define LK_FN(name) static __typeof__(name) *lk_r_##name
#define LK_GET(name)                                                                               \
	(lk_r_##name ? lk_r_##name : (lk_r_##name = (__typeof__(lk_r_##name))lk_real_sym(#name)))
#define LK_REAL_OR(name, failret)                                                                  \
	__typeof__(name) *fn = LK_GET(name);                                                       \
	if (!fn) {                                                                                 \
		errno = ENOSYS;                                                                    \
		return failret;                                                                    \
	}

LK_FN(sigaction);

/* Is SIGCHLD ignored or SA_NOCLDWAIT now (children reaped by the kernel)? */
static int lk_sigchld_autoreap(void)
{
	struct sigaction old;
	__typeof__(sigaction) *fn = LK_GET(sigaction);
	if (!fn || fn(SIGCHLD, NULL, &old) != 0)
		return 0;
	return (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN) ||
	       (old.sa_flags & SA_NOCLDWAIT);
}

static void lk_rec_spawn(pid_t pid, const char *api, const char *cmd, int autoreap, const void *key)
{
	if (pid <= 0 || !lk_guard_enter())
		return;
	int saved = errno;
	lk_proc_init();
	lk_proc_child_on_spawn(pid, lk_stack_capture(), lk_now_ns(), api, cmd, autoreap, key);
	errno = saved;
	lk_guard_leave();
}

static void lk_rec_reap(pid_t pid)
{
	if (pid <= 0 || !lk_guard_enter())
		return;
	int saved = errno;
	lk_proc_child_on_reap(pid);
	errno = saved;
	lk_guard_leave();
}

/* --- fork, vfork, posix_spawn --------------------------------------------------------- */

LK_FN(fork);

static pid_t lk_fork_as(const char *api)
{
	LK_REAL_OR(fork, -1);
	int autoreap = lk_sigchld_autoreap();
	pid_t pid = fn();
	if (pid > 0) {
		lk_rec_spawn(pid, api, NULL, autoreap, NULL);
	} else if (pid == 0 && !lk_disabled) {
		/* The child: its own children and threads start empty, its temp files are the
		 * parent's; descriptors stay, and go into its new trace (init.c's atfork child
		 * handler already asked for that through lk_fd_emit_reset). An untraced child
		 * (LEAK_FOLLOW_FORK=0) never reads these tables again: they are left alone. */
		int saved = errno;
		lk_fd_on_fork_child();
		lk_proc_on_fork_child();
		errno = saved;
	}
	return pid;
}

LK_EXPORT pid_t fork(void)
{
	return lk_fork_as("fork");
}

LK_EXPORT pid_t vfork(void)
{
	return lk_fork_as("vfork");
}

LK_FN(posix_spawn);
LK_FN(posix_spawnp);

LK_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	LK_REAL_OR(posix_spawn, ENOSYS);
	pid_t own = 0;
	pid_t *p = pid ? pid : &own;
	int autoreap = lk_sigchld_autoreap();
	int rc = fn(p, path, fa, attr, argv, envp);
	if (rc == 0)
		lk_rec_spawn(*p, "posix_spawn", path, autoreap, NULL);
	return rc;
}

LK_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	LK_REAL_OR(posix_spawnp, ENOSYS);
	pid_t own = 0;
	pid_t *p = pid ? pid : &own;
	int autoreap = lk_sigchld_autoreap();
	int rc = fn(p, file, fa, attr, argv, envp);
	if (rc == 0)
		lk_rec_spawn(*p, "posix_spawnp", file, autoreap, NULL);
	return rc;
}

/* --- popen / pclose ------------------------------------------------------------------- */

LK_FN(popen);
LK_FN(pclose);

/* glibc keeps popen's child pid right after the FILE and its vtable pointer (struct
 * _IO_proc_file in libio/iopopen.c, unchanged since 1997). The value is only trusted if
 * waitid(WNOWAIT) confirms it is our child. */
struct lk_proc_file {
	FILE file;
	const void *vtable;
	pid_t pid;
};

static pid_t lk_popen_pid(FILE *fp)
{
	pid_t pid = ((struct lk_proc_file *)fp)->pid;
	if (pid <= 0)
		return 0;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (syscall(SYS_waitid, P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT, NULL) != 0)
		return 0;
	return pid;
}

LK_EXPORT FILE *popen(const char *cmd, const char *type)
{
	LK_REAL_OR(popen, NULL);
	int autoreap = lk_sigchld_autoreap();
	FILE *fp = fn(cmd, type);
	if (!fp || !lk_guard_enter())
		return fp;
	int saved = errno;
	lk_proc_init();
	uint32_t stack = lk_stack_capture();
	uint64_t now = lk_now_ns();
	pid_t pid = lk_popen_pid(fp);
	if (pid > 0)
		lk_proc_child_on_spawn(pid, stack, now, "popen", cmd, autoreap, fp);
	if (lk_fd_init() == 0)
		lk_fd_on_open(fileno(fp), TRACE_FD_PIPE,
		              (type && strchr(type, 'e')) ? TRACE_FD_CLOEXEC : 0, stack, now,
		              "popen", NULL, NULL);
	errno = saved;
	lk_guard_leave();
	return fp;
}

LK_EXPORT int pclose(FILE *fp)
{
	LK_REAL_OR(pclose, -1);
	int fd = -1;
	uint32_t gen = 0;
	pid_t pid = 0;
	if (lk_guard_enter()) {
		fd = fileno(fp);
		gen = lk_fd_gen(fd);
		pid = lk_proc_child_by_key(fp);
		lk_guard_leave();
	}
	int rc = fn(fp);
	if (lk_guard_enter()) {
		int saved = errno;
		if (gen)
			lk_fd_on_close(fd, gen, lk_now_ns());
		if (pid > 0 && rc != -1)
			lk_proc_child_on_reap(pid);
		errno = saved;
		lk_guard_leave();
	}
	return rc;
}

/* --- wait family ---------------------------------------------------------------------- */

LK_FN(wait);
LK_FN(waitpid);
LK_FN(waitid);
LK_FN(wait3);
LK_FN(wait4);

/* A status that means the child is gone (not stopped or continued). */
static int lk_status_gone(int st)
{
	return WIFEXITED(st) || WIFSIGNALED(st);
}

LK_EXPORT pid_t wait(int *status)
{
	LK_REAL_OR(wait, -1);
	int st = 0;
	pid_t pid = fn(&st);
	if (status)
		*status = st;
	if (pid > 0 && lk_status_gone(st))
		lk_rec_reap(pid);
	return pid;
}

LK_EXPORT pid_t waitpid(pid_t which, int *status, int options)
{
	LK_REAL_OR(waitpid, -1);
	int st = 0;
	pid_t pid = fn(which, &st, options);
	if (status && pid > 0)
		*status = st;
	if (pid > 0 && lk_status_gone(st))
		lk_rec_reap(pid);
	return pid;
}

LK_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
	LK_REAL_OR(waitid, -1);
	int rc = fn(idtype, id, info, options);
	if (rc == 0 && info && !(options & WNOWAIT) && info->si_pid > 0 &&
	    (info->si_code == CLD_EXITED || info->si_code == CLD_KILLED ||
	     info->si_code == CLD_DUMPED))
		lk_rec_reap(info->si_pid);
	return rc;
}

LK_EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
	LK_REAL_OR(wait3, -1);
	int st = 0;
	pid_t pid = fn(&st, options, ru);
	if (status && pid > 0)
		*status = st;
	if (pid > 0 && lk_status_gone(st))
		lk_rec_reap(pid);
	return pid;
}

LK_EXPORT pid_t wait4(pid_t which, int *status, int options, struct rusage *ru)
{
	LK_REAL_OR(wait4, -1);
	int st = 0;
	pid_t pid = fn(which, &st, options, ru);
	if (status && pid > 0)
		*status = st;
	if (pid > 0 && lk_status_gone(st))
		lk_rec_reap(pid);
	return pid;
}

/* --- SIGCHLD disposition -------------------------------------------------------------- */

LK_FN(signal);

LK_EXPORT sighandler_t signal(int signo, sighandler_t handler)
{
	LK_REAL_OR(signal, SIG_ERR);
	sighandler_t old = fn(signo, handler);
	if (signo == SIGCHLD && old != SIG_ERR)
		lk_proc_set_autoreap(handler == SIG_IGN);
	return old;
}

LK_EXPORT int sigaction(int signo, const struct sigaction *act, struct sigaction *old)
{
	LK_REAL_OR(sigaction, -1);
	int rc = fn(signo, act, old);
	if (rc == 0 && signo == SIGCHLD && act)
		lk_proc_set_autoreap(
		    (!(act->sa_flags & SA_SIGINFO) && act->sa_handler == SIG_IGN) ||
		    (act->sa_flags & SA_NOCLDWAIT));
	return rc;
}

/* --- _exit ---------------------------------------------------------------------------- */

/* _exit skips atexit, so the final snapshot is written here: a forked child that ends with
 * _exit (the usual way) would otherwise leave a trace without END. glibc's exit() reaches
 * its internal _exit, not this one, after the atexit handler already wrote the snapshot. */
static void lk_exit_now(const char *name, int status) __attribute__((noreturn));
static void lk_exit_now(const char *name, int status)
{
	if (lk_guard_enter()) {
		lk_writer_sync(1, TRACE_END_EXIT, status);
		lk_guard_leave();
	}
	void (*fn)(int) = (void (*)(int))lk_real_sym(name);
	if (fn)
		fn(status);
	for (;;)
		syscall(SYS_exit_group, status);
}

LK_EXPORT void _exit(int status)
{
	lk_exit_now("_exit", status);
}

LK_EXPORT void _Exit(int status)
{
	lk_exit_now("_Exit", status);
}

/* --- exec ----------------------------------------------------------------------------- */

LK_FN(execve);
LK_FN(execvpe);
LK_FN(fexecve);

#define LK_ENV_STACK 256 /* entries built on the stack; more go to an mmap */
#define LK_SELF_LEN  1024

/* The envp handed to the real exec, and where its storage lives. */
typedef struct {
	char **env;
	void *map;
	size_t map_len;
	char preload[LK_SELF_LEN + 16];
	char from[40];
	char *stack_env[LK_ENV_STACK];
} lk_exec_env_t;

static int lk_env_has(char *const *envp, const char *name, size_t len)
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
			return 1;
	return 0;
}

/* "LD_PRELOAD=<value>" for an exec'd program whose envp lacks it: ours from the environment,
 * or, if the program removed it, the path of libleak.so itself. */
static void lk_env_preload(char *out, size_t n)
{
	const char *v = getenv("LD_PRELOAD");
	Dl_info info;
	if ((!v || !*v) && dladdr((void *)lk_env_preload, &info) && info.dli_fname)
		v = info.dli_fname;
	size_t at = 0;
	const char *k = "LD_PRELOAD=";
	while (*k && at + 1 < n)
		out[at++] = *k++;
	while (v && *v && at + 1 < n)
		out[at++] = *v++;
	out[at] = '\0';
}

/* Builds e->env from envp: everything but an old LEAK_EXECED_FROM, then LD_PRELOAD if
 * missing, every LEAK_* of ours the envp lacks (the new program keeps our settings), and
 * LEAK_EXECED_FROM=<pid>. On failure e->env is envp itself. */
static void lk_exec_env(lk_exec_env_t *e, char *const *envp)
{
	size_t n = 0, ours = 0;
	while (envp && envp[n])
		n++;
	while (environ && environ[ours])
		ours++;
	size_t cap = n + ours + 3;
	e->map = NULL;
	e->env = e->stack_env;
	if (cap > LK_ENV_STACK) {
		e->map_len = cap * sizeof(char *);
		e->map = mmap(NULL, e->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		              -1, 0);
		if (e->map == MAP_FAILED) {
			e->map = NULL;
			e->env = (char **)envp;
			return;
		}
		e->env = e->map;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], "LEAK_EXECED_FROM=", 17) != 0)
			e->env[k++] = envp[i];
	if (!lk_env_has(envp, "LD_PRELOAD", 10)) {
		lk_env_preload(e->preload, sizeof(e->preload));
		e->env[k++] = e->preload;
	}
	if (envp != environ)
		for (size_t i = 0; i < ours; i++) {
			const char *s = environ[i];
			const char *eq = strchr(s, '=');
			if (strncmp(s, "LEAK_", 5) != 0 || !eq ||
			    strncmp(s, "LEAK_EXECED_FROM=", 17) == 0)
				continue;
			if (!lk_env_has(envp, s, (size_t)(eq - s)))
				e->env[k++] = environ[i];
		}
	char num[24];
	num[lk_fmt_u64(num, (uint64_t)lk_sys_getpid())] = '\0';
	memcpy(e->from, "LEAK_EXECED_FROM=", 17);
	memcpy(e->from + 17, num, strlen(num) + 1);
	e->env[k++] = e->from;
	e->env[k] = NULL;
}

static void lk_exec_env_free(lk_exec_env_t *e)
{
	if (e->map)
		munmap(e->map, e->map_len);
}

/* Can the exec of `file` find an executable? (execvp semantics when search is 1 and file
 * has no '/'; search -1: fexecve, assume so.) A final snapshot ends recording, so an exec that is
 * bound to fail (a missing program: the common failure) must not take it; other failures are rarer
 * (see report). */
static int lk_exec_findable(const char *file, int search)
{
	if (search < 0)
		return 1;
	if (!file || !*file)
		return 0;
	if (!search || strchr(file, '/'))
		return syscall(SYS_faccessat, AT_FDCWD, file, X_OK, 0) == 0;
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	size_t flen = strlen(file);
	for (const char *p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t dlen = end ? (size_t)(end - p) : strlen(p);
		char cand[LK_SELF_LEN];
		if (dlen + flen + 2 <= sizeof(cand)) {
			size_t at = 0;
			if (dlen) {
				memcpy(cand, p, dlen);
				at = dlen;
				cand[at++] = '/';
			}
			memcpy(cand + at, file, flen + 1);
			if (syscall(SYS_faccessat, AT_FDCWD, cand, X_OK, 0) == 0)
				return 1;
		}
		if (!end)
			return 0;
		p = end;
	}
}

/* Before an exec: EXEC marker, final snapshot on disk, the new program's envp. Returns 1 if
 * the snapshot was taken (then lk_exec_after must be called if the exec returns). */
static int lk_exec_before(const char *path, int search, char *const *envp, lk_exec_env_t *e)
{
	if (!lk_guard_enter()) {
		e->env = (char **)envp;
		e->map = NULL;
		return 0;
	}
	int saved = errno;
	int synced = 0;
	if (lk_exec_findable(path, search)) {
		lk_fd_init();
		lk_fd_exec_pending(path, lk_now_ns());
		lk_writer_sync(1, TRACE_END_EXEC, 0);
		synced = 1;
	}
	lk_exec_env(e, envp);
	errno = saved;
	lk_guard_leave();
	return synced;
}

/* The exec failed: the process goes on, so must recording. */
static void lk_exec_after(int was_on, lk_exec_env_t *e)
{
	int saved = errno;
	lk_exec_env_free(e);
	if (was_on) {
		lk_fd_exec_cancel();
		if (lk_writer_exec_failed)
			lk_writer_exec_failed();
	}
	errno = saved;
}

static int lk_execve_as(const char *path, char *const argv[], char *const envp[])
{
	LK_REAL_OR(execve, -1);
	lk_exec_env_t e;
	int on = lk_exec_before(path, 0, envp, &e);
	fn(path, argv, e.env);
	lk_exec_after(on, &e);
	return -1;
}

static int lk_execvpe_as(const char *file, char *const argv[], char *const envp[])
{
	LK_REAL_OR(execvpe, -1);
	lk_exec_env_t e;
	int on = lk_exec_before(file, 1, envp, &e);
	fn(file, argv, e.env);
	lk_exec_after(on, &e);
	return -1;
}

LK_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return lk_execve_as(path, argv, envp);
}

LK_EXPORT int execv(const char *path, char *const argv[])
{
	return lk_execve_as(path, argv, environ);
}

LK_EXPORT int execvp(const char *file, char *const argv[])
{
	return lk_execvpe_as(file, argv, environ);
}

LK_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return lk_execvpe_as(file, argv, envp);
}

LK_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	LK_REAL_OR(fexecve, -1);
	char path[LK_FD_PATH_LEN];
	if (lk_fd_get_path(fd, path, sizeof(path)) <= 0) {
		char num[24];
		num[lk_fmt_u64(num, (uint64_t)(fd < 0 ? 0 : fd))] = '\0';
		memcpy(path, "/proc/self/fd/", 14);
		memcpy(path + 14, num, strlen(num) + 1);
	}
	lk_exec_env_t e;
	int on = lk_exec_before(path, -1, envp, &e); /* -1: the fd is what runs */
	fn(fd, argv, e.env);
	lk_exec_after(on, &e);
	return -1;
}

/* execl and friends: the variadic arguments become an argv on the stack (or an mmap when
 * there are very many), then the calls above. */
#define LK_ARGV_STACK 256

typedef struct {
	char **argv;
	void *map;
	size_t map_len;
	char **envp_after; /* execle: the envp that follows the NULL */
	char *stack_argv[LK_ARGV_STACK];
} lk_argv_t;

static int lk_argv_alloc(lk_argv_t *a, size_t n)
{
	a->map = NULL;
	a->argv = a->stack_argv;
	if (n <= LK_ARGV_STACK)
		return 0;
	a->map_len = n * sizeof(char *);
	a->map = mmap(NULL, a->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->map == MAP_FAILED) {
		a->map = NULL;
		errno = E2BIG;
		return -1;
	}
	a->argv = a->map;
	return 0;
}

static void lk_argv_free(lk_argv_t *a)
{
	if (a->map)
		munmap(a->map, a->map_len);
}

/* Number of argv slots: arg0 (non-null: glibc declares it so), the rest, the NULL. */
static size_t lk_count_args(va_list ap)
{
	size_t n = 2;
	while (va_arg(ap, char *))
		n++;
	return n;
}

static void lk_fill_args(lk_argv_t *a, const char *arg0, va_list ap, int want_env)
{
	size_t k = 0;
	char *s;
	a->argv[k++] = (char *)arg0;
	while ((s = va_arg(ap, char *)) != NULL)
		a->argv[k++] = s;
	a->argv[k] = NULL;
	a->envp_after = want_env ? va_arg(ap, char **) : NULL;
}

#define LK_COUNT_ARGS(n, last)                                                                     \
	do {                                                                                       \
		va_list cp;                                                                        \
		va_start(cp, last);                                                                \
		n = lk_count_args(cp);                                                             \
		va_end(cp);                                                                        \
	} while (0)

LK_EXPORT int execl(const char *path, const char *arg0, ...)
{
	size_t n;
	LK_COUNT_ARGS(n, arg0);
	lk_argv_t a;
	if (lk_argv_alloc(&a, n) != 0)
		return -1;
	va_list ap;
	va_start(ap, arg0);
	lk_fill_args(&a, arg0, ap, 0);
	va_end(ap);
	lk_execve_as(path, a.argv, environ);
	int saved = errno;
	lk_argv_free(&a);
	errno = saved;
	return -1;
}

LK_EXPORT int execlp(const char *file, const char *arg0, ...)
{
	size_t n;
	LK_COUNT_ARGS(n, arg0);
	lk_argv_t a;
	if (lk_argv_alloc(&a, n) != 0)
		return -1;
	va_list ap;
	va_start(ap, arg0);
	lk_fill_args(&a, arg0, ap, 0);
	va_end(ap);
	lk_execvpe_as(file, a.argv, environ);
	int saved = errno;
	lk_argv_free(&a);
	errno = saved;
	return -1;
}

LK_EXPORT int execle(const char *path, const char *arg0, ...)
{
	size_t n;
	LK_COUNT_ARGS(n, arg0);
	lk_argv_t a;
	if (lk_argv_alloc(&a, n) != 0)
		return -1;
	va_list ap;
	va_start(ap, arg0);
	lk_fill_args(&a, arg0, ap, 1);
	va_end(ap);
	lk_execve_as(path, a.argv, a.envp_after);
	int saved = errno;
	lk_argv_free(&a);
	errno = saved;
	return -1;
}
