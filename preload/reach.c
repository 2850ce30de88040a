/* SPDX-License-Identifier: MIT */
/* reach.c - the exit-time reachability scan (reach.h): finds the roots and feeds them to the
 * mark engine (reach_mark.c), so the report can tell a leak (nothing points to it any more)
 * from memory a global, a live stack, a register or a thread's TLS still holds.
 *
 * Roots, the same as LeakSanitizer's plus the program's own anonymous mappings:
 * - the writable PT_LOAD segments (data, bss) of every module but libleak itself (its tables
 *   would make everything reachable);
 * - every other thread, stopped for the scan (reach_stop.c): its registers (general ones and
 *   the FPU/vector state: xmm, ymm), its stack from 128 bytes (the red zone) below its stack
 *   pointer to the end of the mapping holding it, its static TLS and thread descriptor (the
 *   thread pointer minus the loader's static TLS size, to 4 KiB above it: pthread keys below
 *   32 live there, the second-level key arrays are heap blocks it points to), and its DTV
 *   (the dynamic TLS blocks of dlopen'd libraries are heap blocks the DTV points to);
 * - the calling thread's stack, from the latest of its exit point (lk_reach_exit_from), the
 *   final snapshot's entry (lk_reach_stack_from) and the scan's own frame, to the end of the
 *   mapping holding it, and its TLS and DTV as above;
 * - anonymous writable mappings that are not heap: an interpreter's arenas, a pool over mmap.
 *   Not libleak's own (sys.c notes them), not thread stacks (12 KiB or more right above a
 *   guard page, or holding a thread's stack pointer: only from the stack pointer up is live),
 *   not glibc's arena heaps (a heap_info at a 64 MiB boundary), and never the heap blocks
 *   inside a mapping (a large malloc is its own mapping: a block, not a root).
 * With sampling (LEAK_SAMPLE) the table holds only the sampled blocks: there [heap] and the
 * arena heaps are roots too, less the sampled blocks' own bytes (lk_reach_anon). So in a
 * forked child, whose table holds its own blocks and not those it inherited from its parent
 * (a node it linked into the parent's list): there, once the other roots leave a block
 * unreached.
 * A thread that cannot be stopped, or a root set that cannot be read, makes the scan partial:
 * every block not reached is then reachable (TRACE_BLOCK_PARTIAL), never a leak, and the
 * trace says so (SCAN, SCAN_THREAD records). All memory is mmap'd; nothing here calls malloc
 * or stdio, and nothing between stopping the world and resuming it takes a lock: the loader's
 * lists (dl_iterate_phdr) are walked before. */
#include "reach.h"
#include "reach_mark.h"
#include "reach_proc.h"
#include "reach_stop.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fork_hot.h"
#include "sample.h"
#include "sys.h"
#include "trace_format.h"

int lk_reach_heap_inherited LK_FORK_WARM;
__thread uintptr_t lk_reach_stack_from __attribute__((tls_model("initial-exec")));
__thread uintptr_t lk_reach_exit_from __attribute__((tls_model("initial-exec")));

static lk_reach_summary_t lk_reach_sum;

const lk_reach_summary_t *lk_reach_summary(void)
{
	return &lk_reach_sum;
}

/* A thread's red zone: live values below its stack pointer (x86-64 ABI). */
#define LK_RED_ZONE 128
/* The thread descriptor above the thread pointer (struct pthread: 2304 bytes in glibc 2.36). */
#define LK_TCB_BOUND 4096
/* The largest guard below a thread stack taken for one (the default is a page). */
#define LK_GUARD_MAX (1ul << 20)
/* The smallest mapping above a guard taken for a thread stack: glibc refuses a stack under
 * PTHREAD_STACK_MIN (16 KiB) and adds the guard to it (before 2.27 carved it out: 12 KiB
 * left). V8's code pages put their 8 KiB header (pointers to its heap blocks) right above the
 * guard that ends the page before. */
