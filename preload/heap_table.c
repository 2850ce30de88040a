/* heap_table.c - live heap blocks, and the heap hooks' bookkeeping on top of them.
 *
 * Shape: 256 shards chosen by a pointer hash, each behind a one-word spinlock, so threads
 * freeing different blocks rarely meet. A shard is an open-addressing array of 64-byte chunks
 * (one cache line) of five 12-byte entries {ptr >> 4 : 44, size : 28, stack : 24}: malloc's
 * blocks are 16-byte aligned and user space ends below 2^48, so the pointer loses nothing. An
 * entry goes to the first free slot from its home chunk on; each chunk counts the entries that
 * passed it, so a lookup stops at the first chunk whose count is 0, and a removal pulls a
 * passed entry back into the hole, so no tombstones pile up under churn. A shard grows by an
 * eighth, in whole pages (any number of chunks works: the home is hash * chunks >> 32), when
 * it would pass 80% full: 16-18 bytes per live block, with one shard at a time holding an old
 * and a new array while it grows. Most operations touch one cache line of the table.
 *
 * What does not pack (sizes of 256 MiB and more, pointers that are not 16-byte aligned or lie
 * above 2^48) goes whole into the shard's side table of 16-byte entries {ptr, size:40 |
 * stack:24}, empty in practice; a pointer is in at most one of the two. Nothing here calls
 * malloc: all memory comes from mmap. */
#include "heap_table.h"

#include <string.h>

#include "spin.h"
#include "ring.h"
#include "stack.h"
#include "sys.h"

#define LK_KEY_MASK    ((1ull << 44) - 1) /* ptr >> 4; 0 marks an empty slot */
#define LK_SMALL_MAX   ((1ull << 28) - 1) /* larger sizes live in the side table */
#define LK_PAGE        4096u
#define LK_SIDE_MIN    (LK_PAGE / sizeof(lk_heap_side_t))
#define LK_CHUNK_SLOTS 5
#define LK_LOAD_NUM    4 /* grow when live entries would pass 4/5 of the slots */
#define LK_LOAD_DEN    5
#define LK_GROW_SHIFT  3 /* by cap >> 3 */

/* Three 32-bit words; lo (the first two, read unaligned) = key | size bits 0..19 << 44,
 * hi = stack | size bits 20..27 << 24. */
typedef struct {
	uint32_t w[3];
} lk_heap_entry_t;

/* One cache line: five entries and the count of entries that belong to this chunk or an
 * earlier one of their probe run but sit past it. A lookup stops at the first chunk whose
 * count is 0, so a removal only empties its slot (and walks the counts back), no tombstones. */
typedef struct {
	lk_heap_entry_t e[LK_CHUNK_SLOTS];
	uint32_t overflow;
} __attribute__((aligned(64))) lk_heap_chunk_t;

typedef struct {
	uint64_t ptr;    /* 0: empty */
	uint64_t packed; /* size << 24 | stack id */
} lk_heap_side_t;

typedef struct {
	int lock;
	uint32_t cap; /* chunks, 0 before first use */
	uint32_t live;
	uint32_t side_cap; /* power of two, 0 while there is no side table */
	uint32_t side_live;
	lk_heap_chunk_t *chunks;
	lk_heap_side_t *side;
	char pad[64 - 40];
} lk_heap_shard_t;

_Static_assert(sizeof(lk_heap_entry_t) == 12, "12-byte entries");
_Static_assert(sizeof(lk_heap_chunk_t) == 64, "one cache line per chunk");
_Static_assert(sizeof(lk_heap_shard_t) == 64, "one cache line per shard");

static lk_heap_shard_t lk_heap_shards[LK_HEAP_SHARDS] __attribute__((aligned(64)));

/* The shard comes from the top 8 bits, the home chunk from the 32 below them. */
static inline uint64_t lk_heap_hash(uintptr_t ptr)
{
	return (uint64_t)(ptr >> 4) * 0x9e3779b97f4a7c15ull;
}

