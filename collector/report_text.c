/* SPDX-License-Identifier: MIT */
/* report_text.c - the default human report: one summary block per process, children
 * indented under their parent (the process tree), then its findings ranked as analyze.c
 * left them, each with its symbolized stack. A child with nothing to act on is one line, and
 * a run of them that ended cleanly ("15 processes with no findings, all exit 0: ...") one in
 * all. Sizes in binary units, counts with thousands separators, the kind and size columns
 * aligned. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "frame_name.h"
#include "proc_alive.h"
#include "report_growth.h"
#include "report_attach.h"
#include "report_scan.h"
#include "trace_format.h"

/* Control bytes of a string from the trace (a hostile file name can hold terminal escapes)
 * as \xNN; buf is a char array. */
#define ESC(str, buf) frame_name_escape((str), (buf), sizeof(buf))

static const char *base_name(const char *path)
{
	const char *b = path ? strrchr(path, '/') : NULL;
	return b ? b + 1 : path ? path : "?";
}

enum name_form { NAME_SHORT, NAME_FULL, NAME_COMPACT };

static void print_frame_name(FILE *f, const struct sym_frame *fr, enum name_form form)
{
	char sb[512], eb[1024];
	if (!fr->function) {
		if (fr->python)
			fputs("?", f); /* a code object the trace does not name (cut short) */
		else
			fprintf(f, "0x%" PRIx64, fr->addr);
		return;
	}
	if (fr->python || fr->js) { /* <lambda>, f.<locals>.g, get x: no C++ to shorten */
		fputs(frame_name_escape(fr->function, eb, sizeof(eb)), f);
		return;
	}
	const char *name = form == NAME_FULL      ? fr->function
	                   : form == NAME_COMPACT ? frame_name_compact(fr->function, sb, sizeof(sb))
	                                          : frame_name_short(fr->function, sb, sizeof(sb));
	fputs(frame_name_escape(name, eb, sizeof(eb)), f);
}

void report_text_frames(FILE *f, const char *ind, const struct sym_stack *st,
                        const struct report_opts *o)
{
	if (!st->n) {
		fprintf(f, "%s      (no stack)\n", ind);
		return;
	}
	size_t first = o->full ? 0 : frame_name_first_user(st);
	size_t end = o->frames && first + o->frames < st->n ? first + o->frames : st->n;
	char eb[1024];
	for (size_t i = first; i < end; i++) {
		const struct sym_frame *fr = &st->frames[i];
		fprintf(f, "%s      #%-2zu ", ind, i);
		print_frame_name(f, fr, o->full ? NAME_FULL : NAME_SHORT);
		const char *file = frame_name_escape(fr->file, eb, sizeof(eb));
		if (file && fr->line)
			fprintf(f, " %s:%d", file, fr->line);
		else if (file)
			fprintf(f, " %s", file);
		if (fr->python)
			fputs(" [py]", f);
		else if (fr->js)
			fputs(" [js]", f);
		else if (fr->module && fr->function)
			fprintf(f, " (%s)",
			        frame_name_escape(base_name(fr->module), eb, sizeof(eb)));
		else if (fr->module)
			fprintf(f, " (%s+0x%" PRIx64 ")",
			        frame_name_escape(base_name(fr->module), eb, sizeof(eb)),
			        fr->offset);
		if (fr->inlined)
			fputs(" [inlined]", f);
		if (i == first && first) {
			/* The library frames above, on a line of their own: the one the user's
			 * code called names the container or call (std::map<...>::operator[]). */
			fprintf(f, "\n%s          via ", ind);
			print_frame_name(f, &st->frames[first - 1], NAME_SHORT);
			fprintf(f, " (%zu library frame%s folded)", first, first == 1 ? "" : "s");
		}
		fputc('\n', f);
	}
	if (end < st->n)
		fprintf(f, "%s      ... %zu more frame%s (--frames 0 shows all)\n", ind,
		        st->n - end, st->n - end == 1 ? "" : "s");
}

