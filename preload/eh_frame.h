/* SPDX-License-Identifier: MIT */
/* eh_frame.h - the x86-64 .eh_frame interpreter: from a return address to the packed rule that
 * steps its frame, or LK_EH_RULE_UNKNOWN when the rule is not of the one shape the walker
 * models (the caller then falls back to libunwind). Pure functions of the bytes they are
 * given, no state, no allocation, no locks; every read stays inside the bounds passed in. */
#ifndef LEAK_PRELOAD_EH_FRAME_H
#define LEAK_PRELOAD_EH_FRAME_H

#include <stdint.h>

/* A packed rule: bits 0-1 kind, bit 2 CFA based on RBP (else RSP), bit 3 RBP saved at
 * CFA + bp_off, bits 8-31 the CFA offset, bits 32-47 bp_off (int16, negative). 0 is never a
 * rule. STEP: CFA = RSP or RBP + offset, return address at CFA - 8, RBP unchanged or saved.
 * END: the outermost frame (return address undefined). UNKNOWN: anything else. */
enum { LK_EH_RULE_STEP = 1, LK_EH_RULE_END = 2, LK_EH_RULE_UNKNOWN = 3 };
#define LK_EH_RULE_KIND(r)  ((unsigned)((r)&3))
#define LK_EH_RULE_CFA_BP   4u
#define LK_EH_RULE_BP_SAVED 8u
/* An UNKNOWN whose pc no FDE covers (code without call-frame information, such as V8's
 * builtins in node's text, or no module at all: JIT code). The walker steps such a frame by
 * its frame pointer, which that code keeps. */
#define LK_EH_RULE_NOFDE (LK_EH_RULE_UNKNOWN | 16u)

static inline uint64_t lk_eh_rule_cfa_off(uint64_t rule)
{
	return (rule >> 8) & 0xffffff;
}

static inline int64_t lk_eh_rule_bp_off(uint64_t rule)
{
	return (int16_t)(uint16_t)(rule >> 32);
}

/* Any context: the rule for return address pc (the call is at pc - 1) from the .eh_frame of
 * the loaded module holding pc - 1; 0 if no module holds it (code may be mapped there later).
 * One dl_iterate_phdr, whose lock is held only while the module is found, after a short one
 * that reads the loader's count of loads: a pc in no module is remembered while it stays. */
uint64_t lk_eh_frame_rule(uint64_t pc);

/* The rule from the module's .eh_frame_hdr at hdr (its binary search table finds the FDE).
 * Every byte read lies in [lo, hi): a table or an entry outside gives LK_EH_RULE_UNKNOWN. */
uint64_t lk_eh_frame_rule_hdr(const uint8_t *hdr, const uint8_t *lo, const uint8_t *hi,
                              uint64_t pc);

/* The rule from the FDE at fde (its CIE found through its CIE pointer), if pc - 1 lies in the
 * FDE's range; LK_EH_RULE_UNKNOWN otherwise, or if the FDE, its CIE or their programs are
 * malformed, leave [lo, hi), or use what the walker does not model. */
uint64_t lk_eh_frame_rule_fde(const uint8_t *fde, const uint8_t *lo, const uint8_t *hi,
                              uint64_t pc);

#endif
