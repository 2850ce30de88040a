/* SPDX-License-Identifier: MIT */
/* fd_table.c - descriptors indexed by number, temp files, and the exec marker.
 * The table is one anonymous mapping of LK_FD_MAX fixed-size entries (no malloc: it is filled
 * from inside open/close hooks, possibly before the heap is usable). Each entry has a short
 * spinlock held only to copy fields in or out. A number reused after close gets a new
 * generation; an open on a number still open closes the old generation implicitly, which
 * also covers closes we cannot see (libc's internal close in fclose, dup2 over an fd).
 * What the trace already holds is remembered per entry (emitted_gen), and a dirty bitmap
 * lets the writer visit only the entries that changed, so a snapshot costs O(changes); a close
 * of a generation no snapshot saw changes nothing the trace holds, so it is neither timed nor
 * marked (lk_fd_held).
 * What a descriptor is (its /proc/self/fd link, fstat) is fd_probe.c's to find out. */
#include "fd_table.h"
#include "fork_hot.h"
#include "fd_cwd.h"
#include "ring.h"
#include "fd_probe.h"
#include "fd_internal.h"
#include "spin.h"
#include "sys.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "emit.h"
#include "trace_clock.h"
#include "trace_codec.h"
#include "trace_format.h"
#include "varint.h"

typedef struct {
	volatile int lock;
	uint32_t gen;         /* generation of the latest open (0: never opened) */
	uint32_t emitted_gen; /* generation the trace holds open, 0 none (writer-owned) */
	uint32_t stack_id;
	uint8_t open;
	uint8_t type;
	uint8_t flags; /* TRACE_FD_* */
	uint8_t family;
	int socktype;
	uint32_t epoch; /* lk_fd_epoch when last brought up to date (lk_fd_lock) */
	uint64_t t_ns;
	uint64_t close_ns;
	const char *api; /* a literal (lk_fd_on_open): kept, not copied */
	char path[LK_FD_PATH_LEN];
	char peer[LK_FD_PEER_LEN];
} lk_fd_entry_t;

typedef struct {
	uint8_t used;
	uint8_t state;         /* TRACE_TEMP_* */
	uint8_t emitted_state; /* 0xff: not in the trace */
	uint32_t stack_id;
	uint64_t t_ns;
	char api[LK_FD_API_LEN];
	char path[LK_TEMP_PATH_LEN];
} lk_temp_entry_t;

#define LK_TEMP_NOT_EMITTED 0xff

static lk_fd_entry_t *lk_fd_tab;
/* One more in each forked child than in its parent (lk_fd_emit_reset). An entry last brought
 * up to date in an earlier epoch was in the table at a fork since: the trace holds nothing of
 * it, and if open it was open in the parent (TRACE_FD_FORKED). The child applies this to an
 * entry only when it next locks it, not at fork: writing each entry there copied its pages
 * in every child. lk_fd_emit_forked asks the child's first emit to visit every entry used. */
static uint32_t lk_fd_epoch LK_FORK_WARM;
static int lk_fd_emit_forked LK_FORK_WARM;
/* lk_fd_epoch at the latest open: a forked child that opened nothing yet has only its
 * parent's descriptors (lk_fd_child_has_findings need not read the table). */
static uint32_t lk_fd_open_epoch LK_FORK_WARM;
static uint64_t lk_fd_dirty[LK_FD_MAX / 64];
/* Entries ever written or locked, so a forked child visits only those; lk_fd_used_words is
 * one past the highest word with a bit set. */
static uint64_t lk_fd_used[LK_FD_MAX / 64];
static int lk_fd_used_words;
static volatile int lk_fd_init_state; /* 0 no, 1 in progress, 2 done, 3 failed */
static uint64_t lk_fd_overflow;
static int lk_fd_hiwater; /* one past the highest fd ever recorded */

static lk_temp_entry_t lk_temp_tab[LK_TEMP_MAX];
/* These four a forked child reads (lk_fd_on_fork_child): on the fork page. */
static int lk_temp_hw LK_FORK_WARM; /* one past the highest slot ever used (lock held) */
static volatile int lk_temp_lock LK_FORK_HOT;

static volatile int lk_exec_lock LK_FORK_HOT;
static int lk_exec_is_pending LK_FORK_WARM;
static uint64_t lk_exec_t_ns;
static char lk_exec_path[LK_TEMP_PATH_LEN];

