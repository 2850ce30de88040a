/* SPDX-License-Identifier: MIT */
/* proc_table.c - children and threads, as two fixed tables of slots (no malloc: filled from
 * fork/pthread_create hooks). A slot remembers the state the trace last heard
 * (emitted_state), so each snapshot carries only changes; a slot whose life ended (reaped,
 * joined, detached and finished) is reused once the trace has its final state, or at once if
 * the trace never heard of it (short-lived threads cost nothing in the trace). A child reaped
 * unseen whose wait status is known keeps its slot for the next snapshot while others are
 * free: that record is all that tells how a child that wrote no trace of its own ended.
 * Zombies are found by the writer: waitid(P_PID, pid, WEXITED|WNOHANG|WNOWAIT) reports an
 * exited child without reaping it, and ECHILD means someone reaped it where we could not see
 * (SIGCHLD ignored, a raw syscall). Both tables share one spinlock each, held for a few field
 * writes or one slot copy, never across a system call. */
#include "fork_hot.h"
#include "proc_table.h"
#include "ring.h"
#include "spin.h"
#include "sys.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emit.h"
#include "fd_table.h"
#include "trace_clock.h"
#include "trace_codec.h"
#include "trace_format.h"
#include "varint.h"

#define LK_NOT_EMITTED 0xff

typedef struct {
	uint8_t used;
	uint8_t state; /* TRACE_CHILD_* */
	uint8_t emitted_state;
	uint8_t autoreap;
	pid_t pid;
	int wstatus; /* as the program's wait (or our zombie probe) saw it; -1 unknown */
	uint32_t stack_id;
	uint64_t t_ns;
	const void *key;
	char api[LK_PROC_API_LEN];
	char cmd[LK_PROC_CMD_LEN];
} lk_child_t;

typedef struct {
	uint8_t used;
	uint8_t created; /* pthread_create returned */
	uint8_t started; /* tid known */
	uint8_t detached;
	uint8_t finished;
	uint8_t joined;
	uint8_t emitted_state;
	pid_t tid;
	pthread_t th;
	uint32_t stack_id;
	uint64_t t_ns;
} lk_thread_t;

/* The children's slots. Every fork writes one in the parent right after the fork, and in
 * bss that page had just been made copy-on-write by it: a fault (a page copy while the child
 * lives) each fork. So the first spawn moves the table into a mapping of its own that forked
 * children get zeroed (MADV_WIPEONFORK: fork neither copies it nor write-protects the
 * parent's pages); a child's table starts empty anyway (lk_proc_emit_reset). Until then, or
 * if that cannot be had, the slots are the bss array. The pointer changes once, under the
 * lock, while no slot is in use. */
static lk_child_t lk_children_bss[LK_CHILD_MAX];
static lk_child_t *lk_children = lk_children_bss;
static int lk_children_hw LK_FORK_WARM; /* a forked child zeroes it */
static volatile int lk_children_lock LK_FORK_HOT;
static volatile int lk_autoreap_now;

static lk_thread_t lk_threads[LK_THREAD_MAX];
static int lk_threads_hw LK_FORK_WARM;
static volatile int lk_threads_lock LK_FORK_HOT;

