/* unwind.c - the cached x86-64 DWARF stack walker behind every recorded event.
 *
 * libunwind's unw_backtrace costs about 7.5 ns a frame and its cache is per thread (cold in
 * every new thread). Almost every x86-64 frame steps with a rule of one shape: CFA = RSP or
 * RBP + offset, return address at CFA-8, RBP either unchanged or saved at CFA+k. Such a rule
 * is built once per return address from the module's .eh_frame (dl_iterate_phdr ->
 * PT_GNU_EH_FRAME -> binary search table -> FDE -> CIE -> CFA program up to the PC) and kept
 * in a process-wide open-addressing table that is read without locks; a step is then one
 * probe and two loads. Anything else (an unknown CFA op, a CFA in another register, a signal
 * frame, a PC in no module, a CFA that does not move up the stack) sends the whole capture to
 * unw_backtrace, so the result is always what libunwind would give. Reads are kept on the
 * thread's stack: every address read lies in [sp, CFA), and the pages up to the highest CFA
 * are checked once per thread with mincore(2) (no malloc: pthread_getattr_np allocates). */
#define UNW_LOCAL_ONLY
#include "unwind.h"
#include "frame_hash.h"
#include "sys.h"

#include <errno.h>
#include <emmintrin.h>
#include <libunwind.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LK_UW_PAGE      4096u
#define LK_UW_STACK_MAX (8u << 20) /* a walk spanning more falls back */
#define LK_UW_SKIP_MAX  16         /* libleak frames a fallback may have to drop */
#define LK_UW_LEVELS    14         /* rule table levels: 2^12 .. 2^25 slots */
#define LK_UW_LEVEL0    12

/* ---- packed rules ---------------------------------------------------------------------- */

/* bits 0-1 kind, bit 2 CFA based on RBP (else RSP), bit 3 RBP saved at CFA+bp_off,
 * bits 8-31 CFA offset, bits 32-47 bp_off (int16). 0 = no rule yet. */
enum { LK_RULE_STEP = 1, LK_RULE_END = 2, LK_RULE_UNKNOWN = 3 };
#define LK_RULE_CFA_BP   4u
#define LK_RULE_BP_SAVED 8u

static uint64_t lk_rule_pack(bool cfa_bp, int64_t cfa_off, bool bp_saved, int64_t bp_off)
{
	if (cfa_off < 8 || cfa_off >= (1 << 24) || (bp_saved && (bp_off < -32768 || bp_off >= 0)))
		return LK_RULE_UNKNOWN;
	return LK_RULE_STEP | (cfa_bp ? LK_RULE_CFA_BP : 0) | (bp_saved ? LK_RULE_BP_SAVED : 0) |
	       (uint64_t)cfa_off << 8 | (uint64_t)(uint16_t)(int16_t)bp_off << 32;
}

/* ---- process-wide rule table ----------------------------------------------------------- */

/* Levels of doubling size; a level is created when the newest one is half full and gets a
 * copy of every older level's rules, so a lookup nearly always ends in the newest level (one
 * probe or two at its 25-50% load). Older levels stay mapped and are probed, newest first,
 * only on a miss there (a rule inserted into an older level while the copy ran): a rule
 * found there is copied up. Nothing is moved or freed while a reader may look. Insert: CAS
 * the key from 0, then store the rule (release); a reader that sees the key before the rule
 * treats it as a miss and builds the rule itself. Probing the levels oldest first, as
 * before, cost cc1 (6600 return addresses over three levels) five probes a frame. */
typedef struct {
	uint64_t pc;
	uint64_t rule;
} lk_uw_slot_t;

typedef struct {
	lk_uw_slot_t *level[LK_UW_LEVELS];
	uint32_t used[LK_UW_LEVELS];
	int newest;
} lk_uw_cache_t;

static lk_uw_cache_t *lk_uw_cache;
static lk_unwind_mode_t lk_uw_mode = LK_UNWIND_DWARF;
static uint64_t lk_uw_built, lk_uw_fallbacks;
static uint32_t lk_uw_gen; /* bumped by lk_unwind_invalidate: remembered walks are stale */

/* Verified stack pages of this thread: [lk_uw_ok_lo, lk_uw_ok_hi) are mapped. */
static __thread uintptr_t lk_uw_ok_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t lk_uw_ok_hi __attribute__((tls_model("initial-exec")));

static inline uint64_t lk_uw_hash(uint64_t pc)
{
	return (pc * 0x9e3779b97f4a7c15ull) >> 32; /* the low bits index every level */
}

static lk_uw_cache_t *lk_uw_cache_get(void)
{
	lk_uw_cache_t *c = __atomic_load_n(&lk_uw_cache, __ATOMIC_ACQUIRE);
	if (__builtin_expect(c != NULL, 1))
		return c;
	lk_uw_cache_t *n = lk_sys_mmap(sizeof(*n));
	if (!n)
		return NULL;
	lk_uw_cache_t *expected = NULL;
	if (!__atomic_compare_exchange_n(&lk_uw_cache, &expected, n, false, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE)) {
		lk_sys_munmap(n, sizeof(*n));
		return expected;
	}
	return n;
}

static inline uint64_t lk_uw_mask(int l)
{
	return (1ull << (LK_UW_LEVEL0 + l)) - 1;
}

