/* SPDX-License-Identifier: MIT */
/* hook.h - the shape of every interposer, and its one way to reach libc (the lk_real table).
 * A hook makes the real call first (its result and errno are the program's), then, if the guard
 * can be entered, makes one call into the core with errno saved around it:
 *
 *	LK_EXPORT int dup(int oldfd)
 *	{
 *		LK_REAL_OR(dup, -1);
 *		int fd = fn(oldfd);
 *		if (fd >= 0 && fd != oldfd)
 *			LK_RECORD(lk_fd_rec_dup(oldfd, fd, 0, "dup"));
 *		return fd;
 *	}
 *
 * The guard is never held across a real call that may allocate or free (the heap hooks must see
 * that), except where a hook's comment says why. Only the names in libleak.map are exported. */
#ifndef LEAK_PRELOAD_HOOK_H
#define LEAK_PRELOAD_HOOK_H

#include <errno.h>

#include "guard.h"
#include "real.h"
#include "stack.h"

#define LK_EXPORT __attribute__((visibility("default")))

/* The real `name` from lk_real (real.h), resolving the table first if this hook runs before
 * it was; NULL if libc lacks the function. */
#define LK_REAL(name)                                                                              \
	(__builtin_expect(lk_real.name != NULL, 1)                                                 \
	     ? lk_real.name                                                                        \
	     : (__typeof__(lk_real.name))lk_real_resolve((void *const *)&lk_real.name, #name))

/* Declares `fn`, the real `name`, or fails the hook's call with errno ENOSYS and `failret`. */
#define LK_REAL_OR(name, failret)                                                                  \
	__typeof__(lk_real.name) fn = LK_REAL(name);                                               \
	if (__builtin_expect(!fn, 0)) {                                                            \
		errno = ENOSYS;                                                                    \
		return failret;                                                                    \
	}

/* Runs `call`, one call into the core, inside the guard with errno saved around it; skipped
 * when the guard cannot be entered (nested, not initialised yet, or disabled). A stack the
 * call captures is walked from the frame record of the function LK_RECORD is written in
 * (stack.h's lk_stack_hook_frame): the hook the program called, or a helper always_inline
 * into it, so the walk starts at the program's frame. */
#define LK_RECORD(call)                                                                            \
	do {                                                                                       \
		if (lk_guard_enter()) {                                                            \
			int lk_saved_errno_ = errno;                                               \
			lk_stack_hook_frame = __builtin_frame_address(0);                          \
			call;                                                                      \
			lk_stack_hook_frame = NULL;                                                \
			errno = lk_saved_errno_;                                                   \
			lk_guard_leave();                                                          \
		}                                                                                  \
	} while (0)

#endif
