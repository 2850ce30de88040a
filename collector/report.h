/* SPDX-License-Identifier: MIT */
/* report.h - what the two report writers (report_text.c, report_json.c) share: their
 * options and entry points, and small formatting helpers. Both take an analysis and a
 * symbolizer and write to a caller's FILE*, so leak-view can render into memory
 * (open_memstream) with the same code. */
#ifndef LEAK_COLLECTOR_REPORT_H
#define LEAK_COLLECTOR_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze.h"
#include "err.h"
#include "symbolizer.h"

struct json_out;

struct report_opts {
	size_t top;          /* actionable findings per process; 0 = all */
	size_t frames;       /* text: frames shown per stack from the user's first; 0 = all */
	bool full;           /* text: full C++ names and every library frame (--full-names) */
	bool show_reachable; /* text: list reachable findings, not one summary line */
	bool show_indirect;  /* text: list indirect findings, not one summary line */
};

/* Text: the frames of st, from the user's first one (library frames above it folded into
 * one note) with short names, at most o->frames of them. */
void report_text_frames(FILE *f, const char *ind, const struct sym_stack *st,
                        const struct report_opts *o);
/* " < "-joined short names of up to n frames from the user's first, into f. */
void report_text_frames_inline(FILE *f, const struct sym_stack *st, size_t n);

/* Each returns 0, or -1 with e filled (out of memory, or a write error on f). */
int report_text_write(FILE *f, const struct analysis *a, struct symbolizer *s,
                      const struct report_opts *o, struct err *e);
int report_json_write(FILE *f, const struct analysis *a, struct symbolizer *s,
                      const struct report_opts *o, struct err *e);

/* The key "stack" and its frames, innermost first: {addr, module, offset, function, file,
 * path, line, inlined}. The one shape of a stack in every JSON output (findings, --diff). */
void report_json_stack(struct json_out *j, const struct sym_stack *st);

/* "1.5 MiB", "200 B" into buf; returns buf. */
const char *report_bytes(uint64_t bytes, char *buf, size_t len);
/* "1,234,567" into buf; returns buf. */
const char *report_count(uint64_t n, char *buf, size_t len);
/* END as words: "exit 0", "killed by signal 9", "exec", "still running (no END record yet)"
 * when the process is alive (proc_alive.h), or "no END record (cut short)". */
const char *report_end_text(const struct model_proc *p, char *buf, size_t len);
/* "exit N" or "killed by signal N" for a wait status. */
const char *report_wait_text(int wstatus, char *buf, size_t len);

#endif
