/* SPDX-License-Identifier: MIT */
/* interpose_heap.c - the malloc family. Each hook makes the real call first (its result and
 * errno are the host's), then, if the guard can be entered, makes one call into heap_table.c
 * with errno saved around it. Before lk_real is resolved (dlsym's own calloc, or a malloc
 * from another library's constructor before ours ran) allocations come from the bootstrap
 * arena; freeing such a block is a no-op and realloc copies it out. With LEAK_SAMPLE (sample.h)
 * an unsampled allocation is not recorded at all, and free() of a block the sampled-address
 * filter has never seen costs one load. malloc's first test is the thread's countdown itself
 * (positive only while sampling); free's is its filter slot, and a slot at 0 jumps through
 * lk_free_unmarked, libc's free once armed (lk_heap_sample_arm, at the end of the constructor);
 * the other hooks' is, once armed, lk_sample_fast, that one pointer. The unsampled case is a
 * countdown or a filter load and a tail jump to libc's function: nothing else (no guard, no
 * errno, no bootstrap range check). */
#include "attach.h"
#include "bootstrap.h"
#include "heap_table.h"
#include "hook.h"
#include "sample.h"

#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cfree(void *ptr); /* gone from glibc's headers, still in the version script */

static inline bool lk_heap_real_ok(void)
{
	if (__builtin_expect(lk_real.malloc != NULL, 1))
		return true;
	return lk_real_init() == 0;
}

/* The recording halves of the hooks stay out of line, so that their fast paths (an
 * unsampled allocation, the free of a block the sampled-address filter has never seen) save
 * no registers on the way. */
/* frame: the hook's own frame record (__builtin_frame_address(0) in the function the program
 * called, or in the one it tail-jumped to), where the stack walk starts: the program's frame
 * first, no libleak frame to step over. errno is saved here for all below. */
__attribute__((noinline)) static void lk_heap_record_alloc_slow(void *ptr, size_t size,
                                                                const void *frame)
{
	if (ptr && lk_guard_enter()) {
		int saved = errno;
		lk_heap_on_alloc_at(ptr, size, frame);
		if (lk_sample_bytes)
			lk_sample_mark((uintptr_t)ptr);
		errno = saved;
		lk_guard_leave();
	}
}

/* True if sampling is on and an allocation of size bytes is not sampled: one TLS decrement.
 * The choice depends on the size only, so malloc and calloc make it before the real call
 * and hand an unsampled one straight to it (a tail jump, no frame of their own). */
static inline bool lk_heap_unsampled(size_t size)
{
	return lk_sample_bytes && !lk_sample_take(size);
}

/* always_inline: the frame is the hook's own. */
static __attribute__((always_inline)) inline void lk_heap_record_alloc(void *ptr, size_t size)
{
	/* Sampling first: an unsampled allocation costs one TLS decrement, not the guard. */
	if (lk_heap_unsampled(size))
		return;
	lk_heap_record_alloc_slow(ptr, size, __builtin_frame_address(0));
}

__attribute__((noinline)) static void lk_heap_record_free_slow(void *ptr)
{
	if (lk_guard_enter()) {
		int saved = errno;
		if (lk_heap_on_free(ptr) && lk_sample_bytes)
			lk_sample_unmark((uintptr_t)ptr);
		errno = saved;
		lk_guard_leave();
	}
}

/* The recorded allocations, out of line: malloc's and calloc's unsampled paths then save no
 * registers, they only jump to the real function. */
__attribute__((noinline)) static void *lk_malloc_recorded(size_t size)
{
	void *ptr = lk_real.malloc(size);
	lk_heap_record_alloc_slow(ptr, size, __builtin_frame_address(0));
	return ptr;
}

__attribute__((noinline)) static void *lk_calloc_recorded(size_t n, size_t size)
{
	void *ptr = lk_real.calloc(n, size);
	lk_heap_record_alloc_slow(ptr, n * size, __builtin_frame_address(0));
	return ptr;
}

/* Before libc's functions are resolved (dlsym itself allocates): the bootstrap arena. */
__attribute__((noinline)) static void *lk_malloc_early(size_t size)
{
	if (lk_real_init() == 0)
		return malloc(size);
	return lk_bootstrap_alloc(size, 16);
}

/* A sampling thread's countdown crossed its next point: sampled, or not (then a new point). */
__attribute__((noinline)) static void *lk_malloc_at_point(size_t size)
{
	if (!lk_sample_take_slow(size))
		return lk_real.malloc(size);
	return lk_malloc_recorded(size);
}