static void lk_str(char *dst, size_t n, const char *src)
{
	size_t len = src ? strnlen(src, n - 1) : 0;
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

static uint64_t lk_rel(uint64_t t)
{
	return lk_clock_since(t);
}

void lk_proc_init(void)
{
	static volatile int done LK_FORK_HOT;
	if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
		return;
	lk_fd_init();
}

/* --- children ----------------------------------------------------------------------- */

static int lk_child_terminal(uint8_t s)
{
	return s == TRACE_CHILD_REAPED || s == TRACE_CHILD_AUTOREAPED;
}

/* Lock held, no slot in use (lk_children). */
static void lk_children_map(void)
{
	static int tried LK_FORK_WARM;
	if (tried)
		return;
	tried = 1;
	size_t bytes = sizeof(lk_child_t) * LK_CHILD_MAX;
	/* NULL on an older kernel (no MADV_WIPEONFORK): the bss array is as good */
	lk_child_t *m = lk_sys_mmap_wipe(bytes);
	if (m)
		lk_children = m;
}

void lk_proc_child_on_spawn(pid_t pid, uint32_t stack_id, uint64_t t_ns, const char *api,
                            const char *cmd, int autoreap, const void *key)
{
	lk_ring_tick_now();
	if (pid <= 0)
		return;
	lk_spin_lock(&lk_children_lock);
	if (lk_children == lk_children_bss && lk_children_hw == 0)
		lk_children_map();
	/* A slot free, or whose end the trace has, or will never have (reaped unseen, its status
	 * unknown); failing that, one reaped unseen whose status the next snapshot would carry
	 * (the parent's trace is where a child that wrote none of its own shows how it ended). */
	int at = -1;
	for (int i = 0; i <= lk_children_hw && i < LK_CHILD_MAX && at < 0; i++) {
		const lk_child_t *c = &lk_children[i];
		if (i == lk_children_hw || !c->used ||
		    (lk_child_terminal(c->state) &&
		     (c->emitted_state == c->state ||
		      (c->emitted_state == LK_NOT_EMITTED && c->wstatus < 0))))
			at = i;
	}
	for (int i = 0; i < lk_children_hw && at < 0; i++)
		if (lk_child_terminal(lk_children[i].state) &&
		    lk_children[i].emitted_state == LK_NOT_EMITTED)
			at = i;
	if (at >= 0) {
		lk_child_t *c = &lk_children[at];
		c->used = 1;
		c->state = TRACE_CHILD_RUNNING;
		c->emitted_state = LK_NOT_EMITTED;
		c->autoreap = (uint8_t)(autoreap != 0);
		c->pid = pid;
		c->wstatus = -1;
		c->stack_id = stack_id;
		c->t_ns = t_ns;
		c->key = key;
		lk_str(c->api, sizeof(c->api), api);
		lk_str(c->cmd, sizeof(c->cmd), cmd);
		if (at >= lk_children_hw)
			lk_children_hw = at + 1;
	}
	lk_spin_unlock(&lk_children_lock);
}

void lk_proc_child_on_reap(pid_t pid, int wstatus)
{
	lk_ring_tick_now();
	if (pid <= 0)
		return;
	lk_spin_lock(&lk_children_lock);
	lk_child_t *late = NULL;
	bool live = false;
	for (int i = 0; i < lk_children_hw; i++) {
		lk_child_t *c = &lk_children[i];
		if (!c->used || c->pid != pid)
			continue;
		if (!lk_child_terminal(c->state)) {
			live = true;
			c->state = TRACE_CHILD_REAPED;
			c->key = NULL;
			if (wstatus >= 0)
				c->wstatus = wstatus;
		} else if (c->state == TRACE_CHILD_REAPED && c->wstatus < 0) {
			late = c;
		}
	}
	/* The writer's zombie probe ran between the program's wait and this hook: it saw
	 * ECHILD and took the child as reaped unseen, status unknown (and may have emitted
	 * that). The status goes out with the next snapshot, as a record of the same child. */
	if (!live && late && wstatus >= 0) {
		late->wstatus = wstatus;
		late->emitted_state = LK_NOT_EMITTED;
	}
	lk_spin_unlock(&lk_children_lock);
}

pid_t lk_proc_child_by_key(const void *key)
{
	pid_t pid = 0;
	if (!key)
		return 0;
	lk_spin_lock(&lk_children_lock);
	for (int i = 0; i < lk_children_hw && !pid; i++) {
		lk_child_t *c = &lk_children[i];
		if (c->used && c->key == key && !lk_child_terminal(c->state))
			pid = c->pid;
	}
	lk_spin_unlock(&lk_children_lock);
	return pid;
}

void lk_proc_set_autoreap(int on)
{
	lk_autoreap_now = on != 0;
}

int lk_proc_autoreap(void)
{
	return lk_autoreap_now;
}

/* The wait status a waitid siginfo stands for, -1 if it is not an exit. */
static int lk_wstatus_of(const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		return (si->si_status & 0xff) << 8;
	if (si->si_code == CLD_KILLED)
		return si->si_status & 0x7f;
	if (si->si_code == CLD_DUMPED)
		return (si->si_status & 0x7f) | 0x80;
	return -1;
}

int lk_proc_wstatus_of(const siginfo_t *si)
{
	return lk_wstatus_of(si);
}

/* Zombie check of one child that the table has as running or zombie. Raw waitid: our own
 * waitid hook must not see it, and WNOWAIT leaves the child for the program to reap. A
 * zombie's exit status is kept in *wstatus. */
static uint8_t lk_child_probe(pid_t pid, uint8_t state, int autoreap, int *wstatus)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	int saved = errno;
	long rc = syscall(SYS_waitid, P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT, NULL);
	int err = errno;
	errno = saved;
	if (rc == 0 && si.si_pid == pid)
		*wstatus = lk_wstatus_of(&si);
	if (rc == 0)
		return si.si_pid == pid ? TRACE_CHILD_ZOMBIE : TRACE_CHILD_RUNNING;
	if (err == ECHILD)
		return (autoreap || lk_autoreap_now) ? TRACE_CHILD_AUTOREAPED : TRACE_CHILD_REAPED;
	return state;
}

