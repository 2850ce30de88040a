/* SPDX-License-Identifier: MIT */
/* report_text.c - the default human report: one summary block per process, children
 * indented under their parent (the process tree), then its findings ranked as analyze.c
 * left them, each with its symbolized stack. Sizes in binary units, counts with thousands
 * separators, the kind and size columns aligned. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "report_growth.h"
#include "trace_format.h"

static const char *base_name(const char *path)
{
	const char *b = path ? strrchr(path, '/') : NULL;
	return b ? b + 1 : path ? path : "?";
}

static void print_frames(FILE *f, const char *ind, const struct sym_stack *st)
{
	if (!st->n) {
		fprintf(f, "%s      (no stack)\n", ind);
		return;
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct sym_frame *fr = &st->frames[i];
		fprintf(f, "%s      #%-2zu ", ind, i);
		if (fr->function)
			fputs(fr->function, f);
		else if (fr->python)
			fputs("?", f); /* a code object the trace does not name (cut short) */
		else
			fprintf(f, "0x%" PRIx64, fr->addr);
		if (fr->file && fr->line)
			fprintf(f, " %s:%d", fr->file, fr->line);
		else if (fr->file)
			fprintf(f, " %s", fr->file);
		if (fr->python)
			fputs(" [py]", f);
		else if (fr->module && fr->function)
			fprintf(f, " (%s)", base_name(fr->module));
		else if (fr->module)
			fprintf(f, " (%s+0x%" PRIx64 ")", base_name(fr->module), fr->offset);
		if (fr->inlined)
			fputs(" [inlined]", f);
		fputc('\n', f);
	}
}

static void print_ids(FILE *f, const char *what, const struct finding *fi)
{
	fprintf(f, "%s", what);
	for (uint32_t i = 0; i < fi->n_ids && i < 16; i++)
		fprintf(f, " %" PRIu32, fi->ids[i]);
	if (fi->n_ids > 16)
		fprintf(f, " ... (%" PRIu32 " in all)", fi->n_ids);
}

static void print_finding_line(FILE *f, const char *ind, size_t rank, const struct finding *fi)
{
	char b[32], c[32];
	fprintf(f, "%s  #%-3zu %-10s ", ind, rank, finding_kind_name(fi->kind));
	report_count(fi->count, c, sizeof(c));
	switch (fi->kind) {
	case FINDING_LEAK:
	case FINDING_REACHABLE:
		fprintf(f, "%10s in %s block%s", report_bytes(fi->bytes, b, sizeof(b)), c,
		        fi->count == 1 ? "" : "s");
		break;
	case FINDING_FD:
		fprintf(f, "%10s open  %s", c, fi->fd_type);
		if (fi->path && fi->path[0])
			fprintf(f, " %s", fi->path);
		if (fi->peer && fi->peer[0])
			fprintf(f, " -> %s", fi->peer);
		if (fi->api && fi->api[0])
			fprintf(f, " (%s)", fi->api);
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
		        fi->state && strcmp(fi->state, "unjoined") == 0 ? "finished, never joined"
		                                                        : "running joinable");
		print_ids(f, "tid", fi);
		break;
	case FINDING_GROWTH:
	case FINDING_RSS:
		report_growth_text_line(f, fi);
		break;
	case FINDING_TEMPFILE:
		fprintf(f, "%10s left on disk: %s", "", fi->path ? fi->path : "");
		if (fi->api && fi->api[0])
			fprintf(f, " (%s)", fi->api);
		break;
	default:
		fprintf(f, "%10s", c);
		break;
	}
	report_growth_text_mark(f, fi);
	fputc('\n', f);
}

