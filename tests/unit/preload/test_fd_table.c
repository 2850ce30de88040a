/* SPDX-License-Identifier: MIT */
/* test_fd_table.c - the descriptor table and its emission: open/close/reuse generations,
 * dup2 over an open descriptor, close_range (close and cloexec-only), that a snapshot carries
 * only what changed, temp files, the exec marker, overflow past LK_FD_MAX, internal fds, and
 * a forked child's view (the parent's descriptors flagged, its temp files forgotten).
 * Records are decoded back with trace_decode() (common/trace_codec.h), as the collector
 * does, and copied into a rec_t (strings NUL-terminated) before the buffer is freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <cmocka.h>

#include "emit.h"
#include "fd_table.h"
#include "trace_clock.h"
#include "trace_codec.h"
#include "trace_format.h"

/* One emitted record, copied out of its decoded struct: FD_OPEN, FD_CLOSE, TEMPFILE or EXEC
 * (stack is stack_id, t is t_ns). */
typedef struct {
	int tag;
	uint64_t fd, gen, type, flags, stack, t;
	char path[256], peer[256], api[64];
	uint64_t state;
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

/* Runs one emit and decodes it into recs; returns the number of records. */
static int emit(int final, rec_t *recs, int max)
{
	trace_buf_t b = {.grow = grow};
	lk_fd_emit(&b, final);
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
		switch (dec.tag) {
		case TRACE_TAG_FD_OPEN: {
			const struct trace_rec_fd_open *d = &dec.u.fd_open;
			r->fd = d->fd;
			r->gen = d->gen;
			r->type = d->type;
			r->flags = d->flags;
			r->stack = d->stack_id;
			r->t = d->t_ns;
			copy_str(r->path, sizeof(r->path), d->path);
			copy_str(r->peer, sizeof(r->peer), d->peer);
			copy_str(r->api, sizeof(r->api), d->api);
			break;
		}
		case TRACE_TAG_FD_CLOSE:
			r->fd = dec.u.fd_close.fd;
			r->gen = dec.u.fd_close.gen;
			r->t = dec.u.fd_close.t_ns;
			break;
		case TRACE_TAG_TEMPFILE: {
			const struct trace_rec_tempfile *d = &dec.u.tempfile;
			r->stack = d->stack_id;
			r->t = d->t_ns;
			copy_str(r->path, sizeof(r->path), d->path);
			r->state = d->state;
			copy_str(r->api, sizeof(r->api), d->api);
			break;
		}
		case TRACE_TAG_EXEC:
			r->t = dec.u.exec.t_ns;
			copy_str(r->path, sizeof(r->path), dec.u.exec.path);
			break;
		default:
			fail_msg("unexpected tag %d", r->tag);
		}
		assert_true(p.p == p.end); /* no bytes past the fields the codec knows */
	}
	assert_int_equal(c.err, 0);
	free(b.data);
	return n;
}

/* Fd numbers far above anything the test process has open, so inherited fds never mix in. */
#define FD_A 5000
#define FD_B 5001
#define T0   (lk_clock_t0())

static rec_t inherited[512];
static int n_inherited;

static int setup(void **state)
{
	(void)state;
	/* Open one descriptor before init: the scan must find it, with its path and flag. */
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, FD_A + 900) < 0)
		return -1;
	close(fd);
	if (lk_fd_init() != 0)
		return -1;
	n_inherited = emit(0, inherited, 512); /* drain the inherited descriptors */
	return 0;
}

static void test_inherited_scan(void **state)
{
	(void)state;
	int seen = 0;
	for (int i = 0; i < n_inherited; i++) {
		rec_t *r = &inherited[i];
		assert_int_equal(r->tag, TRACE_TAG_FD_OPEN);
		assert_true(r->flags & TRACE_FD_INHERITED);
		assert_int_equal(r->stack, 0);
		assert_string_equal(r->api, "inherited");
		if (r->fd == FD_A + 900) {
			seen++;
			assert_int_equal(r->type, TRACE_FD_FILE);
			assert_string_equal(r->path, "/etc/hostname");
			assert_int_equal(r->flags & TRACE_FD_CLOEXEC, 0); /* dup2 clears it */
		}
	}
	assert_int_equal(seen, 1);
	close(FD_A + 900);
	lk_fd_on_close(FD_A + 900, 0, T0);
	rec_t r[4];
	assert_int_equal(emit(0, r, 4), 1);
	assert_int_equal(r[0].tag, TRACE_TAG_FD_CLOSE);
}

