/* interpose_fd.c - every libc call that creates, duplicates, describes or closes a file
 * descriptor, plus the temp-file makers and removers. Each hook makes the real call first
 * (its result and errno are the program's), then, if the guard can be entered, captures the
 * stack and updates fd_table.c. The guard is never held across a real call that may allocate
 * or free (fclose frees the FILE: the heap hooks must see that).
 * libc's own wrappers call its internal open/close (fopen -> __open, fclose -> __close), not
 * these exported names, which is why the stdio, dirent and mkstemp families are hooked one by
 * one and fclose/closedir mark their descriptor closed themselves. Real functions are looked
 * up lazily by name (lk_real_sym) and cached; a missing one fails with ENOSYS. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd_table.h"
#include "guard.h"
#include "real.h"
#include "stack.h"
#include "sys.h"
#include "trace_format.h"

#define LK_EXPORT __attribute__((visibility("default")))

/* Not in every libc header set; the version script exports them. */
int close_range(unsigned int first, unsigned int last, int flags);
int fcntl64(int fd, int cmd, ...);
/* _FORTIFY_SOURCE entry points (open with a flags value the compiler cannot see) and
 * closefrom: defined here, exported once preload/libleak.map lists them. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
void closefrom(int lowfd);
/* glibc 2.36 declares these in <sys/pidfd.h>, which older header sets lack. */
int pidfd_open(pid_t pid, unsigned int flags);
int pidfd_getfd(int pidfd, int targetfd, unsigned int flags);

/* Cached real function: `LK_FN(open)` declares a static pointer typed like open(). */
#define LK_FN(name) static __typeof__(name) *lk_r_##name
#define LK_GET(name)                                                                               \
	(lk_r_##name ? lk_r_##name : (lk_r_##name = (__typeof__(lk_r_##name))lk_real_sym(#name)))
/* Fetches the real function into `fn`, or fails the call with ENOSYS. */
#define LK_REAL_OR(name, failret)                                                                  \
	__typeof__(name) *fn = LK_GET(name);                                                       \
	if (!fn) {                                                                                 \
		errno = ENOSYS;                                                                    \
		return failret;                                                                    \
	}

/* --- recording helpers ---------------------------------------------------------------- */

static size_t lk_cat(char *out, size_t n, size_t at, const char *s)
{
	while (*s && at + 1 < n)
		out[at++] = *s++;
	out[at] = '\0';
	return at;
}

/* Absolute form of path (relative to dirfd or the cwd) into out; returns out. */
static const char *lk_abs_path(int dirfd, const char *path, char *out, size_t n)
{
	out[0] = '\0';
	if (!path)
		return out;
	if (path[0] == '/') {
		lk_cat(out, n, 0, path);
		return out;
	}
	size_t at = 0;
	if (dirfd == AT_FDCWD) {
		long r = syscall(SYS_getcwd, out, n);
		if (r > 0)
			at = strnlen(out, n);
	} else if (lk_fd_get_path(dirfd, out, n) > 0) {
		at = strnlen(out, n);
	}
	if (at == 0 || (at == 1 && out[0] == '/')) {
		out[0] = '\0';
		at = 0;
	}
	if (at > 0 || path[0] != '\0')
		at = lk_cat(out, n, at, at > 0 ? "/" : "");
	lk_cat(out, n, at, path);
	return out;
}

/* Guard held by the caller. */
static void lk_rec_locked(int fd, unsigned type, unsigned flags, const char *api, const char *path,
                          const char *peer)
{
	if (lk_fd_init() != 0)
		return;
	uint32_t stack = lk_stack_capture();
	lk_fd_on_open(fd, type, flags, stack, lk_now_ns(), api, path, peer);
}

/* A new descriptor: stack, time, description. path is made absolute against dirfd. */
static void lk_rec_open(int fd, unsigned type, int cloexec, const char *api, int dirfd,
                        const char *path)
{
	if (fd < 0 || !lk_guard_enter())
		return;
	int saved = errno;
	char abs[LK_FD_PATH_LEN];
	const char *p = path ? lk_abs_path(dirfd, path, abs, sizeof(abs)) : NULL;
	lk_rec_locked(fd, type, cloexec ? TRACE_FD_CLOEXEC : 0, api, p, NULL);
	errno = saved;
	lk_guard_leave();
}

/* Generation of fd before a real close, 0 if untracked or not recording. */
static uint32_t lk_gen_before_close(int fd)
{
	if (fd < 0 || !lk_guard_enter())
		return 0;
	uint32_t gen = lk_fd_gen(fd);
	lk_guard_leave();
	return gen;
}

static void lk_rec_close(int fd, uint32_t gen)
{
	if (gen == 0 || !lk_guard_enter())
		return;
	int saved = errno;
	lk_fd_on_close(fd, gen, lk_now_ns());
	errno = saved;
	lk_guard_leave();
}

static void lk_rec_dup(int oldfd, int newfd, int cloexec, const char *api)
{
	if (newfd < 0 || oldfd == newfd || !lk_guard_enter())
		return;
	int saved = errno;
	if (lk_fd_init() == 0)
		lk_fd_on_dup(oldfd, newfd, cloexec, lk_stack_capture(), lk_now_ns(), api);
	errno = saved;
	lk_guard_leave();
}

static void lk_rec_temp(int fd, const char *path, int cloexec, const char *api)
{
	if (!lk_guard_enter())
		return;
	int saved = errno;
	char abs[LK_TEMP_PATH_LEN];
	lk_abs_path(AT_FDCWD, path, abs, sizeof(abs));
	if (lk_fd_init() == 0) {
		uint32_t stack = lk_stack_capture();
		uint64_t now = lk_now_ns();
		lk_fd_temp_on_create(abs, stack, now, api);
		if (fd >= 0)
			lk_fd_on_open(fd, TRACE_FD_FILE,
			              TRACE_FD_TEMPFILE | (cloexec ? TRACE_FD_CLOEXEC : 0), stack,
			              now, api, abs, NULL);
	}
	errno = saved;
	lk_guard_leave();
}

static void lk_rec_removed(int dirfd, const char *path)
{
	if (!path || !lk_guard_enter())
		return;
	int saved = errno;
	char abs[LK_TEMP_PATH_LEN];
	lk_fd_temp_on_remove(lk_abs_path(dirfd, path, abs, sizeof(abs)));
	errno = saved;
	lk_guard_leave();
}

static int lk_mode_has_e(const char *mode)
{
	return mode && strchr(mode, 'e') != NULL;
}

/* --- socket addresses ----------------------------------------------------------------- */

static const char *lk_sock_kind(int family, int socktype)
{
	switch (family) {
	case AF_INET:
		return socktype == SOCK_DGRAM ? "udp" : socktype == SOCK_RAW ? "raw" : "tcp";
	case AF_INET6:
		return socktype == SOCK_DGRAM ? "udp6" : socktype == SOCK_RAW ? "raw6" : "tcp6";
	case AF_UNIX:
		return "unix";
	case AF_NETLINK:
		return "netlink";
	case AF_PACKET:
		return "packet";
	default:
		return "socket";
	}
}

/* "127.0.0.1:5000", "[::1]:5000", "/run/x.sock", "@abstract", or "" when unnamed. */
static void lk_fmt_sockaddr(const struct sockaddr *sa, socklen_t len, char *out, size_t n)
{
	out[0] = '\0';
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return;
	char num[24];
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;
		char ip[INET_ADDRSTRLEN];
		if (!inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip)))
			return;
		num[lk_fmt_u64(num, ntohs(in->sin_port))] = '\0';
		size_t at = lk_cat(out, n, 0, ip);
		at = lk_cat(out, n, at, ":");
		lk_cat(out, n, at, num);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		char ip[INET6_ADDRSTRLEN];
		if (!inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip)))
			return;
		num[lk_fmt_u64(num, ntohs(in6->sin6_port))] = '\0';
		size_t at = lk_cat(out, n, 0, "[");
		at = lk_cat(out, n, at, ip);
		at = lk_cat(out, n, at, "]:");
		lk_cat(out, n, at, num);
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)sa;
		size_t plen = (size_t)len - offsetof(struct sockaddr_un, sun_path);
		if (len <= (socklen_t)offsetof(struct sockaddr_un, sun_path) || plen == 0)
			return;
		if (plen > sizeof(un->sun_path))
			plen = sizeof(un->sun_path);
		size_t at = 0;
		const char *p = un->sun_path;
		if (p[0] == '\0') { /* abstract namespace */
			at = lk_cat(out, n, 0, "@");
			p++;
			plen--;
		}
		for (size_t i = 0; i < plen && p[i] && at + 1 < n; i++)
			out[at++] = p[i];
		out[at] = '\0';
	}
}

