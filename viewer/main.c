/* SPDX-License-Identifier: MIT */
/* main.c - leak-view: traces -> the same analysis as leak-report (collector/analyze.h) ->
 * its JSON report rendered into memory (report_json_write on open_memstream) plus the time
 * series and flame-graph data (series.c) -> one self-contained HTML page (html.c). The only
 * viewer file that prints or exits: errors are one line "leak-view: [PATH: ]reason", exit 2. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "err.h"
#include "html.h"
#include "json_out.h"
#include "load.h"
#include "model.h"
#include "parse.h"
#include "report.h"
#include "series.h"
#include "symbolizer.h"
#include "trace_reader.h"
#include "version.h"

#define EXIT_OK  0
#define EXIT_BAD 2

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: leak-view [OPTIONS] TRACE|DIR... -o report.html\n"
	    "Writes one self-contained HTML page (timelines, flame graphs, findings) for "
	    "libleak traces;\na directory means every *.lkt in it (a fork tree gets one "
	    "section per process).\n\noptions:\n"
	    "  -o, --output FILE   the page to write (required)\n"
	    "  --top N             findings listed per process (default 200; 0 = all)\n"
	    "  --min-bytes N       hide heap findings smaller than N bytes (suffix k, m, g)\n"
	    "  --window START:END  growth over this part only, seconds from start (negative: "
	    "from the end;\n"
	    "                      either side may be empty), as leak-report --window\n"
	    "  --flame-stacks N    stacks drawn per flame graph (default 3000; the rest are "
	    "merged)\n"
	    "  --points N          timeline points per process (default 2000)\n"
	    "  --pid PID           only this process (repeatable)\n"
	    "  --exe NAME          only processes whose executable or argv[0] is NAME "
	    "(repeatable)\n"
	    "  --debug-dir DIR     also look for modules' files here (by build-id and name), as\n"
	    "                      leak-report --debug-dir\n"
	    "  --no-symbols        do not read debug information\n"
	    "  -h, --help          show this help\n"
	    "  --version           show the version\n"
	    "\nThe charting library is read from %s (Debian package libjs-dygraphs;\n"
	    "LEAK_VIEW_JS_DIR overrides). Exit status: 0 page written, 2 error.\n",
	    HTML_DYGRAPHS_DIR);
}

static void report_skipped(const char *path, const char *why, void *arg)
{
	(void)arg;
	fprintf(stderr, "leak-view: %s: %s (skipped)\n", path, why);
}

int main(int argc, char **argv)
{
	const char *out_path = NULL;
	const char *debug_dirs[16];
	int n_debug_dirs = 0;
	bool no_symbols = false;
	uint64_t top = 200, flame = 3000, points = 2000;
	struct analyze_opts aopts = {0};
	uint32_t pids[64];
	const char *exes[64];
	aopts.pids = pids;
	aopts.exes = exes;
	const char **inputs = calloc((size_t)argc + 1, sizeof(char *));
	int n_inputs = 0, status = EXIT_BAD;
	struct model *m = NULL;
	struct analysis *a = NULL;
	struct symbolizer *s = NULL;
	char *report = NULL, *series = NULL;
	size_t report_len = 0, series_len = 0;
	FILE *out = NULL;
	struct err e = {{0}};

	if (!inputs) {
		fprintf(stderr, "leak-view: out of memory\n");
		return EXIT_BAD;
	}
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t *num = NULL;
		if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
			usage(stdout);
			status = EXIT_OK;
			goto out;
		} else if (strcmp(o, "--version") == 0) {
			printf("leak-view %s\n", LEAK_VERSION_STRING);
			status = EXIT_OK;
			goto out;
		} else if (strcmp(o, "-o") == 0 || strcmp(o, "--output") == 0) {
			if (!val) {
				fprintf(stderr, "leak-view: %s needs a FILE\n", o);
				goto out;
			}
			out_path = val;
			i++;
			continue;
		} else if (strcmp(o, "--window") == 0) {
			struct err we = {{0}};
			if (analyze_parse_window(&aopts, val, &we) != 0) {
				fprintf(stderr, "leak-view: %s\n", we.msg);
				goto out;
			}
			i++;
			continue;
		} else if (strcmp(o, "--no-symbols") == 0) {
			no_symbols = true;
			continue;
		} else if (strcmp(o, "--pid") == 0) {
			uint64_t v;
			if (parse_count("--pid", val, 1, UINT32_MAX, &v, &e) != 0) {
				fprintf(stderr, "leak-view: %s\n", e.msg);
				goto out;
			}
			if (aopts.n_pids == 64) {
				fprintf(stderr, "leak-view: --pid: at most 64\n");
				goto out;
			}
			pids[aopts.n_pids++] = (uint32_t)v;
			i++;
			continue;
		} else if (strcmp(o, "--exe") == 0) {
			if (!val || !*val || strchr(val, '/') || aopts.n_exes == 64) {
				fprintf(stderr, "leak-view: --exe wants a program name, not '%s'\n",
				        val ? val : "");
				goto out;
			}
			exes[aopts.n_exes++] = val;
			i++;
			continue;
		} else if (strcmp(o, "--debug-dir") == 0) {
			if (!val || n_debug_dirs == 16) {
				fprintf(stderr,
				        "leak-view: --debug-dir needs a DIR (at most 16)\n");
				goto out;
			}
			debug_dirs[n_debug_dirs++] = val;
			i++;
			continue;
		} else if (strcmp(o, "--top") == 0) {
			num = &top;
		} else if (strcmp(o, "--min-bytes") == 0) {
			num = &aopts.min_bytes;
		} else if (strcmp(o, "--flame-stacks") == 0) {
			num = &flame;
		} else if (strcmp(o, "--points") == 0) {
			num = &points;
		} else if (o[0] == '-' && o[1]) {
			fprintf(stderr, "leak-view: unknown option '%s' (see --help)\n", o);
			goto out;
		} else {
			inputs[n_inputs++] = o;
			continue;
		}
		int rc = num == &aopts.min_bytes
		             ? parse_size(o, val, 0, UINT64_MAX, num, &e)
		             : parse_count(o, val, num == &top ? 0 : 1, UINT32_MAX, num, &e);
		if (rc != 0) {
			fprintf(stderr, "leak-view: %s\n", e.msg);
			goto out;
		}
		i++;
	}
	if (!n_inputs || !out_path) {
		fprintf(stderr, "leak-view: %s (see --help)\n",
		        !n_inputs ? "no trace given" : "no output page given (-o report.html)");
		goto out;
	}
	/* Fail before the slow part when the charting library is missing. */
	if (html_check_assets(&e) != 0) {
		fprintf(stderr, "leak-view: %s\n", e.msg);
		goto out;
	}
	if (!(m = model_create()))
		goto oom;
	const char *failed;
	if (load_paths(m, inputs, n_inputs, report_skipped, NULL, &failed, &e) != 0) {
		fprintf(stderr, "leak-view: %s: %s\n", failed, e.msg);
		goto out;
	}
	if (!(s = symbolizer_create(!no_symbols, NULL)))
		goto oom;
	for (int k = 0; k < n_debug_dirs; k++) {
		if (symbolizer_add_debug_dir(s, debug_dirs[k]) != 0)
			goto oom;
	}
	aopts.sym = s; /* findings merge by the names the page shows */
	if (analyze_run(m, &aopts, &a, &e) != 0) {
		fprintf(stderr, "leak-view: %s\n", e.msg);
		goto out;
	}

	FILE *mem = open_memstream(&report, &report_len);
	if (!mem)
		goto oom;
	struct report_opts ro = {.top = (size_t)top};
	int rc = report_json_write(mem, a, s, &ro, &e);
	if (fclose(mem) != 0 && rc == 0)
		rc = err_set(&e, "out of memory");
	if (rc != 0) {
		fprintf(stderr, "leak-view: report: %s\n", e.msg);
		goto out;
	}
	if (!(mem = open_memstream(&series, &series_len)))
		goto oom;
	struct json_out j;
	json_out_init(&j, mem);
	struct series_opts so = {.max_points = (uint32_t)points,
	                         .top_growing = 8,
	                         .max_flame_stacks = (uint32_t)flame,
	                         .findings_shown = (size_t)top,
	                         .aopts = &aopts};
	rc = series_write(&j, a, s, &so, &e);
	if (fclose(mem) != 0 && rc == 0)
		rc = err_set(&e, "out of memory");
	if (rc != 0) {
		fprintf(stderr, "leak-view: series: %s\n", e.msg);
		goto out;
	}

	if (!(out = fopen(out_path, "w"))) {
		fprintf(stderr, "leak-view: %s: %s\n", out_path, strerror(errno));
		goto out;
	}
	/* The title names the first process that recorded its executable. */
	const char *exe = "trace";
	for (uint32_t i = a->n_procs; i-- > 0;) {
		if (a->procs[i].proc->exe && a->procs[i].depth == 0)
			exe = a->procs[i].proc->exe;
	}
	const char *base = strrchr(exe, '/');
	char title[256];
	snprintf(title, sizeof(title), "libleak: %s%s", base ? base + 1 : exe,
	         a->n_procs > 1 ? " (process tree)" : "");
	struct html_input in = {.title = title,
	                        .report_json = report,
	                        .report_len = report_len,
	                        .series_json = series,
	                        .series_len = series_len};
	rc = html_write(out, &in, &e);
	if (fclose(out) != 0 && rc == 0)
		rc = err_set(&e, "write failed: %s", strerror(errno));
	out = NULL;
	if (rc != 0) {
		fprintf(stderr, "leak-view: %s: %s\n", out_path, e.msg);
		goto out;
	}
	symbolizer_notes(s, stderr, "leak-view");
	status = EXIT_OK;
	goto out;
oom:
	fprintf(stderr, "leak-view: out of memory\n");
out:
	if (out)
		fclose(out);
	free(report);
	free(series);
	symbolizer_destroy(s);
	analyze_free(a);
	model_destroy(m);
	free(inputs);
	return status;
}
