/* SPDX-License-Identifier: MIT */
/* log.c - libleak's only output besides the trace: one line on stderr, built on the stack and
 * written with a single raw write(2), so it is safe from hooks and signal handlers and never
 * interleaves mid-line with the host's own output. */
#include "attach.h"
#include "log.h"
#include "sys.h"

#include <string.h>

void lk_log_line(const char *const *parts, size_t n)
{
	/* Attached to a running program, its stderr is its own (a log, a terminal that is not
	 * the user's): leak-attach learns what failed from the entry points' return values. */
	if (lk_attach_mode)
		return;
	char line[1024];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (!parts[i])
			continue;
		size_t k = strlen(parts[i]);
		if (k > sizeof(line) - 1 - len)
			k = sizeof(line) - 1 - len;
		memcpy(line + len, parts[i], k);
		len += k;
	}
	line[len++] = '\n';
	lk_sys_write(2, line, len); /* lk_sys_write preserves errno */
}

void lk_warn(const char *a, const char *b, const char *c)
{
	const char *parts[4] = {"libleak: ", a, b, c};
	lk_log_line(parts, 4);
}