/* Refreshes a socket's description: "kind local-address" from getsockname, and the peer
 * from `peer` (NULL keeps it). Guard held. */
static void lk_sock_describe(int fd, const struct sockaddr *peer, socklen_t peerlen)
{
	int family = 0, socktype = 0;
	if (lk_fd_get_sock(fd, &family, &socktype) != 0)
		return;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[LK_FD_PATH_LEN], local[LK_FD_PATH_LEN], p[LK_FD_PEER_LEN];
	addr[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		lk_fmt_sockaddr((struct sockaddr *)&ss, sl, addr, sizeof(addr));
	size_t at = lk_cat(local, sizeof(local), 0, lk_sock_kind(family, socktype));
	if (addr[0]) {
		at = lk_cat(local, sizeof(local), at, " ");
		lk_cat(local, sizeof(local), at, addr);
	}
	if (peer)
		lk_fmt_sockaddr(peer, peerlen, p, sizeof(p));
	lk_fd_set_addr(fd, local, peer ? p : NULL);
}

/* --- open family ---------------------------------------------------------------------- */

LK_FN(open);
LK_FN(open64);
LK_FN(openat);
LK_FN(openat64);
LK_FN(creat);
LK_FN(creat64);

static int lk_open_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static unsigned lk_open_type(int flags)
{
	return (flags & O_DIRECTORY) ? TRACE_FD_DIR : TRACE_FD_FILE;
}

LK_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (lk_open_needs_mode(flags)) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	LK_REAL_OR(open, -1);
	int fd = fn(path, flags, mode);
	lk_rec_open(fd, lk_open_type(flags), flags & O_CLOEXEC, "open", AT_FDCWD, path);
	return fd;
}

LK_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (lk_open_needs_mode(flags)) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	LK_REAL_OR(open64, -1);
	int fd = fn(path, flags, mode);
	lk_rec_open(fd, lk_open_type(flags), flags & O_CLOEXEC, "open64", AT_FDCWD, path);
	return fd;
}

LK_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (lk_open_needs_mode(flags)) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	LK_REAL_OR(openat, -1);
	int fd = fn(dirfd, path, flags, mode);
	lk_rec_open(fd, lk_open_type(flags), flags & O_CLOEXEC, "openat", dirfd, path);
	return fd;
}