__attribute__((noinline)) static void *lk_calloc_at_point(size_t n, size_t size)
{
	if (!lk_sample_take_slow(n * size))
		return lk_real.calloc(n, size);
	return lk_calloc_recorded(n, size);
}

static void lk_free_impl(void *ptr);

/* Where free() sends a block whose filter slot is 0: libc's free once armed (sampling on: such
 * a block was never sampled), else the general path, which sees every free. Set once, by
 * lk_heap_sample_arm; never set back (sampling is set once, by the constructor, and an attached
 * library never arms). */
static void (*lk_free_unmarked)(void *ptr) = lk_free_impl;

void lk_heap_sample_arm(void)
{
	if (!lk_sample_bytes || !lk_real.malloc || !lk_real.free)
		return;
	/* A block of the bootstrap arena must never reach libc's free or realloc: the slots of
	 * what the arena has handed out (nothing more once lk_real is resolved, as it is now)
	 * are saturated, so their free() always takes the general path. */
	uintptr_t a = (uintptr_t)lk_bootstrap_arena, end = a + lk_bootstrap_in_use();
	for (uintptr_t p = a & ~(uintptr_t)((1u << LK_SAMPLE_SLOT_SHIFT) - 1); p < end;
	     p += 1u << LK_SAMPLE_SLOT_SHIFT)
		__atomic_store_n(&lk_sample_filter[lk_sample_filter_slot(p)], 255,
		                 __ATOMIC_RELAXED);
	__atomic_store_n(&lk_sample_fast, lk_sample_filter, __ATOMIC_RELEASE);
	__atomic_store_n(&lk_free_unmarked, lk_real.free, __ATOMIC_RELEASE);
}

/* Armed sampling (see lk_heap_sample_arm): the filter, or NULL. */
static inline uint8_t *lk_heap_sample_fast(void)
{
	return __atomic_load_n(&lk_sample_fast, __ATOMIC_ACQUIRE);
}

/* malloc when its countdown ran out: the thread's next sample point is reached, sampling is
 * off (the countdown is never positive then), it is the thread's first allocation, or libc's
 * functions are not resolved yet. */
__attribute__((noinline)) static void *lk_malloc_slow(size_t size)
{
	if (__builtin_expect(lk_real.malloc == NULL, 0))
		return lk_malloc_early(size);
	if (!lk_sample_bytes) {
		lk_sample_left = 0; /* counted down on every call: keep it from ever wrapping */
		return lk_malloc_recorded(size);
	}
	return lk_malloc_at_point(size);
}

LK_EXPORT void *malloc(size_t size)
{
	/* An allocation short of the thread's next sample point is not recorded at all, and goes
	 * straight to the real malloc: one TLS decrement and test, no other load. The countdown
	 * is positive only in a thread that has drawn a sample point (lk_sample_take_slow), so
	 * only with sampling on and libc's malloc resolved. */
	if (__builtin_expect(lk_sample_short_of_point(size), 1))
		return lk_real.malloc(size);
	return lk_malloc_slow(size);
}

LK_EXPORT void *calloc(size_t n, size_t size)
{
	if (lk_heap_sample_fast()) {
		if (__builtin_expect(lk_sample_short_of_point(n * size), 1))
			return lk_real.calloc(n, size);
		return lk_calloc_at_point(n, size);
	}
	if (__builtin_expect(!lk_heap_real_ok(), 0)) {
		size_t total;
		if (__builtin_mul_overflow(n, size, &total))
			return NULL;
		return lk_bootstrap_alloc(total, 16); /* never reused, so already zero */
	}
	if (lk_heap_unsampled(n * size))
		return lk_real.calloc(n, size);
	return lk_calloc_recorded(n, size);
}

/* Record before the real free: once freed, another thread may get the same address and
 * insert it before we removed it. */
__attribute__((noinline)) static void lk_free_recorded(void *ptr)
{
	/* After the final snapshot (a Python program's finalization, which frees most of its
	 * heap) the table is never read again: no hint for it. */
	if (__builtin_expect(lk_disabled, 0))
		return lk_real.free(ptr);
	/* Two cache misses when the program's heap outgrows the caches, as a heap of blocks
	 * freed at random soon does (10,000 blocks of 16-512 B): the block's table slot, and its
	 * chunk header, which the real free reads. Both are fetched now, the header while the
	 * table is updated. A prefetch never faults. */
	lk_heap_table_prefetch((uintptr_t)ptr);
	__builtin_prefetch((const char *)ptr - sizeof(size_t), 0, 3);
	lk_heap_record_free_slow(ptr);
	lk_real.free(ptr);
}

