/* SPDX-License-Identifier: MIT */
/* strtab.h - a table of distinct strings, each with a dense index in order of first sight:
 * the string table of a pprof export and the frame names shared by leak-view's flame
 * graphs. Strings are copied in; lookups hash them (FNV-1a) into a hashmap. */
#ifndef LEAK_COLLECTOR_STRTAB_H
#define LEAK_COLLECTOR_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "hashmap.h"

/* A zeroed struct strtab is a valid empty table; strtab_fini frees it. v[i] is the string
 * of index i, for i < n. */
struct strtab {
	char **v;
	size_t n, cap;
	struct hashmap index; /* FNV-1a hash (the next value on a collision) -> index */
};

/* The index of s (NULL counts as ""), adding a copy when new; -1 on out of memory. */
int64_t strtab_intern(struct strtab *t, const char *s);
void strtab_fini(struct strtab *t);

#endif
