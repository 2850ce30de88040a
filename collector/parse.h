/* SPDX-License-Identifier: MIT */
/* parse.h - the one parser of option values for leak-report and leak-view (issue 23): counts,
 * sizes, durations and booleans, each read the same way wherever they appear, and one error
 * shape: "OPT: 'VALUE' is not a WHAT (ALLOWED)", e.g. "--top: 'x' is not a count
 * (0..4294967295)". OPT is the option or variable name as the user wrote it.
 *
 * The preload's LEAK_* reader (preload/config.c) cannot link this file; its sizes and booleans
 * follow exactly the rules below (same suffixes, same words, any case): keep the two in step. */
#ifndef LEAK_COLLECTOR_PARSE_H
#define LEAK_COLLECTOR_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/* A whole-string decimal in [lo, hi] (no sign, no suffix). */
int parse_count(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
                struct err *e);

/* Bytes: a decimal with an optional k, m or g suffix (binary: 1k = 1024; any case), in
 * [lo, hi]. */
int parse_size(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
               struct err *e);

/* The number part of a size inside a longer value (--fail-on leak>64k, growth>1m/h): a decimal
 * that may have a fraction, an optional k/m/g suffix; *end is set past it. -1 if there is no
 * number there. */
double parse_size_prefix(const char *s, const char **end);

/* Seconds: a decimal that may have a fraction, with an optional suffix s, m, h or d (plain =
 * seconds), in [lo, hi]; a leading '-' only when lo < 0. */
int parse_seconds(const char *opt, const char *s, double lo, double hi, double *out, struct err *e);

/* 1/0, yes/no, true/false, on/off (any case). */
int parse_bool(const char *opt, const char *s, bool *out, struct err *e);

#endif
