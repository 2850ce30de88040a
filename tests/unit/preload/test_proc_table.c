/* SPDX-License-Identifier: MIT */
/* test_proc_table.c - children and threads: spawn, zombie detection without reaping, reap,
 * reaps we could not see (ECHILD, SIGCHLD ignored), thread states, that only changes are
 * emitted, and slot reuse. Uses real child processes: zombie detection is a system call.
 * Records are decoded back with trace_decode() (common/trace_codec.h), as the collector
 * does, and copied into a rec_t (strings NUL-terminated) before the buffer is freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "emit.h"
#include "fd_table.h"
#include "trace_clock.h"
#include "proc_table.h"
#include "trace_codec.h"
#include "trace_format.h"

/* One emitted record, copied out of its decoded struct: CHILD (id is the pid) or THREAD (id
 * is the tid); stack is stack_id, t is t_ns, ws a CHILD's wait status (-1: none). */
typedef struct {
	int tag;
	uint64_t id, stack, t, state;
	long ws;
	char api[64], cmd[128];
} rec_t;

static int grow(trace_buf_t *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

/* A decoded string (a view into the emit buffer) as a C string, cut to the room in out. */
static void copy_str(char *out, size_t n, struct trace_str s)
{
	size_t len = s.len < n ? s.len : n - 1;
	if (len)
		memcpy(out, s.p, len);
	out[len] = 0;
}

static struct trace_record dec;

static int emit(rec_t *recs, int max)
{
	trace_buf_t b = {.grow = grow};
	lk_proc_emit(&b, 0);
	assert_int_equal(b.err, 0);
	trace_cur_t c = {b.data, b.data + b.len, 0};
	int n = 0;
	while (c.p < c.end) {
		assert_true(n < max);
		rec_t *r = &recs[n++];
		memset(r, 0, sizeof(*r));
		r->tag = *c.p++;
		uint64_t len = trace_get_u(&c);
		trace_cur_t p = {c.p, c.p + len, 0};
		c.p += len;
		const char *why = "unknown tag";
		if (trace_decode((unsigned)r->tag, &p, &dec, &why) != 0)
			fail_msg("tag %d: %s", r->tag, why);
		if (dec.tag == TRACE_TAG_CHILD) {
			const struct trace_rec_child *d = &dec.u.child;
			r->id = d->pid;
			r->stack = d->stack_id;
			r->t = d->t_ns;
			r->state = d->state;
			r->ws = d->has_wstatus ? (long)d->wstatus : -1;
			copy_str(r->api, sizeof(r->api), d->api);
			copy_str(r->cmd, sizeof(r->cmd), d->cmd);
		} else {
			assert_int_equal(r->tag, TRACE_TAG_THREAD);
			const struct trace_rec_thread *d = &dec.u.thread;
			r->id = d->tid;
			r->stack = d->stack_id;
			r->t = d->t_ns;
			r->state = d->state;
		}
		assert_true(p.p == p.end); /* no bytes past the fields the codec knows */
	}
	free(b.data);
	return n;
}

/* A child that exits at once; returns after it has exited (zombie, not reaped). */
static pid_t spawn_exited(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	return pid;
}

static void test_child_states(void **state)
{
	(void)state;
	rec_t r[16];
	uint64_t t0 = lk_clock_t0();
	pid_t z = spawn_exited();
	pid_t run = fork();
	if (run == 0) {
		pause();
		_exit(0);
	}
	lk_proc_child_on_spawn(z, 5, t0 + 10, "fork", NULL, 0, NULL);
	lk_proc_child_on_spawn(run, 6, t0 + 20, "posix_spawn", "/bin/sleep", 0, NULL);
	assert_int_equal(emit(r, 16), 2);
	assert_int_equal(r[0].tag, TRACE_TAG_CHILD);
	assert_int_equal(r[0].id, (uint64_t)z);
	assert_int_equal(r[0].state, TRACE_CHILD_ZOMBIE);
	assert_int_equal(r[0].ws, 0); /* the probe saw its exit 0 */
	assert_int_equal(r[0].stack, 5);
	assert_int_equal(r[0].t, 10);
	assert_string_equal(r[0].api, "fork");
	assert_int_equal(r[1].id, (uint64_t)run);
	assert_int_equal(r[1].state, TRACE_CHILD_RUNNING);
	assert_int_equal(r[1].ws, -1);
	assert_string_equal(r[1].cmd, "/bin/sleep");

	/* The probe did not reap: the zombie is still waitable; and no change, no records. */
	assert_int_equal(emit(r, 16), 0);
	int st;
	assert_int_equal(waitpid(z, &st, 0), z);
	lk_proc_child_on_reap(z, st);
	assert_int_equal(emit(r, 16), 1);
	assert_int_equal(r[0].id, (uint64_t)z);
	assert_int_equal(r[0].state, TRACE_CHILD_REAPED);
	assert_int_equal(r[0].ws, st);

	/* Reaped where the hooks could not see it (raw wait): the probe finds ECHILD. */
	kill(run, SIGKILL);
	assert_int_equal(waitpid(run, &st, 0), run);
	assert_int_equal(emit(r, 16), 1);
	assert_int_equal(r[0].id, (uint64_t)run);
	assert_int_equal(r[0].state, TRACE_CHILD_REAPED);
	assert_int_equal(r[0].ws, -1); /* nothing saw how it ended */

	/* Spawned and reaped between snapshots: nothing, unless the wait said how it ended
	 * (a reader recovers the end of a child whose own trace has none from it). */
	pid_t q = spawn_exited();
	lk_proc_child_on_spawn(q, 7, t0, "fork", NULL, 0, NULL);
	assert_int_equal(waitpid(q, &st, 0), q);
	lk_proc_child_on_reap(q, -1);
	assert_int_equal(emit(r, 16), 0);
	q = fork();
	if (q == 0)
		_exit(7);
	lk_proc_child_on_spawn(q, 7, t0, "fork", NULL, 0, NULL);
	assert_int_equal(waitpid(q, &st, 0), q);
	lk_proc_child_on_reap(q, st);
	assert_int_equal(emit(r, 16), 1);
	assert_int_equal(r[0].state, TRACE_CHILD_REAPED);
	assert_int_equal(r[0].ws, 7 << 8);
	assert_int_equal(emit(r, 16), 0);
}

static void test_child_autoreap_and_key(void **state)
{
	(void)state;
	rec_t r[16];
	int key;
	int go[2];
	assert_int_equal(pipe(go), 0);
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGCHLD, &ign, &old);
	pid_t pid = fork();
	if (pid == 0) {
		char ch;
		close(go[1]);
		_exit(read(go[0], &ch, 1) < 0);
	}
	close(go[0]);
	lk_proc_child_on_spawn(pid, 8, 0, "popen", "echo hi", 1, &key);
	assert_int_equal(lk_proc_child_by_key(&key), pid);
	assert_int_equal(lk_proc_child_by_key(&state), 0);
	int n = emit(r, 16);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].state, TRACE_CHILD_RUNNING);
	/* Let it exit; the kernel reaps it (no zombie): the probe then reports state 3. */
	close(go[1]);
	for (int i = 0; i < 400 && kill(pid, 0) == 0; i++)
		usleep(5000);
	sigaction(SIGCHLD, &old, NULL);
	n = emit(r, 16);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].id, (uint64_t)pid);
	assert_int_equal(r[0].state, TRACE_CHILD_AUTOREAPED);
	assert_string_equal(r[0].api, "popen");
	assert_int_equal(lk_proc_child_by_key(&key), 0);
	sigaction(SIGCHLD, &old, NULL);
}

