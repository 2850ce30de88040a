/* SPDX-License-Identifier: MIT */
/* unwind.h - stack walking for every recorded event, the one interface stack.c uses: a cached
 * x86-64 DWARF walker (walk.c; per-PC rules built once from .eh_frame by eh_frame.c, kept in
 * the process-wide lock-free rule_table.c; each thread's memo of walks in walk_memo.c), a
 * frame-pointer walker, and libunwind's unw_backtrace as the reference and the fallback. */
#ifndef LEAK_PRELOAD_UNWIND_H
#define LEAK_PRELOAD_UNWIND_H

#include <stdint.h>

typedef enum {
	LK_UNWIND_DWARF = 0,     /* default: cached .eh_frame rules, unw_backtrace fallback */
	LK_UNWIND_FP = 1,        /* frame-pointer chain only (code built with frame pointers) */
	LK_UNWIND_LIBUNWIND = 2, /* unw_backtrace on every capture (the reference) */
} lk_unwind_mode_t;

/* Parses a LEAK_UNWIND value ("dwarf", "fp", "libunwind"); -1 if unknown. */
int lk_unwind_parse_mode(const char *s);

/* Constructor context (or a test): selects the walker for every later capture. */
void lk_unwind_set_mode(lk_unwind_mode_t mode);

/* libunwind's file name (the Makefile passes the one it builds against). */
#ifndef LK_LIBUNWIND_SONAME
#define LK_LIBUNWIND_SONAME "libunwind.so.8"
#endif

/* Loads libunwind (dlopen, under the guard) if it is not loaded yet: 0 once it is, -1 if it
 * cannot be (then never asked for again). Never from a hook: dlopen takes the loader's lock
 * and allocates. The constructor calls it for LEAK_UNWIND=libunwind, the writer thread when
 * lk_unwind_load_wanted says a walk needed the fallback. */
int lk_unwind_load(void);
/* True once a walk fell back without libunwind loaded and stopped early (relaxed). */
int lk_unwind_load_wanted(void);
/* True once lk_unwind_load succeeded. */
int lk_unwind_loaded(void);

/* Any thread, any context in which unw_backtrace may run. Writes at most max return
 * addresses to frames, frames[0] being the return address into the caller of this function
 * (as unw_backtrace's frames[0] is into its caller); addresses in [skip_lo, skip_hi) are left
 * out and not counted, and code in that range must keep frame pointers (libleak's own text:
 * its frames are stepped by RBP without a rule lookup). Returns the count. The cache-hit
 * path never allocates, locks or makes a system call; a PC seen for the first time costs
 * one dl_iterate_phdr. Preserves errno. */
int lk_unwind_capture(uintptr_t *frames, int max, uintptr_t skip_lo, uintptr_t skip_hi);

/* lk_unwind_capture through this thread's memo of recent walks (DWARF mode only). If a walk
 * remembered from the same first frame outside [skip_lo, skip_hi) read stack words that all
 * still hold the same values, this walk would give the same frames: nothing is walked or
 * written, 0 is returned and *value is the value lk_unwind_memo_store attached to that walk.
 * Otherwise *value is 0, the frames are walked as by lk_unwind_capture and *hash is their
 * lk_frame_hash (frame_hash.h); the caller then attaches a nonzero value (its stack id) with
 * lk_unwind_memo_store. Same context and guarantees as lk_unwind_capture; the memo is one
 * mmap per thread, reused after the thread exits. */
int lk_unwind_capture_memo(uintptr_t *frames, int max, uintptr_t skip_lo, uintptr_t skip_hi,
                           uint64_t *hash, uint64_t *value);
/* lk_unwind_capture_memo from the frame record at frame instead of its own: a frame of
 * libleak's (code with frame pointers) still live on this thread's stack, whose saved PC,
 * RSP and RBP are the caller's state the walk starts from (a hook's frame: the walk begins
 * at the program's frame, with none of libleak's to step over). errno is the caller's to
 * preserve. */
int lk_unwind_capture_memo_at(const void *frame, uintptr_t *frames, int max, uintptr_t skip_lo,
                              uintptr_t skip_hi, uint64_t *hash, uint64_t *value);
void lk_unwind_memo_store(uint64_t value);

/* Constructor context: the thread-exit key that returns a thread's memo to the pool. */
void lk_unwind_thread_init(void);

/* Forked child: the other threads' memos go back to the pool. */
void lk_unwind_reset_after_fork(void);
/* Forked child, first thing: if the parent had other threads (one may have held a lock inside
 * libunwind at fork), libunwind is never called in this process (until exec replaces it); a
 * walk the DWARF walker cannot finish is lk_walk_dwarf_partial's instead. */
void lk_unwind_fork_child(int parent_threaded);

/* dlclose hook, before the real call: forgets every cached rule and remembered walk (a later
 * library may be mapped where the unloaded one was). */
void lk_unwind_invalidate(void);

typedef struct {
	uint64_t rules_built;   /* PCs whose rule was built from .eh_frame */
	uint64_t fallbacks;     /* captures handed to unw_backtrace (DWARF mode) */
	uint64_t tails_reused;  /* walks finished with the frames of the thread's last walk */
	uint64_t memo_compared; /* remembered walks whose words a lookup compared */
} lk_unwind_stats_t;

/* Approximate counters (relaxed), for tests and diagnostics. */
void lk_unwind_stats(lk_unwind_stats_t *out);

#endif