static void lk_copy_str(char *dst, size_t n, const char *src)
{
	size_t len = src ? strnlen(src, n - 1) : 0;
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

/* After the entry's lock is released. A bit still set needs no locked write: the writer has
 * not yet cleared it, so its copy of the entry (under the lock, after the clearing) comes
 * after the change. */
static void lk_fd_mark_dirty(int fd)
{
	unsigned u = (unsigned)fd;
	uint64_t bit = 1ull << (u % 64);
	if (!(__atomic_load_n(&lk_fd_dirty[u / 64], __ATOMIC_RELAXED) & bit))
		__atomic_fetch_or(&lk_fd_dirty[u / 64], bit, __ATOMIC_RELEASE);
	lk_ring_tick_now();
}

/* Entry lock held, e open: whether the trace holds the generation open here (the writer
 * emitted it). Only then does its close need a time and the writer's visit: an fd opened and
 * closed between two snapshots is in no record, and the close of an older generation the trace
 * still holds was stamped when that generation closed, its dirty bit set by the open after it
 * (which the writer has not yet visited, or emitted_gen would have moved on). */
static inline bool lk_fd_held(const lk_fd_entry_t *e)
{
	return e->emitted_gen == e->gen;
}

static bool lk_fd_was_used(int fd)
{
	unsigned u = (unsigned)fd;
	return __atomic_load_n(&lk_fd_used[u / 64], __ATOMIC_RELAXED) >> (u % 64) & 1;
}

/* Before an entry is first locked or written (one load once it was). */
static inline __attribute__((always_inline)) void lk_fd_note_used(int fd)
{
	if (__builtin_expect(lk_fd_was_used(fd), 1))
		return;
	__atomic_fetch_or(&lk_fd_used[fd / 64], 1ull << (fd % 64), __ATOMIC_RELAXED);
	int w = __atomic_load_n(&lk_fd_used_words, __ATOMIC_RELAXED);
	while (w <= fd / 64 && !__atomic_compare_exchange_n(&lk_fd_used_words, &w, fd / 64 + 1, 1,
	                                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* An entry's lock word holds its taker's epoch (lk_fd_lock_tag), never 0. A word from an
 * earlier epoch was held at a fork by a thread of the parent's, which the child does not have:
 * the child takes it over instead of waiting, so no fork handler has to visit the entries. */
static inline int lk_fd_lock_tag(void)
{
	return (int)(lk_fd_epoch << 1 | 1);
}

static __attribute__((noinline, cold)) void lk_fd_lock_slow(volatile int *l, int tag, int v)
{
	unsigned pauses = 0, waits = 0;
	for (;;) {
		if (v != tag) { /* free, or abandoned at a fork */
			if (__atomic_compare_exchange_n(l, &v, tag, 0, __ATOMIC_ACQUIRE,
			                                __ATOMIC_RELAXED))
				return;
			continue;
		}
		lk_spin_backoff(&pauses, &waits);
		v = __atomic_load_n(l, __ATOMIC_RELAXED);
	}
}

/* Takes e's lock and brings e to this process's epoch (see lk_fd_epoch). */
static inline __attribute__((always_inline)) void lk_fd_lock(lk_fd_entry_t *e)
{
	int tag = lk_fd_lock_tag(), v = 0;
	if (__builtin_expect(!__atomic_compare_exchange_n(&e->lock, &v, tag, 0, __ATOMIC_ACQUIRE,
	                                                  __ATOMIC_RELAXED),
	                     0))
		lk_fd_lock_slow(&e->lock, tag, v);
	if (__builtin_expect(e->epoch != lk_fd_epoch, 0)) {
		e->epoch = lk_fd_epoch;
		e->emitted_gen = 0;
		if (e->open)
			e->flags |= TRACE_FD_FORKED;
	}
}

/* e's emitted_gen as lk_fd_lock would leave it (an unlocked peek). */
static inline uint32_t lk_fd_peek_emitted(const lk_fd_entry_t *e)
{
	return __atomic_load_n(&e->epoch, __ATOMIC_RELAXED) == lk_fd_epoch
	           ? __atomic_load_n(&e->emitted_gen, __ATOMIC_RELAXED)
	           : 0;
}

/* lk_fd_init, its every-call case inline. */
static inline __attribute__((always_inline)) int lk_fd_ready(void)
{
	if (__builtin_expect(__atomic_load_n(&lk_fd_init_state, __ATOMIC_ACQUIRE) == 2, 1))
		return 0;
	return lk_fd_init();
}

/* Entry for fd, or NULL when the table is absent or fd is out of range. Inline: every hook
 * reaches it once or twice. */
static inline __attribute__((always_inline)) lk_fd_entry_t *lk_fd_entry(int fd)
{
	if (fd < 0 || lk_fd_ready() != 0)
		return NULL;
	if (fd >= LK_FD_MAX)
		return NULL;
	lk_fd_note_used(fd);
	return &lk_fd_tab[fd];
}

static bool lk_fd_inherited_wanted(int fd)
{
	return fd < LK_FD_MAX && !lk_fd_is_internal(fd);
}

/* An attach window's descriptors of its start are "pre-existing", sockets with their
 * addresses (a preloaded process's inherited ones are seldom more than 0-2). */
static const char *lk_fd_inherited_api = "inherited";

static void lk_fd_inherited_sock(int fd, char *local, char *peer, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	local[0] = peer[0] = 0;
	if (syscall(SYS_getsockname, fd, (struct sockaddr *)&ss, &sl) == 0)
		lk_fd_probe_sockaddr((struct sockaddr *)&ss, sl, local, n);
	sl = sizeof(ss);
	if (syscall(SYS_getpeername, fd, (struct sockaddr *)&ss, &sl) == 0)
		lk_fd_probe_sockaddr((struct sockaddr *)&ss, sl, peer, n);
}

static void lk_fd_inherited_found(int fd, unsigned type, unsigned cloexec, const char *link)
{
	char local[LK_FD_PEER_LEN], peer[LK_FD_PEER_LEN];
	bool sock = type == TRACE_FD_SOCKET && lk_fd_inherited_api[0] == 'p';
	if (sock)
		lk_fd_inherited_sock(fd, local, peer, sizeof(local));
	lk_fd_on_open(fd, type, TRACE_FD_INHERITED | cloexec, 0, lk_clock_t0(), lk_fd_inherited_api,
	              sock ? local
	              : type == TRACE_FD_FILE || type == TRACE_FD_DIR || type == TRACE_FD_MEMFD
	                  ? link
	                  : NULL,
	              sock ? peer : NULL);
}

void lk_fd_attach_reset(void)
{
	lk_fd_inherited_api = "pre-existing";
	/* Attached, chdir is not among the patched calls, and the program ran on unseen before
	 * this window: the cwd is asked for every time. */
	lk_fd_cwd_disable();
	if (__atomic_load_n(&lk_fd_init_state, __ATOMIC_ACQUIRE) != 2) {
		lk_fd_init(); /* the first window: the scan is part of it */
		return;
	}
	/* A later window: what the last one knew is stale (the program ran on unseen). The hooks
	 * are inert meanwhile, so nothing holds an entry's lock. */
	lk_temp_lock = 0;
	memset(lk_temp_tab, 0, (size_t)lk_temp_hw * sizeof(lk_temp_tab[0]));
	lk_temp_hw = 0;
	lk_exec_lock = 0;
	lk_exec_is_pending = 0;
	for (int w = 0; w < lk_fd_used_words; w++) {
		for (uint64_t bits = lk_fd_used[w]; bits; bits &= bits - 1) {
			int i = w * 64 + __builtin_ctzll(bits);
			if (!lk_fd_is_internal(i))
				memset(&lk_fd_tab[i], 0, sizeof(lk_fd_tab[i]));
		}
		lk_fd_dirty[w] = 0;
	}
	lk_fd_probe_open_fds(lk_fd_inherited_wanted, lk_fd_inherited_found);
}

int lk_fd_init(void)
{
	int st = __atomic_load_n(&lk_fd_init_state, __ATOMIC_ACQUIRE);
	if (__builtin_expect(st == 2, 1))
		return 0;
	if (st == 3)
		return -1;
	int expected = 0;
	if (!__atomic_compare_exchange_n(&lk_fd_init_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE)) {
		/* Another thread is initialising: wait for it (it only makes syscalls). */
		while ((st = __atomic_load_n(&lk_fd_init_state, __ATOMIC_ACQUIRE)) == 1)
			__builtin_ia32_pause();
		return st == 2 ? 0 : -1;
	}
	/* Not MAP_NORESERVE: a mapping with the flags of libleak's others merges with its
	 * neighbours into one, which each fork copies once (strict overcommit ignores the flag). */
	void *p = mmap(NULL, sizeof(lk_fd_entry_t) * LK_FD_MAX, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		__atomic_store_n(&lk_fd_init_state, 3, __ATOMIC_RELEASE);
		return -1;
	}
	lk_sys_note_own(p, sizeof(lk_fd_entry_t) * LK_FD_MAX);
	lk_fd_tab = p;
	/* Mark ready before the scan: the scan itself records through lk_fd_on_open. */
	__atomic_store_n(&lk_fd_init_state, 2, __ATOMIC_RELEASE);
	/* Every descriptor open now is inherited. Raw syscalls (fd_probe.c): our own open/close
	 * hooks must not see this, and it may run inside one of them. */
	lk_fd_probe_open_fds(lk_fd_inherited_wanted, lk_fd_inherited_found);
	return 0;
}

/* lk_fd_on_open, with a socket's family and SOCK_* type (0 for other kinds). */
static void lk_fd_open_entry(int fd, unsigned type, unsigned flags, uint32_t stack_id,
                             uint64_t t_ns, const char *api, const char *path, const char *peer,
                             int family, int socktype)
{
	if (fd >= LK_FD_MAX) {
		__atomic_fetch_add(&lk_fd_overflow, 1, __ATOMIC_RELAXED);
		return;
	}
	if (lk_fd_is_internal(fd))
		return;
	lk_fd_entry_t *e = lk_fd_entry(fd);
	if (!e)
		return;
	if (__atomic_load_n(&lk_fd_open_epoch, __ATOMIC_RELAXED) != lk_fd_epoch)
		__atomic_store_n(&lk_fd_open_epoch, lk_fd_epoch, __ATOMIC_RELAXED);
	lk_fd_lock(e);
	if (e->open && lk_fd_held(e))
		e->close_ns = t_ns; /* an implicit close of the generation the trace holds */
	e->gen++;
	e->open = 1;
	e->type = (uint8_t)type;
	e->flags = (uint8_t)flags;
	e->stack_id = stack_id;
	e->t_ns = t_ns;
	e->family = (uint8_t)family;
	e->socktype = socktype;
	e->api = api;
	lk_copy_str(e->path, sizeof(e->path), path);
	lk_copy_str(e->peer, sizeof(e->peer), peer);
	lk_spin_unlock(&e->lock);
	lk_fd_mark_dirty(fd);
	int hw = __atomic_load_n(&lk_fd_hiwater, __ATOMIC_RELAXED);
	while (hw <= fd && !__atomic_compare_exchange_n(&lk_fd_hiwater, &hw, fd + 1, 1,
	                                                __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void lk_fd_on_open(int fd, unsigned type, unsigned flags, uint32_t stack_id, uint64_t t_ns,
                   const char *api, const char *path, const char *peer)
{
	lk_fd_open_entry(fd, type, flags, stack_id, t_ns, api, path, peer, 0, 0);
}

void lk_fd_on_open_sock(int fd, unsigned flags, uint32_t stack_id, uint64_t t_ns, const char *api,
                        const char *path, int family, int socktype)
{
	lk_fd_open_entry(fd, TRACE_FD_SOCKET, flags, stack_id, t_ns, api, path, NULL, family,
	                 socktype);
}

uint32_t lk_fd_gen(int fd)
{
	lk_fd_entry_t *e = lk_fd_entry(fd);
	if (!e)
		return 0;
	lk_fd_lock(e);
	uint32_t gen = e->open ? e->gen : 0;
	lk_spin_unlock(&e->lock);
	return gen;
}

void lk_fd_on_close(int fd, uint32_t gen, uint64_t t_ns)
{
	lk_fd_entry_t *e = lk_fd_entry(fd);
	if (!e)
		return;
	int changed = 0;
	lk_fd_lock(e);
	if (e->open && (gen == 0 || gen == e->gen)) {
		e->open = 0;
		if (lk_fd_held(e)) { /* else no record needs its time, nor the writer's visit */
			e->close_ns = t_ns;
			changed = 1;
		}
	}
	lk_spin_unlock(&e->lock);
	if (changed)
		lk_fd_mark_dirty(fd);
}

/* lk_fd_on_closing of a generation the trace holds (or that the writer is emitting as this
 * runs): the close gets its time, and the writer's visit. */
static __attribute__((noinline)) void lk_fd_closing_held(int fd, lk_fd_entry_t *e)
{
	/* The clock first, outside the lock; a writer that emitted the generation after the
	 * peek sends the round again, clock first (once: it stays emitted while it is open). */
	uint64_t now = 0;
	bool timed = false, held = false;
	for (;;) {
		if (lk_fd_peek_emitted(e) == __atomic_load_n(&e->gen, __ATOMIC_RELAXED)) {
			now = lk_fd_now_ns();
			timed = true;
		}
		lk_fd_lock(e);
		if (!e->open)
			break;
		held = lk_fd_held(e);
		if (held && !timed) {
			lk_spin_unlock(&e->lock);
			continue;
		}
		e->open = 0;
		if (held)
			e->close_ns = now;
		break;
	}
	lk_spin_unlock(&e->lock);
	if (held)
		lk_fd_mark_dirty(fd);
}

void lk_fd_on_closing(int fd)
{
	lk_fd_entry_t *e = lk_fd_entry(fd);
	/* Unlocked peek: the number is open in the kernel until the real close, so no other
	 * thread's open can be filling this entry now (short of the program's own race). */
	if (!e || !__atomic_load_n(&e->open, __ATOMIC_RELAXED))
		return;
	/* The usual case, a descriptor opened since the last snapshot: no record will tell it,
	 * so its close needs neither a time nor the writer (lk_fd_held; the peek is checked
	 * under the lock). */
	if (lk_fd_peek_emitted(e) != __atomic_load_n(&e->gen, __ATOMIC_RELAXED)) {
		lk_fd_lock(e);
		bool done = !e->open || !lk_fd_held(e);
		if (done)
			e->open = 0;
		lk_spin_unlock(&e->lock);
		if (done)
			return;
	}
	lk_fd_closing_held(fd, e);
}

void lk_fd_on_close_range(unsigned first, unsigned last, int cloexec_only, uint64_t t_ns)
{
	if (lk_fd_init() != 0 || first >= LK_FD_MAX)
		return;
	unsigned hw = (unsigned)__atomic_load_n(&lk_fd_hiwater, __ATOMIC_RELAXED);
	if (last >= hw)
		last = hw - 1; /* hw 0: unsigned wrap, the loop below does not run */
	for (unsigned fd = first; fd <= last && fd < hw; fd++) {
		lk_fd_entry_t *e = &lk_fd_tab[fd];
		/* Unlocked peek: a racing open is the program's own race with close_range. */
		if (!__atomic_load_n(&e->open, __ATOMIC_RELAXED))
			continue;
		if (cloexec_only)
			lk_fd_set_cloexec((int)fd, 1);
		else
			lk_fd_on_close((int)fd, 0, t_ns);
	}
}

void lk_fd_on_dup(int oldfd, int newfd, int cloexec, uint32_t stack_id, uint64_t t_ns,
                  const char *api)
{
	unsigned type = TRACE_FD_OTHER, flags = 0;
	int family = 0, socktype = 0;
	char path[LK_FD_PATH_LEN] = "", peer[LK_FD_PEER_LEN] = "";
	lk_fd_entry_t *o = lk_fd_entry(oldfd);
	if (o) {
		lk_fd_lock(o);
		if (o->open) {
			type = o->type;
			flags = o->flags & TRACE_FD_TEMPFILE;
			family = o->family;
			socktype = o->socktype;
			memcpy(path, o->path, sizeof(path));
			memcpy(peer, o->peer, sizeof(peer));
		}
		lk_spin_unlock(&o->lock);
	}
	if (cloexec)
		flags |= TRACE_FD_CLOEXEC;
	lk_fd_on_open(newfd, type, flags, stack_id, t_ns, api, path, peer);
	if (family)
		lk_fd_set_sock(newfd, family, socktype);
}

void lk_fd_set_cloexec(int fd, int on)
{
	lk_fd_entry_t *e = lk_fd_entry(fd);
	if (!e)
		return;
	int changed = 0;
	lk_fd_lock(e);
	if (e->open) {
		uint8_t f = on ? (e->flags | TRACE_FD_CLOEXEC) : (e->flags & ~TRACE_FD_CLOEXEC);
		changed = f != e->flags;
		e->flags = f;
	}
	lk_spin_unlock(&e->lock);
	if (changed)
		lk_fd_mark_dirty(fd);
}

void lk_fd_set_sock(int fd, int family, int socktype)
{
	lk_fd_entry_t *e = lk_fd_entry(fd);
	if (!e)
		return;
	lk_fd_lock(e);
	if (e->open) {
		e->family = (uint8_t)family;
		e->socktype = socktype;
	}
	lk_spin_unlock(&e->lock);
}

int lk_fd_get_sock(int fd, int *family, int *socktype)
{
	lk_fd_entry_t *e = lk_fd_entry(fd);
	if (!e)
		return -1;
	int rc = -1;
	lk_fd_lock(e);
	if (e->open && e->type == TRACE_FD_SOCKET) {
		*family = e->family;
		*socktype = e->socktype;
		rc = 0;
	}
	lk_spin_unlock(&e->lock);
	return rc;
}

void lk_fd_set_addr(int fd, const char *local, const char *peer)
{
	lk_fd_entry_t *e = lk_fd_entry(fd);
	if (!e)
		return;
	int changed = 0;
	lk_fd_lock(e);
	if (e->open) {
		if (local)
			lk_copy_str(e->path, sizeof(e->path), local);
		if (peer)
			lk_copy_str(e->peer, sizeof(e->peer), peer);
		changed = 1;
	}
	lk_spin_unlock(&e->lock);
	if (changed)
		lk_fd_mark_dirty(fd);
}

int lk_fd_get_path(int fd, char *buf, size_t n)
{
	lk_fd_entry_t *e = lk_fd_entry(fd);
	if (!e || n == 0)
		return -1;
	int len = -1;
	lk_fd_lock(e);
	if (e->open && e->path[0]) {
		lk_copy_str(buf, n, e->path);
		len = (int)strlen(buf);
	}
	lk_spin_unlock(&e->lock);
	return len;
}

void lk_fd_mark_internal(int fd)
{
	if (fd < 0)
		return;
	lk_fd_internal_add(fd);
	/* If it was recorded (scanned as inherited before being marked), drop it silently:
	 * it was never the program's. */
	if (fd < LK_FD_MAX && __atomic_load_n(&lk_fd_init_state, __ATOMIC_ACQUIRE) == 2 &&
	    lk_fd_was_used(fd)) { /* else never recorded, and its entry is left untouched */
		lk_fd_entry_t *e = &lk_fd_tab[fd];
		lk_fd_lock(e);
		e->open = 0;
		lk_spin_unlock(&e->lock);
		lk_fd_mark_dirty(fd);
	}
}

uint64_t lk_fd_overflow_count(void)
{
	return __atomic_load_n(&lk_fd_overflow, __ATOMIC_RELAXED);
}

/* --- temp files --------------------------------------------------------------------- */

void lk_fd_temp_on_create(const char *abs_path, uint32_t stack_id, uint64_t t_ns, const char *api)
{
	lk_spin_lock(&lk_temp_lock);
	for (int i = 0; i < LK_TEMP_MAX; i++) {
		lk_temp_entry_t *t = &lk_temp_tab[i];
		/* A slot is free when unused, or finished and already told to the trace (or
		 * created and removed between two snapshots: never told at all). */
		if (t->used &&
		    !(t->state == TRACE_TEMP_REMOVED && (t->emitted_state == TRACE_TEMP_REMOVED ||
		                                         t->emitted_state == LK_TEMP_NOT_EMITTED)))
			continue;
		t->used = 1;
		t->state = TRACE_TEMP_CREATED;
		t->emitted_state = LK_TEMP_NOT_EMITTED;
		t->stack_id = stack_id;
		t->t_ns = t_ns;
		lk_copy_str(t->api, sizeof(t->api), api);
		lk_copy_str(t->path, sizeof(t->path), abs_path);
		if (i >= lk_temp_hw)
			__atomic_store_n(&lk_temp_hw, i + 1, __ATOMIC_RELEASE);
		break;
	}
	lk_spin_unlock(&lk_temp_lock);
}

void lk_fd_temp_on_remove(const char *abs_path)
{
	lk_spin_lock(&lk_temp_lock);
	for (int i = 0; i < lk_temp_hw; i++) {
		lk_temp_entry_t *t = &lk_temp_tab[i];
		if (t->used && t->state == TRACE_TEMP_CREATED &&
		    strncmp(t->path, abs_path, sizeof(t->path) - 1) == 0)
			t->state = TRACE_TEMP_REMOVED;
	}
	lk_spin_unlock(&lk_temp_lock);
}

/* --- exec --------------------------------------------------------------------------- */

void lk_fd_exec_pending(const char *path, uint64_t t_ns)
{
	lk_spin_lock(&lk_exec_lock);
	lk_copy_str(lk_exec_path, sizeof(lk_exec_path), path);
	lk_exec_t_ns = t_ns;
	lk_exec_is_pending = 1;
	lk_spin_unlock(&lk_exec_lock);
}

void lk_fd_exec_cancel(void)
{
	lk_spin_lock(&lk_exec_lock);
	lk_exec_is_pending = 0;
	lk_spin_unlock(&lk_exec_lock);
}

/* --- fork and emission -------------------------------------------------------------- */

LK_FORK_TEXT void lk_fd_on_fork_child(void)
{
	/* Single-threaded here (child after fork): the locks may have been held by threads
	 * that no longer exist, so reset them rather than take them. */
	if (lk_temp_lock)
		lk_temp_lock = 0;
	/* Only up to the high-water mark: the rest was never written, and clearing it would
	 * copy 288 KiB of pages in every forked child. Each word is stored only if it is not
	 * zero already: an unchanged page stays shared with the parent (no copy-on-write). */
	if (lk_temp_hw) {
		memset(lk_temp_tab, 0, (size_t)lk_temp_hw * sizeof(lk_temp_tab[0]));
		lk_temp_hw = 0;
	}
	if (lk_exec_lock)
		lk_exec_lock = 0;
	if (lk_exec_is_pending)
		lk_exec_is_pending = 0;
	lk_fd_cwd_fork_child();
	lk_fd_emit_reset();
}

LK_FORK_TEXT int lk_fd_child_has_findings(int at_exec)
{
	if (__atomic_load_n(&lk_temp_hw, __ATOMIC_RELAXED))
		return 1;
	if (__atomic_load_n(&lk_fd_init_state, __ATOMIC_ACQUIRE) != 2)
		return 0; /* no hook saw a descriptor: every one open is inherited from start */
	/* Nothing opened since the fork: all open are the parent's, which count only across an
	 * exec. The table is left unread (a first touch of each page costs in every child). */
	if (!at_exec && __atomic_load_n(&lk_fd_open_epoch, __ATOMIC_RELAXED) != lk_fd_epoch)
		return 0;
	for (int w = 0; w < lk_fd_used_words; w++) {
		for (uint64_t bits = lk_fd_used[w]; bits; bits &= bits - 1) {
			int i = w * 64 + __builtin_ctzll(bits);
			const lk_fd_entry_t *e = &lk_fd_tab[i];
			/* What the collector reports (analyze_fd.c): not 0-2, not open at start,
			 * and the parent's only when it crosses the exec. */
			if (!e->open || i <= 2 || (e->flags & TRACE_FD_INHERITED) ||
			    lk_fd_is_internal(i))
				continue;
			bool forked = (e->flags & TRACE_FD_FORKED) || e->epoch != lk_fd_epoch;
			if (forked && (!at_exec || (e->flags & TRACE_FD_CLOEXEC)))
				continue;
			return 1;
		}
	}
	return 0;
}

int lk_fd_parent_crosses_exec(void)
{
	if (__atomic_load_n(&lk_fd_init_state, __ATOMIC_ACQUIRE) != 2)
		return 0;
	int words = __atomic_load_n(&lk_fd_used_words, __ATOMIC_RELAXED);
	for (int w = 0; w < words; w++) {
		for (uint64_t bits = lk_fd_used[w]; bits; bits &= bits - 1) {
			int i = w * 64 + __builtin_ctzll(bits);
			const lk_fd_entry_t *e = &lk_fd_tab[i];
			if (e->open && i > 2 &&
			    !(e->flags & (TRACE_FD_INHERITED | TRACE_FD_CLOEXEC)) &&
			    !lk_fd_is_internal(i))
				return 1;
		}
	}
	return 0;
}

/* Only called in a forked child (single-threaded, emit.h). Every descriptor open now was
 * open in the parent at fork, so it is flagged TRACE_FD_FORKED (keeping the parent's stack):
 * the child's report leaves it out unless it crosses an exec. The new epoch says so of every
 * entry at once (lk_fd_lock applies it, and takes over a lock a thread of the parent's held),
 * and the child's first emit visits them all: no entry is read or written here, so their
 * pages stay shared and untouched. This is done here rather than in lk_fd_on_fork_child
 * because the atfork child handler calls this before the child's writer thread starts, so
 * the child's trace never holds such a descriptor without the flag. Run twice it only moves
 * the epoch on again, as nothing opened since. */
LK_FORK_TEXT void lk_fd_emit_reset(void)
{
	if (lk_temp_lock)
		lk_temp_lock = 0;
	for (int i = 0; i < lk_temp_hw; i++)
		if (lk_temp_tab[i].used)
			lk_temp_tab[i].emitted_state = LK_TEMP_NOT_EMITTED;
	if (__atomic_load_n(&lk_fd_init_state, __ATOMIC_ACQUIRE) != 2)
		return;
	lk_fd_epoch++;
	lk_fd_emit_forked = 1;
}

static uint64_t lk_rel_ns(uint64_t t)
{
	return lk_clock_since(t);
}

static void lk_emit_fd_entry(trace_buf_t *b, int fd, lk_fd_entry_t *e)
{
	lk_fd_entry_t c;
	lk_fd_lock(e);
	memcpy(&c, e, sizeof(c));
	uint32_t was = e->emitted_gen;
	e->emitted_gen = e->open ? e->gen : 0;
	lk_spin_unlock(&e->lock);

	if (was && (!c.open || c.gen != was)) {
		trace_enc_fd_close(b, &(struct trace_rec_fd_close){.fd = (uint64_t)fd,
		                                                   .gen = was,
		                                                   .t_ns = lk_rel_ns(c.close_ns)});
	}
	if (c.open) {
		trace_enc_fd_open(b, &(struct trace_rec_fd_open){
		                         .fd = (uint64_t)fd,
		                         .gen = c.gen,
		                         .type = c.type,
		                         .flags = c.flags,
		                         .stack_id = c.stack_id,
		                         .t_ns = lk_rel_ns(c.t_ns),
		                         .path = trace_cstr(c.path, sizeof(c.path)),
		                         .peer = trace_cstr(c.peer, sizeof(c.peer)),
		                         .api = trace_cstr(c.api, LK_FD_API_LEN - 1),
		                     });
	}
}

static int lk_path_exists(const char *path)
{
	struct stat st;
	return syscall(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void lk_emit_temps(trace_buf_t *b, int final)
{
	int hw = __atomic_load_n(&lk_temp_hw, __ATOMIC_ACQUIRE);
	for (int i = 0; i < hw; i++) {
		lk_temp_entry_t c;
		lk_temp_entry_t *t = &lk_temp_tab[i];
		if (!__atomic_load_n(&t->used, __ATOMIC_RELAXED))
			continue; /* rechecked under the lock */
		lk_spin_lock(&lk_temp_lock);
		memcpy(&c, t, sizeof(c));
		lk_spin_unlock(&lk_temp_lock);
		if (!c.used)
			continue;
		uint8_t state = c.state;
		/* At exit, a file still created is either still there or removed by a way we
		 * did not see (rename, another process): ask the file system, without our hooks. */
		if (final && state == TRACE_TEMP_CREATED)
			state =
			    lk_path_exists(c.path) ? TRACE_TEMP_EXISTS_AT_EXIT : TRACE_TEMP_REMOVED;
		/* After a final emit (exec that failed) the trace already says "on disk". */
		if (state == c.emitted_state ||
		    (state == TRACE_TEMP_CREATED && c.emitted_state == TRACE_TEMP_EXISTS_AT_EXIT))
			continue;
		/* Created and removed between two snapshots: nothing worth telling. */
		if (state == TRACE_TEMP_REMOVED && c.emitted_state == LK_TEMP_NOT_EMITTED) {
			lk_spin_lock(&lk_temp_lock);
			if (t->state == TRACE_TEMP_REMOVED)
				t->used = 0;
			lk_spin_unlock(&lk_temp_lock);
			continue;
		}
		trace_enc_tempfile(b, &(struct trace_rec_tempfile){
		                          .stack_id = c.stack_id,
		                          .t_ns = lk_rel_ns(c.t_ns),
		                          .path = trace_cstr(c.path, sizeof(c.path)),
		                          .state = state,
		                          .api = trace_cstr(c.api, sizeof(c.api)),
		                      });
		lk_spin_lock(&lk_temp_lock);
		t->emitted_state = state;
		lk_spin_unlock(&lk_temp_lock);
	}
}

void lk_fd_emit(trace_buf_t *b, int final)
{
	/* A process no descriptor hook has seen yet probes now: its trace lists what it holds. */
	if (lk_fd_ready() == 0) {
		/* Only the words of entries ever used (an entry is used before it is dirty): the
		 * rest of the bitmap is never read, not even in a process that opens nothing. An
		 * entry whose first use races with this emit is the next emit's. */
		int words = __atomic_load_n(&lk_fd_used_words, __ATOMIC_ACQUIRE);
		/* A forked child's first: what was open at fork, too (lk_fd_emit_reset). */
		bool forked = __atomic_load_n(&lk_fd_emit_forked, __ATOMIC_RELAXED) &&
		              __atomic_exchange_n(&lk_fd_emit_forked, 0, __ATOMIC_ACQ_REL);
		for (int w = 0; w < words; w++) {
			uint64_t used =
			    forked ? __atomic_load_n(&lk_fd_used[w], __ATOMIC_RELAXED) : 0;
			uint64_t bits = 0;
			if (__atomic_load_n(&lk_fd_dirty[w], __ATOMIC_RELAXED))
				bits = __atomic_exchange_n(&lk_fd_dirty[w], 0, __ATOMIC_ACQ_REL);
			/* Of the rest, the open ones: one closed since the fork has nothing to
			 * tell, and one opened later sets its own dirty bit. */
			for (uint64_t u = used & ~bits; u; u &= u - 1) {
				int bit = __builtin_ctzll(u);
				if (__atomic_load_n(&lk_fd_tab[w * 64 + bit].open,
				                    __ATOMIC_RELAXED))
					bits |= 1ull << bit;
			}
			while (bits) {
				int bit = __builtin_ctzll(bits);
				bits &= bits - 1;
				lk_emit_fd_entry(b, w * 64 + bit, &lk_fd_tab[w * 64 + bit]);
			}
		}
	}
	lk_emit_temps(b, final);
	lk_fd_cwd_refresh();

	lk_spin_lock(&lk_exec_lock);
	int pending = lk_exec_is_pending;
	uint64_t t = lk_exec_t_ns;
	char path[LK_TEMP_PATH_LEN];
	memcpy(path, lk_exec_path, sizeof(path));
	lk_exec_is_pending = 0;
	lk_spin_unlock(&lk_exec_lock);
	if (pending) {
		trace_enc_exec(b, &(struct trace_rec_exec){.t_ns = lk_rel_ns(t),
		                                           .path = trace_cstr(path, sizeof(path))});
	}
}
