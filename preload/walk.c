/* SPDX-License-Identifier: MIT */
/* walk.c - the stack walkers: the cached DWARF walker and the frame-pointer walker.
 *
 * A DWARF step is one rule lookup (rule_table.h; built from .eh_frame on a miss, eh_frame.h)
 * and two loads: CFA = RSP or RBP + offset, the return address at CFA - 8, RBP perhaps
 * reloaded. Every address read lies in [sp, CFA) of this thread's stack, whose pages are
 * verified with mincore(2) once per thread as the walks reach them (no malloc:
 * pthread_getattr_np allocates). A walk also records what it depends on for the thread's memo
 * (walk_memo.h), and reuses a remembered walk, or the rest of the last one, when the memo says
 * the words it would read are unchanged. Anything the walker does not model returns -1. */
#include "walk.h"
#include "eh_frame.h"
#include "frame_hash.h"
#include "rule_table.h"
#include "walk_memo.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ucontext.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LK_WALK_PAGE      4096u
#define LK_WALK_STACK_MAX (8u << 20) /* a walk spanning more falls back */

/* Verified stack pages of this thread: [lk_walk_ok_lo, lk_walk_ok_hi) are mapped. */
static __thread uintptr_t lk_walk_ok_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t lk_walk_ok_hi __attribute__((tls_model("initial-exec")));
static uint64_t lk_walk_built;

/* ---- stack bounds ------------------------------------------------------------------------ */

/* True if [sp, hi) may be read: extends this thread's verified range with one mincore(2),
 * which fails with ENOMEM on any unmapped page. */
static bool lk_walk_stack_ok(uintptr_t sp, uintptr_t hi)
{
	if (__builtin_expect(sp >= lk_walk_ok_lo && hi <= lk_walk_ok_hi, 1))
		return true;
	if (hi <= sp || hi - sp > LK_WALK_STACK_MAX)
		return false;
	uintptr_t lo = sp & ~(uintptr_t)(LK_WALK_PAGE - 1);
	uintptr_t top = (hi + LK_WALK_PAGE - 1) & ~(uintptr_t)(LK_WALK_PAGE - 1);
	/* Keep what is verified when the new range overlaps it (the same stack, deeper or
	 * higher); start over on another stack (a signal stack, a coroutine). */
	bool overlap = lk_walk_ok_hi && lo <= lk_walk_ok_hi && top >= lk_walk_ok_lo;
	uintptr_t check_lo = lo, check_hi = top;
	if (overlap && lo >= lk_walk_ok_lo)
		check_lo = lk_walk_ok_hi; /* only the new pages above */
	else if (overlap && top <= lk_walk_ok_hi)
		check_hi = lk_walk_ok_lo; /* only the new pages below */
	if (check_hi > check_lo) {
		unsigned char vec[LK_WALK_STACK_MAX / LK_WALK_PAGE];
		int saved = errno;
		long rc = syscall(SYS_mincore, (void *)check_lo, check_hi - check_lo, vec);
		errno = saved;
		if (rc != 0)
			return false;
	}
	if (overlap) {
		lk_walk_ok_lo = lo < lk_walk_ok_lo ? lo : lk_walk_ok_lo;
		lk_walk_ok_hi = top > lk_walk_ok_hi ? top : lk_walk_ok_hi;
	} else {
		lk_walk_ok_lo = lo;
		lk_walk_ok_hi = top;
	}
	return true;
}

/* ---- rules ------------------------------------------------------------------------------- */

/* The first probe missed: the rest of the table, else the rule built from .eh_frame, stored
 * unless pc is in no module (code may be mapped there later). */
static uint64_t lk_walk_rule_slow(lk_rule_table_t *c, uint64_t pc)
{
	uint64_t rule = lk_rule_table_lookup(c, pc);
	if (__builtin_expect(rule != 0, 1))
		return rule;
	rule = lk_eh_frame_rule(pc);
	__atomic_add_fetch(&lk_walk_built, 1, __ATOMIC_RELAXED);
	if (!rule)
		return LK_EH_RULE_NOFDE; /* JIT code, or a module not mapped yet */
	lk_rule_table_insert(c, pc, rule);
	return rule;
}

uint64_t lk_walk_rules_built(void)
{
	return __atomic_load_n(&lk_walk_built, __ATOMIC_RELAXED);
}

/* ---- the DWARF walker -------------------------------------------------------------------- */

