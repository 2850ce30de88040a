/* SPDX-License-Identifier: MIT */
/* reach_mark.c - the mark engine of the exit-time reachability scan.
 *
 * The live blocks are copied from the block table into an address-sorted array of packed
 * 12-byte entries with two mark bits each; a word that falls inside a block marks it, and
 * marked blocks are scanned in turn from a bounded mark stack (no recursion; what overflows is
 * found again by a pass over the marks). A word finds its block through the index of
 * reach_index.h. Memory is read through process_vm_readv into a bounce buffer: other threads
 * may still run and free and unmap a block under us; only while all of them are stopped is
 * private anonymous memory read in place (lk_reach_mark_inplace, below, says why that is safe).
 * All memory is mmap'd; nothing here calls malloc or stdio. The roots come from reach.c. */
#include "reach_mark.h"
#include "reach.h"
#include "reach_index.h"
#include "reach_proc.h"

#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "heap_table.h"
#include "real.h"
#include "sample.h"
#include "sys.h"
#include "trace_format.h"

/* A block's mark, two bits of marked[]: 0 not reached, PENDING reached but not scanned yet,
 * SCANNED; after the roots, INDIRECT: not reached from them, but from another block that is
 * not either (lk_reach_mark_leaked). */
enum { LK_MARK_PENDING = 1, LK_MARK_SCANNED = 2, LK_MARK_INDIRECT = 3 };
/* Mark stack entries (4 bytes each). Reached blocks that do not fit stay PENDING and are
 * found again by a pass over the array: memory at exit does not grow by 4 bytes a block. */
#define LK_REACH_STACK_MAX (64u * 1024)

/* The sorted copy: 12 bytes a block, as in the block table, so that the table (at most 19.3
 * bytes a block), the copy and the marks (a quarter byte) stay under 32 bytes a block at
 * exit. Three 32-bit words; lo (the first two, read unaligned) = addr : 48 | size field bits
 * 0..15 << 48, w[2] = stack : 24 | size field bits 16..23 << 24. A size field below LK_RB_BIG
 * is the size; at or above, its low bits index big[], which holds the sizes of blocks of
 * 8 MiB and more (few, and only the pages used are ever touched). Addresses at or above 2^48
 * (5-level paging) do not pack: the scan then does not run. */
typedef struct {
	uint32_t w[3];
} lk_reach_block_t;
_Static_assert(sizeof(lk_reach_block_t) == 12, "12-byte copies");

#define LK_RB_ADDR_MASK ((1ull << 48) - 1)
#define LK_RB_BIG       (1u << 23)
#define LK_RB_BIG_MAX   (1u << 20) /* entries of big[]: 8 MiB of address space, mostly unused */

static inline uint64_t lk_rb_lo(const lk_reach_block_t *b)
{
	uint64_t lo;
	memcpy(&lo, b->w, sizeof(lo));
	return lo;
}

static inline uintptr_t lk_rb_addr(const lk_reach_block_t *b)
{
	return (uintptr_t)(lk_rb_lo(b) & LK_RB_ADDR_MASK);
}

static inline uint32_t lk_rb_stack(const lk_reach_block_t *b)
{
	return b->w[2] & 0xffffff;
}

#define LK_REACH_BOUNCE (64u * 1024)

typedef struct {
	uintptr_t start, end;
} lk_reach_iv_t;

/* mmap'd, like everything the scan uses: the scan state holds the lowest block address, and
 * nothing of it may sit in memory that is itself scanned. */
struct lk_reach_state {
	lk_reach_block_t *blocks;
	size_t n, cap, blocks_bytes;
	uint64_t *big; /* sizes of 8 MiB and more */
	size_t big_n, big_bytes;
	int unpacked;    /* a block did not pack: no scan */
	uint8_t *marked; /* two bits per block (lk_mark, lk_mark_set) */
	uint32_t *stack; /* mark stack of block indices */
	size_t sp;
	size_t marked_bytes, stack_bytes;
	size_t stack_cap;     /* the mark stack is bounded: past it, blocks stay PENDING */
	int overflow;         /* some PENDING block is not on the stack */
	uintptr_t lo, hi;     /* lowest block address, one past the highest block end */
	uintptr_t amin, amax; /* the lowest and highest block address, as copied */
	uint32_t max_stack;   /* the largest stack id copied */
	int abandoned;        /* a sort helper may still write blocks[]: never unmapped */
	lk_rix_t ix;          /* the address index of blocks[] (reach_index.h), or empty */
	uint64_t *slots;      /* sampled mode: the slot filter (lk_reach_slots_build), or NULL */
	uint8_t *bounce;
	const char *maps;  /* /proc/self/maps when the scan began, whole, or NULL */
	lk_reach_iv_t *iv; /* where reads go in place (lk_reach_mark_inplace), sorted */
	size_t iv_n, iv_bytes;
	int inplace_handlers; /* SIGSEGV and SIGBUS are ours till lk_reach_mark_inplace_end */
	int ran;
	int partial;       /* blocks not reached get TRACE_BLOCK_PARTIAL, counted reachable */
	int leaking;       /* lk_reach_mark_leaked runs: words mark blocks INDIRECT */
	size_t leader;     /* the block whose leaked graph it walks */
	size_t leader_pos; /* its position in unr[], or SIZE_MAX */
	/* The blocks not reached (indices into blocks[], ascending) and, for each, the position
	 * in unr[] of the block that holds it (itself for one leaked directly): a forest whose
	 * roots are the direct leaks (lk_reach_mark_owner). A bit a block says which are in
	 * unr[], and a count per 64 blocks of those before, so that a block's position is a
	 * popcount away (lk_unr_pos). 8 bytes a block not reached, 0.19 a block. */
	uint32_t *unr, *own, *unr_before;
	uint64_t *unr_bits;
	size_t unr_n, unr_bytes;
	pid_t pid;
};
static struct lk_reach_state *lk_rs;

static inline unsigned lk_mark(size_t i)
{
	return lk_rs->marked[i / 4] >> (i % 4 * 2) & 3;
}

static inline void lk_mark_set(size_t i, unsigned mark)
{
	uint8_t *m = &lk_rs->marked[i / 4];
	*m = (uint8_t)((*m & ~(3u << (i % 4 * 2))) | mark << (i % 4 * 2));
}

/* process_vm_readv on this process. Through variadic syscall() every argument goes as a long:
 * the sixth is passed on the stack, and an int 0 there leaves the slot's upper half as it was
 * (clang stores 4 bytes), so the kernel saw garbage flags and refused every read (EINVAL):
 * a clang-built libleak never ran its exit scan. */
static long lk_vm_read(const struct iovec *local, unsigned long nl, const struct iovec *remote,
                       unsigned long nr)
{
	return syscall(SYS_process_vm_readv, (long)lk_rs->pid, local, nl, remote, nr, 0ul);
}