static void test_thread_states(void **state)
{
	(void)state;
	rec_t r[16];
	pthread_t fake1 = (pthread_t)0x1000, fake2 = (pthread_t)0x2000, fake3 = (pthread_t)0x3000;

	int a = lk_proc_thread_reserve(1, 0, 0); /* joinable, finishes, never joined */
	int b = lk_proc_thread_reserve(2, 0, 0); /* joinable, joined */
	int c = lk_proc_thread_reserve(3, 0, 1); /* detached at creation */
	int d = lk_proc_thread_reserve(4, 0, 0); /* pthread_create failed */
	assert_true(a >= 0 && b >= 0 && c >= 0 && d >= 0);
	lk_proc_thread_cancel(d);
	lk_proc_thread_on_created(a, fake1);
	lk_proc_thread_on_created(b, fake2);
	lk_proc_thread_on_created(c, fake3);
	/* Not started yet: no tid, nothing to report. */
	assert_int_equal(emit(r, 16), 0);
	lk_proc_thread_on_start(a, 101, fake1);
	lk_proc_thread_on_start(b, 102, fake2);
	lk_proc_thread_on_start(c, 103, fake3);
	assert_int_equal(emit(r, 16), 3);
	assert_int_equal(r[0].id, 101);
	assert_int_equal(r[0].state, TRACE_THREAD_RUNNING);
	assert_int_equal(r[0].stack, 1);
	assert_int_equal(r[2].id, 103);
	assert_int_equal(r[2].state, TRACE_THREAD_DETACHED);

	lk_proc_thread_on_finish(a);
	lk_proc_thread_on_finish(a);
	lk_proc_thread_on_finish(b);
	lk_proc_thread_on_join(fake2);
	lk_proc_thread_on_finish(c);
	assert_int_equal(emit(r, 16), 3);
	assert_int_equal(r[0].state, TRACE_THREAD_FINISHED);
	assert_int_equal(r[1].state, TRACE_THREAD_JOINED);
	assert_int_equal(r[2].state, TRACE_THREAD_DETACHED_FINISHED);

	/* A join of a pthread_t already joined (value reused) matches nothing. */
	lk_proc_thread_on_join(fake2);
	assert_int_equal(emit(r, 16), 0);

	/* Detach later; then join the unjoined one. */
	int e = lk_proc_thread_reserve(5, 0, 0);
	lk_proc_thread_on_created(e, fake2); /* reuses fake2's value */
	lk_proc_thread_on_start(e, 105, fake2);
	lk_proc_thread_on_detach(fake2);
	lk_proc_thread_on_join(fake1);
	assert_int_equal(emit(r, 16), 2);
	assert_int_equal(r[0].id, 101);
	assert_int_equal(r[0].state, TRACE_THREAD_JOINED);
	assert_int_equal(r[1].id, 105);
	assert_int_equal(r[1].state, TRACE_THREAD_DETACHED);

	/* Short-lived thread, created and joined between snapshots: nothing; and the slots of
	 * finished threads are reused (no table exhaustion on many short threads). */
	for (int i = 0; i < 3 * LK_THREAD_MAX; i++) {
		int s = lk_proc_thread_reserve(6, 0, 0);
		assert_true(s >= 0);
		pthread_t th = (pthread_t)(0x10000 + (uintptr_t)i);
		lk_proc_thread_on_created(s, th);
		lk_proc_thread_on_start(s, 1000 + i, th);
		lk_proc_thread_on_finish(s);
		lk_proc_thread_on_join(th);
	}
	assert_int_equal(emit(r, 16), 0);
}