/* The longest inline stack, " via ..." included: frames past it become " < ...", so that a
 * --diff line stays readable (and under 160 characters with its indentation). */
#define INLINE_MAX 150

/* One frame of an inline stack, into a string the caller frees (NULL: out of memory): its
 * name, then " file:line" (with_file), ":line", or nothing (name_only). */
static char *inline_frame(const struct sym_frame *fr, bool with_file, bool name_only)
{
	char *s = NULL, eb[1024];
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);
	if (!m)
		return NULL;
	print_frame_name(m, fr, NAME_COMPACT);
	if (!name_only && with_file && fr->file && fr->line)
		fprintf(m, " %s:%d", frame_name_escape(fr->file, eb, sizeof(eb)), fr->line);
	else if (!name_only && fr->line)
		fprintf(m, ":%d", fr->line);
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

void report_text_frames_inline(FILE *f, const struct sym_stack *st, size_t n)
{
	if (!st->n) {
		fputs("(no stack)", f);
		return;
	}
	size_t first = frame_name_first_user(st);
	char *via = first ? inline_frame(&st->frames[first - 1], false, true) : NULL;
	size_t budget = INLINE_MAX - (via ? strlen(via) + 5 : 0), used = 0;
	for (size_t k = first; k < st->n && k < first + n; k++) {
		char *fr = inline_frame(&st->frames[k], k == first, false);
		if (!fr)
			break;
		size_t need = strlen(fr) + (k > first ? 3 : 0);
		if (k > first && used + need > budget) {
			fputs(" < ...", f);
			free(fr);
			break;
		}
		fprintf(f, "%s%s", k > first ? " < " : "", fr);
		used += need;
		free(fr);
	}
	if (via)
		fprintf(f, " via %s", via);
	free(via);
}

static void print_ids(FILE *f, const char *what, const struct finding *fi)
{
	fprintf(f, "%s", what);
	for (uint32_t i = 0; i < fi->n_ids && i < 16; i++)
		fprintf(f, " %" PRIu32, fi->ids[i]);
	if (fi->n_ids > 16)
		fprintf(f, " ... (%" PRIu32 " in all)", fi->n_ids);
}

/* A group of several distinct paths or peers lists them on a line of its own (the finding
 * line shows the first): "paths: a, b, c and 27 more". */
static void print_members(FILE *f, const char *ind, const char *what, const char *const *list,
                          uint32_t n, uint32_t more)
{
	char eb[1024];
	if (n + more < 2)
		return;
	/* Members in one directory: the directory once, then their names. */
	const char *slash = strrchr(list[0], '/');
	size_t dir = slash ? (size_t)(slash - list[0]) + 1 : 0;
	for (uint32_t i = 1; i < n && dir; i++) {
		if (strncmp(list[i], list[0], dir) != 0 || strchr(list[i] + dir, '/'))
			dir = 0;
	}
	fprintf(f, "\n%s             %s", ind, what);
	if (dir > 1) {
		char d[1024];
		snprintf(d, sizeof(d), "%.*s", (int)(dir < sizeof(d) ? dir : sizeof(d) - 1),
		         list[0]);
		fprintf(f, " in %s", frame_name_escape(d, eb, sizeof(eb)));
	}
	fputs(": ", f);
	for (uint32_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "",
		        frame_name_escape(list[i] + (dir > 1 ? dir : 0), eb, sizeof(eb)));
	if (more)
		fprintf(f, " and %" PRIu32 " more", more);
}