static inline uint64_t lk_reach_size(const lk_reach_block_t *b)
{
	uint32_t field = (uint32_t)(lk_rb_lo(b) >> 48) | (b->w[2] >> 24) << 16;
	return field < LK_RB_BIG ? field : lk_rs->big[field - LK_RB_BIG];
}

static void lk_reach_collect(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id)
{
	(void)arg;
	if (lk_rs->n == lk_rs->cap)
		return;
	if ((uint64_t)ptr > LK_RB_ADDR_MASK) {
		lk_rs->unpacked = 1;
		return;
	}
	uint64_t field = size;
	if (size >= LK_RB_BIG) {
		if (lk_rs->big_n == LK_RB_BIG_MAX) {
			lk_rs->unpacked = 1;
			return;
		}
		lk_rs->big[lk_rs->big_n] = size;
		field = LK_RB_BIG + lk_rs->big_n++;
	}
	lk_reach_block_t *b = &lk_rs->blocks[lk_rs->n++];
	if (ptr < lk_rs->amin)
		lk_rs->amin = ptr;
	if (ptr > lk_rs->amax)
		lk_rs->amax = ptr;
	if ((stack_id & 0xffffff) > lk_rs->max_stack)
		lk_rs->max_stack = stack_id & 0xffffff;
	uint64_t lo = (uint64_t)ptr | field << 48;
	memcpy(b->w, &lo, sizeof(lo));
	b->w[2] = (stack_id & 0xffffff) | (uint32_t)(field >> 16) << 24;
}

/* Sort by address, in place, no recursion, no allocation (when lk_reach_msd cannot map its
 * bucket stack): quicksort (median of three, the
 * smaller side first so the explicit stack stays below 64 entries) down to runs of 16, then
 * one insertion sort. Heapsort's scattered swaps were a quarter of the exit time with
 * millions of blocks. Block addresses are distinct. */
static void lk_reach_sort(lk_reach_block_t *a, size_t n)
{
	size_t stack[128], sp = 0;
	size_t lo = 0, hi = n; /* [lo, hi) */
	for (;;) {
		while (hi - lo > 16) {
			size_t mid = lo + (hi - lo) / 2;
			lk_reach_block_t t;
#define LK_SWAP(i, j) (t = a[i], a[i] = a[j], a[j] = t)
			if (lk_rb_addr(&a[mid]) < lk_rb_addr(&a[lo]))
				LK_SWAP(mid, lo);
			if (lk_rb_addr(&a[hi - 1]) < lk_rb_addr(&a[lo]))
				LK_SWAP(hi - 1, lo);
			if (lk_rb_addr(&a[hi - 1]) < lk_rb_addr(&a[mid]))
				LK_SWAP(hi - 1, mid);
			uintptr_t pivot = lk_rb_addr(&a[mid]);
			size_t i = lo, j = hi - 1;
			for (;;) {
				while (lk_rb_addr(&a[i]) < pivot)
					i++;
				while (lk_rb_addr(&a[j]) > pivot)
					j--;
				if (i >= j)
					break;
				LK_SWAP(i, j);
				i++;
				j--;
			}
#undef LK_SWAP
			/* [lo, j] <= pivot <= [j + 1, hi) */
			size_t split = j + 1;
			if (split - lo < hi - split) {
				stack[sp++] = split;
				stack[sp++] = hi;
				hi = split;
			} else {
				stack[sp++] = lo;
				stack[sp++] = split;
				lo = split;
			}
		}
		if (!sp)
			break;
		hi = stack[--sp];
		lo = stack[--sp];
	}
	for (size_t i = 1; i < n; i++) {
		lk_reach_block_t v = a[i];
		size_t k = i;
		while (k > 0 && lk_rb_addr(&a[k - 1]) > lk_rb_addr(&v)) {
			a[k] = a[k - 1];
			k--;
		}
		a[k] = v;
	}
}

/* Sort by address in place: an MSD radix sort (American flag sort) of the 48-bit addresses,
 * 8 bits a level from the highest digit where the lowest and highest address differ (the
 * levels above it would cost a counting pass each for nothing), each bucket permuted in place
 * by cycles, a bucket of 32 or fewer by insertion; a level where all share the digit costs one
 * counting pass. A heap of a million blocks takes some three passes of counting and permuting
 * instead of quicksort's twenty levels of compares (3.6% of a Python run's samples at exit).
 * The bucket stacks (6 levels of at most 256) are mmap'd, not on a stack that may be a small
 * thread's; -1 when they cannot be mapped (the caller then uses quicksort). */
#define LK_MSD_LEVELS 6
#define LK_MSD_SMALL  32
#define LK_MSD_STACK  (LK_MSD_LEVELS * 256 + 1)

typedef struct {
	size_t lo, hi;
	unsigned shift;
} lk_msd_t;

static inline unsigned lk_msd_digit(const lk_reach_block_t *b, unsigned shift)
{
	return (unsigned)(lk_rb_addr(b) >> shift) & 255;
}

/* One bucket: a[w.lo, w.hi) sorted on the digit at w.shift, its sub-buckets of two or more
 * pushed on st[*sp] for the digits below. */
static void lk_msd_step(lk_reach_block_t *a, lk_msd_t w, lk_msd_t *st, size_t *sp)
{
	size_t lo = w.lo, hi = w.hi;
	if (hi - lo <= LK_MSD_SMALL) {
		for (size_t i = lo + 1; i < hi; i++) {
			lk_reach_block_t v = a[i];
			size_t k = i;
			for (; k > lo && lk_rb_addr(&a[k - 1]) > lk_rb_addr(&v); k--)
				a[k] = a[k - 1];
			a[k] = v;
		}
		return;
	}
	size_t cnt[256] = {0}, next[256], end[256];
	for (size_t i = lo; i < hi; i++)
		cnt[lk_msd_digit(&a[i], w.shift)]++;
	if (cnt[lk_msd_digit(&a[lo], w.shift)] == hi - lo) { /* one digit: the next level */
		if (w.shift)
			st[(*sp)++] = (lk_msd_t){lo, hi, w.shift - 8};
		return;
	}
	for (size_t d = 0, pos = lo; d < 256; d++) {
		next[d] = pos;
		pos += cnt[d];
		end[d] = pos;
	}
	for (unsigned d = 0; d < 256; d++) {
		while (next[d] < end[d]) {
			lk_reach_block_t v = a[next[d]];
			unsigned dv = lk_msd_digit(&v, w.shift);
			while (dv != d) {
				lk_reach_block_t t = a[next[dv]];
				a[next[dv]++] = v;
				v = t;
				dv = lk_msd_digit(&v, w.shift);
			}
			a[next[d]++] = v;
		}
	}
	if (!w.shift)
		return;
	for (size_t d = 0, pos = lo; d < 256; pos += cnt[d], d++)
		if (cnt[d] > 1)
			st[(*sp)++] = (lk_msd_t){pos, pos + cnt[d], w.shift - 8};
}