LK_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (lk_open_needs_mode(flags)) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	LK_REAL_OR(openat64, -1);
	int fd = fn(dirfd, path, flags, mode);
	lk_rec_open(fd, lk_open_type(flags), flags & O_CLOEXEC, "openat64", dirfd, path);
	return fd;
}

LK_FN(__open_2);
LK_FN(__open64_2);
LK_FN(__openat_2);
LK_FN(__openat64_2);

LK_EXPORT int __open_2(const char *path, int flags)
{
	LK_REAL_OR(__open_2, -1);
	int fd = fn(path, flags);
	lk_rec_open(fd, lk_open_type(flags), flags & O_CLOEXEC, "open", AT_FDCWD, path);
	return fd;
}

LK_EXPORT int __open64_2(const char *path, int flags)
{
	LK_REAL_OR(__open64_2, -1);
	int fd = fn(path, flags);
	lk_rec_open(fd, lk_open_type(flags), flags & O_CLOEXEC, "open64", AT_FDCWD, path);
	return fd;
}

LK_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	LK_REAL_OR(__openat_2, -1);
	int fd = fn(dirfd, path, flags);
	lk_rec_open(fd, lk_open_type(flags), flags & O_CLOEXEC, "openat", dirfd, path);
	return fd;
}

LK_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	LK_REAL_OR(__openat64_2, -1);
	int fd = fn(dirfd, path, flags);
	lk_rec_open(fd, lk_open_type(flags), flags & O_CLOEXEC, "openat64", dirfd, path);
	return fd;
}

LK_EXPORT int creat(const char *path, mode_t mode)
{
	LK_REAL_OR(creat, -1);
	int fd = fn(path, mode);
	lk_rec_open(fd, TRACE_FD_FILE, 0, "creat", AT_FDCWD, path);
	return fd;
}

LK_EXPORT int creat64(const char *path, mode_t mode)
{
	LK_REAL_OR(creat64, -1);
	int fd = fn(path, mode);
	lk_rec_open(fd, TRACE_FD_FILE, 0, "creat64", AT_FDCWD, path);
	return fd;
}

/* --- stdio ---------------------------------------------------------------------------- */

LK_FN(fopen);
LK_FN(fopen64);
LK_FN(fdopen);
LK_FN(freopen);
LK_FN(freopen64);
LK_FN(fclose);
LK_FN(tmpfile);
LK_FN(tmpfile64);

static void lk_rec_stream(FILE *fp, const char *api, const char *path, const char *mode)
{
	if (fp)
		lk_rec_open(fileno(fp), TRACE_FD_FILE, lk_mode_has_e(mode), api, AT_FDCWD, path);
}

LK_EXPORT FILE *fopen(const char *path, const char *mode)
{
	LK_REAL_OR(fopen, NULL);
	FILE *fp = fn(path, mode);
	lk_rec_stream(fp, "fopen", path, mode);
	return fp;
}

LK_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	LK_REAL_OR(fopen64, NULL);
	FILE *fp = fn(path, mode);
	lk_rec_stream(fp, "fopen64", path, mode);
	return fp;
}

/* The descriptor already has its record (open, socket ...): keep that creating stack; only a
 * descriptor we never saw (inherited) gets one now. */
LK_EXPORT FILE *fdopen(int fd, const char *mode)
{
	LK_REAL_OR(fdopen, NULL);
	FILE *fp = fn(fd, mode);
	if (fp && lk_guard_enter()) {
		int saved = errno;
		if (lk_fd_gen(fd) == 0)
			lk_rec_locked(fd, TRACE_FD_OTHER, 0, "fdopen", NULL, NULL);
		errno = saved;
		lk_guard_leave();
	}
	return fp;
}

static FILE *lk_freopen(__typeof__(freopen) *fn, const char *api, const char *path,
                        const char *mode, FILE *old)
{
	int oldfd = old ? fileno(old) : -1;
	uint32_t gen = lk_gen_before_close(oldfd);
	FILE *fp = fn(path, mode, old);
	lk_rec_close(oldfd, gen);
	if (fp && path)
		lk_rec_stream(fp, api, path, mode);
	return fp;
}

LK_EXPORT FILE *freopen(const char *path, const char *mode, FILE *old)
{
	LK_REAL_OR(freopen, NULL);
	return lk_freopen(fn, "freopen", path, mode, old);
}

LK_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *old)
{
	LK_REAL_OR(freopen64, NULL);
	return lk_freopen(fn, "freopen64", path, mode, old);
}

LK_EXPORT int fclose(FILE *fp)
{
	LK_REAL_OR(fclose, EOF);
	int fd = fp ? fileno(fp) : -1;
	uint32_t gen = lk_gen_before_close(fd);
	int rc = fn(fp);
	lk_rec_close(fd, gen); /* closed even when fclose reports a flush error */
	return rc;
}

/* tmpfile's file is unlinked at creation: nothing can be left on disk, so it is an fd only. */
LK_EXPORT FILE *tmpfile(void)
{
	LK_REAL_OR(tmpfile, NULL);
	FILE *fp = fn();
	if (fp)
		lk_rec_open(fileno(fp), TRACE_FD_FILE, 0, "tmpfile", AT_FDCWD, NULL);
	return fp;
}

LK_EXPORT FILE *tmpfile64(void)
{
	LK_REAL_OR(tmpfile64, NULL);
	FILE *fp = fn();
	if (fp)
		lk_rec_open(fileno(fp), TRACE_FD_FILE, 0, "tmpfile64", AT_FDCWD, NULL);
	return fp;
}

/* --- temp files ----------------------------------------------------------------------- */

