/* SPDX-License-Identifier: MIT */
/* eh_frame.c - the .eh_frame interpreter: from a return address to a packed rule (eh_frame.h).
 *
 * dl_iterate_phdr finds the module and its PT_GNU_EH_FRAME; the .eh_frame_hdr binary search
 * table finds the FDE; the CIE's initial instructions, then the FDE's, are run up to the call
 * (pc - 1), and the state is packed if it has the one shape the walker steps. Anything else
 * (an unknown CFA op, a CFA in another register or an expression, a signal frame, malformed or
 * out-of-bounds bytes) is LK_EH_RULE_UNKNOWN. No state, no allocation, no locks of its own;
 * every read is checked against the bounds given, so bad bytes give UNKNOWN, never a fault. */
#include "eh_frame.h"

#include <link.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>

/* Packs a STEP rule; UNKNOWN if the offsets do not fit. */
static uint64_t lk_eh_rule_pack(bool cfa_bp, int64_t cfa_off, bool bp_saved, int64_t bp_off)
{
	if (cfa_off < 8 || cfa_off >= (1 << 24) || (bp_saved && (bp_off < -32768 || bp_off >= 0)))
		return LK_EH_RULE_UNKNOWN;
	return LK_EH_RULE_STEP | (cfa_bp ? LK_EH_RULE_CFA_BP : 0) |
	       (bp_saved ? LK_EH_RULE_BP_SAVED : 0) | (uint64_t)cfa_off << 8 |
	       (uint64_t)(uint16_t)(int16_t)bp_off << 32;
}

/* ---- reading ----------------------------------------------------------------------------- */

/* A cursor over [p, end); a read past end sets bad and returns 0. */
typedef struct {
	const uint8_t *p, *end;
	bool bad;
} lk_eh_rd_t;

static uint64_t lk_eh_rd_uleb(lk_eh_rd_t *r)
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

static int64_t lk_eh_rd_sleb(lk_eh_rd_t *r)
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

