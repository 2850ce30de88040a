/* SPDX-License-Identifier: MIT */
/* test_analyze.c - analyze*.c and finding.c on synthesized traces: leaks grouped by stack
 * and ranked by bytes, reachable blocks split off and ranked after leaks, the SITE fallback
 * when the final snapshot is missing, --min-bytes, fd/zombie/child/thread/tempfile findings
 * with their exact ids and fields, temp files grouped by stack and API with every path,
 * --fail-on parsing and matching (tempfile>N counting files), process-tree order, Python
 * sites merged across the interpreter's own frames, one JavaScript call compiled in two
 * tiers reported once, and native frames merged by the symbolizer's function, file and line
 * (two calls of one source line, as an unrolled loop makes) but by address without a name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "fail_on.h"
#include "symbolizer.h"
#include "trace_reader.h"
#include "trace_builder.h"

static struct model *load(struct tb *t)
{
	struct model *m = model_create();
	struct err e = {{0}};
	assert_int_equal(trace_reader_load_mem(m, "t", t->file.data, t->file.len, &e), 0);
	return m;
}

static struct analysis *run(struct model *m, uint64_t min_bytes)
{
	struct analyze_opts o = {.min_bytes = min_bytes};
	struct analysis *a;
	struct err e = {{0}};
	assert_int_equal(analyze_run(m, &o, &a, &e), 0);
	return a;
}

static void heap_trace(struct tb *t, bool final)
{
	tb_init(t);
	tb_process(t, 10, 1, 0, 0, "/app", 0, NULL);
	const uint64_t f1[] = {0x1000}, f2[] = {0x2000}, f3[] = {0x3000};
	tb_stack(t, 1, 1, f1);
	tb_stack(t, 2, 1, f2);
	tb_stack(t, 3, 1, f3);
	tb_snapshot(t, 0, 1, 0, 0, 0, 0);
	tb_site(t, 1, 300, 3);
	tb_site(t, 2, 5000, 1);
	tb_site(t, 3, 64, 2);
	tb_flush(t);
	if (!final)
		return;
	tb_snapshot(t, 1, 2, 0, 0, 0, TRACE_SNAP_FINAL);
	/* stack 1: three 100-byte leaks; stack 2: one 5000-byte block the scan found
	 * reachable; stack 3: a 32-byte leak and a 32-byte reachable block; a block flagged
	 * reachable without the scanned bit is a leak. */
	tb_block(t, 0xa0, 100, 1, TRACE_BLOCK_SCANNED);
	tb_block(t, 0xa1, 100, 1, TRACE_BLOCK_SCANNED);
	tb_block(t, 0xa2, 100, 1, TRACE_BLOCK_REACHABLE);
	tb_block(t, 0xb0, 5000, 2, TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE);
	tb_block(t, 0xc0, 32, 3, TRACE_BLOCK_SCANNED);
	tb_block(t, 0xc1, 32, 3, TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE);
	tb_end(t, 3, TRACE_END_EXIT, 0);
	tb_flush(t);
}

/* Blocks leaked only through other leaked blocks (the indirect bit, with the scanned bit):
 * grouped by stack apart from the direct leaks of the same stack, ranked after every leak and
 * before reachable memory, and not acted on alone. Without the scanned bit the indirect bit
 * means nothing (a leak); with the reachable bit, reachable wins. A leak holds the indirect
 * blocks whose owner is one of its blocks, and ranks by what it holds too. */
