/* SPDX-License-Identifier: MIT */
/* main.c - leak-report: argv -> load traces -> analyze -> text or JSON report. The only file
 * of the collector that prints errors or exits (see err.h): every failure below becomes
 * one stderr line "leak-report: [PATH: ]reason" and exit 2; --fail-on turns matching
 * findings into exit 3. Options live in one table (options[]): a new flag is one row and
 * one small handler, and --help is generated from the same rows. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "analyze.h"
#include "bundle.h"
#include "err.h"
#include "export_collapsed.h"
#include "export_pprof.h"
#include "export_samples.h"
#include "fail_on.h"
#include "finding.h"
#include "load.h"
#include "model.h"
#include "parse.h"
#include "proc_alive.h"
#include "report.h"
#include "symbolizer.h"
#include "trace_reader.h"
#include "version.h"

#define EXIT_OK      0
#define EXIT_BAD     2
#define EXIT_MATCHED 3

struct cli {
	bool json, no_symbols, help, version;
	struct fail_rules fail;
	bool show_reachable, show_indirect;
	uint32_t pids[64];
	const char *exes[64];
	bool top_set;
	size_t top;
	size_t frames;   /* --frames N: text frames per stack from the user's first; 0 = all */
	bool full_names; /* --full-names: whole C++ names, library frames not folded */
	const char *out_path;
	enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_COLLAPSED, FORMAT_PPROF } format;
	enum export_metric metric;
	bool metric_set;
	struct analyze_opts aopts;
	bool diff_want_b; /* --diff A was seen: the next argument is B */
	bool follow;
	double every_s;
	bool growing_only; /* --fail-on counts fd/thread/zombie findings only when growing */
	const char **inputs;
	int n_inputs;
	const char *debug_dirs[16]; /* --debug-dir, in order */
	const char *bundle_dir;     /* --bundle DIR */
	int n_debug_dirs;
};

static int opt_json(struct cli *c, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	c->json = true;
	c->format = FORMAT_JSON;
	return 0;
}

static int opt_format(struct cli *c, const char *arg, struct err *e)
{
	static const char *const names[] = {"text", "json", "collapsed", "pprof"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(arg, names[i]) == 0) {
			c->format = (int)i;
			c->json = c->format == FORMAT_JSON;
			return 0;
		}
	}
	return err_set(e, "--format wants text, json, collapsed or pprof, not '%.64s'", arg);
}

static int opt_metric(struct cli *c, const char *arg, struct err *e)
{
	c->metric_set = true;
	return export_metric_parse(arg, &c->metric, e);
}

static int opt_fail_on(struct cli *c, const char *arg, struct err *e)
{
	return fail_rules_parse(&c->fail, arg, e);
}

static int opt_show(struct cli *c, const char *arg, struct err *e)
{
	uint32_t mask;
	if (finding_kinds_parse(arg, &mask, e) != 0 ||
	    (mask & ~(1u << FINDING_REACHABLE | 1u << FINDING_INDIRECT)))
		return err_set(e, "--show wants reachable or indirect, not '%.64s'", arg);
	c->show_reachable |= (mask >> FINDING_REACHABLE) & 1;
	c->show_indirect |= (mask >> FINDING_INDIRECT) & 1;
	return 0;
}

static int opt_pid(struct cli *c, const char *arg, struct err *e)
{
	uint64_t v;
	if (parse_count("--pid", arg, 1, UINT32_MAX, &v, e) != 0)
		return -1;
	if (c->aopts.n_pids == sizeof(c->pids) / sizeof(c->pids[0]))
		return err_set(e, "--pid: at most 64");
	c->pids[c->aopts.n_pids++] = (uint32_t)v;
	c->aopts.pids = c->pids;
	return 0;
}

static int opt_exe(struct cli *c, const char *arg, struct err *e)
{
	if (!*arg || strchr(arg, '/'))
		return err_set(e, "--exe wants a program name (no '/'), not '%.64s'", arg);
	if (c->aopts.n_exes == sizeof(c->exes) / sizeof(c->exes[0]))
		return err_set(e, "--exe: at most 64");
	c->exes[c->aopts.n_exes++] = arg;
	c->aopts.exes = c->exes;
	return 0;
}

