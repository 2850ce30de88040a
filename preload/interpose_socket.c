/* SPDX-License-Identifier: MIT */
/* interpose_socket.c - sockets: socket, socketpair, accept, accept4, and the calls that name
 * one (bind, connect: the description becomes "kind local-address" and the peer), plus recvmsg
 * and recvmmsg, through which SCM_RIGHTS hands the program descriptors some other code made.
 * recvmsg is hot in servers: a message that cannot carry descriptors costs one test and no
 * guard. Each hook has hook.h's shape; the recording is fd_record.c's. */
#include <sys/socket.h>

#include "fd_record.h"
#include "hook.h"
#include "writer.h"

LK_EXPORT int socket(int domain, int type, int protocol)
{
	LK_REAL_OR(socket, -1);
	int fd = fn(domain, type, protocol);
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_socket(fd, domain, type));
	return fd;
}

LK_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	LK_REAL_OR(socketpair, -1);
	int rc = fn(domain, type, protocol, sv);
	if (rc == 0)
		LK_RECORD(lk_fd_rec_socketpair(sv, domain, type));
	return rc;
}

/* The peer comes from the accepted address: when the caller passes none, ours is used. */
LK_EXPORT int accept(int lfd, struct sockaddr *addr, socklen_t *len)
{
	LK_BEFORE_BLOCK();
	LK_REAL_OR(accept, -1);
	struct sockaddr_storage own;
	socklen_t ownlen = sizeof(own);
	struct sockaddr *a = addr ? addr : (struct sockaddr *)&own;
	socklen_t *l = addr ? len : &ownlen;
	socklen_t cap = l ? *l : 0;
	int fd = fn(lfd, a, l);
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_accept(lfd, fd, 0, "accept", a, l && *l <= cap ? *l : cap));
	return fd;
}

LK_EXPORT int accept4(int lfd, struct sockaddr *addr, socklen_t *len, int flags)
{
	LK_BEFORE_BLOCK();
	LK_REAL_OR(accept4, -1);
	struct sockaddr_storage own;
	socklen_t ownlen = sizeof(own);
	struct sockaddr *a = addr ? addr : (struct sockaddr *)&own;
	socklen_t *l = addr ? len : &ownlen;
	socklen_t cap = l ? *l : 0;
	int fd = fn(lfd, a, l, flags);
	if (fd >= 0)
		LK_RECORD(lk_fd_rec_accept(lfd, fd, flags & SOCK_CLOEXEC, "accept4", a,
		                           l && *l <= cap ? *l : cap));
	return fd;
}

LK_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	LK_REAL_OR(connect, -1);
	int rc = fn(fd, addr, len);
	if (rc == 0 || errno == EINPROGRESS)
		LK_RECORD(lk_fd_rec_sock_addr(fd, addr, len));
	return rc;
}

LK_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	LK_REAL_OR(bind, -1);
	int rc = fn(fd, addr, len);
	if (rc == 0)
		LK_RECORD(lk_fd_rec_sock_addr(fd, NULL, 0));
	return rc;
}

LK_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	LK_BEFORE_BLOCK();
	LK_REAL_OR(recvmsg, -1);
	ssize_t n = fn(fd, msg, flags);
	if (n >= 0 && msg && lk_fd_may_carry_fds(msg))
		LK_RECORD(lk_fd_rec_received(msg, flags, "recvmsg"));
	return n;
}

/* The __recvmmsg64 time64 variant exists only on 32-bit targets. */
LK_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
                       struct timespec *timeout)
{
	LK_BEFORE_BLOCK();
	LK_REAL_OR(recvmmsg, -1);
	int n = fn(fd, vec, vlen, flags, timeout);
	int first = 0;
	while (first < n && !lk_fd_may_carry_fds(&vec[first].msg_hdr))
		first++;
	if (first < n)
		LK_RECORD(lk_fd_rec_received_vec(vec + first, n - first, flags));
	return n;
}