/* Records that the walk's result depends on the word at at_ (which it read as val_), in this
 * walk's steps (t); the memo entry (e) takes them from there when the walk ends. Past
 * LK_WALK_MEMO_TAIL_READS the walk is neither remembered nor kept as the last. */
#define LK_WALK_DEPEND(at_, val_)                                                                  \
	do {                                                                                       \
		if (t && t->complete) {                                                            \
			if (t->nreads < LK_WALK_MEMO_TAIL_READS) {                                 \
				t->addr[t->nreads] = (at_);                                        \
				t->word[t->nreads++] = (val_);                                     \
				t->lo = (at_) < t->lo ? (at_) : t->lo;                             \
				t->hi = (at_) + 8 > t->hi ? (at_) + 8 : t->hi;                     \
			} else {                                                                   \
				t->complete = false;                                               \
			}                                                                          \
		}                                                                                  \
	} while (0)

/* RBP is about to be used (an RBP-based CFA, a frame-pointer step). With
 * -fomit-frame-pointer RBP is an ordinary callee-saved register: the words saved for it
 * are the callers' loop counters and pointers, so a reload counts only once it is used.
 * LK_WALK_BP_DEPEND records that for the memo; LK_WALK_BP_USED also marks the step in t. */
#define LK_WALK_BP_DEPEND()                                                                        \
	do {                                                                                       \
		if (bp_at == 0) {                                                                  \
			if (e)                                                                     \
				e->need_bp = 1;                                                    \
		} else if (bp_at != 1) {                                                           \
			LK_WALK_DEPEND(bp_at, bp);                                                 \
			bp_at = 1;                                                                 \
		}                                                                                  \
	} while (0)
#define LK_WALK_BP_USED()                                                                          \
	do {                                                                                       \
		if (t && t->complete)                                                              \
			t->step[t->nsteps - 1].uses_bp = 1;                                        \
		LK_WALK_BP_DEPEND();                                                               \
	} while (0)

/* One step by the frame record at RBP (libleak's own frames, code without call-frame
 * information): the caller's pc and RBP from [bp+8] and [bp], CFA bp+16; returns -1 from the
 * walk when RBP is not a frame record on the stack. A macro, not a function, so that the
 * walk's locals (pc, sp, bp, cfa, ok_hi, bp_at, t, e) stay in registers. */
#define LK_WALK_FP_STEP()                                                                          \
	do {                                                                                       \
		cfa = bp + 16;                                                                     \
		LK_WALK_BP_USED();                                                                 \
		if (bp < sp || (bp & 7))                                                           \
			return -1;                                                                 \
		if (cfa > ok_hi) {                                                                 \
			if (!lk_walk_stack_ok(base, cfa))                                          \
				return -1;                                                         \
			ok_hi = lk_walk_ok_hi;                                                     \
		}                                                                                  \
		uintptr_t at_ = bp;                                                                \
		pc = ((const uintptr_t *)at_)[1];                                                  \
		LK_WALK_DEPEND(at_ + 8, pc);                                                       \
		bp = ((const uintptr_t *)at_)[0];                                                  \
		bp_at = at_;                                                                       \
		if (t && t->complete)                                                              \
			t->step[t->nsteps - 1].loads_bp = 1;                                       \
		sp = cfa;                                                                          \
	} while (0)

/* The walk alone, for a walk the memo does not see (no memo, or a lean walk of a thread whose
 * stacks do not repeat): the same steps and checks as lk_walk_dwarf without recording what it
 * reads, in a loop short enough to stay in registers. */