/* Sorts the buckets on st[0, sp) and all below them. */
static void lk_msd_run(lk_reach_block_t *a, lk_msd_t *st, size_t sp)
{
	while (sp) {
		lk_msd_t w = st[--sp];
		lk_msd_step(a, w, st, &sp);
	}
}

/* The first digit to sort on: the highest where the lowest and highest address differ. */
static unsigned lk_msd_first_shift(void)
{
	uint64_t x = (uint64_t)(lk_rs->amin ^ lk_rs->amax);
	unsigned shift = x ? (unsigned)(63 - __builtin_clzll(x)) / 8 * 8 : 0;
	return shift > 40 ? 40 : shift;
}

static int lk_reach_msd(lk_reach_block_t *a, size_t n)
{
	size_t bytes = LK_MSD_STACK * sizeof(lk_msd_t);
	lk_msd_t *st = lk_sys_mmap(bytes);
	if (!st)
		return -1;
	st[0] = (lk_msd_t){0, n, lk_msd_first_shift()};
	lk_msd_run(a, st, 1);
	lk_sys_munmap(st, bytes);
	return 0;
}

/* ---- the sort on two threads -------------------------------------------------------------
 * At a normal exit with a heap of lk_reach_par_min blocks or more and a second processor, the
 * top levels of the radix sort are done here until no bucket holds more than a quarter of the
 * blocks (one level, on a heap in one region); then this thread and a helper thread take
 * buckets one at a time, the largest first (an atomic counter:
 * disjoint ranges, no lock) and sort each to the end. The sorted copy is the same as the serial
 * sort's, so are the verdicts. The helper is started with the real pthread_create (its own
 * allocations pass through the guard held), every signal blocked, the guard held for life; it
 * touches only the copy and its bucket stack, and calls nothing of the program's. A helper that
 * never runs costs nothing: this thread then sorts every bucket. Every wait is bounded: a bucket
 * the helper took and did not finish within 2 s, or a helper not gone 1 s later, makes the scan
 * give up (no verdicts, as when out of memory), and the copy is left mapped for the helper. Only
 * before the world is stopped: the helper is gone by then (joined), and is never a thread the
 * stop waits for. On a Python run (0.9 M blocks) the sort's wall time went from 76 to 57 ms
 * (medians of 10 alternated runs, a loaded machine): the serial split of the top level is 12-22
 * ms of it. */
size_t lk_reach_par_min = 128u * 1024;
int lk_reach_may_thread;
unsigned lk_reach_par_runs;

#define LK_PAR_ITEMS  (16 * 256 + 1)
#define LK_PAR_ROUNDS 16

typedef struct {
	lk_reach_block_t *a;
	lk_msd_t items[LK_PAR_ITEMS];
	size_t n_items;
	size_t next;   /* the next bucket to take (atomic) */
	uint32_t done; /* buckets sorted (atomic; a futex word) */
	lk_msd_t st[2][LK_MSD_STACK];
} lk_par_t;

static void lk_par_work(lk_par_t *p, int who)
{
	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_ACQ_REL);
		if (i >= p->n_items)
			return;
		p->st[who][0] = p->items[i];
		lk_msd_run(p->a, p->st[who], 1);
		if (__atomic_add_fetch(&p->done, 1, __ATOMIC_RELEASE) == p->n_items)
			syscall(SYS_futex, &p->done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0l);
	}
}

static void *lk_par_main(void *arg)
{
	lk_guard_depth = 1; /* nothing it does is recorded */
	lk_par_work(arg, 1);
	return NULL;
}

/* 0: sorted (by one thread or two); -1: not sorted, quicksort instead; -2: a helper did not
 * finish in time, the scan gives up (the copy stays mapped: the helper may still write it). */
static int lk_reach_msd_par(lk_reach_block_t *a, size_t n)
{
	if (!lk_real.pthread_create || !lk_real.pthread_timedjoin_np || lk_sys_ncpu() < 2)
		return lk_reach_msd(a, n);
	lk_par_t *p = lk_sys_mmap(sizeof(*p));
	if (!p)
		return lk_reach_msd(a, n);
	p->a = a;
	p->items[0] = (lk_msd_t){0, n, lk_msd_first_shift()};
	p->n_items = 1;
	/* The largest bucket split until none holds more than a quarter of the blocks. */
	for (int r = 0; r < LK_PAR_ROUNDS && p->n_items; r++) {
		size_t big = 0;
		for (size_t i = 1; i < p->n_items; i++)
			if (p->items[i].hi - p->items[i].lo > p->items[big].hi - p->items[big].lo)
				big = i;
		if (p->items[big].hi - p->items[big].lo <= n / 4)
			break;
		lk_msd_t w = p->items[big];
		p->items[big] = p->items[--p->n_items];
		lk_msd_step(a, w, p->items, &p->n_items);
	}
	/* The largest first: the last ones taken are small, so neither thread waits long. */
	static const size_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
	for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++)
		for (size_t i = gaps[g]; i < p->n_items; i++) {
			lk_msd_t v = p->items[i];
			size_t k = i;
			for (; k >= gaps[g] &&
			       p->items[k - gaps[g]].hi - p->items[k - gaps[g]].lo < v.hi - v.lo;
			     k -= gaps[g])
				p->items[k] = p->items[k - gaps[g]];
			p->items[k] = v;
		}
	/* The helper, born with every signal blocked; its thread's allocations pass (guard). */
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256u << 10);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int guard = lk_guard_depth;
	lk_guard_depth = 1;
	int started = p->n_items > 1 && lk_real.pthread_create(&t, &attr, lk_par_main, p) == 0;
	lk_guard_depth = guard;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	lk_par_work(p, 0);
	int r = 0;
	if (started) {
		uint64_t deadline = lk_now_ns() + 2000000000ull;
		uint32_t d;
		while ((d = __atomic_load_n(&p->done, __ATOMIC_ACQUIRE)) < p->n_items) {
			if (lk_now_ns() >= deadline)
				return -2;
			struct timespec ts = {0, 10000000};
			syscall(SYS_futex, &p->done, FUTEX_WAIT_PRIVATE, d, &ts, NULL, 0l);
		}
		struct timespec abs;
		clock_gettime(CLOCK_REALTIME, &abs);
		abs.tv_sec += 1;
		lk_guard_depth = 1;
		int j = lk_real.pthread_timedjoin_np(t, NULL, &abs);
		lk_guard_depth = guard;
		if (j != 0)
			return -2; /* alive: the stop would wait for it */
		lk_reach_par_runs++;
	}
	lk_sys_munmap(p, sizeof(*p));
	return r;
}

/* Index of the block that v points into, or -1: its start, or an interior byte outside its
 * last 8. glibc's pointer to the next chunk (the top chunk, a free neighbour) lands on a
 * block's last bytes whenever its size is not a multiple of 16, and would otherwise keep the
 * most recent allocation of a program "reachable" for ever. */
