/* SPDX-License-Identifier: MIT */
/* fwd_only.c - the floor under any heap profiler that interposes malloc from an LD_PRELOAD
 * library: malloc, calloc, realloc, free and the aligned allocators forwarded to glibc's with
 * nothing else done. The program's call goes through its PLT into this library and on to
 * glibc, which is the least an unmodified binary allows. The bench's "forwarding only" column
 * is this library: a sampled profiler that interposes the heap cannot be faster than it.
 * Build: gcc -O2 -shared -fPIC -o fwd_only.so fwd_only.c. */
#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

void *malloc(size_t size)
{
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	return __libc_realloc(p, size);
}

void free(void *p)
{
	__libc_free(p);
}

void *memalign(size_t align, size_t size)
{
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	void *p = __libc_memalign(align, size);
	if (!p && size)
		return ENOMEM;
	*out = p;
	return 0;
}