/* Before libc's functions are resolved: cannot happen in practice (a block the bootstrap
 * arena did not serve, before init). */
__attribute__((noinline)) static void lk_free_early(void *ptr)
{
	if (lk_real_init() == 0)
		lk_free_impl(ptr);
}

static inline void lk_free_impl(void *ptr)
{
	if (!ptr || lk_bootstrap_owns(ptr))
		return;
	if (__builtin_expect(!lk_real.free, 0))
		return lk_free_early(ptr);
	/* Sampling: a block the filter never saw goes straight to the real free (no frame). */
	if (lk_sample_bytes && !lk_sample_maybe_marked((uintptr_t)ptr))
		return lk_real.free(ptr);
	lk_free_recorded(ptr);
}

/* Armed sampling: true if ptr is certainly not a live sampled block (nor a bootstrap one),
 * for a hook to hand it straight to libc's function. NULL finds its slot like any pointer. */
static inline bool lk_heap_sample_unmarked(const void *ptr)
{
	uint8_t *f = lk_heap_sample_fast();
	/* Both expected: the unsampled free falls through to its tail jump, no taken branch. */
	return __builtin_expect(f != NULL, 1) &&
	       __builtin_expect(
	           !__atomic_load_n(&f[lk_sample_filter_slot((uintptr_t)ptr)], __ATOMIC_RELAXED),
	           1);
}

/* The filter's slot of ptr, then a jump: libc's free when sampling is armed and the slot is 0
 * (one load, at a fixed offset from this code, and the jump's own), the general path
 * otherwise. */
LK_EXPORT void free(void *ptr)
{
	if (__builtin_expect(!lk_sample_slot_marked((uintptr_t)ptr), 1))
		return __atomic_load_n(&lk_free_unmarked, __ATOMIC_RELAXED)(ptr);
	lk_free_impl(ptr);
}

/* free's old name: free's own test and jump. */
LK_EXPORT void cfree(void *ptr)
{
	if (__builtin_expect(!lk_sample_slot_marked((uintptr_t)ptr), 1))
		return __atomic_load_n(&lk_free_unmarked, __ATOMIC_RELAXED)(ptr);
	lk_free_impl(ptr);
}

/* Armed sampling, and an allocation of size bytes short of the thread's next sample point:
 * true, counted down. False (nothing counted) if not armed or at the point, for the general
 * path to count it. */
static inline bool lk_heap_sample_skip(size_t size)
{
	if (!lk_heap_sample_fast())
		return false;
	if (__builtin_expect(lk_sample_short_of_point(size), 1))
		return true;
	lk_sample_left += (int64_t)size; /* the general path counts it again */
	return false;
}

static void *lk_realloc_impl(void *ptr, size_t size)
{
	if (ptr && lk_bootstrap_owns(ptr)) {
		size_t old = lk_bootstrap_size(ptr);
		void *n = lk_heap_real_ok() ? lk_real.malloc(size) : lk_bootstrap_alloc(size, 16);
		if (n) {
			memcpy(n, ptr, old < size ? old : size);
			if (lk_real.malloc)
				lk_heap_record_alloc(n, size);
		}
		return n;
	}
	if (__builtin_expect(!lk_heap_real_ok(), 0))
		return ptr ? NULL : lk_bootstrap_alloc(size, 16);
	if (!lk_guard_enter())
		return lk_real.realloc(ptr, size);
	/* realloc = free(old) + alloc(new). The old block leaves the table before the real call
	 * (its address may be reused as soon as realloc frees it) and comes back if it fails. */
	int saved = errno;
	uint64_t old_size = 0;
	uint32_t old_stack = 0;
	bool sampling = lk_sample_bytes != 0;
	bool tracked = ptr && (!sampling || lk_sample_maybe_marked((uintptr_t)ptr)) &&
	               lk_heap_on_realloc_begin(ptr, &old_size, &old_stack);
	if (tracked && sampling)
		lk_sample_unmark((uintptr_t)ptr);
	errno = saved;
	void *n = lk_real.realloc(ptr, size);
	saved = errno;
	if (!n && size) { /* failed: the old block stays as it was */
		if (tracked) {
			lk_heap_on_realloc_end(ptr, true, old_size, old_stack, NULL, size);
			if (sampling)
				lk_sample_mark((uintptr_t)ptr);
		}
	} else if (ptr || n) {
		/* The new block is an allocation of its own: sampled on its own size. */
		/* Attached to a running program, a block it had before the window is unknown:
		 * what realloc makes of it is that block still, counted nowhere. */
		bool rec = n && (!sampling || lk_sample_take(size)) &&
		           (tracked || !ptr || !lk_attach_mode);
		/* The new block's walk starts at this frame: realloc tail-jumps here, so its
		 * caller is the program's. */
		lk_stack_hook_frame = __builtin_frame_address(0);
		lk_heap_on_realloc_end(ptr, tracked, old_size, old_stack, rec ? n : NULL,
		                       rec ? size : 0);
		lk_stack_hook_frame = NULL;
		if (rec && sampling)
			lk_sample_mark((uintptr_t)n);
	}
	errno = saved;
	lk_guard_leave();
	return n;
}

