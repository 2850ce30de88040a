/* SPDX-License-Identifier: MIT */
/* fd_record.c - what the descriptor hooks record, between their real call and fd_table.c:
 * the creating stack and time, the absolute path (relative ones against the dirfd's recorded
 * path or the cwd), socket kinds and addresses, and the probing of descriptors received from
 * other code. Called inside the guard (hook.h's LK_RECORD), so the hooks it reaches itself
 * (getsockname, getsockopt, inet_ntop) pass unrecorded; it never allocates. */
#include "fd_record.h"
#include "fd_cwd.h"
#include "node.h"
#include "fd_probe.h"
#include "stack.h"
#include "sys.h"
#include "trace_format.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void lk_fd_rec_new(int fd, unsigned type, unsigned flags, const char *api, const char *path,
                   const char *peer)
{
	if (lk_fd_init() != 0)
		return;
	uint32_t stack = lk_stack_capture();
	if (lk_node_runtime_fd(stack, path))
		flags |= TRACE_FD_RUNTIME;
	lk_fd_on_open(fd, type, flags, stack, lk_fd_now_ns(), api, path, peer);
}

/* lk_fd_rec_new of a socket of family and SOCK_* type st, named by its kind. */
static void lk_fd_rec_new_sock(int fd, unsigned flags, const char *api, int family, int st)
{
	if (lk_fd_init() != 0)
		return;
	const char *kind = lk_fd_probe_sock_kind(family, st);
	uint32_t stack = lk_stack_capture();
	if (lk_node_runtime_fd(stack, kind))
		flags |= TRACE_FD_RUNTIME;
	lk_fd_on_open_sock(fd, flags, stack, lk_fd_now_ns(), api, kind, family, st);
}

/* Absolute form of path against dirfd: the cwd (cached: fd_cwd.h), or the path the table
 * holds for dirfd (left relative when it holds none). */
static const char *lk_fd_abs_path(int dirfd, const char *path, char *out, size_t n)
{
	char dir[LK_FD_CWD_LEN > LK_FD_PATH_LEN ? LK_FD_CWD_LEN : LK_FD_PATH_LEN];
	dir[0] = '\0';
	if (!path || path[0] == '/')
		; /* nothing to join */
	else if (dirfd == AT_FDCWD)
		lk_fd_cwd(dir, n < sizeof(dir) ? n : sizeof(dir)); /* as getcwd(out, n) fits */
	else if (lk_fd_get_path(dirfd, dir, LK_FD_PATH_LEN) <= 0)
		dir[0] = '\0';
	return lk_fd_probe_abs_path(dir, path, out, n);
}

void lk_fd_rec_open(int fd, unsigned type, int cloexec, const char *api, int dirfd,
                    const char *path)
{
	char abs[LK_FD_PATH_LEN];
	/* An absolute path goes to the table as it is (which truncates it the same way). */
	const char *p =
	    !path || path[0] == '/' ? path : lk_fd_abs_path(dirfd, path, abs, sizeof(abs));
	lk_fd_rec_new(fd, type, cloexec ? TRACE_FD_CLOEXEC : 0, api, p, NULL);
}

/* True if abs lies inside dir (a '/' follows the prefix). */
static bool lk_fd_under(const char *abs, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return n > 1 && dir[0] == '/' && strncmp(abs, dir, n) == 0 && abs[n] == '/' && abs[n + 1];
}

void lk_fd_rec_open_excl(int fd, int cloexec, const char *api, int dirfd, const char *path)
{
	char abs[LK_TEMP_PATH_LEN];
	const char *p = path ? lk_fd_abs_path(dirfd, path, abs, sizeof(abs)) : NULL;
	if (p && p[0] == '/' &&
	    (lk_fd_under(p, getenv("TMPDIR")) || lk_fd_under(p, "/tmp") ||
	     lk_fd_under(p, "/var/tmp"))) {
		lk_fd_rec_temp(fd, p, cloexec, api);
		return;
	}
	lk_fd_rec_new(fd, TRACE_FD_FILE, cloexec ? TRACE_FD_CLOEXEC : 0, api, p, NULL);
}

void lk_fd_rec_wrapped(int fd, unsigned type, const char *api)
{
	if (lk_fd_gen(fd) == 0)
		lk_fd_rec_new(fd, type, 0, api, NULL, NULL);
}