static int lk_walk_dwarf_plain(lk_rule_table_t *c, uintptr_t pc, uintptr_t sp, uintptr_t bp,
                               uintptr_t *frames, int max, uintptr_t skip_lo, uintptr_t skip_hi,
                               uintptr_t base, lk_walk_out_t *out)
{
	uintptr_t ok_hi = lk_walk_ok_hi;
	uint64_t h = LK_FRAME_HASH_SEED;
	lk_rule_table_view_t newest = lk_rule_table_newest(c);
	int n = 0;
	while (n < max) {
		uintptr_t cfa;
		if (__builtin_expect(!lk_walk_keep(pc, skip_lo, skip_hi), 0)) {
			cfa = bp + 16;
			if (bp < sp || (bp & 7))
				return -1;
			if (cfa > ok_hi) {
				if (!lk_walk_stack_ok(base, cfa))
					return -1;
				ok_hi = lk_walk_ok_hi;
			}
			pc = ((const uintptr_t *)bp)[1];
			bp = ((const uintptr_t *)bp)[0];
			sp = cfa;
			continue;
		}
		frames[n++] = pc;
		h = lk_frame_hash_step(h, pc);
		uint64_t rule = lk_rule_table_probe(newest, pc);
		if (__builtin_expect(!rule, 0)) {
			rule = lk_walk_rule_slow(c, pc);
			newest = lk_rule_table_newest(c);
		}
		if (LK_EH_RULE_KIND(rule) != LK_EH_RULE_STEP) {
			if (LK_EH_RULE_KIND(rule) == LK_EH_RULE_END)
				break;
			if (rule != LK_EH_RULE_NOFDE || bp < sp || (bp & 7))
				return -1;
			/* Code without call-frame information: its frame record at RBP. */
			cfa = bp + 16;
			if (cfa > ok_hi) {
				if (!lk_walk_stack_ok(base, cfa))
					return -1;
				ok_hi = lk_walk_ok_hi;
			}
			pc = ((const uintptr_t *)bp)[1];
			bp = ((const uintptr_t *)bp)[0];
			sp = cfa;
			if (!pc)
				break;
			continue;
		}
		cfa = (rule & LK_EH_RULE_CFA_BP ? bp : sp) + lk_eh_rule_cfa_off(rule);
		if (cfa <= sp)
			return -1;
		if (cfa > ok_hi) {
			if (!lk_walk_stack_ok(base, cfa))
				return -1;
			ok_hi = lk_walk_ok_hi;
		}
		pc = *(const uintptr_t *)(cfa - 8);
		if (rule & LK_EH_RULE_BP_SAVED) {
			uintptr_t at = cfa + (uintptr_t)lk_eh_rule_bp_off(rule);
			if (at < sp)
				return -1;
			bp = *(const uintptr_t *)at;
		}
		sp = cfa;
		if (!pc)
			break;
	}
	out->hash = h;
	out->hashed = true;
	return n;
}

/* glibc's x86-64 sigreturn trampoline (__restore_rt): mov $15, %rax; syscall. A handler
 * returns there, so it is the return address of a signal handler's outermost frame. */
static const unsigned char lk_walk_sigreturn[9] = {0x48, 0xc7, 0xc0, 0x0f, 0x00,
                                                   0x00, 0x00, 0x0f, 0x05};

/* The frame below a signal trampoline at sp (the handler's CFA): the interrupted context's
 * registers, from the ucontext the kernel left there. False if it does not lie on the stack. */
static bool lk_walk_sigframe(uintptr_t base, uintptr_t *pc, uintptr_t *sp, uintptr_t *bp)
{
	const ucontext_t *uc = (const ucontext_t *)*sp;
	uintptr_t end = *sp + offsetof(ucontext_t, uc_mcontext.gregs) + (REG_RIP + 1) * 8;
	if (end > lk_walk_ok_hi && !lk_walk_stack_ok(base, end))
		return false;
	*pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	*sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	*bp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
	return true;
}

/* One step by the frame pointer: false where bp leads to no frame record on the stack. */
static inline bool lk_walk_fp_step(uintptr_t base, uintptr_t *pc, uintptr_t *sp, uintptr_t *bp)
{
	uintptr_t cfa = *bp + 16;
	if (*bp < *sp || (*bp & 7) || !lk_walk_stack_ok(base, cfa))
		return false;
	*pc = ((const uintptr_t *)*bp)[1];
	*bp = ((const uintptr_t *)*bp)[0];
	*sp = cfa;
	return true;
}

