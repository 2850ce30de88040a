/* SPDX-License-Identifier: MIT */
/* test_report.c - report_json.c, report_text.c, json_out.c and report.c end to end on a
 * synthesized trace: the JSON parses with jq and carries the fixed names with exact values
 * (including hostile strings: quotes, control bytes, invalid UTF-8), stacks are symbolized
 * through DWARF of this very test binary, and the text report shows the same findings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "report.h"
#include "report_growth.h"
#include "trace_reader.h"
#include "trace_builder.h"

static char json_path[64] = "/tmp/lk-report-XXXXXX";
static char exe_path[4096];
static uint64_t exe_base, exe_lo, exe_hi;
static int site_line;
static uint64_t site_ret;

void *report_test_caller(void);
void report_test_site(void);

__attribute__((noinline)) void *report_test_caller(void)
{
	void *r = __builtin_return_address(0);
	__asm__ volatile("" : : "r"(r) : "memory");
	return r;
}

#define CALL_HERE(v) (site_line = __LINE__, (v) = report_test_caller())
__attribute__((noinline)) void report_test_site(void)
{
	void *r;
	CALL_HERE(r);
	__asm__ volatile("" : : "r"(r) : "memory");
	site_ret = (uint64_t)(uintptr_t)r;
}

static int main_phdr(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	exe_base = info->dlpi_addr;
	exe_lo = UINT64_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (exe_base + ph->p_vaddr < exe_lo)
			exe_lo = exe_base + ph->p_vaddr;
		if (exe_base + ph->p_vaddr + ph->p_memsz > exe_hi)
			exe_hi = exe_base + ph->p_vaddr + ph->p_memsz;
	}
	return 1; /* the first entry is the main program */
}

static const char *const hostile_argv[] = {"/app", "quote\" back\\slash", "nl\nctl\x01",
                                           "bad\xff\xfeutf8", "ok \xc3\xa9"};

static struct model *build(void)
{
	report_test_site();
	dl_iterate_phdr(main_phdr, NULL);
	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
	assert_true(n > 0);
	exe_path[n] = '\0';

	struct tb t;
	tb_init(&t);
	tb_process(&t, 4242, 7, 1700000000500000000ull, 0, "/app", 5, hostile_argv);
	tb_module(&t, 1, exe_base, exe_lo, exe_hi, exe_path, NULL, 0);
	const uint64_t s1[] = {site_ret, 0x99};
	tb_stack(&t, 1, 2, s1);
	tb_fd_open(&t, 5, 1, TRACE_FD_SOCKET, 0, 1, "tcp 127.0.0.1:5000", "10.0.0.1:80", "accept4");
	tb_fd_open(&t, 8, 1, TRACE_FD_SOCKET, 0, 1, "tcp 127.0.0.1:5000", "10.0.0.2:80", "accept4");
	tb_child(&t, 777, 1, 1, TRACE_CHILD_ZOMBIE, "fork", "");
	tb_thread(&t, 888, 1, 1, TRACE_THREAD_FINISHED);
	tb_tempfile(&t, 1, 1, "/tmp/x\"y", TRACE_TEMP_EXISTS_AT_EXIT, "mkstemp");
	tb_snapshot(&t, 0, 1000000000, 300, 3, 12, 0);
	tb_site(&t, 1, 300, 3);
	tb_flush(&t);
	tb_snapshot(&t, 1, 2500000000ull, 300, 3, 12, TRACE_SNAP_FINAL);
	tb_block(&t, 0x10, 100, 1, 0);
	tb_block(&t, 0x20, 100, 1, 0);
	tb_block(&t, 0x30, 1000, 1, TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE);
	tb_end(&t, 2600000000ull, TRACE_END_SIGNAL, 9);
	tb_flush(&t);
	struct model *m = model_create();
	struct err e = {{0}};
	assert_int_equal(trace_reader_load_mem(m, "mem.lkt", t.file.data, t.file.len, &e), 0);
	tb_free(&t);
	return m;
}

/* Runs jq -e EXPR on the JSON file; true when jq says the expression holds. */
static bool jq(const char *expr)
{
	char cmd[6144];
	snprintf(cmd, sizeof(cmd), "jq -e '%s' %s >/dev/null", expr, json_path);
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "jq expression failed: %s\n", expr);
	return rc == 0;
}