static int opt_top(struct cli *c, const char *arg, struct err *e)
{
	uint64_t v;
	if (parse_count("--top", arg, 0, UINT32_MAX, &v, e) != 0)
		return -1;
	c->top = (size_t)v;
	c->top_set = true;
	return 0;
}

static int opt_min_bytes(struct cli *c, const char *arg, struct err *e)
{
	return parse_size("--min-bytes", arg, 0, UINT64_MAX, &c->aopts.min_bytes, e);
}

static int opt_output(struct cli *c, const char *arg, struct err *e)
{
	(void)e;
	c->out_path = arg;
	return 0;
}

static int opt_no_symbols(struct cli *c, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	c->no_symbols = true;
	return 0;
}

static int opt_help(struct cli *c, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	c->help = true;
	return 0;
}

static int opt_version(struct cli *c, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	c->version = true;
	return 0;
}

static int opt_frames(struct cli *c, const char *arg, struct err *e)
{
	uint64_t v;
	if (parse_count("--frames", arg, 0, 100000, &v, e) != 0)
		return -1;
	c->frames = (size_t)v;
	return 0;
}

static int opt_full_names(struct cli *c, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	c->full_names = true;
	return 0;
}

static int opt_debug_dir(struct cli *c, const char *arg, struct err *e)
{
	if (c->n_debug_dirs == 16)
		return err_set(e, "--debug-dir given more than 16 times");
	c->debug_dirs[c->n_debug_dirs++] = arg;
	return 0;
}

static int opt_bundle(struct cli *c, const char *arg, struct err *e)
{
	(void)e;
	c->bundle_dir = arg;
	return 0;
}

/* The symbolizer with the --debug-dir directories; NULL on out of memory. */
static struct symbolizer *cli_symbolizer(const struct cli *c)
{
	struct symbolizer *s = symbolizer_create(!c->no_symbols, NULL);
	for (int i = 0; s && i < c->n_debug_dirs; i++) {
		if (symbolizer_add_debug_dir(s, c->debug_dirs[i]) != 0) {
			symbolizer_destroy(s);
			return NULL;
		}
	}
	return s;
}

static int opt_window(struct cli *c, const char *arg, struct err *e)
{
	return analyze_parse_window(&c->aopts, arg, e);
}

static int opt_limit(struct cli *c, const char *arg, struct err *e)
{
	return parse_size("--limit", arg, 1, UINT64_MAX, &c->aopts.limit_bytes, e);
}

static int opt_diff(struct cli *c, const char *arg, struct err *e)
{
	if (diff_ref_parse(arg, &c->aopts.diff_a, e) != 0)
		return -1;
	c->aopts.diff = true;
	c->diff_want_b = true;
	return 0;
}

static int opt_follow(struct cli *c, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	c->follow = true;
	return 0;
}

static int opt_growing_only(struct cli *c, const char *arg, struct err *e)
{
	(void)arg;
	(void)e;
	c->growing_only = true;
	return 0;
}

/* --fail-on's verdict from the kinds fail_rules_match found (with --growing-only, fd, thread
 * and zombie findings only when their count grows: what a soak test gates on, a listening
 * socket still open at shutdown is not a leak, one more socket per request is); names them
 * on stderr. */
static bool cli_matches(uint32_t mask)
{
	if (!mask)
		return false;
	/* Which kinds tripped the gate, for scripts (leak-soak names them in its verdict). */
	fputs("leak-report: --fail-on matched:", stderr);
	for (int k = 0; k < FINDING_NKINDS; k++)
		if (mask & (1u << k))
			fprintf(stderr, " %s", finding_kind_name((enum finding_kind)k));
	fputc('\n', stderr);
	return true;
}

/* A --fail-on growth (or rss) that did not match where the growth test could not run (a run
 * under 8 snapshots) is no pass, only untested: one line on stderr says so, and the exit
 * status stays 0 (leak-soak calls that INCONCLUSIVE). */