static void test_fork_child_reset(void **state)
{
	(void)state;
	rec_t r[16];
	lk_proc_on_fork_child(); /* start from empty tables (earlier tests left live slots) */
	int s = lk_proc_thread_reserve(9, 0, 0);
	lk_proc_thread_on_created(s, (pthread_t)0x9000);
	lk_proc_thread_on_start(s, 109, (pthread_t)0x9000);
	pid_t pid = spawn_exited();
	lk_proc_child_on_spawn(pid, 9, 0, "vfork", NULL, 0, NULL);
	assert_int_equal(emit(r, 16), 2);
	/* Emit reset (a forked child's new trace): its threads' state again; the parent's
	 * children are not the child's, forgotten. */
	lk_proc_emit_reset();
	assert_int_equal(emit(r, 16), 1);
	assert_int_equal(lk_proc_has_own(), 1); /* the thread */
	/* Fork child: neither table carries over. */
	lk_proc_on_fork_child();
	assert_int_equal(emit(r, 16), 0);
	int st;
	waitpid(pid, &st, 0);
}

/* Children reaped before any snapshot heard of them, their wait statuses known: each keeps
 * its slot until the next emit, which carries them all (a child that wrote no trace of its
 * own ends there); an unknown status frees the slot at once. */
static void test_reaped_unseen_kept(void **state)
{
	(void)state;
	rec_t r[16];
	lk_proc_on_fork_child(); /* empty tables */
	for (int i = 0; i < 3; i++) {
		lk_proc_child_on_spawn(5000 + i, 7, 0, "fork", NULL, 0, NULL);
		lk_proc_child_on_reap(5000 + i, i << 8); /* exit i */
	}
	lk_proc_child_on_spawn(6000, 7, 0, "fork", NULL, 0, NULL);
	lk_proc_child_on_reap(6000, -1); /* status unknown: its slot is reused next */
	lk_proc_child_on_spawn(6001, 7, 0, "fork", NULL, 0, NULL);
	lk_proc_child_on_reap(6001, 9); /* killed by SIGKILL */
	assert_int_equal(emit(r, 16), 4);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r[i].id, 5000 + i);
		assert_int_equal(r[i].state, TRACE_CHILD_REAPED);
		assert_int_equal(r[i].ws, i << 8);
	}
	assert_int_equal(r[3].id, 6001);
	assert_int_equal(r[3].ws, 9);
	assert_int_equal(emit(r, 16), 0); /* emitted: the slots are free again */
	lk_proc_on_fork_child();
}