static void test_indirect(void **state)
{
	(void)state;
	struct tb t;
	tb_init(&t);
	tb_process(&t, 10, 1, 0, 0, "/app", 0, NULL);
	const uint64_t f1[] = {0x1000}, f2[] = {0x2000}, f3[] = {0x3000}, f4[] = {0x4000};
	tb_stack(&t, 1, 1, f1);
	tb_stack(&t, 2, 1, f2);
	tb_stack(&t, 3, 1, f3);
	tb_stack(&t, 4, 1, f4);
	tb_snapshot(&t, 1, 2, 0, 0, 0, TRACE_SNAP_FINAL);
	tb_block(&t, 0xa0, 40, 1, TRACE_BLOCK_SCANNED);
	tb_block_owned(&t, 0xa1, 40, 1, 0xa0);
	for (uint64_t i = 0; i < 3; i++)
		tb_block_owned(&t, 0xb0 + i, 24, 2, 0xa0);
	tb_block(&t, 0xc0, 8, 3, TRACE_BLOCK_INDIRECT);
	tb_block(&t, 0xd0, 50, 4, TRACE_BLOCK_SCANNED); /* holds nothing: ranks after 0xa0 */
	tb_block_owned(&t, 0xd1, 16, 4, 0xdead);        /* an owner not among the leaks */
	tb_block(&t, 0xc1, 16, 3,
	         TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE | TRACE_BLOCK_INDIRECT);
	tb_end(&t, 3, TRACE_END_EXIT, 0);
	tb_flush(&t);
	struct model *m = load(&t);
	struct analysis *a = run(m, 0);
	const struct finding_list *l = &a->procs[0].findings;
	const struct {
		enum finding_kind kind;
		uint32_t stack;
		uint64_t bytes, count, held_bytes, held_count;
	} want[] = {
	    {FINDING_LEAK, 1, 40, 1, 112, 4},    {FINDING_LEAK, 4, 50, 1, 0, 0},
	    {FINDING_LEAK, 3, 8, 1, 0, 0},       {FINDING_INDIRECT, 2, 72, 3, 0, 0},
	    {FINDING_INDIRECT, 1, 40, 1, 0, 0},  {FINDING_INDIRECT, 4, 16, 1, 0, 0},
	    {FINDING_REACHABLE, 3, 16, 1, 0, 0},
	};
	size_t nw = sizeof(want) / sizeof(want[0]);
	assert_int_equal(l->n, nw);
	for (size_t i = 0; i < nw; i++) {
		assert_int_equal(l->items[i].kind, want[i].kind);
		assert_int_equal(l->items[i].stack_id, want[i].stack);
		assert_int_equal(l->items[i].bytes, want[i].bytes);
		assert_int_equal(l->items[i].count, want[i].count);
		assert_int_equal(l->items[i].held_bytes, want[i].held_bytes);
		assert_int_equal(l->items[i].held_count, want[i].held_count);
	}
	assert_int_equal(finding_list_actionable(l), 3);
	assert_true(finding_kind_is_heap(FINDING_INDIRECT));
	assert_string_equal(finding_kind_name(FINDING_INDIRECT), "indirect");
	uint32_t mask;
	struct err e = {{0}};
	assert_int_equal(finding_kinds_parse("indirect", &mask, &e), 0);
	assert_int_equal(mask, 1u << FINDING_INDIRECT);
	assert_true(analyze_matches(a, mask));
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

static void test_leaks_and_reachable(void **state)
{
	(void)state;
	struct tb t;
	heap_trace(&t, true);
	struct model *m = load(&t);
	struct analysis *a = run(m, 0);
	assert_int_equal(a->n_procs, 1);
	const struct finding_list *l = &a->procs[0].findings;
	assert_false(a->procs[0].heap_from_sites);
	assert_int_equal(l->n, 4);
	/* Leaks by bytes, then reachable by bytes, although 5000 > 300. */
	assert_int_equal(l->items[0].kind, FINDING_LEAK);
	assert_int_equal(l->items[0].stack_id, 1);
	assert_int_equal(l->items[0].bytes, 300);
	assert_int_equal(l->items[0].count, 3);
	assert_int_equal(l->items[1].kind, FINDING_LEAK);
	assert_int_equal(l->items[1].stack_id, 3);
	assert_int_equal(l->items[1].bytes, 32);
	assert_int_equal(l->items[1].count, 1);
	assert_int_equal(l->items[2].kind, FINDING_REACHABLE);
	assert_int_equal(l->items[2].stack_id, 2);
	assert_int_equal(l->items[2].bytes, 5000);
	assert_int_equal(l->items[3].kind, FINDING_REACHABLE);
	assert_int_equal(l->items[3].stack_id, 3);

	uint32_t mask;
	struct err e = {{0}};
	assert_int_equal(finding_kinds_parse("leak", &mask, &e), 0);
	assert_true(analyze_matches(a, mask));
	assert_int_equal(finding_kinds_parse("fd,zombie", &mask, &e), 0);
	assert_int_equal(mask, (1u << FINDING_FD) | (1u << FINDING_ZOMBIE));
	assert_false(analyze_matches(a, mask));
	assert_int_equal(finding_kinds_parse("leak,bogus", &mask, &e), -1);
	assert_string_equal(e.msg, "unknown finding kind 'bogus'");
	assert_int_equal(finding_kinds_parse("", &mask, &e), -1);
	analyze_free(a);

	/* --min-bytes 100: the 32-byte groups go, the others stay. */
	a = run(m, 100);
	l = &a->procs[0].findings;
	assert_int_equal(l->n, 2);
	assert_int_equal(l->items[0].bytes, 300);
	assert_int_equal(l->items[1].bytes, 5000);
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

/* LEAK_SAMPLE=N: each BLOCK is one sampled allocation standing for s/p bytes and 1/p blocks,
 * p = 1 - exp(-s/N); an allocation of N bytes or more is nearly always sampled. */
static void test_sampled_blocks_scaled(void **state)
{
	(void)state;
	struct tb t;
	tb_init(&t);
	tb_process_sampled(&t, 10, 1, 0, TRACE_PROC_SAMPLED, 1000, "/app", 0, NULL);
	const uint64_t f1[] = {0x1000}, f2[] = {0x2000};
	tb_stack(&t, 1, 1, f1);
	tb_stack(&t, 2, 1, f2);
	tb_snapshot(&t, 0, 1, 0, 0, 0, TRACE_SNAP_FINAL);
	tb_block(&t, 0xa0, 100, 1, TRACE_BLOCK_SCANNED); /* p = 1 - e^-0.1 = 0.0952 */
	tb_block(&t, 0xa1, 100, 1, TRACE_BLOCK_SCANNED);
	tb_block(&t, 0xb0, 20000, 2, TRACE_BLOCK_SCANNED); /* p = 1 - e^-20 ~ 1 */
	tb_end(&t, 2, TRACE_END_EXIT, 0);
	tb_flush(&t);
	struct model *m = load(&t);
	struct analysis *a = run(m, 0);
	const struct finding_list *l = &a->procs[0].findings;
	assert_int_equal(l->n, 2);
	assert_int_equal(l->items[0].stack_id, 2);
	assert_int_equal(l->items[0].bytes, 20000);
	assert_int_equal(l->items[0].count, 1);
	/* 2 x 100 / 0.0951626 = 2101.67 bytes, 2 / 0.0951626 = 21.02 blocks */
	assert_int_equal(l->items[1].stack_id, 1);
	assert_int_equal(l->items[1].bytes, 2102);
	assert_int_equal(l->items[1].count, 21);
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

static void test_sites_fallback(void **state)
{
	(void)state;
	struct tb t;
	heap_trace(&t, false);
	struct model *m = load(&t);
	struct analysis *a = run(m, 0);
	const struct finding_list *l = &a->procs[0].findings;
	assert_true(a->procs[0].heap_from_sites);
	assert_int_equal(l->n, 3);
	assert_int_equal(l->items[0].stack_id, 2);
	assert_int_equal(l->items[0].bytes, 5000);
	assert_int_equal(l->items[0].count, 1);
	assert_int_equal(l->items[1].stack_id, 1);
	assert_int_equal(l->items[2].stack_id, 3);
	assert_int_equal(l->items[2].count, 2);
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

/* A shell's descriptor of the script it runs is the interpreter's, not a finding; another
 * file it leaves open is one, and so is the script's path in a program that is no shell or
 * in a shell that ran a string (-c). */
static size_t script_fd_findings(const char *exe, int argc, const char *const *argv,
                                 const char *path)
{
	struct tb t;
	tb_init(&t);
	tb_process(&t, 10, 1, 0, 0, exe, argc, argv);
	tb_fd_open(&t, 255, 1, TRACE_FD_FILE, 0, 5, path, "", "dup2");
	tb_snapshot(&t, 0, 1, 0, 0, 0, TRACE_SNAP_FINAL);
	tb_end(&t, 2, TRACE_END_EXIT, 0);
	tb_flush(&t);
	struct model *m = load(&t);
	struct analysis *a = run(m, 0);
	size_t n = 0;
	for (size_t i = 0; i < a->procs[0].findings.n; i++)
		n += a->procs[0].findings.items[i].kind == FINDING_FD;
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
	return n;
}

static void test_shell_script_fd(void **state)
{
	(void)state;
	static const char *const abs[] = {"/bin/bash", "/srv/run.sh"};
	static const char *const rel[] = {"sh", "./bin/run.sh", "x"};
	static const char *const opt[] = {"dash", "-e", "--", "bin/run.sh"};
	static const char *const str[] = {"bash", "-c", "run.sh"};
	static const char *const other[] = {"/usr/bin/cat", "/srv/run.sh"};
	static const char *const up[] = {"sh", "../srv/run.sh"};
	assert_int_equal(script_fd_findings("/usr/bin/bash", 2, abs, "/srv/run.sh"), 0);
	assert_int_equal(script_fd_findings("/usr/bin/dash", 3, rel, "/srv/bin/run.sh"), 0);
	assert_int_equal(script_fd_findings("/usr/bin/dash", 4, opt, "/srv/bin/run.sh"), 0);
	assert_int_equal(script_fd_findings("/usr/bin/bash", 2, abs, "/etc/hosts"), 1);
	assert_int_equal(script_fd_findings("/usr/bin/dash", 3, rel, "/srv/bin/xrun.sh"), 1);
	assert_int_equal(script_fd_findings("/usr/bin/bash", 3, str, "/srv/run.sh"), 1);
	assert_int_equal(script_fd_findings("/usr/bin/cat", 2, other, "/srv/run.sh"), 1);
	assert_int_equal(script_fd_findings("/usr/bin/dash", 2, up, "/srv/run.sh"), 1);
}

static void test_resources(void **state)
{
	(void)state;
	struct tb t;
	tb_init(&t);
	tb_process(&t, 10, 1, 0, 0, "/app", 0, NULL);
	/* fds: 0-2 and an inherited one are ignored; 3 and 4 (stack 5, file) group; 6 is a
	 * socket of the same stack (other group, cloexec); 7 was closed. */
	tb_fd_open(&t, 1, 1, TRACE_FD_FILE, 0, 5, "/dev/null", "", "open");
	tb_fd_open(&t, 9, 1, TRACE_FD_PIPE, TRACE_FD_INHERITED, 0, "", "", "");
	tb_fd_open(&t, 3, 1, TRACE_FD_FILE, 0, 5, "/etc/hosts", "", "open");
	tb_fd_open(&t, 4, 1, TRACE_FD_FILE, 0, 5, "/etc/hosts", "", "open");
	tb_fd_open(&t, 6, 1, TRACE_FD_SOCKET, TRACE_FD_CLOEXEC, 5, "tcp 127.0.0.1:4000", "",
	           "socket");
	tb_fd_open(&t, 6, 1, TRACE_FD_SOCKET, TRACE_FD_CLOEXEC, 5, "tcp 127.0.0.1:4000",
	           "127.0.0.1:80", "connect");
	tb_fd_open(&t, 7, 1, TRACE_FD_FILE, 0, 5, "/tmp/x", "", "open");
	tb_fd_close(&t, 7, 1);
	/* fd 7 reused (gen 2) and left open: a new finding entry in the stack-5 file group. */
	tb_fd_open(&t, 7, 2, TRACE_FD_FILE, 0, 5, "/etc/hosts", "", "open");
	/* children: 2 zombies from stack 8, one reaped, one running; pid 300 reused. */
	tb_child(&t, 100, 8, 1, TRACE_CHILD_RUNNING, "fork", "");
	tb_child(&t, 101, 8, 2, TRACE_CHILD_RUNNING, "fork", "");
	tb_child(&t, 102, 8, 3, TRACE_CHILD_RUNNING, "fork", "");
	tb_child(&t, 300, 9, 4, TRACE_CHILD_RUNNING, "posix_spawn", "/bin/true");
	tb_snapshot(&t, 0, 1, 0, 0, 0, 0);
	tb_flush(&t);
	tb_child(&t, 100, 8, 1, TRACE_CHILD_ZOMBIE, "fork", "");
	tb_child(&t, 101, 8, 2, TRACE_CHILD_ZOMBIE, "fork", "");
	tb_child(&t, 102, 8, 3, TRACE_CHILD_REAPED, "fork", "");
	tb_child(&t, 300, 9, 4, TRACE_CHILD_REAPED, "posix_spawn", "/bin/true");
	tb_child(&t, 300, 9, 5, TRACE_CHILD_RUNNING, "posix_spawn", "/bin/sleep");
	/* threads: 2 finished unjoined (stack 11), 1 running joinable, 1 joined, 1 detached. */
	tb_thread(&t, 501, 11, 1, TRACE_THREAD_FINISHED);
	tb_thread(&t, 502, 11, 2, TRACE_THREAD_FINISHED);
	tb_thread(&t, 503, 11, 3, TRACE_THREAD_RUNNING);
	tb_thread(&t, 504, 11, 4, TRACE_THREAD_JOINED);
	tb_thread(&t, 505, 12, 5, TRACE_THREAD_DETACHED);
	tb_tempfile(&t, 13, 1, "/tmp/a.1", TRACE_TEMP_CREATED, "mkstemp");
	tb_tempfile(&t, 13, 2, "/tmp/a.2", TRACE_TEMP_CREATED, "mkstemp");
	tb_tempfile(&t, 13, 1, "/tmp/a.1", TRACE_TEMP_REMOVED, "mkstemp");
	tb_tempfile(&t, 13, 2, "/tmp/a.2", TRACE_TEMP_EXISTS_AT_EXIT, "mkstemp");
	tb_exec(&t, 9, "/bin/sh");
	tb_snapshot(&t, 1, 2, 0, 0, 0, TRACE_SNAP_FINAL);
	tb_end(&t, 10, TRACE_END_EXEC, 0);
	tb_flush(&t);
	struct model *m = load(&t);
	struct analysis *a = run(m, 0);
	const struct finding_list *l = &a->procs[0].findings;
	const struct finding *fd_file = NULL, *fd_sock = NULL, *zombie = NULL, *child = NULL,
	                     *unjoined = NULL, *running = NULL, *temp = NULL;
	size_t n_kind[FINDING_NKINDS] = {0};
	for (size_t i = 0; i < l->n; i++) {
		const struct finding *f = &l->items[i];
		n_kind[f->kind]++;
		assert_int_equal(f->bytes, 0);
		if (f->kind == FINDING_FD && strcmp(f->fd_type, "file") == 0)
			fd_file = f;
		if (f->kind == FINDING_FD && strcmp(f->fd_type, "socket") == 0)
			fd_sock = f;
		if (f->kind == FINDING_ZOMBIE)
			zombie = f;
		if (f->kind == FINDING_CHILD)
			child = f;
		if (f->kind == FINDING_THREAD && strcmp(f->state, "unjoined") == 0)
			unjoined = f;
		if (f->kind == FINDING_THREAD && strcmp(f->state, "running") == 0)
			running = f;
		if (f->kind == FINDING_TEMPFILE)
			temp = f;
	}
	assert_int_equal(l->n, 7);
	assert_int_equal(n_kind[FINDING_FD], 2);
	assert_int_equal(n_kind[FINDING_LEAK], 0);

	assert_non_null(fd_file);
	assert_int_equal(fd_file->count, 3);
	assert_int_equal(fd_file->n_ids, 3);
	assert_int_equal(fd_file->ids[0], 3);
	assert_int_equal(fd_file->ids[1], 4);
	assert_int_equal(fd_file->ids[2], 7);
	assert_string_equal(fd_file->path, "/etc/hosts");
	assert_string_equal(fd_file->api, "open");
	assert_int_equal(fd_file->stack_id, 5);
	assert_true(fd_file->inherited_by_exec);
	assert_non_null(fd_sock);
	assert_int_equal(fd_sock->count, 1);
	assert_int_equal(fd_sock->ids[0], 6);
	assert_string_equal(fd_sock->peer, "127.0.0.1:80");
	assert_string_equal(fd_sock->api, "connect");
	assert_false(fd_sock->inherited_by_exec);

	assert_non_null(zombie);
	assert_int_equal(zombie->count, 2);
	assert_int_equal(zombie->ids[0], 100);
	assert_int_equal(zombie->ids[1], 101);
	assert_int_equal(zombie->stack_id, 8);
	assert_non_null(child);
	assert_int_equal(child->count, 1);
	assert_int_equal(child->ids[0], 300);
	assert_int_equal(child->stack_id, 9);
	assert_string_equal(child->state, "running");

	assert_non_null(unjoined);
	assert_int_equal(unjoined->count, 2);
	assert_int_equal(unjoined->ids[1], 502);
	assert_non_null(running);
	assert_int_equal(running->count, 1);
	assert_int_equal(running->ids[0], 503);

	assert_non_null(temp);
	assert_string_equal(temp->path, "/tmp/a.2");
	assert_int_equal(temp->stack_id, 13);
	assert_string_equal(temp->api, "mkstemp");

	/* Non-heap kinds rank by count: the 3-fd group first. */
	assert_ptr_equal(&l->items[0], fd_file);

	uint32_t mask;
	struct err e = {{0}};
	assert_int_equal(finding_kinds_parse("zombie", &mask, &e), 0);
	assert_true(analyze_matches(a, mask));
	assert_int_equal(finding_kinds_parse("leak,reachable", &mask, &e), 0);
	assert_false(analyze_matches(a, mask));
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

/* Temp files left on disk group by creating stack and API like descriptors: one finding per
 * group with the count and every path (ids index the model's temp files, in creation order);
 * a removed one is not counted; --fail-on tempfile>N counts files, not findings. */
static void test_tempfiles_grouped(void **state)
{
	(void)state;
	struct tb t;
	tb_init(&t);
	tb_process(&t, 10, 1, 0, 0, "/app", 0, NULL);
	const uint64_t f1[] = {0x1000, 0x1100}, f2[] = {0x2000, 0x1100};
	tb_stack(&t, 1, 2, f1);
	tb_stack(&t, 2, 2, f2);
	static const char *const paths[] = {"/tmp/a.1", "/tmp/a.2", "/tmp/a.3", "/tmp/a.4"};
	for (int i = 0; i < 4; i++)
		tb_tempfile(&t, 1, (uint64_t)i + 1, paths[i], TRACE_TEMP_CREATED, "mkstemp");
	tb_tempfile(&t, 2, 5, "/tmp/b.1", TRACE_TEMP_CREATED, "mkstemp");
	tb_tempfile(&t, 1, 6, "/tmp/d.1", TRACE_TEMP_CREATED, "mkdtemp");
	tb_tempfile(&t, 1, 2, "/tmp/a.2", TRACE_TEMP_REMOVED, "mkstemp");
	for (int i = 0; i < 4; i++)
		if (i != 1)
			tb_tempfile(&t, 1, (uint64_t)i + 1, paths[i], TRACE_TEMP_EXISTS_AT_EXIT,
			            "mkstemp");
	tb_tempfile(&t, 2, 5, "/tmp/b.1", TRACE_TEMP_EXISTS_AT_EXIT, "mkstemp");
	tb_tempfile(&t, 1, 6, "/tmp/d.1", TRACE_TEMP_EXISTS_AT_EXIT, "mkdtemp");
	tb_snapshot(&t, 0, 2, 0, 0, 0, TRACE_SNAP_FINAL);
	tb_end(&t, 3, TRACE_END_EXIT, 0);
	tb_flush(&t);
	struct model *m = load(&t);
	struct analysis *a = run(m, 0);
	const struct model_proc *p = a->procs[0].proc;
	const struct finding_list *l = &a->procs[0].findings;
	assert_int_equal(l->n, 3);
	/* Ranked by count: the three mkstemp files of stack 1 first, then stack order. */
	const struct finding *g = &l->items[0];
	assert_int_equal(g->kind, FINDING_TEMPFILE);
	assert_int_equal(g->stack_id, 1);
	assert_int_equal(g->count, 3);
	assert_string_equal(g->api, "mkstemp");
	assert_string_equal(g->path, "/tmp/a.1");
	assert_int_equal(g->n_ids, 3);
	assert_string_equal(p->tempfiles[g->ids[0]].path, "/tmp/a.1");
	assert_string_equal(p->tempfiles[g->ids[1]].path, "/tmp/a.3");
	assert_string_equal(p->tempfiles[g->ids[2]].path, "/tmp/a.4");
	assert_int_equal(g->n_paths, 3);
	assert_string_equal(g->paths[2], "/tmp/a.4");
	assert_int_equal(l->items[1].stack_id, 1);
	assert_int_equal(l->items[1].count, 1);
	assert_string_equal(l->items[1].api, "mkdtemp");
	assert_string_equal(l->items[1].path, "/tmp/d.1");
	assert_int_equal(l->items[2].stack_id, 2);
	assert_int_equal(l->items[2].count, 1);
	assert_string_equal(l->items[2].path, "/tmp/b.1");

	struct fail_rules rs = {0};
	struct err e = {{0}};
	assert_int_equal(fail_rules_parse(&rs, "tempfile>4", &e), 0);
	assert_int_equal(fail_rules_match(&rs, a, false), 1u << FINDING_TEMPFILE);
	rs.n = 0;
	assert_int_equal(fail_rules_parse(&rs, "tempfile>5", &e), 0);
	assert_int_equal(fail_rules_match(&rs, a, false), 0);
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

/* Python stacks that differ only in the interpreter's native frames between and below their
 * Python frames (CPython 3.11 calls one line through different C paths on its first calls)
 * are one site: their findings merge, ids and temp file paths back in order. Different native
 * frames up to the first Python frame, a different Python frame, or native-only stacks that
 * differ keep findings apart. */
#define PYF(code, instr) (TRACE_FRAME_PY | (uint64_t)(code) << 32 | (instr))
static void test_python_interpreter_frames_merged(void **state)
{
	(void)state;
	struct tb t;
	tb_init(&t);
	tb_process(&t, 10, 1, 0, 0, "/usr/bin/python3", 0, NULL);
	tb_py_code(&t, 1, 9, "handle", "app.py");
	tb_py_code(&t, 2, 19, "main", "app.py");
	tb_py_code(&t, 3, 24, "<module>", "app.py");
	tb_py_code(&t, 4, 30, "other", "app.py");
	const uint64_t s1[] = {0x5000, 0x5100, PYF(1, 2), 0x6000, PYF(2, 0),
	                       0x7000, 0x7100, PYF(3, 0), 0x8000},
	               /* as s1 with other interpreter frames (and another offset on the line) */
	    s2[] = {0x5000,    0x5100, PYF(1, 4), 0x6100, 0x6200,
	            PYF(2, 0), 0x7200, PYF(3, 0), 0x8000, 0x8100},
	               /* another native frame under the first Python one */
	    s3[] = {0x5000, 0x5200, PYF(1, 2), 0x6000, PYF(2, 0),
	            0x7000, 0x7100, PYF(3, 0), 0x8000},
	               /* another Python frame */
	    s4[] = {0x5000, 0x5100, PYF(1, 2), 0x6000, PYF(4, 0),
	            0x7000, 0x7100, PYF(3, 0), 0x8000},
	               /* native only, differing below */
	    s5[] = {0x5000, 0x5100}, s6[] = {0x5000, 0x5100, 0x9000};
	tb_stack(&t, 1, 9, s1);
	tb_stack(&t, 2, 10, s2);
	tb_stack(&t, 3, 9, s3);
	tb_stack(&t, 4, 9, s4);
	tb_stack(&t, 5, 2, s5);
	tb_stack(&t, 6, 3, s6);
	tb_fd_open(&t, 10, 1, TRACE_FD_SOCKET, 0, 1, "tcp", "", "socket");
	tb_fd_open(&t, 11, 1, TRACE_FD_SOCKET, 0, 1, "tcp", "", "socket");
	tb_fd_open(&t, 5, 1, TRACE_FD_SOCKET, 0, 2, "tcp", "", "socket");
	tb_fd_open(&t, 12, 1, TRACE_FD_SOCKET, 0, 3, "tcp", "", "socket");
	tb_fd_open(&t, 13, 1, TRACE_FD_SOCKET, 0, 4, "tcp", "", "socket");
	tb_fd_open(&t, 14, 1, TRACE_FD_SOCKET, 0, 5, "tcp", "", "socket");
	tb_fd_open(&t, 15, 1, TRACE_FD_SOCKET, 0, 6, "tcp", "", "socket");
	static const char *const paths[] = {"/tmp/t.a", "/tmp/t.b", "/tmp/t.c"};
	static const uint64_t tstack[] = {1, 2, 1};
	for (int i = 0; i < 3; i++)
		tb_tempfile(&t, tstack[i], (uint64_t)i + 1, paths[i], TRACE_TEMP_EXISTS_AT_EXIT,
		            "open64");
	tb_snapshot(&t, 0, 2, 0, 0, 0, TRACE_SNAP_FINAL);
	tb_end(&t, 3, TRACE_END_EXIT, 0);
	tb_flush(&t);
	struct model *m = load(&t);
	struct analysis *a = run(m, 0);
	const struct finding_list *l = &a->procs[0].findings;
	size_t n_fd = 0, n_temp = 0;
	for (size_t i = 0; i < l->n; i++)
		n_fd += l->items[i].kind == FINDING_FD,
		    n_temp += l->items[i].kind == FINDING_TEMPFILE;
	assert_int_equal(n_fd, 5);
	assert_int_equal(n_temp, 1);
	const struct finding *fd = &l->items[0];
	assert_int_equal(fd->kind, FINDING_FD);
	assert_int_equal(fd->count, 3);
	assert_int_equal(fd->n_ids, 3);
	assert_int_equal(fd->ids[0], 5);
	assert_int_equal(fd->ids[1], 10);
	assert_int_equal(fd->ids[2], 11);
	for (size_t i = 1; i < 5; i++) {
		assert_int_equal(l->items[i].kind, FINDING_FD);
		assert_int_equal(l->items[i].count, 1);
		assert_int_equal(l->items[i].stack_id, i + 2); /* stacks 3, 4, 5, 6 */
	}
	const struct finding *tf = &l->items[5];
	assert_int_equal(tf->kind, FINDING_TEMPFILE);
	assert_int_equal(tf->count, 3);
	assert_int_equal(tf->n_paths, 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(tf->paths[i], paths[i]);
	assert_string_equal(tf->path, "/tmp/t.a");
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

/* Up to the first Python frame, the interpreter's own frames (its module: that of the native
 * frame calling the first Python frames) do not split a site either: os.open called straight
 * from the evaluation loop and through cfunction_vectorcall (3.11's first calls) is one. A
 * libc or extension-module frame there still does, and so does any frame of a native-only
 * stack, the interpreter's included. */
static void test_python_leaf_interpreter_frames_merged(void **state)
{
	(void)state;
	struct tb t;
	tb_init(&t);
	tb_process(&t, 10, 1, 0, 0, "/usr/bin/python3.11", 0, NULL);
	tb_module(&t, 1, 0, 0x1000, 0x2000, "/usr/lib/libc.so.6", NULL, 0);
	tb_module(&t, 2, 0, 0x4000, 0x9000, "/usr/bin/python3.11", NULL, 0);
	tb_module(&t, 3, 0, 0xa000, 0xb000, "/usr/lib/python3.11/_ext.so", NULL, 0);
	tb_py_code(&t, 1, 9, "_mkstemp_inner", "tempfile.py");
	tb_py_code(&t, 2, 19, "make_scratch", "app.py");
	tb_py_code(&t, 3, 30, "other", "app.py");
	/* libc, os_open, the Python frames (the second's caller in the interpreter) */
	const uint64_t s1[] = {0x1100, 0x5000, PYF(1, 2), 0x6000, PYF(2, 0), 0x8000},
	               /* as s1 through two more interpreter frames before the first Python one */
	    s2[] = {0x1100, 0x5000, 0x5300, 0x5400, PYF(1, 4), 0x6100, PYF(2, 0), 0x8000},
	               /* another libc frame */
	    s3[] = {0x1200, 0x5000, PYF(1, 2), 0x6000, PYF(2, 0), 0x8000},
	               /* an extension module's frame */
	    s4[] = {0x1100, 0xa100, PYF(1, 2), 0x6000, PYF(2, 0), 0x8000},
	               /* another Python frame */
	    s5[] = {0x1100, 0x5000, 0x5300, PYF(1, 2), 0x6000, PYF(3, 0), 0x8000},
	               /* native only, differing in the interpreter's module */
	    s6[] = {0x1100, 0x5000, 0x8000}, s7[] = {0x1100, 0x5300, 0x8000};
	tb_stack(&t, 1, 6, s1);
	tb_stack(&t, 2, 8, s2);
	tb_stack(&t, 3, 6, s3);
	tb_stack(&t, 4, 6, s4);
	tb_stack(&t, 5, 7, s5);
	tb_stack(&t, 6, 3, s6);
	tb_stack(&t, 7, 3, s7);
	static const uint64_t tstack[] = {2, 2, 1, 2, 1, 3, 4, 5, 6, 7};
	static const char *const paths[] = {"/tmp/a", "/tmp/b", "/tmp/c", "/tmp/d", "/tmp/e",
	                                    "/tmp/f", "/tmp/g", "/tmp/h", "/tmp/i", "/tmp/j"};
	for (int i = 0; i < 10; i++)
		tb_tempfile(&t, tstack[i], (uint64_t)i + 1, paths[i], TRACE_TEMP_EXISTS_AT_EXIT,
		            "open64");
	tb_snapshot(&t, 0, 20, 0, 0, 0, TRACE_SNAP_FINAL);
	tb_end(&t, 21, TRACE_END_EXIT, 0);
	tb_flush(&t);
	struct model *m = load(&t);
	struct analysis *a = run(m, 0);
	const struct finding_list *l = &a->procs[0].findings;
	assert_int_equal(l->n, 6);
	const struct finding *tf = &l->items[0];
	assert_int_equal(tf->kind, FINDING_TEMPFILE);
	assert_int_equal(tf->count, 5);
	assert_int_equal(tf->stack_id, 2); /* the first made */
	static const char *const merged[] = {"/tmp/a", "/tmp/b", "/tmp/c", "/tmp/d", "/tmp/e"};
	for (int i = 0; i < 5; i++)
		assert_string_equal(tf->paths[i], merged[i]);
	for (size_t i = 1; i < l->n; i++) {
		assert_int_equal(l->items[i].kind, FINDING_TEMPFILE);
		assert_int_equal(l->items[i].count, 1);
		assert_int_equal(l->items[i].stack_id, i + 2); /* stacks 3 to 7 */
	}
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}
#undef PYF

static void add_proc_trace(struct model *m, uint64_t pid, uint64_t ppid, uint64_t start,
                           uint64_t flags, bool exec)
{
	struct tb t;
	tb_init(&t);
	tb_process(&t, pid, ppid, start, flags, "/p", 0, NULL);
	if (exec)
		tb_exec(&t, 5, "/bin/next");
	tb_flush(&t);
	struct err e = {{0}};
	assert_int_equal(trace_reader_load_mem(m, "t", t.file.data, t.file.len, &e), 0);
	tb_free(&t);
}

/* A killed process (no final snapshot) is reported from its last snapshot: a child that is
 * a zombie first in that snapshot, a thread finished unjoined first there, or a descriptor
 * first open there, may have been reaped, joined or closed a moment later and is not a
 * finding; ones seen so in an earlier snapshot are (a descriptor described again in the last
 * one too). With a final snapshot all count. */
static void killed_trace(struct tb *t, bool final)
{
	tb_init(t);
	tb_process(t, 10, 1, 0, 0, "/app", 0, NULL);
	tb_child(t, 100, 8, 1, TRACE_CHILD_RUNNING, "fork", "");
	tb_child(t, 101, 8, 2, TRACE_CHILD_RUNNING, "fork", "");
	tb_thread(t, 501, 11, 1, TRACE_THREAD_RUNNING);
	tb_thread(t, 502, 11, 2, TRACE_THREAD_RUNNING);
	tb_fd_open(t, 20, 1, TRACE_FD_SOCKET, 0, 12, "", "", "accept");
	tb_snapshot(t, 0, 1, 0, 0, 0, 0);
	tb_flush(t);
	tb_child(t, 100, 8, 1, TRACE_CHILD_ZOMBIE, "fork", "");
	tb_thread(t, 501, 11, 1, TRACE_THREAD_FINISHED);
	tb_fd_open(t, 21, 1, TRACE_FD_SOCKET, 0, 12, "", "", "accept");
	tb_snapshot(t, 1, 2, 0, 0, 0, 0);
	tb_flush(t);
	tb_child(t, 101, 8, 2, TRACE_CHILD_ZOMBIE, "fork", "");
	tb_thread(t, 502, 11, 2, TRACE_THREAD_FINISHED);
	tb_fd_open(t, 21, 1, TRACE_FD_SOCKET, 0, 12, "", "10.0.0.1:80", "accept");
	tb_fd_open(t, 22, 1, TRACE_FD_SOCKET, 0, 12, "", "", "accept");
	tb_snapshot(t, 2, 3, 0, 0, 0, final ? TRACE_SNAP_FINAL : 0);
	if (final)
		tb_end(t, 4, TRACE_END_EXIT, 0);
	tb_flush(t);
}

static void test_killed_last_moment_states(void **state)
{
	(void)state;
	for (int final = 0; final <= 1; final++) {
		struct tb t;
		killed_trace(&t, final);
		struct model *m = load(&t);
		struct analysis *a = run(m, 0);
		const struct finding_list *l = &a->procs[0].findings;
		const struct finding *zombie = NULL, *thread = NULL, *fd = NULL;
		for (size_t i = 0; i < l->n; i++) {
			if (l->items[i].kind == FINDING_ZOMBIE)
				zombie = &l->items[i];
			if (l->items[i].kind == FINDING_THREAD)
				thread = &l->items[i];
			if (l->items[i].kind == FINDING_FD)
				fd = &l->items[i];
		}
		assert_non_null(zombie);
		assert_non_null(thread);
		assert_non_null(fd);
		assert_int_equal(zombie->count, final ? 2 : 1);
		assert_int_equal(thread->count, final ? 2 : 1);
		assert_string_equal(thread->state, "unjoined");
		assert_int_equal(fd->count, final ? 3 : 2);
		assert_int_equal(fd->n_ids, final ? 3 : 2);
		assert_int_equal(fd->ids[0], 20);
		assert_int_equal(fd->ids[1], 21);
		if (final)
			assert_int_equal(fd->ids[2], 22);
		analyze_free(a);
		model_destroy(m);
		tb_free(&t);
	}
}

/* One JavaScript call compiled in two tiers is two return addresses, two stacks with the same
 * text: their descriptors are one finding; another function's stay apart. */
static void test_js_tiers_merged(void **state)
{
	(void)state;
	struct tb t;
	tb_init(&t);
	tb_process(&t, 10, 1, 0, 0, "/usr/bin/node", 0, NULL);
	const struct {
		uint64_t start;
		const char *name;
	} js[] = {{0x5000, "JS:~openBackend /srv/app.js:3:1"},
	          {0x6000, "JS:*openBackend /srv/app.js:3:1"},
	          {0x7000, "JS:~other /srv/app.js:9:1"}};
	for (unsigned i = 0; i < 3; i++)
		trace_enc_js_code(&t.chunk, &(struct trace_rec_js_code){.start = js[i].start,
		                                                        .size = 0x100,
		                                                        .name = tb_s(js[i].name)});
	const uint64_t f1[] = {0x5010}, f2[] = {0x6010}, f3[] = {0x7010};
	tb_stack(&t, 1, 1, f1);
	tb_stack(&t, 2, 1, f2);
	tb_stack(&t, 3, 1, f3);
	tb_fd_open(&t, 3, 1, TRACE_FD_SOCKET, 0, 1, "tcp 127.0.0.1:1", "127.0.0.1:80", "socket");
	tb_fd_open(&t, 4, 1, TRACE_FD_SOCKET, 0, 2, "tcp 127.0.0.1:2", "127.0.0.1:80", "socket");
	tb_fd_open(&t, 5, 1, TRACE_FD_SOCKET, 0, 3, "tcp 127.0.0.1:3", "127.0.0.1:80", "socket");
	tb_snapshot(&t, 0, 1, 0, 0, 0, TRACE_SNAP_FINAL);
	tb_end(&t, 2, TRACE_END_EXIT, 0);
	tb_flush(&t);
	struct model *m = load(&t);
	struct analysis *a = run(m, 0);
	const struct finding_list *l = &a->procs[0].findings;
	size_t n_fd = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct finding *f = &l->items[i];
		if (f->kind != FINDING_FD)
			continue;
		n_fd++;
		assert_int_equal(f->count, f->stack_id == 3 ? 1 : 2);
	}
	assert_int_equal(n_fd, 2);
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
}

/* This test program's own load address, its mapped range and path: its -g frames are the
 * native frames the symbolizer names. */
struct self_map {
	uint64_t base, lo, hi;
	char path[4096];
};

static int self_phdr(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct self_map *m = arg;
	m->base = info->dlpi_addr;
	m->lo = UINT64_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (m->base + ph->p_vaddr < m->lo)
			m->lo = m->base + ph->p_vaddr;
		if (m->base + ph->p_vaddr + ph->p_memsz > m->hi)
			m->hi = m->base + ph->p_vaddr + ph->p_memsz;
	}
	return 1; /* the first entry is the program */
}

__attribute__((noinline, noipa)) static uint64_t return_address(void)
{
	return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

/* Two calls on one source line (as a loop the compiler unrolled leaves them) and one on the
 * next: three return addresses, of which the first two read the same. */
__attribute__((noinline)) static void three_sites(uint64_t out[3])
{
	out[0] = return_address(), out[1] = return_address();
	out[2] = return_address();
}

/* Leaks from the sites of three_sites() (3, 4 and 5 blocks), all called from one place, and
 * from two addresses in no module (1 and 2 blocks); analyzed with sym. */
static struct analysis *native_sites(struct model **m, struct tb *t, struct symbolizer *sym)
{
	struct self_map self = {0};
	dl_iterate_phdr(self_phdr, &self);
	ssize_t n = readlink("/proc/self/exe", self.path, sizeof(self.path) - 1);
	assert_true(n > 0);
	self.path[n] = '\0';
	uint64_t site[3];
	three_sites(site);
	uint64_t caller = return_address();
	assert_true(site[0] != site[1]);
	tb_init(t);
	tb_process(t, 10, 1, 0, 0, self.path, 0, NULL);
	tb_module(t, 1, self.base, self.lo, self.hi, self.path, NULL, 0);
	const uint64_t frames[5][2] = {{site[0], caller},
	                               {site[1], caller},
	                               {site[2], caller},
	                               {0x42, caller},
	                               {0x43, caller}};
	for (uint64_t i = 0; i < 5; i++)
		tb_stack(t, i + 1, 2, frames[i]);
	tb_snapshot(t, 0, 1, 0, 0, 0, TRACE_SNAP_FINAL);
	uint64_t addr = 0x1000;
	const unsigned blocks[5] = {3, 4, 5, 1, 2};
	for (uint64_t i = 0; i < 5; i++)
		for (unsigned k = 0; k < blocks[i]; k++)
			tb_block(t, addr++, 16, i + 1, TRACE_BLOCK_SCANNED);
	tb_end(t, 2, TRACE_END_EXIT, 0);
	tb_flush(t);
	*m = load(t);
	struct analyze_opts o = {.sym = sym};
	struct analysis *a;
	struct err e = {{0}};
	assert_int_equal(analyze_run(*m, &o, &a, &e), 0);
	return a;
}

/* The count of the leak finding on stack id, 0 when none has it. */
static uint64_t leak_count(const struct analysis *a, uint32_t id)
{
	const struct finding_list *l = &a->procs[0].findings;
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].kind == FINDING_LEAK && l->items[i].stack_id == id)
			return l->items[i].count;
	return 0;
}

static void test_native_lines_merged(void **state)
{
	(void)state;
	struct tb t;
	struct model *m;
	/* Named: the two calls of one line are one finding, the next line's another. */
	struct symbolizer *sym = symbolizer_create(true, NULL);
	struct analysis *a = native_sites(&m, &t, sym);
	assert_int_equal(a->procs[0].findings.n, 4);
	assert_int_equal(leak_count(a, 1), 7);
	assert_int_equal(leak_count(a, 2), 0);
	assert_int_equal(leak_count(a, 3), 5);
	/* No name: two addresses are two findings. */
	assert_int_equal(leak_count(a, 4), 1);
	assert_int_equal(leak_count(a, 5), 2);
	analyze_free(a);
	model_destroy(m);
	tb_free(&t);
	symbolizer_destroy(sym);
	/* --no-symbols, and no symbolizer: every address its own finding, as before. */
	for (int round = 0; round < 2; round++) {
		sym = round ? NULL : symbolizer_create(false, NULL);
		a = native_sites(&m, &t, sym);
		assert_int_equal(a->procs[0].findings.n, 5);
		static const uint64_t counts[5] = {3, 4, 5, 1, 2};
		for (uint32_t id = 1; id <= 5; id++)
			assert_int_equal(leak_count(a, id), counts[id - 1]);
		analyze_free(a);
		model_destroy(m);
		tb_free(&t);
		symbolizer_destroy(sym);
	}
}

static void test_process_tree(void **state)
{
	(void)state;
	struct model *m = model_create();
	/* Given out of order: grandchild, root, exec'd image of the child, child, stranger. */
	add_proc_trace(m, 30, 20, 300, TRACE_PROC_FORKED, false);
	add_proc_trace(m, 10, 1, 100, 0, false);
	add_proc_trace(m, 20, 10, 250, TRACE_PROC_EXECED, false);
	add_proc_trace(m, 20, 10, 200, TRACE_PROC_FORKED, true);
	add_proc_trace(m, 99, 1, 50, 0, false);
	struct analysis *a = run(m, 0);
	assert_int_equal(a->n_procs, 5);
	const uint32_t want_pid[] = {99, 10, 20, 20, 30};
	const uint64_t want_start[] = {50, 100, 200, 250, 300};
	const uint32_t want_depth[] = {0, 0, 1, 2, 3};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(a->procs[i].proc->pid, want_pid[i]);
		assert_int_equal(a->procs[i].proc->start_ns, want_start[i]);
		assert_int_equal(a->procs[i].depth, want_depth[i]);
	}
	analyze_free(a);
	model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leaks_and_reachable),
	    cmocka_unit_test(test_indirect),
	    cmocka_unit_test(test_sampled_blocks_scaled),
	    cmocka_unit_test(test_sites_fallback),
	    cmocka_unit_test(test_resources),
	    cmocka_unit_test(test_shell_script_fd),
	    cmocka_unit_test(test_tempfiles_grouped),
	    cmocka_unit_test(test_python_interpreter_frames_merged),
	    cmocka_unit_test(test_python_leaf_interpreter_frames_merged),
	    cmocka_unit_test(test_killed_last_moment_states),
	    cmocka_unit_test(test_process_tree),
	    cmocka_unit_test(test_js_tiers_merged),
	    cmocka_unit_test(test_native_lines_merged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