LK_FN(mkstemp);
LK_FN(mkstemp64);
LK_FN(mkostemp);
LK_FN(mkostemp64);
LK_FN(mkstemps);
LK_FN(mkstemps64);
LK_FN(mkostemps);
LK_FN(mkostemps64);
LK_FN(mkdtemp);

LK_EXPORT int mkstemp(char *tmpl)
{
	LK_REAL_OR(mkstemp, -1);
	int fd = fn(tmpl);
	if (fd >= 0)
		lk_rec_temp(fd, tmpl, 0, "mkstemp");
	return fd;
}

LK_EXPORT int mkstemp64(char *tmpl)
{
	LK_REAL_OR(mkstemp64, -1);
	int fd = fn(tmpl);
	if (fd >= 0)
		lk_rec_temp(fd, tmpl, 0, "mkstemp64");
	return fd;
}

LK_EXPORT int mkostemp(char *tmpl, int flags)
{
	LK_REAL_OR(mkostemp, -1);
	int fd = fn(tmpl, flags);
	if (fd >= 0)
		lk_rec_temp(fd, tmpl, flags & O_CLOEXEC, "mkostemp");
	return fd;
}

LK_EXPORT int mkostemp64(char *tmpl, int flags)
{
	LK_REAL_OR(mkostemp64, -1);
	int fd = fn(tmpl, flags);
	if (fd >= 0)
		lk_rec_temp(fd, tmpl, flags & O_CLOEXEC, "mkostemp64");
	return fd;
}

LK_EXPORT int mkstemps(char *tmpl, int suffixlen)
{
	LK_REAL_OR(mkstemps, -1);
	int fd = fn(tmpl, suffixlen);
	if (fd >= 0)
		lk_rec_temp(fd, tmpl, 0, "mkstemps");
	return fd;
}

LK_EXPORT int mkstemps64(char *tmpl, int suffixlen)
{
	LK_REAL_OR(mkstemps64, -1);
	int fd = fn(tmpl, suffixlen);
	if (fd >= 0)
		lk_rec_temp(fd, tmpl, 0, "mkstemps64");
	return fd;
}

LK_EXPORT int mkostemps(char *tmpl, int suffixlen, int flags)
{
	LK_REAL_OR(mkostemps, -1);
	int fd = fn(tmpl, suffixlen, flags);
	if (fd >= 0)
		lk_rec_temp(fd, tmpl, flags & O_CLOEXEC, "mkostemps");
	return fd;
}

LK_EXPORT int mkostemps64(char *tmpl, int suffixlen, int flags)
{
	LK_REAL_OR(mkostemps64, -1);
	int fd = fn(tmpl, suffixlen, flags);
	if (fd >= 0)
		lk_rec_temp(fd, tmpl, flags & O_CLOEXEC, "mkostemps64");
	return fd;
}

LK_EXPORT char *mkdtemp(char *tmpl)
{
	LK_REAL_OR(mkdtemp, NULL);
	char *dir = fn(tmpl);
	if (dir)
		lk_rec_temp(-1, dir, 0, "mkdtemp");
	return dir;
}

LK_FN(unlink);
LK_FN(unlinkat);
LK_FN(remove);
LK_FN(rmdir);

LK_EXPORT int unlink(const char *path)
{
	LK_REAL_OR(unlink, -1);
	int rc = fn(path);
	if (rc == 0)
		lk_rec_removed(AT_FDCWD, path);
	return rc;
}

LK_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	LK_REAL_OR(unlinkat, -1);
	int rc = fn(dirfd, path, flags);
	if (rc == 0)
		lk_rec_removed(dirfd, path);
	return rc;
}

LK_EXPORT int remove(const char *path)
{
	LK_REAL_OR(remove, -1);
	int rc = fn(path);
	if (rc == 0)
		lk_rec_removed(AT_FDCWD, path);
	return rc;
}

LK_EXPORT int rmdir(const char *path)
{
	LK_REAL_OR(rmdir, -1);
	int rc = fn(path);
	if (rc == 0)
		lk_rec_removed(AT_FDCWD, path);
	return rc;
}

/* --- directories ---------------------------------------------------------------------- */

LK_FN(opendir);
LK_FN(fdopendir);
LK_FN(closedir);

LK_EXPORT DIR *opendir(const char *path)
{
	LK_REAL_OR(opendir, NULL);
	DIR *d = fn(path);
	if (d) /* glibc opens it O_CLOEXEC */
		lk_rec_open(dirfd(d), TRACE_FD_DIR, 1, "opendir", AT_FDCWD, path);
	return d;
}

LK_EXPORT DIR *fdopendir(int fd)
{
	LK_REAL_OR(fdopendir, NULL);
	DIR *d = fn(fd);
	if (d && lk_guard_enter()) {
		int saved = errno;
		if (lk_fd_gen(fd) == 0)
			lk_rec_locked(fd, TRACE_FD_DIR, 0, "fdopendir", NULL, NULL);
		errno = saved;
		lk_guard_leave();
	}
	return d;
}

LK_EXPORT int closedir(DIR *d)
{
	LK_REAL_OR(closedir, -1);
	int fd = dirfd(d);
	uint32_t gen = lk_gen_before_close(fd);
	int rc = fn(d);
	lk_rec_close(fd, gen);
	return rc;
}

/* --- sockets -------------------------------------------------------------------------- */

LK_FN(socket);
LK_FN(socketpair);
LK_FN(accept);
LK_FN(accept4);
LK_FN(connect);
LK_FN(bind);

