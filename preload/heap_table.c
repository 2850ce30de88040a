/* SPDX-License-Identifier: MIT */
/* heap_table.c - live heap blocks, and the heap hooks' bookkeeping on top of them.
 *
 * Shape: 256 shards chosen by a pointer hash, each behind a one-word spinlock, so threads
 * freeing different blocks rarely meet. A shard is an open-addressing, linear-probe array of
 * 12-byte entries {ptr >> 4 : 44, size : 28, stack : 24}: malloc's blocks are 16-byte aligned
 * and user space ends below 2^48, so the pointer loses nothing. Entries are kept in Robin Hood
 * order, and removal shifts back the entries after the hole up to the first at its home (no
 * tombstones, so runs do not degrade under churn). A shard grows by a
 * quarter, in whole pages (any capacity works, see lk_heap_home), when it would pass 7/9
 * full, so it stays 62-78% full: 15.4-19.3 bytes per live block, and it grows in place in
 * reserved address space, through one scratch array (lk_main_grow_inplace_locked). Growing by an
 * eighth (67-75% full) copied each entry about nine times over a heap's growth, a fifth of the
 * table's time in a replay of python3's heap operations; by a quarter, python3 under full tracking
 * took 0.95 of the time. At the low loads of small heaps an operation reads one entry.
 *
 * An entry's home slot is its 256-byte chunk of address space's slot (a multiplicative hash
 * of the chunk), plus the block's 16-byte granule in the chunk. Blocks allocated together sit
 * together, so their entries share cache lines: against the home from the block's own hash,
 * python3 under full tracking took 0.92 of the time (12 paired runs), and a replay of its
 * 5.3 M heap operations against the table alone 0.83; allocating 2 M blocks and freeing them
 * in random order took 0.62-1.0 for malloc(16) to malloc(200), but 1.16-1.18 for malloc(100)
 * and malloc(1000), and 1.1-1.75 for blocks of one size from 256 to 4096 bytes (worst at
 * 528-byte strides; a program freeing 1 M malloc(512) blocks in random order: 1.18 of its
 * wall time under full tracking). With one entry every chunk or few, the granule offset
 * spoils the even spread that multiplicative hashing gives blocks of one size: entries of
 * nearby chunks contend for the same slots. Homes in buckets aligned to 16 slots were worse
 * there (twice the time at malloc(1000)); switching a shard to the chunk's slot without the
 * granule when it grows, on long probe runs, recovered only part of it.
 *
 * What does not pack (sizes of 256 MiB and more, pointers that are not 16-byte aligned or lie
 * above 2^48) goes whole into the shard's side table of 16-byte entries {ptr, size:40 |
 * stack:24}, empty in practice; a pointer is in at most one of the two. Nothing here calls
 * malloc: all memory comes from mmap.
 *
 * Leaving the table to the rings' consumer while one thread runs the hooks (malloc pushes the
 * pointer with its size and stack, free the pointer, the writer inserts and removes in ring
 * order on its own core; back to inline at a second thread, after draining every ring) was
 * built and measured: the program's own thread spent 12% less CPU time on python3 with
 * PYTHONMALLOC=malloc and 19% less on varied-stack churn at depth 5 (6% on cc1), but the
 * writer's grew by more than that, and paired runs on the shared two-core machine took 1.03
 * to 1.09 times as long on python3 and 1.09 to 1.34 on the churn (9 to 15 pairs). Not kept;
 * tests/e2e/test_heap_order.sh holds the order patterns such a table must survive. */
#include "fork_hot.h"
#include "heap_table.h"
#include "python.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "spin.h"
#include "ring.h"
#include "stack.h"
#include "sys.h"

#define LK_KEY_MASK      ((1ull << 44) - 1) /* ptr >> 4; 0 marks an empty slot */
#define LK_SMALL_MAX     ((1ull << 28) - 1) /* larger sizes live in the side table */
#define LK_PAGE          4096u
#define LK_SIDE_MIN      (LK_PAGE / sizeof(lk_heap_side_t))
#define LK_LOAD_NUM      7 /* grow when live entries would pass 7/9 of the slots */
#define LK_LOAD_DEN      9
#define LK_GROW_SHIFT    2          /* by cap >> 2 */
#define LK_HEAP_RESV_MIN (1u << 20) /* address space reserved for an array, at least */

/* Three 32-bit words; lo (the first two, read unaligned) = key | size bits 0..19 << 44,
 * hi = stack | size bits 20..27 << 24. */
typedef struct {
	uint32_t w[3];
} lk_heap_entry_t;

typedef struct {
	uint64_t ptr;    /* 0: empty */
	uint64_t packed; /* size << 24 | stack id */
} lk_heap_side_t;

typedef struct {
	int lock;
	uint32_t cap; /* main slots, 0 before first use */
	uint32_t live;
	uint32_t side_cap; /* power of two, 0 while there is no side table */
	uint32_t side_live;
	uint32_t limit; /* live entries allowed before the next growth: 7/9 of cap */
	lk_heap_entry_t *slots;
	lk_heap_side_t *side;
	uint32_t resv; /* pages reserved at slots (it grows in place), 0: its own mapping */
	char pad[64 - 44];
} lk_heap_shard_t;