void lk_fd_rec_close(int fd, uint32_t gen)
{
	lk_fd_on_close(fd, gen, lk_fd_now_ns());
}

void lk_fd_rec_pipe(const int fds[2], int cloexec, const char *api)
{
	if (lk_fd_init() != 0)
		return;
	uint32_t stack = lk_stack_capture();
	uint64_t now = lk_fd_now_ns();
	unsigned flags = (cloexec ? TRACE_FD_CLOEXEC : 0) |
	                 (lk_node_runtime_fd(stack, NULL) ? TRACE_FD_RUNTIME : 0);
	for (int i = 0; i < 2; i++)
		lk_fd_on_open(fds[i], TRACE_FD_PIPE, flags, stack, now, api, NULL, NULL);
}

void lk_fd_rec_dup(int oldfd, int newfd, int cloexec, const char *api)
{
	if (lk_fd_init() == 0)
		lk_fd_on_dup(oldfd, newfd, cloexec, lk_stack_capture(), lk_fd_now_ns(), api);
}

void lk_fd_rec_temp(int fd, const char *path, int cloexec, const char *api)
{
	char abs[LK_TEMP_PATH_LEN];
	lk_fd_abs_path(AT_FDCWD, path, abs, sizeof(abs));
	if (lk_fd_init() != 0)
		return;
	uint32_t stack = lk_stack_capture();
	uint64_t now = lk_now_ns();
	lk_fd_temp_on_create(abs, stack, now, api);
	if (fd >= 0)
		lk_fd_on_open(fd, TRACE_FD_FILE,
		              TRACE_FD_TEMPFILE | (cloexec ? TRACE_FD_CLOEXEC : 0), stack, now, api,
		              abs, NULL);
}

void lk_fd_rec_removed(int dirfd, const char *path)
{
	char abs[LK_TEMP_PATH_LEN];
	lk_fd_temp_on_remove(lk_fd_abs_path(dirfd, path, abs, sizeof(abs)));
}

/* --- sockets ---------------------------------------------------------------------------- */