static void print_finding_line(FILE *f, const char *ind, size_t rank, const struct finding *fi)
{
	char b[32], c[32], e1[1024], e2[1024], e3[256];
	fprintf(f, "%s  #%-3zu %-10s ", ind, rank, finding_kind_name(fi->kind));
	report_count(fi->count, c, sizeof(c));
	switch (fi->kind) {
	case FINDING_LEAK:
	case FINDING_REACHABLE:
	case FINDING_INDIRECT:
		fprintf(f, "%10s in %s block%s", report_bytes(fi->bytes, b, sizeof(b)), c,
		        fi->count == 1 ? "" : "s");
		if (fi->held_count) { /* what is leaked only through it */
			char hb[32], hc[32];
			fprintf(f, ", holding %s in %s more block%s",
			        report_bytes(fi->held_bytes, hb, sizeof(hb)),
			        report_count(fi->held_count, hc, sizeof(hc)),
			        fi->held_count == 1 ? "" : "s");
		}
		break;
	case FINDING_FD:
		fprintf(f, "%10s open  %s", c, fi->fd_type);
		if (fi->path && fi->path[0])
			fprintf(f, " %s", ESC(fi->path, e1));
		if (fi->peer && fi->peer[0])
			fprintf(f, " -> %s", ESC(fi->peer, e2));
		if (fi->api && fi->api[0])
			fprintf(f, " (%s)", ESC(fi->api, e3));
		print_ids(f, ", fd", fi);
		if (fi->inherited_by_exec)
			fputs(", inherited by exec", f);
		break;
	case FINDING_ZOMBIE:
		fprintf(f, "%10s child%s never reaped, ", c, fi->count == 1 ? "" : "ren");
		print_ids(f, "pid", fi);
		break;
	case FINDING_CHILD:
		fprintf(f, "%10s child%s still running, ", c, fi->count == 1 ? "" : "ren");
		print_ids(f, "pid", fi);
		break;
	case FINDING_THREAD:
		fprintf(f, "%10s thread%s %s, ", c, fi->count == 1 ? "" : "s",
		        fi->state && strcmp(fi->state, "unjoined") == 0   ? "finished, never joined"
		        : fi->state && strcmp(fi->state, "detached") == 0 ? "running detached"
		                                                          : "running joinable");
		print_ids(f, "tid", fi);
		break;
	case FINDING_GROWTH:
	case FINDING_RSS:
		report_growth_text_line(f, fi);
		break;
	case FINDING_TEMPFILE:
		/* "3 left on disk (mkstemp): /tmp/a, /tmp/b, /tmp/c ... (24 in all)" */
		fprintf(f, "%10s left on disk", c);
		if (fi->api && fi->api[0])
			fprintf(f, " (%s)", ESC(fi->api, e3));
		fputs(":", f);
		for (uint32_t i = 0; i < fi->n_paths && i < 3; i++)
			fprintf(f, "%s %s", i ? "," : "", ESC(fi->paths[i], e1));
		if (!fi->n_paths && fi->path)
			fprintf(f, " %s", ESC(fi->path, e1));
		if (fi->count > 3)
			fprintf(f, " ... (%" PRIu64 " in all)", fi->count);
		break;
	default:
		fprintf(f, "%10s", c);
		break;
	}
	report_growth_text_mark(f, fi);
	if (fi->kind == FINDING_FD) {
		bool sock = fi->fd_type && strncmp(fi->fd_type, "socket", 6) == 0;
		print_members(f, ind, sock ? "local" : "paths", fi->paths, fi->n_paths,
		              fi->more_paths);
		print_members(f, ind, "peers", fi->peers, fi->n_peers, fi->more_peers);
	}
	fputc('\n', f);
}

/* "children that did not exit 0: pid 12 killed by signal 9, pid 13 exit 2": the ends the
 * process's wait saw, for a child that wrote no trace of its own (nothing of its own to
 * report, or killed before its first snapshot) the only word of it. */
static void print_failed_children(FILE *f, const char *ind, const struct model_proc *p)
{
	uint32_t shown = 0, failed = 0;
	char how[48];
	for (uint32_t i = 0; i < p->n_children; i++) {
		const struct model_child *c = &p->children[i];
		if (!c->have_wstatus || c->wstatus == 0)
			continue;
		if (failed++ == 0)
			fprintf(f, "%s  children that did not exit 0:", ind);
		if (shown < 8) {
			fprintf(f, "%s pid %" PRIu32 " %s", shown ? "," : "", c->pid,
			        report_wait_text(c->wstatus, how, sizeof(how)));
			shown++;
		}
	}
	if (failed > shown)
		fprintf(f, " and %" PRIu32 " more (JSON \"children\")", failed - shown);
	if (failed)
		fputc('\n', f);
}

