/* SPDX-License-Identifier: MIT */
/* heap_table.h - the live heap blocks (pointer -> size, stack id) and the heap hooks' entry
 * points. 256 shards by pointer hash, each an open-addressing table behind a tiny spinlock:
 * no global lock on the malloc path. 15-19 bytes per live block (heap_table.c). */
#ifndef LEAK_PRELOAD_HEAP_TABLE_H
#define LEAK_PRELOAD_HEAP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LK_HEAP_SHARDS   256
#define LK_HEAP_MAX_SIZE ((1ull << 40) - 1) /* sizes are clamped to 40 bits */

/* Any thread. Records ptr (non-NULL) as live. Returns false if memory ran out (the block
 * is then untracked). Never calls malloc. */
bool lk_heap_table_insert(uintptr_t ptr, uint64_t size, uint32_t stack_id);

/* Any thread. Removes ptr; returns true and its size and stack id if it was live, false for
 * an unknown pointer (allocated before libleak, by the bootstrap, or untracked). */
bool lk_heap_table_remove(uintptr_t ptr, uint64_t *size, uint32_t *stack_id);

/* Any thread. A hint: starts loading the slot where ptr would be (a block about to be
 * inserted or removed), a cache miss whenever the program's own heap evicts the table. */
void lk_heap_table_prefetch(uintptr_t ptr);

/* Any thread. Like remove, without removing. */
bool lk_heap_table_lookup(uintptr_t ptr, uint64_t *size, uint32_t *stack_id);

/* Number of live entries (sum over shards, approximate under concurrency). */
uint64_t lk_heap_table_count(void);

/* Bytes of table memory (all shards), for the per-block overhead figure. */
uint64_t lk_heap_table_bytes(void);

/* Tests: the number of entries out of Robin Hood order or off their probe run, plus shards
 * whose count is wrong; 0 for a sound table. Locks one shard at a time. */
uint64_t lk_heap_table_check(void);

/* Any thread. Gives back the pages of the array growth copies through (kept between
 * growths), unless a growth is using it: the exit scan's memory comes on top. */
void lk_heap_table_trim(void);

/* Calls fn for every live block, one shard locked at a time; fn must not touch the table. */
void lk_heap_table_foreach(void (*fn)(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id),
                           void *arg);

/* Fork (fork.c's atfork handlers): the child's table starts empty, the parent's blocks are not
 * the child's to report. The arrays are not inherited at all (MADV_DONTFORK), so prepare
 * locks nothing unless that failed for one of them. */
void lk_heap_table_fork_prepare(void);
void lk_heap_table_fork_parent(void);
void lk_heap_table_fork_child(void); /* the child's table starts empty */

/* The heap hooks' single call each (interpose_heap.c). Any thread, guard held, never
 * allocates, errno preserved by the caller. */
void lk_heap_on_alloc(void *ptr, size_t size);
/* lk_heap_on_alloc with the stack walked from a hook's frame record (lk_stack_capture_at);
 * NULL: from here. */
void lk_heap_on_alloc_at(void *ptr, size_t size, const void *frame);
bool lk_heap_on_free(void *ptr); /* true if ptr was a tracked block */
/* realloc: old was removed by lk_heap_on_realloc_begin (returns whether it was tracked) before
 * the real call; lk_heap_on_realloc_end records the outcome. */
bool lk_heap_on_realloc_begin(void *old, uint64_t *size, uint32_t *stack_id);
void lk_heap_on_realloc_end(void *old, bool tracked, uint64_t old_size, uint32_t old_stack,
                            void *ptr, size_t size);

/* leak_attach_end (hooks inert): forgets every block and unmaps the arrays. Waits at most
 * about wait_ms in all for shard locks; -ETIMEDOUT if a shard stayed locked (its arrays are
 * kept; call again), else 0. */
int lk_heap_table_release(unsigned wait_ms);

#endif