static void test_json(void **state)
{
	(void)state;
	struct model *m = build();
	struct analysis *a;
	struct analyze_opts ao = {0};
	struct err e = {{0}};
	assert_int_equal(analyze_run(m, &ao, &a, &e), 0);
	struct symbolizer *s = symbolizer_create(true, NULL);
	int fd = mkstemp(json_path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	struct report_opts ro = {0};
	assert_int_equal(report_json_write(f, a, s, &ro, &e), 0);
	fclose(f);

	assert_true(jq(".version == 1 and (.processes | length) == 1"));
	assert_true(jq(".processes[0] | .pid == 4242 and .ppid == 7 and .exe == \"/app\" and "
	               ".snapshots == 2 and .exit_status == null and .signal == 9 and "
	               ".truncated == false and .dropped_events == 12 and .start == 1700000000.5 "
	               "and .end == 1700000003.1"));
	assert_true(jq(".processes[0].argv == [\"/app\", \"quote\\\" back\\\\slash\", "
	               "\"nl\\nctl\\u0001\", \"bad\\ufffd\\ufffdutf8\", \"ok \\u00e9\"]"));
	assert_true(jq("[.processes[0].findings[].kind] == "
	               "[\"leak\", \"fd\", \"zombie\", \"thread\", \"tempfile\", \"reachable\"]"));
	assert_true(jq(".processes[0].findings[0] | .bytes == 200 and .count == 2"));
	assert_true(jq(".processes[0].findings[5] | .bytes == 1000 and .count == 1"));
	/* The exit snapshot does not count towards the growth test's 8. */
	assert_true(jq(".processes[0].growth_test == {\"status\": \"inconclusive\", "
	               "\"snapshots\": 1, \"needed\": 8}"));
	char expr[4608];
	snprintf(expr, sizeof(expr),
	         ".processes[0].findings[0].stack[0] | .function == \"report_test_site\" and "
	         ".file == \"test_report.c\" and .line == %d and .inlined == false and "
	         ".module == \"%s\" and .addr == \"0x%lx\"",
	         site_line, exe_path, (unsigned long)site_ret);
	assert_true(jq(expr));
	assert_true(jq(".processes[0].findings[0].stack[1] | .function == null and .module == null "
	               "and .addr == \"0x99\" and .line == null"));
	assert_true(jq(".processes[0].findings[1] | .fd_type == \"socket\" and .fds == [5, 8] and "
	               ".count == 2 and .bytes == 0 and .api == \"accept4\" and "
	               ".path == \"tcp 127.0.0.1:5000\" and .inherited_by_exec == false"));
	assert_true(jq(".processes[0].findings[2] | .pids == [777] and .count == 1"));
	assert_true(jq(".processes[0].findings[3] | .state == \"unjoined\" and .count == 1"));
	assert_true(jq(".processes[0].findings[4] | .path == \"/tmp/x\\\"y\" and .bytes == 0 and "
	               ".count == 1 and .paths == [\"/tmp/x\\\"y\"] and .api == \"mkstemp\""));

	/* --top 1 limits JSON findings too. */
	f = fopen(json_path, "w");
	ro.top = 1;
	assert_int_equal(report_json_write(f, a, s, &ro, &e), 0);
	fclose(f);
	assert_true(jq("(.processes[0].findings | length) == 1 and "
	               ".processes[0].findings_total == 6"));
	unlink(json_path);

	symbolizer_destroy(s);
	analyze_free(a);
	model_destroy(m);
}

static void test_text(void **state)
{
	(void)state;
	struct model *m = build();
	struct analysis *a;
	struct analyze_opts ao = {0};
	struct err e = {{0}};
	assert_int_equal(analyze_run(m, &ao, &a, &e), 0);
	struct symbolizer *s = symbolizer_create(true, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct report_opts ro = {.top = 20};
	assert_int_equal(report_text_write(f, a, s, &ro, &e), 0);
	fclose(f);
	assert_non_null(strstr(buf, "app [pid 4242]"));
	assert_non_null(strstr(buf, "ran 2.60 s, 2 snapshots, peak 300 B live heap"));
	assert_non_null(strstr(buf, "killed by signal 9 (SIGKILL)"));
	assert_non_null(strstr(buf, "12 dropped events"));
	assert_non_null(strstr(buf, "#1   leak            200 B in 2 blocks"));
	/* Reachable memory is one summary line, after the actionable findings. */
	assert_null(strstr(buf, "reachable      1000 B"));
	assert_non_null(strstr(buf, "reachable at exit: 1000 B in 1 block from 1 stack; --show "
	                            "reachable lists them"));
	assert_non_null(
	    strstr(buf, "growth test: 1 snapshot before exit, needs 8; run longer or use -i"));
	char want[256];
	snprintf(want, sizeof(want), "#0  report_test_site test_report.c:%d (", site_line);
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, "#1  0x99\n"));
	assert_non_null(strstr(buf, "socket tcp 127.0.0.1:5000 -> 10.0.0.1:80 (accept4), fd 5 8"));
	assert_non_null(strstr(buf, "never reaped, pid 777"));
	assert_non_null(strstr(buf, "1 left on disk (mkstemp): /tmp/x\"y\n"));
	/* Ranking: leak, then fd, then reachable. */
	assert_true(strstr(buf, "leak ") < strstr(buf, " fd "));
	assert_true(strstr(buf, " fd ") < strstr(buf, "reachable at exit"));
	free(buf);

	/* --show reachable lists it, numbered after the actionable ones. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	ro.show_reachable = true;
	assert_int_equal(report_text_write(f, a, s, &ro, &e), 0);
	fclose(f);
	assert_non_null(strstr(buf, "#6   reachable      1000 B in 1 block"));
	assert_null(strstr(buf, "reachable at exit"));
	free(buf);

	/* --top counts actionable findings: the reachable summary stays. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	ro.show_reachable = false;
	ro.top = 2;
	assert_int_equal(report_text_write(f, a, s, &ro, &e), 0);
	fclose(f);
	/* The cut findings are counted by kind. */
	assert_non_null(
	    strstr(buf, "... 3 more findings (1 zombie, 1 thread, 1 tempfile; --top 0 shows all)"));
	assert_non_null(strstr(buf, "reachable at exit: 1000 B"));
	free(buf);

	char b[32];
	assert_string_equal(report_bytes(1023, b, sizeof(b)), "1023 B");
	assert_string_equal(report_bytes(1536, b, sizeof(b)), "1.50 KiB");
	assert_string_equal(report_bytes(200000, b, sizeof(b)), "195 KiB");
	assert_string_equal(report_count(1234567, b, sizeof(b)), "1,234,567");
	assert_string_equal(report_count(999, b, sizeof(b)), "999");

	symbolizer_destroy(s);
	analyze_free(a);
	model_destroy(m);
}

