/* heap_table.c - live heap blocks, and the heap hooks' bookkeeping on top of them.
 *
 * Shape: 256 shards chosen by a pointer hash; each shard is an open-addressing (linear probe)
 * array of 16-byte entries {ptr, size:40 | stack:24} behind a one-word spinlock, so threads
 * freeing different blocks rarely meet. ptr 0 is an empty slot, 1 a tombstone. A shard grows
 * (or is rehashed in place to shed tombstones) into fresh mmap'd memory when used slots,
 * tombstones included, would pass 50%. Nothing here calls malloc. */
#include "heap_table.h"
#include "spin.h"
#include "ring.h"
#include "stack.h"
#include "sys.h"

#define LK_EMPTY     0
#define LK_TOMB      1
#define LK_SHARD_MIN 256

typedef struct {
	uint64_t ptr;
	uint64_t packed; /* size << 24 | stack id */
} lk_heap_entry_t;

typedef struct {
	int lock;
	uint32_t cap; /* power of two, 0 before first use */
	uint32_t live;
	uint32_t tombs;
	lk_heap_entry_t *slots;
	char pad[64 - 24];
} lk_heap_shard_t;

static lk_heap_shard_t lk_heap_shards[LK_HEAP_SHARDS] __attribute__((aligned(64)));

static inline uint64_t lk_heap_hash(uintptr_t p)
{
	uint64_t h = (uint64_t)p * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 31);
}

static inline lk_heap_shard_t *lk_heap_shard(uint64_t h)
{
	return &lk_heap_shards[h >> 56];
}

static inline void lk_heap_lock(lk_heap_shard_t *s)
{
	lk_spin_lock(&s->lock);
}

static inline void lk_heap_unlock(lk_heap_shard_t *s)
{
	lk_spin_unlock(&s->lock);
}

/* Lock held. Rehashes into a table of new_cap slots. */
static bool lk_heap_rehash_locked(lk_heap_shard_t *s, uint32_t new_cap)
{
	lk_heap_entry_t *slots = lk_sys_mmap((size_t)new_cap * sizeof(*slots));
	if (!slots)
		return false;
	uint32_t mask = new_cap - 1;
	for (uint32_t i = 0; i < s->cap; i++) {
		lk_heap_entry_t *e = &s->slots[i];
		if (e->ptr <= LK_TOMB)
			continue;
		uint32_t j = (uint32_t)lk_heap_hash(e->ptr) & mask;
		while (slots[j].ptr)
			j = (j + 1) & mask;
		slots[j] = *e;
	}
	lk_sys_munmap(s->slots, (size_t)s->cap * sizeof(*slots));
	s->slots = slots;
	s->cap = new_cap;
	s->tombs = 0;
	return true;
}

/* Lock held. Returns the slot holding ptr, or NULL. */
static lk_heap_entry_t *lk_heap_find_locked(lk_heap_shard_t *s, uint64_t h, uintptr_t ptr)
{
	if (!s->cap)
		return NULL;
	uint32_t mask = s->cap - 1;
	for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
		lk_heap_entry_t *e = &s->slots[i];
		if (e->ptr == ptr)
			return e;
		if (e->ptr == LK_EMPTY)
			return NULL;
	}
}

bool lk_heap_table_insert(uintptr_t ptr, uint64_t size, uint32_t stack_id)
{
	uint64_t h = lk_heap_hash(ptr);
	lk_heap_shard_t *s = lk_heap_shard(h);
	if (size > LK_HEAP_MAX_SIZE)
		size = LK_HEAP_MAX_SIZE;
	uint64_t packed = size << 24 | (stack_id & 0xffffff);
	lk_heap_lock(s);
	lk_heap_entry_t *e = lk_heap_find_locked(s, h, ptr);
	if (e) { /* a free we never saw (e.g. dropped by a hook we do not own): replace */
		e->packed = packed;
		lk_heap_unlock(s);
		return true;
	}
	if ((uint64_t)(s->live + s->tombs + 1) * 2 > s->cap) {
		uint32_t cap = s->cap ? s->cap : LK_SHARD_MIN;
		/* Double when live entries fill it; a table full of tombstones is rehashed at the
		 * same size. Afterwards at most a third full: 16-byte entries cost 32-48 bytes per
		 * live block. */
		while ((uint64_t)(s->live + 1) * 3 > cap)
			cap *= 2;
		if (!lk_heap_rehash_locked(s, cap)) {
			lk_heap_unlock(s);
			return false;
		}
	}
	uint32_t mask = s->cap - 1;
	uint32_t i = (uint32_t)h & mask;
	while (s->slots[i].ptr > LK_TOMB)
		i = (i + 1) & mask;
	if (s->slots[i].ptr == LK_TOMB)
		s->tombs--;
	s->slots[i].ptr = ptr;
	s->slots[i].packed = packed;
	s->live++;
	lk_heap_unlock(s);
	return true;
}

static bool lk_heap_get(uintptr_t ptr, uint64_t *size, uint32_t *stack_id, bool remove)
{
	if (ptr <= LK_TOMB)
		return false;
	uint64_t h = lk_heap_hash(ptr);
	lk_heap_shard_t *s = lk_heap_shard(h);
	lk_heap_lock(s);
	lk_heap_entry_t *e = lk_heap_find_locked(s, h, ptr);
	if (e) {
		*size = e->packed >> 24;
		*stack_id = (uint32_t)(e->packed & 0xffffff);
		if (remove) {
			/* A tombstone keeps later entries of the probe chain reachable; when the
			 * next slot is empty no chain passes through, so the slot can simply be
			 * emptied. */
			uint32_t next = (uint32_t)(e - s->slots + 1) & (s->cap - 1);
			if (s->slots[next].ptr == LK_EMPTY) {
				e->ptr = LK_EMPTY;
			} else {
				e->ptr = LK_TOMB;
				s->tombs++;
			}
			s->live--;
		}
	}
	lk_heap_unlock(s);
	return e != NULL;
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
		n += __atomic_load_n(&lk_heap_shards[i].live, __ATOMIC_RELAXED);
	return n;
}

uint64_t lk_heap_table_bytes(void)
{
	uint64_t n = 0;
	for (int i = 0; i < LK_HEAP_SHARDS; i++)
		n += (uint64_t)__atomic_load_n(&lk_heap_shards[i].cap, __ATOMIC_RELAXED) *
		     sizeof(lk_heap_entry_t);
	return n;
}

void lk_heap_table_foreach(void (*fn)(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id),
                           void *arg)
{
	for (int i = 0; i < LK_HEAP_SHARDS; i++) {
		lk_heap_shard_t *s = &lk_heap_shards[i];
		lk_heap_lock(s);
		for (uint32_t j = 0; j < s->cap; j++) {
			lk_heap_entry_t *e = &s->slots[j];
			if (e->ptr > LK_TOMB)
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
		lk_sys_munmap(s->slots, (size_t)s->cap * sizeof(lk_heap_entry_t));
		s->slots = NULL;
		s->cap = s->live = s->tombs = 0;
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