static void test_open_close_reuse_gen(void **state)
{
	(void)state;
	rec_t r[16];
	lk_fd_on_open(FD_A, TRACE_FD_FILE, 0, 7, T0 + 100, "open", "/tmp/a", NULL);
	assert_int_equal(emit(0, r, 16), 1);
	assert_int_equal(r[0].tag, TRACE_TAG_FD_OPEN);
	assert_int_equal(r[0].fd, FD_A);
	uint64_t g1 = r[0].gen;
	assert_true(g1 >= 1);
	assert_int_equal(r[0].type, TRACE_FD_FILE);
	assert_int_equal(r[0].stack, 7);
	assert_int_equal(r[0].t, 100);
	assert_string_equal(r[0].path, "/tmp/a");
	assert_string_equal(r[0].api, "open");

	/* Nothing changed: nothing emitted. */
	assert_int_equal(emit(0, r, 16), 0);

	/* Close, then the number is reused before the next snapshot: close of g1, open g1+1. */
	uint32_t gen = lk_fd_gen(FD_A);
	assert_int_equal(gen, g1);
	lk_fd_on_close(FD_A, gen, T0 + 200);
	assert_int_equal(lk_fd_gen(FD_A), 0);
	lk_fd_on_open(FD_A, TRACE_FD_PIPE, TRACE_FD_CLOEXEC, 8, T0 + 300, "pipe", NULL, NULL);
	assert_int_equal(emit(0, r, 16), 2);
	assert_int_equal(r[0].tag, TRACE_TAG_FD_CLOSE);
	assert_int_equal(r[0].gen, g1);
	assert_int_equal(r[0].t, 200);
	assert_int_equal(r[1].tag, TRACE_TAG_FD_OPEN);
	assert_int_equal(r[1].gen, g1 + 1);
	assert_int_equal(r[1].type, TRACE_FD_PIPE);
	assert_int_equal(r[1].flags, TRACE_FD_CLOEXEC);
	assert_string_equal(r[1].path, "");

	/* A close of a stale generation (the number was reused by another thread) is ignored. */
	lk_fd_on_close(FD_A, (uint32_t)g1, T0 + 350);
	assert_int_equal(lk_fd_gen(FD_A), g1 + 1);
	assert_int_equal(emit(0, r, 16), 0);

	lk_fd_on_close(FD_A, 0, T0 + 400);
	assert_int_equal(emit(0, r, 16), 1);
	assert_int_equal(r[0].tag, TRACE_TAG_FD_CLOSE);
	assert_int_equal(r[0].gen, g1 + 1);
	assert_int_equal(r[0].t, 400);

	/* Open and closed between two snapshots: the trace never hears of it. */
	lk_fd_on_open(FD_A, TRACE_FD_FILE, 0, 9, T0 + 500, "open", "/tmp/short", NULL);
	lk_fd_on_close(FD_A, 0, T0 + 600);
	assert_int_equal(emit(0, r, 16), 0);

	/* Closing something never tracked is normal and emits nothing. */
	lk_fd_on_close(FD_A + 7, 0, T0 + 700);
	assert_int_equal(emit(0, r, 16), 0);

	/* The trace holds a generation; it closes, and the number is opened and closed again
	 * before the next snapshot: the close told is the held one's, at its own time. */
	lk_fd_on_open(FD_A, TRACE_FD_FILE, 0, 10, T0 + 800, "open", "/tmp/held", NULL);
	assert_int_equal(emit(0, r, 16), 1);
	uint64_t g2 = r[0].gen;
	lk_fd_on_close(FD_A, 0, T0 + 900);
	lk_fd_on_open(FD_A, TRACE_FD_FILE, 0, 11, T0 + 1000, "open", "/tmp/next", NULL);
	lk_fd_on_close(FD_A, 0, T0 + 1100);
	assert_int_equal(emit(0, r, 16), 1);
	assert_int_equal(r[0].tag, TRACE_TAG_FD_CLOSE);
	assert_int_equal(r[0].gen, g2);
	assert_int_equal(r[0].t, 900);
	/* The same through lk_fd_on_closing (the close hooks), stamped by the clock: a close
	 * of the held generation is told, one of a generation no snapshot saw is not. */
	lk_fd_on_open(FD_A, TRACE_FD_FILE, 0, 12, T0 + 1200, "open", "/tmp/held2", NULL);
	assert_int_equal(emit(0, r, 16), 1);
	uint64_t g3 = r[0].gen;
	lk_fd_on_closing(FD_A);
	uint64_t closed_at = lk_clock_since(lk_fd_now_ns());
	lk_fd_on_open(FD_A, TRACE_FD_FILE, 0, 13, T0 + 1300, "open", "/tmp/next2", NULL);
	lk_fd_on_closing(FD_A);
	assert_int_equal(emit(0, r, 16), 1);
	assert_int_equal(r[0].tag, TRACE_TAG_FD_CLOSE);
	assert_int_equal(r[0].gen, g3);
	assert_true(r[0].t <= closed_at);
	lk_fd_on_open(FD_A, TRACE_FD_FILE, 0, 14, T0 + 1400, "open", "/tmp/short2", NULL);
	lk_fd_on_closing(FD_A);
	assert_int_equal(emit(0, r, 16), 0);
	assert_int_equal(lk_fd_gen(FD_A), 0);
}

