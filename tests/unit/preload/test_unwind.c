/* SPDX-License-Identifier: MIT */
/* test_unwind.c - preload/unwind.c and what it calls (walk.c, walk_memo.c, rule_table.c): the
 * cached DWARF walker gives unw_backtrace's frames, frame for frame, on recursion 5 and 30
 * deep in this binary (frame pointers) and through a shared library built -O2 without frame
 * pointers (unwind_chain.c, compiled here at run time), in a new thread (no per-thread
 * warm-up: no rule is built again), and from a signal handler (a signal frame: the capture
 * falls back to libunwind). A capture whose rules are cached allocates nothing. The
 * frame-pointer walker agrees with libunwind where frame pointers exist. The per-thread memo
 * of walks reuses a walk only when a fresh walk gives the same frames, and forgets them all on
 * invalidation, and holds the walks of 24 start PCs at once (24 allocation sites); a walk
 * finished with the frames of the thread's last walk gives a fresh walk's frames. Code in an
 * anonymous mapping (a JIT's) is stepped by its frame pointer, and garbage there never crashes the
 * walk. 5000 return addresses in one library, more than the rule table's first levels hold, are all
 * walked right and found again. */
#define UNW_LOCAL_ONLY
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <libgen.h>
#include <libunwind.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "unwind.h"
#include "walk_memo.h"

/* ---- counting malloc: every allocation in this process goes through these ---- */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
static volatile long allocs;

void *malloc(size_t n)
{
	allocs++;
	return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
	allocs++;
	return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
	allocs++;
	return __libc_realloc(p, n);
}
void free(void *p)
{
	__libc_free(p);
}

/* ---- captures ---- */
#define MAXF 256

typedef struct {
	uintptr_t mine[MAXF];
	void *ref[MAXF];
	int n_mine, n_ref;
} capture_t;

__attribute__((noinline)) static void capture_both(capture_t *c)
{
	c->n_mine = lk_unwind_capture(c->mine, MAXF, 0, 0);
	c->n_ref = unw_backtrace(c->ref, MAXF);
	__asm__ volatile("" ::: "memory"); /* keep both calls real, not tail calls */
}

/* frames[0] of each is in capture_both (two call sites); from frames[1] on they must match. */
static void assert_same_frames(const capture_t *c, int min_frames)
{
	assert_true(c->n_mine >= min_frames);
	if (c->n_mine != c->n_ref) {
		for (int i = 0; i < c->n_mine || i < c->n_ref; i++)
			fprintf(stderr, "%2d mine %#lx ref %#lx\n", i,
			        i < c->n_mine ? (unsigned long)c->mine[i] : 0ul,
			        i < c->n_ref ? (unsigned long)(uintptr_t)c->ref[i] : 0ul);
	}
	assert_int_equal(c->n_mine, c->n_ref);
	for (int i = 1; i < c->n_mine; i++)
		assert_int_equal(c->mine[i], (uintptr_t)c->ref[i]);
	assert_true(c->mine[0] - (uintptr_t)c->ref[0] + 64 < 128); /* both in capture_both */
}

static int capture_cb(void *arg)
{
	capture_both(arg);
	return 1;
}

/* Recursion in this binary (built with frame pointers). */
static volatile int sink;
__attribute__((noinline)) static int recurse(int n, capture_t *c)
{
	int r;
	if (n == 0) {
		capture_both(c);
		r = 0;
	} else {
		r = recurse(n - 1, c);
	}
	sink = r;
	return r + 1;
}

/* The same callee reached from two call sites of one caller, at the same stack depth: the
 * walk remembered from one must not be reused for the other (its return address differs). */
__attribute__((noinline)) static int mid(capture_t *c)
{
	capture_both(c);
	sink = 7;
	return 1;
}

__attribute__((noinline)) static int two_sites(capture_t *c, int which)
{
	int r;
	if (which) {
		sink = 1;
		__asm__ volatile("" ::: "memory");
		r = mid(c);
		sink = 2;
	} else {
		sink = 3;
		__asm__ volatile("" ::: "memory");
		r = mid(c);
		sink = 4;
		__asm__ volatile("" ::: "memory");
	}
	return r + sink;
}

