/* SPDX-License-Identifier: MIT */
/* test_eh_frame.c - preload/eh_frame.c on hand-assembled .eh_frame bytes: CIEs and FDEs whose
 * CFA programs use def_cfa, def_cfa_offset, def_cfa_register, offset (RBP saved), the
 * advance_loc forms and remember/restore_state, checked at the locations where each rule
 * starts and ends; the edges of an FDE's range (the call is at pc - 1); gcc's pcrel sdata4
 * addresses; the .eh_frame_hdr search table. What the walker does not model (a CFA
 * expression, a signal frame 'S', a rule for RSP, another CFA register, an unknown op) is
 * UNKNOWN, which sends the capture to libunwind; an undefined return address is END.
 * Fixtures lie flush against PROT_NONE pages: truncated, out-of-bounds and random bytes must
 * give UNKNOWN (or any rule) without a read outside the bounds given. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "eh_frame.h"

/* ---- fixtures: a byte buffer in a page with PROT_NONE pages on both sides ---------------- */

#define PAGE 4096u

static uint8_t *guarded; /* the readable page */

static int map_guarded(void **state)
{
	(void)state;
	uint8_t *m =
	    mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	if (mprotect(m, PAGE, PROT_NONE) != 0 || mprotect(m + 2 * PAGE, PAGE, PROT_NONE) != 0)
		return -1;
	guarded = m + PAGE;
	return 0;
}

typedef struct {
	uint8_t *b;
	size_t n;
} fx_t;

static fx_t fx_new(void)
{
	memset(guarded, 0, PAGE);
	return (fx_t){guarded, 0};
}