static inline lk_heap_shard_t *lk_heap_shard(uint64_t h)
{
	return &lk_heap_shards[h >> 56];
}

static inline uint32_t lk_heap_home(uint64_t h, uint32_t cap)
{
	return (uint32_t)(((uint64_t)(uint32_t)(h >> 24) * cap) >> 32);
}

static inline bool lk_heap_ptr_packs(uintptr_t ptr)
{
	return ptr && !(ptr & 15) && (uint64_t)(ptr >> 4) <= LK_KEY_MASK;
}

static inline uint64_t lk_entry_key(const lk_heap_entry_t *e)
{
	uint64_t lo;
	memcpy(&lo, e->w, sizeof(lo));
	return lo & LK_KEY_MASK;
}

static inline void lk_entry_set(lk_heap_entry_t *e, uint64_t key, uint64_t size, uint32_t stack)
{
	uint64_t lo = key | (size & 0xfffff) << 44;
	memcpy(e->w, &lo, sizeof(lo));
	e->w[2] = (stack & 0xffffff) | (uint32_t)(size >> 20) << 24;
}

static inline void lk_entry_get(const lk_heap_entry_t *e, uint64_t *size, uint32_t *stack)
{
	uint64_t lo;
	memcpy(&lo, e->w, sizeof(lo));
	*size = lo >> 44 | (uint64_t)(e->w[2] >> 24) << 20;
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

/* Returns the entry holding key, or NULL; *chunk is its chunk. At most one lap: when every
 * chunk overflows (possible in principle), a missing key must not loop forever. */
static lk_heap_entry_t *lk_main_find_locked(lk_heap_shard_t *s, uint64_t h, uint64_t key,
                                            uint32_t *chunk)
{
	uint32_t cap = s->cap;
	for (uint32_t c = cap ? lk_heap_home(h, cap) : 0, n = 0; n < cap; n++) {
		lk_heap_chunk_t *ch = &s->chunks[c];
		for (int k = 0; k < LK_CHUNK_SLOTS; k++) {
			if (lk_entry_key(&ch->e[k]) == key) {
				*chunk = c;
				return &ch->e[k];
			}
		}
		if (!ch->overflow)
			return NULL;
		if (++c == cap)
			c = 0;
	}
	return NULL;
}

/* Returns the first empty slot of h's probe run, counting the overflow in every full chunk
 * it passes. The array must have an empty slot. */
static lk_heap_entry_t *lk_main_claim(lk_heap_chunk_t *chunks, uint32_t cap, uint64_t h)
{
	for (uint32_t c = lk_heap_home(h, cap);;) {
		lk_heap_chunk_t *ch = &chunks[c];
		for (int k = 0; k < LK_CHUNK_SLOTS; k++)
			if (!lk_entry_key(&ch->e[k]))
				return &ch->e[k];
		ch->overflow++;
		if (++c == cap)
			c = 0;
	}
}

/* Grows the array by an eighth (at least a page), in whole pages of chunks. */
static bool lk_main_grow_locked(lk_heap_shard_t *s)
{
	size_t want = (size_t)s->cap + (s->cap >> LK_GROW_SHIFT);
	size_t bytes = (want * sizeof(lk_heap_chunk_t) + LK_PAGE - 1) & ~(size_t)(LK_PAGE - 1);
	if (bytes <= (size_t)s->cap * sizeof(lk_heap_chunk_t))
		bytes += LK_PAGE;
	if (bytes / sizeof(lk_heap_chunk_t) > UINT32_MAX / LK_CHUNK_SLOTS)
		return false;
	uint32_t cap = (uint32_t)(bytes / sizeof(lk_heap_chunk_t));
	lk_heap_chunk_t *chunks = lk_sys_mmap(bytes);
	if (!chunks)
		return false;
	for (uint32_t c = 0; c < s->cap; c++) {
		for (int k = 0; k < LK_CHUNK_SLOTS; k++) {
			const lk_heap_entry_t *e = &s->chunks[c].e[k];
			uint64_t key = lk_entry_key(e);
			if (key)
				*lk_main_claim(chunks, cap, key * 0x9e3779b97f4a7c15ull) = *e;
		}
	}
	lk_sys_munmap(s->chunks, (size_t)s->cap * sizeof(lk_heap_chunk_t));
	s->chunks = chunks;
	s->cap = cap;
	return true;
}

static inline uint32_t lk_main_home_of(const lk_heap_entry_t *e, uint32_t cap)
{
	return lk_heap_home(lk_entry_key(e) * 0x9e3779b97f4a7c15ull, cap);
}

/* Removes e (in chunk c). While the chunk with the hole has entries that were pushed past it,
 * the nearest of them moves back into the hole, leaving one further on: chunks that overflow
 * stay full, so lookups after many removals probe as few chunks as in a fresh table (the role
 * backward-shift deletion plays for plain linear probing). */
static void lk_main_delete_locked(lk_heap_shard_t *s, lk_heap_entry_t *e, uint32_t c)
{
	uint32_t cap = s->cap;
	for (uint32_t i = lk_main_home_of(e, cap); i != c;) {
		s->chunks[i].overflow--;
		if (++i == cap)
			i = 0;
	}
	while (s->chunks[c].overflow) {
		lk_heap_entry_t *x = NULL;
		uint32_t j = c;
		for (uint32_t d = 1; !x && d < cap; d++) {
			if (++j == cap)
				j = 0;
			for (int k = 0; k < LK_CHUNK_SLOTS && !x; k++) {
				lk_heap_entry_t *y = &s->chunks[j].e[k];
				if (!lk_entry_key(y))
					continue;
				uint32_t home = lk_main_home_of(y, cap);
				if ((j >= home ? j - home : j + cap - home) >= d)
					x = y;
			}
		}
		if (!x)
			break; /* cannot happen: the count says such an entry exists */
		*e = *x;
		for (uint32_t i = c; i != j;) {
			s->chunks[i].overflow--;
			if (++i == cap)
				i = 0;
		}
		e = x;
		c = j;
	}
	memset(e, 0, sizeof(*e));
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
		lk_heap_side_t *side = lk_sys_mmap((size_t)cap * sizeof(*side));
		if (!side)
			return false;
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

bool lk_heap_table_insert(uintptr_t ptr, uint64_t size, uint32_t stack_id)
{
	if (!ptr)
		return false;
	uint64_t h = lk_heap_hash(ptr);
	lk_heap_shard_t *s = lk_heap_shard(h);
	if (size > LK_HEAP_MAX_SIZE)
		size = LK_HEAP_MAX_SIZE;
	stack_id &= 0xffffff;
	bool packs = lk_heap_ptr_packs(ptr), small = packs && size <= LK_SMALL_MAX, ok = true;
	lk_heap_lock(s);
	/* An insert of a live pointer (a free we never saw, e.g. through a hook we do not own)
	 * replaces it, wherever it was. */
	uint32_t c = 0;
	lk_heap_entry_t *e = packs ? lk_main_find_locked(s, h, ptr >> 4, &c) : NULL;
	if (e && !small) {
		lk_main_delete_locked(s, e, c);
		e = NULL;
	}
	lk_heap_side_t *side = e ? NULL : lk_side_find_locked(s, h, ptr);
	if (side && small) {
		lk_side_delete_locked(s, side);
		side = NULL;
	}
	if (e) {
		lk_entry_set(e, ptr >> 4, size, stack_id);
	} else if (side) {
		side->packed = size << 24 | stack_id;
	} else if (!small) {
		ok = lk_side_insert_locked(s, ptr, size << 24 | stack_id);
	} else {
		if ((uint64_t)(s->live + 1) * LK_LOAD_DEN >
		    (uint64_t)s->cap * LK_CHUNK_SLOTS * LK_LOAD_NUM)
			ok = lk_main_grow_locked(s);
		if (ok) {
			lk_entry_set(lk_main_claim(s->chunks, s->cap, h), ptr >> 4, size, stack_id);
			s->live++;
		}
	}
	lk_heap_unlock(s);
	return ok;
}

static bool lk_heap_get(uintptr_t ptr, uint64_t *size, uint32_t *stack_id, bool remove)
{
	if (!ptr)
		return false;
	uint64_t h = lk_heap_hash(ptr);
	lk_heap_shard_t *s = lk_heap_shard(h);
	uint32_t c = 0;
	lk_heap_lock(s);
	lk_heap_entry_t *e =
	    lk_heap_ptr_packs(ptr) ? lk_main_find_locked(s, h, ptr >> 4, &c) : NULL;
	bool found = e != NULL;
	if (e) {
		lk_entry_get(e, size, stack_id);
		if (remove)
			lk_main_delete_locked(s, e, c);
	} else {
		lk_heap_side_t *se = lk_side_find_locked(s, h, ptr);
		if (se) {
			*size = se->packed >> 24;
			*stack_id = (uint32_t)(se->packed & 0xffffff);
			if (remove)
				lk_side_delete_locked(s, se);
			found = true;
		}
	}
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
		n += __atomic_load_n(&lk_heap_shards[i].live, __ATOMIC_RELAXED) +
		     __atomic_load_n(&lk_heap_shards[i].side_live, __ATOMIC_RELAXED);
	return n;
}

uint64_t lk_heap_table_bytes(void)
{
	uint64_t n = 0;
	for (int i = 0; i < LK_HEAP_SHARDS; i++)
		n += (uint64_t)__atomic_load_n(&lk_heap_shards[i].cap, __ATOMIC_RELAXED) *
		         sizeof(lk_heap_chunk_t) +
		     (uint64_t)__atomic_load_n(&lk_heap_shards[i].side_cap, __ATOMIC_RELAXED) *
		         sizeof(lk_heap_side_t);
	return n;
}

void lk_heap_table_foreach(void (*fn)(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id),
                           void *arg)
{
	for (int i = 0; i < LK_HEAP_SHARDS; i++) {
		lk_heap_shard_t *s = &lk_heap_shards[i];
		lk_heap_lock(s);
		for (uint32_t j = 0; j < s->cap * LK_CHUNK_SLOTS; j++) {
			const lk_heap_entry_t *e =
			    &s->chunks[j / LK_CHUNK_SLOTS].e[j % LK_CHUNK_SLOTS];
			uint64_t key = lk_entry_key(e), size;
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

void lk_heap_table_lock_all(void)
{
	for (int i = 0; i < LK_HEAP_SHARDS; i++)
		lk_heap_lock(&lk_heap_shards[i]);
}

void lk_heap_table_unlock_all(void)
{
	for (int i = 0; i < LK_HEAP_SHARDS; i++)
		lk_heap_unlock(&lk_heap_shards[i]);
}

void lk_heap_table_reset(void)
{
	for (int i = 0; i < LK_HEAP_SHARDS; i++) {
		lk_heap_shard_t *s = &lk_heap_shards[i];
		lk_sys_munmap(s->chunks, (size_t)s->cap * sizeof(lk_heap_chunk_t));
		lk_sys_munmap(s->side, (size_t)s->side_cap * sizeof(lk_heap_side_t));
		s->chunks = NULL;
		s->side = NULL;
		s->cap = s->live = s->side_cap = s->side_live = 0;
		lk_heap_unlock(s);
	}
}

/* ---- hook bookkeeping ---- */

void lk_heap_on_alloc(void *ptr, size_t size)
{
	uint32_t stack = lk_stack_capture();
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
