/* SPDX-License-Identifier: MIT */
/* report_growth.h - how the trend results and --diff appear in the two reports: the extra
 * JSON fields of growth/rss/fd/thread/zombie findings, the JSON "diff" array, and their
 * text lines. report_json.c and report_text.c call these, so the field names live in one
 * place (they are an interface: add, never rename). */
#ifndef LEAK_COLLECTOR_REPORT_GROWTH_H
#define LEAK_COLLECTOR_REPORT_GROWTH_H

#include <stddef.h>
#include <stdio.h>

#include "analyze.h"
#include "err.h"
#include "json_out.h"
#include "symbolizer.h"

/* Inside a finding's JSON object: growth and rss get bytes_per_sec, count_per_sec, tau,
 * p_value, first_bytes, last_bytes, window [s, e], eta_s (null without --limit); fd, thread
 * and zombie get growing and, when growing, count_per_sec, tau, p_value, first_count,
 * last_count, window. Other kinds: nothing. */
void report_growth_json_fields(struct json_out *j, const struct finding *f);
/* Process-level keys: "diff_from"/"diff_to" {snapshot, t} and "diff": [ {change, stack_id,
 * bytes_a, bytes_b, delta_bytes, count_a, count_b, delta_count, stack} ] (first top entries;
 * 0 = all), when the analysis has a diff. Returns 0 or -1 with e (symbolizer). */
int report_growth_json_diff(struct json_out *j, const struct analysis_proc *ap,
                            struct symbolizer *s, struct sym_stack *st, size_t top, struct err *e);
/* Text: the rest of a growth/rss finding line after the kind column (no newline). */
void report_growth_text_line(FILE *f, const struct finding *fi);
/* Text: " growing +R/s" appended to a growing fd/thread/zombie line (nothing otherwise). */
void report_growth_text_mark(FILE *f, const struct finding *fi);
/* Text: the diff section of a process, indented by ind. */
int report_growth_text_diff(FILE *f, const char *ind, const struct analysis_proc *ap,
                            struct symbolizer *s, struct sym_stack *st, size_t top, struct err *e);

#endif