static void put(fx_t *f, const void *p, size_t n)
{
	assert_true(f->n + n <= PAGE);
	if (n)
		memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put_u8(fx_t *f, uint8_t v)
{
	put(f, &v, 1);
}

static void put_u32(fx_t *f, uint32_t v)
{
	put(f, &v, 4);
}

static void put_u64(fx_t *f, uint64_t v)
{
	put(f, &v, 8);
}

static void patch_len(fx_t *f, size_t at)
{
	uint32_t len = (uint32_t)(f->n - at - 4);
	memcpy(f->b + at, &len, 4);
}

/* Pointer encodings used here (DW_EH_PE_*). */
#define ABSPTR 0x00
#define PCREL4 0x1b /* pcrel | sdata4, what gcc writes */

/* A version-1 CIE: code alignment 1, data alignment -8, return address column 16, then the
 * initial instructions ins. aug is "" (absptr addresses) or "zR", "zRS" (enc given). */
static size_t fx_cie(fx_t *f, const char *aug, uint8_t enc, const uint8_t *ins, size_t n)
{
	size_t at = f->n;
	put_u32(f, 0); /* length, patched */
	put_u32(f, 0); /* CIE id */
	put_u8(f, 1);  /* version */
	put(f, aug, strlen(aug) + 1);
	put_u8(f, 1);    /* code alignment */
	put_u8(f, 0x78); /* data alignment -8 */
	put_u8(f, 16);   /* return address column */
	if (aug[0] == 'z') {
		put_u8(f, 1); /* augmentation data: the R byte */
		put_u8(f, enc);
	}
	put(f, ins, n);
	patch_len(f, at);
	return at;
}

/* An FDE for [start, start + range) under the CIE at cie_at. */
static size_t fx_fde(fx_t *f, size_t cie_at, bool z, uint8_t enc, uint64_t start, uint64_t range,
                     const uint8_t *ins, size_t n)
{
	size_t at = f->n;
	put_u32(f, 0);
	put_u32(f, (uint32_t)(f->n - cie_at)); /* CIE pointer: back from this field */
	if (enc == PCREL4) {
		put_u32(f,
		        (uint32_t)(int32_t)(int64_t)(start - (uint64_t)(uintptr_t)(f->b + f->n)));
		put_u32(f, (uint32_t)range);
	} else {
		put_u64(f, start);
		put_u64(f, range);
	}
	if (z)
		put_u8(f, 0); /* no augmentation data */
	put(f, ins, n);
	patch_len(f, at);
	return at;
}

/* gcc's CIE program: CFA = RSP + 8, return address at CFA - 8. */
static const uint8_t cie_ins[] = {0x0c, 0x07, 0x08, 0x90, 0x01};

static uint64_t rule_at(const fx_t *f, size_t fde_at, uint64_t pc)
{
	return lk_eh_frame_rule_fde(f->b + fde_at, f->b, f->b + f->n, pc);
}

static void assert_step(uint64_t rule, int cfa_bp, uint64_t cfa_off, int bp_saved, int64_t bp_off)
{
	assert_int_equal(LK_EH_RULE_KIND(rule), LK_EH_RULE_STEP);
	assert_int_equal(!!(rule & LK_EH_RULE_CFA_BP), cfa_bp);
	assert_int_equal(lk_eh_rule_cfa_off(rule), cfa_off);
	assert_int_equal(!!(rule & LK_EH_RULE_BP_SAVED), bp_saved);
	if (bp_saved)
		assert_int_equal(lk_eh_rule_bp_off(rule), bp_off);
}

#define START 0x400000ull

/* One FDE with program ins under gcc's "zR" CIE (absptr addresses here). */
static size_t fx_one(fx_t *f, const uint8_t *ins, size_t n, uint64_t range)
{
	*f = fx_new();
	size_t cie = fx_cie(f, "zR", ABSPTR, cie_ins, sizeof(cie_ins));
	return fx_fde(f, cie, true, ABSPTR, START, range, ins, n);
}

/* ---- the CFA program --------------------------------------------------------------------- */

static void test_cie_rule_and_range_edges(void **state)
{
	(void)state;
	fx_t f;
	size_t fde = fx_one(&f, NULL, 0, 0x40);
	/* pc is a return address: the call, at pc - 1, must lie in [START, START + 0x40); outside,
	 * no FDE covers it (NOFDE: the walker steps such code by its frame pointer). */
	assert_int_equal(rule_at(&f, fde, START), LK_EH_RULE_NOFDE);
	assert_step(rule_at(&f, fde, START + 1), 0, 8, 0, 0);
	assert_step(rule_at(&f, fde, START + 0x40), 0, 8, 0, 0);
	assert_int_equal(rule_at(&f, fde, START + 0x41), LK_EH_RULE_NOFDE);
	assert_int_equal(rule_at(&f, fde, 0), LK_EH_RULE_NOFDE);
}

static void test_frame_pointer_prologue(void **state)
{
	(void)state;
	/* push %rbp; mov %rsp,%rbp: at +1 CFA = RSP + 16, RBP at CFA - 16; at +4 CFA = RBP + 16. */
	static const uint8_t ins[] = {
	    0x41,       /* advance_loc 1 */
	    0x0e, 0x10, /* def_cfa_offset 16 */
	    0x86, 0x02, /* offset r6 (RBP) at 2 * -8 */
	    0x43,       /* advance_loc 3 */
	    0x0d, 0x06, /* def_cfa_register r6 */
	};
	fx_t f;
	size_t fde = fx_one(&f, ins, sizeof(ins), 0x20);
	assert_step(rule_at(&f, fde, START + 1), 0, 8, 0, 0); /* the call at START: before push */
	assert_step(rule_at(&f, fde, START + 2), 0, 16, 1, -16);
	assert_step(rule_at(&f, fde, START + 4), 0, 16, 1, -16);
	assert_step(rule_at(&f, fde, START + 5), 1, 16, 1, -16);
	assert_step(rule_at(&f, fde, START + 0x20), 1, 16, 1, -16);
}

static void test_def_cfa_forms(void **state)
{
	(void)state;
	static const uint8_t ins[] = {
	    0x0c, 0x06, 0x20, /* def_cfa r6 + 32 */
	    0x86, 0x03,       /* offset r6 at -24 */
	    0x44,             /* advance_loc 4 */
	    0x12, 0x07, 0x7d, /* def_cfa_sf r7 + (-3 * -8) = 24 */
	    0x44,             /* advance_loc 4 */
	    0x13, 0x7c,       /* def_cfa_offset_sf -4 * -8 = 32 */
	    0x44,             /* advance_loc 4 */
	    0x05, 0x06, 0x04, /* offset_extended r6 at -32 */
	    0x44,             /* advance_loc 4 */
	    0x08, 0x06,       /* same_value r6 */
	    0x44,             /* advance_loc 4 */
	    0x11, 0x06, 0x02, /* offset_extended_sf r6 at 2 * -8 */
	    0x2e, 0x10,       /* GNU_args_size: no effect */
	    0x09, 0x03, 0x04, /* register r3 in r4: not ours, fine */
	    0x44,             /* advance_loc 4 */
	    0x06, 0x06,       /* restore_extended r6: as after the CIE (same value) */
	};
	fx_t f;
	size_t fde = fx_one(&f, ins, sizeof(ins), 0x40);
	assert_step(rule_at(&f, fde, START + 4), 1, 32, 1, -24);
	assert_step(rule_at(&f, fde, START + 5), 0, 24, 1, -24);
	assert_step(rule_at(&f, fde, START + 9), 0, 32, 1, -24);
	assert_step(rule_at(&f, fde, START + 13), 0, 32, 1, -32);
	assert_step(rule_at(&f, fde, START + 17), 0, 32, 0, 0);
	assert_step(rule_at(&f, fde, START + 21), 0, 32, 1, -16);
	assert_step(rule_at(&f, fde, START + 25), 0, 32, 0, 0);
}

static void test_advance_loc_forms(void **state)
{
	(void)state;
	static const uint8_t ins[] = {
	    0x02, 0x10,                   /* advance_loc1 0x10 */
	    0x0e, 0x18,                   /* def_cfa_offset 24 */
	    0x03, 0x00, 0x01,             /* advance_loc2 0x100 */
	    0x0e, 0x20,                   /* def_cfa_offset 32 */
	    0x04, 0x00, 0x00, 0x01, 0x00, /* advance_loc4 0x10000 */
	    0x0e, 0x28,                   /* def_cfa_offset 40 */
	};
	fx_t f;
	size_t fde = fx_one(&f, ins, sizeof(ins), 0x20000);
	assert_step(rule_at(&f, fde, START + 0x10), 0, 8, 0, 0);
	assert_step(rule_at(&f, fde, START + 0x11), 0, 24, 0, 0);
	assert_step(rule_at(&f, fde, START + 0x110), 0, 24, 0, 0);
	assert_step(rule_at(&f, fde, START + 0x111), 0, 32, 0, 0);
	assert_step(rule_at(&f, fde, START + 0x10110), 0, 32, 0, 0);
	assert_step(rule_at(&f, fde, START + 0x10111), 0, 40, 0, 0);
	assert_step(rule_at(&f, fde, START + 0x20000), 0, 40, 0, 0);
}

static void test_remember_restore_state(void **state)
{
	(void)state;
	/* An early return in the middle of a function: the epilogue's rules, then the body's
	 * again. */
	static const uint8_t ins[] = {
	    0x41,       /* advance_loc 1 */
	    0x0e, 0x10, /* def_cfa_offset 16 */
	    0x86, 0x02, /* offset r6 at -16 */
	    0x48,       /* advance_loc 8 */
	    0x0a,       /* remember_state */
	    0x0e, 0x08, /* def_cfa_offset 8 (after pop %rbp) */
	    0xc6,       /* restore r6 */
	    0x42,       /* advance_loc 2 */
	    0x0b,       /* restore_state */
	};
	fx_t f;
	size_t fde = fx_one(&f, ins, sizeof(ins), 0x20);
	assert_step(rule_at(&f, fde, START + 9), 0, 16, 1, -16);
	assert_step(rule_at(&f, fde, START + 10), 0, 8, 0, 0);
	assert_step(rule_at(&f, fde, START + 11), 0, 8, 0, 0);
	assert_step(rule_at(&f, fde, START + 12), 0, 16, 1, -16);
	/* restore_state with nothing remembered, and remember_state nine deep: not modelled */
	static const uint8_t unbalanced[] = {0x0b};
	fde = fx_one(&f, unbalanced, sizeof(unbalanced), 0x20);
	assert_int_equal(rule_at(&f, fde, START + 1), LK_EH_RULE_UNKNOWN);
	static const uint8_t deep[] = {0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a};
	fde = fx_one(&f, deep, sizeof(deep), 0x20);
	assert_int_equal(rule_at(&f, fde, START + 1), LK_EH_RULE_UNKNOWN);
}

static void test_pcrel_addresses(void **state)
{
	(void)state;
	fx_t f = fx_new();
	size_t cie = fx_cie(&f, "zR", PCREL4, cie_ins, sizeof(cie_ins));
	uint64_t start = (uint64_t)(uintptr_t)guarded + 0x123; /* within +-2 GiB of the field */
	size_t fde = fx_fde(&f, cie, true, PCREL4, start, 0x10, NULL, 0);
	assert_step(rule_at(&f, fde, start + 1), 0, 8, 0, 0);
	assert_step(rule_at(&f, fde, start + 0x10), 0, 8, 0, 0);
	assert_int_equal(rule_at(&f, fde, start), LK_EH_RULE_NOFDE);
	assert_int_equal(rule_at(&f, fde, start + 0x11), LK_EH_RULE_NOFDE);
	/* no augmentation at all: absptr addresses, no augmentation data in the FDE */
	f = fx_new();
	cie = fx_cie(&f, "", ABSPTR, cie_ins, sizeof(cie_ins));
	fde = fx_fde(&f, cie, false, ABSPTR, START, 0x10, NULL, 0);
	assert_step(rule_at(&f, fde, START + 1), 0, 8, 0, 0);
}

/* ---- what the walker does not model ------------------------------------------------------ */

static void test_unsupported_rules(void **state)
{
	(void)state;
	fx_t f;
	size_t fde;
	/* CFA from an expression (DW_OP_breg7 8): UNKNOWN from there on, the caller falls back */
	static const uint8_t expr[] = {0x41, 0x0f, 0x02, 0x77, 0x08};
	fde = fx_one(&f, expr, sizeof(expr), 0x20);
	assert_step(rule_at(&f, fde, START + 1), 0, 8, 0, 0);
	assert_int_equal(rule_at(&f, fde, START + 2), LK_EH_RULE_UNKNOWN);
	/* a rule for RSP itself; a CFA in another register; an op not modelled (set_loc) */
	static const uint8_t rsp[] = {0x87, 0x02};
	fde = fx_one(&f, rsp, sizeof(rsp), 0x20);
	assert_int_equal(rule_at(&f, fde, START + 1), LK_EH_RULE_UNKNOWN);
	static const uint8_t rbx[] = {0x0c, 0x03, 0x08};
	fde = fx_one(&f, rbx, sizeof(rbx), 0x20);
	assert_int_equal(rule_at(&f, fde, START + 1), LK_EH_RULE_UNKNOWN);
	static const uint8_t set_loc[] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0};
	fde = fx_one(&f, set_loc, sizeof(set_loc), 0x20);
	assert_int_equal(rule_at(&f, fde, START + 1), LK_EH_RULE_UNKNOWN);
	/* RBP kept in another register; RBP from an expression */
	static const uint8_t bp_reg[] = {0x09, 0x06, 0x03};
	fde = fx_one(&f, bp_reg, sizeof(bp_reg), 0x20);
	assert_int_equal(rule_at(&f, fde, START + 1), LK_EH_RULE_UNKNOWN);
	static const uint8_t bp_expr[] = {0x10, 0x06, 0x01, 0x9c};
	fde = fx_one(&f, bp_expr, sizeof(bp_expr), 0x20);
	assert_int_equal(rule_at(&f, fde, START + 1), LK_EH_RULE_UNKNOWN);
	/* a CFA offset below 8 does not pack */
	static const uint8_t small[] = {0x0e, 0x04};
	fde = fx_one(&f, small, sizeof(small), 0x20);
	assert_int_equal(rule_at(&f, fde, START + 1), LK_EH_RULE_UNKNOWN);
	/* a signal frame ('S'): libunwind knows how to step the sigcontext, we do not */
	f = fx_new();
	size_t cie = fx_cie(&f, "zRS", ABSPTR, cie_ins, sizeof(cie_ins));
	fde = fx_fde(&f, cie, true, ABSPTR, START, 0x20, NULL, 0);
	assert_int_equal(rule_at(&f, fde, START + 1), LK_EH_RULE_UNKNOWN);
	/* an augmentation letter nobody defined */
	f = fx_new();
	cie = fx_cie(&f, "zRQ", ABSPTR, cie_ins, sizeof(cie_ins));
	fde = fx_fde(&f, cie, true, ABSPTR, START, 0x20, NULL, 0);
	assert_int_equal(rule_at(&f, fde, START + 1), LK_EH_RULE_UNKNOWN);
}

