/* SPDX-License-Identifier: MIT */
/* fd_probe.c - naming and probing of descriptors: path joining, socket addresses as text, and
 * what fstat and /proc/self/fd say about a descriptor libleak did not see being made (inherited,
 * received by SCM_RIGHTS, pidfd_getfd). Everything goes through raw system calls, since it runs
 * inside hooks (recvmsg is hot in servers) and in the constructor, where our own open/close hooks
 * must not see it. */
#include "fd_probe.h"
#include "sys.h"
#include "trace_format.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

size_t lk_fd_probe_cat(char *out, size_t n, size_t at, const char *s)
{
	if (at + 1 < n) {
		size_t len = strnlen(s, n - 1 - at);
		memcpy(out + at, s, len);
		at += len;
	}
	out[at] = '\0';
	return at;
}

const char *lk_fd_probe_abs_path(const char *dir, const char *path, char *out, size_t n)
{
	out[0] = '\0';
	if (!path)
		return out;
	if (path[0] == '/') {
		lk_fd_probe_cat(out, n, 0, path);
		return out;
	}
	size_t at = 0;
	if (!dir) {
		long r = syscall(SYS_getcwd, out, n);
		if (r > 0)
			at = strnlen(out, n);
	} else {
		at = lk_fd_probe_cat(out, n, 0, dir);
	}
	if (at == 0 || (at == 1 && out[0] == '/')) {
		out[0] = '\0';
		at = 0;
	}
	if (at > 0)
		at = lk_fd_probe_cat(out, n, at, "/");
	lk_fd_probe_cat(out, n, at, path);
	return out;
}

const char *lk_fd_probe_sock_kind(int family, int socktype)
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

void lk_fd_probe_sockaddr(const struct sockaddr *sa, socklen_t len, char *out, size_t n)
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
		size_t at = lk_fd_probe_cat(out, n, 0, ip);
		at = lk_fd_probe_cat(out, n, at, ":");
		lk_fd_probe_cat(out, n, at, num);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		char ip[INET6_ADDRSTRLEN];
		if (!inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip)))
			return;
		num[lk_fmt_u64(num, ntohs(in6->sin6_port))] = '\0';
		size_t at = lk_fd_probe_cat(out, n, 0, "[");
		at = lk_fd_probe_cat(out, n, at, ip);
		at = lk_fd_probe_cat(out, n, at, "]:");
		lk_fd_probe_cat(out, n, at, num);
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
			at = lk_fd_probe_cat(out, n, 0, "@");
			p++;
			plen--;
		}
		for (size_t i = 0; i < plen && p[i] && at + 1 < n; i++)
			out[at++] = p[i];
		out[at] = '\0';
	}
}

unsigned lk_fd_probe_link_type(const char *l, int fd)
{
	static const struct {
		const char *prefix;
		unsigned type;
	} map[] = {
	    {"socket:", TRACE_FD_SOCKET},
	    {"pipe:", TRACE_FD_PIPE},
	    {"anon_inode:[eventfd]", TRACE_FD_EVENTFD},
	    {"anon_inode:[timerfd]", TRACE_FD_TIMERFD},
	    {"anon_inode:[eventpoll]", TRACE_FD_EPOLL},
	    {"anon_inode:[signalfd]", TRACE_FD_SIGNALFD},
	    {"anon_inode:inotify", TRACE_FD_INOTIFY},
	    {"/memfd:", TRACE_FD_MEMFD},
	    {"anon_inode:", TRACE_FD_OTHER},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strncmp(l, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].type;
	if (l[0] != '/')
		return TRACE_FD_OTHER;
	struct stat st;
	if (syscall(SYS_fstat, fd, &st) == 0 && S_ISDIR(st.st_mode))
		return TRACE_FD_DIR;
	return TRACE_FD_FILE;
}

int lk_fd_probe_type(int fd, char *path, size_t n)
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
	size_t at = lk_fd_probe_cat(proc, sizeof(proc), 0, "/proc/self/fd/");
	proc[at + lk_fmt_u64(proc + at, (uint64_t)fd)] = '\0';
	char link[LK_FD_LINK_LEN];
	long len = syscall(SYS_readlinkat, AT_FDCWD, proc, link, sizeof(link) - 1);
	link[len > 0 ? len : 0] = '\0';
	if (S_ISDIR(st.st_mode)) {
		lk_fd_probe_cat(path, n, 0, link);
		return TRACE_FD_DIR;
	}
	if (link[0] == '\0' && S_ISREG(st.st_mode))
		return TRACE_FD_FILE;
	unsigned type = lk_fd_probe_link_type(link, fd);
	if (type == TRACE_FD_MEMFD) {
		/* "/memfd:name (deleted)" -> "memfd:name", as memfd_create records it */
		size_t l = lk_fd_probe_cat(path, n, 0, link + 1);
		static const char del[] = " (deleted)";
		if (l >= sizeof(del) - 1 && strcmp(path + l - (sizeof(del) - 1), del) == 0)
			path[l - (sizeof(del) - 1)] = '\0';
	} else if (type == TRACE_FD_FILE || type == TRACE_FD_OTHER) {
		lk_fd_probe_cat(path, n, 0, link);
	}
	return (int)type;
}

unsigned lk_fd_probe_cloexec(int fd)
{
	long fl = syscall(SYS_fcntl, fd, F_GETFD, 0);
	return fl > 0 && (fl & FD_CLOEXEC) ? TRACE_FD_CLOEXEC : 0;
}

void lk_fd_probe_open_fds(bool (*want)(int fd),
                          void (*found)(int fd, unsigned type, unsigned cloexec, const char *link))
{
	int dfd = lk_sys_open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0)
		return;
	char buf[2048];
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			int fd = 0;
			for (const char *p = d->d_name; *p >= '0' && *p <= '9'; p++)
				fd = fd * 10 + (*p - '0');
			if (fd == dfd || !want(fd))
				continue;
			char link[LK_FD_LINK_LEN];
			long len = syscall(SYS_readlinkat, dfd, d->d_name, link, sizeof(link) - 1);
			link[len > 0 ? len : 0] = '\0';
			found(fd, lk_fd_probe_link_type(link, fd), lk_fd_probe_cloexec(fd), link);
		}
	}
	lk_sys_close(dfd);
}
