/* SPDX-License-Identifier: MIT */
/* report_growth.c - trend fields and --diff in the JSON and text reports (see
 * report_growth.h). Rates are written with 3 decimals, p-values in full precision (they are
 * often tiny), times in seconds since the process started (JSON to the millisecond, text to
 * a precision that suits the window's length). */
#include "report_growth.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "report.h"

static void json_window(struct json_out *j, const struct finding_trend *t)
{
	json_out_key(j, "window");
	json_out_begin_array(j);
	json_out_double(j, t->window_start_s, 3);
	json_out_double(j, t->window_end_s, 3);
	json_out_end_array(j);
}

static void json_p(struct json_out *j, double p)
{
	/* %.3g-like: enough digits for 1e-12 and for 0.0421. */
	int dec = 3;
	if (p > 0 && p < 0.1)
		dec = (int)ceil(-log10(p)) + 3;
	if (dec > 17)
		dec = 17;
	json_out_double(j, p, dec);
}

/* The trend test's result: count_per_sec, tau, p_value. */
static void json_test(struct json_out *j, const struct finding_trend *t)
{
	json_out_key(j, "count_per_sec");
	json_out_double(j, t->count_per_sec, 3);
	json_out_key(j, "tau");
	json_out_double(j, t->tau, 4);
	json_out_key(j, "p_value");
	json_p(j, t->p_value);
}

static void json_counts(struct json_out *j, const struct finding_trend *t)
{
	json_out_key(j, "first_count");
	json_out_u64(j, t->first_count);
	json_out_key(j, "last_count");
	json_out_u64(j, t->last_count);
}

void report_growth_json_fields(struct json_out *j, const struct finding *f)
{
	const struct finding_trend *t = &f->trend;
	switch (f->kind) {
	case FINDING_GROWTH:
	case FINDING_RSS:
		json_out_key(j, "bytes_per_sec");
		json_out_double(j, t->bytes_per_sec, 3);
		json_test(j, t);
		json_out_key(j, "first_bytes");
		json_out_u64(j, t->first_bytes);
		json_out_key(j, "last_bytes");
		json_out_u64(j, t->last_bytes);
		if (f->kind == FINDING_GROWTH) {
			json_counts(j, t);
		} else {
			json_out_key(j, "cause");
			json_out_str(j, f->state);
		}
		json_window(j, t);
		json_out_key(j, "eta_s");
		if (t->eta_s >= 0)
			json_out_double(j, t->eta_s, 1);
		else
			json_out_null(j);
		break;
	case FINDING_FD:
	case FINDING_THREAD:
	case FINDING_ZOMBIE:
		json_out_key(j, "growing");
		json_out_bool(j, t->growing);
		if (!t->growing)
			break;
		json_test(j, t);
		json_counts(j, t);
		json_window(j, t);
		break;
	default:
		break;
	}
}

static int symbolize(const struct analysis_proc *ap, uint32_t stack_id, struct symbolizer *s,
                     struct sym_stack *st, struct err *e)
{
	const struct model_stack *ms = stack_id ? model_proc_stack(ap->proc, stack_id) : NULL;
	st->n = 0;
	return ms ? symbolizer_stack(s, ap->proc, ms, st, e) : 0;
}

static void json_ref(struct json_out *j, const char *key, uint32_t snap, double t)
{
	json_out_key(j, key);
	json_out_begin_object(j);
	json_out_key(j, "snapshot");
	json_out_u64(j, snap);
	json_out_key(j, "t");
	json_out_double(j, t, 3);
	json_out_end_object(j);
}

int report_growth_json_diff(struct json_out *j, const struct analysis_proc *ap,
                            struct symbolizer *s, struct sym_stack *st, size_t top, struct err *e)
{
	const struct diff_list *d = &ap->diff;
	if (!d->valid)
		return 0;
	json_ref(j, "diff_from", d->snap_a, d->t_a);
	json_ref(j, "diff_to", d->snap_b, d->t_b);
	json_out_key(j, "diff");
	json_out_begin_array(j);
	size_t n = top && top < d->n ? top : d->n;
	for (size_t i = 0; i < n; i++) {
		const struct diff_entry *x = &d->items[i];
		json_out_begin_object(j);
		json_out_key(j, "change");
		json_out_str(j, x->change);
		json_out_key(j, "stack_id");
		json_out_u64(j, x->stack_id);
		json_out_key(j, "bytes_a");
		json_out_u64(j, x->bytes_a);
		json_out_key(j, "bytes_b");
		json_out_u64(j, x->bytes_b);
		json_out_key(j, "delta_bytes");
		json_out_i64(j, x->delta_bytes);
		json_out_key(j, "count_a");
		json_out_u64(j, x->count_a);
		json_out_key(j, "count_b");
		json_out_u64(j, x->count_b);
		json_out_key(j, "delta_count");
		json_out_i64(j, x->delta_count);
		if (symbolize(ap, x->stack_id, s, st, e) != 0)
			return -1;
		report_json_stack(j, st);
		json_out_end_object(j);
	}
	json_out_end_array(j);
	return 0;
}

