/* SPDX-License-Identifier: MIT */
/* export_collapsed.c - folded stacks. The numbers come from export_samples (the same
 * findings as the JSON report), so the lines of one metric sum to the JSON totals; the
 * e2e test parses them back to check exactly that. */
#include "export_collapsed.h"

#include <errno.h>
#include <string.h>

/* Writes name with the folded format's separators replaced. */
static void put_frame(FILE *f, const char *name)
{
	for (const char *c = name; *c; c++)
		fputc(*c == ';' || *c == '\n' || *c == '\r' ? '_' : *c, f);
}

int export_collapsed_write(FILE *f, const struct analysis *a, const struct analyze_opts *o,
                           struct symbolizer *s, enum export_metric m, struct err *e)
{
	struct export_samples rows = {0};
	struct sym_stack st = {0};
	int rc = export_samples_build(a, o, &rows, e);
	for (size_t i = 0; i < rows.n && rc == 0; i++) {
		const struct export_sample *r = &rows.items[i];
		uint64_t v = export_sample_value(r, m);
		if (!v)
			continue;
		const struct model_proc *p = a->procs[r->proc].proc;
		bool first = true;
		if (a->n_procs > 1) {
			const char *exe = p->exe ? strrchr(p->exe, '/') : NULL;
			exe = exe ? exe + 1 : p->exe ? p->exe : "?";
			put_frame(f, exe);
			fprintf(f, " [%u]", p->pid);
			first = false;
		}
		const struct model_stack *ms =
		    r->stack_id ? model_proc_stack(p, r->stack_id) : NULL;
		st.n = 0;
		if (ms && symbolizer_stack(s, p, ms, &st, e) != 0) {
			rc = -1;
			break;
		}
		if (!st.n) {
			fputs(first ? "[no stack]" : ";[no stack]", f);
			first = false;
		}
		for (size_t k = st.n; k-- > 0;) {
			char buf[512];
			if (!first)
				fputc(';', f);
			put_frame(f, export_frame_name(&st.frames[k], buf, sizeof(buf)));
			first = false;
		}
		fprintf(f, " %llu\n", (unsigned long long)v);
	}
	sym_stack_fini(&st);
	export_samples_fini(&rows);
	if (rc == 0 && (fflush(f) != 0 || ferror(f)))
		return err_set(e, "write failed: %s", strerror(errno ? errno : EIO));
	return rc;
}