LK_EXPORT void *realloc(void *ptr, size_t size)
{
	/* Armed sampling: an old block the filter never saw, and a new one not sampled. */
	if (lk_heap_sample_unmarked(ptr)) {
		if (__builtin_expect(lk_sample_short_of_point(size), 1))
			return lk_real.realloc(ptr, size);
		lk_sample_left += (int64_t)size; /* lk_realloc_impl counts it again */
	}
	return lk_realloc_impl(ptr, size);
}

LK_EXPORT void *reallocarray(void *ptr, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	/* glibc's reallocarray calls its realloc internally, past our hook: record it here. */
	return lk_realloc_impl(ptr, total);
}

__attribute__((noinline)) static int lk_posix_memalign_impl(void **memptr, size_t align,
                                                            size_t size);

LK_EXPORT int posix_memalign(void **memptr, size_t align, size_t size)
{
	if (lk_heap_sample_skip(size))
		return lk_real.posix_memalign(memptr, align, size);
	return lk_posix_memalign_impl(memptr, align, size);
}

static int lk_posix_memalign_impl(void **memptr, size_t align, size_t size)
{
	if (__builtin_expect(!lk_heap_real_ok(), 0)) {
		*memptr = lk_bootstrap_alloc(size, align);
		return *memptr ? 0 : ENOMEM;
	}
	int r = lk_real.posix_memalign(memptr, align, size);
	if (r == 0)
		lk_heap_record_alloc(*memptr, size);
	return r;
}

__attribute__((noinline)) static void *lk_aligned_alloc_impl(size_t align, size_t size);

LK_EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (lk_heap_sample_skip(size))
		return lk_real.aligned_alloc(align, size);
	return lk_aligned_alloc_impl(align, size);
}

static void *lk_aligned_alloc_impl(size_t align, size_t size)
{
	if (__builtin_expect(!lk_heap_real_ok(), 0))
		return lk_bootstrap_alloc(size, align);
	void *ptr = lk_real.aligned_alloc(align, size);
	lk_heap_record_alloc(ptr, size);
	return ptr;
}

__attribute__((noinline)) static void *lk_memalign_impl(size_t align, size_t size);

LK_EXPORT void *memalign(size_t align, size_t size)
{
	if (lk_heap_sample_skip(size))
		return lk_real.memalign(align, size);
	return lk_memalign_impl(align, size);
}

static void *lk_memalign_impl(size_t align, size_t size)
{
	if (__builtin_expect(!lk_heap_real_ok(), 0))
		return lk_bootstrap_alloc(size, align);
	void *ptr = lk_real.memalign(align, size);
	lk_heap_record_alloc(ptr, size);
	return ptr;
}

LK_EXPORT void *valloc(size_t size)
{
	if (__builtin_expect(!lk_heap_real_ok(), 0))
		return lk_bootstrap_alloc(size, 4096);
	void *ptr = lk_real.valloc(size);
	lk_heap_record_alloc(ptr, size);
	return ptr;
}

LK_EXPORT void *pvalloc(size_t size)
{
	if (__builtin_expect(!lk_heap_real_ok(), 0))
		return lk_bootstrap_alloc(size, 4096);
	void *ptr = lk_real.pvalloc(size);
	/* pvalloc hands out whole pages (at least one): that is what the caller owns. */
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	lk_heap_record_alloc(ptr, size ? (size + page - 1) & ~(page - 1) : page);
	return ptr;
}