static long lk_reach_find(uintptr_t v)
{
	if (v < lk_rs->lo || v >= lk_rs->hi)
		return -1;
	size_t lo;
	if (lk_rs->ix.n) {
		lo = (size_t)(lk_rix_find(&lk_rs->ix, v) + 1);
	} else { /* no index (out of memory): a binary search */
		size_t hi = lk_rs->n;
		lo = 0;
		while (lo < hi) { /* first block with addr > v */
			size_t mid = lo + (hi - lo) / 2;
			if (lk_rb_addr(&lk_rs->blocks[mid]) <= v)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	if (!lo)
		return -1;
	const lk_reach_block_t *b = &lk_rs->blocks[lo - 1];
	uintptr_t off = v - lk_rb_addr(b);
	uint64_t size = lk_reach_size(b);
	if (off == 0 || (size > 8 && off < size - 8))
		return (long)(lo - 1);
	return -1;
}

/* Starts loading the first line of a block just marked: its scan, soon after (the mark stack is
 * last in, first out), otherwise waits on a cache miss for its first words. A Python program's
 * heap at exit holds 0.9 M blocks of 72 bytes on average, reached in no address order: the
 * marking took 10-16% less CPU time in paired runs (a second line where the block reaches
 * into it did no better). A prefetch never faults. */
static inline void lk_reach_fetch_block(size_t i)
{
	const lk_reach_block_t *b = &lk_rs->blocks[i];
	uintptr_t a = lk_rb_addr(b);
	__builtin_prefetch((const void *)a);
}

/* Sampled mode (LEAK_SAMPLE): the table holds a few sampled blocks, and the roots hold the
 * whole heap (reach.c): most words point into unsampled blocks, inside [lo, hi). A bit per
 * 1 KiB slot of address space, hashed as the sample filter's slots are (sample.h), set for
 * every slot a block's bytes touch: a word whose slot is clear points into no block, at the
 * cost of one load from 32 KiB that stay in L1. Full mode does not build it: there nearly
 * every heap word is a pointer to a block, and the index answers it. */
#define LK_SLOT_SHIFT 10
#define LK_SLOT_BITS  18

static inline size_t lk_slot_of(uintptr_t v)
{
	return (size_t)(v >> LK_SLOT_SHIFT) & ((1u << LK_SLOT_BITS) - 1);
}

static void lk_reach_slots_build(void)
{
	size_t bytes = (1u << LK_SLOT_BITS) / 8;
	lk_rs->slots = lk_sys_mmap(bytes);
	if (!lk_rs->slots)
		return; /* every word goes to the index: slower, the same */
	for (size_t i = 0; i < lk_rs->n; i++) {
		uintptr_t a = lk_rb_addr(&lk_rs->blocks[i]);
		uint64_t size = lk_reach_size(&lk_rs->blocks[i]);
		uint64_t first = a >> LK_SLOT_SHIFT,
		         last = (a + (size ? size - 1 : 0)) >> LK_SLOT_SHIFT;
		if (last - first >= (1u << LK_SLOT_BITS) - 1) {
			memset(lk_rs->slots, 0xff, bytes);
			return;
		}
		for (uint64_t s = first; s <= last; s++) {
			size_t k = (size_t)s & ((1u << LK_SLOT_BITS) - 1);
			lk_rs->slots[k / 64] |= 1ull << (k % 64);
		}
	}
}

static void lk_reach_slots_free(void)
{
	if (lk_rs->slots)
		lk_sys_munmap(lk_rs->slots, (1u << LK_SLOT_BITS) / 8);
	lk_rs->slots = NULL;
}

/* A word that points into block i: marks it, to be scanned. */
static inline void lk_reach_hit(long i)
{
	if (i >= 0 && !lk_mark((size_t)i)) {
		lk_mark_set((size_t)i, LK_MARK_PENDING);
		lk_reach_fetch_block((size_t)i);
		if (lk_rs->sp < lk_rs->stack_cap)
			lk_rs->stack[lk_rs->sp++] = (uint32_t)i;
		else
			lk_rs->overflow = 1; /* found again by lk_reach_refill */
	}
}

/* Position of block i in unr[], or SIZE_MAX when it is not there (or there is no forest). */
static size_t lk_unr_pos(size_t i)
{
	if (!lk_rs->unr)
		return SIZE_MAX;
	uint64_t w = lk_rs->unr_bits[i / 64];
	if (!(w >> (i % 64) & 1))
		return SIZE_MAX;
	return lk_rs->unr_before[i / 64] +
	       (size_t)__builtin_popcountll(w & ((1ull << (i % 64)) - 1));
}

/* A word of a leaked block that points into block i, not reached from the roots: i leaked
 * only through it (unless i is the block the walk started from, in a cycle). A block below the
 * leader led a walk of its own already, which marked what it points to: it is not scanned
 * again. Past the mark stack's end, i is marked and not scanned: what only it points to then
 * counts as leaked directly, never the other way. */
static inline void lk_reach_hit_leaked(long i)
{
	if (i < 0 || (size_t)i == lk_rs->leader || lk_mark((size_t)i))
		return;
	lk_mark_set((size_t)i, LK_MARK_INDIRECT);
	size_t p = lk_unr_pos((size_t)i), l = lk_rs->leader_pos;
	if (p != SIZE_MAX && l != SIZE_MAX)
		lk_rs->own[p] = (uint32_t)l; /* a leader before: its own walk's blocks follow it */
	if ((size_t)i > lk_rs->leader && lk_rs->sp < lk_rs->stack_cap)
		lk_rs->stack[lk_rs->sp++] = (uint32_t)i;
}

/* A word outside [lo, hi) (a count, a flag, a pointer into a module's data) is passed by here,
 * with the bounds in registers, not by a call that reloads them (0.9 M blocks of a Python heap
 * hold 9 M words). Inlined with leaking constant: one loop for the two passes. */
static inline __attribute__((always_inline)) void lk_reach_words_span(const uint8_t *buf,
                                                                      size_t len, int leaking)
{
	uintptr_t lo = lk_rs->lo, span = lk_rs->hi - lk_rs->lo;
	for (size_t off = 0; off + sizeof(uintptr_t) <= len; off += sizeof(uintptr_t)) {
		uintptr_t v;
		memcpy(&v, buf + off, sizeof(v));
		if (v - lo >= span)
			continue;
		if (leaking)
			lk_reach_hit_leaked(lk_reach_find(v));
		else
			lk_reach_hit(lk_reach_find(v));
	}
}

static void lk_reach_words(const uint8_t *buf, size_t len)
{
	if (lk_rs->leaking) {
		lk_reach_words_span(buf, len, 1);
		return;
	}
	const uint64_t *slots = lk_rs->slots;
	if (slots) { /* sampled mode */
		for (size_t off = 0; off + sizeof(uintptr_t) <= len; off += sizeof(uintptr_t)) {
			uintptr_t v;
			memcpy(&v, buf + off, sizeof(v));
			size_t k = lk_slot_of(v);
			if (slots[k / 64] >> (k % 64) & 1)
				lk_reach_hit(lk_reach_find(v));
		}
		return;
	}
	lk_reach_words_span(buf, len, 0);
}

/* ---- reads in place ----------------------------------------------------------------------
 * process_vm_readv pins every page it reads and copies it: a third of the scan's time. While
 * the world is stopped (lk_reach_mark_inplace), a range lying wholly inside a private,
 * anonymous, readable and writable mapping of the maps text read after the stop is scanned
 * where it lies. Why that cannot fault: every thread of the program is stopped in the stop
 * handler (none missed, none unknown), so none maps, unmaps or protects memory until the
 * resume; libleak's writer thread, which runs on, never unmaps or protects the program's
 * memory; this thread only maps and unmaps its own scratch, which holds no block and is never
 * scanned as a root. So the mapping the text shows is still there, with its protection, and a
 * private anonymous page reads as its contents or as zeros (no file behind it to be truncated:
 * no SIGBUS). What the text cannot show is a backstop's business: a guard region installed
 * with MADV_GUARD_INSTALL, a page behind a protection key this thread may not read, a libleak
 * scratch mapping reused at a stale block address. For those, SIGSEGV and SIGBUS are taken
 * over for the stop's duration (the real sigaction, SA_NODEFER: the mask is left as it is):
 * a fault of this thread's in-place read jumps back, and that range and every later one go
 * through process_vm_readv as before. A fault of any other thread (the writer: a bug of
 * libleak's), or the signal sent by kill, puts the program's disposition back and returns, so
 * the fault repeats (the signal is sent again) and is handled as it would have been; no read
 * goes in place after that. Not done when the signals are blocked in this thread (a
 * synchronous fault would kill), when a thread was missed or the maps text is not whole: then
 * every read goes through process_vm_readv. A page of a userfaultfd range with its handler
 * stopped blocks either way, as it did before. */
static void *lk_inplace_jb[5];
static volatile sig_atomic_t lk_inplace_armed;
static volatile pid_t lk_inplace_tid;
static int lk_inplace_on;                     /* the handlers are in; reads may go in place */
static volatile sig_atomic_t lk_inplace_lost; /* a handler was put back: no reads in place */
static struct sigaction lk_inplace_old[2];

static int lk_inplace_sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
	return lk_real.sigaction ? lk_real.sigaction(sig, sa, old) : sigaction(sig, sa, old);
}

static void lk_inplace_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	pid_t tid = lk_sys_gettid();
	if (si->si_code > 0 && lk_inplace_armed && tid == lk_inplace_tid) {
		lk_inplace_armed = 0; /* a fault of the read in place */
		__builtin_longjmp(lk_inplace_jb, 1);
	}
	/* Not ours: the program's disposition; a fault repeats under it, a signal sent by
	 * kill or tgkill (si_code <= 0) is sent again. No more reads in place after this. */
	lk_inplace_lost = 1;
	lk_inplace_sigaction(sig, &lk_inplace_old[sig == SIGBUS], NULL);
	if (si->si_code <= 0)
		syscall(SYS_tgkill, lk_sys_getpid(), tid, sig);
}