/* Puts pc's rule into level l (cap slots) unless it is there; false if the level is full. */
static bool lk_uw_place(lk_uw_cache_t *c, int l, uint64_t pc, uint64_t rule)
{
	lk_uw_slot_t *s = __atomic_load_n(&c->level[l], __ATOMIC_ACQUIRE);
	uint64_t mask = lk_uw_mask(l), h = lk_uw_hash(pc);
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

static uint64_t lk_uw_find(const lk_uw_cache_t *c, int l, uint64_t pc)
{
	const lk_uw_slot_t *s = __atomic_load_n(&c->level[l], __ATOMIC_ACQUIRE);
	if (!s)
		return 0;
	uint64_t mask = lk_uw_mask(l);
	for (uint64_t i = lk_uw_hash(pc) & mask;; i = (i + 1) & mask) {
		uint64_t k = __atomic_load_n(&s[i].pc, __ATOMIC_ACQUIRE);
		if (k == pc)
			return __atomic_load_n(&s[i].rule, __ATOMIC_ACQUIRE);
		if (k == 0)
			return 0;
	}
}

/* Newest level first; a rule found only in an older one is copied up. */
static inline uint64_t lk_uw_lookup(lk_uw_cache_t *c, uint64_t pc)
{
	int newest = __atomic_load_n(&c->newest, __ATOMIC_ACQUIRE);
	for (int l = newest; l >= 0; l--) {
		uint64_t rule = lk_uw_find(c, l, pc);
		if (rule) {
			if (l != newest)
				lk_uw_place(c, newest, pc, rule);
			return rule;
		}
	}
	return 0;
}

static void lk_uw_insert(lk_uw_cache_t *c, uint64_t pc, uint64_t rule)
{
	int l = __atomic_load_n(&c->newest, __ATOMIC_ACQUIRE);
	uint64_t cap = 1ull << (LK_UW_LEVEL0 + l);
	lk_uw_slot_t *s = __atomic_load_n(&c->level[l], __ATOMIC_ACQUIRE);
	if (!s || (uint64_t)__atomic_load_n(&c->used[l], __ATOMIC_RELAXED) * 2 >= cap) {
		if (s) {
			if (l + 1 >= LK_UW_LEVELS)
				return; /* full: rules are rebuilt on every use from now on */
			l++;
			cap *= 2;
		}
		lk_uw_slot_t *n = lk_sys_mmap(cap * sizeof(*n));
		if (!n)
			return;
		lk_uw_slot_t *expected = NULL;
		if (__atomic_compare_exchange_n(&c->level[l], &expected, n, false, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE)) {
			/* Ours: copy the older levels up before lookups start here. A rule another
			 * thread adds to an older level meanwhile is copied up when found there. */
			for (int o = l - 1; o >= 0; o--) {
				const lk_uw_slot_t *os =
				    __atomic_load_n(&c->level[o], __ATOMIC_ACQUIRE);
				for (uint64_t i = 0; i <= lk_uw_mask(o); i++) {
					uint64_t k = __atomic_load_n(&os[i].pc, __ATOMIC_ACQUIRE);
					uint64_t r = __atomic_load_n(&os[i].rule, __ATOMIC_ACQUIRE);
					if (k && r)
						lk_uw_place(c, l, k, r);
				}
			}
		} else {
			lk_sys_munmap(n, cap * sizeof(*n));
		}
		int old = l - 1;
		__atomic_compare_exchange_n(&c->newest, &old, l, false, __ATOMIC_ACQ_REL,
		                            __ATOMIC_RELAXED);
	}
	lk_uw_place(c, l, pc, rule);
}

void lk_unwind_invalidate(void)
{
	__atomic_add_fetch(&lk_uw_gen, 1, __ATOMIC_ACQ_REL); /* remembered walks, too */
	/* Readers may still be probing the old table: it is dropped, never unmapped. */
	lk_uw_cache_t *n = lk_sys_mmap(sizeof(*n));
	if (n)
		__atomic_store_n(&lk_uw_cache, n, __ATOMIC_RELEASE);
}

/* ---- .eh_frame parsing ----------------------------------------------------------------- */

typedef struct {
	const uint8_t *p, *end;
	bool bad;
} lk_rd_t;

static uint64_t lk_rd_uleb(lk_rd_t *r)
{
	uint64_t v = 0;
	for (unsigned shift = 0; r->p < r->end; shift += 7) {
		uint8_t b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static int64_t lk_rd_sleb(lk_rd_t *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	while (r->p < r->end) {
		uint8_t b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~0ull << shift;
			return (int64_t)v;
		}
	}
	r->bad = true;
	return 0;
}

static uint64_t lk_rd_fixed(lk_rd_t *r, unsigned n)
{
	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	memcpy(&v, r->p, n);
	r->p += n;
	return v;
}

/* DW_EH_PE pointer encodings. datarel is the .eh_frame_hdr base; application bits other
 * than pcrel/datarel (and indirect) are refused. */
static uint64_t lk_rd_encoded(lk_rd_t *r, uint8_t enc, uint64_t datarel)
{
	uint64_t base = (uint64_t)(uintptr_t)r->p, v;
	if (enc == 0xff) {
		r->bad = true;
		return 0;
	}
	switch (enc & 0x0f) {
	case 0x00:
		v = lk_rd_fixed(r, 8);
		break;
	case 0x01:
		v = lk_rd_uleb(r);
		break;
	case 0x02:
		v = lk_rd_fixed(r, 2);
		break;
	case 0x03:
		v = lk_rd_fixed(r, 4);
		break;
	case 0x04:
		v = lk_rd_fixed(r, 8);
		break;
	case 0x09:
		v = (uint64_t)lk_rd_sleb(r);
		break;
	case 0x0a:
		v = (uint64_t)(int64_t)(int16_t)lk_rd_fixed(r, 2);
		break;
	case 0x0b:
		v = (uint64_t)(int64_t)(int32_t)lk_rd_fixed(r, 4);
		break;
	case 0x0c:
		v = lk_rd_fixed(r, 8);
		break;
	default:
		r->bad = true;
		return 0;
	}
	switch (enc & 0x70) {
	case 0x00:
		break;
	case 0x10:
		v += base;
		break;
	case 0x30:
		v += datarel;
		break;
	default:
		r->bad = true;
		return 0;
	}
	if (enc & 0x80) /* indirect: never seen for FDE addresses; refuse */
		r->bad = true;
	return v;
}

/* Rule state while running a CFA program. Registers: 6 RBP, 7 RSP, 16 return address. */
enum { LK_REG_SAME = 0, LK_REG_OFFSET = 1, LK_REG_UNDEF = 2, LK_REG_OTHER = 3 };

typedef struct {
	int64_t cfa_off, bp_off, ra_off;
	uint8_t cfa_reg, cfa_ok, bp_how, ra_how;
} lk_cfa_state_t;

#define LK_CFA_STACK 8

typedef struct {
	const uint8_t *init, *init_end; /* CIE initial instructions */
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	uint8_t fde_enc;
	bool signal, has_z;
} lk_cie_t;

static void lk_cfa_set_reg(lk_cfa_state_t *st, uint64_t reg, int how, int64_t off)
{
	if (reg == 6) {
		st->bp_how = (uint8_t)how;
		st->bp_off = off;
	} else if (reg == 16) {
		st->ra_how = (uint8_t)how;
		st->ra_off = off;
	} else if (reg == 7) {
		st->cfa_ok = 0; /* an explicit RSP rule: not our shape */
	}
}

static void lk_cfa_restore_reg(lk_cfa_state_t *st, const lk_cfa_state_t *init, uint64_t reg)
{
	if (reg == 6) {
		st->bp_how = init->bp_how;
		st->bp_off = init->bp_off;
	} else if (reg == 16) {
		st->ra_how = init->ra_how;
		st->ra_off = init->ra_off;
	}
}

/* Runs the program in [p, end) from location loc while loc <= target. init is the state
 * after the CIE's initial instructions (NULL while running them). Returns false on an
 * instruction it does not model. */
static bool lk_cfa_run(const uint8_t *p, const uint8_t *end, const lk_cie_t *cie, uint64_t loc,
                       uint64_t target, lk_cfa_state_t *st, const lk_cfa_state_t *init)
{
	lk_rd_t r = {p, end, false};
	lk_cfa_state_t stack[LK_CFA_STACK];
	int depth = 0;
	while (r.p < r.end && !r.bad) {
		uint8_t op = *r.p++;
		uint8_t low = op & 0x3f;
		uint64_t reg, delta;
		switch (op >> 6) {
		case 1: /* advance_loc */
			loc += low * cie->code_align;
			if (loc > target)
				return true;
			continue;
		case 2: /* offset */
			lk_cfa_set_reg(st, low, LK_REG_OFFSET,
			               (int64_t)lk_rd_uleb(&r) * cie->data_align);
			continue;
		case 3: /* restore */
			if (!init)
				return false;
			lk_cfa_restore_reg(st, init, low);
			continue;
		default:
			break;
		}
		switch (op) {
		case 0x00:
			break; /* nop */
		case 0x02:     /* advance_loc1/2/4 */
		case 0x03:
		case 0x04:
			delta = lk_rd_fixed(&r, op == 0x02 ? 1 : op == 0x03 ? 2 : 4);
			loc += delta * cie->code_align;
			if (loc > target)
				return !r.bad;
			break;
		case 0x05: /* offset_extended */
			reg = lk_rd_uleb(&r);
			lk_cfa_set_reg(st, reg, LK_REG_OFFSET,
			               (int64_t)lk_rd_uleb(&r) * cie->data_align);
			break;
		case 0x11: /* offset_extended_sf */
			reg = lk_rd_uleb(&r);
			lk_cfa_set_reg(st, reg, LK_REG_OFFSET, lk_rd_sleb(&r) * cie->data_align);
			break;
		case 0x06: /* restore_extended */
			if (!init)
				return false;
			lk_cfa_restore_reg(st, init, lk_rd_uleb(&r));
			break;
		case 0x07: /* undefined */
			lk_cfa_set_reg(st, lk_rd_uleb(&r), LK_REG_UNDEF, 0);
			break;
		case 0x08: /* same_value */
			lk_cfa_set_reg(st, lk_rd_uleb(&r), LK_REG_SAME, 0);
			break;
		case 0x09: /* register: fine for other registers, not for ours */
			reg = lk_rd_uleb(&r);
			lk_rd_uleb(&r);
			lk_cfa_set_reg(st, reg, LK_REG_OTHER, 0);
			break;
		case 0x0a: /* remember_state */
			if (depth == LK_CFA_STACK)
				return false;
			stack[depth++] = *st;
			break;
		case 0x0b: /* restore_state */
			if (depth == 0)
				return false;
			*st = stack[--depth];
			break;
		case 0x0c: /* def_cfa */
			st->cfa_reg = (uint8_t)lk_rd_uleb(&r);
			st->cfa_off = (int64_t)lk_rd_uleb(&r);
			st->cfa_ok = 1;
			break;
		case 0x12: /* def_cfa_sf */
			st->cfa_reg = (uint8_t)lk_rd_uleb(&r);
			st->cfa_off = lk_rd_sleb(&r) * cie->data_align;
			st->cfa_ok = 1;
			break;
		case 0x0d: /* def_cfa_register */
			st->cfa_reg = (uint8_t)lk_rd_uleb(&r);
			break;
		case 0x0e: /* def_cfa_offset */
			st->cfa_off = (int64_t)lk_rd_uleb(&r);
			break;
		case 0x13: /* def_cfa_offset_sf */
			st->cfa_off = lk_rd_sleb(&r) * cie->data_align;
			break;
		case 0x0f: /* def_cfa_expression */
			delta = lk_rd_uleb(&r);
			r.p += delta <= (uint64_t)(r.end - r.p) ? delta : 0;
			st->cfa_ok = 0;
			break;
		case 0x10: /* expression */
		case 0x16: /* val_expression */
			reg = lk_rd_uleb(&r);
			delta = lk_rd_uleb(&r);
			if (delta > (uint64_t)(r.end - r.p))
				return false;
			r.p += delta;
			lk_cfa_set_reg(st, reg, LK_REG_OTHER, 0);
			break;
		case 0x14: /* val_offset */
			reg = lk_rd_uleb(&r);
			lk_rd_uleb(&r);
			lk_cfa_set_reg(st, reg, LK_REG_OTHER, 0);
			break;
		case 0x15: /* val_offset_sf */
			reg = lk_rd_uleb(&r);
			lk_rd_sleb(&r);
			lk_cfa_set_reg(st, reg, LK_REG_OTHER, 0);
			break;
		case 0x2e: /* GNU_args_size: no effect on the CFA */
			lk_rd_uleb(&r);
			break;
		case 0x2f: /* GNU_negative_offset_extended */
			reg = lk_rd_uleb(&r);
			lk_cfa_set_reg(st, reg, LK_REG_OFFSET,
			               -(int64_t)lk_rd_uleb(&r) * cie->data_align);
			break;
		default:
			return false; /* set_loc, vendor ops: not modelled */
		}
	}
	return !r.bad;
}

static bool lk_cie_parse(const uint8_t *cie, lk_cie_t *out)
{
	lk_rd_t r = {cie, cie + 16, false};
	uint64_t len = lk_rd_fixed(&r, 4);
	if (len == 0xffffffffu)
		return false; /* 64-bit DWARF .eh_frame: not produced on x86-64 Linux */
	r.end = r.p + len;
	if (lk_rd_fixed(&r, 4) != 0)
		return false; /* not a CIE */
	uint8_t version = (uint8_t)lk_rd_fixed(&r, 1);
	const char *aug = (const char *)r.p;
	size_t aug_len = strnlen(aug, (size_t)(r.end - r.p));
	r.p += aug_len + 1;
	if (aug[0] == 'e' && aug[1] == 'h')
		r.p += 8;
	out->code_align = lk_rd_uleb(&r);
	out->data_align = lk_rd_sleb(&r);
	out->ra_reg = version == 1 ? lk_rd_fixed(&r, 1) : lk_rd_uleb(&r);
	out->fde_enc = 0; /* absptr */
	out->signal = false;
	out->has_z = aug[0] == 'z';
	if (aug[0] == 'z') {
		uint64_t alen = lk_rd_uleb(&r);
		const uint8_t *data_end = r.p + alen;
		for (const char *a = aug + 1; *a && !r.bad; a++) {
			if (*a == 'R') {
				out->fde_enc = (uint8_t)lk_rd_fixed(&r, 1);
			} else if (*a == 'L') {
				lk_rd_fixed(&r, 1);
			} else if (*a == 'P') {
				uint8_t penc = (uint8_t)lk_rd_fixed(&r, 1);
				lk_rd_encoded(&r, (uint8_t)(penc & 0x7f), 0); /* skip the pointer */
			} else if (*a == 'S') {
				out->signal = true;
			} else if (*a != 'B' && *a != 'G') {
				return false;
			}
		}
		r.p = data_end;
	} else if (aug[0] && !(aug[0] == 'e' && aug[1] == 'h' && !aug[2])) {
		return false;
	}
	out->init = r.p;
	out->init_end = r.end;
	return !r.bad && r.p <= r.end;
}

/* Builds the rule for return address pc from the FDE at fde (pc inside its range). */
static uint64_t lk_rule_from_fde(const uint8_t *fde, uint64_t pc)
{
	lk_rd_t r = {fde, fde + 16, false};
	uint64_t len = lk_rd_fixed(&r, 4);
	if (len == 0xffffffffu || len == 0)
		return LK_RULE_UNKNOWN;
	r.end = r.p + len;
	const uint8_t *idp = r.p;
	uint32_t cie_off = (uint32_t)lk_rd_fixed(&r, 4);
	if (cie_off == 0)
		return LK_RULE_UNKNOWN;
	lk_cie_t cie;
	if (!lk_cie_parse(idp - cie_off, &cie) || cie.signal || cie.ra_reg != 16)
		return LK_RULE_UNKNOWN;
	uint64_t start = lk_rd_encoded(&r, cie.fde_enc, 0);
	uint64_t range = lk_rd_encoded(&r, (uint8_t)(cie.fde_enc & 0x0f), 0);
	if (r.bad || pc - 1 < start || pc - 1 >= start + range)
		return LK_RULE_UNKNOWN;
	const uint8_t *ins = r.p;
	if (cie.has_z) { /* the FDE's augmentation data, length first */
		uint64_t alen = lk_rd_uleb(&r);
		if (r.bad || alen > (uint64_t)(r.end - r.p))
			return LK_RULE_UNKNOWN;
		ins = r.p + alen;
	}
	lk_cfa_state_t st = {0};
	st.ra_how = LK_REG_SAME;
	if (!lk_cfa_run(cie.init, cie.init_end, &cie, start, UINT64_MAX, &st, NULL))
		return LK_RULE_UNKNOWN;
	lk_cfa_state_t init = st;
	/* The return address points after the call; the call itself is at pc - 1. */
	if (!lk_cfa_run(ins, r.end, &cie, start, pc - 1, &st, &init))
		return LK_RULE_UNKNOWN;
	if (st.ra_how == LK_REG_UNDEF)
		return LK_RULE_END;
	if (!st.cfa_ok || (st.cfa_reg != 7 && st.cfa_reg != 6) || st.ra_how != LK_REG_OFFSET ||
	    st.ra_off != -8 || (st.bp_how != LK_REG_SAME && st.bp_how != LK_REG_OFFSET))
		return LK_RULE_UNKNOWN;
	return lk_rule_pack(st.cfa_reg == 6, st.cfa_off, st.bp_how == LK_REG_OFFSET, st.bp_off);
}

/* Finds the FDE covering pc - 1 through .eh_frame_hdr's sorted table. */
static uint64_t lk_rule_from_hdr(const uint8_t *hdr, uint64_t pc)
{
	lk_rd_t r = {hdr, hdr + 4 + 8 + 8, false};
	uint8_t version = hdr[0], ptr_enc = hdr[1], count_enc = hdr[2], table_enc = hdr[3];
	r.p += 4;
	if (version != 1 || table_enc != 0x3b) /* datarel sdata4: what every linker writes */
		return LK_RULE_UNKNOWN;
	lk_rd_encoded(&r, ptr_enc, (uint64_t)(uintptr_t)hdr);
	uint64_t count = lk_rd_encoded(&r, count_enc, (uint64_t)(uintptr_t)hdr);
	if (r.bad || count == 0)
		return LK_RULE_UNKNOWN;
	const int32_t *table = (const int32_t *)(const void *)r.p;
	uint64_t target = pc - 1 - (uint64_t)(uintptr_t)hdr;
	uint64_t lo = 0, hi = count; /* last entry with start <= target */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if ((int64_t)table[2 * mid] <= (int64_t)target)
			lo = mid;
		else
			hi = mid;
	}
	if ((int64_t)table[2 * lo] > (int64_t)target)
		return LK_RULE_UNKNOWN;
	return lk_rule_from_fde(hdr + table[2 * lo + 1], pc);
}

typedef struct {
	uint64_t pc;
	const uint8_t *hdr; /* .eh_frame_hdr of the module holding pc - 1 */
	bool found;         /* pc - 1 is in some module */
} lk_find_arg_t;

/* Only finds the module: the FDE is parsed after dl_iterate_phdr returns, so the loader's
 * lock is held for a scan of program headers and no longer (a fork while another thread
 * holds it leaves the child's loader locked). The module stays mapped meanwhile: pc is a
 * return address on this thread's stack. */
static int lk_find_cb(struct dl_phdr_info *info, size_t size, void *varg)
{
	(void)size;
	lk_find_arg_t *arg = varg;
	uint64_t pc = arg->pc - 1;
	const ElfW(Phdr) *eh = NULL;
	bool inside = false;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t a = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && pc >= a && pc < a + ph->p_memsz)
			inside = true;
		else if (ph->p_type == PT_GNU_EH_FRAME)
			eh = ph;
	}
	if (!inside)
		return 0;
	arg->found = true;
	arg->hdr = eh ? (const uint8_t *)(info->dlpi_addr + eh->p_vaddr) : NULL;
	return 1;
}

