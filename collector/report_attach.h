/* SPDX-License-Identifier: MIT */
/* report_attach.h - a trace of an attach window (PROCESS.flags TRACE_PROC_ATTACHED, written by
 * leak_attach_begin/leak_attach_end in a running process) as the reports show it: the window
 * it covers, and what already existed when it began (descriptors, threads, children: listed,
 * never findings). The JSON field names are an interface: add, never rename. */
#ifndef LEAK_COLLECTOR_REPORT_ATTACH_H
#define LEAK_COLLECTOR_REPORT_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "json_out.h"
#include "model.h"

/* True for a trace of an attach window. */
bool report_attached(const struct model_proc *p);

/* "12:03:04-12:04:04, 60 s" (local time) into buf: the window of an attached trace. */
const char *report_attach_window(const struct model_proc *p, char *buf, size_t len);

/* Under the process summary: "  pre-existing at attach (not findings): ..." and one line per
 * descriptor, thread and child. Nothing for a trace that is not an attach window. */
void report_attach_text(FILE *f, const char *ind, const struct model_proc *p);

/* "attached": {start, end, duration, window} or null, and "preexisting": [{type, fd|tid|pid,
 * path, peer, name}] (empty unless attached), inside a process object. */
void report_attach_json(struct json_out *j, const struct model_proc *p);

#endif