/* ---- the shared library without frame pointers ---- */
typedef int (*uc_cb_t)(void *arg);
static int (*uc_chain)(int n, uc_cb_t cb, void *arg);
static volatile int *uc_vals; /* the values uc_regs keeps in callee-saved registers */

static int build_chain_lib(void **state)
{
	(void)state;
	char src[4096], so[] = "/tmp/test_unwind_chain.XXXXXX", cmd[8192];
	const char *dir = getenv("LEAK_UNIT_SRC_DIR");
	snprintf(src, sizeof(src), "%s/unwind_chain.c", dir ? dir : "tests/unit/preload");
	if (access(src, R_OK) != 0) {
		fprintf(stderr, "cannot find %s (set LEAK_UNIT_SRC_DIR)\n", src);
		return -1;
	}
	int fd = mkstemp(so);
	if (fd < 0)
		return -1;
	close(fd);
	const char *cc = getenv("CC") ? getenv("CC") : "cc";
	snprintf(cmd, sizeof(cmd), "%s -O2 -g -fomit-frame-pointer -fPIC -shared -o %s %s", cc, so,
	         src);
	if (system(cmd) != 0)
		return -1;
	void *h = dlopen(so, RTLD_NOW);
	unlink(so);
	if (!h)
		return -1;
	*(void **)&uc_chain = dlsym(h, "uc_chain");
	uc_vals = dlsym(h, "uc_vals");
	return uc_chain && uc_vals ? 0 : -1;
}

static void test_recursion_fp_binary(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	static capture_t c;
	recurse(5, &c);
	assert_same_frames(&c, 7);
	recurse(30, &c);
	assert_same_frames(&c, 32);
}

static void test_remembered_walk_not_reused_across_call_sites(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	static capture_t a, b;
	for (int i = 0; i < 3; i++) {
		two_sites(&a, 1);
		assert_same_frames(&a, 4);
		two_sites(&b, 0);
		assert_same_frames(&b, 4);
		assert_true(a.mine[2] != b.mine[2]); /* two call sites in two_sites */
	}
}

static void test_chain_without_frame_pointers(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	static capture_t c;
	lk_unwind_stats_t before, after;
	for (int depth = 0; depth <= 30; depth++) {
		lk_unwind_stats(&before);
		uc_chain(depth, capture_cb, &c);
		lk_unwind_stats(&after);
		assert_same_frames(&c, depth + 3);
		assert_int_equal(after.fallbacks, before.fallbacks); /* the walker did it */
	}
}

/* 1000 captures; returns the allocations made meanwhile and the new rules and fallbacks. */
__attribute__((noinline)) static long measure_captures(lk_unwind_stats_t *delta)
{
	uintptr_t frames[MAXF];
	lk_unwind_stats_t before, after;
	lk_unwind_stats(&before);
	long a0 = allocs;
	int n = 0;
	for (int i = 0; i < 1000; i++)
		n += lk_unwind_capture(frames, MAXF, 0, 0);
	long a1 = allocs;
	lk_unwind_stats(&after);
	assert_true(n > 1000);
	delta->rules_built = after.rules_built - before.rules_built;
	delta->fallbacks = after.fallbacks - before.fallbacks;
	return a1 - a0;
}

static void test_cache_hit_allocates_nothing(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	lk_unwind_stats_t delta;
	long a = 0;
	/* The same call path twice (a volatile bound keeps it one call site): the first round
	 * builds the rules of this path, the second must only hit. */
	for (volatile int round = 0; round < 2; round++)
		a = measure_captures(&delta);
	assert_int_equal(a, 0);
	assert_int_equal(delta.rules_built, 0);
	assert_int_equal(delta.fallbacks, 0);
}

static void *thread_main(void *arg)
{
	uc_chain(7, capture_cb, arg);
	return NULL;
}

static void test_new_thread_needs_no_warmup(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	static capture_t c;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, thread_main, &c), 0);
	pthread_join(t, NULL);
	assert_same_frames(&c, 10);
	lk_unwind_stats_t before, after;
	lk_unwind_stats(&before);
	assert_int_equal(pthread_create(&t, NULL, thread_main, &c), 0);
	pthread_join(t, NULL);
	lk_unwind_stats(&after);
	assert_same_frames(&c, 10);
	assert_int_equal(after.rules_built, before.rules_built);
}

