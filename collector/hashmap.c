/* SPDX-License-Identifier: MIT */
/* hashmap.c - see hashmap.h. The hash is a 64-bit finaliser (splitmix64), so sequential ids
 * and fd<<32|gen keys spread evenly. */
#include "hashmap.h"

#include <stdlib.h>

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

void hashmap_fini(struct hashmap *h)
{
	free(h->slots);
	h->slots = NULL;
	h->cap = h->len = 0;
}

static struct hashmap_slot *find_slot(struct hashmap_slot *slots, size_t cap, uint64_t key)
{
	size_t i = (size_t)mix(key) & (cap - 1);
	while (slots[i].used && slots[i].key != key)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct hashmap *h)
{
	size_t ncap = h->cap ? h->cap * 2 : 64;
	struct hashmap_slot *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -1;
	for (size_t i = 0; i < h->cap; i++) {
		if (h->slots[i].used)
			*find_slot(ns, ncap, h->slots[i].key) = h->slots[i];
	}
	free(h->slots);
	h->slots = ns;
	h->cap = ncap;
	return 0;
}

int hashmap_put(struct hashmap *h, uint64_t key, uint32_t value)
{
	if ((h->len + 1) * 2 > h->cap && grow(h) != 0)
		return -1;
	struct hashmap_slot *s = find_slot(h->slots, h->cap, key);
	if (!s->used) {
		s->used = 1;
		s->key = key;
		h->len++;
	}
	s->value = value;
	return 0;
}

bool hashmap_get(const struct hashmap *h, uint64_t key, uint32_t *value)
{
	if (!h->cap)
		return false;
	const struct hashmap_slot *s = find_slot(h->slots, h->cap, key);
	if (!s->used)
		return false;
	*value = s->value;
	return true;
}
