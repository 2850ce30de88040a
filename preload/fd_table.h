/* SPDX-License-Identifier: MIT */
/* fd_table.h - live descriptors and temp files of the traced process, and the exec marker.
 * The descriptor hooks, through fd_record.c, describe what happened (they capture the stack
 * and the time); the table keeps the current state per fd number and the writer thread asks
 * it, through lk_fd_emit (emit.h), for the FD_OPEN/FD_CLOSE/TEMPFILE/EXEC records that changed.
 * No function here calls malloc, a hook, or unknown code; locks are per-entry spinlocks held
 * for a copy only. Every function is safe from any thread unless its comment says otherwise. */
#ifndef LEAK_PRELOAD_FD_TABLE_H
#define LEAK_PRELOAD_FD_TABLE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fd_internal.h"
#include "sys.h"

#define LK_FD_MAX        65536 /* fds at or above this are only counted */
#define LK_FD_PATH_LEN   160   /* path / local address, truncated */
#define LK_FD_PEER_LEN   64
#define LK_FD_API_LEN    16
#define LK_TEMP_MAX      1024
#define LK_TEMP_PATH_LEN 256

/* The time of a descriptor's open or close (not of temp files, which are told apart by
 * theirs): CLOCK_MONOTONIC_COARSE, the clock at the last timer tick, at most a tick (1-4 ms)
 * behind CLOCK_MONOTONIC and never ahead of it. A descriptor-churning program makes several
 * of these a loop, and the coarse clock is read in a fifth of the time (12 ns against 55 on
 * the 2-core test machine). Never changes errno. */
static inline uint64_t lk_fd_now_ns(void)
{
	struct timespec ts;
	int saved = errno;
	if (__builtin_expect(clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0, 0)) {
		errno = saved;
		return lk_now_ns();
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Idempotent. Maps the table and records every descriptor open now as inherited (raw
 * getdents64 of /proc/self/fd). Returns 0, or -1 if the table could not be mapped (every
 * other call is then a no-op). Called at first need, not at start: by the first descriptor
 * hook (an open's new descriptor, found by the probe, is then recorded over with its
 * stack), a spawn, an exec, or the first snapshot's descriptors. Until then every open
 * descriptor is one the process started with or made where no hook sees, as at start. So a
 * program exec'd by a traced one that touches no descriptor (a shell's `true`) never reads
 * /proc/self/fd, nor maps the table. */
int lk_fd_init(void);

/* leak_attach_begin (hooks inert): forgets what an earlier window knew and records every
 * descriptor open now as inherited ("pre-existing", sockets with their addresses). */
void lk_fd_attach_reset(void);

/* A new descriptor `fd` exists (open, socket, pipe end ...). If the number was still open in
 * the table (a close we did not see, dup2 over it) that generation closes now. flags are
 * TRACE_FD_* bits; path/peer may be NULL and are copied (truncated); api is a string that
 * lives as long as the process (a literal: the hooks' names), kept by pointer. */
void lk_fd_on_open(int fd, unsigned type, unsigned flags, uint32_t stack_id, uint64_t t_ns,
                   const char *api, const char *path, const char *peer);

/* lk_fd_on_open of a socket, with what lk_fd_set_sock would set, in one step. */
void lk_fd_on_open_sock(int fd, unsigned flags, uint32_t stack_id, uint64_t t_ns, const char *api,
                        const char *path, int family, int socktype);

/* Generation of `fd` if the table holds it open, else 0. Hooks read it before the real close
 * so that a number reused by another thread in between is not closed by mistake. */
uint32_t lk_fd_gen(int fd);

/* `fd` closed. gen 0 closes whatever is open; otherwise only that generation. */
void lk_fd_on_close(int fd, uint32_t gen, uint64_t t_ns);

/* `fd` is about to be closed by the program (close, fclose, closedir): whatever the table
 * holds open there is closed now, stamped now, in one lock round. Before the real call, the
 * number cannot have been reused by another thread yet, so no generation is needed; a close
 * that then fails still closed the descriptor (EINTR, EIO: Linux closes it anyway) or found
 * it closed already (EBADF: closed by a way no hook saw), so it stays closed here too. */
void lk_fd_on_closing(int fd);

/* close_range(first, last): close every tracked fd in the range, or with cloexec_only set
 * (CLOSE_RANGE_CLOEXEC) only set their close-on-exec flag. */
void lk_fd_on_close_range(unsigned first, unsigned last, int cloexec_only, uint64_t t_ns);

/* `newfd` is a duplicate of `oldfd` (dup, dup2, dup3, F_DUPFD): same type and description,
 * its own stack, api and close-on-exec flag. An untracked oldfd gives type other. */
void lk_fd_on_dup(int oldfd, int newfd, int cloexec, uint32_t stack_id, uint64_t t_ns,
                  const char *api);

/* Sets or clears the close-on-exec flag of an open fd (F_SETFD, ioctl FIOCLEX ...). */
void lk_fd_set_cloexec(int fd, int on);

/* Sockets: remember the family and SOCK_* type (for formatting later addresses), and replace
 * the local address and/or peer (NULL keeps the old one). */
void lk_fd_set_sock(int fd, int family, int socktype);
int lk_fd_get_sock(int fd, int *family, int *socktype); /* 0 if fd is a tracked socket */
void lk_fd_set_addr(int fd, const char *local, const char *peer);

/* Copies the recorded path of an open fd into buf (NUL-terminated); returns its length, or -1
 * if the fd is not tracked or has no path. */
int lk_fd_get_path(int fd, char *buf, size_t n);

/* fd becomes one of libleak's own descriptors (fd_internal.h): never reported, and dropped
 * from the table if it was recorded already (scanned as inherited before being marked). */
void lk_fd_mark_internal(int fd);

/* Descriptors opened at or beyond LK_FD_MAX since start. */
uint64_t lk_fd_overflow_count(void);

/* Temp files (mkstemp family, mkdtemp). abs_path must be absolute; removal marks every live
 * entry with that exact path. */
void lk_fd_temp_on_create(const char *abs_path, uint32_t stack_id, uint64_t t_ns, const char *api);
void lk_fd_temp_on_remove(const char *abs_path);

/* exec: the next lk_fd_emit appends an EXEC record (after the FD records) for this path.
 * Cleared by that emit, or by lk_fd_exec_cancel when the exec failed. */
void lk_fd_exec_pending(const char *path, uint64_t t_ns);
void lk_fd_exec_cancel(void);

/* Forked child about to exec (at_exec) or exit: 1 if its trace would report a descriptor or
 * temp file (one of its own still open or on disk; before an exec, also one of the parent's
 * crossing it without close-on-exec), else 0. Single-threaded use (reads without the entry
 * locks). */
int lk_fd_child_has_findings(int at_exec);

/* In the parent, before a vfork: 1 if a child exec'ing now would carry one of the parent's
 * reported descriptors across the exec (open, not 0-2 or open at start, not libleak's, without
 * close-on-exec), which only a child trace of its own can report (the vfork hook then forks).
 * Any thread; reads without the entry locks (a racing open is the program's race). */
int lk_fd_parent_crosses_exec(void);

/* Fork child: the temp files are the parent's (forgotten), pending exec cleared, and every
 * open fd is flagged TRACE_FD_FORKED (the parent's, stack kept) and emitted again into the
 * child's trace; the child's later opens are its own. Called by the fork/vfork hook in the
 * child (not from pthread_atfork: registering one lazily could run inside a fork). */
void lk_fd_on_fork_child(void);

#endif