static capture_t sig_capture;
static void on_signal(int sig)
{
	(void)sig;
	uc_chain(4, capture_cb, &sig_capture);
}

#if defined(__x86_64__)
/* Code in an anonymous executable mapping, as a JIT makes it (no module, no .eh_frame):
 * push %rbp; mov %rsp,%rbp [or movabs $garbage,%rbp]; call *%rdi; pop %rbp; ret. */
typedef void (*jit_fn_t)(void (*cb)(void));
static uintptr_t jit_frames[MAXF];
static int jit_n;

__attribute__((noinline)) static void jit_cb(void)
{
	jit_n = lk_unwind_capture(jit_frames, MAXF, 0, 0);
	__asm__ volatile("" ::: "memory");
}

static jit_fn_t jit_make(int garbage_bp)
{
	static const uint8_t fp[] = {0x55, 0x48, 0x89, 0xe5, 0xff, 0xd7, 0x5d, 0xc3};
	static const uint8_t bad[] = {0x55, 0x48, 0xbd, 0x08, 0x00, 0x00, 0x00, 0x00,
	                              0x00, 0x00, 0x00, 0xff, 0xd7, 0x5d, 0xc3}; /* RBP = 8 */
	uint8_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	memcpy(m, garbage_bp ? bad : fp, garbage_bp ? sizeof(bad) : sizeof(fp));
	assert_int_equal(mprotect(m, 4096, PROT_READ | PROT_EXEC), 0);
	return (jit_fn_t)(uintptr_t)m;
}

__attribute__((noinline)) static void jit_caller(jit_fn_t f)
{
	f(jit_cb);
	__asm__ volatile("" ::: "memory");
}

/* The DWARF walker steps a JIT frame by its frame pointer and goes on by DWARF below it, to
 * main, with no fallback; a JIT frame whose RBP is garbage never crashes the walk. */
static void test_jit_frames_by_frame_pointer(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	jit_fn_t f = jit_make(0);
	lk_unwind_stats_t before, after;
	lk_unwind_stats(&before);
	jit_caller(f);
	lk_unwind_stats(&after);
	assert_int_equal(after.fallbacks, before.fallbacks);
	/* frames: jit_cb's caller is the JIT code (return address f + 6), then jit_caller */
	int at = -1;
	for (int i = 0; i < jit_n; i++)
		if (jit_frames[i] == (uintptr_t)f + 6)
			at = i;
	assert_true(at >= 0);
	assert_true(at + 1 < jit_n);
	assert_true(jit_frames[at + 1] - (uintptr_t)jit_caller < 64);
	assert_true(jit_n >= at + 4); /* and on below: the test, cmocka, main */
	munmap((void *)(uintptr_t)f, 4096);

	f = jit_make(1);
	jit_caller(f); /* RBP 8: below sp, so the walk is libunwind's; it must simply not crash */
	assert_true(jit_n >= 1);
	munmap((void *)(uintptr_t)f, 4096);
}
#endif

/* A signal frame: the walker hands it to the fallback, which without libunwind loaded is
 * lk_walk_dwarf_partial's walk through the trampoline (the same frames, and no call for
 * libunwind), then libunwind's once it is loaded. */
static void test_signal_frame_falls_back(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	lk_unwind_stats_t before, after;
	assert_false(lk_unwind_loaded());
	lk_unwind_stats(&before);
	raise(SIGUSR1);
	lk_unwind_stats(&after);
	assert_int_equal(after.fallbacks, before.fallbacks + 1);
	assert_same_frames(&sig_capture, 8);
	assert_false(lk_unwind_load_wanted()); /* the partial walk finished it */

	assert_int_equal(lk_unwind_load(), 0);
	assert_true(lk_unwind_loaded());
	memset(&sig_capture, 0, sizeof(sig_capture));
	raise(SIGUSR1);
	lk_unwind_stats(&before);
	assert_int_equal(before.fallbacks, after.fallbacks + 1);
	assert_same_frames(&sig_capture, 8);
	signal(SIGUSR1, SIG_DFL);
}

