/* SPDX-License-Identifier: MIT */
/* hard_own_malloc.c - a program that defines malloc, free and friends itself, as programs
 * linking a static allocator (jemalloc, tcmalloc, mimalloc without a prefix) do. The
 * executable comes first in symbol lookup, so its malloc wins over the preload's for the
 * program and for libc's internal calls alike. The allocator is a thread-safe bump arena;
 * free and realloc refuse a pointer they did not hand out (they abort with a message), which
 * catches a profiler that allocates with libc's malloc and frees with the global free. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ARENA_BYTES (512ul << 20)
#define HDR         16

static char *arena;
static atomic_size_t used;
static atomic_ulong n_calls;

static void die(const char *msg)
{
	if (write(2, msg, strlen(msg)) < 0) {
		/* nothing more to do */
	}
	abort();
}

static void arena_init(void)
{
	/* Called from the first malloc, which may be the dynamic loader's or libc's, before
	 * any constructor: only mmap, no libc state. */
	char *p = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *expected = NULL;

	if (p == MAP_FAILED)
		die("hard_own_malloc: mmap failed\n");
	if (!__atomic_compare_exchange_n(&arena, &expected, p, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE))
		munmap(p, ARENA_BYTES);
}

static void *arena_alloc(size_t n, size_t align)
{
	size_t start, off;

	if (!__atomic_load_n(&arena, __ATOMIC_ACQUIRE))
		arena_init();
	if (align < HDR)
		align = HDR;
	if (n > ARENA_BYTES) {
		errno = ENOMEM;
		return NULL;
	}
	start = atomic_fetch_add(&used, n + align + HDR);
	off = (start + HDR + align - 1) & ~(align - 1);
	if (off + n > ARENA_BYTES) {
		errno = ENOMEM;
		return NULL;
	}
	atomic_fetch_add_explicit(&n_calls, 1, memory_order_relaxed);
	*(size_t *)(arena + off - HDR) = n;
	return arena + off;
}

static size_t arena_size(void *p, const char *who)
{
	char *c = p;

	if (c < arena || c >= arena + ARENA_BYTES) {
		char msg[128];

		snprintf(msg, sizeof msg, "hard_own_malloc: %s of a foreign pointer %p\n", who, p);
		die(msg);
	}
	return *(size_t *)(c - HDR);
}

void *malloc(size_t n)
{
	return arena_alloc(n, HDR);
}

void free(void *p)
{
	if (p)
		arena_size(p, "free");
}

void *calloc(size_t a, size_t b)
{
	size_t n;

	if (__builtin_mul_overflow(a, b, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	return arena_alloc(n, HDR); /* fresh mmap pages are zero and never reused */
}

void *realloc(void *p, size_t n)
{
	void *q;
	size_t old;

	if (!p)
		return malloc(n);
	old = arena_size(p, "realloc");
	q = malloc(n);
	if (q)
		memcpy(q, p, old < n ? old : n);
	return q;
}

void *reallocarray(void *p, size_t a, size_t b)
{
	size_t n;

	if (__builtin_mul_overflow(a, b, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n);
}

void *memalign(size_t align, size_t n)
{
	return arena_alloc(n, align);
}

void *aligned_alloc(size_t align, size_t n)
{
	return arena_alloc(n, align);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = arena_alloc(n, align);

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t n)
{
	return arena_alloc(n, 4096);
}

void *pvalloc(size_t n)
{
	return arena_alloc((n + 4095) & ~(size_t)4095, 4096);
}

size_t malloc_usable_size(void *p)
{
	return p ? arena_size(p, "malloc_usable_size") : 0;
}

static void *worker(void *arg)
{
	unsigned long sum = 0;

	for (int i = 0; i < 20000; i++) {
		char *s = malloc(32);

		snprintf(s, 32, "%d-%d", (int)(uintptr_t)arg, i);
		char *d = strdup(s);

		sum += strlen(d);
		free(s);
		free(d);
	}
	return (void *)(uintptr_t)sum;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	pthread_t th[4];
	unsigned long total = 0;
	char *words[100];
	FILE *f;

	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);
	for (int i = 0; i < 4; i++) {
		void *r;

		pthread_join(th[i], &r);
		total += (unsigned long)(uintptr_t)r;
	}
	for (int i = 0; i < 100; i++) {
		char buf[32];

		snprintf(buf, sizeof buf, "w%03d", (i * 37) % 100);
		words[i] = strdup(buf);
	}
	qsort(words, 100, sizeof words[0], cmp);
	f = fopen("/proc/self/status", "r");
	if (f)
		fclose(f);
	printf("own malloc: checksum %lu, first %s, last %s\n", total, words[0], words[99]);
	for (int i = 0; i < 100; i++)
		free(words[i]);
	return 0;
}
