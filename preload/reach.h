/* reach.h - the conservative reachability scan behind BLOCK.flags (docs/FORMAT.md): at the
 * final snapshot, which live heap blocks can still be reached from the program's roots.
 * Used only by the writer's final snapshot: lk_reach_scan, then lk_reach_foreach (or
 * lk_reach_flags per block), then lk_reach_release. */
#ifndef LEAK_PRELOAD_REACH_H
#define LEAK_PRELOAD_REACH_H

#include <stddef.h>
#include <stdint.h>

/* Snapshot lock held (one scan at a time), guard held. Copies the live-block table, marks
 * every block reachable from the roots (writable segments of every loaded module except
 * libleak, and each thread's stack from its stack pointer up) through pointers, interior
 * ones included, found in reachable blocks. Memory is read with process_vm_readv, so a block
 * another thread frees and unmaps meanwhile cannot fault. Never calls malloc (mmap only).
 * Returns 0 when the scan ran, -1 when it could not (out of memory, process_vm_readv
 * refused): lk_reach_flags then answers 0 for every block. */
int lk_reach_scan(void);

/* TRACE_BLOCK_SCANNED, plus TRACE_BLOCK_REACHABLE when marked, for a block the last scan
 * saw; 0 when no scan ran or ptr was not in the table when it did. */
uint32_t lk_reach_flags(uintptr_t ptr);

/* Calls fn for every block the last scan saw, in address order, with its flags (no lookup
 * per block); returns how many, 0 when no scan ran (the caller then walks the table). */
size_t lk_reach_foreach(void (*fn)(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id,
                                   uint32_t flags),
                        void *arg);

/* Frees the scan's memory; lk_reach_flags answers 0 afterwards. */
void lk_reach_release(void);

#endif