static void test_outermost_frame(void **state)
{
	(void)state;
	static const uint8_t undef_ra[] = {0x07, 0x10}; /* undefined r16, as _start has */
	fx_t f;
	size_t fde = fx_one(&f, undef_ra, sizeof(undef_ra), 0x20);
	assert_int_equal(rule_at(&f, fde, START + 1), LK_EH_RULE_END);
}

/* ---- malformed bytes --------------------------------------------------------------------- */

/* Copies n bytes flush against the end of the page, so that a read past them faults. */
static uint8_t *flush_end(const uint8_t *bytes, size_t n)
{
	static uint8_t copy[PAGE];
	memcpy(copy, bytes, n);
	uint8_t *at = guarded + PAGE - n;
	memmove(at, copy, n);
	return at;
}

static void test_truncated_fde(void **state)
{
	(void)state;
	static const uint8_t ins[] = {0x41, 0x0e, 0x10, 0x86, 0x02};
	fx_t f;
	size_t fde = fx_one(&f, ins, sizeof(ins), 0x20);
	size_t n = f.n;
	assert_step(rule_at(&f, fde, START + 2), 0, 16, 1, -16);
	/* Every cut of the whole CIE + FDE, read from every offset: no read outside what is
	 * left, and the cut FDE is UNKNOWN. */
	uint8_t whole[PAGE];
	memcpy(whole, f.b, n);
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *b = flush_end(whole, cut);
		for (size_t at = 0; at < cut; at++) {
			uint64_t r = lk_eh_frame_rule_fde(b + at, b, b + cut, START + 2);
			assert_true(r != 0);
			if (at == fde)
				assert_int_equal(r, LK_EH_RULE_UNKNOWN);
		}
	}
	/* The FDE's length runs past the bytes; its operand is cut off; its CIE pointer leaves
	 * the bounds, or lands on the FDE itself (not a CIE). */
	fde = fx_one(&f, ins, sizeof(ins), 0x20);
	uint8_t *b = flush_end(f.b, f.n);
	size_t fde_at = fde;
	assert_step(lk_eh_frame_rule_fde(b + fde_at, b, b + f.n, START + 2), 0, 16, 1, -16);
	assert_int_equal(lk_eh_frame_rule_fde(b + fde_at, b, b + f.n - 1, START + 2),
	                 LK_EH_RULE_UNKNOWN);
	assert_int_equal(lk_eh_frame_rule_fde(b + fde_at, b + 1, b + f.n, START + 2),
	                 LK_EH_RULE_UNKNOWN);
	f = fx_new();
	size_t cie = fx_cie(&f, "zR", ABSPTR, cie_ins, sizeof(cie_ins));
	fde = fx_fde(&f, cie, true, ABSPTR, START, 0x20, ins, sizeof(ins));
	uint32_t self = 4;
	memcpy(f.b + fde + 4, &self, 4);
	assert_int_equal(rule_at(&f, fde, START + 2), LK_EH_RULE_UNKNOWN);
	uint32_t zero_len = 0;
	memcpy(f.b + fde, &zero_len, 4);
	assert_int_equal(rule_at(&f, fde, START + 2), LK_EH_RULE_UNKNOWN);
	/* a CIE whose augmentation string has no terminator before its end */
	f = fx_new();
	static const uint8_t bad_cie[] = {9, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 'R', 'z', 'R'};
	put(&f, bad_cie, sizeof(bad_cie));
	fde = fx_fde(&f, 0, true, ABSPTR, START, 0x20, NULL, 0);
	assert_int_equal(rule_at(&f, fde, START + 2), LK_EH_RULE_UNKNOWN);
}

