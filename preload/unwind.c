/* SPDX-License-Identifier: MIT */
/* unwind.c - the public face of stack walking (unwind.h): the LEAK_UNWIND mode, the two
 * capture entry points, the fallback to libunwind's unw_backtrace, invalidation and counters.
 *
 * The entry points read the caller's state from their own frame record and hand it to a
 * walker (walk.h); a walk that returns -1 is done again by unw_backtrace, so the frames are
 * what libunwind would give. The rules come from eh_frame.c through rule_table.c; each
 * thread's memo of walks is walk_memo.c. Preserves errno; never allocates on a cache hit.
 *
 * libunwind (and the liblzma it needs) is no dependency of libleak.so: most programs never
 * need the fallback, and every traced process, each fork and each exec would map and relocate
 * them. It is dlopen'd where that is safe: by the constructor when LEAK_UNWIND=libunwind asks
 * for it, else by the writer thread once a walk first needed it (dlopen takes the loader's
 * lock and allocates: never from a hook). Until then a fallback is lk_walk_dwarf_partial's
 * walk, which steps signal frames itself and otherwise keeps the frames found so far. */
#include "unwind.h"
#include "fork_hot.h"
#include "frame_hash.h"
#include "guard.h"
#include "rule_table.h"
#include "walk.h"
#include "walk_memo.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#define LK_UNWIND_SKIP_MAX 16 /* libleak frames a fallback may have to drop */

static lk_unwind_mode_t lk_unwind_mode = LK_UNWIND_DWARF;
static uint64_t lk_unwind_fallbacks;
/* Set in a child forked from a multi-threaded process: another thread of the parent may have
 * held one of libunwind's internal locks at fork, and in the child nobody would ever release
 * it. Until exec the walk is the DWARF one, then the partial one, never unw_backtrace. */
static int lk_unwind_no_libunwind;

/* libunwind's unw_backtrace once loaded (lk_unwind_load); NULL before. */
static int (*lk_unw_backtrace)(void **, int);
/* 1: a fallback wants libunwind loaded (the writer does it); 2: loading failed, never again. */
static int lk_unwind_want;