/* Returns the rule for pc, or 0 if pc is in no module (not cached: code may be mapped there
 * later). */
static uint64_t lk_rule_build(uint64_t pc)
{
	lk_find_arg_t arg = {pc, NULL, false};
	dl_iterate_phdr(lk_find_cb, &arg);
	__atomic_add_fetch(&lk_uw_built, 1, __ATOMIC_RELAXED);
	if (!arg.found)
		return 0;
	return arg.hdr ? lk_rule_from_hdr(arg.hdr, pc) : LK_RULE_UNKNOWN;
}

static inline uint64_t lk_rule_get(lk_uw_cache_t *c, uint64_t pc)
{
	uint64_t rule = lk_uw_lookup(c, pc);
	if (__builtin_expect(rule != 0, 1))
		return rule;
	rule = lk_rule_build(pc);
	if (!rule)
		return LK_RULE_UNKNOWN;
	lk_uw_insert(c, pc, rule);
	return rule;
}

/* ---- stack bounds ---------------------------------------------------------------------- */

/* True if [sp, hi) may be read: extends this thread's verified range with one mincore(2),
 * which fails with ENOMEM on any unmapped page. */
static bool lk_uw_stack_ok(uintptr_t sp, uintptr_t hi)
{
	if (__builtin_expect(sp >= lk_uw_ok_lo && hi <= lk_uw_ok_hi, 1))
		return true;
	if (hi <= sp || hi - sp > LK_UW_STACK_MAX)
		return false;
	uintptr_t lo = sp & ~(uintptr_t)(LK_UW_PAGE - 1);
	uintptr_t top = (hi + LK_UW_PAGE - 1) & ~(uintptr_t)(LK_UW_PAGE - 1);
	/* Keep what is verified when the new range overlaps it (the same stack, deeper or
	 * higher); start over on another stack (a signal stack, a coroutine). */
	bool overlap = lk_uw_ok_hi && lo <= lk_uw_ok_hi && top >= lk_uw_ok_lo;
	uintptr_t check_lo = lo, check_hi = top;
	if (overlap && lo >= lk_uw_ok_lo)
		check_lo = lk_uw_ok_hi; /* only the new pages above */
	else if (overlap && top <= lk_uw_ok_hi)
		check_hi = lk_uw_ok_lo; /* only the new pages below */
	if (check_hi > check_lo) {
		unsigned char vec[LK_UW_STACK_MAX / LK_UW_PAGE];
		int saved = errno;
		long rc = syscall(SYS_mincore, (void *)check_lo, check_hi - check_lo, vec);
		errno = saved;
		if (rc != 0)
			return false;
	}
	if (overlap) {
		lk_uw_ok_lo = lo < lk_uw_ok_lo ? lo : lk_uw_ok_lo;
		lk_uw_ok_hi = top > lk_uw_ok_hi ? top : lk_uw_ok_hi;
	} else {
		lk_uw_ok_lo = lo;
		lk_uw_ok_hi = top;
	}
	return true;
}