LK_EXPORT int socket(int domain, int type, int protocol)
{
	LK_REAL_OR(socket, -1);
	int fd = fn(domain, type, protocol);
	if (fd >= 0 && lk_guard_enter()) {
		int saved = errno;
		int st = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
		lk_rec_locked(fd, TRACE_FD_SOCKET, (type & SOCK_CLOEXEC) ? TRACE_FD_CLOEXEC : 0,
		              "socket", lk_sock_kind(domain, st), NULL);
		lk_fd_set_sock(fd, domain, st);
		errno = saved;
		lk_guard_leave();
	}
	return fd;
}

LK_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	LK_REAL_OR(socketpair, -1);
	int rc = fn(domain, type, protocol, sv);
	if (rc == 0 && lk_guard_enter()) {
		int saved = errno;
		int st = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
		unsigned fl = (type & SOCK_CLOEXEC) ? TRACE_FD_CLOEXEC : 0;
		if (lk_fd_init() == 0) {
			uint32_t stack = lk_stack_capture();
			uint64_t now = lk_now_ns();
			for (int i = 0; i < 2; i++) {
				lk_fd_on_open(sv[i], TRACE_FD_SOCKET, fl, stack, now, "socketpair",
				              lk_sock_kind(domain, st), NULL);
				lk_fd_set_sock(sv[i], domain, st);
			}
		}
		errno = saved;
		lk_guard_leave();
	}
	return rc;
}

static void lk_rec_accept(int lfd, int fd, int cloexec, const char *api,
                          const struct sockaddr *peer, socklen_t peerlen)
{
	if (fd < 0 || !lk_guard_enter())
		return;
	int saved = errno;
	int family = 0, st = SOCK_STREAM;
	if (lk_fd_get_sock(lfd, &family, &st) != 0) {
		family = peer ? peer->sa_family : 0;
		st = SOCK_STREAM;
	}
	lk_rec_locked(fd, TRACE_FD_SOCKET, cloexec ? TRACE_FD_CLOEXEC : 0, api,
	              lk_sock_kind(family, st), NULL);
	lk_fd_set_sock(fd, family, st);
	lk_sock_describe(fd, peer, peerlen);
	errno = saved;
	lk_guard_leave();
}

/* The peer comes from the accepted address: when the caller passes none, ours is used. */
LK_EXPORT int accept(int lfd, struct sockaddr *addr, socklen_t *len)
{
	LK_REAL_OR(accept, -1);
	struct sockaddr_storage own;
	socklen_t ownlen = sizeof(own);
	struct sockaddr *a = addr ? addr : (struct sockaddr *)&own;
	socklen_t *l = addr ? len : &ownlen;
	socklen_t cap = l ? *l : 0;
	int fd = fn(lfd, a, l);
	if (fd >= 0)
		lk_rec_accept(lfd, fd, 0, "accept", a, l && *l <= cap ? *l : cap);
	return fd;
}

LK_EXPORT int accept4(int lfd, struct sockaddr *addr, socklen_t *len, int flags)
{
	LK_REAL_OR(accept4, -1);
	struct sockaddr_storage own;
	socklen_t ownlen = sizeof(own);
	struct sockaddr *a = addr ? addr : (struct sockaddr *)&own;
	socklen_t *l = addr ? len : &ownlen;
	socklen_t cap = l ? *l : 0;
	int fd = fn(lfd, a, l, flags);
	if (fd >= 0)
		lk_rec_accept(lfd, fd, flags & SOCK_CLOEXEC, "accept4", a,
		              l && *l <= cap ? *l : cap);
	return fd;
}

LK_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	LK_REAL_OR(connect, -1);
	int rc = fn(fd, addr, len);
	if ((rc == 0 || errno == EINPROGRESS) && lk_guard_enter()) {
		int saved = errno;
		lk_sock_describe(fd, addr, len);
		errno = saved;
		lk_guard_leave();
	}
	return rc;
}

LK_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	LK_REAL_OR(bind, -1);
	int rc = fn(fd, addr, len);
	if (rc == 0 && lk_guard_enter()) {
		int saved = errno;
		lk_sock_describe(fd, NULL, 0);
		errno = saved;
		lk_guard_leave();
	}
	return rc;
}

/* --- pipes and dup -------------------------------------------------------------------- */

LK_FN(pipe);
LK_FN(pipe2);
LK_FN(dup);
LK_FN(dup2);
LK_FN(dup3);
LK_FN(fcntl);
LK_FN(fcntl64);

static void lk_rec_pipe(const int fds[2], int cloexec, const char *api)
{
	if (!lk_guard_enter())
		return;
	int saved = errno;
	if (lk_fd_init() == 0) {
		uint32_t stack = lk_stack_capture();
		uint64_t now = lk_now_ns();
		for (int i = 0; i < 2; i++)
			lk_fd_on_open(fds[i], TRACE_FD_PIPE, cloexec ? TRACE_FD_CLOEXEC : 0, stack,
			              now, api, NULL, NULL);
	}
	errno = saved;
	lk_guard_leave();
}

LK_EXPORT int pipe(int fds[2])
{
	LK_REAL_OR(pipe, -1);
	int rc = fn(fds);
	if (rc == 0)
		lk_rec_pipe(fds, 0, "pipe");
	return rc;
}

LK_EXPORT int pipe2(int fds[2], int flags)
{
	LK_REAL_OR(pipe2, -1);
	int rc = fn(fds, flags);
	if (rc == 0)
		lk_rec_pipe(fds, flags & O_CLOEXEC, "pipe2");
	return rc;
}

LK_EXPORT int dup(int oldfd)
{
	LK_REAL_OR(dup, -1);
	int fd = fn(oldfd);
	lk_rec_dup(oldfd, fd, 0, "dup");
	return fd;
}

