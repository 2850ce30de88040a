/* SPDX-License-Identifier: MIT */
/* report_attach.c - an attach window in the reports (report_attach.h). */
#include "report_attach.h"

#include <inttypes.h>
#include <time.h>

#include "trace_format.h"

bool report_attached(const struct model_proc *p)
{
	return p->have_process && (p->flags & TRACE_PROC_ATTACHED);
}

static void clock_of(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%H:%M:%S", &tm))
		snprintf(buf, len, "?");
}

const char *report_attach_window(const struct model_proc *p, char *buf, size_t len)
{
	char a[16], b[16];
	uint64_t end = model_proc_end_ns(p);
	double secs = (double)(end - p->start_ns) / 1e9;
	clock_of(p->start_ns, a, sizeof(a));
	clock_of(end, b, sizeof(b));
	snprintf(buf, len, secs >= 10 ? "%s-%s, %.0f s" : "%s-%s, %.2f s", a, b, secs);
	return buf;
}

static bool fd_preexisting(const struct model_fd *f)
{
	return (f->flags & TRACE_FD_INHERITED) != 0;
}

static const char *pre_kind(uint32_t kind)
{
	return kind == TRACE_PRE_THREAD ? "thread" : kind == TRACE_PRE_CHILD ? "child" : "other";
}

void report_attach_text(FILE *f, const char *ind, const struct model_proc *p)
{
	if (!report_attached(p))
		return;
	uint32_t nfd = 0, nthr = 0, nchild = 0;
	for (uint32_t i = 0; i < p->n_fds; i++)
		nfd += fd_preexisting(&p->fds[i]);
	for (uint32_t i = 0; i < p->n_preexisting; i++) {
		nthr += p->preexisting[i].kind == TRACE_PRE_THREAD;
		nchild += p->preexisting[i].kind == TRACE_PRE_CHILD;
	}
	fprintf(f,
	        "%s  pre-existing at attach (not findings): %" PRIu32 " descriptor%s, %" PRIu32
	        " thread%s, %" PRIu32 " child%s\n",
	        ind, nfd, nfd == 1 ? "" : "s", nthr, nthr == 1 ? "" : "s", nchild,
	        nchild == 1 ? "" : "ren");
	for (uint32_t i = 0; i < p->n_fds; i++) {
		const struct model_fd *d = &p->fds[i];
		if (!fd_preexisting(d))
			continue;
		fprintf(f, "%s    fd %-4" PRIu32 " %-8s %s%s%s%s\n", ind, d->fd,
		        trace_fd_type_name(d->type), d->path ? d->path : "",
		        d->peer && d->peer[0] ? " -> " : "", d->peer ? d->peer : "",
		        d->closed ? " (closed in the window)" : "");
	}
	for (uint32_t i = 0; i < p->n_preexisting; i++) {
		const struct model_preexisting *x = &p->preexisting[i];
		fprintf(f, "%s    %-7s %-6" PRIu32 " %s\n", ind, pre_kind(x->kind), x->id, x->name);
	}
}

void report_attach_json(struct json_out *j, const struct model_proc *p)
{
	bool att = report_attached(p);
	json_out_key(j, "attached");
	if (att) {
		char w[64];
		json_out_begin_object(j);
		json_out_key(j, "start");
		json_out_double(j, (double)p->start_ns / 1e9, 6);
		json_out_key(j, "end");
		json_out_double(j, (double)model_proc_end_ns(p) / 1e9, 6);
		json_out_key(j, "duration");
		json_out_double(j, (double)(model_proc_end_ns(p) - p->start_ns) / 1e9, 6);
		json_out_key(j, "window");
		json_out_str(j, report_attach_window(p, w, sizeof(w)));
		json_out_key(j, "detached");
		json_out_bool(j, p->have_end && p->end_reason == TRACE_END_DETACH);
		json_out_end_object(j);
	} else {
		json_out_null(j);
	}
	json_out_key(j, "preexisting");
	json_out_begin_array(j);
	for (uint32_t i = 0; att && i < p->n_fds; i++) {
		const struct model_fd *d = &p->fds[i];
		if (!fd_preexisting(d))
			continue;
		json_out_begin_object(j);
		json_out_key(j, "type");
		json_out_str(j, trace_fd_type_name(d->type));
		json_out_key(j, "fd");
		json_out_u64(j, d->fd);
		json_out_key(j, "path");
		json_out_str(j, d->path ? d->path : "");
		json_out_key(j, "peer");
		json_out_str(j, d->peer ? d->peer : "");
		json_out_key(j, "closed");
		json_out_bool(j, d->closed);
		json_out_end_object(j);
	}
	for (uint32_t i = 0; att && i < p->n_preexisting; i++) {
		const struct model_preexisting *x = &p->preexisting[i];
		json_out_begin_object(j);
		json_out_key(j, "type");
		json_out_str(j, pre_kind(x->kind));
		json_out_key(j, x->kind == TRACE_PRE_CHILD ? "pid" : "tid");
		json_out_u64(j, x->id);
		json_out_key(j, "name");
		json_out_str(j, x->name);
		json_out_end_object(j);
	}
	json_out_end_array(j);
}
