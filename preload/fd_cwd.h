/* SPDX-License-Identifier: MIT */
/* fd_cwd.h - the working directory, cached, for naming what a relative path opens, which
 * otherwise costs a getcwd system call on every open("x"). The cache holds until the cwd
 * changes: chdir, fchdir and chroot (their hooks, and syscall() with those numbers) call
 * lk_fd_cwd_changed; the writer thread checks it once a snapshot (lk_fd_cwd_refresh), which
 * catches what no hook sees (an ancestor renamed) within a period.
 * Where the cwd can change without a hook (a thread that unshared its fs, a Go runtime's raw
 * system calls, an attach window that the program ran on unseen before), lk_fd_cwd_disable
 * turns the cache off for good and every lookup is a getcwd again, as it always was.
 * No malloc, no hooked call; raw system calls only. */
#ifndef LEAK_PRELOAD_FD_CWD_H
#define LEAK_PRELOAD_FD_CWD_H

#include <stddef.h>

/* Longest cwd held (with its NUL): a longer one is looked up every time. */
#define LK_FD_CWD_LEN 256

/* The cwd into out (capacity n), NUL-terminated; returns its length, or 0 when it is unknown
 * (getcwd fails: deleted, unreachable) or does not fit in n, as getcwd(out, n) would. Guard
 * held (it may take the cache's lock). */
size_t lk_fd_cwd(char *out, size_t n);

/* The cwd may have changed: the next lookup asks the kernel. Any thread, any time, no guard
 * (one atomic increment; a signal handler may call it). Call it after the change. */
void lk_fd_cwd_changed(void);

/* The cwd may change unseen from now on: never cache again. Any thread, no guard. */
void lk_fd_cwd_disable(void);

/* Writer thread, once a snapshot: asks the kernel again and replaces a cached cwd that no
 * longer matches. Costs nothing while nothing is cached. */
void lk_fd_cwd_refresh(void);

/* Forked child (single-threaded): the lock may have been held by a thread that is gone. */
void lk_fd_cwd_fork_child(void);

#endif