int lk_walk_dwarf_partial(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t *frames, int max,
                          uintptr_t skip_lo, uintptr_t skip_hi, bool *complete)
{
	*complete = false;
	lk_rule_table_t *c = lk_rule_table_get();
	uintptr_t base = sp;
	if (!c || (base < lk_walk_ok_lo && !lk_walk_stack_ok(base, base + 16)))
		return 0;
	int n = 0;
	bool exact = false; /* pc is an interrupted instruction, not a return address */
	while (n < max) {
		uintptr_t cfa;
		if (!lk_walk_keep(pc, skip_lo, skip_hi)) {
			if (!lk_walk_fp_step(base, &pc, &sp, &bp))
				return n;
			continue;
		}
		frames[n++] = pc;
		/* Rules are looked up at pc - 1 (a return address is past its call): an
		 * interrupted instruction's own rule is the one at pc + 1's. */
		uint64_t rule = lk_walk_rule_slow(c, exact ? pc + 1 : pc);
		exact = false;
		if (LK_EH_RULE_KIND(rule) == LK_EH_RULE_END)
			break;
		if (rule == LK_EH_RULE_NOFDE) {
			if (!lk_walk_fp_step(base, &pc, &sp, &bp))
				return n;
		} else if (LK_EH_RULE_KIND(rule) != LK_EH_RULE_STEP) {
			/* A rule of another shape: only a signal trampoline is stepped. The rule
			 * says the byte before pc lies in a module's loaded segment: its page is
			 * mapped, so the trampoline's bytes are read only within that page. */
			uintptr_t in_page = pc & (LK_WALK_PAGE - 1);
			if (in_page == 0 || in_page > LK_WALK_PAGE - sizeof(lk_walk_sigreturn) ||
			    memcmp((const void *)pc, lk_walk_sigreturn,
			           sizeof(lk_walk_sigreturn)) != 0 ||
			    !lk_walk_sigframe(base, &pc, &sp, &bp))
				return n;
			/* The interrupted code may be on another stack (sigaltstack). */
			base = sp;
			if (base < lk_walk_ok_lo && !lk_walk_stack_ok(base, base + 16))
				return n;
			exact = true;
		} else {
			cfa = (rule & LK_EH_RULE_CFA_BP ? bp : sp) + lk_eh_rule_cfa_off(rule);
			if (cfa <= sp || !lk_walk_stack_ok(base, cfa))
				return n;
			pc = *(const uintptr_t *)(cfa - 8);
			if (rule & LK_EH_RULE_BP_SAVED) {
				uintptr_t at = cfa + (uintptr_t)lk_eh_rule_bp_off(rule);
				if (at < sp)
					return n;
				bp = *(const uintptr_t *)at;
			}
			sp = cfa;
		}
		if (!pc)
			break;
	}
	*complete = true;
	return n;
}

bool lk_walk_dwarf_quick(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t skip_lo,
                         uintptr_t skip_hi, lk_walk_memo_t *m, uint64_t *value)
{
	/* Only what lk_walk_dwarf would answer at once from the start PC's last walk: a start
	 * outside the skip range, a stack already verified there, a memo not gone cold and its
	 * last-walk check on. Anything else (and a mismatch) is the full walk's. */
	if (!lk_walk_keep(pc, skip_lo, skip_hi) || sp < lk_walk_ok_lo ||
	    m->misses >= LK_WALK_MEMO_COLD || m->last_fails >= LK_WALK_MEMO_LAST_FAILS)
		return false;
	lk_walk_memo_ent_t *last = m->first_last[lk_walk_memo_first_slot(pc)];
	if (!last || last->pc != pc || last->sp != sp ||
	    !lk_walk_memo_match(last, bp, lk_walk_memo_gen(), lk_walk_ok_lo, lk_walk_ok_hi))
		return false;
	m->compared++;
	m->pending = NULL;
	m->misses = 0;
	m->last_fails = 0;
	*value = last->value;
	return true;
}

