/* SPDX-License-Identifier: MIT */
/* hard_bump_alloc.c - a program that takes most of its memory from its own mmap-based bump
 * allocator (an arena per run, released with munmap), with only a few malloc calls. The
 * preload sees little of the heap; it must not mind the big anonymous mappings, mremap
 * growth, or the program's threads never calling malloc. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ARENA_BYTES (64u << 20)

struct arena {
	char *base;
	size_t size;
	atomic_size_t used;
};

static struct arena arena;

static void *bump_alloc(size_t n)
{
	size_t off = atomic_fetch_add(&arena.used, (n + 15) & ~(size_t)15);

	return off + n <= arena.size ? arena.base + off : NULL;
}

static void *worker(void *arg)
{
	uint64_t sum = 0;

	for (int i = 0; i < 20000; i++) {
		unsigned char *p = bump_alloc(64 + (size_t)(i % 200));

		if (!p)
			break;
		memset(p, (int)(uintptr_t)arg + i, 64);
		sum += p[i % 64];
	}
	return (void *)(uintptr_t)sum;
}

int main(void)
{
	pthread_t th[4];
	uint64_t total = 0;
	char *grow;
	size_t grow_size = 1 << 16;

	arena.base =
	    mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena.base == MAP_FAILED)
		return 1;
	arena.size = ARENA_BYTES;
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);
	for (int i = 0; i < 4; i++) {
		void *r;

		pthread_join(th[i], &r);
		total += (uint64_t)(uintptr_t)r;
	}
	grow = mmap(NULL, grow_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 6 && grow != MAP_FAILED; i++) {
		memset(grow, i, grow_size);
		grow = mremap(grow, grow_size, grow_size * 2, MREMAP_MAYMOVE);
		grow_size *= 2;
	}
	char *few = malloc(100); /* the only malloc'd block */
	snprintf(few, 100, "used %zu bytes of the arena", atomic_load(&arena.used));
	printf("%s, checksum %llu\n", few, (unsigned long long)total);
	free(few);
	if (grow != MAP_FAILED)
		munmap(grow, grow_size);
	munmap(arena.base, ARENA_BYTES);
	return 0;
}
