/* SPDX-License-Identifier: MIT */
/* walk_memo.h - each thread's memo of its recent stack walks (walk_memo.c): whole walks keyed
 * by where they start, and the last walk step by step for the next one to finish with. The
 * DWARF walker (walk.c) fills and reads the records directly, so their layout is here, and so
 * is the lookup done at the start of every walk (inline). */
#ifndef LEAK_PRELOAD_WALK_MEMO_H
#define LEAK_PRELOAD_WALK_MEMO_H

#include <emmintrin.h>
#include <stdbool.h>
#include <stdint.h>

/* Fully associative: a helper called from many places has one entry per caller (64: every
 * path of the varied-stack churn at depth 5; the memo is 88 KiB a thread, mapped). A multiple
 * of 16: lk_walk_memo_find tests 16 tags at once. */
#define LK_WALK_MEMO_WAYS 64
_Static_assert(LK_WALK_MEMO_WAYS % 16 == 0 && LK_WALK_MEMO_WAYS <= 64,
               "lk_walk_memo_find scans 16 tags a test, into one 64-bit mask");
#define LK_WALK_MEMO_READS 64 /* words a remembered walk may read (deeper walks are not kept) */
/* After LK_WALK_MEMO_COLD walks in a row that the memo did not help, only every
 * LK_WALK_MEMO_COLD_EVERY-th walk uses it (a power of two); a hit restores every walk. */
#define LK_WALK_MEMO_COLD       64
#define LK_WALK_MEMO_COLD_EVERY 16
/* Start PCs whose first reads are known (a power of two), one per way: when two start PCs
 * share a slot, each takes it from the other and re-keys the tags of every walk from there,
 * which are then found only as the slot's last; with 16 slots that hid 85% of the python3
 * row's remembered walks (a program that allocates from many C call sites). */
#define LK_WALK_MEMO_FIRST 64
#define LK_WALK_MEMO_KEYW  8 /* stack words in a tag, at most */
/* Lookups in a row whose start PC's last walk, compared first, did not match, after which
 * only the tags are looked at (until a walk they find is its start PC's last). */
#define LK_WALK_MEMO_LAST_FAILS 4

/* A word a walk read, and where: side by side, so that a match reads the pairs in order
 * from as few cache lines as they fill (apart, the addresses and the words were two runs of
 * lines half a kilobyte away from each other). */
typedef struct {
	uintptr_t addr; /* (not an offset from sp: 1.4x slower to compare) */
	uintptr_t word;
} lk_walk_memo_rd_t;

typedef struct {
	uintptr_t pc, sp; /* start: first frame outside the skip range */
	uintptr_t bp;     /* RBP at the start, if need_bp */
	uintptr_t lo, hi; /* lowest word read, end of the highest */
	uint64_t value;   /* caller's value for this walk; 0 = entry unused */
	uint32_t gen;     /* lk_walk_memo_gen() when walked */
	uint16_t nread;
	uint8_t need_bp; /* RBP at the start was used before any reload */
	lk_walk_memo_rd_t rd[LK_WALK_MEMO_READS];
} __attribute__((aligned(64))) lk_walk_memo_ent_t; /* a hit reads whole lines from its start */

/* The last walk, step by step: a walk that reaches a step of it (same PC, RSP, and RBP where
 * the rest uses it) while every word the rest read is unchanged takes those frames instead of
 * walking them. Kept bottom first, so the shared rest stays where it is and only the new top
 * is written. */
#define LK_WALK_MEMO_TAIL_STEPS 128
#define LK_WALK_MEMO_TAIL_READS 256

typedef struct {
	uintptr_t pc, sp, bp; /* the walk's state as the step begins */
	uint16_t reads;       /* record: reads by this step and those below; scratch: before it */
	uint16_t frames;      /* record: frames at this step and below; scratch: before it */
	uint8_t kept;         /* pc is a frame (outside the skip range) */
	uint8_t uses_bp;      /* the step uses RBP's value */
	uint8_t loads_bp;     /* ... then loads RBP */
	uint8_t need_bp;      /* the rest from here depends on RBP's value at this step */
} lk_walk_memo_step_t;

typedef struct {
	uint32_t nsteps, nreads; /* nsteps 0: nothing to reuse */
	uint32_t gen;
	bool complete;    /* record: ended by itself (not at max); scratch: still fits */
	uintptr_t lo, hi; /* lowest word read, end of the highest (or a wider range) */
	lk_walk_memo_step_t step[LK_WALK_MEMO_TAIL_STEPS];
	uintptr_t addr[LK_WALK_MEMO_TAIL_READS], word[LK_WALK_MEMO_TAIL_READS];
} lk_walk_memo_tail_t;