/* ---- walkers --------------------------------------------------------------------------- */

static inline bool lk_uw_keep(uintptr_t pc, uintptr_t skip_lo, uintptr_t skip_hi)
{
	return pc < skip_lo || pc >= skip_hi;
}

/* ---- per-thread memo of recent walks --------------------------------------------------- */

/* A walk is a pure function of where it starts (PC, RSP, and RBP if a rule uses it before
 * reloading it) and of the stack words it reads: the same start and the same words give the
 * same frames. So each thread keeps its last few walks, keyed by their first frame outside
 * libleak (return address and stack pointer) with every (address, word) pair they read. A
 * capture that starts from a remembered place and finds every word unchanged reuses the value
 * stored with that walk (the interned stack id) instead of walking and interning: one load and
 * compare per word, no rule lookups, no hashing. A loop calling malloc from one place hits;
 * the same callee reached through another caller at the same depth reads a different return
 * address and misses. Entries are tagged with lk_uw_gen, bumped by lk_unwind_invalidate. */
/* Fully associative: a helper called from many places has many (sqlite3 finds 62% of its
 * walks with 16 entries, 99.8% with 32). */
#define LK_UW_MEMO_WAYS  32
#define LK_UW_MEMO_READS 64 /* words a remembered walk may read (deeper walks are not kept) */

