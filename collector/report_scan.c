/* SPDX-License-Identifier: MIT */
/* report_scan.c - the exit scan's roots in the reports (report_scan.h). */
#include "report_scan.h"

#include <inttypes.h>

#include "trace_format.h"

static const char *reason_name(uint32_t reason)
{
	switch (reason) {
	case TRACE_SCAN_MISSED_BLOCKED:
		return "blocks the stop signal";
	case TRACE_SCAN_MISSED_TIMEOUT:
		return "did not stop within 1 s";
	case TRACE_SCAN_MISSED_NOSIG:
		return "no signal to stop it";
	}
	return "not stopped";
}

static const char *reason_key(uint32_t reason)
{
	switch (reason) {
	case TRACE_SCAN_MISSED_BLOCKED:
		return "signal_blocked";
	case TRACE_SCAN_MISSED_TIMEOUT:
		return "timeout";
	case TRACE_SCAN_MISSED_NOSIG:
		return "no_signal";
	}
	return "unknown";
}

/* Blocks counted reachable only because the scan was partial. */
static uint64_t assumed_blocks(const struct model_proc *p)
{
	uint64_t n = 0;
	for (size_t i = 0; i < p->n_blocks; i++)
		n += (p->blocks[i].flags & TRACE_BLOCK_PARTIAL) != 0;
	return n;
}

void report_scan_text(FILE *f, const char *ind, const struct model_proc *p)
{
	if (!p->have_scan || !(p->scan_flags & TRACE_SCAN_PARTIAL))
		return;
	fprintf(f, "%s  exit scan partial:", ind);
	for (uint32_t i = 0; i < p->n_scan_threads; i++)
		fprintf(f, "%s thread %" PRIu32 " (%s) %s", i ? ";" : "", p->scan_threads[i].tid,
		        p->scan_threads[i].name, reason_name(p->scan_threads[i].reason));
	if (p->scan_missed > p->n_scan_threads)
		fprintf(f, "; %" PRIu64 " more threads not stopped",
		        p->scan_missed - p->n_scan_threads);
	if (p->scan_flags & TRACE_SCAN_NO_ANON)
		fprintf(f, "%s anonymous mappings not scanned", p->scan_missed ? ";" : "");
	fprintf(f, "; %" PRIu64 " blocks not reached are counted reachable, not leak\n",
	        assumed_blocks(p));
}

void report_scan_json(struct json_out *j, const struct model_proc *p)
{
	json_out_key(j, "scan");
	if (!p->have_scan) {
		json_out_null(j);
		return;
	}
	json_out_begin_object(j);
	json_out_key(j, "partial");
	json_out_bool(j, (p->scan_flags & TRACE_SCAN_PARTIAL) != 0);
	json_out_key(j, "threads_stopped");
	json_out_u64(j, p->scan_stopped);
	json_out_key(j, "threads_missed");
	json_out_u64(j, p->scan_missed);
	json_out_key(j, "missed");
	json_out_begin_array(j);
	for (uint32_t i = 0; i < p->n_scan_threads; i++) {
		json_out_begin_object(j);
		json_out_key(j, "tid");
		json_out_u64(j, p->scan_threads[i].tid);
		json_out_key(j, "name");
		json_out_str(j, p->scan_threads[i].name);
		json_out_key(j, "reason");
		json_out_str(j, reason_key(p->scan_threads[i].reason));
		json_out_end_object(j);
	}
	json_out_end_array(j);
	json_out_key(j, "anon_scanned");
	json_out_bool(j, !(p->scan_flags & TRACE_SCAN_NO_ANON));
	json_out_key(j, "anon_bytes");
	json_out_u64(j, p->scan_anon_bytes);
	json_out_key(j, "assumed_reachable_blocks");
	json_out_u64(j, assumed_blocks(p));
	json_out_end_object(j);
}
