/* SPDX-License-Identifier: MIT */
/* rule_table.c - the process-wide, lock-free table of unwind rules by return address.
 *
 * Levels of doubling size; a level is created when the newest one is half full and gets a copy
 * of every older level's rules, so a lookup nearly always ends in the newest level (one probe
 * or two at its 25-50% load). Older levels stay mapped and are probed, newest first, only on a
 * miss there (a rule inserted into an older level while the copy ran): a rule found there is
 * copied up. Nothing is moved or freed while a reader may look. Insert: CAS the key from 0,
 * then store the rule (release); a reader that sees the key before the rule takes it as a miss
 * and builds the rule itself. Memory is mmap'd; no locks, no malloc. */
#include "rule_table.h"
#include "sys.h"

#include <stdbool.h>

lk_rule_table_t *lk_rule_table_cur;

lk_rule_table_t *lk_rule_table_create(void)
{
	lk_rule_table_t *n = lk_sys_mmap(sizeof(*n));
	if (!n)
		return NULL;
	lk_rule_table_t *expected = NULL;
	if (!__atomic_compare_exchange_n(&lk_rule_table_cur, &expected, n, false, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE)) {
		lk_sys_munmap(n, sizeof(*n));
		return expected;
	}
	return n;
}

/* Puts pc's rule into level l unless it is there; false if the level is full. */
static bool lk_rule_table_place(lk_rule_table_t *c, int l, uint64_t pc, uint64_t rule)
{
	lk_rule_table_slot_t *s = __atomic_load_n(&c->level[l], __ATOMIC_ACQUIRE);
	uint64_t mask = lk_rule_table_mask(l), h = lk_rule_table_hash(pc);
	for (uint64_t i = h & mask, tries = 0; tries <= mask; i = (i + 1) & mask, tries++) {
		uint64_t k = __atomic_load_n(&s[i].pc, __ATOMIC_ACQUIRE);
		if (k == 0 && __atomic_compare_exchange_n(&s[i].pc, &k, pc, false, __ATOMIC_ACQ_REL,
		                                          __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&s[i].rule, rule, __ATOMIC_RELEASE);
			__atomic_add_fetch(&c->used[l], 1, __ATOMIC_RELAXED);
			return true;
		}
		if (k == pc)
			return true; /* another thread got there first */
	}
	return false;
}

static uint64_t lk_rule_table_find(const lk_rule_table_t *c, int l, uint64_t pc)
{
	const lk_rule_table_slot_t *s = __atomic_load_n(&c->level[l], __ATOMIC_ACQUIRE);
	if (!s)
		return 0;
	uint64_t mask = lk_rule_table_mask(l);
	for (uint64_t i = lk_rule_table_hash(pc) & mask;; i = (i + 1) & mask) {
		uint64_t k = __atomic_load_n(&s[i].pc, __ATOMIC_ACQUIRE);
		if (k == pc)
			return __atomic_load_n(&s[i].rule, __ATOMIC_ACQUIRE);
		if (k == 0)
			return 0;
	}
}

uint64_t lk_rule_table_lookup(lk_rule_table_t *c, uint64_t pc)
{
	int newest = __atomic_load_n(&c->newest, __ATOMIC_ACQUIRE);
	for (int l = newest; l >= 0; l--) {
		uint64_t rule = lk_rule_table_find(c, l, pc);
		if (rule) {
			if (l != newest)
				lk_rule_table_place(c, newest, pc, rule);
			return rule;
		}
	}
	return 0;
}

void lk_rule_table_insert(lk_rule_table_t *c, uint64_t pc, uint64_t rule)
{
	int l = __atomic_load_n(&c->newest, __ATOMIC_ACQUIRE);
	uint64_t cap = 1ull << (LK_RULE_TABLE_LEVEL0 + l);
	lk_rule_table_slot_t *s = __atomic_load_n(&c->level[l], __ATOMIC_ACQUIRE);
	if (!s || (uint64_t)__atomic_load_n(&c->used[l], __ATOMIC_RELAXED) * 2 >= cap) {
		if (s) {
			if (l + 1 >= LK_RULE_TABLE_LEVELS)
				return; /* full: rules are rebuilt on every use from now on */
			l++;
			cap *= 2;
		}
		lk_rule_table_slot_t *n = lk_sys_mmap(cap * sizeof(*n));
		if (!n)
			return;
		lk_rule_table_slot_t *expected = NULL;
		if (__atomic_compare_exchange_n(&c->level[l], &expected, n, false, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE)) {
			/* Ours: copy the older levels up before lookups start here. A rule another
			 * thread adds to an older level meanwhile is copied up when found there. */
			for (int o = l - 1; o >= 0; o--) {
				const lk_rule_table_slot_t *os =
				    __atomic_load_n(&c->level[o], __ATOMIC_ACQUIRE);
				for (uint64_t i = 0; i <= lk_rule_table_mask(o); i++) {
					uint64_t k = __atomic_load_n(&os[i].pc, __ATOMIC_ACQUIRE);
					uint64_t r = __atomic_load_n(&os[i].rule, __ATOMIC_ACQUIRE);
					if (k && r)
						lk_rule_table_place(c, l, k, r);
				}
			}
		} else {
			lk_sys_munmap(n, cap * sizeof(*n));
		}
		int old = l - 1;
		__atomic_compare_exchange_n(&c->newest, &old, l, false, __ATOMIC_ACQ_REL,
		                            __ATOMIC_RELAXED);
	}
	lk_rule_table_place(c, l, pc, rule);
}

void lk_rule_table_reset(void)
{
	lk_rule_table_t *n = lk_sys_mmap(sizeof(*n));
	if (n)
		__atomic_store_n(&lk_rule_table_cur, n, __ATOMIC_RELEASE);
}
