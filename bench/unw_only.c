/* SPDX-License-Identifier: MIT */
/* unw_only.c - the floor under any libunwind-based heap profiler: an LD_PRELOAD library whose
 * malloc, calloc, realloc and the aligned allocators take one unw_backtrace of up to 64 frames
 * (LEAK_DEPTH's default) and record nothing, then call glibc's. Frees are passed straight
 * through: profilers that record them take no stack there. The bench's "unw_backtrace alone"
 * column is this library; a profiler that beats it does not merely wrap libunwind.
 * Build: gcc -O2 -shared -fPIC -o unw_only.so unw_only.c -lunwind. */
#define UNW_LOCAL_ONLY
#include <errno.h>
#include <libunwind.h>
#include <stddef.h>
#include <stdint.h>

#define DEPTH 64

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static __thread int in_walk __attribute__((tls_model("initial-exec")));
/* The walks' results go somewhere the compiler cannot drop. */
static volatile uintptr_t sink;

static void walk(void)
{
	if (in_walk)
		return; /* libunwind allocating on its first use in a thread */
	in_walk = 1;
	void *frames[DEPTH];
	int n = unw_backtrace(frames, DEPTH);
	if (n > 0)
		sink += (uintptr_t)frames[n - 1];
	in_walk = 0;
}

void *malloc(size_t size)
{
	walk();
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	walk();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	walk();
	return __libc_realloc(p, size);
}

void free(void *p)
{
	__libc_free(p);
}

void *memalign(size_t align, size_t size)
{
	walk();
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	walk();
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	walk();
	void *p = __libc_memalign(align, size);
	if (!p && size)
		return ENOMEM;
	*out = p;
	return 0;
}
