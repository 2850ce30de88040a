/* SPDX-License-Identifier: MIT */
/* err.c - err_set(): the one formatter behind every collector error message. Kept out of
 * line so the format-string checking lives in one place. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int err_set(struct err *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}
