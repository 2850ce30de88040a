/* SPDX-License-Identifier: MIT */
/* reach_stop.c - stop the world for the exit scan (reach_stop.h).
 *
 * Each other thread gets signal 33, which glibc keeps for setuid's broadcast: pthread_sigmask
 * never blocks it and sigfillset leaves it out, so a thread that blocks every signal it can
 * (a daemon's workers, its sigwait thread, glibc's SIGEV_THREAD timer thread) still takes it,
 * and no sigwait of the program's eats it. For the stop our handler takes 33's place (a raw
 * rt_sigaction: libc's refuses the signal), tells ours apart by their sigqueue code and value
 * (rt_tgsigqueueinfo, SI_QUEUE, the stop record), hands libc's own (SI_TKILL) to libc's
 * handler, and gives libc its handler back after the stop. A thread that blocks 33 but not
 * 32 (only a raw rt_sigprocmask can) gets a real-time signal that nothing else in the process
 * handles instead: the first of SIGRTMAX, SIGRTMAX-1, ... whose disposition is the default.
 * The handler finds the thread's slot, copies the interrupted context there (general
 * registers, the FPU/vector state through the fpstate pointer, the stack pointer and the
 * thread pointer), says so on a futex and waits on another until the scan is over. All
 * signals are blocked while it runs, so no handler of the program's runs on a stopped thread.
 * A thread that blocks both (SigBlk in /proc/self/task/TID/status) is not signalled: no signal
 * is left pending for it; one that does not answer within a second is given up. Both are
 * "missed": the scan is then partial (reach.c). A thread that blocks 32 and 33, the two
 * signals libc keeps for itself, is inside libc for a moment: a thread made but not started
 * yet (glibc starts it with everything blocked), or one in posix_spawn or fork. Such a thread
 * is waited for, up to LK_STOP_HELD_NS, and signalled once it unblocks: a program that starts
 * a thread just before it exits gets a complete scan. The bound is a second, as for an answer,
 * counted from the start of the stop for every listing together: a spawn's child has to be
 * scheduled and exec, which on a loaded machine takes hundreds of milliseconds (a thread that
 * blocks every signal with a raw rt_sigprocmask looks the same and costs that second). Threads
 * made meanwhile (a thread not stopped yet may create one) are found by listing
 * /proc/self/task again until the list holds still.
 *
 * No lock is taken: a stopped thread may hold any lock of libc's or libleak's. Raw system
 * calls only, and the real sigaction (it takes no lock). Memory is mmap'd. */
#include "reach_stop.h"
#include "reach_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "real.h"
#include "sys.h"
#include "writer_internal.h"

static pid_t lk_writer_tid_v, lk_writer_pid_v; /* a forked child inherits the parent's */
static uintptr_t lk_writer_stack_v;
/* The stop in progress, for the handler; NULL otherwise (a late signal then does nothing). */
static lk_stop_t *lk_stop_cur;
/* A signal sent but never answered: our handler stays installed (a late delivery must not
 * meet the default action, which ends the process). */
static int lk_stop_handler_kept;

void lk_reach_note_writer(void)
{
	volatile char here = 0;
	__atomic_store_n(&lk_writer_stack_v, (uintptr_t)&here, __ATOMIC_RELAXED);
	__atomic_store_n(&lk_writer_pid_v, lk_sys_getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&lk_writer_tid_v, lk_sys_gettid(), __ATOMIC_RELEASE);
}

pid_t lk_reach_writer_tid(void)
{
	pid_t tid = __atomic_load_n(&lk_writer_tid_v, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&lk_writer_pid_v, __ATOMIC_RELAXED) == lk_sys_getpid() ? tid : 0;
}

uintptr_t lk_reach_writer_stack(void)
{
	return lk_reach_writer_tid() ? __atomic_load_n(&lk_writer_stack_v, __ATOMIC_RELAXED) : 0;
}

static long lk_stop_futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

