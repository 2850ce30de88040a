/* SPDX-License-Identifier: MIT */
/* report_json.c - `leak-report --json`. The names written here are an interface (e2e tests,
 * leak-view, users' scripts): fields may be added, never renamed. Shape:
 * { "version": 1, "processes": [ { pid, ppid, exe, argv, start, end, snapshots,
 * exit_status, truncated, dropped_events, children: [ { pid, state, exit_status, signal } ],
 * findings: [ { kind, bytes, count, stack: [frame] } ] } ] }, stacks innermost first. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "frame_name.h"
#include "json_out.h"
#include "recover.h"
#include "report_growth.h"
#include "report_attach.h"
#include "report_scan.h"
#include "trace_format.h"

void report_json_stack(struct json_out *j, const struct sym_stack *st)
{
	json_out_key(j, "stack");
	json_out_begin_array(j);
	for (size_t i = 0; i < st->n; i++) {
		const struct sym_frame *f = &st->frames[i];
		json_out_begin_object(j);
		json_out_key(j, "addr");
		json_out_hex(j, f->addr);
		json_out_key(j, "module");
		json_out_str(j, f->module);
		json_out_key(j, "offset");
		json_out_hex(j, f->offset);
		json_out_key(j, "function");
		json_out_str(j, f->function);
		char sb[512];
		json_out_key(j, "short");
		json_out_str(j, f->function ? frame_name_short(f->function, sb, sizeof(sb)) : NULL);
		json_out_key(j, "library");
		json_out_bool(j, frame_name_is_library(f));
		json_out_key(j, "file");
		json_out_str(j, f->file);
		json_out_key(j, "path");
		json_out_str(j, f->path);
		json_out_key(j, "line");
		if (f->line)
			json_out_u64(j, (uint64_t)f->line);
		else
			json_out_null(j);
		json_out_key(j, "inlined");
		json_out_bool(j, f->inlined);
		json_out_key(j, "lang");
		json_out_str(j, f->python ? "python" : f->js ? "js" : "native");
		if (f->js && f->js_tier) {
			json_out_key(j, "tier");
			json_out_str(j, f->js_tier);
		}
		json_out_end_object(j);
	}
	json_out_end_array(j);
}

static void write_ids(struct json_out *j, const char *name, const struct finding *f)
{
	json_out_key(j, name);
	json_out_begin_array(j);
	for (uint32_t i = 0; i < f->n_ids; i++)
		json_out_u64(j, f->ids[i]);
	json_out_end_array(j);
}

/* The group's distinct members: the first few, and how many more there are. */
static void write_members(struct json_out *j, const char *key, const char *more_key,
                          const char *const *list, uint32_t n, uint32_t more)
{
	json_out_key(j, key);
	json_out_begin_array(j);
	for (uint32_t i = 0; i < n; i++)
		json_out_str(j, list[i]);
	json_out_end_array(j);
	json_out_key(j, more_key);
	json_out_u64(j, more);
}

static int write_finding(struct json_out *j, const struct model_proc *p, const struct finding *f,
                         struct symbolizer *s, struct sym_stack *st, struct err *e)
{
	json_out_begin_object(j);
	json_out_key(j, "kind");
	json_out_str(j, finding_kind_name(f->kind));
	json_out_key(j, "bytes");
	json_out_u64(j, f->bytes);
	json_out_key(j, "count");
	json_out_u64(j, f->count);
	switch (f->kind) {
	case FINDING_LEAK: /* the indirect blocks leaked only through its blocks */
		json_out_key(j, "held_bytes");
		json_out_u64(j, f->held_bytes);
		json_out_key(j, "held_count");
		json_out_u64(j, f->held_count);
		break;
	case FINDING_FD:
		json_out_key(j, "fd_type");
		json_out_str(j, f->fd_type);
		json_out_key(j, "path");
		json_out_str(j, f->path);
		json_out_key(j, "peer");
		json_out_str(j, f->peer);
		json_out_key(j, "api");
		json_out_str(j, f->api);
		write_ids(j, "fds", f);
		write_members(j, "paths", "more_paths", f->paths, f->n_paths, f->more_paths);
		write_members(j, "peers", "more_peers", f->peers, f->n_peers, f->more_peers);
		json_out_key(j, "inherited_by_exec");
		json_out_bool(j, f->inherited_by_exec);
		break;
	case FINDING_ZOMBIE:
	case FINDING_CHILD:
		write_ids(j, "pids", f);
		json_out_key(j, "state");
		json_out_str(j, f->kind == FINDING_ZOMBIE ? "zombie" : f->state);
		break;
	case FINDING_THREAD:
		write_ids(j, "tids", f);
		json_out_key(j, "state");
		json_out_str(j, f->state);
		break;
	case FINDING_TEMPFILE:
		/* path: the first; paths: every one (ids index the model's temp files). */
		json_out_key(j, "path");
		json_out_str(j, f->path);
		json_out_key(j, "api");
		json_out_str(j, f->api);
		json_out_key(j, "paths");
		json_out_begin_array(j);
		for (uint32_t i = 0; i < f->n_ids; i++)
			if (f->ids[i] < p->n_tempfiles)
				json_out_str(j, p->tempfiles[f->ids[i]].path);
		if (!f->n_ids && f->path)
			json_out_str(j, f->path);
		json_out_end_array(j);
		break;
	default:
		break;
	}
	report_growth_json_fields(j, f);
	json_out_key(j, "stack_id");
	json_out_u64(j, f->stack_id);
	const struct model_stack *ms = f->stack_id ? model_proc_stack(p, f->stack_id) : NULL;
	st->n = 0;
	if (ms && symbolizer_stack(s, p, ms, st, e) != 0)
		return -1;
	report_json_stack(j, st);
	json_out_end_object(j);
	return 0;
}