int lk_walk_dwarf(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t *frames, int max,
                  uintptr_t skip_lo, uintptr_t skip_hi, lk_walk_memo_t *m, lk_walk_out_t *out)
{
	lk_rule_table_t *c = lk_rule_table_get();
	if (!c)
		return -1;
	uintptr_t base = sp;
	if (base < lk_walk_ok_lo && !lk_walk_stack_ok(base, base + 16))
		return -1;
	uintptr_t ok_hi = lk_walk_ok_hi; /* [base, ok_hi) is mapped */
	/* libleak's own frames on top (the skip range) are built with frame pointers: step them
	 * by RBP without a rule lookup. The same below, where they may recur. */
	while (!lk_walk_keep(pc, skip_lo, skip_hi)) {
		uintptr_t cfa = bp + 16;
		if (bp < sp || (bp & 7))
			return -1;
		if (cfa > ok_hi) {
			if (!lk_walk_stack_ok(base, cfa))
				return -1;
			ok_hi = lk_walk_ok_hi;
		}
		pc = ((const uintptr_t *)bp)[1];
		sp = cfa;
		bp = ((const uintptr_t *)bp)[0];
	}
	uint32_t gen = lk_walk_memo_gen();
	lk_walk_memo_ent_t *e = NULL;
	if (m) {
		m->pending = NULL;
		/* Stacks that never repeat (every walk a new path): after LK_WALK_MEMO_COLD walks
		 * that neither the memo nor the last walk helped, only one walk in
		 * LK_WALK_MEMO_COLD_EVERY looks there and records itself; the rest just walk. */
		if (m->misses >= LK_WALK_MEMO_COLD &&
		    (++m->misses & (LK_WALK_MEMO_COLD_EVERY - 1)) != 0)
			m = NULL;
	}
	if (!m)
		return lk_walk_dwarf_plain(c, pc, sp, bp, frames, max, skip_lo, skip_hi, base, out);
	{
		e = lk_walk_memo_find(m, pc, sp, bp, gen, lk_walk_ok_lo, lk_walk_ok_hi);
		if (e) {
			m->misses = 0;
			out->value = e->value;
			return 0;
		}
		e = lk_walk_memo_victim(m, pc, sp);
		e->bp = bp;
		e->gen = gen;
		e->need_bp = 0;
	}
	/* The last walk to finish with (L), and the steps of this one (t). */
	lk_walk_memo_tail_t *L = NULL, *t = NULL;
	int lj = -1;                /* L's lowest step not below sp (steps are bottom first) */
	uint32_t lver = UINT32_MAX; /* L's reads verified, from the bottom */
	if (m) {
		L = &m->tail;
		lj = (int)L->nsteps - 1;
		if (!L->nsteps || L->gen != gen || L->lo < lk_walk_ok_lo || L->hi > lk_walk_ok_hi)
			L = NULL;
		t = &m->scratch;
		t->nsteps = t->nreads = 0;
		t->complete = true;
		t->gen = gen;
		t->lo = UINTPTR_MAX;
		t->hi = 0;
	}
	/* Where RBP's value came from: 0 the start, 1 a load already recorded, else the address
	 * it was loaded from (not recorded until used). */
	uintptr_t bp_at = 0;
	bool ended = false;                     /* by an outermost frame, not by max */
	const lk_walk_memo_step_t *tail = NULL; /* the step of L this walk finished with */
	uint64_t h = LK_FRAME_HASH_SEED;
	/* Nearly every hit is at the first probe of the newest level: try that inline. */
	lk_rule_table_view_t newest = lk_rule_table_newest(c);
	int n = 0;
	while (n < max) {
		uintptr_t cfa;
		if (L) {
			while (lj >= 0 && L->step[lj].sp < sp)
				lj--;
			if (lj < 0) {
				L = NULL;
			} else if (L->step[lj].sp == sp && L->step[lj].pc == pc) {
				const lk_walk_memo_step_t *st = &L->step[lj];
				if (lver == UINT32_MAX)
					lver = lk_walk_memo_tail_verify(L);
				if (st->reads <= lver && (!st->need_bp || st->bp == bp) &&
				    (L->complete || st->frames >= (uint32_t)(max - n))) {
					tail = st;
					break;
				}
			}
		}
		if (t && t->complete) {
			if (t->nsteps < LK_WALK_MEMO_TAIL_STEPS) {
				t->step[t->nsteps++] = (lk_walk_memo_step_t){
				    .pc = pc,
				    .sp = sp,
				    .bp = bp,
				    .reads = (uint16_t)t->nreads,
				    .frames = (uint16_t)n,
				    .kept = lk_walk_keep(pc, skip_lo, skip_hi),
				};
			} else {
				t->complete = false;
			}
		}
		if (__builtin_expect(!lk_walk_keep(pc, skip_lo, skip_hi), 0)) {
			LK_WALK_FP_STEP();
			continue;
		}
		frames[n++] = pc;
		h = lk_frame_hash_step(h, pc);
		uint64_t rule = lk_rule_table_probe(newest, pc);
		if (__builtin_expect(!rule, 0)) {
			rule = lk_walk_rule_slow(c, pc);
			newest = lk_rule_table_newest(c);
		}
		if (LK_EH_RULE_KIND(rule) != LK_EH_RULE_STEP) {
			if (LK_EH_RULE_KIND(rule) == LK_EH_RULE_END) {
				ended = true;
				break;
			}
			if (rule != LK_EH_RULE_NOFDE)
				return -1;
			/* Code without call-frame information (V8's builtins and JIT code keep
			 * frame pointers): step by its frame record at RBP. */
			LK_WALK_FP_STEP();
			if (!pc) {
				ended = true;
				break;
			}
			continue;
		}
		if (rule & LK_EH_RULE_CFA_BP) {
			LK_WALK_BP_USED();
			cfa = bp + lk_eh_rule_cfa_off(rule);
		} else {
			cfa = sp + lk_eh_rule_cfa_off(rule);
		}
		if (cfa <= sp)
			return -1;
		if (cfa > ok_hi) { /* new pages above, or not our stack: checked once */
			if (!lk_walk_stack_ok(base, cfa))
				return -1;
			ok_hi = lk_walk_ok_hi;
		}
		pc = *(const uintptr_t *)(cfa - 8);
		LK_WALK_DEPEND(cfa - 8, pc);
		if (rule & LK_EH_RULE_BP_SAVED) {
			/* bp_off < 0 by construction; RBP-based CFAs are checked here. */
			uintptr_t at = cfa + (uintptr_t)lk_eh_rule_bp_off(rule);
			if (at < sp)
				return -1;
			bp = *(const uintptr_t *)at;
			bp_at = at;
			if (t && t->complete)
				t->step[t->nsteps - 1].loads_bp = 1;
		}
		sp = cfa;
		if (!pc) {
			ended = true;
			break;
		}
	}
	/* The memo entry's reads: this walk's own (t holds them all while it fits, and a walk
	 * that outgrows t has more than an entry holds), then the rest's from L. */
	if (tail && tail->need_bp)
		LK_WALK_BP_DEPEND(); /* the memo's; the rest's own need is in its steps */
	uint32_t nread = 0;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	if (e && (!t->complete || t->nreads > LK_WALK_MEMO_READS))
		e = NULL;
	if (e && t->nreads) {
		for (uint32_t k = 0; k < t->nreads; k++)
			e->rd[k] = (lk_walk_memo_rd_t){t->addr[k], t->word[k]};
		nread = t->nreads;
		lo = t->lo;
		hi = t->hi;
	}
	if (tail) {
		/* The rest is L's from tail down: its words are this walk's dependencies too. */
		if (e) {
			if (nread + tail->reads <= LK_WALK_MEMO_READS) {
				for (uint32_t k = 0; k < tail->reads; k++)
					e->rd[nread + k] =
					    (lk_walk_memo_rd_t){L->addr[k], L->word[k]};
				nread += tail->reads;
				lo = L->lo < lo ? L->lo
				                : lo; /* a range holding them: only ever wider */
				hi = L->hi > hi ? L->hi : hi;
			} else {
				e = NULL;
			}
		}
		uint32_t nf = (uint32_t)n;
		for (int k = lj; k >= 0 && n < max; k--) {
			if (L->step[k].kept) {
				frames[n++] = L->step[k].pc;
				h = lk_frame_hash_step(h, L->step[k].pc);
			}
		}
		lk_walk_memo_tail_commit(L, t, lj, nf, false);
		__atomic_store_n(&m->tails_reused, m->tails_reused + 1, __ATOMIC_RELAXED);
		/* it helped if it gave at least as many frames as this walk stepped itself */
		m->misses = (uint32_t)n - nf >= nf ? 0 : m->misses + 1;
	} else if (t) {
		lk_walk_memo_tail_commit(&m->tail, t, -1, (uint32_t)n, ended);
		m->misses++;
	}
	out->hash = h;
	out->hashed = true;
	if (e) {
		e->nread = (uint16_t)nread;
		e->lo = nread ? lo : sp;
		e->hi = nread ? hi : sp;
		lk_walk_memo_seal(m, e, t->nreads, lk_walk_ok_hi);
		m->pending = e;
	}
	return n;
}

/* ---- the frame-pointer walker ------------------------------------------------------------ */

int lk_walk_fp(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t *frames, int max,
               uintptr_t skip_lo, uintptr_t skip_hi)
{
	uintptr_t base = sp;
	if (base < lk_walk_ok_lo && !lk_walk_stack_ok(base, base + 16))
		return 0;
	int n = 0;
	while (n < max && pc) {
		if (lk_walk_keep(pc, skip_lo, skip_hi))
			frames[n++] = pc;
		if (bp < sp || (bp & 7) || bp + 16 - base > LK_WALK_STACK_MAX)
			break;
		if (bp + 16 > lk_walk_ok_hi && !lk_walk_stack_ok(base, bp + 16))
			break;
		const uintptr_t *rec = (const uintptr_t *)bp;
		pc = rec[1];
		sp = bp + 16;
		bp = rec[0];
	}
	return n;
}