/* The context at the signal, into t. */
static void lk_stop_save(lk_stop_thread_t *t, const ucontext_t *uc)
{
	size_t len = 0;
#if defined(__x86_64__)
	memcpy(t->regs, uc->uc_mcontext.gregs, sizeof(uc->uc_mcontext.gregs));
	len = sizeof(uc->uc_mcontext.gregs);
	t->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
	if (fp) {
		/* The FXSAVE image (xmm0-15 at 160), and when the software bytes at 464 say
		 * an XSAVE area follows and its header says the AVX state is there, the upper
		 * ymm halves (at 576, 256 bytes). Not the AVX-512 state: glibc's string
		 * functions copy through zmm16-31 and leave stale pointers there. */
		memcpy(t->regs + len, fp, 512);
		len += 512;
		uint32_t magic1, xsize;
		uint64_t xstate_bv;
		memcpy(&magic1, fp + 464, 4);
		memcpy(&xsize, fp + 464 + 16, 4);
		if (magic1 == 0x46505853u && xsize >= 576 + 256) {
			memcpy(&xstate_bv, fp + 512, 8);
			if (xstate_bv & 4) {
				memcpy(t->regs + len, fp + 576, 256);
				len += 256;
			}
		}
	}
#elif defined(__aarch64__)
	size_t glen = sizeof(uc->uc_mcontext.regs);
	memcpy(t->regs, uc->uc_mcontext.regs, glen);
	len = glen;
	t->sp = (uintptr_t)uc->uc_mcontext.sp;
	size_t flen = sizeof(uc->uc_mcontext.__reserved);
	if (flen > sizeof(t->regs) - len)
		flen = sizeof(t->regs) - len;
	memcpy(t->regs + len, uc->uc_mcontext.__reserved, flen);
	len += flen;
#else
	(void)uc;
	t->sp = (uintptr_t)__builtin_frame_address(0);
#endif
	t->regs_len = (uint32_t)len;
	t->tp = lk_thread_pointer();
}

/* Saves the thread's context into its slot of st and waits for the scan's end. */
static void lk_stop_park(lk_stop_t *st, void *ucv)
{
	pid_t tid = lk_sys_gettid();
	size_t n = __atomic_load_n(&st->n, __ATOMIC_ACQUIRE);
	lk_stop_thread_t *t = NULL;
	for (size_t i = 0; i < n && !t; i++)
		if (st->t[i].tid == tid &&
		    __atomic_load_n(&st->t[i].state, __ATOMIC_ACQUIRE) == LK_STOP_SENT)
			t = &st->t[i];
	if (!t)
		return;
	lk_stop_save(t, ucv);
	__atomic_store_n(&t->state, LK_STOP_SAVED, __ATOMIC_RELEASE);
	__atomic_add_fetch(&st->acked, 1, __ATOMIC_ACQ_REL);
	lk_stop_futex(&st->acked, FUTEX_WAKE, 1, NULL);
	while (!__atomic_load_n(&st->release, __ATOMIC_ACQUIRE))
		lk_stop_futex(&st->release, FUTEX_WAIT, 0, NULL);
	__atomic_add_fetch(&st->left, 1, __ATOMIC_ACQ_REL);
	lk_stop_futex(&st->left, FUTEX_WAKE, 1, NULL);
}

static void lk_stop_handler(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	int saved = errno;
	lk_stop_t *st = __atomic_load_n(&lk_stop_cur, __ATOMIC_ACQUIRE);
	if (st && si->si_code == SI_TKILL && si->si_pid == lk_sys_getpid() &&
	    !__atomic_load_n(&st->release, __ATOMIC_ACQUIRE))
		lk_stop_park(st, ucv);
	errno = saved;
}

/* Signal 33 (libc's SIGSETXID) for threads that block the stop signal. The kernel's own
 * struct sigaction: libc's sigaction refuses the signal, so it is read and set raw. */
#define LK_STOP_XID 33
struct lk_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};
static struct lk_ksigaction lk_stop_xid_old; /* libc's, while ours is there */
static int lk_stop_xid_set;