/* "children": each child the process started, as its trace last saw it, with how it ended
 * when the parent's wait saw that (a forked child that ended with nothing of its own writes
 * no trace: this is where its exit status is). */
static void write_children(struct json_out *j, const struct model_proc *p)
{
	static const char *const states[] = {"running", "zombie", "reaped", "autoreaped"};
	json_out_key(j, "children");
	json_out_begin_array(j);
	for (uint32_t i = 0; i < p->n_children; i++) {
		const struct model_child *c = &p->children[i];
		json_out_begin_object(j);
		json_out_key(j, "pid");
		json_out_u64(j, c->pid);
		json_out_key(j, "state");
		json_out_str(j, c->state < sizeof(states) / sizeof(states[0]) ? states[c->state]
		                                                              : "unknown");
		json_out_key(j, "exit_status");
		if (c->have_wstatus && !WIFSIGNALED(c->wstatus))
			json_out_i64(j, WEXITSTATUS(c->wstatus));
		else
			json_out_null(j);
		if (c->have_wstatus && WIFSIGNALED(c->wstatus)) {
			json_out_key(j, "signal");
			json_out_i64(j, WTERMSIG(c->wstatus));
		}
		json_out_end_object(j);
	}
	json_out_end_array(j);
}

static void write_process_fields(struct json_out *j, const struct analysis_proc *ap)
{
	const struct model_proc *p = ap->proc;
	json_out_key(j, "pid");
	json_out_u64(j, p->pid);
	/* Without a PROCESS record (a trace that is only a header, or whose first chunk was
	 * damaged) ppid, exe, argv and the times are unknown: left out, never null or 0. */
	json_out_key(j, "header_only");
	json_out_bool(j, !p->have_process && !p->n_chunks);
	if (p->have_process) {
		json_out_key(j, "ppid");
		json_out_u64(j, p->ppid);
		json_out_key(j, "exe");
		json_out_str(j, p->exe ? p->exe : "");
		json_out_key(j, "argv");
		json_out_begin_array(j);
		for (uint32_t i = 0; i < p->argc; i++)
			json_out_str(j, p->argv[i]);
		json_out_end_array(j);
	}
	json_out_key(j, "trace");
	json_out_str(j, p->trace_path);
	if (p->have_process) {
		json_out_key(j, "start");
		json_out_double(j, (double)p->start_ns / 1e9, 6);
		json_out_key(j, "end");
		json_out_double(j, (double)model_proc_end_ns(p) / 1e9, 6);
		json_out_key(j, "duration");
		json_out_double(j, (double)(model_proc_end_ns(p) - p->start_ns) / 1e9, 6);
	}
	json_out_key(j, "snapshots");
	json_out_u64(j, p->n_snaps);
	if (p->n_snaps && (p->snaps[p->n_snaps - 1].flags & TRACE_SNAP_PY_FINALIZE)) {
		json_out_key(j, "state_at");
		json_out_str(j, "python_finalize");
	}
	/* No END, but the parent's wait saw how it ended (recover.c): that is its end. */
	bool waited = !p->have_end && p->have_wait_status;
	bool wsig = waited && WIFSIGNALED(p->wait_status);
	json_out_key(j, "exit_status");
	if (p->have_end && p->end_reason == TRACE_END_EXIT)
		json_out_i64(j, p->end_status);
	else if (waited && !wsig)
		json_out_i64(j, WEXITSTATUS(p->wait_status));
	else
		json_out_null(j);
	if ((p->have_end && p->end_reason == TRACE_END_SIGNAL) || wsig) {
		json_out_key(j, "signal");
		json_out_i64(j, wsig ? WTERMSIG(p->wait_status) : p->end_status);
	}
	json_out_key(j, "end_reason");
	json_out_str(j, waited                              ? (wsig ? "signal" : "exit")
	                : !p->have_end                      ? NULL
	                : p->end_reason == TRACE_END_SIGNAL ? "signal"
	                : p->end_reason == TRACE_END_EXEC   ? "exec"
	                : p->end_reason == TRACE_END_DETACH ? "detach"
	                                                    : "exit");
	json_out_key(j, "end_seen_by");
	json_out_str(j, p->have_end ? "end_record" : waited ? "parent_wait" : NULL);
	json_out_key(j, "final_state");
	json_out_str(j, p->have_end                     ? "final"
	                : recover_final_state(p)        ? "recovered"
	                : p->n_snaps && p->have_process ? "running"
	                                                : NULL);
	if (p->have_exec) {
		json_out_key(j, "exec");
		json_out_str(j, p->exec_path);
	}
	json_out_key(j, "forked");
	json_out_bool(j, (p->flags & TRACE_PROC_FORKED) != 0);
	json_out_key(j, "execed");
	json_out_bool(j, (p->flags & TRACE_PROC_EXECED) != 0);
	json_out_key(j, "sample_bytes");
	json_out_u64(j, p->sample_bytes);
	json_out_key(j, "truncated");
	json_out_bool(j, p->truncated);
	if (p->truncated) {
		json_out_key(j, "truncation");
		json_out_str(j, p->truncation);
	}
	json_out_key(j, "skipped_bytes");
	json_out_u64(j, p->skipped_bytes);
	if (p->damaged_chunks) {
		json_out_key(j, "damage");
		json_out_str(j, p->damage);
	}
	json_out_key(j, "cut_short");
	json_out_bool(j, !p->have_end);
	json_out_key(j, "heap_source");
	json_out_str(j, ap->heap_from_sites ? "last_snapshot" : "final_snapshot");
	const struct model_snapshot *last = p->n_snaps ? &p->snaps[p->n_snaps - 1] : NULL;
	json_out_key(j, "dropped_events");
	json_out_u64(j, last ? last->dropped_events : 0);
	json_out_key(j, "peak_live_bytes");
	json_out_u64(j, model_proc_peak_live(p));
	json_out_key(j, "total_allocs");
	json_out_u64(j, last ? last->total_allocs : 0);
	json_out_key(j, "total_alloc_bytes");
	json_out_u64(j, last ? last->total_alloc_bytes : 0);
	json_out_key(j, "depth");
	json_out_u64(j, ap->depth);
	json_out_key(j, "growth_test");
	json_out_begin_object(j);
	json_out_key(j, "status");
	json_out_str(j, ap->growth_ran ? "ran" : "inconclusive");
	json_out_key(j, "snapshots");
	json_out_u64(j, ap->growth_snaps);
	json_out_key(j, "needed");
	json_out_u64(j, ap->growth_needed);
	json_out_end_object(j);
	write_children(j, p);
	report_scan_json(j, p);
	report_attach_json(j, p);
}