static uint32_t rng = 2463534242u;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void test_garbage_never_reads_outside(void **state)
{
	(void)state;
	/* Random bytes, and a valid CIE + FDE with random bytes written over it: any answer but
	 * a fault. Small lengths and CIE pointers are made likely so parsing goes deep. */
	static const uint8_t ins[] = {0x41, 0x0e, 0x10, 0x86, 0x02, 0x43, 0x0d, 0x06};
	for (int round = 0; round < 20000; round++) {
		fx_t f;
		size_t fde = fx_one(&f, ins, sizeof(ins), 0x20);
		size_t n = f.n;
		if (round % 2) {
			for (size_t i = 0; i < n; i++)
				f.b[i] =
				    (uint8_t)(next_rand() % 4 ? next_rand() % 48 : next_rand());
		} else {
			for (int k = 0; k < 3; k++)
				f.b[next_rand() % n] = (uint8_t)next_rand();
		}
		uint8_t *b = flush_end(f.b, n);
		uint64_t pc = START + next_rand() % 0x30;
		uint64_t r =
		    lk_eh_frame_rule_fde(b + (round % 3 ? fde : next_rand() % n), b, b + n, pc);
		assert_true(r != 0);
		/* and the same bytes read as an .eh_frame_hdr */
		b[0] = 1;
		b[3] = 0x3b;
		(void)lk_eh_frame_rule_hdr(b, b, b + n, pc);
	}
}