static void test_skip_range_and_max(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	static capture_t c;
	recurse(10, &c);
	/* Everything inside capture_both..recurse's code is one range here: skip it. */
	uintptr_t frames[MAXF], lo = c.mine[1] < c.mine[0] ? c.mine[1] : c.mine[0];
	uintptr_t hi = (c.mine[1] > c.mine[0] ? c.mine[1] : c.mine[0]) + 1;
	int n = lk_unwind_capture(frames, 3, 0, 0);
	assert_int_equal(n, 3);
	n = lk_unwind_capture(frames, MAXF, lo, hi);
	for (int i = 0; i < n; i++)
		assert_false(frames[i] >= lo && frames[i] < hi);
}

static void test_frame_pointer_walk(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_FP);
	static capture_t c;
	recurse(30, &c);
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	/* This binary has frame pointers: the chain holds at least the recursion and the test
	 * function; past it (cmocka, libc) it may stop early, never differ. */
	assert_true(c.n_mine >= 33);
	for (int i = 1; i < c.n_mine && i < c.n_ref; i++)
		if (c.mine[i] != (uintptr_t)c.ref[i]) {
			assert_true(i >= 33);
			break;
		}
}

static void test_libunwind_mode(void **state)
{
	(void)state;
	assert_int_equal(lk_unwind_load(), 0);
	lk_unwind_set_mode(LK_UNWIND_LIBUNWIND);
	static capture_t c;
	uc_chain(9, capture_cb, &c);
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	assert_same_frames(&c, 12);
}

/* ---- the per-thread memo of walks ---- */
typedef struct {
	long hits, misses, wrong;
} memo_stats_t;

static uint64_t hash_from(const uintptr_t *f, int n)
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 1; i < n; i++) /* frames[0] is the call site in memo_cb */
		h = (h ^ f[i]) * 1099511628211ull;
	return h | 1;
}

/* Captures through the memo, then walks afresh: a remembered walk must be this one. The
 * value stored with a walk is the hash of its frames (above frames[0]). */
__attribute__((noinline)) static int memo_cb(void *arg)
{
	memo_stats_t *st = arg;
	uintptr_t a[MAXF], b[MAXF];
	uint64_t hash, value;
	int na = lk_unwind_capture_memo(a, MAXF, 0, 0, &hash, &value);
	int nb = lk_unwind_capture(b, MAXF, 0, 0);
	__asm__ volatile("" ::: "memory");
	if (value) {
		st->hits++;
		if (value != hash_from(b, nb))
			st->wrong++;
	} else {
		st->misses++;
		lk_unwind_memo_store(hash_from(a, na));
	}
	return 1;
}

/* Two call sites of the chain at the same depth: the same start in the callback, different
 * words deeper down. */
__attribute__((noinline)) static int two_site_chain(int which, int depth, uc_cb_t cb, void *arg)
{
	int r;
	if (which) {
		sink = 1;
		__asm__ volatile("" ::: "memory");
		r = uc_chain(depth, cb, arg);
		sink = 2;
	} else {
		sink = 3;
		__asm__ volatile("" ::: "memory");
		r = uc_chain(depth, cb, arg);
		sink = 4;
		__asm__ volatile("" ::: "memory");
	}
	return r + sink;
}

/* Random paths through frames of every shape (RSP-based, RBP-based with alloca, RBP as a
 * plain register holding values that change between calls) and two callers at each depth:
 * every reuse of a remembered walk must equal a fresh walk. */
static void test_memo_reuses_only_identical_walks(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	memo_stats_t st = {0};
	uint32_t x = 12345;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		uc_vals[0] = (int)(x & 0xff); /* uc_regs keeps these in callee-saved registers */
		two_site_chain((int)(x >> 8) & 1, (int)((x >> 9) % 6) * 4, memo_cb, &st);
	}
	assert_int_equal(st.wrong, 0);
	/* 12 distinct stacks, fewer than the memo holds: all but the first of each reuse. */
	assert_true(st.misses >= 12);
	assert_true(st.hits > 19000);
	uc_vals[0] = 1;
}

__attribute__((noinline)) static void memo_same_site(memo_stats_t *st)
{
	uc_chain(5, memo_cb, st);
}

static void test_memo_forgotten_on_invalidate(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	memo_stats_t st = {0};
	/* One call site, five times; invalidated before the fourth (what dlclose does: the
	 * addresses may now mean other code). */
	for (volatile int i = 0; i < 5; i++) {
		if (i == 3)
			lk_unwind_invalidate();
		memo_same_site(&st);
	}
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.hits, 3);
	assert_int_equal(st.wrong, 0);
}

