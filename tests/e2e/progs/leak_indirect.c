/* SPDX-License-Identifier: MIT */
/* leak_indirect.c - leaks whose blocks hold other blocks, as valgrind's "definitely" and
 * "indirectly lost" tell them apart (test_leak_indirect.sh):
 *   make_records  a list of RECORDS records, each with a name (record_name, strdup) and
 *                 TAGS tags (record_tags); the list is dropped: its head is leaked directly,
 *                 the other records, every name and every tag only through it
 *   make_cycle    two blocks pointing at each other, nothing else at them: one leaked
 *                 directly (a cycle has to be freed from somewhere), the other through it
 *   make_alone    a block holding no pointer and held by none: leaked directly
 *   make_cache    a global table and its entries (cache_entry): reachable, not leaked */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS 40
#define TAGS    3

struct record {
	char *name;
	char *tags[TAGS];
	struct record *next;
};

static void *volatile cache[16];

__attribute__((noinline)) static char *record_name(int i)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "record-%d", i);
	return strdup(buf);
}

__attribute__((noinline)) static void record_tags(struct record *r)
{
	for (int k = 0; k < TAGS; k++) {
		r->tags[k] = malloc(24);
		snprintf(r->tags[k], 24, "tag-%d", k);
	}
}

__attribute__((noinline)) static struct record *make_records(void)
{
	struct record *head = NULL;
	for (int i = 0; i < RECORDS; i++) {
		struct record *r = malloc(sizeof(*r));
		r->name = record_name(i);
		record_tags(r);
		r->next = head;
		head = r;
	}
	return head;
}

struct pair {
	struct pair *other;
	char pad[56];
};

__attribute__((noinline)) static void make_cycle(void)
{
	struct pair *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	a->other = b;
	b->other = a;
	__asm__ volatile("" : : "r"(a), "r"(b) : "memory");
}

__attribute__((noinline)) static void make_alone(void)
{
	char *p = malloc(100);
	memset(p, 'x', 100);
	__asm__ volatile("" : : "r"(p) : "memory");
}

__attribute__((noinline)) static void *cache_entry(int i)
{
	char *p = malloc(48);
	snprintf(p, 48, "entry-%d", i);
	return p;
}

__attribute__((noinline)) static void make_cache(void)
{
	for (int i = 0; i < 16; i++)
		cache[i] = cache_entry(i);
}

/* Overwrites the dead stack where the leaks' frames were. */
__attribute__((noinline)) static void scrub(void)
{
	volatile char buf[16384];
	memset((char *)buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

int main(void)
{
	struct record *volatile list = make_records();
	size_t names = 0;
	for (struct record *r = list; r; r = r->next)
		names += strlen(r->name);
	list = NULL; /* dropped: leaked */
	make_cycle();
	make_alone();
	make_cache();
	scrub();
	printf("%zu\n", names);
	return 0;
}