static void print_summary(FILE *f, const char *ind, const struct analysis_proc *ap)
{
	const struct model_proc *p = ap->proc;
	char b1[32], b2[32], c1[32], endbuf[300], e1[1024], e2[1024];
	if (!p->have_process && !p->n_chunks) {
		fprintf(f,
		        "%s%s%s [pid %" PRIu32 "]: only a header, no snapshot (the process ended, "
		        "exec'd or was killed before its first one)",
		        ind, ap->depth ? "`- " : "", ESC(base_name(p->trace_path), e1), p->pid);
		if (p->have_wait_status)
			fprintf(f, "; its parent's wait saw %s",
			        report_wait_text(p->wait_status, endbuf, sizeof(endbuf)));
		fputc('\n', f);
		return;
	}
	if (!p->have_process) {
		fprintf(f, "%s%s%s [pid %" PRIu32 "]\n", ind, ap->depth ? "`- " : "",
		        ESC(base_name(p->trace_path), e1), p->pid);
		fprintf(f,
		        "%s  warning: %" PRIu64 " bytes of damaged data skipped (%s), the PROCESS "
		        "record with them; the rest is reported\n",
		        ind, p->skipped_bytes, ESC(p->damage, e2));
		return;
	}
	fprintf(f, "%s%s%s [pid %" PRIu32 "]", ind, ap->depth ? "`- " : "",
	        ESC(base_name(p->exe), e1), p->pid);
	for (uint32_t i = 0; i < p->argc && i < 8; i++)
		fprintf(f, " %s", ESC(p->argv[i], e1));
	if (p->argc > 8)
		fputs(" ...", f);
	fputc('\n', f);
	const struct model_snapshot *last = p->n_snaps ? &p->snaps[p->n_snaps - 1] : NULL;
	double secs = (double)(model_proc_end_ns(p) - p->start_ns) / 1e9;
	char ran[96], win[64];
	if (report_attached(p))
		snprintf(ran, sizeof(ran), "attached %s",
		         report_attach_window(p, win, sizeof(win)));
	else
		snprintf(ran, sizeof(ran), "ran %.2f s", secs);
	fprintf(f,
	        "%s  ppid %" PRIu32 "%s, %s, %" PRIu32
	        " snapshot%s, peak %s live heap, %s allocations (%s), %s\n",
	        ind, p->ppid,
	        (p->flags & TRACE_PROC_FORKED)   ? " (forked)"
	        : (p->flags & TRACE_PROC_EXECED) ? " (exec'd)"
	                                         : "",
	        ran, p->n_snaps, p->n_snaps == 1 ? "" : "s",
	        report_bytes(model_proc_peak_live(p), b1, sizeof(b1)),
	        report_count(last ? last->total_allocs : 0, c1, sizeof(c1)),
	        report_bytes(last ? last->total_alloc_bytes : 0, b2, sizeof(b2)),
	        ESC(report_end_text(p, endbuf, sizeof(endbuf)), e1));
	if (p->sample_bytes)
		fprintf(f,
		        "%s  sampled every %" PRIu64
		        " bytes on average: heap figures are estimates\n",
		        ind, p->sample_bytes);
	if (last && last->dropped_events)
		fprintf(f, "%s  %" PRIu64 " dropped events: counts are approximate\n", ind,
		        last->dropped_events);
	if (p->truncated)
		fprintf(f, "%s  truncated: %s\n", ind, ESC(p->truncation, e2));
	if (p->damaged_chunks)
		fprintf(f,
		        "%s  warning: %" PRIu64 " bytes of damaged data skipped in %" PRIu32
		        " place%s (first: %s); the rest is reported\n",
		        ind, p->skipped_bytes, p->damaged_chunks, p->damaged_chunks == 1 ? "" : "s",
		        ESC(p->damage, e2));
	if (ap->heap_from_sites)
		fprintf(f, "%s  no final snapshot (%s): %s\n", ind,
		        !p->have_end && proc_alive(p->pid, p->start_ns) ? "still running"
		                                                        : "trace cut short",
		        p->n_pycodes ? "the interpreter's heap at the last snapshot is not listed; "
		                       "what grew is growth"
		                     : "leaks are the heap still live at the last snapshot");
	print_failed_children(f, ind, p);
	report_scan_text(f, ind, p);
	report_attach_text(f, ind, p);
}

