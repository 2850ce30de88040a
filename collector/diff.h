/* SPDX-License-Identifier: MIT */
/* diff.h - `leak-report --diff A B`: what changed on the heap between two snapshots of one
 * trace, per allocating stack (grew, shrank, appeared, disappeared), like UMDH or
 * jeprof --base but from one trace. A snapshot is named by index or by time ("10s"). */
#ifndef LEAK_COLLECTOR_DIFF_H
#define LEAK_COLLECTOR_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "model.h"

struct diff_ref {
	bool by_time;
	double t_s;    /* by_time: seconds since start; negative counts back from the end */
	int64_t index; /* else snapshot index; negative counts back from the last (-1 last) */
};

struct diff_entry {
	uint32_t stack_id;
	const char *change; /* "grew", "shrank", "appeared", "disappeared" (static) */
	uint64_t bytes_a, count_a, bytes_b, count_b;
	int64_t delta_bytes, delta_count;
};

struct diff_list {
	bool valid;               /* false: the trace has no snapshot */
	uint32_t snap_a, snap_b;  /* the snapshot indices used */
	double t_a, t_b;          /* their times, seconds since start */
	struct diff_entry *items; /* largest |delta_bytes| first */
	size_t n, cap;
};

/* Parses "N", "-N" (index) or "T s" forms "10s", "2.5s", "-5s" (time). 0 or -1 with e. */
int diff_ref_parse(const char *s, struct diff_ref *r, struct err *e);

/* Resolves a and b in p (an index past either end is clamped; a time picks the last
 * snapshot at or before it, else the first) and lists every stack whose live bytes or
 * count differ. Returns 0, or -1 on out of memory (out is then empty). */
int diff_build(const struct model_proc *p, const struct diff_ref *a, const struct diff_ref *b,
               struct diff_list *out);
void diff_list_fini(struct diff_list *d);

#endif