static void test_dup2_over_open(void **state)
{
	(void)state;
	rec_t r[16];
	lk_fd_on_open(FD_A, TRACE_FD_SOCKET, 0, 1, T0 + 10, "socket", "tcp 127.0.0.1:5000", NULL);
	lk_fd_set_sock(FD_A, 2, 1);
	lk_fd_set_addr(FD_A, NULL, "127.0.0.1:6000");
	lk_fd_on_open(FD_B, TRACE_FD_FILE, 0, 2, T0 + 20, "open", "/etc/passwd", NULL);
	assert_int_equal(emit(0, r, 16), 2);
	uint64_t gb = r[1].gen;
	assert_int_equal(r[0].fd, FD_A);
	assert_string_equal(r[0].peer, "127.0.0.1:6000");

	/* dup2(FD_A, FD_B): FD_B's file closes, FD_B becomes a copy of the socket. */
	lk_fd_on_dup(FD_A, FD_B, 0, 3, T0 + 30, "dup2");
	int fam = 0, st = 0;
	assert_int_equal(lk_fd_get_sock(FD_B, &fam, &st), 0);
	assert_int_equal(fam, 2);
	assert_int_equal(st, 1);
	assert_int_equal(emit(0, r, 16), 2);
	assert_int_equal(r[0].tag, TRACE_TAG_FD_CLOSE);
	assert_int_equal(r[0].fd, FD_B);
	assert_int_equal(r[0].gen, gb);
	assert_int_equal(r[0].t, 30);
	assert_int_equal(r[1].tag, TRACE_TAG_FD_OPEN);
	assert_int_equal(r[1].fd, FD_B);
	assert_int_equal(r[1].gen, gb + 1);
	assert_int_equal(r[1].type, TRACE_FD_SOCKET);
	assert_int_equal(r[1].stack, 3);
	assert_string_equal(r[1].api, "dup2");
	assert_string_equal(r[1].path, "tcp 127.0.0.1:5000");
	assert_string_equal(r[1].peer, "127.0.0.1:6000");

	/* F_SETFD cloexec is a description change: FD_OPEN again with the same gen. */
	lk_fd_set_cloexec(FD_B, 1);
	lk_fd_set_cloexec(FD_B, 1);
	assert_int_equal(emit(0, r, 16), 1);
	assert_int_equal(r[0].tag, TRACE_TAG_FD_OPEN);
	assert_int_equal(r[0].gen, gb + 1);
	assert_int_equal(r[0].flags, TRACE_FD_CLOEXEC);

	/* dup of an fd we never saw: type other. */
	lk_fd_on_dup(FD_A + 50, FD_A + 51, 1, 4, T0 + 40, "fcntl");
	assert_int_equal(emit(0, r, 16), 1);
	assert_int_equal(r[0].type, TRACE_FD_OTHER);
	assert_int_equal(r[0].flags, TRACE_FD_CLOEXEC);

	lk_fd_on_close(FD_A, 0, 0);
	lk_fd_on_close(FD_B, 0, 0);
	lk_fd_on_close(FD_A + 51, 0, 0);
	assert_int_equal(emit(0, r, 16), 3);
}