typedef struct {
	uintptr_t pc, sp; /* start: first frame outside the skip range */
	uintptr_t bp;     /* RBP at the start, if need_bp */
	uintptr_t lo, hi; /* lowest word read, end of the highest */
	uint64_t value;   /* caller's value for this walk; 0 = entry unused */
	uint32_t gen;     /* lk_uw_gen when walked */
	uint16_t nread;
	uint8_t need_bp;                  /* RBP at the start was used before any reload */
	uintptr_t addr[LK_UW_MEMO_READS]; /* (not offsets from sp: 1.4x slower to compare) */
	uintptr_t word[LK_UW_MEMO_READS];
} lk_uw_memo_ent_t;

/* The last walk, step by step, for the next one to finish with: a walk that reaches a step
 * of it (same PC, RSP, and RBP where the rest uses it) while every word the rest read is
 * unchanged would walk the same rest, so it takes those frames instead of walking them.
 * Allocation sites differ near the top and share the frames below (cc1: 20 frames a walk,
 * a memo hit on 37% of them, 3 steps walked when the rest is taken). The record is kept
 * bottom first, so the shared rest stays where it is and only the new top is written. */
#define LK_UW_TAIL_STEPS 128
#define LK_UW_TAIL_READS 256

typedef struct {
	uintptr_t pc, sp, bp; /* the walk's state as the step begins */
	uint16_t reads;       /* record: reads by this step and those below; scratch: before it */
	uint16_t frames;      /* record: frames at this step and below; scratch: before it */
	uint8_t kept;         /* pc is a frame (outside the skip range) */
	uint8_t uses_bp;      /* the step uses RBP's value */
	uint8_t loads_bp;     /* ... then loads RBP */
	uint8_t need_bp;      /* the rest from here depends on RBP's value at this step */
} lk_uw_step_t;

typedef struct {
	uint32_t nsteps, nreads; /* nsteps 0: nothing to reuse */
	uint32_t gen;
	bool complete;    /* record: ended by itself (not at max); scratch: still fits */
	uintptr_t lo, hi; /* lowest word read, end of the highest (or a wider range) */
	lk_uw_step_t step[LK_UW_TAIL_STEPS];
	uintptr_t addr[LK_UW_TAIL_READS], word[LK_UW_TAIL_READS];
} lk_uw_tail_t;

typedef struct lk_uw_memo lk_uw_memo_t;
struct lk_uw_memo {
	lk_uw_tail_t tail;    /* the last walk, bottom first */
	lk_uw_tail_t scratch; /* this walk's steps, top first, until it ends */
	uint64_t tails_reused;
	/* hash of each entry's start (0: unused), scanned 4 at a time apart from the entries:
	 * 128 bytes for 32 ways */
	uint32_t tag[LK_UW_MEMO_WAYS] __attribute__((aligned(64)));
	lk_uw_memo_ent_t ent[LK_UW_MEMO_WAYS];
	lk_uw_memo_ent_t *pending; /* the last walk, waiting for lk_unwind_memo_store */
	uint32_t rng;              /* picks the entry a new walk replaces */
	int in_use;
	lk_uw_memo_t *next; /* pool: push-only list, reused after a thread exits */
};

static lk_uw_memo_t *lk_uw_memo_pool;
static __thread lk_uw_memo_t *lk_uw_memo_self __attribute__((tls_model("initial-exec")));
static pthread_key_t lk_uw_memo_key;
static bool lk_uw_memo_key_ok;

static void lk_uw_memo_release(void *p)
{
	lk_uw_memo_t *m = p;
	if (m == lk_uw_memo_self)
		lk_uw_memo_self = NULL;
	if (m)
		__atomic_store_n(&m->in_use, 0, __ATOMIC_RELEASE);
}

/* This thread's memo: a released one from the pool, or a new mapping; NULL without memory. */
static lk_uw_memo_t *lk_uw_memo_get(void)
{
	lk_uw_memo_t *m = lk_uw_memo_self;
	if (__builtin_expect(m != NULL, 1))
		return m;
	for (m = __atomic_load_n(&lk_uw_memo_pool, __ATOMIC_ACQUIRE); m; m = m->next) {
		int expect = 0;
		if (!__atomic_load_n(&m->in_use, __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&m->in_use, &expect, 1, false, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED))
			break;
	}
	if (m) {
		for (int i = 0; i < LK_UW_MEMO_WAYS; i++) {
			m->tag[i] = 0;
			m->ent[i].value = 0;
		}
		m->tail.nsteps = 0; /* another thread's stack */
	} else {
		m = lk_sys_mmap(sizeof(*m));
		if (!m)
			return NULL;
		m->in_use = 1;
		m->next = __atomic_load_n(&lk_uw_memo_pool, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&lk_uw_memo_pool, &m->next, m, true,
		                                    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			;
	}
	m->pending = NULL;
	lk_uw_memo_self = m;
	if (lk_uw_memo_key_ok) /* key < 32: glibc does not allocate */
		pthread_setspecific(lk_uw_memo_key, m);
	return m;
}

/* True if e's stack words all still hold what its walk read (its start matched). The words
 * lie in [e->lo, e->hi), were read then, and are checked against this thread's verified stack. */
static inline bool lk_uw_memo_match(const lk_uw_memo_ent_t *e, uintptr_t bp, uint32_t gen)
{
	if (!e->value || e->gen != gen || (e->need_bp && e->bp != bp))
		return false;
	if (e->lo < lk_uw_ok_lo || e->hi > lk_uw_ok_hi)
		return false;
	for (uint32_t i = 0; i < e->nread; i++)
		if (*(const uintptr_t *)e->addr[i] != e->word[i])
			return false;
	return true;
}

static inline uint32_t lk_uw_memo_tag(uintptr_t pc, uintptr_t sp)
{
	uint64_t x = (pc ^ (sp << 17 | sp >> 47)) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(x >> 32) | 1; /* never 0 (unused) */
}

/* The remembered walk from (pc, sp, bp) that the stack still matches, or NULL. */
static inline lk_uw_memo_ent_t *lk_uw_memo_find(lk_uw_memo_t *m, uintptr_t pc, uintptr_t sp,
                                                uintptr_t bp, uint32_t gen)
{
	const __m128i want = _mm_set1_epi32((int)lk_uw_memo_tag(pc, sp));
	for (int i = 0; i < LK_UW_MEMO_WAYS; i += 4) {
		__m128i t = _mm_load_si128((const __m128i *)&m->tag[i]);
		for (unsigned bits =
		         (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(t, want)));
		     bits; bits &= bits - 1) {
			lk_uw_memo_ent_t *e = &m->ent[i + __builtin_ctz(bits)];
			if (e->pc == pc && e->sp == sp && lk_uw_memo_match(e, bp, gen))
				return e;
		}
	}
	return NULL;
}

