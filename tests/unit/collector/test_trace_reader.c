/* SPDX-License-Identifier: MIT */
/* test_trace_reader.c - trace_reader.c + model.c: a synthesized trace with every record kind
 * reads back into the exact model; cutting it at every byte offset never crashes and keeps
 * the chunks before the cut; foreign, empty, newer and oversized inputs are refused with the
 * documented messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "model.h"
#include "trace_reader.h"
#include "trace_builder.h"

#define BASE 0x555555554000ull
#define LIBC 0x7ffff7d80000ull

static const char *const argv3[] = {"/usr/bin/app", "--port", "5000"};

/* Three chunks: (1) process, modules, stacks, snapshot 0 with SITEs and resources;
 * (2) snapshot 1 with a delta SITE; (3) final snapshot, blocks, exec, END. */
static void build_full(struct tb *t)
{
	tb_init(t);
	static const uint8_t bid[] = {0xde, 0xad, 0xbe, 0xef};
	tb_process(t, 1234, 1, 1700000000123456789ull, 0, "/usr/bin/app", 3, argv3);
	tb_module(t, 1, BASE, BASE + 0x1000, BASE + 0x5000, "/usr/bin/app", bid, sizeof(bid));
	tb_module(t, 2, LIBC, LIBC + 0x28000, LIBC + 0x1a0000, "/usr/lib/libc.so.6", NULL, 0);
	const uint64_t s1[] = {BASE + 0x1234, BASE + 0x1100, LIBC + 0x29d90};
	const uint64_t s2[] = {BASE + 0x2000};
	tb_stack(t, 1, 3, s1);
	tb_stack(t, 2, 1, s2);
	tb_fd_open(t, 3, 1, TRACE_FD_FILE, 0, 1, "/etc/hosts", "", "open");
	tb_fd_open(t, 4, 1, TRACE_FD_SOCKET, TRACE_FD_CLOEXEC, 2, "tcp 127.0.0.1:5000", "",
	           "socket");
	tb_fd_open(t, 4, 1, TRACE_FD_SOCKET, TRACE_FD_CLOEXEC, 2, "tcp 127.0.0.1:5000",
	           "127.0.0.1:80", "connect");
	tb_fd_open(t, 5, 1, TRACE_FD_PIPE, 0, 2, "", "", "pipe");
	tb_fd_close(t, 5, 1);
	tb_child(t, 2000, 2, 50, TRACE_CHILD_RUNNING, "fork", "");
	tb_thread(t, 2001, 1, 60, TRACE_THREAD_RUNNING);
	tb_tempfile(t, 1, 70, "/tmp/app.XXXX12", TRACE_TEMP_CREATED, "mkstemp");
	tb_unknown(t, 200, 5);
	tb_snapshot(t, 0, 1000000, 300, 3, 0, 0);
	tb_site(t, 1, 200, 2);
	tb_site(t, 2, 100, 1);
	tb_flush(t);

	tb_child(t, 2000, 2, 50, TRACE_CHILD_ZOMBIE, "fork", "");
	tb_thread(t, 2001, 1, 60, TRACE_THREAD_FINISHED);
	tb_snapshot(t, 1, 2000000, 500, 5, 0, 0);
	tb_site(t, 1, 400, 4); /* stack 2 unchanged: keeps 100/1 */
	tb_flush(t);

	tb_tempfile(t, 1, 70, "/tmp/app.XXXX12", TRACE_TEMP_EXISTS_AT_EXIT, "mkstemp");
	tb_exec(t, 2500000, "/bin/sh");
	tb_snapshot(t, 2, 3000000, 500, 5, 7, TRACE_SNAP_FINAL);
	tb_site(t, 2, 100, 1);
	tb_block(t, 0x1000, 100, 1, TRACE_BLOCK_SCANNED);
	tb_block(t, 0x2000, 300, 1, TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE);
	tb_block(t, 0x3000, 100, 2, 0);
	/* An END with one appended field a future writer might add: the codec writes the
	 * fields this build knows, the extra one goes after them and the length is patched. */
	size_t r = t->chunk.len;
	tb_end(t, 3500000, TRACE_END_EXIT, 3);
	trace_put_u(&t->chunk, 99999);
	trace_rec_end(&t->chunk, r);
	tb_flush(t);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct tb t;
	build_full(&t);
	struct model *m = model_create();
	struct err e = {{0}};
	assert_int_equal(trace_reader_load_mem(m, "mem.lkt", t.file.data, t.file.len, &e), 0);
	assert_int_equal(m->n_procs, 1);
	const struct model_proc *p = m->procs[0];
	assert_string_equal(p->trace_path, "mem.lkt");
	assert_int_equal(p->pid, 1234);
	assert_int_equal(p->ppid, 1);
	assert_int_equal(p->start_ns, 1700000000123456789ull);
	assert_string_equal(p->exe, "/usr/bin/app");
	assert_int_equal(p->argc, 3);
	assert_string_equal(p->argv[2], "5000");
	assert_false(p->truncated);
	assert_int_equal(p->n_chunks, 3);

	assert_int_equal(p->n_modules, 2);
	assert_int_equal(p->modules[0].build_id_len, 4);
	assert_int_equal(p->modules[0].build_id[3], 0xef);
	assert_string_equal(p->modules[1].path, "/usr/lib/libc.so.6");

	const struct model_stack *s1 = model_proc_stack(p, 1);
	assert_non_null(s1);
	assert_int_equal(s1->n_frames, 3);
	assert_int_equal(s1->frames[0], BASE + 0x1234);
	assert_int_equal(s1->frames[1], BASE + 0x1100);
	assert_int_equal(s1->frames[2], LIBC + 0x29d90);
	assert_string_equal(model_proc_frame_module(p, s1, 0)->path, "/usr/bin/app");
	assert_string_equal(model_proc_frame_module(p, s1, 2)->path, "/usr/lib/libc.so.6");
	assert_int_equal(s1->live_bytes, 400);
	assert_int_equal(s1->live_count, 4);
	assert_int_equal(s1->total_alloc_bytes, 407);

	/* Time series: stack 1 changed at snapshots 0 and 1; stack 2 only at 0 (the repeated
	 * identical SITE at snapshot 2 adds no point). */
	assert_int_equal(p->n_snaps, 3);
	assert_int_equal(s1->n_points, 2);
	const struct model_stack *s2 = model_proc_stack(p, 2);
	assert_int_equal(s2->n_points, 1);
	uint64_t b, c;
	model_stack_live_at(s2, 2, &b, &c);
	assert_int_equal(b, 100);
	assert_int_equal(c, 1);
	model_stack_live_at(s1, 0, &b, &c);
	assert_int_equal(b, 200);
	model_stack_live_at(s1, 2, &b, &c);
	assert_int_equal(b, 400);
	assert_int_equal(c, 4);

	assert_true(p->have_final);
	assert_int_equal(p->snaps[2].dropped_events, 7);
	assert_int_equal(p->n_blocks, 3);
	assert_int_equal(p->blocks[1].size, 300);
	assert_int_equal(p->blocks[1].flags, TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE);
	assert_int_equal(model_proc_peak_live(p), 500);

	/* fds: 3 open (no cloexec: inherited by the exec), 4 re-described by connect, 5 closed. */
	assert_int_equal(p->n_fds, 3);
	assert_int_equal(p->fds[0].fd, 3);
	assert_false(p->fds[0].closed);
	assert_true(p->fds[0].open_at_exec);
	assert_string_equal(p->fds[1].peer, "127.0.0.1:80");
	assert_string_equal(p->fds[1].api, "connect");
	assert_false(p->fds[1].open_at_exec);
	assert_true(p->fds[2].closed);
	assert_false(p->fds[2].open_at_exec);

	assert_int_equal(p->n_children, 1);
	assert_int_equal(p->children[0].state, TRACE_CHILD_ZOMBIE);
	assert_string_equal(p->children[0].api, "fork");
	assert_int_equal(p->n_threads, 1);
	assert_int_equal(p->threads[0].state, TRACE_THREAD_FINISHED);
	assert_int_equal(p->n_tempfiles, 1);
	assert_int_equal(p->tempfiles[0].state, TRACE_TEMP_EXISTS_AT_EXIT);
	assert_true(p->have_exec);
	assert_string_equal(p->exec_path, "/bin/sh");

	assert_true(p->have_end);
	assert_int_equal(p->end_reason, TRACE_END_EXIT);
	assert_int_equal(p->end_status, 3);
	assert_int_equal(model_proc_end_ns(p), 1700000000123456789ull + 3500000);

	model_destroy(m);
	tb_free(&t);
}

