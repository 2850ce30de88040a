/* SPDX-License-Identifier: MIT */
/* hashmap.h - open-addressing map from a 64-bit key to a 32-bit value, used to find stacks,
 * descriptors, children and threads by id without dense arrays sized by untrusted ids.
 * Linear probing over a power-of-two table kept at most half full; no deletion (a caller
 * overwrites the value instead). */
#ifndef LEAK_COLLECTOR_HASHMAP_H
#define LEAK_COLLECTOR_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashmap_slot {
	uint64_t key;
	uint32_t value;
	uint32_t used;
};

struct hashmap {
	struct hashmap_slot *slots;
	size_t cap; /* 0 or a power of two */
	size_t len;
};

/* A zeroed struct hashmap is a valid empty map. hashmap_fini frees the table. */
void hashmap_fini(struct hashmap *h);
/* Sets key -> value (insert or overwrite). Returns 0, or -1 on out of memory. */
int hashmap_put(struct hashmap *h, uint64_t key, uint32_t value);
/* Finds key; returns true and sets *value when present. */
bool hashmap_get(const struct hashmap *h, uint64_t key, uint32_t *value);

#endif