/* The entry a new walk from (pc, sp) replaces: an unused one, else one at random (a cycle
 * through more walks than entries then still hits some). */
static lk_uw_memo_ent_t *lk_uw_memo_victim(lk_uw_memo_t *m, uintptr_t pc, uintptr_t sp)
{
	int v = -1;
	for (int i = 0; i < LK_UW_MEMO_WAYS && v < 0; i++)
		if (!m->tag[i]) /* the tags only: one cache line per entry is read on a hit only */
			v = i;
	if (v < 0) {
		uint32_t x = m->rng ? m->rng : 2463534242u;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		m->rng = x;
		v = (int)(x % LK_UW_MEMO_WAYS);
	}
	m->tag[v] = lk_uw_memo_tag(pc, sp);
	m->ent[v].pc = pc;
	m->ent[v].sp = sp;
	m->ent[v].value = 0;
	return &m->ent[v];
}

/* Records that the walk's result depends on the word at at_ (which it read as val_);
 * past LK_UW_MEMO_READS the walk is not remembered. */
#define LK_UW_DEPEND(at_, val_)                                                                    \
	do {                                                                                       \
		if (t && t->complete) {                                                            \
			if (t->nreads < LK_UW_TAIL_READS) {                                        \
				t->addr[t->nreads] = (at_);                                        \
				t->word[t->nreads++] = (val_);                                     \
				t->lo = (at_) < t->lo ? (at_) : t->lo;                             \
				t->hi = (at_) + 8 > t->hi ? (at_) + 8 : t->hi;                     \
			} else {                                                                   \
				t->complete = false;                                               \
			}                                                                          \
		}                                                                                  \
		if (e) {                                                                           \
			if (nread < LK_UW_MEMO_READS) {                                            \
				e->addr[nread] = (at_);                                            \
				e->word[nread] = (val_);                                           \
				lo = (at_) < lo ? (at_) : lo;                                      \
				hi = (at_) + 8 > hi ? (at_) + 8 : hi;                              \
				nread++;                                                           \
			} else {                                                                   \
				e = NULL;                                                          \
			}                                                                          \
		}                                                                                  \
	} while (0)

/* RBP is about to be used (an RBP-based CFA, a frame-pointer step). With
 * -fomit-frame-pointer RBP is an ordinary callee-saved register: the words saved for it
 * are the callers' loop counters and pointers, so a reload counts only once it is used.
 * LK_UW_BP_DEPEND records that for the memo; LK_UW_BP_USED also marks the step in t. */
#define LK_UW_BP_DEPEND()                                                                          \
	do {                                                                                       \
		if (bp_at == 0) {                                                                  \
			if (e)                                                                     \
				e->need_bp = 1;                                                    \
		} else if (bp_at != 1) {                                                           \
			LK_UW_DEPEND(bp_at, bp);                                                   \
			bp_at = 1;                                                                 \
		}                                                                                  \
	} while (0)
#define LK_UW_BP_USED()                                                                            \
	do {                                                                                       \
		if (t && t->complete)                                                              \
			t->step[t->nsteps - 1].uses_bp = 1;                                        \
		LK_UW_BP_DEPEND();                                                                 \
	} while (0)

typedef struct {
	uint64_t hash;  /* lk_frame_hash of the frames written, if hashed */
	uint64_t value; /* memo hit: the stored value (no frames written); else 0 */
	bool hashed;
} lk_uw_out_t;

/* How many of the record's reads, from the bottom, still hold what its walk read. */
static uint32_t lk_uw_tail_verify(const lk_uw_tail_t *r)
{
	uint32_t i = 0;
	while (i < r->nreads && *(const uintptr_t *)r->addr[i] == r->word[i])
		i++;
	return i;
}

/* The walk of this capture ended: makes the record of the last walk its steps (scratch t,
 * top first) above the record's steps [0, keep] (keep < 0: none), which it finished with.
 * nf: frames the walk kept itself; complete: how the walk ended, for a whole new record
 * (keep < 0; a kept rest keeps its own). Nothing changes if the result would not fit. */
static void lk_uw_tail_commit(lk_uw_tail_t *r, const lk_uw_tail_t *t, int keep, uint32_t nf,
                              bool complete)
{
	uint32_t base = keep >= 0 ? (uint32_t)keep + 1 : 0;
	uint32_t rbase = keep >= 0 ? r->step[keep].reads : 0;
	uint32_t fbase = keep >= 0 ? r->step[keep].frames : 0;
	if (!t->complete || base + t->nsteps > LK_UW_TAIL_STEPS ||
	    rbase + t->nreads > LK_UW_TAIL_READS || base + t->nsteps == 0)
		return;
	bool next = keep >= 0 && r->step[keep].need_bp;
	for (uint32_t i = t->nsteps; i-- > 0;) {
		lk_uw_step_t st = t->step[i];
		next = st.uses_bp || (!st.loads_bp && next);
		st.need_bp = next;
		st.reads = (uint16_t)(rbase + t->nreads - st.reads);
		st.frames = (uint16_t)(fbase + nf - st.frames);
		r->step[base + (t->nsteps - 1 - i)] = st;
	}
	for (uint32_t i = 0; i < t->nreads; i++) {
		r->addr[rbase + i] = t->addr[t->nreads - 1 - i];
		r->word[rbase + i] = t->word[t->nreads - 1 - i];
	}
	r->nsteps = base + t->nsteps;
	r->nreads = rbase + t->nreads;
	if (keep < 0) {
		r->complete = complete;
		r->lo = t->lo;
		r->hi = t->hi;
	} else {
		r->lo = t->lo < r->lo ? t->lo : r->lo;
		r->hi = t->hi > r->hi ? t->hi : r->hi;
	}
	r->gen = t->gen;
}

