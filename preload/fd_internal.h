/* SPDX-License-Identifier: MIT */
/* fd_internal.h - libleak's own descriptors (the trace file, a wake-up pipe): never reported,
 * and close()/close_range()/closefrom() from the program leave them open so the trace can still
 * be written (a daemon closing 3..1023). Lock-free; any thread, signal handlers included. */
#ifndef LEAK_PRELOAD_FD_INTERNAL_H
#define LEAK_PRELOAD_FD_INTERNAL_H

#include <stdint.h>

#define LK_FD_NINTERNAL 8

/* Adds fd to the set (no-op if present or the set is full). lk_fd_mark_internal (fd_table.h)
 * also drops the fd's table entry; use that. */
void lk_fd_internal_add(int fd);
/* The fd is no longer libleak's (a forked child dropping its parent's trace descriptor). */
void lk_fd_unmark_internal(int fd);
/* Bit fd % 64 of every fd ever added (never cleared: a hint). Most fds miss it, and then
 * lk_fd_is_internal is two instructions inline (every open hook asks). */
extern uint64_t lk_fd_internal_hint;
int lk_fd_is_internal_scan(int fd);
static inline int lk_fd_is_internal(int fd)
{
	if (!(__atomic_load_n(&lk_fd_internal_hint, __ATOMIC_ACQUIRE) >> ((unsigned)fd & 63) & 1))
		return 0;
	return lk_fd_is_internal_scan(fd);
}
/* Smallest internal fd >= from, or -1. */
int lk_fd_next_internal(unsigned from);

#endif