/* 1 if [start, start + len) lies inside one interval of iv[]. */
static int lk_inplace_ok(uintptr_t start, size_t len)
{
	if (!lk_inplace_on || lk_inplace_lost || !lk_rs->iv_n)
		return 0;
	size_t lo = 0, hi = lk_rs->iv_n;
	while (lo < hi) { /* first interval starting above start */
		size_t mid = lo + (hi - lo) / 2;
		if (lk_rs->iv[mid].start <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && start + len <= lk_rs->iv[lo - 1].end && start + len >= start;
}

/* Scans len bytes at start in place: 0, or -1 after a fault (reads in place then stop). */
__attribute__((noinline)) static int lk_inplace_words(uintptr_t start, size_t len)
{
	if (__builtin_setjmp(lk_inplace_jb)) {
		lk_inplace_on = 0;
		return -1;
	}
	lk_inplace_armed = 1;
	__asm__ volatile("" ::: "memory");
	lk_reach_words((const uint8_t *)start, len);
	__asm__ volatile("" ::: "memory");
	lk_inplace_armed = 0;
	return 0;
}

void lk_reach_mark_range(uintptr_t start, size_t len)
{
	start = (start + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
	if (len >= sizeof(uintptr_t) && lk_inplace_ok(start, len) &&
	    lk_inplace_words(start, len & ~(sizeof(uintptr_t) - 1)) == 0)
		return;
	while (len >= sizeof(uintptr_t)) {
		size_t n = len < LK_REACH_BOUNCE ? len : LK_REACH_BOUNCE;
		struct iovec local = {lk_rs->bounce, n}, remote = {(void *)start, n};
		long r = lk_vm_read(&local, 1, &remote, 1);
		if (r > 0) {
			lk_reach_words(lk_rs->bounce, (size_t)r);
			n = (size_t)r;
		} else {
			uintptr_t next = lk_reach_proc_next(lk_rs->maps, start);
			n = next - start < len ? (size_t)(next - start) : len;
		}
		start += n;
		len -= n;
	}
}

/* Scans the marked blocks on the mark stack, a batch at a time. Blocks read in place are
 * scanned in the batch's order; the rest of a batch is sorted by address and blocks less than
 * LK_REACH_GAP apart are read as one range, gap included (a gap that small lies in pages of its two
 * blocks, so it is mapped when they are), so a dense heap of small blocks costs one page pin per
 * page, not one per block: with millions of live blocks, pinning was most of the time at exit. Up
 * to LK_REACH_IOV ranges go to one process_vm_readv; the call stops at the first range it cannot
 * read, whose blocks and the ones after are then done alone, page by page. Only the blocks' own
 * bytes are scanned, never the gaps. */
#define LK_REACH_IOV   256
#define LK_REACH_BATCH 2048
#define LK_REACH_GAP   1024

static void lk_reach_sort_idx(uint32_t *a, size_t n)
{
	static const size_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1}; /* Ciura's */
	for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		size_t gap = gaps[g];
		for (size_t i = gap; i < n; i++) {
			uint32_t v = a[i];
			size_t k = i;
			for (; k >= gap && a[k - gap] > v; k -= gap)
				a[k] = a[k - gap];
			a[k] = v;
		}
	}
}

static inline size_t lk_reach_words_len(const lk_reach_block_t *b)
{
	return (size_t)lk_reach_size(b) & ~(sizeof(uintptr_t) - 1);
}

/* Reads and scans batch[0..n) (sorted): as many ranges as fit the bounce buffer and the
 * iovecs per call. */
static void lk_reach_read_batch(const uint32_t *batch, size_t n)
{
	struct iovec local[LK_REACH_IOV], remote[LK_REACH_IOV];
	size_t i = 0;
	while (i < n) {
		size_t k = 0, total = 0, first = i;
		uintptr_t run_end = 0;
		for (; i < n; i++) {
			const lk_reach_block_t *b = &lk_rs->blocks[batch[i]];
			uintptr_t addr = lk_rb_addr(b);
			size_t len = lk_reach_words_len(b);
			if (k && addr >= run_end && addr - run_end < LK_REACH_GAP &&
			    total + (addr + len - run_end) <= LK_REACH_BOUNCE) {
				size_t more = addr + len - run_end; /* the gap and the block */
				remote[k - 1].iov_len += more;
				local[k - 1].iov_len += more;
				total += more;
				run_end = addr + len;
				continue;
			}
			if (k == LK_REACH_IOV || total + len > LK_REACH_BOUNCE)
				break;
			local[k] = (struct iovec){lk_rs->bounce + total, len};
			remote[k] = (struct iovec){(void *)addr, len};
			total += len;
			run_end = addr + len;
			k++;
		}
		long r = total ? lk_vm_read(local, k, remote, k) : 0;
		size_t done = r > 0 ? (size_t)r : 0;
		/* Each block's bytes sit in its range's part of the bounce buffer, ranges in
		 * order. The bounce buffer is reused by the scans below: walk in order. */
		size_t run = 0;
		for (size_t j = first; j < i; j++) {
			const lk_reach_block_t *b = &lk_rs->blocks[batch[j]];
			uintptr_t addr = lk_rb_addr(b);
			size_t len = lk_reach_words_len(b);
			/* Its range is the last one starting at or before it (a block under 8
			 * bytes has no words: its range may be empty). */
			while (run + 1 < k && addr >= (uintptr_t)remote[run + 1].iov_base)
				run++;
			size_t off = (size_t)((uint8_t *)local[run].iov_base - lk_rs->bounce) +
			             (size_t)(addr - (uintptr_t)remote[run].iov_base);
			if (off + len <= done) {
				lk_reach_words(lk_rs->bounce + off, len);
				continue;
			}
			/* Not (fully) read: alone, which skips what cannot be read. The bounce
			 * buffer is free again: everything read before is scanned. */
			for (; j < i; j++) {
				b = &lk_rs->blocks[batch[j]];
				lk_reach_mark_range(lk_rb_addr(b), lk_reach_words_len(b));
			}
			break;
		}
	}
}

/* Scans the blocks of batch[0..n) that may be read in place, in batch order, the next one's
 * first lines fetched ahead; returns how many are left for process_vm_readv, moved
 * to the front of batch. */
static size_t lk_reach_inplace_batch(uint32_t *batch, size_t n)
{
	size_t left = 0;
	for (size_t i = 0; i < n; i++) {
		const lk_reach_block_t *b = &lk_rs->blocks[batch[i]];
		if (i + 1 < n) {
			const uint8_t *next =
			    (const uint8_t *)lk_rb_addr(&lk_rs->blocks[batch[i + 1]]);
			__builtin_prefetch(next);
			__builtin_prefetch(next + 64);
		}
		uintptr_t addr = lk_rb_addr(b);
		size_t len = lk_reach_words_len(b);
		if (!len ||
		    (lk_inplace_on && lk_inplace_ok(addr, len) && lk_inplace_words(addr, len) == 0))
			continue;
		batch[left++] = batch[i];
	}
	return left;
}

static void lk_reach_drain_stack(void)
{
	uint32_t batch[LK_REACH_BATCH];
	while (lk_rs->sp) {
		size_t n = 0;
		while (lk_rs->sp && n < LK_REACH_BATCH) {
			uint32_t idx = lk_rs->stack[lk_rs->sp - 1];
			const lk_reach_block_t *b = &lk_rs->blocks[idx];
			if ((lk_rb_addr(b) & (sizeof(uintptr_t) - 1)) ||
			    lk_reach_words_len(b) > LK_REACH_BOUNCE)
				break; /* unaligned or large: scanned alone below */
			lk_rs->sp--;
			if (!lk_rs->leaking)
				lk_mark_set(idx, LK_MARK_SCANNED);
			batch[n++] = idx;
		}
		if (n == 0) {
			uint32_t idx = lk_rs->stack[--lk_rs->sp];
			if (!lk_rs->leaking)
				lk_mark_set(idx, LK_MARK_SCANNED);
			const lk_reach_block_t *b = &lk_rs->blocks[idx];
			lk_reach_mark_range(lk_rb_addr(b), (size_t)lk_reach_size(b));
			continue;
		}
		/* In place, in the order the marks found them: no sort (without it a Python
		 * program's exit scan of 0.9 M blocks takes 18% less time in paired runs). What is
		 * left goes to process_vm_readv by address. */
		if (lk_inplace_on)
			n = lk_reach_inplace_batch(batch, n);
		lk_reach_sort_idx(batch, n);
		lk_reach_read_batch(batch, n);
	}
}

/* After an overflow: puts PENDING blocks back on the stack, as many as fit. */
static void lk_reach_refill(void)
{
	lk_rs->overflow = 0;
	for (size_t i = 0; i < lk_rs->n; i++) {
		if (lk_mark(i) != LK_MARK_PENDING)
			continue;
		if (lk_rs->sp == lk_rs->stack_cap) {
			lk_rs->overflow = 1;
			return;
		}
		lk_rs->stack[lk_rs->sp++] = (uint32_t)i;
	}
}

void lk_reach_mark_drain(void)
{
	do {
		lk_reach_drain_stack();
		if (lk_rs->overflow)
			lk_reach_refill();
	} while (lk_rs->sp);
}

/* ---- the engine's interface ------------------------------------------------------------ */

static void *lk_reach_map(size_t n)
{
	return n ? lk_sys_mmap(n) : NULL;
}

int lk_reach_mark_begin(size_t *n)
{
	*n = 0;
	lk_reach_mark_release();
	lk_rs = lk_sys_mmap(sizeof(*lk_rs));
	if (!lk_rs)
		return -1;
	memset(lk_rs, 0, sizeof(*lk_rs));
	lk_rs->pid = lk_sys_getpid();
	lk_heap_table_trim();
	uint64_t count = lk_heap_table_count();
	/* Slack for blocks other threads add between the count and the copy. */
	lk_rs->cap = (size_t)(count + count / 64 + 1024);
	lk_rs->stack_cap = lk_rs->cap < LK_REACH_STACK_MAX ? lk_rs->cap : LK_REACH_STACK_MAX;
	lk_rs->blocks_bytes = lk_rs->cap * sizeof(lk_reach_block_t);
	lk_rs->marked_bytes = lk_rs->cap / 4 + 1;
	lk_rs->stack_bytes = lk_rs->stack_cap * sizeof(uint32_t);
	/* The copy is sorted and looked up at random: on huge pages where the kernel gives them
	 * (a Python program's 0.9 M blocks: copy and sort in 0.82 of the CPU time). */
	lk_rs->blocks = lk_rs->blocks_bytes ? lk_sys_mmap_huge(lk_rs->blocks_bytes) : NULL;
	lk_rs->marked = lk_reach_map(lk_rs->marked_bytes);
	lk_rs->big_bytes = LK_RB_BIG_MAX * sizeof(uint64_t);
	lk_rs->big = lk_reach_map(lk_rs->big_bytes);
	lk_rs->stack = lk_reach_map(lk_rs->stack_bytes);
	lk_rs->bounce = lk_sys_mmap(LK_REACH_BOUNCE);
	if (!lk_rs->blocks || !lk_rs->marked || !lk_rs->big || !lk_rs->stack || !lk_rs->bounce) {
		lk_reach_mark_release();
		return -1;
	}
	/* Can we read our own memory this way at all (seccomp, YAMA)? */
	struct iovec local = {lk_rs->bounce, sizeof(*lk_rs)}, remote = {lk_rs, sizeof(*lk_rs)};
	if (lk_vm_read(&local, 1, &remote, 1) != (long)sizeof(*lk_rs)) {
		lk_reach_mark_release();
		return -1;
	}
	lk_rs->amin = UINTPTR_MAX;
	lk_heap_table_foreach(lk_reach_collect, NULL);
	if (lk_rs->unpacked) {
		lk_reach_mark_release();
		return -1;
	}
	int sorted = lk_rs->n >= lk_reach_par_min && lk_reach_may_thread
	                 ? lk_reach_msd_par(lk_rs->blocks, lk_rs->n)
	                 : lk_reach_msd(lk_rs->blocks, lk_rs->n);
	if (sorted == -2) {
		lk_rs->abandoned = 1;
		lk_reach_mark_release();
		return -1;
	}
	if (sorted != 0)
		lk_reach_sort(lk_rs->blocks, lk_rs->n);
	if (lk_rs->n) {
		lk_rs->lo = lk_rb_addr(&lk_rs->blocks[0]);
		for (size_t i = 0; i < lk_rs->n; i++) {
			uintptr_t end =
			    lk_rb_addr(&lk_rs->blocks[i]) + lk_reach_size(&lk_rs->blocks[i]) + 1;
			if (end > lk_rs->hi)
				lk_rs->hi = end;
		}
	}
	/* Without the index (out of memory) every word costs a binary search: slower, the same. */
	(void)lk_rix_build(&lk_rs->ix, lk_rs->blocks, sizeof(lk_reach_block_t), LK_RB_ADDR_MASK,
	                   lk_rs->n);
	if (lk_sample_bytes || lk_reach_heap_inherited)
		lk_reach_slots_build();
	*n = lk_rs->n;
	return 0;
}

void lk_reach_mark_set_maps(const char *maps)
{
	lk_rs->maps = maps;
}

int lk_reach_mark_read(uintptr_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)addr, len};
	return lk_vm_read(&local, 1, &remote, 1) == (long)len ? 0 : -1;
}