void lk_fd_rec_sock_addr(int fd, const struct sockaddr *peer, socklen_t peerlen)
{
	int family = 0, socktype = 0;
	if (lk_fd_get_sock(fd, &family, &socktype) != 0)
		return;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[LK_FD_PATH_LEN], local[LK_FD_PATH_LEN], p[LK_FD_PEER_LEN];
	addr[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		lk_fd_probe_sockaddr((struct sockaddr *)&ss, sl, addr, sizeof(addr));
	size_t at =
	    lk_fd_probe_cat(local, sizeof(local), 0, lk_fd_probe_sock_kind(family, socktype));
	if (addr[0]) {
		at = lk_fd_probe_cat(local, sizeof(local), at, " ");
		lk_fd_probe_cat(local, sizeof(local), at, addr);
	}
	if (peer)
		lk_fd_probe_sockaddr(peer, peerlen, p, sizeof(p));
	lk_fd_set_addr(fd, local, peer ? p : NULL);
}

void lk_fd_rec_socket(int fd, int domain, int type)
{
	int st = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
	lk_fd_rec_new_sock(fd, (type & SOCK_CLOEXEC) ? TRACE_FD_CLOEXEC : 0, "socket", domain, st);
}

void lk_fd_rec_socketpair(const int sv[2], int domain, int type)
{
	int st = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
	unsigned fl = (type & SOCK_CLOEXEC) ? TRACE_FD_CLOEXEC : 0;
	if (lk_fd_init() != 0)
		return;
	uint32_t stack = lk_stack_capture();
	uint64_t now = lk_fd_now_ns();
	const char *kind = lk_fd_probe_sock_kind(domain, st);
	for (int i = 0; i < 2; i++)
		lk_fd_on_open_sock(sv[i], fl, stack, now, "socketpair", kind, domain, st);
}

void lk_fd_rec_accept(int lfd, int fd, int cloexec, const char *api, const struct sockaddr *peer,
                      socklen_t peerlen)
{
	int family = 0, st = SOCK_STREAM;
	if (lk_fd_get_sock(lfd, &family, &st) != 0) {
		family = peer ? peer->sa_family : 0;
		st = SOCK_STREAM;
	}
	lk_fd_rec_new_sock(fd, cloexec ? TRACE_FD_CLOEXEC : 0, api, family, st);
	lk_fd_rec_sock_addr(fd, peer, peerlen);
}

/* --- named kinds -------------------------------------------------------------------------- */

void lk_fd_rec_memfd(int fd, const char *name, unsigned flags)
{
	char path[LK_FD_PATH_LEN];
	size_t at = lk_fd_probe_cat(path, sizeof(path), 0, "memfd:");
	lk_fd_probe_cat(path, sizeof(path), at, name ? name : "");
	lk_fd_rec_new(fd, TRACE_FD_MEMFD, (flags & MFD_CLOEXEC) ? TRACE_FD_CLOEXEC : 0,
	              "memfd_create", path, NULL);
}

/* The kernel always sets close-on-exec on a pidfd; the flag is read back rather than assumed. */
void lk_fd_rec_pidfd(int fd, pid_t pid)
{
	char path[40];
	size_t at = lk_fd_probe_cat(path, sizeof(path), 0, "pidfd:");
	path[at + lk_fmt_u64(path + at, (uint64_t)pid)] = '\0';
	lk_fd_rec_new(fd, TRACE_FD_OTHER, lk_fd_probe_cloexec(fd), "pidfd_open", path, NULL);
}

/* --- descriptors that arrive without an open call --------------------------------------- */

/* One call's worth of received descriptors: they share the stack, captured at the first. */
typedef struct {
	const char *api;
	unsigned flags;
	int have_stack;
	uint32_t stack;
	uint64_t t_ns;
} lk_adopt_t;

/* Records fd, made elsewhere, as new. A descriptor another thread already closed again is
 * left out: recording it would leave a leak that never was. */
static void lk_adopt(lk_adopt_t *a, int fd)
{
	char path[LK_FD_PATH_LEN];
	int type = lk_fd_probe_type(fd, path, sizeof(path));
	if (type < 0)
		return;
	if (!a->have_stack) {
		a->stack = lk_stack_capture();
		a->t_ns = lk_fd_now_ns();
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
	              lk_fd_probe_sock_kind(family, st), NULL);
	lk_fd_set_sock(fd, family, st);
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	int connected = getpeername(fd, (struct sockaddr *)&peer, &pl) == 0;
	lk_fd_rec_sock_addr(fd, connected ? (struct sockaddr *)&peer : NULL,
	                    connected && pl <= sizeof(peer) ? pl : 0);
}

/* The SCM_RIGHTS descriptors of one received message. msg_controllen is the length the kernel
 * wrote. Under MSG_CTRUNC the kernel installs only the descriptors that fit (and closes the
 * rest), so a control message is read no further than that length. */
static void lk_adopt_cmsgs(lk_adopt_t *a, struct msghdr *msg)
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
				lk_adopt(a, fd);
		}
	}
}

static bool lk_adopt_begin(lk_adopt_t *a, const char *api, int recv_flags)
{
	*a = (lk_adopt_t){.api = api,
	                  .flags = (recv_flags & MSG_CMSG_CLOEXEC) ? TRACE_FD_CLOEXEC : 0};
	return lk_fd_init() == 0;
}

void lk_fd_rec_received(struct msghdr *msg, int recv_flags, const char *api)
{
	lk_adopt_t a;
	if (lk_adopt_begin(&a, api, recv_flags))
		lk_adopt_cmsgs(&a, msg);
}

void lk_fd_rec_received_vec(struct mmsghdr *vec, int n, int recv_flags)
{
	lk_adopt_t a;
	if (!lk_adopt_begin(&a, "recvmmsg", recv_flags))
		return;
	for (int i = 0; i < n; i++)
		if (lk_fd_may_carry_fds(&vec[i].msg_hdr))
			lk_adopt_cmsgs(&a, &vec[i].msg_hdr);
}

void lk_fd_rec_adopt(int fd, const char *api)
{
	lk_adopt_t a;
	if (!lk_adopt_begin(&a, api, 0))
		return;
	a.flags = lk_fd_probe_cloexec(fd);
	lk_adopt(&a, fd);
}
