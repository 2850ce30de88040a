/* SPDX-License-Identifier: MIT */
/* report_scan.h - what the exit scan's roots were (SCAN, SCAN_THREAD records) as the two
 * reports show it: a text line when the scan was partial (threads not stopped, mappings not
 * read: blocks not reached then count as reachable, never leak), and the JSON "scan" object
 * of a process. The field names are an interface: add, never rename. */
#ifndef LEAK_COLLECTOR_REPORT_SCAN_H
#define LEAK_COLLECTOR_REPORT_SCAN_H

#include <stdio.h>

#include "json_out.h"
#include "model.h"

/* "  exit scan partial: ..." under the process summary; nothing when the scan was whole or
 * absent. */
void report_scan_text(FILE *f, const char *ind, const struct model_proc *p);

/* "scan": {partial, threads_stopped, threads_missed, missed: [{tid, name, reason}],
 * anon_scanned, anon_bytes, assumed_reachable_blocks} inside a process object; "scan": null
 * when the trace has no SCAN record (no scan ran, or an older libleak). */
void report_scan_json(struct json_out *j, const struct model_proc *p);

#endif