static void lk_emit_children(trace_buf_t *b)
{
	int hw = __atomic_load_n(&lk_children_hw, __ATOMIC_RELAXED);
	for (int i = 0; i < hw; i++) {
		lk_child_t c, *s;
		lk_spin_lock(&lk_children_lock);
		s = &lk_children[i];
		memcpy(&c, s, sizeof(c));
		lk_spin_unlock(&lk_children_lock);
		if (!c.used)
			continue;
		uint8_t state = c.state;
		int wstatus = -1;
		if (!lk_child_terminal(state))
			state = lk_child_probe(c.pid, state, c.autoreap, &wstatus);
		lk_spin_lock(&lk_children_lock);
		/* The program may have reaped it while we probed: its hook wins. */
		if (s->used && s->pid == c.pid && !lk_child_terminal(s->state)) {
			s->state = state;
			if (wstatus >= 0)
				s->wstatus = wstatus;
		}
		state = s->state;
		wstatus = s->wstatus;
		/* A child reaped before it was ever emitted is left out, unless its exit status is
		 * known: a reader recovers the end of a child whose trace has none from it. */
		int same =
		    !s->used || s->pid != c.pid || state == s->emitted_state ||
		    (lk_child_terminal(state) && s->emitted_state == LK_NOT_EMITTED && wstatus < 0);
		if (!same)
			s->emitted_state = state;
		lk_spin_unlock(&lk_children_lock);
		if (same)
			continue;
		trace_enc_child(b, &(struct trace_rec_child){
		                       .pid = (uint64_t)c.pid,
		                       .stack_id = c.stack_id,
		                       .t_ns = lk_rel(c.t_ns),
		                       .state = state,
		                       .api = trace_cstr(c.api, sizeof(c.api)),
		                       .cmd = trace_cstr(c.cmd, sizeof(c.cmd)),
		                       .has_wstatus = wstatus >= 0,
		                       .wstatus = wstatus >= 0 ? (uint64_t)wstatus : 0,
		                   });
	}
}

/* --- threads ------------------------------------------------------------------------ */

static uint8_t lk_thread_state(const lk_thread_t *t)
{
	if (t->joined)
		return TRACE_THREAD_JOINED;
	if (t->detached)
		return t->finished ? TRACE_THREAD_DETACHED_FINISHED : TRACE_THREAD_DETACHED;
	return t->finished ? TRACE_THREAD_FINISHED : TRACE_THREAD_RUNNING;
}

static int lk_thread_terminal(const lk_thread_t *t)
{
	return t->joined || (t->detached && t->finished);
}

int lk_proc_thread_reserve(uint32_t stack_id, uint64_t t_ns, int detached)
{
	int slot = -1;
	lk_spin_lock(&lk_threads_lock);
	for (int i = 0; i < LK_THREAD_MAX; i++) {
		lk_thread_t *t = &lk_threads[i];
		if (t->used && !(t->created && lk_thread_terminal(t) &&
		                 (t->emitted_state == lk_thread_state(t) ||
		                  t->emitted_state == LK_NOT_EMITTED)))
			continue;
		memset(t, 0, sizeof(*t));
		t->used = 1;
		t->detached = (uint8_t)(detached != 0);
		t->emitted_state = LK_NOT_EMITTED;
		t->stack_id = stack_id;
		t->t_ns = t_ns;
		if (i >= lk_threads_hw)
			lk_threads_hw = i + 1;
		slot = i;
		break;
	}
	lk_spin_unlock(&lk_threads_lock);
	return slot;
}

void lk_proc_thread_cancel(int slot)
{
	if (slot < 0 || slot >= LK_THREAD_MAX)
		return;
	lk_spin_lock(&lk_threads_lock);
	lk_threads[slot].used = 0;
	lk_spin_unlock(&lk_threads_lock);
}

void lk_proc_thread_on_created(int slot, pthread_t th)
{
	if (slot < 0 || slot >= LK_THREAD_MAX)
		return;
	lk_spin_lock(&lk_threads_lock);
	lk_threads[slot].th = th;
	lk_threads[slot].created = 1;
	lk_spin_unlock(&lk_threads_lock);
}

void lk_proc_thread_on_start(int slot, pid_t tid, pthread_t self)
{
	if (slot < 0 || slot >= LK_THREAD_MAX)
		return;
	lk_spin_lock(&lk_threads_lock);
	lk_threads[slot].tid = tid;
	lk_threads[slot].th = self;
	lk_threads[slot].started = 1;
	lk_spin_unlock(&lk_threads_lock);
}