static void test_close_range(void **state)
{
	(void)state;
	rec_t r[32];
	for (int i = 0; i < 5; i++)
		lk_fd_on_open(FD_A + 100 + i, TRACE_FD_EVENTFD, 0, 1, T0, "eventfd", NULL, NULL);
	assert_int_equal(emit(0, r, 32), 5);

	/* CLOSE_RANGE_CLOEXEC on the first three: flags only, nothing closes. */
	lk_fd_on_close_range(FD_A + 100, FD_A + 102, 1, T0 + 5);
	assert_int_equal(emit(0, r, 32), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r[i].tag, TRACE_TAG_FD_OPEN);
		assert_int_equal(r[i].fd, FD_A + 100 + i);
		assert_int_equal(r[i].flags, TRACE_FD_CLOEXEC);
	}
	assert_true(lk_fd_gen(FD_A + 101) != 0);

	/* Plain close_range over 101..~0U closes 4 of them (the fifth, 100, stays). */
	lk_fd_on_close_range(FD_A + 101, ~0U, 0, T0 + 6);
	assert_int_equal(emit(0, r, 32), 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r[i].tag, TRACE_TAG_FD_CLOSE);
		assert_int_equal(r[i].fd, FD_A + 101 + i);
		assert_int_equal(r[i].t, 6);
	}
	assert_true(lk_fd_gen(FD_A + 100) != 0);
	lk_fd_on_close(FD_A + 100, 0, 0);
	assert_int_equal(emit(0, r, 32), 1);
}