_Static_assert(sizeof(lk_heap_entry_t) == 12, "12-byte entries");
_Static_assert(sizeof(lk_heap_shard_t) == 64, "one cache line per shard");

static lk_heap_shard_t lk_heap_shards[LK_HEAP_SHARDS] __attribute__((aligned(64)));

/* The arrays are left out of forked children (MADV_DONTFORK): a child starts with an empty
 * table anyway, and so fork copies none of it and the parent's writes after a fork take no
 * copy-on-write faults. Only if that failed for some array does a fork have to take every
 * shard's lock (so the child sees consistent arrays to unmap). */
static int lk_heap_inherited LK_FORK_HOT;
/* Shards ever used, so a forked child reads only those: the others' lines may lie in bss
 * pages never touched, and reading them would fault in zero pages in every child. Written
 * once per shard, read by every traced child: kept on the page the atfork handlers touch
 * anyway (in bss, a sampled parent that never tracked a block had left it unmapped, and each
 * child's read faulted in a zero page). */
static uint64_t lk_heap_used[LK_HEAP_SHARDS / 64] LK_FORK_WARM;

static inline bool lk_heap_was_used(const lk_heap_shard_t *s)
{
	size_t i = (size_t)(s - lk_heap_shards);
	return __atomic_load_n(&lk_heap_used[i / 64], __ATOMIC_RELAXED) >> (i % 64) & 1;
}

static void lk_heap_note_used(const lk_heap_shard_t *s)
{
	size_t i = (size_t)(s - lk_heap_shards);
	if (!lk_heap_was_used(s))
		__atomic_fetch_or(&lk_heap_used[i / 64], 1ull << (i % 64), __ATOMIC_RELAXED);
}

#define LK_FIB        0x9e3779b97f4a7c15ull
#define LK_CHUNK_BITS 4 /* granules per chunk: 16 (256 bytes) */
#define LK_CHUNK_MASK ((1ull << LK_CHUNK_BITS) - 1)

/* The hash of a key (ptr >> 4) is its chunk's, with the key's granule in the chunk in the low
 * 4 bits: bits 24..55 give the home (lk_heap_home), the top 4 the shard with the pointer's
 * region (below), so a chunk's blocks share a shard. Multiplicative (Fibonacci) hashing
 * spreads keys in arithmetic progression, as a heap's blocks of one size are, more evenly
 * than a random hash: a mixing hash in its place made probe runs 60% longer. */
static inline uint64_t lk_key_hash(uint64_t key)
{
	return ((key >> LK_CHUNK_BITS) * LK_FIB & ~LK_CHUNK_MASK) | (key & LK_CHUNK_MASK);
}

static inline uint64_t lk_heap_hash(uintptr_t ptr)
{
	return lk_key_hash(ptr >> 4);
}

/* Shards are grouped by address: the 64 MiB region (ptr >> 26) picks one of 16 groups of 16,
 * the hash a shard in it. glibc serves each arena from its own 64 MiB-aligned heaps and a
 * thread sticks to its arena, so a thread's blocks live in its group's shards, and two
 * threads write the same shard lines mostly when one frees a block of the other's. A
 * single-threaded heap smaller than a region is in 16 shards whose headers stay in cache
 * (python3 under full tracking: 13% less CPU than with the shard from the hash alone).
 * Placing blocks by 4 KiB page inside a shard, for locality, was tried and dropped: dense
 * pages make long probe runs, and random frees over 2 M live 16-byte blocks took twice as
 * long; a chunk's blocks span at most 16 slots. */
static inline lk_heap_shard_t *lk_heap_shard(uintptr_t ptr, uint64_t h)
{
	uint64_t region = (uint64_t)(ptr >> 26) * LK_FIB;
	return &lk_heap_shards[(region >> 60) << 4 | h >> 60];
}

/* The chunk's slot among the first cap - 15, plus the granule: below cap (cap is at least a
 * page of entries). */
static inline uint32_t lk_heap_home(uint64_t h, uint32_t cap)
{
	return (uint32_t)(((uint64_t)(uint32_t)(h >> 24) * (cap - LK_CHUNK_MASK)) >> 32) +
	       (uint32_t)(h & LK_CHUNK_MASK);
}

static inline bool lk_heap_ptr_packs(uintptr_t ptr)
{
	return !(ptr & 0xffff00000000000full) && ptr;
}

static inline uint64_t lk_entry_lo(const lk_heap_entry_t *e)
{
	uint64_t lo;
	memcpy(&lo, e->w, sizeof(lo));
	return lo;
}

static inline void lk_entry_set(lk_heap_entry_t *e, uint64_t key, uint64_t size, uint32_t stack)
{
	uint64_t lo = key | (size & 0xfffff) << 44;
	memcpy(e->w, &lo, sizeof(lo));
	e->w[2] = (stack & 0xffffff) | (uint32_t)(size >> 20) << 24;
}