static uint64_t lk_eh_rd_fixed(lk_eh_rd_t *r, unsigned n)
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
static uint64_t lk_eh_rd_encoded(lk_eh_rd_t *r, uint8_t enc, uint64_t datarel)
{
	uint64_t base = (uint64_t)(uintptr_t)r->p, v;
	if (enc == 0xff) {
		r->bad = true;
		return 0;
	}
	switch (enc & 0x0f) {
	case 0x00:
		v = lk_eh_rd_fixed(r, 8);
		break;
	case 0x01:
		v = lk_eh_rd_uleb(r);
		break;
	case 0x02:
		v = lk_eh_rd_fixed(r, 2);
		break;
	case 0x03:
		v = lk_eh_rd_fixed(r, 4);
		break;
	case 0x04:
		v = lk_eh_rd_fixed(r, 8);
		break;
	case 0x09:
		v = (uint64_t)lk_eh_rd_sleb(r);
		break;
	case 0x0a:
		v = (uint64_t)(int64_t)(int16_t)lk_eh_rd_fixed(r, 2);
		break;
	case 0x0b:
		v = (uint64_t)(int64_t)(int32_t)lk_eh_rd_fixed(r, 4);
		break;
	case 0x0c:
		v = lk_eh_rd_fixed(r, 8);
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

/* ---- the CFA program -------------------------------------------------------------------- */

/* Rule state while running a CFA program. Registers: 6 RBP, 7 RSP, 16 return address. */
enum { LK_EH_REG_SAME = 0, LK_EH_REG_OFFSET = 1, LK_EH_REG_UNDEF = 2, LK_EH_REG_OTHER = 3 };

typedef struct {
	int64_t cfa_off, bp_off, ra_off;
	uint8_t cfa_reg, cfa_ok, bp_how, ra_how;
} lk_eh_state_t;

#define LK_EH_STATE_STACK 8

typedef struct {
	const uint8_t *init, *init_end; /* CIE initial instructions */
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	uint8_t fde_enc;
	bool signal, has_z;
} lk_eh_cie_t;

static void lk_eh_set_reg(lk_eh_state_t *st, uint64_t reg, int how, int64_t off)
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

static void lk_eh_restore_reg(lk_eh_state_t *st, const lk_eh_state_t *init, uint64_t reg)
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
static bool lk_eh_run(const uint8_t *p, const uint8_t *end, const lk_eh_cie_t *cie, uint64_t loc,
                      uint64_t target, lk_eh_state_t *st, const lk_eh_state_t *init)
{
	lk_eh_rd_t r = {p, end, false};
	lk_eh_state_t stack[LK_EH_STATE_STACK];
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
			lk_eh_set_reg(st, low, LK_EH_REG_OFFSET,
			              (int64_t)lk_eh_rd_uleb(&r) * cie->data_align);
			continue;
		case 3: /* restore */
			if (!init)
				return false;
			lk_eh_restore_reg(st, init, low);
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
			delta = lk_eh_rd_fixed(&r, op == 0x02 ? 1 : op == 0x03 ? 2 : 4);
			loc += delta * cie->code_align;
			if (loc > target)
				return !r.bad;
			break;
		case 0x05: /* offset_extended */
			reg = lk_eh_rd_uleb(&r);
			lk_eh_set_reg(st, reg, LK_EH_REG_OFFSET,
			              (int64_t)lk_eh_rd_uleb(&r) * cie->data_align);
			break;
		case 0x11: /* offset_extended_sf */
			reg = lk_eh_rd_uleb(&r);
			lk_eh_set_reg(st, reg, LK_EH_REG_OFFSET,
			              lk_eh_rd_sleb(&r) * cie->data_align);
			break;
		case 0x06: /* restore_extended */
			if (!init)
				return false;
			lk_eh_restore_reg(st, init, lk_eh_rd_uleb(&r));
			break;
		case 0x07: /* undefined */
			lk_eh_set_reg(st, lk_eh_rd_uleb(&r), LK_EH_REG_UNDEF, 0);
			break;
		case 0x08: /* same_value */
			lk_eh_set_reg(st, lk_eh_rd_uleb(&r), LK_EH_REG_SAME, 0);
			break;
		case 0x09: /* register: fine for other registers, not for ours */
			reg = lk_eh_rd_uleb(&r);
			lk_eh_rd_uleb(&r);
			lk_eh_set_reg(st, reg, LK_EH_REG_OTHER, 0);
			break;
		case 0x0a: /* remember_state */
			if (depth == LK_EH_STATE_STACK)
				return false;
			stack[depth++] = *st;
			break;
		case 0x0b: /* restore_state */
			if (depth == 0)
				return false;
			*st = stack[--depth];
			break;
		case 0x0c: /* def_cfa */
			st->cfa_reg = (uint8_t)lk_eh_rd_uleb(&r);
			st->cfa_off = (int64_t)lk_eh_rd_uleb(&r);
			st->cfa_ok = 1;
			break;
		case 0x12: /* def_cfa_sf */
			st->cfa_reg = (uint8_t)lk_eh_rd_uleb(&r);
			st->cfa_off = lk_eh_rd_sleb(&r) * cie->data_align;
			st->cfa_ok = 1;
			break;
		case 0x0d: /* def_cfa_register */
			st->cfa_reg = (uint8_t)lk_eh_rd_uleb(&r);
			break;
		case 0x0e: /* def_cfa_offset */
			st->cfa_off = (int64_t)lk_eh_rd_uleb(&r);
			break;
		case 0x13: /* def_cfa_offset_sf */
			st->cfa_off = lk_eh_rd_sleb(&r) * cie->data_align;
			break;
		case 0x0f: /* def_cfa_expression */
			delta = lk_eh_rd_uleb(&r);
			r.p += delta <= (uint64_t)(r.end - r.p) ? delta : 0;
			st->cfa_ok = 0;
			break;
		case 0x10: /* expression */
		case 0x16: /* val_expression */
			reg = lk_eh_rd_uleb(&r);
			delta = lk_eh_rd_uleb(&r);
			if (delta > (uint64_t)(r.end - r.p))
				return false;
			r.p += delta;
			lk_eh_set_reg(st, reg, LK_EH_REG_OTHER, 0);
			break;
		case 0x14: /* val_offset */
			reg = lk_eh_rd_uleb(&r);
			lk_eh_rd_uleb(&r);
			lk_eh_set_reg(st, reg, LK_EH_REG_OTHER, 0);
			break;
		case 0x15: /* val_offset_sf */
			reg = lk_eh_rd_uleb(&r);
			lk_eh_rd_sleb(&r);
			lk_eh_set_reg(st, reg, LK_EH_REG_OTHER, 0);
			break;
		case 0x2e: /* GNU_args_size: no effect on the CFA */
			lk_eh_rd_uleb(&r);
			break;
		case 0x2f: /* GNU_negative_offset_extended */
			reg = lk_eh_rd_uleb(&r);
			lk_eh_set_reg(st, reg, LK_EH_REG_OFFSET,
			              -(int64_t)lk_eh_rd_uleb(&r) * cie->data_align);
			break;
		default:
			return false; /* set_loc, vendor ops: not modelled */
		}
	}
	return !r.bad;
}

