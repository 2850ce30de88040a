/* SPDX-License-Identifier: MIT */
/* report.c - formatting helpers shared by the text and JSON reports. */
#include "report.h"

#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>

#include "proc_alive.h"
#include "trace_format.h"

const char *report_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

const char *report_count(uint64_t n, char *buf, size_t len)
{
	char digits[32];
	int nd = snprintf(digits, sizeof(digits), "%" PRIu64, n);
	size_t o = 0;
	for (int i = 0; i < nd && o + 2 < len; i++) {
		if (i && (nd - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* "killed by signal 6 (SIGABRT)": the number as the shell's 128+N tells it, and the name
 * fewer people have to look up. */
static void report_signal_text(int64_t signo, char *buf, size_t len)
{
	const char *abbrev = signo > 0 && signo < 65 ? sigabbrev_np((int)signo) : NULL;
	if (abbrev)
		snprintf(buf, len, "killed by signal %" PRId64 " (SIG%s)", signo, abbrev);
	else
		snprintf(buf, len, "killed by signal %" PRId64, signo);
}

const char *report_wait_text(int wstatus, char *buf, size_t len)
{
	if (WIFSIGNALED(wstatus))
		report_signal_text(WTERMSIG(wstatus), buf, len);
	else
		snprintf(buf, len, "exit %d", WEXITSTATUS(wstatus));
	return buf;
}

const char *report_end_text(const struct model_proc *p, char *buf, size_t len)
{
	char how[48];
	if (!p->have_end && p->have_wait_status)
		snprintf(buf, len,
		         "%s (its parent's wait saw it; no END record: final state recovered from "
		         "its last snapshot)",
		         report_wait_text(p->wait_status, how, sizeof(how)));
	else if (!p->have_end && p->have_process && proc_alive(p->pid, p->start_ns))
		snprintf(buf, len, "still running (no END record yet)");
	else if (!p->have_end && p->n_snaps)
		snprintf(buf, len,
		         "no END record (cut short); final state recovered from its last snapshot");
	else if (!p->have_end)
		snprintf(buf, len, "no END record (cut short)");
	else if (p->end_reason == TRACE_END_SIGNAL)
		report_signal_text(p->end_status, buf, len);
	else if (p->end_reason == TRACE_END_DETACH)
		snprintf(buf, len, "detached, the process runs on");
	else if (p->end_reason == TRACE_END_EXEC)
		snprintf(buf, len, "exec %s", p->exec_path ? p->exec_path : "");
	else if (p->n_snaps && (p->snaps[p->n_snaps - 1].flags & TRACE_SNAP_PY_FINALIZE))
		snprintf(buf, len, "exit %" PRId64 ", state as Python finalization began",
		         p->end_status);
	else
		snprintf(buf, len, "exit %" PRId64, p->end_status);
	return buf;
}