LK_EXPORT int dup2(int oldfd, int newfd)
{
	LK_REAL_OR(dup2, -1);
	int fd = fn(oldfd, newfd);
	lk_rec_dup(oldfd, fd, 0, "dup2");
	return fd;
}

LK_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	LK_REAL_OR(dup3, -1);
	int fd = fn(oldfd, newfd, flags);
	lk_rec_dup(oldfd, fd, flags & O_CLOEXEC, "dup3");
	return fd;
}

/* The third argument's type depends on cmd; like glibc, it is carried as a pointer-sized
 * value, which is how every variant (int, long, pointer) is passed on x86-64 and aarch64. */
static void lk_rec_fcntl(int fd, int cmd, void *arg, int rc)
{
	if (rc < 0)
		return;
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		lk_rec_dup(fd, rc, cmd == F_DUPFD_CLOEXEC, "fcntl");
	else if (cmd == F_SETFD && lk_guard_enter()) {
		int saved = errno;
		lk_fd_set_cloexec(fd, ((int)(intptr_t)arg & FD_CLOEXEC) != 0);
		errno = saved;
		lk_guard_leave();
	}
}

LK_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	LK_REAL_OR(fcntl, -1);
	int rc = fn(fd, cmd, arg);
	lk_rec_fcntl(fd, cmd, arg, rc);
	return rc;
}

LK_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	LK_REAL_OR(fcntl64, -1);
	int rc = fn(fd, cmd, arg);
	lk_rec_fcntl(fd, cmd, arg, rc);
	return rc;
}

/* --- other descriptor kinds ----------------------------------------------------------- */

LK_FN(epoll_create);
LK_FN(epoll_create1);
LK_FN(eventfd);
LK_FN(timerfd_create);
LK_FN(signalfd);
LK_FN(inotify_init);
LK_FN(inotify_init1);
LK_FN(memfd_create);

LK_EXPORT int epoll_create(int size)
{
	LK_REAL_OR(epoll_create, -1);
	int fd = fn(size);
	lk_rec_open(fd, TRACE_FD_EPOLL, 0, "epoll_create", AT_FDCWD, NULL);
	return fd;
}

LK_EXPORT int epoll_create1(int flags)
{
	LK_REAL_OR(epoll_create1, -1);
	int fd = fn(flags);
	lk_rec_open(fd, TRACE_FD_EPOLL, flags & EPOLL_CLOEXEC, "epoll_create1", AT_FDCWD, NULL);
	return fd;
}

LK_EXPORT int eventfd(unsigned int initval, int flags)
{
	LK_REAL_OR(eventfd, -1);
	int fd = fn(initval, flags);
	lk_rec_open(fd, TRACE_FD_EVENTFD, flags & EFD_CLOEXEC, "eventfd", AT_FDCWD, NULL);
	return fd;
}

LK_EXPORT int timerfd_create(int clockid, int flags)
{
	LK_REAL_OR(timerfd_create, -1);
	int fd = fn(clockid, flags);
	lk_rec_open(fd, TRACE_FD_TIMERFD, flags & TFD_CLOEXEC, "timerfd_create", AT_FDCWD, NULL);
	return fd;
}

/* Only signalfd(-1, ...) makes a descriptor; with an fd it updates that one's mask. */
LK_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	LK_REAL_OR(signalfd, -1);
	int rc = fn(fd, mask, flags);
	if (fd == -1)
		lk_rec_open(rc, TRACE_FD_SIGNALFD, flags & SFD_CLOEXEC, "signalfd", AT_FDCWD, NULL);
	return rc;
}

LK_EXPORT int inotify_init(void)
{
	LK_REAL_OR(inotify_init, -1);
	int fd = fn();
	lk_rec_open(fd, TRACE_FD_INOTIFY, 0, "inotify_init", AT_FDCWD, NULL);
	return fd;
}

LK_EXPORT int inotify_init1(int flags)
{
	LK_REAL_OR(inotify_init1, -1);
	int fd = fn(flags);
	lk_rec_open(fd, TRACE_FD_INOTIFY, flags & IN_CLOEXEC, "inotify_init1", AT_FDCWD, NULL);
	return fd;
}

LK_EXPORT int memfd_create(const char *name, unsigned int flags)
{
	LK_REAL_OR(memfd_create, -1);
	int fd = fn(name, flags);
	if (fd >= 0 && lk_guard_enter()) {
		int saved = errno;
		char path[LK_FD_PATH_LEN];
		size_t at = lk_cat(path, sizeof(path), 0, "memfd:");
		lk_cat(path, sizeof(path), at, name ? name : "");
		lk_rec_locked(fd, TRACE_FD_MEMFD, (flags & MFD_CLOEXEC) ? TRACE_FD_CLOEXEC : 0,
		              "memfd_create", path, NULL);
		errno = saved;
		lk_guard_leave();
	}
	return fd;
}

/* --- descriptors that arrive without an open call ------------------------------------ */

/* SCM_RIGHTS (recvmsg, recvmmsg) and pidfd_getfd hand the program descriptors that some other
 * code made, so nothing says what they are: each is probed with raw system calls (fstat, then
 * the /proc/self/fd link text) and recorded like any new descriptor, with the receiving stack.
 * No malloc, no hooked call: recvmsg is hot in servers and may run anywhere. */

/* Close-on-exec as the kernel has it now (raw fcntl): TRACE_FD_CLOEXEC or 0. */
static unsigned lk_cloexec_now(int fd)
{
	long fl = syscall(SYS_fcntl, fd, F_GETFD, 0);
	return fl > 0 && (fl & FD_CLOEXEC) ? TRACE_FD_CLOEXEC : 0;
}

