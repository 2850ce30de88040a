/* SPDX-License-Identifier: MIT */
/* fd_internal.h - libleak's own descriptors (the trace file, a wake-up pipe): never reported,
 * and close()/close_range()/closefrom() from the program leave them open so the trace can still
 * be written (a daemon closing 3..1023). Lock-free; any thread, signal handlers included. */
#ifndef LEAK_PRELOAD_FD_INTERNAL_H
#define LEAK_PRELOAD_FD_INTERNAL_H

#define LK_FD_NINTERNAL 8

/* Adds fd to the set (no-op if present or the set is full). lk_fd_mark_internal (fd_table.h)
 * also drops the fd's table entry; use that. */
void lk_fd_internal_add(int fd);
/* The fd is no longer libleak's (a forked child dropping its parent's trace descriptor). */
void lk_fd_unmark_internal(int fd);
int lk_fd_is_internal(int fd);
/* Smallest internal fd >= from, or -1. */
int lk_fd_next_internal(unsigned from);
/* fd is libleak's trace descriptor, which the program never opened: 1 with errno EBADF (the
 * program's call on it fails as it would without libleak), else 0. interpose_fdops.c. */
int lk_fd_not_programs(int fd);

#endif