static void cli_note_untested(const struct cli *c, const struct analysis *a, uint32_t matched)
{
	uint32_t mask = 0;
	for (size_t k = 0; k < c->fail.n; k++)
		if (c->fail.r[k].kind == FINDING_GROWTH || c->fail.r[k].kind == FINDING_RSS)
			mask |= 1u << c->fail.r[k].kind;
	if (!mask || (matched & mask))
		return;
	uint32_t n = 0, untested = 0, needed = 0, snaps = 0;
	for (uint32_t i = 0; i < a->n_procs; i++) {
		const struct analysis_proc *ap = &a->procs[i];
		if (!ap->proc->have_process)
			continue;
		n++;
		if (!ap->growth_ran) {
			if (!untested++ || ap->growth_snaps > snaps)
				snaps = ap->growth_snaps;
			needed = ap->growth_needed;
		}
	}
	if (!untested)
		return;
	fprintf(stderr, "leak-report: --fail-on %s: not tested in ",
	        mask & (1u << FINDING_GROWTH) ? "growth" : "rss");
	if (n == 1)
		fputs("the process", stderr);
	else if (untested == n)
		fprintf(stderr, "any of the %" PRIu32 " processes", n);
	else
		fprintf(stderr, "%" PRIu32 " of %" PRIu32 " processes", untested, n);
	fprintf(stderr,
	        ": the growth test needs %" PRIu32 " snapshots before exit, %s%" PRIu32
	        "; run longer or use -i\n",
	        needed, n == 1 ? "it had " : "the most was ", snaps);
}

static int opt_every(struct cli *c, const char *arg, struct err *e)
{
	return parse_seconds("--every", arg, 0.05, 86400, &c->every_s, e);
}

struct option_def {
	const char *name; /* long name without "--" */
	char short_name;  /* 0 for none */
	const char *arg;  /* argument name for --help, NULL for a flag */
	const char *help;
	int (*apply)(struct cli *c, const char *arg, struct err *e);
};

