/* SPDX-License-Identifier: MIT */
/* rule_table.h - the process-wide table of packed unwind rules (eh_frame.h) by return address,
 * read without locks. The walker probes it once or twice a frame, so the read side is inline
 * here: lk_rule_table_get, lk_rule_table_newest and lk_rule_table_probe for the first probe of
 * the newest level, lk_rule_table_lookup for the rest. Rules are opaque nonzero words here. */
#ifndef LEAK_PRELOAD_RULE_TABLE_H
#define LEAK_PRELOAD_RULE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define LK_RULE_TABLE_LEVELS 14 /* levels of 2^12 .. 2^25 slots */
#define LK_RULE_TABLE_LEVEL0 12

typedef struct {
	uint64_t pc;   /* 0: empty */
	uint64_t rule; /* 0: being written (a miss) */
} lk_rule_table_slot_t;

typedef struct {
	lk_rule_table_slot_t *level[LK_RULE_TABLE_LEVELS];
	uint32_t used[LK_RULE_TABLE_LEVELS];
	int newest;
} lk_rule_table_t;

/* The current table; replaced (never freed) by lk_rule_table_reset. Hidden: read directly,
 * not through the GOT. */
extern lk_rule_table_t *lk_rule_table_cur __attribute__((visibility("hidden")));

/* Any thread: maps the first table; NULL without memory. Use lk_rule_table_get. */
lk_rule_table_t *lk_rule_table_create(void);

/* Any thread: the current table, created on first use; NULL without memory. */
static inline lk_rule_table_t *lk_rule_table_get(void)
{
	lk_rule_table_t *c = __atomic_load_n(&lk_rule_table_cur, __ATOMIC_ACQUIRE);
	if (__builtin_expect(c != NULL, 1))
		return c;
	return lk_rule_table_create();
}

static inline uint64_t lk_rule_table_hash(uint64_t pc)
{
	return (pc * 0x9e3779b97f4a7c15ull) >> 32; /* the low bits index every level */
}

static inline uint64_t lk_rule_table_mask(int l)
{
	return (1ull << (LK_RULE_TABLE_LEVEL0 + l)) - 1;
}

/* The newest level, for lk_rule_table_probe: taken again after every insert. */
typedef struct {
	const lk_rule_table_slot_t *slots; /* NULL: no level yet */
	uint64_t mask;
} lk_rule_table_view_t;

static inline lk_rule_table_view_t lk_rule_table_newest(const lk_rule_table_t *c)
{
	int l = __atomic_load_n(&c->newest, __ATOMIC_ACQUIRE);
	lk_rule_table_view_t v = {__atomic_load_n(&c->level[l], __ATOMIC_ACQUIRE),
	                          lk_rule_table_mask(l)};
	return v;
}

/* pc's rule if it sits in its first slot of the view's level (nearly every hit), else 0. */
static inline uint64_t lk_rule_table_probe(lk_rule_table_view_t v, uint64_t pc)
{
	if (__builtin_expect(v.slots == NULL, 0))
		return 0;
	const lk_rule_table_slot_t *slot = &v.slots[lk_rule_table_hash(pc) & v.mask];
	if (__atomic_load_n(&slot->pc, __ATOMIC_ACQUIRE) != pc)
		return 0;
	return __atomic_load_n(&slot->rule, __ATOMIC_ACQUIRE);
}

/* Any thread: pc's rule, or 0 if none is stored yet (the caller builds it and inserts it).
 * A rule found only in an older level is copied to the newest. */
uint64_t lk_rule_table_lookup(lk_rule_table_t *c, uint64_t pc);

/* Any thread: stores pc's rule (nonzero), growing the table when the newest level is half
 * full; nothing is stored without memory or once the last level is half full. */
void lk_rule_table_insert(lk_rule_table_t *c, uint64_t pc, uint64_t rule);

/* dlclose: later lookups start from an empty table (a library may be mapped where the unloaded
 * one was). Readers still probing the old table may finish: it is dropped, never unmapped. */
void lk_rule_table_reset(void);

#endif