typedef struct lk_walk_memo lk_walk_memo_t;
struct lk_walk_memo {
	lk_walk_memo_tail_t tail;    /* the last walk, bottom first */
	lk_walk_memo_tail_t scratch; /* this walk's steps, top first, until it ends */
	uint64_t tails_reused;
	uint64_t compared; /* entries whose words a lookup compared */
	/* hash of each entry's start (0: unused), scanned 4 at a time apart from the entries:
	 * 256 bytes for 64 ways */
	uint32_t tag[LK_WALK_MEMO_WAYS] __attribute__((aligned(64)));
	lk_walk_memo_ent_t ent[LK_WALK_MEMO_WAYS];
	lk_walk_memo_ent_t *pending; /* the last walk, waiting for lk_walk_memo_store */
	uint32_t rng;                /* picks the entry a new walk replaces */
	/* Where the first walk from each recent start PC read its first words, as offsets from
	 * RSP (direct-mapped by PC; 0 PC: none): the words there join the tag, so that walks
	 * sharing a start but not their callers rarely compare each other's words. */
	uintptr_t first_pc[LK_WALK_MEMO_FIRST];
	uint32_t first_n[LK_WALK_MEMO_FIRST];
	uint32_t first_end[LK_WALK_MEMO_FIRST]; /* the highest offset + 8 */
	uint32_t first_off[LK_WALK_MEMO_FIRST][LK_WALK_MEMO_KEYW];
	/* the entry last found or remembered from each start PC's slot (NULL: none) */
	lk_walk_memo_ent_t *first_last[LK_WALK_MEMO_FIRST];
	uint32_t misses;     /* walks in a row neither the memo nor the tail helped */
	uint32_t last_fails; /* lookups in a row whose slot's last walk did not match */
	int in_use;
	lk_walk_memo_t *next; /* pool: push-only list, reused after a thread exits */
};

/* This thread's memo, and the generation of the rules (hidden: read directly, not through
 * the GOT). */
extern __thread lk_walk_memo_t *lk_walk_memo_self
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
extern uint32_t lk_walk_memo_gen_now __attribute__((visibility("hidden")));

/* Any thread: attaches a memo to this thread (from the pool, or a new mapping); NULL without
 * memory. Use lk_walk_memo_get. */
lk_walk_memo_t *lk_walk_memo_attach(void);

/* Any thread: this thread's memo; NULL without memory. */
static inline lk_walk_memo_t *lk_walk_memo_get(void)
{
	lk_walk_memo_t *m = lk_walk_memo_self;
	if (__builtin_expect(m != NULL, 1))
		return m;
	return lk_walk_memo_attach();
}

/* The generation a walk is tagged with: records of another generation are stale. */
static inline uint32_t lk_walk_memo_gen(void)
{
	return __atomic_load_n(&lk_walk_memo_gen_now, __ATOMIC_ACQUIRE);
}

/* True if the n words at r[].addr all still hold r[].word. Out of line: inside the walker
 * every register is taken and the loop kept its pointers on the stack. */
bool lk_walk_memo_words_hold(const lk_walk_memo_rd_t *r, uint32_t n)
    __attribute__((visibility("hidden")));

/* True if e's stack words all still hold what its walk read (its start matched). The words
 * lie in [e->lo, e->hi); [ok_lo, ok_hi) is the caller's verified range of this stack. */
static inline bool lk_walk_memo_match(const lk_walk_memo_ent_t *e, uintptr_t bp, uint32_t gen,
                                      uintptr_t ok_lo, uintptr_t ok_hi)
{
	if (!e->value || e->gen != gen || (e->need_bp && e->bp != bp))
		return false;
	if (e->lo < ok_lo || e->hi > ok_hi)
		return false;
	return lk_walk_memo_words_hold(e->rd, e->nread);
}

static inline unsigned lk_walk_memo_first_slot(uintptr_t pc)
{
	return (unsigned)(pc ^ pc >> 7) & (LK_WALK_MEMO_FIRST - 1);
}

/* The tag of a walk from (pc, sp): its start, and the words at the offsets from sp that the
 * first walk from pc read first, where they lie in the verified range [sp, ok_hi). A pure
 * function of the stack above sp, so equal for a walk and a later one that matches it. */
static inline uint32_t lk_walk_memo_tag(const lk_walk_memo_t *m, uintptr_t pc, uintptr_t sp,
                                        uintptr_t ok_hi)
{
	uint64_t x = (pc ^ (sp << 17 | sp >> 47)) * 0x9e3779b97f4a7c15ull;
	unsigned i = lk_walk_memo_first_slot(pc);
	if (m->first_pc[i] == pc && sp + m->first_end[i] <= ok_hi && sp + m->first_end[i] > sp) {
		for (uint32_t k = 0; k < m->first_n[i]; k++)
			x += *(const uintptr_t *)(sp + m->first_off[i][k]) *
			     (0xc4ceb9fe1a85ec53ull + 2 * k);
	}
	x ^= x >> 29;
	x *= 0xd6e8feb86659fd93ull;
	return (uint32_t)(x >> 32) | 1; /* never 0 (unused) */
}