int report_json_write(FILE *f, const struct analysis *a, struct symbolizer *s,
                      const struct report_opts *o, struct err *e)
{
	struct json_out j;
	struct sym_stack st = {0};
	int rc = 0;
	json_out_init(&j, f);
	json_out_begin_object(&j);
	json_out_key(&j, "version");
	json_out_u64(&j, 1);
	json_out_key(&j, "processes");
	json_out_begin_array(&j);
	for (uint32_t i = 0; i < a->n_procs && rc == 0; i++) {
		const struct analysis_proc *ap = &a->procs[i];
		json_out_begin_object(&j);
		write_process_fields(&j, ap);
		json_out_key(&j, "findings_total");
		json_out_u64(&j, ap->findings.n);
		json_out_key(&j, "findings");
		json_out_begin_array(&j);
		/* --top counts actionable findings; reachable ones (ranked last) are all kept
		 * unless --top cut the actionable ones short. */
		size_t act = finding_list_actionable(&ap->findings);
		size_t n = !o->top || o->top >= act ? ap->findings.n : o->top;
		for (size_t k = 0; k < n && rc == 0; k++)
			rc = write_finding(&j, ap->proc, &ap->findings.items[k], s, &st, e);
		json_out_end_array(&j);
		if (rc == 0)
			rc = report_growth_json_diff(&j, ap, s, &st, o->top, e);
		json_out_end_object(&j);
	}
	json_out_end_array(&j);
	json_out_end_object(&j);
	sym_stack_fini(&st);
	if (rc == 0 && (fflush(f) != 0 || ferror(f)))
		return err_set(e, "write failed: %s", strerror(errno ? errno : EIO));
	return rc;
}
