/* SPDX-License-Identifier: MIT */
/* reach_mark.h - the mark engine of the exit-time reachability scan (reach_mark.c): a sorted,
 * packed copy of the live-block table, two mark bits a block, and reads of the process's own
 * memory that cannot fault. reach.c finds the roots and hands them over as address ranges.
 * One scan at a time (the snapshot lock); never calls malloc. */
#ifndef LEAK_PRELOAD_REACH_MARK_H
#define LEAK_PRELOAD_REACH_MARK_H

#include <stddef.h>
#include <stdint.h>

/* Forgets the last scan, then copies the live blocks and sorts them by address. Returns 0 and
 * sets *n to the count, or -1 when the scan cannot run (out of memory, process_vm_readv
 * refused, a block at or above 2^48). */
int lk_reach_mark_begin(size_t *n);

/* The text of /proc/self/maps, read whole, or NULL: where a read that failed goes on
 * (lk_reach_proc_next). It must stay valid until it is set again. */
void lk_reach_mark_set_maps(const char *maps);

/* Every other thread of the program is stopped and maps is the text of /proc/self/maps read
 * since: lets reads of ranges inside private anonymous writable mappings go in place, without
 * process_vm_readv, with SIGSEGV and SIGBUS taken over as a backstop (reach_mark.c says why
 * that cannot fault). 0, or -1 when reads stay as they are. Undone by
 * lk_reach_mark_inplace_end, which must come before the world resumes. */
int lk_reach_mark_inplace(const char *maps);
void lk_reach_mark_inplace_end(void);

/* Scans [start, start + len) as a root: a word that points into a block (its start, or an
 * interior byte outside its last 8) marks it. What cannot be read is skipped. */
void lk_reach_mark_range(uintptr_t start, size_t len);

/* Scans the marked blocks, and the blocks they mark, until none is left to scan. */
void lk_reach_mark_drain(void);

/* Reads len bytes at addr into buf without faulting: 0 if all were read, else -1. */
int lk_reach_mark_read(uintptr_t addr, void *buf, size_t len);

/* Calls fn for every copied block whose start lies in [start, end), in address order. */
void lk_reach_mark_blocks_in(uintptr_t start, uintptr_t end,
                             void (*fn)(void *arg, uintptr_t addr, uint64_t size), void *arg);

/* After a drain: 1 if every block has been reached (the roots left may be skipped). */
int lk_reach_mark_all_reached(void);

/* After the last drain from the roots, with every root known: marks each block not reached
 * that another such block points to as leaked through it (TRACE_BLOCK_INDIRECT). Reads as the
 * drains do, so it belongs before lk_reach_mark_inplace_end. */
void lk_reach_mark_leaked(void);

/* Some root set was unknown: a block not reached is reachable after all (TRACE_BLOCK_PARTIAL),
 * never a leak. */
void lk_reach_mark_set_partial(void);

/* The scan is complete: lk_reach_mark_flags and lk_reach_mark_foreach answer from now on. */
void lk_reach_mark_end(void);

/* The sort on two threads (reach_mark.c): with lk_reach_may_thread set (reach.h) and
 * lk_reach_par_min blocks or more; lk_reach_par_runs counts the sorts a helper thread took part
 * in (the unit test sets the bound and reads the count). */
extern size_t lk_reach_par_min;
extern unsigned lk_reach_par_runs;

/* As lk_reach_max_stack, lk_reach_flags, lk_reach_foreach and lk_reach_release (reach.h). */
int lk_reach_mark_max_stack(uint32_t *max);
uint32_t lk_reach_mark_flags(uintptr_t ptr);
uintptr_t lk_reach_mark_owner(uintptr_t ptr);
size_t lk_reach_mark_foreach(void (*fn)(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id,
                                        uint32_t flags, uintptr_t owner),
                             void *arg);
void lk_reach_mark_release(void);

#endif