void lk_reach_mark_blocks_in(uintptr_t start, uintptr_t end,
                             void (*fn)(void *arg, uintptr_t addr, uint64_t size), void *arg)
{
	size_t lo = 0, hi = lk_rs->n;
	while (lo < hi) { /* first block at or after start */
		size_t mid = lo + (hi - lo) / 2;
		if (lk_rb_addr(&lk_rs->blocks[mid]) < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < lk_rs->n && lk_rb_addr(&lk_rs->blocks[lo]) < end; lo++)
		fn(arg, lk_rb_addr(&lk_rs->blocks[lo]), lk_reach_size(&lk_rs->blocks[lo]));
}

/* The mapping at line p of a maps text, if it is private, anonymous, readable and writable
 * (no path, or [heap], [stack], [anon:NAME]); p moves to the next line. */
static int lk_inplace_line(const char **pp, uintptr_t *s, uintptr_t *e)
{
	lk_maps_line_t l;
	if (!lk_reach_proc_line(pp, &l))
		return 0;
	if (strncmp(l.perms, "rw", 2) || l.perms[3] != 'p' || l.inode)
		return 0; /* not private, or file-backed */
	size_t n = l.path_len;
	if (n && !(n == 6 && !strncmp(l.path, "[heap]", 6)) &&
	    !(n == 7 && !strncmp(l.path, "[stack]", 7)) && strncmp(l.path, "[anon:", 6))
		return 0;
	*s = l.start;
	*e = l.end;
	return l.end > l.start;
}

int lk_reach_mark_inplace(const char *maps)
{
	if (!lk_rs || !maps || lk_inplace_on)
		return -1;
	/* A synchronous fault with the signal blocked kills: then no reads in place. */
	sigset_t cur;
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, sizeof(uint64_t)) != 0 ||
	    sigismember(&cur, SIGSEGV) || sigismember(&cur, SIGBUS))
		return -1;
	size_t lines = 0;
	for (const char *p = maps; *p; p++)
		lines += *p == '\n';
	lk_rs->iv_bytes = (lines + 1) * sizeof(lk_reach_iv_t);
	lk_rs->iv = lk_sys_mmap(lk_rs->iv_bytes);
	if (!lk_rs->iv)
		return -1;
	lk_rs->iv_n = 0;
	for (const char *p = maps; *p && lk_rs->iv_n <= lines;) {
		uintptr_t s, e;
		if (!lk_inplace_line(&p, &s, &e))
			continue;
		/* maps is sorted; neighbours merge (a [heap] next to an anonymous mapping). */
		if (lk_rs->iv_n && lk_rs->iv[lk_rs->iv_n - 1].end == s)
			lk_rs->iv[lk_rs->iv_n - 1].end = e;
		else
			lk_rs->iv[lk_rs->iv_n++] = (lk_reach_iv_t){s, e};
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = lk_inplace_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	lk_inplace_tid = lk_sys_gettid();
	if (lk_inplace_sigaction(SIGSEGV, &sa, &lk_inplace_old[0]) != 0)
		return -1;
	if (lk_inplace_sigaction(SIGBUS, &sa, &lk_inplace_old[1]) != 0) {
		lk_inplace_sigaction(SIGSEGV, &lk_inplace_old[0], NULL);
		return -1;
	}
	lk_inplace_lost = 0;
	lk_inplace_on = 1;
	lk_rs->inplace_handlers = 1;
	return 0;
}