/* Offsets where each chunk ends, found by walking the chunk headers. */
static size_t chunk_ends(const struct tb *t, size_t *ends, size_t max)
{
	size_t off = TRACE_HEADER_SIZE, n = 0;
	while (off < t->file.len && n < max) {
		const uint8_t *h = t->file.data + off;
		uint32_t clen = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 |
		                (uint32_t)h[7] << 24;
		off += TRACE_CHUNK_HEADER_SIZE + clen;
		ends[n++] = off;
	}
	return n;
}

static void test_truncated_every_offset(void **state)
{
	(void)state;
	struct tb t;
	build_full(&t);
	size_t ends[8];
	size_t n_ends = chunk_ends(&t, ends, 8);
	assert_int_equal(n_ends, 3);
	assert_int_equal(ends[2], t.file.len);
	for (size_t cut = 0; cut < t.file.len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, t.file.data, cut);
		struct model *m = model_create();
		struct err e = {{0}};
		int rc = trace_reader_load_mem(m, "cut", copy, cut, &e);
		size_t complete = 0;
		while (complete < n_ends && ends[complete] <= cut)
			complete++;
		if (cut < TRACE_HEADER_SIZE) {
			/* Not even a header: always a one-line error, never a crash. */
			assert_int_equal(rc, -1);
			assert_int_equal(m->n_procs, 0);
			assert_true(strlen(e.msg) > 0);
		} else if (complete == 0) {
			/* A header and part of a chunk: an empty truncated process. */
			assert_int_equal(rc, 0);
			assert_false(m->procs[0]->have_process);
			assert_true(m->procs[0]->truncated);
			assert_int_equal(m->procs[0]->n_chunks, 0);
		} else {
			assert_int_equal(rc, 0);
			const struct model_proc *p = m->procs[0];
			assert_int_equal(p->n_chunks, complete);
			assert_int_equal(p->truncated, cut != ends[complete - 1]);
			assert_int_equal(p->pid, 1234);
			assert_int_equal(p->n_snaps, complete);
			assert_int_equal(p->have_end, complete == 3);
			/* Without the last chunk, the stack keeps the values of snapshot 1. */
			if (complete == 2)
				assert_int_equal(model_proc_stack(p, 1)->live_bytes, 400);
		}
		model_destroy(m);
		free(copy);
	}
	tb_free(&t);
}