/* The remembered walk from (pc, sp, bp) that the stack still matches, or NULL. */
static inline lk_walk_memo_ent_t *lk_walk_memo_find(lk_walk_memo_t *m, uintptr_t pc, uintptr_t sp,
                                                    uintptr_t bp, uint32_t gen, uintptr_t ok_lo,
                                                    uintptr_t ok_hi)
{
	/* Repeated stacks: the walk from pc last found or remembered, before any tag, unless
	 * that has failed LK_WALK_MEMO_LAST_FAILS times in a row (stacks that vary: it would
	 * fail on a word and mispredict a branch on nearly every walk). Then only the tags
	 * look, and a walk they find that is the last one turns the check back on. */
	unsigned slot = lk_walk_memo_first_slot(pc);
	lk_walk_memo_ent_t *last = m->first_last[slot], *skip = NULL;
	if (last && last->pc == pc && last->sp == sp && m->last_fails < LK_WALK_MEMO_LAST_FAILS) {
		m->compared++;
		if (lk_walk_memo_match(last, bp, gen, ok_lo, ok_hi)) {
			m->last_fails = 0;
			return last;
		}
		m->last_fails++;
		skip = last;
	}
	const __m128i want = _mm_set1_epi32((int)lk_walk_memo_tag(m, pc, sp, ok_hi));
	/* 16 tags a test, all 64 into one mask before any branch: which group holds a hit is
	 * as random as the stacks, and a branch per group mispredicted on it. */
	uint64_t bits = 0;
	for (int i = 0; i < LK_WALK_MEMO_WAYS; i += 16) {
		const __m128i *tv = (const __m128i *)&m->tag[i];
		__m128i q0 = _mm_cmpeq_epi32(_mm_load_si128(tv), want);
		__m128i q1 = _mm_cmpeq_epi32(_mm_load_si128(tv + 1), want);
		__m128i q2 = _mm_cmpeq_epi32(_mm_load_si128(tv + 2), want);
		__m128i q3 = _mm_cmpeq_epi32(_mm_load_si128(tv + 3), want);
		__m128i p01 = _mm_packs_epi32(q0, q1), p23 = _mm_packs_epi32(q2, q3);
		bits |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_packs_epi16(p01, p23)) << i;
	}
	for (; bits; bits &= bits - 1) {
		lk_walk_memo_ent_t *e = &m->ent[__builtin_ctzll(bits)];
		if (e != skip && e->pc == pc && e->sp == sp) {
			m->compared++;
			if (lk_walk_memo_match(e, bp, gen, ok_lo, ok_hi)) {
				if (e == last)
					m->last_fails = 0;
				return m->first_last[slot] = e;
			}
		}
	}
	return NULL;
}

/* The entry a new walk from (pc, sp) replaces, its start set, its tag and value 0 (unused
 * until lk_walk_memo_seal). */
lk_walk_memo_ent_t *lk_walk_memo_victim(lk_walk_memo_t *m, uintptr_t pc, uintptr_t sp);

/* The walk into e is recorded (e->nread, addr, word) and the stack is as it read it: tags e
 * for lookups. The first walk from a start PC sets which words tag the walks from there: its
 * own first reads, the first own of e's (own of them: 0 if its reads begin with another
 * walk's). ok_hi: the end of the verified stack. */
void lk_walk_memo_seal(lk_walk_memo_t *m, lk_walk_memo_ent_t *e, uint32_t own, uintptr_t ok_hi);

/* How many of the record's reads, from the bottom, still hold what its walk read. */
static inline uint32_t lk_walk_memo_tail_verify(const lk_walk_memo_tail_t *r)
{
	uint32_t i = 0;
	while (i < r->nreads && *(const uintptr_t *)r->addr[i] == r->word[i])
		i++;
	return i;
}

/* The walk ended: makes the record r of the last walk the steps of scratch t (top first)
 * above r's steps [0, keep] (keep < 0: none), which the walk finished with. nf: frames the
 * walk kept itself; complete: how it ended, for a whole new record (keep < 0; a kept rest
 * keeps its own). Nothing changes if the result would not fit. */
void lk_walk_memo_tail_commit(lk_walk_memo_tail_t *r, const lk_walk_memo_tail_t *t, int keep,
                              uint32_t nf, bool complete);

/* Attaches value (nonzero) to this thread's last remembered walk, if any. */
void lk_walk_memo_store(uint64_t value);

/* Every remembered walk is stale from now on (dlclose). */
void lk_walk_memo_invalidate(void);

/* Constructor context: the thread-exit key that returns a thread's memo to the pool. */
void lk_walk_memo_thread_init(void);

/* Forked child: an empty pool (the memos are zeros there, or the parent's); this thread keeps
 * its own. */
void lk_walk_memo_reset_after_fork(void);

/* The sum over all memos of walks finished with the last walk's frames (relaxed). */
uint64_t lk_walk_memo_tails_reused(void);

/* The sum over all memos of entries whose words a lookup compared with the stack (relaxed):
 * one per lookup when walks sharing a start are told apart by their tags. */
uint64_t lk_walk_memo_compared(void);

#endif