/* The writer's probe can run between the program's wait and the wait hook: it sees ECHILD
 * and emits the child as reaped, status unknown. The hook's status, coming after, must still
 * reach the trace (the next emit repeats the record with it), or a child that wrote no END
 * of its own (killed, raw exit_group) has no end anywhere. */
static void test_reap_after_probe(void **state)
{
	(void)state;
	rec_t r[16];
	lk_proc_on_fork_child(); /* empty tables */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(fds[1]);
		_exit(read(fds[0], &c, 1) == 0 ? 0 : 1); /* runs until the pipe closes */
	}
	assert_true(pid > 0);
	close(fds[0]);
	lk_proc_child_on_spawn(pid, 7, 0, "fork", NULL, 0, NULL);
	assert_int_equal(emit(r, 16), 1); /* running, emitted */
	assert_int_equal(r[0].state, TRACE_CHILD_RUNNING);
	close(fds[1]);
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid); /* reaped; the hook has not run yet */
	assert_int_equal(emit(r, 16), 1);
	assert_int_equal(r[0].id, (uint64_t)pid);
	assert_int_equal(r[0].state, TRACE_CHILD_REAPED);
	assert_int_equal(r[0].ws, -1); /* the probe's ECHILD: no status */
	lk_proc_child_on_reap(pid, 9); /* the hook, late: killed by SIGKILL */
	assert_int_equal(emit(r, 16), 1);
	assert_int_equal(r[0].id, (uint64_t)pid);
	assert_int_equal(r[0].state, TRACE_CHILD_REAPED);
	assert_int_equal(r[0].ws, 9);
	assert_int_equal(emit(r, 16), 0);
	lk_proc_child_on_reap(pid, 9); /* a second hook call changes nothing */
	assert_int_equal(emit(r, 16), 0);
	lk_proc_on_fork_child();
}

int main(void)
{
	lk_proc_init();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_child_states),
	    cmocka_unit_test(test_child_autoreap_and_key),
	    cmocka_unit_test(test_thread_states),
	    cmocka_unit_test(test_fork_child_reset),
	    cmocka_unit_test(test_reaped_unseen_kept),
	    cmocka_unit_test(test_reap_after_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