/* " before exit" when the growth test's count left the exit snapshot out. */
static const char *growth_count_note(const struct analysis_proc *ap)
{
	return ap->growth_exit_left_out ? " before exit" : "";
}

/* "growth test: ..." for a process whose trend tests could not run. */
static void print_growth_test(FILE *f, const char *ind, const struct analysis_proc *ap)
{
	if (!ap->proc->have_process || ap->growth_ran)
		return;
	fprintf(f,
	        "%s  growth test: %" PRIu32 " snapshot%s%s, needs %" PRIu32
	        "; run longer or use -i\n",
	        ind, ap->growth_snaps, ap->growth_snaps == 1 ? "" : "s", growth_count_note(ap),
	        ap->growth_needed);
}

/* The findings [from, to) of one kind not acted on alone (reachable, indirect): one line,
 * "label: 3.2 KiB in 154 blocks from 57 stacks; --show kind lists them". */
static void print_rest_summary(FILE *f, const char *ind, const struct finding_list *l, size_t from,
                               size_t to, const char *label)
{
	uint64_t bytes = 0, blocks = 0;
	for (size_t k = from; k < to; k++) {
		bytes += l->items[k].bytes;
		blocks += l->items[k].count;
	}
	char b[32], c[32];
	fprintf(f, "\n%s  %s: %s in %s block%s from %zu stack%s; --show %s lists them\n", ind,
	        label, report_bytes(bytes, b, sizeof(b)), report_count(blocks, c, sizeof(c)),
	        blocks == 1 ? "" : "s", to - from, to - from == 1 ? "" : "s",
	        finding_kind_name(l->items[from].kind));
}

/* The growth test could not run on a process that lived through periodic snapshots: worth
 * saying. One that ended before its first (under 0.1 s) had nothing to test. */
static bool growth_untested(const struct analysis_proc *ap)
{
	return !ap->growth_ran && ap->growth_snaps;
}

/* A child or exec'd process with nothing to act on: one line. */
static void print_one_line(FILE *f, const char *ind, const struct analysis_proc *ap)
{
	const struct model_proc *p = ap->proc;
	char endbuf[300], b[32], e1[1024];
	fprintf(f, "%s`- %s [pid %" PRIu32 "]", ind, ESC(base_name(p->exe), e1), p->pid);
	for (uint32_t i = 1; i < p->argc && i < 4; i++)
		fprintf(f, " %s", ESC(p->argv[i], e1));
	if (p->argc > 4)
		fputs(" ...", f);
	fprintf(f, "%s: ran %.2f s, %s, no findings",
	        (p->flags & TRACE_PROC_EXECED) ? " (exec'd)" : "",
	        (double)(model_proc_end_ns(p) - p->start_ns) / 1e9,
	        ESC(report_end_text(p, endbuf, sizeof(endbuf)), e1));
	if (ap->findings.n) {
		uint64_t bytes = 0;
		for (size_t k = 0; k < ap->findings.n; k++)
			bytes += ap->findings.items[k].bytes;
		fprintf(f, " (reachable %s)", report_bytes(bytes, b, sizeof(b)));
	}
	if (growth_untested(ap))
		fprintf(f, "; growth test: %" PRIu32 " of %" PRIu32 " snapshots%s",
		        ap->growth_snaps, ap->growth_needed, growth_count_note(ap));
	fputc('\n', f);
}