static long lk_stop_ksigaction(int sig, const struct lk_ksigaction *sa, struct lk_ksigaction *old)
{
	return syscall(SYS_rt_sigaction, sig, sa, old, sizeof(uint64_t));
}

static void lk_stop_handler_xid(int sig, siginfo_t *si, void *ucv)
{
	int saved = errno;
	lk_stop_t *st = __atomic_load_n(&lk_stop_cur, __ATOMIC_ACQUIRE);
	if (st && si->si_code == SI_QUEUE && si->si_pid == lk_sys_getpid() &&
	    si->si_value.sival_ptr == (void *)st) {
		if (!__atomic_load_n(&st->release, __ATOMIC_ACQUIRE))
			lk_stop_park(st, ucv);
		errno = saved;
		return;
	}
	errno = saved;
	/* libc's own (setuid's broadcast): its handler, as if ours were not there. */
	void *h = lk_stop_xid_old.handler;
	if (lk_stop_xid_old.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))h)(sig, si, ucv);
	else if (h != (void *)SIG_DFL && h != (void *)SIG_IGN)
		((void (*)(int))h)(sig);
}

/* Puts our handler on signal 33 for this stop, with the flags and restorer libc gave its own
 * handler there (or, without one, the stop signal st->sig, set through libc's sigaction).
 * 0 on success. */
static int lk_stop_xid_install(const lk_stop_t *st)
{
	if (lk_stop_xid_set)
		return 0;
	struct lk_ksigaction sa;
	if (lk_stop_ksigaction(LK_STOP_XID, NULL, &lk_stop_xid_old) != 0)
		return -1;
	sa = lk_stop_xid_old;
	if (sa.handler == (void *)SIG_DFL || sa.handler == (void *)SIG_IGN) {
		if (!st->sig || lk_stop_ksigaction(st->sig, NULL, &sa) != 0)
			return -1;
	}
	sa.handler = (void *)lk_stop_handler_xid;
	sa.flags =
	    (sa.flags & ~(unsigned long)(SA_RESETHAND | SA_NODEFER)) | SA_SIGINFO | SA_RESTART;
	sa.mask = ~(uint64_t)0;
	if (lk_stop_ksigaction(LK_STOP_XID, &sa, NULL) != 0)
		return -1;
	lk_stop_xid_set = 1;
	return 0;
}

static void lk_stop_xid_restore(void)
{
	if (lk_stop_xid_set && lk_stop_ksigaction(LK_STOP_XID, &lk_stop_xid_old, NULL) == 0)
		lk_stop_xid_set = 0;
}

/* Sends thread tid signal 33 tagged with st. 0 on success, -1 when the thread is gone, -2
 * when 33 cannot be had. */
static int lk_stop_send_xid(lk_stop_t *st, pid_t pid, pid_t tid)
{
	if (lk_stop_xid_install(st) != 0)
		return -2;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = LK_STOP_XID;
	si.si_code = SI_QUEUE;
	si.si_pid = pid;
	si.si_uid = (uid_t)syscall(SYS_getuid);
	si.si_value.sival_ptr = st;
	if (syscall(SYS_rt_tgsigqueueinfo, pid, tid, LK_STOP_XID, &si) == 0)
		return 0;
	return errno == ESRCH ? -1 : -2; /* refused (a seccomp filter): try the other */
}

/* The first of SIGRTMAX, SIGRTMAX-1, ... (down to 8 of them) that the program leaves at its
 * default, with our handler installed; 0 if none. *old: what to restore. */
static int lk_stop_sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
	/* The real one; libc's when libleak's hooks are not there (the unit tests). */
	return lk_real.sigaction ? lk_real.sigaction(sig, sa, old) : sigaction(sig, sa, old);
}

