/* SPDX-License-Identifier: MIT */
/* err.h - the collector's error convention: library functions return an int
 * (0 ok, <0 error) and fill a caller-owned struct err with one line of text, without the
 * program name or the trace path (main.c prefixes those). Only main.c prints. */
#ifndef LEAK_COLLECTOR_ERR_H
#define LEAK_COLLECTOR_ERR_H

struct err {
	char msg[256];
};

/* Formats msg into e (truncating to fit; e may be NULL). Always returns -1, so callers can
 * write `return err_set(e, "...")`. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