/* Type of a descriptor made elsewhere, -1 if it is no longer open (another thread closed it
 * already: recording it would leave a leak that never was). path receives the link text for
 * files, directories, memfds ("memfd:name", as memfd_create records it) and unknown kinds
 * ("anon_inode:[pidfd]"), "" otherwise. */
static int lk_probe_type(int fd, char *path, size_t n)
{
	path[0] = '\0';
	struct stat st;
	if (syscall(SYS_fstat, fd, &st) != 0)
		return -1;
	if (S_ISSOCK(st.st_mode))
		return TRACE_FD_SOCKET;
	if (S_ISFIFO(st.st_mode))
		return TRACE_FD_PIPE;
	char proc[40];
	size_t at = lk_cat(proc, sizeof(proc), 0, "/proc/self/fd/");
	proc[at + lk_fmt_u64(proc + at, (uint64_t)fd)] = '\0';
	char link[LK_FD_PATH_LEN];
	long len = syscall(SYS_readlinkat, AT_FDCWD, proc, link, sizeof(link) - 1);
	link[len > 0 ? len : 0] = '\0';
	if (S_ISDIR(st.st_mode)) {
		lk_cat(path, n, 0, link);
		return TRACE_FD_DIR;
	}
	if (link[0] == '\0' && S_ISREG(st.st_mode))
		return TRACE_FD_FILE;
	unsigned type = lk_fd_type_from_link(link, fd);
	if (type == TRACE_FD_MEMFD) {
		/* "/memfd:name (deleted)" -> "memfd:name", as memfd_create records it */
		size_t l = lk_cat(path, n, 0, link + 1);
		static const char del[] = " (deleted)";
		if (l >= sizeof(del) - 1 && strcmp(path + l - (sizeof(del) - 1), del) == 0)
			path[l - (sizeof(del) - 1)] = '\0';
	} else if (type == TRACE_FD_FILE || type == TRACE_FD_OTHER) {
		lk_cat(path, n, 0, link);
	}
	return (int)type;
}

/* One call's worth of received descriptors: they share the stack, captured at the first. */
typedef struct {
	const char *api;
	unsigned flags;
	int have_stack;
	uint32_t stack;
	uint64_t t_ns;
	int saved_errno;
} lk_adopt_t;

/* Enters the guard for a batch of lk_adopt_locked calls; false if not recording. Pair a true
 * with lk_adopt_end, which restores errno. */
static bool lk_adopt_begin(lk_adopt_t *a, const char *api, unsigned flags)
{
	if (!lk_guard_enter())
		return false;
	*a = (lk_adopt_t){.api = api, .flags = flags, .saved_errno = errno};
	if (lk_fd_init() == 0)
		return true;
	lk_guard_leave();
	errno = a->saved_errno;
	return false;
}

static void lk_adopt_end(lk_adopt_t *a)
{
	errno = a->saved_errno;
	lk_guard_leave();
}

/* Records `fd`, made elsewhere, as new. Between lk_adopt_begin and lk_adopt_end. */
static void lk_adopt_locked(lk_adopt_t *a, int fd)
{
	char path[LK_FD_PATH_LEN];
	int type = lk_probe_type(fd, path, sizeof(path));
	if (type < 0)
		return;
	if (!a->have_stack) {
		a->stack = lk_stack_capture();
		a->t_ns = lk_now_ns();
		a->have_stack = 1;
	}
	if (type != TRACE_FD_SOCKET) {
		lk_fd_on_open(fd, (unsigned)type, a->flags, a->stack, a->t_ns, a->api,
		              path[0] ? path : NULL, NULL);
		return;
	}
	int family = 0, st = 0;
	socklen_t l = sizeof(family);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &l) != 0)
		family = 0;
	l = sizeof(st);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &st, &l) != 0)
		st = 0;
	lk_fd_on_open(fd, TRACE_FD_SOCKET, a->flags, a->stack, a->t_ns, a->api,
	              lk_sock_kind(family, st), NULL);
	lk_fd_set_sock(fd, family, st);
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	int connected = getpeername(fd, (struct sockaddr *)&peer, &pl) == 0;
	lk_sock_describe(fd, connected ? (struct sockaddr *)&peer : NULL,
	                 connected && pl <= sizeof(peer) ? pl : 0);
}

/* The SCM_RIGHTS descriptors of one received message. msg_controllen is the length the kernel
 * wrote. Under MSG_CTRUNC the kernel installs only the descriptors that fit (and closes the
 * rest), so a control message is read no further than that length. Guard held. */
static void lk_adopt_cmsgs_locked(lk_adopt_t *a, struct msghdr *msg)
{
	const char *end = (const char *)msg->msg_control + msg->msg_controllen;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		const char *data = (const char *)CMSG_DATA(c);
		if (data >= end)
			break;
		size_t len = c->cmsg_len - CMSG_LEN(0);
		if (len > (size_t)(end - data))
			len = (size_t)(end - data);
		for (size_t i = 0; i + sizeof(int) <= len; i += sizeof(int)) {
			int fd;
			memcpy(&fd, data + i, sizeof(fd)); /* CMSG_DATA need not be int-aligned */
			if (fd >= 0)
				lk_adopt_locked(a, fd);
		}
	}
}

/* Cheap test made on every successful receive: could this message carry descriptors? */
static int lk_may_carry_fds(const struct msghdr *msg)
{
	return msg->msg_control && msg->msg_controllen >= CMSG_LEN(sizeof(int));
}