static int load_err(const void *buf, size_t len, char *msg, size_t msg_len)
{
	struct model *m = model_create();
	struct err e = {{0}};
	int rc = trace_reader_load_mem(m, "x", buf, len, &e);
	snprintf(msg, msg_len, "%s", e.msg);
	assert_int_equal(m->n_procs, rc == 0 ? 1 : 0);
	model_destroy(m);
	return rc;
}

static void test_bad_headers(void **state)
{
	(void)state;
	char msg[256];
	assert_int_equal(load_err("", 0, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "empty file");

	uint8_t rnd[4096];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(rnd); i++) {
		x = x * 1103515245u + 12345u;
		rnd[i] = (uint8_t)(x >> 16);
	}
	assert_int_equal(load_err(rnd, sizeof(rnd), msg, sizeof(msg)), -1);
	assert_string_equal(msg, "not a libleak trace");
	assert_int_equal(load_err("\x7f"
	                          "ELF",
	                          4, msg, sizeof(msg)),
	                 -1);
	assert_string_equal(msg, "not a libleak trace");

	struct tb t;
	tb_init_version(&t, 99);
	tb_process(&t, 1, 0, 0, 0, "/a", 0, NULL);
	tb_flush(&t);
	assert_int_equal(load_err(t.file.data, t.file.len, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "unsupported format version 99 (this build reads 1)");
	tb_free(&t);

	/* Header only (a process that ended before its first snapshot): an empty truncated
	 * process, with the pid taken from a leak.<exe>.<pid>.lkt name. */
	tb_init(&t);
	struct model *m = model_create();
	struct err e = {{0}};
	assert_int_equal(
	    trace_reader_load_mem(m, "/d/leak.a.b.4321.lkt", t.file.data, t.file.len, &e), 0);
	assert_false(m->procs[0]->have_process);
	assert_true(m->procs[0]->truncated);
	assert_int_equal(m->procs[0]->pid, 4321);
	assert_non_null(strstr(m->procs[0]->truncation, "no complete chunk"));
	assert_int_equal(trace_reader_load_mem(m, "leak.x.lkt", t.file.data, t.file.len, &e), 0);
	assert_int_equal(m->procs[1]->pid, 0);
	model_destroy(m);
	/* Complete chunks but no PROCESS record. */
	tb_snapshot(&t, 0, 1, 0, 0, 0, 0);
	tb_flush(&t);
	assert_int_equal(load_err(t.file.data, t.file.len, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "no PROCESS record");
	tb_free(&t);
}

/* Builds a one-chunk trace whose chunk header or records are damaged by `how`. */
static void test_corrupt_first_chunk(void **state)
{
	(void)state;
	char msg[256];
	struct tb t;

	/* Compressed length beyond 64 MiB. */
	tb_init(&t);
	tb_raw(&t.file, "LKCK", 4);
	tb_le(&t.file, (64u << 20) + 1, 4);
	tb_le(&t.file, 10, 4);
	assert_int_equal(load_err(t.file.data, t.file.len, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "out of range"));
	tb_free(&t);

	/* Raw length that does not match the frame. */
	tb_init(&t);
	tb_process(&t, 1, 0, 0, 0, "/a", 0, NULL);
	tb_flush(&t);
	t.file.data[TRACE_HEADER_SIZE + 8] ^= 1;
	assert_int_equal(load_err(t.file.data, t.file.len, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "corrupt chunk at offset 16"));
	tb_free(&t);

	/* Bad chunk magic. */
	tb_init(&t);
	tb_process(&t, 1, 0, 0, 0, "/a", 0, NULL);
	tb_flush(&t);
	t.file.data[TRACE_HEADER_SIZE] = 'X';
	assert_int_equal(load_err(t.file.data, t.file.len, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "bad chunk magic"));
	tb_free(&t);

	/* A STACK with 257 frames (by hand: the encoder clamps at TRACE_MAX_FRAMES). */
	tb_init(&t);
	tb_process(&t, 1, 0, 0, 0, "/a", 0, NULL);
	size_t r = trace_rec_begin(&t.chunk, TRACE_TAG_STACK);
	trace_put_u(&t.chunk, 1);
	trace_put_u(&t.chunk, 257);
	for (int i = 0; i < 257; i++)
		trace_put_u(&t.chunk, 1);
	trace_rec_end(&t.chunk, r);
	tb_flush(&t);
	assert_int_equal(load_err(t.file.data, t.file.len, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "bad STACK record"));
	tb_free(&t);

	/* A string longer than the record, and a record longer than the chunk (by hand: no
	 * encoder writes either). */
	tb_init(&t);
	r = trace_rec_begin(&t.chunk, TRACE_TAG_TEMPFILE);
	trace_put_u(&t.chunk, 1);
	trace_put_u(&t.chunk, 1);
	trace_put_u(&t.chunk, 1000000); /* path length */
	trace_rec_end(&t.chunk, r);
	tb_flush(&t);
	assert_int_equal(load_err(t.file.data, t.file.len, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "bad TEMPFILE record"));
	tb_free(&t);

	tb_init(&t);
	uint8_t rec[] = {TRACE_TAG_SITE, 0xff, 0xff, 0x7f, 1};
	tb_raw(&t.chunk, rec, sizeof(rec));
	tb_flush(&t);
	assert_int_equal(load_err(t.file.data, t.file.len, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "length past the chunk end"));
	tb_free(&t);

	/* Stack id of 2^32. */
	tb_init(&t);
	tb_process(&t, 1, 0, 0, 0, "/a", 0, NULL);
	tb_site(&t, 1ull << 32, 1, 1);
	tb_flush(&t);
	assert_int_equal(load_err(t.file.data, t.file.len, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "2^32"));
	tb_free(&t);
}

/* A corrupt chunk after a good one: the good one is kept, nothing of the bad one applies. */
static void test_corrupt_later_chunk(void **state)
{
	(void)state;
	struct tb t;
	tb_init(&t);
	tb_process(&t, 7, 1, 0, 0, "/a", 0, NULL);
	tb_snapshot(&t, 0, 1, 10, 1, 0, 0);
	tb_site(&t, 1, 10, 1);
	tb_flush(&t);
	size_t second = t.file.len;
	tb_snapshot(&t, 1, 2, 20, 2, 0, 0);
	tb_site(&t, 1, 20, 2);
	tb_stack(&t, 1ull << 33, 0, NULL); /* an id the reader refuses */
	tb_flush(&t);
	struct model *m = model_create();
	struct err e = {{0}};
	assert_int_equal(trace_reader_load_mem(m, "x", t.file.data, t.file.len, &e), 0);
	const struct model_proc *p = m->procs[0];
	assert_true(p->truncated);
	assert_non_null(strstr(p->truncation, "corrupt chunk at offset"));
	char want[64];
	snprintf(want, sizeof(want), "offset %zu", second);
	assert_non_null(strstr(p->truncation, want));
	assert_int_equal(p->n_snaps, 1);
	assert_int_equal(model_proc_stack(p, 1)->live_bytes, 10);
	model_destroy(m);
	tb_free(&t);
}

/* Structured fuzzing: valid framing around damaged record bytes (the part zstd's checksum
 * would otherwise protect). Every outcome must be a clean load or a one-line error; ASan and
 * UBSan (make asan) catch anything else. */
static void test_mutated_records(void **state)
{
	(void)state;
	uint32_t x = 99;
	int loaded = 0, refused = 0;
	for (int iter = 0; iter < 3000; iter++) {
		struct tb t;
		tb_init(&t);
		const char *const argv1[] = {"/a"};
		tb_process(&t, 1, 0, 0, 0, "/a", 1, argv1);
		const uint64_t fr[] = {0x1000, 0x2000, 0x1500};
		tb_module(&t, 1, 0, 0x1000, 0x3000, "/a", "\x01", 1);
		tb_stack(&t, 1, 3, fr);
		tb_fd_open(&t, 3, 1, 0, 0, 1, "/p", "", "open");
		tb_child(&t, 5, 1, 1, 1, "fork", "");
		tb_thread(&t, 6, 1, 1, 1);
		tb_tempfile(&t, 1, 1, "/t", 2, "mkstemp");
		tb_snapshot(&t, 0, 1, 10, 1, 0, TRACE_SNAP_FINAL);
		tb_site(&t, 1, 10, 1);
		tb_block(&t, 0x10, 10, 1, 0);
		tb_exec(&t, 2, "/b");
		tb_end(&t, 3, 0, 0);
		int n_mut = 1 + (int)((x >> 8) % 6);
		for (int k = 0; k < n_mut && t.chunk.len; k++) {
			x = x * 1103515245u + 12345u;
			size_t pos = (x >> 4) % t.chunk.len;
			x = x * 1103515245u + 12345u;
			t.chunk.data[pos] = (uint8_t)(x >> 16);
		}
		x = x * 1103515245u + 12345u;
		if ((x >> 20) % 4 == 0)
			t.chunk.len = (x >> 4) % t.chunk.len;
		tb_flush(&t);
		struct model *m = model_create();
		struct err e = {{0}};
		int rc = trace_reader_load_mem(m, "fuzz", t.file.data, t.file.len, &e);
		assert_true(rc == 0 || rc == -1);
		if (rc == 0) {
			loaded++;
			struct analysis *a;
			struct analyze_opts o = {0};
			assert_int_equal(analyze_run(m, &o, &a, &e), 0);
			analyze_free(a);
		} else {
			refused++;
			assert_true(e.msg[0] != '\0');
		}
		model_destroy(m);
		tb_free(&t);
	}
	/* Both outcomes must actually occur, or the mutation is not exercising anything. */
	assert_true(loaded > 100);
	assert_true(refused > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_truncated_every_offset),
	    cmocka_unit_test(test_bad_headers),
	    cmocka_unit_test(test_corrupt_first_chunk),
	    cmocka_unit_test(test_corrupt_later_chunk),
	    cmocka_unit_test(test_mutated_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
