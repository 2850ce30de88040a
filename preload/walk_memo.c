/* SPDX-License-Identifier: MIT */
/* walk_memo.c - each thread's memo of its recent stack walks.
 *
 * A walk is a pure function of where it starts (PC, RSP, and RBP if a rule uses it before
 * reloading it) and of the stack words it reads: the same start and the same words give the
 * same frames. So each thread keeps its last few walks, keyed by their first frame outside
 * libleak and the first words they read (so that the many walks from one malloc call site
 * are told apart without comparing each), with every (address, word) pair they read, and
 * the caller's value (its stack id);
 * and its last walk step by step, for a walk that reaches one of its steps to take the rest.
 * The DWARF walker (walk.c) records and checks; this file owns the memory and the bookkeeping.
 * One mmap per thread, pooled and reused after the thread exits; no malloc, no locks. */
#include "walk_memo.h"
#include "sys.h"
#include "fork_hot.h"

#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread lk_walk_memo_t *lk_walk_memo_self __attribute__((tls_model("initial-exec")));
uint32_t lk_walk_memo_gen_now;                         /* bumped by lk_walk_memo_invalidate */
static lk_walk_memo_t *lk_walk_memo_pool LK_FORK_WARM; /* reset in a forked child */
static pthread_key_t lk_walk_memo_key;
static bool lk_walk_memo_key_ok;

static void lk_walk_memo_release(void *p)
{
	lk_walk_memo_t *m = p;
	if (m == lk_walk_memo_self)
		lk_walk_memo_self = NULL;
	if (m)
		__atomic_store_n(&m->in_use, 0, __ATOMIC_RELEASE);
}

/* A forked child gets the memo as zeros, an empty memo (as a fresh mmap): fork copies none of
 * its page tables and the parent's next walks take no copy-on-write fault on it (two or three
 * a fork). Links and flags in it are zeros there too: lk_walk_memo_reset_after_fork. The memos
 * share one wipe-on-fork mapping (lk_sys_mmap_wipe), not one each; where the kernel refuses
 * that, a plain mapping, inherited as before. */
static lk_walk_memo_t *lk_walk_memo_map(void)
{
	lk_walk_memo_t *m = lk_sys_mmap_wipe(sizeof(*m));
	return m ? m : lk_sys_mmap(sizeof(*m));
}

lk_walk_memo_t *lk_walk_memo_attach(void)
{
	lk_walk_memo_t *m;
	for (m = __atomic_load_n(&lk_walk_memo_pool, __ATOMIC_ACQUIRE); m; m = m->next) {
		int expect = 0;
		if (!__atomic_load_n(&m->in_use, __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&m->in_use, &expect, 1, false, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED))
			break;
	}
	if (m) {
		for (int i = 0; i < LK_WALK_MEMO_WAYS; i++) {
			m->tag[i] = 0;
			m->ent[i].value = 0;
		}
		for (int i = 0; i < LK_WALK_MEMO_FIRST; i++) {
			m->first_pc[i] = 0;
			m->first_last[i] = NULL;
		}
		m->tail.nsteps = 0; /* another thread's stack */
		m->misses = 0;
		m->last_fails = 0;
	} else {
		m = lk_walk_memo_map();
		if (!m)
			return NULL;
		m->in_use = 1;
		m->next = __atomic_load_n(&lk_walk_memo_pool, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&lk_walk_memo_pool, &m->next, m, true,
		                                    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			;
	}
	m->pending = NULL;
	lk_walk_memo_self = m;
	if (lk_walk_memo_key_ok) /* key < 32: glibc does not allocate */
		pthread_setspecific(lk_walk_memo_key, m);
	return m;
}

/* An unused entry, else one at random (a cycle through more walks than entries then still
 * hits some). */
lk_walk_memo_ent_t *lk_walk_memo_victim(lk_walk_memo_t *m, uintptr_t pc, uintptr_t sp)
{
	int v = -1;
	/* The tags only, four at a time (one cache line per entry is read on a hit only): once
	 * the memo is full, which is every walk it misses, a scalar scan read all 64. */
	const __m128i zero = _mm_setzero_si128();
	for (int i = 0; i < LK_WALK_MEMO_WAYS; i += 4) {
		__m128i t = _mm_load_si128((const __m128i *)&m->tag[i]);
		unsigned bits =
		    (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(t, zero)));
		if (bits) {
			v = i + __builtin_ctz(bits);
			break;
		}
	}
	if (v < 0) {
		uint32_t x = m->rng ? m->rng : 2463534242u;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		m->rng = x;
		v = (int)(x % LK_WALK_MEMO_WAYS);
	}
	m->tag[v] = 0;
	m->ent[v].pc = pc;
	m->ent[v].sp = sp;
	m->ent[v].value = 0;
	return &m->ent[v];
}