static inline void lk_entry_get(const lk_heap_entry_t *e, uint64_t *size, uint32_t *stack)
{
	*size = lk_entry_lo(e) >> 44 | (uint64_t)(e->w[2] >> 24) << 20;
	*stack = e->w[2] & 0xffffff;
}

static inline void lk_heap_lock(lk_heap_shard_t *s)
{
	lk_spin_lock(&s->lock);
}

static inline void lk_heap_unlock(lk_heap_shard_t *s)
{
	lk_spin_unlock(&s->lock);
}

/* ---- main table (lock held) ---- */

/* Returns the slot holding key, or else the empty slot ending its probe run (*found false).
 * cap must be non-zero. */
static inline uint32_t lk_main_probe_locked(lk_heap_shard_t *s, uint64_t h, uint64_t key,
                                            bool *found)
{
	uint32_t cap = s->cap;
	for (uint32_t i = lk_heap_home(h, cap);;) {
		uint64_t k = lk_entry_lo(&s->slots[i]) & LK_KEY_MASK;
		if (k == key || !k) {
			*found = k != 0;
			return i;
		}
		if (++i == cap)
			i = 0;
	}
}

/* Entries are kept in Robin Hood order: along a probe run, their homes never decrease (an
 * entry sits no nearer its home than any entry after it in the run). A lookup still probes
 * from its home to the key or an empty slot, but an insert stops at the first entry nearer
 * its home than the new key would be (the key cannot lie further on), and a removal shifts
 * back only the entries up to the first one at its home, not the whole rest of the run.
 * Under the varied-stack churn (10,000 live blocks, 62-78% full) a removal shifted some 20
 * slots, each a home computed, and an insert probed some 10; in this order both move a few. */

/* How far slot j lies past home, around the end. */
static inline uint32_t lk_slot_dist(uint32_t j, uint32_t home, uint32_t cap)
{
	return j >= home ? j - home : j + cap - home;
}

/* How far the entry with key (non-zero) in slot j lies past its home. */
static inline uint32_t lk_entry_dist(uint64_t key, uint32_t j, uint32_t cap)
{
	return lk_slot_dist(j, lk_heap_home(lk_key_hash(key), cap), cap);
}

/* Makes room at occupied slot i: the entries from i to the end of its run move one slot on
 * (the run's order is kept), into the empty slot that ends it. The array has one. */
static __attribute__((noinline)) void lk_main_open_locked(lk_heap_entry_t *slots, uint32_t cap,
                                                          uint32_t i)
{
	uint32_t e = i;
	do {
		if (++e == cap)
			e = 0;
	} while (lk_entry_lo(&slots[e]) & LK_KEY_MASK);
	while (e != i) {
		uint32_t p = e ? e - 1 : cap - 1;
		slots[e] = slots[p];
		e = p;
	}
}

/* Puts key (not present) into slots in Robin Hood order, as entry ent. The array has room. */
static void lk_main_place(lk_heap_entry_t *slots, uint32_t cap, uint64_t key, lk_heap_entry_t ent)
{
	uint32_t i = lk_heap_home(lk_key_hash(key), cap);
	for (uint32_t d = 0;; d++) {
		uint64_t k = lk_entry_lo(&slots[i]) & LK_KEY_MASK;
		if (!k)
			break;
		if (lk_entry_dist(k, i, cap) < d) {
			lk_main_open_locked(slots, cap, i);
			break;
		}
		if (++i == cap)
			i = 0;
	}
	slots[i] = ent;
}

/* Records key (size, stack) in the main array, replacing it if present: returns true if it
 * was new (the caller counts it). The array has room for one more. */
static inline bool lk_main_put_locked(lk_heap_shard_t *s, uint64_t h, uint64_t key, uint64_t size,
                                      uint32_t stack)
{
	uint32_t cap = s->cap;
	lk_heap_entry_t *slots = s->slots;
	uint32_t i = lk_heap_home(h, cap);
	bool fresh = true;
	for (uint32_t d = 0;; d++) {
		uint64_t k = lk_entry_lo(&slots[i]) & LK_KEY_MASK;
		if (!k)
			break;
		if (k == key) {
			fresh = false;
			break;
		}
		if (lk_entry_dist(k, i, cap) < d) {
			lk_main_open_locked(slots, cap, i);
			break;
		}
		if (++i == cap)
			i = 0;
	}
	lk_entry_set(&slots[i], key, size, stack);
	return fresh;
}

/* The address space a new array is reserved in: four times its size, at least 1 MiB. */
static size_t lk_main_resv_bytes(size_t bytes)
{
	return bytes * 4 > LK_HEAP_RESV_MIN ? bytes * 4 : LK_HEAP_RESV_MIN;
}

/* A shard's array, unmapped whole: the reservation it grows in, or its own mapping. */
static void lk_main_unmap(lk_heap_entry_t *slots, uint32_t cap, uint32_t resv)
{
	lk_sys_munmap(slots, resv ? (size_t)resv * LK_PAGE : (size_t)cap * sizeof(lk_heap_entry_t));
}

