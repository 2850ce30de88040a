/* SPDX-License-Identifier: MIT */
/* fail_on.h - the --fail-on gate of leak-report (and, through it, leak-soak): a comma list of
 * finding kinds, each optionally with a limit, e.g. "leak,growth>1m/h,fd>10". */
#ifndef LEAK_COLLECTOR_FAIL_ON_H
#define LEAK_COLLECTOR_FAIL_ON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze.h"
#include "err.h"
#include "finding.h"

#define FAIL_RULES_MAX 32

/* One item of the list. Without a limit any finding of the kind matches (fd, thread and
 * zombie only when growing if growing_only). With one:
 *   growth>SIZE/T, rss>SIZE/T  a single finding grows faster than SIZE bytes per T (s, m, h, d)
 *   leak>SIZE, reachable>SIZE  a single finding holds more than SIZE bytes (k, m, g: binary)
 *   fd>N, thread>N, zombie>N   a process's findings of the kind grew by more than N over the
 *                              window (their count at exit when the trend test could not run)
 *   child>N, tempfile>N        a process has more than N of them */
struct fail_rule {
	enum finding_kind kind;
	bool has_limit;
	double limit; /* bytes, bytes per second, or a count */
};

struct fail_rules {
	struct fail_rule r[FAIL_RULES_MAX];
	size_t n;
};

/* Adds the items of one --fail-on argument. Returns 0, or -1 with e filled (the item shown). */
int fail_rules_parse(struct fail_rules *rs, const char *arg, struct err *e);
/* Bit (1u << kind) for each kind whose rule matched in a (0: none). */
uint32_t fail_rules_match(const struct fail_rules *rs, const struct analysis *a, bool growing_only);

#endif