static const struct option_def options[] = {
    {"json", 0, NULL, "write JSON instead of text (same as --format json)", opt_json},
    {"format", 0, "FMT",
     "text, json, collapsed (folded stacks for flamegraph.pl/speedscope) or pprof (gzipped "
     "profile.proto; needs -o FILE)",
     opt_format},
    {"metric", 0, "M",
     "for --format collapsed: live-bytes (default), live-count, growth, allocs or alloc-bytes "
     "(every allocation of the trace, freed or not)",
     opt_metric},
    {"fail-on", 0, "KINDS",
     "exit 3 if a finding of these kinds exists (comma list: leak, reachable, fd, zombie, "
     "child, thread, tempfile, growth, rss), each optionally with a limit: growth>1m/h (a "
     "stack growing faster than 1 MiB per hour; /s /m /h /d), rss>10m/h, leak>64k (a stack "
     "holding more), fd>10 (descriptors grown over the window; also thread, zombie), "
     "child>N, tempfile>N (more than N); e.g. --fail-on leak,growth>1m/h,fd>10",
     opt_fail_on},
    {"top", 0, "N",
     "actionable findings shown per process (all but indirect and reachable; text default "
     "20, JSON all; 0 = all)",
     opt_top},
    {"show", 0, "KINDS",
     "text: list the findings of these kinds, reachable and/or indirect (comma list; default: "
     "one summary line each per process)",
     opt_show},
    {"pid", 0, "PID", "only this process (repeatable)", opt_pid},
    {"exe", 0, "NAME", "only processes whose executable or argv[0] is named NAME (repeatable)",
     opt_exe},
    {"frames", 0, "N",
     "text: frames shown per stack, from the first of the program's own code (library frames "
     "above it are folded into one note; default 0 = all)",
     opt_frames},
    {"full-names", 0, NULL,
     "text: whole C++ names (templates, return types) and every library frame", opt_full_names},
    {"min-bytes", 0, "N", "hide leak and reachable findings under N bytes (suffix k, m, g)",
     opt_min_bytes},
    {"window", 0, "START:END",
     "trend tests over this part only, seconds from start (negative: from the end; suffix "
     "s, m, h or d; either side may be empty, e.g. 30:, -60: or -1m:)",
     opt_window},
    {"limit", 0, "SIZE",
     "growth findings get eta_s, the seconds until the site alone reaches SIZE (e.g. 1g)",
     opt_limit},
    {"diff", 0, "A B",
     "also list what grew, shrank, appeared, disappeared per stack between two snapshots "
     "(index, negative from the end, or time like 10s or 2m)",
     opt_diff},
    {"follow", 0, NULL,
     "re-read one trace that is being written and re-report while it grows, until it has "
     "END or SIGINT",
     opt_follow},
    {"every", 0, "S",
     "with --follow: seconds between reports (default 5; 0.05..86400, suffix s, m, h or d)",
     opt_every},
    {"growing-only", 0, NULL,
     "with --fail-on: fd, thread and zombie findings count only when growing (soak tests)",
     opt_growing_only},
    {"output", 'o', "FILE", "write the report to FILE instead of stdout", opt_output},
    {"debug-dir", 0, "DIR",
     "also look for modules' files here, by build-id (DIR/.build-id/xx/yyyy[.debug]) and by "
     "name (may be repeated; searched after the trace's path and /usr/lib/debug, before "
     "debuginfod)",
     opt_debug_dir},
    {"bundle", 0, "DIR",
     "instead of a report, copy the traces and the files their stacks need (by build-id) "
     "into DIR, for leak-report --debug-dir DIR DIR on another machine",
     opt_bundle},
    {"no-symbols", 0, NULL, "do not read debug information (frames stay module+offset)",
     opt_no_symbols},
    {"help", 'h', NULL, "show this help", opt_help},
    {"version", 0, NULL, "show the version", opt_version},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static void print_help(FILE *f)
{
	fprintf(f, "usage: leak-report [OPTIONS] TRACE|DIR...\n"
	           "Reads libleak traces (*.lkt; a directory means every *.lkt in it) and reports "
	           "what leaked.\n\noptions:\n");
	for (size_t i = 0; i < N_OPTIONS; i++) {
		char lhs[64];
		snprintf(lhs, sizeof(lhs), "%s%c%s--%s%s%s", options[i].short_name ? "-" : "",
		         options[i].short_name ? options[i].short_name : ' ',
		         options[i].short_name ? ", " : "  ", options[i].name,
		         options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
		fprintf(f, "  %-24s %s\n", options[i].short_name ? lhs : lhs + 2, options[i].help);
	}
	fprintf(f, "\nCounts are decimals; sizes take k, m, g (binary); times s, m, h, d.\n");
	fprintf(f, "\nexit status: 0 report written, 3 --fail-on matched, 2 bad usage or "
	           "unreadable trace\n");
}

static int parse_args(struct cli *c, int argc, char **argv, struct err *e)
{
	c->inputs = calloc((size_t)argc + 1, sizeof(char *));
	if (!c->inputs)
		return err_set(e, "out of memory");
	bool only_inputs = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (c->diff_want_b) {
			/* The second operand of --diff A B (it may start with '-'). */
			c->diff_want_b = false;
			if (diff_ref_parse(a, &c->aopts.diff_b, e) != 0)
				return -1;
			continue;
		}
		if (only_inputs || a[0] != '-' || a[1] == '\0') {
			c->inputs[c->n_inputs++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_inputs = true;
			continue;
		}
		const struct option_def *o = NULL;
		const char *value = NULL;
		size_t name_len = 0;
		if (a[1] == '-') {
			name_len = strcspn(a + 2, "=");
			if (a[2 + name_len] == '=')
				value = a + 3 + name_len;
			for (size_t k = 0; k < N_OPTIONS; k++) {
				if (strlen(options[k].name) == name_len &&
				    strncmp(options[k].name, a + 2, name_len) == 0)
					o = &options[k];
			}
		} else if (a[2] == '\0') {
			for (size_t k = 0; k < N_OPTIONS; k++) {
				if (options[k].short_name == a[1])
					o = &options[k];
			}
		}
		if (!o)
			return err_set(e, "unknown option '%.64s' (see --help)", a);
		if (o->arg && !value) {
			if (i + 1 >= argc)
				return err_set(e, "option --%s needs an argument %s", o->name,
				               o->arg);
			value = argv[++i];
		} else if (!o->arg && value) {
			return err_set(e, "option --%s takes no argument", o->name);
		}
		if (o->apply(c, value, e) != 0)
			return -1;
	}
	if (c->diff_want_b)
		return err_set(e, "--diff needs two snapshots, A B (e.g. --diff 0 -1 or 10s 60s)");
	return 0;
}

static void report_skipped(const char *path, const char *why, void *arg)
{
	(void)arg;
	fprintf(stderr, "leak-report: %s: %s (skipped)\n", path, why);
}

/* --diff indices must name snapshots each process has (an index past the end used to become
 * the last snapshot without a word), and times must fall inside its run. */
static int check_diff_ref(const struct model_proc *p, const struct diff_ref *r, struct err *e)
{
	if (!p->n_snaps)
		return 0;
	if (!r->by_time) {
		if (r->index >= (int64_t)p->n_snaps || r->index < -(int64_t)p->n_snaps)
			return err_set(e,
			               "--diff %lld: the trace has %" PRIu32
			               " snapshots (0..%" PRIu32 ", or -%" PRIu32 "..-1)",
			               (long long)r->index, p->n_snaps, p->n_snaps - 1, p->n_snaps);
		return 0;
	}
	double end = (double)p->snaps[p->n_snaps - 1].t_ns / 1e9;
	if (r->t_s > end + 1e-9 || -r->t_s > end + 1e-9)
		return err_set(e, "--diff %gs: the trace's snapshots span 0..%.2f s", r->t_s, end);
	return 0;
}

/* What the options ask of the loaded traces: --diff within range, and --fail-on only over
 * traces that hold a process (a header-only or empty trace cannot pass a CI gate). Returns 0,
 * or -1 with e filled and *bad the trace at fault. */
static int check_inputs(const struct cli *c, const struct model *m, const char **bad, struct err *e)
{
	for (uint32_t i = 0; i < m->n_procs; i++) {
		const struct model_proc *p = m->procs[i];
		*bad = p->trace_path;
		if (c->aopts.diff && (check_diff_ref(p, &c->aopts.diff_a, e) != 0 ||
		                      check_diff_ref(p, &c->aopts.diff_b, e) != 0))
			return -1;
		if (c->fail.n && !p->have_process)
			return err_set(e, "no process record (an empty or header-only trace): "
			                  "nothing for --fail-on to check");
	}
	return 0;
}

static volatile sig_atomic_t follow_stop;

static void on_sigint(int sig)
{
	(void)sig;
	follow_stop = 1;
}

/* --follow: one trace that is still being written. Applies the chunks that arrived, and
 * when there were any, analyzes and writes a whole report (text: under a "---" header line;
 * JSON: one document per line-separated report), every c->every_s seconds, until the trace
 * has END or SIGINT arrives. Returns the exit status (--fail-on applies to the last report). */
static int run_follow(const struct cli *c, FILE *out)
{
	struct err e = {{0}};
	struct trace_reader *r = NULL;
	struct model *m = model_create();
	struct symbolizer *s = cli_symbolizer(c);
	struct model_proc *p = m ? model_add_proc(m, c->inputs[0]) : NULL;
	int status = EXIT_BAD;
	bool matched = false, reported = false;
	if (!m || !s || !p) {
		fprintf(stderr, "leak-report: out of memory\n");
		goto out;
	}
	if (trace_reader_open(&r, c->inputs[0], &e) != 0) {
		fprintf(stderr, "leak-report: %s: %s\n", c->inputs[0], e.msg);
		goto out;
	}
	struct sigaction sa = {.sa_handler = on_sigint};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct report_opts ro = {.top = c->top_set ? c->top
	                                : c->json  ? 0
	                                           : 20,
	                         .frames = c->frames,
	                         .full = c->full_names,
	                         .show_reachable = c->show_reachable,
	                         .show_indirect = c->show_indirect};
	double every = c->every_s > 0 ? c->every_s : 5;
	for (;;) {
		int n = trace_reader_update(r, p, NULL, &e);
		if (n < 0) {
			fprintf(stderr, "leak-report: %s: %s\n", c->inputs[0], e.msg);
			goto out;
		}
		/* No END and no new chunk: the writer may have died (SIGKILL, a crash) without
		 * one. Its pid gone, or taken by another process, ends the follow. */
		bool gone = p->have_process && !p->have_end && !proc_alive(p->pid, p->start_ns);
		if ((n > 0 || !reported || gone) && p->have_process) {
			struct analysis *a;
			struct analyze_opts ao = c->aopts;
			ao.sym = s;
			if (analyze_run(m, &ao, &a, &e) != 0) {
				fprintf(stderr, "leak-report: %s\n", e.msg);
				goto out;
			}
			if (!c->json)
				fprintf(out, "%s--- %s: %" PRIu32 " snapshot%s, %.1f s%s\n",
				        reported ? "\n" : "", c->inputs[0], p->n_snaps,
				        p->n_snaps == 1 ? "" : "s",
				        p->n_snaps ? (double)p->snaps[p->n_snaps - 1].t_ns / 1e9
				                   : 0.0,
				        p->have_end ? ", ended"
				        : gone      ? ", gone"
				                    : ", running");
			int rc = c->json ? report_json_write(out, a, s, &ro, &e)
			                 : report_text_write(out, a, s, &ro, &e);
			if (rc == 0 && c->json)
				fputc('\n', out);
			matched = cli_matches(fail_rules_match(&c->fail, a, c->growing_only));
			analyze_free(a);
			if (rc != 0 || fflush(out) != 0) {
				fprintf(stderr, "leak-report: %s\n", rc ? e.msg : "write failed");
				goto out;
			}
			reported = true;
		}
		if (gone && !c->json)
			fprintf(out,
			        "--- %s: process %" PRIu32
			        " is gone without an END record (killed or crashed); "
			        "this was its last report\n",
			        c->inputs[0], p->pid);
		if (gone)
			fprintf(stderr,
			        "leak-report: %s: process %" PRIu32
			        " is gone without an END record\n",
			        c->inputs[0], p->pid);
		if (p->have_end || follow_stop || gone)
			break;
		struct timespec ts = {.tv_sec = (time_t)every,
		                      .tv_nsec = (long)((every - (double)(time_t)every) * 1e9)};
		nanosleep(&ts, NULL); /* SIGINT cuts it short */
		if (follow_stop)
			break;
	}
	symbolizer_notes(s, stderr, "leak-report");
	status = matched ? EXIT_MATCHED : EXIT_OK;
out:
	trace_reader_close(r);
	symbolizer_destroy(s);
	model_destroy(m);
	return status;
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	struct err e = {{0}};
	struct model *m = NULL;
	struct analysis *a = NULL;
	struct symbolizer *s = NULL;
	FILE *out = stdout;
	int status = EXIT_BAD;

	if (parse_args(&c, argc, argv, &e) != 0) {
		fprintf(stderr, "leak-report: %s\n", e.msg);
		goto out;
	}
	if (c.help) {
		print_help(stdout);
		status = EXIT_OK;
		goto out;
	}
	if (c.version) {
		printf("leak-report %s\n", LEAK_VERSION_STRING);
		status = EXIT_OK;
		goto out;
	}
	if (c.metric_set && c.format != FORMAT_COLLAPSED) {
		fprintf(stderr, "leak-report: --metric applies to --format collapsed only\n");
		goto out;
	}
	if (c.format == FORMAT_PPROF && !c.out_path && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "leak-report: --format pprof writes binary data: give -o FILE\n");
		goto out;
	}
	if (!c.n_inputs) {
		fprintf(stderr, "leak-report: no trace given (see --help)\n");
		goto out;
	}
	if (c.follow) {
		if (c.n_inputs != 1 || c.format == FORMAT_COLLAPSED || c.format == FORMAT_PPROF) {
			fprintf(stderr, "leak-report: --follow reads one trace and writes text or "
			                "JSON\n");
			goto out;
		}
		if (c.out_path && !(out = fopen(c.out_path, "w"))) {
			fprintf(stderr, "leak-report: %s: %s\n", c.out_path, strerror(errno));
			out = stdout;
			goto out;
		}
		status = run_follow(&c, out);
		if (out != stdout && fclose(out) != 0 && status != EXIT_BAD) {
			fprintf(stderr, "leak-report: %s: write failed\n", c.out_path);
			status = EXIT_BAD;
		}
		out = stdout;
		goto out;
	}
	m = model_create();
	if (!m) {
		fprintf(stderr, "leak-report: out of memory\n");
		goto out;
	}
	const char *failed;
	if (load_paths(m, c.inputs, c.n_inputs, report_skipped, NULL, &failed, &e) != 0) {
		fprintf(stderr, "leak-report: %s: %s\n", failed, e.msg);
		goto out;
	}
	if (check_inputs(&c, m, &failed, &e) != 0) {
		fprintf(stderr, "leak-report: %s: %s\n", failed, e.msg);
		goto out;
	}
	s = cli_symbolizer(&c);
	if (!s) {
		fprintf(stderr, "leak-report: out of memory\n");
		goto out;
	}
	/* Findings merge by the names the report shows (a --bundle shows none). */
	c.aopts.sym = c.bundle_dir ? NULL : s;
	if (analyze_run(m, &c.aopts, &a, &e) != 0) {
		fprintf(stderr, "leak-report: %s\n", e.msg);
		goto out;
	}
	if (c.bundle_dir) {
		struct bundle_stats bs;
		char b[32];
		if (bundle_write(c.bundle_dir, m, s, &bs, &e) != 0) {
			fprintf(stderr, "leak-report: --bundle: %s\n", e.msg);
			goto out;
		}
		printf("leak-report: %s: %" PRIu32 " trace%s and %" PRIu32
		       " module file%s (%s); report from it with: leak-report --debug-dir %s %s\n",
		       c.bundle_dir, bs.traces, bs.traces == 1 ? "" : "s", bs.files,
		       bs.files == 1 ? "" : "s", report_bytes(bs.bytes, b, sizeof(b)), c.bundle_dir,
		       c.bundle_dir);
		if (bs.missing)
			printf(
			    "leak-report: %" PRIu32
			    " module%s without a file here: their frames stay unnamed there too\n",
			    bs.missing, bs.missing == 1 ? "" : "s");
		status = EXIT_OK;
		goto out;
	}
	if (c.out_path && !(out = fopen(c.out_path, "w"))) {
		fprintf(stderr, "leak-report: %s: %s\n", c.out_path, strerror(errno));
		out = stdout;
		goto out;
	}
	struct report_opts ro = {.top = c.top_set ? c.top
	                                : c.json  ? 0
	                                          : 20,
	                         .frames = c.frames,
	                         .full = c.full_names,
	                         .show_reachable = c.show_reachable,
	                         .show_indirect = c.show_indirect};
	int rc = c.format == FORMAT_COLLAPSED
	             ? export_collapsed_write(out, a, &c.aopts, s, c.metric, &e)
	         : c.format == FORMAT_PPROF ? export_pprof_write(out, a, &c.aopts, s, &e)
	         : c.json                   ? report_json_write(out, a, s, &ro, &e)
	                                    : report_text_write(out, a, s, &ro, &e);
	if (out != stdout) {
		if (fclose(out) != 0 && rc == 0)
			rc = err_set(&e, "write failed: %s", strerror(errno));
		out = stdout;
	}
	if (rc != 0) {
		fprintf(stderr, "leak-report: %s: %s\n", c.out_path ? c.out_path : "stdout", e.msg);
		goto out;
	}
	symbolizer_notes(s, stderr, "leak-report");
	uint32_t matched = fail_rules_match(&c.fail, a, c.growing_only);
	status = cli_matches(matched) ? EXIT_MATCHED : EXIT_OK;
	cli_note_untested(&c, a, matched);
out:
	if (status == EXIT_OK || status == EXIT_MATCHED) {
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "leak-report: stdout: write failed\n");
			status = EXIT_BAD;
		}
	}
	symbolizer_destroy(s);
	analyze_free(a);
	model_destroy(m);
	free(c.inputs);
	return status;
}