/* A process under another with nothing to say: no findings but reachable memory, an end by
 * exit 0 or exec, its whole trace read. Such processes fold into one line of the tree. */
static bool is_quiet(const struct analysis_proc *ap)
{
	const struct model_proc *p = ap->proc;
	return ap->depth && p->have_process && !p->truncated && !p->damaged_chunks &&
	       !ap->heap_from_sites && !ap->diff.valid && !finding_list_actionable(&ap->findings) &&
	       p->have_end &&
	       ((p->end_reason == TRACE_END_EXIT && p->end_status == 0) ||
	        p->end_reason == TRACE_END_EXEC);
}

/* The end of the run of quiet processes from i: whole subtrees at i's depth, each quiet
 * throughout (a quiet parent of a process with findings keeps its own line). */
static uint32_t quiet_run_end(const struct analysis *a, uint32_t i)
{
	uint32_t d = a->procs[i].depth, j = i;
	while (j < a->n_procs && a->procs[j].depth == d) {
		uint32_t k = j;
		while (k < a->n_procs && (k == j || a->procs[k].depth > d) &&
		       is_quiet(&a->procs[k]))
			k++;
		if (k == j || (k < a->n_procs && a->procs[k].depth > d))
			break; /* a process of the subtree is not quiet */
		j = k;
	}
	return j;
}

/* Processes [i, end) as one line of the tree: "`- 15 processes with no findings, all exit 0:
 * dash (9), sleep (6)", and how many of them could not have their growth tested. */
#define FOLD_NAMES 6
static void print_fold(FILE *f, const char *ind, const struct analysis *a, uint32_t i, uint32_t end)
{
	const char *names[FOLD_NAMES];
	uint32_t counts[FOLD_NAMES], n_names = 0, other = 0, untested = 0, needed = 0;
	bool exec = false;
	char e1[1024];
	for (uint32_t k = i; k < end; k++) {
		const struct analysis_proc *ap = &a->procs[k];
		const char *name = base_name(ap->proc->exe);
		uint32_t x = 0;
		while (x < n_names && strcmp(names[x], name) != 0)
			x++;
		if (x < n_names) {
			counts[x]++;
		} else if (n_names < FOLD_NAMES) {
			names[n_names] = name;
			counts[n_names++] = 1;
		} else {
			other++;
		}
		exec |= ap->proc->end_reason == TRACE_END_EXEC;
		if (growth_untested(ap)) {
			untested++;
			needed = ap->growth_needed;
		}
	}
	fprintf(f, "%s`- %" PRIu32 " processes with no findings, all exit 0%s:", ind, end - i,
	        exec ? " or exec" : "");
	for (uint32_t x = 0; x < n_names; x++) {
		fprintf(f, "%s %s", x ? "," : "", ESC(names[x], e1));
		if (counts[x] > 1)
			fprintf(f, " (%" PRIu32 ")", counts[x]);
	}
	if (other)
		fprintf(f, " and %" PRIu32 " more", other);
	if (untested)
		fprintf(f, "; growth test not run in %" PRIu32 " (under %" PRIu32 " snapshots)",
		        untested, needed);
	fputc('\n', f);
}

static int print_finding(FILE *f, const char *ind, size_t rank, const struct analysis_proc *ap,
                         const struct finding *fi, struct symbolizer *s, struct sym_stack *st,
                         const struct report_opts *o, struct err *e)
{
	fputc('\n', f);
	print_finding_line(f, ind, rank, fi);
	const struct model_stack *ms =
	    fi->stack_id ? model_proc_stack(ap->proc, fi->stack_id) : NULL;
	st->n = 0;
	if (ms && symbolizer_stack(s, ap->proc, ms, st, e) != 0)
		return -1;
	report_text_frames(f, ind, st, o);
	return 0;
}