void lk_proc_thread_on_finish(int slot)
{
	if (slot < 0 || slot >= LK_THREAD_MAX)
		return;
	lk_spin_lock(&lk_threads_lock);
	lk_threads[slot].finished = 1;
	lk_spin_unlock(&lk_threads_lock);
}

/* The live (not joined, not detached) slot for th, or NULL. Lock held. pthread_t values are
 * reused after a join, which is why joined and detached slots never match. */
static lk_thread_t *lk_thread_find_locked(pthread_t th)
{
	for (int i = 0; i < lk_threads_hw; i++) {
		lk_thread_t *t = &lk_threads[i];
		if (t->used && (t->created || t->started) && !t->joined && !t->detached &&
		    pthread_equal(t->th, th))
			return t;
	}
	return NULL;
}

void lk_proc_thread_on_join(pthread_t th)
{
	lk_spin_lock(&lk_threads_lock);
	lk_thread_t *t = lk_thread_find_locked(th);
	if (t) {
		t->joined = 1;
		t->finished = 1;
	}
	lk_spin_unlock(&lk_threads_lock);
}

void lk_proc_thread_on_detach(pthread_t th)
{
	lk_spin_lock(&lk_threads_lock);
	lk_thread_t *t = lk_thread_find_locked(th);
	if (t)
		t->detached = 1;
	lk_spin_unlock(&lk_threads_lock);
}

static void lk_emit_threads(trace_buf_t *b)
{
	int hw = __atomic_load_n(&lk_threads_hw, __ATOMIC_RELAXED);
	for (int i = 0; i < hw; i++) {
		lk_thread_t *s = &lk_threads[i];
		lk_spin_lock(&lk_threads_lock);
		lk_thread_t c = *s;
		uint8_t state = lk_thread_state(s);
		/* Not started yet: no tid to report. Over before the trace heard of it: none. */
		int skip = !s->used || !s->started || state == s->emitted_state ||
		           (lk_thread_terminal(s) && s->emitted_state == LK_NOT_EMITTED);
		if (!skip)
			s->emitted_state = state;
		lk_spin_unlock(&lk_threads_lock);
		if (skip)
			continue;
		trace_enc_thread(b, &(struct trace_rec_thread){
		                        .tid = (uint64_t)c.tid,
		                        .stack_id = c.stack_id,
		                        .t_ns = lk_rel(c.t_ns),
		                        .state = state,
		                    });
	}
}

/* --- fork and emission -------------------------------------------------------------- */

LK_FORK_TEXT void lk_proc_on_fork_child(void)
{
	/* Child of fork, single-threaded: locks held by vanished threads are reset, not
	 * taken. Its children and other threads are not ours. */
	lk_children_lock = 0;
	lk_threads_lock = 0;
	/* Slots past the high-water marks count as free whatever they hold (a child slot taken
	 * there is written whole), so the children's table is not cleared: up to 4096 slots of
	 * the parent's (those reaped unseen wait for its next snapshot) would be copied in
	 * every child. The threads' slots, up to the mark, are. */
	memset(lk_threads, 0, (size_t)lk_threads_hw * sizeof(lk_threads[0]));
	lk_children_hw = 0;
	lk_threads_hw = 0;
}

LK_FORK_TEXT int lk_proc_has_own(void)
{
	return __atomic_load_n(&lk_children_hw, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&lk_threads_hw, __ATOMIC_RELAXED);
}

/* leak_attach_begin (hooks inert): the children and threads an earlier window knew are
 * forgotten; those alive now are pre-existing (attach_pre.c). */
void lk_proc_attach_reset(void)
{
	lk_proc_on_fork_child();
}

/* Only called in a forked child (single-threaded, emit.h): locks are reset, not taken. */
LK_FORK_TEXT void lk_proc_emit_reset(void)
{
	lk_children_lock = 0;
	lk_threads_lock = 0;
	/* The parent's children are not the child's (the fork hook empties the table next;
	 * glibc's own forks, daemon() say, skip it): forgotten, not written slot by slot. */
	lk_children_hw = 0;
	for (int i = 0; i < lk_threads_hw; i++)
		lk_threads[i].emitted_state = LK_NOT_EMITTED;
}

void lk_proc_emit(trace_buf_t *b, int final)
{
	(void) final; /* running children and threads are reported as such at exit too */
	lk_emit_children(b);
	lk_emit_threads(b);
}
