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

/* True if p came from lk_bootstrap_alloc. */
bool lk_bootstrap_owns(const void *p);

/* The size requested for p (p must be owned). */
size_t lk_bootstrap_size(const void *p);

#endif