/* Many callers of one helper: each call below reaches memo_cb from the same start (return
 * address and stack pointer) with a different return address above it, so each needs its own
 * entry. The volatile stores around each call keep the compiler from merging the calls. */
enum { MEMO_SITES = 24 };

__attribute__((noinline)) static void memo_site(int n, memo_stats_t *st)
{
	switch (n) {
	case 0:
		sink = 0;
		memo_cb(st);
		sink = 100;
		break;
	case 1:
		sink = 1;
		memo_cb(st);
		sink = 101;
		break;
	case 2:
		sink = 2;
		memo_cb(st);
		sink = 102;
		break;
	case 3:
		sink = 3;
		memo_cb(st);
		sink = 103;
		break;
	case 4:
		sink = 4;
		memo_cb(st);
		sink = 104;
		break;
	case 5:
		sink = 5;
		memo_cb(st);
		sink = 105;
		break;
	case 6:
		sink = 6;
		memo_cb(st);
		sink = 106;
		break;
	case 7:
		sink = 7;
		memo_cb(st);
		sink = 107;
		break;
	case 8:
		sink = 8;
		memo_cb(st);
		sink = 108;
		break;
	case 9:
		sink = 9;
		memo_cb(st);
		sink = 109;
		break;
	case 10:
		sink = 10;
		memo_cb(st);
		sink = 110;
		break;
	case 11:
		sink = 11;
		memo_cb(st);
		sink = 111;
		break;
	case 12:
		sink = 12;
		memo_cb(st);
		sink = 112;
		break;
	case 13:
		sink = 13;
		memo_cb(st);
		sink = 113;
		break;
	case 14:
		sink = 14;
		memo_cb(st);
		sink = 114;
		break;
	case 15:
		sink = 15;
		memo_cb(st);
		sink = 115;
		break;
	case 16:
		sink = 16;
		memo_cb(st);
		sink = 116;
		break;
	case 17:
		sink = 17;
		memo_cb(st);
		sink = 117;
		break;
	case 18:
		sink = 18;
		memo_cb(st);
		sink = 118;
		break;
	case 19:
		sink = 19;
		memo_cb(st);
		sink = 119;
		break;
	case 20:
		sink = 20;
		memo_cb(st);
		sink = 120;
		break;
	case 21:
		sink = 21;
		memo_cb(st);
		sink = 121;
		break;
	case 22:
		sink = 22;
		memo_cb(st);
		sink = 122;
		break;
	case 23:
		sink = 23;
		memo_cb(st);
		sink = 123;
		break;
	}
}

/* 24 callers in turn, 50 rounds: after the first round every walk is remembered (16 entries
 * with random replacement would keep missing). The 24 walks start at the same place (PC and
 * stack pointer in memo_cb) and differ from the first word they read: a lookup compares the
 * words of the one entry it finds by its tag, not of every entry with that start. */
static void test_memo_holds_many_callers(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	lk_unwind_invalidate(); /* earlier tests' entries can only be replaced now */
	memo_stats_t st = {0};
	lk_unwind_stats_t before, after;
	lk_unwind_stats(&before);
	enum { ROUNDS = 50 };
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < MEMO_SITES; i++)
			memo_site(i, &st);
	lk_unwind_stats(&after);
	assert_int_equal(st.wrong, 0);
	assert_int_equal(st.hits + st.misses, MEMO_SITES * ROUNDS);
	assert_true(st.misses < 2 * MEMO_SITES);
	/* at most the start's last entry and the tagged one per lookup (12 or so without tags) */
	assert_true(after.memo_compared - before.memo_compared <= 2 * MEMO_SITES * ROUNDS);
}

/* The 24 callers in random order, as a program's allocation sites interleave: the start's
 * last walk is rarely this one, so after a few failed tries it is no longer compared first
 * and a lookup compares only the entry its tag finds; every hit is still this walk. Then one
 * caller over and over: the check of the last walk is back on, and every walk is found. */