/* "... 5 more findings (3 growth, 1 fd, 1 child; --top 0 shows all)": what --top cut, by
 * kind, so a descriptor or a child ranked after many heap stacks is not cut unsaid. */
static void print_more(FILE *f, const char *ind, const struct finding_list *l, size_t from,
                       size_t to)
{
	size_t count[FINDING_NKINDS] = {0};
	enum finding_kind order[FINDING_NKINDS];
	int n_kinds = 0;
	for (size_t k = from; k < to; k++) {
		enum finding_kind kind = l->items[k].kind;
		if (!count[kind]++)
			order[n_kinds++] = kind;
	}
	fprintf(f, "\n%s  ... %zu more finding%s (", ind, to - from, to - from == 1 ? "" : "s");
	for (int x = 0; x < n_kinds; x++)
		fprintf(f, "%s%zu %s", x ? ", " : "", count[order[x]], finding_kind_name(order[x]));
	fputs("; --top 0 shows all)\n", f);
}

/* The overview of a run whose findings are spread over several processes (a service's
 * workers, or a program started through wrappers such as a version manager's shell shims):
 * one line per process with findings, those with growth first, then the longest-running,
 * so that the one to read is named before the tree's first process. */
#define OVERVIEW_LINES 8
struct overview_row {
	uint32_t i;
	bool growth;
	uint64_t ran_ns;
	size_t act;
};

static int overview_cmp(const void *x, const void *y)
{
	const struct overview_row *a = x, *b = y;
	if (a->growth != b->growth)
		return a->growth ? -1 : 1;
	if (a->ran_ns != b->ran_ns)
		return a->ran_ns > b->ran_ns ? -1 : 1;
	if (a->act != b->act)
		return a->act > b->act ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

static void print_overview(FILE *f, const struct analysis *a)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < a->n_procs; i++)
		n += finding_list_actionable(&a->procs[i].findings) > 0;
	if (n < 2)
		return;
	struct overview_row *rows = calloc(n, sizeof(*rows));
	if (!rows)
		return; /* the tree below says it all, only less conveniently */
	uint32_t k = 0;
	for (uint32_t i = 0; i < a->n_procs; i++) {
		const struct analysis_proc *ap = &a->procs[i];
		size_t act = finding_list_actionable(&ap->findings);
		if (!act)
			continue;
		struct overview_row *r = &rows[k++];
		r->i = i;
		r->act = act;
		uint64_t end = model_proc_end_ns(ap->proc);
		r->ran_ns = end > ap->proc->start_ns ? end - ap->proc->start_ns : 0;
		for (size_t j = 0; j < act; j++)
			r->growth |= ap->findings.items[j].kind == FINDING_GROWTH ||
			             ap->findings.items[j].kind == FINDING_RSS;
	}
	qsort(rows, n, sizeof(*rows), overview_cmp);
	char e1[1024];
	fprintf(f,
	        "%" PRIu32 " of %" PRIu32
	        " processes with findings, growth first, then by run time (--exe NAME shows "
	        "one):\n",
	        n, a->n_procs);
	for (uint32_t r = 0; r < n && r < OVERVIEW_LINES; r++) {
		const struct analysis_proc *ap = &a->procs[rows[r].i];
		const struct model_proc *p = ap->proc;
		fprintf(f, "  pid %-7" PRIu32 " %s", p->pid, ESC(base_name(p->exe), e1));
		for (uint32_t i = 1; i < p->argc && i < 3; i++)
			fprintf(f, " %s", ESC(p->argv[i], e1));
		if (p->argc > 3)
			fputs(" ...", f);
		fprintf(f, ": ran %.2f s, %zu finding%s (", (double)rows[r].ran_ns / 1e9,
		        rows[r].act, rows[r].act == 1 ? "" : "s");
		/* per kind, in the order of the ranking (kinds come grouped, leak first) */
		size_t count[FINDING_NKINDS] = {0};
		enum finding_kind order[FINDING_NKINDS];
		int n_kinds = 0;
		for (size_t j = 0; j < rows[r].act; j++) {
			enum finding_kind kind = ap->findings.items[j].kind;
			if (!count[kind]++)
				order[n_kinds++] = kind;
		}
		for (int x = 0; x < n_kinds; x++)
			fprintf(f, "%s%zu %s", x ? ", " : "", count[order[x]],
			        finding_kind_name(order[x]));
		fputs(")\n", f);
	}
	if (n > OVERVIEW_LINES)
		fprintf(f, "  ... and %" PRIu32 " more\n", n - OVERVIEW_LINES);
	fputc('\n', f);
	free(rows);
}

