/* SPDX-License-Identifier: MIT */
/* interpose_exec.c - the exec family. Exec is the one hook that works before the real call:
 * the trace must get its final snapshot, the descriptors open now and an EXEC record on disk
 * before the program is replaced, and the new program must keep the preload (LD_PRELOAD re-added
 * to an envp that lacks it, our LEAK_* settings, LEAK_EXECED_FROM=<pid> so its trace says it
 * was exec'd, and whether in a child of the traced process: fork.h). The new envp, and execl's
 * argv, are built on the stack, or in an mmap when very large, never with malloc. execv, execvp and
 * the execl family go through the execve/execvpe paths here, since glibc's own calls to execve do
 * not reach our hook. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attach.h"
#include "config.h"
#include "emit.h"
#include "fd_table.h"
#include "fork.h"
#include "hook.h"
#include "sys.h"
#include "trace_format.h"
#include "vfork.h"
#include "writer.h"

extern char **environ;

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
 * LEAK_EXECED_FROM=<pid> (lk_fork_exec_from). On failure e->env is envp itself. */
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
	num[lk_fmt_u64(num, (uint64_t)lk_fork_exec_from())] = '\0';
	memcpy(e->from, "LEAK_EXECED_FROM=", 17);
	memcpy(e->from + 17, num, strlen(num) + 1);
	e->env[k++] = e->from;
	e->env[k] = NULL;
}

static void lk_exec_env_free(lk_exec_env_t *e)
{
	lk_vfork_forget_map(e->map);
	if (e->map)
		munmap(e->map, e->map_len);
}

/* Can the exec of `file` find an executable? (execvp semantics when search is 1 and file has
 * no '/'; search -1: fexecve, assume so.) A final snapshot ends the trace's current stretch, so
 * an exec that is bound to fail (a missing program: the common failure) must not take it;
 * rarer failures (ENOEXEC, E2BIG, a noexec mount) take it and recording goes on after them. */
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

/* Guard held, before an exec: EXEC marker and final snapshot on disk (only if the exec can
 * find its program; a forked child with nothing to report removes its unwritten trace
 * instead, fork.h), then the new program's envp. Returns 1 if the snapshot was taken (then
 * lk_exec_failed must be called if the exec returns). */
static int lk_exec_prepare(const char *path, int search, char *const *envp, lk_exec_env_t *e)
{
	int synced = 0;
	if (lk_exec_findable(path, search) && !(lk_fork_exec_quiet() && lk_writer_exec_discard())) {
		lk_fd_init();
		lk_fd_exec_pending(path, lk_now_ns());
		lk_writer_sync(1, TRACE_END_EXEC, 0);
		synced = 1;
	}
	/* Attached to a running program, the program it execs runs as it would have: no
	 * preload, none of our settings. */
	if (!lk_attach_mode)
		lk_exec_env(e, envp);
	return synced;
}

/* The hook's side: without the guard (nested, not recording) the exec gets envp unchanged. */
static int lk_exec_before(const char *path, int search, char *const *envp, lk_exec_env_t *e)
{
	int synced = 0;
	e->env = (char **)envp;
	e->map = NULL;
	if (__builtin_expect(lk_in_vfork_child, 0)) {
		/* A vfork child (vfork.h): it writes no trace, so only the new program's envp, as
		 * a forked child that execs with nothing to report gets it; under
		 * LEAK_FOLLOW_FORK=0 envp is left alone, as that child's disabled hook does. */
		if (lk_config.follow_fork && !lk_attach_mode && !lk_disabled) {
			lk_exec_env(e, envp);
			if (e->map)
				lk_vfork_note_map(e->map, e->map_len);
		}
		return 0;
	}
	LK_RECORD(synced = lk_exec_prepare(path, search, envp, e));
	return synced;
}

/* The exec failed: the process goes on, and so does recording (the writer keeps recording
 * after an exec-time END, and the collector lets later snapshots supersede it). Only the
 * pending EXEC record is withdrawn, if the snapshot did not carry it yet. */
static void lk_exec_failed(int synced, lk_exec_env_t *e)
{
	int saved = errno;
	lk_exec_env_free(e);
	if (synced)
		lk_fd_exec_cancel();
	errno = saved;
}

static int lk_execve_as(const char *path, char *const argv[], char *const envp[])
{
	LK_REAL_OR(execve, -1);
	lk_exec_env_t e;
	int on = lk_exec_before(path, 0, envp, &e);
	fn(path, argv, e.env);
	lk_exec_failed(on, &e);
	return -1;
}

static int lk_execvpe_as(const char *file, char *const argv[], char *const envp[])
{
	LK_REAL_OR(execvpe, -1);
	lk_exec_env_t e;
	int on = lk_exec_before(file, 1, envp, &e);
	fn(file, argv, e.env);
	lk_exec_failed(on, &e);
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
	lk_exec_failed(on, &e);
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
	if (lk_in_vfork_child)
		lk_vfork_note_map(a->map, a->map_len);
	return 0;
}

static void lk_argv_free(lk_argv_t *a)
{
	lk_vfork_forget_map(a->map);
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