#define LK_STACK_MIN (12ul << 10)
/* glibc's arena heaps: HEAP_MAX_SIZE on 64-bit. */
#define LK_ARENA_HEAP (64ul << 20)

typedef struct {
	uintptr_t start, len;
} lk_range_t;

/* Root ranges gathered before the world stops (module segments), and libleak's own
 * mappings. mmap'd. */
typedef struct {
	lk_range_t *r;
	size_t n, cap;
} lk_ranges_t;

static void lk_ranges_add(lk_ranges_t *rs, uintptr_t start, uintptr_t len)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 512;
		lk_range_t *r = lk_sys_mmap(cap * sizeof(*r));
		if (!r)
			return;
		if (rs->n)
			memcpy(r, rs->r, rs->n * sizeof(*r));
		lk_sys_munmap(rs->r, rs->cap * sizeof(*r));
		rs->r = r;
		rs->cap = cap;
	}
	rs->r[rs->n++] = (lk_range_t){start, len};
}

static void lk_ranges_add_own(void *arg, uintptr_t start, size_t len)
{
	lk_ranges_add(arg, start, len);
}

static void lk_ranges_free(lk_ranges_t *rs)
{
	if (rs->r)
		lk_sys_munmap(rs->r, rs->cap * sizeof(*rs->r));
	rs->r = NULL;
	rs->n = rs->cap = 0;
}

static void lk_ranges_sort(lk_ranges_t *rs)
{
	for (size_t i = 1; i < rs->n; i++) {
		lk_range_t v = rs->r[i];
		size_t k = i;
		for (; k > 0 && rs->r[k - 1].start > v.start; k--)
			rs->r[k] = rs->r[k - 1];
		rs->r[k] = v;
	}
}

/* What the loader tells before the stop: libleak's static TLS (its offset below the thread
 * pointer, the same in every thread, and its size) and the size of all static TLS. */
static uintptr_t lk_self_tls_off, lk_self_tls_len;
static size_t lk_tls_static_size;

/* The module segments dl_iterate_phdr found, to scan once the world is stopped, and every
 * module's writable segments (libleak's too), page-rounded: a bss larger than its file pages
 * shows as an anonymous mapping, which must not be taken as the program's own. */
static lk_ranges_t lk_reach_modules, lk_reach_module_maps;

static void lk_reach_module_map(uintptr_t start, uintptr_t len)
{
	uintptr_t s = start & ~(uintptr_t)4095, e = (start + len + 4095) & ~(uintptr_t)4095;
	lk_ranges_add(&lk_reach_module_maps, s, e - s);
}

/* dl_iterate_phdr callback: one module's writable segments into lk_reach_modules, unless it is
 * libleak (arg is an address inside libleak: the unit test makes it another module's). */
static int lk_reach_phdr(struct dl_phdr_info *info, size_t size, void *arg)
{
	lk_ranges_t *rs = &lk_reach_modules;
	uintptr_t self = (uintptr_t)arg;
	/* Not libleak's own segments: its tables point at every block. */
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t s = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && self >= s && self < s + ph->p_memsz) {
			for (int k = 0; k < info->dlpi_phnum; k++)
				if (info->dlpi_phdr[k].p_type == PT_LOAD &&
				    (info->dlpi_phdr[k].p_flags & PF_W))
					lk_reach_module_map(info->dlpi_addr +
					                        info->dlpi_phdr[k].p_vaddr,
					                    info->dlpi_phdr[k].p_memsz);
			for (int k = 0; k < info->dlpi_phnum; k++)
				if (info->dlpi_phdr[k].p_type == PT_TLS &&
				    size >= offsetof(struct dl_phdr_info, dlpi_tls_data) +
				                sizeof(void *) &&
				    info->dlpi_tls_data) {
					lk_self_tls_off =
					    lk_thread_pointer() - (uintptr_t)info->dlpi_tls_data;
					lk_self_tls_len = info->dlpi_phdr[k].p_memsz;
				}
			return 0;
		}
	}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
			lk_ranges_add(rs, info->dlpi_addr + ph->p_vaddr, ph->p_memsz);
			lk_reach_module_map(info->dlpi_addr + ph->p_vaddr, ph->p_memsz);
		}
	}
	return 0;
}