static const char *rate(double per_sec, char *buf, size_t len)
{
	char b[32];
	report_bytes((uint64_t)fabs(per_sec), b, sizeof(b));
	snprintf(buf, len, "%s%s/s", per_sec < 0 ? "-" : "", b);
	return buf;
}

static void text_eta(FILE *f, const struct finding_trend *t)
{
	if (t->eta_s < 0)
		return;
	if (t->eta_s < 120)
		fprintf(f, ", reaches --limit in %.0f s", t->eta_s);
	else if (t->eta_s < 2 * 3600)
		fprintf(f, ", reaches --limit in %.1f min", t->eta_s / 60);
	else
		fprintf(f, ", reaches --limit in %.1f h", t->eta_s / 3600);
}

/* The tested window as "0.2-0.9 s", "1.1-8.4 s", "12-95 s", "3600-3720 s": a tenth of a
 * second for a window under 10 s (a hundredth under 0.1 s), whole seconds past that, so that a
 * short run's window does not read "0-1 s" and a long one's carries no noise digits. */
static void text_window(FILE *f, const struct finding_trend *t)
{
	double span = t->window_end_s - t->window_start_s;
	int dec = span >= 10 ? 0 : span >= 0.1 ? 1 : 2;
	fprintf(f, "%.*f-%.*f s", dec, t->window_start_s, dec, t->window_end_s);
}

void report_growth_text_line(FILE *f, const struct finding *fi)
{
	const struct finding_trend *t = &fi->trend;
	char b0[32], b1[32], bl[32], r[48];
	if (fi->kind == FINDING_RSS) {
		char h[48];
		fprintf(f, "%10s  RSS grows %s (%s -> %s) while the live heap grows %s: %s",
		        report_bytes(fi->bytes, b1, sizeof(b1)),
		        rate(t->bytes_per_sec, r, sizeof(r)),
		        report_bytes(t->first_bytes, b0, sizeof(b0)),
		        report_bytes(t->last_bytes, bl, sizeof(bl)),
		        rate(t->count_per_sec, h, sizeof(h)), fi->state ? fi->state : "");
	} else {
		fprintf(f, "%10s  grows %s, %.1f blocks/s (%s -> %s over ",
		        report_bytes(fi->bytes, b1, sizeof(b1)),
		        rate(t->bytes_per_sec, r, sizeof(r)), t->count_per_sec,
		        report_bytes(t->first_bytes, b0, sizeof(b0)),
		        report_bytes(t->last_bytes, b1, sizeof(b1)));
		text_window(f, t);
		fputc(')', f);
	}
	fprintf(f, ", tau %.2f, p %.2g", t->tau, t->p_value);
	text_eta(f, t);
}

void report_growth_text_mark(FILE *f, const struct finding *fi)
{
	if (fi->trend.growing &&
	    (fi->kind == FINDING_FD || fi->kind == FINDING_THREAD || fi->kind == FINDING_ZOMBIE))
		fprintf(f, ", growing %+.2f/s (%" PRIu64 " -> %" PRIu64 ", tau %.2f, p %.2g)",
		        fi->trend.count_per_sec, fi->trend.first_count, fi->trend.last_count,
		        fi->trend.tau, fi->trend.p_value);
}

int report_growth_text_diff(FILE *f, const char *ind, const struct analysis_proc *ap,
                            struct symbolizer *s, struct sym_stack *st, size_t top, struct err *e)
{
	const struct diff_list *d = &ap->diff;
	if (!d->valid)
		return 0;
	fprintf(f,
	        "\n%s  diff: snapshot %" PRIu32 " (%.2f s) -> snapshot %" PRIu32
	        " (%.2f s), %zu stack%s changed\n",
	        ind, d->snap_a, d->t_a, d->snap_b, d->t_b, d->n, d->n == 1 ? "" : "s");
	size_t n = top && top < d->n ? top : d->n;
	for (size_t i = 0; i < n; i++) {
		const struct diff_entry *x = &d->items[i];
		char b0[32], b1[32], b2[32];
		uint64_t ad = x->delta_bytes < 0 ? (uint64_t)0 - (uint64_t)x->delta_bytes
		                                 : (uint64_t)x->delta_bytes;
		fprintf(f, "%s  %-11s %c%-10s %s -> %s, %+" PRId64 " blocks\n", ind, x->change,
		        x->delta_bytes < 0 ? '-' : '+', report_bytes(ad, b0, sizeof(b0)),
		        report_bytes(x->bytes_a, b1, sizeof(b1)),
		        report_bytes(x->bytes_b, b2, sizeof(b2)), x->delta_count);
		if (symbolize(ap, x->stack_id, s, st, e) != 0)
			return -1;
		fprintf(f, "%s      ", ind);
		report_text_frames_inline(f, st, 4);
		fputc('\n', f);
	}
	if (n < d->n)
		fprintf(f, "%s  ... %zu more\n", ind, d->n - n);
	return 0;
}