void lk_reach_mark_inplace_end(void)
{
	lk_inplace_on = 0;
	if (lk_rs && lk_rs->inplace_handlers) {
		lk_inplace_sigaction(SIGBUS, &lk_inplace_old[1], NULL);
		lk_inplace_sigaction(SIGSEGV, &lk_inplace_old[0], NULL);
		lk_rs->inplace_handlers = 0;
	}
	if (lk_rs && lk_rs->iv) {
		lk_sys_munmap(lk_rs->iv, lk_rs->iv_bytes);
		lk_rs->iv = NULL;
		lk_rs->iv_n = 0;
	}
}

int lk_reach_mark_all_reached(void)
{
	for (size_t i = 0; i < lk_rs->n; i++)
		if (!lk_mark(i))
			return 0;
	return 1;
}

/* Each block not reached, in address order, leads a walk of the blocks it points to that are
 * not reached either: those are marked INDIRECT, leaked only through it. A block a later walk
 * meets, a leader before, becomes INDIRECT too (its own walk's blocks stay so), and a cycle
 * keeps its first block as the one leaked directly: each leaked graph has at least one. Every
 * block is scanned once, as a leader or in a walk. Sampled mode finds little here: the heap
 * outside the sampled blocks is a root there, so only what sampled blocks alone hold (a cycle
 * of two) is found. */
