/* SPDX-License-Identifier: MIT */
/* stack.c - one call per recorded event: the caller's stack as an interned id. Walks with
 * unwind.h through this thread's memo (a walk remembered with its id gives the id back without
 * walking or interning), leaves out libleak's own frames (its text range, found once at init,
 * is the walk's skip range), and interns the rest with stack_table.h. Any thread, guard held;
 * never calls malloc; preserves errno. The walk is nearly the whole cost of a recorded event. */
#include "stack.h"
#include "config.h"
#include "frame_hash.h"
#include "python.h"
#include "stack_table.h"
#include "unwind.h"

#include <errno.h>
#include <link.h>

/* [lo, hi) of libleak's own text, set by lk_stack_init; frames inside are ours. */
static uintptr_t lk_self_lo, lk_self_hi;

static int lk_stack_self_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uintptr_t me = (uintptr_t)arg, lo = UINTPTR_MAX, hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;
		if (a < lo)
			lo = a;
		if (a + ph->p_memsz > hi)
			hi = a + ph->p_memsz;
	}
	if (me >= lo && me < hi) {
		lk_self_lo = lo;
		lk_self_hi = hi;
		return 1;
	}
	return 0;
}

void lk_stack_init(void)
{
	dl_iterate_phdr(lk_stack_self_cb, (void *)(uintptr_t)lk_stack_capture);
	lk_unwind_thread_init();
}

/* The capture behind both entry points: from frame, or (NULL) from lk_unwind_capture_memo's
 * own frame. */
static inline uint32_t lk_stack_capture_from(const void *frame)
{
	uintptr_t buf[256];
	uint64_t hash, memo;
	/* libleak's frames are left out: the hook and bookkeeping on top, and the main() wrapper
	 * of interpose_exit.c at the bottom. Frame 0 becomes a return address in malloc's caller.
	 */
	int keep = frame ? lk_unwind_capture_memo_at(frame, buf, (int)lk_config.depth, lk_self_lo,
	                                             lk_self_hi, &hash, &memo)
	                 : lk_unwind_capture_memo(buf, (int)lk_config.depth, lk_self_lo, lk_self_hi,
	                                          &hash, &memo);
	if (memo) { /* the same walk as a recent one: the same native stack */
		uint32_t id = (uint32_t)memo;
		if (lk_py_active)
			id = lk_py_stack(id);
		return id;
	}
	if (keep == 0) { /* statically linked (unit tests): nothing is "outside" */
		keep = lk_unwind_capture(buf, (int)lk_config.depth, 0, 0);
		hash = lk_frame_hash(buf, keep > 0 ? (uint32_t)keep : 0);
	}
	uint32_t id = keep > 0 ? lk_stack_table_intern_hashed(buf, (uint32_t)keep, hash) : 0;
	if (id)
		lk_unwind_memo_store(
		    id); /* the native id: Python frames are read on every capture */
	if (id && lk_py_active)
		id = lk_py_stack(id);
	return id;
}

__thread const void *lk_stack_hook_frame __attribute__((tls_model("initial-exec")));

uint32_t lk_stack_capture(void)
{
	const void *hook = lk_stack_hook_frame;
	if (hook) /* inside LK_RECORD, which saves errno */
		return lk_stack_capture_from(hook);
	int saved = errno;
	uint32_t id = lk_stack_capture_from(NULL);
	errno = saved;
	return id;
}

uint32_t lk_stack_capture_at(const void *frame)
{
	return lk_stack_capture_from(frame);
}