/* Growing in place: a shard's array lives at the start of a reservation of address space
 * four times its size, and grows there until it fills it. Its entries go to a scratch array
 * (one for all shards, itself a reservation whose pages are kept until the exit scan) and
 * come back into the larger array. Against a new mapping for each growth and the old one
 * unmapped, this takes no unmap (each a TLB flush, an interprocessor interrupt to every core
 * the writer thread ran on), faults in only the new quarter's pages, and refills lines the
 * clearing just brought into the cache: python3 with PYTHONMALLOC=malloc under full tracking
 * took 0.89 of the CPU time and wall time, 0.86 without Python frames (11 paired runs each),
 * 4 M live blocks 0.74 of the CPU time; a heap of 10,000 blocks the same. */
static struct {
	int lock;
	uint32_t kept;    /* left out of forked children */
	size_t resv;      /* bytes reserved at p */
	size_t committed; /* of which usable */
	lk_heap_entry_t *p;
} lk_heap_scratch LK_FORK_WARM; /* a forked child's resets land on the fork page */

/* Makes [from, to) of the reservation [base, base + resv) usable and fills it. A PROT_NONE
 * rest of 1 MiB or less would pass for a thread stack's guard in the exit scan (reach.c,
 * LK_GUARD_MAX), and the mapping after it for a stack, never scanned: such a rest is made
 * usable too (unfilled, it costs no memory). */
static bool lk_resv_commit(void *base, size_t resv, size_t from, size_t to)
{
	size_t end = resv - to <= (1u << 20) ? resv : to;
	return from >= end ||
	       lk_sys_commit((char *)base + from, end - from, to > from ? to - from : 0);
}

static bool lk_main_grow_inplace_locked(lk_heap_shard_t *s, size_t bytes)
{
	size_t used = (size_t)s->cap * sizeof(lk_heap_entry_t);
	size_t old = (used + LK_PAGE - 1) & ~(size_t)(LK_PAGE - 1); /* the committed pages */
	if (!lk_resv_commit(s->slots, (size_t)s->resv * LK_PAGE, old, bytes))
		return false;
	lk_spin_lock(&lk_heap_scratch.lock);
	if (lk_heap_scratch.resv < old) {
		lk_sys_munmap(lk_heap_scratch.p, lk_heap_scratch.resv);
		bool kept;
		size_t r = lk_main_resv_bytes(old);
		lk_heap_scratch.p = lk_sys_reserve(r, &kept);
		lk_heap_scratch.kept = kept;
		lk_heap_scratch.resv = lk_heap_scratch.p ? r : 0;
		lk_heap_scratch.committed = 0;
	}
	lk_heap_entry_t *tmp = lk_heap_scratch.p;
	if (tmp && lk_heap_scratch.committed < old) {
		if (lk_resv_commit(tmp, lk_heap_scratch.resv, lk_heap_scratch.committed, old))
			lk_heap_scratch.committed = old;
		else
			tmp = NULL;
	}
	if (!tmp) {
		lk_spin_unlock(&lk_heap_scratch.lock);
		return false; /* the pages committed stay: a later growth uses them */
	}
	uint32_t ocap = s->cap, cap = (uint32_t)(bytes / sizeof(lk_heap_entry_t));
	memcpy(tmp, s->slots, used);
	memset(s->slots, 0, used);
	for (uint32_t i = 0; i < ocap; i++) {
		uint64_t key = lk_entry_lo(&tmp[i]) & LK_KEY_MASK;
		if (key)
			lk_main_place(s->slots, cap, key, tmp[i]);
	}
	lk_spin_unlock(&lk_heap_scratch.lock);
	s->cap = cap;
	s->limit = (uint32_t)((uint64_t)cap * LK_LOAD_NUM / LK_LOAD_DEN);
	return true;
}

/* Grows the main array by a quarter (at least a page), whole pages of entries: in place in
 * the shard's reservation, or else into a new one (a new mapping if none can be had). */
static bool lk_main_grow_locked(lk_heap_shard_t *s)
{
	size_t want = (size_t)s->cap + (s->cap >> LK_GROW_SHIFT);
	size_t bytes = (want * sizeof(lk_heap_entry_t) + LK_PAGE - 1) & ~(size_t)(LK_PAGE - 1);
	if (bytes <= (size_t)s->cap * sizeof(lk_heap_entry_t))
		bytes += LK_PAGE;
	if (bytes / sizeof(lk_heap_entry_t) > UINT32_MAX / 2)
		return false;
	uint32_t cap = (uint32_t)(bytes / sizeof(lk_heap_entry_t));
	if (bytes <= (size_t)s->resv * LK_PAGE && lk_main_grow_inplace_locked(s, bytes))
		return true;
	bool kept;
	size_t rbytes = lk_main_resv_bytes(bytes);
	lk_heap_entry_t *slots =
	    rbytes / LK_PAGE <= UINT32_MAX ? lk_sys_reserve(rbytes, &kept) : NULL;
	if (slots && !lk_resv_commit(slots, rbytes, 0, bytes)) {
		lk_sys_munmap(slots, rbytes);
		slots = NULL;
	}
	if (!slots) {
		rbytes = 0;
		slots = lk_sys_mmap_private(bytes, &kept);
		if (!slots)
			return false;
	}
	lk_heap_note_used(s);
	if (!kept)
		__atomic_store_n(&lk_heap_inherited, 1, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < s->cap; i++) {
		const lk_heap_entry_t *e = &s->slots[i];
		uint64_t key = lk_entry_lo(e) & LK_KEY_MASK;
		if (!key)
			continue;
		lk_main_place(slots, cap, key, *e);
	}
	lk_main_unmap(s->slots, s->cap, s->resv);
	s->slots = slots;
	s->cap = cap;
	s->resv = (uint32_t)(rbytes / LK_PAGE);
	s->limit = (uint32_t)((uint64_t)cap * LK_LOAD_NUM / LK_LOAD_DEN);
	return true;
}