/* ---- .eh_frame_hdr and real modules ------------------------------------------------------ */

static void test_hdr_search_table(void **state)
{
	(void)state;
	/* .eh_frame_hdr first, then .eh_frame with three FDEs at hdr + 0x100, + 0x200 (0x10
	 * bytes each) and + 0x300 (RBP-based from the start). */
	fx_t f = fx_new();
	const uint8_t *hdr = f.b;
	uint64_t base = (uint64_t)(uintptr_t)hdr;
	put_u8(&f, 1);      /* version */
	put_u8(&f, PCREL4); /* eh_frame_ptr encoding */
	put_u8(&f, 0x03);   /* fde_count: udata4 */
	put_u8(&f, 0x3b);   /* table: datarel sdata4 */
	size_t eh_ptr = f.n;
	put_u32(&f, 0);
	put_u32(&f, 3);
	size_t table = f.n;
	f.n += 3 * 8;
	uint32_t eh = (uint32_t)(f.n - eh_ptr);
	memcpy(f.b + eh_ptr, &eh, 4);
	size_t cie = fx_cie(&f, "zR", ABSPTR, cie_ins, sizeof(cie_ins));
	static const uint8_t bp_based[] = {0x0c, 0x06, 0x10, 0x86, 0x02};
	size_t fdes[3];
	fdes[0] = fx_fde(&f, cie, true, ABSPTR, base + 0x100, 0x10, NULL, 0);
	fdes[1] = fx_fde(&f, cie, true, ABSPTR, base + 0x200, 0x10, NULL, 0);
	fdes[2] = fx_fde(&f, cie, true, ABSPTR, base + 0x300, 0x10, bp_based, sizeof(bp_based));
	for (int i = 0; i < 3; i++) {
		int32_t pair[2] = {(i + 1) * 0x100, (int32_t)fdes[i]};
		memcpy(f.b + table + 8 * (size_t)i, pair, sizeof(pair));
	}
	const uint8_t *lo = f.b, *hi = f.b + f.n;
	assert_step(lk_eh_frame_rule_hdr(hdr, lo, hi, base + 0x101), 0, 8, 0, 0);
	assert_step(lk_eh_frame_rule_hdr(hdr, lo, hi, base + 0x210), 0, 8, 0, 0);
	assert_step(lk_eh_frame_rule_hdr(hdr, lo, hi, base + 0x305), 1, 16, 1, -16);
	/* before the first entry; in the gap after an FDE's range; past the last */
	assert_int_equal(lk_eh_frame_rule_hdr(hdr, lo, hi, base + 0x100), LK_EH_RULE_NOFDE);
	assert_int_equal(lk_eh_frame_rule_hdr(hdr, lo, hi, base + 0x211), LK_EH_RULE_NOFDE);
	assert_int_equal(lk_eh_frame_rule_hdr(hdr, lo, hi, base + 0x400), LK_EH_RULE_NOFDE);
	/* a table longer than the bytes; another table encoding */
	uint32_t many = 1000;
	memcpy(f.b + 8, &many, 4);
	assert_int_equal(lk_eh_frame_rule_hdr(hdr, lo, hi, base + 0x101), LK_EH_RULE_UNKNOWN);
	f.b[3] = 0x1b;
	assert_int_equal(lk_eh_frame_rule_hdr(hdr, lo, hi, base + 0x101), LK_EH_RULE_UNKNOWN);
}

