/* SPDX-License-Identifier: MIT */
/* bootstrap.h - a small static arena that serves allocations made before the real malloc is
 * known: dlsym(RTLD_NEXT) itself calls calloc while libleak resolves malloc. Its memory is
 * never reused, so free() of it is a no-op and realloc() of it copies out. */
#ifndef LEAK_PRELOAD_BOOTSTRAP_H
#define LEAK_PRELOAD_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>

/* Any thread, lock-free. Zeroed memory aligned to `align` (a power of two, >= 16), or NULL
 * when the arena is exhausted. Never calls libc. */
void *lk_bootstrap_alloc(size_t size, size_t align);

#define LK_BOOTSTRAP_SIZE (256 * 1024)
extern unsigned char lk_bootstrap_arena[LK_BOOTSTRAP_SIZE];

/* True if p came from lk_bootstrap_alloc. Inline: every free() asks. */
static inline bool lk_bootstrap_owns(const void *p)
{
	return (const unsigned char *)p >= lk_bootstrap_arena &&
	       (const unsigned char *)p < lk_bootstrap_arena + LK_BOOTSTRAP_SIZE;
}

/* Bytes of the arena handed out so far (any thread). */
size_t lk_bootstrap_in_use(void);

/* The size requested for p (p must be owned). */
size_t lk_bootstrap_size(const void *p);

#endif