static void test_overflow_and_internal(void **state)
{
	(void)state;
	rec_t r[8];
	uint64_t before = lk_fd_overflow_count();
	lk_fd_on_open(LK_FD_MAX, TRACE_FD_FILE, 0, 1, T0, "open", "/x", NULL);
	lk_fd_on_open(LK_FD_MAX + 1000, TRACE_FD_FILE, 0, 1, T0, "open", "/x", NULL);
	assert_int_equal(lk_fd_overflow_count(), before + 2);
	assert_int_equal(lk_fd_gen(LK_FD_MAX), 0);
	lk_fd_on_close(LK_FD_MAX, 0, T0); /* no crash, nothing recorded */
	lk_fd_on_open(LK_FD_MAX - 1, TRACE_FD_FILE, 0, 1, T0, "open", "/last", NULL);
	assert_int_equal(emit(0, r, 8), 1);
	assert_int_equal(r[0].fd, LK_FD_MAX - 1);
	lk_fd_on_close(LK_FD_MAX - 1, 0, T0);
	assert_int_equal(emit(0, r, 8), 1);

	/* An internal fd is never recorded. */
	lk_fd_mark_internal(FD_A + 300);
	assert_true(lk_fd_is_internal(FD_A + 300));
	assert_false(lk_fd_is_internal(FD_A + 301));
	assert_false(lk_fd_is_internal(FD_A + 300 + 64)); /* its hint bit, not its number */
	assert_false(lk_fd_is_internal(-1));
	lk_fd_on_open(FD_A + 300, TRACE_FD_FILE, 0, 1, T0, "open", "/trace", NULL);
	assert_int_equal(emit(0, r, 8), 0);
	/* close_range / closefrom split their range around it. */
	lk_fd_mark_internal(FD_A + 310);
	assert_int_equal(lk_fd_next_internal(0), FD_A + 300);
	assert_int_equal(lk_fd_next_internal(FD_A + 300), FD_A + 300);
	assert_int_equal(lk_fd_next_internal(FD_A + 301), FD_A + 310);
	assert_int_equal(lk_fd_next_internal(FD_A + 311), -1);

	/* Long paths are truncated, not overflowed. */
	char longp[600];
	memset(longp, 'p', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	lk_fd_on_open(FD_A + 302, TRACE_FD_FILE, 0, 1, T0, "open", longp, NULL);
	assert_int_equal(emit(0, r, 8), 1);
	assert_int_equal(strlen(r[0].path), LK_FD_PATH_LEN - 1);
	char buf[32];
	assert_int_equal(lk_fd_get_path(FD_A + 302, buf, sizeof(buf)), 31);
	lk_fd_on_close(FD_A + 302, 0, T0);
	assert_int_equal(emit(0, r, 8), 1);
}

static void test_tempfiles_and_exec(void **state)
{
	(void)state;
	rec_t r[16];
	char kept[] = "/tmp/lk_test_fd_table_XXXXXX";
	char gone[] = "/tmp/lk_test_fd_table_XXXXXX";
	char quick[] = "/tmp/lk_test_fd_table_XXXXXX";
	int a = mkstemp(kept), b = mkstemp(gone), c = mkstemp(quick);
	assert_true(a >= 0 && b >= 0 && c >= 0);
	close(a);
	close(b);
	close(c);
	lk_fd_temp_on_create(kept, 11, T0 + 1, "mkstemp");
	lk_fd_temp_on_create(gone, 12, T0 + 2, "mkstemps");
	assert_int_equal(emit(0, r, 16), 2);
	assert_int_equal(r[0].tag, TRACE_TAG_TEMPFILE);
	assert_int_equal(r[0].state, TRACE_TEMP_CREATED);
	assert_string_equal(r[0].path, kept);
	assert_string_equal(r[0].api, "mkstemp");
	assert_int_equal(r[1].stack, 12);

	/* Created and removed between snapshots: nothing. */
	lk_fd_temp_on_create(quick, 13, T0 + 3, "mkostemp");
	unlink(quick);
	lk_fd_temp_on_remove(quick);

	unlink(gone);
	lk_fd_temp_on_remove(gone);
	assert_int_equal(emit(0, r, 16), 1);
	assert_string_equal(r[0].path, gone);
	assert_int_equal(r[0].state, TRACE_TEMP_REMOVED);

	/* Exec marker comes last, once. */
	lk_fd_on_open(FD_A + 400, TRACE_FD_FILE, 0, 1, T0 + 9, "open", "/etc/hosts", NULL);
	lk_fd_exec_pending("/bin/true", T0 + 10);
	int n = emit(1, r, 16);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].tag, TRACE_TAG_FD_OPEN);
	/* final: the kept file is still on disk */
	assert_int_equal(r[1].tag, TRACE_TAG_TEMPFILE);
	assert_string_equal(r[1].path, kept);
	assert_int_equal(r[1].state, TRACE_TEMP_EXISTS_AT_EXIT);
	assert_int_equal(r[2].tag, TRACE_TAG_EXEC);
	assert_string_equal(r[2].path, "/bin/true");
	assert_int_equal(r[2].t, 10);
	assert_int_equal(emit(1, r, 16), 0);

	/* A cancelled exec emits nothing. */
	lk_fd_exec_pending("/bin/false", T0 + 11);
	lk_fd_exec_cancel();
	assert_int_equal(emit(0, r, 16), 0);

	/* Reset (new trace after fork): what is still open is emitted again. */
	lk_fd_emit_reset();
	n = emit(0, r, 16);
	int found = 0;
	for (int i = 0; i < n; i++)
		if (r[i].tag == TRACE_TAG_FD_OPEN && r[i].fd == FD_A + 400)
			found++;
	assert_int_equal(found, 1);
	unlink(kept);
	lk_fd_on_close(FD_A + 400, 0, 0);
	emit(0, r, 16);
}

/* Forked child (run last: it moves the time base and forgets the temp files). Every fd open
 * at fork is emitted again, same gen and stack, flagged TRACE_FD_FORKED; the flag survives a
 * later change of its close-on-exec flag but not a close; what the child opens or dups
 * itself is its own. The parent's temp files and a pending exec are forgotten. */