/* The loader's static TLS size (_dl_get_tls_static_info, as LeakSanitizer asks it). */
void lk_reach_init(void)
{
	if (lk_tls_static_size)
		return;
	void (*info)(size_t *, size_t *) =
	    (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
	size_t sz = 0, align = 0;
	if (info)
		info(&sz, &align);
	/* Unknown: 64 KiB, clamped to the mapping below. */
	lk_tls_static_size = sz && sz < (16u << 20) ? sz : 64u << 10;
}

/* ---- one thread's roots ---------------------------------------------------------------- */

static const char *lk_reach_maps_text;

/* [from, to) minus libleak's static TLS of the thread whose thread pointer is tp. */
static void lk_reach_range_but_self_tls(uintptr_t from, uintptr_t to, uintptr_t tp)
{
	uintptr_t ls = tp - lk_self_tls_off, le = ls + lk_self_tls_len;
	if (lk_self_tls_len && ls < to && le > from) {
		if (ls > from)
			lk_reach_mark_range(from, ls - from);
		if (to > le)
			lk_reach_mark_range(le, to - le);
		return;
	}
	if (to > from)
		lk_reach_mark_range(from, to - from);
}

/* A thread's static TLS, its descriptor and its DTV, from its thread pointer. */
static void lk_reach_tls(uintptr_t tp)
{
	uintptr_t s, e;
	if (!tp || !lk_reach_maps_text ||
	    lk_reach_proc_mapping(lk_reach_maps_text, tp, &s, &e) != 0)
		return;
	uintptr_t from = tp - s > lk_tls_static_size ? tp - lk_tls_static_size : s;
	uintptr_t to = e - tp > LK_TCB_BOUND ? tp + LK_TCB_BOUND : e;
	lk_reach_range_but_self_tls(from, to, tp);
#if defined(__x86_64__)
	/* tcbhead_t: tcb, dtv, self. dtv[-1] counts the entries; each is {block, to_free}. */
	uintptr_t dtv, cnt;
	if (lk_reach_mark_read(tp + sizeof(uintptr_t), &dtv, sizeof(dtv)) == 0 && dtv > 16 &&
	    lk_reach_mark_read(dtv - 16, &cnt, sizeof(cnt)) == 0 && cnt < (1u << 20))
		lk_reach_mark_range(dtv - 16, (cnt + 2) * 16);
#endif
	lk_reach_mark_drain();
}

/* A stack from sp (less the red zone) to the end of its mapping. */
static void lk_reach_stack(uintptr_t sp)
{
	uintptr_t s, e;
	if (!lk_reach_maps_text || lk_reach_proc_mapping(lk_reach_maps_text, sp, &s, &e) != 0)
		return;
	uintptr_t from = sp - LK_RED_ZONE >= s ? sp - LK_RED_ZONE : s;
	lk_reach_mark_range(from, e - from);
	lk_reach_mark_drain();
}

/* ---- anonymous mappings ------------------------------------------------------------------ */

typedef struct {
	uintptr_t pos;         /* scanned up to here */
	const lk_ranges_t *ex; /* sorted: libleak's mappings, arena heaps */
	uint64_t bytes;
} lk_anon_t;

/* [a, b) minus the excluded ranges. */
static void lk_anon_piece(lk_anon_t *an, uintptr_t a, uintptr_t b)
{
	/* From the last range starting at or before a (a mapping split by many blocks makes
	 * many pieces: no walk from the start each time). */
	size_t lo = 0, hi = an->ex->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (an->ex->r[mid].start <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo ? lo - 1 : 0; i < an->ex->n && a < b; i++) {
		uintptr_t xs = an->ex->r[i].start, xe = xs + an->ex->r[i].len;
		if (xe <= a)
			continue;
		if (xs >= b)
			break;
		if (xs > a) {
			lk_reach_mark_range(a, xs - a);
			an->bytes += xs - a;
		}
		a = xe;
	}
	if (a < b) {
		lk_reach_mark_range(a, b - a);
		an->bytes += b - a;
	}
}

/* A heap block inside the mapping: not a root, nor the rest of the pages it lies on (an
 * allocator's free space and headers between live blocks: stale words). Whole pages without
 * a live block are roots: an interpreter's arena merged by the kernel with the mapping of a
 * large malloc next to it is still seen. */
static void lk_anon_block(void *arg, uintptr_t addr, uint64_t size)
{
	lk_anon_t *an = arg;
	uintptr_t hs = (addr >= 16 ? addr - 16 : addr) & ~(uintptr_t)4095;
	uintptr_t he = (addr + size + 4095) & ~(uintptr_t)4095;
	if (hs > an->pos)
		lk_anon_piece(an, an->pos, hs);
	if (he > an->pos)
		an->pos = he;
}

/* Sampled mode: a block's own bytes only. The rest of its pages hold unsampled live blocks,
 * which are roots there (lk_reach_anon). */
static void lk_anon_block_sampled(void *arg, uintptr_t addr, uint64_t size)
{
	lk_anon_t *an = arg;
	if (addr > an->pos)
		lk_anon_piece(an, an->pos, addr);
	if (addr + size > an->pos)
		an->pos = addr + size;
}

/* Scans [s, e) of an anonymous mapping less its blocks, as block (lk_anon_block or
 * lk_anon_block_sampled) leaves them. */
static void lk_anon_range(lk_anon_t *an, uintptr_t s, uintptr_t e,
                          void (*block)(void *arg, uintptr_t addr, uint64_t size))
{
	an->pos = s;
	lk_reach_mark_blocks_in(s, e, block, an);
	if (an->pos < e)
		lk_anon_piece(an, an->pos, e);
	lk_reach_mark_drain();
}

/* Whether a holds a glibc heap_info (malloc/arena.c): ar_ptr, prev, size, mprotect_size.
 * An arena's first heap has prev 0 and its arena right behind the heap_info; a later heap
 * has the first one's arena and a prev at a boundary. Sizes are whole pages, size at most
 * mprotect_size, both at most 64 MiB. Anything weaker takes other memory for a heap: words
 * at a boundary of an interpreter's arena (a pool's block count, then a null free list,
 * then small numbers) passed a check of the low bits alone, and then 64 MiB of the
 * interpreter's objects were no root: hundreds of false leaks in a Python service. */
static int lk_anon_heap_info(uintptr_t a)
{
	uintptr_t hi[4]; /* ar_ptr, prev, size, mprotect_size */
	const uintptr_t low = LK_ARENA_HEAP - 1;
	if (lk_reach_mark_read(a, hi, sizeof(hi)) != 0)
		return 0;
	if (!hi[2] || hi[2] > hi[3] || hi[3] > LK_ARENA_HEAP || ((hi[2] | hi[3]) & 4095) ||
	    (hi[0] & low) > 256 || (hi[1] & low))
		return 0;
	uintptr_t first = hi[0] & ~low;
	if (!hi[1])
		return first == a;
	uintptr_t fh[2];
	return first != a && lk_reach_mark_read(first, fh, sizeof(fh)) == 0 && fh[0] == hi[0] &&
	       fh[1] == 0;
}

/* glibc arena heaps in [s, e): a heap_info at a 64 MiB boundary (lk_anon_heap_info): their
 * pages hold the blocks and free chunks, not roots. */
static void lk_anon_arenas(uintptr_t s, uintptr_t e, lk_ranges_t *ex)
{
	for (uintptr_t a = (s + LK_ARENA_HEAP - 1) & ~(LK_ARENA_HEAP - 1); a >= s && a < e;
	     a += LK_ARENA_HEAP)
		if (lk_anon_heap_info(a))
			lk_ranges_add(ex, a, LK_ARENA_HEAP);
}

/* Scans the anonymous writable mappings of maps that are no heap, stack or libleak's. skip:
 * addresses whose mapping is never a root here (thread stacks found by their pointers).
 * Sampled mode (LEAK_SAMPLE): the table knows only the sampled blocks, so a sampled block that
 * only unsampled ones point to would never be reached, and be a leak. There the heap is a root
 * too ([heap] and the arena heaps), all but the sampled blocks' own bytes: what holds a
 * pointer to a sampled block in the heap is taken as live (an unsampled block, live or
 * leaked, or a free chunk's stale word). heap_only: only [heap] and the arena heaps, so,
 * after a full-mode pass, for a forked child (lk_reach_heap_inherited): the blocks it
 * inherited are there, in none of its tables. */
static uint64_t lk_reach_anon(const char *maps, const uintptr_t *skip, size_t nskip, int heap_only)
{
	lk_ranges_t ex = {0};
	lk_anon_t an = {0};
	int sampled = lk_sample_bytes != 0 || heap_only;
	if (lk_sys_own_foreach(lk_ranges_add_own, &ex) != 0)
		goto out; /* cannot tell ours apart: none */
	for (size_t i = 0; i < lk_reach_module_maps.n; i++)
		lk_ranges_add(&ex, lk_reach_module_maps.r[i].start, lk_reach_module_maps.r[i].len);
	lk_ranges_sort(&ex);
	an.ex = &ex;
	uintptr_t prev_end = 0;
	int prev_guard = 0;
	lk_maps_line_t ml;
	for (const char *p = maps; lk_reach_proc_line(&p, &ml);) {
		uintptr_t s = ml.start, e = ml.end;
		const char *perms = ml.perms;
		int anon = ml.inode == 0 && (!ml.path_len || !strncmp(ml.path, "[anon:", 6));
		int heap = ml.inode == 0 && ml.path_len == 6 && !strncmp(ml.path, "[heap]", 6);
		/* A thread stack's guard: a page or a few (not the PROT_NONE tail of an arena
		 * heap, which a pool mapped just above must not be mistaken for a stack by). */
		int guard = anon && !strncmp(perms, "---p", 4) && e - s <= LK_GUARD_MAX;
		int after_guard = prev_guard && prev_end == s && e - s >= LK_STACK_MIN;
		prev_end = e;
		prev_guard = guard;
		if (!(anon || (sampled && heap)) || strncmp(perms, "rw", 2) || after_guard)
			continue;
		int skipped = 0;
		for (size_t i = 0; i < nskip && !skipped; i++)
			skipped = skip[i] >= s && skip[i] < e;
		if (skipped)
			continue;
		if (heap_only && !heap) { /* its arena heaps only: the rest was scanned before */
			lk_ranges_t ar = {0};
			lk_anon_arenas(s, e, &ar);
			for (size_t i = 0; i < ar.n; i++) {
				uintptr_t end = ar.r[i].start + ar.r[i].len;
				lk_anon_range(&an, ar.r[i].start, end < e ? end : e,
				              lk_anon_block_sampled);
			}
			lk_ranges_free(&ar);
			continue;
		}
		size_t ex_n = ex.n;
		if (!sampled)
			lk_anon_arenas(s, e, &ex);
		if (ex.n != ex_n)
			lk_ranges_sort(&ex);
		lk_anon_range(&an, s, e, sampled ? lk_anon_block_sampled : lk_anon_block);
	}
	lk_ranges_free(&ex);
	return an.bytes;
out:
	lk_ranges_free(&ex);
	return UINT64_MAX;
}

/* ---- the scan ------------------------------------------------------------------------- */

static void lk_reach_note_missed(const lk_stop_thread_t *t, unsigned reason)
{
	lk_reach_summary_t *sum = &lk_reach_sum;
	sum->partial = 1;
	if (sum->missed_n < LK_REACH_MISSED_MAX) {
		sum->missed[sum->missed_n].tid = t->tid;
		sum->missed[sum->missed_n].reason = reason;
		memcpy(sum->missed[sum->missed_n].name, t->name, sizeof(t->name));
		sum->missed_n++;
	}
	sum->threads_missed++;
}

/* noinline, and the scan of this thread's stack starts at this frame's stack pointer: the
 * callee-saved registers __builtin_unwind_init spills into the frame are scanned too, so a
 * pointer a caller keeps in a register counts, and dead stack below is not. */
__attribute__((noinline)) static void lk_reach_roots(void)
{
	__builtin_unwind_init();
	uintptr_t my_sp = lk_reach_sp();
	lk_reach_summary_t *sum = &lk_reach_sum;
	memset(sum, 0, sizeof(*sum));
	/* Before the stop: the loader's lists take its lock. */
	lk_ranges_t *modules = &lk_reach_modules;
	dl_iterate_phdr(lk_reach_phdr, (void *)(uintptr_t)&lk_reach_roots);
	if (!lk_tls_static_size)
		lk_tls_static_size = 64u << 10; /* lk_reach_init did not run (unit tests) */
	lk_stop_t *st = lk_stop_world();
	/* /proc/self/maps (read once the world holds still) and one small /proc file, in mmap'd
	 * buffers. */
	size_t maps_cap = 1u << 20, buf_cap = 4096;
	char *maps = NULL, *buf = lk_sys_mmap(buf_cap);
	long maps_len = -1;
	for (; maps_cap <= (64u << 20); maps_cap *= 4) {
		maps = lk_sys_mmap(maps_cap);
		maps_len = maps ? lk_sys_read_file("/proc/self/maps", maps, maps_cap) : -1;
		if (maps_len < 0 || (size_t)maps_len < maps_cap - 1)
			break;
		lk_sys_munmap(maps, maps_cap);
		maps = NULL;
		maps_len = -1;
	}
	int maps_whole = maps && maps_len > 0;
	if (maps_whole)
		lk_reach_mark_set_maps(maps); /* whole: its holes may be trusted */
	lk_reach_maps_text = maps_whole ? maps : NULL;
	if (!st) { /* nothing stopped (out of memory): blocked threads' stacks at least */
		sum->partial = 1;
		sum->no_stop = 1;
	}
	/* Every thread stopped, none missed: reads may go in place (reach_mark.c). */
	int all_stopped = st && !st->overflow && st->sig && maps_whole;
	for (size_t i = 0; all_stopped && i < st->n; i++) {
		int state = __atomic_load_n(&st->t[i].state, __ATOMIC_ACQUIRE);
		all_stopped = state == LK_STOP_SAVED || state == LK_STOP_GONE;
	}
	if (all_stopped)
		(void)lk_reach_mark_inplace(maps);

	/* This thread. */
	uintptr_t s, e;
	if (maps_whole && lk_reach_proc_mapping(maps, my_sp, &s, &e) == 0) {
		uintptr_t from = my_sp;
		/* Later starts where set and on this stack (not on a signal stack). */
		if (lk_reach_stack_from > from && lk_reach_stack_from < e)
			from = lk_reach_stack_from;
		if (lk_reach_exit_from > from && lk_reach_exit_from < e)
			from = lk_reach_exit_from;
		lk_reach_mark_range(from, e - from);
	}
	lk_reach_mark_drain();
	lk_reach_tls(lk_thread_pointer());
	lk_reach_mark_drain();

	/* The other threads: stopped ones whole, missed ones by what /proc says. */
	size_t nskip = 0, skip_cap = (st ? st->n : 0) + 2;
	uintptr_t *skip = lk_sys_mmap(skip_cap * sizeof(uintptr_t));
	if (skip) {
		skip[nskip++] = my_sp;
		if (lk_reach_writer_stack())
			skip[nskip++] = lk_reach_writer_stack();
	}
	for (size_t i = 0; st && i < st->n; i++) {
		lk_stop_thread_t *t = &st->t[i];
		int state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
		if (state == LK_STOP_GONE)
			continue;
		if (state == LK_STOP_SAVED) {
			sum->threads_stopped++;
			lk_reach_mark_range((uintptr_t)t->regs, t->regs_len);
			lk_reach_mark_drain();
			lk_reach_stack(t->sp);
			lk_reach_tls(t->tp);
			if (skip && nskip < skip_cap)
				skip[nskip++] = t->sp;
			continue;
		}
		lk_reach_note_missed(t, state == LK_STOP_BLOCKED ? TRACE_SCAN_MISSED_BLOCKED
		                                                 : TRACE_SCAN_MISSED_TIMEOUT);
		/* Its stack, if it sits in a system call; its registers stay unknown. */
		uintptr_t sp = buf ? lk_reach_proc_thread_sp(t->tid, buf, buf_cap) : 0;
		if (sp)
			lk_reach_stack(sp);
	}
	if (st && st->overflow) {
		lk_stop_thread_t none = {.name = "?"};
		lk_reach_note_missed(&none, TRACE_SCAN_MISSED_NOSIG);
	}

	/* Module data and bss, then the program's own anonymous mappings. */
	for (size_t i = 0; i < modules->n; i++)
		lk_reach_mark_range(modules->r[i].start, modules->r[i].len);
	lk_reach_mark_drain();
	uint64_t anon = maps_whole ? lk_reach_anon(maps, skip, nskip, 0) : UINT64_MAX;
	/* A forked child: the blocks it inherited, in none of its tables, may hold its own. Its
	 * heap is a root for them (as in sampled mode), read only when some block is still not
	 * reached (about 2 ms a MiB of heap here: most children reach all theirs before). */
	if (anon != UINT64_MAX && lk_reach_heap_inherited && !lk_sample_bytes &&
	    !lk_reach_mark_all_reached()) {
		uint64_t more = lk_reach_anon(maps, skip, nskip, 1);
		anon = more == UINT64_MAX ? more : anon + more;
	}
	if (anon == UINT64_MAX) {
		sum->partial = 1;
		sum->no_anon = 1;
	} else {
		sum->anon_bytes = anon;
	}
	lk_reach_mark_drain();
	/* Every root known: what the leaked blocks point to is leaked through them. */
	if (!sum->partial)
		lk_reach_mark_leaked();
	lk_reach_mark_inplace_end();
	lk_resume_world(st);

	if (sum->partial)
		lk_reach_mark_set_partial();
	lk_reach_maps_text = NULL;
	lk_reach_mark_set_maps(NULL);
	lk_ranges_free(modules);
	lk_ranges_free(&lk_reach_module_maps);
	if (skip)
		lk_sys_munmap(skip, skip_cap * sizeof(uintptr_t));
	if (maps)
		lk_sys_munmap(maps, maps_cap);
	if (buf)
		lk_sys_munmap(buf, buf_cap);
}

int lk_reach_scan(void)
{
	size_t n;
	memset(&lk_reach_sum, 0, sizeof(lk_reach_sum));
	if (lk_reach_mark_begin(&n) != 0)
		return -1;
	if (n)
		lk_reach_roots();
	lk_reach_mark_end();
	return 0;
}

uint32_t lk_reach_flags(uintptr_t ptr)
{
	return lk_reach_mark_flags(ptr);
}

uintptr_t lk_reach_owner(uintptr_t ptr)
{
	return lk_reach_mark_owner(ptr);
}

size_t lk_reach_foreach(void (*fn)(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id,
                                   uint32_t flags, uintptr_t owner),
                        void *arg)
{
	return lk_reach_mark_foreach(fn, arg);
}

int lk_reach_max_stack(uint32_t *max)
{
	return lk_reach_mark_max_stack(max);
}

void lk_reach_release(void)
{
	lk_reach_mark_release();
}