LK_FN(recvmsg);
LK_FN(recvmmsg);
LK_FN(pidfd_open);
LK_FN(pidfd_getfd);

LK_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	LK_REAL_OR(recvmsg, -1);
	ssize_t n = fn(fd, msg, flags);
	lk_adopt_t a;
	if (n >= 0 && msg && lk_may_carry_fds(msg) &&
	    lk_adopt_begin(&a, "recvmsg", (flags & MSG_CMSG_CLOEXEC) ? TRACE_FD_CLOEXEC : 0)) {
		lk_adopt_cmsgs_locked(&a, msg);
		lk_adopt_end(&a);
	}
	return n;
}

/* The __recvmmsg64 time64 variant exists only on 32-bit targets. */
LK_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
                       struct timespec *timeout)
{
	LK_REAL_OR(recvmmsg, -1);
	int n = fn(fd, vec, vlen, flags, timeout);
	int first = 0;
	while (first < n && !lk_may_carry_fds(&vec[first].msg_hdr))
		first++;
	lk_adopt_t a;
	if (first < n &&
	    lk_adopt_begin(&a, "recvmmsg", (flags & MSG_CMSG_CLOEXEC) ? TRACE_FD_CLOEXEC : 0)) {
		for (int i = first; i < n; i++)
			if (lk_may_carry_fds(&vec[i].msg_hdr))
				lk_adopt_cmsgs_locked(&a, &vec[i].msg_hdr);
		lk_adopt_end(&a);
	}
	return n;
}

/* The kernel always sets close-on-exec on a pidfd and on pidfd_getfd's copy; the flag is read
 * back rather than assumed. */
LK_EXPORT int pidfd_open(pid_t pid, unsigned int flags)
{
	LK_REAL_OR(pidfd_open, -1);
	int fd = fn(pid, flags);
	if (fd >= 0 && lk_guard_enter()) {
		int saved = errno;
		char path[40];
		size_t at = lk_cat(path, sizeof(path), 0, "pidfd:");
		path[at + lk_fmt_u64(path + at, (uint64_t)pid)] = '\0';
		lk_rec_locked(fd, TRACE_FD_OTHER, lk_cloexec_now(fd), "pidfd_open", path, NULL);
		errno = saved;
		lk_guard_leave();
	}
	return fd;
}

LK_EXPORT int pidfd_getfd(int pidfd, int targetfd, unsigned int flags)
{
	LK_REAL_OR(pidfd_getfd, -1);
	int fd = fn(pidfd, targetfd, flags);
	lk_adopt_t a;
	if (fd >= 0 && lk_adopt_begin(&a, "pidfd_getfd", 0)) {
		a.flags = lk_cloexec_now(fd);
		lk_adopt_locked(&a, fd);
		lk_adopt_end(&a);
	}
	return fd;
}

/* --- close ---------------------------------------------------------------------------- */

LK_FN(close);
LK_FN(close_range);
LK_FN(closefrom);

/* libleak's own descriptors survive the program's close(): a daemon closing 3..1023 must not
 * take the trace away. The program sees success, as if the fd had been closed. */
static int lk_keep_internal(int fd)
{
	return !lk_guard_depth && lk_fd_is_internal(fd);
}

LK_EXPORT int close(int fd)
{
	if (lk_keep_internal(fd))
		return 0;
	LK_REAL_OR(close, -1);
	uint32_t gen = lk_gen_before_close(fd);
	int rc = fn(fd);
	/* Linux closes the descriptor even when close fails with EINTR or EIO. */
	if (rc == 0 || errno != EBADF)
		lk_rec_close(fd, gen);
	return rc;
}

LK_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	LK_REAL_OR(close_range, -1);
	int rc = 0;
	int next = (flags & CLOSE_RANGE_CLOEXEC) || lk_guard_depth || first > last
	               ? -1
	               : lk_fd_next_internal(first);
	if (next < 0 || (unsigned)next > last) {
		rc = fn(first, last, flags);
	} else {
		/* Close around our internal descriptors, in ascending pieces. */
		unsigned lo = first;
		while (next >= 0 && (unsigned)next <= last) {
			if ((unsigned)next > lo && fn(lo, (unsigned)next - 1, flags) != 0)
				rc = -1;
			lo = (unsigned)next + 1;
			if (lo == 0 || lo > last)
				break;
			next = lk_fd_next_internal(lo);
		}
		if (lo != 0 && lo <= last && fn(lo, last, flags) != 0)
			rc = -1;
	}
	int saved = errno;
	if (rc == 0 && lk_guard_enter()) {
		lk_fd_on_close_range(first, last, (flags & CLOSE_RANGE_CLOEXEC) != 0, lk_now_ns());
		lk_guard_leave();
	}
	errno = saved;
	return rc;
}

/* closefrom (glibc 2.34) closes through the close_range system call, not our hooks. Our
 * internal descriptors are kept by closing around them with close_range. */
LK_EXPORT void closefrom(int lowfd)
{
	__typeof__(closefrom) *fn = LK_GET(closefrom);
	if (!fn)
		return;
	unsigned lo = lowfd < 0 ? 0 : (unsigned)lowfd;
	if (!lk_guard_depth && lk_fd_next_internal(lo) >= 0) {
		close_range(lo, ~0U, 0);
		return;
	}
	fn(lowfd);
	int saved = errno;
	if (lk_guard_enter()) {
		lk_fd_on_close_range(lo, ~0U, 0, lk_now_ns());
		lk_guard_leave();
	}
	errno = saved;
}