static void test_fork_child(void **state)
{
	(void)state;
	rec_t r[64];
	/* Never on disk: still listed, a final emit would say "removed". */
	const char *tmpl = "/nonexistent/lk_test_fd_table_fork";
	lk_fd_on_open(FD_A + 600, TRACE_FD_FILE, 0, 21, T0 + 1, "open", "/etc/hosts", NULL);
	lk_fd_on_open(FD_A + 601, TRACE_FD_SOCKET, TRACE_FD_CLOEXEC, 22, T0 + 2, "socket",
	              "tcp 127.0.0.1:5000", NULL);
	lk_fd_temp_on_create(tmpl, 23, T0 + 3, "mkstemp");
	assert_true(emit(0, r, 64) >= 3);
	uint32_t g600 = lk_fd_gen(FD_A + 600), g601 = lk_fd_gen(FD_A + 601);
	lk_fd_exec_pending("/bin/true", T0 + 4);

	lk_fd_on_fork_child();
	int n = emit(0, r, 64), seen = 0;
	for (int i = 0; i < n; i++) {
		assert_int_equal(r[i].tag, TRACE_TAG_FD_OPEN); /* no TEMPFILE, no EXEC */
		assert_true(r[i].flags & TRACE_FD_FORKED);
		if (r[i].fd == FD_A + 600) {
			seen++;
			assert_int_equal(r[i].gen, g600);
			assert_int_equal(r[i].stack, 21);
			assert_int_equal(r[i].flags, TRACE_FD_FORKED);
			assert_string_equal(r[i].path, "/etc/hosts");
		} else if (r[i].fd == FD_A + 601) {
			seen++;
			assert_int_equal(r[i].gen, g601);
			assert_int_equal(r[i].stack, 22);
			assert_int_equal(r[i].flags, TRACE_FD_FORKED | TRACE_FD_CLOEXEC);
		}
	}
	assert_int_equal(seen, 2);

	/* Description changes keep the flag; the child's own opens and dups do not get it. */
	lk_fd_set_cloexec(FD_A + 600, 1);
	lk_fd_on_open(FD_A + 602, TRACE_FD_PIPE, 0, 31, T0 + 5, "pipe", NULL, NULL);
	lk_fd_on_dup(FD_A + 600, FD_A + 603, 0, 32, T0 + 6, "dup");
	lk_fd_on_close(FD_A + 601, 0, T0 + 7);
	lk_fd_on_open(FD_A + 601, TRACE_FD_FILE, 0, 33, T0 + 8, "open", "/etc/group", NULL);
	n = emit(0, r, 64);
	assert_int_equal(n, 5);
	int opens = 0;
	for (int i = 0; i < n; i++) {
		if (r[i].tag == TRACE_TAG_FD_CLOSE) {
			assert_int_equal(r[i].fd, FD_A + 601);
			assert_int_equal(r[i].gen, g601);
			continue;
		}
		assert_int_equal(r[i].tag, TRACE_TAG_FD_OPEN);
		opens++;
		switch (r[i].fd) {
		case FD_A + 600:
			assert_int_equal(r[i].flags, TRACE_FD_FORKED | TRACE_FD_CLOEXEC);
			assert_int_equal(r[i].stack, 21);
			break;
		case FD_A + 601:
			assert_int_equal(r[i].gen, g601 + 1);
			assert_int_equal(r[i].flags, 0);
			assert_int_equal(r[i].stack, 33);
			break;
		case FD_A + 602:
			assert_int_equal(r[i].flags, 0);
			break;
		case FD_A + 603:
			assert_int_equal(r[i].flags, 0);
			assert_int_equal(r[i].stack, 32);
			assert_string_equal(r[i].path, "/etc/hosts");
			break;
		default:
			fail_msg("unexpected fd %d", (int)r[i].fd);
		}
	}
	assert_int_equal(opens, 4);

	/* A final emit in the child says nothing of the parent's temp file. */
	assert_int_equal(emit(1, r, 64), 0);
	for (int fd = FD_A + 600; fd <= FD_A + 603; fd++)
		lk_fd_on_close(fd, 0, T0 + 9);
	assert_int_equal(emit(0, r, 64), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inherited_scan),
	    cmocka_unit_test(test_open_close_reuse_gen),
	    cmocka_unit_test(test_dup2_over_open),
	    cmocka_unit_test(test_close_range),
	    cmocka_unit_test(test_overflow_and_internal),
	    cmocka_unit_test(test_tempfiles_and_exec),
	    cmocka_unit_test(test_fork_child), /* last: it resets the time base */
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
