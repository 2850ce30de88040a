/* SPDX-License-Identifier: MIT */
/* array.h - growing the collector's dynamic arrays: one rule for every (items, n, cap)
 * triple in model.c and the symbolizer, so capacity limits and the doubling live in one
 * place. Capacities are uint32_t: ids and counts in a trace are bounded to 32 bits. */
#ifndef LEAK_COLLECTOR_ARRAY_H
#define LEAK_COLLECTOR_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Grows *arr (elements of elem bytes, capacity *cap) to hold at least need elements,
 * doubling from 8. Returns 0, or -1 (and leaves *arr and *cap as they were) when need is
 * over 2^31 or realloc fails. */
int array_grow(void **arr, uint32_t *cap, size_t need, size_t elem);

#endif