static int lk_stop_install(struct sigaction *old)
{
	for (int sig = SIGRTMAX; sig > SIGRTMAX - 8 && sig > SIGRTMIN; sig--) {
		if (lk_stop_sigaction(sig, NULL, old) != 0)
			continue;
		int ours = lk_stop_handler_kept && (old->sa_flags & SA_SIGINFO) &&
		           old->sa_sigaction == lk_stop_handler;
		if (!ours && ((old->sa_flags & SA_SIGINFO) || old->sa_handler != SIG_DFL))
			continue;
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = lk_stop_handler;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigfillset(&sa.sa_mask);
		if (lk_stop_sigaction(sig, &sa, ours ? NULL : old) != 0)
			continue;
		if (ours) { /* kept from a scan before: the default is what to restore */
			memset(old, 0, sizeof(*old));
			old->sa_handler = SIG_DFL;
		}
		return sig;
	}
	return 0;
}

/* How long a signalled thread is given to answer, and how long threads held inside libc with
 * every signal blocked are waited for (from the start of the stop, all listings together). */
#define LK_STOP_ANSWER_NS 1000000000u
#define LK_STOP_HELD_NS   1000000000u

/* From /proc/self/task/TID/status: the name, whether it is a zombie, and its blocked signals
 * (SigBlk: signal n is bit n-1). -1 when the thread is gone. */