/* One process of a tree: n_periodic snapshots, then the exit one, then END (exit status). */
static void add_tree_proc(struct model *m, uint64_t pid, uint64_t ppid, uint64_t start_ns,
                          const char *exe, int n_periodic, int64_t status)
{
	struct tb t;
	tb_init(&t);
	tb_process(&t, pid, ppid, start_ns, 0, exe, 1, &exe);
	for (int i = 0; i < n_periodic; i++) {
		tb_snapshot(&t, (uint64_t)i, (uint64_t)(i + 1) * 100000000ull, 0, 0, 0, 0);
		tb_flush(&t);
	}
	tb_snapshot(&t, (uint64_t)n_periodic, (uint64_t)(n_periodic + 1) * 100000000ull, 0, 0, 0,
	            TRACE_SNAP_FINAL);
	tb_end(&t, (uint64_t)(n_periodic + 1) * 100000000ull, TRACE_END_EXIT, status);
	tb_flush(&t);
	struct err e = {{0}};
	assert_int_equal(trace_reader_load_mem(m, "t", t.file.data, t.file.len, &e), 0);
	tb_free(&t);
}

/* Children with nothing to say (no findings, exit 0, ended before a periodic snapshot) are one
 * line of the tree with their grandchildren, without growth test notes; one that exited 2 keeps
 * its line, and so does one that lived through 3 snapshots, which says its growth test could
 * not run. */