/* Empties slot i: the entries after it move one slot back up to the first that is at its
 * home or an empty slot (Robin Hood order: no entry further on can have its home at or
 * before the hole). */
static __attribute__((noinline)) void lk_main_shift_locked(lk_heap_shard_t *s, uint32_t i)
{
	uint32_t cap = s->cap;
	lk_heap_entry_t *slots = s->slots;
	for (uint32_t j = i;;) {
		if (++j == cap)
			j = 0;
		uint64_t key = lk_entry_lo(&slots[j]) & LK_KEY_MASK;
		if (!key || lk_heap_home(lk_key_hash(key), cap) == j)
			break;
		slots[i] = slots[j];
		i = j;
	}
	memset(&slots[i], 0, sizeof(slots[i]));
	s->live--;
}

/* Removes slot i; the common case, nothing after it in its run, inline. */
static inline void lk_main_delete_locked(lk_heap_shard_t *s, uint32_t i)
{
	uint32_t j = i + 1 == s->cap ? 0 : i + 1;
	if (lk_entry_lo(&s->slots[j]) & LK_KEY_MASK) {
		lk_main_shift_locked(s, i);
		return;
	}
	memset(&s->slots[i], 0, sizeof(s->slots[i]));
	s->live--;
}

/* ---- side table (lock held): power-of-two array, same probing and deletion ---- */

static lk_heap_side_t *lk_side_find_locked(lk_heap_shard_t *s, uint64_t h, uintptr_t ptr)
{
	if (!s->side_live)
		return NULL;
	uint32_t mask = s->side_cap - 1;
	for (uint32_t i = (uint32_t)(h >> 24) & mask;; i = (i + 1) & mask) {
		lk_heap_side_t *e = &s->side[i];
		if (e->ptr == ptr)
			return e;
		if (!e->ptr)
			return NULL;
	}
}

static void lk_side_place(lk_heap_side_t *side, uint32_t mask, lk_heap_side_t e)
{
	uint32_t i = (uint32_t)(lk_heap_hash(e.ptr) >> 24) & mask;
	while (side[i].ptr)
		i = (i + 1) & mask;
	side[i] = e;
}

static bool lk_side_insert_locked(lk_heap_shard_t *s, uintptr_t ptr, uint64_t packed)
{
	if ((uint64_t)(s->side_live + 1) * 2 > s->side_cap) {
		uint32_t cap = s->side_cap ? s->side_cap * 2 : (uint32_t)LK_SIDE_MIN;
		bool kept;
		lk_heap_side_t *side = lk_sys_mmap_private((size_t)cap * sizeof(*side), &kept);
		if (!side)
			return false;
		lk_heap_note_used(s);
		if (!kept)
			__atomic_store_n(&lk_heap_inherited, 1, __ATOMIC_RELAXED);
		for (uint32_t i = 0; i < s->side_cap; i++)
			if (s->side[i].ptr)
				lk_side_place(side, cap - 1, s->side[i]);
		lk_sys_munmap(s->side, (size_t)s->side_cap * sizeof(*side));
		s->side = side;
		s->side_cap = cap;
	}
	lk_side_place(s->side, s->side_cap - 1, (lk_heap_side_t){ptr, packed});
	s->side_live++;
	return true;
}

static void lk_side_delete_locked(lk_heap_shard_t *s, lk_heap_side_t *e)
{
	uint32_t mask = s->side_cap - 1;
	uint32_t i = (uint32_t)(e - s->side);
	for (uint32_t j = (i + 1) & mask; s->side[j].ptr; j = (j + 1) & mask) {
		uint32_t home = (uint32_t)(lk_heap_hash(s->side[j].ptr) >> 24) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->side[i] = s->side[j];
			i = j;
		}
	}
	s->side[i].ptr = 0;
	s->side_live--;
}

/* ---- the table ---- */

/* Everything but the common insert: the first use of a shard, growth, a side table in use,
 * what does not pack. An insert of a live pointer (a free we never saw, e.g. through a hook
 * we do not own) replaces it, wherever it was. */