static int lk_stop_status(pid_t tid, char *name, int *zombie, uint64_t *blocked)
{
	char path[64] = "/proc/self/task/", buf[4096];
	size_t n = strlen(path);
	n += lk_fmt_u64(path + n, (uint64_t)tid);
	memcpy(path + n, "/status", 8);
	if (lk_sys_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	*zombie = 0;
	*blocked = 0;
	for (const char *p = buf; *p;) {
		if (!strncmp(p, "Name:\t", 6)) {
			size_t k = 0;
			for (p += 6; *p && *p != '\n' && k < 15; p++)
				name[k++] = *p;
			name[k] = 0;
		} else if (!strncmp(p, "State:\t", 7)) {
			*zombie = p[7] == 'Z' || p[7] == 'X';
		} else if (!strncmp(p, "SigBlk:\t", 8)) {
			uint64_t mask = 0;
			for (const char *h = p + 8;
			     (*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f'); h++)
				mask = mask << 4 | (uint64_t)(*h <= '9' ? *h - '0' : *h - 'a' + 10);
			*blocked = mask;
		}
		while (*p && *p != '\n')
			p++;
		if (*p)
			p++;
	}
	return 0;
}

#define LK_SIGBIT(sig) ((uint64_t)1 << ((sig)-1))

/* Stops thread t (in st) if it can be signalled now, from its blocked signals: 33 tagged with
 * st first (it is never in a sigwait set sigfillset made, and pthread_sigmask never blocks
 * it), else the stop signal. A thread that blocks 32 and 33 is inside libc (HELD); one that
 * blocks both of ours is BLOCKED. Returns 1 if it was signalled. */
static int lk_stop_try(lk_stop_t *st, lk_stop_thread_t *t, pid_t pid, uint64_t blocked)
{
	uint64_t libc = LK_SIGBIT(32) | LK_SIGBIT(LK_STOP_XID);
	if ((blocked & libc) == libc) {
		t->state = LK_STOP_HELD;
		return 0;
	}
	int sent = -2;
	__atomic_store_n(&t->state, LK_STOP_SENT, __ATOMIC_RELEASE);
	if (!(blocked & LK_SIGBIT(LK_STOP_XID)))
		sent = lk_stop_send_xid(st, pid, t->tid);
	if (sent == -2 && st->sig && !(blocked & LK_SIGBIT(st->sig))) {
		sent = syscall(SYS_tgkill, pid, t->tid, st->sig) == 0 ? 0
		       : errno == ESRCH                               ? -1
		                                                      : -2;
		t->via_rt = sent == 0;
	}
	if (sent == 0) {
		st->sent++;
		return 1;
	}
	t->state = sent == -1 ? LK_STOP_GONE : LK_STOP_BLOCKED;
	return 0;
}

struct lk_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Adds every thread of /proc/self/task not in st yet (but the caller and the writer), and
 * signals it; returns how many were added, -1 if the list could not be read. */
static long lk_stop_sweep(lk_stop_t *st, pid_t me, pid_t writer, pid_t pid)
{
	int fd = lk_sys_open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	long added = 0;
	char dents[4096];
	long nread;
	while ((nread = syscall(SYS_getdents64, fd, dents, sizeof(dents))) > 0) {
		for (long off = 0; off < nread;) {
			struct lk_dirent64 *d = (struct lk_dirent64 *)(dents + off);
			off += d->d_reclen;
			const char *q = d->d_name;
			pid_t tid = 0;
			while (*q >= '0' && *q <= '9')
				tid = tid * 10 + (*q++ - '0');
			if (!tid || *q || tid == me || tid == writer)
				continue;
			int known = 0;
			for (size_t i = 0; i < st->n && !known; i++)
				known = st->t[i].tid == tid;
			if (known)
				continue;
			if (st->n == st->cap) { /* no slot: missed */
				st->overflow = 1;
				break;
			}
			lk_stop_thread_t *t = &st->t[st->n];
			memset(t, 0, offsetof(lk_stop_thread_t, regs));
			t->tid = tid;
			int zombie = 0;
			uint64_t blocked = 0;
			int gone = lk_stop_status(tid, t->name, &zombie, &blocked) != 0 || zombie;
			t->state = gone ? LK_STOP_GONE : LK_STOP_BLOCKED;
			__atomic_store_n(&st->n, st->n + 1, __ATOMIC_RELEASE);
			added++;
			if (!gone)
				lk_stop_try(st, t, pid, blocked);
		}
		if (st->overflow)
			break;
	}
	lk_sys_close(fd);
	return added;
}

/* Waits until every signalled thread answered or the deadline passed. */
static void lk_stop_wait(lk_stop_t *st, uint64_t deadline)
{
	for (;;) {
		uint32_t a = __atomic_load_n(&st->acked, __ATOMIC_ACQUIRE);
		if (a >= st->sent)
			return;
		uint64_t now = lk_now_ns();
		if (now >= deadline)
			return;
		uint64_t left = deadline - now;
		struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
		lk_stop_futex(&st->acked, FUTEX_WAIT, a, &ts);
	}
}

/* Signals each thread held inside libc once it unblocks, until none is left or the deadline
 * passed; those still held are BLOCKED. Returns how many it signalled. */
static uint32_t lk_stop_unheld(lk_stop_t *st, pid_t pid, uint64_t deadline)
{
	uint32_t signalled = 0;
	for (;;) {
		size_t held = 0;
		for (size_t i = 0; i < st->n; i++) {
			lk_stop_thread_t *t = &st->t[i];
			if (t->state != LK_STOP_HELD)
				continue;
			int zombie = 0;
			uint64_t blocked = 0;
			char name[16];
			if (lk_stop_status(t->tid, name, &zombie, &blocked) != 0 || zombie)
				t->state = LK_STOP_GONE;
			else if (lk_stop_try(st, t, pid, blocked))
				signalled++;
			else if (t->state == LK_STOP_HELD)
				held++;
		}
		if (!held)
			return signalled;
		if (lk_now_ns() >= deadline)
			break;
		struct timespec ms = {0, 1000000};
		syscall(SYS_nanosleep, &ms, NULL);
	}
	for (size_t i = 0; i < st->n; i++)
		if (st->t[i].state == LK_STOP_HELD)
			st->t[i].state = LK_STOP_BLOCKED;
	return signalled;
}

static struct sigaction lk_stop_old;

lk_stop_t *lk_stop_world(void)
{
	/* A writer thread just created may not have run yet (a short program): it notes itself
	 * first thing; until then it would look like a thread of the program's that blocks
	 * every signal. */
	for (int i = 0; i < 200 && lk_thread_running && !lk_reach_writer_tid(); i++) {
		struct timespec ms = {0, 1000000};
		syscall(SYS_nanosleep, &ms, NULL);
	}
	pid_t me = lk_sys_gettid(), pid = lk_sys_getpid(), writer = lk_reach_writer_tid();
	/* Room for the threads there are now, and some made meanwhile. */
	size_t count = 0;
	int fd = lk_sys_open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd >= 0) {
		char dents[4096];
		long nread;
		while ((nread = syscall(SYS_getdents64, fd, dents, sizeof(dents))) > 0)
			for (long off = 0; off < nread; count++)
				off += ((struct lk_dirent64 *)(dents + off))->d_reclen;
		lk_sys_close(fd);
	}
	size_t cap = count + count / 4 + 64;
	size_t bytes = sizeof(lk_stop_t) + cap * sizeof(lk_stop_thread_t);
	lk_stop_t *st = lk_sys_mmap(bytes);
	if (!st)
		return NULL;
	st->cap = cap;
	st->bytes = bytes;
	st->sig = lk_stop_install(&lk_stop_old);
	__atomic_store_n(&lk_stop_cur, st, __ATOMIC_RELEASE);
	uint64_t start = lk_now_ns(), deadline = start + LK_STOP_ANSWER_NS;
	/* Until a listing finds nobody new (a thread not yet stopped may have made one). */
	for (int round = 0; round < 8; round++) {
		long added = lk_stop_sweep(st, me, writer, pid);
		uint32_t late = lk_stop_unheld(st, pid, start + LK_STOP_HELD_NS);
		added += late; /* a thread that starts may make others */
		if (late && lk_now_ns() + LK_STOP_ANSWER_NS > deadline)
			deadline = lk_now_ns() + LK_STOP_ANSWER_NS; /* a full second to answer */
		lk_stop_wait(st, deadline);
		if (added <= 0 || st->overflow)
			break;
	}
	for (size_t i = 0; i < st->n; i++) {
		lk_stop_thread_t *t = &st->t[i];
		if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != LK_STOP_SENT)
			continue;
		/* Signalled, no answer: gone meanwhile, or missed. The handler checks the state
		 * before it saves: take the slot back with a compare-and-swap. */
		int expected = LK_STOP_SENT;
		int gone = syscall(SYS_tgkill, pid, t->tid, 0) != 0;
		__atomic_compare_exchange_n(&t->state, &expected,
		                            gone ? LK_STOP_GONE : LK_STOP_TIMEOUT, 0,
		                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
	return st;
}

void lk_resume_world(lk_stop_t *st)
{
	if (!st)
		return;
	__atomic_store_n(&st->release, 1, __ATOMIC_RELEASE);
	lk_stop_futex(&st->release, FUTEX_WAKE, INT32_MAX, NULL);
	/* The stopped ones leave their handler before st goes away. */
	uint32_t stopped = 0;
	int missed = 0, missed_rt = 0; /* a signal sent, not answered: it may still come */
	for (size_t i = 0; i < st->n; i++) {
		int s = __atomic_load_n(&st->t[i].state, __ATOMIC_ACQUIRE);
		stopped += s == LK_STOP_SAVED;
		missed |= s == LK_STOP_TIMEOUT;
		missed_rt |= s == LK_STOP_TIMEOUT && st->t[i].via_rt;
	}
	uint64_t deadline = lk_now_ns() + 1000000000u;
	for (;;) {
		uint32_t l = __atomic_load_n(&st->left, __ATOMIC_ACQUIRE);
		if (l >= stopped || lk_now_ns() >= deadline)
			break;
		struct timespec ts = {0, 10000000};
		lk_stop_futex(&st->left, FUTEX_WAIT, l, &ts);
	}
	int all_left = __atomic_load_n(&st->left, __ATOMIC_ACQUIRE) >= stopped;
	__atomic_store_n(&lk_stop_cur, NULL, __ATOMIC_RELEASE);
	/* libc's handler back on 33: it ignores a late one of ours (not SI_TKILL). */
	lk_stop_xid_restore();
	if (st->sig) {
		if (missed_rt)
			lk_stop_handler_kept = 1; /* its signal may still come */
		else
			lk_stop_sigaction(st->sig, &lk_stop_old, NULL);
	}
	if (all_left && !missed)
		lk_sys_munmap(st, st->bytes);
}