/* Two reads a test: a hit compares them all, so one branch per pair instead of one per word. */
__attribute__((noinline)) bool lk_walk_memo_words_hold(const lk_walk_memo_rd_t *r, uint32_t n)
{
	const lk_walk_memo_rd_t *end = r + (n & ~1u);
	for (; r != end; r += 2)
		if ((*(const uintptr_t *)r[0].addr ^ r[0].word) |
		    (*(const uintptr_t *)r[1].addr ^ r[1].word))
			return false;
	return !(n & 1) || *(const uintptr_t *)r->addr == r->word;
}

/* True if e's walk read the word at addr. */
static bool lk_walk_memo_read(const lk_walk_memo_ent_t *e, uintptr_t addr, uint32_t k)
{
	if (k < e->nread && e->rd[k].addr == addr) /* the usual: the same read at the same place */
		return true;
	for (uint32_t j = 0; j < e->nread; j++)
		if (e->rd[j].addr == addr)
			return true;
	return false;
}

void lk_walk_memo_seal(lk_walk_memo_t *m, lk_walk_memo_ent_t *e, uint32_t own, uintptr_t ok_hi)
{
	unsigned i = lk_walk_memo_first_slot(e->pc);
	if (m->first_pc[i] != e->pc) {
		if (!own)
			return; /* tag 0: never found */
		uint32_t k = 0, end = 0;
		for (; k < own && k < e->nread && k < LK_WALK_MEMO_KEYW; k++) {
			if (e->rd[k].addr < e->sp || e->rd[k].addr - e->sp >= UINT32_MAX - 8)
				break;
			m->first_off[i][k] = (uint32_t)(e->rd[k].addr - e->sp);
			end = m->first_off[i][k] + 8 > end ? m->first_off[i][k] + 8 : end;
		}
		m->first_n[i] = k;
		m->first_end[i] = end;
		m->first_pc[i] = e->pc;
	} else {
		/* The tag must depend only on words this walk read, which a later walk matching
		 * it finds unchanged: keep the offsets it read too (walks from the same start
		 * through frames of other sizes read elsewhere). Entries tagged with more words
		 * are no longer found, and are walked and tagged again. */
		uint32_t k = 0, end = 0;
		while (k < m->first_n[i] && lk_walk_memo_read(e, e->sp + m->first_off[i][k], k)) {
			end = m->first_off[i][k] + 8 > end ? m->first_off[i][k] + 8 : end;
			k++;
		}
		if (k < m->first_n[i]) {
			m->first_n[i] = k;
			m->first_end[i] = end;
		}
	}
	m->tag[e - m->ent] = lk_walk_memo_tag(m, e->pc, e->sp, ok_hi);
	m->first_last[i] = e;
}

void lk_walk_memo_tail_commit(lk_walk_memo_tail_t *r, const lk_walk_memo_tail_t *t, int keep,
                              uint32_t nf, bool complete)
{
	uint32_t base = keep >= 0 ? (uint32_t)keep + 1 : 0;
	uint32_t rbase = keep >= 0 ? r->step[keep].reads : 0;
	uint32_t fbase = keep >= 0 ? r->step[keep].frames : 0;
	if (!t->complete || base + t->nsteps > LK_WALK_MEMO_TAIL_STEPS ||
	    rbase + t->nreads > LK_WALK_MEMO_TAIL_READS || base + t->nsteps == 0)
		return;
	bool next = keep >= 0 && r->step[keep].need_bp;
	for (uint32_t i = t->nsteps; i-- > 0;) {
		lk_walk_memo_step_t st = t->step[i];
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

void lk_walk_memo_store(uint64_t value)
{
	lk_walk_memo_t *m = lk_walk_memo_self;
	if (m && m->pending) {
		m->pending->value = value;
		m->pending = NULL;
	}
}

void lk_walk_memo_invalidate(void)
{
	__atomic_add_fetch(&lk_walk_memo_gen_now, 1, __ATOMIC_ACQ_REL);
}

void lk_walk_memo_thread_init(void)
{
	lk_walk_memo_key_ok = pthread_key_create(&lk_walk_memo_key, lk_walk_memo_release) == 0;
}

void lk_walk_memo_reset_after_fork(void)
{
	/* The pool starts empty: the memos' links and flags may read as zeros here
	 * (lk_walk_memo_map). This thread keeps its own (not in the pool, so no other
	 * takes it) and the child's new threads map theirs; no memo page is touched. */
	lk_walk_memo_pool = NULL;
}

uint64_t lk_walk_memo_tails_reused(void)
{
	uint64_t n = 0;
	for (lk_walk_memo_t *m = __atomic_load_n(&lk_walk_memo_pool, __ATOMIC_ACQUIRE); m;
	     m = m->next)
		n += __atomic_load_n(&m->tails_reused, __ATOMIC_RELAXED);
	return n;
}

uint64_t lk_walk_memo_compared(void)
{
	uint64_t n = 0;
	for (lk_walk_memo_t *m = __atomic_load_n(&lk_walk_memo_pool, __ATOMIC_ACQUIRE); m;
	     m = m->next)
		n += __atomic_load_n(&m->compared, __ATOMIC_RELAXED);
	return n;
}