static __attribute__((noinline)) bool lk_heap_insert_slow_locked(lk_heap_shard_t *s, uint64_t h,
                                                                 uintptr_t ptr, uint64_t size,
                                                                 uint32_t stack_id)
{
	bool packs = lk_heap_ptr_packs(ptr), small = packs && size <= LK_SMALL_MAX;
	bool found = false;
	uint32_t i = 0;
	if (packs && s->cap) {
		i = lk_main_probe_locked(s, h, ptr >> 4, &found);
		if (found && !small) {
			lk_main_delete_locked(s, i);
			found = false;
		}
	}
	lk_heap_side_t *side = found || !ptr ? NULL : lk_side_find_locked(s, h, ptr);
	if (side && small) {
		lk_side_delete_locked(s, side);
		side = NULL;
	}
	if (found) {
		lk_entry_set(&s->slots[i], ptr >> 4, size, stack_id);
		return true;
	}
	if (side) {
		side->packed = size << 24 | stack_id;
		return true;
	}
	if (!ptr)
		return false;
	if (!small)
		return lk_side_insert_locked(s, ptr, size << 24 | stack_id);
	if (s->live >= s->limit && !lk_main_grow_locked(s))
		return false;
	s->live += lk_main_put_locked(s, h, ptr >> 4, size, stack_id);
	return true;
}

void lk_heap_table_prefetch(uintptr_t ptr)
{
	uint64_t h = lk_heap_hash(ptr);
	lk_heap_shard_t *s = lk_heap_shard(ptr, h);
	/* Unlocked: a stale array or capacity only makes the hint useless (a prefetch never
	 * faults). */
	uint32_t cap = __atomic_load_n(&s->cap, __ATOMIC_RELAXED);
	lk_heap_entry_t *slots = __atomic_load_n(&s->slots, __ATOMIC_RELAXED);
	if (cap)
		__builtin_prefetch(&slots[lk_heap_home(h, cap)], 1, 3);
}

bool lk_heap_table_insert(uintptr_t ptr, uint64_t size, uint32_t stack_id)
{
	uint64_t h = lk_heap_hash(ptr);
	lk_heap_shard_t *s = lk_heap_shard(ptr, h);
	if (size > LK_HEAP_MAX_SIZE)
		size = LK_HEAP_MAX_SIZE;
	stack_id &= 0xffffff;
	bool ok = true;
	if (!__atomic_load_n(&s->cap, __ATOMIC_RELAXED))
		lk_heap_note_used(s); /* before its lock is first taken (see fork_child) */
	lk_heap_lock(s);
	/* The common case: packs, room without growing (limit is 0 before the first use), no
	 * side table to look in. */
	if (lk_heap_ptr_packs(ptr) && size <= LK_SMALL_MAX && s->live < s->limit && !s->side_live) {
		s->live += lk_main_put_locked(s, h, ptr >> 4, size, stack_id);
	} else {
		ok = lk_heap_insert_slow_locked(s, h, ptr, size, stack_id);
	}
	lk_heap_unlock(s);
	return ok;
}

static __attribute__((noinline)) bool lk_heap_get_side_locked(lk_heap_shard_t *s, uint64_t h,
                                                              uintptr_t ptr, uint64_t *size,
                                                              uint32_t *stack_id, bool remove)
{
	lk_heap_side_t *e = lk_side_find_locked(s, h, ptr);
	if (!e)
		return false;
	*size = e->packed >> 24;
	*stack_id = (uint32_t)(e->packed & 0xffffff);
	if (remove)
		lk_side_delete_locked(s, e);
	return true;
}

static inline bool lk_heap_get(uintptr_t ptr, uint64_t *size, uint32_t *stack_id, bool remove)
{
	uint64_t h = lk_heap_hash(ptr);
	lk_heap_shard_t *s = lk_heap_shard(ptr, h);
	bool found = false;
	if (!lk_heap_was_used(s))
		return false; /* nothing was ever inserted here (and its lock is never taken) */
	lk_heap_lock(s);
	if (lk_heap_ptr_packs(ptr) && s->cap) {
		uint32_t i = lk_main_probe_locked(s, h, ptr >> 4, &found);
		if (found) {
			lk_entry_get(&s->slots[i], size, stack_id);
			if (remove)
				lk_main_delete_locked(s, i);
		}
	}
	if (!found && s->side_live && ptr)
		found = lk_heap_get_side_locked(s, h, ptr, size, stack_id, remove);
	lk_heap_unlock(s);
	return found;
}

bool lk_heap_table_remove(uintptr_t ptr, uint64_t *size, uint32_t *stack_id)
{
	return lk_heap_get(ptr, size, stack_id, true);
}

bool lk_heap_table_lookup(uintptr_t ptr, uint64_t *size, uint32_t *stack_id)
{
	return lk_heap_get(ptr, size, stack_id, false);
}

uint64_t lk_heap_table_count(void)
{
	uint64_t n = 0;
	for (int i = 0; i < LK_HEAP_SHARDS; i++)
		if (lk_heap_was_used(&lk_heap_shards[i]))
			n += __atomic_load_n(&lk_heap_shards[i].live, __ATOMIC_RELAXED) +
			     __atomic_load_n(&lk_heap_shards[i].side_live, __ATOMIC_RELAXED);
	return n;
}