/* The DWARF walk from the caller's state; returns the count, or -1 to fall back. With a memo,
 * a remembered walk is reused (returns 0, out->value set) or this one is remembered. */
static int lk_uw_walk_dwarf(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t *frames, int max,
                            uintptr_t skip_lo, uintptr_t skip_hi, lk_uw_memo_t *m, lk_uw_out_t *out)
{
	lk_uw_cache_t *c = lk_uw_cache_get();
	if (!c)
		return -1;
	uintptr_t base = sp;
	if (base < lk_uw_ok_lo && !lk_uw_stack_ok(base, base + 16))
		return -1;
	uintptr_t ok_hi = lk_uw_ok_hi; /* [base, ok_hi) is mapped */
	/* libleak's own frames on top (the skip range) are built with frame pointers: step them
	 * by RBP without a rule lookup. The same below, where they may recur. */
	while (!lk_uw_keep(pc, skip_lo, skip_hi)) {
		uintptr_t cfa = bp + 16;
		if (bp < sp || (bp & 7))
			return -1;
		if (cfa > ok_hi) {
			if (!lk_uw_stack_ok(base, cfa))
				return -1;
			ok_hi = lk_uw_ok_hi;
		}
		pc = ((const uintptr_t *)bp)[1];
		sp = cfa;
		bp = ((const uintptr_t *)bp)[0];
	}
	uint32_t gen = __atomic_load_n(&lk_uw_gen, __ATOMIC_ACQUIRE);
	lk_uw_memo_ent_t *e = NULL;
	if (m) {
		m->pending = NULL;
		e = lk_uw_memo_find(m, pc, sp, bp, gen);
		if (e) {
			out->value = e->value;
			return 0;
		}
		e = lk_uw_memo_victim(m, pc, sp);
		e->bp = bp;
		e->gen = gen;
		e->need_bp = 0;
	}
	/* The last walk to finish with (L), and the steps of this one (t). */
	lk_uw_tail_t *L = NULL, *t = NULL;
	int lj = -1;                /* L's lowest step not below sp (steps are bottom first) */
	uint32_t lver = UINT32_MAX; /* L's reads verified, from the bottom */
	if (m) {
		L = &m->tail;
		lj = (int)L->nsteps - 1;
		if (!L->nsteps || L->gen != gen || L->lo < lk_uw_ok_lo || L->hi > lk_uw_ok_hi)
			L = NULL;
		t = &m->scratch;
		t->nsteps = t->nreads = 0;
		t->complete = true;
		t->gen = gen;
		t->lo = UINTPTR_MAX;
		t->hi = 0;
	}
	uint32_t nread = 0;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	/* Where RBP's value came from: 0 the start, 1 a load already recorded, else the address
	 * it was loaded from (not recorded until used). */
	uintptr_t bp_at = 0;
	bool ended = false;              /* by an outermost frame, not by max */
	const lk_uw_step_t *tail = NULL; /* the step of L this walk finished with */
	uint64_t h = LK_FRAME_HASH_SEED;
	/* Nearly every hit is at the first probe of the newest level: try that inline. */
	int l0 = __atomic_load_n(&c->newest, __ATOMIC_ACQUIRE);
	const lk_uw_slot_t *s0 = __atomic_load_n(&c->level[l0], __ATOMIC_ACQUIRE);
	uint64_t mask0 = lk_uw_mask(l0);
	int n = 0;
	while (n < max) {
		uintptr_t cfa;
		if (L) {
			while (lj >= 0 && L->step[lj].sp < sp)
				lj--;
			if (lj < 0) {
				L = NULL;
			} else if (L->step[lj].sp == sp && L->step[lj].pc == pc) {
				const lk_uw_step_t *st = &L->step[lj];
				if (lver == UINT32_MAX)
					lver = lk_uw_tail_verify(L);
				if (st->reads <= lver && (!st->need_bp || st->bp == bp) &&
				    (L->complete || st->frames >= (uint32_t)(max - n))) {
					tail = st;
					break;
				}
			}
		}
		if (t && t->complete) {
			if (t->nsteps < LK_UW_TAIL_STEPS) {
				t->step[t->nsteps++] = (lk_uw_step_t){
				    .pc = pc,
				    .sp = sp,
				    .bp = bp,
				    .reads = (uint16_t)t->nreads,
				    .frames = (uint16_t)n,
				    .kept = lk_uw_keep(pc, skip_lo, skip_hi),
				};
			} else {
				t->complete = false;
			}
		}
		if (__builtin_expect(!lk_uw_keep(pc, skip_lo, skip_hi), 0)) {
			cfa = bp + 16;
			LK_UW_BP_USED();
			if (bp < sp || (bp & 7))
				return -1;
			if (cfa > ok_hi) {
				if (!lk_uw_stack_ok(base, cfa))
					return -1;
				ok_hi = lk_uw_ok_hi;
			}
			uintptr_t at = bp;
			pc = ((const uintptr_t *)at)[1];
			LK_UW_DEPEND(at + 8, pc);
			bp = ((const uintptr_t *)at)[0];
			bp_at = at;
			if (t && t->complete)
				t->step[t->nsteps - 1].loads_bp = 1;
			sp = cfa;
			continue;
		}
		frames[n++] = pc;
		h = lk_frame_hash_step(h, pc);
		uint64_t rule = 0;
		if (__builtin_expect(s0 != NULL, 1)) {
			const lk_uw_slot_t *slot = &s0[lk_uw_hash(pc) & mask0];
			if (__atomic_load_n(&slot->pc, __ATOMIC_ACQUIRE) == pc)
				rule = __atomic_load_n(&slot->rule, __ATOMIC_ACQUIRE);
		}
		if (__builtin_expect(!rule, 0)) {
			rule = lk_rule_get(c, pc);
			l0 = __atomic_load_n(&c->newest, __ATOMIC_ACQUIRE);
			s0 = __atomic_load_n(&c->level[l0], __ATOMIC_ACQUIRE);
			mask0 = lk_uw_mask(l0);
		}
		if ((rule & 3) != LK_RULE_STEP) {
			if ((rule & 3) == LK_RULE_END) {
				ended = true;
				break;
			}
			return -1;
		}
		if (rule & LK_RULE_CFA_BP) {
			LK_UW_BP_USED();
			cfa = bp + ((rule >> 8) & 0xffffff);
		} else {
			cfa = sp + ((rule >> 8) & 0xffffff);
		}
		if (cfa <= sp)
			return -1;
		if (cfa > ok_hi) { /* new pages above, or not our stack: checked once */
			if (!lk_uw_stack_ok(base, cfa))
				return -1;
			ok_hi = lk_uw_ok_hi;
		}
		pc = *(const uintptr_t *)(cfa - 8);
		LK_UW_DEPEND(cfa - 8, pc);
		if (rule & LK_RULE_BP_SAVED) {
			/* bp_off < 0 by construction; RBP-based CFAs are checked here. */
			uintptr_t at = cfa + (intptr_t)(int16_t)(uint16_t)(rule >> 32);
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
	if (tail) {
		/* The rest is L's from tail down: its words are this walk's dependencies too. */
		if (tail->need_bp)
			LK_UW_BP_DEPEND(); /* the memo's; the rest's own need is in its steps */
		if (e) {
			if (nread + tail->reads <= LK_UW_MEMO_READS) {
				memcpy(e->addr + nread, L->addr, tail->reads * sizeof(uintptr_t));
				memcpy(e->word + nread, L->word, tail->reads * sizeof(uintptr_t));
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
		lk_uw_tail_commit(L, t, lj, nf, false);
		__atomic_store_n(&m->tails_reused, m->tails_reused + 1, __ATOMIC_RELAXED);
	} else if (t) {
		lk_uw_tail_commit(&m->tail, t, -1, (uint32_t)n, ended);
	}
	out->hash = h;
	out->hashed = true;
	if (e) {
		e->nread = (uint16_t)nread;
		e->lo = nread ? lo : sp;
		e->hi = nread ? hi : sp;
		m->pending = e;
	}
	return n;
}

/* The frame-pointer chain: stops at the first frame record that is not on the stack above
 * the previous one. */
static int lk_uw_walk_fp(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t *frames, int max,
                         uintptr_t skip_lo, uintptr_t skip_hi)
{
	uintptr_t base = sp;
	if (base < lk_uw_ok_lo && !lk_uw_stack_ok(base, base + 16))
		return 0;
	int n = 0;
	while (n < max && pc) {
		if (lk_uw_keep(pc, skip_lo, skip_hi))
			frames[n++] = pc;
		if (bp < sp || (bp & 7) || bp + 16 - base > LK_UW_STACK_MAX)
			break;
		if (bp + 16 > lk_uw_ok_hi && !lk_uw_stack_ok(base, bp + 16))
			break;
		const uintptr_t *rec = (const uintptr_t *)bp;
		pc = rec[1];
		sp = bp + 16;
		bp = rec[0];
	}
	return n;
}

/* unw_backtrace from inside lk_unwind_capture: its frames[0] is a return address into
 * lk_unwind_capture itself, dropped so the result starts at our caller like the others. */
static __attribute__((always_inline)) inline int
lk_uw_libunwind(uintptr_t *frames, int max, uintptr_t skip_lo, uintptr_t skip_hi)
{
	void *buf[256 + LK_UW_SKIP_MAX + 1];
	int want = max + LK_UW_SKIP_MAX + 1;
	if (want > (int)(sizeof(buf) / sizeof(buf[0])))
		want = (int)(sizeof(buf) / sizeof(buf[0]));
	int got = unw_backtrace(buf, want), n = 0;
	for (int i = 1; i < got && n < max; i++)
		if (lk_uw_keep((uintptr_t)buf[i], skip_lo, skip_hi))
			frames[n++] = (uintptr_t)buf[i];
	return n;
}

/* The walk behind both entry points; always_inline so that its frame address is the entry
 * point's own (the caller's state is read from it). */
static __attribute__((always_inline)) inline int lk_uw_capture(const uintptr_t *fp,
                                                               uintptr_t *frames, int max,
                                                               uintptr_t skip_lo, uintptr_t skip_hi,
                                                               lk_uw_memo_t *m, lk_uw_out_t *out)
{
	int n = -1;
	out->value = 0;
	out->hashed = false;
	if (lk_uw_mode != LK_UNWIND_LIBUNWIND) {
		/* Our own frame record (the entry point always has one: it takes the frame
		 * address) gives the caller's state: its PC, its RSP (our CFA) and its RBP. */
		uintptr_t pc = fp[1], sp = (uintptr_t)(fp + 2), bp = fp[0];
		if (lk_uw_mode == LK_UNWIND_FP)
			n = lk_uw_walk_fp(pc, sp, bp, frames, max, skip_lo, skip_hi);
		else
			n = lk_uw_walk_dwarf(pc, sp, bp, frames, max, skip_lo, skip_hi, m, out);
		if (n < 0)
			__atomic_add_fetch(&lk_uw_fallbacks, 1, __ATOMIC_RELAXED);
	}
	if (n < 0) {
		n = lk_uw_libunwind(frames, max, skip_lo, skip_hi);
		out->hashed = false;
		if (m)
			m->pending = NULL;
	}
	return n;
}

__attribute__((noinline)) int lk_unwind_capture(uintptr_t *frames, int max, uintptr_t skip_lo,
                                                uintptr_t skip_hi)
{
	if (max <= 0)
		return 0;
	int saved = errno;
	lk_uw_out_t out;
	int n =
	    lk_uw_capture(__builtin_frame_address(0), frames, max, skip_lo, skip_hi, NULL, &out);
	errno = saved;
	return n;
}

__attribute__((noinline)) int lk_unwind_capture_memo(uintptr_t *frames, int max, uintptr_t skip_lo,
                                                     uintptr_t skip_hi, uint64_t *hash,
                                                     uint64_t *value)
{
	*value = 0;
	if (max <= 0)
		return 0;
	int saved = errno;
	lk_uw_out_t out;
	lk_uw_memo_t *m = lk_uw_mode == LK_UNWIND_DWARF ? lk_uw_memo_get() : NULL;
	int n = lk_uw_capture(__builtin_frame_address(0), frames, max, skip_lo, skip_hi, m, &out);
	*value = out.value;
	*hash = out.hashed ? out.hash : lk_frame_hash(frames, n > 0 ? (uint32_t)n : 0);
	errno = saved;
	return n;
}

void lk_unwind_memo_store(uint64_t value)
{
	lk_uw_memo_t *m = lk_uw_memo_self;
	if (m && m->pending) {
		m->pending->value = value;
		m->pending = NULL;
	}
}

void lk_unwind_thread_init(void)
{
	lk_uw_memo_key_ok = pthread_key_create(&lk_uw_memo_key, lk_uw_memo_release) == 0;
}

void lk_unwind_reset_after_fork(void)
{
	for (lk_uw_memo_t *m = lk_uw_memo_pool; m; m = m->next)
		m->in_use = (m == lk_uw_memo_self);
}

/* ---- configuration --------------------------------------------------------------------- */

int lk_unwind_parse_mode(const char *s)
{
	if (!s || !*s || strcmp(s, "dwarf") == 0)
		return LK_UNWIND_DWARF;
	if (strcmp(s, "fp") == 0)
		return LK_UNWIND_FP;
	if (strcmp(s, "libunwind") == 0)
		return LK_UNWIND_LIBUNWIND;
	return -1;
}

void lk_unwind_set_mode(lk_unwind_mode_t mode)
{
	lk_uw_mode = mode;
}

void lk_unwind_stats(lk_unwind_stats_t *out)
{
	out->rules_built = __atomic_load_n(&lk_uw_built, __ATOMIC_RELAXED);
	out->fallbacks = __atomic_load_n(&lk_uw_fallbacks, __ATOMIC_RELAXED);
	out->tails_reused = 0;
	for (lk_uw_memo_t *m = __atomic_load_n(&lk_uw_memo_pool, __ATOMIC_ACQUIRE); m; m = m->next)
		out->tails_reused += __atomic_load_n(&m->tails_reused, __ATOMIC_RELAXED);
}
