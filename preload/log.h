/* SPDX-License-Identifier: MIT */
/* log.h - libleak's lines on stderr via one raw write(2). Never allocates; usable from any
 * context including signal handlers. */
#ifndef LEAK_PRELOAD_LOG_H
#define LEAK_PRELOAD_LOG_H

#include <stddef.h>

/* Writes "libleak: " a [b] [c] "\n" (NULL parts are skipped). Preserves errno. */
void lk_warn(const char *a, const char *b, const char *c);

/* Writes the n parts (NULL ones skipped) and "\n" as one line, no prefix, cut at 1 KiB.
 * Preserves errno. */
void lk_log_line(const char *const *parts, size_t n);

#endif