uint64_t lk_heap_table_bytes(void)
{
	uint64_t n = 0;
	for (int i = 0; i < LK_HEAP_SHARDS; i++)
		n += (uint64_t)__atomic_load_n(&lk_heap_shards[i].cap, __ATOMIC_RELAXED) *
		         sizeof(lk_heap_entry_t) +
		     (uint64_t)__atomic_load_n(&lk_heap_shards[i].side_cap, __ATOMIC_RELAXED) *
		         sizeof(lk_heap_side_t);
	return n;
}

/* Tests: each used shard's main array must hold every entry in Robin Hood order, its homes
 * nondecreasing along each run, and reachable from its home (no empty slot between). */
uint64_t lk_heap_table_check(void)
{
	uint64_t bad = 0;
	for (int i = 0; i < LK_HEAP_SHARDS; i++) {
		lk_heap_shard_t *s = &lk_heap_shards[i];
		if (!lk_heap_was_used(s))
			continue;
		lk_heap_lock(s);
		uint32_t cap = s->cap, live = 0;
		for (uint32_t j = 0; j < cap; j++) {
			uint64_t key = lk_entry_lo(&s->slots[j]) & LK_KEY_MASK;
			if (!key)
				continue;
			live++;
			uint32_t d = lk_entry_dist(key, j, cap);
			for (uint32_t k = 1; k <= d; k++) /* no hole between home and j */
				bad += !(lk_entry_lo(&s->slots[(j + cap - k) % cap]) & LK_KEY_MASK);
			uint32_t p = j ? j - 1 : cap - 1;
			uint64_t pk = lk_entry_lo(&s->slots[p]) & LK_KEY_MASK;
			if (pk && lk_entry_dist(pk, p, cap) + 1 < d)
				bad++; /* its predecessor in the run is nearer its home than it */
		}
		bad += live != s->live;
		lk_heap_unlock(s);
	}
	return bad;
}

void lk_heap_table_trim(void)
{
	if (__atomic_exchange_n(&lk_heap_scratch.lock, 1, __ATOMIC_ACQUIRE))
		return; /* a growth under way keeps it */
	lk_sys_munmap(lk_heap_scratch.p, lk_heap_scratch.resv);
	lk_heap_scratch.p = NULL;
	lk_heap_scratch.resv = lk_heap_scratch.committed = 0;
	lk_spin_unlock(&lk_heap_scratch.lock);
}

void lk_heap_table_foreach(void (*fn)(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id),
                           void *arg)
{
	for (int i = 0; i < LK_HEAP_SHARDS; i++) {
		lk_heap_shard_t *s = &lk_heap_shards[i];
		if (!lk_heap_was_used(s))
			continue; /* empty, and its line is left untouched */
		lk_heap_lock(s);
		for (uint32_t j = 0; j < s->cap; j++) {
			const lk_heap_entry_t *e = &s->slots[j];
			uint64_t key = lk_entry_lo(e) & LK_KEY_MASK, size;
			uint32_t stack;
			if (!key)
				continue;
			lk_entry_get(e, &size, &stack);
			fn(arg, (uintptr_t)(key << 4), size, stack);
		}
		for (uint32_t j = 0; j < s->side_cap; j++) {
			const lk_heap_side_t *e = &s->side[j];
			if (e->ptr)
				fn(arg, e->ptr, e->packed >> 24, (uint32_t)(e->packed & 0xffffff));
		}
		lk_heap_unlock(s);
	}
}

void lk_heap_table_fork_prepare(void)
{
	if (!__atomic_load_n(&lk_heap_inherited, __ATOMIC_RELAXED))
		return;
	lk_heap_inherited = 2; /* locked: the parent and the child unlock */
	for (int i = 0; i < LK_HEAP_SHARDS; i++)
		lk_heap_lock(&lk_heap_shards[i]);
}

void lk_heap_table_fork_parent(void)
{
	if (lk_heap_inherited != 2)
		return;
	lk_heap_inherited = 1;
	for (int i = 0; i < LK_HEAP_SHARDS; i++)
		lk_heap_unlock(&lk_heap_shards[i]);
}

/* The child's table starts empty. Its arrays are not there (see lk_heap_inherited) unless
 * they were inherited, and then the shards were locked across the fork and are consistent.
 * Only shards marked used are touched: an insert marks a shard before first taking its
 * lock, a lookup never locks an unmarked one, and foreach runs under the snapshot lock
 * (which fork takes first), so an unmarked shard holds zeros and no lock. */
