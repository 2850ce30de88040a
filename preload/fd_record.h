/* SPDX-License-Identifier: MIT */
/* fd_record.h - the recording half of the descriptor hooks (interpose_open.c, _temp.c,
 * _socket.c, _fdops.c, _spawn.c, _exec.c): each hook makes its real call, then one call here
 * inside LK_RECORD (hook.h), and this captures the stack and the time, names the descriptor
 * (fd_probe.h) and updates fd_table.c. Unless a comment says otherwise every function runs
 * with the guard held and may change errno (the hook restores it). No malloc, no hooked call. */
#ifndef LEAK_PRELOAD_FD_RECORD_H
#define LEAK_PRELOAD_FD_RECORD_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "fd_table.h"
#include "guard.h"

/* A new descriptor fd of a TRACE_FD_* type, with TRACE_FD_* flags; path and peer as given
 * (may be NULL). */
void lk_fd_rec_new(int fd, unsigned type, unsigned flags, const char *api, const char *path,
                   const char *peer);

/* A file created with O_CREAT|O_EXCL: a temp file (lk_fd_rec_temp) when its absolute path lies
 * inside $TMPDIR, /tmp or /var/tmp, else as lk_fd_rec_open. */
void lk_fd_rec_open_excl(int fd, int cloexec, const char *api, int dirfd, const char *path);

/* A new descriptor opened by path: path (NULL for none) is made absolute against dirfd
 * (AT_FDCWD: the cwd). */
void lk_fd_rec_open(int fd, unsigned type, int cloexec, const char *api, int dirfd,
                    const char *path);

/* fd wrapped by fdopen/fdopendir: only a descriptor the table does not hold (inherited,
 * received) is recorded; one it holds keeps its creating stack. */
void lk_fd_rec_wrapped(int fd, unsigned type, const char *api);

/* fd, of generation gen (lk_fd_gen_before_close), was closed. */
void lk_fd_rec_close(int fd, uint32_t gen);

/* Both ends of a pipe. */
void lk_fd_rec_pipe(const int fds[2], int cloexec, const char *api);

/* newfd is a duplicate of oldfd (dup*, F_DUPFD*). */
void lk_fd_rec_dup(int oldfd, int newfd, int cloexec, const char *api);

/* A temp file (mkstemp family: fd >= 0) or directory (mkdtemp: fd -1) at path. */
void lk_fd_rec_temp(int fd, const char *path, int cloexec, const char *api);

/* path (against dirfd) was removed: a temp file of that name is gone. */
void lk_fd_rec_removed(int dirfd, const char *path);

/* socket(domain, type): type may carry SOCK_CLOEXEC/SOCK_NONBLOCK. */
void lk_fd_rec_socket(int fd, int domain, int type);
void lk_fd_rec_socketpair(const int sv[2], int domain, int type);

/* fd accepted on listening socket lfd, from peer (peerlen bytes; may be NULL). */
void lk_fd_rec_accept(int lfd, int fd, int cloexec, const char *api, const struct sockaddr *peer,
                      socklen_t peerlen);

/* A socket's description after bind or connect: "kind local-address" from getsockname, and
 * the peer from `peer` (NULL keeps the one recorded). */
void lk_fd_rec_sock_addr(int fd, const struct sockaddr *peer, socklen_t peerlen);

/* memfd_create(name, flags) and pidfd_open(pid) made fd: named "memfd:name", "pidfd:pid". */
void lk_fd_rec_memfd(int fd, const char *name, unsigned flags);
void lk_fd_rec_pidfd(int fd, pid_t pid);

/* Descriptors that arrive without an open call, made by other code: SCM_RIGHTS in one message
 * (recvmsg), in vec[0..n) (recvmmsg), or fd from pidfd_getfd. Each is probed (fd_probe.h) and
 * recorded as new with the receiving stack; recv_flags MSG_CMSG_CLOEXEC sets close-on-exec. */
void lk_fd_rec_received(struct msghdr *msg, int recv_flags, const char *api);
void lk_fd_rec_received_vec(struct mmsghdr *vec, int n, int recv_flags);
void lk_fd_rec_adopt(int fd, const char *api);

/* Hook side, no guard needed: could this received message carry descriptors? */
static inline int lk_fd_may_carry_fds(const struct msghdr *msg)
{
	return msg->msg_control && msg->msg_controllen >= CMSG_LEN(sizeof(int));
}

/* Hook side, before a real close: the generation of fd (0 if untracked or not recording), so
 * that a number another thread reuses in between is not closed by mistake. Enters and leaves
 * the guard itself; never changes errno. */
static inline uint32_t lk_fd_gen_before_close(int fd)
{
	if (fd < 0 || !lk_guard_enter())
		return 0;
	uint32_t gen = lk_fd_gen(fd);
	lk_guard_leave();
	return gen;
}

/* Hook side, before a real close of fd (close, fclose, closedir, syscall(SYS_close)): the
 * table marks it closed (lk_fd_on_closing). Enters and leaves the guard itself (nothing when
 * not recording); never changes errno. */
static inline void lk_fd_close_before(int fd)
{
	if (fd < 0 || !lk_guard_enter())
		return;
	lk_fd_on_closing(fd);
	lk_guard_leave();
}

#endif