int report_text_write(FILE *f, const struct analysis *a, struct symbolizer *s,
                      const struct report_opts *o, struct err *e)
{
	struct sym_stack st = {0};
	int rc = 0;
	bool prev_one = false; /* the process before was a one-liner */
	print_overview(f, a);
	for (uint32_t i = 0; i < a->n_procs && rc == 0; i++) {
		const struct analysis_proc *ap = &a->procs[i];
		char ind[64];
		uint32_t d = ap->depth > 20 ? 20 : ap->depth;
		memset(ind, ' ', d * 3);
		ind[d * 3] = '\0';
		const struct finding_list *l = &ap->findings;
		/* Ranked: the actionable findings first, reachable ones after. */
		size_t act = finding_list_actionable(l);
		uint32_t run_end = is_quiet(ap) ? quiet_run_end(a, i) : i;
		if (run_end > i + 1) {
			if (i && !prev_one)
				fputc('\n', f);
			print_fold(f, ind, a, i, run_end);
			prev_one = true;
			i = run_end - 1;
			continue;
		}
		if (ap->depth && ap->proc->have_process && !act && !ap->diff.n) {
			if (!ap->proc->truncated && !ap->heap_from_sites) {
				if (i && !prev_one)
					fputc('\n', f);
				print_one_line(f, ind, ap);
				prev_one = true;
				continue;
			}
		}
		if (i)
			fputc('\n', f);
		prev_one = false;
		print_summary(f, ind, ap);
		print_growth_test(f, ind, ap);
		if (!l->n) {
			if (ap->proc->have_process ||
			    ap->proc->n_chunks) /* header-only: its line */
				fprintf(f, "%s  no findings\n", ind);
		} else if (!act)
			fprintf(f, "%s  no actionable findings\n", ind);
		size_t n = o->top && o->top < act ? o->top : act;
		for (size_t k = 0; k < n && rc == 0; k++)
			rc = print_finding(f, ind, k + 1, ap, &l->items[k], s, &st, o, e);
		if (rc == 0 && n < act)
			print_more(f, ind, l, n, act);
		/* Then what is not acted on alone, ranked: indirect, reachable. */
		for (size_t from = act; rc == 0 && from < l->n;) {
			enum finding_kind kind = l->items[from].kind;
			size_t to = from;
			while (to < l->n && l->items[to].kind == kind)
				to++;
			bool indirect = kind == FINDING_INDIRECT;
			if (!(indirect ? o->show_indirect : o->show_reachable)) {
				print_rest_summary(f, ind, l, from, to,
				                   indirect ? "leaked only through other leaks"
				                            : "reachable at exit");
			} else {
				size_t m = o->top && o->top < to - from ? from + o->top : to;
				for (size_t k = from; k < m && rc == 0; k++)
					rc = print_finding(f, ind, k + 1, ap, &l->items[k], s, &st,
					                   o, e);
				if (rc == 0 && m < to)
					fprintf(f, "\n%s  ... %zu more %s (--top 0 shows all)\n",
					        ind, to - m, finding_kind_name(kind));
			}
			from = to;
		}
		if (rc == 0)
			rc = report_growth_text_diff(f, ind, ap, s, &st, o->top, e);
	}
	sym_stack_fini(&st);
	if (rc == 0 && (fflush(f) != 0 || ferror(f)))
		return err_set(e, "write failed: %s", strerror(errno ? errno : EIO));
	return rc;
}