LK_FORK_TEXT void lk_heap_table_fork_child(void)
{
	bool inherited = lk_heap_inherited == 2;
	for (int i = 0; i < LK_HEAP_SHARDS; i++) {
		lk_heap_shard_t *s = &lk_heap_shards[i];
		if (!inherited && !lk_heap_was_used(s))
			continue; /* when inherited, prepare locked every shard */
		if (inherited) {
			lk_main_unmap(s->slots, s->cap, s->resv);
			lk_sys_munmap(s->side, (size_t)s->side_cap * sizeof(lk_heap_side_t));
		}
		s->slots = NULL;
		s->side = NULL;
		s->cap = s->live = s->side_cap = s->side_live = s->limit = s->resv = 0;
		s->lock = 0; /* a thread that held it is not in the child */
	}
	/* The scratch array is the child's only if it could not be left out; a thread of the
	 * parent's may have held its lock. */
	if (lk_heap_scratch.p && !lk_heap_scratch.kept)
		lk_sys_munmap(lk_heap_scratch.p, lk_heap_scratch.resv);
	lk_heap_scratch.p = NULL;
	lk_heap_scratch.resv = lk_heap_scratch.committed = 0;
	lk_heap_scratch.lock = 0;
	lk_heap_inherited = 0; /* nothing of the child's own was inherited yet */
}

/* leak_attach_end, the hooks inert: every block is forgotten and the arrays given back, so a
 * detached process keeps no memory of libleak's but its static tables. A hook still inside
 * takes the shard lock first, so it finds either the old arrays or none. */
int lk_heap_table_release(unsigned wait_ms)
{
	/* Bounded: a hook holds a shard's lock for a few stores, but a thread kept stopped
	 * by a tracer inside one would hold it for good. The budget is for all shards. */
	uint64_t deadline = lk_now_ns() + (uint64_t)wait_ms * 1000000u;
	int left = 0;
	for (int i = 0; i < LK_HEAP_SHARDS; i++) {
		lk_heap_shard_t *s = &lk_heap_shards[i];
		if (!lk_heap_was_used(s))
			continue;
		bool locked = true;
		for (int spin = 0; __atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE); spin++) {
			if (spin < 1000) {
				__builtin_ia32_pause();
				continue;
			}
			if (lk_now_ns() >= deadline) {
				locked = false;
				break;
			}
			struct timespec ts = {.tv_sec = 0, .tv_nsec = 100000};
			nanosleep(&ts, NULL);
		}
		if (!locked) {
			left++;
			continue; /* its arrays stay: a later call gives them back */
		}
		lk_main_unmap(s->slots, s->cap, s->resv);
		lk_sys_munmap(s->side, (size_t)s->side_cap * sizeof(lk_heap_side_t));
		s->slots = NULL;
		s->side = NULL;
		s->cap = s->live = s->side_cap = s->side_live = s->limit = s->resv = 0;
		lk_heap_unlock(s);
	}
	if (left)
		return -ETIMEDOUT;
	/* Every shard released: no growth can be under way (it holds a shard's lock). */
	lk_spin_lock(&lk_heap_scratch.lock);
	lk_sys_munmap(lk_heap_scratch.p, lk_heap_scratch.resv);
	lk_heap_scratch.p = NULL;
	lk_heap_scratch.resv = lk_heap_scratch.committed = 0;
	lk_spin_unlock(&lk_heap_scratch.lock);
	return 0;
}

/* ---- hook bookkeeping ---- */

void lk_heap_on_alloc(void *ptr, size_t size)
{
	lk_heap_on_alloc_at(ptr, size, NULL);
}

void lk_heap_on_alloc_at(void *ptr, size_t size, const void *frame)
{
	/* The block's slot is often a cache miss (a large heap, or a program whose own heap
	 * evicts the table): fetch it while the stack is taken. */
	lk_heap_table_prefetch((uintptr_t)ptr);
	uint32_t stack = frame ? lk_stack_capture_at(frame) : lk_stack_capture();
	/* Push before inserting: a free of this block on another thread can only find it (and
	 * push its FREE) after our ALLOC is in our ring. A dropped ALLOC leaves the block
	 * untracked, so its free is ignored and the counts stay consistent. */
	if (lk_ring_push(LK_EV_ALLOC, stack, size))
		lk_heap_table_insert((uintptr_t)ptr, size, stack);
}

bool lk_heap_on_free(void *ptr)
{
	uint64_t size;
	uint32_t stack;
	if (__builtin_expect(lk_py_watch, 0))
		lk_py_check_finalize(); /* finalization frees first: the state before it */
	if (!lk_heap_table_remove((uintptr_t)ptr, &size, &stack))
		return false;
	lk_ring_push(LK_EV_FREE, stack, size);
	return true;
}

bool lk_heap_on_realloc_begin(void *old, uint64_t *size, uint32_t *stack_id)
{
	return lk_heap_table_remove((uintptr_t)old, size, stack_id);
}

void lk_heap_on_realloc_end(void *old, bool tracked, uint64_t old_size, uint32_t old_stack,
                            void *ptr, size_t size)
{
	if (!ptr && size) {
		/* Failure keeps the old block: put it back as it was. */
		if (tracked)
			lk_heap_table_insert((uintptr_t)old, old_size, old_stack);
		return;
	}
	if (tracked)
		lk_ring_push(LK_EV_FREE, old_stack, old_size);
	if (ptr)
		lk_heap_on_alloc(ptr, size);
}