static void test_quiet_children_folded(void **state)
{
	(void)state;
	struct model *m = model_create();
	add_tree_proc(m, 100, 1, 1000, "/bin/root", 0, 0);
	add_tree_proc(m, 101, 100, 2000, "/bin/a", 0, 0);
	add_tree_proc(m, 102, 100, 3000, "/bin/b", 0, 0);
	add_tree_proc(m, 103, 102, 4000, "/bin/a", 0, 0);
	add_tree_proc(m, 104, 100, 5000, "/bin/e", 0, 2);
	add_tree_proc(m, 105, 100, 6000, "/bin/f", 3, 0);
	struct analysis *a;
	struct analyze_opts ao = {0};
	struct err e = {{0}};
	assert_int_equal(analyze_run(m, &ao, &a, &e), 0);
	struct symbolizer *s = symbolizer_create(true, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct report_opts ro = {.top = 20};
	assert_int_equal(report_text_write(f, a, s, &ro, &e), 0);
	fclose(f);
	const char *fold =
	    strstr(buf, "\n   `- 3 processes with no findings, all exit 0: a (2), b\n"
	                "   `- e [pid 104]: ran 0.10 s, exit 2, no findings\n"
	                "   `- f [pid 105]: ran 0.40 s, exit 0, no findings; growth test: "
	                "3 of 8 snapshots before exit\n");
	if (!fold)
		fail_msg("%s", buf);
	assert_null(strstr(buf, "[pid 101]"));
	symbolizer_destroy(s);
	analyze_free(a);
	model_destroy(m);
	free(buf);
}

/* Findings in several processes (a program started through wrapper scripts): the report opens
 * with one line per process with findings, the one with growth first whatever its place in
 * the tree, then by run time; none when only one process has findings. */
static void test_overview_of_processes(void **state)
{
	(void)state;
	struct model *m = model_create();
	add_tree_proc(m, 200, 1, 1000, "/bin/sh", 0, 0);        /* 0.1 s: an fd */
	add_tree_proc(m, 201, 200, 2000, "/bin/env", 4, 0);     /* 0.5 s: 2 leaks */
	add_tree_proc(m, 202, 201, 3000, "/usr/bin/app", 2, 0); /* 0.3 s: growth + leak */
	add_tree_proc(m, 203, 200, 4000, "/bin/true", 0, 0);    /* nothing */
	struct analysis *a;
	struct analyze_opts ao = {0};
	struct err e = {{0}};
	assert_int_equal(analyze_run(m, &ao, &a, &e), 0);
	assert_int_equal(a->n_procs, 4);
	struct symbolizer *s = symbolizer_create(true, NULL);
	struct report_opts ro = {.top = 20};
	char *buf = NULL;
	size_t len = 0;
	/* one process with findings: no overview */
	struct finding fd = {.kind = FINDING_FD, .count = 1, .fd_type = "file"};
	struct finding leak = {.kind = FINDING_LEAK, .bytes = 64, .count = 1};
	struct finding grow = {.kind = FINDING_GROWTH, .bytes = 4096, .count = 8};
	grow.trend.growing = true;
	grow.trend.eta_s = -1;
	for (uint32_t i = 0; i < a->n_procs; i++) {
		struct analysis_proc *ap = &a->procs[i];
		if (ap->proc->pid == 202) {
			assert_non_null(finding_list_add(&ap->findings, &leak));
			assert_non_null(finding_list_add(&ap->findings, &grow));
			finding_list_rank(&ap->findings);
		}
	}
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(report_text_write(f, a, s, &ro, &e), 0);
	fclose(f);
	if (strstr(buf, "processes with findings"))
		fail_msg("overview with one process with findings:\n%s", buf);
	free(buf);
	for (uint32_t i = 0; i < a->n_procs; i++) {
		struct analysis_proc *ap = &a->procs[i];
		if (ap->proc->pid == 200)
			assert_non_null(finding_list_add(&ap->findings, &fd));
		if (ap->proc->pid == 201) {
			assert_non_null(finding_list_add(&ap->findings, &leak));
			assert_non_null(finding_list_add(&ap->findings, &leak));
		}
		finding_list_rank(&ap->findings);
	}
	f = open_memstream(&buf, &len);
	assert_int_equal(report_text_write(f, a, s, &ro, &e), 0);
	fclose(f);
	const char *want = "3 of 4 processes with findings, growth first, then by run time "
	                   "(--exe NAME shows one):\n"
	                   "  pid 202     app: ran 0.30 s, 2 findings (1 leak, 1 growth)\n"
	                   "  pid 201     env: ran 0.50 s, 2 findings (2 leak)\n"
	                   "  pid 200     sh: ran 0.10 s, 1 finding (1 fd)\n\n"
	                   "sh [pid 200]";
	if (strncmp(buf, want, strlen(want)) != 0)
		fail_msg("got:\n%s", buf);
	symbolizer_destroy(s);
	analyze_free(a);
	model_destroy(m);
	free(buf);
}

/* A growth line's window in seconds: a tenth under 10 s (a short run's is not "0-1 s"), a
 * hundredth under 0.1 s, whole seconds past 10 s. */
static void test_growth_window_text(void **state)
{
	(void)state;
	static const struct {
		double a, b;
		const char *want;
	} cases[] = {
	    {0.204, 0.912, "over 0.2-0.9 s)"},   {0.1, 2.64, "over 0.1-2.6 s)"},
	    {0.031, 0.094, "over 0.03-0.09 s)"}, {100.2, 101.4, "over 100.2-101.4 s)"},
	    {12.3, 95.4, "over 12-95 s)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct finding fi = {.kind = FINDING_GROWTH, .bytes = 9000};
		fi.trend.growing = true;
		fi.trend.window_start_s = cases[i].a;
		fi.trend.window_end_s = cases[i].b;
		fi.trend.eta_s = -1;
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		report_growth_text_line(f, &fi);
		fclose(f);
		if (!strstr(buf, cases[i].want))
			fail_msg("window %g-%g: '%s' lacks '%s'", cases[i].a, cases[i].b, buf,
			         cases[i].want);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_growth_window_text),
	    cmocka_unit_test(test_quiet_children_folded),
	    cmocka_unit_test(test_overview_of_processes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
