/* SPDX-License-Identifier: MIT */
/* strtab.c - string interning (see strtab.h). */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

int64_t strtab_intern(struct strtab *t, const char *s)
{
	if (!s)
		s = "";
	uint64_t h = fnv1a(s);
	uint32_t idx;
	while (hashmap_get(&t->index, h, &idx)) {
		if (strcmp(t->v[idx], s) == 0)
			return idx;
		h++;
	}
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		char **n = realloc(t->v, ncap * sizeof(*n));
		if (!n)
			return -1;
		t->v = n;
		t->cap = ncap;
	}
	char *copy = strdup(s);
	if (!copy || hashmap_put(&t->index, h, (uint32_t)t->n) != 0) {
		free(copy);
		return -1;
	}
	t->v[t->n] = copy;
	return (int64_t)t->n++;
}

void strtab_fini(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	hashmap_fini(&t->index);
	memset(t, 0, sizeof(*t));
}
