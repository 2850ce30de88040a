/* SPDX-License-Identifier: MIT */
/* stack_table.c - intern call stacks into dense ids (1, 2, ...).
 *
 * The hot path (a stack seen before) is lock-free: hash the frames, probe an open-addressing
 * table of 64-bit slots (hash high bits | id), compare frames of the candidate id. Inserting a
 * new stack takes a spinlock, appends the frames to an mmap'd arena, publishes the entry
 * pointer, then the slot (release). Growth copies into a table twice the size and publishes it
 * with a release store; the old table is kept forever, so a reader still probing it stays
 * safe, and a reader that misses there falls into the locked path, which re-probes the current
 * table. Frames and tables are never freed; there are few distinct stacks in practice. */
#include "fork_hot.h"
#include "stack_table.h"
#include "frame_hash.h"
#include "spin.h"
#include "sys.h"

#include <stdbool.h>
#include <string.h>

typedef struct {
	uint64_t hash;
	uint32_t n;
	uint32_t epoch; /* lk_stack_epoch when interned */
	uintptr_t frames[];
} lk_stack_entry_t;

typedef struct {
	uint64_t mask;
	uint64_t *slots; /* 0 = empty; else (hash >> 32) << 32 | id */
} lk_stack_index_t;

#define LK_ID_CHUNK_BITS 16
#define LK_ID_CHUNK      (1u << LK_ID_CHUNK_BITS)
#define LK_ID_DIR        (LK_STACK_MAX_IDS / LK_ID_CHUNK + 1)
#define LK_ARENA_BYTES   (1u << 20)
/* After this many arenas (a program of many stacks), arenas of LK_ARENA_BIG bytes, filled
 * LK_ARENA_FILL bytes at a time as the cursor reaches them: a new stack per allocation
 * otherwise takes a page fault every 14 stacks. Not all at once: a process that stops short of
 * the end (python3 at start) would keep megabytes resident, copied by every fork. */
#define LK_ARENA_SMALL_N 4
#define LK_ARENA_BIG     (8u << 20)
#define LK_ARENA_FILL    (512u << 10)

static lk_stack_index_t *lk_stack_index;           /* current table (acquire/release) */
static lk_stack_entry_t **lk_stack_dir[LK_ID_DIR]; /* id -> entry, in chunks */
static uint32_t lk_stack_count;                    /* ids 1..count exist */
static int lk_stack_lock_word LK_FORK_HOT;
/* Bumped when a library is unmapped: the same addresses may later hold another library's code,
 * so a stack interned before must not be matched by one captured after (its STACK record was
 * resolved against the old module). Old ids stay valid for the blocks that carry them. */
static uint32_t lk_stack_epoch;
static unsigned char *lk_arena_cur, *lk_arena_end;
static unsigned char *lk_arena_filled; /* a big arena is filled up to here (or NULL) */
static uint32_t lk_arenas;

void lk_stack_table_lock(void)
{
	lk_spin_lock(&lk_stack_lock_word);
}

void lk_stack_table_unlock(void)
{
	lk_spin_unlock(&lk_stack_lock_word);
}

/* Finishes a running frame hash (frame_hash.h) with the count and the epoch. */
static uint64_t lk_stack_hash_finish(uint64_t h, uint32_t n, uint32_t epoch)
{
	h ^= (uint64_t)n * 0x9e3779b97f4a7c15ull + (uint64_t)epoch * 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return h;
}

static lk_stack_entry_t *lk_stack_entry(uint32_t id)
{
	lk_stack_entry_t **chunk =
	    __atomic_load_n(&lk_stack_dir[id >> LK_ID_CHUNK_BITS], __ATOMIC_ACQUIRE);
	return chunk ? __atomic_load_n(&chunk[id & (LK_ID_CHUNK - 1)], __ATOMIC_ACQUIRE) : NULL;
}

static bool lk_stack_equal(const lk_stack_entry_t *e, uint64_t h, const uintptr_t *frames,
                           uint32_t n, uint32_t epoch)
{
	return e && e->hash == h && e->n == n && e->epoch == epoch &&
	       memcmp(e->frames, frames, n * sizeof(*frames)) == 0;
}

/* Probes idx for the stack; returns its id or 0. */
static uint32_t lk_stack_find(const lk_stack_index_t *idx, uint64_t h, const uintptr_t *frames,
                              uint32_t n, uint32_t epoch)
{
	uint64_t tag = h >> 32;
	for (uint64_t i = h & idx->mask;; i = (i + 1) & idx->mask) {
		uint64_t s = __atomic_load_n(&idx->slots[i], __ATOMIC_ACQUIRE);
		if (!s)
			return 0;
		if (s >> 32 == tag) {
			uint32_t id = (uint32_t)s;
			if (lk_stack_equal(lk_stack_entry(id), h, frames, n, epoch))
				return id;
		}
	}
}

static void lk_stack_slot_put(lk_stack_index_t *idx, uint64_t h, uint32_t id)
{
	uint64_t i = h & idx->mask;
	while (idx->slots[i])
		i = (i + 1) & idx->mask;
	__atomic_store_n(&idx->slots[i], (h >> 32) << 32 | id, __ATOMIC_RELEASE);
}

static lk_stack_index_t *lk_stack_index_create(uint64_t cap)
{
	size_t bytes = sizeof(lk_stack_index_t) + cap * sizeof(uint64_t);
	lk_stack_index_t *idx = lk_sys_mmap(bytes);
	if (!idx)
		return NULL;
	idx->mask = cap - 1;
	idx->slots = (uint64_t *)(idx + 1);
	return idx;
}