/* ---- CIE and FDE ------------------------------------------------------------------------- */

/* Little-endian int32 at p (the .eh_frame_hdr table; memcpy: no alignment assumed). */
static inline int64_t lk_eh_s32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static bool lk_eh_cie_parse(const uint8_t *cie, const uint8_t *hi, lk_eh_cie_t *out)
{
	lk_eh_rd_t r = {cie, hi, false};
	uint64_t len = lk_eh_rd_fixed(&r, 4);
	/* 0xffffffff: 64-bit DWARF .eh_frame, not produced on x86-64 Linux */
	if (r.bad || len == 0xffffffffu || len > (uint64_t)(hi - r.p))
		return false;
	r.end = r.p + len;
	if (lk_eh_rd_fixed(&r, 4) != 0 || r.bad)
		return false; /* not a CIE */
	uint8_t version = (uint8_t)lk_eh_rd_fixed(&r, 1);
	const char *aug = (const char *)r.p;
	size_t room = r.p < r.end ? (size_t)(r.end - r.p) : 0;
	size_t aug_len = strnlen(aug, room);
	if (r.bad || aug_len == room)
		return false; /* no terminator */
	r.p += aug_len + 1;
	if (aug[0] == 'e' && aug[1] == 'h')
		lk_eh_rd_fixed(&r, 8);
	out->code_align = lk_eh_rd_uleb(&r);
	out->data_align = lk_eh_rd_sleb(&r);
	out->ra_reg = version == 1 ? lk_eh_rd_fixed(&r, 1) : lk_eh_rd_uleb(&r);
	out->fde_enc = 0; /* absptr */
	out->signal = false;
	out->has_z = aug[0] == 'z';
	if (aug[0] == 'z') {
		uint64_t alen = lk_eh_rd_uleb(&r);
		if (r.bad || alen > (uint64_t)(r.end - r.p))
			return false;
		const uint8_t *data_end = r.p + alen;
		for (const char *a = aug + 1; *a && !r.bad; a++) {
			if (*a == 'R') {
				out->fde_enc = (uint8_t)lk_eh_rd_fixed(&r, 1);
			} else if (*a == 'L') {
				lk_eh_rd_fixed(&r, 1);
			} else if (*a == 'P') {
				uint8_t penc = (uint8_t)lk_eh_rd_fixed(&r, 1);
				lk_eh_rd_encoded(&r, (uint8_t)(penc & 0x7f), 0); /* skip it */
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

uint64_t lk_eh_frame_rule_fde(const uint8_t *fde, const uint8_t *lo, const uint8_t *hi, uint64_t pc)
{
	if (fde < lo || fde >= hi)
		return LK_EH_RULE_UNKNOWN;
	lk_eh_rd_t r = {fde, hi, false};
	uint64_t len = lk_eh_rd_fixed(&r, 4);
	if (r.bad || len == 0xffffffffu || len == 0 || len > (uint64_t)(hi - r.p))
		return LK_EH_RULE_UNKNOWN;
	r.end = r.p + len;
	const uint8_t *idp = r.p;
	uint32_t cie_off = (uint32_t)lk_eh_rd_fixed(&r, 4);
	if (r.bad || cie_off == 0 || cie_off > (uint64_t)(idp - lo))
		return LK_EH_RULE_UNKNOWN;
	lk_eh_cie_t cie;
	if (!lk_eh_cie_parse(idp - cie_off, hi, &cie) || cie.signal || cie.ra_reg != 16)
		return LK_EH_RULE_UNKNOWN;
	uint64_t start = lk_eh_rd_encoded(&r, cie.fde_enc, 0);
	uint64_t range = lk_eh_rd_encoded(&r, (uint8_t)(cie.fde_enc & 0x0f), 0);
	if (r.bad)
		return LK_EH_RULE_UNKNOWN;
	if (pc - 1 < start || pc - 1 >= start + range)
		return LK_EH_RULE_NOFDE;
	const uint8_t *ins = r.p;
	if (cie.has_z) { /* the FDE's augmentation data, length first */
		uint64_t alen = lk_eh_rd_uleb(&r);
		if (r.bad || alen > (uint64_t)(r.end - r.p))
			return LK_EH_RULE_UNKNOWN;
		ins = r.p + alen;
	}
	lk_eh_state_t st = {0};
	st.ra_how = LK_EH_REG_SAME;
	if (!lk_eh_run(cie.init, cie.init_end, &cie, start, UINT64_MAX, &st, NULL))
		return LK_EH_RULE_UNKNOWN;
	lk_eh_state_t init = st;
	/* The return address points after the call; the call itself is at pc - 1. */
	if (!lk_eh_run(ins, r.end, &cie, start, pc - 1, &st, &init))
		return LK_EH_RULE_UNKNOWN;
	if (st.ra_how == LK_EH_REG_UNDEF)
		return LK_EH_RULE_END;
	if (!st.cfa_ok || (st.cfa_reg != 7 && st.cfa_reg != 6) || st.ra_how != LK_EH_REG_OFFSET ||
	    st.ra_off != -8 || (st.bp_how != LK_EH_REG_SAME && st.bp_how != LK_EH_REG_OFFSET))
		return LK_EH_RULE_UNKNOWN;
	return lk_eh_rule_pack(st.cfa_reg == 6, st.cfa_off, st.bp_how == LK_EH_REG_OFFSET,
	                       st.bp_off);
}

/* ---- .eh_frame_hdr and modules ----------------------------------------------------------- */

uint64_t lk_eh_frame_rule_hdr(const uint8_t *hdr, const uint8_t *lo, const uint8_t *hi, uint64_t pc)
{
	if (hdr < lo || hdr >= hi || hi - hdr < 4)
		return LK_EH_RULE_UNKNOWN;
	uint8_t version = hdr[0], ptr_enc = hdr[1], count_enc = hdr[2], table_enc = hdr[3];
	if (version != 1 || table_enc != 0x3b) /* datarel sdata4: what every linker writes */
		return LK_EH_RULE_UNKNOWN;
	lk_eh_rd_t r = {hdr + 4, hi - hdr < 20 ? hi : hdr + 20, false};
	lk_eh_rd_encoded(&r, ptr_enc, (uint64_t)(uintptr_t)hdr);
	uint64_t count = lk_eh_rd_encoded(&r, count_enc, (uint64_t)(uintptr_t)hdr);
	if (r.bad || count == 0 || count > (uint64_t)(hi - r.p) / 8)
		return LK_EH_RULE_UNKNOWN;
	const uint8_t *table = r.p; /* count pairs (start, FDE), int32 from hdr */
	uint64_t target = pc - 1 - (uint64_t)(uintptr_t)hdr;
	uint64_t l = 0, h = count; /* last entry with start <= target */
	while (h - l > 1) {
		uint64_t mid = l + (h - l) / 2;
		if (lk_eh_s32(table + 8 * mid) <= (int64_t)target)
			l = mid;
		else
			h = mid;
	}
	if (lk_eh_s32(table + 8 * l) > (int64_t)target)
		return LK_EH_RULE_NOFDE;
	uintptr_t fde = (uintptr_t)hdr + (uintptr_t)lk_eh_s32(table + 8 * l + 4);
	return lk_eh_frame_rule_fde((const uint8_t *)fde, lo, hi, pc);
}

typedef struct {
	uint64_t pc;
	const uint8_t *hdr;     /* .eh_frame_hdr of the module holding pc - 1 */
	const uint8_t *lo, *hi; /* the span of its PT_LOAD segments */
	bool found;             /* pc - 1 is in some module */
} lk_eh_find_t;

/* Only finds the module: the FDE is parsed after dl_iterate_phdr returns, so the loader's
 * lock is held for a scan of program headers and no longer (a fork while another thread
 * holds it leaves the child's loader locked). The module stays mapped meanwhile: pc is a
 * return address on the calling thread's stack. */
static int lk_eh_find_cb(struct dl_phdr_info *info, size_t size, void *varg)
{
	(void)size;
	lk_eh_find_t *arg = varg;
	uint64_t pc = arg->pc - 1, lo = UINT64_MAX, hi = 0;
	const ElfW(Phdr) *eh = NULL;
	bool inside = false;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t a = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD) {
			inside |= pc >= a && pc < a + ph->p_memsz;
			lo = a < lo ? a : lo;
			hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
		} else if (ph->p_type == PT_GNU_EH_FRAME) {
			eh = ph;
		}
	}
	if (!inside)
		return 0;
	arg->found = true;
	arg->hdr = eh ? (const uint8_t *)(info->dlpi_addr + eh->p_vaddr) : NULL;
	arg->lo = (const uint8_t *)(uintptr_t)lo;
	arg->hi = (const uint8_t *)(uintptr_t)hi;
	return 1;
}

/* Return addresses found in no module (JIT code: V8's, on nearly every frame of a node
 * stack). The walker cannot store them in its rule table, since a library may be mapped there
 * later, so each walk asked again, and a full dl_iterate_phdr scan of every module's program
 * headers costs 240-350 ns. A pc is remembered here with the loader's count of loads and
 * unloads (dlpi_adds + dlpi_subs) at the time: while that count is unchanged no module was
 * added, so the pc is still in none, and reading the count stops at the first module (about
 * 30 ns). Direct-mapped, one word a slot (pc << 16 | count), written and read atomically. */
#define LK_EH_NOMOD_SLOTS 8192u
static uint64_t lk_eh_nomod[LK_EH_NOMOD_SLOTS];

static int lk_eh_count_cb(struct dl_phdr_info *info, size_t size, void *varg)
{
	if (size < offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs))
		return 1; /* no counts: *varg stays 0, nothing is remembered */
	*(uint64_t *)varg = ((uint64_t)(info->dlpi_adds + info->dlpi_subs) & 0xffff) | 1u << 16;
	return 1;
}

uint64_t lk_eh_frame_rule(uint64_t pc)
{
	uint64_t count = 0; /* bit 16: known */
	dl_iterate_phdr(lk_eh_count_cb, &count);
	uint64_t *slot = &lk_eh_nomod[((pc * 0x9e3779b97f4a7c15ull) >> 40) % LK_EH_NOMOD_SLOTS];
	uint64_t key = pc << 16 | (count & 0xffff);
	if (count && pc < (1ull << 48) && __atomic_load_n(slot, __ATOMIC_RELAXED) == key)
		return 0;
	lk_eh_find_t arg = {pc, NULL, NULL, NULL, false};
	dl_iterate_phdr(lk_eh_find_cb, &arg);
	if (!arg.found) {
		if (count && pc < (1ull << 48))
			__atomic_store_n(slot, key, __ATOMIC_RELAXED);
		return 0;
	}
	return arg.hdr ? lk_eh_frame_rule_hdr(arg.hdr, arg.lo, arg.hi, pc) : LK_EH_RULE_UNKNOWN;
}