void lk_reach_mark_leaked(void)
{
	if (!lk_rs->stack_cap)
		return;
	size_t u = 0;
	for (size_t i = 0; i < lk_rs->n; i++)
		u += !lk_mark(i);
	if (!u)
		return;
	/* Without room for the forest the marks are still set, with no holder named. */
	size_t words = (lk_rs->n + 63) / 64;
	lk_rs->unr_bytes = words * sizeof(uint64_t) + (u * 2 + words) * sizeof(uint32_t);
	lk_rs->unr_bits = lk_sys_mmap(lk_rs->unr_bytes);
	if (lk_rs->unr_bits) {
		lk_rs->unr = (uint32_t *)(lk_rs->unr_bits + words);
		lk_rs->own = lk_rs->unr + u;
		lk_rs->unr_before = lk_rs->own + u;
		for (size_t i = 0; i < lk_rs->n; i++) {
			if (i % 64 == 0)
				lk_rs->unr_before[i / 64] = (uint32_t)lk_rs->unr_n;
			if (!lk_mark(i)) {
				lk_rs->unr_bits[i / 64] |= 1ull << (i % 64);
				lk_rs->own[lk_rs->unr_n] = (uint32_t)lk_rs->unr_n;
				lk_rs->unr[lk_rs->unr_n++] = (uint32_t)i;
			}
		}
	}
	lk_rs->leaking = 1;
	for (size_t i = 0; i < lk_rs->n; i++) {
		if (lk_mark(i))
			continue;
		lk_rs->leader = i;
		lk_rs->leader_pos = lk_unr_pos(i);
		lk_rs->sp = 0;
		lk_rs->stack[lk_rs->sp++] = (uint32_t)i;
		lk_reach_drain_stack();
	}
	lk_rs->leaking = 0;
	/* Every block to its root, once: a lost list's met leaders form a chain as long as the
	 * list, which lookups in address order would otherwise walk again and again. */
	uint32_t *own = lk_rs->own;
	for (size_t p = 0; p < lk_rs->unr_n; p++) {
		size_t r = p;
		for (size_t g = 0; own[r] != r && g < lk_rs->unr_n; g++)
			r = own[r];
		for (size_t q = p, g = 0; q != r && g < lk_rs->unr_n; g++) {
			size_t next = own[q];
			own[q] = (uint32_t)r;
			q = next;
		}
	}
}

void lk_reach_mark_set_partial(void)
{
	lk_rs->partial = 1;
}

static inline uint32_t lk_reach_mark_bits(size_t i)
{
	unsigned m = lk_mark(i);
	if (m == LK_MARK_INDIRECT)
		return TRACE_BLOCK_SCANNED | TRACE_BLOCK_INDIRECT;
	if (m)
		return TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE;
	return lk_rs->partial ? TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE | TRACE_BLOCK_PARTIAL
	                      : TRACE_BLOCK_SCANNED;
}

void lk_reach_mark_end(void)
{
	lk_rs->ran = 1;
}

int lk_reach_mark_max_stack(uint32_t *max)
{
	if (!lk_rs || !lk_rs->ran)
		return -1;
	*max = lk_rs->max_stack;
	return 0;
}

/* Index of the block starting at ptr in the last scan's copy, or -1. */
static long lk_reach_block_at(uintptr_t ptr)
{
	if (!lk_rs || !lk_rs->ran)
		return -1;
	size_t lo = 0, hi = lk_rs->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (lk_rb_addr(&lk_rs->blocks[mid]) < ptr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == lk_rs->n || lk_rb_addr(&lk_rs->blocks[lo]) != ptr)
		return -1;
	return (long)lo;
}

uint32_t lk_reach_mark_flags(uintptr_t ptr)
{
	long i = lk_reach_block_at(ptr);
	return i < 0 ? 0 : lk_reach_mark_bits((size_t)i);
}

/* The direct leak a block not reached leaked through (position p in unr[]): 0 for one leaked
 * directly itself. The forest is flat after lk_reach_mark_leaked. */
static uintptr_t lk_unr_owner(size_t p)
{
	size_t root = lk_rs->unr[lk_rs->own[p]];
	if (lk_rs->own[p] == p || lk_mark(root))
		return 0;
	return lk_rb_addr(&lk_rs->blocks[root]);
}

uintptr_t lk_reach_mark_owner(uintptr_t ptr)
{
	long i = lk_reach_block_at(ptr);
	size_t p = i < 0 ? SIZE_MAX : lk_unr_pos((size_t)i);
	return p == SIZE_MAX ? 0 : lk_unr_owner(p);
}

size_t lk_reach_mark_foreach(void (*fn)(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id,
                                        uint32_t flags, uintptr_t owner),
                             void *arg)
{
	if (!lk_rs || !lk_rs->ran)
		return 0;
	size_t q = 0; /* unr[] is in the same order: the next block not reached */
	for (size_t i = 0; i < lk_rs->n; i++) {
		const lk_reach_block_t *b = &lk_rs->blocks[i];
		uintptr_t owner = 0;
		if (q < lk_rs->unr_n && lk_rs->unr[q] == i)
			owner = lk_unr_owner(q++);
		fn(arg, lk_rb_addr(b), lk_reach_size(b), lk_rb_stack(b), lk_reach_mark_bits(i),
		   owner);
	}
	return lk_rs->n;
}

void lk_reach_mark_release(void)
{
	if (!lk_rs)
		return;
	lk_reach_mark_inplace_end();
	if (lk_rs->blocks && !lk_rs->abandoned)
		lk_sys_munmap(lk_rs->blocks, lk_rs->blocks_bytes);
	if (lk_rs->marked)
		lk_sys_munmap(lk_rs->marked, lk_rs->marked_bytes);
	if (lk_rs->big)
		lk_sys_munmap(lk_rs->big, lk_rs->big_bytes);
	if (lk_rs->stack)
		lk_sys_munmap(lk_rs->stack, lk_rs->stack_bytes);
	if (lk_rs->unr_bits)
		lk_sys_munmap(lk_rs->unr_bits, lk_rs->unr_bytes);
	if (lk_rs->bounce)
		lk_sys_munmap(lk_rs->bounce, LK_REACH_BOUNCE);
	lk_rix_free(&lk_rs->ix);
	lk_reach_slots_free();
	lk_sys_munmap(lk_rs, sizeof(*lk_rs));
	lk_rs = NULL;
}