static void test_memo_interleaved_callers(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	lk_unwind_invalidate();
	memo_stats_t st = {0};
	lk_unwind_stats_t before, after;
	enum { N = 4000 };
	uint32_t x = 987654321;
	for (int i = 0; i < 2 * MEMO_SITES; i++) /* warm: every caller remembered */
		memo_site(i % MEMO_SITES, &st);
	st = (memo_stats_t){0};
	lk_unwind_stats(&before);
	for (int i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		memo_site((int)(x % MEMO_SITES), &st);
	}
	lk_unwind_stats(&after);
	assert_int_equal(st.wrong, 0);
	assert_true(st.hits >= N - 2 * MEMO_SITES);
	/* Entries compared: 1.8 a lookup; 2.6 with the last walk compared first every time. */
	assert_true(after.memo_compared - before.memo_compared <= 2 * N);
	st = (memo_stats_t){0};
	for (int i = 0; i < 100; i++)
		memo_site(7, &st);
	assert_int_equal(st.wrong, 0);
	assert_true(st.hits >= 99); /* this loop's own return address: new the first time */
	assert_non_null(lk_walk_memo_self);
	assert_int_equal(lk_walk_memo_self->last_fails, 0);
}

/* Many allocation sites, each its own start PC (a program that calls malloc from many places,
 * as CPython does): every site below captures directly, so its walk starts at its own return
 * address. Walks from one start are told apart by words at offsets kept per start PC in
 * LK_WALK_MEMO_FIRST direct-mapped slots; two start PCs sharing a slot re-key each other's
 * walks, which are then found only as the slot's last one. */
#define START_SITE(k)                                                                              \
	__attribute__((noinline)) static void start_site_##k(memo_stats_t *st, uintptr_t *pc)      \
	{                                                                                          \
		uintptr_t a[MAXF], b[MAXF];                                                        \
		uint64_t hash, value;                                                              \
		int na = lk_unwind_capture_memo(a, MAXF, 0, 0, &hash, &value);                     \
		int nb = lk_unwind_capture(b, MAXF, 0, 0);                                         \
		__asm__ volatile("" ::: "memory");                                                 \
		if (value) {                                                                       \
			st->hits++;                                                                \
			if (value != hash_from(b, nb))                                             \
				st->wrong++;                                                       \
		} else {                                                                           \
			st->misses++;                                                              \
			*pc = na > 0 ? a[0] : 0;                                                   \
			lk_unwind_memo_store(hash_from(a, na));                                    \
		}                                                                                  \
		sink = k;                                                                          \
	}
