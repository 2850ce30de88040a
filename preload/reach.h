/* SPDX-License-Identifier: MIT */
/* reach.h - the conservative reachability scan behind BLOCK.flags (docs/FORMAT.md): at the
 * final snapshot, which live heap blocks can still be reached from the program's roots.
 * Used only by the writer's final snapshot: lk_reach_scan, then lk_reach_foreach (or
 * lk_reach_flags per block), then lk_reach_release. */
#ifndef LEAK_PRELOAD_REACH_H
#define LEAK_PRELOAD_REACH_H

#include <stddef.h>
#include <stdint.h>

/* At start (the constructor): asks the loader for its static TLS size (dlsym, which a scan in
 * a signal handler must not call). */
void lk_reach_init(void);

/* Snapshot lock held (one scan at a time), guard held. Copies the live-block table, stops the
 * program's other threads, marks every block reachable from the roots (reach.c: writable
 * segments of every loaded module except libleak, every thread's registers, stack, static and
 * dynamic TLS and descriptor, the program's anonymous writable mappings) through pointers,
 * interior ones included, found in reachable blocks, and lets the threads go on. Memory is read
 * with process_vm_readv, so a block another thread frees and unmaps meanwhile cannot fault;
 * with every other thread stopped, private anonymous memory is read in place, a fault there
 * caught and the range read again with process_vm_readv (reach_mark.c). Never
 * calls malloc (mmap only). Returns 0 when the scan ran, -1 when it could not (out of memory,
 * process_vm_readv refused, a block at or above 2^48): lk_reach_flags then answers 0 for every
 * block. */
int lk_reach_scan(void);

/* 1 in a traced forked child (set by its atfork handler; an exec clears it with the image):
 * the blocks it inherited from its parent are in no table of its own, yet may hold its blocks
 * (a node linked into the parent's list), so the heap is a root there as in sampled mode. */
extern int lk_reach_heap_inherited;

/* Set by the caller of lk_reach_scan when it runs outside a signal handler, at a normal exit:
 * the scan may then start a helper thread for its sort (reach_mark.c). */
extern int lk_reach_may_thread;

/* The caller's stack pointer (inlined into it), after its __builtin_unwind_init has spilled
 * the callee-saved registers into its frame: the lowest address its scan must read. */
static inline __attribute__((always_inline)) uintptr_t lk_reach_sp(void)
{
	uintptr_t sp;
#if defined(__x86_64__)
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
#elif defined(__aarch64__)
	__asm__ volatile("mov %0, sp" : "=r"(sp));
#else
	volatile uintptr_t here = 0;
	sp = ((uintptr_t)&here & ~(uintptr_t)7) - 256;
#endif
	return sp;
}

/* Where the scan of the calling thread's stack starts, if set (else at the scan's own
 * frame): the final snapshot's entry (lk_writer_sync) sets it to its stack pointer, below the
 * callee-saved registers it spilled. libleak's deeper frames are then not roots: buffers in
 * them keep words left by earlier calls (a block's address from the malloc hook) in slots
 * never written since, which made lost blocks look reachable. */
extern __thread uintptr_t lk_reach_stack_from __attribute__((tls_model("initial-exec")));

/* Where the exit began, on the exiting thread: set by the main() wrapper when main returns, to
 * the wrapper's own frame top, and by the exit() and quick_exit() hooks to their stack
 * pointer, below the callee-saved registers they spilled. Below it the stack holds only the
 * exit path's frames (libc's, the atexit handlers', libleak's), laid over dead ones, whose
 * stale words (unwritten slots) are no roots. The exiting thread's scan starts there. */
extern __thread uintptr_t lk_reach_exit_from __attribute__((tls_model("initial-exec")));

/* What the last scan saw of its roots, for the trace (SCAN, SCAN_THREAD records). */
#define LK_REACH_MISSED_MAX 32
typedef struct {
	int partial; /* some root set unknown: blocks not reached are TRACE_BLOCK_PARTIAL */
	int no_anon; /* anonymous mappings not scanned */
	int no_stop; /* the other threads could not be stopped at all */
	uint32_t threads_stopped, threads_missed;
	uint64_t anon_bytes; /* bytes of anonymous mappings scanned as roots */
	uint32_t missed_n;   /* the first LK_REACH_MISSED_MAX missed threads */
	struct {
		int32_t tid;
		uint32_t reason; /* TRACE_SCAN_MISSED_* */
		char name[16];
	} missed[LK_REACH_MISSED_MAX];
} lk_reach_summary_t;
const lk_reach_summary_t *lk_reach_summary(void);

/* TRACE_BLOCK_SCANNED, plus TRACE_BLOCK_REACHABLE when marked (or TRACE_BLOCK_INDIRECT), for
 * a block the last scan saw; 0 when no scan ran or ptr was not in the table when it did. */
uint32_t lk_reach_flags(uintptr_t ptr);

/* For a block the last scan flagged TRACE_BLOCK_INDIRECT: the address of the block leaked
 * directly through which it leaked (BLOCK.owner), or 0 when unknown. */
uintptr_t lk_reach_owner(uintptr_t ptr);

/* Calls fn for every block the last scan saw, in address order, with its flags and, for an
 * indirect one, the direct leak it leaked through (owner; 0 otherwise), with no lookup per
 * block; returns how many, 0 when no scan ran (the caller then walks the table). */
size_t lk_reach_foreach(void (*fn)(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id,
                                   uint32_t flags, uintptr_t owner),
                        void *arg);

/* The largest stack id of the blocks the last scan saw (no pass over them): 0, or -1 when no
 * scan ran. */
int lk_reach_max_stack(uint32_t *max);

/* Frees the scan's memory; lk_reach_flags answers 0 afterwards. */
void lk_reach_release(void);

#endif