int lk_unwind_load(void)
{
	if (__atomic_load_n(&lk_unw_backtrace, __ATOMIC_ACQUIRE))
		return 0;
	int depth = lk_guard_depth;
	lk_guard_depth = 1; /* the loader's own allocations are not the program's */
	int saved = errno;
	void *h = dlopen(LK_LIBUNWIND_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	void *f = h ? dlsym(h, "unw_backtrace") : NULL;
	errno = saved;
	lk_guard_depth = depth;
	if (!f) {
		__atomic_store_n(&lk_unwind_want, 2, __ATOMIC_RELAXED);
		return -1;
	}
	__atomic_store_n((void **)&lk_unw_backtrace, f, __ATOMIC_RELEASE);
	__atomic_store_n(&lk_unwind_want, 0, __ATOMIC_RELAXED);
	return 0;
}

int lk_unwind_load_wanted(void)
{
	return __atomic_load_n(&lk_unwind_want, __ATOMIC_RELAXED) == 1;
}

int lk_unwind_loaded(void)
{
	return __atomic_load_n(&lk_unw_backtrace, __ATOMIC_RELAXED) != NULL;
}

/* unw_backtrace from inside lk_unwind_capture: its frames[0] is a return address into
 * lk_unwind_capture itself, dropped so the result starts at our caller like the others. */
static __attribute__((always_inline)) inline int lk_unwind_libunwind(int (*bt)(void **, int),
                                                                     uintptr_t *frames, int max,
                                                                     uintptr_t skip_lo,
                                                                     uintptr_t skip_hi)
{
	void *buf[256 + LK_UNWIND_SKIP_MAX + 1];
	int want = max + LK_UNWIND_SKIP_MAX + 1;
	if (want > (int)(sizeof(buf) / sizeof(buf[0])))
		want = (int)(sizeof(buf) / sizeof(buf[0]));
	int got = bt(buf, want), n = 0;
	for (int i = 1; i < got && n < max; i++)
		if (lk_walk_keep((uintptr_t)buf[i], skip_lo, skip_hi))
			frames[n++] = (uintptr_t)buf[i];
	return n;
}

/* The walk behind both entry points; always_inline so that its frame address is the entry
 * point's own (the caller's state is read from it). */
static __attribute__((always_inline)) inline int
lk_unwind_walk(const uintptr_t *fp, uintptr_t *frames, int max, uintptr_t skip_lo,
               uintptr_t skip_hi, lk_walk_memo_t *m, lk_walk_out_t *out)
{
	int n = -1;
	out->value = 0;
	out->hashed = false;
	/* Our own frame record (the entry point always has one: it takes the frame address)
	 * gives the caller's state: its PC, its RSP (our CFA) and its RBP. */
	uintptr_t pc = fp[1], sp = (uintptr_t)(fp + 2), bp = fp[0];
	int no_uw = __atomic_load_n(&lk_unwind_no_libunwind, __ATOMIC_RELAXED);
	if (lk_unwind_mode != LK_UNWIND_LIBUNWIND || no_uw) {
		if (lk_unwind_mode == LK_UNWIND_FP)
			n = lk_walk_fp(pc, sp, bp, frames, max, skip_lo, skip_hi);
		else
			n = lk_walk_dwarf(pc, sp, bp, frames, max, skip_lo, skip_hi, m, out);
		if (n < 0)
			__atomic_add_fetch(&lk_unwind_fallbacks, 1, __ATOMIC_RELAXED);
	}
	if (n < 0) {
		int (*bt)(void **, int) = __atomic_load_n(&lk_unw_backtrace, __ATOMIC_ACQUIRE);
		if (bt && !no_uw) {
			n = lk_unwind_libunwind(bt, frames, max, skip_lo, skip_hi);
		} else {
			bool complete;
			n = lk_walk_dwarf_partial(pc, sp, bp, frames, max, skip_lo, skip_hi,
			                          &complete);
			if (!complete && !no_uw &&
			    !__atomic_load_n(&lk_unwind_want, __ATOMIC_RELAXED))
				__atomic_store_n(&lk_unwind_want, 1, __ATOMIC_RELAXED);
		}
		out->hashed = false;
		if (m)
			m->pending = NULL;
	}
	return n;
}

__attribute__((noinline)) int lk_unwind_capture(uintptr_t *frames, int max, uintptr_t skip_lo,
                                                uintptr_t skip_hi)
{
	if (max <= 0)
		return 0;
	int saved = errno;
	lk_walk_out_t out;
	int n =
	    lk_unwind_walk(__builtin_frame_address(0), frames, max, skip_lo, skip_hi, NULL, &out);
	errno = saved;
	return n;
}

/* The memo walk from the frame record fp (always_inline: a caller passing its own frame
 * address stays the frame the walk starts from). */
static __attribute__((always_inline)) inline int
lk_unwind_memo_walk(const uintptr_t *fp, uintptr_t *frames, int max, uintptr_t skip_lo,
                    uintptr_t skip_hi, uint64_t *hash, uint64_t *value)
{
	*value = 0;
	if (max <= 0)
		return 0;
	lk_walk_out_t out;
	lk_walk_memo_t *m = lk_unwind_mode == LK_UNWIND_DWARF ? lk_walk_memo_get() : NULL;
	/* A repeated stack, answered before the walker's own frame is set up; tried while the
	 * last-walk checks keep matching (last_fails 0), so stacks that vary do not pay for it. */
	if (m && m->last_fails == 0 &&
	    lk_walk_dwarf_quick(fp[1], (uintptr_t)(fp + 2), fp[0], skip_lo, skip_hi, m, value)) {
		*hash = 0;
		return 0;
	}
	int n = lk_unwind_walk(fp, frames, max, skip_lo, skip_hi, m, &out);
	*value = out.value;
	*hash = out.hashed ? out.hash : lk_frame_hash(frames, n > 0 ? (uint32_t)n : 0);
	return n;
}

__attribute__((noinline)) int lk_unwind_capture_memo(uintptr_t *frames, int max, uintptr_t skip_lo,
                                                     uintptr_t skip_hi, uint64_t *hash,
                                                     uint64_t *value)
{
	int saved = errno;
	int n = lk_unwind_memo_walk(__builtin_frame_address(0), frames, max, skip_lo, skip_hi, hash,
	                            value);
	errno = saved;
	return n;
}

int lk_unwind_capture_memo_at(const void *frame, uintptr_t *frames, int max, uintptr_t skip_lo,
                              uintptr_t skip_hi, uint64_t *hash, uint64_t *value)
{
	return lk_unwind_memo_walk(frame, frames, max, skip_lo, skip_hi, hash, value);
}

void lk_unwind_memo_store(uint64_t value)
{
	lk_walk_memo_store(value);
}

void lk_unwind_thread_init(void)
{
	lk_walk_memo_thread_init();
}

LK_FORK_TEXT void lk_unwind_reset_after_fork(void)
{
	lk_walk_memo_reset_after_fork();
}

LK_FORK_TEXT void lk_unwind_fork_child(int parent_threaded)
{
	if (parent_threaded) {
		__atomic_store_n(&lk_unwind_no_libunwind, 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&lk_unwind_want, __ATOMIC_RELAXED) == 1)
			__atomic_store_n(&lk_unwind_want, 0, __ATOMIC_RELAXED); /* of no use here */
	}
}

void lk_unwind_invalidate(void)
{
	lk_walk_memo_invalidate(); /* remembered walks first, then the rules they used */
	lk_rule_table_reset();
}

int lk_unwind_parse_mode(const char *s)
{
	if (!s || !*s || strcmp(s, "dwarf") == 0)
		return LK_UNWIND_DWARF;
	if (strcmp(s, "fp") == 0)
		return LK_UNWIND_FP;
	if (strcmp(s, "libunwind") == 0)
		return LK_UNWIND_LIBUNWIND;
	return -1;
}

void lk_unwind_set_mode(lk_unwind_mode_t mode)
{
	lk_unwind_mode = mode;
	/* The constructor loads it at once; attached, the writer thread does. */
	if (mode == LK_UNWIND_LIBUNWIND && !lk_unwind_loaded() &&
	    !__atomic_load_n(&lk_unwind_want, __ATOMIC_RELAXED))
		__atomic_store_n(&lk_unwind_want, 1, __ATOMIC_RELAXED);
}

void lk_unwind_stats(lk_unwind_stats_t *out)
{
	out->rules_built = lk_walk_rules_built();
	out->fallbacks = __atomic_load_n(&lk_unwind_fallbacks, __ATOMIC_RELAXED);
	out->tails_reused = lk_walk_memo_tails_reused();
	out->memo_compared = lk_walk_memo_compared();
}