#define START_SITES8(d)                                                                            \
	START_SITE(d##0)                                                                           \
	START_SITE(d##1)                                                                           \
	START_SITE(d##2)                                                                           \
	START_SITE(d##3)                                                                           \
	START_SITE(d##4)                                                                           \
	START_SITE(d##5)                                                                           \
	START_SITE(d##6)                                                                           \
	START_SITE(d##7)
START_SITES8(1)
START_SITES8(2)
START_SITES8(3)
START_SITES8(4)
START_SITES8(5)
START_SITES8(6)
typedef void (*start_site_t)(memo_stats_t *, uintptr_t *);
#define START_FN8(d)                                                                               \
	start_site_##d##0, start_site_##d##1, start_site_##d##2, start_site_##d##3,                \
	    start_site_##d##4, start_site_##d##5, start_site_##d##6, start_site_##d##7
static const start_site_t start_sites[] = {START_FN8(1), START_FN8(2), START_FN8(3),
                                           START_FN8(4), START_FN8(5), START_FN8(6)};
enum { START_SITES = sizeof(start_sites) / sizeof(start_sites[0]), START_WANT = 24 };

/* 48 sites; the first 24 whose start PCs fall in distinct slots then run 50 rounds: every
 * one is remembered and found again. With 16 slots no 24 start PCs have a slot each. */
static void test_memo_holds_many_start_pcs(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	lk_unwind_invalidate();
	memo_stats_t st = {0};
	uintptr_t pc[START_SITES] = {0};
	for (int i = 0; i < START_SITES; i++)
		start_sites[i](&st, &pc[i]);
	int pick[START_WANT], npick = 0;
	bool taken[LK_WALK_MEMO_FIRST] = {false};
	for (int i = 0; i < START_SITES && npick < START_WANT; i++) {
		unsigned slot = lk_walk_memo_first_slot(pc[i]);
		if (pc[i] && !taken[slot]) {
			taken[slot] = true;
			pick[npick++] = i;
		}
	}
	assert_int_equal(npick, START_WANT);
	enum { ROUNDS = 50 };
	st = (memo_stats_t){0};
	uintptr_t ignored;
	for (int r = 0; r < ROUNDS; r++)
		for (int j = 0; j < npick; j++)
			start_sites[pick[j]](&st, &ignored);
	assert_int_equal(st.wrong, 0);
	assert_int_equal(st.hits + st.misses, START_WANT * ROUNDS);
	assert_true(st.misses < 2 * START_WANT);
}

/* ---- finishing a walk with the frames of the thread's last one ---- */
typedef struct {
	long walks, wrong;
	int max; /* frames asked for */
} tail_stats_t;

/* Walks through the memo (and so with the last walk to finish with) and afresh without it:
 * a walk that was not remembered whole must give the fresh walk's frames, to the last one. */
__attribute__((noinline)) static int tail_cb(void *arg)
{
	tail_stats_t *st = arg;
	uintptr_t a[MAXF], b[MAXF];
	uint64_t hash, value;
	int na = lk_unwind_capture_memo(a, st->max, 0, 0, &hash, &value);
	int nb = lk_unwind_capture(b, st->max, 0, 0);
	__asm__ volatile("" ::: "memory");
	if (value) {
		lk_unwind_memo_store(0); /* nothing pending; keep hits out of the count */
		return 1;
	}
	lk_unwind_memo_store(1); /* a value that matches no walk: its hits are never checked */
	st->walks++;
	if (na != nb || memcmp(a + 1, b + 1, (size_t)(na - 1) * sizeof(a[0])) != 0)
		st->wrong++;
	return 1;
}

/* Random chains of every frame shape, 0-59 deep (more starts than the memo holds), from two
 * call sites, with new values in the registers uc_regs saves (RBP among them); returns the
 * walks that finished with the last one's frames. Each walk must equal a fresh walk. */
static uint64_t tail_rounds(int max, tail_stats_t *st)
{
	lk_unwind_stats_t before, after;
	lk_unwind_stats(&before);
	*st = (tail_stats_t){.max = max};
	uint32_t x = 2463534242u;
	for (int i = 0; i < 10000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		uc_vals[0] = (int)(x & 0xff);
		uc_vals[3] = (int)(x >> 24);
		two_site_chain((int)(x >> 8) & 1, (int)((x >> 9) % 60), tail_cb, st);
	}
	lk_unwind_stats(&after);
	uc_vals[0] = 1;
	uc_vals[3] = 4;
	return after.tails_reused - before.tails_reused;
}

static void test_tail_reuse_matches_fresh_walks(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	tail_stats_t st;
	/* Whole walks: the frames below the chain are the same each time, so nearly every walk
	 * finishes with the last one's (the fresh walk, without the memo, never does). */
	uint64_t reused = tail_rounds(MAXF, &st);
	assert_int_equal(st.wrong, 0);
	assert_true(st.walks > 5000);
	assert_true(reused > (uint64_t)st.walks * 9 / 10);
	/* 12 frames: deeper chains are cut, and a cut walk's frames serve only as many. Cut
	 * walks of the deeper chains are alike, and the memo's 64 entries hold most of them:
	 * a few hundred of the 10,000 are walked. */
	reused = tail_rounds(12, &st);
	assert_int_equal(st.wrong, 0);
	assert_true(st.walks > 200);
	assert_true(reused > 0);
}

/* ---- a program with more return addresses than the first rule-table levels hold ---- */
enum { MANY_FNS = 5000 };
typedef int (*many_fn_t)(uc_cb_t cb, void *arg);

/* A library of MANY_FNS small functions built -O2 without frame pointers, each with its own
 * frame size, each calling cb: one rule per function. NULL if it cannot be built. */
static const many_fn_t *build_many_lib(void)
{
	char src[] = "/tmp/test_unwind_many.XXXXXX", so[] = "/tmp/test_unwind_many_so.XXXXXX";
	int fd = mkstemp(src);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w");
	if (!f)
		return NULL;
	fprintf(f, "typedef int (*cb_t)(void *);\nvolatile int um_sink;\n");
	for (int i = 0; i < MANY_FNS; i++)
		fprintf(f,
		        "__attribute__((noinline)) static int f%d(cb_t cb, void *a)\n"
		        "{ volatile char pad[%d]; pad[0] = (char)%d; int r = cb(a);"
		        " um_sink = r + pad[0]; return r + 1; }\n",
		        i, 16 + (i % 7) * 16, i);
	fprintf(f, "int (*const um_fns[%d])(cb_t, void *) = {", MANY_FNS);
	for (int i = 0; i < MANY_FNS; i++)
		fprintf(f, "f%d,", i);
	fprintf(f, "};\n");
	fclose(f);
	int sfd = mkstemp(so);
	if (sfd < 0)
		return NULL;
	close(sfd);
	char cmd[512];
	const char *cc = getenv("CC") ? getenv("CC") : "cc";
	snprintf(cmd, sizeof(cmd), "%s -x c -O2 -fomit-frame-pointer -fPIC -shared -o %s %s", cc,
	         so, src);
	int rc = system(cmd);
	unlink(src);
	void *h = rc == 0 ? dlopen(so, RTLD_NOW) : NULL;
	unlink(so);
	return h ? dlsym(h, "um_fns") : NULL;
}

/* 5000 new return addresses fill the rule table's first levels (2048, then 4096 rules before
 * a new level): each capture still gives libunwind's frames, and a second pass finds every
 * rule again, built ones copied into the newer levels or looked up in older ones, without
 * building any anew. One call site serves both passes (a second would be a new rule). */
static void test_many_rules_across_levels(void **state)
{
	(void)state;
	lk_unwind_set_mode(LK_UNWIND_DWARF);
	const many_fn_t *fns = build_many_lib();
	assert_non_null(fns);
	static capture_t c;
	lk_unwind_stats_t st[3];
	lk_unwind_stats(&st[0]);
	for (volatile int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < MANY_FNS; k++) {
			int i = pass ? MANY_FNS - 1 - k : k;
			fns[i](capture_cb, &c);
			assert_same_frames(&c, 4);
		}
		lk_unwind_stats(&st[pass + 1]);
	}
	assert_true(st[1].rules_built - st[0].rules_built >= MANY_FNS);
	assert_int_equal(st[2].rules_built, st[1].rules_built);
	assert_int_equal(st[2].fallbacks, st[0].fallbacks);
}

static void test_parse_mode(void **state)
{
	(void)state;
	assert_int_equal(lk_unwind_parse_mode(NULL), LK_UNWIND_DWARF);
	assert_int_equal(lk_unwind_parse_mode("dwarf"), LK_UNWIND_DWARF);
	assert_int_equal(lk_unwind_parse_mode("fp"), LK_UNWIND_FP);
	assert_int_equal(lk_unwind_parse_mode("libunwind"), LK_UNWIND_LIBUNWIND);
	assert_int_equal(lk_unwind_parse_mode("bogus"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_mode),
		cmocka_unit_test(test_recursion_fp_binary),
		cmocka_unit_test(test_chain_without_frame_pointers),
		cmocka_unit_test(test_remembered_walk_not_reused_across_call_sites),
		cmocka_unit_test(test_cache_hit_allocates_nothing),
		cmocka_unit_test(test_new_thread_needs_no_warmup),
		cmocka_unit_test(test_signal_frame_falls_back),
#if defined(__x86_64__)
		cmocka_unit_test(test_jit_frames_by_frame_pointer),
#endif
		cmocka_unit_test(test_skip_range_and_max),
		cmocka_unit_test(test_frame_pointer_walk),
		cmocka_unit_test(test_libunwind_mode),
		cmocka_unit_test(test_memo_reuses_only_identical_walks),
		cmocka_unit_test(test_memo_forgotten_on_invalidate),
		cmocka_unit_test(test_memo_holds_many_callers),
		cmocka_unit_test(test_memo_interleaved_callers),
		cmocka_unit_test(test_memo_holds_many_start_pcs),
		cmocka_unit_test(test_tail_reuse_matches_fresh_walks),
		cmocka_unit_test(test_many_rules_across_levels),
	};
	return cmocka_run_group_tests(tests, build_chain_lib, NULL);
}