static void print_summary(FILE *f, const char *ind, const struct analysis_proc *ap)
{
	const struct model_proc *p = ap->proc;
	char b1[32], b2[32], c1[32], endbuf[300];
	if (!p->have_process) {
		fprintf(f, "%s%s%s [pid %" PRIu32 "]\n%s  %s: %s\n", ind, ap->depth ? "`- " : "",
		        base_name(p->trace_path), p->pid, ind, "truncated", p->truncation);
		return;
	}
	fprintf(f, "%s%s%s [pid %" PRIu32 "]", ind, ap->depth ? "`- " : "", base_name(p->exe),
	        p->pid);
	for (uint32_t i = 0; i < p->argc && i < 8; i++)
		fprintf(f, " %s", p->argv[i]);
	if (p->argc > 8)
		fputs(" ...", f);
	fputc('\n', f);
	const struct model_snapshot *last = p->n_snaps ? &p->snaps[p->n_snaps - 1] : NULL;
	double secs = (double)(model_proc_end_ns(p) - p->start_ns) / 1e9;
	fprintf(f,
	        "%s  ppid %" PRIu32 "%s, ran %.2f s, %" PRIu32
	        " snapshot%s, peak %s live heap, %s allocations (%s), %s\n",
	        ind, p->ppid,
	        (p->flags & TRACE_PROC_FORKED)   ? " (forked)"
	        : (p->flags & TRACE_PROC_EXECED) ? " (exec'd)"
	                                         : "",
	        secs, p->n_snaps, p->n_snaps == 1 ? "" : "s",
	        report_bytes(model_proc_peak_live(p), b1, sizeof(b1)),
	        report_count(last ? last->total_allocs : 0, c1, sizeof(c1)),
	        report_bytes(last ? last->total_alloc_bytes : 0, b2, sizeof(b2)),
	        report_end_text(p, endbuf, sizeof(endbuf)));
	if (p->sample_bytes)
		fprintf(f,
		        "%s  sampled every %" PRIu64
		        " bytes on average: heap figures are estimates\n",
		        ind, p->sample_bytes);
	if (last && last->dropped_events)
		fprintf(f, "%s  %" PRIu64 " dropped events: counts are approximate\n", ind,
		        last->dropped_events);
	if (p->truncated)
		fprintf(f, "%s  truncated: %s\n", ind, p->truncation);
	if (ap->heap_from_sites)
		fprintf(f,
		        "%s  no final snapshot (trace cut short): leaks are the heap still live "
		        "at the last snapshot\n",
		        ind);
}

int report_text_write(FILE *f, const struct analysis *a, struct symbolizer *s,
                      const struct report_opts *o, struct err *e)
{
	struct sym_stack st = {0};
	int rc = 0;
	for (uint32_t i = 0; i < a->n_procs && rc == 0; i++) {
		const struct analysis_proc *ap = &a->procs[i];
		char ind[64];
		uint32_t d = ap->depth > 20 ? 20 : ap->depth;
		memset(ind, ' ', d * 3);
		ind[d * 3] = '\0';
		if (i)
			fputc('\n', f);
		print_summary(f, ind, ap);
		const struct finding_list *l = &ap->findings;
		if (!l->n)
			fprintf(f, "%s  no findings\n", ind);
		size_t n = o->top && o->top < l->n ? o->top : l->n;
		for (size_t k = 0; k < n; k++) {
			const struct finding *fi = &l->items[k];
			fputc('\n', f);
			print_finding_line(f, ind, k + 1, fi);
			const struct model_stack *ms =
			    fi->stack_id ? model_proc_stack(ap->proc, fi->stack_id) : NULL;
			st.n = 0;
			if (ms && (rc = symbolizer_stack(s, ap->proc, ms, &st, e)) != 0)
				break;
			print_frames(f, ind, &st);
		}
		if (rc == 0 && n < l->n)
			fprintf(f, "\n%s  ... %zu more finding%s (--top 0 shows all)\n", ind,
			        l->n - n, l->n - n == 1 ? "" : "s");
		if (rc == 0)
			rc = report_growth_text_diff(f, ind, ap, s, &st, o->top, e);
	}
	sym_stack_fini(&st);
	if (rc == 0 && (fflush(f) != 0 || ferror(f)))
		return err_set(e, "write failed: %s", strerror(errno ? errno : EIO));
	return rc;
}