__attribute__((noinline)) static int plain_function(int x)
{
	return x * 3 + 1;
}

static void test_loaded_modules(void **state)
{
	(void)state;
	/* At a function's first instruction the CFA is RSP + 8 in any build. */
	uint64_t entry = (uint64_t)(uintptr_t)&plain_function;
	assert_step(lk_eh_frame_rule(entry + 1), 0, 8, 0, 0);
	assert_int_equal(plain_function(1), 4);
	/* No module holds address 16: 0, not a rule (it must not be cached). */
	assert_int_equal(lk_eh_frame_rule(17), 0);
}

/* A pc found in no module is remembered, but not past a load: a library mapped there later
 * has its rules. zlib's code is unmapped by dlclose, asked for (twice: the second answer is the
 * remembered one) and mapped again by dlopen, at the same address on Linux. */
static void test_no_module_until_a_load(void **state)
{
	(void)state;
	void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		skip();
	uint64_t f = (uint64_t)(uintptr_t)dlsym(h, "zlibVersion");
	assert_true(f != 0);
	assert_true(lk_eh_frame_rule(f + 1) != 0);
	assert_int_equal(dlclose(h), 0);
	assert_int_equal(lk_eh_frame_rule(f + 1), 0);
	assert_int_equal(lk_eh_frame_rule(f + 1), 0);
	h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	uint64_t g = (uint64_t)(uintptr_t)dlsym(h, "zlibVersion");
	assert_true(lk_eh_frame_rule(g + 1) != 0);
	if (g == f) /* the same pc: the remembered answer was dropped */
		assert_true(lk_eh_frame_rule(f + 1) != 0);
	dlclose(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cie_rule_and_range_edges),
	    cmocka_unit_test(test_frame_pointer_prologue),
	    cmocka_unit_test(test_def_cfa_forms),
	    cmocka_unit_test(test_advance_loc_forms),
	    cmocka_unit_test(test_remember_restore_state),
	    cmocka_unit_test(test_pcrel_addresses),
	    cmocka_unit_test(test_unsupported_rules),
	    cmocka_unit_test(test_outermost_frame),
	    cmocka_unit_test(test_truncated_fde),
	    cmocka_unit_test(test_garbage_never_reads_outside),
	    cmocka_unit_test(test_hdr_search_table),
	    cmocka_unit_test(test_loaded_modules),
	    cmocka_unit_test(test_no_module_until_a_load),
	};
	return cmocka_run_group_tests(tests, map_guarded, NULL);
}
