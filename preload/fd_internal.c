/* SPDX-License-Identifier: MIT */
/* fd_internal.c - the set of libleak's own descriptors (at most LK_FD_NINTERNAL): a fixed
 * array of fd numbers changed by compare-and-swap, so the close hooks can ask it from any
 * thread without a lock. A slot is -1 until first used (a scan stops there) and -2 once freed,
 * so lookups never miss an fd stored past a freed slot. */
#include "fd_internal.h"

static int lk_fd_internal[LK_FD_NINTERNAL] = {-1, -1, -1, -1, -1, -1, -1, -1};

uint64_t lk_fd_internal_hint;

void lk_fd_internal_add(int fd)
{
	/* The hint first: a reader that finds fd in the set must not have missed its bit. */
	if (fd >= 0)
		__atomic_fetch_or(&lk_fd_internal_hint, 1ull << ((unsigned)fd & 63),
		                  __ATOMIC_SEQ_CST);
	for (int i = 0; fd >= 0 && i < LK_FD_NINTERNAL; i++) {
		int expected = __atomic_load_n(&lk_fd_internal[i], __ATOMIC_ACQUIRE);
		if (expected == fd)
			break;
		/* -1: never used (ends a scan); -2: freed by lk_fd_unmark_internal. */
		if (expected >= 0)
			continue;
		if (__atomic_compare_exchange_n(&lk_fd_internal[i], &expected, fd, 0,
		                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
}

void lk_fd_unmark_internal(int fd)
{
	for (int i = 0; fd >= 0 && i < LK_FD_NINTERNAL; i++) {
		int expected = fd;
		if (__atomic_compare_exchange_n(&lk_fd_internal[i], &expected, -2, 0,
		                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
}

int lk_fd_is_internal_scan(int fd)
{
	for (int i = 0; i < LK_FD_NINTERNAL; i++) {
		int v = __atomic_load_n(&lk_fd_internal[i], __ATOMIC_RELAXED);
		if (v == fd)
			return 1;
		if (v == -1)
			break;
	}
	return 0;
}

int lk_fd_next_internal(unsigned from)
{
	int best = -1;
	for (int i = 0; i < LK_FD_NINTERNAL; i++) {
		int v = __atomic_load_n(&lk_fd_internal[i], __ATOMIC_RELAXED);
		if (v == -1)
			break;
		if (v >= 0 && (unsigned)v >= from && (best < 0 || v < best))
			best = v;
	}
	return best;
}
