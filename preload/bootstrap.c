/* SPDX-License-Identifier: MIT */
/* bootstrap.c - static arena for allocations made before lk_real is resolved (heaptrack's
 * DummyPool). Each block has a 16-byte header holding its size so realloc can copy out of it.
 * A bump pointer advanced by CAS: the arena is only ever used for a handful of calloc calls
 * from dlsym, so it never frees. */
#include "bootstrap.h"

#include <stdint.h>

_Alignas(64) unsigned char lk_bootstrap_arena[LK_BOOTSTRAP_SIZE];
static size_t lk_bootstrap_used;

void *lk_bootstrap_alloc(size_t size, size_t align)
{
	if (align < 16)
		align = 16;
	if (size > LK_BOOTSTRAP_SIZE)
		return NULL;
	size_t old = __atomic_load_n(&lk_bootstrap_used, __ATOMIC_RELAXED);
	for (;;) {
		size_t start = (old + 16 + align - 1) & ~(align - 1);
		size_t end = start + ((size + 15) & ~(size_t)15);
		if (end > LK_BOOTSTRAP_SIZE)
			return NULL;
		if (__atomic_compare_exchange_n(&lk_bootstrap_used, &old, end, false,
		                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			unsigned char *p = lk_bootstrap_arena + start;
			((size_t *)p)[-1] = size;
			return p;
		}
	}
}

size_t lk_bootstrap_in_use(void)
{
	return __atomic_load_n(&lk_bootstrap_used, __ATOMIC_ACQUIRE);
}

size_t lk_bootstrap_size(const void *p)
{
	return ((const size_t *)p)[-1];
}