/* Lock held. Keeps the load at most 50%: grows into a new table, publishes it. */
static int lk_stack_index_reserve_locked(void)
{
	lk_stack_index_t *cur = lk_stack_index;
	if (cur && (uint64_t)(lk_stack_count + 1) * 2 <= cur->mask + 1)
		return 0;
	lk_stack_index_t *idx = lk_stack_index_create(cur ? (cur->mask + 1) * 2 : 4096);
	if (!idx)
		return -1;
	for (uint32_t id = 1; id <= lk_stack_count; id++)
		lk_stack_slot_put(idx, lk_stack_entry(id)->hash, id);
	__atomic_store_n(&lk_stack_index, idx, __ATOMIC_RELEASE);
	return 0;
}

static void *lk_stack_arena_alloc(size_t bytes)
{
	bytes = (bytes + 15) & ~(size_t)15;
	if (!lk_arena_cur || (size_t)(lk_arena_end - lk_arena_cur) < bytes) {
		bool big = lk_arenas >= LK_ARENA_SMALL_N;
		size_t sz = big ? LK_ARENA_BIG : LK_ARENA_BYTES;
		sz = bytes > sz ? bytes : sz;
		unsigned char *a = lk_sys_mmap(sz);
		if (!a)
			return NULL;
		lk_arena_cur = a;
		lk_arena_end = a + sz;
		lk_arena_filled = big ? a : NULL;
		lk_arenas++;
	}
	void *p = lk_arena_cur;
	lk_arena_cur += bytes;
	while (lk_arena_filled && lk_arena_cur > lk_arena_filled) {
		size_t n = (size_t)(lk_arena_end - lk_arena_filled);
		n = n < LK_ARENA_FILL ? n : LK_ARENA_FILL;
		lk_sys_populate(lk_arena_filled, n); /* if it fails, the pages fault one by one */
		lk_arena_filled += n;
	}
	return p;
}

static uint32_t lk_stack_insert_locked(uint64_t h, const uintptr_t *frames, uint32_t n,
                                       uint32_t epoch)
{
	uint32_t id = lk_stack_count + 1;
	if (id > LK_STACK_MAX_IDS || lk_stack_index_reserve_locked() < 0)
		return 0;
	lk_stack_entry_t ***chunkp = &lk_stack_dir[id >> LK_ID_CHUNK_BITS];
	if (!*chunkp) {
		lk_stack_entry_t **chunk = lk_sys_mmap(LK_ID_CHUNK * sizeof(*chunk));
		if (!chunk)
			return 0;
		__atomic_store_n(chunkp, chunk, __ATOMIC_RELEASE);
	}
	lk_stack_entry_t *e = lk_stack_arena_alloc(sizeof(*e) + n * sizeof(uintptr_t));
	if (!e)
		return 0;
	e->hash = h;
	e->n = n;
	e->epoch = epoch;
	memcpy(e->frames, frames, n * sizeof(uintptr_t));
	__atomic_store_n(&(*chunkp)[id & (LK_ID_CHUNK - 1)], e, __ATOMIC_RELEASE);
	/* slot first: a reader that saw the count before this found no slot for the stack,
	 * and one that sees the new count probes again under the lock (intern_hashed) */
	lk_stack_slot_put(lk_stack_index, h, id);
	__atomic_store_n(&lk_stack_count, id, __ATOMIC_RELEASE);
	return id;
}

uint32_t lk_stack_table_intern_hashed(const uintptr_t *frames, uint32_t n, uint64_t frame_hash)
{
	uint32_t epoch = __atomic_load_n(&lk_stack_epoch, __ATOMIC_RELAXED);
	uint64_t h = lk_stack_hash_finish(frame_hash, n, epoch);
	uint32_t seen = __atomic_load_n(&lk_stack_count, __ATOMIC_ACQUIRE);
	const lk_stack_index_t *idx = __atomic_load_n(&lk_stack_index, __ATOMIC_ACQUIRE);
	uint32_t id = idx ? lk_stack_find(idx, h, frames, n, epoch) : 0;
	if (id)
		return id;
	lk_stack_table_lock();
	/* Probed again only if a stack was added since: a new stack misses once, not twice (at
	 * one new stack per allocation each probe is a cache miss in a large index). */
	if (lk_stack_count != seen || lk_stack_index != idx) {
		idx = lk_stack_index;
		id = idx ? lk_stack_find(idx, h, frames, n, epoch) : 0;
	}
	if (!id)
		id = lk_stack_insert_locked(h, frames, n, epoch);
	lk_stack_table_unlock();
	return id;
}

uint32_t lk_stack_table_intern(const uintptr_t *frames, uint32_t n)
{
	return lk_stack_table_intern_hashed(frames, n, lk_frame_hash(frames, n));
}

void lk_stack_table_new_epoch(void)
{
	__atomic_add_fetch(&lk_stack_epoch, 1, __ATOMIC_RELAXED);
}

uint32_t lk_stack_table_count(void)
{
	return __atomic_load_n(&lk_stack_count, __ATOMIC_ACQUIRE);
}

const uintptr_t *lk_stack_table_frames(uint32_t id, uint32_t *n)
{
	lk_stack_entry_t *e = lk_stack_entry(id);
	*n = e ? e->n : 0;
	return e ? e->frames : NULL;
}
