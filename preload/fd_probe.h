/* SPDX-License-Identifier: MIT */
/* fd_probe.h - what a descriptor is and what it is called: absolute paths (relative ones joined
 * to a directory or the cwd), socket kinds and addresses as text, and probes of descriptors made
 * elsewhere (fstat, the /proc/self/fd link text). Raw system calls only: no malloc, no hooked
 * call, no lock, so any hook or the constructor may call these from any thread. Outputs are
 * NUL-terminated and truncated to the caller's buffer. */
#ifndef LEAK_PRELOAD_FD_PROBE_H
#define LEAK_PRELOAD_FD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define LK_FD_LINK_LEN 160 /* /proc/self/fd link text read (longer is truncated) */

/* Appends s to out (capacity n) at offset at, truncating; returns the new length. */
size_t lk_fd_probe_cat(char *out, size_t n, size_t at, const char *s);

/* Absolute form of path into out; returns out (empty for a NULL path). A path starting with
 * '/' is kept; a relative one is joined to dir, or to the cwd (raw getcwd) when dir is NULL.
 * An unknown dir ("") or the root leaves it relative, as it always was. */
const char *lk_fd_probe_abs_path(const char *dir, const char *path, char *out, size_t n);

/* "tcp", "udp6", "unix", "netlink", ... for a socket's family and SOCK_* type; "socket" when
 * the family is unknown. */
const char *lk_fd_probe_sock_kind(int family, int socktype);

/* "127.0.0.1:5000", "[::1]:5000", "/run/x.sock", "@abstract", or "" when unnamed or of
 * another family. len is the address length the kernel or the caller gave. */
void lk_fd_probe_sockaddr(const struct sockaddr *sa, socklen_t len, char *out, size_t n);

/* TRACE_FD_* type from /proc/self/fd link text ("socket:[...]", "anon_inode:[eventfd]",
 * "/memfd:name", a path; a directory is told by fstat on fd). */
unsigned lk_fd_probe_link_type(const char *link, int fd);

/* TRACE_FD_* type of a descriptor made elsewhere, or -1 if it is not open (fstat fails).
 * path receives the link text for files, directories, memfds ("memfd:name", as memfd_create
 * records it) and unknown kinds ("anon_inode:[pidfd]"), "" otherwise. */
int lk_fd_probe_type(int fd, char *path, size_t n);

/* Close-on-exec as the kernel has it now: TRACE_FD_CLOEXEC or 0. */
unsigned lk_fd_probe_cloexec(int fd);

/* Every descriptor open now (/proc/self/fd, read with raw getdents64): for each fd that want()
 * accepts, found() gets its type, TRACE_FD_CLOEXEC or 0, and its link text. The directory's
 * own descriptor is skipped. */
void lk_fd_probe_open_fds(bool (*want)(int fd),
                          void (*found)(int fd, unsigned type, unsigned cloexec, const char *link));

#endif
