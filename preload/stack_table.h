/* SPDX-License-Identifier: MIT */
/* stack_table.h - interning of call stacks: identical frame arrays get the same id (from 1),
 * so every event carries 4 bytes instead of a stack. Lookup is lock-free; only inserting a new
 * stack takes a spinlock. Frames live in mmap'd arenas and are never freed. */
#ifndef LEAK_PRELOAD_STACK_TABLE_H
#define LEAK_PRELOAD_STACK_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* Ids fit in 24 bits (the live-block table packs them next to the size). */
#define LK_STACK_MAX_IDS ((1u << 24) - 1)

/* Any thread, never allocates through malloc, preserves errno. Returns the id of frames[0..n)
 * (n <= 256), interning it if new; 0 if memory is exhausted or the id space is full. */
uint32_t lk_stack_table_intern(const uintptr_t *frames, uint32_t n);

/* The same, given lk_frame_hash(frames, n) (frame_hash.h), computed by the unwinder while it
 * walked: the hit path then reads the frames once, to compare them. */
uint32_t lk_stack_table_intern_hashed(const uintptr_t *frames, uint32_t n, uint64_t frame_hash);

/* Number of stacks interned so far; ids 1..count are valid. Acquire: the frames of every id
 * counted are readable. */
uint32_t lk_stack_table_count(void);

/* Any thread. After a library is unmapped: stacks captured from now on get new ids even if
 * their addresses equal older ones (another library may be mapped there now). */
void lk_stack_table_new_epoch(void);

/* Frames of stack id (1..count); sets *n. */
const uintptr_t *lk_stack_table_frames(uint32_t id, uint32_t *n);

/* Fork: prepare takes the insert lock, parent/child release it. */
void lk_stack_table_lock(void);
void lk_stack_table_unlock(void);

#endif
